/*
 * test_index_kernels.c - the index's SIMD scoring kernels (src/index/scan.h) held to the
 * scalar reference, and the f16 / int8 conversions they share.
 *
 * Every kernel this CPU has is run on the same random data (fixed seed) as the scalar one:
 * int8 scores must be equal (integer sums are exact and the scaling is done in the same
 * order), f32 and f16 scores within 1e-5 of sum |q_i x_i| (relative to the terms, so a sum
 * that cancels to near zero is not held to a tighter bound than its rounding allows). The
 * outputs are framed by sentinels: a kernel must not write outside out[0..n) (or the nq rows
 * of an odd ldo). A kernel the CPU lacks is skipped with a line saying so.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "index/scan.h"
#include "test.h"

static const char *const simd_names[] = {"avx2", "avx512", "avx512vnni"};
#define N_SIMD (sizeof simd_names / sizeof simd_names[0])

static const int strides[] = {64, 128, 192, 576}; /* 576: several of avx512vnni's K blocks */
static const size_t ns[] = {0, 1, 3, 17, 1000};
static const size_t nqs[] = {1, 2, 7, 64};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

#define SENTINEL -12345.0f
#define GUARD 16 /* sentinel floats after each output row */

/* ---------------------------------------------------------------- helpers */

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void) { /* xorshift64* */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (uint32_t)((rng * 0x2545F4914F6CDD1Dull) >> 32);
}
static float rndf(void) { return (float)rnd() / 2147483648.0f - 1.0f; } /* [-1, 1) */
static int8_t rnd_i8(void) {
    uint32_t r = rnd() % 270; /* extremes more often than uniform */
    if (r >= 262) return 127;
    if (r >= 255) return -127;
    return (int8_t)((int)r - 127);
}

/* aligned_alloc(64, ...) of at least `bytes` (never 0, a multiple of 64) */
static void *alloc64(size_t bytes) {
    size_t b = (bytes + 63) / 64 * 64;
    void *p = aligned_alloc(64, b ? b : 64);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

static const ix_kernel *simd_kernels[N_SIMD]; /* NULL where the CPU lacks one */

/* Output rows nq x ldo plus GUARD, all sentinel. */
static float *new_out(size_t nq, size_t ldo) {
    size_t m = nq * ldo + GUARD;
    float *o = alloc64(m * sizeof(float));
    for (size_t i = 0; i < m; i++) o[i] = SENTINEL;
    return o;
}

/* Compares got with want over nq rows of n (ldo apart), and that the rest is untouched.
 * tol[i * n + r]: allowed |difference| (NULL: exact). Prints the first mismatch. */
static int compare(const char *what, const char *kname, int stride, size_t n, size_t nq,
                   size_t ldo, const float *got, const float *want, const double *tol) {
    size_t bad = 0;
    for (size_t i = 0; i < nq * ldo + GUARD; i++) {
        size_t row = ldo ? i / ldo : i, r = ldo ? i % ldo : 0; /* ldo = n = 0: all outside */
        int inside = row < nq && r < n;
        float g = got[i], w = inside ? want[i] : SENTINEL;
        int ok;
        if (inside && tol) ok = fabs((double)g - (double)w) <= tol[row * n + r];
        else ok = memcmp(&g, &w, sizeof g) == 0 || (g == w); /* +0 == -0 for int8 scores */
        if (!ok && bad++ == 0)
            printf("  %s %s stride %d n %zu nq %zu ldo %zu: out[%zu][%zu] = %.9g, want %.9g%s\n",
                   kname, what, stride, n, nq, ldo, row, r, g, w, inside ? "" : " (outside)");
    }
    if (bad) printf("  (%zu mismatches)\n", bad);
    return bad == 0;
}

/* ---------------------------------------------------------------- kernels against scalar */

TEST(kernel_choice) {
    CHECK(ix_kernel_by_name("scalar") == &ix_kernel_scalar);
    CHECK(ix_kernel_by_name("nonesuch") == NULL);
    CHECK(ix_kernel_by_name(NULL) == NULL);
    const char *saved = getenv("BEX_KERNEL");
    char *keep = saved ? strdup(saved) : NULL;
    setenv("BEX_KERNEL", "scalar", 1);
    CHECK(ix_kernel_best() == &ix_kernel_scalar);
    unsetenv("BEX_KERNEL");
    const ix_kernel *best = ix_kernel_best(), *want = &ix_kernel_scalar;
    for (size_t i = 0; i < N_SIMD; i++)
        if (simd_kernels[i]) want = simd_kernels[i]; /* the list is in increasing order */
    CHECK(best == want);
    setenv("BEX_KERNEL", "nonesuch", 1); /* unknown: the best */
    CHECK(ix_kernel_best() == want);
    if (keep) setenv("BEX_KERNEL", keep, 1);
    else unsetenv("BEX_KERNEL");
    free(keep);
    for (size_t i = 0; i < N_SIMD; i++)
        if (simd_kernels[i]) CHECK(!strcmp(simd_kernels[i]->name, simd_names[i]));
}

/* One element type: fills probes and rows, runs every kernel's single and batch functions
 * for every stride, n and nq, and compares them with the scalar kernel. */
enum { F32, F16, I8 };

typedef struct data {
    int type, stride;
    size_t n, nq;
    float *qf;          /* nq probes (f32, f16) */
    int8_t *qi;         /* nq probes (i8) */
    float *qscale;      /* nq */
    float *xf;          /* n rows */
    uint16_t *xh;
    int8_t *xi;
    float *xscale;      /* n */
    double *tol;        /* nq x n, NULL for i8 */
} data;

static void fill(data *d, int type, int stride, size_t n, size_t nq) {
    memset(d, 0, sizeof *d);
    d->type = type, d->stride = stride, d->n = n, d->nq = nq;
    size_t s = (size_t)stride;
    d->qscale = alloc64(nq * sizeof(float));
    d->xscale = alloc64(n * sizeof(float));
    for (size_t i = 0; i < nq; i++) d->qscale[i] = 0.001f + (rndf() + 1.0f) * 0.01f;
    for (size_t r = 0; r < n; r++) d->xscale[r] = 0.001f + (rndf() + 1.0f) * 0.01f;
    if (type == I8) {
        d->qi = alloc64(nq * s);
        d->xi = alloc64(n * s);
        for (size_t i = 0; i < nq * s; i++) d->qi[i] = rnd_i8();
        for (size_t i = 0; i < n * s; i++) d->xi[i] = rnd_i8();
        /* the largest sums: rows of 127 (and -127) against probes of -127 (and 127); the
         * last probe is the one the single kernel is run on */
        if (nq > 1) memset(d->qi + (nq - 1) * s, -127, s);
        if (nq > 2) memset(d->qi + (nq - 2) * s, 127, s);
        if (n > 0) memset(d->xi, 127, s);
        if (n > 1) memset(d->xi + (n - 1) * s, -127, s);
        return;
    }
    d->qf = alloc64(nq * s * sizeof(float));
    for (size_t i = 0; i < nq * s; i++) d->qf[i] = rndf();
    if (type == F32) {
        d->xf = alloc64(n * s * sizeof(float));
        for (size_t i = 0; i < n * s; i++) d->xf[i] = rndf();
    } else {
        d->xh = alloc64(n * s * sizeof(uint16_t));
        for (size_t i = 0; i < n * s; i++) {
            float v = rndf();
            if (rnd() % 64 == 0) v *= 1e-6f; /* some subnormal halves */
            d->xh[i] = ix_f32_to_f16(v);
        }
    }
    d->tol = alloc64(nq * n * sizeof(double));
    for (size_t i = 0; i < nq; i++)
        for (size_t r = 0; r < n; r++) {
            double l1 = 0;
            for (size_t k = 0; k < s; k++) {
                double x = type == F32 ? d->xf[r * s + k] : ix_f16_to_f32(d->xh[r * s + k]);
                l1 += fabs((double)d->qf[i * s + k] * x);
            }
            d->tol[i * n + r] = 1e-5 * l1;
        }
}

static void release(data *d) {
    free(d->qf), free(d->qi), free(d->qscale), free(d->xf), free(d->xh), free(d->xi);
    free(d->xscale), free(d->tol);
}

/* single (batch = 0): out[r] for the last probe; batch: nq rows of ldo */
static void run(const ix_kernel *k, const data *d, int batch, float *out, size_t ldo) {
    const size_t p = d->nq - 1, at = p * (size_t)d->stride;
    switch (d->type) {
    case F32:
        if (batch) k->dot_f32_batch(d->qf, d->nq, d->xf, d->n, d->stride, out, ldo);
        else k->dot_f32(d->qf + at, d->xf, d->n, d->stride, out);
        break;
    case F16:
        if (batch) k->dot_f16_batch(d->qf, d->nq, d->xh, d->n, d->stride, out, ldo);
        else k->dot_f16(d->qf + at, d->xh, d->n, d->stride, out);
        break;
    default:
        if (batch)
            k->dot_i8_batch(d->qi, d->qscale, d->nq, d->xi, d->xscale, d->n, d->stride, out, ldo);
        else k->dot_i8(d->qi + at, d->qscale[p], d->xi, d->xscale, d->n, d->stride, out);
    }
}

static void check_type(int type) {
    static const char *const fn[3][2] = {{"dot_f32", "dot_f32_batch"},
                                         {"dot_f16", "dot_f16_batch"},
                                         {"dot_i8", "dot_i8_batch"}};
    for (size_t si = 0; si < COUNT(strides); si++)
        for (size_t ni = 0; ni < COUNT(ns); ni++)
            for (size_t qi = 0; qi < COUNT(nqs); qi++) {
                data d;
                const size_t n = ns[ni], nq = nqs[qi];
                fill(&d, type, strides[si], n, nq);
                const size_t ldo = n + (n % 2 ? 2 : 3); /* odd */
                for (int batch = 0; batch < 2; batch++) {
                    const size_t rows = batch ? nq : 1, lo = batch ? ldo : n;
                    const double *tol = !d.tol ? NULL : batch ? d.tol : d.tol + (nq - 1) * n;
                    float *want = new_out(rows, lo);
                    run(&ix_kernel_scalar, &d, batch, want, lo);
                    for (size_t ki = 0; ki < N_SIMD; ki++) {
                        if (!simd_kernels[ki]) continue;
                        float *got = new_out(rows, lo);
                        run(simd_kernels[ki], &d, batch, got, lo);
                        CHECK(compare(fn[type][batch], simd_names[ki], d.stride, n, rows, lo, got,
                                      want, tol));
                        free(got);
                    }
                    free(want);
                }
                release(&d);
            }
}

TEST(f32_kernels_match_scalar) { check_type(F32); }
TEST(f16_kernels_match_scalar) { check_type(F16); }
TEST(i8_kernels_equal_scalar) { check_type(I8); }

/* The extreme int8 sums also against their known value, not only against scalar. */
TEST(i8_extremes) {
    const int stride = 192;
    int8_t *q = alloc64(2 * (size_t)stride), *x = alloc64(3 * (size_t)stride);
    memset(q, -127, (size_t)stride);
    memset(q + stride, 127, (size_t)stride);
    memset(x, 127, (size_t)stride);
    memset(x + stride, -127, (size_t)stride);
    memset(x + 2 * stride, 0, (size_t)stride);
    const float qscale[2] = {1.0f, 1.0f}, xscale[3] = {1.0f, 1.0f, 1.0f};
    const float big = 127.0f * 127.0f * (float)stride; /* 3096768: exact in float */
    const ix_kernel *all[N_SIMD + 1] = {&ix_kernel_scalar};
    for (size_t i = 0; i < N_SIMD; i++) all[i + 1] = simd_kernels[i];
    for (size_t i = 0; i < N_SIMD + 1; i++) {
        if (!all[i]) continue;
        float out[3], outb[2 * 5];
        all[i]->dot_i8(q, 1.0f, x, xscale, 3, stride, out);
        CHECK(out[0] == -big && out[1] == big && out[2] == 0.0f);
        all[i]->dot_i8_batch(q, qscale, 2, x, xscale, 3, stride, outb, 5);
        CHECK(outb[0] == -big && outb[1] == big && outb[2] == 0.0f);
        CHECK(outb[5] == big && outb[6] == -big && outb[7] == 0.0f);
    }
    free(q), free(x);
}

/* The f16 kernels read every half as ix_f16_to_f32 does (F16C's conversion): one row per
 * half value, the probe picking its first element. */
TEST(f16_kernels_convert_every_half) {
    const int stride = 64;
    const size_t n = 65536;
    uint16_t *x = alloc64(n * stride * sizeof(uint16_t));
    float *q = alloc64(stride * sizeof(float)), *want = alloc64(n * sizeof(float));
    float *got = alloc64(n * sizeof(float));
    memset(x, 0, n * stride * sizeof(uint16_t));
    memset(q, 0, stride * sizeof(float));
    q[0] = 1.0f;
    size_t rows = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        if ((h & 0x7c00u) == 0x7c00u && (h & 0x3ffu)) continue; /* NaN */
        x[rows * stride] = (uint16_t)h;
        want[rows++] = ix_f16_to_f32((uint16_t)h);
    }
    for (size_t ki = 0; ki < N_SIMD; ki++) {
        if (!simd_kernels[ki]) continue;
        simd_kernels[ki]->dot_f16(q, x, rows, stride, got);
        size_t bad = 0;
        for (size_t r = 0; r < rows; r++)
            if (got[r] != want[r] && bad++ == 0)
                printf("  %s: half 0x%04x read as %g, want %g\n", simd_names[ki], x[r * stride],
                       got[r], want[r]);
        CHECK(bad == 0);
    }
    free(x), free(q), free(want), free(got);
}

/* ---------------------------------------------------------------- conversions */

static uint32_t bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static float from_bits(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* max_f32 over lengths around its unroll, with the maximum placed at every position class */
TEST(max_matches_scalar) {
    float x[300] = {0};
    CHECK(isinf(ix_kernel_scalar.max_f32(x, 0)) && ix_kernel_scalar.max_f32(x, 0) < 0);
    for (size_t n = 1; n <= 300; n += (n < 70 ? 1 : 23)) {
        for (size_t at = 0; at < n; at += 7) {
            for (size_t i = 0; i < n; i++) x[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 2.0f;
            x[at] = 0.5f;
            CHECK(ix_kernel_scalar.max_f32(x, n) == 0.5f);
            for (size_t ki = 0; ki < N_SIMD; ki++)
                if (simd_kernels[ki]) CHECK(simd_kernels[ki]->max_f32(x, n) == 0.5f);
        }
    }
    for (size_t ki = 0; ki < N_SIMD; ki++)
        if (simd_kernels[ki]) CHECK(isinf(simd_kernels[ki]->max_f32(x, 0)));
}

TEST(f16_round_trips) {
    /* every half that is not NaN comes back bit for bit: normals, subnormals, +-0, +-inf */
    size_t bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = ix_f16_to_f32((uint16_t)h);
        if ((h & 0x7c00u) == 0x7c00u && (h & 0x3ffu)) {
            CHECK(isnan(f));
            uint16_t back = ix_f32_to_f16(f);
            CHECK((back & 0x7c00u) == 0x7c00u && (back & 0x3ffu)); /* still NaN */
            continue;
        }
        if (ix_f32_to_f16(f) != h && bad++ == 0) printf("  half 0x%04x does not round-trip\n", h);
    }
    CHECK(bad == 0);
    CHECK(ix_f16_to_f32(0x0000) == 0.0f && !signbit(ix_f16_to_f32(0x0000)));
    CHECK(ix_f16_to_f32(0x8000) == 0.0f && signbit(ix_f16_to_f32(0x8000)));
    CHECK(ix_f16_to_f32(0x0001) == ldexpf(1.0f, -24)); /* the smallest subnormal */
    CHECK(ix_f16_to_f32(0x03ff) == ldexpf(1023.0f, -24)); /* the largest subnormal */
    CHECK(ix_f16_to_f32(0x0400) == ldexpf(1.0f, -14)); /* the smallest normal */
    CHECK(ix_f16_to_f32(0x7bff) == 65504.0f);
    CHECK(isinf(ix_f16_to_f32(0x7c00)) && ix_f16_to_f32(0x7c00) > 0);
    CHECK(isinf(ix_f16_to_f32(0xfc00)) && ix_f16_to_f32(0xfc00) < 0);
}

TEST(f16_rounds_to_nearest_even) {
    CHECK(ix_f32_to_f16(1.0f) == 0x3c00);
    CHECK(ix_f32_to_f16(-2.0f) == 0xc000);
    CHECK(ix_f32_to_f16(0.0f) == 0x0000);
    CHECK(ix_f32_to_f16(-0.0f) == 0x8000);
    /* ties go to the even neighbour: 1 + 2^-11 between 0x3c00 and 0x3c01 */
    CHECK(ix_f32_to_f16(1.0f + ldexpf(1.0f, -11)) == 0x3c00);
    CHECK(ix_f32_to_f16(1.0f + 3 * ldexpf(1.0f, -11)) == 0x3c02);
    /* just above a tie goes up */
    CHECK(ix_f32_to_f16(from_bits(bits(1.0f + ldexpf(1.0f, -11)) + 1)) == 0x3c01);
    /* subnormals: 2^-25 is a tie between 0 and 2^-24 -> 0; 3 * 2^-25 -> 2 * 2^-24 */
    CHECK(ix_f32_to_f16(ldexpf(1.0f, -24)) == 0x0001);
    CHECK(ix_f32_to_f16(ldexpf(1.0f, -25)) == 0x0000);
    CHECK(ix_f32_to_f16(3 * ldexpf(1.0f, -25)) == 0x0002);
    CHECK(ix_f32_to_f16(-ldexpf(1.0f, -26)) == 0x8000); /* underflow keeps the sign */
    /* the largest subnormal rounds up into the smallest normal */
    CHECK(ix_f32_to_f16(ldexpf(1023.5f, -24)) == 0x0400);
    /* overflow: 65504 is the largest half; 65520 is the tie with 65536 -> inf */
    CHECK(ix_f32_to_f16(65504.0f) == 0x7bff);
    CHECK(ix_f32_to_f16(65519.0f) == 0x7bff);
    CHECK(ix_f32_to_f16(65520.0f) == 0x7c00);
    CHECK(ix_f32_to_f16(-1e10f) == 0xfc00);
    CHECK(ix_f32_to_f16(INFINITY) == 0x7c00);
    CHECK(ix_f32_to_f16(-INFINITY) == 0xfc00);
}

TEST(quantize_i8) {
    int8_t q[256];
    float x[256];
    memset(x, 0, sizeof x);
    memset(q, 55, sizeof q);
    CHECK(ix_quantize_i8(x, 256, q) == 1.0f); /* an all-zero row: scale 1, all zero */
    int zero = 1;
    for (int i = 0; i < 256; i++) zero &= q[i] == 0;
    CHECK(zero);

    for (int trial = 0; trial < 200; trial++) {
        const int n = 1 + (int)(rnd() % 256);
        float mx = 0;
        int at = (int)(rnd() % (unsigned)n);
        for (int i = 0; i < n; i++) {
            x[i] = rndf() * (trial % 2 ? 1000.0f : 0.01f);
            if (fabsf(x[i]) > mx) mx = fabsf(x[i]), at = i;
        }
        if (mx == 0) continue;
        if (trial % 3 == 0) x[at] = -x[at]; /* the max negative: -127, never -128 */
        const float scale = ix_quantize_i8(x, n, q);
        CHECK(scale == mx / 127.0f);
        CHECK(q[at] == (x[at] > 0 ? 127 : -127));
        int in_range = 1, close = 1; /* in -127..127: never -128 */
        for (int i = 0; i < n; i++) {
            in_range &= q[i] != -128;
            close &= fabs((double)q[i] * scale - x[i]) <= (0.5 + 1e-4) * scale;
        }
        CHECK(in_range);
        CHECK(close);
    }
    /* exactly at the max, and a value that rounds past it, stay at 127 */
    x[0] = 2.54f, x[1] = -2.54f, x[2] = 1.27f, x[3] = 0.01f;
    const float s = ix_quantize_i8(x, 4, q);
    CHECK_NEAR(s, 0.02, 1e-7);
    CHECK(q[0] == 127 && q[1] == -127 && (q[2] == 63 || q[2] == 64) && (q[3] == 0 || q[3] == 1));
}

int main(void) {
    for (size_t i = 0; i < N_SIMD; i++) {
        simd_kernels[i] = ix_kernel_by_name(simd_names[i]);
        if (simd_kernels[i]) printf("kernel %s: tested against scalar\n", simd_names[i]);
        else printf("kernel %s: skipped, this CPU lacks its instructions\n", simd_names[i]);
    }
    RUN(kernel_choice);
    RUN(f32_kernels_match_scalar);
    RUN(f16_kernels_match_scalar);
    RUN(i8_kernels_equal_scalar);
    RUN(i8_extremes);
    RUN(f16_kernels_convert_every_half);
    RUN(max_matches_scalar);
    RUN(f16_round_trips);
    RUN(f16_rounds_to_nearest_even);
    RUN(quantize_i8);
    return test_summary();
}
