/*
 * extract.h - internals of the minutiae extractor (src/finger/extract.c and the stages it
 * calls): the working state of one extraction and the stages in the order they run.
 *
 *   fx_fields   orient.c    normalisation, gradients, orientation and coherence per block,
 *                           segmentation mask
 *   fx_freq     enhance.c   ridge frequency per block (Hong, Wan & Jain 1998)
 *   fx_enhance  enhance.c   oriented Gabor filtering and binarisation
 *   fx_minutiae minutiae.c  thinning, crossing number, directions, false-minutiae removal
 *   fx_quality  quality.c   per-minutia and per-image quality, coded problems
 *
 * Geometry: the image is cut into FX_B x FX_B pixel blocks; angles inside the extractor are
 * radians in image coordinates (x right, y down, so a positive angle turns clockwise on the
 * screen); only the template's angles are converted to ISO/IEC 19794-2's counter-clockwise
 * 256ths (extract.c).
 */
#ifndef BEX_FINGER_EXTRACT_H
#define BEX_FINGER_EXTRACT_H

#include <stdint.h>

#include "bex/finger.h"

#define FX_B 8 /* block side, px */

/* A candidate minutia while the extractor works on it. */
typedef struct fx_min {
    int x, y;       /* px */
    float dir;      /* radians, image coordinates, ANSI/NIST three-ray direction */
    int type;       /* BEX_MINUTIA_ENDING / BEX_MINUTIA_BIFURCATION */
    int dead;       /* removed by a filter */
    float quality;  /* 0..1 */
} fx_min;

typedef struct fx_ctx {
    int w, h;        /* image, px */
    int bw, bh;      /* blocks across and down */
    const uint8_t *grey; /* the 500 ppi input, w * h */
    float *norm;     /* locally normalised grey (zero mean, unit deviation), w * h */
    float *ori;      /* ridge direction per block, radians in [0, pi), bw * bh */
    float *coh;      /* coherence of the gradients per block, 0..1 */
    float *sd;       /* grey standard deviation around each block */
    float *period;   /* ridge period per block, px (0 = unknown before interpolation) */
    uint8_t *bmask;  /* 1 = print, per block */
    uint8_t *pmask;  /* 1 = print, per pixel */
    float *bdist;    /* distance to the background or the image edge, px, per pixel */
    float *enh;      /* Gabor-filtered image, w * h */
    uint8_t *ridge;  /* 1 = ridge pixel after binarisation, w * h */
    uint8_t *skel;   /* 1 = skeleton pixel, w * h */
    int freq_valid;  /* foreground blocks whose period was measured, not interpolated */
    int fg_blocks;   /* foreground blocks */
    fx_min *min;     /* candidates */
    int nmin, capmin;
} fx_ctx;

/* Each returns BEX_OK or BEX_ERR_NOMEM. */
int fx_fields(fx_ctx *c);
int fx_freq(fx_ctx *c);
int fx_enhance(fx_ctx *c);
int fx_minutiae(fx_ctx *c);
/* Fills the template's quality, problems, area and per-minutia quality (c->min[i].quality). */
void fx_quality(fx_ctx *c, bex_finger_template *t);

/* Helpers shared by the stages. */
static inline float fx_clampf(float v, float lo, float hi) {
    return v < lo ? lo : v > hi ? hi : v;
}
/* Gaussian smoothing of a block field (bw x bh) in place, sigma in blocks; w (may be NULL)
 * weights each value, and the result is the weighted mean (normalised convolution). */
int fx_smooth_blocks(float *f, const float *wt, int bw, int bh, float sigma);

#endif
