/*
 * ops.c - nn's layers on NHWC tensors: convolution (1x1 straight into the packed GEMM,
 * others through im2col in blocks of output rows), depthwise convolution (one row at a
 * time through the kernel's depthwise row), pooling, element-wise ops, mean and matvec.
 *
 * Everything here is portable C; the time goes into the kernels behind the seam
 * (kernel.c). Buffers belong to the caller and nothing is allocated per call.
 */
#include <assert.h>
#include <float.h>
#include <string.h>

#include "nn/kernel.h"
#include "util/util.h"

/* Sizes above these are refused at init: K (kh * kw * cin) and channel counts. */
#define NN_MAX_K (1 << 22)
#define NN_MAX_C (1 << 20)

/* ---------------------------------------------------------------- padding */

int nn_out_size(int in, int k, int stride, nn_pad pad) {
    if (in < 1 || k < 1 || stride < 1) return 0;
    if (pad == NN_PAD_SAME) return (in - 1) / stride + 1; /* ceil(in / stride) */
    return in < k ? 0 : (in - k) / stride + 1;           /* ceil((in - k + 1) / stride) */
}

/* TF SAME: total = max((out - 1) * s + k - in, 0), the smaller half before. */
static int pad_before(int in, int k, int stride, nn_pad pad) {
    if (pad != NN_PAD_SAME) return 0;
    int total = (nn_out_size(in, k, stride, pad) - 1) * stride + k - in;
    return total > 0 ? total / 2 : 0;
}

static inline float act1(float v, nn_act act) {
    if (act == NN_ACT_RELU) return v > 0.0f ? v : 0.0f;
    if (act == NN_ACT_RELU6) return v > 0.0f ? (v < 6.0f ? v : 6.0f) : 0.0f;
    return v;
}

/* ---------------------------------------------------------------- convolution */

/* Copies, folds the per-output-channel affine, checks sizes. Shared by conv and dwconv:
 * w is [rows][n]; scale and shift act along n. */
static int copy_fold(int rows, int n, const float *w, const float *bias, const float *scale,
                     const float *shift, float **w_out, float **b_out) {
    size_t count, bytes;
    if (!bex__mul_size((size_t)rows, (size_t)n, &count) ||
        !bex__mul_size(count, sizeof(float), &bytes))
        return BEX_ERR_ARG;
    float *wc = bex__malloc(bytes), *bc = bex__malloc((size_t)n * sizeof(float));
    if (!wc || !bc) {
        bex__free(wc);
        bex__free(bc);
        return BEX_ERR_NOMEM;
    }
    for (int r = 0; r < rows; r++) {
        const float *src = w + (size_t)r * n;
        float *dst = wc + (size_t)r * n;
        for (int o = 0; o < n; o++) dst[o] = scale ? src[o] * scale[o] : src[o];
    }
    for (int o = 0; o < n; o++) {
        float b = bias ? bias[o] : 0.0f;
        bc[o] = (scale ? b * scale[o] : b) + (shift ? shift[o] : 0.0f);
    }
    *w_out = wc;
    *b_out = bc;
    return BEX_OK;
}

int nn_conv_init(nn_conv *cv, int kh, int kw, int cin, int cout, const float *w,
                 const float *bias, const float *scale, const float *shift) {
    memset(cv, 0, sizeof *cv);
    if (kh < 1 || kw < 1 || cin < 1 || cout < 1 || cout > NN_MAX_C || kh > NN_MAX_K ||
        kw > NN_MAX_K / kh || cin > NN_MAX_K / (kh * kw) || !w)
        return BEX_ERR_ARG;
    const int K = kh * kw * cin;
    const nn_kernel *k = nn_kernel_current();
    size_t pfloats = nn_pack_b_size(k, K, cout), pbytes;
    if (!pfloats || !bex__mul_size(pfloats, sizeof(float), &pbytes)) return BEX_ERR_ARG;
    int rc = copy_fold(K, cout, w, bias, scale, shift, &cv->w, &cv->b);
    if (rc != BEX_OK) return rc;
    float *packed = bex__malloc_aligned(pbytes);
    if (!packed) {
        nn_conv_free(cv);
        return BEX_ERR_NOMEM;
    }
    nn_pack_b(k, K, cout, cv->w, (size_t)cout, cv->b, packed); /* w as B[K][cout] */
    cv->packed = packed;
    cv->kernel = k;
    cv->kh = kh;
    cv->kw = kw;
    cv->cin = cin;
    cv->cout = cout;
    return BEX_OK;
}

void nn_conv_free(nn_conv *cv) {
    if (!cv) return;
    bex__free(cv->w);
    bex__free(cv->b);
    bex__free_aligned(cv->packed);
    memset(cv, 0, sizeof *cv);
}

static int is_pointwise(const nn_conv *cv, int stride) {
    return cv->kh == 1 && cv->kw == 1 && stride == 1;
}

/* Output rows (pixels) per im2col block: about 256 KiB of A so the block is still in L2
 * when the GEMM reads it; a multiple of 84 (every kernel's mr divides it), at least 84. */
static int im2col_rows(int K, int M) {
    int mb = 65536 / K;
    mb -= mb % 84;
    if (mb < 84) mb = 84;
    return mb < M ? mb : M;
}

size_t nn_conv2d_scratch(const nn_conv *cv, int in_h, int in_w, int stride, nn_pad pad) {
    if (is_pointwise(cv, stride)) return 0;
    int oh = nn_out_size(in_h, cv->kh, stride, pad), ow = nn_out_size(in_w, cv->kw, stride, pad);
    size_t M, n;
    if (!bex__mul_size((size_t)oh, (size_t)ow, &M) || M == 0 || M > INT32_MAX) return 0;
    const int K = cv->kh * cv->kw * cv->cin;
    if (!bex__mul_size((size_t)im2col_rows(K, (int)M), (size_t)K, &n)) return 0;
    return n;
}

/* dst[0 .. n) = src[0 .. n): runs here are short (kw * cin floats, 9 for SSD's first layer),
 * where a call to memcpy costs more than the copy; fixed-size chunks compile to plain moves. */
static inline void copy_run(float *dst, const float *src, size_t n) {
    for (; n >= 8; n -= 8, dst += 8, src += 8) memcpy(dst, src, 8 * sizeof *dst);
    for (; n > 0; n--) *dst++ = *src++;
}

/* Rows m0 .. m0 + n - 1 of the im2col matrix into dst[n][kh * kw * cin]: for output pixel
 * (oy, ox), the kh x kw x cin window at (oy * s - pad_t, ox * s - pad_l), zeros outside. */
static void im2col(const nn_tensor *x, int kh, int kw, int stride, int pad_t, int pad_l,
                   int out_w, int m0, int n, float *dst) {
    const int cin = x->c, K = kh * kw * cin;
    const size_t run = (size_t)kw * cin, row = (size_t)x->w * cin; /* floats */
    int lo, hi; /* output columns whose window lies inside the row */
    nn__dw_interior(x->w, kw, stride, pad_l, out_w, &lo, &hi);
    int oy = m0 / out_w, ox = m0 % out_w;
    for (int r = 0; r < n; r++, dst += K) {
        const int iy0 = oy * stride - pad_t, ix0 = ox * stride - pad_l;
        if (ox >= lo && ox < hi && iy0 >= 0 && iy0 + kh <= x->h) { /* the window is inside */
            const float *src = x->d + (size_t)iy0 * row + (size_t)ix0 * cin;
            for (int ky = 0; ky < kh; ky++) copy_run(dst + ky * run, src + ky * row, run);
        } else {
            int kx0, kx1;
            nn__dw_taps(ix0, kw, x->w, &kx0, &kx1);
            for (int ky = 0; ky < kh; ky++) {
                float *d = dst + ky * run; /* [kw][cin] */
                const int iy = iy0 + ky;
                if (iy < 0 || iy >= x->h || kx1 <= kx0) {
                    memset(d, 0, run * sizeof *d);
                    continue;
                }
                if (kx0 > 0) memset(d, 0, (size_t)kx0 * cin * sizeof *d);
                /* the taps inside the image are one contiguous run of NHWC memory */
                copy_run(d + (size_t)kx0 * cin, x->d + (size_t)iy * row + (size_t)(ix0 + kx0) * cin,
                         (size_t)(kx1 - kx0) * cin);
                if (kx1 < kw)
                    memset(d + (size_t)kx1 * cin, 0, (size_t)(kw - kx1) * cin * sizeof *d);
            }
        }
        if (++ox == out_w) {
            ox = 0;
            oy++;
        }
    }
}

void nn_conv2d(const nn_conv *cv, const nn_tensor *x, int stride, nn_pad pad, nn_act act,
               nn_tensor *y, float *scratch) {
    assert(cv->packed && x->c == cv->cin && y->c == cv->cout);
    assert(y->h == nn_out_size(x->h, cv->kh, stride, pad) &&
           y->w == nn_out_size(x->w, cv->kw, stride, pad));
    const int M = y->h * y->w, N = cv->cout, K = cv->kh * cv->kw * cv->cin;
    if (M <= 0) return;
    if (is_pointwise(cv, stride)) { /* x is already A[M][cin] */
        nn_gemm_packed(cv->kernel, M, N, K, x->d, (size_t)K, cv->packed, act, y->d, (size_t)N);
        return;
    }
    const int pad_t = pad_before(x->h, cv->kh, stride, pad);
    const int pad_l = pad_before(x->w, cv->kw, stride, pad);
    const int mb = im2col_rows(K, M);
    for (int m0 = 0; m0 < M; m0 += mb) {
        const int n = M - m0 < mb ? M - m0 : mb;
        im2col(x, cv->kh, cv->kw, stride, pad_t, pad_l, y->w, m0, n, scratch); /* [n][K] */
        nn_gemm_packed(cv->kernel, n, N, K, scratch, (size_t)K, cv->packed, act,
                       y->d + (size_t)m0 * N, (size_t)N); /* [n][N] */
    }
}

/* The general im2col: rows m0 .. m0 + n - 1 for any strides and dilations, one tap at a time
 * (the exotic geometries only; the common ones go through im2col above). */
static void im2col_ex(const nn_tensor *x, int kh, int kw, const nn_conv_geom *g, int out_w,
                      int m0, int n, float *dst) {
    const int cin = x->c, K = kh * kw * cin;
    int oy = m0 / out_w, ox = m0 % out_w;
    for (int r = 0; r < n; r++, dst += K) {
        const int iy0 = oy * g->stride_h - g->pad_t, ix0 = ox * g->stride_w - g->pad_l;
        for (int ky = 0; ky < kh; ky++) {
            const int iy = iy0 + ky * g->dil_h;
            for (int kx = 0; kx < kw; kx++) {
                const int ix = ix0 + kx * g->dil_w;
                float *d = dst + ((size_t)ky * kw + kx) * cin;
                if (iy < 0 || iy >= x->h || ix < 0 || ix >= x->w)
                    memset(d, 0, (size_t)cin * sizeof *d);
                else
                    copy_run(d, x->d + ((size_t)iy * x->w + ix) * cin, (size_t)cin);
            }
        }
        if (++ox == out_w) {
            ox = 0;
            oy++;
        }
    }
}

static int is_pointwise_ex(const nn_conv *cv, const nn_conv_geom *g) {
    return cv->kh == 1 && cv->kw == 1 && g->stride_h == 1 && g->stride_w == 1 && g->pad_t == 0 &&
           g->pad_l == 0;
}

size_t nn_conv2d_ex_scratch(const nn_conv *cv, int out_h, int out_w, const nn_conv_geom *g) {
    if (is_pointwise_ex(cv, g)) return 0;
    size_t M, n;
    if (out_h < 1 || out_w < 1 || !bex__mul_size((size_t)out_h, (size_t)out_w, &M) ||
        M > INT32_MAX)
        return 0;
    const int K = cv->kh * cv->kw * cv->cin;
    if (!bex__mul_size((size_t)im2col_rows(K, (int)M), (size_t)K, &n)) return 0;
    return n;
}

void nn_conv2d_ex(const nn_conv *cv, const nn_tensor *x, const nn_conv_geom *g, nn_act act,
                  nn_tensor *y, float *scratch) {
    assert(cv->packed && x->c == cv->cin && y->c == cv->cout);
    const int M = y->h * y->w, N = cv->cout, K = cv->kh * cv->kw * cv->cin;
    if (M <= 0) return;
    if (is_pointwise_ex(cv, g) && y->h == x->h && y->w == x->w) {
        nn_gemm_packed(cv->kernel, M, N, K, x->d, (size_t)K, cv->packed, act, y->d, (size_t)N);
        return;
    }
    const int simple = g->stride_h == g->stride_w && g->dil_h == 1 && g->dil_w == 1;
    const int mb = im2col_rows(K, M);
    for (int m0 = 0; m0 < M; m0 += mb) {
        const int n = M - m0 < mb ? M - m0 : mb;
        if (simple)
            im2col(x, cv->kh, cv->kw, g->stride_h, g->pad_t, g->pad_l, y->w, m0, n, scratch);
        else
            im2col_ex(x, cv->kh, cv->kw, g, y->w, m0, n, scratch);
        nn_gemm_packed(cv->kernel, n, N, K, scratch, (size_t)K, cv->packed, act,
                       y->d + (size_t)m0 * N, (size_t)N);
    }
}

/* ---------------------------------------------------------------- depthwise */

int nn_dwconv_init(nn_dwconv *dw, int kh, int kw, int c, const float *w, const float *bias,
                   const float *scale, const float *shift) {
    memset(dw, 0, sizeof *dw);
    if (kh < 1 || kw < 1 || c < 1 || c > NN_MAX_C || kh > 4096 || kw > 4096 || !w)
        return BEX_ERR_ARG;
    int rc = copy_fold(kh * kw, c, w, bias, scale, shift, &dw->w, &dw->b);
    if (rc != BEX_OK) return rc;
    dw->kh = kh;
    dw->kw = kw;
    dw->c = c;
    return BEX_OK;
}

void nn_dwconv_free(nn_dwconv *dw) {
    if (!dw) return;
    bex__free(dw->w);
    bex__free(dw->b);
    memset(dw, 0, sizeof *dw);
}

void nn_depthwise(const nn_dwconv *dw, const nn_tensor *x, int stride, nn_pad pad, nn_act act,
                  nn_tensor *y) {
    assert(dw->w && x->c == dw->c && y->c == dw->c);
    assert(y->h == nn_out_size(x->h, dw->kh, stride, pad) &&
           y->w == nn_out_size(x->w, dw->kw, stride, pad));
    const nn_kernel *k = nn_kernel_current();
    const int pad_t = pad_before(x->h, dw->kh, stride, pad);
    const int pad_l = pad_before(x->w, dw->kw, stride, pad);
    for (int oy = 0; oy < y->h; oy++)
        k->dwrow(x->d, x->h, x->w, x->c, oy * stride - pad_t, pad_l, stride, dw->w, dw->kh,
                 dw->kw, dw->b, act, y->w, y->d + (size_t)oy * y->w * y->c); /* [out_w][c] */
}

void nn_depthwise_ex(const nn_dwconv *dw, const nn_tensor *x, int stride, int pad_t, int pad_l,
                     nn_act act, nn_tensor *y) {
    assert(dw->w && x->c == dw->c && y->c == dw->c);
    const nn_kernel *k = nn_kernel_current();
    for (int oy = 0; oy < y->h; oy++)
        k->dwrow(x->d, x->h, x->w, x->c, oy * stride - pad_t, pad_l, stride, dw->w, dw->kh,
                 dw->kw, dw->b, act, y->w, y->d + (size_t)oy * y->w * y->c);
}

/* ---------------------------------------------------------------- pooling */

/* The window of output (oy, ox) clipped to the image: rows [*y0, *y1), columns [*x0, *x1). */
static void window(const nn_tensor *x, int k, int stride, int pad_t, int pad_l, int oy, int ox,
                   int *y0, int *y1, int *x0, int *x1) {
    int a = oy * stride - pad_t, b = ox * stride - pad_l;
    *y0 = a < 0 ? 0 : a;
    *y1 = a + k > x->h ? x->h : a + k;
    *x0 = b < 0 ? 0 : b;
    *x1 = b + k > x->w ? x->w : b + k;
}

void nn_maxpool(const nn_tensor *x, int k, int stride, nn_pad pad, nn_tensor *y) {
    assert(y->c == x->c && y->h == nn_out_size(x->h, k, stride, pad) &&
           y->w == nn_out_size(x->w, k, stride, pad));
    const int c = x->c, pt = pad_before(x->h, k, stride, pad);
    const int pl = pad_before(x->w, k, stride, pad);
    for (int oy = 0; oy < y->h; oy++)
        for (int ox = 0; ox < y->w; ox++) {
            float *o = y->d + ((size_t)oy * y->w + ox) * c; /* [c] */
            int y0, y1, x0, x1;
            window(x, k, stride, pt, pl, oy, ox, &y0, &y1, &x0, &x1);
            for (int ch = 0; ch < c; ch++) o[ch] = -FLT_MAX;
            for (int iy = y0; iy < y1; iy++)
                for (int ix = x0; ix < x1; ix++) {
                    const float *p = x->d + ((size_t)iy * x->w + ix) * c;
                    for (int ch = 0; ch < c; ch++) o[ch] = p[ch] > o[ch] ? p[ch] : o[ch];
                }
        }
}

void nn_avgpool(const nn_tensor *x, int k, int stride, nn_pad pad, nn_tensor *y) {
    assert(y->c == x->c && y->h == nn_out_size(x->h, k, stride, pad) &&
           y->w == nn_out_size(x->w, k, stride, pad));
    const int c = x->c, pt = pad_before(x->h, k, stride, pad);
    const int pl = pad_before(x->w, k, stride, pad);
    for (int oy = 0; oy < y->h; oy++)
        for (int ox = 0; ox < y->w; ox++) {
            float *o = y->d + ((size_t)oy * y->w + ox) * c; /* [c] */
            int y0, y1, x0, x1;
            window(x, k, stride, pt, pl, oy, ox, &y0, &y1, &x0, &x1);
            for (int ch = 0; ch < c; ch++) o[ch] = 0.0f;
            for (int iy = y0; iy < y1; iy++)
                for (int ix = x0; ix < x1; ix++) {
                    const float *p = x->d + ((size_t)iy * x->w + ix) * c;
                    for (int ch = 0; ch < c; ch++) o[ch] += p[ch];
                }
            const int n = (y1 - y0) * (x1 - x0); /* pixels inside the image only, as TF */
            const float inv = n > 0 ? 1.0f / (float)n : 0.0f;
            for (int ch = 0; ch < c; ch++) o[ch] *= inv;
        }
}

/* ---------------------------------------------------------------- element-wise */

/* Element-wise loops, one per activation so that each vectorises (y may alias a or b only
 * element for element, hence ivdep). */
__attribute__((optimize("O3"))) void nn_add(const nn_tensor *a, const nn_tensor *b, nn_act act, nn_tensor *y) {
    assert(a->h == b->h && a->w == b->w && a->c == b->c && y->h == a->h && y->w == a->w &&
           y->c == a->c);
    const size_t n = (size_t)a->h * a->w * a->c;
    const float *pa = a->d, *pb = b->d;
    float *py = y->d;
    switch (act) {
    case NN_ACT_NONE:
#pragma GCC ivdep
        for (size_t i = 0; i < n; i++) py[i] = pa[i] + pb[i];
        break;
    case NN_ACT_RELU:
#pragma GCC ivdep
        for (size_t i = 0; i < n; i++) {
            const float v = pa[i] + pb[i];
            py[i] = v > 0.0f ? v : 0.0f;
        }
        break;
    default:
#pragma GCC ivdep
        for (size_t i = 0; i < n; i++) py[i] = act1(pa[i] + pb[i], act);
        break;
    }
}

__attribute__((optimize("O3"))) void nn_activate(nn_tensor *x, nn_act act) {
    const size_t n = (size_t)x->h * x->w * x->c;
    float *p = x->d;
    if (act == NN_ACT_RELU) {
        for (size_t i = 0; i < n; i++) p[i] = p[i] > 0.0f ? p[i] : 0.0f;
    } else if (act != NN_ACT_NONE) {
        for (size_t i = 0; i < n; i++) p[i] = act1(p[i], act);
    }
}

void nn_mean_hw(const nn_tensor *x, float *out) {
    const int c = x->c;
    const size_t n = (size_t)x->h * x->w;
    for (int ch = 0; ch < c; ch++) out[ch] = 0.0f;
    for (size_t i = 0; i < n; i++) {
        const float *p = x->d + i * c;
        for (int ch = 0; ch < c; ch++) out[ch] += p[ch];
    }
    const float inv = n ? 1.0f / (float)n : 0.0f;
    for (int ch = 0; ch < c; ch++) out[ch] *= inv;
}

void nn_matvec(const float *x, const float *w, const float *bias, int K, int N, float *out) {
    for (int n = 0; n < N; n++) out[n] = bias ? bias[n] : 0.0f;
    for (int k = 0; k < K; k++) { /* out += x[k] * w[k][:] : contiguous rows of w */
        const float xk = x[k], *row = w + (size_t)k * N;
        for (int n = 0; n < N; n++) out[n] += xk * row[n];
    }
}
