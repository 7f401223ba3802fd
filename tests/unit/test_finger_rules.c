/*
 * test_finger_rules.c - the fingerprint rules of the border (rules.h, "fingerprints") as tables
 * of cases, with no database and no images: the age and citizen policy, which fingers an entry
 * enrols, substitutes, records or refers, when an exit turns to a finger, the FMR a calibration
 * gives a score, and the fusion of face and finger at an operating point.
 */
#include <math.h>
#include <stdlib.h>

#include "bex/rules.h"
#include "border/fingers.h"
#include "test.h"

TEST(policy_default_is_ees) {
    bex_finger_policy p;
    bex_finger_policy_default(&p);
    CHECK(p.min_age == 12);
    CHECK(p.n_required == 4);
    CHECK(p.required[0] == 2 && p.required[1] == 3 && p.required[2] == 4 && p.required[3] == 5);
    CHECK(p.citizens == 0);
    char err[256];
    CHECK(bex_finger_policy_check(&p, err, sizeof err) == BEX_OK);
    bex_finger_policy bad = p;
    bad.min_age = -1;
    CHECK(bex_finger_policy_check(&bad, err, sizeof err) == BEX_ERR_ARG);
    bad = p;
    bad.required[2] = 11;
    CHECK(bex_finger_policy_check(&bad, err, sizeof err) == BEX_ERR_ARG);
    CHECK(strstr(err, "11") != NULL);
    bad = p;
    bad.required[3] = 2;
    CHECK(bex_finger_policy_check(&bad, err, sizeof err) == BEX_ERR_ARG);
    CHECK(strstr(err, "twice") != NULL);
    bad = p;
    bad.n_required = 11;
    CHECK(bex_finger_policy_check(&bad, err, sizeof err) == BEX_ERR_ARG);
}

TEST(age_years) {
    CHECK(bex_age_years("2014-06-15", "2026-06-14") == 11);
    CHECK(bex_age_years("2014-06-15", "2026-06-15") == 12);
    CHECK(bex_age_years("2014-06-15", "2026-06-16") == 12);
    CHECK(bex_age_years("2014-06-15", "2014-06-15") == 0);
    CHECK(bex_age_years("2027-01-01", "2026-06-15") == -1);
    CHECK(bex_age_years("", "2026-06-15") == -1);
    CHECK(bex_age_years(NULL, "2026-06-15") == -1);
    CHECK(bex_age_years("2014-13-01", "2026-06-15") == -1);
    CHECK(bex_age_years("2014/06/15", "2026-06-15") == -1);
}

typedef struct age_case {
    const char *name;
    int min_age, n_required, citizens, citizen;
    const char *birth, *day;
    bex_prints want;
} age_case;

TEST(age_rule_table) {
    static const age_case cases[] = {
        {"eleven, the day before the birthday", 12, 4, 0, 0, "2014-06-15", "2026-06-14", BEX_PRINTS_UNDER_AGE},
        {"twelve on the birthday", 12, 4, 0, 0, "2014-06-15", "2026-06-15", BEX_PRINTS_TAKEN},
        {"an adult", 12, 4, 0, 0, "1980-01-31", "2026-06-15", BEX_PRINTS_TAKEN},
        {"a baby", 12, 4, 0, 0, "2026-01-01", "2026-06-15", BEX_PRINTS_UNDER_AGE},
        {"no birth date: no exemption", 12, 4, 0, 0, "", "2026-06-15", BEX_PRINTS_TAKEN},
        {"malformed birth date: no exemption", 12, 4, 0, 0, "15.06.2014", "2026-06-15", BEX_PRINTS_TAKEN},
        {"another policy's age: 14", 14, 4, 0, 0, "2013-01-01", "2026-06-15", BEX_PRINTS_UNDER_AGE},
        {"minimum age 0: a baby too", 0, 4, 0, 0, "2026-01-01", "2026-06-15", BEX_PRINTS_TAKEN},
        {"a citizen", 12, 4, 0, 1, "1980-01-31", "2026-06-15", BEX_PRINTS_CITIZEN},
        {"a citizen where citizens give prints", 12, 4, 1, 1, "1980-01-31", "2026-06-15", BEX_PRINTS_TAKEN},
        {"a child citizen where citizens give prints", 12, 4, 1, 1, "2020-01-31", "2026-06-15",
         BEX_PRINTS_UNDER_AGE},
        {"no prints by policy", 12, 0, 0, 0, "1980-01-31", "2026-06-15", BEX_PRINTS_NOT_REQUIRED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const age_case *c = &cases[i];
        bex_finger_policy p;
        bex_finger_policy_default(&p);
        p.min_age = c->min_age;
        p.n_required = c->n_required;
        p.citizens = c->citizens;
        bex_prints got = bex_finger_age_rule(&p, c->citizen, c->birth, c->day);
        if (got != c->want) printf("  %s: got %s, want %s\n", c->name, bex_prints_name(got), bex_prints_name(c->want));
        CHECK(got == c->want);
    }
    CHECK(!strcmp(bex_prints_name(BEX_PRINTS_UNDER_AGE), "under_age"));
}

typedef struct plan_case {
    const char *name;
    const char *birth;
    int citizen;
    const char *states;   /* positions 1..10: '.' not given, 'u' usable, 'x' unusable, 'm' missing */
    int enrol[4], n_enrol;
    int record[4], n_record;
    int substituted, ignored, refer;
    bex_prints prints;
} plan_case;

TEST(entry_plan_table) {
    static const plan_case cases[] = {
        {"four right fingers", "1980-01-31", 0, ".uuuu.....", {2, 3, 4, 5}, 4, {0}, 0, 0, 0, 0, BEX_PRINTS_TAKEN},
        {"four right and a thumb: the thumb is not kept", "1980-01-31", 0, "uuuuu.....", {2, 3, 4, 5}, 4, {0}, 0, 0,
         1, 0, BEX_PRINTS_TAKEN},
        {"ten fingers: six not kept", "1980-01-31", 0, "uuuuuuuuuu", {2, 3, 4, 5}, 4, {0}, 0, 0, 6, 0,
         BEX_PRINTS_TAKEN},
        {"right index amputated, left index taken", "1980-01-31", 0, ".muuu.u...", {7, 3, 4, 5}, 4, {0}, 0, 1, 0, 0,
         BEX_PRINTS_TAKEN},
        {"right hand missing, left hand taken", "1980-01-31", 0, ".mmmm.uuuu", {7, 8, 9, 10}, 4, {0}, 0, 4, 0, 0,
         BEX_PRINTS_TAKEN},
        {"right ring declared missing, no left ring: recorded, not referred", "1980-01-31", 0, ".uumu.....",
         {2, 3, 5}, 3, {4}, 1, 0, 0, 0, BEX_PRINTS_TAKEN},
        {"right ring unusable, no left ring: recorded and referred", "1980-01-31", 0, ".uuxu.....", {2, 3, 5}, 3,
         {4}, 1, 0, 0, 1, BEX_PRINTS_TAKEN},
        {"right ring unusable, left ring usable", "1980-01-31", 0, ".uuxu...u.", {2, 3, 9, 5}, 4, {0}, 0, 1, 0, 0,
         BEX_PRINTS_TAKEN},
        {"only the right index given: referred", "1980-01-31", 0, ".u........", {2}, 1, {0}, 0, 0, 0, 1,
         BEX_PRINTS_TAKEN},
        {"nothing given: referred", "1980-01-31", 0, "..........", {0}, 0, {0}, 0, 0, 0, 1, BEX_PRINTS_TAKEN},
        {"everything declared missing: recorded, not referred", "1980-01-31", 0, "mmmmmmmmmm", {0}, 0,
         {2, 3, 4, 5}, 4, 0, 0, 0, BEX_PRINTS_TAKEN},
        {"a child of eleven: nothing taken, nothing kept", "2015-01-01", 0, ".uuuu.....", {0}, 0, {0}, 0, 0, 4, 0,
         BEX_PRINTS_UNDER_AGE},
        {"a child with nothing given: not referred", "2015-01-01", 0, "..........", {0}, 0, {0}, 0, 0, 0, 0,
         BEX_PRINTS_UNDER_AGE},
        {"a citizen: nothing taken", "1980-01-31", 1, ".uuuu.....", {0}, 0, {0}, 0, 0, 4, 0, BEX_PRINTS_CITIZEN},
    };
    bex_finger_policy p;
    bex_finger_policy_default(&p);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const plan_case *c = &cases[i];
        bex_finger_state st[11] = {0};
        for (int pos = 1; pos <= 10; pos++) {
            char k = c->states[pos - 1];
            st[pos] = k == 'u' ? BEX_FINGER_USABLE : k == 'x' ? BEX_FINGER_UNUSABLE : k == 'm' ? BEX_FINGER_MISSING
                                                                                            : BEX_FINGER_NOT_GIVEN;
        }
        bex_finger_plan v;
        bex_finger_entry_plan(&p, c->citizen, c->birth, "2026-06-15", st, &v);
        int ok = v.prints == c->prints && v.n_enrol == c->n_enrol && v.n_record == c->n_record &&
                 v.substituted == c->substituted && v.ignored == c->ignored && v.refer == c->refer;
        for (int k = 0; ok && k < c->n_enrol; k++) ok = v.enrol[k] == c->enrol[k];
        for (int k = 0; ok && k < c->n_record; k++) ok = v.record[k] == c->record[k];
        if (!ok)
            printf("  %s: prints %s enrol %d record %d substituted %d ignored %d refer %d (%s)\n", c->name,
                   bex_prints_name(v.prints), v.n_enrol, v.n_record, v.substituted, v.ignored, v.refer, v.detail);
        CHECK(ok);
        CHECK(v.detail[0] != 0);
    }
    /* a declared missing finger is recorded as missing, an unusable one as unusable */
    bex_finger_state st[11] = {0};
    st[2] = BEX_FINGER_MISSING;
    st[3] = BEX_FINGER_UNUSABLE;
    st[4] = st[5] = BEX_FINGER_USABLE;
    bex_finger_plan v;
    bex_finger_entry_plan(&p, 0, "1980-01-31", "2026-06-15", st, &v);
    CHECK(v.n_record == 2);
    CHECK(v.record[0] == 2 && v.record_state[0] == BEX_FINGER_MISSING);
    CHECK(v.record[1] == 3 && v.record_state[1] == BEX_FINGER_UNUSABLE);
    CHECK(v.refer == 1);
    CHECK(strstr(v.detail, "referred") != NULL);
}

TEST(finger_needed) {
    bex_match m;
    memset(&m, 0, sizeof m);
    m.calibrated = 1;
    m.match = 1;
    CHECK(bex_finger_needed(1, &m) == 0);   /* the face matched: no finger */
    CHECK(bex_finger_needed(0, &m) == 1);   /* no usable face */
    m.match = 0;
    CHECK(bex_finger_needed(1, &m) == 1);   /* the face did not match */
    m.calibrated = 0;
    CHECK(bex_finger_needed(1, &m) == 1);   /* no decision at the face's operating point */
    CHECK(bex_finger_needed(1, NULL) == 1);
}

/* A table as a calibration gives it: FMR 0.1 at 0.30 ... 0.0001 at 0.60, nothing below. */
static const bex_calibration_row rows[] = {
    {0.1, 0.30f, 100000, 0.1, NAN, NAN},
    {0.01, 0.40f, 10000, 0.0102, NAN, NAN},
    {0.001, 0.50f, 1000, 0.00105, NAN, NAN},
    {0.0001, 0.60f, 100, 0.000118, NAN, NAN},
};

static bex_calibration table(void) {
    bex_calibration c;
    char err[256];
    int rc = bex_calibration_applied(rows, 4, 1000000, 3, "model", NULL, "2026-12-06T11:00:00Z", &c, err, sizeof err);
    if (rc != BEX_OK) printf("  table: %s\n", err);
    return c;
}

TEST(fmr_at_score) {
    bex_calibration c = table();
    CHECK(bex_calibration_fmr_at(&c, 0.10f) == 1.0);     /* below the table: no evidence */
    CHECK(bex_calibration_fmr_at(&c, 0.30f) == 0.1);     /* at a threshold: its target */
    CHECK(bex_calibration_fmr_at(&c, 0.45f) == 0.01);    /* between: the looser (a bound) */
    CHECK(bex_calibration_fmr_at(&c, 0.50f) == 0.001);
    CHECK(bex_calibration_fmr_at(&c, 0.99f) == 0.0001);  /* beyond: never below the evidence */
    CHECK(bex_calibration_fmr_at(&c, NAN) == 1.0);
    CHECK(bex_calibration_fmr_at(NULL, 0.9f) == 1.0);
    /* the shipped face table: monotone, a high score reaches its last row */
    bex_calibration lfw;
    bex_calibration_shipped(BEX_ALIGN_DEFAULT, &lfw);
    double prev = 1.0;
    for (float s = -0.2f; s <= 1.0f; s += 0.01f) {
        double f = bex_calibration_fmr_at(&lfw, s);
        CHECK(f <= prev);
        prev = f;
    }
    CHECK(prev == bex_calibration_min_fmr_in(&lfw));
}

TEST(target_1n) {
    CHECK(bex_fusion_target_1n(0.003, 1) == 0.003);
    CHECK(bex_fusion_target_1n(0.003, 0) == 0.003);
    double t = bex_fusion_target_1n(0.003, 1000);
    CHECK(t > 0.003 / 1000 && t < 0.0030046 / 1000);
    CHECK_NEAR(1 - pow(1 - t, 1000), 0.003, 1e-12);
}

typedef struct fusion_case {
    const char *name;
    double face, f1, f2;
    int n;
    double target;
    int match;
    double fused;
} fusion_case;

TEST(fusion_table) {
    static const fusion_case cases[] = {
        {"face failed, one finger at its target", 1.0, 0.001, 0, 1, 0.001, 1, 0.001},
        {"face failed, one finger short of the target", 1.0, 0.01, 0, 1, 0.001, 0, 0.01},
        {"face failed, two fingers together reach it", 1.0, 0.01, 0.01, 2, 0.0001, 1, 0.0001},
        {"a weak face and a finger together", 0.1, 0.001, 0, 1, 0.0001, 1, 0.0001},
        {"a weak face, a finger below its table", 0.1, 1.0, 0, 1, 0.0001, 0, 0.1},
        {"no finger: never a fused match", 0.0001, 0, 0, 0, 0.001, 0, 0.0001},
        {"a nonsense FMR counts as no evidence", 1.0, -3, 0, 1, 0.001, 0, 1.0},
        {"NAN counts as no evidence", NAN, 0.001, 0, 1, 0.001, 1, 0.001},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const fusion_case *c = &cases[i];
        double f[2] = {c->f1, c->f2};
        bex_fusion v;
        bex_fusion_decide(c->face, f, c->n, c->target, &v);
        int ok = v.match == c->match && fabs(v.fused_fmr - c->fused) <= 1e-12 * (1 + c->fused) && v.fingers == c->n;
        if (!ok) printf("  %s: match %d fused %g fingers %d\n", c->name, v.match, v.fused_fmr, v.fingers);
        CHECK(ok);
        CHECK(v.target == c->target);
        CHECK(v.operating_point[0] != 0);
    }
    bex_fusion v;
    double one = 0.001;
    bex_fusion_decide(0.1, &one, 1, 0.001, &v);
    CHECK(strstr(v.operating_point, "fused FMR 0.001") != NULL);
    CHECK(strstr(v.operating_point, "face x 1 finger") != NULL);
}

/* the scores through the tables, as an exit fuses them: a face below its own 1:1 threshold and
 * a finger that alone does not reach the target settle it together */
TEST(fusion_through_tables) {
    bex_calibration face = table(), finger = table();
    double ff = bex_calibration_fmr_at(&finger, 0.55f); /* 0.001 */
    CHECK(ff == 0.001);
    bex_fusion v;
    bex_fusion_decide(1.0, &ff, 1, 0.0001, &v);          /* the finger alone: 0.001 > 1e-4 */
    CHECK(v.match == 0);
    bex_fusion_decide(bex_calibration_fmr_at(&face, 0.45f), &ff, 1, 0.0001, &v); /* 0.01 x 0.001 */
    CHECK(v.match == 1);
    CHECK_NEAR(v.fused_fmr, 1e-5, 1e-15);
    bex_fusion_decide(bex_calibration_fmr_at(&face, 0.20f), &ff, 1, 0.0001, &v); /* a face that says nothing */
    CHECK(v.match == 0);
    CHECK(v.face_fmr == 1.0);
}


static bex_finger_candidate cand(int64_t subject, double face, double f1, double f2, int n) {
    bex_finger_candidate c;
    memset(&c, 0, sizeof c);
    c.subject = subject;
    c.face_fmr = face;
    c.n = n;
    c.positions[0] = 2;
    c.positions[1] = 3;
    c.scores[0] = 0.5f;
    c.scores[1] = 0.4f;
    c.fmr[0] = f1;
    c.fmr[1] = f2;
    return c;
}

TEST(identify_decide) {
    bex_finger_decision d;
    /* nobody to compare with */
    memset(&d, 0, sizeof d);
    d.gallery = BEX_GALLERY_ALL;
    d.gallery_size = 0;
    bex_finger_identify_decide(NULL, 0, 0.001, &d);
    CHECK(d.compared == 1 && d.subject == 0 && d.fusion.match == 0 && d.gallery == BEX_GALLERY_ALL);
    /* one candidate reaches the target, the others do not: it is the match */
    bex_finger_candidate c[3] = {cand(7, 1.0, 0.1, 1.0, 2), cand(9, 1.0, 0.001, 0.01, 2), cand(4, 0.5, 1.0, 0, 1)};
    memset(&d, 0, sizeof d);
    d.gallery = BEX_GALLERY_ALL;
    d.gallery_size = 3;
    bex_finger_identify_decide(c, 3, 0.0001, &d);
    CHECK(d.subject == 9 && d.fusion.match == 1 && d.ambiguous == 0);
    CHECK_NEAR(d.fusion.fused_fmr, 1e-5, 1e-15);
    CHECK(d.n == 2 && d.positions[0] == 2 && d.positions[1] == 3);
    CHECK(d.gallery == BEX_GALLERY_ALL && d.gallery_size == 3);
    /* the best does not reach it: no match, the best is still named for the officer */
    bex_finger_identify_decide(c, 3, 1e-6, &d);
    CHECK(d.subject == 9 && d.fusion.match == 0);
    /* two reach it: ambiguous, no decision */
    c[0] = cand(7, 0.01, 0.001, 1.0, 2);
    bex_finger_identify_decide(c, 3, 0.0001, &d);
    CHECK(d.fusion.match == 0 && d.ambiguous == 1);
    /* the face's evidence breaks nothing it should not: a weak face and a finger together */
    bex_finger_candidate one = cand(5, 0.05, 0.001, 0, 1);
    bex_finger_identify_decide(&one, 1, 0.0001, &d);
    CHECK(d.subject == 5 && d.fusion.match == 1);
}


/* the finger comparator's calibrated table as the border reads it (finger.h): every row of
 * FVC2002's table, 0.1 down to its lowest, thresholds rising; a score beyond the last row is
 * worth that row's FMR and no less */
TEST(finger_table_as_the_border_reads_it) {
    bex_calibration c;
    bex_calibration_row fr[BEX_FINGER_TABLE_ROWS];
    if (bex__finger_table(&c, fr) != BEX_OK) SKIP("no finger table made yet");
    CHECK(c.n_rows >= 10);
    CHECK(fr[0].target == 0.1);
    for (size_t i = 1; i < c.n_rows; i++) CHECK(fr[i].target < fr[i - 1].target && fr[i].threshold > fr[i - 1].threshold);
    double last = fr[c.n_rows - 1].target;
    CHECK(last <= 0.001 + 1e-12);
    CHECK(bex_calibration_fmr_at(&c, 1.0f) == last);
    CHECK(bex_calibration_fmr_at(&c, fr[0].threshold - 1e-4f) == 1.0);
    bex_finger_operating_point op;
    char err[160];
    CHECK(bex_finger_operating_point_verify(0.01, &op, err, sizeof err) == BEX_OK);
    CHECK(bex_calibration_fmr_at(&c, op.threshold) <= 0.01);
}


TEST(who_sees_prints) {
    CHECK(bex_role_fingerprints(BEX_ROLE_OFFICER) == 1);
    CHECK(bex_role_fingerprints(BEX_ROLE_CARRIER) == 0);
    CHECK(bex_role_fingerprints(BEX_ROLE_ANALYST) == 0);
    CHECK(bex_role_fingerprints(BEX_ROLE_AUDITOR) == 0);
    CHECK(bex_role_fingerprints(BEX_ROLE_ADMIN) == 0);
}


/* The entry rule with the document holder's fingers (rules.h: bex_entry_decide): where the face
 * does not verify the holder, matching fingers do; where it does, they are not needed; fingers
 * that do not match change nothing. */
static int has_flag(const bex_entry_verdict *v, bex_flag_kind k) {
    for (int i = 0; i < v->n_flags; i++)
        if (v->flags[i].kind == k) return 1;
    return 0;
}

static void entry_with_fingers(int doc_photo, float doc_score, float holder_score, int fingers_match,
                               bex_entry_verdict *v) {
    static float live[BEX_TEMPLATE_DIM] = {1}, photo[BEX_TEMPLATE_DIM] = {1};
    char text[90], err[256];
    static bex_mrz d;
    CHECK(bex_mrz_make_td3("P", "GBR", "TESTER", "ANNA", "X1234567", "GBR", "1980-01-31", 'F', "2031-01-01", text,
                           err, sizeof err) == BEX_OK);
    CHECK(bex_mrz_parse_at(text, "2026-03-01", &d, err, sizeof err) == BEX_OK);
    static bex_entry_request rq;
    memset(&rq, 0, sizeof rq);
    rq.doc = &d;
    rq.live = live;
    rq.doc_photo_given = doc_photo;
    rq.doc_photo = doc_photo ? photo : NULL;
    rq.admission_class = "B2";
    rq.admit_until = "2026-05-30";
    rq.port = "JFK";
    rq.port_kind = BEX_PORT_AIR;
    bex_entry_facts *f = calloc(1, sizeof *f);
    f->rq = &rq;
    snprintf(f->at, sizeof f->at, "2026-03-01T10:00:00Z");
    bex_border_settings_default(&f->settings);
    CHECK(bex_operating_point_verify(BEX_ALIGN_DEFAULT, 1e-3, &f->verify_op, err, sizeof err) == BEX_OK);
    bex_calibration_shipped(BEX_ALIGN_DEFAULT, &f->calibration);
    f->fpir = 0.003;
    f->doc_score = doc_photo ? doc_score : NAN;
    bex_known_subject *s = &f->subjects[f->n_subjects++];
    s->id = 7;
    s->has_face = 1;
    s->score = holder_score;
    bex_known_document *k = &s->documents[s->n_documents++];
    k->id = 70;
    k->subject = 7;
    snprintf(k->issuing_state, sizeof k->issuing_state, "GBR");
    snprintf(k->number, sizeof k->number, "X1234567");
    snprintf(k->surname, sizeof k->surname, "%s", d.surname);
    snprintf(k->given_names, sizeof k->given_names, "%s", d.given_names);
    snprintf(k->birth_date, sizeof k->birth_date, "1980-01-31");
    k->has_photo = 1;
    f->holders[f->n_holders++] = *k;
    bex_finger_decision *h = &f->holder_fingers;
    h->compared = 1;
    h->gallery = BEX_GALLERY_HOLDER;
    h->gallery_size = 1;
    h->subject = 7;
    h->n = 2;
    h->positions[0] = 2;
    h->positions[1] = 3;
    double fm[2] = {fingers_match ? 0.001 : 1.0, fingers_match ? 0.001 : 1.0};
    bex_fusion_decide(1.0, fm, 2, 0.001, &h->fusion);
    CHECK(bex_entry_decide(f, v, err, sizeof err) == BEX_OK);
    free(f);
}

TEST(entry_holder_verified_by_fingers) {
    bex_entry_verdict v;
    /* an old passport photo the face no longer matches, the holder's samples neither: the
     * fingers verify her */
    entry_with_fingers(1, 0.5f, 0.5f, 1, &v);
    CHECK(v.outcome == BEX_OUTCOME_MATCHED && v.decision == BEX_DECISION_ADMITTED && v.subject == 7 && v.admit);
    CHECK(!has_flag(&v, BEX_FLAG_IMPOSTOR_SUSPECTED) && !has_flag(&v, BEX_FLAG_DOCUMENT_SHARED));
    CHECK(v.verify.match == 0); /* the face's own 1:1 is still reported as it was */
    /* the same with fingers that do not match: an impostor suspected, referred */
    entry_with_fingers(1, 0.5f, 0.5f, 0, &v);
    CHECK(v.outcome == BEX_OUTCOME_NOT_MATCHED && v.decision == BEX_DECISION_REFERRED &&
          has_flag(&v, BEX_FLAG_IMPOSTOR_SUSPECTED));
    /* no document photo, the holder's samples not matched: a shared document, unless the fingers say */
    entry_with_fingers(0, NAN, 0.5f, 1, &v);
    CHECK(v.outcome == BEX_OUTCOME_MATCHED && v.decision == BEX_DECISION_ADMITTED && v.subject == 7 &&
          !has_flag(&v, BEX_FLAG_DOCUMENT_SHARED));
    entry_with_fingers(0, NAN, 0.5f, 0, &v);
    CHECK(v.decision == BEX_DECISION_REFERRED && has_flag(&v, BEX_FLAG_DOCUMENT_SHARED) && v.subject != 7);
    /* a face that verifies needs no finger: the same answer either way */
    entry_with_fingers(1, 0.99f, 0.99f, 0, &v);
    CHECK(v.outcome == BEX_OUTCOME_MATCHED && v.decision == BEX_DECISION_ADMITTED && v.subject == 7 && v.verify.match);
}


TEST(plan_applied_to_the_verdict) {
    bex_finger_policy p;
    bex_finger_policy_default(&p);
    bex_finger_state st[11] = {0};
    st[2] = BEX_FINGER_USABLE;
    bex_finger_plan plan;
    bex_finger_entry_plan(&p, 0, "1980-01-31", "2026-06-15", st, &plan);
    CHECK(plan.refer);
    bex_entry_verdict v;
    memset(&v, 0, sizeof v);
    v.decision = BEX_DECISION_ADMITTED;
    v.admit = 1;
    v.subject = BEX_NEW;
    v.document = 12;
    bex_finger_plan_apply(&plan, &v);
    CHECK(v.decision == BEX_DECISION_REFERRED && v.admit == 0 && v.n_flags == 1);
    CHECK(v.flags[0].kind == BEX_FLAG_FINGERPRINTS_INCOMPLETE && v.flags[0].subjects[0] == BEX_NEW &&
          v.flags[0].documents[0] == 12 && strstr(v.flags[0].detail, "3 not given"));
    CHECK(!strcmp(bex_flag_kind_name(BEX_FLAG_FINGERPRINTS_INCOMPLETE), "fingerprints_incomplete"));
    /* a refused entry stays refused; a complete plan changes nothing */
    v.decision = BEX_DECISION_REFUSED;
    v.n_flags = 0;
    bex_finger_plan_apply(&plan, &v);
    CHECK(v.decision == BEX_DECISION_REFUSED && v.n_flags == 1);
    st[3] = st[4] = st[5] = BEX_FINGER_USABLE;
    bex_finger_entry_plan(&p, 0, "1980-01-31", "2026-06-15", st, &plan);
    memset(&v, 0, sizeof v);
    v.decision = BEX_DECISION_ADMITTED;
    v.admit = 1;
    bex_finger_plan_apply(&plan, &v);
    CHECK(v.decision == BEX_DECISION_ADMITTED && v.admit == 1 && v.n_flags == 0);
    /* a full verdict loses no flag of its own: the referral stands without one more */
    bex_finger_state none[11] = {0};
    bex_finger_entry_plan(&p, 0, "1980-01-31", "2026-06-15", none, &plan);
    memset(&v, 0, sizeof v);
    v.decision = BEX_DECISION_ADMITTED;
    v.n_flags = BEX_MAX_FLAGS;
    bex_finger_plan_apply(&plan, &v);
    CHECK(v.decision == BEX_DECISION_REFERRED && v.n_flags == BEX_MAX_FLAGS);
}

int main(void) {
    RUN(policy_default_is_ees);
    RUN(age_years);
    RUN(age_rule_table);
    RUN(entry_plan_table);
    RUN(finger_needed);
    RUN(fmr_at_score);
    RUN(target_1n);
    RUN(fusion_table);
    RUN(fusion_through_tables);
    RUN(identify_decide);
    RUN(who_sees_prints);
    RUN(entry_holder_verified_by_fingers);
    RUN(plan_applied_to_the_verdict);
    RUN(finger_table_as_the_border_reads_it);
    return test_summary();
}
