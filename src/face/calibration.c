/*
 * calibration.c - operating points of the bundled model (include/bex/calibration.h) from the
 * tables `bex eval calibrate` generated on LFW (calibration_similarity.inc,
 * calibration_faceapi.inc; regenerate them with the command in their first line).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bex/calibration.h"
#include "face/calibration_table.h"
#include "util/util.h"

#define CAL_ROWS sim_rows
#define CAL_FPIR sim_fpir
#define CAL_INFO sim_info
#include "face/calibration_similarity.inc"
#undef CAL_ROWS
#undef CAL_FPIR
#undef CAL_INFO
#define CAL_ROWS fa_rows
#define CAL_FPIR fa_fpir
#define CAL_INFO fa_info
#include "face/calibration_faceapi.inc"
#undef CAL_ROWS
#undef CAL_FPIR
#undef CAL_INFO

typedef struct cal_table {
    const bex__cal_row *rows;
    size_t n;
    const bex__cal_info *info;
} cal_table;

static cal_table table_for(bex_align align) {
    if (align == BEX_ALIGN_FACEAPI) return (cal_table){fa_rows, sizeof fa_rows / sizeof fa_rows[0], &fa_info};
    return (cal_table){sim_rows, sizeof sim_rows / sizeof sim_rows[0], &sim_info};
}

double bex_calibration_min_fmr(bex_align align) {
    cal_table t = table_for(align);
    return t.rows[t.n - 1].target;
}

const char *bex_calibration_evidence(bex_align align) { return table_for(align).info->evidence; }

/* Fills *out from the largest row target <= fmr (rows run from high to low targets). */
static int lookup(bex_align align, double fmr, bex_operating_point *out, const char *what, char *err,
                  size_t errlen) {
    cal_table t = table_for(align);
    if (fmr < t.rows[t.n - 1].target * (1 - 1e-9))
        return bex__fail(err, errlen, BEX_ERR_UNSUPPORTED,
                         "%s needs a false match rate of %.3g per comparison, below the %.3g the calibration "
                         "data supports (%llu non-mated comparisons on LFW); choose a higher rate, a smaller "
                         "gallery, or calibrate on a larger non-mated set",
                         what, fmr, t.rows[t.n - 1].target, t.info->comparisons);
    size_t i = 0;
    while (i + 1 < t.n && t.rows[i].target > fmr * (1 + 1e-9)) i++;
    const bex__cal_row *r = &t.rows[i];
    out->fmr = r->target;
    out->threshold = r->threshold;
    out->comparisons = t.info->comparisons;
    out->false_matches = r->false_matches;
    out->fmr_measured = (double)r->false_matches / (double)t.info->comparisons;
    out->fmr_upper95 = r->upper95;
    out->fnmr_measured = r->fnmr;
    out->heldout_fmr = r->heldout_fmr;
    return BEX_OK;
}

int bex_operating_point_verify(bex_align align, double fmr, bex_operating_point *out, char *err,
                               size_t errlen) {
    if (!out) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_operating_point_verify: NULL output");
    if (!(fmr > 0 && fmr <= 0.1))
        return bex__fail(err, errlen, BEX_ERR_ARG, "a target false match rate must be above 0 and at most 0.1 (got %g)", fmr);
    bex_operating_point op;
    memset(&op, 0, sizeof op);
    char what[64];
    snprintf(what, sizeof what, "FMR %g", fmr);
    int rc = lookup(align, fmr, &op, what, err, errlen);
    if (rc != BEX_OK) return rc;
    op.kind = BEX_OP_VERIFY;
    op.target = fmr;
    op.gallery_size = 1;
    snprintf(op.name, sizeof op.name, "FMR %g", fmr);
    *out = op;
    return BEX_OK;
}

int bex_operating_point_identify(bex_align align, double fpir, long long n, bex_operating_point *out,
                                 char *err, size_t errlen) {
    if (!out) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_operating_point_identify: NULL output");
    if (!(fpir > 0 && fpir <= 0.1))
        return bex__fail(err, errlen, BEX_ERR_ARG, "a target false positive identification rate must be above 0 and at most 0.1 (got %g)", fpir);
    if (n < 1) return bex__fail(err, errlen, BEX_ERR_ARG, "a gallery holds at least one person (got %lld)", n);
    /* a non-mated probe has n chances: 1 - (1 - fmr)^n = fpir */
    double fmr = -expm1(log1p(-fpir) / (double)n);
    bex_operating_point op;
    memset(&op, 0, sizeof op);
    char what[64];
    snprintf(what, sizeof what, "FPIR %g at N=%lld", fpir, n);
    int rc = lookup(align, fmr, &op, what, err, errlen);
    if (rc != BEX_OK) return rc;
    op.kind = BEX_OP_IDENTIFY;
    op.target = fpir;
    op.gallery_size = n;
    snprintf(op.name, sizeof op.name, "%s", what);
    *out = op;
    return BEX_OK;
}
