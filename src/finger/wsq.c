/*
 * wsq.c - the WSQ decoder: FBI "WSQ Gray-scale Fingerprint Image Compression Specification",
 * IAFIS-IC-0110 (V3.1), 2010. Written from the specification's description of the format;
 * checked against the images jnbis (Apache-2.0) decodes from NIST's sample files
 * (tests/data/finger/SOURCE.md).
 *
 * A WSQ file is markers (FFA0-FFA8) around three Huffman-coded blocks of quantized wavelet
 * coefficients. Decoding, in the order below:
 *   1. the tables: transform (DTT: the two analysis filters, half of each symmetric filter as
 *      sign, decimal exponent and 32-bit value), quantization (DQT: bin centre C, and for each
 *      of the 64 subbands a bin width Q and a zero-bin width Z, each as exponent + 16-bit
 *      value), Huffman (DHT: JPEG-style code-length counts and values), comments (COM; NIST's
 *      NISTCOM carries the resolution as "PPI n");
 *   2. the frame (SOF): size, and the shift M and scale R that map coefficients back to grey;
 *   3. the blocks (SOB): a stream of Huffman symbols, 1-100 a run of that many zeros, 101/102 a
 *      positive / negative 8-bit value follows, 103/104 the same with 16 bits, 105/106 a zero
 *      run of 8 / 16 bits follows, 107-254 the value symbol - 180; 0xFF bytes are stuffed with
 *      0x00 as in JPEG. The coefficients of every coded subband (Q != 0), in subband order and
 *      raster order within each, follow one another across the blocks;
 *   4. dequantization: 0 stays 0, p > 0 gives Q (p - C) + Z / 2, p < 0 gives Q (p + C) - Z / 2;
 *   5. the inverse wavelet transform over the specification's decomposition tree (20 nodes,
 *      64 subbands; see the tree below), each node synthesised column by column and then row by
 *      row with the synthesis filters, with whole-sample symmetric extension at both ends;
 *   6. grey = coefficient * R + M, rounded and clamped to 0..255.
 * Every length, count and size is checked against the bytes and the limits before use; a
 * damaged file is an error with a message, never a crash.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bex/finger.h"
#include "finger/finger_int.h"
#include "util/util.h"

enum {
    M_SOI = 0xFFA0, M_EOI = 0xFFA1, M_SOF = 0xFFA2, M_SOB = 0xFFA3, M_DTT = 0xFFA4,
    M_DQT = 0xFFA5, M_DHT = 0xFFA6, M_DRT = 0xFFA7, M_COM = 0xFFA8,
};
enum { NSUB = 64, NNODE = 20, MAX_TAPS = 31, NHUFF = 8, MAX_BLOCKS = 64 };

/* ------------------------------------------------------------------ the decomposition tree */

/* Each node of the wavelet tree is a rectangle of the coefficient array that the synthesis turns
 * back into one band; its four quadrants are its low-low, high-low, low-high and high-high
 * bands. A node that is the top-right quadrant of its parent was split with its row bands
 * stored high first ("inverted" rows), a bottom-left one with its column bands inverted, a
 * bottom-right one both; an inverted split puts the shorter (high-pass) half first. */
enum { TL = 0, TR = 1, BL = 2, BR = 3 };

typedef struct rect {
    int x, y, w, h;
    int inv_rows, inv_cols; /* only meaningful for nodes */
} rect;

/* parent and quadrant of nodes 1..19 (node 0 is the whole image) */
static const signed char NODE_PARENT[NNODE][2] = {
    {-1, 0}, {0, TL}, {0, TR}, {0, BL}, {1, TR}, {1, BL}, {4, TL}, {4, TR}, {4, BL}, {4, BR},
    {5, TL}, {5, TR}, {5, BL}, {5, BR}, {1, TL}, {14, TL}, {14, TR}, {14, BL}, {14, BR}, {15, TL},
};

/* node and quadrant of subbands 0..59; 60-63 (the bottom-right quarter of the image) are never
 * coded. Block 1 carries subbands 0-18, block 2 19-51, block 3 52-59. */
static const signed char SUB_NODE[60][2] = {
    {19, TL}, {19, TR}, {19, BL}, {19, BR}, {15, TR}, {15, BL}, {15, BR},
    {16, TL}, {16, TR}, {16, BL}, {16, BR}, {17, TL}, {17, TR}, {17, BL}, {17, BR},
    {18, TL}, {18, TR}, {18, BL}, {18, BR},
    {6, TL},  {6, TR},  {6, BL},  {6, BR},  {7, TL},  {7, TR},  {7, BL},  {7, BR},
    {8, TL},  {8, TR},  {8, BL},  {8, BR},  {9, TL},  {9, TR},  {9, BL},  {9, BR},
    {10, TL}, {10, TR}, {10, BL}, {10, BR}, {11, TL}, {11, TR}, {11, BL}, {11, BR},
    {12, TL}, {12, TR}, {12, BL}, {12, BR}, {13, TL}, {13, TR}, {13, BL}, {13, BR},
    {1, BR},
    {2, TL},  {2, TR},  {2, BL},  {2, BR},  {3, TL},  {3, TR},  {3, BL},  {3, BR},
};

static rect quadrant(const rect *n, int q) {
    int wl = n->inv_rows ? n->w / 2 : (n->w + 1) / 2; /* width of the left half */
    int ht = n->inv_cols ? n->h / 2 : (n->h + 1) / 2; /* height of the top half */
    rect r = {n->x, n->y, wl, ht, 0, 0};
    if (q == TR || q == BR) r.x += wl, r.w = n->w - wl, r.inv_rows = 1;
    if (q == BL || q == BR) r.y += ht, r.h = n->h - ht, r.inv_cols = 1;
    return r;
}

static void build_tree(int w, int h, rect node[NNODE], rect sub[NSUB]) {
    node[0] = (rect){0, 0, w, h, 0, 0};
    for (int i = 1; i < NNODE; i++) node[i] = quadrant(&node[NODE_PARENT[i][0]], NODE_PARENT[i][1]);
    for (int i = 0; i < 60; i++) sub[i] = quadrant(&node[SUB_NODE[i][0]], SUB_NODE[i][1]);
    rect br = quadrant(&node[0], BR);
    for (int i = 60; i < NSUB; i++) sub[i] = quadrant(&br, i - 60);
}

/* ------------------------------------------------------------------ reading */

typedef struct huff {
    int defined;
    uint8_t count[17]; /* codes of each length 1..16 */
    uint8_t val[256];
    int nval;
    int32_t mincode[17], maxcode[17], valptr[17]; /* maxcode -1: no code of that length */
} huff;

typedef struct wsq {
    const uint8_t *b;
    size_t len, at;
    char *err;
    size_t errlen;
    /* DTT: synthesis filters, centred, odd lengths */
    float lo[MAX_TAPS], hi[MAX_TAPS];
    int nlo, nhi, have_dtt;
    /* DQT */
    float q[NSUB], z[NSUB], c;
    int have_dqt;
    huff h[NHUFF];
    /* SOF */
    int width, height, have_sof;
    float shift, scale;
    int ppi; /* NISTCOM PPI, 0 if none */
    /* the entropy-coded bits */
    uint32_t bitbuf;
    int nbits;
    int marker; /* a marker met inside the coded data, 0 if none */
} wsq;

static int corrupt(wsq *d, const char *what) {
    return bex__fail(d->err, d->errlen, BEX_ERR_CORRUPT, "WSQ: %s (at byte %zu)", what, d->at);
}

static int need(wsq *d, size_t n, const char *what) {
    if (d->len - d->at < n) {
        char m[160];
        snprintf(m, sizeof m, "the file ends inside the %s; it is truncated", what);
        return corrupt(d, m);
    }
    return BEX_OK;
}
static unsigned u8(wsq *d) { return d->b[d->at++]; }
static unsigned u16(wsq *d) {
    unsigned v = (unsigned)d->b[d->at] << 8 | d->b[d->at + 1];
    d->at += 2;
    return v;
}
static uint32_t u32(wsq *d) {
    uint32_t v = (uint32_t)d->b[d->at] << 24 | (uint32_t)d->b[d->at + 1] << 16 |
                 (uint32_t)d->b[d->at + 2] << 8 | d->b[d->at + 3];
    d->at += 4;
    return v;
}

/* value / 10^exponent, in float one division at a time as the encoder's reference does */
static float scaled(uint32_t value, unsigned exponent) {
    float v = (float)value;
    for (unsigned i = 0; i < exponent && i < 40; i++) v = (float)(v / 10.0);
    return v;
}

/* Reads a segment's length field and checks it: at least `min`, inside the file. *end gets the
 * offset just past the segment. */
static int seg_len(wsq *d, unsigned min, const char *what, size_t *end) {
    int rc = need(d, 2, what);
    if (rc) return rc;
    size_t start = d->at;
    unsigned n = u16(d);
    if (n < min) {
        char m[160];
        snprintf(m, sizeof m, "the %s is %u bytes long, shorter than its %u-byte minimum", what,
                 n, min);
        return corrupt(d, m);
    }
    d->at = start;
    if ((rc = need(d, n, what))) return rc;
    d->at = start + 2;
    *end = start + n;
    return BEX_OK;
}

static int read_dtt(wsq *d) {
    size_t end;
    int rc = seg_len(d, 4, "transform table", &end);
    if (rc) return rc;
    unsigned nh = u8(d), nl = u8(d); /* analysis low-pass length, analysis high-pass length */
    if (nh % 2 == 0 || nl % 2 == 0 || nh > MAX_TAPS || nl > MAX_TAPS)
        return bex__fail(d->err, d->errlen, BEX_ERR_UNSUPPORTED,
                         "WSQ: filters of %u and %u taps; only odd lengths up to %d (the "
                         "specification's 9/7 pair) are supported",
                         nh, nl, MAX_TAPS);
    unsigned ah = (nh + 1) / 2, al = (nl + 1) / 2;
    if (end - d->at != (size_t)(ah + al) * 6) return corrupt(d, "transform table length does not match its filters");
    /* The table holds half of each symmetric analysis filter, centre first. The synthesis
     * filters are the other analysis filter modulated by (-1)^n about its centre: the
     * analysis low-pass gives the synthesis high-pass and vice versa. */
    for (int pass = 0; pass < 2; pass++) {
        unsigned a = pass ? al : ah, n = pass ? nl : nh, c = (n - 1) / 2;
        float *f = pass ? d->lo : d->hi;
        for (unsigned t = 0; t < a; t++) {
            unsigned sign = u8(d), exp = u8(d);
            uint32_t v = u32(d);
            float x = scaled(v, exp);
            if (sign) x = -x;
            if (t & 1) x = -x;
            f[c + t] = f[c - t] = x;
        }
    }
    d->nhi = (int)nh;
    d->nlo = (int)nl;
    d->have_dtt = 1;
    return BEX_OK;
}

static int read_dqt(wsq *d) {
    size_t end;
    int rc = seg_len(d, 2 + 3 + NSUB * 6, "quantization table", &end);
    if (rc) return rc;
    if (end - d->at != 3 + NSUB * 6) return corrupt(d, "quantization table has the wrong length");
    unsigned e = u8(d);
    d->c = scaled(u16(d), e);
    for (int i = 0; i < NSUB; i++) {
        e = u8(d);
        d->q[i] = scaled(u16(d), e);
        e = u8(d);
        d->z[i] = scaled(u16(d), e);
    }
    d->have_dqt = 1;
    return BEX_OK;
}

/* The canonical code of JPEG (ITU-T T.81 Annex C) that WSQ's Huffman tables also use. */
static int make_codes(wsq *d, huff *t) {
    int32_t code = 0;
    int k = 0;
    for (int len = 1; len <= 16; len++) {
        if (t->count[len] == 0) {
            t->maxcode[len] = -1;
        } else {
            t->valptr[len] = k;
            t->mincode[len] = code;
            code += t->count[len];
            k += t->count[len];
            t->maxcode[len] = code - 1;
            if (code > (1 << len)) return corrupt(d, "Huffman table has more codes than bits for them");
        }
        code <<= 1;
    }
    return BEX_OK;
}

static int read_dht(wsq *d) {
    size_t end;
    int rc = seg_len(d, 2 + 17, "Huffman table", &end);
    if (rc) return rc;
    while (d->at < end) {
        if (end - d->at < 17) return corrupt(d, "Huffman table is cut short");
        unsigned id = u8(d);
        if (id >= NHUFF) return corrupt(d, "Huffman table number above 7");
        huff *t = &d->h[id];
        memset(t, 0, sizeof *t);
        int n = 0;
        for (int len = 1; len <= 16; len++) n += t->count[len] = (uint8_t)u8(d);
        if (n == 0 || n > 256) return corrupt(d, "Huffman table has no codes or more than 256");
        if (end - d->at < (size_t)n) return corrupt(d, "Huffman table values are cut short");
        memcpy(t->val, d->b + d->at, (size_t)n);
        d->at += (size_t)n;
        t->nval = n;
        if ((rc = make_codes(d, t))) return rc;
        t->defined = 1;
    }
    return BEX_OK;
}

/* A comment; NIST's NISTCOM ("NIST_COM n" then "KEY value" lines) may give "PPI n"; -1 and its
 * byte form 255 mean unknown. */
static int read_com(wsq *d) {
    size_t end;
    int rc = seg_len(d, 2, "comment", &end);
    if (rc) return rc;
    const char *s = (const char *)d->b + d->at;
    size_t n = end - d->at;
    d->at = end;
    if (n < 8 || memcmp(s, "NIST_COM", 8) != 0) return BEX_OK;
    for (size_t i = 0; i + 4 <= n; i++) {
        if ((i == 0 || s[i - 1] == '\n') && memcmp(s + i, "PPI ", 4) == 0) {
            long v = 0;
            int neg = 0, digits = 0;
            size_t k = i + 4;
            if (k < n && s[k] == '-') neg = 1, k++;
            for (; k < n && s[k] >= '0' && s[k] <= '9' && digits < 7; k++, digits++)
                v = v * 10 + (s[k] - '0');
            if (digits && !neg && v != 255 && v > 0) d->ppi = (int)v;
            break;
        }
    }
    return BEX_OK;
}

static int read_sof(wsq *d, const bex_image_limits *lim) {
    size_t end;
    int rc = seg_len(d, 17, "frame header", &end);
    if (rc) return rc;
    (void)u8(d); /* black: informative */
    (void)u8(d); /* white: informative */
    unsigned h = u16(d), w = u16(d);
    unsigned e = u8(d);
    d->shift = scaled(u16(d), e);
    e = u8(d);
    d->scale = scaled(u16(d), e);
    d->at = end; /* encoder number and software version: informative */
    if ((rc = bex__finger_check_size(w, h, lim, "WSQ", d->err, d->errlen))) return rc;
    if (!(d->scale > 0)) return corrupt(d, "frame header gives a zero scale");
    d->width = (int)w;
    d->height = (int)h;
    d->have_sof = 1;
    return BEX_OK;
}

/* The next bit of the coded data: 0/1, or -1 at a marker (d->marker set, the marker left
 * unread), or -2 at the end of the file. */
static int next_bit(wsq *d) {
    if (d->nbits == 0) {
        if (d->at >= d->len) return -2;
        unsigned byte = d->b[d->at];
        if (byte == 0xFF) {
            if (d->at + 1 >= d->len) return -2;
            unsigned nx = d->b[d->at + 1];
            if (nx != 0) {
                d->marker = (int)(0xFF00 | nx);
                return -1;
            }
            d->at += 2; /* stuffed 0xFF 0x00: a data byte of 0xFF */
        } else {
            d->at++;
        }
        d->bitbuf = byte;
        d->nbits = 8;
    }
    d->nbits--;
    return (int)(d->bitbuf >> d->nbits) & 1;
}

static int next_bits(wsq *d, int n, uint32_t *v) {
    uint32_t x = 0;
    for (int i = 0; i < n; i++) {
        int bit = next_bit(d);
        if (bit == -2) return corrupt(d, "the coded data ends inside a value; the file is truncated");
        if (bit < 0) return corrupt(d, "a marker interrupts a coded value");
        x = x << 1 | (uint32_t)bit;
    }
    *v = x;
    return BEX_OK;
}

/* Decodes one block's symbols into q[*nq..cap). Returns at the marker that ends the block. */
static int decode_block(wsq *d, const huff *t, int32_t *q, size_t cap, size_t *nq) {
    d->nbits = 0;
    d->marker = 0;
    size_t k = *nq;
    for (;;) {
        int32_t code = 0;
        int sym = -1;
        for (int len = 1; len <= 16; len++) {
            int bit = next_bit(d);
            if (bit == -2) return corrupt(d, "the coded data has no end marker; the file is truncated");
            if (bit == -1) { /* the block ends (any bits read were the last byte's padding) */
                *nq = k;
                return BEX_OK;
            }
            code = code << 1 | bit;
            if (t->maxcode[len] >= 0 && code <= t->maxcode[len]) {
                int at = t->valptr[len] + (code - t->mincode[len]);
                if (at >= t->nval) return corrupt(d, "Huffman code points past its table");
                sym = t->val[at];
                break;
            }
        }
        if (sym < 0) return corrupt(d, "the coded data holds a code its Huffman table lacks");
        uint32_t run = 0, v = 0;
        int32_t value = 0;
        int rc;
        if (sym >= 1 && sym <= 100) {
            run = (uint32_t)sym;
        } else if (sym >= 107 && sym <= 254) {
            value = sym - 180;
            run = 0;
        } else if (sym >= 101 && sym <= 104) {
            if ((rc = next_bits(d, sym <= 102 ? 8 : 16, &v))) return rc;
            value = sym == 101 || sym == 103 ? (int32_t)v : -(int32_t)v;
        } else if (sym == 105 || sym == 106) {
            if ((rc = next_bits(d, sym == 105 ? 8 : 16, &run))) return rc;
        } else {
            return corrupt(d, "the coded data holds an undefined symbol");
        }
        if (sym <= 100 || sym == 105 || sym == 106) {
            if (run > cap - k) return corrupt(d, "more coefficients than the image has");
            memset(q + k, 0, run * sizeof *q);
            k += run;
        } else {
            if (k >= cap) return corrupt(d, "more coefficients than the image has");
            q[k++] = value;
        }
    }
}

/* ------------------------------------------------------------------ synthesis */

/* Index of sample j of a length-n sequence extended whole-sample symmetrically at both ends
 * (x[-j] = x[j], x[n-1+j] = x[n-1-j]); the reflection keeps j's parity. */
static int reflect(int j, int n) {
    if (n == 1) return 0;
    int period = 2 * (n - 1);
    j %= period;
    if (j < 0) j += period;
    return j < n ? j : period - j;
}

/* One line of n samples at p (stride apart): its low-pass half (ceil(n/2) samples) and
 * high-pass half (floor(n/2)), stored low first or, inverted, high first, become n samples
 * again: the bands are interleaved (low at even positions, high at odd), extended
 * symmetrically, and filtered with the synthesis filters. y and x hold n floats. */
static void synth_line(float *p, ptrdiff_t stride, int n, int inv, const wsq *d, float *y,
                       float *x) {
    int nl = (n + 1) / 2, nh = n / 2;
    const float *low = inv ? p + nh * stride : p, *high = inv ? p : p + nl * stride;
    for (int m = 0; m < nl; m++) y[2 * m] = low[m * stride];
    for (int m = 0; m < nh; m++) y[2 * m + 1] = high[m * stride];
    int cl = (d->nlo - 1) / 2, ch = (d->nhi - 1) / 2;
    for (int k = 0; k < n; k++) {
        float s = 0;
        for (int t = -cl; t <= cl; t++) {
            int j = k - t;
            if (j & 1) continue;
            s += d->lo[cl + t] * y[reflect(j, n)];
        }
        if (n > 1)
            for (int t = -ch; t <= ch; t++) {
                int j = k - t;
                if (!(j & 1)) continue;
                s += d->hi[ch + t] * y[reflect(j, n)];
            }
        x[k] = s;
    }
    for (int k = 0; k < n; k++) p[k * stride] = x[k];
}

static void reconstruct(float *img, int w, const rect node[NNODE], const wsq *d, float *y,
                        float *x) {
    for (int i = NNODE - 1; i >= 0; i--) {
        const rect *r = &node[i];
        if (r->w <= 0 || r->h <= 0) continue;
        float *base = img + (size_t)r->y * w + r->x;
        for (int c = 0; c < r->w; c++) synth_line(base + c, w, r->h, r->inv_cols, d, y, x);
        for (int row = 0; row < r->h; row++)
            synth_line(base + (size_t)row * w, 1, r->w, r->inv_rows, d, y, x);
    }
}

/* ------------------------------------------------------------------ the decoder */

static const char *marker_name(int m) {
    switch (m) {
    case M_SOI: return "SOI";
    case M_EOI: return "EOI";
    case M_SOF: return "SOF";
    case M_SOB: return "SOB";
    case M_DTT: return "DTT";
    case M_DQT: return "DQT";
    case M_DHT: return "DHT";
    case M_DRT: return "DRT";
    case M_COM: return "COM";
    default: return "an unknown marker";
    }
}

static int read_marker(wsq *d, int *m) {
    int rc = need(d, 2, "marker");
    if (rc) return rc;
    if (d->b[d->at] != 0xFF) return corrupt(d, "expected a marker (FF..)");
    *m = (int)u16(d);
    return BEX_OK;
}

/* A table or comment segment; BEX_ERR_CORRUPT for anything else. */
static int read_table(wsq *d, int m) {
    size_t end;
    int rc;
    switch (m) {
    case M_DTT: return read_dtt(d);
    case M_DQT: return read_dqt(d);
    case M_DHT: return read_dht(d);
    case M_COM: return read_com(d);
    case M_DRT: /* restart interval: WSQ encoders do not emit restart markers; ignored */
        if ((rc = seg_len(d, 4, "restart interval", &end))) return rc;
        d->at = end;
        return BEX_OK;
    default: {
        char msg[96];
        d->at -= 2;
        snprintf(msg, sizeof msg, "unexpected marker %04X (%s)", (unsigned)m, marker_name(m));
        return corrupt(d, msg);
    }
    }
}

int bex__wsq_decode(const uint8_t *buf, size_t len, const bex_image_limits *lim,
                    bex_finger_image *out, int *file_ppi, char *err, size_t errlen) {
    wsq *d = bex__calloc(1, sizeof *d);
    if (!d) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory decoding a WSQ image");
    d->b = buf;
    d->len = len;
    d->err = err;
    d->errlen = errlen;
    int32_t *q = NULL;
    float *img = NULL, *line = NULL;
    bex_finger_image res = {0};
    int m = 0, rc = read_marker(d, &m);
    if (rc == BEX_OK && m != M_SOI) rc = bex__fail(err, errlen, BEX_ERR_FORMAT, "not a WSQ file (no SOI marker)");
    /* tables, then the frame */
    while (rc == BEX_OK && (rc = read_marker(d, &m)) == BEX_OK && m != M_SOF) {
        if (m == M_EOI || m == M_SOB) {
            d->at -= 2;
            rc = corrupt(d, "no frame header (SOF) before the image data");
        } else {
            rc = read_table(d, m);
        }
    }
    if (rc == BEX_OK) rc = read_sof(d, lim);
    size_t cap = 0, nq = 0;
    if (rc == BEX_OK) {
        cap = (size_t)d->width * d->height;
        q = bex__malloc(cap * sizeof *q);
        if (!q) rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for a %dx%d WSQ image", d->width, d->height);
    }
    /* tables and blocks up to the end */
    int blocks = 0;
    while (rc == BEX_OK) {
        if ((rc = read_marker(d, &m))) break;
        if (m == M_EOI) break;
        if (m == M_SOF) {
            d->at -= 2;
            rc = corrupt(d, "a second frame header");
            break;
        }
        if (m != M_SOB) {
            rc = read_table(d, m);
            continue;
        }
        size_t end;
        if ((rc = seg_len(d, 3, "block header", &end))) break;
        unsigned id = u8(d);
        d->at = end;
        if (id >= NHUFF || !d->h[id].defined) {
            rc = corrupt(d, "a block uses a Huffman table that is not defined");
            break;
        }
        if (++blocks > MAX_BLOCKS) {
            rc = corrupt(d, "too many blocks");
            break;
        }
        rc = decode_block(d, &d->h[id], q, cap, &nq);
    }
    if (rc == BEX_OK && (!d->have_dtt || !d->have_dqt))
        rc = corrupt(d, !d->have_dtt ? "no transform table (DTT)" : "no quantization table (DQT)");
    rect node[NNODE], sub[NSUB];
    if (rc == BEX_OK) {
        build_tree(d->width, d->height, node, sub);
        size_t want = 0;
        for (int i = 0; i < NSUB; i++) {
            if (d->q[i] == 0) continue;
            if (i >= 60) {
                rc = corrupt(d, "the quantization table codes subbands 60-63, which WSQ never codes");
                break;
            }
            want += (size_t)sub[i].w * sub[i].h;
        }
        if (rc == BEX_OK && nq != want) {
            char msg[160];
            snprintf(msg, sizeof msg, "the blocks hold %zu coefficients where the tables call for %zu%s",
                     nq, want, nq < want ? "; the file is truncated or damaged" : "");
            rc = corrupt(d, msg);
        }
    }
    if (rc == BEX_OK) {
        img = bex__calloc(cap, sizeof *img);
        int longest = d->width > d->height ? d->width : d->height;
        line = bex__malloc(2 * (size_t)longest * sizeof *line);
        if (!img || !line) rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for a %dx%d WSQ image", d->width, d->height);
    }
    if (rc == BEX_OK) {
        /* dequantize into each coded subband's rectangle */
        size_t k = 0;
        for (int i = 0; i < NSUB; i++) {
            if (d->q[i] == 0) continue;
            float Q = d->q[i], Z2 = d->z[i] / 2.0f, C = d->c;
            for (int y = 0; y < sub[i].h; y++) {
                float *row = img + (size_t)(sub[i].y + y) * d->width + sub[i].x;
                for (int x = 0; x < sub[i].w; x++, k++) {
                    int32_t p = q[k];
                    row[x] = p == 0 ? 0.0f : p > 0 ? Q * ((float)p - C) + Z2 : Q * ((float)p + C) - Z2;
                }
            }
        }
        int longest = d->width > d->height ? d->width : d->height;
        reconstruct(img, d->width, node, d, line, line + longest);
        rc = bex__finger_alloc(&res, d->width, d->height, err, errlen);
    }
    if (rc == BEX_OK) {
        for (size_t i = 0; i < cap; i++) {
            float v = img[i] * d->scale + d->shift + 0.5f;
            res.px[i] = v >= 255 ? 255 : v >= 0 ? (uint8_t)v : 0; /* NaN: 0 */
        }
        *file_ppi = d->ppi;
        *out = res;
    } else {
        bex_finger_image_free(&res);
    }
    bex__free(q);
    bex__free(img);
    bex__free(line);
    bex__free(d);
    return rc;
}

int bex_wsq_decode(const uint8_t *buf, size_t len, const bex_image_limits *limits,
                   bex_finger_image *out, char *err, size_t errlen) {
    if (err && errlen) err[0] = '\0';
    if (!out || (!buf && len))
        return bex__fail(err, errlen, BEX_ERR_ARG, "bex_wsq_decode: NULL buffer or output");
    bex_image_limits lim = {BEX_IMAGE_DEFAULT_MAX_FILE_BYTES, BEX_IMAGE_DEFAULT_MAX_PIXELS};
    if (limits && limits->max_file_bytes) lim.max_file_bytes = limits->max_file_bytes;
    if (limits && limits->max_pixels) lim.max_pixels = limits->max_pixels;
    if (len > lim.max_file_bytes)
        return bex__fail(err, errlen, BEX_ERR_LIMIT, "input is %zu bytes, above the limit of %zu",
                         len, lim.max_file_bytes);
    if (len < 2 || buf[0] != 0xFF || buf[1] != 0xA0)
        return bex__fail(err, errlen, BEX_ERR_FORMAT, "not a WSQ file (no SOI marker FF A0)");
    bex_finger_image img = {0};
    int ppi = 0;
    int rc = bex__wsq_decode(buf, len, &lim, &img, &ppi, err, errlen);
    if (rc == BEX_OK) rc = bex__finger_settle_ppi(&img, ppi, "NISTCOM PPI", 0, err, errlen);
    if (rc == BEX_OK) *out = img;
    else bex_finger_image_free(&img);
    return rc;
}
