/*
 * nist.c - ANSI/NIST-ITL 1-2011 traditional encoding: the reader (bounded, every read checked
 * against the record's LEN end) and the writer (LEN to a fixed point, CNT from the records).
 * See include/bex/nist.h.
 */
#include "bex/nist.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FS 0x1C
#define GS 0x1D
#define RS 0x1E
#define US 0x1F

static int fail(char *err, size_t n, int rc, int rec, int type, int field, size_t off,
                const char *fmt, ...) {
    if (!err || n == 0) return rc;
    int k;
    if (field > 0)
        k = snprintf(err, n, "record %d (Type-%d) field %d.%03d at byte %zu: ", rec, type, type,
                     field, off);
    else if (type > 0)
        k = snprintf(err, n, "record %d (Type-%d) at byte %zu: ", rec, type, off);
    else
        k = snprintf(err, n, "record %d at byte %zu: ", rec, off);
    if (k < 0) k = 0;
    if ((size_t)k < n) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + k, n - (size_t)k, fmt, ap);
        va_end(ap);
    }
    return rc;
}

static int supported(int type) { return type == 1 || type == 2 || type == 10 || type == 14; }

/* digits only, 1..9 of them */
static int parse_uint(const uint8_t *p, size_t len, long *out) {
    if (len == 0 || len > 9) return -1;
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') return -1;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return 0;
}

bex_nist_record *bex_nist_add_record(bex_nist *t, int type) {
    if (!t || t->n_records >= BEX_NIST_MAX_RECORDS) return NULL;
    if (t->n_records == t->cap) {
        int cap = t->cap ? t->cap * 2 : 8;
        bex_nist_record *r = realloc(t->records, (size_t)cap * sizeof *r);
        if (!r) return NULL;
        t->records = r;
        t->cap = cap;
    }
    bex_nist_record *r = &t->records[t->n_records++];
    memset(r, 0, sizeof *r);
    r->type = type;
    r->idc = -1;
    return r;
}

int bex_nist_add_field(bex_nist_record *r, int field, const void *value, size_t len) {
    if (!r || field < 1 || field > 999 || (len && !value)) return BEX_ERR_ARG;
    if (r->n_fields >= BEX_NIST_MAX_FIELDS) return BEX_ERR_LIMIT;
    if (r->n_fields == r->cap) {
        int cap = r->cap ? r->cap * 2 : 16;
        bex_nist_field *f = realloc(r->fields, (size_t)cap * sizeof *f);
        if (!f) return BEX_ERR_NOMEM;
        r->fields = f;
        r->cap = cap;
    }
    bex_nist_field *f = &r->fields[r->n_fields++];
    f->field = field;
    f->value = value;
    f->len = len;
    f->offset = 0;
    return BEX_OK;
}

int bex_nist_add_text(bex_nist_record *r, int field, const char *text) {
    return bex_nist_add_field(r, field, text, text ? strlen(text) : 0);
}

const bex_nist_field *bex_nist_get(const bex_nist_record *r, int field) {
    if (!r) return NULL;
    for (int i = 0; i < r->n_fields; i++)
        if (r->fields[i].field == field) return &r->fields[i];
    return NULL;
}

int bex_nist_item(const bex_nist_field *f, int sub, int item, size_t *off, size_t *len) {
    if (!f || sub < 0 || item < 0) return BEX_ERR_ARG;
    size_t p = 0;
    for (int s = 0; s < sub; s++) { /* skip to subfield sub */
        while (p < f->len && f->value[p] != RS) p++;
        if (p >= f->len) return BEX_ERR_ARG;
        p++;
    }
    for (int i = 0; i < item; i++) {
        while (p < f->len && f->value[p] != US && f->value[p] != RS) p++;
        if (p >= f->len || f->value[p] == RS) return BEX_ERR_ARG;
        p++;
    }
    size_t e = p;
    while (e < f->len && f->value[e] != US && f->value[e] != RS) e++;
    *off = p;
    *len = e - p;
    return BEX_OK;
}

void bex_nist_free(bex_nist *t) {
    if (!t) return;
    for (int i = 0; i < t->n_records; i++) free(t->records[i].fields);
    free(t->records);
    memset(t, 0, sizeof *t);
}

/* ------------------------------------------------------------------ reading */

/* Reads "T.FFF:" at *q (before end); checks T against type. */
static int read_tag(const uint8_t *b, size_t end, size_t *q, int type, int *field, int rec,
                    char *err, size_t n) {
    size_t p = *q, s = p;
    while (p < end && p - s < 10 && b[p] != '.') p++;
    long t, f;
    if (p >= end || b[p] != '.' || parse_uint(b + s, p - s, &t) != 0)
        return fail(err, n, BEX_ERR_CORRUPT, rec, type, 0, s, "expected a tag \"%d.FFF:\"", type);
    if (t != type)
        return fail(err, n, BEX_ERR_CORRUPT, rec, type, 0, s,
                    "tag of record type %ld inside a Type-%d record", t, type);
    size_t fs = ++p;
    while (p < end && p - fs < 10 && b[p] != ':') p++;
    if (p >= end || b[p] != ':' || parse_uint(b + fs, p - fs, &f) != 0 || f < 1 || f > 999)
        return fail(err, n, BEX_ERR_CORRUPT, rec, type, 0, s,
                    "expected a field number 001-999 and ':' after \"%d.\"", type);
    *field = (int)f;
    *q = p + 1;
    return BEX_OK;
}

typedef struct {
    int n;
    int type[BEX_NIST_MAX_RECORDS];
    int idc[BEX_NIST_MAX_RECORDS];
} cnt_list;

static int parse_cnt(const bex_nist_field *f, cnt_list *c, char *err, size_t n) {
    size_t o, l;
    long v;
    if (bex_nist_item(f, 0, 0, &o, &l) != BEX_OK || parse_uint(f->value + o, l, &v) != 0 || v != 1)
        return fail(err, n, BEX_ERR_CORRUPT, 1, 1, 3, f->offset, "CNT's first item (FRC) is not 1");
    if (bex_nist_item(f, 0, 1, &o, &l) != BEX_OK || parse_uint(f->value + o, l, &v) != 0 ||
        v < 1 || v > 999)
        return fail(err, n, BEX_ERR_CORRUPT, 1, 1, 3, f->offset,
                    "CNT's record count (CRC) is not a number 1-999");
    if (v + 1 > BEX_NIST_MAX_RECORDS)
        return fail(err, n, BEX_ERR_LIMIT, 1, 1, 3, f->offset, "CNT lists %ld records, over %d",
                    v, BEX_NIST_MAX_RECORDS - 1);
    c->n = (int)v;
    for (int i = 0; i < c->n; i++) {
        long ty, idc;
        if (bex_nist_item(f, i + 1, 0, &o, &l) != BEX_OK || parse_uint(f->value + o, l, &ty) != 0)
            return fail(err, n, BEX_ERR_CORRUPT, 1, 1, 3, f->offset,
                        "CNT subfield %d: no record type (CRC says %d records)", i + 2, c->n);
        if (bex_nist_item(f, i + 1, 1, &o, &l) != BEX_OK || parse_uint(f->value + o, l, &idc) != 0 ||
            idc > 99)
            return fail(err, n, BEX_ERR_CORRUPT, 1, 1, 3, f->offset,
                        "CNT subfield %d: no IDC 0-99", i + 2);
        if (bex_nist_item(f, i + 1, 2, &o, &l) == BEX_OK)
            return fail(err, n, BEX_ERR_CORRUPT, 1, 1, 3, f->offset,
                        "CNT subfield %d has more than two items", i + 2);
        if (ty == 1)
            return fail(err, n, BEX_ERR_CORRUPT, 1, 1, 3, f->offset,
                        "CNT subfield %d lists a second Type-1", i + 2);
        c->type[i] = (int)ty;
        c->idc[i] = (int)idc;
    }
    if (bex_nist_item(f, c->n + 1, 0, &o, &l) == BEX_OK)
        return fail(err, n, BEX_ERR_CORRUPT, 1, 1, 3, f->offset,
                    "CNT has more subfields than its count (CRC %d)", c->n);
    return BEX_OK;
}

/* One record at *pos: fields into r, *pos past its FS. */
static int parse_record(const uint8_t *b, size_t size, size_t *pos, int rec, int type,
                        bex_nist_record *r, char *err, size_t n) {
    size_t start = *pos, q = start;
    int field, rc;
    if ((rc = read_tag(b, size, &q, type, &field, rec, err, n)) != BEX_OK) return rc;
    if (field != 1)
        return fail(err, n, BEX_ERR_CORRUPT, rec, type, field, start, "the first field is not LEN (%d.001)", type);
    size_t ls = q;
    while (q < size && b[q] >= '0' && b[q] <= '9' && q - ls < 10) q++;
    long len;
    if (q >= size || (b[q] != GS && b[q] != FS) || parse_uint(b + ls, q - ls, &len) != 0)
        return fail(err, n, BEX_ERR_CORRUPT, rec, type, 1, start, "LEN is not 1-9 digits ended by GS");
    if ((size_t)len < q - start + 1)
        return fail(err, n, BEX_ERR_CORRUPT, rec, type, 1, start, "LEN %ld is shorter than the LEN field itself", len);
    if ((size_t)len > size - start)
        return fail(err, n, BEX_ERR_CORRUPT, rec, type, 1, start,
                    "LEN %ld runs past the end of the file (%zu bytes left): truncated or LEN wrong", len, size - start);
    size_t end = start + (size_t)len - 1; /* the record's FS */
    if (b[end] != FS)
        return fail(err, n, BEX_ERR_CORRUPT, rec, type, 1, start,
                    "LEN %ld: byte %zu, the record's last, is not a file separator", len, end);
    r->offset = start;
    r->len = (size_t)len;
    if ((rc = bex_nist_add_field(r, 1, b + ls, q - ls)) != BEX_OK)
        return fail(err, n, rc, rec, type, 1, start, "out of memory");
    r->fields[0].offset = start;
    int prev = 1;
    while (q < end) {
        if (b[q] != GS)
            return fail(err, n, BEX_ERR_CORRUPT, rec, type, prev, q, "expected a group separator after the field");
        q++;
        size_t ts = q;
        if ((rc = read_tag(b, end, &q, type, &field, rec, err, n)) != BEX_OK) return rc;
        if (field <= prev)
            return fail(err, n, BEX_ERR_CORRUPT, rec, type, field, ts,
                        "field out of order or repeated (after %d.%03d)", type, prev);
        if (r->n_fields >= BEX_NIST_MAX_FIELDS)
            return fail(err, n, BEX_ERR_LIMIT, rec, type, field, ts, "more than %d fields", BEX_NIST_MAX_FIELDS);
        size_t vs = q, ve;
        if (field == 999) {
            if (type != 10 && type != 14)
                return fail(err, n, BEX_ERR_CORRUPT, rec, type, field, ts, "field 999 (binary data) in a text record");
            ve = end;
        } else {
            ve = vs;
            while (ve < end && b[ve] != GS && b[ve] != FS) ve++;
            if (b[ve] == FS && ve != end)
                return fail(err, n, BEX_ERR_CORRUPT, rec, type, field, ve,
                            "a file separator before the record's end (LEN says byte %zu)", end);
            if (ve - vs > BEX_NIST_MAX_TEXT)
                return fail(err, n, BEX_ERR_LIMIT, rec, type, field, ts, "value of %zu bytes, over %zu",
                            ve - vs, BEX_NIST_MAX_TEXT);
        }
        if ((rc = bex_nist_add_field(r, field, b + vs, ve - vs)) != BEX_OK)
            return fail(err, n, rc, rec, type, field, ts, "out of memory");
        r->fields[r->n_fields - 1].offset = ts;
        prev = field;
        q = ve;
    }
    *pos = end + 1;
    return BEX_OK;
}

static int need_fields(const bex_nist_record *r, const int *f, int rec, char *err, size_t n) {
    for (int i = 0; f[i]; i++)
        if (!bex_nist_get(r, f[i]))
            return fail(err, n, BEX_ERR_CORRUPT, rec, r->type, f[i], r->offset, "mandatory field missing");
    return BEX_OK;
}

int bex_nist_parse(const uint8_t *buf, size_t size, bex_nist *out, char *err, size_t n) {
    static const int need1[] = {2, 3, 4, 5, 7, 8, 9, 11, 12, 0};
    static const int need2[] = {2, 0};
    static const int need10[] = {2, 3, 4, 999, 0};
    static const int need14[] = {2, 3, 4, 999, 0};
    if (err && n) err[0] = 0;
    if (!out || (!buf && size)) return BEX_ERR_ARG;
    memset(out, 0, sizeof *out);
    if (size > BEX_NIST_MAX_BYTES)
        return fail(err, n, BEX_ERR_LIMIT, 1, 0, 0, 0, "file of %zu bytes, over %zu", size, BEX_NIST_MAX_BYTES);
    if (size == 0) return fail(err, n, BEX_ERR_CORRUPT, 1, 0, 0, 0, "empty file");
    cnt_list *cnt = malloc(sizeof *cnt);
    if (!cnt) return BEX_ERR_NOMEM;
    int rc = BEX_OK;
    size_t pos = 0;
    bex_nist_record *r = bex_nist_add_record(out, 1);
    if (!r) { rc = BEX_ERR_NOMEM; goto done; }
    if ((rc = parse_record(buf, size, &pos, 1, 1, r, err, n)) != BEX_OK) goto done;
    if ((rc = need_fields(r, need1, 1, err, n)) != BEX_OK) goto done;
    const bex_nist_field *ver = bex_nist_get(r, 2);
    if (r->fields[1].field != 2 || r->fields[2].field != 3) {
        rc = fail(err, n, BEX_ERR_CORRUPT, 1, 1, r->fields[1].field, r->fields[1].offset,
                  "1.002 VER and 1.003 CNT must follow LEN");
        goto done;
    }
    long v;
    if (ver->len != 4 || parse_uint(ver->value, 4, &v) != 0) {
        rc = fail(err, n, BEX_ERR_CORRUPT, 1, 1, 2, ver->offset, "VER is not four digits");
        goto done;
    }
    if ((rc = parse_cnt(bex_nist_get(r, 3), cnt, err, n)) != BEX_OK) goto done;
    for (int i = 0; i < cnt->n; i++) {
        int rec = i + 2, type = cnt->type[i];
        if (pos >= size) {
            rc = fail(err, n, BEX_ERR_CORRUPT, rec, type, 0, pos,
                      "CNT lists %d records after the Type-1 but the file ends after %d", cnt->n, i);
            goto done;
        }
        if (!supported(type)) {
            rc = fail(err, n, BEX_ERR_UNSUPPORTED, rec, type, 0, pos,
                      "record type %d is not read (only 1, 2, 10, 14)", type);
            goto done;
        }
        if (!(r = bex_nist_add_record(out, type))) { rc = BEX_ERR_NOMEM; goto done; }
        if ((rc = parse_record(buf, size, &pos, rec, type, r, err, n)) != BEX_OK) goto done;
        const int *need = type == 2 ? need2 : type == 10 ? need10 : need14;
        if ((rc = need_fields(r, need, rec, err, n)) != BEX_OK) goto done;
        const bex_nist_field *idc = bex_nist_get(r, 2);
        long x;
        if (r->fields[1].field != 2 || parse_uint(idc->value, idc->len, &x) != 0 || x > 99) {
            rc = fail(err, n, BEX_ERR_CORRUPT, rec, type, 2, idc->offset, "IDC is not a number 0-99 right after LEN");
            goto done;
        }
        if (x != cnt->idc[i]) {
            rc = fail(err, n, BEX_ERR_CORRUPT, rec, type, 2, idc->offset,
                      "IDC %ld but CNT lists IDC %d for this record", x, cnt->idc[i]);
            goto done;
        }
        r->idc = (int)x;
    }
    if (pos != size)
        rc = fail(err, n, BEX_ERR_CORRUPT, cnt->n + 2, 0, 0, pos,
                  "%zu bytes after the %d records CNT lists", size - pos, cnt->n + 1);
done:
    free(cnt);
    if (rc != BEX_OK) bex_nist_free(out);
    return rc;
}

/* ------------------------------------------------------------------ writing */

typedef struct {
    uint8_t *p;
    size_t len, cap;
    int oom;
} wbuf;

static void put(wbuf *w, const void *d, size_t n) {
    if (w->oom || n == 0) return;
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->len + n) cap *= 2;
        uint8_t *p = realloc(w->p, cap);
        if (!p) { w->oom = 1; return; }
        w->p = p;
        w->cap = cap;
    }
    memcpy(w->p + w->len, d, n);
    w->len += n;
}
static void putc_(wbuf *w, int c) { uint8_t b = (uint8_t)c; put(w, &b, 1); }
static void puts_(wbuf *w, const char *s) { put(w, s, strlen(s)); }

static int ndigits(size_t v) { int d = 1; while (v >= 10) { v /= 10; d++; } return d; }

/* the record's bytes after its LEN digits (GS ... FS) */
static int write_body(const bex_nist_record *r, int rec, const char *cnt, wbuf *w, char *err, size_t n) {
    char tag[32];
    int prev = 1, wrote_cnt = 0;
    for (int i = 0; i <= r->n_fields; i++) {
        const bex_nist_field *f = i < r->n_fields ? &r->fields[i] : NULL;
        if (r->type == 1 && !wrote_cnt && (!f || f->field >= 3)) {
            snprintf(tag, sizeof tag, "%c1.003:", GS);
            puts_(w, tag);
            puts_(w, cnt);
            wrote_cnt = 1;
            prev = 3;
        }
        if (!f) break;
        if (f->field == 1 || (r->type == 1 && f->field == 3)) continue;
        if (f->field <= prev)
            return fail(err, n, BEX_ERR_ARG, rec, r->type, f->field, 0, "fields not in ascending order");
        if (f->field == 999) {
            if (r->type != 10 && r->type != 14)
                return fail(err, n, BEX_ERR_ARG, rec, r->type, 999, 0, "field 999 in a text record");
            if (i != r->n_fields - 1)
                return fail(err, n, BEX_ERR_ARG, rec, r->type, 999, 0, "field 999 is not last");
        } else {
            if (f->len > BEX_NIST_MAX_TEXT)
                return fail(err, n, BEX_ERR_ARG, rec, r->type, f->field, 0, "value over %zu bytes", BEX_NIST_MAX_TEXT);
            for (size_t k = 0; k < f->len; k++)
                if (f->value[k] == FS || f->value[k] == GS)
                    return fail(err, n, BEX_ERR_ARG, rec, r->type, f->field, 0,
                                "value holds a file or group separator at its byte %zu", k);
        }
        snprintf(tag, sizeof tag, "%c%d.%03d:", GS, r->type, f->field);
        puts_(w, tag);
        put(w, f->value, f->len);
        prev = f->field;
    }
    putc_(w, FS);
    return BEX_OK;
}

int bex_nist_write(const bex_nist *t, uint8_t **out, size_t *out_len, char *err, size_t n) {
    if (err && n) err[0] = 0;
    if (!t || !out || !out_len) return BEX_ERR_ARG;
    *out = NULL;
    *out_len = 0;
    if (t->n_records < 1 || t->records[0].type != 1)
        return fail(err, n, BEX_ERR_ARG, 1, 0, 0, 0, "the first record must be a Type-1");
    if (t->n_records > BEX_NIST_MAX_RECORDS)
        return fail(err, n, BEX_ERR_ARG, 1, 1, 0, 0, "more than %d records", BEX_NIST_MAX_RECORDS);
    /* CNT */
    wbuf c = {0};
    char item[32];
    snprintf(item, sizeof item, "1%c%d", US, t->n_records - 1);
    puts_(&c, item);
    for (int i = 1; i < t->n_records; i++) {
        const bex_nist_record *r = &t->records[i];
        const bex_nist_field *idc = bex_nist_get(r, 2);
        long x;
        if (!supported(r->type) || r->type == 1) {
            free(c.p);
            return fail(err, n, BEX_ERR_ARG, i + 1, r->type, 0, 0, "record type not written (only one 1, then 2, 10, 14)");
        }
        if (!idc || parse_uint(idc->value, idc->len, &x) != 0 || x > 99) {
            free(c.p);
            return fail(err, n, BEX_ERR_ARG, i + 1, r->type, 2, 0, "no IDC (x.002, 0-99)");
        }
        snprintf(item, sizeof item, "%c%d%c%02ld", RS, r->type, US, x);
        puts_(&c, item);
    }
    putc_(&c, 0);
    if (c.oom) { free(c.p); return BEX_ERR_NOMEM; }
    wbuf w = {0}, body = {0};
    int rc = BEX_OK;
    for (int i = 0; i < t->n_records && rc == BEX_OK; i++) {
        const bex_nist_record *r = &t->records[i];
        body.len = 0;
        rc = write_body(r, i + 1, (const char *)c.p, &body, err, n);
        if (rc != BEX_OK) break;
        if (body.oom) { rc = BEX_ERR_NOMEM; break; }
        char head[32];
        int hl = snprintf(head, sizeof head, "%d.001:", r->type);
        size_t b = (size_t)hl + body.len, len = b + (size_t)ndigits(b);
        while (b + (size_t)ndigits(len) != len) len = b + (size_t)ndigits(len);
        char lenstr[24];
        snprintf(lenstr, sizeof lenstr, "%zu", len);
        put(&w, head, (size_t)hl);
        puts_(&w, lenstr);
        put(&w, body.p, body.len);
        if (w.len > BEX_NIST_MAX_BYTES) rc = fail(err, n, BEX_ERR_ARG, i + 1, r->type, 0, 0, "transaction over %zu bytes", BEX_NIST_MAX_BYTES);
    }
    if (rc == BEX_OK && w.oom) rc = BEX_ERR_NOMEM;
    free(c.p);
    free(body.p);
    if (rc != BEX_OK) { free(w.p); return rc; }
    *out = w.p;
    *out_len = w.len;
    return BEX_OK;
}
