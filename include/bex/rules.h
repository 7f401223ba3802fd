/*
 * rules.h - the border rules as pure functions: no database, no files, no clock. Each takes
 * plain structs of facts (what the store gathered: documents on record, 1:N candidates, open
 * admissions, settings) and returns a verdict (what to record). border.h's calls gather the
 * facts, call these, and record the verdict; tests/unit/test_rules.c holds them to tables of
 * cases.
 *
 *   bex_entry_facts f;                       // filled by the store, or by hand in a test
 *   bex_entry_verdict v;
 *   if (bex_entry_decide(&f, &v, err, sizeof err) == BEX_OK && v.decision == BEX_DECISION_REFERRED)
 *       ...;                                 // v.flags says why
 *
 * Subjects and documents that do not exist yet are BEX_NEW (-1) in a verdict: the recording
 * step makes them. Outputs are written only on success.
 */
#ifndef BEX_RULES_H
#define BEX_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "bex/border.h"
#include "bex/calibration.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BEX_NEW ((int64_t)-1)

/* ---- 1:1 and 1:N decisions ------------------------------------------------------------------ */

/* A 1:1 decision: score against the operating point's threshold; m names the operating point
 * and the calibration it came from (op->calibration). */
void bex_verify_decide(const bex_operating_point *op, bex_gallery gallery, int64_t subject,
                       float score, bex_match *m);

/* A 1:N decision, the one rule every program uses: the threshold for FPIR `fpir` at the
 * gallery's size n from the calibration table cal (calibration.h:
 * bex_operating_point_identify_in: the shipped table, or the one applied to the store for
 * the model or the port); beyond the table's evidence no decision is taken (calibrated 0,
 * match 0) and the operating point says so: it is never extrapolated. hits best first (nhits
 * may be 0); n 0 is an empty gallery. m->calibration names cal in every case. */
void bex_identify_decide(const bex_calibration *cal, double fpir, bex_gallery gallery, long long n,
                         const bex_index_hit *hits, size_t nhits, bex_match *m);

/* Which of the calibrations applied to the store for its model governs a decision at `port`
 * (NULL or "": no port): the port's own, else the model-wide one, else none (-1: the shipped
 * table). Camera scope is not chosen here (an offline gate decides at the threshold its sealed
 * gallery file carries). Where two are in force for one scope, the first listed wins: list the
 * newest first. */
int bex_calibration_in_force(const bex_calibration *const *applied, size_t n, const char *port);

/* ---- one flag's candidates (border.h: bex_border_candidates) -------------------------------- */

/* The candidates of an encounter, in this order and each once: the subjects its flags name
 * (flagged, n of them), its own subject, the holder of its document (0: none); ids <= 0 left
 * out; at most max into out. Returns how many. */
int bex_candidate_subjects(const int64_t *flagged, size_t n, int64_t own, int64_t holder, int64_t *out, int max);

/* One candidate's 1:1 decision at op (the store's 1:1 operating point for the encounter's
 * port): bex_verify_decide against gallery "holder" (the candidate's samples); score NAN (no
 * template to compare, the capture's or the candidate's): not compared (gallery none,
 * threshold and operating point still named, match 0). */
void bex_candidate_decide(const bex_operating_point *op, int64_t subject, float score, bex_match *m);

/* ---- citizens ----------------------------------------------------------------------------- */

/* 1 when the document shows its holder to be a citizen: a passport (document code P...)
 * issued by home_state. A visa or a residence card the state issued is held by a foreigner:
 * 0. */
int bex_citizen_document(const bex_mrz *doc, const char *home_state);

/* ---- entry -------------------------------------------------------------------------------- */

#define BEX_ENTRY_MAX_HOLDERS 8
#define BEX_ENTRY_MAX_CANDIDATES 5
#define BEX_SUBJECT_MAX_DOCUMENTS 8
#define BEX_SUBJECT_MAX_OPEN 4

/* A document on record. */
typedef struct bex_known_document {
    int64_t id, subject;
    char issuing_state[4], number[24], nationality[4];
    char surname[40], given_names[40], birth_date[11];
    int has_photo;            /* a document-photo sample was recorded with it */
} bex_known_document;

/* A subject on record, as much as a decision needs. */
typedef struct bex_known_subject {
    int64_t id;
    int citizen;
    int has_face;             /* a face sample of the store's model */
    float score;              /* best similarity of the live capture to its samples, NAN: none */
    bex_known_document documents[BEX_SUBJECT_MAX_DOCUMENTS]; /* its latest documents */
    int n_documents;
    int64_t open_admissions[BEX_SUBJECT_MAX_OPEN]; /* no exit, entered before this crossing */
    int n_open;
} bex_known_subject;

typedef struct bex_entry_facts {
    const bex_entry_request *rq;
    char at[24];                      /* the crossing's time, canonical */
    bex_border_settings settings;
    bex_operating_point verify_op;    /* 1:1 (FMR), from `calibration` */
    bex_calibration calibration;      /* the table in force for the port (1:N thresholds) */
    double fpir;                      /* 1:N target */
    int citizen;                      /* from bex_entry_check */
    float doc_score;                  /* live vs document photo; NAN when either is missing */
    bex_known_document holders[BEX_ENTRY_MAX_HOLDERS]; /* on record with this number and state */
    int n_holders;
    bex_index_hit hits[BEX_ENTRY_MAX_CANDIDATES]; /* 1:N over every enrolled non-citizen */
    size_t n_hits;
    long long gallery_size;           /* subjects searched (0 for a citizen: not searched) */
    bex_known_subject subjects[BEX_ENTRY_MAX_HOLDERS + BEX_ENTRY_MAX_CANDIDATES];
    int n_subjects;                   /* every subject the holders and hits name */
    bex_chip_check chip;              /* the chip's check (presented 0: no chip, or none asked) */
    bex_finger_decision holder_fingers; /* the fingers given, 1:1 with the document's holder's
                                         enrolled ones, fused with the face (compared 0: none
                                         given, no single holder, or a citizen) */
} bex_entry_facts;

/* A flag to record; subject or document BEX_NEW: the one this crossing makes. */
typedef struct bex_flag_plan {
    bex_flag_kind kind;
    int64_t subjects[BEX_FLAG_MAX_IDS];
    int n_subjects;
    int64_t documents[BEX_FLAG_MAX_IDS];
    int n_documents;
    char detail[192];
} bex_flag_plan;

typedef struct bex_entry_verdict {
    bex_outcome outcome;
    bex_decision decision;
    int citizen;
    int64_t subject;                  /* BEX_NEW: a new subject */
    int64_t document;                 /* BEX_NEW: a new document on that subject */
    bex_match verify, identify;
    bex_flag_plan flags[BEX_MAX_FLAGS];
    int n_flags;
    int64_t close[BEX_SUBJECT_MAX_OPEN]; /* open admissions to close: left, no exit recorded */
    int n_close;
    int admit;                        /* record an admission with the request's terms */
    int enrol_live;                   /* keep the live template as a sample */
    int live_searchable;              /* ... in the 1:N galleries (never a citizen's) */
    int enrol_document_photo;         /* keep the document photo as the document's sample */
} bex_entry_verdict;

/* Checks a request before anything is read: port and kind, date formats, class and
 * admit-until for a visitor. *citizen: declared, or a home-state passport; a home-state
 * passport with a class of admission is refused (its holder is a citizen, who has none). */
int bex_entry_check(const bex_entry_request *rq, const bex_border_settings *s, int *citizen,
                    char *err, size_t errlen);

/* Several faces in one capture and one document: whose face is the holder's? The face most
 * similar to the document photo (doc_scores), else the one most similar to the samples on
 * record of the document's holder (holder_scores); NAN: not compared. The decision that follows
 * applies the thresholds to the face picked (an impostor is still one). BEX_ERR_ARG, with a
 * message, when nothing tells the faces apart. */
int bex_entry_pick_face(const float *doc_scores, const float *holder_scores, int n, int *pick, char *err,
                        size_t errlen);

/* ---- the document's chip ---------------------------------------------------------------- */

#define BEX_CHIP_MAX_FLAGS 3

typedef struct bex_chip_verdict {
    const char *check;                /* bex_chip_check_name: what the encounter records */
    int trusted;                      /* 1: the chip is the issuer's, untouched: its photo may
                                         stand as the document's photo on record */
    int refer;                        /* 1: a failure: the traveller goes to an officer */
    bex_flag_plan flags[BEX_CHIP_MAX_FLAGS]; /* subject and document BEX_NEW: the entry's */
    int n_flags;
} bex_chip_verdict;

/* One word for a chip's check: "no_chip" (not presented), "authentic" (passive authentication
 * passed, DG1 agrees with the printed MRZ when compared, and neither Active nor Chip
 * Authentication was reported failed), else the first failure: passive authentication's
 * outcome (bex_pa_outcome_name), "mrz_mismatch", "authentication_failed". */
const char *bex_chip_check_name(const bex_chip_check *c);

/* The chip rule: each failure of the check is a flag of its own (passive authentication's
 * outcome; DG1 against the printed MRZ; Active or Chip Authentication reported failed) and
 * refers the traveller: a document examiner looks at a document whose chip is not the
 * issuer's, whatever the face says. An unknown signer is a failure too (the trust store has
 * no CSCA for it: the chip cannot be told from a forgery). Only an authentic chip's photo is
 * kept as the document's photo. A document read without its chip is "no_chip": no flag (a
 * passport issued before chips, a visa), nothing trusted. */
void bex_chip_decide(const bex_chip_check *c, bex_chip_verdict *v);

/* The entry rule:
 *  - 1:1: the live face against the document photo (impostor below the threshold); a document
 *    photo given but unusable is a flag, and the traveller is verified only if their face
 *    matches the document holder's samples on record.
 *  - Who presents: the holder whose samples the face matches at the 1:1 threshold (gallery
 *    "holder"); else a holder with no face on record; else, the holders all having other
 *    faces, the document is shared (the presenter: a known face, or new).
 *  - A new document: a 1:N match with the same names (names.h: spelling variants agree) and
 *    birth date is the same traveller; other names: two identities; same names, another
 *    birth date: biographic mismatch. A holder matched whose face is also under another
 *    identity: the same flags.
 *  - Citizens: 1:1 only (never searched, never linked by face), never enrolled for search,
 *    no admission.
 *  - Decision: referred for an impostor suspicion, a shared document, two identities, a
 *    visitor's unusable live photo, or an unverified face with an unusable document photo;
 *    else admitted (refused only by an officer).
 *  - A new entry closes the traveller's admissions still open (no exit recorded).
 *  - The document's chip, when presented: bex_chip_decide's flags and referral; the chip's
 *    photo is enrolled only from an authentic chip.
 *  - Fingers (f->holder_fingers): where the face does not verify the holder (below the
 *    document photo's or the holder's samples' threshold) and the fingers given match the
 *    holder's enrolled ones at the 1:1 operating point (fused with the face, rules.h:
 *    bex_fusion_decide), the holder is verified by fingerprint: no impostor or shared-document
 *    suspicion, outcome matched (a child whose passport photo is years old, a face the camera
 *    took badly). The face alone never needs them. */
int bex_entry_decide(const bex_entry_facts *f, bex_entry_verdict *v, char *err, size_t errlen);

/* ---- exit --------------------------------------------------------------------------------- */

#define BEX_EXIT_MAX_GALLERIES 4

/* The galleries an exit searches, in order: the departure's manifest (when one is given),
 * the port's departures that day, everyone in the country, everyone. Returns how many. */
int bex_exit_cascade(int has_departure, bex_gallery out[BEX_EXIT_MAX_GALLERIES]);

typedef struct bex_departure_info {
    int known;                /* a manifest of that id is on record */
    char id[48];
    bex_direction direction;
    char carrier[8], voyage[16], port[8];
    bex_port_kind port_kind;
    char scheduled[24];
} bex_departure_info;

typedef struct bex_exit_facts {
    const bex_exit_request *rq;
    char at[24];
    bex_border_settings settings;
    bex_departure_info departure;     /* when rq->departure */
    bex_match searched[BEX_EXIT_MAX_GALLERIES]; /* the galleries searched, in cascade order */
    int n_searched;
    int64_t open_admission;           /* the matched subject's latest admission open before
                                         the exit (0: none); the finger's subject's when the
                                         fingers decided */
    int matched_citizen;              /* the matched subject is a citizen */
    bex_finger_decision finger;       /* the fingers, when the face settled nothing */
} bex_exit_facts;

typedef struct bex_exit_verdict {
    bex_outcome outcome;
    int64_t subject, admission;       /* 0: none */
    bex_match match;                  /* the gallery that decided, or the last searched */
    bex_flag_plan flags[BEX_MAX_FLAGS];
    int n_flags;
    int keep_capture;                 /* keep the live template (with the subject, or for review) */
    int capture_searchable;
} bex_exit_verdict;

/* The exit rule: the first gallery searched that matches decides (the calibrated threshold of
 * its size); the match closes the subject's open admission; a match outside a given
 * departure's manifest is not_on_manifest; no match is not_matched (the capture is kept for
 * review); no usable photo is no_photo, flagged; a departure that is an arrival's manifest is
 * refused (BEX_ERR_ARG), and an exit outside [scheduled - before, scheduled + after] is
 * flagged outside_departure_window.
 * A carrier's exit (rq->carrier) links a traveller only from its departure's manifest gallery:
 * a match found further out is recorded for an officer, not on the carrier's word: outcome
 * not_matched, no subject, no admission closed, the capture kept unlinked, and a
 * not_on_manifest flag naming the candidate with the full result (an officer links it with
 * bex_border_override_exit). */
int bex_exit_decide(const bex_exit_facts *f, bex_exit_verdict *v, char *err, size_t errlen);

/* ---- manifests ---------------------------------------------------------------------------- */

typedef struct bex_manifest_verdict {
    int mismatch;             /* raise manifest_mismatch */
    int name_variant;         /* the names agree only as a spelling variant (not a mismatch) */
    int verified;             /* names and birth date agree with the document on record: its
                                 holder's templates join the departure's gallery */
    char detail[192];         /* for the flag: the field that differs, or the variant's kind */
} bex_manifest_verdict;

/* A manifest traveller (at 1-based `position`) against the document on record with that
 * number and state (doc NULL: none on record): names compared as names.h does (case,
 * diacritics, transliteration, hyphens, spaces and order agree, with the reason said), birth
 * date and nationality exactly when the manifest gives them. Only a verified traveller (a
 * document on record, no mismatch, and a birth date given that equals the document's)
 * contributes templates to the departure's gallery: a carrier that lists a passport number
 * learns nobody's face unless it also knows the holder's names and birth date as recorded. */
void bex_manifest_check(const bex_manifest_entry *x, const bex_known_document *doc,
                        size_t position, bex_manifest_verdict *v);

/* A manifest traveller whose document (state and number) is not on record, against the n
 * documents on record with its birth date: when one of them has the traveller's names (as
 * bex_biographic_agreement judges them, given names on both sides), the manifest names a
 * document number other than that person's on record: a mismatch naming the field (a new
 * passport not yet seen, or a wrong or borrowed number: an officer tells which), never
 * verified. *which: that document's index, else -1 (and no verdict). */
void bex_manifest_check_unlinked(const bex_manifest_entry *x, const bex_known_document *docs, int n,
                                 size_t position, bex_manifest_verdict *v, int *which);

/* Do two sets of names and birth dates describe one person? 2: names agree and birth dates
 * equal; 1: names agree, birth dates differ; 0: names differ. *verdict: names.h's verdict. */
int bex_biographic_agreement(const char *surname_a, const char *given_a, const char *birth_a,
                             const char *surname_b, const char *given_b, const char *birth_b,
                             int *verdict);

/* ---- who may do what ------------------------------------------------------------------------ */

typedef enum bex_action {
    BEX_ACT_NONE = 0,
    BEX_ACT_ENTRY, BEX_ACT_EXIT, BEX_ACT_MANIFEST, BEX_ACT_GALLERY, BEX_ACT_OVERSTAYS,
    BEX_ACT_FLAGS, BEX_ACT_FLAG_STATUS, BEX_ACT_SUBJECT, BEX_ACT_ENCOUNTER, BEX_ACT_LOOKUP,
    BEX_ACT_VERIFY, BEX_ACT_IDENTIFY, BEX_ACT_DECIDE, BEX_ACT_OVERRIDE, BEX_ACT_MERGE,
    BEX_ACT_RECLASSIFY, BEX_ACT_ERASE, BEX_ACT_PURGE, BEX_ACT_KEYS, BEX_ACT_RETENTION,
    BEX_ACT_SETTINGS, BEX_ACT_AUDIT, BEX_ACT_REASSIGN, BEX_ACT_TRUST,
    BEX_ACT_PHOTO, BEX_ACT_REPORTS, BEX_ACT_EVAL, BEX_ACT_GATES,
} bex_action;
#define BEX_ACTION_COUNT 29
const char *bex_action_name(bex_action a);

/* The role matrix: officers work crossings, records and cases; carriers their own departures'
 * exits, manifests and gate galleries; analysts the aggregate reports (BEX_ACT_REPORTS: crossing
 * rates), the evaluation's files (BEX_ACT_EVAL) and the flag list; auditors the audit trail
 * (BEX_ACT_AUDIT: searched and verified; admins too); admins keys, retention, settings, gate
 * devices (BEX_ACT_GATES), which carrier a departure belongs to (BEX_ACT_REASSIGN) and the trust
 * store of CSCAs chips are verified against (BEX_ACT_TRUST), never travellers' records. The
 * photos retention kept (BEX_ACT_PHOTO) are officers' and admins' (an audited read), and so are
 * a flag's candidates scored against the capture (GET /v1/candidates, the same action), besides
 * the reports and evaluation files. */
int bex_role_may(bex_role role, bex_action action);

/* Who may send fingerprints with a crossing or a look-up, and receive what the fingers said:
 * officers only. A carrier never sends or receives prints (its exits answer match / no match),
 * and no analyst, auditor or admin sees them. 1 / 0. */
int bex_role_fingerprints(bex_role role);

/* A carrier acts on a departure only when the departure is its own: 1 / 0. */
int bex_carrier_owns(const char *key_carrier, const char *departure_carrier);

/* Who may load a manifest for a departure. A departure belongs to the carrier that first
 * declared it: a manifest for a departure on record that names another carrier is refused,
 * whoever loads it (only an admin moves a departure: bex_border_reassign_departure). */
typedef enum bex_ownership {
    BEX_OWN_NEW = 0,          /* no departure of that id on record: the manifest declares it */
    BEX_OWN_SAME = 1,         /* on record as that carrier's: the manifest replaces its list */
    BEX_OWN_OTHER = 2,        /* on record as another carrier's: refused */
} bex_ownership;
bex_ownership bex_departure_ownership(const bex_departure_info *on_record, const char *carrier);

/* A carrier's exit (rq->carrier set: reported on a carrier's word, by its boarding gate),
 * checked before anything is searched: the departure must be on record, a departure and the
 * carrier's own; the time is the service's clock (a time given is refused: a carrier cannot
 * back-date an exit) and the port the departure's (another port is refused). BEX_ERR_ARG
 * with a message. */
int bex_carrier_exit_check(const bex_exit_request *rq, const bex_departure_info *d, char *err,
                           size_t errlen);

/* What a carrier learns of an exit: match, no match or no photo, nothing else; "match" only
 * for a traveller found in its own departure's manifest gallery. */
typedef enum bex_carrier_answer {
    BEX_CARRIER_NO_MATCH = 0,
    BEX_CARRIER_MATCH = 1,
    BEX_CARRIER_NO_PHOTO = 2,
} bex_carrier_answer;
bex_carrier_answer bex_carrier_answer_of(bex_outcome outcome, bex_gallery decided);

/* ---- crossing rates ---------------------------------------------------------------------------- */

/* The age band of a traveller born on `birth_date` at a crossing on `day` (both YYYY-MM-DD),
 * in whole years: "0-13", "14-17", "18-64", "65-79", "80+"; "unknown" when either date is
 * missing or malformed, or the birth is after the day. */
const char *bex_age_band(const char *birth_date, const char *day);

/* The rates report's rows (border.h: bex_rate_row) from n facts grouped by `by`: ports and days
 * in order of their text, only those with crossings; age bands and sexes every one, in their
 * order ("0-13" .. "80+", "unknown"; "F", "M", "X", "unknown"), zero rows included. At most
 * max rows: BEX_ERR_LIMIT beyond. */
int bex_rates_aggregate(const bex_crossing_fact *facts, size_t n, bex_rates_by by, bex_rate_row *rows, size_t max,
                        size_t *nrows, char *err, size_t errlen);

/* ---- the evaluation's files (bex serve --eval-dir) ------------------------------------------- */

#define BEX_EVAL_NAME_MAX 128
/* Which file of the evaluation's folder may be served: a plain name of 1 to 127 characters of
 * A-Z a-z 0-9 . _ - (no slash, so no path: "../x" and "%2F" are refused as names), not
 * starting with a dot, ending .svg, .csv or .json. Its Content-Type ("image/svg+xml",
 * "text/csv", "application/json"), NULL when refused. */
const char *bex_eval_file_type(const char *name);

/* ---- retention ------------------------------------------------------------------------------ */

typedef struct bex_retention {
    long long citizen_biometrics, unmatched_captures, images, records, overstayer_records; /* s */
} bex_retention;

#define BEX_CITIZEN_MAX_SECONDS 43200LL      /* 12 hours */
#define BEX_RETENTION_YEAR 31557600LL        /* 365.25 days */
#define BEX_RETENTION_MAX_SECONDS (100 * BEX_RETENTION_YEAR) /* the longest finite period */
/* "forever": kept without end. Only ever said explicitly ("forever", never a large number);
 * the largest value, so that a rule that forgets it keeps rather than deletes. */
#define BEX_RETENTION_FOREVER 9223372036854775807LL

/* A period for a category (border.h lists them): BEX_ERR_ARG for an unknown category, a
 * negative period, one over 100 years that is not BEX_RETENTION_FOREVER, or above 12 hours
 * (forever included) for citizens' and unmatched captures. */
int bex_retention_check(const char *category, long long seconds, char *err, size_t errlen);
/* A period as a person writes it: "forever", or a number with a unit (s, m, h, d, y; none:
 * seconds), e.g. "12h", "3y", "0". BEX_ERR_ARG with a message for anything else, a negative
 * period, or one over 100 years (never wrapped, never rounded down to fit). */
int bex_retention_parse(const char *text, long long *seconds, char *err, size_t errlen);
/* A period's text for an answer: "forever", else its seconds as a decimal number. */
const char *bex_retention_text(long long seconds, char buf[24]);
/* The policy's records and overstayers' records periods (seconds). */
void bex_retention_preset(bex_policy policy, long long *records, long long *overstayer_records);

typedef enum bex_fate {
    BEX_KEEP = 0,
    BEX_DROP_IMAGE = 1,       /* keep the template, drop the photo */
    BEX_DELETE = 2,           /* delete the sample (template and photo) */
} bex_fate;

typedef struct bex_sample_facts {
    int citizen;              /* a citizen's capture, or a sample of a citizen subject */
    int unmatched;            /* an exit capture nobody was found for (may be a citizen's) */
    int64_t captured_at;      /* seconds since the epoch */
    int has_image;
    int open_flag;            /* its encounter has a flag still open (not cleared, confirmed or
                                 referred): an officer may need the capture */
} bex_sample_facts;

/* A sample's fate as of `now` (seconds since the epoch). The captures of an encounter with an
 * open flag are kept, template and photo, until the flag is resolved (an unmatched exit's
 * capture under its not_matched flag included); then the periods apply (counted from capture,
 * so a capture whose period has passed goes at the next purge). A sample known to be a
 * citizen's goes at the citizens' period whatever its flags. */
bex_fate bex_sample_retention(const bex_sample_facts *s, const bex_retention *r, int64_t now);

typedef struct bex_subject_facts {
    int citizen;
    int64_t last_seen;        /* the latest of its creation and its crossings (s) */
    const bex_stay *stays;    /* its admissions as stays (overstay.h), any order */
    size_t n_stays;
} bex_subject_facts;

/* A whole record's fate: BEX_DELETE once its period since last seen has passed: the records'
 * period, or the overstayers' for someone who overstayed (US rule) under any admission. A
 * traveller still in the country within their stay (or on D/S) is kept whatever the time: an
 * exit must find them. *overstayer: whether that period applied. */
bex_fate bex_subject_retention(const bex_subject_facts *s, const bex_retention *r, int64_t now,
                               int *overstayer);

/* ---- fingerprints (issue 17; docs/fingerprints.md, "In the border system") ------------------
 * Pure rules for the second biometric: whose prints an entry takes and which fingers, when an
 * exit or a look-up turns to a finger, and the fusion of face and finger scores at an operating
 * point. Finger positions are ANSI/NIST-ITL's: 1 right thumb, 2 right index, 3 right middle,
 * 4 right ring, 5 right little, 6 left thumb .. 10 left little. */


/* The EES rule (Regulation (EU) 2017/2226, Art. 17): from age 12, four fingers of the right
 * hand, index first (2, 3, 4, 5), the same finger of the left hand where one cannot be taken;
 * not citizens. */
void bex_finger_policy_default(bex_finger_policy *p);
/* BEX_ERR_ARG with a message for an age outside 0..120, a position outside 1..10, one listed
 * twice, or more than 10. */
int bex_finger_policy_check(const bex_finger_policy *p, char *err, size_t errlen);

/* Whole years between a birth date and a day (YYYY-MM-DD); -1 when either is missing or
 * malformed or the birth is after the day. */
int bex_age_years(const char *birth_date, const char *day);

const char *bex_prints_name(bex_prints p);

/* The age rule: a traveller younger than p->min_age on `day` gives no prints. An age that
 * cannot be told (no birth date, or a malformed one) is no exemption: prints are taken (the
 * exemption is for someone shown to be under age). */
bex_prints bex_finger_age_rule(const bex_finger_policy *p, int citizen, const char *birth_date,
                               const char *day);

const char *bex_finger_state_name(bex_finger_state s);


/* An entry's fingers: states[1..10] what was given per position (states[0] unused). Prints
 * not taken (age, citizen, policy): nothing enrolled, nothing recorded, never referred, and
 * any finger given is ignored. Else each required position in order: its own finger when
 * usable, else the same finger of the other hand (position +/- 5) when usable and not itself
 * required, else recorded as missing (declared) or unusable; a required finger with neither a
 * usable template nor the officer's declaration that it is missing refers the entry. */
void bex_finger_entry_plan(const bex_finger_policy *p, int citizen, const char *birth_date,
                           const char *day, const bex_finger_state states[11], bex_finger_plan *out);

/* An entry's fingers applied to its verdict (after bex_entry_decide): a plan that refers turns
 * an admission into a referral (no admission until an officer decides) and raises a
 * fingerprints_incomplete flag naming the entry's subject and document with the plan's detail;
 * any other plan changes nothing. */
void bex_finger_plan_apply(const bex_finger_plan *p, bex_entry_verdict *v);

/* Does an exit or a look-up turn to a finger? 1 when the face gave no usable capture
 * (face_usable 0: no face found, or below the capture's quality) or did not match (m NULL, or
 * not calibrated, or below its threshold): the face alone settled nothing. */
int bex_finger_needed(int face_usable, const bex_match *m);

/* The calibrated FMR at a score: the smallest target among c's rows whose threshold the score
 * reaches (a conservative bound: the FMR at that score is at most it). 1 for NAN, or a score
 * below the first row's threshold (the table says nothing of it); never below the table's last
 * target (the evidence ends there: not extrapolated). The face's tables (calibration.h) and the
 * finger's (finger.h) have the same rows. */
double bex_calibration_fmr_at(const bex_calibration *c, float score);

/* The per-comparison FMR that gives FPIR `fpir` over a gallery of n (calibration.h's rule:
 * 1 - (1 - fpir)^(1/n)); fpir itself for n <= 1. */
double bex_fusion_target_1n(double fpir, long long n);


/* One candidate of a finger comparison: its face evidence and its best score per probe finger
 * (by position) with each score's FMR (bex_calibration_fmr_at on the finger table). */
typedef struct bex_finger_candidate {
    int64_t subject;
    double face_fmr;          /* 1: no face evidence for it */
    int positions[BEX_CROSSING_MAX_FINGERS];
    float scores[BEX_CROSSING_MAX_FINGERS];
    double fmr[BEX_CROSSING_MAX_FINGERS];
    int n;
} bex_finger_candidate;

/* The fingers' decision over n candidates at a target FMR: the candidate of lowest fused FMR
 * (bex_fusion_decide), a match when it reaches the target and no other candidate does (two
 * subjects that both reach it are ambiguous: no decision, an officer's case). out->subject is
 * the best candidate whatever the decision (0 when n is 0); gallery and gallery_size are the
 * caller's. */
void bex_finger_identify_decide(const bex_finger_candidate *c, int n, double target, bex_finger_decision *out);

/* face_fmr: the face score's FMR (1: none); finger_fmr[n]: each finger comparison's (by
 * position, each finger once). At least one finger is needed for a match: the face alone is
 * decided by the face's own rule. Values outside (0, 1] count as 1; n above
 * BEX_FUSION_MAX_FINGERS counts the first BEX_FUSION_MAX_FINGERS. */
void bex_fusion_decide(double face_fmr, const double *finger_fmr, int n, double target, bex_fusion *out);

#ifdef __cplusplus
}
#endif
#endif
