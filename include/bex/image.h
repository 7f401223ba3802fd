/*
 * image.h - decoding photos (JPEG, PNG, PGM/PPM, JPEG 2000) into 8-bit RGB, with limits.
 *
 *   bex_image img;
 *   char err[256];
 *   if (bex_image_load("photo.jpg", NULL, &img, err, sizeof err) != BEX_OK) {
 *       fprintf(stderr, "bex: %s\n", err);
 *   } else {
 *       ... img.px[(y * img.width + x) * 3 + c] ...
 *       bex_image_free(&img);
 *   }
 *
 * The format is sniffed from the bytes, never from the file name. JPEG EXIF orientation is
 * applied, so the pixels come out upright. A malformed, truncated or hostile file returns an
 * error with a message; it never crashes or reads out of bounds.
 */
#ifndef BEX_IMAGE_H
#define BEX_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "bex/bex.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An 8-bit RGB image, rows top to bottom, 3 bytes a pixel, no row padding. */
typedef struct bex_image {
    int width;   /* px */
    int height;  /* px */
    uint8_t *px; /* width * height * 3 bytes; owned, release with bex_image_free */
} bex_image;

typedef enum bex_image_format {
    BEX_IMAGE_UNKNOWN = 0,
    BEX_IMAGE_JPEG,
    BEX_IMAGE_PNG,
    BEX_IMAGE_PNM,
    BEX_IMAGE_JP2, /* JPEG 2000, JP2 box format or raw J2K codestream */
} bex_image_format;

/* A field left 0 takes its default. */
typedef struct bex_image_limits {
    size_t max_file_bytes;  /* default 32 MiB */
    uint64_t max_pixels;    /* width * height; default 50 Mpx */
} bex_image_limits;

/* The defaults used when a NULL limits pointer is passed. */
#define BEX_IMAGE_DEFAULT_MAX_FILE_BYTES ((size_t)32 << 20)
#define BEX_IMAGE_DEFAULT_MAX_PIXELS ((uint64_t)50000000)

/* Guesses the format from the first bytes; BEX_IMAGE_UNKNOWN if none matches. */
bex_image_format bex_image_sniff(const uint8_t *buf, size_t len);

/* Decodes an image held in memory. limits may be NULL (defaults). On success fills *out,
 * which the caller releases with bex_image_free. On failure *out is untouched and err
 * (if not NULL) holds a one-line message. */
int bex_image_decode(const uint8_t *buf, size_t len, const bex_image_limits *limits,
                     bex_image *out, char *err, size_t errlen);

/* Reads and decodes a file; the message names the file. */
int bex_image_load(const char *path, const bex_image_limits *limits, bex_image *out,
                   char *err, size_t errlen);

/* Encodes an image as an 8-bit RGB PNG (libpng) into *out (malloc'd: free()), *len its bytes;
 * what a browser can draw of a photo it cannot (a chip's JPEG 2000). BEX_ERR_ARG for an empty
 * image or one of more than BEX_IMAGE_DEFAULT_MAX_PIXELS. */
int bex_image_encode_png(const bex_image *img, uint8_t **out, size_t *len, char *err, size_t errlen);

/* Releases the pixels and zeroes *img; safe on a zeroed image. */
void bex_image_free(bex_image *img);

#ifdef __cplusplus
}
#endif
#endif
