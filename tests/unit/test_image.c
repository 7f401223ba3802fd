/*
 * test_image.c - unit tests of the image module: every decoder against known pixels
 * (fixtures in tests/data/image/, written by tools/make-image-fixtures.c), EXIF orientation,
 * the failure paths (truncated, corrupt, empty, unknown, over-limit, out of memory), and the
 * float resamplers against slow reference implementations of their formulas.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bex/image.h"
#include "image/decode.h"
#include "image/transform.h"
#include "test.h"
#include "util/util.h"

/* ------------------------------------------------------------------ fixtures and patterns */

/* The patterns tools/make-image-fixtures.c draws; keep the two in step. */
enum { PW = 7, PH = 5, OW = 32, OH = 16 };

static void pat_rgb(int x, int y, uint8_t p[3]) {
    p[0] = (uint8_t)((x * 37 + y * 11) & 255);
    p[1] = (uint8_t)((x * 5 + y * 53 + 17) & 255);
    p[2] = (uint8_t)((x * y * 7 + 200) & 255);
}
static uint8_t pat_grey(int x, int y) { return (uint8_t)((x * 31 + y * 17 + 3) & 255); }
static void pat_smooth(int x, int y, uint8_t p[3]) {
    p[0] = (uint8_t)(x * 16);
    p[1] = (uint8_t)(y * 16);
    p[2] = (uint8_t)(128 + x * 4 - y * 4);
}
static void pat_quad(int x, int y, uint8_t p[3]) {
    static const uint8_t q[4][3] = {{220, 40, 40}, {40, 220, 40}, {40, 40, 220}, {230, 230, 230}};
    memcpy(p, q[(y >= OH / 2) * 2 + (x >= OW / 2)], 3);
}

static uint8_t *slurp(const char *name, size_t *len) {
    char path[256];
    snprintf(path, sizeof path, "tests/data/image/%s", name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        printf("  cannot open %s\n", path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* Decodes a fixture with default limits; on failure prints the message. */
static int load(const char *name, bex_image *img) {
    char path[256], err[256] = "";
    snprintf(path, sizeof path, "tests/data/image/%s", name);
    int rc = bex_image_load(path, NULL, img, err, sizeof err);
    if (rc != BEX_OK) printf("  %s\n", err);
    return rc;
}

static const uint8_t *px(const bex_image *im, int x, int y) {
    return im->px + ((size_t)y * im->width + x) * 3;
}

/* max |decoded - expected| over the image, expected given by f */
typedef void (*pattern_fn)(int x, int y, uint8_t p[3]);
static int max_diff(const bex_image *im, pattern_fn f) {
    int worst = 0;
    for (int y = 0; y < im->height; y++)
        for (int x = 0; x < im->width; x++) {
            uint8_t e[3];
            f(x, y, e);
            for (int k = 0; k < 3; k++) {
                int d = abs((int)px(im, x, y)[k] - e[k]);
                if (d > worst) worst = d;
            }
        }
    return worst;
}

static void grey_rgb(int x, int y, uint8_t p[3]) { p[0] = p[1] = p[2] = pat_grey(x, y); }
static void grey2_rgb(int x, int y, uint8_t p[3]) { p[0] = p[1] = p[2] = (uint8_t)(((x + y) & 3) * 85); }
static void max1000_rgb(int x, int y, uint8_t p[3]) {
    unsigned v = (unsigned)((x * 97 + y * 131) % 1001);
    p[0] = p[1] = p[2] = (uint8_t)((v * 255 + 500) / 1000);
}
static void max1_rgb(int x, int y, uint8_t p[3]) { p[0] = p[1] = p[2] = ((x + y) & 1) ? 255 : 0; }
static void grey12_rgb(int x, int y, uint8_t p[3]) {
    unsigned v = (unsigned)((x * 613 + y * 1009) % 4096);
    p[0] = p[1] = p[2] = (uint8_t)((v * 255 + 2047) / 4095);
}
static void jpeg_grey_rgb(int x, int y, uint8_t p[3]) { p[0] = p[1] = p[2] = (uint8_t)(x * 8 + y * 7); }
/* ycc420.jp2: Y = 60 + 20x + 10y per pixel; Cb = 100 + 9 * (x/2), Cr = 150 - 11 * (y/2) per 2x2 */
static void ycc420_rgb(int x, int y, uint8_t p[3]) {
    double Y = 60 + x * 20 + y * 10, cb = 100 + (x / 2) * 9 - 128.0, cr = 150 - (y / 2) * 11 - 128.0;
    double v[3] = {Y + 1.402 * cr, Y - 0.344136 * cb - 0.714136 * cr, Y + 1.772 * cb};
    for (int k = 0; k < 3; k++) p[k] = (uint8_t)(v[k] < 0 ? 0 : v[k] > 255 ? 255 : (int)(v[k] + 0.5));
}

static void check_fixture(const char *name, int w, int h, pattern_fn f, int tol) {
    bex_image im = {0, 0, NULL};
    int rc = load(name, &im);
    CHECK(rc == BEX_OK);
    if (rc != BEX_OK) {
        printf("  (fixture %s)\n", name);
        return;
    }
    CHECK(im.width == w && im.height == h);
    if (im.width == w && im.height == h) {
        int d = max_diff(&im, f);
        if (d > tol) printf("  %s: max pixel difference %d > %d\n", name, d, tol);
        CHECK(d <= tol);
    }
    bex_image_free(&im);
    CHECK(im.px == NULL && im.width == 0);
}

/* ------------------------------------------------------------------ decoding */

TEST(sniff) {
    CHECK(bex_image_sniff((const uint8_t *)"\xFF\xD8\xFF\xE0", 4) == BEX_IMAGE_JPEG);
    CHECK(bex_image_sniff((const uint8_t *)"\x89PNG\r\n\x1a\n", 8) == BEX_IMAGE_PNG);
    CHECK(bex_image_sniff((const uint8_t *)"\x89PNG\r\n\x1a", 7) == BEX_IMAGE_UNKNOWN);
    CHECK(bex_image_sniff((const uint8_t *)"P6\n", 3) == BEX_IMAGE_PNM);
    CHECK(bex_image_sniff((const uint8_t *)"P5 ", 3) == BEX_IMAGE_PNM);
    CHECK(bex_image_sniff((const uint8_t *)"P6x", 3) == BEX_IMAGE_UNKNOWN);
    CHECK(bex_image_sniff((const uint8_t *)"P9\n", 3) == BEX_IMAGE_UNKNOWN);
    CHECK(bex_image_sniff((const uint8_t *)"\0\0\0\x0CjP  \r\n\x87\n", 12) == BEX_IMAGE_JP2);
    CHECK(bex_image_sniff((const uint8_t *)"\xFF\x4F\xFF\x51", 4) == BEX_IMAGE_JP2);
    CHECK(bex_image_sniff((const uint8_t *)"GIF89a", 6) == BEX_IMAGE_UNKNOWN);
    CHECK(bex_image_sniff(NULL, 10) == BEX_IMAGE_UNKNOWN);
    CHECK(bex_image_sniff((const uint8_t *)"", 0) == BEX_IMAGE_UNKNOWN);
}

TEST(png_decodes) {
    check_fixture("rgb.png", PW, PH, pat_rgb, 0);
    check_fixture("interlaced.png", PW, PH, pat_rgb, 0);
    check_fixture("rgba.png", PW, PH, pat_rgb, 0); /* alpha dropped, colour kept */
    check_fixture("rgb16.png", PW, PH, pat_rgb, 0);
    check_fixture("palette.png", PW, PH, pat_rgb, 0);
    check_fixture("gray.png", PW, PH, grey_rgb, 0);
    check_fixture("graya.png", PW, PH, grey_rgb, 0);
    check_fixture("gray2.png", PW, PH, grey2_rgb, 0);
}

TEST(pnm_decodes) {
    check_fixture("rgb.ppm", PW, PH, pat_rgb, 0);
    check_fixture("rgb-ascii.ppm", PW, PH, pat_rgb, 0);
    check_fixture("rgb16.ppm", PW, PH, pat_rgb, 0);
    check_fixture("gray.pgm", PW, PH, grey_rgb, 0);
    check_fixture("gray-ascii.pgm", PW, PH, grey_rgb, 0);
    check_fixture("gray-max1000.pgm", PW, PH, max1000_rgb, 0);
    check_fixture("gray-max1.pgm", PW, PH, max1_rgb, 0);
}

TEST(pnm_rejects) {
    static const struct { const char *s; int rc; } cases[] = {
        {"P6\n2 2\n0\n\1\2\3\4\5\6\7\10\11\12\13\14", BEX_ERR_CORRUPT}, /* maxval 0 */
        {"P6\n2 2\n65536\n", BEX_ERR_CORRUPT},                          /* maxval too big */
        {"P3\n1 1\n255\n1 2 300\n", BEX_ERR_CORRUPT},                   /* sample > maxval */
        {"P5\n2 1\n3\n\1\7", BEX_ERR_CORRUPT},                          /* binary sample > maxval */
        {"P2\n2 1\n255\n1x 2\n", BEX_ERR_CORRUPT},                      /* junk in a number */
        {"P5 2 2 255", BEX_ERR_CORRUPT},                                 /* no raster */
        {"P5\n0 5\n255\n", BEX_ERR_CORRUPT},                            /* empty image */
        {"P6\n#", BEX_ERR_CORRUPT},
        {"P5\n99999999999 1\n255\n", BEX_ERR_LIMIT},
        {"P6\n100000 100000\n255\n\1\2\3", BEX_ERR_LIMIT},
        {"P1\n1 1\n1\n", BEX_ERR_UNSUPPORTED},
        {"P4\n1 1\n\1", BEX_ERR_UNSUPPORTED},
        {"P7\nWIDTH 1\n", BEX_ERR_UNSUPPORTED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bex_image im = {0, 0, NULL};
        char err[256] = "";
        int rc = bex_image_decode((const uint8_t *)cases[i].s, strlen(cases[i].s), NULL, &im, err,
                                  sizeof err);
        if (rc != cases[i].rc) printf("  case %zu: rc %d (%s)\n", i, rc, err);
        CHECK(rc == cases[i].rc);
        CHECK(err[0] != '\0');
        CHECK(im.px == NULL);
    }
    /* comments between every header token, and a single space before the raster */
    const char ok[] = "P5#c\n2#c\n#c\n1 #c\n255 \x10\x20";
    bex_image im;
    char err[256];
    CHECK(bex_image_decode((const uint8_t *)ok, sizeof ok - 1, NULL, &im, err, sizeof err) == BEX_OK);
    if (im.px) {
        CHECK(im.width == 2 && im.height == 1 && im.px[0] == 0x10 && im.px[5] == 0x20);
        bex_image_free(&im);
    }
}

TEST(jp2_decodes) {
    check_fixture("rgb.jp2", PW, PH, pat_rgb, 0);
    check_fixture("rgb.j2k", PW, PH, pat_rgb, 0);
    check_fixture("rgba.jp2", PW, PH, pat_rgb, 0);
    check_fixture("gray.jp2", PW, PH, grey_rgb, 0);
    check_fixture("signed.j2k", PW, PH, grey_rgb, 0);
    check_fixture("gray12.j2k", PW, PH, grey12_rgb, 0);
    check_fixture("ycc420.jp2", PW, PH, ycc420_rgb, 1);
}

TEST(jpeg_decodes) {
    check_fixture("rgb.jpg", 16, 16, pat_smooth, 6);
    check_fixture("progressive.jpg", 16, 16, pat_smooth, 6);
    check_fixture("cmyk.jpg", 16, 16, pat_smooth, 6);
    check_fixture("gray.jpg", 16, 16, jpeg_grey_rgb, 4);
    bex_image im;
    if (load("gray.jpg", &im) == BEX_OK) { /* grey expands to R = G = B exactly */
        int same = 1;
        for (size_t i = 0; i < (size_t)im.width * im.height; i++)
            same &= im.px[i * 3] == im.px[i * 3 + 1] && im.px[i * 3] == im.px[i * 3 + 2];
        CHECK(same);
        bex_image_free(&im);
    }
}

/* Each orient-N.jpg stores the 32x16 quadrant picture so that EXIF orientation N turns it
 * upright; all must come out 32x16 with the quadrants in place. */
TEST(exif_orientations) {
    for (int o = 1; o <= 8; o++) {
        char name[32];
        snprintf(name, sizeof name, "orient-%d.jpg", o);
        check_fixture(name, OW, OH, pat_quad, 12);
    }
}

/* Hostile or malformed EXIF payloads are ignored: the (upright) picture is returned as is. */
TEST(exif_hostile_ignored) {
    static const char *names[] = {"exif-ifd-far.jpg",  "exif-ifd-edge.jpg",   "exif-count-huge.jpg",
                                  "exif-value-9.jpg", "exif-type-ascii.jpg", "exif-cut.jpg"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        check_fixture(names[i], OW, OH, pat_quad, 12);
}

static size_t build_exif(uint8_t *b, int le, unsigned type, unsigned value) {
    memcpy(b, "Exif\0\0", 6);
    uint8_t *t = b + 6;
    memcpy(t, le ? "II*\0" : "MM\0*", 4);
#define W16(p, v) (le ? ((p)[0] = (uint8_t)(v), (p)[1] = (uint8_t)((v) >> 8)) : ((p)[0] = (uint8_t)((v) >> 8), (p)[1] = (uint8_t)(v)))
    W16(t + 4, le ? 8 : 0);
    W16(t + 6, le ? 0 : 8);
    W16(t + 8, 1);
    W16(t + 10, 0x0112);
    W16(t + 12, type);
    W16(t + 14, le ? 1 : 0);
    W16(t + 16, le ? 0 : 1);
    memset(t + 18, 0, 4);
    W16(t + (type == 4 && !le ? 20 : 18), value);
    memset(t + 22, 0, 4);
#undef W16
    return 6 + 26;
}

TEST(exif_parser) {
    uint8_t b[64];
    for (int le = 0; le <= 1; le++)
        for (unsigned v = 0; v <= 10; v++) {
            size_t n = build_exif(b, le, 3, v);
            CHECK(bex__exif_orientation(b, n) == (v >= 1 && v <= 8 ? (int)v : 0));
            n = build_exif(b, le, 4, v); /* LONG, written by a few tools */
            CHECK(bex__exif_orientation(b, n) == (v >= 1 && v <= 8 ? (int)v : 0));
        }
    size_t n = build_exif(b, 1, 3, 6);
    CHECK(bex__exif_orientation(b, n) == 6);
    /* every truncation: either no orientation or the right one, never a read past the end
     * (each copy is exactly sized, so ASan would see one) */
    for (size_t cut = 0; cut < n; cut++) {
        uint8_t *c = malloc(cut ? cut : 1);
        memcpy(c, b, cut);
        int o = bex__exif_orientation(c, cut);
        CHECK(o == 0 || (o == 6 && cut >= 6 + 22)); /* the entry ends at byte 28 */
        free(c);
    }
    b[6 + 4] = 0xF0; /* IFD offset far out */
    CHECK(bex__exif_orientation(b, n) == 0);
    b[6 + 4] = 8;
    b[6 + 8] = 0xFF; /* entry count beyond the segment */
    CHECK(bex__exif_orientation(b, n) == 0);
    b[6 + 8] = 1;
    b[6] = 'X'; /* not a TIFF header */
    CHECK(bex__exif_orientation(b, n) == 0);
    CHECK(bex__exif_orientation((const uint8_t *)"http://ns.adobe.com/xap/1.0/", 28) == 0);
    CHECK(bex__exif_orientation(NULL, 100) == 0);
    /* random payloads after a valid prefix */
    srand(7);
    for (int i = 0; i < 20000; i++) {
        size_t len = 6 + (size_t)(rand() % 48);
        uint8_t *r = malloc(len);
        memcpy(r, "Exif\0\0", 6);
        for (size_t k = 6; k < len; k++) r[k] = (uint8_t)rand();
        if (len >= 10 && (i & 1)) memcpy(r + 6, (i & 2) ? "II*\0" : "MM\0*", 4);
        int o = bex__exif_orientation(r, len);
        CHECK(o >= 0 && o <= 8);
        free(r);
    }
}

/* The orientation transform against hand-drawn expectations: stored 3x2 image
 *   a b c
 *   d e f                                                         */
TEST(orient_transform) {
    static const char *expect[9] = {
        NULL,     "abcdef", "cbafed", "fedcba", "defabc", /* 1..4 keep 3x2 */
        "adbecf", /* 5 transpose:   a d / b e / c f */
        "daebfc", /* 6 rotate CW:   d a / e b / f c */
        "fcebda", /* 7 transverse:  f c / e b / d a */
        "cfbead", /* 8 rotate CCW:  c f / b e / a d */
    };
    for (int o = 1; o <= 8; o++) {
        bex_image im = {3, 2, malloc(18)};
        for (int i = 0; i < 6; i++) im.px[i * 3] = im.px[i * 3 + 1] = im.px[i * 3 + 2] = (uint8_t)('a' + i);
        /* bex__image_orient frees with bex__free; malloc and bex__malloc share the heap */
        char err[128];
        CHECK(bex__image_orient(&im, o, err, sizeof err) == BEX_OK);
        CHECK(im.width == (o >= 5 ? 2 : 3) && im.height == (o >= 5 ? 3 : 2));
        char got[7] = "";
        for (int i = 0; i < 6; i++) got[i] = (char)im.px[i * 3];
        if (strcmp(got, expect[o]) != 0) printf("  orientation %d: got %s, want %s\n", o, got, expect[o]);
        CHECK(strcmp(got, expect[o]) == 0);
        bex_image_free(&im);
    }
}

/* ------------------------------------------------------------------ failure paths */

static const char *all_fixtures[] = {
    "rgb.jpg", "progressive.jpg", "cmyk.jpg", "gray.jpg", "orient-6.jpg", "rgb.png",
    "interlaced.png", "rgb16.png", "palette.png", "graya.png", "rgb.ppm", "rgb16.ppm",
    "gray.pgm", "rgb.jp2", "rgb.j2k", "ycc420.jp2", "gray12.j2k", "signed.j2k",
};

/* Every proper prefix of a binary fixture is an error with a message, never pixels. */
TEST(truncated_inputs_fail) {
    for (size_t f = 0; f < sizeof all_fixtures / sizeof all_fixtures[0]; f++) {
        size_t n = 0;
        uint8_t *b = slurp(all_fixtures[f], &n);
        CHECK(b != NULL);
        if (!b) continue;
        for (size_t cut = 1; cut < n; cut++) {
            uint8_t *c = malloc(cut); /* exact size: ASan sees any overread */
            memcpy(c, b, cut);
            bex_image im = {-1, -1, (uint8_t *)c}; /* sentinel: must stay untouched */
            char err[256] = "";
            int rc = bex_image_decode(c, cut, NULL, &im, err, sizeof err);
            if (rc == BEX_OK || err[0] == '\0' || strchr(err, '\n')) {
                printf("  %s cut at %zu of %zu: rc %d, \"%s\"\n", all_fixtures[f], cut, n, rc, err);
                CHECK(0);
                if (rc == BEX_OK) bex_image_free(&im);
                free(c);
                break;
            }
            CHECK(rc == BEX_ERR_CORRUPT || rc == BEX_ERR_FORMAT);
            CHECK(im.width == -1 && im.height == -1 && im.px == c);
            free(c);
        }
        /* cut in half: the message says so */
        bex_image im;
        char err[256] = "";
        int rc = bex_image_decode(b, n / 2, NULL, &im, err, sizeof err);
        CHECK(rc == BEX_ERR_CORRUPT);
        if (!strstr(err, "truncated")) printf("  %s cut in half: \"%s\"\n", all_fixtures[f], err);
        CHECK(strstr(err, "truncated") != NULL);
        free(b);
    }
}

static int decode_mem(const uint8_t *b, size_t n, const bex_image_limits *lim, char *err,
                      size_t errlen) {
    bex_image im;
    int rc = bex_image_decode(b, n, lim, &im, err, errlen);
    if (rc == BEX_OK) bex_image_free(&im);
    return rc;
}

TEST(corrupt_inputs_fail) {
    char err[256];
    size_t n;
    uint8_t *b = slurp("rgb.jpg", &n);
    if (b) { /* garbage over the entropy-coded data, just before EOI */
        for (size_t i = n - 60; i < n - 2; i++) b[i] = (uint8_t)(i * 37);
        err[0] = '\0';
        CHECK(decode_mem(b, n, NULL, err, sizeof err) == BEX_ERR_CORRUPT);
        CHECK(strncmp(err, "JPEG data is corrupt", 20) == 0);
        free(b);
    }
    b = slurp("rgb.png", &n);
    if (b) { /* IHDR CRC broken */
        b[29] ^= 0x55;
        err[0] = '\0';
        CHECK(decode_mem(b, n, NULL, err, sizeof err) == BEX_ERR_CORRUPT);
        CHECK(strstr(err, "PNG") != NULL && strstr(err, "CRC") != NULL);
        free(b);
    }
    b = slurp("rgb.j2k", &n);
    if (b) { /* SIZ: zero-size image */
        memset(b + 8, 0, 4);
        err[0] = '\0';
        CHECK(decode_mem(b, n, NULL, err, sizeof err) == BEX_ERR_CORRUPT);
        CHECK(strstr(err, "JPEG 2000") != NULL);
        free(b);
    }
}

/* JPEG variants libjpeg-turbo (8-bit build) cannot decode are "unsupported", not "corrupt". */
TEST(jpeg_unsupported_variants) {
    size_t n;
    uint8_t *b = slurp("rgb.jpg", &n);
    if (!b) return;
    size_t sof = 0;
    for (size_t i = 2; i + 10 < n && !sof; i++)
        if (b[i] == 0xFF && b[i + 1] == 0xC0) sof = i;
    CHECK(sof != 0);
    char err[256] = "";
    b[sof + 4] = 12; /* 12-bit samples */
    CHECK(decode_mem(b, n, NULL, err, sizeof err) == BEX_ERR_UNSUPPORTED);
    CHECK(strstr(err, "precision 12") != NULL);
    b[sof + 4] = 8;
    b[sof + 1] = 0xC3; /* lossless process */
    CHECK(decode_mem(b, n, NULL, err, sizeof err) == BEX_ERR_UNSUPPORTED);
    free(b);
}

TEST(empty_and_unknown_inputs) {
    char err[256] = "";
    bex_image im = {-1, -1, NULL};
    CHECK(bex_image_decode((const uint8_t *)"", 0, NULL, &im, err, sizeof err) == BEX_ERR_FORMAT);
    CHECK(strstr(err, "empty") != NULL && im.width == -1);
    CHECK(bex_image_decode(NULL, 0, NULL, &im, err, sizeof err) == BEX_ERR_FORMAT);
    err[0] = '\0';
    CHECK(bex_image_decode((const uint8_t *)"GIF89a\1\0\1\0", 10, NULL, &im, err, sizeof err) == BEX_ERR_FORMAT);
    CHECK(strstr(err, "GIF") != NULL);
    err[0] = '\0';
    CHECK(bex_image_decode((const uint8_t *)"hello, world", 12, NULL, &im, err, sizeof err) == BEX_ERR_FORMAT);
    CHECK(strstr(err, "68 65 6c 6c") != NULL); /* names the bytes it saw */
    CHECK(bex_image_decode((const uint8_t *)"\xFF\xD8\xFF", 3, NULL, &im, err, sizeof err) == BEX_ERR_CORRUPT);
    CHECK(bex_image_decode((const uint8_t *)"x", 1, NULL, NULL, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_image_decode(NULL, 5, NULL, &im, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_image_decode((const uint8_t *)"x", 1, NULL, &im, NULL, 0) == BEX_ERR_FORMAT); /* no err buffer */
    CHECK(im.width == -1 && im.px == NULL);
}

TEST(limits) {
    static const char *huge[] = {"huge.jpg", "huge.png", "huge.ppm", "huge.j2k", "huge.jp2"};
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        char path[128], err[256] = "";
        snprintf(path, sizeof path, "tests/data/image/%s", huge[i]);
        bex_image im = {-1, -1, NULL};
        int rc = bex_image_load(path, NULL, &im, err, sizeof err);
        if (rc != BEX_ERR_LIMIT) printf("  %s: rc %d \"%s\"\n", huge[i], rc, err);
        CHECK(rc == BEX_ERR_LIMIT);
        CHECK(strncmp(err, path, strlen(path)) == 0); /* the message names the file */
        CHECK(strstr(err, "above the limit of 50 Mpx") != NULL);
        CHECK(im.width == -1);
    }
    char err[256] = "";
    bex_image im;
    bex_image_limits small = {0, 34}; /* 0 = default bytes; 7x5 = 35 px */
    CHECK(bex_image_load("tests/data/image/rgb.png", &small, &im, err, sizeof err) == BEX_ERR_LIMIT);
    CHECK(strstr(err, "7x5 = 35 px, above the limit of 34 px") != NULL);
    small.max_pixels = 35;
    CHECK(bex_image_load("tests/data/image/rgb.png", &small, &im, err, sizeof err) == BEX_OK);
    bex_image_free(&im);
    bex_image_limits bytes = {50, 0};
    CHECK(bex_image_load("tests/data/image/rgb.png", &bytes, &im, err, sizeof err) == BEX_ERR_LIMIT);
    CHECK(strstr(err, "file is 103 bytes, above the limit of 50 bytes") != NULL);
    size_t n;
    uint8_t *b = slurp("rgb.ppm", &n);
    if (b) {
        CHECK(decode_mem(b, n, &bytes, err, sizeof err) == BEX_ERR_LIMIT);
        bytes.max_file_bytes = n;
        CHECK(decode_mem(b, n, &bytes, err, sizeof err) == BEX_OK);
        free(b);
    }
    bex_image_limits tiny = {0, 1};
    static const char *each[] = {"rgb.jpg", "rgb.png", "rgb.ppm", "rgb.jp2", "rgb.j2k"};
    for (size_t i = 0; i < 5; i++) {
        b = slurp(each[i], &n);
        if (!b) continue;
        err[0] = '\0';
        CHECK(decode_mem(b, n, &tiny, err, sizeof err) == BEX_ERR_LIMIT);
        CHECK(strstr(err, "above the limit of 1 px") != NULL);
        free(b);
    }
}

/* A small JPEG 2000 file declaring thousands of tiny tiles is refused before OpenJPEG sets
 * them up (that alone took seconds and hundreds of MB). */
TEST(jp2_tile_limit) {
    static const char *names[] = {"tiles.j2k", "tiles.jp2"};
    for (size_t i = 0; i < 2; i++) {
        size_t n;
        uint8_t *b = slurp(names[i], &n);
        if (!b) continue;
        char err[256] = "";
        CHECK(decode_mem(b, n, NULL, err, sizeof err) == BEX_ERR_LIMIT);
        CHECK(strstr(err, "15625 tiles, above the limit") != NULL);
        free(b);
    }
}

TEST(load_errors_name_the_file) {
    char err[256] = "";
    bex_image im;
    CHECK(bex_image_load("tests/data/image/no-such-file.jpg", NULL, &im, err, sizeof err) == BEX_ERR_IO);
    CHECK(strstr(err, "tests/data/image/no-such-file.jpg: cannot open") == err);
    CHECK(bex_image_load("tests/data/image", NULL, &im, err, sizeof err) == BEX_ERR_IO);
    CHECK(strstr(err, "directory") != NULL);
    CHECK(bex_image_load(NULL, NULL, &im, err, sizeof err) == BEX_ERR_ARG);
    /* a short message buffer is truncated, not overrun */
    char small[8];
    CHECK(bex_image_load("tests/data/image/huge.png", NULL, &im, small, sizeof small) == BEX_ERR_LIMIT);
    CHECK(strlen(small) == 7);
}

/* Fail the 1st, 2nd, ... allocation until decoding succeeds: every failure is BEX_ERR_NOMEM
 * with a message, leaves the output alone, and leaks nothing (SANITIZE=1 checks leaks). */
TEST(allocation_failures) {
    static const char *names[] = {"rgb.jpg", "cmyk.jpg", "orient-6.jpg", "rgb.png", "interlaced.png",
                                  "palette.png", "rgb.ppm", "rgb-ascii.ppm", "rgb.jp2", "ycc420.jp2"};
    for (size_t f = 0; f < sizeof names / sizeof names[0]; f++) {
        char path[128];
        snprintf(path, sizeof path, "tests/data/image/%s", names[f]);
        int failures = 0, ok = 0;
        for (long k = 1; k < 200 && !ok; k++) {
            bex_image im = {-1, -1, NULL};
            char err[256] = "";
            bex__alloc_fail_after(k);
            int rc = bex_image_load(path, NULL, &im, err, sizeof err);
            bex__alloc_fail_after(0);
            if (rc == BEX_OK) {
                ok = 1;
                bex_image_free(&im);
            } else {
                failures++;
                if (rc != BEX_ERR_NOMEM) printf("  %s, allocation %ld failed: rc %d \"%s\"\n", names[f], k, rc, err);
                CHECK(rc == BEX_ERR_NOMEM);
                CHECK(err[0] != '\0' && im.width == -1);
            }
        }
        CHECK(ok && failures >= 2); /* at least the file buffer and the pixels */
    }
    /* the transforms that allocate */
    bex_image im;
    if (load("rgb.ppm", &im) == BEX_OK) {
        char err[128];
        bex__alloc_fail_after(1);
        CHECK(bex__image_orient(&im, 6, err, sizeof err) == BEX_ERR_NOMEM);
        bex__alloc_fail_after(0);
        CHECK(im.width == PW && im.height == PH && max_diff(&im, pat_rgb) == 0);
        bex_image p = {-1, -1, NULL};
        const uint8_t black[3] = {0, 0, 0};
        bex__alloc_fail_after(1);
        CHECK(bex__image_pad(&im, 2, black, &p, err, sizeof err) == BEX_ERR_NOMEM);
        bex__alloc_fail_after(0);
        CHECK(p.width == -1);
        bex_image_free(&im);
    }
}

/* LFW photos, when present, all decode to 250x250 (a handful, for a smoke test). */
TEST(lfw_smoke) {
    static const char *p[] = {
        "/work/shared/data/lfw/lfw-deepfunneled/Aaron_Eckhart/Aaron_Eckhart_0001.jpg",
        "/work/shared/data/lfw/lfw-deepfunneled/George_W_Bush/George_W_Bush_0001.jpg",
    };
    FILE *f = fopen(p[0], "rb");
    if (!f) SKIP("LFW not present");
    fclose(f);
    for (size_t i = 0; i < 2; i++) {
        bex_image im;
        char err[256] = "";
        int rc = bex_image_load(p[i], NULL, &im, err, sizeof err);
        if (rc != BEX_OK) printf("  %s\n", err);
        CHECK(rc == BEX_OK);
        if (rc == BEX_OK) {
            CHECK(im.width == 250 && im.height == 250);
            bex_image_free(&im);
        }
    }
}

/* ------------------------------------------------------------------ resampling */

static bex_image random_image(int w, int h, unsigned seed) {
    bex_image im = {w, h, malloc((size_t)w * h * 3)};
    srand(seed);
    for (size_t i = 0; i < (size_t)w * h * 3; i++) im.px[i] = (uint8_t)(rand() & 255);
    return im;
}

/* The tf.image.resizeBilinear formula written out directly from TensorFlow's kernel, on a
 * float canvas, for comparison. */
static void ref_resize(const float *in, int ih, int iw, int oh, int ow, float *out) {
    const float hs = (float)ih / (float)oh, ws = (float)iw / (float)ow;
    for (int y = 0; y < oh; y++) {
        const float in_y = (float)y * hs;
        const int y0 = (int)floorf(in_y);
        const int y1 = (int)ceilf(in_y) < ih - 1 ? (int)ceilf(in_y) : ih - 1;
        const float yl = in_y - floorf(in_y);
        for (int x = 0; x < ow; x++) {
            const float in_x = (float)x * ws;
            const int x0 = (int)floorf(in_x);
            const int x1 = (int)ceilf(in_x) < iw - 1 ? (int)ceilf(in_x) : iw - 1;
            const float xl = in_x - floorf(in_x);
            for (int c = 0; c < 3; c++) {
                const float tl = in[((size_t)y0 * iw + x0) * 3 + c], tr = in[((size_t)y0 * iw + x1) * 3 + c];
                const float bl = in[((size_t)y1 * iw + x0) * 3 + c], br = in[((size_t)y1 * iw + x1) * 3 + c];
                const float top = tl + (tr - tl) * xl;
                const float bottom = bl + (br - bl) * xl;
                out[((size_t)y * ow + x) * 3 + c] = top + (bottom - top) * yl;
            }
        }
    }
}

static float *to_float(const bex_image *im) {
    float *f = malloc((size_t)im->width * im->height * 3 * sizeof *f);
    for (size_t i = 0; i < (size_t)im->width * im->height * 3; i++) f[i] = im->px[i];
    return f;
}

TEST(resize_matches_reference) {
    static const int sizes[][2] = {{13, 7}, {5, 3}, {20, 11}, {1, 1}, {50, 50}, {7, 13}, {26, 14}, {3, 100}};
    bex_image im = random_image(13, 7, 1);
    float *in = to_float(&im);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        const int ow = sizes[s][0], oh = sizes[s][1];
        float *a = malloc((size_t)ow * oh * 3 * sizeof *a), *b = malloc((size_t)ow * oh * 3 * sizeof *b);
        CHECK(bex__image_resize_bilinear_f32(&im, ow, oh, a) == BEX_OK);
        ref_resize(in, 7, 13, oh, ow, b);
        CHECK(memcmp(a, b, (size_t)ow * oh * 3 * sizeof *a) == 0); /* bit-exact */
        free(a);
        free(b);
    }
    float one[13 * 7 * 3]; /* same size: a copy */
    CHECK(bex__image_resize_bilinear_f32(&im, 13, 7, one) == BEX_OK);
    CHECK(memcmp(one, in, sizeof one) == 0);
    CHECK(bex__image_resize_bilinear_f32(&im, 0, 7, one) == BEX_ERR_ARG);
    CHECK(bex__image_resize_bilinear_f32(NULL, 1, 1, one) == BEX_ERR_ARG);
    free(in);
    free(im.px);
}

TEST(resize_hand_values) {
    /* 2x2 grey [[0, 10], [20, 30]] to 4x4: scale 0.5, source rows/cols 0, .5, 1, 1.5 (clamped) */
    uint8_t p[12] = {0, 0, 0, 10, 10, 10, 20, 20, 20, 30, 30, 30};
    bex_image im = {2, 2, p};
    static const float want[16] = {0, 5, 10, 10, 10, 15, 20, 20, 20, 25, 30, 30, 20, 25, 30, 30};
    float out[16 * 3];
    CHECK(bex__image_resize_bilinear_f32(&im, 4, 4, out) == BEX_OK);
    for (int i = 0; i < 16; i++) CHECK(out[i * 3] == want[i] && out[i * 3 + 2] == want[i]);
    /* 4x1 [0, 10, 20, 30] to 2x1: scale 2 picks columns 0 and 2 (no averaging: tf's legacy mode) */
    uint8_t q[12] = {0, 0, 0, 10, 10, 10, 20, 20, 20, 30, 30, 30};
    bex_image row = {4, 1, q};
    CHECK(bex__image_resize_bilinear_f32(&row, 2, 1, out) == BEX_OK);
    CHECK(out[0] == 0.0f && out[3] == 20.0f);
    /* 3x1 [0, 10, 20] to 2x1: scale 1.5: columns 0 and 1.5 -> 15 */
    bex_image r3 = {3, 1, q};
    CHECK(bex__image_resize_bilinear_f32(&r3, 2, 1, out) == BEX_OK);
    CHECK(out[0] == 0.0f && out[3] == 15.0f);
    /* 3x1 to 7x1: scale 3/7 in float32; column 6 -> 2.5714285 -> lerp(20, 20) = 20, column 2
     * -> 0.85714287 * 10 */
    CHECK(bex__image_resize_bilinear_f32(&r3, 7, 1, out) == BEX_OK);
    CHECK(out[6 * 3] == 20.0f);
    CHECK_NEAR(out[2 * 3], 8.5714287, 1e-5);
}

/* Builds face-api's padded canvas explicitly and resizes it, to compare with the virtual one. */
static void ref_crop_pad_resize(const bex_image *src, int cx, int cy, int cw, int ch, int pl,
                                int pt, int canvas, int out, float *dst) {
    float *cv = calloc((size_t)canvas * canvas * 3, sizeof *cv);
    for (int y = 0; y < ch; y++)
        for (int x = 0; x < cw; x++)
            for (int c = 0; c < 3; c++)
                cv[(((size_t)(pt + y)) * canvas + pl + x) * 3 + c] = src->px[(((size_t)(cy + y)) * src->width + cx + x) * 3 + c];
    ref_resize(cv, canvas, canvas, out, out, dst);
    free(cv);
}

TEST(crop_pad_resize_matches_canvas) {
    bex_image im = random_image(17, 11, 2);
    static const int crops[][4] = {{0, 0, 17, 11}, {3, 2, 9, 5}, {0, 4, 5, 7}, {16, 10, 1, 1}, {1, 0, 12, 11}, {2, 1, 6, 6}};
    static const int outs[] = {1, 4, 16, 37, 112};
    for (size_t c = 0; c < sizeof crops / sizeof crops[0]; c++) {
        const int cx = crops[c][0], cy = crops[c][1], cw = crops[c][2], ch = crops[c][3];
        for (size_t o = 0; o < sizeof outs / sizeof outs[0]; o++) {
            const int n = outs[o];
            float *a = malloc((size_t)n * n * 3 * sizeof *a), *b = malloc((size_t)n * n * 3 * sizeof *b);
            for (int centred = 0; centred <= 1; centred++) {
                int pl = 0, pt = 0, side = cw > ch ? cw : ch;
                if (centred) side = bex__image_centre_pad(cw, ch, &pl, &pt);
                CHECK(bex__image_crop_pad_resize_f32(&im, cx, cy, cw, ch, pl, pt, side, n, a) == BEX_OK);
                ref_crop_pad_resize(&im, cx, cy, cw, ch, pl, pt, side, n, b);
                CHECK(memcmp(a, b, (size_t)n * n * 3 * sizeof *a) == 0);
            }
            /* an oversized canvas with the crop in the middle */
            CHECK(bex__image_crop_pad_resize_f32(&im, cx, cy, cw, ch, 3, 5, 24, n, a) == BEX_OK);
            ref_crop_pad_resize(&im, cx, cy, cw, ch, 3, 5, 24, n, b);
            CHECK(memcmp(a, b, (size_t)n * n * 3 * sizeof *a) == 0);
            free(a);
            free(b);
        }
    }
    float out[3];
    CHECK(bex__image_crop_pad_resize_f32(&im, 10, 0, 8, 5, 0, 0, 8, 1, out) == BEX_ERR_ARG);  /* past the right */
    CHECK(bex__image_crop_pad_resize_f32(&im, -1, 0, 5, 5, 0, 0, 5, 1, out) == BEX_ERR_ARG);
    CHECK(bex__image_crop_pad_resize_f32(&im, 0, 0, 5, 5, 1, 0, 5, 1, out) == BEX_ERR_ARG);   /* pad past canvas */
    CHECK(bex__image_crop_pad_resize_f32(&im, 0, 0, 0, 5, 0, 0, 5, 1, out) == BEX_ERR_ARG);
    CHECK(bex__image_crop_pad_resize_f32(&im, 0, 0, 5, 5, 0, 0, 5, 0, out) == BEX_ERR_ARG);
    free(im.px);
}

TEST(centre_pad_is_face_api_padToSquare) {
    int pl, pt;
    CHECK(bex__image_centre_pad(10, 7, &pl, &pt) == 10 && pl == 0 && pt == 1); /* d 3: 1 before, 2 after */
    CHECK(bex__image_centre_pad(7, 10, &pl, &pt) == 10 && pl == 1 && pt == 0);
    CHECK(bex__image_centre_pad(8, 12, &pl, &pt) == 12 && pl == 2 && pt == 0);
    CHECK(bex__image_centre_pad(5, 4, &pl, &pt) == 5 && pl == 0 && pt == 0);   /* d 1: round(.5) = 1 after */
    CHECK(bex__image_centre_pad(6, 6, &pl, &pt) == 6 && pl == 0 && pt == 0);
}

TEST(warp_affine) {
    bex_image im = random_image(9, 6, 3);
    float *in = to_float(&im);
    float out[9 * 6 * 3];
    const float id[6] = {1, 0, 0, 0, 1, 0};
    CHECK(bex__image_warp_affine_f32(&im, id, 9, 6, out) == BEX_OK);
    CHECK(memcmp(out, in, sizeof out) == 0); /* identity = copy */
    /* rotation by 180 degrees about the centre: an exact flipped copy */
    const float rot[6] = {-1, 0, 8, 0, -1, 5};
    CHECK(bex__image_warp_affine_f32(&im, rot, 9, 6, out) == BEX_OK);
    int flip_ok = 1;
    for (int y = 0; y < 6; y++)
        for (int x = 0; x < 9; x++)
            for (int c = 0; c < 3; c++) flip_ok &= out[(y * 9 + x) * 3 + c] == in[((5 - y) * 9 + 8 - x) * 3 + c];
    CHECK(flip_ok);
    /* integer shift: shifted copy, zeros where the source is outside */
    const float sh[6] = {1, 0, 2, 0, 1, -1};
    CHECK(bex__image_warp_affine_f32(&im, sh, 9, 6, out) == BEX_OK);
    int shift_ok = 1;
    for (int y = 0; y < 6; y++)
        for (int x = 0; x < 9; x++)
            for (int c = 0; c < 3; c++) {
                const int sx = x + 2, sy = y - 1;
                const float want = (sx < 9 && sy >= 0) ? in[(sy * 9 + sx) * 3 + c] : 0.0f;
                shift_ok &= out[(y * 9 + x) * 3 + c] == want;
            }
    CHECK(shift_ok);
    /* half a pixel right: the mean of two neighbours; at the right edge half of black */
    const float half[6] = {1, 0, 0.5f, 0, 1, 0};
    CHECK(bex__image_warp_affine_f32(&im, half, 9, 6, out) == BEX_OK);
    CHECK_NEAR(out[0], (in[0] + in[3]) / 2.0, 1e-4);
    CHECK_NEAR(out[8 * 3], in[8 * 3] / 2.0, 1e-4);
    /* a scaled-down chip against a direct formula */
    const float sc[6] = {1.7f, 0.2f, 0.3f, -0.1f, 1.3f, 0.6f};
    float chip[4 * 4 * 3];
    CHECK(bex__image_warp_affine_f32(&im, sc, 4, 4, chip) == BEX_OK);
    for (int v = 0; v < 4; v++)
        for (int u = 0; u < 4; u++) {
            double x = 1.7 * u + 0.2 * v + 0.3, y = -0.1 * u + 1.3 * v + 0.6;
            int x0 = (int)floor(x), y0 = (int)floor(y);
            double fx = x - x0, fy = y - y0;
            for (int c = 0; c < 3; c++) {
                double s = 0;
                for (int j = 0; j < 2; j++)
                    for (int i = 0; i < 2; i++) {
                        int xx = x0 + i, yy = y0 + j;
                        double val = (xx >= 0 && xx < 9 && yy >= 0 && yy < 6) ? in[(yy * 9 + xx) * 3 + c] : 0;
                        s += val * (i ? fx : 1 - fx) * (j ? fy : 1 - fy);
                    }
                CHECK_NEAR(chip[(v * 4 + u) * 3 + c], s, 1e-3);
            }
        }
    /* far away, NaN and infinity: black, no crash */
    const float far[6] = {1, 0, 1e9f, 0, 1, 0};
    const float nan_m[6] = {NAN, 0, 0, 0, 1, 0};
    const float inf_m[6] = {1, 0, 0, 0, INFINITY, 0};
    const float *bad[3] = {far, nan_m, inf_m};
    for (int k = 0; k < 3; k++) {
        CHECK(bex__image_warp_affine_f32(&im, bad[k], 9, 6, out) == BEX_OK);
        int zero = 1;
        for (int i = 0; i < 9 * 6 * 3; i++) zero &= out[i] == 0.0f; /* inf * 0 is NaN too */
        CHECK(zero);
    }
    CHECK(bex__image_warp_affine_f32(&im, id, 0, 6, out) == BEX_ERR_ARG);
    CHECK(bex__image_warp_affine_f32(&im, NULL, 9, 6, out) == BEX_ERR_ARG);
    free(in);
    free(im.px);
}

TEST(pad) {
    bex_image im = random_image(5, 3, 4);
    const uint8_t grey[3] = {10, 20, 30};
    bex_image p;
    char err[128];
    CHECK(bex__image_pad(&im, 2, grey, &p, err, sizeof err) == BEX_OK);
    CHECK(p.width == 9 && p.height == 7);
    int ok = 1;
    for (int y = 0; y < 7; y++)
        for (int x = 0; x < 9; x++) {
            const uint8_t *d = px(&p, x, y);
            const int inside = x >= 2 && x < 7 && y >= 2 && y < 5;
            const uint8_t *want = inside ? px(&im, x - 2, y - 2) : grey;
            ok &= memcmp(d, want, 3) == 0;
        }
    CHECK(ok);
    bex_image_free(&p);
    CHECK(bex__image_pad(&im, 0, grey, &p, err, sizeof err) == BEX_OK);
    CHECK(p.width == 5 && memcmp(p.px, im.px, 45) == 0);
    bex_image_free(&p);
    bex_image q = {-1, -1, NULL};
    CHECK(bex__image_pad(&im, -1, grey, &q, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex__image_pad(&im, 1 << 21, grey, &q, err, sizeof err) == BEX_ERR_ARG);
    CHECK(q.width == -1);
    free(im.px);
}

/* A chip's JPEG 2000 photo as PNG (GET /v1/photo?as=png): lossless, the same pixels back;
 * an empty image refused. */
TEST(png_encodes_a_jp2_photo) {
    bex_image jp = {0}, back = {0};
    char err[256];
    CHECK(bex_image_load("tests/data/image/rgb.jp2", NULL, &jp, err, sizeof err) == BEX_OK);
    uint8_t *png = NULL;
    size_t len = 0;
    CHECK(bex_image_encode_png(&jp, &png, &len, err, sizeof err) == BEX_OK && png && len > 8);
    CHECK(png && bex_image_sniff(png, len) == BEX_IMAGE_PNG);
    CHECK(png && bex_image_decode(png, len, NULL, &back, err, sizeof err) == BEX_OK);
    CHECK(back.width == jp.width && back.height == jp.height && back.px && jp.px &&
          !memcmp(back.px, jp.px, (size_t)jp.width * (size_t)jp.height * 3));
    free(png);
    bex_image_free(&back);
    bex_image empty = {0};
    CHECK(bex_image_encode_png(&empty, &png, &len, err, sizeof err) == BEX_ERR_ARG && !png && len == 0);
    bex_image_free(&jp);
}

int main(void) {
    RUN(sniff);
    RUN(png_decodes);
    RUN(png_encodes_a_jp2_photo);
    RUN(pnm_decodes);
    RUN(pnm_rejects);
    RUN(jp2_decodes);
    RUN(jpeg_decodes);
    RUN(exif_orientations);
    RUN(exif_hostile_ignored);
    RUN(exif_parser);
    RUN(orient_transform);
    RUN(truncated_inputs_fail);
    RUN(corrupt_inputs_fail);
    RUN(jpeg_unsupported_variants);
    RUN(empty_and_unknown_inputs);
    RUN(limits);
    RUN(jp2_tile_limit);
    RUN(load_errors_name_the_file);
    RUN(allocation_failures);
    RUN(lfw_smoke);
    RUN(resize_matches_reference);
    RUN(resize_hand_values);
    RUN(crop_pad_resize_matches_canvas);
    RUN(centre_pad_is_face_api_padToSquare);
    RUN(warp_affine);
    RUN(pad);
    return test_summary();
}
