/*
 * store.h - the entry-exit records: travellers (subjects), their documents and face samples,
 * encounters (crossings), admissions, manifests, flags, settings, retention periods, API keys
 * and a hash-chained audit log, in one SQLite file (WAL, foreign keys, numbered migrations).
 * The store keeps records and decides nothing: the border rules that fill it are border.h's.
 *
 *   bex_store_options o;
 *   bex_store_options_default(&o);
 *   o.actor = "cli:alice";
 *   bex_store *st;
 *   if (bex_store_open("bex.db", &o, &st, err, sizeof err) != BEX_OK) ...;
 *   bex_border_entry(st, &rq, &r, err, sizeof err);   // border.h: one transaction
 *   bex_store_close(st);
 *
 * Every call that changes or reads personal data runs in one transaction and writes its
 * audit entry inside it, naming the actor: it commits whole or not at all. The store keeps its
 * own 1:N index of every non-citizen's face samples, built from the file when first needed and
 * kept in step after each commit (and rebuilt when another process has written the file).
 *
 * Personal data never reaches the audit log or error messages: they name row ids only.
 * A handle is used by one thread at a time.
 */
#ifndef BEX_STORE_H
#define BEX_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "bex/bex.h"
#include "bex/calibration.h"
#include "bex/face.h"
#include "bex/finger.h"
#include "bex/model.h"
#include "bex/terms.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bex_store bex_store;

typedef struct bex_store_options {
    const char *actor;   /* who acts, for the audit log (e.g. "cli:alice"); NULL: "unknown" */
    bex_align align;     /* the alignment the templates were made with (BEX_ALIGN_DEFAULT) */
    const bex_model *model; /* NULL: the built-in model (with align); else a loaded model
                               (bex_model_load; the engine's: bex_engine_options.model): the
                               store then matches that model's templates only, of its embedding's
                               length, and decides with its calibration (bex_store_calibration_for).
                               Copied: need not outlive the call */
    double fmr;          /* 1:1 operating point (BEX_DEFAULT_FMR) */
    double fpir;         /* 1:N operating point (BEX_DEFAULT_FPIR) */
    int must_exist;      /* 1: a missing file is an error (BEX_ERR_IO), not a new store */
    int synchronous_off; /* 1: no fsync per commit (simulations only: a power cut may lose
                            the last commits, never consistency) */
    int search_threads;  /* threads one 1:N scan of the store's index runs on; 0: the cores.
                            A service whose workers each scan (bex_store_prescan) gains
                            nothing from more: the scan is bound by memory bandwidth */
    long long max_bytes; /* > 0: the database file grows no larger (its pages); a write that
                            would is refused with BEX_ERR_FULL and nothing written, as on a
                            full disk. 0: no limit but the disk's. SQLite only: a
                            PostgreSQL store refuses it (BEX_ERR_UNSUPPORTED) */
} bex_store_options;

void bex_store_options_default(bex_store_options *o);

/* Opens (creating it if absent) and migrates the file to the newest schema. A file from a
 * newer bex, or one that is no bex store, is refused with a message. Free with
 * bex_store_close. */
int bex_store_open(const char *path, const bex_store_options *opt, bex_store **out, char *err,
                   size_t errlen);
void bex_store_close(bex_store *st);
/* The store target (a file, or a postgresql:// URI) as a message may show it: a URI's password,
 * in its user info (postgresql://user:secret@host/db -> postgresql://user@host/db) or its query
 * string (password=...), is left out; a file is shown as is. Writes at most n bytes, always
 * NUL-terminated (n > 0); returns buf. A NULL target is shown as "(none)". */
const char *bex_store_target_label(const char *target, char *buf, size_t n);
/* The schema version (the number of the last migration applied). */
int bex_store_schema_version(bex_store *st);
/* The 1:N scan of a probe over every enrolled traveller, done ahead: the one call on a handle
 * that may run on another thread while the handle is in use (it reads only the store's index,
 * under the index's own locks). A service scans a request's photo before it takes the lock it
 * holds around the handle, and passes the scan to bex_border_identify or an entry
 * (bex_entry_request.live_scan), which re-rank its candidates from the records under the lock:
 * the 1:N scan (4-5 ms at a million) no longer holds every other request up. A scan made
 * before the index changed is not used (the search scans again), so decisions are those of a
 * search under the lock. *out is NULL (and BEX_OK) before the index is first built. dim: the
 * probe's floats; another than the store's (bex_store_template_check) is BEX_ERR_ARG. */
typedef struct bex_store_scan bex_store_scan;
int bex_store_prescan(bex_store *st, const float *probe, int dim, bex_store_scan **out, char *err,
                      size_t errlen);
void bex_store_scan_free(bex_store_scan *p);

/* The model and alignment the store's templates are tagged with. */
const char *bex_store_model(bex_store *st);
/* The length in floats of the store's templates: BEX_TEMPLATE_DIM for the built-in model,
 * else the opened model's embedding (1..BEX_TEMPLATE_MAX_DIM). */
int bex_store_dim(bex_store *st);
/* Whether templates of `model` (an identity, model.h; NULL: not checked) and `dim` floats are
 * the store's: BEX_OK, else BEX_ERR_ARG with a message naming both models or lengths (the
 * caller's engine and the store opened with different models: open both with the same
 * --model). Every call of border.h that takes templates checks them so. */
int bex_store_template_check(bex_store *st, const char *model, int dim, char *err, size_t errlen);

/* Who acts from now on, for the audit log: "cli:alice", "key:12 officer" (at most 63
 * bytes; longer is cut). A service sets it before each request's calls. */
void bex_store_set_actor(bex_store *st, const char *actor);

/* One subject's whole record as a JSON object: documents, admissions (with their entry and
 * exit encounters), encounters, samples (no templates or images, whether an image is kept),
 * flags. *json: free(). BEX_ERR_ARG for an unknown subject. An audited read. */
int bex_store_subject_json(bex_store *st, int64_t subject, char **json, char *err, size_t errlen);

/* One encounter as a JSON object: the crossing, the admission it opened or closed, its flags.
 * *json: free(). BEX_ERR_ARG for an unknown encounter. An audited read. */
int bex_store_encounter_json(bex_store *st, int64_t encounter, char **json, char *err,
                             size_t errlen);

/* One crossing as another agency receives it (bex nist export): the encounter, the document it
 * was recorded with, and the face photo retention kept of it. Strings are "" when absent. */
typedef struct bex_encounter_record {
    int64_t encounter, subject, document; /* subject, document 0: none (an unmatched exit) */
    char direction[8];                    /* "entry" or "exit" */
    char port[16], port_kind[20], carrier[16], voyage[24];
    char at[24];                          /* the crossing's time, ISO 8601 UTC */
    char outcome[32], decision[12];       /* decision: entries only ("admitted", ...) */
    int citizen;
    char doc_type[4], doc_format[8], issuing_state[4], number[24], nationality[4];
    char surname[40], given_names[40], birth_date[11], sex[2], expiry_date[11];
    char image_source[12];                /* the photo's sample: "entry" or "exit" ("" none) */
    char captured_at[24];
    int has_sample;                       /* a face sample of the crossing is on record */
    uint8_t *image;                       /* its photo as captured (the file's bytes), NULL when
                                             retention did not keep it; bex_encounter_record_free */
    size_t image_len;
    int finger_samples;                   /* enrolled finger samples of the crossing on record */
    int n_fingers;                        /* of which their images kept (retention "images"), in
                                             finger_images, one per position, by position */
    struct {
        int position;                     /* ANSI/NIST-ITL 1-10 */
        uint8_t *image;                   /* the finger's image as captured (the file's bytes) */
        size_t image_len;
    } finger_images[10];
} bex_encounter_record;

/* Fills *out with one encounter's record, its retained photo and its enrolled fingers' retained
 * images. BEX_ERR_ARG for an unknown encounter. An audited read ("read_encounter", detail
 * "export", whether a photo was read, how many finger images).
 * Release with bex_encounter_record_free (also after a failure: it is zeroed first). */
int bex_store_encounter_record(bex_store *st, int64_t encounter, bex_encounter_record *out,
                               char *err, size_t errlen);
void bex_encounter_record_free(bex_encounter_record *r);

/* The retention period of a category (border.h lists them), in seconds. */
int bex_store_get_retention(bex_store *st, const char *category, long long *seconds, char *err,
                            size_t errlen);

/* Walks the audit log and recomputes its hash chain: *entries read; *first_bad the sequence
 * number of the first entry whose hash or link does not agree (0: none); head: the last hash
 * (hex, 65 bytes), to be kept elsewhere so that a cut tail is seen too: pass a head kept
 * earlier as known_head (or NULL) and *head_found says whether the chain still holds it. */
int bex_store_audit_verify(bex_store *st, const char *known_head, long long *entries,
                           long long *first_bad, int *head_found, char head[65], char *err,
                           size_t errlen);

/* The audit log searched (issue 15), newest first: rows of a key (actor "key:ID ROLE"), an
 * action, a time range (at >= since, < until: canonical times), before a sequence number
 * (keyset paging); limit 0: 100, at most BEX_AUDIT_MAX_ROWS. *next_before: the id to pass as
 * `before` for the next page, 0 when this is the last. *rows: free(). Audited ("audit_search"). */
#define BEX_AUDIT_MAX_ROWS 500
typedef struct bex_audit_query {
    int64_t key_id;           /* 0: any */
    const char *action;       /* NULL: any */
    const char *since, *until;/* NULL: open */
    int64_t before;           /* 0: from the newest */
    size_t limit;
} bex_audit_query;

typedef struct bex_audit_row {
    int64_t id;               /* the row's sequence number */
    char at[24];
    char actor[64];
    int64_t key_id;           /* the actor's key, 0: not a key (the CLI, the service) */
    char action[48];
    char object[128];
    char detail[256];
} bex_audit_row;

int bex_store_audit_search(bex_store *st, const bex_audit_query *q, bex_audit_row **rows, size_t *n,
                           int64_t *next_before, char *err, size_t errlen);

/* The image retention kept of a crossing's live capture (kind NULL or "live"), of its document
 * photo ("document"), or of one sample (encounter 0, sample > 0). *image: malloc'd bytes as
 * captured, free(); NULL when retention did not keep one (or the crossing has no such sample).
 * *sample_id: the sample read (0: none). BEX_ERR_ARG for an unknown encounter or sample. An
 * audited read ("read_photo"). */
int bex_store_photo(bex_store *st, int64_t encounter, const char *kind, int64_t sample, uint8_t **image,
                    size_t *len, int64_t *sample_id, char *err, size_t errlen);

/* The image retention kept of one finger sample (issue 17; GET /v1/subject's finger_samples
 * ids): *image malloc'd bytes as captured (TIFF, WSQ, PNG, ...), free(); NULL when retention did
 * not keep it. BEX_ERR_ARG for an unknown sample. An audited read ("read_finger_image"). */
int bex_store_finger_image(bex_store *st, int64_t sample, uint8_t **image, size_t *len, char *err, size_t errlen);

/* A change of face model: the templates of another model, computed from the images retention
 * kept. fn makes one template of the new model (dim floats, unit length) from one stored
 * image: BEX_OK, a capture outcome (BEX_ERR_NO_FACE, BEX_ERR_SEVERAL_FACES, ...) when the
 * image gives no usable face, or another status to stop (nothing is then written). */
typedef int (*bex_store_template_fn)(void *ctx, const void *image, size_t len, float *tmpl,
                                     char *err, size_t errlen);

typedef struct bex_reenrol_report {
    long long samples;     /* face samples of the store's model with a subject */
    long long reenrolled;  /* templates of the new model written now */
    long long already;     /* samples that had one from an earlier run (the call is idempotent) */
    long long no_image;    /* samples whose image retention did not keep */
    long long unusable;    /* images that gave no usable face */
    int64_t *need_capture; /* subjects left without any template of the new model: they need a
                              new capture; ascending; free() */
    size_t n_need_capture;
} bex_reenrol_report;

/* For every face sample of the store's model (bex_store_model) that has a subject, adds a
 * sample of `model` (its identity, model.h; 1 to 127 bytes, not the store's own) beside it:
 * same subject, encounter, source, time and citizen flag, the new template, no image (the
 * image stays on the original). Old samples are kept: the store goes on matching with its
 * model until it is opened with the new one. One transaction, audited ("reenrol", the model,
 * the counts; no subject ids). *rep is written on BEX_OK. */
int bex_store_reenrol(bex_store *st, const char *model, int dim, bex_store_template_fn fn,
                      void *ctx, bex_reenrol_report *rep, char *err, size_t errlen);

/* Writes one audit entry in its own transaction (a read outside the calls above, e.g. a
 * report the caller makes from their results). object names row ids only. */
int bex_store_audit(bex_store *st, const char *action, const char *object, const char *detail,
                    char *err, size_t errlen);

/* ---- finger samples (issue 17; migration 015) --------------------------------------------
 * What an entry recorded per finger position: the template when it enrolled, or the finger as
 * "missing" (declared by the officer) or "unusable" (failed to enrol). Retention, purge and
 * erasure treat them as face samples (border.h); carriers never see them. */
typedef struct bex_finger_sample {
    int64_t id, subject, encounter;   /* 0: none */
    int position;                     /* ANSI/NIST-ITL 1-10 */
    char source[8];                   /* "entry", "exit", "officer" */
    char status[12];                  /* "enrolled", "missing", "unusable" */
    int quality;                      /* 0-100; -1 none */
    uint32_t problems;                /* finger.h BEX_FINGER_* bits */
    int citizen;
    char captured_at[24];
    int has_image;
} bex_finger_sample;

#define BEX_FINGER_SAMPLES_MAX 1000   /* one subject's, listed at once */
/* A subject's finger samples, oldest first (no templates, no images); *out: free(). */
int bex_store_finger_samples(bex_store *st, int64_t subject, bex_finger_sample **out, size_t *n,
                             char *err, size_t errlen);
/* One enrolled sample's template; *found 0 when there is none (no such sample, or not enrolled). */
int bex_store_finger_template(bex_store *st, int64_t sample, bex_finger_template *out, int *found,
                              char *err, size_t errlen);

/* A template as the store keeps it: "BXF1", the image size, position, quality, problems, area
 * and the minutiae (7 bytes each), little-endian; at most BEX_FINGER_BLOB_MAX bytes. The read
 * checks every field (BEX_ERR_CORRUPT with the reason). */
#define BEX_FINGER_BLOB_MAX (20 + 7 * BEX_FINGER_MAX_MINUTIAE)
size_t bex_finger_blob_write(const bex_finger_template *t, uint8_t out[BEX_FINGER_BLOB_MAX]);
int bex_finger_blob_read(const uint8_t *buf, size_t len, bex_finger_template *out, char *err,
                         size_t errlen);

/* ---- a whole store copied into a new one (bex db copy) ---- */

/* "sqlite" or "postgresql": where the store keeps its records. */
const char *bex_store_backend(bex_store *st);

#define BEX_STORE_COPY_MAX_TABLES 32
typedef struct bex_store_copy_report {
    char from[12], to[12];          /* bex_store_backend of each */
    int schema;                     /* the schema version both are at */
    size_t n_tables;
    struct {
        char name[24];
        long long rows;
    } tables[BEX_STORE_COPY_MAX_TABLES]; /* in the order copied (foreign-key order) */
    long long rows;                 /* all tables' */
    long long audit_entries;        /* the source's chain as copied (its head is the copy's) */
    long long audit_first_bad;      /* 0: the chain verified */
    char audit_head[65];
    double seconds;
} bex_store_copy_report;

/* Copies every record of src into dst, a new store (SQLite or PostgreSQL, either way: both
 * opened with bex_store_open, so both at this bex's newest schema; a different version is
 * BEX_ERR_UNSUPPORTED). dst must hold nothing but what a new store has (else BEX_ERR_ARG and
 * nothing is written); its seeds (settings, retention, its own migrations' audit entries) are
 * replaced by src's. Every table, in foreign-key order, row by row with its ids, so the audit
 * chain and every link stay valid; from one snapshot of src (a service may go on writing
 * there: what it writes after is not in the copy), in one transaction on dst, checked before
 * it commits: the rows of each table counted on both, the audit chain verified on both to the
 * same head. On PostgreSQL the ids' sequences are set past the largest copied, and its
 * change_log is not copied (one 'index' and one 'calibration' row make every service node on
 * dst read its index and calibrations afresh) and, once committed, its statistics gathered
 * (ANALYZE) for the planner. Audited on both: src first ("db_copy", "out to
 * ..."; the entry travels with the copy), then dst ("db_copy", "in from ...", the rows and
 * the source's head), by each handle's actor. *rep is filled as far as it got. */
int bex_store_copy(bex_store *src, bex_store *dst, bex_store_copy_report *rep, char *err,
                   size_t errlen);

/* ---- API keys (bex serve) ---- */

/* A key's role says what it may do (rules.h: bex_role_may). */
typedef struct bex_api_key {
    int64_t id;
    bex_role role;
    char carrier[8];     /* carrier keys only */
    char label[64];
    char created_at[24];
    char revoked_at[24]; /* "" while valid */
} bex_api_key;

/* Makes a key: 32 random bytes as 64 hex characters in key_out (65 bytes, shown once; the
 * store keeps its SHA-256 only). carrier is required for the carrier role and refused for
 * the others. Audited. */
int bex_store_key_add(bex_store *st, bex_role role, const char *carrier, const char *label,
                      char key_out[65], int64_t *id, char *err, size_t errlen);
int bex_store_key_revoke(bex_store *st, int64_t id, char *err, size_t errlen);
/* Every key, valid or revoked (no secrets). *keys: free(). */
int bex_store_key_list(bex_store *st, bex_api_key **keys, size_t *n, char *err, size_t errlen);
/* The valid key matching `key` into *out: BEX_OK, or BEX_ERR_ARG for an unknown or revoked
 * key (the caller audits the denial with bex_store_audit). Reads no personal data: not
 * audited itself. */
int bex_store_key_check(bex_store *st, const char *key, bex_api_key *out, char *err, size_t errlen);

/* ---- the console's sessions (server/console.c), kept in the store so that every service node
 * on one database knows them. A session is known by a hash of its token (hash_len bytes, at
 * most 64), never the token. It is live while now - created_s < max_s and now - last_s <
 * idle_s (seconds of the wall clock). ---- */
typedef struct bex_session_limits {
    long long max_s, idle_s; /* --session-max, --session-idle */
    int per_key;             /* a key's live sessions at most: a new one ends its oldest */
    int total;               /* live sessions at most: more is refused (*full) */
} bex_session_limits;
/* Starts a session for key_id at `now`, clearing the expired ones first. *full = 1 (and
 * nothing started) when `total` live sessions are open already. */
int bex_store_session_start(bex_store *st, const unsigned char *hash, size_t hash_len, int64_t key_id, long long now,
                            const bex_session_limits *lim, int *full, char *err, size_t errlen);
/* The live session of that hash: *key_id and *created_s set, its idle clock restarted at `now`;
 * *found 0 when there is none. */
int bex_store_session_touch(bex_store *st, const unsigned char *hash, size_t hash_len, long long now,
                            const bex_session_limits *lim, int *found, int64_t *key_id, long long *created_s,
                            char *err, size_t errlen);
/* Ends the session of that hash (sign-out), or (hash NULL) every session of key_id. */
int bex_store_session_end(bex_store *st, const unsigned char *hash, size_t hash_len, int64_t key_id, char *err,
                          size_t errlen);

/* ---- calibration on the deployment's own data, and the drift check (calibration.h) ----
 *
 * Non-mated comparisons are templates of two different travellers in the store: face samples
 * with a subject, not a citizen's (never enrolled), not of an entry referred or refused (whose
 * face it is is in doubt), leaving out every pair of subjects that a flag links (two
 * identities, a shared document, ...), that were merged (or merged and unmerged), as the
 * officer's findings say they may be one person. Pairs are formed within one model (the
 * samples' model column) only. Mated comparisons are two templates of one subject; they
 * joined the subject because they matched (or an officer said so), so their FNMR is
 * optimistic.
 *
 * Bounded: every pair is compared while a group has at most `cap` of them; beyond, `cap` pairs
 * are drawn uniformly at random (with replacement, seeded) and the group says "sampled".
 * Memory: every template of a model is read (4 bytes a float: 512 bytes each for the built-in
 * model, 512 MB for a million; 2 KiB each for a 512-float model). */
typedef enum bex_calib_scope {
    BEX_CALIB_BY_MODEL = 0,  /* one group per model */
    BEX_CALIB_BY_PORT = 1,   /* and one per port where the probe template was captured */
    BEX_CALIB_BY_CAMERA = 2, /* and one per offline gate that captured the probe (bex sync) */
} bex_calib_scope;

typedef struct bex_score_query {
    bex_calib_scope by;
    const char *model;               /* NULL: every model in the store */
    unsigned long long cap;          /* most comparisons a group (0: 10,000,000) */
    unsigned long long seed;         /* pair sampling and the held-out halves (0: 1) */
    const char *probes_since;        /* non-NULL: probes are live captures (entries, exits) at or
                                        after this time, compared with every other template
                                        (the drift check's window) */
} bex_score_query;

/* One group's scores. A pair is (probe, other): in the model group every template is a probe;
 * in a port's or a camera's, the live captures taken there. */
typedef struct bex_score_group {
    char model[BEX_MODEL_ID_MAX];
    char scope[8];                   /* "model", "port", "camera" */
    char key[32];                    /* the port or gate name; "" for a model's group */
    unsigned long long templates;    /* probes in the group */
    unsigned long long others;       /* templates of the model they are compared with */
    unsigned long long available;    /* non-mated pairs there are (after the exclusions) */
    int sampled;                     /* 1: available > cap, pairs drawn at random */
    unsigned long long seed;
    float *nonmated;                 /* n_nonmated scores */
    signed char *half;               /* per score: 0 both in half A, 1 both in B, -1 across */
    size_t n_nonmated;
    float *mated;
    size_t n_mated;
} bex_score_group;

/* The groups' scores (model groups first, then ports or cameras by name). *groups: free with
 * bex_store_score_groups_free. An audited read (object: the models; detail: the counts). */
int bex_store_calibration_scores(bex_store *st, const bex_score_query *q, bex_score_group **groups,
                                 size_t *n, char *err, size_t errlen);
void bex_store_score_groups_free(bex_score_group *groups, size_t n);

/* Applies a calibration file that `bex eval calibrate --store` wrote and an operator reviewed:
 * each of its groups (model, scope, key, rows) is stored as the calibration in force for that
 * scope, replacing the one before (kept, with when). A file that is not one, or a group with
 * no rows or rows out of order, is BEX_ERR_FORMAT; a model or port group whose table does not
 * reach the store's 1:1 FMR (0.001) is BEX_ERR_UNSUPPORTED; nothing is applied unless all is.
 * *applied: groups stored. Audited. From then on it governs decisions
 * (bex_store_calibration_for) and the drift check watches it. */
int bex_store_calibration_apply(bex_store *st, const char *json, int *applied, char *err,
                                size_t errlen);

/* The calibration that governs a decision at `port` (NULL: not at a port, e.g. a search
 * without a crossing): the one applied for that port, else the one applied for the store's
 * model (bex_store_model), else the shipped table (calibration.h). Camera scope does not
 * govern decisions yet (an offline gate decides with its gallery file). out->rows belong to
 * the store: valid until the next call on st. What entries, exits and 1:N searches use: the
 * store reads the calibrations at open, again after this handle applies or reverts one, and
 * again at the next decision after another connection committed (PRAGMA data_version), so an
 * `--apply` through the CLI governs a running service's next crossing. */
int bex_store_calibration_for(bex_store *st, const char *port, bex_calibration *out, char *err,
                              size_t errlen);

/* Goes back: the calibrations in force for the store's model are marked replaced (kept, with
 * when), all of them (port NULL: the shipped table governs again), or the one of a port (the
 * model's then governs it). BEX_ERR_ARG when none was in force. Audited
 * ("calibration_revert"). *reverted: how many. */
int bex_store_calibration_revert(bex_store *st, const char *port, int *reverted, char *err,
                                 size_t errlen);

/* The calibration in force for a model's scope ("model", "" for the model's): its id and the
 * threshold of the largest target <= fmr. *id = 0 when none is applied or it does not reach
 * down to fmr. */
int bex_store_calibration_threshold(bex_store *st, const char *model, double fmr, int64_t *id,
                                    double *threshold, double *target, char *err, size_t errlen);

/* A drift check: live captures of the store's model at or after `since` compared with other
 * travellers' templates (as above; at most cap comparisons), tested against the threshold for
 * `fmr` of the calibration in force, else the shipped (LFW) one. The result is recorded
 * (drift_checks); an alarm raises a flag of kind score_drift with the evidence (counts,
 * rates, p-value, threshold; no template, no name) when raise_flag. Audited. */
typedef struct bex_drift_check {
    char model[BEX_MODEL_ID_MAX];
    char since[24];
    char at[24];
    int64_t calibration;             /* the calibration in force watched; 0: the shipped table */
    int64_t flag;                    /* the flag raised; 0: none */
    int64_t id;                      /* the drift_checks row */
    int sampled;
    unsigned long long available;
    bex_drift drift;
} bex_drift_check;

int bex_store_drift_check(bex_store *st, const char *since, double fmr, double alpha,
                          unsigned long long cap, unsigned long long seed, int raise_flag,
                          bex_drift_check *out, char *err, size_t errlen);

/* The latest drift check (for metrics): *found 0 when none. Not audited (no personal data). */
int bex_store_drift_latest(bex_store *st, bex_drift_check *out, int *found, char *err,
                           size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
