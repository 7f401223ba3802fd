/*
 * store.c - the record store's handle: opening and migrating the SQLite file, the statement
 * cache, transactions that keep the 1:N index in step with what committed, the hash-chained
 * audit log, settings and retention periods as kept. What the border rules read and write is
 * in records.c, manifests in manifest.c, reports in report.c, keys in keys.c; the schema is in
 * sql/NNN_*.sql.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <nettle/sha2.h>
#include <sqlite3.h>
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

/* the same migrations in PostgreSQL's dialect (src/store/sql/pg/), number for number */
static const migration migrations_pg[] = {
#include "migrations_pg.inc"
};
#define N_MIGRATIONS_PG ((int)(sizeof migrations_pg / sizeof migrations_pg[0]))

/* ---- SQLite helpers ---- */

int st_fail(bex_store *st, const char *what, char *err, size_t errlen) {
    int code = st && st->db ? db_errcode(st->db) : DB_ERROR;
    const char *msg = st && st->db ? db_errmsg(st->db) : "no database";
    int rc = BEX_ERR_IO;
    /* a write that found no space is DB_FULL, or an I/O error whose errno says so */
    if ((code & 0xff) == DB_IOERR && st && st->db && !st->pg && sqlite3_system_errno(db_sqlite(st->db)) == ENOSPC)
        code = DB_FULL;
    switch (code & 0xff) {
    case DB_FULL:
        snprintf(err, errlen, "%s: the disk, or the store's size limit, is full; nothing was written (free space "
                 "or raise the limit, then send it again)", what);
        return BEX_ERR_FULL;
    case DB_BUSY:
    case 6: /* SQLITE_LOCKED */
        snprintf(err, errlen, "%s: the database is locked by another process; try again", what);
        return BEX_ERR_BUSY;
    case DB_CORRUPT:
    case DB_NOTADB:
        rc = BEX_ERR_CORRUPT;
        break;
    case DB_NOMEM:
        rc = BEX_ERR_NOMEM;
        break;
    case DB_CONSTRAINT:
    case DB_MISMATCH:
    case DB_RANGE:
        rc = BEX_ERR_ARG;
        break;
    case DB_READONLY:
    case DB_CANTOPEN:
    case DB_IOERR:
    case 3: /* SQLITE_PERM */
        rc = BEX_ERR_IO;
        break;
    default:
        break;
    }
    snprintf(err, errlen, "%s: %s", what, msg);
    return rc;
}

int st_exec(bex_store *st, const char *sql, const char *what, char *err, size_t errlen) {
    if (db_exec(st->db, sql) != DB_OK) return st_fail(st, what, err, errlen);
    return BEX_OK;
}

static db_stmt *st_prep_as(bex_store *st, const char *sql, int persistent, char *err, size_t errlen) {
    db_stmt *s = NULL;
    if (db_prepare(st->db, sql, persistent, &s) != DB_OK) {
        st_fail(st, "preparing a query", err, errlen);
        return NULL;
    }
    return s;
}

db_stmt *st_prep(bex_store *st, const char *sql, char *err, size_t errlen) {
    return st_prep_as(st, sql, 0, err, errlen);
}

db_stmt *st_stmt(bex_store *st, const char *sql, char *err, size_t errlen) {
    for (int i = 0; i < st->n_cache; i++)
        if (st->cache[i].sql == sql) return st->cache[i].s;
    db_stmt *s = st_prep_as(st, sql, st->n_cache < ST_CACHE, err, errlen);
    if (s && st->n_cache < ST_CACHE) {
        st->cache[st->n_cache].sql = sql;
        st->cache[st->n_cache++].s = s;
    }
    return s;
}

void st_release(bex_store *st, db_stmt *s) {
    if (!s) return;
    for (int i = 0; i < st->n_cache; i++)
        if (st->cache[i].s == s) {
            db_reset(s);
            db_clear_bindings(s);
            return;
        }
    db_finalize(s);
}

int st_step_done(bex_store *st, db_stmt *s, const char *what, char *err, size_t errlen) {
    int r = db_step(s);
    int rc = r == DB_DONE ? BEX_OK : st_fail(st, what, err, errlen);
    st_release(st, s);
    return rc;
}

void st_bind_text(db_stmt *s, int i, const char *v) {
    if (v) db_bind_text(s, i, v, -1);
    else db_bind_null(s, i);
}

void st_bind_id(db_stmt *s, int i, int64_t v) {
    if (v) db_bind_int64(s, i, v);
    else db_bind_null(s, i);
}

void st_col_text(db_stmt *s, int i, char *dst, size_t n) {
    const unsigned char *t = db_column_text(s, i);
    snprintf(dst, n, "%s", t ? (const char *)t : "");
}

int st_col_blob_copy(db_stmt *s, int i, size_t max, const char *what, uint8_t **out, size_t *len, char *err,
                     size_t errlen) {
    *out = NULL;
    *len = 0;
    const void *b = db_column_blob(s, i);
    int n = db_column_bytes(s, i);
    if (!b || n <= 0) return BEX_OK;
    if (max > 0 && (size_t)n > max) {
        snprintf(err, errlen, "%s is %d bytes, over the %zu a capture may have", what, n, max);
        return BEX_ERR_LIMIT;
    }
    if (!(*out = bex__malloc((size_t)n))) {
        snprintf(err, errlen, "out of memory");
        return BEX_ERR_NOMEM;
    }
    memcpy(*out, b, (size_t)n);
    *len = (size_t)n;
    return BEX_OK;
}

int st_query_int(bex_store *st, const char *sql, const char *p1, int64_t i2, int64_t dflt,
                 int64_t *out, char *err, size_t errlen) {
    db_stmt *s = st_stmt(st, sql, err, errlen);
    if (!s) return BEX_ERR_IO;
    if (db_bind_parameter_count(s) >= 1) st_bind_text(s, 1, p1);
    if (db_bind_parameter_count(s) >= 2) db_bind_int64(s, 2, i2);
    int r = db_step(s);
    if (r == DB_ROW) *out = db_column_type(s, 0) == DB_NULL ? dflt : db_column_int64(s, 0);
    else if (r == DB_DONE) *out = dflt;
    int rc = (r == DB_ROW || r == DB_DONE) ? BEX_OK : st_fail(st, "reading the store", err, errlen);
    st_release(st, s);
    return rc;
}

/* ---- transactions and the index ---- */

/* Every transaction that writes takes the store's write lock first, and holds it to its commit:
 * SQLite's BEGIN IMMEDIATE; on PostgreSQL a transaction-scoped advisory lock (READ COMMITTED,
 * so each statement after the lock sees every commit made before it). Writers are thus
 * serialised whichever node they run on: concurrent crossings of one traveller give the result
 * of one serial order, the audit chain grows by one entry at a time (no fork, no gap), and the
 * change log's sequence numbers are taken in commit order (st_index follows it safely). What
 * is slow in a crossing (decoding, the face, the 1:N scan) happens before, outside the lock.
 * docs/scale.md says why this, and what it costs. */
#define PG_WRITE_LOCK "SELECT pg_advisory_xact_lock(4651254806154215)" /* "BEX" + 1 */

int st_begin(bex_store *st, char *err, size_t errlen) {
    st->n_pending = 0;
    st->drop_index = 0;
    if (st->pg) return st_exec(st, "BEGIN ISOLATION LEVEL READ COMMITTED; " PG_WRITE_LOCK, "starting a transaction",
                               err, errlen);
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

char *st_id_array(const int64_t *ids, size_t n) {
    size_t cap = n * 21 + 3, len = 0;
    char *arr = bex__malloc(cap);
    if (!arr) return NULL;
    arr[len++] = '{';
    for (size_t i = 0; i < n; i++) len += (size_t)snprintf(arr + len, cap - len, "%s%lld", i ? "," : "", (long long)ids[i]);
    arr[len++] = '}';
    arr[len] = 0;
    return arr;
}

int st_log_change(bex_store *st, const char *what, int64_t row, char *err, size_t errlen) {
    if (!st->pg) return BEX_OK;
    db_stmt *s = st_stmt(st, "INSERT INTO change_log(what, row_id) VALUES (?1, ?2)", err, errlen);
    if (!s) return BEX_ERR_IO;
    st_bind_text(s, 1, what);
    st_bind_id(s, 2, row);
    return st_step_done(st, s, "recording a change for the other service nodes", err, errlen);
}

int st_data_version(bex_store *st, const char *what, int64_t *v, char *err, size_t errlen) {
    if (!st->pg) return st_query_int(st, "PRAGMA data_version", NULL, 0, 0, v, err, errlen);
    return st_query_int(st, "SELECT max(seq) FROM change_log WHERE what = ?1", what, 0, 0, v, err, errlen);
}

int bex__prune_change_log(bex_store *st, char *err, size_t errlen) {
    if (!st->pg) return BEX_OK;
    return st_exec(st, "DELETE FROM change_log WHERE seq <= (SELECT max(seq) FROM change_log) - 1000000",
                   "pruning the change log", err, errlen);
}

/* PostgreSQL: the index changes this transaction queued go into the change log with it, so the
 * other nodes apply them too (st_index). */
static int log_pending(bex_store *st, char *err, size_t errlen) {
    if (!st->pg) return BEX_OK;
    if (st->drop_index) return st_log_change(st, "index", 0, err, errlen);
    int rc = BEX_OK;
    for (size_t i = 0; i < st->n_pending && rc == BEX_OK; i++)
        rc = st_log_change(st, "sample", st->pending[i].sample, err, errlen);
    return rc;
}

static int st_commit(bex_store *st, char *err, size_t errlen) {
    int rc = log_pending(st, err, errlen);
    if (rc != BEX_OK) {
        st_rollback(st);
        return rc;
    }
    rc = st_exec(st, "COMMIT", "committing", err, errlen);
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
    if (db_in_transaction(st->db)) db_exec(st->db, "ROLLBACK");
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

/* PostgreSQL: applies to the index the changes other nodes (and this one) committed since it was
 * last in step, from the change log, in commit order. A sample is taken out and, when it is
 * still a non-citizen's face of this model, put back as it is now: applying a change twice is
 * harmless. Too many changes, or an 'index' row, and the index is built again. So a template
 * deleted on any node is gone from this node's searches once the deletion has committed. */
#define FOLLOW_MAX 20000
static int pg_follow(bex_store *st, char *err, size_t errlen) {
    db_stmt *s = st_stmt(st, "SELECT seq, what, row_id FROM change_log WHERE seq > ?1 AND what IN ('sample', "
                             "'index') ORDER BY seq LIMIT 20001", err, errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_int64(s, 1, st->index_version);
    int64_t *ids = NULL, last = st->index_version;
    size_t n = 0, cap = 0;
    int r, rc = BEX_OK, rebuild = 0, gap = 0;
    while ((r = db_step(s)) == DB_ROW) {
        int64_t seq = db_column_int64(s, 0);
        if (n == 0 && seq > last + 1 && last > 0) gap = 1; /* a rollback's hole, or pruned rows */
        last = seq;
        const unsigned char *what = db_column_text(s, 1);
        if (n >= FOLLOW_MAX || (what && !strcmp((const char *)what, "index"))) {
            rebuild = 1;
            break;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            int64_t *q = bex__realloc(ids, cap * sizeof *q);
            if (!q) {
                rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory");
                break;
            }
            ids = q;
        }
        ids[n++] = db_column_int64(s, 2);
    }
    if (rc == BEX_OK && !rebuild && r != DB_DONE) rc = st_fail(st, "reading the change log", err, errlen);
    st_release(st, s);
    if (rc == BEX_OK && gap && !rebuild) { /* rows this node had not applied were pruned: build again */
        int64_t first = 0;
        rc = st_query_int(st, "SELECT min(seq) FROM change_log", NULL, 0, 0, &first, err, errlen);
        if (rc == BEX_OK && first > st->index_version + 1) rebuild = 1;
    }
    if (rc != BEX_OK || rebuild || n == 0) {
        bex__free(ids);
        if (rc == BEX_OK && rebuild) st_set_index(st, NULL);
        else if (rc == BEX_OK) st->index_version = last;
        return rc;
    }
    /* one query for every changed sample: a round trip each was most of a follow's time */
    char *arr = st_id_array(ids, n);
    db_stmt *now = arr ? st_stmt(st, "SELECT s.id, s.subject_id, s.template FROM samples s JOIN subjects p ON "
                                     "p.id = s.subject_id WHERE s.id = ANY(CAST(?1 AS BIGINT[])) AND p.citizen = 0 AND "
                                     "s.citizen = 0 AND s.modality = 'face' AND s.model = ?2", err, errlen)
                       : NULL;
    if (!now) {
        if (!arr) snprintf(err, errlen, "out of memory");
        bex__free(arr);
        bex__free(ids);
        return arr ? BEX_ERR_IO : BEX_ERR_NOMEM;
    }
    st_bind_text(now, 1, arr);
    st_bind_text(now, 2, st->model);
    bex__free(arr);
    r = db_step(now); /* read before the index is locked: the whole result is in hand */
    pthread_rwlock_wrlock(&st->ix_lock);
    char e[128];
    for (size_t i = 0; i < n; i++) bex_index_remove(st->ix, ids[i], e, sizeof e); /* absent: nothing to take out */
    for (; r == DB_ROW && rc == BEX_OK; r = db_step(now))
        if (db_column_bytes(now, 2) == TEMPLATE_BYTES(st))
            rc = bex_index_add(st->ix, db_column_int64(now, 0), db_column_int64(now, 1),
                               (const float *)db_column_blob(now, 2), err, errlen);
    if (rc == BEX_OK && r != DB_DONE) rc = st_fail(st, "reading the changed samples", err, errlen);
    /* the same index, changed: a prescan of it before these changes is brought up to date
     * through the index's journal (or scanned again), as after this node's own commits */
    pthread_rwlock_unlock(&st->ix_lock);
    st_release(st, now);
    bex__free(ids);
    if (rc != BEX_OK) st_set_index(st, NULL); /* half applied: build it again next time */
    else st->index_version = last;
    return rc;
}

int st_index(bex_store *st, bex_index **ix, char *err, size_t errlen) {
    int64_t version = 0;
    int rc;
    if (st->pg) {
        if (st->ix && (rc = pg_follow(st, err, errlen)) != BEX_OK) return rc;
        /* the log's end before the samples are read: what commits between is applied again */
        if (!st->ix && (rc = st_query_int(st, "SELECT max(seq) FROM change_log", NULL, 0, 0, &version, err,
                                          errlen)) != BEX_OK)
            return rc;
    } else {
        rc = st_data_version(st, "sample", &version, err, errlen); /* SQLite: PRAGMA data_version */
        if (rc != BEX_OK) return rc;
        if (st->ix && version != st->index_version) /* another process wrote: read it all again */
            st_set_index(st, NULL);
    }
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
    /* in pages by id: a national gallery is not read into memory twice (PostgreSQL reads a
     * statement's whole result) */
    db_stmt *s = st_prep(st,
        "SELECT s.id, s.subject_id, s.template FROM samples s JOIN subjects p ON p.id = s.subject_id "
        "WHERE p.citizen = 0 AND s.citizen = 0 AND s.modality = 'face' AND s.model = ?1 AND s.id > ?2 "
        "ORDER BY s.id LIMIT 50000", err, errlen);
    if (!s) {
        bex_index_close(x);
        return BEX_ERR_IO;
    }
    int64_t after = 0;
    for (int got = 1; got && rc == BEX_OK;) {
        got = 0;
        db_reset(s);
        st_bind_text(s, 1, st->model);
        db_bind_int64(s, 2, after);
        int r;
        while ((r = db_step(s)) == DB_ROW) {
            got = 1;
            after = db_column_int64(s, 0);
            if (db_column_bytes(s, 2) != TEMPLATE_BYTES(st)) continue;
            rc = bex_index_add(x, after, db_column_int64(s, 1), (const float *)db_column_blob(s, 2), err, errlen);
            if (rc != BEX_OK) break;
        }
        if (rc == BEX_OK && r != DB_DONE) rc = st_fail(st, "loading the face samples", err, errlen);
    }
    db_finalize(s);
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
    db_stmt *s = st_stmt(st, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", err, errlen);
    if (!s) return BEX_ERR_IO;
    int r = db_step(s);
    if (r == DB_ROW) {
        seq = db_column_int64(s, 0) + 1;
        if (db_column_bytes(s, 1) == 32) memcpy(prev, db_column_blob(s, 1), 32);
    }
    st_release(st, s);
    if (r != DB_ROW && r != DB_DONE) return st_fail(st, "reading the audit log", err, errlen);
    char at[24];
    bex_time_now(at);
    int v2 = st->audit_version == AUDIT_HASH_V2;
    audit_hash(st->audit_version, prev, seq, at, st->actor, action, object, detail, hash);
    s = v2 ? st_stmt(st, "INSERT INTO audit(seq, at, actor, action, object, detail, prev, hash, hash_version) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 2)", err, errlen)
           : st_stmt(st, "INSERT INTO audit(seq, at, actor, action, object, detail, prev, hash) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", err, errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_int64(s, 1, seq);
    st_bind_text(s, 2, at);
    st_bind_text(s, 3, st->actor);
    st_bind_text(s, 4, action);
    st_bind_text(s, 5, object);
    st_bind_text(s, 6, detail);
    db_bind_blob(s, 7, prev, 32);
    db_bind_blob(s, 8, hash, 32);
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
    /* in pages by seq: a national log is not read into memory at once (PostgreSQL reads a
     * statement's whole result) */
    db_stmt *s = st_prep(st, "SELECT seq, at, actor, action, object, detail, prev, hash, hash_version "
                                  "FROM audit WHERE seq > ?1 ORDER BY seq LIMIT 256", err, errlen);
    if (!s) return BEX_ERR_IO;
    uint8_t prev[32] = {0}, h[32];
    long long expect = 1, after = LLONG_MIN;
    int r = DB_DONE, seen_v2 = 0;
    for (int got = 1; got;) {
        got = 0;
        db_reset(s);
        db_bind_int64(s, 1, after);
        while ((r = db_step(s)) == DB_ROW) {
            long long seq = db_column_int64(s, 0);
            got = 1;
            after = seq;
            int version = db_column_int(s, 8);
            const char *f[5];
            for (int i = 0; i < 5; i++) {
                f[i] = (const char *)db_column_text(s, 1 + i);
                if (!f[i]) f[i] = "";
            }
            /* once the chain is at version 2 it stays there: a version-1 row after it is a downgrade */
            int ok = seq == expect && db_column_bytes(s, 6) == 32 && db_column_bytes(s, 7) == 32 &&
                     !memcmp(db_column_blob(s, 6), prev, 32) && (version == AUDIT_HASH_V2 || !seen_v2);
            seen_v2 |= version == AUDIT_HASH_V2;
            audit_hash(version, prev, seq, f[0], f[1], f[2], f[3], f[4], h);
            if (ok) ok = !memcmp(db_column_blob(s, 7), h, 32);
            if (!ok && !*first_bad) *first_bad = expect;
            /* go on from the stored hash, so one bad entry is reported once */
            if (db_column_bytes(s, 7) == 32) memcpy(prev, db_column_blob(s, 7), 32);
            else memcpy(prev, h, 32);
            if (known_head && !*head_found) {
                char hex[65];
                for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", prev[i]);
                *head_found = !strcmp(hex, known_head);
            }
            expect = seq + 1;
            (*entries)++;
        }
        if (r != DB_DONE) break;
    }
    db_finalize(s);
    if (r != DB_DONE) return st_fail(st, "reading the audit log", err, errlen);
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

/* The schema version: SQLite's user_version; on PostgreSQL the one row of bex_schema (0 when the
 * table is not there yet). */
static int schema_version(bex_store *st, int64_t *v, char *err, size_t errlen) {
    if (!st->pg) return st_query_int(st, "PRAGMA user_version", NULL, 0, 0, v, err, errlen);
    int64_t has = 0;
    int rc = st_query_int(st, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND "
                              "tablename = 'bex_schema'", NULL, 0, 0, &has, err, errlen);
    if (rc != BEX_OK || !has) {
        *v = 0;
        return rc;
    }
    return st_query_int(st, "SELECT max(version) FROM bex_schema", NULL, 0, 0, v, err, errlen);
}

static int migrate_pg(bex_store *st, char *err, size_t errlen) {
    int64_t v;
    int rc = schema_version(st, &v, err, errlen);
    if (rc != BEX_OK) return rc;
    int newest = migrations_pg[N_MIGRATIONS_PG - 1].version;
    if (v > newest) {
        snprintf(err, errlen, "the database is at bex schema version %lld, newer than this bex knows (%d): "
                 "use a newer bex", (long long)v, newest);
        return BEX_ERR_UNSUPPORTED;
    }
    if (v == newest) return BEX_OK;
    if (v == 0) {
        int64_t tables;
        rc = st_query_int(st, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()", NULL, 0, 0,
                          &tables, err, errlen);
        if (rc != BEX_OK) return rc;
        if (tables > 0) {
            snprintf(err, errlen, "the PostgreSQL database has tables and no bex schema: give bex a database (or a "
                     "schema, with ?options=-csearch_path=NAME) of its own");
            return BEX_ERR_FORMAT;
        }
    }
    /* Each migration in one transaction, under the write lock: service nodes started together
     * against a new database migrate it once (each reads the version again under the lock). */
    for (int i = 0; i < N_MIGRATIONS_PG && rc == BEX_OK; i++) {
        if ((rc = st_begin(st, err, errlen)) != BEX_OK) break;
        if ((rc = st_exec(st, "CREATE TABLE IF NOT EXISTS bex_schema (version BIGINT NOT NULL)", "migrating", err,
                          errlen)) == BEX_OK)
            rc = schema_version(st, &v, err, errlen);
        if (rc != BEX_OK || migrations_pg[i].version <= v) {
            rc = bex__end(st, rc, NULL, err, errlen);
            continue;
        }
        char what[96], set[96];
        snprintf(what, sizeof what, "applying migration %s", migrations_pg[i].name);
        snprintf(set, sizeof set, "DELETE FROM bex_schema; INSERT INTO bex_schema VALUES (%d)", migrations_pg[i].version);
        rc = st_exec(st, migrations_pg[i].sql, what, err, errlen);
        if (rc == BEX_OK) rc = st_exec(st, set, what, err, errlen);
        if (rc == BEX_OK) {
            char obj[64];
            snprintf(obj, sizeof obj, "schema %d", migrations_pg[i].version);
            st->audit_version = migrations_pg[i].version >= 6 ? AUDIT_HASH_V2 : 1;
            rc = st_audit(st, "migrate", obj, migrations_pg[i].name, err, errlen);
        }
        rc = bex__end(st, rc, NULL, err, errlen);
    }
    return rc;
}

static int migrate(bex_store *st, char *err, size_t errlen) {
    int64_t v;
    int rc = schema_version(st, &v, err, errlen);
    if (rc != BEX_OK) return rc;
    st->audit_version = v >= 6 ? AUDIT_HASH_V2 : 1;
    if (st->pg) {
        rc = migrate_pg(st, err, errlen);
        if (rc == BEX_OK) rc = schema_version(st, &v, err, errlen);
        st->audit_version = v >= 6 ? AUDIT_HASH_V2 : 1;
        return rc;
    }
    int newest = migrations[N_MIGRATIONS - 1].version;
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
            db_stmt *fk = st_prep(st, "PRAGMA foreign_key_check", err, errlen);
            int r = fk ? db_step(fk) : DB_ERROR;
            if (r == DB_ROW) {
                snprintf(err, errlen, "%s: table %s breaks a foreign key; nothing was changed", what,
                         (const char *)db_column_text(fk, 0));
                rc = BEX_ERR_CORRUPT;
            } else if (r != DB_DONE) {
                rc = fk ? st_fail(st, what, err, errlen) : BEX_ERR_IO;
            }
            db_finalize(fk);
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

/* An SQLite file: made (0600) when missing, WAL, synchronous FULL, foreign keys on, migrated. */
static int open_sqlite(bex_store *st, const char *path, const bex_store_options *opt, char *err, size_t errlen) {
    if (opt->must_exist && access(path, F_OK) != 0) {
        snprintf(err, errlen, "no such file: there is no store here yet (a store is made by its first entry, enrolment or manifest)");
        return BEX_ERR_IO;
    }
    /* A new store is made readable and writable by its owner alone: it holds faces, names and
     * documents. SQLite gives the WAL and shared-memory files the database file's mode. An
     * existing file keeps the mode its operator gave it. */
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) close(fd);
    char e[256];
    if (db_open(path, &st->db, e, sizeof e) != DB_OK) {
        char what[256];
        snprintf(what, sizeof what, "cannot open %s", path);
        return st->db ? st_fail(st, what, err, errlen) : bex__fail(err, errlen, BEX_ERR_IO, "%s: %s", what, e);
    }
    int rc;
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
    return rc;
}

/* A PostgreSQL database (libpq URI): its collation must sort bytewise (timestamps are compared
 * as ISO 8601 text), then it is migrated. No part of the URI is ever written in a message: it
 * may hold a password. */
static int open_pg(bex_store *st, const char *uri, const bex_store_options *opt, char *err, size_t errlen) {
    /* the size limit is a SQLite file's page count; refused rather than silently not applied */
    if (opt->max_bytes > 0)
        return bex__fail(err, errlen, BEX_ERR_UNSUPPORTED, "a size limit applies to a SQLite store file only: a "
                         "PostgreSQL database's size is for its server to limit (tablespace, disk quota)");
    char e[384];
    if (db_open(uri, &st->db, e, sizeof e) != DB_OK) return bex__fail(err, errlen, BEX_ERR_IO, "%s", e);
    /* Bounded waits, as SQLite's busy timeout: a writer waits at most 10 s for the write lock
     * (then BEX_ERR_BUSY, "try again"), and a node that hangs inside a transaction loses it
     * (and the lock) after 30 s idle, so one stuck node cannot stop the country's gates. */
    int rc = st_exec(st, "SET client_min_messages = warning; SET lock_timeout = '10s'; "
                         "SET idle_in_transaction_session_timeout = '30s'",
                     "setting up the PostgreSQL session", err, errlen);
    if (rc != BEX_OK) return rc;
    if (opt->synchronous_off) /* the CLI's bulk simulations only, as on SQLite */
        rc = st_exec(st, "SET synchronous_commit = off", "setting up the PostgreSQL session", err, errlen);
    int64_t c_collation = 0;
    if (rc == BEX_OK)
        rc = st_query_int(st, "SELECT count(*) FROM pg_database WHERE datname = current_database() AND "
                              "datcollate IN ('C', 'POSIX', 'C.UTF-8', 'C.utf8')", NULL, 0, 0, &c_collation, err, errlen);
    if (rc != BEX_OK) return rc;
    if (!c_collation)
        return bex__fail(err, errlen, BEX_ERR_UNSUPPORTED, "the PostgreSQL database does not collate bytewise (bex "
                         "compares ISO 8601 times as text): create it with CREATE DATABASE ... TEMPLATE template0 "
                         "LC_COLLATE 'C' LC_CTYPE 'C' (tools/pg-cluster.sh does)");
    if (opt->must_exist) {
        int64_t v = 0;
        rc = schema_version(st, &v, err, errlen);
        if (rc == BEX_OK && v == 0)
            return bex__fail(err, errlen, BEX_ERR_IO, "the PostgreSQL database holds no bex store yet (a store is made "
                             "by its first entry, enrolment or manifest)");
        if (rc != BEX_OK) return rc;
    }
    return migrate(st, err, errlen);
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
    st->pg = db_target_is_pg(path);
    if (st->pg) {
        rc = open_pg(st, path, opt, err, errlen);
    } else {
        rc = open_sqlite(st, path, opt, err, errlen);
    }
    if (rc != BEX_OK) {
        bex_store_close(st);
        return rc;
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
    for (int i = 0; i < st->n_cache; i++) db_finalize(st->cache[i].s);
    db_close(st->db);
    bex_index_close(st->ix);
    pthread_rwlock_destroy(&st->ix_lock);
    st_calibs_free(st);
    st_trust_free(st);
    for (int i = 0; i < 11; i++) bex_finger_gallery_free(st->fgal[i]);
    bex__free(st->pending);
    bex__free(st);
}

const char *bex_store_target_label(const char *target, char *buf, size_t n) {
    if (!buf || n == 0) return buf;
    buf[0] = 0;
    if (!target) {
        snprintf(buf, n, "(none)");
        return buf;
    }
    if (!db_target_is_pg(target)) {
        snprintf(buf, n, "%s", target);
        return buf;
    }
    size_t o = 0;
#define LABEL_PUT(p, len)                                                        \
    do {                                                                         \
        size_t l_ = (len);                                                       \
        if (o + l_ >= n) l_ = n - 1 - o;                                         \
        memcpy(buf + o, (p), l_);                                                \
        o += l_;                                                                 \
        buf[o] = 0;                                                              \
    } while (0)
    const char *auth = strstr(target, "://") + 3;
    LABEL_PUT(target, (size_t)(auth - target));
    size_t alen = strcspn(auth, "/?#");      /* the authority: [user[:password]@]host[:port],... */
    const char *at = NULL;
    for (size_t i = 0; i < alen; i++)
        if (auth[i] == '@') at = auth + i; /* the last one: a password's own @ is %40 anyway */
    if (at) {
        size_t ulen = strcspn(auth, ":@");   /* the user, without ":password" */
        if (auth + ulen > at) ulen = (size_t)(at - auth);
        LABEL_PUT(auth, ulen);
        LABEL_PUT(at, (size_t)(auth + alen - at));
    } else {
        LABEL_PUT(auth, alen);
    }
    const char *p = auth + alen;
    size_t plen = strcspn(p, "?#");          /* the path: the database name */
    LABEL_PUT(p, plen);
    p += plen;
    if (*p == '?') {                         /* the query: each parameter but password= */
        p++;
        int first = 1;
        while (*p && *p != '#') {
            size_t len = strcspn(p, "&#");
            if (!(len >= 9 && !strncmp(p, "password=", 9)) && len > 0) {
                LABEL_PUT(first ? "?" : "&", 1);
                LABEL_PUT(p, len);
                first = 0;
            }
            p += len;
            if (*p == '&') p++;
        }
    }
    if (*p == '#') LABEL_PUT(p, strlen(p));
#undef LABEL_PUT
    return buf;
}

int bex_store_schema_version(bex_store *st) {
    int64_t v = 0;
    char e[128];
    schema_version(st, &v, e, sizeof e);
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
    db_stmt *s = st_stmt(st, "UPDATE retention SET seconds = ?2 WHERE category = ?1", err, errlen);
    if (!s) return BEX_ERR_IO;
    st_bind_text(s, 1, category);
    db_bind_int64(s, 2, seconds);
    return st_step_done(st, s, "setting retention", err, errlen);
}

int bex__settings_read(bex_store *st, bex_border_settings *out, char *err, size_t errlen) {
    bex_border_settings_default(out);
    db_stmt *s = st_stmt(st, "SELECT name, value FROM settings", err, errlen);
    if (!s) return BEX_ERR_IO;
    int r;
    while ((r = db_step(s)) == DB_ROW) {
        const char *n = (const char *)db_column_text(s, 0), *v = (const char *)db_column_text(s, 1);
        if (!n || !v) continue;
        if (!strcmp(n, "home_state")) snprintf(out->home_state, sizeof out->home_state, "%s", v);
        else if (!strcmp(n, "departure_before_s")) out->departure_before_s = strtoll(v, NULL, 10);
        else if (!strcmp(n, "departure_after_s")) out->departure_after_s = strtoll(v, NULL, 10);
        else if (!strcmp(n, "gallery_window_s")) out->gallery_window_s = strtoll(v, NULL, 10);
    }
    int rc = r == DB_DONE ? BEX_OK : st_fail(st, "reading the settings", err, errlen);
    st_release(st, s);
    return rc;
}

int bex__setting_write(bex_store *st, const char *name, const char *value, char *err, size_t errlen) {
    db_stmt *s = st_stmt(st, "INSERT INTO settings(name, value) VALUES (?1, ?2) "
                                  "ON CONFLICT(name) DO UPDATE SET value = ?2", err, errlen);
    if (!s) return BEX_ERR_IO;
    st_bind_text(s, 1, name);
    st_bind_text(s, 2, value);
    return st_step_done(st, s, "writing a setting", err, errlen);
}
