/*
 * kernel.c - the GEMM seam: the kernel tables (scalar, avx2, avx512, and avx512bf16 by name
 * only), the run-time choice among them from the CPU's features (or BEX_KERNEL), packing of
 * B, and the cache-blocked driver that feeds a kernel's microkernel.
 *
 * Blocking (per call, nothing allocated): rows of A in blocks of mc (an mc x kc block of A,
 * about 192 KiB, stays in L2 while every panel of B passes over it), K in blocks of at most
 * kernel->kc (a kc x nr panel of B, 16-40 KiB, stays in L1 while the microkernel walks down
 * the rows of the A block); loops ic -> pc -> jr -> ir. A is read in place (rows of the
 * activations or of the im2col buffer), except when its rows alias in L1 (gemm_copy_a).
 * B is packed once at model load (nn_pack_b), with the bias in front of each panel so the
 * microkernel starts its accumulators from it; the activation is applied on the last K
 * block, so each output is written once per K block and finished in registers.
 */
#include "nn/kernel.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

/* ---------------------------------------------------------------- kernel tables */

_Static_assert(NN__SCALAR_MR <= NN__MR_MAX && NN__AVX2_MR <= NN__MR_MAX &&
                   NN__AVX512_MR <= NN__MR_MAX && NN__SCALAR_KC <= NN__KC_MAX &&
                   NN__AVX2_KC <= NN__KC_MAX && NN__AVX512_KC <= NN__KC_MAX,
               "gemm_copy_a's stack strip is too small");

static void sgemm_with(const nn_kernel *k, int M, int N, int K, const float *A, int lda,
                       const float *B, int ldb, float *C, int ldc);

static const nn_kernel kernel_scalar;
static void sgemm_scalar(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                         float *C, int ldc) {
    sgemm_with(&kernel_scalar, M, N, K, A, lda, B, ldb, C, ldc);
}
static const nn_kernel kernel_scalar = {"scalar", sgemm_scalar, NN__SCALAR_MR, NN__SCALAR_NR,
                                        NN__SCALAR_KC, nn__ukernel_scalar, nn__dwrow_scalar};

#ifdef NN__HAVE_X86
static const nn_kernel kernel_avx2;
static void sgemm_avx2(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                       float *C, int ldc) {
    sgemm_with(&kernel_avx2, M, N, K, A, lda, B, ldb, C, ldc);
}
static const nn_kernel kernel_avx2 = {"avx2", sgemm_avx2, NN__AVX2_MR, NN__AVX2_NR,
                                      NN__AVX2_KC, nn__ukernel_avx2, nn__dwrow_avx2};

static const nn_kernel kernel_avx512;
static void sgemm_avx512(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                         float *C, int ldc) {
    sgemm_with(&kernel_avx512, M, N, K, A, lda, B, ldb, C, ldc);
}
static const nn_kernel kernel_avx512 = {"avx512", sgemm_avx512, NN__AVX512_MR, NN__AVX512_NR,
                                        NN__AVX512_KC, nn__ukernel_avx512, nn__dwrow_avx512};

/* bf16 products, fp32 sums: gemm_avx512bf16.c (prototypes in kernel.h). */
static const nn_kernel kernel_avx512bf16 = {"avx512bf16", nn__sgemm_avx512bf16, NN__AVX512_MR,
                                            NN__AVX512_NR, NN__AVX512BF16_KC, nn__ukernel_avx512bf16,
                                            nn__dwrow_avx512};
#define IS_BF16(k) ((k) == &kernel_avx512bf16)

static int cpu_has_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
static int cpu_has_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
           cpu_has_avx2();
}
static int cpu_has_avx512bf16(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512bf16") && cpu_has_avx512();
}
#endif

const nn_kernel *nn_kernel_by_name(const char *name) {
    if (!name) return NULL;
    if (strcmp(name, "scalar") == 0) return &kernel_scalar;
#ifdef NN__HAVE_X86
    if (strcmp(name, "avx2") == 0) return cpu_has_avx2() ? &kernel_avx2 : NULL;
    if (strcmp(name, "avx512") == 0) return cpu_has_avx512() ? &kernel_avx512 : NULL;
    /* never chosen by default: it changes results (see gemm_avx512bf16.c) */
    if (strcmp(name, "avx512bf16") == 0)
        return cpu_has_avx512bf16() ? &kernel_avx512bf16 : NULL;
#endif
    return NULL;
}

static const nn_kernel *auto_kernel;   /* written once under pthread_once */
static const nn_kernel *forced_kernel; /* nn_kernel_set; atomic loads and stores */
static pthread_once_t auto_once = PTHREAD_ONCE_INIT;

static void choose_kernel(void) {
    const nn_kernel *k = nn_kernel_by_name(getenv("BEX_KERNEL"));
#ifdef NN__HAVE_X86
    if (!k) k = nn_kernel_by_name("avx512");
    if (!k) k = nn_kernel_by_name("avx2");
#endif
    auto_kernel = k ? k : &kernel_scalar;
}

const nn_kernel *nn_kernel_current(void) {
    const nn_kernel *f = __atomic_load_n(&forced_kernel, __ATOMIC_ACQUIRE);
    if (f) return f;
    pthread_once(&auto_once, choose_kernel);
    return auto_kernel;
}

void nn_kernel_set(const nn_kernel *k) { __atomic_store_n(&forced_kernel, k, __ATOMIC_RELEASE); }

/* ---------------------------------------------------------------- packing B */

size_t nn_pack_b_size(const nn_kernel *k, int K, int N) {
    if (K < 0 || N < 0) return 0;
#ifdef NN__HAVE_X86
    if (IS_BF16(k)) return nn__pack_b_size_avx512bf16(K, N);
#endif
    size_t panels = ((size_t)N + (size_t)k->nr - 1) / (size_t)k->nr, per, all;
    if (!bex__mul_size((size_t)K + 1, (size_t)k->nr, &per) || !bex__mul_size(per, panels, &all))
        return 0;
    return all ? all : (size_t)k->nr; /* never 0 for a valid shape */
}

/* Panel p holds columns [p*nr, p*nr + nr): first the bias row, then B's K rows. */
void nn_pack_b(const nn_kernel *k, int K, int N, const float *B, size_t ldb, const float *bias,
               float *packed) {
#ifdef NN__HAVE_X86
    if (IS_BF16(k)) {
        nn__pack_b_avx512bf16(K, N, B, ldb, bias, packed);
        return;
    }
#endif
    const int nr = k->nr;
    for (int j0 = 0; j0 < N; j0 += nr) {
        int nc = N - j0 < nr ? N - j0 : nr;
        float *p = packed + (size_t)(j0 / nr) * (size_t)(K + 1) * (size_t)nr;
        memset(p, 0, (size_t)(K + 1) * (size_t)nr * sizeof *p);
        if (bias) memcpy(p, bias + j0, (size_t)nc * sizeof *p);
        for (int kk = 0; kk < K; kk++)
            memcpy(p + (size_t)(kk + 1) * nr, B + (size_t)kk * ldb + j0, (size_t)nc * sizeof *p);
    }
}

/* ---------------------------------------------------------------- the driver */

/* K blocks of at most k->kc, as even as possible so no block is a sliver. */
static int k_step(const nn_kernel *k, int K) {
    if (K <= k->kc) return K;
    int nb = (K + k->kc - 1) / k->kc;
    return (K + nb - 1) / nb;
}

/* Rows of A per block: an mc x kc block of about 192 KiB, a whole number of microtiles. */
static int m_step(const nn_kernel *k, int kc) {
    int mc = 49152 / (kc > 16 ? kc : 16);
    mc -= mc % k->mr;
    return mc > k->mr ? mc : k->mr;
}

/* When A's rows are a multiple of 4 KiB apart (a 1x1 convolution over 1024 channels), the
 * mr rows the microkernel reads at once fall in one L1 set and evict each other on every
 * step (measured: 0.6-0.7x of the normal speed). Then each mr-row strip of A is copied once
 * to a stack buffer with an odd stride and run across a block of B's panels (kc x nc, about
 * 512 KiB, from L2): loops jc -> pc -> ir (copy) -> jr. */
static void gemm_copy_a(const nn_kernel *k, int M, int N, int K, const float *A, size_t lda,
                        const float *packed, nn_act act, float *C, size_t ldc) {
    _Alignas(64) float strip[NN__MR_MAX * (NN__KC_MAX + 16)];
    const int mr = k->mr, nr = k->nr, ks = k_step(k, K);
    const size_t pstride = (size_t)(K + 1) * (size_t)nr, sstride = (size_t)ks + 16;
    int nc = 131072 / (ks > 1 ? ks : 1);
    nc -= nc % nr;
    if (nc < nr) nc = nr;
    for (int jc = 0; jc < N; jc += nc) {
        const int jend = N - jc < nc ? N : jc + nc;
        for (int pc = 0;;) {
            const int kc = K - pc < ks ? K - pc : ks;
            const int flags =
                (pc > 0 ? NN_UK_ACC : 0) | (pc + kc >= K ? (int)act << NN_UK_ACT_SHIFT : 0);
            for (int ir = 0; ir < M; ir += mr) {
                const int m = M - ir < mr ? M - ir : mr;
                for (int i = 0; i < m; i++) /* [m][kc] with row stride sstride */
                    memcpy(strip + i * sstride, A + (size_t)(ir + i) * lda + pc,
                           (size_t)kc * sizeof(float));
                for (int jr = jc; jr < jend; jr += nr) {
                    const float *panel = packed + (size_t)(jr / nr) * pstride;
                    k->ukernel(m, N - jr < nr ? N - jr : nr, kc, strip, sstride,
                               panel + (size_t)(pc + 1) * nr, panel, C + (size_t)ir * ldc + jr, ldc,
                               flags);
                }
            }
            pc += kc;
            if (pc >= K) break;
        }
    }
}

void nn_gemm_packed(const nn_kernel *k, int M, int N, int K, const float *A, size_t lda,
                    const float *packed, nn_act act, float *C, size_t ldc) {
    if (M <= 0 || N <= 0 || K < 0) return;
#ifdef NN__HAVE_X86
    if (IS_BF16(k)) {
        nn__gemm_packed_avx512bf16(M, N, K, A, lda, packed, act, C, ldc);
        return;
    }
#endif
    if (lda % 1024 == 0 && M > 1 && K > 0) {
        gemm_copy_a(k, M, N, K, A, lda, packed, act, C, ldc);
        return;
    }
    const int mr = k->mr, nr = k->nr;
    const size_t pstride = (size_t)(K + 1) * (size_t)nr; /* floats per packed panel */
    const int ks = k_step(k, K), ms = m_step(k, ks);
    for (int ic = 0; ic < M; ic += ms) {
        int mb = M - ic < ms ? M - ic : ms;
        for (int pc = 0;;) {
            int kc = K - pc < ks ? K - pc : ks;
            int flags = (pc > 0 ? NN_UK_ACC : 0) | (pc + kc >= K ? (int)act << NN_UK_ACT_SHIFT : 0);
            const float *panel = packed;
            for (int jr = 0; jr < N; jr += nr, panel += pstride) {
                int nc = N - jr < nr ? N - jr : nr;
                const float *b = panel + (size_t)(pc + 1) * nr;
                for (int ir = 0; ir < mb; ir += mr) {
                    size_t row = (size_t)(ic + ir);
                    k->ukernel(mb - ir < mr ? mb - ir : mr, nc, kc, A + row * lda + pc, lda, b,
                               panel, C + row * ldc + jr, ldc, flags);
                }
            }
            pc += kc;
            if (pc >= K) break;
        }
    }
}

/* Plain C = A * B: packs one kc x nr panel of B at a time on the stack and runs it over every
 * row of A. Slower than the packed path for big M (A is streamed once per panel). */
static void sgemm_with(const nn_kernel *k, int M, int N, int K, const float *A, int lda,
                       const float *B, int ldb, float *C, int ldc) {
    if (M <= 0 || N <= 0 || K < 0) return;
    _Alignas(64) float buf[NN__PANEL_MAX];
    const int nr = k->nr;
    int kmax = NN__PANEL_MAX / nr < k->kc ? NN__PANEL_MAX / nr : k->kc;
    int nb = K > kmax ? (K + kmax - 1) / kmax : 1;
    int ks = (K + nb - 1) / nb;
    for (int pc = 0;;) {
        int kc = K - pc < ks ? K - pc : ks;
        for (int jr = 0; jr < N; jr += nr) {
            int nc = N - jr < nr ? N - jr : nr;
            for (int kk = 0; kk < kc; kk++) {
                const float *src = B + (size_t)(pc + kk) * (size_t)ldb + jr;
                float *dst = buf + (size_t)kk * nr;
                memcpy(dst, src, (size_t)nc * sizeof *dst);
                for (int j = nc; j < nr; j++) dst[j] = 0.0f;
            }
            for (int ir = 0; ir < M; ir += k->mr)
                k->ukernel(M - ir < k->mr ? M - ir : k->mr, nc, kc,
                           A + (size_t)ir * (size_t)lda + pc, (size_t)lda, buf, NULL,
                           C + (size_t)ir * (size_t)ldc + jr, (size_t)ldc, pc > 0 ? NN_UK_ACC : 0);
        }
        pc += kc;
        if (pc >= K) break;
    }
}
