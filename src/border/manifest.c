/*
 * manifest.c - carriers' manifests (the expected travellers of one departure or arrival,
 * APIS-like): parsing them from JSON, loading them with each traveller checked against the
 * document on record (gather -> bex_manifest_check -> record), and a departure's gallery for
 * an offline gate.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bex/rules.h"
#include "bex/timestamp.h"
#include "store/records.h"
#include "util/util.h"

#define MANIFEST_MAX_TRAVELLERS 100000

/* Copies a string member into dst (size n); required members must be present and fit. */
static int get_str(const cJSON *o, const char *key, char *dst, size_t n, int required, const char *where,
                   char *err, size_t errlen) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    dst[0] = 0;
    if (!v || cJSON_IsNull(v)) {
        if (!required) return BEX_OK;
        snprintf(err, errlen, "%s: \"%s\" is missing", where, key);
        return BEX_ERR_FORMAT;
    }
    if (!cJSON_IsString(v) || (required && !v->valuestring[0])) {
        snprintf(err, errlen, "%s: \"%s\" must be a non-empty string", where, key);
        return BEX_ERR_FORMAT;
    }
    if (strlen(v->valuestring) >= n) {
        snprintf(err, errlen, "%s: \"%s\" is longer than %zu characters", where, key, n - 1);
        return BEX_ERR_FORMAT;
    }
    snprintf(dst, n, "%s", v->valuestring);
    return BEX_OK;
}

void bex_manifest_free(bex_manifest *m) {
    if (!m) return;
    bex__free(m->entries);
    m->entries = NULL;
    m->n = 0;
}

int bex_manifest_parse_json(const char *text, size_t len, bex_manifest *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        snprintf(err, errlen, "the manifest is not valid JSON (near byte %ld)",
                 at && at >= text && at <= text + len ? (long)(at - text) : -1L);
        return BEX_ERR_FORMAT;
    }
    bex_manifest m;
    memset(&m, 0, sizeof m);
    char direction[12] = "", kind[20] = "", scheduled[40] = "";
    int rc = BEX_OK;
    const char *w = "manifest";
    if (!cJSON_IsObject(root)) {
        snprintf(err, errlen, "the manifest must be a JSON object");
        rc = BEX_ERR_FORMAT;
    }
    if (rc == BEX_OK) rc = get_str(root, "departure", m.id, sizeof m.id, 1, w, err, errlen);
    if (rc == BEX_OK) rc = get_str(root, "direction", direction, sizeof direction, 0, w, err, errlen);
    if (rc == BEX_OK) rc = get_str(root, "carrier", m.carrier, sizeof m.carrier, 1, w, err, errlen);
    if (rc == BEX_OK) rc = get_str(root, "voyage", m.voyage, sizeof m.voyage, 1, w, err, errlen);
    if (rc == BEX_OK) rc = get_str(root, "port", m.port, sizeof m.port, 1, w, err, errlen);
    if (rc == BEX_OK) rc = get_str(root, "port_kind", kind, sizeof kind, 1, w, err, errlen);
    if (rc == BEX_OK) rc = get_str(root, "scheduled", scheduled, sizeof scheduled, 1, w, err, errlen);
    if (rc == BEX_OK && !direction[0]) snprintf(direction, sizeof direction, "departure");
    if (rc == BEX_OK && bex_direction_parse(direction, &m.direction) != BEX_OK) {
        snprintf(err, errlen, "manifest: \"direction\" must be \"departure\" or \"arrival\"");
        rc = BEX_ERR_FORMAT;
    }
    if (rc == BEX_OK && bex_port_kind_parse(kind, &m.port_kind) != BEX_OK) {
        snprintf(err, errlen, "manifest: \"port_kind\" must be air, sea, land, land-pedestrian or land-vehicle");
        rc = BEX_ERR_FORMAT;
    }
    if (rc == BEX_OK && bex_time_canonical(scheduled, m.scheduled) != BEX_OK) {
        snprintf(err, errlen, "manifest: \"scheduled\" is no ISO 8601 time (YYYY-MM-DDTHH:MM:SSZ)");
        rc = BEX_ERR_FORMAT;
    }
    const cJSON *tr = cJSON_GetObjectItemCaseSensitive(root, "travellers");
    if (rc == BEX_OK && !cJSON_IsArray(tr)) {
        snprintf(err, errlen, "manifest: \"travellers\" must be an array");
        rc = BEX_ERR_FORMAT;
    }
    size_t n = rc == BEX_OK ? (size_t)cJSON_GetArraySize(tr) : 0;
    if (rc == BEX_OK && n > MANIFEST_MAX_TRAVELLERS) {
        snprintf(err, errlen, "manifest: %zu travellers, more than the %d one departure may list", n,
                 MANIFEST_MAX_TRAVELLERS);
        rc = BEX_ERR_LIMIT;
    }
    if (rc == BEX_OK && n) {
        m.entries = bex__calloc(n, sizeof *m.entries);
        if (!m.entries) {
            snprintf(err, errlen, "out of memory");
            rc = BEX_ERR_NOMEM;
        }
    }
    size_t i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, tr) {
        if (rc != BEX_OK) break;
        char where[48];
        snprintf(where, sizeof where, "traveller %zu", i + 1);
        bex_manifest_entry *x = &m.entries[i];
        if (!cJSON_IsObject(e)) {
            snprintf(err, errlen, "%s: must be an object", where);
            rc = BEX_ERR_FORMAT;
            break;
        }
        rc = get_str(e, "issuing_state", x->issuing_state, sizeof x->issuing_state, 1, where, err, errlen);
        if (rc == BEX_OK) rc = get_str(e, "number", x->number, sizeof x->number, 1, where, err, errlen);
        if (rc == BEX_OK) rc = get_str(e, "nationality", x->nationality, sizeof x->nationality, 0, where, err, errlen);
        if (rc == BEX_OK) rc = get_str(e, "surname", x->surname, sizeof x->surname, 1, where, err, errlen);
        if (rc == BEX_OK) rc = get_str(e, "given_names", x->given_names, sizeof x->given_names, 0, where, err, errlen);
        if (rc == BEX_OK) rc = get_str(e, "birth_date", x->birth_date, sizeof x->birth_date, 0, where, err, errlen);
        if (rc == BEX_OK) rc = get_str(e, "sex", x->sex, sizeof x->sex, 0, where, err, errlen);
        bex_day d;
        if (rc == BEX_OK && x->birth_date[0] && bex_day_parse(x->birth_date, &d) != BEX_OK) {
            snprintf(err, errlen, "%s: \"birth_date\" is no date (YYYY-MM-DD)", where);
            rc = BEX_ERR_FORMAT;
        }
        i++;
    }
    m.n = i;
    cJSON_Delete(root);
    if (rc != BEX_OK) {
        bex_manifest_free(&m);
        return rc;
    }
    *out = m;
    return BEX_OK;
}

int bex_border_load_manifest(bex_store *st, const bex_manifest *m,
                             void (*progress)(size_t done, size_t total, void *arg), void *arg,
                             bex_manifest_result *res, char *err, size_t errlen) {
    memset(res, 0, sizeof *res);
    char now[24];
    bex_time_now(now);
    int rc = bex__begin(st, err, errlen);
    if (rc != BEX_OK) return rc;
    /* a departure belongs to the carrier that first declared it */
    bex_departure_info had;
    rc = bex__departure(st, m->id, &had, err, errlen);
    if (rc == BEX_OK && bex_departure_ownership(&had, m->carrier) == BEX_OWN_OTHER) {
        snprintf(err, errlen, "departure '%.47s' belongs to carrier %.7s, who declared it first: a manifest of "
                 "another carrier cannot take it over (an admin may reassign it)", m->id, had.carrier);
        rc = BEX_ERR_ARG;
    }
    if (rc == BEX_OK) rc = bex__departure_write(st, m, now, &res->replaced, err, errlen);
    for (size_t i = 0; rc == BEX_OK && i < m->n; i++) {
        const bex_manifest_entry *x = &m->entries[i];
        /* gather */
        bex_known_document doc;
        int found, has_face;
        rc = bex__manifest_document(st, x->issuing_state, x->number, &found, &doc, &has_face, err, errlen);
        if (rc != BEX_OK) break;
        /* decide */
        bex_manifest_verdict v;
        bex_manifest_check(x, found ? &doc : NULL, i + 1, &v);
        if (!found && x->birth_date[0]) { /* the same person on record under another number? */
            /* the first 64 documents of that birth date (as the officer's look-up reads them): at
             * national scale a date holds thousands, and a holder beyond them is not found */
            bex_known_document same[64];
            int ns = 0, which;
            if ((rc = bex__documents_by_birth(st, x->birth_date, same, 64, &ns, err, errlen)) != BEX_OK) break;
            bex_manifest_check_unlinked(x, same, ns, i + 1, &v, &which);
            if (which >= 0) doc = same[which];
        }
        /* record */
        rc = bex__manifest_entry_write(st, m->id, x, found ? doc.id : 0, i + 1, v.verified, err, errlen);
        if (rc != BEX_OK) break;
        res->travellers++;
        res->linked += found != 0;
        res->with_face += found && has_face;
        res->verified += v.verified != 0;
        res->name_variants += v.name_variant && !v.mismatch;
        if (v.mismatch) {
            bex_flag_plan p = {.kind = BEX_FLAG_MANIFEST_MISMATCH, .subjects = {doc.subject}, .n_subjects = 1,
                               .documents = {doc.id}, .n_documents = 1};
            snprintf(p.detail, sizeof p.detail, "%s", v.detail);
            rc = bex__insert_flag(st, &p, 0, m->id, now, NULL, err, errlen);
            res->n_flags++;
        }
        if (progress && (i % 1024 == 1023 || i + 1 == m->n)) progress(i + 1, m->n, arg);
    }
    if (rc == BEX_OK) {
        char obj[96], detail[128];
        snprintf(obj, sizeof obj, "departure %s", m->id);
        snprintf(detail, sizeof detail, "carrier %.7s, %zu travellers, %zu linked, %zu verified, %d mismatches%s",
                 m->carrier, res->travellers, res->linked, res->verified, res->n_flags,
                 res->replaced ? ", replaced" : "");
        rc = bex__audit(st, "manifest_load", obj, detail, err, errlen);
    }
    rc = bex__end(st, rc, NULL, err, errlen);
    if (rc != BEX_OK) memset(res, 0, sizeof *res);
    return rc;
}

int bex_border_gallery(bex_store *st, const char *departure, bex_index **out, size_t *subjects, char *err,
                       size_t errlen) {
    *out = NULL;
    *subjects = 0;
    int rc = bex__begin(st, err, errlen);
    if (rc != BEX_OK) return rc;
    bex_departure_info d;
    rc = bex__departure(st, departure, &d, err, errlen);
    if (rc == BEX_OK && !d.known) {
        snprintf(err, errlen, "departure '%s' has no manifest on record (load its manifest first)", departure);
        rc = BEX_ERR_ARG;
    }
    bex_index *ix = NULL;
    if (rc == BEX_OK) /* the store's model's templates, the index tagged with it */
        rc = bex_index_open_model(bex_store_dim(st), BEX_INDEX_FLOAT32, bex_store_model(st), &ix, err, errlen);
    if (rc == BEX_OK) rc = bex__gallery_fill(st, departure, ix, err, errlen);
    if (rc == BEX_OK) {
        *subjects = bex_index_subjects(ix);
        char obj[96], detail[96];
        snprintf(obj, sizeof obj, "departure %s", departure);
        snprintf(detail, sizeof detail, "gallery of %zu subjects, %zu templates", *subjects, bex_index_count(ix));
        rc = bex__audit(st, "gallery_build", obj, detail, err, errlen);
    }
    rc = bex__end(st, rc, NULL, err, errlen);
    if (rc != BEX_OK) {
        bex_index_close(ix);
        *subjects = 0;
        return rc;
    }
    *out = ix;
    return BEX_OK;
}

static int carrier_code_ok(const char *c) {
    size_t n = c ? strlen(c) : 0;
    if (n < 2 || n > 3) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((c[i] >= 'A' && c[i] <= 'Z') || (c[i] >= '0' && c[i] <= '9'))) return 0;
    return 1;
}

int bex_border_reassign_departure(bex_store *st, const char *departure, const char *carrier, size_t *dropped,
                                  char *err, size_t errlen) {
    *dropped = 0;
    if (!carrier_code_ok(carrier)) {
        snprintf(err, errlen, "a carrier code is 2 or 3 capital letters or digits");
        return BEX_ERR_ARG;
    }
    int rc = bex__begin(st, err, errlen);
    if (rc != BEX_OK) return rc;
    bex_departure_info d;
    rc = bex__departure(st, departure, &d, err, errlen);
    if (rc == BEX_OK && !d.known) {
        snprintf(err, errlen, "no departure '%.47s' on record", departure ? departure : "");
        rc = BEX_ERR_ARG;
    }
    size_t n = 0;
    if (rc == BEX_OK) rc = bex__departure_reassign(st, departure, carrier, &n, err, errlen);
    if (rc == BEX_OK) {
        char obj[96], detail[128];
        snprintf(obj, sizeof obj, "departure %.47s", departure);
        snprintf(detail, sizeof detail, "carrier %.7s to %.7s, %zu travellers of the previous list dropped", d.carrier,
                 carrier, n);
        rc = bex__audit(st, "departure_reassign", obj, detail, err, errlen);
    }
    rc = bex__end(st, rc, NULL, err, errlen);
    if (rc == BEX_OK) *dropped = n;
    return rc;
}

int bex_border_departure_carrier(bex_store *st, const char *departure, char carrier[8], char *err, size_t errlen) {
    carrier[0] = 0;
    bex_departure_info d;
    int rc = bex__departure(st, departure, &d, err, errlen);
    if (rc != BEX_OK) return rc;
    if (!d.known) {
        snprintf(err, errlen, "no departure '%s' on record (its manifest loads it)", departure ? departure : "");
        return BEX_ERR_ARG;
    }
    snprintf(carrier, 8, "%s", d.carrier);
    return BEX_OK;
}
