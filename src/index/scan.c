/*
 * scan.c - picks the index's scoring kernel from the CPU's features or BEX_KERNEL (scan.h).
 */
#include <stdlib.h>
#include <string.h>

#include "index/scan.h"

#ifdef BEX__IX_HAVE_X86
#include <cpuid.h>

/* F16C by cpuid: clang's __builtin_cpu_supports does not know "f16c" */
static int cpu_has_f16c(void) {
    unsigned a, b, c, d;
    return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C);
}
static int cpu_has_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && cpu_has_f16c();
}
static int cpu_has_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
           cpu_has_avx2(); /* the avx512 files are built with -mfma -mf16c too */
}
static int cpu_has_avx512vnni(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512vnni") && cpu_has_avx512();
}
#endif

const ix_kernel *ix_kernel_by_name(const char *name) {
    if (!name) return NULL;
    if (!strcmp(name, "scalar")) return &ix_kernel_scalar;
#ifdef BEX__IX_HAVE_X86
    if (!strcmp(name, "avx2")) return cpu_has_avx2() ? &ix_kernel_avx2 : NULL;
    if (!strcmp(name, "avx512")) return cpu_has_avx512() ? &ix_kernel_avx512 : NULL;
    if (!strcmp(name, "avx512vnni")) return cpu_has_avx512vnni() ? &ix_kernel_avx512vnni : NULL;
#endif
    return NULL;
}

const ix_kernel *ix_kernel_best(void) {
    const ix_kernel *k = ix_kernel_by_name(getenv("BEX_KERNEL"));
#ifdef BEX__IX_HAVE_X86
    if (!k) k = ix_kernel_by_name("avx512vnni");
    if (!k) k = ix_kernel_by_name("avx512");
    if (!k) k = ix_kernel_by_name("avx2");
#endif
    return k ? k : &ix_kernel_scalar;
}
