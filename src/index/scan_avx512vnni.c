/*
 * scan_avx512vnni.c - the index's int8 kernels with AVX-512 VNNI (scan.h); the f32 and f16
 * ones are scan_avx512.c's.
 *
 * vpdpbusd multiplies u8 x s8 bytes and adds each group of 4 into an int32 lane. The row goes
 * in as the unsigned operand with its sign bit flipped (x ^ 0x80 = x + 128 as u8), the probe
 * as the signed one, so a lane sums dot(q, x) + 128 * sum(q): a constant per probe (bias),
 * taken off at the end (the batch starts its sums at -bias). Exact while
 * stride * 255 * 127 < 2^31 (stride < 66000).
 *
 * Single probe: memory-bound; 16 rows a tile, one xor and one dpbusd per 64 bytes, the 16
 * accumulators reduced together as in scan_avx512.c, the tile two ahead prefetched.
 *
 * Batch: a small GEMM. A block of 48 rows is transposed once (pack_block) into T, where T[g]
 * is three zmm holding bytes 4g..4g+3 of each of the 48 rows, sign bits flipped. The
 * microkernel takes 8 probes at a time: per group g, 3 loads of T and one broadcast dword of
 * each probe feed 24 dpbusd into 24 accumulators whose lanes are rows, so a probe's 16
 * scores leave in one store. The block (6 KiB at stride 128) and the probes (8 KiB) stay in
 * L1 while every probe passes, and the next block is prefetched meanwhile; rows longer than
 * KC bytes go in K blocks, the sums parked in `part` between them. 24 KiB of stack (T, part).
 * Measured on one Zen 5 core: over 90% of the dpbusd peak (2 a cycle) with the rows in cache.
 */
#include <immintrin.h>
#include <string.h>

#include "index/scan.h"
#include "index/scan_avx512_inline.h"

#define VB 3         /* vectors of 16 rows in a batch block */
#define RB (16 * VB) /* rows in a batch block */
#define PB 8         /* probes per microkernel call: 8 x 3 accumulators */
#define KC 256       /* bytes of a row per K block (T: 12 KiB) */

/* 128 * sum(q): what the flipped sign bits of the rows add to every dpbusd sum */
static int32_t flip_bias(const int8_t *q, int stride) {
    __m512i acc = _mm512_setzero_si512();
    const __m512i one = _mm512_set1_epi8(1);
    for (int d = 0; d < stride; d += 64)
        acc = _mm512_dpbusd_epi32(acc, one, _mm512_loadu_si512(q + d));
    return 128 * _mm512_reduce_add_epi32(acc);
}

/* ---------------------------------------------------------------- single probe */

/* dpbusd sums of 16 rows (nr >= 1 exist; the last is repeated beyond them) */
INLINE __m512i tile16(const int8_t *q, const int8_t *x, size_t nr, int stride) {
    const int8_t *xr[16];
    UNROLL for (int r = 0; r < 16; r++) xr[r] = x + (size_t)stride * min_sz((size_t)r, nr - 1);
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    __m512i acc[16];
    UNROLL for (int r = 0; r < 16; r++) acc[r] = _mm512_setzero_si512();
    UNROLL for (int r = 0; r < 16; r++) /* in address order: faster from memory */
        for (int d = 0; d < stride; d += 64) {
            const __m512i xv = _mm512_xor_si512(_mm512_loadu_si512(xr[r] + d), flip);
            acc[r] = _mm512_dpbusd_epi32(acc[r], xv, _mm512_loadu_si512(q + d));
        }
    return reduce16_epi32(acc);
}

static void dot_i8(const int8_t *q, float qscale, const int8_t *x, const float *xscale, size_t n,
                   int stride, float *out) {
    const __m512i bias = _mm512_set1_epi32(flip_bias(q, stride));
    const __m512 qs = _mm512_set1_ps(qscale);
    for (size_t r = 0; r < n; r += 16) {
        const size_t nr = min_sz(16, n - r);
        const __mmask16 m = mask16(nr);
        if (n - r >= 48) prefetch_lines(x + (r + 32) * (size_t)stride, 16 * (size_t)stride);
        const __m512i s = _mm512_sub_epi32(tile16(q, x + r * (size_t)stride, nr, stride), bias);
        /* (float)s * qscale * xscale, in the scalar kernel's order */
        const __m512 f = _mm512_mul_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(s), qs),
                                       _mm512_maskz_loadu_ps(m, xscale + r));
        _mm512_mask_storeu_ps(out + r, m, f);
    }
}

/* ---------------------------------------------------------------- batch */

/* r[j] = dword j of rows r[0..15] on entry: a 16 x 16 dword transpose */
INLINE void transpose16(__m512i *r) {
    __m512i t[16], u[16];
    UNROLL for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
    }
    /* u[4a + m], 128-bit lane l: dword 4l + m of rows 4a..4a+3 */
    UNROLL for (int i = 0; i < 16; i += 4) {
        u[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
        u[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
        u[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
        u[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
    }
    UNROLL for (int m = 0; m < 4; m++) {
        const __m512i va = _mm512_shuffle_i32x4(u[m], u[4 + m], 0x44);
        const __m512i vb = _mm512_shuffle_i32x4(u[m], u[4 + m], 0xEE);
        const __m512i wa = _mm512_shuffle_i32x4(u[8 + m], u[12 + m], 0x44);
        const __m512i wb = _mm512_shuffle_i32x4(u[8 + m], u[12 + m], 0xEE);
        r[m] = _mm512_shuffle_i32x4(va, wa, 0x88);
        r[4 + m] = _mm512_shuffle_i32x4(va, wa, 0xDD);
        r[8 + m] = _mm512_shuffle_i32x4(vb, wb, 0x88);
        r[12 + m] = _mm512_shuffle_i32x4(vb, wb, 0xDD);
    }
}

/* T[(g * VB + v) * 16 + i] = bytes 4g..4g+3 of row 16v + i (of kc bytes from x), sign bits
 * flipped; rows from nr on are zero. */
static void pack_block(int32_t *T, const int8_t *x, size_t nr, int stride, int kc) {
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    for (int v = 0; v < VB; v++) {
        for (int c = 0; c < kc; c += 64) {
            __m512i r[16];
            UNROLL for (int i = 0; i < 16; i++) {
                const size_t row = (size_t)(16 * v + i);
                r[i] = _mm512_setzero_si512();
                if (row < nr)
                    r[i] = _mm512_xor_si512(_mm512_loadu_si512(x + row * (size_t)stride + c), flip);
            }
            transpose16(r);
            UNROLL for (int j = 0; j < 16; j++)
                _mm512_store_si512(T + ((size_t)(c / 4 + j) * VB + (size_t)v) * 16, r[j]);
        }
    }
}

/* P probes (q: probe 0 at this K block, probe p at q + p * stride) against the packed block T
 * of ng groups. Sums carry over K blocks in part; on the last block they are finished into
 * out[p * ldo + r] for the block's nr rows. */
INLINE void mkernel(const int P, const int32_t *T, int ng, const int8_t *q, int stride, int first,
                    int last, int32_t (*part)[RB], const int32_t *bias, const float *qscale,
                    const float *xscale, size_t nr, float *out, size_t ldo) {
    __m512i c[PB][VB];
    UNROLL for (int p = 0; p < P; p++) UNROLL for (int v = 0; v < VB; v++) /* sums start at -bias */
        c[p][v] = first ? _mm512_set1_epi32(-bias[p]) : _mm512_load_si512(part[p] + 16 * v);
    const int8_t *qp[PB];
    UNROLL for (int p = 0; p < P; p++) qp[p] = q + (size_t)p * (size_t)stride;
    for (int g = 0; g < ng; g++) {
        const int32_t *t = T + (size_t)g * RB;
        __m512i tv[VB];
        UNROLL for (int v = 0; v < VB; v++) tv[v] = _mm512_load_si512(t + 16 * v);
        UNROLL for (int p = 0; p < P; p++) {
            int32_t w;
            memcpy(&w, qp[p] + 4 * g, 4);
            const __m512i b = _mm512_set1_epi32(w);
            UNROLL for (int v = 0; v < VB; v++) c[p][v] = _mm512_dpbusd_epi32(c[p][v], tv[v], b);
        }
    }
    if (!last) {
        UNROLL for (int p = 0; p < P; p++) UNROLL for (int v = 0; v < VB; v++)
            _mm512_store_si512(part[p] + 16 * v, c[p][v]);
        return;
    }
    UNROLL for (int v = 0; v < VB; v++) {
        const size_t r = (size_t)(16 * v);
        if (r >= nr) break;
        const __mmask16 m = mask16(nr - r);
        const __m512 xs = _mm512_maskz_loadu_ps(m, xscale + r);
        UNROLL for (int p = 0; p < P; p++) {
            const __m512 f = _mm512_mul_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(c[p][v]),
                                                         _mm512_set1_ps(qscale[p])), xs);
            _mm512_mask_storeu_ps(out + (size_t)p * ldo + r, m, f);
        }
    }
}

#define MK(P) mkernel(P, T, kc / 4, qk, stride, first, last, part + p0, bias + p0, qscale + p0, \
                      xscale + r0, nr, out + p0 * ldo + r0, ldo)

static void dot_i8_batch(const int8_t *q, const float *qscale, size_t nq, const int8_t *x,
                         const float *xscale, size_t n, int stride, float *out, size_t ldo) {
    if (nq == 0 || n == 0) return;
    if (nq == 1) {
        dot_i8(q, qscale[0], x, xscale, n, stride, out);
        return;
    }
    for (; nq > BEX__IX_BATCH_MAX; nq -= BEX__IX_BATCH_MAX) { /* not expected: the limit holds */
        dot_i8_batch(q, qscale, BEX__IX_BATCH_MAX, x, xscale, n, stride, out, ldo);
        q += (size_t)BEX__IX_BATCH_MAX * (size_t)stride;
        qscale += BEX__IX_BATCH_MAX;
        out += (size_t)BEX__IX_BATCH_MAX * ldo;
    }
    int32_t bias[BEX__IX_BATCH_MAX];
    for (size_t p = 0; p < nq; p++) bias[p] = flip_bias(q + p * (size_t)stride, stride);
    _Alignas(64) int32_t T[KC / 4 * RB];
    _Alignas(64) int32_t part[BEX__IX_BATCH_MAX][RB];
    const size_t calls = (nq + PB - 1) / PB * (((size_t)stride + KC - 1) / KC); /* per block */
    for (size_t r0 = 0; r0 < n; r0 += RB) {
        const size_t nr = min_sz(RB, n - r0), r1 = r0 + nr;
        const int8_t *next = x + r1 * (size_t)stride;
        const size_t next_bytes = min_sz(RB, n - r1) * (size_t)stride;
        size_t call = 0;
        for (int k0 = 0; k0 < stride; k0 += KC) {
            const int kc = stride - k0 < KC ? stride - k0 : KC;
            const int first = k0 == 0, last = k0 + kc == stride;
            pack_block(T, x + r0 * (size_t)stride + k0, nr, stride, kc);
            for (size_t p0 = 0; p0 < nq; p0 += PB) {
                prefetch_slice(next, next_bytes, call++, calls);
                const int8_t *qk = q + p0 * (size_t)stride + k0;
                switch (min_sz(PB, nq - p0)) {
                case 8: MK(8); break;
                case 7: MK(7); break;
                case 6: MK(6); break;
                case 5: MK(5); break;
                case 4: MK(4); break;
                case 3: MK(3); break;
                case 2: MK(2); break;
                default: MK(1); break;
                }
            }
        }
    }
}

const ix_kernel ix_kernel_avx512vnni = {"avx512vnni",
                                        ix__dot_f32_avx512,
                                        ix__dot_f16_avx512,
                                        dot_i8,
                                        ix__dot_f32_batch_avx512,
                                        ix__dot_f16_batch_avx512,
                                        dot_i8_batch,
                                        ix__max_f32_avx512};
