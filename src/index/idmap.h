/*
 * idmap.h - an open-addressing hash map from int64 ids to uint32 values (internal to
 * src/index/): linear probing, load at most 1/2, deletion by backward shift (no tombstones).
 */
#ifndef BEX_INDEX_IDMAP_H
#define BEX_INDEX_IDMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct idmap {
    int64_t *keys;
    uint32_t *vals;
    uint8_t *used;
    size_t cap, n; /* cap: a power of two, or 0 */
} idmap;

/* 0 on success, -1 out of memory. */
int idmap_put(idmap *m, int64_t key, uint32_t val);
/* 1 and *val when present, else 0. */
int idmap_get(const idmap *m, int64_t key, uint32_t *val);
/* 1 when it was present. */
int idmap_del(idmap *m, int64_t key);
/* Makes room for n entries without rehashing; -1 out of memory. */
int idmap_reserve(idmap *m, size_t n);
void idmap_free(idmap *m);

#endif
