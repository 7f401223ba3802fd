/*
 * calibration.h - decision thresholds of the bundled face model for a stated operating
 * point: a target false match rate (1:1 verification), or a target false positive
 * identification rate at a gallery size (1:N identification).
 *
 *   bex_operating_point op;
 *   char err[256];
 *   if (bex_operating_point_verify(BEX_ALIGN_DEFAULT, 1e-3, &op, err, sizeof err) == BEX_OK)
 *       match = similarity >= op.threshold;          // and say op.name: "FMR 0.001"
 *   bex_operating_point_identify(BEX_ALIGN_DEFAULT, 0.003, 420, &op, err, sizeof err);
 *                                                    // "FPIR 0.003 at N=420"
 *
 * Where the thresholds come from: `bex eval calibrate` on LFW (README.md, "Calibrated
 * thresholds"): every cross-identity pair of LFW's images is a non-mated comparison (about 88
 * million), and the threshold for a target FMR is the lowest at which at most that fraction
 * of them score at or above it. The table has forty targets per decade, from 0.1 down to the
 * smallest FMR with at least 10 expected false matches; a request between two targets gets the
 * stricter one (op.fmr <= the FMR asked for, by at most 6%). 1:N: a gallery of N people gives a non-mated
 * probe N chances, so FPIR at gallery size N is set through the per-comparison FMR
 * 1 - (1 - FPIR)^(1/N) (independent comparisons); `bex eval calibrate` measures the FPIR
 * that threshold actually gives on LFW galleries of 100..3,000 people (see op.fpir_*).
 *
 * Limits a user must know: LFW is news photographs of mostly adult public figures; a border's
 * population, cameras and ages differ, and FMR varies between demographic groups (NIST IR
 * 8280). These thresholds are a calibrated starting point, to be re-calibrated on operational
 * non-mated data. Clopper-Pearson bounds assume independent comparisons; LFW's comparisons
 * share images, so op.fmr_upper95 is optimistic; op.heldout_fmr (threshold fitted on half of
 * the people, FMR measured on the other half) shows how far an FMR moves on new people.
 */
#ifndef BEX_CALIBRATION_H
#define BEX_CALIBRATION_H

#include "bex/bex.h"
#include "bex/face.h"
#include "bex/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The operating points bex uses when none is asked for: FMR 0.001 for 1:1 (Frontex's best
 * practice for automated border control gates asks at most 0.001), FPIR 0.003 for 1:N
 * (NIST's paperless-travel evaluation, NISTIR 8381). */
#define BEX_DEFAULT_FMR 1e-3
#define BEX_DEFAULT_FPIR 0.003

typedef enum bex_op_kind {
    BEX_OP_VERIFY = 0,   /* 1:1, a target FMR */
    BEX_OP_IDENTIFY = 1, /* 1:N, a target FPIR at gallery size N */
} bex_op_kind;

typedef struct bex_operating_point {
    bex_op_kind kind;
    double target;             /* the FMR (verify) or FPIR (identify) asked for */
    long long gallery_size;    /* identify: N; verify: 1 */
    double fmr;                /* the calibrated per-comparison FMR whose threshold is used:
                                  the largest table target <= the FMR needed */
    float threshold;           /* a similarity at or above it is a match */
    double fmr_measured;       /* non-mated comparisons at or above threshold / comparisons */
    double fmr_upper95;        /* one-sided 95% Clopper-Pearson bound on it */
    double fnmr_measured;      /* LFW's mated comparisons below threshold (TAR = 1 - this) */
    double heldout_fmr;        /* FMR on people not used to fit the threshold */
    unsigned long long comparisons;   /* non-mated comparisons behind the estimate */
    unsigned long long false_matches; /* of which at or above threshold */
    char name[64];             /* "FMR 0.001", "FPIR 0.003 at N=420" */
} bex_operating_point;

/* The threshold for 1:1 verification at a target FMR (0 < fmr <= 0.1). BEX_ERR_ARG for a
 * target outside (0, 0.1]; BEX_ERR_UNSUPPORTED when the target is below what the calibration
 * data can support (the message says the smallest supported FMR). */
int bex_operating_point_verify(bex_align align, double fmr, bex_operating_point *out, char *err,
                               size_t errlen);

/* The threshold for 1:N identification at a target FPIR (0 < fpir <= 0.1) with a gallery of
 * n >= 1 people. Same errors; a large gallery needs a small per-comparison FMR, so for this
 * model and calibration set FPIR 0.003 is supported up to about N = 25,000 people. */
int bex_operating_point_identify(bex_align align, double fpir, long long n,
                                 bex_operating_point *out, char *err, size_t errlen);

/* Operating points of any model: m NULL is the built-in model with `align` (as the two
 * calls above); otherwise the model described by m (model.h), whose thresholds are read from
 * its calibration file, m->calibration (<description>.calibration.json, written by
 * `bex eval calibrate --model FILE`). A model without that file is BEX_ERR_UNSUPPORTED with a
 * message telling the operator to calibrate it: there is no default threshold for a model
 * bex has not measured. A file made for another model identity (other weights, other
 * preprocessing) is refused the same way; a malformed one is BEX_ERR_CORRUPT. The file is
 * read at each call. Its format (docs/models.md):
 *   {"model": "<identity>", "comparisons": N, "evidence": "...",
 *    "rows": [[target_fmr, threshold, false_matches, fmr_upper95, fnmr, heldout_fmr], ...]}
 * rows from the highest target down, as the compiled-in tables. */
int bex_operating_point_verify_model(const bex_model *m, bex_align align, double fmr,
                                     bex_operating_point *out, char *err, size_t errlen);
int bex_operating_point_identify_model(const bex_model *m, bex_align align, double fpir,
                                       long long n, bex_operating_point *out, char *err,
                                       size_t errlen);

/* One row of a calibration table, as `bex eval calibrate` measures it. */
typedef struct bex_calibration_row {
    double target;                    /* the FMR this row is calibrated for, (0, 0.1] */
    float threshold;                  /* the lowest score with FMR <= target */
    unsigned long long false_matches; /* non-mated comparisons at or above threshold */
    double upper95;                   /* one-sided 95% Clopper-Pearson bound on the FMR */
    double fnmr;                      /* mated comparisons below threshold */
    double heldout_fmr;               /* FMR on people held out of the fit */
} bex_calibration_row;

/* Writes m's calibration file (m->calibration, for m->identity) from n rows, highest target
 * first with thresholds rising, measured on `comparisons` non-mated comparisons; evidence is
 * one line saying on what and how (may be NULL). Written to a temporary file, synced and
 * renamed, so a reader sees the old table or the new one. BEX_ERR_ARG for rows out of order
 * or range, BEX_ERR_IO when it cannot be written. What `bex eval calibrate --model` calls. */
int bex_calibration_save_model(const bex_model *m, const bex_calibration_row *rows, size_t n,
                               unsigned long long comparisons, const char *evidence, char *err,
                               size_t errlen);

/* The smallest FMR the shipped calibration supports for `align`. */
double bex_calibration_min_fmr(bex_align align);

/* One line saying what the calibration was measured on (data, comparisons, date, command).
 * Static; never NULL. */
const char *bex_calibration_evidence(bex_align align);

#ifdef __cplusplus
}
#endif
#endif
