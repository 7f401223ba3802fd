/*
 * gemm_avx2.c - the AVX2 + FMA GEMM microkernel: a 6 x 16 tile of C in 12 ymm accumulators.
 *
 * Per step of k: two 8-float vectors of the packed B panel and six broadcasts of A (12 FMAs,
 * 8 loads; 15 of the 16 ymm registers). A is read in place; a narrower last panel uses
 * masked loads and stores. Bias, ReLU / ReLU6 and the prefetch of C are as in gemm_avx512.c.
 */
#include <immintrin.h>

#include "nn/kernel.h"

#define MR NN__AVX2_MR
#define NR NN__AVX2_NR

#define UNROLL _Pragma("GCC unroll 8")

/* mask_from(n): lanes [0, n) set, for maskload / maskstore of a partial vector */
static inline __m256i mask_from(int n) {
    static const int ramp[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256((const __m256i *)(ramp + 8 - n));
}

static inline __attribute__((always_inline)) void
tile(const int mr, const int nv, int nc, int kc, const float *A, size_t lda, const float *B,
     const float *bias, float *C, size_t ldc, int flags) {
    __m256 c0[MR], c1[MR];
    int tail = nc - 8 * (nv - 1); /* columns of the last vector that exist in C */
    if (tail > 8) tail = 8;
    const __m256i m = mask_from(tail);
    UNROLL for (int i = 0; i < mr; i++) __builtin_prefetch(C + i * ldc, 1, 3); /* see avx512 */
    const int acc = flags & NN_UK_ACC;
    const __m256 b0 = !acc && bias ? _mm256_loadu_ps(bias) : _mm256_setzero_ps();
    const __m256 b1 = !acc && bias ? _mm256_loadu_ps(bias + 8) : _mm256_setzero_ps();
    UNROLL for (int i = 0; i < mr; i++) {
        c0[i] = b0;
        if (nv == 2) c1[i] = b1;
    }
    const float *a[MR];
    UNROLL for (int i = 0; i < mr; i++) a[i] = A + i * lda;
    for (int k = 0; k < kc; k++) {
        const __m256 v0 = _mm256_loadu_ps(B + (size_t)k * NR); /* B: [kc][16] */
        const __m256 v1 = nv == 2 ? _mm256_loadu_ps(B + (size_t)k * NR + 8) : v0;
        UNROLL for (int i = 0; i < mr; i++) {
            const __m256 av = _mm256_broadcast_ss(a[i] + k);
            c0[i] = _mm256_fmadd_ps(av, v0, c0[i]);
            if (nv == 2) c1[i] = _mm256_fmadd_ps(av, v1, c1[i]);
        }
    }
    if (acc) {
        UNROLL for (int i = 0; i < mr; i++) {
            if (nv == 1) {
                c0[i] = _mm256_add_ps(c0[i], _mm256_maskload_ps(C + i * ldc, m));
            } else {
                c0[i] = _mm256_add_ps(c0[i], _mm256_loadu_ps(C + i * ldc));
                c1[i] = _mm256_add_ps(c1[i], _mm256_maskload_ps(C + i * ldc + 8, m));
            }
        }
    }
    const int act = (flags >> NN_UK_ACT_SHIFT) & 3;
    if (act != NN_ACT_NONE) {
        const __m256 z = _mm256_setzero_ps(), six = _mm256_set1_ps(6.0f);
        UNROLL for (int i = 0; i < mr; i++) {
            c0[i] = _mm256_max_ps(c0[i], z);
            if (nv == 2) c1[i] = _mm256_max_ps(c1[i], z);
            if (act == NN_ACT_RELU6) {
                c0[i] = _mm256_min_ps(c0[i], six);
                if (nv == 2) c1[i] = _mm256_min_ps(c1[i], six);
            }
        }
    }
    UNROLL for (int i = 0; i < mr; i++) {
        if (nv == 1) {
            _mm256_maskstore_ps(C + i * ldc, m, c0[i]);
        } else {
            _mm256_storeu_ps(C + i * ldc, c0[i]);
            _mm256_maskstore_ps(C + i * ldc + 8, m, c1[i]);
        }
    }
}

#define INST(r)                                                                                \
    static void tile_##r##_1(int nc, int kc, const float *A, size_t lda, const float *B,       \
                             const float *bias, float *C, size_t ldc, int flags) {             \
        tile(r, 1, nc, kc, A, lda, B, bias, C, ldc, flags);                                    \
    }                                                                                          \
    static void tile_##r##_2(int nc, int kc, const float *A, size_t lda, const float *B,       \
                             const float *bias, float *C, size_t ldc, int flags) {             \
        tile(r, 2, nc, kc, A, lda, B, bias, C, ldc, flags);                                    \
    }
INST(1) INST(2) INST(3) INST(4) INST(5) INST(6)

typedef void (*tile_fn)(int, int, const float *, size_t, const float *, const float *, float *,
                        size_t, int);
#define PAIR(r) {tile_##r##_1, tile_##r##_2}
static const tile_fn tiles[MR + 1][2] = {{0, 0},  PAIR(1), PAIR(2), PAIR(3),
                                         PAIR(4), PAIR(5), PAIR(6)};

void nn__ukernel_avx2(int mr, int nc, int kc, const float *A, size_t lda, const float *B,
                      const float *bias, float *C, size_t ldc, int flags) {
    tiles[mr][nc > 8](nc, kc, A, lda, B, bias, C, ldc, flags);
}
