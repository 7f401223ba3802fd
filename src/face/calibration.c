/*
 * calibration.c - operating points of the bundled model (include/bex/calibration.h) from the
 * tables `bex eval calibrate` generated on LFW (calibration_similarity.inc,
 * calibration_faceapi.inc, calibration_keypoints.inc; regenerate them with the command in
 * their first line).
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
#define CAL_ROWS kp_rows
#define CAL_FPIR kp_fpir
#define CAL_INFO kp_info
#include "face/calibration_keypoints.inc"
#undef CAL_ROWS
#undef CAL_FPIR
#undef CAL_INFO

static void shipped_rows(bex_align align, const bex__cal_row **rows, size_t *n, const bex__cal_info **info) {
    if (align == BEX_ALIGN_FACEAPI) {
        *rows = fa_rows;
        *n = sizeof fa_rows / sizeof fa_rows[0];
        *info = &fa_info;
    } else if (align == BEX_ALIGN_KEYPOINTS) {
        *rows = kp_rows;
        *n = sizeof kp_rows / sizeof kp_rows[0];
        *info = &kp_info;
    } else {
        *rows = sim_rows;
        *n = sizeof sim_rows / sizeof sim_rows[0];
        *info = &sim_info;
    }
}

void bex_calibration_shipped(bex_align align, bex_calibration *out) {
    const bex__cal_info *info;
    memset(out, 0, sizeof *out);
    shipped_rows(align, &out->rows, &out->n_rows, &info);
    out->comparisons = info->comparisons;
    out->source = BEX_CALIB_SHIPPED;
    out->align = align == BEX_ALIGN_FACEAPI || align == BEX_ALIGN_KEYPOINTS ? align : BEX_ALIGN_SIMILARITY;
    snprintf(out->name, sizeof out->name, "shipped LFW table (%s)", info->align);
}

/* Rows highest target first, targets in (0, 0.1] falling, thresholds in [-1, 1] rising. */
static int rows_ok(const bex_calibration_row *rows, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const bex_calibration_row *r = &rows[i];
        if (!(r->target > 0 && r->target <= 0.1) || !(r->threshold >= -1 && r->threshold <= 1) ||
            (i && !(r->target < rows[i - 1].target && r->threshold >= rows[i - 1].threshold)))
            return 0;
    }
    return 1;
}

int bex_calibration_applied(const bex_calibration_row *rows, size_t n, unsigned long long comparisons, long long id,
                            const char *scope, const char *key, const char *applied_at, bex_calibration *out,
                            char *err, size_t errlen) {
    if (!rows || !out || !scope || n < 1 || comparisons < 1)
        return bex__fail(err, errlen, BEX_ERR_ARG, "an applied calibration needs rows, a scope and comparisons");
    if (strcmp(scope, "model") && strcmp(scope, "port") && strcmp(scope, "camera"))
        return bex__fail(err, errlen, BEX_ERR_ARG, "a calibration's scope is model, port or camera (got %.20s)", scope);
    if (!rows_ok(rows, n))
        return bex__fail(err, errlen, BEX_ERR_ARG,
                         "calibration %lld: targets in (0, 0.1] falling, thresholds in [-1, 1] rising", id);
    bex_calibration c;
    memset(&c, 0, sizeof c);
    c.rows = rows;
    c.n_rows = n;
    c.comparisons = comparisons;
    c.source = BEX_CALIB_APPLIED;
    c.id = id;
    snprintf(c.scope, sizeof c.scope, "%s", scope);
    snprintf(c.key, sizeof c.key, "%s", key ? key : "");
    snprintf(c.applied_at, sizeof c.applied_at, "%s", applied_at ? applied_at : "");
    if (!strcmp(scope, "model"))
        snprintf(c.name, sizeof c.name, "applied calibration %lld (model-wide, %.23s)", id, c.applied_at);
    else
        snprintf(c.name, sizeof c.name, "applied calibration %lld (%s %.31s, %.23s)", id, scope, c.key, c.applied_at);
    *out = c;
    return BEX_OK;
}

double bex_calibration_min_fmr_in(const bex_calibration *c) { return c->rows[c->n_rows - 1].target; }

double bex_calibration_min_fmr(bex_align align) {
    bex_calibration c;
    bex_calibration_shipped(align, &c);
    return bex_calibration_min_fmr_in(&c);
}

const char *bex_calibration_evidence(bex_align align) {
    const bex__cal_row *rows;
    size_t n;
    const bex__cal_info *info;
    shipped_rows(align, &rows, &n, &info);
    return info->evidence;
}

static const char *source_of(const bex_calibration *c) { return c->source == BEX_CALIB_SHIPPED ? "LFW" : c->name; }

/* Fills *out from the largest row target <= fmr (rows run from high to low targets): the one
 * lookup behind every operating point, shipped or applied. */
static int lookup_in(const bex_calibration *t, double fmr, bex_operating_point *out, const char *what, char *err,
                     size_t errlen) {
    if (fmr < t->rows[t->n_rows - 1].target * (1 - 1e-9))
        return bex__fail(err, errlen, BEX_ERR_UNSUPPORTED,
                         "%s needs a false match rate of %.3g per comparison, below the %.3g the calibration "
                         "data supports (%llu non-mated comparisons on %s); choose a higher rate, a smaller "
                         "gallery, or calibrate on a larger non-mated set",
                         what, fmr, t->rows[t->n_rows - 1].target, t->comparisons, source_of(t));
    size_t i = 0;
    while (i + 1 < t->n_rows && t->rows[i].target > fmr * (1 + 1e-9)) i++;
    const bex__cal_row *r = &t->rows[i];
    out->fmr = r->target;
    out->threshold = r->threshold;
    out->comparisons = t->comparisons;
    out->false_matches = r->false_matches;
    out->fmr_measured = (double)r->false_matches / (double)t->comparisons;
    out->fmr_upper95 = r->upper95;
    out->fnmr_measured = r->fnmr;
    out->heldout_fmr = r->heldout_fmr;
    snprintf(out->calibration, sizeof out->calibration, "%s", t->name);
    out->calibration_id = t->source == BEX_CALIB_APPLIED ? t->id : 0;
    return BEX_OK;
}

int bex_operating_point_verify_in(const bex_calibration *c, double fmr, bex_operating_point *out, char *err,
                                  size_t errlen) {
    if (!c || !out || !c->rows || !c->n_rows)
        return bex__fail(err, errlen, BEX_ERR_ARG, "bex_operating_point_verify_in: a calibration and an output are needed");
    if (!(fmr > 0 && fmr <= 0.1))
        return bex__fail(err, errlen, BEX_ERR_ARG, "a target false match rate must be above 0 and at most 0.1 (got %g)", fmr);
    bex_operating_point op;
    memset(&op, 0, sizeof op);
    snprintf(op.name, sizeof op.name, "FMR %g", fmr);
    int rc = lookup_in(c, fmr, &op, op.name, err, errlen);
    if (rc != BEX_OK) return rc;
    op.kind = BEX_OP_VERIFY;
    op.target = fmr;
    op.gallery_size = 1;
    *out = op;
    return BEX_OK;
}

int bex_operating_point_identify_in(const bex_calibration *c, double fpir, long long n, bex_operating_point *out,
                                    char *err, size_t errlen) {
    if (!c || !out || !c->rows || !c->n_rows)
        return bex__fail(err, errlen, BEX_ERR_ARG, "bex_operating_point_identify_in: a calibration and an output are needed");
    if (!(fpir > 0 && fpir <= 0.1))
        return bex__fail(err, errlen, BEX_ERR_ARG, "a target false positive identification rate must be above 0 and at most 0.1 (got %g)", fpir);
    if (n < 1) return bex__fail(err, errlen, BEX_ERR_ARG, "a gallery holds at least one person (got %lld)", n);
    /* a non-mated probe has n chances: 1 - (1 - fmr)^n = fpir */
    double fmr = -expm1(log1p(-fpir) / (double)n);
    bex_operating_point op;
    memset(&op, 0, sizeof op);
    snprintf(op.name, sizeof op.name, "FPIR %g at N=%lld", fpir, n);
    int rc = lookup_in(c, fmr, &op, op.name, err, errlen);
    if (rc != BEX_OK) return rc;
    op.kind = BEX_OP_IDENTIFY;
    op.target = fpir;
    op.gallery_size = n;
    *out = op;
    return BEX_OK;
}

/* ---- a model's own calibration file */

#define CAL_FILE_MAX_BYTES (1 << 20)
#define CAL_FILE_MAX_ROWS 1000

typedef struct cal_file {
    bex__cal_row *rows;
    bex_calibration t;
} cal_file;

static int load_cal_file(const bex_model *m, cal_file *cf, char *err, size_t errlen) {
    memset(cf, 0, sizeof *cf);
    FILE *f = fopen(m->calibration, "rb");
    if (!f)
        return bex__fail(err, errlen, BEX_ERR_UNSUPPORTED,
                         "model %s has no calibration (%s: %s): its thresholds must be measured on non-mated "
                         "comparisons before it decides at an operating point (docs/models.md, \"Thresholds: "
                         "calibrate before deciding\"); an explicit threshold decides without one",
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
                       "%s calibrates model %.100s, not %s (other weights or preprocessing): calibrate this model "
                       "again (docs/models.md)", m->calibration, model->valuestring, m->identity);
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
        cf->t.rows = cf->rows;
        cf->t.n_rows = (size_t)n;
        cf->t.comparisons = (unsigned long long)cmp->valuedouble;
        cf->t.source = BEX_CALIB_MODEL_FILE;
        snprintf(cf->t.name, sizeof cf->t.name, "%.127s", m->calibration);
    } else {
        bex__free(cf->rows);
        cf->rows = NULL;
    }
    cJSON_Delete(root);
    return rc;
}

int bex_calibration_model_load(const bex_model *m, bex_calibration *out, bex_calibration_row **rows, char *err,
                               size_t errlen) {
    if (!m || !out || !rows) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_calibration_model_load: NULL argument");
    cal_file cf;
    int rc = load_cal_file(m, &cf, err, errlen);
    if (rc != BEX_OK) return rc;
    *out = cf.t;
    *rows = cf.rows;
    return BEX_OK;
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
    rc = bex_operating_point_verify_in(&cf.t, fmr, out, err, errlen);
    bex__free(cf.rows);
    return rc;
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
    rc = bex_operating_point_identify_in(&cf.t, fpir, n, out, err, errlen);
    bex__free(cf.rows);
    return rc;
}

int bex_operating_point_verify(bex_align align, double fmr, bex_operating_point *out, char *err,
                               size_t errlen) {
    if (!out) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_operating_point_verify: NULL output");
    bex_calibration c;
    bex_calibration_shipped(align, &c);
    return bex_operating_point_verify_in(&c, fmr, out, err, errlen);
}

int bex_operating_point_identify(bex_align align, double fpir, long long n, bex_operating_point *out,
                                 char *err, size_t errlen) {
    if (!out) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_operating_point_identify: NULL output");
    bex_calibration c;
    bex_calibration_shipped(align, &c);
    return bex_operating_point_identify_in(&c, fpir, n, out, err, errlen);
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

int bex_operating_point_accepts(const bex_operating_point *op, float score) {
    return op && !isnan(score) && !isnan(op->threshold) && score >= op->threshold;
}
