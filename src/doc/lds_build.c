/*
 * lds_build.c - writing the chip's files (include/bex/lds.h) with the TLV writer of tlv.c:
 * EF.COM, DG1 from an MRZ, DG2 around face images (ISO/IEC 19794-5:2005 records), DG3 around
 * finger images (19794-4:2005), DG11 / DG12 from text elements, EF.SOD around a CMS. Tests,
 * simulations and the border's chip fixtures build their chips with these; what they write is
 * what lds.c reads.
 */
#include <string.h>

#include "bex/lds.h"
#include "util/util.h"

static void be(uint8_t *p, uint64_t v, int n) {
    for (int i = n - 1; i >= 0; i--, v >>= 8) p[i] = (uint8_t)v;
}

static int finish(bex_bytes *out, const char *what, char *err, size_t errlen) {
    int rc = bex_bytes_done(out);
    if (rc != BEX_OK) return bex__fail(err, errlen, rc, "%s: %s", what, bex_strerror(rc));
    return BEX_OK;
}

int bex_lds_build_com(const char *lds_version, const char *unicode_version, const uint8_t *tags,
                      int n_tags, bex_bytes *out, char *err, size_t errlen) {
    if (!lds_version || !unicode_version || !out || (n_tags && !tags))
        return bex__fail(err, errlen, BEX_ERR_ARG, "EF.COM: NULL argument");
    if (strlen(lds_version) != 4 || strlen(unicode_version) != 6 || n_tags < 0 || n_tags > 16)
        return bex__fail(err, errlen, BEX_ERR_ARG,
                         "EF.COM: versions are 4 and 6 digits, at most 16 tags");
    bex_tlv_open(out, 0x60);
    bex_tlv_put(out, 0x5F01, lds_version, 4);
    bex_tlv_put(out, 0x5F36, unicode_version, 6);
    bex_tlv_put(out, 0x5C, tags, (size_t)n_tags);
    bex_tlv_close(out);
    return finish(out, "EF.COM", err, errlen);
}

int bex_lds_build_dg1(const char *mrz, bex_bytes *out, char *err, size_t errlen) {
    if (!mrz || !out) return bex__fail(err, errlen, BEX_ERR_ARG, "DG1: NULL argument");
    char flat[96];
    size_t n = 0;
    for (const char *p = mrz; *p; p++) {
        if (*p == '\n' || *p == '\r') continue;
        if (n >= 90) return bex__fail(err, errlen, BEX_ERR_ARG, "DG1: MRZ longer than 90 characters");
        flat[n++] = *p;
    }
    if (n != 88 && n != 72 && n != 90)
        return bex__fail(err, errlen, BEX_ERR_ARG, "DG1: an MRZ has 88, 72 or 90 characters, not %zu", n);
    bex_tlv_open(out, 0x61);
    bex_tlv_put(out, 0x5F1F, flat, n);
    bex_tlv_close(out);
    return finish(out, "DG1", err, errlen);
}

/* A BIT: { A1 { 80 version, 81 type, 87 owner, 88 format }, 5F2E record }. The record is
 * written after the header, so it is built in place and the lengths closed around it. */
static void open_bit(bex_bytes *out, uint8_t bdb_type, uint16_t format_type) {
    uint8_t v2[2];
    bex_tlv_open(out, 0x7F60);
    bex_tlv_open(out, 0xA1);
    be(v2, 0x0101, 2);
    bex_tlv_put(out, 0x80, v2, 2); /* patron header version 1.1 */
    bex_tlv_put(out, 0x81, &bdb_type, 1);
    be(v2, 0x0101, 2);
    bex_tlv_put(out, 0x87, v2, 2); /* format owner: ISO/IEC JTC 1/SC 37 */
    be(v2, format_type, 2);
    bex_tlv_put(out, 0x88, v2, 2);
    bex_tlv_close(out);
}

int bex_lds_build_dg2(const bex_lds_face_in *faces, int n, bex_bytes *out, char *err,
                      size_t errlen) {
    if (!faces || !out || n < 1 || n > BEX_LDS_MAX_FACES)
        return bex__fail(err, errlen, BEX_ERR_ARG, "DG2: 1 to %d faces", BEX_LDS_MAX_FACES);
    for (int i = 0; i < n; i++)
        if (!faces[i].image || faces[i].image_len == 0 ||
            faces[i].image_len > BEX_LDS_MAX_DG2_BYTES || faces[i].width < 0 ||
            faces[i].width > 0xFFFF || faces[i].height < 0 || faces[i].height > 0xFFFF)
            return bex__fail(err, errlen, BEX_ERR_ARG, "DG2: face %d: no image, or out of range", i + 1);
    uint8_t cnt = (uint8_t)n;
    bex_tlv_open(out, 0x75);
    bex_tlv_open(out, 0x7F61);
    bex_tlv_put(out, 0x02, &cnt, 1);
    for (int i = 0; i < n; i++) {
        const bex_lds_face_in *f = &faces[i];
        open_bit(out, 0x02, 0x0008);
        size_t block = 20 + 12 + f->image_len, rec = 14 + block;
        uint8_t h[14 + 32];
        memcpy(h, "FAC\0" "010\0", 8);
        be(h + 8, rec, 4);
        be(h + 12, 1, 2);
        uint8_t *fi = h + 14;
        memset(fi, 0, 32);
        be(fi, block, 4);          /* facial record data length */
        /* feature points 0, gender/eyes/hair unspecified, mask, expression, pose: 0 */
        fi[20] = (uint8_t)f->face_image_type;
        fi[21] = (uint8_t)f->image_data_type;
        be(fi + 22, (uint64_t)f->width, 2);
        be(fi + 24, (uint64_t)f->height, 2);
        fi[26] = 1;                /* colour space: 24-bit RGB */
        fi[27] = 2;                /* source type: digital still camera */
        bex_tlv_open(out, 0x5F2E);
        bex_bytes_put(out, h, sizeof h);
        bex_bytes_put(out, f->image, f->image_len);
        bex_tlv_close(out);
        bex_tlv_close(out); /* 7F60 */
    }
    bex_tlv_close(out);
    bex_tlv_close(out);
    return finish(out, "DG2", err, errlen);
}

int bex_lds_build_dg3(const bex_lds_finger_in *fingers, int n, bex_bytes *out, char *err,
                      size_t errlen) {
    if (!fingers || !out || n < 1 || n > BEX_LDS_MAX_FINGERS)
        return bex__fail(err, errlen, BEX_ERR_ARG, "DG3: 1 to %d fingers", BEX_LDS_MAX_FINGERS);
    for (int i = 0; i < n; i++) {
        const bex_lds_finger_in *f = &fingers[i];
        if (!f->image || f->image_len == 0 || f->image_len > BEX_LDS_MAX_DG3_BYTES ||
            f->position < 0 || f->position > 10 || f->compression < 0 || f->compression > 5 ||
            f->width < 0 || f->width > 0xFFFF || f->height < 0 || f->height > 0xFFFF ||
            f->bit_depth < 1 || f->bit_depth > 16 || f->quality < 0 || f->quality > 100 ||
            f->resolution_ppi < 0 || f->resolution_ppi > 0xFFFF)
            return bex__fail(err, errlen, BEX_ERR_ARG, "DG3: finger %d: out of range", i + 1);
    }
    uint8_t cnt = (uint8_t)n;
    bex_tlv_open(out, 0x63);
    bex_tlv_open(out, 0x7F61);
    bex_tlv_put(out, 0x02, &cnt, 1);
    for (int i = 0; i < n; i++) {
        const bex_lds_finger_in *f = &fingers[i];
        open_bit(out, 0x08, 0x0007);
        size_t block = 14 + f->image_len, rec = 32 + block;
        uint8_t h[32 + 14];
        memset(h, 0, sizeof h);
        memcpy(h, "FIR\0" "010\0", 8);
        be(h + 8, rec, 6);
        /* capture device 0 (unreported) at 14, acquisition level 31 (500 ppi) */
        be(h + 16, 31, 2);
        h[18] = 1;                  /* one finger */
        h[19] = 1;                  /* scale units: pixels per inch */
        be(h + 20, (uint64_t)f->resolution_ppi, 2);
        be(h + 22, (uint64_t)f->resolution_ppi, 2);
        be(h + 24, (uint64_t)f->resolution_ppi, 2);
        be(h + 26, (uint64_t)f->resolution_ppi, 2);
        h[28] = (uint8_t)f->bit_depth;
        h[29] = (uint8_t)f->compression;
        uint8_t *v = h + 32;
        be(v, block, 4);
        v[4] = (uint8_t)f->position;
        v[5] = 1;                   /* count of views */
        v[6] = 1;                   /* view number */
        v[7] = (uint8_t)f->quality;
        v[8] = 0;                   /* impression: live-scan plain */
        be(v + 9, (uint64_t)f->width, 2);
        be(v + 11, (uint64_t)f->height, 2);
        bex_tlv_open(out, 0x5F2E);
        bex_bytes_put(out, h, sizeof h);
        bex_bytes_put(out, f->image, f->image_len);
        bex_tlv_close(out);
        bex_tlv_close(out);
    }
    bex_tlv_close(out);
    bex_tlv_close(out);
    return finish(out, "DG3", err, errlen);
}

int bex_lds_build_details(int dg, const bex_lds_field_in *fields, int n, bex_bytes *out,
                          char *err, size_t errlen) {
    if ((dg != 11 && dg != 12) || !out || n < 0 || (n && !fields) || n > BEX_LDS_MAX_FIELDS)
        return bex__fail(err, errlen, BEX_ERR_ARG, "DG%d: dg 11 or 12, at most %d fields", dg,
                         BEX_LDS_MAX_FIELDS);
    uint32_t repeated = dg == 11 ? 0x5F0F : 0x5F1A;
    /* the tag list: each distinct tag once, in order, two bytes each */
    uint8_t list[2 * BEX_LDS_MAX_FIELDS];
    size_t nl = 0;
    int n_rep = 0;
    for (int i = 0; i < n; i++) {
        uint32_t tag = fields[i].tag;
        if (tag < 0x5F00 || tag > 0x5FFF || (!fields[i].text && !fields[i].bytes))
            return bex__fail(err, errlen, BEX_ERR_ARG, "DG%d: field %d: a 5Fxx tag and a value", dg, i + 1);
        if (tag == repeated) n_rep++;
        int dup = 0;
        for (size_t j = 0; j < nl; j += 2)
            if (list[j] == (uint8_t)(tag >> 8) && list[j + 1] == (uint8_t)tag) dup = 1;
        if (!dup) list[nl++] = (uint8_t)(tag >> 8), list[nl++] = (uint8_t)tag;
    }
    if (n_rep > 255) return bex__fail(err, errlen, BEX_ERR_ARG, "DG%d: too many repeated names", dg);
    bex_tlv_open(out, dg == 11 ? 0x6B : 0x6C);
    bex_tlv_put(out, 0x5C, list, nl);
    int rep_done = 0;
    for (int i = 0; i < n; i++) {
        const bex_lds_field_in *f = &fields[i];
        if (f->tag == repeated) {
            if (rep_done) continue;
            rep_done = 1;
            uint8_t c = (uint8_t)n_rep;
            bex_tlv_open(out, 0xA0);
            bex_tlv_put(out, 0x02, &c, 1);
            for (int j = i; j < n; j++) {
                if (fields[j].tag != repeated) continue;
                if (fields[j].text) bex_tlv_put(out, repeated, fields[j].text, strlen(fields[j].text));
                else bex_tlv_put(out, repeated, fields[j].bytes, fields[j].len);
            }
            bex_tlv_close(out);
            continue;
        }
        if (f->text) bex_tlv_put(out, f->tag, f->text, strlen(f->text));
        else bex_tlv_put(out, f->tag, f->bytes, f->len);
    }
    bex_tlv_close(out);
    return finish(out, dg == 11 ? "DG11" : "DG12", err, errlen);
}

int bex_lds_build_sod(const uint8_t *cms, size_t len, bex_bytes *out, char *err, size_t errlen) {
    if (!cms || !out || len == 0) return bex__fail(err, errlen, BEX_ERR_ARG, "EF.SOD: no CMS");
    bex_tlv_put(out, 0x77, cms, len);
    return finish(out, "EF.SOD", err, errlen);
}
