/*
 * store_impl.h - what the record store's files share (src/store/ only): the handle, SQLite
 * helpers that turn its errors into bex statuses, transactions that keep the in-memory 1:N
 * index in step with what committed, times, and the audit log writer.
 */
#ifndef BEX_STORE_IMPL_H
#define BEX_STORE_IMPL_H

#include <sqlite3.h>
#include <stdint.h>
#include <time.h>

#include "bex/calibration.h"
#include "bex/store.h"

/* A template to add to (or, subject < 0, remove from) the index once the transaction commits. */
typedef struct st_pending {
    int64_t sample, subject;
    float vec[BEX_TEMPLATE_DIM];
} st_pending;

struct bex_store {
    sqlite3 *db;
    char actor[64];
    char model[64];
    bex_align align;
    double fmr, fpir;
    bex_index *ix;           /* every non-citizen face sample with a subject; NULL until needed */
    st_pending *pending;
    size_t n_pending, cap_pending;
    int drop_index;          /* 1: the commit changed too much: rebuild the index next time */
    int64_t index_version;   /* PRAGMA data_version when the index was last in step: another
                                process's commit changes it, and the index is rebuilt */
    bex_operating_point verify_op;
};

/* Runs SQL without results. On failure writes "what: reason" and returns the status. */
int st_exec(bex_store *st, const char *sql, const char *what, char *err, size_t errlen);
/* Prepares one statement; NULL on failure with the message written. */
sqlite3_stmt *st_prep(bex_store *st, const char *sql, char *err, size_t errlen);
/* The bex status for SQLite's last error, with "what: reason" written. */
int st_fail(bex_store *st, const char *what, char *err, size_t errlen);
/* sqlite3_step expecting SQLITE_DONE, then finalize. */
int st_step_done(bex_store *st, sqlite3_stmt *s, const char *what, char *err, size_t errlen);
/* Binds text or NULL. */
void st_bind_text(sqlite3_stmt *s, int i, const char *v);
/* One integer from a query with up to two integer or text parameters ("?1", "?2");
 * *out = dflt when there is no row. */
int st_query_int(bex_store *st, const char *sql, const char *p1, int64_t i2, int64_t dflt,
                 int64_t *out, char *err, size_t errlen);

/* BEGIN IMMEDIATE; COMMIT (then applies the pending index changes); ROLLBACK (drops them). */
int st_begin(bex_store *st, char *err, size_t errlen);
int st_commit(bex_store *st, char *err, size_t errlen);
void st_rollback(bex_store *st);
/* Ends the transaction: COMMIT when rc is BEX_OK (after the crash-test point `fault`, if
 * any: bex__fault_point), else ROLLBACK. Returns rc, or COMMIT's failure. */
int st_end(bex_store *st, int rc, const char *fault, char *err, size_t errlen);
/* Queues an index change for after the commit. */
int st_pending_add(bex_store *st, int64_t sample, int64_t subject, const float *vec);

/* The 1:N index of the store's samples, built on first use. */
int st_index(bex_store *st, bex_index **ix, char *err, size_t errlen);

/* Appends an audit entry inside the current transaction. */
int st_audit(bex_store *st, const char *action, const char *object, const char *detail,
             char *err, size_t errlen);

/* ISO 8601 ("YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS][Z|+hh:mm]") to seconds since the epoch; 0 on
 * success. st_time_format writes the canonical "YYYY-MM-DDTHH:MM:SSZ". */
int st_time_parse(const char *s, int64_t *t);
void st_time_format(int64_t t, char out[24]);
/* now, canonical */
void st_now(char out[24]);

/* The threshold and name for FPIR st->fpir at gallery size n; beyond the calibration's
 * evidence, the strictest calibrated FMR, named as such. */
void st_identify_op(bex_store *st, long long n, float *threshold, char *name, size_t namelen);

/* Writes a flag and its subject / document links; copies it into *out when not NULL. */
int st_flag(bex_store *st, const char *kind, int64_t encounter, const char *departure,
            const int64_t *subjects, int n_subjects, const int64_t *documents, int n_documents,
            const char *detail, bex_flag *out, char *err, size_t errlen);

#endif
