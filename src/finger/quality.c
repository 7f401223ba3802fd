/*
 * quality.c - the last stage of the extractor: a quality for each minutia and for the whole
 * image, and the coded problems of a capture (include/bex/finger.h, BEX_FINGER_*).
 *
 * The image score follows the idea of NIST's NFIQ (E. Tabassi, C. L. Wilson & C. I. Watson,
 * "Fingerprint image quality", NISTIR 7151, 2004): quality is what predicts a comparison's
 * success, so the score combines the usable area, the clarity of the ridge flow (mean
 * coherence of the print's blocks, as in the local orientation certainty of Lim, Yang &
 * Wang, ICIP 2002), the share of blocks with a measurable ridge frequency, and the number of
 * reliable minutiae. A minutia's quality is the clarity and contrast of its neighbourhood and
 * its distance from the print's border, after MINDTCT's reliability (NISTIR 7392).
 *
 * Dry and wet prints are told by the share of dark pixels in the print: a dry finger leaves
 * thin, broken ridges (few pixels darker than their surroundings' mean), a wet one merged
 * ridges and filled valleys (many); the binarised ridges, made from the Gabor response which
 * is symmetric by construction, hold about half of the area either way.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "finger/extract.h"
#include "util/util.h"

#ifndef SMALL_AREA_PX
#define SMALL_AREA_PX 20000  /* 0.08 square inch at 500 ppi */
#endif
#ifndef FEW_MINUTIAE
#define FEW_MINUTIAE 12      /* ISO/IEC 19794-2 Annex's usual minimum for a comparison */
#endif
#ifndef LOW_CONTRAST_SD
#define LOW_CONTRAST_SD 9.0f /* grey levels: ridges barely differ from valleys */
#endif
#ifndef DRY_DARK
#define DRY_DARK 0.33f       /* dark-pixel share of the print below: too dry */
#endif
#ifndef WET_DARK
#define WET_DARK 0.57f       /* above: too wet */
#endif
#ifndef PARTIAL_CUT
#define PARTIAL_CUT 0.5f     /* the print's border on the image's top or sides over this share */
#endif

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

void fx_quality(fx_ctx *c, bex_finger_template *t) {
    int bw = c->bw, bh = c->bh, w = c->w, h = c->h;
    size_t nb = (size_t)bw * bh;
    uint32_t prob = 0;

    /* Area, mean coherence and median deviation of the print. */
    int area = 0;
    for (size_t i = 0; i < (size_t)w * h; i++) area += c->pmask[i];
    double coh = 0;
    float med_sd = 0;
    float *sds = bex__malloc(nb * sizeof *sds);
    int nsd = 0;
    for (size_t i = 0; i < nb; i++)
        if (c->bmask[i]) {
            coh += c->coh[i];
            if (sds) sds[nsd++] = c->sd[i];
        }
    if (!nsd && sds) /* no print: judge the contrast of the whole image */
        for (size_t i = 0; i < nb; i++) sds[nsd++] = c->sd[i];
    if (sds && nsd) {
        qsort(sds, (size_t)nsd, sizeof *sds, cmp_float);
        med_sd = sds[nsd / 2];
    }
    bex__free(sds);
    coh = c->fg_blocks ? coh / c->fg_blocks : 0;

    /* Per-minutia quality. */
    for (int i = 0; i < c->nmin; i++) {
        fx_min *m = &c->min[i];
        int b = (m->y / FX_B) * bw + m->x / FX_B;
        float qc = fx_clampf((c->coh[b] - 0.1f) / 0.5f, 0, 1);
        float qs = med_sd > 0 ? fx_clampf(c->sd[b] / med_sd, 0, 1) : 0;
        float qb = fx_clampf(c->bdist[(size_t)m->y * w + m->x] / 40.0f, 0, 1);
        m->quality = 0.5f * qc + 0.2f * qs + 0.3f * qb;
    }

    int alive = 0;
    for (int i = 0; i < c->nmin; i++) alive += !c->min[i].dead;

    /* Dark-pixel share in the print. */
    long dark = 0;
    for (size_t i = 0; i < (size_t)w * h; i++)
        if (c->pmask[i] && c->norm[i] < 0) dark++;
    float dark_share = area ? (float)dark / area : 0.5f;

    if (area < SMALL_AREA_PX) prob |= BEX_FINGER_SMALL_AREA;
    if (alive < FEW_MINUTIAE) prob |= BEX_FINGER_FEW_MINUTIAE;
    if (med_sd < LOW_CONTRAST_SD) prob |= BEX_FINGER_LOW_CONTRAST;
    if (area >= SMALL_AREA_PX) {
        if (dark_share < DRY_DARK) prob |= BEX_FINGER_TOO_DRY;
        if (dark_share > WET_DARK) prob |= BEX_FINGER_TOO_WET;
    }

    /* Partial: the print runs into the top or a side of the image over a long stretch
     * (the bottom edge is where a flat finger normally leaves the image). */
    if (c->fg_blocks) {
        int x0 = bw, x1 = -1, y0 = bh, y1 = -1;
        for (int y = 0; y < bh; y++)
            for (int x = 0; x < bw; x++)
                if (c->bmask[y * bw + x]) {
                    if (x < x0) x0 = x;
                    if (x > x1) x1 = x;
                    if (y < y0) y0 = y;
                    if (y > y1) y1 = y;
                }
        int top = 0, left = 0, right = 0;
        for (int x = 0; x < bw; x++) top += c->bmask[x];
        for (int y = 0; y < bh; y++) left += c->bmask[y * bw], right += c->bmask[y * bw + bw - 1];
        int ew = x1 - x0 + 1, eh = y1 - y0 + 1;
        if (top > PARTIAL_CUT * ew || left > PARTIAL_CUT * eh || right > PARTIAL_CUT * eh)
            prob |= BEX_FINGER_PARTIAL;
    }

    /* Image quality. */
    float qa = fx_clampf((float)area / 60000.0f, 0, 1);
    float qcoh = fx_clampf(((float)coh - 0.2f) / 0.45f, 0, 1);
    float qf = c->fg_blocks ? (float)c->freq_valid / c->fg_blocks : 0;
    float qn = fx_clampf(alive / 35.0f, 0, 1);
    float q = 100.0f * (0.25f * qa + 0.3f * qcoh + 0.2f * qf + 0.25f * qn);
    if (prob & (BEX_FINGER_SMALL_AREA | BEX_FINGER_LOW_CONTRAST)) q *= 0.5f;
    t->quality = (uint8_t)lrintf(fx_clampf(q, 0, 100));
    t->problems = prob;
    t->area_px = area;
}
