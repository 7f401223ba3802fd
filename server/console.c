/*
 * console.c - the officer console's side of `bex serve` (issue 15): its static files (console/,
 * built into the binary by tools/embed-dir.sh) at /console/, and the sessions that let a
 * browser use the API with a cookie instead of a key (POST /v1/session, GET /v1/session,
 * POST /v1/session/end). serve.c's check_headers asks session_authorise() where it asks for a
 * key today, before any body is read; the session then stands for its key: the same role
 * matrix, the same audit, the same rate.
 *
 * Sessions live in the store (014_sessions.sql: at most SESSION_SLOTS live ones, at most
 * SESSIONS_PER_KEY a key), so every service node on one database knows them and a restart
 * keeps them. The cookie's token is 32 random bytes (libsodium's randombytes_buf); the store
 * keeps its BLAKE2b hash, never the token, and finds a session by that hash; the CSRF token is
 * derived from the token (a keyed BLAKE2b), so it is not kept either. A session ends at 8 h (--session-max), after 30 min
 * without a request (--session-idle), at sign-out, and as soon as its key is revoked: the key
 * is looked up again (by id, in the store) on every request. A request authorised by the
 * cookie that is not a GET carries X-CSRF-Token, the session's csrf token (compared in
 * constant time): SameSite=Strict already keeps other sites' requests from carrying the
 * cookie, the token is the second lock. Carriers get no session (403, audited as a denial).
 */
#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bex/timestamp.h"
#include "server.h"

#define SESSION_SLOTS 256
#define SESSIONS_PER_KEY 8
#define COOKIE "bex_session"

typedef struct session {
    uint8_t hash[crypto_generichash_BYTES]; /* BLAKE2b of the cookie's token */
    char csrf[65];
    int64_t key_id;
    bex_role role;
    long created_s, last_s; /* the wall clock, seconds */
    int used;
} session;

/* ---- static files ---- */

extern const struct console_asset console_files[];
extern const unsigned long console_files_n;

int console_asset(const char *url, reply *r) {
    if (strncmp(url, "/console", 8)) return 0;
    const char *p = url + 8;
    if (!*p || !strcmp(p, "/")) p = "/index.html";
    if (*p != '/') return 0; /* /consoleX: not ours */
    p++;
    r->console = 1;
    for (unsigned long i = 0; i < console_files_n; i++)
        if (!strcmp(console_files[i].path, p)) {
            r->status = 200;
            r->json = (char *)console_files[i].data;
            r->len = console_files[i].len;
            r->type = console_files[i].type;
            r->persistent = 1;
            return 1;
        }
    reply_error(r, 404, "no such file in the console");
    return 1;
}

/* ---- sessions ---- */

int console_init(server *s) {
    if (sodium_init() < 0) return -1;
    s->sessions_on = 1;
    return 0;
}

void console_free(server *s) { s->sessions_on = 0; }

static bex_session_limits limits_of(const server *s) {
    bex_session_limits l = {.max_s = s->session_max_s, .idle_s = s->session_idle_s, .per_key = SESSIONS_PER_KEY,
                            .total = SESSION_SLOTS};
    return l;
}

static const char *cookie_token(struct MHD_Connection *c) {
    const char *t = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, COOKIE);
    return t && strlen(t) == 64 ? t : NULL;
}

/* What the store keeps of a token (its BLAKE2b hash), and the session's CSRF token, derived from
 * the token with a key of its own (so the store keeps neither). */
static void token_hash(const char *token, uint8_t h[crypto_generichash_BYTES]) {
    crypto_generichash(h, crypto_generichash_BYTES, (const unsigned char *)token, 64, NULL, 0);
}

static void token_csrf(const char *token, char csrf[65]) {
    static const unsigned char k[16] = "bex console csrf";
    uint8_t h[32];
    crypto_generichash(h, sizeof h, (const unsigned char *)token, 64, k, sizeof k);
    sodium_bin2hex(csrf, 65, h, sizeof h);
    sodium_memzero(h, sizeof h);
}

/* The live session of the request's cookie, touched (its idle clock restarted), into *out; 0
 * when none is live (or the store could not say). */
static int session_find(ctx *x, session *out) {
    const char *t = cookie_token(x->c);
    if (!t) return 0;
    session e = {.used = 1};
    token_hash(t, e.hash);
    token_csrf(t, e.csrf);
    bex_session_limits l = limits_of(x->s);
    long long created = 0;
    int found = 0, rc;
    char err[256];
    long now = (long)time(NULL);
    LOCKED(x, rc = bex_store_session_touch(x->s->st, e.hash, sizeof e.hash, now, &l, &found, &e.key_id, &created,
                                           err, sizeof err));
    if (rc != BEX_OK || !found) {
        sodium_memzero(&e, sizeof e);
        return 0;
    }
    e.created_s = (long)created;
    e.last_s = now;
    *out = e;
    return 1;
}

/* The key behind a session, looked up again by id: valid (not revoked) into *key. A revoked
 * key's sessions are all ended. */
static int key_by_id(ctx *x, int64_t id, bex_api_key *key) {
    bex_api_key *keys = NULL;
    size_t n = 0;
    char err[256];
    int rc, ok = 0;
    LOCKED(x, rc = bex_store_key_list(x->s->st, &keys, &n, err, sizeof err));
    for (size_t i = 0; rc == BEX_OK && i < n; i++)
        if (keys[i].id == id && !keys[i].revoked_at[0]) {
            *key = keys[i];
            ok = 1;
        }
    free(keys);
    if (!ok && rc == BEX_OK) LOCKED(x, bex_store_session_end(x->s->st, NULL, 0, id, err, sizeof err));
    return ok;
}

int session_authorise(ctx *x, const char *method, bex_api_key *key, int *csrf_ok) {
    session e;
    *csrf_ok = 0;
    if (!x->s->sessions_on || !session_find(x, &e)) return 0;
    if (!key_by_id(x, e.key_id, key)) return 0;
    if (key->role == BEX_ROLE_CARRIER) return 0; /* never made; never honoured */
    const char *t = MHD_lookup_connection_value(x->c, MHD_HEADER_KIND, "X-CSRF-Token");
    *csrf_ok = !strcmp(method, "GET") || (t && strlen(t) == 64 && sodium_memcmp(t, e.csrf, 64) == 0);
    return 1;
}

int session_cookie_sent(struct MHD_Connection *c) { return cookie_token(c) != NULL; }

static void session_json(ctx *x, reply *r, const bex_api_key *k, const session *e) {
    char exp[32];
    time_t t = (time_t)(e->created_s + x->s->session_max_s);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(exp, sizeof exp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    FILE *f = reply_open(r);
    if (f) {
        fprintf(f, "{\"role\":\"%s\",\"label\":", bex_role_name(k->role));
        bex_json_str(f, k->label);
        fprintf(f, ",\"key_id\":%lld,\"csrf\":\"%s\",\"expires_at\":\"%s\",\"idle_seconds\":%ld}\n",
                (long long)k->id, e->csrf, exp, x->s->session_idle_s);
    }
    reply_done(r, f);
}

static void cookie(ctx *x, reply *r, const char *token, long max_age) {
    snprintf(r->set_cookie, sizeof r->set_cookie, COOKIE "=%s; HttpOnly; SameSite=Strict; Path=/; Max-Age=%ld%s",
             token, max_age, x->s->tls ? "; Secure" : "");
}

/* POST /v1/session: the key from the body's JSON {"key":"..."} (or the Authorization /
 * X-API-Key header) becomes a session cookie. The body of this route is at most
 * SESSION_BODY_MAX bytes (serve.c), read before any key is known, like health's nothing. */
void console_session_start(ctx *x, reply *r) {
    char keybuf[65] = "";
    const char *given = NULL; /* the key as sent: a header's, or the body's "key" */
    cJSON *j = NULL;
    const char *hk = MHD_lookup_connection_value(x->c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (hk && !strncmp(hk, "Bearer ", 7)) given = hk + 7;
    else if ((hk = MHD_lookup_connection_value(x->c, MHD_HEADER_KIND, "X-API-Key"))) given = hk;
    else if (x->rq->len) {
        j = cJSON_ParseWithLength(x->rq->body, x->rq->len);
        if (!j) return reply_error(r, 400, "sign-in takes the JSON {\"key\":\"<64 hex digits>\"}");
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(j, "key");
        if (cJSON_IsString(k)) given = k->valuestring;
    }
    int had_key = given && *given;
    /* a key is exactly 64 characters: anything longer is not cut down to one */
    if (given && strlen(given) == 64) memcpy(keybuf, given, 65);
    if (j) {
        sodium_memzero(x->rq->body, x->rq->len); /* the key in the body: gone once copied */
        cJSON_Delete(j);
    }
    bex_api_key key;
    char err[256];
    int rc = BEX_ERR_ARG;
    if (keybuf[0]) LOCKED(x, rc = bex_store_key_check(x->s->st, keybuf, &key, err, sizeof err));
    sodium_memzero(keybuf, sizeof keybuf);
    if (rc != BEX_OK)
        return deny(x, r, 401, "/v1/session", had_key ? "unknown or revoked key" : "no key",
                    "that key is not valid: it is unknown or revoked");
    x->key = key;
    snprintf(x->actor, sizeof x->actor, "key:%lld %s", (long long)key.id, bex_role_name(key.role));
    if (key.role == BEX_ROLE_CARRIER)
        return deny(x, r, 403, "/v1/session", "carrier key may not open a console session",
                    "carriers have no console: a carrier's key works with the API only");
    uint8_t raw[32];
    char token[65];
    session e = {.used = 1, .key_id = key.id, .role = key.role};
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(token, sizeof token, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);
    token_hash(token, e.hash);
    token_csrf(token, e.csrf);
    e.created_s = e.last_s = (long)time(NULL);
    /* in the store: a key over its share gives up its oldest session; a full table refuses */
    server *s = x->s;
    bex_session_limits l = limits_of(s);
    int full = 0;
    LOCKED(x, rc = bex_store_session_start(s->st, e.hash, sizeof e.hash, key.id, e.created_s, &l, &full, err,
                                           sizeof err));
    if (rc != BEX_OK || full) {
        sodium_memzero(token, sizeof token);
        if (rc != BEX_OK) return reply_error(r, store_status(rc), err);
        reply_error(r, 503, "too many console sessions are open: try again later");
        r->retry_after = 60;
        return;
    }
    cookie(x, r, token, s->session_max_s);
    sodium_memzero(token, sizeof token);
    LOCKED(x, bex_store_audit(s->st, "session", "console", "signed in", err, sizeof err));
    session_json(x, r, &key, &e);
}

/* GET /v1/session: who the cookie's session is, or 401. */
void console_session_get(ctx *x, reply *r) {
    session e;
    bex_api_key key;
    if (!x->s->sessions_on || !session_find(x, &e) || !key_by_id(x, e.key_id, &key))
        return reply_error(r, 401, "no session: sign in");
    session_json(x, r, &key, &e);
}

/* POST /v1/session/end: signs out (with the session's X-CSRF-Token); the cookie expired. */
void console_session_end(ctx *x, reply *r) {
    session e;
    if (x->s->sessions_on && session_find(x, &e)) {
        const char *t = MHD_lookup_connection_value(x->c, MHD_HEADER_KIND, "X-CSRF-Token");
        if (!t || strlen(t) != 64 || sodium_memcmp(t, e.csrf, 64) != 0)
            return reply_error(r, 403, "sign-out needs the session's X-CSRF-Token");
        char err[256];
        LOCKED(x, bex_store_session_end(x->s->st, e.hash, sizeof e.hash, 0, err, sizeof err));
        snprintf(x->actor, sizeof x->actor, "key:%lld %s", (long long)e.key_id, bex_role_name(e.role));
        LOCKED(x, bex_store_audit(x->s->st, "session", "console", "signed out", err, sizeof err));
    }
    cookie(x, r, "", 0);
    FILE *f = reply_open(r);
    if (f) fprintf(f, "{\"signed_out\":true}\n");
    reply_done(r, f);
}
