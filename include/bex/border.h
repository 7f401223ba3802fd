/*
 * border.h - the border rules: every decision bex takes at a crossing and on a record, and the
 * calls that carry them out on a store. Programs (the `bex` command, `bex serve`) translate
 * arguments and requests into these calls and results into JSON; they decide nothing.
 *
 *   bex_store *st;                                  // store.h: the records
 *   bex_store_open("bex.db", NULL, &st, err, sizeof err);
 *   bex_entry_request rq = {.doc = &mrz, .live = live_template, .doc_photo = chip_template,
 *                           .admission_class = "B2", .admit_until = "2026-03-31",
 *                           .port = "JFK", .port_kind = BEX_PORT_AIR,
 *                           .at = "2026-03-01T08:10:00Z"};
 *   bex_entry_result r;
 *   if (bex_border_entry(st, &rq, &r, err, sizeof err) == BEX_OK &&
 *       r.decision == BEX_DECISION_REFERRED)
 *       send_to_secondary(r.encounter);            // later: bex_border_decide_entry(...)
 *
 * Each crossing is gather (the store reads what the rules need) -> decide (a pure function of
 * plain structs, rules.h) -> record (the store writes the verdict), in one transaction with
 * its audit entry. The pure decisions are in rules.h and are tested without a database.
 *
 * Outcomes, decisions, flag kinds, roles, galleries, policies, port kinds and directions are
 * enums with one name table each (bex_*_name / bex_*_parse): the names are what the store
 * keeps and what JSON shows. Messages speak of the data ("an entry needs the port code"),
 * never of a program's options, and never name a person or a document number.
 */
#ifndef BEX_BORDER_H
#define BEX_BORDER_H

#include <stddef.h>
#include <stdint.h>

#include "bex/bex.h"
#include "bex/face.h"
#include "bex/index.h"
#include "bex/lds.h"
#include "bex/mrz.h"
#include "bex/overstay.h"
#include "bex/passive_auth.h"
#include "bex/store.h"
#include "bex/terms.h"
#include "bex/timestamp.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the deployment's settings (kept in the store) ---------------------------------------- */

typedef struct bex_border_settings {
    char home_state[4];              /* ICAO code of the deployment's own state ("USA"): its
                                        passports are citizens' */
    long long departure_before_s;    /* an exit may come this long before its departure's
                                        scheduled time (default 12 hours) ... */
    long long departure_after_s;     /* ... and this long after it (default 12 hours); outside:
                                        BEX_FLAG_OUTSIDE_DEPARTURE_WINDOW */
    long long gallery_window_s;      /* a gate's gallery file expires this long after its
                                        departure's scheduled time (default 12 hours) */
} bex_border_settings;

/* Defaults: "USA", 12 hours, 12 hours, 12 hours. */
void bex_border_settings_default(bex_border_settings *s);
int bex_border_settings_get(bex_store *st, bex_border_settings *out, char *err, size_t errlen);
/* One setting by name ("home_state", "departure_before_s", "departure_after_s",
 * "gallery_window_s") from text; checked (an ICAO code of 1 to 3 letters, periods 0 .. 7
 * days). Audited. */
int bex_border_settings_set(bex_store *st, const char *name, const char *value, char *err,
                            size_t errlen);

/* ---- results shared by the crossings ------------------------------------------------------ */

#define BEX_MAX_FLAGS 12
#define BEX_FLAG_MAX_IDS 4

/* A flag as recorded. detail names what was compared, never a name or a document number. */
typedef struct bex_flag {
    int64_t id;
    bex_flag_kind kind;
    int64_t encounter;                 /* 0: none (manifest flags) */
    char departure[48];                /* "" when none */
    char port[8];                      /* the encounter's or the departure's port ("" none) */
    int64_t subjects[BEX_FLAG_MAX_IDS];
    int n_subjects;
    int64_t documents[BEX_FLAG_MAX_IDS];
    int n_documents;
    char detail[192];
    char created_at[24];               /* the crossing's time (a manifest's: when loaded) */
    bex_flag_status status;
} bex_flag;

/* A 1:1 or 1:N decision as taken: the gallery, its size, the best candidate, the threshold,
 * its operating point and the calibration table that set it (the shipped LFW table, or the
 * calibration an operator applied to the store for the model or the port: calibration_id).
 * calibrated 0: the operating point asked for lies beyond the calibration's evidence (FPIR
 * 0.003 at a gallery too large for it): no decision is taken (match 0, threshold NAN) and
 * operating_point says so. */
typedef struct bex_match {
    bex_gallery gallery;    /* BEX_GALLERY_NONE: no comparison */
    long long gallery_size; /* subjects searched */
    int64_t subject;        /* best candidate (0: none) */
    float score;            /* its similarity (NAN: none) */
    float threshold;        /* NAN when not calibrated */
    char operating_point[128];
    char calibration[128];  /* the table's name (calibration.h: bex_calibration.name) */
    long long calibration_id; /* the store's applied calibration; 0: the shipped table */
    int calibrated;
    int match;              /* calibrated and score >= threshold */
} bex_match;

/* ---- one flag's candidates, each compared 1:1 with the live capture (issue 15) ----------- */

#define BEX_CANDIDATES_MAX 8

/* An encounter's live capture (its entry or exit sample) compared 1:1 with each candidate: the
 * subjects its flags name, then its own subject, then the holder of the document it was
 * recorded with (rules.h: bex_candidate_subjects), at most BEX_CANDIDATES_MAX. Each candidate's
 * score is the best over its other samples of the store's model; a subject whose only sample is
 * the capture itself (one this crossing made) scores that (own_capture 1: it matches itself,
 * which says only that it is the person captured). Each is decided at the store's 1:1 operating point for the encounter's port, the one entries use
 * (rules.h: bex_candidate_decide). template_kept 0: the capture's template is gone (purged,
 * erased, or none was taken): every score is NAN and reason says why, which is no error. */
typedef struct bex_candidates {
    int64_t encounter;
    int template_kept;
    char reason[96];                         /* "" when template_kept */
    bex_match candidates[BEX_CANDIDATES_MAX]; /* subject, score, threshold, operating_point,
                                                 calibration, match; gallery BEX_GALLERY_NONE:
                                                 not compared (score NAN) */
    int own_capture[BEX_CANDIDATES_MAX];
    int n;
} bex_candidates;

/* BEX_ERR_ARG for an unknown encounter. An audited read ("read_candidates": the encounter and
 * the subjects' ids, no names). */
int bex_border_candidates(bex_store *st, int64_t encounter, bex_candidates *out, char *err, size_t errlen);

/* ---- the ePassport chip presented at an entry ------------------------------------------- */

/* A chip's files as a reader delivers them (bex_chip_read_dir, or a request's parts): the
 * bytes exactly as read, which passive authentication hashes. */
typedef struct bex_chip {
    const uint8_t *file[BEX_LDS_NFILES]; /* [BEX_LDS_COM] EF.COM, [1..16] DGn, [BEX_LDS_SOD]
                                            EF.SOD; NULL: absent */
    size_t file_len[BEX_LDS_NFILES];
    const char *printed_mrz;        /* the page's MRZ as read (lines run together or not);
                                       NULL: not read, DG1 is not compared with it */
    bex_chip_auth active_auth;      /* as the reader reports them (bex runs neither) */
    bex_chip_auth chip_auth;
} bex_chip;

/* What the chip's check found, recorded with the encounter (encounters.chip_check and
 * chip_detail) and shown to officers. */
typedef struct bex_chip_check {
    int presented;                  /* 0: the document was read without its chip: "no_chip" */
    bex_pa_result pa;               /* passive authentication against the store's trust store at
                                       the crossing's time */
    int mrz_compared;               /* 1: DG1 was compared with the printed MRZ */
    bex_pa_outcome mrz;             /* then: BEX_PA_AUTHENTIC (they agree), BEX_PA_MRZ_MISMATCH,
                                       BEX_PA_MALFORMED (DG1 holds no MRZ) */
    char mrz_message[160];
    bex_chip_auth active_auth, chip_auth;
} bex_chip_check;

/* Reads a chip reader's folder (the names bex_lds_read_dir takes) into *files, raw and
 * unparsed, each file capped; *chip's pointers point into files (free it with bex_lds_free
 * when done with chip). A folder with no DG1 is BEX_ERR_FORMAT; a chip whose files are
 * damaged is read as it is: the check says what is wrong with it. */
int bex_chip_read_dir(const char *dir, bex_lds *files, bex_chip *chip, char *err, size_t errlen);
/* The chip's MRZ (DG1) parsed as of `today` (YYYY-MM-DD: for the expiry check), for the entry's
 * document. BEX_ERR_CORRUPT when DG1 is absent or holds no MRZ, BEX_ERR_ARG when the MRZ does
 * not parse; err says which. */
int bex_chip_mrz(const bex_chip *chip, const char *today, bex_mrz *out, char *err, size_t errlen);
/* The first face image (JPEG or JPEG 2000) in the chip's DG2: *img points into chip's DG2.
 * BEX_ERR_CORRUPT, with why, when there is no DG2 or it cannot be read. */
int bex_chip_face_image(const bex_chip *chip, const uint8_t **img, size_t *len, char *why, size_t whylen);

/* ---- fingerprints at a crossing (issue 17): the vocabulary; rules.h has the rules -------- */

#define BEX_FINGER_POLICY_MAX 10

typedef struct bex_finger_policy {
    int min_age;              /* prints are taken from this age in whole years (EU: 12) */
    int required[BEX_FINGER_POLICY_MAX]; /* the finger positions an entry takes, in order */
    int n_required;           /* 0: the deployment takes no prints */
    int citizens;             /* 1: citizens' prints are taken too (0, the default: never, as
                                 the EES takes them from third-country nationals only) */
} bex_finger_policy;

/* Whether an entry takes prints. */
typedef enum bex_prints {
    BEX_PRINTS_TAKEN = 1,        /* "taken" */
    BEX_PRINTS_UNDER_AGE = 2,    /* "under_age": younger than the policy's minimum age */
    BEX_PRINTS_CITIZEN = 3,      /* "citizen": the policy takes no citizen's prints */
    BEX_PRINTS_NOT_REQUIRED = 4, /* "not_required": the policy takes no prints at all */
} bex_prints;

/* What an entry was given for one finger position. */
typedef enum bex_finger_state {
    BEX_FINGER_NOT_GIVEN = 0,    /* nothing presented for it */
    BEX_FINGER_USABLE = 1,       /* an image whose template passes bex_finger_enrol_check */
    BEX_FINGER_UNUSABLE = 2,     /* an image that failed to enrol (the coded problem says why) */
    BEX_FINGER_MISSING = 3,      /* declared by the officer as impossible to take: amputated,
                                    bandaged, injured (EES: "not possible for factual reasons") */
} bex_finger_state;

typedef struct bex_finger_plan {
    bex_prints prints;
    int enrol[BEX_FINGER_POLICY_MAX];  /* positions whose templates are enrolled, in the
                                          policy's order (a substitute in its finger's place) */
    int n_enrol;
    int record[BEX_FINGER_POLICY_MAX]; /* required positions recorded without a template: missing
                                          (declared) or unusable, with no substitute */
    bex_finger_state record_state[BEX_FINGER_POLICY_MAX];
    int n_record;
    int substituted;          /* required fingers taken from the other hand */
    int ignored;              /* usable fingers given that the policy does not ask for: not kept
                                 (data minimisation) */
    int refer;                /* 1: a required finger is neither enrolled (itself or the other
                                 hand's) nor declared missing: the officer takes it again or
                                 declares it, so the entry is referred */
    char detail[160];         /* for the result and the audit: counts and positions, no data */
} bex_finger_plan;

#define BEX_FUSION_MAX_FINGERS 10

/* Score-level fusion, face and fingers, as a product of false-match probabilities: each score
 * is first turned into its calibrated FMR (bex_calibration_fmr_at); under independence of the
 * modalities (and of different fingers), an impostor reaches all of them with probability at
 * most their product. A match when the product is at or below the target FMR. */
typedef struct bex_fusion {
    double face_fmr;          /* 1: no face evidence (none, unusable, or below the table) */
    double finger_fmr;        /* the fingers' product; 1: none compared */
    double fused_fmr;         /* face_fmr * finger_fmr */
    double target;            /* the operating point: the fused FMR asked for */
    int fingers;              /* finger comparisons fused */
    int match;                /* fingers >= 1 and fused_fmr <= target */
    char operating_point[128];/* "fused FMR 0.001 (face x 1 finger)" */
} bex_fusion;

#define BEX_CROSSING_MAX_FINGERS 10

/* One finger given at a crossing (a slap is segmented into these first: finger.h,
 * bex_finger_slap_segment). */
typedef struct bex_finger_capture {
    int position;                    /* ANSI/NIST-ITL 1-10 */
    const bex_finger_template *t;    /* the extracted template; NULL: declared missing by the
                                        officer (amputated, bandaged, injured) */
    const void *image;               /* the image's bytes, kept only while retention "images"
                                        is above 0 (as a face's); NULL: none kept */
    size_t image_len;
} bex_finger_capture;

/* What the fingers said at an exit or a look-up (rules.h: bex_finger_identify_decide). */
typedef struct bex_finger_decision {
    int compared;             /* 1: fingers were compared (the face settled nothing) */
    bex_gallery gallery;      /* BEX_GALLERY_HOLDER: 1:1 with one subject; BEX_GALLERY_ALL: 1:N
                                 over every non-citizen's enrolled fingers */
    long long gallery_size;   /* subjects compared with */
    int64_t subject;          /* the candidate of lowest fused FMR (0: none) */
    int positions[BEX_CROSSING_MAX_FINGERS]; /* its fingers compared, by position ... */
    float scores[BEX_CROSSING_MAX_FINGERS];  /* ... and their scores (0..1) */
    int n;
    bex_fusion fusion;        /* face and fingers fused at the operating point */
    int ambiguous;            /* another subject reached the target too: no decision */
} bex_finger_decision;

/* ---- crossings ----------------------------------------------------------------------------- */

typedef struct bex_entry_request {
    const bex_mrz *doc;            /* the document presented (bex_mrz_parse) */
    const float *live;             /* the live capture's template; NULL: no usable photo */
    const bex_store_scan *live_scan; /* NULL, or live's 1:N scan done ahead (bex_store_prescan) */
    float live_quality;
    const char *live_failure;      /* why not, when live is NULL (bex_capture_outcome_name) */
    const void *live_image;        /* the photo's bytes, kept only while retention "images" > 0 */
    size_t live_image_len;
    int doc_photo_given;           /* 1: a document photo was presented (doc_photo NULL: unusable) */
    const float *doc_photo;        /* the chip's or visa's photo's template (given implies 1) */
    float doc_quality;
    const char *doc_photo_failure; /* why the document photo could not be used */
    const void *doc_image;         /* the document photo's bytes (a --doc-photo file, the chip's DG2
                                      face image), kept with the document's sample only while
                                      retention "images" > 0; NULL: none kept */
    size_t doc_image_len;
    const char *admission_class;   /* "B2", "WT", "F1", "LPR", ...; none for a citizen */
    const char *admit_until;       /* "YYYY-MM-DD"; NULL: duration of status (D/S) */
    const char *port;              /* port code */
    bex_port_kind port_kind;
    const char *carrier;           /* may be NULL */
    const char *voyage;            /* flight, sailing or lane; may be NULL */
    const char *at;                /* ISO 8601 time of the crossing; NULL: now */
    int citizen;                   /* declared a citizen (a passport of settings.home_state is
                                      one without being declared) */
    const float *faces;            /* several faces in one capture (a vehicle lane): n_faces
                                      templates of dim floats, one after another;
                                      the rule picks the document holder's (rules.h:
                                      bex_entry_pick_face) and `live` is then not read */
    const float *face_quality;     /* n_faces quality scores, or NULL */
    int n_faces;
    const char *model;             /* the identity of the model that made the templates
                                      (bex_engine_model); NULL: not checked beyond dim */
    int dim;                       /* floats in each template (bex_engine_dim); 0: BEX_TEMPLATE_DIM.
                                      Both must be the store's (bex_store_template_check):
                                      otherwise BEX_ERR_ARG and nothing is recorded */
    const bex_finger_capture *fingers; /* the fingers given (rules.h: bex_finger_entry_plan) */
    int n_fingers;                 /* at most BEX_CROSSING_MAX_FINGERS, one per position */
    int finger_capture;            /* 1: the booth takes prints: the policy applies (a required
                                      finger neither given nor declared missing refers the
                                      entry); 0 with no fingers: prints are not part of it */
    const bex_finger_policy *finger_policy;   /* NULL: the EES rule (rules.h) */
    const bex_chip *chip;          /* the document's chip as read; NULL: read without a chip
                                      ("no_chip"). With a chip, doc is DG1's MRZ (bex_chip_mrz)
                                      and doc_photo DG2's face (bex_chip_face_image); the chip
                                      is checked (passive authentication against the store's
                                      trust store, DG1 against chip->printed_mrz) and a failure
                                      is a flag and a referral (rules.h: bex_chip_decide) */
} bex_entry_request;

typedef struct bex_entry_result {
    int64_t encounter, subject, document, admission; /* admission 0: none (citizen, referred) */
    int new_subject;               /* 1: first seen at this entry */
    int citizen;                   /* 1: recorded as a citizen's crossing */
    bex_outcome outcome;
    bex_decision decision;
    bex_match verify;              /* live vs document photo ("document"), or vs the document
                                      holder's samples ("holder") */
    bex_match identify;            /* live vs every enrolled traveller ("all"); none for citizens */
    bex_flag flags[BEX_MAX_FLAGS];
    int n_flags;
    int64_t closed[4];             /* earlier admissions of the traveller this entry closed:
                                      they left, but no exit was recorded */
    int n_closed;
    int face;                      /* with several faces: the one taken as the holder's (0-based) */
    bex_chip_check chip;           /* the document check (chip.presented 0: "no_chip") */
    int fingers_asked;             /* 1: prints were part of the entry (finger_capture) */
    bex_finger_plan fingers;       /* then: taken or why not, enrolled, recorded, referred */
    bex_finger_decision holder_fingers; /* the fingers given against the document's holder's
                                      enrolled ones (compared 0: no single holder on record,
                                      or none given): where the face did not verify the holder
                                      and these match, the holder is verified by fingerprint */
} bex_entry_result;

/* An arrival (rules.h, bex_entry_decide, says how it is decided). BEX_ERR_ARG for a request
 * that cannot be decided (no port, an unparseable date, a class given with a home-state
 * passport), with a message. One transaction. */
int bex_border_entry(bex_store *st, const bex_entry_request *rq, bex_entry_result *res, char *err,
                     size_t errlen);

typedef struct bex_exit_request {
    const float *live;        /* NULL: no usable photo (recorded as "no_photo", flagged) */
    float live_quality;
    const char *live_failure;
    const void *live_image;
    size_t live_image_len;
    const char *port;
    bex_port_kind port_kind;  /* BEX_PORT_NONE: the departure's, else the port's last known */
    const char *departure;    /* a departure's manifest id, or NULL */
    const char *at;           /* NULL: now */
    const char *carrier;      /* the carrier on whose word the exit is reported (its boarding
                                 gate, through the service); NULL: an officer's or the state's
                                 own camera. A carrier's exit needs its own departure, takes no
                                 time (the clock's) and its port is the departure's (rules.h:
                                 bex_carrier_exit_check, bex_exit_decide) */
    int once;                 /* 1: an exit already recorded at this port and time with this
                                 template is not recorded again (an offline gate's log synced
                                 twice); the result then describes the recorded one */
    const char *model;        /* as bex_entry_request: the live template's model (NULL: not
                                 checked beyond dim) and length (0: BEX_TEMPLATE_DIM) */
    int dim;
    const bex_finger_capture *fingers; /* compared when the face settles nothing (no usable
                                 photo, or no match): 1:1 with the face's best candidate and
                                 1:N over the enrolled fingers, fused with the face (rules.h);
                                 never on a carrier's exit (refused) */
    int n_fingers;
} bex_exit_request;

typedef struct bex_exit_result {
    int64_t encounter;
    int64_t subject;          /* 0: nobody matched */
    int64_t admission;        /* the admission this exit closed; 0: none open */
    bex_outcome outcome;      /* matched, not_matched, no_photo */
    bex_match match;          /* the gallery that decided (or the last one searched) */
    bex_flag flags[BEX_MAX_FLAGS];
    int n_flags;
    int already;              /* with `once`: 1 when it had been recorded before */
    int64_t traveller;        /* matched in the departure's manifest gallery: the traveller's
                                 position on the manifest (1-based, the id a gate's gallery
                                 file gives them); 0: none */
    bex_finger_decision finger; /* finger.compared 1: the fingers were compared; the exit is
                                 matched by them when finger.fusion.match (outcome matched,
                                 match still the face's) */
} bex_exit_result;

/* A departure (rules.h, bex_exit_decide). BEX_ERR_ARG for an unknown departure, a manifest
 * that is an arrival's, a port whose kind is unknown, a carrier's exit that is not on its own
 * departure or gives a time or another port. One transaction. */
int bex_border_exit(bex_store *st, const bex_exit_request *rq, bex_exit_result *res, char *err,
                    size_t errlen);

/* What a carrier may learn of an exit on its own departure: "match" (found in its manifest's
 * gallery), "no_match" or "no_photo", nothing else (rules.h: bex_carrier_answer_of). */
const char *bex_carrier_answer_name(const bex_exit_result *r);

/* Enrols a face from a document or visa record outside any crossing (a visa issuance, a
 * passport photo from another agency, an officer's photo): the document's subject if it is
 * on record, else a new subject; the template as a sample of `source` ("document", "visa",
 * "officer"). *added = 0 when that document already has a sample from that source (a bulk
 * enrolment run again skips it). A home-state passport is refused: citizens are not enrolled.
 * tmpl: bex_store_dim floats of the store's model (the caller checks its engine's with
 * bex_store_template_check). One transaction. */
int bex_border_enrol(bex_store *st, const bex_mrz *doc, const float *tmpl, float quality,
                     const char *source, const char *at, int64_t *subject, int64_t *document,
                     int *added, char *err, size_t errlen);

/* Fingerprints from another agency's record (an ANSI/NIST-ITL exchange's Type-14 images)
 * enrolled outside any crossing, with the document's subject as bex_border_enrol finds or makes
 * it, by the rules an entry's fingers follow (rules.h: bex_finger_entry_plan with `policy`,
 * NULL the EES rule): a citizen's (a home-state passport, or a holder recorded as a citizen)
 * or a child's under the policy's age give none; the policy's positions are enrolled (the
 * other hand's finger in a failed one's place), a required finger that failed is recorded as
 * unusable, and the fingers it does not ask for are not kept. Rows are of source "officer",
 * with no encounter; a position the subject already has an enrolled finger of gets no other,
 * nor one already recorded a failed one (a re-import adds nothing). An image is kept as an
 * entry's is (retention "images").
 * at: NULL now. One transaction, audited ("enrol_fingers": ids and counts, no data). */
typedef struct bex_finger_enrol_result {
    bex_finger_plan plan;      /* prints taken or why not; the positions enrolled and recorded */
    int already[11];           /* by position: 1 an enrolled finger on record before, 2 only one
                                  recorded unusable or missing: not added again */
    int added;                 /* finger rows written (enrolled and unusable) */
    int64_t subject, document; /* 0 when nothing was written and none was on record */
} bex_finger_enrol_result;
int bex_border_enrol_fingers(bex_store *st, const bex_mrz *doc, const bex_finger_capture *fingers, int n,
                             const bex_finger_policy *policy, const char *at, bex_finger_enrol_result *res,
                             char *err, size_t errlen);

/* 1:N of a probe against every enrolled traveller, recording no crossing: the best 5 subjects
 * into hits (best first, *n of them), the decision at the store's FPIR for that gallery's
 * size in *m (uncalibrated beyond the evidence: see bex_match). probe: bex_store_dim floats
 * of the store's model, as for bex_border_enrol. An audited read. */
int bex_border_identify(bex_store *st, const float *probe, bex_index_hit hits[5], size_t *n,
                        bex_match *m, char *err, size_t errlen);
/* As bex_border_identify, with the probe's scan done ahead (bex_store_prescan; NULL: none). */
int bex_border_identify_from(bex_store *st, const bex_store_scan *pre, const float *probe,
                             bex_index_hit hits[5], size_t *n, bex_match *m, char *err,
                             size_t errlen);

/* An officer's look-up by fingerprint, recording no crossing: 1:1 with `subject`'s enrolled
 * fingers (subject > 0: found by the document presented; face_score the face's score against
 * it, NAN: none, fused) at the store's 1:1 FMR, else 1:N over every non-citizen's enrolled
 * fingers at FPIR BEX_DEFAULT_FPIR for that gallery's size (port: whose calibration the face
 * uses; NULL none). fingers: at most BEX_CROSSING_MAX_FINGERS, one per position. An audited
 * read ("finger_lookup": ids and the decision, no data). BEX_ERR_UNSUPPORTED when the finger
 * comparator has no calibrated table. */
int bex_border_finger_lookup(bex_store *st, int64_t subject, const bex_finger_capture *fingers, int n,
                             float face_score, const char *port, bex_finger_decision *out, char *err,
                             size_t errlen);

/* An officer's look-up by face and fingers, recording no crossing: the face 1:N as
 * bex_border_identify_from; where it settles nothing (no match), the fingers 1:N over every
 * non-citizen's enrolled fingers with the face's best candidate fused (as an exit's). *fd:
 * compared 0 when the face matched or no finger was given. Audited as both reads. */
int bex_border_identify_fingers(bex_store *st, const bex_store_scan *pre, const float *probe,
                                const bex_finger_capture *fingers, int n_fingers, bex_index_hit hits[5], size_t *n,
                                bex_match *m, bex_finger_decision *fd, char *err, size_t errlen);

/* ---- manifests and gate galleries ------------------------------------------------------ */

/* A manifest (APIS-like): the expected travellers of one departure or arrival. */
typedef struct bex_manifest_entry {
    char issuing_state[4], number[24], nationality[4];
    char surname[40], given_names[40], birth_date[11], sex[2];
} bex_manifest_entry;

typedef struct bex_manifest {
    char id[48];              /* the departure's id, e.g. "BA117-2026-11-27" */
    bex_direction direction;
    char carrier[8], voyage[16], port[8];
    bex_port_kind port_kind;
    char scheduled[24];       /* canonical ISO 8601 */
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
    size_t name_variants;     /* linked with names that agree only as spelling variants
                                 (transliteration, order, hyphens): not flagged */
    size_t verified;          /* names and birth date agree with the document on record: in the
                                 departure's gallery (rules.h: bex_manifest_check) */
    int n_flags;              /* manifest_mismatch flags raised */
    int replaced;             /* 1: an earlier manifest of that departure was replaced */
} bex_manifest_result;

/* Loads (or replaces) a manifest in one transaction; each traveller's names, birth date and
 * nationality are checked against the document on record (rules.h: bex_manifest_check);
 * progress(done, total, arg) is called now and then when not NULL. A departure on record as
 * another carrier's is refused (BEX_ERR_ARG; rules.h: bex_departure_ownership). */
int bex_border_load_manifest(bex_store *st, const bex_manifest *m,
                             void (*progress)(size_t done, size_t total, void *arg), void *arg,
                             bex_manifest_result *res, char *err, size_t errlen);

/* An admin's decision: the departure now belongs to `carrier` (2 or 3 capital letters or
 * digits). Its traveller list, declared by the previous carrier, is dropped (the new carrier
 * loads its own manifest); its crossings and flags stay. *dropped: travellers dropped.
 * BEX_ERR_ARG: no such departure, or a bad code. One transaction, audited. */
int bex_border_reassign_departure(bex_store *st, const char *departure, const char *carrier,
                                  size_t *dropped, char *err, size_t errlen);

/* The carrier of a departure on record into carrier (8 bytes); BEX_ERR_ARG when there is no
 * such departure. Reads no personal data. */
int bex_border_departure_carrier(bex_store *st, const char *departure, char carrier[8],
                                 char *err, size_t errlen);

/* The gallery of a departure: every face sample (document, visa, earlier crossings) of the
 * non-citizen subjects of its verified manifest travellers (rules.h: bex_manifest_check), in a
 * new index (float32) the caller saves or frees with bex_index_close. It carries no internal
 * id: each template's subject id is the traveller's position on the manifest (1-based, the
 * carrier's own numbering; a subject listed twice: the first), its template id a count from
 * 1; neither names anyone outside this departure. *subjects: travellers in it. An audited
 * read. */
int bex_border_gallery(bex_store *st, const char *departure, bex_index **out, size_t *subjects,
                       char *err, size_t errlen);

/* ---- offline gates ------------------------------------------------------------------------- */

/* An offline gate is a registered device with two key pairs of its own: Ed25519 to sign each
 * line of its log, X25519 to open the gallery files sealed to it. The store keeps the public
 * halves; the secret halves, with the service's public signing key, are in the gate's key file
 * (0600). The service signs each gallery file with its own Ed25519 key (made on first use and
 * kept in the store). Cryptography is libsodium's (docs/records.md, "Offline gates").
 *
 *   bex_gate_device d;                          // once, by the operator
 *   bex_border_gate_register(st, "JFK-B22", "JFK", "jfk-b22.key", &d, err, sizeof err);
 *   unsigned char *file; size_t len;            // before boarding: the flight's gallery
 *   bex_border_gallery_seal(st, "BX1-2026-03-01", "JFK-B22", &file, &len, &info, err, sizeof err);
 *   ...                                         // on the gate, with no store at hand:
 *   bex_gate_keys k;  bex_gate_keys_load("jfk-b22.key", &k, err, sizeof err);
 *   bex_gate_gallery_open(file, len, &k, "BX1-2026-03-01", now, &ix, &info, err, sizeof err);
 *   bex_gate_decide(ix, live, &g, err, sizeof err);   // then a signed line to its log
 *   ...                                         // back at the office: bex_border_sync_line per line
 */

/* libsodium's sodium_init(), once per process (every call below makes it). */
int bex_crypto_init(char *err, size_t errlen);

#define BEX_GATE_NAME_MAX 32   /* a device's name: 1 to 31 of A-Z a-z 0-9 . _ - */

typedef struct bex_gate_device {
    int64_t id;
    char name[BEX_GATE_NAME_MAX];
    char port[8];                    /* "" when not bound to a port */
    unsigned char sign_public[32];   /* Ed25519: its log lines */
    unsigned char box_public[32];    /* X25519: gallery files are sealed to it */
    int64_t last_seq;                /* the last log sequence number synced (0: none) */
    char created_at[24];
    char revoked_at[24];             /* "" while in service */
} bex_gate_device;

/* A gate's key file as loaded: its secret keys and the service's public keys. */
typedef struct bex_gate_keys {
    char device[BEX_GATE_NAME_MAX];
    unsigned char sign_secret[64];   /* libsodium's Ed25519 secret key (seed and public key) */
    unsigned char box_public[32], box_secret[32];
    unsigned char service_public[32];     /* Ed25519: the service signs gallery files */
    unsigned char service_box_public[32]; /* X25519: templates in log lines are sealed to it */
} bex_gate_keys;

/* Registers a device (port: NULL or its port code, then its log lines must name that port):
 * makes both key pairs, keeps the public keys, and writes the secret keys with the service's
 * public signing key to keyfile, created 0600 and never over an existing file. The file is
 * written and synced before the registration commits; on any failure neither remains.
 * Audited. */
int bex_border_gate_register(bex_store *st, const char *name, const char *port, const char *keyfile,
                             bex_gate_device *out, char *err, size_t errlen);
/* Every device, registered first first. *out: free(). Reads no personal data. */
int bex_border_gate_list(bex_store *st, bex_gate_device **out, size_t *n, char *err, size_t errlen);
/* A device taken out of service: no gallery is sealed to it and its log lines are refused
 * from now on. BEX_ERR_ARG: no such device or revoked already. Audited. */
int bex_border_gate_revoke(bex_store *st, const char *name, char *err, size_t errlen);

/* Reads a key file (bex_border_gate_register's). BEX_ERR_FORMAT with a message when it is
 * none; BEX_ERR_IO when it cannot be read or others than its owner may read it. Wipe the keys
 * with bex_gate_keys_wipe when done. */
int bex_gate_keys_load(const char *path, bex_gate_keys *out, char *err, size_t errlen);
void bex_gate_keys_wipe(bex_gate_keys *k);

/* A gallery file's header, in the clear (and signed with the rest). */
#define BEX_GALLERY_HEADER_BYTES 216
#define BEX_GALLERY_SIG_BYTES 64
typedef struct bex_gallery_header {
    char device[BEX_GATE_NAME_MAX];  /* the device it is sealed to */
    char departure[48];
    int64_t issued_at, expires_at;   /* seconds since 1970 (UTC) */
    uint64_t plain_bytes;            /* the gallery's bytes once decrypted */
    unsigned char sealed_key[80];    /* the file key, crypto_box_seal'ed to the device */
    unsigned char nonce[24];         /* XChaCha20-Poly1305's */
    /* From inside the sealed gallery, not the clear header: filled by bex_border_gallery_seal
     * and, once decrypted, by bex_gate_gallery_open. */
    int plain_version;               /* 2: with the service's decision block; 3: and the model
                                        (another model than the built-in one); 1: an older file
                                        (the gate decides with the shipped table) */
    char model[BEX_MODEL_ID_MAX];    /* the identity of the templates' model (3); 1, 2: the
                                        built-in model's, BEX_INDEX_MODEL_LEGACY. The opened
                                        index is tagged with it: a gate checks its engine's
                                        model with bex_index_check_model before deciding */
    int dim;                         /* floats in a template */
    uint64_t templates;              /* templates in the gallery */
    long long gallery_size;          /* 2: the subjects N the 1:N threshold was set for */
    int calibrated;                  /* 2: 0 when FPIR at N lies beyond the calibration in force */
    float threshold;                 /* 2: the 1:N threshold (NAN when not calibrated) */
    double fpir;                     /* 2: the FPIR it was set for */
    long long calibration_id;        /* 2: the store's applied calibration; 0 the shipped table */
    char operating_point[128];       /* 2: "FPIR 0.003 at N=180", or why there is no decision */
    char calibration[128];           /* 2: the calibration's name (calibration.h) */
} bex_gallery_header;

/* A departure's gallery (bex_border_gallery) as a file for one registered device: encrypted to
 * it, signed by the service, with the departure and an expiry (the departure's scheduled time
 * + the setting gallery_window_s), and, inside the seal, the 1:N threshold for FPIR
 * BEX_DEFAULT_FPIR at the gallery's size from the calibration in force for the gate's port (the
 * device's, else the departure's: bex_store_calibration_for), named, so that the gate decides
 * where the service would. *file: free(); *info: its header; *subjects (may be NULL):
 * distinct subjects in it. BEX_ERR_ARG: no such
 * departure, no such device, a revoked device. An audited read. */
int bex_border_gallery_seal(bex_store *st, const char *departure, const char *device,
                            unsigned char **file, size_t *len, bex_gallery_header *info,
                            size_t *subjects, char *err, size_t errlen);

/* The header of a gallery file (its first BEX_GALLERY_HEADER_BYTES of len), checked for form
 * only: nothing in it is to be believed before the signature is. BEX_ERR_FORMAT with a
 * message. */
int bex_gallery_header_parse(const unsigned char *file, size_t len, bex_gallery_header *out,
                             char *err, size_t errlen);

/* A gate opens a gallery file: the service's signature first, then the device it is sealed to,
 * the departure the gate was told (NULL: any, for a look), the expiry against `now` (seconds
 * since 1970), then decryption into a float32 index. BEX_ERR_FORMAT for a file that is not
 * a gallery file or fails its signature or decryption; BEX_ERR_ARG for a good file that is not
 * for this device, this departure or this time. *info (may be NULL) gets the header. */
int bex_gate_gallery_open(const unsigned char *file, size_t len, const bex_gate_keys *k,
                          const char *departure, int64_t now, bex_index **out,
                          bex_gallery_header *info, char *err, size_t errlen);

/* A gate's decision against an exported gallery, with no store at hand: the best candidate at
 * FPIR BEX_DEFAULT_FPIR for the gallery's size (rules.h: bex_identify_decide) from the shipped
 * table. bex_gate_decide_with takes the opened file's header (bex_gate_gallery_open's *info):
 * a version-2 file decides at the threshold the service sealed in it (the applied calibration
 * of the gate's port), naming it, or takes no decision when the service found none; a
 * version-1 file (or info NULL) as bex_gate_decide. */
typedef struct bex_gate_decision {
    int photo;                /* 0: no usable photo */
    bex_match match;          /* gallery BEX_GALLERY_MANIFEST */
} bex_gate_decision;

int bex_gate_decide(bex_index *gallery, const float *live, bex_gate_decision *out, char *err,
                    size_t errlen);
int bex_gate_decide_with(bex_index *gallery, const bex_gallery_header *info, const float *live,
                         bex_gate_decision *out, char *err, size_t errlen);

/* One line of a gate's log: what `bex sync` records later as an exit, signed by the gate. The
 * template travels sealed to the service (a stolen gate's log shows no biometrics). */
#define BEX_GATE_SEALED_BYTES (4 * BEX_TEMPLATE_DIM + 48) /* crypto_box_seal of a 128-float template */
#define BEX_GATE_SEALED_MAX (4 * BEX_TEMPLATE_MAX_DIM + 48) /* of the longest (4 * dim + 48 bytes) */
typedef struct bex_gate_record {
    char device[BEX_GATE_NAME_MAX];
    int64_t seq;              /* 1, 2, ...: strictly increasing per device */
    char at[24];              /* canonical ISO 8601 */
    char departure[48];       /* "" none */
    char port[8];
    int match;                /* the gate's decision */
    int64_t subject;          /* the gate's candidate when it matched: its id in the gallery
                                 file, the traveller's position on the manifest (not a store
                                 subject id; bex_exit_result.traveller is its counterpart) */
    float template_[BEX_TEMPLATE_MAX_DIM]; /* in the clear, dim floats: given to
                                          bex_gate_log_sign, or from bex_gate_log_open; never
                                          written to the line */
    int dim;                  /* floats in the template: 0 is BEX_TEMPLATE_DIM (the built-in
                                 model's); the line's sealed template is 4 * dim + 48 bytes, so
                                 its length gives dim back (bex_gate_log_parse) */
    char model[BEX_MODEL_ID_MAX]; /* the template's model: "" the built-in one (a "v":2 line, as
                                 gates always wrote); another model's identity is carried in the
                                 line ("v":3, "model"), so that sync refuses it on a store of
                                 another model */
    unsigned char sealed[BEX_GATE_SEALED_MAX]; /* the template as the line carries it */
    unsigned char sig[64];    /* Ed25519 by the device over the line up to its "sig" */
} bex_gate_record;

#define BEX_GATE_LINE_MAX 9300 /* a 1024-float template's line; 128 floats: under 1700 */
/* Writes the record as one JSON line ending in '\n' (at most BEX_GATE_LINE_MAX bytes with
 * the NUL), with r->sig as it is; returns its length. */
size_t bex_gate_log_line(const bex_gate_record *r, char out[BEX_GATE_LINE_MAX]);
/* Seals r->template_ to the service (r->sealed) and signs the record with the gate's key
 * (r->device becomes the key's device). */
int bex_gate_log_sign(bex_gate_record *r, const bex_gate_keys *k, char *err, size_t errlen);
/* Parses one line (without its '\n'): the form only, and only the form bex_gate_log_line
 * writes (anything else, an old unsigned line included, is BEX_ERR_FORMAT with a message).
 * The signature is bex_gate_log_verify's. */
int bex_gate_log_parse(const char *line, bex_gate_record *out, char *err, size_t errlen);
/* 1: the record's signature verifies with that Ed25519 public key. */
int bex_gate_log_verify(const bex_gate_record *r, const unsigned char sign_public[32]);
/* Opens r->sealed into r->template_ with the service's X25519 key pair; 0 when it does not
 * open or is not a template (numbers). */
int bex_gate_log_open(bex_gate_record *r, const unsigned char box_public[32],
                      const unsigned char box_secret[32]);

typedef enum bex_sync_status {
    BEX_SYNC_RECORDED = 1,    /* verified, recorded as an exit */
    BEX_SYNC_ALREADY = 2,     /* this very line was synced before: nothing recorded again */
    BEX_SYNC_REFUSED = 3,     /* refused and flagged (flag): forged, replayed, out of order,
                                 a revoked or unknown device, unsigned */
} bex_sync_status;

typedef struct bex_sync_result {
    bex_sync_status status;
    bex_gate_record line;     /* as parsed (zero when it did not parse) */
    bex_exit_result exit;     /* RECORDED, ALREADY: the exit */
    bex_flag flag;            /* REFUSED: the flag raised */
    char why[160];            /* REFUSED: why, in words without personal data */
} bex_sync_result;

/* One line of a gate's log, as `bex sync` takes it: parsed, its device looked up (registered,
 * not revoked, its port), its signature verified, its template opened with the service's key,
 * its sequence number checked (greater than
 * the device's last synced; the same line again is ALREADY), then recorded as an exit
 * decided again by the store (bex_border_exit, port_kind as given), and the sequence number
 * remembered. A refused line is flagged (BEX_FLAG_GATE_LOG_FORGED or _REPLAYED) and records
 * no exit. BEX_OK whatever the status; an error only when the store fails. */
int bex_border_sync_line(bex_store *st, const char *line, bex_port_kind port_kind,
                         bex_sync_result *res, char *err, size_t errlen);

/* ---- overstays ----------------------------------------------------------------------------- */

/* Every admission entered by as_of ("YYYY-MM-DD") with its verdict under the policy (citizens'
 * records excluded; a stay a later entry closed without an exit is "no_exit_recorded"; under
 * the EU rule only short stays count). *rows: free(). An audited read. */
int bex_border_overstays(bex_store *st, const char *as_of, bex_policy policy,
                         bex_overstay_row **rows, size_t *n, char *err, size_t errlen);

/* ---- officers' case work --------------------------------------------------------------------- */

/* An officer's decision on a referred entry: admit (the admission is recorded with the terms
 * the entry asked for) or refuse. BEX_ERR_ARG when the encounter is no referred entry or the
 * decision is neither. *admission: the admission recorded (0 none). One transaction, audited. */
int bex_border_decide_entry(bex_store *st, int64_t encounter, bex_decision decision,
                            int64_t *admission, char *err, size_t errlen);

/* An officer's decision on an exit that matched nobody (or the wrong person): the encounter
 * becomes "officer_override" for `subject`, closes that subject's open admission, its sample
 * joins the subject's, and the encounter's "not_matched" flags are cleared. */
int bex_border_override_exit(bex_store *st, int64_t encounter, int64_t subject,
                             int64_t *admission, char *err, size_t errlen);

/* An officer's finding on a flag: open, cleared, confirmed or referred. Audited. */
int bex_border_flag_status(bex_store *st, int64_t flag, bex_flag_status status, char *err,
                           size_t errlen);

/* A subject wrongly recorded as a visitor is a citizen: the subject is marked so, leaves the
 * galleries, its admissions leave the overstay report, and its biometrics fall under the
 * citizens' retention (at most 12 hours from capture: the next purge deletes them). */
int bex_border_reclassify_citizen(bex_store *st, int64_t subject, char *err, size_t errlen);

/* Deletes every biometric sample of a subject, face and finger (templates and images): the
 * record of crossings stays. *samples: how many were deleted (faces and fingers). */
int bex_border_erase_biometrics(bex_store *st, int64_t subject, long long *samples, char *err,
                                size_t errlen);

/* Two subjects an officer confirmed to be one person: `other`'s documents, samples, crossings,
 * admissions and flag links move to `keep`, `other` stays as an empty record, and the move is
 * kept so that bex_border_unmerge(merge id) puts every row back. */
int bex_border_merge(bex_store *st, int64_t keep, int64_t other, int64_t *merge, char *err,
                     size_t errlen);
int bex_border_unmerge(bex_store *st, int64_t merge, char *err, size_t errlen);

/* Look-up of a traveller by document (number, and issuing state when known) or by names and
 * birth date (names compared as names.h does: spelling variants agree, each hit says why).
 * *hits: free(). An audited read. */
typedef struct bex_lookup_query {
    const char *number, *issuing_state;          /* by document */
    const char *surname, *given_names, *birth_date; /* or by names and birth date */
} bex_lookup_query;

typedef struct bex_lookup_hit {
    int64_t subject, document;
    int citizen;
    char names_verdict[24];   /* names.h's verdict name ("same", "transliteration", ...) */
    char reason[96];          /* why the names agree, in words without names */
} bex_lookup_hit;

#define BEX_LOOKUP_MAX_HITS 100
int bex_border_lookup(bex_store *st, const bex_lookup_query *q, bex_lookup_hit **hits, size_t *n,
                      char *err, size_t errlen);

/* The flag queue: flags matching the query, newest first. Zero fields match everything.
 * *flags: free(); *total: how many match the filters (before `before`, limit and offset). An
 * audited read. */
typedef struct bex_flag_query {
    bex_flag_status status;   /* BEX_FLAG_STATUS_NONE: any */
    bex_flag_kind kind;       /* BEX_FLAG_NONE: any */
    const char *port;         /* NULL: any */
    const char *since, *until;/* created_at >= since, < until (ISO 8601 day or time); NULL: open */
    size_t limit;             /* 0: all */
    size_t offset;
    int64_t before;           /* keyset paging: only flags with id < before (0: from the newest);
                                 pass the last id of a page for the next (no OFFSET scan) */
} bex_flag_query;

int bex_border_flags(bex_store *st, const bex_flag_query *q, bex_flag **flags, size_t *n,
                     size_t *total, char *err, size_t errlen);

/* ---- crossing rates (issue 15) ---------------------------------------------------------------- */

/* What a rates report groups by. */
typedef enum bex_rates_by {
    BEX_RATES_BY_NONE = 0,
    BEX_RATES_BY_PORT, BEX_RATES_BY_DAY, BEX_RATES_BY_AGE_BAND, BEX_RATES_BY_SEX,
} bex_rates_by;
int bex_rates_by_parse(const char *s, bex_rates_by *out);
const char *bex_rates_by_name(bex_rates_by by);

/* Crossings alike in what a report may group by, counted (the store's gathering). */
typedef struct bex_crossing_fact {
    char day[11];             /* YYYY-MM-DD of the crossing */
    char port[16];
    int exit;                 /* 0: an entry */
    char outcome[32];         /* bex_outcome_name's text */
    char birth_date[11];      /* the document's, "" unknown */
    char sex[2];              /* "F", "M", "X", "" unknown */
    long long count;
} bex_crossing_fact;
#define BEX_CROSSING_FACTS_MAX 1000000 /* distinct facts one report reads */

/* One row of the report. captured: a usable live photo (every outcome but no_photo); matched:
 * matched or officer_override; not_matched: not_matched or unverified (enrolled, a first
 * visit, and document_photo_unusable are captured but neither). capture_rate = captured /
 * crossings, match_rate = matched / (matched + not_matched); -1 where the denominator is 0
 * (null in JSON). */
typedef struct bex_rate_row {
    char key[16];             /* the port, the day, the age band or the sex */
    long long entries, exits, crossings, captured, matched, not_matched, no_photo;
    double capture_rate, match_rate;
} bex_rate_row;
#define BEX_RATES_MAX_ROWS 1000
#define BEX_RATES_MAX_DAYS 366

/* The rates between two days (YYYY-MM-DD, both included; at most BEX_RATES_MAX_DAYS) grouped
 * by `by`: rules.h's bex_rates_aggregate over the store's crossings. *rows: free(). An audited
 * read (aggregate only: no ids). */
int bex_border_rates(bex_store *st, const char *from, const char *to, bex_rates_by by, bex_rate_row **rows,
                     size_t *n, char *err, size_t errlen);

/* ---- retention ------------------------------------------------------------------------------- */

/* Categories: "citizen_biometrics" (a citizen's photos and templates, whoever the subject:
 * 12 hours at most), "unmatched_captures" (the template of an exit nobody matched, which may
 * be a citizen's: 12 hours at most), "images" (photos kept beside templates), "records" (a
 * non-citizen's whole record from its last crossing), "overstayer_records". */
int bex_border_set_retention(bex_store *st, const char *category, long long seconds, char *err,
                             size_t errlen);
/* The policy's periods for records and overstayers' records: US 75 years each; EU (EES,
 * Regulation 2017/2226 Art. 34) 3 and 5 years. */
int bex_border_retention_preset(bex_store *st, bex_policy policy, char *err, size_t errlen);

typedef struct bex_purge_result {
    long long citizen_samples;     /* citizens' templates and photos deleted */
    long long unmatched_samples;   /* unmatched exit captures' templates deleted */
    long long images;              /* images dropped from samples kept */
    long long subjects;            /* whole records deleted at the end of retention */
    long long overstayer_subjects;
    long long unmatched_encounters;/* unmatched exits deleted at the end of retention */
    long long finger_samples;      /* finger samples deleted by the same rule as the face's
                                      (citizens' and unmatched captures); a whole record's
                                      go with it, uncounted here */
    long long finger_images;       /* finger images dropped from finger samples kept */
} bex_purge_result;

/* Deletes what retention says is due as of `as_of` (ISO 8601; NULL: now), in one
 * transaction (rules.h: bex_sample_retention, bex_subject_retention). */
int bex_border_purge(bex_store *st, const char *as_of, bex_purge_result *res, char *err,
                     size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
