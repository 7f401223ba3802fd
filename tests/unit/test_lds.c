/*
 * test_lds.c - the ePassport chip's files (include/bex/lds.h): the TLV reader and writer,
 * Doc 9303 Part 10's worked examples (EF.COM, DG1), chips built from synthetic MRZs, an LFW
 * fixture face and a synthetic finger read back field for field, the face decoding to the
 * fixture's pixels; then every prefix of every file, oversized lengths, deep nesting, wrong
 * tags, ISO/IEC 39794 records and bad text refused with a message that names the file and
 * never quotes personal data; and a chip directory as a reading tool saves it.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bex/image.h"
#include "bex/lds.h"
#include "test.h"
#include "util/util.h"

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

static void spit(const char *dir, const char *name, const uint8_t *b, size_t n) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) return;
    if (n) fwrite(b, 1, n, f);
    fclose(f);
}

static const char *SURNAME = "TESTPERSON";

/* A synthetic passport's MRZ (TD3), as a printer writes it. */
static void make_mrz(char mrz[90]) {
    char err[256];
    int rc = bex_mrz_make_td3("P", "UTO", "Testperson", "Anna Maria", "L898902C3", "UTO",
                              "1974-08-12", 'F', "2031-04-15", mrz, err, sizeof err);
    if (rc != BEX_OK) printf("  make_td3: %s\n", err);
}

/* a synthetic finger: concentric ridges, 8-bit gray */
#define FW 64
#define FH 80
static void make_finger(uint8_t px[FW * FH]) {
    for (int y = 0; y < FH; y++)
        for (int x = 0; x < FW; x++) {
            int dx = x - FW / 2, dy = y - FH / 2;
            int r2 = dx * dx + dy * dy;
            px[y * FW + x] = (uint8_t)(((r2 / 24) & 1) ? 40 : 210);
        }
}

/* A whole chip, built: each file's bytes. */
typedef struct chip {
    bex_bytes com, dg1, dg2, dg3, dg11, dg12, sod;
    uint8_t *jpeg;
    size_t jpeg_len;
    uint8_t *png;
    size_t png_len;
    uint8_t finger[FW * FH];
} chip;

static const char *FULL_NAME = "M\xC3\xBCller-Testperson, Anna Maria"; /* Müller */
static const uint8_t FRONT_IMAGE[] = {0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4};

static int build_chip(chip *c) {
    char err[256], mrz[90];
    memset(c, 0, sizeof *c);
    c->jpeg = slurp(TEST_DATA("lfw/Aaron_Eckhart_0001.jpg"), &c->jpeg_len);
    c->png = slurp(TEST_DATA("image/gray.png"), &c->png_len);
    if (!c->jpeg || !c->png) return 0;
    make_mrz(mrz);
    make_finger(c->finger);
    static const uint8_t tags[] = {0x61, 0x75, 0x63, 0x6B, 0x6C};
    int ok = 1;
    ok &= bex_lds_build_com("0107", "040000", tags, 5, &c->com, err, sizeof err) == BEX_OK;
    ok &= bex_lds_build_dg1(mrz, &c->dg1, err, sizeof err) == BEX_OK;
    bex_lds_face_in face = {c->jpeg, c->jpeg_len, 0, 250, 250, 1};
    ok &= bex_lds_build_dg2(&face, 1, &c->dg2, err, sizeof err) == BEX_OK;
    bex_lds_finger_in fingers[2] = {
        {c->finger, sizeof c->finger, BEX_FINGER_UNCOMPRESSED, 2, FW, FH, 500, 8, 80},
        {c->png, c->png_len, BEX_FINGER_PNG, 7, 7, 5, 500, 8, 60},
    };
    ok &= bex_lds_build_dg3(fingers, 2, &c->dg3, err, sizeof err) == BEX_OK;
    static const uint8_t bcd_dob[4] = {0x19, 0x74, 0x08, 0x12};
    bex_lds_field_in f11[] = {
        {0x5F0E, FULL_NAME, NULL, 0},
        {0x5F0F, "Anna Testperson", NULL, 0},
        {0x5F0F, "\xD0\x90\xD0\xBD\xD0\xBD\xD0\xB0", NULL, 0}, /* Анна */
        {0x5F10, "123-45-678", NULL, 0},
        {0x5F2B, NULL, bcd_dob, 4},
        {0x5F11, "Utopia City", NULL, 0},
        {0x5F42, "1 Main Street<Utopia City<UTO", NULL, 0},
        {0x5F13, "Engineer", NULL, 0},
    };
    ok &= bex_lds_build_details(11, f11, 8, &c->dg11, err, sizeof err) == BEX_OK;
    bex_lds_field_in f12[] = {
        {0x5F19, "Passport Office of Utopia", NULL, 0},
        {0x5F26, "20210415", NULL, 0},
        {0x5F1A, "Child Testperson", NULL, 0},
        {0x5F1D, NULL, FRONT_IMAGE, sizeof FRONT_IMAGE},
        {0x5F55, "20210415093000", NULL, 0},
        {0x5F56, "SN-0042", NULL, 0},
    };
    ok &= bex_lds_build_details(12, f12, 6, &c->dg12, err, sizeof err) == BEX_OK;
    /* not a signed CMS (that is passive authentication's test): a DER SEQUENCE stands in */
    static const uint8_t cms[] = {0x30, 0x06, 0x06, 0x01, 0x2A, 0x02, 0x01, 0x03};
    ok &= bex_lds_build_sod(cms, sizeof cms, &c->sod, err, sizeof err) == BEX_OK;
    if (!ok) printf("  build: %s\n", err);
    return ok;
}

static void free_chip(chip *c) {
    bex_bytes *all[] = {&c->com, &c->dg1, &c->dg2, &c->dg3, &c->dg11, &c->dg12, &c->sod};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) bex_bytes_free(all[i]);
    free(c->jpeg);
    free(c->png);
}

/* Parses buf as the file `which` is (0 COM, 1 DG1, 2 DG2, 3 DG3, 11/12, 17 SOD). */
static int parse_any(int which, const uint8_t *buf, size_t len, char *err, size_t errlen) {
    switch (which) {
    case 0: { bex_lds_com o; return bex_lds_parse_com(buf, len, &o, err, errlen); }
    case 1: { bex_lds_dg1 o; return bex_lds_parse_dg1(buf, len, &o, err, errlen); }
    case 2: { bex_lds_dg2 o; return bex_lds_parse_dg2(buf, len, &o, err, errlen); }
    case 3: { bex_lds_dg3 o; return bex_lds_parse_dg3(buf, len, &o, err, errlen); }
    case 11:
    case 12: {
        bex_lds_details o;
        int rc = bex_lds_parse_details(buf, len, &o, err, errlen);
        if (rc == BEX_OK) bex_lds_details_free(&o);
        return rc;
    }
    default: { size_t a, b; return bex_lds_parse_sod(buf, len, &a, &b, err, errlen); }
    }
}


/* The file cut at byte n with every enclosing TLV's length lowered to end there (the length
 * fields keep their width), so the cut reaches the innermost structure instead of failing at
 * the outer length. */
static void cut_consistent(const uint8_t *src, size_t len, size_t n, uint8_t *dst) {
    memcpy(dst, src, n);
    size_t pos = 0, end = len;
    while (pos < n) {
        bex_tlv t;
        size_t next = pos;
        if (bex_tlv_next(src, end, &next, &t, NULL, 0) != BEX_OK) return;
        if (n <= t.off || n < t.val_off) return; /* at a boundary, or inside a header */
        if (n <= t.val_off + t.len) {
            size_t tl = 1;
            if ((src[t.off] & 0x1F) == 0x1F)
                for (tl = 2; src[t.off + tl - 1] & 0x80; tl++) {}
            size_t lf = t.off + tl, lfw = t.val_off - lf, nl = n - t.val_off;
            if (lfw == 1) dst[lf] = (uint8_t)nl;
            else
                for (size_t i = lfw - 1; i >= 1; i--, nl >>= 8) dst[lf + i] = (uint8_t)nl;
            if (!t.constructed) return;
            pos = t.val_off;
            end = t.val_off + t.len;
            continue;
        }
        pos = next;
    }
}

/* ------------------------------------------------------------------ the TLV layer */

TEST(tlv_reads_tags_and_lengths) {
    /* 1-byte tag, short length; 2-byte tag, 81 length; 3-byte tag, 82 length */
    bex_bytes b = {0};
    uint8_t big[300];
    memset(big, 0xAB, sizeof big);
    bex_tlv_put(&b, 0x02, "\x05", 1);
    bex_tlv_put(&b, 0x5F1F, big, 200);
    bex_tlv_put(&b, 0x5F8101, big, 300);
    CHECK(bex_bytes_done(&b) == BEX_OK);
    CHECK(b.len == 3 + (4 + 200) + (3 + 3 + 300));
    CHECK(b.data[3] == 0x5F && b.data[4] == 0x1F && b.data[5] == 0x81 && b.data[6] == 200);
    size_t pos = 0;
    bex_tlv t;
    char err[256];
    CHECK(bex_tlv_next(b.data, b.len, &pos, &t, err, sizeof err) == BEX_OK);
    CHECK(t.tag == 0x02 && t.len == 1 && t.val_off == 2 && !t.constructed);
    CHECK(bex_tlv_next(b.data, b.len, &pos, &t, err, sizeof err) == BEX_OK);
    CHECK(t.tag == 0x5F1F && t.len == 200 && t.val_off == 7);
    CHECK(bex_tlv_next(b.data, b.len, &pos, &t, err, sizeof err) == BEX_OK);
    CHECK(t.tag == 0x5F8101 && t.len == 300 && pos == b.len);
    CHECK(bex_tlv_next(b.data, b.len, &pos, &t, err, sizeof err) == BEX_ERR_CORRUPT);
    CHECK(bex_tlv_check(b.data, 0, b.len, 0, err, sizeof err) == BEX_OK);
    bex_bytes_free(&b);

    /* a constructed TLV written with open/close: lengths crossing 0x7F and 0xFF */
    bex_tlv_open(&b, 0x7F61);
    bex_tlv_put(&b, 0x5F2E, big, 250);
    bex_tlv_close(&b);
    CHECK(bex_bytes_done(&b) == BEX_OK);
    pos = 0;
    CHECK(bex_tlv_next(b.data, b.len, &pos, &t, err, sizeof err) == BEX_OK);
    CHECK(t.tag == 0x7F61 && t.constructed && t.len == 254 && pos == b.len);
    bex_bytes_free(&b);
    bex_tlv_open(&b, 0x75);
    CHECK(bex_bytes_done(&b) == BEX_ERR_ARG); /* left open */
    bex_bytes_free(&b);
}

TEST(tlv_refuses_what_it_must) {
    char err[256];
    bex_tlv t;
    size_t pos;
    static const uint8_t tag4[] = {0x5F, 0x81, 0x82, 0x03, 0x00};      /* a 4-byte tag */
    static const uint8_t indef[] = {0x61, 0x80, 0x00, 0x00};           /* indefinite */
    static const uint8_t len4[] = {0x61, 0x84, 0, 0, 0, 1, 0};         /* 4 length bytes */
    static const uint8_t over[] = {0x61, 0x82, 0x01, 0x00, 0x00};      /* 256 said, 1 there */
    static const uint8_t cut_tag[] = {0x5F};                           /* tag cut off */
    static const uint8_t cut_len[] = {0x61, 0x82, 0x01};               /* length cut off */
    static const uint8_t pad[] = {0x00, 0x00};
    pos = 0;
    CHECK(bex_tlv_next(tag4, sizeof tag4, &pos, &t, err, sizeof err) == BEX_ERR_LIMIT);
    pos = 0;
    CHECK(bex_tlv_next(indef, sizeof indef, &pos, &t, err, sizeof err) == BEX_ERR_CORRUPT);
    CHECK(strstr(err, "indefinite") != NULL);
    pos = 0;
    CHECK(bex_tlv_next(len4, sizeof len4, &pos, &t, err, sizeof err) == BEX_ERR_LIMIT);
    pos = 0;
    CHECK(bex_tlv_next(over, sizeof over, &pos, &t, err, sizeof err) == BEX_ERR_CORRUPT);
    CHECK(strstr(err, "truncated at byte 5") != NULL && strstr(err, "says 256 bytes") != NULL);
    pos = 0;
    CHECK(bex_tlv_next(cut_tag, sizeof cut_tag, &pos, &t, err, sizeof err) == BEX_ERR_CORRUPT);
    pos = 0;
    CHECK(bex_tlv_next(cut_len, sizeof cut_len, &pos, &t, err, sizeof err) == BEX_ERR_CORRUPT);
    pos = 0;
    CHECK(bex_tlv_next(pad, sizeof pad, &pos, &t, err, sizeof err) == BEX_ERR_CORRUPT);
    CHECK(pos == 0);
}

/* 40 levels of A1 { A1 { ... } } */
static void deep(bex_bytes *b, uint32_t outer_tag, int levels) {
    uint8_t inner[16 + 2 * 64];
    size_t n = 0;
    /* written inside out by hand: the writer itself stops at BEX_TLV_MAX_DEPTH */
    inner[0] = 0x80, inner[1] = 0x00;
    n = 2;
    for (int i = 0; i < levels; i++) {
        memmove(inner + 2, inner, n);
        inner[0] = 0xA1;
        inner[1] = (uint8_t)n;
        n += 2;
    }
    bex_tlv_open(b, outer_tag);
    if (outer_tag == 0x6B) bex_tlv_put(b, 0x5C, "\x5F\x0E", 2);
    bex_bytes_put(b, inner, n);
    bex_tlv_close(b);
}

TEST(deep_nesting_is_refused) {
    bex_bytes b = {0};
    char err[256];
    deep(&b, 0x6B, 40);
    CHECK(bex_bytes_done(&b) == BEX_OK);
    bex_lds_details d;
    CHECK(bex_lds_parse_details(b.data, b.len, &d, err, sizeof err) == BEX_ERR_LIMIT);
    CHECK(strncmp(err, "DG11: ", 6) == 0 && strstr(err, "nested deeper") != NULL);
    CHECK(bex_tlv_check(b.data, 0, b.len, 0, err, sizeof err) == BEX_ERR_LIMIT);
    bex_bytes_free(&b);
    /* 10 levels are fine for the walker, and DG11 skips the unknown element */
    deep(&b, 0x6B, 10);
    CHECK(bex_tlv_check(b.data, 0, b.len, 0, err, sizeof err) == BEX_OK);
    CHECK(bex_lds_parse_details(b.data, b.len, &d, err, sizeof err) == BEX_OK && d.n == 0);
    bex_lds_details_free(&d);
    bex_bytes_free(&b);
    /* the writer refuses to nest past the cap */
    for (int i = 0; i <= BEX_TLV_MAX_DEPTH; i++) bex_tlv_open(&b, 0xA1);
    CHECK(bex_bytes_done(&b) == BEX_ERR_ARG);
    bex_bytes_free(&b);
}

/* ------------------------------------------------------------------ Doc 9303 worked examples */

/* Doc 9303 (8th edition, 2021) Part 10, Appendix A ("Logical data structure mapping
 * examples"), A.1: EF.COM of an LDS 1.7 chip, Unicode 4.0.0, holding DG1, DG2, DG4 and DG12,
 * byte for byte as the appendix writes it in full hexadecimal:
 * '60' '16' '5F01' '04' '30313037' '5F36' '06' '303430303030' '5C' '04' '6175766C'.
 * (Checked against a page-by-page text conversion of the PDF; ZeroPass dmrtd's
 * test/ef_test.dart has the same bytes.) */
static const uint8_t DOC9303_COM[] = {0x60, 0x16, 0x5F, 0x01, 0x04, 0x30, 0x31, 0x30,
                                      0x37, 0x5F, 0x36, 0x06, 0x30, 0x34, 0x30, 0x30,
                                      0x30, 0x30, 0x5C, 0x04, 0x61, 0x75, 0x76, 0x6C};

TEST(doc9303_ef_com) {
    bex_lds_com com;
    char err[256];
    CHECK(bex_lds_parse_com(DOC9303_COM, sizeof DOC9303_COM, &com, err, sizeof err) == BEX_OK);
    CHECK(!strcmp(com.lds_version, "0107") && !strcmp(com.unicode_version, "040000"));
    CHECK(com.n_tags == 4 && com.tags[0] == 0x61 && com.tags[3] == 0x6C);
    CHECK(com.dg_mask == ((1u << 1) | (1u << 2) | (1u << 4) | (1u << 12)));
    /* the writer gives the same bytes */
    bex_bytes b = {0};
    static const uint8_t tags[] = {0x61, 0x75, 0x76, 0x6C};
    CHECK(bex_lds_build_com("0107", "040000", tags, 4, &b, err, sizeof err) == BEX_OK);
    CHECK(b.len == sizeof DOC9303_COM && !memcmp(b.data, DOC9303_COM, b.len));
    bex_bytes_free(&b);
    /* A.1's second case, "a hypothetic LDS Version 15.99": the same with '31353939' */
    static const uint8_t com1599[] = {0x60, 0x16, 0x5F, 0x01, 0x04, 0x31, 0x35, 0x39,
                                      0x39, 0x5F, 0x36, 0x06, 0x30, 0x34, 0x30, 0x30,
                                      0x30, 0x30, 0x5C, 0x04, 0x61, 0x75, 0x76, 0x6C};
    CHECK(bex_lds_parse_com(com1599, sizeof com1599, &com, err, sizeof err) == BEX_OK);
    CHECK(!strcmp(com.lds_version, "1599") && com.n_tags == 4);
    /* Part 11, Appendix D.4 (Basic Access Control's worked example, secure messaging): the
     * EF.COM it reads and decrypts, '60145F0104303130365F36063034303030305C026175': LDS 1.6,
     * Unicode 4.0.0, DG1 and DG2 */
    static const uint8_t com_d4[] = {0x60, 0x14, 0x5F, 0x01, 0x04, 0x30, 0x31, 0x30,
                                     0x36, 0x5F, 0x36, 0x06, 0x30, 0x34, 0x30, 0x30,
                                     0x30, 0x30, 0x5C, 0x02, 0x61, 0x75};
    CHECK(bex_lds_parse_com(com_d4, sizeof com_d4, &com, err, sizeof err) == BEX_OK);
    CHECK(!strcmp(com.lds_version, "0106") && !strcmp(com.unicode_version, "040000"));
    CHECK(com.n_tags == 2 && com.dg_mask == ((1u << 1) | (1u << 2)));
    CHECK(bex_lds_build_com("0106", "040000", tags, 2, &b, err, sizeof err) == BEX_OK);
    CHECK(b.len == sizeof com_d4 && !memcmp(b.data, com_d4, b.len));
    bex_bytes_free(&b);
}

/* Part 10, Appendix A, A.2.1: DG1 of a TD1 (a Netherlands card): '61' '5D' '5F1F' '5A' and the
 * 90 characters, which the appendix prints with the composite check digit (the last of line
 * 2) 4; the digit its fields give is 8 (checked here). Both are tested: the printed one as a
 * DG1 that parses with a failed composite check. */
#define A21_L1 "I<NLDXI85935F86999999990<<<<<<"
#define A21_L2_HEAD "7208148F1108268NLD<<<<<<<<<<<"
#define A21_L3 "VAN<DER<STEEN<<MARIANNE<LOUISE"
static const uint8_t DOC9303_DG1_TD1[] = "\x61\x5D\x5F\x1F\x5A" A21_L1 A21_L2_HEAD "8" A21_L3;
static const uint8_t DOC9303_DG1_TD1_PRINTED[] = "\x61\x5D\x5F\x1F\x5A" A21_L1 A21_L2_HEAD "4" A21_L3;
/* DG1 of the Utopia TD3 specimen (Part 4 Appendix B; its MRZ is an image in the PDF, see
 * test_mrz.c) in Part 10's layout (4.7.1): 61 5B 5F 1F 58 and the 88 characters */
static const uint8_t DOC9303_DG1_TD3[] =
    "\x61\x5B\x5F\x1F\x58"
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C36UTO7408122F1204159ZE184226B<<<<<10";

TEST(doc9303_dg1) {
    bex_lds_dg1 d;
    char err[256];
    CHECK(bex_lds_parse_dg1(DOC9303_DG1_TD1, sizeof DOC9303_DG1_TD1 - 1, &d, err, sizeof err) == BEX_OK);
    CHECK(d.text_len == 90 && d.mrz.format == BEX_MRZ_TD1 && d.mrz.n_failed == 0);
    CHECK(!strcmp(d.mrz.doc_number, "XI85935F8") && !strcmp(d.mrz.issuing_state, "NLD"));
    CHECK(!strcmp(d.mrz.surname, "VAN DER STEEN") && !strcmp(d.mrz.given_names, "MARIANNE LOUISE"));
    CHECK(!strcmp(d.mrz.birth_date, "1972-08-14") && !strcmp(d.mrz.expiry_date, "2011-08-26"));
    CHECK(d.mrz.sex == 'F' && !strcmp(d.mrz.optional1, "999999990"));
    CHECK(bex_lds_parse_dg1(DOC9303_DG1_TD1_PRINTED, sizeof DOC9303_DG1_TD1_PRINTED - 1, &d, err,
                            sizeof err) == BEX_OK);
    CHECK(d.mrz.n_failed == 1 && !strcmp(d.mrz.failed[0], "composite"));

    CHECK(bex_lds_parse_dg1(DOC9303_DG1_TD3, sizeof DOC9303_DG1_TD3 - 1, &d, err, sizeof err) == BEX_OK);
    CHECK(d.mrz.format == BEX_MRZ_TD3 && d.mrz.n_failed == 0 && !strcmp(d.mrz.surname, "ERIKSSON"));
    CHECK(!memcmp(d.text, DOC9303_DG1_TD3 + 5, 88) && d.text[88] == 0);
    /* Part 10 A.2.2, the TD2 example, as printed: '61' '4B' '5F1F' '48' then 81 characters
     * (I<ATASMITH<<JOHN<T...<<<54) where 72 belong. The appendix is wrong here; the 9 bytes
     * past the 61 template are refused, not read into a made-up MRZ. */
    static const uint8_t a22[] = "\x61\x4B\x5F\x1F\x48"
                                 "I<ATASMITH<<JOHN<T<<<<<<<<<<<<<<<<<<<<<<<<<<123456789<HMD7406222M10123130121<<<54";
    CHECK(sizeof a22 - 1 == 5 + 81);
    CHECK(bex_lds_parse_dg1(a22, sizeof a22 - 1, &d, err, sizeof err) == BEX_ERR_CORRUPT);
    /* a TD2 card's DG1 (the Utopia specimen of Part 6 Appendix A): 72 characters */
    bex_bytes td2 = {0};
    CHECK(bex_lds_build_dg1("I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nD231458907UTO7408122F1204159<<<<<<<6",
                            &td2, err, sizeof err) == BEX_OK);
    CHECK(td2.len == 77 && td2.data[1] == 0x4B && td2.data[4] == 0x48);
    CHECK(bex_lds_parse_dg1(td2.data, td2.len, &d, err, sizeof err) == BEX_OK);
    CHECK(d.mrz.format == BEX_MRZ_TD2 && d.mrz.n_failed == 0 && d.text_len == 72);
    bex_bytes_free(&td2);
    /* the writer gives the same bytes, from the MRZ with or without its newlines */
    bex_bytes b = {0};
    CHECK(bex_lds_build_dg1(A21_L1 "\n" A21_L2_HEAD "8\n" A21_L3, &b, err, sizeof err) == BEX_OK);
    CHECK(b.len == sizeof DOC9303_DG1_TD1 - 1 && !memcmp(b.data, DOC9303_DG1_TD1, b.len));
    bex_bytes_free(&b);
}

/* Part 10, Appendix A, A.3: a DG2 with one face whose CBEFF header (tag A1) carries every
 * element Table 44 lists: 80 '0101', 81 '02', 83 '20020315133000', 85 '2002040120070331',
 * 86 '00010001' (4 bytes: Table 44 gives the PID length as '04'), 87 '0101', 88 '0008'. The
 * appendix's lengths do not add up as printed (A1 '26' over 40 bytes of elements, the outer
 * length printed '82319EC'); the elements are used as printed, the lengths are the writer's,
 * and the 12 642-byte data block the example leaves out is a fixture face record. */
TEST(doc9303_dg2_header) {
    char err[256];
    uint8_t *jpg;
    size_t jpg_len;
    jpg = slurp(TEST_DATA("image/gray.jpg"), &jpg_len);
    CHECK(jpg != NULL);
    if (!jpg) return;
    bex_bytes ref = {0};
    bex_lds_face_in face = {jpg, jpg_len, 0, 7, 5, 1};
    CHECK(bex_lds_build_dg2(&face, 1, &ref, err, sizeof err) == BEX_OK);
    /* the reference DG2's data block (5F2E), value only */
    const uint8_t *bdb = NULL;
    size_t bdb_len = 0;
    for (size_t i = 0; i + 1 < ref.len; i++)
        if (ref.data[i] == 0x5F && ref.data[i + 1] == 0x2E) {
            size_t pos = i;
            bex_tlv t;
            if (bex_tlv_next(ref.data, ref.len, &pos, &t, err, sizeof err) == BEX_OK && t.tag == 0x5F2E) {
                bdb = ref.data + t.val_off;
                bdb_len = t.len;
                break;
            }
        }
    CHECK(bdb != NULL && bdb_len > 4 && !memcmp(bdb, "FAC", 4));
    static const uint8_t a1[] = {0x80, 0x02, 0x01, 0x01, 0x81, 0x01, 0x02, 0x83, 0x07, 0x20,
                                 0x02, 0x03, 0x15, 0x13, 0x30, 0x00, 0x85, 0x08, 0x20, 0x02,
                                 0x04, 0x01, 0x20, 0x07, 0x03, 0x31, 0x86, 0x04, 0x00, 0x01,
                                 0x00, 0x01, 0x87, 0x02, 0x01, 0x01, 0x88, 0x02, 0x00, 0x08};
    CHECK(sizeof a1 == 0x28);
    bex_bytes b = {0};
    bex_tlv_open(&b, 0x75);
    bex_tlv_open(&b, 0x7F61);
    bex_tlv_put(&b, 0x02, "\x01", 1);
    bex_tlv_open(&b, 0x7F60);
    bex_tlv_put(&b, 0xA1, a1, sizeof a1);
    bex_tlv_put(&b, 0x5F2E, bdb, bdb_len);
    bex_tlv_close(&b);
    bex_tlv_close(&b);
    bex_tlv_close(&b);
    CHECK(bex_bytes_done(&b) == BEX_OK);
    bex_lds_dg2 d;
    CHECK(bex_lds_parse_dg2(b.data, b.len, &d, err, sizeof err) == BEX_OK);
    const bex_lds_cbeff *cb = &d.faces[0].cbeff;
    CHECK(d.n_faces == 1 && cb->version == 0x0101 && cb->bdb_type == 2);
    CHECK(!memcmp(cb->creation_date, a1 + 9, 7) && !memcmp(cb->validity, a1 + 18, 8));
    CHECK(cb->creator == 0x00010001 && cb->format_owner == 0x0101 && cb->format_type == 0x0008);
    /* a PID of another length than Table 44's '04' is refused */
    bex_bytes_free(&b);
    uint8_t a1_short[sizeof a1 - 2];
    memcpy(a1_short, a1, 26);
    a1_short[27] = 0x02;
    a1_short[26] = 0x86;
    memcpy(a1_short + 28, a1 + 30, sizeof a1 - 30);
    bex_tlv_open(&b, 0x75);
    bex_tlv_open(&b, 0x7F61);
    bex_tlv_put(&b, 0x02, "\x01", 1);
    bex_tlv_open(&b, 0x7F60);
    bex_tlv_put(&b, 0xA1, a1_short, sizeof a1_short);
    bex_tlv_put(&b, 0x5F2E, bdb, bdb_len);
    bex_tlv_close(&b);
    bex_tlv_close(&b);
    bex_tlv_close(&b);
    CHECK(bex_lds_parse_dg2(b.data, b.len, &d, err, sizeof err) == BEX_ERR_CORRUPT);
    CHECK(strstr(err, "CBEFF element 86 has 2 bytes") != NULL);
    bex_bytes_free(&b);
    bex_bytes_free(&ref);
    free(jpg);
}

/* Part 10, Appendix A, A.5: DG11 with the full name, place of birth, address, telephone and
 * profession. The appendix prints the telephone as 16125551212 (11 characters) under the
 * length '0E' (14); its prose gives the number as 1-612-555-1212, the 14 characters that make
 * the template's printed length '63' (99) add up, and that is what is used here. */
#define A5_HEAD "\x6B\x63\x5C\x0A\x5F\x0E\x5F\x11\x5F\x42\x5F\x12\x5F\x13"
#define A5_NAME "\x5F\x0E\x0D" "SMITH<<JOHN<J" "\x5F\x11\x0A" "ANYTOWN<MN" \
                "\x5F\x42\x17" "123 MAPLE RD<ANYTOWN<MN"
#define A5_TAIL "\x5F\x13\x0C" "TRAVEL<AGENT"
TEST(doc9303_dg11) {
    static const uint8_t dg11[] = A5_HEAD A5_NAME "\x5F\x12\x0E" "1-612-555-1212" A5_TAIL;
    char err[256];
    CHECK(sizeof dg11 - 1 == 2 + 0x63);
    bex_lds_details d;
    CHECK(bex_lds_parse_details(dg11, sizeof dg11 - 1, &d, err, sizeof err) == BEX_OK);
    CHECK(d.dg == 11 && d.n == 5);
    const bex_lds_field *f;
    CHECK((f = bex_lds_field_get(&d, 0x5F0E)) && !strcmp(f->text, "SMITH<<JOHN<J"));
    CHECK((f = bex_lds_field_get(&d, 0x5F11)) && !strcmp(f->text, "ANYTOWN<MN"));
    CHECK((f = bex_lds_field_get(&d, 0x5F42)) && !strcmp(f->text, "123 MAPLE RD<ANYTOWN<MN"));
    CHECK((f = bex_lds_field_get(&d, 0x5F12)) && !strcmp(f->text, "1-612-555-1212"));
    CHECK((f = bex_lds_field_get(&d, 0x5F13)) && !strcmp(f->text, "TRAVEL<AGENT"));
    bex_lds_details_free(&d);
    /* as printed (11 digits under '0E'): the lengths no longer fit, and it is refused */
    static const uint8_t printed[] = A5_HEAD A5_NAME "\x5F\x12\x0E" "16125551212" A5_TAIL;
    CHECK(bex_lds_parse_details(printed, sizeof printed - 1, &d, err, sizeof err) == BEX_ERR_CORRUPT);
}

/* ------------------------------------------------------------------ round trips */

TEST(chip_round_trip) {
    chip c;
    if (!build_chip(&c)) {
        CHECK(0);
        free_chip(&c);
        return;
    }
    char err[256], mrz[90];
    make_mrz(mrz);
    bex_lds_com com;
    CHECK(bex_lds_parse_com(c.com.data, c.com.len, &com, err, sizeof err) == BEX_OK);
    CHECK(com.n_tags == 5 && com.dg_mask == ((1u << 1) | (1u << 2) | (1u << 3) | (1u << 11) | (1u << 12)));

    bex_lds_dg1 d1;
    CHECK(bex_lds_parse_dg1(c.dg1.data, c.dg1.len, &d1, err, sizeof err) == BEX_OK);
    CHECK(d1.mrz.format == BEX_MRZ_TD3 && d1.mrz.n_failed == 0);
    CHECK(!strcmp(d1.mrz.surname, SURNAME) && !strcmp(d1.mrz.expiry_date, "2031-04-15"));
    CHECK(!memcmp(d1.text, mrz, 44) && !memcmp(d1.text + 44, mrz + 45, 44));

    bex_lds_dg2 d2;
    CHECK(bex_lds_parse_dg2(c.dg2.data, c.dg2.len, &d2, err, sizeof err) == BEX_OK);
    CHECK(d2.n_faces == 1);
    const bex_lds_face *f = &d2.faces[0];
    CHECK(f->cbeff.format_owner == 0x0101 && f->cbeff.format_type == 0x0008);
    CHECK(f->cbeff.bdb_type == 2 && f->cbeff.version == 0x0101);
    CHECK(f->image_data_type == 0 && f->width == 250 && f->height == 250 && f->face_image_type == 1);
    CHECK(f->image_len == c.jpeg_len && !memcmp(c.dg2.data + f->image_off, c.jpeg, c.jpeg_len));

    bex_lds_dg3 d3;
    CHECK(bex_lds_parse_dg3(c.dg3.data, c.dg3.len, &d3, err, sizeof err) == BEX_OK);
    CHECK(d3.n_fingers == 2);
    const bex_lds_finger *g = &d3.fingers[0];
    CHECK(g->cbeff.format_type == 0x0007 && g->cbeff.bdb_type == 8 && g->bit == 0);
    CHECK(g->compression == BEX_FINGER_UNCOMPRESSED && g->position == 2 && g->quality == 80);
    CHECK(g->width == FW && g->height == FH && g->bit_depth == 8 && g->scale_units == 1);
    CHECK(g->scan_res_h == 500 && g->image_res_v == 500 && g->view_count == 1 && g->view_number == 1);
    CHECK(g->image_len == sizeof c.finger && !memcmp(c.dg3.data + g->image_off, c.finger, sizeof c.finger));
    g = &d3.fingers[1];
    CHECK(g->bit == 1 && g->compression == BEX_FINGER_PNG && g->position == 7 && g->width == 7);
    bex_image img;
    CHECK(bex_image_decode(c.dg3.data + g->image_off, g->image_len, NULL, &img, err, sizeof err) == BEX_OK);
    CHECK(img.width == 7 && img.height == 5);
    bex_image_free(&img);

    bex_lds_details d11, d12;
    CHECK(bex_lds_parse_details(c.dg11.data, c.dg11.len, &d11, err, sizeof err) == BEX_OK);
    CHECK(d11.dg == 11 && d11.n == 8);
    const bex_lds_field *fl = bex_lds_field_get(&d11, 0x5F0E);
    CHECK(fl && !strcmp(fl->text, FULL_NAME) && !strcmp(fl->name, "full_name"));
    fl = bex_lds_field_get(&d11, 0x5F2B);
    CHECK(fl && !strcmp(fl->text, "19740812")); /* BCD read as digits */
    int others = 0;
    for (int i = 0; i < d11.n; i++)
        if (d11.f[i].tag == 0x5F0F) others++;
    CHECK(others == 2);
    fl = bex_lds_field_get(&d11, 0x5F42);
    CHECK(fl && !strcmp(fl->text, "1 Main Street<Utopia City<UTO"));
    bex_lds_details_free(&d11);
    CHECK(bex_lds_parse_details(c.dg12.data, c.dg12.len, &d12, err, sizeof err) == BEX_OK);
    CHECK(d12.dg == 12 && d12.n == 6);
    fl = bex_lds_field_get(&d12, 0x5F1D);
    CHECK(fl && !fl->text && fl->image_len == sizeof FRONT_IMAGE &&
          !memcmp(c.dg12.data + fl->image_off, FRONT_IMAGE, sizeof FRONT_IMAGE));
    fl = bex_lds_field_get(&d12, 0x5F55);
    CHECK(fl && !strcmp(fl->text, "20210415093000") && !strcmp(fl->name, "personalisation_time"));
    fl = bex_lds_field_get(&d12, 0x5F1A);
    CHECK(fl && !strcmp(fl->text, "Child Testperson"));
    bex_lds_details_free(&d12);

    size_t off, len;
    CHECK(bex_lds_parse_sod(c.sod.data, c.sod.len, &off, &len, err, sizeof err) == BEX_OK);
    CHECK(off == 2 && len == 8 && c.sod.data[off] == 0x30);
    free_chip(&c);
}

/* The DG2 photo decodes to exactly the fixture's pixels. */
TEST(dg2_face_decodes_to_fixture) {
    chip c;
    if (!build_chip(&c)) {
        CHECK(0);
        free_chip(&c);
        return;
    }
    char err[256];
    bex_lds_dg2 d2;
    bex_image a = {0}, b = {0};
    CHECK(bex_lds_parse_dg2(c.dg2.data, c.dg2.len, &d2, err, sizeof err) == BEX_OK);
    CHECK(bex_image_load(TEST_DATA("lfw/Aaron_Eckhart_0001.jpg"), NULL, &a, err, sizeof err) == BEX_OK);
    CHECK(bex_image_decode(c.dg2.data + d2.faces[0].image_off, d2.faces[0].image_len, NULL, &b,
                           err, sizeof err) == BEX_OK);
    CHECK(a.width == 250 && a.width == b.width && a.height == b.height && a.px && b.px &&
          !memcmp(a.px, b.px, (size_t)a.width * a.height * 3));
    bex_image_free(&a);
    bex_image_free(&b);
    free_chip(&c);
}

/* ------------------------------------------------------------------ hostile files */

/* Every proper prefix of every file fails, with a message naming the file, and never crashes
 * (the sanitizer build runs this too). */
TEST(every_truncation_fails_cleanly) {
    chip c;
    if (!build_chip(&c)) {
        CHECK(0);
        free_chip(&c);
        return;
    }
    struct { int which; bex_bytes *b; const char *name; } files[] = {
        {0, &c.com, "EF.COM"}, {1, &c.dg1, "DG1"},   {2, &c.dg2, "DG2"},    {3, &c.dg3, "DG3"},
        {11, &c.dg11, "DG11"}, {12, &c.dg12, "DG12"}, {17, &c.sod, "EF.SOD"},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        const bex_bytes *b = files[i].b;
        char err[256];
        CHECK(parse_any(files[i].which, b->data, b->len, err, sizeof err) == BEX_OK);
        int bad = 0;
        for (size_t n = 0; n < b->len; n++) {
            /* an exact-size copy, so the sanitizer sees a read past the prefix */
            uint8_t *p = malloc(n ? n : 1);
            memcpy(p, b->data, n);
            err[0] = 0;
            int rc = parse_any(files[i].which, p, n, err, sizeof err);
            int named = strncmp(err, files[i].name, strlen(files[i].name)) == 0 ||
                        (n == 0 && strncmp(err, "DG11/DG12", 9) == 0); /* no tag to tell */
            if (rc == BEX_OK || err[0] == 0 || !named) {
                if (!bad++) printf("  %s cut at %zu: rc %d, \"%s\"\n", files[i].name, n, rc, err);
            }
            free(p);
        }
        CHECK(bad == 0);
        /* cut inside, every enclosing length fixed up: a shorter text or tag list is still a
         * valid DG11 or EF.COM, but an MRZ, a face or a finger record never is */
        int fails = 0, named = 0;
        for (size_t n = 1; n < b->len; n++) {
            uint8_t *p = malloc(n);
            cut_consistent(b->data, b->len, n, p);
            err[0] = 0;
            int rc = parse_any(files[i].which, p, n, err, sizeof err);
            if (rc != BEX_OK) {
                fails++;
                named += strncmp(err, files[i].name, strlen(files[i].name)) == 0;
            }
            free(p);
        }
        CHECK(named == fails);
        if (files[i].which >= 1 && files[i].which <= 3)
            if (fails != (int)b->len - 1) {
                printf("  %s: %d of %zu inner cuts failed\n", files[i].name, fails, b->len - 1);
                CHECK(0);
            }
    }
    /* the message says where */
    char err[256];
    bex_lds_dg2 d2;
    CHECK(bex_lds_parse_dg2(c.dg2.data, c.dg2.len - 1, &d2, err, sizeof err) == BEX_ERR_CORRUPT);
    CHECK(strstr(err, "DG2: truncated at byte") != NULL);
    free_chip(&c);
}

TEST(oversized_lengths_and_trailing_bytes) {
    chip c;
    if (!build_chip(&c)) {
        CHECK(0);
        free_chip(&c);
        return;
    }
    char err[256];
    bex_lds_dg1 d1;
    /* DG1's outer length raised by one: more than the file holds */
    uint8_t *p = malloc(c.dg1.len + 1);
    memcpy(p, c.dg1.data, c.dg1.len);
    p[1]++;
    CHECK(bex_lds_parse_dg1(p, c.dg1.len, &d1, err, sizeof err) == BEX_ERR_CORRUPT);
    CHECK(strstr(err, "DG1: truncated") != NULL);
    /* a byte after the outer TLV */
    memcpy(p, c.dg1.data, c.dg1.len);
    p[c.dg1.len] = 0;
    CHECK(bex_lds_parse_dg1(p, c.dg1.len + 1, &d1, err, sizeof err) == BEX_ERR_CORRUPT);
    CHECK(strstr(err, "1 bytes after the end") != NULL);
    free(p);
    /* a 4-byte length field in DG2: over the reader's limit */
    static const uint8_t huge[] = {0x75, 0x84, 0x7F, 0xFF, 0xFF, 0xFF, 0x00};
    bex_lds_dg2 d2;
    CHECK(bex_lds_parse_dg2(huge, sizeof huge, &d2, err, sizeof err) == BEX_ERR_LIMIT);
    /* the face record's own length disagreeing with its data block */
    p = malloc(c.dg2.len);
    memcpy(p, c.dg2.data, c.dg2.len);
    CHECK(bex_lds_parse_dg2(p, c.dg2.len, &d2, err, sizeof err) == BEX_OK);
    size_t rec = d2.faces[0].image_off - 46; /* 'FAC' */
    CHECK(!memcmp(p + rec, "FAC", 4));
    p[rec + 11]++;
    CHECK(bex_lds_parse_dg2(p, c.dg2.len, &d2, err, sizeof err) == BEX_ERR_CORRUPT);
    CHECK(strstr(err, "record's length says") != NULL);
    p[rec + 11]--;
    /* facial record data length past the block */
    p[rec + 14] = 0x7F;
    CHECK(bex_lds_parse_dg2(p, c.dg2.len, &d2, err, sizeof err) == BEX_ERR_CORRUPT);
    CHECK(strstr(err, "facial record data length") != NULL);
    p[rec + 14] = 0;
    /* version 030 (the 2011 edition) */
    p[rec + 5] = '3';
    CHECK(bex_lds_parse_dg2(p, c.dg2.len, &d2, err, sizeof err) == BEX_ERR_UNSUPPORTED);
    p[rec + 5] = '1';
    /* declared JPEG 2000 but holding a JPEG */
    p[rec + 14 + 21] = 1;
    CHECK(bex_lds_parse_dg2(p, c.dg2.len, &d2, err, sizeof err) == BEX_ERR_CORRUPT);
    CHECK(strstr(err, "declared JPEG 2000") != NULL);
    p[rec + 14 + 21] = 0;
    CHECK(bex_lds_parse_dg2(p, c.dg2.len, &d2, err, sizeof err) == BEX_OK);
    free(p);

    /* DG3: an uncompressed view whose size disagrees with its lines */
    bex_lds_dg3 d3;
    p = malloc(c.dg3.len);
    memcpy(p, c.dg3.data, c.dg3.len);
    CHECK(bex_lds_parse_dg3(p, c.dg3.len, &d3, err, sizeof err) == BEX_OK);
    size_t view = d3.fingers[0].image_off - 14;
    p[view + 10]++; /* horizontal line length */
    CHECK(bex_lds_parse_dg3(p, c.dg3.len, &d3, err, sizeof err) == BEX_ERR_CORRUPT);
    CHECK(strstr(err, "px at 8 bits need") != NULL);
    p[view + 10]--;
    p[view + 4] = 13; /* finger position past 10 */
    CHECK(bex_lds_parse_dg3(p, c.dg3.len, &d3, err, sizeof err) == BEX_ERR_UNSUPPORTED);
    p[view + 4] = 2;
    p[view - 32 + 29] = 9; /* compression algorithm */
    CHECK(bex_lds_parse_dg3(p, c.dg3.len, &d3, err, sizeof err) == BEX_ERR_CORRUPT);
    free(p);
    free_chip(&c);
}

TEST(wrong_tags) {
    chip c;
    if (!build_chip(&c)) {
        CHECK(0);
        free_chip(&c);
        return;
    }
    char err[256];
    bex_lds_dg2 d2;
    bex_lds_com com;
    CHECK(bex_lds_parse_dg2(c.dg1.data, c.dg1.len, &d2, err, sizeof err) == BEX_ERR_CORRUPT);
    CHECK(!strcmp(err, "DG2: byte 0: tag 61 where 75 was expected"));
    CHECK(bex_lds_parse_com(c.dg2.data, c.dg2.len, &com, err, sizeof err) == BEX_ERR_CORRUPT);
    /* a BIT group without its count */
    bex_bytes b = {0};
    bex_tlv_open(&b, 0x75);
    bex_tlv_open(&b, 0x7F61);
    bex_tlv_open(&b, 0x7F60);
    bex_tlv_close(&b);
    bex_tlv_close(&b);
    bex_tlv_close(&b);
    CHECK(bex_lds_parse_dg2(b.data, b.len, &d2, err, sizeof err) == BEX_ERR_CORRUPT);
    CHECK(strstr(err, "tag 7F60 where 02 was expected") != NULL);
    bex_bytes_free(&b);
    /* a CBEFF header without its format type (88); a count larger than the BITs */
    uint8_t *p = malloc(c.dg2.len);
    memcpy(p, c.dg2.data, c.dg2.len);
    uint8_t *h88 = NULL;
    for (size_t i = 0; i + 2 < 64; i++)
        if (p[i] == 0x88 && p[i + 1] == 0x02) { h88 = p + i; break; }
    CHECK(h88 != NULL);
    if (h88) {
        *h88 = 0x89;
        CHECK(bex_lds_parse_dg2(p, c.dg2.len, &d2, err, sizeof err) == BEX_ERR_CORRUPT);
        CHECK(strstr(err, "format type (88)") != NULL);
        *h88 = 0x88;
    }
    uint8_t *cnt = NULL;
    for (size_t i = 0; i + 3 < 16; i++)
        if (p[i] == 0x02 && p[i + 1] == 0x01 && p[i + 2] == 0x01) { cnt = p + i + 2; break; }
    CHECK(cnt != NULL);
    if (cnt) {
        *cnt = 2;
        CHECK(bex_lds_parse_dg2(p, c.dg2.len, &d2, err, sizeof err) == BEX_ERR_CORRUPT);
        CHECK(strstr(err, "7F60 was expected") != NULL);
    }
    free(p);
    /* EF.COM listing a byte that is no data group */
    uint8_t com_bad[sizeof DOC9303_COM];
    memcpy(com_bad, DOC9303_COM, sizeof com_bad);
    com_bad[sizeof com_bad - 1] = 0x77;
    CHECK(bex_lds_parse_com(com_bad, sizeof com_bad, &com, err, sizeof err) == BEX_ERR_CORRUPT);
    /* EF.SOD holding something other than a SEQUENCE */
    static const uint8_t sod_bad[] = {0x77, 0x03, 0x04, 0x01, 0x00};
    size_t o, l;
    CHECK(bex_lds_parse_sod(sod_bad, sizeof sod_bad, &o, &l, err, sizeof err) == BEX_ERR_CORRUPT);
    free_chip(&c);
}

/* ISO/IEC 39794-5 (DER, the successor of 19794-5) is recognised and refused plainly. */
TEST(iso39794_is_refused_clearly) {
    char err[256];
    bex_bytes b = {0};
    static const uint8_t der[] = {0xA1, 0x03, 0x80, 0x01, 0x03};
    bex_tlv_open(&b, 0x75);
    bex_tlv_open(&b, 0x7F61);
    bex_tlv_put(&b, 0x02, "\x01", 1);
    bex_tlv_open(&b, 0x7F60);
    bex_tlv_open(&b, 0xA1);
    bex_tlv_put(&b, 0x87, "\x01\x01", 2);
    bex_tlv_put(&b, 0x88, "\x00\x08", 2);
    bex_tlv_close(&b);
    bex_tlv_open(&b, 0x7F2E);
    bex_bytes_put(&b, der, sizeof der);
    bex_tlv_close(&b);
    bex_tlv_close(&b);
    bex_tlv_close(&b);
    bex_tlv_close(&b);
    CHECK(bex_bytes_done(&b) == BEX_OK);
    bex_lds_dg2 d2;
    CHECK(bex_lds_parse_dg2(b.data, b.len, &d2, err, sizeof err) == BEX_ERR_UNSUPPORTED);
    CHECK(strstr(err, "ISO/IEC 39794-5") != NULL);
    bex_bytes_free(&b);
}

TEST(text_is_checked) {
    char err[256];
    bex_lds_details d;
    static const char *bad[] = {
        "Anna\nMaria",        /* control character */
        "Anna\x7F",           /* DEL */
        "Anna \xC2\x85",      /* C1 control (NEL) */
        "Anna \xC3",          /* cut-off sequence */
        "Anna \xC0\xAF",      /* overlong '/' */
        "Anna \xED\xA0\x80",  /* a surrogate */
        "Anna \xF4\x90\x80\x80", /* past U+10FFFF */
        "Anna \xFF",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bex_bytes b = {0};
        bex_lds_field_in f = {0x5F0E, bad[i], NULL, 0};
        CHECK(bex_lds_build_details(11, &f, 1, &b, err, sizeof err) == BEX_OK);
        err[0] = 0;
        int rc = bex_lds_parse_details(b.data, b.len, &d, err, sizeof err);
        CHECK(rc == BEX_ERR_CORRUPT);
        CHECK(strstr(err, "DG11: byte") != NULL && strstr(err, "full_name (tag 5F0E)") != NULL);
        CHECK(strstr(err, "Anna") == NULL); /* never the content */
        bex_bytes_free(&b);
    }
    /* a date that is neither 8 digits nor BCD */
    bex_bytes b = {0};
    bex_lds_field_in f = {0x5F26, "2021-04-15", NULL, 0};
    CHECK(bex_lds_build_details(12, &f, 1, &b, err, sizeof err) == BEX_OK);
    CHECK(bex_lds_parse_details(b.data, b.len, &d, err, sizeof err) == BEX_ERR_CORRUPT);
    CHECK(strstr(err, "DG12:") == err && strstr(err, "date_of_issue") != NULL);
    bex_bytes_free(&b);
    /* the same element twice */
    bex_lds_field_in two[] = {{0x5F10, "1", NULL, 0}, {0x5F10, "2", NULL, 0}};
    CHECK(bex_lds_build_details(11, two, 2, &b, err, sizeof err) == BEX_OK);
    CHECK(bex_lds_parse_details(b.data, b.len, &d, err, sizeof err) == BEX_ERR_CORRUPT);
    CHECK(strstr(err, "appears twice") != NULL);
    bex_bytes_free(&b);
}

/* DG1's MRZ errors never quote the MRZ. */
TEST(dg1_messages_hold_no_personal_data) {
    char mrz[90], err[256];
    make_mrz(mrz);
    mrz[45 + 13] = 'X'; /* birth date no longer digits */
    bex_bytes b = {0};
    CHECK(bex_lds_build_dg1(mrz, &b, err, sizeof err) == BEX_OK);
    bex_lds_dg1 d;
    CHECK(bex_lds_parse_dg1(b.data, b.len, &d, err, sizeof err) == BEX_ERR_CORRUPT);
    CHECK(strstr(err, "DG1: the MRZ") == err && strstr(err, "X40812") == NULL &&
          strstr(err, SURNAME) == NULL);
    bex_bytes_free(&b);
    /* lowercase in the MRZ */
    static const uint8_t low[] = "\x61\x5B\x5F\x1F\x58"
        "P<UTOeRIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C36UTO7408122F1204159ZE184226B<<<<<10";
    CHECK(bex_lds_parse_dg1(low, sizeof low - 1, &d, err, sizeof err) == BEX_ERR_CORRUPT);
    CHECK(strstr(err, "byte 10:") != NULL);
}

TEST(allocation_failures_are_clean) {
    chip c;
    if (!build_chip(&c)) {
        CHECK(0);
        free_chip(&c);
        return;
    }
    char err[256];
    bex_lds_details d;
    int failed = 0;
    for (long k = 1; k <= 12; k++) {
        bex__alloc_fail_after(k);
        int rc = bex_lds_parse_details(c.dg11.data, c.dg11.len, &d, err, sizeof err);
        bex__alloc_fail_after(0);
        if (rc == BEX_ERR_NOMEM) failed++;
        else if (rc == BEX_OK) bex_lds_details_free(&d);
        else CHECK(0);
    }
    CHECK(failed == 8); /* one allocation per text element */
    free_chip(&c);
}

/* ------------------------------------------------------------------ a chip's directory */

static char *make_dir(char *tmpl) {
    return mkdtemp(tmpl);
}

static void rm_dir(const char *dir) {
    static const char *names[] = {"EF_COM.bin", "dg1.BIN", "DG1.bin", "Dg2.der", "DG3.bin",
                                  "DG11.bin", "DG12.bin", "EF_SOD.bin", "DG14.bin",
                                  "README.txt", "DG2.bin", "dg1.der"};
    char path[512];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

TEST(read_dir) {
    chip c;
    if (!build_chip(&c)) {
        CHECK(0);
        free_chip(&c);
        return;
    }
    char tmpl[] = "/tmp/bex-lds-XXXXXX";
    char *dir = make_dir(tmpl);
    CHECK(dir != NULL);
    if (!dir) {
        free_chip(&c);
        return;
    }
    spit(dir, "EF_COM.bin", c.com.data, c.com.len);
    spit(dir, "dg1.BIN", c.dg1.data, c.dg1.len);
    spit(dir, "Dg2.der", c.dg2.data, c.dg2.len);
    spit(dir, "DG3.bin", c.dg3.data, c.dg3.len);
    spit(dir, "DG11.bin", c.dg11.data, c.dg11.len);
    spit(dir, "DG12.bin", c.dg12.data, c.dg12.len);
    spit(dir, "EF_SOD.bin", c.sod.data, c.sod.len);
    static const uint8_t dg14[] = {0x6E, 0x02, 0x31, 0x00};
    spit(dir, "DG14.bin", dg14, sizeof dg14); /* present, not listed in EF.COM */
    spit(dir, "README.txt", (const uint8_t *)"x", 1);
    char err[256];
    bex_lds l;
    CHECK(bex_lds_read_dir(dir, &l, err, sizeof err) == BEX_OK);
    CHECK(l.has_com && l.has_dg2 && l.has_dg3 && l.has_dg11 && l.has_dg12 && l.has_sod);
    CHECK(l.present == ((1u << 1) | (1u << 2) | (1u << 3) | (1u << 11) | (1u << 12) | (1u << 14)));
    CHECK(l.unlisted == (1u << 14) && l.missing == 0);
    CHECK(!strcmp(l.dg1.mrz.surname, SURNAME) && l.dg2.n_faces == 1 && l.dg3.n_fingers == 2);
    CHECK(l.file_len[2] == c.dg2.len && !memcmp(l.file[2], c.dg2.data, c.dg2.len));
    CHECK(l.file_len[14] == sizeof dg14);
    CHECK(l.sod_cms_len == 8 && l.file[BEX_LDS_SOD][l.sod_cms_off] == 0x30);
    CHECK(bex_lds_field_get(&l.dg11, 0x5F0E) != NULL);
    bex_lds_free(&l);

    /* a DG14 that is not one: tag 6F (DG15) */
    static const uint8_t not14[] = {0x6F, 0x02, 0x31, 0x00};
    spit(dir, "DG14.bin", not14, sizeof not14);
    CHECK(bex_lds_read_dir(dir, &l, err, sizeof err) == BEX_ERR_CORRUPT);
    CHECK(!strcmp(err, "DG14.bin: byte 0: tag 6F where 6E was expected"));
    spit(dir, "DG14.bin", dg14, sizeof dg14);
    /* a damaged DG2: the message names the file as saved */
    c.dg2.data[c.dg2.len - 1] ^= 0xFF;
    spit(dir, "Dg2.der", c.dg2.data, c.dg2.len - 3);
    CHECK(bex_lds_read_dir(dir, &l, err, sizeof err) == BEX_ERR_CORRUPT);
    CHECK(strncmp(err, "Dg2.der: truncated at byte", 26) == 0);
    /* two files for DG2 */
    spit(dir, "DG2.bin", c.dg2.data, c.dg2.len);
    CHECK(bex_lds_read_dir(dir, &l, err, sizeof err) == BEX_ERR_FORMAT);
    CHECK(strstr(err, "two files") != NULL);
    char path[512];
    snprintf(path, sizeof path, "%s/Dg2.der", dir);
    unlink(path);
    /* a DG2 over its cap is not even read */
    {
        snprintf(path, sizeof path, "%s/DG2.bin", dir);
        int fd = open(path, O_WRONLY | O_TRUNC);
        CHECK(fd >= 0 && ftruncate(fd, (off_t)BEX_LDS_MAX_DG2_BYTES + 1) == 0);
        if (fd >= 0) close(fd);
        CHECK(bex_lds_read_dir(dir, &l, err, sizeof err) == BEX_ERR_LIMIT);
        CHECK(strstr(err, "DG2.bin: 1048577 bytes, over the limit") == err);
        unlink(path);
    }
    /* without DG2 it reads, and EF.COM's DG2 is missing */
    CHECK(bex_lds_read_dir(dir, &l, err, sizeof err) == BEX_OK);
    CHECK(!l.has_dg2 && l.missing == (1u << 2));
    bex_lds_free(&l);
    /* no DG1: not a chip */
    snprintf(path, sizeof path, "%s/dg1.BIN", dir);
    unlink(path);
    CHECK(bex_lds_read_dir(dir, &l, err, sizeof err) == BEX_ERR_FORMAT);
    CHECK(strstr(err, "no DG1") != NULL);
    rm_dir(dir);
    CHECK(bex_lds_read_dir("/nonexistent/bex-chip", &l, err, sizeof err) == BEX_ERR_IO);
    free_chip(&c);
}

/* BEX_LDS_CORPUS=dir: writes the fuzz target's seeds (tests/fuzz/corpus/lds): a small chip
 * (the face a 412-byte fixture JPEG, so libFuzzer's mutations reach the headers), the Doc 9303
 * examples and hostile variants. */
static int write_corpus(const char *dir) {
    chip c;
    if (!build_chip(&c)) return 1;
    char err[256];
    uint8_t *jpg;
    size_t jpg_len;
    jpg = slurp(TEST_DATA("image/gray.jpg"), &jpg_len);
    if (!jpg) return 1;
    bex_bytes dg2 = {0};
    bex_lds_face_in face = {jpg, jpg_len, 0, 7, 5, 1};
    if (bex_lds_build_dg2(&face, 1, &dg2, err, sizeof err) != BEX_OK) return 1;
    /* DG3: only the PNG view (the uncompressed one is 5 KB) */
    bex_bytes dg3 = {0};
    bex_lds_finger_in fg = {c.png, c.png_len, BEX_FINGER_PNG, 7, 7, 5, 500, 8, 60};
    if (bex_lds_build_dg3(&fg, 1, &dg3, err, sizeof err) != BEX_OK) return 1;
    spit(dir, "ef_com", c.com.data, c.com.len);
    spit(dir, "dg1", c.dg1.data, c.dg1.len);
    spit(dir, "dg2", dg2.data, dg2.len);
    spit(dir, "dg2-cut", dg2.data, dg2.len / 2);
    spit(dir, "dg3", dg3.data, dg3.len);
    spit(dir, "dg11", c.dg11.data, c.dg11.len);
    spit(dir, "dg12", c.dg12.data, c.dg12.len);
    spit(dir, "ef_sod", c.sod.data, c.sod.len);
    spit(dir, "doc9303-ef_com", DOC9303_COM, sizeof DOC9303_COM);
    spit(dir, "doc9303-dg1-td1", DOC9303_DG1_TD1, sizeof DOC9303_DG1_TD1 - 1);
    spit(dir, "doc9303-dg1-td3", DOC9303_DG1_TD3, sizeof DOC9303_DG1_TD3 - 1);
    bex_bytes b = {0};
    deep(&b, 0x6B, 40);
    spit(dir, "dg11-deep", b.data, b.len);
    bex_bytes_free(&b);
    static const uint8_t huge[] = {0x75, 0x84, 0x7F, 0xFF, 0xFF, 0xFF, 0x00};
    spit(dir, "dg2-huge-length", huge, sizeof huge);
    bex_bytes_free(&dg2);
    bex_bytes_free(&dg3);
    free(jpg);
    free_chip(&c);
    return 0;
}

int main(void) {
    const char *corpus = getenv("BEX_LDS_CORPUS");
    if (corpus) return write_corpus(corpus);
    RUN(tlv_reads_tags_and_lengths);
    RUN(tlv_refuses_what_it_must);
    RUN(deep_nesting_is_refused);
    RUN(doc9303_ef_com);
    RUN(doc9303_dg1);
    RUN(doc9303_dg2_header);
    RUN(doc9303_dg11);
    RUN(chip_round_trip);
    RUN(dg2_face_decodes_to_fixture);
    RUN(every_truncation_fails_cleanly);
    RUN(oversized_lengths_and_trailing_bytes);
    RUN(wrong_tags);
    RUN(iso39794_is_refused_clearly);
    RUN(text_is_checked);
    RUN(dg1_messages_hold_no_personal_data);
    RUN(allocation_failures_are_clean);
    RUN(read_dir);
    return test_summary();
}
