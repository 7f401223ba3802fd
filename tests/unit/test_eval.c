/*
 * test_eval.c - unit tests of the evaluation metrics (ISO/IEC 19795-1) and their files: each
 * metric on small hand-made score sets whose answers are worked out in the comments, the
 * errors for empty or NaN input, Clopper-Pearson bounds against independently computed
 * values, and the SVG/CSV writers' output and all-or-nothing behaviour.
 */
#include <dirent.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bex/eval.h"
#include "test.h"
#include "util/util.h"

/* The running example. Sorted, the scores are
 *   non-mated 0.2 0.3 0.4 0.5 0.65          mated 0.6 0.7 0.8 0.9            */
static const double M[] = {0.9, 0.8, 0.7, 0.6};
static const double N[] = {0.65, 0.5, 0.4, 0.3, 0.2};

/* ---- verification ------------------------------------------------------------------------ */

TEST(fmr_fnmr_at_thresholds) {
    double fmr = -1, fnmr = -1;
    char err[256] = "";
    /* t = 0.5: non-mated >= 0.5 are 0.65, 0.5 -> FMR 2/5; no mated below -> FNMR 0 */
    CHECK(bex_fmr_fnmr(M, 4, N, 5, 0.5, &fmr, &fnmr, err, sizeof err) == BEX_OK);
    CHECK_NEAR(fmr, 0.4, 1e-15);
    CHECK_NEAR(fnmr, 0.0, 1e-15);
    /* t = 0.62: non-mated only 0.65 -> FMR 1/5; mated 0.6 < 0.62 -> FNMR 1/4 */
    CHECK(bex_fmr_fnmr(M, 4, N, 5, 0.62, &fmr, &fnmr, err, sizeof err) == BEX_OK);
    CHECK_NEAR(fmr, 0.2, 1e-15);
    CHECK_NEAR(fnmr, 0.25, 1e-15);
    /* t = 0.6: a score equal to the threshold matches: FMR 1/5 (0.65), FNMR 0 (0.6 >= 0.6) */
    CHECK(bex_fmr_fnmr(M, 4, N, 5, 0.6, &fmr, &fnmr, err, sizeof err) == BEX_OK);
    CHECK_NEAR(fmr, 0.2, 1e-15);
    CHECK_NEAR(fnmr, 0.0, 1e-15);
    /* t = 0.65: FMR 1/5 (0.65 >= 0.65), FNMR 1/4 (0.6) */
    CHECK(bex_fmr_fnmr(M, 4, N, 5, 0.65, &fmr, &fnmr, err, sizeof err) == BEX_OK);
    CHECK_NEAR(fmr, 0.2, 1e-15);
    CHECK_NEAR(fnmr, 0.25, 1e-15);
    /* t = 0.75: FMR 0, FNMR 2/4 (0.7, 0.6) */
    CHECK(bex_fmr_fnmr(M, 4, N, 5, 0.75, &fmr, &fnmr, err, sizeof err) == BEX_OK);
    CHECK_NEAR(fmr, 0.0, 1e-15);
    CHECK_NEAR(fnmr, 0.5, 1e-15);
    /* the ends: t = 0.1 accepts all (FMR 1, FNMR 0), t = 0.95 none (FMR 0, FNMR 1) */
    CHECK(bex_fmr_fnmr(M, 4, N, 5, 0.1, &fmr, &fnmr, err, sizeof err) == BEX_OK);
    CHECK(fmr == 1 && fnmr == 0);
    CHECK(bex_fmr_fnmr(M, 4, N, 5, 0.95, &fmr, &fnmr, err, sizeof err) == BEX_OK);
    CHECK(fmr == 0 && fnmr == 1);
}

TEST(threshold_for_fmr_and_tar) {
    double t = 0, fmr = -1, tar = -1, t2 = 0;
    char err[256] = "";
    /* target 0.2 with 5 non-mated: k = floor(0.2 * 5) = 1 false match allowed, so the
     * threshold goes just above the 2nd highest, 0.5: FMR = 1/5 (0.65) */
    CHECK(bex_threshold_for_fmr(N, 5, 0.2, &t, &fmr, err, sizeof err) == BEX_OK);
    CHECK(t > 0.5 && t == nextafter(0.5, 1));
    CHECK_NEAR(fmr, 0.2, 1e-15);
    /* target 0.3: k = floor(1.5) = 1, the same threshold */
    CHECK(bex_threshold_for_fmr(N, 5, 0.3, &t, &fmr, err, sizeof err) == BEX_OK);
    CHECK(t == nextafter(0.5, 1));
    /* target 0.4: k = 2, just above the 3rd highest, 0.4: FMR 2/5 */
    CHECK(bex_threshold_for_fmr(N, 5, 0.4, &t, &fmr, err, sizeof err) == BEX_OK);
    CHECK(t == nextafter(0.4, 1));
    CHECK_NEAR(fmr, 0.4, 1e-15);
    /* TAR at FAR 0.2: threshold just above 0.5, every mated score (>= 0.6) passes: TAR 1 */
    CHECK(bex_tar_at_far(M, 4, N, 5, 0.2, &tar, &t2, err, sizeof err) == BEX_OK);
    CHECK_NEAR(tar, 1.0, 1e-15);
    CHECK(t2 == nextafter(0.5, 1));
    /* target 0.1 needs ceil(1 / 0.1) = 10 comparisons; there are 5 */
    err[0] = 0;
    t = 42;
    CHECK(bex_threshold_for_fmr(N, 5, 0.1, &t, &fmr, err, sizeof err) == BEX_ERR_ARG);
    CHECK(strstr(err, "10") != NULL);
    CHECK(t == 42); /* outputs untouched on failure */
    CHECK(bex_tar_at_far(M, 4, N, 5, 0.1, &tar, NULL, err, sizeof err) == BEX_ERR_ARG);
    /* 1e-3 needs 1000 */
    CHECK(bex_threshold_for_fmr(N, 5, 1e-3, &t, &fmr, err, sizeof err) == BEX_ERR_ARG);
    CHECK(strstr(err, "1000") != NULL);
    /* targets outside (0, 1) */
    CHECK(bex_threshold_for_fmr(N, 5, 0, &t, &fmr, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_threshold_for_fmr(N, 5, 1, &t, &fmr, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_threshold_for_fmr(N, 5, NAN, &t, &fmr, err, sizeof err) == BEX_ERR_ARG);
}

TEST(ties) {
    double t, fmr, fnmr, eer, et;
    char err[256];
    /* non-mated {0.5, 0.5, 0.4}, target 0.34: k = floor(1.02) = 1, the 2nd highest is 0.5;
     * above it both 0.5s are rejected, so the achieved FMR is 0 (< target): ties cost FMR. */
    const double n3[] = {0.5, 0.5, 0.4};
    CHECK(bex_threshold_for_fmr(n3, 3, 0.34, &t, &fmr, err, sizeof err) == BEX_OK);
    CHECK(t == nextafter(0.5, 1));
    CHECK(fmr == 0);
    /* at t = 0.5 exactly both tied scores match: FMR 2/3 */
    const double m1[] = {0.5};
    CHECK(bex_fmr_fnmr(m1, 1, n3, 3, 0.5, &fmr, &fnmr, err, sizeof err) == BEX_OK);
    CHECK_NEAR(fmr, 2.0 / 3, 1e-15);
    CHECK(fnmr == 0);
    /* EER with a tie across the sets: mated {0.5, 0.7}, non-mated {0.5, 0.3}.
     *   t = 0.3: FMR 1,   FNMR 0    (d = FNMR - FMR = -1)
     *   t = 0.5: FMR 1/2, FNMR 0    (d = -0.5)
     *   t = 0.7: FMR 0,   FNMR 1/2  (d = +0.5)
     * d crosses 0 halfway from 0.5 to 0.7: EER = 0.5 + 0.5 * (0 - 0.5) = 0.25, t = 0.6 */
    const double m2[] = {0.5, 0.7}, n2[] = {0.5, 0.3};
    CHECK(bex_eer(m2, 2, n2, 2, &eer, &et, err, sizeof err) == BEX_OK);
    CHECK_NEAR(eer, 0.25, 1e-12);
    CHECK_NEAR(et, 0.6, 1e-12);
}

TEST(eer) {
    double eer = -1, t = -1;
    char err[256];
    /* From the DET points (below): t = 0.6: FMR 0.2, FNMR 0 (d = -0.2); t = 0.65: FMR 0.2,
     * FNMR 0.25 (d = +0.05). a = 0.2 / 0.25 = 0.8 of the way: EER = 0.2 + 0.8 * 0 = 0.2
     * (= FNMR 0 + 0.8 * 0.25), threshold = 0.6 + 0.8 * 0.05 = 0.64 */
    CHECK(bex_eer(M, 4, N, 5, &eer, &t, err, sizeof err) == BEX_OK);
    CHECK_NEAR(eer, 0.2, 1e-12);
    CHECK_NEAR(t, 0.64, 1e-12);
    /* perfectly separated sets: d = 0 exactly at t = 0.6 (FMR 0, FNMR 0): EER 0 */
    const double m[] = {0.6, 0.9}, n[] = {0.1, 0.2};
    CHECK(bex_eer(m, 2, n, 2, &eer, &t, err, sizeof err) == BEX_OK);
    CHECK(eer == 0);
    CHECK_NEAR(t, 0.6, 1e-15);
    /* reversed sets, mated {0.1, 0.2}, non-mated {0.6, 0.9}: (FMR, FNMR) is (1, 0) at
     * t = 0.1, (1, 1/2) at 0.2, (1, 1) at 0.6 where d = 0: EER 1, the worst possible */
    CHECK(bex_eer(n, 2, m, 2, &eer, &t, err, sizeof err) == BEX_OK);
    CHECK(eer == 1);
    /* all mated tied at the top with a non-mated: mated {0.9}, non-mated {0.9, 0.1}:
     * t=0.1 (1, 0) d=-1; t=0.9 (1/2, 0) d=-1/2; above 0.9 (0, 1) d=+1: a = 1/3,
     * EER = 1/2 + 1/3 * (0 - 1/2) = 1/3 */
    const double m9[] = {0.9}, n9[] = {0.9, 0.1};
    CHECK(bex_eer(m9, 1, n9, 2, &eer, &t, err, sizeof err) == BEX_OK);
    CHECK_NEAR(eer, 1.0 / 3, 1e-12);
}

TEST(det_curve) {
    char err[256];
    size_t n = 0;
    /* distinct thresholds 0.2 0.3 0.4 0.5 0.6 0.65 0.7 0.8 0.9:
     *   FMR  = #{non-mated >= t} / 5: 1, .8, .6, .4, .2, .2, 0, 0, 0
     *   FNMR = #{mated < t} / 4:      0, 0, 0, 0, 0, .25, .25, .5, .75 */
    static const double t_[] = {0.2, 0.3, 0.4, 0.5, 0.6, 0.65, 0.7, 0.8, 0.9};
    static const double fmr[] = {1, .8, .6, .4, .2, .2, 0, 0, 0};
    static const double fnmr[] = {0, 0, 0, 0, 0, .25, .25, .5, .75};
    CHECK(bex_det_curve(M, 4, N, 5, NULL, 0, &n, err, sizeof err) == BEX_OK);
    CHECK(n == 9);
    bex_det_point p[9];
    size_t n2 = 0;
    CHECK(bex_det_curve(M, 4, N, 5, p, 8, &n2, err, sizeof err) == BEX_ERR_ARG);
    CHECK(n2 == 0);
    CHECK(bex_det_curve(M, 4, N, 5, p, 9, &n2, err, sizeof err) == BEX_OK);
    CHECK(n2 == 9);
    for (size_t i = 0; i < 9 && i < n2; i++) {
        CHECK(p[i].threshold == t_[i]);
        CHECK_NEAR(p[i].fpr, fmr[i], 1e-15);
        CHECK_NEAR(p[i].fnr, fnmr[i], 1e-15);
    }
    /* a tie between the sets is one point: mated {0.5}, non-mated {0.5} -> (0.5: 1, 0) */
    const double a[] = {0.5};
    CHECK(bex_det_curve(a, 1, a, 1, p, 9, &n2, err, sizeof err) == BEX_OK);
    CHECK(n2 == 1 && p[0].fpr == 1 && p[0].fnr == 0);
}

TEST(bad_input_is_an_error) {
    char err[256];
    double a, b;
    size_t n;
    const double withnan[] = {0.9, NAN, 0.7};
    const double withinf[] = {0.9, INFINITY};
    err[0] = 0;
    CHECK(bex_fmr_fnmr(M, 0, N, 5, 0.5, &a, &b, err, sizeof err) == BEX_ERR_ARG);
    CHECK(strstr(err, "mated") != NULL);
    CHECK(bex_fmr_fnmr(M, 4, N, 0, 0.5, &a, &b, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_fmr_fnmr(NULL, 4, N, 5, 0.5, &a, &b, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_fmr_fnmr(M, 4, N, 5, NAN, &a, &b, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_fmr_fnmr(withnan, 3, N, 5, 0.5, &a, &b, err, sizeof err) == BEX_ERR_ARG);
    CHECK(strstr(err, "NaN") != NULL && strstr(err, "1") != NULL);
    CHECK(bex_fmr_fnmr(M, 4, withinf, 2, 0.5, &a, &b, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_eer(M, 4, NULL, 0, &a, &b, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_eer(withnan, 3, N, 5, &a, &b, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_eer(M, 4, N, 5, NULL, &b, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_det_curve(M, 4, withnan, 3, NULL, 0, &n, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_det_curve(M, 4, N, 5, NULL, 0, NULL, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_threshold_for_fmr(withnan, 3, 0.5, &a, &b, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_threshold_for_fmr(NULL, 0, 0.5, &a, &b, NULL, 0) == BEX_ERR_ARG); /* no err */
    CHECK(bex_tar_at_far(M, 0, N, 5, 0.5, &a, &b, err, sizeof err) == BEX_ERR_ARG);
}

/* ---- k-fold accuracy --------------------------------------------------------------------- */

/* 10 folds of 4 pairs: mated 0.8, 0.9 and non-mated 0.1, 0.2 (pair 4f + i). */
static void separable(double *s, int *m, int *f) {
    static const double sc[4] = {0.8, 0.9, 0.1, 0.2};
    for (int i = 0; i < 40; i++) { s[i] = sc[i % 4]; m[i] = i % 4 < 2; f[i] = i / 4; }
}

TEST(kfold_separable) {
    double s[40];
    int m[40], f[40];
    separable(s, m, f);
    bex_kfold_result r;
    char err[256];
    /* every training set has scores 0.1, 0.2 (non-mated) and 0.8, 0.9 (mated): the best
     * threshold is the midpoint 0.5 (36/36 right), and every fold is then 4/4 right */
    CHECK(bex_kfold_accuracy(s, m, f, 40, 10, &r, err, sizeof err) == BEX_OK);
    CHECK(r.folds == 10);
    CHECK_NEAR(r.mean, 1.0, 1e-15);
    CHECK_NEAR(r.sd, 0.0, 1e-15);
    CHECK(r.failures_total == 0);
    for (int k = 0; k < 10; k++) {
        CHECK_NEAR(r.threshold[k], 0.5, 1e-15);
        CHECK(r.pairs[k] == 4);
    }
}

TEST(kfold_flipped_pair) {
    double s[40];
    int m[40], f[40];
    separable(s, m, f);
    s[3 * 4 + 3] = 0.85; /* fold 3's non-mated pair scoring 0.2 now scores 0.85 */
    bex_kfold_result r;
    char err[256];
    /* Fold 3 trains on nine clean folds: threshold 0.5; on fold 3, 0.8, 0.9 (mated) and 0.1
     * (non-mated) are right, 0.85 (non-mated) is accepted: 3/4 = 0.75.
     * Any other fold trains on 8 clean folds + fold 3: non-mated 0.1 x9, 0.2 x8, 0.85 x1,
     * mated 0.8 x9, 0.9 x9. Right answers by threshold: accept all 18; 0.15: 27; 0.5: 35;
     * 0.825: 26; 0.875: 27; above 0.9: 18. So 0.5 again, and the fold is 4/4.
     * mean = (9 * 1 + 0.75) / 10 = 0.975
     * sd = sqrt((9 * 0.025^2 + 0.225^2) / 9) = sqrt(0.05625 / 9) = sqrt(0.00625) = 0.0790569 */
    CHECK(bex_kfold_accuracy(s, m, f, 40, 10, &r, err, sizeof err) == BEX_OK);
    CHECK_NEAR(r.accuracy[3], 0.75, 1e-15);
    for (int k = 0; k < 10; k++) {
        if (k != 3) CHECK_NEAR(r.accuracy[k], 1.0, 1e-15);
        CHECK_NEAR(r.threshold[k], 0.5, 1e-15);
    }
    CHECK_NEAR(r.mean, 0.975, 1e-12);
    CHECK_NEAR(r.sd, sqrt(0.00625), 1e-12);
}

TEST(kfold_failures_count_as_errors) {
    double s[41];
    int m[41], f[41];
    separable(s, m, f);
    s[40] = NAN; /* a fifth, mated pair in fold 5 whose comparison failed */
    m[40] = 1;
    f[40] = 5;
    bex_kfold_result r;
    char err[256];
    /* fold 5: 4 right of 5 = 0.8; the others 1 (the NaN is no training score).
     * mean = (9 + 0.8) / 10 = 0.98; sd = sqrt((9 * 0.02^2 + 0.18^2) / 9) = sqrt(0.004) */
    CHECK(bex_kfold_accuracy(s, m, f, 41, 10, &r, err, sizeof err) == BEX_OK);
    CHECK(r.failures_total == 1);
    CHECK(r.failures[5] == 1 && r.pairs[5] == 5);
    CHECK(r.failures[4] == 0);
    CHECK_NEAR(r.accuracy[5], 0.8, 1e-15);
    CHECK_NEAR(r.mean, 0.98, 1e-12);
    CHECK_NEAR(r.sd, sqrt(0.004), 1e-12);
    /* a non-mated pair that failed is an error too */
    m[40] = 0;
    CHECK(bex_kfold_accuracy(s, m, f, 41, 10, &r, err, sizeof err) == BEX_OK);
    CHECK_NEAR(r.accuracy[5], 0.8, 1e-15);
}

TEST(kfold_bad_input) {
    double s[40];
    int m[40], f[40];
    bex_kfold_result r;
    char err[256];
    separable(s, m, f);
    f[7] = 10; /* fold ids are 0..9 */
    CHECK(bex_kfold_accuracy(s, m, f, 40, 10, &r, err, sizeof err) == BEX_ERR_ARG);
    CHECK(strstr(err, "pair 7") != NULL);
    separable(s, m, f);
    CHECK(bex_kfold_accuracy(s, m, f, 40, 11, &r, err, sizeof err) == BEX_ERR_ARG); /* fold 10 empty */
    CHECK(strstr(err, "fold 10") != NULL);
    CHECK(bex_kfold_accuracy(s, m, f, 40, 1, &r, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_kfold_accuracy(s, m, f, 0, 10, &r, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_kfold_accuracy(NULL, m, f, 40, 10, &r, err, sizeof err) == BEX_ERR_ARG);
    s[0] = -INFINITY;
    CHECK(bex_kfold_accuracy(s, m, f, 40, 10, &r, err, sizeof err) == BEX_ERR_ARG);
    /* every score failed: no threshold can be chosen */
    for (int i = 0; i < 40; i++) s[i] = NAN;
    CHECK(bex_kfold_accuracy(s, m, f, 40, 10, &r, err, sizeof err) == BEX_ERR_ARG);
}

/* ---- Clopper-Pearson --------------------------------------------------------------------- */

TEST(clopper_pearson) {
    /* Reference values: the one-sided bound p with P(X <= k | n, p) = 1 - confidence, by
     * bisection on the exact binomial sum in mpmath at 50 digits (not this code's beta). */
    static const struct { size_t k, n; double conf, want; } c[] = {
        {0, 3000, 0.95, 0.000998079011996587}, /* = 1 - 0.05^(1/3000); rule of 3: 0.001 */
        {1, 100, 0.95, 0.0465598114535389},
        {1, 100, 0.975, 0.0544593853920806},   /* the upper end of the two-sided 95% */
        {10, 1000, 0.95, 0.0169031751205625},
        {5, 1000000, 0.95, 1.05130059293987e-5},
        {50, 100, 0.95, 0.586378285369088},
        {3, 10, 0.95, 0.606624216105413},
        {2, 1000000000, 0.95, 6.29579360834927e-9},
        {1000, 1000000, 0.95, 0.00105357487745444},
        {5000, 10000, 0.95, 0.508273495596261},
    };
    char err[256];
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        double u = -1;
        CHECK(bex_error_rate_upper_bound(c[i].k, c[i].n, c[i].conf, &u, err, sizeof err) == BEX_OK);
        CHECK_NEAR(u / c[i].want, 1.0, 1e-9);
    }
    double u = -1;
    CHECK_NEAR(1 - pow(0.05, 1.0 / 3000), 0.000998079011996587, 1e-15);
    CHECK(bex_error_rate_upper_bound(7, 7, 0.95, &u, err, sizeof err) == BEX_OK && u == 1);
    CHECK(bex_error_rate_upper_bound(8, 7, 0.95, &u, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_error_rate_upper_bound(0, 0, 0.95, &u, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_error_rate_upper_bound(1, 10, 1.0, &u, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_error_rate_upper_bound(1, 10, NAN, &u, err, sizeof err) == BEX_ERR_ARG);
}

/* ---- identification ---------------------------------------------------------------------- */

/* Six mated probes (P1..P6) and four non-mated (Q1..Q4):
 *   P1 mate at rank 1, 0.9     P4 rank 3, 0.7        Q1 top 0.75    Q3 top 0.3
 *   P2 rank 1, 0.6             P5 not returned       Q2 top 0.55    Q4 no candidate
 *   P3 rank 2, 0.8             P6 rank 1, 0.4                                       */
static const bex_probe_result PR[] = {
    {1, 1, 0.9, 0.9}, {1, 1, 0.6, 0.6}, {1, 2, 0.8, 0.85}, {1, 3, 0.7, 0.95},
    {1, 0, 0, 0.5},   {1, 1, 0.4, 0.4}, {0, 0, 0, 0.75},   {0, 0, 0, 0.55},
    {0, 0, 0, 0.3},   {0, 0, 0, -INFINITY},
};

TEST(identification_rates) {
    char err[256];
    double v = -1, t, a;
    /* FPIR: top scores >= t among the 4 non-mated; -INFINITY never counts */
    CHECK(bex_fpir(PR, 10, 0.5, &v, err, sizeof err) == BEX_OK);
    CHECK_NEAR(v, 0.5, 1e-15);  /* 0.75, 0.55 */
    CHECK(bex_fpir(PR, 10, 0.6, &v, err, sizeof err) == BEX_OK);
    CHECK_NEAR(v, 0.25, 1e-15); /* 0.75 */
    CHECK(bex_fpir(PR, 10, -1, &v, err, sizeof err) == BEX_OK);
    CHECK_NEAR(v, 0.75, 1e-15); /* all but Q4 */
    /* threshold for FPIR 0.25: k = 1, just above the 2nd highest top score 0.55 */
    CHECK(bex_threshold_for_fpir(PR, 10, 0.25, &t, &a, err, sizeof err) == BEX_OK);
    CHECK(t == nextafter(0.55, 1));
    CHECK_NEAR(a, 0.25, 1e-15);
    /* FPIR 0.5: k = 2, above 0.3 */
    CHECK(bex_threshold_for_fpir(PR, 10, 0.5, &t, &a, err, sizeof err) == BEX_OK);
    CHECK(t == nextafter(0.3, 1));
    CHECK_NEAR(a, 0.5, 1e-15);
    /* FPIR 0.75: k = 3, above Q4's -INFINITY: the lowest finite double */
    CHECK(bex_threshold_for_fpir(PR, 10, 0.75, &t, &a, err, sizeof err) == BEX_OK);
    CHECK(t == -DBL_MAX);
    CHECK_NEAR(a, 0.75, 1e-15);
    /* FPIR 0.2 needs 5 non-mated probes */
    CHECK(bex_threshold_for_fpir(PR, 10, 0.2, &t, &a, err, sizeof err) == BEX_ERR_ARG);
    CHECK(strstr(err, "5") != NULL);
    /* FNIR(R=1, T=0.5): hits P1 (0.9), P2 (0.6): 1 - 2/6 */
    CHECK(bex_fnir(PR, 10, 1, 0.5, &v, err, sizeof err) == BEX_OK);
    CHECK_NEAR(v, 4.0 / 6, 1e-15);
    /* FNIR(R=3, T=0.5): + P3 (0.8 at 2), P4 (0.7 at 3): 1 - 4/6 */
    CHECK(bex_fnir(PR, 10, 3, 0.5, &v, err, sizeof err) == BEX_OK);
    CHECK_NEAR(v, 2.0 / 6, 1e-15);
    /* FNIR(R=1, T=0): P1, P2, P6: 1 - 3/6 */
    CHECK(bex_fnir(PR, 10, 1, 0, &v, err, sizeof err) == BEX_OK);
    CHECK_NEAR(v, 0.5, 1e-15);
    /* FNIR(R=20, T=0.85): P1 only: 5/6 */
    CHECK(bex_fnir(PR, 10, 20, 0.85, &v, err, sizeof err) == BEX_OK);
    CHECK_NEAR(v, 5.0 / 6, 1e-15);
    /* rank-1 (closed set, no threshold): P1, P2, P6 = 3/6; rank 3: + P3, P4 = 5/6 */
    CHECK(bex_hit_rate(PR, 10, 1, &v, err, sizeof err) == BEX_OK);
    CHECK_NEAR(v, 0.5, 1e-15);
    CHECK(bex_hit_rate(PR, 10, 3, &v, err, sizeof err) == BEX_OK);
    CHECK_NEAR(v, 5.0 / 6, 1e-15);
}

TEST(identification_det) {
    char err[256];
    /* R = 1: mate scores 0.9, 0.6, 0.4 (P3, P4, P5 never hit); non-mated tops 0.75, 0.55,
     * 0.3 (Q4 never). Thresholds 0.3 0.4 0.55 0.6 0.75 0.9:
     *   FPIR = #{top >= t} / 4:      .75 .5 .5 .25 .25 0
     *   FNIR = 1 - #{mate >= t} / 6: .5 .5 4/6 4/6 5/6 5/6 */
    static const double t_[] = {0.3, 0.4, 0.55, 0.6, 0.75, 0.9};
    static const double fpir[] = {.75, .5, .5, .25, .25, 0};
    static const double fnir[] = {.5, .5, 4.0 / 6, 4.0 / 6, 5.0 / 6, 5.0 / 6};
    bex_det_point p[10];
    size_t n = 0;
    CHECK(bex_ident_det_curve(PR, 10, 1, NULL, 0, &n, err, sizeof err) == BEX_OK);
    CHECK(n == 6);
    CHECK(bex_ident_det_curve(PR, 10, 1, p, 10, &n, err, sizeof err) == BEX_OK);
    CHECK(n == 6);
    for (size_t i = 0; i < 6 && i < n; i++) {
        double a, b;
        CHECK(p[i].threshold == t_[i]);
        CHECK_NEAR(p[i].fpr, fpir[i], 1e-15);
        CHECK_NEAR(p[i].fnr, fnir[i], 1e-15);
        /* and each point agrees with the single-threshold functions */
        CHECK(bex_fpir(PR, 10, t_[i], &a, err, sizeof err) == BEX_OK);
        CHECK(bex_fnir(PR, 10, 1, t_[i], &b, err, sizeof err) == BEX_OK);
        CHECK(a == p[i].fpr && b == p[i].fnr);
    }
}

TEST(identification_bad_input) {
    char err[256];
    double v;
    size_t n;
    bex_probe_result bad[2] = {{1, -1, 0.5, 0.5}, {0, 0, 0, 0.3}};
    CHECK(bex_fnir(bad, 2, 1, 0.5, &v, err, sizeof err) == BEX_ERR_ARG);
    bad[0].mate_rank = 1;
    bad[0].mate_score = NAN;
    CHECK(bex_fpir(bad, 2, 0.5, &v, err, sizeof err) == BEX_ERR_ARG);
    bad[0].mate_score = 0.5;
    bad[1].top_score = NAN;
    CHECK(bex_fpir(bad, 2, 0.5, &v, err, sizeof err) == BEX_ERR_ARG);
    CHECK(strstr(err, "probe 1") != NULL);
    CHECK(bex_fpir(PR, 0, 0.5, &v, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_fpir(PR, 6, 0.5, &v, err, sizeof err) == BEX_ERR_ARG);        /* no non-mated */
    CHECK(bex_fnir(PR + 6, 4, 1, 0.5, &v, err, sizeof err) == BEX_ERR_ARG); /* no mated */
    CHECK(bex_fnir(PR, 10, 0, 0.5, &v, err, sizeof err) == BEX_ERR_ARG);    /* rank 0 */
    CHECK(bex_hit_rate(PR, 10, 0, &v, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_ident_det_curve(PR, 6, 1, NULL, 0, &n, err, sizeof err) == BEX_ERR_ARG);
}

/* ---- files ------------------------------------------------------------------------------- */

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) { free(s); s = NULL; }
    if (s) s[n] = 0;
    fclose(f);
    return s;
}

static int count_entries(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

static int ends_with(const char *s, const char *tail) {
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && strcmp(s + a - b, tail) == 0;
}

static void rm_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

TEST(det_svg) {
    char dir[] = "/tmp/bex-eval-XXXXXX", path[256], err[256];
    if (!mkdtemp(dir)) SKIP("no temporary folder");
    snprintf(path, sizeof path, "%s/det.svg", dir);
    bex_det_point p[9];
    size_t n;
    CHECK(bex_det_curve(M, 4, N, 5, p, 9, &n, err, sizeof err) == BEX_OK);
    bex_det_point q[3] = {{0.5, 1e-3, 0.02}, {0.6, 1e-4, 0.05}, {0.4, 0.01, 0.004}};
    bex_det_series s[2] = {{"bex <faceapi> & \"co\"", p, n}, {"similarity", q, 3}};
    double marks[] = {1e-3, 0.2};
    bex_det_plot opt = {.title = "LFW \xff test", .marks = marks, .n_marks = 2};
    CHECK(bex_det_svg_write(path, &opt, s, 2, err, sizeof err) == BEX_OK);
    char *svg = slurp(path);
    CHECK(svg != NULL);
    if (svg) {
        CHECK(strncmp(svg, "<svg", 4) == 0);
        CHECK(ends_with(svg, "</svg>\n"));
        CHECK(strstr(svg, "bex &lt;faceapi&gt; &amp; &quot;co&quot;") != NULL);
        CHECK(strstr(svg, "<faceapi>") == NULL);
        CHECK(strstr(svg, "similarity") != NULL);
        CHECK(strstr(svg, "LFW ? test") != NULL); /* invalid UTF-8 replaced */
        CHECK(strstr(svg, "False match rate (FMR)") != NULL);
        CHECK(strstr(svg, "<circle") != NULL);  /* operating points marked */
        CHECK(strstr(svg, "FNMR 0.02 at FMR 0.001") != NULL); /* q's point at 1e-3 */
        free(svg);
    }
    CHECK(count_entries(dir) == 1); /* no temporary file left */
    /* bad input leaves the existing file alone */
    CHECK(bex_det_svg_write(path, &opt, s, 0, err, sizeof err) == BEX_ERR_ARG);
    bex_det_point bad = {0.5, 1.5, 0};
    bex_det_series sb = {"bad", &bad, 1};
    CHECK(bex_det_svg_write(path, &opt, &sb, 1, err, sizeof err) == BEX_ERR_ARG);
    CHECK(count_entries(dir) == 1);
    /* a folder that does not exist: BEX_ERR_IO naming the path, nothing created */
    char nope[300];
    snprintf(nope, sizeof nope, "%s/no-such-folder/det.svg", dir);
    err[0] = 0;
    CHECK(bex_det_svg_write(nope, NULL, s, 2, err, sizeof err) == BEX_ERR_IO);
    CHECK(strstr(err, nope) != NULL);
    CHECK(count_entries(dir) == 1);
    rm_dir(dir);
}

TEST(hist_svg_and_csv) {
    char dir[] = "/tmp/bex-eval-XXXXXX", path[256], err[256];
    if (!mkdtemp(dir)) SKIP("no temporary folder");
    snprintf(path, sizeof path, "%s/hist.svg", dir);
    bex_hist_plot ho = {.title = "scores", .bins = 10, .show_threshold = 1, .threshold = 0.64};
    CHECK(bex_hist_svg_write(path, &ho, M, 4, N, 5, err, sizeof err) == BEX_OK);
    char *svg = slurp(path);
    CHECK(svg != NULL);
    if (svg) {
        CHECK(strncmp(svg, "<svg", 4) == 0);
        CHECK(ends_with(svg, "</svg>\n"));
        CHECK(strstr(svg, "mated (n = 4)") != NULL);
        CHECK(strstr(svg, "non-mated (n = 5)") != NULL);
        CHECK(strstr(svg, "threshold 0.64") != NULL);
        CHECK(strstr(svg, "Density") != NULL);
        free(svg);
    }
    const double withnan[] = {0.5, NAN};
    CHECK(bex_hist_svg_write(path, NULL, withnan, 2, N, 5, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_hist_svg_write(path, NULL, M, 4, N, 0, err, sizeof err) == BEX_ERR_ARG);

    /* DET CSV: the first point is t = 0.2 (FMR 1, FNMR 0), 17 significant digits */
    snprintf(path, sizeof path, "%s/det.csv", dir);
    bex_det_point p[9];
    size_t n;
    CHECK(bex_det_curve(M, 4, N, 5, p, 9, &n, err, sizeof err) == BEX_OK);
    CHECK(bex_det_csv_write(path, BEX_RATES_VERIFICATION, p, n, err, sizeof err) == BEX_OK);
    char *csv = slurp(path);
    CHECK(csv != NULL);
    if (csv) {
        CHECK(strncmp(csv, "threshold,fmr,fnmr\n0.20000000000000001,1,0\n", 43) == 0);
        int lines = 0;
        for (char *c = csv; *c; c++) lines += *c == '\n';
        CHECK(lines == 10);
        free(csv);
    }
    CHECK(bex_det_csv_write(path, BEX_RATES_IDENTIFICATION, p, 1, err, sizeof err) == BEX_OK);
    csv = slurp(path);
    CHECK(csv && strncmp(csv, "threshold,fpir,fnir\n", 20) == 0);
    free(csv);

    /* per-threshold table at 0.65: FMR 1/5, FNMR 1/4, TAR 3/4; 1 false match in 5: the
     * one-sided 95% bound solves (1-p)^5 + 5p(1-p)^4 = 0.05 -> 0.657408 (mpmath) */
    snprintf(path, sizeof path, "%s/table.csv", dir);
    const double ts[] = {0.65, 0.95};
    CHECK(bex_threshold_csv_write(path, M, 4, N, 5, ts, 2, err, sizeof err) == BEX_OK);
    csv = slurp(path);
    CHECK(csv != NULL);
    if (csv) {
        char *row = strchr(csv, '\n');
        double t, fmr, fnmr, tar, up;
        unsigned long fm, nn, fnm, nm;
        CHECK(strncmp(csv, "threshold,fmr,fnmr,tar,", 23) == 0);
        CHECK(row && sscanf(row + 1, "%lf,%lf,%lf,%lf,%lu,%lu,%lu,%lu,%lf", &t, &fmr, &fnmr,
                            &tar, &fm, &nn, &fnm, &nm, &up) == 9);
        CHECK(t == 0.65 && fmr == 0.2 && fnmr == 0.25 && tar == 0.75);
        CHECK(fm == 1 && nn == 5 && fnm == 1 && nm == 4);
        double want;
        CHECK(bex_error_rate_upper_bound(1, 5, 0.95, &want, err, sizeof err) == BEX_OK);
        CHECK(up == want);
        CHECK_NEAR(up, 0.657408, 1e-6);
        free(csv);
    }
    const double tnan[] = {NAN};
    CHECK(bex_threshold_csv_write(path, M, 4, N, 5, tnan, 1, err, sizeof err) == BEX_ERR_ARG);
    CHECK(count_entries(dir) == 3);
    char nope[300];
    snprintf(nope, sizeof nope, "%s/missing/t.csv", dir);
    CHECK(bex_det_csv_write(nope, BEX_RATES_VERIFICATION, p, n, err, sizeof err) == BEX_ERR_IO);
    CHECK(strstr(err, nope) != NULL);
    CHECK(count_entries(dir) == 3);
    rm_dir(dir);
}

/* Every allocation failing in turn: an error (NOMEM), never a crash, a leak or a stray file. */
TEST(allocation_failures) {
    char dir[] = "/tmp/bex-eval-XXXXXX", path[256], err[256];
    if (!mkdtemp(dir)) SKIP("no temporary folder");
    snprintf(path, sizeof path, "%s/det.svg", dir);
    bex_det_point p[9];
    size_t n = 9;
    CHECK(bex_det_curve(M, 4, N, 5, p, 9, &n, err, sizeof err) == BEX_OK);
    bex_det_series s = {"a", p, n};
    double s40[40];
    int m40[40], f40[40];
    separable(s40, m40, f40);
    for (long k = 1; k <= 6; k++) {
        double e, t;
        bex_kfold_result r;
        int rc;
        bex__alloc_fail_after(k);
        rc = bex_eer(M, 4, N, 5, &e, &t, err, sizeof err);
        CHECK(rc == BEX_OK || rc == BEX_ERR_NOMEM);
        bex__alloc_fail_after(k);
        rc = bex_kfold_accuracy(s40, m40, f40, 40, 10, &r, err, sizeof err);
        CHECK(rc == BEX_OK || rc == BEX_ERR_NOMEM);
        bex__alloc_fail_after(k);
        rc = bex_threshold_for_fpir(PR, 10, 0.5, &t, &e, err, sizeof err);
        CHECK(rc == BEX_OK || rc == BEX_ERR_NOMEM);
        bex__alloc_fail_after(k);
        rc = bex_det_svg_write(path, NULL, &s, 1, err, sizeof err);
        CHECK(rc == BEX_OK || rc == BEX_ERR_NOMEM);
        CHECK(count_entries(dir) == (rc == BEX_OK));
        unlink(path);
    }
    bex__alloc_fail_after(0);
    rm_dir(dir);
}

/* FVC's EER interval and FMR100 / FMR1000 / ZeroFMR, worked by hand. */
TEST(fvc_rates) {
    bex_fvc_rates r;
    char err[256];
    /* genuine 0.5 0.6 0.7, impostor 0.4 0.65: (t, FNMR, FMR) = (0.4, 0, 1) (0.5, 0, 1/2)
     * (0.6, 1/3, 1/2) (0.65, 2/3, 1/2) (0.7, 2/3, 0) (above, 1, 0); t1 = 0.6, t2 = 0.65;
     * 1/3 + 1/2 <= 2/3 + 1/2, so [1/3, 1/2] at 0.6; the lowest FNMR at FMR 0 is 2/3 */
    const double g[] = {0.5, 0.6, 0.7}, q[] = {0.4, 0.65};
    CHECK(bex_fvc_measure(g, 3, q, 2, &r, err, sizeof err) == BEX_OK);
    CHECK_NEAR(r.eer_low, 1.0 / 3, 1e-12);
    CHECK_NEAR(r.eer_high, 0.5, 1e-12);
    CHECK_NEAR(r.eer, 5.0 / 12, 1e-12);
    CHECK_NEAR(r.eer_threshold, 0.6, 1e-12);
    CHECK_NEAR(r.fmr100, 2.0 / 3, 1e-12);
    CHECK_NEAR(r.fmr1000, 2.0 / 3, 1e-12);
    CHECK_NEAR(r.zero_fmr, 2.0 / 3, 1e-12);
    /* the t2 side: genuine 0.2 0.3, impostor 0.1 0.25 0.25 0.25: (0.1, 0, 1) (0.2, 0, 3/4)
     * (0.25, 1/2, 3/4) (0.3, 1/2, 0) (above, 1, 0); t1 = 0.25 sums 5/4, t2 = 0.3 sums 1/2:
     * [FMR(t2), FNMR(t2)] = [0, 1/2] */
    const double g2[] = {0.2, 0.3}, q2[] = {0.1, 0.25, 0.25, 0.25};
    CHECK(bex_fvc_measure(g2, 2, q2, 4, &r, err, sizeof err) == BEX_OK);
    CHECK_NEAR(r.eer_low, 0, 1e-12);
    CHECK_NEAR(r.eer_high, 0.5, 1e-12);
    CHECK_NEAR(r.eer, 0.25, 1e-12);
    CHECK_NEAR(r.eer_threshold, 0.3, 1e-12);
    /* a clean separation: EER 0, every FNMR 0 */
    const double g3[] = {0.8, 0.9}, q3[] = {0.1, 0.2, 0.3};
    CHECK(bex_fvc_measure(g3, 2, q3, 3, &r, err, sizeof err) == BEX_OK);
    CHECK(r.eer == 0 && r.fmr100 == 0 && r.zero_fmr == 0);
    /* ghosts: FVC scores a failure to enrol 0 against everything */
    const double g4[] = {0, 0.9, 0.9, 0.9}, q4[] = {0, 0, 0.1};
    CHECK(bex_fvc_measure(g4, 4, q4, 3, &r, err, sizeof err) == BEX_OK);
    CHECK_NEAR(r.zero_fmr, 0.25, 1e-12);
    CHECK(bex_fvc_measure(g, 0, q, 2, &r, err, sizeof err) == BEX_ERR_ARG);
    const double bad[] = {NAN};
    CHECK(bex_fvc_measure(g, 3, bad, 1, &r, err, sizeof err) == BEX_ERR_ARG);
}

int main(void) {
    RUN(fmr_fnmr_at_thresholds);
    RUN(threshold_for_fmr_and_tar);
    RUN(ties);
    RUN(eer);
    RUN(det_curve);
    RUN(fvc_rates);
    RUN(bad_input_is_an_error);
    RUN(kfold_separable);
    RUN(kfold_flipped_pair);
    RUN(kfold_failures_count_as_errors);
    RUN(kfold_bad_input);
    RUN(clopper_pearson);
    RUN(identification_rates);
    RUN(identification_det);
    RUN(identification_bad_input);
    RUN(det_svg);
    RUN(hist_svg_and_csv);
    RUN(allocation_failures);
    return test_summary();
}
