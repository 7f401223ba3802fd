/*
 * test_calibration.c - the shipped operating points (include/bex/calibration.h): the table is
 * consistent, requests pick the stricter calibrated row, 1:N thresholds grow with the
 * gallery, and targets the evidence cannot support are refused, not extrapolated.
 */
#include "bex/calibration.h"
#include <unistd.h>

#include "test.h"

static const bex_align aligns[3] = {BEX_ALIGN_SIMILARITY, BEX_ALIGN_FACEAPI, BEX_ALIGN_KEYPOINTS};
static const char *const align_names[3] = {"(similarity)", "(faceapi)", "(keypoints)"};

TEST(default_operating_point) {
    for (int a = 0; a < 3; a++) {
        bex_operating_point op;
        char err[256];
        CHECK(bex_operating_point_verify(aligns[a], BEX_DEFAULT_FMR, &op, err, sizeof err) == BEX_OK);
        CHECK(strcmp(op.name, "FMR 0.001") == 0);
        CHECK(op.kind == BEX_OP_VERIFY && op.gallery_size == 1);
        CHECK_NEAR(op.fmr, 1e-3, 1e-12); /* 0.001 is a row of the table: used exactly */
        CHECK(op.fmr_measured <= op.fmr);
        CHECK(op.fmr_measured > op.fmr / 2); /* bins of 1e-5 are fine enough to get close */
        CHECK(op.fmr_upper95 > op.fmr_measured && op.fmr_upper95 < 2 * op.fmr);
        CHECK(op.comparisons > 10000000ULL); /* the whole of LFW's non-mated pairs */
        CHECK(op.false_matches == (unsigned long long)(op.fmr_measured * op.comparisons + 0.5));
        CHECK(op.fnmr_measured > 0 && op.fnmr_measured < 0.5);
        CHECK(op.heldout_fmr > 0 && op.heldout_fmr < 0.01);
        CHECK(op.threshold > 0.5f && op.threshold < 1.0f);
        CHECK(bex_verify_threshold(aligns[a]) == op.threshold);
        CHECK(strstr(bex_calibration_evidence(aligns[a]), "LFW") != NULL);
    }
}

TEST(stricter_targets_raise_the_threshold) {
    for (int a = 0; a < 3; a++) {
        double prev_thr = -2, prev_fnmr = -1;
        for (double fmr = 0.1; fmr >= bex_calibration_min_fmr(aligns[a]) * 0.999; fmr /= 1.7) {
            bex_operating_point op;
            char err[256];
            CHECK(bex_operating_point_verify(aligns[a], fmr, &op, err, sizeof err) == BEX_OK);
            CHECK(op.fmr <= fmr * (1 + 1e-9));          /* never looser than asked */
            CHECK(op.fmr >= fmr / 1.0593 * (1 - 1e-9)); /* 40 rows a decade: at most 10^(1/40) stricter */
            CHECK(op.threshold >= prev_thr);
            CHECK(op.fnmr_measured >= prev_fnmr); /* a stricter threshold rejects more mates */
            prev_thr = op.threshold;
            prev_fnmr = op.fnmr_measured;
        }
    }
}

TEST(identification_threshold_grows_with_the_gallery) {
    bex_operating_point v, one, flight, big;
    char err[256];
    CHECK(bex_operating_point_verify(BEX_ALIGN_DEFAULT, 0.003, &v, err, sizeof err) == BEX_OK);
    CHECK(bex_operating_point_identify(BEX_ALIGN_DEFAULT, 0.003, 1, &one, err, sizeof err) == BEX_OK);
    CHECK(one.threshold == v.threshold); /* a gallery of one is a verification */
    CHECK(bex_operating_point_identify(BEX_ALIGN_DEFAULT, 0.003, 420, &flight, err, sizeof err) == BEX_OK);
    CHECK(strcmp(flight.name, "FPIR 0.003 at N=420") == 0);
    CHECK(flight.kind == BEX_OP_IDENTIFY && flight.gallery_size == 420);
    /* 420 chances: a per-comparison FMR of 1 - 0.997^(1/420) = 7.15e-6 or less */
    CHECK(flight.fmr <= 7.16e-6 && flight.fmr > 7.15e-6 / 1.0593);
    CHECK(flight.threshold > v.threshold);
    CHECK(bex_operating_point_identify(BEX_ALIGN_DEFAULT, 0.003, 4000, &big, err, sizeof err) == BEX_OK);
    CHECK(big.threshold >= flight.threshold);
}

TEST(unsupported_targets_are_refused) {
    bex_operating_point op;
    char err[256] = "";
    /* a million travellers at FPIR 0.003 needs FMR 3e-9: beyond 1e8 comparisons */
    CHECK(bex_operating_point_identify(BEX_ALIGN_DEFAULT, 0.003, 1000000, &op, err, sizeof err) ==
          BEX_ERR_UNSUPPORTED);
    CHECK(strstr(err, "FPIR 0.003 at N=1000000") != NULL);
    CHECK(strstr(err, "supports") != NULL);
    CHECK(bex_operating_point_verify(BEX_ALIGN_DEFAULT, 1e-12, &op, err, sizeof err) == BEX_ERR_UNSUPPORTED);
    CHECK(bex_operating_point_verify(BEX_ALIGN_DEFAULT, 0, &op, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_operating_point_verify(BEX_ALIGN_DEFAULT, 0.5, &op, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_operating_point_verify(BEX_ALIGN_DEFAULT, NAN, &op, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_operating_point_verify(BEX_ALIGN_DEFAULT, 1e-3, NULL, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_operating_point_identify(BEX_ALIGN_DEFAULT, 0.003, 0, &op, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_operating_point_identify(BEX_ALIGN_DEFAULT, -1, 10, &op, err, sizeof err) == BEX_ERR_ARG);
}

TEST(capture_failure_codes) {
    CHECK(bex_status_is_capture_failure(BEX_ERR_NO_FACE));
    CHECK(bex_status_is_capture_failure(BEX_ERR_SEVERAL_FACES));
    CHECK(bex_status_is_capture_failure(BEX_ERR_FACE_TOO_SMALL));
    CHECK(bex_status_is_capture_failure(BEX_ERR_LOW_QUALITY));
    CHECK(!bex_status_is_capture_failure(BEX_OK));
    CHECK(!bex_status_is_capture_failure(BEX_ERR_CORRUPT));
    /* codes are never renumbered */
    CHECK(BEX_ERR_NO_FACE == 8 && BEX_ERR_SEVERAL_FACES == 10 && BEX_ERR_FACE_TOO_SMALL == 11 &&
          BEX_ERR_LOW_QUALITY == 12);
    CHECK(strcmp(bex_strerror(BEX_ERR_SEVERAL_FACES), "several faces in the photo") == 0);
    CHECK(strcmp(bex_strerror(BEX_ERR_FACE_TOO_SMALL), "face too small") == 0);
    CHECK(strcmp(bex_strerror(BEX_ERR_LOW_QUALITY), "capture quality below the floor") == 0);
}

/* A described model decides only with its own calibration file; without one it is refused
 * with the command that makes it. */
TEST(a_model_uses_its_own_calibration) {
    char dir[] = "/tmp/bex-test-cal.XXXXXX", err[512] = "";
    CHECK(mkdtemp(dir) != NULL);
    bex_model m;
    memset(&m, 0, sizeof m);
    snprintf(m.identity, sizeof m.identity, "vendor-x-r100@2.1 arcface-112 sha256:0123456789abcdef0123456789abcdef");
    snprintf(m.calibration, sizeof m.calibration, "%s/r100.calibration.json", dir);
    bex_operating_point op, b;
    CHECK(bex_operating_point_verify_model(&m, BEX_ALIGN_DEFAULT, 1e-3, &op, err, sizeof err) == BEX_ERR_UNSUPPORTED);
    CHECK(strstr(err, "docs/models.md") != NULL && strstr(err, "vendor-x-r100@2.1") != NULL);
    CHECK(bex_operating_point_identify_model(&m, BEX_ALIGN_DEFAULT, 0.003, 100, &op, err, sizeof err) == BEX_ERR_UNSUPPORTED);
    FILE *f = fopen(m.calibration, "w");
    fprintf(f, "{\"model\":\"%s\",\"comparisons\":1000000,\"rows\":[[0.01,0.30,9000,0.0102,0.01,0.011],"
               "[0.001,0.40,950,0.00106,0.02,0.0012],[0.0001,0.50,90,0.000118,0.04,0.00009]]}", m.identity);
    fclose(f);
    CHECK(bex_operating_point_verify_model(&m, BEX_ALIGN_DEFAULT, 1e-3, &op, err, sizeof err) == BEX_OK);
    CHECK_NEAR(op.threshold, 0.40, 1e-6);
    CHECK(op.comparisons == 1000000 && op.false_matches == 950 && !strcmp(op.name, "FMR 0.001"));
    CHECK(bex_operating_point_verify_model(&m, BEX_ALIGN_DEFAULT, 5e-3, &op, err, sizeof err) == BEX_OK);
    CHECK_NEAR(op.threshold, 0.40, 1e-6); /* between two targets: the stricter */
    CHECK(bex_operating_point_verify_model(&m, BEX_ALIGN_DEFAULT, 1e-5, &op, err, sizeof err) == BEX_ERR_UNSUPPORTED);
    CHECK(strstr(err, m.calibration) != NULL);
    /* FPIR 0.003 at N = 3 needs FMR 0.001 per comparison */
    CHECK(bex_operating_point_identify_model(&m, BEX_ALIGN_DEFAULT, 0.003, 3, &op, err, sizeof err) == BEX_OK);
    CHECK_NEAR(op.threshold, 0.40, 1e-6);
    CHECK(!strcmp(op.name, "FPIR 0.003 at N=3"));
    /* the built-in model: NULL, the compiled-in table */
    CHECK(bex_operating_point_verify_model(NULL, BEX_ALIGN_DEFAULT, 1e-3, &op, err, sizeof err) == BEX_OK);
    CHECK(bex_operating_point_verify(BEX_ALIGN_DEFAULT, 1e-3, &b, err, sizeof err) == BEX_OK);
    CHECK(op.threshold == b.threshold);
    /* a table of other weights is refused */
    char other[BEX_MODEL_ID_MAX];
    snprintf(other, sizeof other, "%s", m.identity);
    m.identity[strlen(m.identity) - 1] = '0';
    CHECK(bex_operating_point_verify_model(&m, BEX_ALIGN_DEFAULT, 1e-3, &op, err, sizeof err) == BEX_ERR_UNSUPPORTED);
    CHECK(strstr(err, "not vendor-x") != NULL);
    snprintf(m.identity, sizeof m.identity, "%s", other);
    /* malformed tables */
    static const char *bad[] = {"{", "{\"model\":\"%s\",\"comparisons\":10,\"rows\":[]}",
                                "{\"model\":\"%s\",\"comparisons\":10,\"rows\":[[0.001,0.4,1,1,1,1],[0.01,0.3,1,1,1,1]]}",
                                "{\"model\":\"%s\",\"comparisons\":10,\"rows\":[[0.001,0.4,1,1,1]]}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        f = fopen(m.calibration, "w");
        fprintf(f, bad[i], m.identity);
        fclose(f);
        CHECK(bex_operating_point_verify_model(&m, BEX_ALIGN_DEFAULT, 1e-3, &op, err, sizeof err) == BEX_ERR_CORRUPT);
    }
    /* what bex eval calibrate --model writes, read back */
    bex_calibration_row rows[2] = {{0.01, 0.31f, 9100, 0.0103, 0.011, 0.0105}, {0.001, 0.42f, 960, 0.00107, 0.021, 0.0011}};
    CHECK(bex_calibration_save_model(&m, rows, 2, 1000000, "test rows", err, sizeof err) == BEX_OK);
    CHECK(bex_operating_point_verify_model(&m, BEX_ALIGN_DEFAULT, 1e-3, &op, err, sizeof err) == BEX_OK);
    CHECK_NEAR(op.threshold, 0.42, 1e-6);
    CHECK(op.false_matches == 960 && op.comparisons == 1000000);
    CHECK_NEAR(op.heldout_fmr, 0.0011, 1e-9);
    rows[1].threshold = 0.2f; /* falling: refused, the file unchanged */
    CHECK(bex_calibration_save_model(&m, rows, 2, 1000000, NULL, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_operating_point_verify_model(&m, BEX_ALIGN_DEFAULT, 1e-3, &op, err, sizeof err) == BEX_OK);
    CHECK_NEAR(op.threshold, 0.42, 1e-6);
    /* two rows at one threshold (a small set's plateau) whose float prints in fewer digits
     * than round-trip as a double (cJSON writes 15): read back, not refused as "falling" */
    bex_calibration_row flat[3] = {{0.0071, 0.898769974708557f, 13, 0.0104, 0.025, 0.0093},
                                   {0.0067, 0.898769974708557f, 13, 0.0104, 0.025, 0.0093},
                                   {0.0063, 0.89881003f, 12, 0.0098, 0.025, 0.0093}};
    CHECK(bex_calibration_save_model(&m, flat, 3, 1976, "plateau", err, sizeof err) == BEX_OK);
    CHECK(bex_operating_point_verify_model(&m, BEX_ALIGN_DEFAULT, 0.0067, &op, err, sizeof err) == BEX_OK);
    CHECK(op.threshold == flat[1].threshold);
    unlink(m.calibration);
    rmdir(dir);
}

TEST(a_calibration_value_shipped_or_applied) {
    /* the shipped table through the value gives what the shipped calls give, and names itself */
    for (int a = 0; a < 3; a++) {
        bex_calibration c;
        bex_calibration_shipped(aligns[a], &c);
        CHECK(c.source == BEX_CALIB_SHIPPED && strstr(c.name, "shipped LFW") && c.n_rows > 100);
        CHECK(strstr(c.name, align_names[a]) != NULL && c.align == aligns[a]); /* each alignment its own table */
        CHECK(bex_calibration_min_fmr_in(&c) == bex_calibration_min_fmr(aligns[a]));
        bex_operating_point x, y;
        char err[256];
        CHECK(bex_operating_point_verify_in(&c, 1e-3, &x, err, sizeof err) == BEX_OK);
        CHECK(bex_operating_point_verify(aligns[a], 1e-3, &y, err, sizeof err) == BEX_OK);
        CHECK(x.threshold == y.threshold && x.fmr == y.fmr && !strcmp(x.calibration, y.calibration) &&
              x.calibration_id == 0 && !strcmp(x.calibration, c.name));
        CHECK(bex_operating_point_identify_in(&c, 0.003, 420, &x, err, sizeof err) == BEX_OK);
        CHECK(bex_operating_point_identify(aligns[a], 0.003, 420, &y, err, sizeof err) == BEX_OK);
        CHECK(x.threshold == y.threshold && !strcmp(x.name, y.name));
    }
    /* an applied table: its own thresholds, refused below its last row, naming itself */
    static const bex_calibration_row rows[] = {
        {0.1, 0.30f, 1000, 0.11, 0.001, 0.09}, {0.01, 0.45f, 100, 0.012, 0.01, 0.011}, {0.001, 0.61f, 10, 0.0017, 0.05, 0.0012}};
    bex_calibration c;
    char err[256] = "";
    CHECK(bex_calibration_applied(rows, 3, 10000, 12, "model", NULL, "2026-12-06T10:00:00Z", &c, err, sizeof err) == BEX_OK);
    CHECK(c.source == BEX_CALIB_APPLIED && c.id == 12 && !strcmp(c.scope, "model") && c.key[0] == 0 &&
          strstr(c.name, "applied calibration 12 (model-wide, 2026-12-06T10:00:00Z)"));
    bex_operating_point op;
    CHECK(bex_operating_point_verify_in(&c, 0.005, &op, err, sizeof err) == BEX_OK); /* the stricter row */
    CHECK(op.threshold == 0.61f && op.fmr == 0.001 && op.calibration_id == 12 && op.comparisons == 10000 &&
          op.false_matches == 10 && strstr(op.calibration, "applied calibration 12"));
    /* FPIR 0.01 at N=10: FMR 0.001005 per comparison: the 0.001 row */
    CHECK(bex_operating_point_identify_in(&c, 0.01, 10, &op, err, sizeof err) == BEX_OK && op.threshold == 0.61f &&
          !strcmp(op.name, "FPIR 0.01 at N=10"));
    CHECK(bex_operating_point_identify_in(&c, 0.003, 420, &op, err, sizeof err) == BEX_ERR_UNSUPPORTED);
    CHECK(strstr(err, "applied calibration 12") && strstr(err, "0.001"));
    CHECK(bex_operating_point_verify_in(&c, 0.2, &op, err, sizeof err) == BEX_ERR_ARG);
    /* rows out of order, a bad scope: refused */
    static const bex_calibration_row bad[] = {{0.01, 0.5f, 1, 0, 0, 0}, {0.1, 0.4f, 1, 0, 0, 0}};
    CHECK(bex_calibration_applied(bad, 2, 100, 1, "model", NULL, "", &c, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_calibration_applied(rows, 3, 100, 1, "lane", NULL, "", &c, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_calibration_applied(rows, 3, 0, 1, "model", NULL, "", &c, err, sizeof err) == BEX_ERR_ARG);
}

int main(void) {
    RUN(default_operating_point);
    RUN(stricter_targets_raise_the_threshold);
    RUN(identification_threshold_grows_with_the_gallery);
    RUN(unsupported_targets_are_refused);
    RUN(capture_failure_codes);
    RUN(a_model_uses_its_own_calibration);
    RUN(a_calibration_value_shipped_or_applied);
    return test_summary();
}
