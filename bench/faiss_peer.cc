/*
 * faiss_peer.cc - the FAISS side of bench/bench_index.c: IndexFlatIP (float32) and
 * IndexScalarQuantizer (QT_8bit), both inner product, behind a few C functions.
 *
 * Debian ships FAISS's C headers but not libfaiss_c, so this is C++ against libfaiss.a.
 * Built only for bench_index and only when libfaiss-dev is installed (see the Makefile);
 * without it bench_index runs bex alone.
 */
#include <faiss/Index.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexScalarQuantizer.h>
#include <omp.h>

#include <cstdint>
#include <cstdio>
#include <exception>

extern "C" void openblas_set_num_threads(int);
extern "C" char *openblas_get_corename(void);

namespace {
char last_error[256];

void keep(const std::exception &e) { std::snprintf(last_error, sizeof last_error, "%s", e.what()); }
} // namespace

extern "C" {

/* An empty index: sq8 = 0 for IndexFlatIP, 1 for IndexScalarQuantizer QT_8bit; room for
 * `reserve` vectors is allocated up front (no doubling copies while adding). NULL on error. */
void *faiss_peer_open(int dim, int sq8, int64_t reserve) {
    try {
        faiss::IndexFlatCodes *ix;
        if (sq8)
            ix = new faiss::IndexScalarQuantizer(dim, faiss::ScalarQuantizer::QT_8bit,
                                                 faiss::METRIC_INNER_PRODUCT);
        else
            ix = new faiss::IndexFlatIP(dim);
        ix->codes.reserve((size_t)reserve * ix->code_size);
        return ix;
    } catch (const std::exception &e) {
        keep(e);
        return nullptr;
    }
}

void faiss_peer_close(void *ix) { delete static_cast<faiss::Index *>(ix); }

/* 0 on success, -1 with faiss_peer_error() set. */
int faiss_peer_train(void *ix, int64_t n, const float *x) {
    try {
        static_cast<faiss::Index *>(ix)->train(n, x);
        return 0;
    } catch (const std::exception &e) {
        keep(e);
        return -1;
    }
}

int faiss_peer_add(void *ix, int64_t n, const float *x) {
    try {
        static_cast<faiss::Index *>(ix)->add(n, x);
        return 0;
    } catch (const std::exception &e) {
        keep(e);
        return -1;
    }
}

/* nq probes: scores[i*k + j], ids[i*k + j], best first. */
int faiss_peer_search(void *ix, int64_t nq, const float *q, int k, float *scores, int64_t *ids) {
    try {
        static_cast<faiss::Index *>(ix)->search(nq, q, k, scores, ids);
        return 0;
    } catch (const std::exception &e) {
        keep(e);
        return -1;
    }
}

/* Bytes of storage per vector (code_size). */
size_t faiss_peer_code_size(void *ix) { return static_cast<faiss::IndexFlatCodes *>(ix)->code_size; }

/* OpenMP threads for FAISS's own loops and OpenBLAS threads for its sgemm (batches). */
void faiss_peer_set_threads(int n) {
    omp_set_num_threads(n);
    openblas_set_num_threads(n);
}

const char *faiss_peer_error(void) { return last_error; }

const char *faiss_peer_blas_core(void) { return openblas_get_corename(); }

const char *faiss_peer_version(void) {
    static char v[32];
    std::snprintf(v, sizeof v, "%d.%d.%d", FAISS_VERSION_MAJOR, FAISS_VERSION_MINOR,
                  FAISS_VERSION_PATCH);
    return v;
}

} // extern "C"
