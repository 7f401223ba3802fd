/*
 * match_avx512.c - the cylinder-comparison kernel with AVX-512 VPOPCNTDQ (match.h): a cylinder's
 * 1536 value and 1536 valid bits are three 512-bit registers each; a's six stay in registers
 * while the row of b's streams past. Built with the Makefile's AVX-512 flags; VPOPCNTDQ, which
 * they do not include, is asked for on the function, and match_kernel.c runs it only on a CPU
 * that has it.
 */
#include "finger/match.h"

#ifdef BEX__FM_HAVE_X86
#include <immintrin.h>

#if FM_WORDS != 24
#error "the AVX-512 kernel is written for 1536-cell cylinders"
#endif

/* Per 64-bit lane, the bits set in both x and y, over a cylinder's three registers. */
__attribute__((target("avx512f,avx512vpopcntdq"), always_inline)) static inline __m512i
and_count3(__m512i x0, __m512i x1, __m512i x2, __m512i y0, __m512i y1, __m512i y2) {
    return _mm512_add_epi64(_mm512_add_epi64(_mm512_popcnt_epi64(_mm512_and_si512(x0, y0)),
                                             _mm512_popcnt_epi64(_mm512_and_si512(x1, y1))),
                            _mm512_popcnt_epi64(_mm512_and_si512(x2, y2)));
}

__attribute__((target("avx512f,avx512vpopcntdq"))) static void
row_avx512(const uint64_t *a, const uint64_t *b, const uint8_t *idx, int n, uint64_t *out) {
    __m512i av0 = _mm512_loadu_si512(a), av1 = _mm512_loadu_si512(a + 8),
            av2 = _mm512_loadu_si512(a + 16);
    __m512i am0 = _mm512_loadu_si512(a + 24), am1 = _mm512_loadu_si512(a + 32),
            am2 = _mm512_loadu_si512(a + 40);
    for (int i = 0; i < n; i++) {
        const uint64_t *c = b + (size_t)idx[i] * FM_CYL_WORDS;
        __m512i bv0 = _mm512_loadu_si512(c), bv1 = _mm512_loadu_si512(c + 8),
                bv2 = _mm512_loadu_si512(c + 16);
        __m512i bm0 = _mm512_loadu_si512(c + 24), bm1 = _mm512_loadu_si512(c + 32),
                bm2 = _mm512_loadu_si512(c + 40);
        /* per 64-bit lane: at most 3 x 64 = 192 per count, so the four fit 16-bit fields */
        __m512i na = and_count3(av0, av1, av2, bm0, bm1, bm2);
        __m512i nb = and_count3(bv0, bv1, bv2, am0, am1, am2);
        __m512i nab = and_count3(av0, av1, av2, bv0, bv1, bv2);
        __m512i nm = and_count3(am0, am1, am2, bm0, bm1, bm2);
        __m512i packed = _mm512_or_si512(
            _mm512_or_si512(na, _mm512_slli_epi64(nb, 16)),
            _mm512_or_si512(_mm512_slli_epi64(nab, 32), _mm512_slli_epi64(nm, 48)));
        out[i] = (uint64_t)_mm512_reduce_add_epi64(packed);
    }
}
__attribute__((target("avx512f,avx512vpopcntdq"))) static void
row_and_avx512(const uint64_t *a, const uint64_t *b, const uint8_t *idx, int n, uint32_t *out) {
    __m512i av0 = _mm512_loadu_si512(a), av1 = _mm512_loadu_si512(a + 8),
            av2 = _mm512_loadu_si512(a + 16);
    for (int i = 0; i < n; i++) {
        const uint64_t *c = b + (size_t)idx[i] * FM_CYL_WORDS;
        __m512i nab = and_count3(av0, av1, av2, _mm512_loadu_si512(c), _mm512_loadu_si512(c + 8),
                                 _mm512_loadu_si512(c + 16));
        out[i] = (uint32_t)_mm512_reduce_add_epi64(nab);
    }
}
__attribute__((target("avx512f,avx512vpopcntdq"))) static void
row_half_avx512(const uint64_t *a, const uint64_t *b, const uint8_t *idx, int n, int b_full,
                uint32_t *out) {
    __m512i av0 = _mm512_loadu_si512(a), av1 = _mm512_loadu_si512(a + 8),
            av2 = _mm512_loadu_si512(a + 16);
    /* the partial side's "other" operand: a's valid bits when b is full, a's value bits when
     * a is */
    const uint64_t *ao = b_full ? a + FM_WORDS : a;
    __m512i ao0 = _mm512_loadu_si512(ao), ao1 = _mm512_loadu_si512(ao + 8),
            ao2 = _mm512_loadu_si512(ao + 16);
    const int off = b_full ? 0 : FM_WORDS; /* ... met by b's value bits, or b's valid bits */
    for (int i = 0; i < n; i++) {
        const uint64_t *c = b + (size_t)idx[i] * FM_CYL_WORDS;
        __m512i bv0 = _mm512_loadu_si512(c), bv1 = _mm512_loadu_si512(c + 8),
                bv2 = _mm512_loadu_si512(c + 16);
        __m512i bo0 = _mm512_loadu_si512(c + off), bo1 = _mm512_loadu_si512(c + off + 8),
                bo2 = _mm512_loadu_si512(c + off + 16);
        __m512i nx = and_count3(ao0, ao1, ao2, bo0, bo1, bo2);
        __m512i nab = and_count3(av0, av1, av2, bv0, bv1, bv2);
        out[i] = (uint32_t)_mm512_reduce_add_epi64(_mm512_or_si512(nx, _mm512_slli_epi64(nab, 16)));
    }
}
const fm_kernel fm_kernel_avx512 = {"avx512", row_avx512, row_and_avx512, row_half_avx512};
#endif
