/*
 * calibrate.c - the FMR -> threshold table from any set of non-mated scores, and the drift
 * test of live scores against it (include/bex/calibration.h, "calibration on a deployment's
 * own data"). The method is the LFW calibration's (cli/calibrate.c, docs/evaluation.md):
 * scores binned at 1e-5, forty targets a decade, at least 10 expected false matches a target.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "bex/calibration.h"
#include "bex/eval.h"
#include "util/util.h"

#define BINS 200000 /* bin width 1e-5 over similarity -1 .. 1 */

static int bin_of(float s) {
    int b = (int)floor(((double)s + 1.0) * (BINS / 2));
    return b < 0 ? 0 : b >= BINS ? BINS - 1 : b;
}
static double edge_of(int b) { return -1.0 + (double)b * (2.0 / BINS); }

/* at[b] = scores in bin b or above; at[BINS] = 0. */
static void suffix(const uint64_t *h, uint64_t *at) {
    at[BINS] = 0;
    for (int b = BINS - 1; b >= 0; b--) at[b] = at[b + 1] + h[b];
}

/* The lowest bin whose at-or-above count is at most target x total. */
static int bin_for_rate(const uint64_t *at, double target) {
    double allowed = target * (double)at[0];
    int lo = 0, hi = BINS;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if ((double)at[mid] <= allowed) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

unsigned long long bex_calib_comparisons_needed(double fmr) {
    if (!(fmr > 0)) return 0;
    return (unsigned long long)ceil(BEX_CALIB_MIN_EXPECTED / fmr * (1 - 1e-12));
}

const bex_calib_row *bex_calib_table_row(const bex_calib_table *t, double fmr) {
    if (!t) return NULL;
    for (size_t i = 0; i < t->n_rows; i++)
        if (t->rows[i].target <= fmr * (1 + 1e-9)) return &t->rows[i];
    return NULL;
}

enum { H_NM, H_A, H_B, H_M, H_COUNT };

int bex_calib_table_from_scores(const float *nonmated, const signed char *half, size_t n, const float *mated,
                                size_t n_mated, unsigned long long min_comparisons, bex_calib_table *out, char *err,
                                size_t errlen) {
    if (!out || (n && !nonmated) || (n_mated && !mated))
        return bex__fail(err, errlen, BEX_ERR_ARG, "bex_calib_table_from_scores: NULL argument");
    unsigned long long need = min_comparisons ? min_comparisons : bex_calib_comparisons_needed(BEX_DEFAULT_FMR);
    unsigned long long floor_need = bex_calib_comparisons_needed(0.1);
    if (need < floor_need) need = floor_need;
    if ((unsigned long long)n < need)
        return bex__fail(err, errlen, BEX_ERR_UNSUPPORTED,
                         "%zu non-mated comparisons, %llu needed: an FMR of f needs at least %.0f / f (FMR %.3g needs "
                         "%llu) so that its 95%% bound is within a factor of 1.7",
                         n, need, BEX_CALIB_MIN_EXPECTED, BEX_CALIB_MIN_EXPECTED / (double)need, need);
    for (size_t i = 0; i < n; i++)
        if (isnan(nonmated[i])) return bex__fail(err, errlen, BEX_ERR_ARG, "non-mated score %zu is not a number", i);
    for (size_t i = 0; i < n_mated; i++)
        if (isnan(mated[i])) return bex__fail(err, errlen, BEX_ERR_ARG, "mated score %zu is not a number", i);
    uint64_t *hist = bex__calloc((size_t)H_COUNT * BINS, sizeof *hist);
    uint64_t *at = bex__malloc(sizeof *at * (size_t)H_COUNT * (BINS + 1));
    if (!hist || !at) {
        bex__free(hist);
        bex__free(at);
        return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for the score histograms");
    }
    for (size_t i = 0; i < n; i++) {
        int b = bin_of(nonmated[i]);
        hist[(size_t)H_NM * BINS + b]++;
        if (half && half[i] == 0) hist[(size_t)H_A * BINS + b]++;
        else if (half && half[i] == 1) hist[(size_t)H_B * BINS + b]++;
    }
    for (size_t i = 0; i < n_mated; i++) hist[(size_t)H_M * BINS + bin_of(mated[i])]++;
    for (int h = 0; h < H_COUNT; h++) suffix(hist + (size_t)h * BINS, at + (size_t)h * (BINS + 1));
    const uint64_t *at_nm = at, *at_a = at + (BINS + 1), *at_b = at + 2 * (size_t)(BINS + 1),
                   *at_m = at + 3 * (size_t)(BINS + 1);
    memset(out, 0, sizeof *out);
    out->nonmated = at_nm[0];
    out->mated = at_m[0];
    out->half_a = at_a[0];
    out->half_b = at_b[0];
    char e2[128];
    for (int k = BEX_CALIB_ROWS_PER_DECADE; k < 9 * BEX_CALIB_ROWS_PER_DECADE && out->n_rows < BEX_CALIB_MAX_ROWS; k++) {
        double target = pow(10.0, -(double)k / BEX_CALIB_ROWS_PER_DECADE);
        if (target * (double)at_nm[0] < BEX_CALIB_MIN_EXPECTED * (1 - 1e-9)) break;
        bex_calib_row *r = &out->rows[out->n_rows++];
        int b = bin_for_rate(at_nm, target);
        r->target = target;
        r->threshold = edge_of(b);
        r->false_matches = at_nm[b];
        r->fmr = (double)at_nm[b] / (double)at_nm[0];
        if (bex_error_rate_upper_bound((size_t)at_nm[b], (size_t)at_nm[0], 0.95, &r->upper95, e2, sizeof e2) != BEX_OK)
            r->upper95 = NAN;
        r->fnmr = at_m[0] ? (double)(at_m[0] - at_m[b]) / (double)at_m[0] : NAN;
        if (at_a[0] && at_b[0]) {
            int ba = bin_for_rate(at_a, target);
            r->heldout_threshold = edge_of(ba);
            r->heldout_false = at_b[ba];
            r->heldout_fmr = (double)at_b[ba] / (double)at_b[0];
        } else {
            r->heldout_threshold = NAN;
            r->heldout_fmr = NAN;
        }
    }
    bex__free(hist);
    bex__free(at);
    return BEX_OK;
}

int bex_drift_test(const float *scores, size_t n, double threshold, double fmr, double alpha,
                   unsigned long long min_comparisons, bex_drift *out, char *err, size_t errlen) {
    if (!out || (n && !scores)) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_drift_test: NULL argument");
    if (!(fmr > 0 && fmr < 1)) return bex__fail(err, errlen, BEX_ERR_ARG, "a false match rate in (0, 1) is needed (got %g)", fmr);
    if (alpha == 0) alpha = BEX_DRIFT_ALPHA;
    if (!(alpha > 0 && alpha < 1)) return bex__fail(err, errlen, BEX_ERR_ARG, "a test level in (0, 1) is needed (got %g)", alpha);
    if (isnan(threshold)) return bex__fail(err, errlen, BEX_ERR_ARG, "the threshold is not a number");
    bex_drift d;
    memset(&d, 0, sizeof d);
    d.fmr = fmr;
    d.threshold = threshold;
    d.alpha = alpha;
    for (size_t i = 0; i < n; i++) {
        if (isnan(scores[i])) return bex__fail(err, errlen, BEX_ERR_ARG, "score %zu is not a number", i);
        if ((double)scores[i] >= threshold) d.above++;
    }
    d.comparisons = n;
    d.p_high = d.p_low = 1;
    if (n) {
        d.observed = (double)d.above / (double)n;
        d.ratio = d.observed / fmr;
        int rc = bex_binomial_tails((size_t)d.above, n, fmr, &d.p_high, &d.p_low, err, errlen);
        if (rc != BEX_OK) return rc;
    }
    unsigned long long need = min_comparisons ? min_comparisons : bex_calib_comparisons_needed(fmr);
    d.enough = n > 0 && (unsigned long long)n >= need;
    if (d.enough) {
        if (d.p_high < alpha / 2) d.alarm = 1, d.direction = 1;
        else if (d.p_low < alpha / 2) d.alarm = 1, d.direction = -1;
    }
    *out = d;
    return BEX_OK;
}
