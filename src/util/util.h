/*
 * util.h - internals shared by every module: the one allocation wrapper (so tests can fail the
 * N-th allocation), overflow-checked size arithmetic and error-message formatting.
 */
#ifndef BEX_UTIL_H
#define BEX_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "bex/bex.h"

/* All library allocation goes through these. bex__alloc_fail_after(n) makes the n-th
 * allocation from now on fail (n = 0 disables); it exists for tests. */
void *bex__malloc(size_t n);
void *bex__calloc(size_t n, size_t size);
void *bex__realloc(void *p, size_t n);
void bex__free(void *p);
void bex__alloc_fail_after(long n);

/* A crash-test hook: when the environment variable BEX_FAULT equals `name`, the process
 * kills itself there with SIGKILL (as a power cut or kill -9 would), so tests can check what
 * a crash at that point leaves behind. Costs one getenv otherwise. */
void bex__fault_point(const char *name);

/* 64-byte aligned allocation for SIMD buffers; free with bex__free_aligned. */
void *bex__malloc_aligned(size_t n);
void bex__free_aligned(void *p);

/* *out = a * b, returning 0 on overflow. */
static inline int bex__mul_size(size_t a, size_t b, size_t *out) {
    if (a != 0 && b > SIZE_MAX / a) return 0;
    *out = a * b;
    return 1;
}

/* snprintf into err (if err != NULL and errlen > 0) and return status. */
int bex__fail(char *err, size_t errlen, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
