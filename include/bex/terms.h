/*
 * terms.h - the border's vocabulary: outcomes, decisions, flag kinds and statuses, galleries,
 * policies, port kinds, directions and roles, each an enum with one name table. The names are
 * what the store keeps, what JSON shows and what programs parse (src/border/enums.c).
 *
 *   bex_flag_kind k;
 *   if (bex_flag_kind_parse("two_identities", &k) == BEX_OK)
 *       puts(bex_flag_kind_name(k));           // "two_identities"
 */
#ifndef BEX_TERMS_H
#define BEX_TERMS_H

#include "bex/bex.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Each enum's codes are never renumbered; 0 is "none" where a value may be absent. *_name
 * returns a static string ("" for 0, "unknown" for a value out of range); *_parse returns
 * BEX_OK and the value, or BEX_ERR_ARG for a name that is none of them. */

/* The biometric outcome of a crossing's capture. */
typedef enum bex_outcome {
    BEX_OUTCOME_NONE = 0,
    BEX_OUTCOME_MATCHED = 1,          /* "matched": verified (document photo, holder's samples,
                                         or a gallery at exit) */
    BEX_OUTCOME_NOT_MATCHED = 2,      /* "not_matched": impostor suspected, document shared, or
                                         nobody found at exit */
    BEX_OUTCOME_ENROLLED = 3,         /* "enrolled": a first face with nothing to compare it with */
    BEX_OUTCOME_NO_PHOTO = 4,         /* "no_photo": the live capture could not be used */
    BEX_OUTCOME_OFFICER_OVERRIDE = 5, /* "officer_override": an officer said who an exit was */
    BEX_OUTCOME_DOCUMENT_PHOTO_UNUSABLE = 6, /* "document_photo_unusable": the document's photo
                                         could not be used and nothing else verified the face */
    BEX_OUTCOME_UNVERIFIED = 7,       /* "unverified": a citizen's entry with no document photo
                                         to compare with (citizens are matched with nothing else) */
} bex_outcome;
#define BEX_OUTCOME_COUNT 8
const char *bex_outcome_name(bex_outcome o);
int bex_outcome_parse(const char *s, bex_outcome *out);

/* What an entry decided: the traveller is admitted, referred to secondary inspection (no
 * admission until an officer decides), or refused (by an officer). Exits have none. */
typedef enum bex_decision {
    BEX_DECISION_NONE = 0,
    BEX_DECISION_ADMITTED = 1,        /* "admitted" */
    BEX_DECISION_REFERRED = 2,        /* "referred" */
    BEX_DECISION_REFUSED = 3,         /* "refused" */
} bex_decision;
#define BEX_DECISION_COUNT 4
const char *bex_decision_name(bex_decision d);
int bex_decision_parse(const char *s, bex_decision *out);

/* A finding for an officer. */
typedef enum bex_flag_kind {
    BEX_FLAG_NONE = 0,
    BEX_FLAG_IMPOSTOR_SUSPECTED = 1,  /* live face vs document photo below the 1:1 threshold */
    BEX_FLAG_TWO_IDENTITIES = 2,      /* the face is on record under other names */
    BEX_FLAG_BIOGRAPHIC_MISMATCH = 3, /* the face is on record with the same names, another birth date */
    BEX_FLAG_DOCUMENT_PROBLEM = 4,    /* failed MRZ check digits, an expired document */
    BEX_FLAG_MANIFEST_MISMATCH = 5,   /* a manifest's names, birth date or number disagree with the record */
    BEX_FLAG_DOCUMENT_SHARED = 6,     /* the document is on record with another face */
    BEX_FLAG_NOT_MATCHED = 7,         /* an exit nobody matched: the capture is kept for review */
    BEX_FLAG_NOT_ON_MANIFEST = 8,     /* boarded a departure whose manifest does not list them */
    BEX_FLAG_DOCUMENT_PHOTO_UNUSABLE = 9, /* a document photo was presented and could not be used */
    BEX_FLAG_NO_PHOTO = 10,           /* a crossing without a usable photo */
    BEX_FLAG_OUTSIDE_DEPARTURE_WINDOW = 11, /* an exit far from its departure's scheduled time */
    BEX_FLAG_GATE_LOG_FORGED = 12,    /* a gate log line refused by bex sync: unknown or revoked
                                         device, a signature that does not verify */
    BEX_FLAG_GATE_LOG_REPLAYED = 13,  /* a gate log line refused by bex sync: its sequence number
                                         was used by another line, or is older than one synced */
    BEX_FLAG_SCORE_DRIFT = 14,        /* live non-mated scores have moved away from the calibration
                                         (bex eval drift): thresholds no longer give their FMR */
    /* an ePassport chip that failed a check (passive_auth.h; rules.h: bex_chip_decide) */
    BEX_FLAG_CHIP_DATA_GROUP_ALTERED = 15, /* a data group's hash differs from the signed one */
    BEX_FLAG_CHIP_SIGNATURE_INVALID = 16,  /* EF.SOD's signature does not verify */
    BEX_FLAG_CHIP_UNKNOWN_SIGNER = 17,     /* no CSCA in the trust store chains the signer */
    BEX_FLAG_CHIP_EXPIRED_SIGNER = 18,     /* the signer or its CSCA outside its validity */
    BEX_FLAG_CHIP_REVOKED = 19,            /* the signer is on its CSCA's revocation list */
    BEX_FLAG_CHIP_MALFORMED = 20,          /* EF.SOD or DG1 cannot be read, or EF.SOD is missing */
    BEX_FLAG_CHIP_MRZ_MISMATCH = 21,       /* the chip's MRZ (DG1) differs from the printed one */
    BEX_FLAG_CHIP_AUTHENTICATION_FAILED = 22, /* the reader reports Active or Chip Authentication
                                              failed: a cloned chip */
    BEX_FLAG_FINGERPRINTS_INCOMPLETE = 23, /* an entry's required fingers neither taken nor
                                              declared missing by the officer (issue 17) */
} bex_flag_kind;
#define BEX_FLAG_KIND_COUNT 24
const char *bex_flag_kind_name(bex_flag_kind k);
int bex_flag_kind_parse(const char *s, bex_flag_kind *out);

/* Active Authentication or Chip Authentication (Doc 9303 Part 11), as a chip reader reports
 * it: bex cannot run them (they need the live chip) and records what it is told. */
typedef enum bex_chip_auth {
    BEX_CHIP_AUTH_NOT_REPORTED = 0, /* "not_reported" */
    BEX_CHIP_AUTH_PASSED = 1,       /* "passed" */
    BEX_CHIP_AUTH_FAILED = 2,       /* "failed" */
    BEX_CHIP_AUTH_NOT_SUPPORTED = 3, /* "not_supported": the chip offers none (no DG15 / DG14) */
} bex_chip_auth;
#define BEX_CHIP_AUTH_COUNT 4
const char *bex_chip_auth_name(bex_chip_auth a);
/* Also parses "not_reported" (which other parsers' "none" value has no name for). */
int bex_chip_auth_parse(const char *s, bex_chip_auth *out);

/* Where a flag stands: open (to be looked at), cleared (no problem), confirmed (a problem),
 * referred (sent on to secondary inspection or another unit). */
typedef enum bex_flag_status {
    BEX_FLAG_STATUS_NONE = 0,
    BEX_FLAG_OPEN = 1,
    BEX_FLAG_CLEARED = 2,
    BEX_FLAG_CONFIRMED = 3,
    BEX_FLAG_REFERRED = 4,
} bex_flag_status;
#define BEX_FLAG_STATUS_COUNT 5
const char *bex_flag_status_name(bex_flag_status s);
int bex_flag_status_parse(const char *s, bex_flag_status *out);

/* The gallery a 1:1 or 1:N decision was taken against. */
typedef enum bex_gallery {
    BEX_GALLERY_NONE = 0,
    BEX_GALLERY_DOCUMENT = 1,   /* "document": the photo of the document presented (1:1) */
    BEX_GALLERY_HOLDER = 2,     /* "holder": the samples on record of that document's holder (1:1) */
    BEX_GALLERY_MANIFEST = 3,   /* "manifest": the travellers the departure's manifest lists */
    BEX_GALLERY_PORT = 4,       /* "port": every departure from the port that day */
    BEX_GALLERY_IN_COUNTRY = 5, /* "in_country": everyone with an open admission */
    BEX_GALLERY_ALL = 6,        /* "all": every enrolled traveller */
} bex_gallery;
#define BEX_GALLERY_COUNT 7
const char *bex_gallery_name(bex_gallery g);
int bex_gallery_parse(const char *s, bex_gallery *out);

/* The overstay rule (and retention presets) in force. */
typedef enum bex_policy {
    BEX_POLICY_US = 0,          /* "us": DHS's admit-until rule; 75-year records */
    BEX_POLICY_EU = 1,          /* "eu": 90 days in any 180 (short stays only); EES's 3 / 5 years */
} bex_policy;
#define BEX_POLICY_COUNT 2
const char *bex_policy_name(bex_policy p);
int bex_policy_parse(const char *s, bex_policy *out);

typedef enum bex_port_kind {
    BEX_PORT_NONE = 0,
    BEX_PORT_AIR = 1,             /* "air" */
    BEX_PORT_SEA = 2,             /* "sea" */
    BEX_PORT_LAND = 3,            /* "land" */
    BEX_PORT_LAND_PEDESTRIAN = 4, /* "land-pedestrian" */
    BEX_PORT_LAND_VEHICLE = 5,    /* "land-vehicle" */
} bex_port_kind;
#define BEX_PORT_KIND_COUNT 6
const char *bex_port_kind_name(bex_port_kind k);
int bex_port_kind_parse(const char *s, bex_port_kind *out);

/* Which way a manifest's voyage goes. */
typedef enum bex_direction {
    BEX_DIRECTION_NONE = 0,
    BEX_DIRECTION_DEPARTURE = 1,  /* "departure" */
    BEX_DIRECTION_ARRIVAL = 2,    /* "arrival" */
} bex_direction;
#define BEX_DIRECTION_COUNT 3
const char *bex_direction_name(bex_direction d);
int bex_direction_parse(const char *s, bex_direction *out);

/* Who is asking (bex serve's API keys; store.h keeps them). */
typedef enum bex_role {
    BEX_ROLE_NONE = 0,
    BEX_ROLE_OFFICER = 1,  /* "officer": crossings, look-ups, flags and case work */
    BEX_ROLE_CARRIER = 2,  /* "carrier": its own departures' boarding decisions and manifests */
    BEX_ROLE_ANALYST = 3,  /* "analyst": aggregate reports */
    BEX_ROLE_AUDITOR = 4,  /* "auditor": the audit trail */
    BEX_ROLE_ADMIN = 5,    /* "admin": keys, retention and settings, not travellers */
} bex_role;
#define BEX_ROLE_COUNT 6
const char *bex_role_name(bex_role r);
int bex_role_parse(const char *s, bex_role *out);

#ifdef __cplusplus
}
#endif
#endif
