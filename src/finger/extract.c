/*
 * extract.c - bex_finger_extract: from a fingerprint image to a minutiae template, and the
 * enrolment rule on a template. The stages live in orient.c (fields and segmentation),
 * enhance.c (frequency and Gabor enhancement), minutiae.c (skeleton and minutiae) and
 * quality.c (quality and problems); extract.h describes the state they share.
 * docs/fingerprints.md ("Features") explains the method and its sources.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bex/finger.h"
#include "finger/extract.h"
#include "util/util.h"

#define MIN_SIDE 32     /* px at 500 ppi: a smaller image holds no usable print */
#define MAX_SIDE 2500   /* px at 500 ppi: 5 inches, more than a four-finger slap */
#define ENROL_MIN_MINUTIAE 12
#define ENROL_MIN_QUALITY 20
#define ENROL_MIN_AREA 20000 /* px at 500 ppi */

static void ctx_free(fx_ctx *c) {
    bex__free(c->norm), bex__free(c->ori), bex__free(c->coh), bex__free(c->sd);
    bex__free(c->period), bex__free(c->bmask), bex__free(c->pmask), bex__free(c->bdist);
    bex__free(c->enh), bex__free(c->ridge), bex__free(c->skel), bex__free(c->min);
    memset(c, 0, sizeof *c);
}

static int ctx_alloc(fx_ctx *c, const bex_finger_image *img) {
    c->w = img->width, c->h = img->height, c->grey = img->px;
    c->bw = (c->w + FX_B - 1) / FX_B, c->bh = (c->h + FX_B - 1) / FX_B;
    size_t np = (size_t)c->w * c->h, nb = (size_t)c->bw * c->bh;
    c->norm = bex__malloc(np * sizeof(float));
    c->enh = bex__malloc(np * sizeof(float));
    c->bdist = bex__malloc(np * sizeof(float));
    c->pmask = bex__malloc(np), c->ridge = bex__malloc(np), c->skel = bex__malloc(np);
    c->ori = bex__malloc(nb * sizeof(float)), c->coh = bex__malloc(nb * sizeof(float));
    c->sd = bex__malloc(nb * sizeof(float)), c->period = bex__malloc(nb * sizeof(float));
    c->bmask = bex__malloc(nb);
    return c->norm && c->enh && c->bdist && c->pmask && c->ridge && c->skel && c->ori &&
           c->coh && c->sd && c->period && c->bmask;
}

static int cmp_quality(const void *a, const void *b) {
    const fx_min *x = a, *y = b;
    if (x->quality != y->quality) return x->quality > y->quality ? -1 : 1;
    if (x->y != y->y) return x->y - y->y;
    return x->x - y->x;
}

/* Extraction on a 500 ppi image. */
static int extract_500(const bex_finger_image *img, bex_finger_template *t, char *err,
                       size_t errlen) {
    fx_ctx c = {0};
    int rc;
    if (!ctx_alloc(&c, img)) {
        ctx_free(&c);
        return bex__fail(err, errlen, BEX_ERR_NOMEM, "fingerprint extraction: out of memory");
    }
    if ((rc = fx_fields(&c)) != BEX_OK || (rc = fx_freq(&c)) != BEX_OK ||
        (rc = fx_enhance(&c)) != BEX_OK || (rc = fx_minutiae(&c)) != BEX_OK) {
        ctx_free(&c);
        return bex__fail(err, errlen, rc, "fingerprint extraction: out of memory");
    }
    fx_quality(&c, t);

    /* Keep the living candidates, best first, at most BEX_FINGER_MAX_MINUTIAE. */
    int n = 0;
    for (int i = 0; i < c.nmin; i++)
        if (!c.min[i].dead) c.min[n++] = c.min[i];
    if (n > 1) qsort(c.min, (size_t)n, sizeof *c.min, cmp_quality);
    if (n > BEX_FINGER_MAX_MINUTIAE) n = BEX_FINGER_MAX_MINUTIAE;
    for (int i = 0; i < n; i++) {
        const fx_min *m = &c.min[i];
        /* Image angles turn clockwise (y down); ISO's turn counter-clockwise: negate. */
        double a = -m->dir / (2 * M_PI) * 256.0;
        int u = (int)lrint(a) % 256;
        if (u < 0) u += 256;
        t->m[i].x = (uint16_t)m->x;
        t->m[i].y = (uint16_t)m->y;
        t->m[i].angle = (uint8_t)u;
        t->m[i].type = (uint8_t)m->type;
        int q = (int)lrintf(m->quality * 100.0f);
        t->m[i].quality = (uint8_t)(q < 1 ? 1 : q > 100 ? 100 : q);
    }
    t->n = n;
    ctx_free(&c);
    return BEX_OK;
}

int bex_finger_extract(const bex_finger_image *img, int finger_position,
                       bex_finger_template *out, char *err, size_t errlen) {
    if (!img || !out || !img->px || img->width <= 0 || img->height <= 0)
        return bex__fail(err, errlen, BEX_ERR_ARG, "fingerprint extraction: no image given");
    if (finger_position < 0 || finger_position > 10)
        return bex__fail(err, errlen, BEX_ERR_ARG,
                         "fingerprint extraction: finger position %d is not 0 (unknown) to 10",
                         finger_position);
    if (img->ppi <= 0)
        return bex__fail(err, errlen, BEX_ERR_ARG,
                         "fingerprint extraction: the image's resolution (%d ppi) is not set",
                         img->ppi);
    bex_finger_image sc = {0};
    const bex_finger_image *use = img;
    if (img->ppi != BEX_FINGER_PPI) {
        int rc = bex_finger_image_to_500(img, &sc, err, errlen);
        if (rc != BEX_OK) return rc;
        use = &sc;
    }
    if (use->width > MAX_SIDE || use->height > MAX_SIDE) {
        int w = use->width, h = use->height;
        bex_finger_image_free(&sc);
        return bex__fail(err, errlen, BEX_ERR_LIMIT,
                         "fingerprint extraction: the image is %d x %d px at 500 ppi, more than "
                         "%d px a side; cut a single finger out first", w, h, MAX_SIDE);
    }
    bex_finger_template *t = bex__calloc(1, sizeof *t);
    if (!t) {
        bex_finger_image_free(&sc);
        return bex__fail(err, errlen, BEX_ERR_NOMEM, "fingerprint extraction: out of memory");
    }
    t->width = (uint16_t)use->width;
    t->height = (uint16_t)use->height;
    t->finger_position = (uint8_t)finger_position;
    int rc = BEX_OK;
    if (use->width < MIN_SIDE || use->height < MIN_SIDE) {
        t->problems = BEX_FINGER_SMALL_AREA | BEX_FINGER_FEW_MINUTIAE;
    } else {
        rc = extract_500(use, t, err, errlen);
    }
    bex_finger_image_free(&sc);
    if (rc == BEX_OK) *out = *t;
    bex__free(t);
    return rc;
}

static const struct {
    uint32_t bit;
    const char *code, *why;
} problems[] = {
    {BEX_FINGER_TOO_DRY, "too_dry", "the ridges are broken and faint (too dry: moisten the finger)"},
    {BEX_FINGER_TOO_WET, "too_wet", "the ridges run together (too wet or pressed too hard)"},
    {BEX_FINGER_PARTIAL, "partial", "the print is cut off by the image's edge (centre the finger)"},
    {BEX_FINGER_SMALL_AREA, "small_area", "too little of the print was captured"},
    {BEX_FINGER_FEW_MINUTIAE, "few_minutiae", "too few minutiae for a comparison"},
    {BEX_FINGER_LOW_CONTRAST, "low_contrast", "the ridges barely differ from the valleys"},
};

const char *bex_finger_problem_code(uint32_t bit) {
    for (size_t i = 0; i < sizeof problems / sizeof problems[0]; i++)
        if (problems[i].bit == bit) return problems[i].code;
    return NULL;
}

int bex_finger_enrol_check(const bex_finger_template *t, char *err, size_t errlen) {
    if (!t) return bex__fail(err, errlen, BEX_ERR_ARG, "enrolment check: no template given");
    const char *why = NULL;
    if (t->area_px < ENROL_MIN_AREA) why = problems[3].why;
    else if (t->n < ENROL_MIN_MINUTIAE) why = problems[4].why;
    else if (t->quality < ENROL_MIN_QUALITY) {
        why = "the image quality is too low";
        for (size_t i = 0; i < sizeof problems / sizeof problems[0]; i++)
            if (t->problems & problems[i].bit) {
                why = problems[i].why;
                break;
            }
    }
    if (!why) return BEX_OK;
    return bex__fail(err, errlen, BEX_ERR_LOW_QUALITY,
                     "cannot enrol this finger: %s (%d minutiae, need %d; quality %d, need %d; "
                     "print area %d px, need %d)", why, t->n, ENROL_MIN_MINUTIAE, t->quality,
                     ENROL_MIN_QUALITY, t->area_px, ENROL_MIN_AREA);
}
