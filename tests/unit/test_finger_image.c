/*
 * test_finger_image.c - unit tests of fingerprint image decoding (src/finger/image.c, wsq.c):
 * the FVC2002 TIFF fixtures against their raw strip bytes (read here without libtiff), the
 * resolution rule (file, declared, assumed), TIFF variants written here with libtiff (MinIsWhite,
 * RGB, palette, tiles, LZW, big-endian, two pages, resolution units) and the ones refused
 * (1-bit, 16-bit), photo formats with JFIF / pHYs densities, rescaling to 500 ppi, limits, and
 * truncated or damaged files (an error, never a crash).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jpeglib.h>
#include <tiffio.h>

#include "bex/finger.h"
#include "test.h"

/* ------------------------------------------------------------------ helpers */

static uint8_t *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
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

static uint32_t fnv1a(const uint8_t *p, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

static double mean(const uint8_t *p, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += p[i];
    return s / (double)n;
}

/* The pattern the written TIFFs carry. */
static uint8_t pat(int x, int y) { return (uint8_t)((x * 7 + y * 13 + 5) & 255); }

enum { TW = 40, TH = 24 };

typedef struct tiff_opts {
    int bps, spp, photometric, compression, tiled, big_endian, pages;
    float xres, yres; /* 0: none */
    int unit;
} tiff_opts;

/* Writes a TW x TH TIFF with libtiff to a scratch file and returns its bytes. */
static uint8_t *make_tiff(const tiff_opts *o, size_t *len) {
    char path[] = "/tmp/bex-test-finger-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return NULL;
    close(fd);
    TIFF *t = TIFFOpen(path, o->big_endian ? "wb" : "wl");
    if (!t) return NULL;
    for (int page = 0; page < (o->pages ? o->pages : 1); page++) {
        TIFFSetField(t, TIFFTAG_IMAGEWIDTH, TW);
        TIFFSetField(t, TIFFTAG_IMAGELENGTH, TH);
        TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, o->bps);
        TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, o->spp);
        TIFFSetField(t, TIFFTAG_PHOTOMETRIC, o->photometric);
        TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
        TIFFSetField(t, TIFFTAG_COMPRESSION, o->compression ? o->compression : COMPRESSION_NONE);
        if (o->xres > 0) {
            TIFFSetField(t, TIFFTAG_XRESOLUTION, o->xres);
            TIFFSetField(t, TIFFTAG_YRESOLUTION, o->yres > 0 ? o->yres : o->xres);
            TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, o->unit ? o->unit : RESUNIT_INCH);
        }
        if (o->photometric == PHOTOMETRIC_PALETTE) {
            static uint16_t r[256], g[256], b[256];
            for (int i = 0; i < 256; i++) { /* entry i is grey 255 - i, 16-bit */
                r[i] = g[i] = b[i] = (uint16_t)((255 - i) * 257);
            }
            TIFFSetField(t, TIFFTAG_COLORMAP, r, g, b);
        }
        int bytes_px = o->bps * o->spp / 8 ? o->bps * o->spp / 8 : 1;
        size_t row_bytes = o->bps == 1 ? (TW + 7) / 8 : (size_t)TW * bytes_px;
        uint8_t row[TW * 6];
        uint8_t px[TH][TW];
        for (int y = 0; y < TH; y++)
            for (int x = 0; x < TW; x++) px[y][x] = page ? (uint8_t)(255 - pat(x, y)) : pat(x, y);
        if (o->tiled) {
            TIFFSetField(t, TIFFTAG_TILEWIDTH, 16);
            TIFFSetField(t, TIFFTAG_TILELENGTH, 16);
            uint8_t tile[16 * 16];
            for (int ty = 0; ty < TH; ty += 16)
                for (int tx = 0; tx < TW; tx += 16) {
                    memset(tile, 0, sizeof tile);
                    for (int y = 0; y < 16 && ty + y < TH; y++)
                        for (int x = 0; x < 16 && tx + x < TW; x++)
                            tile[y * 16 + x] = px[ty + y][tx + x];
                    TIFFWriteTile(t, tile, (uint32_t)tx, (uint32_t)ty, 0, 0);
                }
        } else {
            TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 5);
            for (int y = 0; y < TH; y++) {
                memset(row, 0, sizeof row);
                for (int x = 0; x < TW; x++) {
                    uint8_t v = px[y][x];
                    if (o->bps == 1) row[x / 8] |= (uint8_t)((v >> 7) << (7 - x % 8));
                    else if (o->bps == 16) row[2 * x] = row[2 * x + 1] = v;
                    else if (o->spp == 3) { row[3 * x] = v; row[3 * x + 1] = v; row[3 * x + 2] = v; }
                    else if (o->photometric == PHOTOMETRIC_MINISWHITE) row[x] = (uint8_t)(255 - v);
                    else if (o->photometric == PHOTOMETRIC_PALETTE) row[x] = (uint8_t)(255 - v);
                    else row[x] = v;
                }
                (void)row_bytes;
                TIFFWriteScanline(t, row, (uint32_t)y, 0);
            }
        }
        TIFFWriteDirectory(t);
    }
    TIFFClose(t);
    uint8_t *b = slurp(path, len);
    unlink(path);
    return b;
}

/* Every pixel equals the pattern (the first page's). */
static int is_pattern(const bex_finger_image *img) {
    if (img->width != TW || img->height != TH) return 0;
    for (int y = 0; y < TH; y++)
        for (int x = 0; x < TW; x++)
            if (img->px[y * TW + x] != pat(x, y)) return 0;
    return 1;
}

/* ------------------------------------------------------------------ FVC2002 fixtures */

static const struct {
    const char *name;
    int w, h;
} FIX[] = {
    {"fvc2002_DB1_B_101_1.tif", 388, 374}, {"fvc2002_DB1_B_101_2.tif", 388, 374},
    {"fvc2002_DB1_B_101_3.tif", 388, 374}, {"fvc2002_DB1_B_102_1.tif", 388, 374},
    {"fvc2002_DB2_B_101_1.tif", 296, 560}, {"fvc2002_DB2_B_101_2.tif", 296, 560},
    {"fvc2002_DB3_B_101_1.tif", 300, 300}, {"fvc2002_DB3_B_101_2.tif", 300, 300},
    {"fvc2002_DB4_B_101_1.tif", 288, 384}, {"fvc2002_DB4_B_101_2.tif", 288, 384},
};

/* The fixtures are uncompressed single-strip TIFFs whose strip starts at byte 512 (checked in
 * SOURCE.md's listing by the file sizes: 512 + w * h): the decoded pixels must be those bytes. */
TEST(fvc_fixtures_match_their_raw_strips) {
    for (size_t i = 0; i < sizeof FIX / sizeof FIX[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s%s", TEST_DATA("finger/"), FIX[i].name);
        size_t len;
        uint8_t *raw = slurp(path, &len);
        CHECK(raw != NULL);
        if (!raw) continue;
        CHECK(len == 512 + (size_t)FIX[i].w * FIX[i].h);
        bex_finger_image img;
        char err[256];
        int rc = bex_finger_image_load(path, 0, NULL, &img, err, sizeof err);
        CHECK(rc == BEX_OK);
        if (rc != BEX_OK) {
            printf("  %s\n", err);
            free(raw);
            continue;
        }
        CHECK(img.width == FIX[i].w && img.height == FIX[i].h);
        CHECK(img.ppi == 500 && img.ppi_source == BEX_PPI_ASSUMED);
        CHECK(len == 512 + (size_t)img.width * img.height &&
              memcmp(img.px, raw + 512, (size_t)img.width * img.height) == 0);
        bex_finger_image_free(&img);
        CHECK(img.px == NULL && img.width == 0);
        free(raw);
    }
    /* and a checksum computed once from the raw bytes with another tool (python: FNV-1a of
     * bytes 512.. of the file) */
    bex_finger_image img;
    char err[256];
    CHECK(bex_finger_image_load(TEST_DATA("finger/fvc2002_DB1_B_101_1.tif"), 0, NULL, &img, err,
                                sizeof err) == BEX_OK);
    CHECK(fnv1a(img.px, (size_t)img.width * img.height) == 0x75a71ed3u);
    bex_finger_image_free(&img);
}

TEST(db2_declared_569_rescales_to_260x492) {
    bex_finger_image img, o;
    char err[256];
    int rc = bex_finger_image_load(TEST_DATA("finger/fvc2002_DB2_B_101_1.tif"), 569, NULL, &img,
                                   err, sizeof err);
    CHECK(rc == BEX_OK);
    if (rc != BEX_OK) return;
    CHECK(img.ppi == 569 && img.ppi_source == BEX_PPI_DECLARED);
    rc = bex_finger_image_to_500(&img, &o, err, sizeof err);
    CHECK(rc == BEX_OK);
    if (rc == BEX_OK) {
        /* 296 * 500 / 569 = 260.1, 560 * 500 / 569 = 492.1 */
        CHECK(o.width == 260 && o.height == 492);
        CHECK(o.ppi == 500 && o.ppi_source == BEX_PPI_DECLARED);
        /* area averaging keeps the mean grey (up to the sliver cut at the far edges) */
        CHECK_NEAR(mean(o.px, (size_t)o.width * o.height),
                   mean(img.px, (size_t)img.width * img.height), 1.0);
        bex_finger_image_free(&o);
    }
    bex_finger_image_free(&img);
}

/* Area averaging and bilinear against values worked out by hand. */
TEST(rescale_known_values) {
    char err[256];
    /* 1000 ppi -> 500: each output pixel is the mean of a 2x2 block */
    uint8_t px[4 * 4];
    for (int i = 0; i < 16; i++) px[i] = (uint8_t)(i * 10);
    bex_finger_image in = {4, 4, 1000, BEX_PPI_FILE, px}, o;
    CHECK(bex_finger_image_to_500(&in, &o, err, sizeof err) == BEX_OK);
    CHECK(o.width == 2 && o.height == 2 && o.ppi == 500 && o.ppi_source == BEX_PPI_FILE);
    /* block (0,0): 0, 10, 40, 50 -> 25 */
    CHECK(o.px[0] == 25 && o.px[1] == 45 && o.px[2] == 105 && o.px[3] == 125);
    bex_finger_image_free(&o);

    /* 250 -> 500 upscale: bilinear with centres aligned; a horizontal ramp 0, 100 gives
     * 0, 25, 75, 100 (output centres at input -0.25 (clamped), 0.25, 0.75, 1.25 (clamped)) */
    uint8_t r[2] = {0, 100};
    bex_finger_image in2 = {2, 1, 250, BEX_PPI_DECLARED, r};
    CHECK(bex_finger_image_to_500(&in2, &o, err, sizeof err) == BEX_OK);
    CHECK(o.width == 4 && o.height == 2);
    CHECK(o.px[0] == 0 && o.px[1] == 25 && o.px[2] == 75 && o.px[3] == 100);
    CHECK(o.px[4] == 0 && o.px[7] == 100);
    bex_finger_image_free(&o);

    /* 500: a copy */
    bex_finger_image in3 = {4, 4, 500, BEX_PPI_ASSUMED, px};
    CHECK(bex_finger_image_to_500(&in3, &o, err, sizeof err) == BEX_OK);
    CHECK(o.px != px && o.width == 4 && memcmp(o.px, px, 16) == 0);
    bex_finger_image_free(&o);

    /* a constant image stays constant at any scale */
    static uint8_t flat[97 * 61];
    memset(flat, 173, sizeof flat);
    int ppis[] = {569, 333, 1000, 1200, 254, 2000};
    for (size_t k = 0; k < sizeof ppis / sizeof ppis[0]; k++) {
        bex_finger_image f = {97, 61, ppis[k], BEX_PPI_FILE, flat};
        CHECK(bex_finger_image_to_500(&f, &o, err, sizeof err) == BEX_OK);
        int ok = 1;
        for (int i = 0; i < o.width * o.height; i++) ok &= o.px[i] == 173;
        CHECK(ok);
        CHECK(o.width == (int)(97 * 500.0 / ppis[k] + 0.5));
        bex_finger_image_free(&o);
    }
    /* out-of-range resolutions are refused */
    bex_finger_image bad = {4, 4, 72, BEX_PPI_FILE, px};
    CHECK(bex_finger_image_to_500(&bad, &o, err, sizeof err) == BEX_ERR_ARG);
}

/* ------------------------------------------------------------------ TIFF variants */

static int decode(const uint8_t *b, size_t n, int declared, bex_finger_image *img, char *err) {
    return bex_finger_image_decode(b, n, declared, NULL, img, err, 256);
}

TEST(tiff_variants_decode_to_the_pattern) {
    struct {
        const char *what;
        tiff_opts o;
    } cases[] = {
        {"grey", {8, 1, PHOTOMETRIC_MINISBLACK, 0, 0, 0, 0, 0, 0, 0}},
        {"grey big-endian", {8, 1, PHOTOMETRIC_MINISBLACK, 0, 0, 1, 0, 0, 0, 0}},
        {"min-is-white", {8, 1, PHOTOMETRIC_MINISWHITE, 0, 0, 0, 0, 0, 0, 0}},
        {"grey LZW", {8, 1, PHOTOMETRIC_MINISBLACK, COMPRESSION_LZW, 0, 0, 0, 0, 0, 0}},
        {"grey deflate", {8, 1, PHOTOMETRIC_MINISBLACK, COMPRESSION_ADOBE_DEFLATE, 0, 0, 0, 0, 0, 0}},
        {"grey tiled", {8, 1, PHOTOMETRIC_MINISBLACK, 0, 1, 0, 0, 0, 0, 0}},
        {"RGB", {8, 3, PHOTOMETRIC_RGB, 0, 0, 0, 0, 0, 0, 0}},
        {"palette", {8, 1, PHOTOMETRIC_PALETTE, 0, 0, 0, 0, 0, 0, 0}},
        {"two pages", {8, 1, PHOTOMETRIC_MINISBLACK, 0, 0, 0, 2, 0, 0, 0}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n;
        uint8_t *b = make_tiff(&cases[i].o, &n);
        CHECK(b != NULL);
        if (!b) continue;
        bex_finger_image img;
        char err[256];
        int rc = decode(b, n, 0, &img, err);
        if (rc != BEX_OK || !is_pattern(&img)) printf("  case %s: rc %d %s\n", cases[i].what, rc, rc ? err : "");
        CHECK(rc == BEX_OK);
        if (rc == BEX_OK) {
            CHECK(is_pattern(&img));
            CHECK(img.ppi == 500 && img.ppi_source == BEX_PPI_ASSUMED);
            bex_finger_image_free(&img);
        }
        free(b);
    }
}

TEST(tiff_refuses_1_and_16_bit_clearly) {
    tiff_opts one = {1, 1, PHOTOMETRIC_MINISBLACK, 0, 0, 0, 0, 0, 0, 0};
    tiff_opts sixteen = {16, 1, PHOTOMETRIC_MINISBLACK, 0, 0, 0, 0, 0, 0, 0};
    size_t n;
    char err[256];
    bex_finger_image img;
    uint8_t *b = make_tiff(&one, &n);
    CHECK(b && decode(b, n, 0, &img, err) == BEX_ERR_UNSUPPORTED && strstr(err, "1-bit"));
    free(b);
    b = make_tiff(&sixteen, &n);
    CHECK(b && decode(b, n, 0, &img, err) == BEX_ERR_UNSUPPORTED && strstr(err, "16 bits"));
    free(b);
}

TEST(tiff_resolution_rule) {
    size_t n;
    char err[256];
    bex_finger_image img;
    /* 1000 per inch: the file wins over a declared 569 */
    tiff_opts inch = {8, 1, PHOTOMETRIC_MINISBLACK, 0, 0, 0, 0, 1000, 0, RESUNIT_INCH};
    uint8_t *b = make_tiff(&inch, &n);
    CHECK(b && decode(b, n, 569, &img, err) == BEX_OK);
    CHECK(img.ppi == 1000 && img.ppi_source == BEX_PPI_FILE && is_pattern(&img));
    bex_finger_image_free(&img);
    free(b);
    /* 200 per centimetre = 508 ppi */
    tiff_opts cm = {8, 1, PHOTOMETRIC_MINISBLACK, 0, 0, 0, 0, 200, 0, RESUNIT_CENTIMETER};
    b = make_tiff(&cm, &n);
    CHECK(b && decode(b, n, 0, &img, err) == BEX_OK);
    CHECK(img.ppi == 508 && img.ppi_source == BEX_PPI_FILE);
    bex_finger_image_free(&img);
    free(b);
    /* unit "none": no statement, so declared, else assumed */
    tiff_opts none = {8, 1, PHOTOMETRIC_MINISBLACK, 0, 0, 0, 0, 300, 0, RESUNIT_NONE};
    b = make_tiff(&none, &n);
    CHECK(b && decode(b, n, 569, &img, err) == BEX_OK);
    CHECK(img.ppi == 569 && img.ppi_source == BEX_PPI_DECLARED);
    bex_finger_image_free(&img);
    CHECK(b && decode(b, n, 0, &img, err) == BEX_OK);
    CHECK(img.ppi == 500 && img.ppi_source == BEX_PPI_ASSUMED);
    bex_finger_image_free(&img);
    free(b);
    /* 72 dpi, a software default: refused unless one is declared, which then wins */
    tiff_opts dflt = {8, 1, PHOTOMETRIC_MINISBLACK, 0, 0, 0, 0, 72, 0, RESUNIT_INCH};
    b = make_tiff(&dflt, &n);
    CHECK(b && decode(b, n, 0, &img, err) == BEX_ERR_UNSUPPORTED && strstr(err, "72 ppi") &&
          strstr(err, "declare the real resolution"));
    CHECK(b && decode(b, n, 500, &img, err) == BEX_OK);
    CHECK(img.ppi == 500 && img.ppi_source == BEX_PPI_DECLARED);
    bex_finger_image_free(&img);
    free(b);
    /* non-square pixels are refused */
    tiff_opts rect = {8, 1, PHOTOMETRIC_MINISBLACK, 0, 0, 0, 0, 500, 1000, RESUNIT_INCH};
    b = make_tiff(&rect, &n);
    CHECK(b && decode(b, n, 0, &img, err) == BEX_ERR_UNSUPPORTED && strstr(err, "square"));
    free(b);
    /* a declared resolution out of range is the caller's mistake */
    b = make_tiff(&none, &n);
    CHECK(b && decode(b, n, 100, &img, err) == BEX_ERR_ARG);
    CHECK(b && decode(b, n, -5, &img, err) == BEX_ERR_ARG);
    free(b);
}

TEST(tiff_truncated_and_damaged_fail_cleanly) {
    tiff_opts o = {8, 1, PHOTOMETRIC_MINISBLACK, COMPRESSION_LZW, 0, 0, 0, 500, 0, RESUNIT_INCH};
    size_t n;
    uint8_t *b = make_tiff(&o, &n);
    CHECK(b != NULL);
    if (!b) return;
    char err[256];
    bex_finger_image img;
    /* every prefix: an error with a message, or (where the cut only loses trailing bytes
     * libtiff does not need) the right image */
    int errors = 0;
    for (size_t k = 1; k < n; k++) {
        uint8_t *c = malloc(k); /* exact-size copy: ASan sees any overread */
        memcpy(c, b, k);
        err[0] = 0;
        int rc = decode(c, k, 0, &img, err);
        if (rc == BEX_OK) {
            CHECK(img.width == TW && img.height == TH);
            bex_finger_image_free(&img);
        } else {
            CHECK(err[0] != 0);
            errors++;
        }
        free(c);
    }
    CHECK(errors > (int)n / 2);
    /* flipped bytes all over: never a crash, a message on every failure */
    uint32_t seed = 12345;
    for (int trial = 0; trial < 400; trial++) {
        uint8_t *c = malloc(n);
        memcpy(c, b, n);
        for (int f = 0; f < 3; f++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % n;
            seed = seed * 1103515245u + 12345u;
            c[at] ^= (uint8_t)(seed >> 16 | 1);
        }
        err[0] = 0;
        int rc = decode(c, n, 0, &img, err);
        if (rc == BEX_OK) bex_finger_image_free(&img);
        else CHECK(err[0] != 0);
        free(c);
    }
    /* garbage behind a TIFF signature */
    uint8_t junk[64];
    memset(junk, 0xEE, sizeof junk);
    memcpy(junk, "II*\0", 4);
    CHECK(decode(junk, sizeof junk, 0, &img, err) == BEX_ERR_CORRUPT && strncmp(err, "TIFF", 4) == 0);
    free(b);
}

/* ------------------------------------------------------------------ photo formats, limits */

static uint32_t crc32_png(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
    }
    return c ^ 0xFFFFFFFFu;
}

static void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

TEST(png_grey_and_phys) {
    uint8_t rgb[TW * TH * 3];
    for (int y = 0; y < TH; y++)
        for (int x = 0; x < TW; x++) {
            uint8_t *p = rgb + (y * TW + x) * 3;
            p[0] = pat(x, y), p[1] = pat(x, y), p[2] = pat(x, y);
        }
    bex_image im = {TW, TH, rgb};
    uint8_t *png;
    size_t n;
    char err[256];
    CHECK(bex_image_encode_png(&im, &png, &n, err, sizeof err) == BEX_OK);
    bex_finger_image img;
    CHECK(decode(png, n, 0, &img, err) == BEX_OK);
    CHECK(is_pattern(&img) && img.ppi_source == BEX_PPI_ASSUMED);
    bex_finger_image_free(&img);
    /* a pHYs of 39370 px/m (= 1000 ppi) after IHDR (8 + 25 bytes) */
    uint8_t *q = malloc(n + 21);
    memcpy(q, png, 33);
    uint8_t *c = q + 33;
    put32(c, 9);
    memcpy(c + 4, "pHYs", 4);
    put32(c + 8, 39370);
    put32(c + 12, 39370);
    c[16] = 1;
    put32(c + 17, crc32_png(c + 4, 13));
    memcpy(q + 33 + 21, png + 33, n - 33);
    int rc = decode(q, n + 21, 0, &img, err);
    CHECK(rc == BEX_OK);
    if (rc == BEX_OK) {
        CHECK(img.ppi == 1000 && img.ppi_source == BEX_PPI_FILE && is_pattern(&img));
        bex_finger_image_free(&img);
    } else {
        printf("  %s\n", err);
    }
    free(q);
    free(png);
}

/* A JPEG written with libjpeg, density 500 dpi, then 20 dots per cm (= 51 ppi: refused). */
static uint8_t *make_jpeg(int unit, int density, unsigned long *n) {
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    unsigned char *out = NULL;
    jpeg_mem_dest(&c, &out, n);
    c.image_width = TW;
    c.image_height = TH;
    c.input_components = 1;
    c.in_color_space = JCS_GRAYSCALE;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 100, TRUE);
    c.density_unit = (UINT8)unit;
    c.X_density = c.Y_density = (UINT16)density;
    jpeg_start_compress(&c, TRUE);
    uint8_t row[TW];
    for (int y = 0; y < TH; y++) {
        for (int x = 0; x < TW; x++) row[x] = pat(x, y);
        JSAMPROW r = row;
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    return out;
}

TEST(jpeg_jfif_density) {
    unsigned long n;
    char err[256];
    bex_finger_image img;
    uint8_t *j = make_jpeg(1, 500, &n);
    CHECK(decode(j, n, 0, &img, err) == BEX_OK);
    CHECK(img.width == TW && img.height == TH && img.ppi == 500 && img.ppi_source == BEX_PPI_FILE);
    int maxd = 0;
    for (int y = 0; y < TH; y++)
        for (int x = 0; x < TW; x++) {
            int d = abs(img.px[y * TW + x] - pat(x, y));
            if (d > maxd) maxd = d;
        }
    CHECK(maxd <= 40); /* quality 100 JPEG of a sharp pattern: close, not exact */
    bex_finger_image_free(&img);
    free(j);
    j = make_jpeg(2, 400, &n); /* 400 per cm = 1016 ppi */
    CHECK(decode(j, n, 0, &img, err) == BEX_OK && img.ppi == 1016);
    bex_finger_image_free(&img);
    free(j);
    j = make_jpeg(0, 1, &n); /* aspect ratio only: no statement */
    CHECK(decode(j, n, 700, &img, err) == BEX_OK && img.ppi == 700 &&
          img.ppi_source == BEX_PPI_DECLARED);
    bex_finger_image_free(&img);
    free(j);
}

TEST(limits_and_bad_input) {
    tiff_opts o = {8, 1, PHOTOMETRIC_MINISBLACK, 0, 0, 0, 0, 0, 0, 0};
    size_t n;
    uint8_t *b = make_tiff(&o, &n);
    char err[256];
    bex_finger_image img;
    bex_image_limits px = {0, TW * TH - 1}, bytes = {n - 1, 0};
    CHECK(bex_finger_image_decode(b, n, 0, &px, &img, err, sizeof err) == BEX_ERR_LIMIT);
    CHECK(bex_finger_image_decode(b, n, 0, &bytes, &img, err, sizeof err) == BEX_ERR_LIMIT);
    bex_image_limits ok = {n, TW * TH};
    CHECK(bex_finger_image_decode(b, n, 0, &ok, &img, err, sizeof err) == BEX_OK);
    bex_finger_image_free(&img);
    free(b);
    CHECK(bex_finger_image_decode((const uint8_t *)"", 0, 0, NULL, &img, err, sizeof err) ==
          BEX_ERR_FORMAT);
    CHECK(bex_finger_image_decode((const uint8_t *)"GIF89a......", 12, 0, NULL, &img, err,
                                  sizeof err) == BEX_ERR_FORMAT);
    CHECK(bex_finger_image_decode(NULL, 5, 0, NULL, &img, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_finger_image_load("/nonexistent/x.tif", 0, NULL, &img, err, sizeof err) ==
              BEX_ERR_IO &&
          strstr(err, "/nonexistent/x.tif"));
    bex_finger_image z = {0};
    bex_finger_image_free(&z); /* safe on a zeroed image */
    bex_finger_image_free(NULL);
}


/* ------------------------------------------------------------------ WSQ */

/* Our decode against the image jnbis (an independent decoder, Apache-2.0) made of the same
 * file, stored as an 8-bit grey PNG (tests/data/finger/SOURCE.md). Float rounding in the
 * synthesis may move a pixel across a .5 boundary: at most 1 grey level, on a few pixels. */
static void wsq_vs_reference(const char *wsq, const char *ref, int w, int h, int ppi,
                             bex_finger_ppi_source src) {
    bex_finger_image img;
    bex_image r;
    char err[256];
    int rc = bex_finger_image_load(wsq, 0, NULL, &img, err, sizeof err);
    CHECK(rc == BEX_OK);
    if (rc != BEX_OK) {
        printf("  %s\n", err);
        return;
    }
    CHECK(bex_image_load(ref, NULL, &r, err, sizeof err) == BEX_OK);
    CHECK(img.width == w && img.height == h && r.width == w && r.height == h);
    CHECK(img.ppi == ppi && img.ppi_source == src);
    if (img.width == r.width && img.height == r.height) {
        size_t n = (size_t)w * h, exact = 0;
        int maxd = 0;
        for (size_t i = 0; i < n; i++) {
            int d = abs(img.px[i] - r.px[3 * i]);
            exact += d == 0;
            if (d > maxd) maxd = d;
        }
        CHECK(maxd <= 1);
        CHECK(exact >= n - n / 10000); /* 99.99 % identical */
        printf("  %s: %dx%d, %.4f%% of pixels identical to the reference, max difference %d\n",
               wsq, w, h, 100.0 * (double)exact / (double)n, maxd);
    }
    /* the public WSQ entry point gives the same pixels */
    bex_finger_image again;
    size_t len;
    uint8_t *b = slurp(wsq, &len);
    CHECK(b && bex_wsq_decode(b, len, NULL, &again, err, sizeof err) == BEX_OK);
    if (b) {
        CHECK(again.width == w && memcmp(again.px, img.px, (size_t)w * h) == 0);
        bex_finger_image_free(&again);
    }
    free(b);
    bex_image_free(&r);
    bex_finger_image_free(&img);
}

TEST(wsq_matches_reference_decodes) {
    /* written by Cognaxon's encoder; NISTCOM says PPI 500 */
    wsq_vs_reference(TEST_DATA("finger/jnbis_sample.wsq"), TEST_DATA("finger/jnbis_sample.ref.png"),
                     545, 622, 500, BEX_PPI_FILE);
    /* a Type-14 image of a NIST sample transaction; NISTCOM says PPI 255 (-1 in a byte:
     * unknown), so 500 is assumed */
    wsq_vs_reference(TEST_DATA("finger/nist_fp-11.wsq"), TEST_DATA("finger/nist_fp-11.ref.png"),
                     392, 1000, 500, BEX_PPI_ASSUMED);
    bex_finger_image img;
    char err[256];
    CHECK(bex_finger_image_load(TEST_DATA("finger/nist_fp-11.wsq"), 1000, NULL, &img, err,
                                sizeof err) == BEX_OK);
    CHECK(img.ppi == 1000 && img.ppi_source == BEX_PPI_DECLARED);
    bex_finger_image_free(&img);
    /* the file's PPI 500 wins over a declared one */
    CHECK(bex_finger_image_load(TEST_DATA("finger/jnbis_sample.wsq"), 1000, NULL, &img, err,
                                sizeof err) == BEX_OK);
    CHECK(img.ppi == 500 && img.ppi_source == BEX_PPI_FILE);
    bex_finger_image_free(&img);
    /* limits */
    bex_image_limits px = {0, 545 * 622 - 1};
    size_t len;
    uint8_t *b = slurp(TEST_DATA("finger/jnbis_sample.wsq"), &len);
    CHECK(b && bex_finger_image_decode(b, len, 0, &px, &img, err, sizeof err) == BEX_ERR_LIMIT);
    CHECK(b && bex_wsq_decode(b, len, &px, &img, err, sizeof err) == BEX_ERR_LIMIT);
    free(b);
}

TEST(wsq_truncated_and_damaged_fail_cleanly) {
    size_t n;
    uint8_t *b = slurp(TEST_DATA("finger/nist_fp-11.wsq"), &n);
    CHECK(b != NULL);
    if (!b) return;
    char err[256];
    bex_finger_image img;
    /* prefixes: every length through the tables, then every 97th byte of the coded data; all
     * must fail (the EOI marker is the last two bytes) with a message */
    int ok = 1;
    for (size_t k = 1; k < n; k += k < 1200 ? 1 : 97) {
        uint8_t *c = malloc(k);
        memcpy(c, b, k);
        err[0] = 0;
        int rc = bex_finger_image_decode(c, k, 0, NULL, &img, err, sizeof err);
        if (rc == BEX_OK) bex_finger_image_free(&img);
        if (rc == BEX_OK || err[0] == 0) {
            printf("  prefix %zu: rc %d\n", k, rc);
            ok = 0;
        }
        free(c);
    }
    CHECK(ok);
    CHECK(bex_finger_image_decode(b, 1000, 0, NULL, &img, err, sizeof err) == BEX_ERR_CORRUPT &&
          strstr(err, "WSQ") && strstr(err, "truncated"));
    /* flipped bytes: never a crash, a message on every failure */
    uint32_t seed = 777;
    for (int trial = 0; trial < 300; trial++) {
        uint8_t *c = malloc(n);
        memcpy(c, b, n);
        for (int f = 0; f < 2; f++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % (trial < 150 ? 1200 : n); /* half of them in the tables */
            seed = seed * 1103515245u + 12345u;
            c[at] ^= (uint8_t)(seed >> 16 | 1);
        }
        err[0] = 0;
        int rc = bex_finger_image_decode(c, n, 0, NULL, &img, err, sizeof err);
        if (rc == BEX_OK) bex_finger_image_free(&img);
        else CHECK(err[0] != 0);
        free(c);
    }
    /* a bare SOI, and SOI then junk */
    uint8_t junk[40] = {0xFF, 0xA0, 0xFF, 0xA4, 0x00, 0x02};
    CHECK(bex_finger_image_decode(junk, 2, 0, NULL, &img, err, sizeof err) == BEX_ERR_CORRUPT);
    CHECK(bex_finger_image_decode(junk, sizeof junk, 0, NULL, &img, err, sizeof err) != BEX_OK &&
          err[0]);
    CHECK(bex_wsq_decode((const uint8_t *)"II*\0", 4, NULL, &img, err, sizeof err) == BEX_ERR_FORMAT);
    free(b);
}


/* ------------------------------------------------------------------ slaps */

/* img rotated by deg about its centre (bilinear; outside: white), into a new buffer */
static uint8_t *rotated(const bex_finger_image *img, double deg) {
    int w = img->width, h = img->height;
    uint8_t *o = malloc((size_t)w * h);
    double a = deg * M_PI / 180, c = cos(a), s = sin(a), cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double sx = c * (x - cx) + s * (y - cy) + cx, sy = -s * (x - cx) + c * (y - cy) + cy;
            int x0 = (int)floor(sx), y0 = (int)floor(sy);
            double fx = sx - x0, fy = sy - y0, v = 0;
            for (int k = 0; k < 4; k++) {
                int xx = x0 + (k & 1), yy = y0 + (k >> 1);
                double wgt = ((k & 1) ? fx : 1 - fx) * ((k >> 1) ? fy : 1 - fy);
                v += wgt * (xx >= 0 && xx < w && yy >= 0 && yy < h ? img->px[yy * w + xx] : 255);
            }
            o[y * w + x] = (uint8_t)(v + 0.5);
        }
    return o;
}

typedef struct placed {
    int x, y, w, h;
} placed;

/* Pastes the n fixture prints side by side on a white canvas, each rotated a little and
 * offset vertically like the fingers of a hand. */
static bex_finger_image make_slap(const char *const *names, int n, int gap, placed *where) {
    static const double ROT[4] = {-6, 2, -3, 7};
    static const int DY[4] = {90, 30, 70, 170};
    bex_finger_image prints[4], slap = {0};
    int W = gap, H = 0;
    for (int i = 0; i < n; i++) {
        char err[256], path[256];
        snprintf(path, sizeof path, "%s%s", TEST_DATA("finger/"), names[i]);
        if (bex_finger_image_load(path, 0, NULL, &prints[i], err, sizeof err) != BEX_OK) return slap;
        W += prints[i].width + gap;
        if (DY[i] + prints[i].height > H) H = DY[i] + prints[i].height;
    }
    H += 60;
    slap.width = W;
    slap.height = H;
    slap.ppi = 500;
    slap.ppi_source = BEX_PPI_DECLARED;
    slap.px = malloc((size_t)W * H);
    memset(slap.px, 255, (size_t)W * H);
    int x = gap;
    for (int i = 0; i < n; i++) {
        uint8_t *r = rotated(&prints[i], ROT[i]);
        for (int y = 0; y < prints[i].height; y++)
            memcpy(slap.px + (size_t)(DY[i] + y) * W + x, r + (size_t)y * prints[i].width,
                   (size_t)prints[i].width);
        where[i] = (placed){x, DY[i], prints[i].width, prints[i].height};
        x += prints[i].width + gap;
        free(r);
        bex_finger_image_free(&prints[i]);
    }
    return slap;
}

/* Finds where a cut finger lies in the slap (its pixels are a verbatim crop) and checks that
 * most of it falls in the rectangle pasted there. */
static int crop_matches(const bex_finger_image *slap, const bex_finger_image *f, const placed *p) {
    for (int y = 0; y + f->height <= slap->height; y++)
        for (int x = 0; x + f->width <= slap->width; x++) {
            int same = 1;
            for (int r = 0; r < f->height && same; r += 7)
                same = memcmp(slap->px + (size_t)(y + r) * slap->width + x,
                              f->px + (size_t)r * f->width, (size_t)f->width) == 0;
            if (!same) continue;
            int ox = (x + f->width < p->x + p->w ? x + f->width : p->x + p->w) - (x > p->x ? x : p->x);
            int oy = (y + f->height < p->y + p->h ? y + f->height : p->y + p->h) - (y > p->y ? y : p->y);
            double inside = ox > 0 && oy > 0 ? (double)ox * oy / ((double)f->width * f->height) : 0;
            int cx = x + f->width / 2, cy = y + f->height / 2;
            printf("    finger at %d,%d %dx%d, %.0f%% inside the print pasted at %d,%d\n", x, y,
                   f->width, f->height, 100 * inside, p->x, p->y);
            return inside >= 0.6 && cx >= p->x && cx < p->x + p->w && cy >= p->y && cy < p->y + p->h;
        }
    return 0;
}

static void check_slap(int position, const char *const *names, int n, int gap, const int *want) {
    placed where[4];
    bex_finger_image slap = make_slap(names, n, gap, where);
    CHECK(slap.px != NULL);
    if (!slap.px) return;
    bex_finger_image f[4];
    int pos[4], got = -1;
    char err[256];
    int rc = bex_finger_slap_segment(&slap, position, f, pos, &got, err, sizeof err);
    CHECK(rc == BEX_OK);
    if (rc != BEX_OK) printf("  %s\n", err);
    CHECK(got == n);
    printf("  slap %d (gap %d px): %d fingers\n", position, gap, got);
    for (int i = 0; i < got && rc == BEX_OK; i++) {
        CHECK(pos[i] == want[i]);
        CHECK(i >= n || crop_matches(&slap, &f[i], &where[i]));
        CHECK(f[i].ppi == 500 && f[i].ppi_source == BEX_PPI_DECLARED);
        bex_finger_image_free(&f[i]);
    }
    free(slap.px);
}

TEST(slap_segments_pasted_prints) {
    const char *four[4] = {"fvc2002_DB1_B_101_1.tif", "fvc2002_DB1_B_102_1.tif",
                           "fvc2002_DB1_B_101_2.tif", "fvc2002_DB1_B_101_3.tif"};
    const int right[4] = {2, 3, 4, 5}, left[4] = {10, 9, 8, 7}, thumbs[2] = {6, 1};
    check_slap(13, four, 4, 40, right);
    check_slap(14, four, 4, 40, left);
    check_slap(15, four, 2, 60, thumbs);
    /* prints nearly touching */
    check_slap(13, four, 4, 4, right);
    /* not a slap position; an empty image */
    bex_finger_image f[4];
    int pos[4], n;
    char err[256];
    uint8_t px[64];
    memset(px, 255, sizeof px);
    bex_finger_image blank = {8, 8, 500, BEX_PPI_ASSUMED, px};
    CHECK(bex_finger_slap_segment(&blank, 2, f, pos, &n, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_finger_slap_segment(&blank, 13, f, pos, &n, err, sizeof err) == BEX_OK && n == 0);
    /* three fingers found on a four-finger slap: which ones is unknown */
    placed where[4];
    bex_finger_image three = make_slap(four, 3, 40, where);
    CHECK(bex_finger_slap_segment(&three, 14, f, pos, &n, err, sizeof err) == BEX_OK && n == 3);
    for (int i = 0; i < n; i++) {
        CHECK(pos[i] == 0);
        bex_finger_image_free(&f[i]);
    }
    free(three.px);
}

int main(void) {
    RUN(fvc_fixtures_match_their_raw_strips);
    RUN(db2_declared_569_rescales_to_260x492);
    RUN(rescale_known_values);
    RUN(tiff_variants_decode_to_the_pattern);
    RUN(tiff_refuses_1_and_16_bit_clearly);
    RUN(tiff_resolution_rule);
    RUN(tiff_truncated_and_damaged_fail_cleanly);
    RUN(png_grey_and_phys);
    RUN(jpeg_jfif_density);
    RUN(limits_and_bad_input);
    RUN(wsq_matches_reference_decodes);
    RUN(wsq_truncated_and_damaged_fail_cleanly);
    RUN(slap_segments_pasted_prints);
    return test_summary();
}
