/*
 * gemm_scalar.c - the portable GEMM microkernel, the reference every SIMD kernel is tested
 * against: a 4 x 8 tile of C kept in local accumulators over a K block (plain C; the
 * compiler may vectorise it for the baseline instruction set, nothing more).
 */
#include "nn/kernel.h"

#define MR NN__SCALAR_MR
#define NR NN__SCALAR_NR

static inline float act_scalar(float v, int act) {
    if (act == NN_ACT_RELU) return v > 0.0f ? v : 0.0f;
    if (act == NN_ACT_RELU6) return v > 0.0f ? (v < 6.0f ? v : 6.0f) : 0.0f;
    return v;
}

void nn__ukernel_scalar(int mr, int nc, int kc, const float *A, size_t lda, const float *B,
                        const float *bias, float *C, size_t ldc, int flags) {
    float acc[MR][NR];
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++)
            acc[i][j] = (flags & NN_UK_ACC) ? (i < mr && j < nc ? C[i * ldc + j] : 0.0f)
                                            : (bias ? bias[j] : 0.0f);
    for (int k = 0; k < kc; k++) {
        const float *b = B + (size_t)k * NR; /* [kc][NR] */
        for (int i = 0; i < MR; i++) {
            float a = i < mr ? A[i * lda + k] : 0.0f;
            for (int j = 0; j < NR; j++) acc[i][j] += a * b[j];
        }
    }
    int act = (flags >> NN_UK_ACT_SHIFT) & 3;
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nc; j++) C[i * ldc + j] = act_scalar(acc[i][j], act);
}
