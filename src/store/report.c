/*
 * report.c - what the store reports: every admission's overstay verdict as of a day, under the
 * US rule or the EU 90/180 rule (the rules themselves are in overstay.c), the flags for
 * officers, and one subject's whole record. Each is a read of personal data and is audited.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_impl.h"
#include "util/util.h"

static void copy_col(sqlite3_stmt *s, int i, char *dst, size_t n) {
    const unsigned char *t = sqlite3_column_text(s, i);
    snprintf(dst, n, "%s", t ? (const char *)t : "");
}

static bex_day col_day(sqlite3_stmt *s, int i) {
    bex_day d;
    const unsigned char *t = sqlite3_column_text(s, i);
    if (!t || bex_day_parse((const char *)t, &d) != BEX_OK) return BEX_DAY_NONE;
    return d;
}

int bex_store_overstays(bex_store *st, const char *as_of, int policy_eu, bex_overstay_row **rows, size_t *n,
                        char *err, size_t errlen) {
    *rows = NULL;
    *n = 0;
    bex_day asof;
    if (!as_of || bex_day_parse(as_of, &asof) != BEX_OK) {
        snprintf(err, errlen, "--as-of '%s' is no date (YYYY-MM-DD)", as_of ? as_of : "");
        return BEX_ERR_ARG;
    }
    int rc = st_begin(st, err, errlen);
    if (rc != BEX_OK) return rc;
    /* one row per admission entered by as_of, a subject's together (the EU rule needs them all) */
    sqlite3_stmt *s = st_prep(st,
        "SELECT a.id, a.subject_id, coalesce(d.number, ''), coalesce(d.nationality, ''), a.class, "
        "e.port, substr(e.at, 1, 10), substr(x.at, 1, 10), a.admit_until "
        "FROM admissions a JOIN encounters e ON e.id = a.entry_encounter_id "
        "LEFT JOIN encounters x ON x.id = a.exit_encounter_id "
        "LEFT JOIN documents d ON d.id = e.document_id "
        "WHERE substr(e.at, 1, 10) <= ?1 ORDER BY a.subject_id, e.at", err, errlen);
    if (!s) {
        st_rollback(st);
        return BEX_ERR_IO;
    }
    char day[11];
    bex_day_format(asof, day);
    st_bind_text(s, 1, day);
    bex_overstay_row *r = NULL;
    bex_stay *stays = NULL;
    size_t cap = 0, cnt = 0;
    int step;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (cnt == cap) {
            cap = cap ? cap * 2 : 256;
            bex_overstay_row *nr = bex__realloc(r, cap * sizeof *nr);
            bex_stay *ns = nr ? bex__realloc(stays, cap * sizeof *ns) : NULL;
            if (nr) r = nr;
            if (ns) stays = ns;
            if (!nr || !ns) {
                snprintf(err, errlen, "out of memory");
                rc = BEX_ERR_NOMEM;
                break;
            }
        }
        bex_overstay_row *x = &r[cnt];
        memset(x, 0, sizeof *x);
        x->admission = sqlite3_column_int64(s, 0);
        x->subject = sqlite3_column_int64(s, 1);
        copy_col(s, 2, x->document, sizeof x->document);
        copy_col(s, 3, x->nationality, sizeof x->nationality);
        copy_col(s, 4, x->admission_class, sizeof x->admission_class);
        copy_col(s, 5, x->port, sizeof x->port);
        copy_col(s, 6, x->entry, sizeof x->entry);
        copy_col(s, 7, x->exit, sizeof x->exit);
        copy_col(s, 8, x->admit_until, sizeof x->admit_until);
        stays[cnt].entry = col_day(s, 6);
        stays[cnt].exit = col_day(s, 7);
        stays[cnt].admit_until = col_day(s, 8);
        if (stays[cnt].entry == BEX_DAY_NONE) continue; /* cannot happen with the schema's dates */
        cnt++;
    }
    if (rc == BEX_OK && step != SQLITE_DONE) rc = st_fail(st, "reading admissions", err, errlen);
    sqlite3_finalize(s);
    /* verdicts: the US rule per admission; the EU rule per subject over all their stays */
    for (size_t i = 0; rc == BEX_OK && i < cnt;) {
        size_t j = i + 1;
        if (policy_eu) {
            while (j < cnt && r[j].subject == r[i].subject) j++;
            bex_stay_verdict v[64];
            bex_stay_verdict *vp = j - i <= 64 ? v : bex__malloc((j - i) * sizeof *vp);
            if (!vp) {
                snprintf(err, errlen, "out of memory");
                rc = BEX_ERR_NOMEM;
                break;
            }
            rc = bex_overstay_eu(stays + i, j - i, asof, vp);
            for (size_t k = i; rc == BEX_OK && k < j; k++) r[k].verdict = vp[k - i];
            if (vp != v) bex__free(vp);
        } else {
            rc = bex_overstay_us(&stays[i], asof, &r[i].verdict);
        }
        if (rc != BEX_OK) {
            snprintf(err, errlen, "admission %lld has dates the overstay rules refuse (an exit before its "
                     "entry?)", (long long)r[i].admission);
            break;
        }
        i = j;
    }
    bex__free(stays);
    if (rc == BEX_OK) {
        char detail[96];
        snprintf(detail, sizeof detail, "as of %s, %s rule, %zu admissions", day, policy_eu ? "EU 90/180" : "US",
                 cnt);
        rc = st_audit(st, "report_overstays", "admissions", detail, err, errlen);
    }
    rc = st_end(st, rc, NULL, err, errlen);
    if (rc != BEX_OK) {
        bex__free(r);
        return rc;
    }
    *rows = r;
    *n = cnt;
    return BEX_OK;
}

int bex_store_flags(bex_store *st, bex_flag **flags, size_t *n, char *err, size_t errlen) {
    *flags = NULL;
    *n = 0;
    int rc = st_begin(st, err, errlen);
    if (rc != BEX_OK) return rc;
    sqlite3_stmt *s = st_prep(st, "SELECT id, kind, coalesce(encounter_id, 0), coalesce(departure_id, ''), detail, "
                                  "created_at, status FROM flags ORDER BY id", err, errlen);
    sqlite3_stmt *fs = st_prep(st, "SELECT subject_id FROM flag_subjects WHERE flag_id = ?1", err,
                               errlen);
    sqlite3_stmt *fd = st_prep(st, "SELECT document_id FROM flag_documents WHERE flag_id = ?1", err, errlen);
    if (!s || !fs || !fd) rc = BEX_ERR_IO;
    bex_flag *f = NULL;
    size_t cap = 0, cnt = 0;
    int step = SQLITE_DONE;
    while (rc == BEX_OK && (step = sqlite3_step(s)) == SQLITE_ROW) {
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
        x->id = sqlite3_column_int64(s, 0);
        copy_col(s, 1, x->kind, sizeof x->kind);
        x->encounter = sqlite3_column_int64(s, 2);
        copy_col(s, 3, x->departure, sizeof x->departure);
        copy_col(s, 4, x->detail, sizeof x->detail);
        copy_col(s, 5, x->created_at, sizeof x->created_at);
        copy_col(s, 6, x->status, sizeof x->status);
        sqlite3_reset(fs);
        sqlite3_bind_int64(fs, 1, x->id);
        while (sqlite3_step(fs) == SQLITE_ROW && x->n_subjects < BEX_FLAG_MAX_IDS)
            x->subjects[x->n_subjects++] = sqlite3_column_int64(fs, 0);
        sqlite3_reset(fd);
        sqlite3_bind_int64(fd, 1, x->id);
        while (sqlite3_step(fd) == SQLITE_ROW && x->n_documents < BEX_FLAG_MAX_IDS)
            x->documents[x->n_documents++] = sqlite3_column_int64(fd, 0);
    }
    if (rc == BEX_OK && step != SQLITE_DONE) rc = st_fail(st, "reading flags", err, errlen);
    sqlite3_finalize(s);
    sqlite3_finalize(fs);
    sqlite3_finalize(fd);
    if (rc == BEX_OK) {
        char detail[64];
        snprintf(detail, sizeof detail, "%zu flags", cnt);
        rc = st_audit(st, "report_flags", "flags", detail, err, errlen);
    }
    rc = st_end(st, rc, NULL, err, errlen);
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
    sqlite3_stmt *s = st_prep(st, sql, err, errlen);
    if (!arr || !s) {
        sqlite3_finalize(s);
        if (!arr) snprintf(err, errlen, "out of memory");
        return arr ? BEX_ERR_IO : BEX_ERR_NOMEM;
    }
    sqlite3_bind_int64(s, 1, subject);
    int r, rc = BEX_OK;
    while (rc == BEX_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
        cJSON *row = cJSON_CreateObject();
        if (!row || !cJSON_AddItemToArray(arr, row)) {
            cJSON_Delete(row);
            rc = BEX_ERR_NOMEM;
            break;
        }
        for (int i = 0; i < sqlite3_column_count(s); i++) {
            const char *name = sqlite3_column_name(s, i);
            switch (sqlite3_column_type(s, i)) {
            case SQLITE_INTEGER: cJSON_AddNumberToObject(row, name, (double)sqlite3_column_int64(s, i)); break;
            case SQLITE_FLOAT: cJSON_AddNumberToObject(row, name, sqlite3_column_double(s, i)); break;
            case SQLITE_NULL: cJSON_AddNullToObject(row, name); break;
            default: cJSON_AddStringToObject(row, name, (const char *)sqlite3_column_text(s, i)); break;
            }
        }
    }
    if (rc == BEX_OK && r != SQLITE_DONE) rc = st_fail(st, "reading the record", err, errlen);
    if (rc == BEX_ERR_NOMEM) snprintf(err, errlen, "out of memory");
    sqlite3_finalize(s);
    return rc;
}

int bex_store_subject_json(bex_store *st, int64_t subject, char **json, char *err, size_t errlen) {
    *json = NULL;
    int rc = st_begin(st, err, errlen);
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
                      "SELECT a.id, a.class, a.admit_until, a.entry_encounter_id AS entry, a.exit_encounter_id AS exit "
                      "FROM admissions a WHERE a.subject_id = ?1 ORDER BY a.id", subject, err, errlen);
    if (rc == BEX_OK)
        rc = add_rows(st, o, "encounters",
                      "SELECT id, direction, port, port_kind, carrier, voyage, departure_id AS departure, at, outcome, "
                      "gallery, gallery_size, score, threshold, document_id AS document FROM encounters "
                      "WHERE subject_id = ?1 ORDER BY at", subject, err, errlen);
    if (rc == BEX_OK)
        rc = add_rows(st, o, "samples",
                      "SELECT id, source, model, quality, captured_at, image IS NOT NULL AS image_kept "
                      "FROM samples WHERE subject_id = ?1 ORDER BY id", subject, err, errlen);
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
    rc = st_end(st, rc, NULL, err, errlen);
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
    int rc = st_begin(st, err, errlen);
    if (rc != BEX_OK) return rc;
    cJSON *o = cJSON_CreateObject();
    if (!o) rc = BEX_ERR_NOMEM;
    if (rc == BEX_OK)
        rc = add_rows(st, o, "encounter",
                      "SELECT id, subject_id AS subject, document_id AS document, direction, port, port_kind, carrier, "
                      "voyage, departure_id AS departure, at, outcome, gallery, gallery_size, score, threshold "
                      "FROM encounters WHERE id = ?1", encounter, err, errlen);
    cJSON *arr = o ? cJSON_GetObjectItemCaseSensitive(o, "encounter") : NULL;
    if (rc == BEX_OK && cJSON_GetArraySize(arr) != 1) {
        snprintf(err, errlen, "no encounter with that id");
        rc = BEX_ERR_ARG;
    }
    if (rc == BEX_OK) { /* one object, not a list of one */
        cJSON *one = cJSON_DetachItemFromArray(arr, 0);
        cJSON_DeleteItemFromObjectCaseSensitive(o, "encounter");
        cJSON_AddItemToObject(o, "encounter", one);
        rc = add_rows(st, o, "admissions",
                      "SELECT id, class, admit_until, entry_encounter_id AS entry, exit_encounter_id AS exit "
                      "FROM admissions WHERE entry_encounter_id = ?1 OR exit_encounter_id = ?1", encounter, err, errlen);
    }
    if (rc == BEX_OK)
        rc = add_rows(st, o, "flags", "SELECT id, kind, detail, status, created_at FROM flags WHERE encounter_id = ?1",
                      encounter, err, errlen);
    if (rc == BEX_OK) {
        char obj[48];
        snprintf(obj, sizeof obj, "encounter %lld", (long long)encounter);
        rc = st_audit(st, "read_encounter", obj, "record", err, errlen);
    }
    rc = st_end(st, rc, NULL, err, errlen);
    if (rc == BEX_OK && !(*json = cJSON_PrintUnformatted(o))) {
        snprintf(err, errlen, "out of memory");
        rc = BEX_ERR_NOMEM;
    }
    cJSON_Delete(o);
    return rc;
}
