/*
 * test_nist.c - ANSI/NIST-ITL 1-2011 traditional encoding (include/bex/nist.h): a round trip
 * of Type-1 + Type-2 + Type-10 (an LFW fixture JPEG) + Type-14 (a synthetic grayscale image,
 * CGA NONE), a transaction typed by hand from the standard's layout, and hostile inputs:
 * every truncation, LEN off by one, CNT mismatches, a missing 999, oversized values,
 * separators in the wrong places.
 *
 * BEX_NIST_CORPUS=dir build/tests/test_nist writes the fuzz seeds (tests/fuzz/corpus/nist).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bex/nist.h"
#include "test.h"

#define FIXTURE "tests/data/lfw/Aaron_Eckhart_0001.jpg"

static uint8_t *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) { free(b); b = NULL; }
    fclose(f);
    *len = (size_t)n;
    return b;
}

static uint8_t gray[32 * 24];
static uint8_t *jpeg;
static size_t jpeg_len;

/* Type-1 + Type-2 + Type-10 + Type-14, written */
static int build(uint8_t **out, size_t *len, char *err) {
    bex_nist t = {0};
    bex_nist_record *r = bex_nist_add_record(&t, 1);
    bex_nist_add_text(r, 2, BEX_NIST_VERSION);
    bex_nist_add_text(r, 4, "BEX");
    bex_nist_add_text(r, 5, "20261206");
    bex_nist_add_text(r, 7, "DEST00001");
    bex_nist_add_text(r, 8, "ORIG00001");
    bex_nist_add_text(r, 9, "BEX-2026-0001");
    bex_nist_add_text(r, 11, "19.69");
    bex_nist_add_text(r, 12, "19.69");
    r = bex_nist_add_record(&t, 2);
    bex_nist_add_text(r, 2, "00");
    bex_nist_add_text(r, 18, "DOE\x1FJANE");     /* items, as a profile might use */
    bex_nist_add_text(r, 201, "A\x1E" "B\x1E" "C"); /* subfields */
    r = bex_nist_add_record(&t, 10);
    bex_nist_add_text(r, 2, "01");
    bex_nist_add_text(r, 3, "FACE");
    bex_nist_add_text(r, 4, "BEXTEST");
    bex_nist_add_text(r, 5, "20261206");
    bex_nist_add_text(r, 6, "250");
    bex_nist_add_text(r, 7, "250");
    bex_nist_add_text(r, 8, "0");
    bex_nist_add_text(r, 9, "1");
    bex_nist_add_text(r, 10, "1");
    bex_nist_add_text(r, 11, "JPEGB");
    bex_nist_add_text(r, 12, "YCC");
    bex_nist_add_field(r, 999, jpeg, jpeg_len);
    r = bex_nist_add_record(&t, 14);
    bex_nist_add_text(r, 2, "02");
    bex_nist_add_text(r, 3, "0");
    bex_nist_add_text(r, 4, "BEXTEST");
    bex_nist_add_text(r, 5, "20261206");
    bex_nist_add_text(r, 6, "32");
    bex_nist_add_text(r, 7, "24");
    bex_nist_add_text(r, 8, "1");
    bex_nist_add_text(r, 9, "500");
    bex_nist_add_text(r, 10, "500");
    bex_nist_add_text(r, 11, "NONE");
    bex_nist_add_text(r, 12, "8");
    bex_nist_add_text(r, 13, "2");
    bex_nist_add_field(r, 999, gray, sizeof gray);
    int rc = bex_nist_write(&t, out, len, err, 256);
    bex_nist_free(&t);
    return rc;
}

static int field_is(const bex_nist_record *r, int f, const char *s) {
    const bex_nist_field *x = bex_nist_get(r, f);
    return x && x->len == strlen(s) && memcmp(x->value, s, x->len) == 0;
}

TEST(round_trip) {
    uint8_t *buf;
    size_t len;
    char err[256];
    CHECK(build(&buf, &len, err) == BEX_OK);
    bex_nist t;
    int rc = bex_nist_parse(buf, len, &t, err, sizeof err);
    if (rc != BEX_OK) printf("  %s\n", err);
    CHECK(rc == BEX_OK);
    if (rc == BEX_OK) {
        CHECK(t.n_records == 4);
        CHECK(t.records[0].type == 1 && t.records[1].type == 2);
        CHECK(t.records[2].type == 10 && t.records[3].type == 14);
        CHECK(field_is(&t.records[0], 2, "0502"));
        CHECK(field_is(&t.records[0], 3, "1\x1F" "3\x1E" "2\x1F" "00\x1E" "10\x1F" "01\x1E" "14\x1F" "02"));
        CHECK(field_is(&t.records[0], 9, "BEX-2026-0001"));
        CHECK(field_is(&t.records[1], 18, "DOE\x1FJANE"));
        CHECK(field_is(&t.records[1], 201, "A\x1E" "B\x1E" "C"));
        CHECK(field_is(&t.records[2], 11, "JPEGB"));
        CHECK(t.records[1].idc == 0 && t.records[2].idc == 1 && t.records[3].idc == 2);
        const bex_nist_field *img = bex_nist_get(&t.records[2], 999);
        CHECK(img && img->len == jpeg_len && memcmp(img->value, jpeg, jpeg_len) == 0);
        img = bex_nist_get(&t.records[3], 999);
        CHECK(img && img->len == sizeof gray && memcmp(img->value, gray, sizeof gray) == 0);
        size_t total = 0;
        for (int i = 0; i < t.n_records; i++) {
            const bex_nist_field *l = bex_nist_get(&t.records[i], 1);
            char s[16];
            snprintf(s, sizeof s, "%zu", t.records[i].len);
            CHECK(l && l->len == strlen(s) && memcmp(l->value, s, l->len) == 0);
            total += t.records[i].len;
        }
        CHECK(total == len);
        size_t o, l;
        const bex_nist_field *cnt = bex_nist_get(&t.records[0], 3);
        CHECK(bex_nist_item(cnt, 2, 0, &o, &l) == BEX_OK && l == 2 && memcmp(cnt->value + o, "10", 2) == 0);
        CHECK(bex_nist_item(cnt, 4, 0, &o, &l) == BEX_ERR_ARG);
        /* write it again from what was parsed: the same bytes */
        uint8_t *again;
        size_t again_len;
        CHECK(bex_nist_write(&t, &again, &again_len, err, sizeof err) == BEX_OK);
        CHECK(again_len == len && memcmp(again, buf, len) == 0);
        free(again);
        bex_nist_free(&t);
    }
    free(buf);
}

/* LEN's digits count themselves: 9 + 1 digit can become 10 + 2 digits */
TEST(len_fixed_point) {
    char err[256];
    for (int pad = 0; pad < 120; pad++) {
        char v[128];
        memset(v, 'X', (size_t)pad);
        v[pad] = 0;
        bex_nist t = {0};
        bex_nist_record *r = bex_nist_add_record(&t, 1);
        bex_nist_add_text(r, 2, "0502");
        bex_nist_add_text(r, 4, "T");
        bex_nist_add_text(r, 5, "20260101");
        bex_nist_add_text(r, 7, "D");
        bex_nist_add_text(r, 8, "O");
        bex_nist_add_text(r, 9, "C");
        bex_nist_add_text(r, 11, "0");
        bex_nist_add_text(r, 12, "0");
        r = bex_nist_add_record(&t, 2);
        bex_nist_add_text(r, 2, "0");
        bex_nist_add_text(r, 3, v);
        uint8_t *b;
        size_t len;
        CHECK(bex_nist_write(&t, &b, &len, err, sizeof err) == BEX_OK);
        bex_nist_free(&t);
        bex_nist p;
        int rc = bex_nist_parse(b, len, &p, err, sizeof err);
        if (rc != BEX_OK) printf("  pad %d: %s\n", pad, err);
        CHECK(rc == BEX_OK);
        if (rc == BEX_OK) bex_nist_free(&p);
        free(b);
    }
}

/* Typed from the standard's layout (Annex B: "T.FFF:" fields, GS between, FS at the end;
 * CNT = FRC US CRC, then RS REC US IDC per record). LENs counted by hand (and
 * checked by the test: 131 + 26 bytes). */
static const char hand[] =
    "1.001:131\x1D" "1.002:0502\x1D" "1.003:1\x1F" "1\x1E" "2\x1F" "00\x1D" "1.004:CAR\x1D"
    "1.005:20150101\x1D" "1.007:DAI000000\x1D" "1.008:ORI000000\x1D" "1.009:TCN0001\x1D"
    "1.011:00.00\x1D" "1.012:00.00\x1C"
    "2.001:26\x1D" "2.002:00\x1D" "2.005:N\x1C";

TEST(hand_made) {
    bex_nist t;
    char err[256];
    CHECK(strlen(hand) == 131 + 26);
    int rc = bex_nist_parse((const uint8_t *)hand, strlen(hand), &t, err, sizeof err);
    if (rc != BEX_OK) printf("  %s\n", err);
    CHECK(rc == BEX_OK);
    if (rc == BEX_OK) {
        CHECK(t.n_records == 2 && t.records[0].len == 131 && t.records[1].len == 26);
        CHECK(field_is(&t.records[0], 4, "CAR") && field_is(&t.records[1], 5, "N"));
        uint8_t *b;
        size_t len;
        CHECK(bex_nist_write(&t, &b, &len, err, sizeof err) == BEX_OK);
        CHECK(len == strlen(hand) && memcmp(b, hand, len) == 0);
        free(b);
        bex_nist_free(&t);
    }
}

static int parse_fails(const void *b, size_t len, int want, const char *needle) {
    bex_nist t;
    char err[256];
    err[0] = 0;
    int rc = bex_nist_parse(b, len, &t, err, sizeof err);
    if (rc == BEX_OK) {
        bex_nist_free(&t);
        printf("  parsed, expected %d (%s)\n", want, needle);
        return 0;
    }
    if ((want && rc != want) || !err[0] || (needle && !strstr(err, needle))) {
        printf("  rc %d, err \"%s\", expected %d and \"%s\"\n", rc, err, want, needle ? needle : "");
        return 0;
    }
    return 1;
}

TEST(every_truncation_fails) {
    uint8_t *buf;
    size_t len;
    char err[256];
    CHECK(build(&buf, &len, err) == BEX_OK);
    int bad = 0;
    for (size_t n = 0; n < len; n++) {
        uint8_t *c = malloc(n ? n : 1); /* exactly n bytes, so ASan sees any overread */
        memcpy(c, buf, n);
        if (!parse_fails(c, n, 0, NULL)) bad++;
        free(c);
        if (bad > 3) break;
    }
    CHECK(bad == 0);
    CHECK(parse_fails((const uint8_t *)hand, strlen(hand) - 1, BEX_ERR_CORRUPT, "record 2 (Type-2) field 2.001 at byte 131"));
    free(buf);
}

static char *edit(const char *from, const char *to) {
    static char out[512];
    const char *p = strstr(hand, from);
    if (!p) { snprintf(out, sizeof out, "%s", hand); return out; }
    snprintf(out, sizeof out, "%.*s%s%s", (int)(p - hand), hand, to, p + strlen(from));
    return out;
}

TEST(hostile) {
    char *s;
    s = edit("1.001:131", "1.001:130");
    CHECK(parse_fails(s, strlen(s), BEX_ERR_CORRUPT, "record 1 (Type-1) field 1.001 at byte 0"));
    s = edit("1.001:131", "1.001:132");
    CHECK(parse_fails(s, strlen(s), BEX_ERR_CORRUPT, "field 1.001"));
    s = edit("2.001:26", "2.001:27");
    CHECK(parse_fails(s, strlen(s), BEX_ERR_CORRUPT, "record 2 (Type-2) field 2.001 at byte 131: LEN 27 runs past"));
    /* CNT says 2 records; only one follows */
    s = edit("1\x1F" "1\x1E" "2\x1F" "00", "1\x1F" "2\x1E" "2\x1F" "00\x1E" "2\x1F" "01");
    CHECK(parse_fails(s, strlen(s), BEX_ERR_CORRUPT, NULL)); /* LEN now off too */
    /* CNT's IDC disagrees with 2.002 (same length, LEN still right) */
    s = edit("2\x1F" "00\x1D", "2\x1F" "07\x1D");
    CHECK(parse_fails(s, strlen(s), BEX_ERR_CORRUPT, "record 2 (Type-2) field 2.002 at byte 140: IDC 0 but CNT lists IDC 7"));
    /* CNT lists a Type-10 where a Type-2 is */
    s = edit("1\x1E" "2\x1F" "00", "1\x1E" "10\x1F" "0");
    CHECK(parse_fails(s, strlen(s), BEX_ERR_CORRUPT, "record 2 (Type-10)"));
    /* CNT lists a type not read */
    s = edit("1\x1E" "2\x1F" "00", "1\x1E" "4\x1F" "00");
    CHECK(parse_fails(s, strlen(s), BEX_ERR_UNSUPPORTED, "record 2 (Type-4)"));
    /* a record after those CNT lists */
    {
        char two[512];
        snprintf(two, sizeof two, "%s2.001:26\x1D" "2.002:00\x1D" "2.005:N\x1C", hand);
        CHECK(parse_fails(two, strlen(two), BEX_ERR_CORRUPT, "bytes after the 2 records"));
    }
    /* separators in the wrong places */
    s = edit("1.004:CAR\x1D", "1.004:C\x1C" "R\x1D");
    CHECK(parse_fails(s, strlen(s), BEX_ERR_CORRUPT, "field 1.004 at byte"));
    s = edit("1.004:CAR\x1D", "1.004:CAR\x1D\x1D");
    CHECK(parse_fails(s, strlen(s), BEX_ERR_CORRUPT, NULL));
    s = edit("1.004:CAR", "1.004CAR:");
    CHECK(parse_fails(s, strlen(s), BEX_ERR_CORRUPT, "expected a field number"));
    s = edit("2.005:N", "1.005:N");
    CHECK(parse_fails(s, strlen(s), BEX_ERR_CORRUPT, "tag of record type 1 inside a Type-2"));
    s = edit("1.004:CAR\x1D" "1.005:20150101", "1.005:20150101\x1D" "1.004:CAR");
    CHECK(parse_fails(s, strlen(s), BEX_ERR_CORRUPT, "out of order"));
    s = edit("1.002:0502", "1.002:05X2");
    CHECK(parse_fails(s, strlen(s), BEX_ERR_CORRUPT, "VER"));
    s = edit("1.009:TCN0001", "1.010:TCN0001");
    CHECK(parse_fails(s, strlen(s), BEX_ERR_CORRUPT, "field 1.009 at byte 0: mandatory field missing"));
    CHECK(parse_fails("", 0, BEX_ERR_CORRUPT, "empty"));
    CHECK(parse_fails("\x1C\x1C\x1C", 3, BEX_ERR_CORRUPT, "record 1"));
    CHECK(parse_fails("1.001:999999999999\x1D", 19, BEX_ERR_CORRUPT, "LEN"));
}

/* a Type-10 without 999; an oversized text value; writer refusals */
TEST(records_refused) {
    char err[256];
    uint8_t *b;
    size_t len;
    bex_nist t = {0};
    bex_nist_record *r = bex_nist_add_record(&t, 1);
    bex_nist_add_text(r, 2, "0502");
    bex_nist_add_text(r, 4, "T");
    bex_nist_add_text(r, 5, "20260101");
    bex_nist_add_text(r, 7, "D");
    bex_nist_add_text(r, 8, "O");
    bex_nist_add_text(r, 9, "C");
    bex_nist_add_text(r, 11, "0");
    bex_nist_add_text(r, 12, "0");
    r = bex_nist_add_record(&t, 10);
    bex_nist_add_text(r, 2, "1");
    bex_nist_add_text(r, 3, "FACE");
    bex_nist_add_text(r, 4, "SRC");
    CHECK(bex_nist_write(&t, &b, &len, err, sizeof err) == BEX_OK);
    CHECK(parse_fails(b, len, BEX_ERR_CORRUPT, "record 2 (Type-10) field 10.999"));
    free(b);
    /* oversized value: the writer refuses it, and a reader refuses one written by hand */
    size_t big = BEX_NIST_MAX_TEXT + 1;
    char *v = malloc(big + 1);
    memset(v, 'A', big);
    v[big] = 0;
    bex_nist_add_text(r, 20, v);
    CHECK(bex_nist_write(&t, &b, &len, err, sizeof err) == BEX_ERR_ARG && strstr(err, "10.020"));
    r->n_fields--;
    /* a text value with a GS; 999 not last; out of order */
    bex_nist_add_text(r, 20, "A\x1D" "B");
    CHECK(bex_nist_write(&t, &b, &len, err, sizeof err) == BEX_ERR_ARG && strstr(err, "separator"));
    r->n_fields--;
    bex_nist_add_text(r, 3, "AGAIN");
    CHECK(bex_nist_write(&t, &b, &len, err, sizeof err) == BEX_ERR_ARG && strstr(err, "ascending"));
    r->n_fields--;
    bex_nist_add_field(r, 999, "x", 1);
    bex_nist_add_text(r, 20, "after");
    CHECK(bex_nist_write(&t, &b, &len, err, sizeof err) == BEX_ERR_ARG);
    r->n_fields -= 2;
    bex_nist_free(&t);

    size_t hl = strlen(hand), n = hl + big + 40;
    char *h = malloc(n);
    /* Type-2 field 2.005 of BEX_NIST_MAX_TEXT + 1 bytes */
    size_t body = strlen("2.001:\x1D" "2.002:00\x1D" "2.005:") + big + 1, l = body + 7;
    int k = snprintf(h, n, "%.*s2.001:%zu\x1D" "2.002:00\x1D" "2.005:", 131, hand, l);
    memcpy(h + k, v, big);
    h[k + big] = 0x1C;
    CHECK((size_t)k + big + 1 - 131 == l);
    CHECK(parse_fails(h, (size_t)k + big + 1, BEX_ERR_LIMIT, "record 2 (Type-2) field 2.005"));
    free(h);
    free(v);
    /* over the file cap */
    CHECK(parse_fails(hand, BEX_NIST_MAX_BYTES + 1, BEX_ERR_LIMIT, "over"));
}

static int write_file(const char *dir, const char *name, const void *b, size_t len) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) return 1;
    fwrite(b, 1, len, f);
    return fclose(f) != 0;
}

int main(void) {
    jpeg = read_all(FIXTURE, &jpeg_len);
    if (!jpeg) {
        printf("cannot read %s\n", FIXTURE);
        return 1;
    }
    for (size_t i = 0; i < sizeof gray; i++) gray[i] = (uint8_t)(i * 7 + (i >> 5)); /* holds 0x1C-0x1F too */
    const char *corpus = getenv("BEX_NIST_CORPUS");
    if (corpus) {
        uint8_t *b;
        size_t len;
        char err[256];
        int bad = build(&b, &len, err) != BEX_OK;
        if (!bad) {
            bad |= write_file(corpus, "full", b, len);
            bad |= write_file(corpus, "full-cut", b, len / 2);
            free(b);
        }
        bad |= write_file(corpus, "hand", hand, strlen(hand));
        bad |= write_file(corpus, "hand-len-off", edit("2.001:26", "2.001:25"), strlen(hand));
        bad |= write_file(corpus, "hand-cnt-idc", edit("2\x1F" "00\x1D", "2\x1F" "07\x1D"), strlen(hand));
        return bad;
    }
    RUN(round_trip);
    RUN(len_fixed_point);
    RUN(hand_made);
    RUN(every_truncation_fails);
    RUN(hostile);
    RUN(records_refused);
    free(jpeg);
    return test_summary();
}
