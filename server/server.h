/*
 * server.h - what the service's files share (server/ only): the server's state, a request and
 * its reply, the handlers' context, and the helpers the handlers use. serve.c runs the
 * daemon (connections, limits, keys, roles, dispatch, stopping); routes.c holds the handlers,
 * which translate a request into border.h's calls and the result into json.h's JSON. The
 * service decides nothing itself: who may do what is bex_role_may's, every rule the library's.
 */
#ifndef BEX_SERVER_H
#define BEX_SERVER_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "bex/border.h"
#include "bex/image.h"
#include "bex/json.h"
#include "bex/quality.h"
#include "bex/rules.h"
#include "bex/store.h"

typedef struct server {
    bex_store *st;
    const bex_model *model;      /* --model FILE's (engines and store), NULL: the built-in */
    pthread_mutex_t st_lock;
    bex_engine **eng;
    int n_eng, n_free, waiting, queue_max;
    int *free_eng;
    pthread_mutex_t eng_lock;
    pthread_cond_t eng_cond;
    size_t max_body;
    bex_image_limits limits;
    uint64_t max_request_pixels; /* all photos of one request together */
    atomic_long requests, errors_4xx, errors_5xx, busy, denied, in_flight;
    atomic_long extract_us, extract_n, store_us, store_n;
    /* denials by reason (deny_reason), and the rate limiter's and the denial aggregator's
     * state: serve.c's */
    atomic_long denied_by[8];
    atomic_long too_large;
    /* connections that had not sent a request's complete headers within --header-timeout of
     * their start (or of the end of their previous request) and were closed: serve.c's */
    atomic_long slow_closed;
    long header_timeout_ms;
    pthread_mutex_t cn_lock;
    struct conn *conns;                /* open connections, a list under cn_lock */
    double rate, burst;                /* requests a second and bucket size; rate 0: no limit */
    pthread_mutex_t rl_lock, dn_lock;
    struct bucket *buckets;            /* RL_SLOTS */
    struct denial *denials;            /* DN_SLOTS, and one overflow entry after them */
    struct MHD_Daemon *daemon;
    int tls;                           /* served over TLS: cookies Secure, HSTS */
    /* the console's sessions (console.c): in the store (014_sessions.sql), so every node on one
     * database knows them; 1 once console_init ran */
    int sessions_on;
    long session_idle_s, session_max_s;
    const char *eval_dir;              /* --eval-dir: the evaluation's files served (NULL: none) */
} server;

struct route;

/* A request: what its headers decided (the route, the key), then its body. */
typedef struct request {
    char *body;
    size_t len, cap;
    int too_big;
    int answered;           /* a reply was queued from the headers alone: the body is not read */
    const struct route *rt; /* the route, its key and role already checked */
    bex_api_key key;        /* id 0: none */
    char actor[64];
    char client[48];        /* the peer's address */
} request;

/* A multipart/form-data body, parsed by libmicrohttpd's post processor: named parts. */
#define FORM_MAX_FIELDS 40 /* an entry with its chip: 18 files and its fields */
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
    int persistent;   /* json points at static bytes (a console file): not freed */
    int console;      /* a console page or file: its Content-Security-Policy */
    char set_cookie[160]; /* a Set-Cookie header, "" for none */
} reply;

/* A handler's context: the server, the connection, the request, the key that asks. */
typedef struct ctx {
    server *s;
    struct MHD_Connection *c;
    const request *rq;
    const form *fm;   /* NULL unless the body was multipart/form-data */
    bex_api_key key;  /* id 0: none */
    char actor[64];   /* for the audit log: "key:12 officer", or "anonymous" */
    const char *client; /* the peer's address ("127.0.0.1") */
    uint64_t pixels;  /* decoded so far by this request's photos and finger images (--max-request-pixels) */
} ctx;

/* ---- serve.c ---- */

long server_now_us(void);
/* A store call under the store's lock, as this request's actor, timed for the metrics. */
#define LOCKED(x, stmt)                                    \
    do {                                                   \
        long t0_ = server_now_us();                        \
        pthread_mutex_lock(&(x)->s->st_lock);              \
        bex_store_set_actor((x)->s->st, (x)->actor);       \
        stmt;                                              \
        pthread_mutex_unlock(&(x)->s->st_lock);            \
        atomic_fetch_add(&(x)->s->store_us, server_now_us() - t0_); \
        atomic_fetch_add(&(x)->s->store_n, 1);             \
    } while (0)

void reply_error(reply *r, int status, const char *msg);
/* A memory stream for a 200 reply; reply_done closes it (a 500 when it could not). */
FILE *reply_open(reply *r);
void reply_done(reply *r, FILE *f);
/* A denial: counted by reason, audited in aggregate per (key id, or client address without a
 * valid key; why) and minute (the route, never the key; serve.c says how), answered with
 * status and msg. why names the reason ("no key", "role officer may not purge", ...). */
void deny(ctx *x, reply *r, int status, const char *path, const char *why, const char *msg);
/* The HTTP status for a library status: 400 for a request that cannot be decided, 413 over a
 * limit, 500 otherwise. */
int store_status(int rc);
/* The connection, rate-limit and denial lines of /metrics. */
void server_metrics(FILE *f, server *s);

/* The photo as a template or a capture outcome: 0 with *out set; otherwise the reply is set
 * (400 unreadable, 503 queue full, 500). all: every face (out[max], *n). */
int extract(ctx *x, const char *buf, size_t len, const char *what, reply *r, bex_capture_result *out);
int extract_all(ctx *x, const char *buf, size_t len, const char *what, reply *r, bex_capture_result *out,
                int max, int *n);

/* A field: a multipart part of that name, else the query parameter; NULL when absent or empty. */
const char *arg(const ctx *x, const char *name);
/* A photo: the multipart part `name`, else (body_too) the raw body. */
void photo(const ctx *x, const char *name, int body_too, const char **buf, size_t *len);
/* 1 when the part `name` was sent. */
int has_part(const ctx *x, const char *name);
/* A positive integer parameter into *id; 0 when missing or not one. */
int arg_id(const ctx *x, const char *name, long long *id);

/* ---- routes.c ---- */

typedef struct route {
    const char *method, *path;
    bex_action action;          /* BEX_ACT_NONE: no key needed */
    void (*fn)(ctx *, reply *);
} route;

extern const route server_routes[];
extern const size_t server_n_routes;

/* ---- console.c: the console's files and sessions ---- */

/* A console file (generated from console/ by tools/embed-dir.sh). */
struct console_asset {
    const char *path;
    const char *type;
    const unsigned char *data;
    unsigned long len;
};
/* 1 with the reply set when url is the console's (/console, /console/...: a file or 404);
 * 0 when it is not. */
int console_asset(const char *url, reply *r);
int console_init(server *s);
void console_free(server *s);
/* 1 when the request's session cookie names a live session whose key is still valid: *key is
 * that key, *csrf_ok whether the request may change anything (a GET, or X-CSRF-Token equal to
 * the session's). 0 otherwise (no cookie, expired, signed out, the key revoked). */
int session_authorise(ctx *x, const char *method, bex_api_key *key, int *csrf_ok);
/* 1 when the request carries a session cookie at all. */
int session_cookie_sent(struct MHD_Connection *c);
/* the session routes (in routes.c's table) */
void console_session_start(ctx *x, reply *r);
void console_session_get(ctx *x, reply *r);
void console_session_end(ctx *x, reply *r);
/* bytes at most in a body read before any key is known (POST /v1/session) */
#define SESSION_BODY_MAX 4096

/* ---- generated from docs/openapi.json (tools/embed-text.sh) ---- */
extern const char bex_openapi_json[];
extern const unsigned long bex_openapi_json_len;

#endif
