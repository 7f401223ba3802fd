/*
 * util.c - the allocation wrapper with failure injection, and error formatting.
 */
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static long fail_countdown; /* 0 = never fail; tests only, so not thread-safe by design */

void bex__alloc_fail_after(long n) { fail_countdown = n; }

void bex__fault_point(const char *name) {
    const char *f = getenv("BEX_FAULT");
    if (f && !strcmp(f, name)) raise(SIGKILL);
}

static int should_fail(void) {
    if (fail_countdown <= 0) return 0;
    return --fail_countdown == 0;
}

void *bex__malloc(size_t n) { return should_fail() ? NULL : malloc(n ? n : 1); }
void *bex__calloc(size_t n, size_t size) { return should_fail() ? NULL : calloc(n ? n : 1, size ? size : 1); }
void *bex__realloc(void *p, size_t n) { return should_fail() ? NULL : realloc(p, n ? n : 1); }
void bex__free(void *p) { free(p); }

void *bex__malloc_aligned(size_t n) {
    if (should_fail()) return NULL;
    void *p = NULL;
    size_t rounded = (n + 63) & ~(size_t)63;
    if (rounded < n || posix_memalign(&p, 64, rounded ? rounded : 64) != 0) return NULL;
    return p;
}
void bex__free_aligned(void *p) { free(p); }

int bex__fail(char *err, size_t errlen, int status, const char *fmt, ...) {
    if (err && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return status;
}

const char *bex_strerror(int status) {
    switch (status) {
    case BEX_OK: return "ok";
    case BEX_ERR_NOMEM: return "out of memory";
    case BEX_ERR_IO: return "input/output error";
    case BEX_ERR_FORMAT: return "unrecognised format";
    case BEX_ERR_CORRUPT: return "malformed or truncated input";
    case BEX_ERR_LIMIT: return "input exceeds a configured limit";
    case BEX_ERR_ARG: return "invalid argument";
    case BEX_ERR_MODEL: return "model weights missing or invalid";
    case BEX_ERR_NO_FACE: return "no face found";
    case BEX_ERR_UNSUPPORTED: return "unsupported feature";
    case BEX_ERR_SEVERAL_FACES: return "several faces in the photo";
    case BEX_ERR_FACE_TOO_SMALL: return "face too small";
    case BEX_ERR_LOW_QUALITY: return "capture quality below the floor";
    case BEX_ERR_FULL: return "storage full";
    case BEX_ERR_BUSY: return "database locked by another process";
    default: return "unknown error";
    }
}

int bex_status_is_capture_failure(int status) {
    return status == BEX_ERR_NO_FACE || status == BEX_ERR_SEVERAL_FACES || status == BEX_ERR_FACE_TOO_SMALL ||
           status == BEX_ERR_LOW_QUALITY;
}
