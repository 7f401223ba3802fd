/*
 * test_finger_record.c - finger minutiae records (include/bex/finger.h, src/finger/record.c):
 * ISO/IEC 19794-2:2005 and ANSI INCITS 378-2004 records made by hand, byte by byte from the
 * standards' layouts (the table at the top of record.c), parse to the values put in; what is
 * written reads back equal (ANSI angles within one 360/256-degree unit, its 2-degree
 * quantisation); malformed records (truncated, wrong lengths, counts exceeding the bytes, bad
 * identifiers, values out of range) are refused with the byte offset of the problem.
 *
 * BEX_FMR_CORPUS=dir build/tests/test_finger_record writes the fuzz seeds (tests/fuzz/corpus/fmr).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bex/finger.h"
#include "test.h"

/* ISO 19794-2:2005, one view, two minutiae: 24-byte header + 4-byte view header + 2 x 6 +
 * 2-byte extended data length = 42 bytes. */
static const uint8_t ISO1[] = {
    0x46, 0x4D, 0x52, 0x00,             /* "FMR\0" Format Identifier */
    0x20, 0x32, 0x30, 0x00,             /* " 20\0" Version Number */
    0x00, 0x00, 0x00, 0x2A,             /* Length of Record 42, 4 bytes */
    0x00, 0x00,                         /* certifications 0, capture device type 0 */
    0x01, 0x2C, 0x01, 0x90,             /* image 300 x 400 px */
    0x00, 0xC5, 0x00, 0xC5,             /* 197 x 197 pixels per cm (500 ppi) */
    0x01, 0x00,                         /* one finger view, reserved byte */
    0x07, 0x00, 0x3C, 0x02,             /* left index (7), view 0 / impression 0, quality 60, 2 minutiae */
    0x40, 0x64, 0x00, 0xC8, 0x40, 0x50, /* 01 ending, x 100; y 200; angle 64 (90 deg); quality 80 */
    0x80, 0xFA, 0x00, 0x0D, 0xC0, 0x00, /* 10 bifurcation, x 250; y 13; angle 192 (270 deg); quality 0 */
    0x00, 0x00,                         /* no extended data */
};

/* The same finger in ANSI INCITS 378-2004: 26-byte header (2-byte length, CBEFF product
 * identifier), angles in 2-degree units. */
static const uint8_t ANSI1[] = {
    0x46, 0x4D, 0x52, 0x00, 0x20, 0x32, 0x30, 0x00, /* "FMR\0" " 20\0" */
    0x00, 0x2C,                                     /* Length of Record 44, 2 bytes */
    0x00, 0x33, 0x00, 0x01,                         /* CBEFF Product Identifier: owner 0x33, type 1 */
    0x00, 0x00,                                     /* equipment compliance 0, equipment ID 0 */
    0x01, 0x2C, 0x01, 0x90, 0x00, 0xC5, 0x00, 0xC5, /* 300 x 400 px, 197 x 197 pixels per cm */
    0x01, 0x00,                                     /* one view, reserved */
    0x07, 0x00, 0x3C, 0x02,                         /* left index, view 0, quality 60, 2 minutiae */
    0x40, 0x64, 0x00, 0xC8, 0x2D, 0x50,             /* ending (100, 200), angle 45 x 2 = 90 deg, q 80 */
    0x80, 0xFA, 0x00, 0x0D, 0x87, 0x00,             /* bifurcation (250, 13), angle 135 x 2 = 270 deg */
    0x00, 0x00,
};

/* ISO, two views (right thumb twice: view numbers 0 and 1), a 569 ppi sensor (224 pixels per
 * cm), the first view with 5 bytes of extended data. */
static const uint8_t ISO2[] = {
    0x46, 0x4D, 0x52, 0x00, 0x20, 0x32, 0x30, 0x00,
    0x00, 0x00, 0x00, 0x3B,             /* 59 = 24 + (4 + 6 + 2 + 5) + (4 + 12 + 2) */
    0x10, 0x05,                         /* certification flag 1, device type 5 */
    0x01, 0x28, 0x02, 0x30,             /* 296 x 560 px (FVC2002 DB2) */
    0x00, 0xE0, 0x00, 0xE0,             /* 224 pixels per cm */
    0x02, 0x00,
    0x01, 0x00, 0x5A, 0x01,             /* right thumb, view 0, quality 90, 1 minutia */
    0x40, 0xE0, 0x01, 0xC0, 0x00, 0x64, /* ending (224, 448), angle 0, quality 100 */
    0x00, 0x05, 0x00, 0x01, 0x00, 0x05, 0xAB, /* 5 bytes of extended data (skipped) */
    0x01, 0x10, 0x0A, 0x02,             /* right thumb, view 1, impression 0, quality 10, 2 minutiae */
    0x00, 0x00, 0x00, 0x00, 0x01, 0x01, /* other (00) at (0, 0), angle 1, quality 1 */
    0x81, 0x27, 0x02, 0x2F, 0xFF, 0x32, /* bifurcation (295, 559), angle 255, quality 50 */
    0x00, 0x00,
};

TEST(iso_by_hand) {
    bex_finger_template v[4];
    int n = -1;
    char err[256];
    CHECK(bex_finger_record_sniff(ISO1, sizeof ISO1) == 1);
    CHECK(bex_finger_iso_read(ISO1, sizeof ISO1, v, 4, &n, err, sizeof err) == BEX_OK);
    CHECK(n == 1);
    CHECK(v[0].width == 300 && v[0].height == 400 && v[0].finger_position == 7 && v[0].quality == 60);
    CHECK(v[0].n == 2);
    CHECK(v[0].m[0].x == 100 && v[0].m[0].y == 200 && v[0].m[0].angle == 64);
    CHECK(v[0].m[0].type == BEX_MINUTIA_ENDING && v[0].m[0].quality == 80);
    CHECK(v[0].m[1].x == 250 && v[0].m[1].y == 13 && v[0].m[1].angle == 192);
    CHECK(v[0].m[1].type == BEX_MINUTIA_BIFURCATION && v[0].m[1].quality == 0);
    CHECK(v[0].problems == 0 && v[0].area_px == 0);
}

TEST(ansi_by_hand) {
    bex_finger_template v[4];
    int n = -1;
    char err[256];
    CHECK(bex_finger_record_sniff(ANSI1, sizeof ANSI1) == 2);
    CHECK(bex_finger_ansi_read(ANSI1, sizeof ANSI1, v, 4, &n, err, sizeof err) == BEX_OK);
    CHECK(n == 1 && v[0].n == 2 && v[0].finger_position == 7 && v[0].quality == 60);
    CHECK(v[0].width == 300 && v[0].height == 400);
    /* 2-degree units to 360/256: 45 -> 90 deg -> 64; 135 -> 270 deg -> 192 */
    CHECK(v[0].m[0].angle == 64 && v[0].m[1].angle == 192);
    CHECK(v[0].m[0].x == 100 && v[0].m[0].y == 200 && v[0].m[1].x == 250 && v[0].m[1].y == 13);
    CHECK(v[0].m[0].type == BEX_MINUTIA_ENDING && v[0].m[1].type == BEX_MINUTIA_BIFURCATION);
    /* each read as the other says which it is */
    CHECK(bex_finger_iso_read(ANSI1, sizeof ANSI1, v, 4, &n, err, sizeof err) == BEX_ERR_FORMAT);
    CHECK(strstr(err, "ANSI") != NULL);
    CHECK(bex_finger_ansi_read(ISO1, sizeof ISO1, v, 4, &n, err, sizeof err) == BEX_ERR_FORMAT);
    CHECK(strstr(err, "ISO") != NULL);
}

TEST(iso_two_views_569ppi) {
    bex_finger_template v[4];
    int n = -1;
    char err[256];
    CHECK(bex_finger_iso_read(ISO2, sizeof ISO2, v, 4, &n, err, sizeof err) == BEX_OK);
    CHECK(n == 2);
    /* 296 x 560 px at 224 px/cm is 260.2 x 492.1 px at 500 ppi (196.85 px/cm) */
    CHECK(v[0].width == 260 && v[0].height == 492 && v[1].width == 260);
    CHECK(v[0].finger_position == 1 && v[0].quality == 90 && v[0].n == 1);
    CHECK(v[0].m[0].x == 197 && v[0].m[0].y == 394 && v[0].m[0].angle == 0 && v[0].m[0].quality == 100);
    CHECK(v[1].finger_position == 1 && v[1].quality == 10 && v[1].n == 2);
    CHECK(v[1].m[0].type == BEX_MINUTIA_OTHER && v[1].m[0].x == 0 && v[1].m[0].angle == 1);
    /* (295, 559) -> (259.2, 491.2): inside the rescaled image */
    CHECK(v[1].m[1].x == 259 && v[1].m[1].y == 491 && v[1].m[1].angle == 255 && v[1].m[1].quality == 50);
    /* room for one view only */
    CHECK(bex_finger_iso_read(ISO2, sizeof ISO2, v, 1, &n, err, sizeof err) == BEX_ERR_LIMIT);
}

static void sample(bex_finger_template *t, int n, int pos, unsigned seed) {
    memset(t, 0, sizeof *t);
    t->width = 388;
    t->height = 374;
    t->finger_position = (uint8_t)pos;
    t->quality = (uint8_t)(seed % 101);
    t->n = n;
    for (int i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        t->m[i].x = (uint16_t)((seed >> 8) % 388);
        t->m[i].y = (uint16_t)((seed >> 4) % 374);
        t->m[i].angle = (uint8_t)(seed >> 16);
        t->m[i].type = (uint8_t)((seed >> 24) % 3);
        t->m[i].quality = (uint8_t)((seed >> 12) % 101);
    }
}

static int angle_diff(int a, int b) {
    int d = (a - b) & 255;
    return d > 128 ? 256 - d : d;
}

TEST(round_trips) {
    bex_finger_template in[3], out[BEX_FINGER_RECORD_MAX_VIEWS];
    sample(&in[0], BEX_FINGER_MAX_MINUTIAE, 2, 7);
    sample(&in[1], 0, 0, 99);
    sample(&in[2], 37, 2, 1234);
    for (int k = 0; k < 128; k++) in[0].m[k].angle = (uint8_t)(2 * k); /* every angle, over two views */
    for (int k = 0; k < 37; k++) in[2].m[k].angle = (uint8_t)(2 * k + 1);
    for (int k = 37; k < 128; k++) in[0].m[k].angle = (uint8_t)(2 * k + 1); /* the odd ones past 73 */
    char err[256];
    for (int ansi = 0; ansi < 2; ansi++) {
        uint8_t *b = NULL;
        size_t len = 0;
        int n = -1, rc;
        rc = ansi ? bex_finger_ansi_write(in, 3, &b, &len, err, sizeof err) : bex_finger_iso_write(in, 3, &b, &len, err, sizeof err);
        CHECK(rc == BEX_OK);
        if (rc != BEX_OK) continue;
        CHECK(len == (size_t)(ansi ? 26 : 24) + 3 * 6 + (size_t)(128 + 0 + 37) * 6);
        CHECK(bex_finger_record_sniff(b, len) == 1 + ansi);
        rc = ansi ? bex_finger_ansi_read(b, len, out, BEX_FINGER_RECORD_MAX_VIEWS, &n, err, sizeof err)
                  : bex_finger_iso_read(b, len, out, BEX_FINGER_RECORD_MAX_VIEWS, &n, err, sizeof err);
        CHECK(rc == BEX_OK && n == 3);
        int worst = 0;
        for (int v = 0; rc == BEX_OK && v < 3; v++) {
            CHECK(out[v].n == in[v].n && out[v].finger_position == in[v].finger_position && out[v].quality == in[v].quality);
            CHECK(out[v].width == 388 && out[v].height == 374);
            for (int i = 0; i < in[v].n; i++) {
                const bex_minutia *a = &in[v].m[i], *c = &out[v].m[i];
                CHECK(a->x == c->x && a->y == c->y && a->type == c->type && a->quality == c->quality);
                int d = angle_diff(a->angle, c->angle);
                if (d > worst) worst = d;
            }
        }
        /* ISO keeps the angle; ANSI's 2-degree unit moves it by at most one 360/256 unit */
        CHECK(worst <= (ansi ? 1 : 0));
        if (ansi) CHECK(worst == 1); /* and does move some: the quantisation is real */
        /* the view numbers of the two right-index views (position 2): 0 and 1 */
        CHECK((b[(ansi ? 26 : 24) + 1] >> 4) == 0);
        CHECK((b[(ansi ? 26 : 24) + 4 + 128 * 6 + 2 + 4 + 2 + 1] >> 4) == 1);
        free(b);
    }
    /* arguments out of range are refused */
    uint8_t *b = NULL;
    size_t len;
    CHECK(bex_finger_iso_write(in, 0, &b, &len, err, sizeof err) == BEX_ERR_ARG);
    in[2].m[3].x = 0x4000;
    CHECK(bex_finger_iso_write(in, 3, &b, &len, err, sizeof err) == BEX_ERR_ARG && b == NULL);
    in[2].m[3].x = 5;
    in[1].finger_position = 11;
    CHECK(bex_finger_ansi_write(in, 3, &b, &len, err, sizeof err) == BEX_ERR_ARG && b == NULL);
}

/* ANSI's 6-byte length form: a record over 65,535 bytes (here by its extended data). */
TEST(ansi_long_length) {
    size_t len = 30 + 4 + 6 + 2 + 65500;
    uint8_t *b = calloc(1, len);
    if (!b) return;
    memcpy(b, "FMR\0 20\0", 8);
    b[8] = b[9] = 0; /* 0x0000: the length follows in 4 bytes */
    b[10] = (uint8_t)(len >> 24);
    b[11] = (uint8_t)(len >> 16);
    b[12] = (uint8_t)(len >> 8);
    b[13] = (uint8_t)len;
    /* 14..17 CBEFF PID, 18..19 equipment */
    b[20] = 0x01; b[21] = 0x00; b[22] = 0x01; b[23] = 0x00; /* 256 x 256 */
    b[24] = 0x00; b[25] = 0xC5; b[26] = 0x00; b[27] = 0xC5;
    b[28] = 1;                                                 /* one view */
    b[30] = 3; b[31] = 0; b[32] = 40; b[33] = 1;              /* right middle, quality 40, 1 minutia */
    b[34] = 0x80 | 0x00; b[35] = 0x10; b[36] = 0x00; b[37] = 0x20; b[38] = 90; b[39] = 70; /* bifurcation (16, 32), 180 deg */
    b[40] = (uint8_t)(65500 >> 8); b[41] = (uint8_t)(65500 & 255);    /* extended data length */
    bex_finger_template v[2];
    int n = -1;
    char err[256];
    CHECK(bex_finger_record_sniff(b, len) == 2);
    CHECK(bex_finger_ansi_read(b, len, v, 2, &n, err, sizeof err) == BEX_OK);
    CHECK(n == 1 && v[0].n == 1 && v[0].finger_position == 3 && v[0].m[0].x == 16 && v[0].m[0].y == 32);
    CHECK(v[0].m[0].angle == 128 && v[0].m[0].type == BEX_MINUTIA_BIFURCATION);
    /* the long form holding a length that fits in 2 bytes is malformed */
    uint8_t small[sizeof ANSI1 + 4];
    memcpy(small, ANSI1, 8);
    small[8] = small[9] = 0;
    small[10] = 0; small[11] = 0; small[12] = 0; small[13] = (uint8_t)sizeof small;
    memcpy(small + 14, ANSI1 + 10, sizeof ANSI1 - 10);
    CHECK(bex_finger_ansi_read(small, sizeof small, v, 2, &n, err, sizeof err) == BEX_ERR_CORRUPT);
    CHECK(strstr(err, "byte 10") != NULL);
    free(b);
}

/* A copy of rec with byte `at` set to v, read as ISO (or ANSI): the status, err filled. */
static int read_changed(const uint8_t *rec, size_t len, int ansi, size_t at, uint8_t v, char *err, size_t errlen) {
    uint8_t b[128];
    memcpy(b, rec, len);
    b[at] = v;
    bex_finger_template t[4];
    int n;
    return ansi ? bex_finger_ansi_read(b, len, t, 4, &n, err, errlen) : bex_finger_iso_read(b, len, t, 4, &n, err, errlen);
}

TEST(malformed) {
    bex_finger_template t[4];
    int n;
    char err[256];
    /* every truncation of every hand record is an error with a message, never a crash */
    const uint8_t *recs[3] = {ISO1, ANSI1, ISO2};
    size_t lens[3] = {sizeof ISO1, sizeof ANSI1, sizeof ISO2};
    for (int r = 0; r < 3; r++)
        for (size_t k = 0; k < lens[r]; k++) {
            err[0] = 0;
            int rc = r == 1 ? bex_finger_ansi_read(recs[r], k, t, 4, &n, err, sizeof err)
                            : bex_finger_iso_read(recs[r], k, t, 4, &n, err, sizeof err);
            CHECK(rc != BEX_OK && err[0] != 0);
        }
    CHECK(bex_finger_iso_read(ISO1, 30, t, 4, &n, err, sizeof err) == BEX_ERR_CORRUPT);
    CHECK(strstr(err, "truncated") && strstr(err, "42"));
    /* bad identifier, bad version */
    CHECK(read_changed(ISO1, sizeof ISO1, 0, 0, 'X', err, sizeof err) == BEX_ERR_FORMAT);
    CHECK(strstr(err, "byte 0") != NULL);
    CHECK(read_changed(ISO1, sizeof ISO1, 0, 5, '3', err, sizeof err) == BEX_ERR_UNSUPPORTED);
    CHECK(strstr(err, "byte 4") && strstr(err, "version"));
    /* the length says less than there is: bytes left over */
    CHECK(read_changed(ISO1, sizeof ISO1, 0, 11, 0x28, err, sizeof err) == BEX_ERR_CORRUPT);
    CHECK(strstr(err, "byte 40") != NULL);
    /* a length shorter than the header */
    CHECK(read_changed(ANSI1, sizeof ANSI1, 1, 9, 0x10, err, sizeof err) == BEX_ERR_CORRUPT);
    /* more minutiae than bytes: the count at byte 27 says 9 */
    uint8_t b[64];
    memcpy(b, ISO1, sizeof ISO1);
    b[27] = 9;
    CHECK(bex_finger_iso_read(b, sizeof ISO1, t, 4, &n, err, sizeof err) == BEX_ERR_CORRUPT);
    CHECK(strstr(err, "byte 27") && strstr(err, "9 minutiae"));
    /* fewer minutiae than the record holds: the views end before the record */
    b[27] = 1;
    CHECK(bex_finger_iso_read(b, sizeof ISO1, t, 4, &n, err, sizeof err) == BEX_ERR_CORRUPT);
    /* two views announced, one present */
    CHECK(read_changed(ISO1, sizeof ISO1, 0, 22, 2, err, sizeof err) == BEX_ERR_CORRUPT);
    CHECK(strstr(err, "view 2") != NULL);
    /* no view; too many views */
    CHECK(read_changed(ISO1, sizeof ISO1, 0, 22, 0, err, sizeof err) == BEX_ERR_CORRUPT);
    CHECK(read_changed(ISO1, sizeof ISO1, 0, 22, 17, err, sizeof err) == BEX_ERR_LIMIT);
    /* values out of range, each at its byte */
    CHECK(read_changed(ISO1, sizeof ISO1, 0, 24, 11, err, sizeof err) == BEX_ERR_CORRUPT && strstr(err, "byte 24"));
    CHECK(read_changed(ISO1, sizeof ISO1, 0, 26, 101, err, sizeof err) == BEX_ERR_CORRUPT && strstr(err, "byte 26"));
    CHECK(read_changed(ISO1, sizeof ISO1, 0, 25, 0x05, err, sizeof err) == BEX_ERR_CORRUPT && strstr(err, "impression"));
    /* 9, live-scan contactless, is ANSI 378's alone */
    CHECK(read_changed(ISO1, sizeof ISO1, 0, 25, 0x09, err, sizeof err) == BEX_ERR_CORRUPT && strstr(err, "impression type 9"));
    CHECK(read_changed(ANSI1, sizeof ANSI1, 1, 27, 0x09, err, sizeof err) == BEX_OK);
    CHECK(read_changed(ANSI1, sizeof ANSI1, 1, 27, 0x08, err, sizeof err) == BEX_OK);
    CHECK(read_changed(ISO1, sizeof ISO1, 0, 28, 0xC0, err, sizeof err) == BEX_ERR_CORRUPT && strstr(err, "reserved type"));
    CHECK(read_changed(ISO1, sizeof ISO1, 0, 30, 0x3F, err, sizeof err) == BEX_ERR_CORRUPT && strstr(err, "byte 28") && strstr(err, "outside"));
    CHECK(read_changed(ISO1, sizeof ISO1, 0, 33, 101, err, sizeof err) == BEX_ERR_CORRUPT && strstr(err, "byte 33"));
    CHECK(read_changed(ANSI1, sizeof ANSI1, 1, 34, 180, err, sizeof err) == BEX_ERR_CORRUPT && strstr(err, "angle 180"));
    CHECK(read_changed(ISO1, sizeof ISO1, 0, 19, 0, err, sizeof err) == BEX_ERR_CORRUPT && strstr(err, "resolution"));
    CHECK(read_changed(ISO1, sizeof ISO1, 0, 14, 0, err, sizeof err) == BEX_ERR_CORRUPT && strstr(err, "outside the 44 x 400"));
    /* extended data longer than the record */
    CHECK(read_changed(ISO1, sizeof ISO1, 0, 41, 3, err, sizeof err) == BEX_ERR_CORRUPT && strstr(err, "extended data"));
    /* nothing at all; not a record */
    CHECK(bex_finger_iso_read(NULL, 0, t, 4, &n, err, sizeof err) == BEX_ERR_CORRUPT);
    CHECK(bex_finger_ansi_read((const uint8_t *)"GIF89a....", 10, t, 4, &n, err, sizeof err) == BEX_ERR_FORMAT);
    CHECK(bex_finger_record_sniff((const uint8_t *)"FMR\0 20\0", 8) == 0);
    CHECK(bex_finger_iso_read(ISO1, sizeof ISO1, t, 0, &n, err, sizeof err) == BEX_ERR_ARG);
}

/* More minutiae in a view than a template holds: the best-quality ones are kept. */
TEST(keeps_best_minutiae) {
    size_t nm = 200, len = 24 + 4 + nm * 6 + 2;
    uint8_t *b = calloc(1, len);
    if (!b) return;
    memcpy(b, "FMR\0 20\0", 8);
    b[10] = (uint8_t)(len >> 8);
    b[11] = (uint8_t)len;
    b[14] = 0x01; b[15] = 0xF4; b[16] = 0x01; b[17] = 0xF4; /* 500 x 500 */
    b[19] = 0xC5; b[21] = 0xC5; b[22] = 1;
    b[24] = 0; b[26] = 50; b[27] = (uint8_t)nm;
    for (size_t i = 0; i < nm; i++) {
        uint8_t *p = b + 28 + i * 6;
        p[0] = 0x40; p[1] = (uint8_t)i;  /* ending at x = i */
        p[3] = 7;
        p[5] = (uint8_t)(i % 100);      /* quality 0..99, twice */
    }
    bex_finger_template t[1];
    int n;
    char err[256];
    CHECK(bex_finger_iso_read(b, len, t, 1, &n, err, sizeof err) == BEX_OK);
    CHECK(t[0].n == BEX_FINGER_MAX_MINUTIAE);
    int low = 100;
    for (int i = 0; i < t[0].n; i++) if (t[0].m[i].quality < low) low = t[0].m[i].quality;
    /* 200 minutiae, qualities 0..99 twice: the best 128 are those of quality >= 36 */
    CHECK(low == 36);
    free(b);
}

static int write_seed(const char *dir, const char *name, const uint8_t *b, size_t len) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) return 1;
    int bad = fwrite(b, 1, len, f) != len;
    return fclose(f) != 0 || bad;
}

int main(void) {
    const char *corpus = getenv("BEX_FMR_CORPUS");
    if (corpus) {
        int bad = write_seed(corpus, "iso1", ISO1, sizeof ISO1) | write_seed(corpus, "ansi1", ANSI1, sizeof ANSI1) |
                  write_seed(corpus, "iso2", ISO2, sizeof ISO2) | write_seed(corpus, "iso1-cut", ISO1, 30);
        bex_finger_template t[2];
        sample(&t[0], 40, 6, 5);
        sample(&t[1], 25, 1, 9);
        uint8_t *b;
        size_t len;
        char err[256];
        if (bex_finger_iso_write(t, 2, &b, &len, err, sizeof err) == BEX_OK) {
            bad |= write_seed(corpus, "iso-written", b, len);
            free(b);
        }
        if (bex_finger_ansi_write(t, 2, &b, &len, err, sizeof err) == BEX_OK) {
            bad |= write_seed(corpus, "ansi-written", b, len);
            free(b);
        }
        return bad;
    }
    RUN(iso_by_hand);
    RUN(ansi_by_hand);
    RUN(iso_two_views_569ppi);
    RUN(round_trips);
    RUN(ansi_long_length);
    RUN(malformed);
    RUN(keeps_best_minutiae);
    return test_summary();
}
