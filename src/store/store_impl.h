/*
 * store_impl.h - what the record store's files share (src/store/ only): the handle, SQLite
 * helpers that turn its errors into bex statuses, a cache of prepared statements, transactions
 * that keep the in-memory 1:N index in step with what committed, and the audit log writer.
 */
#ifndef BEX_STORE_IMPL_H
#define BEX_STORE_IMPL_H

#include <pthread.h>
#include <stdint.h>

#include "bex/calibration.h"
#include "bex/passive_auth.h"
#include "bex/store.h"
#include "bex/timestamp.h"
#include "store/db.h"
#include "store/records.h"

/* A template to add to (or, subject < 0, remove from) the index once the transaction commits. */
typedef struct st_pending {
    int64_t sample, subject;
    float vec[BEX_TEMPLATE_MAX_DIM]; /* st->dim floats */
} st_pending;

#define ST_CACHE 64

/* A calibration in force for the store's model (scope model or port), with its rows. */
typedef struct st_calib {
    bex_calibration c;
    bex_calibration_row *rows;
} st_calib;

/* SQL with SQLite's index hint ("FROM t INDEXED BY ix"), or without it on PostgreSQL, which has no
 * such clause (its planner has statistics); head ends with the table, tail follows the hint. Each
 * form is a string literal of its own (st_stmt caches statements by the literal). */
#define INDEXED_BY(st, head, ix, tail) ((st)->pg ? head " " tail : head " INDEXED BY " ix " " tail)

struct bex_store {
    db_conn *db;
    int pg;                  /* 1: PostgreSQL (db.h), 0: SQLite */
    char actor[64];
    char model[BEX_MODEL_ID_MAX]; /* the identity of the templates it matches (model.h) */
    int dim;                      /* floats in a template of that model */
    int builtin;                  /* 1: the built-in model (the shipped table is its fallback) */
    bex_model desc;               /* the model's description (builtin 0): its calibration file */
    bex_align align;
    double fmr, fpir;
    bex_index *ix;           /* every non-citizen face sample with a subject; NULL until needed */
    pthread_rwlock_t ix_lock; /* over ix and ix_gen only: bex_store_prescan reads them from
                                 another thread; st_set_index replaces them */
    uint64_t ix_gen;         /* counts replacements of ix (a prescan is of one) */
    int search_threads;      /* bex_store_options.search_threads */
    st_pending *pending;
    size_t n_pending, cap_pending;
    int drop_index;          /* 1: the commit changed too much: rebuild the index next time */
    int64_t index_version;   /* SQLite: PRAGMA data_version when the index was last in step: another
                                process's commit changes it, and the index is rebuilt.
                                PostgreSQL: the last change_log seq applied to the index */
    bex_operating_point verify_op; /* at fmr from the shipped table (the store's default) */
    st_calib *calibs;        /* the applied calibrations in force for `model` (model, port) */
    const bex_calibration **calib_list; /* &calibs[i].c, newest first: what the rule reads */
    size_t n_calibs;
    bex_calibration model_cal;    /* builtin 0: the model's own calibration file, read when
                                     first needed (again while it is missing) */
    bex_calibration_row *model_cal_rows; /* NULL: not read (yet) */
    int calib_loaded;        /* 0: read them at the next decision (an apply or a revert) */
    int64_t calib_version;   /* PRAGMA data_version when read: another process's commit
                                (an apply through the CLI) changes it, and they are read again */
    bex_trust_store *trust;  /* bex_store_trust_get's, built from the trust files in force */
    int64_t *trust_ids;      /* their ids, ascending, when it was built: the change check */
    size_t n_trust_ids;
    int audit_version;       /* the hash version new audit rows get: 2 from schema 6 on */
    struct bex_finger_gallery *fgal[11]; /* 1:N over the enrolled finger samples of each
                                            position (fingers.c), made on first use */
    int64_t fgal_max[11];    /* the highest finger sample id each has read (ids are never reused) */
    struct {                 /* prepared statements of static SQL, by the text's address */
        const char *sql;
        db_stmt *s;
    } cache[ST_CACHE];
    int n_cache;
};

/* Replaces the index (x may be NULL: rebuilt when next needed), closing the old one. */
void st_set_index(bex_store *st, bex_index *x);
/* The index scan of a prescan, when it is of the index in use now (else NULL). */
const bex_index_scan *st_prescan_of(const bex_store *st, const bex_store_scan *p);

/* bytes of one of the store's templates (its model's embedding) */
#define TEMPLATE_BYTES(st) ((st)->dim * (int)sizeof(float))

/* Runs SQL without results. On failure writes "what: reason" and returns the status. */
int st_exec(bex_store *st, const char *sql, const char *what, char *err, size_t errlen);
/* Prepares one statement; NULL on failure with the message written. Finalize it. */
db_stmt *st_prep(bex_store *st, const char *sql, char *err, size_t errlen);
/* A statement of static SQL (a string literal: cached by its address), reset and unbound;
 * hand it back with st_release, never finalize it. NULL on failure with the message. */
db_stmt *st_stmt(bex_store *st, const char *sql, char *err, size_t errlen);
/* Resets and unbinds a cached statement, finalizes any other. */
void st_release(bex_store *st, db_stmt *s);
/* The bex status for SQLite's last error, with "what: reason" written. */
int st_fail(bex_store *st, const char *what, char *err, size_t errlen);
/* db_step expecting DB_DONE, then st_release. */
int st_step_done(bex_store *st, db_stmt *s, const char *what, char *err, size_t errlen);
/* Binds text or NULL; an id or NULL for 0. */
void st_bind_text(db_stmt *s, int i, const char *v);
void st_bind_id(db_stmt *s, int i, int64_t v);
/* Copies a text column ("" for NULL). */
void st_col_text(db_stmt *s, int i, char *dst, size_t n);
/* Copies a blob column into *out (bex__malloc'd: free()), *len its bytes; NULL and 0 for a NULL
 * or empty blob. BEX_ERR_LIMIT ("WHAT is N bytes, over the MAX a capture may have") when max > 0
 * and it is longer; BEX_ERR_NOMEM. */
int st_col_blob_copy(db_stmt *s, int i, size_t max, const char *what, uint8_t **out, size_t *len, char *err,
                     size_t errlen);
/* One integer from a static query with up to two parameters: ?1 text, ?2 integer;
 * *out = dflt when there is no row or it is NULL. */
int st_query_int(bex_store *st, const char *sql, const char *p1, int64_t i2, int64_t dflt,
                 int64_t *out, char *err, size_t errlen);

/* BEGIN IMMEDIATE; ROLLBACK (drops the pending index changes). bex__end commits. */
int st_begin(bex_store *st, char *err, size_t errlen);
void st_rollback(bex_store *st);
/* Queues an index change for after the commit (subject < 0: remove the sample). */
int st_pending_add(bex_store *st, int64_t sample, int64_t subject, const float *vec);

/* The applied calibrations in force, read again when stale (calib.c); st_calibs_free drops them. */
int st_calibs_load(bex_store *st, char *err, size_t errlen);
void st_calibs_free(bex_store *st);

/* The 1:N index of the store's samples, built on first use. */
int st_index(bex_store *st, bex_index **ix, char *err, size_t errlen);

/* Frees the trust store built from the trust files (trust.c). */
void st_trust_free(bex_store *st);

/* ids as an array literal, "{1,2,3}", for `id = ANY(CAST(?N AS BIGINT[]))` on PostgreSQL (one
 * query for many rows); NULL when out of memory. bex__free it. */
char *st_id_array(const int64_t *ids, size_t n);

/* Records, inside the current transaction, a change other service nodes must follow (PostgreSQL's
 * change_log, 013_change_log.sql): what 'sample' (row: the sample), 'index' or 'calibration'.
 * Nothing on SQLite (PRAGMA data_version serves there). */
int st_log_change(bex_store *st, const char *what, int64_t row, char *err, size_t errlen);
/* What the in-memory state last read of `what` ('calibration') is compared with: SQLite's
 * PRAGMA data_version (another connection committed), PostgreSQL's newest change_log seq of it. */
int st_data_version(bex_store *st, const char *what, int64_t *v, char *err, size_t errlen);

/* Appends an audit entry inside the current transaction. */
int st_audit(bex_store *st, const char *action, const char *object, const char *detail,
             char *err, size_t errlen);

#endif
