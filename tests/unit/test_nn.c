/*
 * test_nn.c - unit tests of the CNN engine (src/nn/): every op against a slow, direct
 * implementation written here (double accumulators, TF padding computed independently), each
 * SIMD kernel this CPU has against the scalar one, the tfjs weights loader on the small
 * manifests in tests/data/nn/ and its error cases, and allocation-failure injection.
 *
 * Tolerance: a float result may differ from the double reference by 1e-5 of the sum of the
 * magnitudes of its terms (sum |a * b| + |bias|), plus 1e-6 absolute; SIMD and scalar kernels
 * are held to the same bound against each other.
 */
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

#include "nn/nn.h"
#include "test.h"
#include "util/util.h"

#define REL_TOL 1e-5
#define ABS_TOL 1e-6

/* ---------------------------------------------------------------- helpers */

static uint32_t rng_state = 12345u;
static float frand(void) { /* [-1, 1) */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return (float)(rng_state >> 8) / 8388608.0f - 1.0f;
}
static float *rand_buf(size_t n) {
    float *p = malloc((n ? n : 1) * sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = frand();
    return p;
}

static const char *kernel_names[] = {"scalar", "avx2", "avx512"};
#define NKERNELS 3

static double act_d(double v, nn_act act) {
    if (act == NN_ACT_RELU) return v > 0 ? v : 0;
    if (act == NN_ACT_RELU6) return v > 0 ? (v < 6 ? v : 6) : 0;
    return v;
}

/* |got - want| within the tolerance for a sum whose terms had magnitudes summing to mag */
static int close_to(float got, double want, double mag) {
    return fabs((double)got - want) <= REL_TOL * mag + ABS_TOL;
}

/* TF SAME / VALID, written out again here rather than calling the code under test */
static void ref_pad(int in, int k, int s, nn_pad pad, int *out, int *before) {
    if (pad == NN_PAD_SAME) {
        *out = (in + s - 1) / s;
        int total = (*out - 1) * s + k - in;
        if (total < 0) total = 0;
        *before = total / 2;
    } else {
        *out = in >= k ? (in - k + s) / s : 0;
        *before = 0;
    }
}

/* ---------------------------------------------------------------- reference ops */

/* y[oh][ow][cout], mag[oh][ow][cout] */
static void ref_conv(const float *x, int h, int w, int cin, const float *wt, const float *b, int kh,
                     int kw, int cout, int s, nn_pad pad, nn_act act, float *y, double *mag) {
    int oh, ow, pt, pl;
    ref_pad(h, kh, s, pad, &oh, &pt);
    ref_pad(w, kw, s, pad, &ow, &pl);
    for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
            for (int o = 0; o < cout; o++) {
                double acc = b ? b[o] : 0, m = b ? fabs(b[o]) : 0;
                for (int ky = 0; ky < kh; ky++)
                    for (int kx = 0; kx < kw; kx++) {
                        int iy = oy * s - pt + ky, ix = ox * s - pl + kx;
                        if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                        for (int i = 0; i < cin; i++) {
                            double t = (double)x[((size_t)iy * w + ix) * cin + i] *
                                       wt[(((size_t)ky * kw + kx) * cin + i) * cout + o];
                            acc += t;
                            m += fabs(t);
                        }
                    }
                size_t at = ((size_t)oy * ow + ox) * cout + o;
                y[at] = (float)act_d(acc, act);
                mag[at] = m;
            }
}

static void ref_depthwise(const float *x, int h, int w, int c, const float *wt, const float *b,
                          int kh, int kw, int s, nn_pad pad, nn_act act, float *y, double *mag) {
    int oh, ow, pt, pl;
    ref_pad(h, kh, s, pad, &oh, &pt);
    ref_pad(w, kw, s, pad, &ow, &pl);
    for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
            for (int ch = 0; ch < c; ch++) {
                double acc = b[ch], m = fabs(b[ch]);
                for (int ky = 0; ky < kh; ky++)
                    for (int kx = 0; kx < kw; kx++) {
                        int iy = oy * s - pt + ky, ix = ox * s - pl + kx;
                        if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                        double t = (double)x[((size_t)iy * w + ix) * c + ch] *
                                   wt[((size_t)ky * kw + kx) * c + ch];
                        acc += t;
                        m += fabs(t);
                    }
                size_t at = ((size_t)oy * ow + ox) * c + ch;
                y[at] = (float)act_d(acc, act);
                mag[at] = m;
            }
}

/* ---------------------------------------------------------------- padding and kernels */

TEST(out_size) {
    CHECK(nn_out_size(512, 3, 2, NN_PAD_SAME) == 256);
    CHECK(nn_out_size(150, 7, 2, NN_PAD_VALID) == 72);
    CHECK(nn_out_size(72, 3, 2, NN_PAD_VALID) == 35);
    CHECK(nn_out_size(35, 3, 2, NN_PAD_SAME) == 18);
    CHECK(nn_out_size(7, 3, 1, NN_PAD_SAME) == 7);
    CHECK(nn_out_size(7, 3, 3, NN_PAD_SAME) == 3);
    CHECK(nn_out_size(2, 3, 1, NN_PAD_VALID) == 0);
    CHECK(nn_out_size(3, 3, 1, NN_PAD_VALID) == 1);
    CHECK(nn_out_size(0, 3, 1, NN_PAD_SAME) == 0);
    CHECK(nn_out_size(5, 3, 0, NN_PAD_SAME) == 0);
    for (int in = 1; in < 40; in++)
        for (int k = 1; k <= 7; k++)
            for (int s = 1; s <= 3; s++)
                for (int p = 0; p < 2; p++) {
                    int out, before;
                    ref_pad(in, k, s, (nn_pad)p, &out, &before);
                    CHECK(nn_out_size(in, k, s, (nn_pad)p) == out);
                }
}

TEST(kernel_choice) {
    const nn_kernel *cur = nn_kernel_current();
    CHECK(cur != NULL);
    CHECK(nn_kernel_by_name("scalar") != NULL);
    CHECK(nn_kernel_by_name("bogus") == NULL);
    CHECK(nn_kernel_by_name(NULL) == NULL);
    /* main() set BEX_KERNEL=avx2 before the first call when the CPU has it */
    if (nn_kernel_by_name("avx2")) CHECK(strcmp(cur->name, "avx2") == 0);
    const nn_kernel *s = nn_kernel_by_name("scalar");
    nn_kernel_set(s);
    CHECK(nn_kernel_current() == s);
    nn_kernel_set(NULL);
    CHECK(nn_kernel_current() == cur);
    for (int i = 0; i < NKERNELS; i++) {
        const nn_kernel *k = nn_kernel_by_name(kernel_names[i]);
        if (!k) {
            printf("  (kernel %s not available on this CPU)\n", kernel_names[i]);
            continue;
        }
        CHECK(strcmp(k->name, kernel_names[i]) == 0);
        CHECK(k->mr >= 1 && k->nr >= 1 && k->kc >= 1 && 84 % k->mr == 0);
    }
}

/* ---------------------------------------------------------------- GEMM */

/* nn_gemm_packed (bias + act) and kernel->sgemm (padded leading dimensions) against a
 * double reference, for every available kernel, over edge sizes around each kernel's tile and
 * K block; then each SIMD kernel against the scalar kernel on the same inputs. */
TEST(gemm_edges) {
    static const int Ms[] = {1, 4, 5, 6, 13, 14, 15, 29, 100};
    static const int Ns[] = {1, 8, 9, 16, 17, 31, 32, 33, 65};
    static const int Ks[] = {0, 1, 7, 33, 256, 320, 321, 700};
    const nn_kernel *scalar = nn_kernel_by_name("scalar");
    int bad = 0;
    for (size_t mi = 0; mi < sizeof Ms / sizeof *Ms; mi++)
        for (size_t ni = 0; ni < sizeof Ns / sizeof *Ns; ni++)
            for (size_t ki = 0; ki < sizeof Ks / sizeof *Ks; ki++) {
                const int M = Ms[mi], N = Ns[ni], K = Ks[ki];
                if ((size_t)M * N * (K + 1) > 3000000) continue; /* keep the test quick */
                const int lda = K + 3, ldb = N + 5, ldc = N + 2;
                const nn_act act = (nn_act)((mi + ni + ki) % 3);
                float *A = rand_buf((size_t)M * lda), *B = rand_buf((size_t)K * ldb);
                float *bias = rand_buf((size_t)N);
                double *want = malloc((size_t)M * N * sizeof *want),
                       *mag = malloc((size_t)M * N * sizeof *mag);
                double *want0 = malloc((size_t)M * N * sizeof *want0);
                for (int i = 0; i < M; i++)
                    for (int j = 0; j < N; j++) {
                        double acc = 0, m = 0;
                        for (int k = 0; k < K; k++) {
                            double t = (double)A[(size_t)i * lda + k] * B[(size_t)k * ldb + j];
                            acc += t;
                            m += fabs(t);
                        }
                        want0[(size_t)i * N + j] = acc;
                        want[(size_t)i * N + j] = act_d(acc + bias[j], act);
                        mag[(size_t)i * N + j] = m + fabs(bias[j]);
                    }
                float *Cs = malloc((size_t)M * ldc * sizeof *Cs);
                float *C = malloc((size_t)M * ldc * sizeof *C);
                for (int kn = 0; kn < NKERNELS; kn++) {
                    const nn_kernel *k = nn_kernel_by_name(kernel_names[kn]);
                    if (!k) continue;
                    float *packed = bex__malloc_aligned(nn_pack_b_size(k, K, N) * sizeof(float));
                    nn_pack_b(k, K, N, B, (size_t)ldb, bias, packed);
                    for (size_t i = 0; i < (size_t)M * ldc; i++) C[i] = 1234.5f; /* canary */
                    nn_gemm_packed(k, M, N, K, A, (size_t)lda, packed, act, C, (size_t)ldc);
                    if (k == scalar) memcpy(Cs, C, (size_t)M * ldc * sizeof *C);
                    for (int i = 0; i < M; i++) {
                        for (int j = 0; j < N; j++) {
                            float got = C[(size_t)i * ldc + j];
                            double w = want[(size_t)i * N + j], m = mag[(size_t)i * N + j];
                            if (!close_to(got, w, m) ||
                                !close_to(got, Cs[(size_t)i * ldc + j], m)) {
                                if (bad++ < 5)
                                    printf("  packed %s M=%d N=%d K=%d act=%d [%d][%d]: %g vs %g "
                                           "(scalar %g)\n",
                                           k->name, M, N, K, act, i, j, got, w,
                                           Cs[(size_t)i * ldc + j]);
                            }
                        }
                        for (int j = N; j < ldc; j++)
                            if (C[(size_t)i * ldc + j] != 1234.5f && bad++ < 5)
                                printf("  packed %s wrote past N at [%d][%d]\n", k->name, i, j);
                    }
                    bex__free_aligned(packed);
                    /* the plain seam: C = A * B, no bias, no act */
                    for (size_t i = 0; i < (size_t)M * ldc; i++) C[i] = 1234.5f;
                    k->sgemm(M, N, K, A, lda, B, ldb, C, ldc);
                    for (int i = 0; i < M; i++) {
                        for (int j = 0; j < N; j++) {
                            float got = C[(size_t)i * ldc + j];
                            double w = want0[(size_t)i * N + j], m = mag[(size_t)i * N + j];
                            if (!close_to(got, w, m) && bad++ < 5)
                                printf("  sgemm %s M=%d N=%d K=%d [%d][%d]: %g vs %g\n", k->name, M,
                                       N, K, i, j, got, w);
                        }
                        for (int j = N; j < ldc; j++)
                            if (C[(size_t)i * ldc + j] != 1234.5f && bad++ < 5)
                                printf("  sgemm %s wrote past N at [%d][%d]\n", k->name, i, j);
                    }
                }
                free(A);
                free(B);
                free(bias);
                free(want);
                free(want0);
                free(mag);
                free(Cs);
                free(C);
            }
    CHECK(bad == 0);
}

/* A's rows a multiple of 4 KiB apart take another path (A copied strip by strip). */
TEST(gemm_aliasing_rows) {
    static const struct {
        int M, N, K, lda;
    } cases[] = {
        {29, 70, 1024, 1024}, {15, 33, 700, 1024}, {3, 16, 2048, 2048},
        {2, 5, 1, 1024},      {1, 9, 100, 1024},
    };
    int bad = 0;
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        const int M = cases[c].M, N = cases[c].N, K = cases[c].K, lda = cases[c].lda;
        float *A = rand_buf((size_t)M * lda), *B = rand_buf((size_t)K * N),
              *bias = rand_buf((size_t)N);
        float *C = malloc((size_t)M * N * sizeof *C);
        for (int kn = 0; kn < NKERNELS; kn++) {
            const nn_kernel *k = nn_kernel_by_name(kernel_names[kn]);
            if (!k) continue;
            float *packed = bex__malloc_aligned(nn_pack_b_size(k, K, N) * sizeof(float));
            nn_pack_b(k, K, N, B, (size_t)N, bias, packed);
            nn_gemm_packed(k, M, N, K, A, (size_t)lda, packed, NN_ACT_RELU6, C, (size_t)N);
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++) {
                    double acc = bias[j], m = fabs(bias[j]);
                    for (int kk = 0; kk < K; kk++) {
                        double t = (double)A[(size_t)i * lda + kk] * B[(size_t)kk * N + j];
                        acc += t;
                        m += fabs(t);
                    }
                    if (!close_to(C[(size_t)i * N + j], act_d(acc, NN_ACT_RELU6), m) && bad++ < 3)
                        printf("  %s M=%d N=%d K=%d lda=%d [%d][%d]: %g vs %g\n", k->name, M, N, K,
                               lda, i, j, C[(size_t)i * N + j], act_d(acc, NN_ACT_RELU6));
                }
            bex__free_aligned(packed);
        }
        free(A);
        free(B);
        free(bias);
        free(C);
    }
    CHECK(bad == 0);
}

/* ---------------------------------------------------------------- convolution */

typedef struct conv_case {
    int h, w, cin, cout, k, stride;
    nn_pad pad;
} conv_case;

static int run_conv_case(const conv_case *cc, const nn_kernel *k, int fold, nn_act act) {
    int oh = nn_out_size(cc->h, cc->k, cc->stride, cc->pad);
    int ow = nn_out_size(cc->w, cc->k, cc->stride, cc->pad);
    size_t nx = (size_t)cc->h * cc->w * cc->cin, nw = (size_t)cc->k * cc->k * cc->cin * cc->cout;
    size_t ny = (size_t)oh * ow * cc->cout;
    float *x = rand_buf(nx), *wt = rand_buf(nw), *b = rand_buf((size_t)cc->cout);
    float *scale = rand_buf((size_t)cc->cout), *shift = rand_buf((size_t)cc->cout);
    /* the folded layer, written out for the reference */
    float *wf = malloc(nw * sizeof *wf), *bf = malloc((size_t)cc->cout * sizeof *bf);
    for (size_t i = 0; i < nw; i++) wf[i] = fold ? wt[i] * scale[i % cc->cout] : wt[i];
    for (int o = 0; o < cc->cout; o++) bf[o] = fold ? b[o] * scale[o] + shift[o] : b[o];
    float *want = malloc((ny ? ny : 1) * sizeof *want), *y = malloc((ny + 1) * sizeof *y);
    double *mag = malloc((ny ? ny : 1) * sizeof *mag);
    ref_conv(x, cc->h, cc->w, cc->cin, wf, bf, cc->k, cc->k, cc->cout, cc->stride, cc->pad, act,
             want, mag);
    nn_kernel_set(k);
    nn_conv cv;
    int bad = 0;
    int rc = nn_conv_init(&cv, cc->k, cc->k, cc->cin, cc->cout, wt, b, fold ? scale : NULL,
                          fold ? shift : NULL);
    nn_kernel_set(NULL);
    if (rc != BEX_OK || cv.kernel != k) {
        bad = 1;
    } else {
        size_t sc = nn_conv2d_scratch(&cv, cc->h, cc->w, cc->stride, cc->pad);
        if (cc->k == 1 && cc->stride == 1 && sc != 0) bad++;
        float *scratch = sc ? malloc(sc * sizeof *scratch) : NULL; /* exactly the size asked */
        nn_tensor tx = {cc->h, cc->w, cc->cin, x}, ty = {oh, ow, cc->cout, y};
        y[ny] = 777.0f;
        nn_conv2d(&cv, &tx, cc->stride, cc->pad, act, &ty, scratch);
        if (y[ny] != 777.0f) bad++;
        for (size_t i = 0; i < ny; i++)
            if (!close_to(y[i], want[i], mag[i]) && bad++ < 3)
                printf("  conv %s %dx%dx%d k%d s%d %s ->%d [%zu]: %g vs %g\n", k->name, cc->h,
                       cc->w, cc->cin, cc->k, cc->stride, cc->pad ? "VALID" : "SAME", cc->cout, i,
                       y[i], want[i]);
        free(scratch);
        nn_conv_free(&cv);
        if (cv.packed || cv.w) bad++;
    }
    free(x);
    free(wt);
    free(b);
    free(scale);
    free(shift);
    free(wf);
    free(bf);
    free(want);
    free(y);
    free(mag);
    return bad;
}

TEST(conv2d) {
    static const conv_case cases[] = {
        {9, 7, 3, 5, 3, 1, NN_PAD_SAME},
        {9, 7, 3, 5, 3, 2, NN_PAD_SAME},
        {9, 7, 3, 5, 3, 1, NN_PAD_VALID},
        {9, 7, 3, 5, 3, 2, NN_PAD_VALID},
        {8, 8, 4, 33, 3, 2, NN_PAD_SAME},
        {13, 11, 3, 32, 7, 2, NN_PAD_VALID},
        {10, 10, 2, 7, 7, 1, NN_PAD_SAME},
        {5, 6, 17, 40, 1, 1, NN_PAD_SAME},
        {5, 6, 17, 40, 1, 1, NN_PAD_VALID},
        {7, 5, 9, 17, 1, 2, NN_PAD_SAME},
        {7, 5, 9, 17, 1, 2, NN_PAD_VALID},
        {6, 6, 40, 20, 3, 1, NN_PAD_SAME}, /* K=360 */
        {3, 4, 700, 9, 1, 1, NN_PAD_SAME},
        {1, 1, 5, 3, 3, 1, NN_PAD_SAME}, /* K blocks; 1x1 image */
        {2, 3, 6, 18, 3, 2, NN_PAD_SAME},
        {4, 4, 1, 1, 3, 3, NN_PAD_VALID},
        {37, 29, 3, 32, 3, 2, NN_PAD_SAME},
        {19, 23, 32, 64, 3, 2, NN_PAD_SAME}, /* several im2col blocks */
        {3, 5, 1024, 40, 1, 1, NN_PAD_SAME}, /* A rows 4 KiB apart */
        {3, 3, 3, 2, 5, 1, NN_PAD_SAME}, /* window wider than the image */
    };
    int bad = 0;
    for (int kn = 0; kn < NKERNELS; kn++) {
        const nn_kernel *k = nn_kernel_by_name(kernel_names[kn]);
        if (!k) continue;
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
            bad += run_conv_case(&cases[i], k, (int)(i & 1), (nn_act)(i % 3));
    }
    CHECK(bad == 0);
}

/* ---------------------------------------------------------------- the bf16 kernel */

/* The optional avx512bf16 kernel (bf16 products, fp32 sums) is held to two bounds: 1e-2 of
 * sum |a * b| against the exact result (bf16 keeps 8 bits of mantissa: each product is off by
 * at most about 2^-8 of itself), and the fp32 bound against a reference whose operands were
 * rounded to bf16 (nearest even) first, which checks the layout and the rounding exactly. */
#define BF16_REL_TOL 1e-2

static double bf16_round(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    u = (u + 0x7FFFu + ((u >> 16) & 1u)) & 0xFFFF0000u; /* no NaNs among the test inputs */
    float r;
    memcpy(&r, &u, sizeof r);
    return r;
}

TEST(gemm_bf16) {
    const nn_kernel *k = nn_kernel_by_name("avx512bf16");
    CHECK(nn_kernel_current() != k || !k); /* only ever by name */
    if (!k) SKIP("CPU without AVX512_BF16");
    CHECK(strcmp(k->name, "avx512bf16") == 0 && k->mr >= 1 && 84 % k->mr == 0);
    static const int Ms[] = {1, 4, 5, 6, 13, 14, 15, 29, 100};
    static const int Ns[] = {1, 8, 9, 16, 17, 31, 32, 33, 65};
    static const int Ks[] = {0, 1, 2, 7, 33, 256, 320, 321, 383, 384, 385, 700, 769};
    int bad = 0;
    for (size_t mi = 0; mi < sizeof Ms / sizeof *Ms; mi++)
        for (size_t ni = 0; ni < sizeof Ns / sizeof *Ns; ni++)
            for (size_t ki = 0; ki < sizeof Ks / sizeof *Ks; ki++) {
                const int M = Ms[mi], N = Ns[ni], K = Ks[ki];
                if ((size_t)M * N * (K + 1) > 3000000) continue;
                const int lda = K + 3, ldb = N + 5, ldc = N + 2;
                const nn_act act = (nn_act)((mi + ni + ki) % 3);
                float *A = rand_buf((size_t)M * lda), *B = rand_buf((size_t)K * ldb);
                float *bias = rand_buf((size_t)N);
                float *C = malloc((size_t)M * ldc * sizeof *C), *C0 = malloc(
                                                                      (size_t)M * ldc * sizeof *C0);
                float *packed = bex__malloc_aligned(nn_pack_b_size(k, K, N) * sizeof(float));
                nn_pack_b(k, K, N, B, (size_t)ldb, bias, packed);
                for (size_t i = 0; i < (size_t)M * ldc; i++) C[i] = C0[i] = 1234.5f; /* canary */
                nn_gemm_packed(k, M, N, K, A, (size_t)lda, packed, act, C, (size_t)ldc);
                k->sgemm(M, N, K, A, lda, B, ldb, C0, ldc);
                for (int i = 0; i < M; i++) {
                    for (int j = 0; j < N; j++) {
                        double acc = 0, accr = 0, m = 0;
                        for (int kk = 0; kk < K; kk++) {
                            float a = A[(size_t)i * lda + kk], b = B[(size_t)kk * ldb + j];
                            acc += (double)a * b;
                            accr += bf16_round(a) * bf16_round(b);
                            m += fabs((double)a * b);
                        }
                        const float got = C[(size_t)i * ldc + j], got0 = C0[(size_t)i * ldc + j];
                        const double w = act_d(acc + bias[j], act), mb = m + fabs(bias[j]);
                        if ((fabs(got - w) > BF16_REL_TOL * mb + ABS_TOL ||
                             !close_to(got, act_d(accr + bias[j], act), mb) ||
                             fabs(got0 - acc) > BF16_REL_TOL * m + ABS_TOL ||
                             !close_to(got0, accr, m)) &&
                            bad++ < 5)
                            printf("  bf16 M=%d N=%d K=%d act=%d [%d][%d]: packed %g sgemm %g, "
                                   "want %g / %g (bf16 operands %g)\n",
                                   M, N, K, act, i, j, got, got0, w, acc, accr);
                    }
                    for (int j = N; j < ldc; j++)
                        if ((C[(size_t)i * ldc + j] != 1234.5f || C0[(size_t)i * ldc + j] != 1234.5f)
                            && bad++ < 5)
                            printf("  bf16 wrote past N at [%d][%d]\n", i, j);
                }
                bex__free_aligned(packed);
                free(A);
                free(B);
                free(bias);
                free(C);
                free(C0);
            }
    CHECK(bad == 0);
}

/* Whole convolutions (1x1 straight into the GEMM, 3x3 through im2col, A rows 4 KiB apart)
 * packed for the bf16 kernel, against the double reference within the bf16 bound. */
TEST(conv_bf16) {
    const nn_kernel *k = nn_kernel_by_name("avx512bf16");
    if (!k) SKIP("CPU without AVX512_BF16");
    static const conv_case cases[] = {
        {9, 7, 33, 70, 1, 1, NN_PAD_SAME},
        {19, 23, 31, 64, 3, 2, NN_PAD_SAME},
        {6, 6, 45, 20, 3, 1, NN_PAD_VALID}, /* K = 405: two K blocks, the last odd */
        {3, 5, 1024, 40, 1, 1, NN_PAD_SAME},
    };
    int bad = 0;
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        const conv_case *cc = &cases[c];
        const nn_act act = (nn_act)(c % 3);
        int oh = nn_out_size(cc->h, cc->k, cc->stride, cc->pad);
        int ow = nn_out_size(cc->w, cc->k, cc->stride, cc->pad);
        size_t nx = (size_t)cc->h * cc->w * cc->cin, nw = (size_t)cc->k * cc->k * cc->cin * cc->cout;
        size_t ny = (size_t)oh * ow * cc->cout;
        float *x = rand_buf(nx), *wt = rand_buf(nw), *b = rand_buf((size_t)cc->cout);
        float *want = malloc(ny * sizeof *want), *y = malloc(ny * sizeof *y);
        double *mag = malloc(ny * sizeof *mag);
        ref_conv(x, cc->h, cc->w, cc->cin, wt, b, cc->k, cc->k, cc->cout, cc->stride, cc->pad,
                 act, want, mag);
        nn_kernel_set(k);
        nn_conv cv;
        int rc = nn_conv_init(&cv, cc->k, cc->k, cc->cin, cc->cout, wt, b, NULL, NULL);
        nn_kernel_set(NULL);
        CHECK(rc == BEX_OK && cv.kernel == k);
        if (rc == BEX_OK) {
            size_t sc = nn_conv2d_scratch(&cv, cc->h, cc->w, cc->stride, cc->pad);
            float *scratch = sc ? malloc(sc * sizeof *scratch) : NULL;
            nn_tensor tx = {cc->h, cc->w, cc->cin, x}, ty = {oh, ow, cc->cout, y};
            nn_conv2d(&cv, &tx, cc->stride, cc->pad, act, &ty, scratch);
            for (size_t i = 0; i < ny; i++)
                if (fabs(y[i] - want[i]) > BF16_REL_TOL * mag[i] + ABS_TOL && bad++ < 5)
                    printf("  conv bf16 case %zu [%zu]: %g vs %g\n", c, i, y[i], want[i]);
            free(scratch);
            nn_conv_free(&cv);
        }
        free(x);
        free(wt);
        free(b);
        free(want);
        free(y);
        free(mag);
    }
    CHECK(bad == 0);
}

/* A conv packed for one kernel keeps it when the current kernel changes. */
TEST(conv_keeps_its_kernel) {
    const nn_kernel *s = nn_kernel_by_name("scalar");
    nn_kernel_set(s);
    float w[3 * 4] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, b[4] = {0.5f, -1, 0, 2};
    nn_conv cv;
    CHECK(nn_conv_init(&cv, 1, 1, 3, 4, w, b, NULL, NULL) == BEX_OK);
    nn_kernel_set(NULL);
    CHECK(cv.kernel == s);
    float x[2 * 3] = {1, 0, -1, 2, 1, 0}, y[2 * 4];
    nn_tensor tx = {1, 2, 3, x}, ty = {1, 2, 4, y};
    nn_conv2d(&cv, &tx, 1, NN_PAD_SAME, NN_ACT_NONE, &ty, NULL);
    /* pixel 0: (1,0,-1) -> w row0 - w row2 = (1-9, 2-10, 3-11, 4-12) + b */
    CHECK_NEAR(y[0], -8 + 0.5, 1e-6);
    CHECK_NEAR(y[1], -8 - 1, 1e-6);
    CHECK_NEAR(y[3], -8 + 2, 1e-6);
    /* pixel 1: (2,1,0) -> 2*row0 + row1 */
    CHECK_NEAR(y[4], 2 + 5 + 0.5, 1e-6);
    CHECK_NEAR(y[7], 8 + 8 + 2, 1e-6);
    nn_conv_free(&cv);
    nn_conv_free(&cv); /* harmless twice */
}

TEST(conv_init_args) {
    float w[9] = {0};
    nn_conv cv;
    CHECK(nn_conv_init(&cv, 0, 3, 1, 1, w, NULL, NULL, NULL) == BEX_ERR_ARG);
    CHECK(nn_conv_init(&cv, 3, 3, 1, -1, w, NULL, NULL, NULL) == BEX_ERR_ARG);
    CHECK(nn_conv_init(&cv, 3, 3, 1, 1, NULL, NULL, NULL, NULL) == BEX_ERR_ARG);
    CHECK(nn_conv_init(&cv, 65536, 65536, 65536, 1, w, NULL, NULL, NULL) == BEX_ERR_ARG);
    CHECK(cv.w == NULL && cv.packed == NULL);
    nn_dwconv dw;
    CHECK(nn_dwconv_init(&dw, 3, 3, 0, w, NULL, NULL, NULL) == BEX_ERR_ARG);
    CHECK(dw.w == NULL);
}

/* ---------------------------------------------------------------- depthwise */

TEST(depthwise) {
    static const struct {
        int h, w, c, k, s;
        nn_pad pad;
    } cases[] = {
        {9, 13, 5, 3, 1, NN_PAD_SAME},   {9, 13, 5, 3, 2, NN_PAD_SAME},
        {9, 13, 5, 3, 1, NN_PAD_VALID},  {9, 13, 5, 3, 2, NN_PAD_VALID},
        {20, 21, 32, 3, 1, NN_PAD_SAME}, {20, 21, 33, 3, 2, NN_PAD_SAME},
        {6, 30, 70, 3, 1, NN_PAD_SAME},  {6, 30, 16, 3, 2, NN_PAD_SAME},
        {7, 7, 17, 5, 1, NN_PAD_SAME},   {7, 9, 8, 5, 2, NN_PAD_VALID},
        {5, 5, 1, 1, 1, NN_PAD_SAME},    {4, 12, 24, 1, 2, NN_PAD_SAME},
        {1, 1, 9, 3, 1, NN_PAD_SAME},    {2, 1, 40, 3, 2, NN_PAD_SAME},
        {1, 2, 64, 3, 1, NN_PAD_SAME},   {16, 16, 100, 3, 1, NN_PAD_SAME},
        {3, 40, 7, 3, 1, NN_PAD_SAME},   {5, 4, 3, 7, 1, NN_PAD_SAME},
        {12, 12, 48, 3, 3, NN_PAD_SAME},
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const int h = cases[i].h, w = cases[i].w, c = cases[i].c, k = cases[i].k, s = cases[i].s;
        const nn_pad pad = cases[i].pad;
        const nn_act act = (nn_act)(i % 3);
        const int fold = (int)(i & 1);
        int oh = nn_out_size(h, k, s, pad), ow = nn_out_size(w, k, s, pad);
        size_t nx = (size_t)h * w * c, ny = (size_t)oh * ow * c;
        float *x = rand_buf(nx), *wt = rand_buf((size_t)k * k * c), *b = rand_buf((size_t)c);
        float *scale = rand_buf((size_t)c), *shift = rand_buf((size_t)c);
        float *wf = malloc((size_t)k * k * c * sizeof *wf), *bf = malloc((size_t)c * sizeof *bf);
        for (size_t j = 0; j < (size_t)k * k * c; j++) wf[j] = fold ? wt[j] * scale[j % c] : wt[j];
        for (int j = 0; j < c; j++) bf[j] = fold ? b[j] * scale[j] + shift[j] : b[j];
        float *want = malloc((ny + 1) * sizeof *want), *y = malloc((ny + 1) * sizeof *y);
        double *mag = malloc((ny + 1) * sizeof *mag);
        ref_depthwise(x, h, w, c, wf, bf, k, k, s, pad, act, want, mag);
        nn_dwconv dw;
        CHECK(nn_dwconv_init(&dw, k, k, c, wt, b, fold ? scale : NULL, fold ? shift : NULL) ==
              BEX_OK);
        for (int kn = 0; kn < NKERNELS; kn++) {
            const nn_kernel *kk = nn_kernel_by_name(kernel_names[kn]);
            if (!kk) continue;
            nn_kernel_set(kk);
            nn_tensor tx = {h, w, c, x}, ty = {oh, ow, c, y};
            y[ny] = 777.0f;
            nn_depthwise(&dw, &tx, s, pad, act, &ty);
            if (y[ny] != 777.0f) bad++;
            for (size_t j = 0; j < ny; j++)
                if (!close_to(y[j], want[j], mag[j]) && bad++ < 3)
                    printf("  depthwise %s %dx%dx%d k%d s%d %s [%zu]: %g vs %g\n", kk->name, h, w,
                           c, k, s, pad ? "VALID" : "SAME", j, y[j], want[j]);
        }
        nn_kernel_set(NULL);
        nn_dwconv_free(&dw);
        free(x);
        free(wt);
        free(b);
        free(scale);
        free(shift);
        free(wf);
        free(bf);
        free(want);
        free(y);
        free(mag);
    }
    /* no bias given: zeros */
    float w1[9] = {0, 0, 0, 0, 2, 0, 0, 0, 0}, x1[4] = {1, 2, 3, 4}, y1[4];
    nn_dwconv dw;
    CHECK(nn_dwconv_init(&dw, 3, 3, 1, w1, NULL, NULL, NULL) == BEX_OK);
    nn_tensor tx = {2, 2, 1, x1}, ty = {2, 2, 1, y1};
    nn_depthwise(&dw, &tx, 1, NN_PAD_SAME, NN_ACT_NONE, &ty);
    CHECK(y1[0] == 2 && y1[3] == 8);
    nn_dwconv_free(&dw);
    CHECK(bad == 0);
}

/* ---------------------------------------------------------------- pooling and element-wise */

TEST(pooling) {
    int bad = 0;
    for (int h = 1; h <= 9; h += 2)
        for (int w = 2; w <= 8; w += 3)
            for (int k = 1; k <= 3; k++)
                for (int s = 1; s <= 2; s++)
                    for (int p = 0; p < 2; p++) {
                        const int c = 5;
                        int oh, ow, pt, pl;
                        ref_pad(h, k, s, (nn_pad)p, &oh, &pt);
                        ref_pad(w, k, s, (nn_pad)p, &ow, &pl);
                        if (oh == 0 || ow == 0) continue;
                        float *x = rand_buf((size_t)h * w * c);
                        float *ym = malloc((size_t)oh * ow * c * sizeof *ym);
                        float *ya = malloc((size_t)oh * ow * c * sizeof *ya);
                        nn_tensor tx = {h, w, c, x}, tm = {oh, ow, c, ym}, ta = {oh, ow, c, ya};
                        nn_maxpool(&tx, k, s, (nn_pad)p, &tm);
                        nn_avgpool(&tx, k, s, (nn_pad)p, &ta);
                        for (int oy = 0; oy < oh; oy++)
                            for (int ox = 0; ox < ow; ox++)
                                for (int ch = 0; ch < c; ch++) {
                                    double mx = -1e30, sum = 0;
                                    int n = 0;
                                    for (int ky = 0; ky < k; ky++)
                                        for (int kx = 0; kx < k; kx++) {
                                            int iy = oy * s - pt + ky, ix = ox * s - pl + kx;
                                            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                            double v = x[((size_t)iy * w + ix) * c + ch];
                                            mx = v > mx ? v : mx;
                                            sum += v;
                                            n++;
                                        }
                                    size_t at = ((size_t)oy * ow + ox) * c + ch;
                                    if (ym[at] != (float)mx) bad++;
                                    if (fabs(ya[at] - sum / n) > 1e-6) bad++;
                                }
                        free(x);
                        free(ym);
                        free(ya);
                    }
    CHECK(bad == 0);
    /* TF SAME average at a corner counts only the pixels inside: 2x2 image, k3 s1 */
    float x[4] = {1, 2, 3, 4}, y[4];
    nn_tensor tx = {2, 2, 1, x}, ty = {2, 2, 1, y};
    nn_avgpool(&tx, 3, 1, NN_PAD_SAME, &ty);
    CHECK_NEAR(y[0], 2.5, 1e-6);
    nn_tensor t1 = {1, 1, 1, y};
    nn_avgpool(&tx, 2, 2, NN_PAD_VALID, &t1);
    CHECK_NEAR(y[0], 2.5, 1e-6);
    nn_maxpool(&tx, 2, 2, NN_PAD_VALID, &t1);
    CHECK(y[0] == 4);
}

TEST(elementwise) {
    const int h = 3, w = 5, c = 7, n = h * w * c;
    float *a = rand_buf(n), *b = rand_buf(n), *y = malloc(n * sizeof *y);
    for (int i = 0; i < n; i++) a[i] *= 8; /* reach past 6 for ReLU6 */
    for (int act = 0; act < 3; act++) {
        nn_tensor ta = {h, w, c, a}, tb = {h, w, c, b}, ty = {h, w, c, y};
        nn_add(&ta, &tb, (nn_act)act, &ty);
        int bad = 0;
        for (int i = 0; i < n; i++)
            if (y[i] != (float)act_d((double)(a[i] + b[i]), (nn_act)act)) bad++;
        CHECK(bad == 0);
        memcpy(y, a, n * sizeof *y);
        nn_activate(&ty, (nn_act)act);
        bad = 0;
        for (int i = 0; i < n; i++)
            if (y[i] != (float)act_d(a[i], (nn_act)act)) bad++;
        CHECK(bad == 0);
    }
    /* in place: y aliases a */
    memcpy(y, a, n * sizeof *y);
    nn_tensor ty = {h, w, c, y}, tb = {h, w, c, b};
    nn_add(&ty, &tb, NN_ACT_RELU, &ty);
    CHECK(y[0] == (a[0] + b[0] > 0 ? a[0] + b[0] : 0));
    /* mean over h, w */
    float mean[7];
    nn_tensor ta = {h, w, c, a};
    nn_mean_hw(&ta, mean);
    for (int ch = 0; ch < c; ch++) {
        double s = 0;
        for (int p = 0; p < h * w; p++) s += a[p * c + ch];
        CHECK_NEAR(mean[ch], s / (h * w), 1e-5);
    }
    /* matvec: out[n] = bias[n] + sum_k x[k] w[k][n] */
    const int K = 37, N = 19;
    float *x = rand_buf(K), *wm = rand_buf((size_t)K * N), *bias = rand_buf(N), out[19], out0[19];
    nn_matvec(x, wm, bias, K, N, out);
    nn_matvec(x, wm, NULL, K, N, out0);
    for (int j = 0; j < N; j++) {
        double s = 0, m = 0;
        for (int k = 0; k < K; k++) {
            s += (double)x[k] * wm[(size_t)k * N + j];
            m += fabs((double)x[k] * wm[(size_t)k * N + j]);
        }
        CHECK(close_to(out[j], s + bias[j], m + fabs(bias[j])));
        CHECK(close_to(out0[j], s, m));
    }
    free(a);
    free(b);
    free(y);
    free(x);
    free(wm);
    free(bias);
}

/* ---------------------------------------------------------------- concurrency */

typedef struct worker {
    const nn_conv *cv;
    const nn_dwconv *dw;
    const float *x;
    float *y, *t, *scratch;
    int reps;
} worker;

static void *work(void *p) {
    worker *wk = p;
    for (int r = 0; r < wk->reps; r++) {
        nn_tensor tx = {23, 19, 8, (float *)wk->x}, tt = {12, 10, 8, wk->t},
                  ty = {12, 10, 24, wk->y};
        nn_depthwise(wk->dw, &tx, 2, NN_PAD_SAME, NN_ACT_RELU6, &tt);
        nn_conv2d(wk->cv, &tt, 1, NN_PAD_SAME, NN_ACT_RELU, &ty, wk->scratch);
    }
    return NULL;
}

/* Two threads run the same layers on their own buffers and get what one thread gets. */
TEST(two_threads) {
    float *x = rand_buf(23 * 19 * 8), *w = rand_buf(9 * 8 * 24), *b = rand_buf(24);
    float *dww = rand_buf(9 * 8), *dwb = rand_buf(8);
    nn_conv cv;
    nn_dwconv dw;
    CHECK(nn_conv_init(&cv, 3, 3, 8, 24, w, b, NULL, NULL) == BEX_OK);
    CHECK(nn_dwconv_init(&dw, 3, 3, 8, dww, dwb, NULL, NULL) == BEX_OK);
    size_t sc = nn_conv2d_scratch(&cv, 12, 10, 1, NN_PAD_SAME);
    worker wk[3];
    for (int i = 0; i < 3; i++) {
        wk[i] = (worker){&cv,
                         &dw,
                         x,
                         malloc(12 * 10 * 24 * sizeof(float)),
                         malloc(12 * 10 * 8 * sizeof(float)),
                         malloc(sc * sizeof(float)),
                         i ? 200 : 1};
    }
    work(&wk[0]);
    pthread_t th[2];
    for (int i = 0; i < 2; i++) CHECK(pthread_create(&th[i], NULL, work, &wk[i + 1]) == 0);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    CHECK(memcmp(wk[0].y, wk[1].y, 12 * 10 * 24 * sizeof(float)) == 0);
    CHECK(memcmp(wk[0].y, wk[2].y, 12 * 10 * 24 * sizeof(float)) == 0);
    for (int i = 0; i < 3; i++) {
        free(wk[i].y);
        free(wk[i].t);
        free(wk[i].scratch);
    }
    nn_conv_free(&cv);
    nn_dwconv_free(&dw);
    free(x);
    free(w);
    free(b);
    free(dww);
    free(dwb);
}

/* ---------------------------------------------------------------- weights */

TEST(weights_good) {
    nn_weights *w = NULL;
    char err[256] = "";
    int rc = nn_weights_load(TEST_DATA("nn/good.json"), &w, err, sizeof err);
    CHECK(rc == BEX_OK);
    if (rc != BEX_OK) {
        printf("  %s\n", err);
        return;
    }
    CHECK(nn_weights_count(w) == 6);
    int shape[4];
    const int d23[2] = {2, 3}, dany[2] = {-1, -1};
    const float *a = nn_weights_get(w, "a", 2, d23, shape, err, sizeof err);
    CHECK(a && shape[0] == 2 && shape[1] == 3);
    if (a) {
        CHECK(a[0] == 1.5f && a[1] == -2.0f && a[5] == 1e-3f);
        CHECK(((uintptr_t)a & 63) == 0);
    }
    const int d4[1] = {4};
    const float *q = nn_weights_get(w, "q", 1, d4, NULL, err, sizeof err);
    CHECK(q != NULL);
    if (q) { /* min + q * scale with q = 0, 1, 128, 255, scale 0.5, min -1 */
        CHECK(q[0] == -1.0f && q[1] == -0.5f && q[2] == 63.0f && q[3] == 126.5f);
    }
    const float *i = nn_weights_get(w, "i", 0, NULL, NULL, err, sizeof err);
    CHECK(i && i[0] == -7.0f);
    const int d13[2] = {1, 3};
    const float *r = nn_weights_get(w, "dir/r", 2, d13, NULL, err, sizeof err); /* split shards */
    CHECK(r != NULL);
    if (r) {
        CHECK(r[0] == (float)(10 * 0.1 + 2.0) && r[1] == (float)(20 * 0.1 + 2.0) &&
              r[2] == (float)(30 * 0.1 + 2.0));
    }
    const float *s = nn_weights_get(w, "s", 1, NULL, shape, err, sizeof err);
    CHECK(s && shape[0] == 2 && s[0] == 512.0f && s[1] == 515.0f);
    CHECK(nn_weights_get(w, "z", 2, dany, shape, err, sizeof err) != NULL && shape[0] == 0);
    /* wrong shape / rank / name: NULL and a message naming the tensor */
    const int d32[2] = {3, 2};
    err[0] = 0;
    CHECK(nn_weights_get(w, "a", 2, d32, NULL, err, sizeof err) == NULL);
    CHECK(strstr(err, "a") && strstr(err, "[2, 3]") && strstr(err, "[3, 2]"));
    CHECK(nn_weights_get(w, "a", 3, NULL, NULL, err, sizeof err) == NULL);
    err[0] = 0;
    CHECK(nn_weights_get(w, "nope", 1, NULL, NULL, err, sizeof err) == NULL);
    CHECK(strstr(err, "nope") != NULL);
    nn_weights_free(w);
    nn_weights_free(NULL);
}

/* uint16-quantised and float16 tensors, which face-api's manifests do not use */
TEST(weights_other_types) {
    nn_weights *w = NULL;
    char err[256] = "";
    CHECK(nn_weights_load(TEST_DATA("nn/types.json"), &w, err, sizeof err) == BEX_OK);
    if (!w) return;
    const float *u = nn_weights_get(w, "u16", 1, NULL, NULL, err, sizeof err);
    CHECK(u && u[0] == -2.0f && u[1] == (float)(65535 * 0.25 - 2));
    const float *h = nn_weights_get(w, "f16", 2, NULL, NULL, err, sizeof err);
    CHECK(h && h[0] == 1.0f && h[1] == -2.0f && h[2] == 0.5f && h[3] == ldexpf(1.0f, -24));
    nn_weights_free(w);
}

TEST(weights_errors) {
    static const struct {
        const char *file;
        int rc;
        const char *in_msg;
    } cases[] = {
        {"nn/truncated.json", BEX_ERR_MODEL, "short.bin"},
        {"nn/truncated.json", BEX_ERR_MODEL, "tensor i"}, /* the tensor cut off */
        {"nn/long.json", BEX_ERR_MODEL, "long.bin"},
        {"nn/missing_bin.json", BEX_ERR_IO, "missing.bin"},
        {"nn/escape.json", BEX_ERR_MODEL, "../nn/good.bin"},
        {"nn/bad_json.json", BEX_ERR_MODEL, "bad_json.json"},
        {"nn/bad_dtype.json", BEX_ERR_MODEL, "float64"},
        {"nn/bad_shape.json", BEX_ERR_MODEL, "too large"},
        {"nn/neg_shape.json", BEX_ERR_MODEL, "shape"},
        {"nn/no_shape.json", BEX_ERR_MODEL, "shape"},
        {"nn/bad_quant.json", BEX_ERR_MODEL, "quantization"},
        {"nn/dup_name.json", BEX_ERR_MODEL, "twice"},
        {"nn/not_array.json", BEX_ERR_MODEL, "array"},
        {"nn/no_such_manifest.json", BEX_ERR_IO, "no_such_manifest.json"},
        {"nn/", BEX_ERR_IO, "nn/"}, /* a folder */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char path[256], err[512] = "";
        snprintf(path, sizeof path, "tests/data/%s", cases[i].file);
        nn_weights *w = (nn_weights *)&w; /* must stay untouched on failure */
        nn_weights *const before = w;
        int rc = nn_weights_load(path, &w, err, sizeof err);
        if (rc != cases[i].rc || !strstr(err, cases[i].in_msg) || w != before) {
            printf("  %s: rc %d (want %d), message \"%s\" (want \"%s\")\n", cases[i].file, rc,
                   cases[i].rc, err, cases[i].in_msg);
            CHECK(0);
        }
    }
}

static int copy_file(const char *from, const char *to) {
    FILE *f = fopen(from, "rb"), *g = fopen(to, "wb");
    int ok = f && g;
    char buf[4096];
    size_t n;
    while (ok && (n = fread(buf, 1, sizeof buf, f)) > 0) ok = fwrite(buf, 1, n, g) == n;
    if (f) fclose(f);
    if (g && fclose(g) != 0) ok = 0;
    return ok;
}

/* Mangled manifests (bytes changed, cut short) next to good shards: an error or a valid
 * load, never a crash (run under make SANITIZE=1 for the memory checks). */
TEST(weights_mangled) {
    char dir[] = "/tmp/bex_test_nn_XXXXXX", path[256], from[256];
    if (!mkdtemp(dir)) SKIP("no temporary folder");
    static const char *bins[] = {"good.bin", "good2a.bin", "good2b.bin"};
    for (int i = 0; i < 3; i++) {
        snprintf(from, sizeof from, "tests/data/nn/%s", bins[i]);
        snprintf(path, sizeof path, "%s/%s", dir, bins[i]);
        CHECK(copy_file(from, path));
    }
    FILE *f = fopen(TEST_DATA("nn/good.json"), "rb");
    char text[2048];
    size_t len = f ? fread(text, 1, sizeof text, f) : 0;
    if (f) fclose(f);
    CHECK(len > 100 && len < sizeof text);
    snprintf(path, sizeof path, "%s/m.json", dir);
    static const char junk[] = "\"{}[],:0-9e.x\\ \0";
    int ok = 0, errors = 0, bad = 0;
    for (int t = 0; t < 500; t++) {
        char m[2048];
        memcpy(m, text, len);
        size_t n = len;
        int edits = 1 + (int)(rng_state % 3);
        for (int e = 0; e < edits; e++) {
            frand();
            size_t at = rng_state % n;
            if (rng_state & 0x100000)
                m[at] = junk[(rng_state >> 8) % (sizeof junk - 1)];
            else if (rng_state & 0x200000)
                n = at + 1; /* cut short */
            else
                m[at] = (char)(m[at] + 1);
        }
        FILE *g = fopen(path, "wb");
        if (!g) break;
        fwrite(m, 1, n, g);
        fclose(g);
        nn_weights *w = NULL;
        int rc = nn_weights_load(path, &w, NULL, 0);
        if (rc == BEX_OK) {
            ok++;
            nn_weights_free(w);
        } else if (rc == BEX_ERR_MODEL || rc == BEX_ERR_IO) {
            errors++;
        } else {
            bad++;
        }
    }
    printf("  (%d mangled manifests loaded, %d refused)\n", ok, errors);
    CHECK(bad == 0 && errors > 250);
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, bins[i]);
        remove(path);
    }
    snprintf(path, sizeof path, "%s/m.json", dir);
    remove(path);
    rmdir(dir);
}

/* Every allocation in turn fails: BEX_ERR_NOMEM, nothing leaked (LeakSanitizer under
 * make SANITIZE=1), then success once the count passes the last allocation. */
TEST(alloc_failures) {
    int n, rc;
    for (n = 1; n < 1000; n++) {
        nn_weights *w = NULL;
        bex__alloc_fail_after(n);
        rc = nn_weights_load(TEST_DATA("nn/good.json"), &w, NULL, 0);
        bex__alloc_fail_after(0);
        if (rc == BEX_OK) {
            CHECK(nn_weights_count(w) == 6);
            nn_weights_free(w);
            break;
        }
        CHECK(rc == BEX_ERR_NOMEM);
    }
    CHECK(n > 3 && n < 1000);
    float wt[3 * 3 * 4 * 5] = {0}, b[5] = {0};
    for (n = 1; n < 100; n++) {
        nn_conv cv;
        bex__alloc_fail_after(n);
        rc = nn_conv_init(&cv, 3, 3, 4, 5, wt, b, b, b);
        bex__alloc_fail_after(0);
        if (rc == BEX_OK) {
            nn_conv_free(&cv);
            break;
        }
        CHECK(rc == BEX_ERR_NOMEM && cv.w == NULL && cv.b == NULL && cv.packed == NULL);
    }
    CHECK(n > 1 && n < 100);
    for (n = 1; n < 100; n++) {
        nn_dwconv dw;
        bex__alloc_fail_after(n);
        rc = nn_dwconv_init(&dw, 3, 3, 4, wt, NULL, NULL, NULL);
        bex__alloc_fail_after(0);
        if (rc == BEX_OK) {
            nn_dwconv_free(&dw);
            break;
        }
        CHECK(rc == BEX_ERR_NOMEM && dw.w == NULL && dw.b == NULL);
    }
    CHECK(n > 1 && n < 100);
}

/* The three face-api manifests, when models/ has been fetched. */
TEST(real_manifests) {
    static const struct {
        const char *file;
        int count;
        const char *tensor;
        int rank, dims[4];
    } nets[] = {
#define SSD "models/ssd_mobilenetv1_model-weights_manifest.json"
#define LMK "models/face_landmark_68_model-weights_manifest.json"
#define REC "models/face_recognition_model-weights_manifest.json"
        {SSD, 151, "MobilenetV1/Conv2d_13_pointwise/weights", 4, {1, 1, 1024, 1024}},
        {SSD, 151, "Output/extra_dim", 3, {1, 5118, 4}},
        {LMK, 49, "fc/weights", 2, {256, 136}},
        {LMK, 49, "dense3/conv3/depthwise_filter", 4, {3, 3, 256, 1}},
        {REC, 117, "fc", 2, {256, 128}},
        {REC, 117, "conv64_down/conv1/conv/filters", 4, {3, 3, 32, 64}},
#undef SSD
#undef LMK
#undef REC
    };
    if (access(nets[0].file, R_OK) != 0) SKIP("models/ not fetched (make models)");
    for (size_t i = 0; i < sizeof nets / sizeof *nets; i++) {
        nn_weights *w = NULL;
        char err[512] = "";
        int rc = nn_weights_load(nets[i].file, &w, err, sizeof err);
        CHECK(rc == BEX_OK);
        if (rc != BEX_OK) {
            printf("  %s\n", err);
            continue;
        }
        CHECK(nn_weights_count(w) == nets[i].count);
        const float *t =
            nn_weights_get(w, nets[i].tensor, nets[i].rank, nets[i].dims, NULL, err, sizeof err);
        CHECK(t != NULL);
        if (t) CHECK(isfinite(t[0]));
        nn_weights_free(w);
    }
    /* a uint8 tensor dequantises into [min, min + 255 * scale] (SSD conv_0: scale 0.0394855,
     * min -5.01466) and an int32 one rounds (Preprocessor/ResizeImage/size = [512, 512]) */
    nn_weights *w = NULL;
    if (nn_weights_load(nets[0].file, &w, NULL, 0) == BEX_OK) {
        const int d[4] = {3, 3, 3, 32};
        const float *c0 =
            nn_weights_get(w, "MobilenetV1/Conv2d_0_pointwise/weights", 4, d, NULL, NULL, 0);
        int bad = !c0;
        for (int i = 0; c0 && i < 3 * 3 * 3 * 32; i++) {
            double q = (c0[i] - -5.014659853542552) / 0.03948551065781537;
            if (q < -1e-3 || q > 255.001 || fabs(q - round(q)) > 1e-3) bad++;
        }
        CHECK(bad == 0);
        const int d2[1] = {2};
        const float *sz = nn_weights_get(w, "Preprocessor/ResizeImage/size", 1, d2, NULL, NULL, 0);
        CHECK(sz && sz[0] == 512.0f && sz[1] == 512.0f);
        nn_weights_free(w);
    }
}

int main(void) {
    /* The automatic choice is made once, on first use: steer it to avx2 (when present) so that
     * kernel_choice can see BEX_KERNEL obeyed; every other test names its kernels. */
    setenv("BEX_KERNEL", "avx2", 1);
    RUN(out_size);
    RUN(kernel_choice);
    RUN(gemm_edges);
    RUN(gemm_aliasing_rows);
    RUN(gemm_bf16);
    RUN(conv2d);
    RUN(conv_bf16);
    RUN(conv_keeps_its_kernel);
    RUN(conv_init_args);
    RUN(depthwise);
    RUN(pooling);
    RUN(elementwise);
    RUN(two_threads);
    RUN(weights_good);
    RUN(weights_other_types);
    RUN(weights_errors);
    RUN(weights_mangled);
    RUN(alloc_failures);
    RUN(real_manifests);
    return test_summary();
}
