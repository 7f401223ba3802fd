/*
 * border.c - the two crossings: bex_store_entry (arrival: document checks, 1:1 against the
 * document photo, 1:N against every subject, admission, enrolment) and bex_store_exit
 * (departure: manifest gallery, then wider ones, linked to the open admission). Each is one
 * transaction with its audit entry; see store.h for the rules.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_impl.h"
#include "util/util.h"

#define TEMPLATE_BYTES (BEX_TEMPLATE_DIM * (int)sizeof(float))
#define MAX_HOLDERS 8

static void match_none(bex_match *m) {
    memset(m, 0, sizeof *m);
    m->score = NAN;
}

static int valid_kind(const char *k) {
    static const char *const kinds[] = {"air", "sea", "land", "land-pedestrian", "land-vehicle"};
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        if (k && !strcmp(k, kinds[i])) return 1;
    return 0;
}

static int add_flag(bex_store *st, const char *kind, int64_t encounter, const char *departure,
                    const int64_t *subjects, int ns, const int64_t *docs, int nd, const char *detail,
                    bex_flag *flags, int *n_flags, char *err, size_t errlen) {
    bex_flag tmp, *out = *n_flags < BEX_STORE_MAX_FLAGS ? &flags[*n_flags] : &tmp;
    int rc = st_flag(st, kind, encounter, departure, subjects, ns, docs, nd, detail, out, err, errlen);
    if (rc == BEX_OK && out != &tmp) (*n_flags)++;
    return rc;
}

/* Inserts a face sample; queues it for the index when it belongs to a searchable subject. */
static int add_sample(bex_store *st, int64_t subject, int citizen, int64_t encounter, const char *source,
                      const float *tmpl, float quality, const char *at, const void *image,
                      size_t image_len, int searchable, char *err, size_t errlen) {
    long long keep_images = 0;
    int rc = bex_store_get_retention(st, "images", &keep_images, err, errlen);
    if (rc != BEX_OK) return rc;
    sqlite3_stmt *s = st_prep(st, "INSERT INTO samples(subject_id, encounter_id, source, model, template, "
                                  "quality, captured_at, image) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                              err, errlen);
    if (!s) return BEX_ERR_IO;
    if (subject) sqlite3_bind_int64(s, 1, subject);
    else sqlite3_bind_null(s, 1);
    if (encounter) sqlite3_bind_int64(s, 2, encounter);
    else sqlite3_bind_null(s, 2);
    st_bind_text(s, 3, source);
    st_bind_text(s, 4, st->model);
    sqlite3_bind_blob(s, 5, tmpl, TEMPLATE_BYTES, SQLITE_STATIC);
    sqlite3_bind_double(s, 6, quality);
    st_bind_text(s, 7, at);
    if (image && image_len && keep_images > 0) sqlite3_bind_blob(s, 8, image, (int)image_len, SQLITE_STATIC);
    else sqlite3_bind_null(s, 8);
    rc = st_step_done(st, s, "storing a face sample", err, errlen);
    if (rc == BEX_OK && subject && !citizen && searchable)
        rc = st_pending_add(st, sqlite3_last_insert_rowid(st->db), subject, tmpl);
    return rc;
}

/* 1:N over the store's index, restricted to `subjects` (n_subjects of them) when filtered. */
static int identify(bex_store *st, const float *probe, int filtered, const int64_t *subjects, size_t n_subjects,
                    const char *gallery, bex_match *m, bex_index_hit *hits, size_t *n_hits, char *err,
                    size_t errlen) {
    match_none(m);
    snprintf(m->gallery, sizeof m->gallery, "%s", gallery);
    *n_hits = 0;
    bex_index *ix;
    int rc = st_index(st, &ix, err, errlen);
    if (rc != BEX_OK) return rc;
    bex_index_filter *f = NULL;
    long long n = (long long)bex_index_subjects(ix);
    if (filtered) {
        if (n_subjects == 0) return BEX_OK;
        rc = bex_index_filter_by_subjects(ix, subjects, n_subjects, &f, err, errlen);
        if (rc != BEX_OK) return rc;
        n = (long long)bex_index_filter_subjects(f);
    }
    m->gallery_size = n;
    if (n == 0) snprintf(m->operating_point, sizeof m->operating_point, "empty gallery");
    if (n > 0) rc = bex_index_search_subjects(ix, probe, 5, f, hits, n_hits, err, errlen);
    bex_index_filter_free(f);
    if (rc != BEX_OK || n == 0) return rc;
    st_identify_op(st, n, &m->threshold, m->operating_point, sizeof m->operating_point);
    if (*n_hits > 0) {
        m->subject = hits[0].subject_id;
        m->score = hits[0].score;
        m->match = hits[0].score >= m->threshold;
    }
    return BEX_OK;
}

/* Subject ids from a query with up to two text parameters; *out: free(). */
static int subject_list(bex_store *st, const char *sql, const char *p1, const char *p2, int64_t **out,
                        size_t *n, char *err, size_t errlen) {
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s = st_prep(st, sql, err, errlen);
    if (!s) return BEX_ERR_IO;
    if (sqlite3_bind_parameter_count(s) >= 1) st_bind_text(s, 1, p1);
    if (sqlite3_bind_parameter_count(s) >= 2) st_bind_text(s, 2, p2);
    size_t cap = 0;
    int r, rc = BEX_OK;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
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
        (*out)[(*n)++] = sqlite3_column_int64(s, 0);
    }
    if (rc == BEX_OK && r != SQLITE_DONE) rc = st_fail(st, "reading a gallery", err, errlen);
    sqlite3_finalize(s);
    if (rc != BEX_OK) {
        bex__free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

/* ---- entry ---- */

typedef struct holder {
    int64_t document, subject;
    char surname[40], given[40], birth[11];
} holder;

/* Documents on record with this number and issuing state (one per subject holding it). */
static int find_holders(bex_store *st, const bex_mrz *d, holder *h, int *n, char *err, size_t errlen) {
    *n = 0;
    sqlite3_stmt *s = st_prep(st, "SELECT id, subject_id, surname, given_names, coalesce(birth_date, '') "
                                  "FROM documents WHERE number = ?1 AND issuing_state = ?2 ORDER BY id",
                              err, errlen);
    if (!s) return BEX_ERR_IO;
    st_bind_text(s, 1, d->doc_number);
    st_bind_text(s, 2, d->issuing_state);
    int r;
    while ((r = sqlite3_step(s)) == SQLITE_ROW && *n < MAX_HOLDERS) {
        holder *x = &h[(*n)++];
        x->document = sqlite3_column_int64(s, 0);
        x->subject = sqlite3_column_int64(s, 1);
        snprintf(x->surname, sizeof x->surname, "%s", (const char *)sqlite3_column_text(s, 2));
        snprintf(x->given, sizeof x->given, "%s", (const char *)sqlite3_column_text(s, 3));
        snprintf(x->birth, sizeof x->birth, "%s", (const char *)sqlite3_column_text(s, 4));
    }
    int rc = (r == SQLITE_ROW || r == SQLITE_DONE) ? BEX_OK : st_fail(st, "reading documents", err, errlen);
    sqlite3_finalize(s);
    return rc;
}

/* How a subject's recorded documents compare with the one presented: 2 = one has the same
 * names and birth date, 1 = same names, another birth date, 0 = other names. */
static int biographic_agreement(bex_store *st, int64_t subject, const bex_mrz *d, char *err, size_t errlen,
                                int *agree) {
    *agree = 0;
    sqlite3_stmt *s = st_prep(st, "SELECT surname, given_names, coalesce(birth_date, '') FROM documents "
                                  "WHERE subject_id = ?1", err, errlen);
    if (!s) return BEX_ERR_IO;
    sqlite3_bind_int64(s, 1, subject);
    int r;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        int names = !strcmp((const char *)sqlite3_column_text(s, 0), d->surname) &&
                    !strcmp((const char *)sqlite3_column_text(s, 1), d->given_names);
        int birth = !strcmp((const char *)sqlite3_column_text(s, 2), d->birth_date);
        int a = names ? (birth ? 2 : 1) : 0;
        if (a > *agree) *agree = a;
    }
    int rc = r == SQLITE_DONE ? BEX_OK : st_fail(st, "reading documents", err, errlen);
    sqlite3_finalize(s);
    return rc;
}

static int insert_subject(bex_store *st, const char *at, int citizen, int64_t *id, char *err, size_t errlen) {
    sqlite3_stmt *s = st_prep(st, "INSERT INTO subjects(created_at, citizen) VALUES (?1, ?2)", err, errlen);
    if (!s) return BEX_ERR_IO;
    st_bind_text(s, 1, at);
    sqlite3_bind_int(s, 2, citizen);
    int rc = st_step_done(st, s, "recording a traveller", err, errlen);
    *id = sqlite3_last_insert_rowid(st->db);
    return rc;
}

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

static int insert_document(bex_store *st, int64_t subject, const bex_mrz *d, const char *at, int64_t *id,
                           char *err, size_t errlen) {
    char failed[96] = "";
    for (int i = 0; i < d->n_failed; i++) {
        size_t l = strlen(failed);
        snprintf(failed + l, sizeof failed - l, "%s%s", i ? "," : "", d->failed[i]);
    }
    sqlite3_stmt *s = st_prep(st, "INSERT INTO documents(subject_id, type, format, issuing_state, number, "
                                  "nationality, surname, given_names, birth_date, sex, expiry_date, "
                                  "checks_failed, created_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
                              err, errlen);
    if (!s) return BEX_ERR_IO;
    char sex[2] = {d->sex ? d->sex : 'X', 0};
    sqlite3_bind_int64(s, 1, subject);
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
    *id = sqlite3_last_insert_rowid(st->db);
    return rc;
}

static int subject_has_face(bex_store *st, int64_t subject, int *has, char *err, size_t errlen) {
    int64_t v;
    int rc = st_query_int(st, "SELECT count(*) FROM samples s JOIN subjects p ON p.id = s.subject_id "
                              "WHERE s.subject_id = ?2 AND p.citizen = 0 AND s.modality = 'face' "
                              "AND s.model = ?1", st->model, subject, 0, &v, err, errlen);
    *has = v > 0;
    return rc;
}

static int insert_encounter(bex_store *st, int64_t subject, int64_t document, const char *direction,
                            const char *port, const char *kind, const char *carrier, const char *voyage,
                            const char *departure, const char *at, const char *outcome, const bex_match *m,
                            int64_t *id, char *err, size_t errlen) {
    sqlite3_stmt *s = st_prep(st, "INSERT INTO encounters(subject_id, document_id, direction, port, port_kind, "
                                  "carrier, voyage, departure_id, at, outcome, gallery, gallery_size, score, "
                                  "threshold) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)",
                              err, errlen);
    if (!s) return BEX_ERR_IO;
    if (subject) sqlite3_bind_int64(s, 1, subject);
    else sqlite3_bind_null(s, 1);
    if (document) sqlite3_bind_int64(s, 2, document);
    else sqlite3_bind_null(s, 2);
    st_bind_text(s, 3, direction);
    st_bind_text(s, 4, port);
    st_bind_text(s, 5, kind);
    st_bind_text(s, 6, carrier);
    st_bind_text(s, 7, voyage);
    st_bind_text(s, 8, departure);
    st_bind_text(s, 9, at);
    st_bind_text(s, 10, outcome);
    if (m && m->gallery[0]) {
        st_bind_text(s, 11, m->gallery);
        sqlite3_bind_int64(s, 12, m->gallery_size);
        if (!isnan(m->score)) sqlite3_bind_double(s, 13, m->score);
        else sqlite3_bind_null(s, 13);
        sqlite3_bind_double(s, 14, m->threshold);
    } else {
        for (int i = 11; i <= 14; i++) sqlite3_bind_null(s, i);
    }
    int rc = st_step_done(st, s, "recording the encounter", err, errlen);
    *id = sqlite3_last_insert_rowid(st->db);
    return rc;
}

static int check_time(const char *at, char canon[24], char *err, size_t errlen) {
    int64_t t;
    if (!at) {
        st_now(canon);
        return BEX_OK;
    }
    if (st_time_parse(at, &t) != 0) {
        snprintf(err, errlen, "'%s' is no ISO 8601 time (YYYY-MM-DDTHH:MM:SSZ)", at);
        return BEX_ERR_ARG;
    }
    st_time_format(t, canon);
    return BEX_OK;
}

static int entry_checks(const bex_entry_request *rq, char *err, size_t errlen) {
    if (!rq->doc) {
        snprintf(err, errlen, "an entry needs the document presented (--mrz)");
        return BEX_ERR_ARG;
    }
    if (!rq->port || !*rq->port || !valid_kind(rq->port_kind)) {
        snprintf(err, errlen, "an entry needs the port code and its kind (air, sea, land, land-pedestrian, "
                 "land-vehicle)");
        return BEX_ERR_ARG;
    }
    if (!rq->citizen) {
        if (!rq->admission_class || !*rq->admission_class || strlen(rq->admission_class) > 7) {
            snprintf(err, errlen, "an entry needs the class of admission (B1, B2, WT, F1, H1B, LPR, ...)");
            return BEX_ERR_ARG;
        }
        bex_day d;
        if (rq->admit_until && bex_day_parse(rq->admit_until, &d) != BEX_OK) {
            snprintf(err, errlen, "admit-until '%s' is no date (YYYY-MM-DD)", rq->admit_until);
            return BEX_ERR_ARG;
        }
    }
    return BEX_OK;
}

static int do_entry(bex_store *st, const bex_entry_request *rq, const char *at, bex_entry_result *res,
                    char *err, size_t errlen) {
    const bex_mrz *d = rq->doc;
    int rc;
    holder h[MAX_HOLDERS];
    int nh;
    if ((rc = find_holders(st, d, h, &nh, err, errlen)) != BEX_OK) return rc;

    /* 1:1, live face against the document's photo */
    int impostor = 0;
    if (rq->live && rq->doc_photo) {
        bex_match *v = &res->verify;
        snprintf(v->gallery, sizeof v->gallery, "document");
        v->gallery_size = 1;
        v->score = bex_template_similarity(rq->live, rq->doc_photo);
        v->threshold = st->verify_op.threshold;
        snprintf(v->operating_point, sizeof v->operating_point, "%s", st->verify_op.name);
        v->match = v->score >= v->threshold;
        impostor = !v->match;
    }

    /* 1:N, against every enrolled subject */
    bex_index_hit hits[5];
    size_t nhits = 0;
    if (rq->live) {
        if ((rc = identify(st, rq->live, 0, NULL, 0, "all", &res->identify, hits, &nhits, err, errlen)) != BEX_OK)
            return rc;
    }
    const bex_match *id = &res->identify;

    /* whose document is it, and who is presenting it? */
    int64_t subject = 0, document = 0;
    int64_t fl_subj[BEX_FLAG_MAX_IDS], fl_docs[BEX_FLAG_MAX_IDS];
    char detail[192];
    int doc_shared = 0;          /* the document's holder on record has another face */
    int64_t shared_with = 0, shared_doc = 0;
    if (nh > 0 && !impostor) {
        /* the holder whose face the live capture matches, else the first without a face */
        for (int i = 0; i < nh && !subject; i++)
            for (size_t j = 0; j < nhits; j++)
                if (hits[j].subject_id == h[i].subject && hits[j].score >= id->threshold) {
                    subject = h[i].subject;
                    document = h[i].document;
                    res->verify.match = 1;
                    if (!res->verify.gallery[0]) { /* the holder's samples stand for the document photo */
                        snprintf(res->verify.gallery, sizeof res->verify.gallery, "holder");
                        res->verify.gallery_size = 1;
                        res->verify.score = hits[j].score;
                        res->verify.threshold = id->threshold;
                        snprintf(res->verify.operating_point, sizeof res->verify.operating_point, "%s",
                                 id->operating_point);
                    }
                }
        for (int i = 0; i < nh && !subject; i++) {
            int has = 0;
            if ((rc = subject_has_face(st, h[i].subject, &has, err, errlen)) != BEX_OK) return rc;
            if (!has || !rq->live) {
                subject = h[i].subject;
                document = h[i].document;
            } else if (!shared_with) {
                shared_with = h[i].subject;
                shared_doc = h[i].document;
            }
        }
        doc_shared = !subject && shared_with;
    } else if (nh > 0 && impostor) {
        shared_with = h[0].subject;
        shared_doc = h[0].document;
    }

    /* a known face: the same person (link) or the same face under another identity (flag) */
    int64_t other_identity = 0;
    int agree = 2;
    if (impostor || doc_shared) {
        if (id->match) subject = id->subject; /* the presenter is known: their own record */
    } else if (!subject && id->match) {
        if ((rc = biographic_agreement(st, id->subject, d, err, errlen, &agree)) != BEX_OK) return rc;
        if (agree == 2) subject = id->subject; /* a new document of a known traveller */
        else other_identity = id->subject;
    } else if (subject && id->match && id->subject != subject) {
        other_identity = id->subject; /* the face is also enrolled under another identity */
        if ((rc = biographic_agreement(st, other_identity, d, err, errlen, &agree)) != BEX_OK) return rc;
    }

    res->new_subject = !subject;
    if (!subject && (rc = insert_subject(st, at, rq->citizen, &subject, err, errlen)) != BEX_OK) return rc;
    if (!document) {
        /* the same document already on this subject (e.g. the impostor case above) */
        for (int i = 0; i < nh; i++)
            if (h[i].subject == subject) document = h[i].document;
        if (!document && (rc = insert_document(st, subject, d, at, &document, err, errlen)) != BEX_OK) return rc;
    }
    res->subject = subject;
    res->document = document;

    const char *outcome;
    if (!rq->live) outcome = "no_photo";
    else if (impostor || doc_shared) outcome = "not_matched";
    else if (res->verify.gallery[0] && res->verify.match) outcome = "matched";
    else if (!res->new_subject && id->match && id->subject == subject) outcome = "matched";
    else outcome = "enrolled";
    res->outcome = outcome;
    bex_match *rec = res->verify.gallery[0] ? &res->verify : &res->identify;
    if ((rc = insert_encounter(st, subject, document, "entry", rq->port, rq->port_kind, rq->carrier, rq->voyage,
                               NULL, at, outcome, rec, &res->encounter, err, errlen)) != BEX_OK)
        return rc;
    int64_t enc = res->encounter;

    /* flags */
    if (d->n_failed > 0) {
        char f[128] = "";
        for (int i = 0; i < d->n_failed; i++) {
            size_t l = strlen(f);
            snprintf(f + l, sizeof f - l, "%s%s", i ? "," : "", d->failed[i]);
        }
        snprintf(detail, sizeof detail, "MRZ check digits failed: %s", f);
        if ((rc = add_flag(st, "document_problem", enc, NULL, &subject, 1, &document, 1, detail, res->flags,
                           &res->n_flags, err, errlen)) != BEX_OK)
            return rc;
    }
    if (d->expiry_date[0] && strncmp(d->expiry_date, at, 10) < 0) {
        snprintf(detail, sizeof detail, "document expired before the crossing");
        if ((rc = add_flag(st, "document_problem", enc, NULL, &subject, 1, &document, 1, detail, res->flags,
                           &res->n_flags, err, errlen)) != BEX_OK)
            return rc;
    }
    if (impostor) {
        snprintf(detail, sizeof detail, "live face vs document photo: %.3f below %.3f", res->verify.score,
                 res->verify.threshold);
        fl_subj[0] = subject;
        int ns = 1;
        if (shared_with && shared_with != subject) fl_subj[ns++] = shared_with;
        if ((rc = add_flag(st, "impostor_suspected", enc, NULL, fl_subj, ns, &document, 1, detail, res->flags,
                           &res->n_flags, err, errlen)) != BEX_OK)
            return rc;
    }
    if (doc_shared) {
        snprintf(detail, sizeof detail, "document on record with another face: the live face does not match "
                 "subject %lld's samples (best %.3f, threshold %.3f)", (long long)shared_with,
                 nhits ? hits[0].score : NAN, id->threshold);
        fl_subj[0] = subject;
        fl_subj[1] = shared_with;
        fl_docs[0] = document;
        fl_docs[1] = shared_doc;
        if ((rc = add_flag(st, "document_shared", enc, NULL, fl_subj, 2, fl_docs, 2, detail, res->flags,
                           &res->n_flags, err, errlen)) != BEX_OK)
            return rc;
    }
    if (other_identity && other_identity != subject) {
        snprintf(detail, sizeof detail, "live face matches subject %lld (%.3f, threshold %.3f) recorded "
                 "with %s", (long long)other_identity, id->score, id->threshold,
                 agree == 1 ? "the same names and another birth date" : "other names");
        fl_subj[0] = subject;
        fl_subj[1] = other_identity;
        if ((rc = add_flag(st, agree == 1 ? "biographic_mismatch" : "two_identities", enc, NULL, fl_subj, 2,
                           &document, 1, detail, res->flags, &res->n_flags, err, errlen)) != BEX_OK)
            return rc;
    }

    /* the admission and the samples */
    if (!rq->citizen) {
        sqlite3_stmt *s = st_prep(st, "INSERT INTO admissions(subject_id, entry_encounter_id, class, admit_until) "
                                      "VALUES (?1, ?2, ?3, ?4)", err, errlen);
        if (!s) return BEX_ERR_IO;
        sqlite3_bind_int64(s, 1, subject);
        sqlite3_bind_int64(s, 2, enc);
        st_bind_text(s, 3, rq->admission_class);
        st_bind_text(s, 4, rq->admit_until);
        if ((rc = st_step_done(st, s, "recording the admission", err, errlen)) != BEX_OK) return rc;
        res->admission = sqlite3_last_insert_rowid(st->db);
    }
    /* an impostor's or a document sharer's face is kept as their own, and found again next time */
    if (rq->live && (rc = add_sample(st, subject, rq->citizen, enc, "entry", rq->live, rq->live_quality, at,
                                     rq->live_image, rq->live_image_len, 1, err, errlen)) != BEX_OK)
        return rc;
    /* the document photo shows its holder: enrolled with the document when it is the presenter's */
    if (rq->doc_photo && !impostor) {
        int64_t v;
        if ((rc = st_query_int(st, "SELECT count(*) FROM samples WHERE source = 'document' AND encounter_id IN "
                                   "(SELECT id FROM encounters WHERE document_id = ?2)", NULL, document, 0, &v,
                               err, errlen)) != BEX_OK)
            return rc;
        if (v == 0 && (rc = add_sample(st, subject, rq->citizen, enc, "document", rq->doc_photo, rq->doc_quality,
                                       at, NULL, 0, 1, err, errlen)) != BEX_OK)
            return rc;
    }

    char obj[128], det[160];
    snprintf(obj, sizeof obj, "encounter %lld subject %lld document %lld admission %lld", (long long)enc,
             (long long)subject, (long long)document, (long long)res->admission);
    snprintf(det, sizeof det, "outcome %s, %d flags, 1:N over %lld subjects%s", outcome, res->n_flags,
             id->gallery_size, rq->citizen ? ", citizen" : "");
    return st_audit(st, "entry", obj, det, err, errlen);
}

int bex_store_entry(bex_store *st, const bex_entry_request *rq, bex_entry_result *res, char *err,
                    size_t errlen) {
    memset(res, 0, sizeof *res);
    match_none(&res->verify);
    match_none(&res->identify);
    res->outcome = "";
    int rc = entry_checks(rq, err, errlen);
    if (rc != BEX_OK) return rc;
    char at[24];
    if ((rc = check_time(rq->at, at, err, errlen)) != BEX_OK) return rc;
    if ((rc = st_begin(st, err, errlen)) != BEX_OK) return rc;
    rc = do_entry(st, rq, at, res, err, errlen);
    rc = st_end(st, rc, "entry_before_commit", err, errlen);
    if (rc != BEX_OK) {
        memset(res, 0, sizeof *res);
        res->outcome = "";
    }
    return rc;
}

/* ---- exit ---- */

static int port_kind_for(bex_store *st, const bex_exit_request *rq, char kind[20], char *err, size_t errlen) {
    if (rq->port_kind) {
        if (!valid_kind(rq->port_kind)) {
            snprintf(err, errlen, "port kind '%s' is none of air, sea, land, land-pedestrian, land-vehicle",
                     rq->port_kind);
            return BEX_ERR_ARG;
        }
        snprintf(kind, 20, "%s", rq->port_kind);
        return BEX_OK;
    }
    const char *q[2] = {"SELECT port_kind FROM departures WHERE id = ?1",
                        "SELECT port_kind FROM encounters WHERE port = ?1 ORDER BY id DESC LIMIT 1"};
    const char *p[2] = {rq->departure, rq->port};
    for (int i = 0; i < 2; i++) {
        if (!p[i]) continue;
        sqlite3_stmt *s = st_prep(st, q[i], err, errlen);
        if (!s) return BEX_ERR_IO;
        st_bind_text(s, 1, p[i]);
        int found = sqlite3_step(s) == SQLITE_ROW;
        if (found) snprintf(kind, 20, "%s", (const char *)sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
        if (found) return BEX_OK;
    }
    snprintf(err, errlen, "port %s is new to this store: give its kind (--port-kind air|sea|land)", rq->port);
    return BEX_ERR_ARG;
}

static int do_exit(bex_store *st, const bex_exit_request *rq, const char *at, const char *kind,
                   bex_exit_result *res, char *err, size_t errlen) {
    int rc;
    bex_match *m = &res->match;
    bex_index_hit hits[5];
    size_t nhits = 0;
    if (rq->departure) {
        int64_t v;
        if ((rc = st_query_int(st, "SELECT count(*) FROM departures WHERE id = ?1", rq->departure, 0, 0, &v, err,
                               errlen)) != BEX_OK)
            return rc;
        if (!v) {
            snprintf(err, errlen, "departure '%s' has no manifest in this store (bex manifest load FILE)",
                     rq->departure);
            return BEX_ERR_ARG;
        }
    }
    if (rq->live) {
        static const char *const names[4] = {"manifest", "port", "in_country", "all"};
        static const char *const sql[3] = {
            "SELECT DISTINCT d.subject_id FROM manifest_entries m JOIN documents d ON d.number = m.number "
            "AND d.issuing_state = m.issuing_state WHERE m.departure_id = ?1 ORDER BY 1",
            "SELECT DISTINCT d.subject_id FROM departures p JOIN manifest_entries m ON m.departure_id = p.id "
            "JOIN documents d ON d.number = m.number AND d.issuing_state = m.issuing_state "
            "WHERE p.port = ?1 AND p.direction = 'departure' AND substr(p.scheduled, 1, 10) = ?2 ORDER BY 1",
            "SELECT DISTINCT subject_id FROM admissions WHERE exit_encounter_id IS NULL ORDER BY 1"};
        char day[11];
        snprintf(day, sizeof day, "%.10s", at);
        /* a gallery holding the same subjects as the one searched before is not searched again */
        int64_t *prev = NULL;
        size_t nprev = 0;
        int prev_all = 0; /* the previous gallery held every subject of the index */
        rc = BEX_OK;
        for (int g = rq->departure ? 0 : 1; g < 4 && rc == BEX_OK; g++) {
            int64_t *subj = NULL;
            size_t ns = 0;
            if (g < 3 && (rc = subject_list(st, sql[g], g == 0 ? rq->departure : rq->port, day, &subj, &ns, err,
                                            errlen)) != BEX_OK)
                break;
            int same = g < 3 ? (prev && ns == nprev && !memcmp(subj, prev, ns * sizeof *subj)) : prev_all;
            if (same || (g < 3 && ns == 0)) {
                bex__free(subj);
                continue;
            }
            bex_match mm;
            rc = identify(st, rq->live, g < 3, subj, ns, names[g], &mm, hits, &nhits, err, errlen);
            bex__free(prev);
            prev = subj;
            nprev = ns;
            if (rc != BEX_OK || mm.gallery_size == 0) continue;
            /* identify() has just loaded the index: no second look at the file */
            prev_all = st->ix && (size_t)mm.gallery_size == bex_index_subjects(st->ix);
            *m = mm;
            if (mm.match) break;
        }
        bex__free(prev);
        if (rc != BEX_OK) return rc;
    }
    if (!m->gallery[0]) match_none(m);
    res->outcome = !rq->live ? "no_photo" : m->match ? "matched" : "not_matched";
    res->subject = m->match ? m->subject : 0;
    char carrier[8] = "", voyage[16] = "";
    if (rq->departure) {
        sqlite3_stmt *s = st_prep(st, "SELECT carrier, voyage FROM departures WHERE id = ?1", err, errlen);
        if (!s) return BEX_ERR_IO;
        st_bind_text(s, 1, rq->departure);
        if (sqlite3_step(s) == SQLITE_ROW) {
            snprintf(carrier, sizeof carrier, "%s", (const char *)sqlite3_column_text(s, 0));
            snprintf(voyage, sizeof voyage, "%s", (const char *)sqlite3_column_text(s, 1));
        }
        sqlite3_finalize(s);
    }
    if ((rc = insert_encounter(st, res->subject, 0, "exit", rq->port, kind, carrier[0] ? carrier : NULL,
                               voyage[0] ? voyage : NULL, rq->departure, at, res->outcome,
                               m->gallery[0] ? m : NULL, &res->encounter, err, errlen)) != BEX_OK)
        return rc;
    int64_t enc = res->encounter;
    char detail[192];
    if (res->subject) {
        /* close the latest open admission entered before this exit */
        sqlite3_stmt *s = st_prep(st, "SELECT a.id FROM admissions a JOIN encounters e ON e.id = a.entry_encounter_id "
                                      "WHERE a.subject_id = ?1 AND a.exit_encounter_id IS NULL AND e.at <= ?2 "
                                      "ORDER BY e.at DESC LIMIT 1", err, errlen);
        if (!s) return BEX_ERR_IO;
        sqlite3_bind_int64(s, 1, res->subject);
        st_bind_text(s, 2, at);
        if (sqlite3_step(s) == SQLITE_ROW) res->admission = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
        if (res->admission) {
            s = st_prep(st, "UPDATE admissions SET exit_encounter_id = ?2 WHERE id = ?1", err, errlen);
            if (!s) return BEX_ERR_IO;
            sqlite3_bind_int64(s, 1, res->admission);
            sqlite3_bind_int64(s, 2, enc);
            if ((rc = st_step_done(st, s, "closing the admission", err, errlen)) != BEX_OK) return rc;
        }
        if (rq->departure && strcmp(m->gallery, "manifest") != 0) {
            snprintf(detail, sizeof detail, "matched in the %s gallery (%.3f, threshold %.3f), not on the "
                     "departure's manifest", m->gallery, m->score, m->threshold);
            if ((rc = add_flag(st, "not_on_manifest", enc, rq->departure, &res->subject, 1, NULL, 0, detail,
                               res->flags, &res->n_flags, err, errlen)) != BEX_OK)
                return rc;
        }
        if ((rc = add_sample(st, res->subject, 0, enc, "exit", rq->live, rq->live_quality, at, rq->live_image,
                             rq->live_image_len, 1, err, errlen)) != BEX_OK)
            return rc;
    } else if (rq->live) {
        /* kept with the encounter, without a subject, for an officer to review */
        snprintf(detail, sizeof detail, "no match: best %.3f in the %s gallery of %lld (threshold %.3f)",
                 isnan(m->score) ? 0.0 : m->score, m->gallery[0] ? m->gallery : "empty", m->gallery_size,
                 m->threshold);
        if ((rc = add_flag(st, "not_matched", enc, rq->departure, NULL, 0, NULL, 0, detail, res->flags,
                           &res->n_flags, err, errlen)) != BEX_OK)
            return rc;
        if ((rc = add_sample(st, 0, 0, enc, "exit", rq->live, rq->live_quality, at, rq->live_image,
                             rq->live_image_len, 0, err, errlen)) != BEX_OK)
            return rc;
    }
    char obj[128], det[160];
    snprintf(obj, sizeof obj, "encounter %lld subject %lld admission %lld", (long long)enc, (long long)res->subject,
             (long long)res->admission);
    snprintf(det, sizeof det, "outcome %s, gallery %s of %lld, %d flags", res->outcome,
             m->gallery[0] ? m->gallery : "none", m->gallery_size, res->n_flags);
    return st_audit(st, "exit", obj, det, err, errlen);
}

int bex_store_exit(bex_store *st, const bex_exit_request *rq, bex_exit_result *res, char *err, size_t errlen) {
    memset(res, 0, sizeof *res);
    match_none(&res->match);
    res->outcome = "";
    if (!rq->port || !*rq->port) {
        snprintf(err, errlen, "an exit needs the port code (--port)");
        return BEX_ERR_ARG;
    }
    char at[24], kind[20];
    int rc = check_time(rq->at, at, err, errlen);
    if (rc != BEX_OK) return rc;
    if ((rc = st_begin(st, err, errlen)) != BEX_OK) return rc;
    if (rq->once && rq->live) {
        sqlite3_stmt *s = st_prep(st, "SELECT e.id, coalesce(e.subject_id, 0), e.outcome FROM encounters e "
                                      "JOIN samples s ON s.encounter_id = e.id WHERE e.direction = 'exit' "
                                      "AND e.port = ?1 AND e.at = ?2 AND s.template = ?3 LIMIT 1", err, errlen);
        if (!s) {
            st_rollback(st);
            return BEX_ERR_IO;
        }
        st_bind_text(s, 1, rq->port);
        st_bind_text(s, 2, at);
        sqlite3_bind_blob(s, 3, rq->live, TEMPLATE_BYTES, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW) {
            res->already = 1;
            res->encounter = sqlite3_column_int64(s, 0);
            res->subject = sqlite3_column_int64(s, 1);
            res->outcome = !strcmp((const char *)sqlite3_column_text(s, 2), "matched") ? "matched" : "not_matched";
        }
        sqlite3_finalize(s);
        if (res->already) {
            st_rollback(st);
            return BEX_OK;
        }
    }
    rc = port_kind_for(st, rq, kind, err, errlen);
    if (rc == BEX_OK) rc = do_exit(st, rq, at, kind, res, err, errlen);
    rc = st_end(st, rc, "exit_before_commit", err, errlen);
    if (rc != BEX_OK) {
        memset(res, 0, sizeof *res);
        res->outcome = "";
    }
    return rc;
}

/* ---- enrolment outside a crossing ---- */

int bex_store_enrol(bex_store *st, const bex_mrz *doc, const float *tmpl, float quality, const char *source,
                    const char *at, int64_t *subject, int64_t *document, int *added, char *err, size_t errlen) {
    *subject = *document = 0;
    *added = 0;
    if (!doc || !tmpl || !source || (strcmp(source, "document") && strcmp(source, "visa") && strcmp(source, "officer"))) {
        snprintf(err, errlen, "enrolment needs a document, a template and a source (document, visa, officer)");
        return BEX_ERR_ARG;
    }
    char when[24];
    int rc = check_time(at, when, err, errlen);
    if (rc != BEX_OK) return rc;
    if ((rc = st_begin(st, err, errlen)) != BEX_OK) return rc;
    holder h[MAX_HOLDERS];
    int nh = 0;
    rc = find_holders(st, doc, h, &nh, err, errlen);
    int64_t subj = 0, docid = 0;
    if (rc == BEX_OK && nh > 0) {
        subj = h[0].subject;
        docid = h[0].document;
        int64_t v;
        rc = st_query_int(st, "SELECT count(*) FROM samples s JOIN documents d ON d.subject_id = s.subject_id "
                              "WHERE d.id = ?2 AND s.source = ?1 AND s.encounter_id IS NULL", source, docid, 0, &v,
                          err, errlen);
        if (rc == BEX_OK && v > 0) { /* already enrolled from this source */
            st_rollback(st);
            *subject = subj;
            *document = docid;
            return BEX_OK;
        }
    }
    if (rc == BEX_OK && !subj) rc = insert_subject(st, when, 0, &subj, err, errlen);
    if (rc == BEX_OK && !docid) rc = insert_document(st, subj, doc, when, &docid, err, errlen);
    if (rc == BEX_OK) rc = add_sample(st, subj, 0, 0, source, tmpl, quality, when, NULL, 0, 1, err, errlen);
    if (rc == BEX_OK) {
        char obj[96];
        snprintf(obj, sizeof obj, "subject %lld document %lld", (long long)subj, (long long)docid);
        rc = st_audit(st, "enrol", obj, source, err, errlen);
    }
    rc = st_end(st, rc, NULL, err, errlen);
    if (rc != BEX_OK) return rc;
    *subject = subj;
    *document = docid;
    *added = 1;
    return BEX_OK;
}

/* ---- officers' decisions ---- */

int bex_store_override_exit(bex_store *st, int64_t encounter, int64_t subject, int64_t *admission, char *err,
                            size_t errlen) {
    *admission = 0;
    int rc = st_begin(st, err, errlen);
    if (rc != BEX_OK) return rc;
    int64_t is_exit = 0, known = 0, citizen = 0;
    char at[24] = "";
    sqlite3_stmt *s = st_prep(st, "SELECT direction = 'exit', at FROM encounters WHERE id = ?1", err, errlen);
    if (!s) rc = BEX_ERR_IO;
    else {
        sqlite3_bind_int64(s, 1, encounter);
        if (sqlite3_step(s) == SQLITE_ROW) {
            is_exit = sqlite3_column_int64(s, 0);
            snprintf(at, sizeof at, "%s", (const char *)sqlite3_column_text(s, 1));
        }
        sqlite3_finalize(s);
    }
    if (rc == BEX_OK)
        rc = st_query_int(st, "SELECT count(*) FROM subjects WHERE id = ?2", NULL, subject, 0, &known, err, errlen);
    if (rc == BEX_OK)
        rc = st_query_int(st, "SELECT citizen FROM subjects WHERE id = ?2", NULL, subject, 0, &citizen, err, errlen);
    if (rc == BEX_OK && (!is_exit || !known)) {
        snprintf(err, errlen, "%s", !is_exit ? "no exit encounter with that id" : "no subject with that id");
        rc = BEX_ERR_ARG;
    }
    /* the encounter, then the admission it closes (the latest open one entered before it) */
    static const char *const steps[] = {
        "UPDATE encounters SET subject_id = ?2, outcome = 'officer_override' WHERE id = ?1",
        "UPDATE samples SET subject_id = ?2 WHERE encounter_id = ?1",
        "UPDATE flags SET status = 'cleared' WHERE encounter_id = ?1 AND kind = 'not_matched'",
        "UPDATE admissions SET exit_encounter_id = NULL WHERE exit_encounter_id = ?1"};
    for (size_t i = 0; rc == BEX_OK && i < sizeof steps / sizeof *steps; i++) {
        s = st_prep(st, steps[i], err, errlen);
        if (!s) {
            rc = BEX_ERR_IO;
            break;
        }
        sqlite3_bind_int64(s, 1, encounter);
        if (sqlite3_bind_parameter_count(s) >= 2) sqlite3_bind_int64(s, 2, subject);
        rc = st_step_done(st, s, "recording the officer's decision", err, errlen);
    }
    if (rc == BEX_OK) {
        s = st_prep(st, "SELECT a.id FROM admissions a JOIN encounters e ON e.id = a.entry_encounter_id "
                        "WHERE a.subject_id = ?1 AND a.exit_encounter_id IS NULL AND e.at <= ?2 "
                        "ORDER BY e.at DESC LIMIT 1", err, errlen);
        if (!s) rc = BEX_ERR_IO;
        else {
            sqlite3_bind_int64(s, 1, subject);
            st_bind_text(s, 2, at);
            if (sqlite3_step(s) == SQLITE_ROW) *admission = sqlite3_column_int64(s, 0);
            sqlite3_finalize(s);
        }
    }
    if (rc == BEX_OK && *admission) {
        s = st_prep(st, "UPDATE admissions SET exit_encounter_id = ?2 WHERE id = ?1", err, errlen);
        if (!s) rc = BEX_ERR_IO;
        else {
            sqlite3_bind_int64(s, 1, *admission);
            sqlite3_bind_int64(s, 2, encounter);
            rc = st_step_done(st, s, "closing the admission", err, errlen);
        }
    }
    /* the capture now belongs to the subject: searchable from the next commit */
    if (rc == BEX_OK && !citizen) {
        s = st_prep(st, "SELECT id, template FROM samples WHERE encounter_id = ?1 AND model = ?2", err, errlen);
        if (!s) rc = BEX_ERR_IO;
        else {
            sqlite3_bind_int64(s, 1, encounter);
            st_bind_text(s, 2, st->model);
            while (rc == BEX_OK && sqlite3_step(s) == SQLITE_ROW)
                if (sqlite3_column_bytes(s, 1) == TEMPLATE_BYTES)
                    rc = st_pending_add(st, sqlite3_column_int64(s, 0), subject,
                                        (const float *)sqlite3_column_blob(s, 1));
            sqlite3_finalize(s);
        }
    }
    if (rc == BEX_OK) {
        char obj[128];
        snprintf(obj, sizeof obj, "encounter %lld subject %lld admission %lld", (long long)encounter,
                 (long long)subject, (long long)*admission);
        rc = st_audit(st, "override_exit", obj, "officer_override", err, errlen);
    }
    rc = st_end(st, rc, NULL, err, errlen);
    if (rc != BEX_OK) *admission = 0;
    return rc;
}

int bex_store_set_flag_status(bex_store *st, int64_t flag, const char *status, char *err, size_t errlen) {
    if (!status || (strcmp(status, "cleared") && strcmp(status, "confirmed") && strcmp(status, "open"))) {
        snprintf(err, errlen, "a flag's status is open, cleared or confirmed");
        return BEX_ERR_ARG;
    }
    int rc = st_begin(st, err, errlen);
    if (rc != BEX_OK) return rc;
    sqlite3_stmt *s = st_prep(st, "UPDATE flags SET status = ?2 WHERE id = ?1", err, errlen);
    if (!s) rc = BEX_ERR_IO;
    else {
        sqlite3_bind_int64(s, 1, flag);
        st_bind_text(s, 2, status);
        rc = st_step_done(st, s, "updating the flag", err, errlen);
    }
    if (rc == BEX_OK && sqlite3_changes(st->db) == 0) {
        snprintf(err, errlen, "no flag with that id");
        rc = BEX_ERR_ARG;
    }
    if (rc == BEX_OK) {
        char obj[64];
        snprintf(obj, sizeof obj, "flag %lld", (long long)flag);
        rc = st_audit(st, "flag_status", obj, status, err, errlen);
    }
    return st_end(st, rc, NULL, err, errlen);
}

/* ---- a search without a crossing ---- */

int bex_store_identify(bex_store *st, const float *probe, bex_index_hit hits[5], size_t *n, bex_match *m,
                       char *err, size_t errlen) {
    *n = 0;
    int rc = st_begin(st, err, errlen);
    if (rc != BEX_OK) return rc;
    rc = identify(st, probe, 0, NULL, 0, "all", m, hits, n, err, errlen);
    if (rc == BEX_OK) {
        char obj[64], detail[96];
        snprintf(obj, sizeof obj, "subject %lld", (long long)(m->match ? m->subject : 0));
        snprintf(detail, sizeof detail, "1:N over %lld subjects, %zu candidates", m->gallery_size, *n);
        rc = st_audit(st, "identify", obj, detail, err, errlen);
    }
    rc = st_end(st, rc, NULL, err, errlen);
    if (rc != BEX_OK) *n = 0;
    return rc;
}
