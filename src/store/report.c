/*
 * report.c - what the store reads out for reports and look-ups: every admission as a stay for
 * the overstay rules (which are src/border/'s), the flag queue, and one subject's or one
 * encounter's whole record as JSON. The callers audit these reads.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_impl.h"
#include "util/util.h"

static bex_day col_day(db_stmt *s, int i) {
    int64_t t;
    const unsigned char *v = db_column_text(s, i);
    if (!v || bex_time_parse((const char *)v, &t) != BEX_OK) return BEX_DAY_NONE;
    return (bex_day)(t >= 0 ? t / 86400 : -((-t + 86399) / 86400));
}

int bex__overstay_rows(bex_store *st, const char *day, bex_overstay_row **rows, bex_stay **stays, size_t *n,
                       char *err, size_t errlen) {
    *rows = NULL;
    *stays = NULL;
    *n = 0;
    /* one row per admission entered by the day, a subject's together (the EU rule needs them all) */
    db_stmt *s = st_stmt(st,
        "SELECT a.id, a.subject_id, coalesce(d.number, ''), coalesce(d.nationality, ''), a.class, "
        "e.port, substr(e.at, 1, 10), substr(x.at, 1, 10), a.admit_until, a.superseded_by IS NOT NULL "
        "FROM admissions a JOIN encounters e ON e.id = a.entry_encounter_id "
        "JOIN subjects p ON p.id = a.subject_id "
        "LEFT JOIN encounters x ON x.id = a.exit_encounter_id "
        "LEFT JOIN documents d ON d.id = e.document_id "
        "WHERE substr(e.at, 1, 10) <= ?1 AND p.citizen = 0 ORDER BY a.subject_id, e.at", err, errlen);
    if (!s) return BEX_ERR_IO;
    st_bind_text(s, 1, day);
    bex_overstay_row *r = NULL;
    bex_stay *y = NULL;
    size_t cap = 0, cnt = 0;
    int step, rc = BEX_OK;
    while ((step = db_step(s)) == DB_ROW) {
        if (cnt == cap) {
            cap = cap ? cap * 2 : 256;
            bex_overstay_row *nr = bex__realloc(r, cap * sizeof *nr);
            bex_stay *ny = nr ? bex__realloc(y, cap * sizeof *ny) : NULL;
            if (nr) r = nr;
            if (ny) y = ny;
            if (!nr || !ny) {
                snprintf(err, errlen, "out of memory");
                rc = BEX_ERR_NOMEM;
                break;
            }
        }
        bex_overstay_row *x = &r[cnt];
        memset(x, 0, sizeof *x);
        x->admission = db_column_int64(s, 0);
        x->subject = db_column_int64(s, 1);
        st_col_text(s, 2, x->document, sizeof x->document);
        st_col_text(s, 3, x->nationality, sizeof x->nationality);
        st_col_text(s, 4, x->admission_class, sizeof x->admission_class);
        st_col_text(s, 5, x->port, sizeof x->port);
        st_col_text(s, 6, x->entry, sizeof x->entry);
        st_col_text(s, 7, x->exit, sizeof x->exit);
        st_col_text(s, 8, x->admit_until, sizeof x->admit_until);
        bex_stay *z = &y[cnt];
        memset(z, 0, sizeof *z);
        z->entry = col_day(s, 6);
        z->exit = col_day(s, 7);
        z->admit_until = col_day(s, 8);
        z->no_exit_recorded = db_column_int(s, 9) && z->exit == BEX_DAY_NONE;
        if (z->entry == BEX_DAY_NONE) continue; /* cannot happen with the schema's dates */
        cnt++;
    }
    if (rc == BEX_OK && step != DB_DONE) rc = st_fail(st, "reading admissions", err, errlen);
    st_release(st, s);
    if (rc != BEX_OK) {
        bex__free(r);
        bex__free(y);
        return rc;
    }
    *rows = r;
    *stays = y;
    *n = cnt;
    return BEX_OK;
}

int bex__flags(bex_store *st, const bex_flag_query *q, bex_flag **flags, size_t *n, size_t *total, char *err,
               size_t errlen) {
    *flags = NULL;
    *n = 0;
    *total = 0;
    /* Only the filters given are in the SQL, so SQLite can use an index for each (an "?1 IS
     * NULL OR" term cannot): status flags_by_status, kind flags_by_kind, the time
     * flags_by_created, the page the rowid (id < before); the count joins the encounters and
     * departures only for a port. ?1 status, ?2 kind, ?3 port, ?4 since, ?5 until, ?6 limit
     * (INT64_MAX: all; LIMIT -1 is SQLite's alone), ?7 offset, ?8 before. */
    char where[512];
    snprintf(where, sizeof where, "WHERE 1 = 1%s%s%s%s%s", q && q->status ? " AND f.status = ?1" : "",
             q && q->kind ? " AND f.kind = ?2" : "", q && q->port ? " AND coalesce(e.port, d.port) = ?3" : "",
             q && q->since ? " AND f.created_at >= ?4" : "", q && q->until ? " AND f.created_at < ?5" : "");
    const char *join = "FROM flags f LEFT JOIN encounters e ON e.id = f.encounter_id "
                       "LEFT JOIN departures d ON d.id = f.departure_id ";
    char csql[1024], ssql[1536];
    snprintf(csql, sizeof csql, "SELECT count(*) %s %s", q && q->port ? join : "FROM flags f", where);
    snprintf(ssql, sizeof ssql, "SELECT f.id, f.kind, coalesce(f.encounter_id, 0), coalesce(f.departure_id, ''), "
             "f.detail, f.created_at, f.status, coalesce(e.port, d.port, '') %s %s%s ORDER BY f.id DESC LIMIT ?6 "
             "OFFSET ?7", join, where, q && q->before ? " AND f.id < ?8" : "");
    db_stmt *c = st_prep(st, csql, err, errlen);
    db_stmt *s = c ? st_prep(st, ssql, err, errlen) : NULL;
    db_stmt *fs = s ? st_stmt(st, "SELECT subject_id FROM flag_subjects WHERE flag_id = ?1 ORDER BY subject_id", err, errlen) : NULL;
    db_stmt *fd = fs ? st_stmt(st, "SELECT document_id FROM flag_documents WHERE flag_id = ?1 ORDER BY document_id", err, errlen) : NULL;
    if (!s || !c || !fs || !fd) {
        db_finalize(c);
        db_finalize(s);
        if (fs) st_release(st, fs);
        return BEX_ERR_IO;
    }
    for (int k = 0; k < 2; k++) {
        db_stmt *x = k ? s : c;
        if (q && q->status) st_bind_text(x, 1, bex_flag_status_name(q->status));
        if (q && q->kind) st_bind_text(x, 2, bex_flag_kind_name(q->kind));
        if (q && q->port) st_bind_text(x, 3, q->port);
        if (q && q->since) st_bind_text(x, 4, q->since);
        if (q && q->until) st_bind_text(x, 5, q->until);
    }
    db_bind_int64(s, 6, q && q->limit ? (int64_t)q->limit : INT64_MAX);
    db_bind_int64(s, 7, q ? (int64_t)q->offset : 0);
    if (q && q->before) db_bind_int64(s, 8, q->before); /* keyset paging: the total counts every page's */
    int step = db_step(c), rc = BEX_OK;
    if (step == DB_ROW) *total = (size_t)db_column_int64(c, 0);
    else rc = st_fail(st, "counting flags", err, errlen);
    db_finalize(c);
    bex_flag *f = NULL;
    size_t cap = 0, cnt = 0;
    step = DB_DONE;
    while (rc == BEX_OK && (step = db_step(s)) == DB_ROW) {
        if (cnt == cap) {
            cap = cap ? cap * 2 : 64;
            bex_flag *nf = bex__realloc(f, cap * sizeof *nf);
            if (!nf) {
                snprintf(err, errlen, "out of memory");
                rc = BEX_ERR_NOMEM;
                break;
            }
            f = nf;
        }
        bex_flag *x = &f[cnt++];
        memset(x, 0, sizeof *x);
        char kind[32], status[16];
        x->id = db_column_int64(s, 0);
        st_col_text(s, 1, kind, sizeof kind);
        bex_flag_kind_parse(kind, &x->kind);
        x->encounter = db_column_int64(s, 2);
        st_col_text(s, 3, x->departure, sizeof x->departure);
        st_col_text(s, 4, x->detail, sizeof x->detail);
        st_col_text(s, 5, x->created_at, sizeof x->created_at);
        st_col_text(s, 6, status, sizeof status);
        bex_flag_status_parse(status, &x->status);
        st_col_text(s, 7, x->port, sizeof x->port);
        db_bind_int64(fs, 1, x->id);
        while (db_step(fs) == DB_ROW && x->n_subjects < BEX_FLAG_MAX_IDS)
            x->subjects[x->n_subjects++] = db_column_int64(fs, 0);
        db_reset(fs);
        db_bind_int64(fd, 1, x->id);
        while (db_step(fd) == DB_ROW && x->n_documents < BEX_FLAG_MAX_IDS)
            x->documents[x->n_documents++] = db_column_int64(fd, 0);
        db_reset(fd);
    }
    if (rc == BEX_OK && step != DB_DONE) rc = st_fail(st, "reading flags", err, errlen);
    db_finalize(s);
    st_release(st, fs);
    st_release(st, fd);
    if (rc != BEX_OK) {
        bex__free(f);
        return rc;
    }
    *flags = f;
    *n = cnt;
    return BEX_OK;
}

/* ---- one subject's record ---- */

/* Adds one array to `obj` named `key` with one object per row of `sql` (?1 = the subject),
 * each column under its own name (integers, reals, text, NULL). */
static int add_rows(bex_store *st, cJSON *obj, const char *key, const char *sql, int64_t subject, char *err,
                    size_t errlen) {
    cJSON *arr = cJSON_AddArrayToObject(obj, key);
    db_stmt *s = st_prep(st, sql, err, errlen);
    if (!arr || !s) {
        db_finalize(s);
        if (!arr) snprintf(err, errlen, "out of memory");
        return arr ? BEX_ERR_IO : BEX_ERR_NOMEM;
    }
    db_bind_int64(s, 1, subject);
    int r, rc = BEX_OK;
    while (rc == BEX_OK && (r = db_step(s)) == DB_ROW) {
        cJSON *row = cJSON_CreateObject();
        if (!row || !cJSON_AddItemToArray(arr, row)) {
            cJSON_Delete(row);
            rc = BEX_ERR_NOMEM;
            break;
        }
        for (int i = 0; i < db_column_count(s); i++) {
            const char *name = db_column_name(s, i);
            switch (db_column_type(s, i)) {
            case DB_INTEGER: cJSON_AddNumberToObject(row, name, (double)db_column_int64(s, i)); break;
            case DB_FLOAT: cJSON_AddNumberToObject(row, name, db_column_double(s, i)); break;
            case DB_NULL: cJSON_AddNullToObject(row, name); break;
            default: cJSON_AddStringToObject(row, name, (const char *)db_column_text(s, i)); break;
            }
        }
    }
    if (rc == BEX_OK && r != DB_DONE) rc = st_fail(st, "reading the record", err, errlen);
    if (rc == BEX_ERR_NOMEM) snprintf(err, errlen, "out of memory");
    db_finalize(s);
    return rc;
}

int bex_store_subject_json(bex_store *st, int64_t subject, char **json, char *err, size_t errlen) {
    *json = NULL;
    int rc = bex__begin(st, err, errlen);
    if (rc != BEX_OK) return rc;
    int64_t citizen = -1;
    rc = st_query_int(st, "SELECT citizen FROM subjects WHERE id = ?2", NULL, subject, -1, &citizen, err, errlen);
    if (rc == BEX_OK && citizen < 0) {
        snprintf(err, errlen, "no subject with that id");
        rc = BEX_ERR_ARG;
    }
    cJSON *o = rc == BEX_OK ? cJSON_CreateObject() : NULL;
    if (rc == BEX_OK && !o) rc = BEX_ERR_NOMEM;
    if (rc == BEX_OK) {
        cJSON_AddNumberToObject(o, "subject", (double)subject);
        cJSON_AddBoolToObject(o, "citizen", citizen == 1);
        rc = add_rows(st, o, "documents",
                      "SELECT id, type, format, issuing_state, number, nationality, surname, given_names, birth_date, "
                      "sex, expiry_date, checks_failed FROM documents WHERE subject_id = ?1 ORDER BY id",
                      subject, err, errlen);
    }
    if (rc == BEX_OK)
        rc = add_rows(st, o, "admissions",
                      "SELECT a.id, a.class, a.admit_until, a.entry_encounter_id AS entry, a.exit_encounter_id AS exit, "
                      "a.superseded_by FROM admissions a WHERE a.subject_id = ?1 ORDER BY a.id", subject, err, errlen);
    if (rc == BEX_OK)
        rc = add_rows(st, o, "encounters",
                      "SELECT id, direction, port, port_kind, carrier, voyage, departure_id AS departure, at, outcome, "
                      "decision, gallery, gallery_size, score, threshold, operating_point, calibration_id, "
                      "document_id AS document, citizen, chip_check, prints, finger_fmr FROM encounters WHERE subject_id = ?1 "
                      "ORDER BY at, id", subject, err, errlen);
    if (rc == BEX_OK)
        rc = add_rows(st, o, "samples",
                      "SELECT id, source, model, quality, captured_at, citizen, image IS NOT NULL AS image_kept "
                      "FROM samples WHERE subject_id = ?1 ORDER BY id", subject, err, errlen);
    if (rc == BEX_OK) /* what was recorded per finger, never the template */
        rc = add_rows(st, o, "finger_samples",
                      "SELECT id, encounter_id AS encounter, position, source, status, quality, problems, captured_at, "
                      "citizen, image IS NOT NULL AS image_kept FROM finger_samples WHERE subject_id = ?1 ORDER BY id",
                      subject, err, errlen);
    if (rc == BEX_OK)
        rc = add_rows(st, o, "flags",
                      "SELECT f.id, f.kind, f.encounter_id AS encounter, f.detail, f.status, f.created_at FROM flags f "
                      "JOIN flag_subjects x ON x.flag_id = f.id WHERE x.subject_id = ?1 ORDER BY f.id",
                      subject, err, errlen);
    if (rc == BEX_OK) {
        char obj[48];
        snprintf(obj, sizeof obj, "subject %lld", (long long)subject);
        rc = st_audit(st, "read_subject", obj, "record", err, errlen);
    }
    rc = bex__end(st, rc, NULL, err, errlen);
    if (rc == BEX_OK) {
        *json = cJSON_PrintUnformatted(o);
        if (!*json) {
            snprintf(err, errlen, "out of memory");
            rc = BEX_ERR_NOMEM;
        }
    }
    cJSON_Delete(o);
    return rc;
}

int bex_store_encounter_json(bex_store *st, int64_t encounter, char **json, char *err, size_t errlen) {
    *json = NULL;
    int rc = bex__begin(st, err, errlen);
    if (rc != BEX_OK) return rc;
    cJSON *o = cJSON_CreateObject();
    if (!o) rc = BEX_ERR_NOMEM;
    if (rc == BEX_OK)
        rc = add_rows(st, o, "encounter",
                      "SELECT id, subject_id AS subject, document_id AS document, direction, port, port_kind, carrier, "
                      "voyage, departure_id AS departure, at, outcome, decision, class, admit_until, gallery, "
                      "gallery_size, score, threshold, operating_point, calibration_id, citizen, chip_check, chip_detail, "
                      "prints, finger_fmr FROM encounters WHERE id = ?1",
                      encounter, err, errlen);
    cJSON *arr = o ? cJSON_GetObjectItemCaseSensitive(o, "encounter") : NULL;
    if (rc == BEX_OK && cJSON_GetArraySize(arr) != 1) {
        snprintf(err, errlen, "no encounter with that id");
        rc = BEX_ERR_ARG;
    }
    if (rc == BEX_OK) { /* one object, not a list of one */
        cJSON *one = cJSON_DetachItemFromArray(arr, 0);
        /* the chip's check is kept as JSON text (bex_json_chip_check): shown as the object */
        cJSON *det = cJSON_GetObjectItemCaseSensitive(one, "chip_detail");
        cJSON *parsed = cJSON_IsString(det) ? cJSON_Parse(det->valuestring) : NULL;
        if (parsed) cJSON_ReplaceItemInObjectCaseSensitive(one, "chip_detail", parsed);
        cJSON_DeleteItemFromObjectCaseSensitive(o, "encounter");
        cJSON_AddItemToObject(o, "encounter", one);
        rc = add_rows(st, o, "admissions",
                      "SELECT id, class, admit_until, entry_encounter_id AS entry, exit_encounter_id AS exit, "
                      "superseded_by FROM admissions WHERE entry_encounter_id = ?1 OR exit_encounter_id = ?1 "
                      "OR superseded_by = ?1", encounter, err, errlen);
    }
    if (rc == BEX_OK)
        rc = add_rows(st, o, "flags", "SELECT id, kind, detail, status, created_at FROM flags WHERE encounter_id = ?1",
                      encounter, err, errlen);
    if (rc == BEX_OK) {
        char obj[48];
        snprintf(obj, sizeof obj, "encounter %lld", (long long)encounter);
        rc = st_audit(st, "read_encounter", obj, "record", err, errlen);
    }
    rc = bex__end(st, rc, NULL, err, errlen);
    if (rc == BEX_OK && !(*json = cJSON_PrintUnformatted(o))) {
        snprintf(err, errlen, "out of memory");
        rc = BEX_ERR_NOMEM;
    }
    cJSON_Delete(o);
    return rc;
}

/* The largest photo read back for an export: the CLI takes photos of at most 64 MiB, so a
 * larger blob is no capture of bex's and is refused rather than copied. */
#define EXPORT_MAX_IMAGE_BYTES ((size_t)64 << 20)

void bex_encounter_record_free(bex_encounter_record *r) {
    if (!r) return;
    bex__free(r->image);
    for (int i = 0; i < r->n_fingers && i < 10; i++) bex__free(r->finger_images[i].image);
    memset(r, 0, sizeof *r);
}

static int encounter_row(bex_store *st, int64_t encounter, bex_encounter_record *r, char *err, size_t errlen) {
    db_stmt *s = st_stmt(st,
        "SELECT e.subject_id, e.document_id, e.direction, e.port, e.port_kind, e.carrier, e.voyage, e.at, "
        "e.outcome, e.decision, e.citizen, d.type, d.format, d.issuing_state, d.number, d.nationality, "
        "d.surname, d.given_names, d.birth_date, d.sex, d.expiry_date "
        "FROM encounters e LEFT JOIN documents d ON d.id = e.document_id WHERE e.id = ?1", err, errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_int64(s, 1, encounter);
    int step = db_step(s), rc = BEX_OK;
    if (step == DB_ROW) {
        r->encounter = encounter;
        r->subject = db_column_int64(s, 0);
        r->document = db_column_int64(s, 1);
        st_col_text(s, 2, r->direction, sizeof r->direction);
        st_col_text(s, 3, r->port, sizeof r->port);
        st_col_text(s, 4, r->port_kind, sizeof r->port_kind);
        st_col_text(s, 5, r->carrier, sizeof r->carrier);
        st_col_text(s, 6, r->voyage, sizeof r->voyage);
        st_col_text(s, 7, r->at, sizeof r->at);
        st_col_text(s, 8, r->outcome, sizeof r->outcome);
        st_col_text(s, 9, r->decision, sizeof r->decision);
        r->citizen = db_column_int(s, 10);
        st_col_text(s, 11, r->doc_type, sizeof r->doc_type);
        st_col_text(s, 12, r->doc_format, sizeof r->doc_format);
        st_col_text(s, 13, r->issuing_state, sizeof r->issuing_state);
        st_col_text(s, 14, r->number, sizeof r->number);
        st_col_text(s, 15, r->nationality, sizeof r->nationality);
        st_col_text(s, 16, r->surname, sizeof r->surname);
        st_col_text(s, 17, r->given_names, sizeof r->given_names);
        st_col_text(s, 18, r->birth_date, sizeof r->birth_date);
        st_col_text(s, 19, r->sex, sizeof r->sex);
        st_col_text(s, 20, r->expiry_date, sizeof r->expiry_date);
    } else if (step == DB_DONE) {
        snprintf(err, errlen, "no encounter with that id");
        rc = BEX_ERR_ARG;
    } else {
        rc = st_fail(st, "reading the encounter", err, errlen);
    }
    st_release(st, s);
    return rc;
}

/* The crossing's own face sample (its live capture), the one with an image first: a model
 * change (bex reenrol) adds samples of the same encounter without one. */
static int encounter_photo(bex_store *st, int64_t encounter, bex_encounter_record *r, char *err, size_t errlen) {
    db_stmt *s = st_stmt(st,
        "SELECT source, captured_at, image FROM samples WHERE encounter_id = ?1 AND modality = 'face' "
        "AND source IN ('entry', 'exit') ORDER BY image IS NULL, id LIMIT 1", err, errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_int64(s, 1, encounter);
    int step = db_step(s), rc = BEX_OK;
    if (step == DB_ROW) {
        r->has_sample = 1;
        st_col_text(s, 0, r->image_source, sizeof r->image_source);
        st_col_text(s, 1, r->captured_at, sizeof r->captured_at);
        rc = st_col_blob_copy(s, 2, EXPORT_MAX_IMAGE_BYTES, "the retained photo", &r->image, &r->image_len, err,
                              errlen);
    } else if (step != DB_DONE) {
        rc = st_fail(st, "reading the encounter's photo", err, errlen);
    }
    st_release(st, s);
    return rc;
}

/* The crossing's enrolled finger samples, and the images retention kept of them: one per
 * position (the first recorded), by position. */
static int encounter_fingers(bex_store *st, int64_t encounter, bex_encounter_record *r, char *err, size_t errlen) {
    db_stmt *s = st_stmt(st,
        "SELECT position, image FROM finger_samples WHERE encounter_id = ?1 AND status = 'enrolled' "
        "ORDER BY position, id", err, errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_int64(s, 1, encounter);
    int step = DB_DONE, rc = BEX_OK, last = 0;
    while (rc == BEX_OK && (step = db_step(s)) == DB_ROW) {
        r->finger_samples++;
        int pos = db_column_int(s, 0);
        if (pos < 1 || pos > 10 || pos == last || r->n_fingers == 10) continue;
        uint8_t *c;
        size_t n;
        if ((rc = st_col_blob_copy(s, 1, EXPORT_MAX_IMAGE_BYTES, "a retained finger image", &c, &n, err, errlen)))
            break;
        if (!c) continue; /* no image kept */
        r->finger_images[r->n_fingers].position = pos;
        r->finger_images[r->n_fingers].image = c;
        r->finger_images[r->n_fingers].image_len = n;
        r->n_fingers++;
        last = pos;
    }
    if (rc == BEX_OK && step != DB_DONE) rc = st_fail(st, "reading the encounter's fingers", err, errlen);
    st_release(st, s);
    return rc;
}

int bex_store_encounter_record(bex_store *st, int64_t encounter, bex_encounter_record *out, char *err,
                               size_t errlen) {
    memset(out, 0, sizeof *out);
    int rc = bex__begin(st, err, errlen);
    if (rc != BEX_OK) return rc;
    rc = encounter_row(st, encounter, out, err, errlen);
    if (rc == BEX_OK) rc = encounter_photo(st, encounter, out, err, errlen);
    if (rc == BEX_OK) rc = encounter_fingers(st, encounter, out, err, errlen);
    if (rc == BEX_OK) {
        char obj[48], det[64];
        snprintf(obj, sizeof obj, "encounter %lld", (long long)encounter);
        snprintf(det, sizeof det, "%s", out->image ? "export with photo" : "export, no photo");
        if (out->n_fingers)
            snprintf(det + strlen(det), sizeof det - strlen(det), ", %d finger images", out->n_fingers);
        rc = st_audit(st, "read_encounter", obj, det, err, errlen);
    }
    rc = bex__end(st, rc, NULL, err, errlen);
    if (rc != BEX_OK) bex_encounter_record_free(out);
    return rc;
}
