/*
 * serve.c - `bex serve`: the record system over HTTP/JSON for gates, kiosks, carriers and
 * officers, on libmicrohttpd. This file runs the daemon: connections and their limits, the
 * bounded pool of face engines, API keys and the role matrix (rules.h: bex_role_may), the
 * dispatch of a request to its handler (routes.c), TLS and stopping.
 *
 *   bex serve [--db FILE] [--listen ADDR:PORT] [--workers N] [--queue N] [--max-body BYTES]
 *             [--max-pixels N] [--max-request-pixels N] [--timeout S] [--header-timeout S]
 *             [--max-connections N] [--max-per-client N] [--rate N] [--burst N] [--max-db-bytes N]
 *             [--session-idle S] [--session-max S] [--tls-cert PEM --tls-key PEM]
 *             [--eval-dir DIR]
 *
 * Connections are libmicrohttpd's event loop on a bounded pool of threads (an idle connection
 * holds no thread), bounded per client address and in all, closed when idle, and closed when
 * its request's headers are not complete within --header-timeout (a slowloris); face
 * extraction runs on a fixed pool of N engines (default: the cores) behind a bounded queue: a
 * photo that would wait behind more than --queue others is answered 503 with Retry-After at
 * once. One store, behind a mutex (a crossing's store work is about 1-2 ms; the networks take
 * about 50 ms a photo). Every request but health, metrics and the OpenAPI document carries an
 * API key (Authorization: Bearer KEY, or X-API-Key: KEY; `bex keys add`) whose role decides
 * what it may do, checked from the headers before any body is read; each key (and each client
 * address for requests without a valid key) has a token bucket (--rate, --burst: 429 with
 * Retry-After beyond it); a denial is answered 401 / 403 / 429, counted by reason and audited
 * in aggregate; every store call is audited as the key ("key:12 officer"). The photos of one
 * request decode at most --max-request-pixels together. SIGTERM or SIGINT: no new
 * connections, requests in flight finish, then the store closes. The routes are listed in
 * routes.c and documented in docs/openapi.json.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../cli/cli.h"
#include "server.h"

/* the console's pages: scripts, styles, images and requests from the service alone, no inline
 * script or style, no framing, no plugin, no <base> */
#define CONSOLE_CSP                                                                                   \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "           \
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

long server_now_us(void) {
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

void reply_error(reply *r, int status, const char *msg) {
    char *b;
    size_t n;
    FILE *f = open_memstream(&b, &n);
    if (!f) {
        r->status = 500;
        return;
    }
    fprintf(f, "{\"error\":");
    bex_json_str(f, msg);
    fprintf(f, ",\"status\":%d}\n", status);
    fclose(f);
    r->status = status;
    r->json = b;
    r->len = n;
}

/* A memory stream for a 200 reply; reply_done closes it. */
FILE *reply_open(reply *r) {
    r->status = 200;
    return open_memstream(&r->json, &r->len);
}

void reply_done(reply *r, FILE *f) {
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

/* The photo decoded (within the server's limits and what is left of the request's pixel
 * budget: the decoders check the size the header declares before they allocate) and its
 * face(s) captured on an engine of the pool, under the default capture policy. Decoding runs
 * on the engine, so at most --workers photos are decoded at once. */
static int extract_faces(ctx *x, const char *buf, size_t len, const char *what, reply *r, bex_capture_result *out,
                         int max, int *n) {
    server *s = x->s;
    char err[256], msg[400];
    if (!buf || len == 0) {
        snprintf(msg, sizeof msg, "the %s is missing: send it as the body (JPEG, PNG or JPEG 2000) or as the "
                 "multipart part \"%s\"", what, what);
        reply_error(r, 400, msg);
        return -1;
    }
    bex_image_limits lim = s->limits;
    uint64_t left = x->pixels < s->max_request_pixels ? s->max_request_pixels - x->pixels : 0;
    int budget = left < lim.max_pixels; /* the request's budget, not the photo's limit, binds */
    if (budget) lim.max_pixels = left;
    if (left == 0) {
        atomic_fetch_add(&s->too_large, 1);
        snprintf(msg, sizeof msg, "%s: the request's photos together are over the server's budget of %llu pixels "
                 "a request (--max-request-pixels)", what, (unsigned long long)s->max_request_pixels);
        reply_error(r, 413, msg);
        return -1;
    }
    bex_capture_policy pol;
    bex_capture_policy_default(&pol);
    const char *cam = arg(x, "camera");
    if (cam && bex_range_parse(cam, &pol.range) != BEX_OK) {
        reply_error(r, 400, "?camera= takes near (kiosks, e-gates, booths) or far (halls, boarding areas, vehicle lanes)");
        return -1;
    }
    int e = engine_take(s);
    if (e < 0) {
        atomic_fetch_add(&s->busy, 1);
        reply_error(r, 503, "every face engine is busy and the queue is full: try again in a second");
        r->retry_after = 1;
        return -1;
    }
    long t0 = server_now_us();
    bex_image img = {0, 0, NULL};
    char why[300] = "";
    int rc = bex_image_decode((const uint8_t *)buf, len, &lim, &img, why, sizeof why);
    if (rc == BEX_OK) {
        x->pixels += (uint64_t)img.width * (uint64_t)img.height;
        rc = n ? bex_capture_all(s->eng[e], &img, &pol, out, max, n, err, sizeof err)
               : bex_capture_image(s->eng[e], &img, &pol, out, err, sizeof err);
        bex_image_free(&img);
    } else if (rc == BEX_ERR_LIMIT && budget) {
        snprintf(err, sizeof err, "the photo is too large for what is left of the request's budget of %llu pixels "
                 "(--max-request-pixels): %s", (unsigned long long)s->max_request_pixels, why);
    } else if (rc == BEX_ERR_LIMIT) {
        snprintf(err, sizeof err, "the photo is too large (--max-pixels): %s", why);
    } else if (rc == BEX_ERR_NOMEM) {
        snprintf(err, sizeof err, "out of memory decoding the photo: %s", why);
    } else {
        snprintf(err, sizeof err, "the photo cannot be read: %s", why);
    }
    engine_give(s, e);
    atomic_fetch_add(&s->extract_us, server_now_us() - t0);
    atomic_fetch_add(&s->extract_n, 1);
    if (rc == BEX_OK) return 0;
    if (rc == BEX_ERR_LIMIT) atomic_fetch_add(&s->too_large, 1);
    snprintf(msg, sizeof msg, "%s: %s", what, err);
    /* an argument error is the server's, but for a camera range its detector cannot serve */
    reply_error(r, rc == BEX_ERR_NOMEM ? 503 : rc == BEX_ERR_ARG && !cam ? 500 : rc == BEX_ERR_LIMIT ? 413 : 400, msg);
    if (rc == BEX_ERR_NOMEM) r->retry_after = 1;
    return -1;
}

int extract(ctx *x, const char *buf, size_t len, const char *what, reply *r, bex_capture_result *out) {
    return extract_faces(x, buf, len, what, r, out, 1, NULL);
}

int extract_all(ctx *x, const char *buf, size_t len, const char *what, reply *r, bex_capture_result *out, int max,
                int *n) {
    return extract_faces(x, buf, len, what, r, out, max, n);
}

static const form_field *part(const ctx *x, const char *name) {
    for (int i = 0; x->fm && i < x->fm->n; i++)
        if (!strcmp(x->fm->f[i].name, name)) return &x->fm->f[i];
    return NULL;
}

/* A field: a multipart part of that name, else the query parameter. */
const char *arg(const ctx *x, const char *name) {
    const form_field *p = part(x, name);
    if (p) return p->len ? p->data : NULL;
    const char *v = MHD_lookup_connection_value(x->c, MHD_GET_ARGUMENT_KIND, name);
    return v && *v ? v : NULL;
}

/* A photo: the multipart part `name`, else (for the main photo) the raw body. */
void photo(const ctx *x, const char *name, int body_too, const char **buf, size_t *len) {
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

int has_part(const ctx *x, const char *name) { return part(x, name) != NULL; }

int store_status(int rc) {
    return rc == BEX_ERR_ARG || rc == BEX_ERR_FORMAT ? 400
           : rc == BEX_ERR_LIMIT                     ? 413
           : rc == BEX_ERR_FULL                      ? 507 /* Insufficient Storage: nothing was written */
           : rc == BEX_ERR_BUSY || rc == BEX_ERR_NOMEM ? 503 /* with Retry-After (on_request) */
                                                     : 500;
}

/* ---- the rate limit: a token bucket per key, and per client address for requests without a
 * valid key ----
 *
 * A fixed table (no allocation under attack): a bucket is found by hashing who it is for
 * among RL_PROBE slots; a new one takes the slot used least recently of those, which is
 * always a full bucket unless more than RL_SLOTS callers are all active at once (then the
 * evicted one starts again with a full bucket: the limit is loosened, never tightened, for
 * a caller it did not meet). */
#define RL_SLOTS 4096
#define RL_PROBE 8
typedef struct bucket {
    uint64_t who; /* 0: free; key: 1 << 40 | id; address: 2 << 40 | IPv4 */
    double tokens;
    long last_us;
} bucket;

/* 0: allowed; else the seconds to wait (Retry-After). */
static int rate_take(server *s, uint64_t who) {
    if (s->rate <= 0) return 0;
    long now = server_now_us();
    uint64_t h = who * 0x9E3779B97F4A7C15ull;
    size_t at = (size_t)(h >> 52) % RL_SLOTS, victim = at;
    pthread_mutex_lock(&s->rl_lock);
    bucket *b = NULL;
    for (size_t i = 0; i < RL_PROBE && !b; i++) {
        bucket *c = &s->buckets[(at + i) % RL_SLOTS];
        if (c->who == who) b = c;
        else if (c->last_us < s->buckets[victim].last_us || !c->who) victim = (at + i) % RL_SLOTS;
    }
    if (!b) {
        b = &s->buckets[victim];
        b->who = who;
        b->tokens = s->burst;
        b->last_us = now;
    }
    b->tokens += (double)(now - b->last_us) * 1e-6 * s->rate;
    if (b->tokens > s->burst) b->tokens = s->burst;
    b->last_us = now;
    int wait = 0;
    if (b->tokens >= 1) b->tokens -= 1;
    else wait = (int)((1 - b->tokens) / s->rate) + 1;
    pthread_mutex_unlock(&s->rl_lock);
    return wait;
}

/* ---- denials: counted by reason, audited in aggregate ----
 *
 * An attacker must not be able to flood the append-only audit log, and no denial may go
 * unrecorded. So denials are gathered per (who, reason) and minute: the first of a minute
 * is written at once (a single denial is in the log as soon as it is answered, as before),
 * the rest of that minute are counted and written as one row when the minute has turned
 * (the main thread looks every second) or at shutdown. Each row's detail ends with
 * "; count N; minute YYYY-MM-DDTHH:MMZ", so the rows of a (who, reason) sum to the denials.
 * Who: the key ("key 12"), else the client address. The table is fixed (DN_SLOTS); when it is
 * full, further pairs are counted in one overflow entry (who "others"), written the same way,
 * so the rows a minute are bounded whatever the number of addresses. */
#define DN_SLOTS 256
enum { DENY_NO_KEY, DENY_BAD_KEY, DENY_ROLE, DENY_CARRIER, DENY_RATE, DENY_N };
static const char *const deny_reason_name[DENY_N] = {"no_key", "bad_key", "role", "carrier", "rate_limited"};

typedef struct denial {
    char who[64], actor[64], why[96], route[40];
    long minute;  /* minutes since the epoch of the first denial counted here */
    long pending; /* denials counted and not yet written */
    int used;
} denial;

static void minute_str(long minute, char *b, size_t n) {
    time_t t = (time_t)minute * 60;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(b, n, "%Y-%m-%dT%H:%MZ", &tm);
}

/* One audit row for `count` denials of a (who, reason) in a minute. */
static void deny_write(server *s, const denial *d, long count) {
    char obj[160], detail[200], m[32], err[256];
    ctx x = {.s = s};
    snprintf(x.actor, sizeof x.actor, "%s", d->actor);
    minute_str(d->minute, m, sizeof m);
    snprintf(obj, sizeof obj, "route %s %s", d->route, d->who);
    snprintf(detail, sizeof detail, "%s; count %ld; minute %s", d->why, count, m);
    LOCKED(&x, bex_store_audit(s->st, "denied", obj, detail, err, sizeof err));
}

/* Writes every entry whose minute is over (all of them when `all`): the main thread, every
 * second, and at shutdown. */
static void deny_flush(server *s, int all) {
    long now = (long)(time(NULL) / 60);
    for (int i = 0; i <= DN_SLOTS; i++) {
        denial d;
        long n = 0;
        pthread_mutex_lock(&s->dn_lock);
        denial *e = &s->denials[i];
        if (e->used && (all || e->minute < now)) {
            d = *e;
            n = e->pending;
            e->used = 0; /* the pair's next denial is the first of its minute again */
            e->pending = 0;
        }
        pthread_mutex_unlock(&s->dn_lock);
        if (n > 0) deny_write(s, &d, n);
    }
}

/* A denial: counted by reason, audited in aggregate (above), answered with `status` and `msg`. */
void deny(ctx *x, reply *r, int status, const char *path, const char *why, const char *msg) {
    server *s = x->s;
    int reason = status == 429 ? DENY_RATE
                 : status == 401 ? (strcmp(why, "no key") ? DENY_BAD_KEY : DENY_NO_KEY)
                 : strstr(why, "carrier") ? DENY_CARRIER : DENY_ROLE;
    atomic_fetch_add(&s->denied, 1);
    atomic_fetch_add(&s->denied_by[reason], 1);
    denial mine = {.used = 1, .minute = (long)(time(NULL) / 60), .pending = 0};
    if (x->key.id) snprintf(mine.who, sizeof mine.who, "key %lld", (long long)x->key.id);
    else snprintf(mine.who, sizeof mine.who, "client %s", x->client ? x->client : "?");
    snprintf(mine.actor, sizeof mine.actor, "%s", x->actor);
    snprintf(mine.why, sizeof mine.why, "%s", why);
    snprintf(mine.route, sizeof mine.route, "%s", path);
    int write_now = 0;
    denial old;
    long old_n = 0;
    pthread_mutex_lock(&s->dn_lock);
    uint64_t h = 1469598103934665603ull;
    for (const char *p = mine.who; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
    for (const char *p = mine.why; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
    denial *e = NULL, *free_slot = NULL;
    for (int i = 0; i < 16 && !e; i++) {
        denial *c = &s->denials[(h + (uint64_t)i) % DN_SLOTS];
        if (c->used && !strcmp(c->who, mine.who) && !strcmp(c->why, mine.why)) e = c;
        else if (!c->used && !free_slot) free_slot = c;
    }
    if (e && e->minute != mine.minute) { /* a new minute: the old one's count goes out now */
        old = *e;
        old_n = e->pending;
        *e = mine;
        write_now = 1;
    } else if (e) {
        e->pending++;
    } else if (free_slot) {
        *free_slot = mine;
        write_now = 1;
    } else { /* the table is full: counted among the others */
        e = &s->denials[DN_SLOTS];
        if (!e->used) {
            *e = mine;
            snprintf(e->who, sizeof e->who, "others");
            snprintf(e->actor, sizeof e->actor, "anonymous");
            snprintf(e->why, sizeof e->why, "denials of callers beyond the first %d of the minute", DN_SLOTS);
        }
        e->pending++;
    }
    pthread_mutex_unlock(&s->dn_lock);
    if (old_n > 0) deny_write(s, &old, old_n);
    if (write_now) deny_write(s, &mine, 1);
    reply_error(r, status, msg);
}

void server_metrics(FILE *f, server *s) {
    fprintf(f, "# HELP bex_denials_total Requests denied, by reason (audited in aggregate).\n"
               "# TYPE bex_denials_total counter\n");
    for (int i = 0; i < DENY_N; i++)
        fprintf(f, "bex_denials_total{reason=\"%s\"} %ld\n", deny_reason_name[i], atomic_load(&s->denied_by[i]));
    fprintf(f, "# HELP bex_slow_closed_total Connections closed for not sending a request's complete headers "
               "within --header-timeout.\n# TYPE bex_slow_closed_total counter\nbex_slow_closed_total %ld\n",
            atomic_load(&s->slow_closed));
    fprintf(f, "# HELP bex_too_large_total Requests refused 413: body, photo pixels or the request's pixel budget.\n"
               "# TYPE bex_too_large_total counter\nbex_too_large_total %ld\n", atomic_load(&s->too_large));
    const union MHD_DaemonInfo *di = s->daemon ? MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS)
                                               : NULL;
    fprintf(f, "# HELP bex_connections Connections open now.\n# TYPE bex_connections gauge\nbex_connections %u\n",
            di ? di->num_connections : 0);
}

int arg_id(const ctx *x, const char *name, long long *id) {
    const char *v = arg(x, name);
    char *end = NULL;
    *id = v ? strtoll(v, &end, 10) : 0;
    return v && !*end && *id > 0;
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
    form *fm = cls;
    form_field *f = NULL;
    for (int i = 0; i < fm->n && !f; i++)
        if (!strcmp(fm->f[i].name, key)) f = &fm->f[i];
    if (f && off == 0 && f->len > 0) { /* a second part of that name: refused, not joined to the first */
        fm->bad = 2;
        return MHD_NO;
    }
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

/* The headers alone decide whether the body is wanted: the route (404, 405), the declared
 * size (413 over --max-body), the key (401), the rate (429) and the role (403). 1 with the
 * reply set when the request is answered from its headers; 0 to read the body, with the route
 * and the key kept in rq. A key is checked before its body is read, so a caller without
 * one cannot make the server hold megabytes. */
static int check_headers(server *s, struct MHD_Connection *c, const char *url, const char *method, request *rq,
                         reply *r) {
    ctx x = {.s = s, .c = c, .client = rq->client};
    snprintf(x.actor, sizeof x.actor, "anonymous");
    uint32_t ip = 0;
    inet_pton(AF_INET, rq->client, &ip);
    /* the console's files: no key (they hold no data), the address's rate */
    if (!strncmp(url, "/console", 8) && (url[8] == 0 || url[8] == '/')) {
        int wait = rate_take(s, 2ull << 40 | ip);
        if (wait) {
            deny(&x, r, 429, "/console/", "rate limited (no key: per client address)",
                 "too many requests from this address: slow down (Retry-After)");
            r->retry_after = wait;
        } else if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
            reply_error(r, 405, "the console's files are read with GET");
            r->console = 1;
        } else {
            console_asset(url, r);
        }
        return 1;
    }
    const route *rt = NULL;
    int path_known = 0;
    for (size_t i = 0; i < server_n_routes; i++) {
        if (strcmp(url, server_routes[i].path)) continue;
        path_known = 1;
        if (!strcmp(method, server_routes[i].method)) rt = &server_routes[i];
    }
    if (!rt) {
        reply_error(r, path_known ? 405 : 404, path_known ? "method not allowed on this route" : "no such route");
        return 1;
    }
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end = NULL;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        if (errno || end == cl || n > s->max_body || (rt->action == BEX_ACT_NONE && n > SESSION_BODY_MAX)) {
            atomic_fetch_add(&s->too_large, 1);
            reply_error(r, 413, "the body is larger than the server's limit (--max-body)");
            return 1;
        }
    }
    if (rt->action != BEX_ACT_NONE) {
        const char *key = request_key(c);
        char err[256];
        int rc = BEX_ERR_ARG;
        /* no key but the console's session cookie: the session's key, looked up again (a
         * revoked key's sessions die with it), and for anything but a GET its CSRF token */
        int by_cookie = 0, csrf_ok = 1;
        if (!key && session_cookie_sent(c)) {
            if (session_authorise(&x, method, &x.key, &csrf_ok)) {
                by_cookie = 1;
                rc = BEX_OK;
            } else {
                memset(&x.key, 0, sizeof x.key);
                int wait = rate_take(s, 2ull << 40 | ip);
                if (wait) {
                    deny(&x, r, 429, rt->path, "rate limited (no valid key: per client address)",
                         "too many requests from this address: slow down (Retry-After)");
                    r->retry_after = wait;
                } else {
                    deny(&x, r, 401, rt->path, "session expired, signed out or its key revoked",
                         "the console's session has ended: sign in again");
                }
                return 1;
            }
        }
        /* a caller with no valid key spends its address's tokens, before and after the look-up */
        int wait = key || by_cookie ? 0 : rate_take(s, 2ull << 40 | ip);
        if (!wait && key) LOCKED(&x, rc = bex_store_key_check(s->st, key, &x.key, err, sizeof err));
        if (!wait && key && rc != BEX_OK) wait = rate_take(s, 2ull << 40 | ip);
        if (wait) {
            memset(&x.key, 0, sizeof x.key);
            deny(&x, r, 429, rt->path, "rate limited (no valid key: per client address)",
                 "too many requests from this address: slow down (Retry-After)");
            r->retry_after = wait;
            return 1;
        }
        if (rc != BEX_OK) {
            memset(&x.key, 0, sizeof x.key);
            deny(&x, r, 401, rt->path, key ? "unknown or revoked key" : "no key",
                 "an API key is needed: Authorization: Bearer KEY (bex keys add)");
            return 1;
        }
        /* from here on, everything this request does is audited as its key */
        snprintf(x.actor, sizeof x.actor, "key:%lld %s", (long long)x.key.id, bex_role_name(x.key.role));
        if ((wait = rate_take(s, 1ull << 40 | (uint64_t)x.key.id)) != 0) {
            deny(&x, r, 429, rt->path, "rate limited (per key)", "too many requests with this key: slow down "
                 "(Retry-After)");
            r->retry_after = wait;
            return 1;
        }
        if (!csrf_ok) {
            deny(&x, r, 403, rt->path, "session request without its CSRF token",
                 "a change made with the console's session needs its X-CSRF-Token header");
            return 1;
        }
        if (!bex_role_may(x.key.role, rt->action)) {
            char detail[64];
            snprintf(detail, sizeof detail, "role %s may not %s", bex_role_name(x.key.role), bex_action_name(rt->action));
            deny(&x, r, 403, rt->path, detail, "this key's role may not use this route");
            return 1;
        }
    } else {
        int wait = rate_take(s, 2ull << 40 | ip);
        if (wait) {
            deny(&x, r, 429, rt->path, "rate limited (no key: per client address)",
                 "too many requests from this address: slow down (Retry-After)");
            r->retry_after = wait;
            return 1;
        }
    }
    rq->rt = rt;
    rq->key = x.key;
    snprintf(rq->actor, sizeof rq->actor, "%s", x.actor);
    return 0;
}

/* The request with its body: the handler, as the key its headers named. */
static void dispatch(server *s, struct MHD_Connection *c, const request *rq, reply *r) {
    if (rq->too_big) return reply_error(r, 413, "the body is larger than the server's limit (--max-body)");
    ctx x = {.s = s, .c = c, .rq = rq, .key = rq->key, .client = rq->client};
    snprintf(x.actor, sizeof x.actor, "%s", rq->actor);
    dispatch_route(rq->rt, &x, r);
}

static void dispatch_route(const route *rt, ctx *xp, reply *r) {
    ctx x = *xp;
    struct MHD_Connection *c = x.c;
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
            return reply_error(r, 400, bad == 2 ? "the form sends a part twice: send each part once"
                                       : bad ? "the form has too many parts or a part name over 31 characters"
                                             : "the multipart/form-data body cannot be read");
        }
        x.fm = &fm;
    }
    rt->fn(&x, r);
    form_free(&fm);
}

/* The headers every answer carries (issue 15): no sniffing, no referrer, no framing; the
 * console's pages a Content-Security-Policy that allows nothing from anywhere but the service
 * and no inline script or style; API answers are never cached (they hold personal data);
 * HSTS under TLS; a session's cookie. */
static void security_headers(server *s, struct MHD_Response *resp, const reply *r) {
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    if (r->console) {
        MHD_add_response_header(resp, "Content-Security-Policy", CONSOLE_CSP);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    } else {
        MHD_add_response_header(resp, "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    }
    if (s->tls) MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
    if (r->set_cookie[0]) MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, r->set_cookie);
}

/* Queues a reply (and counts it). */
static enum MHD_Result answer(server *s, struct MHD_Connection *c, const char *url, reply *r) {
    if (!r->json) reply_error(r, r->status ? r->status : 500, "internal error");
    if (r->status == 503 && !r->retry_after) r->retry_after = 1; /* busy: the same request may pass soon */
    atomic_fetch_add(&s->requests, 1);
    if (r->status >= 500) atomic_fetch_add(&s->errors_5xx, 1);
    else if (r->status >= 400) atomic_fetch_add(&s->errors_4xx, 1);
    struct MHD_Response *resp = MHD_create_response_from_buffer(r->len, r->json, r->persistent
                                                                ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        if (!r->persistent) free(r->json);
        return MHD_NO;
    }
    security_headers(s, resp, r);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            r->type ? r->type
                            : !strcmp(url, "/metrics") && r->status == 200 ? "text/plain; version=0.0.4"
                                                                            : "application/json");
    if (r->retry_after) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", r->retry_after);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ok;
}

/* The header deadline (issue 12, case 4). libmicrohttpd's --timeout closes a connection after
 * that many seconds without a byte, so a client sending a byte every few seconds is never
 * closed by it, and a few addresses of such clients fill --max-connections. So each connection
 * is listed from its start (MHD_CONNECTION_NOTIFY_STARTED) with the time its request's headers
 * are due: --header-timeout from its start, or from the end of its previous request
 * (keep-alive). The access handler's first call (the headers complete) marks it; the main
 * loop's tick, once a second, shuts down the socket of every connection past its deadline and
 * not marked (libmicrohttpd then sees the socket fail and closes the connection in its own
 * thread). The list and the shutdown are under one mutex, and a connection leaves the list on
 * MHD_CONNECTION_NOTIFY_CLOSED, before libmicrohttpd closes its socket, so the descriptor shut
 * down is never one reused by another connection. A request's body is not under this
 * deadline: only a key's requests (not keyless ones, answered from the headers) read one. */
static long now_ms(void) { return server_now_us() / 1000; }

struct conn {
    struct conn *prev, *next;
    int fd, in_request, shut;
    long due_ms; /* monotonic ms */
};

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
    server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct conn *k = calloc(1, sizeof *k);
        if (!k || !ci) { /* not listed: only --timeout bounds it */
            free(k);
            *socket_context = NULL;
            return;
        }
        k->fd = (int)ci->connect_fd;
        k->due_ms = now_ms() + s->header_timeout_ms;
        pthread_mutex_lock(&s->cn_lock);
        k->next = s->conns;
        if (s->conns) s->conns->prev = k;
        s->conns = k;
        pthread_mutex_unlock(&s->cn_lock);
        *socket_context = k;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        struct conn *k = *socket_context;
        if (!k) return;
        pthread_mutex_lock(&s->cn_lock);
        if (k->prev) k->prev->next = k->next;
        else s->conns = k->next;
        if (k->next) k->next->prev = k->prev;
        pthread_mutex_unlock(&s->cn_lock);
        free(k);
        *socket_context = NULL;
    }
}

/* in_request 1: a request's headers are complete; 0: it is over, the next one's are due */
static void conn_mark(server *s, struct MHD_Connection *c, int in_request) {
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct conn *k = ci ? ci->socket_context : NULL;
    if (!k) return;
    pthread_mutex_lock(&s->cn_lock);
    k->in_request = in_request;
    if (!in_request) k->due_ms = now_ms() + s->header_timeout_ms;
    pthread_mutex_unlock(&s->cn_lock);
}

/* the main loop's tick: shut down the connections whose headers are overdue */
static void conn_sweep(server *s) {
    long now = now_ms();
    pthread_mutex_lock(&s->cn_lock);
    for (struct conn *k = s->conns; k; k = k->next)
        if (!k->in_request && !k->shut && now >= k->due_ms) {
            k->shut = 1;
            shutdown(k->fd, SHUT_RDWR);
            atomic_fetch_add(&s->slow_closed, 1);
        }
    pthread_mutex_unlock(&s->cn_lock);
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
        conn_mark(s, c, 1);
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        const struct sockaddr_in *sin = ci ? (const struct sockaddr_in *)ci->client_addr : NULL;
        if (!sin || sin->sin_family != AF_INET || !inet_ntop(AF_INET, &sin->sin_addr, rq->client, sizeof rq->client))
            snprintf(rq->client, sizeof rq->client, "?");
        reply r = {0};
        if (!check_headers(s, c, url, method, rq, &r)) return MHD_YES;
        /* answered from the headers: the body is never read (libmicrohttpd skips it and
         * closes the connection after the reply) */
        rq->answered = 1;
        return answer(s, c, url, &r);
    }
    if (rq->answered) { /* a body after an early answer: dropped */
        *data_size = 0;
        return MHD_YES;
    }
    if (*data_size) { /* a piece of the body */
        size_t max = rq->rt && rq->rt->action == BEX_ACT_NONE ? SESSION_BODY_MAX : s->max_body;
        if (!rq->too_big && rq->len + *data_size > max) {
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
    dispatch(s, c, rq, &r);
    return answer(s, c, url, &r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t) {
    (void)t;
    server *s = cls;
    conn_mark(s, c, 0); /* keep-alive: the next request's headers are due --header-timeout from now */
    request *rq = *con_cls;
    if (!rq) return;
    free(rq->body);
    free(rq);
    *con_cls = NULL;
    atomic_fetch_sub(&s->in_flight, 1);
}

/* libmicrohttpd's own messages (a connection refused at a limit, a TLS handshake failed): at
 * most 20 a minute reach stderr, then how many were left out, so a hostile network cannot
 * flood the service's log either. */
static void mhd_log(void *cls, const char *fmt, va_list ap) {
    (void)cls;
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static long minute, shown, dropped;
    long now = (long)(time(NULL) / 60);
    pthread_mutex_lock(&lock);
    if (now != minute) {
        if (dropped) fprintf(stderr, "bex: serve: %ld more libmicrohttpd messages left out in the last minute\n", dropped);
        minute = now;
        shown = dropped = 0;
    }
    if (shown < 20) {
        shown++;
        fprintf(stderr, "bex: serve: ");
        vfprintf(stderr, fmt, ap);
        size_t n = strlen(fmt);
        if (!n || fmt[n - 1] != '\n') fputc('\n', stderr);
    } else {
        dropped++;
    }
    pthread_mutex_unlock(&lock);
}

/* TLS through GnuTLS (libmicrohttpd's): 1.2 and 1.3 only; in 1.2 only ephemeral elliptic-curve
 * Diffie-Hellman key exchange (ECDHE), so a stolen server key does not open recorded traffic,
 * and only AEAD ciphers (AES-GCM, ChaCha20-Poly1305): no CBC, no RSA key transport, no SHA-1
 * MACs. (Finite-field DHE would need DH parameters loaded; ECDHE is what every current client
 * offers.) TLS 1.3's suites are all forward-secret AEAD ones. */
#define TLS_PRIORITIES                                                                         \
    "SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:-CIPHER-ALL:" \
    "+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305:-MAC-ALL:+AEAD:%SAFE_RENEGOTIATION"

#define SERVE_USAGE                                                                                       \
    "serve takes [--db FILE] [--listen ADDR:PORT] [--workers N] [--queue N] [--max-body BYTES] "          \
    "[--max-pixels N] [--max-request-pixels N] [--timeout S] [--header-timeout S] [--max-connections N] " \
    "[--max-per-client N] [--rate N] [--burst N] [--max-db-bytes N] [--search-threads N] [--session-idle S] [--session-max S] "             \
    "[--tls-cert PEM --tls-key PEM] [--eval-dir DIR]"

/* Threads a 1:N scan over the store's index runs on (--search-threads; 0: the cores). Each
 * worker scans its own request's photo before the store's lock (bex_store_prescan), so the
 * workers already scan side by side, and the scan is bound by memory bandwidth. Measured at a
 * million travellers, two gates, two cores (docs/service.md): one thread a scan 75-77 decisions
 * a second, p99 34 ms; two threads (the cores) 49-50, p50 40 ms. */
#define SEARCH_THREADS_DEFAULT 1

int cmd_serve(const char *models, int argc, char **argv) {
    const char *db = "bex.db", *listen = "127.0.0.1:8080", *cert = NULL, *keyf = NULL, *eval_dir = NULL;
    /* 16 Mpx: a border camera's capture (ICAO's 300+ ppi portrait, a 12 Mpx e-gate camera) with
     * room to spare; decoding one takes 48 MB of RGB, and no face needs more */
    long workers = sysconf(_SC_NPROCESSORS_ONLN), queue = -1, max_body = 16 << 20, max_pixels = 16000000,
         max_request_pixels = -1, timeout = 10, header_timeout = 10, max_conn = 512, per_client = 32, rate = 50,
         burst = -1, search_threads = SEARCH_THREADS_DEFAULT, session_idle = 30 * 60, session_max = 8 * 3600;
    long long max_db = 0;
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
        else if (!strcmp(a, "--eval-dir")) eval_dir = v; /* the evaluation's files: GET /v1/eval/files */
        else if (!strcmp(a, "--workers") && num_ok && n >= 1 && n <= 64) workers = n;
        else if (!strcmp(a, "--queue") && num_ok && n >= 0 && n <= 10000) queue = n;
        else if (!strcmp(a, "--max-body") && num_ok && n >= 1024) max_body = n;
        else if (!strcmp(a, "--max-pixels") && num_ok && n >= 10000 && n <= 400000000) max_pixels = n;
        else if (!strcmp(a, "--max-request-pixels") && num_ok && n >= 10000 && n <= 2000000000) max_request_pixels = n;
        else if (!strcmp(a, "--timeout") && num_ok && n >= 1 && n <= 3600) timeout = n;
        else if (!strcmp(a, "--header-timeout") && num_ok && n >= 1 && n <= 3600) header_timeout = n;
        else if (!strcmp(a, "--max-db-bytes") && num_ok && n >= 1 << 20) max_db = n;
        else if (!strcmp(a, "--max-connections") && num_ok && n >= 4 && n <= 100000) max_conn = n;
        else if (!strcmp(a, "--max-per-client") && num_ok && n >= 0 && n <= 100000) per_client = n;
        else if (!strcmp(a, "--rate") && num_ok && n >= 0 && n <= 1000000) rate = n;
        else if (!strcmp(a, "--burst") && num_ok && n >= 1 && n <= 1000000) burst = n;
        else if (!strcmp(a, "--search-threads") && num_ok && n >= 0 && n <= 16) search_threads = n;
        else if (!strcmp(a, "--session-idle") && num_ok && n >= 1 && n <= 86400) session_idle = n;
        else if (!strcmp(a, "--session-max") && num_ok && n >= 1 && n <= 7 * 86400) session_max = n;
        else return cli_usage_error(SERVE_USAGE);
        i++;
    }
    if (max_request_pixels < 0) max_request_pixels = 2 * max_pixels;
    if (burst < 0) burst = rate > 0 ? 2 * rate : 1;
    if (!cert != !keyf) return cli_usage_error("TLS needs both --tls-cert PEM and --tls-key PEM");
    struct stat ed;
    if (eval_dir && (stat(eval_dir, &ed) != 0 || !S_ISDIR(ed.st_mode)))
        return cli_usage_error("--eval-dir takes a folder (the evaluation's DET curves and calibration tables)");
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
                .limits = {.max_file_bytes = (size_t)max_body, .max_pixels = (uint64_t)max_pixels},
                .max_request_pixels = (uint64_t)max_request_pixels, .rate = (double)rate, .burst = (double)burst,
                .header_timeout_ms = header_timeout * 1000, .tls = cert_pem != NULL,
                .session_idle_s = session_idle, .session_max_s = session_max, .eval_dir = eval_dir};
    s.buckets = calloc(RL_SLOTS, sizeof *s.buckets);
    s.denials = calloc(DN_SLOTS + 1, sizeof *s.denials);
    if (!s.buckets || !s.denials || console_init(&s) != 0) {
        console_free(&s);
        free(s.buckets);
        free(s.denials);
        free(cert_pem);
        free(key_pem);
        fprintf(stderr, "bex: serve: out of memory\n");
        return 2;
    }
    pthread_mutex_init(&s.rl_lock, NULL);
    pthread_mutex_init(&s.dn_lock, NULL);
    pthread_mutex_init(&s.st_lock, NULL);
    pthread_mutex_init(&s.eng_lock, NULL);
    pthread_mutex_init(&s.cn_lock, NULL);
    pthread_cond_init(&s.eng_cond, NULL);
    bex_store_options o;
    bex_store_options_default(&o);
    o.actor = "serve"; /* until a request names its key: the store's opening and migrations */
    o.max_bytes = max_db;
    o.search_threads = (int)search_threads;
    o.model = s.model = cli_model(); /* --model FILE: the store matches and decides with the engines' model */
    char err[512];
    if (bex_store_open(db, &o, &s.st, err, sizeof err) != BEX_OK) {
        char label[512];
        fprintf(stderr, "bex: serve: %s: %s\n", bex_store_target_label(db, label, sizeof label), err);
        free(s.buckets);
        free(s.denials);
        console_free(&s);
        free(cert_pem);
        free(key_pem);
        return 2;
    }
    s.eng = calloc((size_t)workers, sizeof *s.eng);
    s.free_eng = calloc((size_t)workers, sizeof *s.free_eng);
    int ok = s.eng && s.free_eng;
    for (int i = 0; ok && i < workers; i++) {
        ok = cli_open_engine(models, BEX_ALIGN_DEFAULT, &s.eng[i]);
        if (ok && bex_store_template_check(s.st, bex_engine_model(s.eng[i]), bex_engine_dim(s.eng[i]), err,
                                           sizeof err) != BEX_OK) {
            fprintf(stderr, "bex: serve: %s\n", err);
            ok = 0;
        }
        if (ok) s.free_eng[s.n_free++] = i;
    }
    struct MHD_Daemon *d = NULL;
    /* Connections: libmicrohttpd's event loop (epoll) on a pool of threads, not a thread per
     * connection. An idle or slow connection costs a socket and a few KiB, never a thread, so
     * it cannot starve the gates; it is bounded per client address (--max-per-client) and in
     * all (--max-connections), closed after --timeout seconds without a byte, and closed if
     * its request's headers are not all in within --header-timeout seconds (conn_sweep). A request
     * runs on the pool thread that read it (a photo waits there for an engine), so the pool is
     * the engines plus their queue plus a few for the requests that need no engine (health,
     * metrics, look-ups, refusals): more threads could only wait on the same engines.
     * Tried and not taken: suspending a request whose body is in and running it on a worker
     * pool (MHD_suspend_connection / MHD_resume_connection), so that a keep-alive connection
     * sharing a thread with a photo is not held up: its p99 was no better outside the noise of
     * this shared machine, and libmicrohttpd 0.9.75 closed, unanswered, every resumed request
     * whose client had shut down its sending side (the fuzzer's clients do). Figures:
     * docs/service.md. */
    long pool = workers + queue + 4;
    if (pool > 64) pool = 64;
    if (ok) {
        unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
        if (cert_pem) flags |= MHD_USE_TLS;
        d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, &s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                             MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                             MHD_OPTION_NOTIFY_COMPLETED, on_completed, &s,
                             MHD_OPTION_NOTIFY_CONNECTION, on_connection, &s, MHD_OPTION_CONNECTION_TIMEOUT,
                             (unsigned)timeout, MHD_OPTION_CONNECTION_LIMIT, (unsigned)max_conn,
                             MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)per_client,
                             MHD_OPTION_THREAD_POOL_SIZE, (unsigned)pool, MHD_OPTION_LISTEN_BACKLOG_SIZE, 256u,
                             MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 << 10),
                             cert_pem ? MHD_OPTION_HTTPS_PRIORITIES : MHD_OPTION_END, TLS_PRIORITIES,
                             MHD_OPTION_HTTPS_MEM_CERT, cert_pem, MHD_OPTION_HTTPS_MEM_KEY, key_pem, MHD_OPTION_END);
        if (!d) fprintf(stderr, "bex: serve: cannot listen on %s: %s\n", listen, strerror(errno));
    }
    if (d) {
        s.daemon = d;
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
        /* one line a supervisor or test can read: where it listens */
        printf("{\"listening\":\"%s:%u\",\"tls\":%s,\"db\":", host, info ? (unsigned)info->port : (unsigned)port,
               cert_pem ? "true" : "false");
        char label[512];
        bex_json_str(stdout, bex_store_target_label(db, label, sizeof label)); /* never a password */
        printf(",\"engines\":%ld,\"queue\":%ld,\"threads\":%ld,\"max_connections\":%ld,\"max_per_client\":%ld,"
               "\"header_timeout\":%ld,\"rate\":%ld,\"burst\":%ld}\n", workers, queue, pool, max_conn, per_client,
               header_timeout, rate, burst);
        fflush(stdout);
        /* wait for the stop, writing the denials of each minute past as it turns and closing
         * the connections whose request headers are overdue (--header-timeout) */
        struct timespec tick = {1, 0};
        while (sigtimedwait(&stop_sigs, NULL, &tick) < 0) {
            deny_flush(&s, 0);
            conn_sweep(&s);
        }
        /* stop accepting, let requests in flight finish (bounded by the timeout) */
        MHD_quiesce_daemon(d);
        for (long waited = 0; atomic_load(&s.in_flight) > 0 && waited < timeout * 1000; waited += 10) usleep(10000);
        MHD_stop_daemon(d);
        s.daemon = NULL;
        deny_flush(&s, 1);
        fprintf(stderr, "bex: serve: stopped; %ld requests answered\n", atomic_load(&s.requests));
    }
    for (int i = 0; s.eng && i < workers; i++) bex_engine_close(s.eng[i]);
    free(s.eng);
    free(s.free_eng);
    free(s.buckets);
    free(s.denials);
    console_free(&s);
    bex_store_close(s.st);
    free(cert_pem);
    free(key_pem);
    return d ? 0 : 2;
}
