/*
 * scan_avx512.c - the index's scoring kernels for AVX-512 F/BW/DQ/VL without VNNI (scan.h).
 *
 * Every kernel fills a tile of 16 dot products in 16 zmm accumulators: 16 rows of one probe,
 * or 4 rows x 4 probes in the batch kernels (each row load then feeds 4 probes, each probe
 * load 4 rows). The 16 accumulators are reduced together by one transposing tree (reduce16:
 * about 3 shuffles and adds a sum, against 8 for a reduction of each). A tile that runs past
 * the last row or probe repeats the last one and drops the extra sums. The batch kernels
 * walk the rows in blocks of about 16 KiB that stay in L1 while every probe passes over
 * them, so each row comes from memory once per batch.
 *
 * int8: before VNNI the only byte product is maddubs (u8 x s8, pairs summed to int16), so
 * the probe goes in as |q| and the row as x negated where q < 0. Exact: |q|, |x| <= 127, so
 * a pair is at most 2 * 127 * 127 = 32258 and never saturates; madd(.., 1) widens to int32.
 *
 * The f32 and f16 kernels are shared with scan_avx512vnni.c (the ix__*_avx512 functions).
 */
#include <immintrin.h>
#include <math.h>

#include "index/scan.h"
#include "index/scan_avx512_inline.h"

#define BLOCK_BYTES 16384 /* rows of a batch block: stay in L1 while all probes pass */

/* lane i = the sum of a[i]'s 16 lanes */
INLINE __m512 reduce16_ps(const __m512 *a) {
    __m512 b[8], c[4];
    UNROLL for (int i = 0; i < 8; i++) /* [a[2i] 256-bit fold | a[2i+1] fold] */
        b[i] = _mm512_add_ps(_mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], 0x44),
                             _mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], 0xEE));
    UNROLL for (int i = 0; i < 4; i++) /* 128-bit lane j: a[4i + j] folded to 4 */
        c[i] = _mm512_add_ps(_mm512_shuffle_f32x4(b[2 * i], b[2 * i + 1], 0x88),
                             _mm512_shuffle_f32x4(b[2 * i], b[2 * i + 1], 0xDD));
    const __m512 d0 = _mm512_add_ps(_mm512_unpacklo_ps(c[0], c[1]), _mm512_unpackhi_ps(c[0], c[1]));
    const __m512 d1 = _mm512_add_ps(_mm512_unpacklo_ps(c[2], c[3]), _mm512_unpackhi_ps(c[2], c[3]));
    const __m512d e0 = _mm512_unpacklo_pd(_mm512_castps_pd(d0), _mm512_castps_pd(d1));
    const __m512d e1 = _mm512_unpackhi_pd(_mm512_castps_pd(d0), _mm512_castps_pd(d1));
    /* lane 4l + k holds the sum of a[4k + l] */
    const __m512 e = _mm512_add_ps(_mm512_castpd_ps(e0), _mm512_castpd_ps(e1));
    const __m512i idx = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    return _mm512_permutexvar_ps(idx, e);
}

/* rows of a batch block: a multiple of 4, at least 4 */
static size_t block_rows(int stride, size_t elem_bytes) {
    size_t r = BLOCK_BYTES / ((size_t)stride * elem_bytes) & ~(size_t)3;
    return r < 4 ? 4 : r;
}

/* out[p * ldo + r] = lane p * 4 + r, for p < np, r < nr */
static inline void store_4x4(__m512 v, float *out, size_t ldo, size_t np, size_t nr) {
    const __mmask8 m = (__mmask8)((1u << nr) - 1);
    _mm_mask_storeu_ps(out, m, _mm512_castps512_ps128(v));
    if (np > 1) _mm_mask_storeu_ps(out + ldo, m, _mm512_extractf32x4_ps(v, 1));
    if (np > 2) _mm_mask_storeu_ps(out + 2 * ldo, m, _mm512_extractf32x4_ps(v, 2));
    if (np > 3) _mm_mask_storeu_ps(out + 3 * ldo, m, _mm512_extractf32x4_ps(v, 3));
}

/* ---------------------------------------------------------------- f32 and f16 */

/* Sums of R rows x P probes (R * P = 16), lane p * R + r. nq, nr >= 1 probes and rows exist;
 * the tile repeats the last of each beyond them. half: rows are f16. */
INLINE __m512 tile_f(const int R, const int P, const int half, const float *q, size_t nq,
                     const void *x, size_t nr, int stride) {
    const float *qp[4];
    const char *xr[16];
    const size_t row_bytes = (size_t)stride * (half ? 2 : 4);
    UNROLL for (int p = 0; p < P; p++) qp[p] = q + (size_t)stride * min_sz((size_t)p, nq - 1);
    UNROLL for (int r = 0; r < R; r++)
        xr[r] = (const char *)x + row_bytes * min_sz((size_t)r, nr - 1);
    __m512 acc[16];
    UNROLL for (int i = 0; i < 16; i++) acc[i] = _mm512_setzero_ps();
    for (int d = 0; d < stride; d += 16) {
        __m512 qv[4];
        UNROLL for (int p = 0; p < P; p++) qv[p] = _mm512_loadu_ps(qp[p] + d);
        UNROLL for (int r = 0; r < R; r++) {
            const __m512 xv =
                half ? _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(xr[r] + 2 * d)))
                     : _mm512_loadu_ps((const float *)xr[r] + d);
            UNROLL for (int p = 0; p < P; p++)
                acc[p * R + r] = _mm512_fmadd_ps(qv[p], xv, acc[p * R + r]);
        }
    }
    return reduce16_ps(acc);
}

INLINE void dot_f(const int half, const float *q, const void *x, size_t n, int stride, float *out) {
    const size_t row_bytes = (size_t)stride * (half ? 2 : 4);
    for (size_t r = 0; r < n; r += 16) {
        const size_t nr = min_sz(16, n - r);
        if (n - r >= 48) prefetch_lines((const char *)x + (r + 32) * row_bytes, 16 * row_bytes);
        const __m512 s = tile_f(16, 1, half, q, 1, (const char *)x + r * row_bytes, nr, stride);
        _mm512_mask_storeu_ps(out + r, mask16(nr), s);
    }
}

INLINE void dot_f_batch(const int half, const float *q, size_t nq, const void *x, size_t n,
                        int stride, float *out, size_t ldo) {
    const size_t row_bytes = (size_t)stride * (half ? 2 : 4), rb = block_rows(stride, half ? 2 : 4);
    const size_t groups = (nq + 3) / 4; /* probe groups a block */
    for (size_t r0 = 0; r0 < n; r0 += rb) {
        const size_t r1 = min_sz(r0 + rb, n), next_bytes = (min_sz(r1 + rb, n) - r1) * row_bytes;
        size_t p0 = 0, g = 0;
        for (size_t np; (np = min_sz(4, nq - p0)) >= 2; p0 += np) { /* 2..4 probes: a 4 x 4 tile */
            prefetch_slice((const char *)x + r1 * row_bytes, next_bytes, g++, groups);
            for (size_t r = r0; r < r1; r += 4) {
                const size_t nr = min_sz(4, r1 - r);
                const __m512 s = tile_f(4, 4, half, q + p0 * (size_t)stride, np,
                                        (const char *)x + r * row_bytes, nr, stride);
                store_4x4(s, out + p0 * ldo + r, ldo, np, nr);
            }
        }
        if (p0 < nq) /* the last, odd probe (it prefetches its own tiles) */
            dot_f(half, q + p0 * (size_t)stride, (const char *)x + r0 * row_bytes, r1 - r0, stride,
                  out + p0 * ldo + r0);
    }
}

void ix__dot_f32_avx512(const float *q, const float *x, size_t n, int stride, float *out) {
    dot_f(0, q, x, n, stride, out);
}
void ix__dot_f16_avx512(const float *q, const uint16_t *x, size_t n, int stride, float *out) {
    dot_f(1, q, x, n, stride, out);
}
void ix__dot_f32_batch_avx512(const float *q, size_t nq, const float *x, size_t n, int stride,
                              float *out, size_t ldo) {
    dot_f_batch(0, q, nq, x, n, stride, out, ldo);
}
void ix__dot_f16_batch_avx512(const float *q, size_t nq, const uint16_t *x, size_t n, int stride,
                              float *out, size_t ldo) {
    dot_f_batch(1, q, nq, x, n, stride, out, ldo);
}

/* ---------------------------------------------------------------- int8 */

/* Integer sums of R rows x P probes (R * P = 16), lane p * R + r; as tile_f. */
INLINE __m512i tile_i8(const int R, const int P, const int8_t *q, size_t nq, const int8_t *x,
                       size_t nr, int stride) {
    const int8_t *qp[4], *xr[16];
    UNROLL for (int p = 0; p < P; p++) qp[p] = q + (size_t)stride * min_sz((size_t)p, nq - 1);
    UNROLL for (int r = 0; r < R; r++) xr[r] = x + (size_t)stride * min_sz((size_t)r, nr - 1);
    const __m512i ones = _mm512_set1_epi16(1), zero = _mm512_setzero_si512();
    __m512i acc[16];
    UNROLL for (int i = 0; i < 16; i++) acc[i] = zero;
    for (int d = 0; d < stride; d += 64) {
        __m512i aq[4];
        __mmask64 neg[4];
        UNROLL for (int p = 0; p < P; p++) {
            const __m512i qv = _mm512_loadu_si512(qp[p] + d);
            aq[p] = _mm512_abs_epi8(qv);
            neg[p] = _mm512_movepi8_mask(qv);
        }
        UNROLL for (int r = 0; r < R; r++) {
            const __m512i xv = _mm512_loadu_si512(xr[r] + d);
            UNROLL for (int p = 0; p < P; p++) {
                const __m512i sx = _mm512_mask_sub_epi8(xv, neg[p], zero, xv); /* x * sign(q) */
                const __m512i pair = _mm512_maddubs_epi16(aq[p], sx);
                acc[p * R + r] = _mm512_add_epi32(acc[p * R + r], _mm512_madd_epi16(pair, ones));
            }
        }
    }
    return reduce16_epi32(acc);
}

/* |q| and q's sign are taken once a tile of 16 rows: 2 operations against 64 per 64 bytes. */
static void dot_i8(const int8_t *q, float qscale, const int8_t *x, const float *xscale, size_t n,
                   int stride, float *out) {
    const __m512 qs = _mm512_set1_ps(qscale);
    for (size_t r = 0; r < n; r += 16) {
        const size_t nr = min_sz(16, n - r);
        const __mmask16 m = mask16(nr);
        if (n - r >= 48) prefetch_lines(x + (r + 32) * (size_t)stride, 16 * (size_t)stride);
        const __m512i s = tile_i8(16, 1, q, 1, x + r * (size_t)stride, nr, stride);
        /* (float)s * qscale * xscale, in the scalar kernel's order */
        const __m512 f = _mm512_mul_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(s), qs),
                                       _mm512_maskz_loadu_ps(m, xscale + r));
        _mm512_mask_storeu_ps(out + r, m, f);
    }
}

static void dot_i8_batch(const int8_t *q, const float *qscale, size_t nq, const int8_t *x,
                         const float *xscale, size_t n, int stride, float *out, size_t ldo) {
    const size_t rb = block_rows(stride, 1), groups = (nq + 3) / 4;
    for (size_t r0 = 0; r0 < n; r0 += rb) {
        const size_t r1 = min_sz(r0 + rb, n);
        const size_t next_bytes = (min_sz(r1 + rb, n) - r1) * (size_t)stride;
        size_t p0 = 0, g = 0;
        for (size_t np; (np = min_sz(4, nq - p0)) >= 2; p0 += np) {
            prefetch_slice(x + r1 * (size_t)stride, next_bytes, g++, groups);
            float qsv[16];
            for (int i = 0; i < 16; i++) qsv[i] = qscale[p0 + min_sz((size_t)i / 4, np - 1)];
            const __m512 qs = _mm512_loadu_ps(qsv); /* lane p * 4 + r: qscale[p] */
            for (size_t r = r0; r < r1; r += 4) {
                const size_t nr = min_sz(4, r1 - r);
                const __m512i s = tile_i8(4, 4, q + p0 * (size_t)stride, np, x + r * (size_t)stride,
                                          nr, stride);
                const __mmask8 m = (__mmask8)((1u << nr) - 1);
                const __m512 xs = _mm512_broadcast_f32x4(_mm_maskz_loadu_ps(m, xscale + r));
                const __m512 f = _mm512_mul_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(s), qs), xs);
                store_4x4(f, out + p0 * ldo + r, ldo, np, nr);
            }
        }
        if (p0 < nq)
            dot_i8(q + p0 * (size_t)stride, qscale[p0], x + r0 * (size_t)stride, xscale + r0,
                   r1 - r0, stride, out + p0 * ldo + r0);
    }
}

float ix__max_f32_avx512(const float *x, size_t n) {
    __m512 m0 = _mm512_set1_ps(-INFINITY), m1 = m0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        m0 = _mm512_max_ps(m0, _mm512_loadu_ps(x + i));
        m1 = _mm512_max_ps(m1, _mm512_loadu_ps(x + i + 16));
    }
    float m = _mm512_reduce_max_ps(_mm512_max_ps(m0, m1));
    for (; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}

const ix_kernel ix_kernel_avx512 = {"avx512",
                                    ix__dot_f32_avx512,
                                    ix__dot_f16_avx512,
                                    dot_i8,
                                    ix__dot_f32_batch_avx512,
                                    ix__dot_f16_batch_avx512,
                                    dot_i8_batch,
                                    ix__max_f32_avx512};
