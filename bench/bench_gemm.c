/*
 * bench_gemm.c - GFLOP/s of nn's GEMM kernels on the shapes of bex's three face networks,
 * side by side with OpenBLAS's single-threaded sgemm, then whole convolution and depthwise
 * layers (im2col included) per kernel.
 *
 *   build/bench/bench_gemm            all shapes, every kernel this CPU supports
 *   build/bench/bench_gemm quick      fewer repetitions
 *   build/bench/bench_gemm [quick] WORD   only the rows whose description contains WORD
 *   build/bench/bench_gemm kernel=avx512  only that bex kernel
 *
 * The optional avx512bf16 kernel (bf16 products, fp32 sums; never the default) is timed too
 * when the CPU has it, with its speed-up over avx512 in the last column; the bex / OpenBLAS
 * ratio counts the fp32 kernels only.
 *
 * Times are the fastest of many short runs (wall clock; the machine is shared). bex's
 * numbers are the packed-B path the networks use (nn_gemm_packed: bias and ReLU fused into
 * the store); OpenBLAS computes C = A * B alone (beta = 0). OpenBLAS honours
 * OPENBLAS_CORETYPE from the environment (Haswell kernels run at about half the speed of
 * its AVX-512 ones on this machine), so the core it ran is printed: run it both ways,
 *   build/bench/bench_gemm; env -u OPENBLAS_CORETYPE build/bench/bench_gemm
 */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn/nn.h"
#include "util/util.h"

void openblas_set_num_threads(int);
char *openblas_get_corename(void);

typedef struct shape {
    const char *net, *what;
    int M, K, N;
} shape;

static const shape shapes[] = {
    {"ssd", "conv_0 3x3 s2 3->32 (im2col)", 65536, 27, 32},
    {"ssd", "pw 1: 256x256 32->64", 65536, 32, 64},
    {"ssd", "pw 2: 128x128 64->128", 16384, 64, 128},
    {"ssd", "pw 3: 128x128 128->128", 16384, 128, 128},
    {"ssd", "pw 4: 64x64 128->256", 4096, 128, 256},
    {"ssd", "pw 5: 64x64 256->256", 4096, 256, 256},
    {"ssd", "pw 6: 32x32 256->512", 1024, 256, 512},
    {"ssd", "pw 7-11: 32x32 512->512", 1024, 512, 512},
    {"ssd", "pw 12: 16x16 512->1024", 256, 512, 1024},
    {"ssd", "pw 13: 16x16 1024->1024", 256, 1024, 1024},
    {"ssd", "pred 0: 16x16 1024->256", 256, 1024, 256},
    {"ssd", "pred 1: 3x3 s2 256->512", 64, 2304, 512},
    {"ssd", "box 0: 32x32 512->12", 1024, 512, 12},
    {"ssd", "box 1: 16x16 1024->24", 256, 1024, 24},
    {"rec", "conv 7x7 s2 3->32", 5184, 147, 32},
    {"rec", "3x3 35x35 32->32", 1225, 288, 32},
    {"rec", "3x3 s2 18x18 32->64", 324, 288, 64},
    {"rec", "3x3 18x18 64->64", 324, 576, 64},
    {"rec", "3x3 s2 9x9 64->128", 81, 576, 128},
    {"rec", "3x3 9x9 128->128", 81, 1152, 128},
    {"rec", "3x3 s2 5x5 128->256", 25, 1152, 256},
    {"rec", "3x3 5x5 256->256", 25, 2304, 256},
    {"rec", "3x3 s2 3x3 256->256", 9, 2304, 256},
    {"lmk", "conv0 3x3 s2 3->32", 3136, 27, 32},
    {"lmk", "pw 56x56 32->32", 3136, 32, 32},
    {"lmk", "pw 28x28 64->64", 784, 64, 64},
    {"lmk", "pw 14x14 128->128", 196, 128, 128},
    {"lmk", "pw 7x7 256->256", 49, 256, 256},
};

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void fill(float *p, size_t n, unsigned *seed) {
    for (size_t i = 0; i < n; i++) {
        *seed = *seed * 1664525u + 1013904223u;
        p[i] = (float)((*seed >> 8) & 0xFFFF) / 65536.0f - 0.5f;
    }
}

static double min_time_s = 0.3; /* per measurement */

/* Seconds per call of fn(ctx): the fastest of many short runs (each >= 4 ms), for at least
 * min_time_s in all. The machine is shared; the fastest run is the one least disturbed. */
static double time_call(void (*fn)(void *), void *ctx) {
    fn(ctx); /* warm caches and pages */
    int reps = 1;
    for (;;) {
        double t0 = now_s();
        for (int i = 0; i < reps; i++) fn(ctx);
        if (now_s() - t0 >= 0.004 || reps > (1 << 24)) break;
        reps *= 2;
    }
    double best = 1e30, start = now_s();
    for (int r = 0; r < 5 || now_s() - start < min_time_s; r++) {
        double t0 = now_s();
        for (int i = 0; i < reps; i++) fn(ctx);
        double t = (now_s() - t0) / reps;
        if (t < best) best = t;
    }
    return best;
}

typedef struct gemm_ctx {
    const nn_kernel *k;
    int M, N, K;
    const float *A, *B, *packed;
    float *C;
} gemm_ctx;

static void run_bex(void *p) {
    gemm_ctx *g = p;
    nn_gemm_packed(g->k, g->M, g->N, g->K, g->A, (size_t)g->K, g->packed, NN_ACT_RELU, g->C,
                   (size_t)g->N);
}
static void run_blas(void *p) {
    gemm_ctx *g = p;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g->M, g->N, g->K, 1.0f, g->A, g->K,
                g->B, g->N, 0.0f, g->C, g->N);
}

typedef struct conv_ctx {
    nn_conv cv;
    nn_dwconv dw;
    nn_tensor x, y;
    int stride;
    nn_pad pad;
    float *scratch;
} conv_ctx;

static void run_conv(void *p) {
    conv_ctx *c = p;
    nn_conv2d(&c->cv, &c->x, c->stride, c->pad, NN_ACT_RELU, &c->y, c->scratch);
}
static void run_dw(void *p) {
    conv_ctx *c = p;
    nn_depthwise(&c->dw, &c->x, c->stride, c->pad, NN_ACT_RELU6, &c->y);
}

int main(int argc, char **argv) {
    const char *only = NULL, *kname = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "quick") == 0) min_time_s = 0.05;
        else if (strncmp(argv[i], "kernel=", 7) == 0) kname = argv[i] + 7;
        else only = argv[i];
    }
    const char *names[] = {"scalar", "avx2", "avx512", "avx512bf16"};
    const nn_kernel *ks[4];
    int nk = 0;
    for (int i = 0; i < 4; i++)
        if ((!kname || strcmp(kname, names[i]) == 0) && (ks[nk] = nn_kernel_by_name(names[i])))
            nk++;
    openblas_set_num_threads(1);
    const char *ct = getenv("OPENBLAS_CORETYPE");
    printf("bex GEMM (packed B, bias + ReLU fused) vs OpenBLAS %s sgemm, 1 thread "
           "(OPENBLAS_CORETYPE=%s); GFLOP/s, fastest of many runs\n\n",
           openblas_get_corename(), ct ? ct : "(unset)");
    printf("%-4s %-30s %6s %5s %5s |", "net", "layer", "M", "K", "N");
    for (int i = 0; i < nk; i++) printf(" %7s", ks[i]->name);
    printf(" %8s | %s\n", "openblas", "best fp32 bex/openblas [bf16/avx512]");

    double sum_ratio_log = 0;
    int nratio = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        const shape *sh = &shapes[s];
        if (only && !strstr(sh->what, only) && !strstr(sh->net, only)) continue;
        unsigned seed = 1234u + (unsigned)s;
        size_t na = (size_t)sh->M * sh->K, nb = (size_t)sh->K * sh->N, nc = (size_t)sh->M * sh->N;
        float *A = bex__malloc_aligned(na * 4), *B = bex__malloc_aligned(nb * 4);
        float *C = bex__malloc_aligned(nc * 4), *bias = bex__malloc_aligned((size_t)sh->N * 4);
        fill(A, na, &seed);
        fill(B, nb, &seed);
        fill(bias, (size_t)sh->N, &seed);
        double flop = 2.0 * sh->M * sh->K * sh->N, best = 0, g512 = 0, gbf = 0;
        printf("%-4s %-30s %6d %5d %5d |", sh->net, sh->what, sh->M, sh->K, sh->N);
        fflush(stdout);
        for (int i = 0; i < nk; i++) {
            float *packed = bex__malloc_aligned(nn_pack_b_size(ks[i], sh->K, sh->N) * 4);
            nn_pack_b(ks[i], sh->K, sh->N, B, (size_t)sh->N, bias, packed);
            gemm_ctx g = {ks[i], sh->M, sh->N, sh->K, A, B, packed, C};
            double gf = flop / time_call(run_bex, &g) / 1e9;
            if (strcmp(ks[i]->name, "avx512bf16") == 0) gbf = gf;
            else if (gf > best) best = gf;
            if (strcmp(ks[i]->name, "avx512") == 0) g512 = gf;
            printf(" %7.1f", gf);
            fflush(stdout);
            bex__free_aligned(packed);
        }
        gemm_ctx g = {NULL, sh->M, sh->N, sh->K, A, B, NULL, C};
        double gb = flop / time_call(run_blas, &g) / 1e9;
        printf(" %8.1f | %.2f", gb, best / gb);
        if (gbf > 0 && g512 > 0) printf(" [%.2f]", gbf / g512);
        printf("\n");
        sum_ratio_log += log(best / gb);
        nratio++;
        bex__free_aligned(A);
        bex__free_aligned(B);
        bex__free_aligned(C);
        bex__free_aligned(bias);
    }
    if (nratio)
        printf("geometric mean of best bex / openblas: %.2f\n", exp(sum_ratio_log / nratio));

    /* Whole layers: what a network pays, im2col and borders included. */
    static const struct {
        const char *what;
        int h, w, cin, cout, k, stride, dw;
        nn_pad pad;
    } layers[] = {
        {"ssd conv_0 512x512x3 3x3 s2 ->32", 512, 512, 3, 32, 3, 2, 0, NN_PAD_SAME},
        {"ssd pw 256x256 32->64", 256, 256, 32, 64, 1, 1, 0, NN_PAD_SAME},
        {"ssd dw 256x256x32 3x3 s1", 256, 256, 32, 32, 3, 1, 1, NN_PAD_SAME},
        {"ssd dw 256x256x64 3x3 s2", 256, 256, 64, 64, 3, 2, 1, NN_PAD_SAME},
        {"ssd dw 32x32x512 3x3 s1", 32, 32, 512, 512, 3, 1, 1, NN_PAD_SAME},
        {"ssd dw 16x16x1024 3x3 s1", 16, 16, 1024, 1024, 3, 1, 1, NN_PAD_SAME},
        {"rec conv 150x150x3 7x7 s2 ->32", 150, 150, 3, 32, 7, 2, 0, NN_PAD_VALID},
        {"rec 35x35x32 3x3 ->32", 35, 35, 32, 32, 3, 1, 0, NN_PAD_SAME},
        {"rec 18x18x64 3x3 ->64", 18, 18, 64, 64, 3, 1, 0, NN_PAD_SAME},
        {"rec 9x9x128 3x3 ->128", 9, 9, 128, 128, 3, 1, 0, NN_PAD_SAME},
        {"rec 5x5x256 3x3 ->256", 5, 5, 256, 256, 3, 1, 0, NN_PAD_SAME},
        {"lmk dw 56x56x32 3x3 s1", 56, 56, 32, 32, 3, 1, 1, NN_PAD_SAME},
    };
    printf("\nwhole layers (nn_conv2d incl. im2col / nn_depthwise), GFLOP/s (ms per layer)\n");
    printf("%-36s |", "layer");
    for (int i = 0; i < nk; i++) printf(" %16s", ks[i]->name);
    printf("\n");
    for (size_t l = 0; l < sizeof layers / sizeof *layers; l++) {
        if (only && !strstr(layers[l].what, only)) continue;
        unsigned seed = 99u + (unsigned)l;
        int k = layers[l].k, cin = layers[l].cin, cout = layers[l].cout, st = layers[l].stride;
        int oh = nn_out_size(layers[l].h, k, st, layers[l].pad);
        int ow = nn_out_size(layers[l].w, k, st, layers[l].pad);
        size_t nx = (size_t)layers[l].h * layers[l].w * cin, ny = (size_t)oh * ow * cout;
        size_t nw = (size_t)k * k * cin * (layers[l].dw ? 1 : cout);
        float *x = bex__malloc_aligned(nx * 4), *y = bex__malloc_aligned(ny * 4);
        float *w = bex__malloc(nw * 4), *b = bex__malloc((size_t)cout * 4);
        fill(x, nx, &seed);
        fill(w, nw, &seed);
        fill(b, (size_t)cout, &seed);
        double flop = 2.0 * oh * ow * cout * k * k * (layers[l].dw ? 1 : cin);
        printf("%-36s |", layers[l].what);
        for (int i = 0; i < nk; i++) {
            nn_kernel_set(ks[i]);
            conv_ctx c = {0};
            c.x = (nn_tensor){layers[l].h, layers[l].w, cin, x};
            c.y = (nn_tensor){oh, ow, cout, y};
            c.stride = st;
            c.pad = layers[l].pad;
            double t;
            if (layers[l].dw) {
                nn_dwconv_init(&c.dw, k, k, cin, w, b, NULL, NULL);
                t = time_call(run_dw, &c);
                nn_dwconv_free(&c.dw);
            } else {
                nn_conv_init(&c.cv, k, k, cin, cout, w, b, NULL, NULL);
                size_t sc = nn_conv2d_scratch(&c.cv, layers[l].h, layers[l].w, st, layers[l].pad);
                c.scratch = bex__malloc_aligned((sc ? sc : 1) * 4);
                t = time_call(run_conv, &c);
                bex__free_aligned(c.scratch);
                nn_conv_free(&c.cv);
            }
            printf(" %7.1f (%6.3f)", flop / t / 1e9, t * 1e3);
            fflush(stdout);
        }
        nn_kernel_set(NULL);
        printf("\n");
        bex__free_aligned(x);
        bex__free_aligned(y);
        bex__free(w);
        bex__free(b);
    }
    return 0;
}
