/*
 * eval.c - `bex eval verify` and `bex eval identify`: LFW's verification and open-set
 * identification protocols, measured the ISO/IEC 19795-1 way (accuracy over 10 folds, TAR at
 * fixed FAR, EER, FPIR/FNIR, DET curves, score histograms, failures to extract reported apart).
 * `bex eval calibrate` is in calibrate.c; the image set, embedding and cache in eval_data.c.
 *
 *   bex eval verify --lfw DIR [--pairs FILE] [--out DIR] [--align A] [--per-fold N] [--threads T]
 *                   [--cache FILE]
 *
 * DIR is an LFW tree (DIR/lfw-deepfunneled/<Name>/<Name>_NNNN.jpg and DIR/pairs.txt). Every
 * image the pairs name is embedded once (one engine per thread); a pair whose image yields
 * no face is a failure to extract: it counts as an error in accuracy, is listed in the
 * output, and is left out of the score distributions (which hold comparisons only).
 * --per-fold N keeps the first N mated and N non-mated pairs of each fold (a fixed subset).
 * --model FILE (verify and identify) measures a described model (docs/models.md): its
 * templates, of its own length, and its own calibrated thresholds where bex's shipped ones
 * would be used (reported as null when the model has no calibration yet).
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

#include "bex/calibration.h"
#include "bex/eval.h"
#include "bex/face.h"
#include "bex/image.h"
#include "bex/index.h"
#include "cli.h"
#include "eval.h"

/* ------------------------------------------------------------------ bex eval verify */

static void json_num(const char *key, double v, const char *after);

/* "embedding":{..}: what this run computed (cached images not counted) and its cost. */
static void print_embedding(const eval_set *s) {
    const bex_engine_stats *t = &s->stats;
    printf("\"embedding\":{\"images\":%d,\"wall_s\":%.1f,\"detector_passes\":%lu,\"templates\":%lu,"
           "\"wide_pad_found\":%lu,\"light_retries\":%lu,\"light_found\":%lu,", s->embedded, s->embed_wall_s, t->images,
           t->templates, t->wide_pad_found, t->light_retries, t->light_found);
    json_num("ms_per_image", s->embedded ? (t->detect_ms + t->landmarks_ms + t->align_ms + t->descriptor_ms) / s->embedded : NAN, ",");
    json_num("detect_ms_per_image", s->embedded ? t->detect_ms / s->embedded : NAN, ",");
    json_num("descriptor_ms_per_template", t->templates ? t->descriptor_ms / t->templates : NAN, "");
    const bex_engine_stats *f = &s->stats_flip;
    if (f->templates) { /* align + two descriptor runs, against align + one */
        printf(",");
        json_num("flip_template_ms", (f->align_ms + f->descriptor_ms) / f->templates, ",");
        json_num("plain_template_ms", t->templates ? (t->align_ms + t->descriptor_ms) / t->templates : NAN, "");
    }
    printf("}");
}

/* With --flip: the same report's headline figures from the templates without flip. */
static void without_flip(eval_set *s, const eval_pair *p, int np, const int *is_mated, const int *fold, int folds) {
    double *sc = malloc(sizeof *sc * (size_t)(np ? np : 1)), *m = malloc(sizeof *m * (size_t)(np ? np : 1)),
           *nm = malloc(sizeof *nm * (size_t)(np ? np : 1));
    char err[256];
    bex_kfold_result kf;
    size_t a = 0, b = 0;
    if (sc && m && nm) {
        eval_swap_flip(s);
        for (int i = 0; i < np; i++) {
            const eval_img *x = &s->imgs[p[i].a], *y = &s->imgs[p[i].b];
            sc[i] = (x->found == 1 && y->found == 1) ? bex_template_similarity(x->t, y->t) : NAN;
            if (!isnan(sc[i])) {
                if (p[i].mated) m[a++] = sc[i];
                else nm[b++] = sc[i];
            }
        }
        eval_swap_flip(s);
        double eer = NAN, eer_t, tar = NAN, thr;
        if (bex_kfold_accuracy(sc, is_mated, fold, (size_t)np, folds, &kf, err, sizeof err) == BEX_OK) {
            if (a && b) bex_eer(m, a, nm, b, &eer, &eer_t, err, sizeof err);
            if (a && b && bex_tar_at_far(m, a, nm, b, 1e-3, &tar, &thr, err, sizeof err) != BEX_OK) tar = NAN;
            printf(",\"without_flip\":{");
            json_num("accuracy_mean", kf.mean, ",");
            json_num("accuracy_sd", kf.sd, ",");
            json_num("eer", eer, ",");
            json_num("tar_at_far_0.001", tar, "}");
        }
    }
    free(sc);
    free(m);
    free(nm);
}

/* The 10-fold accuracy had the lighting retry been off, and had both it and the wider padding
 * been off: the images they rescued count as failures (both run only when the image gave no
 * face, so nothing else changes). */
static void without_light_retry(const eval_set *s, const eval_pair *p, int np, const double *score,
                                const int *is_mated, const int *fold, int folds) {
    double *sc = malloc(sizeof *sc * (size_t)(np ? np : 1));
    char err[256];
    bex_kfold_result kf;
    if (!sc) return;
    for (int both = 0; both < 2; both++) {
        int pairs = 0;
        for (int i = 0; i < np; i++) {
            const eval_img *a = &s->imgs[p[i].a], *b = &s->imgs[p[i].b];
            int lost = a->lit || b->lit || (both && (a->wide || b->wide));
            sc[i] = lost ? NAN : score[i];
            pairs += lost;
        }
        if (bex_kfold_accuracy(sc, is_mated, fold, (size_t)np, folds, &kf, err, sizeof err) == BEX_OK) {
            printf(",\"%s\":{\"pairs_rescued\":%d,\"pairs_failed\":%zu,", both ? "without_either" : "without_light_retry",
                   pairs, kf.failures_total);
            json_num("accuracy_mean", kf.mean, ",");
            json_num("accuracy_sd", kf.sd, "}");
        }
    }
    free(sc);
}

static int write_scores_csv(const char *path, const eval_set *s, const eval_pair *p, int n,
                            const double *score) {
    char tmp[1300];
    FILE *f = eval_open_atomic(path, tmp, sizeof tmp);
    if (!f) return -1;
    fprintf(f, "fold,mated,image_a,image_b,score\n");
    for (int i = 0; i < n; i++) {
        const char *a = strrchr(s->imgs[p[i].a].path, '/'), *b = strrchr(s->imgs[p[i].b].path, '/');
        fprintf(f, "%d,%d,%s,%s,", p[i].fold, p[i].mated, a ? a + 1 : s->imgs[p[i].a].path,
                b ? b + 1 : s->imgs[p[i].b].path);
        if (isnan(score[i])) fprintf(f, "no_face\n");
        else fprintf(f, "%.9g\n", score[i]);
    }
    return eval_close_atomic(f, tmp, path);
}

/* The capture policy's verdict on an embedded image, as bex_capture would give it. */
static int policy_outcome(const eval_img *im, const bex_capture_policy *pol) {
    if (im->found != 1) return BEX_ERR_NO_FACE;
    if (im->n_faces > 1 && im->second_ratio >= pol->max_other_face) return BEX_ERR_SEVERAL_FACES;
    if (im->q.eye_distance_px < pol->min_eye_distance_px) return BEX_ERR_FACE_TOO_SMALL;
    if (im->q.score < pol->min_quality) return BEX_ERR_LOW_QUALITY;
    return BEX_OK;
}

typedef struct band_acc {
    int mated, nonmated, correct, fnm, fm;
} band_acc;

static void band_add(band_acc *b, int mated, double score, double fold_thr, double op_thr) {
    if (mated) b->mated++; else b->nonmated++;
    if (isnan(score)) { b->fnm += mated; return; } /* failure to extract: an error */
    b->correct += mated ? score >= fold_thr : score < fold_thr;
    if (mated && score < op_thr) b->fnm++;
    if (!mated && score >= op_thr) b->fm++;
}

/* "key":v then `after`; null for NaN or infinity (JSON has neither). */
static void json_num(const char *key, double v, const char *after) {
    if (isfinite(v)) printf("\"%s\":%.5f%s", key, v, after);
    else printf("\"%s\":null%s", key, after);
}

/* A rate as JSON: null when there is nothing to divide (JSON has no NaN). */
static void json_rate(const char *key, double num, double den) {
    if (den > 0) printf("\"%s\":%.4f", key, num / den);
    else printf("\"%s\":null", key);
}

static void band_print(const char *label, const band_acc *b) {
    int n = b->mated + b->nonmated;
    printf("{\"band\":\"%s\",\"pairs\":%d,\"mated\":%d,\"nonmated\":%d,", label, n, b->mated, b->nonmated);
    json_rate("accuracy", b->correct, n);
    printf(",");
    json_rate("fnmr_at_op", b->fnm, b->mated);
    printf(",\"false_matches_at_op\":%d}", b->fm);
}

/* Accuracy by capture quality (ISO/IEC 29794-1's question: does low quality predict errors?):
 * pairs banded by the lower of their two images' quality scores, each pair judged by its
 * fold's threshold (as the 10-fold accuracy) and by the calibrated threshold for FMR 0.001;
 * accuracy of the pairs touching an image with each quality problem, and by the pair's larger
 * |yaw|, |pitch| and |roll| (where the pose limits come from); the error-versus-reject
 * curve (FNMR at FMR 0.001 after discarding the lowest-quality pairs); and what the default
 * capture policy would refuse. */
static void quality_report(const eval_set *s, const eval_pair *p, int np, const double *score,
                           const bex_kfold_result *kf, bex_align align) {
    bex_operating_point op;
    char err[256];
    if (bex_operating_point_verify_model(cli_model(), align, BEX_DEFAULT_FMR, &op, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "bex: %s\n", err);
        return;
    }
    static const double edges[] = {0, 20, 40, 60, 80, 101};
    band_acc bands[5] = {{0}}, prob[BEX_QUALITY_PROBLEM_COUNT] = {{0}}, clean = {0}, pass = {0};
    double *pq = malloc(sizeof *pq * (size_t)np);
    int *order = malloc(sizeof *order * (size_t)np);
    if (!pq || !order) { free(pq); free(order); return; }
    for (int i = 0; i < np; i++) {
        const eval_img *a = &s->imgs[p[i].a], *b = &s->imgs[p[i].b];
        double qa = a->found == 1 ? a->q.score : 0, qb = b->found == 1 ? b->q.score : 0;
        pq[i] = qa < qb ? qa : qb;
        double ft = kf->threshold[p[i].fold];
        for (int k = 0; k < 5; k++)
            if (pq[i] >= edges[k] && pq[i] < edges[k + 1]) band_add(&bands[k], p[i].mated, score[i], ft, op.threshold);
        unsigned flags = 0;
        for (int k = 0; k < a->q.n_problems && a->found == 1; k++) flags |= 1u << a->q.problems[k];
        for (int k = 0; k < b->q.n_problems && b->found == 1; k++) flags |= 1u << b->q.problems[k];
        if (!flags) band_add(&clean, p[i].mated, score[i], ft, op.threshold);
        for (int c = 1; c < BEX_QUALITY_PROBLEM_COUNT; c++)
            if (flags & (1u << c)) band_add(&prob[c], p[i].mated, score[i], ft, op.threshold);
        bex_capture_policy pol;
        bex_capture_policy_default(&pol);
        if (policy_outcome(a, &pol) == BEX_OK && policy_outcome(b, &pol) == BEX_OK)
            band_add(&pass, p[i].mated, score[i], ft, op.threshold);
    }
    printf(",\"quality\":{\"operating_point\":\"%s\",\"threshold\":%.5f,\"by_pair_quality\":[", op.name, op.threshold);
    for (int k = 0; k < 5; k++) {
        char label[32];
        snprintf(label, sizeof label, "%g-%g", edges[k], k == 4 ? 100 : edges[k + 1]);
        if (k) printf(",");
        band_print(label, &bands[k]);
    }
    printf("],\"by_problem\":[");
    band_print("no problem", &clean);
    for (int c = 1; c < BEX_QUALITY_PROBLEM_COUNT; c++) {
        printf(",");
        band_print(bex_quality_problem_name(c), &prob[c]);
    }
    /* by pose: the larger |angle| of the two images (both found) */
    static const char *axes[3] = {"yaw", "pitch", "roll"};
    static const double pose_edges[3][7] = {{0, 10, 20, 25, 30, 40, 181}, {0, 10, 20, 25, 30, 40, 181},
                                            {0, 5, 10, 15, 20, 30, 181}};
    printf("],\"by_pose\":{");
    for (int ax = 0; ax < 3; ax++) {
        band_acc pb[6] = {{0}};
        for (int i = 0; i < np; i++) {
            const eval_img *a = &s->imgs[p[i].a], *b = &s->imgs[p[i].b];
            if (a->found != 1 || b->found != 1) continue;
            double va = ax == 0 ? a->q.yaw_deg : ax == 1 ? a->q.pitch_deg : a->q.roll_deg;
            double vb = ax == 0 ? b->q.yaw_deg : ax == 1 ? b->q.pitch_deg : b->q.roll_deg;
            double v = fabs(va) > fabs(vb) ? fabs(va) : fabs(vb);
            for (int k = 0; k < 6; k++)
                if (v >= pose_edges[ax][k] && v < pose_edges[ax][k + 1])
                    band_add(&pb[k], p[i].mated, score[i], kf->threshold[p[i].fold], op.threshold);
        }
        printf("%s\"%s\":[", ax ? "," : "", axes[ax]);
        for (int k = 0; k < 6; k++) {
            char label[32];
            if (k < 5) snprintf(label, sizeof label, "%g-%g", pose_edges[ax][k], pose_edges[ax][k + 1]);
            else snprintf(label, sizeof label, "%g+", pose_edges[ax][k]);
            if (k) printf(",");
            band_print(label, &pb[k]);
        }
        printf("]");
    }
    printf("}");
    /* error versus reject: mated pairs sorted by pair quality, lowest first */
    int nm = 0;
    for (int i = 0; i < np; i++) if (p[i].mated) order[nm++] = i;
    for (int i = 1; i < nm; i++) { /* insertion sort: a few thousand pairs */
        int v = order[i], j = i - 1;
        while (j >= 0 && pq[order[j]] > pq[v]) { order[j + 1] = order[j]; j--; }
        order[j + 1] = v;
    }
    printf(",\"error_vs_reject\":[");
    static const double rejects[] = {0, 0.02, 0.05, 0.1, 0.2, 0.3};
    for (int r = 0; r < 6; r++) {
        int skip = (int)(rejects[r] * nm + 0.5), fnm = 0;
        for (int k = skip; k < nm; k++) fnm += isnan(score[order[k]]) || score[order[k]] < op.threshold;
        if (skip >= nm) break;
        printf("%s{\"rejected\":%g,\"quality_below\":%.1f,", r ? "," : "", rejects[r], pq[order[skip]]);
        json_rate("fnmr_at_op", fnm, nm - skip);
        printf("}");
    }
    /* the default capture policy over the images */
    bex_capture_policy pol;
    bex_capture_policy_default(&pol);
    int oc[4] = {0};
    for (int i = 0; i < s->n; i++) {
        int o = policy_outcome(&s->imgs[i], &pol);
        if (o == BEX_ERR_NO_FACE) oc[0]++;
        else if (o == BEX_ERR_SEVERAL_FACES) oc[1]++;
        else if (o == BEX_ERR_FACE_TOO_SMALL) oc[2]++;
        else if (o == BEX_ERR_LOW_QUALITY) oc[3]++;
    }
    printf("],\"capture_policy\":{\"min_quality\":%g,\"min_eye_distance_px\":%g,\"max_other_face\":%g,"
           "\"images\":%d,\"no_face\":%d,\"several_faces\":%d,\"face_too_small\":%d,\"low_quality\":%d,"
           "\"pairs_both_acquired\":",
           pol.min_quality, pol.min_eye_distance_px, pol.max_other_face, s->n, oc[0], oc[1], oc[2], oc[3]);
    band_print("both images pass the policy", &pass);
    printf("}}");
    free(pq);
    free(order);
}

static int cmd_eval_verify(const char *models, int argc, char **argv) {
    eval_opts o;
    eval_opts_default(&o, 1);
    const char *pairs_file = NULL;
    int per_fold = 0;
    for (int i = 0; i < argc; i++) {
        int r = eval_parse_common(argc, argv, &i, &o);
        if (r < 0) return 2;
        if (r > 0) continue;
        if (!strcmp(argv[i], "--pairs") && i + 1 < argc) pairs_file = argv[++i];
        else if (!strcmp(argv[i], "--per-fold") && i + 1 < argc) per_fold = atoi(argv[++i]);
        else
            return cli_usage_error("eval verify takes --lfw DIR [--pairs FILE] [--out DIR] [--align A] [--per-fold N] [--threads T] "
                                   "[--cache FILE] [--variant full|tight|dark|sidelight] [--light off|stretch|gamma|clahe] [--no-flip] [--model FILE]");
    }
    const char *lfw = o.lfw, *out = o.out;
    bex_align align = o.align;
    if (!lfw) return cli_usage_error("eval verify needs --lfw DIR, an LFW tree with lfw-deepfunneled/ and pairs.txt");
    char pf[1024], dir[1024], err[512];
    if (!pairs_file) {
        snprintf(pf, sizeof pf, "%s/pairs.txt", lfw);
        pairs_file = pf;
    }
    eval_set s = {0};
    int np = 0, folds = 0;
    eval_pair *p = eval_read_pairs(pairs_file, lfw, &s, per_fold, &np, &folds);
    if (!p) { free(s.imgs); return 2; }
    if (eval_make_out_dir(out) != 0) {
        free(p);
        eval_set_free(&s);
        return 2;
    }
    cli_find_models(models, dir, sizeof dir);
    if (eval_embed_all(&s, dir, &o) != 0) { free(p); eval_set_free(&s); return 2; }
    /* the threshold decisions use: the shipped one, or the described model's own (NaN: none) */
    double op_thr = NAN;
    {
        bex_operating_point op;
        if (bex_operating_point_verify_model(cli_model(), align, BEX_DEFAULT_FMR, &op, err, sizeof err) == BEX_OK)
            op_thr = op.threshold;
        else
            fprintf(stderr, "bex: %s\n", err);
    }

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
        score[i] = (a->found == 1 && b->found == 1) ? eval_similarity(&s, a, b) : NAN;
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
    printf("{\"pairs_file\":");
    bex_json_str(stdout, pairs_file);
    printf(",\"protocol\":\"LFW View 2 verification: %d folds, %s; accuracy per fold at the threshold that maximises accuracy on the other "
           "folds; TAR at FAR and EER from all pair scores; a pair with an image where no face was found "
           "is a failure to extract: an error in accuracy, left out of the score distributions\",",
           folds, per_fold ? "a fixed subset: the first N mated and N non-mated pairs of each fold" : "all pairs");
    eval_print_opts(&o);
    printf(",\"images\":%d,\"images_no_face\":%d,\"images_unreadable\":%d,", s.n, no_face, unreadable);
    eval_print_fta(&s);
    printf(",");
    print_embedding(&s);
    printf(",");
    printf("\"pairs\":%d,\"pairs_failed\":%zu,\"mated_scores\":%zu,\"nonmated_scores\":%zu,", np, kf.failures_total, nm, nn);
    json_num("accuracy_mean", kf.mean, ",");
    json_num("accuracy_sd", kf.sd, ",\"fold_accuracy\":[");
    for (int f = 0; f < folds; f++) printf("%s%.4f", f ? "," : "", kf.accuracy[f]);
    printf("],\"fold_threshold\":[");
    for (int f = 0; f < folds; f++) printf("%s%.4f", f ? "," : "", kf.threshold[f]);
    printf("],");
    json_num("eer", eer, ",");
    json_num("eer_threshold", eer_t, "");
    without_light_retry(&s, p, np, score, is_mated, fold, folds);
    if (o.flip) without_flip(&s, p, np, is_mated, fold, folds);
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
        bex_hist_plot hp = {.title = "LFW View 2: mated and non-mated scores", .show_threshold = !isnan(op_thr),
                            .threshold = isnan(op_thr) ? 0 : op_thr};
        snprintf(path, sizeof path, "%s/verify_hist.svg", out);
        if (bex_hist_svg_write(path, &hp, mated, nm, nonmated, nn, err, sizeof err) != BEX_OK) fprintf(stderr, "bex: %s\n", err);
        double thr[3] = {eer_t, 0, 0};
        size_t nthr = 1;
        if (!isnan(op_thr)) thr[nthr++] = op_thr;
        double t3;
        if (bex_threshold_for_fmr(nonmated, nn, 1e-3, &t3, NULL, err, sizeof err) == BEX_OK) thr[nthr++] = t3;
        snprintf(path, sizeof path, "%s/verify_thresholds.csv", out);
        if (bex_threshold_csv_write(path, mated, nm, nonmated, nn, thr, nthr, err, sizeof err) != BEX_OK) fprintf(stderr, "bex: %s\n", err);
    }
    free(det);
    snprintf(path, sizeof path, "%s/verify_scores.csv", out);
    write_scores_csv(path, &s, p, np, score);
    quality_report(&s, p, np, score, &kf, align);
    printf(",\"files\":\"%s/verify_{det.svg,hist.svg,det.csv,thresholds.csv,scores.csv}\"}\n", out);
    rc = 0;
done:
    free(score);
    free(mated);
    free(nonmated);
    free(is_mated);
    free(fold);
    free(p);
    eval_set_free(&s);
    return rc;
}

/* ------------------------------------------------------------------ bex eval identify */

typedef struct ident_stats {
    double fnir_003, fnir_01, thr_003, thr_01, rank1;
    double cal_thr, cal_fpir, cal_fnir; /* at the shipped threshold for FPIR 0.003 at this N */
    size_t mated, nonmated;
    int ok;
} ident_stats;

/* Searches every probe against the gallery of the people in `in_gallery` with the index `ix`
 * (which holds every enrolled template, subject = person; a person's score is their best
 * template's), and measures FNIR at FPIR 0.003 and 0.01 (thresholds from these non-mated
 * probes), the rank-1 hit rate, and FPIR / FNIR at the shipped threshold for this N. A mated
 * probe whose mate is not the top candidate gets rank 2 ("not first": only rank 1 is
 * measured) and its mate's best score for the histogram. */
static ident_stats search_and_measure(const eval_set *s, const person *pp, int np, const int *enrolled,
                                      const int *probe_img, const int *probe_person, int nprobe,
                                      const unsigned char *in_gallery, bex_index *ix, bex_align align,
                                      bex_probe_result **keep, size_t *n_keep) {
    ident_stats st = {0};
    char err[256];
    long long ngal = 0;
    int64_t *subj = malloc(sizeof *subj * (size_t)np);
    bex_probe_result *pr = malloc(sizeof *pr * (size_t)nprobe);
    bex_index_filter *filter = NULL;
    if (!pr || !subj) {
        free(pr);
        free(subj);
        return st;
    }
    for (int g = 0; g < np; g++)
        if (in_gallery[g]) subj[ngal++] = g;
    if (bex_index_filter_by_subjects(ix, subj, (size_t)ngal, &filter, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "bex: %s\n", err);
        free(pr);
        free(subj);
        return st;
    }
    free(subj);
    size_t k = 0;
    for (int q = 0; q < nprobe; q++) {
        const eval_img *im = &s->imgs[probe_img[q]];
        int mate = probe_person[q];
        int mated = pp[mate].role == 1 && in_gallery[mate];
        if (pp[mate].role == 1 && !in_gallery[mate]) continue; /* not in this trial at all */
        bex_probe_result r = {mated, 0, 0, -INFINITY};
        bex_index_hit top;
        size_t got = 0;
        if (im->found == 1) { /* no template: no candidate */
            if (bex_index_search_subjects(ix, eval_template(im), 1, filter, &top, &got, err, sizeof err) != BEX_OK) {
                fprintf(stderr, "bex: %s\n", err);
                got = 0;
            }
            if (got) r.top_score = top.score;
        }
        if (mated && got) {
            if (top.subject_id == mate) {
                r.mate_rank = 1;
                r.mate_score = top.score;
            } else {
                float best = -2;
                for (int e = 0; e < pp[mate].count; e++) {
                    int ii = pp[mate].first + e;
                    if (!enrolled[ii] || s->imgs[ii].found != 1) continue;
                    float v = eval_similarity(s, im, &s->imgs[ii]);
                    if (v > best) best = v;
                }
                if (best > -2) {
                    r.mate_rank = 2;
                    r.mate_score = best;
                }
            }
        }
        pr[k++] = r;
        if (mated) st.mated++;
        else st.nonmated++;
    }
    bex_index_filter_free(filter);
    double a1, a2;
    if (bex_threshold_for_fpir(pr, k, 0.003, &st.thr_003, &a1, err, sizeof err) == BEX_OK &&
        bex_threshold_for_fpir(pr, k, 0.01, &st.thr_01, &a2, err, sizeof err) == BEX_OK &&
        bex_fnir(pr, k, 1, st.thr_003, &st.fnir_003, err, sizeof err) == BEX_OK &&
        bex_fnir(pr, k, 1, st.thr_01, &st.fnir_01, err, sizeof err) == BEX_OK &&
        bex_hit_rate(pr, k, 1, &st.rank1, err, sizeof err) == BEX_OK)
        st.ok = 1;
    bex_operating_point op;
    st.cal_thr = st.cal_fpir = st.cal_fnir = NAN;
    if (st.ok && bex_operating_point_identify_model(cli_model(), align, BEX_DEFAULT_FPIR, ngal, &op, err, sizeof err) == BEX_OK) {
        st.cal_thr = op.threshold;
        if (bex_fpir(pr, k, op.threshold, &st.cal_fpir, err, sizeof err) != BEX_OK ||
            bex_fnir(pr, k, 1, op.threshold, &st.cal_fnir, err, sizeof err) != BEX_OK)
            st.cal_fpir = st.cal_fnir = NAN;
    }
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
    eval_opts o;
    eval_opts_default(&o, 50);
    int max_enrol = 3;
    bex_index_format ix_format = BEX_INDEX_FLOAT32;
    for (int i = 0; i < argc; i++) {
        int r = eval_parse_common(argc, argv, &i, &o);
        if (r < 0) return 2;
        if (r > 0) continue;
        if (!strcmp(argv[i], "--index-format") && i + 1 < argc) {
            const char *f = argv[++i];
            if (!strcmp(f, "float32")) ix_format = BEX_INDEX_FLOAT32;
            else if (!strcmp(f, "float16")) ix_format = BEX_INDEX_FLOAT16;
            else if (!strcmp(f, "int8")) ix_format = BEX_INDEX_INT8;
            else {
                fprintf(stderr, "bex: unknown index format '%s' (use float32, float16 or int8)\n", f);
                return 2;
            }
        } else
            return cli_usage_error("eval identify takes --lfw DIR [--out DIR] [--trials N] [--seed S] [--align A] "
                                   "[--threads T] [--cache FILE] [--index-format float32|float16|int8] "
                                   "[--variant full|tight|dark|sidelight] [--light off|stretch|gamma|clahe] [--no-flip] [--model FILE]");
    }
    const char *lfw = o.lfw, *out = o.out;
    bex_align align = o.align;
    int trials = o.trials;
    unsigned long long seed = o.seed;
    if (!lfw) return cli_usage_error("eval identify needs --lfw DIR, an LFW tree with lfw-deepfunneled/ and lfw-names.txt");
    char dir[1024];
    person *pp = NULL;
    int np = 0;
    eval_set s = {0};
    if (eval_load_people(lfw, out, &s, &pp, &np) != 0) return 2;
    /* roles: single-image people are distractors; of those with two or more, a seeded
     * random half is enrolled (their other images are mated probes), the other half is held
     * out (all their images are non-mated probes) */
    unsigned long long rs = seed;
    for (int i = 0; i < np; i++) pp[i].role = pp[i].count == 1 ? 0 : ((eval_rng(&rs) >> 11) & 1) ? 1 : 2;
    cli_find_models(models, dir, sizeof dir);
    if (eval_embed_all(&s, dir, &o) != 0) { free(pp); eval_set_free(&s); return 2; }

    int *enrolled = calloc((size_t)s.n, sizeof(int)), *probe_img = malloc(sizeof(int) * (size_t)s.n),
        *probe_person = malloc(sizeof(int) * (size_t)s.n);
    unsigned char *in_gallery = malloc((size_t)np);
    int *img_person = malloc(sizeof(int) * (size_t)s.n);
    if (!enrolled || !probe_img || !probe_person || !in_gallery || !img_person) {
        fprintf(stderr, "bex: out of memory\n");
        return 2;
    }
    for (int i = 0; i < np; i++)
        for (int e = 0; e < pp[i].count; e++) img_person[pp[i].first + e] = i;
    int no_face = 0;
    for (int i = 0; i < s.n; i++) no_face += s.imgs[i].found != 1;
    printf("{\"lfw\":");
    bex_json_str(stdout, lfw);
    printf(",\"protocol\":\"LFW open-set identification: people with one image are enrolled as "
           "distractors; of the people with two or more, a random half (seed %llu) is enrolled with its "
           "first image (or its first min(K, count-1) images with several per person, K = %d), its other "
           "images are mated probes; the other half is held out and all its images are non-mated probes. "
           "A person's score is their best enrolled template's. Thresholds for FPIR 0.003 and 0.01 come "
           "from the non-mated probes' top scores of the same searches (an oracle threshold); 'calibrated' gives FPIR "
           "and FNIR at the shipped threshold for FPIR 0.003 at the gallery's size (bex_operating_point_identify), "
           "fixed before the search. FNIR at rank 1. N = 420: %d trials, "
           "each a random 420 of the enrolled people (distractors included), pooled by mean. An image with "
           "no face gives no template: as a probe it returns no candidate, enrolled it is skipped.\",",
           seed, max_enrol, trials);
    static const char *fmt_names[3] = {"float32", "float16", "int8"};
    eval_print_opts(&o);
    printf(",\"index_format\":\"%s\",\"images\":%d,\"images_no_face\":%d,", fmt_names[ix_format], s.n, no_face);
    eval_print_fta(&s);
    printf(",");
    print_embedding(&s);
    printf(",\"results\":[");
    for (int pass = 0; pass < (o.flip ? 2 : 1); pass++) {
        if (pass) { /* --flip: the same protocol on the templates without flip */
            eval_swap_flip(&s);
            printf("],\"results_without_flip\":[");
        }
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
            /* the gallery index: every enrolled template, its person as subject */
            bex_index *ix = NULL;
            char err[256];
            if (bex_index_open(s.dim, ix_format, &ix, err, sizeof err) != BEX_OK) {
                fprintf(stderr, "bex: %s\n", err);
                return 2;
            }
            for (int i = 0; i < s.n; i++)
                if (enrolled[i] && s.imgs[i].found == 1 &&
                    bex_index_add(ix, i, img_person[i], eval_template(&s.imgs[i]), err, sizeof err) != BEX_OK) {
                    fprintf(stderr, "bex: %s\n", err);
                    bex_index_close(ix);
                    return 2;
                }
            bex_probe_result *pr = NULL;
            size_t npr = 0;
            ident_stats full = search_and_measure(&s, pp, np, enrolled, probe_img, probe_person, nprobe, in_gallery,
                                                  ix, align, &pr, &npr);
            if (pr && !pass) write_ident_files(out, multi, pr, npr, full.thr_003); /* the files: as run */
            free(pr);
            /* flights: 420 people drawn from the enrolled ones, many times */
            double f3 = 0, f1 = 0, r1 = 0, cfp = 0, cfn = 0, cthr = NAN;
            int ok = 0, cok = 0;
            int *gal = malloc(sizeof(int) * (size_t)np);
            int ng = 0;
            for (int i = 0; i < np; i++) if (pp[i].role != 2) gal[ng++] = i;
            unsigned long long ts = seed ^ 0x9e3779b97f4a7c15ULL;
            for (int t = 0; t < trials && gal; t++) {
                memset(in_gallery, 0, (size_t)np);
                for (int k = 0; k < 420 && k < ng; k++) { /* partial Fisher-Yates */
                    int j = k + (int)(eval_rng(&ts) % (unsigned long long)(ng - k));
                    int tmp = gal[k]; gal[k] = gal[j]; gal[j] = tmp;
                    in_gallery[gal[k]] = 1;
                }
                ident_stats st = search_and_measure(&s, pp, np, enrolled, probe_img, probe_person, nprobe, in_gallery,
                                                    ix, align, NULL, NULL);
                if (st.ok) { f3 += st.fnir_003; f1 += st.fnir_01; r1 += st.rank1; ok++; }
                if (st.ok && !isnan(st.cal_fpir)) { cfp += st.cal_fpir; cfn += st.cal_fnir; cthr = st.cal_thr; cok++; }
            }
            free(gal);
            bex_index_close(ix);
            printf("%s{\"enrolment\":\"%s\",\"gallery_people\":%d,\"full\":{\"mated_probes\":%zu,\"nonmated_probes\":%zu,",
                   multi ? "," : "", multi ? "several (up to 3) images per person" : "one image per person", ngal,
                   full.mated, full.nonmated);
            json_num("fnir_at_fpir_0.003", full.fnir_003, ",");
            json_num("threshold_0.003", full.thr_003, ",");
            json_num("fnir_at_fpir_0.01", full.fnir_01, ",");
            json_num("threshold_0.01", full.thr_01, ",");
            json_num("rank1", full.rank1, ",");
            printf("\"calibrated\":{\"operating_point\":\"FPIR 0.003 at N=%d\",", ngal);
            json_num("threshold", full.cal_thr, ",");
            json_num("fpir", full.cal_fpir, ",");
            json_num("fnir", full.cal_fnir, "}},");
            printf("\"n420\":{\"trials\":%d,", ok);
            json_num("fnir_at_fpir_0.003", ok ? f3 / ok : NAN, ",");
            json_num("fnir_at_fpir_0.01", ok ? f1 / ok : NAN, ",");
            json_num("rank1", ok ? r1 / ok : NAN, ",");
            printf("\"calibrated\":{\"operating_point\":\"FPIR 0.003 at N=420\",");
            json_num("threshold", cthr, ",");
            json_num("fpir", cok ? cfp / cok : NAN, ",");
            json_num("fnir", cok ? cfn / cok : NAN, "}}}");
            fflush(stdout);
        }
    }
    printf("],\"files\":\"%s/identify_{one,several}_{det.svg,det.csv,hist.svg}\"}\n", out);
    free(enrolled);
    free(probe_img);
    free(probe_person);
    free(in_gallery);
    free(img_person);
    free(pp);
    eval_set_free(&s);
    return 0;
}

int cmd_eval(const char *models, int argc, char **argv) {
    if (argc >= 1 && !strcmp(argv[0], "verify")) return cmd_eval_verify(models, argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "identify")) return cmd_eval_identify(models, argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "calibrate")) {
        for (int i = 1; i < argc; i++)
            if (!strcmp(argv[i], "--store")) return cmd_eval_calibrate_store(argc - 1, argv + 1);
        return cmd_eval_calibrate(models, argc - 1, argv + 1);
    }
    if (argc >= 1 && !strcmp(argv[0], "drift")) return cmd_eval_drift(argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "finger")) return cmd_eval_finger(argc - 1, argv + 1);
    return cli_usage_error("eval takes a protocol: bex eval verify|identify|calibrate --lfw DIR ..., "
                           "bex eval calibrate --store DB, bex eval drift --db DB, bex eval finger --fvc DIR");
}
