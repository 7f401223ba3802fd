/*
 * jp2.c - the JPEG 2000 decoder (passport and ID-card chip photos): OpenJPEG from memory, both
 * the JP2 box format and a raw J2K codestream, to 8-bit RGB.
 *
 * The SIZ marker is read by our own bounds-checked code first and the pixel, tile and
 * component limits applied before OpenJPEG allocates anything (a few hundred bytes can
 * otherwise declare 50000 tiles); OpenJPEG's header is checked again before opj_decode. The
 * decoder runs in strict mode, so a truncated codestream is an error rather than a blurred
 * partial image. Components: 1 or 2 (grey, + alpha) or 3..4 (RGB / YCbCr / CMYK, + alpha);
 * alpha is ignored. Any precision and signedness is scaled to 8 bits; subsampled components
 * (e.g. 4:2:0 YCbCr) are upsampled by repeating samples. OpenJPEG's own allocations do not go
 * through bex__malloc (its allocator cannot be replaced).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Distributions install the header under openjpeg-2.5/; the Makefile adds no -I for it. */
#if defined(__has_include)
#if __has_include(<openjpeg.h>)
#include <openjpeg.h>
#else
#include <openjpeg-2.5/openjpeg.h>
#endif
#else
#include <openjpeg-2.5/openjpeg.h>
#endif

#include "image/decode.h"
#include "util/util.h"

/* More components than this is multispectral imagery, not a photo; refusing it also bounds
 * OpenJPEG's memory at a few bytes per pixel per component. */
#define MAX_COMPS 4

/* Each tile costs OpenJPEG a fixed setup already in opj_read_header: a few hundred bytes
 * declaring 50000 tiny tiles take seconds and hundreds of MB before any pixel. Real files use
 * one tile, or tiles of 256 px and up (a 50 Mpx image in 128 x 128 tiles is about 3000). */
#define MAX_TILES 4096

typedef struct mem_stream {
    const uint8_t *buf;
    size_t len, pos;
} mem_stream;

static OPJ_SIZE_T mem_read(void *dst, OPJ_SIZE_T n, void *user) {
    mem_stream *m = user;
    size_t left = m->len - m->pos;
    if (left == 0) return (OPJ_SIZE_T)-1;
    if (n > left) n = left;
    memcpy(dst, m->buf + m->pos, n);
    m->pos += n;
    return n;
}

static OPJ_OFF_T mem_skip(OPJ_OFF_T n, void *user) {
    mem_stream *m = user;
    if (n < 0) {
        if ((uint64_t)-n > m->pos) return -1;
        m->pos -= (size_t)-n;
        return n;
    }
    size_t left = m->len - m->pos;
    if ((uint64_t)n > left) n = (OPJ_OFF_T)left;
    m->pos += (size_t)n;
    return n;
}

static OPJ_BOOL mem_seek(OPJ_OFF_T off, void *user) {
    mem_stream *m = user;
    if (off < 0 || (uint64_t)off > m->len) return OPJ_FALSE;
    m->pos = (size_t)off;
    return OPJ_TRUE;
}

static void on_quiet(const char *msg, void *user) {
    (void)msg;
    (void)user;
}

/* Keeps OpenJPEG's first error, the specific one; later ones are generic follow-ups. */
static void on_error(const char *msg, void *user) {
    char *dst = user;
    if (dst[0] || !msg) return;
    snprintf(dst, 160, "%s", msg);
    size_t n = strlen(dst);
    while (n && (dst[n - 1] == '\n' || dst[n - 1] == '\r' || dst[n - 1] == ' ')) dst[--n] = '\0';
}

/* One component's sample under reference-grid pixel (X, Y), shifted to unsigned and clamped
 * to 0 .. 2^prec - 1. */
static uint32_t sample(const opj_image_comp_t *c, uint32_t X, uint32_t Y) {
    int64_t ix = (int64_t)(X / c->dx) - c->x0, iy = (int64_t)(Y / c->dy) - c->y0;
    if (ix < 0) ix = 0;
    if (ix >= c->w) ix = c->w - 1;
    if (iy < 0) iy = 0;
    if (iy >= c->h) iy = c->h - 1;
    int64_t v = c->data[(size_t)iy * c->w + (size_t)ix];
    if (c->sgnd) v += (int64_t)1 << (c->prec - 1);
    int64_t max = ((int64_t)1 << c->prec) - 1;
    return (uint32_t)(v < 0 ? 0 : v > max ? max : v);
}

static uint8_t to8(uint32_t v, uint32_t prec) {
    if (prec == 8) return (uint8_t)v;
    uint64_t max = ((uint64_t)1 << prec) - 1;
    return (uint8_t)(((uint64_t)v * 255 + max / 2) / max);
}

static uint8_t clamp8(double v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : lrint(v)); }

/* Fills img from the decoded components; BEX_ERR_UNSUPPORTED / CORRUPT with a message. */
static int convert(const opj_image_t *im, bex_image *img, char *err, size_t errlen) {
    const uint32_t n = im->numcomps;
    if (n < 1 || n > MAX_COMPS || !im->comps)
        return bex__fail(err, errlen, BEX_ERR_UNSUPPORTED,
                         "JPEG 2000 image with %u components after decoding is not supported", n);
    const int grey = n < 3;
    const uint32_t used = grey ? 1 : 3;
    for (uint32_t i = 0; i < used; i++) {
        const opj_image_comp_t *c = &im->comps[i];
        if (!c->data || c->w == 0 || c->h == 0 || c->dx == 0 || c->dy == 0)
            return bex__fail(err, errlen, BEX_ERR_CORRUPT,
                             "JPEG 2000 component %u has no decoded data", i);
        if (c->prec < 1 || c->prec > 31)
            return bex__fail(err, errlen, BEX_ERR_UNSUPPORTED,
                             "JPEG 2000 component %u has %u-bit samples (1..31 supported)", i,
                             c->prec);
        if (i > 0 && c->prec != im->comps[0].prec && im->color_space == OPJ_CLRSPC_SYCC)
            return bex__fail(err, errlen, BEX_ERR_UNSUPPORTED,
                             "JPEG 2000 YCbCr with mixed sample precisions is not supported");
    }
    const int sycc = !grey && im->color_space == OPJ_CLRSPC_SYCC;
    const int cmyk = !grey && n == 4 && im->color_space == OPJ_CLRSPC_CMYK;
    if (!grey && im->color_space == OPJ_CLRSPC_EYCC)
        return bex__fail(err, errlen, BEX_ERR_UNSUPPORTED,
                         "JPEG 2000 in the e-YCC colour space is not supported");
    const uint32_t W = (uint32_t)img->width, H = (uint32_t)img->height;
    uint8_t *d = img->px;
    for (uint32_t y = 0; y < H; y++) {
        for (uint32_t x = 0; x < W; x++, d += 3) {
            const uint32_t X = im->x0 + x, Y = im->y0 + y;
            if (grey) {
                d[0] = d[1] = d[2] = to8(sample(&im->comps[0], X, Y), im->comps[0].prec);
            } else if (sycc) {
                const uint32_t prec = im->comps[0].prec;
                const double scale = 255.0 / (double)(((uint64_t)1 << prec) - 1);
                const double off = (double)((uint64_t)1 << (prec - 1));
                const double Yv = sample(&im->comps[0], X, Y);
                const double cb = (double)sample(&im->comps[1], X, Y) - off;
                const double cr = (double)sample(&im->comps[2], X, Y) - off;
                d[0] = clamp8((Yv + 1.402 * cr) * scale);
                d[1] = clamp8((Yv - 0.344136 * cb - 0.714136 * cr) * scale);
                d[2] = clamp8((Yv + 1.772 * cb) * scale);
            } else if (cmyk) {
                const uint32_t k = 255u - to8(sample(&im->comps[3], X, Y), im->comps[3].prec);
                for (int i = 0; i < 3; i++) {
                    const uint32_t v = 255u - to8(sample(&im->comps[i], X, Y), im->comps[i].prec);
                    d[i] = (uint8_t)((v * k + 127) / 255);
                }
            } else {
                for (int i = 0; i < 3; i++)
                    d[i] = to8(sample(&im->comps[i], X, Y), im->comps[i].prec);
            }
        }
    }
    return BEX_OK;
}

/* ------------------------------------------------------------------ SIZ pre-check */

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Where the codestream starts: offset 0 for J2K; for JP2 the contents of the top-level
 * 'jp2c' box. 0 with *at unset if it cannot be found (OpenJPEG then reports the problem). */
static int find_codestream(const uint8_t *buf, size_t len, int jp2, size_t *at) {
    if (!jp2) {
        *at = 0;
        return 1;
    }
    size_t pos = 0;
    for (int boxes = 0; boxes < 1000 && len - pos >= 8; boxes++) {
        uint64_t blen = be32(buf + pos);
        size_t hdr = 8;
        if (blen == 1) {
            if (len - pos < 16) return 0;
            blen = (uint64_t)be32(buf + pos + 8) << 32 | be32(buf + pos + 12);
            hdr = 16;
        } else if (blen == 0) {
            blen = len - pos; /* the last box runs to the end */
        }
        if (blen < hdr) return 0;
        if (memcmp(buf + pos + 4, "jp2c", 4) == 0) {
            *at = pos + hdr;
            return 1;
        }
        if (blen > len - pos) return 0;
        pos += (size_t)blen;
    }
    return 0;
}

/* Reads the SIZ marker ourselves and applies the pixel, tile and component limits before
 * OpenJPEG allocates anything for them. Malformed SIZ is left to OpenJPEG's own checks. */
static int siz_precheck(const uint8_t *buf, size_t len, int jp2, const bex_image_limits *lim,
                        char *err, size_t errlen) {
    size_t at;
    if (!find_codestream(buf, len, jp2, &at) || at > len || len - at < 4 + 38) return BEX_OK;
    const uint8_t *p = buf + at;
    if (p[0] != 0xFF || p[1] != 0x4F || p[2] != 0xFF || p[3] != 0x51) return BEX_OK;
    p += 6; /* SOC, SIZ marker, Lsiz; then Rsiz */
    const uint64_t x1 = be32(p + 2), y1 = be32(p + 6), x0 = be32(p + 10), y0 = be32(p + 14);
    const uint64_t tdx = be32(p + 18), tdy = be32(p + 22), tx0 = be32(p + 26), ty0 = be32(p + 30);
    const unsigned comps = (unsigned)p[34] << 8 | p[35];
    if (x1 <= x0 || y1 <= y0 || tdx == 0 || tdy == 0 || tx0 >= x1 || ty0 >= y1) return BEX_OK;
    int rc = bex__image_check_size(x1 - x0, y1 - y0, lim, "JPEG 2000", err, errlen);
    if (rc != BEX_OK) return rc;
    const uint64_t tiles = ((x1 - tx0 + tdx - 1) / tdx) * ((y1 - ty0 + tdy - 1) / tdy);
    if (tiles > MAX_TILES)
        return bex__fail(err, errlen, BEX_ERR_LIMIT,
                         "JPEG 2000 image is split into %llu tiles, above the limit of %d",
                         (unsigned long long)tiles, MAX_TILES);
    if (comps > MAX_COMPS)
        return bex__fail(err, errlen, BEX_ERR_UNSUPPORTED,
                         "JPEG 2000 image with %u components is not supported (1 to %d)", comps,
                         MAX_COMPS);
    return BEX_OK;
}

/* ------------------------------------------------------------------ decoding */

int bex__jp2_decode(const uint8_t *buf, size_t len, const bex_image_limits *lim,
                    bex_image *out, char *err, size_t errlen) {
    const int jp2 = !(len >= 2 && buf[0] == 0xFF && buf[1] == 0x4F);
    char msg[160] = "";
    mem_stream ms = {buf, len, 0};
    opj_image_t *im = NULL;
    opj_stream_t *s = NULL;
    bex_image img = {0, 0, NULL};

    int rc = siz_precheck(buf, len, jp2, lim, err, errlen);
    if (rc != BEX_OK) return rc;
    opj_codec_t *codec = opj_create_decompress(jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
    if (!codec) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory decoding JPEG 2000");
    opj_set_info_handler(codec, on_quiet, NULL);
    opj_set_warning_handler(codec, on_quiet, NULL);
    opj_set_error_handler(codec, on_error, msg);
    opj_dparameters_t par;
    opj_set_default_decoder_parameters(&par);
    if (!opj_setup_decoder(codec, &par) || !opj_decoder_set_strict_mode(codec, OPJ_TRUE)) {
        rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "cannot set up the JPEG 2000 decoder");
        goto done;
    }
    s = opj_stream_create(64 * 1024, OPJ_TRUE);
    if (!s) {
        rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory decoding JPEG 2000");
        goto done;
    }
    opj_stream_set_read_function(s, mem_read);
    opj_stream_set_skip_function(s, mem_skip);
    opj_stream_set_seek_function(s, mem_seek);
    opj_stream_set_user_data(s, &ms, NULL);
    opj_stream_set_user_data_length(s, (OPJ_UINT64)len);

    if (!opj_read_header(s, codec, &im) || !im) {
        if (strstr(msg, "too short") || strstr(msg, "end of stream"))
            rc = bex__fail(err, errlen, BEX_ERR_CORRUPT,
                           "JPEG 2000 data is truncated (premature end of file)");
        else
            rc = bex__fail(err, errlen, BEX_ERR_CORRUPT, "JPEG 2000 header is corrupt: %s",
                           msg[0] ? msg : "unreadable");
        goto done;
    }
    if (im->x1 <= im->x0 || im->y1 <= im->y0) {
        rc = bex__fail(err, errlen, BEX_ERR_CORRUPT, "JPEG 2000 header gives an empty image");
        goto done;
    }
    rc = bex__image_check_size(im->x1 - im->x0, im->y1 - im->y0, lim, "JPEG 2000", err, errlen);
    if (rc != BEX_OK) goto done;
    if (im->numcomps < 1 || im->numcomps > MAX_COMPS) {
        rc = bex__fail(err, errlen, BEX_ERR_UNSUPPORTED,
                       "JPEG 2000 image with %u components is not supported (1 to %d)",
                       im->numcomps, MAX_COMPS);
        goto done;
    }
    if (!opj_decode(codec, s, im) || !opj_end_decompress(codec, s)) {
        if (strstr(msg, "too short") || strstr(msg, "end of stream"))
            rc = bex__fail(err, errlen, BEX_ERR_CORRUPT,
                           "JPEG 2000 data is truncated (premature end of file)");
        else
            rc = bex__fail(err, errlen, BEX_ERR_CORRUPT, "JPEG 2000 data is corrupt: %s",
                           msg[0] ? msg : "decoding failed");
        goto done;
    }
    rc = bex__image_alloc(&img, (int)(im->x1 - im->x0), (int)(im->y1 - im->y0), err, errlen);
    if (rc != BEX_OK) goto done;
    rc = convert(im, &img, err, errlen);
    if (rc != BEX_OK) {
        bex_image_free(&img);
        goto done;
    }
    *out = img;
done:
    if (s) opj_stream_destroy(s);
    if (codec) opj_destroy_codec(codec);
    if (im) opj_image_destroy(im);
    return rc;
}
