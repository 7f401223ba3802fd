/*
 * index.c - the gallery index (include/bex/index.h): storage in one of three formats, ids,
 * subjects, exhaustive top-k search on threads, filters, and the file format.
 *
 * Storage: slots 0..n-1 hold the live templates contiguously (a removal moves the last slot
 * into the hole), rows of `stride` elements in a 64-byte-aligned block, with the template
 * id, subject id and (int8) scale per slot. tmap maps template id -> slot; smap maps subject
 * id -> an entry of subj[], which lists that subject's template ids. Filters hold template
 * ids and are resolved to slots through tmap at search time, so moves never stale them.
 *
 * A search scores rows a chunk (CHUNK rows) at a time into a small buffer and keeps the best
 * k in a min-heap per probe; threads take disjoint slot ranges and their heaps are merged.
 */
#include "bex/index.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bex/model.h"
#include "index/idmap.h"
#include "index/scan.h"
#include "util/util.h"

#define CHUNK 2048                 /* rows scored per kernel call */
#define MIN_ROWS_PER_THREAD 32768  /* below this a search runs on the calling thread */
#define MAX_THREADS 16

typedef struct subject {
    int64_t id;
    int n, cap;
    int64_t *tids;
} subject;

struct bex_index {
    int dim, stride;
    bex_index_format fmt;
    size_t elem; /* bytes per stored element */
    const ix_kernel *kern;
    int threads;
    pthread_rwlock_t lock;
    size_t n, cap;
    unsigned char *vecs; /* cap * stride * elem, 64-byte aligned (or inside the mapping) */
    float *scale;        /* int8 only */
    int64_t *tid, *sid;
    idmap tmap, smap;
    subject *subj;
    size_t nsubj, subj_cap;
    void *map;           /* a loaded file, read-only, until the first change */
    size_t map_len;
    /* For an exact re-rank (bex_index_search_subjects_exact): bounds on what the storage
     * format's rounding did to the rows, over every row ever stored (never lowered by a
     * removal, so always bounds): the largest ||g - stored(g)|| and the largest ||stored(g)||. */
    double qerr_max, norm_max;
    char model[BEX_INDEX_MODEL_MAX]; /* the identity of the model the templates come from */
    uint64_t version;    /* counts changes (add, remove): a bex_index_scan is of one version */
    /* The journal: the last JOURNAL templates changed (added, replaced, removed), a ring, so
     * that a scan done ahead of a few changes can be brought up to date instead of redone. It
     * holds every change of a version above jfloor. */
    struct jentry *jr;
    size_t jhead, jn; /* the next entry written; how many are held */
    uint64_t jfloor;
    uint64_t pre_current, pre_journal, pre_rescan; /* bex_index_prescan_stats, atomic */
};

#define JOURNAL 4096

typedef struct jentry {
    uint64_t version; /* the index's version after the change */
    int64_t tid;
    int op;           /* 1 add (or replace), 0 remove */
} jentry;

/* Notes a change to template tid of the current version; the write lock is held. */
static void journal_note(bex_index *ix, int64_t tid, int op) {
    if (!ix->jr && !(ix->jr = bex__malloc(sizeof *ix->jr * JOURNAL))) {
        ix->jfloor = ix->version; /* no journal: a scan of an older version is redone */
        return;
    }
    if (ix->jn == JOURNAL) { /* the oldest falls out: changes of its version may no longer all be held */
        uint64_t v = ix->jr[ix->jhead].version;
        if (v > ix->jfloor) ix->jfloor = v;
    } else
        ix->jn++;
    ix->jr[ix->jhead] = (jentry){ix->version, tid, op};
    ix->jhead = (ix->jhead + 1) % JOURNAL;
}

struct bex_index_filter {
    int64_t *tids;
    size_t n, nsubj;
};

/* ------------------------------------------------------------------ open / close */

int bex_index_open(int dim, bex_index_format format, bex_index **out, char *err, size_t errlen) {
    if (!out) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_index_open: NULL output");
    if (dim < 1 || dim > BEX_INDEX_MAX_DIM)
        return bex__fail(err, errlen, BEX_ERR_ARG, "an index holds vectors of 1 to %d dimensions (got %d)",
                         BEX_INDEX_MAX_DIM, dim);
    if (format != BEX_INDEX_FLOAT32 && format != BEX_INDEX_FLOAT16 && format != BEX_INDEX_INT8)
        return bex__fail(err, errlen, BEX_ERR_ARG, "unknown index format %d", (int)format);
    bex_index *ix = bex__calloc(1, sizeof *ix);
    if (!ix) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for the index");
    ix->dim = dim;
    snprintf(ix->model, sizeof ix->model, "%s", bex_model_builtin_identity(0));
    ix->stride = (dim + BEX__IX_ALIGN - 1) / BEX__IX_ALIGN * BEX__IX_ALIGN;
    ix->fmt = format;
    ix->elem = format == BEX_INDEX_FLOAT32 ? 4 : format == BEX_INDEX_FLOAT16 ? 2 : 1;
    ix->kern = ix_kernel_best();
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    ix->threads = cores < 1 ? 1 : cores > MAX_THREADS ? MAX_THREADS : (int)cores;
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&ix->lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    *out = ix;
    return BEX_OK;
}

static void free_storage(bex_index *ix) {
    if (ix->map) {
        munmap(ix->map, ix->map_len);
        ix->map = NULL;
    } else {
        bex__free_aligned(ix->vecs);
        bex__free(ix->scale);
        bex__free(ix->tid);
        bex__free(ix->sid);
    }
    ix->vecs = NULL;
    ix->scale = NULL;
    ix->tid = ix->sid = NULL;
}

void bex_index_close(bex_index *ix) {
    if (!ix) return;
    free_storage(ix);
    idmap_free(&ix->tmap);
    idmap_free(&ix->smap);
    for (size_t i = 0; i < ix->nsubj; i++) bex__free(ix->subj[i].tids);
    bex__free(ix->subj);
    bex__free(ix->jr);
    pthread_rwlock_destroy(&ix->lock);
    bex__free(ix);
}

int bex_index_open_model(int dim, bex_index_format format, const char *model, bex_index **out, char *err,
                         size_t errlen) {
    if (!model || !*model || strlen(model) >= BEX_INDEX_MODEL_MAX)
        return bex__fail(err, errlen, BEX_ERR_ARG, "a model identity is 1 to %d bytes", BEX_INDEX_MODEL_MAX - 1);
    int rc = bex_index_open(dim, format, out, err, errlen);
    if (rc == BEX_OK) snprintf((*out)->model, sizeof (*out)->model, "%s", model);
    return rc;
}

const char *bex_index_model(const bex_index *ix) { return ix ? ix->model : ""; }

/* An index file of version 1 recorded no model: it was made by the built-in one, with one of
 * its two alignments, so it matches either built-in identity. */
int bex_index_check_model(const bex_index *ix, const char *model, char *err, size_t errlen) {
    if (!ix || !model) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_index_check_model: NULL argument");
    if (!strcmp(ix->model, model)) return BEX_OK;
    if (!strcmp(ix->model, BEX_INDEX_MODEL_LEGACY) && bex_model_is_builtin(model)) return BEX_OK;
    return bex__fail(err, errlen, BEX_ERR_MODEL,
                     "the index holds templates of model \"%s\"; these are of model \"%s\": templates of two "
                     "models cannot be compared (re-enrol the gallery with the new model)", ix->model, model);
}

int bex_index_set_threads(bex_index *ix, int threads, char *err, size_t errlen) {
    if (!ix || threads < 1 || threads > MAX_THREADS)
        return bex__fail(err, errlen, BEX_ERR_ARG, "an index searches on 1 to %d threads", MAX_THREADS);
    ix->threads = threads;
    return BEX_OK;
}

size_t bex_index_count(const bex_index *ix) { return ix ? ix->n : 0; }
int bex_index_dim(const bex_index *ix) { return ix ? ix->dim : 0; }
bex_index_format bex_index_get_format(const bex_index *ix) { return ix ? ix->fmt : BEX_INDEX_FLOAT32; }
const char *bex_index_kernel_name(const bex_index *ix) { return ix ? ix->kern->name : "none"; }

static size_t row_bytes(const bex_index *ix);

int bex_index_template_at(bex_index *ix, size_t i, int64_t *template_id, int64_t *subject_id, float *vec,
                          char *err, size_t errlen) {
    if (!ix || ix->fmt != BEX_INDEX_FLOAT32) {
        snprintf(err, errlen, "templates are read back from a float32 index only");
        return BEX_ERR_ARG;
    }
    pthread_rwlock_rdlock(&ix->lock);
    int ok = i < ix->n;
    if (ok) {
        *template_id = ix->tid[i];
        *subject_id = ix->sid[i];
        memcpy(vec, ix->vecs + i * row_bytes(ix), (size_t)ix->dim * 4);
    }
    pthread_rwlock_unlock(&ix->lock);
    if (!ok) {
        snprintf(err, errlen, "no template in slot %zu (the index holds %zu)", i, ix->n);
        return BEX_ERR_ARG;
    }
    return BEX_OK;
}

size_t bex_index_bytes_per_template(const bex_index *ix) {
    if (!ix) return 0;
    return (size_t)ix->dim * ix->elem + (ix->fmt == BEX_INDEX_INT8 ? sizeof(float) : 0);
}

int64_t bex_index_next_template_id(bex_index *ix) {
    if (!ix) return 1;
    pthread_rwlock_rdlock(&ix->lock);
    int64_t mx = 0;
    for (size_t i = 0; i < ix->n; i++)
        if (ix->tid[i] > mx) mx = ix->tid[i];
    pthread_rwlock_unlock(&ix->lock);
    return mx < INT64_MAX ? mx + 1 : INT64_MAX;
}

size_t bex_index_subjects(bex_index *ix) {
    if (!ix) return 0;
    pthread_rwlock_rdlock(&ix->lock);
    size_t n = ix->nsubj;
    pthread_rwlock_unlock(&ix->lock);
    return n;
}

/* ------------------------------------------------------------------ storage */

static size_t row_bytes(const bex_index *ix) { return (size_t)ix->stride * ix->elem; }

/* Asks for transparent huge pages over a large block before it is touched: a scan at 30+
 * GB/s otherwise spends a measurable share of its time on TLB misses. */
static void advise_huge(void *p, size_t n) {
#ifdef MADV_HUGEPAGE
    uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095, e = ((uintptr_t)p + n) & ~(uintptr_t)4095;
    if (e > a + (4u << 20)) madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
    (void)p;
    (void)n;
#endif
}

/* A mapped (loaded) index is copied to memory before its first change. */
static int own_storage(bex_index *ix, size_t want, char *err, size_t errlen) {
    if (!ix->map && want <= ix->cap) return BEX_OK;
    size_t cap = ix->cap < 1024 ? 1024 : ix->cap;
    while (cap < want) cap *= 2;
    size_t rb = row_bytes(ix), bytes;
    if (!bex__mul_size(cap, rb, &bytes)) return bex__fail(err, errlen, BEX_ERR_LIMIT, "index too large");
    unsigned char *v = bex__malloc_aligned(bytes);
    if (v) advise_huge(v, bytes);
    int64_t *t = bex__malloc(cap * sizeof *t), *s = bex__malloc(cap * sizeof *s);
    float *sc = ix->fmt == BEX_INDEX_INT8 ? bex__malloc(cap * sizeof *sc) : NULL;
    if (!v || !t || !s || (ix->fmt == BEX_INDEX_INT8 && !sc)) {
        bex__free_aligned(v);
        bex__free(t);
        bex__free(s);
        bex__free(sc);
        return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory growing the index to %zu templates", cap);
    }
    if (ix->n) {
        memcpy(v, ix->vecs, ix->n * rb);
        memcpy(t, ix->tid, ix->n * sizeof *t);
        memcpy(s, ix->sid, ix->n * sizeof *s);
        if (sc) memcpy(sc, ix->scale, ix->n * sizeof *sc);
    }
    free_storage(ix);
    ix->vecs = v;
    ix->tid = t;
    ix->sid = s;
    ix->scale = sc;
    ix->cap = cap;
    return BEX_OK;
}

/* The stored row of slot as floats (dim of them). */
static void row_floats(const bex_index *ix, size_t slot, float *out) {
    const unsigned char *row = ix->vecs + slot * row_bytes(ix);
    if (ix->fmt == BEX_INDEX_FLOAT32) memcpy(out, row, (size_t)ix->dim * 4);
    else if (ix->fmt == BEX_INDEX_FLOAT16)
        for (int d = 0; d < ix->dim; d++) out[d] = ix_f16_to_f32(((const uint16_t *)row)[d]);
    else
        for (int d = 0; d < ix->dim; d++) out[d] = ((const int8_t *)row)[d] * ix->scale[slot];
}

/* Raises the rounding bounds by what storing vec in slot did (vec NULL: a row read from a
 * file, whose original is unknown: half a quantisation step per component for int8, half a
 * unit in the last place of a half for float16). */
static void note_rounding(bex_index *ix, size_t slot, const float *vec) {
    float g[BEX_INDEX_MAX_DIM];
    row_floats(ix, slot, g);
    double e2 = 0, n2 = 0;
    for (int d = 0; d < ix->dim; d++) {
        n2 += (double)g[d] * g[d];
        double e = vec ? (double)vec[d] - g[d]
                       : ix->fmt == BEX_INDEX_INT8 ? 0.5 * ix->scale[slot]
                       : ix->fmt == BEX_INDEX_FLOAT16 ? fabs((double)g[d]) / 2048.0 + 3e-8 : 0;
        e2 += e * e;
    }
    if (sqrt(e2) > ix->qerr_max) ix->qerr_max = sqrt(e2);
    if (sqrt(n2) > ix->norm_max) ix->norm_max = sqrt(n2);
}

/* Writes vec into slot in the index's format. */
static void store_row(bex_index *ix, size_t slot, const float *vec) {
    unsigned char *row = ix->vecs + slot * row_bytes(ix);
    memset(row, 0, row_bytes(ix));
    if (ix->fmt == BEX_INDEX_FLOAT32) memcpy(row, vec, (size_t)ix->dim * 4);
    else if (ix->fmt == BEX_INDEX_FLOAT16) {
        uint16_t *h = (uint16_t *)row;
        for (int d = 0; d < ix->dim; d++) h[d] = ix_f32_to_f16(vec[d]);
    } else
        ix->scale[slot] = ix_quantize_i8(vec, ix->dim, (int8_t *)row);
    note_rounding(ix, slot, vec);
}

static subject *subject_of(bex_index *ix, int64_t sid) {
    uint32_t k;
    return idmap_get(&ix->smap, sid, &k) ? &ix->subj[k] : NULL;
}

static int subject_add(bex_index *ix, int64_t sid, int64_t tid) {
    subject *s = subject_of(ix, sid);
    if (!s) {
        if (ix->nsubj == ix->subj_cap) {
            size_t cap = ix->subj_cap ? ix->subj_cap * 2 : 256;
            subject *p = bex__realloc(ix->subj, cap * sizeof *p);
            if (!p) return -1;
            ix->subj = p;
            ix->subj_cap = cap;
        }
        if (idmap_put(&ix->smap, sid, (uint32_t)ix->nsubj) != 0) return -1;
        s = &ix->subj[ix->nsubj++];
        memset(s, 0, sizeof *s);
        s->id = sid;
    }
    if (s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 4;
        int64_t *p = bex__realloc(s->tids, (size_t)cap * sizeof *p);
        if (!p) return -1;
        s->tids = p;
        s->cap = cap;
    }
    s->tids[s->n++] = tid;
    return 0;
}

static void subject_drop(bex_index *ix, int64_t sid, int64_t tid) {
    uint32_t k;
    if (!idmap_get(&ix->smap, sid, &k)) return;
    subject *s = &ix->subj[k];
    for (int i = 0; i < s->n; i++)
        if (s->tids[i] == tid) {
            s->tids[i] = s->tids[--s->n];
            break;
        }
    if (s->n) return;
    /* the subject is gone: move the last subject into its place */
    bex__free(s->tids);
    idmap_del(&ix->smap, sid);
    size_t last = --ix->nsubj;
    if (k != last) {
        ix->subj[k] = ix->subj[last];
        idmap_put(&ix->smap, ix->subj[k].id, k); /* replaces an existing key: no allocation */
    }
}

/* Removes slot `slot` (its maps already updated by the caller) by moving the last slot in. */
static void drop_slot(bex_index *ix, size_t slot) {
    size_t last = --ix->n;
    if (slot == last) return;
    size_t rb = row_bytes(ix);
    memcpy(ix->vecs + slot * rb, ix->vecs + last * rb, rb);
    ix->tid[slot] = ix->tid[last];
    ix->sid[slot] = ix->sid[last];
    if (ix->scale) ix->scale[slot] = ix->scale[last];
    idmap_put(&ix->tmap, ix->tid[slot], (uint32_t)slot);
}

int bex_index_add(bex_index *ix, int64_t template_id, int64_t subject_id, const float *vec, char *err,
                  size_t errlen) {
    if (!ix || !vec) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_index_add: NULL argument");
    for (int d = 0; d < ix->dim; d++)
        if (!isfinite(vec[d]))
            return bex__fail(err, errlen, BEX_ERR_ARG, "template %lld: component %d is not a finite number",
                             (long long)template_id, d);
    pthread_rwlock_wrlock(&ix->lock);
    ix->version++;
    int rc = BEX_OK;
    uint32_t slot;
    if (ix->n >= UINT32_MAX - 1) {
        rc = bex__fail(err, errlen, BEX_ERR_LIMIT, "an index holds at most %u templates", UINT32_MAX - 1);
        goto out;
    }
    if ((rc = own_storage(ix, ix->n + 1, err, errlen)) != BEX_OK) goto out;
    if (idmap_reserve(&ix->tmap, ix->n + 1) != 0 || idmap_reserve(&ix->smap, ix->nsubj + 1) != 0) {
        rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for the index's id maps");
        goto out;
    }
    if (idmap_get(&ix->tmap, template_id, &slot)) { /* replace */
        if (ix->sid[slot] != subject_id) {
            if (subject_add(ix, subject_id, template_id) != 0) {
                rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for the index's subjects");
                goto out;
            }
            subject_drop(ix, ix->sid[slot], template_id);
            ix->sid[slot] = subject_id;
        }
        store_row(ix, slot, vec);
        journal_note(ix, template_id, 1);
        goto out;
    }
    if (subject_add(ix, subject_id, template_id) != 0) {
        rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for the index's subjects");
        goto out;
    }
    slot = (uint32_t)ix->n;
    idmap_put(&ix->tmap, template_id, slot); /* reserved above */
    ix->tid[slot] = template_id;
    ix->sid[slot] = subject_id;
    store_row(ix, slot, vec);
    ix->n++;
    journal_note(ix, template_id, 1);
out:
    pthread_rwlock_unlock(&ix->lock);
    return rc;
}

int bex_index_remove(bex_index *ix, int64_t template_id, char *err, size_t errlen) {
    if (!ix) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_index_remove: NULL index");
    pthread_rwlock_wrlock(&ix->lock);
    ix->version++;
    uint32_t slot;
    int rc = BEX_OK;
    if (!idmap_get(&ix->tmap, template_id, &slot)) {
        rc = bex__fail(err, errlen, BEX_ERR_ARG, "template %lld is not in the index", (long long)template_id);
    } else if ((rc = own_storage(ix, ix->n, err, errlen)) == BEX_OK) {
        idmap_del(&ix->tmap, template_id);
        subject_drop(ix, ix->sid[slot], template_id);
        drop_slot(ix, slot);
        journal_note(ix, template_id, 0);
    }
    pthread_rwlock_unlock(&ix->lock);
    return rc;
}

int bex_index_remove_subject(bex_index *ix, int64_t subject_id, size_t *removed, char *err, size_t errlen) {
    if (!ix) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_index_remove_subject: NULL index");
    pthread_rwlock_wrlock(&ix->lock);
    ix->version++;
    size_t k = 0;
    int rc = BEX_OK;
    subject *s = subject_of(ix, subject_id);
    if (s && (rc = own_storage(ix, ix->n, err, errlen)) == BEX_OK) {
        while ((s = subject_of(ix, subject_id)) != NULL) {
            int64_t tid = s->tids[0];
            uint32_t slot;
            if (!idmap_get(&ix->tmap, tid, &slot)) break; /* cannot happen */
            idmap_del(&ix->tmap, tid);
            subject_drop(ix, subject_id, tid);
            drop_slot(ix, slot);
            journal_note(ix, tid, 0);
            k++;
        }
    }
    pthread_rwlock_unlock(&ix->lock);
    if (removed) *removed = k;
    return rc;
}

/* ------------------------------------------------------------------ top-k */

typedef struct topk {
    int k, n;
    float *score;
    int64_t *id;
} topk;

/* a is worse than b: lower score, or the same score and a higher template id */
static int worse(float sa, int64_t ia, float sb, int64_t ib) { return sa < sb || (sa == sb && ia > ib); }

static void heap_down(topk *h, int i) {
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && worse(h->score[l], h->id[l], h->score[m], h->id[m])) m = l;
        if (r < h->n && worse(h->score[r], h->id[r], h->score[m], h->id[m])) m = r;
        if (m == i) return;
        float ts = h->score[i]; h->score[i] = h->score[m]; h->score[m] = ts;
        int64_t ti = h->id[i]; h->id[i] = h->id[m]; h->id[m] = ti;
        i = m;
    }
}

static void heap_push(topk *h, float s, int64_t id) {
    if (h->n == h->k) {
        if (!worse(h->score[0], h->id[0], s, id)) return; /* not better than the worst kept */
        h->score[0] = s;
        h->id[0] = id;
        heap_down(h, 0);
        return;
    }
    int i = h->n++;
    h->score[i] = s;
    h->id[i] = id;
    while (i > 0) {
        int p = (i - 1) / 2;
        if (!worse(h->score[i], h->id[i], h->score[p], h->id[p])) break;
        float ts = h->score[i]; h->score[i] = h->score[p]; h->score[p] = ts;
        int64_t ti = h->id[i]; h->id[i] = h->id[p]; h->id[p] = ti;
        i = p;
    }
}

/* Sorts the heap best first in place. */
static void heap_sort(topk *h) {
    int n = h->n;
    while (h->n > 1) {
        int last = h->n - 1;
        float ts = h->score[0]; h->score[0] = h->score[last]; h->score[last] = ts;
        int64_t ti = h->id[0]; h->id[0] = h->id[last]; h->id[last] = ti;
        h->n--;
        heap_down(h, 0);
    }
    h->n = n; /* worst-first order reversed by extraction: now best first */
}

/* ------------------------------------------------------------------ scanning */

/* A prepared probe: padded and converted for the index's format. */
typedef struct probe {
    float *f;      /* stride floats (f32, f16 formats) */
    int8_t *q;     /* stride int8 (int8 format) */
    float qscale;
} probe;

typedef struct scan_job {
    const bex_index *ix;
    const probe *pr;       /* nq prepared probes */
    size_t nq;
    const uint32_t *slots; /* NULL: slots lo..hi; else slots[lo..hi) */
    size_t lo, hi;
    topk *heaps;           /* nq heaps, the worker's own */
    int fail;
} scan_job;

/* Gathers rows of `slots` into a contiguous scratch for the kernel. */
static void gather(const bex_index *ix, const uint32_t *slots, size_t n, unsigned char *rows, float *scales) {
    size_t rb = row_bytes(ix);
    for (size_t i = 0; i < n; i++) {
        memcpy(rows + i * rb, ix->vecs + (size_t)slots[i] * rb, rb);
        if (scales) scales[i] = ix->scale[slots[i]];
    }
}

static void *scan_worker(void *arg) {
    scan_job *j = arg;
    const bex_index *ix = j->ix;
    size_t nq = j->nq, rb = row_bytes(ix);
    float *out = bex__malloc_aligned(sizeof(float) * CHUNK * (nq ? nq : 1));
    unsigned char *rows = j->slots ? bex__malloc_aligned(rb * CHUNK) : NULL;
    float *scales = j->slots && ix->fmt == BEX_INDEX_INT8 ? bex__malloc(sizeof(float) * CHUNK) : NULL;
    int8_t *qb = NULL;
    float *fb = NULL, *qs = NULL;
    if (nq > 1) { /* the probes side by side for the batch kernels */
        if (ix->fmt == BEX_INDEX_INT8) {
            qb = bex__malloc_aligned((size_t)ix->stride * nq);
            qs = bex__malloc(sizeof(float) * nq);
        } else
            fb = bex__malloc_aligned(sizeof(float) * (size_t)ix->stride * nq);
    }
    if (!out || (j->slots && !rows) || (j->slots && ix->fmt == BEX_INDEX_INT8 && !scales) ||
        (nq > 1 && ix->fmt == BEX_INDEX_INT8 && (!qb || !qs)) || (nq > 1 && ix->fmt != BEX_INDEX_INT8 && !fb)) {
        j->fail = 1;
        goto done;
    }
    for (size_t i = 0; nq > 1 && i < nq; i++) {
        if (qb) {
            memcpy(qb + i * (size_t)ix->stride, j->pr[i].q, (size_t)ix->stride);
            qs[i] = j->pr[i].qscale;
        } else
            memcpy(fb + i * (size_t)ix->stride, j->pr[i].f, sizeof(float) * (size_t)ix->stride);
    }
    for (size_t c = j->lo; c < j->hi; c += CHUNK) {
        size_t m = j->hi - c < CHUNK ? j->hi - c : CHUNK;
        const unsigned char *x;
        const float *xs = NULL;
        if (j->slots) {
            gather(ix, j->slots + c, m, rows, scales);
            x = rows;
            xs = scales;
        } else {
            x = ix->vecs + c * rb;
            if (ix->scale) xs = ix->scale + c;
        }
        const ix_kernel *k = ix->kern;
        if (nq == 1) {
            if (ix->fmt == BEX_INDEX_FLOAT32) k->dot_f32(j->pr[0].f, (const float *)x, m, ix->stride, out);
            else if (ix->fmt == BEX_INDEX_FLOAT16) k->dot_f16(j->pr[0].f, (const uint16_t *)x, m, ix->stride, out);
            else k->dot_i8(j->pr[0].q, j->pr[0].qscale, (const int8_t *)x, xs, m, ix->stride, out);
        } else if (ix->fmt == BEX_INDEX_FLOAT32)
            k->dot_f32_batch(fb, nq, (const float *)x, m, ix->stride, out, CHUNK);
        else if (ix->fmt == BEX_INDEX_FLOAT16)
            k->dot_f16_batch(fb, nq, (const uint16_t *)x, m, ix->stride, out, CHUNK);
        else
            k->dot_i8_batch(qb, qs, nq, (const int8_t *)x, xs, m, ix->stride, out, CHUNK);
        for (size_t q = 0; q < nq; q++) {
            topk *h = &j->heaps[q];
            const float *o = out + q * CHUNK;
            /* the common case once the heap is full: nothing here reaches the worst kept */
            if (h->n == h->k && k->max_f32(o, m) < h->score[0]) continue;
            for (size_t r = 0; r < m; r++) {
                if (h->n == h->k && o[r] < h->score[0]) continue;
                size_t slot = j->slots ? j->slots[c + r] : c + r;
                heap_push(h, o[r], ix->tid[slot]);
            }
        }
    }
done:
    bex__free_aligned(out);
    bex__free_aligned(rows);
    bex__free(scales);
    bex__free_aligned(qb);
    bex__free_aligned(fb);
    bex__free(qs);
    return NULL;
}

static int prepare_probe(const bex_index *ix, const float *v, probe *p, char *err, size_t errlen) {
    for (int d = 0; d < ix->dim; d++)
        if (!isfinite(v[d])) return bex__fail(err, errlen, BEX_ERR_ARG, "probe component %d is not a finite number", d);
    if (ix->fmt == BEX_INDEX_INT8) {
        p->q = bex__malloc_aligned((size_t)ix->stride);
        if (!p->q) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory");
        memset(p->q, 0, (size_t)ix->stride);
        p->qscale = ix_quantize_i8(v, ix->dim, p->q);
    } else {
        p->f = bex__malloc_aligned(sizeof(float) * (size_t)ix->stride);
        if (!p->f) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory");
        memset(p->f, 0, sizeof(float) * (size_t)ix->stride);
        memcpy(p->f, v, sizeof(float) * (size_t)ix->dim);
    }
    return BEX_OK;
}

static void free_probe(probe *p) {
    bex__free_aligned(p->q);
    bex__free_aligned(p->f);
}

/* Resolves a filter's template ids to slots (those still in the index). */
static uint32_t *filter_slots(const bex_index *ix, const bex_index_filter *f, size_t *n) {
    uint32_t *s = bex__malloc(sizeof *s * (f->n ? f->n : 1));
    size_t k = 0;
    for (size_t i = 0; s && i < f->n; i++) {
        uint32_t slot;
        if (idmap_get(&ix->tmap, f->tids[i], &slot)) s[k++] = slot;
    }
    *n = k;
    return s;
}

/* Scores nq prepared probes against every template (or the filter's) and leaves the best k
 * of each, best first, in heaps[q]. Caller holds the read lock. */
static int scan(bex_index *ix, const probe *pr, size_t nq, int k, const bex_index_filter *filter,
                topk *heaps, char *err, size_t errlen) {
    uint32_t *slots = NULL;
    size_t rows = ix->n;
    if (filter) {
        slots = filter_slots(ix, filter, &rows);
        if (!slots) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for the filter");
    }
    int nt = ix->threads;
    if ((size_t)nt > rows / MIN_ROWS_PER_THREAD) nt = (int)(rows / MIN_ROWS_PER_THREAD);
    if (nt < 1) nt = 1;
    scan_job jobs[MAX_THREADS];
    topk *th = NULL;       /* per-thread heaps beyond the first thread's, which are heaps[] */
    float *hs = NULL;
    int64_t *hi = NULL;
    int rc = BEX_OK;
    size_t per = (size_t)k * nq * (size_t)(nt - 1);
    if (nt > 1) {
        th = bex__calloc(nq * (size_t)(nt - 1), sizeof *th);
        hs = bex__malloc(sizeof *hs * per);
        hi = bex__malloc(sizeof *hi * per);
        if (!th || !hs || !hi) {
            rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for the search");
            goto out;
        }
        for (size_t i = 0; i < nq * (size_t)(nt - 1); i++)
            th[i] = (topk){k, 0, hs + i * (size_t)k, hi + i * (size_t)k};
    }
    pthread_t tids[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    for (int t = 0; t < nt; t++) {
        /* chunk-aligned ranges, so threads never share a chunk */
        size_t chunks = (rows + CHUNK - 1) / CHUNK;
        size_t lo = chunks * (size_t)t / (size_t)nt * CHUNK, hi_ = chunks * (size_t)(t + 1) / (size_t)nt * CHUNK;
        if (hi_ > rows) hi_ = rows;
        if (lo > rows) lo = rows;
        jobs[t] = (scan_job){ix, pr, nq, slots, lo, hi_, t == 0 ? heaps : th + (size_t)(t - 1) * nq, 0};
        if (t > 0) started[t] = pthread_create(&tids[t], NULL, scan_worker, &jobs[t]) == 0;
    }
    for (int t = 1; t < nt; t++)
        if (!started[t]) scan_worker(&jobs[t]); /* no thread to be had: do it here */
    scan_worker(&jobs[0]);
    for (int t = 1; t < nt; t++)
        if (started[t]) pthread_join(tids[t], NULL);
    for (int t = 0; t < nt; t++)
        if (jobs[t].fail) rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for the search");
    for (int t = 1; t < nt && rc == BEX_OK; t++)
        for (size_t q = 0; q < nq; q++) {
            topk *src = &th[(size_t)(t - 1) * nq + q];
            for (int i = 0; i < src->n; i++) heap_push(&heaps[q], src->score[i], src->id[i]);
        }
    for (size_t q = 0; q < nq && rc == BEX_OK; q++) heap_sort(&heaps[q]);
out:
    bex__free(th);
    bex__free(hs);
    bex__free(hi);
    bex__free(slots);
    return rc;
}

int bex_index_search_batch(bex_index *ix, const float *probes, size_t nq, int k, const bex_index_filter *filter,
                           float *scores, int64_t *ids, char *err, size_t errlen) {
    if (!ix || (!probes && nq) || (nq && (!scores || !ids)))
        return bex__fail(err, errlen, BEX_ERR_ARG, "bex_index_search_batch: NULL argument");
    if (k < 1 || k > BEX_INDEX_MAX_K)
        return bex__fail(err, errlen, BEX_ERR_ARG, "k must be 1 to %d (got %d)", BEX_INDEX_MAX_K, k);
    int rc = BEX_OK;
    pthread_rwlock_rdlock(&ix->lock);
    for (size_t q0 = 0; q0 < nq && rc == BEX_OK; q0 += BEX__IX_BATCH_MAX) {
        size_t m = nq - q0 < BEX__IX_BATCH_MAX ? nq - q0 : BEX__IX_BATCH_MAX;
        probe pr[BEX__IX_BATCH_MAX];
        topk heaps[BEX__IX_BATCH_MAX];
        memset(pr, 0, sizeof pr);
        size_t prepared = 0;
        for (; prepared < m; prepared++)
            if ((rc = prepare_probe(ix, probes + (q0 + prepared) * (size_t)ix->dim, &pr[prepared], err, errlen)) != BEX_OK)
                break;
        for (size_t q = 0; q < m && rc == BEX_OK; q++)
            heaps[q] = (topk){k, 0, scores + (q0 + q) * (size_t)k, ids + (q0 + q) * (size_t)k};
        if (rc == BEX_OK) rc = scan(ix, pr, m, k, filter, heaps, err, errlen);
        for (size_t q = 0; q < m && rc == BEX_OK; q++)
            for (int i = heaps[q].n; i < k; i++) {
                heaps[q].score[i] = -INFINITY;
                heaps[q].id[i] = -1;
            }
        for (size_t q = 0; q < prepared; q++) free_probe(&pr[q]);
    }
    pthread_rwlock_unlock(&ix->lock);
    return rc;
}

/* The subject of a template id; caller holds the lock. */
static int64_t subject_of_template(const bex_index *ix, int64_t tid) {
    uint32_t slot;
    return idmap_get(&ix->tmap, tid, &slot) ? ix->sid[slot] : -1;
}

int bex_index_search(bex_index *ix, const float *probe_v, int k, const bex_index_filter *filter,
                     bex_index_hit *hits, size_t *n, char *err, size_t errlen) {
    if (!ix || !probe_v || !hits || !n) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_index_search: NULL argument");
    if (k < 1 || k > BEX_INDEX_MAX_K)
        return bex__fail(err, errlen, BEX_ERR_ARG, "k must be 1 to %d (got %d)", BEX_INDEX_MAX_K, k);
    float sc[BEX_INDEX_MAX_K];
    int64_t id[BEX_INDEX_MAX_K];
    probe pr = {0};
    int rc = prepare_probe(ix, probe_v, &pr, err, errlen);
    if (rc != BEX_OK) return rc;
    topk h = {k, 0, sc, id};
    pthread_rwlock_rdlock(&ix->lock);
    rc = scan(ix, &pr, 1, k, filter, &h, err, errlen);
    if (rc == BEX_OK) {
        for (int i = 0; i < h.n; i++) hits[i] = (bex_index_hit){sc[i], id[i], subject_of_template(ix, id[i])};
        *n = (size_t)h.n;
    }
    pthread_rwlock_unlock(&ix->lock);
    free_probe(&pr);
    return rc;
}

/* The scan's best m templates of one probe into *sc / *id (grown to m, kept by the caller
 * across widenings), ranked in *h. Called with the read lock held. */
static int scan_best(bex_index *ix, const probe *pr, int m, const bex_index_filter *filter, float **sc,
                     int64_t **id, topk *h, char *err, size_t errlen) {
    float *s2 = bex__realloc(*sc, sizeof **sc * (size_t)m);
    int64_t *i2 = bex__realloc(*id, sizeof **id * (size_t)m);
    if (s2) *sc = s2;
    if (i2) *id = i2;
    if (!s2 || !i2) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for the search");
    *h = (topk){m, 0, *sc, *id};
    return scan(ix, pr, 1, m, filter, h, err, errlen);
}

int bex_index_search_subjects(bex_index *ix, const float *probe_v, int k, const bex_index_filter *filter,
                              bex_index_hit *hits, size_t *n, char *err, size_t errlen) {
    if (!ix || !probe_v || !hits || !n)
        return bex__fail(err, errlen, BEX_ERR_ARG, "bex_index_search_subjects: NULL argument");
    if (k < 1 || k > BEX_INDEX_MAX_K)
        return bex__fail(err, errlen, BEX_ERR_ARG, "k must be 1 to %d (got %d)", BEX_INDEX_MAX_K, k);
    probe pr = {0};
    int rc = prepare_probe(ix, probe_v, &pr, err, errlen);
    if (rc != BEX_OK) return rc;
    /* The best m templates, ranked, hold the best k subjects once they name k distinct ones
     * (a subject's best template comes before any worse template of another): widen m until
     * they do or every template is in. */
    int m = k * 4 < BEX_INDEX_MAX_K ? k * 4 : BEX_INDEX_MAX_K;
    float *sc = NULL;
    int64_t *id = NULL;
    pthread_rwlock_rdlock(&ix->lock);
    size_t total = filter ? filter->n : ix->n;
    for (;;) {
        topk h;
        if ((rc = scan_best(ix, &pr, m, filter, &sc, &id, &h, err, errlen)) != BEX_OK) break;
        size_t got = 0;
        for (int i = 0; i < h.n && got < (size_t)k; i++) {
            int64_t s = subject_of_template(ix, id[i]);
            int seen = 0;
            for (size_t j = 0; j < got && !seen; j++) seen = hits[j].subject_id == s;
            if (!seen) hits[got++] = (bex_index_hit){sc[i], id[i], s};
        }
        if (got == (size_t)k || h.n < m || (size_t)m >= total) {
            *n = got;
            break;
        }
        m = (size_t)m * 4 > total ? (int)(total < (size_t)INT32_MAX ? total : INT32_MAX) : m * 4;
    }
    pthread_rwlock_unlock(&ix->lock);
    bex__free(sc);
    bex__free(id);
    free_probe(&pr);
    return rc;
}

/* The int8 (or float16) scan ranks, the caller's exact vectors decide. The scan's best m
 * templates are re-scored exactly; a template the scan ranked below the m-th (scan score s_m)
 * has an exact score of at most s_m + eps, where eps bounds what rounding can move a score:
 * |q.g - q'.g'| <= ||q|| ||g - g'|| + ||q - q'|| ||g'|| (q' and g' as stored). When the k-th
 * subject's exact score is above s_m + eps no template left out can change the answer;
 * otherwise m grows fourfold and the scan runs again (every template at the latest). */
/* The scan half of an exact search, done ahead (bex_index_scan_exact): the first round's
 * candidates, for one probe, one k, every template, one version of the index. */
struct bex_index_scan {
    uint64_t version;
    int k, m, n;
    float *probe; /* dim floats: the probe it was made for */
    float *sc;
    int64_t *id;
};

void bex_index_scan_free(bex_index_scan *s) {
    if (!s) return;
    bex__free(s->probe);
    bex__free(s->sc);
    bex__free(s->id);
    bex__free(s);
}

static int first_m(int k, size_t total) {
    int m = k * BEX_INDEX_RERANK_FACTOR;
    if (m < BEX_INDEX_RERANK_MIN) m = BEX_INDEX_RERANK_MIN;
    if ((size_t)m > total) m = total > 0 ? (int)(total < (size_t)INT32_MAX ? total : INT32_MAX) : 1;
    return m;
}

int bex_index_scan_exact(bex_index *ix, const float *probe_v, int k, bex_index_scan **out, char *err,
                         size_t errlen) {
    if (!ix || !probe_v || !out) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_index_scan_exact: NULL argument");
    *out = NULL;
    if (k < 1 || k > BEX_INDEX_MAX_K)
        return bex__fail(err, errlen, BEX_ERR_ARG, "k must be 1 to %d (got %d)", BEX_INDEX_MAX_K, k);
    probe pr = {0};
    int rc = prepare_probe(ix, probe_v, &pr, err, errlen);
    if (rc != BEX_OK) return rc;
    bex_index_scan *s = bex__calloc(1, sizeof *s);
    if (!s || !(s->probe = bex__malloc(sizeof(float) * (size_t)ix->dim))) {
        bex_index_scan_free(s);
        free_probe(&pr);
        return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for the search");
    }
    memcpy(s->probe, probe_v, sizeof(float) * (size_t)ix->dim);
    s->k = k;
    pthread_rwlock_rdlock(&ix->lock);
    s->version = ix->version;
    s->m = first_m(k, ix->n);
    topk h;
    rc = scan_best(ix, &pr, s->m, NULL, &s->sc, &s->id, &h, err, errlen);
    s->n = h.n;
    pthread_rwlock_unlock(&ix->lock);
    free_probe(&pr);
    if (rc != BEX_OK) {
        bex_index_scan_free(s);
        return rc;
    }
    *out = s;
    return BEX_OK;
}

/* One row's scan score, by the kernel and arithmetic the scan uses. Read lock held. */
static float score_slot(const bex_index *ix, const probe *pr, size_t slot) {
    const unsigned char *x = ix->vecs + slot * row_bytes(ix);
    float out[1];
    if (ix->fmt == BEX_INDEX_FLOAT32) ix->kern->dot_f32(pr->f, (const float *)x, 1, ix->stride, out);
    else if (ix->fmt == BEX_INDEX_FLOAT16) ix->kern->dot_f16(pr->f, (const uint16_t *)x, 1, ix->stride, out);
    else ix->kern->dot_i8(pr->q, pr->qscale, (const int8_t *)x, ix->scale + slot, 1, ix->stride, out);
    return out[0];
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct cand {
    float score;
    int64_t id;
} cand;

static int cmp_cand(const void *a, const void *b) { /* best first, as the scan ranks */
    const cand *x = a, *y = b;
    return worse(x->score, x->id, y->score, y->id) ? 1 : worse(y->score, y->id, x->score, x->id) ? -1 : 0;
}

/* A scan done ahead brought up to date through the journal (read lock held): the prescan's
 * list L is the best m of the old set S (every template of S outside L scores at most L's
 * worst). Let T be the templates changed since (added, replaced or removed: each counts as
 * removed from S, and, if in the index now, as added with its current row). L - T holds
 * m' = m - |L n T| templates of S - T that every other template of S - T scores at most, so
 * the best m' of (L - T) u (T n index), each added template scored as the scan would, are
 * the best m' of the index now, and every template left out scores at most the m'-th: a first
 * round as good as a scan of m'. A prescan that held fewer than m held every template, and so
 * does the list made from it. Into *sc / *id (grown), the count in *n, *all when it is every
 * template. 0 when the journal no longer holds every change since (or memory is short): then
 * the caller scans. */
static int journal_round(const bex_index *ix, const bex_index_scan *pre, const probe *pr, float **sc,
                         int64_t **id, int *n, int *all) {
    if (pre->version < ix->jfloor || pre->version >= ix->version || !ix->jr) return 0;
    size_t nt = 0;
    int64_t *t = bex__malloc(sizeof *t * (ix->jn ? ix->jn : 1));
    if (!t) return 0;
    for (size_t i = 0; i < ix->jn; i++) { /* newest first, down to the prescan's version */
        const jentry *e = &ix->jr[(ix->jhead + JOURNAL - 1 - i) % JOURNAL];
        if (e->version <= pre->version) break;
        t[nt++] = e->tid;
    }
    qsort(t, nt, sizeof *t, cmp_i64);
    size_t u = 0;
    for (size_t i = 0; i < nt; i++)
        if (u == 0 || t[u - 1] != t[i]) t[u++] = t[i];
    nt = u;
    int ok = 0;
    cand *c = bex__malloc(sizeof *c * ((size_t)pre->n + nt + 1));
    if (!c) goto out;
    size_t nc = 0;
    int gone = 0; /* |L n T| */
    for (int i = 0; i < pre->n; i++) {
        if (bsearch(&pre->id[i], t, nt, sizeof *t, cmp_i64)) gone++;
        else c[nc++] = (cand){pre->sc[i], pre->id[i]};
    }
    for (size_t i = 0; i < nt; i++) {
        uint32_t slot;
        if (idmap_get(&ix->tmap, t[i], &slot)) c[nc++] = (cand){score_slot(ix, pr, slot), t[i]};
    }
    qsort(c, nc, sizeof *c, cmp_cand);
    size_t keep;
    if (pre->n < pre->m) { /* the prescan held every template of S: this holds every one now */
        keep = nc;
        *all = 1;
    } else {
        if (pre->m - gone < 1) goto out; /* nothing of L is left to bound the rest */
        keep = (size_t)(pre->m - gone);
        if (keep > nc) goto out; /* cannot happen: L - T is in c */
        *all = keep >= ix->n;
    }
    float *s2 = bex__realloc(*sc, sizeof **sc * (keep ? keep : 1));
    if (s2) *sc = s2;
    int64_t *i2 = s2 ? bex__realloc(*id, sizeof **id * (keep ? keep : 1)) : NULL;
    if (i2) *id = i2;
    if (!s2 || !i2) goto out;
    for (size_t i = 0; i < keep; i++) {
        (*sc)[i] = c[i].score;
        (*id)[i] = c[i].id;
    }
    *n = (int)keep;
    ok = 1;
out:
    bex__free(c);
    bex__free(t);
    return ok;
}

void bex_index_get_prescan_stats(bex_index *ix, bex_index_prescan_stats *out) {
    if (!out) return;
    memset(out, 0, sizeof *out);
    if (!ix) return;
    out->current = __atomic_load_n(&ix->pre_current, __ATOMIC_RELAXED);
    out->journal = __atomic_load_n(&ix->pre_journal, __ATOMIC_RELAXED);
    out->rescanned = __atomic_load_n(&ix->pre_rescan, __ATOMIC_RELAXED);
}

int bex_index_search_subjects_exact(bex_index *ix, const float *probe_v, int k, const bex_index_filter *filter,
                                    bex_index_vector_fn vector, void *ctx, bex_index_hit *hits, size_t *n,
                                    int *rescored, char *err, size_t errlen) {
    return bex_index_search_subjects_exact_from(ix, NULL, probe_v, k, filter, vector, ctx, hits, n, rescored, err,
                                                errlen);
}

static int search_exact(bex_index *ix, const bex_index_scan *pre, const float *probe_v, int k,
                        const bex_index_filter *filter, bex_index_vector_fn vector, bex_index_vectors_fn vectors,
                        void *ctx, bex_index_hit *hits, size_t *n, int *rescored, char *err, size_t errlen);

int bex_index_search_subjects_exact_from(bex_index *ix, const bex_index_scan *pre, const float *probe_v, int k,
                                         const bex_index_filter *filter, bex_index_vector_fn vector, void *ctx,
                                         bex_index_hit *hits, size_t *n, int *rescored, char *err, size_t errlen) {
    if (!vector) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_index_search_subjects_exact: NULL argument");
    return search_exact(ix, pre, probe_v, k, filter, vector, NULL, ctx, hits, n, rescored, err, errlen);
}

int bex_index_search_subjects_exact_batch(bex_index *ix, const bex_index_scan *pre, const float *probe_v, int k,
                                          const bex_index_filter *filter, bex_index_vectors_fn vectors, void *ctx,
                                          bex_index_hit *hits, size_t *n, int *rescored, char *err, size_t errlen) {
    if (!vectors) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_index_search_subjects_exact: NULL argument");
    return search_exact(ix, pre, probe_v, k, filter, NULL, vectors, ctx, hits, n, rescored, err, errlen);
}

static int search_exact(bex_index *ix, const bex_index_scan *pre, const float *probe_v, int k,
                        const bex_index_filter *filter, bex_index_vector_fn vector, bex_index_vectors_fn vectors,
                        void *ctx, bex_index_hit *hits, size_t *n, int *rescored, char *err, size_t errlen) {
    if (!ix || !probe_v || !hits || !n)
        return bex__fail(err, errlen, BEX_ERR_ARG, "bex_index_search_subjects_exact: NULL argument");
    if (k < 1 || k > BEX_INDEX_MAX_K)
        return bex__fail(err, errlen, BEX_ERR_ARG, "k must be 1 to %d (got %d)", BEX_INDEX_MAX_K, k);
    probe pr = {0};
    int rc = prepare_probe(ix, probe_v, &pr, err, errlen);
    if (rc != BEX_OK) return rc;
    double qn = 0, qe = 0;
    for (int d = 0; d < ix->dim; d++) {
        qn += (double)probe_v[d] * probe_v[d];
        if (pr.q) {
            double e = (double)probe_v[d] - pr.q[d] * pr.qscale;
            qe += e * e;
        }
    }
    float *sc = NULL, *vec = bex__malloc(sizeof(float) * (size_t)ix->dim), *bvec = NULL;
    unsigned char *bok = NULL;
    int64_t *id = NULL;
    if (!vec) {
        free_probe(&pr);
        return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for the search");
    }
    pthread_rwlock_rdlock(&ix->lock);
    /* 1e-5: the float arithmetic of the kernels and of the exact dot product */
    double eps = sqrt(qn) * ix->qerr_max + sqrt(qe) * ix->norm_max + 1e-5;
    size_t total = filter ? filter->n : ix->n;
    int m = first_m(k, total);
    /* a scan done ahead stands for the first round when it is of this very search: the same
     * probe, k and version, and every template (an index changed since is scanned again) */
    int use_pre = pre && !filter && pre->k == k && pre->m == m &&
                  !memcmp(pre->probe, probe_v, sizeof(float) * (size_t)ix->dim);
    /* one of a version since changed is brought up to date through the journal if it can be */
    int via_journal = 0, jcount = 0, jall = 0;
    if (use_pre && pre->version != ix->version) {
        use_pre = 0;
        via_journal = journal_round(ix, pre, &pr, &sc, &id, &jcount, &jall);
    }
    if (pre) {
        uint64_t *c = use_pre ? &ix->pre_current : via_journal ? &ix->pre_journal : &ix->pre_rescan;
        __atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
    }
    for (;;) {
        topk h;
        int all;
        if (use_pre) {
            h = (topk){pre->m, pre->n, pre->sc, pre->id};
            all = h.n < m || (size_t)m >= total;
        } else if (via_journal) {
            h = (topk){jcount, jcount, sc, id};
            all = jall;
        } else if ((rc = scan_best(ix, &pr, m, filter, &sc, &id, &h, err, errlen)) != BEX_OK) {
            break;
        } else {
            all = h.n < m || (size_t)m >= total;
        }
        const float *hs = use_pre ? pre->sc : sc;
        const int64_t *hid = use_pre ? pre->id : id;
        use_pre = via_journal = 0;
        float bound = h.n > 0 ? hs[h.n - 1] + (float)eps : -INFINITY;
        size_t got = 0;
        if (vectors && h.n > 0) { /* the round's candidates' vectors in one call */
            size_t bytes;
            float *nv = bex__mul_size((size_t)h.n, (size_t)ix->dim * sizeof(float), &bytes)
                            ? bex__realloc(bvec, bytes) : NULL;
            if (nv) bvec = nv;
            unsigned char *no = nv ? bex__realloc(bok, (size_t)h.n) : NULL;
            if (no) bok = no;
            if (!nv || !no) {
                rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for the search");
                break;
            }
            if ((rc = vectors(ctx, hid, (size_t)h.n, bvec, bok)) != BEX_OK) {
                bex__fail(err, errlen, rc, "the candidates' templates could not be read");
                break;
            }
        }
        for (int i = 0; i < h.n; i++) {
            const float *v = vec;
            if (vectors) {
                if (!bok[i]) continue; /* gone from the caller's records */
                v = bvec + (size_t)i * (size_t)ix->dim;
            } else if (vector(ctx, hid[i], vec) != BEX_OK) {
                continue;
            }
            double dot = 0;
            for (int d = 0; d < ix->dim; d++) dot += (double)probe_v[d] * v[d];
            bex_index_hit c = {(float)dot, hid[i], subject_of_template(ix, hid[i])};
            /* the subject's best so far, or a new subject: keep the best k, best first */
            size_t j = 0;
            while (j < got && hits[j].subject_id != c.subject_id) j++;
            if (j < got) {
                if (!worse(hits[j].score, hits[j].template_id, c.score, c.template_id)) continue;
            } else if (got < (size_t)k) {
                j = got++;
            } else if (worse(hits[got - 1].score, hits[got - 1].template_id, c.score, c.template_id)) {
                j = got - 1;
            } else {
                continue;
            }
            while (j > 0 && worse(hits[j - 1].score, hits[j - 1].template_id, c.score, c.template_id)) {
                hits[j] = hits[j - 1];
                j--;
            }
            hits[j] = c;
        }
        if (all || (got == (size_t)k && hits[k - 1].score > bound)) {
            *n = got;
            if (rescored) *rescored = h.n;
            break;
        }
        m = (size_t)m * 4 > total ? (int)(total < (size_t)INT32_MAX ? total : INT32_MAX) : m * 4;
    }
    pthread_rwlock_unlock(&ix->lock);
    bex__free(sc);
    bex__free(id);
    bex__free(vec);
    bex__free(bvec);
    bex__free(bok);
    free_probe(&pr);
    return rc;
}

int bex_index_identify(bex_index *ix, const float *probe_v, int k, const bex_index_filter *filter, bex_align align,
                       double fpir, bex_index_hit *cands, size_t *n, bex_operating_point *op, int *match, char *err,
                       size_t errlen) {
    if (!ix || !op || !match) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_index_identify: NULL argument");
    size_t gallery = filter ? filter->nsubj : bex_index_subjects(ix);
    if (gallery == 0) return bex__fail(err, errlen, BEX_ERR_ARG, "the gallery searched is empty");
    bex_operating_point o;
    int rc = bex_operating_point_identify(align, fpir, (long long)gallery, &o, err, errlen);
    if (rc != BEX_OK) return rc;
    if ((rc = bex_index_search_subjects(ix, probe_v, k, filter, cands, n, err, errlen)) != BEX_OK) return rc;
    *op = o;
    *match = *n > 0 && bex_operating_point_accepts(&o, cands[0].score);
    return BEX_OK;
}

/* ------------------------------------------------------------------ filters */

static int filter_new(bex_index_filter **out, size_t cap, char *err, size_t errlen) {
    bex_index_filter *f = bex__calloc(1, sizeof *f);
    if (f) f->tids = bex__malloc(sizeof *f->tids * (cap ? cap : 1));
    if (!f || !f->tids) {
        if (f) bex__free(f);
        return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for the filter");
    }
    *out = f;
    return BEX_OK;
}

int bex_index_filter_by_subjects(bex_index *ix, const int64_t *subject_ids, size_t n, bex_index_filter **out,
                                 char *err, size_t errlen) {
    if (!ix || !out || (n && !subject_ids))
        return bex__fail(err, errlen, BEX_ERR_ARG, "bex_index_filter_by_subjects: NULL argument");
    pthread_rwlock_rdlock(&ix->lock);
    size_t cap = 0;
    for (size_t i = 0; i < n; i++) {
        subject *s = subject_of(ix, subject_ids[i]);
        if (s) cap += (size_t)s->n;
    }
    bex_index_filter *f;
    int rc = filter_new(&f, cap, err, errlen);
    if (rc == BEX_OK) {
        idmap seen = {0};
        for (size_t i = 0; i < n; i++) {
            subject *s = subject_of(ix, subject_ids[i]);
            uint32_t dummy;
            if (!s || idmap_get(&seen, subject_ids[i], &dummy)) continue; /* unknown, or listed twice */
            if (idmap_put(&seen, subject_ids[i], 1) != 0) {
                rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for the filter");
                break;
            }
            memcpy(f->tids + f->n, s->tids, sizeof *s->tids * (size_t)s->n);
            f->n += (size_t)s->n;
            f->nsubj++;
        }
        idmap_free(&seen);
        if (rc != BEX_OK) bex_index_filter_free(f);
        else *out = f;
    }
    pthread_rwlock_unlock(&ix->lock);
    return rc;
}

int bex_index_filter_by_templates(bex_index *ix, const int64_t *template_ids, size_t n, bex_index_filter **out,
                                  char *err, size_t errlen) {
    if (!ix || !out || (n && !template_ids))
        return bex__fail(err, errlen, BEX_ERR_ARG, "bex_index_filter_by_templates: NULL argument");
    pthread_rwlock_rdlock(&ix->lock);
    bex_index_filter *f = NULL;
    int rc = filter_new(&f, n, err, errlen);
    idmap seen = {0}, subj = {0};
    for (size_t i = 0; rc == BEX_OK && i < n; i++) {
        uint32_t slot, dummy;
        if (!idmap_get(&ix->tmap, template_ids[i], &slot) || idmap_get(&seen, template_ids[i], &dummy)) continue;
        if (idmap_put(&seen, template_ids[i], 1) != 0 ||
            (!idmap_get(&subj, ix->sid[slot], &dummy) && idmap_put(&subj, ix->sid[slot], 1) != 0)) {
            rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for the filter");
            break;
        }
        f->tids[f->n++] = template_ids[i];
    }
    if (rc == BEX_OK) {
        f->nsubj = subj.n;
        *out = f;
    } else
        bex_index_filter_free(f);
    idmap_free(&seen);
    idmap_free(&subj);
    pthread_rwlock_unlock(&ix->lock);
    return rc;
}

size_t bex_index_filter_templates(const bex_index_filter *f) { return f ? f->n : 0; }
size_t bex_index_filter_subjects(const bex_index_filter *f) { return f ? f->nsubj : 0; }

void bex_index_filter_free(bex_index_filter *f) {
    if (!f) return;
    bex__free(f->tids);
    bex__free(f);
}

/* ------------------------------------------------------------------ file */

/* File layout (little-endian, native struct): header (64 bytes), the model's identity
 * (BEX_INDEX_MODEL_MAX bytes, NUL-padded; version 2 on), then tids[count],
 * sids[count], scales[count] (int8 only), zero padding to a multiple of 64 bytes, then
 * count rows of stride elements. The checksum covers everything after the header. */
#define FILE_MAGIC "BEXINDX1"
#define FILE_VERSION 2
#define MODEL_BYTES BEX_INDEX_MODEL_MAX

typedef struct file_hdr {
    char magic[8];
    uint32_t version, dim, format, stride;
    uint64_t count, checksum, vec_offset, file_size;
    unsigned char reserved[8];
} file_hdr;
_Static_assert(sizeof(file_hdr) == 64, "index file header is 64 bytes");

/* A fast 64-bit checksum over 8-byte words (multiply-rotate), streamed: the same bytes give
 * the same sum however they are split between calls. csum_end folds in a partial last word. */
typedef struct csum {
    uint64_t h;
    unsigned char pend[8];
    size_t npend;
} csum;

static uint64_t csum_word(uint64_t h, uint64_t w) {
    h ^= w * 0x9e3779b97f4a7c15ULL;
    return (h << 27 | h >> 37) * 0xff51afd7ed558ccdULL;
}

static void csum_add(csum *c, const void *p, size_t n) {
    const unsigned char *b = p;
    size_t i = 0;
    while (c->npend && i < n) { /* complete a pending word */
        c->pend[c->npend++] = b[i++];
        if (c->npend == 8) {
            uint64_t w;
            memcpy(&w, c->pend, 8);
            c->h = csum_word(c->h, w);
            c->npend = 0;
        }
    }
    uint64_t h = c->h;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, b + i, 8);
        h = csum_word(h, w);
    }
    c->h = h;
    for (; i < n; i++) c->pend[c->npend++] = b[i];
}

static uint64_t csum_end(csum *c) {
    uint64_t h = c->h;
    for (size_t i = 0; i < c->npend; i++) h = (h ^ c->pend[i]) * 0x100000001b3ULL;
    return h;
}

static size_t meta_bytes(size_t count, int int8) { return count * 16 + (int8 ? count * 4 : 0); }
static size_t round64(size_t n) { return (n + 63) / 64 * 64; }

static int write_all(int fd, const void *p, size_t n, csum *c) {
    const unsigned char *b = p;
    if (c) csum_add(c, p, n);
    while (n) {
        ssize_t w = write(fd, b, n > (1u << 30) ? (1u << 30) : n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

int bex_index_save(bex_index *ix, const char *path, char *err, size_t errlen) {
    if (!ix || !path) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_index_save: NULL argument");
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return bex__fail(err, errlen, BEX_ERR_ARG, "index path too long");
    pthread_rwlock_rdlock(&ix->lock);
    int rc = BEX_OK;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = bex__fail(err, errlen, BEX_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    size_t n = ix->n, meta = meta_bytes(n, ix->fmt == BEX_INDEX_INT8), vec_off = round64(64 + MODEL_BYTES + meta);
    char model[MODEL_BYTES];
    memset(model, 0, sizeof model);
    snprintf(model, sizeof model, "%s", ix->model);
    size_t vec_bytes = n * row_bytes(ix);
    file_hdr h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, FILE_MAGIC, 8);
    h.version = FILE_VERSION;
    h.dim = (uint32_t)ix->dim;
    h.format = (uint32_t)ix->fmt;
    h.stride = (uint32_t)ix->stride;
    h.count = n;
    h.vec_offset = vec_off;
    h.file_size = vec_off + vec_bytes;
    static const unsigned char zeros[64];
    csum c = {0x243f6a8885a308d3ULL, {0}, 0};
    int bad = write_all(fd, &h, sizeof h, NULL) || write_all(fd, model, sizeof model, &c) ||
              write_all(fd, ix->tid, n * 8, &c) ||
              write_all(fd, ix->sid, n * 8, &c) ||
              (ix->fmt == BEX_INDEX_INT8 && write_all(fd, ix->scale, n * 4, &c)) ||
              write_all(fd, zeros, vec_off - 64 - MODEL_BYTES - meta, &c) || write_all(fd, ix->vecs, vec_bytes, &c);
    if (!bad) { /* the checksum goes into the header last */
        h.checksum = csum_end(&c);
        bad = pwrite(fd, &h, sizeof h, 0) != (ssize_t)sizeof h;
    }
    if (bad || fsync(fd) != 0) {
        rc = bex__fail(err, errlen, BEX_ERR_IO, "cannot write %s: %s (the previous file, if any, is untouched)", tmp,
                       strerror(errno ? errno : EIO));
        close(fd);
        unlink(tmp);
        goto out;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        rc = bex__fail(err, errlen, BEX_ERR_IO, "cannot write %s: %s (the previous file, if any, is untouched)", path,
                       strerror(errno));
        unlink(tmp);
        goto out;
    }
    /* make the rename itself durable */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) *(slash == dir ? slash + 1 : slash) = 0;
    else snprintf(dir, sizeof dir, ".");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
out:
    pthread_rwlock_unlock(&ix->lock);
    return rc;
}

int bex_index_load(const char *path, bex_index **out, char *err, size_t errlen) {
    if (!path || !out) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_index_load: NULL argument");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return bex__fail(err, errlen, BEX_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(file_hdr)) {
        close(fd);
        return bex__fail(err, errlen, BEX_ERR_CORRUPT, "%s is not a bex index (too short)", path);
    }
    size_t len = (size_t)st.st_size;
    void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return bex__fail(err, errlen, BEX_ERR_IO, "cannot map %s: %s", path, strerror(errno));
    file_hdr h;
    memcpy(&h, map, sizeof h);
    int rc = BEX_OK;
    size_t elem = h.format == BEX_INDEX_FLOAT32 ? 4 : h.format == BEX_INDEX_FLOAT16 ? 2 : 1, rows;
    size_t mb = h.version >= 2 ? MODEL_BYTES : 0; /* version 1 recorded no model */
    if (memcmp(h.magic, FILE_MAGIC, 8) != 0)
        rc = bex__fail(err, errlen, BEX_ERR_FORMAT, "%s is not a bex index file", path);
    else if (h.version != 1 && h.version != FILE_VERSION)
        rc = bex__fail(err, errlen, BEX_ERR_UNSUPPORTED, "%s is a version %u index; this bex reads versions 1 to %d", path,
                       h.version, FILE_VERSION);
    else if (h.dim < 1 || h.dim > BEX_INDEX_MAX_DIM || h.format > BEX_INDEX_INT8 ||
             h.stride != (h.dim + BEX__IX_ALIGN - 1) / BEX__IX_ALIGN * BEX__IX_ALIGN || h.count >= UINT32_MAX ||
             h.vec_offset != round64(64 + mb + meta_bytes(h.count, h.format == BEX_INDEX_INT8)) ||
             !bex__mul_size(h.count, (size_t)h.stride * elem, &rows) || h.file_size != h.vec_offset + rows)
        rc = bex__fail(err, errlen, BEX_ERR_CORRUPT, "%s: the index header is inconsistent", path);
    else if (h.file_size != len)
        rc = bex__fail(err, errlen, BEX_ERR_CORRUPT, "%s is %zu bytes, its header says %llu: truncated or extended",
                       path, len, (unsigned long long)h.file_size);
    if (rc == BEX_OK) {
        csum c = {0x243f6a8885a308d3ULL, {0}, 0};
        csum_add(&c, (const unsigned char *)map + 64, len - 64);
        if (csum_end(&c) != h.checksum) rc = bex__fail(err, errlen, BEX_ERR_CORRUPT, "%s: checksum mismatch (the file is damaged)", path);
    }
    bex_index *ix = NULL;
    if (rc == BEX_OK) rc = bex_index_open((int)h.dim, (bex_index_format)h.format, &ix, err, errlen);
    if (rc != BEX_OK) {
        munmap(map, len);
        return rc;
    }
    const unsigned char *b = map;
    size_t n = h.count;
    ix->map = map;
    ix->map_len = len;
    if (mb) {
        const char *model = (const char *)b + 64;
        if (!memchr(model, 0, MODEL_BYTES) || !model[0]) {
            bex_index_close(ix); /* unmaps the file */
            return bex__fail(err, errlen, BEX_ERR_CORRUPT, "%s: the model's identity in the header is not a string", path);
        }
        snprintf(ix->model, sizeof ix->model, "%s", model);
    } else {
        snprintf(ix->model, sizeof ix->model, "%s", BEX_INDEX_MODEL_LEGACY);
    }
    ix->tid = (int64_t *)(b + 64 + mb);
    ix->sid = (int64_t *)(b + 64 + mb + n * 8);
    ix->scale = h.format == BEX_INDEX_INT8 ? (float *)(b + 64 + mb + n * 16) : NULL;
    ix->vecs = (unsigned char *)(b + h.vec_offset);
    ix->n = n;
    ix->cap = n;
    if (idmap_reserve(&ix->tmap, n) != 0) rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory loading %s", path);
    for (size_t i = 0; rc == BEX_OK && i < n; i++) {
        uint32_t dup;
        if (idmap_get(&ix->tmap, ix->tid[i], &dup)) {
            rc = bex__fail(err, errlen, BEX_ERR_CORRUPT, "%s: template id %lld appears twice", path, (long long)ix->tid[i]);
            break;
        }
        if (idmap_put(&ix->tmap, ix->tid[i], (uint32_t)i) != 0 || subject_add(ix, ix->sid[i], ix->tid[i]) != 0)
            rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory loading %s", path);
        else if (ix->fmt != BEX_INDEX_FLOAT32)
            note_rounding(ix, i, NULL);
    }
    if (rc != BEX_OK) {
        bex_index_close(ix);
        return rc;
    }
    *out = ix;
    return BEX_OK;
}
