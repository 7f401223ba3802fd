/*
 * idmap.c - int64 -> uint32 hash map (idmap.h).
 */
#include "index/idmap.h"

#include <stdlib.h>
#include <string.h>

#include "util/util.h"

static size_t slot_of(int64_t key, size_t cap) {
    uint64_t h = (uint64_t)key * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 29;
    return (size_t)(h & (cap - 1));
}

static int grow(idmap *m, size_t want) {
    size_t cap = m->cap ? m->cap : 16;
    while (cap < want * 2) cap *= 2;
    if (cap == m->cap) return 0;
    idmap n = {0};
    n.keys = bex__malloc(cap * sizeof *n.keys);
    n.vals = bex__malloc(cap * sizeof *n.vals);
    n.used = bex__calloc(cap, 1);
    if (!n.keys || !n.vals || !n.used) {
        bex__free(n.keys);
        bex__free(n.vals);
        bex__free(n.used);
        return -1;
    }
    n.cap = cap;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->used[i]) continue;
        size_t j = slot_of(m->keys[i], cap);
        while (n.used[j]) j = (j + 1) & (cap - 1);
        n.used[j] = 1;
        n.keys[j] = m->keys[i];
        n.vals[j] = m->vals[i];
        n.n++;
    }
    idmap_free(m);
    *m = n;
    return 0;
}

int idmap_reserve(idmap *m, size_t n) { return grow(m, n); }

int idmap_put(idmap *m, int64_t key, uint32_t val) {
    if ((m->n + 1) * 2 > m->cap && grow(m, m->n + 1) != 0) return -1;
    size_t j = slot_of(key, m->cap);
    while (m->used[j] && m->keys[j] != key) j = (j + 1) & (m->cap - 1);
    if (!m->used[j]) {
        m->used[j] = 1;
        m->keys[j] = key;
        m->n++;
    }
    m->vals[j] = val;
    return 0;
}

int idmap_get(const idmap *m, int64_t key, uint32_t *val) {
    if (!m->cap) return 0;
    size_t j = slot_of(key, m->cap);
    while (m->used[j]) {
        if (m->keys[j] == key) {
            *val = m->vals[j];
            return 1;
        }
        j = (j + 1) & (m->cap - 1);
    }
    return 0;
}

int idmap_del(idmap *m, int64_t key) {
    if (!m->cap) return 0;
    size_t mask = m->cap - 1, j = slot_of(key, m->cap);
    while (m->used[j] && m->keys[j] != key) j = (j + 1) & mask;
    if (!m->used[j]) return 0;
    /* backward shift: move later entries of the run into the hole when their home allows */
    size_t hole = j;
    for (size_t i = (j + 1) & mask; m->used[i]; i = (i + 1) & mask) {
        size_t home = slot_of(m->keys[i], m->cap);
        /* entry i may move to hole if home is not cyclically in (hole, i] */
        int in_range = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
        if (!in_range) {
            m->keys[hole] = m->keys[i];
            m->vals[hole] = m->vals[i];
            hole = i;
        }
    }
    m->used[hole] = 0;
    m->n--;
    return 1;
}

void idmap_free(idmap *m) {
    bex__free(m->keys);
    bex__free(m->vals);
    bex__free(m->used);
    memset(m, 0, sizeof *m);
}
