/*
 * transform.c - EXIF orientation, padding and the float resamplers of transform.h.
 *
 * The resize reproduces TensorFlow's ResizeBilinear (legacy scaler: no align_corners, no half
 * pixel centres) operation for operation in float32, because the face networks were trained
 * and their reference outputs produced on it: a different rounding of the source coordinate
 * moves whole rows. Keep the expressions as they are (no fused or reassociated arithmetic).
 */
#include "image/transform.h"

#include <math.h>
#include <string.h>

#include "image/decode.h"
#include "util/util.h"

/* ------------------------------------------------------------------ orientation, padding */

int bex__image_orient(bex_image *img, int orientation, char *err, size_t errlen) {
    if (!img || !img->px || orientation < 2 || orientation > 8) return BEX_OK;
    const int w = img->width, h = img->height;
    const int swap = orientation >= 5; /* 5..8 turn the image a quarter */
    const int ow = swap ? h : w, oh = swap ? w : h;
    bex_image o = {0, 0, NULL};
    int rc = bex__image_alloc(&o, ow, oh, err, errlen);
    if (rc != BEX_OK) return rc;
    /* For each upright pixel (x, y), the stored pixel (sx, sy) that belongs there. The EXIF
     * spec names each value by where the stored 0th row and 0th column end up. */
    for (int y = 0; y < oh; y++) {
        uint8_t *d = o.px + (size_t)y * ow * 3;
        for (int x = 0; x < ow; x++, d += 3) {
            int sx, sy;
            switch (orientation) {
            case 2: sx = w - 1 - x; sy = y; break;         /* row 0 top, column 0 right */
            case 3: sx = w - 1 - x; sy = h - 1 - y; break; /* row 0 bottom, column 0 right */
            case 4: sx = x; sy = h - 1 - y; break;         /* row 0 bottom, column 0 left */
            case 5: sx = y; sy = x; break;                 /* row 0 left, column 0 top */
            case 6: sx = y; sy = h - 1 - x; break;         /* row 0 right, column 0 top */
            case 7: sx = w - 1 - y; sy = h - 1 - x; break; /* row 0 right, column 0 bottom */
            default: sx = w - 1 - y; sy = x; break;        /* 8: row 0 left, column 0 bottom */
            }
            memcpy(d, img->px + ((size_t)sy * w + sx) * 3, 3);
        }
    }
    bex__free(img->px);
    *img = o;
    return BEX_OK;
}

int bex__image_pad(const bex_image *src, int border_px, const uint8_t rgb[3], bex_image *out,
                   char *err, size_t errlen) {
    if (!src || !src->px || src->width <= 0 || src->height <= 0 || !rgb || !out ||
        border_px < 0 || border_px > BEX__IMAGE_MAX_SIDE)
        return bex__fail(err, errlen, BEX_ERR_ARG, "bex__image_pad: invalid image or border");
    int64_t nw = (int64_t)src->width + 2 * (int64_t)border_px;
    int64_t nh = (int64_t)src->height + 2 * (int64_t)border_px;
    if (nw > 2 * BEX__IMAGE_MAX_SIDE || nh > 2 * BEX__IMAGE_MAX_SIDE)
        return bex__fail(err, errlen, BEX_ERR_LIMIT, "padded image of %lldx%lld px is too large",
                         (long long)nw, (long long)nh);
    bex_image o = {0, 0, NULL};
    int rc = bex__image_alloc(&o, (int)nw, (int)nh, err, errlen);
    if (rc != BEX_OK) return rc;
    for (size_t i = 0, n = (size_t)nw * (size_t)nh; i < n; i++) memcpy(o.px + i * 3, rgb, 3);
    for (int y = 0; y < src->height; y++)
        memcpy(o.px + (((size_t)y + border_px) * (size_t)nw + border_px) * 3,
               src->px + (size_t)y * src->width * 3, (size_t)src->width * 3);
    *out = o;
    return BEX_OK;
}

/* ------------------------------------------------------------------ bilinear resize */

/* TensorFlow's compute_interpolation_weights for one output index. */
typedef struct { int lo, hi; float frac; } tf_weight;

static tf_weight tf_weight_at(int d, float scale, int in_size) {
    const float s = (float)d * scale;
    const float s_floor = floorf(s);
    tf_weight w;
    w.lo = (int)s_floor;
    w.hi = (int)ceilf(s);
    if (w.hi > in_size - 1) w.hi = in_size - 1;
    if (w.lo > in_size - 1) w.lo = in_size - 1; /* cannot happen below 2^24 px; kept for safety */
    w.frac = s - s_floor;
    return w;
}

/*
 * The kernel behind both public resizes: resizes a virtual canvas_w x canvas_h image that is
 * zero except for the crop [cx, cy, cw, ch] of src placed at (pad_left, pad_top).
 * A canvas row/column outside the crop reads as 0.0f, exactly what tf.fill(0) + concat gives.
 */
static void resize_virtual(const bex_image *src, int cx, int cy, int cw, int ch, int pad_left,
                           int pad_top, int canvas_w, int canvas_h, int out_w, int out_h,
                           float *out) {
    static const uint8_t zero3[3] = {0, 0, 0}; /* stands for a pixel of the zero padding */
    enum { BLOCK = 256 };                       /* output columns whose weights are tabulated */
    const float yscale = (float)canvas_h / (float)out_h;
    const float xscale = (float)canvas_w / (float)out_w;
    const size_t stride = (size_t)src->width * 3;
    /* the column weights depend on the column only: compute them once per block of columns
     * rather than once per output pixel */
    int lx[BLOCK], rx[BLOCK];
    float fx[BLOCK];
    for (int c0 = 0; c0 < out_w; c0 += BLOCK) {
        const int nb = out_w - c0 < BLOCK ? out_w - c0 : BLOCK;
        for (int j = 0; j < nb; j++) {
            const tf_weight wx = tf_weight_at(c0 + j, xscale, canvas_w);
            lx[j] = wx.lo - pad_left;
            rx[j] = wx.hi - pad_left;
            fx[j] = wx.frac;
        }
        for (int r = 0; r < out_h; r++) {
            const tf_weight wy = tf_weight_at(r, yscale, canvas_h);
            /* row pointers into src at the crop's left edge, or NULL for a zero row */
            const int ty = wy.lo - pad_top, by = wy.hi - pad_top;
            const uint8_t *top = (ty >= 0 && ty < ch) ? src->px + (size_t)(cy + ty) * stride + (size_t)cx * 3 : NULL;
            const uint8_t *bot = (by >= 0 && by < ch) ? src->px + (size_t)(cy + by) * stride + (size_t)cx * 3 : NULL;
            float *o = out + ((size_t)r * out_w + c0) * 3;
            for (int j = 0; j < nb; j++, o += 3) {
                const int lok = lx[j] >= 0 && lx[j] < cw, rok = rx[j] >= 0 && rx[j] < cw;
                const uint8_t *ptl = (top && lok) ? top + (size_t)lx[j] * 3 : zero3;
                const uint8_t *ptr = (top && rok) ? top + (size_t)rx[j] * 3 : zero3;
                const uint8_t *pbl = (bot && lok) ? bot + (size_t)lx[j] * 3 : zero3;
                const uint8_t *pbr = (bot && rok) ? bot + (size_t)rx[j] * 3 : zero3;
                const float f = fx[j];
                for (int k = 0; k < 3; k++) {
                    const float tl = (float)ptl[k], tr = (float)ptr[k];
                    const float bl = (float)pbl[k], br = (float)pbr[k];
                    const float t = tl + (tr - tl) * f;
                    const float b = bl + (br - bl) * f;
                    o[k] = t + (b - t) * wy.frac;
                }
            }
        }
    }
}

static int image_ok(const bex_image *im) {
    return im && im->px && im->width > 0 && im->height > 0 && im->width <= BEX__IMAGE_MAX_SIDE * 2 &&
           im->height <= BEX__IMAGE_MAX_SIDE * 2;
}

int bex__image_resize_bilinear_f32(const bex_image *src, int out_w, int out_h, float *out) {
    if (!image_ok(src) || !out || out_w <= 0 || out_h <= 0) return BEX_ERR_ARG;
    resize_virtual(src, 0, 0, src->width, src->height, 0, 0, src->width, src->height, out_w,
                   out_h, out);
    return BEX_OK;
}

int bex__image_crop_pad_resize_f32(const bex_image *src, int cx, int cy, int cw, int ch,
                                   int pad_left, int pad_top, int canvas, int out_size,
                                   float *out) {
    if (!image_ok(src) || !out || out_size <= 0 || cw <= 0 || ch <= 0 || cx < 0 || cy < 0 ||
        cx > src->width - cw || cy > src->height - ch || pad_left < 0 || pad_top < 0 ||
        canvas <= 0 || pad_left > canvas - cw || pad_top > canvas - ch)
        return BEX_ERR_ARG;
    resize_virtual(src, cx, cy, cw, ch, pad_left, pad_top, canvas, canvas, out_size, out_size,
                   out);
    return BEX_OK;
}

int bex__image_centre_pad(int w, int h, int *pad_left, int *pad_top) {
    const int d = w > h ? w - h : h - w;
    const int after = (int)floor((double)d * 0.5 + 0.5); /* Math.round(d * 0.5) */
    const int before = d - after;
    *pad_left = w < h ? before : 0;
    *pad_top = h < w ? before : 0;
    return w > h ? w : h;
}

/* ------------------------------------------------------------------ affine warp */

int bex__image_warp_affine_f32(const bex_image *src, const float m[6], int out_w, int out_h,
                               float *out) {
    if (!image_ok(src) || !m || !out || out_w <= 0 || out_h <= 0) return BEX_ERR_ARG;
    const int w = src->width, h = src->height;
    const size_t stride = (size_t)w * 3;
    float *o = out;
    for (int v = 0; v < out_h; v++) {
        for (int u = 0; u < out_w; u++, o += 3) {
            /* double for the coordinate: float loses sub-pixel precision on large images */
            const double x = (double)m[0] * u + (double)m[1] * v + (double)m[2];
            const double y = (double)m[3] * u + (double)m[4] * v + (double)m[5];
            if (!(x > -1.0 && x < (double)w && y > -1.0 && y < (double)h)) { /* also NaN */
                o[0] = o[1] = o[2] = 0.0f;
                continue;
            }
            const double xf0 = floor(x), yf0 = floor(y);
            const int x0 = (int)xf0, y0 = (int)yf0, x1 = x0 + 1, y1 = y0 + 1;
            const float fx = (float)(x - xf0), fy = (float)(y - yf0);
            const int x0ok = x0 >= 0, x1ok = x1 < w, y0ok = y0 >= 0, y1ok = y1 < h;
            const uint8_t *r0 = y0ok ? src->px + (size_t)y0 * stride : NULL;
            const uint8_t *r1 = y1ok ? src->px + (size_t)y1 * stride : NULL;
            for (int k = 0; k < 3; k++) {
                const float tl = (r0 && x0ok) ? (float)r0[(size_t)x0 * 3 + k] : 0.0f;
                const float tr = (r0 && x1ok) ? (float)r0[(size_t)x1 * 3 + k] : 0.0f;
                const float bl = (r1 && x0ok) ? (float)r1[(size_t)x0 * 3 + k] : 0.0f;
                const float br = (r1 && x1ok) ? (float)r1[(size_t)x1 * 3 + k] : 0.0f;
                const float t = tl + (tr - tl) * fx;
                const float b = bl + (br - bl) * fx;
                o[k] = t + (b - t) * fy;
            }
        }
    }
    return BEX_OK;
}
