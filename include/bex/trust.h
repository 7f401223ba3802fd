/*
 * trust.h - the operator's trust store for passive authentication kept in the record store
 * (store.h): CSCA certificates, CRLs and ICAO master lists, each file verified when loaded
 * (passive_auth.h's bex_trust_add), stored whole with its SHA-256 and audited; removed (a
 * compromised CSCA withdrawn) with when and by whom. Every process builds the same in-memory
 * trust store from the live files.
 *
 *   bex_trust_file_info info;
 *   bex_store_trust_load(st, data, len, "DE_ML.ml", 0, now, &info, err, sizeof err);
 *   const bex_trust_store *ts;
 *   bex_store_trust_get(st, &ts, err, sizeof err);      // under the store's lock
 *   bex_pa_verify(ts, sod, sod_len, dgs, n, now, &r, err, sizeof err);
 *
 * Like every store call, these run on one thread at a time per handle.
 */
#ifndef BEX_TRUST_H
#define BEX_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include "bex/passive_auth.h"
#include "bex/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One stored trust file (its bytes are not copied out). */
typedef struct bex_trust_file_info {
    int64_t id;
    char kind[12];        /* "csca", "crl" or "master_list" (bex_trust_file_kind_name) */
    char name[128];       /* the file's base name as loaded */
    char sha256[65];      /* of its bytes, hex */
    size_t n_csca, n_crl; /* what it adds to the trust store */
    char country[4];      /* the country its CSCAs (or CRLs) name; "" for several */
    char not_after[24];   /* the latest notAfter of its CSCAs (CRLs alone: nextUpdate); "" none */
    int trusted_list;     /* 1: a master list loaded with BEX_TRUST_ML_TRUSTED */
    char added_at[24], added_by[64];
    char removed_at[24], removed_by[64]; /* "" while in force */
    int already;          /* bex_store_trust_load: in force before the call, nothing added */
    int restored;         /* bex_store_trust_load: it had been removed and is in force again */
} bex_trust_file_info;

/* Verifies one trust file (data, len: a CSCA certificate, CRLs or a master list, PEM or DER)
 * and stores it in one transaction with its audit entry (the store's actor). A master list's
 * signature is verified and its signer chained at check_time to a CSCA already in force
 * (flags BEX_TRUST_ML_TRUSTED: the signer is not chained; the operator vouches for the file).
 * name: the file's name (a path's folders are dropped). A file already in force: BEX_OK,
 * info->already, nothing written; one removed before is in force again (info->restored,
 * audited). A file refused adds nothing: bex_trust_add's statuses (BEX_ERR_FORMAT not a trust
 * file, BEX_ERR_CORRUPT a master list that does not verify, BEX_ERR_LIMIT too large). info
 * (optional) describes the row. */
int bex_store_trust_load(bex_store *st, const uint8_t *data, size_t len, const char *name, unsigned flags,
                         int64_t check_time, bex_trust_file_info *info, char *err, size_t errlen);

/* The stored files, oldest first (with_removed 0: those in force only); *rows is the caller's
 * to free() (NULL when none). */
int bex_store_trust_list(bex_store *st, int with_removed, bex_trust_file_info **rows, size_t *n, char *err,
                         size_t errlen);

/* Withdraws a file in force (removed_at set, audited): its certificates and CRLs leave the
 * trust store. BEX_ERR_ARG when no file in force has that id. */
int bex_store_trust_remove(bex_store *st, int64_t id, char *err, size_t errlen);

/* The store's trust store: every file in force added (master lists as BEX_TRUST_ML_TRUSTED:
 * they were verified when loaded). Owned by the handle: valid until the next
 * bex_store_trust_get or bex_store_close on it (which frees it); built again when the files in force changed since (another
 * process may have loaded or removed one). No files: an empty trust store (every chip is then
 * unknown_signer), not an error. A service keeps the store's lock until bex_pa_verify has
 * returned: another thread's call may build it again and free this one. */
int bex_store_trust_get(bex_store *st, const bex_trust_store **out, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
