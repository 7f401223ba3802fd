/*
 * tlv.c - the BER-TLV reader and writer of the chip's files (include/bex/lds.h), as ISO/IEC
 * 7816-4 and ICAO Doc 9303 Part 10 use them: tags of 1-3 bytes, definite lengths (short form,
 * or 0x81..0x83 and that many bytes), nothing indefinite. Every read is checked against the end
 * of the enclosing value before it happens; offsets in messages count from the file's start.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "doc/lds_impl.h"
#include "util/util.h"

/* ------------------------------------------------------------------ reading */

int lds__fail(lds__ctx *c, int status, const char *fmt, ...) {
    if (c->err && c->errlen > 0) {
        int n = snprintf(c->err, c->errlen, "%s: ", c->name ? c->name : "TLV");
        if (n < 0) n = 0;
        if ((size_t)n < c->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return status;
}

int lds__tlv_next(lds__ctx *c, size_t end, size_t *pos, bex_tlv *t) {
    const uint8_t *b = c->buf;
    size_t p = *pos;
    if (end > c->len || p > end) return lds__fail(c, BEX_ERR_ARG, "TLV read outside the buffer");
    if (p >= end)
        return lds__fail(c, BEX_ERR_CORRUPT, "truncated at byte %zu: a tag was expected", p);
    size_t start = p;
    uint32_t tag = b[p++];
    if (tag == 0x00 || tag == 0xFF)
        return lds__fail(c, BEX_ERR_CORRUPT, "byte %zu: 0x%02X is not a tag (padding?)", start,
                         (unsigned)tag);
    if ((tag & 0x1F) == 0x1F) { /* the tag number continues in the next bytes */
        int n = 1;
        for (;;) {
            if (p >= end)
                return lds__fail(c, BEX_ERR_CORRUPT,
                                 "truncated at byte %zu: tag at byte %zu is cut off", p, start);
            uint8_t nb = b[p++];
            tag = (tag << 8) | nb;
            n++;
            if (!(nb & 0x80)) break;
            if (n >= 3)
                return lds__fail(c, BEX_ERR_LIMIT, "byte %zu: tag longer than 3 bytes", start);
        }
    }
    if (p >= end)
        return lds__fail(c, BEX_ERR_CORRUPT,
                         "truncated at byte %zu: tag %02X has no length", p, (unsigned)tag);
    size_t len;
    uint8_t l0 = b[p++];
    if (l0 < 0x80) {
        len = l0;
    } else if (l0 == 0x80) {
        return lds__fail(c, BEX_ERR_CORRUPT,
                         "byte %zu: tag %02X has an indefinite length (not allowed)", p - 1,
                         (unsigned)tag);
    } else {
        int nl = l0 & 0x7F;
        if (nl > 3)
            return lds__fail(c, BEX_ERR_LIMIT,
                             "byte %zu: tag %02X's length has %d bytes (at most 3: 16 MiB)", p - 1,
                             (unsigned)tag, nl);
        if ((size_t)nl > end - p)
            return lds__fail(c, BEX_ERR_CORRUPT,
                             "truncated at byte %zu: tag %02X's length is cut off", end,
                             (unsigned)tag);
        len = 0;
        for (int i = 0; i < nl; i++) len = (len << 8) | b[p++];
    }
    if (len > BEX_TLV_MAX_LEN)
        return lds__fail(c, BEX_ERR_LIMIT, "byte %zu: tag %02X's length %zu is over the limit",
                         start, (unsigned)tag, len);
    if (len > end - p)
        return lds__fail(c, BEX_ERR_CORRUPT,
                         "truncated at byte %zu: tag %02X at byte %zu says %zu bytes, %zu remain",
                         end, (unsigned)tag, start, len, end - p);
    uint32_t first = tag;
    while (first > 0xFF) first >>= 8;
    t->tag = tag;
    t->constructed = (first & 0x20) != 0;
    t->off = start;
    t->val_off = p;
    t->len = len;
    *pos = p + len;
    return BEX_OK;
}

int lds__tlv_check(lds__ctx *c, size_t off, size_t end, int depth, int max_depth,
                   uint32_t opaque_tag) {
    size_t pos = off;
    while (pos < end) {
        bex_tlv t;
        int rc = lds__tlv_next(c, end, &pos, &t);
        if (rc != BEX_OK) return rc;
        if (t.constructed && t.tag != opaque_tag) {
            if (depth + 1 > max_depth)
                return lds__fail(c, BEX_ERR_LIMIT,
                                 "byte %zu: tag %02X nested deeper than %d levels", t.off,
                                 (unsigned)t.tag, max_depth);
            rc = lds__tlv_check(c, t.val_off, t.val_off + t.len, depth + 1, max_depth,
                                opaque_tag);
            if (rc != BEX_OK) return rc;
        }
    }
    return BEX_OK;
}

int bex_tlv_next(const uint8_t *buf, size_t end, size_t *pos, bex_tlv *out, char *err,
                 size_t errlen) {
    if (!buf || !pos || !out) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_tlv_next: NULL argument");
    lds__ctx c = {buf, end, "TLV", err, errlen};
    bex_tlv t;
    int rc = lds__tlv_next(&c, end, pos, &t);
    if (rc == BEX_OK) *out = t;
    return rc;
}

int bex_tlv_check(const uint8_t *buf, size_t off, size_t end, int max_depth, char *err,
                  size_t errlen) {
    if (!buf && end > 0) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_tlv_check: NULL buffer");
    if (off > end) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_tlv_check: offset past end");
    if (max_depth <= 0 || max_depth > BEX_TLV_MAX_DEPTH) max_depth = BEX_TLV_MAX_DEPTH;
    lds__ctx c = {buf, end, "TLV", err, errlen};
    return lds__tlv_check(&c, off, end, 1, max_depth, 0);
}

/* ------------------------------------------------------------------ writing */

void bex_bytes_free(bex_bytes *b) {
    if (!b) return;
    bex__free(b->data);
    memset(b, 0, sizeof *b);
}

int bex_bytes_done(const bex_bytes *b) {
    if (!b) return BEX_ERR_ARG;
    if (b->failed) return b->failed;
    if (b->depth != 0) return BEX_ERR_ARG;
    return BEX_OK;
}

static int reserve(bex_bytes *b, size_t n) {
    if (b->failed) return 0;
    if (n > BEX_TLV_MAX_LEN + 16 || b->len > BEX_TLV_MAX_LEN + 16 - n) {
        b->failed = BEX_ERR_LIMIT;
        return 0;
    }
    if (b->len + n <= b->cap) return 1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n) cap *= 2;
    uint8_t *d = bex__realloc(b->data, cap);
    if (!d) {
        b->failed = BEX_ERR_NOMEM;
        return 0;
    }
    b->data = d;
    b->cap = cap;
    return 1;
}

void bex_bytes_put(bex_bytes *b, const void *p, size_t n) {
    if (!b || !reserve(b, n)) return;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
}

static size_t tag_bytes(uint32_t tag, uint8_t out[3]) {
    if (tag > 0xFFFF) {
        out[0] = (uint8_t)(tag >> 16), out[1] = (uint8_t)(tag >> 8), out[2] = (uint8_t)tag;
        return 3;
    }
    if (tag > 0xFF) {
        out[0] = (uint8_t)(tag >> 8), out[1] = (uint8_t)tag;
        return 2;
    }
    out[0] = (uint8_t)tag;
    return 1;
}

static size_t len_bytes(size_t len, uint8_t out[4]) {
    if (len < 0x80) {
        out[0] = (uint8_t)len;
        return 1;
    }
    if (len <= 0xFF) {
        out[0] = 0x81, out[1] = (uint8_t)len;
        return 2;
    }
    if (len <= 0xFFFF) {
        out[0] = 0x82, out[1] = (uint8_t)(len >> 8), out[2] = (uint8_t)len;
        return 3;
    }
    out[0] = 0x83, out[1] = (uint8_t)(len >> 16), out[2] = (uint8_t)(len >> 8), out[3] = (uint8_t)len;
    return 4;
}

void bex_tlv_put(bex_bytes *b, uint32_t tag, const void *val, size_t len) {
    if (!b || b->failed) return;
    if (tag > 0xFFFFFF || len > BEX_TLV_MAX_LEN) {
        b->failed = BEX_ERR_ARG;
        return;
    }
    uint8_t hdr[7];
    size_t n = tag_bytes(tag, hdr);
    n += len_bytes(len, hdr + n);
    bex_bytes_put(b, hdr, n);
    bex_bytes_put(b, val, len);
}

/* The tag goes out now; the value's start is remembered and the length is inserted before
 * it on close (moving the value up by the length's size). */
void bex_tlv_open(bex_bytes *b, uint32_t tag) {
    if (!b || b->failed) return;
    if (b->depth >= BEX_TLV_MAX_DEPTH || tag > 0xFFFFFF) {
        b->failed = BEX_ERR_ARG;
        return;
    }
    uint8_t hdr[3];
    bex_bytes_put(b, hdr, tag_bytes(tag, hdr));
    if (b->failed) return;
    b->open[b->depth++] = b->len;
}

void bex_tlv_close(bex_bytes *b) {
    if (!b || b->failed) return;
    if (b->depth <= 0) {
        b->failed = BEX_ERR_ARG;
        return;
    }
    size_t start = b->open[--b->depth];
    size_t len = b->len - start;
    if (len > BEX_TLV_MAX_LEN) {
        b->failed = BEX_ERR_LIMIT;
        return;
    }
    uint8_t lb[4];
    size_t nl = len_bytes(len, lb);
    if (!reserve(b, nl)) return;
    memmove(b->data + start + nl, b->data + start, len);
    memcpy(b->data + start, lb, nl);
    b->len += nl;
}
