/*
 * scan_scalar.c - the reference scoring kernels (scan.h) and the format conversions.
 */
#include <math.h>
#include <string.h>

#include "index/scan.h"

uint16_t ix_f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u, e = (x >> 23) & 0xffu, m = x & 0x7fffffu;
    if (e == 0xffu) return (uint16_t)(sign | 0x7c00u | (m ? 0x200u : 0)); /* inf, nan */
    int ex = (int)e - 127 + 15;
    if (ex >= 31) return (uint16_t)(sign | 0x7c00u);                       /* overflow */
    if (ex <= 0) {                                                          /* subnormal or zero */
        if (ex < -10) return (uint16_t)sign;
        m |= 0x800000u;
        int shift = 14 - ex;
        uint32_t hm = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (hm & 1))) hm++;
        return (uint16_t)(sign | hm);
    }
    uint32_t hm = m >> 13, rem = m & 0x1fffu;
    uint32_t h = sign | ((uint32_t)ex << 10) | hm;
    if (rem > 0x1000u || (rem == 0x1000u && (hm & 1))) h++; /* may carry into the exponent: fine */
    return (uint16_t)h;
}

float ix_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, x;
    if (e == 0) {
        if (!m) x = sign;
        else { /* subnormal: normalise */
            int k = -1;
            do { m <<= 1; k++; } while (!(m & 0x400u));
            x = sign | ((uint32_t)(127 - 15 - k) << 23) | ((m & 0x3ffu) << 13);
        }
    } else if (e == 31) x = sign | 0x7f800000u | (m << 13);
    else x = sign | ((e - 15 + 127) << 23) | (m << 13);
    float f;
    memcpy(&f, &x, 4);
    return f;
}

float ix_quantize_i8(const float *x, int n, int8_t *q) {
    float mx = 0;
    for (int i = 0; i < n; i++) mx = fmaxf(mx, fabsf(x[i]));
    float scale = mx > 0 ? mx / 127.0f : 1.0f, inv = 1.0f / scale;
    for (int i = 0; i < n; i++) {
        float v = nearbyintf(x[i] * inv);
        q[i] = (int8_t)(v > 127 ? 127 : v < -127 ? -127 : v);
    }
    return scale;
}

static void dot_f32(const float *q, const float *x, size_t n, int stride, float *out) {
    for (size_t r = 0; r < n; r++) {
        const float *row = x + r * (size_t)stride;
        double s = 0;
        for (int d = 0; d < stride; d++) s += (double)q[d] * row[d];
        out[r] = (float)s;
    }
}

static void dot_f16(const float *q, const uint16_t *x, size_t n, int stride, float *out) {
    for (size_t r = 0; r < n; r++) {
        const uint16_t *row = x + r * (size_t)stride;
        double s = 0;
        for (int d = 0; d < stride; d++) s += (double)q[d] * ix_f16_to_f32(row[d]);
        out[r] = (float)s;
    }
}

static void dot_i8(const int8_t *q, float qscale, const int8_t *x, const float *xscale, size_t n,
                   int stride, float *out) {
    for (size_t r = 0; r < n; r++) {
        const int8_t *row = x + r * (size_t)stride;
        int32_t s = 0;
        for (int d = 0; d < stride; d++) s += (int32_t)q[d] * row[d];
        out[r] = (float)s * qscale * xscale[r];
    }
}

static void dot_f32_batch(const float *q, size_t nq, const float *x, size_t n, int stride, float *out,
                          size_t ldo) {
    for (size_t i = 0; i < nq; i++) dot_f32(q + i * (size_t)stride, x, n, stride, out + i * ldo);
}

static void dot_f16_batch(const float *q, size_t nq, const uint16_t *x, size_t n, int stride,
                          float *out, size_t ldo) {
    for (size_t i = 0; i < nq; i++) dot_f16(q + i * (size_t)stride, x, n, stride, out + i * ldo);
}

static void dot_i8_batch(const int8_t *q, const float *qscale, size_t nq, const int8_t *x,
                         const float *xscale, size_t n, int stride, float *out, size_t ldo) {
    for (size_t i = 0; i < nq; i++) dot_i8(q + i * (size_t)stride, qscale[i], x, xscale, n, stride, out + i * ldo);
}

static float max_f32(const float *x, size_t n) {
    float m = -INFINITY;
    for (size_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}

const ix_kernel ix_kernel_scalar = {"scalar", dot_f32, dot_f16, dot_i8, dot_f32_batch, dot_f16_batch,
                                    dot_i8_batch, max_f32};
