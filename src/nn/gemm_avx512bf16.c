/*
 * gemm_avx512bf16.c - an optional GEMM kernel with bf16 products and fp32 sums (vdpbf16ps).
 *
 * Selected only by name (BEX_KERNEL=avx512bf16, nn_kernel_by_name): bf16 keeps 8 bits of
 * mantissa, so its results drift from the fp32 kernels by about 1e-3 of sum |a * b| and bex's
 * fp32 parity tests do not hold under it. Depthwise layers stay fp32 (the avx512 row).
 *
 * vdpbf16ps multiplies 16 pairs of bf16 and adds both products of a pair to one fp32 lane:
 * per instruction 32 multiply-adds, twice what vfmadd231ps does at the same rate (2 a cycle
 * on Zen 5, measured 415 vs 210 GFLOP/s). The layouts follow from the pairs:
 *   packed B, per panel of 32 columns: the bias (32 floats), then ceil(K / 2) rows of 32
 *     uint32, element j of row p holding (B[2p][j], B[2p + 1][j]) as two bf16 (low, high);
 *     an odd K's last pair and the columns past N are zero. Packed once, at nn_conv_init.
 *   A: converted to bf16 by the driver, an mc x kc block at a time, into a stack buffer of
 *     rows of pairs (A[i][2p], A[i][2p + 1]); each block serves every panel of B, so the
 *     conversion costs about 1/N of the products. The microkernel broadcasts one pair per row.
 * The tile is the avx512 one (14 rows x 32 columns in 28 accumulators) with the same epilogue:
 * bias in the accumulators, C added back for later K blocks, ReLU / ReLU6 before the store.
 * K blocks are even, so a pair never straddles two blocks.
 */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "nn/kernel.h"

#define MR 14
#define NR 32
#define KC NN__AVX512BF16_KC
#define ABUF_BYTES 65536   /* the stack block of converted A (mc rows x kc) */
#define KP_MAX (KC / 2)    /* pairs per K block */

#define UNROLL _Pragma("GCC unroll 16")

/* ---------------------------------------------------------------- the tile */

/* C[mr][nc] (op)= A[mr][2 kp] * B[2 kp][nc] with A as rows of kp bf16 pairs (stride lda
 * pairs) and B as kp rows of NR pairs; epilogue as gemm_avx512.c's. */
static inline __attribute__((always_inline)) void
tile(const int mr, const int nv, int nc, int kp, const uint32_t *A, size_t lda,
     const uint32_t *B, const float *bias, float *C, size_t ldc, int flags) {
    __m512 c0[MR], c1[MR];
    const int tail = nc - 16 * (nv - 1);
    const __mmask16 m = tail >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << tail) - 1u);
    UNROLL for (int i = 0; i < mr; i++) {
        __builtin_prefetch(C + i * ldc, 1, 3);
        if (nv == 2) __builtin_prefetch(C + i * ldc + 16, 1, 3);
    }
    const int acc = flags & NN_UK_ACC;
    const __m512 b0 = !acc && bias ? _mm512_loadu_ps(bias) : _mm512_setzero_ps();
    const __m512 b1 = !acc && bias ? _mm512_loadu_ps(bias + 16) : _mm512_setzero_ps();
    UNROLL for (int i = 0; i < mr; i++) {
        c0[i] = b0;
        if (nv == 2) c1[i] = b1;
    }
    const uint32_t *a[MR];
    UNROLL for (int i = 0; i < mr; i++) a[i] = A + i * lda;
    for (int p = 0; p < kp; p++) {
        const __m512bh v0 = (__m512bh)_mm512_loadu_si512(B + (size_t)p * NR); /* [kp][32] */
        const __m512bh v1 =
            nv == 2 ? (__m512bh)_mm512_loadu_si512(B + (size_t)p * NR + 16) : v0;
        UNROLL for (int i = 0; i < mr; i++) {
            const __m512bh av = (__m512bh)_mm512_set1_epi32((int)a[i][p]);
            c0[i] = _mm512_dpbf16_ps(c0[i], av, v0);
            if (nv == 2) c1[i] = _mm512_dpbf16_ps(c1[i], av, v1);
        }
    }
    if (acc) {
        UNROLL for (int i = 0; i < mr; i++) {
            if (nv == 1) {
                c0[i] = _mm512_add_ps(c0[i], _mm512_maskz_loadu_ps(m, C + i * ldc));
            } else {
                c0[i] = _mm512_add_ps(c0[i], _mm512_loadu_ps(C + i * ldc));
                c1[i] = _mm512_add_ps(c1[i], _mm512_maskz_loadu_ps(m, C + i * ldc + 16));
            }
        }
    }
    const int act = (flags >> NN_UK_ACT_SHIFT) & 3;
    if (act != NN_ACT_NONE) {
        const __m512 z = _mm512_setzero_ps(), six = _mm512_set1_ps(6.0f);
        UNROLL for (int i = 0; i < mr; i++) {
            c0[i] = _mm512_max_ps(c0[i], z);
            if (nv == 2) c1[i] = _mm512_max_ps(c1[i], z);
            if (act == NN_ACT_RELU6) {
                c0[i] = _mm512_min_ps(c0[i], six);
                if (nv == 2) c1[i] = _mm512_min_ps(c1[i], six);
            }
        }
    }
    UNROLL for (int i = 0; i < mr; i++) {
        if (nv == 1) {
            _mm512_mask_storeu_ps(C + i * ldc, m, c0[i]);
        } else {
            _mm512_storeu_ps(C + i * ldc, c0[i]);
            _mm512_mask_storeu_ps(C + i * ldc + 16, m, c1[i]);
        }
    }
}

#define INST(r)                                                                                \
    static void tile_##r##_1(int nc, int kp, const uint32_t *A, size_t lda, const uint32_t *B, \
                             const float *bias, float *C, size_t ldc, int flags) {             \
        tile(r, 1, nc, kp, A, lda, B, bias, C, ldc, flags);                                    \
    }                                                                                          \
    static void tile_##r##_2(int nc, int kp, const uint32_t *A, size_t lda, const uint32_t *B, \
                             const float *bias, float *C, size_t ldc, int flags) {             \
        tile(r, 2, nc, kp, A, lda, B, bias, C, ldc, flags);                                    \
    }
INST(1) INST(2) INST(3) INST(4) INST(5) INST(6) INST(7)
INST(8) INST(9) INST(10) INST(11) INST(12) INST(13) INST(14)

typedef void (*tile_fn)(int, int, const uint32_t *, size_t, const uint32_t *, const float *,
                        float *, size_t, int);
#define PAIR(r) {tile_##r##_1, tile_##r##_2}
static const tile_fn tiles[MR + 1][2] = {{0, 0},   PAIR(1),  PAIR(2),  PAIR(3),  PAIR(4),
                                         PAIR(5),  PAIR(6),  PAIR(7),  PAIR(8),  PAIR(9),
                                         PAIR(10), PAIR(11), PAIR(12), PAIR(13), PAIR(14)};

/* ---------------------------------------------------------------- conversions */

/* One row of A, kc floats -> ceil(kc / 2) bf16 pairs (round to nearest even), zero padded up
 * to a multiple of 16 pairs; dst has room for that. */
static void convert_row(const float *src, int kc, uint32_t *dst) {
    int k = 0;
    for (; k + 32 <= kc; k += 32) {
        __m512bh h = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(src + k + 16), _mm512_loadu_ps(src + k));
        _mm512_storeu_si512(dst + k / 2, (__m512i)h);
    }
    if (k < kc) {
        const int r = kc - k; /* 1..31 */
        const __mmask16 m0 = r >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << r) - 1u);
        const __mmask16 m1 = r > 16 ? (__mmask16)((1u << (r - 16)) - 1u) : 0;
        __m512bh h = _mm512_cvtne2ps_pbh(_mm512_maskz_loadu_ps(m1, src + k + 16),
                                         _mm512_maskz_loadu_ps(m0, src + k));
        _mm512_storeu_si512(dst + k / 2, (__m512i)h);
    }
}

/* Pairs per row of a converted A block of kc columns: whole 16-pair vectors, and not a
 * multiple of 4 KiB (rows that alias in L1 evict each other, see kernel.c). */
static size_t a_stride(int kc) {
    size_t s = ((size_t)(kc + 1) / 2 + 15) & ~(size_t)15;
    if (s % 1024 == 0) s += 16;
    return s;
}

/* K block: at most KC, as even as possible, and even so pairs stay whole. */
static int k_step(int K) {
    if (K <= KC) return K;
    int nb = (K + KC - 1) / KC, ks = (K + nb - 1) / nb;
    return ks + (ks & 1);
}

/* ---------------------------------------------------------------- packing B */

size_t nn__pack_b_size_avx512bf16(int K, int N) {
    if (K < 0 || N < 0) return 0;
    /* floats per panel: NR of bias + NR per pair of K rows */
    size_t panels = ((size_t)N + NR - 1) / NR, per = ((size_t)K / 2 + (size_t)(K & 1) + 1) * NR;
    if (panels && per > SIZE_MAX / panels) return 0;
    return panels ? panels * per : NR; /* never 0 for a valid shape */
}

void nn__pack_b_avx512bf16(int K, int N, const float *B, size_t ldb, const float *bias,
                           float *packed) {
    const int kp = (K + 1) / 2;
    /* cvtne2ps_pbh(r1, r0) holds r0's 16 bf16 then r1's; this interleaves them into pairs */
    const __m512i il = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9,
                                        24, 8, 23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1,
                                        16, 0);
    for (int j0 = 0; j0 < N; j0 += NR) {
        const int nc = N - j0 < NR ? N - j0 : NR;
        float *p = packed + (size_t)(j0 / NR) * (size_t)(kp + 1) * NR;
        memset(p, 0, (size_t)(kp + 1) * NR * sizeof *p);
        if (bias) memcpy(p, bias + j0, (size_t)nc * sizeof *p);
        uint32_t *rows = (uint32_t *)(p + NR);
        for (int q = 0; q < kp; q++)
            for (int v = 0; v < 2 && 16 * v < nc; v++) {
                const int n = nc - 16 * v < 16 ? nc - 16 * v : 16;
                const __mmask16 m = (__mmask16)((1u << n) - 1u);
                const float *r0 = B + (size_t)(2 * q) * ldb + j0 + 16 * v;
                const __m512 x0 = _mm512_maskz_loadu_ps(m, r0);
                const __m512 x1 = 2 * q + 1 < K ? _mm512_maskz_loadu_ps(m, r0 + ldb)
                                                : _mm512_setzero_ps();
                const __m512i h = (__m512i)_mm512_cvtne2ps_pbh(x1, x0);
                _mm512_storeu_si512(rows + (size_t)q * NR + 16 * v,
                                    _mm512_permutexvar_epi16(il, h));
            }
    }
}

/* ---------------------------------------------------------------- drivers */

/* C[M][N] = act(A * B + bias), B packed by nn__pack_b_avx512bf16. Loops ic -> pc (convert the
 * mc x kc block of A) -> jr -> ir; allocates nothing (ABUF_BYTES of stack). */
void nn__gemm_packed_avx512bf16(int M, int N, int K, const float *A, size_t lda,
                                const float *packed, nn_act act, float *C, size_t ldc) {
    if (M <= 0 || N <= 0 || K < 0) return;
    _Alignas(64) uint32_t buf[ABUF_BYTES / 4];
    const int kp_all = (K + 1) / 2, ks = k_step(K);
    const size_t pstride = (size_t)(kp_all + 1) * NR; /* floats (= uint32) per panel */
    const size_t sa = a_stride(ks);                   /* pairs per converted row */
    int mc = (int)(ABUF_BYTES / 4 / sa);
    mc -= mc % MR;
    if (mc < MR) mc = MR; /* sa <= KP_MAX + 16, so 14 rows always fit */
    for (int ic = 0; ic < M; ic += mc) {
        const int mb = M - ic < mc ? M - ic : mc;
        for (int pc = 0;;) {
            const int kc = K - pc < ks ? K - pc : ks, kp = (kc + 1) / 2;
            const int flags =
                (pc > 0 ? NN_UK_ACC : 0) | (pc + kc >= K ? (int)act << NN_UK_ACT_SHIFT : 0);
            for (int i = 0; i < mb; i++)
                convert_row(A + (size_t)(ic + i) * lda + pc, kc, buf + (size_t)i * sa);
            const float *panel = packed;
            for (int jr = 0; jr < N; jr += NR, panel += pstride) {
                const int nc = N - jr < NR ? N - jr : NR;
                const uint32_t *b = (const uint32_t *)(panel + NR) + (size_t)(pc / 2) * NR;
                for (int ir = 0; ir < mb; ir += MR) {
                    const int m = mb - ir < MR ? mb - ir : MR;
                    tiles[m][nc > 16](nc, kp, buf + (size_t)ir * sa, sa, b, panel,
                                      C + (size_t)(ic + ir) * ldc + jr, ldc, flags);
                }
            }
            pc += kc;
            if (pc >= K) break;
        }
    }
}

/* The nn_ukernel_fn seam with a float A: B is kc / 2 (rounded up) rows of NR pairs as in a
 * packed panel, so kc must be even unless it reaches the end of K. Converts A's strip on
 * every call (the driver above converts once per block instead). */
void nn__ukernel_avx512bf16(int mr, int nc, int kc, const float *A, size_t lda, const float *B,
                            const float *bias, float *C, size_t ldc, int flags) {
    _Alignas(64) uint32_t strip[MR * (KP_MAX + 16)];
    for (int pc = 0;;) {
        const int k = kc - pc < KC ? kc - pc : KC, kp = (k + 1) / 2;
        const size_t sa = a_stride(k);
        for (int i = 0; i < mr; i++) convert_row(A + (size_t)i * lda + pc, k, strip + i * sa);
        const int last = pc + k >= kc;
        tiles[mr][nc > 16](nc, kp, strip, sa, (const uint32_t *)B + (size_t)(pc / 2) * NR,
                           pc == 0 ? bias : NULL, C, ldc,
                           (pc > 0 ? NN_UK_ACC : 0) | (flags & NN_UK_ACC) |
                               (last ? flags & ~NN_UK_ACC : 0));
        pc += k;
        if (pc >= kc) break;
    }
}

/* Plain C = A * B: packs one kc x NR panel of B at a time on the stack (24 KiB). */
void nn__sgemm_avx512bf16(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                          float *C, int ldc) {
    if (M <= 0 || N <= 0 || K < 0) return;
    _Alignas(64) float panel[(KP_MAX + 1) * NR];
    const int ks = k_step(K);
    for (int pc = 0;;) {
        const int kc = K - pc < ks ? K - pc : ks;
        for (int jr = 0; jr < N; jr += NR) {
            const int nc = N - jr < NR ? N - jr : NR;
            nn__pack_b_avx512bf16(kc, nc, B + (size_t)pc * (size_t)ldb + jr, (size_t)ldb, NULL,
                                  panel);
            for (int ir = 0; ir < M; ir += MR)
                nn__ukernel_avx512bf16(M - ir < MR ? M - ir : MR, nc, kc,
                                       A + (size_t)ir * (size_t)lda + pc, (size_t)lda,
                                       panel + NR, NULL, C + (size_t)ir * (size_t)ldc + jr,
                                       (size_t)ldc, pc > 0 ? NN_UK_ACC : 0);
        }
        pc += kc;
        if (pc >= K) break;
    }
}
