/*
 * lighting.c - contrast normalisation for the engine's lighting retry (src/face/lighting.h).
 *
 * The SSD detector was trained on well-exposed photos: a face under gamma 2.5 (a dark exposure)
 * or lit from one side by a ramp down to 0.15 is often not found at all. Three ways to make a
 * copy it can read, all on luminance Y = 0.299 R + 0.587 G + 0.114 B:
 *   stretch  the 0.5th..99.5th percentile of Y mapped to 0..255 (one curve for R, G and B);
 *   gamma    out = 255 (in / 255)^g with g = log(0.5) / log(mean Y / 255), clamped to
 *            [0.25, 1]: brightens a dark photo so its mean luminance is mid-grey;
 *   clahe    contrast-limited adaptive histogram equalisation of Y (8 x 8 tiles, clip limit 2
 *            times the mean bin count, bilinear between tile curves), each pixel's R, G and B
 *            scaled by Y' / Y: local, so it also lifts the dark half of a side-lit face.
 * docs/evaluation.md gives what each recovers on LFW and why the default is the one it is.
 */
#include <math.h>
#include <string.h>

#include "face/lighting.h"
#include "image/decode.h"
#include "util/util.h"

#define CLAHE_TILES 8
#define CLAHE_CLIP 2.0
#define GAMMA_MIN 0.25

static const char *const light_names[4] = {"off", "stretch", "gamma", "clahe"};

const char *bex_light_name(bex_light m) { return (unsigned)m < 4 ? light_names[m] : NULL; }

int bex_light_parse(const char *name, bex_light *out) {
    for (int i = 0; name && i < 4; i++)
        if (!strcmp(name, light_names[i])) {
            *out = (bex_light)i;
            return BEX_OK;
        }
    return BEX_ERR_ARG;
}

static inline int luma(const uint8_t *p) { return (299 * p[0] + 587 * p[1] + 114 * p[2] + 500) / 1000; }

static uint8_t clamp_u8(double v) { return v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)(v + 0.5); }

/* One curve for all three channels. */
static void apply_lut(const bex_image *src, const uint8_t lut[256], uint8_t *dst) {
    size_t n = (size_t)src->width * src->height * 3;
    for (size_t i = 0; i < n; i++) dst[i] = lut[src->px[i]];
}

static void stretch(const bex_image *src, uint8_t *dst) {
    size_t hist[256] = {0}, n = (size_t)src->width * src->height;
    for (size_t i = 0; i < n; i++) hist[luma(src->px + i * 3)]++;
    size_t cut = n / 200, acc = 0; /* 0.5% at each end */
    int lo = 0, hi = 255;
    while (lo < 255 && (acc += hist[lo]) <= cut) lo++;
    acc = 0;
    while (hi > 0 && (acc += hist[hi]) <= cut) hi--;
    uint8_t lut[256];
    for (int i = 0; i < 256; i++)
        lut[i] = hi > lo ? clamp_u8((i - lo) * 255.0 / (hi - lo)) : (uint8_t)i;
    apply_lut(src, lut, dst);
}

static void gamma_from_mean(const bex_image *src, uint8_t *dst) {
    size_t n = (size_t)src->width * src->height;
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += luma(src->px + i * 3);
    double m = (sum / n + 0.5) / 256.0; /* never 0 or 1 */
    double g = log(0.5) / log(m);
    if (g < GAMMA_MIN) g = GAMMA_MIN;
    if (g > 1) g = 1; /* brightens only */
    uint8_t lut[256];
    for (int i = 0; i < 256; i++) lut[i] = clamp_u8(255.0 * pow(i / 255.0, g));
    apply_lut(src, lut, dst);
}

/* CLAHE: a clipped-histogram equalisation curve per tile, bilinear between tile centres. */
static int clahe(const bex_image *src, uint8_t *dst, char *err, size_t errlen) {
    int w = src->width, h = src->height, T = CLAHE_TILES;
    uint8_t(*lut)[256] = bex__malloc(sizeof *lut * T * T);
    uint8_t *y = bex__malloc((size_t)w * h);
    if (!lut || !y) {
        bex__free(lut);
        bex__free(y);
        return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory normalising an image's lighting");
    }
    for (size_t i = 0, n = (size_t)w * h; i < n; i++) y[i] = (uint8_t)luma(src->px + i * 3);
    for (int ty = 0; ty < T; ty++)
        for (int tx = 0; tx < T; tx++) {
            int x0 = tx * w / T, x1 = (tx + 1) * w / T, y0 = ty * h / T, y1 = (ty + 1) * h / T;
            if (x1 <= x0) x1 = x0 + 1 <= w ? x0 + 1 : w;
            if (y1 <= y0) y1 = y0 + 1 <= h ? y0 + 1 : h;
            double hist[256] = {0};
            int cnt = (x1 - x0) * (y1 - y0);
            for (int yy = y0; yy < y1; yy++)
                for (int xx = x0; xx < x1; xx++) hist[y[(size_t)yy * w + xx]] += 1;
            double clip = CLAHE_CLIP * cnt / 256.0, excess = 0;
            if (clip < 1) clip = 1;
            for (int i = 0; i < 256; i++)
                if (hist[i] > clip) {
                    excess += hist[i] - clip;
                    hist[i] = clip;
                }
            double acc = 0;
            for (int i = 0; i < 256; i++) {
                acc += hist[i] + excess / 256.0;
                lut[ty * T + tx][i] = clamp_u8(cnt > 0 ? acc * 255.0 / cnt : i);
            }
        }
    for (int yy = 0; yy < h; yy++) {
        /* tile-centre coordinates: tile t's centre lies at (t + 0.5) * h / T */
        double gy = (yy + 0.5) * T / h - 0.5;
        int ty0 = (int)floor(gy), ty1 = ty0 + 1;
        double fy = gy - ty0;
        if (ty0 < 0) ty0 = 0;
        if (ty1 > T - 1) ty1 = T - 1;
        for (int xx = 0; xx < w; xx++) {
            double gx = (xx + 0.5) * T / w - 0.5;
            int tx0 = (int)floor(gx), tx1 = tx0 + 1;
            double fx = gx - tx0;
            if (tx0 < 0) tx0 = 0;
            if (tx1 > T - 1) tx1 = T - 1;
            int v = y[(size_t)yy * w + xx];
            double top = lut[ty0 * T + tx0][v] * (1 - fx) + lut[ty0 * T + tx1][v] * fx;
            double bot = lut[ty1 * T + tx0][v] * (1 - fx) + lut[ty1 * T + tx1][v] * fx;
            double nv = top * (1 - fy) + bot * fy;
            const uint8_t *s = src->px + ((size_t)yy * w + xx) * 3;
            uint8_t *d = dst + ((size_t)yy * w + xx) * 3;
            if (v == 0) {
                d[0] = d[1] = d[2] = clamp_u8(nv);
            } else {
                double gain = nv / v;
                for (int c = 0; c < 3; c++) d[c] = clamp_u8(s[c] * gain);
            }
        }
    }
    bex__free(lut);
    bex__free(y);
    return BEX_OK;
}

int bex__light_normalise(const bex_image *src, bex_light method, bex_image *out, char *err, size_t errlen) {
    if (!src || !src->px || src->width <= 0 || src->height <= 0 || !out || method <= BEX_LIGHT_OFF ||
        method > BEX_LIGHT_CLAHE)
        return bex__fail(err, errlen, BEX_ERR_ARG, "invalid arguments to lighting normalisation");
    bex_image o = {0, 0, NULL};
    int rc = bex__image_alloc(&o, src->width, src->height, err, errlen);
    if (rc != BEX_OK) return rc;
    if (method == BEX_LIGHT_STRETCH) stretch(src, o.px);
    else if (method == BEX_LIGHT_GAMMA) gamma_from_mean(src, o.px);
    else if ((rc = clahe(src, o.px, err, errlen)) != BEX_OK) {
        bex_image_free(&o);
        return rc;
    }
    *out = o;
    return BEX_OK;
}
