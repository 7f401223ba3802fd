/*
 * copy.c - bex_store_copy: a whole store copied into a new one, SQLite or PostgreSQL either way
 * (a pilot's file moved to the national database, or a PostgreSQL store taken out to a file).
 * Row by row through the database seam (db.h), every table of the schema in foreign-key order,
 * ids kept (the audit chain, links, manifests and flags stay valid), in one transaction on the
 * destination, from one snapshot of the source; then checked: counts table by table and the
 * audit chain's head on both.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_impl.h"
#include "util/util.h"

/* Every table of the schema, parents before children (a row's foreign keys point at rows
 * copied before it), with the key it is read in order of (and paged by, on PostgreSQL). The
 * seeds a new store has (settings, retention, its migrations' audit rows) are replaced by the
 * source's. change_log is not copied: it is each PostgreSQL database's own (what its service
 * nodes follow); a copy onto PostgreSQL writes one 'index' row there instead. */
typedef struct copy_table {
    const char *name;
    const char *key[3];
    int page;       /* rows a page read from PostgreSQL (blobs: fewer) */
} copy_table;

static const copy_table tables[] = {
    {"subjects", {"id"}, 5000},
    {"departures", {"id"}, 5000},
    {"calibrations", {"id"}, 200},
    {"calibration_rows", {"calibration_id", "target"}, 5000},
    {"documents", {"id"}, 5000},
    {"encounters", {"id"}, 500},          /* document_image */
    {"samples", {"id"}, 500},             /* template, image */
    {"finger_samples", {"id"}, 500},      /* template, image */
    {"admissions", {"id"}, 5000},
    {"manifest_entries", {"id"}, 5000},
    {"flags", {"id"}, 5000},
    {"flag_subjects", {"flag_id", "subject_id"}, 5000},
    {"flag_documents", {"flag_id", "document_id"}, 5000},
    {"drift_checks", {"id"}, 5000},
    {"merges", {"id"}, 5000},
    {"merge_moves", {"merge_id", "tbl", "row_id"}, 5000},
    {"api_keys", {"id"}, 5000},
    {"console_sessions", {"id"}, 5000},   /* signed-in officers go on where they were */
    {"gate_devices", {"id"}, 5000},
    {"gate_log_lines", {"device_id", "seq"}, 5000},
    {"service_keys", {"id"}, 100},
    {"trust_files", {"id"}, 50},          /* master lists */
    {"settings", {"name"}, 5000},
    {"retention", {"category"}, 5000},
    {"audit", {"seq"}, 5000},
};
#define N_TABLES ((int)(sizeof tables / sizeof tables[0]))
_Static_assert(N_TABLES <= BEX_STORE_COPY_MAX_TABLES, "bex_store_copy_report holds every table");

/* tables a store has that are not copied: the destination keeps its own */
static int own_table(const char *name) {
    return !strcmp(name, "change_log") || !strcmp(name, "bex_schema");
}

/* one value held between the source's row and the destination's INSERT */
typedef struct cval {
    int type;
    int64_t i;
    double d;
    unsigned char *p; /* text (NUL-terminated) or blob */
    size_t n;
} cval;

static void cval_clear(cval *v) {
    bex__free(v->p);
    memset(v, 0, sizeof *v);
}

static int cval_take(cval *v, db_stmt *s, int j) {
    cval_clear(v);
    v->type = db_column_type(s, j);
    switch (v->type) {
    case DB_NULL: return BEX_OK;
    case DB_INTEGER: v->i = db_column_int64(s, j); return BEX_OK;
    case DB_FLOAT: v->d = db_column_double(s, j); return BEX_OK;
    case DB_BLOB: {
        const void *b = db_column_blob(s, j);
        v->n = (size_t)db_column_bytes(s, j);
        if (!(v->p = bex__malloc(v->n + 1))) return BEX_ERR_NOMEM;
        if (v->n) memcpy(v->p, b, v->n);
        return BEX_OK;
    }
    default: {
        const unsigned char *t = db_column_text(s, j);
        v->type = DB_TEXT;
        v->n = (size_t)db_column_bytes(s, j);
        if (!(v->p = bex__malloc(v->n + 1))) return BEX_ERR_NOMEM;
        if (v->n) memcpy(v->p, t, v->n);
        v->p[v->n] = 0;
        return BEX_OK;
    }
    }
}

static int cval_bind(db_stmt *s, int i, const cval *v) {
    switch (v->type) {
    case DB_INTEGER: return db_bind_int64(s, i, v->i);
    case DB_FLOAT: return db_bind_double(s, i, v->d);
    case DB_BLOB: return db_bind_blob(s, i, v->p, v->n);
    case DB_TEXT: return db_bind_text(s, i, (const char *)v->p, (int)v->n);
    default: return db_bind_null(s, i);
    }
}

static void sb_add(char *buf, size_t cap, size_t *len, const char *s) {
    size_t n = strlen(s);
    if (*len + n + 1 > cap) n = cap > *len + 1 ? cap - *len - 1 : 0;
    memcpy(buf + *len, s, n);
    *len += n;
    buf[*len] = 0;
}

/* "INSERT INTO t(c...) VALUES (?, ...), ..." for rows rows of n columns: malloc'd */
static char *insert_sql(const char *table, char cols[][48], int n, int rows) {
    size_t cap = 64 + strlen(table) + (size_t)n * 50 + (size_t)rows * ((size_t)n * 3 + 4);
    char *sql = bex__malloc(cap);
    if (!sql) return NULL;
    size_t len = 0;
    sql[0] = 0;
    sb_add(sql, cap, &len, "INSERT INTO ");
    sb_add(sql, cap, &len, table);
    sb_add(sql, cap, &len, "(");
    for (int j = 0; j < n; j++) {
        if (j) sb_add(sql, cap, &len, ", ");
        sb_add(sql, cap, &len, cols[j]);
    }
    sb_add(sql, cap, &len, ") VALUES ");
    for (int r = 0; r < rows; r++) {
        sb_add(sql, cap, &len, r ? ", (" : "(");
        for (int j = 0; j < n; j++) sb_add(sql, cap, &len, j ? ", ?" : "?");
        sb_add(sql, cap, &len, ")");
    }
    return sql;
}

#define COPY_MAX_COLS 48
#define COPY_BATCH_BYTES ((size_t)8 << 20)

typedef struct copier {
    bex_store *src, *dst;
    const copy_table *t;
    char cols[COPY_MAX_COLS][48];
    int n;                 /* columns */
    int keyidx[3], nkey;
    int rows_per;          /* rows a full INSERT */
    db_stmt *full;         /* the INSERT of rows_per rows */
    cval *vals;            /* rows_per * n */
    int k;                 /* rows held */
    size_t bytes;
    long long copied;
} copier;

/* Inserts the rows held: with the full statement, or one made for fewer. */
static int flush(copier *c, char *err, size_t errlen) {
    if (!c->k) return BEX_OK;
    db_stmt *s = c->full;
    int own = 0;
    if (c->k != c->rows_per || !s) {
        char *sql = insert_sql(c->t->name, c->cols, c->n, c->k);
        if (!sql) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory copying %s", c->t->name);
        /* not prepared on the server: a parameter's type is the one bound on each run */
        int r = db_prepare(c->dst->db, sql, 0, &s);
        bex__free(sql);
        if (r != DB_OK) return st_fail(c->dst, "preparing the copy's insert", err, errlen);
        if (c->k == c->rows_per) c->full = s;
        else own = 1;
    }
    int rc = BEX_OK;
    for (int r = 0; r < c->k && rc == BEX_OK; r++)
        for (int j = 0; j < c->n && rc == BEX_OK; j++)
            if (cval_bind(s, r * c->n + j + 1, &c->vals[r * c->n + j]) != DB_OK)
                rc = st_fail(c->dst, "binding a copied value", err, errlen);
    if (rc == BEX_OK && db_step(s) != DB_DONE) {
        char what[96];
        snprintf(what, sizeof what, "copying table %s into the destination", c->t->name);
        rc = st_fail(c->dst, what, err, errlen);
    }
    if (own) db_finalize(s);
    else {
        db_reset(s);
        db_clear_bindings(s);
    }
    c->copied += rc == BEX_OK ? c->k : 0;
    for (int i = 0; i < c->k * c->n; i++) cval_clear(&c->vals[i]);
    c->k = 0;
    c->bytes = 0;
    return rc;
}

/* The source's SELECT of a page: every column, in key order, after the last key read. */
static char *select_sql(const copy_table *t, int after, int limit) {
    char *sql = bex__malloc(512);
    if (!sql) return NULL;
    size_t len = 0;
    sql[0] = 0;
    sb_add(sql, 512, &len, "SELECT * FROM ");
    sb_add(sql, 512, &len, t->name);
    int nk = 0;
    while (nk < 3 && t->key[nk]) nk++;
    if (after) {
        sb_add(sql, 512, &len, " WHERE (");
        for (int i = 0; i < nk; i++) {
            if (i) sb_add(sql, 512, &len, ", ");
            sb_add(sql, 512, &len, t->key[i]);
        }
        sb_add(sql, 512, &len, ") > (");
        for (int i = 0; i < nk; i++) sb_add(sql, 512, &len, i ? ", ?" : "?");
        sb_add(sql, 512, &len, ")");
    }
    sb_add(sql, 512, &len, " ORDER BY ");
    for (int i = 0; i < nk; i++) {
        if (i) sb_add(sql, 512, &len, ", ");
        sb_add(sql, 512, &len, t->key[i]);
    }
    if (limit > 0) {
        char l[32];
        snprintf(l, sizeof l, " LIMIT %d", limit);
        sb_add(sql, 512, &len, l);
    }
    return sql;
}

static int param_limit(bex_store *st) {
    if (st->pg) return 30000; /* the protocol's limit is 65535 */
    int v = sqlite3_limit(db_sqlite(st->db), SQLITE_LIMIT_VARIABLE_NUMBER, -1);
    return v > 0 ? v : 999;
}

/* Copies one table: pages from the source (PostgreSQL reads a statement's result whole; SQLite
 * streams it in one), rows inserted in batches. */
static int copy_one(bex_store *src, bex_store *dst, const copy_table *t, long long *copied, char *err,
                    size_t errlen) {
    copier c;
    memset(&c, 0, sizeof c);
    c.src = src;
    c.dst = dst;
    c.t = t;
    while (c.nkey < 3 && t->key[c.nkey]) c.nkey++;
    cval last[3];
    memset(last, 0, sizeof last);
    int limit = src->pg ? t->page : 0, after = 0, rc = BEX_OK;
    char *sql0 = select_sql(t, 0, limit), *sql1 = select_sql(t, 1, limit);
    db_stmt *s0 = NULL, *s1 = NULL;
    if (!sql0 || !sql1) rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory");
    if (rc == BEX_OK && (db_prepare(src->db, sql0, 0, &s0) != DB_OK || db_prepare(src->db, sql1, 0, &s1) != DB_OK))
        rc = st_fail(src, "reading the source", err, errlen);
    bex__free(sql0);
    bex__free(sql1);
    for (int more = 1; more && rc == BEX_OK;) {
        db_stmt *s = after ? s1 : s0;
        if (after) {
            db_reset(s);
            db_clear_bindings(s);
            for (int i = 0; i < c.nkey; i++) cval_bind(s, i + 1, &last[i]);
        }
        int r = DB_DONE, got = 0;
        while (rc == BEX_OK && (r = db_step(s)) == DB_ROW) {
            if (!c.n) { /* the first row: the columns, as the source names them */
                c.n = db_column_count(s);
                if (c.n < 1 || c.n > COPY_MAX_COLS) {
                    rc = bex__fail(err, errlen, BEX_ERR_UNSUPPORTED, "table %s has %d columns: not copied", t->name,
                                   c.n);
                    break;
                }
                for (int j = 0; j < c.n; j++) {
                    const char *nm = db_column_name(s, j);
                    snprintf(c.cols[j], sizeof c.cols[j], "%s", nm ? nm : "");
                }
                for (int i = 0; i < c.nkey; i++) {
                    c.keyidx[i] = -1;
                    for (int j = 0; j < c.n; j++)
                        if (!strcmp(c.cols[j], t->key[i])) c.keyidx[i] = j;
                    if (c.keyidx[i] < 0) {
                        rc = bex__fail(err, errlen, BEX_ERR_CORRUPT, "table %s has no column %s", t->name, t->key[i]);
                        break;
                    }
                }
                int lim = param_limit(dst) / c.n;
                c.rows_per = lim < 1 ? 1 : lim > 500 ? 500 : lim;
                if (rc == BEX_OK && !(c.vals = bex__calloc((size_t)c.rows_per * (size_t)c.n, sizeof *c.vals)))
                    rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory copying %s", t->name);
                if (rc != BEX_OK) break;
            }
            got++;
            cval *row = &c.vals[c.k * c.n];
            for (int j = 0; j < c.n && rc == BEX_OK; j++) {
                rc = cval_take(&row[j], s, j);
                c.bytes += row[j].n + 8;
            }
            if (rc != BEX_OK) break;
            if (limit > 0)
                for (int i = 0; i < c.nkey && rc == BEX_OK; i++) rc = cval_take(&last[i], s, c.keyidx[i]);
            c.k++;
            if (rc == BEX_OK && (c.k == c.rows_per || c.bytes >= COPY_BATCH_BYTES)) rc = flush(&c, err, errlen);
        }
        if (rc == BEX_OK && r != DB_DONE) rc = st_fail(src, "reading the source", err, errlen);
        more = limit > 0 && got == limit;
        after = 1;
    }
    if (rc == BEX_OK) rc = flush(&c, err, errlen);
    db_finalize(s0);
    db_finalize(s1);
    db_finalize(c.full);
    for (int i = 0; c.vals && i < c.rows_per * c.n; i++) cval_clear(&c.vals[i]);
    bex__free(c.vals);
    for (int i = 0; i < 3; i++) cval_clear(&last[i]);
    *copied = c.copied;
    return rc;
}

static int count_rows(bex_store *st, const char *table, long long *n, char *err, size_t errlen) {
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    db_stmt *s = st_prep(st, sql, err, errlen);
    if (!s) return BEX_ERR_IO;
    int r = db_step(s);
    *n = r == DB_ROW ? db_column_int64(s, 0) : -1;
    int rc = r == DB_ROW ? BEX_OK : st_fail(st, "counting rows", err, errlen);
    db_finalize(s);
    return rc;
}

/* Every table of the store is one this copy knows (or one it leaves: change_log): a schema
 * with a table added by a later migration is not copied by a bex that does not know it. */
static int check_tables(bex_store *st, const char *which, char *err, size_t errlen) {
    db_stmt *s = st_prep(st, st->pg ? "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                                    : "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                         err, errlen);
    if (!s) return BEX_ERR_IO;
    int r, rc = BEX_OK;
    while (rc == BEX_OK && (r = db_step(s)) == DB_ROW) {
        const char *name = (const char *)db_column_text(s, 0);
        if (!name || own_table(name)) continue;
        int known = 0;
        for (int i = 0; i < N_TABLES; i++) known |= !strcmp(tables[i].name, name);
        if (!known)
            rc = bex__fail(err, errlen, BEX_ERR_UNSUPPORTED, "the %s has a table this bex does not copy (%.64s): "
                           "use the bex that made it", which, name);
    }
    if (rc == BEX_OK && r != DB_DONE) rc = st_fail(st, "listing the tables", err, errlen);
    db_finalize(s);
    return rc;
}

/* Inside the destination's transaction: nothing but what a new store has (its settings and
 * retention seeds, its migrations' audit entries). */
static int check_empty(bex_store *dst, char *err, size_t errlen) {
    for (int i = 0; i < N_TABLES; i++) {
        const char *t = tables[i].name;
        if (!strcmp(t, "settings") || !strcmp(t, "retention")) continue;
        char sql[128];
        if (!strcmp(t, "audit")) snprintf(sql, sizeof sql, "SELECT count(*) FROM audit WHERE action <> 'migrate'");
        else snprintf(sql, sizeof sql, "SELECT count(*) FROM (SELECT 1 FROM %s LIMIT 1) x", t);
        db_stmt *s = st_prep(dst, sql, err, errlen);
        if (!s) return BEX_ERR_IO;
        int r = db_step(s);
        long long n = r == DB_ROW ? db_column_int64(s, 0) : 0;
        int rc = r == DB_ROW ? BEX_OK : st_fail(dst, "reading the destination", err, errlen);
        db_finalize(s);
        if (rc != BEX_OK) return rc;
        if (n > 0)
            return bex__fail(err, errlen, BEX_ERR_ARG, "the destination already holds records (%s%s): a copy goes "
                             "into a new, empty bex store only; nothing was copied", t,
                             !strcmp(t, "audit") ? " beyond its creation" : " has rows");
    }
    return BEX_OK;
}

/* The new store's own seeds go: settings, retention and its migrations' audit entries (the
 * audit log is append-only: its delete trigger is lifted for this one statement, inside the
 * transaction, and put back as it was). */
static int clear_seeds(bex_store *dst, char *err, size_t errlen) {
    int rc = st_exec(dst, "DELETE FROM settings; DELETE FROM retention", "clearing the new store's seeds", err,
                     errlen);
    if (rc != BEX_OK) return rc;
    if (dst->pg)
        return st_exec(dst, "ALTER TABLE audit DISABLE TRIGGER audit_no_delete; DELETE FROM audit; "
                            "ALTER TABLE audit ENABLE TRIGGER audit_no_delete",
                       "replacing the new store's audit log", err, errlen);
    db_stmt *s = st_prep(dst, "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'audit_no_delete'",
                         err, errlen);
    if (!s) return BEX_ERR_IO;
    char *trigger = NULL;
    if (db_step(s) == DB_ROW && db_column_text(s, 0)) {
        const char *t = (const char *)db_column_text(s, 0);
        size_t n = strlen(t) + 1;
        if ((trigger = bex__malloc(n))) memcpy(trigger, t, n);
    }
    db_finalize(s);
    if (!trigger)
        return bex__fail(err, errlen, BEX_ERR_CORRUPT, "the destination's audit log has no append-only trigger");
    rc = st_exec(dst, "DROP TRIGGER audit_no_delete; DELETE FROM audit", "replacing the new store's audit log", err,
                 errlen);
    if (rc == BEX_OK) rc = st_exec(dst, trigger, "replacing the new store's audit log", err, errlen);
    bex__free(trigger);
    return rc;
}

/* PostgreSQL: each identity column's sequence past the largest id copied, so new rows continue
 * after them. */
static int set_sequences(bex_store *dst, char *err, size_t errlen) {
    db_stmt *s = st_prep(dst, "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = "
                              "current_schema() AND is_identity = 'YES' ORDER BY table_name", err, errlen);
    if (!s) return BEX_ERR_IO;
    char (*todo)[2][64] = NULL;
    size_t n = 0, cap = 0;
    int r, rc = BEX_OK;
    while (rc == BEX_OK && (r = db_step(s)) == DB_ROW) {
        const char *t = (const char *)db_column_text(s, 0), *col = (const char *)db_column_text(s, 1);
        if (!t || !col || own_table(t)) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            void *q = bex__realloc(todo, cap * sizeof *todo);
            if (!q) {
                rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory");
                break;
            }
            todo = q;
        }
        snprintf(todo[n][0], 64, "%s", t);
        snprintf(todo[n][1], 64, "%s", col);
        n++;
    }
    if (rc == BEX_OK && r != DB_DONE) rc = st_fail(dst, "listing the identity columns", err, errlen);
    db_finalize(s);
    for (size_t i = 0; i < n && rc == BEX_OK; i++) {
        char sql[320];
        snprintf(sql, sizeof sql, "SELECT setval(pg_get_serial_sequence('%s', '%s'), max(%s)) FROM %s", todo[i][0],
                 todo[i][1], todo[i][1], todo[i][0]);
        rc = st_exec(dst, sql, "setting the ids' sequences", err, errlen);
    }
    bex__free(todo);
    return rc;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

const char *bex_store_backend(bex_store *st) { return st->pg ? "postgresql" : "sqlite"; }

int bex_store_copy(bex_store *src, bex_store *dst, bex_store_copy_report *rep, char *err, size_t errlen) {
    if (!src || !dst || !rep || src == dst) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_store_copy: two stores");
    memset(rep, 0, sizeof *rep);
    double t0 = now_s();
    snprintf(rep->from, sizeof rep->from, "%s", bex_store_backend(src));
    snprintf(rep->to, sizeof rep->to, "%s", bex_store_backend(dst));
    int vs = bex_store_schema_version(src), vd = bex_store_schema_version(dst);
    if (vs != vd || vs <= 0)
        return bex__fail(err, errlen, BEX_ERR_UNSUPPORTED, "the source is at schema version %d, the destination at %d: "
                         "both must be at this bex's newest (open each with it first)", vs, vd);
    rep->schema = vs;
    int rc = check_tables(src, "source", err, errlen);
    if (rc == BEX_OK) rc = check_tables(dst, "destination", err, errlen);
    if (rc != BEX_OK) return rc;
    /* a destination in use is refused before the source's log records anything (and again
     * under the destination's write lock) */
    rc = check_empty(dst, err, errlen);
    if (rc != BEX_OK) return rc;
    /* the source records that it was copied out (the entry travels with the copy) */
    char detail[200];
    snprintf(detail, sizeof detail, "out to %s", rep->to);
    rc = bex_store_audit(src, "db_copy", "store", detail, err, errlen);
    if (rc != BEX_OK) return rc;
    /* one snapshot of the source, read while its service (if any) goes on writing */
    rc = st_exec(src, src->pg ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN",
                 "starting to read the source", err, errlen);
    if (rc != BEX_OK) return rc;
    rc = st_begin(dst, err, errlen);
    if (rc != BEX_OK) {
        st_rollback(src);
        return rc;
    }
    rc = check_empty(dst, err, errlen);
    if (rc == BEX_OK) rc = clear_seeds(dst, err, errlen);
    for (int i = 0; i < N_TABLES && rc == BEX_OK; i++) {
        long long copied = 0, ns = 0, nd = 0;
        rc = copy_one(src, dst, &tables[i], &copied, err, errlen);
        if (rc == BEX_OK) rc = count_rows(src, tables[i].name, &ns, err, errlen);
        if (rc == BEX_OK) rc = count_rows(dst, tables[i].name, &nd, err, errlen);
        if (rc == BEX_OK && (ns != copied || nd != copied))
            rc = bex__fail(err, errlen, BEX_ERR_CORRUPT, "table %s: %lld rows in the source, %lld copied, %lld in "
                           "the destination; nothing was copied", tables[i].name, ns, copied, nd);
        snprintf(rep->tables[i].name, sizeof rep->tables[i].name, "%s", tables[i].name);
        rep->tables[i].rows = copied;
        rep->rows += copied;
    }
    rep->n_tables = N_TABLES;
    /* the chain: entry for entry, the same head */
    long long es = 0, ed = 0, bad_s = 0, bad_d = 0;
    int found;
    char hs[65] = "", hd[65] = "";
    if (rc == BEX_OK) rc = bex_store_audit_verify(src, NULL, &es, &bad_s, &found, hs, err, errlen);
    if (rc == BEX_OK) rc = bex_store_audit_verify(dst, NULL, &ed, &bad_d, &found, hd, err, errlen);
    if (rc == BEX_OK && (es != ed || strcmp(hs, hd) || bad_s != bad_d))
        rc = bex__fail(err, errlen, BEX_ERR_CORRUPT, "the copy's audit chain differs from the source's (%lld entries, "
                       "%lld in the copy); nothing was copied", es, ed);
    if (rc == BEX_OK) {
        rep->audit_entries = es;
        rep->audit_first_bad = bad_s;
        snprintf(rep->audit_head, sizeof rep->audit_head, "%s", hs);
    }
    if (rc == BEX_OK && dst->pg) rc = set_sequences(dst, err, errlen);
    /* every service node on the destination builds its index and reads the calibrations again */
    if (rc == BEX_OK) rc = st_log_change(dst, "index", 0, err, errlen);
    if (rc == BEX_OK) rc = st_log_change(dst, "calibration", 0, err, errlen);
    if (rc == BEX_OK) {
        snprintf(detail, sizeof detail, "in from %s: %lld rows, %lld audit entries, source head %.64s", rep->from,
                 rep->rows, es, hs);
        rc = st_audit(dst, "db_copy", "store", detail, err, errlen);
    }
    rc = bex__end(dst, rc, NULL, err, errlen);
    /* PostgreSQL plans with statistics its autovacuum gathers a minute or so after a bulk load;
     * without them a crossing on a fresh copy costs about half again as much: gathered now */
    if (rc == BEX_OK && dst->pg)
        rc = st_exec(dst, "ANALYZE", "the copy is complete; gathering its statistics (ANALYZE)", err, errlen);
    st_rollback(src);
    /* what this handle had read of the destination is stale */
    st_set_index(dst, NULL);
    dst->calib_loaded = 0;
    rep->seconds = now_s() - t0;
    return rc;
}
