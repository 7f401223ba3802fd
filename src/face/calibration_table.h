/*
 * calibration_table.h - the row types of the generated calibration tables
 * (calibration_<alignment>.inc, written by `bex eval calibrate --c-table FILE`).
 */
#ifndef BEX_FACE_CALIBRATION_TABLE_H
#define BEX_FACE_CALIBRATION_TABLE_H

#include <stddef.h>

#include "bex/calibration.h"

/* {target FMR, threshold, false matches, FMR upper 95%, FNMR, held-out FMR}: the public row
 * (calibration.h), so that a bex_calibration points at the shipped rows as at applied ones */
typedef bex_calibration_row bex__cal_row;

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
