/*
 * png.c - the PNG decoder: libpng from memory to 8-bit RGB.
 *
 * Every PNG flavour is normalised by libpng's own transforms: palette and low-bit grey are
 * expanded, 16-bit samples scaled to 8 bits (round(v / 257)), grey copied to R, G and B.
 * Alpha is dropped: a transparent pixel keeps its stored colour (not composited over any
 * background), which is what a browser's tf.browser.fromPixels hands face-api.js. No gamma
 * or colour-profile correction is applied.
 *
 * libpng allocates through bex__malloc (so allocation-failure tests reach it) and reports
 * errors by longjmp to the setjmp below.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "image/decode.h"
#include "util/util.h"

typedef struct png_ctx {
    const uint8_t *buf;
    size_t len, pos;
    int oom;       /* an allocation failed: report BEX_ERR_NOMEM, not corruption */
    int truncated; /* the reader ran off the end */
    char msg[192];
} png_ctx;

static void on_read(png_structp png, png_bytep dst, size_t n) {
    png_ctx *c = png_get_io_ptr(png);
    if (n > c->len - c->pos) {
        c->truncated = 1;
        png_error(png, "premature end of file");
    }
    memcpy(dst, c->buf + c->pos, n);
    c->pos += n;
}

static void on_error(png_structp png, png_const_charp msg) {
    png_ctx *c = png_get_error_ptr(png);
    snprintf(c->msg, sizeof c->msg, "%s", msg ? msg : "unknown libpng error");
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg; /* ancillary-chunk trouble: nothing a person can act on */
}

static png_voidp on_malloc(png_structp png, png_alloc_size_t n) {
    void *p = bex__malloc(n);
    if (!p) {
        png_ctx *c = png_get_mem_ptr(png);
        if (c) c->oom = 1;
    }
    return p;
}

static void on_free(png_structp png, png_voidp p) {
    (void)png;
    bex__free(p);
}

int bex__png_decode(const uint8_t *buf, size_t len, const bex_image_limits *lim,
                    bex_image *out, char *err, size_t errlen) {
    png_ctx c;
    memset(&c, 0, sizeof c);
    c.buf = buf;
    c.len = len;
    png_structp png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, &c, on_error, on_warning,
                                               &c, on_malloc, on_free);
    if (!png) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory decoding PNG");
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory decoding PNG");
    }
    /* written after setjmp and read after longjmp: volatile */
    uint8_t *volatile px = NULL;
    png_bytep *volatile rows = NULL;
    volatile int rc = BEX_OK;

    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        bex__free(px);
        bex__free(rows);
        if (rc != BEX_OK) return rc; /* our own check failed inside the libpng calls */
        if (c.oom) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory decoding PNG");
        if (c.truncated)
            return bex__fail(err, errlen, BEX_ERR_CORRUPT,
                             "PNG data is truncated (premature end of file)");
        return bex__fail(err, errlen, BEX_ERR_CORRUPT, "PNG data is corrupt: %s", c.msg);
    }
    png_set_read_fn(png, &c, on_read);
    /* Our limits, with our message, decide; libpng's own default cap would fire first. */
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    png_read_info(png, info);

    png_uint_32 w = 0, h = 0;
    int depth = 0, ctype = 0;
    png_get_IHDR(png, info, &w, &h, &depth, &ctype, NULL, NULL, NULL);
    rc = bex__image_check_size(w, h, lim, "PNG", err, errlen);
    if (rc != BEX_OK) png_longjmp(png, 1);

    png_set_expand(png);         /* palette -> RGB, grey < 8 bit -> 8 bit, tRNS -> alpha */
    png_set_scale_16(png);       /* 16 -> 8 bit, rounded */
    png_set_strip_alpha(png);    /* drop alpha (see the top of the file) */
    png_set_gray_to_rgb(png);
    (void)png_set_interlace_handling(png); /* png_read_image runs the passes */
    png_read_update_info(png, info);
    if (png_get_channels(png, info) != 3 || png_get_bit_depth(png, info) != 8 ||
        png_get_rowbytes(png, info) != (size_t)w * 3) {
        rc = bex__fail(err, errlen, BEX_ERR_UNSUPPORTED,
                       "PNG colour type %d at %d bits could not be converted to RGB", ctype,
                       depth);
        png_longjmp(png, 1);
    }
    bex_image img = {0, 0, NULL};
    rc = bex__image_alloc(&img, (int)w, (int)h, err, errlen);
    px = img.px;
    if (rc != BEX_OK) png_longjmp(png, 1);
    rows = bex__malloc((size_t)h * sizeof *rows);
    if (!rows) {
        rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory decoding PNG");
        png_longjmp(png, 1);
    }
    for (png_uint_32 y = 0; y < h; y++) rows[y] = px + (size_t)y * w * 3;
    png_read_image(png, rows);
    png_read_end(png, NULL); /* checks the rest up to IEND: a cut-off file is an error */
    png_destroy_read_struct(&png, &info, NULL);
    bex__free(rows);
    out->width = (int)w;
    out->height = (int)h;
    out->px = px;
    return BEX_OK;
}

/* ---- the PNG encoder (GET /v1/photo?as=png) ---- */

int bex_image_encode_png(const bex_image *img, uint8_t **out, size_t *len, char *err, size_t errlen) {
    *out = NULL;
    *len = 0;
    if (!img || !img->px || img->width <= 0 || img->height <= 0 ||
        (uint64_t)img->width * (uint64_t)img->height > BEX_IMAGE_DEFAULT_MAX_PIXELS) {
        if (err && errlen) snprintf(err, errlen, "an image to encode has between 1 and %llu pixels",
                                    (unsigned long long)BEX_IMAGE_DEFAULT_MAX_PIXELS);
        return BEX_ERR_ARG;
    }
    png_image pi;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    pi.width = (png_uint_32)img->width;
    pi.height = (png_uint_32)img->height;
    pi.format = PNG_FORMAT_RGB;
    png_alloc_size_t n = 0;
    /* first the size, then the bytes */
    if (!png_image_write_to_memory(&pi, NULL, &n, 0, img->px, 0, NULL) || n == 0) {
        if (err && errlen) snprintf(err, errlen, "PNG encoding failed: %s", pi.message);
        png_image_free(&pi);
        return BEX_ERR_IO;
    }
    uint8_t *b = malloc(n);
    if (!b) {
        if (err && errlen) snprintf(err, errlen, "out of memory");
        return BEX_ERR_NOMEM;
    }
    if (!png_image_write_to_memory(&pi, b, &n, 0, img->px, 0, NULL)) {
        if (err && errlen) snprintf(err, errlen, "PNG encoding failed: %s", pi.message);
        png_image_free(&pi);
        free(b);
        return BEX_ERR_IO;
    }
    *out = b;
    *len = (size_t)n;
    return BEX_OK;
}
