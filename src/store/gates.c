/*
 * gates.c - offline gates as kept (records.h): registered devices with their public keys and
 * the last log sequence number synced from each, the lines synced (by hash), and the
 * service's own signing key pair. Nothing here decides or signs: src/border/gate.c does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/records.h"
#include "store/store_impl.h"
#include "util/util.h"

#define DEVICE_COLS "id, name, port, sign_public, box_public, last_seq, created_at, revoked_at"

static void device_row(db_stmt *s, bex_gate_device *d) {
    memset(d, 0, sizeof *d);
    d->id = db_column_int64(s, 0);
    st_col_text(s, 1, d->name, sizeof d->name);
    st_col_text(s, 2, d->port, sizeof d->port);
    if (db_column_bytes(s, 3) == 32) memcpy(d->sign_public, db_column_blob(s, 3), 32);
    if (db_column_bytes(s, 4) == 32) memcpy(d->box_public, db_column_blob(s, 4), 32);
    d->last_seq = db_column_int64(s, 5);
    st_col_text(s, 6, d->created_at, sizeof d->created_at);
    st_col_text(s, 7, d->revoked_at, sizeof d->revoked_at);
}

int bex__gate_insert(bex_store *st, const bex_gate_device *d, int64_t *id, char *err, size_t errlen) {
    db_stmt *s = st_stmt(st, "INSERT INTO gate_devices(name, port, sign_public, box_public, created_at) "
                                  "VALUES (?1, ?2, ?3, ?4, ?5)", err, errlen);
    if (!s) return BEX_ERR_IO;
    st_bind_text(s, 1, d->name);
    st_bind_text(s, 2, d->port[0] ? d->port : NULL);
    db_bind_blob(s, 3, d->sign_public, 32);
    db_bind_blob(s, 4, d->box_public, 32);
    st_bind_text(s, 5, d->created_at);
    int rc = st_step_done(st, s, "registering the gate", err, errlen);
    if (rc == BEX_OK) *id = db_last_insert_rowid(st->db);
    return rc;
}

int bex__gate_get(bex_store *st, const char *name, bex_gate_device *out, int *found, char *err, size_t errlen) {
    *found = 0;
    db_stmt *s = st_stmt(st, "SELECT " DEVICE_COLS " FROM gate_devices WHERE name = ?1", err, errlen);
    if (!s) return BEX_ERR_IO;
    st_bind_text(s, 1, name);
    int r = db_step(s);
    if (r == DB_ROW) {
        device_row(s, out);
        *found = 1;
    }
    int rc = r == DB_ROW || r == DB_DONE ? BEX_OK : st_fail(st, "reading a gate", err, errlen);
    st_release(st, s);
    return rc;
}

int bex__gate_list(bex_store *st, bex_gate_device **out, size_t *n, char *err, size_t errlen) {
    *out = NULL;
    *n = 0;
    db_stmt *s = st_stmt(st, "SELECT " DEVICE_COLS " FROM gate_devices ORDER BY id", err, errlen);
    if (!s) return BEX_ERR_IO;
    bex_gate_device *v = NULL;
    size_t cnt = 0, cap = 0;
    int r, rc = BEX_OK;
    while ((r = db_step(s)) == DB_ROW) {
        if (cnt == cap) {
            cap = cap ? cap * 2 : 16;
            bex_gate_device *nv = bex__realloc(v, cap * sizeof *nv);
            if (!nv) {
                rc = BEX_ERR_NOMEM;
                snprintf(err, errlen, "out of memory listing the gates");
                break;
            }
            v = nv;
        }
        device_row(s, &v[cnt++]);
    }
    if (rc == BEX_OK && r != DB_DONE) rc = st_fail(st, "listing the gates", err, errlen);
    st_release(st, s);
    if (rc != BEX_OK) {
        bex__free(v);
        return rc;
    }
    *out = v;
    *n = cnt;
    return BEX_OK;
}

int bex__gate_revoke(bex_store *st, const char *name, const char *at, int *changed, char *err, size_t errlen) {
    db_stmt *s = st_stmt(st, "UPDATE gate_devices SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL",
                              err, errlen);
    if (!s) return BEX_ERR_IO;
    st_bind_text(s, 1, name);
    st_bind_text(s, 2, at);
    int rc = st_step_done(st, s, "revoking the gate", err, errlen);
    *changed = rc == BEX_OK && db_changes(st->db) > 0;
    return rc;
}

int bex__gate_line_seen(bex_store *st, int64_t device, int64_t seq, unsigned char hash[32], int *found, char *err,
                        size_t errlen) {
    *found = 0;
    db_stmt *s = st_stmt(st, "SELECT line_hash FROM gate_log_lines WHERE device_id = ?1 AND seq = ?2", err,
                              errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_int64(s, 1, device);
    db_bind_int64(s, 2, seq);
    int r = db_step(s);
    if (r == DB_ROW && db_column_bytes(s, 0) == 32) {
        memcpy(hash, db_column_blob(s, 0), 32);
        *found = 1;
    }
    int rc = r == DB_ROW || r == DB_DONE ? BEX_OK : st_fail(st, "reading a synced line", err, errlen);
    st_release(st, s);
    return rc;
}

int bex__gate_line_accept(bex_store *st, int64_t device, int64_t seq, const unsigned char hash[32],
                          int64_t encounter, const char *at, char *err, size_t errlen) {
    db_stmt *s = st_stmt(st, "INSERT OR IGNORE INTO gate_log_lines(device_id, seq, line_hash, encounter_id, "
                                  "synced_at) VALUES (?1, ?2, ?3, ?4, ?5)", err, errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_int64(s, 1, device);
    db_bind_int64(s, 2, seq);
    db_bind_blob(s, 3, hash, 32);
    st_bind_id(s, 4, encounter);
    st_bind_text(s, 5, at);
    int rc = st_step_done(st, s, "remembering a synced line", err, errlen);
    if (rc != BEX_OK) return rc;
    s = st_stmt(st, "UPDATE gate_devices SET last_seq = CASE WHEN last_seq >= ?2 THEN last_seq ELSE ?2 END "
                    "WHERE id = ?1", err, errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_int64(s, 1, device);
    db_bind_int64(s, 2, seq);
    return st_step_done(st, s, "remembering a synced line", err, errlen);
}

int bex__service_key(bex_store *st, const bex__service_keys *fresh, const char *at, bex__service_keys *out,
                     char *err, size_t errlen) {
    db_stmt *s;
    int rc;
    if (fresh) {
        s = st_stmt(st, "INSERT OR IGNORE INTO service_keys(id, sign_public, sign_secret, box_public, box_secret, "
                        "created_at) VALUES (1, ?1, ?2, ?3, ?4, ?5)", err, errlen);
        if (!s) return BEX_ERR_IO;
        db_bind_blob(s, 1, fresh->sign_public, 32);
        db_bind_blob(s, 2, fresh->sign_secret, 64);
        db_bind_blob(s, 3, fresh->box_public, 32);
        db_bind_blob(s, 4, fresh->box_secret, 32);
        st_bind_text(s, 5, at);
        rc = st_step_done(st, s, "keeping the service's keys", err, errlen);
        if (rc != BEX_OK) return rc;
    }
    s = st_stmt(st, "SELECT sign_public, sign_secret, box_public, box_secret FROM service_keys WHERE id = 1", err,
                errlen);
    if (!s) return BEX_ERR_IO;
    int r = db_step(s);
    if (r == DB_ROW && db_column_bytes(s, 0) == 32 && db_column_bytes(s, 1) == 64 &&
        db_column_bytes(s, 2) == 32 && db_column_bytes(s, 3) == 32) {
        memcpy(out->sign_public, db_column_blob(s, 0), 32);
        memcpy(out->sign_secret, db_column_blob(s, 1), 64);
        memcpy(out->box_public, db_column_blob(s, 2), 32);
        memcpy(out->box_secret, db_column_blob(s, 3), 32);
        rc = BEX_OK;
    } else if (r == DB_ROW || r == DB_DONE) {
        snprintf(err, errlen, r == DB_DONE ? "the service has no keys yet (they are made when the first gate "
                                                 "is registered)" : "the service's keys in the store are damaged");
        rc = BEX_ERR_CORRUPT;
    } else
        rc = st_fail(st, "reading the service's keys", err, errlen);
    st_release(st, s);
    return rc;
}
