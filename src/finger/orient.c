/*
 * orient.c - the first stage of the extractor: local normalisation, the orientation field and
 * its coherence, and the segmentation of the print from the background.
 *
 * Orientation follows the least-squares gradient method: the squared gradients of each pixel
 * are summed as a doubled-angle vector (Gx^2 - Gy^2, 2 Gx Gy) so that opposite gradients add
 * up instead of cancelling, averaged with a Gaussian, and halved back to an angle; the ridge
 * runs across the mean gradient (M. Kass & A. Witkin, "Analyzing oriented patterns", CVGIP 37,
 * 1987; A. M. Bazen & S. H. Gerez, "Systematic methods for the computation of the directional
 * fields and singular points of fingerprints", IEEE TPAMI 24(7), 2002). Coherence is the length
 * of the summed vector over the summed energy (Bazen & Gerez eq. 8): 1 for parallel ridges, near
 * 0 in noise or where ridges curve hard.
 *
 * Segmentation uses the block features Bazen & Gerez ("Segmentation of fingerprint images",
 * ProRISC 2001) found discriminating: grey-level deviation and coherence, thresholded against
 * the image's own strongest blocks, then cleaned with block morphology (opening and closing),
 * the largest connected region kept and its holes filled.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "finger/extract.h"
#include "util/util.h"

/* Tunables (500 ppi). */
#ifndef SEG_SD_FRAC
#define SEG_SD_FRAC 0.22f    /* foreground: deviation above this share of the strong blocks' */
#endif
#ifndef SEG_SD_MIN
#define SEG_SD_MIN 6.0f      /* ... and above this many grey levels at least */
#endif
#ifndef SEG_COH_MIN
#define SEG_COH_MIN 0.10f    /* ... and coherence above this (noise has none) */
#endif
#ifndef ORI_SIGMA
#define ORI_SIGMA 1.6f       /* Gaussian of the orientation average, blocks */
#endif

/* ---- block field smoothing ------------------------------------------------------------ */

int fx_smooth_blocks(float *f, const float *wt, int bw, int bh, float sigma) {
    int r = (int)ceilf(2.5f * sigma);
    if (r < 1) r = 1;
    if (r > 16) r = 16;
    float k[33];
    for (int i = -r; i <= r; i++) k[i + r] = expf(-(float)(i * i) / (2 * sigma * sigma));
    size_t n = (size_t)bw * bh;
    float *num = bex__malloc(n * sizeof *num), *den = bex__malloc(n * sizeof *den);
    float *tn = bex__malloc(n * sizeof *tn), *td = bex__malloc(n * sizeof *td);
    if (!num || !den || !tn || !td) {
        bex__free(num), bex__free(den), bex__free(tn), bex__free(td);
        return BEX_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        float w = wt ? wt[i] : 1.0f;
        num[i] = f[i] * w;
        den[i] = w;
    }
    for (int y = 0; y < bh; y++)
        for (int x = 0; x < bw; x++) {
            float sn = 0, sd = 0;
            for (int i = -r; i <= r; i++) {
                int xx = x + i;
                if (xx < 0 || xx >= bw) continue;
                sn += k[i + r] * num[y * bw + xx];
                sd += k[i + r] * den[y * bw + xx];
            }
            tn[y * bw + x] = sn;
            td[y * bw + x] = sd;
        }
    for (int y = 0; y < bh; y++)
        for (int x = 0; x < bw; x++) {
            float sn = 0, sd = 0;
            for (int i = -r; i <= r; i++) {
                int yy = y + i;
                if (yy < 0 || yy >= bh) continue;
                sn += k[i + r] * tn[yy * bw + x];
                sd += k[i + r] * td[yy * bw + x];
            }
            if (sd > 1e-6f) f[y * bw + x] = sn / sd;
        }
    bex__free(num), bex__free(den), bex__free(tn), bex__free(td);
    return BEX_OK;
}

/* ---- mask morphology ------------------------------------------------------------------ */

/* dilate (on = 1) or erode (on = 0) a block mask with a 3x3 square; outside counts as bg. */
static void morph(uint8_t *m, uint8_t *tmp, int bw, int bh, int on) {
    memcpy(tmp, m, (size_t)bw * bh);
    for (int y = 0; y < bh; y++)
        for (int x = 0; x < bw; x++) {
            int hit = !on;
            for (int dy = -1; dy <= 1 && hit != on; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int xx = x + dx, yy = y + dy;
                    int v = (xx >= 0 && yy >= 0 && xx < bw && yy < bh) ? tmp[yy * bw + xx]
                                                                       : (on ? 0 : 1);
                    if (v == on) {
                        hit = on;
                        break;
                    }
                }
            m[y * bw + x] = (uint8_t)hit;
        }
}

/* Labels 4-connected regions of value `val`; keeps (sets keep[i]=1) the largest when
 * largest != 0, else marks every region that does not touch the edge. Returns 0 on NOMEM. */
static int regions(const uint8_t *m, uint8_t *keep, int bw, int bh, int val, int largest) {
    size_t n = (size_t)bw * bh;
    int *lab = bex__malloc(n * sizeof *lab), *stack = bex__malloc(n * sizeof *stack);
    if (!lab || !stack) {
        bex__free(lab), bex__free(stack);
        return 0;
    }
    for (size_t i = 0; i < n; i++) lab[i] = -1;
    int best = -1, bestsz = 0, nl = 0;
    memset(keep, 0, n);
    for (size_t s = 0; s < n; s++) {
        if (m[s] != val || lab[s] >= 0) continue;
        int sp = 0, sz = 0, edge = 0;
        stack[sp++] = (int)s;
        lab[s] = nl;
        while (sp) {
            int i = stack[--sp], x = i % bw, y = i / bw;
            sz++;
            if (x == 0 || y == 0 || x == bw - 1 || y == bh - 1) edge = 1;
            const int nb[4][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
            for (int k = 0; k < 4; k++) {
                int xx = x + nb[k][0], yy = y + nb[k][1];
                if (xx < 0 || yy < 0 || xx >= bw || yy >= bh) continue;
                int j = yy * bw + xx;
                if (m[j] == val && lab[j] < 0) {
                    lab[j] = nl;
                    stack[sp++] = j;
                }
            }
        }
        if (largest) {
            if (sz > bestsz) bestsz = sz, best = nl;
        } else if (!edge) {
            for (size_t i = 0; i < n; i++)
                if (lab[i] == nl) keep[i] = 1;
        }
        nl++;
    }
    if (largest && best >= 0)
        for (size_t i = 0; i < n; i++) keep[i] = lab[i] == best;
    bex__free(lab), bex__free(stack);
    return 1;
}

/* Chamfer (3-4) distance of each foreground pixel to the nearest background pixel or to
 * the outside of the image, in px. */
static void distance(const uint8_t *m, float *d, int w, int h) {
    const float big = 1e9f;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            if (!m[i]) {
                d[i] = 0;
                continue;
            }
            float v = big;
            float up = y > 0 ? d[i - w] : 0, left = x > 0 ? d[i - 1] : 0;
            float ul = (y > 0 && x > 0) ? d[i - w - 1] : 0;
            float ur = (y > 0 && x < w - 1) ? d[i - w + 1] : 0;
            if (up + 3 < v) v = up + 3;
            if (left + 3 < v) v = left + 3;
            if (ul + 4 < v) v = ul + 4;
            if (ur + 4 < v) v = ur + 4;
            d[i] = v;
        }
    for (int y = h - 1; y >= 0; y--)
        for (int x = w - 1; x >= 0; x--) {
            size_t i = (size_t)y * w + x;
            if (!m[i]) continue;
            float v = d[i];
            float dn = y < h - 1 ? d[i + w] : 0, rt = x < w - 1 ? d[i + 1] : 0;
            float dr = (y < h - 1 && x < w - 1) ? d[i + w + 1] : 0;
            float dl = (y < h - 1 && x > 0) ? d[i + w - 1] : 0;
            if (dn + 3 < v) v = dn + 3;
            if (rt + 3 < v) v = rt + 3;
            if (dr + 4 < v) v = dr + 4;
            if (dl + 4 < v) v = dl + 4;
            d[i] = v;
        }
    for (size_t i = 0; i < (size_t)w * h; i++) d[i] /= 3.0f;
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

/* Bilinear interpolation of a block field at pixel (x, y); block centres at 8b + 3.5. */
static inline float block_at(const float *f, int bw, int bh, float x, float y) {
    float fx = (x - (FX_B - 1) * 0.5f) / FX_B, fy = (y - (FX_B - 1) * 0.5f) / FX_B;
    if (fx < 0) fx = 0;
    if (fy < 0) fy = 0;
    if (fx > bw - 1) fx = (float)(bw - 1);
    if (fy > bh - 1) fy = (float)(bh - 1);
    int x0 = (int)fx, y0 = (int)fy;
    int x1 = x0 + 1 < bw ? x0 + 1 : x0, y1 = y0 + 1 < bh ? y0 + 1 : y0;
    float ax = fx - x0, ay = fy - y0;
    float top = f[y0 * bw + x0] * (1 - ax) + f[y0 * bw + x1] * ax;
    float bot = f[y1 * bw + x0] * (1 - ax) + f[y1 * bw + x1] * ax;
    return top * (1 - ay) + bot * ay;
}

int fx_fields(fx_ctx *c) {
    int w = c->w, h = c->h, bw = c->bw, bh = c->bh;
    size_t nb = (size_t)bw * bh, np = (size_t)w * h;
    int rc = BEX_ERR_NOMEM;
    double *ii = NULL, *ii2 = NULL;
    float *mean = NULL, *ga = NULL, *gb = NULL, *gc = NULL, *tmpf = NULL;
    uint8_t *tmp = NULL, *keep = NULL;

    /* Grey mean and deviation over the 2B x 2B window centred on each block (integral
     * images). */
    ii = bex__calloc((size_t)(w + 1) * (h + 1), sizeof *ii);
    ii2 = bex__calloc((size_t)(w + 1) * (h + 1), sizeof *ii2);
    mean = bex__malloc(nb * sizeof *mean);
    ga = bex__calloc(nb, sizeof *ga), gb = bex__calloc(nb, sizeof *gb);
    gc = bex__calloc(nb, sizeof *gc), tmpf = bex__malloc(nb * sizeof *tmpf);
    tmp = bex__malloc(nb), keep = bex__malloc(nb);
    if (!ii || !ii2 || !mean || !ga || !gb || !gc || !tmpf || !tmp || !keep) goto out;
    for (int y = 0; y < h; y++) {
        double rs = 0, rs2 = 0;
        for (int x = 0; x < w; x++) {
            double v = c->grey[(size_t)y * w + x];
            rs += v, rs2 += v * v;
            ii[(size_t)(y + 1) * (w + 1) + x + 1] = ii[(size_t)y * (w + 1) + x + 1] + rs;
            ii2[(size_t)(y + 1) * (w + 1) + x + 1] = ii2[(size_t)y * (w + 1) + x + 1] + rs2;
        }
    }
    for (int by = 0; by < bh; by++)
        for (int bx = 0; bx < bw; bx++) {
            int x0 = bx * FX_B - FX_B / 2, y0 = by * FX_B - FX_B / 2;
            int x1 = x0 + 2 * FX_B, y1 = y0 + 2 * FX_B;
            if (x0 < 0) x0 = 0;
            if (y0 < 0) y0 = 0;
            if (x1 > w) x1 = w;
            if (y1 > h) y1 = h;
            double n = (double)(x1 - x0) * (y1 - y0);
#define RECT(I) (I[(size_t)y1 * (w + 1) + x1] - I[(size_t)y0 * (w + 1) + x1] - \
                 I[(size_t)y1 * (w + 1) + x0] + I[(size_t)y0 * (w + 1) + x0])
            double s = RECT(ii), s2 = RECT(ii2);
#undef RECT
            double m = s / n, var = s2 / n - m * m;
            mean[by * bw + bx] = (float)m;
            c->sd[by * bw + bx] = (float)sqrt(var > 0 ? var : 0);
        }

    /* Local normalisation: zero mean, unit deviation, deviation floored so that flat
     * background is not blown up into noise. */
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float m = block_at(mean, bw, bh, (float)x, (float)y);
            float s = block_at(c->sd, bw, bh, (float)x, (float)y);
            if (s < SEG_SD_MIN) s = SEG_SD_MIN;
            c->norm[(size_t)y * w + x] = (c->grey[(size_t)y * w + x] - m) / s;
        }

    /* Sobel gradients summed per block as doubled-angle vectors. */
    for (int y = 0; y < h; y++) {
        int ym = y > 0 ? y - 1 : 0, yp = y < h - 1 ? y + 1 : h - 1;
        const uint8_t *r0 = c->grey + (size_t)ym * w, *r1 = c->grey + (size_t)y * w,
                      *r2 = c->grey + (size_t)yp * w;
        float *ra = ga + (y / FX_B) * bw, *rb = gb + (y / FX_B) * bw, *rc2 = gc + (y / FX_B) * bw;
        for (int x = 0; x < w; x++) {
            int xm = x > 0 ? x - 1 : 0, xp = x < w - 1 ? x + 1 : w - 1;
            float gx = (float)(r0[xp] + 2 * r1[xp] + r2[xp] - r0[xm] - 2 * r1[xm] - r2[xm]);
            float gy = (float)(r2[xm] + 2 * r2[x] + r2[xp] - r0[xm] - 2 * r0[x] - r0[xp]);
            int b = x / FX_B;
            ra[b] += gx * gx - gy * gy;
            rb[b] += 2 * gx * gy;
            rc2[b] += gx * gx + gy * gy;
        }
    }
    /* Coherence over 3 x 3 blocks (24 px: two to three ridges). */
    for (int by = 0; by < bh; by++)
        for (int bx = 0; bx < bw; bx++) {
            double sa = 0, sb = 0, sc = 0;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int xx = bx + dx, yy = by + dy;
                    if (xx < 0 || yy < 0 || xx >= bw || yy >= bh) continue;
                    sa += ga[yy * bw + xx], sb += gb[yy * bw + xx], sc += gc[yy * bw + xx];
                }
            c->coh[by * bw + bx] = sc > 1e-6 ? (float)(sqrt(sa * sa + sb * sb) / sc) : 0;
        }

    /* Segmentation. */
    memcpy(tmpf, c->sd, nb * sizeof *tmpf);
    qsort(tmpf, nb, sizeof *tmpf, cmp_float);
    float sd_ref = tmpf[(size_t)(0.95 * (double)(nb - 1))];
    float sd_thr = SEG_SD_FRAC * sd_ref;
    if (sd_thr < SEG_SD_MIN) sd_thr = SEG_SD_MIN;
    for (size_t i = 0; i < nb; i++)
        c->bmask[i] = c->sd[i] > sd_thr && c->coh[i] > SEG_COH_MIN;
    morph(c->bmask, tmp, bw, bh, 0); /* opening: isolated specks go */
    morph(c->bmask, tmp, bw, bh, 1);
    morph(c->bmask, tmp, bw, bh, 1); /* closing: gaps inside the print close */
    morph(c->bmask, tmp, bw, bh, 0);
    if (!regions(c->bmask, keep, bw, bh, 1, 1)) goto out;
    memcpy(c->bmask, keep, nb);
    if (!regions(c->bmask, keep, bw, bh, 0, 0)) goto out; /* holes: bg not touching the edge */
    c->fg_blocks = 0;
    for (size_t i = 0; i < nb; i++) {
        if (keep[i]) c->bmask[i] = 1;
        c->fg_blocks += c->bmask[i];
    }

    /* Orientation: Gaussian average of the doubled-angle vectors. */
    if (fx_smooth_blocks(ga, NULL, bw, bh, ORI_SIGMA) != BEX_OK ||
        fx_smooth_blocks(gb, NULL, bw, bh, ORI_SIGMA) != BEX_OK)
        goto out;
    for (size_t i = 0; i < nb; i++) {
        float t = 0.5f * atan2f(gb[i], ga[i]) + (float)M_PI / 2; /* ridge across gradient */
        if (t >= (float)M_PI) t -= (float)M_PI;
        if (t < 0) t += (float)M_PI;
        c->ori[i] = t;
    }

    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            c->pmask[(size_t)y * w + x] = c->bmask[(y / FX_B) * bw + x / FX_B];
    distance(c->pmask, c->bdist, w, h);
    (void)np;
    rc = BEX_OK;
out:
    bex__free(ii), bex__free(ii2), bex__free(mean), bex__free(ga), bex__free(gb);
    bex__free(gc), bex__free(tmpf), bex__free(tmp), bex__free(keep);
    return rc;
}
