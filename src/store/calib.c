/*
 * calib.c - the store's side of calibration on the deployment's own data (store.h,
 * "calibration on the deployment's own data"): non-mated and mated scores of the templates
 * on record, grouped by model and by port or camera, with pairs that a flag or a merge links
 * left out and a bound on how many are compared; applying a reviewed calibration file; and
 * the drift check of live captures against the calibration in force, which raises a flag.
 * The arithmetic (tables, the binomial test) is calibration.h's: this file reads and writes.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bex/calibration.h"
#include "store/store_impl.h"
#include "util/util.h"

#define DEFAULT_CAP 10000000ULL

typedef struct tpl {
    int64_t subject;
    int root;                /* the subject's linked set (index into the root table) */
    int live;                /* an entry's or exit's capture */
    char port[16], camera[32], at[24], model[BEX_MODEL_ID_MAX];
    int dim;                 /* floats in v: one model's templates all have its length */
    float *v;                /* bex__malloc'ed */
} tpl;

static void tpl_free(tpl *t, size_t n) {
    for (size_t i = 0; t && i < n; i++) bex__free(t[i].v);
    bex__free(t);
}

/* ---- linked subjects: union-find over subject ids ---- */

typedef struct links {
    int64_t *ids; /* sorted subject ids */
    int *parent;
    size_t n;
} links;

static int find(links *l, int i) {
    while (l->parent[i] != i) {
        l->parent[i] = l->parent[l->parent[i]];
        i = l->parent[i];
    }
    return i;
}
static int index_of(const links *l, int64_t id) {
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (l->ids[mid] < id) lo = mid + 1;
        else hi = mid;
    }
    return lo < l->n && l->ids[lo] == id ? (int)lo : -1;
}
static void unite(links *l, int64_t a, int64_t b) {
    int x = index_of(l, a), y = index_of(l, b);
    if (x < 0 || y < 0) return;
    x = find(l, x);
    y = find(l, y);
    if (x != y) l->parent[x] = y;
}

static int load_links(bex_store *st, links *l, char *err, size_t errlen) {
    memset(l, 0, sizeof *l);
    int64_t n = 0;
    int rc = st_query_int(st, "SELECT count(*) FROM subjects", NULL, 0, 0, &n, err, errlen);
    if (rc != BEX_OK) return rc;
    l->ids = bex__malloc(sizeof *l->ids * (size_t)(n + 1));
    l->parent = bex__malloc(sizeof *l->parent * (size_t)(n + 1));
    if (!l->ids || !l->parent) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for %lld subjects", (long long)n);
    db_stmt *s = st_prep(st, "SELECT id FROM subjects ORDER BY id", err, errlen);
    if (!s) return BEX_ERR_IO;
    while (db_step(s) == DB_ROW && l->n < (size_t)n) {
        l->ids[l->n] = db_column_int64(s, 0);
        l->parent[l->n] = (int)l->n;
        l->n++;
    }
    db_finalize(s);
    /* subjects a flag names together, and subjects merged (also merges undone since) */
    s = st_prep(st, "SELECT flag_id, subject_id FROM flag_subjects ORDER BY flag_id, subject_id", err, errlen);
    if (!s) return BEX_ERR_IO;
    int64_t prev_flag = -1, prev_subject = 0;
    while (db_step(s) == DB_ROW) {
        int64_t f = db_column_int64(s, 0), sub = db_column_int64(s, 1);
        if (f == prev_flag) unite(l, prev_subject, sub);
        prev_flag = f;
        prev_subject = sub;
    }
    db_finalize(s);
    s = st_prep(st, "SELECT kept, merged FROM merges ORDER BY id", err, errlen);
    if (!s) return BEX_ERR_IO;
    while (db_step(s) == DB_ROW) unite(l, db_column_int64(s, 0), db_column_int64(s, 1));
    db_finalize(s);
    return BEX_OK;
}

static void links_free(links *l) {
    bex__free(l->ids);
    bex__free(l->parent);
}

/* ---- the templates ---- */

static int load_templates(bex_store *st, links *l, const char *model, tpl **out, size_t *n_out, char *err,
                          size_t errlen) {
    *out = NULL;
    *n_out = 0;
    db_stmt *s = st_prep(st,
                              "SELECT s.subject_id, s.model, s.template, s.source, s.captured_at, e.port, "
                              "(SELECT g.name FROM gate_log_lines gl JOIN gate_devices g ON g.id = gl.device_id "
                              " WHERE gl.encounter_id = s.encounter_id LIMIT 1) "
                              "FROM samples s LEFT JOIN encounters e ON e.id = s.encounter_id "
                              "WHERE s.modality = 'face' AND s.subject_id IS NOT NULL AND s.citizen = 0 "
                              "AND (e.decision IS NULL OR e.decision = 'admitted') AND (CAST(?1 AS TEXT) IS NULL OR s.model = ?1) "
                              "ORDER BY s.model, s.id",
                              err, errlen);
    if (!s) return BEX_ERR_IO;
    st_bind_text(s, 1, model);
    size_t n = 0, cap = 0;
    tpl *t = NULL;
    int rc = BEX_OK, step;
    while ((step = db_step(s)) == DB_ROW) {
        /* the store's own model: its length; another model (every model, q->model NULL): the
         * length of that model's first template (rows come by model), 1..BEX_TEMPLATE_MAX_DIM */
        int bytes = db_column_bytes(s, 2);
        const char *mid = (const char *)db_column_text(s, 1);
        int want = mid && !strcmp(mid, st->model) ? TEMPLATE_BYTES(st)
                   : n > 0 && mid && !strcmp(mid, t[n - 1].model) ? t[n - 1].dim * (int)sizeof(float) : bytes;
        if (bytes != want || bytes % (int)sizeof(float) || bytes < (int)sizeof(float) ||
            bytes > BEX_TEMPLATE_MAX_DIM * (int)sizeof(float))
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 1024;
            tpl *nt = bex__realloc(t, sizeof *t * nc);
            if (!nt) {
                rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for %zu templates", nc);
                break;
            }
            t = nt;
            cap = nc;
        }
        tpl *x = &t[n];
        memset(x, 0, sizeof *x);
        x->subject = db_column_int64(s, 0);
        st_col_text(s, 1, x->model, sizeof x->model);
        x->dim = bytes / (int)sizeof(float);
        if (!(x->v = bex__malloc((size_t)bytes))) {
            rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for %zu templates", n + 1);
            break;
        }
        memcpy(x->v, db_column_blob(s, 2), (size_t)bytes);
        const char *src = (const char *)db_column_text(s, 3);
        x->live = src && (!strcmp(src, "entry") || !strcmp(src, "exit"));
        st_col_text(s, 4, x->at, sizeof x->at);
        st_col_text(s, 5, x->port, sizeof x->port);
        st_col_text(s, 6, x->camera, sizeof x->camera);
        int k = index_of(l, x->subject);
        if (k < 0) { /* a subject deleted meanwhile */
            bex__free(x->v);
            continue;
        }
        x->root = find(l, k);
        n++;
    }
    if (rc == BEX_OK && step != DB_DONE) rc = st_fail(st, "reading the templates", err, errlen);
    db_finalize(s);
    if (rc != BEX_OK) {
        tpl_free(t, n);
        return rc;
    }
    *out = t;
    *n_out = n;
    return BEX_OK;
}

/* two templates of one model (pairs are formed within a model: the same length) */
static float dot(const tpl *a, const tpl *b) {
    float s = 0;
    int n = a->dim < b->dim ? a->dim : b->dim;
    for (int k = 0; k < n; k++) s += a->v[k] * b->v[k];
    return s;
}

static uint64_t splitmix(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static int half_of(int root, uint64_t seed) {
    uint64_t x = seed ^ ((uint64_t)root * 0x2545f4914f6cdd1dULL);
    return (int)(splitmix(&x) & 1);
}

/* The pairs of one group: probes p[0..np) (indices into t[lo..hi)), each with every template of
 * the model. inp[i] marks probes (so that a pair of two probes counts once); cnt_all[r] and
 * cnt_p[r] count templates by root. */
static int group_pairs(const tpl *t, size_t lo, size_t hi, const size_t *p, size_t np, const unsigned char *inp,
                       const uint32_t *cnt_all, uint32_t *cnt_p, const size_t *by_subject, const size_t *subj_first,
                       const size_t *subj_of, uint64_t cap, uint64_t seed, bex_score_group *g, char *err,
                       size_t errlen) {
    size_t n_all = hi - lo;
    /* available = sum over probes of (n_all - its root's count) - pairs of two probes counted twice */
    double ordered = 0, pp = (double)np * ((double)np - 1) / 2;
    for (size_t i = 0; i < np; i++) {
        ordered += (double)(n_all - cnt_all[t[p[i]].root]);
        cnt_p[t[p[i]].root]++;
    }
    double same_p = 0;
    for (size_t i = 0; i < np; i++) {
        uint32_t *c = &cnt_p[t[p[i]].root];
        if (*c) {
            same_p += (double)*c * ((double)*c - 1) / 2;
            *c = 0;
        }
    }
    double avail = ordered - (pp - same_p);
    g->available = avail > 0 ? (unsigned long long)avail : 0;
    g->templates = np;
    g->others = n_all;
    g->seed = seed;
    g->sampled = (double)cap < avail;
    size_t want = g->sampled ? (size_t)cap : (size_t)g->available;
    g->nonmated = bex__malloc(sizeof *g->nonmated * (want ? want : 1));
    g->half = bex__malloc(want ? want : 1);
    if (!g->nonmated || !g->half) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for %zu scores", want);
    size_t k = 0;
    if (!g->sampled) {
        for (size_t a = 0; a < np; a++) {
            size_t i = p[a];
            for (size_t j = lo; j < hi && k < want; j++) {
                if (t[j].root == t[i].root || (inp[j - lo] && j <= i)) continue;
                g->nonmated[k] = dot(&t[i], &t[j]);
                int hi_ = half_of(t[i].root, seed), hj = half_of(t[j].root, seed);
                g->half[k++] = (signed char)(hi_ == hj ? hi_ : -1);
            }
        }
    } else {
        uint64_t rs = seed;
        uint64_t tries = 0, max_tries = 64 * (uint64_t)want + 1000;
        while (k < want && tries++ < max_tries) {
            size_t i = p[splitmix(&rs) % np], j = lo + (size_t)(splitmix(&rs) % n_all);
            if (t[j].root == t[i].root) continue;
            /* (i, j) with both probes is drawn from either end: keep half of them */
            if (inp[j - lo] && (splitmix(&rs) & 1)) continue;
            g->nonmated[k] = dot(&t[i], &t[j]);
            int hi_ = half_of(t[i].root, seed), hj = half_of(t[j].root, seed);
            g->half[k++] = (signed char)(hi_ == hj ? hi_ : -1);
        }
    }
    g->n_nonmated = k;
    /* mated: two templates of one subject, at most cap */
    size_t mcap = 0;
    for (size_t a = 0; a < np; a++) {
        size_t s = subj_of[p[a] - lo];
        mcap += subj_first[s + 1] - subj_first[s] - 1;
        if (mcap > cap) {
            mcap = (size_t)cap;
            break;
        }
    }
    g->mated = bex__malloc(sizeof *g->mated * (mcap ? mcap : 1));
    if (!g->mated) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for %zu scores", mcap);
    size_t m = 0;
    for (size_t a = 0; a < np && m < mcap; a++) {
        size_t i = p[a], s = subj_of[i - lo];
        for (size_t q = subj_first[s]; q < subj_first[s + 1] && m < mcap; q++) {
            size_t j = lo + by_subject[q];
            if (j == i || (inp[j - lo] && j <= i)) continue;
            g->mated[m++] = dot(&t[i], &t[j]);
        }
    }
    g->n_mated = m;
    return BEX_OK;
}

static const tpl *cmp_t; /* qsort has no context argument; one caller at a time per handle */
static int cmp_by_subject(const void *a, const void *b) {
    const tpl *x = &cmp_t[*(const size_t *)a], *y = &cmp_t[*(const size_t *)b];
    if (x->subject != y->subject) return x->subject < y->subject ? -1 : 1;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static int cmp_key(const void *a, const void *b) { return strcmp((const char *)a, (const char *)b); }

void bex_store_score_groups_free(bex_score_group *g, size_t n) {
    for (size_t i = 0; g && i < n; i++) {
        bex__free(g[i].nonmated);
        bex__free(g[i].half);
        bex__free(g[i].mated);
    }
    bex__free(g);
}

int bex_store_calibration_scores(bex_store *st, const bex_score_query *q, bex_score_group **groups, size_t *n_groups,
                                 char *err, size_t errlen) {
    if (!st || !q || !groups || !n_groups) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_store_calibration_scores: NULL argument");
    *groups = NULL;
    *n_groups = 0;
    uint64_t cap = q->cap ? q->cap : DEFAULT_CAP, seed = q->seed ? q->seed : 1;
    links l;
    tpl *t = NULL;
    size_t nt = 0;
    /* one snapshot for the links and the templates: SQLite's read transaction; PostgreSQL's
     * READ COMMITTED would let another node's commit fall between the two reads */
    int rc = st_exec(st, st->pg ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN", "reading the templates",
                     err, errlen);
    if (rc != BEX_OK) return rc;
    rc = load_links(st, &l, err, errlen);
    if (rc == BEX_OK) rc = load_templates(st, &l, q->model, &t, &nt, err, errlen);
    st_exec(st, "COMMIT", "reading the templates", NULL, 0);
    bex_score_group *g = NULL;
    size_t ng = 0, gcap = 0;
    uint32_t *cnt_all = NULL, *cnt_p = NULL;
    size_t *p = NULL, *by_subject = NULL, *subj_first = NULL, *subj_of = NULL;
    unsigned char *inp = NULL;
    char (*keys)[32] = NULL;
    if (rc != BEX_OK) goto out;
    cnt_all = bex__calloc(l.n + 1, sizeof *cnt_all);
    cnt_p = bex__calloc(l.n + 1, sizeof *cnt_p);
    p = bex__malloc(sizeof *p * (nt + 1));
    by_subject = bex__malloc(sizeof *by_subject * (nt + 1));
    subj_first = bex__malloc(sizeof *subj_first * (nt + 2));
    subj_of = bex__malloc(sizeof *subj_of * (nt + 1));
    inp = bex__malloc(nt + 1);
    keys = bex__malloc(sizeof *keys * (nt + 1));
    if (!cnt_all || !cnt_p || !p || !by_subject || !subj_first || !subj_of || !inp || !keys) {
        rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for %zu templates", nt);
        goto out;
    }
    for (size_t lo = 0, hi; lo < nt; lo = hi) {
        for (hi = lo; hi < nt && !strcmp(t[hi].model, t[lo].model); hi++) cnt_all[t[hi].root]++;
        size_t n_all = hi - lo;
        /* the model's templates grouped by subject (for mated pairs) */
        for (size_t i = 0; i < n_all; i++) by_subject[i] = lo + i;
        cmp_t = t;
        qsort(by_subject, n_all, sizeof *by_subject, cmp_by_subject);
        size_t ns = 0;
        for (size_t i = 0; i < n_all; i++) {
            if (i == 0 || t[by_subject[i]].subject != t[by_subject[i - 1]].subject) subj_first[ns++] = i;
            subj_of[by_subject[i] - lo] = ns - 1;
            by_subject[i] -= lo;
        }
        subj_first[ns] = n_all;
        /* the groups: the model's (or the drift window's), then each port or camera */
        size_t nk = 0;
        if (!q->probes_since && q->by != BEX_CALIB_BY_MODEL) {
            for (size_t i = lo; i < hi; i++) {
                const char *k = q->by == BEX_CALIB_BY_PORT ? t[i].port : t[i].camera;
                if (t[i].live && *k) snprintf(keys[nk++], sizeof keys[0], "%s", k);
            }
            qsort(keys, nk, sizeof keys[0], cmp_key);
            size_t u = 0;
            for (size_t i = 0; i < nk; i++)
                if (!u || strcmp(keys[u - 1], keys[i])) memmove(keys[u++], keys[i], sizeof keys[0]);
            nk = u;
        }
        for (size_t gi = 0; gi <= nk; gi++) {
            size_t np = 0;
            for (size_t i = lo; i < hi; i++) {
                int in;
                if (gi == 0) in = q->probes_since ? t[i].live && strcmp(t[i].at, q->probes_since) >= 0 : 1;
                else in = t[i].live && !strcmp(q->by == BEX_CALIB_BY_PORT ? t[i].port : t[i].camera, keys[gi - 1]);
                inp[i - lo] = (unsigned char)in;
                if (in) p[np++] = i;
            }
            if (ng == gcap) {
                size_t nc = gcap ? gcap * 2 : 8;
                bex_score_group *ngp = bex__realloc(g, sizeof *g * nc);
                if (!ngp) {
                    rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory");
                    goto out;
                }
                g = ngp;
                gcap = nc;
            }
            bex_score_group *x = &g[ng++];
            memset(x, 0, sizeof *x);
            snprintf(x->model, sizeof x->model, "%s", t[lo].model);
            snprintf(x->scope, sizeof x->scope, "%s", gi == 0 ? "model" : q->by == BEX_CALIB_BY_PORT ? "port" : "camera");
            if (gi) snprintf(x->key, sizeof x->key, "%s", keys[gi - 1]);
            rc = group_pairs(t, lo, hi, p, np, inp, cnt_all, cnt_p, by_subject, subj_first, subj_of, cap,
                             seed + gi, x, err, errlen);
            if (rc != BEX_OK) goto out;
        }
        for (size_t i = lo; i < hi; i++) cnt_all[t[i].root] = 0;
    }
    {
        char obj[96], detail[160];
        unsigned long long total = 0;
        for (size_t i = 0; i < ng; i++) total += g[i].n_nonmated;
        snprintf(obj, sizeof obj, "model %s", q->model ? q->model : "all");
        snprintf(detail, sizeof detail, "%zu templates, %zu groups, %llu non-mated comparisons%s", nt, ng, total,
                 q->probes_since ? " (drift window)" : "");
        rc = bex_store_audit(st, "calibration_scores", obj, detail, err, errlen);
    }
out:
    links_free(&l);
    tpl_free(t, nt);
    bex__free(cnt_all);
    bex__free(cnt_p);
    bex__free(p);
    bex__free(by_subject);
    bex__free(subj_first);
    bex__free(subj_of);
    bex__free(inp);
    bex__free(keys);
    if (rc != BEX_OK) {
        bex_store_score_groups_free(g, ng);
        return rc;
    }
    *groups = g;
    *n_groups = ng;
    return BEX_OK;
}

/* ---- applying a reviewed calibration file ---- */

static double num(const cJSON *o, const char *name, double dflt) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}
static const char *str(const cJSON *o, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A group that will govern decisions (scope model or port) must be a table the decisions can
 * use: targets falling and thresholds rising, down to the store's 1:1 FMR at least. Checked
 * before anything is stored, so that an applied calibration never stops the crossings. */
static int check_group(bex_store *st, const cJSON *g, const char *scope, const cJSON *rows, int which, char *err,
                       size_t errlen) {
    int n = cJSON_GetArraySize(rows);
    if (n > BEX_CALIB_MAX_ROWS * 4)
        return bex__fail(err, errlen, BEX_ERR_FORMAT, "calibration group %d: %d rows, at most %d", which, n,
                         BEX_CALIB_MAX_ROWS * 4);
    bex_calibration_row *r = bex__calloc((size_t)n, sizeof *r);
    if (!r) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory");
    int i = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, rows) {
        r[i].target = num(x, "target", NAN);
        r[i].threshold = (float)num(x, "threshold", NAN);
        i++;
    }
    bex_calibration c;
    char e[256];
    int rc = bex_calibration_applied(r, (size_t)n, 1, 0, scope, str(g, "key"), "", &c, e, sizeof e);
    if (rc != BEX_OK)
        rc = bex__fail(err, errlen, BEX_ERR_FORMAT,
                       "calibration group %d: rows from the highest target down, targets in (0, 0.1] and thresholds "
                       "in [-1, 1] rising", which);
    else if (strcmp(scope, "camera") && bex_calibration_min_fmr_in(&c) > st->fmr * (1 + 1e-9))
        rc = bex__fail(err, errlen, BEX_ERR_UNSUPPORTED,
                       "calibration group %d (%s %.31s) reaches down to FMR %.3g only: the 1:1 decisions need FMR %g; "
                       "calibrate on at least %llu non-mated comparisons before applying it", which, scope,
                       str(g, "key") ? str(g, "key") : "", bex_calibration_min_fmr_in(&c), st->fmr,
                       bex_calib_comparisons_needed(st->fmr));
    bex__free(r);
    return rc;
}

int bex_store_calibration_apply(bex_store *st, const char *json, int *applied, char *err, size_t errlen) {
    if (!st || !json) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_store_calibration_apply: NULL argument");
    if (applied) *applied = 0;
    cJSON *doc = cJSON_Parse(json);
    const cJSON *gs = doc ? cJSON_GetObjectItemCaseSensitive(doc, "groups") : NULL;
    const char *kind = doc ? str(doc, "calibration") : NULL;
    if (!cJSON_IsArray(gs) || !kind || strcmp(kind, "store")) {
        cJSON_Delete(doc);
        return bex__fail(err, errlen, BEX_ERR_FORMAT,
                         "not a calibration file made on a store's own templates (no \"calibration\":\"store\" with "
                         "\"groups\")");
    }
    char at[24];
    bex_time_now(at);
    int rc = bex__begin(st, err, errlen), n = 0;
    const cJSON *g;
    cJSON_ArrayForEach(g, gs) {
        if (rc != BEX_OK) break;
        const char *model = str(g, "model"), *scope = str(g, "scope"), *key = str(g, "key");
        const cJSON *rows = cJSON_GetObjectItemCaseSensitive(g, "fmr");
        const char *status = str(g, "status");
        if (status && strcmp(status, "calibrated")) continue; /* a refused group: nothing to apply */
        if (!model || !scope || !key || !cJSON_IsArray(rows) || cJSON_GetArraySize(rows) == 0 ||
            (strcmp(scope, "model") && strcmp(scope, "port") && strcmp(scope, "camera"))) {
            rc = bex__fail(err, errlen, BEX_ERR_FORMAT, "calibration group %d: model, scope, key and fmr rows needed", n + 1);
            break;
        }
        double nonmated = num(g, "nonmated_comparisons", 0);
        if (!(nonmated > 0)) {
            rc = bex__fail(err, errlen, BEX_ERR_FORMAT, "calibration group %d: no non-mated comparisons", n + 1);
            break;
        }
        if ((rc = check_group(st, g, scope, rows, n + 1, err, errlen)) != BEX_OK) break;
        db_stmt *s = st_stmt(st, "UPDATE calibrations SET replaced_at = ?4 WHERE model = ?1 AND scope = ?2 "
                                      "AND scope_key = ?3 AND replaced_at IS NULL", err, errlen);
        if (!s) { rc = BEX_ERR_IO; break; }
        st_bind_text(s, 1, model);
        st_bind_text(s, 2, scope);
        st_bind_text(s, 3, key);
        st_bind_text(s, 4, at);
        if ((rc = st_step_done(st, s, "replacing a calibration", err, errlen)) != BEX_OK) break;
        char *one = cJSON_PrintUnformatted(g);
        s = st_stmt(st, "INSERT INTO calibrations(model, scope, scope_key, nonmated, mated, sampled, seed, applied_at, "
                        "document) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", err, errlen);
        if (!s || !one) { free(one); rc = s ? bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory") : BEX_ERR_IO; break; }
        st_bind_text(s, 1, model);
        st_bind_text(s, 2, scope);
        st_bind_text(s, 3, key);
        db_bind_int64(s, 4, (int64_t)nonmated);
        db_bind_int64(s, 5, (int64_t)num(g, "mated_comparisons", 0));
        db_bind_int(s, 6, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(g, "sampled")) ? 1 : 0);
        db_bind_int64(s, 7, (int64_t)num(doc, "seed", 0));
        st_bind_text(s, 8, at);
        st_bind_text(s, 9, one);
        rc = st_step_done(st, s, "applying a calibration", err, errlen);
        free(one);
        if (rc != BEX_OK) break;
        int64_t id = db_last_insert_rowid(st->db);
        const cJSON *r;
        cJSON_ArrayForEach(r, rows) {
            double target = num(r, "target", NAN), thr = num(r, "threshold", NAN);
            if (!(target > 0 && target <= 0.1) || !(thr >= -1 && thr <= 1)) {
                rc = bex__fail(err, errlen, BEX_ERR_FORMAT, "calibration group %d: a row without a target in (0, 0.1] "
                                                            "and a threshold in [-1, 1]", n + 1);
                break;
            }
            s = st_stmt(st, "INSERT INTO calibration_rows VALUES (?1, ?2, ?3, ?4, ?5, ?6)", err, errlen);
            if (!s) { rc = BEX_ERR_IO; break; }
            db_bind_int64(s, 1, id);
            db_bind_double(s, 2, target);
            db_bind_double(s, 3, thr);
            db_bind_int64(s, 4, (int64_t)num(r, "false_matches", 0));
            double u = num(r, "upper95", NAN), h = num(r, "heldout_fmr", NAN);
            if (isnan(u)) db_bind_null(s, 5); else db_bind_double(s, 5, u);
            if (isnan(h)) db_bind_null(s, 6); else db_bind_double(s, 6, h);
            if ((rc = st_step_done(st, s, "applying a calibration", err, errlen)) != BEX_OK) break;
        }
        if (rc != BEX_OK) break;
        char obj[64], detail[160];
        snprintf(obj, sizeof obj, "calibration %lld", (long long)id);
        snprintf(detail, sizeof detail, "model %.60s %s %.31s: %d rows from %.0f non-mated comparisons", model, scope,
                 *key ? key : "-", cJSON_GetArraySize(rows), nonmated);
        rc = bex__audit(st, "calibration_apply", obj, detail, err, errlen);
        n++;
    }
    if (rc == BEX_OK && n == 0) rc = bex__fail(err, errlen, BEX_ERR_FORMAT, "the file has no calibrated group to apply");
    cJSON_Delete(doc);
    if (rc == BEX_OK) rc = st_log_change(st, "calibration", 0, err, errlen);
    rc = bex__end(st, rc, NULL, err, errlen);
    if (rc == BEX_OK && applied) *applied = n;
    if (rc == BEX_OK) st->calib_loaded = 0; /* this handle's next decision reads them again */
    return rc;
}

int bex_store_calibration_revert(bex_store *st, const char *port, int *reverted, char *err, size_t errlen) {
    if (!st) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_store_calibration_revert: NULL argument");
    if (reverted) *reverted = 0;
    char at[24];
    bex_time_now(at);
    int rc = bex__begin(st, err, errlen);
    db_stmt *s = rc == BEX_OK ? st_stmt(st, "UPDATE calibrations SET replaced_at = ?3 WHERE model = ?1 AND "
                                                 "replaced_at IS NULL AND (CAST(?2 AS TEXT) IS NULL OR (scope = 'port' AND "
                                                 "scope_key = ?2))", err, errlen)
                                   : NULL;
    if (rc == BEX_OK && !s) rc = BEX_ERR_IO;
    if (rc == BEX_OK) {
        st_bind_text(s, 1, st->model);
        st_bind_text(s, 2, port && *port ? port : NULL);
        st_bind_text(s, 3, at);
        rc = st_step_done(st, s, "reverting a calibration", err, errlen);
    }
    int n = rc == BEX_OK ? db_changes(st->db) : 0;
    if (rc == BEX_OK && n == 0)
        rc = bex__fail(err, errlen, BEX_ERR_ARG, "no applied calibration is in force for %s%.31s: %s",
                       port && *port ? "port " : "the model", port && *port ? port : "",
                       port && *port ? "its decisions follow the model's calibration" : "decisions use the shipped table");
    if (rc == BEX_OK) {
        char obj[96], detail[160];
        snprintf(obj, sizeof obj, "model %.60s", st->model);
        snprintf(detail, sizeof detail, "%d calibrations replaced (%s%.31s): %s", n, port && *port ? "port " : "all scopes",
                 port && *port ? port : "", port && *port ? "the model's governs the port" : "the shipped table governs");
        rc = bex__audit(st, "calibration_revert", obj, detail, err, errlen);
    }
    if (rc == BEX_OK) rc = st_log_change(st, "calibration", 0, err, errlen);
    rc = bex__end(st, rc, NULL, err, errlen);
    if (rc == BEX_OK) {
        st->calib_loaded = 0;
        if (reverted) *reverted = n;
    }
    return rc;
}

int bex_store_calibration_threshold(bex_store *st, const char *model, double fmr, int64_t *id, double *threshold,
                                    double *target, char *err, size_t errlen) {
    *id = 0;
    db_stmt *s = st_stmt(st, "SELECT c.id, r.threshold, r.target FROM calibrations c JOIN calibration_rows r "
                                  "ON r.calibration_id = c.id WHERE c.model = ?1 AND c.scope = 'model' AND "
                                  "c.replaced_at IS NULL AND r.target <= ?2 ORDER BY c.id DESC, r.target DESC LIMIT 1",
                              err, errlen);
    if (!s) return BEX_ERR_IO;
    st_bind_text(s, 1, model);
    db_bind_double(s, 2, fmr * (1 + 1e-9));
    int step = db_step(s);
    if (step == DB_ROW) {
        *id = db_column_int64(s, 0);
        *threshold = db_column_double(s, 1);
        *target = db_column_double(s, 2);
    }
    st_release(st, s);
    if (step != DB_ROW && step != DB_DONE) return st_fail(st, "reading the calibration", err, errlen);
    return BEX_OK;
}

/* ---- the drift check ---- */

int bex_store_drift_check(bex_store *st, const char *since, double fmr, double alpha, unsigned long long cap,
                          unsigned long long seed, int raise_flag, bex_drift_check *out, char *err, size_t errlen) {
    if (!st || !since || !out) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_store_drift_check: NULL argument");
    if (!(fmr > 0 && fmr <= 0.1)) return bex__fail(err, errlen, BEX_ERR_ARG, "the FMR watched must be in (0, 0.1] (got %g)", fmr);
    bex_drift_check c;
    memset(&c, 0, sizeof c);
    snprintf(c.model, sizeof c.model, "%s", st->model);
    snprintf(c.since, sizeof c.since, "%s", since);
    bex_time_now(c.at);
    double threshold = NAN, target = fmr;
    int rc = bex_store_calibration_threshold(st, st->model, fmr, &c.calibration, &threshold, &target, err, errlen);
    if (rc != BEX_OK) return rc;
    if (!c.calibration) { /* none applied: the shipped table (another model: its own file) */
        bex_operating_point op;
        rc = st->builtin ? bex_operating_point_verify(st->align, fmr, &op, err, errlen)
                         : bex_operating_point_verify_model(&st->desc, st->align, fmr, &op, err, errlen);
        if (rc != BEX_OK) return rc;
        threshold = op.threshold;
        target = op.fmr;
    }
    bex_score_query q = {.by = BEX_CALIB_BY_MODEL, .model = st->model, .cap = cap, .seed = seed, .probes_since = since};
    bex_score_group *g = NULL;
    size_t ng = 0;
    rc = bex_store_calibration_scores(st, &q, &g, &ng, err, errlen);
    if (rc != BEX_OK) return rc;
    rc = bex_drift_test(ng ? g[0].nonmated : NULL, ng ? g[0].n_nonmated : 0, threshold, target, alpha, 0, &c.drift, err,
                        errlen);
    if (ng) {
        c.sampled = g[0].sampled;
        c.available = g[0].available;
    }
    bex_store_score_groups_free(g, ng);
    if (rc != BEX_OK) return rc;
    rc = bex__begin(st, err, errlen);
    if (rc == BEX_OK && c.drift.alarm && raise_flag) {
        bex_flag_plan p;
        memset(&p, 0, sizeof p);
        p.kind = BEX_FLAG_SCORE_DRIFT;
        char d[512];
        snprintf(d, sizeof d, "non-mated scores of captures since %s moved %s the calibration: %llu of %llu at or "
                              "above %.4f (FMR %g, %s), %.3g x expected, p %.2g",
                 c.since, c.drift.direction > 0 ? "above" : "below", c.drift.above, c.drift.comparisons, threshold,
                 target, c.calibration ? "applied" : "LFW", c.drift.ratio,
                 c.drift.direction > 0 ? c.drift.p_high : c.drift.p_low);
        snprintf(p.detail, sizeof p.detail, "%.191s", d);
        bex_flag f;
        rc = bex__insert_flag(st, &p, 0, NULL, c.at, &f, err, errlen);
        if (rc == BEX_OK) c.flag = f.id;
    }
    if (rc == BEX_OK) {
        db_stmt *s = st_stmt(st, "INSERT INTO drift_checks(at, model, since, calibration_id, fmr, threshold, "
                                      "comparisons, above, p_high, p_low, enough, alarm, direction, flag_id) VALUES "
                                      "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)", err, errlen);
        if (!s) rc = BEX_ERR_IO;
        else {
            st_bind_text(s, 1, c.at);
            st_bind_text(s, 2, c.model);
            st_bind_text(s, 3, c.since);
            st_bind_id(s, 4, c.calibration);
            db_bind_double(s, 5, target);
            db_bind_double(s, 6, threshold);
            db_bind_int64(s, 7, (int64_t)c.drift.comparisons);
            db_bind_int64(s, 8, (int64_t)c.drift.above);
            db_bind_double(s, 9, c.drift.p_high);
            db_bind_double(s, 10, c.drift.p_low);
            db_bind_int(s, 11, c.drift.enough);
            db_bind_int(s, 12, c.drift.alarm);
            db_bind_int(s, 13, c.drift.direction);
            st_bind_id(s, 14, c.flag);
            rc = st_step_done(st, s, "recording the drift check", err, errlen);
            c.id = db_last_insert_rowid(st->db);
        }
    }
    if (rc == BEX_OK) {
        char obj[64], detail[256];
        snprintf(obj, sizeof obj, "drift_check %lld flag %lld", (long long)c.id, (long long)c.flag);
        snprintf(detail, sizeof detail, "%llu of %llu at or above %.5f (FMR %g), alarm %d", c.drift.above,
                 c.drift.comparisons, threshold, target, c.drift.alarm);
        rc = bex__audit(st, "drift_check", obj, detail, err, errlen);
    }
    rc = bex__end(st, rc, NULL, err, errlen);
    if (rc == BEX_OK) *out = c;
    return rc;
}

int bex_store_drift_latest(bex_store *st, bex_drift_check *out, int *found, char *err, size_t errlen) {
    *found = 0;
    db_stmt *s = st_stmt(st, "SELECT at, model, since, coalesce(calibration_id, 0), fmr, threshold, comparisons, "
                                  "above, p_high, p_low, enough, alarm, direction, coalesce(flag_id, 0), id "
                                  "FROM drift_checks ORDER BY id DESC LIMIT 1", err, errlen);
    if (!s) return BEX_ERR_IO;
    int step = db_step(s);
    if (step == DB_ROW) {
        bex_drift_check c;
        memset(&c, 0, sizeof c);
        st_col_text(s, 0, c.at, sizeof c.at);
        st_col_text(s, 1, c.model, sizeof c.model);
        st_col_text(s, 2, c.since, sizeof c.since);
        c.calibration = db_column_int64(s, 3);
        c.drift.fmr = db_column_double(s, 4);
        c.drift.threshold = db_column_double(s, 5);
        c.drift.comparisons = (unsigned long long)db_column_int64(s, 6);
        c.drift.above = (unsigned long long)db_column_int64(s, 7);
        c.drift.p_high = db_column_double(s, 8);
        c.drift.p_low = db_column_double(s, 9);
        c.drift.enough = db_column_int(s, 10);
        c.drift.alarm = db_column_int(s, 11);
        c.drift.direction = db_column_int(s, 12);
        c.flag = db_column_int64(s, 13);
        c.id = db_column_int64(s, 14);
        if (c.drift.comparisons) {
            c.drift.observed = (double)c.drift.above / (double)c.drift.comparisons;
            c.drift.ratio = c.drift.observed / c.drift.fmr;
        }
        *out = c;
        *found = 1;
    }
    st_release(st, s);
    if (step != DB_ROW && step != DB_DONE) return st_fail(st, "reading the drift checks", err, errlen);
    return BEX_OK;
}

/* ---- the calibration that governs decisions ----
 *
 * The applied calibrations in force for the store's model, scopes model and port, are read at
 * open and kept with their rows; a decision takes its port's, else the model's, else the
 * shipped table (the rule: border/rules.c, bex_calibration_in_force). They are read again at the next decision after this handle applied or
 * reverted one, or when another connection has committed since (st_data_version: an
 * `--apply` through the CLI while the service runs governs the service's next crossing).
 * Reading happens inside the decision's transaction, under whatever serialises the handle's
 * calls (the service's store mutex), so a calibration a decision holds is not freed under it.
 * Camera scope (an offline gate's) is not read here: a gate decides at the threshold its
 * gallery file carries, set from its port's calibration when the file was sealed (gate.c). */

void st_calibs_free(bex_store *st) {
    bex__free(st->model_cal_rows);
    st->model_cal_rows = NULL;
    for (size_t i = 0; i < st->n_calibs; i++) bex__free(st->calibs[i].rows);
    bex__free(st->calibs);
    bex__free(st->calib_list);
    st->calibs = NULL;
    st->calib_list = NULL;
    st->n_calibs = 0;
    st->calib_loaded = 0;
}

static int load_rows(bex_store *st, st_calib *c, int64_t id, char *err, size_t errlen) {
    int64_t n = 0;
    int rc = st_query_int(st, "SELECT count(*) FROM calibration_rows WHERE calibration_id = ?2", NULL, id, 0, &n, err,
                          errlen);
    if (rc != BEX_OK) return rc;
    if (n < 1 || n > 100000)
        return bex__fail(err, errlen, BEX_ERR_CORRUPT, "calibration %lld in force has %lld rows", (long long)id,
                         (long long)n);
    c->rows = bex__calloc((size_t)n, sizeof *c->rows);
    if (!c->rows) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory");
    db_stmt *s = st_stmt(st, "SELECT target, threshold, false_matches, upper95, heldout_fmr FROM calibration_rows "
                                  "WHERE calibration_id = ?1 ORDER BY target DESC", err, errlen);
    if (!s) return BEX_ERR_IO;
    db_bind_int64(s, 1, id);
    size_t k = 0;
    int step;
    while ((step = db_step(s)) == DB_ROW && k < (size_t)n) {
        bex_calibration_row *r = &c->rows[k++];
        r->target = db_column_double(s, 0);
        r->threshold = (float)db_column_double(s, 1);
        r->false_matches = (unsigned long long)db_column_int64(s, 2);
        r->upper95 = db_column_type(s, 3) == DB_NULL ? NAN : db_column_double(s, 3);
        r->fnmr = NAN; /* not kept per row: the reviewed document has it */
        r->heldout_fmr = db_column_type(s, 4) == DB_NULL ? NAN : db_column_double(s, 4);
    }
    rc = step == DB_ROW || step == DB_DONE ? BEX_OK : st_fail(st, "reading a calibration", err, errlen);
    st_release(st, s);
    c->c.n_rows = k;
    return rc;
}

int st_calibs_load(bex_store *st, char *err, size_t errlen) {
    int64_t version = 0;
    int rc = st_data_version(st, "calibration", &version, err, errlen);
    if (rc != BEX_OK) return rc;
    if (st->calib_loaded && version == st->calib_version) return BEX_OK;
    st_calibs_free(st);
    int64_t n = 0;
    rc = st_query_int(st, "SELECT count(*) FROM calibrations WHERE model = ?1 AND replaced_at IS NULL AND scope IN "
                          "('model', 'port')", st->model, 0, 0, &n, err, errlen);
    if (rc != BEX_OK) return rc;
    if (n > 0 && (!(st->calibs = bex__calloc((size_t)n, sizeof *st->calibs)) ||
                  !(st->calib_list = bex__calloc((size_t)n, sizeof *st->calib_list)))) {
        st_calibs_free(st);
        return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory");
    }
    /* newest first: where two were left in force for one scope, the first found (newest) governs */
    db_stmt *s = n > 0 ? st_prep(st, "SELECT id, scope, scope_key, nonmated, applied_at FROM calibrations WHERE "
                                          "model = ?1 AND replaced_at IS NULL AND scope IN ('model', 'port') "
                                          "ORDER BY id DESC", err, errlen)
                            : NULL;
    if (n > 0 && !s) return BEX_ERR_IO;
    if (s) st_bind_text(s, 1, st->model);
    int step = DB_DONE;
    while (s && rc == BEX_OK && st->n_calibs < (size_t)n && (step = db_step(s)) == DB_ROW) {
        st_calib *c = &st->calibs[st->n_calibs];
        st->calib_list[st->n_calibs++] = &c->c;
        int64_t id = db_column_int64(s, 0);
        char scope[8], key[32], at[24];
        st_col_text(s, 1, scope, sizeof scope);
        st_col_text(s, 2, key, sizeof key);
        st_col_text(s, 4, at, sizeof at);
        unsigned long long nonmated = (unsigned long long)db_column_int64(s, 3);
        rc = load_rows(st, c, id, err, errlen);
        if (rc == BEX_OK)
            rc = bex_calibration_applied(c->rows, c->c.n_rows, nonmated, id, scope, key, at, &c->c, err, errlen);
    }
    if (rc == BEX_OK && s && step != DB_ROW && step != DB_DONE)
        rc = st_fail(st, "reading the calibrations in force", err, errlen);
    db_finalize(s);
    if (rc != BEX_OK) {
        st_calibs_free(st);
        return rc;
    }
    st->calib_version = version;
    st->calib_loaded = 1;
    return BEX_OK;
}

int bex_store_calibration_for(bex_store *st, const char *port, bex_calibration *out, char *err, size_t errlen) {
    if (!st || !out) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_store_calibration_for: NULL argument");
    int rc = st_calibs_load(st, err, errlen);
    if (rc != BEX_OK) return rc;
    /* newest first (st_calibs_load) */
    int k = bex_calibration_in_force(st->calib_list, st->n_calibs, port); /* border/rules.c: port, model, shipped */
    if (k >= 0) {
        *out = *st->calib_list[k];
        return BEX_OK;
    }
    if (st->builtin) bex_calibration_shipped(st->align, out);
    else { /* another model: its own calibration file, never the built-in model's table */
        if (!st->model_cal_rows) {
            char e[400];
            rc = bex_calibration_model_load(&st->desc, &st->model_cal, &st->model_cal_rows, e, sizeof e);
            if (rc != BEX_OK)
                return bex__fail(err, errlen, rc, "%s; or apply a calibration made on the store's own templates: no "
                                 "decision is taken without one", e);
        }
        *out = st->model_cal;
    }
    return BEX_OK;
}

int bex__operating_points(bex_store *st, const char *port, bex_calibration *cal, bex_operating_point *verify,
                          double *fpir, char *err, size_t errlen) {
    bex_calibration c;
    int rc = bex_store_calibration_for(st, port, &c, err, errlen);
    if (rc != BEX_OK) return rc;
    bex_operating_point op;
    if (c.source == BEX_CALIB_SHIPPED) op = st->verify_op;
    else if ((rc = bex_operating_point_verify_in(&c, st->fmr, &op, err, errlen)) != BEX_OK) return rc;
    *cal = c;
    *verify = op;
    *fpir = st->fpir;
    return BEX_OK;
}
