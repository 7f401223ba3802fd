/*
 * trust.c - the operator's trust store kept in the record store (trust.h): trust files
 * (CSCAs, CRLs, master lists) verified with passive_auth.h's bex_trust_add before they are
 * stored whole with their SHA-256, listed, withdrawn; and the in-memory trust store the
 * entries verify chips against, built from the files in force and built again when the ids in
 * force differ from those it was built from (rows never change but for removed_at, so the ids
 * say everything).
 */
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bex/trust.h"
#include "store/store_impl.h"
#include "util/util.h"

#define COLS "id, kind, name, sha256, n_csca, n_crl, country, not_after, trusted_list, added_at, added_by, " \
             "removed_at, removed_by"

static void sha256_hex(const uint8_t *d, size_t n, char out[65]) {
    struct sha256_ctx c;
    uint8_t h[32];
    sha256_init(&c);
    sha256_update(&c, n, d);
    sha256_digest(&c, sizeof h, h);
    for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* the name's last component, printable ASCII only, at most 127 bytes; "trust file" if none */
static void base_name(const char *name, char out[128]) {
    const char *b = name ? name : "";
    for (const char *p = b; *p; p++)
        if (*p == '/' || *p == '\\') b = p + 1;
    size_t k = 0;
    for (; *b && k < 127; b++) out[k++] = (*b >= 0x20 && *b < 0x7f) ? *b : '_';
    out[k] = 0;
    if (!k) snprintf(out, 128, "trust file");
}

static void row_info(db_stmt *s, bex_trust_file_info *i) {
    memset(i, 0, sizeof *i);
    i->id = db_column_int64(s, 0);
    st_col_text(s, 1, i->kind, sizeof i->kind);
    st_col_text(s, 2, i->name, sizeof i->name);
    st_col_text(s, 3, i->sha256, sizeof i->sha256);
    i->n_csca = (size_t)db_column_int64(s, 4);
    i->n_crl = (size_t)db_column_int64(s, 5);
    st_col_text(s, 6, i->country, sizeof i->country);
    st_col_text(s, 7, i->not_after, sizeof i->not_after);
    i->trusted_list = db_column_int(s, 8);
    st_col_text(s, 9, i->added_at, sizeof i->added_at);
    st_col_text(s, 10, i->added_by, sizeof i->added_by);
    st_col_text(s, 11, i->removed_at, sizeof i->removed_at);
    st_col_text(s, 12, i->removed_by, sizeof i->removed_by);
}

/* The row of sha (*found 0: none). */
static int row_by_sha(bex_store *st, const char *sha, bex_trust_file_info *i, int *found, char *err, size_t errlen) {
    *found = 0;
    db_stmt *s = st_stmt(st, "SELECT " COLS " FROM trust_files WHERE sha256 = ?1", err, errlen);
    if (!s) return BEX_ERR_IO;
    st_bind_text(s, 1, sha);
    int r = db_step(s);
    if (r == DB_ROW) {
        row_info(s, i);
        *found = 1;
    }
    int rc = r == DB_ROW || r == DB_DONE ? BEX_OK : st_fail(st, "reading the trust files", err, errlen);
    st_release(st, s);
    return rc;
}

/* A trust store of every file in force, and their ids ascending (the caller frees both). */
static int build(bex_store *st, bex_trust_store **out, int64_t **ids_out, size_t *n_out, char *err, size_t errlen) {
    *out = NULL;
    *ids_out = NULL;
    *n_out = 0;
    bex_trust_store *ts;
    int rc = bex_trust_open(&ts, err, errlen);
    if (rc != BEX_OK) return rc;
    db_stmt *s = st_stmt(st, "SELECT id, bytes FROM trust_files WHERE removed_at IS NULL ORDER BY id", err, errlen);
    if (!s) {
        bex_trust_close(ts);
        return BEX_ERR_IO;
    }
    int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    int r;
    while ((r = db_step(s)) == DB_ROW) {
        int64_t id = db_column_int64(s, 0);
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            int64_t *p = bex__realloc(ids, cap * sizeof *p);
            if (!p) {
                rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for the trust files");
                break;
            }
            ids = p;
        }
        ids[n++] = id;
        char what[48], e[256];
        snprintf(what, sizeof what, "trust file %lld", (long long)id);
        /* verified when it was loaded: a master list's signer is not chained again */
        rc = bex_trust_add(ts, db_column_blob(s, 1), (size_t)db_column_bytes(s, 1), what,
                           BEX_TRUST_ML_TRUSTED, 0, e, sizeof e);
        if (rc != BEX_OK) {
            snprintf(err, errlen, "a stored trust file no longer loads: %s", e);
            rc = BEX_ERR_CORRUPT;
            break;
        }
    }
    if (rc == BEX_OK && r != DB_DONE) rc = st_fail(st, "reading the trust files", err, errlen);
    st_release(st, s);
    if (rc != BEX_OK) {
        bex_trust_close(ts);
        bex__free(ids);
        return rc;
    }
    *out = ts;
    *ids_out = ids;
    *n_out = n;
    return BEX_OK;
}

void st_trust_free(bex_store *st) {
    bex_trust_close(st->trust);
    bex__free(st->trust_ids);
    st->trust = NULL;
    st->trust_ids = NULL;
    st->n_trust_ids = 0;
}

/* 1 when the files in force are the ones st->trust was built from */
static int trust_current(bex_store *st, int *same, char *err, size_t errlen) {
    *same = 0;
    if (!st->trust) return BEX_OK;
    db_stmt *s = st_stmt(st, "SELECT id FROM trust_files WHERE removed_at IS NULL ORDER BY id", err, errlen);
    if (!s) return BEX_ERR_IO;
    size_t k = 0;
    int r, differ = 0;
    while (!differ && (r = db_step(s)) == DB_ROW)
        differ = k >= st->n_trust_ids || st->trust_ids[k++] != db_column_int64(s, 0);
    int rc = differ || r == DB_DONE ? BEX_OK : st_fail(st, "reading the trust files", err, errlen);
    st_release(st, s);
    *same = !differ && k == st->n_trust_ids;
    return rc;
}

int bex_store_trust_get(bex_store *st, const bex_trust_store **out, char *err, size_t errlen) {
    if (!st || !out) return bex__fail(err, errlen, BEX_ERR_ARG, "no store or no place for its trust store");
    *out = NULL;
    int same;
    int rc = trust_current(st, &same, err, errlen);
    if (rc != BEX_OK) return rc;
    if (!same) {
        bex_trust_store *ts;
        int64_t *ids;
        size_t n;
        if ((rc = build(st, &ts, &ids, &n, err, errlen)) != BEX_OK) return rc;
        st_trust_free(st);
        st->trust = ts;
        st->trust_ids = ids;
        st->n_trust_ids = n;
    }
    *out = st->trust;
    return BEX_OK;
}

int bex_store_trust_load(bex_store *st, const uint8_t *data, size_t len, const char *name, unsigned flags,
                         int64_t check_time, bex_trust_file_info *info, char *err, size_t errlen) {
    bex_trust_file_info row;
    if (info) memset(info, 0, sizeof *info);
    if (!st || (!data && len)) return bex__fail(err, errlen, BEX_ERR_ARG, "no store or no trust file");
    if (flags & ~BEX_TRUST_ML_TRUSTED) return bex__fail(err, errlen, BEX_ERR_ARG, "unknown trust file flags");
    if (len > BEX_PA_MAX_TRUST_FILE_BYTES)
        return bex__fail(err, errlen, BEX_ERR_LIMIT, "the trust file is larger than %zu bytes", BEX_PA_MAX_TRUST_FILE_BYTES);
    char nm[128], sha[65];
    base_name(name, nm);
    sha256_hex(data, len, sha);
    int found;
    int rc = row_by_sha(st, sha, &row, &found, err, errlen);
    if (rc != BEX_OK) return rc;
    int restoring = found;
    if (found && !row.removed_at[0]) {
        if (info) {
            *info = row;
            info->already = 1;
        }
        return BEX_OK;
    }
    /* what it holds, each part parsed and a master list's signature verified ... */
    bex_trust_file_summary sum;
    if ((rc = bex_trust_describe(data, len, nm, &sum, err, errlen)) != BEX_OK) return rc;
    int trusted = sum.kind == BEX_TRUST_FILE_MASTER_LIST && (flags & BEX_TRUST_ML_TRUSTED);
    /* ... and a master list's signer chained at check_time to a CSCA in force, in a scratch store */
    if (sum.kind == BEX_TRUST_FILE_MASTER_LIST && !trusted) {
        bex_trust_store *scratch;
        int64_t *ids;
        size_t n;
        if ((rc = build(st, &scratch, &ids, &n, err, errlen)) != BEX_OK) return rc;
        bex__free(ids);
        rc = bex_trust_add(scratch, data, len, nm, 0, check_time, err, errlen);
        bex_trust_close(scratch);
        if (rc != BEX_OK) return rc;
    }
    char now[24], na[24];
    bex_time_now(now);
    if (sum.not_after > 0) bex_time_format(sum.not_after, na);
    const char *kind = bex_trust_file_kind_name(sum.kind);
    if ((rc = st_begin(st, err, errlen)) != BEX_OK) return rc;
    db_stmt *s;
    int64_t id = found ? row.id : 0;
    if (found) { /* removed before: in force again */
        s = st_stmt(st, "UPDATE trust_files SET removed_at = NULL, removed_by = NULL, added_at = ?2, added_by = ?3, "
                        "trusted_list = ?4 WHERE id = ?1 AND removed_at IS NOT NULL", err, errlen);
        if (!s) rc = BEX_ERR_IO;
        else {
            db_bind_int64(s, 1, id);
            st_bind_text(s, 2, now);
            st_bind_text(s, 3, st->actor);
            db_bind_int(s, 4, trusted);
            rc = st_step_done(st, s, "restoring the trust file", err, errlen);
        }
    } else {
        s = st_stmt(st, "INSERT INTO trust_files(kind, name, sha256, bytes, n_csca, n_crl, country, not_after, "
                        "trusted_list, added_at, added_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
                        "ON CONFLICT(sha256) DO NOTHING", err, errlen);
        if (!s) rc = BEX_ERR_IO;
        else {
            st_bind_text(s, 1, kind);
            st_bind_text(s, 2, nm);
            st_bind_text(s, 3, sha);
            db_bind_blob(s, 4, data, len);
            db_bind_int64(s, 5, (int64_t)sum.n_csca);
            db_bind_int64(s, 6, (int64_t)sum.n_crl);
            st_bind_text(s, 7, sum.country);
            st_bind_text(s, 8, sum.not_after > 0 ? na : NULL);
            db_bind_int(s, 9, trusted);
            st_bind_text(s, 10, now);
            st_bind_text(s, 11, st->actor);
            rc = st_step_done(st, s, "storing the trust file", err, errlen);
        }
        if (rc == BEX_OK) id = db_last_insert_rowid(st->db);
    }
    /* another process stored (or restored) it since the look-up: already in force */
    int already = rc == BEX_OK && db_changes(st->db) == 0;
    if (rc == BEX_OK && !already) {
        char obj[48], detail[200];
        snprintf(obj, sizeof obj, "trust_file %lld", (long long)id);
        snprintf(detail, sizeof detail, "%s, %zu CSCA, %zu CRL, country %s, sha256 %s%s", kind, sum.n_csca, sum.n_crl,
                 sum.country[0] ? sum.country : "-", sha, trusted ? ", list trusted as given" : "");
        rc = st_audit(st, found ? "trust_restore" : "trust_load", obj, detail, err, errlen);
    }
    rc = bex__end(st, rc, NULL, err, errlen);
    if (rc != BEX_OK) return rc;
    if (info) {
        if ((rc = row_by_sha(st, sha, info, &found, err, errlen)) != BEX_OK) return rc;
        info->already = already;
        info->restored = !already && restoring;
    }
    return BEX_OK;
}

int bex_store_trust_list(bex_store *st, int with_removed, bex_trust_file_info **rows, size_t *n, char *err,
                         size_t errlen) {
    if (!st || !rows || !n) return bex__fail(err, errlen, BEX_ERR_ARG, "no store or no place for the list");
    *rows = NULL;
    *n = 0;
    db_stmt *s = with_removed ? st_stmt(st, "SELECT " COLS " FROM trust_files ORDER BY id", err, errlen)
                                   : st_stmt(st, "SELECT " COLS " FROM trust_files WHERE removed_at IS NULL ORDER BY id",
                                             err, errlen);
    if (!s) return BEX_ERR_IO;
    size_t cap = 0;
    int r, rc = BEX_OK;
    while ((r = db_step(s)) == DB_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            bex_trust_file_info *p = bex__realloc(*rows, cap * sizeof *p);
            if (!p) {
                rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory");
                break;
            }
            *rows = p;
        }
        row_info(s, &(*rows)[(*n)++]);
    }
    if (rc == BEX_OK && r != DB_DONE) rc = st_fail(st, "reading the trust files", err, errlen);
    st_release(st, s);
    if (rc != BEX_OK) {
        bex__free(*rows);
        *rows = NULL;
        *n = 0;
    }
    return rc;
}

int bex_store_trust_remove(bex_store *st, int64_t id, char *err, size_t errlen) {
    if (!st) return bex__fail(err, errlen, BEX_ERR_ARG, "no store");
    char now[24];
    bex_time_now(now);
    int rc = st_begin(st, err, errlen);
    if (rc != BEX_OK) return rc;
    db_stmt *s = st_stmt(st, "UPDATE trust_files SET removed_at = ?2, removed_by = ?3 "
                                  "WHERE id = ?1 AND removed_at IS NULL", err, errlen);
    if (!s) rc = BEX_ERR_IO;
    else {
        db_bind_int64(s, 1, id);
        st_bind_text(s, 2, now);
        st_bind_text(s, 3, st->actor);
        rc = st_step_done(st, s, "removing the trust file", err, errlen);
    }
    if (rc == BEX_OK && db_changes(st->db) == 0)
        rc = bex__fail(err, errlen, BEX_ERR_ARG, "no trust file in force has id %lld", (long long)id);
    if (rc == BEX_OK) {
        char obj[48], detail[120] = "";
        snprintf(obj, sizeof obj, "trust_file %lld", (long long)id);
        s = st_stmt(st, "SELECT kind, sha256 FROM trust_files WHERE id = ?1", err, errlen);
        if (!s) rc = BEX_ERR_IO;
        else {
            db_bind_int64(s, 1, id);
            if (db_step(s) == DB_ROW)
                snprintf(detail, sizeof detail, "%s, sha256 %s", (const char *)db_column_text(s, 0),
                         (const char *)db_column_text(s, 1));
            st_release(st, s);
        }
        if (rc == BEX_OK) rc = st_audit(st, "trust_remove", obj, detail, err, errlen);
    }
    return bex__end(st, rc, NULL, err, errlen);
}
