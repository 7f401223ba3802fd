/*
 * serve.c - `bex serve`: the record system over HTTP/JSON for gates, kiosks, carriers and
 * officers, on libmicrohttpd.
 *
 *   bex serve [--db FILE] [--listen ADDR:PORT] [--workers N] [--queue N] [--max-body BYTES]
 *             [--max-pixels N] [--timeout S] [--tls-cert PEM --tls-key PEM]
 *
 * One thread per connection; face extraction runs on a fixed pool of N engines (default: the
 * cores) behind a bounded queue: a photo that would wait behind more than --queue others is
 * answered 503 with Retry-After at once. One store, behind a mutex (a crossing's store work
 * is about 1-2 ms; the networks take about 50 ms a photo). Every request but health and
 * metrics carries an API key (Authorization: Bearer KEY, or X-API-Key: KEY; `bex keys add`)
 * whose role decides what it may do; a denial is answered 401 / 403 and audited. SIGTERM or
 * SIGINT: no new connections, requests in flight finish, then the store closes.
 *
 * Routes (v1; photos are raw JPEG / PNG / JPEG 2000 bodies, other fields are query
 * parameters):
 *   GET  /v1/health                                   anyone
 *   GET  /metrics                                     anyone (counts and latencies only)
 *   GET  /v1/openapi.json                             anyone: docs/openapi.json, compiled in
 *   POST /v1/exits?port=&departure=&at=&port_kind=    officer; carrier (its own departures:
 *                                                     the decision and a transaction id only)
 *   POST /v1/entries?mrz=&class=&admit_until=|ds=1&port=&port_kind=&at=&citizen=1   officer
 *   POST /v1/manifests  (JSON body)                   officer; carrier (its own carrier code)
 *   GET  /v1/overstays?as_of=&policy=us|eu            officer, analyst
 *   GET  /v1/flags                                    officer, analyst
 *   GET  /v1/subject?id=                              officer: one traveller's record
 *   POST /v1/verify  (form: parts a and b) ?fmr=      officer: 1:1 at a calibrated FMR
 *   POST /v1/identify (photo)                         officer: 1:N against every traveller
 *   POST /v1/purge?as_of=                             admin: what retention says is due
 *   GET  /v1/encounter?id=                            officer: one crossing
 *   POST /v1/galleries?departure=                     officer; carrier (own): the gate's gallery file
 *   POST /v1/keys?role=&carrier=&label=, /v1/keys/revoke?id=, /v1/retention?category=&seconds=   admin
 *   GET  /v1/audit/verify                             auditor
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "bex/calibration.h"
#include "bex/image.h"
#include "bex/store.h"
#include "cli.h"
#include "openapi.inc"

#define ROLE_OFFICER 1u
#define ROLE_CARRIER 2u
#define ROLE_ANALYST 4u
#define ROLE_AUDITOR 8u
#define ROLE_ADMIN 16u

typedef struct server {
    bex_store *st;
    pthread_mutex_t st_lock;
    bex_engine **eng;
    int n_eng, n_free, waiting, queue_max;
    int *free_eng;
    pthread_mutex_t eng_lock;
    pthread_cond_t eng_cond;
    size_t max_body;
    bex_image_limits limits;
    atomic_long requests, errors_4xx, errors_5xx, busy, denied, in_flight;
    atomic_long extract_us, extract_n, store_us, store_n;
} server;

typedef struct request {
    char *body;
    size_t len, cap;
    int too_big;
} request;

/* A multipart/form-data body, parsed by libmicrohttpd's post processor: named parts. */
#define FORM_MAX_FIELDS 16
typedef struct form_field {
    char name[32];
    char *data; /* NUL-terminated */
    size_t len, cap;
} form_field;

typedef struct form {
    form_field f[FORM_MAX_FIELDS];
    int n, bad;
} form;

typedef struct reply {
    int status;
    char *json;       /* the body, malloc'd (JSON unless `type` says otherwise) */
    size_t len;
    int retry_after;  /* seconds, 0: none */
    const char *type; /* Content-Type when not JSON */
} reply;

static long now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

/* A PEM file: at most 1 MiB, not empty; NULL with a message. */
static char *read_pem(const char *path) {
    size_t n = 0;
    char *b = cli_read_file(path, 1u << 20, &n);
    if (b && n == 0) {
        fprintf(stderr, "bex: serve: %s is empty\n", path);
        free(b);
        return NULL;
    }
    return b;
}

/* ---- replies ---- */

static void reply_error(reply *r, int status, const char *msg) {
    char *b;
    size_t n;
    FILE *f = open_memstream(&b, &n);
    if (!f) {
        r->status = 500;
        return;
    }
    fprintf(f, "{\"error\":");
    cli_json_str(f, msg);
    fprintf(f, ",\"status\":%d}\n", status);
    fclose(f);
    r->status = status;
    r->json = b;
    r->len = n;
}

/* A memory stream for a 200 reply; reply_done closes it. */
static FILE *reply_open(reply *r) {
    r->status = 200;
    return open_memstream(&r->json, &r->len);
}

static void reply_done(reply *r, FILE *f) {
    if (!f || fclose(f) != 0) {
        free(r->json);
        r->json = NULL;
        reply_error(r, 500, "out of memory writing the answer");
    }
}

/* ---- engines: a fixed pool behind a bounded queue ---- */

/* An engine index, -1 when the queue is full (503), -2 when stopping. */
static int engine_take(server *s) {
    pthread_mutex_lock(&s->eng_lock);
    if (s->n_free == 0 && s->waiting >= s->queue_max) {
        pthread_mutex_unlock(&s->eng_lock);
        return -1;
    }
    s->waiting++;
    while (s->n_free == 0) pthread_cond_wait(&s->eng_cond, &s->eng_lock);
    s->waiting--;
    int e = s->free_eng[--s->n_free];
    pthread_mutex_unlock(&s->eng_lock);
    return e;
}

static void engine_give(server *s, int e) {
    pthread_mutex_lock(&s->eng_lock);
    s->free_eng[s->n_free++] = e;
    pthread_cond_signal(&s->eng_cond);
    pthread_mutex_unlock(&s->eng_lock);
}

/* The body as a photo, one face under the default capture policy. 0: *ok and the template
 * (or the capture outcome in failure/message); otherwise the reply is set (4xx / 503). */
static int extract(server *s, const char *buf, size_t len, const char *what, reply *r,
                   float tmpl[BEX_TEMPLATE_DIM], float *quality, const char **failure, char *message,
                   size_t msglen) {
    *failure = NULL;
    message[0] = 0;
    char err[256], msg[320];
    if (!buf || len == 0) {
        snprintf(msg, sizeof msg, "the %s is missing: send it as the body (JPEG, PNG or JPEG 2000) or as the "
                 "multipart part \"%s\"", what, what);
        reply_error(r, 400, msg);
        return -1;
    }
    bex_image img;
    if (bex_image_decode((const uint8_t *)buf, len, &s->limits, &img, err, sizeof err) != BEX_OK) {
        snprintf(msg, sizeof msg, "%s: %s", what, err);
        reply_error(r, 400, msg);
        return -1;
    }
    int e = engine_take(s);
    if (e < 0) {
        bex_image_free(&img);
        atomic_fetch_add(&s->busy, 1);
        reply_error(r, 503, "every face engine is busy and the queue is full: try again in a second");
        r->retry_after = 1;
        return -1;
    }
    long t0 = now_us();
    bex_capture_policy pol;
    bex_capture_policy_default(&pol);
    bex_face face;
    bex_quality q;
    int n = 0;
    int rc = bex_capture(s->eng[e], &img, &pol, &face, &q, &n, err, sizeof err);
    engine_give(s, e);
    bex_image_free(&img);
    atomic_fetch_add(&s->extract_us, now_us() - t0);
    atomic_fetch_add(&s->extract_n, 1);
    if (rc == BEX_OK) {
        memcpy(tmpl, face.template_, sizeof face.template_);
        *quality = q.score;
        return 0;
    }
    *failure = cli_outcome_name(rc);
    if (!*failure) {
        reply_error(r, 500, err);
        return -1;
    }
    snprintf(message, msglen, "%s", err);
    return 0;
}

/* ---- handlers ---- */

typedef struct ctx {
    server *s;
    struct MHD_Connection *c;
    const request *rq;
    const form *fm; /* NULL unless the body was multipart/form-data */
    bex_api_key key;
} ctx;

static const form_field *part(const ctx *x, const char *name) {
    for (int i = 0; x->fm && i < x->fm->n; i++)
        if (!strcmp(x->fm->f[i].name, name)) return &x->fm->f[i];
    return NULL;
}

/* A field: a multipart part of that name, else the query parameter. */
static const char *arg(const ctx *x, const char *name) {
    const form_field *p = part(x, name);
    if (p) return p->len ? p->data : NULL;
    const char *v = MHD_lookup_connection_value(x->c, MHD_GET_ARGUMENT_KIND, name);
    return v && *v ? v : NULL;
}

/* A photo: the multipart part `name`, else (for the main photo) the raw body. */
static void photo(const ctx *x, const char *name, int body_too, const char **buf, size_t *len) {
    const form_field *p = part(x, name);
    *buf = NULL;
    *len = 0;
    if (p) {
        *buf = p->data;
        *len = p->len;
    } else if (body_too && !x->fm) {
        *buf = x->rq->body;
        *len = x->rq->len;
    }
}

/* Runs under the store's lock. */
#define LOCKED(s, stmt)                              \
    do {                                             \
        long t0_ = now_us();                         \
        pthread_mutex_lock(&(s)->st_lock);           \
        stmt;                                        \
        pthread_mutex_unlock(&(s)->st_lock);         \
        atomic_fetch_add(&(s)->store_us, now_us() - t0_); \
        atomic_fetch_add(&(s)->store_n, 1);          \
    } while (0)

static int store_status(int rc) { return rc == BEX_ERR_ARG || rc == BEX_ERR_FORMAT ? 400 : rc == BEX_ERR_LIMIT ? 413 : 500; }

/* A denial: written to the audit log (the route, and the key's id when there is a key, never
 * the key), counted, and answered with `status` and `msg`. */
static void deny(ctx *x, reply *r, int status, const char *route, const char *why, const char *msg) {
    char obj[96], err[256];
    if (x->key.id) snprintf(obj, sizeof obj, "route %s key %lld", route, (long long)x->key.id);
    else snprintf(obj, sizeof obj, "route %s", route);
    LOCKED(x->s, bex_store_audit(x->s->st, "denied", obj, why, err, sizeof err));
    atomic_fetch_add(&x->s->denied, 1);
    reply_error(r, status, msg);
}

/* A carrier may act only on its own departures: 0 when dep is this key's carrier's (or the
 * key is no carrier's), else -1 with the reply set (404 unknown, 403 another carrier's). */
static int own_departure(ctx *x, reply *r, const char *dep, const char *route, const char *why) {
    if (strcmp(x->key.role, "carrier")) return 0;
    char code[8], err[256];
    int rc;
    LOCKED(x->s, rc = bex_store_departure_carrier(x->s->st, dep, code, err, sizeof err));
    if (rc != BEX_OK) {
        reply_error(r, rc == BEX_ERR_ARG ? 404 : 500, err);
        return -1;
    }
    if (!strcmp(code, x->key.carrier)) return 0;
    deny(x, r, 403, route, why, "this departure belongs to another carrier");
    return -1;
}

/* A positive integer query parameter into *id; 0 if it is missing or not one. */
static int arg_id(const ctx *x, const char *name, long long *id) {
    const char *v = arg(x, name);
    char *end = NULL;
    *id = v ? strtoll(v, &end, 10) : 0;
    return v && !*end && *id > 0;
}

static void h_health(ctx *x, reply *r) {
    int v;
    LOCKED(x->s, v = bex_store_schema_version(x->s->st));
    FILE *f = reply_open(r);
    if (f) fprintf(f, "{\"status\":\"ok\",\"version\":\"%s\",\"schema\":%d,\"engines\":%d}\n", BEX_VERSION, v,
                   x->s->n_eng);
    reply_done(r, f);
}

static void h_openapi(ctx *x, reply *r) {
    (void)x;
    r->status = 200;
    r->len = sizeof openapi_json - 1;
    r->json = malloc(r->len + 1);
    if (r->json) memcpy(r->json, openapi_json, r->len + 1);
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
    reply_done(r, f);
}

static void h_exit(ctx *x, reply *r) {
    server *s = x->s;
    const char *port = arg(x, "port"), *dep = arg(x, "departure");
    int carrier = !strcmp(x->key.role, "carrier");
    if (!port) return reply_error(r, 400, "an exit needs ?port=CODE");
    if (carrier && !dep) return reply_error(r, 400, "a carrier's exit needs ?departure=ID (its manifest's)");
    if (carrier && own_departure(x, r, dep, "/v1/exits", "departure of another carrier") != 0) return;
    float tmpl[BEX_TEMPLATE_DIM], q = 0;
    const char *failure, *buf;
    size_t len;
    char msg[256], err[512];
    photo(x, "photo", 1, &buf, &len);
    if (extract(s, buf, len, "photo", r, tmpl, &q, &failure, msg, sizeof msg) != 0) return;
    bex_exit_request ex = {.live = failure ? NULL : tmpl, .live_quality = q, .live_failure = failure, .port = port,
                           .port_kind = arg(x, "port_kind"), .departure = dep, .at = arg(x, "at")};
    bex_exit_result res;
    int rc;
    LOCKED(s, rc = bex_store_exit(s->st, &ex, &res, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
    FILE *f = reply_open(r);
    if (f && carrier) /* the decision and a transaction id: nothing about the person */
        fprintf(f, "{\"transaction\":%lld,\"decision\":\"%s\"}\n", (long long)res.encounter,
                !strcmp(res.outcome, "matched") ? "match" : !strcmp(res.outcome, "no_photo") ? "no_photo" : "no_match");
    else if (f)
        cli_print_exit(f, &res, failure, msg);
    reply_done(r, f);
}

static void h_entry(ctx *x, reply *r) {
    server *s = x->s;
    const char *mrz = arg(x, "mrz"), *port = arg(x, "port"), *kind = arg(x, "port_kind"), *at = arg(x, "at");
    const char *cls = arg(x, "class"), *until = arg(x, "admit_until");
    int citizen = arg(x, "citizen") && !strcmp(arg(x, "citizen"), "1");
    int ds = arg(x, "ds") && !strcmp(arg(x, "ds"), "1");
    if (!mrz || !port || !kind) return reply_error(r, 400, "an entry needs ?mrz=, ?port= and ?port_kind=");
    if (!citizen && (!cls || (!until == !ds)))
        return reply_error(r, 400, "an entry needs ?class= and one of ?admit_until=YYYY-MM-DD or ?ds=1, unless ?citizen=1");
    char today[11], nowbuf[32], err[512];
    if (!at) {
        time_t t = time(NULL);
        strftime(nowbuf, sizeof nowbuf, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
        at = nowbuf;
    }
    snprintf(today, sizeof today, "%.10s", at);
    bex_mrz doc;
    if (bex_mrz_parse_at(mrz, today, &doc, err, sizeof err) != BEX_OK) return reply_error(r, 400, err);
    float tmpl[BEX_TEMPLATE_DIM], chip[BEX_TEMPLATE_DIM], q = 0, cq = 0;
    const char *failure, *chip_failure = NULL, *buf;
    size_t len;
    char msg[256], chip_msg[256] = "";
    photo(x, "photo", 1, &buf, &len);
    if (extract(s, buf, len, "photo", r, tmpl, &q, &failure, msg, sizeof msg) != 0) return;
    int has_chip = part(x, "doc_photo") != NULL;
    if (has_chip) {
        photo(x, "doc_photo", 0, &buf, &len);
        if (extract(s, buf, len, "doc_photo", r, chip, &cq, &chip_failure, chip_msg, sizeof chip_msg) != 0) return;
    }
    bex_entry_request en = {.doc = &doc, .live = failure ? NULL : tmpl, .live_quality = q, .live_failure = failure,
                            .doc_photo = has_chip && !chip_failure ? chip : NULL, .doc_quality = cq,
                            .admission_class = cls, .admit_until = until, .port = port, .port_kind = kind,
                            .carrier = arg(x, "carrier"), .voyage = arg(x, "voyage"), .at = at, .citizen = citizen};
    bex_entry_result res;
    int rc;
    LOCKED(s, rc = bex_store_entry(s->st, &en, &res, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
    FILE *f = reply_open(r);
    if (f) cli_print_entry(f, &res, failure, msg, chip_failure, chip_msg);
    reply_done(r, f);
}

static void h_manifest(ctx *x, reply *r) {
    server *s = x->s;
    bex_manifest m;
    char err[512];
    int rc = bex_manifest_parse_json(x->rq->body ? x->rq->body : "", x->rq->len, &m, err, sizeof err);
    if (rc != BEX_OK) return reply_error(r, 400, err);
    if (!strcmp(x->key.role, "carrier") && strcmp(m.carrier, x->key.carrier)) {
        bex_manifest_free(&m);
        return deny(x, r, 403, "/v1/manifests", "manifest of another carrier",
                    "a carrier may load only its own manifests");
    }
    bex_manifest_result res;
    LOCKED(s, rc = bex_store_load_manifest(s->st, &m, NULL, NULL, &res, err, sizeof err));
    if (rc != BEX_OK) {
        bex_manifest_free(&m);
        return reply_error(r, store_status(rc), err);
    }
    FILE *f = reply_open(r);
    if (f) {
        fprintf(f, "{\"departure\":");
        cli_json_str(f, m.id);
        if (!strcmp(x->key.role, "carrier")) /* no word on who is known to the store */
            fprintf(f, ",\"travellers\":%zu}\n", res.travellers);
        else
            fprintf(f, ",\"travellers\":%zu,\"linked\":%zu,\"with_face\":%zu,\"mismatches\":%d,\"replaced\":%s}\n",
                    res.travellers, res.linked, res.with_face, res.n_flags, res.replaced ? "true" : "false");
    }
    bex_manifest_free(&m);
    reply_done(r, f);
}

static void h_overstays(ctx *x, reply *r) {
    server *s = x->s;
    const char *asof = arg(x, "as_of"), *policy = arg(x, "policy");
    int eu = policy && !strcmp(policy, "eu");
    if (policy && !eu && strcmp(policy, "us")) return reply_error(r, 400, "?policy= is us or eu");
    bex_day d;
    if (!asof || bex_day_parse(asof, &d) != BEX_OK) return reply_error(r, 400, "overstays need ?as_of=YYYY-MM-DD");
    bex_overstay_row *rows;
    size_t n;
    char err[512];
    int rc;
    LOCKED(s, rc = bex_store_overstays(s->st, asof, eu, &rows, &n, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
    FILE *f = reply_open(r);
    if (f) cli_print_overstays(f, rows, n, asof, eu, 0, -1);
    free(rows);
    reply_done(r, f);
}

static void h_flags(ctx *x, reply *r) {
    server *s = x->s;
    bex_flag *fl;
    size_t n;
    char err[512];
    int rc;
    LOCKED(s, rc = bex_store_flags(s->st, &fl, &n, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
    FILE *f = reply_open(r);
    if (f) {
        fprintf(f, "{\"count\":%zu", n);
        cli_print_flags(f, fl, (int)n);
        fprintf(f, "}\n");
    }
    free(fl);
    reply_done(r, f);
}

static void h_verify(ctx *x, reply *r) {
    server *s = x->s;
    const char *a, *b;
    size_t la, lb;
    photo(x, "a", 0, &a, &la);
    photo(x, "b", 0, &b, &lb);
    float ta[BEX_TEMPLATE_DIM], tb[BEX_TEMPLATE_DIM], qa, qb;
    const char *fa, *fb;
    char ma[256], mb[256], err[256];
    if (extract(s, a, la, "a", r, ta, &qa, &fa, ma, sizeof ma) != 0) return;
    if (extract(s, b, lb, "b", r, tb, &qb, &fb, mb, sizeof mb) != 0) return;
    if (fa || fb) { /* a photo that cannot be used: the capture outcome, as bex verify exits 3 */
        char msg[320];
        snprintf(msg, sizeof msg, "photo %s: %s", fa ? "a" : "b", fa ? ma : mb);
        return reply_error(r, 422, msg);
    }
    bex_operating_point op;
    const char *fmr_s = arg(x, "fmr");
    double fmr = fmr_s ? strtod(fmr_s, NULL) : BEX_DEFAULT_FMR;
    if (!(fmr > 0 && fmr <= 0.1)) return reply_error(r, 400, "?fmr= takes a rate above 0 and at most 0.1");
    if (bex_operating_point_verify(BEX_ALIGN_DEFAULT, fmr, &op, err, sizeof err) != BEX_OK)
        return reply_error(r, 400, err);
    float sim = bex_template_similarity(ta, tb);
    FILE *f = reply_open(r);
    if (f) {
        fprintf(f, "{\"similarity\":%.4f,\"match\":%s,\"operating_point\":", sim, sim >= op.threshold ? "true" : "false");
        cli_json_str(f, op.name);
        fprintf(f, ",\"threshold\":%.4f,\"quality\":[%.1f,%.1f]}\n", op.threshold, qa, qb);
    }
    reply_done(r, f);
}

static void h_identify(ctx *x, reply *r) {
    server *s = x->s;
    const char *buf;
    size_t len;
    float t[BEX_TEMPLATE_DIM], q;
    const char *fail;
    char msg[256], err[256];
    photo(x, "photo", 1, &buf, &len);
    if (extract(s, buf, len, "photo", r, t, &q, &fail, msg, sizeof msg) != 0) return;
    if (fail) return reply_error(r, 422, msg);
    bex_index_hit hits[5];
    size_t n;
    bex_match m;
    int rc;
    LOCKED(s, rc = bex_store_identify(s->st, t, hits, &n, &m, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
    FILE *f = reply_open(r);
    if (f) {
        fprintf(f, "{\"candidates\":[");
        for (size_t i = 0; i < n; i++)
            fprintf(f, "%s{\"subject\":%lld,\"score\":%.4f}", i ? "," : "", (long long)hits[i].subject_id,
                    hits[i].score);
        fprintf(f, "]");
        cli_print_match(f, "decision", &m);
        fprintf(f, "}\n");
    }
    reply_done(r, f);
}

static void h_purge(ctx *x, reply *r) {
    server *s = x->s;
    bex_purge_result p;
    char err[256];
    int rc;
    LOCKED(s, rc = bex_store_purge(s->st, arg(x, "as_of"), &p, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
    FILE *f = reply_open(r);
    if (f)
        fprintf(f, "{\"deleted\":{\"citizen_samples\":%lld,\"images\":%lld,\"records\":%lld,\"overstayer_records\":%lld}}\n",
                p.citizen_samples, p.images, p.subjects, p.overstayer_subjects);
    reply_done(r, f);
}

/* A record as the store writes it (bex_store_subject_json, bex_store_encounter_json) for ?id=. */
static void lookup(ctx *x, reply *r, int (*fn)(bex_store *, int64_t, char **, char *, size_t), const char *usage) {
    long long id;
    if (!arg_id(x, "id", &id)) return reply_error(r, 400, usage);
    char *json, err[256];
    int rc;
    LOCKED(x->s, rc = fn(x->s->st, id, &json, err, sizeof err));
    if (rc == BEX_ERR_ARG) return reply_error(r, 404, err);
    if (rc != BEX_OK) return reply_error(r, 500, err);
    r->status = 200;
    r->json = json;
    r->len = strlen(json);
}

static void h_subject(ctx *x, reply *r) { lookup(x, r, bex_store_subject_json, "a look-up needs ?id=SUBJECT"); }

static void h_encounter(ctx *x, reply *r) {
    lookup(x, r, bex_store_encounter_json, "a look-up needs ?id=ENCOUNTER");
}

/* A departure's gallery as an index file (index.h's format), for a gate that works offline. */
static void h_gallery(ctx *x, reply *r) {
    server *s = x->s;
    const char *dep = arg(x, "departure");
    char err[512];
    int rc;
    if (!dep) return reply_error(r, 400, "a gallery needs ?departure=ID");
    if (own_departure(x, r, dep, "/v1/galleries", "gallery of another carrier") != 0) return;
    bex_index *ix = NULL;
    size_t subjects;
    LOCKED(s, rc = bex_store_gallery(s->st, dep, &ix, &subjects, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, rc == BEX_ERR_ARG ? 404 : 500, err);
    char path[] = "/tmp/bex-gallery-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        bex_index_close(ix);
        return reply_error(r, 500, "cannot make a temporary file for the gallery");
    }
    close(fd);
    rc = bex_index_save(ix, path, err, sizeof err);
    bex_index_close(ix);
    size_t n = 0;
    char *data = rc == BEX_OK ? cli_read_file(path, SIZE_MAX / 2, &n) : NULL;
    unlink(path);
    if (!n) {
        free(data);
        return reply_error(r, 500, rc == BEX_OK ? "cannot read the gallery back" : err);
    }
    r->status = 200;
    r->json = data;
    r->len = n;
    r->type = "application/octet-stream";
}

/* Admin: keys and retention. */
static void h_key_add(ctx *x, reply *r) {
    server *s = x->s;
    char key[65], err[256];
    int64_t id;
    int rc;
    LOCKED(s, rc = bex_store_key_add(s->st, arg(x, "role"), arg(x, "carrier"), arg(x, "label"), key, &id, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
    FILE *f = reply_open(r);
    if (f) fprintf(f, "{\"id\":%lld,\"role\":\"%s\",\"key\":\"%s\"}\n", (long long)id, arg(x, "role"), key);
    reply_done(r, f);
}

static void h_key_revoke(ctx *x, reply *r) {
    server *s = x->s;
    char err[256];
    long long id;
    if (!arg_id(x, "id", &id)) return reply_error(r, 400, "a revocation needs ?id=KEY_ID");
    int rc;
    LOCKED(s, rc = bex_store_key_revoke(s->st, id, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, rc == BEX_ERR_ARG ? 404 : 500, err);
    FILE *f = reply_open(r);
    if (f) fprintf(f, "{\"id\":%lld,\"revoked\":true}\n", id);
    reply_done(r, f);
}

static void h_retention(ctx *x, reply *r) {
    server *s = x->s;
    const char *cat = arg(x, "category"), *v = arg(x, "seconds");
    char *end = NULL, err[256];
    long long secs = v ? strtoll(v, &end, 10) : -1;
    if (!cat || !v || *end) return reply_error(r, 400, "retention needs ?category=NAME&seconds=N");
    int rc;
    LOCKED(s, rc = bex_store_set_retention(s->st, cat, secs, err, sizeof err));
    if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
    FILE *f = reply_open(r);
    if (f) {
        fprintf(f, "{\"category\":");
        cli_json_str(f, cat);
        fprintf(f, ",\"seconds\":%lld}\n", secs);
    }
    reply_done(r, f);
}

static void h_audit(ctx *x, reply *r) {
    server *s = x->s;
    long long entries, bad;
    int found;
    char head[65], err[512];
    const char *known = arg(x, "head");
    int rc;
    LOCKED(s, rc = bex_store_audit_verify(s->st, known, &entries, &bad, &found, head, err, sizeof err));
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

typedef struct route {
    const char *method, *path;
    unsigned roles; /* 0: no key needed */
    void (*fn)(ctx *, reply *);
} route;

static const route routes[] = {
    {"GET", "/v1/health", 0, h_health},
    {"GET", "/metrics", 0, h_metrics},
    {"GET", "/v1/openapi.json", 0, h_openapi},
    {"POST", "/v1/exits", ROLE_OFFICER | ROLE_CARRIER, h_exit},
    {"POST", "/v1/entries", ROLE_OFFICER, h_entry},
    {"POST", "/v1/manifests", ROLE_OFFICER | ROLE_CARRIER, h_manifest},
    {"GET", "/v1/overstays", ROLE_OFFICER | ROLE_ANALYST, h_overstays},
    {"GET", "/v1/flags", ROLE_OFFICER | ROLE_ANALYST, h_flags},
    {"GET", "/v1/subject", ROLE_OFFICER, h_subject},
    {"POST", "/v1/verify", ROLE_OFFICER, h_verify},
    {"POST", "/v1/identify", ROLE_OFFICER, h_identify},
    {"POST", "/v1/purge", ROLE_ADMIN, h_purge},
    {"GET", "/v1/encounter", ROLE_OFFICER, h_encounter},
    {"POST", "/v1/galleries", ROLE_OFFICER | ROLE_CARRIER, h_gallery},
    {"POST", "/v1/keys", ROLE_ADMIN, h_key_add},
    {"POST", "/v1/keys/revoke", ROLE_ADMIN, h_key_revoke},
    {"POST", "/v1/retention", ROLE_ADMIN, h_retention},
    {"GET", "/v1/audit/verify", ROLE_AUDITOR, h_audit},
};

static unsigned role_bit(const char *role) {
    static const char *const names[] = {"officer", "carrier", "analyst", "auditor", "admin"};
    for (unsigned i = 0; i < 5; i++)
        if (!strcmp(role, names[i])) return 1u << i;
    return 0;
}

/* The key from "Authorization: Bearer KEY" or "X-API-Key: KEY"; NULL if none. */
static const char *request_key(struct MHD_Connection *c) {
    const char *a = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (a && !strncmp(a, "Bearer ", 7)) return a + 7;
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-API-Key");
}

static void dispatch_route(const route *rt, ctx *xp, reply *r);

static void form_free(form *fm) {
    for (int i = 0; i < fm->n; i++) free(fm->f[i].data);
    fm->n = 0;
}

/* libmicrohttpd's post processor hands each part over in pieces: gather them by name. */
static enum MHD_Result form_part(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
                                 const char *content_type, const char *encoding, const char *data, uint64_t off,
                                 size_t size) {
    (void)kind;
    (void)filename;
    (void)content_type;
    (void)encoding;
    (void)off;
    form *fm = cls;
    form_field *f = NULL;
    for (int i = 0; i < fm->n && !f; i++)
        if (!strcmp(fm->f[i].name, key)) f = &fm->f[i];
    if (!f) {
        if (fm->n == FORM_MAX_FIELDS || strlen(key) >= sizeof fm->f[0].name) {
            fm->bad = 1;
            return MHD_NO;
        }
        f = &fm->f[fm->n++];
        snprintf(f->name, sizeof f->name, "%s", key);
    }
    if (f->len + size + 1 > f->cap) {
        size_t cap = f->cap ? f->cap : 4096;
        while (cap < f->len + size + 1) cap *= 2;
        char *b = realloc(f->data, cap);
        if (!b) return MHD_NO;
        f->data = b;
        f->cap = cap;
    }
    memcpy(f->data + f->len, data, size);
    f->len += size;
    f->data[f->len] = 0;
    return MHD_YES;
}

static void dispatch(server *s, struct MHD_Connection *c, const char *url, const char *method, const request *rq,
                     reply *r) {
    const route *rt = NULL;
    int path_known = 0;
    for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
        if (strcmp(url, routes[i].path)) continue;
        path_known = 1;
        if (!strcmp(method, routes[i].method)) rt = &routes[i];
    }
    if (!rt) return reply_error(r, path_known ? 405 : 404, path_known ? "method not allowed on this route" : "no such route");
    if (rq->too_big) return reply_error(r, 413, "the body is larger than the server's limit (--max-body)");
    ctx x = {.s = s, .c = c, .rq = rq};
    dispatch_route(rt, &x, r);
}

static void dispatch_route(const route *rt, ctx *xp, reply *r) {
    ctx x = *xp;
    server *s = x.s;
    struct MHD_Connection *c = x.c;
    if (rt->roles) {
        const char *key = request_key(c);
        char err[256];
        int rc = BEX_ERR_ARG;
        if (key) LOCKED(s, rc = bex_store_key_check(s->st, key, &x.key, err, sizeof err));
        if (rc != BEX_OK)
            return deny(&x, r, 401, rt->path, key ? "unknown or revoked key" : "no key",
                        "an API key is needed: Authorization: Bearer KEY (bex keys add)");
        if (!(role_bit(x.key.role) & rt->roles)) {
            char detail[48];
            snprintf(detail, sizeof detail, "role %s", x.key.role);
            return deny(&x, r, 403, rt->path, detail, "this key's role may not use this route");
        }
    }
    /* a multipart/form-data body is read only for a caller allowed to send it */
    form fm;
    memset(&fm, 0, sizeof fm);
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (ct && !strncasecmp(ct, "multipart/form-data", 19) && x.rq->len) {
        struct MHD_PostProcessor *pp = MHD_create_post_processor(c, 65536, form_part, &fm);
        int okp = pp && MHD_post_process(pp, x.rq->body, x.rq->len) == MHD_YES;
        if (pp) MHD_destroy_post_processor(pp);
        if (!okp || fm.bad) {
            int bad = fm.bad;
            form_free(&fm);
            return reply_error(r, 400, bad ? "the form has too many parts or a part name over 31 characters"
                                           : "the multipart/form-data body cannot be read");
        }
        x.fm = &fm;
    }
    rt->fn(&x, r);
    form_free(&fm);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *data, size_t *data_size, void **con_cls) {
    (void)version;
    server *s = cls;
    request *rq = *con_cls;
    if (!rq) { /* first call: headers only */
        rq = calloc(1, sizeof *rq);
        if (!rq) return MHD_NO;
        *con_cls = rq;
        atomic_fetch_add(&s->in_flight, 1);
        return MHD_YES;
    }
    if (*data_size) { /* a piece of the body */
        if (!rq->too_big && rq->len + *data_size > s->max_body) {
            rq->too_big = 1;
            free(rq->body);
            rq->body = NULL;
            rq->len = rq->cap = 0;
        }
        if (!rq->too_big) {
            if (rq->len + *data_size + 1 > rq->cap) {
                size_t cap = rq->cap ? rq->cap : 65536;
                while (cap < rq->len + *data_size + 1) cap *= 2;
                char *b = realloc(rq->body, cap);
                if (!b) return MHD_NO;
                rq->body = b;
                rq->cap = cap;
            }
            memcpy(rq->body + rq->len, data, *data_size);
            rq->len += *data_size;
            rq->body[rq->len] = 0;
        }
        *data_size = 0;
        return MHD_YES;
    }
    reply r = {0};
    dispatch(s, c, url, method, rq, &r);
    if (!r.json) reply_error(&r, r.status ? r.status : 500, "internal error");
    atomic_fetch_add(&s->requests, 1);
    if (r.status >= 500) atomic_fetch_add(&s->errors_5xx, 1);
    else if (r.status >= 400) atomic_fetch_add(&s->errors_4xx, 1);
    struct MHD_Response *resp = MHD_create_response_from_buffer(r.len, r.json, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(r.json);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            r.type ? r.type
                            : !strcmp(url, "/metrics") && r.status == 200 ? "text/plain; version=0.0.4" : "application/json");
    if (r.retry_after) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", r.retry_after);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)r.status, resp);
    MHD_destroy_response(resp);
    return ok;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t) {
    (void)c;
    (void)t;
    server *s = cls;
    request *rq = *con_cls;
    if (!rq) return;
    free(rq->body);
    free(rq);
    *con_cls = NULL;
    atomic_fetch_sub(&s->in_flight, 1);
}

int cmd_serve(const char *models, int argc, char **argv) {
    const char *db = "bex.db", *listen = "127.0.0.1:8080", *cert = NULL, *keyf = NULL;
    long workers = sysconf(_SC_NPROCESSORS_ONLN), queue = -1, max_body = 16 << 20, max_pixels = 40000000,
         timeout = 30;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        long n = v ? strtol(v, &end, 10) : 0;
        int num_ok = v && end && !*end && end != v;
        if (!v) return cli_usage_error("serve options take a value");
        if (!strcmp(a, "--db")) db = v;
        else if (!strcmp(a, "--listen")) listen = v;
        else if (!strcmp(a, "--tls-cert")) cert = v;
        else if (!strcmp(a, "--tls-key")) keyf = v;
        else if (!strcmp(a, "--workers") && num_ok && n >= 1 && n <= 64) workers = n;
        else if (!strcmp(a, "--queue") && num_ok && n >= 0 && n <= 10000) queue = n;
        else if (!strcmp(a, "--max-body") && num_ok && n >= 1024) max_body = n;
        else if (!strcmp(a, "--max-pixels") && num_ok && n >= 10000) max_pixels = n;
        else if (!strcmp(a, "--timeout") && num_ok && n >= 1 && n <= 3600) timeout = n;
        else return cli_usage_error("serve takes [--db FILE] [--listen ADDR:PORT] [--workers N] [--queue N] "
                                    "[--max-body BYTES] [--max-pixels N] [--timeout S] [--tls-cert PEM --tls-key PEM]");
        i++;
    }
    if (!cert != !keyf) return cli_usage_error("TLS needs both --tls-cert PEM and --tls-key PEM");
    char *cert_pem = NULL, *key_pem = NULL;
    if (cert) { /* read before anything starts: a bad file is a clear error, not a half-started server */
        cert_pem = read_pem(cert);
        key_pem = cert_pem ? read_pem(keyf) : NULL;
        if (!cert_pem || !key_pem) {
            free(cert_pem);
            return 2;
        }
    }
    if (workers < 1) workers = 1;
    if (queue < 0) queue = 8 * workers;
    const char *colon = strrchr(listen, ':');
    char host[64];
    long port = colon ? strtol(colon + 1, NULL, 10) : -1;
    if (!colon || port < 0 || port > 65535 || (size_t)(colon - listen) >= sizeof host)
        return cli_usage_error("--listen takes ADDR:PORT, e.g. 127.0.0.1:8080 (port 0: any free one)");
    snprintf(host, sizeof host, "%.*s", (int)(colon - listen), listen);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) return cli_usage_error("--listen takes an IPv4 address");

    /* SIGTERM and SIGINT are taken by sigwait in this thread alone: block them before any
     * thread starts (the engines' and the server's inherit the mask) */
    sigset_t stop_sigs;
    sigemptyset(&stop_sigs);
    sigaddset(&stop_sigs, SIGTERM);
    sigaddset(&stop_sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    server s = {.n_eng = (int)workers, .queue_max = (int)queue, .max_body = (size_t)max_body,
                .limits = {.max_file_bytes = (size_t)max_body, .max_pixels = (uint64_t)max_pixels}};
    pthread_mutex_init(&s.st_lock, NULL);
    pthread_mutex_init(&s.eng_lock, NULL);
    pthread_cond_init(&s.eng_cond, NULL);
    bex_store_options o;
    bex_store_options_default(&o);
    o.actor = "serve";
    char err[512];
    if (bex_store_open(db, &o, &s.st, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "bex: serve: %s: %s\n", db, err);
        return 2;
    }
    s.eng = calloc((size_t)workers, sizeof *s.eng);
    s.free_eng = calloc((size_t)workers, sizeof *s.free_eng);
    int ok = s.eng && s.free_eng;
    for (int i = 0; ok && i < workers; i++) {
        ok = cli_open_engine(models, BEX_ALIGN_DEFAULT, &s.eng[i]);
        if (ok) s.free_eng[s.n_free++] = i;
    }
    struct MHD_Daemon *d = NULL;
    if (ok) {
        unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
        if (cert_pem) flags |= MHD_USE_TLS;
        d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, &s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                             MHD_OPTION_NOTIFY_COMPLETED, on_completed, &s, MHD_OPTION_CONNECTION_TIMEOUT,
                             (unsigned)timeout, MHD_OPTION_CONNECTION_LIMIT, (unsigned)(workers + queue + 64),
                             MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 << 10),
                             cert_pem ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert_pem,
                             MHD_OPTION_HTTPS_MEM_KEY, key_pem, MHD_OPTION_END);
        if (!d) fprintf(stderr, "bex: serve: cannot listen on %s: %s\n", listen, strerror(errno));
    }
    if (d) {
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
        /* one line a supervisor or test can read: where it listens */
        printf("{\"listening\":\"%s:%u\",\"tls\":%s,\"db\":", host, info ? (unsigned)info->port : (unsigned)port,
               cert_pem ? "true" : "false");
        cli_json_str(stdout, db);
        printf(",\"engines\":%ld,\"queue\":%ld}\n", workers, queue);
        fflush(stdout);
        int sig = 0;
        sigwait(&stop_sigs, &sig);
        /* stop accepting, let requests in flight finish (bounded by the timeout) */
        MHD_quiesce_daemon(d);
        for (long waited = 0; atomic_load(&s.in_flight) > 0 && waited < timeout * 1000; waited += 10) usleep(10000);
        MHD_stop_daemon(d);
        fprintf(stderr, "bex: serve: stopped; %ld requests answered\n", atomic_load(&s.requests));
    }
    for (int i = 0; s.eng && i < workers; i++) bex_engine_close(s.eng[i]);
    free(s.eng);
    free(s.free_eng);
    bex_store_close(s.st);
    free(cert_pem);
    free(key_pem);
    return d ? 0 : 2;
}
