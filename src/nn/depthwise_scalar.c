/*
 * depthwise_scalar.c - the portable depthwise-convolution row, the reference the SIMD rows
 * (depthwise_avx2.c, depthwise_avx512.c) are tested against. NHWC: each tap is a run of c
 * contiguous channels, so the innermost loop runs over channels.
 */
#include "nn/kernel.h"

void nn__dwrow_scalar(const float *x, int in_h, int in_w, int c, int iy0, int pad_l, int stride,
                      const float *w, int kh, int kw, const float *b, nn_act act, int out_w,
                      float *y) {
    const int ky0 = iy0 < 0 ? -iy0 : 0;
    const int ky1 = in_h - iy0 < kh ? in_h - iy0 : kh;
    for (int ox = 0; ox < out_w; ox++) {
        const int ix0 = ox * stride - pad_l;
        int kx0, kx1;
        nn__dw_taps(ix0, kw, in_w, &kx0, &kx1);
        float *o = y + (size_t)ox * c; /* [c] */
        for (int ch = 0; ch < c; ch++) o[ch] = b[ch];
        for (int ky = ky0; ky < ky1; ky++) {
            const float *row = x + (size_t)(iy0 + ky) * in_w * c; /* [in_w][c] */
            for (int kx = kx0; kx < kx1; kx++) {
                const float *xp = row + (size_t)(ix0 + kx) * c;
                const float *wp = w + (size_t)(ky * kw + kx) * c;
                for (int ch = 0; ch < c; ch++) o[ch] += xp[ch] * wp[ch];
            }
        }
        if (act == NN_ACT_RELU)
            for (int ch = 0; ch < c; ch++) o[ch] = o[ch] > 0.0f ? o[ch] : 0.0f;
        else if (act == NN_ACT_RELU6)
            for (int ch = 0; ch < c; ch++)
                o[ch] = o[ch] > 0.0f ? (o[ch] < 6.0f ? o[ch] : 6.0f) : 0.0f;
    }
}
