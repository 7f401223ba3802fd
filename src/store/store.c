/*
 * store.c - the record store's handle: opening and migrating the SQLite file, the statement
 * cache, transactions that keep the 1:N index in step with what committed, the hash-chained
 * audit log, settings and retention periods as kept. What the border rules read and write is
 * in records.c, manifests in manifest.c, reports in report.c, keys in keys.c; the schema is in
 * sql/NNN_*.sql.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bex/model.h"
#include "store/store_impl.h"
#include "util/util.h"

typedef struct migration {
    int version;
    const char *name;
    const char *sql;
} migration;

static const migration migrations[] = {
#include "migrations.inc"
};
#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

/* ---- SQLite helpers ---- */

int st_fail(bex_store *st, const char *what, char *err, size_t errlen) {
    int code = st && st->db ? sqlite3_errcode(st->db) : SQLITE_ERROR;
    const char *msg = st && st->db ? sqlite3_errmsg(st->db) : "no database";
    int rc = BEX_ERR_IO;
    /* a write that found no space is SQLITE_FULL, or an I/O error whose errno says so */
    if ((code & 0xff) == SQLITE_IOERR && st && st->db && sqlite3_system_errno(st->db) == ENOSPC) code = SQLITE_FULL;
    switch (code & 0xff) {
    case SQLITE_FULL:
        snprintf(err, errlen, "%s: the disk, or the store's size limit, is full; nothing was written (free space "
                 "or raise the limit, then send it again)", what);
        return BEX_ERR_FULL;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        snprintf(err, errlen, "%s: the database is locked by another process; try again", what);
        return BEX_ERR_BUSY;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        rc = BEX_ERR_CORRUPT;
        break;
    case SQLITE_NOMEM:
        rc = BEX_ERR_NOMEM;
        break;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
        rc = BEX_ERR_ARG;
        break;
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_PERM:
        rc = BEX_ERR_IO;
        break;
    default:
        break;
    }
    snprintf(err, errlen, "%s: %s", what, msg);
    return rc;
}

int st_exec(bex_store *st, const char *sql, const char *what, char *err, size_t errlen) {
    if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) return st_fail(st, what, err, errlen);
    return BEX_OK;
}

sqlite3_stmt *st_prep(bex_store *st, const char *sql, char *err, size_t errlen) {
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
        st_fail(st, "preparing a query", err, errlen);
        sqlite3_finalize(s);
        return NULL;
    }
    return s;
}

sqlite3_stmt *st_stmt(bex_store *st, const char *sql, char *err, size_t errlen) {
    for (int i = 0; i < st->n_cache; i++)
        if (st->cache[i].sql == sql) return st->cache[i].s;
    sqlite3_stmt *s = st_prep(st, sql, err, errlen);
    if (s && st->n_cache < ST_CACHE) {
        st->cache[st->n_cache].sql = sql;
        st->cache[st->n_cache++].s = s;
    }
    return s;
}

void st_release(bex_store *st, sqlite3_stmt *s) {
    if (!s) return;
    for (int i = 0; i < st->n_cache; i++)
        if (st->cache[i].s == s) {
            sqlite3_reset(s);
            sqlite3_clear_bindings(s);
            return;
        }
    sqlite3_finalize(s);
}

int st_step_done(bex_store *st, sqlite3_stmt *s, const char *what, char *err, size_t errlen) {
    int r = sqlite3_step(s);
    int rc = r == SQLITE_DONE ? BEX_OK : st_fail(st, what, err, errlen);
    st_release(st, s);
    return rc;
}

void st_bind_text(sqlite3_stmt *s, int i, const char *v) {
    if (v) sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(s, i);
}

void st_bind_id(sqlite3_stmt *s, int i, int64_t v) {
    if (v) sqlite3_bind_int64(s, i, v);
    else sqlite3_bind_null(s, i);
}

void st_col_text(sqlite3_stmt *s, int i, char *dst, size_t n) {
    const unsigned char *t = sqlite3_column_text(s, i);
    snprintf(dst, n, "%s", t ? (const char *)t : "");
}

int st_query_int(bex_store *st, const char *sql, const char *p1, int64_t i2, int64_t dflt,
                 int64_t *out, char *err, size_t errlen) {
    sqlite3_stmt *s = st_stmt(st, sql, err, errlen);
    if (!s) return BEX_ERR_IO;
    if (sqlite3_bind_parameter_count(s) >= 1) st_bind_text(s, 1, p1);
    if (sqlite3_bind_parameter_count(s) >= 2) sqlite3_bind_int64(s, 2, i2);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) *out = sqlite3_column_type(s, 0) == SQLITE_NULL ? dflt : sqlite3_column_int64(s, 0);
    else if (r == SQLITE_DONE) *out = dflt;
    int rc = (r == SQLITE_ROW || r == SQLITE_DONE) ? BEX_OK : st_fail(st, "reading the store", err, errlen);
    st_release(st, s);
    return rc;
}

/* ---- transactions and the index ---- */

int st_begin(bex_store *st, char *err, size_t errlen) {
    st->n_pending = 0;
    st->drop_index = 0;
    return st_exec(st, "BEGIN IMMEDIATE", "starting a transaction", err, errlen);
}

void st_set_index(bex_store *st, bex_index *x) {
    pthread_rwlock_wrlock(&st->ix_lock);
    bex_index *old = st->ix;
    st->ix = x;
    st->ix_gen++;
    pthread_rwlock_unlock(&st->ix_lock);
    if (old != x) bex_index_close(old);
}

static void apply_pending(bex_store *st) {
    if (st->drop_index) st_set_index(st, NULL);
    if (!st->ix) {
        st->n_pending = 0;
        return;
    }
    char e[128];
    for (size_t i = 0; i < st->n_pending; i++) {
        st_pending *p = &st->pending[i];
        int rc = p->subject < 0 ? bex_index_remove(st->ix, p->sample, e, sizeof e)
                                : bex_index_add(st->ix, p->sample, p->subject, p->vec, e, sizeof e);
        if (rc != BEX_OK && rc != BEX_ERR_ARG) { /* out of memory: rebuild from the file next time */
            st_set_index(st, NULL);
            break;
        }
    }
    st->n_pending = 0;
}

static int st_commit(bex_store *st, char *err, size_t errlen) {
    int rc = st_exec(st, "COMMIT", "committing", err, errlen);
    if (rc != BEX_OK) {
        st_rollback(st);
        return rc;
    }
    apply_pending(st);
    return BEX_OK;
}

int bex__begin(bex_store *st, char *err, size_t errlen) { return st_begin(st, err, errlen); }

int bex__end(bex_store *st, int rc, const char *fault, char *err, size_t errlen) {
    if (rc != BEX_OK) {
        st_rollback(st);
        return rc;
    }
    if (fault) bex__fault_point(fault);
    return st_commit(st, err, errlen);
}

int bex__audit(bex_store *st, const char *action, const char *object, const char *detail, char *err,
               size_t errlen) {
    return st_audit(st, action, object, detail, err, errlen);
}


void st_rollback(bex_store *st) {
    if (!sqlite3_get_autocommit(st->db)) sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    st->n_pending = 0;
    st->drop_index = 0;
}

int st_pending_add(bex_store *st, int64_t sample, int64_t subject, const float *vec) {
    if (st->n_pending == st->cap_pending) {
        size_t cap = st->cap_pending ? st->cap_pending * 2 : 8;
        st_pending *p = bex__realloc(st->pending, cap * sizeof *p);
        if (!p) return BEX_ERR_NOMEM;
        st->pending = p;
        st->cap_pending = cap;
    }
    st_pending *p = &st->pending[st->n_pending++];
    p->sample = sample;
    p->subject = subject;
    if (vec) memcpy(p->vec, vec, sizeof(float) * (size_t)st->dim);
    return BEX_OK;
}

int st_index(bex_store *st, bex_index **ix, char *err, size_t errlen) {
    int64_t version;
    int rc = st_query_int(st, "PRAGMA data_version", NULL, 0, 0, &version, err, errlen);
    if (rc != BEX_OK) return rc;
    if (st->ix && version != st->index_version) /* another process wrote: read it all again */
        st_set_index(st, NULL);
    if (st->ix) {
        *ix = st->ix;
        return BEX_OK;
    }
    st->index_version = version;
    bex_index *x;
    /* int8: 132 bytes a template against float32's 512, so a scan reads a quarter of the
     * memory (for 128 floats); bex__search re-scores the best candidates from the float32 templates in the
     * file, so the scores it returns, and the decisions taken on them, are exact. */
    rc = bex_index_open_model(st->dim, BEX_INDEX_INT8, st->model, &x, err, errlen);
    if (rc != BEX_OK) return rc;
    if (st->search_threads > 0 && (rc = bex_index_set_threads(x, st->search_threads, err, errlen)) != BEX_OK) {
        bex_index_close(x);
        return rc;
    }
    sqlite3_stmt *s = st_prep(st,
        "SELECT s.id, s.subject_id, s.template FROM samples s JOIN subjects p ON p.id = s.subject_id "
        "WHERE p.citizen = 0 AND s.citizen = 0 AND s.modality = 'face' AND s.model = ?1", err, errlen);
    if (!s) {
        bex_index_close(x);
        return BEX_ERR_IO;
    }
    st_bind_text(s, 1, st->model);
    int r;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(s, 2) != TEMPLATE_BYTES(st)) continue;
        rc = bex_index_add(x, sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
                           (const float *)sqlite3_column_blob(s, 2), err, errlen);
        if (rc != BEX_OK) break;
    }
    if (rc == BEX_OK && r != SQLITE_DONE) rc = st_fail(st, "loading the face samples", err, errlen);
    sqlite3_finalize(s);
    if (rc != BEX_OK) {
        bex_index_close(x);
        return rc;
    }
    st_set_index(st, x);
    *ix = x;
    return BEX_OK;
}

struct bex_store_scan {
    uint64_t gen;
    bex_index_scan *scan;
};

int bex_store_prescan(bex_store *st, const float *probe, int dim, bex_store_scan **out, char *err, size_t errlen) {
    if (!st || !probe || !out) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_store_prescan: NULL argument");
    *out = NULL;
    int rc0 = bex_store_template_check(st, NULL, dim, err, errlen);
    if (rc0 != BEX_OK) return rc0;
    bex_store_scan *p = bex__calloc(1, sizeof *p);
    if (!p) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for the search");
    int rc = BEX_OK;
    pthread_rwlock_rdlock(&st->ix_lock);
    if (st->ix) {
        p->gen = st->ix_gen;
        rc = bex_index_scan_exact(st->ix, probe, 5, &p->scan, err, errlen);
    }
    pthread_rwlock_unlock(&st->ix_lock);
    if (rc != BEX_OK || !p->scan) { /* no index yet: the search under the lock builds it */
        bex__free(p);
        return rc;
    }
    *out = p;
    return BEX_OK;
}

void bex_store_scan_free(bex_store_scan *p) {
    if (!p) return;
    bex_index_scan_free(p->scan);
    bex__free(p);
}

const bex_index_scan *st_prescan_of(const bex_store *st, const bex_store_scan *p) {
    return p && p->gen == st->ix_gen ? p->scan : NULL;
}

/* ---- the audit log ---- */

/* The audit hash of a row after prev. Version 2 (schema 6 on) marks where each field ends: a
 * tag, then the sequence number and each field's length as 8 big-endian bytes before its bytes.
 * Version 1 (rows written before schema 6) joined the fields with '|', which a '|' inside a
 * field made ambiguous; it is kept only to verify those rows. */
#define AUDIT_HASH_V2 2
static void put_be64(struct sha256_ctx *c, uint64_t v) {
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (56 - 8 * i));
    sha256_update(c, 8, b);
}

static void audit_hash(int version, const uint8_t prev[32], long long seq, const char *at, const char *actor,
                       const char *action, const char *object, const char *detail, uint8_t out[32]) {
    struct sha256_ctx c;
    sha256_init(&c);
    const char *parts[5] = {at, actor, action, object, detail};
    if (version == AUDIT_HASH_V2) {
        static const char tag[] = "bex audit v2";
        sha256_update(&c, sizeof tag, (const uint8_t *)tag); /* with its NUL */
        sha256_update(&c, 32, prev);
        put_be64(&c, (uint64_t)seq);
        for (int i = 0; i < 5; i++) {
            size_t n = strlen(parts[i]);
            put_be64(&c, (uint64_t)n);
            sha256_update(&c, n, (const uint8_t *)parts[i]);
        }
    } else {
        sha256_update(&c, 32, prev);
        char num[32];
        int n = snprintf(num, sizeof num, "%lld", seq);
        sha256_update(&c, (size_t)n, (const uint8_t *)num);
        for (int i = 0; i < 5; i++) {
            sha256_update(&c, 1, (const uint8_t *)"|");
            sha256_update(&c, strlen(parts[i]), (const uint8_t *)parts[i]);
        }
    }
    sha256_digest(&c, SHA256_DIGEST_SIZE, out);
}

int st_audit(bex_store *st, const char *action, const char *object, const char *detail, char *err,
             size_t errlen) {
    uint8_t prev[32] = {0}, hash[32];
    long long seq = 1;
    sqlite3_stmt *s = st_stmt(st, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", err, errlen);
    if (!s) return BEX_ERR_IO;
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        seq = sqlite3_column_int64(s, 0) + 1;
        if (sqlite3_column_bytes(s, 1) == 32) memcpy(prev, sqlite3_column_blob(s, 1), 32);
    }
    st_release(st, s);
    if (r != SQLITE_ROW && r != SQLITE_DONE) return st_fail(st, "reading the audit log", err, errlen);
    char at[24];
    bex_time_now(at);
    int v2 = st->audit_version == AUDIT_HASH_V2;
    audit_hash(st->audit_version, prev, seq, at, st->actor, action, object, detail, hash);
    s = v2 ? st_stmt(st, "INSERT INTO audit(seq, at, actor, action, object, detail, prev, hash, hash_version) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 2)", err, errlen)
           : st_stmt(st, "INSERT INTO audit(seq, at, actor, action, object, detail, prev, hash) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", err, errlen);
    if (!s) return BEX_ERR_IO;
    sqlite3_bind_int64(s, 1, seq);
    st_bind_text(s, 2, at);
    st_bind_text(s, 3, st->actor);
    st_bind_text(s, 4, action);
    st_bind_text(s, 5, object);
    st_bind_text(s, 6, detail);
    sqlite3_bind_blob(s, 7, prev, 32, SQLITE_TRANSIENT);
    sqlite3_bind_blob(s, 8, hash, 32, SQLITE_TRANSIENT);
    return st_step_done(st, s, "writing the audit log", err, errlen);
}

int bex_store_audit(bex_store *st, const char *action, const char *object, const char *detail,
                    char *err, size_t errlen) {
    int rc = st_begin(st, err, errlen);
    if (rc == BEX_OK) rc = st_audit(st, action, object, detail ? detail : "", err, errlen);
    return bex__end(st, rc, NULL, err, errlen);
}

int bex_store_audit_verify(bex_store *st, const char *known_head, long long *entries,
                           long long *first_bad, int *head_found, char head[65], char *err,
                           size_t errlen) {
    *head_found = 0;
    *entries = 0;
    *first_bad = 0;
    head[0] = 0;
    sqlite3_stmt *s = st_prep(st, "SELECT seq, at, actor, action, object, detail, prev, hash, hash_version "
                                  "FROM audit ORDER BY seq", err, errlen);
    if (!s) return BEX_ERR_IO;
    uint8_t prev[32] = {0}, h[32];
    long long expect = 1;
    int r, seen_v2 = 0;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        long long seq = sqlite3_column_int64(s, 0);
        int version = sqlite3_column_int(s, 8);
        const char *f[5];
        for (int i = 0; i < 5; i++) {
            f[i] = (const char *)sqlite3_column_text(s, 1 + i);
            if (!f[i]) f[i] = "";
        }
        /* once the chain is at version 2 it stays there: a version-1 row after it is a downgrade */
        int ok = seq == expect && sqlite3_column_bytes(s, 6) == 32 && sqlite3_column_bytes(s, 7) == 32 &&
                 !memcmp(sqlite3_column_blob(s, 6), prev, 32) && (version == AUDIT_HASH_V2 || !seen_v2);
        seen_v2 |= version == AUDIT_HASH_V2;
        audit_hash(version, prev, seq, f[0], f[1], f[2], f[3], f[4], h);
        if (ok) ok = !memcmp(sqlite3_column_blob(s, 7), h, 32);
        if (!ok && !*first_bad) *first_bad = expect;
        /* go on from the stored hash, so one bad entry is reported once */
        if (sqlite3_column_bytes(s, 7) == 32) memcpy(prev, sqlite3_column_blob(s, 7), 32);
        else memcpy(prev, h, 32);
        if (known_head && !*head_found) {
            char hex[65];
            for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", prev[i]);
            *head_found = !strcmp(hex, known_head);
        }
        expect = seq + 1;
        (*entries)++;
    }
    sqlite3_finalize(s);
    if (r != SQLITE_DONE) return st_fail(st, "reading the audit log", err, errlen);
    if (*entries)
        for (int i = 0; i < 32; i++) snprintf(head + 2 * i, 3, "%02x", prev[i]);
    return BEX_OK;
}

/* ---- open, migrate, close ---- */

void bex_store_options_default(bex_store_options *o) {
    memset(o, 0, sizeof *o);
    o->align = BEX_ALIGN_DEFAULT;
    o->fmr = BEX_DEFAULT_FMR;
    o->fpir = BEX_DEFAULT_FPIR;
}

static int migrate(bex_store *st, char *err, size_t errlen) {
    int64_t v;
    int rc = st_query_int(st, "PRAGMA user_version", NULL, 0, 0, &v, err, errlen);
    if (rc != BEX_OK) return rc;
    int newest = migrations[N_MIGRATIONS - 1].version;
    st->audit_version = v >= 6 ? AUDIT_HASH_V2 : 1;
    if (v > newest) {
        snprintf(err, errlen, "the store is at schema version %lld, newer than this bex knows (%d): "
                 "use a newer bex", (long long)v, newest);
        return BEX_ERR_UNSUPPORTED;
    }
    if (v == 0) { /* an empty file, or some other SQLite database? */
        int64_t tables;
        rc = st_query_int(st, "SELECT count(*) FROM sqlite_master", NULL, 0, 0, &tables, err, errlen);
        if (rc != BEX_OK) return rc;
        if (tables > 0) {
            snprintf(err, errlen, "the file is an SQLite database but not a bex store (it has tables "
                     "and no bex schema version): open a bex store, or a new file");
            return BEX_ERR_FORMAT;
        }
    }
    /* Foreign keys are off while migrations run (SQLite cannot rebuild a table that others
     * reference otherwise: a DROP would cascade) and are checked before each commits. */
    if (v < newest && (rc = st_exec(st, "PRAGMA foreign_keys = OFF", "migrating", err, errlen)) != BEX_OK) return rc;
    for (int i = 0; i < N_MIGRATIONS && rc == BEX_OK; i++) {
        if (migrations[i].version <= v) continue;
        if ((rc = st_begin(st, err, errlen)) != BEX_OK) break;
        char what[96], pragma[48];
        snprintf(what, sizeof what, "applying migration %s", migrations[i].name);
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", migrations[i].version);
        rc = st_exec(st, migrations[i].sql, what, err, errlen);
        if (rc == BEX_OK) rc = st_exec(st, pragma, what, err, errlen);
        if (rc == BEX_OK) {
            sqlite3_stmt *fk = st_prep(st, "PRAGMA foreign_key_check", err, errlen);
            int r = fk ? sqlite3_step(fk) : SQLITE_ERROR;
            if (r == SQLITE_ROW) {
                snprintf(err, errlen, "%s: table %s breaks a foreign key; nothing was changed", what,
                         (const char *)sqlite3_column_text(fk, 0));
                rc = BEX_ERR_CORRUPT;
            } else if (r != SQLITE_DONE) {
                rc = fk ? st_fail(st, what, err, errlen) : BEX_ERR_IO;
            }
            sqlite3_finalize(fk);
        }
        if (rc == BEX_OK) {
            char obj[64];
            snprintf(obj, sizeof obj, "schema %d", migrations[i].version);
            /* schema 6's own row is the first with the version-2 hash (006_audit_fields.sql) */
            st->audit_version = migrations[i].version >= 6 ? AUDIT_HASH_V2 : 1;
            rc = st_audit(st, "migrate", obj, migrations[i].name, err, errlen);
        }
        rc = bex__end(st, rc, NULL, err, errlen);
    }
    char e2[128];
    if (v < newest && st_exec(st, "PRAGMA foreign_keys = ON", "migrating", e2, sizeof e2) != BEX_OK && rc == BEX_OK) {
        snprintf(err, errlen, "%s", e2);
        rc = BEX_ERR_IO;
    }
    return rc;
}

int bex_store_open(const char *path, const bex_store_options *opt, bex_store **out, char *err,
                   size_t errlen) {
    *out = NULL;
    bex_store_options dflt;
    if (!opt) {
        bex_store_options_default(&dflt);
        opt = &dflt;
    }
    if (!path || !*path) {
        snprintf(err, errlen, "no database file given");
        return BEX_ERR_ARG;
    }
    bex_store *st = bex__calloc(1, sizeof *st);
    if (!st) {
        snprintf(err, errlen, "out of memory");
        return BEX_ERR_NOMEM;
    }
    pthread_rwlock_init(&st->ix_lock, NULL);
    st->search_threads = opt->search_threads > 0 && opt->search_threads <= 16 ? opt->search_threads : 0;
    snprintf(st->actor, sizeof st->actor, "%s", opt->actor && *opt->actor ? opt->actor : "unknown");
    st->align = opt->align;
    st->fmr = opt->fmr > 0 ? opt->fmr : BEX_DEFAULT_FMR;
    st->fpir = opt->fpir > 0 ? opt->fpir : BEX_DEFAULT_FPIR;
    if (opt->model && !bex_model_is_builtin(opt->model->identity)) {
        if (!opt->model->identity[0] || opt->model->embedding < 1 || opt->model->embedding > BEX_TEMPLATE_MAX_DIM) {
            snprintf(err, errlen, "the store's model is not loaded (no identity) or its embedding is not 1 to %d floats",
                     BEX_TEMPLATE_MAX_DIM);
            bex__free(st);
            return BEX_ERR_ARG;
        }
        st->desc = *opt->model;
        snprintf(st->model, sizeof st->model, "%s", opt->model->identity);
        st->dim = opt->model->embedding;
    } else {
        snprintf(st->model, sizeof st->model, "%s", bex_model_builtin_identity(st->align == BEX_ALIGN_FACEAPI));
        st->dim = BEX_TEMPLATE_DIM;
        st->builtin = 1;
    }
    int rc = bex_operating_point_verify(st->align, st->fmr, &st->verify_op, err, errlen);
    if (rc != BEX_OK) {
        bex__free(st);
        return rc;
    }
    if (opt->must_exist && access(path, F_OK) != 0) {
        snprintf(err, errlen, "no such file: there is no store here yet (a store is made by its first entry, enrolment or manifest)");
        bex__free(st);
        return BEX_ERR_IO;
    }
    /* A new store is made readable and writable by its owner alone: it holds faces, names and
     * documents. SQLite gives the WAL and shared-memory files the database file's mode. An
     * existing file keeps the mode its operator gave it. */
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) close(fd);
    if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        char what[256];
        snprintf(what, sizeof what, "cannot open %s", path);
        rc = st_fail(st, what, err, errlen);
        bex_store_close(st);
        return rc;
    }
    sqlite3_busy_timeout(st->db, 10000);
    sqlite3_extended_result_codes(st->db, 1);
    /* WAL: readers never wait for the writer; FULL: a commit is on disk when COMMIT returns */
    char what[256];
    snprintf(what, sizeof what, "%s is no usable bex store", path);
    rc = st_exec(st, "PRAGMA foreign_keys = ON", what, err, errlen);
    if (rc == BEX_OK) rc = st_exec(st, "SELECT count(*) FROM sqlite_master", what, err, errlen);
    if (rc == BEX_OK)
        rc = st_exec(st, opt->synchronous_off ? "PRAGMA synchronous = OFF" : "PRAGMA synchronous = FULL",
                     what, err, errlen);
    if (rc == BEX_OK) rc = migrate(st, err, errlen);
    /* only once the file is known to be a bex store: journal_mode is written into the file, and
     * a refused file (another program's database, a newer bex's store) is left as it was */
    if (rc == BEX_OK) rc = st_exec(st, "PRAGMA journal_mode = WAL", what, err, errlen);
    if (rc == BEX_OK && opt->max_bytes > 0) { /* a page count; never below what the file has now */
        int64_t page;
        rc = st_query_int(st, "PRAGMA page_size", NULL, 0, 4096, &page, err, errlen);
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", opt->max_bytes / (page > 0 ? page : 4096));
        if (rc == BEX_OK) rc = st_exec(st, sql, what, err, errlen);
    }
    /* the calibrations applied to this store govern its decisions from the start */
    if (rc == BEX_OK) rc = st_calibs_load(st, err, errlen);
    if (rc != BEX_OK) {
        bex_store_close(st);
        return rc;
    }
    *out = st;
    return BEX_OK;
}

void bex_store_close(bex_store *st) {
    if (!st) return;
    for (int i = 0; i < st->n_cache; i++) sqlite3_finalize(st->cache[i].s);
    if (st->db) sqlite3_close_v2(st->db);
    bex_index_close(st->ix);
    pthread_rwlock_destroy(&st->ix_lock);
    st_calibs_free(st);
    st_trust_free(st);
    bex__free(st->pending);
    bex__free(st);
}

int bex_store_schema_version(bex_store *st) {
    int64_t v = 0;
    char e[128];
    st_query_int(st, "PRAGMA user_version", NULL, 0, 0, &v, e, sizeof e);
    return (int)v;
}

const char *bex_store_model(bex_store *st) { return st->model; }

int bex_store_dim(bex_store *st) { return st->dim; }

int bex_store_template_check(bex_store *st, const char *model, int dim, char *err, size_t errlen) {
    if (model && strcmp(model, st->model)) {
        snprintf(err, errlen, "templates of model \"%.127s\" given to a store opened with model \"%s\": "
                 "open the engine and the store with the same model", model, st->model);
        return BEX_ERR_ARG;
    }
    if (dim != st->dim) {
        snprintf(err, errlen, "templates of %d floats given to a store whose model (\"%s\") makes %d: open the "
                 "engine and the store with the same model", dim, st->model, st->dim);
        return BEX_ERR_ARG;
    }
    return BEX_OK;
}

/* ---- settings and retention periods, as kept ---- */

void bex_store_set_actor(bex_store *st, const char *actor) {
    snprintf(st->actor, sizeof st->actor, "%s", actor && *actor ? actor : "unknown");
}

static const char *const categories[] = {"citizen_biometrics", "unmatched_captures", "images", "records",
                                         "overstayer_records"};

static int known_category(const char *c) {
    for (size_t i = 0; i < sizeof categories / sizeof *categories; i++)
        if (c && !strcmp(c, categories[i])) return 1;
    return 0;
}

int bex_store_get_retention(bex_store *st, const char *category, long long *seconds, char *err,
                            size_t errlen) {
    if (!known_category(category)) {
        snprintf(err, errlen, "no retention category '%s'", category ? category : "");
        return BEX_ERR_ARG;
    }
    int64_t v;
    int rc = st_query_int(st, "SELECT seconds FROM retention WHERE category = ?1", category, 0, -1, &v,
                          err, errlen);
    if (rc == BEX_OK) *seconds = v;
    return rc;
}

int bex__retention_read(bex_store *st, bex_retention *out, char *err, size_t errlen) {
    long long v[5];
    for (int i = 0; i < 5; i++) {
        int rc = bex_store_get_retention(st, categories[i], &v[i], err, errlen);
        if (rc != BEX_OK) return rc;
    }
    out->citizen_biometrics = v[0];
    out->unmatched_captures = v[1];
    out->images = v[2];
    out->records = v[3];
    out->overstayer_records = v[4];
    return BEX_OK;
}

int bex__retention_write(bex_store *st, const char *category, long long seconds, char *err, size_t errlen) {
    sqlite3_stmt *s = st_stmt(st, "UPDATE retention SET seconds = ?2 WHERE category = ?1", err, errlen);
    if (!s) return BEX_ERR_IO;
    st_bind_text(s, 1, category);
    sqlite3_bind_int64(s, 2, seconds);
    return st_step_done(st, s, "setting retention", err, errlen);
}

int bex__settings_read(bex_store *st, bex_border_settings *out, char *err, size_t errlen) {
    bex_border_settings_default(out);
    sqlite3_stmt *s = st_stmt(st, "SELECT name, value FROM settings", err, errlen);
    if (!s) return BEX_ERR_IO;
    int r;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        const char *n = (const char *)sqlite3_column_text(s, 0), *v = (const char *)sqlite3_column_text(s, 1);
        if (!n || !v) continue;
        if (!strcmp(n, "home_state")) snprintf(out->home_state, sizeof out->home_state, "%s", v);
        else if (!strcmp(n, "departure_before_s")) out->departure_before_s = strtoll(v, NULL, 10);
        else if (!strcmp(n, "departure_after_s")) out->departure_after_s = strtoll(v, NULL, 10);
        else if (!strcmp(n, "gallery_window_s")) out->gallery_window_s = strtoll(v, NULL, 10);
    }
    int rc = r == SQLITE_DONE ? BEX_OK : st_fail(st, "reading the settings", err, errlen);
    st_release(st, s);
    return rc;
}

int bex__setting_write(bex_store *st, const char *name, const char *value, char *err, size_t errlen) {
    sqlite3_stmt *s = st_stmt(st, "INSERT INTO settings(name, value) VALUES (?1, ?2) "
                                  "ON CONFLICT(name) DO UPDATE SET value = ?2", err, errlen);
    if (!s) return BEX_ERR_IO;
    st_bind_text(s, 1, name);
    st_bind_text(s, 2, value);
    return st_step_done(st, s, "writing a setting", err, errlen);
}
