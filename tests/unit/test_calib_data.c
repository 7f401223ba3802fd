/*
 * test_calib_data.c - calibration from a deployment's own scores and the drift test
 * (include/bex/calibration.h, second half): tables from synthetic score sets whose quantiles
 * are known, the refusal when there are too few comparisons, the held-out check, the binomial
 * tails, and the drift alarm on a shifted distribution but not on an unshifted one. Every
 * random draw has a fixed seed.
 */
#include <stdint.h>

#include "bex/calibration.h"
#include "bex/eval.h"
#include "test.h"

static uint64_t rng_s;
static double unit(void) {
    rng_s ^= rng_s << 13;
    rng_s ^= rng_s >> 7;
    rng_s ^= rng_s << 17;
    return ((rng_s >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}
static double gauss(void) {
    double u = unit(), v = unit();
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}
static float *normal_scores(size_t n, double mean, double sd, uint64_t seed) {
    rng_s = seed;
    float *s = malloc(sizeof *s * n);
    for (size_t i = 0; i < n; i++) s[i] = (float)(mean + sd * gauss());
    return s;
}

static bex_calib_table table;

TEST(comparisons_needed) {
    CHECK(bex_calib_comparisons_needed(0.1) == 100);
    CHECK(bex_calib_comparisons_needed(1e-3) == 10000);
    CHECK(bex_calib_comparisons_needed(1e-6) == 10000000);
}

TEST(uniform_scores_known_quantiles) {
    size_t n = 100000;
    float *s = malloc(sizeof *s * n);
    for (size_t i = 0; i < n; i++) s[i] = (float)((double)i / (double)n); /* uniform on [0, 1) */
    char err[256];
    CHECK(bex_calib_table_from_scores(s, NULL, n, NULL, 0, 0, &table, err, sizeof err) == BEX_OK);
    CHECK(table.nonmated == n && table.mated == 0);
    /* rows from 0.1 while n x f >= 10: 0.1 .. 1e-4, forty a decade */
    CHECK(table.n_rows == 121);
    CHECK_NEAR(table.rows[0].target, 0.1, 1e-12);
    CHECK_NEAR(table.rows[table.n_rows - 1].target, 1e-4, 1e-12);
    static const double f[] = {0.1, 0.01, 0.001, 1e-4};
    for (int k = 0; k < 4; k++) {
        const bex_calib_row *r = bex_calib_table_row(&table, f[k]);
        CHECK(r != NULL);
        if (!r) continue;
        CHECK_NEAR(r->target, f[k], 1e-12);
        CHECK_NEAR(r->threshold, 1 - f[k], 2e-5); /* the (1 - f) quantile of U[0, 1) */
        CHECK(r->false_matches <= (unsigned long long)(f[k] * n + 0.5));
        CHECK(r->false_matches + 2 >= (unsigned long long)(f[k] * n));
        CHECK(r->upper95 > r->fmr && r->upper95 < 1.8 * f[k]);
        CHECK(isnan(r->fnmr) && isnan(r->heldout_fmr));
    }
    CHECK(bex_calib_table_row(&table, 5e-5) == NULL); /* below what 100,000 comparisons support */
    const bex_calib_row *mid = bex_calib_table_row(&table, 0.0015);
    CHECK(mid && mid->target <= 0.0015 && mid->target > 0.0015 / 1.07); /* the stricter row */
    free(s);
}

TEST(normal_scores_held_out_and_fnmr) {
    size_t n = 400000, nm = 20000;
    float *s = normal_scores(n, 0, 0.09, 42);
    float *m = normal_scores(nm, 0.6, 0.1, 43);
    signed char *half = malloc(n);
    rng_s = 44;
    for (size_t i = 0; i < n; i++) half[i] = (signed char)(unit() < 0.25 ? 0 : unit() < 0.33 ? 1 : -1);
    char err[256];
    CHECK(bex_calib_table_from_scores(s, half, n, m, nm, 0, &table, err, sizeof err) == BEX_OK);
    CHECK(table.half_a > n / 5 && table.half_b > n / 5 && table.half_a + table.half_b < n);
    const bex_calib_row *r = bex_calib_table_row(&table, 1e-3);
    CHECK(r != NULL);
    if (r) {
        CHECK_NEAR(r->threshold, 0.09 * 3.0902, 0.01); /* z(0.999) = 3.0902 */
        CHECK(r->heldout_fmr > 0.6e-3 && r->heldout_fmr < 1.5e-3);
        CHECK(r->fnmr > 0.0005 && r->fnmr < 0.01); /* P(N(0.6, 0.1) < 0.278) = 0.0006 */
    }
    r = bex_calib_table_row(&table, 1e-2);
    CHECK(r && fabs(r->threshold - 0.09 * 2.3263) < 0.005);
    free(s);
    free(m);
    free(half);
}

TEST(refuses_too_few) {
    float *s = normal_scores(5000, 0, 0.09, 7);
    char err[256] = "";
    CHECK(bex_calib_table_from_scores(s, NULL, 5000, NULL, 0, 0, &table, err, sizeof err) == BEX_ERR_UNSUPPORTED);
    CHECK(strstr(err, "5000 non-mated comparisons, 10000 needed") != NULL);
    /* a smaller floor: calibrated down to FMR 0.002 only (5000 x f >= 10) */
    CHECK(bex_calib_table_from_scores(s, NULL, 5000, NULL, 0, 1000, &table, err, sizeof err) == BEX_OK);
    CHECK(table.n_rows > 0 && table.rows[table.n_rows - 1].target >= 0.002 * (1 - 1e-9));
    CHECK(bex_calib_table_row(&table, 1e-3) == NULL);
    /* never below the 100 the 0.1 row needs */
    CHECK(bex_calib_table_from_scores(s, NULL, 50, NULL, 0, 10, &table, err, sizeof err) == BEX_ERR_UNSUPPORTED);
    s[3] = NAN;
    CHECK(bex_calib_table_from_scores(s, NULL, 5000, NULL, 0, 1000, &table, err, sizeof err) == BEX_ERR_ARG);
    free(s);
}

TEST(binomial_tails) {
    double up, lo;
    char err[128];
    CHECK(bex_binomial_tails(8, 10, 0.5, &up, &lo, err, sizeof err) == BEX_OK);
    CHECK_NEAR(up, 56.0 / 1024, 1e-12);       /* P(X >= 8) */
    CHECK_NEAR(lo, 1 - 11.0 / 1024, 1e-12);   /* P(X <= 8) */
    CHECK(bex_binomial_tails(0, 1000, 0.01, &up, &lo, err, sizeof err) == BEX_OK);
    CHECK_NEAR(up, 1, 1e-15);
    CHECK_NEAR(lo, pow(0.99, 1000), 1e-12);
    CHECK(bex_binomial_tails(11, 10, 0.5, &up, &lo, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_binomial_tails(1, 10, 0, &up, &lo, err, sizeof err) == BEX_ERR_ARG);
}

TEST(drift_alarm) {
    /* calibrate on N(0, 0.09), then watch FMR 0.01 */
    size_t n = 400000, w = 20000;
    float *cal = normal_scores(n, 0, 0.09, 1);
    char err[256];
    CHECK(bex_calib_table_from_scores(cal, NULL, n, NULL, 0, 0, &table, err, sizeof err) == BEX_OK);
    const bex_calib_row *r = bex_calib_table_row(&table, 0.01);
    CHECK(r != NULL);
    if (!r) return;
    bex_drift d;
    /* the same population, fresh draws: no alarm */
    for (uint64_t seed = 100; seed < 105; seed++) {
        float *live = normal_scores(w, 0, 0.09, seed);
        CHECK(bex_drift_test(live, w, r->threshold, 0.01, 0, 0, &d, err, sizeof err) == BEX_OK);
        CHECK(d.enough && !d.alarm && d.direction == 0);
        CHECK(d.comparisons == w && d.ratio > 0.8 && d.ratio < 1.2);
        free(live);
    }
    /* impostor scores risen by 0.03 (another camera): about 2.3 times the false matches */
    float *up = normal_scores(w, 0.03, 0.09, 200);
    CHECK(bex_drift_test(up, w, r->threshold, 0.01, 0, 0, &d, err, sizeof err) == BEX_OK);
    CHECK(d.enough && d.alarm && d.direction == 1 && d.ratio > 1.8 && d.p_high < 1e-6);
    /* too few in the window: no verdict */
    CHECK(bex_drift_test(up, 500, r->threshold, 0.01, 0, 0, &d, err, sizeof err) == BEX_OK);
    CHECK(!d.enough && !d.alarm);
    free(up);
    /* a narrower distribution: fewer above, the threshold is stricter than needed */
    float *down = normal_scores(w, 0, 0.07, 300);
    CHECK(bex_drift_test(down, w, r->threshold, 0.01, 0, 0, &d, err, sizeof err) == BEX_OK);
    CHECK(d.enough && d.alarm && d.direction == -1);
    free(down);
    CHECK(bex_drift_test(cal, 10, r->threshold, 0, 0, 0, &d, err, sizeof err) == BEX_ERR_ARG);
    free(cal);
}

int main(void) {
    RUN(comparisons_needed);
    RUN(uniform_scores_known_quantiles);
    RUN(normal_scores_held_out_and_fnmr);
    RUN(refuses_too_few);
    RUN(binomial_tails);
    RUN(drift_alarm);
    return test_summary();
}
