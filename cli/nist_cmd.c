/*
 * nist_cmd.c - `bex nist export` and `bex nist import`: one crossing's biometric record as an
 * ANSI/NIST-ITL 1-2011 (Update 2015) transaction for another agency, and such a transaction's
 * faces and fingers enrolled in the store. The encoding is nist.h's; the Type-2 fields are
 * bex's own profile (docs/documents.md, "bex's exchange profile").
 *
 *   bex nist export ENCOUNTER [--db FILE] [--out FILE] [--dai AGENCY] [--ori AGENCY] [--tcn ID]
 *   bex nist import FILE [--db FILE] [--source document|visa|officer] [CAPTURE]
 *
 * Export writes Type-1, Type-2 (bex's profile) and Type-10 (the crossing's photo as retention
 * kept it, its bytes unchanged; a PGM/PPM as raw pixels); a crossing whose photo was not kept
 * is refused, not exported without its face. Import enrols each Type-10 face with the Type-2's
 * document (bex_border_enrol), then each Type-14's finger (14.013 FGP 1-10; a slap, 13-15,
 * cut into fingers) with the same document's subject by the entry's finger rules
 * (bex_border_enrol_fingers), and reports every record and finger with what became of it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bex/finger.h"
#include "bex/image.h"
#include "bex/mrz.h"
#include "bex/nist.h"
#include "bex/rules.h"
#include "bex/timestamp.h"
#include "cli.h"

/* bex's Type-2 profile: the field numbers (docs/documents.md has the table). 2.003 names the
 * profile, so that an import never reads another agency's Type-2 fields as bex's. */
#define P2_PROFILE 3
#define P2_DOC_TYPE 10
#define P2_ISSUING_STATE 11
#define P2_NUMBER 12
#define P2_NATIONALITY 13
#define P2_SURNAME 14
#define P2_GIVEN 15
#define P2_BIRTH 16
#define P2_SEX 17
#define P2_EXPIRY 18
#define P2_ENCOUNTER 20
#define P2_PORT 21
#define P2_PORT_KIND 22
#define P2_DIRECTION 23
#define P2_AT 24
#define P2_OUTCOME 25
#define P2_DECISION 26
#define P2_CARRIER 27
#define P2_VOYAGE 28
#define BEX_PROFILE "BEX-1"
#define BEX_TOT "BEXENC" /* 1.004 TOT: a crossing's record (bex's own code) */

static int nist_fail(const char *what, const char *msg) {
    fprintf(stderr, "bex: nist %s: %s\n", what, msg);
    return 2;
}

/* An agency or transaction id typed on the command line: printable ASCII without the
 * separators, 1..max bytes. */
static int plain_text(const char *s, size_t max) {
    size_t n = strlen(s);
    if (n == 0 || n > max) return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e) return 0;
    return 1;
}

/* "2026-03-01..." -> "20260301" (YYYYMMDD, the standard's dates); "" when s is no date. */
static void nist_date(const char *s, char out[9]) {
    out[0] = 0;
    if (strlen(s) < 10 || s[4] != '-' || s[7] != '-') return;
    snprintf(out, 9, "%.4s%.2s%.2s", s, s + 5, s + 8);
}

/* ------------------------------------------------------------------ export */

/* The JPEG frame's own size from its SOF marker: HLL/VLL describe the bytes in 10.999, which
 * the decoder turns upright by EXIF orientation (a quarter turn swaps them). 0 when none. */
static int jpeg_frame_size(const uint8_t *b, size_t n, int *w, int *h) {
    size_t p = 2;
    while (p + 4 <= n) {
        if (b[p] != 0xFF) return 0;
        uint8_t m = b[p + 1];
        if (m == 0xFF) { p++; continue; } /* fill byte */
        if (m == 0x01 || (m >= 0xD0 && m <= 0xD8)) { p += 2; continue; }
        size_t seg = (size_t)b[p + 2] << 8 | b[p + 3];
        if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
            if (seg < 7 || p + 9 > n) return 0;
            *h = b[p + 5] << 8 | b[p + 6];
            *w = b[p + 7] << 8 | b[p + 8];
            return *w > 0 && *h > 0;
        }
        if (m == 0xDA || seg < 2) return 0; /* scan data before a frame header */
        p += 2 + seg;
    }
    return 0;
}

/* What Type-10 says of an image: 10.011 CGA and 10.012 CSP from the standard's tables, the
 * size, and (a PGM/PPM, which no CGA code names) the pixels written raw under CGA NONE. */
typedef struct face_image {
    const char *cga, *csp;
    int width, height;
    const uint8_t *data;
    size_t len;
    uint8_t *raw; /* owned: CGA NONE's pixels */
} face_image;

static int is_gray(const bex_image *im) {
    size_t n = (size_t)im->width * im->height;
    for (size_t i = 0; i < n; i++)
        if (im->px[3 * i] != im->px[3 * i + 1] || im->px[3 * i] != im->px[3 * i + 2]) return 0;
    return 1;
}

static int describe_image(const uint8_t *b, size_t n, face_image *fi, char *err, size_t errlen) {
    memset(fi, 0, sizeof *fi);
    bex_image_limits lim = {.max_file_bytes = n + 1};
    bex_image im;
    int rc = bex_image_decode(b, n, &lim, &im, err, errlen);
    if (rc != BEX_OK) return rc; /* a retained photo bex cannot read: not exported */
    int gray = is_gray(&im);
    fi->width = im.width;
    fi->height = im.height;
    fi->data = b;
    fi->len = n;
    switch (bex_image_sniff(b, n)) {
    case BEX_IMAGE_JPEG:
        fi->cga = "JPEGB";
        fi->csp = gray ? "GRAY" : "SYCC"; /* JFIF: YCbCr of sRGB */
        jpeg_frame_size(b, n, &fi->width, &fi->height);
        break;
    case BEX_IMAGE_PNG: fi->cga = "PNG"; fi->csp = gray ? "GRAY" : "SRGB"; break;
    case BEX_IMAGE_JP2: fi->cga = "JP2"; fi->csp = gray ? "GRAY" : "SRGB"; break;
    default: /* PGM/PPM: 8-bit pixels, raw */
        fi->cga = "NONE";
        fi->csp = gray ? "GRAY" : "RGB";
        fi->len = (size_t)im.width * im.height * (gray ? 1 : 3);
        if (!(fi->raw = malloc(fi->len))) {
            bex_image_free(&im);
            snprintf(err, errlen, "out of memory");
            return BEX_ERR_NOMEM;
        }
        for (size_t i = 0; i < (size_t)im.width * im.height; i++) {
            if (gray) fi->raw[i] = im.px[3 * i];
            else memcpy(fi->raw + 3 * i, im.px + 3 * i, 3);
        }
        fi->data = fi->raw;
    }
    bex_image_free(&im);
    return BEX_OK;
}

/* A crossing's finger image as Type-14 writes it: decoded (the resolution the file states, else
 * 500 assumed), rescaled to 500 ppi, raw 8-bit grey (CGA NONE). */
typedef struct finger_out {
    int position;
    bex_finger_image img; /* at 500 ppi; px NULL when it could not be read */
    char error[200];
} finger_out;

static void describe_fingers(const bex_encounter_record *e, finger_out *f) {
    for (int i = 0; i < e->n_fingers; i++) {
        memset(&f[i], 0, sizeof f[i]);
        f[i].position = e->finger_images[i].position;
        bex_finger_image in;
        memset(&in, 0, sizeof in);
        char err[160];
        if (bex_finger_image_decode(e->finger_images[i].image, e->finger_images[i].image_len, 0, NULL, &in, err,
                                    sizeof err) != BEX_OK ||
            bex_finger_image_to_500(&in, &f[i].img, err, sizeof err) != BEX_OK) {
            snprintf(f[i].error, sizeof f[i].error, "the retained image cannot be read: %s", err);
            memset(&f[i].img, 0, sizeof f[i].img);
        }
        bex_finger_image_free(&in);
    }
}

/* Text fields of a record, each added only when it has a value; the first failure sticks. */
typedef struct adder {
    bex_nist_record *r;
    int rc;
} adder;

static void add(adder *a, int field, const char *v) {
    if (a->rc == BEX_OK && a->r && v && *v) a->rc = bex_nist_add_text(a->r, field, v);
}

typedef struct export_opts {
    const char *dai, *ori, *tcn;
    char now[24];  /* the transaction's time, ISO 8601 UTC */
} export_opts;

/* Builds the transaction and writes it into *out (malloc'd). The writer keeps pointers to the
 * values, not copies, so the values made here live in this frame until it has written. */
static int build(const bex_encounter_record *e, const face_image *fi, const finger_out *fo, const export_opts *o,
                 uint8_t **out, size_t *out_len, char *err, size_t errlen) {
    char dat[9], gmt[16], birth[9], expiry[9], phd[9], dom[32], hll[12], vll[12], enc[24];
    char fidc[10][12], fhll[10][12], fvll[10][12], fgp[10][12];
    bex_nist tr = {0}, *t = &tr;
    nist_date(o->now, dat);
    snprintf(gmt, sizeof gmt, "%s%.2s%.2s%.2sZ", dat, o->now + 11, o->now + 14, o->now + 17);
    snprintf(dom, sizeof dom, "BEX\x1f%s", BEX_VERSION);
    adder a = {bex_nist_add_record(t, 1), BEX_OK};
    add(&a, 2, BEX_NIST_VERSION);
    add(&a, 4, BEX_TOT);
    add(&a, 5, dat);
    add(&a, 7, o->dai);
    add(&a, 8, o->ori);
    add(&a, 9, o->tcn);
    add(&a, 11, "19.69"); /* NSR / NTR: 500 ppi in ppmm, as for a transaction without */
    add(&a, 12, "19.69"); /* friction-ridge images (docs/documents.md) */
    add(&a, 13, dom);
    add(&a, 14, gmt);
    a.r = a.rc == BEX_OK ? bex_nist_add_record(t, 2) : NULL;
    if (!a.r) a.rc = a.rc ? a.rc : BEX_ERR_NOMEM;
    nist_date(e->birth_date, birth);
    nist_date(e->expiry_date, expiry);
    add(&a, 2, "00");
    add(&a, P2_PROFILE, BEX_PROFILE);
    add(&a, P2_DOC_TYPE, e->doc_type);
    add(&a, P2_ISSUING_STATE, e->issuing_state);
    add(&a, P2_NUMBER, e->number);
    add(&a, P2_NATIONALITY, e->nationality);
    add(&a, P2_SURNAME, e->surname);
    add(&a, P2_GIVEN, e->given_names);
    add(&a, P2_BIRTH, birth);
    add(&a, P2_SEX, e->sex);
    add(&a, P2_EXPIRY, expiry);
    snprintf(enc, sizeof enc, "%lld", (long long)e->encounter);
    add(&a, P2_ENCOUNTER, enc);
    add(&a, P2_PORT, e->port);
    add(&a, P2_PORT_KIND, e->port_kind);
    add(&a, P2_DIRECTION, e->direction);
    add(&a, P2_AT, e->at);
    add(&a, P2_OUTCOME, e->outcome);
    add(&a, P2_DECISION, e->decision);
    add(&a, P2_CARRIER, e->carrier);
    add(&a, P2_VOYAGE, e->voyage);
    a.r = a.rc == BEX_OK ? bex_nist_add_record(t, 10) : NULL;
    if (!a.r) a.rc = a.rc ? a.rc : BEX_ERR_NOMEM;
    nist_date(e->captured_at[0] ? e->captured_at : e->at, phd);
    snprintf(hll, sizeof hll, "%d", fi->width);
    snprintf(vll, sizeof vll, "%d", fi->height);
    add(&a, 2, "01");
    add(&a, 3, "FACE");    /* IMT */
    add(&a, 4, o->ori);    /* SRC: the agency that holds the photo */
    add(&a, 5, phd);       /* PHD: the capture's date */
    add(&a, 6, hll);
    add(&a, 7, vll);
    add(&a, 8, "0");       /* SLC: no scale (a camera's photo), so THPS/TVPS are the */
    add(&a, 9, "1");       /* pixel aspect ratio, square */
    add(&a, 10, "1");
    add(&a, 11, fi->cga);
    add(&a, 12, fi->csp);
    add(&a, 13, "0");      /* SAP: unknown acquisition profile (no claim of ISO/ANSI frontal) */
    if (a.rc == BEX_OK) a.rc = bex_nist_add_field(a.r, 999, fi->data, fi->len);
    /* Type-14: each finger image kept, raw grey at 500 ppi (docs/documents.md) */
    for (int i = 0, idc = 2; a.rc == BEX_OK && i < e->n_fingers; i++) {
        const bex_finger_image *im = &fo[i].img;
        if (!im->px) continue;
        a.r = bex_nist_add_record(t, 14);
        if (!a.r) {
            a.rc = BEX_ERR_NOMEM;
            break;
        }
        snprintf(fidc[i], sizeof fidc[i], "%02d", idc++);
        snprintf(fhll[i], sizeof fhll[i], "%d", im->width);
        snprintf(fvll[i], sizeof fvll[i], "%d", im->height);
        snprintf(fgp[i], sizeof fgp[i], "%d", fo[i].position);
        add(&a, 2, fidc[i]);
        add(&a, 3, "0");       /* IMP: live-scan plain */
        add(&a, 4, o->ori);    /* SRC */
        add(&a, 5, phd);       /* FCD: the capture's date */
        add(&a, 6, fhll[i]);
        add(&a, 7, fvll[i]);
        add(&a, 8, "1");       /* SLC: pixels per inch ... */
        add(&a, 9, "500");     /* THPS */
        add(&a, 10, "500");    /* TVPS */
        add(&a, 11, "NONE");   /* CGA: raw pixels */
        add(&a, 12, "8");      /* BPX */
        add(&a, 13, fgp[i]);   /* FGP */
        if (a.rc == BEX_OK) a.rc = bex_nist_add_field(a.r, 999, im->px, (size_t)im->width * im->height);
    }
    if (a.rc != BEX_OK) snprintf(err, errlen, "a field cannot be written (%s)", bex_strerror(a.rc));
    else a.rc = bex_nist_write(t, out, out_len, err, errlen);
    bex_nist_free(t);
    return a.rc;
}

/* Writes len bytes to path through a temporary file beside it, renamed over it only when
 * whole and on disk: a failure leaves no partial file. 0600: the file holds personal data. */
static int write_atomic(const char *path, const uint8_t *buf, size_t len, char *err, size_t errlen) {
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        snprintf(err, errlen, "the output path is too long");
        return BEX_ERR_ARG;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create a temporary file beside %.300s: %s", path, strerror(errno));
        return BEX_ERR_IO;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, buf + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        off += (size_t)w;
    }
    int ok = off == len && fsync(fd) == 0;
    int e = errno;
    if (close(fd) != 0) ok = 0;
    if (ok && rename(tmp, path) != 0) {
        e = errno;
        ok = 0;
    }
    if (!ok) {
        unlink(tmp);
        snprintf(err, errlen, "cannot write %.300s: %s", path, strerror(e));
        return BEX_ERR_IO;
    }
    return BEX_OK;
}

/* Why an encounter has no photo to export, in words an operator can act on. */
static void no_photo_message(const bex_encounter_record *e, char *msg, size_t n) {
    if (!e->has_sample)
        snprintf(msg, n, "encounter %lld has no face capture on record (no usable photo at the crossing, or "
                 "its capture was deleted by retention): a Type-10 needs the face; nothing written",
                 (long long)e->encounter);
    else
        snprintf(msg, n, "encounter %lld: its photo was not retained (retention keeps photos only while the "
                 "\"images\" period is above 0, e.g. bex purge --set images=30d, and drops them after it): "
                 "a Type-10 needs the face; nothing written", (long long)e->encounter);
}

static int cmd_export(int argc, char **argv) {
    cli_common c = {.must_exist = 1};
    const char *id_s = NULL, *out = NULL;
    export_opts o = {.dai = "UNKNOWN", .ori = "BEX", .tcn = NULL};
    const char *usage = "nist export takes ENCOUNTER [--db FILE] [--out FILE] [--dai AGENCY] [--ori AGENCY] [--tcn ID]";
    for (int i = 0; i < argc; i++) {
        int r;
        if ((r = cli_common_opt(argc, argv, &i, &c)) || (r = cli_opt(argc, argv, &i, "--out", &out)) ||
            (r = cli_opt(argc, argv, &i, "--dai", &o.dai)) || (r = cli_opt(argc, argv, &i, "--ori", &o.ori)) ||
            (r = cli_opt(argc, argv, &i, "--tcn", &o.tcn))) {
            if (r < 0) return 2;
            continue;
        }
        if (argv[i][0] == '-' || id_s) return cli_usage_error(usage);
        id_s = argv[i];
    }
    int64_t id;
    if (!id_s) return cli_usage_error(usage);
    if (!cli_parse_id(id_s, &id)) return cli_usage_error("nist export: ENCOUNTER is an encounter's id, a positive number");
    if (!plain_text(o.dai, 32) || !plain_text(o.ori, 32) || (o.tcn && !plain_text(o.tcn, 40)))
        return cli_usage_error("--dai and --ori take 1-32, --tcn 1-40 printable ASCII characters");
    bex_time_canonical(NULL, o.now);
    char tcn[64], outbuf[64], err[512];
    if (!o.tcn) { /* unique enough to name the transaction: the crossing and the moment */
        char d[9];
        nist_date(o.now, d);
        snprintf(tcn, sizeof tcn, "BEX-%lld-%s%.2s%.2s%.2s", (long long)id, d, o.now + 11, o.now + 14, o.now + 17);
        o.tcn = tcn;
    }
    if (!out) {
        snprintf(outbuf, sizeof outbuf, "encounter-%lld.an2", (long long)id);
        out = outbuf;
    }
    bex_store *st;
    if (!cli_open_store(&c, &st)) return 2;
    bex_encounter_record e;
    int rc = bex_store_encounter_record(st, id, &e, err, sizeof err);
    bex_store_close(st);
    if (rc != BEX_OK) {
        char msg[600];
        snprintf(msg, sizeof msg, "encounter %lld: %s", (long long)id, err);
        return nist_fail("export", msg);
    }
    if (!e.image) {
        no_photo_message(&e, err, sizeof err);
        bex_encounter_record_free(&e);
        return nist_fail("export", err);
    }
    face_image fi;
    finger_out fo[10];
    describe_fingers(&e, fo);
    rc = describe_image(e.image, e.image_len, &fi, err, sizeof err);
    uint8_t *buf = NULL;
    size_t len = 0;
    if (rc == BEX_OK) rc = build(&e, &fi, fo, &o, &buf, &len, err, sizeof err);
    if (rc == BEX_OK) rc = write_atomic(out, buf, len, err, sizeof err);
    if (rc == BEX_OK) {
        printf("{\"encounter\":%lld,\"file\":", (long long)id);
        bex_json_str(stdout, out);
        printf(",\"bytes\":%zu,\"tot\":\"%s\",\"tcn\":", len, BEX_TOT);
        bex_json_str(stdout, o.tcn);
        printf(",\"records\":[{\"type\":1},{\"type\":2,\"idc\":0,\"profile\":\"%s\",\"document\":%s},"
               "{\"type\":10,\"idc\":1,\"cga\":\"%s\",\"csp\":\"%s\",\"hll\":%d,\"vll\":%d,\"image_bytes\":%zu}",
               BEX_PROFILE, e.document ? "true" : "false", fi.cga, fi.csp, fi.width, fi.height, fi.len);
        int written = 0;
        for (int i = 0; i < e.n_fingers; i++)
            if (fo[i].img.px)
                printf(",{\"type\":14,\"idc\":%d,\"fgp\":%d,\"cga\":\"NONE\",\"hll\":%d,\"vll\":%d,\"ppi\":%d}",
                       2 + written++, fo[i].position, fo[i].img.width, fo[i].img.height, BEX_FINGER_PPI);
        printf("],\"fingers\":{\"on_record\":%d,\"images_kept\":%d,\"exported\":%d", e.finger_samples,
               e.n_fingers, written);
        if (e.finger_samples > e.n_fingers) {
            printf(",\"message\":");
            bex_json_str(stdout, e.n_fingers ? "some of the crossing's fingers' images were not retained: only "
                                               "those kept are written as Type-14"
                                             : "the crossing's fingers' images were not retained (retention keeps "
                                               "images only while the \"images\" period is above 0): no Type-14 "
                                               "written");
        }
        int k = 0; /* retained images bex cannot read: said, not written */
        for (int i = 0; i < e.n_fingers; i++)
            if (fo[i].error[0]) {
                printf("%s{\"position\":%d,\"message\":", k++ ? "," : ",\"not_exported\":[", fo[i].position);
                bex_json_str(stdout, fo[i].error);
                printf("}");
            }
        printf("%s}}\n", k ? "]" : "");
    }
    for (int i = 0; i < e.n_fingers; i++) bex_finger_image_free(&fo[i].img);
    free(buf);
    free(fi.raw);
    bex_encounter_record_free(&e);
    if (rc != BEX_OK) {
        char msg[600];
        snprintf(msg, sizeof msg, "encounter %lld: %s; nothing written", (long long)id, err);
        return nist_fail("export", msg);
    }
    return 0;
}

/* ------------------------------------------------------------------ import */

/* A Type-2 text field's first item into out (NUL-terminated); 0 when absent or too long. */
static int text_of(const bex_nist_record *r, int field, char *out, size_t n) {
    out[0] = 0;
    const bex_nist_field *f = r ? bex_nist_get(r, field) : NULL;
    size_t off, len;
    if (!f || bex_nist_item(f, 0, 0, &off, &len) != BEX_OK || len == 0 || len >= n) return 0;
    memcpy(out, f->value + off, len);
    out[len] = 0;
    return 1;
}

static int chars_in(const char *s, const char *set) {
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || strchr(set, *s))) return 0;
    return 1;
}

/* "YYYYMMDD" -> "YYYY-MM-DD"; 0 when not 8 digits. */
static int iso_date(const char *s, char out[11]) {
    if (strlen(s) != 8 || strspn(s, "0123456789") != 8) return 0;
    snprintf(out, 11, "%.4s-%.2s-%.2s", s, s + 4, s + 6);
    return 1;
}

/* The document of bex's Type-2 profile as a bex_mrz (format "fields": no MRZ was read here).
 * 0 with the field that is wrong in why (its number, never its value). */
static int document_of(const bex_nist_record *r, bex_mrz *m, char *why, size_t n) {
    memset(m, 0, sizeof *m);
    char v[64];
    if (!text_of(r, P2_ISSUING_STATE, m->issuing_state, sizeof m->issuing_state) ||
        !chars_in(m->issuing_state, "")) {
        snprintf(why, n, "field 2.%03d (issuing state) is missing or not 1-3 letters", P2_ISSUING_STATE);
        return 0;
    }
    if (!text_of(r, P2_NUMBER, m->doc_number, sizeof m->doc_number) || !chars_in(m->doc_number, "0123456789")) {
        snprintf(why, n, "field 2.%03d (document number) is missing or not letters and digits", P2_NUMBER);
        return 0;
    }
    if (!text_of(r, P2_NATIONALITY, m->nationality, sizeof m->nationality) || !chars_in(m->nationality, "")) {
        snprintf(why, n, "field 2.%03d (nationality) is missing or not 1-3 letters", P2_NATIONALITY);
        return 0;
    }
    if (!text_of(r, P2_SURNAME, m->surname, sizeof m->surname) || !chars_in(m->surname, " -'<")) {
        snprintf(why, n, "field 2.%03d (surname) is missing or not as an MRZ spells names", P2_SURNAME);
        return 0;
    }
    if (text_of(r, P2_GIVEN, v, sizeof v) &&
        (strlen(v) >= sizeof m->given_names || !chars_in(v, " -'<"))) {
        snprintf(why, n, "field 2.%03d (given names) is not as an MRZ spells names", P2_GIVEN);
        return 0;
    }
    snprintf(m->given_names, sizeof m->given_names, "%s", v);
    if (text_of(r, P2_DOC_TYPE, v, sizeof v) && (strlen(v) > 2 || !chars_in(v, ""))) {
        snprintf(why, n, "field 2.%03d (document type) is not 1-2 letters", P2_DOC_TYPE);
        return 0;
    }
    snprintf(m->doc_code, sizeof m->doc_code, "%s", v[0] ? v : "P");
    if (text_of(r, P2_BIRTH, v, sizeof v) && !iso_date(v, m->birth_date)) {
        snprintf(why, n, "field 2.%03d (birth date) is not YYYYMMDD", P2_BIRTH);
        return 0;
    }
    if (text_of(r, P2_EXPIRY, v, sizeof v) && !iso_date(v, m->expiry_date)) {
        snprintf(why, n, "field 2.%03d (expiry date) is not YYYYMMDD", P2_EXPIRY);
        return 0;
    }
    m->sex = 'X';
    if (text_of(r, P2_SEX, v, sizeof v)) {
        if (strlen(v) != 1 || !strchr("MFX", v[0])) {
            snprintf(why, n, "field 2.%03d (sex) is not M, F or X", P2_SEX);
            return 0;
        }
        m->sex = v[0];
    }
    return 1;
}

/* The Type-2 of bex's profile (2.003 "BEX-1"), or NULL. */
static const bex_nist_record *bex_type2(const bex_nist *t) {
    char v[16];
    for (int i = 1; i < t->n_records; i++)
        if (t->records[i].type == 2 && text_of(&t->records[i], P2_PROFILE, v, sizeof v) && !strcmp(v, BEX_PROFILE))
            return &t->records[i];
    return NULL;
}

typedef struct import_run {
    bex_engine *eng;
    bex_store *st;
    const char *source;
    bex_capture_policy pol;
    bex_finger_policy fpol;
    size_t faces, enrolled, already, skipped;
    int64_t subject, document;
} import_run;

static void skip(import_run *x, const bex_nist_record *r, int rec, const char *outcome, const char *msg) {
    printf("%s{\"record\":%d,\"type\":%d,\"idc\":%d,\"outcome\":\"%s\",\"message\":", x->skipped ? "," : "", rec,
           r->type, r->idc, outcome);
    bex_json_str(stdout, msg);
    printf("}");
    x->skipped++;
}

/* 10.999 as raw 8-bit pixels (CGA NONE): 10.006 HLL by 10.007 VLL, 10.012 CSP GRAY (1 byte a
 * pixel) or RGB (3), exactly that many bytes; into RGB. What export writes for a PGM/PPM. */
static int raw_pixels(const bex_nist_record *r, const bex_nist_field *img, bex_image *im, char *why, size_t n) {
    char w[8], h[8], csp[8];
    long wv = 0, hv = 0;
    if (!text_of(r, 6, w, sizeof w) || !text_of(r, 7, h, sizeof h) || strspn(w, "0123456789") != strlen(w) ||
        strspn(h, "0123456789") != strlen(h) || (wv = atol(w)) <= 0 || (hv = atol(h)) <= 0 ||
        (uint64_t)wv * (uint64_t)hv > BEX_IMAGE_DEFAULT_MAX_PIXELS) {
        snprintf(why, n, "10.006 HLL / 10.007 VLL are not a size of at most %llu pixels",
                 (unsigned long long)BEX_IMAGE_DEFAULT_MAX_PIXELS);
        return 0;
    }
    int bpp = text_of(r, 12, csp, sizeof csp) && !strcmp(csp, "GRAY") ? 1 : !strcmp(csp, "RGB") ? 3 : 0;
    size_t px = (size_t)wv * (size_t)hv;
    if (!bpp || img->len != px * bpp) {
        snprintf(why, n, "raw pixels (CGA NONE) need 10.012 CSP GRAY or RGB and HLL x VLL pixels of it in 10.999");
        return 0;
    }
    if (!(im->px = malloc(px * 3))) {
        snprintf(why, n, "out of memory");
        return 0;
    }
    im->width = (int)wv;
    im->height = (int)hv;
    for (size_t i = 0; i < px; i++) {
        if (bpp == 1) memset(im->px + 3 * i, img->value[i], 3);
        else memcpy(im->px + 3 * i, img->value + 3 * i, 3);
    }
    return 1;
}

/* One Type-10: a face image bex can decode, a usable face, enrolled with the document.
 * BEX_OK also when it is skipped (reported); another status stops the import. */
static int import_face(import_run *x, const bex_nist_record *r, int rec, const bex_mrz *doc, const char *why_no_doc) {
    char v[16], err[512];
    x->faces++;
    if (!text_of(r, 3, v, sizeof v) || strcmp(v, "FACE")) {
        skip(x, r, rec, "not_a_face", "10.003 IMT is not FACE (a scar, mark or tattoo image is not enrolled)");
        return BEX_OK;
    }
    char cga[8];
    if (!text_of(r, 11, cga, sizeof cga) || (strcmp(cga, "JPEGB") && strcmp(cga, "PNG") && strcmp(cga, "JP2") &&
                                              strcmp(cga, "JP2L") && strcmp(cga, "NONE"))) {
        skip(x, r, rec, "unsupported_compression",
             "10.011 CGA is not one bex reads (JPEGB, PNG, JP2, JP2L, NONE): lossless JPEG and WSQ are not imported");
        return BEX_OK;
    }
    if (!doc) {
        skip(x, r, rec, "no_document", why_no_doc);
        return BEX_OK;
    }
    const bex_nist_field *img = bex_nist_get(r, 999);
    bex_capture_result cr;
    bex_image_limits lim = {.max_file_bytes = img->len + 1};
    int rc;
    if (strcmp(cga, "NONE")) {
        rc = bex_capture_photo(x->eng, img->value, img->len, &lim, &x->pol, &cr, err, sizeof err);
    } else {
        bex_image im = {0};
        if (!raw_pixels(r, img, &im, err, sizeof err)) {
            skip(x, r, rec, "bad_image", err);
            return BEX_OK;
        }
        rc = bex_capture_image(x->eng, &im, &x->pol, &cr, err, sizeof err);
        free(im.px);
    }
    if (rc == BEX_ERR_NOMEM) return rc;
    if (rc != BEX_OK) {
        char msg[600];
        snprintf(msg, sizeof msg, "10.999 cannot be decoded: %s", err);
        skip(x, r, rec, "bad_image", msg);
        return BEX_OK;
    }
    if (!cr.acquired) {
        skip(x, r, rec, cr.outcome, cr.message);
        return BEX_OK;
    }
    int added = 0;
    rc = bex_border_enrol(x->st, doc, cr.template_, cr.quality.score, x->source, NULL, &x->subject, &x->document,
                          &added, err, sizeof err);
    if (rc == BEX_ERR_ARG) { /* this document cannot be enrolled (a citizen's): said, go on */
        skip(x, r, rec, "refused", err);
        return BEX_OK;
    }
    if (rc != BEX_OK) {
        fprintf(stderr, "bex: nist import: record %d: %s\n", rec, err);
        return rc;
    }
    if (added) x->enrolled++;
    else x->already++;
    return BEX_OK;
}

/* A Type-14 field's value as a small integer (ASCII digits), or -1. */
static long t14_int(const bex_nist_record *r, int field) {
    const bex_nist_field *f = bex_nist_get(r, field);
    if (!f || f->len == 0 || f->len > 9) return -1;
    long v = 0;
    for (size_t i = 0; i < f->len; i++) {
        if (f->value[i] < '0' || f->value[i] > '9') return -1;
        v = v * 10 + (f->value[i] - '0');
    }
    return v;
}

#define T14_MAX 40 /* Type-14 records an import reads: ten fingers, slaps and more, bounded */

/* One Type-14 record as the import reads it: its image decoded (WSQ, any format the finger
 * reader takes, or raw 8-bit grey under 14.011 NONE), its finger position (14.013 FGP, first
 * item), and what became of each finger in it (a slap: up to four). */
typedef struct t14 {
    int record, idc, fgp;
    char comp[16];
    int width, height, ppi, ppi_source; /* as decoded: the report */
    char image_error[256];              /* "": decoded */
    char outcome[24], message[320];     /* the record's, when it gave no finger */
    int n;                              /* fingers cut from it (1, or a slap's) */
    int position[4];
    bex_finger_template t[4];
    char f_outcome[4][24], f_message[4][320];
    uint8_t *keep;                      /* the image as it is kept (retention "images"): owned */
    size_t keep_len;
} t14;

static const char *const PPI_SRC[] = {"assumed", "file", "declared"};

/* A PGM of img rescaled to 500 ppi (malloc'd): how an image is kept whose resolution the file
 * itself does not state, so that what is kept reads back at its real size. NULL on failure. */
static uint8_t *pgm_at_500(const bex_finger_image *img, size_t *len) {
    bex_finger_image r;
    char err[128];
    if (bex_finger_image_to_500(img, &r, err, sizeof err) != BEX_OK) return NULL;
    char head[48];
    int h = snprintf(head, sizeof head, "P5\n%d %d\n255\n", r.width, r.height);
    size_t px = (size_t)r.width * r.height;
    uint8_t *b = malloc((size_t)h + px);
    if (b) {
        memcpy(b, head, (size_t)h);
        memcpy(b + h, r.px, px);
        *len = (size_t)h + px;
    }
    bex_finger_image_free(&r);
    return b;
}

/* Decodes a Type-14 record's image: the resolution declared by 14.008 SLC (1 per inch, 2 per
 * cm) and 14.009 THPS unless the image states its own. 0 with x->image_error set when it
 * cannot be read. */
static int t14_decode(const bex_nist_record *r, t14 *x, bex_finger_image *fi) {
    memset(fi, 0, sizeof *fi);
    const bex_nist_field *img = bex_nist_get(r, 999), *cga = bex_nist_get(r, 11);
    long slc = t14_int(r, 8), hps = t14_int(r, 9), w = t14_int(r, 6), h = t14_int(r, 7), bpx = t14_int(r, 12);
    int declared = slc == 1 ? (int)hps : slc == 2 && hps > 0 ? (int)(hps * 2.54 + 0.5) : 0;
    if (declared < 250 || declared > 2000) declared = 0;
    if (cga) snprintf(x->comp, sizeof x->comp, "%.*s", (int)(cga->len < 15 ? cga->len : 15), (const char *)cga->value);
    if (!img || img->len == 0) {
        snprintf(x->image_error, sizeof x->image_error, "no 14.999 image data");
        return 0;
    }
    if (!strcmp(x->comp, "NONE")) {
        if (bpx != 8 || w <= 0 || h <= 0 || (uint64_t)w * (uint64_t)h > BEX_IMAGE_DEFAULT_MAX_PIXELS ||
            (size_t)w * (size_t)h != img->len) {
            snprintf(x->image_error, sizeof x->image_error,
                     "14.011 NONE: 14.999 is not 14.006 x 14.007 bytes of 8-bit grey");
            return 0;
        }
        if (!(fi->px = malloc(img->len))) {
            snprintf(x->image_error, sizeof x->image_error, "out of memory");
            return 0;
        }
        memcpy(fi->px, img->value, img->len);
        fi->width = (int)w;
        fi->height = (int)h;
        fi->ppi = declared ? declared : BEX_FINGER_PPI;
        fi->ppi_source = declared ? BEX_PPI_DECLARED : BEX_PPI_ASSUMED;
    } else if (bex_finger_image_decode(img->value, img->len, declared, NULL, fi, x->image_error,
                                       sizeof x->image_error) != BEX_OK) {
        return 0;
    }
    x->width = fi->width;
    x->height = fi->height;
    x->ppi = fi->ppi;
    x->ppi_source = fi->ppi_source;
    return 1;
}

/* Reads one Type-14: its fingers' templates (a slap cut into fingers), or why it gives none. */
static void t14_read(const bex_nist_record *r, int rec, int have_doc, const char *why_no_doc, t14 *x) {
    memset(x, 0, sizeof *x);
    x->record = rec;
    x->idc = r->idc;
    char v[8];
    x->fgp = text_of(r, 13, v, sizeof v) && strspn(v, "0123456789") == strlen(v) ? atoi(v) : -1;
    bex_finger_image fi;
    if (!t14_decode(r, x, &fi)) return;
    int slap = x->fgp >= 13 && x->fgp <= 15;
    char err[256];
    if (!have_doc) {
        snprintf(x->outcome, sizeof x->outcome, "no_document");
        snprintf(x->message, sizeof x->message, "%s", why_no_doc);
    } else if (x->fgp < 1 || (x->fgp > 10 && !slap)) {
        snprintf(x->outcome, sizeof x->outcome, "unsupported_position");
        snprintf(x->message, sizeof x->message, "14.013 FGP %s is not a finger (1-10) or a slap (13, 14, 15): "
                 "only those are enrolled", x->fgp < 0 ? "(missing or not a number)" : v);
    } else if (!slap) {
        if (bex_finger_extract(&fi, x->fgp, &x->t[0], err, sizeof err) != BEX_OK) {
            snprintf(x->outcome, sizeof x->outcome, "bad_image");
            snprintf(x->message, sizeof x->message, "%.190s", err);
        } else {
            x->position[0] = x->fgp;
            x->n = 1;
            /* kept as given when the file states its resolution, else as a 500 ppi PGM */
            const bex_nist_field *img = bex_nist_get(r, 999);
            if (fi.ppi_source == BEX_PPI_FILE && (x->keep = malloc(img->len))) {
                memcpy(x->keep, img->value, img->len);
                x->keep_len = img->len;
            } else if (fi.ppi_source != BEX_PPI_FILE) {
                x->keep = pgm_at_500(&fi, &x->keep_len);
            }
        }
    } else {
        bex_finger_image parts[4];
        int positions[4], n = 0, rc;
        memset(parts, 0, sizeof parts);
        rc = bex_finger_slap_segment(&fi, x->fgp, parts, positions, &n, err, sizeof err);
        /* a slap's fingers keep no image of their own, as at an entry */
        for (int k = 0; rc == BEX_OK && k < n; k++)
            if ((rc = bex_finger_extract(&parts[k], positions[k], &x->t[x->n], err, sizeof err)) == BEX_OK)
                x->position[x->n++] = positions[k];
        for (int k = 0; k < 4; k++) bex_finger_image_free(&parts[k]);
        if (rc != BEX_OK || x->n == 0) {
            x->n = 0;
            snprintf(x->outcome, sizeof x->outcome, "bad_image");
            snprintf(x->message, sizeof x->message, "the slap cannot be cut into fingers: %.150s",
                     rc != BEX_OK ? err : "no finger found");
        }
    }
    bex_finger_image_free(&fi);
}

/* Writes one Type-14's line of the report: its outcome, or each finger's, with the decoded
 * image's size and resolution. */
static void t14_report(const t14 *x, int first) {
    printf("%s{\"record\":%d,\"idc\":%d,\"position\":%d", first ? "" : ",", x->record, x->idc, x->fgp);
    if (x->image_error[0]) {
        printf(",\"outcome\":\"bad_image\",\"image_error\":");
        bex_json_str(stdout, x->image_error);
        printf("}");
        return;
    }
    printf(",\"image\":{\"compression\":");
    bex_json_str(stdout, x->comp);
    printf(",\"width\":%d,\"height\":%d,\"ppi\":%d,\"ppi_source\":\"%s\"}", x->width, x->height, x->ppi,
           PPI_SRC[x->ppi_source]);
    if (x->outcome[0]) {
        printf(",\"outcome\":\"%s\",\"message\":", x->outcome);
        bex_json_str(stdout, x->message);
    }
    if (x->n) {
        printf(",\"fingers\":[");
        for (int k = 0; k < x->n; k++) {
            printf("%s{\"position\":%d,\"outcome\":\"%s\",\"quality\":%d,\"minutiae\":%d", k ? "," : "",
                   x->position[k], x->f_outcome[k], x->t[k].quality, x->t[k].n);
            if (x->f_message[k][0]) {
                printf(",\"message\":");
                bex_json_str(stdout, x->f_message[k]);
            }
            printf("}");
        }
        printf("]");
    }
    printf("}");
}

/* Every Type-14's fingers enrolled with the document's subject by the border's rules
 * (bex_border_enrol_fingers: the EES policy's age, citizens and positions), each finger's
 * outcome set. A position given by two records: the first is taken. */
static int import_fingers(import_run *x, t14 *f, int nf, const bex_mrz *doc, bex_finger_enrol_result *res) {
    bex_finger_capture c[BEX_CROSSING_MAX_FINGERS];
    int nc = 0, taken[11] = {0};
    for (int i = 0; i < nf; i++)
        for (int k = 0; k < f[i].n; k++) {
            int pos = f[i].position[k];
            if (pos < 1 || pos > 10) continue; /* the slap cutter gives 1-10 only */
            if (taken[pos]) {
                snprintf(f[i].f_outcome[k], sizeof f[i].f_outcome[k], "skipped");
                snprintf(f[i].f_message[k], sizeof f[i].f_message[k], "finger position %d is given by an "
                         "earlier record: the first is taken", pos);
                continue;
            }
            taken[pos] = 1;
            c[nc].position = pos;
            c[nc].t = &f[i].t[k];
            c[nc].image = f[i].n == 1 ? f[i].keep : NULL;
            c[nc].image_len = f[i].n == 1 ? f[i].keep_len : 0;
            nc++;
        }
    memset(res, 0, sizeof *res);
    char err[512];
    int rc = nc ? bex_border_enrol_fingers(x->st, doc, c, nc, &x->fpol, NULL, res, err, sizeof err) : BEX_OK;
    if (rc != BEX_OK) {
        fprintf(stderr, "bex: nist import: the fingers: %s\n", err);
        return rc;
    }
    const bex_finger_plan *p = &res->plan;
    for (int i = 0; i < nf; i++)
        for (int k = 0; k < f[i].n; k++) {
            if (f[i].f_outcome[k][0]) continue;
            int pos = f[i].position[k], enrol = 0, record = 0;
            for (int j = 0; j < p->n_enrol; j++) enrol |= p->enrol[j] == pos;
            for (int j = 0; j < p->n_record; j++) record |= p->record[j] == pos;
            char *o = f[i].f_outcome[k], *m = f[i].f_message[k];
            size_t on = sizeof f[i].f_outcome[k], mn = sizeof f[i].f_message[k];
            char why[160];
            if (p->prints != BEX_PRINTS_TAKEN) {
                snprintf(o, on, "skipped");
                snprintf(m, mn, "prints not taken (%s): %s", bex_prints_name(p->prints),
                         p->prints == BEX_PRINTS_UNDER_AGE ? "younger than the finger policy's minimum age"
                         : p->prints == BEX_PRINTS_CITIZEN ? "citizens give no fingerprints"
                                                           : "the finger policy takes none");
            } else if ((enrol && res->already[pos] == 1) || (record && res->already[pos])) {
                snprintf(o, on, "already_enrolled");
                snprintf(m, mn, "the subject already has %s finger at position %d: not added again",
                         res->already[pos] == 1 ? "an enrolled" : "a failed", pos);
            } else if (enrol) {
                snprintf(o, on, "enrolled");
            } else if (record) {
                snprintf(o, on, "unusable");
                bex_finger_enrol_check(&f[i].t[k], why, sizeof why);
                snprintf(m, mn, "recorded as unusable: %s", why);
            } else {
                int asked = 0;
                for (int j = 0; j < x->fpol.n_required; j++) asked |= x->fpol.required[j] == pos;
                int usable = bex_finger_enrol_check(&f[i].t[k], why, sizeof why) == BEX_OK;
                snprintf(o, on, "skipped");
                if (asked) /* unusable, and the other hand's finger enrolled in its place */
                    snprintf(m, mn, "not recorded: the other hand's finger was enrolled in its place; %s", why);
                else if (usable)
                    snprintf(m, mn, "not kept: the finger policy does not ask for position %d (data minimisation)",
                             pos);
                else
                    snprintf(m, mn, "not kept: the finger policy does not ask for position %d; %s", pos, why);
            }
        }
    return BEX_OK;
}

static int cmd_import(const char *models, int argc, char **argv) {
    cli_common c = {0};
    const char *path = NULL;
    import_run x = {.source = "document"};
    bex_capture_policy_default(&x.pol);
    bex_finger_policy_default(&x.fpol);
    for (int i = 0; i < argc; i++) {
        int r;
        if ((r = cli_common_opt(argc, argv, &i, &c)) || (r = cli_parse_capture_opt(argc, argv, &i, &x.pol)) ||
            (r = cli_opt(argc, argv, &i, "--source", &x.source))) {
            if (r < 0) return 2;
            continue;
        }
        if (argv[i][0] == '-' || path)
            return cli_usage_error("nist import takes FILE [--db FILE] [--source document|visa|officer] [CAPTURE]");
        path = argv[i];
    }
    if (!path) return cli_usage_error("nist import needs the transaction's file");
    if (strcmp(x.source, "document") && strcmp(x.source, "visa") && strcmp(x.source, "officer"))
        return cli_usage_error("--source is document (another agency's document photo, the default), visa or officer");
    size_t len;
    char *buf = cli_read_file(path, BEX_NIST_MAX_BYTES, &len);
    if (!buf) return 2;
    bex_nist t;
    char err[512];
    int rc = bex_nist_parse((const uint8_t *)buf, len, &t, err, sizeof err);
    if (rc != BEX_OK) { /* nothing opened yet: a bad file changes no store */
        free(buf);
        char msg[700];
        snprintf(msg, sizeof msg, "%s: %s; nothing imported", path, err);
        return nist_fail("import", msg);
    }
    const bex_nist_record *p2 = bex_type2(&t);
    bex_mrz doc;
    char why[256] = "no Type-2 record of bex's profile (2.003 " BEX_PROFILE "): the face has no document to be "
                    "enrolled with (another agency's Type-2 needs its profile mapped to bex's)";
    int have_doc = p2 && document_of(p2, &doc, why, sizeof why);
    int n10 = 0, n14 = 0;
    for (int i = 1; i < t.n_records; i++) {
        n10 += t.records[i].type == 10;
        n14 += t.records[i].type == 14;
    }
    if (n14 > T14_MAX) {
        bex_nist_free(&t);
        free(buf);
        char msg[700];
        snprintf(msg, sizeof msg, "%s: %d Type-14 records, at most %d are read; nothing imported", path, n14, T14_MAX);
        return nist_fail("import", msg);
    }
    if ((n10 || n14) && have_doc) {
        if ((n10 && !cli_open_engine(models, BEX_ALIGN_DEFAULT, &x.eng)) || !cli_open_store(&c, &x.st)) rc = 2;
        else if (x.eng && bex_store_template_check(x.st, bex_engine_model(x.eng), bex_engine_dim(x.eng), err,
                                                   sizeof err) != BEX_OK) {
            fprintf(stderr, "bex: nist import: %s\n", err);
            rc = 2;
        }
    }
    t14 *f = n14 ? calloc((size_t)n14, sizeof *f) : NULL;
    if (n14 && !f) {
        fprintf(stderr, "bex: nist import: out of memory\n");
        rc = 2;
    }
    int nf = 0, t14_bad = 0, partial = 0;
    bex_finger_enrol_result fr;
    memset(&fr, 0, sizeof fr);
    if (rc == BEX_OK) {
        printf("{\"file\":");
        bex_json_str(stdout, path);
        printf(",\"skipped\":[");
        for (int i = 1; i < t.n_records && rc == BEX_OK; i++) {
            const bex_nist_record *r = &t.records[i];
            if (r->type == 10) rc = import_face(&x, r, i + 1, have_doc ? &doc : NULL, why);
        }
        /* the fingers after the faces: the subject the face was enrolled with is the document's */
        for (int i = 1; i < t.n_records && rc == BEX_OK; i++)
            if (t.records[i].type == 14) {
                t14_read(&t.records[i], i + 1, have_doc, why, &f[nf]);
                t14_bad += f[nf].image_error[0] || !strcmp(f[nf].outcome, "bad_image");
                nf++;
            }
        if (rc == BEX_OK && have_doc && nf) rc = import_fingers(&x, f, nf, &doc, &fr);
        printf("],\"fingerprints\":[");
        for (int i = 0; i < nf && rc == BEX_OK; i++) t14_report(&f[i], i == 0);
        int fe = 0, fu = 0, fa = 0;
        for (int i = 0; i < nf; i++)
            for (int k = 0; k < f[i].n; k++) {
                fe += !strcmp(f[i].f_outcome[k], "enrolled");
                fu += !strcmp(f[i].f_outcome[k], "unusable");
                fa += !strcmp(f[i].f_outcome[k], "already_enrolled");
            }
        printf("],\"records\":%d,\"document\":%s,\"source\":\"%s\",\"faces\":%zu,\"enrolled\":%zu,"
               "\"already_enrolled\":%zu,\"not_enrolled\":%zu", t.n_records, have_doc ? "true" : "false", x.source,
               x.faces, x.enrolled, x.already, x.skipped);
        if (nf && have_doc && rc == BEX_OK)
            printf(",\"prints\":\"%s\",\"fingers_enrolled\":%d,\"fingers_unusable\":%d,\"fingers_already_enrolled\":%d",
                   bex_prints_name(fr.plan.prints), fe, fu, fa);
        if (!x.subject && fr.subject) {
            x.subject = fr.subject;
            x.document = fr.document;
        }
        if (x.subject) printf(",\"subject\":%lld,\"document_id\":%lld", (long long)x.subject, (long long)x.document);
        printf("}\n");
        if (rc != BEX_OK) rc = 2;
        /* 1: a record was not read or a face not enrolled, or nothing at all was enrolled (a
         * finger the policy does not keep is no failure) */
        partial = fe + fu + fa + x.enrolled + x.already == 0 || t14_bad || x.skipped;
    }
    for (int i = 0; i < nf; i++) free(f[i].keep);
    free(f);
    bex_engine_close(x.eng);
    bex_store_close(x.st);
    bex_nist_free(&t);
    free(buf);
    if (rc) return 2;
    return partial ? 1 : 0;
}

int cmd_nist(const char *models, int argc, char **argv) {
    if (argc >= 1 && !strcmp(argv[0], "export")) return cmd_export(argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "import")) return cmd_import(models, argc - 1, argv + 1);
    return cli_usage_error("nist takes export ENCOUNTER or import FILE");
}
