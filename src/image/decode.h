/*
 * decode.h - internals shared by the image decoders (the src/image files): one entry point per
 * format, the pixel-limit check every decoder runs on the declared size before it allocates,
 * and the EXIF orientation parser. Not part of the public API.
 *
 * Every decoder has the same contract as bex_image_decode: on BEX_OK *out holds a new 8-bit
 * RGB image; on failure *out is untouched, err holds a one-line message without a file name
 * (bex_image_load adds it), and nothing is leaked.
 */
#ifndef BEX_IMAGE_DECODE_H
#define BEX_IMAGE_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "bex/image.h"

/* A hard cap on either side, px, whatever the caller's max_pixels: it keeps every
 * row/column index and w * 3 well inside int, and no photo comes near it. */
#define BEX__IMAGE_MAX_SIDE (1 << 20)

/* Checks a declared size against the limits: BEX_ERR_CORRUPT for a zero side, BEX_ERR_LIMIT
 * for a side above BEX__IMAGE_MAX_SIDE or more pixels than lim->max_pixels. what names the
 * format in the message ("JPEG"). */
/* The limits in force: each field left 0 (or a NULL l) takes its default. */
bex_image_limits bex__image_limits_effective(const bex_image_limits *l);

int bex__image_check_size(uint64_t w, uint64_t h, const bex_image_limits *lim, const char *what,
                          char *err, size_t errlen);

/* Allocates the w x h RGB pixel buffer of *img (sizes already checked); BEX_ERR_NOMEM on
 * failure. */
int bex__image_alloc(bex_image *img, int w, int h, char *err, size_t errlen);

int bex__jpeg_decode(const uint8_t *buf, size_t len, const bex_image_limits *lim,
                     bex_image *out, char *err, size_t errlen);
int bex__png_decode(const uint8_t *buf, size_t len, const bex_image_limits *lim,
                    bex_image *out, char *err, size_t errlen);
int bex__pnm_decode(const uint8_t *buf, size_t len, const bex_image_limits *lim,
                    bex_image *out, char *err, size_t errlen);
int bex__jp2_decode(const uint8_t *buf, size_t len, const bex_image_limits *lim,
                    bex_image *out, char *err, size_t errlen);

/* The EXIF orientation (1..8) in the payload of one APP1 marker (starting at "Exif\0\0"),
 * or 0 if the payload is not EXIF, has no orientation tag, or is malformed in any way.
 * Every offset is checked against len. */
int bex__exif_orientation(const uint8_t *app1, size_t len);

#endif
