/*
 * calibration_table.h - the row types of the generated calibration tables
 * (calibration_<alignment>.inc, written by `bex eval calibrate --c-table FILE`).
 */
#ifndef BEX_FACE_CALIBRATION_TABLE_H
#define BEX_FACE_CALIBRATION_TABLE_H

#include <stddef.h>

typedef struct bex__cal_row {
    double target;                      /* the FMR this row is calibrated for */
    float threshold;                    /* lowest score bin edge with FMR <= target */
    unsigned long long false_matches;   /* non-mated comparisons at or above threshold */
    double upper95;                     /* one-sided 95% Clopper-Pearson bound on the FMR */
    double fnmr;                        /* mated comparisons below threshold */
    double heldout_fmr;                 /* FMR on the other half of the people */
} bex__cal_row;

typedef struct bex__cal_fpir {
    int n, trials;                      /* gallery size, random galleries searched */
    double fpir, fmr_used;              /* target FPIR; 1 - (1 - fpir)^(1/n) */
    float threshold;                    /* the table's threshold for fmr_used */
    size_t searches, false_positives;   /* non-mated searches; of which top score >= threshold */
    double measured;                    /* false_positives / searches */
} bex__cal_fpir;

typedef struct bex__cal_info {
    const char *align;
    unsigned long long comparisons, mated;
    int people, images, with_face;
    unsigned long long seed;
    const char *evidence;
} bex__cal_info;

#endif
