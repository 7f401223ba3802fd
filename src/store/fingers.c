/*
 * fingers.c - finger samples in the store (migration 015; store.h, records.h): the template's
 * serialised form, the rows an entry or exit records, the enrolled templates a comparison
 * reads, and the officers' list. No rule is applied here.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/records.h"
#include "store/store_impl.h"
#include "util/util.h"

/* ---- the serialised template ---- */

static void put16(uint8_t *p, unsigned v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static unsigned get16(const uint8_t *p) { return (unsigned)p[0] | (unsigned)p[1] << 8; }
static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

size_t bex_finger_blob_write(const bex_finger_template *t, uint8_t out[BEX_FINGER_BLOB_MAX]) {
    int n = t->n < 0 ? 0 : t->n > BEX_FINGER_MAX_MINUTIAE ? BEX_FINGER_MAX_MINUTIAE : t->n;
    memcpy(out, "BXF1", 4);
    put16(out + 4, t->width);
    put16(out + 6, t->height);
    out[8] = t->finger_position;
    out[9] = t->quality;
    put32(out + 10, t->problems);
    put32(out + 14, (uint32_t)(t->area_px < 0 ? 0 : t->area_px));
    put16(out + 18, (unsigned)n);
    uint8_t *p = out + 20;
    for (int i = 0; i < n; i++, p += 7) {
        put16(p, t->m[i].x);
        put16(p + 2, t->m[i].y);
        p[4] = t->m[i].angle;
        p[5] = t->m[i].type;
        p[6] = t->m[i].quality;
    }
    return (size_t)(p - out);
}

int bex_finger_blob_read(const uint8_t *buf, size_t len, bex_finger_template *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (!buf || len < 20 || memcmp(buf, "BXF1", 4))
        return bex__fail(err, errlen, BEX_ERR_CORRUPT, "a stored finger template is not one (%zu bytes, no BXF1 "
                         "header)", len);
    unsigned n = get16(buf + 18);
    if (n > BEX_FINGER_MAX_MINUTIAE || len != 20 + 7 * (size_t)n)
        return bex__fail(err, errlen, BEX_ERR_CORRUPT, "a stored finger template says %u minutiae in %zu bytes", n,
                         len);
    uint32_t area = get32(buf + 14);
    out->width = (uint16_t)get16(buf + 4);
    out->height = (uint16_t)get16(buf + 6);
    out->finger_position = buf[8];
    out->quality = buf[9];
    out->problems = get32(buf + 10);
    if (out->finger_position > 10 || out->quality > 100 || area > (uint32_t)out->width * out->height)
        return bex__fail(err, errlen, BEX_ERR_CORRUPT, "a stored finger template has a field out of range "
                         "(position %u, quality %u, area %u)", out->finger_position, out->quality, area);
    out->area_px = (int)area;
    out->n = (int)n;
    const uint8_t *p = buf + 20;
    for (unsigned i = 0; i < n; i++, p += 7) {
        bex_minutia *m = &out->m[i];
        m->x = (uint16_t)get16(p);
        m->y = (uint16_t)get16(p + 2);
        m->angle = p[4];
        m->type = p[5];
        m->quality = p[6];
        if (m->x >= out->width || m->y >= out->height || m->type > BEX_MINUTIA_BIFURCATION || m->quality > 100)
            return bex__fail(err, errlen, BEX_ERR_CORRUPT, "a stored finger template's minutia %u is out of range", i);
    }
    return BEX_OK;
}

/* ---- rows ---- */

int bex__insert_finger(bex_store *st, const bex__finger_row *r, int64_t *id, char *err, size_t errlen) {
    if (r->position < 1 || r->position > 10)
        return bex__fail(err, errlen, BEX_ERR_ARG, "finger position %d is not one of 1 to 10", r->position);
    if ((r->state == BEX_FINGER_USABLE) != (r->t != NULL))
        return bex__fail(err, errlen, BEX_ERR_ARG, "an enrolled finger needs its template, and only it has one");
    const char *status = r->state == BEX_FINGER_USABLE ? "enrolled"
                         : r->state == BEX_FINGER_MISSING ? "missing"
                         : r->state == BEX_FINGER_UNUSABLE ? "unusable" : NULL;
    if (!status) return bex__fail(err, errlen, BEX_ERR_ARG, "a finger sample is enrolled, missing or unusable");
    long long keep_images = 0;
    int rc = bex_store_get_retention(st, "images", &keep_images, err, errlen);
    if (rc != BEX_OK) return rc;
    db_stmt *s = st_stmt(st, "INSERT INTO finger_samples(subject_id, encounter_id, position, source, status, template, "
                             "quality, problems, citizen, captured_at, image) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
                             "?9, ?10, ?11)", err, errlen);
    if (!s) return BEX_ERR_IO;
    st_bind_id(s, 1, r->subject);
    st_bind_id(s, 2, r->encounter);
    db_bind_int(s, 3, r->position);
    st_bind_text(s, 4, r->source);
    st_bind_text(s, 5, status);
    uint8_t blob[BEX_FINGER_BLOB_MAX];
    if (r->t) db_bind_blob(s, 6, blob, (int)bex_finger_blob_write(r->t, blob));
    else db_bind_null(s, 6);
    if (r->state == BEX_FINGER_MISSING) db_bind_null(s, 7);
    else db_bind_int(s, 7, r->quality);
    db_bind_int64(s, 8, (int64_t)r->problems);
    db_bind_int(s, 9, r->citizen != 0);
    st_bind_text(s, 10, r->at);
    if (r->image && r->image_len && r->image_len < (size_t)1 << 30 && keep_images > 0)
        db_bind_blob(s, 11, r->image, (int)r->image_len);
    else db_bind_null(s, 11);
    rc = st_step_done(st, s, "storing a finger sample", err, errlen);
    if (id) *id = rc == BEX_OK ? db_last_insert_rowid(st->db) : 0;
    return rc;
}

int bex__finger_templates(bex_store *st, int64_t subject, int position, size_t max, bex__finger_enrolled **out,
                          size_t *n, char *err, size_t errlen) {
    *out = NULL;
    *n = 0;
    db_stmt *s = st_stmt(st, subject > 0
        ? "SELECT id, subject_id, position, template FROM finger_samples WHERE subject_id = ?1 AND "
          "status = 'enrolled' AND (?2 = 0 OR position = ?2) ORDER BY id"
        : "SELECT id, subject_id, position, template FROM finger_samples WHERE subject_id IS NOT NULL AND "
          "citizen = 0 AND status = 'enrolled' AND (?2 = 0 OR position = ?2) AND ?1 = 0 ORDER BY id", err, errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_int64(s, 1, subject > 0 ? subject : 0);
    db_bind_int(s, 2, position);
    size_t cap = 0;
    int r, rc = BEX_OK;
    while (rc == BEX_OK && (r = db_step(s)) == DB_ROW) {
        if (*n == max) {
            rc = bex__fail(err, errlen, BEX_ERR_LIMIT, "more than %zu enrolled finger templates to compare", max);
            break;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            bex__finger_enrolled *p = bex__realloc(*out, cap * sizeof *p);
            if (!p) {
                rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory");
                break;
            }
            *out = p;
        }
        bex__finger_enrolled *e = &(*out)[*n];
        e->id = db_column_int64(s, 0);
        e->subject = db_column_int64(s, 1);
        e->position = db_column_int(s, 2);
        rc = bex_finger_blob_read(db_column_blob(s, 3), (size_t)db_column_bytes(s, 3), &e->t, err, errlen);
        if (rc == BEX_OK) (*n)++;
    }
    if (rc == BEX_OK && r != DB_DONE) rc = st_fail(st, "reading finger samples", err, errlen);
    st_release(st, s);
    if (rc != BEX_OK) {
        bex__free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

int bex__finger_subjects(bex_store *st, long long *n, char *err, size_t errlen) {
    int64_t v = 0;
    int rc = st_query_int(st, "SELECT count(DISTINCT subject_id) FROM finger_samples WHERE subject_id IS NOT NULL AND "
                              "citizen = 0 AND status = 'enrolled'", NULL, 0, 0, &v, err, errlen);
    *n = v;
    return rc;
}

int bex__encounter_fingers(bex_store *st, int64_t encounter, bex_prints prints, double finger_fmr, char *err,
                           size_t errlen) {
    db_stmt *s = st_stmt(st, "UPDATE encounters SET prints = coalesce(?2, prints), finger_fmr = coalesce(?3, "
                             "finger_fmr) WHERE id = ?1", err, errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_int64(s, 1, encounter);
    if (prints) st_bind_text(s, 2, bex_prints_name(prints));
    else db_bind_null(s, 2);
    if (isnan(finger_fmr)) db_bind_null(s, 3);
    else db_bind_double(s, 3, finger_fmr);
    return st_step_done(st, s, "recording the crossing's fingerprints", err, errlen);
}

/* ---- officers' reads ---- */

int bex_store_finger_samples(bex_store *st, int64_t subject, bex_finger_sample **out, size_t *n, char *err,
                             size_t errlen) {
    *out = NULL;
    *n = 0;
    db_stmt *s = st_stmt(st, "SELECT id, coalesce(subject_id, 0), coalesce(encounter_id, 0), position, source, status, "
                             "coalesce(quality, -1), problems, citizen, captured_at, image IS NOT NULL FROM "
                             "finger_samples WHERE subject_id = ?1 ORDER BY id", err, errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_int64(s, 1, subject);
    size_t cap = 0;
    int r, rc = BEX_OK;
    while (rc == BEX_OK && (r = db_step(s)) == DB_ROW) {
        if (*n == BEX_FINGER_SAMPLES_MAX) {
            rc = bex__fail(err, errlen, BEX_ERR_LIMIT, "subject %lld has more than %d finger samples",
                           (long long)subject, BEX_FINGER_SAMPLES_MAX);
            break;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            bex_finger_sample *p = bex__realloc(*out, cap * sizeof *p);
            if (!p) {
                rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory");
                break;
            }
            *out = p;
        }
        bex_finger_sample *f = &(*out)[(*n)++];
        memset(f, 0, sizeof *f);
        f->id = db_column_int64(s, 0);
        f->subject = db_column_int64(s, 1);
        f->encounter = db_column_int64(s, 2);
        f->position = db_column_int(s, 3);
        st_col_text(s, 4, f->source, sizeof f->source);
        st_col_text(s, 5, f->status, sizeof f->status);
        f->quality = db_column_int(s, 6);
        f->problems = (uint32_t)db_column_int64(s, 7);
        f->citizen = db_column_int(s, 8);
        st_col_text(s, 9, f->captured_at, sizeof f->captured_at);
        f->has_image = db_column_int(s, 10);
    }
    if (rc == BEX_OK && r != DB_DONE) rc = st_fail(st, "reading finger samples", err, errlen);
    st_release(st, s);
    if (rc != BEX_OK) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

int bex_store_finger_template(bex_store *st, int64_t sample, bex_finger_template *out, int *found, char *err,
                              size_t errlen) {
    *found = 0;
    db_stmt *s = st_stmt(st, "SELECT template FROM finger_samples WHERE id = ?1 AND status = 'enrolled'", err, errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_int64(s, 1, sample);
    int r = db_step(s), rc = BEX_OK;
    if (r == DB_ROW) {
        rc = bex_finger_blob_read(db_column_blob(s, 0), (size_t)db_column_bytes(s, 0), out, err, errlen);
        *found = rc == BEX_OK;
    } else if (r != DB_DONE) {
        rc = st_fail(st, "reading a finger sample", err, errlen);
    }
    st_release(st, s);
    return rc;
}

/* ---- 1:N: the in-memory galleries ---- */

/* Adds the position's enrolled samples above the last id read (all of them the first time). */
static int gallery_grow(bex_store *st, int position, char *err, size_t errlen) {
    if (!st->fgal[position]) {
        st->fgal[position] = bex_finger_gallery_new();
        st->fgal_max[position] = 0;
        if (!st->fgal[position]) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory");
    }
    db_stmt *s = st_stmt(st, "SELECT id, template FROM finger_samples WHERE position = ?1 AND status = 'enrolled' "
                             "AND id > ?2 ORDER BY id", err, errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_int(s, 1, position);
    db_bind_int64(s, 2, st->fgal_max[position]);
    int r, rc = BEX_OK;
    bex_finger_template t;
    while (rc == BEX_OK && (r = db_step(s)) == DB_ROW) {
        int64_t id = db_column_int64(s, 0);
        rc = bex_finger_blob_read(db_column_blob(s, 1), (size_t)db_column_bytes(s, 1), &t, err, errlen);
        if (rc == BEX_OK) rc = bex_finger_gallery_add(st->fgal[position], id, &t, err, errlen);
        if (rc == BEX_OK) st->fgal_max[position] = id;
    }
    if (rc == BEX_OK && r != DB_DONE) rc = st_fail(st, "reading finger samples", err, errlen);
    st_release(st, s);
    return rc;
}

int bex__finger_search(bex_store *st, int position, const bex_finger_prepared *probe, int k, bex_finger_hit *hits,
                       int64_t *subjects, int *n, char *err, size_t errlen) {
    *n = 0;
    if (position < 1 || position > 10 || k < 1 || k > 64)
        return bex__fail(err, errlen, BEX_ERR_ARG, "a finger search takes a position 1 to 10 and 1 to 64 hits");
    int rc = gallery_grow(st, position, err, errlen);
    if (rc != BEX_OK) return rc;
    db_stmt *s = st_stmt(st, "SELECT coalesce(subject_id, 0), citizen FROM finger_samples WHERE id = ?1 AND "
                             "status = 'enrolled'", err, errlen);
    if (!s) return BEX_ERR_IO;
    /* hits whose sample is gone leave the gallery, and the search is made again: at most a few
     * rounds, each removing what it found dead */
    bex_finger_hit found[64];
    for (int round = 0; rc == BEX_OK && round < 8; round++) {
        int nh = bex_finger_gallery_search_prepared(st->fgal[position], probe, found, k), dead = 0;
        *n = 0;
        for (int i = 0; rc == BEX_OK && i < nh; i++) {
            db_bind_int64(s, 1, found[i].id);
            int r = db_step(s);
            if (r == DB_ROW) {
                int64_t subject = db_column_int64(s, 0);
                if (subject > 0 && !db_column_int(s, 1)) { /* a candidate: linked, not a citizen's */
                    hits[*n] = found[i];
                    subjects[(*n)++] = subject;
                }
            } else if (r == DB_DONE) {
                bex_finger_gallery_remove(st->fgal[position], found[i].id);
                dead++;
            } else {
                rc = st_fail(st, "reading finger samples", err, errlen);
            }
            db_reset(s);
        }
        if (!dead) break;
    }
    st_release(st, s);
    if (rc != BEX_OK) *n = 0;
    return rc;
}
