/*
 * record.c - finger minutiae records: ISO/IEC 19794-2:2005 (its finger minutiae record format,
 * not the card formats) and ANSI INCITS 378-2004, read and written. Both carry one or more
 * finger views, each a list of minutiae; bex's template (finger.h) is one view at 500 ppi in
 * ISO's units.
 *
 * Where the layouts come from: the standards' field tables as NIST's MINEX evaluations restate
 * them (the ISO record header and view fields, their sizes and ranges) and as public readers of
 * both formats document them; the purchased texts were not at hand, so fields are named here
 * by the standards' field names ("Format Identifier", "Length of Record", "CBEFF Product
 * Identifier", ...), not by clause numbers that could not be checked.
 *
 * The two layouts, big-endian throughout, the record header first:
 *
 *   field                            ISO 19794-2:2005        ANSI INCITS 378-2004
 *   format identifier                "FMR\0" (4)             "FMR\0" (4)
 *   version                          " 20\0" (4)             " 20\0" (4)
 *   record length                    4 bytes                 2 bytes; or 0x0000 then 4 bytes
 *                                                            when the record exceeds 65,535
 *   CBEFF product identifier         -                       owner (2) + type (2)
 *   capture equipment                certifications (4 bits) compliance (4 bits)
 *                                    + device type ID (12)   + equipment ID (12)
 *   image size x, y                  2 + 2, pixels           2 + 2, pixels
 *   resolution x, y                  2 + 2, pixels per cm    2 + 2, pixels per cm
 *   number of finger views           1                       1
 *   reserved                         1 (0)                   1 (0)
 *   => header                        24 bytes                26 (or 30) bytes
 *
 *   finger view header, 4 bytes in both: finger position (1; 0-10,
 *   ANSI/NIST-ITL codes), view number (4 bits) + impression type (4 bits), finger quality
 *   (1; 0-100), number of minutiae (1).
 *
 *   finger minutia data, 6 bytes in both: type (2 bits: 01 ending, 10 bifurcation,
 *   00 other) + x (14 bits); reserved (2 bits) + y (14 bits); angle (1); quality (1; 0-100,
 *   0 = not reported). The angle is counter-clockwise from the x axis in both, but in units of
 *   360/256 = 1.40625 degrees in ISO (0-255) and of 2 degrees in ANSI (0-179): ANSI angles are
 *   converted on read and write, and an ISO angle written to ANSI and read back moves by at
 *   most one ISO unit (half a 2-degree step is 1 degree = 0.71 ISO units, then rounding).
 *
 *   extended data: a 2-byte block length after each view's minutiae, 0 when
 *   there is none; its blocks (ridge counts, cores and deltas, vendor data) are skipped.
 *
 * Telling them apart (both say "FMR\0" " 20\0"): after the version, ISO's 4-byte length of a
 * record under 64 KiB starts 0x0000, while ANSI's 2-byte length is never 0 unless the 6-byte
 * form follows. bex_finger_record_sniff (finger_cmd and the readers' messages) looks at which
 * length field agrees with the bytes.
 *
 * Readers: every count and length is checked against the bytes before it is used; a problem
 * is reported with the byte offset where it lies ("ISO 19794-2 record, byte 28: ..."). Records
 * at another resolution are rescaled to 500 ppi (coordinates and image size), as bex's
 * templates are. A view with more than BEX_FINGER_MAX_MINUTIAE keeps its best-quality ones.
 * Reserved bits are ignored on read and written as 0.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bex/finger.h"
#include "util/util.h"

/* 500 ppi = 196.85 pixels per cm, written as 197 (both formats: whole pixels per centimetre) */
#define PPCM_500 197
#define PPCM_MIN 39   /* 100 ppi: below, no fingerprint reader */
#define PPCM_MAX 1575 /* 4000 ppi */

typedef enum { FMT_ISO = 0, FMT_ANSI = 1 } fmt;

static const char *fmt_name(fmt f) { return f == FMT_ISO ? "ISO 19794-2 record" : "ANSI 378 record"; }

static unsigned get16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }
static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void put16(uint8_t *p, unsigned v) {
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* ---------------------------------------------------------------- telling the formats apart */

int bex_finger_record_sniff(const uint8_t *buf, size_t len) {
    if (!buf || len < 12 || memcmp(buf, "FMR\0", 4) != 0 || memcmp(buf + 4, " 20\0", 4) != 0) return 0;
    unsigned l16 = get16(buf + 8);
    uint32_t iso = get32(buf + 8);
    if (iso == len) return 1; /* ISO's 4-byte length agrees with the bytes */
    if (l16 != 0) return 2;   /* ANSI's 2-byte length (an ISO record this long would say so) */
    if (len >= 14 && get32(buf + 10) == len) return 2; /* ANSI 0x0000 + 4-byte length */
    return 1;                                          /* ISO (its reader says what is wrong) */
}

/* ---------------------------------------------------------------- reading */

typedef struct rd {
    const uint8_t *b;
    size_t len;   /* the record's length (<= the buffer's) */
    fmt f;
    char *err;
    size_t errlen;
} rd;

#define FAIL_AT(r, off, status, ...)                                                      \
    do {                                                                                  \
        char m_[200];                                                                     \
        snprintf(m_, sizeof m_, __VA_ARGS__);                                             \
        return bex__fail((r)->err, (r)->errlen, status, "%s, byte %zu: %s", fmt_name((r)->f), \
                         (size_t)(off), m_);                                              \
    } while (0)

/* Keeps the BEX_FINGER_MAX_MINUTIAE best-quality minutiae of many (stable: on a tie the
 * earlier one), in record order. */
static void keep_best(bex_minutia *all, int n, bex_finger_template *t) {
    if (n <= BEX_FINGER_MAX_MINUTIAE) {
        memcpy(t->m, all, sizeof *all * (size_t)n);
        t->n = n;
        return;
    }
    int hist[256] = {0};
    for (int i = 0; i < n; i++) hist[all[i].quality]++;
    int cut = 255, above = 0; /* the quality at which the 128th falls */
    while (cut > 0 && above + hist[cut] < BEX_FINGER_MAX_MINUTIAE) above += hist[cut--];
    int at_cut = BEX_FINGER_MAX_MINUTIAE - above;
    t->n = 0;
    for (int i = 0; i < n; i++)
        if (all[i].quality > cut || (all[i].quality == cut && at_cut-- > 0)) t->m[t->n++] = all[i];
}

static int scale(unsigned v, unsigned ppcm) {
    if (ppcm == PPCM_500) return (int)v;
    return (int)lround((double)v * (500.0 / 2.54) / (double)ppcm);
}

static int read_record(rd *r, bex_finger_template *views, int max, int *n_out) {
    const uint8_t *b = r->b;
    size_t len = r->len;
    if (!views || !n_out || max < 1)
        return bex__fail(r->err, r->errlen, BEX_ERR_ARG, "reading a finger record needs room for a view");
    if (!b || len < 8) FAIL_AT(r, 0, BEX_ERR_CORRUPT, "truncated: %zu bytes, not even the format identifier and version", len);
    if (memcmp(b, "FMR\0", 4) != 0) FAIL_AT(r, 0, BEX_ERR_FORMAT, "not a finger minutiae record (no \"FMR\" identifier)");
    if (memcmp(b + 4, " 20\0", 4) != 0)
        FAIL_AT(r, 4, BEX_ERR_UNSUPPORTED, "version \"%.3s\" is not \" 20\" (2004/2005; later editions differ)", (const char *)b + 4);
    size_t at = 8, rec_len;
    if (r->f == FMT_ISO) {
        if (len < 12) FAIL_AT(r, 8, BEX_ERR_CORRUPT, "truncated inside the record length");
        rec_len = get32(b + 8);
        at = 12;
    } else {
        if (len < 10) FAIL_AT(r, 8, BEX_ERR_CORRUPT, "truncated inside the record length");
        rec_len = get16(b + 8);
        at = 10;
        if (rec_len == 0) { /* ANSI's Length of Record: 0x0000, then the length in 4 bytes */
            if (len < 14) FAIL_AT(r, 10, BEX_ERR_CORRUPT, "truncated inside the 4-byte record length");
            rec_len = get32(b + 10);
            at = 14;
            if (rec_len <= 0xFFFF) FAIL_AT(r, 10, BEX_ERR_CORRUPT, "the 6-byte length form holds %zu, which fits in 2 bytes", rec_len);
        }
        at += 4; /* CBEFF product identifier: owner, type */
    }
    size_t hdr = at + 12; /* capture equipment, image size, resolution, views, reserved */
    if (rec_len > len)
        FAIL_AT(r, 8, BEX_ERR_CORRUPT, "truncated: the record says %zu bytes, %zu are there", rec_len, len);
    if (rec_len < hdr) FAIL_AT(r, 8, BEX_ERR_CORRUPT, "a record length of %zu is shorter than the %zu-byte header", rec_len, hdr);
    if (rec_len < len)
        FAIL_AT(r, rec_len, BEX_ERR_CORRUPT, "%zu bytes follow the record's stated end (%zu)", len - rec_len, rec_len);
    at += 2; /* capture equipment */
    unsigned w = get16(b + at), h = get16(b + at + 2), rx = get16(b + at + 4), ry = get16(b + at + 6);
    size_t res_at = at + 4;
    if (rx < PPCM_MIN || rx > PPCM_MAX || ry < PPCM_MIN || ry > PPCM_MAX)
        FAIL_AT(r, res_at, BEX_ERR_CORRUPT, "resolution %u x %u pixels per cm is outside %d-%d (100-4000 ppi)", rx, ry, PPCM_MIN,
                PPCM_MAX);
    if (w == 0 || h == 0) FAIL_AT(r, at, BEX_ERR_CORRUPT, "image size %u x %u", w, h);
    if (w > 0x3FFF || h > 0x3FFF) /* minutia coordinates have 14 bits */
        FAIL_AT(r, at, BEX_ERR_CORRUPT, "image size %u x %u exceeds the 14-bit coordinate range", w, h);
    at += 8;
    unsigned nv = b[at];
    if (nv == 0) FAIL_AT(r, at, BEX_ERR_CORRUPT, "no finger view");
    if (nv > BEX_FINGER_RECORD_MAX_VIEWS)
        FAIL_AT(r, at, BEX_ERR_LIMIT, "%u finger views; bex reads at most %d", nv, BEX_FINGER_RECORD_MAX_VIEWS);
    if ((int)nv > max) FAIL_AT(r, at, BEX_ERR_LIMIT, "%u finger views; room for %d", nv, max);
    at += 2; /* count, reserved byte */
    int w500 = scale(w, rx), h500 = scale(h, ry);
    if (w500 < 1 || h500 < 1 || w500 > 0xFFFF || h500 > 0xFFFF)
        FAIL_AT(r, res_at, BEX_ERR_CORRUPT, "image size %u x %u at %u x %u pixels per cm", w, h, rx, ry);
    bex_minutia all[255];
    for (unsigned v = 0; v < nv; v++) {
        bex_finger_template *t = &views[v];
        if (rec_len - at < 4) FAIL_AT(r, at, BEX_ERR_CORRUPT, "truncated: finger view %u's header needs 4 bytes", v + 1);
        unsigned pos = b[at], imp = b[at + 1] & 15, q = b[at + 2], nm = b[at + 3];
        if (pos > 10) FAIL_AT(r, at, BEX_ERR_CORRUPT, "finger position %u (0-10: unknown, right thumb .. left little)", pos);
        /* impression types: ISO 0-3 (live-scan / non-live, plain / rolled) and 8 (swipe); ANSI
         * 378-2004 adds 9 (live-scan contactless) */
        if (imp > 3 && imp != 8 && !(imp == 9 && r->f == FMT_ANSI))
            FAIL_AT(r, at + 1, BEX_ERR_CORRUPT, "impression type %u (0-3 plain or rolled, live or not; 8 swipe%s)", imp,
                    r->f == FMT_ANSI ? "; 9 contactless" : "");
        if (q > 100) FAIL_AT(r, at + 2, BEX_ERR_CORRUPT, "finger quality %u (0-100)", q);
        at += 4;
        if ((rec_len - at) / 6 < nm)
            FAIL_AT(r, at - 1, BEX_ERR_CORRUPT, "%u minutiae need %u bytes, %zu are left", nm, nm * 6, rec_len - at);
        for (unsigned k = 0; k < nm; k++, at += 6) {
            const uint8_t *p = b + at;
            unsigned type = p[0] >> 6, x = get16(p) & 0x3FFF, y = get16(p + 2) & 0x3FFF, a = p[4], mq = p[5];
            if (type == 3) FAIL_AT(r, at, BEX_ERR_CORRUPT, "minutia %u has the reserved type 11", k + 1);
            if (x >= w || y >= h)
                FAIL_AT(r, at, BEX_ERR_CORRUPT, "minutia %u at (%u, %u) lies outside the %u x %u image", k + 1, x, y, w, h);
            if (r->f == FMT_ANSI && a > 179) FAIL_AT(r, at + 4, BEX_ERR_CORRUPT, "minutia %u's angle %u (0-179 in 2-degree units)", k + 1, a);
            if (mq > 100) FAIL_AT(r, at + 5, BEX_ERR_CORRUPT, "minutia %u's quality %u (0-100)", k + 1, mq);
            int xs = scale(x, rx), ys = scale(y, ry);
            if (xs >= w500) xs = w500 - 1;
            if (ys >= h500) ys = h500 - 1;
            all[k] = (bex_minutia){(uint16_t)xs, (uint16_t)ys,
                                   (uint8_t)(r->f == FMT_ANSI ? lround(a * 256.0 / 180.0) & 255 : a),
                                   (uint8_t)(type == 1 ? BEX_MINUTIA_ENDING : type == 2 ? BEX_MINUTIA_BIFURCATION : BEX_MINUTIA_OTHER),
                                   (uint8_t)mq};
        }
        if (rec_len - at < 2) FAIL_AT(r, at, BEX_ERR_CORRUPT, "truncated: finger view %u's extended data length is missing", v + 1);
        unsigned ext = get16(b + at);
        at += 2;
        if (ext > rec_len - at)
            FAIL_AT(r, at - 2, BEX_ERR_CORRUPT, "extended data of %u bytes, %zu are left", ext, rec_len - at);
        at += ext;
        memset(t, 0, sizeof *t);
        t->width = (uint16_t)w500;
        t->height = (uint16_t)h500;
        t->finger_position = (uint8_t)pos;
        t->quality = (uint8_t)q;
        keep_best(all, (int)nm, t);
    }
    if (at != rec_len)
        FAIL_AT(r, at, BEX_ERR_CORRUPT, "the views end at byte %zu but the record says %zu bytes", at, rec_len);
    *n_out = (int)nv;
    return BEX_OK;
}

int bex_finger_iso_read(const uint8_t *buf, size_t len, bex_finger_template *views, int max, int *n, char *err,
                        size_t errlen) {
    rd r = {buf, len, FMT_ISO, err, errlen};
    if (buf && bex_finger_record_sniff(buf, len) == 2)
        return bex__fail(err, errlen, BEX_ERR_FORMAT,
                         "ISO 19794-2 record, byte 8: the length field is ANSI 378's (2 bytes, then a CBEFF product "
                         "identifier): read it as ANSI 378");
    return read_record(&r, views, max, n);
}

int bex_finger_ansi_read(const uint8_t *buf, size_t len, bex_finger_template *views, int max, int *n, char *err,
                         size_t errlen) {
    rd r = {buf, len, FMT_ANSI, err, errlen};
    if (buf && len >= 12 && get16(buf + 8) == 0 && get32(buf + 8) == len && bex_finger_record_sniff(buf, len) == 1)
        return bex__fail(err, errlen, BEX_ERR_FORMAT,
                         "ANSI 378 record, byte 8: the length field is ISO 19794-2's (4 bytes, matching the record): "
                         "read it as ISO 19794-2");
    return read_record(&r, views, max, n);
}

/* ---------------------------------------------------------------- writing */

static int write_record(fmt f, const bex_finger_template *views, int n, uint8_t **out, size_t *len, char *err,
                        size_t errlen) {
    if (!views || !out || !len || n < 1 || n > BEX_FINGER_RECORD_MAX_VIEWS)
        return bex__fail(err, errlen, BEX_ERR_ARG, "a finger record holds 1 to %d views (got %d)", BEX_FINGER_RECORD_MAX_VIEWS, n);
    unsigned w = 0, h = 0;
    size_t body = 0;
    for (int v = 0; v < n; v++) {
        const bex_finger_template *t = &views[v];
        if (t->n < 0 || t->n > BEX_FINGER_MAX_MINUTIAE || t->finger_position > 10 || t->quality > 100)
            return bex__fail(err, errlen, BEX_ERR_ARG, "view %d: %d minutiae, finger position %u, quality %u (0-%d, 0-10, 0-100)",
                             v + 1, t->n, t->finger_position, t->quality, BEX_FINGER_MAX_MINUTIAE);
        if (t->width > 0x3FFF || t->height > 0x3FFF)
            return bex__fail(err, errlen, BEX_ERR_ARG, "view %d: image size %u x %u exceeds the 14-bit coordinate range", v + 1,
                             t->width, t->height);
        if (t->width > w) w = t->width;
        if (t->height > h) h = t->height;
        for (int k = 0; k < t->n; k++) {
            const bex_minutia *m = &t->m[k];
            if (m->x > 0x3FFF || m->y > 0x3FFF || m->type > 2 || m->quality > 100)
                return bex__fail(err, errlen, BEX_ERR_ARG, "view %d, minutia %d: (%u, %u) type %u quality %u is out of range",
                                 v + 1, k + 1, m->x, m->y, m->type, m->quality);
            if (m->x >= w) w = m->x + 1u; /* the image must hold every minutia */
            if (m->y >= h) h = m->y + 1u;
        }
        body += 4 + (size_t)t->n * 6 + 2;
    }
    if (w > 0x3FFF || h > 0x3FFF) return bex__fail(err, errlen, BEX_ERR_ARG, "image size %u x %u exceeds 14 bits", w, h);
    size_t hdr = f == FMT_ISO ? 24 : 26;
    if (f == FMT_ANSI && hdr + body > 0xFFFF) hdr = 30;
    size_t total = hdr + body;
    uint8_t *b = bex__calloc(1, total);
    if (!b) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory writing a finger record");
    memcpy(b, "FMR\0 20\0", 8);
    size_t at = 8;
    if (f == FMT_ISO) {
        put32(b + 8, (uint32_t)total);
        at = 12;
    } else {
        if (hdr == 26) {
            put16(b + 8, (unsigned)total);
            at = 10;
        } else {
            put32(b + 10, (uint32_t)total); /* b[8..9] = 0x0000 */
            at = 14;
        }
        at += 4; /* CBEFF Product Identifier 0: no registered product (owner 0, type 0) */
    }
    at += 2; /* capture equipment 0: unknown */
    put16(b + at, w);
    put16(b + at + 2, h);
    put16(b + at + 4, PPCM_500);
    put16(b + at + 6, PPCM_500);
    b[at + 8] = (uint8_t)n;
    at += 10;
    for (int v = 0; v < n; v++) {
        const bex_finger_template *t = &views[v];
        int view_no = 0; /* View Number: the views of one finger numbered from 0 */
        for (int u = 0; u < v; u++) view_no += views[u].finger_position == t->finger_position;
        b[at] = t->finger_position;
        b[at + 1] = (uint8_t)((view_no & 15) << 4 | 0); /* impression type 0: live-scan plain */
        b[at + 2] = t->quality;
        b[at + 3] = (uint8_t)t->n;
        at += 4;
        for (int k = 0; k < t->n; k++, at += 6) {
            const bex_minutia *m = &t->m[k];
            unsigned type = m->type == BEX_MINUTIA_ENDING ? 1 : m->type == BEX_MINUTIA_BIFURCATION ? 2 : 0;
            put16(b + at, type << 14 | m->x);
            put16(b + at + 2, m->y);
            b[at + 4] = f == FMT_ISO ? m->angle : (uint8_t)(lround(m->angle * 180.0 / 256.0) % 180);
            b[at + 5] = m->quality;
        }
        at += 2; /* no extended data */
    }
    *out = b;
    *len = total;
    return BEX_OK;
}

int bex_finger_iso_write(const bex_finger_template *views, int n, uint8_t **out, size_t *len, char *err, size_t errlen) {
    return write_record(FMT_ISO, views, n, out, len, err, errlen);
}

int bex_finger_ansi_write(const bex_finger_template *views, int n, uint8_t **out, size_t *len, char *err, size_t errlen) {
    return write_record(FMT_ANSI, views, n, out, len, err, errlen);
}
