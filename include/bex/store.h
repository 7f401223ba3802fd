/*
 * store.h - the entry-exit record store: travellers (subjects), their documents and face
 * samples, encounters (crossings), admissions, manifests, flags, retention rules and a
 * hash-chained audit log, in one SQLite file (WAL, foreign keys, numbered migrations).
 *
 *   bex_store_options o;
 *   bex_store_options_default(&o);
 *   o.actor = "officer:1207";
 *   bex_store *st;
 *   if (bex_store_open("bex.db", &o, &st, err, sizeof err) != BEX_OK) ...;
 *   bex_entry_request rq = {.doc = &mrz, .live = face.template_, ...};
 *   bex_entry_result r;
 *   bex_store_entry(st, &rq, &r, err, sizeof err);   // one transaction
 *   bex_store_close(st);
 *
 * Every call that changes or reads personal data runs in one transaction and writes its
 * audit entry inside it: it commits whole or not at all. Templates come in from the caller
 * (bex_embed / bex_capture); the store keeps its own 1:N index of every non-citizen's face
 * samples, built from the file when first needed and kept in step after each commit, and
 * decides at the calibrated operating points (calibration.h): 1:1 at FMR `fmr`, 1:N at FPIR
 * `fpir` for the size of the gallery searched.
 *
 * Personal data never reaches the audit log or error messages: they name row ids only.
 * A handle is used by one thread at a time.
 */
#ifndef BEX_STORE_H
#define BEX_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "bex/bex.h"
#include "bex/face.h"
#include "bex/index.h"
#include "bex/mrz.h"
#include "bex/overstay.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bex_store bex_store;

typedef struct bex_store_options {
    const char *actor;   /* who acts, for the audit log (e.g. "cli:alice"); NULL: "unknown" */
    bex_align align;     /* the alignment the templates were made with (BEX_ALIGN_DEFAULT) */
    double fmr;          /* 1:1 operating point (BEX_DEFAULT_FMR) */
    double fpir;         /* 1:N operating point (BEX_DEFAULT_FPIR) */
    int must_exist;      /* 1: a missing file is an error (BEX_ERR_IO), not a new store */
    int synchronous_off; /* 1: no fsync per commit (simulations only: a power cut may lose
                            the last commits, never consistency) */
} bex_store_options;

void bex_store_options_default(bex_store_options *o);

/* Opens (creating it if absent) and migrates the file to the newest schema. A file from a
 * newer bex, or one that is no bex store, is refused with a message. Free with
 * bex_store_close. */
int bex_store_open(const char *path, const bex_store_options *opt, bex_store **out, char *err,
                   size_t errlen);
void bex_store_close(bex_store *st);
/* The schema version (the number of the last migration applied). */
int bex_store_schema_version(bex_store *st);
/* The model and alignment the store's templates are tagged with. */
const char *bex_store_model(bex_store *st);

#define BEX_STORE_MAX_FLAGS 8
#define BEX_FLAG_MAX_IDS 4

/* A finding for an officer. kind: "impostor_suspected", "two_identities",
 * "biographic_mismatch", "document_problem", "manifest_mismatch", "document_shared",
 * "not_matched", "not_on_manifest". detail names what was compared, never a name. */
typedef struct bex_flag {
    int64_t id;
    char kind[24];
    int64_t encounter;                 /* 0: none (manifest flags) */
    char departure[48];                /* "" when none */
    int64_t subjects[BEX_FLAG_MAX_IDS];
    int n_subjects;
    int64_t documents[BEX_FLAG_MAX_IDS];
    int n_documents;
    char detail[192];
    char created_at[24];
    char status[12];                   /* "open", "cleared", "confirmed" */
} bex_flag;

/* A 1:N decision as recorded: which gallery, its size, the best candidate and threshold. */
typedef struct bex_match {
    char gallery[16];       /* "document", "manifest", "port", "in_country", "all", "" */
    long long gallery_size; /* subjects searched */
    int64_t subject;        /* best candidate (0: none) */
    float score;            /* its similarity (NAN: none) */
    float threshold;
    char operating_point[96];
    int match;              /* score >= threshold */
} bex_match;

typedef struct bex_entry_request {
    const bex_mrz *doc;          /* the document presented (bex_mrz_parse) */
    const float *live;           /* live capture's template, or NULL: no usable photo */
    float live_quality;
    const char *live_failure;    /* why not, when live is NULL ("no_face", ...) */
    const void *live_image;      /* the photo's file bytes, kept only if retention "images" > 0 */
    size_t live_image_len;
    const float *doc_photo;      /* the chip's or visa's photo's template, or NULL */
    float doc_quality;
    const char *admission_class; /* "B2", "WT", "F1", ...; ignored for a citizen */
    const char *admit_until;     /* "YYYY-MM-DD"; NULL: duration of status (D/S) */
    const char *port;            /* port code */
    const char *port_kind;       /* air, sea, land, land-pedestrian, land-vehicle */
    const char *carrier;         /* may be NULL */
    const char *voyage;          /* flight, sailing or lane; may be NULL */
    const char *at;              /* ISO 8601 UTC time of the crossing */
    int citizen;                 /* exempt: not enrolled; photos purged after 12 hours */
} bex_entry_request;

typedef struct bex_entry_result {
    int64_t encounter, subject, document, admission; /* admission 0 for a citizen */
    int new_subject;             /* 1: first seen at this entry */
    const char *outcome;         /* "matched", "not_matched", "enrolled", "no_photo" */
    bex_match verify;            /* live vs document photo (gallery "document"), or
                                    vs the document holder's samples (gallery "holder") */
    bex_match identify;          /* live vs every enrolled subject (gallery "all") */
    bex_flag flags[BEX_STORE_MAX_FLAGS];
    int n_flags;
} bex_entry_result;

/* An arrival: checks the document (flags for failed check digits or expiry), compares the
 * live face with the document photo (impostor check) and with every subject (the same face
 * under another identity is flagged; a known face with the same biographic data is linked),
 * records the encounter and admission, and enrols the live template. BEX_ERR_ARG for a bad
 * request (missing port, unparseable date). */
int bex_store_entry(bex_store *st, const bex_entry_request *rq, bex_entry_result *res, char *err,
                    size_t errlen);

typedef struct bex_exit_request {
    const float *live;        /* NULL: no usable photo (recorded as "no_photo") */
    float live_quality;
    const char *live_failure;
    const void *live_image;   /* as in bex_entry_request */
    size_t live_image_len;
    const char *port;
    const char *port_kind;    /* NULL: the departure's, else the port's last known kind */
    const char *departure;    /* manifest's departure id, or NULL */
    const char *at;
    int once;                 /* 1: an exit already recorded at this port and time with this
                                 template is not recorded again (an offline gate's log synced
                                 twice); the result then describes the recorded one */
} bex_exit_request;

typedef struct bex_exit_result {
    int64_t encounter;
    int64_t subject;          /* 0: nobody matched */
    int64_t admission;        /* the entry's admission this exit closed; 0: none open */
    const char *outcome;      /* "matched", "not_matched", "no_photo" */
    bex_match match;          /* the gallery that decided (or the last one searched) */
    bex_flag flags[BEX_STORE_MAX_FLAGS];
    int n_flags;
    int already;              /* with `once`: 1 when it had been recorded before */
} bex_exit_result;

/* A departure: searches the departure's manifest gallery first, then the port's departures of
 * that day, then everyone in the country (open admissions), then every subject; links a match
 * to the subject's open admission. No match is recorded (with its template, for review) and
 * flagged, never dropped. */
int bex_store_exit(bex_store *st, const bex_exit_request *rq, bex_exit_result *res, char *err,
                   size_t errlen);

/* Enrols a face from a document or visa record outside any crossing (a visa issuance, a
 * passport photo from another agency, an officer's photo): the document's subject if it is
 * on record, else a new subject; the template as a sample of `source` ("document", "visa",
 * "officer"). *added = 0 when that document already has a sample from that source (a bulk
 * enrolment run again skips it). One transaction. */
int bex_store_enrol(bex_store *st, const bex_mrz *doc, const float *tmpl, float quality,
                    const char *source, const char *at, int64_t *subject, int64_t *document,
                    int *added, char *err, size_t errlen);

/* An officer's decision on an exit that matched nobody (or the wrong person): the encounter
 * becomes "officer_override" for `subject`, closes that subject's open admission, its sample
 * joins the subject's, and the encounter's "not_matched" flags are cleared. *admission: the
 * admission closed (0: none open). BEX_ERR_ARG when the encounter is no exit or either id is
 * unknown. One transaction. */
int bex_store_override_exit(bex_store *st, int64_t encounter, int64_t subject, int64_t *admission,
                            char *err, size_t errlen);

/* An officer's finding on a flag: "cleared" (no problem) or "confirmed". */
int bex_store_set_flag_status(bex_store *st, int64_t flag, const char *status, char *err,
                              size_t errlen);

/* 1:N of a probe against every enrolled (non-citizen) traveller, recording no crossing: the
 * best 5 subjects into hits (best first, *n of them), the decision at FPIR `fpir` for that
 * gallery's size in *m. An audited read (the subject matched, if any). */
int bex_store_identify(bex_store *st, const float *probe, bex_index_hit hits[5], size_t *n,
                       bex_match *m, char *err, size_t errlen);

/* A manifest (APIS-like): the expected travellers of one departure or arrival. */
typedef struct bex_manifest_entry {
    char issuing_state[4], number[24], nationality[4];
    char surname[40], given_names[40], birth_date[11], sex[2];
} bex_manifest_entry;

typedef struct bex_manifest {
    char id[48];              /* the departure's id, e.g. "BA117-2026-11-27" */
    char direction[12];       /* "departure" or "arrival" */
    char carrier[8], voyage[16], port[8], port_kind[20], scheduled[24];
    bex_manifest_entry *entries;
    size_t n;
} bex_manifest;

/* Parses a manifest from JSON:
 *   {"departure":"BA117-2026-11-27","direction":"departure","carrier":"BA","voyage":"BA117",
 *    "port":"JFK","port_kind":"air","scheduled":"2026-11-27T18:30:00Z",
 *    "travellers":[{"issuing_state":"GBR","number":"123456789","nationality":"GBR",
 *                   "surname":"DOE","given_names":"JANE","birth_date":"1980-01-31","sex":"F"}]}
 * Errors name the traveller and field (by position). Free with bex_manifest_free. */
int bex_manifest_parse_json(const char *text, size_t len, bex_manifest *out, char *err,
                            size_t errlen);
void bex_manifest_free(bex_manifest *m);

typedef struct bex_manifest_result {
    size_t travellers;        /* entries loaded */
    size_t linked;            /* whose document is on record */
    size_t with_face;         /* of which the subject has a face sample (in the gallery) */
    int n_flags;              /* manifest_mismatch flags raised (names or birth date differ) */
    int replaced;             /* 1: an earlier manifest of that departure was replaced */
} bex_manifest_result;

/* Loads (or replaces) a departure's manifest in one transaction; progress(done, total, arg)
 * is called now and then when not NULL. */
int bex_store_load_manifest(bex_store *st, const bex_manifest *m,
                            void (*progress)(size_t done, size_t total, void *arg), void *arg,
                            bex_manifest_result *res, char *err, size_t errlen);

/* The carrier code of a departure on record into carrier (8 bytes); BEX_ERR_ARG when there
 * is no such departure. Reads no personal data. */
int bex_store_departure_carrier(bex_store *st, const char *departure, char carrier[8], char *err,
                                size_t errlen);

/* The gallery of a departure: every face sample (document, visa, earlier crossings) of the
 * subjects its manifest links, in a new index (float32) the caller saves or frees with
 * bex_index_close. *subjects: distinct subjects in it. */
int bex_store_gallery(bex_store *st, const char *departure, bex_index **out, size_t *subjects,
                      char *err, size_t errlen);

/* One admission's verdict in an overstay report. */
typedef struct bex_overstay_row {
    int64_t subject, admission;
    char document[24], nationality[4], admission_class[8], port[8];
    char entry[11], exit[11], admit_until[11];   /* "" when none / D/S */
    bex_stay_verdict verdict;
} bex_overstay_row;

/* Every admission entered by as_of ("YYYY-MM-DD") with its verdict under the US rule
 * (policy_eu 0) or the EU 90/180 rule (1). *rows: free(). */
int bex_store_overstays(bex_store *st, const char *as_of, int policy_eu, bex_overstay_row **rows,
                        size_t *n, char *err, size_t errlen);

/* One subject's whole record as a JSON object: documents, admissions (with their entry and
 * exit encounters), encounters, samples (no templates or images, whether an image is kept),
 * flags. *json: free(). BEX_ERR_ARG for an unknown subject. An audited read. */
int bex_store_subject_json(bex_store *st, int64_t subject, char **json, char *err, size_t errlen);

/* One encounter as a JSON object: the crossing, the admission it opened or closed, its flags.
 * *json: free(). BEX_ERR_ARG for an unknown encounter. An audited read. */
int bex_store_encounter_json(bex_store *st, int64_t encounter, char **json, char *err,
                             size_t errlen);

/* Every flag, oldest first. *flags: free(). */
int bex_store_flags(bex_store *st, bex_flag **flags, size_t *n, char *err, size_t errlen);

/* Retention categories: "citizen_biometrics" (at most 12 hours), "images", "records" (a
 * non-citizen's whole record, from the last encounter), "overstayer_records". */
int bex_store_set_retention(bex_store *st, const char *category, long long seconds, char *err,
                            size_t errlen);
int bex_store_get_retention(bex_store *st, const char *category, long long *seconds, char *err,
                            size_t errlen);

typedef struct bex_purge_result {
    long long citizen_samples;   /* citizens' templates and photos deleted */
    long long images;            /* images dropped from samples kept */
    long long subjects;          /* whole records deleted at the end of retention */
    long long overstayer_subjects;
} bex_purge_result;

/* Deletes what retention says is due as of `as_of` (ISO 8601; NULL: now), in one transaction. */
int bex_store_purge(bex_store *st, const char *as_of, bex_purge_result *res, char *err,
                    size_t errlen);

/* Walks the audit log and recomputes its hash chain: *entries read; *first_bad the sequence
 * number of the first entry whose hash or link does not agree (0: none); head: the last hash
 * (hex, 65 bytes), to be kept elsewhere so that a cut tail is seen too: pass a head kept
 * earlier as known_head (or NULL) and *head_found says whether the chain still holds it. */
int bex_store_audit_verify(bex_store *st, const char *known_head, long long *entries,
                           long long *first_bad, int *head_found, char head[65], char *err,
                           size_t errlen);

/* Writes one audit entry in its own transaction (a read outside the calls above, e.g. a
 * report the caller makes from their results). object names row ids only. */
int bex_store_audit(bex_store *st, const char *action, const char *object, const char *detail,
                    char *err, size_t errlen);

/* ---- API keys (bex serve) ---- */

/* Roles: "officer" (crossings, look-ups, flags), "carrier" (its own departures' boarding
 * decisions and manifests, nothing about the person), "analyst" (reports, no photos),
 * "auditor" (the audit log), "admin" (keys, retention). */
typedef struct bex_api_key {
    int64_t id;
    char role[12];
    char carrier[8];     /* carrier keys only */
    char label[64];
    char created_at[24];
    char revoked_at[24]; /* "" while valid */
} bex_api_key;

/* Makes a key: 32 random bytes as 64 hex characters in key_out (65 bytes, shown once; the
 * store keeps its SHA-256 only). carrier is required for the carrier role and refused for
 * the others. Audited. */
int bex_store_key_add(bex_store *st, const char *role, const char *carrier, const char *label,
                      char key_out[65], int64_t *id, char *err, size_t errlen);
int bex_store_key_revoke(bex_store *st, int64_t id, char *err, size_t errlen);
/* Every key, valid or revoked (no secrets). *keys: free(). */
int bex_store_key_list(bex_store *st, bex_api_key **keys, size_t *n, char *err, size_t errlen);
/* The valid key matching `key` into *out: BEX_OK, or BEX_ERR_ARG for an unknown or revoked
 * key (the caller audits the denial with bex_store_audit). Reads no personal data: not
 * audited itself. */
int bex_store_key_check(bex_store *st, const char *key, bex_api_key *out, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
