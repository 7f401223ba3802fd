/*
 * match_kernel.c - the cylinder-comparison kernels in plain C (one with the POPCNT instruction
 * where the CPU has it) and the run-time choice among them and match_avx512.c's (match.h).
 */
#include <stdlib.h>
#include <string.h>

#include "finger/match.h"

/* The counts of match.h for one pair, 64 bits at a time. popcount is whatever the caller's
 * target makes of __builtin_popcountll: a table walk in plain C, one instruction with POPCNT. */
#define FM_ROW_BODY                                                                            \
    for (int i = 0; i < n; i++) {                                                              \
        const uint64_t *c = b + (size_t)idx[i] * FM_CYL_WORDS;                                 \
        uint64_t na = 0, nb = 0, nab = 0, nm = 0;                                              \
        for (int w = 0; w < FM_WORDS; w++) {                                                   \
            uint64_t av = a[w], am = a[FM_WORDS + w], bv = c[w], bm = c[FM_WORDS + w];         \
            na += (uint64_t)__builtin_popcountll(av & bm);                                     \
            nb += (uint64_t)__builtin_popcountll(bv & am);                                     \
            nab += (uint64_t)__builtin_popcountll(av & bv);                                    \
            nm += (uint64_t)__builtin_popcountll(am & bm);                                     \
        }                                                                                      \
        out[i] = na | nb << 16 | nab << 32 | nm << 48;                                         \
    }

#define FM_ROW_AND_BODY                                                                        \
    for (int i = 0; i < n; i++) {                                                              \
        const uint64_t *c = b + (size_t)idx[i] * FM_CYL_WORDS;                                 \
        uint32_t nab = 0;                                                                      \
        for (int w = 0; w < FM_WORDS; w++) nab += (uint32_t)__builtin_popcountll(a[w] & c[w]); \
        out[i] = nab;                                                                          \
    }

#define FM_ROW_HALF_BODY                                                                       \
    for (int i = 0; i < n; i++) {                                                              \
        const uint64_t *c = b + (size_t)idx[i] * FM_CYL_WORDS;                                 \
        /* x counts the partial side's valid cells against the other's value bits */         \
        const uint64_t *xv = b_full ? c : a, *xm = b_full ? a + FM_WORDS : c + FM_WORDS;      \
        uint32_t nx = 0, nab = 0;                                                              \
        for (int w = 0; w < FM_WORDS; w++) {                                                   \
            nx += (uint32_t)__builtin_popcountll(xv[w] & xm[w]);                               \
            nab += (uint32_t)__builtin_popcountll(a[w] & c[w]);                                \
        }                                                                                      \
        out[i] = nx | nab << 16;                                                               \
    }

static void row_plain(const uint64_t *a, const uint64_t *b, const uint8_t *idx, int n,
                      uint64_t *out) {
    FM_ROW_BODY
}
static void row_and_plain(const uint64_t *a, const uint64_t *b, const uint8_t *idx, int n,
                          uint32_t *out) {
    FM_ROW_AND_BODY
}
static void row_half_plain(const uint64_t *a, const uint64_t *b, const uint8_t *idx, int n,
                           int b_full, uint32_t *out) {
    FM_ROW_HALF_BODY
}
const fm_kernel fm_kernel_plain = {"plain", row_plain, row_and_plain, row_half_plain};

#ifdef BEX__FM_HAVE_X86
__attribute__((target("popcnt"))) static void row_popcnt(const uint64_t *a, const uint64_t *b,
                                                         const uint8_t *idx, int n,
                                                         uint64_t *out) {
    FM_ROW_BODY
}
__attribute__((target("popcnt"))) static void row_and_popcnt(const uint64_t *a,
                                                             const uint64_t *b,
                                                             const uint8_t *idx, int n,
                                                             uint32_t *out) {
    FM_ROW_AND_BODY
}
__attribute__((target("popcnt"))) static void row_half_popcnt(const uint64_t *a,
                                                              const uint64_t *b,
                                                              const uint8_t *idx, int n,
                                                              int b_full, uint32_t *out) {
    FM_ROW_HALF_BODY
}
const fm_kernel fm_kernel_popcnt = {"popcnt", row_popcnt, row_and_popcnt, row_half_popcnt};

static int cpu_has_popcnt(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("popcnt");
}
static int cpu_has_avx512pop(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512vpopcntdq") && __builtin_cpu_supports("avx2") &&
           __builtin_cpu_supports("fma");
}
#endif

const fm_kernel *fm_kernel_by_name(const char *name) {
    if (!name) return NULL;
    /* "scalar" too: BEX_KERNEL=scalar, which the face index reads, means plain code here */
    if (!strcmp(name, "plain") || !strcmp(name, "scalar")) return &fm_kernel_plain;
#ifdef BEX__FM_HAVE_X86
    if (!strcmp(name, "popcnt")) return cpu_has_popcnt() ? &fm_kernel_popcnt : NULL;
    if (!strcmp(name, "avx512")) return cpu_has_avx512pop() ? &fm_kernel_avx512 : NULL;
#endif
    return NULL;
}

const fm_kernel *fm_kernel_best(void) {
    const fm_kernel *k = fm_kernel_by_name(getenv("BEX_KERNEL"));
#ifdef BEX__FM_HAVE_X86
    if (!k) k = fm_kernel_by_name("avx512");
    if (!k) k = fm_kernel_by_name("popcnt");
#endif
    return k ? k : &fm_kernel_plain;
}
