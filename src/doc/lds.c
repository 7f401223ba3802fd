/*
 * lds.c - the parsers of the chip's files (include/bex/lds.h; ICAO Doc 9303 Part 10): EF.COM,
 * DG1 (the MRZ, handed to mrz.c), DG2 and DG3 (the Biometric Information Template group with
 * its CBEFF headers, and the ISO/IEC 19794-5:2005 face and 19794-4:2005 finger image records
 * inside), DG11 and DG12 (text elements and document images), EF.SOD (unwrapped only).
 *
 * Every file is one outer TLV with nothing after it. Its whole tree is walked first by the
 * bounded reader in tlv.c (depth capped, every length within its parent), then read by
 * structure; the fixed-layout 19794 records are read through a cursor that checks each field
 * against the end of their data block. Messages give the byte offset from the file's start and
 * never quote the content.
 */
#include <stdio.h>
#include <string.h>

#include "bex/image.h"
#include "doc/lds_impl.h"
#include "util/util.h"

/* ------------------------------------------------------------------ common */

static const uint8_t dg_tags[17] = {0,    0x61, 0x75, 0x63, 0x76, 0x65, 0x66, 0x67, 0x68,
                                    0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70};

int bex_lds_dg_of_tag(uint8_t tag) {
    for (int i = 1; i <= 16; i++)
        if (dg_tags[i] == tag) return i;
    return 0;
}

uint8_t bex_lds_tag_of_dg(int n) { return n >= 1 && n <= 16 ? dg_tags[n] : 0; }

/* Reads the file's one outer TLV, which must carry `tag` and end the file, and checks the
 * tree under it. */
static int outer(lds__ctx *c, uint32_t tag, uint32_t opaque, bex_tlv *t) {
    size_t pos = 0;
    if (c->len == 0) return lds__fail(c, BEX_ERR_CORRUPT, "empty file");
    int rc = lds__tlv_next(c, c->len, &pos, t);
    if (rc != BEX_OK) return rc;
    if (t->tag != tag)
        return lds__fail(c, BEX_ERR_CORRUPT, "byte 0: tag %02X where %02X was expected",
                         (unsigned)t->tag, (unsigned)tag);
    if (pos != c->len)
        return lds__fail(c, BEX_ERR_CORRUPT, "%zu bytes after the end of tag %02X at byte %zu",
                         c->len - pos, (unsigned)tag, pos);
    if (!t->constructed) return BEX_OK;
    return lds__tlv_check(c, t->val_off, t->val_off + t->len, 2, BEX_TLV_MAX_DEPTH, opaque);
}

/* Reads the next TLV in [*pos, end), which must carry `tag`. */
static int expect(lds__ctx *c, size_t end, size_t *pos, uint32_t tag, bex_tlv *t) {
    size_t at = *pos;
    if (at >= end)
        return lds__fail(c, BEX_ERR_CORRUPT, "truncated at byte %zu: tag %02X was expected", at,
                         (unsigned)tag);
    int rc = lds__tlv_next(c, end, pos, t);
    if (rc != BEX_OK) return rc;
    if (t->tag != tag)
        return lds__fail(c, BEX_ERR_CORRUPT, "byte %zu: tag %02X where %02X was expected", at,
                         (unsigned)t->tag, (unsigned)tag);
    return BEX_OK;
}

static int digits(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9') return 0;
    return 1;
}

/* A cursor over a fixed-layout record: each take checks the bytes are there. */
typedef struct cur {
    lds__ctx *c;
    size_t pos, end;
    const char *what; /* the record, for messages */
} cur;

static int take(cur *k, size_t n, const char *field, uint64_t *v) {
    if (n > k->end - k->pos)
        return lds__fail(k->c, BEX_ERR_CORRUPT,
                         "truncated at byte %zu: the %s's %s needs %zu bytes, %zu remain",
                         k->end, k->what, field, n, k->end - k->pos);
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) x = (x << 8) | k->c->buf[k->pos + i];
    k->pos += n;
    if (v) *v = x;
    return BEX_OK;
}

#define TAKE(k, n, field, dst)                                          \
    do {                                                                \
        uint64_t v_ = 0;                                                \
        int rc_ = take((k), (n), (field), &v_);                         \
        if (rc_ != BEX_OK) return rc_;                                  \
        (dst) = v_;                                                     \
    } while (0)

/* ------------------------------------------------------------------ EF.COM */

int lds__parse_com(lds__ctx *c, bex_lds_com *out) {
    bex_tlv t;
    int rc = outer(c, 0x60, 0, &t);
    if (rc != BEX_OK) return rc;
    bex_lds_com com;
    memset(&com, 0, sizeof com);
    int seen = 0;
    size_t pos = t.val_off, end = t.val_off + t.len;
    while (pos < end) {
        bex_tlv e;
        if ((rc = lds__tlv_next(c, end, &pos, &e)) != BEX_OK) return rc;
        const uint8_t *v = c->buf + e.val_off;
        int bit = e.tag == 0x5F01 ? 1 : e.tag == 0x5F36 ? 2 : e.tag == 0x5C ? 4 : 0;
        if (!bit) continue; /* a later LDS version's element: not ours to judge */
        if (seen & bit)
            return lds__fail(c, BEX_ERR_CORRUPT, "byte %zu: tag %02X appears twice", e.off,
                             (unsigned)e.tag);
        seen |= bit;
        if (e.tag == 0x5F01) {
            if (e.len != 4 || !digits(v, 4))
                return lds__fail(c, BEX_ERR_CORRUPT,
                                 "byte %zu: the LDS version (tag 5F01) must be 4 digits", e.off);
            memcpy(com.lds_version, v, 4);
        } else if (e.tag == 0x5F36) {
            if (e.len != 6 || !digits(v, 6))
                return lds__fail(c, BEX_ERR_CORRUPT,
                                 "byte %zu: the Unicode version (tag 5F36) must be 6 digits",
                                 e.off);
            memcpy(com.unicode_version, v, 6);
        } else {
            if (e.len > 16)
                return lds__fail(c, BEX_ERR_LIMIT,
                                 "byte %zu: the tag list (tag 5C) lists %zu tags, at most 16",
                                 e.off, e.len);
            for (size_t i = 0; i < e.len; i++) {
                int dg = bex_lds_dg_of_tag(v[i]);
                if (!dg)
                    return lds__fail(c, BEX_ERR_CORRUPT,
                                     "byte %zu: the tag list holds %02X, not a data group's tag",
                                     e.val_off + i, v[i]);
                if (com.dg_mask & (1u << dg))
                    return lds__fail(c, BEX_ERR_CORRUPT,
                                     "byte %zu: the tag list holds DG%d twice", e.val_off + i, dg);
                com.dg_mask |= 1u << dg;
                com.tags[com.n_tags++] = v[i];
            }
        }
    }
    if (!(seen & 1)) return lds__fail(c, BEX_ERR_CORRUPT, "no LDS version (tag 5F01)");
    if (!(seen & 2)) return lds__fail(c, BEX_ERR_CORRUPT, "no Unicode version (tag 5F36)");
    if (!(seen & 4)) return lds__fail(c, BEX_ERR_CORRUPT, "no tag list (tag 5C)");
    *out = com;
    return BEX_OK;
}

/* ------------------------------------------------------------------ DG1 */

int lds__parse_dg1(lds__ctx *c, bex_lds_dg1 *out) {
    bex_tlv t, m;
    int rc = outer(c, 0x61, 0, &t);
    if (rc != BEX_OK) return rc;
    size_t pos = t.val_off, end = t.val_off + t.len;
    if ((rc = expect(c, end, &pos, 0x5F1F, &m)) != BEX_OK) return rc;
    if (pos != end)
        return lds__fail(c, BEX_ERR_CORRUPT, "byte %zu: data after the MRZ (tag 5F1F)", pos);
    int lines, width;
    if (m.len == 88) lines = 2, width = 44;
    else if (m.len == 72) lines = 2, width = 36;
    else if (m.len == 90) lines = 3, width = 30;
    else
        return lds__fail(c, BEX_ERR_CORRUPT,
                         "byte %zu: the MRZ (tag 5F1F) has %zu characters, not 88 (TD3), "
                         "72 (TD2) or 90 (TD1)", m.off, m.len);
    const uint8_t *v = c->buf + m.val_off;
    for (size_t i = 0; i < m.len; i++) {
        uint8_t ch = v[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '<'))
            return lds__fail(c, BEX_ERR_CORRUPT,
                             "byte %zu: the MRZ holds a character outside A-Z, 0-9 and '<'",
                             m.val_off + i);
    }
    bex_lds_dg1 d;
    memset(&d, 0, sizeof d);
    memcpy(d.text, v, m.len);
    d.text_len = m.len;
    char lined[96];
    size_t n = 0;
    for (int l = 0; l < lines; l++) {
        memcpy(lined + n, v + (size_t)l * width, width);
        n += width;
        if (l + 1 < lines) lined[n++] = '\n';
    }
    lined[n] = 0;
    char merr[256];
    if (bex_mrz_parse(lined, &d.mrz, merr, sizeof merr) != BEX_OK) {
        /* mrz.c's message may quote a field after its ':'; keep only where it is */
        char *colon = strchr(merr, ':');
        if (colon) *colon = 0;
        return lds__fail(c, BEX_ERR_CORRUPT, "the MRZ (tag 5F1F at byte %zu) does not parse: %s",
                         m.off, merr);
    }
    *out = d;
    return BEX_OK;
}

/* ------------------------------------------------------------------ DG2, DG3: BIT groups */

static int parse_cbeff(lds__ctx *c, const bex_tlv *h, bex_lds_cbeff *out) {
    bex_lds_cbeff cb;
    memset(&cb, 0, sizeof cb);
    size_t pos = h->val_off, end = h->val_off + h->len;
    while (pos < end) {
        bex_tlv e;
        int rc = lds__tlv_next(c, end, &pos, &e);
        if (rc != BEX_OK) return rc;
        if (e.tag < 0x80 || e.tag > 0x88) continue; /* e.g. 0x8A security options: not read */
        /* the lengths of Doc 9303 Part 10 Table 44 (0 = variable or unused): 86, the creator's
         * PID, is 4 bytes */
        static const size_t lens[9] = {2, 0, 1, 7, 0, 8, 4, 2, 2};
        unsigned i = e.tag - 0x80;
        if (e.tag == 0x84) continue;
        if (cb.present & (1u << i))
            return lds__fail(c, BEX_ERR_CORRUPT, "byte %zu: CBEFF element %02X appears twice",
                             e.off, (unsigned)e.tag);
        if ((lens[i] && e.len != lens[i]) || (e.tag == 0x81 && (e.len < 1 || e.len > 3)))
            return lds__fail(c, BEX_ERR_CORRUPT, "byte %zu: CBEFF element %02X has %zu bytes",
                             e.off, (unsigned)e.tag, e.len);
        cb.present |= 1u << i;
        const uint8_t *v = c->buf + e.val_off;
        uint32_t x = 0;
        for (size_t j = 0; j < e.len && j < 4; j++) x = (x << 8) | v[j];
        switch (e.tag) {
        case 0x80: cb.version = (uint16_t)x; break;
        case 0x81: cb.bdb_type = x; break;
        case 0x82: cb.subtype = (uint8_t)x; break;
        case 0x83: memcpy(cb.creation_date, v, 7); break;
        case 0x85: memcpy(cb.validity, v, 8); break;
        case 0x86: cb.creator = x; break;
        case 0x87: cb.format_owner = (uint16_t)x; break;
        case 0x88: cb.format_type = (uint16_t)x; break;
        }
    }
    if (!(cb.present & (1u << 7)) || !(cb.present & (1u << 8)))
        return lds__fail(c, BEX_ERR_CORRUPT,
                         "byte %zu: the CBEFF header (tag A1) lacks its format owner (87) or "
                         "format type (88)", h->off);
    *out = cb;
    return BEX_OK;
}

/* Checks that image bytes are what their declared type says (a mismatch is a forged or
 * broken record, not something to guess around). */
static int check_image(lds__ctx *c, size_t off, size_t len, bex_image_format want,
                       const char *want_name) {
    bex_image_format got = bex_image_sniff(c->buf + off, len);
    if (got != want)
        return lds__fail(c, BEX_ERR_CORRUPT,
                         "byte %zu: the image data is declared %s but is not %s", off, want_name,
                         want_name);
    return BEX_OK;
}

/* ISO/IEC 19794-5:2005: header 'FAC\0' '010\0', record length (4), number of faces (2); per
 * face: facial information (20 bytes: block length 4, feature points 2, gender, eyes, hair,
 * feature mask 3, expression 2, pose 3, pose uncertainty 3), feature points (8 bytes each),
 * image information (12 bytes: face image type, image data type, width 2, height 2, colour
 * space, source type, device type 2, quality 2), then the image. */
static int parse_face_record(lds__ctx *c, size_t off, size_t len, int bit,
                             const bex_lds_cbeff *cb, bex_lds_dg2 *dg) {
    cur k = {c, off, off + len, "face image record"};
    const uint8_t *p = c->buf + off;
    if (len >= 4 && memcmp(p, "FAC\0", 4) != 0)
        return lds__fail(c, BEX_ERR_CORRUPT,
                         "byte %zu: the face data block does not start with 'FAC' "
                         "(ISO/IEC 19794-5)", off);
    uint64_t v;
    int rc;
    if ((rc = take(&k, 4, "format identifier", NULL)) != BEX_OK) return rc;
    if ((rc = take(&k, 4, "version", &v)) != BEX_OK) return rc;
    if (memcmp(p + 4, "010\0", 4) != 0)
        return lds__fail(c, BEX_ERR_UNSUPPORTED,
                         "byte %zu: face image record version is not 010 (ISO/IEC 19794-5:2005)",
                         off + 4);
    uint64_t rec_len, n_faces;
    TAKE(&k, 4, "record length", rec_len);
    if (rec_len != len)
        return lds__fail(c, BEX_ERR_CORRUPT,
                         "byte %zu: the face record's length says %llu bytes, its data block "
                         "holds %zu", off + 8, (unsigned long long)rec_len, len);
    TAKE(&k, 2, "number of faces", n_faces);
    if (n_faces == 0)
        return lds__fail(c, BEX_ERR_CORRUPT, "byte %zu: the face record holds no face", off + 12);
    for (uint64_t f = 0; f < n_faces; f++) {
        if (dg->n_faces >= BEX_LDS_MAX_FACES)
            return lds__fail(c, BEX_ERR_LIMIT, "more than %d faces", BEX_LDS_MAX_FACES);
        bex_lds_face face;
        memset(&face, 0, sizeof face);
        face.bit = bit;
        face.cbeff = *cb;
        size_t start = k.pos;
        uint64_t blen, nfp, x;
        TAKE(&k, 4, "facial record data length", blen);
        TAKE(&k, 2, "number of feature points", nfp);
        if (blen < 32 + 8 * nfp || blen > k.end - start)
            return lds__fail(c, BEX_ERR_CORRUPT,
                             "byte %zu: facial record data length %llu does not fit (%zu bytes "
                             "remain, %llu needed for its headers)", start,
                             (unsigned long long)blen, k.end - start,
                             (unsigned long long)(32 + 8 * nfp));
        size_t fend = start + (size_t)blen;
        face.n_feature_points = (int)nfp;
        TAKE(&k, 1, "gender", face.gender);
        TAKE(&k, 1, "eye colour", face.eye_colour);
        TAKE(&k, 1, "hair colour", face.hair_colour);
        TAKE(&k, 3, "feature mask", face.feature_mask);
        TAKE(&k, 2, "expression", face.expression);
        for (int i = 0; i < 3; i++) TAKE(&k, 1, "pose angle", face.pose[i]);
        for (int i = 0; i < 3; i++) TAKE(&k, 1, "pose angle uncertainty", face.pose_uncertainty[i]);
        for (uint64_t i = 0; i < nfp; i++) {
            TAKE(&k, 1, "feature point type", x);
            if (x != 1)
                return lds__fail(c, BEX_ERR_CORRUPT,
                                 "byte %zu: feature point type %llu (only 1, 2D, exists)",
                                 k.pos - 1, (unsigned long long)x);
            if ((rc = take(&k, 7, "feature point", NULL)) != BEX_OK) return rc;
        }
        TAKE(&k, 1, "face image type", face.face_image_type);
        TAKE(&k, 1, "image data type", face.image_data_type);
        TAKE(&k, 2, "width", face.width);
        TAKE(&k, 2, "height", face.height);
        TAKE(&k, 1, "image colour space", face.colour_space);
        TAKE(&k, 1, "source type", face.source_type);
        TAKE(&k, 2, "device type", face.device_type);
        TAKE(&k, 2, "quality", face.quality);
        face.image_off = k.pos;
        face.image_len = fend - k.pos;
        if (face.image_len == 0)
            return lds__fail(c, BEX_ERR_CORRUPT, "byte %zu: face %d has no image data", start,
                             dg->n_faces + 1);
        if (face.image_data_type == 0) rc = check_image(c, face.image_off, face.image_len, BEX_IMAGE_JPEG, "JPEG");
        else if (face.image_data_type == 1) rc = check_image(c, face.image_off, face.image_len, BEX_IMAGE_JP2, "JPEG 2000");
        else
            rc = lds__fail(c, BEX_ERR_UNSUPPORTED,
                           "byte %zu: image data type %d (only 0 JPEG and 1 JPEG 2000 exist)",
                           face.image_off - 11, face.image_data_type);
        if (rc != BEX_OK) return rc;
        k.pos = fend;
        dg->faces[dg->n_faces++] = face;
    }
    if (k.pos != k.end)
        return lds__fail(c, BEX_ERR_CORRUPT, "byte %zu: %zu bytes after the last face", k.pos,
                         k.end - k.pos);
    return BEX_OK;
}

/* ISO/IEC 19794-4:2005: a 32-byte general header ('FIR\0' '010\0', record length 6, capture
 * device 2, acquisition level 2, number of fingers 1, scale units 1, scan resolution h/v 2+2,
 * image resolution h/v 2+2, pixel depth 1, compression 1, reserved 2), then per view a 14-byte
 * header (block length 4, position, view count, view number, quality, impression type, line
 * lengths h/v 2+2, reserved 1) and the image. */
static int parse_finger_record(lds__ctx *c, size_t off, size_t len, int bit,
                               const bex_lds_cbeff *cb, bex_lds_dg3 *dg) {
    cur k = {c, off, off + len, "finger image record"};
    const uint8_t *p = c->buf + off;
    if (len >= 4 && memcmp(p, "FIR\0", 4) != 0)
        return lds__fail(c, BEX_ERR_CORRUPT,
                         "byte %zu: the finger data block does not start with 'FIR' "
                         "(ISO/IEC 19794-4)", off);
    int rc;
    if ((rc = take(&k, 4, "format identifier", NULL)) != BEX_OK) return rc;
    if ((rc = take(&k, 4, "version", NULL)) != BEX_OK) return rc;
    if (memcmp(p + 4, "010\0", 4) != 0)
        return lds__fail(c, BEX_ERR_UNSUPPORTED,
                         "byte %zu: finger image record version is not 010 (ISO/IEC 19794-4:2005)",
                         off + 4);
    bex_lds_finger g;
    memset(&g, 0, sizeof g);
    g.bit = bit;
    g.cbeff = *cb;
    uint64_t rec_len, n_fingers;
    TAKE(&k, 6, "record length", rec_len);
    if (rec_len != len)
        return lds__fail(c, BEX_ERR_CORRUPT,
                         "byte %zu: the finger record's length says %llu bytes, its data block "
                         "holds %zu", off + 8, (unsigned long long)rec_len, len);
    TAKE(&k, 2, "capture device", g.capture_device_id);
    TAKE(&k, 2, "image acquisition level", g.acquisition_level);
    TAKE(&k, 1, "number of fingers", n_fingers);
    TAKE(&k, 1, "scale units", g.scale_units);
    TAKE(&k, 2, "horizontal scan resolution", g.scan_res_h);
    TAKE(&k, 2, "vertical scan resolution", g.scan_res_v);
    TAKE(&k, 2, "horizontal image resolution", g.image_res_h);
    TAKE(&k, 2, "vertical image resolution", g.image_res_v);
    TAKE(&k, 1, "pixel depth", g.bit_depth);
    TAKE(&k, 1, "compression algorithm", g.compression);
    if ((rc = take(&k, 2, "reserved bytes", NULL)) != BEX_OK) return rc;
    if (n_fingers == 0)
        return lds__fail(c, BEX_ERR_CORRUPT, "byte %zu: the finger record holds no finger",
                         off + 18);
    if (g.scale_units != 1 && g.scale_units != 2)
        return lds__fail(c, BEX_ERR_CORRUPT, "byte %zu: scale units %d (1 ppi or 2 ppcm)",
                         off + 19, g.scale_units);
    if (g.bit_depth < 1 || g.bit_depth > 16)
        return lds__fail(c, BEX_ERR_CORRUPT, "byte %zu: pixel depth %d bits", off + 28,
                         g.bit_depth);
    if (g.compression > BEX_FINGER_PNG)
        return lds__fail(c, BEX_ERR_CORRUPT, "byte %zu: compression algorithm %d (0-5 exist)",
                         off + 29, g.compression);
    for (uint64_t f = 0; f < n_fingers; f++) {
        if (dg->n_fingers >= BEX_LDS_MAX_FINGERS)
            return lds__fail(c, BEX_ERR_LIMIT, "more than %d finger views", BEX_LDS_MAX_FINGERS);
        bex_lds_finger v = g;
        size_t start = k.pos;
        uint64_t blen;
        TAKE(&k, 4, "finger data block length", blen);
        if (blen < 14 || blen > k.end - start)
            return lds__fail(c, BEX_ERR_CORRUPT,
                             "byte %zu: finger data block length %llu does not fit (%zu bytes "
                             "remain, 14 needed for its header)", start,
                             (unsigned long long)blen, k.end - start);
        size_t fend = start + (size_t)blen;
        TAKE(&k, 1, "finger position", v.position);
        TAKE(&k, 1, "count of views", v.view_count);
        TAKE(&k, 1, "view number", v.view_number);
        TAKE(&k, 1, "quality", v.quality);
        TAKE(&k, 1, "impression type", v.impression_type);
        TAKE(&k, 2, "horizontal line length", v.width);
        TAKE(&k, 2, "vertical line length", v.height);
        if ((rc = take(&k, 1, "reserved byte", NULL)) != BEX_OK) return rc;
        if (v.position > 10)
            return lds__fail(c, BEX_ERR_UNSUPPORTED,
                             "byte %zu: finger position %d (0-10 are single fingers; plain "
                             "multi-finger and palm images are not read)", start + 4, v.position);
        if (v.quality > 100 && v.quality != 254 && v.quality != 255)
            return lds__fail(c, BEX_ERR_CORRUPT, "byte %zu: finger quality %d", start + 7,
                             v.quality);
        v.image_off = k.pos;
        v.image_len = fend - k.pos;
        if (v.image_len == 0)
            return lds__fail(c, BEX_ERR_CORRUPT, "byte %zu: finger view %d has no image data",
                             start, dg->n_fingers + 1);
        rc = BEX_OK;
        if (v.compression == BEX_FINGER_UNCOMPRESSED) {
            size_t need = 0, bpp = v.bit_depth > 8 ? 2 : 1;
            if (!bex__mul_size((size_t)v.width * (size_t)v.height, bpp, &need) ||
                need != v.image_len)
                rc = lds__fail(c, BEX_ERR_CORRUPT,
                               "byte %zu: %d x %d px at %d bits need %zu bytes, the view holds "
                               "%zu", v.image_off, v.width, v.height, v.bit_depth, need,
                               v.image_len);
        } else if (v.compression == BEX_FINGER_WSQ) {
            if (v.image_len < 2 || c->buf[v.image_off] != 0xFF || c->buf[v.image_off + 1] != 0xA0)
                rc = lds__fail(c, BEX_ERR_CORRUPT,
                               "byte %zu: the image data is declared WSQ but is not WSQ",
                               v.image_off);
        } else if (v.compression == BEX_FINGER_JPEG) {
            rc = check_image(c, v.image_off, v.image_len, BEX_IMAGE_JPEG, "JPEG");
        } else if (v.compression == BEX_FINGER_JPEG2000) {
            rc = check_image(c, v.image_off, v.image_len, BEX_IMAGE_JP2, "JPEG 2000");
        } else if (v.compression == BEX_FINGER_PNG) {
            rc = check_image(c, v.image_off, v.image_len, BEX_IMAGE_PNG, "PNG");
        }
        if (rc != BEX_OK) return rc;
        k.pos = fend;
        dg->fingers[dg->n_fingers++] = v;
    }
    if (k.pos != k.end)
        return lds__fail(c, BEX_ERR_CORRUPT, "byte %zu: %zu bytes after the last finger", k.pos,
                         k.end - k.pos);
    return BEX_OK;
}

/* A DER structure where a 19794 record was expected: the ISO/IEC 39794 successor (tag 0x7F2E,
 * or a 5F2E block opening with a DER tag rather than the record's magic). */
static int is_39794(const bex_tlv *bdb, const uint8_t *v) {
    if (bdb->tag == 0x7F2E) return 1;
    return bdb->len >= 2 && (v[0] == 0x30 || v[0] == 0xA1);
}

/* DG2 / DG3: tag -> 7F61 { 02 count, count x 7F60 { A1 header, 5F2E or 7F2E data block } }. */
static int parse_bits(lds__ctx *c, uint32_t dg_tag, int finger, void *dg) {
    bex_tlv t, grp, cnt;
    int rc = outer(c, dg_tag, 0x7F2E, &t);
    if (rc != BEX_OK) return rc;
    size_t pos = t.val_off, end = t.val_off + t.len;
    if ((rc = expect(c, end, &pos, 0x7F61, &grp)) != BEX_OK) return rc;
    if (pos != end)
        return lds__fail(c, BEX_ERR_CORRUPT,
                         "byte %zu: data after the biometric information group (tag 7F61)", pos);
    size_t gpos = grp.val_off, gend = grp.val_off + grp.len;
    if ((rc = expect(c, gend, &gpos, 0x02, &cnt)) != BEX_OK) return rc;
    if (cnt.len != 1)
        return lds__fail(c, BEX_ERR_CORRUPT, "byte %zu: the BIT count (tag 02) has %zu bytes, not 1",
                         cnt.off, cnt.len);
    int n = c->buf[cnt.val_off];
    if (n == 0)
        return lds__fail(c, BEX_ERR_CORRUPT, "byte %zu: the BIT count is 0", cnt.off);
    for (int i = 0; i < n; i++) {
        bex_tlv bit, hdr, bdb;
        if ((rc = expect(c, gend, &gpos, 0x7F60, &bit)) != BEX_OK) return rc;
        size_t bpos = bit.val_off, bend = bit.val_off + bit.len;
        if ((rc = expect(c, bend, &bpos, 0xA1, &hdr)) != BEX_OK) return rc;
        bex_lds_cbeff cb;
        if ((rc = parse_cbeff(c, &hdr, &cb)) != BEX_OK) return rc;
        size_t at = bpos;
        if ((rc = lds__tlv_next(c, bend, &bpos, &bdb)) != BEX_OK) return rc;
        if (bdb.tag != 0x5F2E && bdb.tag != 0x7F2E)
            return lds__fail(c, BEX_ERR_CORRUPT,
                             "byte %zu: tag %02X where the biometric data block (5F2E or 7F2E) "
                             "was expected", at, (unsigned)bdb.tag);
        if (bpos != bend)
            return lds__fail(c, BEX_ERR_CORRUPT, "byte %zu: data after BIT %d's data block",
                             bpos, i + 1);
        const uint8_t *v = c->buf + bdb.val_off;
        if (is_39794(&bdb, v))
            return lds__fail(c, BEX_ERR_UNSUPPORTED,
                             "byte %zu: BIT %d holds an ISO/IEC 39794-%d record (DER), which bex "
                             "does not read yet (ISO/IEC 19794-%d:2005 only)", bdb.off, i + 1,
                             finger ? 4 : 5, finger ? 4 : 5);
        rc = finger ? parse_finger_record(c, bdb.val_off, bdb.len, i, &cb, dg)
                    : parse_face_record(c, bdb.val_off, bdb.len, i, &cb, dg);
        if (rc != BEX_OK) return rc;
    }
    if (gpos != gend)
        return lds__fail(c, BEX_ERR_CORRUPT,
                         "byte %zu: more BITs than the count (%d) says, or other data", gpos, n);
    return BEX_OK;
}

int lds__parse_dg2(lds__ctx *c, bex_lds_dg2 *out) {
    bex_lds_dg2 d;
    memset(&d, 0, sizeof d);
    int rc = parse_bits(c, 0x75, 0, &d);
    if (rc == BEX_OK) *out = d;
    return rc;
}

int lds__parse_dg3(lds__ctx *c, bex_lds_dg3 *out) {
    bex_lds_dg3 d;
    memset(&d, 0, sizeof d);
    int rc = parse_bits(c, 0x63, 1, &d);
    if (rc == BEX_OK) *out = d;
    return rc;
}

/* ------------------------------------------------------------------ DG11, DG12 */

enum { F_TEXT, F_DATE, F_DATETIME, F_IMAGE };
typedef struct field_def {
    uint32_t tag;
    const char *name;
    int kind;
} field_def;

static const field_def dg11_fields[] = {
    {0x5F0E, "full_name", F_TEXT},          {0x5F0F, "other_name", F_TEXT},
    {0x5F10, "personal_number", F_TEXT},    {0x5F2B, "full_date_of_birth", F_DATE},
    {0x5F11, "place_of_birth", F_TEXT},     {0x5F42, "address", F_TEXT},
    {0x5F12, "telephone", F_TEXT},          {0x5F13, "profession", F_TEXT},
    {0x5F14, "title", F_TEXT},              {0x5F15, "personal_summary", F_TEXT},
    {0x5F16, "proof_of_citizenship", F_IMAGE}, {0x5F17, "other_travel_documents", F_TEXT},
    {0x5F18, "custody_information", F_TEXT}, {0, NULL, 0}};
static const field_def dg12_fields[] = {
    {0x5F19, "issuing_authority", F_TEXT},  {0x5F26, "date_of_issue", F_DATE},
    {0x5F1A, "other_person", F_TEXT},       {0x5F1B, "endorsements", F_TEXT},
    {0x5F1C, "tax_exit_requirements", F_TEXT}, {0x5F1D, "image_front", F_IMAGE},
    {0x5F1E, "image_rear", F_IMAGE},        {0x5F55, "personalisation_time", F_DATETIME},
    {0x5F56, "personalisation_serial", F_TEXT}, {0, NULL, 0}};

/* UTF-8 as RFC 3629 has it (no overlong forms, no surrogates, nothing past U+10FFFF) and no
 * control character (C0, DEL, C1). Returns the offset of the first bad byte, or n. */
static size_t bad_text(const uint8_t *s, size_t n, const char **why) {
    size_t i = 0;
    while (i < n) {
        uint8_t b = s[i];
        if (b < 0x80) {
            if (b < 0x20 || b == 0x7F) {
                *why = "a control character";
                return i;
            }
            i++;
            continue;
        }
        int extra;
        uint32_t cp, min;
        if ((b & 0xE0) == 0xC0) extra = 1, cp = b & 0x1F, min = 0x80;
        else if ((b & 0xF0) == 0xE0) extra = 2, cp = b & 0x0F, min = 0x800;
        else if ((b & 0xF8) == 0xF0) extra = 3, cp = b & 0x07, min = 0x10000;
        else {
            *why = "invalid UTF-8";
            return i;
        }
        if ((size_t)extra > n - i - 1) {
            *why = "invalid UTF-8 (a sequence cut off)";
            return i;
        }
        for (int j = 1; j <= extra; j++) {
            if ((s[i + j] & 0xC0) != 0x80) {
                *why = "invalid UTF-8";
                return i;
            }
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            *why = "invalid UTF-8";
            return i;
        }
        if (cp >= 0x80 && cp <= 0x9F) {
            *why = "a control character";
            return i;
        }
        i += (size_t)extra + 1;
    }
    return n;
}

/* One element's value into f (text copied and checked, or the image's place). */
static int read_field(lds__ctx *c, const bex_tlv *e, const field_def *fd, bex_lds_field *f) {
    const uint8_t *v = c->buf + e->val_off;
    f->tag = e->tag;
    f->name = fd->name;
    if (fd->kind == F_IMAGE) {
        if (e->len == 0)
            return lds__fail(c, BEX_ERR_CORRUPT, "byte %zu: %s (tag %02X) is empty", e->off,
                             fd->name, (unsigned)e->tag);
        f->image_off = e->val_off;
        f->image_len = e->len;
        return BEX_OK;
    }
    char tmp[16];
    const uint8_t *src = v;
    size_t n = e->len;
    if (fd->kind == F_DATE) {
        if (e->len == 8 && digits(v, 8)) {
        } else if (e->len == 4) { /* BCD, YYYYMMDD */
            for (int i = 0; i < 4; i++) {
                int hi = v[i] >> 4, lo = v[i] & 15;
                if (hi > 9 || lo > 9)
                    return lds__fail(c, BEX_ERR_CORRUPT, "byte %zu: %s (tag %02X) is not a BCD date",
                                     e->off, fd->name, (unsigned)e->tag);
                tmp[2 * i] = (char)('0' + hi);
                tmp[2 * i + 1] = (char)('0' + lo);
            }
            src = (const uint8_t *)tmp;
            n = 8;
        } else {
            return lds__fail(c, BEX_ERR_CORRUPT,
                             "byte %zu: %s (tag %02X) is not a date (8 digits or 4 BCD bytes)",
                             e->off, fd->name, (unsigned)e->tag);
        }
    } else if (fd->kind == F_DATETIME) {
        if (e->len != 14 || !digits(v, 14))
            return lds__fail(c, BEX_ERR_CORRUPT,
                             "byte %zu: %s (tag %02X) is not 14 digits (YYYYMMDDhhmmss)", e->off,
                             fd->name, (unsigned)e->tag);
    } else {
        if (e->len > BEX_LDS_MAX_TEXT_BYTES)
            return lds__fail(c, BEX_ERR_LIMIT, "byte %zu: %s (tag %02X) has %zu bytes, over %d",
                             e->off, fd->name, (unsigned)e->tag, e->len, BEX_LDS_MAX_TEXT_BYTES);
        const char *why = NULL;
        size_t bad = bad_text(v, e->len, &why);
        if (bad < e->len)
            return lds__fail(c, BEX_ERR_CORRUPT, "byte %zu: %s (tag %02X) holds %s", e->val_off + bad,
                             fd->name, (unsigned)e->tag, why);
    }
    f->text = bex__malloc(n + 1);
    if (!f->text) return lds__fail(c, BEX_ERR_NOMEM, "out of memory");
    memcpy(f->text, src, n);
    f->text[n] = 0;
    return BEX_OK;
}

void bex_lds_details_free(bex_lds_details *d) {
    if (!d) return;
    for (int i = 0; i < d->n && i < BEX_LDS_MAX_FIELDS; i++) bex__free(d->f[i].text);
    memset(d, 0, sizeof *d);
}

const bex_lds_field *bex_lds_field_get(const bex_lds_details *d, uint32_t tag) {
    if (!d) return NULL;
    for (int i = 0; i < d->n; i++)
        if (d->f[i].tag == tag) return &d->f[i];
    return NULL;
}

static const field_def *find_def(const field_def *defs, uint32_t tag) {
    for (; defs->tag; defs++)
        if (defs->tag == tag) return defs;
    return NULL;
}

static int details_body(lds__ctx *c, const bex_tlv *t, const field_def *defs, uint32_t repeated,
                        bex_lds_details *d) {
    size_t pos = t->val_off, end = t->val_off + t->len;
    bex_tlv list;
    int rc = expect(c, end, &pos, 0x5C, &list);
    if (rc != BEX_OK) return rc;
    int seen_template = 0;
    while (pos < end) {
        bex_tlv e;
        if ((rc = lds__tlv_next(c, end, &pos, &e)) != BEX_OK) return rc;
        if (e.tag == 0xA0) { /* { 02 count, count x repeated } */
            if (seen_template++)
                return lds__fail(c, BEX_ERR_CORRUPT, "byte %zu: tag A0 appears twice", e.off);
            size_t p = e.val_off, pe = e.val_off + e.len;
            bex_tlv cnt;
            if ((rc = expect(c, pe, &p, 0x02, &cnt)) != BEX_OK) return rc;
            if (cnt.len != 1)
                return lds__fail(c, BEX_ERR_CORRUPT, "byte %zu: count (tag 02) has %zu bytes",
                                 cnt.off, cnt.len);
            int n = c->buf[cnt.val_off];
            for (int i = 0; i < n; i++) {
                bex_tlv r;
                if ((rc = expect(c, pe, &p, repeated, &r)) != BEX_OK) return rc;
                if (d->n >= BEX_LDS_MAX_FIELDS)
                    return lds__fail(c, BEX_ERR_LIMIT, "more than %d elements", BEX_LDS_MAX_FIELDS);
                if ((rc = read_field(c, &r, find_def(defs, repeated), &d->f[d->n])) != BEX_OK)
                    return rc;
                d->n++;
            }
            if (p != pe)
                return lds__fail(c, BEX_ERR_CORRUPT,
                                 "byte %zu: more elements in template A0 than its count (%d)", p, n);
            continue;
        }
        const field_def *fd = find_def(defs, e.tag);
        if (!fd) continue; /* an element this version does not know: skipped */
        if (e.constructed)
            return lds__fail(c, BEX_ERR_CORRUPT, "byte %zu: tag %02X should not be constructed",
                             e.off, (unsigned)e.tag);
        for (int i = 0; i < d->n; i++)
            if (d->f[i].tag == e.tag)
                return lds__fail(c, BEX_ERR_CORRUPT, "byte %zu: tag %02X appears twice", e.off,
                                 (unsigned)e.tag);
        if (d->n >= BEX_LDS_MAX_FIELDS)
            return lds__fail(c, BEX_ERR_LIMIT, "more than %d elements", BEX_LDS_MAX_FIELDS);
        if ((rc = read_field(c, &e, fd, &d->f[d->n])) != BEX_OK) return rc;
        d->n++;
    }
    return BEX_OK;
}

int lds__parse_details(lds__ctx *c, bex_lds_details *out) {
    if (c->len == 0) return lds__fail(c, BEX_ERR_CORRUPT, "empty file");
    uint32_t tag = c->buf[0] == 0x6C ? 0x6C : 0x6B;
    bex_tlv t;
    int rc = outer(c, tag, 0, &t);
    if (rc != BEX_OK) return rc;
    bex_lds_details d;
    memset(&d, 0, sizeof d);
    d.dg = tag == 0x6B ? 11 : 12;
    rc = details_body(c, &t, tag == 0x6B ? dg11_fields : dg12_fields, tag == 0x6B ? 0x5F0F : 0x5F1A,
                      &d);
    if (rc != BEX_OK) {
        bex_lds_details_free(&d);
        return rc;
    }
    *out = d;
    return BEX_OK;
}

/* ------------------------------------------------------------------ EF.SOD */

int lds__parse_sod(lds__ctx *c, size_t *cms_off, size_t *cms_len) {
    bex_tlv t, s;
    size_t pos = 0;
    if (c->len == 0) return lds__fail(c, BEX_ERR_CORRUPT, "empty file");
    int rc = lds__tlv_next(c, c->len, &pos, &t);
    if (rc != BEX_OK) return rc;
    if (t.tag != 0x77)
        return lds__fail(c, BEX_ERR_CORRUPT, "byte 0: tag %02X where 77 was expected",
                         (unsigned)t.tag);
    if (pos != c->len)
        return lds__fail(c, BEX_ERR_CORRUPT, "%zu bytes after the end of tag 77 at byte %zu",
                         c->len - pos, pos);
    size_t p = t.val_off, end = t.val_off + t.len;
    if ((rc = expect(c, end, &p, 0x30, &s)) != BEX_OK) return rc;
    if (p != end)
        return lds__fail(c, BEX_ERR_CORRUPT, "byte %zu: data after the CMS SignedData", p);
    *cms_off = s.off;
    *cms_len = end - s.off;
    return BEX_OK;
}

/* ------------------------------------------------------------------ public wrappers */

#define WRAP(fn, name, ...)                                                    \
    do {                                                                       \
        if (!buf && len) return bex__fail(err, errlen, BEX_ERR_ARG, "%s: NULL buffer", name); \
        lds__ctx c = {buf, len, name, err, errlen};                            \
        return fn(&c, __VA_ARGS__);                                            \
    } while (0)

int bex_lds_parse_com(const uint8_t *buf, size_t len, bex_lds_com *out, char *err, size_t errlen) {
    if (!out) return bex__fail(err, errlen, BEX_ERR_ARG, "EF.COM: NULL output");
    WRAP(lds__parse_com, "EF.COM", out);
}
int bex_lds_parse_dg1(const uint8_t *buf, size_t len, bex_lds_dg1 *out, char *err, size_t errlen) {
    if (!out) return bex__fail(err, errlen, BEX_ERR_ARG, "DG1: NULL output");
    WRAP(lds__parse_dg1, "DG1", out);
}
int bex_lds_parse_dg2(const uint8_t *buf, size_t len, bex_lds_dg2 *out, char *err, size_t errlen) {
    if (!out) return bex__fail(err, errlen, BEX_ERR_ARG, "DG2: NULL output");
    WRAP(lds__parse_dg2, "DG2", out);
}
int bex_lds_parse_dg3(const uint8_t *buf, size_t len, bex_lds_dg3 *out, char *err, size_t errlen) {
    if (!out) return bex__fail(err, errlen, BEX_ERR_ARG, "DG3: NULL output");
    WRAP(lds__parse_dg3, "DG3", out);
}
int bex_lds_parse_details(const uint8_t *buf, size_t len, bex_lds_details *out, char *err,
                          size_t errlen) {
    if (!out) return bex__fail(err, errlen, BEX_ERR_ARG, "DG11/DG12: NULL output");
    WRAP(lds__parse_details, !len || !buf ? "DG11/DG12" : buf[0] == 0x6C ? "DG12" : "DG11", out);
}
int bex_lds_parse_sod(const uint8_t *buf, size_t len, size_t *cms_off, size_t *cms_len,
                      char *err, size_t errlen) {
    if (!cms_off || !cms_len) return bex__fail(err, errlen, BEX_ERR_ARG, "EF.SOD: NULL output");
    WRAP(lds__parse_sod, "EF.SOD", cms_off, cms_len);
}
