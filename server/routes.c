/*
 * routes.c - the service's routes (docs/openapi.json documents them; test_serve.sh holds the
 * two to each other): each handler reads its parameters, calls border.h, and answers with
 * json.h's JSON. Which role may use a route is the route's action and rules.h's matrix; a
 * carrier's own departure is bex_carrier_owns'; who owns a departure a manifest names is
 * bex_departure_ownership's; what a carrier's exit may be is bex_carrier_exit_check's and what
 * it learns bex_carrier_answer_of's.
 *
 * Photos are raw JPEG / PNG / JPEG 2000 bodies or multipart parts; other fields are query
 * parameters or parts of the same name.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../cli/cli.h"
#include "bex/finger.h"
#include "bex/image.h"
#include "bex/json.h"
#include "bex/timestamp.h"
#include "bex/trust.h"
#include "server.h"

#define MAX_FACES 16

/* ---- anyone ---- */

static void h_health(ctx *x, reply *r) {
    int v;
    LOCKED(x, v = bex_store_schema_version(x->s->st));
    FILE *f = reply_open(r);
    if (f) fprintf(f, "{\"status\":\"ok\",\"version\":\"%s\",\"schema\":%d,\"engines\":%d}\n", BEX_VERSION, v,
                   x->s->n_eng);
    reply_done(r, f);
}

static void h_openapi(ctx *x, reply *r) {
    (void)x;
    r->status = 200;
    r->len = bex_openapi_json_len;
    r->json = malloc(r->len + 1);
    if (r->json) memcpy(r->json, bex_openapi_json, r->len + 1);
    else reply_error(r, 500, "out of memory");
}

static void h_metrics(ctx *x, reply *r) {
    server *s = x->s;
    pthread_mutex_lock(&s->eng_lock);
    int waiting = s->waiting, idle = s->n_free;
    pthread_mutex_unlock(&s->eng_lock);
    FILE *f = reply_open(r);
    if (!f) return reply_done(r, f);
    fprintf(f, "# HELP bex_requests_total HTTP requests answered.\n# TYPE bex_requests_total counter\n"
               "bex_requests_total %ld\n", atomic_load(&s->requests));
    fprintf(f, "# HELP bex_responses_4xx_total Requests refused as bad or not allowed.\n"
               "# TYPE bex_responses_4xx_total counter\nbex_responses_4xx_total %ld\n", atomic_load(&s->errors_4xx));
    fprintf(f, "# HELP bex_responses_5xx_total Requests that failed on the server's side.\n"
               "# TYPE bex_responses_5xx_total counter\nbex_responses_5xx_total %ld\n", atomic_load(&s->errors_5xx));
    fprintf(f, "# HELP bex_busy_total Photos refused with 503 because the queue was full.\n"
               "# TYPE bex_busy_total counter\nbex_busy_total %ld\n", atomic_load(&s->busy));
    fprintf(f, "# HELP bex_denied_total Requests denied for their key or role (audited).\n"
               "# TYPE bex_denied_total counter\nbex_denied_total %ld\n", atomic_load(&s->denied));
    fprintf(f, "# HELP bex_extract_seconds Face extraction time.\n# TYPE bex_extract_seconds summary\n"
               "bex_extract_seconds_sum %.6f\nbex_extract_seconds_count %ld\n",
            atomic_load(&s->extract_us) * 1e-6, atomic_load(&s->extract_n));
    fprintf(f, "# HELP bex_store_seconds Time in the record store, its lock included.\n"
               "# TYPE bex_store_seconds summary\nbex_store_seconds_sum %.6f\nbex_store_seconds_count %ld\n",
            atomic_load(&s->store_us) * 1e-6, atomic_load(&s->store_n));
    fprintf(f, "# HELP bex_engines_idle Face engines free now.\n# TYPE bex_engines_idle gauge\n"
               "bex_engines_idle %d\n", idle);
    fprintf(f, "# HELP bex_queue_waiting Photos waiting for an engine.\n# TYPE bex_queue_waiting gauge\n"
               "bex_queue_waiting %d\n", waiting);
    /* the latest drift check (bex eval drift): how far live non-mated scores are from the
     * calibration; nothing until one has run */
    bex_drift_check d;
    int found = 0, drc;
    char err[256];
    LOCKED(x, drc = bex_store_drift_latest(s->st, &d, &found, err, sizeof err));
    if (drc == BEX_OK && found) {
        int64_t at = 0;
        bex_time_parse(d.at, &at);
        double p = d.drift.p_high < d.drift.p_low ? d.drift.p_high : d.drift.p_low;
        fprintf(f, "# HELP bex_drift_ratio Live non-mated scores at or above the calibrated threshold, over the rate "
                   "expected (1 while the calibration holds), at the latest drift check.\n# TYPE bex_drift_ratio gauge\n"
                   "bex_drift_ratio{fmr=\"%g\"} %.6g\n", d.drift.fmr, d.drift.ratio);
        fprintf(f, "# HELP bex_drift_comparisons Live non-mated comparisons behind the latest drift check.\n"
                   "# TYPE bex_drift_comparisons gauge\nbex_drift_comparisons %llu\n", d.drift.comparisons);
        fprintf(f, "# HELP bex_drift_p_value The smaller binomial tail of the latest drift check.\n"
                   "# TYPE bex_drift_p_value gauge\nbex_drift_p_value %.6g\n", p);
        fprintf(f, "# HELP bex_drift_alarm 1 when the latest drift check found the scores moved (a score_drift flag).\n"
                   "# TYPE bex_drift_alarm gauge\nbex_drift_alarm %d\n", d.drift.alarm);
        fprintf(f, "# HELP bex_drift_check_timestamp_seconds When the latest drift check ran.\n"
                   "# TYPE bex_drift_check_timestamp_seconds gauge\nbex_drift_check_timestamp_seconds %lld\n",
                (long long)at);
    }
    server_metrics(f, s);
    reply_done(r, f);
}

/* ---- helpers ---- */

/* A carrier may act only on its own departures: 0 when dep is this key's carrier's (or the
 * key is no carrier's), else -1 with the reply set (404 unknown, 403 another carrier's). */
static int own_departure(ctx *x, reply *r, const char *dep, const char *path, const char *why) {
    if (x->key.role != BEX_ROLE_CARRIER) return 0;
    char code[8], err[256];
    int rc;
    LOCKED(x, rc = bex_border_departure_carrier(x->s->st, dep, code, err, sizeof err));
    if (rc != BEX_OK) {
        reply_error(r, rc == BEX_ERR_ARG ? 404 : 500, err);
        return -1;
    }
    if (bex_carrier_owns(x->key.carrier, code)) return 0;
    deny(x, r, 403, path, why, "this departure belongs to another carrier");
    return -1;
}

/* "1" as a flag parameter. */
static int arg_flag(const ctx *x, const char *name) {
    const char *v = arg(x, name);
    return v && !strcmp(v, "1");
}

/* A JSON object written without its closing newline, to go inside a list. */
static void inline_exit(FILE *f, const bex_exit_result *res, int carrier, const bex_capture_result *c) {
    char *b = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&b, &n);
    if (!m) return;
    if (carrier) bex_json_carrier_exit(m, res);
    else bex_json_exit(m, res, c && !c->acquired ? c->outcome : NULL, c ? c->message : NULL);
    fclose(m);
    if (n && b[n - 1] == '\n') n--;
    fwrite(b, 1, n, f);
    free(b);
}

/* ---- fingers sent with a crossing or a look-up ---- */

/* Is there any finger part ("finger1" .. "finger10", "slap13" .. "slap15", "finger_missing")? */
static int finger_parts_sent(const ctx *x) {
    for (int i = 0; x->fm && i < x->fm->n; i++) {
        const char *n = x->fm->f[i].name;
        if (!strncmp(n, "finger", 6) || !strncmp(n, "slap", 4)) return 1;
    }
    return 0;
}

/* The fingers of a request: parts "fingerP" (P 1-10: one finger's image), "slapP" (P 13, 14, 15:
 * a slap cut into fingers), "finger_missing" (positions declared missing, "4,5": an entry's
 * only), "finger_ppi" (a resolution the files do not state). Decoded within the server's image
 * limits; the body limit (--max-body) bounds their bytes. Only officers send them
 * (rules.h: bex_role_fingerprints): anyone else is refused, audited. 0, or -1 with the reply set. */
static int finger_parts(ctx *x, reply *r, int missing_ok, const char *path, cli_fingers *f) {
    cli_fingers_init(f);
    if (!finger_parts_sent(x)) return 0;
    if (!bex_role_fingerprints(x->key.role)) {
        deny(x, r, 403, path, "fingerprints sent by a role that may not", "only officers send or receive fingerprints: "
             "a carrier's exit is decided on the face alone");
        return -1;
    }
    f->asked = 1;
    const char *ppi = arg(x, "finger_ppi");
    if (ppi) {
        char *end;
        long v = strtol(ppi, &end, 10);
        if (*end || v < 100 || v > 2000) {
            reply_error(r, 400, "finger_ppi takes a resolution of 100 to 2000 pixels per inch");
            return -1;
        }
        f->ppi = (int)v;
    }
    char err[512];
    for (int i = 0; i < x->fm->n; i++) {
        const form_field *p = &x->fm->f[i];
        int pos = 0, slap = 0;
        char *end;
        if (!strncmp(p->name, "finger", 6) && p->name[6] >= '1' && p->name[6] <= '9') {
            pos = (int)strtol(p->name + 6, &end, 10);
            if (*end || pos > 10) pos = 0;
        } else if (!strncmp(p->name, "slap", 4) && p->name[4] == '1') {
            pos = (int)strtol(p->name + 4, &end, 10);
            if (*end || pos < 13 || pos > 15) pos = 0;
            slap = 1;
        } else if (!strcmp(p->name, "finger_missing")) {
            if (!missing_ok) {
                reply_error(r, 400, "finger_missing is an entry's: an exit or a look-up compares the fingers it is sent");
                cli_fingers_free(f);
                return -1;
            }
            const char *v = p->data;
            while (v && *v) {
                long m = strtol(v, &end, 10);
                if (end == v || (*end && *end != ',') || cli_fingers_add_missing(f, (int)m, err, sizeof err) != BEX_OK) {
                    reply_error(r, 400, "finger_missing takes finger positions 1 to 10, each once, separated by commas");
                    cli_fingers_free(f);
                    return -1;
                }
                v = *end ? end + 1 : end;
            }
            continue;
        } else if (!strcmp(p->name, "finger_ppi")) {
            continue;
        } else {
            continue; /* another part: the route's own */
        }
        if (!pos) {
            char m[160];
            snprintf(m, sizeof m, "no finger part '%.31s': finger1 .. finger10 (ANSI/NIST-ITL positions) or slap13, "
                     "slap14, slap15", p->name);
            reply_error(r, 400, m);
            cli_fingers_free(f);
            return -1;
        }
        uint8_t *copy = malloc(p->len ? p->len : 1);
        if (!copy) {
            reply_error(r, 503, "out of memory");
            cli_fingers_free(f);
            return -1;
        }
        memcpy(copy, p->data, p->len);
        /* each image within the server's limit and what is left of the request's pixel budget,
         * which the request's photo (decoded after) shares */
        bex_image_limits lim = x->s->limits;
        uint64_t used = x->pixels + f->pixels;
        uint64_t left = used < x->s->max_request_pixels ? x->s->max_request_pixels - used : 0;
        if (left < lim.max_pixels) lim.max_pixels = left;
        f->limits = &lim;
        int rc = left ? cli_fingers_add_image(f, pos, slap, copy, p->len, p->name, err, sizeof err) : BEX_ERR_LIMIT;
        f->limits = NULL;
        if (!left) free(copy);
        if (rc != BEX_OK) {
            char m[800];
            if (rc == BEX_ERR_LIMIT && (!left || lim.max_pixels < x->s->limits.max_pixels))
                snprintf(m, sizeof m, "%s: the request's images together are over the server's budget of %llu "
                         "pixels a request (--max-request-pixels)%s%s", p->name,
                         (unsigned long long)x->s->max_request_pixels, left ? ": " : "", left ? err : "");
            else
                snprintf(m, sizeof m, "%s", err);
            reply_error(r, rc == BEX_ERR_LIMIT ? 413 : rc == BEX_ERR_NOMEM ? 503 : 400, m);
            cli_fingers_free(f);
            return -1;
        }
    }
    x->pixels += f->pixels;
    return 0;
}

/* ---- crossings ---- */

static void h_exit(ctx *x, reply *r) {
    server *s = x->s;
    const char *port = arg(x, "port"), *dep = arg(x, "departure"), *kind = arg(x, "port_kind");
    int carrier = x->key.role == BEX_ROLE_CARRIER, all = arg_flag(x, "all_faces");
    if (!port && !carrier) return reply_error(r, 400, "an exit needs ?port=CODE");
    if (carrier && !dep) return reply_error(r, 400, "a carrier's exit needs ?departure=ID (its manifest's)");
    /* a carrier's word does not say when: the service's clock does (bex_carrier_exit_check) */
    if (carrier && arg(x, "at"))
        return reply_error(r, 400, "a carrier's exit is timed by the service's clock: ?at= is not taken from a carrier");
    bex_port_kind pk = BEX_PORT_NONE;
    if (kind && bex_port_kind_parse(kind, &pk) != BEX_OK)
        return reply_error(r, 400, "?port_kind= is air, sea, land, land-pedestrian or land-vehicle");
    if (carrier && own_departure(x, r, dep, "/v1/exits", "departure of another carrier") != 0) return;
    static _Thread_local cli_fingers fing; /* large: off the stack */
    if (finger_parts(x, r, 0, "/v1/exits", &fing) != 0) return;
    if (all && fing.n) {
        cli_fingers_free(&fing);
        return reply_error(r, 400, "fingers go with one traveller's exit, not all_faces=1");
    }
    const char *buf;
    size_t len;
    char err[512];
    photo(x, "photo", 1, &buf, &len);
    bex_capture_result one, faces[MAX_FACES];
    int nf = 0;
    if ((all ? extract_all(x, buf, len, "photo", r, faces, MAX_FACES, &nf) : extract(x, buf, len, "photo", r, &one)) != 0) {
        cli_fingers_free(&fing);
        return;
    }
    bex_exit_request ex = {.port = port, .port_kind = pk, .departure = dep, .at = carrier ? NULL : arg(x, "at"),
                           .carrier = carrier ? x->key.carrier : NULL, .dim = bex_store_dim(s->st),
                           .live_image = buf, .live_image_len = len, .fingers = fing.c, .n_fingers = fing.n};
    if (!all) {
        ex.live = one.acquired ? one.template_ : NULL;
        ex.live_quality = one.quality.score;
        ex.live_failure = one.acquired ? NULL : one.outcome;
        bex_exit_result res;
        int rc;
        LOCKED(x, rc = bex_border_exit(s->st, &ex, &res, err, sizeof err));
        cli_fingers_free(&fing);
        if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
        FILE *f = reply_open(r);
        if (f && carrier) bex_json_carrier_exit(f, &res); /* the decision and a transaction id: nothing of the person */
        else if (f) bex_json_exit(f, &res, one.acquired ? NULL : one.outcome, one.message);
        return reply_done(r, f);
    }
    /* a vehicle lane: each usable face is an exit of its own */
    FILE *f = reply_open(r);
    if (!f) return reply_done(r, f);
    fprintf(f, "{\"faces\":%d,\"exits\":[", nf);
    int k = 0, rc = BEX_OK;
    for (int i = 0; i < nf && rc == BEX_OK; i++) {
        if (!faces[i].acquired) continue;
        ex.live = faces[i].template_;
        ex.live_quality = faces[i].quality.score;
        bex_exit_result res;
        LOCKED(x, rc = bex_border_exit(s->st, &ex, &res, err, sizeof err));
        if (rc != BEX_OK) break;
        if (k++) fputc(',', f);
        inline_exit(f, &res, carrier, NULL);
    }
    fprintf(f, "],\"not_acquired\":[");
    k = 0;
    for (int i = 0; i < nf; i++)
        if (!faces[i].acquired) {
            fprintf(f, "%s{\"face\":%d,\"outcome\":\"%s\",\"message\":", k++ ? "," : "", i, faces[i].outcome);
            bex_json_str(f, faces[i].message);
            fputc('}', f);
        }
    fprintf(f, "]}\n");
    if (rc != BEX_OK) {
        fclose(f);
        free(r->json);
        r->json = NULL;
        return reply_error(r, store_status(rc), err);
    }
    reply_done(r, f);
}

/* A photo's 1:N scan over every traveller, before the store's lock (bex_store_prescan): the
 * scan, the costly half of the search at a large gallery, runs beside other requests, and the
 * search under the lock re-ranks its candidates. NULL (the search scans under the lock) when
 * there is no index yet or the scan failed. */
static bex_store_scan *scan_ahead(ctx *x, const float *probe, int dim) {
    bex_store_scan *pre = NULL;
    char e[128];
    if (bex_store_prescan(x->s->st, probe, dim, &pre, e, sizeof e) != BEX_OK) return NULL;
    return pre;
}

/* The chip's files sent as parts "com", "dg1" .. "dg16", "sod" (each as read from the chip,
 * capped as a reader's folder is: bex_lds_file_cap), and "active_auth" / "chip_auth" as the
 * reader reports them. 1 when a chip was sent (into *chip), 0 when none, -1 with the reply set. */
static int chip_parts(ctx *x, reply *r, const char *printed, bex_chip *chip) {
    memset(chip, 0, sizeof *chip);
    int any = 0;
    for (int i = 0; i < BEX_LDS_NFILES; i++) {
        char name[8];
        if (i == BEX_LDS_COM) snprintf(name, sizeof name, "com");
        else if (i == BEX_LDS_SOD) snprintf(name, sizeof name, "sod");
        else snprintf(name, sizeof name, "dg%d", i);
        if (!has_part(x, name)) continue;
        const char *buf;
        size_t len;
        photo(x, name, 0, &buf, &len);
        if (len == 0) {
            reply_error(r, 400, "a chip part is empty: send each data group's file as the chip holds it");
            return -1;
        }
        if (len > bex_lds_file_cap(i)) {
            char m[128];
            snprintf(m, sizeof m, "the chip part %s is %zu bytes: at most %zu are read", name, len, bex_lds_file_cap(i));
            reply_error(r, 413, m);
            return -1;
        }
        chip->file[i] = (const uint8_t *)buf;
        chip->file_len[i] = len;
        any = 1;
    }
    const char *aa = arg(x, "active_auth"), *ca = arg(x, "chip_auth");
    if (!any && (aa || ca)) {
        reply_error(r, 400, "?active_auth= and ?chip_auth= go with a chip (parts dg1, dg2, sod, ...)");
        return -1;
    }
    if ((aa && bex_chip_auth_parse(aa, &chip->active_auth) != BEX_OK) ||
        (ca && bex_chip_auth_parse(ca, &chip->chip_auth) != BEX_OK)) {
        reply_error(r, 400, "?active_auth= and ?chip_auth= are passed, failed, not_supported or not_reported");
        return -1;
    }
    if (any && !chip->file[1]) {
        reply_error(r, 400, "a chip needs its part dg1 (the MRZ)");
        return -1;
    }
    chip->printed_mrz = printed;
    return any;
}

/* A part an entry does not take (a chip reader's "DG1" for "dg1", a "dg17"): 400 naming it, so
 * that a misnamed data group is not silently left out of the chip's check. 0 when all are known. */
static int unknown_entry_part(ctx *x, reply *r) {
    static const char *const known[] = {"photo", "doc_photo", "mrz", "port", "port_kind", "class", "admit_until",
                                        "ds", "carrier", "voyage", "at", "citizen", "all_faces", "camera", "com",
                                        "sod", "active_auth", "chip_auth", "finger_missing", "finger_ppi"};
    for (int i = 0; x->fm && i < x->fm->n; i++) {
        const char *name = x->fm->f[i].name;
        int ok = 0;
        for (size_t k = 0; k < sizeof known / sizeof *known && !ok; k++) ok = !strcmp(name, known[k]);
        if (!ok && (!strncmp(name, "finger", 6) || !strncmp(name, "slap", 4))) ok = 1; /* finger_parts checks them */
        if (!ok && name[0] == 'd' && name[1] == 'g') {
            char *end;
            long g = strtol(name + 2, &end, 10);
            ok = name[2] >= '1' && name[2] <= '9' && !*end && g >= 1 && g <= 16;
        }
        if (!ok) {
            char m[160];
            snprintf(m, sizeof m, "an entry takes no part '%.31s' (the chip's files are com, dg1 .. dg16, sod)", name);
            reply_error(r, 400, m);
            return 1;
        }
    }
    return 0;
}

static void h_entry(ctx *x, reply *r) {
    server *s = x->s;
    if (unknown_entry_part(x, r)) return;
    const char *mrz = arg(x, "mrz"), *port = arg(x, "port"), *kind = arg(x, "port_kind"), *at = arg(x, "at");
    const char *cls = arg(x, "class"), *until = arg(x, "admit_until");
    int citizen = arg_flag(x, "citizen"), ds = arg_flag(x, "ds"), all = arg_flag(x, "all_faces");
    bex_chip chip_in;
    int with_chip = chip_parts(x, r, mrz, &chip_in);
    if (with_chip < 0) return;
    if (with_chip && has_part(x, "doc_photo"))
        return reply_error(r, 400, "a chip brings the document photo (dg2): send doc_photo only without a chip");
    if (!(mrz || with_chip) || !port || !kind)
        return reply_error(r, 400, "an entry needs ?mrz= (or the chip's parts), ?port= and ?port_kind=");
    if (cls && !until == !ds)
        return reply_error(r, 400, "an entry with ?class= needs one of ?admit_until=YYYY-MM-DD or ?ds=1");
    if (!cls && (until || ds)) return reply_error(r, 400, "?admit_until= and ?ds=1 go with ?class=");
    bex_port_kind pk;
    if (bex_port_kind_parse(kind, &pk) != BEX_OK)
        return reply_error(r, 400, "?port_kind= is air, sea, land, land-pedestrian or land-vehicle");
    char when[24], today[11], err[512];
    if (bex_time_canonical(at, when) != BEX_OK) return reply_error(r, 400, "?at= is no ISO 8601 time");
    snprintf(today, sizeof today, "%.10s", when);
    bex_mrz doc;
    int mrc = with_chip ? bex_chip_mrz(&chip_in, today, &doc, err, sizeof err) : BEX_ERR_ARG;
    if (mrc != BEX_OK && (!with_chip || mrz)) /* no chip, or its DG1 unreadable: the printed MRZ (checked against it) */
        mrc = bex_mrz_parse_at(mrz, today, &doc, err, sizeof err);
    if (mrc != BEX_OK) return reply_error(r, 400, err);
    static _Thread_local cli_fingers fing; /* large: off the stack */
    if (finger_parts(x, r, 1, "/v1/entries", &fing) != 0) return;
    const char *buf;
    size_t len;
    photo(x, "photo", 1, &buf, &len);
    bex_capture_result live, chip, faces[MAX_FACES];
    int nf = 0;
    if ((all ? extract_all(x, buf, len, "photo", r, faces, MAX_FACES, &nf) : extract(x, buf, len, "photo", r, &live)) != 0) {
        cli_fingers_free(&fing);
        return;
    }
    int has_chip = has_part(x, "doc_photo") || with_chip;
    /* the photos' bytes, kept with their samples while retention "images" keeps images */
    const char *live_buf = buf, *doc_buf = NULL;
    size_t live_len = len, doc_len = 0;
    if (with_chip) { /* the chip's face (DG2): unusable when it cannot be read; the check says why */
        const uint8_t *img;
        size_t ilen;
        memset(&chip, 0, sizeof chip);
        if (bex_chip_face_image(&chip_in, &img, &ilen, chip.message, sizeof chip.message) != BEX_OK) {
            chip.outcome = "unreadable_image";
        } else {
            doc_buf = (const char *)img;
            doc_len = ilen;
            reply probe = {0};
            if (extract(x, (const char *)img, ilen, "dg2", &probe, &chip) != 0) {
                if (probe.status == 503 || probe.status >= 500) { /* busy or failing: answer so */
                    *r = probe;
                    cli_fingers_free(&fing);
                    return;
                }
                free(probe.json);
                memset(&chip, 0, sizeof chip);
                chip.outcome = "unreadable_image";
                snprintf(chip.message, sizeof chip.message, "the chip's face image does not decode");
            }
        }
    } else if (has_chip) {
        photo(x, "doc_photo", 0, &buf, &len);
        doc_buf = buf;
        doc_len = len;
        if (extract(x, buf, len, "doc_photo", r, &chip) != 0) {
            cli_fingers_free(&fing);
            return;
        }
    }
    static _Thread_local float tmpl[MAX_FACES * BEX_TEMPLATE_MAX_DIM]; /* 64 KiB: off the stack */
    float q[MAX_FACES];
    size_t dim = (size_t)bex_store_dim(s->st); /* the engines' model is the store's (serve.c) */
    int usable = 0;
    for (int i = 0; all && i < nf; i++)
        if (faces[i].acquired) {
            memcpy(tmpl + (size_t)usable * dim, faces[i].template_, dim * sizeof(float));
            q[usable++] = faces[i].quality.score;
        }
    if (all) { /* the outcome shown when no face is usable: the largest's */
        memset(&live, 0, sizeof live);
        live.acquired = usable > 0;
        live.outcome = nf ? faces[0].outcome : bex_capture_outcome_name(BEX_ERR_NO_FACE);
        snprintf(live.message, sizeof live.message, "%s", nf ? faces[0].message : "no face found");
    }
    bex_entry_request en = {
        .doc = &doc, .live = !all && live.acquired ? live.template_ : NULL, .live_quality = live.quality.score,
        .live_failure = live.acquired ? NULL : live.outcome, .doc_photo_given = has_chip,
        .doc_photo = has_chip && chip.acquired ? chip.template_ : NULL, .doc_quality = has_chip ? chip.quality.score : 0,
        .doc_photo_failure = has_chip && !chip.acquired ? chip.outcome : NULL, .admission_class = cls,
        .admit_until = until, .port = port, .port_kind = pk, .carrier = arg(x, "carrier"), .voyage = arg(x, "voyage"),
        .at = when, .citizen = citizen, .faces = usable ? tmpl : NULL, .face_quality = q, .n_faces = usable,
        .dim = (int)dim, .chip = with_chip ? &chip_in : NULL, .live_image = live_buf, .live_image_len = live_len,
        .doc_image = doc_buf, .doc_image_len = doc_len, .fingers = fing.c, .n_fingers = fing.n,
        .finger_capture = fing.asked};
    bex_entry_result res;
    int rc;
    bex_store_scan *pre = en.live && !citizen ? scan_ahead(x, en.live, live.dim) : NULL;
    en.live_scan = pre;
    LOCKED(x, rc = bex_border_entry(s->st, &en, &res, err, sizeof err));
    bex_store_scan_free(pre);
    cli_fingers_free(&fing);
    if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
    FILE *f = reply_open(r);
    if (f)
        bex_json_entry(f, &res, live.acquired ? NULL : live.outcome, live.message,
                       has_chip && !chip.acquired ? chip.outcome : NULL, has_chip ? chip.message : NULL);
    reply_done(r, f);
}

static void h_manifest(ctx *x, reply *r) {
    server *s = x->s;
    bex_manifest m;
    char err[512];
    int rc = bex_manifest_parse_json(x->rq->body ? x->rq->body : "", x->rq->len, &m, err, sizeof err);
    if (rc != BEX_OK) return reply_error(r, 400, err);
    int carrier = x->key.role == BEX_ROLE_CARRIER;
    if (carrier && !bex_carrier_owns(x->key.carrier, m.carrier)) {
        bex_manifest_free(&m);
        return deny(x, r, 403, "/v1/manifests", "manifest of another carrier", "a carrier may load only its own manifests");
    }
    /* a departure belongs to the carrier that first declared it: no takeover by another's manifest
     * (bex_border_load_manifest refuses it too, inside its transaction) */
    bex_departure_info had = {0};
    LOCKED(x, rc = bex_border_departure_carrier(s->st, m.id, had.carrier, err, sizeof err));
    had.known = rc == BEX_OK;
    if (bex_departure_ownership(&had, m.carrier) == BEX_OWN_OTHER) {
        bex_manifest_free(&m);
        return deny(x, r, 403, "/v1/manifests", "manifest for a departure of another carrier",
                    "this departure belongs to another carrier (an admin may reassign it)");
    }
    bex_manifest_result res;
    LOCKED(x, rc = bex_border_load_manifest(s->st, &m, NULL, NULL, &res, err, sizeof err));
    if (rc != BEX_OK) {
        bex_manifest_free(&m);
        return reply_error(r, store_status(rc), err);
    }
    FILE *f = reply_open(r);
    if (f) {
        fprintf(f, "{\"departure\":");
        bex_json_str(f, m.id);
        if (carrier) /* no word on who is known to the store */
            fprintf(f, ",\"travellers\":%zu}\n", res.travellers);
        else
            fprintf(f, ",\"direction\":\"%s\",\"travellers\":%zu,\"linked\":%zu,\"with_face\":%zu,\"name_variants\":%zu,"
                       "\"verified\":%zu,\"mismatches\":%d,\"replaced\":%s}\n", bex_direction_name(m.direction),
                    res.travellers, res.linked, res.with_face, res.name_variants, res.verified, res.n_flags,
                    res.replaced ? "true" : "false");
    }
    bex_manifest_free(&m);
    reply_done(r, f);
}

/* An admin's decision: ?departure=ID belongs to ?carrier=CODE now (its traveller list dropped). */
static void h_reassign(ctx *x, reply *r) {
    const char *dep = arg(x, "departure"), *code = arg(x, "carrier");
    if (!dep || !code) return reply_error(r, 400, "a reassignment needs ?departure=ID&carrier=CODE");
    char err[256];
    size_t dropped;
    int rc;
    LOCKED(x, rc = bex_border_reassign_departure(x->s->st, dep, code, &dropped, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
    FILE *f = reply_open(r);
    if (f) {
        fprintf(f, "{\"departure\":");
        bex_json_str(f, dep);
        fprintf(f, ",\"carrier\":");
        bex_json_str(f, code);
        fprintf(f, ",\"travellers_dropped\":%zu}\n", dropped);
    }
    reply_done(r, f);
}

/* A departure's gallery for one registered offline gate (?device=NAME): encrypted to that gate,
 * signed by the service, expiring (border.h: bex_border_gallery_seal); inside, its verified
 * travellers' templates under their manifest positions (bex_border_gallery). */
static void h_gallery(ctx *x, reply *r) {
    server *s = x->s;
    const char *dep = arg(x, "departure"), *device = arg(x, "device");
    char err[512];
    int rc;
    if (!dep) return reply_error(r, 400, "a gallery needs ?departure=ID");
    if (!device) return reply_error(r, 400, "a gallery is sealed to a registered gate: ?device=NAME");
    if (own_departure(x, r, dep, "/v1/galleries", "gallery of another carrier") != 0) return;
    unsigned char *file = NULL;
    size_t n = 0;
    bex_gallery_header h;
    LOCKED(x, rc = bex_border_gallery_seal(s->st, dep, device, &file, &n, &h, NULL, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, rc == BEX_ERR_ARG ? 404 : 500, err);
    r->status = 200;
    r->json = (char *)file;
    r->len = n;
    r->type = "application/octet-stream";
}

/* ---- reports ---- */

static void h_overstays(ctx *x, reply *r) {
    server *s = x->s;
    const char *asof = arg(x, "as_of"), *policy = arg(x, "policy");
    bex_policy pol = BEX_POLICY_US;
    if (policy && bex_policy_parse(policy, &pol) != BEX_OK) return reply_error(r, 400, "?policy= is us or eu");
    bex_day d;
    if (!asof || bex_day_parse(asof, &d) != BEX_OK) return reply_error(r, 400, "overstays need ?as_of=YYYY-MM-DD");
    bex_overstay_row *rows;
    size_t n;
    char err[512];
    int rc;
    LOCKED(x, rc = bex_border_overstays(s->st, asof, pol, &rows, &n, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
    FILE *f = reply_open(r);
    if (f && bex_json_overstays(f, rows, n, asof, pol, 0) < 0) {
        fclose(f);
        f = NULL;
        free(r->json);
        r->json = NULL;
    }
    free(rows);
    reply_done(r, f);
}

/* The flag queue: ?status= ?kind= ?port= ?since= ?until= ?limit= (default 100, at most 1000) ?offset= */
static void h_flags(ctx *x, reply *r) {
    server *s = x->s;
    bex_flag_query q = {.port = arg(x, "port"), .since = arg(x, "since"), .until = arg(x, "until"), .limit = 100};
    const char *status = arg(x, "status"), *kind = arg(x, "kind");
    if (status && bex_flag_status_parse(status, &q.status) != BEX_OK)
        return reply_error(r, 400, "?status= is open, cleared, confirmed or referred");
    if (kind && bex_flag_kind_parse(kind, &q.kind) != BEX_OK) return reply_error(r, 400, "?kind= is no flag kind");
    long long v;
    if (arg(x, "limit")) {
        if (!arg_id(x, "limit", &v) || v > 1000) return reply_error(r, 400, "?limit= is 1 to 1000");
        q.limit = (size_t)v;
    }
    if (arg(x, "offset")) {
        const char *o = arg(x, "offset");
        if (strcmp(o, "0") && !arg_id(x, "offset", &v)) return reply_error(r, 400, "?offset= is a number");
        q.offset = strcmp(o, "0") ? (size_t)v : 0;
    }
    if (arg(x, "before")) { /* keyset paging: the next page after the flag id a page ended with */
        if (!arg_id(x, "before", &v)) return reply_error(r, 400, "?before= is a flag id (a page's next_before)");
        if (q.offset) return reply_error(r, 400, "?before= pages by flag id: it takes no ?offset=");
        q.before = v;
    }
    size_t limit = q.limit;
    q.limit = limit + 1; /* one more: is there a next page? */
    bex_flag *fl;
    size_t n, total;
    char err[512];
    int rc;
    LOCKED(x, rc = bex_border_flags(s->st, &q, &fl, &n, &total, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
    long long next = 0;
    if (n > limit) {
        n = limit;
        next = (long long)fl[n - 1].id;
    }
    FILE *f = reply_open(r);
    if (f) bex_json_flag_page(f, fl, n, total, next);
    free(fl);
    reply_done(r, f);
}

/* ---- look-ups ---- */

/* A record as the store writes it (bex_store_subject_json, bex_store_encounter_json) for ?id=. */
static void record(ctx *x, reply *r, int (*fn)(bex_store *, int64_t, char **, char *, size_t), const char *usage) {
    long long id;
    if (!arg_id(x, "id", &id)) return reply_error(r, 400, usage);
    char *json, err[256];
    int rc;
    LOCKED(x, rc = fn(x->s->st, id, &json, err, sizeof err));
    if (rc == BEX_ERR_ARG) return reply_error(r, 404, err);
    if (rc != BEX_OK) return reply_error(r, 500, err);
    r->status = 200;
    r->json = json;
    r->len = strlen(json);
}

static void h_subject(ctx *x, reply *r) { record(x, r, bex_store_subject_json, "a look-up needs ?id=SUBJECT"); }
static void h_encounter(ctx *x, reply *r) { record(x, r, bex_store_encounter_json, "a look-up needs ?id=ENCOUNTER"); }

/* ?document=&state= or ?surname=&given=&birth= */
static void h_lookup(ctx *x, reply *r) {
    bex_lookup_query q = {.number = arg(x, "document"), .issuing_state = arg(x, "state"), .surname = arg(x, "surname"),
                          .given_names = arg(x, "given"), .birth_date = arg(x, "birth")};
    bex_lookup_hit *h;
    size_t n;
    char err[256];
    int rc;
    LOCKED(x, rc = bex_border_lookup(x->s->st, &q, &h, &n, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
    FILE *f = reply_open(r);
    if (f) bex_json_lookup(f, h, n);
    free(h);
    reply_done(r, f);
}

/* An officer's look-up by fingerprint: finger parts as an exit's, ?subject=ID for 1:1 (the
 * document's holder found by GET /v1/lookup), none for 1:N over every enrolled traveller. */
static void h_lookup_fingers(ctx *x, reply *r) {
    const char *subj = arg(x, "subject");
    int64_t id = 0;
    if (subj && !cli_parse_id(subj, &id)) return reply_error(r, 400, "?subject= takes a subject id");
    static _Thread_local cli_fingers fing;
    if (finger_parts(x, r, 0, "/v1/lookup/fingers", &fing) != 0) return;
    if (fing.n == 0) return reply_error(r, 400, "a look-up by fingerprint needs a finger part (finger1 .. finger10, "
                                        "slap13 .. slap15)");
    bex_finger_decision d;
    char err[512];
    int rc;
    LOCKED(x, rc = bex_border_finger_lookup(x->s->st, id, fing.c, fing.n, NAN, NULL, &d, err, sizeof err));
    cli_fingers_free(&fing);
    if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
    FILE *f = reply_open(r);
    if (f) {
        fputs("{\"subject\":", f);
        if (d.subject) fprintf(f, "%lld", (long long)d.subject);
        else fputs("null", f);
        fputs(",\"finger\":", f);
        bex_json_finger_decision(f, &d);
        fputs("}\n", f);
    }
    reply_done(r, f);
}

static void h_verify(ctx *x, reply *r) {
    const char *a, *b;
    size_t la, lb;
    photo(x, "a", 0, &a, &la);
    photo(x, "b", 0, &b, &lb);
    bex_capture_result ca, cb;
    char err[256];
    if (extract(x, a, la, "a", r, &ca) != 0) return;
    if (extract(x, b, lb, "b", r, &cb) != 0) return;
    if (!ca.acquired || !cb.acquired) { /* a photo that cannot be used: the capture outcome, as bex verify exits 3 */
        char msg[320];
        snprintf(msg, sizeof msg, "photo %s: %s", !ca.acquired ? "a" : "b", !ca.acquired ? ca.message : cb.message);
        return reply_error(r, 422, msg);
    }
    bex_operating_point op;
    const char *fmr_s = arg(x, "fmr");
    char *end = NULL;
    double fmr = fmr_s ? strtod(fmr_s, &end) : BEX_DEFAULT_FMR;
    if ((fmr_s && *end) || !(fmr > 0 && fmr <= 0.1)) return reply_error(r, 400, "?fmr= takes a rate above 0 and at most 0.1");
    /* the model's own calibration (--model: its file; a model without one is refused) */
    if (bex_operating_point_verify_model(x->s->model, BEX_ALIGN_DEFAULT, fmr, &op, err, sizeof err) != BEX_OK)
        return reply_error(r, 400, err);
    bex_match m;
    bex_verify_decide(&op, BEX_GALLERY_DOCUMENT, 0, bex_template_similarity_dim(ca.template_, cb.template_, ca.dim), &m);
    FILE *f = reply_open(r);
    if (f) {
        fprintf(f, "{\"similarity\":%.4f,\"match\":%s,\"operating_point\":", m.score, m.match ? "true" : "false");
        bex_json_str(f, op.name);
        fprintf(f, ",\"threshold\":%.4f,\"quality\":[%.1f,%.1f]}\n", op.threshold, ca.quality.score, cb.quality.score);
    }
    reply_done(r, f);
}

static void h_identify(ctx *x, reply *r) {
    const char *buf;
    size_t len;
    bex_capture_result c;
    char err[256];
    static _Thread_local cli_fingers fing; /* an officer's look-up may add fingers */
    if (finger_parts(x, r, 0, "/v1/identify", &fing) != 0) return;
    photo(x, "photo", 1, &buf, &len);
    if (extract(x, buf, len, "photo", r, &c) != 0) {
        cli_fingers_free(&fing);
        return;
    }
    if (!c.acquired) {
        cli_fingers_free(&fing);
        return reply_error(r, 422, c.message);
    }
    if (bex_store_template_check(x->s->st, NULL, c.dim, err, sizeof err) != BEX_OK) {
        cli_fingers_free(&fing);
        return reply_error(r, 500, err);
    }
    bex_index_hit hits[5];
    size_t n;
    bex_match m;
    bex_finger_decision fd;
    int rc;
    bex_store_scan *pre = scan_ahead(x, c.template_, c.dim);
    LOCKED(x, rc = bex_border_identify_fingers(x->s->st, pre, c.template_, fing.c, fing.n, hits, &n, &m, &fd, err,
                                               sizeof err));
    bex_store_scan_free(pre);
    cli_fingers_free(&fing);
    if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
    FILE *f = reply_open(r);
    if (f) {
        fprintf(f, "{\"candidates\":[");
        for (size_t i = 0; i < n; i++)
            fprintf(f, "%s{\"subject\":%lld,\"score\":%.4f}", i ? "," : "", (long long)hits[i].subject_id, hits[i].score);
        fprintf(f, "]");
        bex_json_match(f, "decision", &m);
        if (fd.compared) {
            fputs(",\"finger\":", f);
            bex_json_finger_decision(f, &fd);
        }
        fprintf(f, "}\n");
    }
    reply_done(r, f);
}

/* ---- officers' case work ---- */

static void h_decide(ctx *x, reply *r) {
    long long enc;
    const char *d = arg(x, "decision");
    if (!arg_id(x, "encounter", &enc) || !d || (strcmp(d, "admit") && strcmp(d, "refuse")))
        return reply_error(r, 400, "a decision needs ?encounter=ID&decision=admit|refuse");
    bex_decision dec = !strcmp(d, "admit") ? BEX_DECISION_ADMITTED : BEX_DECISION_REFUSED;
    int64_t adm;
    char err[256];
    int rc;
    LOCKED(x, rc = bex_border_decide_entry(x->s->st, enc, dec, &adm, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
    FILE *f = reply_open(r);
    if (f) {
        fprintf(f, "{\"encounter\":%lld,\"decision\":\"%s\",\"admission\":", enc, bex_decision_name(dec));
        if (adm) fprintf(f, "%lld}\n", (long long)adm);
        else fprintf(f, "null}\n");
    }
    reply_done(r, f);
}

static void h_override(ctx *x, reply *r) {
    long long enc, subj;
    if (!arg_id(x, "encounter", &enc) || !arg_id(x, "subject", &subj))
        return reply_error(r, 400, "an override needs ?encounter=ID&subject=ID");
    int64_t adm;
    char err[256];
    int rc;
    LOCKED(x, rc = bex_border_override_exit(x->s->st, enc, subj, &adm, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
    FILE *f = reply_open(r);
    if (f) {
        fprintf(f, "{\"encounter\":%lld,\"subject\":%lld,\"outcome\":\"officer_override\",\"admission\":", enc, subj);
        if (adm) fprintf(f, "%lld}\n", (long long)adm);
        else fprintf(f, "null}\n");
    }
    reply_done(r, f);
}

static void h_flag_status(ctx *x, reply *r) {
    long long id;
    bex_flag_status st;
    if (!arg_id(x, "id", &id) || !arg(x, "status") || bex_flag_status_parse(arg(x, "status"), &st) != BEX_OK)
        return reply_error(r, 400, "a finding needs ?id=FLAG&status=open|cleared|confirmed|referred");
    char err[256];
    int rc;
    LOCKED(x, rc = bex_border_flag_status(x->s->st, id, st, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, rc == BEX_ERR_ARG ? 404 : 500, err);
    FILE *f = reply_open(r);
    if (f) fprintf(f, "{\"flag\":%lld,\"status\":\"%s\"}\n", id, bex_flag_status_name(st));
    reply_done(r, f);
}

static void h_merge(ctx *x, reply *r) {
    long long keep, other;
    if (!arg_id(x, "keep", &keep) || !arg_id(x, "other", &other))
        return reply_error(r, 400, "a merge needs ?keep=SUBJECT&other=SUBJECT");
    int64_t m;
    char err[256];
    int rc;
    LOCKED(x, rc = bex_border_merge(x->s->st, keep, other, &m, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
    FILE *f = reply_open(r);
    if (f) fprintf(f, "{\"merge\":%lld,\"kept\":%lld,\"merged\":%lld}\n", (long long)m, keep, other);
    reply_done(r, f);
}

static void h_unmerge(ctx *x, reply *r) {
    long long id;
    if (!arg_id(x, "id", &id)) return reply_error(r, 400, "undoing a merge needs ?id=MERGE");
    char err[256];
    int rc;
    LOCKED(x, rc = bex_border_unmerge(x->s->st, id, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
    FILE *f = reply_open(r);
    if (f) fprintf(f, "{\"merge\":%lld,\"undone\":true}\n", id);
    reply_done(r, f);
}

static void h_reclassify(ctx *x, reply *r) {
    long long id;
    if (!arg_id(x, "subject", &id) || !arg(x, "as") || strcmp(arg(x, "as"), "citizen"))
        return reply_error(r, 400, "a reclassification needs ?subject=ID&as=citizen");
    char err[256];
    int rc;
    LOCKED(x, rc = bex_border_reclassify_citizen(x->s->st, id, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, rc == BEX_ERR_ARG ? 404 : 500, err);
    FILE *f = reply_open(r);
    if (f) fprintf(f, "{\"subject\":%lld,\"citizen\":true}\n", id);
    reply_done(r, f);
}

static void h_erase(ctx *x, reply *r) {
    long long id, n;
    if (!arg_id(x, "subject", &id)) return reply_error(r, 400, "erasing biometrics needs ?subject=ID");
    char err[256];
    int rc;
    LOCKED(x, rc = bex_border_erase_biometrics(x->s->st, id, &n, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, rc == BEX_ERR_ARG ? 404 : 500, err);
    FILE *f = reply_open(r);
    if (f) fprintf(f, "{\"subject\":%lld,\"samples_deleted\":%lld}\n", id, n);
    reply_done(r, f);
}

/* ---- admin ---- */

static void h_purge(ctx *x, reply *r) {
    bex_purge_result p;
    char err[256];
    int rc;
    LOCKED(x, rc = bex_border_purge(x->s->st, arg(x, "as_of"), &p, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
    FILE *f = reply_open(r);
    if (f)
        fprintf(f, "{\"deleted\":{\"citizen_samples\":%lld,\"unmatched_samples\":%lld,\"images\":%lld,\"records\":%lld,"
                   "\"overstayer_records\":%lld,\"unmatched_exits\":%lld}}\n", p.citizen_samples, p.unmatched_samples,
                p.images, p.subjects, p.overstayer_subjects, p.unmatched_encounters);
    reply_done(r, f);
}

static void h_key_add(ctx *x, reply *r) {
    char key[65], err[256];
    int64_t id;
    bex_role role;
    if (!arg(x, "role") || bex_role_parse(arg(x, "role"), &role) != BEX_OK)
        return reply_error(r, 400, "a key needs ?role=officer|carrier|analyst|auditor|admin");
    int rc;
    LOCKED(x, rc = bex_store_key_add(x->s->st, role, arg(x, "carrier"), arg(x, "label"), key, &id, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
    FILE *f = reply_open(r);
    if (f) fprintf(f, "{\"id\":%lld,\"role\":\"%s\",\"key\":\"%s\"}\n", (long long)id, bex_role_name(role), key);
    reply_done(r, f);
}

static void h_key_revoke(ctx *x, reply *r) {
    char err[256];
    long long id;
    if (!arg_id(x, "id", &id)) return reply_error(r, 400, "a revocation needs ?id=KEY_ID");
    int rc;
    LOCKED(x, rc = bex_store_key_revoke(x->s->st, id, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, rc == BEX_ERR_ARG ? 404 : 500, err);
    FILE *f = reply_open(r);
    if (f) fprintf(f, "{\"id\":%lld,\"revoked\":true}\n", id);
    reply_done(r, f);
}

/* POST: one trust file (the raw body, or the multipart part `file`) into the store's trust
 * store; ?name= names it, ?trusted_list=1 vouches for a master list, ?at= the check time. The
 * body is bounded by the server's body limit (--max-body, 16 MiB by default) below the
 * library's 32 MiB: a larger master list is loaded with `bex trust load`. */
static void h_trust_load(ctx *x, reply *r) {
    const char *buf;
    size_t len;
    char err[512];
    photo(x, "file", 1, &buf, &len);
    if (!buf || !len)
        return reply_error(r, 400, "a trust file is the body: a CSCA certificate, CRLs or an ICAO master list, PEM or DER");
    int64_t t = 0;
    char now[24];
    const char *at = arg(x, "at");
    if (!at) {
        bex_time_now(now);
        at = now;
    }
    if (bex_time_parse(at, &t) != BEX_OK) return reply_error(r, 400, "at takes an ISO 8601 time");
    const char *name = arg(x, "name");
    bex_trust_file_info info;
    int rc;
    LOCKED(x, rc = bex_store_trust_load(x->s->st, (const uint8_t *)buf, len, name ? name : "upload",
                                         arg_flag(x, "trusted_list") ? BEX_TRUST_ML_TRUSTED : 0, t, &info, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, rc == BEX_ERR_CORRUPT ? 400 : store_status(rc), err);
    FILE *f = reply_open(r);
    if (f) cli_print_trust_load(f, &info);
    reply_done(r, f);
}

/* GET: the trust files in force (?all=1: removed ones too) and the trust store's counts. */
static void h_trust_list(ctx *x, reply *r) {
    bex_trust_file_info *rows = NULL;
    size_t n = 0;
    const bex_trust_store *ts = NULL;
    char err[512];
    int rc;
    FILE *f = NULL;
    pthread_mutex_lock(&x->s->st_lock); /* the trust store is the handle's: written out under the lock */
    bex_store_set_actor(x->s->st, x->actor);
    rc = bex_store_trust_list(x->s->st, arg_flag(x, "all"), &rows, &n, err, sizeof err);
    if (rc == BEX_OK) rc = bex_store_trust_get(x->s->st, &ts, err, sizeof err);
    if (rc == BEX_OK && (f = reply_open(r))) cli_print_trust_list(f, rows, n, ts);
    pthread_mutex_unlock(&x->s->st_lock);
    free(rows);
    if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
    reply_done(r, f);
}

/* POST ?id=: a trust file withdrawn (a compromised CSCA). */
static void h_trust_remove(ctx *x, reply *r) {
    char err[256];
    long long id;
    if (!arg_id(x, "id", &id)) return reply_error(r, 400, "a removal needs ?id=TRUST_FILE_ID");
    int rc;
    LOCKED(x, rc = bex_store_trust_remove(x->s->st, id, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, rc == BEX_ERR_ARG ? 404 : store_status(rc), err);
    FILE *f = reply_open(r);
    if (f) fprintf(f, "{\"id\":%lld,\"removed\":true}\n", id);
    reply_done(r, f);
}

static void h_retention(ctx *x, reply *r) {
    const char *cat = arg(x, "category"), *v = arg(x, "seconds"), *period = arg(x, "period");
    char err[256];
    long long secs = -1;
    if (!cat || !v == !period)
        return reply_error(r, 400, "retention needs ?category=NAME and one of &period=3y (or forever) and &seconds=N");
    /* seconds are a plain number of seconds (no unit, never "forever"); period as on the CLI */
    int rc = bex_retention_parse(period ? period : v, &secs, err, sizeof err);
    if (rc == BEX_OK && v && (secs == BEX_RETENTION_FOREVER || strspn(v, "0123456789") != strlen(v))) {
        snprintf(err, sizeof err, "seconds takes a whole number of seconds (at most %lld); period=forever keeps "
                 "without end", BEX_RETENTION_MAX_SECONDS);
        rc = BEX_ERR_ARG;
    }
    if (rc == BEX_OK) LOCKED(x, rc = bex_border_set_retention(x->s->st, cat, secs, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
    FILE *f = reply_open(r);
    if (f) {
        char b[24];
        fprintf(f, "{\"category\":");
        bex_json_str(f, cat);
        if (secs == BEX_RETENTION_FOREVER) fprintf(f, ",\"seconds\":null,\"period\":\"forever\"}\n");
        else fprintf(f, ",\"seconds\":%s}\n", bex_retention_text(secs, b));
    }
    reply_done(r, f);
}

/* GET: the settings; POST ?name=&value=: one of them changed. */
static void settings(ctx *x, reply *r, int set) {
    char err[256];
    int rc = BEX_OK;
    bex_border_settings s;
    if (set) {
        if (!arg(x, "name") || !arg(x, "value")) return reply_error(r, 400, "a setting needs ?name=&value=");
        LOCKED(x, rc = bex_border_settings_set(x->s->st, arg(x, "name"), arg(x, "value"), err, sizeof err));
    }
    if (rc == BEX_OK) LOCKED(x, rc = bex_border_settings_get(x->s->st, &s, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
    FILE *f = reply_open(r);
    if (f)
        fprintf(f, "{\"home_state\":\"%s\",\"departure_before_s\":%lld,\"departure_after_s\":%lld,"
                   "\"gallery_window_s\":%lld}\n", s.home_state, s.departure_before_s, s.departure_after_s,
                s.gallery_window_s);
    reply_done(r, f);
}

static void h_settings_get(ctx *x, reply *r) { settings(x, r, 0); }
static void h_settings_set(ctx *x, reply *r) { settings(x, r, 1); }

static void h_audit(ctx *x, reply *r) {
    long long entries, bad;
    int found;
    char head[65], err[512];
    const char *known = arg(x, "head");
    int rc;
    LOCKED(x, rc = bex_store_audit_verify(x->s->st, known, &entries, &bad, &found, head, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
    FILE *f = reply_open(r);
    if (f) {
        fprintf(f, "{\"entries\":%lld,\"ok\":%s,\"first_bad\":", entries, !bad && (!known || found) ? "true" : "false");
        if (bad) fprintf(f, "%lld", bad);
        else fprintf(f, "null");
        fprintf(f, ",\"head\":\"%s\"", head);
        if (known) fprintf(f, ",\"head_found\":%s", found ? "true" : "false");
        fprintf(f, "}\n");
    }
    reply_done(r, f);
}

/* ---- the console's reads (issue 15) ---- */

/* 404 {"error":"not retained","retained":false}: retention kept no image of what was asked. */
static void reply_not_retained(reply *r) {
    r->status = 404;
    r->json = strdup("{\"error\":\"not retained\",\"retained\":false}\n");
    r->len = r->json ? strlen(r->json) : 0;
    if (!r->json) reply_error(r, 500, "out of memory");
}

/* The most pixels a photo converted to PNG (?as=png) may have: a chip's DG2 face is far smaller. */
#define PHOTO_PNG_MAX_PIXELS ((uint64_t)16000000)

/* GET ?encounter=ID[&kind=live|document] or ?sample=ID[&as=png]: the image bytes retention kept,
 * with their Content-Type, or (as=png) decoded by bex's own decoders and encoded as PNG, for a
 * browser that cannot draw the format (a chip's JPEG 2000); 404 {"error":"not retained",
 * "retained":false} when it kept none. */
static void h_photo(ctx *x, reply *r) {
    long long enc = 0, smp = 0;
    const char *kind = arg(x, "kind"), *as = arg(x, "as");
    if (as && strcmp(as, "png")) return reply_error(r, 400, "?as= is png (or absent: the bytes as kept)");
    int has_enc = arg(x, "encounter") != NULL, has_smp = arg(x, "sample") != NULL;
    if (has_enc == has_smp || (has_enc && !arg_id(x, "encounter", &enc)) || (has_smp && !arg_id(x, "sample", &smp)) ||
        (kind && (has_smp || (strcmp(kind, "live") && strcmp(kind, "document")))))
        return reply_error(r, 400, "a photo needs ?encounter=ID[&kind=live|document] or ?sample=ID");
    uint8_t *img;
    size_t len;
    int64_t sid;
    char err[256];
    int rc;
    LOCKED(x, rc = bex_store_photo(x->s->st, enc, kind, smp, &img, &len, &sid, err, sizeof err));
    if (rc == BEX_ERR_ARG) return reply_error(r, 404, err);
    if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
    if (!img) return reply_not_retained(r);
    bex_image_format fmt = bex_image_sniff(img, len);
    if (as && fmt != BEX_IMAGE_PNG) {
        bex_image_limits lim = {.max_file_bytes = len, .max_pixels = PHOTO_PNG_MAX_PIXELS};
        bex_image im = {0};
        uint8_t *png = NULL;
        size_t plen = 0;
        rc = bex_image_decode(img, len, &lim, &im, err, sizeof err);
        free(img);
        if (rc == BEX_OK) rc = bex_image_encode_png(&im, &png, &plen, err, sizeof err);
        bex_image_free(&im);
        if (rc == BEX_ERR_NOMEM) return reply_error(r, 500, "out of memory");
        if (rc != BEX_OK) return reply_error(r, 422, err);
        img = png;
        len = plen;
        fmt = BEX_IMAGE_PNG;
    }
    r->status = 200;
    r->json = (char *)img;
    r->len = len;
    r->type = fmt == BEX_IMAGE_JPEG ? "image/jpeg" : fmt == BEX_IMAGE_PNG ? "image/png"
              : fmt == BEX_IMAGE_JP2 ? "image/jp2" : "application/octet-stream";
}

/* The most pixels a finger image shown as PNG may have: a 500 ppi ten-print card's finger is far
 * smaller (a slap is about 1600 x 1500). */
#define FINGER_PNG_MAX_PIXELS ((uint64_t)4000000)

/* GET ?sample=ID: a finger sample's image as retention kept it (issue 17), decoded by bex's own
 * decoders (WSQ, TIFF, ...) and answered as a grey PNG a browser can draw; 404 {"error":"not
 * retained","retained":false} when it kept none. Officers only (bex_role_fingerprints: an
 * admin, who may see photos, sees no fingerprint); an audited read ("read_finger_image"). */
static void h_finger_image(ctx *x, reply *r) {
    if (!bex_role_fingerprints(x->key.role))
        return deny(x, r, 403, "/v1/finger/image", "finger image asked by a role that may not",
                    "only officers receive fingerprints");
    long long smp;
    if (!arg_id(x, "sample", &smp)) return reply_error(r, 400, "a finger image needs ?sample=ID (a finger sample's id)");
    uint8_t *img;
    size_t len;
    char err[256];
    int rc;
    LOCKED(x, rc = bex_store_finger_image(x->s->st, smp, &img, &len, err, sizeof err));
    if (rc == BEX_ERR_ARG) return reply_error(r, 404, err);
    if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
    if (!img) return reply_not_retained(r);
    bex_image_limits lim = {.max_file_bytes = len, .max_pixels = FINGER_PNG_MAX_PIXELS};
    bex_finger_image fi = {0};
    rc = bex_finger_image_decode(img, len, 0, &lim, &fi, err, sizeof err);
    free(img);
    bex_image rgb = {0};
    uint8_t *png = NULL;
    size_t plen = 0;
    if (rc == BEX_OK) { /* grey to the RGB bex_image_encode_png takes */
        rgb.px = malloc((size_t)fi.width * (size_t)fi.height * 3);
        if (!rgb.px) rc = BEX_ERR_NOMEM;
        else {
            rgb.width = fi.width;
            rgb.height = fi.height;
            for (size_t i = 0; i < (size_t)fi.width * (size_t)fi.height; i++)
                rgb.px[3 * i] = rgb.px[3 * i + 1] = rgb.px[3 * i + 2] = fi.px[i];
        }
    }
    bex_finger_image_free(&fi);
    if (rc == BEX_OK) rc = bex_image_encode_png(&rgb, &png, &plen, err, sizeof err);
    bex_image_free(&rgb);
    if (rc == BEX_ERR_NOMEM) return reply_error(r, 500, "out of memory");
    if (rc != BEX_OK) return reply_error(r, 422, err);
    r->status = 200;
    r->json = (char *)png;
    r->len = plen;
    r->type = "image/png";
}

/* GET ?encounter=ID: each candidate of the encounter's flags compared 1:1 with its live capture
 * (border.h: bex_border_candidates), as `bex candidates ID` prints it; 404 for an unknown one. */
static void h_candidates(ctx *x, reply *r) {
    long long enc;
    if (!arg_id(x, "encounter", &enc)) return reply_error(r, 400, "candidates need ?encounter=ID");
    bex_candidates c;
    char err[256];
    int rc;
    LOCKED(x, rc = bex_border_candidates(x->s->st, enc, &c, err, sizeof err));
    if (rc == BEX_ERR_ARG) return reply_error(r, 404, err);
    if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
    FILE *f = reply_open(r);
    if (f) bex_json_candidates(f, &c);
    reply_done(r, f);
}

/* GET ?from=YYYY-MM-DD&to=YYYY-MM-DD&by=port|day|age_band|sex */
static void h_rates(ctx *x, reply *r) {
    bex_rates_by by = BEX_RATES_BY_PORT;
    const char *b = arg(x, "by"), *from = arg(x, "from"), *to = arg(x, "to");
    if (b && bex_rates_by_parse(b, &by) != BEX_OK) return reply_error(r, 400, "?by= is port, day, age_band or sex");
    if (!from || !to) return reply_error(r, 400, "a rates report needs ?from=YYYY-MM-DD&to=YYYY-MM-DD");
    bex_rate_row *rows;
    size_t n;
    char err[256];
    int rc;
    LOCKED(x, rc = bex_border_rates(x->s->st, from, to, by, &rows, &n, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
    FILE *f = reply_open(r);
    if (f) bex_json_rates(f, by, from, to, rows, n);
    free(rows);
    reply_done(r, f);
}

/* The evaluation's folder opened for openat (no path is ever joined to a name); -1 on failure. */
static int eval_dir_fd(const ctx *x) { return open(x->s->eval_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC); }

#define EVAL_MAX_FILES 1000
#define EVAL_MAX_BYTES (16u << 20)

static int name_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* GET: the evaluation's files in --eval-dir (names bex_eval_file_type takes; plain files only,
 * no links followed), by name: {"files":[{"name","type","bytes"}]}. */
static void h_eval_files(ctx *x, reply *r) {
    if (!x->s->eval_dir) return reply_error(r, 404, "no evaluation's files here: the service runs without --eval-dir");
    int dfd = eval_dir_fd(x);
    DIR *d = dfd < 0 ? NULL : fdopendir(dup(dfd));
    if (!d) {
        if (dfd >= 0) close(dfd);
        return reply_error(r, 500, "the evaluation's folder cannot be read");
    }
    char *names[EVAL_MAX_FILES];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < EVAL_MAX_FILES)
        if (bex_eval_file_type(e->d_name) && (names[n] = strdup(e->d_name))) n++;
    closedir(d);
    qsort(names, n, sizeof *names, name_cmp);
    FILE *f = reply_open(r);
    if (f) fprintf(f, "{\"files\":[");
    int k = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat sb;
        if (f && fstatat(dfd, names[i], &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode) &&
            (unsigned long long)sb.st_size <= EVAL_MAX_BYTES) {
            fprintf(f, "%s{\"name\":\"%s\",\"type\":\"%s\",\"bytes\":%lld}", k++ ? "," : "", names[i],
                    bex_eval_file_type(names[i]), (long long)sb.st_size);
        }
        free(names[i]);
    }
    close(dfd);
    if (f) fprintf(f, "]}\n");
    reply_done(r, f);
}

/* GET ?name=NAME: one of them, as it is (its Content-Type from its name's ending). */
static void h_eval_file(ctx *x, reply *r) {
    if (!x->s->eval_dir) return reply_error(r, 404, "no evaluation's files here: the service runs without --eval-dir");
    const char *name = arg(x, "name"), *type = bex_eval_file_type(name);
    if (!type)
        return reply_error(r, 400, "?name= is a file name of A-Z a-z 0-9 . _ - ending .svg, .csv or .json (no path)");
    int dfd = eval_dir_fd(x);
    int fd = dfd < 0 ? -1 : openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (dfd >= 0) close(dfd);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        if (fd >= 0) close(fd);
        return reply_error(r, 404, "no such evaluation file");
    }
    if ((unsigned long long)sb.st_size > EVAL_MAX_BYTES) {
        close(fd);
        return reply_error(r, 413, "the evaluation file is over 16 MiB");
    }
    size_t len = (size_t)sb.st_size, got = 0;
    char *b = malloc(len + 1);
    while (b && got < len) {
        ssize_t k = read(fd, b + got, len - got);
        if (k <= 0) break;
        got += (size_t)k;
    }
    close(fd);
    if (!b || got != len) {
        free(b);
        return reply_error(r, 500, "the evaluation file cannot be read");
    }
    b[len] = 0;
    r->status = 200;
    r->json = b;
    r->len = len;
    r->type = !strcmp(type, "application/json") ? NULL : type;
}

/* GET ?key=ID&action=NAME&since=&until=&before=ID&limit=N: the audit log, newest first. */
static void h_audit_search(ctx *x, reply *r) {
    bex_audit_query q = {.action = arg(x, "action")};
    long long v;
    char since[24], until[24], err[256];
    if (arg(x, "key")) {
        if (!arg_id(x, "key", &v)) return reply_error(r, 400, "?key= is a key id");
        q.key_id = v;
    }
    if (arg(x, "before")) {
        if (!arg_id(x, "before", &v)) return reply_error(r, 400, "?before= is an audit row id (a page's next_before)");
        q.before = v;
    }
    if (arg(x, "limit")) {
        if (!arg_id(x, "limit", &v) || v > BEX_AUDIT_MAX_ROWS) return reply_error(r, 400, "?limit= is 1 to 500");
        q.limit = (size_t)v;
    }
    if ((arg(x, "since") && bex_time_canonical(arg(x, "since"), since) != BEX_OK) ||
        (arg(x, "until") && bex_time_canonical(arg(x, "until"), until) != BEX_OK))
        return reply_error(r, 400, "?since= and ?until= are ISO 8601 days or times");
    if (arg(x, "since")) q.since = since;
    if (arg(x, "until")) q.until = until;
    bex_audit_row *rows;
    size_t n;
    int64_t next;
    int rc;
    LOCKED(x, rc = bex_store_audit_search(x->s->st, &q, &rows, &n, &next, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
    FILE *f = reply_open(r);
    if (f) {
        fprintf(f, "{\"rows\":[");
        for (size_t i = 0; i < n; i++) {
            fprintf(f, "%s{\"id\":%lld,\"at\":\"%s\",\"actor\":", i ? "," : "", (long long)rows[i].id, rows[i].at);
            bex_json_str(f, rows[i].actor);
            if (rows[i].key_id) fprintf(f, ",\"key_id\":%lld", (long long)rows[i].key_id);
            else fprintf(f, ",\"key_id\":null");
            fprintf(f, ",\"action\":");
            bex_json_str(f, rows[i].action);
            fprintf(f, ",\"object\":");
            bex_json_str(f, rows[i].object);
            fprintf(f, ",\"detail\":");
            bex_json_str(f, rows[i].detail);
            fputc('}', f);
        }
        if (next) fprintf(f, "],\"next_before\":%lld}\n", (long long)next);
        else fprintf(f, "],\"next_before\":null}\n");
    }
    free(rows);
    reply_done(r, f);
}

/* GET: every key, valid or revoked, without secrets. */
static void h_keys_list(ctx *x, reply *r) {
    bex_api_key *k;
    size_t n;
    char err[256];
    int rc;
    LOCKED(x, rc = bex_store_key_list(x->s->st, &k, &n, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
    FILE *f = reply_open(r);
    if (f) {
        fprintf(f, "{\"keys\":[");
        for (size_t i = 0; i < n; i++) {
            fprintf(f, "%s{\"id\":%lld,\"role\":\"%s\",\"label\":", i ? "," : "", (long long)k[i].id, bex_role_name(k[i].role));
            bex_json_str(f, k[i].label);
            fprintf(f, ",\"carrier\":");
            if (k[i].carrier[0]) bex_json_str(f, k[i].carrier);
            else fputs("null", f);
            fprintf(f, ",\"created_at\":\"%s\",\"revoked_at\":", k[i].created_at);
            if (k[i].revoked_at[0]) fprintf(f, "\"%s\"}", k[i].revoked_at);
            else fputs("null}", f);
        }
        fprintf(f, "]}\n");
    }
    free(k);
    reply_done(r, f);
}

/* GET: the gate devices registered (bex gate register), no keys. */
static void h_gates_list(ctx *x, reply *r) {
    bex_gate_device *g;
    size_t n;
    char err[256];
    int rc;
    LOCKED(x, rc = bex_border_gate_list(x->s->st, &g, &n, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
    FILE *f = reply_open(r);
    if (f) {
        fprintf(f, "{\"gates\":[");
        for (size_t i = 0; i < n; i++) {
            fprintf(f, "%s{\"id\":%lld,\"name\":", i ? "," : "", (long long)g[i].id);
            bex_json_str(f, g[i].name);
            fprintf(f, ",\"port\":");
            if (g[i].port[0]) bex_json_str(f, g[i].port);
            else fputs("null", f);
            fprintf(f, ",\"registered_at\":\"%s\",\"revoked_at\":", g[i].created_at);
            if (g[i].revoked_at[0]) fprintf(f, "\"%s\"}", g[i].revoked_at);
            else fputs("null}", f);
        }
        fprintf(f, "]}\n");
    }
    free(g);
    reply_done(r, f);
}

/* GET: the retention periods, {"retention":{"CATEGORY":{"seconds":N|null,"period":"forever"?}}}. */
static void h_retention_get(ctx *x, reply *r) {
    static const char *const cats[] = {"citizen_biometrics", "unmatched_captures", "images", "records",
                                       "overstayer_records"};
    long long secs[5];
    char err[256];
    int rc = BEX_OK;
    for (int i = 0; i < 5 && rc == BEX_OK; i++) LOCKED(x, rc = bex_store_get_retention(x->s->st, cats[i], &secs[i], err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
    FILE *f = reply_open(r);
    if (f) {
        fprintf(f, "{\"retention\":{");
        for (int i = 0; i < 5; i++) {
            if (secs[i] == BEX_RETENTION_FOREVER) fprintf(f, "%s\"%s\":{\"seconds\":null,\"period\":\"forever\"}", i ? "," : "", cats[i]);
            else fprintf(f, "%s\"%s\":{\"seconds\":%lld}", i ? "," : "", cats[i], secs[i]);
        }
        fprintf(f, "}}\n");
    }
    reply_done(r, f);
}

const route server_routes[] = {
    {"GET", "/v1/health", BEX_ACT_NONE, h_health},
    {"GET", "/metrics", BEX_ACT_NONE, h_metrics},
    {"GET", "/v1/openapi.json", BEX_ACT_NONE, h_openapi},
    {"POST", "/v1/session", BEX_ACT_NONE, console_session_start},
    {"GET", "/v1/session", BEX_ACT_NONE, console_session_get},
    {"POST", "/v1/session/end", BEX_ACT_NONE, console_session_end},
    {"POST", "/v1/exits", BEX_ACT_EXIT, h_exit},
    {"POST", "/v1/entries", BEX_ACT_ENTRY, h_entry},
    {"POST", "/v1/decide", BEX_ACT_DECIDE, h_decide},
    {"POST", "/v1/manifests", BEX_ACT_MANIFEST, h_manifest},
    {"GET", "/v1/overstays", BEX_ACT_OVERSTAYS, h_overstays},
    {"GET", "/v1/flags", BEX_ACT_FLAGS, h_flags},
    {"POST", "/v1/flags/status", BEX_ACT_FLAG_STATUS, h_flag_status},
    {"GET", "/v1/subject", BEX_ACT_SUBJECT, h_subject},
    {"GET", "/v1/encounter", BEX_ACT_ENCOUNTER, h_encounter},
    {"GET", "/v1/lookup", BEX_ACT_LOOKUP, h_lookup},
    {"POST", "/v1/lookup/fingers", BEX_ACT_LOOKUP, h_lookup_fingers},
    {"POST", "/v1/override", BEX_ACT_OVERRIDE, h_override},
    {"POST", "/v1/merge", BEX_ACT_MERGE, h_merge},
    {"POST", "/v1/merge/undo", BEX_ACT_MERGE, h_unmerge},
    {"POST", "/v1/reclassify", BEX_ACT_RECLASSIFY, h_reclassify},
    {"POST", "/v1/erase", BEX_ACT_ERASE, h_erase},
    {"POST", "/v1/verify", BEX_ACT_VERIFY, h_verify},
    {"POST", "/v1/identify", BEX_ACT_IDENTIFY, h_identify},
    {"POST", "/v1/purge", BEX_ACT_PURGE, h_purge},
    {"POST", "/v1/galleries", BEX_ACT_GALLERY, h_gallery},
    {"POST", "/v1/departures/reassign", BEX_ACT_REASSIGN, h_reassign},
    {"POST", "/v1/keys", BEX_ACT_KEYS, h_key_add},
    {"POST", "/v1/keys/revoke", BEX_ACT_KEYS, h_key_revoke},
    {"POST", "/v1/retention", BEX_ACT_RETENTION, h_retention},
    {"GET", "/v1/settings", BEX_ACT_SETTINGS, h_settings_get},
    {"POST", "/v1/settings", BEX_ACT_SETTINGS, h_settings_set},
    {"GET", "/v1/audit/verify", BEX_ACT_AUDIT, h_audit},
    {"GET", "/v1/audit", BEX_ACT_AUDIT, h_audit_search},
    {"GET", "/v1/photo", BEX_ACT_PHOTO, h_photo},
    {"GET", "/v1/finger/image", BEX_ACT_PHOTO, h_finger_image},
    {"GET", "/v1/candidates", BEX_ACT_PHOTO, h_candidates},
    {"GET", "/v1/reports/rates", BEX_ACT_REPORTS, h_rates},
    {"GET", "/v1/eval/files", BEX_ACT_EVAL, h_eval_files},
    {"GET", "/v1/eval/file", BEX_ACT_EVAL, h_eval_file},
    {"GET", "/v1/keys", BEX_ACT_KEYS, h_keys_list},
    {"GET", "/v1/gates", BEX_ACT_GATES, h_gates_list},
    {"GET", "/v1/retention", BEX_ACT_RETENTION, h_retention_get},
    {"POST", "/v1/trust", BEX_ACT_TRUST, h_trust_load},
    {"GET", "/v1/trust", BEX_ACT_TRUST, h_trust_list},
    {"POST", "/v1/trust/remove", BEX_ACT_TRUST, h_trust_remove},
};
const size_t server_n_routes = sizeof server_routes / sizeof *server_routes;
