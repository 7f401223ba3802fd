/*
 * kernel.h - the per-instruction-set pieces behind nn's GEMM seam (internal to src/nn/).
 *
 * Each instruction set contributes a GEMM microkernel (gemm_<isa>.c) and a depthwise row
 * (depthwise_<isa>.c); kernel.c gathers them into the nn_kernel tables, picks one from the
 * CPU's features and drives the microkernels through the cache blocking of nn_gemm_packed.
 * The scalar versions are the reference the SIMD ones are tested against.
 */
#ifndef BEX_NN_KERNEL_H
#define BEX_NN_KERNEL_H

#include "nn/nn.h"

/* Microkernel tiles (rows of A x columns of a packed B panel) and the largest K block. */
#define NN__SCALAR_MR 4
#define NN__SCALAR_NR 8
#define NN__SCALAR_KC 256
#define NN__AVX2_MR 6
#define NN__AVX2_NR 16
#define NN__AVX2_KC 256
#define NN__AVX512_MR 14
#define NN__AVX512_NR 32
#define NN__AVX512_KC 320

/* The largest nr * kc, mr and kc of any kernel (stack buffers in kernel.c). */
#define NN__PANEL_MAX (32 * 320)
#define NN__MR_MAX 14
#define NN__KC_MAX 320




void nn__ukernel_scalar(int mr, int nc, int kc, const float *A, size_t lda, const float *B,
                        const float *bias, float *C, size_t ldc, int flags);
void nn__dwrow_scalar(const float *x, int in_h, int in_w, int c, int iy0, int pad_l, int stride,
                      const float *w, int kh, int kw, const float *b, nn_act act, int out_w,
                      float *y);

#if defined(__x86_64__) || defined(__i386__)
#define NN__HAVE_X86 1
void nn__ukernel_avx2(int mr, int nc, int kc, const float *A, size_t lda, const float *B,
                      const float *bias, float *C, size_t ldc, int flags);
void nn__dwrow_avx2(const float *x, int in_h, int in_w, int c, int iy0, int pad_l, int stride,
                    const float *w, int kh, int kw, const float *b, nn_act act, int out_w,
                    float *y);
void nn__ukernel_avx512(int mr, int nc, int kc, const float *A, size_t lda, const float *B,
                        const float *bias, float *C, size_t ldc, int flags);
void nn__dwrow_avx512(const float *x, int in_h, int in_w, int c, int iy0, int pad_l, int stride,
                      const float *w, int kh, int kw, const float *b, nn_act act, int out_w,
                      float *y);
/* bf16 products, fp32 sums (gemm_avx512bf16.c): packs B as bf16 pairs and drives its own
 * blocking (A converted a block at a time), so nn_pack_b_size / nn_pack_b / nn_gemm_packed
 * hand it over whole. Its ukernel takes such a packed panel, not kc rows of nr floats. */
#define NN__AVX512BF16_KC 384 /* K per block, even: a 24 KiB bf16 B panel stays in L1 */
size_t nn__pack_b_size_avx512bf16(int K, int N);
void nn__pack_b_avx512bf16(int K, int N, const float *B, size_t ldb, const float *bias,
                           float *packed);
void nn__gemm_packed_avx512bf16(int M, int N, int K, const float *A, size_t lda,
                                const float *packed, nn_act act, float *C, size_t ldc);
void nn__ukernel_avx512bf16(int mr, int nc, int kc, const float *A, size_t lda, const float *B,
                            const float *bias, float *C, size_t ldc, int flags);
void nn__sgemm_avx512bf16(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                          float *C, int ldc);
#endif

/* The window of a depthwise output column: taps kx in [*kx0, *kx1) fall inside the row. */
static inline void nn__dw_taps(int ix0, int kw, int in_w, int *kx0, int *kx1) {
    *kx0 = ix0 < 0 ? -ix0 : 0;
    *kx1 = in_w - ix0 < kw ? in_w - ix0 : kw;
    if (*kx1 < *kx0) *kx1 = *kx0;
}

/* The output columns [*lo, *hi) whose whole window lies inside a row of in_w pixels. */
static inline void nn__dw_interior(int in_w, int kw, int stride, int pad_l, int out_w, int *lo,
                                   int *hi) {
    int a = (pad_l + stride - 1) / stride;                 /* first ox with ox*s - pad_l >= 0 */
    int b = in_w - kw + pad_l >= 0 ? (in_w - kw + pad_l) / stride + 1 : 0; /* past last fit */
    if (a > out_w) a = out_w;
    if (b > out_w) b = out_w;
    if (b < a) b = a;
    *lo = a;
    *hi = b;
}

#endif
