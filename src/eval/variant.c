/*
 * variant.c - the image conditions `bex eval --variant` measures (include/bex/eval.h): a tight
 * crop of the face, a dark exposure (gamma 2.5) and light from one side (a gain ramp). They
 * turn LFW's well-lit news photos into the hard captures a kiosk sees, so that failure to
 * acquire and accuracy can be measured on them with the same protocol.
 */
#include <math.h>
#include <string.h>

#include "bex/eval.h"
#include "util/util.h"

#define TIGHT_CROP_PX 150 /* the central square kept */
#define TIGHT_OUT_PX 100  /* and its size after resizing */
#define DARK_GAMMA 2.5
#define SIDE_GAIN_LEFT 0.15 /* gain at x = 0, rising linearly to 1 at x = width - 1 */

static const char *const names[4] = {"full", "tight", "dark", "sidelight"};

const char *bex_variant_name(bex_variant v) {
    return (unsigned)v < 4 ? names[v] : NULL;
}

int bex_variant_parse(const char *name, bex_variant *out) {
    for (int i = 0; name && i < 4; i++)
        if (!strcmp(name, names[i])) {
            *out = (bex_variant)i;
            return BEX_OK;
        }
    return BEX_ERR_ARG;
}

static uint8_t clamp_u8(double v) {
    return v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)(v + 0.5);
}

/* The central crop (cw x ch at cx, cy) resized to ow x oh with pixel centres aligned:
 * s = (d + 0.5) * scale - 0.5, neighbours clamped to the crop (OpenCV INTER_LINEAR). */
static void crop_resize(const bex_image *src, int cx, int cy, int cw, int ch, int ow, int oh, uint8_t *out) {
    double sx = (double)cw / ow, sy = (double)ch / oh;
    for (int v = 0; v < oh; v++) {
        double y = (v + 0.5) * sy - 0.5;
        if (y < 0) y = 0;
        int y0 = (int)y, y1 = y0 + 1 < ch ? y0 + 1 : ch - 1;
        double fy = y - y0;
        for (int u = 0; u < ow; u++) {
            double x = (u + 0.5) * sx - 0.5;
            if (x < 0) x = 0;
            int x0 = (int)x, x1 = x0 + 1 < cw ? x0 + 1 : cw - 1;
            double fx = x - x0;
            const uint8_t *r0 = src->px + ((size_t)(cy + y0) * src->width + cx) * 3;
            const uint8_t *r1 = src->px + ((size_t)(cy + y1) * src->width + cx) * 3;
            for (int c = 0; c < 3; c++) {
                double top = r0[x0 * 3 + c] + (r0[x1 * 3 + c] - r0[x0 * 3 + c]) * fx;
                double bot = r1[x0 * 3 + c] + (r1[x1 * 3 + c] - r1[x0 * 3 + c]) * fx;
                out[((size_t)v * ow + u) * 3 + c] = clamp_u8(top + (bot - top) * fy);
            }
        }
    }
}

int bex_variant_apply(bex_image *img, bex_variant v, char *err, size_t errlen) {
    if (!img || !img->px || img->width <= 0 || img->height <= 0 || (unsigned)v > BEX_VARIANT_SIDELIGHT)
        return bex__fail(err, errlen, BEX_ERR_ARG, "invalid arguments to bex_variant_apply");
    size_t n = (size_t)img->width * img->height;
    if (v == BEX_VARIANT_DARK) {
        uint8_t lut[256];
        for (int i = 0; i < 256; i++) lut[i] = clamp_u8(255.0 * pow(i / 255.0, DARK_GAMMA));
        for (size_t i = 0; i < n * 3; i++) img->px[i] = lut[img->px[i]];
    } else if (v == BEX_VARIANT_SIDELIGHT) {
        for (int x = 0; x < img->width; x++) {
            double g = img->width > 1 ? SIDE_GAIN_LEFT + (1.0 - SIDE_GAIN_LEFT) * x / (img->width - 1) : 1.0;
            for (int y = 0; y < img->height; y++) {
                uint8_t *p = img->px + ((size_t)y * img->width + x) * 3;
                for (int c = 0; c < 3; c++) p[c] = clamp_u8(p[c] * g);
            }
        }
    } else if (v == BEX_VARIANT_TIGHT) {
        int cw = img->width < TIGHT_CROP_PX ? img->width : TIGHT_CROP_PX;
        int ch = img->height < TIGHT_CROP_PX ? img->height : TIGHT_CROP_PX;
        /* the output keeps the crop's shape, its longer side TIGHT_OUT_PX */
        int ow = cw >= ch ? TIGHT_OUT_PX : (int)lround((double)TIGHT_OUT_PX * cw / ch);
        int oh = ch >= cw ? TIGHT_OUT_PX : (int)lround((double)TIGHT_OUT_PX * ch / cw);
        if (ow < 1) ow = 1;
        if (oh < 1) oh = 1;
        uint8_t *px = bex__malloc((size_t)ow * oh * 3);
        if (!px) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory cropping an image");
        crop_resize(img, (img->width - cw) / 2, (img->height - ch) / 2, cw, ch, ow, oh, px);
        bex_image_free(img);
        img->px = px;
        img->width = ow;
        img->height = oh;
    }
    return BEX_OK;
}
