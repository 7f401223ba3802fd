/*
 * finger_int.h - internals shared by the src/finger files: image size limits and allocation,
 * grey conversion, and the WSQ decoder's entry point that reports the file's own resolution.
 * Not part of the public API.
 */
#ifndef BEX_FINGER_INT_H
#define BEX_FINGER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "bex/finger.h"

/* The resolutions a fingerprint is plausibly captured at, ppi (Appendix F scanners are 500 or
 * 1000; FVC2002 DB2 is 569; anything under 250 has ridges too thin to follow). */
#define BEX__FINGER_PPI_MIN 250
#define BEX__FINGER_PPI_MAX 2000
/* A hard cap on either side, px, whatever max_pixels says (WSQ's own fields are 16-bit). */
#define BEX__FINGER_MAX_SIDE 65535

/* BEX_ERR_CORRUPT for a zero side, BEX_ERR_LIMIT for a side above BEX__FINGER_MAX_SIDE or more
 * pixels than lim->max_pixels; what names the format in the message ("TIFF"). */
int bex__finger_check_size(uint64_t w, uint64_t h, const bex_image_limits *lim, const char *what,
                           char *err, size_t errlen);
/* Allocates img->px for w x h (sizes checked); sets width and height. */
int bex__finger_alloc(bex_finger_image *img, int w, int h, char *err, size_t errlen);

/* Applies the resolution rule to a decoded image: file_ppi (> 0) is what the file stated
 * (`how` names where, for the message); else declared (> 0); else 500 assumed. A stated
 * resolution outside the plausible range gives way to a declared one, or is an error. */
int bex__finger_settle_ppi(bex_finger_image *img, double file_ppi, const char *how, int declared,
                           char *err, size_t errlen);

/* ITU-R BT.601 luma of an 8-bit RGB pixel, rounded. */
static inline uint8_t bex__grey(unsigned r, unsigned g, unsigned b) {
    return (uint8_t)((299 * r + 587 * g + 114 * b + 500) / 1000);
}

/* Decodes WSQ; *file_ppi gets the NISTCOM PPI when the file states one, else 0; out->ppi is
 * left to the caller. lim must be the effective limits (no zero fields). */
int bex__wsq_decode(const uint8_t *buf, size_t len, const bex_image_limits *lim,
                    bex_finger_image *out, int *file_ppi, char *err, size_t errlen);

#endif
