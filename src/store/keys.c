/*
 * keys.c - API keys for `bex serve` (store.h): made from the kernel's random bytes, kept only
 * as their SHA-256, each with a role and, for a carrier, its carrier code; revoked, listed
 * and checked. Making and revoking keys are audited; a check reads no personal data.
 */
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "store/store_impl.h"
#include "util/util.h"


static void key_hash(const char *key, uint8_t out[32]) {
    struct sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, strlen(key), (const uint8_t *)key);
    sha256_digest(&c, SHA256_DIGEST_SIZE, out);
}

static int carrier_code_ok(const char *c) {
    size_t n = c ? strlen(c) : 0;
    if (n < 2 || n > 3) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((c[i] >= 'A' && c[i] <= 'Z') || (c[i] >= '0' && c[i] <= '9'))) return 0;
    return 1;
}

int bex_store_key_add(bex_store *st, bex_role role, const char *carrier, const char *label, char key_out[65],
                      int64_t *id, char *err, size_t errlen) {
    key_out[0] = 0;
    *id = 0;
    if (role <= BEX_ROLE_NONE || role >= BEX_ROLE_COUNT) {
        snprintf(err, errlen, "a key's role is officer, carrier, analyst, auditor or admin");
        return BEX_ERR_ARG;
    }
    int is_carrier = role == BEX_ROLE_CARRIER;
    if (is_carrier != (carrier != NULL) || (carrier && !carrier_code_ok(carrier))) {
        snprintf(err, errlen, is_carrier ? "a carrier key needs its carrier code (2 or 3 capital letters or digits, "
                                           "as in flight numbers: BA, U2, KLM)"
                                         : "only a carrier key is scoped to a carrier code");
        return BEX_ERR_ARG;
    }
    if (label && strlen(label) > 63) {
        snprintf(err, errlen, "a key's label is at most 63 characters");
        return BEX_ERR_ARG;
    }
    uint8_t raw[32], h[32];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
        snprintf(err, errlen, "the system gave no random bytes for a key");
        return BEX_ERR_IO;
    }
    char key[65];
    for (int i = 0; i < 32; i++) snprintf(key + 2 * i, 3, "%02x", raw[i]);
    key_hash(key, h);
    char now[24];
    bex_time_now(now);
    int rc = st_begin(st, err, errlen);
    if (rc != BEX_OK) return rc;
    db_stmt *s = st_prep(st, "INSERT INTO api_keys(hash, role, carrier, label, created_at) "
                                  "VALUES (?1, ?2, ?3, ?4, ?5)", err, errlen);
    if (!s) rc = BEX_ERR_IO;
    else {
        db_bind_blob(s, 1, h, 32);
        st_bind_text(s, 2, bex_role_name(role));
        st_bind_text(s, 3, carrier);
        st_bind_text(s, 4, label ? label : "");
        st_bind_text(s, 5, now);
        rc = st_step_done(st, s, "storing the key", err, errlen);
    }
    int64_t kid = db_last_insert_rowid(st->db);
    if (rc == BEX_OK) {
        char obj[48], detail[64];
        snprintf(obj, sizeof obj, "key %lld", (long long)kid);
        snprintf(detail, sizeof detail, "role %s%s%s", bex_role_name(role), carrier ? " carrier " : "", carrier ? carrier : "");
        rc = st_audit(st, "key_add", obj, detail, err, errlen);
    }
    rc = bex__end(st, rc, NULL, err, errlen);
    if (rc != BEX_OK) return rc;
    memcpy(key_out, key, 65);
    *id = kid;
    return BEX_OK;
}

int bex_store_key_revoke(bex_store *st, int64_t id, char *err, size_t errlen) {
    char now[24];
    bex_time_now(now);
    int rc = st_begin(st, err, errlen);
    if (rc != BEX_OK) return rc;
    db_stmt *s = st_prep(st, "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL", err,
                              errlen);
    if (!s) rc = BEX_ERR_IO;
    else {
        db_bind_int64(s, 1, id);
        st_bind_text(s, 2, now);
        rc = st_step_done(st, s, "revoking the key", err, errlen);
    }
    if (rc == BEX_OK && db_changes(st->db) == 0) {
        snprintf(err, errlen, "no valid key with that id");
        rc = BEX_ERR_ARG;
    }
    if (rc == BEX_OK) {
        char obj[48];
        snprintf(obj, sizeof obj, "key %lld", (long long)id);
        rc = st_audit(st, "key_revoke", obj, "", err, errlen);
    }
    return bex__end(st, rc, NULL, err, errlen);
}

static void row_to_key(db_stmt *s, bex_api_key *k) {
    memset(k, 0, sizeof *k);
    k->id = db_column_int64(s, 0);
    const char *f[5];
    for (int i = 0; i < 5; i++) {
        f[i] = (const char *)db_column_text(s, 1 + i);
        if (!f[i]) f[i] = "";
    }
    if (bex_role_parse(f[0], &k->role) != BEX_OK) k->role = BEX_ROLE_NONE;
    snprintf(k->carrier, sizeof k->carrier, "%s", f[1]);
    snprintf(k->label, sizeof k->label, "%s", f[2]);
    snprintf(k->created_at, sizeof k->created_at, "%s", f[3]);
    snprintf(k->revoked_at, sizeof k->revoked_at, "%s", f[4]);
}

int bex_store_key_list(bex_store *st, bex_api_key **keys, size_t *n, char *err, size_t errlen) {
    *keys = NULL;
    *n = 0;
    db_stmt *s = st_prep(st, "SELECT id, role, carrier, label, created_at, revoked_at FROM api_keys ORDER BY id",
                              err, errlen);
    if (!s) return BEX_ERR_IO;
    size_t cap = 0;
    int r, rc = BEX_OK;
    while ((r = db_step(s)) == DB_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            bex_api_key *k = bex__realloc(*keys, cap * sizeof *k);
            if (!k) {
                snprintf(err, errlen, "out of memory");
                rc = BEX_ERR_NOMEM;
                break;
            }
            *keys = k;
        }
        row_to_key(s, &(*keys)[(*n)++]);
    }
    if (rc == BEX_OK && r != DB_DONE) rc = st_fail(st, "reading keys", err, errlen);
    db_finalize(s);
    if (rc != BEX_OK) {
        bex__free(*keys);
        *keys = NULL;
        *n = 0;
    }
    return rc;
}

int bex_store_key_check(bex_store *st, const char *key, bex_api_key *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (!key || strlen(key) != 64) {
        snprintf(err, errlen, "no valid API key");
        return BEX_ERR_ARG;
    }
    uint8_t h[32];
    key_hash(key, h);
    db_stmt *s = st_prep(st, "SELECT id, role, carrier, label, created_at, revoked_at FROM api_keys "
                                  "WHERE hash = ?1 AND revoked_at IS NULL", err, errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_blob(s, 1, h, 32);
    int r = db_step(s), rc = BEX_OK;
    if (r == DB_ROW) row_to_key(s, out);
    else if (r == DB_DONE) {
        snprintf(err, errlen, "no valid API key");
        rc = BEX_ERR_ARG;
    } else {
        rc = st_fail(st, "reading keys", err, errlen);
    }
    db_finalize(s);
    return rc;
}
