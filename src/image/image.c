/*
 * image.c - the public face of the image module: format sniffing, limits, dispatch to the
 * per-format decoders (jpeg.c, png.c, pnm.c, jp2.c) and reading a file with a byte cap.
 */
#include "bex/image.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "image/decode.h"
#include "util/util.h"

/* ------------------------------------------------------------------ limits */

/* "400 Mpx", "12.5 Mpx" or "90000 px" */
static void fmt_px(char *s, size_t n, uint64_t px) {
    if (px >= 1000000 && px % 1000000 == 0)
        snprintf(s, n, "%" PRIu64 " Mpx", px / 1000000);
    else if (px >= 1000000)
        snprintf(s, n, "%.1f Mpx", (double)px / 1e6);
    else
        snprintf(s, n, "%" PRIu64 " px", px);
}

/* "40.0 MiB" or "812 bytes" */
static void fmt_bytes(char *s, size_t n, uint64_t b) {
    if (b >= ((uint64_t)1 << 20))
        snprintf(s, n, "%.1f MiB", (double)b / (double)(1 << 20));
    else
        snprintf(s, n, "%" PRIu64 " bytes", b);
}

bex_image_limits bex__image_limits_effective(const bex_image_limits *l) {
    bex_image_limits e = {BEX_IMAGE_DEFAULT_MAX_FILE_BYTES, BEX_IMAGE_DEFAULT_MAX_PIXELS};
    if (l && l->max_file_bytes) e.max_file_bytes = l->max_file_bytes;
    if (l && l->max_pixels) e.max_pixels = l->max_pixels;
    return e;
}

int bex__image_check_size(uint64_t w, uint64_t h, const bex_image_limits *lim, const char *what,
                          char *err, size_t errlen) {
    if (w == 0 || h == 0)
        return bex__fail(err, errlen, BEX_ERR_CORRUPT,
                         "%s header gives an empty image (%" PRIu64 "x%" PRIu64 ")", what, w, h);
    if (w > BEX__IMAGE_MAX_SIDE || h > BEX__IMAGE_MAX_SIDE)
        return bex__fail(err, errlen, BEX_ERR_LIMIT,
                         "%s image is %" PRIu64 "x%" PRIu64 ", a side above the limit of %d px",
                         what, w, h, BEX__IMAGE_MAX_SIDE);
    uint64_t px = w * h; /* both <= 2^20, no overflow */
    if (px > lim->max_pixels) {
        char a[32], b[32];
        fmt_px(a, sizeof a, px);
        fmt_px(b, sizeof b, lim->max_pixels);
        return bex__fail(err, errlen, BEX_ERR_LIMIT,
                         "%s image is %" PRIu64 "x%" PRIu64 " = %s, above the limit of %s", what,
                         w, h, a, b);
    }
    size_t bytes;
    if (!bex__mul_size((size_t)px, 3, &bytes))
        return bex__fail(err, errlen, BEX_ERR_LIMIT, "%s image is too large for this machine",
                         what);
    return BEX_OK;
}

int bex__image_alloc(bex_image *img, int w, int h, char *err, size_t errlen) {
    size_t n;
    if (w <= 0 || h <= 0 || !bex__mul_size((size_t)w, (size_t)h, &n) || !bex__mul_size(n, 3, &n))
        return bex__fail(err, errlen, BEX_ERR_LIMIT, "image of %dx%d px is too large", w, h);
    img->px = bex__malloc(n);
    if (!img->px) {
        char b[32];
        fmt_bytes(b, sizeof b, n);
        return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for a %dx%d image (%s)", w,
                         h, b);
    }
    img->width = w;
    img->height = h;
    return BEX_OK;
}

/* ------------------------------------------------------------------ sniffing */

static const uint8_t JP2_SIG[12] = {0, 0, 0, 0x0C, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A};

bex_image_format bex_image_sniff(const uint8_t *buf, size_t len) {
    if (!buf) return BEX_IMAGE_UNKNOWN;
    if (len >= 3 && buf[0] == 0xFF && buf[1] == 0xD8 && buf[2] == 0xFF) return BEX_IMAGE_JPEG;
    if (len >= 8 && memcmp(buf, "\x89PNG\r\n\x1a\n", 8) == 0) return BEX_IMAGE_PNG;
    if (len >= 12 && memcmp(buf, JP2_SIG, 12) == 0) return BEX_IMAGE_JP2;
    if (len >= 4 && buf[0] == 0xFF && buf[1] == 0x4F && buf[2] == 0xFF && buf[3] == 0x51)
        return BEX_IMAGE_JP2; /* raw J2K codestream: SOC then SIZ */
    if (len >= 3 && buf[0] == 'P' && buf[1] >= '1' && buf[1] <= '7' &&
        (buf[2] == ' ' || buf[2] == '\t' || buf[2] == '\n' || buf[2] == '\r' || buf[2] == '#'))
        return BEX_IMAGE_PNM;
    return BEX_IMAGE_UNKNOWN;
}

/* A helpful message for formats people commonly send that bex does not read. */
static int unknown_format(const uint8_t *b, size_t len, char *err, size_t errlen) {
    const char *name = NULL;
    if (len >= 6 && (memcmp(b, "GIF87a", 6) == 0 || memcmp(b, "GIF89a", 6) == 0)) name = "GIF";
    else if (len >= 2 && b[0] == 'B' && b[1] == 'M') name = "BMP";
    else if (len >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0)
        name = "WebP";
    else if (len >= 12 && memcmp(b + 4, "ftyp", 4) == 0) name = "HEIF/AVIF";
    else if (len >= 4 && (memcmp(b, "II*\0", 4) == 0 || memcmp(b, "MM\0*", 4) == 0))
        name = "TIFF";
    if (name)
        return bex__fail(err, errlen, BEX_ERR_FORMAT,
                         "%s images are not supported; convert it to JPEG or PNG", name);
    char hex[3 * 8 + 1] = "";
    size_t n = len < 8 ? len : 8;
    for (size_t i = 0, at = 0; i < n; i++)
        at += (size_t)snprintf(hex + at, sizeof hex - at, i ? " %02x" : "%02x", b[i]);
    return bex__fail(err, errlen, BEX_ERR_FORMAT,
                     "not a JPEG, PNG, PNM or JPEG 2000 image (it starts with bytes %s)", hex);
}

/* ------------------------------------------------------------------ decoding */

int bex_image_decode(const uint8_t *buf, size_t len, const bex_image_limits *limits,
                     bex_image *out, char *err, size_t errlen) {
    if (err && errlen) err[0] = '\0';
    if (!out || (!buf && len))
        return bex__fail(err, errlen, BEX_ERR_ARG, "bex_image_decode: NULL buffer or output");
    bex_image_limits lim = bex__image_limits_effective(limits);
    if (len == 0) return bex__fail(err, errlen, BEX_ERR_FORMAT, "input is empty (0 bytes)");
    if (len > lim.max_file_bytes) {
        char a[32], b[32];
        fmt_bytes(a, sizeof a, len);
        fmt_bytes(b, sizeof b, lim.max_file_bytes);
        return bex__fail(err, errlen, BEX_ERR_LIMIT, "input is %s, above the limit of %s", a, b);
    }
    bex_image img = {0, 0, NULL};
    int rc;
    switch (bex_image_sniff(buf, len)) {
    case BEX_IMAGE_JPEG: rc = bex__jpeg_decode(buf, len, &lim, &img, err, errlen); break;
    case BEX_IMAGE_PNG: rc = bex__png_decode(buf, len, &lim, &img, err, errlen); break;
    case BEX_IMAGE_PNM: rc = bex__pnm_decode(buf, len, &lim, &img, err, errlen); break;
    case BEX_IMAGE_JP2: rc = bex__jp2_decode(buf, len, &lim, &img, err, errlen); break;
    default: return unknown_format(buf, len, err, errlen);
    }
    if (rc == BEX_OK) *out = img;
    return rc;
}

/* Prefixes err with "path: ". */
static int name_err(const char *path, int rc, char *err, size_t errlen) {
    if (!err || !errlen) return rc;
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s", err);
    snprintf(err, errlen, "%s: %s", path, tmp);
    return rc;
}

int bex_image_load(const char *path, const bex_image_limits *limits, bex_image *out, char *err,
                   size_t errlen) {
    if (err && errlen) err[0] = '\0';
    if (!path || !out)
        return bex__fail(err, errlen, BEX_ERR_ARG, "bex_image_load: NULL path or output");
    bex_image_limits lim = bex__image_limits_effective(limits);
    FILE *f = fopen(path, "rb");
    if (!f)
        return bex__fail(err, errlen, BEX_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    int regular = 0;
    if (fstat(fileno(f), &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            fclose(f);
            return bex__fail(err, errlen, BEX_ERR_IO, "%s: is a directory, not an image file",
                             path);
        }
        if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > lim.max_file_bytes) {
            char a[32], b[32];
            fmt_bytes(a, sizeof a, (uint64_t)st.st_size);
            fmt_bytes(b, sizeof b, lim.max_file_bytes);
            fclose(f);
            return bex__fail(err, errlen, BEX_ERR_LIMIT, "%s: file is %s, above the limit of %s",
                             path, a, b);
        }
        regular = S_ISREG(st.st_mode);
    }
    /* Read at most max_file_bytes + 1 bytes, growing the buffer, so that a pipe, or a file
     * that grows while we read, cannot push us past the cap. A regular file is usually one
     * read into a buffer of its size + 1 (the + 1 sees EOF). */
    size_t want = lim.max_file_bytes < SIZE_MAX ? lim.max_file_bytes + 1 : SIZE_MAX;
    size_t cap = regular ? (size_t)st.st_size + 1 : 64 * 1024, len = 0;
    if (cap > want) cap = want;
    uint8_t *buf = bex__malloc(cap);
    int rc = buf ? BEX_OK
                 : bex__fail(err, errlen, BEX_ERR_NOMEM, "%s: out of memory reading the file",
                             path);
    while (rc == BEX_OK) {
        if (len == cap) {
            if (cap >= want) break;
            size_t ncap = cap <= want / 2 ? cap * 2 : want;
            uint8_t *nb = bex__realloc(buf, ncap);
            if (!nb) {
                rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "%s: out of memory reading the file",
                               path);
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f))
                rc = bex__fail(err, errlen, BEX_ERR_IO, "%s: read error: %s", path,
                               strerror(errno));
            break;
        }
    }
    fclose(f);
    if (rc == BEX_OK && len > lim.max_file_bytes) {
        char b[32];
        fmt_bytes(b, sizeof b, lim.max_file_bytes);
        rc = bex__fail(err, errlen, BEX_ERR_LIMIT, "%s: file is above the limit of %s", path, b);
    }
    if (rc == BEX_OK) {
        rc = bex_image_decode(buf, len, &lim, out, err, errlen);
        if (rc != BEX_OK) name_err(path, rc, err, errlen);
    }
    bex__free(buf);
    return rc;
}

void bex_image_free(bex_image *img) {
    if (!img) return;
    bex__free(img->px);
    img->px = NULL;
    img->width = img->height = 0;
}
