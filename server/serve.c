/*
 * serve.c - `bex serve`: the record system over HTTP/JSON for gates, kiosks, carriers and
 * officers, on libmicrohttpd. This file runs the daemon: connections and their limits, the
 * bounded pool of face engines, API keys and the role matrix (rules.h: bex_role_may), the
 * dispatch of a request to its handler (routes.c), TLS and stopping.
 *
 *   bex serve [--db FILE] [--listen ADDR:PORT] [--workers N] [--queue N] [--max-body BYTES]
 *             [--max-pixels N] [--timeout S] [--max-db-bytes N] [--tls-cert PEM --tls-key PEM]
 *
 * One thread per connection; face extraction runs on a fixed pool of N engines (default: the
 * cores) behind a bounded queue: a photo that would wait behind more than --queue others is
 * answered 503 with Retry-After at once. One store, behind a mutex (a crossing's store work
 * is about 1-2 ms; the networks take about 50 ms a photo). Every request but health, metrics
 * and the OpenAPI document carries an API key (Authorization: Bearer KEY, or X-API-Key: KEY;
 * `bex keys add`) whose role decides what it may do; a denial is answered 401 / 403 and
 * audited; every store call is audited as the key ("key:12 officer"). SIGTERM or SIGINT: no
 * new connections, requests in flight finish, then the store closes. The routes are listed in
 * routes.c and documented in docs/openapi.json.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "../cli/cli.h"
#include "server.h"

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

/* The photo decoded (within the server's limits) and its face(s) captured on an engine of
 * the pool, under the default capture policy. */
static int extract_faces(ctx *x, const char *buf, size_t len, const char *what, reply *r, bex_capture_result *out,
                         int max, int *n) {
    server *s = x->s;
    char err[256], msg[320];
    if (!buf || len == 0) {
        snprintf(msg, sizeof msg, "the %s is missing: send it as the body (JPEG, PNG or JPEG 2000) or as the "
                 "multipart part \"%s\"", what, what);
        reply_error(r, 400, msg);
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
    bex_capture_policy pol;
    bex_capture_policy_default(&pol);
    int rc = n ? bex_capture_photo_all(s->eng[e], (const uint8_t *)buf, len, &s->limits, &pol, out, max, n, err,
                                       sizeof err)
               : bex_capture_photo(s->eng[e], (const uint8_t *)buf, len, &s->limits, &pol, out, err, sizeof err);
    engine_give(s, e);
    atomic_fetch_add(&s->extract_us, server_now_us() - t0);
    atomic_fetch_add(&s->extract_n, 1);
    if (rc == BEX_OK) return 0;
    snprintf(msg, sizeof msg, "%s: %s", what, err);
    reply_error(r, rc == BEX_ERR_NOMEM ? 503 : rc == BEX_ERR_ARG ? 500 : rc == BEX_ERR_LIMIT ? 413 : 400, msg);
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

/* A denial: written to the audit log (the route, and the key's id when there is a key, never
 * the key), counted, and answered with `status` and `msg`. */
void deny(ctx *x, reply *r, int status, const char *path, const char *why, const char *msg) {
    char obj[96], err[256];
    if (x->key.id) snprintf(obj, sizeof obj, "route %s key %lld", path, (long long)x->key.id);
    else snprintf(obj, sizeof obj, "route %s", path);
    LOCKED(x, bex_store_audit(x->s->st, "denied", obj, why, err, sizeof err));
    atomic_fetch_add(&x->s->denied, 1);
    reply_error(r, status, msg);
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
    for (size_t i = 0; i < server_n_routes; i++) {
        if (strcmp(url, server_routes[i].path)) continue;
        path_known = 1;
        if (!strcmp(method, server_routes[i].method)) rt = &server_routes[i];
    }
    if (!rt) return reply_error(r, path_known ? 405 : 404, path_known ? "method not allowed on this route" : "no such route");
    if (rq->too_big) return reply_error(r, 413, "the body is larger than the server's limit (--max-body)");
    ctx x = {.s = s, .c = c, .rq = rq};
    snprintf(x.actor, sizeof x.actor, "anonymous");
    dispatch_route(rt, &x, r);
}

static void dispatch_route(const route *rt, ctx *xp, reply *r) {
    ctx x = *xp;
    server *s = x.s;
    struct MHD_Connection *c = x.c;
    if (rt->action != BEX_ACT_NONE) {
        const char *key = request_key(c);
        char err[256];
        int rc = BEX_ERR_ARG;
        if (key) LOCKED(&x, rc = bex_store_key_check(s->st, key, &x.key, err, sizeof err));
        if (rc != BEX_OK) {
            memset(&x.key, 0, sizeof x.key);
            return deny(&x, r, 401, rt->path, key ? "unknown or revoked key" : "no key",
                        "an API key is needed: Authorization: Bearer KEY (bex keys add)");
        }
        /* from here on, everything this request does is audited as its key */
        snprintf(x.actor, sizeof x.actor, "key:%lld %s", (long long)x.key.id, bex_role_name(x.key.role));
        if (!bex_role_may(x.key.role, rt->action)) {
            char detail[64];
            snprintf(detail, sizeof detail, "role %s may not %s", bex_role_name(x.key.role), bex_action_name(rt->action));
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
    if (r.status == 503 && !r.retry_after) r.retry_after = 1; /* busy: the same request may pass soon */
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
        else if (!strcmp(a, "--workers") && num_ok && n >= 1 && n <= 64) workers = n;
        else if (!strcmp(a, "--queue") && num_ok && n >= 0 && n <= 10000) queue = n;
        else if (!strcmp(a, "--max-body") && num_ok && n >= 1024) max_body = n;
        else if (!strcmp(a, "--max-pixels") && num_ok && n >= 10000) max_pixels = n;
        else if (!strcmp(a, "--timeout") && num_ok && n >= 1 && n <= 3600) timeout = n;
        else if (!strcmp(a, "--max-db-bytes") && num_ok && n >= 1 << 20) max_db = n;
        else return cli_usage_error("serve takes [--db FILE] [--listen ADDR:PORT] [--workers N] [--queue N] "
                                    "[--max-body BYTES] [--max-pixels N] [--timeout S] [--max-db-bytes N] [--tls-cert PEM --tls-key PEM]");
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
    o.actor = "serve"; /* until a request names its key: the store's opening and migrations */
    o.max_bytes = max_db;
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
        bex_json_str(stdout, db);
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
