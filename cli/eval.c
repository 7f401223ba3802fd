/*
 * eval.c - `bex eval verify`: the LFW View 2 verification protocol, measured the ISO/IEC
 * 19795-1 way (accuracy over 10 folds, TAR at fixed FAR, EER, DET curve, score histograms,
 * failures to extract reported apart).
 *
 *   bex eval verify --lfw DIR [--pairs FILE] [--out DIR] [--align A] [--per-fold N] [--threads T]
 *
 * DIR is an LFW tree (DIR/lfw-deepfunneled/<Name>/<Name>_NNNN.jpg and DIR/pairs.txt). Every
 * image the pairs name is embedded once (one engine per thread); a pair whose image yields
 * no face is a failure to extract: it counts as an error in accuracy, is listed in the
 * output, and is left out of the score distributions (which hold comparisons only).
 * --per-fold N keeps the first N mated and N non-mated pairs of each fold (a fixed subset).
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bex/eval.h"
#include "bex/face.h"
#include "bex/image.h"
#include "cli.h"

typedef struct eval_img {
    char path[1024];
    int found; /* 1 a face, 0 none, -1 unreadable */
    float t[BEX_TEMPLATE_DIM];
} eval_img;

typedef struct eval_set {
    eval_img *imgs;
    int n, cap;
} eval_set;

typedef struct eval_pair {
    int a, b, mated, fold;
} eval_pair;

static int image_index(eval_set *s, const char *root, const char *name, int num) {
    char path[1024];
    snprintf(path, sizeof path, "%s/lfw-deepfunneled/%s/%s_%04d.jpg", root, name, name, num);
    for (int i = s->n - 1; i >= 0 && i >= s->n - 4; i--) /* pairs repeat recent images */
        if (!strcmp(s->imgs[i].path, path)) return i;
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->imgs[i].path, path)) return i;
    if (s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 1024;
        eval_img *p = realloc(s->imgs, sizeof *p * (size_t)cap);
        if (!p) return -1;
        s->imgs = p;
        s->cap = cap;
    }
    memset(&s->imgs[s->n], 0, sizeof s->imgs[s->n]);
    snprintf(s->imgs[s->n].path, sizeof s->imgs[s->n].path, "%s", path);
    return s->n++;
}

/* Reads LFW's pairs.txt (View 2: "10 300", then per fold 300 mated "name i j" and 300
 * non-mated "name1 i name2 j" lines). Keeps per_fold of each kind per fold (0 = all). */
static eval_pair *read_pairs(const char *file, const char *root, eval_set *s, int per_fold,
                             int *n, int *folds) {
    FILE *f = fopen(file, "r");
    if (!f) {
        fprintf(stderr, "bex: cannot open %s: %s\n", file, strerror(errno));
        return NULL;
    }
    char line[512];
    int per = 0;
    if (!fgets(line, sizeof line, f) || sscanf(line, "%d %d", folds, &per) != 2 || *folds < 2 ||
        *folds > 100 || per < 1 || per > 100000) {
        fprintf(stderr, "bex: %s is not an LFW View 2 pairs file (its first line should be \"10 300\")\n", file);
        fclose(f);
        return NULL;
    }
    eval_pair *p = malloc(sizeof *p * (size_t)*folds * per * 2);
    *n = 0;
    int k = 0;
    while (p && fgets(line, sizeof line, f)) {
        char n1[256], n2[256];
        int i, j, fold = k / (2 * per), mated = (k % (2 * per)) < per, within = k % per;
        int keep = per_fold <= 0 || within < per_fold;
        eval_pair e = {0, 0, mated, fold};
        if (sscanf(line, "%255s %d %255s %d", n1, &i, n2, &j) == 4 && !mated) {
            if (keep) e.a = image_index(s, root, n1, i), e.b = image_index(s, root, n2, j);
        } else if (sscanf(line, "%255s %d %d", n1, &i, &j) == 3 && mated) {
            if (keep) e.a = image_index(s, root, n1, i), e.b = image_index(s, root, n1, j);
        } else {
            fprintf(stderr, "bex: %s: line %d is not a %s pair\n", file, k + 2, mated ? "mated" : "non-mated");
            free(p);
            fclose(f);
            return NULL;
        }
        k++;
        if (e.a < 0 || e.b < 0) { free(p); p = NULL; break; }
        if (keep) p[(*n)++] = e;
    }
    fclose(f);
    if (!p) fprintf(stderr, "bex: out of memory reading %s\n", file);
    else if (k != *folds * per * 2) {
        fprintf(stderr, "bex: %s has %d pairs, its header promises %d\n", file, k, *folds * per * 2);
        free(p);
        return NULL;
    }
    return p;
}

/* ------------------------------------------------------------------ embedding */

typedef struct embed_job {
    eval_set *s;
    const char *models;
    bex_align align;
    int next, done, failed_open;
    pthread_mutex_t lock;
    double t0;
} embed_job;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *embed_worker(void *arg) {
    embed_job *j = arg;
    bex_engine *e;
    char err[512];
    bex_engine_options o;
    bex_engine_options_default(&o);
    o.align = j->align;
    if (bex_engine_open(j->models, &o, &e, err, sizeof err) != BEX_OK) {
        pthread_mutex_lock(&j->lock);
        if (!j->failed_open++) fprintf(stderr, "bex: cannot load the face models: %s\n", err);
        pthread_mutex_unlock(&j->lock);
        return NULL;
    }
    int tty = isatty(2);
    for (;;) {
        pthread_mutex_lock(&j->lock);
        int i = j->next++;
        pthread_mutex_unlock(&j->lock);
        if (i >= j->s->n) break;
        eval_img *im = &j->s->imgs[i];
        bex_image img;
        bex_face f[8];
        int n = 0;
        if (bex_image_load(im->path, NULL, &img, err, sizeof err) != BEX_OK) {
            fprintf(stderr, "bex: %s\n", err);
            im->found = -1;
        } else {
            if (bex_embed(e, &img, f, 8, &n, err, sizeof err) == BEX_OK && n > 0) {
                memcpy(im->t, f[0].template_, sizeof im->t); /* the largest face */
                im->found = 1;
            }
            bex_image_free(&img);
        }
        pthread_mutex_lock(&j->lock);
        int done = ++j->done;
        if (tty && (done % 50 == 0 || done == j->s->n)) {
            double el = now_s() - j->t0, rate = done / (el > 0 ? el : 1);
            fprintf(stderr, "\rembedding: %d / %d images, %.1f images/s, %.0f s left   ", done, j->s->n,
                    rate, (j->s->n - done) / rate);
            if (done == j->s->n) fputc('\n', stderr);
        }
        pthread_mutex_unlock(&j->lock);
    }
    bex_engine_close(e);
    return NULL;
}

static int embed_all(eval_set *s, const char *models, bex_align align, int threads) {
    embed_job j = {.s = s, .models = models, .align = align, .t0 = now_s()};
    pthread_mutex_init(&j.lock, NULL);
    if (threads < 1) threads = 1;
    if (threads > 16) threads = 16;
    pthread_t th[16];
    for (int i = 0; i < threads; i++) pthread_create(&th[i], NULL, embed_worker, &j);
    for (int i = 0; i < threads; i++) pthread_join(th[i], NULL);
    pthread_mutex_destroy(&j.lock);
    return j.failed_open ? -1 : 0;
}

/* ------------------------------------------------------------------ bex eval verify */

static int write_scores_csv(const char *path, const eval_set *s, const eval_pair *p, int n,
                            const double *score) {
    char tmp[1300];
    int k = snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = (k > 0 && (size_t)k < sizeof tmp) ? fopen(tmp, "w") : NULL;
    if (!f) {
        fprintf(stderr, "bex: cannot write %s: %s\n", tmp, strerror(errno));
        return -1;
    }
    fprintf(f, "fold,mated,image_a,image_b,score\n");
    for (int i = 0; i < n; i++) {
        const char *a = strrchr(s->imgs[p[i].a].path, '/'), *b = strrchr(s->imgs[p[i].b].path, '/');
        fprintf(f, "%d,%d,%s,%s,", p[i].fold, p[i].mated, a ? a + 1 : s->imgs[p[i].a].path,
                b ? b + 1 : s->imgs[p[i].b].path);
        if (isnan(score[i])) fprintf(f, "no_face\n");
        else fprintf(f, "%.9g\n", score[i]);
    }
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
        fprintf(stderr, "bex: cannot write %s: %s\n", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int cmd_eval_verify(const char *models, int argc, char **argv) {
    const char *lfw = NULL, *pairs_file = NULL, *out = "eval-out";
    bex_align align = BEX_ALIGN_DEFAULT;
    int per_fold = 0, threads = 2;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--lfw") && i + 1 < argc) lfw = argv[++i];
        else if (!strcmp(argv[i], "--pairs") && i + 1 < argc) pairs_file = argv[++i];
        else if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(argv[i], "--per-fold") && i + 1 < argc) per_fold = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--align") && i + 1 < argc) {
            if (!cli_parse_align(argv[++i], &align)) return 2;
        } else
            return cli_usage_error("eval verify takes --lfw DIR [--pairs FILE] [--out DIR] [--align A] [--per-fold N] [--threads T]");
    }
    if (!lfw) return cli_usage_error("eval verify needs --lfw DIR, an LFW tree with lfw-deepfunneled/ and pairs.txt");
    char pf[1024], dir[1024], err[512];
    if (!pairs_file) {
        snprintf(pf, sizeof pf, "%s/pairs.txt", lfw);
        pairs_file = pf;
    }
    eval_set s = {0};
    int np = 0, folds = 0;
    eval_pair *p = read_pairs(pairs_file, lfw, &s, per_fold, &np, &folds);
    if (!p) { free(s.imgs); return 2; }
    if (mkdir(out, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "bex: cannot create the output folder %s: %s\n", out, strerror(errno));
        free(p);
        free(s.imgs);
        return 2;
    }
    cli_find_models(models, dir, sizeof dir);
    if (embed_all(&s, dir, align, threads) != 0) { free(p); free(s.imgs); return 2; }

    int no_face = 0, unreadable = 0;
    for (int i = 0; i < s.n; i++) {
        no_face += s.imgs[i].found == 0;
        unreadable += s.imgs[i].found < 0;
    }
    double *score = malloc(sizeof *score * (size_t)np), *mated = malloc(sizeof *mated * (size_t)np),
           *nonmated = malloc(sizeof *nonmated * (size_t)np);
    int *is_mated = malloc(sizeof *is_mated * (size_t)np), *fold = malloc(sizeof *fold * (size_t)np);
    size_t nm = 0, nn = 0;
    int rc = 2;
    if (!score || !mated || !nonmated || !is_mated || !fold) {
        fprintf(stderr, "bex: out of memory\n");
        goto done;
    }
    for (int i = 0; i < np; i++) {
        const eval_img *a = &s.imgs[p[i].a], *b = &s.imgs[p[i].b];
        score[i] = (a->found == 1 && b->found == 1) ? bex_template_similarity(a->t, b->t) : NAN;
        is_mated[i] = p[i].mated;
        fold[i] = p[i].fold;
        if (!isnan(score[i])) {
            if (p[i].mated) mated[nm++] = score[i];
            else nonmated[nn++] = score[i];
        }
    }
    bex_kfold_result kf;
    if (bex_kfold_accuracy(score, is_mated, fold, (size_t)np, folds, &kf, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "bex: %s\n", err);
        goto done;
    }
    double eer = NAN, eer_t = NAN;
    if (nm && nn && bex_eer(mated, nm, nonmated, nn, &eer, &eer_t, err, sizeof err) != BEX_OK)
        fprintf(stderr, "bex: EER: %s\n", err);

    /* the report: one JSON object */
    printf("{\"protocol\":\"LFW View 2 verification (");
    cli_json_str(stdout, pairs_file);
    printf("): %d folds, %s; accuracy per fold at the threshold that maximises accuracy on the other "
           "folds; TAR at FAR and EER from all pair scores; a pair with an image where no face was found "
           "is a failure to extract: an error in accuracy, left out of the score distributions\",",
           folds, per_fold ? "a fixed subset: the first N mated and N non-mated pairs of each fold" : "all pairs");
    printf("\"align\":\"%s\",\"images\":%d,\"images_no_face\":%d,\"images_unreadable\":%d,", align == BEX_ALIGN_FACEAPI ? "faceapi" : "similarity",
           s.n, no_face, unreadable);
    printf("\"pairs\":%d,\"pairs_failed\":%zu,\"mated_scores\":%zu,\"nonmated_scores\":%zu,", np, kf.failures_total, nm, nn);
    printf("\"accuracy_mean\":%.5f,\"accuracy_sd\":%.5f,\"fold_accuracy\":[", kf.mean, kf.sd);
    for (int f = 0; f < folds; f++) printf("%s%.4f", f ? "," : "", kf.accuracy[f]);
    printf("],\"fold_threshold\":[");
    for (int f = 0; f < folds; f++) printf("%s%.4f", f ? "," : "", kf.threshold[f]);
    printf("],\"eer\":%.5f,\"eer_threshold\":%.5f", eer, eer_t);
    static const double fars[2] = {1e-2, 1e-3};
    for (int k = 0; k < 2; k++) {
        double tar, thr;
        if (nm && nn && bex_tar_at_far(mated, nm, nonmated, nn, fars[k], &tar, &thr, err, sizeof err) == BEX_OK)
            printf(",\"tar_at_far_%g\":{\"tar\":%.5f,\"threshold\":%.5f}", fars[k], tar, thr);
        else
            printf(",\"tar_at_far_%g\":{\"error\":\"not measurable from %zu non-mated scores\"}", fars[k], nn);
    }

    /* files */
    char path[1200];
    size_t ndet = 0;
    bex_det_point *det = NULL;
    if (nm && nn && bex_det_curve(mated, nm, nonmated, nn, NULL, 0, &ndet, err, sizeof err) == BEX_OK &&
        (det = malloc(sizeof *det * (ndet ? ndet : 1))) &&
        bex_det_curve(mated, nm, nonmated, nn, det, ndet, &ndet, err, sizeof err) == BEX_OK) {
        bex_det_series ser = {align == BEX_ALIGN_FACEAPI ? "bex (faceapi alignment)" : "bex (similarity alignment)", det, ndet};
        double marks[2] = {1e-3, 1e-2};
        bex_det_plot dp = {.title = "LFW View 2 verification: DET", .marks = marks, .n_marks = 2};
        snprintf(path, sizeof path, "%s/verify_det.svg", out);
        if (bex_det_svg_write(path, &dp, &ser, 1, err, sizeof err) != BEX_OK) fprintf(stderr, "bex: %s\n", err);
        snprintf(path, sizeof path, "%s/verify_det.csv", out);
        if (bex_det_csv_write(path, BEX_RATES_VERIFICATION, det, ndet, err, sizeof err) != BEX_OK) fprintf(stderr, "bex: %s\n", err);
        bex_hist_plot hp = {.title = "LFW View 2: mated and non-mated scores", .show_threshold = 1,
                            .threshold = bex_verify_threshold(align)};
        snprintf(path, sizeof path, "%s/verify_hist.svg", out);
        if (bex_hist_svg_write(path, &hp, mated, nm, nonmated, nn, err, sizeof err) != BEX_OK) fprintf(stderr, "bex: %s\n", err);
        double thr[3] = {bex_verify_threshold(align), eer_t, 0};
        size_t nthr = 2;
        double t3;
        if (bex_threshold_for_fmr(nonmated, nn, 1e-3, &t3, NULL, err, sizeof err) == BEX_OK) thr[nthr++] = t3;
        snprintf(path, sizeof path, "%s/verify_thresholds.csv", out);
        if (bex_threshold_csv_write(path, mated, nm, nonmated, nn, thr, nthr, err, sizeof err) != BEX_OK) fprintf(stderr, "bex: %s\n", err);
    }
    free(det);
    snprintf(path, sizeof path, "%s/verify_scores.csv", out);
    write_scores_csv(path, &s, p, np, score);
    printf(",\"files\":\"%s/verify_{det.svg,hist.svg,det.csv,thresholds.csv,scores.csv}\"}\n", out);
    rc = 0;
done:
    free(score);
    free(mated);
    free(nonmated);
    free(is_mated);
    free(fold);
    free(p);
    free(s.imgs);
    return rc;
}

/* ------------------------------------------------------------------ bex eval identify */

typedef struct person {
    char name[128];
    int first, count; /* images first .. first + count - 1 in the set */
    int role;         /* 0 distractor (one image, enrolled), 1 enrolled with probes, 2 held out */
} person;

/* A small deterministic generator (xorshift64*), so that a protocol's random draws repeat. */
static unsigned long long rng_next(unsigned long long *s) {
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

typedef struct ident_stats {
    double fnir_003, fnir_01, thr_003, thr_01, rank1;
    size_t mated, nonmated;
    int ok;
} ident_stats;

/* Searches every probe against the gallery entries whose person is in `in_gallery` (a person's
 * score is the best over their enrolled templates), and measures FNIR at FPIR 0.003 and 0.01
 * (thresholds from these non-mated probes) and the rank-1 hit rate. */
static ident_stats search_and_measure(const eval_set *s, const person *pp, int np, const int *enrolled,
                                      const int *probe_img, const int *probe_person, int nprobe,
                                      const unsigned char *in_gallery, float *pscore,
                                      bex_probe_result **keep, size_t *n_keep) {
    ident_stats st = {0};
    bex_probe_result *pr = malloc(sizeof *pr * (size_t)nprobe);
    if (!pr) return st;
    size_t k = 0;
    for (int q = 0; q < nprobe; q++) {
        const eval_img *im = &s->imgs[probe_img[q]];
        int mate = probe_person[q];
        int mated = pp[mate].role == 1 && in_gallery[mate];
        if (pp[mate].role == 1 && !in_gallery[mate]) continue; /* not in this trial at all */
        /* best score per gallery person */
        double top = -INFINITY, mate_score = -INFINITY;
        for (int g = 0; g < np; g++) {
            if (!in_gallery[g]) continue;
            float best = -2;
            for (int e = 0; e < pp[g].count; e++) {
                int ii = pp[g].first + e;
                if (!enrolled[ii] || s->imgs[ii].found != 1) continue;
                float v = bex_template_similarity(im->t, s->imgs[ii].t);
                if (v > best) best = v;
            }
            pscore[g] = best;
            if (best > top) top = best;
            if (g == mate) mate_score = best;
        }
        bex_probe_result r = {mated, 0, 0, top};
        if (im->found != 1) r.top_score = -INFINITY; /* no template: no candidate */
        if (mated && im->found == 1 && mate_score > -2) {
            int rank = 1;
            for (int g = 0; g < np; g++)
                if (in_gallery[g] && g != mate && pscore[g] > mate_score) rank++;
            r.mate_rank = rank;
            r.mate_score = mate_score;
        }
        pr[k++] = r;
        if (mated) st.mated++;
        else st.nonmated++;
    }
    char err[256];
    double a1, a2;
    if (bex_threshold_for_fpir(pr, k, 0.003, &st.thr_003, &a1, err, sizeof err) == BEX_OK &&
        bex_threshold_for_fpir(pr, k, 0.01, &st.thr_01, &a2, err, sizeof err) == BEX_OK &&
        bex_fnir(pr, k, 1, st.thr_003, &st.fnir_003, err, sizeof err) == BEX_OK &&
        bex_fnir(pr, k, 1, st.thr_01, &st.fnir_01, err, sizeof err) == BEX_OK &&
        bex_hit_rate(pr, k, 1, &st.rank1, err, sizeof err) == BEX_OK)
        st.ok = 1;
    else
        fprintf(stderr, "bex: identification metrics: %s\n", err);
    if (keep) {
        *keep = pr;
        *n_keep = k;
    } else
        free(pr);
    return st;
}

/* The full-gallery search's DET curve (FNIR at rank 1 against FPIR), its CSV, and the score
 * histogram of mated probes' mate scores against non-mated probes' top scores. */
static void write_ident_files(const char *out, int multi, const bex_probe_result *pr, size_t n, double thr) {
    char path[1200], err[512];
    const char *tag = multi ? "several" : "one";
    size_t nd = 0;
    bex_det_point *det = NULL;
    if (bex_ident_det_curve(pr, n, 1, NULL, 0, &nd, err, sizeof err) == BEX_OK && (det = malloc(sizeof *det * (nd ? nd : 1))) &&
        bex_ident_det_curve(pr, n, 1, det, nd, &nd, err, sizeof err) == BEX_OK) {
        bex_det_series ser = {multi ? "bex, up to 3 images a person" : "bex, one image a person", det, nd};
        double marks[2] = {0.003, 0.01};
        bex_det_plot dp = {.title = "LFW open-set identification, full gallery: DET (rank 1)",
                           .kind = BEX_RATES_IDENTIFICATION, .x_min = 1e-4, .x_max = 1, .marks = marks, .n_marks = 2};
        snprintf(path, sizeof path, "%s/identify_%s_det.svg", out, tag);
        if (bex_det_svg_write(path, &dp, &ser, 1, err, sizeof err) != BEX_OK) fprintf(stderr, "bex: %s\n", err);
        snprintf(path, sizeof path, "%s/identify_%s_det.csv", out, tag);
        if (bex_det_csv_write(path, BEX_RATES_IDENTIFICATION, det, nd, err, sizeof err) != BEX_OK) fprintf(stderr, "bex: %s\n", err);
    } else
        fprintf(stderr, "bex: identification DET: %s\n", err);
    free(det);
    double *m = malloc(sizeof *m * (n ? n : 1)), *nm = malloc(sizeof *nm * (n ? n : 1));
    size_t a = 0, b = 0;
    for (size_t i = 0; m && nm && i < n; i++) {
        if (pr[i].mated && pr[i].mate_rank > 0) m[a++] = pr[i].mate_score;
        else if (!pr[i].mated && isfinite(pr[i].top_score)) nm[b++] = pr[i].top_score;
    }
    if (a && b) {
        bex_hist_plot hp = {.title = "LFW identification: mate scores vs non-mated top scores",
                            .show_threshold = 1, .threshold = thr};
        snprintf(path, sizeof path, "%s/identify_%s_hist.svg", out, tag);
        if (bex_hist_svg_write(path, &hp, m, a, nm, b, err, sizeof err) != BEX_OK) fprintf(stderr, "bex: %s\n", err);
    }
    free(m);
    free(nm);
}

static int cmd_eval_identify(const char *models, int argc, char **argv) {
    const char *lfw = NULL, *out = "eval-out";
    bex_align align = BEX_ALIGN_DEFAULT;
    int threads = 2, trials = 50, max_enrol = 3;
    unsigned long long seed = 20261126;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--lfw") && i + 1 < argc) lfw = argv[++i];
        else if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(argv[i], "--trials") && i + 1 < argc) trials = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--align") && i + 1 < argc) {
            if (!cli_parse_align(argv[++i], &align)) return 2;
        } else
            return cli_usage_error("eval identify takes --lfw DIR [--out DIR] [--trials N] [--seed S] [--align A] [--threads T]");
    }
    if (!lfw) return cli_usage_error("eval identify needs --lfw DIR, an LFW tree with lfw-deepfunneled/ and lfw-names.txt");
    if (trials < 1) trials = 1;
    if (!seed) seed = 1;
    char names[1024], dir[1024];
    snprintf(names, sizeof names, "%s/lfw-names.txt", lfw);
    FILE *f = fopen(names, "r");
    if (!f) {
        fprintf(stderr, "bex: cannot open %s: %s\n", names, strerror(errno));
        return 2;
    }
    person *pp = NULL;
    int np = 0, cap = 0;
    eval_set s = {0};
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char nm[128];
        int cnt;
        if (sscanf(line, "%127s %d", nm, &cnt) != 2 || cnt < 1 || cnt > 10000) continue;
        if (np == cap) {
            cap = cap ? cap * 2 : 1024;
            person *q = realloc(pp, sizeof *q * (size_t)cap);
            if (!q) { fclose(f); free(pp); free(s.imgs); fprintf(stderr, "bex: out of memory\n"); return 2; }
            pp = q;
        }
        person *P = &pp[np++];
        snprintf(P->name, sizeof P->name, "%s", nm);
        P->first = s.n;
        P->count = cnt;
        for (int i = 1; i <= cnt; i++) image_index(&s, lfw, nm, i);
    }
    fclose(f);
    if (np < 10) {
        fprintf(stderr, "bex: %s lists %d people; is it LFW's lfw-names.txt?\n", names, np);
        free(pp);
        free(s.imgs);
        return 2;
    }
    if (mkdir(out, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "bex: cannot create the output folder %s: %s\n", out, strerror(errno));
        free(pp);
        free(s.imgs);
        return 2;
    }
    /* roles: single-image people are distractors; of those with two or more, a seeded
     * random half is enrolled (their other images are mated probes), the other half is held
     * out (all their images are non-mated probes) */
    unsigned long long rs = seed;
    for (int i = 0; i < np; i++) pp[i].role = pp[i].count == 1 ? 0 : ((rng_next(&rs) >> 11) & 1) ? 1 : 2;
    cli_find_models(models, dir, sizeof dir);
    if (embed_all(&s, dir, align, threads) != 0) { free(pp); free(s.imgs); return 2; }

    int *enrolled = calloc((size_t)s.n, sizeof(int)), *probe_img = malloc(sizeof(int) * (size_t)s.n),
        *probe_person = malloc(sizeof(int) * (size_t)s.n);
    unsigned char *in_gallery = malloc((size_t)np);
    float *pscore = malloc(sizeof(float) * (size_t)np);
    if (!enrolled || !probe_img || !probe_person || !in_gallery || !pscore) {
        fprintf(stderr, "bex: out of memory\n");
        return 2;
    }
    int no_face = 0;
    for (int i = 0; i < s.n; i++) no_face += s.imgs[i].found != 1;
    printf("{\"protocol\":\"LFW open-set identification (%s): people with one image are enrolled as "
           "distractors; of the people with two or more, a random half (seed %llu) is enrolled with its "
           "first image (or its first min(K, count-1) images with several per person, K = %d), its other "
           "images are mated probes; the other half is held out and all its images are non-mated probes. "
           "A person's score is their best enrolled template's. Thresholds for FPIR 0.003 and 0.01 come "
           "from the non-mated probes' top scores of the same searches; FNIR at rank 1. N = 420: %d trials, "
           "each a random 420 of the enrolled people (distractors included), pooled by mean. An image with "
           "no face gives no template: as a probe it returns no candidate, enrolled it is skipped.\",",
           lfw, seed, max_enrol, trials);
    printf("\"align\":\"%s\",\"images\":%d,\"images_no_face\":%d,\"results\":[",
           align == BEX_ALIGN_FACEAPI ? "faceapi" : "similarity", s.n, no_face);
    for (int multi = 0; multi < 2; multi++) {
        int nprobe = 0, ngal = 0;
        memset(enrolled, 0, sizeof(int) * (size_t)s.n);
        for (int i = 0; i < np; i++) {
            const person *P = &pp[i];
            int ne = P->role == 0 ? 1 : P->role == 1 ? (multi ? (P->count - 1 < max_enrol ? P->count - 1 : max_enrol) : 1) : 0;
            for (int e = 0; e < P->count; e++) {
                if (e < ne) enrolled[P->first + e] = 1;
                else { probe_img[nprobe] = P->first + e; probe_person[nprobe++] = i; }
            }
            if (P->role != 2) ngal++;
        }
        for (int i = 0; i < np; i++) in_gallery[i] = pp[i].role != 2;
        bex_probe_result *pr = NULL;
        size_t npr = 0;
        ident_stats full = search_and_measure(&s, pp, np, enrolled, probe_img, probe_person, nprobe, in_gallery,
                                              pscore, &pr, &npr);
        if (pr) write_ident_files(out, multi, pr, npr, full.thr_003);
        free(pr);
        /* flights: 420 people drawn from the enrolled ones, many times */
        double f3 = 0, f1 = 0, r1 = 0;
        int ok = 0;
        int *gal = malloc(sizeof(int) * (size_t)np);
        int ng = 0;
        for (int i = 0; i < np; i++) if (pp[i].role != 2) gal[ng++] = i;
        unsigned long long ts = seed ^ 0x9e3779b97f4a7c15ULL;
        for (int t = 0; t < trials && gal; t++) {
            memset(in_gallery, 0, (size_t)np);
            for (int k = 0; k < 420 && k < ng; k++) { /* partial Fisher-Yates */
                int j = k + (int)(rng_next(&ts) % (unsigned long long)(ng - k));
                int tmp = gal[k]; gal[k] = gal[j]; gal[j] = tmp;
                in_gallery[gal[k]] = 1;
            }
            ident_stats st = search_and_measure(&s, pp, np, enrolled, probe_img, probe_person, nprobe, in_gallery,
                                                pscore, NULL, NULL);
            if (st.ok) { f3 += st.fnir_003; f1 += st.fnir_01; r1 += st.rank1; ok++; }
        }
        free(gal);
        printf("%s{\"enrolment\":\"%s\",\"gallery_people\":%d,\"full\":{\"mated_probes\":%zu,\"nonmated_probes\":%zu,"
               "\"fnir_at_fpir_0.003\":%.5f,\"threshold_0.003\":%.5f,\"fnir_at_fpir_0.01\":%.5f,\"threshold_0.01\":%.5f,"
               "\"rank1\":%.5f},\"n420\":{\"trials\":%d,\"fnir_at_fpir_0.003\":%.5f,\"fnir_at_fpir_0.01\":%.5f,\"rank1\":%.5f}}",
               multi ? "," : "", multi ? "several (up to 3) images per person" : "one image per person", ngal,
               full.mated, full.nonmated, full.fnir_003, full.thr_003, full.fnir_01, full.thr_01, full.rank1, ok,
               ok ? f3 / ok : NAN, ok ? f1 / ok : NAN, ok ? r1 / ok : NAN);
        fflush(stdout);
    }
    printf("],\"files\":\"%s/identify_{one,several}_{det.svg,det.csv,hist.svg}\"}\n", out);
    free(enrolled);
    free(probe_img);
    free(probe_person);
    free(in_gallery);
    free(pscore);
    free(pp);
    free(s.imgs);
    return 0;
}

int cmd_eval(const char *models, int argc, char **argv) {
    if (argc >= 1 && !strcmp(argv[0], "verify")) return cmd_eval_verify(models, argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "identify")) return cmd_eval_identify(models, argc - 1, argv + 1);
    return cli_usage_error("eval takes a protocol: bex eval verify|identify --lfw DIR ...");
}
