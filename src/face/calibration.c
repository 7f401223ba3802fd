/*
 * calibration.c - operating points of the bundled model (include/bex/calibration.h) from the
 * tables `bex eval calibrate` generated on LFW (calibration_similarity.inc,
 * calibration_faceapi.inc; regenerate them with the command in their first line).
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    const char *source; /* "LFW" for the compiled-in tables, else the calibration file */
} cal_table;

static cal_table table_for(bex_align align) {
    if (align == BEX_ALIGN_FACEAPI) return (cal_table){fa_rows, sizeof fa_rows / sizeof fa_rows[0], &fa_info, "LFW"};
    return (cal_table){sim_rows, sizeof sim_rows / sizeof sim_rows[0], &sim_info, "LFW"};
}

double bex_calibration_min_fmr(bex_align align) {
    cal_table t = table_for(align);
    return t.rows[t.n - 1].target;
}

const char *bex_calibration_evidence(bex_align align) { return table_for(align).info->evidence; }

/* Fills *out from the largest row target <= fmr (rows run from high to low targets). */
static int lookup_in(const cal_table *tp, double fmr, bex_operating_point *out, const char *what, char *err,
                     size_t errlen) {
    cal_table t = *tp;
    if (fmr < t.rows[t.n - 1].target * (1 - 1e-9))
        return bex__fail(err, errlen, BEX_ERR_UNSUPPORTED,
                         "%s needs a false match rate of %.3g per comparison, below the %.3g the calibration "
                         "data supports (%llu non-mated comparisons on %s); choose a higher rate, a smaller "
                         "gallery, or calibrate on a larger non-mated set",
                         what, fmr, t.rows[t.n - 1].target, t.info->comparisons, t.source);
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

static int lookup(bex_align align, double fmr, bex_operating_point *out, const char *what, char *err,
                  size_t errlen) {
    cal_table t = table_for(align);
    return lookup_in(&t, fmr, out, what, err, errlen);
}

/* ---- a model's own calibration file */

#define CAL_FILE_MAX_BYTES (1 << 20)
#define CAL_FILE_MAX_ROWS 1000

typedef struct cal_file {
    bex__cal_row *rows;
    bex__cal_info info;
    cal_table t;
} cal_file;

static int load_cal_file(const bex_model *m, cal_file *cf, char *err, size_t errlen) {
    memset(cf, 0, sizeof *cf);
    FILE *f = fopen(m->calibration, "rb");
    if (!f)
        return bex__fail(err, errlen, BEX_ERR_UNSUPPORTED,
                         "model %s has no calibration (%s: %s): run `bex eval calibrate --model FILE` on non-mated "
                         "data before deciding at an operating point, or give an explicit --threshold",
                         m->identity, m->calibration, strerror(errno));
    char *text = bex__malloc(CAL_FILE_MAX_BYTES + 1);
    size_t len = text ? fread(text, 1, CAL_FILE_MAX_BYTES + 1, f) : 0;
    fclose(f);
    if (!text) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory");
    if (len > CAL_FILE_MAX_BYTES) {
        bex__free(text);
        return bex__fail(err, errlen, BEX_ERR_LIMIT, "%s is larger than %d bytes", m->calibration, CAL_FILE_MAX_BYTES);
    }
    cJSON *root = cJSON_ParseWithLength(text, len);
    bex__free(text);
    int rc = BEX_OK;
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    const cJSON *cmp = cJSON_GetObjectItemCaseSensitive(root, "comparisons");
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(root, "rows");
    int n = cJSON_GetArraySize(rows);
    if (!root || !cJSON_IsString(model) || !cJSON_IsNumber(cmp) || !(cmp->valuedouble >= 1) || !cJSON_IsArray(rows) ||
        n < 1 || n > CAL_FILE_MAX_ROWS) {
        rc = bex__fail(err, errlen, BEX_ERR_CORRUPT,
                       "%s is not a calibration table (model, comparisons and 1 to %d rows expected)", m->calibration,
                       CAL_FILE_MAX_ROWS);
    } else if (strcmp(model->valuestring, m->identity) != 0) {
        rc = bex__fail(err, errlen, BEX_ERR_UNSUPPORTED,
                       "%s calibrates model %.100s, not %s (other weights or preprocessing): run `bex eval calibrate "
                       "--model FILE` again", m->calibration, model->valuestring, m->identity);
    } else if (!(cf->rows = bex__calloc((size_t)n, sizeof *cf->rows))) {
        rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; rc == BEX_OK && i < n; i++) {
        const cJSON *r = cJSON_GetArrayItem(rows, i);
        double v[6];
        int ok = cJSON_IsArray(r) && cJSON_GetArraySize(r) == 6;
        for (int k = 0; ok && k < 6; k++) {
            const cJSON *x = cJSON_GetArrayItem(r, k);
            ok = cJSON_IsNumber(x) && isfinite(x->valuedouble);
            if (ok) v[k] = x->valuedouble;
        }
        /* targets in (0, 0.1], falling; thresholds -1..1, rising */
        ok = ok && v[0] > 0 && v[0] <= 0.1 && (i == 0 || v[0] < cf->rows[i - 1].target) && v[1] >= -1 && v[1] <= 1 &&
             (i == 0 || (float)v[1] >= cf->rows[i - 1].threshold) && v[2] >= 0; /* as stored: a float */
        if (!ok) {
            rc = bex__fail(err, errlen, BEX_ERR_CORRUPT,
                           "%s: row %d must be [target_fmr, threshold, false_matches, fmr_upper95, fnmr, heldout_fmr], "
                           "targets falling and thresholds rising", m->calibration, i + 1);
            break;
        }
        cf->rows[i] = (bex__cal_row){v[0], (float)v[1], (unsigned long long)v[2], v[3], v[4], v[5]};
    }
    if (rc == BEX_OK) {
        cf->info.comparisons = (unsigned long long)cmp->valuedouble;
        cf->t = (cal_table){cf->rows, (size_t)n, &cf->info, m->calibration};
    } else {
        bex__free(cf->rows);
        cf->rows = NULL;
    }
    cJSON_Delete(root);
    return rc;
}

int bex_operating_point_verify_model(const bex_model *m, bex_align align, double fmr, bex_operating_point *out,
                                     char *err, size_t errlen) {
    if (!m) return bex_operating_point_verify(align, fmr, out, err, errlen);
    if (!out) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_operating_point_verify_model: NULL output");
    if (!(fmr > 0 && fmr <= 0.1))
        return bex__fail(err, errlen, BEX_ERR_ARG, "a target false match rate must be above 0 and at most 0.1 (got %g)", fmr);
    cal_file cf;
    int rc = load_cal_file(m, &cf, err, errlen);
    if (rc != BEX_OK) return rc;
    bex_operating_point op;
    memset(&op, 0, sizeof op);
    snprintf(op.name, sizeof op.name, "FMR %g", fmr);
    rc = lookup_in(&cf.t, fmr, &op, op.name, err, errlen);
    bex__free(cf.rows);
    if (rc != BEX_OK) return rc;
    op.kind = BEX_OP_VERIFY;
    op.target = fmr;
    op.gallery_size = 1;
    *out = op;
    return BEX_OK;
}

int bex_operating_point_identify_model(const bex_model *m, bex_align align, double fpir, long long n,
                                       bex_operating_point *out, char *err, size_t errlen) {
    if (!m) return bex_operating_point_identify(align, fpir, n, out, err, errlen);
    if (!out) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_operating_point_identify_model: NULL output");
    if (!(fpir > 0 && fpir <= 0.1))
        return bex__fail(err, errlen, BEX_ERR_ARG, "a target false positive identification rate must be above 0 and at most 0.1 (got %g)", fpir);
    if (n < 1) return bex__fail(err, errlen, BEX_ERR_ARG, "a gallery holds at least one person (got %lld)", n);
    cal_file cf;
    int rc = load_cal_file(m, &cf, err, errlen);
    if (rc != BEX_OK) return rc;
    double fmr = -expm1(log1p(-fpir) / (double)n);
    bex_operating_point op;
    memset(&op, 0, sizeof op);
    snprintf(op.name, sizeof op.name, "FPIR %g at N=%lld", fpir, n);
    rc = lookup_in(&cf.t, fmr, &op, op.name, err, errlen);
    bex__free(cf.rows);
    if (rc != BEX_OK) return rc;
    op.kind = BEX_OP_IDENTIFY;
    op.target = fpir;
    op.gallery_size = n;
    *out = op;
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

int bex_calibration_save_model(const bex_model *m, const bex_calibration_row *rows, size_t n,
                               unsigned long long comparisons, const char *evidence, char *err, size_t errlen) {
    if (!m || !rows || !m->identity[0] || !m->calibration[0])
        return bex__fail(err, errlen, BEX_ERR_ARG, "bex_calibration_save_model: a loaded model and rows are needed");
    if (n < 1 || n > CAL_FILE_MAX_ROWS || comparisons < 1)
        return bex__fail(err, errlen, BEX_ERR_ARG, "a calibration table has 1 to %d rows and at least one comparison",
                         CAL_FILE_MAX_ROWS);
    for (size_t i = 0; i < n; i++) {
        const bex_calibration_row *r = &rows[i];
        if (!(r->target > 0 && r->target <= 0.1) || !(r->threshold >= -1 && r->threshold <= 1) ||
            (i && !(r->target < rows[i - 1].target && r->threshold >= rows[i - 1].threshold)) ||
            !isfinite(r->upper95) || !isfinite(r->fnmr) || !isfinite(r->heldout_fmr))
            return bex__fail(err, errlen, BEX_ERR_ARG,
                             "calibration row %zu: targets in (0, 0.1] falling, thresholds in [-1, 1] rising", i + 1);
    }
    cJSON *root = cJSON_CreateObject(), *arr = cJSON_CreateArray();
    int ok = root && arr && cJSON_AddStringToObject(root, "model", m->identity) &&
             cJSON_AddNumberToObject(root, "comparisons", (double)comparisons) &&
             cJSON_AddStringToObject(root, "evidence", evidence ? evidence : "");
    if (ok) cJSON_AddItemToObject(root, "rows", arr);
    else cJSON_Delete(arr);
    for (size_t i = 0; ok && i < n; i++) {
        const bex_calibration_row *r = &rows[i];
        double v[6] = {r->target, r->threshold, (double)r->false_matches, r->upper95, r->fnmr, r->heldout_fmr};
        cJSON *row = cJSON_CreateDoubleArray(v, 6);
        ok = row && cJSON_AddItemToArray(arr, row);
    }
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!text) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory");
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", m->calibration);
    FILE *f = fopen(tmp, "wb");
    int bad = !f || fputs(text, f) < 0 || fputc('\n', f) == EOF || fflush(f) != 0 || fsync(fileno(f)) != 0;
    if (f && fclose(f) != 0) bad = 1;
    cJSON_free(text);
    if (bad || rename(tmp, m->calibration) != 0) {
        int e = errno;
        unlink(tmp);
        return bex__fail(err, errlen, BEX_ERR_IO, "cannot write %s: %s", m->calibration, strerror(e ? e : EIO));
    }
    return BEX_OK;
}
