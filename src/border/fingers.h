/*
 * fingers.h - the border's fingerprint steps (src/border/fingers.c), for crossing.c: gather and
 * record only; rules.h decides.
 */
#ifndef BEX_BORDER_FINGERS_H
#define BEX_BORDER_FINGERS_H

#include "bex/border.h"
#include "bex/finger.h"
#include "bex/rules.h"

#define BEX_FINGER_TABLE_ROWS 80

/* The finger comparator's calibrated table (finger.h: bex_finger_operating_point_verify, ten targets a
 * decade from 0.1 down to the lowest it supports) as a bex_calibration for
 * bex_calibration_fmr_at. BEX_ERR_UNSUPPORTED when there is none. */
int bex__finger_table(bex_calibration *c, bex_calibration_row rows[BEX_FINGER_TABLE_ROWS]);

/* What an entry's fingers are, position by position (bex_finger_enrol_check says usable or
 * not; no template: declared missing). BEX_ERR_ARG for a bad or repeated position. */
int bex__entry_finger_states(const bex_finger_capture *fingers, int n, bex_finger_state states[11], char *err,
                             size_t errlen);
/* Records an entry's fingers as the plan says, and the encounter's prints. */
int bex__entry_fingers_record(bex_store *st, const bex_entry_request *rq, const bex_finger_plan *plan,
                              int64_t subject, int64_t encounter, int citizen, const char *at, char *err,
                              size_t errlen);
/* Compares fingers 1:1 with `subject`'s enrolled ones (subject > 0, target fmr_1to1) or 1:N
 * with every non-citizen's (target: FPIR fpir at the finger gallery's size); face_subject's
 * candidate gets face_fmr (the face's evidence), every other 1. Inside a transaction. */
int bex__finger_compare(bex_store *st, const bex_finger_capture *fingers, int n, int64_t subject,
                        int64_t face_subject, double face_fmr, double fpir, double fmr_1to1,
                        bex_finger_decision *out, char *err, size_t errlen);

#endif
