/*
 * finger.h - fingerprints: images (WSQ, TIFF and the face formats), minutiae, quality, ISO/IEC
 * 19794-2:2005 and ANSI INCITS 378-2004 records, 1:1 comparison and 1:N search.
 *
 *   bex_finger_image img;
 *   bex_finger_template t;
 *   char err[256];
 *   if (bex_finger_image_load("101_1.tif", 0, NULL, &img, err, sizeof err) != BEX_OK ||
 *       bex_finger_extract(&img, 0, &t, err, sizeof err) != BEX_OK)
 *       fail(err);                                // "101_1.tif: ..." a person can act on
 *   float s = bex_finger_compare(&t, &other);     // 0..1, higher = more alike
 *   bex_finger_image_free(&img);
 *
 * Conventions (those of ISO/IEC 19794-2:2005, which every record here maps onto):
 *   - coordinates are pixels of the image rescaled to 500 ppi (BEX_FINGER_PPI), origin at the
 *     top left, x to the right, y down;
 *   - a minutia's angle is in units of 360/256 degrees, counter-clockwise from the x axis
 *     (ISO's own unit; ANSI 378 uses 2-degree units and is converted on read and write);
 *   - ridges are dark: a pixel value of 0 is black.
 * docs/fingerprints.md has the method, its sources and its measured accuracy.
 */
#ifndef BEX_FINGER_H
#define BEX_FINGER_H

#include <stddef.h>
#include <stdint.h>

#include "bex/bex.h"
#include "bex/image.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BEX_FINGER_PPI 500          /* the reference resolution every template is made at */
#define BEX_FINGER_MAX_MINUTIAE 128 /* kept per template, best quality first */

/* ---- images ---------------------------------------------------------------------------- */

/* Where an image's resolution came from. */
typedef enum bex_finger_ppi_source {
    BEX_PPI_ASSUMED = 0,  /* neither the file nor the caller said: 500 assumed */
    BEX_PPI_FILE = 1,     /* the file stated it (TIFF XResolution, WSQ NISTCOM PPI, JFIF) */
    BEX_PPI_DECLARED = 2, /* the caller declared it (--ppi) */
} bex_finger_ppi_source;

/* An 8-bit grey image, rows top to bottom, no padding. */
typedef struct bex_finger_image {
    int width, height; /* px */
    int ppi;           /* pixels per inch */
    bex_finger_ppi_source ppi_source;
    uint8_t *px;       /* width * height bytes; owned, release with bex_finger_image_free */
} bex_finger_image;

/* Decodes a fingerprint image held in memory: WSQ, TIFF (8-bit grey, or converted to grey),
 * or any format bex_image_decode reads (converted to grey). declared_ppi > 0 is used when the
 * file states no resolution; a file's own statement wins over it. limits may be NULL. */
int bex_finger_image_decode(const uint8_t *buf, size_t len, int declared_ppi,
                            const bex_image_limits *limits, bex_finger_image *out, char *err,
                            size_t errlen);
/* Reads and decodes a file; the message names the file. */
int bex_finger_image_load(const char *path, int declared_ppi, const bex_image_limits *limits,
                          bex_finger_image *out, char *err, size_t errlen);
/* The image rescaled to 500 ppi (a copy when it already is). */
int bex_finger_image_to_500(const bex_finger_image *in, bex_finger_image *out, char *err,
                            size_t errlen);
/* Releases the pixels and zeroes *img; safe on a zeroed image. */
void bex_finger_image_free(bex_finger_image *img);

/* WSQ (FBI WSQ Gray-scale Fingerprint Image Compression Specification, version 3.1) alone. */
int bex_wsq_decode(const uint8_t *buf, size_t len, const bex_image_limits *limits,
                   bex_finger_image *out, char *err, size_t errlen);

/* Slaps: a four-finger (ANSI/NIST finger position 13 right, 14 left) or two-thumb (15) image
 * cut into single fingers, left to right in the image. positions[i] gets the finger position
 * (1-10) of fingers[i]; *n how many were found. The caller frees each image. */
int bex_finger_slap_segment(const bex_finger_image *slap, int slap_position,
                            bex_finger_image fingers[4], int positions[4], int *n, char *err,
                            size_t errlen);

/* ---- templates ------------------------------------------------------------------------- */

typedef enum bex_minutia_type {
    BEX_MINUTIA_OTHER = 0,       /* ISO 00 */
    BEX_MINUTIA_ENDING = 1,      /* ISO 01: ridge ending */
    BEX_MINUTIA_BIFURCATION = 2, /* ISO 10: ridge bifurcation */
} bex_minutia_type;

typedef struct bex_minutia {
    uint16_t x, y;   /* px at 500 ppi */
    uint8_t angle;   /* 360/256 degree units, counter-clockwise from the x axis */
    uint8_t type;    /* bex_minutia_type */
    uint8_t quality; /* 0-100; 0 = not reported */
} bex_minutia;

/* Coded problems of a capture (bits of bex_finger_template.problems). */
enum {
    BEX_FINGER_TOO_DRY = 1u << 0,      /* broken ridges, low dark-pixel share */
    BEX_FINGER_TOO_WET = 1u << 1,      /* merged ridges, high dark-pixel share */
    BEX_FINGER_PARTIAL = 1u << 2,      /* the print touches the image edge / is cut off */
    BEX_FINGER_SMALL_AREA = 1u << 3,   /* too little usable print area */
    BEX_FINGER_FEW_MINUTIAE = 1u << 4, /* fewer minutiae than a comparison needs */
    BEX_FINGER_LOW_CONTRAST = 1u << 5, /* ridges barely differ from valleys */
};

typedef struct bex_finger_template {
    uint16_t width, height;  /* the image's size at 500 ppi */
    uint8_t finger_position; /* ANSI/NIST-ITL finger position: 0 unknown, 1-10 */
    uint8_t quality;         /* 0-100 for the whole image */
    uint32_t problems;       /* BEX_FINGER_* bits */
    int area_px;             /* foreground (print) pixels at 500 ppi */
    int n;                   /* minutiae in m */
    bex_minutia m[BEX_FINGER_MAX_MINUTIAE];
} bex_finger_template;

/* Segments, enhances and finds the minutiae of a fingerprint image (any resolution: rescaled
 * to 500 ppi first). finger_position (0-10) is copied into the template. Fails only on a bad
 * argument or memory; an unusable print gives a template whose problems and quality say so. */
int bex_finger_extract(const bex_finger_image *img, int finger_position,
                       bex_finger_template *out, char *err, size_t errlen);

/* Failure to enrol: BEX_OK when the template can be enrolled, else BEX_ERR_LOW_QUALITY with
 * the reason (the coded problem, the minutiae count, the quality) in err. Pure. */
int bex_finger_enrol_check(const bex_finger_template *t, char *err, size_t errlen);

/* A problem bit's code ("too_dry", ...) for JSON; NULL for an unknown bit. */
const char *bex_finger_problem_code(uint32_t bit);

/* ---- records: ISO/IEC 19794-2:2005 and ANSI INCITS 378-2004 ------------------------------
 * One record holds one or more finger views. Readers check every length and count against the
 * bytes and the standards' limits and say where a record is wrong; never a crash. */
#define BEX_FINGER_RECORD_MAX_VIEWS 16

/* Writers: *out is a new buffer of *len bytes, free() it. The views are at 500 ppi (197
 * pixels per cm in the record); impression type 0 (live-scan plain), no extended data. ANSI
 * angles are 2-degree units: an angle read back differs from the one written by at most one
 * 360/256-degree unit. Readers rescale a record at another resolution to 500 ppi. */
int bex_finger_iso_write(const bex_finger_template *views, int n, uint8_t **out, size_t *len,
                         char *err, size_t errlen);
int bex_finger_iso_read(const uint8_t *buf, size_t len, bex_finger_template *views, int max,
                        int *n, char *err, size_t errlen);
int bex_finger_ansi_write(const bex_finger_template *views, int n, uint8_t **out, size_t *len,
                          char *err, size_t errlen);
int bex_finger_ansi_read(const uint8_t *buf, size_t len, bex_finger_template *views, int max,
                         int *n, char *err, size_t errlen);
/* Which record buf holds, from its first bytes: 1 ISO 19794-2:2005, 2 ANSI INCITS 378-2004
 * (both start "FMR\0" " 20\0": told apart by which length field agrees with len), 0 neither. */
int bex_finger_record_sniff(const uint8_t *buf, size_t len);

/* ---- comparison ------------------------------------------------------------------------ */

/* A template prepared for comparison (the matcher's local structures); opaque. */
typedef struct bex_finger_prepared bex_finger_prepared;

int bex_finger_prepare(const bex_finger_template *t, bex_finger_prepared **out, char *err,
                       size_t errlen);
void bex_finger_prepared_free(bex_finger_prepared *p);
/* Similarity 0..1 (higher = more alike); symmetric; thread-safe on const inputs. */
float bex_finger_compare_prepared(const bex_finger_prepared *a, const bex_finger_prepared *b);
/* The same, preparing both (slower: for one-off comparisons). */
float bex_finger_compare(const bex_finger_template *a, const bex_finger_template *b);

/* ---- the calibrated threshold ------------------------------------------------------------
 * The comparator's threshold for a target false match rate, from the table `bex eval finger
 * --fvc2002 ROOT --calibrate src/finger/calibration_table.h` made on FVC2002 DB1-DB4 B: every
 * pair of enrolled images of different fingers within a database is a non-mated comparison
 * (4 x 2,880), so the lowest FMR it supports with at least 10 expected false matches is about
 * 0.001. A request between two table targets gets the stricter one. docs/fingerprints.md has
 * the evidence and its limits (four small sensors' sets, not an operational population). */
#define BEX_FINGER_DEFAULT_FMR 1e-3 /* as faces (calibration.h: BEX_DEFAULT_FMR) */

typedef struct bex_finger_operating_point {
    double target;                    /* the FMR asked for */
    double fmr;                       /* the table's target used: the largest <= target */
    float threshold;                  /* a score at or above it is a match */
    double fmr_measured;              /* false_matches / comparisons */
    double fmr_upper95;               /* one-sided 95% Clopper-Pearson bound on it */
    double fnmr_measured;             /* FVC2002 genuine pairs below threshold */
    double heldout_fmr;               /* each sensor's FMR at the threshold fitted on the other
                                         sensors' comparisons, pooled; -1 not measured */
    unsigned long long comparisons;   /* non-mated comparisons behind the table */
    unsigned long long false_matches; /* of which at or above threshold */
    char name[32];                    /* "FMR 0.001" */
    const char *evidence;             /* what the table was made from (static text) */
} bex_finger_operating_point;

/* The operating point for target FMR fmr (0 < fmr < 1). BEX_ERR_ARG for a target below the
 * table's lowest (the message names it); BEX_ERR_UNSUPPORTED while no table has been made. */
int bex_finger_operating_point_verify(double fmr, bex_finger_operating_point *op, char *err,
                               size_t errlen);
/* The same, threshold and measured FMR only (fmr_measured may be NULL). */
int bex_finger_threshold(double fmr, float *threshold, double *fmr_measured, char *err,
                         size_t errlen);

/* 1:N: an in-memory gallery of prepared templates keyed by a caller's id (the store's
 * sample id). */
typedef struct bex_finger_gallery bex_finger_gallery;
typedef struct bex_finger_hit {
    int64_t id;
    float score;
} bex_finger_hit;

bex_finger_gallery *bex_finger_gallery_new(void);
void bex_finger_gallery_free(bex_finger_gallery *g);
int bex_finger_gallery_add(bex_finger_gallery *g, int64_t id, const bex_finger_template *t,
                           char *err, size_t errlen);
int bex_finger_gallery_remove(bex_finger_gallery *g, int64_t id);
size_t bex_finger_gallery_size(const bex_finger_gallery *g);
/* The k best-scoring entries, best first; returns how many were written (<= k). */
int bex_finger_gallery_search(const bex_finger_gallery *g, const bex_finger_template *probe,
                              bex_finger_hit *hits, int k);
/* The same with a probe prepared once by the caller (a search repeated, or a probe also
 * compared 1:1). */
int bex_finger_gallery_search_prepared(const bex_finger_gallery *g, const bex_finger_prepared *probe,
                                       bex_finger_hit *hits, int k);

#ifdef __cplusplus
}
#endif
#endif
