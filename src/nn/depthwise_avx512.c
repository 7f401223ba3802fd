/*
 * depthwise_avx512.c - the AVX-512 depthwise-convolution row: 16 channels per vector (a
 * masked last vector for the rest), eight output pixels at a time in the interior so each
 * weight vector loaded serves eight FMAs (the taps of a 3x3 unrolled), border pixels one at
 * a time with their clipped window. Fewer pixels at once take more channel vectors, so
 * there are always several accumulators in flight. Full vectors use plain loads and stores:
 * masked ones measured 2x slower here on Zen 5.
 */
#include <immintrin.h>

#include "nn/kernel.h"

#define UNROLL _Pragma("GCC unroll 9")

/* n output pixels x v blocks of 16 channels (n, v constant after inlining; n * v <= 8
 * accumulators). `full`: all 16 channels of the blocks exist, else v == 1 and mask m says
 * which. All pixels share the taps [kx0, kx1) x [ky0, ky1): x0 is input pixel (iy0 + ky0,
 * ix0 + kx0) of the first output pixel, step the floats between neighbouring windows, wb the
 * weights at tap (ky0, kx0). KW: the window width when known at compile time (the interior
 * of a 3x3), else 0 and nkx is used. */
static inline __attribute__((always_inline)) void
block(const int n, const int v, const int KW, const int full, __mmask16 m, const float *x0,
      size_t row, size_t step, int c, int nky, int nkx, const float *wb, int kw, const float *b,
      nn_act act, float *y) {
#define LD(p) (full ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(m, (p)))
    __m512 acc[8][4];
    UNROLL for (int u = 0; u < v; u++) {
        const __m512 bv = LD(b + 16 * u);
        UNROLL for (int j = 0; j < n; j++) acc[j][u] = bv;
    }
    for (int ky = 0; ky < nky; ky++) {
        const float *xr = x0 + ky * row, *wr = wb + (size_t)ky * kw * c;
#define TAP(kx)                                                                                \
    do {                                                                                       \
        UNROLL for (int u = 0; u < v; u++) {                                                   \
            const __m512 wv = LD(wr + (size_t)(kx) * c + 16 * u);                              \
            const float *xp = xr + (size_t)(kx) * c + 16 * u;                                  \
            UNROLL for (int j = 0; j < n; j++)                                                 \
                acc[j][u] = _mm512_fmadd_ps(LD(xp + j * step), wv, acc[j][u]);                 \
        }                                                                                      \
    } while (0)
        if (KW) {
            UNROLL for (int kx = 0; kx < KW; kx++) TAP(kx);
        } else {
            for (int kx = 0; kx < nkx; kx++) TAP(kx);
        }
#undef TAP
    }
#undef LD
    const __m512 z = _mm512_setzero_ps(), six = _mm512_set1_ps(6.0f);
    UNROLL for (int j = 0; j < n; j++) {
        UNROLL for (int u = 0; u < v; u++) {
            __m512 r = acc[j][u];
            if (act != NN_ACT_NONE) r = _mm512_max_ps(r, z);
            if (act == NN_ACT_RELU6) r = _mm512_min_ps(r, six);
            if (full) _mm512_storeu_ps(y + (size_t)j * c + 16 * u, r);
            else _mm512_mask_storeu_ps(y + (size_t)j * c, m, r);
        }
    }
}

/* n pixels over all c channels: blocks of 8 / n vectors, then single vectors, then a masked
 * tail, so there are always several independent accumulators. */
static inline __attribute__((always_inline)) void
pixels(const int n, const int KW, const float *x0, size_t row, size_t step, int c, int nky,
       int nkx, const float *wb, int kw, const float *b, nn_act act, float *y) {
    int cc = 0;
    const int v = n >= 8 ? 1 : n >= 4 ? 2 : 4; /* n * v accumulators */
    if (v > 1)
        for (; cc + 16 * v <= c; cc += 16 * v)
            block(n, v, KW, 1, 0xFFFF, x0 + cc, row, step, c, nky, nkx, wb + cc, kw, b + cc, act,
                  y + cc);
    for (; cc + 16 <= c; cc += 16)
        block(n, 1, KW, 1, 0xFFFF, x0 + cc, row, step, c, nky, nkx, wb + cc, kw, b + cc, act,
              y + cc);
    if (cc < c)
        block(n, 1, KW, 0, (__mmask16)((1u << (c - cc)) - 1u), x0 + cc, row, step, c, nky, nkx,
              wb + cc, kw, b + cc, act, y + cc);
}

void nn__dwrow_avx512(const float *x, int in_h, int in_w, int c, int iy0, int pad_l, int stride,
                      const float *w, int kh, int kw, const float *b, nn_act act, int out_w,
                      float *y) {
    const int ky0 = iy0 < 0 ? -iy0 : 0;
    const int ky1 = in_h - iy0 < kh ? in_h - iy0 : kh;
    const size_t row = (size_t)in_w * c, step = (size_t)stride * c;
    if (ky1 <= ky0) { /* no input row under the window: bias only */
        for (int ox = 0; ox < out_w; ox++)
            pixels(1, 0, x, row, step, c, 0, 0, w, kw, b, act, y + (size_t)ox * c);
        return;
    }
    const float *xr = x + (size_t)(iy0 + ky0) * row; /* first input row under the window */
    const float *wr = w + (size_t)ky0 * kw * c;      /* its weights, [kh - ky0][kw][c] */
    const int nky = ky1 - ky0;
    int lo, hi;
    nn__dw_interior(in_w, kw, stride, pad_l, out_w, &lo, &hi);
    for (int ox = 0; ox < out_w;) {
        const int ix0 = ox * stride - pad_l;
        float *yo = y + (size_t)ox * c;
        if (ox >= lo && ox < hi) { /* whole window inside: 8, 4, 2 or 1 pixels at a time */
            const float *xo = xr + (size_t)ix0 * c;
            const int n = hi - ox >= 8 ? 8 : hi - ox >= 4 ? 4 : hi - ox >= 2 ? 2 : 1;
#define INTERIOR(N)                                                                            \
    (kw == 3 ? pixels(N, 3, xo, row, step, c, nky, 3, wr, 3, b, act, yo)                    \
             : pixels(N, 0, xo, row, step, c, nky, kw, wr, kw, b, act, yo))
            if (n == 8) INTERIOR(8);
            else if (n == 4) INTERIOR(4);
            else if (n == 2) INTERIOR(2);
            else INTERIOR(1);
#undef INTERIOR
            ox += n;
        } else { /* a border pixel: its window clipped */
            int kx0, kx1;
            nn__dw_taps(ix0, kw, in_w, &kx0, &kx1);
            pixels(1, 0, xr + (size_t)(ix0 + kx0) * c, row, step, c, nky, kx1 - kx0,
                   wr + (size_t)kx0 * c, kw, b, act, yo);
            ox++;
        }
    }
}
