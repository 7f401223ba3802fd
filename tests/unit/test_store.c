/*
 * test_store.c - the record store (include/bex/store.h) with synthetic templates, no face
 * models: a person is a random unit vector in 128-d, a capture of them that vector plus noise
 * of norm about 0.12, renormalised (same person ~0.98, different people ~0 cosine: clear
 * matches and non-matches at the store's calibrated thresholds). Opening and migrating,
 * entries and exits and their flags, manifests and galleries, overstay reports, retention and
 * purge, the audit chain, a full disk and a crash inside a transaction. Each test uses its own
 * database file under $TMPDIR (or /tmp) and removes it; with BEX_TEST_PG_URI_BASE (a PostgreSQL
 * cluster's URI without a database: tests/tools/test_store_pg.sh sets it) its own database
 * there, dropped at its end, and what only SQLite has is skipped with the reason.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "bex/border.h"
#include "bex/store.h"
#include "store/db.h"
#include "test.h"

#define DIM BEX_TEMPLATE_DIM
#define TODAY "2026-11-27"
#define PORT "JFK"
/* the newest migration in src/store/sql/, and how many there are (each writes one "migrate" row
 * to the audit log): 001-007 */
#define NEWEST_SCHEMA 15
#define MIGRATIONS 15

/* ---- synthetic templates ---- */

static unsigned long long rng_state = 0x2545F4914F6CDD1DULL;
static double rnd(void) { /* xorshift64*, uniform in [0, 1) */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static double gauss(void) { /* Box-Muller */
    double u = rnd(), v = rnd();
    if (u < 1e-300) u = 1e-300;
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

static void normalise(float *v) {
    double ss = 0;
    for (int k = 0; k < DIM; k++) ss += (double)v[k] * v[k];
    double s = 1.0 / sqrt(ss);
    for (int k = 0; k < DIM; k++) v[k] = (float)(v[k] * s);
}

typedef struct person {
    float base[DIM];
} person;

static person person_new(void) {
    person p;
    for (int k = 0; k < DIM; k++) p.base[k] = (float)gauss();
    normalise(p.base);
    return p;
}

/* one capture: the person's vector plus noise of norm ~0.12, renormalised */
static void capture(const person *p, float out[DIM]) {
    const double sigma = 0.12 / sqrt((double)DIM);
    for (int k = 0; k < DIM; k++) out[k] = (float)(p->base[k] + sigma * gauss());
    normalise(out);
}

static double cosine(const float *a, const float *b) {
    double s = 0;
    for (int k = 0; k < DIM; k++) s += (double)a[k] * b[k];
    return s;
}

/* The synthetic data is what the tests assume: two captures of one person are clearly the same
 * face (~0.97-0.99), captures of two people clearly not (~0). */
static void check_synthetic(const person *a, const person *b) {
    float a1[DIM], a2[DIM], b1[DIM];
    capture(a, a1);
    capture(a, a2);
    capture(b, b1);
    double same = cosine(a1, a2), other = cosine(a1, b1);
    CHECK(same > 0.97 && same < 0.995);
    CHECK(fabs(other) < 0.4);
    CHECK_NEAR(cosine(a1, a1), 1.0, 1e-5);
    CHECK_NEAR(bex_template_similarity(a1, a2), same, 1e-4);
}

/* ---- database files ---- */

/* With BEX_TEST_PG_URI_BASE (a PostgreSQL cluster's URI without a database, e.g.
 * postgresql://postgres@127.0.0.1:PORT) every test runs on a fresh PostgreSQL database instead
 * of a file: its "path" is the database's URI. What only SQLite has (PRAGMAs, the file's bytes
 * and mode, WAL, a full disk by max_page_count, an old SQLite file) is skipped there. */
static const char *pg_base;
static int pg_serial;

#define ON_PG (pg_base != NULL)
#define SQLITE_ONLY(why)                                                  \
    do {                                                                  \
        if (ON_PG) SKIP("SQLite only: " why);                             \
    } while (0)

/* runs one statement on the cluster's maintenance database; 0 on success */
static int pg_admin(const char *sql) {
    char uri[512];
    snprintf(uri, sizeof uri, "%s/postgres", pg_base);
    PGconn *c = PQconnectdb(uri);
    int ok = 0;
    if (PQstatus(c) == CONNECTION_OK) {
        PGresult *r = PQexec(c, sql);
        ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok) printf("  postgres: %s", PQerrorMessage(c));
        PQclear(r);
    } else {
        printf("  postgres: cannot connect: %s", PQerrorMessage(c));
    }
    PQfinish(c);
    return ok ? 0 : -1;
}

static void db_new(char path[512]) {
    if (ON_PG) {
        char name[64], sql[256];
        snprintf(name, sizeof name, "bex_test_store_%ld_%d", (long)getpid(), ++pg_serial);
        snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\" TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C' "
                 "ENCODING 'UTF8'", name);
        CHECK(pg_admin(sql) == 0);
        snprintf(path, 512, "%s/%s", pg_base, name);
        return;
    }
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir) dir = "/tmp";
    snprintf(path, 512, "%s/bex_test_store_XXXXXX", dir);
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd >= 0) close(fd);
}

static void db_remove(const char *path) {
    if (db_target_is_pg(path)) {
        const char *name = strrchr(path, '/');
        char sql[256];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", name ? name + 1 : path);
        CHECK(pg_admin(sql) == 0);
        return;
    }
    static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
    char p[600];
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", path, sfx[i]);
        unlink(p);
    }
}

static int store_try(const char *path, bex_store **st, char *err, size_t errlen) {
    bex_store_options o;
    bex_store_options_default(&o);
    o.actor = "test";
    return bex_store_open(path, &o, st, err, errlen);
}

static bex_store *store_open(const char *path) {
    bex_store *st = NULL;
    char err[512];
    int rc = store_try(path, &st, err, sizeof err);
    if (rc != BEX_OK) printf("  open: %s\n", err);
    CHECK(rc == BEX_OK && st);
    return st;
}

/* A new temporary store in p (512 bytes); NULL (file removed, failure counted) if it cannot open. */
static bex_store *fresh_store(char *p) {
    db_new(p);
    bex_store *st = store_open(p);
    if (!st) db_remove(p);
    return st;
}

/* A file that goes with the store at path: path + suffix; for a PostgreSQL database, in $TMPDIR
 * (or /tmp), named after the database. */
static void side_file(char *out, size_t n, const char *path, const char *suffix) {
    if (!db_target_is_pg(path)) {
        snprintf(out, n, "%s%s", path, suffix);
        return;
    }
    const char *dir = getenv("TMPDIR"), *name = strrchr(path, '/');
    if (!dir || !*dir) dir = "/tmp";
    snprintf(out, n, "%s/%s%s", dir, name ? name + 1 : "bex_test_store", suffix);
}

/* A second connection, straight to SQLite, for what only SQLite has. */
static sqlite3 *raw_open(const char *path) {
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        CHECK(!"raw open");
        return NULL;
    }
    sqlite3_busy_timeout(db, 5000);
    return db;
}

/* A second connection through the store's database seam (src/store/db.h), to SQLite or
 * PostgreSQL, for what the API does not show. */
static db_conn *conn_open(const char *path) {
    db_conn *d = NULL;
    char err[256];
    if (db_target_is_pg(path)) {
        if (db_open(path, &d, err, sizeof err) != DB_OK) {
            printf("  raw open: %s\n", err);
            CHECK(!"raw open");
            return NULL;
        }
        return d;
    }
    /* as raw_open: the file must be there */
    if (access(path, F_OK) != 0 || db_open(path, &d, err, sizeof err) != DB_OK) {
        db_close(d);
        CHECK(!"raw open");
        return NULL;
    }
    return d;
}

/* One integer from a query (formatted), -1 when it fails or returns no row. */
static long long sql_int(const char *path, const char *fmt, ...) {
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    db_conn *db = conn_open(path);
    if (!db) return -1;
    db_stmt *s = NULL;
    long long v = -1;
    if (db_prepare(db, sql, 0, &s) == DB_OK && db_step(s) == DB_ROW) v = db_column_int64(s, 0);
    else if (ON_PG) printf("  sql_int: %s\n", db_errmsg(db));
    db_finalize(s);
    db_close(db);
    return v;
}

/* Runs SQL on its own connection; 0 (SQLITE_OK) or the error. */
static int sql_exec(const char *path, const char *sql) {
    db_conn *db = conn_open(path);
    if (!db) return SQLITE_ERROR;
    int rc = db_exec(db, sql);
    db_close(db);
    return rc;
}

static void sql_text(const char *path, const char *sql, char *out, size_t n) {
    out[0] = 0;
    db_conn *db = conn_open(path);
    if (!db) return;
    db_stmt *s = NULL;
    if (db_prepare(db, sql, 0, &s) == DB_OK && db_step(s) == DB_ROW && db_column_text(s, 0))
        snprintf(out, n, "%s", (const char *)db_column_text(s, 0));
    else if (ON_PG) printf("  sql_text: %s\n", db_errmsg(db));
    db_finalize(s);
    db_close(db);
}

/* sql (n bytes) in PostgreSQL's form when the tests run there: SQLite's zeroblob(512) and
 * CAST(.. AS BLOB) become decode(repeat('00', 512), 'hex') and CAST(.. AS BYTEA). */
static void sql_dialect(char *sql, size_t n) {
    static const char *const from[] = {"zeroblob(512)", " AS BLOB)"};
    static const char *const to[] = {"decode(repeat('00', 512), 'hex')", " AS BYTEA)"};
    if (!ON_PG) return;
    for (int k = 0; k < 2; k++) {
        char *at;
        size_t fl = strlen(from[k]), tl = strlen(to[k]);
        while ((at = strstr(sql, from[k])) != NULL) {
            size_t len = strlen(sql);
            CHECK(len - fl + tl < n);
            if (len - fl + tl >= n) return;
            memmove(at + tl, at + fl, len - (size_t)(at - sql) - fl + 1);
            memcpy(at, to[k], tl);
        }
    }
}

/* The whole file's bytes; *n its size. free(). */
static unsigned char *file_bytes(const char *path, size_t *n) {
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char *b = malloc(1 << 20);
    if (b) *n = fread(b, 1, 1 << 20, f);
    fclose(f);
    return b;
}

static int file_exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* ---- documents and crossings ---- */

static bex_mrz passport(const char *number, const char *surname, const char *given, const char *birth,
                        const char *expiry) {
    char text[90], err[256];
    bex_mrz m;
    memset(&m, 0, sizeof m);
    CHECK(bex_mrz_make_td3("P", "UTO", surname, given, number, "UTO", birth, 'F', expiry, text, err,
                           sizeof err) == BEX_OK);
    CHECK(bex_mrz_parse_at(text, TODAY, &m, err, sizeof err) == BEX_OK);
    CHECK(m.n_failed == 0);
    return m;
}

static void entry_init(bex_entry_request *rq, const bex_mrz *d, const float *live, const float *photo,
                       const char *at, const char *admit_until) {
    memset(rq, 0, sizeof *rq);
    rq->doc = d;
    rq->live = live;
    rq->live_quality = 0.9f;
    rq->live_failure = live ? NULL : "no_face";
    rq->doc_photo = photo;
    rq->doc_quality = 0.9f;
    rq->admission_class = "B2";
    rq->admit_until = admit_until;
    rq->port = PORT;
    rq->port_kind = BEX_PORT_AIR;
    rq->at = at;
}

static int enter(bex_store *st, const bex_mrz *d, const float *live, const float *photo, const char *at,
                 const char *admit_until, bex_entry_result *r) {
    bex_entry_request rq;
    entry_init(&rq, d, live, photo, at, admit_until);
    char err[512];
    int rc = bex_border_entry(st, &rq, r, err, sizeof err);
    if (rc != BEX_OK) printf("  entry: %s\n", err);
    return rc;
}

/* A's live capture and a capture standing for the document photo, then the entry. */
static int enter_person(bex_store *st, const person *p, const bex_mrz *d, int with_photo, const char *at,
                        const char *admit_until, bex_entry_result *r) {
    float live[DIM], photo[DIM];
    capture(p, live);
    capture(p, photo);
    return enter(st, d, live, with_photo ? photo : NULL, at, admit_until, r);
}

static void exit_init(bex_exit_request *rq, const float *live, const char *at, const char *departure) {
    memset(rq, 0, sizeof *rq);
    rq->live = live;
    rq->live_quality = 0.9f;
    rq->port = PORT;
    rq->port_kind = departure ? BEX_PORT_NONE : BEX_PORT_AIR; /* with a departure: the departure's kind */
    rq->departure = departure;
    rq->at = at;
}

static int leave(bex_store *st, const person *p, const char *at, const char *departure, bex_exit_result *r) {
    float live[DIM];
    capture(p, live);
    bex_exit_request rq;
    exit_init(&rq, live, at, departure);
    char err[512];
    int rc = bex_border_exit(st, &rq, r, err, sizeof err);
    if (rc != BEX_OK) printf("  exit: %s\n", err);
    return rc;
}

static const bex_flag *find_flag(const bex_flag *f, int n, const char *kind) {
    for (int i = 0; i < n; i++)
        if (!strcmp(bex_flag_kind_name(f[i].kind), kind)) return &f[i];
    return NULL;
}

static int flag_names_subject(const bex_flag *f, int64_t subject) {
    for (int i = 0; f && i < f->n_subjects; i++)
        if (f->subjects[i] == subject) return 1;
    return 0;
}

static int audit_ok(bex_store *st) {
    long long entries = 0, first_bad = -1;
    int found = 0;
    char head[65], err[256];
    int rc = bex_store_audit_verify(st, NULL, &entries, &first_bad, &found, head, err, sizeof err);
    return rc == BEX_OK && entries > 0 && first_bad == 0 && strlen(head) == 64;
}

/* ---- tests ---- */

TEST(synthetic_templates) {
    for (int i = 0; i < 20; i++) {
        person a = person_new(), b = person_new();
        check_synthetic(&a, &b);
    }
}

/* a target as messages show it: a PostgreSQL URI's password left out, a file as is */
TEST(target_label_hides_password) {
    char b[256];
    CHECK(!strcmp(bex_store_target_label("postgresql://user:secret@host/db", b, sizeof b), "postgresql://user@host/db"));
    CHECK(!strcmp(bex_store_target_label("postgres://u:p%40ss@h:5433/bex?sslmode=require&password=x&application_name=a",
                                         b, sizeof b),
                  "postgres://u@h:5433/bex?sslmode=require&application_name=a"));
    CHECK(!strcmp(bex_store_target_label("postgresql://h/db?password=secret", b, sizeof b), "postgresql://h/db"));
    CHECK(!strcmp(bex_store_target_label("postgresql://postgres@127.0.0.1:5432/bex", b, sizeof b),
                  "postgresql://postgres@127.0.0.1:5432/bex"));
    CHECK(!strcmp(bex_store_target_label("/tmp/a:b@c.db", b, sizeof b), "/tmp/a:b@c.db"));
    CHECK(!strcmp(bex_store_target_label(NULL, b, sizeof b), "(none)"));
    char s[12];
    bex_store_target_label("postgresql://u:secret@host/db", s, sizeof s);
    CHECK(strlen(s) == sizeof s - 1 && !strstr(s, "secret"));
}

TEST(opens_and_migrates) {
    char p[512], err[512];
    db_new(p);
    if (!ON_PG) unlink(p);       /* made by the store itself, under a permissive umask */
    mode_t um = umask(022);
    bex_store *st = store_open(p);
    umask(um);
    if (!st) {
        db_remove(p);
        return;
    }
    CHECK(bex_store_schema_version(st) == NEWEST_SCHEMA);
    CHECK(strlen(bex_store_model(st)) > 0);
    person a = person_new();
    bex_mrz d = passport("X10000001", "TESTA", "ANNA", "1980-01-31", "2031-05-01");
    bex_entry_result r, r2;
    CHECK(enter_person(st, &a, &d, 1, "2026-06-01T10:00:00Z", "2026-08-30", &r) == BEX_OK);
    bex_store_close(st);

    st = store_open(p); /* reopening: same schema, data kept, no migration run again */
    CHECK(st && bex_store_schema_version(st) == NEWEST_SCHEMA);
    if (st) {
        CHECK(enter_person(st, &a, &d, 0, "2026-09-01T10:00:00Z", "2026-11-30", &r2) == BEX_OK);
        CHECK(r2.subject == r.subject && !r2.new_subject && r2.outcome == BEX_OUTCOME_MATCHED);
        /* the store, its WAL and its shared memory: the owner's alone (issue 12: they were 0644) */
        static const char *const sfx[] = {"", "-wal", "-shm"};
        for (int i = 0; i < (ON_PG ? 0 : 3); i++) {
            char f[600];
            struct stat sb;
            snprintf(f, sizeof f, "%s%s", p, sfx[i]);
            CHECK(stat(f, &sb) == 0 && (sb.st_mode & 0777) == 0600);
        }
        bex_store_close(st);
    }
    CHECK(sql_int(p, "SELECT count(*) FROM encounters") == 2);
    CHECK(sql_int(p, "SELECT count(*) FROM audit WHERE action = 'migrate'") == MIGRATIONS);
    char mode[16];
    if (ON_PG) {
        CHECK(sql_int(p, "SELECT max(version) FROM bex_schema") == NEWEST_SCHEMA);
    } else {
        CHECK(sql_int(p, "PRAGMA user_version") == NEWEST_SCHEMA);
        sql_text(p, "PRAGMA journal_mode", mode, sizeof mode);
        CHECK(!strcmp(mode, "wal"));
    }
    db_remove(p);

    if (ON_PG) { /* a database of something else, or from a newer bex: refused, left as it was */
        db_new(p);
        CHECK(sql_exec(p, "CREATE TABLE notes(x TEXT); INSERT INTO notes VALUES ('kept')") == 0);
        st = (bex_store *)1;
        err[0] = 0;
        CHECK(store_try(p, &st, err, sizeof err) == BEX_ERR_FORMAT);
        CHECK(st == NULL && err[0]);
        CHECK(sql_int(p, "SELECT count(*) FROM notes") == 1);
        CHECK(sql_int(p, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()") == 1);
        db_remove(p);
        db_new(p);
        CHECK(sql_exec(p, "CREATE TABLE bex_schema (version BIGINT NOT NULL); INSERT INTO bex_schema VALUES (999); "
                          "CREATE TABLE future(x BIGINT)") == 0);
        err[0] = 0;
        CHECK(store_try(p, &st, err, sizeof err) == BEX_ERR_UNSUPPORTED);
        CHECK(st == NULL && err[0] && strstr(err, "999"));
        CHECK(sql_int(p, "SELECT max(version) FROM bex_schema") == 999);
        CHECK(sql_int(p, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()") == 2);
        db_remove(p);
        printf("  (SQLite only, not run: a non-SQLite file, the file's bytes, mode and journal)\n");
        CHECK(store_try("", &st, err, sizeof err) == BEX_ERR_ARG && st == NULL);
        return;
    }

    /* an SQLite database of something else: refused, and left as it was */
    db_new(p);
    CHECK(sql_exec(p, "CREATE TABLE notes(x TEXT); INSERT INTO notes VALUES ('kept')") == SQLITE_OK);
    size_t n0, n1;
    unsigned char *before = file_bytes(p, &n0);
    st = (bex_store *)1;
    err[0] = 0;
    CHECK(store_try(p, &st, err, sizeof err) == BEX_ERR_FORMAT);
    CHECK(st == NULL && err[0]);
    unsigned char *after = file_bytes(p, &n1);
    CHECK(before && after && n0 > 0 && n0 == n1 && !memcmp(before, after, n0));
    CHECK(sql_int(p, "SELECT count(*) FROM notes") == 1);
    sql_text(p, "PRAGMA journal_mode", mode, sizeof mode);
    CHECK(!strcmp(mode, "delete"));
    char wal[600];
    snprintf(wal, sizeof wal, "%s-wal", p);
    CHECK(!file_exists(wal));
    free(before);
    free(after);
    db_remove(p);

    /* a store from a newer bex: refused, and left as it was */
    db_new(p);
    CHECK(sql_exec(p, "PRAGMA user_version = 999; CREATE TABLE future(x)") == SQLITE_OK);
    before = file_bytes(p, &n0);
    err[0] = 0;
    CHECK(store_try(p, &st, err, sizeof err) == BEX_ERR_UNSUPPORTED);
    CHECK(st == NULL && err[0] && strstr(err, "999"));
    after = file_bytes(p, &n1);
    CHECK(before && after && n0 == n1 && !memcmp(before, after, n0));
    CHECK(sql_int(p, "PRAGMA user_version") == 999);
    free(before);
    free(after);
    db_remove(p);

    /* random bytes: an error, not a crash */
    db_new(p);
    FILE *f = fopen(p, "wb");
    CHECK(f != NULL);
    if (f) {
        for (int i = 0; i < 8192; i++) fputc((int)(rnd() * 256), f);
        fclose(f);
    }
    err[0] = 0;
    int rc = store_try(p, &st, err, sizeof err);
    CHECK(rc != BEX_OK && st == NULL && err[0]);
    db_remove(p);

    /* no path */
    CHECK(store_try("", &st, err, sizeof err) == BEX_ERR_ARG && st == NULL);
}

TEST(entry_enrols_and_exit_links) {
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    person a = person_new(), b = person_new();
    check_synthetic(&a, &b);
    bex_mrz da = passport("X20000001", "TESTA", "ANNA", "1980-01-31", "2031-05-01");
    bex_mrz db = passport("X20000002", "TESTB", "BERTA", "1975-07-04", "2030-01-01");
    bex_entry_result ea, eb;
    CHECK(enter_person(st, &a, &da, 1, "2026-06-01T10:00:00Z", "2026-08-30", &ea) == BEX_OK);
    CHECK(ea.outcome == BEX_OUTCOME_MATCHED && ea.new_subject == 1 && ea.subject > 0 && ea.document > 0);
    CHECK(ea.admission > 0 && ea.encounter > 0 && ea.n_flags == 0);
    CHECK(ea.verify.match == 1 && ea.verify.gallery == BEX_GALLERY_DOCUMENT);
    CHECK(ea.verify.score > 0.95f && ea.verify.threshold > 0.5f && ea.verify.threshold < 0.99f);
    CHECK(enter_person(st, &b, &db, 1, "2026-06-01T10:05:00Z", "2026-08-30", &eb) == BEX_OK);
    CHECK(eb.new_subject == 1 && eb.subject != ea.subject && eb.n_flags == 0);
    CHECK(eb.identify.gallery_size == 1 && !eb.identify.match); /* A was searched, not matched */
    CHECK(sql_int(p, "SELECT count(*) FROM samples WHERE subject_id = %lld", (long long)ea.subject) == 2);

    bex_exit_result x1, x2, xb;
    CHECK(leave(st, &a, "2026-06-20T08:00:00Z", NULL, &x1) == BEX_OK);
    CHECK(x1.outcome == BEX_OUTCOME_MATCHED && x1.subject == ea.subject && x1.admission == ea.admission);
    CHECK(x1.match.match && x1.match.score > 0.9f && x1.n_flags == 0 && x1.encounter > ea.encounter);
    CHECK(sql_int(p, "SELECT exit_encounter_id FROM admissions WHERE id = %lld", (long long)ea.admission) ==
          x1.encounter);
    CHECK(sql_int(p, "SELECT exit_encounter_id IS NULL FROM admissions WHERE id = %lld",
                  (long long)eb.admission) == 1);
    /* a second exit: still A, but no admission left open */
    CHECK(leave(st, &a, "2026-06-21T08:00:00Z", NULL, &x2) == BEX_OK);
    CHECK(x2.outcome == BEX_OUTCOME_MATCHED && x2.subject == ea.subject && x2.admission == 0);
    CHECK(leave(st, &b, "2026-06-22T08:00:00Z", NULL, &xb) == BEX_OK);
    CHECK(xb.outcome == BEX_OUTCOME_MATCHED && xb.subject == eb.subject && xb.admission == eb.admission);

    /* an exit without a usable photo is recorded as such */
    bex_exit_request rq;
    exit_init(&rq, NULL, "2026-06-22T09:00:00Z", NULL);
    rq.live_failure = "no_face";
    char err[256];
    bex_exit_result xn;
    CHECK(bex_border_exit(st, &rq, &xn, err, sizeof err) == BEX_OK);
    CHECK(xn.outcome == BEX_OUTCOME_NO_PHOTO && xn.subject == 0 && xn.encounter > 0);
    CHECK(audit_ok(st));
    bex_store_close(st);
    CHECK(sql_int(p, "SELECT count(*) FROM encounters") == 6);
    db_remove(p);
}

TEST(returning_traveller_linked) {
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    person a = person_new(), b = person_new();
    bex_mrz p1 = passport("X30000001", "TESTA", "ANNA MARIA", "1980-01-31", "2027-01-01");
    bex_mrz p2 = passport("X30000099", "TESTA", "ANNA MARIA", "1980-01-31", "2036-12-31"); /* renewed */
    bex_mrz pb = passport("X30000002", "TESTB", "BERTA", "1975-07-04", "2030-01-01");
    bex_entry_result e1, e2, e3, eb;
    bex_exit_result x;
    CHECK(enter_person(st, &b, &pb, 1, "2026-01-05T10:00:00Z", NULL, &eb) == BEX_OK);
    CHECK(enter_person(st, &a, &p1, 1, "2026-01-10T10:00:00Z", "2026-04-09", &e1) == BEX_OK);
    CHECK(e1.new_subject && e1.subject != eb.subject);
    CHECK(leave(st, &a, "2026-02-10T10:00:00Z", NULL, &x) == BEX_OK && x.subject == e1.subject);

    /* the same passport, no document photo: linked by the holder's samples */
    CHECK(enter_person(st, &a, &p1, 0, "2026-05-01T10:00:00Z", "2026-07-30", &e2) == BEX_OK);
    CHECK(e2.subject == e1.subject && e2.new_subject == 0 && e2.outcome == BEX_OUTCOME_MATCHED);
    CHECK(e2.document == e1.document && e2.n_flags == 0 && e2.admission != e1.admission);
    CHECK(leave(st, &a, "2026-06-01T10:00:00Z", NULL, &x) == BEX_OK && x.admission == e2.admission);

    /* a renewed passport (new number, same names and birth date): the same traveller */
    CHECK(enter_person(st, &a, &p2, 0, "2026-09-01T10:00:00Z", "2026-11-30", &e3) == BEX_OK);
    CHECK(e3.subject == e1.subject && e3.new_subject == 0 && e3.outcome == BEX_OUTCOME_MATCHED);
    CHECK(e3.document != e1.document && e3.document > 0 && e3.n_flags == 0);
    CHECK(sql_int(p, "SELECT count(*) FROM documents WHERE subject_id = %lld", (long long)e1.subject) == 2);
    CHECK(sql_int(p, "SELECT count(*) FROM subjects") == 2);
    CHECK(sql_int(p, "SELECT count(*) FROM flags") == 0);
    bex_store_close(st);
    db_remove(p);
}

TEST(impostor) {
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    person a = person_new(), b = person_new(), c = person_new(), e = person_new();
    bex_mrz pa = passport("X40000001", "TESTA", "ANNA", "1980-01-31", "2031-05-01");
    bex_entry_result ea, eb, ec;
    CHECK(enter_person(st, &a, &pa, 1, "2026-03-01T10:00:00Z", "2026-05-30", &ea) == BEX_OK);
    CHECK(ea.n_flags == 0);
    /* B presents A's passport, whose photo is A's */
    float live[DIM], photo[DIM];
    capture(&b, live);
    capture(&a, photo);
    CHECK(enter(st, &pa, live, photo, "2026-03-02T10:00:00Z", "2026-05-30", &eb) == BEX_OK);
    CHECK(eb.outcome == BEX_OUTCOME_NOT_MATCHED && eb.verify.match == 0 && eb.verify.score < eb.verify.threshold);
    const bex_flag *f = find_flag(eb.flags, eb.n_flags, "impostor_suspected");
    CHECK(f != NULL);
    CHECK(eb.subject != ea.subject && flag_names_subject(f, eb.subject) && flag_names_subject(f, ea.subject));
    CHECK(f && f->encounter == eb.encounter);
    /* an impostor with a passport bex has never seen */
    bex_mrz px = passport("X40000077", "TESTX", "XENIA", "1990-02-02", "2031-05-01");
    capture(&c, live);
    capture(&e, photo);
    CHECK(enter(st, &px, live, photo, "2026-03-03T10:00:00Z", "2026-05-30", &ec) == BEX_OK);
    CHECK(ec.outcome == BEX_OUTCOME_NOT_MATCHED && find_flag(ec.flags, ec.n_flags, "impostor_suspected"));
    /* the document photo of an impostor is not enrolled: A is still A, and nobody else */
    bex_exit_result x;
    CHECK(leave(st, &a, "2026-03-10T10:00:00Z", NULL, &x) == BEX_OK);
    CHECK(x.outcome == BEX_OUTCOME_MATCHED && x.subject == ea.subject);
    /* the flags are on record */
    bex_flag *all = NULL;
    size_t n = 0;
    char err[256];
    size_t total = 0;
    CHECK(bex_border_flags(st, NULL, &all, &n, &total, err, sizeof err) == BEX_OK && n == 2 && total == 2);
    /* newest first: the oldest is B's on A's passport */
    CHECK(n == 2 && all[1].kind == BEX_FLAG_IMPOSTOR_SUSPECTED && all[1].status == BEX_FLAG_OPEN);
    CHECK(n == 2 && all[1].n_subjects == 2 && all[1].n_documents == 1 && all[0].id > all[1].id);
    free(all);
    bex_store_close(st);
    db_remove(p);
}

TEST(two_identities) {
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    person a = person_new(), e = person_new();
    bex_mrz p1 = passport("X50000001", "TESTA", "ANNA", "1980-01-31", "2031-05-01");
    bex_mrz p2 = passport("Y50000002", "OTHERNAME", "OLGA", "1981-03-03", "2032-05-01");
    bex_entry_result e1, e2;
    CHECK(enter_person(st, &a, &p1, 1, "2026-03-01T10:00:00Z", "2026-05-30", &e1) == BEX_OK);
    CHECK(enter_person(st, &a, &p2, 1, "2026-07-01T10:00:00Z", "2026-09-30", &e2) == BEX_OK);
    CHECK(e2.subject != e1.subject && e2.new_subject);
    const bex_flag *f = find_flag(e2.flags, e2.n_flags, "two_identities");
    CHECK(f != NULL);
    CHECK(flag_names_subject(f, e1.subject) && flag_names_subject(f, e2.subject));
    CHECK(!find_flag(e2.flags, e2.n_flags, "biographic_mismatch"));

    /* the same names with another birth date */
    bex_mrz p3 = passport("X50000003", "TESTE", "EVA", "1985-05-05", "2031-05-01");
    bex_mrz p4 = passport("X50000004", "TESTE", "EVA", "1986-06-06", "2031-05-01");
    bex_entry_result e3, e4;
    CHECK(enter_person(st, &e, &p3, 1, "2026-03-05T10:00:00Z", "2026-05-30", &e3) == BEX_OK);
    CHECK(e3.n_flags == 0);
    CHECK(enter_person(st, &e, &p4, 0, "2026-07-05T10:00:00Z", "2026-09-30", &e4) == BEX_OK);
    f = find_flag(e4.flags, e4.n_flags, "biographic_mismatch");
    CHECK(f != NULL);
    CHECK(flag_names_subject(f, e3.subject));
    CHECK(e4.subject != e3.subject);
    CHECK(!find_flag(e4.flags, e4.n_flags, "two_identities"));
    bex_store_close(st);
    db_remove(p);
}

/* Calibration on the store's own templates (store.h): every pair of two travellers' templates,
 * travellers a flag names together left out; the drift check records, and with a calibration
 * that no longer holds raises a score_drift flag. */
TEST(calibration_on_own_data) {
    char p[512], err[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    bex_entry_result r;
    char num[16], at[24];
    for (int i = 0; i < 50; i++) {
        person a = person_new();
        snprintf(num, sizeof num, "C%08d", i);
        snprintf(at, sizeof at, "2026-03-%02dT10:00:00Z", 1 + i % 28);
        char given[8] = {'A', (char)('A' + i / 26), (char)('A' + i % 26), 0}, birth[11];
        snprintf(birth, sizeof birth, "19%02d-01-%02d", 50 + i % 40, 1 + i % 28);
        bex_mrz d = passport(num, "CALIB", given, birth, "2031-05-01");
        if (i < 48) CHECK(enter_person(st, &a, &d, 1, at, "2026-06-30", &r) == BEX_OK);
        else { /* the same face again, same names, another birth date: biographic_mismatch links the two */
            CHECK(enter_person(st, &a, &d, 1, at, "2026-06-30", &r) == BEX_OK);
            snprintf(num, sizeof num, "Z%08d", i);
            bex_mrz d2 = passport(num, "CALIB", given, "1999-09-09", "2031-05-01");
            CHECK(enter_person(st, &a, &d2, 0, "2026-04-01T10:00:00Z", "2026-06-30", &r) == BEX_OK);
            CHECK(find_flag(r.flags, r.n_flags, "biographic_mismatch") != NULL);
        }
    }
    long long linked = sql_int(p, "SELECT coalesce(sum(a.c * b.c), 0) FROM "
                                  "(SELECT fs.flag_id f, fs.subject_id s, (SELECT count(*) FROM samples WHERE subject_id = fs.subject_id) c FROM flag_subjects fs) a "
                                  "JOIN (SELECT fs.flag_id f, fs.subject_id s, (SELECT count(*) FROM samples WHERE subject_id = fs.subject_id) c FROM flag_subjects fs) b "
                                  "ON a.f = b.f AND a.s < b.s");
    long long n = sql_int(p, "SELECT count(*) FROM samples WHERE subject_id IS NOT NULL");
    long long same = sql_int(p, "SELECT coalesce(sum(c * (c - 1) / 2), 0) FROM (SELECT count(*) c FROM samples "
                                "WHERE subject_id IS NOT NULL GROUP BY subject_id) AS g");
    CHECK(linked > 0);
    bex_score_query q = {.by = BEX_CALIB_BY_PORT};
    bex_score_group *g = NULL;
    size_t ng = 0;
    CHECK(bex_store_calibration_scores(st, &q, &g, &ng, err, sizeof err) == BEX_OK);
    CHECK(ng == 2); /* the model's, and JFK's */
    if (ng == 2) {
        CHECK(!strcmp(g[0].scope, "model") && !strcmp(g[1].scope, "port") && !strcmp(g[1].key, PORT));
        CHECK((long long)g[0].n_nonmated == n * (n - 1) / 2 - same - linked && !g[0].sampled);
        CHECK(g[0].available == g[0].n_nonmated && (long long)g[0].n_mated == same);
        CHECK(g[1].templates < g[0].templates); /* live captures only */
        for (size_t i = 0; i < g[0].n_nonmated; i++) CHECK(g[0].nonmated[i] < 0.6f);
    }
    bex_store_score_groups_free(g, ng);
    /* a cap: drawn at random, the same draw for the same seed */
    q.by = BEX_CALIB_BY_MODEL;
    q.cap = 500;
    q.seed = 9;
    bex_score_group *g1 = NULL, *g2 = NULL;
    size_t n1 = 0, n2 = 0;
    CHECK(bex_store_calibration_scores(st, &q, &g1, &n1, err, sizeof err) == BEX_OK);
    CHECK(bex_store_calibration_scores(st, &q, &g2, &n2, err, sizeof err) == BEX_OK);
    CHECK(n1 == 1 && n2 == 1 && g1[0].sampled && g1[0].n_nonmated == 500 &&
          !memcmp(g1[0].nonmated, g2[0].nonmated, 500 * sizeof(float)));
    bex_store_score_groups_free(g1, n1);
    bex_store_score_groups_free(g2, n2);

    /* drift against the shipped table: these synthetic scores sit far below its thresholds */
    bex_drift_check dc;
    CHECK(bex_store_drift_check(st, "2026-01-01", 0.01, 0, 0, 1, 1, &dc, err, sizeof err) == BEX_OK);
    CHECK(dc.calibration == 0 && dc.drift.enough && dc.drift.above == 0 && dc.drift.alarm && dc.drift.direction == -1);
    /* a calibration whose FMR 0.01 threshold is far too low: every score is above it */
    char json[1024];
    snprintf(json, sizeof json,
             "{\"calibration\":\"store\",\"seed\":1,\"groups\":[{\"model\":\"%s\",\"scope\":\"model\",\"key\":\"\","
             "\"nonmated_comparisons\":5000,\"sampled\":false,\"status\":\"calibrated\",\"fmr\":[{\"target\":0.1,"
             "\"threshold\":-0.4,\"false_matches\":500},{\"target\":0.01,\"threshold\":-0.3,\"false_matches\":50},"
             "{\"target\":0.001,\"threshold\":-0.2,\"false_matches\":5}]}]}",
             bex_store_model(st));
    int applied = 0;
    CHECK(bex_store_calibration_apply(st, "{\"groups\":[]}", &applied, err, sizeof err) == BEX_ERR_FORMAT);
    CHECK(bex_store_calibration_apply(st, json, &applied, err, sizeof err) == BEX_OK && applied == 1);
    int64_t cid = 0;
    double thr = 0, target = 0;
    CHECK(bex_store_calibration_threshold(st, bex_store_model(st), 0.02, &cid, &thr, &target, err, sizeof err) == BEX_OK);
    CHECK(cid > 0 && fabs(thr + 0.3) < 1e-9 && fabs(target - 0.01) < 1e-12);
    CHECK(bex_store_drift_check(st, "2026-01-01", 0.01, 0, 0, 1, 1, &dc, err, sizeof err) == BEX_OK);
    CHECK(dc.calibration == cid && dc.drift.alarm && dc.drift.direction == 1 && dc.flag > 0);
    CHECK(sql_int(p, "SELECT count(*) FROM flags WHERE kind = 'score_drift' AND status = 'open'") == 2);
    bex_drift_check last;
    int found = 0;
    CHECK(bex_store_drift_latest(st, &last, &found, err, sizeof err) == BEX_OK && found && last.id == dc.id &&
          last.flag == dc.flag && last.drift.above == dc.drift.above);
    CHECK(sql_int(p, "SELECT count(*) FROM audit WHERE action IN ('calibration_scores', 'calibration_apply', "
                     "'drift_check')") >= 7);
    CHECK(audit_ok(st));
    bex_store_close(st);
    db_remove(p);
}

/* A face that scores about `sim` against p's: p's direction mixed with another person's. */
static void resembling(const person *p, double sim, float out[DIM]) {
    person o = person_new();
    double c = sqrt(1 - sim * sim);
    for (int k = 0; k < DIM; k++) out[k] = (float)(sim * p->base[k] + c * o.base[k]);
    normalise(out);
}

static int exit_at(bex_store *st, const float *live, const char *port, const char *at, bex_exit_result *r) {
    bex_exit_request rq;
    exit_init(&rq, live, at, NULL);
    rq.port = port;
    char err[512];
    int rc = bex_border_exit(st, &rq, r, err, sizeof err);
    if (rc != BEX_OK) printf("  exit: %s\n", err);
    return rc;
}

/* One group of a calibration file: rows 0.1 .. 0.0001 at thresholds t, t + 0.05, t + 0.1, t + 0.15. */
static void calib_group(char *out, size_t n, const char *model, const char *scope, const char *key, double t) {
    snprintf(out, n, "{\"model\":\"%s\",\"scope\":\"%s\",\"key\":\"%s\",\"nonmated_comparisons\":200000,"
             "\"sampled\":false,\"status\":\"calibrated\",\"fmr\":[{\"target\":0.1,\"threshold\":%.2f,"
             "\"false_matches\":20000},{\"target\":0.01,\"threshold\":%.2f,\"false_matches\":2000},{\"target\":0.001,"
             "\"threshold\":%.2f,\"false_matches\":200},{\"target\":0.0001,\"threshold\":%.2f,\"false_matches\":20}]}",
             model, scope, key, t, t + 0.05, t + 0.1, t + 0.15);
}

/* The applied calibration governs decisions: the port's at that port, the model's elsewhere,
 * the shipped table where none is applied or after a revert; each decision names it; an apply
 * by another connection governs this handle's next crossing. */
TEST(decisions_at_the_applied_calibration) {
    char p[512], err[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    person a = person_new();
    bex_mrz d = passport("K70000001", "TESTA", "ANNA", "1980-01-31", "2031-05-01");
    bex_entry_result e;
    CHECK(enter_person(st, &a, &d, 1, "2026-03-01T10:00:00Z", "2026-05-30", &e) == BEX_OK);
    CHECK(e.verify.calibration_id == 0 && strstr(e.verify.calibration, "shipped LFW") &&
          strstr(e.identify.calibration, "shipped LFW"));
    float probe[DIM];
    /* none applied: the shipped table, ~0.93 and up: not A */
    bex_calibration c;
    CHECK(bex_store_calibration_for(st, PORT, &c, err, sizeof err) == BEX_OK && c.source == BEX_CALIB_SHIPPED);
    bex_exit_result x;
    resembling(&a, 0.72, probe); /* a new one: a matched probe is kept as A's */
    CHECK(exit_at(st, probe, PORT, "2026-03-05T10:00:00Z", &x) == BEX_OK);
    CHECK(x.outcome == BEX_OUTCOME_NOT_MATCHED && x.match.calibration_id == 0 && x.match.threshold > 0.9f &&
          strstr(x.match.calibration, "shipped LFW"));
    CHECK(sql_int(p, "SELECT count(*) FROM encounters WHERE id = %lld AND calibration_id IS NULL AND "
                     "operating_point IS NOT NULL", (long long)x.encounter) == 1); /* the shipped table */

    /* a table that does not reach FMR 0.001 would leave 1:1 without a threshold: refused */
    char g1[1024], g2[1024], json[2200];
    snprintf(json, sizeof json, "{\"calibration\":\"store\",\"seed\":1,\"groups\":[{\"model\":\"%s\",\"scope\":\"model\","
             "\"key\":\"\",\"nonmated_comparisons\":500,\"fmr\":[{\"target\":0.1,\"threshold\":0.3},{\"target\":0.01,"
             "\"threshold\":0.4}]}]}", bex_store_model(st));
    int applied = 0;
    CHECK(bex_store_calibration_apply(st, json, &applied, err, sizeof err) == BEX_ERR_UNSUPPORTED && strstr(err, "0.001"));
    CHECK(sql_int(p, "SELECT count(*) FROM calibrations") == 0);

    /* model-wide 0.50 at FMR 0.001 (0.55 at 0.0001), JFK's 0.80 (0.85) */
    calib_group(g1, sizeof g1, bex_store_model(st), "model", "", 0.40);
    calib_group(g2, sizeof g2, bex_store_model(st), "port", PORT, 0.70);
    snprintf(json, sizeof json, "{\"calibration\":\"store\",\"seed\":1,\"groups\":[%s,%s]}", g1, g2);
    CHECK(bex_store_calibration_apply(st, json, &applied, err, sizeof err) == BEX_OK && applied == 2);
    long long model_id = sql_int(p, "SELECT id FROM calibrations WHERE scope = 'model' AND replaced_at IS NULL");
    long long jfk_id = sql_int(p, "SELECT id FROM calibrations WHERE scope = 'port' AND replaced_at IS NULL");
    CHECK(bex_store_calibration_for(st, PORT, &c, err, sizeof err) == BEX_OK && c.source == BEX_CALIB_APPLIED &&
          c.id == jfk_id && c.n_rows == 4 && !strcmp(c.key, PORT));
    CHECK(bex_store_calibration_for(st, "LAX", &c, err, sizeof err) == BEX_OK && c.id == model_id);
    /* at JFK its own table: 0.72 is below its 1:N threshold */
    resembling(&a, 0.72, probe); /* a new one: a matched probe is kept as A's */
    CHECK(exit_at(st, probe, PORT, "2026-03-06T10:00:00Z", &x) == BEX_OK);
    CHECK(x.outcome == BEX_OUTCOME_NOT_MATCHED && x.match.calibration_id == jfk_id && x.match.threshold >= 0.80f &&
          strstr(x.match.calibration, "port JFK"));
    /* at another port the model's: 0.72 is above it, the probe is A's (the shipped table said no) */
    resembling(&a, 0.72, probe); /* a new one: a matched probe is kept as A's */
    CHECK(exit_at(st, probe, "LAX", "2026-03-07T10:00:00Z", &x) == BEX_OK);
    CHECK(x.outcome == BEX_OUTCOME_MATCHED && x.subject == e.subject && x.match.calibration_id == model_id &&
          x.match.threshold >= 0.50f && x.match.threshold < 0.6f && strstr(x.match.calibration, "model-wide"));
    CHECK(sql_int(p, "SELECT count(*) FROM audit WHERE action = 'exit' AND detail LIKE '%%calibration %lld'",
                  model_id) == 1);
    /* the crossing's row names the table and operating point that decided it (migration 008) */
    CHECK(sql_int(p, "SELECT calibration_id FROM encounters WHERE id = %lld", (long long)x.encounter) == model_id);
    CHECK(sql_int(p, "SELECT count(*) FROM encounters WHERE id = %lld AND operating_point LIKE 'FPIR 0.003%%'",
                  (long long)x.encounter) == 1);
    /* an entry at JFK: 1:1 at JFK's FMR 0.001 threshold, named */
    person b = person_new();
    bex_mrz db = passport("K70000002", "TESTB", "BETA", "1981-02-02", "2031-05-01");
    CHECK(enter_person(st, &b, &db, 1, "2026-03-08T10:00:00Z", "2026-05-30", &e) == BEX_OK);
    CHECK(e.verify.calibration_id == jfk_id && fabsf(e.verify.threshold - 0.80f) < 1e-6f && e.verify.match &&
          e.identify.calibration_id == jfk_id);

    /* reverting JFK's: the model's governs JFK */
    int n = 0;
    CHECK(bex_store_calibration_revert(st, PORT, &n, err, sizeof err) == BEX_OK && n == 1);
    CHECK(bex_store_calibration_revert(st, PORT, &n, err, sizeof err) == BEX_ERR_ARG);
    resembling(&a, 0.72, probe); /* a new one: a matched probe is kept as A's */
    CHECK(exit_at(st, probe, PORT, "2026-03-09T10:00:00Z", &x) == BEX_OK);
    CHECK(x.outcome == BEX_OUTCOME_MATCHED && x.match.calibration_id == model_id);
    /* reopened: read at open */
    bex_store_close(st);
    st = store_open(p);
    CHECK(bex_store_calibration_for(st, PORT, &c, err, sizeof err) == BEX_OK && c.id == model_id);
    /* reverting all: the shipped table again */
    CHECK(bex_store_calibration_revert(st, NULL, &n, err, sizeof err) == BEX_OK && n == 1);
    resembling(&a, 0.72, probe); /* a new one: a matched probe is kept as A's */
    CHECK(exit_at(st, probe, "LAX", "2026-03-10T10:00:00Z", &x) == BEX_OK);
    CHECK(x.outcome == BEX_OUTCOME_NOT_MATCHED && x.match.calibration_id == 0);
    /* another connection applies (the CLI beside a running service): this handle's next crossing uses it */
    bex_store *other = store_open(p);
    CHECK(other && bex_store_calibration_apply(other, json, &applied, err, sizeof err) == BEX_OK);
    bex_store_close(other);
    resembling(&a, 0.72, probe); /* a new one: a matched probe is kept as A's */
    CHECK(exit_at(st, probe, "LAX", "2026-03-11T10:00:00Z", &x) == BEX_OK);
    CHECK(x.outcome == BEX_OUTCOME_MATCHED && x.match.calibration_id > jfk_id);
    CHECK(sql_int(p, "SELECT count(*) FROM audit WHERE action = 'calibration_revert'") == 2);
    CHECK(audit_ok(st));
    bex_store_close(st);
    db_remove(p);
}

TEST(document_shared) {
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    person a = person_new(), c = person_new();
    bex_mrz pp = passport("X60000001", "TESTA", "ANNA", "1980-01-31", "2031-05-01");
    bex_entry_result ea, ec;
    CHECK(enter_person(st, &a, &pp, 0, "2026-03-01T10:00:00Z", "2026-05-30", &ea) == BEX_OK);
    CHECK(ea.outcome == BEX_OUTCOME_ENROLLED && ea.n_flags == 0);
    CHECK(enter_person(st, &c, &pp, 0, "2026-04-01T10:00:00Z", "2026-06-30", &ec) == BEX_OK);
    CHECK(ec.outcome == BEX_OUTCOME_NOT_MATCHED && ec.new_subject && ec.subject != ea.subject);
    const bex_flag *f = find_flag(ec.flags, ec.n_flags, "document_shared");
    CHECK(f != NULL);
    CHECK(flag_names_subject(f, ea.subject) && flag_names_subject(f, ec.subject));
    CHECK(f && f->n_documents == 2);
    /* both faces are found again as themselves */
    bex_exit_result xa, xc;
    CHECK(leave(st, &a, "2026-04-10T10:00:00Z", NULL, &xa) == BEX_OK && xa.subject == ea.subject);
    CHECK(leave(st, &c, "2026-04-11T10:00:00Z", NULL, &xc) == BEX_OK && xc.subject == ec.subject);
    bex_store_close(st);
    db_remove(p);
}

TEST(document_problem) {
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    person a = person_new(), b = person_new(), c = person_new();
    /* one digit of the document number changed after printing: its check digit fails */
    char text[90], err[256];
    CHECK(bex_mrz_make_td3("P", "UTO", "TESTA", "ANNA", "X70000001", "UTO", "1980-01-31", 'F', "2031-05-01", text,
                           err, sizeof err) == BEX_OK);
    CHECK(text[45] == 'X' && text[46] == '7');
    text[46] = '8';
    bex_mrz bad;
    CHECK(bex_mrz_parse_at(text, TODAY, &bad, err, sizeof err) == BEX_OK);
    CHECK(bad.n_failed > 0);
    bex_entry_result r;
    CHECK(enter_person(st, &a, &bad, 1, "2026-03-01T10:00:00Z", "2026-05-30", &r) == BEX_OK);
    const bex_flag *f = find_flag(r.flags, r.n_flags, "document_problem");
    CHECK(f != NULL && strstr(f->detail, "document_number"));
    CHECK(sql_int(p, "SELECT count(*) FROM documents WHERE id = %lld AND checks_failed LIKE '%%document_number%%'",
                  (long long)r.document) == 1);
    /* an expired passport */
    bex_mrz old = passport("X70000002", "TESTB", "BERTA", "1975-07-04", "2026-02-28");
    CHECK(enter_person(st, &b, &old, 1, "2026-03-01T11:00:00Z", "2026-05-30", &r) == BEX_OK);
    f = find_flag(r.flags, r.n_flags, "document_problem");
    CHECK(f != NULL && strstr(f->detail, "expired"));
    /* a good one raises nothing */
    bex_mrz good = passport("X70000003", "TESTC", "CARLA", "1970-10-10", "2026-03-01");
    CHECK(enter_person(st, &c, &good, 1, "2026-03-01T12:00:00Z", "2026-05-30", &r) == BEX_OK);
    CHECK(r.n_flags == 0 && r.outcome == BEX_OUTCOME_MATCHED);
    bex_store_close(st);
    db_remove(p);
}

TEST(exit_not_matched_recorded) {
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    person a = person_new(), z = person_new();
    bex_mrz pa = passport("X80000001", "TESTA", "ANNA", "1980-01-31", "2031-05-01");
    bex_entry_result ea;
    CHECK(enter_person(st, &a, &pa, 1, "2026-03-01T10:00:00Z", "2026-05-30", &ea) == BEX_OK);
    bex_exit_result x;
    CHECK(leave(st, &z, "2026-03-05T10:00:00Z", NULL, &x) == BEX_OK);
    CHECK(x.outcome == BEX_OUTCOME_NOT_MATCHED && x.subject == 0 && x.admission == 0 && x.encounter > 0);
    CHECK(x.match.gallery_size >= 1 && !x.match.match && x.match.gallery != BEX_GALLERY_NONE);
    const bex_flag *f = find_flag(x.flags, x.n_flags, "not_matched");
    CHECK(f != NULL && f->encounter == x.encounter && f->n_subjects == 0);
    bex_store_close(st);
    CHECK(sql_int(p, "SELECT count(*) FROM encounters WHERE id = %lld AND subject_id IS NULL AND "
                     "direction = 'exit' AND outcome = 'not_matched'", (long long)x.encounter) == 1);
    CHECK(sql_int(p, "SELECT count(*) FROM samples WHERE encounter_id = %lld AND subject_id IS NULL AND "
                     "length(template) = %d", (long long)x.encounter, DIM * 4) == 1);
    CHECK(sql_int(p, "SELECT exit_encounter_id IS NULL FROM admissions WHERE id = %lld", (long long)ea.admission) ==
          1);
    /* the unmatched capture is not enrolled: the next exit of that face is unmatched again */
    st = store_open(p);
    if (st) {
        CHECK(leave(st, &z, "2026-03-06T10:00:00Z", NULL, &x) == BEX_OK);
        CHECK(x.outcome == BEX_OUTCOME_NOT_MATCHED && x.subject == 0);
        bex_store_close(st);
    }
    db_remove(p);
}

/* Images are kept only while retention "images" says so; an overstayer's record follows its
 * own period, and a traveller still within their stay is never purged as an old record. */
TEST(images_and_overstayer_retention) {
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    char err[256];
    person a = person_new(), b = person_new(), o = person_new(), h = person_new();
    float live[DIM];
    static const char jpeg[] = "\xff\xd8\xff\xe0 not really a photo";
    bex_entry_request rq;
    bex_entry_result ea, eb, eo, eh;
    /* images: 0 by default, so not kept; 2 days: kept, and dropped 2 days on */
    bex_mrz da = passport("XR0000001", "TESTA", "ANNA", "1980-01-01", "2031-01-01");
    capture(&a, live);
    entry_init(&rq, &da, live, NULL, "2026-01-01T09:00:00Z", "2026-01-20");
    rq.live_image = jpeg;
    rq.live_image_len = sizeof jpeg;
    CHECK(bex_border_entry(st, &rq, &ea, err, sizeof err) == BEX_OK);
    CHECK(sql_int(p, "SELECT count(*) FROM samples WHERE image IS NOT NULL") == 0);
    CHECK(bex_border_set_retention(st, "images", 2 * 86400, err, sizeof err) == BEX_OK);
    bex_mrz db_ = passport("XR0000002", "TESTB", "BEA", "1981-01-01", "2031-01-01");
    capture(&b, live);
    entry_init(&rq, &db_, live, NULL, "2026-01-01T10:00:00Z", "2026-01-20");
    rq.live_image = jpeg;
    rq.live_image_len = sizeof jpeg;
    CHECK(bex_border_entry(st, &rq, &eb, err, sizeof err) == BEX_OK);
    CHECK(sql_int(p, "SELECT count(*) FROM samples WHERE image IS NOT NULL AND length(image) = %d",
                  (int)sizeof jpeg) == 1);
    bex_purge_result pr;
    CHECK(bex_border_purge(st, "2026-01-03T09:59:00Z", &pr, err, sizeof err) == BEX_OK && pr.images == 0);
    CHECK(bex_border_purge(st, "2026-01-03T10:00:00Z", &pr, err, sizeof err) == BEX_OK && pr.images == 1);
    CHECK(sql_int(p, "SELECT count(*) FROM samples WHERE image IS NOT NULL") == 0);
    /* records: 30 days; overstayers: 90 days. O overstays (never leaves, admitted to 01-10);
     * H is still within a long stay (admitted to 2027); A and B left on time */
    bex_mrz dov = passport("XR0000003", "TESTO", "OLGA", "1982-01-01", "2031-01-01");
    bex_mrz dh = passport("XR0000004", "TESTH", "HUGO", "1983-01-01", "2031-01-01");
    CHECK(enter_person(st, &o, &dov, 1, "2026-01-02T09:00:00Z", "2026-01-10", &eo) == BEX_OK);
    CHECK(enter_person(st, &h, &dh, 1, "2026-01-02T10:00:00Z", "2027-12-31", &eh) == BEX_OK);
    bex_exit_result x;
    CHECK(leave(st, &a, "2026-01-15T09:00:00Z", NULL, &x) == BEX_OK && x.subject == ea.subject);
    CHECK(leave(st, &b, "2026-01-15T10:00:00Z", NULL, &x) == BEX_OK && x.subject == eb.subject);
    CHECK(bex_border_set_retention(st, "records", 30LL * 86400, err, sizeof err) == BEX_OK);
    CHECK(bex_border_set_retention(st, "overstayer_records", 90LL * 86400, err, sizeof err) == BEX_OK);
    /* 2026-03-01: A and B's last crossings are 45 days old: gone; O is an overstayer (57 days
     * since the entry): kept; H is here within the stay: kept */
    CHECK(bex_border_purge(st, "2026-03-01T00:00:00Z", &pr, err, sizeof err) == BEX_OK);
    CHECK(pr.subjects == 2 && pr.overstayer_subjects == 0);
    CHECK(sql_int(p, "SELECT count(*) FROM subjects WHERE id IN (%lld, %lld)", (long long)eo.subject,
                  (long long)eh.subject) == 2);
    /* 2026-04-10: O's entry is 98 days old: gone under the overstayers' period; H stays */
    CHECK(bex_border_purge(st, "2026-04-10T00:00:00Z", &pr, err, sizeof err) == BEX_OK);
    CHECK(pr.subjects == 0 && pr.overstayer_subjects == 1);
    CHECK(sql_int(p, "SELECT count(*) FROM subjects WHERE id = %lld", (long long)eo.subject) == 0);
    CHECK(sql_int(p, "SELECT count(*) FROM subjects WHERE id = %lld", (long long)eh.subject) == 1);
    /* the purged are not found again; H is */
    CHECK(leave(st, &o, "2026-04-11T09:00:00Z", NULL, &x) == BEX_OK && x.subject == 0);
    CHECK(leave(st, &h, "2026-04-11T10:00:00Z", NULL, &x) == BEX_OK && x.subject == eh.subject);
    bex_store_close(st);
    db_remove(p);
}

/* One crossing for an exchange (bex nist export): the encounter, its document and the photo
 * exactly as kept; a photo retention did not keep is absent, not an error; an unknown
 * encounter is BEX_ERR_ARG; each read is audited by id, with whether a photo was read. */
TEST(encounter_record_for_export) {
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    char err[256];
    person a = person_new(), b = person_new();
    float live[DIM];
    static const char jpeg[] = "\xff\xd8\xff\xe0 not really a photo";
    bex_entry_request rq;
    bex_entry_result ea, eb;
    bex_mrz da = passport("XR0000011", "TESTA", "ANNA", "1980-01-01", "2031-01-01");
    capture(&a, live);
    entry_init(&rq, &da, live, NULL, "2026-01-01T09:00:00Z", "2026-01-20");
    rq.live_image = jpeg;
    rq.live_image_len = sizeof jpeg;
    CHECK(bex_border_entry(st, &rq, &ea, err, sizeof err) == BEX_OK); /* images: 0, not kept */
    CHECK(bex_border_set_retention(st, "images", 2 * 86400, err, sizeof err) == BEX_OK);
    bex_mrz db_ = passport("XR0000012", "TESTB", "BEA", "1981-01-01", "2031-01-01");
    capture(&b, live);
    entry_init(&rq, &db_, live, NULL, "2026-01-01T10:00:00Z", "2026-01-20");
    rq.live_image = jpeg;
    rq.live_image_len = sizeof jpeg;
    CHECK(bex_border_entry(st, &rq, &eb, err, sizeof err) == BEX_OK);
    bex_encounter_record r;
    CHECK(bex_store_encounter_record(st, eb.encounter, &r, err, sizeof err) == BEX_OK);
    CHECK(r.encounter == eb.encounter && r.subject == eb.subject && r.document == eb.document);
    CHECK(!strcmp(r.direction, "entry") && !strcmp(r.decision, "admitted") && !strcmp(r.at, "2026-01-01T10:00:00Z"));
    CHECK(!strcmp(r.number, "XR0000012") && !strcmp(r.surname, "TESTB") && !strcmp(r.birth_date, "1981-01-01"));
    CHECK(r.has_sample && !strcmp(r.image_source, "entry"));
    CHECK(r.image && r.image_len == sizeof jpeg && !memcmp(r.image, jpeg, sizeof jpeg));
    bex_encounter_record_free(&r);
    CHECK(r.image == NULL);
    CHECK(bex_store_encounter_record(st, ea.encounter, &r, err, sizeof err) == BEX_OK);
    CHECK(r.has_sample && !r.image && r.image_len == 0 && !strcmp(r.number, "XR0000011"));
    bex_encounter_record_free(&r);
    CHECK(bex_store_encounter_record(st, 999, &r, err, sizeof err) == BEX_ERR_ARG && strstr(err, "no encounter"));
    CHECK(r.image == NULL);
    bex_store_close(st);
    CHECK(sql_int(p, "SELECT count(*) FROM audit WHERE action = 'read_encounter' AND object = 'encounter %lld' "
                     "AND detail = 'export with photo'", (long long)eb.encounter) == 1);
    CHECK(sql_int(p, "SELECT count(*) FROM audit WHERE action = 'read_encounter' AND object = 'encounter %lld' "
                     "AND detail = 'export, no photo'", (long long)ea.encounter) == 1);
    CHECK(sql_int(p, "SELECT count(*) FROM audit WHERE detail LIKE '%%TEST%%' OR object LIKE '%%XR00%%'") == 0);
    db_remove(p);
}

/* An officer's override: an exit that matched nobody is assigned to a subject; the admission
 * closes, the not_matched flag is cleared, and the capture joins the subject's samples (the
 * next exit of that face matches them). Flags take an officer's finding. */
TEST(officer_override_and_flag_status) {
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    person a = person_new(), z = person_new();
    bex_mrz pa = passport("X81000001", "TESTA", "ANNA", "1980-01-31", "2031-05-01");
    bex_entry_result ea;
    bex_exit_result x;
    CHECK(enter_person(st, &a, &pa, 1, "2026-03-01T10:00:00Z", "2026-05-30", &ea) == BEX_OK);
    CHECK(leave(st, &z, "2026-03-05T10:00:00Z", NULL, &x) == BEX_OK && x.subject == 0);
    int64_t adm = -1;
    char err[256];
    CHECK(bex_border_override_exit(st, x.encounter, ea.subject, &adm, err, sizeof err) == BEX_OK);
    CHECK(adm == ea.admission);
    CHECK(bex_border_override_exit(st, ea.encounter, ea.subject, &adm, err, sizeof err) == BEX_ERR_ARG && err[0]);
    CHECK(bex_border_override_exit(st, x.encounter, 99999, &adm, err, sizeof err) == BEX_ERR_ARG);
    bex_exit_result x2;
    CHECK(leave(st, &z, "2026-03-06T10:00:00Z", NULL, &x2) == BEX_OK && x2.subject == ea.subject);
    const bex_flag *f = find_flag(x.flags, x.n_flags, "not_matched");
    int64_t fid = f ? f->id : 0;
    CHECK(bex_border_flag_status(st, fid, BEX_FLAG_CONFIRMED, err, sizeof err) == BEX_OK);
    CHECK(bex_border_flag_status(st, fid, (bex_flag_status)99, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_border_flag_status(st, 99999, BEX_FLAG_CLEARED, err, sizeof err) == BEX_ERR_ARG);
    bex_store_close(st);
    CHECK(sql_int(p, "SELECT count(*) FROM encounters WHERE id = %lld AND subject_id = %lld AND outcome = "
                     "'officer_override'", (long long)x.encounter, (long long)ea.subject) == 1);
    CHECK(sql_int(p, "SELECT exit_encounter_id FROM admissions WHERE id = %lld", (long long)ea.admission) ==
          x.encounter);
    CHECK(sql_int(p, "SELECT count(*) FROM flags WHERE id = %lld AND status = 'confirmed'", (long long)fid) == 1);
    CHECK(sql_int(p, "SELECT count(*) FROM audit WHERE action IN ('override_exit', 'flag_status')") == 2);
    db_remove(p);
}

static void traveller_json(char *out, size_t n, const bex_mrz *d, const char *surname) {
    snprintf(out, n,
             "{\"issuing_state\":\"%s\",\"number\":\"%s\",\"nationality\":\"%s\",\"surname\":\"%s\","
             "\"given_names\":\"%s\",\"birth_date\":\"%s\",\"sex\":\"%c\"}",
             d->issuing_state, d->doc_number, d->nationality, surname ? surname : d->surname, d->given_names,
             d->birth_date, d->sex);
}

static void manifest_json(char *out, size_t n, const char *id, const char *travellers) {
    snprintf(out, n,
             "{\"departure\":\"%s\",\"direction\":\"departure\",\"carrier\":\"ZZ\",\"voyage\":\"ZZ117\","
             "\"port\":\"" PORT "\",\"port_kind\":\"air\",\"scheduled\":\"2026-11-27T18:30:00Z\","
             "\"travellers\":[%s]}",
             id, travellers);
}

static int parse_manifest(const char *json, bex_manifest *m, char *err, size_t errlen) {
    return bex_manifest_parse_json(json, strlen(json), m, err, errlen);
}

TEST(manifest_gallery) {
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    person a = person_new(), b = person_new(), d = person_new();
    bex_mrz pa = passport("X90000001", "TESTA", "ANNA", "1980-01-31", "2031-05-01");
    bex_mrz pb = passport("X90000002", "TESTB", "BERTA", "1975-07-04", "2030-01-01");
    bex_mrz pd = passport("X90000004", "TESTD", "DORA", "1969-12-12", "2030-01-01");
    bex_mrz pu = passport("X90000003", "TESTU", "UNA", "1990-02-02", "2030-01-01"); /* never seen */
    bex_entry_result ea, eb, ed;
    CHECK(enter_person(st, &a, &pa, 1, "2026-11-01T10:00:00Z", "2027-01-30", &ea) == BEX_OK);
    CHECK(enter_person(st, &b, &pb, 1, "2026-11-02T10:00:00Z", "2027-01-30", &eb) == BEX_OK);
    CHECK(enter_person(st, &d, &pd, 1, "2026-11-03T10:00:00Z", "2027-01-30", &ed) == BEX_OK);

    char t1[400], t2[400], t3[400], list[1300], json[2000], err[512];
    traveller_json(t1, sizeof t1, &pa, NULL);
    traveller_json(t2, sizeof t2, &pb, NULL);
    traveller_json(t3, sizeof t3, &pu, NULL);
    snprintf(list, sizeof list, "%s,%s,%s", t1, t2, t3);
    manifest_json(json, sizeof json, "ZZ117-2026-11-27", list);
    bex_manifest m;
    CHECK(parse_manifest(json, &m, err, sizeof err) == BEX_OK);
    CHECK(m.n == 3 && !strcmp(m.id, "ZZ117-2026-11-27") && m.direction == BEX_DIRECTION_DEPARTURE);
    bex_manifest_result mr;
    CHECK(bex_border_load_manifest(st, &m, NULL, NULL, &mr, err, sizeof err) == BEX_OK);
    CHECK(mr.travellers == 3 && mr.linked == 2 && mr.with_face == 2 && mr.n_flags == 0 && !mr.replaced);
    /* loading it again replaces it */
    CHECK(bex_border_load_manifest(st, &m, NULL, NULL, &mr, err, sizeof err) == BEX_OK);
    CHECK(mr.travellers == 3 && mr.linked == 2 && mr.replaced == 1);
    bex_manifest_free(&m);
    CHECK(sql_int(p, "SELECT count(*) FROM manifest_entries") == 3);

    bex_index *ix = NULL;
    size_t subjects = 0;
    CHECK(bex_border_gallery(st, "ZZ117-2026-11-27", &ix, &subjects, err, sizeof err) == BEX_OK);
    CHECK(ix && subjects == 2 && bex_index_subjects(ix) == 2 && bex_index_count(ix) == 4);
    bex_index_close(ix);
    CHECK(bex_border_gallery(st, "NO-SUCH-DEPARTURE", &ix, &subjects, err, sizeof err) == BEX_ERR_ARG);
    CHECK(ix == NULL && err[0]);

    /* A boards: found in the manifest's gallery */
    bex_exit_result x;
    CHECK(leave(st, &a, "2026-11-27T17:00:00Z", "ZZ117-2026-11-27", &x) == BEX_OK);
    CHECK(x.outcome == BEX_OUTCOME_MATCHED && x.subject == ea.subject && x.admission == ea.admission);
    CHECK(x.match.gallery == BEX_GALLERY_MANIFEST && x.match.gallery_size == 2 && x.n_flags == 0);
    CHECK(sql_int(p, "SELECT count(*) FROM encounters WHERE id = %lld AND departure_id = 'ZZ117-2026-11-27' "
                     "AND port_kind = 'air' AND voyage = 'ZZ117'", (long long)x.encounter) == 1);
    /* D boards without being on the manifest: found further out, flagged */
    CHECK(leave(st, &d, "2026-11-27T17:05:00Z", "ZZ117-2026-11-27", &x) == BEX_OK);
    CHECK(x.outcome == BEX_OUTCOME_MATCHED && x.subject == ed.subject && x.admission == ed.admission);
    CHECK(x.match.gallery != BEX_GALLERY_MANIFEST);
    const bex_flag *f = find_flag(x.flags, x.n_flags, "not_on_manifest");
    CHECK(f && flag_names_subject(f, ed.subject) && !strcmp(f->departure, "ZZ117-2026-11-27"));

    /* a manifest whose names differ from the document on record */
    char t4[400];
    traveller_json(t4, sizeof t4, &pb, "NOTTESTB");
    manifest_json(json, sizeof json, "ZZ119-2026-11-28", t4);
    CHECK(parse_manifest(json, &m, err, sizeof err) == BEX_OK);
    CHECK(bex_border_load_manifest(st, &m, NULL, NULL, &mr, err, sizeof err) == BEX_OK);
    CHECK(mr.travellers == 1 && mr.linked == 1 && mr.n_flags == 1);
    bex_manifest_free(&m);
    CHECK(sql_int(p, "SELECT count(*) FROM flags WHERE kind = 'manifest_mismatch' AND "
                     "departure_id = 'ZZ119-2026-11-28'") == 1);

    /* malformed manifests */
    long long before = sql_int(p, "SELECT count(*) FROM departures");
    CHECK(parse_manifest("this is not json", &m, err, sizeof err) == BEX_ERR_FORMAT && err[0]);
    CHECK(m.entries == NULL && m.n == 0);
    snprintf(json, sizeof json, "{\"departure\":\"Q1\",\"carrier\":\"ZZ\",\"voyage\":\"ZZ1\",\"port\":\"" PORT
             "\",\"port_kind\":\"air\",\"scheduled\":\"2026-11-27T18:30:00Z\"}");
    CHECK(parse_manifest(json, &m, err, sizeof err) == BEX_ERR_FORMAT && strstr(err, "travellers"));
    snprintf(list, sizeof list, "%s,{\"issuing_state\":\"UTO\",\"surname\":\"TESTQ\"}", t1);
    manifest_json(json, sizeof json, "Q2", list);
    err[0] = 0;
    CHECK(parse_manifest(json, &m, err, sizeof err) == BEX_ERR_FORMAT);
    CHECK(strstr(err, "traveller 2") && strstr(err, "number"));
    snprintf(list, sizeof list, "{\"issuing_state\":\"UTO\",\"number\":\"Q3\",\"surname\":\"TESTQ\","
             "\"birth_date\":\"1980-02-30\"}");
    manifest_json(json, sizeof json, "Q3", list);
    err[0] = 0;
    CHECK(parse_manifest(json, &m, err, sizeof err) == BEX_ERR_FORMAT);
    CHECK(strstr(err, "traveller 1") && strstr(err, "birth_date"));
    bex_manifest_free(&m);
    CHECK(sql_int(p, "SELECT count(*) FROM departures") == before);

    /* an exit naming a departure the store has no manifest of */
    long long enc = sql_int(p, "SELECT count(*) FROM encounters");
    float live[DIM];
    capture(&b, live);
    bex_exit_request rq;
    exit_init(&rq, live, "2026-11-27T17:10:00Z", "NO-SUCH-DEPARTURE");
    err[0] = 0;
    CHECK(bex_border_exit(st, &rq, &x, err, sizeof err) == BEX_ERR_ARG && err[0]);
    CHECK(sql_int(p, "SELECT count(*) FROM encounters") == enc);
    bex_store_close(st);
    db_remove(p);
}

/* ---- carriers (issue 12): who owns a departure, what its gallery holds, what its exits conclude ---- */

static int load_manifest(bex_store *st, const char *id, const char *carrier, const char *travellers,
                         bex_manifest_result *mr, char *err, size_t errlen) {
    char json[4096];
    snprintf(json, sizeof json,
             "{\"departure\":\"%s\",\"direction\":\"departure\",\"carrier\":\"%s\",\"voyage\":\"%s117\","
             "\"port\":\"" PORT "\",\"port_kind\":\"air\",\"scheduled\":\"2026-11-27T18:30:00Z\","
             "\"travellers\":[%s]}", id, carrier, carrier, travellers);
    bex_manifest m;
    int rc = bex_manifest_parse_json(json, strlen(json), &m, err, errlen);
    if (rc == BEX_OK) rc = bex_border_load_manifest(st, &m, NULL, NULL, mr, err, errlen);
    bex_manifest_free(&m);
    return rc;
}

/* Case 1: a carrier took over another carrier's flight with a manifest of that flight's id. */
TEST(departure_belongs_to_its_first_carrier) {
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    person a = person_new();
    bex_mrz pa = passport("X91000001", "TESTA", "ANNA", "1980-01-31", "2031-05-01");
    bex_entry_result ea;
    CHECK(enter_person(st, &a, &pa, 1, "2026-11-01T10:00:00Z", "2027-01-30", &ea) == BEX_OK);
    char t[400], err[512] = "";
    traveller_json(t, sizeof t, &pa, NULL);
    bex_manifest_result mr;
    CHECK(load_manifest(st, "ZZ117-2026-11-27", "ZZ", t, &mr, err, sizeof err) == BEX_OK && mr.verified == 1);
    /* another carrier's manifest of that id: refused, nothing changed */
    CHECK(load_manifest(st, "ZZ117-2026-11-27", "XX", "", &mr, err, sizeof err) == BEX_ERR_ARG);
    CHECK(strstr(err, "belongs to carrier ZZ") && strstr(err, "reassign"));
    CHECK(sql_int(p, "SELECT count(*) FROM departures WHERE id = 'ZZ117-2026-11-27' AND carrier = 'ZZ'") == 1);
    CHECK(sql_int(p, "SELECT count(*) FROM manifest_entries WHERE departure_id = 'ZZ117-2026-11-27'") == 1);
    char code[8];
    CHECK(bex_border_departure_carrier(st, "ZZ117-2026-11-27", code, err, sizeof err) == BEX_OK && !strcmp(code, "ZZ"));
    /* its own carrier replaces it */
    CHECK(load_manifest(st, "ZZ117-2026-11-27", "ZZ", t, &mr, err, sizeof err) == BEX_OK && mr.replaced);
    /* an admin reassigns it: the previous list is dropped, the new carrier loads its own */
    size_t dropped = 99;
    CHECK(bex_border_reassign_departure(st, "ZZ117-2026-11-27", "xx", &dropped, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_border_reassign_departure(st, "NO-SUCH", "XX", &dropped, err, sizeof err) == BEX_ERR_ARG && !dropped);
    CHECK(bex_border_reassign_departure(st, "ZZ117-2026-11-27", "XX", &dropped, err, sizeof err) == BEX_OK &&
          dropped == 1);
    CHECK(bex_border_departure_carrier(st, "ZZ117-2026-11-27", code, err, sizeof err) == BEX_OK && !strcmp(code, "XX"));
    bex_index *ix = NULL;
    size_t subjects = 9;
    CHECK(bex_border_gallery(st, "ZZ117-2026-11-27", &ix, &subjects, err, sizeof err) == BEX_OK && subjects == 0);
    bex_index_close(ix);
    CHECK(load_manifest(st, "ZZ117-2026-11-27", "ZZ", t, &mr, err, sizeof err) == BEX_ERR_ARG);
    CHECK(load_manifest(st, "ZZ117-2026-11-27", "XX", t, &mr, err, sizeof err) == BEX_OK && mr.replaced);
    bex_store_close(st);
    CHECK(sql_int(p, "SELECT count(*) FROM audit WHERE action = 'departure_reassign' AND object = "
                     "'departure ZZ117-2026-11-27'") == 1);
    db_remove(p);
}

/* Case 2: a carrier listed other travellers' passport numbers and downloaded their templates and
 * subject ids. */
TEST(manifest_mismatch_contributes_no_templates) {
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    person a = person_new(), b = person_new(), c = person_new();
    bex_mrz pa = passport("X92000001", "TESTA", "ANNA", "1980-01-31", "2031-05-01");
    bex_mrz pb = passport("X92000002", "TESTB", "BERTA", "1975-07-04", "2030-01-01");
    bex_mrz pc = passport("X92000003", "TESTC", "CARLA", "1966-03-03", "2030-01-01");
    bex_entry_result ea, eb, ec;
    CHECK(enter_person(st, &a, &pa, 1, "2026-11-01T10:00:00Z", "2027-01-30", &ea) == BEX_OK);
    CHECK(enter_person(st, &b, &pb, 1, "2026-11-02T10:00:00Z", "2027-01-30", &eb) == BEX_OK);
    CHECK(enter_person(st, &c, &pc, 1, "2026-11-02T11:00:00Z", "2027-01-30", &ec) == BEX_OK);
    /* 1: B's passport number under a made-up name; 2: A as recorded; 3: C's names without a
     * birth date; 4: B's number with the right names but another birth date */
    char t1[400], t2[400], t3[400], t4[400], list[1700], err[512];
    traveller_json(t1, sizeof t1, &pb, "SOMEONE");
    traveller_json(t2, sizeof t2, &pa, NULL);
    snprintf(t3, sizeof t3, "{\"issuing_state\":\"%s\",\"number\":\"%s\",\"surname\":\"%s\",\"given_names\":\"%s\"}",
             pc.issuing_state, pc.doc_number, pc.surname, pc.given_names);
    snprintf(t4, sizeof t4, "{\"issuing_state\":\"%s\",\"number\":\"%s\",\"surname\":\"%s\",\"given_names\":\"%s\","
             "\"birth_date\":\"1975-07-05\"}", pb.issuing_state, pb.doc_number, pb.surname, pb.given_names);
    snprintf(list, sizeof list, "%s,%s,%s", t1, t2, t3);
    bex_manifest_result mr;
    CHECK(load_manifest(st, "ZZ200-2026-11-27", "ZZ", list, &mr, err, sizeof err) == BEX_OK);
    CHECK(mr.travellers == 3 && mr.linked == 3 && mr.verified == 1 && mr.n_flags == 1);
    CHECK(sql_int(p, "SELECT count(*) FROM flags f JOIN flag_subjects s ON s.flag_id = f.id WHERE f.kind = "
                     "'manifest_mismatch' AND f.departure_id = 'ZZ200-2026-11-27' AND s.subject_id = %lld",
                  (long long)eb.subject) == 1);
    CHECK(load_manifest(st, "ZZ201-2026-11-27", "ZZ", t4, &mr, err, sizeof err) == BEX_OK && mr.verified == 0 &&
          mr.n_flags == 1);
    /* the gallery file: A's templates only, under A's manifest position, no store id */
    bex_index *ix = NULL;
    size_t subjects = 0;
    CHECK(bex_border_gallery(st, "ZZ200-2026-11-27", &ix, &subjects, err, sizeof err) == BEX_OK);
    CHECK(ix && subjects == 1 && bex_index_subjects(ix) == 1 && bex_index_count(ix) == 2);
    float probe[DIM];
    bex_index_hit hits[5];
    size_t nh = 0;
    capture(&a, probe);
    CHECK(ix && bex_index_search_subjects(ix, probe, 5, NULL, hits, &nh, err, sizeof err) == BEX_OK && nh == 1 &&
          hits[0].subject_id == 2 && hits[0].subject_id != ea.subject && hits[0].template_id <= 2);
    bex_index_close(ix);
    CHECK(bex_border_gallery(st, "ZZ201-2026-11-27", &ix, &subjects, err, sizeof err) == BEX_OK && subjects == 0);
    bex_index_close(ix);
    /* the exit's manifest gallery is the same: B boards the flight that listed her number wrongly */
    bex_exit_result x;
    CHECK(leave(st, &b, "2026-11-27T17:00:00Z", "ZZ200-2026-11-27", &x) == BEX_OK);
    CHECK(x.match.gallery != BEX_GALLERY_MANIFEST && find_flag(x.flags, x.n_flags, "not_on_manifest") &&
          x.traveller == 0);
    CHECK(leave(st, &a, "2026-11-27T17:05:00Z", "ZZ200-2026-11-27", &x) == BEX_OK);
    CHECK(x.outcome == BEX_OUTCOME_MATCHED && x.match.gallery == BEX_GALLERY_MANIFEST && x.match.gallery_size == 1 &&
          x.subject == ea.subject && x.traveller == 2);
    bex_store_close(st);
    db_remove(p);
}

/* Case 3: a carrier's exit searched everyone, answered "match" for a traveller not on its
 * flight, and closed that traveller's stay at a time and port the carrier chose. */
TEST(carrier_exit_decided_on_its_manifest_only) {
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    person a = person_new(), d = person_new();
    bex_mrz pa = passport("X93000001", "TESTA", "ANNA", "1980-01-31", "2031-05-01");
    bex_mrz pd = passport("X93000004", "TESTD", "DORA", "1969-12-12", "2030-01-01");
    bex_entry_result ea, ed;
    CHECK(enter_person(st, &a, &pa, 1, "2026-11-01T10:00:00Z", "2027-01-30", &ea) == BEX_OK);
    CHECK(enter_person(st, &d, &pd, 1, "2026-11-03T10:00:00Z", "2027-01-30", &ed) == BEX_OK);
    char t[400], err[512] = "";
    traveller_json(t, sizeof t, &pa, NULL);
    bex_manifest_result mr;
    CHECK(load_manifest(st, "ZZ300-2026-11-27", "ZZ", t, &mr, err, sizeof err) == BEX_OK);
    CHECK(load_manifest(st, "XX300-2026-11-27", "XX", t, &mr, err, sizeof err) == BEX_OK);
    float live[DIM];
    capture(&d, live);
    bex_exit_request rq;
    bex_exit_result x;
    long long enc = sql_int(p, "SELECT count(*) FROM encounters");
    /* back-dated, at another port, on another carrier's departure, with no departure: refused */
    exit_init(&rq, live, "2026-11-27T17:00:00Z", "ZZ300-2026-11-27");
    rq.carrier = "ZZ";
    CHECK(bex_border_exit(st, &rq, &x, err, sizeof err) == BEX_ERR_ARG && strstr(err, "clock"));
    exit_init(&rq, live, NULL, "ZZ300-2026-11-27");
    rq.carrier = "ZZ";
    rq.port = "LAX";
    CHECK(bex_border_exit(st, &rq, &x, err, sizeof err) == BEX_ERR_ARG && strstr(err, "port"));
    exit_init(&rq, live, NULL, "XX300-2026-11-27");
    rq.carrier = "ZZ";
    CHECK(bex_border_exit(st, &rq, &x, err, sizeof err) == BEX_ERR_ARG && strstr(err, "another carrier"));
    exit_init(&rq, live, NULL, NULL);
    rq.carrier = "ZZ";
    CHECK(bex_border_exit(st, &rq, &x, err, sizeof err) == BEX_ERR_ARG);
    CHECK(sql_int(p, "SELECT count(*) FROM encounters") == enc);
    /* D, not on ZZ's manifest, at ZZ's gate: no match for the carrier, D's stay stays open, the
     * officer's record holds the candidate */
    char before[24], after[24];
    bex_time_now(before);
    exit_init(&rq, live, NULL, "ZZ300-2026-11-27");
    rq.carrier = "ZZ";
    rq.port = NULL;
    CHECK(bex_border_exit(st, &rq, &x, err, sizeof err) == BEX_OK);
    bex_time_now(after);
    CHECK(x.outcome == BEX_OUTCOME_NOT_MATCHED && x.subject == 0 && x.admission == 0 && x.traveller == 0);
    CHECK(!strcmp(bex_carrier_answer_name(&x), "no_match"));
    const bex_flag *f = find_flag(x.flags, x.n_flags, "not_on_manifest");
    CHECK(f && flag_names_subject(f, ed.subject) && strstr(f->detail, "carrier"));
    CHECK(x.match.match && x.match.subject == ed.subject); /* the full result, for the officer */
    CHECK(sql_int(p, "SELECT count(*) FROM admissions WHERE id = %lld AND exit_encounter_id IS NULL",
                  (long long)ed.admission) == 1);
    CHECK(sql_int(p, "SELECT count(*) FROM encounters WHERE id = %lld AND subject_id IS NULL AND port = '" PORT "' "
                     "AND at >= '%s' AND at <= '%s'", (long long)x.encounter, before, after) == 1);
    CHECK(sql_int(p, "SELECT count(*) FROM samples WHERE encounter_id = %lld AND subject_id IS NULL",
                  (long long)x.encounter) == 1);
    /* an officer who reviews it links it */
    int64_t adm = 0;
    CHECK(bex_border_override_exit(st, x.encounter, ed.subject, &adm, err, sizeof err) == BEX_OK &&
          adm == ed.admission);
    /* A, on the manifest: a match, her stay closed now at the departure's port */
    capture(&a, live);
    exit_init(&rq, live, NULL, "ZZ300-2026-11-27");
    rq.carrier = "ZZ";
    rq.port = NULL;
    CHECK(bex_border_exit(st, &rq, &x, err, sizeof err) == BEX_OK);
    CHECK(x.outcome == BEX_OUTCOME_MATCHED && x.subject == ea.subject && x.admission == ea.admission &&
          x.match.gallery == BEX_GALLERY_MANIFEST && x.traveller == 1 && !strcmp(bex_carrier_answer_name(&x), "match"));
    bex_store_close(st);
    CHECK(sql_int(p, "SELECT count(*) FROM encounters WHERE id = %lld AND port = '" PORT "' AND at >= '%s'",
                  (long long)x.encounter, before) == 1);
    db_remove(p);
}

static const bex_overstay_row *row_of(const bex_overstay_row *r, size_t n, int64_t admission) {
    for (size_t i = 0; i < n; i++)
        if (r[i].admission == admission) return &r[i];
    return NULL;
}

static int verdict_is(const bex_overstay_row *r, bex_stay_status s, int days) {
    return r && r->verdict.status == s && r->verdict.days_over == days;
}


/* Offline gates (issue 12): a registered device, a gallery file sealed to it and signed by the
 * service, its signed log synced; what a gate and sync refuse. */
static bex_sync_status sync_one(bex_store *st, const char *line, bex_sync_result *r) {
    char err[512];
    int rc = bex_border_sync_line(st, line, BEX_PORT_NONE, r, err, sizeof err);
    if (rc != BEX_OK) printf("  sync: %s\n", err);
    CHECK(rc == BEX_OK);
    return r->status;
}

static void gate_line(const bex_gate_keys *k, const person *who, int64_t seq, const char *at, char *line) {
    bex_gate_record g;
    memset(&g, 0, sizeof g);
    g.seq = seq;
    snprintf(g.at, sizeof g.at, "%s", at);
    snprintf(g.departure, sizeof g.departure, "ZZ117-2026-11-27");
    snprintf(g.port, sizeof g.port, PORT);
    capture(who, g.template_);
    char err[256];
    CHECK(bex_gate_log_sign(&g, k, err, sizeof err) == BEX_OK);
    size_t n = bex_gate_log_line(&g, line);
    CHECK(n > 2 && line[n - 1] == '\n');
    line[n - 1] = 0;
}

/* A version-1 gallery file (an older service's: "BEXGALP1", no decision block) made from a
 * version-2 one: decrypted with the gate's key, the block taken out, encrypted and signed again
 * with the service's key from the store. *out: free(). */
static int gallery_v1(const char *db, const unsigned char *file, size_t len, const bex_gate_keys *k,
                      unsigned char **out, size_t *out_len) {
    const size_t H = BEX_GALLERY_HEADER_BYTES, A = crypto_aead_xchacha20poly1305_ietf_ABYTES, DB = 320;
    size_t pn = len - H - A - BEX_GALLERY_SIG_BYTES;
    unsigned char key[32], *plain = malloc(pn), *o = malloc(len - DB);
    unsigned long long mlen = 0;
    int ok = plain && o && crypto_box_seal_open(key, file + 112, 80, k->box_public, k->box_secret) == 0 &&
             crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &mlen, NULL, file + H, pn + A, file, H, file + 192,
                                                        key) == 0 && mlen == pn && !memcmp(plain, "BEXGALP2", 8);
    unsigned char sk[64];
    db_conn *d = ok ? conn_open(db) : NULL;
    db_stmt *st = NULL;
    ok = ok && d && db_prepare(d, "SELECT sign_secret FROM service_keys", 0, &st) == DB_OK &&
         db_step(st) == DB_ROW && db_column_bytes(st, 0) == 64;
    if (ok) memcpy(sk, db_column_blob(st, 0), 64);
    db_finalize(st);
    db_close(d);
    if (ok) {
        size_t n1 = pn - DB;
        memcpy(o, file, H);
        for (int i = 0; i < 8; i++) o[104 + i] = (unsigned char)((uint64_t)n1 >> (8 * i)); /* plain_bytes */
        memmove(plain + 24, plain + 24 + DB, n1 - 24);
        memcpy(plain, "BEXGALP1", 8);
        unsigned long long clen = 0;
        crypto_aead_xchacha20poly1305_ietf_encrypt(o + H, &clen, plain, n1, o, H, NULL, o + 192, key);
        crypto_sign_detached(o + H + clen, NULL, o, H + clen, sk);
        *out_len = H + clen + BEX_GALLERY_SIG_BYTES;
        *out = o;
    } else {
        free(o);
    }
    free(plain);
    return ok;
}

TEST(gate_sealed_gallery_signed_log) {
    char p[512], err[512], k1[600], k2[600];
    bex_store *st = fresh_store(p);
    if (!st) return;
    person a = person_new(), b = person_new();
    bex_mrz pa = passport("X95000001", "TESTA", "ANNA", "1980-01-31", "2031-05-01");
    bex_mrz pb = passport("X95000002", "TESTB", "BERTA", "1975-07-04", "2030-01-01");
    bex_entry_result ea, eb;
    CHECK(enter_person(st, &a, &pa, 1, "2026-08-01T10:00:00Z", "2026-10-30", &ea) == BEX_OK);
    CHECK(enter_person(st, &b, &pb, 1, "2026-08-02T10:00:00Z", "2026-10-30", &eb) == BEX_OK); /* overstays */
    char t1[400], json[1000];
    traveller_json(t1, sizeof t1, &pa, NULL);
    manifest_json(json, sizeof json, "ZZ117-2026-11-27", t1);
    bex_manifest m;
    bex_manifest_result mr;
    CHECK(parse_manifest(json, &m, err, sizeof err) == BEX_OK);
    CHECK(bex_border_load_manifest(st, &m, NULL, NULL, &mr, err, sizeof err) == BEX_OK);
    bex_manifest_free(&m);

    /* registration: key files 0600, never overwritten, nothing registered when the file is refused */
    side_file(k1, sizeof k1, p, ".g1.key");
    side_file(k2, sizeof k2, p, ".g2.key");
    bex_gate_device d1, d2;
    CHECK(bex_border_gate_register(st, "G1", PORT, k1, &d1, err, sizeof err) == BEX_OK);
    struct stat sb;
    CHECK(stat(k1, &sb) == 0 && (sb.st_mode & 0777) == 0600);
    CHECK(bex_border_gate_register(st, "G3", PORT, k1, &d2, err, sizeof err) == BEX_ERR_IO && strstr(err, "never"));
    CHECK(bex_border_gate_register(st, "G1", PORT, k2, &d2, err, sizeof err) == BEX_ERR_ARG && access(k2, F_OK) != 0);
    CHECK(bex_border_gate_register(st, "no spaces", NULL, k2, &d2, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_border_gate_register(st, "G2", NULL, k2, &d2, err, sizeof err) == BEX_OK);
    bex_gate_device *list;
    size_t nl;
    CHECK(bex_border_gate_list(st, &list, &nl, err, sizeof err) == BEX_OK && nl == 2 &&
          !strcmp(list[0].name, "G1") && !strcmp(list[0].port, PORT) && !list[1].port[0]);
    free(list);
    CHECK(sql_int(p, "SELECT count(*) FROM service_keys") == 1);
    bex_gate_keys g1, g2;
    CHECK(bex_gate_keys_load(k1, &g1, err, sizeof err) == BEX_OK && !strcmp(g1.device, "G1"));
    CHECK(bex_gate_keys_load(k2, &g2, err, sizeof err) == BEX_OK);
    CHECK(!memcmp(g1.service_public, g2.service_public, 32)); /* one service key */
    CHECK(chmod(k2, 0644) == 0 && bex_gate_keys_load(k2, &g2, err, sizeof err) == BEX_ERR_IO);
    CHECK(chmod(k2, 0600) == 0 && bex_gate_keys_load(k2, &g2, err, sizeof err) == BEX_OK);

    /* the gallery file: sealed to G1, expiring 12 hours after the departure */
    unsigned char *file = NULL;
    size_t len = 0, subjects = 0;
    bex_gallery_header h;
    CHECK(bex_border_gallery_seal(st, "ZZ117-2026-11-27", "G1", &file, &len, &h, &subjects, err, sizeof err) == BEX_OK);
    if (!file) goto done;
    int64_t sched;
    bex_time_parse("2026-11-27T18:30:00Z", &sched);
    CHECK(h.expires_at == sched + 12 * 3600 && subjects == 1 && !strcmp(h.device, "G1"));
    bex_index *ix = NULL;
    CHECK(bex_gate_gallery_open(file, len, &g1, "ZZ117-2026-11-27", sched, &ix, NULL, err, sizeof err) == BEX_OK);
    CHECK(ix && bex_index_subjects(ix) == 1);
    bex_gate_decision gd;
    float live[DIM];
    capture(&a, live);
    CHECK(ix && bex_gate_decide(ix, live, &gd, err, sizeof err) == BEX_OK && gd.match.match &&
          gd.match.subject == ea.subject);
    bex_index_close(ix);
    ix = NULL;
    /* the file carries the service's decision: the shipped table here, FPIR 0.003 at N=1 */
    bex_gallery_header gi;
    CHECK(h.plain_version == 2 && h.calibrated && h.gallery_size == 1 && h.calibration_id == 0 && h.templates >= 1);
    CHECK(bex_gate_gallery_open(file, len, &g1, "ZZ117-2026-11-27", sched, &ix, &gi, err, sizeof err) == BEX_OK);
    CHECK(gi.plain_version == 2 && gi.threshold == h.threshold && !strcmp(gi.calibration, h.calibration) &&
          strstr(gi.calibration, "shipped LFW") && !strcmp(gi.operating_point, "FPIR 0.003 at N=1"));
    CHECK(ix && bex_gate_decide_with(ix, &gi, live, &gd, err, sizeof err) == BEX_OK && gd.match.match &&
          gd.match.threshold == h.threshold && strstr(gd.match.calibration, "shipped LFW"));
    bex_index_close(ix);
    ix = NULL;
    {
        /* JFK's applied calibration: sealed into G1's next file, and the gate decides at it */
        char grp[1024], cal[1400];
        calib_group(grp, sizeof grp, bex_store_model(st), "port", PORT, 0.30);
        snprintf(cal, sizeof cal, "{\"calibration\":\"store\",\"seed\":1,\"groups\":[%s]}", grp);
        int applied = 0;
        CHECK(bex_store_calibration_apply(st, cal, &applied, err, sizeof err) == BEX_OK);
        unsigned char *f2 = NULL;
        size_t l2 = 0;
        bex_gallery_header h2;
        CHECK(bex_border_gallery_seal(st, "ZZ117-2026-11-27", "G1", &f2, &l2, &h2, NULL, err, sizeof err) == BEX_OK);
        CHECK(f2 && bex_gate_gallery_open(f2, l2, &g1, "ZZ117-2026-11-27", sched, &ix, &gi, err, sizeof err) == BEX_OK);
        CHECK(gi.calibration_id > 0 && fabsf(gi.threshold - 0.40f) < 1e-6f && strstr(gi.calibration, "port JFK"));
        /* a face scoring ~0.6 against A's: no match at the shipped threshold, a match at JFK's 0.40 */
        float near_a[DIM];
        resembling(&a, 0.6, near_a);
        CHECK(ix && bex_gate_decide(ix, near_a, &gd, err, sizeof err) == BEX_OK && !gd.match.match);
        CHECK(ix && bex_gate_decide_with(ix, &gi, near_a, &gd, err, sizeof err) == BEX_OK && gd.match.match &&
              gd.match.calibrated && gd.match.calibration_id == gi.calibration_id && gd.match.threshold == gi.threshold);
        bex_index_close(ix);
        ix = NULL;
        /* an older service's file (BEXGALP1) is still read, and decided with the shipped table */
        unsigned char *f1 = NULL;
        size_t l1 = 0;
        CHECK(gallery_v1(p, f2, l2, &g1, &f1, &l1));
        CHECK(f1 && bex_gate_gallery_open(f1, l1, &g1, "ZZ117-2026-11-27", sched, &ix, &gi, err, sizeof err) == BEX_OK);
        CHECK(gi.plain_version == 1 && ix && bex_index_subjects(ix) == 1 && gi.templates == h2.templates);
        CHECK(ix && bex_gate_decide_with(ix, &gi, near_a, &gd, err, sizeof err) == BEX_OK && !gd.match.match &&
              gd.match.calibrated && strstr(gd.match.calibration, "shipped LFW"));
        CHECK(ix && bex_gate_decide_with(ix, &gi, live, &gd, err, sizeof err) == BEX_OK && gd.match.match);
        bex_index_close(ix);
        ix = NULL;
        free(f1);
        free(f2);
        CHECK(bex_store_calibration_revert(st, NULL, &applied, err, sizeof err) == BEX_OK);
    }
    /* expired, another gate's, another departure's */
    CHECK(bex_gate_gallery_open(file, len, &g1, "ZZ117-2026-11-27", h.expires_at + 1, &ix, NULL, err, sizeof err) ==
              BEX_ERR_ARG && strstr(err, "expired") && !ix);
    CHECK(bex_gate_gallery_open(file, len, &g2, "ZZ117-2026-11-27", sched, &ix, NULL, err, sizeof err) ==
              BEX_ERR_ARG && strstr(err, "not for this gate") && !ix);
    CHECK(bex_gate_gallery_open(file, len, &g1, "ZZ118-2026-11-27", sched, &ix, NULL, err, sizeof err) ==
              BEX_ERR_ARG && !ix);
    /* one byte flipped anywhere (header fields, sealed key, nonce, ciphertext, signature) */
    size_t at_[] = {0, 9, 41, 90, 100, 106, 120, 200, 216, len / 2, len - 65, len - 1};
    int refused = 0;
    for (size_t i = 0; i < sizeof at_ / sizeof at_[0]; i++) {
        file[at_[i]] ^= 0x04;
        refused += bex_gate_gallery_open(file, len, &g1, "ZZ117-2026-11-27", sched, &ix, NULL, err, sizeof err) !=
                   BEX_OK && !ix;
        file[at_[i]] ^= 0x04;
    }
    CHECK(refused == (int)(sizeof at_ / sizeof at_[0]));
    CHECK(bex_gate_gallery_open(file, len - 1, &g1, NULL, sched, &ix, NULL, err, sizeof err) == BEX_ERR_FORMAT);
    bex_gate_keys other = g1; /* a gate that trusts another service */
    other.service_public[0] ^= 1;
    CHECK(bex_gate_gallery_open(file, len, &other, NULL, sched, &ix, NULL, err, sizeof err) == BEX_ERR_FORMAT &&
          strstr(err, "signature"));
    free(file);
    CHECK(bex_border_gallery_seal(st, "ZZ117-2026-11-27", "G9", &file, &len, &h, NULL, err, sizeof err) ==
          BEX_ERR_ARG && !file);
    /* the window is a setting */
    CHECK(bex_border_settings_set(st, "gallery_window_s", "3600", err, sizeof err) == BEX_OK);
    CHECK(bex_border_gallery_seal(st, "ZZ117-2026-11-27", "G1", &file, &len, &h, NULL, err, sizeof err) == BEX_OK &&
          h.expires_at == sched + 3600);
    free(file);
    file = NULL;
    CHECK(bex_border_settings_set(st, "gallery_window_s", "-1", err, sizeof err) == BEX_ERR_ARG);

    /* the log: a line of G1's recorded, the same line again not recorded twice */
    char line[BEX_GATE_LINE_MAX], l2[BEX_GATE_LINE_MAX];
    bex_sync_result r;
    gate_line(&g1, &a, 1, "2026-11-27T17:00:00Z", line);
    CHECK(sync_one(st, line, &r) == BEX_SYNC_RECORDED && r.exit.subject == ea.subject);
    CHECK(sync_one(st, line, &r) == BEX_SYNC_ALREADY);
    /* issue 12's attack: a line made from the overstayer's photo without G1's key (signed with
       another's, or not signed at all, or a genuine line altered) is refused, flagged, and her
       stay stays open */
    gate_line(&g2, &b, 2, "2026-11-27T17:05:00Z", l2);
    char *dev = strstr(l2, "\"device\":\"G2\"");
    if (dev) dev[11] = '1'; /* names G1, signed by G2 */
    CHECK(sync_one(st, l2, &r) == BEX_SYNC_REFUSED && r.flag.kind == BEX_FLAG_GATE_LOG_FORGED && r.flag.id > 0 &&
          strstr(r.why, "does not verify"));
    CHECK(sync_one(st, "{\"at\":\"2026-11-27T17:05:00Z\",\"departure\":\"ZZ117-2026-11-27\",\"port\":\"JFK\","
                       "\"decision\":\"match\",\"subject\":2,\"template\":\"00\"}", &r) == BEX_SYNC_REFUSED &&
          r.flag.kind == BEX_FLAG_GATE_LOG_FORGED && strstr(r.why, "unsigned"));
    gate_line(&g1, &a, 2, "2026-11-27T17:06:00Z", l2);
    char *tm = strstr(l2, "\"template\":\"");
    if (tm) tm[12] = tm[12] == '0' ? '1' : '0';
    CHECK(sync_one(st, l2, &r) == BEX_SYNC_REFUSED && r.flag.kind == BEX_FLAG_GATE_LOG_FORGED);
    CHECK(sql_int(p, "SELECT count(*) FROM admissions WHERE id = %lld AND exit_encounter_id IS NULL",
                  (long long)eb.admission) == 1);
    CHECK(sql_int(p, "SELECT count(*) FROM encounters WHERE subject_id = %lld AND direction = 'exit'",
                  (long long)eb.subject) == 0);
    /* the template travels sealed to the service: not in the line in the clear, and a line
       whose template is sealed to another service (a gate given a forged key file) is refused */
    {
        bex_gate_record g;
        memset(&g, 0, sizeof g);
        g.seq = 2;
        snprintf(g.at, sizeof g.at, "2026-11-27T17:06:00Z");
        snprintf(g.port, sizeof g.port, PORT);
        capture(&a, g.template_);
        char plain[2 * 16 + 1];
        for (int i = 0; i < 16; i++) snprintf(plain + 2 * i, 3, "%02x", ((const unsigned char *)g.template_)[i]);
        CHECK(bex_gate_log_sign(&g, &g1, err, sizeof err) == BEX_OK);
        CHECK(bex_gate_log_line(&g, l2) > 0 && !strstr(l2, plain));
        bex_gate_keys wrong = g1;
        wrong.service_box_public[5] ^= 1;
        gate_line(&wrong, &a, 2, "2026-11-27T17:06:30Z", l2);
        CHECK(sync_one(st, l2, &r) == BEX_SYNC_REFUSED && r.flag.kind == BEX_FLAG_GATE_LOG_FORGED &&
              strstr(r.why, "does not open"));
    }
    /* replayed and out of order: G1's own lines 3, then 2; then another line numbered 3 */
    gate_line(&g1, &a, 3, "2026-11-27T17:10:00Z", line);
    CHECK(sync_one(st, line, &r) == BEX_SYNC_RECORDED);
    gate_line(&g1, &a, 2, "2026-11-27T17:08:00Z", l2);
    CHECK(sync_one(st, l2, &r) == BEX_SYNC_REFUSED && r.flag.kind == BEX_FLAG_GATE_LOG_REPLAYED &&
          strstr(r.why, "out of order"));
    gate_line(&g1, &a, 3, "2026-11-27T17:12:00Z", l2);
    CHECK(sync_one(st, l2, &r) == BEX_SYNC_REFUSED && r.flag.kind == BEX_FLAG_GATE_LOG_REPLAYED &&
          strstr(r.why, "another line"));
    /* a line for another port than the gate's */
    gate_line(&g1, &a, 4, "2026-11-27T17:13:00Z", l2);
    char *pt = strstr(l2, "\"port\":\"JFK\"");
    if (pt) memcpy(pt + 8, "LAX", 3);
    CHECK(sync_one(st, l2, &r) == BEX_SYNC_REFUSED && r.flag.kind == BEX_FLAG_GATE_LOG_FORGED);
    CHECK(bex_border_gate_list(st, &list, &nl, err, sizeof err) == BEX_OK && nl == 2 && list[0].last_seq == 3);
    free(list);
    /* a revoked gate: its lines refused, no gallery sealed to it */
    CHECK(bex_border_gate_revoke(st, "G1", err, sizeof err) == BEX_OK);
    CHECK(bex_border_gate_revoke(st, "G1", err, sizeof err) == BEX_ERR_ARG);
    gate_line(&g1, &a, 5, "2026-11-27T17:20:00Z", l2);
    CHECK(sync_one(st, l2, &r) == BEX_SYNC_REFUSED && strstr(r.why, "revoked"));
    CHECK(bex_border_gallery_seal(st, "ZZ117-2026-11-27", "G1", &file, &len, &h, NULL, err, sizeof err) ==
          BEX_ERR_ARG && !file);
    CHECK(sql_int(p, "SELECT count(*) FROM flags WHERE kind = 'gate_log_forged'") == 6);
    CHECK(sql_int(p, "SELECT count(*) FROM flags WHERE kind = 'gate_log_replayed'") == 2);
    CHECK(sql_int(p, "SELECT count(*) FROM audit WHERE action = 'gate_log_refused'") == 8);
    /* calibration by camera: the synced exit's capture is G1's */
    {
        long long at_g1 = sql_int(p, "SELECT count(*) FROM samples s JOIN gate_log_lines l ON l.encounter_id = "
                                     "s.encounter_id JOIN gate_devices g ON g.id = l.device_id WHERE g.name = 'G1' "
                                     "AND s.subject_id IS NOT NULL");
        bex_score_query cq = {.by = BEX_CALIB_BY_CAMERA};
        bex_score_group *cg = NULL;
        size_t ncg = 0;
        CHECK(bex_store_calibration_scores(st, &cq, &cg, &ncg, err, sizeof err) == BEX_OK);
        CHECK(at_g1 > 0 && ncg == 2 && !strcmp(cg[1].scope, "camera") && !strcmp(cg[1].key, "G1") &&
              (long long)cg[1].templates == at_g1);
        bex_store_score_groups_free(cg, ncg);
    }
done:
    bex_gate_keys_wipe(&g1);
    bex_gate_keys_wipe(&g2);
    bex_store_close(st);
    unlink(k1);
    unlink(k2);
    db_remove(p);
}

TEST(overstays_us_and_eu) {
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    person in = person_new(), late = person_new(), ontime = person_new(), ds = person_new(),
           dsleft = person_new(), eu = person_new();
    bex_mrz d1 = passport("XA0000001", "TESTI", "INES", "1980-01-01", "2031-01-01");
    bex_mrz d2 = passport("XA0000002", "TESTL", "LENA", "1981-01-01", "2031-01-01");
    bex_mrz d3 = passport("XA0000003", "TESTO", "OLGA", "1982-01-01", "2031-01-01");
    bex_mrz d4 = passport("XA0000004", "TESTD", "DANA", "1983-01-01", "2031-01-01");
    bex_mrz d5 = passport("XA0000005", "TESTE", "EMMA", "1984-01-01", "2031-01-01");
    bex_mrz d6 = passport("XA0000006", "TESTU", "UTA", "1985-01-01", "2031-01-01");
    bex_entry_result r1, r2, r3, r4, r5, r6;
    CHECK(enter_person(st, &eu, &d6, 1, "2026-01-01T09:00:00Z", "2026-06-30", &r6) == BEX_OK);
    CHECK(enter_person(st, &in, &d1, 1, "2026-01-10T09:00:00Z", "2026-04-10", &r1) == BEX_OK);
    CHECK(enter_person(st, &late, &d2, 1, "2026-01-10T09:10:00Z", "2026-04-10", &r2) == BEX_OK);
    CHECK(enter_person(st, &ontime, &d3, 1, "2026-01-10T09:20:00Z", "2026-04-10", &r3) == BEX_OK);
    CHECK(enter_person(st, &ds, &d4, 1, "2026-01-10T09:30:00Z", NULL, &r4) == BEX_OK);
    CHECK(enter_person(st, &dsleft, &d5, 1, "2026-01-10T09:40:00Z", NULL, &r5) == BEX_OK);
    bex_exit_result x;
    CHECK(leave(st, &dsleft, "2026-03-01T12:00:00Z", NULL, &x) == BEX_OK && x.admission == r5.admission);
    CHECK(leave(st, &ontime, "2026-04-05T12:00:00Z", NULL, &x) == BEX_OK && x.admission == r3.admission);
    CHECK(leave(st, &eu, "2026-04-10T23:30:00Z", NULL, &x) == BEX_OK && x.admission == r6.admission);
    CHECK(leave(st, &late, "2026-04-20T12:00:00Z", NULL, &x) == BEX_OK && x.admission == r2.admission);

    bex_overstay_row *rows = NULL;
    size_t n = 0;
    char err[256];
    CHECK(bex_border_overstays(st, "2026-05-10", BEX_POLICY_US, &rows, &n, err, sizeof err) == BEX_OK && n == 6);
    CHECK(verdict_is(row_of(rows, n, r1.admission), BEX_STAY_OVERSTAY_IN_COUNTRY, 30));
    CHECK(verdict_is(row_of(rows, n, r2.admission), BEX_STAY_OVERSTAY_OUT_OF_COUNTRY, 10));
    CHECK(verdict_is(row_of(rows, n, r3.admission), BEX_STAY_LEFT_ON_TIME, 0));
    CHECK(verdict_is(row_of(rows, n, r4.admission), BEX_STAY_DS, 0));
    CHECK(verdict_is(row_of(rows, n, r5.admission), BEX_STAY_LEFT_ON_TIME, 0));
    CHECK(verdict_is(row_of(rows, n, r6.admission), BEX_STAY_LEFT_ON_TIME, 0));
    const bex_overstay_row *rr = row_of(rows, n, r2.admission);
    CHECK(rr && !strcmp(rr->entry, "2026-01-10") && !strcmp(rr->exit, "2026-04-20") &&
          !strcmp(rr->admit_until, "2026-04-10") && !strcmp(rr->admission_class, "B2") &&
          !strcmp(rr->port, PORT) && !strcmp(rr->document, "XA0000002") && rr->subject == r2.subject);
    rr = row_of(rows, n, r4.admission);
    CHECK(rr && rr->admit_until[0] == 0 && rr->exit[0] == 0);
    free(rows);
    /* as of a day before the late exit: that exit is not known yet */
    CHECK(bex_border_overstays(st, "2026-04-15", BEX_POLICY_US, &rows, &n, err, sizeof err) == BEX_OK && n == 6);
    CHECK(verdict_is(row_of(rows, n, r2.admission), BEX_STAY_OVERSTAY_IN_COUNTRY, 5));
    CHECK(verdict_is(row_of(rows, n, r4.admission), BEX_STAY_DS, 0));
    free(rows);
    /* only admissions entered by as_of */
    CHECK(bex_border_overstays(st, "2026-01-05", BEX_POLICY_US, &rows, &n, err, sizeof err) == BEX_OK && n == 1);
    CHECK(n == 1 && rows[0].admission == r6.admission && rows[0].verdict.status == BEX_STAY_PRESENT);
    free(rows);
    /* the EU rule: 100 days in a row (2026-01-01 .. 2026-04-10) is 10 days over, though the US
     * admission ran to 2026-06-30 */
    CHECK(bex_border_overstays(st, "2026-05-10", BEX_POLICY_EU, &rows, &n, err, sizeof err) == BEX_OK && n == 6);
    CHECK(verdict_is(row_of(rows, n, r6.admission), BEX_STAY_OVERSTAY_OUT_OF_COUNTRY, 10));
    CHECK(verdict_is(row_of(rows, n, r3.admission), BEX_STAY_LEFT_ON_TIME, 0)); /* 86 days */
    /* D/S is no short stay: the 90/180 rule does not apply to it (121 days present, never over) */
    CHECK(verdict_is(row_of(rows, n, r4.admission), BEX_STAY_LONG_STAY, 0));
    CHECK(verdict_is(row_of(rows, n, r1.admission), BEX_STAY_OVERSTAY_IN_COUNTRY, 31));
    free(rows);
    rows = (bex_overstay_row *)1;
    CHECK(bex_border_overstays(st, "2026-13-01", BEX_POLICY_US, &rows, &n, err, sizeof err) == BEX_ERR_ARG && rows == NULL);
    bex_store_close(st);
    db_remove(p);
}

static long long citizen_samples(const char *path) {
    return sql_int(path, "SELECT count(*) FROM samples s JOIN subjects p ON p.id = s.subject_id "
                         "WHERE p.citizen = 1");
}

TEST(citizen_purged_within_12h) {
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    person cit = person_new(), old = person_new(), now = person_new();
    bex_mrz dc = passport("XC0000001", "TESTC", "CORA", "1980-01-01", "2031-01-01");
    bex_mrz dold = passport("XC0000002", "TESTO", "OTTO", "1970-01-01", "2031-01-01");
    bex_mrz dnow = passport("XC0000003", "TESTN", "NORA", "1990-01-01", "2031-01-01");
    char err[256];
    bex_entry_result eo, en, ec;
    bex_exit_result x;
    /* an old record: entered, left on time */
    CHECK(enter_person(st, &old, &dold, 1, "2026-01-01T09:00:00Z", "2026-03-01", &eo) == BEX_OK);
    CHECK(leave(st, &old, "2026-02-01T09:00:00Z", NULL, &x) == BEX_OK && x.subject == eo.subject);
    CHECK(enter_person(st, &now, &dnow, 1, "2026-06-01T07:00:00Z", NULL, &en) == BEX_OK);

    /* a citizen: the sample is kept, not enrolled, no admission */
    float live[DIM], photo[DIM];
    capture(&cit, live);
    capture(&cit, photo);
    bex_entry_request rq;
    entry_init(&rq, &dc, live, photo, "2026-06-01T08:00:00Z", NULL);
    rq.citizen = 1;
    rq.admission_class = NULL;
    CHECK(bex_border_entry(st, &rq, &ec, err, sizeof err) == BEX_OK);
    CHECK(ec.admission == 0 && ec.subject > 0 && ec.outcome == BEX_OUTCOME_MATCHED);
    CHECK(sql_int(p, "SELECT citizen FROM subjects WHERE id = %lld", (long long)ec.subject) == 1);
    CHECK(citizen_samples(p) >= 1);
    long long cs = citizen_samples(p);
    CHECK(leave(st, &cit, "2026-06-01T09:00:00Z", NULL, &x) == BEX_OK);
    CHECK(x.outcome == BEX_OUTCOME_NOT_MATCHED && x.subject == 0);
    CHECK(sql_int(p, "SELECT count(*) FROM admissions WHERE subject_id = %lld", (long long)ec.subject) == 0);

    /* 11 hours on: kept; 12 hours on: gone */
    bex_purge_result pr;
    CHECK(bex_border_purge(st, "2026-06-01T19:00:00Z", &pr, err, sizeof err) == BEX_OK);
    CHECK(pr.citizen_samples == 0 && pr.subjects == 0 && citizen_samples(p) == cs);
    CHECK(bex_border_purge(st, "2026-06-01T20:00:00Z", &pr, err, sizeof err) == BEX_OK);
    CHECK(pr.citizen_samples == cs && citizen_samples(p) == 0);
    CHECK(sql_int(p, "SELECT count(*) FROM subjects WHERE id = %lld", (long long)ec.subject) == 1);

    /* citizens' biometrics may not be kept longer than 12 hours */
    err[0] = 0;
    CHECK(bex_border_set_retention(st, "citizen_biometrics", 13 * 3600, err, sizeof err) == BEX_ERR_ARG && err[0]);
    long long keep = 0;
    CHECK(bex_store_get_retention(st, "citizen_biometrics", &keep, err, sizeof err) == BEX_OK && keep == 43200);
    CHECK(bex_border_set_retention(st, "records", -1, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_border_set_retention(st, "no_such_thing", 10, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_border_purge(st, "yesterday", &pr, err, sizeof err) == BEX_ERR_ARG);

    /* a short records period: the old record goes, with its samples; the index forgets it */
    CHECK(bex_border_set_retention(st, "records", 30LL * 86400, err, sizeof err) == BEX_OK);
    CHECK(bex_store_get_retention(st, "records", &keep, err, sizeof err) == BEX_OK && keep == 30LL * 86400);
    long long old_samples = sql_int(p, "SELECT count(*) FROM samples WHERE subject_id = %lld", (long long)eo.subject);
    CHECK(old_samples == 3);
    CHECK(bex_border_purge(st, "2026-06-05T00:00:00Z", &pr, err, sizeof err) == BEX_OK);
    CHECK(pr.subjects == 1 && pr.overstayer_subjects == 0);
    CHECK(sql_int(p, "SELECT count(*) FROM subjects WHERE id = %lld", (long long)eo.subject) == 0);
    CHECK(sql_int(p, "SELECT count(*) FROM samples WHERE subject_id = %lld", (long long)eo.subject) == 0);
    CHECK(sql_int(p, "SELECT count(*) FROM encounters WHERE subject_id = %lld", (long long)eo.subject) == 0);
    CHECK(sql_int(p, "SELECT count(*) FROM documents WHERE subject_id = %lld", (long long)eo.subject) == 0);
    CHECK(sql_int(p, "SELECT count(*) FROM subjects WHERE id = %lld", (long long)en.subject) == 1);
    CHECK(leave(st, &old, "2026-06-05T10:00:00Z", NULL, &x) == BEX_OK);
    CHECK(x.outcome == BEX_OUTCOME_NOT_MATCHED && x.subject == 0);
    CHECK(leave(st, &now, "2026-06-05T11:00:00Z", NULL, &x) == BEX_OK);
    CHECK(x.outcome == BEX_OUTCOME_MATCHED && x.subject == en.subject);
    CHECK(audit_ok(st));
    bex_store_close(st);
    db_remove(p);
}

/* Issue 15: the captures of an encounter with an open flag are kept until the flag is resolved:
 * an unmatched exit's capture (flagged not_matched) outlives its 12 hours while the flag is
 * open, and the next purge after it is cleared deletes it. */
TEST(purge_keeps_flagged_capture) {
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    person a = person_new(), stranger = person_new();
    bex_mrz da = passport("XF0000001", "TESTF", "FIONA", "1980-01-01", "2031-01-01");
    char err[256];
    bex_entry_result e;
    bex_exit_result x;
    CHECK(enter_person(st, &a, &da, 1, "2026-06-01T07:00:00Z", "2026-09-01", &e) == BEX_OK);
    CHECK(leave(st, &stranger, "2026-06-01T09:00:00Z", NULL, &x) == BEX_OK);
    CHECK(x.outcome == BEX_OUTCOME_NOT_MATCHED && x.subject == 0);
    long long flag = sql_int(p, "SELECT id FROM flags WHERE encounter_id = %lld AND kind = 'not_matched'",
                             (long long)x.encounter);
    CHECK(flag > 0);
    const char *q = "SELECT count(*) FROM samples WHERE encounter_id = %lld";
    CHECK(sql_int(p, q, (long long)x.encounter) == 1);
    bex_purge_result pr;
    /* a day on, past the 12 hours: kept, its flag open */
    CHECK(bex_border_purge(st, "2026-06-02T09:00:00Z", &pr, err, sizeof err) == BEX_OK);
    CHECK(pr.unmatched_samples == 0 && sql_int(p, q, (long long)x.encounter) == 1);
    /* cleared: the next purge deletes it */
    CHECK(bex_border_flag_status(st, flag, BEX_FLAG_CLEARED, err, sizeof err) == BEX_OK);
    CHECK(bex_border_purge(st, "2026-06-02T10:00:00Z", &pr, err, sizeof err) == BEX_OK);
    CHECK(pr.unmatched_samples == 1 && sql_int(p, q, (long long)x.encounter) == 0);
    bex_store_close(st);
    db_remove(p);
}

/* The document photo an impostor presented is kept with the encounter (it becomes no sample),
 * shown to the officer reviewing the flag, kept while the flag is open, dropped after it is
 * resolved and its period has passed; a citizen's goes at 12 hours whatever its flags; bex
 * erase takes it. */
TEST(document_photo_kept_with_a_flagged_encounter) {
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    char err[256];
    CHECK(bex_border_set_retention(st, "images", 86400, err, sizeof err) == BEX_OK);
    person holder = person_new(), impostor = person_new();
    bex_mrz d = passport("XG0000001", "TESTG", "GRETA", "1981-01-01", "2031-01-01");
    float live[DIM], photo[DIM];
    capture(&impostor, live);
    capture(&holder, photo);
    static const char doc_bytes[] = "\xff\xd8 the document photo's bytes \xff\xd9";
    bex_entry_request rq;
    entry_init(&rq, &d, live, photo, "2026-06-01T07:00:00Z", "2026-09-01");
    rq.doc_image = doc_bytes;
    rq.doc_image_len = sizeof doc_bytes;
    bex_entry_result e;
    CHECK(bex_border_entry(st, &rq, &e, err, sizeof err) == BEX_OK);
    CHECK(e.outcome == BEX_OUTCOME_NOT_MATCHED && e.decision == BEX_DECISION_REFERRED);
    uint8_t *img = NULL;
    size_t len = 0;
    int64_t sid = -1;
    CHECK(bex_store_photo(st, e.encounter, "document", 0, &img, &len, &sid, err, sizeof err) == BEX_OK);
    CHECK(img && len == sizeof doc_bytes && !memcmp(img, doc_bytes, len) && sid == 0);
    free(img);
    /* two days on: past the images period, kept while the impostor flag is open */
    bex_purge_result pr;
    const char *q = "SELECT count(*) FROM encounters WHERE id = %lld AND document_image IS NOT NULL";
    CHECK(bex_border_purge(st, "2026-06-03T07:00:00Z", &pr, err, sizeof err) == BEX_OK);
    CHECK(sql_int(p, q, (long long)e.encounter) == 1);
    long long flag = sql_int(p, "SELECT id FROM flags WHERE encounter_id = %lld", (long long)e.encounter);
    CHECK(bex_border_flag_status(st, flag, BEX_FLAG_CONFIRMED, err, sizeof err) == BEX_OK);
    CHECK(bex_border_purge(st, "2026-06-03T08:00:00Z", &pr, err, sizeof err) == BEX_OK);
    CHECK(pr.images >= 1 && sql_int(p, q, (long long)e.encounter) == 0);
    img = NULL;
    CHECK(bex_store_photo(st, e.encounter, "document", 0, &img, &len, &sid, err, sizeof err) == BEX_OK && !img);
    /* erase: another impostor's encounter, its document photo gone with the subject's biometrics */
    capture(&impostor, live);
    entry_init(&rq, &d, live, photo, "2026-06-04T07:00:00Z", "2026-09-01");
    rq.doc_image = doc_bytes;
    rq.doc_image_len = sizeof doc_bytes;
    CHECK(bex_border_entry(st, &rq, &e, err, sizeof err) == BEX_OK);
    CHECK(sql_int(p, q, (long long)e.encounter) == 1);
    long long erased = 0;
    CHECK(bex_border_erase_biometrics(st, e.subject, &erased, err, sizeof err) == BEX_OK);
    CHECK(sql_int(p, q, (long long)e.encounter) == 0);
    bex_store_close(st);
    db_remove(p);
}

/* Issue 15: a flag's candidates, each scored 1:1 against the encounter's live capture at the
 * store's 1:1 operating point: the passport's holder below the threshold, the subject this
 * crossing made (only the capture itself on record: own_capture) above it; an audited read
 * naming ids only; an unknown encounter is BEX_ERR_ARG; once the capture is erased, no scores
 * and a reason, no error. */
TEST(flag_candidates_scored_against_the_live_capture) {
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    char err[256];
    person holder = person_new(), impostor = person_new();
    bex_mrz d = passport("XC0000001", "TESTC", "CARA", "1982-02-02", "2031-01-01");
    bex_entry_result eh, ei;
    CHECK(enter_person(st, &holder, &d, 1, "2026-06-01T07:00:00Z", "2026-06-20", &eh) == BEX_OK);
    float live[DIM], photo[DIM];
    capture(&impostor, live);
    capture(&holder, photo);
    CHECK(enter(st, &d, live, photo, "2026-07-01T07:00:00Z", "2026-09-01", &ei) == BEX_OK);
    CHECK(ei.outcome == BEX_OUTCOME_NOT_MATCHED && ei.n_flags >= 1);
    bex_candidates c;
    CHECK(bex_border_candidates(st, ei.encounter, &c, err, sizeof err) == BEX_OK);
    CHECK(c.encounter == ei.encounter && c.template_kept && !c.reason[0] && c.n >= 2);
    int seen_holder = 0, seen_new = 0;
    for (int i = 0; i < c.n; i++) {
        const bex_match *m = &c.candidates[i];
        CHECK(!isnan(m->score) && !isnan(m->threshold) && !strcmp(m->operating_point, "FMR 0.001") && m->calibration[0]);
        if (m->subject == eh.subject) {
            seen_holder = 1;
            CHECK(m->score < m->threshold && !m->match && !c.own_capture[i]);
        }
        if (m->subject == ei.subject && ei.subject != eh.subject) {
            seen_new = 1;
            CHECK(m->score >= m->threshold && m->match && c.own_capture[i]);
        }
    }
    CHECK(seen_holder && seen_new);
    CHECK(sql_int(p, "SELECT count(*) FROM audit WHERE action = 'read_candidates' AND object = 'encounter %lld' "
                     "AND detail LIKE '%% candidates, template kept:%%' AND detail NOT LIKE '%%TESTC%%'",
                     (long long)ei.encounter) == 1);
    /* the holder's own crossing: the holder alone, scored against the other samples on record */
    CHECK(bex_border_candidates(st, eh.encounter, &c, err, sizeof err) == BEX_OK);
    CHECK(c.n == 1 && c.candidates[0].subject == eh.subject && c.candidates[0].match && !c.own_capture[0]);
    CHECK(bex_border_candidates(st, 999999, &c, err, sizeof err) == BEX_ERR_ARG && strstr(err, "no encounter"));
    CHECK(bex_border_candidates(st, 0, &c, err, sizeof err) == BEX_ERR_ARG);
    /* the impostor's biometrics erased: the template is gone, the candidates stay, unscored */
    long long erased = 0;
    CHECK(bex_border_erase_biometrics(st, ei.subject, &erased, err, sizeof err) == BEX_OK && erased >= 1);
    CHECK(bex_border_candidates(st, ei.encounter, &c, err, sizeof err) == BEX_OK);
    CHECK(!c.template_kept && c.reason[0] && c.n >= 2);
    for (int i = 0; i < c.n; i++)
        CHECK(isnan(c.candidates[i].score) && !c.candidates[i].match && c.candidates[i].gallery == BEX_GALLERY_NONE &&
              !strcmp(c.candidates[i].operating_point, "FMR 0.001"));
    bex_store_close(st);
    db_remove(p);
}

/* Issue 12: the version-1 hash joined fields with '|', so a boundary moved inside a row whose
 * text holds a '|' kept the hash. From schema 6 on, each field's length is hashed before it. */
TEST(audit_hash_marks_field_ends) {
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    char err[256], head[65], q[256];
    CHECK(bex_store_audit(st, "note", "case|7", "left|right", err, sizeof err) == BEX_OK);
    long long seq = sql_int(p, "SELECT max(seq) FROM audit");
    long long entries = 0, first_bad = -1;
    int found = 0;
    /* a fresh store's chain: the rows of schemas 1-5 in version 1, schema 6's on in version 2 */
    CHECK(sql_int(p, "SELECT min(seq) FROM audit WHERE hash_version = 2") ==
          sql_int(p, "SELECT seq FROM audit WHERE action = 'migrate' AND object = 'schema 6'"));
    CHECK(sql_int(p, "SELECT count(*) FROM audit a JOIN audit b ON b.seq > a.seq "
                     "WHERE a.hash_version = 2 AND b.hash_version = 1") == 0);
    CHECK(audit_ok(st));
    /* the attack of the issue: object "case", detail "7|left|right" hashed the same in version 1 */
    CHECK(sql_exec(p, ON_PG ? "DROP TRIGGER audit_no_update ON audit" : "DROP TRIGGER audit_no_update") == SQLITE_OK);
    snprintf(q, sizeof q, "UPDATE audit SET object = 'case', detail = '7|left|right' WHERE seq = %lld", seq);
    CHECK(sql_exec(p, q) == SQLITE_OK);
    CHECK(bex_store_audit_verify(st, NULL, &entries, &first_bad, &found, head, err, sizeof err) == BEX_OK);
    CHECK(first_bad == seq);
    /* nor can the row be passed off as version 1, where the move would hold */
    snprintf(q, sizeof q, "UPDATE audit SET hash_version = 1 WHERE seq = %lld", seq);
    CHECK(sql_exec(p, q) == SQLITE_OK);
    CHECK(bex_store_audit_verify(st, NULL, &entries, &first_bad, &found, head, err, sizeof err) == BEX_OK);
    CHECK(first_bad > 0 && first_bad <= seq);
    /* the row as written verifies again: what was seen was the change, nothing else */
    snprintf(q, sizeof q, "UPDATE audit SET object = 'case|7', detail = 'left|right', hash_version = 2 WHERE seq = %lld",
             seq);
    CHECK(sql_exec(p, q) == SQLITE_OK);
    CHECK(bex_store_audit_verify(st, NULL, &entries, &first_bad, &found, head, err, sizeof err) == BEX_OK);
    CHECK(first_bad == 0);
    bex_store_close(st);
    db_remove(p);
}

TEST(audit_chain_detects_tampering) {
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    person a = person_new(), b = person_new();
    bex_mrz pa = passport("XD0000001", "TESTA", "ANNA", "1980-01-31", "2031-05-01");
    bex_mrz pb = passport("XD0000002", "TESTB", "BERTA", "1975-07-04", "2030-01-01");
    bex_entry_result r;
    bex_exit_result x;
    char err[256], head[65], head2[65];
    CHECK(enter_person(st, &a, &pa, 1, "2026-03-01T10:00:00Z", "2026-05-30", &r) == BEX_OK);
    CHECK(enter_person(st, &b, &pb, 1, "2026-03-01T11:00:00Z", "2026-05-30", &r) == BEX_OK);
    CHECK(leave(st, &a, "2026-03-05T10:00:00Z", NULL, &x) == BEX_OK);
    CHECK(bex_store_audit(st, "report", "test", "made by the test", err, sizeof err) == BEX_OK);
    long long entries = 0, first_bad = -1;
    /* each migration wrote an entry first (numbers may skip: 005 without a 004) */
    long long m = sql_int(p, "SELECT count(*) FROM audit WHERE action = 'migrate'");
    char q[160];
    int found = -1;
    CHECK(bex_store_audit_verify(st, NULL, &entries, &first_bad, &found, head, err, sizeof err) == BEX_OK);
    CHECK(entries == m + 4 && first_bad == 0 && strlen(head) == 64 && found == 0);
    CHECK(sql_int(p, "SELECT count(*) FROM audit WHERE object LIKE '%%TESTA%%' OR detail LIKE '%%TESTA%%' "
                     "OR object LIKE '%%XD0000001%%' OR detail LIKE '%%XD0000001%%'") == 0);

    /* the log is append-only */
    snprintf(q, sizeof q, "UPDATE audit SET detail = 'changed' WHERE seq = %lld", m + 1);
    CHECK(sql_exec(p, q) != SQLITE_OK);
    snprintf(q, sizeof q, "DELETE FROM audit WHERE seq = %lld", m + 4);
    CHECK(sql_exec(p, q) != SQLITE_OK);
    CHECK(sql_int(p, "SELECT count(*) FROM audit") == m + 4);
    CHECK(bex_store_audit_verify(st, head, &entries, &first_bad, &found, head2, err, sizeof err) == BEX_OK);
    CHECK(found == 1 && first_bad == 0 && !strcmp(head, head2));

    /* a cut tail: seen only against a head kept elsewhere */
    snprintf(q, sizeof q, "DROP TRIGGER audit_no_delete%s; DELETE FROM audit WHERE seq = %lld", ON_PG ? " ON audit" : "",
             m + 4);
    CHECK(sql_exec(p, q) == SQLITE_OK);
    CHECK(bex_store_audit_verify(st, head, &entries, &first_bad, &found, head2, err, sizeof err) == BEX_OK);
    CHECK(entries == m + 3 && first_bad == 0 && found == 0 && strcmp(head, head2) != 0);

    /* a changed entry */
    snprintf(q, sizeof q, "DROP TRIGGER audit_no_update%s; UPDATE audit SET detail = 'changed' WHERE seq = %lld",
             ON_PG ? " ON audit" : "", m + 2);
    CHECK(sql_exec(p, q) == SQLITE_OK);
    CHECK(bex_store_audit_verify(st, NULL, &entries, &first_bad, &found, head2, err, sizeof err) == BEX_OK);
    CHECK(entries == m + 3 && first_bad == m + 2);
    /* a deleted entry in the middle */
    snprintf(q, sizeof q, "DELETE FROM audit WHERE seq = %lld", m + 1);
    CHECK(sql_exec(p, q) == SQLITE_OK);
    CHECK(bex_store_audit_verify(st, NULL, &entries, &first_bad, &found, head2, err, sizeof err) == BEX_OK);
    CHECK(entries == m + 2 && first_bad == m + 1);
    bex_store_close(st);
    db_remove(p);
}

/* A full disk: SQLite's max_page_count on the store's own connection, reached by an
 * auto-extension that runs when the store opens its file. */
static sqlite3 *full_db;
static int full_pages;

static int limit_pages(sqlite3 *db, char **errmsg, const sqlite3_api_routines *api) {
    (void)errmsg;
    (void)api;
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %d", full_pages);
    full_db = db;
    sqlite3_exec(db, sql, NULL, NULL, NULL);
    return SQLITE_OK;
}

/* The chain is read in pages (256 entries): a log of several pages verifies whole, its head is
 * the last entry's, and an entry changed or deleted pages after the first is found. */
TEST(audit_chain_verified_across_pages) {
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    char err[256], head[65], q[200];
    long long m = sql_int(p, "SELECT count(*) FROM audit");
    for (int i = 0; i < 700; i++)
        if (bex_store_audit(st, "report", "test", "page filler", err, sizeof err) != BEX_OK) break;
    long long n = m + 700, entries = 0, first_bad = -1;
    int found = -1;
    CHECK(bex_store_audit_verify(st, NULL, &entries, &first_bad, &found, head, err, sizeof err) == BEX_OK);
    CHECK(entries == n && first_bad == 0 && strlen(head) == 64);
    char last[65] = "";
    snprintf(q, sizeof q, "SELECT count(*) FROM audit WHERE seq = %lld", n);
    CHECK(sql_int(p, q) == 1);
    snprintf(q, sizeof q, "DROP TRIGGER audit_no_update%s; UPDATE audit SET detail = 'changed' WHERE seq = %lld",
             ON_PG ? " ON audit" : "", m + 600);
    CHECK(sql_exec(p, q) == SQLITE_OK);
    CHECK(bex_store_audit_verify(st, head, &entries, &first_bad, &found, last, err, sizeof err) == BEX_OK);
    CHECK(entries == n && first_bad == m + 600 && found == 1 && !strcmp(head, last));
    snprintf(q, sizeof q, "DROP TRIGGER audit_no_delete%s; DELETE FROM audit WHERE seq = %lld", ON_PG ? " ON audit" : "",
             m + 300);
    CHECK(sql_exec(p, q) == SQLITE_OK);
    CHECK(bex_store_audit_verify(st, NULL, &entries, &first_bad, &found, last, err, sizeof err) == BEX_OK);
    CHECK(entries == n - 1 && first_bad == m + 300);
    bex_store_close(st);
    db_remove(p);
}

TEST(full_disk_loses_nothing) {
    SQLITE_ONLY("a full disk is made with PRAGMA max_page_count");
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    person a = person_new();
    bex_mrz pa = passport("XE0000001", "TESTA", "ANNA", "1980-01-31", "2031-05-01");
    bex_entry_result r;
    CHECK(enter_person(st, &a, &pa, 1, "2026-03-01T10:00:00Z", "2026-05-30", &r) == BEX_OK);
    bex_store_close(st);
    long long pages = sql_int(p, "PRAGMA page_count");
    CHECK(pages > 0);

    full_pages = (int)pages + 2;
    full_db = NULL;
    CHECK(sqlite3_auto_extension((void (*)(void))limit_pages) == SQLITE_OK);
    st = store_open(p);
    sqlite3_cancel_auto_extension((void (*)(void))limit_pages);
    if (!st || !full_db) {
        bex_store_close(st);
        db_remove(p);
        SKIP("could not limit the store's pages");
    }
    /* entries until the disk is full; then one more page of room, and again: the entries fail at
     * different steps of their transaction (whichever table needs the next page) */
    enum { MAX_TRIES = 600, WANT_FAILURES = 24 };
    person *who = malloc(MAX_TRIES * sizeof *who);
    bex_mrz *docs = malloc(MAX_TRIES * sizeof *docs);
    char *failed = calloc(MAX_TRIES, 1);
    if (!who || !docs || !failed) {
        free(who);
        free(docs);
        free(failed);
        bex_store_close(st);
        db_remove(p);
        CHECK(!"out of memory");
        return;
    }
    char num[16], err[512];
    int ok = 0, failures = 0, tries = 0, other_errors = 0, first_failed = -1;
    for (; tries < MAX_TRIES && failures < WANT_FAILURES; tries++) {
        int i = tries;
        who[i] = person_new();
        snprintf(num, sizeof num, "XE%07d", i + 2);
        docs[i] = passport(num, "TESTF", "FULL", "1980-01-31", "2031-05-01");
        float live[DIM], photo[DIM];
        capture(&who[i], live);
        capture(&who[i], photo);
        bex_entry_request rq;
        entry_init(&rq, &docs[i], live, photo, "2026-03-02T10:00:00Z", "2026-05-30");
        int rc = bex_border_entry(st, &rq, &r, err, sizeof err);
        if (rc == BEX_OK) {
            ok++;
            continue;
        }
        failed[i] = 1;
        failures++;
        if (first_failed < 0) first_failed = i;
        if (rc != BEX_ERR_FULL || !strstr(err, "full")) other_errors++;
        CHECK(r.encounter == 0 && r.subject == 0 && r.n_flags == 0 && r.outcome == BEX_OUTCOME_NONE);
        /* nothing of the failed entry is on file */
        CHECK(sql_int(p, "SELECT count(*) FROM documents WHERE number = '%s'", num) == 0);
        char sql[96];
        snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", sql_int(p, "PRAGMA page_count") + 1);
        CHECK(sqlite3_exec(full_db, sql, NULL, NULL, NULL) == SQLITE_OK);
    }
    CHECK(failures == WANT_FAILURES && other_errors == 0 && ok > 0);
    CHECK(sql_int(p, "SELECT count(*) FROM encounters") == 1 + ok);
    CHECK(sql_int(p, "SELECT count(*) FROM subjects") == 1 + ok);
    CHECK(sql_int(p, "SELECT count(*) FROM samples") == 2 * (1 + ok));
    CHECK(sql_int(p, "SELECT count(*) FROM audit WHERE action = 'entry'") == 1 + ok);
    char check[64];
    sql_text(p, "PRAGMA integrity_check", check, sizeof check);
    CHECK(!strcmp(check, "ok"));
    CHECK(audit_ok(st));

    /* space freed: the same handle goes on; no failed traveller was enrolled, in the file or
     * in the store's index */
    CHECK(sqlite3_exec(full_db, "PRAGMA max_page_count = 1000000000", NULL, NULL, NULL) == SQLITE_OK);
    bex_exit_result x;
    for (int i = 0; i < tries; i++) {
        if (!failed[i]) continue;
        CHECK(leave(st, &who[i], "2026-03-03T11:00:00Z", NULL, &x) == BEX_OK);
        CHECK(x.outcome == BEX_OUTCOME_NOT_MATCHED && x.subject == 0);
    }
    if (first_failed >= 0) {
        int i = first_failed;
        CHECK(enter_person(st, &who[i], &docs[i], 1, "2026-03-03T12:00:00Z", "2026-05-30", &r) == BEX_OK);
        CHECK(r.new_subject == 1 && r.outcome == BEX_OUTCOME_MATCHED);
        CHECK(leave(st, &who[i], "2026-03-04T11:00:00Z", NULL, &x) == BEX_OK);
        CHECK(x.outcome == BEX_OUTCOME_MATCHED && x.subject == r.subject);
    }
    CHECK(leave(st, &a, "2026-03-04T12:00:00Z", NULL, &x) == BEX_OK);
    CHECK(x.outcome == BEX_OUTCOME_MATCHED && x.subject > 0);
    CHECK(audit_ok(st));
    full_db = NULL;
    bex_store_close(st);
    free(who);
    free(docs);
    free(failed);
    db_remove(p);
}

static long long count_all(const char *path) {
    return sql_int(path, "SELECT (SELECT count(*) FROM encounters) + (SELECT count(*) FROM subjects) + "
                         "(SELECT count(*) FROM documents) + (SELECT count(*) FROM samples) + "
                         "(SELECT count(*) FROM admissions) + (SELECT count(*) FROM flags) + "
                         "(SELECT count(*) FROM audit)");
}

TEST(bad_requests) {
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    person a = person_new();
    bex_mrz pa = passport("XF0000001", "TESTA", "ANNA", "1980-01-31", "2031-05-01");
    bex_entry_result r;
    CHECK(enter_person(st, &a, &pa, 1, "2026-03-01T10:00:00Z", "2026-05-30", &r) == BEX_OK);
    long long before = count_all(p);
    CHECK(before > 0);
    float live[DIM];
    capture(&a, live);
    char err[256];
    for (int k = 0; k < 8; k++) {
        bex_entry_request rq;
        entry_init(&rq, &pa, live, NULL, "2026-03-02T10:00:00Z", "2026-05-30");
        switch (k) {
        case 0: rq.port = NULL; break;
        case 1: rq.port = ""; break;
        case 2: rq.port_kind = (bex_port_kind)99; break;
        case 3: rq.at = "2026-03-02 25:00"; break;
        case 4: rq.at = "last tuesday"; break;
        case 5: rq.admission_class = NULL; break;
        case 6: rq.admit_until = "2026-02-30"; break;
        case 7: rq.doc = NULL; break;
        }
        err[0] = 0;
        int rc = bex_border_entry(st, &rq, &r, err, sizeof err);
        CHECK(rc == BEX_ERR_ARG && err[0] && r.encounter == 0);
        if (rc != BEX_ERR_ARG) printf("  entry case %d: %d\n", k, rc);
    }
    for (int k = 0; k < 4; k++) {
        bex_exit_request rq;
        exit_init(&rq, live, "2026-03-02T10:00:00Z", NULL);
        switch (k) {
        case 0: rq.port = NULL; break;
        case 1: rq.port_kind = (bex_port_kind)99; break;
        case 2: rq.at = "2026-03-02T10:00:00+25:00"; break;
        case 3: rq.port = "NEW"; rq.port_kind = BEX_PORT_NONE; break; /* a port bex has not seen: its kind needed */
        }
        err[0] = 0;
        bex_exit_result x;
        int rc = bex_border_exit(st, &rq, &x, err, sizeof err);
        CHECK(rc == BEX_ERR_ARG && err[0] && x.encounter == 0);
        if (rc != BEX_ERR_ARG) printf("  exit case %d: %d\n", k, rc);
    }
    CHECK(count_all(p) == before);
    /* the messages name no person */
    bex_entry_request rq;
    entry_init(&rq, &pa, live, NULL, "2026-03-02T10:00:00Z", "2026-05-30");
    rq.admission_class = NULL;
    bex_border_entry(st, &rq, &r, err, sizeof err);
    CHECK(!strstr(err, "TESTA") && !strstr(err, "XF0000001"));
    /* a citizen needs no class */
    rq.citizen = 1;
    CHECK(bex_border_entry(st, &rq, &r, err, sizeof err) == BEX_OK);
    bex_store_close(st);
    db_remove(p);
}

/* Runs one crossing in a child that BEX_FAULT kills with SIGKILL before its COMMIT. */
static void crash_child(const char *path, const char *fault, const person *who, const bex_mrz *d) {
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid < 0) return;
    if (pid == 0) {
        setenv("BEX_FAULT", fault, 1);
        bex_store *st = NULL;
        char err[256];
        if (store_try(path, &st, err, sizeof err) != BEX_OK) _exit(2);
        if (!strcmp(fault, "entry_before_commit")) {
            bex_entry_result r;
            enter_person(st, who, d, 1, "2026-03-10T10:00:00Z", "2026-05-30", &r);
        } else {
            bex_exit_result x;
            leave(st, who, "2026-03-10T10:00:00Z", NULL, &x);
        }
        _exit(3); /* the fault point did not fire */
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

TEST(crash_mid_entry_leaves_nothing) {
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    person a = person_new(), b = person_new();
    bex_mrz pa = passport("XG0000001", "TESTA", "ANNA", "1980-01-31", "2031-05-01");
    bex_mrz pb = passport("XG0000002", "TESTB", "BERTA", "1975-07-04", "2030-01-01");
    bex_entry_result ra, rb;
    CHECK(enter_person(st, &a, &pa, 1, "2026-03-01T10:00:00Z", "2026-05-30", &ra) == BEX_OK);
    bex_store_close(st);
    long long before = count_all(p);

    crash_child(p, "entry_before_commit", &b, &pb);
    CHECK(count_all(p) == before);
    CHECK(sql_int(p, "SELECT count(*) FROM encounters") == 1);
    char check[64];
    if (!ON_PG) { /* PostgreSQL has no integrity check of its own */
        sql_text(p, "PRAGMA integrity_check", check, sizeof check);
        CHECK(!strcmp(check, "ok"));
    }
    st = store_open(p);
    if (st) {
        CHECK(audit_ok(st));
        CHECK(enter_person(st, &b, &pb, 1, "2026-03-11T10:00:00Z", "2026-05-30", &rb) == BEX_OK);
        CHECK(rb.new_subject && rb.outcome == BEX_OUTCOME_MATCHED && rb.subject != ra.subject);
        bex_store_close(st);
    }

    before = count_all(p);
    crash_child(p, "exit_before_commit", &a, NULL);
    CHECK(count_all(p) == before);
    CHECK(sql_int(p, "SELECT count(*) FROM encounters") == 2);
    CHECK(sql_int(p, "SELECT exit_encounter_id IS NULL FROM admissions WHERE id = %lld", (long long)ra.admission) ==
          1);
    if (!ON_PG) { /* PostgreSQL has no integrity check of its own */
        sql_text(p, "PRAGMA integrity_check", check, sizeof check);
        CHECK(!strcmp(check, "ok"));
    }
    st = store_open(p);
    if (st) {
        CHECK(audit_ok(st));
        bex_exit_result x;
        CHECK(leave(st, &a, "2026-03-12T10:00:00Z", NULL, &x) == BEX_OK);
        CHECK(x.outcome == BEX_OUTCOME_MATCHED && x.subject == ra.subject && x.admission == ra.admission);
        bex_store_close(st);
    }
    db_remove(p);
}

/* ---- the border rules on a store (issue 11): each of these failed before the rules moved ---- */

static bex_mrz passport_of(const char *state, const char *number, const char *surname, const char *given,
                           const char *birth) {
    char text[90], err[256];
    bex_mrz m;
    memset(&m, 0, sizeof m);
    CHECK(bex_mrz_make_td3("P", state, surname, given, number, state, birth, 'M', "2031-01-01", text, err,
                           sizeof err) == BEX_OK);
    CHECK(bex_mrz_parse_at(text, TODAY, &m, err, sizeof err) == BEX_OK);
    return m;
}

TEST(impostor_referred_then_decided) {
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    person a = person_new(), b = person_new(), c = person_new();
    bex_mrz pa = passport("XR0000001", "TESTA", "ANNA", "1980-01-31", "2031-05-01");
    bex_mrz pc = passport("XR0000003", "TESTC", "CARL", "1982-01-31", "2031-05-01");
    bex_entry_result ea, eb, ec;
    char err[256];
    CHECK(enter_person(st, &a, &pa, 1, "2026-03-01T10:00:00Z", "2026-03-30", &ea) == BEX_OK);
    CHECK(ea.decision == BEX_DECISION_ADMITTED && ea.admission > 0);
    /* B on A's passport: referred, no admission, the terms kept for the officer */
    float live[DIM], photo[DIM];
    capture(&b, live);
    capture(&a, photo);
    CHECK(enter(st, &pa, live, photo, "2026-03-02T10:00:00Z", "2026-03-30", &eb) == BEX_OK);
    CHECK(eb.decision == BEX_DECISION_REFERRED && eb.admission == 0 && find_flag(eb.flags, eb.n_flags, "impostor_suspected"));
    CHECK(sql_int(p, "SELECT count(*) FROM admissions WHERE entry_encounter_id = %lld", (long long)eb.encounter) == 0);
    CHECK(sql_int(p, "SELECT count(*) FROM encounters WHERE id = %lld AND decision = 'referred' AND class = 'B2' "
                     "AND admit_until = '2026-03-30'", (long long)eb.encounter) == 1);
    /* not counted as an overstay while undecided */
    bex_overstay_row *rows;
    size_t n;
    CHECK(bex_border_overstays(st, "2026-06-30", BEX_POLICY_US, &rows, &n, err, sizeof err) == BEX_OK && n == 1);
    free(rows);
    /* the officer refuses B: still no admission, never an overstay */
    int64_t adm = -1;
    CHECK(bex_border_decide_entry(st, eb.encounter, BEX_DECISION_REFUSED, &adm, err, sizeof err) == BEX_OK && adm == 0);
    CHECK(sql_int(p, "SELECT count(*) FROM encounters WHERE id = %lld AND decision = 'refused'", (long long)eb.encounter) == 1);
    CHECK(bex_border_decide_entry(st, eb.encounter, BEX_DECISION_ADMITTED, &adm, err, sizeof err) == BEX_ERR_ARG &&
          strstr(err, "refused"));
    /* C, whose chip photo is unusable: referred; the officer admits on the terms asked */
    capture(&c, live);
    bex_entry_request rq;
    entry_init(&rq, &pc, live, NULL, "2026-03-03T10:00:00Z", "2026-04-01");
    rq.doc_photo_given = 1;
    rq.doc_photo_failure = "no_face";
    CHECK(bex_border_entry(st, &rq, &ec, err, sizeof err) == BEX_OK);
    CHECK(ec.outcome == BEX_OUTCOME_DOCUMENT_PHOTO_UNUSABLE && ec.decision == BEX_DECISION_REFERRED && ec.admission == 0);
    CHECK(find_flag(ec.flags, ec.n_flags, "document_photo_unusable") != NULL && !ec.verify.match);
    CHECK(bex_border_decide_entry(st, ec.encounter, BEX_DECISION_ADMITTED, &adm, err, sizeof err) == BEX_OK && adm > 0);
    CHECK(sql_int(p, "SELECT count(*) FROM admissions WHERE id = %lld AND class = 'B2' AND admit_until = '2026-04-01' "
                     "AND subject_id = %lld", (long long)adm, (long long)ec.subject) == 1);
    CHECK(bex_border_decide_entry(st, ec.encounter, BEX_DECISION_ADMITTED, &adm, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_border_decide_entry(st, ea.encounter, BEX_DECISION_REFUSED, &adm, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_border_decide_entry(st, 99999, BEX_DECISION_ADMITTED, &adm, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_border_overstays(st, "2026-06-30", BEX_POLICY_US, &rows, &n, err, sizeof err) == BEX_OK && n == 2);
    free(rows);
    CHECK(sql_int(p, "SELECT count(*) FROM audit WHERE action = 'decide_entry'") == 2);
    CHECK(audit_ok(st));
    bex_store_close(st);
    db_remove(p);
}

TEST(second_entry_closes_open_admission) {
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    person a = person_new();
    bex_mrz pa = passport("XS0000001", "TESTA", "ANNA", "1980-01-31", "2031-05-01");
    bex_entry_result e1, e2;
    char err[256];
    CHECK(enter_person(st, &a, &pa, 1, "2026-01-10T10:00:00Z", "2026-03-10", &e1) == BEX_OK);
    /* no exit recorded; back on 2026-05-01 */
    CHECK(enter_person(st, &a, &pa, 1, "2026-05-01T10:00:00Z", "2026-07-30", &e2) == BEX_OK);
    CHECK(e2.subject == e1.subject && e2.n_closed == 1 && e2.closed[0] == e1.admission);
    CHECK(sql_int(p, "SELECT superseded_by FROM admissions WHERE id = %lld", (long long)e1.admission) == e2.encounter);
    bex_overstay_row *rows;
    size_t n;
    /* before the second entry the first stay was, as far as anyone knew, an in-country overstay */
    CHECK(bex_border_overstays(st, "2026-04-01", BEX_POLICY_US, &rows, &n, err, sizeof err) == BEX_OK && n == 1);
    CHECK(verdict_is(row_of(rows, n, e1.admission), BEX_STAY_OVERSTAY_IN_COUNTRY, 22));
    free(rows);
    /* after it: a stay with no exit recorded, its own category, not an in-country overstay */
    CHECK(bex_border_overstays(st, "2026-06-01", BEX_POLICY_US, &rows, &n, err, sizeof err) == BEX_OK && n == 2);
    CHECK(verdict_is(row_of(rows, n, e1.admission), BEX_STAY_NO_EXIT_RECORDED, 0));
    CHECK(verdict_is(row_of(rows, n, e2.admission), BEX_STAY_PRESENT, 0));
    free(rows);
    /* the exit closes the open one, not the superseded one */
    bex_exit_result x;
    CHECK(leave(st, &a, "2026-06-02T10:00:00Z", NULL, &x) == BEX_OK && x.admission == e2.admission);
    bex_store_close(st);
    db_remove(p);
}

TEST(exit_rules_photo_direction_window) {
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    person a = person_new();
    bex_mrz pa = passport("XE0000001", "TESTA", "ANNA", "1980-01-31", "2031-05-01");
    bex_entry_result ea;
    char err[256];
    CHECK(enter_person(st, &a, &pa, 1, "2026-03-01T10:00:00Z", "2026-06-30", &ea) == BEX_OK);
    /* an exit with no usable photo: flagged for review */
    bex_exit_request rq;
    exit_init(&rq, NULL, "2026-03-02T10:00:00Z", NULL);
    rq.live_failure = "face_too_small";
    bex_exit_result x;
    CHECK(bex_border_exit(st, &rq, &x, err, sizeof err) == BEX_OK && x.outcome == BEX_OUTCOME_NO_PHOTO);
    const bex_flag *f = find_flag(x.flags, x.n_flags, "no_photo");
    CHECK(f && strstr(f->detail, "face_too_small") && !strcmp(f->created_at, "2026-03-02T10:00:00Z"));
    /* an arrival's manifest is no departure */
    static const char arr[] =
        "{\"departure\":\"ZZ9-2026-03-05\",\"direction\":\"arrival\",\"carrier\":\"ZZ\",\"voyage\":\"ZZ9\",\"port\":\""
        PORT "\",\"port_kind\":\"air\",\"scheduled\":\"2026-03-05T18:00:00Z\",\"travellers\":[]}";
    static const char dep[] =
        "{\"departure\":\"ZZ8-2026-03-05\",\"carrier\":\"ZZ\",\"voyage\":\"ZZ8\",\"port\":\""
        PORT "\",\"port_kind\":\"air\",\"scheduled\":\"2026-03-05T18:00:00Z\",\"travellers\":[]}";
    bex_manifest m;
    bex_manifest_result mr;
    CHECK(bex_manifest_parse_json(arr, sizeof arr - 1, &m, err, sizeof err) == BEX_OK);
    CHECK(bex_border_load_manifest(st, &m, NULL, NULL, &mr, err, sizeof err) == BEX_OK);
    bex_manifest_free(&m);
    CHECK(bex_manifest_parse_json(dep, sizeof dep - 1, &m, err, sizeof err) == BEX_OK);
    CHECK(bex_border_load_manifest(st, &m, NULL, NULL, &mr, err, sizeof err) == BEX_OK);
    bex_manifest_free(&m);
    long long before = sql_int(p, "SELECT count(*) FROM encounters");
    float live[DIM];
    capture(&a, live);
    exit_init(&rq, live, "2026-03-05T17:00:00Z", "ZZ9-2026-03-05");
    CHECK(bex_border_exit(st, &rq, &x, err, sizeof err) == BEX_ERR_ARG && strstr(err, "arrival") && !strstr(err, "--"));
    CHECK(sql_int(p, "SELECT count(*) FROM encounters") == before);
    /* an exit months after its departure's time: recorded and flagged */
    exit_init(&rq, live, "2026-06-05T17:00:00Z", "ZZ8-2026-03-05");
    CHECK(bex_border_exit(st, &rq, &x, err, sizeof err) == BEX_OK && x.subject == ea.subject);
    f = find_flag(x.flags, x.n_flags, "outside_departure_window");
    CHECK(f != NULL && flag_names_subject(f, ea.subject) && !strcmp(f->created_at, "2026-06-05T17:00:00Z"));
    /* flags carry the crossing's time, not the clock's */
    CHECK(sql_int(p, "SELECT count(*) FROM flags f JOIN encounters e ON e.id = f.encounter_id "
                     "WHERE f.created_at <> e.at") == 0);
    bex_store_close(st);
    db_remove(p);
}

TEST(citizens_matched_with_the_document_alone_and_purged) {
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    person d = person_new(), u = person_new();
    char err[256];
    /* a dual national, first recorded as a visitor on a foreign passport */
    bex_mrz foreign = passport("XD0000001", "TESTD", "DORA", "1980-01-31", "2031-05-01");
    bex_entry_result ev, ec, eu;
    CHECK(enter_person(st, &d, &foreign, 1, "2026-03-01T10:00:00Z", "2026-03-20", &ev) == BEX_OK);
    bex_exit_result x;
    CHECK(leave(st, &d, "2026-03-10T10:00:00Z", NULL, &x) == BEX_OK && x.subject == ev.subject);
    long long visitor_samples = sql_int(p, "SELECT count(*) FROM samples WHERE subject_id = %lld", (long long)ev.subject);
    /* back on her US passport: a citizen, not searched, not linked to the visitor by face */
    bex_mrz usa = passport_of("USA", "500000001", "TESTD", "DORA", "1980-01-31");
    float live[DIM], photo[DIM];
    capture(&d, live);
    capture(&d, photo);
    bex_entry_request rq;
    entry_init(&rq, &usa, live, photo, "2026-04-01T08:00:00Z", NULL);
    rq.admission_class = NULL; /* the passport says citizen: not declared */
    CHECK(bex_border_entry(st, &rq, &ec, err, sizeof err) == BEX_OK);
    CHECK(ec.citizen && ec.subject != ev.subject && ec.admission == 0 && ec.identify.gallery == BEX_GALLERY_NONE);
    CHECK(ec.outcome == BEX_OUTCOME_MATCHED && ec.decision == BEX_DECISION_ADMITTED);
    /* with a class on a US passport: refused, with a message, nothing written */
    long long before = sql_int(p, "SELECT count(*) FROM encounters");
    rq.admission_class = "B2";
    rq.admit_until = "2026-05-01";
    CHECK(bex_border_entry(st, &rq, &eu, err, sizeof err) == BEX_ERR_ARG && strstr(err, "citizen"));
    CHECK(sql_int(p, "SELECT count(*) FROM encounters") == before);
    int64_t s1, d1;
    int added;
    CHECK(bex_border_enrol(st, &usa, photo, 50, "visa", NULL, &s1, &d1, &added, err, sizeof err) == BEX_ERR_ARG);
    /* a citizen's exit: nobody matches it (citizens are in no gallery); the capture is kept for review,
     * with the citizens' 12 hours, and while its not_matched flag is open (issue 15) */
    CHECK(leave(st, &u, "2026-04-01T09:00:00Z", NULL, &x) == BEX_OK && x.subject == 0);
    bex_purge_result pr;
    CHECK(bex_border_purge(st, "2026-04-01T19:59:00Z", &pr, err, sizeof err) == BEX_OK);
    CHECK(pr.citizen_samples == 0 && pr.unmatched_samples == 0);
    CHECK(bex_border_purge(st, "2026-04-01T21:00:00Z", &pr, err, sizeof err) == BEX_OK);
    CHECK(pr.citizen_samples == 2 && pr.unmatched_samples == 0);
    long long nm = sql_int(p, "SELECT id FROM flags WHERE encounter_id = %lld AND kind = 'not_matched'",
                           (long long)x.encounter);
    CHECK(nm > 0 && bex_border_flag_status(st, nm, BEX_FLAG_CLEARED, err, sizeof err) == BEX_OK);
    CHECK(bex_border_purge(st, "2026-04-01T21:01:00Z", &pr, err, sizeof err) == BEX_OK);
    CHECK(pr.citizen_samples == 0 && pr.unmatched_samples == 1);
    CHECK(sql_int(p, "SELECT count(*) FROM samples WHERE citizen = 1 OR subject_id IS NULL") == 0);
    CHECK(sql_int(p, "SELECT count(*) FROM encounters WHERE id = %lld", (long long)x.encounter) == 1); /* the record stays */
    /* the dual national keeps the visitor record */
    CHECK(sql_int(p, "SELECT count(*) FROM samples WHERE subject_id = %lld", (long long)ev.subject) == visitor_samples);
    /* at most 12 hours for unmatched captures too */
    CHECK(bex_border_set_retention(st, "unmatched_captures", 86400, err, sizeof err) == BEX_ERR_ARG);
    bex_store_close(st);
    db_remove(p);
}

TEST(reclassify_erase_merge_lookup) {
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    person a = person_new(), b = person_new();
    bex_mrz pa = passport("XK0000001", "TESTA", "ANNA", "1980-01-31", "2031-05-01");
    bex_mrz pb = passport("XK0000002", "TESTB", "BEA", "1981-01-31", "2031-05-01");
    bex_entry_result ea, eb;
    char err[256];
    CHECK(enter_person(st, &a, &pa, 1, "2026-03-01T10:00:00Z", "2026-03-10", &ea) == BEX_OK);
    CHECK(enter_person(st, &b, &pb, 1, "2026-03-01T11:00:00Z", "2026-03-10", &eb) == BEX_OK);
    /* look-ups: by document, by names (spelling variants agree) and birth date */
    bex_lookup_hit *h;
    size_t n;
    bex_lookup_query q = {.number = "XK0000001"};
    CHECK(bex_border_lookup(st, &q, &h, &n, err, sizeof err) == BEX_OK && n == 1 && h[0].subject == ea.subject);
    free(h);
    bex_lookup_query qn = {.surname = "Testa", .given_names = "Anna", .birth_date = "1980-01-31"};
    CHECK(bex_border_lookup(st, &qn, &h, &n, err, sizeof err) == BEX_OK && n == 1 && h[0].subject == ea.subject);
    CHECK(n == 1 && !strcmp(h[0].names_verdict, "same"));
    free(h);
    qn.birth_date = "1980-01-30";
    CHECK(bex_border_lookup(st, &qn, &h, &n, err, sizeof err) == BEX_OK && n == 0);
    free(h);
    bex_lookup_query none = {0};
    CHECK(bex_border_lookup(st, &none, &h, &n, err, sizeof err) == BEX_ERR_ARG);
    /* A was wrongly enrolled as a visitor: a citizen */
    CHECK(bex_border_reclassify_citizen(st, ea.subject, err, sizeof err) == BEX_OK);
    CHECK(sql_int(p, "SELECT citizen FROM subjects WHERE id = %lld", (long long)ea.subject) == 1);
    CHECK(sql_int(p, "SELECT count(*) FROM samples WHERE subject_id = %lld AND citizen = 0", (long long)ea.subject) == 0);
    bex_exit_result x;
    CHECK(leave(st, &a, "2026-03-05T10:00:00Z", NULL, &x) == BEX_OK && x.subject == 0); /* in no gallery now */
    bex_overstay_row *rows;
    CHECK(bex_border_overstays(st, "2026-06-30", BEX_POLICY_US, &rows, &n, err, sizeof err) == BEX_OK && n == 1 &&
          rows[0].subject == eb.subject);
    free(rows);
    /* B's biometrics erased: the crossings stay, the face is gone */
    long long erased = 0;
    CHECK(bex_border_erase_biometrics(st, eb.subject, &erased, err, sizeof err) == BEX_OK && erased == 2);
    CHECK(sql_int(p, "SELECT count(*) FROM samples WHERE subject_id = %lld", (long long)eb.subject) == 0);
    CHECK(sql_int(p, "SELECT count(*) FROM encounters WHERE subject_id = %lld", (long long)eb.subject) == 1);
    CHECK(leave(st, &b, "2026-03-06T10:00:00Z", NULL, &x) == BEX_OK && x.subject == 0);
    CHECK(bex_border_reclassify_citizen(st, 99999, err, sizeof err) == BEX_ERR_ARG);
    /* one person found to be two subjects: merged, then undone */
    person c = person_new();
    bex_mrz pc1 = passport("XK0000003", "TESTC", "CARL", "1982-01-31", "2031-05-01");
    bex_mrz pc2 = passport("XK0000004", "OTHER", "NAME", "1975-05-05", "2031-05-01");
    bex_entry_result c1, c2;
    CHECK(enter_person(st, &c, &pc1, 1, "2026-03-01T12:00:00Z", "2026-03-10", &c1) == BEX_OK);
    CHECK(leave(st, &c, "2026-03-07T10:00:00Z", NULL, &x) == BEX_OK && x.subject == c1.subject);
    CHECK(enter_person(st, &c, &pc2, 1, "2026-03-08T12:00:00Z", "2026-03-20", &c2) == BEX_OK);
    CHECK(c2.subject != c1.subject && find_flag(c2.flags, c2.n_flags, "two_identities"));
    CHECK(c2.decision == BEX_DECISION_REFERRED && c2.admission == 0);
    int64_t c2adm = 0;
    CHECK(bex_border_decide_entry(st, c2.encounter, BEX_DECISION_ADMITTED, &c2adm, err, sizeof err) == BEX_OK && c2adm);
    long long docs_c1 = sql_int(p, "SELECT count(*) FROM documents WHERE subject_id = %lld", (long long)c1.subject);
    long long samples_c2 = sql_int(p, "SELECT count(*) FROM samples WHERE subject_id = %lld", (long long)c2.subject);
    int64_t mg = 0;
    CHECK(bex_border_merge(st, c1.subject, c2.subject, &mg, err, sizeof err) == BEX_OK && mg > 0);
    CHECK(sql_int(p, "SELECT count(*) FROM documents WHERE subject_id = %lld", (long long)c1.subject) == docs_c1 + 1);
    CHECK(sql_int(p, "SELECT count(*) FROM samples WHERE subject_id = %lld", (long long)c2.subject) == 0);
    CHECK(sql_int(p, "SELECT count(*) FROM admissions WHERE subject_id = %lld", (long long)c1.subject) == 2);
    CHECK(leave(st, &c, "2026-03-09T10:00:00Z", NULL, &x) == BEX_OK && x.subject == c1.subject &&
          x.admission == c2adm);
    CHECK(bex_border_unmerge(st, mg, err, sizeof err) == BEX_OK);
    CHECK(sql_int(p, "SELECT count(*) FROM documents WHERE subject_id = %lld", (long long)c1.subject) == docs_c1);
    CHECK(sql_int(p, "SELECT count(*) FROM samples WHERE subject_id = %lld", (long long)c2.subject) == samples_c2);
    CHECK(bex_border_unmerge(st, mg, err, sizeof err) == BEX_ERR_ARG && strstr(err, "undone"));
    CHECK(bex_border_merge(st, c1.subject, c1.subject, &mg, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_border_merge(st, c1.subject, ea.subject, &mg, err, sizeof err) == BEX_ERR_ARG); /* a citizen */
    static const char *const actions[] = {"reclassify", "erase_biometrics", "merge", "unmerge", "lookup"};
    for (int i = 0; i < 5; i++) CHECK(sql_int(p, "SELECT count(*) FROM audit WHERE action = '%s'", actions[i]) >= 1);
    if (!ON_PG) CHECK(sql_int(p, "PRAGMA foreign_key_check") == -1); /* PostgreSQL enforces them as it goes */
    CHECK(audit_ok(st));
    bex_store_close(st);
    db_remove(p);
}

TEST(manifest_names_compared_as_names) {
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    person a = person_new();
    bex_mrz pa = passport("XM0000001", "Müller", "Jürgen", "1980-01-31", "2031-05-01");
    CHECK(!strcmp(pa.surname, "MUELLER") && !strcmp(pa.given_names, "JUERGEN"));
    bex_entry_result ea;
    CHECK(enter_person(st, &a, &pa, 1, "2026-03-01T10:00:00Z", "2026-06-30", &ea) == BEX_OK);
    char json[2048], err[256];
    snprintf(json, sizeof json,
             "{\"departure\":\"ZZ1-2026-03-05\",\"carrier\":\"ZZ\",\"voyage\":\"ZZ1\",\"port\":\"" PORT "\","
             "\"port_kind\":\"air\",\"scheduled\":\"2026-03-05T18:00:00Z\",\"travellers\":["
             "{\"issuing_state\":\"UTO\",\"number\":\"XM0000001\",\"surname\":\"Müller\",\"given_names\":\"Jürgen\","
             "\"birth_date\":\"1980-01-31\"}]}");
    const char *variants[][3] = {{"Müller", "Jürgen", "1980-01-31"}, {"MULLER", "JURGEN", "1980-01-31"},
                                 {"mueller", "juergen", "1980-01-31"}, {"JUERGEN", "MUELLER", ""},
                                 {"Mueller", "Jürgen", "1980-01-30"}, {"MEIER", "JUERGEN", "1980-01-31"}};
    const int mismatch[] = {0, 0, 0, 0, 1, 1};
    for (int i = 0; i < 6; i++) {
        snprintf(json, sizeof json,
                 "{\"departure\":\"ZZ1-2026-03-05\",\"carrier\":\"ZZ\",\"voyage\":\"ZZ1\",\"port\":\"" PORT "\","
                 "\"port_kind\":\"air\",\"scheduled\":\"2026-03-05T18:00:00Z\",\"travellers\":["
                 "{\"issuing_state\":\"UTO\",\"number\":\"XM0000001\",\"surname\":\"%s\",\"given_names\":\"%s\","
                 "\"birth_date\":\"%s\"}]}", variants[i][0], variants[i][1], variants[i][2]);
        bex_manifest m;
        bex_manifest_result mr;
        CHECK(bex_manifest_parse_json(json, strlen(json), &m, err, sizeof err) == BEX_OK);
        CHECK(bex_border_load_manifest(st, &m, NULL, NULL, &mr, err, sizeof err) == BEX_OK);
        if (mr.n_flags != mismatch[i] || mr.linked != 1) printf("  variant %d: %d flags\n", i, mr.n_flags);
        CHECK(mr.n_flags == mismatch[i] && mr.linked == 1 && mr.name_variants == (size_t)(i == 0 || i == 1 || i == 3));
        bex_manifest_free(&m);
    }
    char detail[256];
    sql_text(p, "SELECT detail FROM flags WHERE kind = 'manifest_mismatch' ORDER BY id LIMIT 1", detail, sizeof detail);
    CHECK(strstr(detail, "birth date") && !strstr(detail, "MUELLER") && !strstr(detail, "XM0000001"));
    /* the same person under a number not on record: the document number differs, flagged with
     * the document on record, not linked, no templates */
    snprintf(json, sizeof json,
             "{\"departure\":\"ZZ1-2026-03-05\",\"carrier\":\"ZZ\",\"voyage\":\"ZZ1\",\"port\":\"" PORT "\","
             "\"port_kind\":\"air\",\"scheduled\":\"2026-03-05T18:00:00Z\",\"travellers\":["
             "{\"issuing_state\":\"UTO\",\"number\":\"XM0000999\",\"surname\":\"MULLER\",\"given_names\":\"JURGEN\","
             "\"birth_date\":\"1980-01-31\"}]}");
    bex_manifest m;
    bex_manifest_result mr;
    CHECK(bex_manifest_parse_json(json, strlen(json), &m, err, sizeof err) == BEX_OK);
    CHECK(bex_border_load_manifest(st, &m, NULL, NULL, &mr, err, sizeof err) == BEX_OK);
    CHECK(mr.n_flags == 1 && mr.linked == 0 && mr.verified == 0);
    bex_manifest_free(&m);
    sql_text(p, "SELECT detail FROM flags WHERE kind = 'manifest_mismatch' ORDER BY id DESC LIMIT 1", detail, sizeof detail);
    CHECK(strstr(detail, "document number differs") && !strstr(detail, "XM0000999") && !strstr(detail, "MUELLER"));
    CHECK(sql_int(p, "SELECT count(*) FROM flag_subjects WHERE flag_id = (SELECT max(id) FROM flags) AND subject_id = %lld",
                  (long long)ea.subject) == 1);
    bex_store_close(st);
    db_remove(p);
}

/* A store made by the previous schema (migrations 001 and 002, applied by hand from
 * src/store/sql/) with a crossing on it: opened by this bex, migrated, nothing lost. */
TEST(migrates_a_version_2_store) {
    SQLITE_ONLY("migrates an SQLite file of schema version 2");
    char p[512];
    db_new(p);
    char *sql[2] = {NULL, NULL};
    const char *files[2] = {"src/store/sql/001_init.sql", "src/store/sql/002_api_keys.sql"};
    for (int i = 0; i < 2; i++) {
        size_t n;
        sql[i] = (char *)file_bytes(files[i], &n);
        if (!sql[i]) {
            free(sql[0]);
            db_remove(p);
            SKIP("the migrations' SQL is not at hand (run from the source tree)");
        }
        sql[i][n < (1 << 20) ? n : (1 << 20) - 1] = 0;
    }
    CHECK(sql_exec(p, sql[0]) == SQLITE_OK && sql_exec(p, sql[1]) == SQLITE_OK);
    free(sql[0]);
    free(sql[1]);
    CHECK(sql_exec(p, "PRAGMA user_version = 2;"
                      "INSERT INTO subjects VALUES (1, '2026-01-01T00:00:00Z', 0);"
                      "INSERT INTO documents(id, subject_id, type, format, issuing_state, number, nationality, surname,"
                      " given_names, birth_date, sex, created_at) VALUES (1, 1, 'P', 'TD3', 'UTO', 'X1', 'UTO', 'A', 'B',"
                      " '1980-01-01', 'F', '2026-01-01T00:00:00Z');"
                      "INSERT INTO encounters(id, subject_id, document_id, direction, port, port_kind, at, outcome)"
                      " VALUES (1, 1, 1, 'entry', 'JFK', 'air', '2026-01-01T00:00:00Z', 'matched');"
                      "INSERT INTO admissions(id, subject_id, entry_encounter_id, class, admit_until)"
                      " VALUES (1, 1, 1, 'B2', '2026-02-01');"
                      "INSERT INTO flags(id, kind, encounter_id, detail, created_at, status) VALUES (1,"
                      " 'impostor_suspected', 1, 'x', '2026-01-01T00:00:00Z', 'confirmed');"
                      "INSERT INTO flag_subjects VALUES (1, 1);"
                      "INSERT INTO departures VALUES ('ZZ1', 'departure', 'ZZ', 'ZZ1', 'JFK', 'air',"
                      " '2026-01-20T10:00:00Z', '2026-01-19T10:00:00Z');"
                      "INSERT INTO manifest_entries(departure_id, issuing_state, number, surname, given_names,"
                      " birth_date, document_id) VALUES ('ZZ1', 'UTO', 'X9', 'C', 'D', NULL, NULL),"
                      " ('ZZ1', 'UTO', 'X1', 'a', 'B', '1980-01-01', 1), ('ZZ1', 'UTO', 'X2', 'A', 'B', '1980-01-02', 1);")
          == SQLITE_OK);
    bex_store *st = store_open(p);
    if (!st) {
        db_remove(p);
        return;
    }
    CHECK(bex_store_schema_version(st) == NEWEST_SCHEMA);
    /* the old chain re-anchored: its rows keep version 1, schema 6's row and after are version 2,
     * and the whole chain verifies */
    CHECK(sql_int(p, "SELECT count(*) FROM audit a JOIN audit b ON b.seq = a.seq - 1 AND a.prev = b.hash "
                     "WHERE a.action = 'migrate' AND a.object = 'schema 6' AND a.hash_version = 2 "
                     "AND b.hash_version = 1") == 1);
    CHECK(audit_ok(st));
    /* 004: manifest travellers numbered by position; verified only when exactly the record's */
    char pos[64];
    sql_text(p, "SELECT group_concat(position || ':' || verified, ',') FROM (SELECT position, verified FROM "
                "manifest_entries ORDER BY id)", pos, sizeof pos);
    CHECK(!strcmp(pos, "1:0,2:1,3:0"));
    CHECK(sql_int(p, "SELECT count(*) FROM encounters WHERE id = 1 AND decision = 'admitted' AND class = 'B2' "
                     "AND admit_until = '2026-02-01'") == 1);
    CHECK(sql_int(p, "SELECT count(*) FROM flags f JOIN flag_subjects s ON s.flag_id = f.id WHERE f.status = 'confirmed'") == 1);
    CHECK(sql_int(p, "SELECT count(*) FROM admissions WHERE id = 1 AND entry_encounter_id = 1") == 1);
    CHECK(sql_int(p, "SELECT seconds FROM retention WHERE category = 'unmatched_captures'") == 43200);
    CHECK(sql_int(p, "PRAGMA foreign_keys") == 0 || 1); /* a fresh connection's default */
    char err[256];
    bex_overstay_row *rows;
    size_t n;
    CHECK(bex_border_overstays(st, "2026-03-01", BEX_POLICY_US, &rows, &n, err, sizeof err) == BEX_OK && n == 1 &&
          rows[0].verdict.status == BEX_STAY_OVERSTAY_IN_COUNTRY);
    free(rows);
    CHECK(bex_border_flag_status(st, 1, BEX_FLAG_REFERRED, err, sizeof err) == BEX_OK);
    bex_store_close(st);
    /* the foreign keys still hold after the tables were rebuilt */
    sqlite3 *db = raw_open(p);
    if (db) {
        sqlite3_stmt *s = NULL;
        CHECK(sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &s, NULL) == SQLITE_OK &&
              sqlite3_step(s) == SQLITE_DONE);
        sqlite3_finalize(s);
        sqlite3_close(db);
    }
    db_remove(p);
}

/* A face sample of subject (a row there already) written by another connection: 0 on success. */
static int insert_sample(const char *path, int subject, const char *model, const float v[DIM]) {
    db_conn *db = conn_open(path);
    db_stmt *ins = NULL;
    int rc = -1;
    if (db && db_prepare(db, "INSERT INTO samples(subject_id, source, model, template, captured_at) "
                             "VALUES (?1, 'entry', ?2, ?3, '2026-01-01T00:00:00Z')", 0, &ins) == DB_OK) {
        db_bind_int(ins, 1, subject);
        db_bind_text(ins, 2, model, -1);
        db_bind_blob(ins, 3, v, sizeof(float) * DIM);
        rc = db_step(ins) == DB_DONE ? 0 : -1;
    }
    db_finalize(ins);
    db_close(db);
    return rc;
}

/* 1:N search scores only templates of the store's model: another model's template, even the
 * probe itself, is never a candidate (a score between two models means nothing). */
TEST(search_ignores_another_models_templates) {
    char p[512], err[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    person a = person_new(), b = person_new();
    float va[DIM], vb[DIM];
    capture(&a, va);
    capture(&b, vb);
    CHECK(sql_exec(p, "INSERT INTO subjects(id, created_at) VALUES (1, 'x'), (2, 'x')") == 0);
    CHECK(insert_sample(p, 1, "vendor-x-r100@2.1 arcface-112 sha256:0123456789abcdef0123456789abcdef", va) == 0);
    CHECK(insert_sample(p, 2, bex_store_model(st), vb) == 0);
    bex_index_hit hits[5];
    size_t n = 0;
    bex_match m;
    CHECK(bex_border_identify(st, va, hits, &n, &m, err, sizeof err) == BEX_OK);
    CHECK(n == 1 && hits[0].subject_id == 2); /* subject 1's template is of another model */
    CHECK(bex_border_identify(st, vb, hits, &n, &m, err, sizeof err) == BEX_OK);
    CHECK(n == 1 && hits[0].subject_id == 2 && fabs(hits[0].score - 1.0) < 1e-5); /* exact, after the re-rank */
    bex_store_close(st);
    db_remove(p);
}

/* A 1:N scan done ahead on another thread (bex_store_prescan, as the service does before its
 * lock) gives the search's answer, and runs safely beside calls that rebuild the index. */
typedef struct scan_loop {
    bex_store *st;
    const float *probe;
    int rounds, failed;
} scan_loop;
static void *scan_loop_run(void *arg) {
    scan_loop *l = arg;
    char e[256];
    for (int i = 0; i < l->rounds; i++) {
        bex_store_scan *pre = NULL;
        if (bex_store_prescan(l->st, l->probe, DIM, &pre, e, sizeof e) != BEX_OK) l->failed++;
        bex_store_scan_free(pre);
    }
    return NULL;
}

TEST(search_scanned_ahead) {
    char p[512], err[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    person a = person_new(), b = person_new();
    float va[DIM], vb[DIM];
    capture(&a, va);
    capture(&b, vb);
    char sql[512];
    CHECK(sql_exec(p, "INSERT INTO subjects(id, created_at) VALUES (1, 'x'), (2, 'x')") == 0);
    CHECK(insert_sample(p, 1, bex_store_model(st), va) == 0 && insert_sample(p, 2, bex_store_model(st), vb) == 0);
    bex_store_scan *pre = (bex_store_scan *)&err; /* must be overwritten */
    CHECK(bex_store_prescan(st, va, DIM, &pre, err, sizeof err) == BEX_OK && pre == NULL); /* no index yet */
    bex_index_hit hits[5], h2[5];
    size_t n = 0, n2 = 0;
    bex_match m;
    CHECK(bex_border_identify(st, va, hits, &n, &m, err, sizeof err) == BEX_OK);
    CHECK(bex_store_prescan(st, va, DIM, &pre, err, sizeof err) == BEX_OK && pre != NULL);
    bex_store_scan *bad = NULL;
    CHECK(bex_store_prescan(st, va, DIM + 1, &bad, err, sizeof err) == BEX_ERR_ARG && bad == NULL);
    CHECK(bex_border_identify_from(st, pre, va, h2, &n2, &m, err, sizeof err) == BEX_OK);
    CHECK(n2 == n && n == 2 && h2[0].subject_id == 1 && h2[0].score == hits[0].score && h2[1].subject_id == 2);
    /* the scan of one probe does not answer for another */
    CHECK(bex_border_identify_from(st, pre, vb, h2, &n2, &m, err, sizeof err) == BEX_OK);
    CHECK(n2 == 2 && h2[0].subject_id == 2 && fabs(h2[0].score - 1.0) < 1e-5);
    /* subject 1's sample deleted by another process after the scan: not a candidate */
    CHECK(sql_exec(p, "DELETE FROM samples WHERE subject_id = 1") == 0);
    CHECK(bex_border_identify_from(st, pre, va, h2, &n2, &m, err, sizeof err) == BEX_OK);
    CHECK(n2 == 1 && h2[0].subject_id == 2);
    bex_store_scan_free(pre);
    /* scans on another thread while this one's calls rebuild the index after others' writes */
    scan_loop l = {st, vb, 300, 0};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, scan_loop_run, &l) == 0);
    for (int i = 0; i < 30; i++) {
        snprintf(sql, sizeof sql, "INSERT INTO samples(subject_id, source, model, template, captured_at) "
                                  "SELECT 2, 'entry', model, template, 'x%d' FROM samples WHERE subject_id = 2 LIMIT 1", i);
        CHECK(sql_exec(p, sql) == 0);
        CHECK(bex_border_identify(st, vb, hits, &n, &m, err, sizeof err) == BEX_OK);
        CHECK(n == 1 && hits[0].subject_id == 2);
    }
    pthread_join(t, NULL);
    CHECK(l.failed == 0);
    bex_store_close(st);
    db_remove(p);
}

/* the new model in the re-enrolment test: a template from the image's bytes; "noface" has none */
static int fake_model(void *ctx, const void *image, size_t len, float *tmpl, char *err, size_t errlen) {
    int *calls = ctx;
    (*calls)++;
    if (len == 6 && !memcmp(image, "noface", 6)) {
        snprintf(err, errlen, "no face found");
        return BEX_ERR_NO_FACE;
    }
    if (len == 4 && !memcmp(image, "fail", 4)) {
        snprintf(err, errlen, "the network failed");
        return BEX_ERR_MODEL;
    }
    for (int i = 0; i < 512; i++) tmpl[i] = i == (int)(len % 512) ? 1.0f : 0.0f;
    return BEX_OK;
}

/* A change of model: templates of the new model from the images kept, beside the old ones;
 * subjects with no image (or no usable one) listed for a new capture; audited; idempotent. */
TEST(reenrol_computes_new_templates_from_kept_images) {
    char p[512], err[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    const char *old = bex_store_model(st);
    CHECK(!strcmp(old, "face-api.js@1.7.15 resnet34-128 similarity"));
    char sql[2048];
    snprintf(sql, sizeof sql,
             "INSERT INTO subjects(id, created_at) VALUES (1, 'x'), (2, 'x'), (3, 'x'), (4, 'x');"
             "INSERT INTO samples(subject_id, source, model, template, captured_at, image) VALUES "
             "(1, 'entry', '%s', zeroblob(512), '2026-01-01T00:00:00Z', CAST('face-a' AS BLOB)),"
             "(1, 'exit', '%s', zeroblob(512), '2026-01-05T00:00:00Z', NULL),"
             "(2, 'entry', '%s', zeroblob(512), '2026-01-02T00:00:00Z', NULL),"
             "(3, 'entry', '%s', zeroblob(512), '2026-01-03T00:00:00Z', CAST('noface' AS BLOB)),"
             "(NULL, 'exit', '%s', zeroblob(512), '2026-01-04T00:00:00Z', CAST('face-b' AS BLOB)),"
             "(4, 'entry', 'some other model', zeroblob(512), '2026-01-03T00:00:00Z', CAST('face-c' AS BLOB));",
             old, old, old, old, old);
    sql_dialect(sql, sizeof sql);
    CHECK(sql_exec(p, sql) == 0);
    const char *vx = "vendor-x-r100@2.1 arcface-112 sha256:0123456789abcdef0123456789abcdef";
    int calls = 0;
    bex_reenrol_report r;
    CHECK(bex_store_reenrol(st, old, 512, fake_model, &calls, &r, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_store_reenrol(st, vx, 512, fake_model, &calls, &r, err, sizeof err) == BEX_OK);
    CHECK(calls == 2); /* the two kept images of subjects; not the unmatched capture, not the other model's */
    CHECK(r.samples == 4 && r.reenrolled == 1 && r.no_image == 2 && r.unusable == 1 && r.already == 0);
    CHECK(r.n_need_capture == 2 && r.need_capture[0] == 2 && r.need_capture[1] == 3);
    free(r.need_capture);
    CHECK(sql_int(p, "SELECT count(*) FROM samples WHERE model = '%s' AND subject_id = 1 AND length(template) = 2048 "
                     "AND image IS NULL AND source = 'entry' AND captured_at = '2026-01-01T00:00:00Z'", vx) == 1);
    CHECK(sql_int(p, "SELECT count(*) FROM samples WHERE model = '%s'", old) == 5); /* the old ones stay */
    CHECK(sql_int(p, "SELECT count(*) FROM audit WHERE action = 'reenrol' AND object = '%s' AND detail LIKE "
                     "'%%reenrolled 1,%%capture again 2'", vx) == 1);
    /* again: nothing new, the same list */
    calls = 0;
    CHECK(bex_store_reenrol(st, vx, 512, fake_model, &calls, &r, err, sizeof err) == BEX_OK);
    CHECK(calls == 1 && r.already == 1 && r.reenrolled == 0 && r.n_need_capture == 2);
    free(r.need_capture);
    /* a failing model stops it and writes nothing */
    snprintf(sql, sizeof sql, "UPDATE samples SET image = CAST('fail' AS BLOB) WHERE subject_id = 2");
    sql_dialect(sql, sizeof sql);
    CHECK(sql_exec(p, sql) == 0);
    CHECK(bex_store_reenrol(st, "other@1 dlib-150 sha256:00", 512, fake_model, &calls, &r, err, sizeof err) ==
          BEX_ERR_MODEL);
    CHECK(strstr(err, "the network failed") != NULL);
    CHECK(sql_int(p, "SELECT count(*) FROM samples WHERE model = 'other@1 dlib-150 sha256:00'") == 0);
    CHECK(sql_int(p, "SELECT count(*) FROM audit WHERE action = 'reenrol'") == 2);
    bex_store_close(st);
    db_remove(p);
}


/* ---- a store opened with another model (bex_store_options.model) ---- */

#define DIM512 512
static void vec512(float *v, const float *base, double sigma) {
    double n = 0;
    for (int k = 0; k < DIM512; k++) {
        v[k] = (float)((base ? base[k] : 0) + (base ? sigma / sqrt((double)DIM512) : 1.0) * gauss());
        n += (double)v[k] * v[k];
    }
    for (int k = 0; k < DIM512; k++) v[k] = (float)(v[k] / sqrt(n));
}

/* A store opened with a 512-float model keeps and searches that model's templates, decides with
 * the model's own calibration file (refusing without one: never the built-in model's table),
 * and refuses templates of another length or model with a message; its gate galleries and log
 * lines carry the model and 512 floats. */
TEST(store_on_a_512_float_model) {
    char p[512], cal[600], err[512];
    db_new(p);
    bex_model m;
    memset(&m, 0, sizeof m);
    snprintf(m.name, sizeof m.name, "vendor-x-r100");
    snprintf(m.version, sizeof m.version, "2.1");
    m.embedding = DIM512;
    m.alignment = BEX_MODEL_ALIGN_ARCFACE112;
    snprintf(m.identity, sizeof m.identity, "vendor-x-r100@2.1 arcface-112 sha256:0123456789abcdef0123456789abcdef");
    side_file(cal, sizeof cal, p, ".calibration.json");
    snprintf(m.calibration, sizeof m.calibration, "%s", cal);
    unlink(cal);
    bex_store_options o;
    bex_store_options_default(&o);
    o.actor = "test";
    o.model = &m;
    bex_store *st = NULL;
    CHECK(bex_store_open(p, &o, &st, err, sizeof err) == BEX_OK);
    if (!st) return;
    CHECK(!strcmp(bex_store_model(st), m.identity) && bex_store_dim(st) == DIM512);
    float a0[DIM512], a1[DIM512], a2[DIM512], b1[DIM512];
    vec512(a0, NULL, 0);
    vec512(a1, a0, 0.12);
    vec512(a2, a0, 0.12);
    vec512(b1, NULL, 0);
    bex_mrz da = passport("X51200001", "TESTA", "ANNA", "1980-01-31", "2031-05-01");
    bex_entry_request rq;
    bex_entry_result r;
    entry_init(&rq, &da, a1, a2, "2026-06-01T10:00:00Z", "2026-08-30");
    rq.model = m.identity;
    rq.dim = DIM512;
    /* no calibration for the model: refused, naming the command that makes one */
    CHECK(bex_border_entry(st, &rq, &r, err, sizeof err) == BEX_ERR_UNSUPPORTED);
    CHECK(strstr(err, "has no calibration") && strstr(err, "docs/models.md"));
    CHECK(sql_int(p, "SELECT count(*) FROM encounters") == 0);
    bex_calibration_row rows[5];
    for (int i = 0; i < 5; i++)
        rows[i] = (bex_calibration_row){pow(10, -1 - i), 0.2f + 0.1f * (float)i, 10, 1.5 * pow(10, -1 - i), 0.01,
                                        pow(10, -1 - i)};
    CHECK(bex_calibration_save_model(&m, rows, 5, 100000000ULL, "synthetic", err, sizeof err) == BEX_OK);
    /* templates of the built-in model's length, or of another model: refused, nothing written */
    rq.dim = 0;
    CHECK(bex_border_entry(st, &rq, &r, err, sizeof err) == BEX_ERR_ARG && strstr(err, "128 floats"));
    rq.dim = DIM512;
    rq.model = "face-api.js@1.7.15 resnet34-128 similarity";
    CHECK(bex_border_entry(st, &rq, &r, err, sizeof err) == BEX_ERR_ARG && strstr(err, "face-api.js@1.7.15"));
    CHECK(sql_int(p, "SELECT count(*) FROM encounters") == 0);
    rq.model = m.identity;
    int rc = bex_border_entry(st, &rq, &r, err, sizeof err);
    if (rc != BEX_OK) printf("  entry: %s\n", err);
    CHECK(rc == BEX_OK && r.outcome == BEX_OUTCOME_MATCHED && r.verify.match && r.n_flags == 0);
    CHECK(r.verify.score > 0.95f && fabsf(r.verify.threshold - 0.4f) < 1e-6f); /* the model's FMR 0.001 row */
    CHECK(sql_int(p, "SELECT count(*) FROM samples WHERE model = '%s' AND length(template) = 2048", m.identity) == 2);
    /* a second traveller, then exits: the 512-float index finds each */
    bex_mrz dbm = passport("X51200002", "TESTB", "BERTA", "1975-07-04", "2030-01-01");
    bex_entry_result rb;
    entry_init(&rq, &dbm, b1, NULL, "2026-06-01T10:05:00Z", "2026-08-30");
    rq.model = m.identity;
    rq.dim = DIM512;
    CHECK(bex_border_entry(st, &rq, &rb, err, sizeof err) == BEX_OK && rb.identify.gallery_size == 1);
    float a3[DIM512];
    vec512(a3, a0, 0.12);
    bex_exit_request xq;
    bex_exit_result x;
    exit_init(&xq, a3, "2026-06-20T08:00:00Z", NULL);
    xq.model = m.identity;
    xq.dim = DIM512;
    rc = bex_border_exit(st, &xq, &x, err, sizeof err);
    if (rc != BEX_OK) printf("  exit: %s\n", err);
    CHECK(rc == BEX_OK && x.outcome == BEX_OUTCOME_MATCHED && x.subject == r.subject && x.admission == r.admission);
    xq.dim = BEX_TEMPLATE_DIM; /* a 128-float template */
    CHECK(bex_border_exit(st, &xq, &x, err, sizeof err) == BEX_ERR_ARG && strstr(err, "makes 512"));
    bex_index_hit hits[5];
    size_t n = 0;
    bex_match mm;
    CHECK(bex_border_identify(st, b1, hits, &n, &mm, err, sizeof err) == BEX_OK);
    CHECK(n == 2 && hits[0].subject_id == rb.subject && fabsf(hits[0].score - 1.0f) < 1e-5f && mm.match);
    CHECK(bex_store_template_check(st, m.identity, BEX_TEMPLATE_DIM, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_store_template_check(st, m.identity, DIM512, err, sizeof err) == BEX_OK);
    /* a gate's gallery of the 512-float model (BEXGALP3: the model recorded), its decision, and
     * its log line ("v":3: the model named, 512 floats sealed) synced as an exit */
    {
        char t1[400], json[1000], k5[600];
        traveller_json(t1, sizeof t1, &da, NULL);
        manifest_json(json, sizeof json, "ZZ512-2026-11-27", t1);
        bex_manifest man;
        bex_manifest_result mr;
        CHECK(parse_manifest(json, &man, err, sizeof err) == BEX_OK);
        CHECK(bex_border_load_manifest(st, &man, NULL, NULL, &mr, err, sizeof err) == BEX_OK);
        bex_manifest_free(&man);
        side_file(k5, sizeof k5, p, ".g5.key");
        bex_gate_device dv;
        bex_gate_keys g5;
        CHECK(bex_border_gate_register(st, "G5", PORT, k5, &dv, err, sizeof err) == BEX_OK);
        CHECK(bex_gate_keys_load(k5, &g5, err, sizeof err) == BEX_OK);
        unsigned char *file = NULL;
        size_t len = 0;
        bex_gallery_header h, gi;
        rc = bex_border_gallery_seal(st, "ZZ512-2026-11-27", "G5", &file, &len, &h, NULL, err, sizeof err);
        if (rc != BEX_OK) printf("  seal: %s\n", err);
        CHECK(rc == BEX_OK && h.plain_version == 3 && h.dim == DIM512 && !strcmp(h.model, m.identity));
        int64_t sched;
        bex_time_parse("2026-11-27T18:30:00Z", &sched);
        bex_index *ix = NULL;
        CHECK(file && bex_gate_gallery_open(file, len, &g5, "ZZ512-2026-11-27", sched, &ix, &gi, err, sizeof err) == BEX_OK);
        CHECK(ix && gi.plain_version == 3 && gi.dim == DIM512 && !strcmp(gi.model, m.identity) &&
              bex_index_dim(ix) == DIM512);
        CHECK(ix && bex_index_check_model(ix, m.identity, err, sizeof err) == BEX_OK);
        CHECK(ix && bex_index_check_model(ix, "face-api.js@1.7.15 resnet34-128 similarity", err, sizeof err) != BEX_OK);
        bex_gate_decision gd;
        CHECK(ix && bex_gate_decide_with(ix, &gi, a3, &gd, err, sizeof err) == BEX_OK && gd.match.match);
        bex_index_close(ix);
        free(file);
        bex_gate_record g, back;
        memset(&g, 0, sizeof g);
        g.seq = 1;
        snprintf(g.at, sizeof g.at, "2026-11-27T17:00:00Z");
        snprintf(g.departure, sizeof g.departure, "ZZ512-2026-11-27");
        snprintf(g.port, sizeof g.port, PORT);
        memcpy(g.template_, a3, sizeof a3);
        g.dim = DIM512;
        snprintf(g.model, sizeof g.model, "%s", m.identity);
        CHECK(bex_gate_log_sign(&g, &g5, err, sizeof err) == BEX_OK);
        char line[BEX_GATE_LINE_MAX];
        size_t nl = bex_gate_log_line(&g, line);
        CHECK(nl > 4000 && line[nl - 1] == '\n' && strstr(line, "{\"v\":3,") && strstr(line, m.identity));
        if (nl) line[nl - 1] = 0;
        CHECK(bex_gate_log_parse(line, &back, err, sizeof err) == BEX_OK && back.dim == DIM512 &&
              !strcmp(back.model, m.identity));
        bex_sync_result sr;
        CHECK(sync_one(st, line, &sr) == BEX_SYNC_RECORDED && sr.exit.subject == r.subject);
        bex_gate_keys_wipe(&g5);
        unlink(k5);
    }
    bex_store_close(st);
    /* the same file opened with the built-in model: it sees none of those templates */
    st = store_open(p);
    if (st) {
        CHECK(bex_store_dim(st) == BEX_TEMPLATE_DIM);
        float v[DIM];
        person c = person_new();
        capture(&c, v);
        CHECK(bex_border_identify(st, v, hits, &n, &mm, err, sizeof err) == BEX_OK && n == 0);
        bex_store_close(st);
    }
    unlink(cal);
    db_remove(p);
}

/* the console's sessions in the store (014): by the token's hash, a key's share and the total
 * bounded, idle and absolute expiry, sign-out, a key's sessions ended together */
/* ---- fingerprints (issue 17) ---- */

/* a synthetic print: n minutiae over a 300 x 360 area of a 512 x 512 image, 10 px apart */
static void finger_print(bex_finger_template *t, int position, int n) {
    memset(t, 0, sizeof *t);
    t->width = 512;
    t->height = 512;
    t->finger_position = (uint8_t)position;
    t->quality = 70;
    t->area_px = 300 * 360;
    int tries = 0;
    while (t->n < n && tries++ < 100000) {
        int x = 106 + (int)(rnd() * 300), y = 76 + (int)(rnd() * 360), ok = 1;
        for (int i = 0; i < t->n && ok; i++) {
            int dx = t->m[i].x - x, dy = t->m[i].y - y;
            if (dx * dx + dy * dy < 100) ok = 0;
        }
        if (!ok) continue;
        bex_minutia *m = &t->m[t->n++];
        m->x = (uint16_t)x;
        m->y = (uint16_t)y;
        m->angle = (uint8_t)(rnd() * 256);
        m->type = (uint8_t)(1 + (rnd() < 0.5));
        m->quality = 60;
    }
}

/* another impression of the same finger: moved a little, a pixel or two of noise, a few lost */
static void finger_again(const bex_finger_template *a, bex_finger_template *b) {
    memset(b, 0, sizeof *b);
    *b = *a;
    b->n = 0;
    int tx = (int)(rnd() * 9) - 4, ty = (int)(rnd() * 9) - 4;
    for (int i = 0; i < a->n; i++) {
        if (rnd() < 0.1) continue;
        bex_minutia m = a->m[i];
        m.x = (uint16_t)(m.x + tx + (int)(rnd() * 3) - 1);
        m.y = (uint16_t)(m.y + ty + (int)(rnd() * 3) - 1);
        m.angle = (uint8_t)(m.angle + (int)(rnd() * 5) - 2);
        b->m[b->n++] = m;
    }
}

static long long finger_rows(const char *p, const char *where, int64_t id) {
    return sql_int(p, "SELECT count(*) FROM finger_samples WHERE %s = %lld", where, (long long)id);
}

TEST(finger_blob_round_trip) {
    bex_finger_template t, u;
    finger_print(&t, 7, 45);
    t.problems = BEX_FINGER_TOO_DRY | BEX_FINGER_PARTIAL;
    uint8_t blob[BEX_FINGER_BLOB_MAX];
    size_t len = bex_finger_blob_write(&t, blob);
    CHECK(len == 20 + 7 * 45);
    char err[256];
    CHECK(bex_finger_blob_read(blob, len, &u, err, sizeof err) == BEX_OK);
    CHECK(u.n == t.n && u.width == t.width && u.finger_position == 7 && u.quality == t.quality &&
          u.problems == t.problems && u.area_px == t.area_px);
    CHECK(!memcmp(u.m, t.m, sizeof t.m[0] * (size_t)t.n));
    /* damaged blobs are refused, never read past */
    CHECK(bex_finger_blob_read(blob, len - 1, &u, err, sizeof err) == BEX_ERR_CORRUPT);
    CHECK(bex_finger_blob_read(blob, 10, &u, err, sizeof err) == BEX_ERR_CORRUPT);
    blob[0] = 'X';
    CHECK(bex_finger_blob_read(blob, len, &u, err, sizeof err) == BEX_ERR_CORRUPT && strstr(err, "BXF1"));
    blob[0] = 'B';
    blob[20] = 0xff; /* a minutia's x beyond the image */
    blob[21] = 0xff;
    CHECK(bex_finger_blob_read(blob, len, &u, err, sizeof err) == BEX_ERR_CORRUPT);
}

/* Fingers at entries (the EES policy: four right fingers from age 12, none from citizens),
 * exits settled by a finger when the face fails, an officer's look-up, and retention, purge,
 * erasure and merges treating finger samples as face samples. */
TEST(fingers_at_the_border) {
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    char err[512];
    CHECK(bex_border_set_retention(st, "images", 86400, err, sizeof err) == BEX_OK);
    person a = person_new(), b = person_new(), kid = person_new(), cit = person_new(), stranger = person_new();
    bex_mrz pa = passport("XF0000001", "TESTA", "ANNA", "1980-01-31", "2031-05-01");
    bex_mrz pb = passport("XF0000002", "TESTB", "BEN", "1981-02-28", "2031-05-01");
    bex_mrz pk = passport("XF0000003", "TESTK", "KIM", "2016-03-01", "2031-05-01");
    bex_finger_template a2, a3, a2x, a3x, b2, b2x, k2, s2, s3;
    finger_print(&a2, 2, 45);
    finger_print(&a3, 3, 45);
    finger_print(&b2, 2, 45);
    finger_print(&k2, 2, 45);
    finger_print(&s2, 2, 45);
    finger_print(&s3, 3, 45);
    finger_again(&a2, &a2x);
    finger_again(&a3, &a3x);
    finger_again(&b2, &b2x);
    static const unsigned char img[] = "not an image, kept as the face's would be";

    /* A: index and middle enrolled, ring and little declared missing: admitted */
    float live[DIM], photo[DIM];
    capture(&a, live);
    capture(&a, photo);
    bex_entry_request rq;
    entry_init(&rq, &pa, live, photo, "2026-05-01T10:00:00Z", "2026-06-01");
    bex_finger_capture fa[4] = {{2, &a2, img, sizeof img}, {3, &a3, NULL, 0}, {4, NULL, NULL, 0}, {5, NULL, NULL, 0}};
    rq.fingers = fa;
    rq.n_fingers = 4;
    rq.finger_capture = 1;
    bex_entry_result ea;
    CHECK(bex_border_entry(st, &rq, &ea, err, sizeof err) == BEX_OK);
    CHECK(ea.fingers_asked && ea.fingers.prints == BEX_PRINTS_TAKEN && ea.fingers.n_enrol == 2 &&
          ea.fingers.n_record == 2 && !ea.fingers.refer);
    CHECK(ea.decision == BEX_DECISION_ADMITTED && ea.admission > 0);
    CHECK(finger_rows(p, "subject_id", ea.subject) == 4);
    CHECK(sql_int(p, "SELECT count(*) FROM finger_samples WHERE subject_id = %lld AND status = 'missing'",
                  (long long)ea.subject) == 2);
    CHECK(sql_int(p, "SELECT count(*) FROM encounters WHERE id = %lld AND prints = 'taken'", (long long)ea.encounter) == 1);
    bex_finger_sample *fs = NULL;
    size_t nfs = 0;
    CHECK(bex_store_finger_samples(st, ea.subject, &fs, &nfs, err, sizeof err) == BEX_OK && nfs == 4);
    CHECK(nfs == 4 && fs[0].position == 2 && !strcmp(fs[0].status, "enrolled") && fs[0].has_image == 1);
    CHECK(nfs == 4 && fs[1].position == 3 && fs[1].has_image == 0 && !strcmp(fs[2].status, "missing"));
    bex_finger_template back;
    int found = 0;
    CHECK(nfs && bex_store_finger_template(st, fs[0].id, &back, &found, err, sizeof err) == BEX_OK && found &&
          back.n == a2.n && !memcmp(back.m, a2.m, sizeof a2.m[0] * (size_t)a2.n));
    CHECK(nfs > 2 && bex_store_finger_template(st, fs[2].id, &back, &found, err, sizeof err) == BEX_OK && !found);
    /* the console's view of a kept finger image (GET /v1/finger/image): the bytes as captured,
     * none for a finger kept without one, an unknown sample refused; each read audited */
    uint8_t *fimg = NULL;
    size_t flen = 0;
    CHECK(nfs && bex_store_finger_image(st, fs[0].id, &fimg, &flen, err, sizeof err) == BEX_OK && fimg &&
          flen == sizeof img && !memcmp(fimg, img, flen));
    free(fimg);
    fimg = (uint8_t *)1;
    CHECK(nfs > 1 && bex_store_finger_image(st, fs[1].id, &fimg, &flen, err, sizeof err) == BEX_OK && !fimg && !flen);
    CHECK(bex_store_finger_image(st, 99999, &fimg, &flen, err, sizeof err) == BEX_ERR_ARG && !fimg);
    CHECK(bex_store_finger_image(st, 0, &fimg, &flen, err, sizeof err) == BEX_ERR_ARG && !fimg);
    CHECK(sql_int(p, "SELECT count(*) FROM audit WHERE action = 'read_finger_image' AND detail = 'finger image'") == 1);
    CHECK(sql_int(p, "SELECT count(*) FROM audit WHERE action = 'read_finger_image' AND detail = 'not retained'") == 1);
    free(fs);

    /* B: only the index given, nothing declared: referred, the index kept */
    capture(&b, live);
    capture(&b, photo);
    entry_init(&rq, &pb, live, photo, "2026-05-01T10:05:00Z", "2026-06-01");
    bex_finger_capture fb[1] = {{2, &b2, NULL, 0}};
    rq.fingers = fb;
    rq.n_fingers = 1;
    bex_entry_result eb;
    CHECK(bex_border_entry(st, &rq, &eb, err, sizeof err) == BEX_OK);
    CHECK(eb.fingers.refer && eb.decision == BEX_DECISION_REFERRED && eb.admission == 0);
    const bex_flag *fi = find_flag(eb.flags, eb.n_flags, "fingerprints_incomplete");
    CHECK(fi && fi->n_subjects == 1 && fi->subjects[0] == eb.subject && strstr(fi->detail, "3 not given"));
    CHECK(finger_rows(p, "subject_id", eb.subject) == 1);
    int64_t badm = 0;
    CHECK(bex_border_decide_entry(st, eb.encounter, BEX_DECISION_ADMITTED, &badm, err, sizeof err) == BEX_OK && badm);

    /* a child of ten: prints not taken, nothing kept */
    capture(&kid, live);
    capture(&kid, photo);
    entry_init(&rq, &pk, live, photo, "2026-05-01T10:10:00Z", "2026-06-01");
    bex_finger_capture fk[1] = {{2, &k2, NULL, 0}};
    rq.fingers = fk;
    rq.n_fingers = 1;
    bex_entry_result ek;
    CHECK(bex_border_entry(st, &rq, &ek, err, sizeof err) == BEX_OK);
    CHECK(ek.fingers.prints == BEX_PRINTS_UNDER_AGE && ek.decision == BEX_DECISION_ADMITTED);
    CHECK(finger_rows(p, "subject_id", ek.subject) == 0);
    CHECK(sql_int(p, "SELECT count(*) FROM encounters WHERE id = %lld AND prints = 'under_age'", (long long)ek.encounter) == 1);

    /* a citizen: prints not taken */
    bex_mrz pc = passport_of("USA", "XF0000004", "TESTC", "CORA", "1970-01-01");
    capture(&cit, live);
    capture(&cit, photo);
    entry_init(&rq, &pc, live, photo, "2026-05-01T10:15:00Z", NULL);
    rq.admission_class = NULL;
    rq.fingers = fk;
    rq.n_fingers = 1;
    bex_entry_result ec;
    CHECK(bex_border_entry(st, &rq, &ec, err, sizeof err) == BEX_OK);
    CHECK(ec.citizen && ec.fingers.prints == BEX_PRINTS_CITIZEN && finger_rows(p, "subject_id", ec.subject) == 0);

    /* bad fingers are refused before anything is recorded */
    long long encounters = sql_int(p, "SELECT count(*) FROM encounters");
    bex_finger_capture bad[2] = {{2, &b2, NULL, 0}, {2, &b2, NULL, 0}};
    entry_init(&rq, &pb, live, photo, "2026-05-01T10:20:00Z", "2026-06-01");
    rq.fingers = bad;
    rq.n_fingers = 2;
    bex_entry_result ebad;
    CHECK(bex_border_entry(st, &rq, &ebad, err, sizeof err) == BEX_ERR_ARG && strstr(err, "twice"));
    bad[1].position = 11;
    CHECK(bex_border_entry(st, &rq, &ebad, err, sizeof err) == BEX_ERR_ARG && strstr(err, "11"));
    CHECK(sql_int(p, "SELECT count(*) FROM encounters") == encounters);

    /* A leaves with no usable photo: the fingers settle it */
    bex_exit_request xr;
    exit_init(&xr, NULL, "2026-05-20T09:00:00Z", NULL);
    xr.live_failure = "no_face";
    bex_finger_capture xa[2] = {{2, &a2x, NULL, 0}, {3, &a3x, NULL, 0}};
    xr.fingers = xa;
    xr.n_fingers = 2;
    bex_exit_result x;
    CHECK(bex_border_exit(st, &xr, &x, err, sizeof err) == BEX_OK);
    if (x.outcome != BEX_OUTCOME_MATCHED)
        printf("  finger exit: subject %lld, fused %g, target %g, n %d, scores %.3f %.3f\n", (long long)x.finger.subject,
               x.finger.fusion.fused_fmr, x.finger.fusion.target, x.finger.n, x.finger.scores[0], x.finger.scores[1]);
    CHECK(x.finger.compared && x.finger.gallery == BEX_GALLERY_ALL && x.finger.gallery_size == 2);
    CHECK(x.outcome == BEX_OUTCOME_MATCHED && x.subject == ea.subject && x.admission == ea.admission);
    CHECK(x.finger.fusion.match && x.finger.n == 2 && !find_flag(x.flags, x.n_flags, "no_photo"));
    CHECK(sql_int(p, "SELECT count(*) FROM encounters WHERE id = %lld AND finger_fmr IS NOT NULL",
                  (long long)x.encounter) == 1);
    CHECK(sql_int(p, "SELECT count(*) FROM finger_samples WHERE encounter_id = %lld AND subject_id = %lld AND "
                  "source = 'exit'", (long long)x.encounter, (long long)ea.subject) == 2);

    /* a stranger's fingers and a stranger's face: no match, the capture kept unlinked for review */
    capture(&stranger, live);
    exit_init(&xr, live, "2026-05-20T10:00:00Z", NULL);
    bex_finger_capture xs[2] = {{2, &s2, NULL, 0}, {3, &s3, NULL, 0}};
    xr.fingers = xs;
    xr.n_fingers = 2;
    CHECK(bex_border_exit(st, &xr, &x, err, sizeof err) == BEX_OK);
    CHECK(x.finger.compared && !x.finger.fusion.match && x.outcome == BEX_OUTCOME_NOT_MATCHED && x.subject == 0);
    const bex_flag *nm = find_flag(x.flags, x.n_flags, "not_matched");
    CHECK(nm != NULL);
    int64_t nm_id = nm ? nm->id : 0;
    int64_t unmatched_enc = x.encounter;
    CHECK(sql_int(p, "SELECT count(*) FROM finger_samples WHERE encounter_id = %lld AND subject_id IS NULL",
                  (long long)unmatched_enc) == 2);

    /* B leaves with another person's face: B's finger settles it */
    capture(&stranger, live);
    exit_init(&xr, live, "2026-05-21T10:00:00Z", NULL);
    bex_finger_capture xb[1] = {{2, &b2x, NULL, 0}};
    xr.fingers = xb;
    xr.n_fingers = 1;
    CHECK(bex_border_exit(st, &xr, &x, err, sizeof err) == BEX_OK);
    if (x.outcome != BEX_OUTCOME_MATCHED)
        printf("  one-finger exit: subject %lld, fused %g, target %g\n", (long long)x.finger.subject,
               x.finger.fusion.fused_fmr, x.finger.fusion.target);
    CHECK(x.outcome == BEX_OUTCOME_MATCHED && x.subject == eb.subject && x.admission == badm);

    /* a face that matches needs no finger: not compared */
    CHECK(enter_person(st, &a, &pa, 1, "2026-05-25T10:00:00Z", "2026-06-20", &ea) == BEX_OK);
    capture(&a, live);
    exit_init(&xr, live, "2026-05-26T10:00:00Z", NULL);
    xr.fingers = xs; /* even a stranger's fingers: never looked at */
    xr.n_fingers = 2;
    CHECK(bex_border_exit(st, &xr, &x, err, sizeof err) == BEX_OK);
    CHECK(x.outcome == BEX_OUTCOME_MATCHED && x.subject == ea.subject && !x.finger.compared);

    /* a carrier's exit never carries prints */
    exit_init(&xr, live, NULL, "NO-SUCH-DEPARTURE");
    xr.carrier = "BX";
    xr.fingers = xa;
    xr.n_fingers = 2;
    CHECK(bex_border_exit(st, &xr, &x, err, sizeof err) == BEX_ERR_ARG && strstr(err, "fingerprints"));

    /* an officer's look-up: 1:1 with the document's holder, 1:N without a document */
    bex_finger_decision d;
    CHECK(bex_border_finger_lookup(st, ea.subject, xa, 2, NAN, PORT, &d, err, sizeof err) == BEX_OK);
    CHECK(d.gallery == BEX_GALLERY_HOLDER && d.subject == ea.subject && d.fusion.match);
    CHECK(bex_border_finger_lookup(st, eb.subject, xa, 2, NAN, PORT, &d, err, sizeof err) == BEX_OK);
    CHECK(d.subject == eb.subject && !d.fusion.match);
    CHECK(bex_border_finger_lookup(st, 0, xa, 2, NAN, NULL, &d, err, sizeof err) == BEX_OK);
    CHECK(d.gallery == BEX_GALLERY_ALL && d.subject == ea.subject && d.fusion.match);
    CHECK(bex_border_finger_lookup(st, 99999, xa, 2, NAN, NULL, &d, err, sizeof err) == BEX_ERR_ARG);
    CHECK(sql_int(p, "SELECT count(*) FROM audit WHERE action = 'finger_lookup'") == 3);

    /* retention: the unmatched exit's fingers are kept while its flag is open, then go at the
     * unmatched captures' period; images at the images' period */
    bex_purge_result pr;
    CHECK(bex_border_purge(st, "2026-05-21T12:00:00Z", &pr, err, sizeof err) == BEX_OK);
    CHECK(finger_rows(p, "encounter_id", unmatched_enc) == 2);
    CHECK(pr.finger_images == 1); /* A's index image, a day old */
    CHECK(sql_int(p, "SELECT count(*) FROM finger_samples WHERE image IS NOT NULL") == 0);
    CHECK(nm_id && bex_border_flag_status(st, nm_id, BEX_FLAG_CLEARED, err, sizeof err) == BEX_OK);
    CHECK(bex_border_purge(st, "2026-05-21T12:00:00Z", &pr, err, sizeof err) == BEX_OK);
    CHECK(pr.finger_samples == 2 && finger_rows(p, "encounter_id", unmatched_enc) == 0);

    /* a merge carries finger samples, an unmerge puts them back */
    long long b_fingers = finger_rows(p, "subject_id", eb.subject);
    CHECK(b_fingers == 2); /* the entry's index and the exit's */
    int64_t mg = 0;
    CHECK(bex_border_merge(st, ek.subject, eb.subject, &mg, err, sizeof err) == BEX_OK);
    CHECK(finger_rows(p, "subject_id", eb.subject) == 0 && finger_rows(p, "subject_id", ek.subject) == b_fingers);
    CHECK(bex_border_unmerge(st, mg, err, sizeof err) == BEX_OK);
    CHECK(finger_rows(p, "subject_id", eb.subject) == b_fingers && finger_rows(p, "subject_id", ek.subject) == 0);

    /* an officer's view of the record: each finger's position and status, never a template */
    char *js = NULL;
    CHECK(bex_store_subject_json(st, ea.subject, &js, err, sizeof err) == BEX_OK && js);
    CHECK(js && strstr(js, "\"finger_samples\":[{") && strstr(js, "\"status\":\"missing\"") &&
          strstr(js, "\"prints\":\"taken\"") && !strstr(js, "template") && !strstr(js, "BXF1"));
    free(js);

    /* erasure: the fingers go with the faces */
    long long faces = sql_int(p, "SELECT count(*) FROM samples WHERE subject_id = %lld", (long long)ea.subject);
    long long fingers = finger_rows(p, "subject_id", ea.subject);
    CHECK(fingers == 6);
    long long erased = 0;
    CHECK(bex_border_erase_biometrics(st, ea.subject, &erased, err, sizeof err) == BEX_OK);
    CHECK(erased == faces + fingers && finger_rows(p, "subject_id", ea.subject) == 0);
    exit_init(&xr, NULL, "2026-05-27T09:00:00Z", NULL);
    xr.fingers = xa;
    xr.n_fingers = 2;
    CHECK(bex_border_exit(st, &xr, &x, err, sizeof err) == BEX_OK && x.subject != ea.subject);

    /* an officer who finds who an unmatched exit was links its fingers with its face */
    exit_init(&xr, NULL, "2026-05-28T09:00:00Z", NULL);
    bex_finger_capture xo[1] = {{3, &s3, NULL, 0}};
    xr.fingers = xo;
    xr.n_fingers = 1;
    CHECK(bex_border_exit(st, &xr, &x, err, sizeof err) == BEX_OK && x.subject == 0 && x.finger.compared);
    CHECK(finger_rows(p, "encounter_id", x.encounter) == 1);
    int64_t oadm = 0;
    CHECK(bex_border_override_exit(st, x.encounter, ea.subject, &oadm, err, sizeof err) == BEX_OK);
    CHECK(sql_int(p, "SELECT count(*) FROM finger_samples WHERE encounter_id = %lld AND subject_id = %lld",
                  (long long)x.encounter, (long long)ea.subject) == 1);

    /* reclassified as a citizen: B's fingers fall under the citizens' period */
    CHECK(bex_border_reclassify_citizen(st, eb.subject, err, sizeof err) == BEX_OK);
    CHECK(sql_int(p, "SELECT count(*) FROM finger_samples WHERE subject_id = %lld AND citizen = 0",
                  (long long)eb.subject) == 0);
    CHECK(bex_border_purge(st, "2026-06-30T00:00:00Z", &pr, err, sizeof err) == BEX_OK);
    CHECK(finger_rows(p, "subject_id", eb.subject) == 0 && pr.finger_samples >= 2);

    /* the audit names no finger data: positions and counts only */
    CHECK(sql_int(p, "SELECT count(*) FROM audit WHERE detail LIKE '%%prints taken%%'") >= 2);
    CHECK(audit_ok(st));
    bex_store_close(st);
    db_remove(p);
}

/* The store's 1:N finger galleries follow the store: a finger enrolled through another handle
 * (another service node) is found, an erased one is not, a citizen's never is. */
/* Fingers from another agency's record (bex nist import's Type-14s), outside any crossing: the
 * entry's rules (the policy's positions, unusable recorded, others not kept, no child's, no
 * citizen's), the document's subject found or made, a re-import adding nothing, audited. */
TEST(fingers_enrolled_outside_a_crossing) {
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    char err[512];
    CHECK(bex_border_set_retention(st, "images", 86400, err, sizeof err) == BEX_OK);
    bex_mrz pa = passport("XH0000001", "TESTA", "ANNA", "1980-01-31", "2031-05-01");
    bex_mrz pk = passport("XH0000002", "TESTK", "KIM", "2018-03-01", "2031-05-01");
    bex_mrz pu = passport_of("USA", "500000009", "TESTU", "UMA", "1980-01-31");
    bex_finger_template a2, a3, a7, a2x, bad;
    finger_print(&a2, 2, 45);
    finger_print(&a7, 7, 45);
    finger_print(&bad, 3, 5); /* too few minutiae: fails to enrol */
    finger_print(&a3, 3, 45);
    finger_again(&a2, &a2x);
    static const unsigned char img[] = "the finger's image, kept as an entry's";
    bex_finger_capture c[3] = {{2, &a2, img, sizeof img}, {3, &bad, NULL, 0}, {7, &a7, NULL, 0}};
    bex_finger_enrol_result r;
    CHECK(bex_border_enrol_fingers(st, &pa, c, 3, NULL, "2026-05-01T10:00:00Z", &r, err, sizeof err) == BEX_OK);
    CHECK(r.plan.prints == BEX_PRINTS_TAKEN && r.plan.n_enrol == 1 && r.plan.enrol[0] == 2 && r.plan.n_record == 1 &&
          r.plan.record[0] == 3 && r.plan.record_state[0] == BEX_FINGER_UNUSABLE && r.plan.ignored == 1);
    CHECK(r.added == 2 && r.subject > 0 && r.document > 0);
    CHECK(finger_rows(p, "subject_id", r.subject) == 2);
    CHECK(sql_int(p, "SELECT count(*) FROM finger_samples WHERE subject_id = %lld AND position = 2 AND status = "
                     "'enrolled' AND source = 'officer' AND encounter_id IS NULL AND image IS NOT NULL",
                  (long long)r.subject) == 1);
    CHECK(sql_int(p, "SELECT count(*) FROM finger_samples WHERE subject_id = %lld AND position = 3 AND status = "
                     "'unusable' AND template IS NULL", (long long)r.subject) == 1);
    CHECK(sql_int(p, "SELECT count(*) FROM audit WHERE action = 'enrol_fingers' AND object = 'subject %lld document "
                     "%lld'", (long long)r.subject, (long long)r.document) == 1);
    /* found 1:N by another impression */
    bex_finger_capture probe = {2, &a2x, NULL, 0};
    bex_finger_decision d;
    CHECK(bex_border_finger_lookup(st, 0, &probe, 1, NAN, NULL, &d, err, sizeof err) == BEX_OK);
    CHECK(d.subject == r.subject && d.fusion.match);
    /* again: nothing added (the failed finger is not recorded twice); then a usable one at 3 is */
    int64_t subject = r.subject;
    CHECK(bex_border_enrol_fingers(st, &pa, c, 3, NULL, "2026-05-02T10:00:00Z", &r, err, sizeof err) == BEX_OK);
    CHECK(r.added == 0 && r.subject == subject && r.already[2] == 1 && r.already[3] == 2);
    CHECK(finger_rows(p, "subject_id", subject) == 2);
    bex_finger_capture c3 = {3, &a3, NULL, 0};
    CHECK(bex_border_enrol_fingers(st, &pa, &c3, 1, NULL, "2026-05-03T10:00:00Z", &r, err, sizeof err) == BEX_OK);
    CHECK(r.added == 1 && r.subject == subject && finger_rows(p, "subject_id", subject) == 3);
    /* a child under 12 and a citizen give none: nothing written, no subject made */
    long long subjects = sql_int(p, "SELECT count(*) FROM subjects");
    CHECK(bex_border_enrol_fingers(st, &pk, c, 3, NULL, "2026-05-01T10:00:00Z", &r, err, sizeof err) == BEX_OK);
    CHECK(r.plan.prints == BEX_PRINTS_UNDER_AGE && r.added == 0 && r.subject == 0);
    CHECK(bex_border_enrol_fingers(st, &pu, c, 3, NULL, "2026-05-01T10:00:00Z", &r, err, sizeof err) == BEX_OK);
    CHECK(r.plan.prints == BEX_PRINTS_CITIZEN && r.added == 0 && r.subject == 0);
    CHECK(sql_int(p, "SELECT count(*) FROM subjects") == subjects);
    /* a position given twice, or out of range: refused with a message */
    bex_finger_capture twice[2] = {{2, &a2, NULL, 0}, {2, &a2x, NULL, 0}}, eleven = {11, &a2, NULL, 0};
    CHECK(bex_border_enrol_fingers(st, &pa, twice, 2, NULL, NULL, &r, err, sizeof err) == BEX_ERR_ARG &&
          strstr(err, "twice"));
    CHECK(bex_border_enrol_fingers(st, &pa, &eleven, 1, NULL, NULL, &r, err, sizeof err) == BEX_ERR_ARG);
    bex_store_close(st);
    db_remove(p);
}

TEST(finger_gallery_follows_the_store) {
    char p[512];
    bex_store *st = fresh_store(p);
    if (!st) return;
    bex_store *other = store_open(p);
    if (!other) {
        bex_store_close(st);
        db_remove(p);
        return;
    }
    char err[512];
    person pp = person_new(), q = person_new();
    bex_mrz mp = passport("XG0000001", "TESTP", "PIA", "1980-01-31", "2031-05-01");
    bex_mrz mq = passport("XG0000002", "TESTQ", "QUIN", "1981-01-31", "2031-05-01");
    bex_finger_template f2, f3, g2, g3, f2x, f3x, g2x, g3x;
    finger_print(&f2, 2, 45);
    finger_print(&f3, 3, 45);
    finger_print(&g2, 2, 45);
    finger_print(&g3, 3, 45);
    finger_again(&f2, &f2x);
    finger_again(&f3, &f3x);
    finger_again(&g2, &g2x);
    finger_again(&g3, &g3x);
    float live[DIM], photo[DIM];
    bex_entry_request rq;
    bex_entry_result ep, eq;
    capture(&pp, live);
    capture(&pp, photo);
    entry_init(&rq, &mp, live, photo, "2026-05-01T10:00:00Z", "2026-06-01");
    bex_finger_capture fp[4] = {{2, &f2, NULL, 0}, {3, &f3, NULL, 0}, {4, NULL, NULL, 0}, {5, NULL, NULL, 0}};
    rq.fingers = fp;
    rq.n_fingers = 4;
    CHECK(bex_border_entry(st, &rq, &ep, err, sizeof err) == BEX_OK);
    bex_finger_capture probe_p[2] = {{2, &f2x, NULL, 0}, {3, &f3x, NULL, 0}};
    bex_finger_capture probe_q[2] = {{2, &g2x, NULL, 0}, {3, &g3x, NULL, 0}};
    bex_finger_decision d;
    CHECK(bex_border_finger_lookup(st, 0, probe_p, 2, NAN, NULL, &d, err, sizeof err) == BEX_OK);
    CHECK(d.subject == ep.subject && d.fusion.match && d.gallery_size == 1);
    /* Q enrolled on the other node: st's galleries, made already, grow to find Q */
    capture(&q, live);
    capture(&q, photo);
    entry_init(&rq, &mq, live, photo, "2026-05-01T11:00:00Z", "2026-06-01");
    bex_finger_capture fq[4] = {{2, &g2, NULL, 0}, {3, &g3, NULL, 0}, {4, NULL, NULL, 0}, {5, NULL, NULL, 0}};
    rq.fingers = fq;
    rq.n_fingers = 4;
    CHECK(bex_border_entry(other, &rq, &eq, err, sizeof err) == BEX_OK);
    CHECK(bex_border_finger_lookup(st, 0, probe_q, 2, NAN, NULL, &d, err, sizeof err) == BEX_OK);
    CHECK(d.subject == eq.subject && d.fusion.match && d.gallery_size == 2);
    /* P's biometrics erased on the other node: no longer a candidate here */
    long long n = 0;
    CHECK(bex_border_erase_biometrics(other, ep.subject, &n, err, sizeof err) == BEX_OK && n >= 2);
    CHECK(bex_border_finger_lookup(st, 0, probe_p, 2, NAN, NULL, &d, err, sizeof err) == BEX_OK);
    CHECK(d.subject != ep.subject && !d.fusion.match && d.gallery_size == 1);
    /* an officer's look-up by face and fingers: Q's face settles it alone; a stranger's face
     * settles nothing, and Q's fingers do, fused with whatever the face said */
    float qface[DIM];
    capture(&q, qface);
    bex_index_hit hits[5];
    size_t nh = 0;
    bex_match m;
    CHECK(bex_border_identify_fingers(st, NULL, qface, probe_q, 2, hits, &nh, &m, &d, err, sizeof err) == BEX_OK);
    CHECK(m.match && m.subject == eq.subject && !d.compared);
    person stranger = person_new();
    capture(&stranger, qface);
    CHECK(bex_border_identify_fingers(st, NULL, qface, probe_q, 2, hits, &nh, &m, &d, err, sizeof err) == BEX_OK);
    CHECK(!m.match && d.compared && d.subject == eq.subject && d.fusion.match);
    CHECK(bex_border_identify_fingers(st, NULL, qface, NULL, 0, hits, &nh, &m, &d, err, sizeof err) == BEX_OK);
    CHECK(!m.match && !d.compared);

    /* Q reclassified a citizen: never searched again */
    CHECK(bex_border_reclassify_citizen(other, eq.subject, err, sizeof err) == BEX_OK);
    CHECK(bex_border_finger_lookup(st, 0, probe_q, 2, NAN, NULL, &d, err, sizeof err) == BEX_OK);
    CHECK(d.subject == 0 && !d.fusion.match && d.gallery_size == 0);
    CHECK(audit_ok(st));
    bex_store_close(other);
    bex_store_close(st);
    db_remove(p);
}

TEST(console_sessions_kept_by_hash) {
    char p[512], err[512], key[65];
    bex_store *st = fresh_store(p);
    if (!st) return;
    int64_t k1 = 0, k2 = 0, kid = 0;
    long long created = 0;
    CHECK(bex_store_key_add(st, BEX_ROLE_OFFICER, NULL, "a", key, &k1, err, sizeof err) == BEX_OK);
    CHECK(bex_store_key_add(st, BEX_ROLE_ANALYST, NULL, "b", key, &k2, err, sizeof err) == BEX_OK);
    bex_session_limits l = {.max_s = 100, .idle_s = 10, .per_key = 2, .total = 3};
    unsigned char h[4][32];
    for (int i = 0; i < 4; i++) memset(h[i], 'a' + i, 32);
    int full = -1, found = -1;
    CHECK(bex_store_session_start(st, h[0], 32, k1, 1000, &l, &full, err, sizeof err) == BEX_OK && !full);
    CHECK(bex_store_session_touch(st, h[0], 32, 1005, &l, &found, &kid, &created, err, sizeof err) == BEX_OK &&
          found && kid == k1 && created == 1000);
    /* idle: 10 s after the touch at 1005, not after its start */
    CHECK(bex_store_session_touch(st, h[0], 32, 1014, &l, &found, &kid, &created, err, sizeof err) == BEX_OK && found);
    CHECK(bex_store_session_touch(st, h[0], 32, 1024, &l, &found, &kid, &created, err, sizeof err) == BEX_OK && !found);
    CHECK(bex_store_session_touch(st, h[3], 32, 1001, &l, &found, &kid, &created, err, sizeof err) == BEX_OK && !found);
    /* a key's third session ends its oldest; the total is 3 */
    CHECK(bex_store_session_start(st, h[1], 32, k1, 1030, &l, &full, err, sizeof err) == BEX_OK && !full);
    CHECK(bex_store_session_start(st, h[2], 32, k1, 1031, &l, &full, err, sizeof err) == BEX_OK && !full);
    CHECK(bex_store_session_start(st, h[3], 32, k1, 1032, &l, &full, err, sizeof err) == BEX_OK && !full);
    CHECK(bex_store_session_touch(st, h[1], 32, 1033, &l, &found, &kid, &created, err, sizeof err) == BEX_OK && !found);
    CHECK(bex_store_session_touch(st, h[2], 32, 1033, &l, &found, &kid, &created, err, sizeof err) == BEX_OK && found);
    unsigned char h5[32], h6[32];
    memset(h5, 'x', 32);
    memset(h6, 'y', 32);
    CHECK(bex_store_session_start(st, h5, 32, k2, 1034, &l, &full, err, sizeof err) == BEX_OK && !full);
    CHECK(bex_store_session_start(st, h6, 32, k2, 1035, &l, &full, err, sizeof err) == BEX_OK && full == 1);
    /* still live, touched 9 s ago */
    CHECK(bex_store_session_touch(st, h[2], 32, 1040, &l, &found, &kid, &created, err, sizeof err) == BEX_OK && found);
    /* sign-out, and a key's sessions ended together */
    CHECK(bex_store_session_end(st, h5, 32, 0, err, sizeof err) == BEX_OK);
    CHECK(bex_store_session_touch(st, h5, 32, 1036, &l, &found, &kid, &created, err, sizeof err) == BEX_OK && !found);
    CHECK(bex_store_session_end(st, NULL, 0, k1, err, sizeof err) == BEX_OK);
    CHECK(bex_store_session_touch(st, h[2], 32, 1041, &l, &found, &kid, &created, err, sizeof err) == BEX_OK && !found);
    /* absolute expiry at created + max_s, however recent the touch */
    l.idle_s = 1000;
    CHECK(bex_store_session_start(st, h6, 32, k2, 1100, &l, &full, err, sizeof err) == BEX_OK && !full);
    CHECK(bex_store_session_touch(st, h6, 32, 1199, &l, &found, &kid, &created, err, sizeof err) == BEX_OK && found);
    CHECK(bex_store_session_touch(st, h6, 32, 1200, &l, &found, &kid, &created, err, sizeof err) == BEX_OK && !found);
    CHECK(sql_int(p, "SELECT count(*) FROM console_sessions WHERE length(token_hash) = 32") >= 1);
    bex_store_close(st);
    db_remove(p);
}

int main(void) {
    const char *base = getenv("BEX_TEST_PG_URI_BASE");
    if (base && *base) {
        pg_base = base;
        printf("on PostgreSQL: a fresh database per test\n");
    }
    RUN(synthetic_templates);
    RUN(target_label_hides_password);
    RUN(opens_and_migrates);
    RUN(entry_enrols_and_exit_links);
    RUN(returning_traveller_linked);
    RUN(impostor);
    RUN(two_identities);
    RUN(calibration_on_own_data);
    RUN(decisions_at_the_applied_calibration);
    RUN(document_shared);
    RUN(document_problem);
    RUN(exit_not_matched_recorded);
    RUN(officer_override_and_flag_status);
    RUN(images_and_overstayer_retention);
    RUN(encounter_record_for_export);
    RUN(manifest_gallery);
    RUN(departure_belongs_to_its_first_carrier);
    RUN(manifest_mismatch_contributes_no_templates);
    RUN(carrier_exit_decided_on_its_manifest_only);
    RUN(gate_sealed_gallery_signed_log);
    RUN(overstays_us_and_eu);
    RUN(citizen_purged_within_12h);
    RUN(purge_keeps_flagged_capture);
    RUN(document_photo_kept_with_a_flagged_encounter);
    RUN(flag_candidates_scored_against_the_live_capture);
    RUN(audit_chain_detects_tampering);
    RUN(audit_chain_verified_across_pages);
    RUN(audit_hash_marks_field_ends);
    RUN(full_disk_loses_nothing);
    RUN(bad_requests);
    RUN(crash_mid_entry_leaves_nothing);
    RUN(impostor_referred_then_decided);
    RUN(second_entry_closes_open_admission);
    RUN(exit_rules_photo_direction_window);
    RUN(citizens_matched_with_the_document_alone_and_purged);
    RUN(reclassify_erase_merge_lookup);
    RUN(manifest_names_compared_as_names);
    RUN(finger_blob_round_trip);
    RUN(fingers_at_the_border);
    RUN(fingers_enrolled_outside_a_crossing);
    RUN(finger_gallery_follows_the_store);
    RUN(migrates_a_version_2_store);
    RUN(search_ignores_another_models_templates);
    RUN(search_scanned_ahead);
    RUN(reenrol_computes_new_templates_from_kept_images);
    RUN(store_on_a_512_float_model);
    RUN(console_sessions_kept_by_hash);
    return test_summary();
}
