/*
 * enhance.c - ridge frequency and oriented Gabor enhancement, the second stage of the
 * extractor (L. Hong, Y. Wan & A. K. Jain, "Fingerprint image enhancement: algorithm and
 * performance evaluation", IEEE TPAMI 20(8), 1998).
 *
 * Frequency (Hong, Wan & Jain section 2.4): in a window oriented along the ridges, the grey
 * levels are averaged along the ridge direction into an "x-signature" across the ridges, whose
 * peaks are the valleys; the mean distance between successive peaks is the local ridge period.
 * Blocks without a clean signature are filled from their neighbours by a normalised Gaussian
 * average, which also smooths the field (their section 2.4's interpolation and low-pass
 * filter, done in one step).
 *
 * Enhancement (their section 2.5): each foreground block is convolved with an even-symmetric
 * Gabor filter tuned to the block's orientation and period. Orientations are quantised to 24
 * steps of 7.5 degrees and periods to 1 px steps, and the kernels are made once per process
 * (a table of 24 x 13). The kernels have their mean removed so flat areas give 0; the
 * binarisation is then the sign of the response (a ridge, being dark, gives a negative one).
 * Each block's 8 x 8 outputs are computed row by row with the kernel taps outermost, which the
 * compiler turns into vector code without intrinsics.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "finger/extract.h"
#include "util/util.h"

#ifndef SIG_LEN
#define SIG_LEN 32      /* x-signature length across the ridges, px */
#endif
#ifndef SIG_WID
#define SIG_WID 16      /* averaged along the ridge, px */
#endif
#ifndef PER_MIN
#define PER_MIN 3.0f    /* plausible ridge periods at 500 ppi, px */
#endif
#ifndef PER_MAX
#define PER_MAX 20.0f
#endif
#ifndef PER_DEFAULT
#define PER_DEFAULT 9.0f
#endif
#ifndef FREQ_SIGMA
#define FREQ_SIGMA 2.5f /* smoothing of the period field, blocks */
#endif

#define GB_NO 24          /* orientation steps over 180 degrees (7.5 degrees each) */
#define GB_PMIN 4         /* period bins: 4..16 px */
#define GB_NP 13
#ifndef GB_R
#define GB_R 8            /* largest kernel radius, px */
#endif
#define GB_KS (2 * GB_R + 1)
#ifndef GB_SIGMA_K
#define GB_SIGMA_K 0.55f  /* envelope sigma as a share of the period (Hong: 4 px at 9): FVC2002 */
#endif

/* ---- frequency -------------------------------------------------------------------------- */

/* The ridge period in the window around block (bx, by), or 0 when the signature has no clear
 * peaks. */
static float block_period(const fx_ctx *c, int bx, int by) {
    float th = c->ori[by * c->bw + bx];
    float tx = cosf(th), ty = sinf(th), nx = -ty, ny = tx;
    float cx = bx * FX_B + (FX_B - 1) * 0.5f, cy = by * FX_B + (FX_B - 1) * 0.5f;
    float sig[SIG_LEN], sm[SIG_LEN];
    for (int k = 0; k < SIG_LEN; k++) {
        float s = 0;
        int n = 0;
        float ox = cx + (k - SIG_LEN / 2) * nx, oy = cy + (k - SIG_LEN / 2) * ny;
        for (int d = 0; d < SIG_WID; d++) {
            float px = ox + (d - SIG_WID / 2) * tx, py = oy + (d - SIG_WID / 2) * ty;
            int ix = (int)lrintf(px), iy = (int)lrintf(py);
            if (ix < 0 || iy < 0 || ix >= c->w || iy >= c->h) continue;
            s += c->norm[(size_t)iy * c->w + ix];
            n++;
        }
        if (n < SIG_WID / 2) return 0;
        sig[k] = s / n;
    }
    float lo = 1e9f, hi = -1e9f;
    for (int k = 0; k < SIG_LEN; k++) {
        float a = sig[k > 0 ? k - 1 : 0], b = sig[k], d = sig[k < SIG_LEN - 1 ? k + 1 : k];
        sm[k] = 0.25f * a + 0.5f * b + 0.25f * d;
        if (sm[k] < lo) lo = sm[k];
        if (sm[k] > hi) hi = sm[k];
    }
    if (hi - lo < 0.4f) return 0; /* no ridge contrast across the window */
    float first = -1, last = -1;
    int npk = 0;
    for (int k = 1; k < SIG_LEN - 1; k++) {
        if (sm[k] > sm[k - 1] && sm[k] >= sm[k + 1] && sm[k] > lo + 0.35f * (hi - lo)) {
            float den = sm[k - 1] - 2 * sm[k] + sm[k + 1];
            float off = den < -1e-6f ? 0.5f * (sm[k - 1] - sm[k + 1]) / den : 0;
            float pos = k + fx_clampf(off, -0.5f, 0.5f);
            if (npk == 0) first = pos;
            last = pos;
            npk++;
        }
    }
    if (npk < 2) return 0;
    float per = (last - first) / (npk - 1);
    return (per >= PER_MIN && per <= PER_MAX) ? per : 0;
}

int fx_freq(fx_ctx *c) {
    size_t nb = (size_t)c->bw * c->bh;
    float *wt = bex__malloc(nb * sizeof *wt);
    if (!wt) return BEX_ERR_NOMEM;
    double sum = 0;
    c->freq_valid = 0;
    for (int by = 0; by < c->bh; by++)
        for (int bx = 0; bx < c->bw; bx++) {
            size_t i = (size_t)by * c->bw + bx;
            float p = c->bmask[i] ? block_period(c, bx, by) : 0;
            c->period[i] = p;
            wt[i] = p > 0 ? 1.0f : 0.0f;
            if (p > 0) c->freq_valid++, sum += p;
        }
    float fallback = c->freq_valid ? (float)(sum / c->freq_valid) : PER_DEFAULT;
    /* Weighted smoothing fills the gaps; a block with no measured neighbour within reach
     * keeps 0 and takes the print's mean. */
    int rc = fx_smooth_blocks(c->period, wt, c->bw, c->bh, FREQ_SIGMA);
    if (rc == BEX_OK) {
        for (size_t i = 0; i < nb; i++) {
            if (c->period[i] <= 0) c->period[i] = fallback;
            c->period[i] = fx_clampf(c->period[i], (float)GB_PMIN, (float)(GB_PMIN + GB_NP - 1));
        }
    }
    bex__free(wt);
    return rc;
}

/* ---- Gabor kernel bank ------------------------------------------------------------------ */

typedef struct gb_kernel {
    int r;                     /* radius, px */
    float k[GB_KS * GB_KS];    /* (2r+1)^2 taps used, row-major with stride 2r+1 */
} gb_kernel;

static gb_kernel bank[GB_NO * GB_NP]; /* 360 KiB, made once per process */
static pthread_once_t bank_once = PTHREAD_ONCE_INIT;

static void make_bank(void) {
    gb_kernel *b = bank;
    for (int o = 0; o < GB_NO; o++)
        for (int p = 0; p < GB_NP; p++) {
            gb_kernel *g = &b[o * GB_NP + p];
            float th = (float)M_PI * o / GB_NO, per = (float)(GB_PMIN + p);
            float sg = GB_SIGMA_K * per;
            int r = (int)ceilf(2.0f * sg);
            if (r > GB_R) r = GB_R;
            g->r = r;
            int ks = 2 * r + 1;
            float ct = cosf(th), st = sinf(th);
            double se = 0, sg2 = 0;
            float env[GB_KS * GB_KS];
            for (int y = -r; y <= r; y++)
                for (int x = -r; x <= r; x++) {
                    float u = x * ct + y * st;  /* along the ridge */
                    float v = -x * st + y * ct; /* across */
                    float e = expf(-(u * u + v * v) / (2 * sg * sg));
                    float val = e * cosf(2 * (float)M_PI * v / per);
                    env[(y + r) * ks + x + r] = e;
                    g->k[(y + r) * ks + x + r] = val;
                    se += e, sg2 += val;
                }
            /* Remove the response to a flat patch, then scale to unit energy. */
            double norm = 0;
            for (int i = 0; i < ks * ks; i++) {
                g->k[i] -= (float)(env[i] * sg2 / se);
                norm += (double)g->k[i] * g->k[i];
            }
            norm = sqrt(norm);
            for (int i = 0; i < ks * ks; i++) g->k[i] = (float)(g->k[i] / norm);
        }
}

int fx_enhance(fx_ctx *c) {
    pthread_once(&bank_once, make_bank);
    int w = c->w, h = c->h, pw = w + 2 * GB_R + FX_B, ph = h + 2 * GB_R + FX_B;
    float *pad = bex__calloc((size_t)pw * ph, sizeof *pad);
    if (!pad) return BEX_ERR_NOMEM;
    for (int y = 0; y < h; y++)
        memcpy(pad + (size_t)(y + GB_R) * pw + GB_R, c->norm + (size_t)y * w, w * sizeof *pad);
    memset(c->enh, 0, (size_t)w * h * sizeof *c->enh);
    for (int by = 0; by < c->bh; by++)
        for (int bx = 0; bx < c->bw; bx++) {
            size_t bi = (size_t)by * c->bw + bx;
            if (!c->bmask[bi]) continue;
            int o = (int)lrintf(c->ori[bi] / (float)M_PI * GB_NO) % GB_NO;
            int p = (int)lrintf(c->period[bi]) - GB_PMIN;
            if (p < 0) p = 0;
            if (p >= GB_NP) p = GB_NP - 1;
            const gb_kernel *g = &bank[o * GB_NP + p];
            int r = g->r, ks = 2 * r + 1, x0 = bx * FX_B, y0 = by * FX_B;
            for (int yy = 0; yy < FX_B && y0 + yy < h; yy++) {
                float acc[FX_B] = {0};
                for (int ky = -r; ky <= r; ky++) {
                    const float *src = pad + (size_t)(y0 + yy + ky + GB_R) * pw + x0 + GB_R - r;
                    const float *kr = g->k + (ky + r) * ks;
                    for (int kx = 0; kx < ks; kx++) {
                        float kv = kr[kx];
                        for (int xx = 0; xx < FX_B; xx++) acc[xx] += kv * src[kx + xx];
                    }
                }
                int nx = x0 + FX_B <= w ? FX_B : w - x0;
                memcpy(c->enh + (size_t)(y0 + yy) * w + x0, acc, nx * sizeof *acc);
            }
        }
    for (size_t i = 0; i < (size_t)w * h; i++) c->ridge[i] = c->pmask[i] && c->enh[i] < 0;
    bex__free(pad);
    return BEX_OK;
}
