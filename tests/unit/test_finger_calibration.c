/*
 * test_finger_calibration.c - the finger comparator's calibrated threshold (finger.h,
 * src/finger/calibration.c) over the table `bex eval finger --calibrate` generated
 * (src/finger/calibration_table.h): whatever the table's numbers, a request gets the row of the
 * largest target at or below it, thresholds rise as the FMR falls, the evidence is consistent
 * (false matches / comparisons = the measured FMR <= target <= its upper bound's reach), and a
 * target below the table or out of range is refused with a reason.
 */
#include <math.h>
#include <string.h>

#include "bex/finger.h"
#include "finger/calibration_table.h"
#include "test.h"

TEST(rows_are_consistent) {
    if (FINGER_CAL_N == 0) SKIP("no table generated yet");
    for (int i = 0; i < FINGER_CAL_N; i++) {
        const bex__finger_cal_row *r = &FINGER_CAL_ROWS[i];
        CHECK(r->fmr_measured <= r->target * (1 + 1e-6)); /* targets are printed with 6 digits */
        CHECK_NEAR(r->fmr_measured, (double)r->false_matches / (double)FINGER_CAL_COMPARISONS, 1e-6);
        CHECK(r->fmr_upper95 >= r->fmr_measured && r->fmr_upper95 <= 1);
        CHECK(r->fnmr >= 0 && r->fnmr <= 1);
        CHECK(r->target * (double)FINGER_CAL_COMPARISONS >= 10); /* 10 expected false matches */
        if (i) {
            CHECK(r->target < FINGER_CAL_ROWS[i - 1].target);
            CHECK(r->threshold >= FINGER_CAL_ROWS[i - 1].threshold);
            CHECK(r->fnmr >= FINGER_CAL_ROWS[i - 1].fnmr);
        }
    }
}

TEST(operating_points) {
    if (FINGER_CAL_N == 0) SKIP("no table generated yet");
    bex_finger_operating_point op;
    char err[256];
    /* the default, 0.001, is in the table (the FVC2002 supports it) */
    CHECK(bex_finger_operating_point_verify(BEX_FINGER_DEFAULT_FMR, &op, err, sizeof err) == BEX_OK);
    CHECK(op.fmr <= BEX_FINGER_DEFAULT_FMR * 1.001 && op.fmr > BEX_FINGER_DEFAULT_FMR * 0.79);
    CHECK(!strcmp(op.name, "FMR 0.001") && op.comparisons == FINGER_CAL_COMPARISONS && op.evidence && op.evidence[0]);
    CHECK(op.false_matches == (unsigned long long)llround(op.fmr_measured * (double)op.comparisons));
    /* between two rows: the stricter one, with its higher threshold */
    const bex__finger_cal_row *a = &FINGER_CAL_ROWS[0], *b = &FINGER_CAL_ROWS[FINGER_CAL_N > 1 ? 1 : 0];
    double mid = (a->target + b->target) / 2;
    CHECK(bex_finger_operating_point_verify(mid, &op, err, sizeof err) == BEX_OK);
    CHECK(op.target == mid && op.fmr == b->target && op.threshold == b->threshold);
    /* above the table's highest: its highest row */
    CHECK(bex_finger_operating_point_verify(0.5, &op, err, sizeof err) == BEX_OK && op.fmr == a->target);
    float t;
    double m;
    CHECK(bex_finger_threshold(BEX_FINGER_DEFAULT_FMR, &t, &m, err, sizeof err) == BEX_OK);
    CHECK(t > 0 && m <= BEX_FINGER_DEFAULT_FMR);
    /* below the evidence, or not a rate */
    double low = FINGER_CAL_ROWS[FINGER_CAL_N - 1].target;
    CHECK(bex_finger_operating_point_verify(low / 10, &op, err, sizeof err) == BEX_ERR_ARG);
    CHECK(strstr(err, "below the lowest calibrated FMR") != NULL);
    CHECK(bex_finger_operating_point_verify(0, &op, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_finger_operating_point_verify(1.5, &op, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_finger_operating_point_verify(NAN, &op, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_finger_operating_point_verify(0.01, NULL, err, sizeof err) == BEX_ERR_ARG);
}

int main(void) {
    RUN(rows_are_consistent);
    RUN(operating_points);
    return test_summary();
}
