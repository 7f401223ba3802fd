/*
 * bench_index.c - exact 1:N search with bex's gallery index (include/bex/index.h) side by side
 * with FAISS's IndexFlatIP and 8-bit IndexScalarQuantizer on the same vectors, and the
 * machine's memory read bandwidth, measured in the same run, as the bound.
 *
 *   build/bench/bench_index                    N = 1e5 and 1e6 (about 2 minutes)
 *   build/bench/bench_index --sizes 1e7        N = 1e7 (5.1 GB for float32; minutes)
 *   build/bench/bench_index --no-peer          bex alone
 *
 * Data: N random unit vectors of d = 128 (Gaussian components, normalised; fixed seed) and
 * probes drawn alike from another seed. Each row comes from its own seed, so an index is
 * built from chunks generated on the fly; the methods are built, timed and freed one after
 * the other, so memory holds one index at a time.
 *
 * For each method, at 1 and 2 threads: ms per probe searching one probe at a time (k = 10)
 * and in batches of 64, the mean over the probe set (the fastest of its passes in MIN_TIME_S);
 * the scan rate (bytes of vector storage / time; a batch reads the storage once
 * for 64 probes); "x bound", the time over bytes / the measured read bandwidth. Top-1 and
 * top-10 ids of every method are checked against bex float32 on the same probes.
 *
 * The peer is Debian's libfaiss-dev (C++ only; bench/faiss_peer.cc), a generic x86-64 build
 * (SSE, no AVX in its own code). FAISS splits a search among threads by probe, so one probe
 * runs on one thread; IndexFlatIP sends 20 or more probes to OpenBLAS sgemm, whose core is
 * printed (OPENBLAS_CORETYPE applies). Without FAISS (faiss_peer.o not linked; its functions
 * are weak here) bex runs alone. Nothing is asserted: the figures are reported.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "bex/index.h"

#define DIM 128
#define K 10
#define BATCH 64
#define MAX_SIZES 8
#define CHUNK_ROWS 65536     /* rows generated and added at a time */
#define TRAIN_MAX 1000000    /* FAISS SQ8 trains (per-dimension min / max) on at most these */
#define BW_BYTES (1ull << 30) /* read-bandwidth buffer */
#define MIN_TIME_S 1.0       /* per measurement */

/* bench/faiss_peer.cc; weak, so they are NULL when it is not linked */
#define WEAK __attribute__((weak))
WEAK void *faiss_peer_open(int dim, int sq8, int64_t reserve);
WEAK void faiss_peer_close(void *ix);
WEAK int faiss_peer_train(void *ix, int64_t n, const float *x);
WEAK int faiss_peer_add(void *ix, int64_t n, const float *x);
WEAK int faiss_peer_search(void *ix, int64_t nq, const float *q, int k, float *scores, int64_t *ids);
WEAK size_t faiss_peer_code_size(void *ix);
WEAK void faiss_peer_set_threads(int n);
WEAK const char *faiss_peer_error(void);
WEAK const char *faiss_peer_version(void);
WEAK const char *faiss_peer_blas_core(void);

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const char *what, const char *msg) {
    fprintf(stderr, "bench_index: %s: %s\n", what, msg);
    exit(2);
}

/* ------------------------------------------------------------------ data */

static uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Row i of set `set` (0 gallery, 1 probes): Box-Muller normals, scaled to unit length. */
static void gen_row(uint64_t set, uint64_t i, float *v) {
    uint64_t s = 0x62657820696E6478ull ^ (set << 60) ^ (i * 0xD1B54A32D192ED03ull);
    double ss = 0;
    for (int d = 0; d < DIM; d += 2) {
        uint64_t r = splitmix64(&s);
        float u1 = ((float)(uint32_t)(r >> 40) + 1.0f) * 0x1p-24f; /* (0, 1] */
        float u2 = (float)(uint32_t)(r & 0xFFFFFF) * 0x1p-24f;
        float m = sqrtf(-2.0f * logf(u1));
        v[d] = m * cosf(6.2831853f * u2);
        v[d + 1] = m * sinf(6.2831853f * u2);
        ss += (double)v[d] * v[d] + (double)v[d + 1] * v[d + 1];
    }
    float inv = (float)(1.0 / sqrt(ss));
    for (int d = 0; d < DIM; d++) v[d] *= inv;
}

typedef struct gen_job { uint64_t set, from, n; float *out; } gen_job;

static void *gen_worker(void *arg) {
    gen_job *g = arg;
    for (uint64_t i = 0; i < g->n; i++) gen_row(g->set, g->from + i, g->out + i * DIM);
    return NULL;
}

/* Rows from..from+n-1 of a set into out, on two threads. */
static void gen_rows(uint64_t set, uint64_t from, uint64_t n, float *out) {
    gen_job a = {set, from, n / 2, out}, b = {set, from + n / 2, n - n / 2, out + n / 2 * DIM};
    pthread_t t;
    int started = pthread_create(&t, NULL, gen_worker, &b) == 0;
    gen_worker(&a);
    if (started) pthread_join(t, NULL);
    else gen_worker(&b);
}

/* ------------------------------------------------------------------ read bandwidth */

typedef struct bw_job { const uint64_t *p; size_t n; uint64_t sum; } bw_job;

#if defined(__x86_64__)
__attribute__((target("avx512f"))) static uint64_t sum_avx512(const uint64_t *p, size_t n) {
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t i = 0; i + 32 <= n; i += 32) {
        a0 = _mm512_add_epi64(a0, _mm512_load_si512(p + i));
        a1 = _mm512_add_epi64(a1, _mm512_load_si512(p + i + 8));
        a2 = _mm512_add_epi64(a2, _mm512_load_si512(p + i + 16));
        a3 = _mm512_add_epi64(a3, _mm512_load_si512(p + i + 24));
    }
    return (uint64_t)_mm512_reduce_add_epi64(_mm512_add_epi64(_mm512_add_epi64(a0, a1),
                                                               _mm512_add_epi64(a2, a3)));
}

__attribute__((target("avx2"))) static uint64_t sum_avx2(const uint64_t *p, size_t n) {
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t i = 0; i + 16 <= n; i += 16) {
        a0 = _mm256_add_epi64(a0, _mm256_load_si256((const __m256i *)(p + i)));
        a1 = _mm256_add_epi64(a1, _mm256_load_si256((const __m256i *)(p + i + 4)));
        a2 = _mm256_add_epi64(a2, _mm256_load_si256((const __m256i *)(p + i + 8)));
        a3 = _mm256_add_epi64(a3, _mm256_load_si256((const __m256i *)(p + i + 12)));
    }
    uint64_t t[4];
    _mm256_storeu_si256((__m256i *)t, _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3)));
    return t[0] + t[1] + t[2] + t[3];
}
#endif

static uint64_t sum_scalar(const uint64_t *p, size_t n) {
    uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (size_t i = 0; i + 4 <= n; i += 4) a0 += p[i], a1 += p[i + 1], a2 += p[i + 2], a3 += p[i + 3];
    return a0 + a1 + a2 + a3;
}

static const char *bw_isa = "scalar";
static uint64_t (*bw_sum)(const uint64_t *, size_t) = sum_scalar;

static void *bw_worker(void *arg) {
    bw_job *j = arg;
    j->sum = bw_sum(j->p, j->n);
    return NULL;
}

/* Bytes per second reading a BW_BYTES buffer on 1 and 2 threads: the best of 10 passes. */
static void read_bandwidth(double bw[3]) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) bw_sum = sum_avx512, bw_isa = "avx512";
    else if (__builtin_cpu_supports("avx2")) bw_sum = sum_avx2, bw_isa = "avx2";
#endif
    uint64_t *buf = aligned_alloc(64, BW_BYTES);
    if (!buf) die("bandwidth", "out of memory for the 1 GiB buffer");
    size_t n = BW_BYTES / 8;
    for (size_t i = 0; i < n; i++) buf[i] = i; /* fault every page in */
    uint64_t check = 0;
    for (int nt = 1; nt <= 2; nt++) {
        double best = 1e30;
        for (int pass = 0; pass < 10; pass++) {
            bw_job j[2];
            pthread_t t;
            for (int k = 0; k < nt; k++) j[k] = (bw_job){buf + n / nt * k, n / nt, 0};
            double t0 = now_s();
            int started = nt > 1 && pthread_create(&t, NULL, bw_worker, &j[1]) == 0;
            bw_worker(&j[0]);
            if (nt > 1 && !started) bw_worker(&j[1]);
            if (started) pthread_join(t, NULL);
            double dt = now_s() - t0;
            if (dt < best) best = dt;
            check += j[0].sum + (nt > 1 ? j[1].sum : 0);
        }
        bw[nt] = BW_BYTES / best;
    }
    if (check == 42) printf("(checksum)\n"); /* keeps the sums live */
    free(buf);
}

/* ------------------------------------------------------------------ methods */

enum { FAISS_FLAT, FAISS_SQ8, BEX_F32, BEX_F16, BEX_I8, NMETHODS };
static const char *method_name[NMETHODS] = {"faiss flat f32", "faiss sq8", "bex f32", "bex f16", "bex int8"};

typedef struct runner {
    int m;
    bex_index *ix;
    void *fx;
    size_t bytes_per_vec;
} runner;

/* Builds method m over rows 0..N-1; returns the seconds spent adding (and training), not
 * generating. */
static double build(runner *r, int m, size_t N, float *chunk) {
    char err[256];
    double spent = 0, t0;
    memset(r, 0, sizeof *r);
    r->m = m;
    if (m == FAISS_FLAT || m == FAISS_SQ8) {
        if (!(r->fx = faiss_peer_open(DIM, m == FAISS_SQ8, (int64_t)N))) die("faiss", faiss_peer_error());
        if (m == FAISS_SQ8) {
            size_t nt = N < TRAIN_MAX ? N : TRAIN_MAX;
            float *tr = malloc(nt * DIM * sizeof *tr);
            if (!tr) die("faiss", "out of memory for the training set");
            gen_rows(0, 0, nt, tr);
            t0 = now_s();
            if (faiss_peer_train(r->fx, (int64_t)nt, tr) != 0) die("faiss train", faiss_peer_error());
            spent += now_s() - t0;
            free(tr);
        }
        r->bytes_per_vec = faiss_peer_code_size(r->fx);
    } else {
        bex_index_format f = m == BEX_F32   ? BEX_INDEX_FLOAT32
                             : m == BEX_F16 ? BEX_INDEX_FLOAT16
                                            : BEX_INDEX_INT8;
        if (bex_index_open(DIM, f, &r->ix, err, sizeof err) != BEX_OK) die("bex_index_open", err);
        r->bytes_per_vec = bex_index_bytes_per_template(r->ix);
    }
    for (size_t from = 0; from < N; from += CHUNK_ROWS) {
        size_t n = N - from < CHUNK_ROWS ? N - from : CHUNK_ROWS;
        gen_rows(0, from, n, chunk);
        t0 = now_s();
        if (r->fx) {
            if (faiss_peer_add(r->fx, (int64_t)n, chunk) != 0) die("faiss add", faiss_peer_error());
        } else
            for (size_t i = 0; i < n; i++)
                if (bex_index_add(r->ix, (int64_t)(from + i), (int64_t)(from + i), chunk + i * DIM, err,
                                  sizeof err) != BEX_OK)
                    die("bex_index_add", err);
        spent += now_s() - t0;
    }
    return spent;
}

static void release(runner *r) {
    if (r->fx) faiss_peer_close(r->fx);
    bex_index_close(r->ix);
    memset(r, 0, sizeof *r);
}

static void set_threads(runner *r, int nt) {
    char err[256];
    if (r->fx) faiss_peer_set_threads(nt);
    else if (bex_index_set_threads(r->ix, nt, err, sizeof err) != BEX_OK) die("bex_index_set_threads", err);
}

/* nq probes (1: bex_index_search; more: bex_index_search_batch); ids[nq * K]. */
static void search(runner *r, const float *q, int nq, float *scores, int64_t *ids) {
    char err[256];
    if (r->fx) {
        if (faiss_peer_search(r->fx, nq, q, K, scores, ids) != 0) die("faiss search", faiss_peer_error());
    } else if (nq == 1) {
        bex_index_hit hits[K];
        size_t n;
        if (bex_index_search(r->ix, q, K, NULL, hits, &n, err, sizeof err) != BEX_OK)
            die("bex_index_search", err);
        for (int j = 0; j < K; j++) {
            ids[j] = (size_t)j < n ? hits[j].template_id : -1;
            scores[j] = (size_t)j < n ? hits[j].score : -INFINITY;
        }
    } else if (bex_index_search_batch(r->ix, q, (size_t)nq, K, NULL, scores, ids, err, sizeof err) != BEX_OK)
        die("bex_index_search_batch", err);
}

/* Seconds per probe: the mean over np probes searched `per` at a time (np a multiple of per),
 * from the fastest of the passes over them run in MIN_TIME_S (at least one), after one
 * warm-up search. The machine is shared; the fastest pass is the least disturbed. The first
 * pass's ids go to keep (np x K) when it is not NULL. */
static double time_probes(runner *r, const float *probes, int np, int per, int64_t *keep) {
    static float sc[BATCH * K];
    static int64_t id[BATCH * K];
    search(r, probes, per, sc, id);
    double best = 1e30, start = now_s();
    for (int pass = 0; pass == 0 || now_s() - start < MIN_TIME_S; pass++) {
        double t0 = now_s();
        for (int i = 0; i < np; i += per) {
            search(r, probes + (size_t)i * DIM, per, sc, id);
            if (pass == 0 && keep) memcpy(keep + (size_t)i * K, id, sizeof *id * (size_t)per * K);
        }
        double t = (now_s() - t0) / np;
        if (t < best) best = t;
    }
    return best;
}

/* ------------------------------------------------------------------ main */

typedef struct result {
    int have;
    double build_s, single_s[3], batch_s[3]; /* seconds per probe, by threads */
    size_t bytes_per_vec;
} result;

static int parse_sizes(const char *s, size_t *sizes) {
    const char *usage = "sizes are numbers from 1e3 to 1e8, comma-separated (1e5,1e6)";
    int n = 0;
    while (*s && n < MAX_SIZES) {
        char *end;
        double v = strtod(s, &end);
        if (end == s || !(v >= 1000 && v <= 1e8) || (*end && *end != ',')) die("--sizes", usage);
        sizes[n++] = (size_t)v;
        s = *end ? end + 1 : end;
    }
    if (!n) die("--sizes", usage);
    return n;
}

int main(int argc, char **argv) {
    size_t sizes[MAX_SIZES] = {100000, 1000000};
    int nsizes = 2, peer = faiss_peer_open != NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--sizes") && i + 1 < argc) nsizes = parse_sizes(argv[++i], sizes);
        else if (!strcmp(argv[i], "--no-peer")) peer = 0;
        else {
            fprintf(stderr, "usage: bench_index [--sizes 1e5,1e6,1e7] [--no-peer]\n");
            return 2;
        }
    }

    /* FAISS's advice with OpenBLAS (its wiki, Troubleshooting): spinning OpenMP threads starve
     * OpenBLAS's own, which made its 2-thread batches 40x slower here. libgomp reads the
     * variable at load, hence the re-exec. */
    if (peer && !getenv("OMP_WAIT_POLICY") && setenv("OMP_WAIT_POLICY", "PASSIVE", 1) == 0) {
        execv("/proc/self/exe", argv);
        unsetenv("OMP_WAIT_POLICY"); /* no re-exec: say so below */
    }

    bex_index *probe_ix;
    char err[256];
    if (bex_index_open(DIM, BEX_INDEX_INT8, &probe_ix, err, sizeof err) != BEX_OK) die("bex_index_open", err);
    const char *kenv = getenv("BEX_KERNEL");
    printf("bex gallery index vs FAISS, exact search, d = %d, k = %d, random unit vectors\n", DIM, K);
    printf("bex kernel: %s", bex_index_kernel_name(probe_ix));
    if (kenv) printf(" (BEX_KERNEL=%s)", kenv);
    printf("; cores: %ld\n", sysconf(_SC_NPROCESSORS_ONLN));
    bex_index_close(probe_ix);
    if (peer) {
        const char *ct = getenv("OPENBLAS_CORETYPE");
        printf("peer: FAISS %s (Debian libfaiss-dev), IndexFlatIP and IndexScalarQuantizer QT_8bit, "
               "inner product; its batches use OpenBLAS %s (OPENBLAS_CORETYPE=%s)\n",
               faiss_peer_version(), faiss_peer_blas_core(), ct ? ct : "(unset)");
        const char *wp = getenv("OMP_WAIT_POLICY");
        printf("OMP_WAIT_POLICY=%s\n", wp ? wp : "(unset: FAISS's batches on 2 threads will be slow)");
    } else
        printf("peer: FAISS %s; bex runs alone\n", faiss_peer_open ? "skipped (--no-peer)"
               : "missing (bench_index was built without libfaiss-dev / g++)");

    double load[3];
    if (getloadavg(load, 3) == 3)
        printf("load average at the start: %.2f %.2f %.2f\n", load[0], load[1], load[2]);
    double bw[3];
    read_bandwidth(bw);
    printf("memory read bandwidth (sum of 64-bit words over 1 GiB, %s, best of 10): "
           "1 thread %.1f GB/s, 2 threads %.1f GB/s\n", bw_isa, bw[1] / 1e9, bw[2] / 1e9);
    printf("ms: per probe, the mean over the probe set (its fastest pass); GB/s: vector storage "
           "scanned / time (a batch scans it once for 64 probes);\nx bound: time / (bytes / read "
           "bandwidth at that thread count)\n");

    float *chunk = malloc((size_t)CHUNK_ROWS * DIM * sizeof *chunk);
    if (!chunk) die("bench_index", "out of memory");
    static result res[MAX_SIZES][NMETHODS];

    for (int si = 0; si < nsizes; si++) {
        size_t N = sizes[si];
        int nsingle = N <= 100000 ? 200 : N <= 1000000 ? 50 : 20;
        int nbatch = N <= 100000 ? 4 : 1; /* batches of 64 */
        int nprobe = nsingle > nbatch * BATCH ? nsingle : nbatch * BATCH;
        float *probes = malloc((size_t)nprobe * DIM * sizeof *probes);
        int64_t *ids1[NMETHODS], *idsb[NMETHODS];
        if (!probes) die("bench_index", "out of memory");
        gen_rows(1, 0, (uint64_t)nprobe, probes);
        printf("\nN = %zu: %d single probes, %d batch%s of 64", N, nsingle, nbatch, nbatch > 1 ? "es" : "");
        if (peer) printf("; FAISS SQ8 trained on %zu of the vectors", N < TRAIN_MAX ? N : TRAIN_MAX);
        printf("\n");
        printf("%-15s %9s %8s %3s | %10s %7s %7s | %14s %7s %7s\n", "method", "bytes/vec", "build s", "thr",
               "1 probe ms", "GB/s", "x bound", "batch ms/probe", "GB/s", "x bound");
        for (int m = 0; m < NMETHODS; m++) {
            ids1[m] = calloc((size_t)nsingle * K, sizeof **ids1);
            idsb[m] = calloc((size_t)nbatch * BATCH * K, sizeof **idsb);
            if (!ids1[m] || !idsb[m]) die("bench_index", "out of memory");
            if (!peer && (m == FAISS_FLAT || m == FAISS_SQ8)) continue;
            runner r;
            result *o = &res[si][m];
            o->build_s = build(&r, m, N, chunk);
            o->bytes_per_vec = r.bytes_per_vec;
            double bytes = (double)N * (double)r.bytes_per_vec;
            for (int nt = 1; nt <= 2; nt++) {
                set_threads(&r, nt);
                o->single_s[nt] = time_probes(&r, probes, nsingle, 1, nt == 1 ? ids1[m] : NULL);
                o->batch_s[nt] = time_probes(&r, probes, nbatch * BATCH, BATCH, nt == 1 ? idsb[m] : NULL);
                double t1 = o->single_s[nt], tb = o->batch_s[nt] * BATCH;
                if (nt == 1) printf("%-15s %9zu %8.2f", method_name[m], r.bytes_per_vec, o->build_s);
                else printf("%-15s %9s %8s", "", "", "");
                printf(" %3d | %10.3f %7.1f %7.2f | %14.4f %7.1f %7.2f\n", nt, t1 * 1e3, bytes / t1 / 1e9,
                       t1 / (bytes / bw[nt]), o->batch_s[nt] * 1e3, bytes / tb / 1e9, tb / (bytes / bw[nt]));
                fflush(stdout);
            }
            o->have = 1;
            release(&r);
        }

        /* agreement with bex f32 on the same probes, single and batch together */
        printf("top-k ids against bex f32's, same probes, %d searches single and batched (recall@10: "
               "share of its top 10 found):\n", nsingle + nbatch * BATCH);
        for (int m = 0; m < NMETHODS; m++) {
            if (m == BEX_F32 || !res[si][m].have) continue;
            int top1 = 0, n = 0;
            long hit10 = 0;
            for (int pass = 0; pass < 2; pass++) {
                int np = pass ? nbatch * BATCH : nsingle;
                const int64_t *a = pass ? idsb[m] : ids1[m], *b = pass ? idsb[BEX_F32] : ids1[BEX_F32];
                for (int q = 0; q < np; q++, n++) {
                    top1 += a[q * K] == b[q * K];
                    for (int i = 0; i < K; i++)
                        for (int j = 0; j < K; j++) hit10 += a[q * K + i] == b[q * K + j];
                }
            }
            printf("  %-15s recall@1 %.3f  recall@10 %.3f%s\n", method_name[m], (double)top1 / n,
                   (double)hit10 / ((double)n * K),
                   m == FAISS_FLAT ? (top1 == n ? "  (top-1 ids identical)" : "  (TOP-1 IDS DIFFER)") : "");
        }
        for (int m = 0; m < NMETHODS; m++) free(ids1[m]), free(idsb[m]);
        free(probes);
    }

    /* the int8 row against the peers and the bound */
    printf("\nbex int8: speed-up over FAISS flat and SQ8 (their time / bex's), and time / bandwidth bound\n");
    printf("%10s %3s | %10s %7s %7s %7s | %14s %7s %7s %7s\n", "N", "thr", "1 probe ms", "x flat", "x sq8",
           "x bound", "batch ms/probe", "x flat", "x sq8", "x bound");
    for (int si = 0; si < nsizes; si++)
        for (int nt = 1; nt <= 2; nt++) {
            const result *b = &res[si][BEX_I8], *f = &res[si][FAISS_FLAT], *q = &res[si][FAISS_SQ8];
            double bytes = (double)sizes[si] * (double)b->bytes_per_vec;
            printf("%10zu %3d | %10.3f", sizes[si], nt, b->single_s[nt] * 1e3);
            if (f->have)
                printf(" %7.1f %7.1f", f->single_s[nt] / b->single_s[nt], q->single_s[nt] / b->single_s[nt]);
            else printf(" %7s %7s", "-", "-");
            printf(" %7.2f | %14.4f", b->single_s[nt] / (bytes / bw[nt]), b->batch_s[nt] * 1e3);
            if (f->have)
                printf(" %7.1f %7.1f", f->batch_s[nt] / b->batch_s[nt], q->batch_s[nt] / b->batch_s[nt]);
            else printf(" %7s %7s", "-", "-");
            printf(" %7.2f\n", b->batch_s[nt] * BATCH / (bytes / bw[nt]));
        }
    if (getloadavg(load, 3) == 3)
        printf("load average at the end: %.2f %.2f %.2f (this run adds about 1; more means other work "
               "shared the cores)\n", load[0], load[1], load[2]);
    free(chunk);
    return 0;
}
