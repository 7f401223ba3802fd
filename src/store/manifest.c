/*
 * manifest.c - carriers' manifests (the expected travellers of one departure or arrival,
 * APIS-like): parsing them from JSON, loading them into the store with their documents linked
 * and mismatches flagged, and the gallery of a departure for a gate (bex_store_gallery).
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_impl.h"
#include "util/util.h"

#define MANIFEST_MAX_TRAVELLERS 100000

/* Copies a string member into dst (size n); required members must be present and fit. */
static int get_str(const cJSON *o, const char *key, char *dst, size_t n, int required, const char *where,
                   char *err, size_t errlen) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    dst[0] = 0;
    if (!v || cJSON_IsNull(v)) {
        if (!required) return BEX_OK;
        snprintf(err, errlen, "%s: \"%s\" is missing", where, key);
        return BEX_ERR_FORMAT;
    }
    if (!cJSON_IsString(v) || (required && !v->valuestring[0])) {
        snprintf(err, errlen, "%s: \"%s\" must be a non-empty string", where, key);
        return BEX_ERR_FORMAT;
    }
    if (strlen(v->valuestring) >= n) {
        snprintf(err, errlen, "%s: \"%s\" is longer than %zu characters", where, key, n - 1);
        return BEX_ERR_FORMAT;
    }
    snprintf(dst, n, "%s", v->valuestring);
    return BEX_OK;
}

void bex_manifest_free(bex_manifest *m) {
    if (!m) return;
    bex__free(m->entries);
    m->entries = NULL;
    m->n = 0;
}

int bex_manifest_parse_json(const char *text, size_t len, bex_manifest *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        snprintf(err, errlen, "the manifest is not valid JSON (near byte %ld)",
                 at && at >= text && at <= text + len ? (long)(at - text) : -1L);
        return BEX_ERR_FORMAT;
    }
    bex_manifest m;
    memset(&m, 0, sizeof m);
    int rc = BEX_OK;
    const char *w = "manifest";
    if (!cJSON_IsObject(root)) {
        snprintf(err, errlen, "the manifest must be a JSON object");
        rc = BEX_ERR_FORMAT;
    }
    if (rc == BEX_OK) rc = get_str(root, "departure", m.id, sizeof m.id, 1, w, err, errlen);
    if (rc == BEX_OK) rc = get_str(root, "direction", m.direction, sizeof m.direction, 0, w, err, errlen);
    if (rc == BEX_OK) rc = get_str(root, "carrier", m.carrier, sizeof m.carrier, 1, w, err, errlen);
    if (rc == BEX_OK) rc = get_str(root, "voyage", m.voyage, sizeof m.voyage, 1, w, err, errlen);
    if (rc == BEX_OK) rc = get_str(root, "port", m.port, sizeof m.port, 1, w, err, errlen);
    if (rc == BEX_OK) rc = get_str(root, "port_kind", m.port_kind, sizeof m.port_kind, 1, w, err, errlen);
    if (rc == BEX_OK) rc = get_str(root, "scheduled", m.scheduled, sizeof m.scheduled, 1, w, err, errlen);
    if (rc == BEX_OK && !m.direction[0]) snprintf(m.direction, sizeof m.direction, "departure");
    if (rc == BEX_OK && strcmp(m.direction, "departure") && strcmp(m.direction, "arrival")) {
        snprintf(err, errlen, "manifest: \"direction\" must be \"departure\" or \"arrival\"");
        rc = BEX_ERR_FORMAT;
    }
    static const char *const kinds[] = {"air", "sea", "land", "land-pedestrian", "land-vehicle"};
    int kind_ok = 0;
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) kind_ok |= !strcmp(m.port_kind, kinds[k]);
    if (rc == BEX_OK && !kind_ok) {
        snprintf(err, errlen, "manifest: \"port_kind\" must be air, sea, land, land-pedestrian or land-vehicle");
        rc = BEX_ERR_FORMAT;
    }
    int64_t t;
    if (rc == BEX_OK && st_time_parse(m.scheduled, &t) != 0) {
        snprintf(err, errlen, "manifest: \"scheduled\" is no ISO 8601 time (YYYY-MM-DDTHH:MM:SSZ)");
        rc = BEX_ERR_FORMAT;
    }
    const cJSON *tr = cJSON_GetObjectItemCaseSensitive(root, "travellers");
    if (rc == BEX_OK && !cJSON_IsArray(tr)) {
        snprintf(err, errlen, "manifest: \"travellers\" must be an array");
        rc = BEX_ERR_FORMAT;
    }
    size_t n = rc == BEX_OK ? (size_t)cJSON_GetArraySize(tr) : 0;
    if (rc == BEX_OK && n > MANIFEST_MAX_TRAVELLERS) {
        snprintf(err, errlen, "manifest: %zu travellers, more than the %d one departure may list", n,
                 MANIFEST_MAX_TRAVELLERS);
        rc = BEX_ERR_LIMIT;
    }
    if (rc == BEX_OK && n) {
        m.entries = bex__calloc(n, sizeof *m.entries);
        if (!m.entries) {
            snprintf(err, errlen, "out of memory");
            rc = BEX_ERR_NOMEM;
        }
    }
    size_t i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, tr) {
        if (rc != BEX_OK) break;
        char where[48];
        snprintf(where, sizeof where, "traveller %zu", i + 1);
        bex_manifest_entry *x = &m.entries[i];
        if (!cJSON_IsObject(e)) {
            snprintf(err, errlen, "%s: must be an object", where);
            rc = BEX_ERR_FORMAT;
            break;
        }
        rc = get_str(e, "issuing_state", x->issuing_state, sizeof x->issuing_state, 1, where, err, errlen);
        if (rc == BEX_OK) rc = get_str(e, "number", x->number, sizeof x->number, 1, where, err, errlen);
        if (rc == BEX_OK) rc = get_str(e, "nationality", x->nationality, sizeof x->nationality, 0, where, err, errlen);
        if (rc == BEX_OK) rc = get_str(e, "surname", x->surname, sizeof x->surname, 1, where, err, errlen);
        if (rc == BEX_OK) rc = get_str(e, "given_names", x->given_names, sizeof x->given_names, 0, where, err, errlen);
        if (rc == BEX_OK) rc = get_str(e, "birth_date", x->birth_date, sizeof x->birth_date, 0, where, err, errlen);
        if (rc == BEX_OK) rc = get_str(e, "sex", x->sex, sizeof x->sex, 0, where, err, errlen);
        bex_day d;
        if (rc == BEX_OK && x->birth_date[0] && bex_day_parse(x->birth_date, &d) != BEX_OK) {
            snprintf(err, errlen, "%s: \"birth_date\" is no date (YYYY-MM-DD)", where);
            rc = BEX_ERR_FORMAT;
        }
        i++;
    }
    m.n = i;
    cJSON_Delete(root);
    if (rc != BEX_OK) {
        bex_manifest_free(&m);
        return rc;
    }
    *out = m;
    return BEX_OK;
}

int bex_store_load_manifest(bex_store *st, const bex_manifest *m,
                            void (*progress)(size_t done, size_t total, void *arg), void *arg,
                            bex_manifest_result *res, char *err, size_t errlen) {
    memset(res, 0, sizeof *res);
    int rc = st_begin(st, err, errlen);
    if (rc != BEX_OK) return rc;
    int64_t had = 0;
    rc = st_query_int(st, "SELECT count(*) FROM departures WHERE id = ?1", m->id, 0, 0, &had, err, errlen);
    if (rc == BEX_OK && had) {
        res->replaced = 1;
        sqlite3_stmt *s = st_prep(st, "DELETE FROM manifest_entries WHERE departure_id = ?1", err, errlen);
        rc = s ? BEX_OK : BEX_ERR_IO;
        if (s) {
            st_bind_text(s, 1, m->id);
            rc = st_step_done(st, s, "replacing the manifest", err, errlen);
        }
    }
    char now[24];
    st_now(now);
    if (rc == BEX_OK) {
        sqlite3_stmt *s = st_prep(st, "INSERT INTO departures(id, direction, carrier, voyage, port, port_kind, "
                                      "scheduled, loaded_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8) ON CONFLICT(id) DO "
                                      "UPDATE SET direction = ?2, carrier = ?3, voyage = ?4, port = ?5, "
                                      "port_kind = ?6, scheduled = ?7, loaded_at = ?8", err, errlen);
        int64_t t = 0;
        char sched[24];
        st_time_parse(m->scheduled, &t);
        st_time_format(t, sched);
        rc = s ? BEX_OK : BEX_ERR_IO;
        if (s) {
            const char *v[8] = {m->id, m->direction, m->carrier, m->voyage, m->port, m->port_kind, sched, now};
            for (int i = 0; i < 8; i++) st_bind_text(s, i + 1, v[i]);
            rc = st_step_done(st, s, "recording the departure", err, errlen);
        }
    }
    sqlite3_stmt *ins = rc == BEX_OK ? st_prep(st, "INSERT INTO manifest_entries(departure_id, issuing_state, "
                                                   "number, nationality, surname, given_names, birth_date, sex, "
                                                   "document_id) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)", err, errlen)
                                     : NULL;
    sqlite3_stmt *doc = rc == BEX_OK ? st_prep(st, "SELECT d.id, d.subject_id, d.surname, d.given_names, "
                                                   "coalesce(d.birth_date, ''), EXISTS (SELECT 1 FROM samples s "
                                                   "WHERE s.subject_id = d.subject_id) FROM documents d "
                                                   "WHERE d.number = ?1 AND d.issuing_state = ?2 "
                                                   "ORDER BY d.id DESC LIMIT 1", err, errlen)
                                     : NULL;
    if (rc == BEX_OK && (!ins || !doc)) rc = BEX_ERR_IO;
    for (size_t i = 0; rc == BEX_OK && i < m->n; i++) {
        const bex_manifest_entry *x = &m->entries[i];
        int64_t doc_id = 0, subject = 0;
        int mismatch = 0;
        sqlite3_reset(doc);
        st_bind_text(doc, 1, x->number);
        st_bind_text(doc, 2, x->issuing_state);
        int r = sqlite3_step(doc);
        if (r == SQLITE_ROW) {
            doc_id = sqlite3_column_int64(doc, 0);
            subject = sqlite3_column_int64(doc, 1);
            res->linked++;
            res->with_face += sqlite3_column_int(doc, 5) != 0;
            mismatch = strcmp((const char *)sqlite3_column_text(doc, 2), x->surname) ||
                       (x->given_names[0] && strcmp((const char *)sqlite3_column_text(doc, 3), x->given_names)) ||
                       (x->birth_date[0] && strcmp((const char *)sqlite3_column_text(doc, 4), x->birth_date));
        } else if (r != SQLITE_DONE) {
            rc = st_fail(st, "reading documents", err, errlen);
            break;
        }
        sqlite3_reset(ins);
        const char *v[8] = {m->id, x->issuing_state, x->number, x->nationality[0] ? x->nationality : NULL,
                            x->surname, x->given_names, x->birth_date[0] ? x->birth_date : NULL,
                            x->sex[0] ? x->sex : NULL};
        for (int k = 0; k < 8; k++) st_bind_text(ins, k + 1, v[k]);
        if (doc_id) sqlite3_bind_int64(ins, 9, doc_id);
        else sqlite3_bind_null(ins, 9);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            char what[96];
            snprintf(what, sizeof what, "traveller %zu (a document listed twice?)", i + 1);
            rc = st_fail(st, what, err, errlen);
            break;
        }
        res->travellers++;
        if (mismatch) {
            char detail[160];
            snprintf(detail, sizeof detail, "manifest traveller %zu: names or birth date differ from the "
                     "document on record", i + 1);
            rc = st_flag(st, "manifest_mismatch", 0, m->id, &subject, 1, &doc_id, 1, detail, NULL, err, errlen);
            res->n_flags++;
        }
        if (progress && (i % 1024 == 1023 || i + 1 == m->n)) progress(i + 1, m->n, arg);
    }
    sqlite3_finalize(ins);
    sqlite3_finalize(doc);
    if (rc == BEX_OK) {
        char obj[96], detail[128];
        snprintf(obj, sizeof obj, "departure %s", m->id);
        snprintf(detail, sizeof detail, "%zu travellers, %zu linked, %d mismatches%s", res->travellers,
                 res->linked, res->n_flags, res->replaced ? ", replaced" : "");
        rc = st_audit(st, "manifest_load", obj, detail, err, errlen);
    }
    rc = st_end(st, rc, NULL, err, errlen);
    if (rc != BEX_OK) memset(res, 0, sizeof *res);
    return rc;
}

int bex_store_gallery(bex_store *st, const char *departure, bex_index **out, size_t *subjects, char *err,
                      size_t errlen) {
    *out = NULL;
    *subjects = 0;
    int rc = st_begin(st, err, errlen);
    if (rc != BEX_OK) return rc;
    int64_t had = 0;
    rc = st_query_int(st, "SELECT count(*) FROM departures WHERE id = ?1", departure, 0, 0, &had, err, errlen);
    if (rc == BEX_OK && !had) {
        snprintf(err, errlen, "departure '%s' has no manifest in this store (bex manifest load FILE)", departure);
        rc = BEX_ERR_ARG;
    }
    bex_index *ix = NULL;
    if (rc == BEX_OK) rc = bex_index_open(BEX_TEMPLATE_DIM, BEX_INDEX_FLOAT32, &ix, err, errlen);
    sqlite3_stmt *s = rc == BEX_OK ? st_prep(st, "SELECT s.id, s.subject_id, s.template FROM samples s "
                                                 "JOIN subjects p ON p.id = s.subject_id "
                                                 "WHERE p.citizen = 0 AND s.model = ?2 AND s.subject_id IN "
                                                 "(SELECT d.subject_id FROM manifest_entries m JOIN documents d "
                                                 "ON d.number = m.number AND d.issuing_state = m.issuing_state "
                                                 "WHERE m.departure_id = ?1)", err, errlen)
                                   : NULL;
    if (rc == BEX_OK && !s) rc = BEX_ERR_IO;
    if (rc == BEX_OK) {
        st_bind_text(s, 1, departure);
        st_bind_text(s, 2, st->model);
        int r;
        while ((r = sqlite3_step(s)) == SQLITE_ROW && rc == BEX_OK)
            if (sqlite3_column_bytes(s, 2) == BEX_TEMPLATE_DIM * (int)sizeof(float))
                rc = bex_index_add(ix, sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
                                   (const float *)sqlite3_column_blob(s, 2), err, errlen);
        if (rc == BEX_OK && r != SQLITE_DONE) rc = st_fail(st, "reading the gallery", err, errlen);
    }
    sqlite3_finalize(s);
    if (rc == BEX_OK) {
        *subjects = bex_index_subjects(ix);
        char obj[96], detail[96];
        snprintf(obj, sizeof obj, "departure %s", departure);
        snprintf(detail, sizeof detail, "gallery of %zu subjects, %zu templates", *subjects, bex_index_count(ix));
        rc = st_audit(st, "gallery_build", obj, detail, err, errlen);
    }
    rc = st_end(st, rc, NULL, err, errlen);
    if (rc != BEX_OK) {
        bex_index_close(ix);
        *subjects = 0;
        return rc;
    }
    *out = ix;
    return BEX_OK;
}

int bex_store_departure_carrier(bex_store *st, const char *departure, char carrier[8], char *err, size_t errlen) {
    carrier[0] = 0;
    sqlite3_stmt *s = st_prep(st, "SELECT carrier FROM departures WHERE id = ?1", err, errlen);
    if (!s) return BEX_ERR_IO;
    st_bind_text(s, 1, departure);
    int r = sqlite3_step(s), rc = BEX_OK;
    if (r == SQLITE_ROW) snprintf(carrier, 8, "%s", (const char *)sqlite3_column_text(s, 0));
    else if (r == SQLITE_DONE) {
        snprintf(err, errlen, "no departure '%s' on record (its manifest loads it)", departure ? departure : "");
        rc = BEX_ERR_ARG;
    } else {
        rc = st_fail(st, "reading departures", err, errlen);
    }
    sqlite3_finalize(s);
    return rc;
}
