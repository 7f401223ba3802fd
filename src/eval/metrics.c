/*
 * metrics.c - the numbers of ISO/IEC 19795-1 from arrays of scores: FMR/FNMR, thresholds for a
 * target rate, EER, DET curves, k-fold (LFW) accuracy, Clopper-Pearson bounds, and open-set
 * identification rates (FPIR, FNIR, hit rate). Pure computation: no files, no face code.
 *
 * Everything rests on one convention: a comparison is a match when score >= threshold. The
 * sorted-score sweeps below count "values < v" with two pointers, so a DET curve costs one
 * sort of each set and one pass.
 */
#include "bex/eval.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

/* ---- input checks and sorting -------------------------------------------------------------- */

/* Scores of one set: non-empty, no NaN, no infinity. */
static int check_scores(const double *s, size_t n, const char *what, char *err, size_t errlen) {
    if (n == 0) return bex__fail(err, errlen, BEX_ERR_ARG, "no %s scores", what);
    if (!s) return bex__fail(err, errlen, BEX_ERR_ARG, "%s scores: NULL array of %zu", what, n);
    for (size_t i = 0; i < n; i++) {
        if (isnan(s[i]))
            return bex__fail(err, errlen, BEX_ERR_ARG,
                             "%s score %zu is NaN (a failed comparison: count it separately)",
                             what, i);
        if (isinf(s[i]))
            return bex__fail(err, errlen, BEX_ERR_ARG, "%s score %zu is infinite", what, i);
    }
    return BEX_OK;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A sorted (ascending) copy, released with bex__free. */
static int sorted_copy(const double *s, size_t n, double **out, char *err, size_t errlen) {
    size_t bytes;
    if (!bex__mul_size(n, sizeof *s, &bytes))
        return bex__fail(err, errlen, BEX_ERR_NOMEM, "%zu scores: size overflows", n);
    double *c = bex__malloc(bytes);
    if (!c) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory copying %zu scores", n);
    if (n) memcpy(c, s, bytes);
    qsort(c, n, sizeof *c, cmp_double);
    *out = c;
    return BEX_OK;
}

static int check_target(double target, const char *rate, char *err, size_t errlen) {
    if (!(target > 0 && target < 1))
        return bex__fail(err, errlen, BEX_ERR_ARG, "target %s %g is not in (0, 1)", rate, target);
    return BEX_OK;
}

/* ---- thresholds for a target false-positive rate ------------------------------------------ */

/* On ascending a[0..n): the smallest threshold t with #{a >= t} / n <= target. With k the most
 * false positives allowed, t is just above the (k+1)-th highest value. k is computed so that
 * k / n <= target holds in floating point exactly as a caller would check it. */
static int threshold_for_rate(const double *a, size_t n, double target, const char *rate,
                              const char *items, double *t_out, double *achieved,
                              char *err, size_t errlen) {
    double dn = (double)n;
    size_t k = (size_t)floor(target * dn);
    if (k >= n) k = n - 1; /* target < 1; guards rounding only */
    if (k + 1 < n && (double)(k + 1) / dn <= target) k++;
    while (k > 0 && (double)k / dn > target) k--;
    if (k == 0) {
        double need = ceil(1.0 / target);
        if (1.0 / need > target) need += 1;
        if (need > 1 && 1.0 / (need - 1) <= target) need -= 1;
        return bex__fail(err, errlen, BEX_ERR_ARG,
                         "%s %g cannot be estimated from %zu %s: at least %.0f are needed "
                         "(ceil(1 / target))",
                         rate, target, n, items, need);
    }
    double v = a[n - 1 - k];
    double t = nextafter(v, INFINITY);
    size_t above = 0;
    for (size_t i = n - k - 1; i < n; i++) above += a[i] >= t;
    *t_out = t;
    if (achieved) *achieved = (double)above / dn;
    return BEX_OK;
}

/* ---- DET sweep ----------------------------------------------------------------------------- */

/* Over ascending m[0..nm) (positives) and q[0..nq) (negatives): one point per distinct finite
 * value v as threshold, fnr = #{m < v} / nm, fpr = #{q >= v} / nq. -INFINITY values are never
 * thresholds and never accepted. Writes to out when not NULL; returns the number of points. */
static size_t det_sweep(const double *m, size_t nm, const double *q, size_t nq,
                        bex_det_point *out) {
    size_t i = 0, j = 0, cnt = 0;
    while (i < nm || j < nq) {
        double v = (j >= nq || (i < nm && m[i] <= q[j])) ? m[i] : q[j];
        if (isfinite(v)) {
            if (out) {
                out[cnt].threshold = v;
                out[cnt].fpr = (double)(nq - j) / (double)nq;
                out[cnt].fnr = (double)i / (double)nm;
            }
            cnt++;
        }
        while (i < nm && m[i] == v) i++;
        while (j < nq && q[j] == v) j++;
    }
    return cnt;
}

/* Sorts copies of both sets and writes the curve (out NULL: count only). */
static int det_from_sets(const double *m, size_t nm, const double *q, size_t nq,
                         bex_det_point *out, size_t cap, size_t *n_out, char *err,
                         size_t errlen) {
    double *ms = NULL, *qs = NULL;
    int rc = sorted_copy(m, nm, &ms, err, errlen);
    if (rc == BEX_OK) rc = sorted_copy(q, nq, &qs, err, errlen);
    if (rc == BEX_OK) {
        size_t need = det_sweep(ms, nm, qs, nq, NULL);
        if (out && need > cap)
            rc = bex__fail(err, errlen, BEX_ERR_ARG,
                           "the DET curve has %zu points, the array holds %zu", need, cap);
        else {
            if (out) det_sweep(ms, nm, qs, nq, out);
            *n_out = need;
        }
    }
    bex__free(ms);
    bex__free(qs);
    return rc;
}

/* ---- verification ------------------------------------------------------------------------- */

int bex_fmr_fnmr(const double *mated, size_t n_mated, const double *nonmated, size_t n_nonmated,
                 double threshold, double *fmr, double *fnmr, char *err, size_t errlen) {
    int rc;
    if ((rc = check_scores(mated, n_mated, "mated", err, errlen))) return rc;
    if ((rc = check_scores(nonmated, n_nonmated, "non-mated", err, errlen))) return rc;
    if (isnan(threshold)) return bex__fail(err, errlen, BEX_ERR_ARG, "threshold is NaN");
    if (!fmr || !fnmr) return bex__fail(err, errlen, BEX_ERR_ARG, "NULL output");
    size_t fm = 0, fnm = 0;
    for (size_t i = 0; i < n_nonmated; i++) fm += nonmated[i] >= threshold;
    for (size_t i = 0; i < n_mated; i++) fnm += mated[i] < threshold;
    *fmr = (double)fm / (double)n_nonmated;
    *fnmr = (double)fnm / (double)n_mated;
    return BEX_OK;
}

int bex_threshold_for_fmr(const double *nonmated, size_t n_nonmated, double target_fmr,
                          double *threshold, double *achieved_fmr, char *err, size_t errlen) {
    int rc;
    if ((rc = check_scores(nonmated, n_nonmated, "non-mated", err, errlen))) return rc;
    if ((rc = check_target(target_fmr, "FMR", err, errlen))) return rc;
    if (!threshold) return bex__fail(err, errlen, BEX_ERR_ARG, "NULL output");
    double *a = NULL;
    if ((rc = sorted_copy(nonmated, n_nonmated, &a, err, errlen))) return rc;
    rc = threshold_for_rate(a, n_nonmated, target_fmr, "an FMR of", "non-mated comparisons",
                            threshold, achieved_fmr, err, errlen);
    bex__free(a);
    return rc;
}

int bex_tar_at_far(const double *mated, size_t n_mated, const double *nonmated,
                   size_t n_nonmated, double target_far, double *tar, double *threshold,
                   char *err, size_t errlen) {
    int rc;
    double t, fmr, fnmr;
    if ((rc = check_scores(mated, n_mated, "mated", err, errlen))) return rc;
    if (!tar) return bex__fail(err, errlen, BEX_ERR_ARG, "NULL output");
    if ((rc = bex_threshold_for_fmr(nonmated, n_nonmated, target_far, &t, NULL, err, errlen)))
        return rc;
    if ((rc = bex_fmr_fnmr(mated, n_mated, nonmated, n_nonmated, t, &fmr, &fnmr, err, errlen)))
        return rc;
    *tar = 1.0 - fnmr;
    if (threshold) *threshold = t;
    return BEX_OK;
}

/* The DET curve of two checked score sets, closed by the point above every score (FMR 0,
 * FNMR 1): *out (bex__malloc'd, *np points) for bex_eer and bex_fvc_measure. */
static int det_closed(const double *mated, size_t n_mated, const double *nonmated, size_t n_nonmated,
                      const char *what, bex_det_point **out, size_t *np, char *err, size_t errlen) {
    size_t cap = n_mated + n_nonmated + 1, bytes; /* + 1: the point above every score */
    if (cap < n_mated || !bex__mul_size(cap, sizeof(bex_det_point), &bytes))
        return bex__fail(err, errlen, BEX_ERR_NOMEM, "too many scores");
    bex_det_point *p = bex__malloc(bytes);
    if (!p) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for %s", what);
    int rc = det_from_sets(mated, n_mated, nonmated, n_nonmated, p, cap, np, err, errlen);
    if (rc) {
        bex__free(p);
        return rc;
    }
    /* Above the highest score nothing matches: FMR 0, FNMR 1. */
    p[*np].threshold = nextafter(p[*np - 1].threshold, INFINITY);
    p[*np].fpr = 0;
    p[*np].fnr = 1;
    (*np)++;
    *out = p;
    return BEX_OK;
}

int bex_eer(const double *mated, size_t n_mated, const double *nonmated, size_t n_nonmated,
            double *eer, double *threshold, char *err, size_t errlen) {
    int rc;
    if ((rc = check_scores(mated, n_mated, "mated", err, errlen))) return rc;
    if ((rc = check_scores(nonmated, n_nonmated, "non-mated", err, errlen))) return rc;
    if (!eer) return bex__fail(err, errlen, BEX_ERR_ARG, "NULL output");
    bex_det_point *p;
    size_t np;
    if ((rc = det_closed(mated, n_mated, nonmated, n_nonmated, "the DET curve", &p, &np, err, errlen))) return rc;
    /* FNMR - FMR never falls as the threshold rises; it is -1 at the lowest score (everything
     * matches) and +1 above the highest. Find where it first reaches 0. */
    size_t i = 0;
    while (p[i].fnr - p[i].fpr < 0) i++; /* stops at np - 1 at the latest */
    double d1 = p[i].fnr - p[i].fpr;
    if (d1 == 0 || i == 0) {
        *eer = p[i].fpr;
        if (threshold) *threshold = p[i].threshold;
    } else {
        double d0 = p[i - 1].fnr - p[i - 1].fpr;
        double a = -d0 / (d1 - d0);
        *eer = p[i - 1].fpr + a * (p[i].fpr - p[i - 1].fpr);
        if (threshold) *threshold = p[i - 1].threshold + a * (p[i].threshold - p[i - 1].threshold);
    }
    bex__free(p);
    return BEX_OK;
}

int bex_fvc_measure(const double *genuine, size_t n_genuine, const double *impostor, size_t n_impostor,
                    bex_fvc_rates *out, char *err, size_t errlen) {
    int rc;
    if ((rc = check_scores(genuine, n_genuine, "genuine", err, errlen))) return rc;
    if ((rc = check_scores(impostor, n_impostor, "impostor", err, errlen))) return rc;
    if (!out) return bex__fail(err, errlen, BEX_ERR_ARG, "NULL output");
    bex_det_point *p;
    size_t np;
    if ((rc = det_closed(genuine, n_genuine, impostor, n_impostor, "the FVC rates", &p, &np, err, errlen)))
        return rc;
    /* FNMR rises and FMR falls with t: t1 is the last point with FNMR <= FMR (the first
     * point, FNMR 0, always is one), t2 the first with FNMR >= FMR (the last point always is) */
    size_t t1 = 0, t2 = np - 1;
    for (size_t i = 0; i < np; i++)
        if (p[i].fnr <= p[i].fpr) t1 = i;
    for (size_t i = np; i-- > 0;)
        if (p[i].fnr >= p[i].fpr) t2 = i;
    bex_fvc_rates r;
    if (p[t1].fnr + p[t1].fpr <= p[t2].fnr + p[t2].fpr) {
        r.eer_low = p[t1].fnr;
        r.eer_high = p[t1].fpr;
        r.eer_threshold = p[t1].threshold;
    } else {
        r.eer_low = p[t2].fpr;
        r.eer_high = p[t2].fnr;
        r.eer_threshold = p[t2].threshold;
    }
    r.eer = (r.eer_low + r.eer_high) / 2;
    r.fmr100 = r.fmr1000 = r.zero_fmr = 1;
    for (size_t i = 0; i < np; i++) {
        if (p[i].fpr <= 0.01 && p[i].fnr < r.fmr100) r.fmr100 = p[i].fnr;
        if (p[i].fpr <= 0.001 && p[i].fnr < r.fmr1000) r.fmr1000 = p[i].fnr;
        if (p[i].fpr == 0 && p[i].fnr < r.zero_fmr) r.zero_fmr = p[i].fnr;
    }
    bex__free(p);
    *out = r;
    return BEX_OK;
}

int bex_det_curve(const double *mated, size_t n_mated, const double *nonmated,
                  size_t n_nonmated, bex_det_point *out, size_t cap, size_t *n_out, char *err,
                  size_t errlen) {
    int rc;
    if ((rc = check_scores(mated, n_mated, "mated", err, errlen))) return rc;
    if ((rc = check_scores(nonmated, n_nonmated, "non-mated", err, errlen))) return rc;
    if (!n_out) return bex__fail(err, errlen, BEX_ERR_ARG, "NULL n_out");
    return det_from_sets(mated, n_mated, nonmated, n_nonmated, out, cap, n_out, err, errlen);
}

/* ---- k-fold accuracy -------------------------------------------------------------------- */

typedef struct scored_pair {
    double s;
    int mated;
    int fold;
} scored_pair;

static int cmp_pair(const void *a, const void *b) {
    double x = ((const scored_pair *)a)->s, y = ((const scored_pair *)b)->s;
    return (x > y) - (x < y);
}

/* A threshold strictly between a < b that splits them: the midpoint, or b itself when a and b
 * are adjacent doubles (the midpoint would round onto a and accept it). */
static double split(double a, double b) {
    double m = a + (b - a) / 2;
    return m > a ? m : b;
}

/* The accuracy-maximising threshold over the valid pairs not in fold `skip`, by one sweep
 * over the sorted pairs: below the lowest score every pair is accepted, and passing a group
 * of equal scores rejects it, turning its non-mated pairs right and its mated pairs wrong. */
static int best_threshold(const scored_pair *p, size_t nv, int skip, double *t_out) {
    size_t correct = 0, best = 0, n_train = 0;
    double best_t = 0;
    for (size_t i = 0; i < nv; i++)
        if (p[i].fold != skip) { correct += p[i].mated != 0; n_train++; }
    if (n_train == 0) return 0;
    size_t i = 0;
    while (p[i].fold == skip) i++;
    best = correct;
    best_t = p[i].s;
    while (i < nv) {
        double v = p[i].s;
        while (i < nv && p[i].s == v) {
            if (p[i].fold != skip) correct = correct + (p[i].mated == 0) - (p[i].mated != 0);
            i++;
        }
        while (i < nv && p[i].fold == skip) i++;
        double t = i < nv ? split(v, p[i].s) : nextafter(v, INFINITY);
        if (correct > best) { best = correct; best_t = t; }
    }
    *t_out = best_t;
    return 1;
}

int bex_kfold_accuracy(const double *score, const int *mated, const int *fold, size_t n,
                       int n_folds, bex_kfold_result *out, char *err, size_t errlen) {
    if (n == 0) return bex__fail(err, errlen, BEX_ERR_ARG, "no pairs");
    if (!score || !mated || !fold || !out)
        return bex__fail(err, errlen, BEX_ERR_ARG, "NULL argument");
    if (n_folds < 2 || n_folds > BEX_KFOLD_MAX)
        return bex__fail(err, errlen, BEX_ERR_ARG, "%d folds: must be 2..%d", n_folds,
                         BEX_KFOLD_MAX);
    bex_kfold_result r;
    memset(&r, 0, sizeof r);
    r.folds = n_folds;
    size_t nv = 0;
    for (size_t i = 0; i < n; i++) {
        if (fold[i] < 0 || fold[i] >= n_folds)
            return bex__fail(err, errlen, BEX_ERR_ARG, "pair %zu: fold %d is not in 0..%d", i,
                             fold[i], n_folds - 1);
        if (isinf(score[i]))
            return bex__fail(err, errlen, BEX_ERR_ARG, "pair %zu: score is infinite", i);
        r.pairs[fold[i]]++;
        if (isnan(score[i])) { r.failures[fold[i]]++; r.failures_total++; }
        else nv++;
    }
    for (int f = 0; f < n_folds; f++)
        if (r.pairs[f] == 0)
            return bex__fail(err, errlen, BEX_ERR_ARG, "fold %d has no pairs", f);
    size_t bytes;
    if (!bex__mul_size(nv ? nv : 1, sizeof(scored_pair), &bytes))
        return bex__fail(err, errlen, BEX_ERR_NOMEM, "too many pairs");
    scored_pair *p = bex__malloc(bytes);
    if (!p) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for %zu pairs", nv);
    size_t j = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(score[i])) { p[j].s = score[i]; p[j].mated = mated[i] != 0; p[j].fold = fold[i]; j++; }
    qsort(p, nv, sizeof *p, cmp_pair);

    double sum = 0;
    for (int f = 0; f < n_folds; f++) {
        double t;
        if (!best_threshold(p, nv, f, &t)) {
            bex__free(p);
            return bex__fail(err, errlen, BEX_ERR_ARG,
                             "the folds other than %d have no scored pair to set a threshold", f);
        }
        size_t correct = 0;
        for (size_t i = 0; i < nv; i++)
            if (p[i].fold == f) correct += p[i].mated ? p[i].s >= t : p[i].s < t;
        r.threshold[f] = t;
        r.accuracy[f] = (double)correct / (double)r.pairs[f]; /* failures: wrong */
        sum += r.accuracy[f];
    }
    bex__free(p);
    r.mean = sum / n_folds;
    double sq = 0;
    for (int f = 0; f < n_folds; f++) sq += (r.accuracy[f] - r.mean) * (r.accuracy[f] - r.mean);
    r.sd = sqrt(sq / (n_folds - 1));
    *out = r;
    return BEX_OK;
}

/* ---- Clopper-Pearson --------------------------------------------------------------------- */

/* The continued fraction of the incomplete beta function (modified Lentz, as in Numerical
 * Recipes' betacf); converges fast for x < (a + 1) / (a + b + 2). */
static double betacf(double a, double b, double x) {
    const double tiny = 1e-300, eps = 1e-16;
    double qab = a + b, qap = a + 1, qam = a - 1;
    double c = 1, d = 1 - qab * x / qap;
    if (fabs(d) < tiny) d = tiny;
    d = 1 / d;
    double h = d;
    for (long m = 1; m <= 10000000; m++) {
        double m2 = 2.0 * (double)m;
        double aa = (double)m * (b - (double)m) * x / ((qam + m2) * (a + m2));
        d = 1 + aa * d;
        if (fabs(d) < tiny) d = tiny;
        c = 1 + aa / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1 / d;
        h *= d * c;
        aa = -(a + (double)m) * (qab + (double)m) * x / ((a + m2) * (qap + m2));
        d = 1 + aa * d;
        if (fabs(d) < tiny) d = tiny;
        c = 1 + aa / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < eps) break;
    }
    return h;
}

static double lgam(double x) {
    int sign;
    return lgamma_r(x, &sign); /* lgamma() writes the global signgam: not reentrant */
}

/* lgamma(x) - Stirling's (x - 0.5) log x - x + 0.5 log(2 pi), for x >= 10 (error < 1e-12). */
static double stirling_delta(double x) {
    double r = 1 / x, r2 = r * r;
    return r * (1.0 / 12 - r2 * (1.0 / 360 - r2 * (1.0 / 1260 - r2 / 1680)));
}

/* log B(a, b) = lgamma(a) + lgamma(b) - lgamma(a + b), a, b > 0. With a = n - k near 1e9 the
 * three lgammas are near 2e10 and their difference would lose ~1e-6 to rounding, so for
 * large arguments the Stirling terms are combined first, with log1p (as R's lbeta does). */
static double lbeta(double a, double b) {
    double p = a < b ? a : b, q = a < b ? b : a; /* p <= q */
    if (p >= 10) {
        double corr = stirling_delta(p) + stirling_delta(q) - stirling_delta(p + q);
        const double half_log_2pi = 0.91893853320467274178;
        return half_log_2pi - 0.5 * log(q) + corr + (p - 0.5) * log(p / (p + q)) +
               q * log1p(-p / (p + q));
    }
    if (q >= 10) {
        double corr = stirling_delta(q) - stirling_delta(p + q);
        return lgam(p) + corr + p - p * log(p + q) + (q - 0.5) * log1p(-p / (p + q));
    }
    return lgam(p) + lgam(q) - lgam(p + q);
}

/* The regularized incomplete beta I_x(a, b), given x and y = 1 - x separately so that a tiny
 * y (a tiny error rate) keeps its precision. */
static double ibeta(double a, double b, double x, double y) {
    if (x <= 0) return 0;
    if (y <= 0) return 1;
    double lbt = a * log(x) + b * log(y) - lbeta(a, b);
    if (x < (a + 1) / (a + b + 2)) return exp(lbt) * betacf(a, b, x) / a;
    return 1 - exp(lbt) * betacf(b, a, y) / b;
}

/* P(X <= k) for X ~ Binomial(n, p), k < n: I_{1-p}(n - k, k + 1). */
static double binom_cdf(double k, double n, double p) {
    return ibeta(n - k, k + 1, 1 - p, p);
}

int bex_error_rate_upper_bound(size_t k, size_t n, double confidence, double *upper,
                               char *err, size_t errlen) {
    if (n == 0) return bex__fail(err, errlen, BEX_ERR_ARG, "no trials");
    if (k > n) return bex__fail(err, errlen, BEX_ERR_ARG, "%zu errors in %zu trials", k, n);
    if (!(confidence > 0 && confidence < 1))
        return bex__fail(err, errlen, BEX_ERR_ARG, "confidence %g is not in (0, 1)", confidence);
    if (!upper) return bex__fail(err, errlen, BEX_ERR_ARG, "NULL output");
    double alpha = 1 - confidence;
    if (k == n) { *upper = 1; return BEX_OK; }
    if (k == 0) { /* (1 - p)^n = alpha */
        *upper = -expm1(log(alpha) / (double)n);
        return BEX_OK;
    }
    /* The CDF falls from 1 at p = 0 to 0 at p = 1: bisect until the interval cannot shrink. */
    double lo = 0, hi = 1, dk = (double)k, dn = (double)n;
    for (int it = 0; it < 2000; it++) {
        double mid = lo + (hi - lo) / 2;
        if (mid <= lo || mid >= hi) break;
        if (binom_cdf(dk, dn, mid) > alpha) lo = mid;
        else hi = mid;
    }
    *upper = hi;
    return BEX_OK;
}

int bex_binomial_tails(size_t k, size_t n, double p, double *upper, double *lower, char *err,
                       size_t errlen) {
    if (n == 0) return bex__fail(err, errlen, BEX_ERR_ARG, "no trials");
    if (k > n) return bex__fail(err, errlen, BEX_ERR_ARG, "%zu events in %zu trials", k, n);
    if (!(p > 0 && p < 1)) return bex__fail(err, errlen, BEX_ERR_ARG, "probability %g is not in (0, 1)", p);
    double dk = (double)k, dn = (double)n;
    /* P(X >= k) = 1 - P(X <= k - 1) = I_p(k, n - k + 1); P(X <= k) = I_{1-p}(n - k, k + 1) */
    double up = k == 0 ? 1 : ibeta(dk, dn - dk + 1, p, 1 - p);
    double lo = k == n ? 1 : binom_cdf(dk, dn, p);
    if (upper) *upper = up < 0 ? 0 : up > 1 ? 1 : up;
    if (lower) *lower = lo < 0 ? 0 : lo > 1 ? 1 : lo;
    return BEX_OK;
}

/* ---- identification --------------------------------------------------------------------- */

static int check_probes(const bex_probe_result *p, size_t n, size_t *n_mated,
                        size_t *n_nonmated, char *err, size_t errlen) {
    if (n == 0) return bex__fail(err, errlen, BEX_ERR_ARG, "no probes");
    if (!p) return bex__fail(err, errlen, BEX_ERR_ARG, "probes: NULL array of %zu", n);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i].mated) {
            m++;
            if (p[i].mate_rank < 0)
                return bex__fail(err, errlen, BEX_ERR_ARG, "probe %zu: mate rank %d", i,
                                 p[i].mate_rank);
            if (p[i].mate_rank > 0 && !isfinite(p[i].mate_score))
                return bex__fail(err, errlen, BEX_ERR_ARG,
                                 "probe %zu: the mate's score is not a finite number", i);
        } else if (isnan(p[i].top_score) || p[i].top_score == INFINITY) {
            return bex__fail(err, errlen, BEX_ERR_ARG,
                             "probe %zu: top score is %s (-INFINITY means no candidate)", i,
                             isnan(p[i].top_score) ? "NaN" : "+infinity");
        }
    }
    *n_mated = m;
    *n_nonmated = n - m;
    return BEX_OK;
}

/* The non-mated probes' top scores, or the mated probes' mate scores at rank <= rank
 * (-INFINITY when not there), in a new array released with bex__free. */
static int probe_scores(const bex_probe_result *p, size_t n, int want_mated, int rank,
                        size_t count, double **out, char *err, size_t errlen) {
    size_t bytes;
    if (!bex__mul_size(count ? count : 1, sizeof(double), &bytes))
        return bex__fail(err, errlen, BEX_ERR_NOMEM, "too many probes");
    double *s = bex__malloc(bytes);
    if (!s) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for %zu probes", count);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if ((p[i].mated != 0) != want_mated) continue;
        if (!want_mated) s[j++] = p[i].top_score;
        else s[j++] = (p[i].mate_rank >= 1 && p[i].mate_rank <= rank) ? p[i].mate_score : -INFINITY;
    }
    *out = s;
    return BEX_OK;
}

int bex_fpir(const bex_probe_result *probes, size_t n, double threshold, double *fpir,
             char *err, size_t errlen) {
    size_t nm, nn;
    int rc = check_probes(probes, n, &nm, &nn, err, errlen);
    if (rc) return rc;
    if (nn == 0) return bex__fail(err, errlen, BEX_ERR_ARG, "FPIR needs a non-mated probe");
    if (isnan(threshold)) return bex__fail(err, errlen, BEX_ERR_ARG, "threshold is NaN");
    if (!fpir) return bex__fail(err, errlen, BEX_ERR_ARG, "NULL output");
    size_t fp = 0;
    for (size_t i = 0; i < n; i++) fp += !probes[i].mated && probes[i].top_score >= threshold;
    *fpir = (double)fp / (double)nn;
    return BEX_OK;
}

int bex_threshold_for_fpir(const bex_probe_result *probes, size_t n, double target_fpir,
                           double *threshold, double *achieved_fpir, char *err, size_t errlen) {
    size_t nm, nn;
    double *s = NULL;
    int rc = check_probes(probes, n, &nm, &nn, err, errlen);
    if (rc) return rc;
    if (nn == 0) return bex__fail(err, errlen, BEX_ERR_ARG, "FPIR needs a non-mated probe");
    if ((rc = check_target(target_fpir, "FPIR", err, errlen))) return rc;
    if (!threshold) return bex__fail(err, errlen, BEX_ERR_ARG, "NULL output");
    if ((rc = probe_scores(probes, n, 0, 0, nn, &s, err, errlen))) return rc;
    qsort(s, nn, sizeof *s, cmp_double);
    rc = threshold_for_rate(s, nn, target_fpir, "an FPIR of", "non-mated probes", threshold,
                            achieved_fpir, err, errlen);
    bex__free(s);
    return rc;
}

int bex_fnir(const bex_probe_result *probes, size_t n, int rank, double threshold, double *fnir,
             char *err, size_t errlen) {
    size_t nm, nn;
    int rc = check_probes(probes, n, &nm, &nn, err, errlen);
    if (rc) return rc;
    if (nm == 0) return bex__fail(err, errlen, BEX_ERR_ARG, "FNIR needs a mated probe");
    if (rank < 1) return bex__fail(err, errlen, BEX_ERR_ARG, "rank %d: must be >= 1", rank);
    if (isnan(threshold)) return bex__fail(err, errlen, BEX_ERR_ARG, "threshold is NaN");
    if (!fnir) return bex__fail(err, errlen, BEX_ERR_ARG, "NULL output");
    size_t hits = 0;
    for (size_t i = 0; i < n; i++)
        hits += probes[i].mated && probes[i].mate_rank >= 1 && probes[i].mate_rank <= rank &&
                probes[i].mate_score >= threshold;
    *fnir = (double)(nm - hits) / (double)nm; /* as the DET sweep counts, to the last bit */
    return BEX_OK;
}

int bex_hit_rate(const bex_probe_result *probes, size_t n, int rank, double *rate, char *err,
                 size_t errlen) {
    size_t nm, nn;
    int rc = check_probes(probes, n, &nm, &nn, err, errlen);
    if (rc) return rc;
    if (nm == 0) return bex__fail(err, errlen, BEX_ERR_ARG, "the hit rate needs a mated probe");
    if (rank < 1) return bex__fail(err, errlen, BEX_ERR_ARG, "rank %d: must be >= 1", rank);
    if (!rate) return bex__fail(err, errlen, BEX_ERR_ARG, "NULL output");
    size_t hits = 0;
    for (size_t i = 0; i < n; i++)
        hits += probes[i].mated && probes[i].mate_rank >= 1 && probes[i].mate_rank <= rank;
    *rate = (double)hits / (double)nm;
    return BEX_OK;
}

int bex_ident_det_curve(const bex_probe_result *probes, size_t n, int rank, bex_det_point *out,
                        size_t cap, size_t *n_out, char *err, size_t errlen) {
    size_t nm, nn;
    double *ms = NULL, *qs = NULL;
    int rc = check_probes(probes, n, &nm, &nn, err, errlen);
    if (rc) return rc;
    if (nm == 0 || nn == 0)
        return bex__fail(err, errlen, BEX_ERR_ARG,
                         "a DET curve needs mated and non-mated probes (%zu and %zu)", nm, nn);
    if (rank < 1) return bex__fail(err, errlen, BEX_ERR_ARG, "rank %d: must be >= 1", rank);
    if (!n_out) return bex__fail(err, errlen, BEX_ERR_ARG, "NULL n_out");
    if ((rc = probe_scores(probes, n, 1, rank, nm, &ms, err, errlen))) return rc;
    if ((rc = probe_scores(probes, n, 0, rank, nn, &qs, err, errlen)) == BEX_OK)
        rc = det_from_sets(ms, nm, qs, nn, out, cap, n_out, err, errlen);
    bex__free(ms);
    bex__free(qs);
    return rc;
}
