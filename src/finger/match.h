/*
 * match.h - the fingerprint matcher's internals (src/finger/match*.c): Minutia Cylinder-Code
 * cylinders as bit vectors, the popcount kernels that compare them, and the tunable parameters.
 *
 * A cylinder (Cappelli, Ferrara, Maltoni, "Minutia Cylinder-Code: a new representation and
 * matching technique for fingerprint recognition", IEEE TPAMI 32(12), 2010) is FM_NS x FM_NS
 * x FM_ND cells around one minutia, turned to the minutia's direction. In the bit-based form
 * each cell has two bits: "value" (enough neighbouring minutiae of the cell's relative
 * direction lie near the cell) and "valid" (the cell is inside the cylinder's disc and inside
 * the print's area). A cylinder is FM_WORDS value words then FM_WORDS valid words; a value bit
 * is never set where its valid bit is clear, so every kernel below may rely on v & ~m == 0.
 *
 * Each instruction set gives one fm_kernel (match_kernel.c: plain C and POPCNT;
 * match_avx512.c: AVX-512 VPOPCNTDQ). All return the same integer counts, so the scores are the
 * same whichever runs; tests/unit/test_finger_match.c holds each to the plain one exactly.
 */
#ifndef BEX_FINGER_MATCH_H
#define BEX_FINGER_MATCH_H

#include <stdint.h>

#define FM_NS 16                         /* cells along each side of a cylinder's base */
#define FM_ND 6                          /* direction layers */
#define FM_WORDS (FM_NS * FM_NS * FM_ND / 64) /* 24 x 64 bits = 1536 cells */
#define FM_CYL_WORDS (2 * FM_WORDS)      /* value words, then valid words: 384 bytes */

/* For cylinder a (FM_CYL_WORDS words) against cylinders b + idx[i] * FM_CYL_WORDS, i < n:
 * out[i] = |va & mb| | |vb & ma| << 16 | |va & vb| << 32 | |ma & mb| << 48 (bit counts; each
 * is at most 1536, so the fields never carry into one another). */
typedef void (*fm_row_fn)(const uint64_t *a, const uint64_t *b, const uint8_t *idx, int n,
                          uint64_t *out);
/* The same when every cell of the disc is valid in both: then |va & mb| = |va| and so on, known
 * from preparing, and only out[i] = |va & vb| is counted (a quarter of the work). */
typedef void (*fm_row_and_fn)(const uint64_t *a, const uint64_t *b, const uint8_t *idx, int n,
                              uint32_t *out);

/* The same when one disc is wholly valid: b_full = 0 (a's is) gives out[i] = |va & mb| |
 * |va & vb| << 16, b_full = 1 (b's is) gives |vb & ma| | |va & vb| << 16; the other two counts
 * are then known from preparing (half the work). */
typedef void (*fm_row_half_fn)(const uint64_t *a, const uint64_t *b, const uint8_t *idx, int n,
                               int b_full, uint32_t *out);

typedef struct fm_kernel {
    const char *name;
    fm_row_fn row;
    fm_row_and_fn row_and;
    fm_row_half_fn row_half;
} fm_kernel;

extern const fm_kernel fm_kernel_plain;
#if defined(__x86_64__) || defined(__i386__)
#define BEX__FM_HAVE_X86 1
extern const fm_kernel fm_kernel_popcnt;
extern const fm_kernel fm_kernel_avx512;
#endif

/* The kernel BEX_KERNEL names ("plain" or "scalar", "popcnt", "avx512") if this CPU runs it,
 * else the best it runs. */
const fm_kernel *fm_kernel_best(void);
/* A kernel by name; NULL if unknown or this CPU lacks its instructions. */
const fm_kernel *fm_kernel_by_name(const char *name);

/* The matcher's parameters: defaults chosen on FVC2002 DB1-4 B (docs/fingerprints.md).
 * Tools may change them before preparing anything (not thread-safe); the library never does. */
typedef struct fm_params {
    /* cylinders */
    float radius;     /* R, px: the cylinder's radius */
    float sigma_s;    /* spatial Gaussian, px */
    float sigma_d;    /* directional Gaussian, rad */
    float mu_psi;     /* a cell's bit is set when its contribution reaches this */
    float omega;      /* px the print's area (minutiae hull) is widened by */
    float min_vc;     /* share of a disc's cells that must be valid for a usable cylinder */
    int min_m;        /* neighbours (other minutiae) a usable cylinder needs */
    /* local similarity */
    float min_me;     /* share of all cells two cylinders must both have valid */
    int delta_theta;  /* largest direction difference compared, in 360/256 degree units */
    /* consolidation (LSS-R) */
    int min_np, max_np;
    float mu_p, tau_p;
    int max_nr;       /* most pairs relaxed (0: min(nA, nB), as the paper) */
    int n_rel;        /* relaxation iterations */
    float w_r;        /* weight of a pair's own previous compatibility */
    int rel_min_norm; /* the other pairs' support is averaged over at least this many */
    float mu1, tau1;  /* distance difference, px */
    float mu2, tau2;  /* direction difference, rad */
    float mu3, tau3;  /* radial angle difference, rad */
} fm_params;

fm_params *bex__finger_match_params(void);
/* After changing the parameters: rebuilds the tables made from them (not thread-safe). */
void bex__finger_match_retune(void);

struct bex_finger_prepared;
/* bex_finger_compare_prepared with a given kernel (tests compare the kernels' scores). */
float bex__finger_compare_with(const struct bex_finger_prepared *a,
                               const struct bex_finger_prepared *b, const fm_kernel *kern);

#endif
