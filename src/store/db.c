/*
 * db.c - the record store's database seam (db.h): SQLite passed straight through, PostgreSQL
 * through libpq with the SQL translated as it is prepared (parameters, INSERT OR IGNORE, the
 * generated id an INSERT made) and results read whole, in text format.
 */
#include "store/db.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"

/* PostgreSQL type OIDs (server/catalog/pg_type.dat) */
#define OID_BOOL 16
#define OID_BYTEA 17
#define OID_TEXT 25
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_OID 26
#define OID_FLOAT4 700
#define OID_FLOAT8 701
#define OID_NUMERIC 1700

struct db_conn {
    db_kind kind;
    sqlite3 *lite;
    PGconn *pg;
    int errcode;
    char errmsg[512];
    int64_t last_id;
    int changes;
    unsigned gen;           /* counts connections: a reset loses the server's prepared statements */
    unsigned n_named;       /* names of server-side prepared statements */
    char **idtables;        /* tables whose key is a generated id (PostgreSQL) */
    size_t n_idtables;
    int idtables_known;
};

typedef struct pg_param {
    int set, type; /* type: 0 null, OID otherwise */
    char *v;
    size_t n;
} pg_param;

struct db_stmt {
    db_conn *d;
    sqlite3_stmt *lite;
    /* PostgreSQL */
    char *sql;            /* translated */
    int nparam;
    pg_param *param;
    unsigned char *used;  /* by parameter: 1 when the SQL names it */
    int persistent;
    char name[24];        /* server-side name once prepared */
    unsigned prepared_gen;
    int returning_id;     /* RETURNING id appended: rows are consumed, the last id kept */
    PGresult *res;
    int row, nrows;
    unsigned char **blob; /* decoded bytea of the current row, by column */
    size_t *blob_n;
    int nblob;
};

int db_target_is_pg(const char *t) {
    return t && (!strncmp(t, "postgresql://", 13) || !strncmp(t, "postgres://", 11));
}

db_kind db_kind_of(const db_conn *d) { return d->kind; }
struct sqlite3 *db_sqlite(db_conn *d) { return d->lite; }
struct pg_conn *db_pg(db_conn *d) { return d->pg; }

/* ---- PostgreSQL errors ---- */

static int pg_code(const char *state) {
    if (!state || strlen(state) < 5) return DB_IOERR;
    if (!strncmp(state, "23", 2)) return DB_CONSTRAINT;
    if (!strcmp(state, "53100")) return DB_FULL;
    if (!strcmp(state, "53200")) return DB_NOMEM;
    if (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03") || !strcmp(state, "57014"))
        return DB_BUSY;
    if (!strncmp(state, "08", 2) || !strncmp(state, "57P", 3) || !strncmp(state, "58", 2)) return DB_IOERR;
    if (!strcmp(state, "XX001") || !strcmp(state, "XX002")) return DB_CORRUPT;
    if (!strcmp(state, "25006")) return DB_READONLY;
    if (!strncmp(state, "22", 2)) return DB_MISMATCH;
    return DB_ERROR;
}

static void pg_set_error(db_conn *d, PGresult *r) {
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!msg || !*msg) msg = PQerrorMessage(d->pg);
    d->errcode = state ? pg_code(state) : DB_IOERR;
    snprintf(d->errmsg, sizeof d->errmsg, "%s", msg && *msg ? msg : "the PostgreSQL server did not answer");
    size_t n = strlen(d->errmsg);
    while (n && (d->errmsg[n - 1] == '\n' || d->errmsg[n - 1] == ' ')) d->errmsg[--n] = 0;
}

static void pg_quiet(void *arg, const char *message) { (void)arg, (void)message; }

/* After a failure: when the connection itself broke and no transaction was open, connect again
 * (libpq tries each host of the URI; with target_session_attrs=read-write, the new primary).
 * Returns 1 when the statement may be run again. */
static int pg_recover(db_conn *d) {
    if (PQstatus(d->pg) != CONNECTION_BAD) return 0;
    PQreset(d->pg);
    if (PQstatus(d->pg) != CONNECTION_OK) return 0;
    d->gen++;
    PQsetNoticeProcessor(d->pg, pg_quiet, NULL);
    return 1;
}

/* ---- open, close, exec ---- */

int db_open(const char *target, db_conn **out, char *err, size_t errlen) {
    *out = NULL;
    db_conn *d = bex__calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return DB_NOMEM;
    }
    if (db_target_is_pg(target)) {
        d->kind = DB_POSTGRES;
        d->pg = PQconnectdb(target);
        if (!d->pg || PQstatus(d->pg) != CONNECTION_OK) {
            const char *m = d->pg ? PQerrorMessage(d->pg) : "out of memory";
            snprintf(err, errlen, "cannot connect to the PostgreSQL server: %s", m);
            size_t n = strlen(err);
            while (n && (err[n - 1] == '\n' || err[n - 1] == ' ')) err[--n] = 0;
            db_close(d);
            return DB_CANTOPEN;
        }
        PQsetNoticeProcessor(d->pg, pg_quiet, NULL);
        d->gen = 1;
    } else {
        d->kind = DB_SQLITE;
        if (sqlite3_open_v2(target, &d->lite, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
            d->errcode = d->lite ? sqlite3_errcode(d->lite) : DB_NOMEM;
            snprintf(err, errlen, "%s", d->lite ? sqlite3_errmsg(d->lite) : "out of memory");
            /* the caller may read db_errcode: keep the handle until it closes it */
            *out = d;
            return d->errcode ? d->errcode : DB_CANTOPEN;
        }
        sqlite3_busy_timeout(d->lite, 10000);
        sqlite3_extended_result_codes(d->lite, 1);
    }
    *out = d;
    return DB_OK;
}

static void idtables_free(db_conn *d) {
    for (size_t i = 0; i < d->n_idtables; i++) bex__free(d->idtables[i]);
    bex__free(d->idtables);
    d->idtables = NULL;
    d->n_idtables = 0;
    d->idtables_known = 0;
}

void db_close(db_conn *d) {
    if (!d) return;
    if (d->lite) sqlite3_close_v2(d->lite);
    if (d->pg) PQfinish(d->pg);
    idtables_free(d);
    bex__free(d);
}

int db_exec(db_conn *d, const char *sql) {
    if (d->kind == DB_SQLITE) {
        int r = sqlite3_exec(d->lite, sql, NULL, NULL, NULL);
        return r == SQLITE_OK ? DB_OK : sqlite3_errcode(d->lite);
    }
    idtables_free(d); /* DDL may have made or dropped tables */
    for (int attempt = 0;; attempt++) {
        int was_idle = PQtransactionStatus(d->pg) == PQTRANS_IDLE;
        PGresult *r = PQexec(d->pg, sql);
        ExecStatusType t = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
        if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK || t == PGRES_EMPTY_QUERY) {
            const char *c = PQcmdTuples(r);
            d->changes = c && *c ? atoi(c) : 0;
            PQclear(r);
            return DB_OK;
        }
        pg_set_error(d, r);
        PQclear(r);
        if (attempt == 0 && was_idle && pg_recover(d)) continue;
        return d->errcode;
    }
}

int db_errcode(db_conn *d) { return d->kind == DB_SQLITE ? sqlite3_errcode(d->lite) : d->errcode; }

const char *db_errmsg(db_conn *d) { return d->kind == DB_SQLITE ? sqlite3_errmsg(d->lite) : d->errmsg; }

int64_t db_last_insert_rowid(db_conn *d) { return d->kind == DB_SQLITE ? sqlite3_last_insert_rowid(d->lite) : d->last_id; }

int db_changes(db_conn *d) { return d->kind == DB_SQLITE ? sqlite3_changes(d->lite) : d->changes; }

int db_in_transaction(db_conn *d) {
    if (d->kind == DB_SQLITE) return !sqlite3_get_autocommit(d->lite);
    PGTransactionStatusType t = PQtransactionStatus(d->pg);
    return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

/* ---- translating SQL for PostgreSQL ---- */

static int load_idtables(db_conn *d) {
    if (d->idtables_known) return 0;
    PGresult *r = PQexec(d->pg, "SELECT table_name FROM information_schema.columns WHERE table_schema = "
                                "current_schema() AND column_name = 'id' AND is_identity = 'YES'");
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
        pg_set_error(d, r);
        PQclear(r);
        return -1;
    }
    int n = PQntuples(r);
    d->idtables = bex__calloc((size_t)(n > 0 ? n : 1), sizeof *d->idtables);
    if (!d->idtables) {
        PQclear(r);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        const char *v = PQgetvalue(r, i, 0);
        size_t len = strlen(v) + 1;
        if (!(d->idtables[i] = bex__malloc(len))) break;
        memcpy(d->idtables[i], v, len);
        d->n_idtables++;
    }
    PQclear(r);
    d->idtables_known = 1;
    return 0;
}

static int is_idtable(db_conn *d, const char *name, size_t n) {
    for (size_t i = 0; i < d->n_idtables; i++)
        if (strlen(d->idtables[i]) == n && !strncasecmp(d->idtables[i], name, n)) return 1;
    return 0;
}

/* skips blanks and -- comments */
static const char *skip_ws(const char *p) {
    for (;;) {
        while (*p && isspace((unsigned char)*p)) p++;
        if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n') p++;
            continue;
        }
        return p;
    }
}

/* p starts with keyword kw (case-insensitive, whole word): returns what follows, else NULL */
static const char *word(const char *p, const char *kw) {
    size_t n = strlen(kw);
    if (strncasecmp(p, kw, n) || isalnum((unsigned char)p[n]) || p[n] == '_') return NULL;
    return p + n;
}

/* Finds keyword kw at the top level of sql (outside literals, quotes, comments): its offset or -1. */
static long find_word(const char *sql, const char *kw) {
    size_t n = strlen(kw);
    for (const char *p = sql; *p; p++) {
        if (*p == '\'' || *p == '"') {
            char q = *p;
            for (p++; *p && *p != q; p++) {}
            if (!*p) return -1;
            continue;
        }
        if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n') p++;
            if (!*p) return -1;
            continue;
        }
        if ((p == sql || !(isalnum((unsigned char)p[-1]) || p[-1] == '_')) && !strncasecmp(p, kw, n) &&
            !(isalnum((unsigned char)p[n]) || p[n] == '_'))
            return p - sql;
    }
    return -1;
}

typedef struct sbuf {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->n + n + 1) * 2;
        char *q = bex__realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

static int pg_translate(db_conn *d, db_stmt *s, const char *sql) {
    sbuf b = {0}, used = {0};
    const char *p = skip_ws(sql);
    int ignore = 0;
    const char *table = NULL;
    size_t table_n = 0;
    const char *q;
    if ((q = word(p, "INSERT"))) {
        const char *r = skip_ws(q);
        const char *o = word(r, "OR");
        if (o && (o = word(skip_ws(o), "IGNORE"))) {
            ignore = 1;
            sb_str(&b, "INSERT");
            p = o; /* " INTO ..." follows */
            r = skip_ws(o);
        }
        if ((o = word(r, "INTO"))) {
            table = skip_ws(o);
            while (isalnum((unsigned char)table[table_n]) || table[table_n] == '_') table_n++;
        }
    }
    int maxp = 0;
    for (; *p; p++) {
        if (*p == '\'' || *p == '"') { /* literals and quoted names as they are */
            const char *e = p + 1;
            while (*e && *e != *p) e++;
            sb_put(&b, p, (size_t)(e - p) + (*e ? 1 : 0));
            p = *e ? e : e - 1;
            continue;
        }
        if (p[0] == '-' && p[1] == '-') {
            while (p[1] && p[1] != '\n') p++;
            continue;
        }
        if (*p == '?') {
            int n = 0;
            const char *e = p + 1;
            while (isdigit((unsigned char)*e)) n = n * 10 + (*e++ - '0');
            if (e == p + 1) n = maxp + 1;
            if (n > maxp) maxp = n;
            while (used.n < (size_t)n) sb_put(&used, "", 1);
            if (used.p) used.p[n - 1] = 1;
            char num[16];
            snprintf(num, sizeof num, "$%d", n);
            sb_str(&b, num);
            p = e - 1;
            continue;
        }
        sb_put(&b, p, 1);
    }
    if (b.oom || !b.p || used.oom) {
        bex__free(b.p);
        bex__free(used.p);
        return -1;
    }
    /* trailing blanks and ';' go, so that clauses can follow */
    while (b.n && (isspace((unsigned char)b.p[b.n - 1]) || b.p[b.n - 1] == ';')) b.p[--b.n] = 0;
    long ret = find_word(b.p, "RETURNING");
    if (ignore) {
        if (ret >= 0) { /* ON CONFLICT goes before RETURNING */
            sbuf c = {0};
            sb_put(&c, b.p, (size_t)ret);
            sb_str(&c, "ON CONFLICT DO NOTHING ");
            sb_str(&c, b.p + ret);
            bex__free(b.p);
            b = c;
        } else {
            sb_str(&b, " ON CONFLICT DO NOTHING");
        }
    }
    if (table && ret < 0) {
        if (load_idtables(d) != 0) {
            bex__free(b.p);
            bex__free(used.p);
            return -1;
        }
        if (is_idtable(d, table, table_n)) {
            sb_str(&b, " RETURNING id");
            s->returning_id = 1;
        }
    }
    if (b.oom) {
        bex__free(b.p);
        bex__free(used.p);
        return -1;
    }
    s->sql = b.p;
    s->used = (unsigned char *)used.p;
    s->nparam = maxp;
    return 0;
}

/* ---- statements ---- */

int db_prepare(db_conn *d, const char *sql, int persistent, db_stmt **out) {
    *out = NULL;
    db_stmt *s = bex__calloc(1, sizeof *s);
    if (!s) {
        d->errcode = DB_NOMEM;
        snprintf(d->errmsg, sizeof d->errmsg, "out of memory");
        return DB_NOMEM;
    }
    s->d = d;
    if (d->kind == DB_SQLITE) {
        int r = sqlite3_prepare_v2(d->lite, sql, -1, &s->lite, NULL);
        if (r != SQLITE_OK) {
            sqlite3_finalize(s->lite);
            bex__free(s);
            return r;
        }
        *out = s;
        return DB_OK;
    }
    if (pg_translate(d, s, sql) != 0) {
        if (!d->errcode || d->errcode == DB_OK) {
            d->errcode = DB_NOMEM;
            snprintf(d->errmsg, sizeof d->errmsg, "out of memory");
        }
        bex__free(s);
        return d->errcode;
    }
    s->persistent = persistent;
    s->row = -1;
    if (s->nparam > 0 && !(s->param = bex__calloc((size_t)s->nparam, sizeof *s->param))) {
        db_finalize(s);
        d->errcode = DB_NOMEM;
        return DB_NOMEM;
    }
    *out = s;
    return DB_OK;
}

static void blobs_free(db_stmt *s) {
    for (int i = 0; i < s->nblob; i++) {
        if (s->blob[i]) PQfreemem(s->blob[i]);
        s->blob[i] = NULL;
    }
}

static void pg_result_drop(db_stmt *s) {
    blobs_free(s);
    bex__free(s->blob);
    bex__free(s->blob_n);
    s->blob = NULL;
    s->blob_n = NULL;
    s->nblob = 0;
    PQclear(s->res);
    s->res = NULL;
    s->row = -1;
    s->nrows = 0;
}

void db_reset(db_stmt *s) {
    if (!s) return;
    if (s->d->kind == DB_SQLITE) sqlite3_reset(s->lite);
    else pg_result_drop(s);
}

void db_clear_bindings(db_stmt *s) {
    if (!s) return;
    if (s->d->kind == DB_SQLITE) {
        sqlite3_clear_bindings(s->lite);
        return;
    }
    for (int i = 0; i < s->nparam; i++) {
        bex__free(s->param[i].v);
        memset(&s->param[i], 0, sizeof s->param[i]);
    }
}

void db_finalize(db_stmt *s) {
    if (!s) return;
    if (s->d->kind == DB_SQLITE) {
        sqlite3_finalize(s->lite);
    } else {
        pg_result_drop(s);
        if (s->name[0] && s->prepared_gen == s->d->gen && PQstatus(s->d->pg) == CONNECTION_OK) {
            char sql[48];
            snprintf(sql, sizeof sql, "DEALLOCATE %s", s->name);
            PQclear(PQexec(s->d->pg, sql));
        }
        db_clear_bindings(s);
        bex__free(s->param);
        bex__free(s->used);
        bex__free(s->sql);
    }
    bex__free(s);
}

static pg_param *pg_slot(db_stmt *s, int i) {
    if (i < 1 || i > s->nparam) return NULL;
    pg_param *p = &s->param[i - 1];
    bex__free(p->v);
    memset(p, 0, sizeof *p);
    p->set = 1;
    return p;
}

static int pg_bind_str(db_stmt *s, int i, int type, const char *v, size_t n) {
    pg_param *p = pg_slot(s, i);
    if (!p) return DB_RANGE;
    p->v = bex__malloc(n + 1);
    if (!p->v) return DB_NOMEM;
    memcpy(p->v, v, n);
    p->v[n] = 0;
    p->n = n;
    p->type = type;
    return DB_OK;
}

int db_bind_int64(db_stmt *s, int i, int64_t v) {
    if (s->d->kind == DB_SQLITE) return sqlite3_bind_int64(s->lite, i, v);
    char t[24];
    int n = snprintf(t, sizeof t, "%lld", (long long)v);
    return pg_bind_str(s, i, OID_INT8, t, (size_t)n);
}

int db_bind_int(db_stmt *s, int i, int v) { return db_bind_int64(s, i, v); }

int db_bind_double(db_stmt *s, int i, double v) {
    if (s->d->kind == DB_SQLITE) return sqlite3_bind_double(s->lite, i, v);
    char t[40];
    int n;
    if (isnan(v)) n = snprintf(t, sizeof t, "NaN");
    else if (isinf(v)) n = snprintf(t, sizeof t, "%sInfinity", v < 0 ? "-" : "");
    else n = snprintf(t, sizeof t, "%.17g", v);
    return pg_bind_str(s, i, OID_FLOAT8, t, (size_t)n);
}

int db_bind_text(db_stmt *s, int i, const char *v, int n) {
    if (s->d->kind == DB_SQLITE) return sqlite3_bind_text(s->lite, i, v, n, SQLITE_TRANSIENT);
    if (!v) return db_bind_null(s, i);
    return pg_bind_str(s, i, 0, v, n < 0 ? strlen(v) : (size_t)n);
}

int db_bind_blob(db_stmt *s, int i, const void *v, size_t n) {
    if (s->d->kind == DB_SQLITE) return sqlite3_bind_blob64(s->lite, i, v ? v : "", n, SQLITE_TRANSIENT);
    return pg_bind_str(s, i, OID_BYTEA, v ? v : "", n);
}

int db_bind_null(db_stmt *s, int i) {
    if (s->d->kind == DB_SQLITE) return sqlite3_bind_null(s->lite, i);
    return pg_slot(s, i) ? DB_OK : DB_RANGE;
}

int db_bind_column(db_stmt *s, int i, db_stmt *src, int j) {
    switch (db_column_type(src, j)) {
    case DB_NULL: return db_bind_null(s, i);
    case DB_INTEGER: return db_bind_int64(s, i, db_column_int64(src, j));
    case DB_FLOAT: return db_bind_double(s, i, db_column_double(src, j));
    case DB_BLOB: return db_bind_blob(s, i, db_column_blob(src, j), (size_t)db_column_bytes(src, j));
    default: return db_bind_text(s, i, (const char *)db_column_text(src, j), db_column_bytes(src, j));
    }
}

int db_bind_parameter_count(db_stmt *s) { return s->d->kind == DB_SQLITE ? sqlite3_bind_parameter_count(s->lite) : s->nparam; }

/* Runs a PostgreSQL statement with its bindings; DB_OK or an error code. */
static int pg_run(db_stmt *s) {
    db_conn *d = s->d;
    int n = s->nparam;
    const char *vals[n > 0 ? n : 1];
    int lens[n > 0 ? n : 1], fmts[n > 0 ? n : 1];
    Oid types[n > 0 ? n : 1];
    for (int i = 0; i < n; i++) {
        pg_param *p = &s->param[i];
        vals[i] = p->v;
        lens[i] = (int)p->n;
        fmts[i] = p->type == OID_BYTEA ? 1 : 0;
        /* a parameter the SQL never names (bound all the same, as SQLite allows) has no type
         * the server could infer: text */
        types[i] = (Oid)(!s->used || !s->used[i] ? OID_TEXT : p->v ? p->type : 0);
    }
    for (int attempt = 0;; attempt++) {
        int was_idle = PQtransactionStatus(d->pg) == PQTRANS_IDLE;
        PGresult *r;
        if (s->persistent) {
            if (!s->name[0] || s->prepared_gen != d->gen) {
                snprintf(s->name, sizeof s->name, "bex%u", ++d->n_named);
                PGresult *pr = PQprepare(d->pg, s->name, s->sql, n, types);
                if (!pr || PQresultStatus(pr) != PGRES_COMMAND_OK) {
                    pg_set_error(d, pr);
                    PQclear(pr);
                    s->name[0] = 0;
                    if (attempt == 0 && was_idle && pg_recover(d)) continue;
                    return d->errcode;
                }
                PQclear(pr);
                s->prepared_gen = d->gen;
            }
            r = PQexecPrepared(d->pg, s->name, n, vals, lens, fmts, 0);
        } else {
            r = PQexecParams(d->pg, s->sql, n, types, vals, lens, fmts, 0);
        }
        ExecStatusType t = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
        if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK || t == PGRES_EMPTY_QUERY) {
            s->res = r;
            s->nrows = PQntuples(r);
            s->row = -1;
            const char *c = PQcmdTuples(r);
            d->changes = c && *c ? atoi(c) : 0;
            return DB_OK;
        }
        pg_set_error(d, r);
        PQclear(r);
        if (attempt == 0 && was_idle && pg_recover(d)) continue;
        return d->errcode;
    }
}

int db_step(db_stmt *s) {
    if (s->d->kind == DB_SQLITE) return sqlite3_step(s->lite);
    if (!s->res) {
        int rc = pg_run(s);
        if (rc != DB_OK) return rc;
        int nc = PQnfields(s->res);
        if (nc > 0) {
            s->blob = bex__calloc((size_t)nc, sizeof *s->blob);
            s->blob_n = bex__calloc((size_t)nc, sizeof *s->blob_n);
            if (!s->blob || !s->blob_n) {
                pg_result_drop(s);
                s->d->errcode = DB_NOMEM;
                snprintf(s->d->errmsg, sizeof s->d->errmsg, "out of memory");
                return DB_NOMEM;
            }
            s->nblob = nc;
        }
        if (s->returning_id) { /* an INSERT: its new id is the last insert's rowid */
            if (s->nrows > 0) s->d->last_id = strtoll(PQgetvalue(s->res, s->nrows - 1, 0), NULL, 10);
            s->row = s->nrows;
            return DB_DONE;
        }
    }
    blobs_free(s);
    if (s->row < s->nrows) s->row++;
    return s->row < s->nrows ? DB_ROW : DB_DONE;
}

/* ---- columns ---- */

static int pg_null(db_stmt *s, int i) {
    return !s->res || s->row < 0 || s->row >= s->nrows || i < 0 || i >= PQnfields(s->res) ||
           PQgetisnull(s->res, s->row, i);
}

const unsigned char *db_column_text(db_stmt *s, int i) {
    if (s->d->kind == DB_SQLITE) return sqlite3_column_text(s->lite, i);
    if (pg_null(s, i)) return NULL;
    return (const unsigned char *)PQgetvalue(s->res, s->row, i);
}

int64_t db_column_int64(db_stmt *s, int i) {
    if (s->d->kind == DB_SQLITE) return sqlite3_column_int64(s->lite, i);
    const char *t = (const char *)db_column_text(s, i);
    if (!t) return 0;
    if (PQftype(s->res, i) == OID_BOOL) return *t == 't';
    if (PQftype(s->res, i) == OID_NUMERIC || PQftype(s->res, i) == OID_FLOAT8 || PQftype(s->res, i) == OID_FLOAT4)
        return (int64_t)strtod(t, NULL);
    return strtoll(t, NULL, 10);
}

int db_column_int(db_stmt *s, int i) { return s->d->kind == DB_SQLITE ? sqlite3_column_int(s->lite, i) : (int)db_column_int64(s, i); }

double db_column_double(db_stmt *s, int i) {
    if (s->d->kind == DB_SQLITE) return sqlite3_column_double(s->lite, i);
    const char *t = (const char *)db_column_text(s, i);
    if (!t) return 0;
    if (PQftype(s->res, i) == OID_BOOL) return *t == 't';
    return strtod(t, NULL);
}

const void *db_column_blob(db_stmt *s, int i) {
    if (s->d->kind == DB_SQLITE) return sqlite3_column_blob(s->lite, i);
    if (pg_null(s, i)) return NULL;
    if (PQftype(s->res, i) != OID_BYTEA) {
        const char *t = PQgetvalue(s->res, s->row, i);
        return *t ? t : NULL;
    }
    if (!s->blob[i]) {
        size_t n = 0;
        s->blob[i] = PQunescapeBytea((const unsigned char *)PQgetvalue(s->res, s->row, i), &n);
        s->blob_n[i] = n;
    }
    return s->blob_n[i] ? s->blob[i] : NULL;
}

int db_column_bytes(db_stmt *s, int i) {
    if (s->d->kind == DB_SQLITE) return sqlite3_column_bytes(s->lite, i);
    if (pg_null(s, i)) return 0;
    if (PQftype(s->res, i) != OID_BYTEA) return PQgetlength(s->res, s->row, i);
    db_column_blob(s, i);
    return s->blob[i] ? (int)s->blob_n[i] : 0;
}

int db_column_type(db_stmt *s, int i) {
    if (s->d->kind == DB_SQLITE) return sqlite3_column_type(s->lite, i);
    if (pg_null(s, i)) return DB_NULL;
    switch (PQftype(s->res, i)) {
    case OID_BOOL:
    case OID_INT2:
    case OID_INT4:
    case OID_INT8:
    case OID_OID: return DB_INTEGER;
    case OID_FLOAT4:
    case OID_FLOAT8: return DB_FLOAT;
    case OID_NUMERIC: return strpbrk(PQgetvalue(s->res, s->row, i), ".eEN") ? DB_FLOAT : DB_INTEGER;
    case OID_BYTEA: return DB_BLOB;
    default: return DB_TEXT;
    }
}

int db_column_count(db_stmt *s) {
    if (s->d->kind == DB_SQLITE) return sqlite3_column_count(s->lite);
    return s->res ? PQnfields(s->res) : 0;
}

const char *db_column_name(db_stmt *s, int i) {
    if (s->d->kind == DB_SQLITE) return sqlite3_column_name(s->lite, i);
    return s->res ? PQfname(s->res, i) : NULL;
}
