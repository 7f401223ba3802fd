/*
 * calibration.c - the finger comparator's threshold for a target FMR, from the table
 * `bex eval finger --fvc2002 ROOT --calibrate src/finger/calibration_table.h` generates on
 * FVC2002 DB1-DB4 B (cli/eval_finger.c). The same rule as the face table
 * (src/face/calibration.c): the largest calibrated target at or below the FMR asked for, so
 * the FMR given is never looser than the one asked; below the lowest row there is no evidence,
 * and the caller is told so rather than handed an extrapolated threshold.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bex/finger.h"
#include "finger/calibration_table.h"

static const size_t N_ROWS = FINGER_CAL_N; /* a variable: 0 rows must not warn */

int bex_finger_operating_point_verify(double fmr, bex_finger_operating_point *op, char *err, size_t errlen) {
    if (!op || !(fmr > 0 && fmr < 1)) {
        snprintf(err, errlen, "a target false match rate is a number between 0 and 1 (got %g)", fmr);
        return BEX_ERR_ARG;
    }
    if (N_ROWS == 0) {
        snprintf(err, errlen, "the finger comparator has no calibrated threshold yet: make the table with the FVC2002 "
                              "evaluation and rebuild (docs/fingerprints.md, \"The calibrated threshold\")");
        return BEX_ERR_UNSUPPORTED;
    }
    /* rows run from the highest target down; the targets are printed with 6 digits, so a
     * relative slack of 1e-9 only absorbs the rounding of a decimal like 0.001 */
    const bex__finger_cal_row *r = NULL;
    for (size_t i = 0; i < N_ROWS; i++)
        if (FINGER_CAL_ROWS[i].target <= fmr * (1 + 1e-9)) { r = &FINGER_CAL_ROWS[i]; break; }
    if (!r) {
        snprintf(err, errlen,
                 "FMR %g is below the lowest calibrated FMR (%g): FVC2002's %llu non-mated comparisons cannot "
                 "support it (at least 10 expected false matches are needed)",
                 fmr, FINGER_CAL_ROWS[N_ROWS - 1].target, (unsigned long long)FINGER_CAL_COMPARISONS);
        return BEX_ERR_ARG;
    }
    memset(op, 0, sizeof *op);
    op->target = fmr;
    op->fmr = r->target;
    op->threshold = r->threshold;
    op->fmr_measured = r->fmr_measured;
    op->fmr_upper95 = r->fmr_upper95;
    op->fnmr_measured = r->fnmr;
    op->heldout_fmr = r->heldout_fmr;
    op->comparisons = FINGER_CAL_COMPARISONS;
    op->false_matches = r->false_matches;
    snprintf(op->name, sizeof op->name, "FMR %g", r->target);
    op->evidence = FINGER_CAL_EVIDENCE;
    return BEX_OK;
}

int bex_finger_threshold(double fmr, float *threshold, double *fmr_measured, char *err, size_t errlen) {
    bex_finger_operating_point op;
    int rc = bex_finger_operating_point_verify(fmr, &op, err, errlen);
    if (rc != BEX_OK) return rc;
    if (threshold) *threshold = op.threshold;
    if (fmr_measured) *fmr_measured = op.fmr_measured;
    return BEX_OK;
}
