/*
 * console.c - what the officer console reads (issue 15): the photo retention kept of a
 * crossing or a sample (and of a finger sample, issue 17), the audit log searched, and the
 * crossings' facts behind the rates report (src/border/report.c aggregates them; rules.h says how). Every read of personal data
 * is audited in the read's own transaction. And the console's sessions, by their token's hash
 * (014_sessions.sql), so that every service node on one database knows them.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bex/face.h"
#include "store/records.h"
#include "store/store_impl.h"
#include "util/util.h"

/* ---- photos ---- */

int bex_store_photo(bex_store *st, int64_t encounter, const char *kind, int64_t sample, uint8_t **image,
                    size_t *len, int64_t *sample_id, char *err, size_t errlen) {
    *image = NULL;
    *len = 0;
    *sample_id = 0;
    int document = kind && !strcmp(kind, "document");
    if ((encounter > 0) == (sample > 0) || (kind && strcmp(kind, "live") && !document)) {
        snprintf(err, errlen, "a photo is an encounter's (kind live or document) or a sample's");
        return BEX_ERR_ARG;
    }
    int rc = bex__begin(st, err, errlen);
    if (rc != BEX_OK) return rc;
    db_stmt *s;
    if (sample > 0) {
        s = st_stmt(st, "SELECT id, image FROM samples WHERE id = ?1", err, errlen);
    } else {
        int64_t found = 0;
        rc = st_query_int(st, "SELECT count(*) FROM encounters WHERE id = ?2", NULL, encounter, 0, &found, err, errlen);
        if (rc == BEX_OK && !found) {
            snprintf(err, errlen, "no encounter %lld", (long long)encounter);
            rc = BEX_ERR_ARG;
        }
        /* the live capture (the encounter's own direction) or its document's photo; one with its
         * image first (a re-enrolment adds samples without one) */
        s = rc != BEX_OK ? NULL
            : document ? st_stmt(st, "SELECT id, image FROM samples WHERE encounter_id = ?1 AND source = 'document' "
                                     "ORDER BY image IS NULL, id LIMIT 1", err, errlen)
                       : st_stmt(st, "SELECT id, image FROM samples WHERE encounter_id = ?1 AND source IN ('entry', "
                                     "'exit') ORDER BY image IS NULL, id LIMIT 1", err, errlen);
    }
    if (rc == BEX_OK && !s) rc = BEX_ERR_IO;
    if (rc == BEX_OK) {
        db_bind_int64(s, 1, sample > 0 ? sample : encounter);
        int step = db_step(s);
        if (step == DB_ROW) {
            *sample_id = db_column_int64(s, 0);
            rc = st_col_blob_copy(s, 1, 0, "the photo", image, len, err, errlen);
        } else if (step != DB_DONE) {
            rc = st_fail(st, "reading a photo", err, errlen);
        } else if (sample > 0) {
            snprintf(err, errlen, "no sample %lld", (long long)sample);
            rc = BEX_ERR_ARG;
        }
        st_release(st, s);
    }
    /* a document photo that became no sample (an impostor's, a failed chip's, a document whose
     * photo is on record already) is kept with its encounter */
    if (rc == BEX_OK && document && !*image) {
        db_stmt *e = st_stmt(st, "SELECT document_image FROM encounters WHERE id = ?1", err, errlen);
        if (!e) rc = BEX_ERR_IO;
        if (e) {
            db_bind_int64(e, 1, encounter);
            if (db_step(e) == DB_ROW) {
                rc = st_col_blob_copy(e, 0, 0, "the document photo", image, len, err, errlen);
                if (*image) *sample_id = 0;
            }
            st_release(st, e);
        }
    }
    if (rc == BEX_OK) {
        char obj[96];
        if (sample > 0) snprintf(obj, sizeof obj, "sample %lld", (long long)sample);
        else snprintf(obj, sizeof obj, "encounter %lld sample %lld", (long long)encounter, (long long)*sample_id);
        rc = st_audit(st, "read_photo", obj, *image ? (document ? "document photo" : "photo") : "not retained", err,
                      errlen);
    }
    rc = bex__end(st, rc, NULL, err, errlen);
    if (rc != BEX_OK) {
        free(*image);
        *image = NULL;
        *len = 0;
    }
    return rc;
}

/* ---- finger images ---- */

int bex_store_finger_image(bex_store *st, int64_t sample, uint8_t **image, size_t *len, char *err, size_t errlen) {
    *image = NULL;
    *len = 0;
    if (sample <= 0) {
        snprintf(err, errlen, "a finger image is a finger sample's (?sample=ID)");
        return BEX_ERR_ARG;
    }
    int rc = bex__begin(st, err, errlen);
    if (rc != BEX_OK) return rc;
    db_stmt *s = st_stmt(st, "SELECT image FROM finger_samples WHERE id = ?1", err, errlen);
    if (!s) rc = BEX_ERR_IO;
    if (rc == BEX_OK) {
        db_bind_int64(s, 1, sample);
        int step = db_step(s);
        if (step == DB_ROW) {
            rc = st_col_blob_copy(s, 0, 0, "the finger image", image, len, err, errlen);
        } else if (step != DB_DONE) {
            rc = st_fail(st, "reading a finger image", err, errlen);
        } else {
            snprintf(err, errlen, "no finger sample %lld", (long long)sample);
            rc = BEX_ERR_ARG;
        }
        st_release(st, s);
    }
    if (rc == BEX_OK) {
        char obj[48];
        snprintf(obj, sizeof obj, "finger sample %lld", (long long)sample);
        rc = st_audit(st, "read_finger_image", obj, *image ? "finger image" : "not retained", err, errlen);
    }
    rc = bex__end(st, rc, NULL, err, errlen);
    if (rc != BEX_OK) {
        free(*image);
        *image = NULL;
        *len = 0;
    }
    return rc;
}

/* ---- the audit log searched ---- */

int bex_store_audit_search(bex_store *st, const bex_audit_query *q, bex_audit_row **rows, size_t *n,
                           int64_t *next_before, char *err, size_t errlen) {
    *rows = NULL;
    *n = 0;
    *next_before = 0;
    size_t limit = q->limit ? q->limit : 100;
    if (limit > BEX_AUDIT_MAX_ROWS) {
        snprintf(err, errlen, "an audit search answers at most %d rows at a time", BEX_AUDIT_MAX_ROWS);
        return BEX_ERR_ARG;
    }
    if (q->action && strlen(q->action) > 40) {
        snprintf(err, errlen, "an audit action is at most 40 characters");
        return BEX_ERR_ARG;
    }
    /* a key's rows: its actor is "key:ID ROLE"; a range on the text so an index can answer */
    char lo[32] = "", hi[32] = "";
    if (q->key_id > 0) {
        snprintf(lo, sizeof lo, "key:%lld ", (long long)q->key_id);
        snprintf(hi, sizeof hi, "key:%lld!", (long long)q->key_id);
    }
    int rc = bex__begin(st, err, errlen);
    if (rc != BEX_OK) return rc;
    db_stmt *s = st_stmt(st,
        "SELECT seq, at, actor, action, object, detail FROM audit WHERE (CAST(?1 AS TEXT) IS NULL OR (actor >= ?1 AND actor < ?2)) "
        "AND (CAST(?3 AS TEXT) IS NULL OR action = ?3) AND (CAST(?4 AS TEXT) IS NULL OR at >= ?4) AND (CAST(?5 AS TEXT) IS NULL OR at < ?5) "
        "AND (CAST(?6 AS BIGINT) IS NULL OR seq < ?6) ORDER BY seq DESC LIMIT ?7", err, errlen);
    if (!s) rc = BEX_ERR_IO;
    bex_audit_row *r = NULL;
    size_t cnt = 0;
    if (rc == BEX_OK) {
        st_bind_text(s, 1, q->key_id > 0 ? lo : NULL);
        st_bind_text(s, 2, q->key_id > 0 ? hi : NULL);
        st_bind_text(s, 3, q->action);
        st_bind_text(s, 4, q->since);
        st_bind_text(s, 5, q->until);
        st_bind_id(s, 6, q->before);
        db_bind_int64(s, 7, (int64_t)limit + 1); /* one more: is there a next page? */
        r = calloc(limit + 1, sizeof *r);
        if (!r) {
            snprintf(err, errlen, "out of memory");
            rc = BEX_ERR_NOMEM;
        }
        int step = DB_DONE;
        while (rc == BEX_OK && (step = db_step(s)) == DB_ROW) {
            if (cnt == limit) { /* the extra row: more to come before the last one answered */
                *next_before = r[cnt - 1].id;
                break;
            }
            bex_audit_row *x = &r[cnt++];
            x->id = db_column_int64(s, 0);
            st_col_text(s, 1, x->at, sizeof x->at);
            st_col_text(s, 2, x->actor, sizeof x->actor);
            st_col_text(s, 3, x->action, sizeof x->action);
            st_col_text(s, 4, x->object, sizeof x->object);
            st_col_text(s, 5, x->detail, sizeof x->detail);
            long long k = 0;
            if (sscanf(x->actor, "key:%lld ", &k) == 1 && k > 0) x->key_id = k;
        }
        if (rc == BEX_OK && step != DB_DONE && step != DB_ROW) rc = st_fail(st, "searching the audit log", err, errlen);
        st_release(st, s);
    }
    if (rc == BEX_OK) {
        char detail[160];
        snprintf(detail, sizeof detail, "%zu rows%s%s", cnt, q->action ? ", action " : "", q->action ? q->action : "");
        rc = st_audit(st, "audit_search", "audit", detail, err, errlen);
    }
    rc = bex__end(st, rc, NULL, err, errlen);
    if (rc != BEX_OK) {
        free(r);
        *next_before = 0;
        return rc;
    }
    *rows = r;
    *n = cnt;
    return BEX_OK;
}

/* ---- the crossings behind the rates ---- */

int bex__crossing_facts(bex_store *st, const char *from, const char *to, bex_crossing_fact **out, size_t *n,
                        char *err, size_t errlen) {
    *out = NULL;
    *n = 0;
    /* one row per (day, port, direction, outcome, birth date, sex) with its count; the
     * document is the encounter's, else (an exit) the subject's latest */
    db_stmt *s = st_stmt(st,
        "SELECT substr(e.at, 1, 10) AS day, e.port, e.direction, e.outcome, coalesce(d.birth_date, ''), "
        "coalesce(d.sex, ''), count(*) FROM encounters e LEFT JOIN documents d ON d.id = coalesce(e.document_id, "
        "(SELECT max(id) FROM documents WHERE subject_id = e.subject_id)) "
        "WHERE e.at >= ?1 AND e.at < ?2 GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6", err, errlen);
    if (!s) return BEX_ERR_IO;
    st_bind_text(s, 1, from);
    st_bind_text(s, 2, to);
    bex_crossing_fact *f = NULL;
    size_t cap = 0, cnt = 0;
    int step, rc = BEX_OK;
    while ((step = db_step(s)) == DB_ROW) {
        if (cnt == BEX_CROSSING_FACTS_MAX) {
            snprintf(err, errlen, "the period holds too many kinds of crossing for one report: ask for a shorter one");
            rc = BEX_ERR_LIMIT;
            break;
        }
        if (cnt == cap) {
            cap = cap ? cap * 2 : 256;
            bex_crossing_fact *nf = bex__realloc(f, cap * sizeof *nf);
            if (!nf) {
                snprintf(err, errlen, "out of memory");
                rc = BEX_ERR_NOMEM;
                break;
            }
            f = nf;
        }
        bex_crossing_fact *x = &f[cnt++];
        memset(x, 0, sizeof *x);
        char dir[8];
        st_col_text(s, 0, x->day, sizeof x->day);
        st_col_text(s, 1, x->port, sizeof x->port);
        st_col_text(s, 2, dir, sizeof dir);
        x->exit = !strcmp(dir, "exit");
        st_col_text(s, 3, x->outcome, sizeof x->outcome);
        st_col_text(s, 4, x->birth_date, sizeof x->birth_date);
        st_col_text(s, 5, x->sex, sizeof x->sex);
        x->count = db_column_int64(s, 6);
    }
    if (rc == BEX_OK && step != DB_DONE) rc = st_fail(st, "reading crossings", err, errlen);
    st_release(st, s);
    if (rc != BEX_OK) {
        bex__free(f);
        return rc;
    }
    *out = f;
    *n = cnt;
    return BEX_OK;
}

/* ---- one flag's candidates (border.h: bex_border_candidates) ---- */

int bex__candidate_facts_read(bex_store *st, int64_t encounter, bex__candidate_facts *out, float *tmpl, char *err,
                              size_t errlen) {
    memset(out, 0, sizeof *out);
    db_stmt *s = st_stmt(st, "SELECT e.port, coalesce(e.subject_id, 0), coalesce(d.subject_id, 0) FROM encounters e "
                                  "LEFT JOIN documents d ON d.id = e.document_id WHERE e.id = ?1", err, errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_int64(s, 1, encounter);
    int step = db_step(s);
    if (step == DB_ROW) {
        out->exists = 1;
        st_col_text(s, 0, out->port, sizeof out->port);
        out->subject = db_column_int64(s, 1);
        out->holder = db_column_int64(s, 2);
    }
    int rc = step == DB_ROW || step == DB_DONE ? BEX_OK : st_fail(st, "reading an encounter", err, errlen);
    st_release(st, s);
    if (rc != BEX_OK || !out->exists) return rc;
    /* each subject once, in the order of the first flag naming it */
    s = st_stmt(st, "SELECT fs.subject_id FROM flags f JOIN flag_subjects fs ON fs.flag_id = f.id "
                    "WHERE f.encounter_id = ?1 GROUP BY fs.subject_id ORDER BY min(f.id), fs.subject_id", err, errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_int64(s, 1, encounter);
    while ((step = db_step(s)) == DB_ROW)
        if (out->n_flagged < (int)(sizeof out->flagged / sizeof *out->flagged))
            out->flagged[out->n_flagged++] = db_column_int64(s, 0);
    rc = step == DB_DONE ? BEX_OK : st_fail(st, "reading flags", err, errlen);
    st_release(st, s);
    if (rc != BEX_OK) return rc;
    s = st_stmt(st, "SELECT id, template FROM samples WHERE encounter_id = ?1 AND source IN ('entry', 'exit') "
                    "AND modality = 'face' AND model = ?2 ORDER BY id LIMIT 1", err, errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_int64(s, 1, encounter);
    st_bind_text(s, 2, st->model);
    step = db_step(s);
    if (step == DB_ROW && db_column_bytes(s, 1) == TEMPLATE_BYTES(st)) {
        out->live_sample = db_column_int64(s, 0);
        memcpy(tmpl, db_column_blob(s, 1), TEMPLATE_BYTES(st));
    }
    rc = step == DB_ROW || step == DB_DONE ? BEX_OK : st_fail(st, "reading a sample", err, errlen);
    st_release(st, s);
    return rc;
}

int bex__subject_best_score(bex_store *st, int64_t subject, const float *probe, int64_t own, float *score,
                            int *own_only, char *err, size_t errlen) {
    *score = NAN;
    *own_only = 0;
    float self = NAN;
    db_stmt *s = st_stmt(st, "SELECT id, template FROM samples WHERE subject_id = ?1 AND modality = 'face' "
                                  "AND model = ?2 ORDER BY id", err, errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_int64(s, 1, subject);
    st_bind_text(s, 2, st->model);
    int step;
    while ((step = db_step(s)) == DB_ROW) {
        if (db_column_bytes(s, 1) != TEMPLATE_BYTES(st)) continue;
        float v = bex_template_similarity_dim(probe, db_column_blob(s, 1), st->dim);
        if (db_column_int64(s, 0) == own) self = v;
        else if (isnan(*score) || v > *score) *score = v;
    }
    int rc = step == DB_DONE ? BEX_OK : st_fail(st, "reading samples", err, errlen);
    st_release(st, s);
    if (rc == BEX_OK && isnan(*score) && !isnan(self)) {
        *score = self;
        *own_only = 1;
    }
    return rc;
}

/* ---- sessions ---- */

int bex_store_session_start(bex_store *st, const unsigned char *hash, size_t hash_len, int64_t key_id, long long now,
                            const bex_session_limits *lim, int *full, char *err, size_t errlen) {
    *full = 0;
    int rc = bex__begin(st, err, errlen); /* the write lock: two nodes count a key's sessions one at a time */
    if (rc != BEX_OK) return rc;
    db_stmt *s = st_stmt(st, "DELETE FROM console_sessions WHERE created_s <= ?1 OR last_s <= ?2", err, errlen);
    if (!s) rc = BEX_ERR_IO;
    if (rc == BEX_OK) {
        db_bind_int64(s, 1, now - lim->max_s);
        db_bind_int64(s, 2, now - lim->idle_s);
        rc = st_step_done(st, s, "clearing expired sessions", err, errlen);
    }
    int64_t mine = 0, all = 0;
    if (rc == BEX_OK)
        rc = st_query_int(st, "SELECT count(*) FROM console_sessions WHERE key_id = ?2", NULL, key_id, 0, &mine, err,
                          errlen);
    for (; rc == BEX_OK && mine >= lim->per_key; mine--) { /* the key's oldest gives way */
        s = st_stmt(st, "DELETE FROM console_sessions WHERE id = (SELECT id FROM console_sessions WHERE key_id = ?1 "
                        "ORDER BY created_s, id LIMIT 1)", err, errlen);
        if (!s) {
            rc = BEX_ERR_IO;
            break;
        }
        db_bind_int64(s, 1, key_id);
        rc = st_step_done(st, s, "ending a key's oldest session", err, errlen);
    }
    if (rc == BEX_OK) rc = st_query_int(st, "SELECT count(*) FROM console_sessions", NULL, 0, 0, &all, err, errlen);
    if (rc == BEX_OK && all >= lim->total) {
        *full = 1;
        st_rollback(st);
        return BEX_OK;
    }
    if (rc == BEX_OK) {
        s = st_stmt(st, "INSERT INTO console_sessions(token_hash, key_id, created_s, last_s) VALUES (?1, ?2, ?3, ?3)",
                    err, errlen);
        if (!s) rc = BEX_ERR_IO;
        else {
            db_bind_blob(s, 1, hash, hash_len);
            db_bind_int64(s, 2, key_id);
            db_bind_int64(s, 3, now);
            rc = st_step_done(st, s, "starting a session", err, errlen);
        }
    }
    return bex__end(st, rc, NULL, err, errlen);
}

int bex_store_session_touch(bex_store *st, const unsigned char *hash, size_t hash_len, long long now,
                            const bex_session_limits *lim, int *found, int64_t *key_id, long long *created_s,
                            char *err, size_t errlen) {
    *found = 0;
    /* one statement, no transaction of its own: the idle clock is no record the write lock guards */
    db_stmt *s = st_stmt(st, "SELECT key_id, created_s FROM console_sessions WHERE token_hash = ?1 AND created_s > ?2 "
                             "AND last_s > ?3", err, errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_blob(s, 1, hash, hash_len);
    db_bind_int64(s, 2, now - lim->max_s);
    db_bind_int64(s, 3, now - lim->idle_s);
    int r = db_step(s);
    if (r == DB_ROW) {
        *found = 1;
        *key_id = db_column_int64(s, 0);
        *created_s = db_column_int64(s, 1);
    }
    int rc = r == DB_ROW || r == DB_DONE ? BEX_OK : st_fail(st, "reading a session", err, errlen);
    st_release(st, s);
    if (rc != BEX_OK || !*found) return rc;
    s = st_stmt(st, "UPDATE console_sessions SET last_s = ?2 WHERE token_hash = ?1 AND last_s < ?2", err, errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_blob(s, 1, hash, hash_len);
    db_bind_int64(s, 2, now);
    return st_step_done(st, s, "touching a session", err, errlen);
}

int bex_store_session_end(bex_store *st, const unsigned char *hash, size_t hash_len, int64_t key_id, char *err,
                          size_t errlen) {
    db_stmt *s = hash ? st_stmt(st, "DELETE FROM console_sessions WHERE token_hash = ?1", err, errlen)
                      : st_stmt(st, "DELETE FROM console_sessions WHERE key_id = ?1", err, errlen);
    if (!s) return BEX_ERR_IO;
    if (hash) db_bind_blob(s, 1, hash, hash_len);
    else db_bind_int64(s, 1, key_id);
    return st_step_done(st, s, "ending sessions", err, errlen);
}
