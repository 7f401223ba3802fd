/*
 * calibrate.c - `bex eval calibrate`: decision thresholds for target false match rates,
 * derived from every cross-identity comparison LFW offers, with the evidence behind each.
 *
 *   bex eval calibrate --lfw DIR [--out DIR] [--align A] [--cache FILE] [--trials N]
 *                      [--seed S] [--threads T] [--c-table FILE]
 *
 * Protocol. Every image of lfw-names.txt is embedded (largest face). Every pair of images of
 * two different people is a non-mated comparison, every pair of images of one person a mated
 * one; their scores go into histograms of bin width 1e-5 (exact enough for thresholds, and
 * 88 million comparisons need no 350 MB of scores). For each target FMR on a grid of forty
 * per decade (0.1 down), the threshold is the lowest bin edge at which the non-mated comparisons at or
 * above it are at most target x comparisons; the table gives the false matches there, the
 * one-sided 95% Clopper-Pearson bound, and the FNMR of the mated comparisons. Targets with
 * fewer than 10 expected false matches are not calibrated.
 *
 * Two checks, because comparisons that share images are not independent trials:
 *  - held out: the people are split in two seeded halves; a threshold fitted on the first
 *    half's non-mated comparisons is applied to the second half's, whose FMR is reported.
 *  - 1:N: galleries of N random people (one random image each) are searched by one random
 *    image of every person outside the gallery, many times; the FPIR measured at the
 *    threshold for FMR = 1 - (1 - FPIR)^(1/N) (independent comparisons) is reported against
 *    the target, with the threshold read from these searches themselves.
 *
 * --c-table FILE writes the table as a C initializer for src/face/calibration_*.inc.
 * --model FILE calibrates a described model (docs/models.md) instead of the built-in one and
 * writes its table to the calibration file beside the description, which bex then reads
 * whenever it decides with that model (--cache keys its records by the model's identity, so
 * keep one cache file per model).
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bex/bex.h"
#include "bex/eval.h"
#include "cli.h"
#include "eval.h"

#define BINS 200000 /* bin width 1e-5 over similarity -1 .. 1 */
#define MIN_EXPECTED 10.0
#define ROWS_PER_DECADE 40
#define MAX_ROWS (8 * ROWS_PER_DECADE)

static int bin_of(float s) {
    int b = (int)floor(((double)s + 1.0) * (BINS / 2));
    return b < 0 ? 0 : b >= BINS ? BINS - 1 : b;
}
static double edge_of(int b) { return -1.0 + (double)b * (2.0 / BINS); }

typedef struct cal_img {
    const float *t;
    int person, half;
} cal_img;

enum { H_NM, H_NM_A, H_NM_B, H_MATED, H_COUNT };

typedef struct scan_job {
    const cal_img *im;
    int n, next, dim;
    pthread_mutex_t lock;
    uint64_t *hist; /* H_COUNT x BINS, summed under lock by each worker at the end */
} scan_job;

static void *scan_worker(void *arg) {
    scan_job *j = arg;
    uint64_t *h = calloc((size_t)H_COUNT * BINS, sizeof *h);
    if (!h) return (void *)1;
    for (;;) {
        pthread_mutex_lock(&j->lock);
        int i0 = j->next;
        j->next += 64;
        pthread_mutex_unlock(&j->lock);
        if (i0 >= j->n) break;
        int i1 = i0 + 64 < j->n ? i0 + 64 : j->n;
        for (int i = i0; i < i1; i++) {
            const cal_img *a = &j->im[i];
            for (int k = i + 1; k < j->n; k++) {
                const cal_img *b = &j->im[k];
                int bin = bin_of(eval_dot_n(a->t, b->t, j->dim));
                if (a->person == b->person) h[(size_t)H_MATED * BINS + bin]++;
                else {
                    h[(size_t)H_NM * BINS + bin]++;
                    if (a->half == b->half) h[(size_t)(a->half ? H_NM_B : H_NM_A) * BINS + bin]++;
                }
            }
        }
    }
    pthread_mutex_lock(&j->lock);
    for (size_t k = 0; k < (size_t)H_COUNT * BINS; k++) j->hist[k] += h[k];
    pthread_mutex_unlock(&j->lock);
    free(h);
    return NULL;
}

/* at[b] = comparisons scoring in bin b or above; at[BINS] = 0. */
static void suffix(const uint64_t *h, uint64_t *at) {
    at[BINS] = 0;
    for (int b = BINS - 1; b >= 0; b--) at[b] = at[b + 1] + h[b];
}

/* The lowest bin whose at-or-above count is at most target x total. */
static int bin_for_rate(const uint64_t *at, double target) {
    double allowed = target * (double)at[0];
    int lo = 0, hi = BINS; /* at[] falls with b; find the first b with at[b] <= allowed */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if ((double)at[mid] <= allowed) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

typedef struct cal_row {
    double target, threshold, fmr, upper95, fnmr, heldout_fmr, heldout_threshold;
    uint64_t false_matches, heldout_false, heldout_n;
} cal_row;

typedef struct fpir_check {
    int n, trials;
    double fpir, fmr_equiv, threshold, measured, upper95, empirical_threshold;
    size_t searches, false_positives;
} fpir_check;

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* 1:N searches for gallery size n: top non-mated scores into tops (trials x (people - n)). */
static size_t fpir_searches(const cal_img *im, int nim, const int *first, const int *count, int np,
                            int n, int trials, unsigned long long seed, int dim, double *tops) {
    int *order = malloc(sizeof(int) * (size_t)np);
    const float **gal = malloc(sizeof *gal * (size_t)n);
    size_t k = 0;
    if (!order || !gal) goto out;
    for (int i = 0; i < np; i++) order[i] = i;
    unsigned long long s = seed;
    for (int t = 0; t < trials; t++) {
        for (int i = 0; i < np; i++) { /* full shuffle: the first n are the gallery */
            int j = i + (int)(eval_rng(&s) % (unsigned long long)(np - i));
            int x = order[i]; order[i] = order[j]; order[j] = x;
        }
        for (int g = 0; g < n; g++) {
            int p = order[g];
            gal[g] = im[first[p] + (int)(eval_rng(&s) % (unsigned long long)count[p])].t;
        }
        for (int q = n; q < np; q++) {
            int p = order[q];
            const float *probe = im[first[p] + (int)(eval_rng(&s) % (unsigned long long)count[p])].t;
            float top = -2;
            for (int g = 0; g < n; g++) {
                float v = eval_dot_n(probe, gal[g], dim);
                if (v > top) top = v;
            }
            tops[k++] = top;
        }
    }
out:
    free(order);
    free(gal);
    (void)nim;
    return k;
}

static int write_c_table(const char *path, bex_align align, const cal_row *r, int nr, const fpir_check *fc, int nfc,
                         uint64_t comparisons, uint64_t mated, int listed, int people, int images, int with_face,
                         unsigned long long seed, const char *cmdline) {
    char tmp[1200];
    FILE *f = eval_open_atomic(path, tmp, sizeof tmp);
    if (!f) return -1;
    time_t now = time(NULL);
    char day[32];
    strftime(day, sizeof day, "%Y-%m-%d", gmtime(&now));
    fprintf(f, "/* Generated by `%s` (bex %s, %s). Do not edit: run it again.\n", cmdline, BEX_VERSION, day);
    fprintf(f, " * {target FMR, threshold, false matches, FMR upper 95%%, FNMR, held-out FMR} */\n");
    fprintf(f, "static const bex__cal_row CAL_ROWS[] = {\n");
    for (int i = 0; i < nr; i++)
        fprintf(f, "    {%.3g, %.5f, %llu, %.4g, %.6f, %.4g},\n", r[i].target, r[i].threshold,
                (unsigned long long)r[i].false_matches, r[i].upper95, r[i].fnmr, r[i].heldout_fmr);
    fprintf(f, "};\n/* {N, trials, target FPIR, FMR used, threshold, searches, false positives, measured FPIR} */\n");
    fprintf(f, "static const bex__cal_fpir CAL_FPIR[] = {\n");
    for (int i = 0; i < nfc; i++)
        fprintf(f, "    {%d, %d, %.3g, %.4g, %.5f, %zu, %zu, %.5f},\n", fc[i].n, fc[i].trials, fc[i].fpir, fc[i].fmr_equiv,
                fc[i].threshold, fc[i].searches, fc[i].false_positives, fc[i].measured);
    fprintf(f, "};\nstatic const bex__cal_info CAL_INFO = {\n    \"%s\", %llu, %llu, %d, %d, %d, %lluULL,\n"
               "    \"LFW deep-funneled (lfw-names.txt): %d people, %d images; %d images of %d people with a "
               "face; every cross-identity image pair a non-mated comparison (%llu), every same-identity pair a "
               "mated one (%llu); %s alignment, bex %s, %s; `bex eval calibrate`, held-out and 1:N checks in "
               "README.md\",\n};\n",
            eval_align_name(align), (unsigned long long)comparisons, (unsigned long long)mated, people, images,
            with_face, seed, listed, images, with_face, people, (unsigned long long)comparisons,
            (unsigned long long)mated, eval_align_name(align), BEX_VERSION, day);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
        fprintf(stderr, "bex: cannot write %s: %s\n", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

int cmd_eval_calibrate(const char *models, int argc, char **argv) {
    eval_opts o;
    eval_opts_default(&o, 100);
    const char *ctable = NULL;
    for (int i = 0; i < argc; i++) {
        int r = eval_parse_common(argc, argv, &i, &o);
        if (r < 0) return 2;
        if (r > 0) continue;
        if (!strcmp(argv[i], "--c-table") && i + 1 < argc) ctable = argv[++i];
        else if (!strcmp(argv[i], "--model") && i + 1 < argc) {
            if (!cli_load_model(argv[++i])) return 2;
        } else
            return cli_usage_error("eval calibrate takes --lfw DIR [--out DIR] [--align A] [--cache FILE] "
                                   "[--trials N] [--seed S] [--threads T] [--c-table FILE | --model FILE] [--no-flip] [--light M] [--variant V]");
    }
    const char *lfw = o.lfw, *out = o.out;
    bex_align align = o.align;
    int threads = o.threads, trials = o.trials;
    unsigned long long seed = o.seed;
    if (ctable && cli_model()) return cli_usage_error("eval calibrate: --c-table is the built-in model's; --model writes its own file");
    if (!lfw) return cli_usage_error("eval calibrate needs --lfw DIR, an LFW tree with lfw-deepfunneled/ and lfw-names.txt");
    eval_set s = {0};
    person *pp = NULL;
    int np = 0, rc = 2;
    char dir[1024], path[1200], err[256];
    if (eval_load_people(lfw, out, &s, &pp, &np) != 0) return 2;
    cli_find_models(models, dir, sizeof dir);
    if (eval_embed_all(&s, dir, &o) != 0) {
        for (int i = 0; i < s.n; i++) free(s.imgs[i].tx);
        free(pp);
        free(s.imgs);
        return 2;
    }

    /* the images with a template, grouped by person; halves by a seeded coin per person */
    cal_img *im = malloc(sizeof *im * (size_t)s.n);
    int *first = malloc(sizeof(int) * (size_t)np), *count = malloc(sizeof(int) * (size_t)np);
    uint64_t *hist = calloc((size_t)H_COUNT * BINS, sizeof *hist);
    uint64_t *at = malloc(sizeof *at * (size_t)H_COUNT * (BINS + 1));
    double *tops = NULL;
    if (!im || !first || !count || !hist || !at) {
        fprintf(stderr, "bex: out of memory\n");
        goto done;
    }
    int nim = 0, npeople = 0;
    unsigned long long hs = seed ^ 0x5bd1e995ULL;
    for (int p = 0; p < np; p++) {
        int half = (int)((eval_rng(&hs) >> 17) & 1), c = 0;
        first[npeople] = nim;
        for (int k = 0; k < pp[p].count; k++) {
            const eval_img *e = &s.imgs[pp[p].first + k];
            if (e->found != 1) continue;
            im[nim++] = (cal_img){eval_template(e), npeople, half};
            c++;
        }
        if (c) count[npeople++] = c;
    }
    fprintf(stderr, "bex: comparing every pair of %d images (%.1f million)\n", nim, nim * (nim - 1.0) / 2e6);
    double t0 = cli_now();
    scan_job j = {.im = im, .n = nim, .dim = s.dim, .hist = hist};
    pthread_mutex_init(&j.lock, NULL);
    pthread_t th[16];
    for (int i = 0; i < threads; i++) pthread_create(&th[i], NULL, scan_worker, &j);
    int failed = 0;
    for (int i = 0; i < threads; i++) {
        void *r;
        pthread_join(th[i], &r);
        failed |= r != NULL;
    }
    pthread_mutex_destroy(&j.lock);
    if (failed) {
        fprintf(stderr, "bex: out of memory for the score histograms\n");
        goto done;
    }
    fprintf(stderr, "bex: compared in %.1f s\n", cli_now() - t0);
    for (int h = 0; h < H_COUNT; h++) suffix(hist + (size_t)h * BINS, at + (size_t)h * (BINS + 1));
    const uint64_t *at_nm = at, *at_a = at + (BINS + 1), *at_b = at + 2 * (size_t)(BINS + 1),
                   *at_m = at + 3 * (size_t)(BINS + 1);
    uint64_t n_nm = at_nm[0], n_m = at_m[0];

    /* the FMR table */
    cal_row rows[MAX_ROWS];
    int nr = 0;
    for (int k = ROWS_PER_DECADE; k < 9 * ROWS_PER_DECADE && nr < MAX_ROWS; k++) {
        double target = pow(10.0, -(double)k / ROWS_PER_DECADE);
        if (target * (double)n_nm < MIN_EXPECTED) break;
        cal_row *r = &rows[nr++];
        int b = bin_for_rate(at_nm, target);
        r->target = target;
        r->threshold = edge_of(b);
        r->false_matches = at_nm[b];
        r->fmr = (double)at_nm[b] / (double)n_nm;
        bex_error_rate_upper_bound((size_t)at_nm[b], (size_t)n_nm, 0.95, &r->upper95, err, sizeof err);
        r->fnmr = n_m ? (double)(n_m - at_m[b]) / (double)n_m : NAN;
        int ba = bin_for_rate(at_a, target);
        r->heldout_threshold = edge_of(ba);
        r->heldout_false = at_b[ba];
        r->heldout_n = at_b[0];
        r->heldout_fmr = at_b[0] ? (double)at_b[ba] / (double)at_b[0] : NAN;
    }

    /* the 1:N check */
    static const int sizes[] = {100, 420, 1000, 2500};
    static const double fpirs[] = {0.003, 0.01};
    fpir_check fc[8];
    int nfc = 0;
    tops = malloc(sizeof *tops * (size_t)trials * (size_t)npeople);
    if (!tops) {
        fprintf(stderr, "bex: out of memory\n");
        goto done;
    }
    for (int si = 0; si < 4; si++) {
        int n = sizes[si];
        if (n >= npeople / 2) continue;
        int tr = n <= 1000 ? trials : (trials + 1) / 2;
        size_t nt = fpir_searches(im, nim, first, count, npeople, n, tr, seed + (unsigned long long)n, s.dim, tops);
        if (!nt) continue;
        qsort(tops, nt, sizeof *tops, cmp_double);
        for (int fi = 0; fi < 2; fi++) {
            fpir_check *c = &fc[nfc++];
            c->n = n;
            c->trials = tr;
            c->fpir = fpirs[fi];
            c->fmr_equiv = 1.0 - pow(1.0 - fpirs[fi], 1.0 / n);
            int b = bin_for_rate(at_nm, c->fmr_equiv);
            c->threshold = edge_of(b);
            size_t above = 0;
            for (size_t q = nt; q > 0 && tops[q - 1] >= c->threshold; q--) above++;
            c->searches = nt;
            c->false_positives = above;
            c->measured = (double)above / (double)nt;
            bex_error_rate_upper_bound(above, nt, 0.95, &c->upper95, err, sizeof err);
            double et = NAN;
            if (bex_threshold_for_fmr(tops, nt, fpirs[fi], &et, NULL, err, sizeof err) != BEX_OK) et = NAN;
            c->empirical_threshold = et;
        }
    }

    /* report */
    printf("{\"lfw\":");
    bex_json_str(stdout, lfw);
    printf(",\"protocol\":\"Calibration on LFW: every image of lfw-names.txt embedded (largest face); every pair of images of two people a "
           "non-mated comparison, of one person a mated one; scores binned at 1e-5. For each target FMR the "
           "threshold is the lowest bin edge with at most target x comparisons at or above it; upper95 is the "
           "one-sided 95%% Clopper-Pearson bound, which assumes independent comparisons (these share images, so "
           "it is optimistic). Held out: people split in two seeded halves (seed %llu), thresholds fitted on "
           "half A's non-mated comparisons, FMR measured on half B's. 1:N: galleries of N random people (one "
           "random image each), searched by one random image of every other person, per trial; FPIR measured at "
           "the threshold for FMR = 1-(1-FPIR)^(1/N).\",",
           seed);
    printf("\"align\":\"%s\",\"people_listed\":%d,\"people\":%d,\"images\":%d,\"images_with_face\":%d,\"nonmated_comparisons\":%llu,"
           "\"mated_comparisons\":%llu,\"heldout_nonmated\":[%llu,%llu],\"fmr\":[",
           eval_align_name(align), np, npeople, s.n, nim, (unsigned long long)n_nm, (unsigned long long)n_m,
           (unsigned long long)at_a[0], (unsigned long long)at_b[0]);
    for (int i = 0; i < nr; i++)
        printf("%s{\"target\":%.3g,\"threshold\":%.5f,\"false_matches\":%llu,\"fmr\":%.4g,\"upper95\":%.4g,"
               "\"fnmr\":%.5f,\"heldout_threshold\":%.5f,\"heldout_fmr\":%.4g}",
               i ? "," : "", rows[i].target, rows[i].threshold, (unsigned long long)rows[i].false_matches,
               rows[i].fmr, rows[i].upper95, rows[i].fnmr, rows[i].heldout_threshold, rows[i].heldout_fmr);
    printf("],\"fpir\":[");
    for (int i = 0; i < nfc; i++)
        printf("%s{\"n\":%d,\"trials\":%d,\"target\":%g,\"fmr_used\":%.4g,\"threshold\":%.5f,\"searches\":%zu,"
               "\"false_positives\":%zu,\"fpir\":%.5f,\"upper95\":%.5f,\"threshold_from_searches\":%.5f}",
               i ? "," : "", fc[i].n, fc[i].trials, fc[i].fpir, fc[i].fmr_equiv, fc[i].threshold, fc[i].searches,
               fc[i].false_positives, fc[i].measured, fc[i].upper95, fc[i].empirical_threshold);
    printf("]");

    snprintf(path, sizeof path, "%s/calibration_%s.csv", out, eval_align_name(align));
    char tmp[1300];
    FILE *f = eval_open_atomic(path, tmp, sizeof tmp);
    if (f) {
        fprintf(f, "target_fmr,threshold,false_matches,nonmated,fmr,fmr_upper95,fnmr,mated,heldout_threshold,"
                   "heldout_false_matches,heldout_nonmated,heldout_fmr\n");
        for (int i = 0; i < nr; i++)
            fprintf(f, "%.3g,%.5f,%llu,%llu,%.6g,%.6g,%.6f,%llu,%.5f,%llu,%llu,%.6g\n", rows[i].target,
                    rows[i].threshold, (unsigned long long)rows[i].false_matches, (unsigned long long)n_nm,
                    rows[i].fmr, rows[i].upper95, rows[i].fnmr, (unsigned long long)n_m, rows[i].heldout_threshold,
                    (unsigned long long)rows[i].heldout_false, (unsigned long long)rows[i].heldout_n,
                    rows[i].heldout_fmr);
        eval_close_atomic(f, tmp, path);
    }
    printf(",\"files\":\"%s\"", path);
    if (ctable) {
        char cmd[2048];
        snprintf(cmd, sizeof cmd, "bex eval calibrate --lfw LFW --align %s --seed %llu --trials %d --c-table %s",
                 eval_align_name(align), seed, trials, ctable);
        if (write_c_table(ctable, align, rows, nr, fc, nfc, n_nm, n_m, np, npeople, s.n, nim, seed, cmd) == 0)
            printf(",\"c_table\":\"%s\"", ctable);
    }
    if (cli_model()) { /* the model's own table, read whenever bex decides with it */
        const bex_model *m = cli_model();
        bex_calibration_row cr[MAX_ROWS];
        for (int i = 0; i < nr; i++)
            cr[i] = (bex_calibration_row){rows[i].target, (float)rows[i].threshold, rows[i].false_matches,
                                          rows[i].upper95, rows[i].fnmr, rows[i].heldout_fmr};
        char ev[512], e2[512];
        snprintf(ev, sizeof ev, "bex eval calibrate --model on LFW (%d people, %d images with a face), %llu non-mated "
                 "comparisons, seed %llu, bex %s", npeople, nim, (unsigned long long)n_nm, seed, BEX_VERSION);
        printf(",\"model\":");
        bex_json_str(stdout, m->identity);
        if (bex_calibration_save_model(m, cr, (size_t)nr, n_nm, ev, e2, sizeof e2) != BEX_OK) {
            printf("}\n");
            fprintf(stderr, "bex: %s\n", e2);
            goto done;
        }
        printf(",\"calibration\":");
        bex_json_str(stdout, m->calibration);
    }
    printf("}\n");
    rc = 0;
done:
    for (int i = 0; i < s.n; i++) free(s.imgs[i].tx);
    free(tops);
    free(im);
    free(first);
    free(count);
    free(hist);
    free(at);
    free(pp);
    free(s.imgs);
    return rc;
}
