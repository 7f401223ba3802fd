/*
 * reenrol.c - a change of face model in the record store (bex_store_reenrol, store.h): the
 * templates of the new model are computed from the images retention kept, beside the old
 * samples; the subjects with no image left are listed for a new capture.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bex/model.h"
#include "store/store_impl.h"
#include "util/util.h"

static int cmp_id(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int bex_store_reenrol(bex_store *st, const char *model, int dim, bex_store_template_fn fn, void *ctx,
                      bex_reenrol_report *rep, char *err, size_t errlen) {
    if (!st || !model || !fn || !rep) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_store_reenrol: NULL argument");
    if (!*model || strlen(model) >= BEX_MODEL_ID_MAX)
        return bex__fail(err, errlen, BEX_ERR_ARG, "a model identity is 1 to %d bytes", BEX_MODEL_ID_MAX - 1);
    if (!strcmp(model, st->model))
        return bex__fail(err, errlen, BEX_ERR_ARG, "the store's templates are already of model %s", model);
    if (dim < 1 || dim > BEX_MODEL_MAX_DIM)
        return bex__fail(err, errlen, BEX_ERR_ARG, "a template has 1 to %d floats (got %d)", BEX_MODEL_MAX_DIM, dim);
    bex_reenrol_report r;
    memset(&r, 0, sizeof r);
    float *t = bex__malloc(sizeof(float) * (size_t)dim);
    if (!t) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory");
    int rc = st_begin(st, err, errlen);
    db_stmt *sel = NULL, *done = NULL, *ins = NULL;
    if (rc == BEX_OK) {
        sel = st_prep(st, "SELECT id, subject_id, encounter_id, source, quality, captured_at, citizen, image "
                          "FROM samples WHERE model = ?1 AND modality = 'face' AND subject_id IS NOT NULL ORDER BY id",
                      err, errlen);
        /* a sample re-enrolled by an earlier run: the same capture under the new model */
        done = st_prep(st, "SELECT 1 FROM samples WHERE model = ?1 AND subject_id = ?2 AND (encounter_id = ?3 OR "
                           "(encounter_id IS NULL AND CAST(?3 AS BIGINT) IS NULL)) "
                           "AND source = ?4 AND captured_at = ?5 LIMIT 1", err, errlen);
        ins = st_prep(st, "INSERT INTO samples(subject_id, encounter_id, modality, source, model, template, quality, "
                          "captured_at, image, citizen) VALUES (?1, ?2, 'face', ?3, ?4, ?5, ?6, ?7, NULL, ?8)",
                      err, errlen);
        if (!sel || !done || !ins) rc = BEX_ERR_IO;
    }
    if (rc == BEX_OK) st_bind_text(sel, 1, st->model);
    int s;
    while (rc == BEX_OK && (s = db_step(sel)) == DB_ROW) {
        r.samples++;
        int64_t subject = db_column_int64(sel, 1);
        db_reset(done);
        st_bind_text(done, 1, model);
        db_bind_int64(done, 2, subject);
        db_bind_column(done, 3, sel, 2);
        db_bind_column(done, 4, sel, 3);
        db_bind_column(done, 5, sel, 5);
        int d = db_step(done);
        if (d == DB_ROW) {
            r.already++;
            continue;
        }
        if (d != DB_DONE) {
            rc = st_fail(st, "reading the samples", err, errlen);
            break;
        }
        int len = db_column_bytes(sel, 7);
        const void *img = db_column_blob(sel, 7);
        if (!img || len <= 0) {
            r.no_image++;
            continue;
        }
        char e2[256] = "";
        int frc = fn(ctx, img, (size_t)len, t, e2, sizeof e2);
        if (frc == BEX_ERR_NO_FACE || frc == BEX_ERR_SEVERAL_FACES || frc == BEX_ERR_FACE_TOO_SMALL ||
            frc == BEX_ERR_LOW_QUALITY || frc == BEX_ERR_FORMAT || frc == BEX_ERR_CORRUPT) {
            r.unusable++;
            continue;
        }
        if (frc != BEX_OK) {
            rc = bex__fail(err, errlen, frc, "sample %lld: %s", (long long)db_column_int64(sel, 0), e2);
            break;
        }
        db_reset(ins);
        db_bind_int64(ins, 1, subject);
        db_bind_column(ins, 2, sel, 2);
        db_bind_column(ins, 3, sel, 3);
        st_bind_text(ins, 4, model);
        db_bind_blob(ins, 5, t, (int)(sizeof(float) * (size_t)dim));
        db_bind_column(ins, 6, sel, 4);
        db_bind_column(ins, 7, sel, 5);
        db_bind_column(ins, 8, sel, 6);
        if (db_step(ins) != DB_DONE) {
            rc = st_fail(st, "writing a template of the new model", err, errlen);
            break;
        }
        r.reenrolled++;
    }
    if (rc == BEX_OK && s != DB_DONE) rc = st_fail(st, "reading the samples", err, errlen);
    db_finalize(sel);
    db_finalize(done);
    db_finalize(ins);
    bex__free(t);
    /* the subjects with a sample of the store's model and none of the new one */
    db_stmt *need = rc == BEX_OK ? st_prep(st,
        "SELECT DISTINCT subject_id FROM samples o WHERE o.model = ?1 AND o.modality = 'face' AND o.subject_id IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM samples n WHERE n.subject_id = o.subject_id AND n.model = ?2) ORDER BY subject_id",
        err, errlen) : NULL;
    if (rc == BEX_OK && !need) rc = BEX_ERR_IO;
    size_t cap = 0;
    if (rc == BEX_OK) {
        st_bind_text(need, 1, st->model);
        st_bind_text(need, 2, model);
        while ((s = db_step(need)) == DB_ROW) {
            if (r.n_need_capture == cap) {
                cap = cap ? cap * 2 : 64;
                int64_t *p = bex__realloc(r.need_capture, cap * sizeof *p);
                if (!p) {
                    rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory");
                    break;
                }
                r.need_capture = p;
            }
            r.need_capture[r.n_need_capture++] = db_column_int64(need, 0);
        }
        if (rc == BEX_OK && s != DB_DONE) rc = st_fail(st, "listing the subjects to capture again", err, errlen);
    }
    db_finalize(need);
    if (rc == BEX_OK) {
        if (r.n_need_capture) qsort(r.need_capture, r.n_need_capture, sizeof *r.need_capture, cmp_id); /* NULL when none */
        char detail[512];
        snprintf(detail, sizeof detail,
                 "from %s: samples %lld, reenrolled %lld, already %lld, no image %lld, unusable %lld, subjects to "
                 "capture again %zu", st->model, r.samples, r.reenrolled, r.already, r.no_image, r.unusable,
                 r.n_need_capture);
        rc = st_audit(st, "reenrol", model, detail, err, errlen);
    }
    rc = bex__end(st, rc, NULL, err, errlen);
    if (rc != BEX_OK) {
        bex__free(r.need_capture);
        return rc;
    }
    *rep = r;
    return BEX_OK;
}
