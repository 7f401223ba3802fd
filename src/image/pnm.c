/*
 * pnm.c - the Netpbm decoder: PGM and PPM, binary (P5, P6) and plain ASCII (P2, P3), to 8-bit
 * RGB. Our own strict parser: the header is "P<n>", width, height, maxval (1..65535) as
 * decimal tokens separated by whitespace and '#' comments, then exactly one whitespace byte
 * and the raster. Samples above 255 are two bytes, big-endian. Samples are scaled to 8 bits
 * as round(v * 255 / maxval); a sample above maxval is an error.
 * PBM bitmaps (P1, P4) and PAM (P7) are recognised and refused with a message.
 */
#include <string.h>

#include "image/decode.h"
#include "util/util.h"

typedef struct cursor {
    const uint8_t *p;
    size_t len, pos;
} cursor;

static int is_space(uint8_t c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Skips whitespace and, if allowed, '#' comments (to the end of the line). */
static void skip_space(cursor *c, int comments) {
    while (c->pos < c->len) {
        uint8_t ch = c->p[c->pos];
        if (is_space(ch)) {
            c->pos++;
        } else if (comments && ch == '#') {
            while (c->pos < c->len && c->p[c->pos] != '\n' && c->p[c->pos] != '\r') c->pos++;
        } else {
            break;
        }
    }
}

/* Reads an unsigned decimal up to max into *v. 0 = no number there (or end of data),
 * -1 = the number exceeds max. */
static int read_uint(cursor *c, uint32_t max, uint32_t *v, int comments) {
    skip_space(c, comments);
    if (c->pos >= c->len || c->p[c->pos] < '0' || c->p[c->pos] > '9') return 0;
    uint64_t n = 0;
    while (c->pos < c->len && c->p[c->pos] >= '0' && c->p[c->pos] <= '9') {
        n = n * 10 + (uint64_t)(c->p[c->pos++] - '0');
        if (n > max) return -1;
    }
    /* a number must end at whitespace, a comment (header only) or the end of the data */
    if (c->pos < c->len && !is_space(c->p[c->pos]) && !(comments && c->p[c->pos] == '#'))
        return 0;
    *v = (uint32_t)n;
    return 1;
}

static const char *header_field[3] = {"width", "height", "maxval"};

int bex__pnm_decode(const uint8_t *buf, size_t len, const bex_image_limits *lim,
                    bex_image *out, char *err, size_t errlen) {
    if (len < 2 || buf[0] != 'P')
        return bex__fail(err, errlen, BEX_ERR_FORMAT, "not a PNM image");
    const char kind = (char)buf[1];
    if (kind == '1' || kind == '4')
        return bex__fail(err, errlen, BEX_ERR_UNSUPPORTED,
                         "PBM bitmaps (P%c) are not supported; use a PGM, PPM, PNG or JPEG", kind);
    if (kind == '7')
        return bex__fail(err, errlen, BEX_ERR_UNSUPPORTED,
                         "PAM images (P7) are not supported; use a PGM, PPM, PNG or JPEG");
    if (kind != '2' && kind != '3' && kind != '5' && kind != '6')
        return bex__fail(err, errlen, BEX_ERR_FORMAT, "not a PNM image (magic P%c)", kind);
    const int ascii = kind == '2' || kind == '3';
    const int ch = (kind == '3' || kind == '6') ? 3 : 1;

    cursor c = {buf, len, 2};
    uint32_t f[3];
    const uint32_t fmax[3] = {0x7fffffff, 0x7fffffff, 65535};
    for (int i = 0; i < 3; i++) {
        int r = read_uint(&c, fmax[i], &f[i], 1);
        if (r < 0)
            return bex__fail(err, errlen, i == 2 ? BEX_ERR_CORRUPT : BEX_ERR_LIMIT,
                             "PNM %s in the header is too large", header_field[i]);
        if (r == 0)
            return bex__fail(err, errlen, BEX_ERR_CORRUPT,
                             c.pos >= len ? "PNM header is truncated (no %s)"
                                          : "PNM header is malformed (bad %s)",
                             header_field[i]);
    }
    const uint32_t w = f[0], h = f[1], maxval = f[2];
    if (maxval == 0)
        return bex__fail(err, errlen, BEX_ERR_CORRUPT, "PNM maxval is 0 (must be 1..65535)");
    int rc = bex__image_check_size(w, h, lim, "PNM", err, errlen);
    if (rc != BEX_OK) return rc;

    const size_t samples = (size_t)w * h * (size_t)ch; /* <= 2^40 * 3 after the check */
    const size_t bps = maxval > 255 ? 2 : 1;
    if (!ascii) {
        /* exactly one whitespace byte ends the header */
        if (c.pos >= len || !is_space(buf[c.pos]))
            return bex__fail(err, errlen, BEX_ERR_CORRUPT,
                             "PNM header is malformed (no whitespace after maxval)");
        c.pos++;
        size_t need = samples * bps;
        if (len - c.pos < need)
            return bex__fail(err, errlen, BEX_ERR_CORRUPT,
                             "PNM data is truncated (%zu of %zu raster bytes present)",
                             len - c.pos, need);
    } else if ((len - c.pos) / 2 + 1 < samples) {
        /* every ASCII sample takes at least a digit and a separator: refuse before allocating */
        return bex__fail(err, errlen, BEX_ERR_CORRUPT,
                         "PNM data is truncated (too few bytes for %zu samples)", samples);
    }
    bex_image img = {0, 0, NULL};
    rc = bex__image_alloc(&img, (int)w, (int)h, err, errlen);
    if (rc != BEX_OK) return rc;

    const uint32_t half = maxval / 2;
    uint8_t *d = img.px;
    for (size_t i = 0; i < samples; i++) {
        uint32_t v;
        if (ascii) {
            int r = read_uint(&c, maxval, &v, 0);
            if (r <= 0) {
                bex_image_free(&img);
                if (r < 0)
                    return bex__fail(err, errlen, BEX_ERR_CORRUPT,
                                     "PNM sample %zu is above maxval %u", i, maxval);
                skip_space(&c, 0);
                return bex__fail(err, errlen, BEX_ERR_CORRUPT,
                                 c.pos >= len ? "PNM data is truncated (%zu of %zu samples)"
                                              : "PNM data is malformed at sample %zu of %zu",
                                 i, samples);
            }
        } else {
            const uint8_t *s = buf + c.pos + i * bps;
            v = bps == 2 ? (uint32_t)s[0] << 8 | s[1] : s[0];
            if (v > maxval) {
                bex_image_free(&img);
                return bex__fail(err, errlen, BEX_ERR_CORRUPT,
                                 "PNM sample %zu is %u, above maxval %u", i, v, maxval);
            }
        }
        const uint8_t b = maxval == 255 ? (uint8_t)v : (uint8_t)((v * 255u + half) / maxval);
        if (ch == 3) {
            *d++ = b;
        } else {
            d[0] = d[1] = d[2] = b;
            d += 3;
        }
    }
    *out = img;
    return BEX_OK;
}
