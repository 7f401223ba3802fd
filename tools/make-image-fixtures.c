/*
 * make-image-fixtures.c - writes the tiny image fixtures of tests/unit/test_image.c
 * (tests/data/image/) and the seed corpus of tests/fuzz/fuzz_image.c
 * (tests/fuzz/corpus/image/), using the encoders of libjpeg, libpng and OpenJPEG.
 * Not built by make; its output is committed. Run from the repository root:
 *
 *   make tools && build/tools/make-image-fixtures
 * (or: cc -O2 -o /tmp/mif tools/make-image-fixtures.c -ljpeg -lpng -lopenjp2 && /tmp/mif)
 *
 * The pixel formulas (pat_rgb, pat_grey, ...) are repeated in test_image.c, which checks
 * the decoded pixels against them; change both together. Output is deterministic.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>
#if defined(__has_include) && __has_include(<openjpeg.h>)
#include <openjpeg.h>
#else
#include <openjpeg-2.5/openjpeg.h>
#endif

#define DATA "tests/data/image/"
#define CORPUS "tests/fuzz/corpus/image/"

/* ---------------------------------------------------------------- patterns (see test_image.c) */

enum { PW = 7, PH = 5 }; /* odd sizes catch stride bugs */

static void pat_rgb(int x, int y, uint8_t p[3]) {
    p[0] = (uint8_t)((x * 37 + y * 11) & 255);
    p[1] = (uint8_t)((x * 5 + y * 53 + 17) & 255);
    p[2] = (uint8_t)((x * y * 7 + 200) & 255);
}
static uint8_t pat_grey(int x, int y) { return (uint8_t)((x * 31 + y * 17 + 3) & 255); }
/* a smooth 16x16 gradient that survives JPEG at quality 100 within a few levels */
static void pat_smooth(int x, int y, uint8_t p[3]) {
    p[0] = (uint8_t)(x * 16);
    p[1] = (uint8_t)(y * 16);
    p[2] = (uint8_t)(128 + x * 4 - y * 4);
}
/* 32x16 upright picture for the orientation tests: four flat quadrants */
enum { OW = 32, OH = 16 };
static void pat_quad(int x, int y, uint8_t p[3]) {
    static const uint8_t q[4][3] = {{220, 40, 40}, {40, 220, 40}, {40, 40, 220}, {230, 230, 230}};
    memcpy(p, q[(y >= OH / 2) * 2 + (x >= OW / 2)], 3);
}

/* ---------------------------------------------------------------- files */

static void put(const char *path, const uint8_t *b, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static uint8_t *get(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(1); }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)len + 1);
    if (!b || fread(b, 1, (size_t)len, f) != (size_t)len) { perror(path); exit(1); }
    fclose(f);
    *n = (size_t)len;
    return b;
}

/* Writes name to the fixtures and the corpus, plus a truncated and a bit-flipped copy to the
 * corpus. */
static void emit(const char *name, const uint8_t *b, size_t n, int to_data) {
    char p[256];
    if (to_data) {
        snprintf(p, sizeof p, DATA "%s", name);
        put(p, b, n);
    }
    snprintf(p, sizeof p, CORPUS "%s", name);
    put(p, b, n);
    snprintf(p, sizeof p, CORPUS "trunc-%s", name);
    put(p, b, n / 2 + 1);
    uint8_t *f = malloc(n);
    memcpy(f, b, n);
    for (size_t i = n / 3; i < n; i += n / 5 + 1) f[i] ^= (uint8_t)(1u << (i % 8));
    snprintf(p, sizeof p, CORPUS "flip-%s", name);
    put(p, f, n);
    free(f);
}

/* ---------------------------------------------------------------- JPEG */

typedef struct { const uint8_t *data; size_t len; } marker;

static uint8_t *jpeg_encode(int w, int h, int comps, J_COLOR_SPACE cs, const uint8_t *px,
                            int progressive, const marker *app1, size_t *out_len) {
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    unsigned char *mem = NULL;
    unsigned long mlen = 0;
    jpeg_mem_dest(&c, &mem, &mlen);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = comps;
    c.in_color_space = cs;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 100, TRUE);
    for (int i = 0; i < c.num_components; i++) c.comp_info[i].h_samp_factor = c.comp_info[i].v_samp_factor = 1;
    if (progressive) jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    if (app1) jpeg_write_marker(&c, JPEG_APP0 + 1, app1->data, (unsigned)app1->len);
    while (c.next_scanline < c.image_height) {
        JSAMPROW r = (JSAMPROW)(px + (size_t)c.next_scanline * w * comps);
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    *out_len = mlen;
    return mem;
}

static void w16(uint8_t *p, unsigned v, int le) {
    if (le) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
    else { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
}
static void w32(uint8_t *p, uint32_t v, int le) {
    if (le) { w16(p, v & 0xFFFF, 1); w16(p + 2, v >> 16, 1); }
    else { w16(p, v >> 16, 0); w16(p + 2, v & 0xFFFF, 0); }
}

/* An EXIF APP1 payload: IFD0 with a Make entry (pointing at a string) and Orientation. */
static size_t exif_payload(uint8_t *b, int orientation, int le) {
    memcpy(b, "Exif\0\0", 6);
    uint8_t *t = b + 6;
    memcpy(t, le ? "II*\0" : "MM\0*", 4);
    w32(t + 4, 8, le);
    w16(t + 8, 2, le);                   /* two entries */
    uint8_t *e = t + 10;
    w16(e, 0x010F, le); w16(e + 2, 2, le); w32(e + 4, 4, le); w32(e + 8, 38, le); /* Make */
    e += 12;
    w16(e, 0x0112, le); w16(e + 2, 3, le); w32(e + 4, 1, le);                     /* Orientation */
    w32(e + 8, 0, le);
    w16(e + 8, (unsigned)orientation, le);
    w32(t + 34, 0, le);                  /* no next IFD */
    memcpy(t + 38, "bex", 4);
    return 6 + 42;
}

static void make_jpegs(void) {
    uint8_t px[16 * 16 * 4];
    size_t n;
    uint8_t *j;
    for (int y = 0; y < 16; y++)
        for (int x = 0; x < 16; x++) pat_smooth(x, y, px + (y * 16 + x) * 3);
    j = jpeg_encode(16, 16, 3, JCS_RGB, px, 0, NULL, &n);
    emit("rgb.jpg", j, n, 1);
    free(j);
    j = jpeg_encode(16, 16, 3, JCS_RGB, px, 1, NULL, &n);
    emit("progressive.jpg", j, n, 1);
    free(j);
    /* CMYK the way Adobe writes it (inverted): stored (r, g, b, 255) means K = 0 and
     * C = 255 - r, so the decoded RGB is the smooth pattern again */
    for (int i = 0; i < 256; i++) {
        uint8_t p[3];
        pat_smooth(i % 16, i / 16, p);
        memcpy(px + i * 4, p, 3);
        px[i * 4 + 3] = 255;
    }
    j = jpeg_encode(16, 16, 4, JCS_CMYK, px, 0, NULL, &n);
    emit("cmyk.jpg", j, n, 1);
    free(j);
    for (int y = 0; y < 16; y++)
        for (int x = 0; x < 16; x++) px[y * 16 + x] = (uint8_t)(x * 8 + y * 7);
    j = jpeg_encode(16, 16, 1, JCS_GRAYSCALE, px, 0, NULL, &n);
    emit("gray.jpg", j, n, 1);
    free(j);

    /* orientation o: store the upright 32x16 quadrant picture so that applying o turns it
     * upright again (EXIF: where the stored row 0 / column 0 belong) */
    static uint8_t up[OW * OH * 3], st[OW * OH * 3];
    for (int y = 0; y < OH; y++)
        for (int x = 0; x < OW; x++) pat_quad(x, y, up + (y * OW + x) * 3);
    for (int o = 1; o <= 8; o++) {
        int sw = o >= 5 ? OH : OW, sh = o >= 5 ? OW : OH;
        for (int y = 0; y < OH; y++)
            for (int x = 0; x < OW; x++) {
                int sx, sy;
                switch (o) {
                case 1: sx = x; sy = y; break;
                case 2: sx = OW - 1 - x; sy = y; break;
                case 3: sx = OW - 1 - x; sy = OH - 1 - y; break;
                case 4: sx = x; sy = OH - 1 - y; break;
                case 5: sx = y; sy = x; break;
                case 6: sx = y; sy = sh - 1 - x; break;
                case 7: sx = sw - 1 - y; sy = sh - 1 - x; break;
                default: sx = sw - 1 - y; sy = x; break;
                }
                memcpy(st + (sy * sw + sx) * 3, up + (y * OW + x) * 3, 3);
            }
        uint8_t app[64];
        marker m = {app, exif_payload(app, o, o % 2 == 0)};
        j = jpeg_encode(sw, sh, 3, JCS_RGB, st, 0, &m, &n);
        char name[32];
        snprintf(name, sizeof name, "orient-%d.jpg", o);
        emit(name, j, n, 1);
        free(j);
    }

    /* hostile EXIF: the picture is stored upright; every payload must be ignored */
    static const struct { const char *name; uint32_t ifd; unsigned count; unsigned type; unsigned val; size_t cut; } h[] = {
        {"exif-ifd-far.jpg", 0xFFFFFFF0u, 2, 3, 6, 0},
        {"exif-ifd-edge.jpg", 40, 2, 3, 6, 0},
        {"exif-count-huge.jpg", 8, 0xFFFF, 3, 6, 0},
        {"exif-value-9.jpg", 8, 2, 3, 9, 0},
        {"exif-type-ascii.jpg", 8, 2, 2, 6, 0},
        {"exif-cut.jpg", 8, 2, 3, 6, 20},
    };
    for (size_t i = 0; i < sizeof h / sizeof h[0]; i++) {
        uint8_t app[64];
        size_t len = exif_payload(app, (int)h[i].val, 1);
        w32(app + 6 + 4, h[i].ifd, 1);
        w16(app + 6 + 8, h[i].count, 1);
        w16(app + 6 + 22 + 2, h[i].type, 1);
        if (h[i].cut) len = h[i].cut;
        marker m = {app, len};
        j = jpeg_encode(OW, OH, 3, JCS_RGB, up, 0, &m, &n);
        emit(h[i].name, j, n, 1);
        free(j);
    }
}

/* ---------------------------------------------------------------- PNG */

typedef struct { uint8_t *b; size_t n, cap; } membuf;
static void png_wr(png_structp p, png_bytep d, size_t n) {
    membuf *m = png_get_io_ptr(p);
    if (m->n + n > m->cap) { m->cap = (m->n + n) * 2; m->b = realloc(m->b, m->cap); }
    memcpy(m->b + m->n, d, n);
    m->n += n;
}
static void png_fl(png_structp p) { (void)p; }

/* rows: h rows of packed samples for the given colour type / depth */
static void png_emit(const char *name, int w, int h, int ctype, int depth, int interlace,
                     uint8_t **rows, png_colorp pal, int npal, const uint8_t *trns, int ntrns) {
    png_structp p = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(p);
    membuf m = {0};
    png_set_write_fn(p, &m, png_wr, png_fl);
    png_set_IHDR(p, info, (png_uint_32)w, (png_uint_32)h, depth, ctype,
                 interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (pal) png_set_PLTE(p, info, pal, npal);
    if (trns) png_set_tRNS(p, info, trns, ntrns, NULL);
    png_write_info(p, info);
    png_write_image(p, rows);
    png_write_end(p, NULL);
    png_destroy_write_struct(&p, &info);
    emit(name, m.b, m.n, 1);
    free(m.b);
}

static void make_pngs(void) {
    static uint8_t buf[PH][PW * 8];
    uint8_t *rows[PH];
    for (int y = 0; y < PH; y++) rows[y] = buf[y];
    uint8_t p[3];

    for (int y = 0; y < PH; y++) for (int x = 0; x < PW; x++) pat_rgb(x, y, buf[y] + x * 3);
    png_emit("rgb.png", PW, PH, PNG_COLOR_TYPE_RGB, 8, 0, rows, NULL, 0, NULL, 0);
    png_emit("interlaced.png", PW, PH, PNG_COLOR_TYPE_RGB, 8, 1, rows, NULL, 0, NULL, 0);

    for (int y = 0; y < PH; y++)
        for (int x = 0; x < PW; x++) {
            pat_rgb(x, y, buf[y] + x * 4);
            buf[y][x * 4 + 3] = (uint8_t)(x * 40); /* alpha, to be ignored */
        }
    png_emit("rgba.png", PW, PH, PNG_COLOR_TYPE_RGBA, 8, 0, rows, NULL, 0, NULL, 0);

    for (int y = 0; y < PH; y++)
        for (int x = 0; x < PW; x++) { /* 16-bit: v * 257 scales back to v exactly */
            pat_rgb(x, y, p);
            for (int k = 0; k < 3; k++) { buf[y][x * 6 + 2 * k] = p[k]; buf[y][x * 6 + 2 * k + 1] = p[k]; }
        }
    png_emit("rgb16.png", PW, PH, PNG_COLOR_TYPE_RGB, 16, 0, rows, NULL, 0, NULL, 0);

    for (int y = 0; y < PH; y++) for (int x = 0; x < PW; x++) buf[y][x] = pat_grey(x, y);
    png_emit("gray.png", PW, PH, PNG_COLOR_TYPE_GRAY, 8, 0, rows, NULL, 0, NULL, 0);

    for (int y = 0; y < PH; y++)
        for (int x = 0; x < PW; x++) { buf[y][x * 2] = pat_grey(x, y); buf[y][x * 2 + 1] = 77; }
    png_emit("graya.png", PW, PH, PNG_COLOR_TYPE_GRAY_ALPHA, 8, 0, rows, NULL, 0, NULL, 0);

    /* 2-bit grey: levels 0, 85, 170, 255 */
    for (int y = 0; y < PH; y++) {
        memset(buf[y], 0, sizeof buf[y]);
        for (int x = 0; x < PW; x++) buf[y][x / 4] |= (uint8_t)(((x + y) & 3) << (6 - 2 * (x % 4)));
    }
    png_emit("gray2.png", PW, PH, PNG_COLOR_TYPE_GRAY, 2, 0, rows, NULL, 0, NULL, 0);

    /* palette: index y * PW + x holds pat_rgb(x, y); tRNS on a few entries (ignored) */
    png_color pal[PW * PH];
    uint8_t trns[4] = {0, 50, 100, 150};
    for (int y = 0; y < PH; y++)
        for (int x = 0; x < PW; x++) {
            pat_rgb(x, y, p);
            pal[y * PW + x].red = p[0]; pal[y * PW + x].green = p[1]; pal[y * PW + x].blue = p[2];
            buf[y][x] = (uint8_t)(y * PW + x);
        }
    png_emit("palette.png", PW, PH, PNG_COLOR_TYPE_PALETTE, 8, 0, rows, pal, PW * PH, trns, 4);
}

/* ---------------------------------------------------------------- PNM */

static void make_pnms(void) {
    char b[4096];
    size_t n;
    uint8_t p[3];
    n = (size_t)snprintf(b, sizeof b, "P6\n# bex fixture\n%d %d\n255\n", PW, PH);
    for (int y = 0; y < PH; y++) for (int x = 0; x < PW; x++) { pat_rgb(x, y, p); memcpy(b + n, p, 3); n += 3; }
    emit("rgb.ppm", (uint8_t *)b, n, 1);

    n = (size_t)snprintf(b, sizeof b, "P3\n%d # width\n%d\n# maxval next\n255\n", PW, PH);
    for (int y = 0; y < PH; y++) {
        for (int x = 0; x < PW; x++) { pat_rgb(x, y, p); n += (size_t)snprintf(b + n, sizeof b - n, "%d %d %d  ", p[0], p[1], p[2]); }
        b[n++] = '\n';
    }
    emit("rgb-ascii.ppm", (uint8_t *)b, n, 1);

    n = (size_t)snprintf(b, sizeof b, "P5 %d %d 255\n", PW, PH);
    for (int y = 0; y < PH; y++) for (int x = 0; x < PW; x++) b[n++] = (char)pat_grey(x, y);
    emit("gray.pgm", (uint8_t *)b, n, 1);

    n = (size_t)snprintf(b, sizeof b, "P2\n%d %d\n255\n", PW, PH);
    for (int y = 0; y < PH; y++) for (int x = 0; x < PW; x++) n += (size_t)snprintf(b + n, sizeof b - n, "%d\n", pat_grey(x, y));
    emit("gray-ascii.pgm", (uint8_t *)b, n, 1);

    /* 16-bit P6: samples v * 257 */
    n = (size_t)snprintf(b, sizeof b, "P6\n%d %d\n65535\n", PW, PH);
    for (int y = 0; y < PH; y++)
        for (int x = 0; x < PW; x++) { pat_rgb(x, y, p); for (int k = 0; k < 3; k++) { b[n++] = (char)p[k]; b[n++] = (char)p[k]; } }
    emit("rgb16.ppm", (uint8_t *)b, n, 1);

    /* maxval 1000, plain: v = (x * 97 + y * 131) % 1001 */
    n = (size_t)snprintf(b, sizeof b, "P2 %d %d 1000\n", PW, PH);
    for (int y = 0; y < PH; y++) for (int x = 0; x < PW; x++) n += (size_t)snprintf(b + n, sizeof b - n, " %d", (x * 97 + y * 131) % 1001);
    b[n++] = '\n';
    emit("gray-max1000.pgm", (uint8_t *)b, n, 1);

    /* maxval 1, binary P5: 0 or 1 -> 0 or 255 */
    n = (size_t)snprintf(b, sizeof b, "P5\n%d %d\n1\n", PW, PH);
    for (int y = 0; y < PH; y++) for (int x = 0; x < PW; x++) b[n++] = (char)((x + y) & 1);
    emit("gray-max1.pgm", (uint8_t *)b, n, 1);

    /* hostile headers: corpus only */
    static const char *bad[] = {
        "P6\n100000 100000\n255\n\x01\x02\x03",
        "P5\n4294967296 1\n255\n\x01",
        "P6\n2 2\n0\n\x01\x02",
        "P6\n2 2\n65536\n",
        "P3\n2 2\n255\n1 2 3 4 5 6 7 8 9 10 11 300\n",
        "P2\n3 1\n255\n1 2",
        "P5 2 2 255",
        "P6\n#",
        "P1\n2 2\n0 1 1 0\n",
        "P7\nWIDTH 1\n",
        "P2\n2 1\n255\n1x 2\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char name[64];
        snprintf(name, sizeof name, CORPUS "bad-pnm-%zu.pnm", i);
        put(name, (const uint8_t *)bad[i], strlen(bad[i]));
    }
}

/* ---------------------------------------------------------------- JPEG 2000 */

/* kind: 0 RGB 8-bit, 1 grey 8-bit, 2 grey 12-bit, 3 grey signed 8-bit, 4 YCbCr 4:2:0,
 *       5 RGBA 8-bit */
static void j2k_emit(const char *name, int kind, int jp2) {
    int nc = kind == 0 || kind == 4 ? 3 : kind == 5 ? 4 : 1;
    opj_image_cmptparm_t cp[4];
    memset(cp, 0, sizeof cp);
    for (int i = 0; i < nc; i++) {
        int sub = kind == 4 && i > 0 ? 2 : 1;
        cp[i].dx = cp[i].dy = (OPJ_UINT32)sub;
        cp[i].w = (OPJ_UINT32)((PW + sub - 1) / sub);
        cp[i].h = (OPJ_UINT32)((PH + sub - 1) / sub);
        cp[i].prec = kind == 2 ? 12 : 8;
        cp[i].sgnd = kind == 3;
    }
    OPJ_COLOR_SPACE cs = nc == 1 ? OPJ_CLRSPC_GRAY : kind == 4 ? OPJ_CLRSPC_SYCC : OPJ_CLRSPC_SRGB;
    opj_image_t *im = opj_image_create((OPJ_UINT32)nc, cp, cs);
    im->x0 = im->y0 = 0;
    im->x1 = PW;
    im->y1 = PH;
    for (int i = 0; i < nc; i++) {
        opj_image_comp_t *c = &im->comps[i];
        for (OPJ_UINT32 y = 0; y < c->h; y++)
            for (OPJ_UINT32 x = 0; x < c->w; x++) {
                uint8_t p[3];
                pat_rgb((int)x, (int)y, p);
                int v;
                switch (kind) {
                case 0: v = p[i]; break;
                case 5: v = i < 3 ? p[i] : 99; break;
                case 1: v = pat_grey((int)x, (int)y); break;
                case 2: v = ((int)x * 613 + (int)y * 1009) % 4096; break;
                case 3: v = (int)pat_grey((int)x, (int)y) - 128; break;
                default: v = i == 0 ? 60 + (int)x * 20 + (int)y * 10 : i == 1 ? 100 + (int)x * 9 : 150 - (int)y * 11; break;
                }
                c->data[y * c->w + x] = v;
            }
    }
    opj_cparameters_t par;
    opj_set_default_encoder_parameters(&par);
    par.tcp_numlayers = 1;
    par.tcp_rates[0] = 0;
    par.cp_disto_alloc = 1;
    par.irreversible = 0;
    par.numresolution = 2;
    par.tcp_mct = (char)(kind == 0 || kind == 5);
    opj_codec_t *codec = opj_create_compress(jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
    char path[256];
    snprintf(path, sizeof path, "/tmp/bex-fixture-%s", name);
    opj_stream_t *s = opj_stream_create_default_file_stream(path, OPJ_FALSE);
    if (!opj_setup_encoder(codec, &par, im) || !opj_start_compress(codec, im, s) ||
        !opj_encode(codec, s) || !opj_end_compress(codec, s)) {
        fprintf(stderr, "%s: encoding failed\n", name);
        exit(1);
    }
    opj_stream_destroy(s);
    opj_destroy_codec(codec);
    opj_image_destroy(im);
    size_t n;
    uint8_t *b = get(path, &n);
    remove(path);
    emit(name, b, n, 1);
    if (kind == 0) {
        /* SIZ patched: Xsiz, Ysiz at +8, +12 from SOC; XTsiz, YTsiz at +24, +28 */
        size_t at = 0;
        while (at + 32 < n && memcmp(b + at, "\xFF\x4F\xFF\x51", 4) != 0) at++;
        uint8_t *c = b + at;
        /* a codestream claiming 60000 x 60000 px, in one tile (or OpenJPEG refuses the tile
         * count before we see the size) */
        w32(c + 8, 60000, 0);
        w32(c + 12, 60000, 0);
        w32(c + 24, 60000, 0);
        w32(c + 28, 60000, 0);
        snprintf(path, sizeof path, DATA "huge.%s", jp2 ? "jp2" : "j2k");
        put(path, b, n);
        snprintf(path, sizeof path, CORPUS "huge.%s", jp2 ? "jp2" : "j2k");
        put(path, b, n);
        /* 1000 x 1000 px (within limits) in 8 x 8 tiles: 15625 tiles */
        w32(c + 8, 1000, 0);
        w32(c + 12, 1000, 0);
        w32(c + 24, 8, 0);
        w32(c + 28, 8, 0);
        snprintf(path, sizeof path, DATA "tiles.%s", jp2 ? "jp2" : "j2k");
        put(path, b, n);
        snprintf(path, sizeof path, CORPUS "tiles.%s", jp2 ? "jp2" : "j2k");
        put(path, b, n);
    }
    free(b);
}

/* ---------------------------------------------------------------- over-limit headers */

/* PNG's chunk CRC (the zlib CRC-32), bit by bit: a few bytes only. */
static uint32_t crc32_png(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
    }
    return c ^ 0xFFFFFFFFu;
}

static void make_huge(void) {
    size_t n;
    uint8_t *b = get(DATA "rgb.png", &n);
    /* IHDR data at 16: width, height; CRC over "IHDR" + 13 bytes at 29 */
    w32(b + 16, 100000, 0);
    w32(b + 20, 100000, 0);
    w32(b + 29, crc32_png(b + 12, 17), 0);
    put(DATA "huge.png", b, n);
    put(CORPUS "huge.png", b, n);
    free(b);
    b = get(DATA "rgb.jpg", &n);
    for (size_t i = 2; i + 9 < n; i++) /* SOF0: FF C0, length, precision, height, width */
        if (b[i] == 0xFF && b[i + 1] == 0xC0) {
            w16(b + i + 5, 60000, 0);
            w16(b + i + 7, 60000, 0);
            break;
        }
    put(DATA "huge.jpg", b, n);
    put(CORPUS "huge.jpg", b, n);
    free(b);
    static const char hp[] = "P6\n100000 100000\n255\n\x01\x02\x03";
    put(DATA "huge.ppm", (const uint8_t *)hp, sizeof hp - 1);
}

int main(void) {
    make_jpegs();
    make_pngs();
    make_pnms();
    j2k_emit("rgb.jp2", 0, 1);
    j2k_emit("rgb.j2k", 0, 0);
    j2k_emit("gray.jp2", 1, 1);
    j2k_emit("gray12.j2k", 2, 0);
    j2k_emit("signed.j2k", 3, 0);
    j2k_emit("ycc420.jp2", 4, 1);
    j2k_emit("rgba.jp2", 5, 1);
    make_huge();
    printf("fixtures written to " DATA " and " CORPUS "\n");
    return 0;
}
