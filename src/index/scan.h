/*
 * scan.h - the scoring kernels behind the gallery index (internal to src/index/).
 *
 * Vectors are stored in rows of `stride` elements: the dimension rounded up to a multiple of
 * BEX__IX_ALIGN, the padding zero, so a kernel never handles a tail and every row starts
 * 64-byte aligned (rows are in 64-byte-aligned blocks). A probe is padded the same way.
 *
 * Each instruction set gives one table (scan_<isa>.c); scan.c picks the best the CPU has, or
 * the one BEX_KERNEL names ("scalar", "avx2", "avx512", "avx512vnni"). The scalar kernels are
 * the reference: tests/unit/test_index_kernels.c holds every other one to them (float kernels
 * to a relative 1e-5, the int8 ones exactly, since integer sums are exact).
 *
 * int8 rows hold values in -127..127 (never -128) with a per-row float scale; a probe is
 * quantised the same way; the score is (exact int32 dot) * probe scale * row scale.
 */
#ifndef BEX_INDEX_SCAN_H
#define BEX_INDEX_SCAN_H

#include <stddef.h>
#include <stdint.h>

#define BEX__IX_ALIGN 64 /* elements: 64 int8 = one cache line; 64 floats = four */

typedef struct ix_kernel {
    const char *name;
    /* out[r] = dot(q, x + r * stride), r < n */
    void (*dot_f32)(const float *q, const float *x, size_t n, int stride, float *out);
    void (*dot_f16)(const float *q, const uint16_t *x, size_t n, int stride, float *out);
    void (*dot_i8)(const int8_t *q, float qscale, const int8_t *x, const float *xscale, size_t n,
                   int stride, float *out);
    /* nq probes (rows of q, same stride) against n rows: out[i * ldo + r]; nq <= 64 */
    void (*dot_f32_batch)(const float *q, size_t nq, const float *x, size_t n, int stride,
                          float *out, size_t ldo);
    void (*dot_f16_batch)(const float *q, size_t nq, const uint16_t *x, size_t n, int stride,
                          float *out, size_t ldo);
    void (*dot_i8_batch)(const int8_t *q, const float *qscale, size_t nq, const int8_t *x,
                         const float *xscale, size_t n, int stride, float *out, size_t ldo);
    /* The largest of x[0..n-1] (-INFINITY for n = 0; NaN is never passed): lets a search skip
     * a chunk of scores none of which reaches its worst kept candidate. */
    float (*max_f32)(const float *x, size_t n);
} ix_kernel;

#define BEX__IX_BATCH_MAX 64

/* The kernel to use: BEX_KERNEL's if set and supported by this CPU, else the best. */
const ix_kernel *ix_kernel_best(void);
/* A kernel by name, NULL if unknown or unsupported on this CPU. */
const ix_kernel *ix_kernel_by_name(const char *name);

/* Conversions shared by every kernel table. */
uint16_t ix_f32_to_f16(float f); /* round to nearest even; overflow to +-inf */
float ix_f16_to_f32(uint16_t h);
/* Quantises n floats to int8 in -127..127 with scale max|x| / 127 (1 for an all-zero row);
 * returns the scale. */
float ix_quantize_i8(const float *x, int n, int8_t *q);

extern const ix_kernel ix_kernel_scalar;
#if defined(__x86_64__) || defined(__i386__)
#define BEX__IX_HAVE_X86 1
extern const ix_kernel ix_kernel_avx2;
extern const ix_kernel ix_kernel_avx512;
extern const ix_kernel ix_kernel_avx512vnni;

/* Internal to the kernel files: the AVX-512 float kernels (scan_avx512.c), which the
 * avx512vnni table shares, VNNI changing only the int8 ones. */
float ix__max_f32_avx512(const float *x, size_t n);
void ix__dot_f32_avx512(const float *q, const float *x, size_t n, int stride, float *out);
void ix__dot_f16_avx512(const float *q, const uint16_t *x, size_t n, int stride, float *out);
void ix__dot_f32_batch_avx512(const float *q, size_t nq, const float *x, size_t n, int stride,
                              float *out, size_t ldo);
void ix__dot_f16_batch_avx512(const float *q, size_t nq, const uint16_t *x, size_t n, int stride,
                              float *out, size_t ldo);
#endif

#endif
