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
    char calibration[128];     /* the table it came from (bex_calibration.name): "shipped LFW
                                  table (similarity)", "applied calibration 7 (port JFK,
                                  2026-12-06T11:00:00Z)" */
    long long calibration_id;  /* a store's applied calibration id; 0: the shipped table */
} bex_operating_point;

/* The decision at an operating point: 1 when score (a similarity; NAN: none) is at or above its
 * threshold. Every program's match / no-match goes through this one comparison (issue 11). */
int bex_operating_point_accepts(const bex_operating_point *op, float score);

/* The FMR -> threshold table a decision uses, named so that its output can say which: the
 * shipped table of the built-in model (LFW), or a calibration an operator applied to a store
 * (`bex eval calibrate --store DB --apply FILE`, store.h: bex_store_calibration_for). A value
 * that points at its rows, it owns nothing: the rows live as long as whoever made it keeps
 * them (the shipped ones for ever, a store's until its next reload). Made by
 * bex_calibration_shipped or bex_calibration_applied, read by the *_in calls below, which
 * derive operating points from it exactly as the shipped calls do (they are the same code).
 *
 *   bex_calibration c;
 *   bex_calibration_applied(rows, n, 1200000, 7, "port", "JFK", "2026-12-06T11:00:00Z", &c, err, sizeof err);
 *   bex_operating_point_identify_in(&c, BEX_DEFAULT_FPIR, 420, &op, err, sizeof err);
 *   // op.threshold from rows; op.calibration "applied calibration 7 (port JFK, 2026-12-06T11:00:00Z)"
 */
typedef struct bex_calibration_row bex_calibration_row;

typedef enum bex_calib_source {
    BEX_CALIB_SHIPPED = 0,    /* the built-in model's LFW table, compiled in */
    BEX_CALIB_APPLIED = 1,    /* a calibration applied to a store, on its own data */
    BEX_CALIB_MODEL_FILE = 2, /* another model's calibration file (model.h) */
} bex_calib_source;

typedef struct bex_calibration {
    const bex_calibration_row *rows; /* from the highest target down, thresholds rising */
    size_t n_rows;
    unsigned long long comparisons;  /* non-mated comparisons behind the table */
    bex_calib_source source;         /* shipped, applied to a store, or a model's own file */
    bex_align align;                 /* shipped: whose table */
    long long id;                    /* applied: its id in the store (calibrations.id) */
    char scope[8];                   /* applied: "model", "port" or "camera" */
    char key[32];                    /* applied: the port or camera ("" for a model's) */
    char applied_at[24];             /* applied: when it was put in force */
    char name[128];                  /* what a decision's output names (see bex_operating_point) */
} bex_calibration;

/* The shipped LFW table of the built-in model with `align`. Never fails. */
void bex_calibration_shipped(bex_align align, bex_calibration *out);

/* An applied table from n rows (not copied: keep them while *out is used), highest target
 * first with thresholds rising, as bex_calibration_save_model checks; comparisons >= 1. scope
 * "model", "port" or "camera"; key the port or camera (NULL or "" for "model"); applied_at
 * when it was put in force. BEX_ERR_ARG for rows out of order or range. */
int bex_calibration_applied(const bex_calibration_row *rows, size_t n, unsigned long long comparisons,
                            long long id, const char *scope, const char *key, const char *applied_at,
                            bex_calibration *out, char *err, size_t errlen);

/* Operating points from a calibration: the calls below with the table c instead of the
 * shipped one. 1:N sets FPIR f at gallery size n through the per-comparison FMR
 * 1 - (1 - f)^(1/n) and takes the largest row target <= it; a target below the table's
 * smallest is BEX_ERR_UNSUPPORTED (never extrapolated), the message naming the calibration.
 * out->calibration and out->calibration_id name c. */
int bex_operating_point_verify_in(const bex_calibration *c, double fmr, bex_operating_point *out,
                                  char *err, size_t errlen);
int bex_operating_point_identify_in(const bex_calibration *c, double fpir, long long n,
                                    bex_operating_point *out, char *err, size_t errlen);

/* The smallest FMR c supports (its last row's target). */
double bex_calibration_min_fmr_in(const bex_calibration *c);

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

/* A described model's calibration file (m->calibration, as the two calls above read it) as a
 * table: *rows (free()) holds its rows and out->rows points at them; source
 * BEX_CALIB_MODEL_FILE. The same refusals: BEX_ERR_UNSUPPORTED without a file or for another
 * identity's ("model ... has no calibration ...: run `bex eval calibrate --model FILE`"). What
 * a store opened with that model decides with when no calibration is applied to it. */
int bex_calibration_model_load(const bex_model *m, bex_calibration *out, bex_calibration_row **rows,
                               char *err, size_t errlen);

/* One row of a calibration table, as `bex eval calibrate` measures it (the shipped tables'
 * rows too: src/face/calibration_table.h). */
struct bex_calibration_row {
    double target;                    /* the FMR this row is calibrated for, (0, 0.1] */
    float threshold;                  /* the lowest score with FMR <= target */
    unsigned long long false_matches; /* non-mated comparisons at or above threshold */
    double upper95;                   /* one-sided 95% Clopper-Pearson bound on the FMR */
    double fnmr;                      /* mated comparisons below threshold */
    double heldout_fmr;               /* FMR on people held out of the fit */
};

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

/* ---- calibration on a deployment's own data (`bex eval calibrate --store DB`) ----------------
 *
 * The shipped table is LFW's; a border's cameras and travellers are not (on grey laboratory
 * photos the FMR measured at the FMR 0.001 threshold ran 5 to 30 times too high). These
 * functions compute the same table, by the same method as the LFW calibration, from any set of
 * non-mated scores, e.g. templates of different travellers in the store (store.h:
 * bex_store_calibration_scores), and test whether live non-mated scores still agree with it.
 *
 *   bex_calib_table *t = malloc(sizeof *t);
 *   if (bex_calib_table_from_scores(nm, half, n_nm, mated, n_m, 0, t, err, sizeof err) == BEX_OK)
 *       ... t->rows[i].target, .threshold, .false_matches, .upper95, .heldout_fmr ...
 *   bex_drift d;
 *   bex_drift_test(live, n_live, t_at_0_01, 0.01, 0, 0, &d, err, sizeof err);  // d.alarm
 *
 * The rule on how much data a target needs: a target FMR f is calibrated only where at least
 * BEX_CALIB_MIN_EXPECTED (10) false matches are expected, i.e. at least 10 / f non-mated
 * comparisons; with 10 false matches the one-sided 95% Clopper-Pearson bound is within a
 * factor of 1.7 of the estimate (with 3, the rule of three, it would be a factor of 2.6). A
 * set with fewer comparisons than asked (min_comparisons; by default 10 / BEX_DEFAULT_FMR =
 * 10,000, so that the default operating point is supported) is refused, the message naming
 * the count needed. */
#define BEX_CALIB_MIN_EXPECTED 10.0
#define BEX_CALIB_ROWS_PER_DECADE 40
#define BEX_CALIB_MAX_ROWS (8 * BEX_CALIB_ROWS_PER_DECADE)

/* The non-mated comparisons a target FMR needs: ceil(BEX_CALIB_MIN_EXPECTED / fmr). */
unsigned long long bex_calib_comparisons_needed(double fmr);

typedef struct bex_calib_row {
    double target;             /* the FMR asked for (40 a decade from 0.1 down) */
    double threshold;          /* lowest 1e-5 bin edge with at most target x n at or above */
    unsigned long long false_matches; /* non-mated comparisons at or above threshold */
    double fmr;                /* false_matches / nonmated */
    double upper95;            /* one-sided 95% Clopper-Pearson bound on it */
    double fnmr;               /* mated comparisons below threshold / mated (NAN: none given) */
    double heldout_threshold;  /* fitted on half A's comparisons only */
    unsigned long long heldout_false; /* half B's comparisons at or above heldout_threshold */
    double heldout_fmr;        /* heldout_false / half B's comparisons (NAN: no halves) */
} bex_calib_row;

typedef struct bex_calib_table {
    unsigned long long nonmated, mated;         /* comparisons behind the table */
    unsigned long long half_a, half_b;          /* held-out: fitting and checking comparisons */
    size_t n_rows;
    bex_calib_row rows[BEX_CALIB_MAX_ROWS];     /* targets from 0.1 down, while n x f >= 10 */
} bex_calib_table;

/* The FMR -> threshold table of n non-mated scores (cosine similarities in [-1, 1]). half[i]
 * (NULL: no held-out check) is 0 when both templates of comparison i belong to half A of the
 * people, 1 when both to half B, anything else when the comparison spans the halves. mated
 * (NULL or n_mated 0: no FNMR) are mated scores. min_comparisons 0 means
 * bex_calib_comparisons_needed(BEX_DEFAULT_FMR); fewer non-mated scores than that (and never
 * fewer than the 100 the 0.1 row needs) is BEX_ERR_UNSUPPORTED with a message naming both
 * counts. A NaN score is BEX_ERR_ARG. Memory: about 6 MB of histograms while it runs. */
int bex_calib_table_from_scores(const float *nonmated, const signed char *half, size_t n,
                                const float *mated, size_t n_mated,
                                unsigned long long min_comparisons, bex_calib_table *out,
                                char *err, size_t errlen);

/* The row an FMR f uses (the largest target <= f, as the shipped table), or NULL when the
 * table does not reach that low. */
const bex_calib_row *bex_calib_table_row(const bex_calib_table *t, double fmr);

/* ---- drift: do live non-mated scores still agree with the calibration? -------------------
 *
 * Given a window of live non-mated scores and the calibrated threshold for FMR f, the count at
 * or above the threshold is Binomial(n, f) while the calibration holds. The test is two-sided
 * at level alpha: an alarm when P(X >= k) < alpha / 2 (the population's impostor scores have
 * risen: more false matches than the operating point says, a security problem) or P(X <= k) <
 * alpha / 2 (fallen: the threshold is stricter than it needs, more travellers rejected). A
 * window with fewer than min_comparisons scores (0: BEX_CALIB_MIN_EXPECTED / f, at least 10
 * expected above) gives no verdict (enough = 0, alarm = 0). */
#define BEX_DRIFT_ALPHA 0.001

typedef struct bex_drift {
    double fmr;                       /* the calibrated FMR watched */
    double threshold;                 /* its threshold */
    unsigned long long comparisons;   /* live non-mated scores in the window */
    unsigned long long above;         /* of which at or above the threshold */
    double observed;                  /* above / comparisons */
    double ratio;                     /* observed / fmr */
    double p_high, p_low;             /* P(X >= above), P(X <= above) for X ~ Binomial(n, fmr) */
    double alpha;                     /* the test's level */
    int enough;                       /* 1: comparisons >= the minimum: a verdict was reached */
    int alarm;                        /* 1: the distribution has moved (direction below) */
    int direction;                    /* +1 more scores above than expected, -1 fewer, 0 none */
} bex_drift;

/* alpha 0: BEX_DRIFT_ALPHA. 0 < fmr < 1; a NaN score is BEX_ERR_ARG. */
int bex_drift_test(const float *scores, size_t n, double threshold, double fmr, double alpha,
                   unsigned long long min_comparisons, bex_drift *out, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
