/*
 * eval.h - biometric performance metrics after ISO/IEC 19795-1: verification (FMR, FNMR, EER,
 * TAR at FAR, DET curves, k-fold accuracy, confidence bounds), open-set identification (FPIR,
 * FNIR, rank-R hit rate) and the files that show them (DET and score-histogram SVG, CSV).
 *
 *   double t, fmr, tar, eer, eer_t;
 *   char err[256];
 *   if (bex_threshold_for_fmr(nonmated, n_nonmated, 1e-3, &t, &fmr, err, sizeof err) != BEX_OK)
 *       fprintf(stderr, "bex: %s\n", err);        // e.g. too few non-mated comparisons
 *   bex_tar_at_far(mated, n_mated, nonmated, n_nonmated, 1e-3, &tar, &t, err, sizeof err);
 *   bex_eer(mated, n_mated, nonmated, n_nonmated, &eer, &eer_t, err, sizeof err);
 *
 *   size_t np;                                   // a DET curve into a caller-allocated array
 *   bex_det_curve(mated, n_mated, nonmated, n_nonmated, NULL, 0, &np, err, sizeof err);
 *   bex_det_point *pts = malloc(np * sizeof *pts);
 *   bex_det_curve(mated, n_mated, nonmated, n_nonmated, pts, np, &np, err, sizeof err);
 *   bex_det_series s = { "bex 0.1", pts, np };
 *   double marks[] = { 1e-3 };
 *   bex_det_plot opt = { .title = "LFW", .marks = marks, .n_marks = 1 };
 *   bex_det_svg_write("det.svg", &opt, &s, 1, err, sizeof err);
 *
 * Scores are similarities: higher means more alike, and a comparison is a match when
 * score >= threshold. Rates are fractions in [0, 1], never percentages. Every function checks
 * its input (empty sets, NaN, bad targets) and returns BEX_ERR_ARG with a message rather than
 * a meaningless number; outputs are written only on success. No function keeps a pointer to
 * its input, and none here returns memory for the caller to free: bulk outputs go into
 * caller-allocated arrays. The functions are reentrant (no global state).
 */
#ifndef BEX_EVAL_H
#define BEX_EVAL_H

#include <stddef.h>

#include "bex/bex.h"
#include "bex/image.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- verification (1:1) ------------------------------------------------------------------
 * mated: scores of genuine comparisons (same person); nonmated: impostor comparisons. Both
 * must hold finite numbers: a failed comparison has no score, so count it yourself (or use
 * bex_kfold_accuracy, which takes NaN as a failure) rather than hiding it here. */

/* FMR = fraction of non-mated scores >= threshold; FNMR = fraction of mated scores < it.
 * Both sets must be non-empty. */
int bex_fmr_fnmr(const double *mated, size_t n_mated, const double *nonmated, size_t n_nonmated,
                 double threshold, double *fmr, double *fnmr, char *err, size_t errlen);

/* The smallest threshold whose empirical FMR does not exceed target_fmr (0 < target < 1):
 * the next double above the (k+1)-th highest non-mated score, k = floor(target * n), so a
 * score equal to that non-mated score is rejected. *achieved_fmr (may be NULL) is the FMR at
 * that threshold, <= target (less when scores tie). An FMR of target cannot be estimated
 * from fewer than ceil(1 / target) comparisons: then BEX_ERR_ARG, with a message saying how
 * many are needed. */
int bex_threshold_for_fmr(const double *nonmated, size_t n_nonmated, double target_fmr,
                          double *threshold, double *achieved_fmr, char *err, size_t errlen);

/* TAR = 1 - FNMR at the threshold bex_threshold_for_fmr gives for target_far (FAR = FMR here:
 * no failures to acquire). *threshold may be NULL. Same errors as bex_threshold_for_fmr. */
int bex_tar_at_far(const double *mated, size_t n_mated, const double *nonmated,
                   size_t n_nonmated, double target_far, double *tar, double *threshold,
                   char *err, size_t errlen);

/* The equal error rate: over the distinct scores as thresholds (ascending), FNMR - FMR goes
 * from negative to positive; between the two adjacent thresholds where it changes sign both
 * rates are interpolated linearly to where they are equal. *eer is that rate, *threshold
 * (may be NULL) the interpolated threshold. If FNMR - FMR is 0 at a threshold, that one. */
int bex_eer(const double *mated, size_t n_mated, const double *nonmated, size_t n_nonmated,
            double *eer, double *threshold, char *err, size_t errlen);

/* One point of a DET curve. fpr is the false positive rate (FMR for verification, FPIR for
 * identification), fnr the false negative rate (FNMR, or FNIR) at that threshold. */
typedef struct bex_det_point {
    double threshold;
    double fpr;
    double fnr;
} bex_det_point;

/* The FVC competitions' figures (Maio, Maltoni, Cappelli, Wayman, Jain, "FVC2000:
 * Fingerprint Verification Competition", IEEE PAMI 24(3), 2002, section 4; the same for
 * FVC2002/2004), over every threshold where a rate changes (each distinct score, and above
 * the highest). FMR(t) and FNMR(t) as bex_fmr_fnmr. EER: with t1 = max{t: FNMR(t) <= FMR(t)}
 * and t2 = min{t: FNMR(t) >= FMR(t)}, [eer_low, eer_high] = [FNMR(t1), FMR(t1)] when
 * FNMR(t1) + FMR(t1) <= FNMR(t2) + FMR(t2), else [FMR(t2), FNMR(t2)]; eer is its middle and
 * eer_threshold the t it came from. fmr100, fmr1000, zero_fmr: the lowest FNMR at an FMR of
 * at most 0.01, 0.001 and 0. A failure to enrol is scored by the caller (FVC: 0, a ghost). */
typedef struct bex_fvc_rates {
    double eer, eer_low, eer_high, eer_threshold;
    double fmr100, fmr1000, zero_fmr;
} bex_fvc_rates;
int bex_fvc_measure(const double *genuine, size_t n_genuine, const double *impostor,
                    size_t n_impostor, bex_fvc_rates *out, char *err, size_t errlen);

/* The DET curve: one point per distinct score (of either set) used as threshold, ascending
 * thresholds (so fpr falls and fnr rises). Writes at most cap points to the caller's out
 * array and their number to *n_out. With out == NULL only *n_out is set (the number needed,
 * never more than n_mated + n_nonmated); a cap that is too small is BEX_ERR_ARG. */
int bex_det_curve(const double *mated, size_t n_mated, const double *nonmated,
                  size_t n_nonmated, bex_det_point *out, size_t cap, size_t *n_out, char *err,
                  size_t errlen);

/* ---- k-fold accuracy (LFW View 2: 10 folds) ---------------------------------------------- */

#define BEX_KFOLD_MAX 64 /* the most folds bex_kfold_accuracy takes */

typedef struct bex_kfold_result {
    int folds;                           /* n_folds as passed */
    double mean;                         /* mean of the per-fold accuracies, 0..1 */
    double sd;                           /* their sample standard deviation (divides by n-1) */
    double threshold[BEX_KFOLD_MAX];     /* per fold: chosen on the other folds */
    double accuracy[BEX_KFOLD_MAX];      /* per fold: (correct pairs) / (all its pairs) */
    size_t pairs[BEX_KFOLD_MAX];         /* per fold: its pairs, failures included */
    size_t failures[BEX_KFOLD_MAX];      /* per fold: pairs whose score is NaN */
    size_t failures_total;               /* all pairs whose score is NaN */
} bex_kfold_result;

/* For each fold f in 0..n_folds-1 (2 <= n_folds <= BEX_KFOLD_MAX): the threshold that
 * maximises accuracy on the pairs of the other folds, searched over the lowest score
 * (accept all), the midpoints between adjacent distinct scores and just above the highest
 * (reject all), the lowest such threshold on a tie; then the accuracy of that threshold on
 * fold f. A pair is correct when mated[i] != 0 and score >= threshold, or mated[i] == 0 and
 * score < threshold. A NaN score is a failure (no template, no face): it counts as an error
 * in every accuracy, and is reported in failures[], never dropped. Every fold must have a
 * pair; fold[i] outside 0..n_folds-1 or an infinite score is BEX_ERR_ARG. */
int bex_kfold_accuracy(const double *score, const int *mated, const int *fold, size_t n,
                       int n_folds, bex_kfold_result *out, char *err, size_t errlen);

/* ---- confidence of an error-rate estimate ------------------------------------------------ */

/* The one-sided upper confidence bound on a true error rate (e.g. FMR) after k errors in n
 * independent trials: the exact Clopper-Pearson bound, the p at which P(X <= k) = 1 -
 * confidence for X ~ Binomial(n, p), found by bisection on the binomial CDF (computed as the
 * regularized incomplete beta I_{1-p}(n - k, k + 1)). confidence = 0.95 gives the one-sided
 * 95% bound (k = 0: 1 - 0.05^(1/n), about the "rule of 3" 3/n); the upper end of the
 * two-sided 95% interval is confidence = 0.975. k = n gives 1. 0 < confidence < 1, n >= 1,
 * k <= n. Trials are assumed independent; comparisons sharing a person are not, so the
 * bound is optimistic for them. */
int bex_error_rate_upper_bound(size_t k, size_t n, double confidence, double *upper,
                               char *err, size_t errlen);

/* The two tails of X ~ Binomial(n, p) at k: *upper = P(X >= k), *lower = P(X <= k) (either
 * may be NULL), through the same regularized incomplete beta. A one-sided test of "the rate
 * is p" against "the rate is higher" rejects at level a when *upper < a. n >= 1, k <= n,
 * 0 < p < 1. */
int bex_binomial_tails(size_t k, size_t n, double p, double *upper, double *lower, char *err,
                       size_t errlen);

/* ---- open-set identification (1:N) ---------------------------------------------------------
 * One search of a probe against a gallery of N people. FNIR(N, R, T) and FPIR(N, T) depend on
 * N: set thresholds at the gallery size in use. */
typedef struct bex_probe_result {
    int mated;          /* nonzero: the probe's person is enrolled in the gallery */
    int mate_rank;      /* mated: the 1-based rank of its mate among the candidates, 0 if absent */
    double mate_score;  /* mated and mate_rank > 0: the mate's score */
    double top_score;   /* the top candidate's score; -INFINITY if no candidate was returned.
                         * Used for non-mated probes only. */
} bex_probe_result;

/* FPIR = fraction of non-mated probes whose top score >= threshold. Needs a non-mated probe. */
int bex_fpir(const bex_probe_result *probes, size_t n, double threshold, double *fpir,
             char *err, size_t errlen);

/* The smallest threshold whose FPIR does not exceed target_fpir, as bex_threshold_for_fmr
 * over the non-mated probes' top scores (needs ceil(1 / target) non-mated probes). */
int bex_threshold_for_fpir(const bex_probe_result *probes, size_t n, double target_fpir,
                           double *threshold, double *achieved_fpir, char *err, size_t errlen);

/* FNIR(N, R, T) = fraction of mated probes whose mate is not returned at rank <= rank with a
 * score >= threshold. rank >= 1. Needs a mated probe. */
int bex_fnir(const bex_probe_result *probes, size_t n, int rank, double threshold, double *fnir,
             char *err, size_t errlen);

/* The closed-set hit rate at rank R (the CMC at R; rank 1 gives the rank-1 identification
 * rate): fraction of mated probes whose mate is at rank 1..rank, whatever its score. */
int bex_hit_rate(const bex_probe_result *probes, size_t n, int rank, double *rate, char *err,
                 size_t errlen);

/* The identification DET curve: FNIR(rank, T) against FPIR(T), one point per distinct
 * finite score (non-mated top scores, mated probes' mate scores at rank <= rank) as T,
 * ascending. Output as bex_det_curve (out == NULL asks the size, at most n). */
int bex_ident_det_curve(const bex_probe_result *probes, size_t n, int rank, bex_det_point *out,
                        size_t cap, size_t *n_out, char *err, size_t errlen);

/* ---- files: SVG plots and CSV tables ---------------------------------------------------------
 * Each writer writes a temporary file in the destination's folder and rename(2)s it into
 * place, so the path holds either its old content or the whole new file, never a part; on
 * failure it returns BEX_ERR_IO with a message naming the path and leaves no temporary file.
 * New files get mode 0644. Text (names, titles) is XML-escaped; invalid UTF-8 and control
 * characters become '?'. Numbers are written with printf, so keep LC_NUMERIC at "C". */

/* Which rates a curve holds: the axis labels and CSV column names follow it. */
typedef enum bex_rate_kind {
    BEX_RATES_VERIFICATION = 0,  /* FMR / FNMR */
    BEX_RATES_IDENTIFICATION = 1 /* FPIR / FNIR */
} bex_rate_kind;

typedef struct bex_det_series {
    const char *name;            /* the legend's text for this curve */
    const bex_det_point *points; /* any order; sorted by threshold is cheapest */
    size_t n_points;
} bex_det_series;

/* Options of a DET plot; a zero field takes its default. */
typedef struct bex_det_plot {
    const char *title;     /* above the plot; NULL for none */
    bex_rate_kind kind;    /* default axis labels */
    const char *x_label;   /* NULL: "False match rate (FMR)" or "... (FPIR)" */
    const char *y_label;   /* NULL: "False non-match rate (FNMR)" or "... (FNIR)" */
    double x_min, x_max;   /* powers of ten; default 1e-5 .. 1 */
    double y_min, y_max;   /* powers of ten; default 1e-4 .. 1 */
    const double *marks;   /* operating points to mark at these fpr values (e.g. 1e-3) */
    size_t n_marks;
} bex_det_plot;

/* Writes a DET plot: fnr against fpr, both axes logarithmic with decade grid lines and
 * labels, one coloured line per series with a legend, and at each mark m a dashed line and,
 * on each curve, a dot at its point of lowest fnr with fpr <= m (value in the legend). Rates
 * of 0 are drawn at the axis' lower end. opt may be NULL (defaults). 1 <= n_series <= 16. */
int bex_det_svg_write(const char *path, const bex_det_plot *opt, const bex_det_series *series,
                      size_t n_series, char *err, size_t errlen);

/* Options of a score histogram; a zero field takes its default. */
typedef struct bex_hist_plot {
    const char *title;     /* NULL for none */
    const char *x_label;   /* NULL: "Similarity score" */
    size_t bins;           /* default 50, at most 1000 */
    double x_min, x_max;   /* both 0: the data's range; scores outside go to the end bins */
    int show_threshold;    /* nonzero: a vertical line at threshold */
    double threshold;
} bex_hist_plot;

/* Writes the mated and non-mated score distributions as two density histograms (counts /
 * (n * bin width), so both have area 1), in two colours, with axis labels and a legend.
 * Both sets non-empty and finite. opt may be NULL (defaults). */
int bex_hist_svg_write(const char *path, const bex_hist_plot *opt, const double *mated,
                       size_t n_mated, const double *nonmated, size_t n_nonmated, char *err,
                       size_t errlen);

/* Writes DET points as CSV: "threshold,fmr,fnmr" (or "threshold,fpir,fnir"), then one row a
 * point, numbers with 17 significant digits. n may be 0 (header only). */
int bex_det_csv_write(const char *path, bex_rate_kind kind, const bex_det_point *points,
                      size_t n, char *err, size_t errlen);

/* Writes a verification table with one row per threshold given: "threshold,fmr,fnmr,tar,
 * false_matches,nonmated,false_non_matches,mated,fmr_upper95" where fmr_upper95 is the
 * one-sided 95% Clopper-Pearson bound on the FMR (bex_error_rate_upper_bound). */
int bex_threshold_csv_write(const char *path, const double *mated, size_t n_mated,
                            const double *nonmated, size_t n_nonmated,
                            const double *thresholds, size_t n_thresholds, char *err,
                            size_t errlen);

/* ---- image variants for evaluation -------------------------------------------------------
 * The conditions `bex eval --variant` measures, applied to each image after decoding:
 *   BEX_VARIANT_FULL       the image as it is;
 *   BEX_VARIANT_TIGHT      its central 150x150 px (on LFW's 250x250 frames: the whole face,
 *                          chin to forehead, little else), resized to 100x100 by bilinear
 *                          interpolation with pixel centres aligned (OpenCV's INTER_LINEAR
 *                          rule: s = (d + 0.5) * in / out - 0.5, clamped at the edges); an
 *                          image smaller than 150 px on a side keeps all of that side;
 *   BEX_VARIANT_DARK       gamma 2.5: out = 255 * (in / 255)^2.5, rounded;
 *   BEX_VARIANT_SIDELIGHT  a horizontal gain ramp from 0.15 at the left edge (x = 0) to 1.0 at
 *                          the right (x = width - 1), rounded: light from the right. */
typedef enum bex_variant {
    BEX_VARIANT_FULL = 0,
    BEX_VARIANT_TIGHT = 1,
    BEX_VARIANT_DARK = 2,
    BEX_VARIANT_SIDELIGHT = 3,
} bex_variant;

/* "full", "tight", "dark", "sidelight"; NULL for another value. */
const char *bex_variant_name(bex_variant v);
/* The variant called `name` into *out: BEX_OK, or BEX_ERR_ARG for an unknown name. */
int bex_variant_parse(const char *name, bex_variant *out);
/* Applies v to img in place (BEX_VARIANT_TIGHT replaces img->px with a new, smaller buffer,
 * still released with bex_image_free). On failure (BEX_ERR_ARG, BEX_ERR_NOMEM) img is
 * unchanged. */
int bex_variant_apply(bex_image *img, bex_variant v, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
