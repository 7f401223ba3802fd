/*
 * records.h - the store's primitives for the border layer (src/border/ only): transactions,
 * the reads a decision gathers and the writes that record its verdict. Nothing here decides:
 * each call reads or writes what it is told. Calls that change the 1:N index (samples added
 * or removed) take effect in the index when the transaction commits.
 */
#ifndef BEX_STORE_RECORDS_H
#define BEX_STORE_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "bex/finger.h"
#include "bex/rules.h"
#include "bex/store.h"

/* ---- transactions, audit, the store's settings ---- */

/* BEGIN IMMEDIATE. */
int bex__begin(bex_store *st, char *err, size_t errlen);
/* COMMIT when rc is BEX_OK (after the crash-test point `fault`, if any), else ROLLBACK.
 * Returns rc, or COMMIT's failure. */
int bex__end(bex_store *st, int rc, const char *fault, char *err, size_t errlen);
/* An audit entry inside the current transaction, by the store's actor. */
int bex__audit(bex_store *st, const char *action, const char *object, const char *detail,
               char *err, size_t errlen);

/* The store's operating points for a decision at `port` (NULL: not at a port): the
 * calibration that governs it (the port's applied one, else the model's, else the shipped
 * table: bex_store_calibration_for), the 1:1 operating point from it, the 1:N target. Call it
 * inside the decision's transaction: *cal points at rows the store keeps until its next
 * reload, which happens only here and in bex_store_calibration_for. BEX_ERR_UNSUPPORTED when
 * the calibration in force does not reach the store's FMR. */
int bex__operating_points(bex_store *st, const char *port, bex_calibration *cal,
                          bex_operating_point *verify, double *fpir, char *err, size_t errlen);

int bex__settings_read(bex_store *st, bex_border_settings *out, char *err, size_t errlen);
int bex__setting_write(bex_store *st, const char *name, const char *value, char *err,
                       size_t errlen);
int bex__retention_read(bex_store *st, bex_retention *out, char *err, size_t errlen);
int bex__retention_write(bex_store *st, const char *category, long long seconds, char *err,
                         size_t errlen);

/* ---- gathering ---- */

/* Documents on record with this number and issuing state (one per subject holding it), in
 * the order recorded, at most max. */
int bex__holders(bex_store *st, const char *issuing_state, const char *number,
                 bex_known_document *out, int max, int *n, char *err, size_t errlen);

/* A subject's facts: citizen, face on record, its latest documents, its admissions still open
 * that were entered before `before` (canonical time; NULL: any), and the best similarity of
 * probe to its samples (NAN when probe is NULL or it has none). BEX_ERR_ARG: no such subject. */
int bex__subject_facts(bex_store *st, int64_t subject, const char *before, const float *probe,
                       bex_known_subject *out, char *err, size_t errlen);

/* 1:N over the index: every subject (subjects NULL), or those n. The best 5 subjects into hits
 * (best first), *gallery_size the subjects searched. */
int bex__search(bex_store *st, const float *probe, const int64_t *subjects, size_t n,
                bex_index_hit hits[5], size_t *n_hits, long long *gallery_size, char *err,
                size_t errlen);
/* As bex__search over every subject, with the scan done ahead for this probe (bex_store_prescan;
 * NULL: none, or one made before the index was replaced: scanned again). */
int bex__search_all(bex_store *st, const bex_store_scan *pre, const float *probe, bex_index_hit hits[5],
                    size_t *n_hits, long long *gallery_size, char *err, size_t errlen);

/* The subjects of a gallery (manifest: of `departure`; port: departures from `port` on `day`,
 * "YYYY-MM-DD"; in_country: an open admission), sorted; *out: free(). */
int bex__gallery_subjects(bex_store *st, bex_gallery g, const char *departure, const char *port,
                          const char *day, int64_t **out, size_t *n, char *err, size_t errlen);
/* Subjects in the index (the "all" gallery's size). */
int bex__indexed_subjects(bex_store *st, long long *n, char *err, size_t errlen);

int bex__departure(bex_store *st, const char *id, bex_departure_info *out, char *err,
                   size_t errlen);
/* The kind of a port's last crossing on record (BEX_PORT_NONE: new port). */
int bex__port_kind(bex_store *st, const char *port, bex_port_kind *out, char *err, size_t errlen);
/* The latest admission of subject still open and entered at or before `at` (0: none). */
int bex__open_admission(bex_store *st, int64_t subject, const char *at, int64_t *admission,
                        char *err, size_t errlen);
/* An exit recorded at this port and time with this template (a gate log line synced before):
 * *found, and its encounter, subject and outcome into res. */
int bex__exit_recorded(bex_store *st, const char *port, const char *at, const float *tmpl,
                       int *found, bex_exit_result *res, char *err, size_t errlen);

/* An encounter as a decision on it needs it. */
typedef struct bex__encounter_info {
    int64_t id, subject;      /* subject 0: none */
    int exit;                 /* 1: an exit, 0: an entry */
    char at[24];
    bex_outcome outcome;
    bex_decision decision;
    char class_[8], admit_until[11];
    int citizen;
    int64_t admission;        /* the admission it opened (entry) or closed (exit), 0 none */
} bex__encounter_info;
int bex__encounter(bex_store *st, int64_t id, bex__encounter_info *out, char *err, size_t errlen);

/* What an encounter's candidates are compared with (border.h: bex_border_candidates): its port,
 * its subject and its document's holder (0: none), the subjects its flags name (at most max,
 * lowest flag first), and its live capture's template of the store's model (an entry or exit
 * sample; *live_sample 0 and tmpl untouched when gone). tmpl holds bex_store_dim floats.
 * *exists 0: no such encounter. */
typedef struct bex__candidate_facts {
    int exists;
    char port[8];
    int64_t subject, holder;
    int64_t flagged[16];
    int n_flagged;
    int64_t live_sample;
} bex__candidate_facts;
int bex__candidate_facts_read(bex_store *st, int64_t encounter, bex__candidate_facts *out, float *tmpl,
                              char *err, size_t errlen);
/* The best similarity of probe to a subject's face samples of the store's model other than
 * sample `own` (the probe's own); when it has no other, its score against `own` if that is
 * the subject's (*own_only 1); NAN: none. */
int bex__subject_best_score(bex_store *st, int64_t subject, const float *probe, int64_t own, float *score,
                            int *own_only, char *err, size_t errlen);

/* Whether a subject exists, and is a citizen. */
int bex__subject_kind(bex_store *st, int64_t subject, int *exists, int *citizen, char *err,
                      size_t errlen);

/* Documents recorded with this number (any state when state is NULL), or with this birth
 * date; at most max. */
int bex__documents_by_number(bex_store *st, const char *number, const char *state,
                             bex_known_document *out, int max, int *n, char *err, size_t errlen);
int bex__documents_by_birth(bex_store *st, const char *birth, bex_known_document *out, int max,
                            int *n, char *err, size_t errlen);

/* The flags matching q, newest first (border.h). */
int bex__flags(bex_store *st, const bex_flag_query *q, bex_flag **out, size_t *n, size_t *total,
               char *err, size_t errlen);

/* Every admission of a non-citizen subject entered by `day`, a subject's together in order of
 * entry: rows (the verdict left zero) and their stays (entry, exit, admit-until, no exit
 * recorded; long_stay left 0). *rows, *stays: free(). */
int bex__overstay_rows(bex_store *st, const char *day, bex_overstay_row **rows, bex_stay **stays,
                       size_t *n, char *err, size_t errlen);

/* ---- recording ---- */

int bex__insert_subject(bex_store *st, const char *at, int citizen, int64_t *id, char *err,
                        size_t errlen);
int bex__insert_document(bex_store *st, int64_t subject, const bex_mrz *d, const char *at,
                         int64_t *id, char *err, size_t errlen);

typedef struct bex__encounter_row {
    int64_t subject, document;  /* 0: none */
    int exit;
    const char *port;
    bex_port_kind port_kind;
    const char *carrier, *voyage, *departure;
    const char *at;
    bex_outcome outcome;
    const bex_match *match;     /* NULL or gallery none: no comparison */
    bex_decision decision;      /* entries */
    const char *class_, *admit_until;
    int citizen;
    const char *chip_check;     /* entries: bex_chip_check_name; NULL: none (exits) */
    const char *chip_detail;    /* entries: bex_json_chip_check's text; NULL: none */
    const void *document_image; /* entries: the document photo presented, kept while retention
                                   "images" is above 0 (when it is no sample's); NULL: none */
    size_t document_image_len;
} bex__encounter_row;
int bex__insert_encounter(bex_store *st, const bex__encounter_row *r, int64_t *id, char *err,
                          size_t errlen);
int bex__set_decision(bex_store *st, int64_t encounter, bex_decision d, char *err, size_t errlen);

int bex__insert_admission(bex_store *st, int64_t subject, int64_t entry, const char *class_,
                          const char *admit_until, int64_t *id, char *err, size_t errlen);
int bex__close_admission(bex_store *st, int64_t admission, int64_t exit, char *err,
                         size_t errlen);
/* Closes an admission because a later entry (encounter `entry`) shows the traveller left. */
int bex__supersede_admission(bex_store *st, int64_t admission, int64_t entry, char *err,
                             size_t errlen);

/* A flag with its links; copied into *out when not NULL. subjects and documents as given
 * (no BEX_NEW left). */
int bex__insert_flag(bex_store *st, const bex_flag_plan *p, int64_t encounter,
                     const char *departure, const char *at, bex_flag *out, char *err,
                     size_t errlen);
int bex__set_flag_status(bex_store *st, int64_t flag, bex_flag_status s, int *found, char *err,
                         size_t errlen);

/* A face sample; in the index after the commit when it has a subject, is no citizen's and
 * searchable. The image is kept only while retention "images" is above 0. */
int bex__insert_sample(bex_store *st, int64_t subject, int64_t encounter, const char *source,
                       const float *tmpl, float quality, const char *at, const void *image,
                       size_t image_len, int citizen, int searchable, int64_t *id, char *err,
                       size_t errlen);
/* Whether a document already has a sample of this source recorded outside any crossing. */
int bex__document_has_sample(bex_store *st, int64_t document, const char *source, int *has,
                             char *err, size_t errlen);

/* An exit's encounter, samples, flags and admissions moved to `subject` as an officer said. */
int bex__override_exit(bex_store *st, int64_t encounter, int64_t subject, int searchable,
                       char *err, size_t errlen);

int bex__reclassify_citizen(bex_store *st, int64_t subject, char *err, size_t errlen);
int bex__erase_samples(bex_store *st, int64_t subject, long long *n, char *err, size_t errlen);
int bex__merge(bex_store *st, int64_t keep, int64_t other, const char *at, int64_t *merge,
               char *err, size_t errlen);
/* BEX_ERR_ARG: no such merge, or undone already. */
int bex__unmerge(bex_store *st, int64_t merge, const char *at, int64_t *kept, int64_t *merged,
                 char *err, size_t errlen);

/* ---- retention ---- */

/* Samples that may be due: citizens' and unmatched captures taken at or before `capture_cut`,
 * samples with an image taken at or before `image_cut`; *out: free(). */
typedef struct bex__sample_due {
    int64_t id;
    bex_sample_facts facts;
} bex__sample_due;
int bex__purge_candidates(bex_store *st, const char *capture_cut, const char *image_cut,
                          bex__sample_due **out, size_t *n, char *err, size_t errlen);
int bex__delete_sample(bex_store *st, int64_t sample, char *err, size_t errlen);
/* Encounters whose document photo (encounters.document_image) was taken at or before `cut`,
 * with the facts bex_sample_retention judges (the id is the encounter's); *out: free(). */
int bex__encounter_images_due(bex_store *st, const char *cut, bex__sample_due **out, size_t *n, char *err,
                              size_t errlen);
int bex__drop_encounter_image(bex_store *st, int64_t encounter, char *err, size_t errlen);
int bex__drop_image(bex_store *st, int64_t sample, char *err, size_t errlen);

/* The same for finger samples (migration 015): the same facts, the same rule. */
int bex__finger_purge_candidates(bex_store *st, const char *capture_cut, const char *image_cut,
                                 bex__sample_due **out, size_t *n, char *err, size_t errlen);
int bex__delete_finger_sample(bex_store *st, int64_t sample, char *err, size_t errlen);
int bex__drop_finger_image(bex_store *st, int64_t sample, char *err, size_t errlen);

/* ---- finger samples (fingers.c) ---- */

/* One finger sample as recorded: status "enrolled" with t, or "missing" / "unusable" with t
 * NULL (quality and problems from the failed capture, 0 for a missing finger). The image is
 * kept only while retention "images" is above 0, as a face sample's. */
typedef struct bex__finger_row {
    int64_t subject, encounter;   /* 0: none */
    const char *source;           /* "entry", "exit", "officer" */
    int position;                 /* 1-10 */
    bex_finger_state state;       /* USABLE (enrolled), UNUSABLE, MISSING */
    const bex_finger_template *t; /* USABLE: the template */
    int quality;
    uint32_t problems;
    int citizen;
    const char *at;
    const void *image;
    size_t image_len;
} bex__finger_row;
int bex__insert_finger(bex_store *st, const bex__finger_row *r, int64_t *id, char *err, size_t errlen);

/* Enrolled finger templates: of one subject (subject > 0), or of every non-citizen subject
 * (subject 0); of one position (1-10) or any (0). *out (free()) gets n of them with their
 * sample ids and subjects; at most max (BEX_ERR_LIMIT beyond). */
typedef struct bex__finger_enrolled {
    int64_t id, subject;
    int position;
    bex_finger_template t;
} bex__finger_enrolled;
int bex__finger_templates(bex_store *st, int64_t subject, int position, size_t max, bex__finger_enrolled **out,
                          size_t *n, char *err, size_t errlen);
/* 1:N of probe over the enrolled fingers of `position` (1-10): the store's in-memory gallery of
 * that position (made on first use, grown by the samples enrolled since, whichever node wrote
 * them: ids are never reused), searched for the best; each hit is checked against the store
 * as it is now (a sample deleted since leaves the gallery; a citizen's or an unlinked one is
 * no candidate). At most k (<= 64) hits into hits, their subjects into subjects, *n of them. */
int bex__finger_search(bex_store *st, int position, const bex_finger_prepared *probe, int k, bex_finger_hit *hits,
                       int64_t *subjects, int *n, char *err, size_t errlen);
/* Distinct non-citizen subjects with an enrolled finger (the finger gallery's size). */
int bex__finger_subjects(bex_store *st, long long *n, char *err, size_t errlen);
/* An encounter's prints (rules.h: bex_prints; 0: leave NULL) and fused FMR (NAN: leave NULL). */
int bex__encounter_fingers(bex_store *st, int64_t encounter, bex_prints prints, double finger_fmr, char *err,
                           size_t errlen);

/* Subjects last seen at or before `cut` (canonical time), with their stays; *out: free() each
 * out[i].stays then out. */
typedef struct bex__subject_due {
    int64_t id;
    int citizen;
    char last_seen[24];
    bex_stay *stays;
    size_t n_stays;
} bex__subject_due;
int bex__subject_candidates(bex_store *st, const char *cut, bex__subject_due **out, size_t *n,
                            char *err, size_t errlen);
void bex__subject_candidates_free(bex__subject_due *d, size_t n);
int bex__delete_subject(bex_store *st, int64_t subject, char *err, size_t errlen);
/* Unmatched exits (no subject) at or before cut: deleted; *n how many. */
/* PostgreSQL: drops change-log rows older than the newest million (about a day's changes at a
 * million crossings a day); a node further behind builds its index again. Nothing on SQLite. */
int bex__prune_change_log(bex_store *st, char *err, size_t errlen);
int bex__delete_unmatched_exits(bex_store *st, const char *cut, long long *n, char *err,
                                size_t errlen);

/* ---- manifests ---- */

/* Replaces or records the departure; *replaced when it was on record. */
int bex__departure_write(bex_store *st, const bex_manifest *m, const char *loaded_at,
                         int *replaced, char *err, size_t errlen);
/* The latest document on record with this number and state (*found 0: none), and whether its
 * subject has a face sample. */
int bex__manifest_document(bex_store *st, const char *state, const char *number, int *found,
                           bex_known_document *doc, int *has_face, char *err, size_t errlen);
/* A traveller of the manifest, at 1-based position; verified: its names and birth date agree
 * with the document on record (its holder's templates join the departure's gallery). */
int bex__manifest_entry_write(bex_store *st, const char *departure, const bex_manifest_entry *x,
                              int64_t document, size_t position, int verified, char *err,
                              size_t errlen);
/* The face samples of the departure's verified travellers' non-citizen subjects into ix, each
 * under the traveller's manifest position as its subject id (a subject listed twice: the
 * first) and a count from 1 as its template id: no store id leaves. */
int bex__gallery_fill(bex_store *st, const char *departure, bex_index *ix, char *err,
                      size_t errlen);
/* The first manifest position of a verified traveller of the departure whose document the
 * subject holds (0: none). */
int bex__manifest_position(bex_store *st, const char *departure, int64_t subject, int64_t *position,
                           char *err, size_t errlen);
/* A departure moved to another carrier, its traveller list dropped (*dropped: how many). */
int bex__departure_reassign(bex_store *st, const char *departure, const char *carrier,
                            size_t *dropped, char *err, size_t errlen);

/* ---- gate devices and the service's signing key (gates.c) ---- */

int bex__gate_insert(bex_store *st, const bex_gate_device *d, int64_t *id, char *err, size_t errlen);
/* The device of that name (*found 0: none). */
int bex__gate_get(bex_store *st, const char *name, bex_gate_device *out, int *found, char *err,
                  size_t errlen);
int bex__gate_list(bex_store *st, bex_gate_device **out, size_t *n, char *err, size_t errlen);
/* Marks it revoked at `at` when it is not; *changed 0: no such device in service. */
int bex__gate_revoke(bex_store *st, const char *name, const char *at, int *changed, char *err,
                     size_t errlen);
/* The hash of the line synced with this sequence number (*found 0: none). */
int bex__gate_line_seen(bex_store *st, int64_t device, int64_t seq, unsigned char hash[32],
                        int *found, char *err, size_t errlen);
/* Remembers a synced line and raises the device's last sequence number to seq. */
int bex__gate_line_accept(bex_store *st, int64_t device, int64_t seq, const unsigned char hash[32],
                          int64_t encounter, const char *at, char *err, size_t errlen);
/* The service's key pairs (Ed25519 signing, X25519 encryption): the ones kept, else the new
 * ones given are kept and returned (fresh NULL: read only; BEX_ERR_CORRUPT when none). */
typedef struct bex__service_keys {
    unsigned char sign_public[32], sign_secret[64], box_public[32], box_secret[32];
} bex__service_keys;
int bex__service_key(bex_store *st, const bex__service_keys *fresh, const char *at,
                     bex__service_keys *out, char *err, size_t errlen);

/* The crossings at or after `from` and before `to` (canonical times) as counted facts
 * (border.h: bex_crossing_fact); BEX_ERR_LIMIT beyond BEX_CROSSING_FACTS_MAX. *out: bex__free. */
int bex__crossing_facts(bex_store *st, const char *from, const char *to, bex_crossing_fact **out, size_t *n,
                        char *err, size_t errlen);

#endif
