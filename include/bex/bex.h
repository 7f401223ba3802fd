/*
 * bex.h - the status codes, error strings and version shared by every bex module.
 *
 *   int rc = bex_image_load("photo.jpg", NULL, &img, err, sizeof err);
 *   if (rc != BEX_OK) fprintf(stderr, "bex: %s\n", err);  // err is the detailed message;
 *                                                         // bex_strerror(rc) the generic one
 *
 * Every public function returns a bex_status (0 = OK). Codes are never renumbered.
 * Outputs are written only on success.
 */
#ifndef BEX_BEX_H
#define BEX_BEX_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BEX_VERSION "0.1.0"

typedef enum bex_status {
    BEX_OK = 0,
    BEX_ERR_NOMEM = 1,         /* an allocation failed */
    BEX_ERR_IO = 2,            /* a file could not be opened, read or written */
    BEX_ERR_FORMAT = 3,        /* the input is not in a format bex reads */
    BEX_ERR_CORRUPT = 4,       /* the input is malformed or truncated */
    BEX_ERR_LIMIT = 5,         /* the input exceeds a configured limit (bytes, pixels) */
    BEX_ERR_ARG = 6,           /* a caller passed an invalid argument */
    BEX_ERR_MODEL = 7,         /* model weights missing, mismatched or corrupt */
    BEX_ERR_NO_FACE = 8,       /* no face was found in the image */
    BEX_ERR_UNSUPPORTED = 9,   /* a valid input using a feature bex does not support */
    /* Failures to acquire / enrol a capture (bex_capture in quality.h): the photo was read,
     * but it cannot be used; NO_FACE above is the first of them. */
    BEX_ERR_SEVERAL_FACES = 10, /* another face is nearly as large as the largest: whose? */
    BEX_ERR_FACE_TOO_SMALL = 11, /* the face is too small (too few pixels between the eyes) */
    BEX_ERR_LOW_QUALITY = 12,   /* the capture's quality score is below the configured floor */
    /* Storage that cannot take a write now: nothing was written, the same call may succeed
     * later (the service answers 507 and 503 with Retry-After). */
    BEX_ERR_FULL = 13,          /* the disk (or the store's configured size) is full */
    BEX_ERR_BUSY = 14,          /* the database is locked by another process */
} bex_status;

/* Nonzero for the failure-to-acquire outcomes: the image was fine as a file, a person should
 * be photographed again (NO_FACE, SEVERAL_FACES, FACE_TOO_SMALL, LOW_QUALITY). */
int bex_status_is_capture_failure(int status);

/* A short, static description of a status code (never NULL). */
const char *bex_strerror(int status);

#ifdef __cplusplus
}
#endif
#endif
