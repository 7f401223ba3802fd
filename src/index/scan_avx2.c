/*
 * scan_avx2.c - the index's scoring kernels for AVX2 + FMA + F16C (scan.h).
 *
 * As scan_avx512.c with 8 ymm accumulators a tile: 8 rows of one probe, or 4 rows x 2 probes
 * in the batch kernels (each row load feeds both probes), reduced together by hadd (hsum8).
 * A tile that runs past the last row or probe repeats the last one and drops the extra
 * sums; the batch kernels walk the rows in blocks of about 16 KiB that stay in L1 while
 * every probe passes over them.
 *
 * int8: AVX2 has no signed x signed byte product; maddubs multiplies u8 x s8 and sums pairs
 * to int16, so the probe goes in as |q| and the row as sign(x, q) (x negated where q < 0,
 * zeroed where q = 0). Exact: |q|, |x| <= 127, so a pair is at most 2 * 127 * 127 = 32258
 * and never saturates; madd(.., 1) widens the pairs to int32.
 */
#include <immintrin.h>
#include <math.h>

#include "index/scan.h"

#define UNROLL _Pragma("GCC unroll 8")
#define INLINE static inline __attribute__((always_inline))

#define BLOCK_BYTES 16384 /* rows of a batch block: stay in L1 while all probes pass */

static inline size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }

/* lanes [0, n) set, n <= 8, for maskload / maskstore */
static inline __m256i mask_from(size_t n) {
    static const int ramp[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256((const __m256i *)(ramp + 8 - n));
}

/* lane i = the sum of a[i]'s 8 lanes */
INLINE __m256 hsum8_ps(const __m256 *a) {
    const __m256 t0 = _mm256_hadd_ps(a[0], a[1]), t1 = _mm256_hadd_ps(a[2], a[3]);
    const __m256 t2 = _mm256_hadd_ps(a[4], a[5]), t3 = _mm256_hadd_ps(a[6], a[7]);
    /* 128-bit halves: u0 = [a0..a3 low 4 folded | a0..a3 high 4 folded], u1 the same for a4..a7 */
    const __m256 u0 = _mm256_hadd_ps(t0, t1), u1 = _mm256_hadd_ps(t2, t3);
    return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20),
                         _mm256_permute2f128_ps(u0, u1, 0x31));
}

INLINE __m256i hsum8_epi32(const __m256i *a) {
    const __m256i t0 = _mm256_hadd_epi32(a[0], a[1]), t1 = _mm256_hadd_epi32(a[2], a[3]);
    const __m256i t2 = _mm256_hadd_epi32(a[4], a[5]), t3 = _mm256_hadd_epi32(a[6], a[7]);
    const __m256i u0 = _mm256_hadd_epi32(t0, t1), u1 = _mm256_hadd_epi32(t2, t3);
    return _mm256_add_epi32(_mm256_permute2x128_si256(u0, u1, 0x20),
                            _mm256_permute2x128_si256(u0, u1, 0x31));
}

/* rows of a batch block: a multiple of 4, at least 4 */
static size_t block_rows(int stride, size_t elem_bytes) {
    size_t r = BLOCK_BYTES / ((size_t)stride * elem_bytes) & ~(size_t)3;
    return r < 4 ? 4 : r;
}

/* out[p * ldo + r] = lane p * 4 + r, for p < np <= 2, r < nr <= 4 */
static inline void store_4x2(__m256 v, float *out, size_t ldo, size_t np, size_t nr) {
    const __m128i m = _mm256_castsi256_si128(mask_from(nr));
    _mm_maskstore_ps(out, m, _mm256_castps256_ps128(v));
    if (np > 1) _mm_maskstore_ps(out + ldo, m, _mm256_extractf128_ps(v, 1));
}

/* Prefetch: with the hardware prefetcher alone a scan from memory ran at 1/2 to 2/3 of a
 * plain read's bandwidth (measured), so a single-probe scan fetches the tile two ahead and a
 * batch the next row block, a slice per probe group. Always inlined: GCC takes a function of
 * prefetches alone for one without effects and deletes its calls. */
INLINE void prefetch_lines(const void *p, size_t bytes) {
    for (size_t i = 0; i < bytes; i += 64) _mm_prefetch((const char *)p + i, _MM_HINT_T0);
}
/* slice i of `parts` of [p, p + bytes) */
INLINE void prefetch_slice(const void *p, size_t bytes, size_t i, size_t parts) {
    const size_t slice = (bytes / parts + 64) & ~(size_t)63, at = i * slice;
    if (at < bytes) prefetch_lines((const char *)p + at, min_sz(slice, bytes - at));
}

/* ---------------------------------------------------------------- f32 and f16 */

/* Sums of R rows x P probes (R * P = 8), lane p * R + r. nq, nr >= 1 probes and rows exist;
 * the tile repeats the last of each beyond them. half: rows are f16. */
INLINE __m256 tile_f(const int R, const int P, const int half, const float *q, size_t nq,
                     const void *x, size_t nr, int stride) {
    const float *qp[2];
    const char *xr[8];
    const size_t row_bytes = (size_t)stride * (half ? 2 : 4);
    UNROLL for (int p = 0; p < P; p++) qp[p] = q + (size_t)stride * min_sz((size_t)p, nq - 1);
    UNROLL for (int r = 0; r < R; r++)
        xr[r] = (const char *)x + row_bytes * min_sz((size_t)r, nr - 1);
    __m256 acc[8];
    UNROLL for (int i = 0; i < 8; i++) acc[i] = _mm256_setzero_ps();
    for (int d = 0; d < stride; d += 8) {
        __m256 qv[2];
        UNROLL for (int p = 0; p < P; p++) qv[p] = _mm256_loadu_ps(qp[p] + d);
        UNROLL for (int r = 0; r < R; r++) {
            const __m256 xv =
                half ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(xr[r] + 2 * d)))
                     : _mm256_loadu_ps((const float *)xr[r] + d);
            UNROLL for (int p = 0; p < P; p++)
                acc[p * R + r] = _mm256_fmadd_ps(qv[p], xv, acc[p * R + r]);
        }
    }
    return hsum8_ps(acc);
}

INLINE void dot_f(const int half, const float *q, const void *x, size_t n, int stride, float *out) {
    const size_t row_bytes = (size_t)stride * (half ? 2 : 4);
    for (size_t r = 0; r < n; r += 8) {
        const size_t nr = min_sz(8, n - r);
        if (n - r >= 24) prefetch_lines((const char *)x + (r + 16) * row_bytes, 8 * row_bytes);
        const __m256 s = tile_f(8, 1, half, q, 1, (const char *)x + r * row_bytes, nr, stride);
        if (nr == 8) _mm256_storeu_ps(out + r, s);
        else _mm256_maskstore_ps(out + r, mask_from(nr), s);
    }
}

INLINE void dot_f_batch(const int half, const float *q, size_t nq, const void *x, size_t n,
                        int stride, float *out, size_t ldo) {
    const size_t row_bytes = (size_t)stride * (half ? 2 : 4), rb = block_rows(stride, half ? 2 : 4);
    const size_t groups = (nq + 1) / 2; /* probe pairs a block */
    for (size_t r0 = 0; r0 < n; r0 += rb) {
        const size_t r1 = min_sz(r0 + rb, n), next_bytes = (min_sz(r1 + rb, n) - r1) * row_bytes;
        size_t p0 = 0;
        for (; nq - p0 >= 2; p0 += 2) { /* probe pairs: 4 x 2 tiles */
            prefetch_slice((const char *)x + r1 * row_bytes, next_bytes, p0 / 2, groups);
            for (size_t r = r0; r < r1; r += 4) {
                const size_t nr = min_sz(4, r1 - r);
                const __m256 s = tile_f(4, 2, half, q + p0 * (size_t)stride, 2,
                                        (const char *)x + r * row_bytes, nr, stride);
                store_4x2(s, out + p0 * ldo + r, ldo, 2, nr);
            }
        }
        if (p0 < nq) /* the last, odd probe (it prefetches its own tiles) */
            dot_f(half, q + p0 * (size_t)stride, (const char *)x + r0 * row_bytes, r1 - r0, stride,
                  out + p0 * ldo + r0);
    }
}

static void dot_f32(const float *q, const float *x, size_t n, int stride, float *out) {
    dot_f(0, q, x, n, stride, out);
}
static void dot_f16(const float *q, const uint16_t *x, size_t n, int stride, float *out) {
    dot_f(1, q, x, n, stride, out);
}
static void dot_f32_batch(const float *q, size_t nq, const float *x, size_t n, int stride,
                          float *out, size_t ldo) {
    dot_f_batch(0, q, nq, x, n, stride, out, ldo);
}
static void dot_f16_batch(const float *q, size_t nq, const uint16_t *x, size_t n, int stride,
                          float *out, size_t ldo) {
    dot_f_batch(1, q, nq, x, n, stride, out, ldo);
}

/* ---------------------------------------------------------------- int8 */

/* Integer sums of R rows x P probes (R * P = 8), lane p * R + r; as tile_f. */
INLINE __m256i tile_i8(const int R, const int P, const int8_t *q, size_t nq, const int8_t *x,
                       size_t nr, int stride) {
    const int8_t *qp[2], *xr[8];
    UNROLL for (int p = 0; p < P; p++) qp[p] = q + (size_t)stride * min_sz((size_t)p, nq - 1);
    UNROLL for (int r = 0; r < R; r++) xr[r] = x + (size_t)stride * min_sz((size_t)r, nr - 1);
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i acc[8];
    UNROLL for (int i = 0; i < 8; i++) acc[i] = _mm256_setzero_si256();
    for (int d = 0; d < stride; d += 32) {
        __m256i qv[2], aq[2];
        UNROLL for (int p = 0; p < P; p++) {
            qv[p] = _mm256_loadu_si256((const __m256i *)(qp[p] + d));
            aq[p] = _mm256_sign_epi8(qv[p], qv[p]); /* |q| */
        }
        UNROLL for (int r = 0; r < R; r++) {
            const __m256i xv = _mm256_loadu_si256((const __m256i *)(xr[r] + d));
            UNROLL for (int p = 0; p < P; p++) {
                const __m256i pair = _mm256_maddubs_epi16(aq[p], _mm256_sign_epi8(xv, qv[p]));
                acc[p * R + r] = _mm256_add_epi32(acc[p * R + r], _mm256_madd_epi16(pair, ones));
            }
        }
    }
    return hsum8_epi32(acc);
}

static void dot_i8(const int8_t *q, float qscale, const int8_t *x, const float *xscale, size_t n,
                   int stride, float *out) {
    const __m256 qs = _mm256_set1_ps(qscale);
    for (size_t r = 0; r < n; r += 8) {
        const size_t nr = min_sz(8, n - r);
        if (n - r >= 24) prefetch_lines(x + (r + 16) * (size_t)stride, 8 * (size_t)stride);
        const __m256i s = tile_i8(8, 1, q, 1, x + r * (size_t)stride, nr, stride);
        /* (float)s * qscale * xscale, in the scalar kernel's order */
        if (nr == 8) {
            const __m256 f = _mm256_mul_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(s), qs),
                                           _mm256_loadu_ps(xscale + r));
            _mm256_storeu_ps(out + r, f);
        } else {
            const __m256i m = mask_from(nr);
            const __m256 f = _mm256_mul_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(s), qs),
                                           _mm256_maskload_ps(xscale + r, m));
            _mm256_maskstore_ps(out + r, m, f);
        }
    }
}

static void dot_i8_batch(const int8_t *q, const float *qscale, size_t nq, const int8_t *x,
                         const float *xscale, size_t n, int stride, float *out, size_t ldo) {
    const size_t rb = block_rows(stride, 1), groups = (nq + 1) / 2;
    for (size_t r0 = 0; r0 < n; r0 += rb) {
        const size_t r1 = min_sz(r0 + rb, n);
        const size_t next_bytes = (min_sz(r1 + rb, n) - r1) * (size_t)stride;
        size_t p0 = 0;
        for (; nq - p0 >= 2; p0 += 2) {
            prefetch_slice(x + r1 * (size_t)stride, next_bytes, p0 / 2, groups);
            const __m256 qs = _mm256_set_m128(_mm_set1_ps(qscale[p0 + 1]), _mm_set1_ps(qscale[p0]));
            for (size_t r = r0; r < r1; r += 4) {
                const size_t nr = min_sz(4, r1 - r);
                const __m256i s = tile_i8(4, 2, q + p0 * (size_t)stride, 2, x + r * (size_t)stride,
                                          nr, stride);
                const __m128 xs4 =
                    _mm_maskload_ps(xscale + r, _mm256_castsi256_si128(mask_from(nr)));
                const __m256 xs = _mm256_set_m128(xs4, xs4);
                const __m256 f = _mm256_mul_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(s), qs), xs);
                store_4x2(f, out + p0 * ldo + r, ldo, 2, nr);
            }
        }
        if (p0 < nq)
            dot_i8(q + p0 * (size_t)stride, qscale[p0], x + r0 * (size_t)stride, xscale + r0,
                   r1 - r0, stride, out + p0 * ldo + r0);
    }
}

static float max_f32(const float *x, size_t n) {
    __m256 m0 = _mm256_set1_ps(-INFINITY), m1 = m0;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        m0 = _mm256_max_ps(m0, _mm256_loadu_ps(x + i));
        m1 = _mm256_max_ps(m1, _mm256_loadu_ps(x + i + 8));
    }
    m0 = _mm256_max_ps(m0, m1);
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(m0), _mm256_extractf128_ps(m0, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_movehdup_ps(h));
    float m = _mm_cvtss_f32(h);
    for (; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}

const ix_kernel ix_kernel_avx2 = {"avx2",        dot_f32,       dot_f16,      dot_i8,
                                  dot_f32_batch, dot_f16_batch, dot_i8_batch, max_f32};
