/*
 * eval_finger.c - `bex eval finger`: the FVC protocol (Maio, Maltoni, Cappelli, Wayman, Jain,
 * "FVC2000: Fingerprint Verification Competition", IEEE PAMI 24(3), 2002, section 4; the same
 * protocol ran FVC2002 and FVC2004) on one or more fingerprint databases, and the calibrated
 * threshold table of the finger comparator (src/finger/calibration_table.h).
 *
 *   bex eval finger --fvc DIR [--ppi N] [--fvc DIR2 ...] [--out DIR] [--calibrate FILE]
 *   bex eval finger --fvc2002 ROOT [--out DIR] [--calibrate FILE]
 *
 * DIR holds FFF_I.tif (finger FFF, impression I). --ppi N declares the resolution of the
 * folders named after it (default 500; FVC2002 DB2 is 569); --fvc2002 ROOT is the four
 * FVC2002 B sets ROOT/DB{1..4}_B at their documented resolutions. Per database:
 *   - every image is read and its template extracted once (one thread, timed);
 *   - genuine pairs: every impression against every other of the same finger, each unordered
 *     pair once (8 x 7 / 2 = 28 per finger);
 *   - impostor pairs (FVC): the first impression of every finger against the first of every
 *     other finger, each unordered pair once (10 x 9 / 2 = 45 for a B set);
 *   - cross-finger pairs: every impression against every impression of every other finger,
 *     each unordered pair once (2,880 for a B set), for the low-FMR points;
 *   - an image whose template fails bex_finger_enrol_check (a failure to enrol) or cannot be
 *     read becomes a "ghost" that scores 0 against everything, as FVC does: counted, never
 *     dropped.
 * Rates as FVC defines them (bex_fvc_measure, include/bex/eval.h): FMR(t) = share of impostor
 * scores >= t, FNMR(t) = share of genuine scores < t; EER = the middle of [EER_low, EER_high]
 * found from t1 = max{t: FNMR(t) <= FMR(t)} and t2 = min{t: FNMR(t) >= FMR(t)}; FMR100,
 * FMR1000 and ZeroFMR = the lowest FNMR at an FMR <= 1%, <= 0.1% and = 0.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bex/eval.h"
#include "bex/finger.h"
#include "cli.h"
#include "eval.h"

#define FE_MAX_DB 8          /* --fvc folders in one run */
#define FE_MAX_IMAGES 2000   /* images in one folder: an FVC A set has 800 */
#define FE_MAX_IMPRESSION 99 /* FFF_I.tif: I in 1..99 */
#define FE_MAX_FINGER 99999  /* FFF in 1..99999 */

/* ------------------------------------------------------------------ the images of a database */

typedef struct fe_img {
    int finger, imp;
    char name[64];            /* FFF_I.tif */
    int readable;             /* 0: the file could not be read or decoded */
    int fte;                  /* failure to enrol (or unreadable): a ghost */
    bex_finger_template t;
    bex_finger_prepared *p;   /* enrolled images only */
} fe_img;

typedef struct fe_set {
    const double *gen, *imp;
    size_t n_gen, n_imp;
} fe_set;

/* FVC's rates of the genuine set against an impostor set (bex_fvc_measure); ok = 0 when
 * either set is empty. */
typedef struct fvc_rates {
    bex_fvc_rates r;
    int ok;
} fvc_rates;

static fvc_rates fvc_measure(const double *gen, size_t ng, const double *imp, size_t ni) {
    fvc_rates f = {{NAN, NAN, NAN, NAN, NAN, NAN, NAN}, 0};
    char err[256];
    if (ng && ni && bex_fvc_measure(gen, ng, imp, ni, &f.r, err, sizeof err) == BEX_OK) f.ok = 1;
    else if (ng && ni) fprintf(stderr, "bex: %s\n", err);
    return f;
}

typedef struct fe_db {
    char dir[1024];
    int ppi;
    int declared;         /* 1: --ppi or --fvc2002 said so; 0: the default 500 */
    fe_img *img;
    int n, fingers;
    int unreadable, fte;
    double load_ms, extract_ms, prepare_ms; /* summed wall time */
    double extract_cpu_ms;                  /* the extractions' thread CPU time */
    int extracted, prepared;
    double compare_s, compare_cpu_s; /* wall and thread CPU time of the comparison loop */
    size_t compared;                 /* comparisons made in it (pairs of readable images) */
    /* scores (ghost pairs score 0) and, alongside, the pair's lower quality and images */
    double *gen, *imp, *cross;
    size_t n_gen, n_imp, n_cross;
    /* the same pairs scored as extracted, failures to enrol compared anyway (NaN: unreadable) */
    double *gen_all, *imp_all, *cross_all;
    int (*gen_pair)[2], (*cross_pair)[2];
    fvc_rates r_imp, r_cross;
    fvc_rates r_imp_all, r_cross_all; /* every readable template compared */
} fe_db;

/* This thread's CPU time, s: the timings' second view on a machine shared with other work. */
static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Reads the folder's FFF_I.tif names (other files are ignored), sorted by finger, impression. */
static int cmp_img(const void *a, const void *b) {
    const fe_img *x = a, *y = b;
    if (x->finger != y->finger) return x->finger < y->finger ? -1 : 1;
    return (x->imp > y->imp) - (x->imp < y->imp);
}

static int fe_list(fe_db *db) {
    DIR *d = opendir(db->dir);
    if (!d) {
        fprintf(stderr, "bex: cannot read the folder %s: %s\n", db->dir, strerror(errno));
        return -1;
    }
    db->img = calloc(FE_MAX_IMAGES, sizeof *db->img);
    if (!db->img) { closedir(d); fprintf(stderr, "bex: out of memory\n"); return -1; }
    struct dirent *e;
    while ((e = readdir(d))) {
        int f, i, len = 0;
        if (sscanf(e->d_name, "%d_%d.tif%n", &f, &i, &len) != 2 || len == 0 || e->d_name[len] ||
            f < 1 || f > FE_MAX_FINGER || i < 1 || i > FE_MAX_IMPRESSION)
            continue;
        if (db->n == FE_MAX_IMAGES) {
            fprintf(stderr, "bex: %s holds more than %d FFF_I.tif images; split it\n", db->dir, FE_MAX_IMAGES);
            closedir(d);
            return -1;
        }
        fe_img *im = &db->img[db->n++];
        im->finger = f;
        im->imp = i;
        snprintf(im->name, sizeof im->name, "%d_%d.tif", f, i);
    }
    closedir(d);
    if (db->n < 2) {
        fprintf(stderr, "bex: %s holds %s FFF_I.tif image (finger_impression.tif, as FVC names them)\n", db->dir,
                db->n ? "only one" : "no");
        return -1;
    }
    qsort(db->img, (size_t)db->n, sizeof *db->img, cmp_img);
    db->fingers = 0;
    for (int k = 0; k < db->n; k++) db->fingers += !k || db->img[k].finger != db->img[k - 1].finger;
    if (db->fingers < 2) {
        fprintf(stderr, "bex: %s holds one finger only: impostor pairs need two\n", db->dir);
        return -1;
    }
    return 0;
}

/* Reads and extracts every image once; enrols (prepares) those that pass the enrol check. */
static int fe_extract(fe_db *db) {
    double t0 = cli_now();
    for (int k = 0; k < db->n; k++) {
        fe_img *im = &db->img[k];
        char path[1200], err[512];
        if (snprintf(path, sizeof path, "%s/%s", db->dir, im->name) >= (int)sizeof path) {
            fprintf(stderr, "bex: %s: the path is too long\n", db->dir);
            return -1;
        }
        bex_finger_image fi = {0};
        double a = cli_now();
        int rc = bex_finger_image_load(path, db->ppi, NULL, &fi, err, sizeof err);
        double b = cli_now();
        db->load_ms += (b - a) * 1e3;
        if (rc != BEX_OK) {
            fprintf(stderr, "bex: %s (a ghost: scores 0)\n", err);
            db->unreadable++;
            db->fte++;
            im->fte = 1;
            continue;
        }
        double cpu0 = cpu_now();
        rc = bex_finger_extract(&fi, 0, &im->t, err, sizeof err);
        db->extract_cpu_ms += (cpu_now() - cpu0) * 1e3;
        double c = cli_now();
        bex_finger_image_free(&fi);
        if (rc != BEX_OK) {
            fprintf(stderr, "bex: %s: %s\n", path, err);
            return -1; /* extraction fails only on memory or a bad argument */
        }
        im->readable = 1;
        db->extract_ms += (c - b) * 1e3;
        db->extracted++;
        if (bex_finger_enrol_check(&im->t, err, sizeof err) != BEX_OK) {
            im->fte = 1; /* a ghost in the protocol; still prepared for the all-templates figures */
            db->fte++;
        }
        a = cli_now();
        rc = bex_finger_prepare(&im->t, &im->p, err, sizeof err);
        db->prepare_ms += (cli_now() - a) * 1e3;
        db->prepared++;
        if (rc != BEX_OK) {
            fprintf(stderr, "bex: %s: %s\n", path, err);
            return -1;
        }
        cli_progress("images", (size_t)k + 1, (size_t)db->n, t0);
    }
    return 0;
}

/* The pair's score as extracted (NaN when an image could not be read); the protocol's is 0
 * when either image failed to enrol (a ghost). */
static double fe_raw(const fe_db *db, int a, int b) {
    const fe_img *x = &db->img[a], *y = &db->img[b];
    if (!x->p || !y->p) return NAN;
    return bex_finger_compare_prepared(x->p, y->p);
}

static int fe_compare(fe_db *db) {
    size_t n = (size_t)db->n, all = n * (n - 1) / 2, nf = (size_t)db->fingers * (size_t)db->fingers;
    db->gen = malloc(sizeof *db->gen * all);
    db->cross = malloc(sizeof *db->cross * all);
    db->imp = malloc(sizeof *db->imp * nf);
    db->gen_all = malloc(sizeof *db->gen_all * all);
    db->cross_all = malloc(sizeof *db->cross_all * all);
    db->imp_all = malloc(sizeof *db->imp_all * nf);
    db->gen_pair = malloc(sizeof *db->gen_pair * all);
    db->cross_pair = malloc(sizeof *db->cross_pair * all);
    if (!db->gen || !db->cross || !db->imp || !db->gen_all || !db->cross_all || !db->imp_all || !db->gen_pair ||
        !db->cross_pair) {
        fprintf(stderr, "bex: out of memory\n");
        return -1;
    }
    /* the comparisons first, timed as one loop (wall and CPU): a clock read per comparison
     * would weigh on a figure of microseconds */
    double *raw = malloc(sizeof *raw * all);
    if (!raw) { fprintf(stderr, "bex: out of memory\n"); return -1; }
    double w0 = cli_now(), c0 = cpu_now();
    size_t k = 0;
    for (int a = 0; a < db->n; a++)
        for (int b = a + 1; b < db->n; b++) raw[k++] = fe_raw(db, a, b);
    db->compare_s = cli_now() - w0;
    db->compare_cpu_s = cpu_now() - c0;
    for (size_t i = 0; i < all; i++) db->compared += !isnan(raw[i]);
    k = 0;
    for (int a = 0; a < db->n; a++)
        for (int b = a + 1; b < db->n; b++, k++) {
            double r = raw[k], s = db->img[a].fte || db->img[b].fte ? 0 : r;
            if (db->img[a].finger == db->img[b].finger) {
                db->gen_pair[db->n_gen][0] = a;
                db->gen_pair[db->n_gen][1] = b;
                db->gen_all[db->n_gen] = r;
                db->gen[db->n_gen++] = s;
                continue;
            }
            db->cross_pair[db->n_cross][0] = a;
            db->cross_pair[db->n_cross][1] = b;
            db->cross_all[db->n_cross] = r;
            db->cross[db->n_cross++] = s;
            /* FVC's impostor set: the first impression of each finger (the lowest I present) */
            int first_a = !a || db->img[a - 1].finger != db->img[a].finger;
            int first_b = db->img[b - 1].finger != db->img[b].finger;
            if (first_a && first_b) {
                db->imp_all[db->n_imp] = r;
                db->imp[db->n_imp++] = s;
            }
        }
    free(raw);
    if (!db->n_gen) {
        fprintf(stderr, "bex: %s has one impression of every finger: no genuine pairs\n", db->dir);
        return -1;
    }
    db->r_imp = fvc_measure(db->gen, db->n_gen, db->imp, db->n_imp);
    db->r_cross = fvc_measure(db->gen, db->n_gen, db->cross, db->n_cross);
    /* every readable template compared: the matcher's accuracy apart from the enrol policy
     * (an unreadable image has no template at all, so it stays a ghost scoring 0 here) */
    for (size_t i = 0; i < db->n_gen; i++) if (isnan(db->gen_all[i])) db->gen_all[i] = 0;
    for (size_t i = 0; i < db->n_imp; i++) if (isnan(db->imp_all[i])) db->imp_all[i] = 0;
    for (size_t i = 0; i < db->n_cross; i++) if (isnan(db->cross_all[i])) db->cross_all[i] = 0;
    db->r_imp_all = fvc_measure(db->gen_all, db->n_gen, db->imp_all, db->n_imp);
    db->r_cross_all = fvc_measure(db->gen_all, db->n_gen, db->cross_all, db->n_cross);
    return 0;
}

static void fe_free(fe_db *db) {
    for (int k = 0; db->img && k < db->n; k++) bex_finger_prepared_free(db->img[k].p);
    free(db->img);
    free(db->gen);
    free(db->imp);
    free(db->cross);
    free(db->gen_all);
    free(db->imp_all);
    free(db->cross_all);
    free(db->gen_pair);
    free(db->cross_pair);
}

/* ------------------------------------------------------------------ reporting */

static void jnum(FILE *f, const char *key, double v, const char *after) {
    if (isfinite(v)) fprintf(f, "\"%s\":%.6g%s", key, v, after);
    else fprintf(f, "\"%s\":null%s", key, after);
}

static void print_rates(const char *key, size_t n, const fvc_rates *r) {
    printf("\"%s\":{\"pairs\":%zu,", key, n);
    jnum(stdout, "eer", r->r.eer, ",");
    jnum(stdout, "eer_low", r->r.eer_low, ",");
    jnum(stdout, "eer_high", r->r.eer_high, ",");
    jnum(stdout, "eer_threshold", r->r.eer_threshold, ",");
    jnum(stdout, "fmr100", r->r.fmr100, ",");
    jnum(stdout, "fmr1000", r->r.fmr1000, ",");
    jnum(stdout, "zerofmr", r->r.zero_fmr, "}");
}

typedef struct qs_pair {
    double q, s; /* a genuine pair's lower quality and its score */
    size_t i;    /* its place in the protocol: ties keep it, never sorted by score (which would
                    set aside the errors first among equal qualities) */
} qs_pair;

static int cmp_qs(const void *a, const void *b) {
    const qs_pair *x = a, *y = b;
    if (x->q != y->q) return x->q < y->q ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

static double pair_quality(const fe_db *db, int a, int b) {
    const fe_img *x = &db->img[a], *y = &db->img[b];
    int qa = x->readable ? x->t.quality : 0, qb = y->readable ? y->t.quality : 0;
    return qa < qb ? qa : qb;
}

/* Accuracy by quality (the face quality's validation, ISO/IEC 29794-1's question: does a low
 * score predict errors?): genuine pairs banded by the lower quality of their two images, FNMR
 * at the threshold for FMR 0.001; cross-finger pairs by the same bands, false matches at it;
 * genuine pairs touching an image with each coded problem; and the error-versus-reject curve
 * (FNMR after setting aside the lowest-quality genuine pairs). */
static void quality_report(fe_db *dbs, int ndb, double thr, const char *thr_source) {
    static const double edges[] = {0, 20, 40, 60, 80, 101};
    size_t gn[5] = {0}, gfnm[5] = {0}, cn[5] = {0}, cfm[5] = {0};
    size_t total = 0;
    for (int d = 0; d < ndb; d++) total += dbs[d].n_gen;
    double *pq = malloc(sizeof *pq * (total ? total : 1)), *ps = malloc(sizeof *ps * (total ? total : 1));
    if (!pq || !ps) { free(pq); free(ps); return; }
    size_t k = 0;
    for (int d = 0; d < ndb; d++) {
        fe_db *db = &dbs[d];
        for (size_t i = 0; i < db->n_gen; i++) {
            double q = pair_quality(db, db->gen_pair[i][0], db->gen_pair[i][1]);
            for (int b = 0; b < 5; b++)
                if (q >= edges[b] && q < edges[b + 1]) { gn[b]++; gfnm[b] += db->gen[i] < thr; }
            pq[k] = q;
            ps[k++] = db->gen[i];
        }
        for (size_t i = 0; i < db->n_cross; i++) {
            double q = pair_quality(db, db->cross_pair[i][0], db->cross_pair[i][1]);
            for (int b = 0; b < 5; b++)
                if (q >= edges[b] && q < edges[b + 1]) { cn[b]++; cfm[b] += db->cross[i] >= thr; }
        }
    }
    printf(",\"quality\":{\"threshold\":%.6g,\"threshold_source\":\"%s\",\"by_pair_quality\":[", thr, thr_source);
    for (int b = 0; b < 5; b++) {
        printf("%s{\"band\":\"%g-%g\",\"genuine_pairs\":%zu,\"false_non_matches\":%zu,", b ? "," : "", edges[b],
               b == 4 ? 100 : edges[b + 1], gn[b], gfnm[b]);
        jnum(stdout, "fnmr", gn[b] ? (double)gfnm[b] / (double)gn[b] : NAN, ",");
        printf("\"nonmated_pairs\":%zu,\"false_matches\":%zu}", cn[b], cfm[b]);
    }
    /* by problem: genuine pairs touching an image with the problem */
    printf("],\"by_problem\":[");
    int first = 1;
    for (int bit = 0; bit < 32; bit++) {
        const char *code = bex_finger_problem_code(1u << bit);
        if (!code) continue;
        size_t imgs = 0, n = 0, fnm = 0;
        for (int d = 0; d < ndb; d++) {
            fe_db *db = &dbs[d];
            for (int i = 0; i < db->n; i++) imgs += db->img[i].readable && (db->img[i].t.problems & (1u << bit));
            for (size_t i = 0; i < db->n_gen; i++) {
                const fe_img *x = &db->img[db->gen_pair[i][0]], *y = &db->img[db->gen_pair[i][1]];
                if ((x->readable && (x->t.problems & (1u << bit))) || (y->readable && (y->t.problems & (1u << bit)))) {
                    n++;
                    fnm += db->gen[i] < thr;
                }
            }
        }
        printf("%s{\"problem\":\"%s\",\"images\":%zu,\"genuine_pairs\":%zu,\"false_non_matches\":%zu,", first ? "" : ",",
               code, imgs, n, fnm);
        jnum(stdout, "fnmr", n ? (double)fnm / (double)n : NAN, "}");
        first = 0;
    }
    /* genuine pairs by pair quality, lowest first: quartiles (bands of equal counts, as the
     * scores crowd into the upper fixed bands) and the error-versus-reject curve */
    qs_pair *sorted = malloc(sizeof *sorted * (total ? total : 1));
    printf("],\"by_pair_quality_quartile\":[");
    if (sorted && total) {
        for (size_t i = 0; i < total; i++) sorted[i] = (qs_pair){pq[i], ps[i], i};
        qsort(sorted, total, sizeof *sorted, cmp_qs);
        for (int quart = 0; quart < 4; quart++) {
            size_t a = total * (size_t)quart / 4, b = total * (size_t)(quart + 1) / 4, fnm = 0;
            for (size_t i = a; i < b; i++) fnm += sorted[i].s < thr;
            printf("%s{\"quartile\":%d,\"quality_from\":%g,\"quality_to\":%g,\"genuine_pairs\":%zu,\"false_non_matches\":%zu,",
                   quart ? "," : "", quart + 1, b > a ? sorted[a].q : NAN, b > a ? sorted[b - 1].q : NAN, b - a, fnm);
            jnum(stdout, "fnmr", b > a ? (double)fnm / (double)(b - a) : NAN, "}");
        }
    }
    printf("],\"error_vs_reject\":[");
    if (sorted && total) {
        static const double rejects[] = {0, 0.02, 0.05, 0.1, 0.2};
        for (int r = 0; r < 5; r++) {
            size_t skip = (size_t)(rejects[r] * (double)total + 0.5), fnm = 0;
            if (skip >= total) break;
            for (size_t i = skip; i < total; i++) fnm += sorted[i].s < thr;
            printf("%s{\"rejected\":%g,\"quality_below\":%g,", r ? "," : "", rejects[r], sorted[skip].q);
            jnum(stdout, "fnmr", (double)fnm / (double)(total - skip), "}");
        }
    }
    printf("]}");
    free(sorted);
    free(pq);
    free(ps);
}

/* The calibration rows: targets 10^(-k/10) from 0.1 down to the lowest with at least 10
 * expected false matches among the non-mated comparisons. */
typedef struct fe_cal_row {
    double target, threshold, fmr, upper95, fnmr, heldout;
    size_t false_matches;
} fe_cal_row;

/* Held out by sensor: for each database, the threshold for target fitted on the other
 * databases' non-mated scores, and the false matches it lets through on that database's;
 * pooled over the databases. nm holds the databases' scores one after the other, cnt[d] each.
 * NaN with fewer than two databases or when a fit has too few comparisons. */
static double heldout_fmr(const double *nm, size_t n_nm, const size_t *cnt, int ndb, double target) {
    if (ndb < 2) return NAN;
    double *rest = malloc(sizeof *rest * (n_nm ? n_nm : 1));
    size_t fm = 0, n = 0, off = 0;
    char err[256];
    for (int d = 0; rest && d < ndb; d++) {
        size_t k = 0;
        for (size_t i = 0; i < n_nm; i++)
            if (i < off || i >= off + cnt[d]) rest[k++] = nm[i];
        double t;
        if (bex_threshold_for_fmr(rest, k, target, &t, NULL, err, sizeof err) != BEX_OK) { free(rest); return NAN; }
        float tf = (float)t;
        if ((double)tf < t) tf = nextafterf(tf, INFINITY);
        for (size_t i = off; i < off + cnt[d]; i++) fm += nm[i] >= tf;
        n += cnt[d];
        off += cnt[d];
    }
    free(rest);
    return n ? (double)fm / (double)n : NAN;
}

static int calibrate(const double *nm, size_t n_nm, const size_t *cnt, int ndb, const double *m, size_t n_m, fe_cal_row *rows,
                     int cap) {
    int nr = 0;
    char err[256];
    for (int k = 10; k <= 60 && nr < cap; k++) {
        double target = pow(10, -k / 10.0);
        if (target * (double)n_nm < 10) break;
        double thr, fmr, fnmr;
        if (bex_threshold_for_fmr(nm, n_nm, target, &thr, &fmr, err, sizeof err) != BEX_OK) break;
        fe_cal_row *r = &rows[nr];
        /* the table holds floats: the decision compares a float score with a float threshold,
         * so round the threshold up to the float that keeps FMR <= target */
        float tf = (float)thr;
        if ((double)tf < thr) tf = nextafterf(tf, INFINITY);
        r->target = target;
        r->threshold = tf;
        if (bex_fmr_fnmr(m, n_m, nm, n_nm, tf, &fmr, &fnmr, err, sizeof err) != BEX_OK) break;
        r->fmr = fmr;
        r->fnmr = fnmr;
        r->false_matches = (size_t)llround(fmr * (double)n_nm);
        if (bex_error_rate_upper_bound(r->false_matches, n_nm, 0.95, &r->upper95, err, sizeof err) != BEX_OK) break;
        r->heldout = heldout_fmr(nm, n_nm, cnt, ndb, target);
        nr++;
    }
    return nr;
}

static int write_table(const char *path, const fe_cal_row *r, int nr, size_t n_nm, size_t n_m, const fe_db *dbs, int ndb,
                       const char *cmdline) {
    char tmp[1200];
    FILE *f = eval_open_atomic(path, tmp, sizeof tmp);
    if (!f) return -1;
    time_t now = time(NULL);
    char day[32];
    strftime(day, sizeof day, "%Y-%m-%d", gmtime(&now));
    int images = 0, fte = 0;
    for (int d = 0; d < ndb; d++) { images += dbs[d].n; fte += dbs[d].fte; }
    fprintf(f, "/*\n * calibration_table.h - the finger comparator's FMR -> threshold table (src/finger/calibration.c).\n"
               " * Generated by `%s` (bex %s, %s).\n * Do not edit: run it again after any change to the extractor or the matcher.\n */\n",
            cmdline, BEX_VERSION, day);
    fprintf(f, "#ifndef BEX_FINGER_CALIBRATION_TABLE_H\n#define BEX_FINGER_CALIBRATION_TABLE_H\n\n#include <stddef.h>\n\n");
    fprintf(f, "typedef struct bex__finger_cal_row {\n    double target;         /* the FMR asked for */\n"
               "    float threshold;       /* a score at or above it is a match */\n"
               "    unsigned long long false_matches; /* non-mated comparisons at or above threshold */\n"
               "    double fmr_measured;   /* false_matches / comparisons (<= target) */\n"
               "    double fmr_upper95;    /* one-sided 95%% Clopper-Pearson bound on it */\n"
               "    double fnmr;           /* genuine pairs below threshold / genuine pairs */\n"
               "    double heldout_fmr;    /* each database at the threshold fitted on the others, pooled */\n} bex__finger_cal_row;\n\n");
    fprintf(f, "/* from the highest target down, thresholds rising */\nstatic const bex__finger_cal_row FINGER_CAL_ROWS[] = {\n");
    for (int i = 0; i < nr; i++)
        fprintf(f, "    {%.6g, %.9gf, %zu, %.6g, %.6g, %.6f, %.6g},\n", r[i].target, r[i].threshold, r[i].false_matches, r[i].fmr,
                r[i].upper95, r[i].fnmr, isfinite(r[i].heldout) ? r[i].heldout : -1.0);
    fprintf(f, "};\n#define FINGER_CAL_N %d /* rows */\n\n#define FINGER_CAL_COMPARISONS %zuULL /* non-mated comparisons behind the table */\n", nr, n_nm);
    fprintf(f, "#define FINGER_CAL_MATED %zuULL /* genuine comparisons behind the FNMR column */\n", n_m);
    fprintf(f, "#define FINGER_CAL_EVIDENCE \"");
    for (int d = 0; d < ndb; d++) {
        const char *b = strrchr(dbs[d].dir, '/');
        fprintf(f, "%s%s at %d ppi", d ? ", " : "", b && b[1] ? b + 1 : dbs[d].dir, dbs[d].ppi);
    }
    fprintf(f, ": %d images, %d failures to enrol (left out); every pair of enrolled images of different fingers "
               "within a database a non-mated comparison (%zu), every pair of the same finger a genuine one (%zu); "
               "bex %s, %s\"\n\n#endif\n", images, fte, n_nm, n_m, BEX_VERSION, day);
    return eval_close_atomic(f, tmp, path);
}

static void write_files(const char *out, fe_db *dbs, int ndb) {
    char path[1200], err[512];
    bex_det_point *det[FE_MAX_DB] = {0};
    bex_det_series ser[FE_MAX_DB];
    char names[FE_MAX_DB][160];
    int ns = 0;
    for (int d = 0; d < ndb; d++) {
        fe_db *db = &dbs[d];
        size_t nd = 0;
        if (bex_det_curve(db->gen, db->n_gen, db->cross, db->n_cross, NULL, 0, &nd, err, sizeof err) != BEX_OK ||
            !(det[d] = malloc(sizeof *det[d] * (nd ? nd : 1))) ||
            bex_det_curve(db->gen, db->n_gen, db->cross, db->n_cross, det[d], nd, &nd, err, sizeof err) != BEX_OK)
            continue;
        const char *b = strrchr(db->dir, '/');
        snprintf(names[ns], sizeof names[ns], "%.100s (EER %.2f%%)", b && b[1] ? b + 1 : db->dir, 100 * db->r_cross.r.eer);
        ser[ns] = (bex_det_series){names[ns], det[d], nd};
        ns++;
    }
    if (ns) {
        double marks[2] = {1e-3, 1e-2};
        bex_det_plot dp = {.title = "Fingerprints, FVC protocol: genuine vs cross-finger pairs (DET)", .x_min = 1e-4,
                           .x_max = 1, .y_min = 1e-3, .y_max = 1, .marks = marks, .n_marks = 2};
        snprintf(path, sizeof path, "%s/finger_det.svg", out);
        if (bex_det_svg_write(path, &dp, ser, (size_t)ns, err, sizeof err) != BEX_OK) fprintf(stderr, "bex: %s\n", err);
    }
    for (int d = 0; d < ndb; d++) free(det[d]);
    snprintf(path, sizeof path, "%s/finger_scores.csv", out);
    char tmp[1300];
    FILE *f = eval_open_atomic(path, tmp, sizeof tmp);
    if (!f) return;
    fprintf(f, "db,set,image_a,image_b,score\n");
    for (int d = 0; d < ndb; d++) {
        fe_db *db = &dbs[d];
        for (size_t i = 0; i < db->n_gen; i++)
            fprintf(f, "%d,genuine,%s,%s,%.9g\n", d + 1, db->img[db->gen_pair[i][0]].name, db->img[db->gen_pair[i][1]].name,
                    db->gen[i]);
        for (size_t i = 0; i < db->n_cross; i++) {
            const fe_img *a = &db->img[db->cross_pair[i][0]], *b = &db->img[db->cross_pair[i][1]];
            int fvc = (db->cross_pair[i][0] == 0 || db->img[db->cross_pair[i][0] - 1].finger != a->finger) &&
                      db->img[db->cross_pair[i][1] - 1].finger != b->finger;
            fprintf(f, "%d,%s,%s,%s,%.9g\n", d + 1, fvc ? "impostor" : "cross", a->name, b->name, db->cross[i]);
        }
    }
    eval_close_atomic(f, tmp, path);
}

/* The readable summary (stderr and OUT/finger_summary.txt). */
static void summary(FILE *f, const fe_db *dbs, int ndb, double mean_imp, double mean_cross, double mean_imp_all,
                    double mean_cross_all) {
    fprintf(f, "%-12s %5s %4s %4s %8s %8s %8s %8s %8s %9s %9s\n", "database", "ppi", "imgs", "FTE", "EER%", "FMR100%",
            "FMR1000%", "ZeroFMR%", "EERx%", "ms/extr", "us/comp");
    for (int d = 0; d < ndb; d++) {
        const fe_db *db = &dbs[d];
        const char *b = strrchr(db->dir, '/');
        fprintf(f, "%-12.12s %5d %4d %4d %8.2f %8.2f %8.2f %8.2f %8.2f %9.2f %9.2f\n", b && b[1] ? b + 1 : db->dir, db->ppi,
                db->n, db->fte, 100 * db->r_imp.r.eer, 100 * db->r_imp.r.fmr100, 100 * db->r_cross.r.fmr1000,
                100 * db->r_imp.r.zero_fmr, 100 * db->r_cross.r.eer, db->extracted ? db->extract_cpu_ms / db->extracted : NAN,
                db->compared ? 1e6 * db->compare_cpu_s / (double)db->compared : NAN);
    }
    fprintf(f, "mean EER over %d database%s: %.2f%% (FVC impostor pairs), %.2f%% (cross-finger pairs)\n", ndb,
            ndb > 1 ? "s" : "", 100 * mean_imp, 100 * mean_cross);
    fprintf(f, "with the failures to enrol compared as extracted: %.2f%%, %.2f%%\n", 100 * mean_imp_all, 100 * mean_cross_all);
    fprintf(f, "(EER, FMR100, ZeroFMR: genuine vs FVC impostor pairs; FMR1000 and EERx: vs cross-finger pairs;\n"
               " ms/extr and us/comp: thread CPU time, one thread; the JSON has wall clock too)\n");
}

/* ------------------------------------------------------------------ the command */

int cmd_eval_finger(int argc, char **argv) {
    static fe_db dbs[FE_MAX_DB];
    int ndb = 0, ppi = 500, ppi_declared = 0;
    const char *out = "eval-out", *cal = NULL, *fvc2002 = NULL;
    double fmr_op = BEX_FINGER_DEFAULT_FMR;
    memset(dbs, 0, sizeof dbs);
    for (int i = 0; i < argc; i++) {
        const char *v;
        if (cli_opt(argc, argv, &i, "--fvc", &v) == 1) {
            if (ndb == FE_MAX_DB) return cli_usage_error("eval finger takes at most 8 --fvc folders");
            snprintf(dbs[ndb].dir, sizeof dbs[ndb].dir, "%s", v);
            dbs[ndb].ppi = ppi;
            dbs[ndb++].declared = ppi_declared;
        } else if (cli_opt(argc, argv, &i, "--ppi", &v) == 1) {
            char *end;
            long p = strtol(v, &end, 10);
            if (*end || p < 100 || p > 2000) return cli_usage_error("--ppi takes a resolution in pixels per inch, 100 to 2000");
            ppi = (int)p;
            ppi_declared = 1;
        } else if (cli_opt(argc, argv, &i, "--fvc2002", &v) == 1) fvc2002 = v;
        else if (cli_opt(argc, argv, &i, "--out", &v) == 1) out = v;
        else if (cli_opt(argc, argv, &i, "--calibrate", &v) == 1) cal = v;
        else if (cli_opt(argc, argv, &i, "--fmr", &v) == 1) {
            if (!cli_parse_rate("--fmr", v, &fmr_op)) return 2;
        } else
            return cli_usage_error("eval finger takes [--ppi N] --fvc DIR [[--ppi N] --fvc DIR ...] | --fvc2002 ROOT, "
                                   "and [--out DIR] [--fmr F] [--calibrate FILE]");
    }
    if (fvc2002) {
        if (ndb) return cli_usage_error("eval finger: --fvc2002 ROOT names the four folders itself; leave out --fvc");
        static const int fvc_ppi[4] = {500, 569, 500, 500}; /* FVC2002's documented sensors */
        for (int d = 0; d < 4; d++) {
            snprintf(dbs[d].dir, sizeof dbs[d].dir, "%s/DB%d_B", fvc2002, d + 1);
            dbs[d].ppi = fvc_ppi[d];
            dbs[d].declared = 1;
        }
        ndb = 4;
    }
    if (!ndb) return cli_usage_error("eval finger needs --fvc DIR (a folder of FFF_I.tif images) or --fvc2002 ROOT");
    int rc = 2;
    for (int d = 0; d < ndb; d++) {
        fprintf(stderr, "bex: %s at %d ppi (%s)\n", dbs[d].dir, dbs[d].ppi, dbs[d].declared ? "declared" : "the default: --ppi N to change");
        if (fe_list(&dbs[d]) != 0 || fe_extract(&dbs[d]) != 0 || fe_compare(&dbs[d]) != 0) goto done;
    }
    if (eval_make_out_dir(out) != 0) goto done;

    /* pooled over the databases: non-mated comparisons of enrolled images (cross-finger
     * sets), genuine comparisons of all pairs (ghosts included: they are a system's misses) */
    size_t n_nm = 0, n_m = 0, n_gen_all = 0;
    for (int d = 0; d < ndb; d++) { n_nm += dbs[d].n_cross; n_gen_all += dbs[d].n_gen; }
    double *nm = malloc(sizeof *nm * (n_nm ? n_nm : 1)), *m = malloc(sizeof *m * (n_gen_all ? n_gen_all : 1));
    if (!nm || !m) { free(nm); free(m); fprintf(stderr, "bex: out of memory\n"); goto done; }
    n_nm = 0;
    size_t nm_per_db[FE_MAX_DB] = {0};
    for (int d = 0; d < ndb; d++) {
        size_t before = n_nm;
        for (size_t i = 0; i < dbs[d].n_cross; i++)
            if (!dbs[d].img[dbs[d].cross_pair[i][0]].fte && !dbs[d].img[dbs[d].cross_pair[i][1]].fte) nm[n_nm++] = dbs[d].cross[i];
        nm_per_db[d] = n_nm - before;
        for (size_t i = 0; i < dbs[d].n_gen; i++) m[n_m++] = dbs[d].gen[i];
    }

    double mean_imp = 0, mean_cross = 0, mean_imp_all = 0, mean_cross_all = 0, ex_ms = 0, ex_cpu = 0, cmp_s = 0,
           cmp_cpu = 0;
    int extracted = 0;
    size_t compared = 0;
    for (int d = 0; d < ndb; d++) {
        mean_imp += dbs[d].r_imp.r.eer / ndb;
        mean_cross += dbs[d].r_cross.r.eer / ndb;
        mean_imp_all += dbs[d].r_imp_all.r.eer / ndb;
        mean_cross_all += dbs[d].r_cross_all.r.eer / ndb;
        ex_ms += dbs[d].extract_ms;
        ex_cpu += dbs[d].extract_cpu_ms;
        extracted += dbs[d].extracted;
        cmp_s += dbs[d].compare_s;
        cmp_cpu += dbs[d].compare_cpu_s;
        compared += dbs[d].compared;
    }
    printf("{\"protocol\":\"FVC (Maio et al. 2002): per database, genuine = every impression against every other of the "
           "same finger, impostor = first impressions of different fingers, cross = every impression against every "
           "impression of other fingers; each unordered pair once; a failure to enrol is a ghost scoring 0; EER, "
           "FMR100, FMR1000 and ZeroFMR as FVC defines them\",\"databases\":[");
    for (int d = 0; d < ndb; d++) {
        fe_db *db = &dbs[d];
        printf("%s{\"dir\":", d ? "," : "");
        bex_json_str(stdout, db->dir);
        printf(",\"ppi\":%d,\"ppi_source\":\"%s\",\"images\":%d,\"fingers\":%d,\"unreadable\":%d,\"failures_to_enrol\":%d,",
               db->ppi, db->declared ? "declared" : "default", db->n, db->fingers, db->unreadable, db->fte);
        printf("\"fte_images\":[");
        for (int k = 0, c = 0; k < db->n; k++)
            if (db->img[k].fte) printf("%s\"%s\"", c++ ? "," : "", db->img[k].name);
        printf("],");
        jnum(stdout, "load_ms_per_image", db->n ? db->load_ms / db->n : NAN, ",");
        jnum(stdout, "ms_per_extraction", db->extracted ? db->extract_ms / db->extracted : NAN, ",");
        jnum(stdout, "ms_per_prepare", db->prepared ? db->prepare_ms / db->prepared : NAN, ",");
        jnum(stdout, "ms_per_extraction_cpu", db->extracted ? db->extract_cpu_ms / db->extracted : NAN, ",");
        jnum(stdout, "us_per_comparison", db->compared ? 1e6 * db->compare_s / (double)db->compared : NAN, ",");
        jnum(stdout, "us_per_comparison_cpu", db->compared ? 1e6 * db->compare_cpu_s / (double)db->compared : NAN, ",");
        printf("\"comparisons_timed\":%zu,\"genuine_pairs\":%zu,", db->compared, db->n_gen);
        print_rates("impostor", db->n_imp, &db->r_imp);
        printf(",");
        print_rates("cross", db->n_cross, &db->r_cross);
        printf(",\"all_templates\":{");
        print_rates("impostor", db->n_imp, &db->r_imp_all);
        printf(",");
        print_rates("cross", db->n_cross, &db->r_cross_all);
        printf("}}");
    }
    printf("],");
    jnum(stdout, "mean_eer", mean_imp, ",");
    jnum(stdout, "mean_eer_cross", mean_cross, ",");
    jnum(stdout, "mean_eer_all_templates", mean_imp_all, ",");
    jnum(stdout, "mean_eer_cross_all_templates", mean_cross_all, ",");
    jnum(stdout, "ms_per_extraction", extracted ? ex_ms / extracted : NAN, ",");
    jnum(stdout, "ms_per_extraction_cpu", extracted ? ex_cpu / extracted : NAN, ",");
    jnum(stdout, "us_per_comparison", compared ? 1e6 * cmp_s / (double)compared : NAN, ",");
    jnum(stdout, "us_per_comparison_cpu", compared ? 1e6 * cmp_cpu / (double)compared : NAN, "");
    printf(",\"timing\":\"one thread, this machine: wall clock, and the thread's CPU time (_cpu) which other work on "
           "the machine does not inflate; extraction excludes reading the file; comparisons timed as one loop over "
           "every pair of readable images\",\"all_templates\":\"the same pairs with the failures to enrol compared as "
           "extracted instead of as ghosts: the comparator's accuracy apart from the enrol policy\"");

    /* the operating point: the shipped table's, else (--calibrate: a new table is being made,
     * or none fits) this run's own */
    double thr = NAN;
    char err[512];
    const char *thr_source = "shipped table";
    bex_finger_operating_point op;
    if (!cal && bex_finger_operating_point_verify(fmr_op, &op, err, sizeof err) == BEX_OK) thr = op.threshold;
    else {
        double t;
        thr_source = "this run's pooled cross-finger pairs";
        if (n_nm && bex_threshold_for_fmr(nm, n_nm, fmr_op, &t, NULL, err, sizeof err) == BEX_OK) thr = t;
        else fprintf(stderr, "bex: no threshold for FMR %g: %s\n", fmr_op, err);
    }
    printf(",\"operating_point\":{\"fmr\":%g,", fmr_op);
    jnum(stdout, "threshold", thr, ",");
    printf("\"source\":\"%s\"", thr_source);
    if (isfinite(thr) && n_nm && n_m) {
        double fmr, fnmr;
        if (bex_fmr_fnmr(m, n_m, nm, n_nm, thr, &fmr, &fnmr, err, sizeof err) == BEX_OK) {
            printf(",\"nonmated\":%zu,\"false_matches\":%zu,", n_nm, (size_t)llround(fmr * (double)n_nm));
            jnum(stdout, "fmr_measured", fmr, ",");
            printf("\"genuine\":%zu,", n_m);
            jnum(stdout, "fnmr_measured", fnmr, "");
        }
        printf(",\"per_database\":[");
        for (int d = 0; d < ndb; d++) { /* the same threshold on each sensor alone */
            size_t fm = 0, nn = 0, fnm = 0;
            for (size_t i = 0; i < dbs[d].n_cross; i++) {
                if (dbs[d].img[dbs[d].cross_pair[i][0]].fte || dbs[d].img[dbs[d].cross_pair[i][1]].fte) continue;
                nn++;
                fm += dbs[d].cross[i] >= thr;
            }
            for (size_t i = 0; i < dbs[d].n_gen; i++) fnm += dbs[d].gen[i] < thr;
            printf("%s{\"nonmated\":%zu,\"false_matches\":%zu,\"genuine\":%zu,\"false_non_matches\":%zu}", d ? "," : "", nn, fm,
                   dbs[d].n_gen, fnm);
        }
        printf("]");
    }
    printf("}");
    if (isfinite(thr)) quality_report(dbs, ndb, thr, thr_source);

    if (cal) {
        fe_cal_row rows[64];
        int nr = n_nm ? calibrate(nm, n_nm, nm_per_db, ndb, m, n_m, rows, 64) : 0;
        if (!nr) {
            fprintf(stderr, "bex: too few non-mated comparisons (%zu) to calibrate FMR 0.1 with 10 expected false matches\n", n_nm);
            free(nm);
            free(m);
            printf("}\n");
            goto done;
        }
        char cmd[600];
        if (fvc2002) snprintf(cmd, sizeof cmd, "bex eval finger --fvc2002 %.200s --calibrate %.300s", fvc2002, cal);
        else snprintf(cmd, sizeof cmd, "bex eval finger --fvc ... --calibrate %.300s", cal);
        if (write_table(cal, rows, nr, n_nm, n_m, dbs, ndb, cmd) != 0) {
            free(nm);
            free(m);
            printf("}\n");
            goto done;
        }
        printf(",\"calibration\":{\"file\":");
        bex_json_str(stdout, cal);
        printf(",\"nonmated\":%zu,\"genuine\":%zu,\"rows\":[", n_nm, n_m);
        for (int i = 0; i < nr; i++) {
            printf("%s{\"fmr\":%.6g,\"threshold\":%.6g,\"false_matches\":%zu,\"fmr_measured\":%.4g,\"fmr_upper95\":%.4g,\"fnmr\":%.4f,",
                   i ? "," : "", rows[i].target, rows[i].threshold, rows[i].false_matches, rows[i].fmr, rows[i].upper95,
                   rows[i].fnmr);
            jnum(stdout, "heldout_fmr", rows[i].heldout, "}");
        }
        printf("]}");
    }
    free(nm);
    free(m);
    write_files(out, dbs, ndb);
    printf(",\"files\":\"%s/finger_{det.svg,scores.csv,summary.txt}\"}\n", out);
    fflush(stdout);
    summary(stderr, dbs, ndb, mean_imp, mean_cross, mean_imp_all, mean_cross_all);
    {
        char path[1200], tmp[1300];
        snprintf(path, sizeof path, "%s/finger_summary.txt", out);
        FILE *f = eval_open_atomic(path, tmp, sizeof tmp);
        if (f) {
            summary(f, dbs, ndb, mean_imp, mean_cross, mean_imp_all, mean_cross_all);
            eval_close_atomic(f, tmp, path);
        }
    }
    rc = 0;
done:
    for (int d = 0; d < ndb; d++) fe_free(&dbs[d]);
    return rc;
}
