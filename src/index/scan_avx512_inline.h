/*
 * scan_avx512_inline.h - inline helpers shared by scan_avx512.c and scan_avx512vnni.c
 * (internal; include only from files compiled with AVX-512 flags).
 */
#ifndef BEX_INDEX_SCAN_AVX512_INLINE_H
#define BEX_INDEX_SCAN_AVX512_INLINE_H

#include <immintrin.h>
#include <stddef.h>

#define UNROLL _Pragma("GCC unroll 16")
#define INLINE static inline __attribute__((always_inline))

static inline size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }

static inline __mmask16 mask16(size_t n) {
    return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1);
}

/* lane i = the sum of a[i]'s 16 lanes */
INLINE __m512i reduce16_epi32(const __m512i *a) {
    __m512i b[8], c[4];
    UNROLL for (int i = 0; i < 8; i++)
        b[i] = _mm512_add_epi32(_mm512_shuffle_i32x4(a[2 * i], a[2 * i + 1], 0x44),
                                _mm512_shuffle_i32x4(a[2 * i], a[2 * i + 1], 0xEE));
    UNROLL for (int i = 0; i < 4; i++)
        c[i] = _mm512_add_epi32(_mm512_shuffle_i32x4(b[2 * i], b[2 * i + 1], 0x88),
                                _mm512_shuffle_i32x4(b[2 * i], b[2 * i + 1], 0xDD));
    const __m512i d0 =
        _mm512_add_epi32(_mm512_unpacklo_epi32(c[0], c[1]), _mm512_unpackhi_epi32(c[0], c[1]));
    const __m512i d1 =
        _mm512_add_epi32(_mm512_unpacklo_epi32(c[2], c[3]), _mm512_unpackhi_epi32(c[2], c[3]));
    const __m512i e =
        _mm512_add_epi32(_mm512_unpacklo_epi64(d0, d1), _mm512_unpackhi_epi64(d0, d1));
    const __m512i idx = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    return _mm512_permutexvar_epi32(idx, e);
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

#endif
