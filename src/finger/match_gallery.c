/*
 * match_gallery.c - 1:N fingerprint search (bex_finger_gallery_* in include/bex/finger.h): an
 * in-memory list of prepared templates keyed by the caller's id, scanned with the 1:1 score.
 *
 * A search prepares the probe once and compares it with every entry (match.c); the k best are
 * kept in a small sorted array. Searches share a read lock and run side by side; adding and
 * removing take the write lock. Ids are unique: adding an id already present replaces it;
 * removing an id not there returns BEX_ERR_ARG.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bex/finger.h"
#include "index/idmap.h"
#include "util/util.h"

#define GALLERY_MAX ((size_t)1 << 28) /* entries; far beyond memory in practice */

typedef struct entry {
    int64_t id;
    bex_finger_prepared *p;
} entry;

struct bex_finger_gallery {
    pthread_rwlock_t lock;
    entry *e;
    size_t n, cap;
    idmap slot; /* id -> index in e, so adding and removing do not scan the gallery */
};

bex_finger_gallery *bex_finger_gallery_new(void) {
    bex_finger_gallery *g = bex__calloc(1, sizeof *g);
    if (!g) return NULL;
    /* writer-preferring, as the face index's: a removal is not starved by a stream of
     * searches, and once it returns the entry is never a hit again */
    pthread_rwlockattr_t at;
    pthread_rwlockattr_init(&at);
    pthread_rwlockattr_setkind_np(&at, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    int rc = pthread_rwlock_init(&g->lock, &at);
    pthread_rwlockattr_destroy(&at);
    if (rc != 0) {
        bex__free(g);
        return NULL;
    }
    return g;
}

void bex_finger_gallery_free(bex_finger_gallery *g) {
    if (!g) return;
    for (size_t i = 0; i < g->n; i++) bex_finger_prepared_free(g->e[i].p);
    bex__free(g->e);
    idmap_free(&g->slot);
    pthread_rwlock_destroy(&g->lock);
    bex__free(g);
}

static size_t find(const bex_finger_gallery *g, int64_t id) {
    uint32_t at;
    return idmap_get(&g->slot, id, &at) ? at : (size_t)-1;
}

int bex_finger_gallery_add(bex_finger_gallery *g, int64_t id, const bex_finger_template *t,
                           char *err, size_t errlen) {
    if (!g || !t) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_finger_gallery_add: no gallery or template");
    bex_finger_prepared *p = NULL;
    int rc = bex_finger_prepare(t, &p, err, errlen); /* outside the lock: the slow part */
    if (rc != BEX_OK) return rc;
    pthread_rwlock_wrlock(&g->lock);
    size_t at = find(g, id);
    if (at != (size_t)-1) {
        bex_finger_prepared_free(g->e[at].p);
        g->e[at].p = p;
        pthread_rwlock_unlock(&g->lock);
        return BEX_OK;
    }
    entry *e = g->e;
    size_t cap = g->n < g->cap ? g->cap : g->cap ? g->cap * 2 : 64;
    if (cap != g->cap) e = cap <= GALLERY_MAX ? bex__realloc(g->e, cap * sizeof *e) : NULL;
    if (e) {
        g->e = e;
        g->cap = cap;
    }
    if (!e || idmap_reserve(&g->slot, g->n + 1) != 0) {
        pthread_rwlock_unlock(&g->lock);
        bex_finger_prepared_free(p);
        return bex__fail(err, errlen, BEX_ERR_NOMEM,
                         "out of memory growing the finger gallery past %zu entries", g->n);
    }
    idmap_put(&g->slot, id, (uint32_t)g->n); /* cannot fail: room was reserved */
    g->e[g->n++] = (entry){id, p};
    pthread_rwlock_unlock(&g->lock);
    return BEX_OK;
}

int bex_finger_gallery_remove(bex_finger_gallery *g, int64_t id) {
    if (!g) return BEX_ERR_ARG;
    pthread_rwlock_wrlock(&g->lock);
    size_t at = find(g, id);
    if (at == (size_t)-1) {
        pthread_rwlock_unlock(&g->lock);
        return BEX_ERR_ARG; /* not there */
    }
    bex_finger_prepared_free(g->e[at].p);
    idmap_del(&g->slot, id);
    g->e[at] = g->e[--g->n];
    if (at < g->n) idmap_put(&g->slot, g->e[at].id, (uint32_t)at); /* the moved entry; present, no growth */
    pthread_rwlock_unlock(&g->lock);
    return BEX_OK;
}

size_t bex_finger_gallery_size(const bex_finger_gallery *g) {
    if (!g) return 0;
    pthread_rwlock_rdlock((pthread_rwlock_t *)&g->lock);
    size_t n = g->n;
    pthread_rwlock_unlock((pthread_rwlock_t *)&g->lock);
    return n;
}

/* Is (s, id) better than (t, jd)? Higher score first; equal scores by smaller id, so a
 * search's answer does not depend on the order entries were added or removed in. */
static int better(float s, int64_t id, float t, int64_t jd) { return s > t || (s == t && id < jd); }

int bex_finger_gallery_search(const bex_finger_gallery *g, const bex_finger_template *probe,
                              bex_finger_hit *hits, int k) {
    if (!g || !probe || !hits || k <= 0) return 0;
    bex_finger_prepared *q = NULL;
    if (bex_finger_prepare(probe, &q, NULL, 0) != BEX_OK) return 0;
    int n = bex_finger_gallery_search_prepared(g, q, hits, k);
    bex_finger_prepared_free(q);
    return n;
}

int bex_finger_gallery_search_prepared(const bex_finger_gallery *g, const bex_finger_prepared *q,
                                       bex_finger_hit *hits, int k) {
    if (!g || !q || !hits || k <= 0) return 0;
    int n = 0;
    pthread_rwlock_rdlock((pthread_rwlock_t *)&g->lock);
    for (size_t i = 0; i < g->n; i++) {
        float s = bex_finger_compare_prepared(q, g->e[i].p);
        int64_t id = g->e[i].id;
        if (n == k && !better(s, id, hits[k - 1].score, hits[k - 1].id)) continue;
        int j = n < k ? n++ : k - 1;
        while (j > 0 && better(s, id, hits[j - 1].score, hits[j - 1].id)) {
            hits[j] = hits[j - 1];
            j--;
        }
        hits[j] = (bex_finger_hit){id, s};
    }
    pthread_rwlock_unlock((pthread_rwlock_t *)&g->lock);
    return n;
}
