/*
 * calibration_table.h - the finger comparator's FMR -> threshold table (src/finger/calibration.c).
 * No table yet: the extractor and the matcher are still being tuned. Make it with
 *   bex eval finger --fvc2002 ../shared/data/fvc2002 --calibrate src/finger/calibration_table.h
 * which overwrites this file; until then bex_finger_operating_point_verify says so.
 */
#ifndef BEX_FINGER_CALIBRATION_TABLE_H
#define BEX_FINGER_CALIBRATION_TABLE_H

#include <stddef.h>

typedef struct bex__finger_cal_row {
    double target;         /* the FMR asked for */
    float threshold;       /* a score at or above it is a match */
    unsigned long long false_matches; /* non-mated comparisons at or above threshold */
    double fmr_measured;   /* false_matches / comparisons (<= target) */
    double fmr_upper95;    /* one-sided 95% Clopper-Pearson bound on it */
    double fnmr;           /* genuine pairs below threshold / genuine pairs */
} bex__finger_cal_row;

/* from the highest target down, thresholds rising */
static const bex__finger_cal_row FINGER_CAL_ROWS[1] = {{0, 0, 0, 0, 0, 0}};
#define FINGER_CAL_N 0 /* rows */

#define FINGER_CAL_COMPARISONS 0ULL
#define FINGER_CAL_MATED 0ULL
#define FINGER_CAL_EVIDENCE "none yet"

#endif
