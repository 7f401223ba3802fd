/*
 * db.h - the record store's database seam: one small API over SQLite (a file, the embedded
 * default) and PostgreSQL (libpq, a postgresql:// URI). It is shaped like SQLite's own API
 * (prepare, bind, step, column), so the store's code reads the same on both; what differs
 * between the dialects stays here and in the store (src/store/), never in the border rules.
 *
 * On PostgreSQL a statement's SQL is translated as it is prepared:
 *   - parameters ?N (and bare ?) become $N;
 *   - INSERT OR IGNORE becomes INSERT ... ON CONFLICT DO NOTHING;
 *   - an INSERT into a table whose key is a generated `id` gets RETURNING id, which
 *     db_last_insert_rowid reports (as SQLite's rowid);
 * and a statement runs when first stepped, its whole result read at once (text format; bytea
 * decoded), so statements interleave as they do on SQLite.
 */
#ifndef BEX_STORE_DB_H
#define BEX_STORE_DB_H

#include <stddef.h>
#include <stdint.h>

typedef struct db_conn db_conn;
typedef struct db_stmt db_stmt;

/* results of db_step and errors (db_errcode): SQLite's numbers, whatever the database */
enum {
    DB_OK = 0,
    DB_ERROR = 1,
    DB_BUSY = 5,      /* locked by another writer, or a serialization failure: try again */
    DB_NOMEM = 7,
    DB_READONLY = 8,
    DB_IOERR = 10,    /* the file, or the connection to the server, failed */
    DB_CORRUPT = 11,
    DB_FULL = 13,     /* the disk, or the store's size limit, is full */
    DB_CANTOPEN = 14,
    DB_CONSTRAINT = 19,
    DB_MISMATCH = 20,
    DB_RANGE = 25,
    DB_NOTADB = 26,
    DB_ROW = 100,
    DB_DONE = 101,
};

/* column types (db_column_type) */
enum { DB_INTEGER = 1, DB_FLOAT = 2, DB_TEXT = 3, DB_BLOB = 4, DB_NULL = 5 };

typedef enum { DB_SQLITE = 0, DB_POSTGRES = 1 } db_kind;

/* 1 when target names a PostgreSQL database (postgresql:// or postgres:// URI). */
int db_target_is_pg(const char *target);

/* Opens the SQLite file at target (created when missing) or connects to the PostgreSQL URI.
 * On failure *out is NULL, the message written, and an error code returned. */
int db_open(const char *target, db_conn **out, char *err, size_t errlen);
void db_close(db_conn *d);
db_kind db_kind_of(const db_conn *d);

/* Runs SQL (one or more statements, no parameters) and discards any rows. */
int db_exec(db_conn *d, const char *sql);
/* Prepares one statement. persistent: it will be run many times (PostgreSQL prepares it on the
 * server at its first run). On failure *out is NULL and db_errmsg says why. */
int db_prepare(db_conn *d, const char *sql, int persistent, db_stmt **out);
int db_step(db_stmt *s);
void db_reset(db_stmt *s);
void db_clear_bindings(db_stmt *s);
void db_finalize(db_stmt *s);

int db_bind_int64(db_stmt *s, int i, int64_t v);
int db_bind_int(db_stmt *s, int i, int v);
int db_bind_double(db_stmt *s, int i, double v);
int db_bind_text(db_stmt *s, int i, const char *v, int n); /* n < 0: up to the NUL; copied */
int db_bind_blob(db_stmt *s, int i, const void *v, size_t n); /* copied */
int db_bind_null(db_stmt *s, int i);
/* Binds column j of src's current row to parameter i of s, with its type. */
int db_bind_column(db_stmt *s, int i, db_stmt *src, int j);
int db_bind_parameter_count(db_stmt *s);

int64_t db_column_int64(db_stmt *s, int i);
int db_column_int(db_stmt *s, int i);
double db_column_double(db_stmt *s, int i);
const unsigned char *db_column_text(db_stmt *s, int i); /* NULL for NULL */
const void *db_column_blob(db_stmt *s, int i);
int db_column_bytes(db_stmt *s, int i);
int db_column_type(db_stmt *s, int i);
int db_column_count(db_stmt *s);
const char *db_column_name(db_stmt *s, int i);

int64_t db_last_insert_rowid(db_conn *d);
int db_changes(db_conn *d);
int db_errcode(db_conn *d);
const char *db_errmsg(db_conn *d);
/* 1 inside an explicit transaction (BEGIN .. COMMIT/ROLLBACK). */
int db_in_transaction(db_conn *d);

/* SQLite only: the connection (NULL on PostgreSQL), for what has no PostgreSQL meaning. */
struct sqlite3 *db_sqlite(db_conn *d);
/* PostgreSQL only: the libpq connection (NULL on SQLite). */
struct pg_conn *db_pg(db_conn *d);

#endif
