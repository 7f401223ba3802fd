/*
 * passive_auth.h - passive authentication of an ePassport chip (ICAO Doc 9303 Part 11 and 12):
 * EF.SOD's CMS signature by the Document Signer (DS), the DS certificate chained to a Country
 * Signing CA (CSCA) from a trust store the operator loads, and every data group's hash. Also
 * the chip's MRZ (DG1) against the printed one. OpenSSL's libcrypto does every signature, hash
 * and certificate check (docs/documents.md says why).
 *
 *   bex_trust_store *ts;
 *   char err[256];
 *   bex_trust_open(&ts, err, sizeof err);
 *   bex_trust_load_path(ts, "/etc/bex/csca", 0, check_time, err, sizeof err);  // PEM/DER
 *                                            // CSCAs, CRLs, ICAO master lists, a folder or a file
 *   bex_dg dgs[2] = {{1, dg1, dg1_len}, {2, dg2, dg2_len}};   // each file's raw bytes
 *   bex_pa_result r;
 *   bex_pa_verify(ts, sod, sod_len, dgs, 2, check_time, &r, err, sizeof err);
 *   if (r.outcome != BEX_PA_AUTHENTIC) flag(bex_pa_outcome_name(r.outcome), r.message);
 *   if (bex_pa_check_mrz(dg1, dg1_len, printed_mrz, NULL, 0) == BEX_PA_MRZ_MISMATCH) ...
 *   bex_trust_close(ts);
 *
 * Times are seconds since the epoch (timestamp.h): the caller says when the document is
 * checked, so a result can be reproduced. Messages hold no personal data: no names, no
 * document numbers, only group numbers, algorithms and the signer's country and serial.
 */
#ifndef BEX_PASSIVE_AUTH_H
#define BEX_PASSIVE_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "bex/bex.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Limits on the hostile input. */
#define BEX_PA_MAX_SOD_BYTES ((size_t)64 << 10)    /* EF.SOD, DS certificate included */
#define BEX_PA_MAX_DG 16                            /* data groups 1..16 */
#define BEX_PA_MAX_TRUST_FILE_BYTES ((size_t)32 << 20) /* one CSCA, CRL or master-list file */

/* The outcome of a check. Values and names are stable: they are kept with encounters. */
typedef enum bex_pa_outcome {
    BEX_PA_AUTHENTIC = 0,          /* "authentic" */
    BEX_PA_DATA_GROUP_ALTERED = 1, /* "data_group_altered": a group's hash differs from the
                                    * SOD's, or a group is present that the SOD does not list */
    BEX_PA_SIGNATURE_INVALID = 2,  /* "signature_invalid": the DS signature or the signed
                                    * digest of the security object does not verify */
    BEX_PA_UNKNOWN_SIGNER = 3,     /* "unknown_signer": no CSCA in the store chains the DS */
    BEX_PA_EXPIRED_SIGNER = 4,     /* "expired_signer": DS or CSCA outside its validity at the
                                    * check time */
    BEX_PA_REVOKED = 5,            /* "revoked": the DS is on a CRL of its CSCA */
    BEX_PA_MALFORMED = 6,          /* "malformed": EF.SOD (or DG1) cannot be parsed */
    BEX_PA_MRZ_MISMATCH = 7,       /* "mrz_mismatch": DG1's MRZ differs from the printed one */
} bex_pa_outcome;

/* The stable name above; "unknown" for a value that is none. */
const char *bex_pa_outcome_name(bex_pa_outcome o);

/* ---- the trust store: CSCAs and CRLs in memory ---- */

typedef struct bex_trust_store bex_trust_store;

/* An empty store; free with bex_trust_close. Once loaded, a store may serve bex_pa_verify on
 * several threads at once (it is only read); load it before sharing it. */
int bex_trust_open(bex_trust_store **out, char *err, size_t errlen);
void bex_trust_close(bex_trust_store *ts);

/* A master list is CMS-signed by a Master List Signer, itself issued by a CSCA. By default
 * its signature is verified and its signer must chain to a CSCA already in the store at the
 * check time; with BEX_TRUST_ML_TRUSTED its signature is still verified with the signer
 * certificate it carries (the file is intact) but the signer is not chained: the operator
 * vouches for the file (e.g. fetched from the ICAO PKD over an authenticated channel). */
#define BEX_TRUST_ML_TRUSTED 1u

/* Adds one file's content: a CSCA certificate, a CRL or an ICAO master list, PEM (several
 * blocks allowed) or DER, told apart by content. what (optional) names the source in
 * messages. BEX_ERR_FORMAT for content that is none of these, BEX_ERR_CORRUPT for a master
 * list whose signature or chain does not verify, BEX_ERR_LIMIT beyond
 * BEX_PA_MAX_TRUST_FILE_BYTES. Nothing is added when it fails (except a PEM file's master
 * lists before the failing block: each is added once verified). */
int bex_trust_add(bex_trust_store *ts, const uint8_t *data, size_t len, const char *what,
                  unsigned flags, int64_t check_time, char *err, size_t errlen);
/* bex_trust_add on a file, or on every file of a folder whose name ends in .pem, .crt, .cer,
 * .der, .crl or .ml (case-insensitive; hidden files and others skipped; sorted by name so that
 * a folder's CSCAs can be loaded before master lists they verify: name them accordingly). The
 * first failing file stops the load and is named in err. */
int bex_trust_load_path(bex_trust_store *ts, const char *path, unsigned flags, int64_t check_time,
                        char *err, size_t errlen);

/* What one trust file holds, as bex_trust_add would add it (a master list's signature verified
 * with the certificate it carries; its signer not chained): the record store keeps this beside
 * the file (trust.h). */
typedef enum bex_trust_file_kind {
    BEX_TRUST_FILE_CSCA = 1,        /* "csca": CA certificates (a PEM file's CRLs besides) */
    BEX_TRUST_FILE_CRL = 2,         /* "crl": revocation lists only */
    BEX_TRUST_FILE_MASTER_LIST = 3, /* "master_list": a CMS-signed ICAO master list */
} bex_trust_file_kind;
/* The stable name above; "unknown" for a value that is none. */
const char *bex_trust_file_kind_name(bex_trust_file_kind k);

typedef struct bex_trust_file_summary {
    bex_trust_file_kind kind;
    size_t n_csca, n_crl;  /* what it adds (a certificate twice counted once) */
    char country[4];       /* the country (C=) every CSCA's subject, or every CRL's issuer,
                            * names; "" when they name several or none */
    int64_t not_after;     /* the latest notAfter of its CSCAs; for CRLs alone the latest
                            * nextUpdate; 0 when none */
} bex_trust_file_summary;

/* Classifies and counts data as above. BEX_OK, or bex_trust_add's errors (what names the file
 * in messages). */
int bex_trust_describe(const uint8_t *data, size_t len, const char *what, bex_trust_file_summary *s,
                       char *err, size_t errlen);

/* How many CSCA certificates (master lists' included) and CRLs the store holds. */
void bex_trust_count(const bex_trust_store *ts, size_t *n_csca, size_t *n_crl);

/* ---- verification ---- */

/* One data group file as read from the chip: its number (1..16) and raw bytes (the whole
 * file, tag and length included: what the SOD hashes). */
typedef struct bex_dg {
    int number;
    const uint8_t *data;
    size_t len;
} bex_dg;

typedef struct bex_pa_result {
    bex_pa_outcome outcome;
    int altered_group;        /* the data group for BEX_PA_DATA_GROUP_ALTERED, else 0 */
    char message[256];        /* a sentence for an officer; no personal data */
    char hash_algorithm[12];  /* the SOD's data-group hash: "SHA-256", ...; "" if unparsed */
    char signer_country[4];   /* the DS subject's country (C=), "" if none */
    char issuer_country[4];   /* the DS issuer's (the CSCA's) country */
    char signer_serial[68];   /* the DS certificate's serial number, hex */
    int crl_checked;          /* 1: a CRL of the DS's CSCA was in the store and consulted */
    int n_sod_groups;         /* the groups the SOD lists, ascending */
    int sod_groups[BEX_PA_MAX_DG];
    int n_checked;            /* the groups handed in whose hash matched, ascending */
    int checked[BEX_PA_MAX_DG];
} bex_pa_result;

/* Passive authentication of EF.SOD (the raw file, tag 0x77 around the CMS ContentInfo) and
 * the data groups present. Returns BEX_OK whenever an outcome was reached (r->outcome says
 * which, r->message why; a hostile SOD is BEX_PA_MALFORMED, not an error); BEX_ERR_ARG for a
 * NULL argument, a group number outside 1..16 or a group handed in twice, BEX_ERR_NOMEM.
 * Checks in order, the first failure deciding: parse, signature, chain (unknown signer,
 * revoked, expired), then every group's hash. */
int bex_pa_verify(const bex_trust_store *ts, const uint8_t *sod, size_t sod_len, const bex_dg *dgs,
                  size_t n_dgs, int64_t check_time, bex_pa_result *r, char *err, size_t errlen);

/* DG1's MRZ (tag 0x61 around 0x5F1F) into out as text without line breaks, NUL-terminated.
 * BEX_OK, BEX_ERR_CORRUPT for a DG1 that does not hold one, BEX_ERR_LIMIT if out is short
 * (an MRZ is at most 90 characters). */
int bex_pa_dg1_mrz(const uint8_t *dg1, size_t len, char *out, size_t outlen);

/* Compares DG1's MRZ with the printed MRZ (line breaks, "\r\n" or "\n", and a trailing one
 * ignored; otherwise exact): BEX_PA_AUTHENTIC when they agree, BEX_PA_MRZ_MISMATCH when not,
 * BEX_PA_MALFORMED when DG1 holds no MRZ. message (optional) says which. */
bex_pa_outcome bex_pa_check_mrz(const uint8_t *dg1, size_t len, const char *printed, char *message,
                                size_t msglen);

/* A state's Document Signers are issued by that state's own CSCA (Doc 9303 Part 12): the
 * document's issuing state (3 letters, as in the MRZ: "GBR", "D") against the country of the
 * CSCA that issued its signer (r->issuer_country, ISO 3166-1 alpha-2). BEX_PA_AUTHENTIC when
 * they are one state; BEX_PA_UNKNOWN_SIGNER, with message, when another state's CSCA signed it
 * (every CSCA in a trust store would otherwise vouch for every state's passports) or when the
 * state has no known country code. Call it after bex_pa_verify found the chip authentic. */
bex_pa_outcome bex_pa_check_issuer(const bex_pa_result *r, const char *issuing_state, char *message,
                                   size_t msglen);
/* The ISO 3166-1 alpha-2 code of an ICAO state code (ISO alpha-3 and Doc 9303's own: D, GBD,
 * RKS, EUE, UNO, UTO, ...), or NULL. */
const char *bex_state_alpha2(const char *alpha3);

/* ---- building (tests, tools) ---- */

/* The DER of an LDSSecurityObject (version 0, no LDS version info) over the groups given,
 * hashed with hash ("SHA-1", "SHA-224", "SHA-256", "SHA-384", "SHA-512"): the content a
 * Document Signer signs. *out is the caller's to free with bex_pa_free. */
int bex_pa_build_lds_security_object(const char *hash, const bex_dg *dgs, size_t n_dgs, uint8_t **out,
                                     size_t *out_len, char *err, size_t errlen);
/* EF.SOD for test chips: the LDSSecurityObject signed as CMS SignedData (content type
 * 2.23.136.1.1.1, SHA-256, the signer's certificate included) with the Document Signer's PEM
 * certificate and unencrypted PEM key, wrapped in tag 0x77. *sod: free with bex_pa_free. */
int bex_pa_sign_sod(const uint8_t *lds_so, size_t len, const char *signer_pem, const char *key_pem,
                    uint8_t **sod, size_t *sod_len, char *err, size_t errlen);
/* Frees what bex_pa_build_lds_security_object and bex_pa_sign_sod returned. */
void bex_pa_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
