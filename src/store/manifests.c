/*
 * manifests.c - carriers' manifests as kept (records.h): the departure, its travellers linked
 * to the documents on record, and the face samples of a departure's travellers for a gate's
 * gallery. Whether a traveller's data disagree with the record is decided in src/border/.
 */
#include <stdio.h>
#include <string.h>

#include "store/store_impl.h"
#include "util/util.h"

int bex__departure_write(bex_store *st, const bex_manifest *m, const char *loaded_at, int *replaced, char *err,
                         size_t errlen) {
    int64_t had = 0;
    int rc = st_query_int(st, "SELECT count(*) FROM departures WHERE id = ?1", m->id, 0, 0, &had, err, errlen);
    *replaced = had > 0;
    if (rc == BEX_OK && had) {
        db_stmt *s = st_stmt(st, "DELETE FROM manifest_entries WHERE departure_id = ?1", err, errlen);
        if (!s) return BEX_ERR_IO;
        st_bind_text(s, 1, m->id);
        rc = st_step_done(st, s, "replacing the manifest", err, errlen);
    }
    if (rc != BEX_OK) return rc;
    db_stmt *s = st_stmt(st, "INSERT INTO departures(id, direction, carrier, voyage, port, port_kind, "
                                  "scheduled, loaded_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8) ON CONFLICT(id) DO "
                                  "UPDATE SET direction = ?2, carrier = ?3, voyage = ?4, port = ?5, "
                                  "port_kind = ?6, scheduled = ?7, loaded_at = ?8", err, errlen);
    if (!s) return BEX_ERR_IO;
    const char *v[8] = {m->id, bex_direction_name(m->direction), m->carrier, m->voyage, m->port,
                        bex_port_kind_name(m->port_kind), m->scheduled, loaded_at};
    for (int i = 0; i < 8; i++) st_bind_text(s, i + 1, v[i]);
    return st_step_done(st, s, "recording the departure", err, errlen);
}

int bex__manifest_document(bex_store *st, const char *state, const char *number, int *found, bex_known_document *doc,
                           int *has_face, char *err, size_t errlen) {
    *found = 0;
    *has_face = 0;
    memset(doc, 0, sizeof *doc);
    db_stmt *s = st_stmt(st, "SELECT d.id, d.subject_id, d.issuing_state, d.number, d.nationality, d.surname, "
                                  "d.given_names, coalesce(d.birth_date, ''), EXISTS (SELECT 1 FROM samples s "
                                  "WHERE s.subject_id = d.subject_id) FROM documents d "
                                  "WHERE d.number = ?1 AND d.issuing_state = ?2 ORDER BY d.id DESC LIMIT 1",
                              err, errlen);
    if (!s) return BEX_ERR_IO;
    st_bind_text(s, 1, number);
    st_bind_text(s, 2, state);
    int r = db_step(s);
    if (r == DB_ROW) {
        *found = 1;
        doc->id = db_column_int64(s, 0);
        doc->subject = db_column_int64(s, 1);
        st_col_text(s, 2, doc->issuing_state, sizeof doc->issuing_state);
        st_col_text(s, 3, doc->number, sizeof doc->number);
        st_col_text(s, 4, doc->nationality, sizeof doc->nationality);
        st_col_text(s, 5, doc->surname, sizeof doc->surname);
        st_col_text(s, 6, doc->given_names, sizeof doc->given_names);
        st_col_text(s, 7, doc->birth_date, sizeof doc->birth_date);
        *has_face = db_column_int(s, 8) != 0;
    }
    int rc = r == DB_ROW || r == DB_DONE ? BEX_OK : st_fail(st, "reading documents", err, errlen);
    st_release(st, s);
    return rc;
}

int bex__manifest_entry_write(bex_store *st, const char *departure, const bex_manifest_entry *x, int64_t document,
                              size_t position, int verified, char *err, size_t errlen) {
    db_stmt *s = st_stmt(st, "INSERT INTO manifest_entries(departure_id, issuing_state, number, nationality, "
                                  "surname, given_names, birth_date, sex, document_id, position, verified) "
                                  "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)", err, errlen);
    if (!s) return BEX_ERR_IO;
    const char *v[8] = {departure, x->issuing_state, x->number, x->nationality[0] ? x->nationality : NULL,
                        x->surname, x->given_names, x->birth_date[0] ? x->birth_date : NULL,
                        x->sex[0] ? x->sex : NULL};
    for (int k = 0; k < 8; k++) st_bind_text(s, k + 1, v[k]);
    st_bind_id(s, 9, document);
    db_bind_int64(s, 10, (int64_t)position);
    db_bind_int(s, 11, verified != 0);
    char what[96];
    snprintf(what, sizeof what, "traveller %zu (a document listed twice?)", position);
    return st_step_done(st, s, what, err, errlen);
}

int bex__gallery_fill(bex_store *st, const char *departure, bex_index *ix, char *err, size_t errlen) {
    db_stmt *s = st_stmt(st, "SELECT min(m.position), s.template FROM manifest_entries m "
                                  "JOIN documents d ON d.id = m.document_id "
                                  "JOIN subjects p ON p.id = d.subject_id "
                                  "JOIN samples s ON s.subject_id = p.id "
                                  "WHERE m.departure_id = ?1 AND m.verified = 1 AND p.citizen = 0 AND s.citizen = 0 "
                                  "AND s.model = ?2 GROUP BY s.id ORDER BY 1, s.id", err, errlen);
    if (!s) return BEX_ERR_IO;
    st_bind_text(s, 1, departure);
    st_bind_text(s, 2, st->model);
    int r, rc = BEX_OK;
    int64_t n = 0;
    while (rc == BEX_OK && (r = db_step(s)) == DB_ROW)
        if (db_column_bytes(s, 1) == TEMPLATE_BYTES(st))
            rc = bex_index_add(ix, ++n, db_column_int64(s, 0), (const float *)db_column_blob(s, 1), err,
                               errlen);
    if (rc == BEX_OK && r != DB_DONE) rc = st_fail(st, "reading the gallery", err, errlen);
    st_release(st, s);
    return rc;
}

int bex__manifest_position(bex_store *st, const char *departure, int64_t subject, int64_t *position, char *err,
                           size_t errlen) {
    return st_query_int(st, "SELECT min(m.position) FROM manifest_entries m JOIN documents d ON d.id = m.document_id "
                            "WHERE m.departure_id = ?1 AND m.verified = 1 AND d.subject_id = ?2",
                        departure, subject, 0, position, err, errlen);
}

int bex__departure_reassign(bex_store *st, const char *departure, const char *carrier, size_t *dropped, char *err,
                            size_t errlen) {
    *dropped = 0;
    db_stmt *s = st_stmt(st, "DELETE FROM manifest_entries WHERE departure_id = ?1", err, errlen);
    if (!s) return BEX_ERR_IO;
    st_bind_text(s, 1, departure);
    int rc = st_step_done(st, s, "dropping the previous carrier's travellers", err, errlen);
    if (rc != BEX_OK) return rc;
    *dropped = (size_t)db_changes(st->db);
    if (!(s = st_stmt(st, "UPDATE departures SET carrier = ?2 WHERE id = ?1", err, errlen))) return BEX_ERR_IO;
    st_bind_text(s, 1, departure);
    st_bind_text(s, 2, carrier);
    return st_step_done(st, s, "reassigning the departure", err, errlen);
}
