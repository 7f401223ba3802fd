/*
 * image.c - fingerprint images: decoding (WSQ in wsq.c, TIFF through libtiff read from memory,
 * every photo format of src/image converted to grey), where the resolution comes from, and
 * rescaling to the 500 ppi every template is made at.
 *
 * Resolution rule: a resolution the file states (TIFF XResolution + ResolutionUnit, WSQ's
 * NISTCOM PPI, JFIF density, PNG pHYs) wins; else the caller's declared_ppi; else 500 assumed.
 * A stated resolution outside BEX__FINGER_PPI_MIN..MAX is taken for a software default (72 and
 * 96 dpi are common) and gives way to a declared one; with none declared it is an error that
 * says how to declare the real one.
 */
#include "bex/finger.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <tiffio.h>

#include "finger/finger_int.h"
#include "image/decode.h"
#include "util/util.h"

/* ------------------------------------------------------------------ limits and pixels */

/* The photo decoders' check (src/image/decode.h), with the finger formats' smaller side cap. */
int bex__finger_check_size(uint64_t w, uint64_t h, const bex_image_limits *lim, const char *what,
                           char *err, size_t errlen) {
    if (w && h && (w > BEX__FINGER_MAX_SIDE || h > BEX__FINGER_MAX_SIDE))
        return bex__fail(err, errlen, BEX_ERR_LIMIT,
                         "%s image is %" PRIu64 "x%" PRIu64 ", a side above the limit of %d px",
                         what, w, h, BEX__FINGER_MAX_SIDE);
    return bex__image_check_size(w, h, lim, what, err, errlen);
}

int bex__finger_alloc(bex_finger_image *img, int w, int h, char *err, size_t errlen) {
    size_t n;
    if (w <= 0 || h <= 0 || !bex__mul_size((size_t)w, (size_t)h, &n))
        return bex__fail(err, errlen, BEX_ERR_LIMIT, "image of %dx%d px is too large", w, h);
    img->px = bex__malloc(n);
    if (!img->px)
        return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for a %dx%d image", w, h);
    img->width = w;
    img->height = h;
    return BEX_OK;
}

void bex_finger_image_free(bex_finger_image *img) {
    if (!img) return;
    bex__free(img->px);
    memset(img, 0, sizeof *img);
}

int bex__finger_settle_ppi(bex_finger_image *img, double file_ppi, const char *how, int declared,
                           char *err, size_t errlen) {
    if (file_ppi > 0) {
        if (file_ppi >= BEX__FINGER_PPI_MIN - 0.5 && file_ppi < BEX__FINGER_PPI_MAX + 0.5) {
            img->ppi = (int)lround(file_ppi);
            img->ppi_source = BEX_PPI_FILE;
            return BEX_OK;
        }
        if (declared <= 0)
            return bex__fail(err, errlen, BEX_ERR_UNSUPPORTED,
                             "the file's %s states %.0f ppi, outside the %d-%d ppi a fingerprint "
                             "is scanned at (often a software default); declare the real "
                             "resolution",
                             how, file_ppi, BEX__FINGER_PPI_MIN, BEX__FINGER_PPI_MAX);
    }
    if (declared > 0) {
        img->ppi = declared;
        img->ppi_source = BEX_PPI_DECLARED;
    } else {
        img->ppi = BEX_FINGER_PPI;
        img->ppi_source = BEX_PPI_ASSUMED;
    }
    return BEX_OK;
}

/* ------------------------------------------------------------------ TIFF (libtiff) */

/* libtiff reads from our buffer through these; it never sees a file. */
typedef struct mem_tiff {
    const uint8_t *p;
    size_t len, pos;
    char msg[200]; /* libtiff's first error, for our message */
    int have_msg;
} mem_tiff;

static tmsize_t mt_read(thandle_t h, void *buf, tmsize_t n) {
    mem_tiff *m = (mem_tiff *)h;
    if (n <= 0 || m->pos >= m->len) return 0;
    size_t k = m->len - m->pos;
    if ((uint64_t)n < k) k = (size_t)n;
    memcpy(buf, m->p + m->pos, k);
    m->pos += k;
    return (tmsize_t)k;
}
static tmsize_t mt_write(thandle_t h, void *buf, tmsize_t n) {
    (void)h, (void)buf, (void)n;
    return -1;
}
static toff_t mt_seek(thandle_t h, toff_t off, int whence) {
    mem_tiff *m = (mem_tiff *)h;
    uint64_t base = whence == SEEK_CUR ? m->pos : whence == SEEK_END ? m->len : 0;
    /* libtiff passes a signed offset in an unsigned toff_t for SEEK_CUR/SEEK_END */
    int64_t to = (int64_t)base + (int64_t)off;
    if (whence == SEEK_SET) to = (int64_t)off;
    if (to < 0 || (uint64_t)to > (uint64_t)SIZE_MAX) return (toff_t)-1;
    m->pos = (size_t)to; /* past the end is allowed; reads there return 0 bytes */
    return (toff_t)to;
}
static int mt_close(thandle_t h) {
    (void)h;
    return 0;
}
static toff_t mt_size(thandle_t h) { return (toff_t)((mem_tiff *)h)->len; }
static int mt_map(thandle_t h, void **base, toff_t *size) {
    (void)h, (void)base, (void)size;
    return 0;
}
static void mt_unmap(thandle_t h, void *base, toff_t size) { (void)h, (void)base, (void)size; }

static int mt_error(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap) {
    (void)tif, (void)module;
    mem_tiff *m = (mem_tiff *)user;
    if (m && !m->have_msg) {
        vsnprintf(m->msg, sizeof m->msg, fmt, ap);
        m->have_msg = 1;
    }
    return 1; /* handled: nothing reaches stderr */
}
static int mt_warning(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap) {
    (void)tif, (void)user, (void)module, (void)fmt, (void)ap;
    return 1; /* silenced: unknown tags and the like are not the caller's concern */
}

static int tiff_fail(mem_tiff *m, int status, char *err, size_t errlen, const char *what) {
    if (m->have_msg)
        return bex__fail(err, errlen, status, "TIFF: %s (%s)", what, m->msg);
    return bex__fail(err, errlen, status, "TIFF: %s", what);
}

static const char *photometric_name(uint16_t p) {
    switch (p) {
    case PHOTOMETRIC_MINISWHITE: return "grey, white is zero";
    case PHOTOMETRIC_MINISBLACK: return "grey";
    case PHOTOMETRIC_RGB: return "RGB";
    case PHOTOMETRIC_PALETTE: return "palette";
    case PHOTOMETRIC_MASK: return "transparency mask";
    case PHOTOMETRIC_SEPARATED: return "CMYK";
    case PHOTOMETRIC_YCBCR: return "YCbCr";
    case PHOTOMETRIC_CIELAB: return "CIE L*a*b*";
    default: return "an unusual colour space";
    }
}

/* 8-bit grey strips or tiles, read directly (MinIsWhite inverted); everything else libtiff
 * can draw in 8-bit colour (RGB, palette, YCbCr/JPEG) goes through TIFFReadRGBAImage and is
 * converted to grey. 1-bit, 16-bit and float samples are refused: a fingerprint at those
 * depths is a bitonal rendering or a raw sensor dump, not what this reader takes. */
static int tiff_decode(const uint8_t *buf, size_t len, const bex_image_limits *lim,
                       int declared, bex_finger_image *out, char *err, size_t errlen) {
    mem_tiff m = {buf, len, 0, "", 0};
    TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();
    if (!opts) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory opening a TIFF");
    TIFFOpenOptionsSetErrorHandlerExtR(opts, mt_error, &m);
    TIFFOpenOptionsSetWarningHandlerExtR(opts, mt_warning, &m);
    /* no single libtiff allocation beyond what the pixel limit allows (RGBA raster) + slack */
    uint64_t cap = lim->max_pixels * 4 + ((uint64_t)16 << 20);
    if (cap > (uint64_t)INT64_MAX / 2) cap = (uint64_t)INT64_MAX / 2;
    TIFFOpenOptionsSetMaxSingleMemAlloc(opts, (tmsize_t)cap);
    /* "rm": read only, never memory-map (there is no file) */
    TIFF *tif = TIFFClientOpenExt("tiff", "rm", (thandle_t)&m, mt_read, mt_write, mt_seek,
                                  mt_close, mt_size, mt_map, mt_unmap, opts);
    TIFFOpenOptionsFree(opts);
    if (!tif) return tiff_fail(&m, BEX_ERR_CORRUPT, err, errlen, "cannot read the header");

    int rc = BEX_OK;
    uint32_t w = 0, h = 0;
    uint16_t bps = 1, spp = 1, photo = 0, fmt = SAMPLEFORMAT_UINT, planar = PLANARCONFIG_CONTIG;
    bex_finger_image img = {0};
    uint32_t *rgba = NULL;
    uint8_t *tilebuf = NULL;
    if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w) || !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h)) {
        rc = tiff_fail(&m, BEX_ERR_CORRUPT, err, errlen, "no image width or length");
        goto done;
    }
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bps);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &fmt);
    TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
    if (!TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photo))
        photo = spp >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK;
    if ((rc = bex__finger_check_size(w, h, lim, "TIFF", err, errlen)) != BEX_OK) goto done;
    if (bps == 1) {
        rc = bex__fail(err, errlen, BEX_ERR_UNSUPPORTED,
                       "TIFF: 1-bit (black and white) images are not supported; a fingerprint "
                       "must be scanned in 8-bit grey");
        goto done;
    }
    if (bps != 8 && !(photo == PHOTOMETRIC_PALETTE && bps == 4)) {
        rc = bex__fail(err, errlen, BEX_ERR_UNSUPPORTED,
                       "TIFF: %u bits a sample (%s) is not supported; convert it to 8-bit grey",
                       (unsigned)bps, photometric_name(photo));
        goto done;
    }
    if (fmt != SAMPLEFORMAT_UINT) {
        rc = bex__fail(err, errlen, BEX_ERR_UNSUPPORTED,
                       "TIFF: signed or floating-point samples are not supported; convert it to "
                       "8-bit grey");
        goto done;
    }
    if (photo != PHOTOMETRIC_MINISBLACK && photo != PHOTOMETRIC_MINISWHITE &&
        photo != PHOTOMETRIC_RGB && photo != PHOTOMETRIC_PALETTE && photo != PHOTOMETRIC_YCBCR) {
        rc = bex__fail(err, errlen, BEX_ERR_UNSUPPORTED,
                       "TIFF: %s images (photometric %u) are not supported; convert it to 8-bit "
                       "grey",
                       photometric_name(photo), (unsigned)photo);
        goto done;
    }
    if ((rc = bex__finger_alloc(&img, (int)w, (int)h, err, errlen)) != BEX_OK) goto done;

    int grey = (photo == PHOTOMETRIC_MINISBLACK || photo == PHOTOMETRIC_MINISWHITE) && spp == 1;
    if (grey && !TIFFIsTiled(tif)) {
        for (uint32_t y = 0; y < h; y++)
            if (TIFFReadScanline(tif, img.px + (size_t)y * w, y, 0) < 0) {
                rc = tiff_fail(&m, BEX_ERR_CORRUPT, err, errlen, "the pixel data is damaged");
                goto done;
            }
    } else if (grey) {
        uint32_t tw = 0, th = 0;
        TIFFGetField(tif, TIFFTAG_TILEWIDTH, &tw);
        TIFFGetField(tif, TIFFTAG_TILELENGTH, &th);
        tmsize_t ts = TIFFTileSize(tif);
        if (tw == 0 || th == 0 || ts <= 0 || (uint64_t)ts < (uint64_t)tw * th) {
            rc = tiff_fail(&m, BEX_ERR_CORRUPT, err, errlen, "bad tile size");
            goto done;
        }
        tilebuf = bex__malloc((size_t)ts);
        if (!tilebuf) {
            rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for a TIFF tile");
            goto done;
        }
        for (uint32_t ty = 0; ty < h; ty += th)
            for (uint32_t tx = 0; tx < w; tx += tw) {
                if (TIFFReadTile(tif, tilebuf, tx, ty, 0, 0) < 0) {
                    rc = tiff_fail(&m, BEX_ERR_CORRUPT, err, errlen, "the pixel data is damaged");
                    goto done;
                }
                uint32_t cw = w - tx < tw ? w - tx : tw, ch = h - ty < th ? h - ty : th;
                for (uint32_t r = 0; r < ch; r++)
                    memcpy(img.px + (size_t)(ty + r) * w + tx, tilebuf + (size_t)r * tw, cw);
            }
    } else {
        char why[1024] = "";
        if (!TIFFRGBAImageOK(tif, why)) {
            rc = bex__fail(err, errlen, BEX_ERR_UNSUPPORTED, "TIFF: %s; convert it to 8-bit grey",
                           why);
            goto done;
        }
        size_t n = (size_t)w * h;
        rgba = bex__malloc(n * sizeof *rgba);
        if (!rgba) {
            rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for a %ux%u TIFF",
                           (unsigned)w, (unsigned)h);
            goto done;
        }
        if (!TIFFReadRGBAImageOriented(tif, w, h, rgba, ORIENTATION_TOPLEFT, 0)) {
            rc = tiff_fail(&m, BEX_ERR_CORRUPT, err, errlen, "the pixel data is damaged");
            goto done;
        }
        for (size_t i = 0; i < n; i++)
            img.px[i] = bex__grey(TIFFGetR(rgba[i]), TIFFGetG(rgba[i]), TIFFGetB(rgba[i]));
    }
    if (grey && photo == PHOTOMETRIC_MINISWHITE)
        for (size_t i = 0, n = (size_t)w * h; i < n; i++) img.px[i] = (uint8_t)(255 - img.px[i]);

    /* resolution: XResolution in ResolutionUnit (2 inch by default, 3 centimetre, 1 none) */
    float xr = 0, yr = 0;
    uint16_t unit = RESUNIT_INCH;
    double file_ppi = 0;
    TIFFGetFieldDefaulted(tif, TIFFTAG_RESOLUTIONUNIT, &unit);
    if (TIFFGetField(tif, TIFFTAG_XRESOLUTION, &xr) && isfinite(xr) && xr > 0 &&
        unit != RESUNIT_NONE) {
        file_ppi = unit == RESUNIT_CENTIMETER ? xr * 2.54 : xr;
        if (TIFFGetField(tif, TIFFTAG_YRESOLUTION, &yr) && isfinite(yr) && yr > 0 &&
            fabs(yr - xr) > 0.01 * xr) {
            rc = bex__fail(err, errlen, BEX_ERR_UNSUPPORTED,
                           "TIFF: the pixels are not square (%.1f x %.1f per %s); resample it to "
                           "square pixels",
                           xr, yr, unit == RESUNIT_CENTIMETER ? "cm" : "inch");
            goto done;
        }
    }
    rc = bex__finger_settle_ppi(&img, file_ppi, "TIFF XResolution", declared, err, errlen);
done:
    bex__free(rgba);
    bex__free(tilebuf);
    TIFFClose(tif);
    if (rc == BEX_OK) *out = img;
    else bex_finger_image_free(&img);
    return rc;
}

/* ------------------------------------------------------------------ photo formats */

/* JFIF's APP0 density (units 1 = per inch, 2 = per cm), if the JPEG has one; 0 if not. */
static double jfif_ppi(const uint8_t *b, size_t len) {
    size_t at = 2; /* after SOI */
    while (at + 4 <= len && b[at] == 0xFF) {
        uint8_t marker = b[at + 1];
        size_t seg = (size_t)b[at + 2] << 8 | b[at + 3];
        if (marker == 0xDA || marker == 0xD9 || seg < 2 || at + 2 + seg > len) return 0;
        if (marker == 0xE0 && seg >= 14 && memcmp(b + at + 4, "JFIF\0", 5) == 0) {
            const uint8_t *p = b + at + 9; /* version(2) units(1) Xdensity(2) Ydensity(2) */
            int units = p[2], xd = p[3] << 8 | p[4];
            if (xd <= 0) return 0;
            return units == 1 ? xd : units == 2 ? xd * 2.54 : 0;
        }
        at += 2 + seg;
    }
    return 0;
}

/* PNG's pHYs (unit 1 = per metre), if present before IDAT; 0 if not. */
static double png_ppi(const uint8_t *b, size_t len) {
    size_t at = 8;
    while (at + 12 <= len) {
        uint32_t n = (uint32_t)b[at] << 24 | (uint32_t)b[at + 1] << 16 | (uint32_t)b[at + 2] << 8 |
                     b[at + 3];
        const uint8_t *type = b + at + 4;
        if (memcmp(type, "IDAT", 4) == 0 || n > len - at - 12) return 0;
        if (memcmp(type, "pHYs", 4) == 0 && n == 9) {
            const uint8_t *p = b + at + 8;
            uint32_t x = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
            return p[8] == 1 ? x * 0.0254 : 0;
        }
        at += 12 + (size_t)n;
    }
    return 0;
}

static int photo_decode(const uint8_t *buf, size_t len, const bex_image_limits *lim,
                        int declared, bex_finger_image *out, char *err, size_t errlen) {
    bex_image rgb = {0, 0, NULL};
    int rc = bex_image_decode(buf, len, lim, &rgb, err, errlen);
    if (rc != BEX_OK) {
        if (rc == BEX_ERR_FORMAT && len >= 8) { /* name what we do read */
            char hex[3 * 8 + 1] = "";
            for (size_t i = 0, at = 0; i < 8; i++)
                at += (size_t)snprintf(hex + at, sizeof hex - at, i ? " %02x" : "%02x", buf[i]);
            rc = bex__fail(err, errlen, BEX_ERR_FORMAT,
                           "not a WSQ, TIFF, JPEG, PNG, PNM or JPEG 2000 image (it starts with "
                           "bytes %s)",
                           hex);
        }
        return rc;
    }
    bex_finger_image img = {0};
    rc = bex__finger_alloc(&img, rgb.width, rgb.height, err, errlen);
    if (rc == BEX_OK) {
        size_t n = (size_t)rgb.width * rgb.height;
        for (size_t i = 0; i < n; i++)
            img.px[i] = bex__grey(rgb.px[3 * i], rgb.px[3 * i + 1], rgb.px[3 * i + 2]);
        bex_image_format f = bex_image_sniff(buf, len);
        double fp = f == BEX_IMAGE_JPEG ? jfif_ppi(buf, len) : f == BEX_IMAGE_PNG ? png_ppi(buf, len)
                                                                                  : 0;
        rc = bex__finger_settle_ppi(&img, fp, f == BEX_IMAGE_JPEG ? "JFIF density" : "PNG pHYs", declared, err,
                        errlen);
    }
    bex_image_free(&rgb);
    if (rc == BEX_OK) *out = img;
    else bex_finger_image_free(&img);
    return rc;
}

/* ------------------------------------------------------------------ the public entry points */

int bex_finger_image_decode(const uint8_t *buf, size_t len, int declared_ppi,
                            const bex_image_limits *limits, bex_finger_image *out, char *err,
                            size_t errlen) {
    if (err && errlen) err[0] = '\0';
    if (!out || (!buf && len))
        return bex__fail(err, errlen, BEX_ERR_ARG, "bex_finger_image_decode: NULL buffer or output");
    if (declared_ppi < 0 ||
        (declared_ppi > 0 && (declared_ppi < BEX__FINGER_PPI_MIN || declared_ppi > BEX__FINGER_PPI_MAX)))
        return bex__fail(err, errlen, BEX_ERR_ARG,
                         "a declared resolution of %d ppi is outside the %d-%d ppi a fingerprint "
                         "is scanned at",
                         declared_ppi, BEX__FINGER_PPI_MIN, BEX__FINGER_PPI_MAX);
    bex_image_limits lim = bex__image_limits_effective(limits);
    if (len == 0) return bex__fail(err, errlen, BEX_ERR_FORMAT, "input is empty (0 bytes)");
    if (len > lim.max_file_bytes)
        return bex__fail(err, errlen, BEX_ERR_LIMIT, "input is %zu bytes, above the limit of %zu",
                         len, lim.max_file_bytes);
    if (len >= 2 && buf[0] == 0xFF && buf[1] == 0xA0) {
        bex_finger_image img = {0};
        int file_ppi = 0;
        int rc = bex__wsq_decode(buf, len, &lim, &img, &file_ppi, err, errlen);
        if (rc == BEX_OK) rc = bex__finger_settle_ppi(&img, file_ppi, "NISTCOM PPI", declared_ppi, err, errlen);
        if (rc == BEX_OK) *out = img;
        else bex_finger_image_free(&img);
        return rc;
    }
    if (len >= 4 && ((buf[0] == 'I' && buf[1] == 'I' && (buf[2] == 42 || buf[2] == 43) && buf[3] == 0) ||
                     (buf[0] == 'M' && buf[1] == 'M' && buf[2] == 0 && (buf[3] == 42 || buf[3] == 43))))
        return tiff_decode(buf, len, &lim, declared_ppi, out, err, errlen);
    return photo_decode(buf, len, &lim, declared_ppi, out, err, errlen);
}

int bex_finger_image_load(const char *path, int declared_ppi, const bex_image_limits *limits,
                          bex_finger_image *out, char *err, size_t errlen) {
    if (err && errlen) err[0] = '\0';
    if (!path || !out)
        return bex__fail(err, errlen, BEX_ERR_ARG, "bex_finger_image_load: NULL path or output");
    bex_image_limits lim = bex__image_limits_effective(limits);
    FILE *f = fopen(path, "rb");
    if (!f)
        return bex__fail(err, errlen, BEX_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return bex__fail(err, errlen, BEX_ERR_IO, "%s: is a directory, not an image file", path);
    }
    /* read at most max_file_bytes + 1 (the + 1 tells a file over the cap), growing the buffer,
     * so that neither a pipe nor a growing file pushes us past the cap */
    size_t want = lim.max_file_bytes < SIZE_MAX ? lim.max_file_bytes + 1 : SIZE_MAX, len = 0;
    size_t cap = 64 * 1024;
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size < want) cap = (size_t)st.st_size + 1;
    if (cap > want) cap = want;
    uint8_t *buf = bex__malloc(cap);
    int rc = buf ? BEX_OK : bex__fail(err, errlen, BEX_ERR_NOMEM, "%s: out of memory", path);
    while (rc == BEX_OK) {
        if (len == cap) {
            if (cap >= want) break;
            size_t ncap = cap <= want / 2 ? cap * 2 : want;
            uint8_t *nb = bex__realloc(buf, ncap);
            if (!nb) {
                rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "%s: out of memory", path);
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
    if (rc == BEX_OK && len > lim.max_file_bytes)
        rc = bex__fail(err, errlen, BEX_ERR_LIMIT, "%s: file is above the limit of %zu bytes",
                       path, lim.max_file_bytes);
    if (rc == BEX_OK) {
        rc = bex_finger_image_decode(buf, len, declared_ppi, &lim, out, err, errlen);
        if (rc != BEX_OK && err && errlen) {
            char tmp[512];
            snprintf(tmp, sizeof tmp, "%s", err);
            snprintf(err, errlen, "%s: %s", path, tmp);
        }
    }
    bex__free(buf);
    return rc;
}

/* ------------------------------------------------------------------ rescaling to 500 ppi */

/* One output sample's share of the input: weights w[0..n) over input indices first.. */
typedef struct contrib {
    int first, n;
    float *w;
} contrib;

/* The contributions for an axis of n_in samples resampled to n_out at scale s = out/in:
 * area averaging (each output sample the mean of the input it covers, fractional at the
 * edges) when shrinking, bilinear (sample centres aligned) when enlarging. weights has room
 * for n_out * (ceil(1/s) + 2) floats. */
static void make_contribs(int n_in, int n_out, double s, contrib *c, float *weights) {
    double inv = 1.0 / s;
    float *wp = weights;
    for (int i = 0; i < n_out; i++) {
        c[i].w = wp;
        if (s < 1) {
            double a = i * inv, b = (i + 1) * inv;
            /* n_out = round(n_in * s), so a = i / s < n_in: every interval starts inside */
            if (b > n_in) b = n_in;
            int first = (int)floor(a), last = (int)ceil(b) - 1;
            if (last >= n_in) last = n_in - 1;
            if (last < first) last = first;
            double sum = 0;
            for (int k = first; k <= last; k++) {
                double lo = k > a ? k : a, hi = k + 1 < b ? k + 1 : b;
                double v = hi > lo ? hi - lo : 0;
                wp[k - first] = (float)v;
                sum += v;
            }
            if (sum <= 0) sum = 1; /* cannot happen (a < b); keeps the division safe */
            for (int k = first; k <= last; k++) wp[k - first] = (float)(wp[k - first] / sum);
            c[i].first = first;
            c[i].n = last - first + 1;
        } else {
            double x = (i + 0.5) * inv - 0.5;
            if (x < 0) x = 0;
            if (x > n_in - 1) x = n_in - 1;
            int x0 = (int)floor(x);
            double f = x - x0;
            if (x0 >= n_in - 1) {
                x0 = n_in - 1;
                f = 0;
            }
            c[i].first = x0;
            c[i].n = f > 0 ? 2 : 1;
            wp[0] = (float)(1 - f);
            if (f > 0) wp[1] = (float)f;
        }
        wp += c[i].n;
    }
}

int bex_finger_image_to_500(const bex_finger_image *in, bex_finger_image *out, char *err,
                            size_t errlen) {
    if (err && errlen) err[0] = '\0';
    if (!in || !out || !in->px || in->width <= 0 || in->height <= 0)
        return bex__fail(err, errlen, BEX_ERR_ARG, "bex_finger_image_to_500: empty image");
    if (in->ppi < BEX__FINGER_PPI_MIN || in->ppi > BEX__FINGER_PPI_MAX)
        return bex__fail(err, errlen, BEX_ERR_ARG,
                         "an image of %d ppi is outside the %d-%d ppi this rescales", in->ppi,
                         BEX__FINGER_PPI_MIN, BEX__FINGER_PPI_MAX);
    bex_finger_image o = {0};
    if (in->ppi == BEX_FINGER_PPI) {
        int rc = bex__finger_alloc(&o, in->width, in->height, err, errlen);
        if (rc != BEX_OK) return rc;
        memcpy(o.px, in->px, (size_t)in->width * in->height);
        o.ppi = in->ppi;
        o.ppi_source = in->ppi_source;
        *out = o;
        return BEX_OK;
    }
    double s = (double)BEX_FINGER_PPI / in->ppi;
    long ow = lround(in->width * s), oh = lround(in->height * s);
    if (ow < 1) ow = 1;
    if (oh < 1) oh = 1;
    if ((uint64_t)ow * (uint64_t)oh > BEX_IMAGE_DEFAULT_MAX_PIXELS || ow > BEX__FINGER_MAX_SIDE ||
        oh > BEX__FINGER_MAX_SIDE)
        return bex__fail(err, errlen, BEX_ERR_LIMIT,
                         "a %dx%d image at %d ppi is %ldx%ld at 500 ppi, above the limit of %" PRIu64
                         " px",
                         in->width, in->height, in->ppi, ow, oh,
                         (uint64_t)BEX_IMAGE_DEFAULT_MAX_PIXELS);
    int per = s < 1 ? (int)ceil(1 / s) + 2 : 2; /* input samples one output sample may touch */
    contrib *cx = bex__malloc(sizeof *cx * (size_t)ow), *cy = bex__malloc(sizeof *cy * (size_t)oh);
    float *wx = bex__malloc(sizeof *wx * (size_t)ow * per);
    float *wy = bex__malloc(sizeof *wy * (size_t)oh * per);
    float *tmp = bex__malloc(sizeof *tmp * (size_t)ow * in->height); /* rows done, columns not */
    int rc = cx && cy && wx && wy && tmp ? bex__finger_alloc(&o, (int)ow, (int)oh, err, errlen)
                                         : bex__fail(err, errlen, BEX_ERR_NOMEM,
                                                     "out of memory rescaling a %dx%d image",
                                                     in->width, in->height);
    if (rc == BEX_OK) {
        make_contribs(in->width, (int)ow, s, cx, wx);
        make_contribs(in->height, (int)oh, s, cy, wy);
        for (int y = 0; y < in->height; y++) {
            const uint8_t *row = in->px + (size_t)y * in->width;
            float *t = tmp + (size_t)y * ow;
            for (int x = 0; x < ow; x++) {
                float v = 0;
                for (int k = 0; k < cx[x].n; k++) v += cx[x].w[k] * row[cx[x].first + k];
                t[x] = v;
            }
        }
        for (int y = 0; y < oh; y++) {
            uint8_t *dst = o.px + (size_t)y * ow;
            for (int x = 0; x < ow; x++) {
                float v = 0;
                for (int k = 0; k < cy[y].n; k++)
                    v += cy[y].w[k] * tmp[(size_t)(cy[y].first + k) * ow + x];
                long r = lroundf(v);
                dst[x] = (uint8_t)(r < 0 ? 0 : r > 255 ? 255 : r);
            }
        }
        o.ppi = BEX_FINGER_PPI;
        o.ppi_source = in->ppi_source;
    }
    bex__free(cx);
    bex__free(cy);
    bex__free(wx);
    bex__free(wy);
    bex__free(tmp);
    if (rc == BEX_OK) *out = o;
    else bex_finger_image_free(&o);
    return rc;
}
