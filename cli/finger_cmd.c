/*
 * finger_cmd.c - `bex finger ...`: fingerprint templates and 1:1 comparison from the command
 * line (include/bex/finger.h).
 *
 *   bex finger extract IMG [--ppi N] [--position P] [--iso FILE] [--ansi FILE] [--minutiae]
 *       the template's summary and quality as JSON; --iso / --ansi write it as an ISO/IEC
 *       19794-2:2005 / ANSI INCITS 378-2004 record. Exit 0 enrollable, 1 enrollable with coded
 *       problems, 3 a failure to enrol (the summary says why), 2 error.
 *   bex finger compare A B [--ppi N] [--fmr F | --threshold S]
 *       {"score":S,"threshold":T,"match":..}: exit 0 match, 1 no match, 2 error. A and B are
 *       images (TIFF, WSQ, PNG, JPEG, ...) or minutiae records (ISO 19794-2 or ANSI 378: told
 *       apart by their bytes, bex_finger_record_sniff; a record's first view is compared).
 *   bex finger compare --pairs FILE [--ppi N] [--fmr F | --threshold S]
 *       one "A B" per line (blank lines and lines starting with # skipped), one JSON line per
 *       pair; a pair that fails is a line with "error", and the run goes on. Exit 0 unless the
 *       file cannot be read (2). Each file is read and extracted once.
 * The threshold is the calibrated one for the FMR asked (default BEX_FINGER_DEFAULT_FMR,
 * 0.001), from the table `bex eval finger --fvc2002 ... --calibrate` made (finger.h). Minutiae
 * coordinates are printed only when --minutiae asks for them: a template is personal data.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bex/finger.h"
#include "cli.h"

#define FINGER_MAX_FILE_BYTES ((size_t)32 << 20) /* a slap at 1000 ppi, uncompressed, fits */
#define PAIRS_MAX_LINE 4096
#define PAIRS_CACHE 4096 /* files whose prepared templates --pairs keeps */

/* The whole file into *buf (malloc), or a message in err. */
static int read_all(const char *path, uint8_t **buf, size_t *len, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return BEX_ERR_IO;
    }
    size_t cap = 65536, n = 0;
    uint8_t *b = malloc(cap);
    for (;;) {
        if (!b) {
            fclose(f);
            snprintf(err, errlen, "out of memory reading %s", path);
            return BEX_ERR_NOMEM;
        }
        n += fread(b + n, 1, cap - n, f);
        if (n < cap) break;
        if (cap >= FINGER_MAX_FILE_BYTES) {
            free(b);
            fclose(f);
            snprintf(err, errlen, "%s is larger than %zu bytes: not a fingerprint image or record", path, FINGER_MAX_FILE_BYTES);
            return BEX_ERR_LIMIT;
        }
        cap *= 2;
        uint8_t *nb = realloc(b, cap);
        if (!nb) free(b);
        b = nb;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(b);
        snprintf(err, errlen, "cannot read %s", path);
        return BEX_ERR_IO;
    }
    *buf = b;
    *len = n;
    return BEX_OK;
}

/* A template from a file: a minutiae record (its first view) or an image (extracted).
 * *kind says which ("iso", "ansi", "image"); img_ppi / img_src the image's resolution. */
static int load_template(const char *path, int ppi, int position, bex_finger_template *t, const char **kind,
                         int *img_ppi, bex_finger_ppi_source *img_src, char *err, size_t errlen) {
    uint8_t *b = NULL;
    size_t len = 0;
    char msg[400];
    int rc = read_all(path, &b, &len, err, errlen);
    if (rc != BEX_OK) return rc;
    int sniff = bex_finger_record_sniff(b, len);
    if (sniff) {
        static bex_finger_template views[BEX_FINGER_RECORD_MAX_VIEWS];
        int n = 0;
        rc = sniff == 1 ? bex_finger_iso_read(b, len, views, BEX_FINGER_RECORD_MAX_VIEWS, &n, msg, sizeof msg)
                        : bex_finger_ansi_read(b, len, views, BEX_FINGER_RECORD_MAX_VIEWS, &n, msg, sizeof msg);
        free(b);
        if (rc != BEX_OK) {
            snprintf(err, errlen, "%s: %s", path, msg);
            return rc;
        }
        *t = views[0];
        *kind = sniff == 1 ? "iso" : "ansi";
        if (img_ppi) *img_ppi = BEX_FINGER_PPI;
        return BEX_OK;
    }
    bex_finger_image img = {0};
    rc = bex_finger_image_decode(b, len, ppi, NULL, &img, msg, sizeof msg);
    free(b);
    if (rc != BEX_OK) {
        snprintf(err, errlen, "%s: %s%s", path, msg,
                 rc == BEX_ERR_UNSUPPORTED && strstr(msg, "declare the real resolution") ? " with --ppi N" : "");
        return rc;
    }
    if (img_ppi) *img_ppi = img.ppi;
    if (img_src) *img_src = img.ppi_source;
    rc = bex_finger_extract(&img, position, t, msg, sizeof msg);
    bex_finger_image_free(&img);
    if (rc != BEX_OK) {
        snprintf(err, errlen, "%s: %s", path, msg);
        return rc;
    }
    *kind = "image";
    return BEX_OK;
}

static const char *ppi_source_name(bex_finger_ppi_source s) {
    return s == BEX_PPI_FILE ? "file" : s == BEX_PPI_DECLARED ? "declared" : "assumed";
}

static void print_problems(const bex_finger_template *t) {
    printf("[");
    int first = 1;
    for (int bit = 0; bit < 32; bit++) {
        if (!(t->problems & (1u << bit))) continue;
        const char *c = bex_finger_problem_code(1u << bit);
        printf("%s\"%s\"", first ? "" : ",", c ? c : "unknown");
        first = 0;
    }
    printf("]");
}

static int parse_ppi(const char *v, int *ppi) {
    char *end;
    long p = strtol(v, &end, 10);
    if (*end || p < 100 || p > 4000) {
        fprintf(stderr, "bex: --ppi takes a resolution in pixels per inch (e.g. 500)\n");
        return 0;
    }
    *ppi = (int)p;
    return 1;
}

static int write_record(const char *path, int ansi, const bex_finger_template *t) {
    uint8_t *b = NULL;
    size_t len = 0;
    char err[256];
    int rc = ansi ? bex_finger_ansi_write(t, 1, &b, &len, err, sizeof err) : bex_finger_iso_write(t, 1, &b, &len, err, sizeof err);
    if (rc != BEX_OK) {
        fprintf(stderr, "bex: %s\n", err);
        return -1;
    }
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    int bad = !f || fwrite(b, 1, len, f) != len;
    if (f && fclose(f) != 0) bad = 1;
    if (!bad && rename(tmp, path) != 0) bad = 1;
    if (bad) {
        fprintf(stderr, "bex: cannot write %s: %s\n", path, strerror(errno));
        if (f) remove(tmp);
    }
    free(b);
    return bad ? -1 : 0;
}

/* ------------------------------------------------------------------ bex finger extract */

static int finger_extract(int argc, char **argv) {
    const char *img = NULL, *iso = NULL, *ansi = NULL, *v;
    int ppi = 0, position = 0, minutiae = 0;
    for (int i = 0; i < argc; i++) {
        if (cli_opt(argc, argv, &i, "--ppi", &v) == 1) {
            if (!parse_ppi(v, &ppi)) return 2;
        } else if (cli_opt(argc, argv, &i, "--position", &v) == 1) {
            char *end;
            long p = strtol(v, &end, 10);
            if (*end || p < 0 || p > 10)
                return cli_usage_error("--position takes an ANSI/NIST-ITL finger position: 0 unknown, 1 right thumb .. 10 left little");
            position = (int)p;
        } else if (cli_opt(argc, argv, &i, "--iso", &v) == 1) iso = v;
        else if (cli_opt(argc, argv, &i, "--ansi", &v) == 1) ansi = v;
        else if (!strcmp(argv[i], "--minutiae")) minutiae = 1;
        else if (argv[i][0] == '-' && argv[i][1]) return cli_usage_error("finger extract takes IMG [--ppi N] [--position P] [--iso FILE] [--ansi FILE] [--minutiae]");
        else if (img) return cli_usage_error("finger extract takes one image");
        else img = argv[i];
    }
    if (!img) return cli_usage_error("finger extract needs an image: bex finger extract IMG");
    bex_finger_template *t = malloc(sizeof *t);
    if (!t) return 2;
    const char *kind = "image";
    int img_ppi = 0;
    bex_finger_ppi_source src = BEX_PPI_ASSUMED;
    char err[600];
    int rc = load_template(img, ppi, position, t, &kind, &img_ppi, &src, err, sizeof err);
    if (rc != BEX_OK) {
        fprintf(stderr, "bex: %s\n", err);
        free(t);
        return 2;
    }
    if (strcmp(kind, "image") != 0 && position) t->finger_position = (uint8_t)position;
    char why[256] = "";
    int enrol = bex_finger_enrol_check(t, why, sizeof why);
    int endings = 0, bifs = 0;
    for (int k = 0; k < t->n; k++) {
        endings += t->m[k].type == BEX_MINUTIA_ENDING;
        bifs += t->m[k].type == BEX_MINUTIA_BIFURCATION;
    }
    printf("{\"file\":");
    bex_json_str(stdout, img);
    printf(",\"source\":\"%s\"", kind);
    if (!strcmp(kind, "image")) printf(",\"ppi\":%d,\"ppi_source\":\"%s\"", img_ppi, ppi_source_name(src));
    printf(",\"width\":%u,\"height\":%u,\"finger_position\":%u,\"minutiae\":%d,\"endings\":%d,\"bifurcations\":%d,"
           "\"quality\":%u,\"area_px\":%d,\"problems\":",
           t->width, t->height, t->finger_position, t->n, endings, bifs, t->quality, t->area_px);
    print_problems(t);
    printf(",\"enrol\":{\"ok\":%s", enrol == BEX_OK ? "true" : "false");
    if (enrol != BEX_OK) {
        printf(",\"reason\":");
        bex_json_str(stdout, why);
    }
    printf("}");
    int bad = 0;
    if (iso) {
        bad |= write_record(iso, 0, t) != 0;
        if (!bad) { printf(",\"iso\":"); bex_json_str(stdout, iso); }
    }
    if (ansi && !bad) {
        bad |= write_record(ansi, 1, t) != 0;
        if (!bad) { printf(",\"ansi\":"); bex_json_str(stdout, ansi); }
    }
    if (minutiae) {
        printf(",\"minutiae_list\":[");
        static const char *types[3] = {"other", "ending", "bifurcation"};
        for (int k = 0; k < t->n; k++)
            printf("%s{\"x\":%u,\"y\":%u,\"angle_deg\":%.2f,\"type\":\"%s\",\"quality\":%u}", k ? "," : "", t->m[k].x,
                   t->m[k].y, t->m[k].angle * 360.0 / 256.0, types[t->m[k].type < 3 ? t->m[k].type : 0], t->m[k].quality);
        printf("]");
    }
    printf("}\n");
    uint32_t problems = t->problems;
    free(t);
    if (bad) return 2;
    if (enrol != BEX_OK) return 3;
    return problems ? 1 : 0;
}

/* ------------------------------------------------------------------ bex finger compare */

typedef struct cached {
    char *path;
    bex_finger_prepared *p;
} cached;

/* A prepared template for path, from the cache or made now (and kept if there is room). */
static bex_finger_prepared *get_prepared(const char *path, int ppi, cached *cache, int *n_cache, int *owned, char *err,
                                         size_t errlen) {
    for (int i = 0; cache && i < *n_cache; i++)
        if (!strcmp(cache[i].path, path)) { *owned = 0; return cache[i].p; }
    bex_finger_template *t = malloc(sizeof *t);
    if (!t) { snprintf(err, errlen, "out of memory"); return NULL; }
    const char *kind;
    bex_finger_prepared *p = NULL;
    int rc = load_template(path, ppi, 0, t, &kind, NULL, NULL, err, errlen);
    if (rc == BEX_OK) {
        char msg[300];
        rc = bex_finger_prepare(t, &p, msg, sizeof msg);
        if (rc != BEX_OK) snprintf(err, errlen, "%s: %s", path, msg);
    }
    free(t);
    if (rc != BEX_OK) return NULL;
    *owned = 1;
    if (cache && *n_cache < PAIRS_CACHE) {
        char *dup = strdup(path);
        if (dup) {
            cache[*n_cache].path = dup;
            cache[(*n_cache)++].p = p;
            *owned = 0;
        }
    }
    return p;
}

static void print_decision(double score, double thr) {
    printf("\"score\":%.6f,", score);
    if (isfinite(thr)) printf("\"threshold\":%.6f,\"match\":%s", thr, score >= thr ? "true" : "false");
    else printf("\"threshold\":null,\"match\":null");
}

static int finger_pairs(const char *file, int ppi, double thr) {
    FILE *f = fopen(file, "r");
    if (!f) {
        fprintf(stderr, "bex: cannot open %s: %s\n", file, strerror(errno));
        return 2;
    }
    cached *cache = calloc(PAIRS_CACHE, sizeof *cache);
    int n_cache = 0;
    if (!cache) { fclose(f); return 2; }
    char line[PAIRS_MAX_LINE + 2];
    long lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t l = strlen(line);
        if (l == sizeof line - 1 && line[l - 1] != '\n') { /* too long: skip the rest of it */
            int c;
            while ((c = fgetc(f)) != EOF && c != '\n') {}
            printf("{\"line\":%ld,\"error\":\"the line is longer than %d characters\"}\n", lineno, PAIRS_MAX_LINE);
            continue;
        }
        while (l && (line[l - 1] == '\n' || line[l - 1] == '\r')) line[--l] = 0;
        char *a = line + strspn(line, " \t");
        if (!*a || *a == '#') continue;
        char *b = a + strcspn(a, " \t");
        if (*b) *b++ = 0;
        b += strspn(b, " \t");
        char *rest = b + strcspn(b, " \t");
        if (*rest) *rest++ = 0;
        printf("{\"line\":%ld,\"a\":", lineno);
        bex_json_str(stdout, a);
        printf(",\"b\":");
        bex_json_str(stdout, b);
        if (!*b || rest[strspn(rest, " \t")]) {
            printf(",\"error\":\"a line holds two files, A and B, separated by spaces\"}\n");
            continue;
        }
        char err[600];
        int oa = 0, ob = 0;
        bex_finger_prepared *pa = get_prepared(a, ppi, cache, &n_cache, &oa, err, sizeof err), *pb = NULL;
        if (pa) pb = get_prepared(b, ppi, cache, &n_cache, &ob, err, sizeof err);
        if (!pa || !pb) {
            printf(",\"error\":");
            bex_json_str(stdout, err);
            printf("}\n");
        } else {
            printf(",");
            print_decision(bex_finger_compare_prepared(pa, pb), thr);
            printf("}\n");
        }
        if (oa) bex_finger_prepared_free(pa);
        if (ob) bex_finger_prepared_free(pb);
        fflush(stdout);
    }
    int bad = ferror(f);
    fclose(f);
    for (int i = 0; i < n_cache; i++) {
        free(cache[i].path);
        bex_finger_prepared_free(cache[i].p);
    }
    free(cache);
    if (bad) {
        fprintf(stderr, "bex: cannot read %s\n", file);
        return 2;
    }
    return 0;
}

static int finger_compare(int argc, char **argv) {
    const char *files[2] = {NULL, NULL}, *pairs = NULL, *v;
    int nf = 0, ppi = 0;
    double fmr = BEX_FINGER_DEFAULT_FMR, thr = NAN;
    int fmr_given = 0;
    for (int i = 0; i < argc; i++) {
        if (cli_opt(argc, argv, &i, "--ppi", &v) == 1) {
            if (!parse_ppi(v, &ppi)) return 2;
        } else if (cli_opt(argc, argv, &i, "--fmr", &v) == 1) {
            if (!cli_parse_rate("--fmr", v, &fmr)) return 2;
            fmr_given = 1;
        } else if (cli_opt(argc, argv, &i, "--threshold", &v) == 1) {
            char *end;
            thr = strtod(v, &end);
            if (*end || !(thr >= 0 && thr <= 1)) return cli_usage_error("--threshold takes a score between 0 and 1");
        } else if (cli_opt(argc, argv, &i, "--pairs", &v) == 1) pairs = v;
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage_error("finger compare takes A B | --pairs FILE, and [--ppi N] [--fmr F | --threshold S]");
        else if (nf == 2) return cli_usage_error("finger compare takes two files, A and B");
        else files[nf++] = argv[i];
    }
    if (fmr_given && isfinite(thr)) return cli_usage_error("finger compare takes --fmr or --threshold, not both");
    if (pairs ? nf != 0 : nf != 2) return cli_usage_error("finger compare takes two files (A B) or --pairs FILE");
    const char *op_name = "threshold given";
    bex_finger_operating_point op;
    char err[600];
    if (!isfinite(thr)) {
        if (bex_finger_operating_point_verify(fmr, &op, err, sizeof err) == BEX_OK) {
            thr = op.threshold;
            op_name = op.name;
        } else if (!pairs) { /* a decision needs a threshold; --pairs still gives scores */
            fprintf(stderr, "bex: %s\n", err);
            return 2;
        } else
            fprintf(stderr, "bex: %s; scores only\n", err);
    }
    if (pairs) return finger_pairs(pairs, ppi, thr);
    bex_finger_template *t = malloc(2 * sizeof *t);
    if (!t) return 2;
    const char *kind[2];
    char why[2][256];
    int enrol[2];
    for (int k = 0; k < 2; k++) {
        if (load_template(files[k], ppi, 0, &t[k], &kind[k], NULL, NULL, err, sizeof err) != BEX_OK) {
            fprintf(stderr, "bex: %s\n", err);
            free(t);
            return 2;
        }
        enrol[k] = bex_finger_enrol_check(&t[k], why[k], sizeof why[k]);
    }
    float s = bex_finger_compare(&t[0], &t[1]);
    printf("{");
    print_decision(s, thr);
    printf(",\"operating_point\":\"%s\"", op_name);
    for (int k = 0; k < 2; k++) {
        printf(",\"%s\":{\"source\":\"%s\",\"minutiae\":%d,\"quality\":%u,\"enrol\":", k ? "b" : "a", kind[k], t[k].n,
               t[k].quality);
        if (enrol[k] == BEX_OK) printf("\"ok\"}");
        else {
            bex_json_str(stdout, why[k]);
            printf("}");
        }
    }
    printf("}\n");
    free(t);
    return s >= thr ? 0 : 1;
}

int cmd_finger(int argc, char **argv) {
    if (argc >= 1 && !strcmp(argv[0], "extract")) return finger_extract(argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "compare")) return finger_compare(argc - 1, argv + 1);
    return cli_usage_error("finger takes extract IMG ... or compare A B | --pairs FILE");
}
