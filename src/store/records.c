/*
 * records.c - what the border rules read and write (records.h): documents and subjects as a
 * decision needs them, 1:N searches over the store's index, galleries, departures, and the
 * rows a verdict becomes (subjects, documents, encounters, admissions, flags, samples), the
 * officers' corrections, and what retention deletes. No rule is applied here.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_impl.h"
#include "util/util.h"

static const char *format_name(bex_mrz_format f) {
    switch (f) {
    case BEX_MRZ_TD1: return "TD1";
    case BEX_MRZ_TD2: return "TD2";
    case BEX_MRZ_TD3: return "TD3";
    case BEX_MRZ_MRVA: return "MRV-A";
    case BEX_MRZ_MRVB: return "MRV-B";
    }
    return "fields";
}

/* columns: id, subject_id, issuing_state, number, nationality, surname, given_names, birth_date, has_photo */
#define DOC_COLUMNS                                                                                    \
    "d.id, d.subject_id, d.issuing_state, d.number, d.nationality, d.surname, d.given_names, "         \
    "coalesce(d.birth_date, ''), EXISTS (SELECT 1 FROM samples x JOIN encounters e ON e.id = x.encounter_id " \
    "WHERE x.source = 'document' AND e.document_id = d.id) "

static void doc_row(db_stmt *s, bex_known_document *d) {
    memset(d, 0, sizeof *d);
    d->id = db_column_int64(s, 0);
    d->subject = db_column_int64(s, 1);
    st_col_text(s, 2, d->issuing_state, sizeof d->issuing_state);
    st_col_text(s, 3, d->number, sizeof d->number);
    st_col_text(s, 4, d->nationality, sizeof d->nationality);
    st_col_text(s, 5, d->surname, sizeof d->surname);
    st_col_text(s, 6, d->given_names, sizeof d->given_names);
    st_col_text(s, 7, d->birth_date, sizeof d->birth_date);
    d->has_photo = db_column_int(s, 8) != 0;
}

/* Runs a cached document query whose parameters are bound by the caller; rows into out. */
static int doc_rows(bex_store *st, db_stmt *s, bex_known_document *out, int max, int *n, char *err,
                    size_t errlen) {
    *n = 0;
    int r;
    while ((r = db_step(s)) == DB_ROW)
        if (*n < max) doc_row(s, &out[(*n)++]);
    int rc = r == DB_DONE ? BEX_OK : st_fail(st, "reading documents", err, errlen);
    st_release(st, s);
    return rc;
}

/* ---- gathering ---- */

int bex__holders(bex_store *st, const char *issuing_state, const char *number, bex_known_document *out, int max,
                 int *n, char *err, size_t errlen) {
    db_stmt *s = st_stmt(st, "SELECT " DOC_COLUMNS "FROM documents d WHERE d.number = ?1 "
                                  "AND d.issuing_state = ?2 ORDER BY d.id", err, errlen);
    if (!s) return BEX_ERR_IO;
    st_bind_text(s, 1, number);
    st_bind_text(s, 2, issuing_state);
    return doc_rows(st, s, out, max, n, err, errlen);
}

int bex__documents_by_number(bex_store *st, const char *number, const char *state, bex_known_document *out,
                             int max, int *n, char *err, size_t errlen) {
    db_stmt *s = st_stmt(st, "SELECT " DOC_COLUMNS "FROM documents d WHERE d.number = ?1 "
                                  "AND (CAST(?2 AS TEXT) IS NULL OR d.issuing_state = ?2) ORDER BY d.id", err, errlen);
    if (!s) return BEX_ERR_IO;
    st_bind_text(s, 1, number);
    st_bind_text(s, 2, state);
    return doc_rows(st, s, out, max, n, err, errlen);
}

int bex__documents_by_birth(bex_store *st, const char *birth, bex_known_document *out, int max, int *n,
                            char *err, size_t errlen) {
    db_stmt *s = st_stmt(st, "SELECT " DOC_COLUMNS "FROM documents d WHERE d.birth_date = ?1 ORDER BY d.id",
                              err, errlen);
    if (!s) return BEX_ERR_IO;
    st_bind_text(s, 1, birth);
    return doc_rows(st, s, out, max, n, err, errlen);
}

int bex__subject_kind(bex_store *st, int64_t subject, int *exists, int *citizen, char *err, size_t errlen) {
    int64_t c;
    int rc = st_query_int(st, "SELECT citizen FROM subjects WHERE id = ?2", NULL, subject, -1, &c, err, errlen);
    if (rc != BEX_OK) return rc;
    *exists = c >= 0;
    *citizen = c == 1;
    return BEX_OK;
}

int bex__subject_facts(bex_store *st, int64_t subject, const char *before, const float *probe,
                       bex_known_subject *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    out->id = subject;
    out->score = NAN;
    int exists, citizen;
    int rc = bex__subject_kind(st, subject, &exists, &citizen, err, errlen);
    if (rc != BEX_OK) return rc;
    if (!exists) {
        snprintf(err, errlen, "no subject %lld on record", (long long)subject);
        return BEX_ERR_ARG;
    }
    out->citizen = citizen;
    int64_t faces;
    rc = st_query_int(st, "SELECT count(*) FROM samples s WHERE s.subject_id = ?2 AND s.modality = 'face' "
                          "AND s.model = ?1 AND s.citizen = 0", st->model, subject, 0, &faces, err, errlen);
    if (rc != BEX_OK) return rc;
    out->has_face = faces > 0 && !citizen;
    db_stmt *s = st_stmt(st, "SELECT " DOC_COLUMNS "FROM documents d WHERE d.subject_id = ?1 "
                                  "ORDER BY d.id DESC LIMIT 8", err, errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_int64(s, 1, subject);
    if ((rc = doc_rows(st, s, out->documents, BEX_SUBJECT_MAX_DOCUMENTS, &out->n_documents, err, errlen)) != BEX_OK)
        return rc;
    /* INDEXED BY: without statistics SQLite takes "exit_encounter_id IS NULL" on that column's
     * UNIQUE index for one row, and scans every open admission instead */
    s = st_stmt(st, INDEXED_BY(st, "SELECT a.id FROM admissions a", "admissions_open",
                               "JOIN encounters e ON e.id = a.entry_encounter_id "
                               "WHERE a.subject_id = ?1 AND a.exit_encounter_id IS NULL AND a.superseded_by IS NULL "
                               "AND (CAST(?2 AS TEXT) IS NULL OR e.at < ?2) ORDER BY e.at DESC LIMIT 4"), err, errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_int64(s, 1, subject);
    st_bind_text(s, 2, before);
    int r;
    while ((r = db_step(s)) == DB_ROW)
        if (out->n_open < BEX_SUBJECT_MAX_OPEN) out->open_admissions[out->n_open++] = db_column_int64(s, 0);
    rc = r == DB_DONE ? BEX_OK : st_fail(st, "reading admissions", err, errlen);
    st_release(st, s);
    if (rc != BEX_OK || !probe || !out->has_face) return rc;
    bex_index_hit hits[5];
    size_t nh;
    long long size;
    rc = bex__search(st, probe, &subject, 1, hits, &nh, &size, err, errlen);
    if (rc == BEX_OK && nh > 0) out->score = hits[0].score;
    return rc;
}

/* A sample's float32 template, for the re-rank of bex__search: BEX_ERR_ARG when it is gone
 * (erased in the transaction in progress) or of another model. */
static int sample_vector(void *ctx, int64_t sample, float *vec) {
    bex_store *st = ctx;
    char e[128];
    db_stmt *s = st_stmt(st, "SELECT template FROM samples WHERE id = ?1 AND model = ?2", e, sizeof e);
    if (!s) return BEX_ERR_IO;
    db_bind_int64(s, 1, sample);
    st_bind_text(s, 2, st->model);
    int rc = BEX_ERR_ARG;
    if (db_step(s) == DB_ROW && db_column_bytes(s, 0) == TEMPLATE_BYTES(st)) {
        memcpy(vec, db_column_blob(s, 0), TEMPLATE_BYTES(st));
        rc = BEX_OK;
    }
    st_release(st, s);
    return rc;
}

/* The candidates' templates of a re-rank at once. On PostgreSQL one query for them all: a
 * query a template (64 at least each search) was a round trip each, most of a crossing's time
 * on a database server; SQLite reads them one by one, in the process. */
static int sample_vectors(void *ctx, const int64_t *ids, size_t n, float *vecs, unsigned char *ok) {
    bex_store *st = ctx;
    memset(ok, 0, n);
    if (!st->pg) {
        for (size_t i = 0; i < n; i++) ok[i] = sample_vector(ctx, ids[i], vecs + i * (size_t)st->dim) == BEX_OK;
        return BEX_OK;
    }
    char *arr = st_id_array(ids, n);
    if (!arr) return BEX_ERR_NOMEM;
    char e[128];
    db_stmt *s = st_stmt(st, "SELECT id, template FROM samples WHERE id = ANY(CAST(?1 AS BIGINT[])) AND model = ?2",
                         e, sizeof e);
    if (!s) {
        bex__free(arr);
        return BEX_ERR_IO;
    }
    st_bind_text(s, 1, arr);
    st_bind_text(s, 2, st->model);
    bex__free(arr);
    int r;
    size_t hint = 0;
    while ((r = db_step(s)) == DB_ROW) {
        int64_t id = db_column_int64(s, 0);
        if (db_column_bytes(s, 1) != TEMPLATE_BYTES(st)) continue;
        /* the rows come in any order: find the id (from where the last one was: often next) */
        for (size_t k = 0; k < n; k++) {
            size_t i = (hint + k) % n;
            if (ids[i] != id) continue;
            memcpy(vecs + i * (size_t)st->dim, db_column_blob(s, 1), TEMPLATE_BYTES(st));
            ok[i] = 1;
            hint = i + 1;
            break;
        }
    }
    st_release(st, s);
    return r == DB_DONE ? BEX_OK : BEX_ERR_IO;
}

static int search(bex_store *st, const bex_store_scan *pre, const float *probe, const int64_t *subjects,
                  size_t n, bex_index_hit hits[5], size_t *n_hits, long long *gallery_size, char *err,
                  size_t errlen) {
    *n_hits = 0;
    *gallery_size = 0;
    bex_index *ix;
    int rc = st_index(st, &ix, err, errlen);
    if (rc != BEX_OK) return rc;
    bex_index_filter *f = NULL;
    long long size = (long long)bex_index_subjects(ix);
    if (subjects) {
        if (n == 0) return BEX_OK;
        if ((rc = bex_index_filter_by_subjects(ix, subjects, n, &f, err, errlen)) != BEX_OK) return rc;
        size = (long long)bex_index_filter_subjects(f);
    }
    *gallery_size = size;
    if (size > 0)
        rc = bex_index_search_subjects_exact_batch(ix, subjects ? NULL : st_prescan_of(st, pre), probe, 5, f,
                                                   sample_vectors, st, hits, n_hits, NULL, err, errlen);
    bex_index_filter_free(f);
    return rc;
}

int bex__search(bex_store *st, const float *probe, const int64_t *subjects, size_t n, bex_index_hit hits[5],
                size_t *n_hits, long long *gallery_size, char *err, size_t errlen) {
    return search(st, NULL, probe, subjects, n, hits, n_hits, gallery_size, err, errlen);
}

int bex__search_all(bex_store *st, const bex_store_scan *pre, const float *probe, bex_index_hit hits[5],
                    size_t *n_hits, long long *gallery_size, char *err, size_t errlen) {
    return search(st, pre, probe, NULL, 0, hits, n_hits, gallery_size, err, errlen);
}

int bex__indexed_subjects(bex_store *st, long long *n, char *err, size_t errlen) {
    bex_index *ix;
    int rc = st_index(st, &ix, err, errlen);
    if (rc == BEX_OK) *n = (long long)bex_index_subjects(ix);
    return rc;
}

int bex__gallery_subjects(bex_store *st, bex_gallery g, const char *departure, const char *port, const char *day,
                          int64_t **out, size_t *n, char *err, size_t errlen) {
    *out = NULL;
    *n = 0;
    static const char manifest_sql[] =
        "SELECT DISTINCT d.subject_id FROM manifest_entries m JOIN documents d ON d.id = m.document_id "
        "WHERE m.departure_id = ?1 AND m.verified = 1 ORDER BY 1";
    static const char port_sql[] =
        "SELECT DISTINCT d.subject_id FROM departures p JOIN manifest_entries m ON m.departure_id = p.id "
        "JOIN documents d ON d.id = m.document_id "
        "WHERE p.port = ?1 AND p.direction = 'departure' AND substr(p.scheduled, 1, 10) = ?2 "
        "AND m.verified = 1 ORDER BY 1";
    const char *in_country_sql = INDEXED_BY(st, "SELECT DISTINCT subject_id FROM admissions", "admissions_open",
                                            "WHERE exit_encounter_id IS NULL AND superseded_by IS NULL ORDER BY 1");
    const char *sql = g == BEX_GALLERY_MANIFEST ? manifest_sql : g == BEX_GALLERY_PORT ? port_sql
                    : g == BEX_GALLERY_IN_COUNTRY ? in_country_sql : NULL;
    if (!sql) {
        snprintf(err, errlen, "the %s gallery has no subject list", bex_gallery_name(g));
        return BEX_ERR_ARG;
    }
    db_stmt *s = st_stmt(st, sql, err, errlen);
    if (!s) return BEX_ERR_IO;
    if (g == BEX_GALLERY_MANIFEST) st_bind_text(s, 1, departure);
    if (g == BEX_GALLERY_PORT) {
        st_bind_text(s, 1, port);
        st_bind_text(s, 2, day);
    }
    size_t cap = 0;
    int r, rc = BEX_OK;
    while ((r = db_step(s)) == DB_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            int64_t *p = bex__realloc(*out, cap * sizeof *p);
            if (!p) {
                rc = BEX_ERR_NOMEM;
                snprintf(err, errlen, "out of memory");
                break;
            }
            *out = p;
        }
        (*out)[(*n)++] = db_column_int64(s, 0);
    }
    if (rc == BEX_OK && r != DB_DONE) rc = st_fail(st, "reading a gallery", err, errlen);
    st_release(st, s);
    if (rc != BEX_OK) {
        bex__free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

int bex__departure(bex_store *st, const char *id, bex_departure_info *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    snprintf(out->id, sizeof out->id, "%s", id ? id : "");
    db_stmt *s = st_stmt(st, "SELECT direction, carrier, voyage, port, port_kind, scheduled FROM departures "
                                  "WHERE id = ?1", err, errlen);
    if (!s) return BEX_ERR_IO;
    st_bind_text(s, 1, id);
    int r = db_step(s);
    if (r == DB_ROW) {
        char dir[16], kind[20];
        out->known = 1;
        st_col_text(s, 0, dir, sizeof dir);
        bex_direction_parse(dir, &out->direction);
        st_col_text(s, 1, out->carrier, sizeof out->carrier);
        st_col_text(s, 2, out->voyage, sizeof out->voyage);
        st_col_text(s, 3, out->port, sizeof out->port);
        st_col_text(s, 4, kind, sizeof kind);
        bex_port_kind_parse(kind, &out->port_kind);
        st_col_text(s, 5, out->scheduled, sizeof out->scheduled);
    }
    int rc = r == DB_ROW || r == DB_DONE ? BEX_OK : st_fail(st, "reading departures", err, errlen);
    st_release(st, s);
    return rc;
}

int bex__port_kind(bex_store *st, const char *port, bex_port_kind *out, char *err, size_t errlen) {
    *out = BEX_PORT_NONE;
    db_stmt *s = st_stmt(st, "SELECT port_kind FROM encounters WHERE port = ?1 ORDER BY id DESC LIMIT 1", err,
                              errlen);
    if (!s) return BEX_ERR_IO;
    st_bind_text(s, 1, port);
    int r = db_step(s);
    if (r == DB_ROW) {
        char kind[20];
        st_col_text(s, 0, kind, sizeof kind);
        bex_port_kind_parse(kind, out);
    }
    int rc = r == DB_ROW || r == DB_DONE ? BEX_OK : st_fail(st, "reading encounters", err, errlen);
    st_release(st, s);
    return rc;
}

int bex__open_admission(bex_store *st, int64_t subject, const char *at, int64_t *admission, char *err,
                        size_t errlen) {
    return st_query_int(st, INDEXED_BY(st, "SELECT a.id FROM admissions a", "admissions_open",
                                       "JOIN encounters e ON e.id = a.entry_encounter_id "
                                       "WHERE a.subject_id = ?2 AND a.exit_encounter_id IS NULL AND a.superseded_by IS NULL "
                                       "AND e.at <= ?1 ORDER BY e.at DESC LIMIT 1"),
                        at, subject, 0, admission, err, errlen);
}

int bex__exit_recorded(bex_store *st, const char *port, const char *at, const float *tmpl, int *found,
                       bex_exit_result *res, char *err, size_t errlen) {
    *found = 0;
    db_stmt *s = st_stmt(st, "SELECT e.id, coalesce(e.subject_id, 0), e.outcome FROM encounters e "
                                  "JOIN samples s ON s.encounter_id = e.id WHERE e.direction = 'exit' "
                                  "AND e.port = ?1 AND e.at = ?2 AND s.template = ?3 LIMIT 1", err, errlen);
    if (!s) return BEX_ERR_IO;
    st_bind_text(s, 1, port);
    st_bind_text(s, 2, at);
    db_bind_blob(s, 3, tmpl, TEMPLATE_BYTES(st));
    int r = db_step(s);
    if (r == DB_ROW) {
        char o[32];
        *found = 1;
        res->encounter = db_column_int64(s, 0);
        res->subject = db_column_int64(s, 1);
        st_col_text(s, 2, o, sizeof o);
        if (bex_outcome_parse(o, &res->outcome) != BEX_OK) res->outcome = BEX_OUTCOME_NONE;
    }
    int rc = r == DB_ROW || r == DB_DONE ? BEX_OK : st_fail(st, "reading encounters", err, errlen);
    st_release(st, s);
    return rc;
}

int bex__encounter(bex_store *st, int64_t id, bex__encounter_info *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    db_stmt *s = st_stmt(st, "SELECT e.id, coalesce(e.subject_id, 0), e.direction = 'exit', e.at, e.outcome, "
                                  "coalesce(e.decision, ''), coalesce(e.class, ''), coalesce(e.admit_until, ''), "
                                  "e.citizen, coalesce((SELECT a.id FROM admissions a WHERE a.entry_encounter_id = e.id "
                                  "OR a.exit_encounter_id = e.id LIMIT 1), 0) FROM encounters e WHERE e.id = ?1",
                              err, errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_int64(s, 1, id);
    int r = db_step(s);
    if (r == DB_ROW) {
        char o[32], d[16];
        out->id = db_column_int64(s, 0);
        out->subject = db_column_int64(s, 1);
        out->exit = db_column_int(s, 2);
        st_col_text(s, 3, out->at, sizeof out->at);
        st_col_text(s, 4, o, sizeof o);
        bex_outcome_parse(o, &out->outcome);
        st_col_text(s, 5, d, sizeof d);
        if (d[0]) bex_decision_parse(d, &out->decision);
        st_col_text(s, 6, out->class_, sizeof out->class_);
        st_col_text(s, 7, out->admit_until, sizeof out->admit_until);
        out->citizen = db_column_int(s, 8);
        out->admission = db_column_int64(s, 9);
    }
    int rc = r == DB_ROW || r == DB_DONE ? BEX_OK : st_fail(st, "reading encounters", err, errlen);
    st_release(st, s);
    if (rc == BEX_OK && r == DB_DONE) {
        snprintf(err, errlen, "no encounter %lld on record", (long long)id);
        rc = BEX_ERR_ARG;
    }
    return rc;
}

/* ---- recording ---- */

int bex__insert_subject(bex_store *st, const char *at, int citizen, int64_t *id, char *err, size_t errlen) {
    db_stmt *s = st_stmt(st, "INSERT INTO subjects(created_at, citizen) VALUES (?1, ?2)", err, errlen);
    if (!s) return BEX_ERR_IO;
    st_bind_text(s, 1, at);
    db_bind_int(s, 2, citizen != 0);
    int rc = st_step_done(st, s, "recording a traveller", err, errlen);
    *id = db_last_insert_rowid(st->db);
    return rc;
}

int bex__insert_document(bex_store *st, int64_t subject, const bex_mrz *d, const char *at, int64_t *id, char *err,
                         size_t errlen) {
    char failed[96] = "";
    for (int i = 0; i < d->n_failed; i++) {
        size_t l = strlen(failed);
        snprintf(failed + l, sizeof failed - l, "%s%s", i ? "," : "", d->failed[i]);
    }
    db_stmt *s = st_stmt(st, "INSERT INTO documents(subject_id, type, format, issuing_state, number, "
                                  "nationality, surname, given_names, birth_date, sex, expiry_date, "
                                  "checks_failed, created_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
                              err, errlen);
    if (!s) return BEX_ERR_IO;
    char sex[2] = {d->sex ? d->sex : 'X', 0};
    db_bind_int64(s, 1, subject);
    st_bind_text(s, 2, d->doc_code);
    st_bind_text(s, 3, format_name(d->format));
    st_bind_text(s, 4, d->issuing_state);
    st_bind_text(s, 5, d->doc_number);
    st_bind_text(s, 6, d->nationality);
    st_bind_text(s, 7, d->surname);
    st_bind_text(s, 8, d->given_names);
    st_bind_text(s, 9, d->birth_date[0] ? d->birth_date : NULL);
    st_bind_text(s, 10, sex);
    st_bind_text(s, 11, d->expiry_date[0] ? d->expiry_date : NULL);
    st_bind_text(s, 12, failed[0] ? failed : NULL);
    st_bind_text(s, 13, at);
    int rc = st_step_done(st, s, "recording the document", err, errlen);
    *id = db_last_insert_rowid(st->db);
    return rc;
}

int bex__insert_encounter(bex_store *st, const bex__encounter_row *e, int64_t *id, char *err, size_t errlen) {
    long long keep_images = 0;
    if (e->document_image) {
        int r0 = bex_store_get_retention(st, "images", &keep_images, err, errlen);
        if (r0 != BEX_OK) return r0;
    }
    db_stmt *s = st_stmt(st, "INSERT INTO encounters(subject_id, document_id, direction, port, port_kind, "
                                  "carrier, voyage, departure_id, at, outcome, gallery, gallery_size, score, "
                                  "threshold, decision, class, admit_until, citizen, operating_point, calibration_id, chip_check, "
                                  "chip_detail, document_image) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,"
                                  "?15,?16,?17,?18,?19,?20,?21,?22,?23)",
                              err, errlen);
    if (!s) return BEX_ERR_IO;
    st_bind_id(s, 1, e->subject);
    st_bind_id(s, 2, e->document);
    st_bind_text(s, 3, e->exit ? "exit" : "entry");
    st_bind_text(s, 4, e->port);
    st_bind_text(s, 5, bex_port_kind_name(e->port_kind));
    st_bind_text(s, 6, e->carrier);
    st_bind_text(s, 7, e->voyage);
    st_bind_text(s, 8, e->departure);
    st_bind_text(s, 9, e->at);
    st_bind_text(s, 10, bex_outcome_name(e->outcome));
    const bex_match *m = e->match;
    if (m && m->gallery != BEX_GALLERY_NONE) {
        st_bind_text(s, 11, bex_gallery_name(m->gallery));
        db_bind_int64(s, 12, m->gallery_size);
        if (!isnan(m->score)) db_bind_double(s, 13, m->score);
        else db_bind_null(s, 13);
        if (!isnan(m->threshold)) db_bind_double(s, 14, m->threshold);
        else db_bind_null(s, 14);
        st_bind_text(s, 19, m->operating_point[0] ? m->operating_point : NULL);
        st_bind_id(s, 20, m->calibration_id);
    } else {
        for (int i = 11; i <= 14; i++) db_bind_null(s, i);
        db_bind_null(s, 19);
        db_bind_null(s, 20);
    }
    st_bind_text(s, 15, e->decision ? bex_decision_name(e->decision) : NULL);
    st_bind_text(s, 16, e->class_);
    st_bind_text(s, 17, e->admit_until);
    db_bind_int(s, 18, e->citizen != 0);
    st_bind_text(s, 21, e->chip_check);
    st_bind_text(s, 22, e->chip_detail);
    if (e->document_image && e->document_image_len && e->document_image_len < (size_t)1 << 30 && keep_images > 0)
        db_bind_blob(s, 23, e->document_image, (int)e->document_image_len);
    else db_bind_null(s, 23);
    int rc = st_step_done(st, s, "recording the encounter", err, errlen);
    *id = db_last_insert_rowid(st->db);
    return rc;
}

int bex__set_decision(bex_store *st, int64_t encounter, bex_decision d, char *err, size_t errlen) {
    db_stmt *s = st_stmt(st, "UPDATE encounters SET decision = ?2 WHERE id = ?1", err, errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_int64(s, 1, encounter);
    st_bind_text(s, 2, bex_decision_name(d));
    return st_step_done(st, s, "recording the decision", err, errlen);
}

int bex__insert_admission(bex_store *st, int64_t subject, int64_t entry, const char *class_, const char *admit_until,
                          int64_t *id, char *err, size_t errlen) {
    db_stmt *s = st_stmt(st, "INSERT INTO admissions(subject_id, entry_encounter_id, class, admit_until) "
                                  "VALUES (?1, ?2, ?3, ?4)", err, errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_int64(s, 1, subject);
    db_bind_int64(s, 2, entry);
    st_bind_text(s, 3, class_);
    st_bind_text(s, 4, admit_until);
    int rc = st_step_done(st, s, "recording the admission", err, errlen);
    *id = db_last_insert_rowid(st->db);
    return rc;
}

int bex__close_admission(bex_store *st, int64_t admission, int64_t exit, char *err, size_t errlen) {
    db_stmt *s = st_stmt(st, "UPDATE admissions SET exit_encounter_id = ?2 WHERE id = ?1", err, errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_int64(s, 1, admission);
    db_bind_int64(s, 2, exit);
    return st_step_done(st, s, "closing the admission", err, errlen);
}

int bex__supersede_admission(bex_store *st, int64_t admission, int64_t entry, char *err, size_t errlen) {
    db_stmt *s = st_stmt(st, "UPDATE admissions SET superseded_by = ?2 WHERE id = ?1", err, errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_int64(s, 1, admission);
    db_bind_int64(s, 2, entry);
    return st_step_done(st, s, "closing an earlier admission", err, errlen);
}

int bex__insert_flag(bex_store *st, const bex_flag_plan *p, int64_t encounter, const char *departure, const char *at,
                     bex_flag *out, char *err, size_t errlen) {
    db_stmt *s = st_stmt(st, "INSERT INTO flags(kind, encounter_id, departure_id, detail, created_at) "
                                  "VALUES (?1, ?2, ?3, ?4, ?5)", err, errlen);
    if (!s) return BEX_ERR_IO;
    st_bind_text(s, 1, bex_flag_kind_name(p->kind));
    st_bind_id(s, 2, encounter);
    st_bind_text(s, 3, departure);
    st_bind_text(s, 4, p->detail);
    st_bind_text(s, 5, at);
    int rc = st_step_done(st, s, "writing a flag", err, errlen);
    if (rc != BEX_OK) return rc;
    int64_t id = db_last_insert_rowid(st->db);
    int ns = p->n_subjects < BEX_FLAG_MAX_IDS ? p->n_subjects : BEX_FLAG_MAX_IDS;
    int nd = p->n_documents < BEX_FLAG_MAX_IDS ? p->n_documents : BEX_FLAG_MAX_IDS;
    for (int i = 0; i < ns + nd && rc == BEX_OK; i++) {
        int64_t v = i < ns ? p->subjects[i] : p->documents[i - ns];
        if (v <= 0) continue;
        s = st_stmt(st, i < ns ? "INSERT OR IGNORE INTO flag_subjects VALUES (?1, ?2)"
                               : "INSERT OR IGNORE INTO flag_documents VALUES (?1, ?2)", err, errlen);
        if (!s) return BEX_ERR_IO;
        db_bind_int64(s, 1, id);
        db_bind_int64(s, 2, v);
        rc = st_step_done(st, s, "writing a flag", err, errlen);
    }
    if (rc == BEX_OK && out) {
        memset(out, 0, sizeof *out);
        out->id = id;
        out->kind = p->kind;
        out->encounter = encounter;
        snprintf(out->departure, sizeof out->departure, "%s", departure ? departure : "");
        for (int i = 0; i < ns; i++) {
            int dup = p->subjects[i] <= 0;
            for (int j = 0; j < out->n_subjects; j++) dup |= out->subjects[j] == p->subjects[i];
            if (!dup) out->subjects[out->n_subjects++] = p->subjects[i];
        }
        for (int i = 0; i < nd; i++) {
            int dup = p->documents[i] <= 0;
            for (int j = 0; j < out->n_documents; j++) dup |= out->documents[j] == p->documents[i];
            if (!dup) out->documents[out->n_documents++] = p->documents[i];
        }
        snprintf(out->detail, sizeof out->detail, "%s", p->detail);
        snprintf(out->created_at, sizeof out->created_at, "%s", at);
        out->status = BEX_FLAG_OPEN;
    }
    return rc;
}

int bex__set_flag_status(bex_store *st, int64_t flag, bex_flag_status status, int *found, char *err,
                         size_t errlen) {
    db_stmt *s = st_stmt(st, "UPDATE flags SET status = ?2 WHERE id = ?1", err, errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_int64(s, 1, flag);
    st_bind_text(s, 2, bex_flag_status_name(status));
    int rc = st_step_done(st, s, "updating the flag", err, errlen);
    *found = rc == BEX_OK && db_changes(st->db) > 0;
    return rc;
}

int bex__insert_sample(bex_store *st, int64_t subject, int64_t encounter, const char *source, const float *tmpl,
                       float quality, const char *at, const void *image, size_t image_len, int citizen, int searchable,
                       int64_t *id, char *err, size_t errlen) {
    long long keep_images = 0;
    int rc = bex_store_get_retention(st, "images", &keep_images, err, errlen);
    if (rc != BEX_OK) return rc;
    db_stmt *s = st_stmt(st, "INSERT INTO samples(subject_id, encounter_id, source, model, template, quality, "
                                  "captured_at, image, citizen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                              err, errlen);
    if (!s) return BEX_ERR_IO;
    st_bind_id(s, 1, subject);
    st_bind_id(s, 2, encounter);
    st_bind_text(s, 3, source);
    st_bind_text(s, 4, st->model);
    db_bind_blob(s, 5, tmpl, TEMPLATE_BYTES(st));
    if (isnan(quality)) db_bind_null(s, 6);
    else db_bind_double(s, 6, quality);
    st_bind_text(s, 7, at);
    if (image && image_len && image_len < (size_t)1 << 30 && keep_images > 0)
        db_bind_blob(s, 8, image, (int)image_len);
    else db_bind_null(s, 8);
    db_bind_int(s, 9, citizen != 0);
    rc = st_step_done(st, s, "storing a face sample", err, errlen);
    int64_t sid = db_last_insert_rowid(st->db);
    if (id) *id = sid;
    if (rc == BEX_OK && subject && !citizen && searchable) rc = st_pending_add(st, sid, subject, tmpl);
    return rc;
}

int bex__document_has_sample(bex_store *st, int64_t document, const char *source, int *has, char *err,
                             size_t errlen) {
    int64_t v;
    int rc = st_query_int(st, "SELECT count(*) FROM samples s JOIN documents d ON d.subject_id = s.subject_id "
                              "WHERE d.id = ?2 AND s.source = ?1 AND s.encounter_id IS NULL", source, document, 0,
                          &v, err, errlen);
    *has = v > 0;
    return rc;
}

/* Runs a static UPDATE / DELETE with ?1 and ?2 bound to two ids. */
static int run2(bex_store *st, const char *sql, int64_t a, int64_t b, const char *what, char *err, size_t errlen) {
    db_stmt *s = st_stmt(st, sql, err, errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_int64(s, 1, a);
    if (db_bind_parameter_count(s) >= 2) db_bind_int64(s, 2, b);
    return st_step_done(st, s, what, err, errlen);
}

/* Queues the index additions of a subject's samples (or an encounter's, by_encounter). */
static int index_samples(bex_store *st, int by_encounter, int64_t id, int64_t subject, char *err, size_t errlen) {
    db_stmt *s = st_stmt(st, by_encounter ? "SELECT id, template FROM samples WHERE encounter_id = ?1 "
                                                 "AND model = ?2 AND citizen = 0"
                                               : "SELECT id, template FROM samples WHERE subject_id = ?1 "
                                                 "AND model = ?2 AND citizen = 0", err, errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_int64(s, 1, id);
    st_bind_text(s, 2, st->model);
    int r, rc = BEX_OK;
    while (rc == BEX_OK && (r = db_step(s)) == DB_ROW)
        if (db_column_bytes(s, 1) == TEMPLATE_BYTES(st))
            rc = st_pending_add(st, db_column_int64(s, 0), subject, (const float *)db_column_blob(s, 1));
    if (rc == BEX_OK && r != DB_DONE) rc = st_fail(st, "reading samples", err, errlen);
    st_release(st, s);
    return rc;
}

int bex__override_exit(bex_store *st, int64_t encounter, int64_t subject, int searchable, char *err,
                       size_t errlen) {
    static const char *const steps[] = {
        "UPDATE encounters SET subject_id = ?2, outcome = 'officer_override' WHERE id = ?1",
        "UPDATE samples SET subject_id = ?2, citizen = (SELECT citizen FROM subjects WHERE id = ?2) "
        "WHERE encounter_id = ?1",
        "UPDATE finger_samples SET subject_id = ?2, citizen = (SELECT citizen FROM subjects WHERE id = ?2) "
        "WHERE encounter_id = ?1",
        "UPDATE flags SET status = 'cleared' WHERE encounter_id = ?1 AND kind = 'not_matched'",
        "UPDATE admissions SET exit_encounter_id = NULL WHERE exit_encounter_id = ?1"};
    int rc = BEX_OK;
    for (size_t i = 0; rc == BEX_OK && i < sizeof steps / sizeof *steps; i++)
        rc = run2(st, steps[i], encounter, subject, "recording the officer's decision", err, errlen);
    /* the capture now belongs to the subject: searchable from the next commit */
    if (rc == BEX_OK && searchable) rc = index_samples(st, 1, encounter, subject, err, errlen);
    return rc;
}

int bex__reclassify_citizen(bex_store *st, int64_t subject, char *err, size_t errlen) {
    int rc = run2(st, "UPDATE subjects SET citizen = 1 WHERE id = ?1", subject, 0, "reclassifying", err, errlen);
    if (rc == BEX_OK)
        rc = run2(st, "UPDATE samples SET citizen = 1 WHERE subject_id = ?1", subject, 0, "reclassifying", err, errlen);
    if (rc == BEX_OK)
        rc = run2(st, "UPDATE finger_samples SET citizen = 1 WHERE subject_id = ?1", subject, 0, "reclassifying", err,
                  errlen);
    if (rc == BEX_OK)
        rc = run2(st, "UPDATE encounters SET citizen = 1 WHERE subject_id = ?1", subject, 0, "reclassifying", err,
                  errlen);
    if (rc == BEX_OK) st->drop_index = 1; /* its samples leave the galleries */
    return rc;
}

int bex__erase_samples(bex_store *st, int64_t subject, long long *n, char *err, size_t errlen) {
    int rc = run2(st, "DELETE FROM samples WHERE subject_id = ?1", subject, 0, "erasing biometrics", err, errlen);
    *n = rc == BEX_OK ? db_changes(st->db) : 0;
    int faces = *n != 0;
    /* its fingerprints go with its faces */
    if (rc == BEX_OK)
        rc = run2(st, "DELETE FROM finger_samples WHERE subject_id = ?1", subject, 0, "erasing biometrics", err, errlen);
    if (rc == BEX_OK) *n += db_changes(st->db);
    /* the document photos presented at its crossings go too */
    if (rc == BEX_OK)
        rc = run2(st, "UPDATE encounters SET document_image = NULL WHERE subject_id = ?1 AND document_image IS NOT NULL",
                  subject, 0, "erasing biometrics", err, errlen);
    if (rc == BEX_OK && faces) st->drop_index = 1;
    return rc;
}

/* ---- merges ---- */

/* Moves the rows of `tbl` (by `col`) from `other` to `keep` and records each moved row. */
static int move_rows(bex_store *st, int64_t merge, const char *tbl, int64_t keep, int64_t other, char *err,
                     size_t errlen) {
    char sql[512];
    int rc;
    if (!strcmp(tbl, "flag_subjects")) {
        /* a flag naming both stays as it is (it records that they were two) */
        snprintf(sql, sizeof sql, "INSERT INTO merge_moves(merge_id, tbl, row_id) SELECT %lld, 'flag_subjects', "
                 "flag_id FROM flag_subjects WHERE subject_id = %lld AND flag_id NOT IN "
                 "(SELECT flag_id FROM flag_subjects WHERE subject_id = %lld)", (long long)merge, (long long)other,
                 (long long)keep);
        rc = st_exec(st, sql, "merging", err, errlen);
        snprintf(sql, sizeof sql, "UPDATE flag_subjects SET subject_id = %lld WHERE subject_id = %lld AND flag_id IN "
                 "(SELECT row_id FROM merge_moves WHERE merge_id = %lld AND tbl = 'flag_subjects')", (long long)keep,
                 (long long)other, (long long)merge);
    } else {
        snprintf(sql, sizeof sql, "INSERT INTO merge_moves(merge_id, tbl, row_id) SELECT %lld, '%s', id FROM %s "
                 "WHERE subject_id = %lld", (long long)merge, tbl, tbl, (long long)other);
        rc = st_exec(st, sql, "merging", err, errlen);
        snprintf(sql, sizeof sql, "UPDATE %s SET subject_id = %lld WHERE subject_id = %lld", tbl, (long long)keep,
                 (long long)other);
    }
    if (rc == BEX_OK) rc = st_exec(st, sql, "merging", err, errlen);
    return rc;
}

int bex__merge(bex_store *st, int64_t keep, int64_t other, const char *at, int64_t *merge, char *err,
               size_t errlen) {
    db_stmt *s = st_stmt(st, "INSERT INTO merges(kept, merged, at) VALUES (?1, ?2, ?3)", err, errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_int64(s, 1, keep);
    db_bind_int64(s, 2, other);
    st_bind_text(s, 3, at);
    int rc = st_step_done(st, s, "recording the merge", err, errlen);
    *merge = db_last_insert_rowid(st->db);
    static const char *const tables[] = {"documents", "samples", "encounters", "admissions", "flag_subjects",
                                         "finger_samples"};
    for (size_t i = 0; rc == BEX_OK && i < sizeof tables / sizeof *tables; i++)
        rc = move_rows(st, *merge, tables[i], keep, other, err, errlen);
    if (rc == BEX_OK) st->drop_index = 1;
    return rc;
}

int bex__unmerge(bex_store *st, int64_t merge, const char *at, int64_t *kept, int64_t *merged, char *err,
                 size_t errlen) {
    *kept = *merged = 0;
    db_stmt *s = st_stmt(st, "SELECT kept, merged, undone_at IS NOT NULL FROM merges WHERE id = ?1", err, errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_int64(s, 1, merge);
    int r = db_step(s), undone = 0;
    if (r == DB_ROW) {
        *kept = db_column_int64(s, 0);
        *merged = db_column_int64(s, 1);
        undone = db_column_int(s, 2);
    }
    int rc = r == DB_ROW || r == DB_DONE ? BEX_OK : st_fail(st, "reading merges", err, errlen);
    st_release(st, s);
    if (rc != BEX_OK) return rc;
    if (r == DB_DONE || undone) {
        snprintf(err, errlen, r == DB_DONE ? "no merge %lld on record" : "merge %lld was undone already",
                 (long long)merge);
        return BEX_ERR_ARG;
    }
    char sql[512];
    static const char *const tables[] = {"documents", "samples", "encounters", "admissions", "finger_samples"};
    for (size_t i = 0; rc == BEX_OK && i < sizeof tables / sizeof *tables; i++) {
        snprintf(sql, sizeof sql, "UPDATE %s SET subject_id = %lld WHERE subject_id = %lld AND id IN "
                 "(SELECT row_id FROM merge_moves WHERE merge_id = %lld AND tbl = '%s')", tables[i],
                 (long long)*merged, (long long)*kept, (long long)merge, tables[i]);
        rc = st_exec(st, sql, "undoing the merge", err, errlen);
    }
    if (rc == BEX_OK) {
        snprintf(sql, sizeof sql, "UPDATE flag_subjects SET subject_id = %lld WHERE subject_id = %lld AND flag_id IN "
                 "(SELECT row_id FROM merge_moves WHERE merge_id = %lld AND tbl = 'flag_subjects')",
                 (long long)*merged, (long long)*kept, (long long)merge);
        rc = st_exec(st, sql, "undoing the merge", err, errlen);
    }
    if (rc == BEX_OK) {
        s = st_stmt(st, "UPDATE merges SET undone_at = ?2 WHERE id = ?1", err, errlen);
        if (!s) return BEX_ERR_IO;
        db_bind_int64(s, 1, merge);
        st_bind_text(s, 2, at);
        rc = st_step_done(st, s, "undoing the merge", err, errlen);
    }
    if (rc == BEX_OK) st->drop_index = 1;
    return rc;
}

/* ---- retention ---- */

static int64_t time_of(db_stmt *s, int i) {
    int64_t t = 0;
    const unsigned char *v = db_column_text(s, i);
    if (!v || bex_time_parse((const char *)v, &t) != BEX_OK) return 0;
    return t;
}

/* Steps s, whose rows are (id, citizen, unmatched, captured_at, has_image, open_flag), into
 * *out (free()); releases s. what names the rows in a failure's message. */
static int read_due(bex_store *st, db_stmt *s, const char *what, bex__sample_due **out, size_t *n,
                    char *err, size_t errlen) {
    size_t cap = 0;
    int r, rc = BEX_OK;
    while ((r = db_step(s)) == DB_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 256;
            bex__sample_due *p = bex__realloc(*out, cap * sizeof *p);
            if (!p) {
                snprintf(err, errlen, "out of memory");
                rc = BEX_ERR_NOMEM;
                break;
            }
            *out = p;
        }
        bex__sample_due *d = &(*out)[(*n)++];
        d->id = db_column_int64(s, 0);
        d->facts.citizen = db_column_int(s, 1) != 0;
        d->facts.unmatched = db_column_int(s, 2) != 0;
        d->facts.captured_at = time_of(s, 3);
        d->facts.has_image = db_column_int(s, 4) != 0;
        d->facts.open_flag = db_column_int(s, 5) != 0;
    }
    if (rc == BEX_OK && r != DB_DONE) rc = st_fail(st, what, err, errlen);
    st_release(st, s);
    if (rc != BEX_OK) {
        bex__free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

int bex__purge_candidates(bex_store *st, const char *capture_cut, const char *image_cut, bex__sample_due **out,
                          size_t *n, char *err, size_t errlen) {
    *out = NULL;
    *n = 0;
    /* a citizen's sample is marked so (an entry, a reclassification, an override to a citizen
     * mark it), so the two partial indexes of migration 003 answer both halves; whether the
     * sample's encounter has a flag still open (flags_by_encounter) */
#define OPEN_FLAG "EXISTS (SELECT 1 FROM flags f WHERE f.encounter_id = samples.encounter_id AND f.status = 'open')"

    db_stmt *s = st_stmt(st,
        "SELECT id, citizen, subject_id IS NULL, captured_at, image IS NOT NULL, " OPEN_FLAG " FROM samples "
        "WHERE (citizen = 1 OR subject_id IS NULL) AND captured_at <= ?1 "
        "UNION SELECT id, citizen, subject_id IS NULL, captured_at, image IS NOT NULL, " OPEN_FLAG " FROM samples "
        "WHERE image IS NOT NULL AND captured_at <= ?2 ORDER BY 1", err, errlen);
#undef OPEN_FLAG
    if (!s) return BEX_ERR_IO;
    st_bind_text(s, 1, capture_cut);
    st_bind_text(s, 2, image_cut);
    return read_due(st, s, "reading samples", out, n, err, errlen);
}

int bex__finger_purge_candidates(bex_store *st, const char *capture_cut, const char *image_cut,
                                 bex__sample_due **out, size_t *n, char *err, size_t errlen) {
    *out = NULL;
    *n = 0;
    /* the same facts as a face sample's (migration 015's two partial indexes answer both halves) */
#define OPEN_FLAG "EXISTS (SELECT 1 FROM flags f WHERE f.encounter_id = finger_samples.encounter_id AND f.status = 'open')"
    db_stmt *s = st_stmt(st,
        "SELECT id, citizen, subject_id IS NULL, captured_at, image IS NOT NULL, " OPEN_FLAG " FROM finger_samples "
        "WHERE (citizen = 1 OR subject_id IS NULL) AND captured_at <= ?1 "
        "UNION SELECT id, citizen, subject_id IS NULL, captured_at, image IS NOT NULL, " OPEN_FLAG " FROM finger_samples "
        "WHERE image IS NOT NULL AND captured_at <= ?2 ORDER BY 1", err, errlen);
#undef OPEN_FLAG
    if (!s) return BEX_ERR_IO;
    st_bind_text(s, 1, capture_cut);
    st_bind_text(s, 2, image_cut);
    return read_due(st, s, "reading finger samples", out, n, err, errlen);
}

int bex__delete_finger_sample(bex_store *st, int64_t sample, char *err, size_t errlen) {
    return run2(st, "DELETE FROM finger_samples WHERE id = ?1", sample, 0, "purging", err, errlen);
}

int bex__drop_finger_image(bex_store *st, int64_t sample, char *err, size_t errlen) {
    return run2(st, "UPDATE finger_samples SET image = NULL WHERE id = ?1", sample, 0, "purging", err, errlen);
}

int bex__encounter_images_due(bex_store *st, const char *cut, bex__sample_due **out, size_t *n, char *err,
                              size_t errlen) {
    *out = NULL;
    *n = 0;
    /* the same facts as a sample's: never unmatched (an entry's), an image by construction */
    db_stmt *s = st_stmt(st,
        "SELECT id, citizen, 0, at, 1, EXISTS (SELECT 1 FROM flags f WHERE f.encounter_id = encounters.id AND "
        "f.status = 'open') FROM encounters WHERE document_image IS NOT NULL AND at <= ?1 ORDER BY id",
        err, errlen);
    if (!s) return BEX_ERR_IO;
    st_bind_text(s, 1, cut);
    return read_due(st, s, "reading encounters", out, n, err, errlen);
}

int bex__drop_encounter_image(bex_store *st, int64_t encounter, char *err, size_t errlen) {
    return run2(st, "UPDATE encounters SET document_image = NULL WHERE id = ?1", encounter, 0, "purging", err, errlen);
}

int bex__delete_sample(bex_store *st, int64_t sample, char *err, size_t errlen) {
    int rc = run2(st, "DELETE FROM samples WHERE id = ?1", sample, 0, "purging", err, errlen);
    if (rc == BEX_OK) rc = st_pending_add(st, sample, -1, NULL);
    return rc;
}

int bex__drop_image(bex_store *st, int64_t sample, char *err, size_t errlen) {
    return run2(st, "UPDATE samples SET image = NULL WHERE id = ?1", sample, 0, "purging", err, errlen);
}

static bex_day day_of(db_stmt *s, int i) {
    int64_t t;
    const unsigned char *v = db_column_text(s, i);
    if (!v || bex_time_parse((const char *)v, &t) != BEX_OK) return BEX_DAY_NONE;
    return (bex_day)(t >= 0 ? t / 86400 : -((-t + 86399) / 86400));
}

int bex__subject_candidates(bex_store *st, const char *cut, bex__subject_due **out, size_t *n, char *err,
                            size_t errlen) {
    *out = NULL;
    *n = 0;
    db_stmt *s = st_stmt(st,
        "SELECT id, citizen, last_seen FROM (SELECT id, citizen, CASE WHEN created_at >= last_at THEN created_at "
        "ELSE last_at END AS last_seen FROM (SELECT p.id, p.citizen, p.created_at, coalesce((SELECT max(e.at) "
        "FROM encounters e WHERE e.subject_id = p.id), '') AS last_at FROM subjects p) AS s) AS t "
        "WHERE last_seen <= ?1 ORDER BY id",
        err, errlen);
    db_stmt *a = st_stmt(st, "SELECT substr(e.at, 1, 10), substr(x.at, 1, 10), a.admit_until, "
                                  "a.superseded_by IS NOT NULL FROM admissions a "
                                  "JOIN encounters e ON e.id = a.entry_encounter_id "
                                  "LEFT JOIN encounters x ON x.id = a.exit_encounter_id WHERE a.subject_id = ?1 "
                                  "ORDER BY a.id",
                              err, errlen);
    if (!s || !a) {
        st_release(st, s);
        return BEX_ERR_IO;
    }
    st_bind_text(s, 1, cut);
    size_t cap = 0;
    int r, rc = BEX_OK;
    while (rc == BEX_OK && (r = db_step(s)) == DB_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            bex__subject_due *p = bex__realloc(*out, cap * sizeof *p);
            if (!p) {
                snprintf(err, errlen, "out of memory");
                rc = BEX_ERR_NOMEM;
                break;
            }
            *out = p;
        }
        bex__subject_due *d = &(*out)[(*n)++];
        memset(d, 0, sizeof *d);
        d->id = db_column_int64(s, 0);
        d->citizen = db_column_int(s, 1);
        st_col_text(s, 2, d->last_seen, sizeof d->last_seen);
        db_bind_int64(a, 1, d->id);
        size_t scap = 0;
        int ra;
        while ((ra = db_step(a)) == DB_ROW) {
            if (d->n_stays == scap) {
                scap = scap ? scap * 2 : 4;
                bex_stay *ns = bex__realloc(d->stays, scap * sizeof *ns);
                if (!ns) {
                    snprintf(err, errlen, "out of memory");
                    rc = BEX_ERR_NOMEM;
                    break;
                }
                d->stays = ns;
            }
            bex_stay *x = &d->stays[d->n_stays++];
            memset(x, 0, sizeof *x);
            x->entry = day_of(a, 0);
            x->exit = day_of(a, 1);
            x->admit_until = day_of(a, 2);
            x->no_exit_recorded = db_column_int(a, 3) && x->exit == BEX_DAY_NONE;
            if (x->entry == BEX_DAY_NONE) d->n_stays--;
        }
        if (rc == BEX_OK && ra != DB_DONE) rc = st_fail(st, "reading admissions", err, errlen);
        db_reset(a);
    }
    if (rc == BEX_OK && r != DB_DONE) rc = st_fail(st, "reading subjects", err, errlen);
    st_release(st, s);
    st_release(st, a);
    if (rc != BEX_OK) {
        bex__subject_candidates_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

void bex__subject_candidates_free(bex__subject_due *d, size_t n) {
    for (size_t i = 0; d && i < n; i++) bex__free(d[i].stays);
    bex__free(d);
}

int bex__delete_subject(bex_store *st, int64_t subject, char *err, size_t errlen) {
    /* its samples leave the index one by one (and the other nodes', through the change log),
     * rather than the whole index being built again after every purge */
    db_stmt *s = st_stmt(st, "SELECT id FROM samples WHERE subject_id = ?1", err, errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_int64(s, 1, subject);
    int r, rc = BEX_OK;
    while (rc == BEX_OK && (r = db_step(s)) == DB_ROW) rc = st_pending_add(st, db_column_int64(s, 0), -1, NULL);
    if (rc == BEX_OK && r != DB_DONE) rc = st_fail(st, "purging", err, errlen);
    st_release(st, s);
    if (rc == BEX_OK) rc = run2(st, "DELETE FROM subjects WHERE id = ?1", subject, 0, "purging", err, errlen);
    return rc;
}

int bex__delete_unmatched_exits(bex_store *st, const char *cut, long long *n, char *err, size_t errlen) {
    db_stmt *s = st_stmt(st, "DELETE FROM encounters WHERE subject_id IS NULL AND at <= ?1", err, errlen);
    if (!s) return BEX_ERR_IO;
    st_bind_text(s, 1, cut);
    int rc = st_step_done(st, s, "purging", err, errlen);
    *n = rc == BEX_OK ? db_changes(st->db) : 0;
    return rc;
}
