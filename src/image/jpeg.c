/*
 * jpeg.c - the JPEG decoder: libjpeg(-turbo) from memory to 8-bit RGB, with EXIF orientation.
 *
 * libjpeg reports errors by calling error_exit (which by default exit()s) and corrupt data by
 * warnings it then papers over with grey pixels. Both are routed here to a longjmp back into
 * bex__jpeg_decode, so a damaged or truncated file is an error with libjpeg's own words, not
 * a half-grey face. A few warnings that do not touch the pixels (an odd JFIF version, junk
 * bytes between markers) are let through.
 */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#include "image/decode.h"
#include "image/transform.h"
#include "util/util.h"

/* A valid progressive file has about ten scans; thousands of empty ones are a known way to
 * make libjpeg spin for minutes on a few kilobytes. */
#define MAX_SCANS 500

typedef struct jpeg_ctx {
    struct jpeg_error_mgr pub; /* first, so a j_common_ptr's err can be cast back */
    struct jpeg_progress_mgr progress;
    jmp_buf jb;
    int status;
    char msg[JMSG_LENGTH_MAX + 128];
} jpeg_ctx;

static void fail_jump(j_common_ptr c, int status) {
    jpeg_ctx *x = (jpeg_ctx *)c->err;
    char m[JMSG_LENGTH_MAX];
    (*c->err->format_message)(c, m);
    x->status = status;
    if (c->err->msg_code == JWRN_JPEG_EOF || c->err->msg_code == JERR_INPUT_EOF ||
        c->err->msg_code == JERR_INPUT_EMPTY)
        snprintf(x->msg, sizeof x->msg, "JPEG data is truncated (premature end of file)");
    else if (status == BEX_ERR_NOMEM)
        snprintf(x->msg, sizeof x->msg, "out of memory decoding JPEG (%s)", m);
    else if (status == BEX_ERR_UNSUPPORTED)
        snprintf(x->msg, sizeof x->msg, "JPEG variant not supported: %s; save it as a baseline "
                 "or progressive 8-bit JPEG", m);
    else {
        const char *p = m; /* libjpeg's warnings already say it; do not say it twice */
        if (strncmp(p, "Corrupt JPEG data: ", 19) == 0) p += 19;
        snprintf(x->msg, sizeof x->msg, "JPEG data is corrupt: %s", p);
    }
    longjmp(x->jb, 1);
}

static void on_error_exit(j_common_ptr c) {
    switch (c->err->msg_code) {
    case JERR_OUT_OF_MEMORY: fail_jump(c, BEX_ERR_NOMEM); break;
    case JERR_BAD_PRECISION:   /* 12- or 16-bit samples */
    case JERR_SOF_UNSUPPORTED: /* lossless and hierarchical JPEG */
    case JERR_ARITH_NOTIMPL:
    case JERR_NOT_COMPILED: fail_jump(c, BEX_ERR_UNSUPPORTED); break;
    default: fail_jump(c, BEX_ERR_CORRUPT);
    }
}

static void on_emit_message(j_common_ptr c, int level) {
    if (level >= 0) return; /* trace output */
    switch (c->err->msg_code) {
    case JWRN_ADOBE_XFORM:
    case JWRN_EXTRANEOUS_DATA:
    case JWRN_JFIF_MAJOR:
    case JWRN_BOGUS_ICC:
    case JWRN_TOO_MUCH_DATA:
        c->err->num_warnings++;
        return;
    default: fail_jump(c, BEX_ERR_CORRUPT); /* bad Huffman code, premature end, ... */
    }
}

static void on_progress(j_common_ptr c) {
    if (!c->is_decompressor) return;
    j_decompress_ptr d = (j_decompress_ptr)c;
    if (d->input_scan_number > MAX_SCANS) {
        jpeg_ctx *x = (jpeg_ctx *)c->err;
        x->status = BEX_ERR_CORRUPT;
        snprintf(x->msg, sizeof x->msg,
                 "JPEG data is corrupt: more than %d progressive scans", MAX_SCANS);
        longjmp(x->jb, 1);
    }
}

/* CMYK as Adobe writes it (inverted when an Adobe marker is present) to RGB, naively:
 * bex needs a recognisable face, not colour management. */
static void cmyk_row_to_rgb(const uint8_t *s, uint8_t *d, int w, int inverted) {
    for (int x = 0; x < w; x++, s += 4, d += 3) {
        unsigned k = inverted ? s[3] : 255u - s[3];
        for (int i = 0; i < 3; i++) {
            unsigned v = inverted ? s[i] : 255u - s[i];
            d[i] = (uint8_t)((v * k + 127) / 255);
        }
    }
}

int bex__jpeg_decode(const uint8_t *buf, size_t len, const bex_image_limits *lim,
                     bex_image *out, char *err, size_t errlen) {
    struct jpeg_decompress_struct cinfo;
    jpeg_ctx x;
    /* written after setjmp and read after longjmp: volatile */
    uint8_t *volatile px = NULL;
    uint8_t *volatile row = NULL;

    memset(&cinfo, 0, sizeof cinfo);
    memset(&x, 0, sizeof x);
    cinfo.err = jpeg_std_error(&x.pub);
    x.pub.error_exit = on_error_exit;
    x.pub.emit_message = on_emit_message;
    x.progress.progress_monitor = on_progress;
    if (setjmp(x.jb)) {
        jpeg_destroy_decompress(&cinfo);
        bex__free(px);
        bex__free(row);
        return bex__fail(err, errlen, x.status, "%s", x.msg);
    }
    jpeg_create_decompress(&cinfo);
    cinfo.progress = &x.progress;
    if ((unsigned long)len != len) { /* only on a 32-bit long with a > 4 GiB buffer */
        jpeg_destroy_decompress(&cinfo);
        return bex__fail(err, errlen, BEX_ERR_LIMIT, "JPEG input is too large");
    }
    jpeg_mem_src(&cinfo, buf, (unsigned long)len);
    jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&cinfo, TRUE);

    int rc = bex__image_check_size(cinfo.image_width, cinfo.image_height, lim, "JPEG", err,
                                   errlen);
    if (rc != BEX_OK) {
        jpeg_destroy_decompress(&cinfo);
        return rc;
    }
    int cmyk = 0;
    switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE:
    case JCS_YCbCr:
    case JCS_RGB: cinfo.out_color_space = JCS_RGB; break;
    case JCS_CMYK:
    case JCS_YCCK: cinfo.out_color_space = JCS_CMYK; cmyk = 1; break;
    default:
        jpeg_destroy_decompress(&cinfo);
        return bex__fail(err, errlen, BEX_ERR_UNSUPPORTED,
                         "JPEG with %d colour components of unknown meaning is not supported",
                         cinfo.num_components);
    }
    int inverted = cinfo.saw_Adobe_marker;
    jpeg_start_decompress(&cinfo);
    const int w = (int)cinfo.output_width, h = (int)cinfo.output_height;
    if (w != (int)cinfo.image_width || h != (int)cinfo.image_height ||
        cinfo.output_components != (cmyk ? 4 : 3)) { /* our own invariant, but cheap to keep */
        jpeg_destroy_decompress(&cinfo);
        return bex__fail(err, errlen, BEX_ERR_UNSUPPORTED, "JPEG output layout not supported");
    }
    bex_image img = {0, 0, NULL};
    rc = bex__image_alloc(&img, w, h, err, errlen);
    if (rc == BEX_OK && cmyk && !(row = bex__malloc((size_t)w * 4)))
        rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory decoding JPEG");
    px = img.px;
    if (rc != BEX_OK) {
        jpeg_destroy_decompress(&cinfo);
        bex__free(px);
        return rc;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        uint8_t *dst = px + (size_t)cinfo.output_scanline * w * 3;
        JSAMPROW r = cmyk ? row : dst;
        if (jpeg_read_scanlines(&cinfo, &r, 1) != 1) {
            /* a memory source never suspends; treat it as truncation rather than loop */
            jpeg_destroy_decompress(&cinfo);
            bex__free(px);
            bex__free(row);
            return bex__fail(err, errlen, BEX_ERR_CORRUPT,
                             "JPEG data is truncated (premature end of file)");
        }
        if (cmyk) cmyk_row_to_rgb(row, dst, w, inverted);
    }
    int orientation = 0;
    for (jpeg_saved_marker_ptr m = cinfo.marker_list; m && !orientation; m = m->next)
        if (m->marker == JPEG_APP0 + 1) orientation = bex__exif_orientation(m->data, m->data_length);
    jpeg_finish_decompress(&cinfo); /* reads to EOI: a missing tail is caught here */
    jpeg_destroy_decompress(&cinfo);
    bex__free(row);

    rc = bex__image_orient(&img, orientation, err, errlen);
    if (rc != BEX_OK) {
        bex__free(img.px);
        return rc;
    }
    *out = img;
    return BEX_OK;
}
