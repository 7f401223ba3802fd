/*
 * test_rules.c - the border rules (include/bex/rules.h) as tables of cases, with no database and
 * no face models: entry decisions (who presents, outcome, decision, flags, what is enrolled, which
 * admissions close), the exit cascade and its decisions, the one 1:N rule at the calibration's
 * edge, manifests against the record, citizens by document, several faces in one capture,
 * retention of samples and records, what a carrier learns, who owns a departure, what a
 * carrier's exit may be and conclude, and the role matrix.
 */
#include <math.h>

#include "bex/rules.h"
#include "test.h"

/* The shipped LFW table of the default alignment. */
static const bex_calibration *lfw(void) {
    static bex_calibration c;
    bex_calibration_shipped(BEX_ALIGN_DEFAULT, &c);
    return &c;
}

/* An applied table far below LFW's thresholds, as a deployment's own data could give: FMR
 * 0.001 at 0.50, 0.0001 at 0.60, nothing below. */
static const bex_calibration_row applied_rows[] = {
    {0.1, 0.30f, 100000, 0.1, NAN, NAN},
    {0.01, 0.40f, 10000, 0.0102, NAN, NAN},
    {0.001, 0.50f, 1000, 0.00105, NAN, NAN},
    {0.0001, 0.60f, 100, 0.000118, NAN, NAN},
};

static bex_calibration applied(void) {
    bex_calibration c;
    char err[256];
    int rc = bex_calibration_applied(applied_rows, 4, 1000000, 7, "port", "JFK", "2026-12-06T11:00:00Z", &c, err,
                                     sizeof err);
    if (rc != BEX_OK) printf("  applied: %s\n", err);
    return c;
}

/* ---- entry ---- */

typedef struct known {
    int64_t id;
    int citizen, has_face;
    float score;                 /* live vs its samples; NAN none */
    const char *surname, *given, *birth;
    int64_t open1;               /* an open admission (0 none) */
} known;

typedef struct entry_case {
    const char *name;
    /* the request */
    int live, doc_given, doc_ok, citizen, expired, bad_check;
    float doc_score;
    /* the record */
    int holder;                  /* the presented document is on record, held by subjects[0] */
    int holder_has_photo;
    known subj[2];               /* subjects[0]: the holder, when holder; subjects[1]: the top 1:N hit */
    int hit;                     /* a 1:N hit: subjects[hit - 1] at hit_score */
    float hit_score;
    long long gallery;           /* 1:N gallery size */
    /* the verdict expected */
    bex_outcome outcome;
    bex_decision decision;
    int64_t subject;             /* BEX_NEW or an id */
    int new_document;
    bex_flag_kind flag1, flag2;  /* flags expected (BEX_FLAG_NONE: none) */
    int n_flags;
    int admit, enrol_doc, searchable;
    int64_t closes;              /* an admission closed (0 none) */
    bex_gallery verified_by;
} entry_case;

#define NONE_K {0, 0, 0, NAN, NULL, NULL, NULL, 0}

static const entry_case entry_cases[] = {
    {"first_visit_chip_photo_matches", 1, 1, 1, 0, 0, 0, 0.97f, 0, 0, {NONE_K, NONE_K}, 0, 0, 50,
     BEX_OUTCOME_MATCHED, BEX_DECISION_ADMITTED, BEX_NEW, 1, 0, 0, 0, 1, 1, 1, 0, BEX_GALLERY_DOCUMENT},
    {"impostor_referred_not_admitted", 1, 1, 1, 0, 0, 0, 0.40f, 0, 0, {NONE_K, NONE_K}, 0, 0, 50,
     BEX_OUTCOME_NOT_MATCHED, BEX_DECISION_REFERRED, BEX_NEW, 1, BEX_FLAG_IMPOSTOR_SUSPECTED, 0, 1, 0, 0, 1, 0,
     BEX_GALLERY_DOCUMENT},
    {"document_photo_unusable_not_verified", 1, 1, 0, 0, 0, 0, NAN, 0, 0, {NONE_K, NONE_K}, 0, 0, 50,
     BEX_OUTCOME_DOCUMENT_PHOTO_UNUSABLE, BEX_DECISION_REFERRED, BEX_NEW, 1, BEX_FLAG_DOCUMENT_PHOTO_UNUSABLE, 0, 1,
     0, 0, 1, 0, BEX_GALLERY_NONE},
    {"document_photo_unusable_holder_verifies", 1, 1, 0, 0, 0, 0, NAN, 1, 0,
     {{7, 0, 1, 0.96f, "TESTA", "ANNA", "1980-01-31", 0}, NONE_K}, 1, 0.96f, 50, BEX_OUTCOME_MATCHED,
     BEX_DECISION_ADMITTED, 7, 0, BEX_FLAG_DOCUMENT_PHOTO_UNUSABLE, 0, 1, 1, 0, 1, 0, BEX_GALLERY_HOLDER},
    {"no_live_photo_referred", 0, 1, 1, 0, 0, 0, NAN, 0, 0, {NONE_K, NONE_K}, 0, 0, 50, BEX_OUTCOME_NO_PHOTO,
     BEX_DECISION_REFERRED, BEX_NEW, 1, BEX_FLAG_NO_PHOTO, 0, 1, 0, 1, 0, 0, BEX_GALLERY_NONE},
    {"citizen_matched_not_enrolled_for_search", 1, 1, 1, 1, 0, 0, 0.97f, 0, 0, {NONE_K, NONE_K}, 0, 0, 0,
     BEX_OUTCOME_MATCHED, BEX_DECISION_ADMITTED, BEX_NEW, 1, 0, 0, 0, 0, 1, 0, 0, BEX_GALLERY_DOCUMENT},
    {"citizen_without_document_photo_unverified", 1, 0, 0, 1, 0, 0, NAN, 0, 0, {NONE_K, NONE_K}, 0, 0, 0,
     BEX_OUTCOME_UNVERIFIED, BEX_DECISION_ADMITTED, BEX_NEW, 1, 0, 0, 0, 0, 0, 0, 0, BEX_GALLERY_NONE},
    {"citizen_without_live_photo_admitted", 0, 1, 1, 1, 0, 0, NAN, 0, 0, {NONE_K, NONE_K}, 0, 0, 0,
     BEX_OUTCOME_NO_PHOTO, BEX_DECISION_ADMITTED, BEX_NEW, 1, BEX_FLAG_NO_PHOTO, 0, 1, 0, 1, 0, 0, BEX_GALLERY_NONE},
    {"citizen_impostor_referred", 1, 1, 1, 1, 0, 0, 0.30f, 0, 0, {NONE_K, NONE_K}, 0, 0, 0,
     BEX_OUTCOME_NOT_MATCHED, BEX_DECISION_REFERRED, BEX_NEW, 1, BEX_FLAG_IMPOSTOR_SUSPECTED, 0, 1, 0, 0, 0, 0,
     BEX_GALLERY_DOCUMENT},
    {"returning_traveller_holder_matches_closes_open_stay", 1, 0, 0, 0, 0, 0, NAN, 1, 1,
     {{7, 0, 1, 0.95f, "TESTA", "ANNA", "1980-01-31", 41}, NONE_K}, 1, 0.95f, 50, BEX_OUTCOME_MATCHED,
     BEX_DECISION_ADMITTED, 7, 0, 0, 0, 0, 1, 0, 1, 41, BEX_GALLERY_HOLDER},
    {"document_shared_other_face_on_record", 1, 0, 0, 0, 0, 0, NAN, 1, 0,
     {{7, 0, 1, 0.20f, "TESTA", "ANNA", "1980-01-31", 41}, NONE_K}, 0, 0, 50, BEX_OUTCOME_NOT_MATCHED,
     BEX_DECISION_REFERRED, BEX_NEW, 1, BEX_FLAG_DOCUMENT_SHARED, 0, 1, 0, 0, 1, 0, BEX_GALLERY_NONE},
    {"holder_without_face_first_capture", 1, 0, 0, 0, 0, 0, NAN, 1, 0,
     {{7, 0, 0, NAN, "TESTA", "ANNA", "1980-01-31", 0}, NONE_K}, 0, 0, 50, BEX_OUTCOME_ENROLLED,
     BEX_DECISION_ADMITTED, 7, 0, 0, 0, 0, 1, 0, 1, 0, BEX_GALLERY_NONE},
    {"renewed_passport_linked", 1, 1, 1, 0, 0, 0, 0.97f, 0, 0,
     {NONE_K, {9, 0, 1, 0.99f, "TESTA", "ANNA", "1980-01-31", 0}}, 2, 0.99f, 50, BEX_OUTCOME_MATCHED,
     BEX_DECISION_ADMITTED, 9, 1, 0, 0, 0, 1, 1, 1, 0, BEX_GALLERY_DOCUMENT},
    {"renewed_passport_spelling_variant_linked", 1, 1, 1, 0, 0, 0, 0.97f, 0, 0,
     {NONE_K, {9, 0, 1, 0.99f, "MÜLLER", "JÜRGEN", "1980-01-31", 0}}, 2, 0.99f, 50, BEX_OUTCOME_MATCHED,
     BEX_DECISION_ADMITTED, 9, 1, 0, 0, 0, 1, 1, 1, 0, BEX_GALLERY_DOCUMENT},
    {"two_identities_referred", 1, 1, 1, 0, 0, 0, 0.97f, 0, 0,
     {NONE_K, {9, 0, 1, 0.99f, "OTHER", "NAME", "1970-02-02", 0}}, 2, 0.99f, 50, BEX_OUTCOME_MATCHED,
     BEX_DECISION_REFERRED, BEX_NEW, 1, BEX_FLAG_TWO_IDENTITIES, 0, 1, 0, 1, 1, 0, BEX_GALLERY_DOCUMENT},
    {"biographic_mismatch_admitted_flagged", 1, 1, 1, 0, 0, 0, 0.97f, 0, 0,
     {NONE_K, {9, 0, 1, 0.99f, "TESTA", "ANNA", "1979-01-31", 0}}, 2, 0.99f, 50, BEX_OUTCOME_MATCHED,
     BEX_DECISION_ADMITTED, BEX_NEW, 1, BEX_FLAG_BIOGRAPHIC_MISMATCH, 0, 1, 1, 1, 1, 0, BEX_GALLERY_DOCUMENT},
    {"one_n_beyond_calibration_decides_nothing", 1, 1, 1, 0, 0, 0, 0.97f, 0, 0,
     {NONE_K, {9, 0, 1, 0.999f, "OTHER", "NAME", "1970-02-02", 0}}, 2, 0.999f, 100000000LL, BEX_OUTCOME_MATCHED,
     BEX_DECISION_ADMITTED, BEX_NEW, 1, 0, 0, 0, 1, 1, 1, 0, BEX_GALLERY_DOCUMENT},
    {"expired_document_flagged", 1, 1, 1, 0, 1, 0, 0.97f, 0, 0, {NONE_K, NONE_K}, 0, 0, 50, BEX_OUTCOME_MATCHED,
     BEX_DECISION_ADMITTED, BEX_NEW, 1, BEX_FLAG_DOCUMENT_PROBLEM, 0, 1, 1, 1, 1, 0, BEX_GALLERY_DOCUMENT},
    {"bad_check_digit_and_impostor", 1, 1, 1, 0, 0, 1, 0.30f, 0, 0, {NONE_K, NONE_K}, 0, 0, 50,
     BEX_OUTCOME_NOT_MATCHED, BEX_DECISION_REFERRED, BEX_NEW, 1, BEX_FLAG_DOCUMENT_PROBLEM,
     BEX_FLAG_IMPOSTOR_SUSPECTED, 2, 0, 0, 1, 0, BEX_GALLERY_DOCUMENT},
    {"document_photo_known_not_enrolled_again", 1, 1, 1, 0, 0, 0, 0.97f, 1, 1,
     {{7, 0, 1, 0.95f, "TESTA", "ANNA", "1980-01-31", 0}, NONE_K}, 1, 0.95f, 50, BEX_OUTCOME_MATCHED,
     BEX_DECISION_ADMITTED, 7, 0, 0, 0, 0, 1, 0, 1, 0, BEX_GALLERY_DOCUMENT},
};

static bex_mrz doc_of(int expired, int bad_check) {
    bex_mrz d;
    memset(&d, 0, sizeof d);
    d.format = BEX_MRZ_TD3;
    snprintf(d.doc_code, sizeof d.doc_code, "P");
    snprintf(d.issuing_state, sizeof d.issuing_state, "GBR");
    snprintf(d.nationality, sizeof d.nationality, "GBR");
    snprintf(d.doc_number, sizeof d.doc_number, "X0000001");
    snprintf(d.surname, sizeof d.surname, "MUELLER");
    snprintf(d.given_names, sizeof d.given_names, "JUERGEN");
    snprintf(d.birth_date, sizeof d.birth_date, "1980-01-31");
    snprintf(d.expiry_date, sizeof d.expiry_date, expired ? "2026-01-01" : "2031-01-01");
    d.sex = 'M';
    if (bad_check) {
        d.n_failed = 1;
        d.failed[0] = "birth_date";
    }
    return d;
}

static void known_subject(bex_known_subject *s, const known *k) {
    memset(s, 0, sizeof *s);
    s->id = k->id;
    s->citizen = k->citizen;
    s->has_face = k->has_face;
    s->score = k->score;
    bex_known_document *d = &s->documents[s->n_documents++];
    d->id = 100 + k->id;
    d->subject = k->id;
    snprintf(d->surname, sizeof d->surname, "%s", k->surname);
    snprintf(d->given_names, sizeof d->given_names, "%s", k->given);
    snprintf(d->birth_date, sizeof d->birth_date, "%s", k->birth);
    if (k->open1) s->open_admissions[s->n_open++] = k->open1;
}

static int has_kind(const bex_entry_verdict *v, bex_flag_kind k) {
    for (int i = 0; i < v->n_flags; i++)
        if (v->flags[i].kind == k) return 1;
    return 0;
}

TEST(entry_table) {
    float live[BEX_TEMPLATE_DIM] = {1}, photo[BEX_TEMPLATE_DIM] = {1};
    for (size_t i = 0; i < sizeof entry_cases / sizeof *entry_cases; i++) {
        const entry_case *c = &entry_cases[i];
        bex_mrz d = doc_of(c->expired, c->bad_check);
        /* the "same names" cases are written with the document's own names */
        bex_entry_request rq = {.doc = &d, .live = c->live ? live : NULL, .doc_photo_given = c->doc_given,
                                .doc_photo = c->doc_ok ? photo : NULL, .admission_class = "B2",
                                .admit_until = "2026-05-30", .port = "JFK", .port_kind = BEX_PORT_AIR,
                                .at = "2026-03-01T10:00:00Z", .citizen = c->citizen};
        bex_entry_facts *f = calloc(1, sizeof *f);
        f->rq = &rq;
        snprintf(f->at, sizeof f->at, "2026-03-01T10:00:00Z");
        bex_border_settings_default(&f->settings);
        char err[256];
        CHECK(bex_operating_point_verify(BEX_ALIGN_DEFAULT, 1e-3, &f->verify_op, err, sizeof err) == BEX_OK);
        bex_calibration_shipped(BEX_ALIGN_DEFAULT, &f->calibration);
        f->fpir = 0.003;
        f->citizen = c->citizen;
        f->doc_score = c->doc_score;
        f->gallery_size = c->citizen ? 0 : c->gallery;
        for (int k = 0; k < 2; k++) {
            if (!c->subj[k].id) continue;
            known kk = c->subj[k];
            if (kk.surname && !strcmp(kk.surname, "TESTA")) { /* "the same names" as the document */
                kk.surname = d.surname;
                kk.given = d.given_names;
            }
            known_subject(&f->subjects[f->n_subjects++], &kk);
        }
        if (c->holder) {
            f->holders[0] = f->subjects[0].documents[0];
            f->holders[0].has_photo = c->holder_has_photo;
            f->n_holders = 1;
        }
        if (c->hit && !c->citizen) {
            f->hits[0].subject_id = c->subj[c->hit - 1].id;
            f->hits[0].score = c->hit_score;
            f->n_hits = 1;
        }
        bex_entry_verdict v;
        int rc = bex_entry_decide(f, &v, err, sizeof err);
        int ok = rc == BEX_OK && v.outcome == c->outcome && v.decision == c->decision && v.subject == c->subject &&
                 (v.document == BEX_NEW) == c->new_document && v.n_flags == c->n_flags &&
                 (!c->flag1 || has_kind(&v, c->flag1)) && (!c->flag2 || has_kind(&v, c->flag2)) &&
                 v.admit == c->admit && v.enrol_document_photo == c->enrol_doc && v.live_searchable == c->searchable &&
                 v.verify.gallery == c->verified_by && (c->closes ? v.n_close == 1 && v.close[0] == c->closes : !v.n_close) &&
                 v.citizen == c->citizen && (!c->citizen || v.identify.gallery == BEX_GALLERY_NONE);
        if (!ok)
            printf("  %s: rc %d outcome %s decision %s subject %lld new_doc %d flags %d (%s) admit %d enrol_doc %d "
                   "searchable %d verified_by %s close %d\n", c->name, rc, bex_outcome_name(v.outcome),
                   bex_decision_name(v.decision), (long long)v.subject, v.document == BEX_NEW, v.n_flags,
                   v.n_flags ? bex_flag_kind_name(v.flags[0].kind) : "", v.admit, v.enrol_document_photo,
                   v.live_searchable, bex_gallery_name(v.verify.gallery), v.n_close);
        CHECK(ok);
        /* flags name row ids or the new subject, never a person */
        for (int k = 0; k < v.n_flags; k++) CHECK(!strstr(v.flags[k].detail, "MUELLER"));
        free(f);
    }
}

TEST(entry_check) {
    bex_border_settings s;
    bex_border_settings_default(&s);
    CHECK(!strcmp(s.home_state, "USA"));
    bex_mrz usa = doc_of(0, 0), visa = doc_of(0, 0), gbr = doc_of(0, 0);
    snprintf(usa.issuing_state, sizeof usa.issuing_state, "USA");
    snprintf(visa.issuing_state, sizeof visa.issuing_state, "USA");
    snprintf(visa.doc_code, sizeof visa.doc_code, "V");
    char err[256];
    int citizen = -1;
    bex_entry_request rq = {.doc = &usa, .admission_class = "B2", .admit_until = "2026-05-30", .port = "JFK",
                            .port_kind = BEX_PORT_AIR};
    /* a home-state passport with a class: refused, clearly, never enrolled as a visitor */
    CHECK(bex_entry_check(&rq, &s, &citizen, err, sizeof err) == BEX_ERR_ARG && strstr(err, "citizen"));
    CHECK(!strstr(err, "--"));
    rq.admission_class = NULL;
    rq.admit_until = NULL;
    CHECK(bex_entry_check(&rq, &s, &citizen, err, sizeof err) == BEX_OK && citizen == 1);
    CHECK(bex_citizen_document(&usa, "USA") && !bex_citizen_document(&visa, "USA") && !bex_citizen_document(&gbr, "USA"));
    CHECK(!bex_citizen_document(&usa, "GBR") && !bex_citizen_document(&usa, ""));
    rq.doc = &visa; /* a visa the state issued is a foreigner's */
    CHECK(bex_entry_check(&rq, &s, &citizen, err, sizeof err) == BEX_ERR_ARG && strstr(err, "class"));
    rq.admission_class = "B2";
    CHECK(bex_entry_check(&rq, &s, &citizen, err, sizeof err) == BEX_OK && citizen == 0);
    rq.doc = &gbr;
    rq.citizen = 1; /* a declared citizen on a foreign document (a dual national) */
    rq.admission_class = NULL;
    CHECK(bex_entry_check(&rq, &s, &citizen, err, sizeof err) == BEX_OK && citizen == 1);
    rq.citizen = 0;
    rq.admission_class = "B2";
    const char *bad_at[] = {"2026-02-30T10:00:00Z", "yesterday", "2026-03-01T24:00:00Z"};
    for (int i = 0; i < 3; i++) {
        rq.at = bad_at[i];
        CHECK(bex_entry_check(&rq, &s, &citizen, err, sizeof err) == BEX_ERR_ARG && !strstr(err, "--"));
    }
    rq.at = NULL;
    rq.port_kind = BEX_PORT_NONE;
    CHECK(bex_entry_check(&rq, &s, &citizen, err, sizeof err) == BEX_ERR_ARG && !strstr(err, "--"));
    rq.port_kind = BEX_PORT_LAND;
    rq.port = "";
    CHECK(bex_entry_check(&rq, &s, &citizen, err, sizeof err) == BEX_ERR_ARG);
}

TEST(pick_face) {
    char err[256];
    int pick = -1;
    float doc[3] = {0.30f, 0.95f, NAN}, holder[3] = {0.99f, NAN, 0.10f}, none[3] = {NAN, NAN, NAN};
    /* the document photo decides first; then the holder's samples; else refused */
    CHECK(bex_entry_pick_face(doc, holder, 3, &pick, err, sizeof err) == BEX_OK && pick == 1);
    CHECK(bex_entry_pick_face(none, holder, 3, &pick, err, sizeof err) == BEX_OK && pick == 0);
    CHECK(bex_entry_pick_face(NULL, holder, 3, &pick, err, sizeof err) == BEX_OK && pick == 0);
    CHECK(bex_entry_pick_face(none, none, 3, &pick, err, sizeof err) == BEX_ERR_ARG && strstr(err, "3 faces"));
}

/* ---- exit ---- */

static bex_match gallery_result(bex_gallery g, long long n, int64_t subject, float score) {
    bex_index_hit h = {.subject_id = subject, .score = score};
    bex_match m;
    bex_identify_decide(lfw(), 0.003, g, n, &h, subject ? 1 : 0, &m);
    return m;
}

TEST(exit_cascade) {
    bex_gallery g[BEX_EXIT_MAX_GALLERIES];
    CHECK(bex_exit_cascade(1, g) == 4 && g[0] == BEX_GALLERY_MANIFEST && g[1] == BEX_GALLERY_PORT &&
          g[2] == BEX_GALLERY_IN_COUNTRY && g[3] == BEX_GALLERY_ALL);
    CHECK(bex_exit_cascade(0, g) == 3 && g[0] == BEX_GALLERY_PORT && g[2] == BEX_GALLERY_ALL);
}

typedef struct exit_case {
    const char *name;
    int live;
    const char *departure;       /* NULL none */
    int known;
    bex_direction direction;
    const char *at;              /* the exit's time; the departure is scheduled 2026-03-10T18:00:00Z */
    int n;                       /* galleries searched */
    bex_gallery g[3];
    float score[3];              /* the best candidate's score in each (subject 5) */
    int rc;
    bex_outcome outcome;
    int64_t subject, admission;
    bex_gallery decided;
    bex_flag_kind flag1, flag2;
    int n_flags;
    int keep;
} exit_case;

static const exit_case exit_cases[] = {
    {"manifest_match_closes_admission", 1, "BX1", 1, BEX_DIRECTION_DEPARTURE, "2026-03-10T17:20:00Z", 1,
     {BEX_GALLERY_MANIFEST}, {0.99f}, BEX_OK, BEX_OUTCOME_MATCHED, 5, 33, BEX_GALLERY_MANIFEST, 0, 0, 0, 1},
    {"port_match_not_on_manifest", 1, "BX1", 1, BEX_DIRECTION_DEPARTURE, "2026-03-10T17:20:00Z", 2,
     {BEX_GALLERY_MANIFEST, BEX_GALLERY_PORT}, {0.30f, 0.99f}, BEX_OK, BEX_OUTCOME_MATCHED, 5, 33, BEX_GALLERY_PORT,
     BEX_FLAG_NOT_ON_MANIFEST, 0, 1, 1},
    {"land_exit_in_country", 1, NULL, 0, 0, "2026-03-10T17:20:00Z", 2, {BEX_GALLERY_PORT, BEX_GALLERY_IN_COUNTRY},
     {0.20f, 0.99f}, BEX_OK, BEX_OUTCOME_MATCHED, 5, 33, BEX_GALLERY_IN_COUNTRY, 0, 0, 0, 1},
    {"nobody_kept_for_review", 1, NULL, 0, 0, "2026-03-10T17:20:00Z", 3,
     {BEX_GALLERY_PORT, BEX_GALLERY_IN_COUNTRY, BEX_GALLERY_ALL}, {0.2f, 0.3f, 0.5f}, BEX_OK, BEX_OUTCOME_NOT_MATCHED,
     0, 0, BEX_GALLERY_ALL, BEX_FLAG_NOT_MATCHED, 0, 1, 1},
    {"no_photo_flagged", 0, NULL, 0, 0, "2026-03-10T17:20:00Z", 0, {0}, {0}, BEX_OK, BEX_OUTCOME_NO_PHOTO, 0, 0,
     BEX_GALLERY_NONE, BEX_FLAG_NO_PHOTO, 0, 1, 0},
    {"arrival_manifest_refused", 1, "BX2", 1, BEX_DIRECTION_ARRIVAL, "2026-03-10T17:20:00Z", 0, {0}, {0},
     BEX_ERR_ARG, 0, 0, 0, 0, 0, 0, 0, 0},
    {"unknown_departure_refused", 1, "NOPE", 0, 0, "2026-03-10T17:20:00Z", 0, {0}, {0}, BEX_ERR_ARG, 0, 0, 0, 0, 0, 0,
     0, 0},
    {"months_after_departure_flagged", 1, "BX1", 1, BEX_DIRECTION_DEPARTURE, "2026-06-10T17:20:00Z", 1,
     {BEX_GALLERY_MANIFEST}, {0.99f}, BEX_OK, BEX_OUTCOME_MATCHED, 5, 33, BEX_GALLERY_MANIFEST,
     BEX_FLAG_OUTSIDE_DEPARTURE_WINDOW, 0, 1, 1},
    {"day_before_departure_flagged", 1, "BX1", 1, BEX_DIRECTION_DEPARTURE, "2026-03-09T05:00:00Z", 1,
     {BEX_GALLERY_MANIFEST}, {0.99f}, BEX_OK, BEX_OUTCOME_MATCHED, 5, 33, BEX_GALLERY_MANIFEST,
     BEX_FLAG_OUTSIDE_DEPARTURE_WINDOW, 0, 1, 1},
    {"delayed_six_hours_within_window", 1, "BX1", 1, BEX_DIRECTION_DEPARTURE, "2026-03-11T00:00:00Z", 1,
     {BEX_GALLERY_MANIFEST}, {0.99f}, BEX_OK, BEX_OUTCOME_MATCHED, 5, 33, BEX_GALLERY_MANIFEST, 0, 0, 0, 1},
    {"unmatched_late_gate_two_flags", 1, "BX1", 1, BEX_DIRECTION_DEPARTURE, "2026-03-12T00:00:00Z", 1,
     {BEX_GALLERY_MANIFEST}, {0.30f}, BEX_OK, BEX_OUTCOME_NOT_MATCHED, 0, 0, BEX_GALLERY_MANIFEST,
     BEX_FLAG_NOT_MATCHED, BEX_FLAG_OUTSIDE_DEPARTURE_WINDOW, 2, 1},
};

TEST(exit_table) {
    float live[BEX_TEMPLATE_DIM] = {1};
    for (size_t i = 0; i < sizeof exit_cases / sizeof *exit_cases; i++) {
        const exit_case *c = &exit_cases[i];
        bex_exit_request rq = {.live = c->live ? live : NULL, .live_failure = c->live ? NULL : "no_face",
                               .port = "JFK", .departure = c->departure, .at = c->at};
        bex_exit_facts f;
        memset(&f, 0, sizeof f);
        f.rq = &rq;
        snprintf(f.at, sizeof f.at, "%s", c->at);
        bex_border_settings_default(&f.settings);
        f.departure.known = c->known;
        f.departure.direction = c->direction;
        snprintf(f.departure.scheduled, sizeof f.departure.scheduled, "2026-03-10T18:00:00Z");
        for (int k = 0; k < c->n; k++) f.searched[f.n_searched++] = gallery_result(c->g[k], 300, 5, c->score[k]);
        f.open_admission = 33;
        bex_exit_verdict v;
        char err[256] = "";
        int rc = bex_exit_decide(&f, &v, err, sizeof err);
        int ok = rc == c->rc;
        if (rc == BEX_OK) {
            int f1 = !c->flag1, f2 = !c->flag2;
            for (int k = 0; k < v.n_flags; k++) {
                f1 |= v.flags[k].kind == c->flag1;
                f2 |= v.flags[k].kind == c->flag2;
            }
            ok = ok && v.outcome == c->outcome && v.subject == c->subject && v.admission == c->admission &&
                 v.match.gallery == c->decided && f1 && f2 && v.n_flags == c->n_flags && v.keep_capture == c->keep;
        } else {
            ok = ok && err[0] && !strstr(err, "--");
        }
        if (!ok)
            printf("  %s: rc %d outcome %s subject %lld gallery %s flags %d (%s) %s\n", c->name, rc,
                   bex_outcome_name(v.outcome), (long long)v.subject, bex_gallery_name(v.match.gallery), v.n_flags,
                   v.n_flags ? bex_flag_kind_name(v.flags[0].kind) : "", err);
        CHECK(ok);
    }
}

/* ---- the one 1:N rule ---- */

TEST(identify_decide_refuses_beyond_calibration) {
    bex_index_hit h = {.subject_id = 3, .score = 0.999f};
    bex_match m;
    bex_identify_decide(lfw(), 0.003, BEX_GALLERY_ALL, 420, &h, 1, &m);
    CHECK(m.calibrated && m.match && m.subject == 3 && m.threshold > 0.9f && strstr(m.operating_point, "N=420"));
    h.score = 0.90f;
    bex_identify_decide(lfw(), 0.003, BEX_GALLERY_ALL, 420, &h, 1, &m);
    CHECK(m.calibrated && !m.match && m.subject == 3);
    /* a million: FPIR 0.003 needs an FMR the calibration cannot support: no decision at all */
    h.score = 0.9999f;
    bex_identify_decide(lfw(), 0.003, BEX_GALLERY_ALL, 1000000, &h, 1, &m);
    CHECK(!m.calibrated && !m.match && isnan(m.threshold) && strstr(m.operating_point, "beyond"));
    bex_identify_decide(lfw(), 0.003, BEX_GALLERY_ALL, 0, NULL, 0, &m);
    CHECK(!m.calibrated && !m.match && m.gallery_size == 0 && strstr(m.operating_point, "empty"));
    /* the threshold rises with the gallery */
    bex_match a, b;
    bex_identify_decide(lfw(), 0.003, BEX_GALLERY_MANIFEST, 100, &h, 1, &a);
    bex_identify_decide(lfw(), 0.003, BEX_GALLERY_MANIFEST, 10000, &h, 1, &b);
    CHECK(a.calibrated && b.calibrated && a.threshold < b.threshold);
}

/* The calibration in force at a port: the port's own, else the model-wide one, else the shipped
 * table (-1); another port's never; the first listed of a scope (the newest) wins. */
TEST(calibration_in_force_precedence) {
    bex_calibration jfk = {.id = 3}, lax = {.id = 4}, model = {.id = 5}, old_model = {.id = 1}, cam = {.id = 6};
    snprintf(jfk.scope, sizeof jfk.scope, "port");
    snprintf(jfk.key, sizeof jfk.key, "JFK");
    snprintf(lax.scope, sizeof lax.scope, "port");
    snprintf(lax.key, sizeof lax.key, "LAX");
    snprintf(model.scope, sizeof model.scope, "model");
    snprintf(old_model.scope, sizeof old_model.scope, "model");
    snprintf(cam.scope, sizeof cam.scope, "camera");
    snprintf(cam.key, sizeof cam.key, "JFK");
    const bex_calibration *all[] = {&cam, &lax, &model, &jfk, &old_model};
    CHECK(bex_calibration_in_force(all, 5, "JFK") == 3);  /* the port's, though listed after the model's */
    CHECK(bex_calibration_in_force(all, 5, "LAX") == 1);
    CHECK(bex_calibration_in_force(all, 5, "ORD") == 2);  /* no table of its own: the newest model-wide */
    CHECK(bex_calibration_in_force(all, 5, NULL) == 2 && bex_calibration_in_force(all, 5, "") == 2);
    const bex_calibration *ports[] = {&cam, &lax};
    CHECK(bex_calibration_in_force(ports, 2, "JFK") == -1); /* LAX's is not JFK's; a camera's is not a port's */
    CHECK(bex_calibration_in_force(NULL, 0, "JFK") == -1);
}

TEST(identify_decide_at_the_applied_calibration) {
    bex_calibration c = applied();
    CHECK(c.source == BEX_CALIB_APPLIED && c.id == 7 && strstr(c.name, "applied calibration 7") &&
          strstr(c.name, "port JFK") && strstr(c.name, "2026-12-06T11:00:00Z"));
    /* FPIR 0.003 at N=3 needs FMR 0.001001 per comparison: the 0.001 row, 0.50 */
    bex_index_hit h = {.subject_id = 4, .score = 0.55f};
    bex_match m, s;
    bex_identify_decide(&c, 0.003, BEX_GALLERY_MANIFEST, 3, &h, 1, &m);
    bex_identify_decide(lfw(), 0.003, BEX_GALLERY_MANIFEST, 3, &h, 1, &s);
    CHECK(m.calibrated && m.match && fabsf(m.threshold - 0.50f) < 1e-6f && m.calibration_id == 7 &&
          strstr(m.calibration, "applied calibration 7") && strstr(m.operating_point, "FPIR 0.003 at N=3"));
    /* the shipped table would not have matched: its threshold is LFW's, about 0.93 */
    CHECK(s.calibrated && !s.match && s.threshold > 0.9f && s.calibration_id == 0 && strstr(s.calibration, "shipped LFW"));
    h.score = 0.4999f;
    bex_identify_decide(&c, 0.003, BEX_GALLERY_MANIFEST, 3, &h, 1, &m);
    CHECK(m.calibrated && !m.match);
    /* N=30: FMR 1.0e-4: the last row, 0.60 */
    h.score = 0.59f;
    bex_identify_decide(&c, 0.003, BEX_GALLERY_ALL, 30, &h, 1, &m);
    CHECK(m.calibrated && !m.match && fabsf(m.threshold - 0.60f) < 1e-6f);
    /* N=100 needs 3e-5, below the table: no decision, never the shipped table instead */
    h.score = 0.99f;
    bex_identify_decide(&c, 0.003, BEX_GALLERY_ALL, 100, &h, 1, &m);
    CHECK(!m.calibrated && !m.match && isnan(m.threshold) && strstr(m.operating_point, "beyond") &&
          strstr(m.operating_point, "0.0001") && m.calibration_id == 7);
    /* 1:1 from the same table names it too */
    bex_operating_point op;
    char err[256];
    CHECK(bex_operating_point_verify_in(&c, 1e-3, &op, err, sizeof err) == BEX_OK && op.threshold == 0.50f);
    bex_verify_decide(&op, BEX_GALLERY_DOCUMENT, 0, 0.52f, &m);
    CHECK(m.match && m.calibration_id == 7 && strstr(m.calibration, "port JFK") && !strcmp(m.operating_point, "FMR 0.001"));
}

/* Issue 15: a flag's candidates: the flagged subjects, the encounter's own, its document's
 * holder, each once, ids <= 0 left out, at most max; each decided 1:1 at the operating point,
 * an unscored one (no template) named but not compared. */
TEST(flag_candidates_chosen_and_decided) {
    int64_t out[8];
    const int64_t flagged[] = {3, 5, 3};
    CHECK(bex_candidate_subjects(flagged, 3, 5, 3, out, 8) == 2 && out[0] == 3 && out[1] == 5);
    CHECK(bex_candidate_subjects(NULL, 0, 7, 9, out, 8) == 2 && out[0] == 7 && out[1] == 9);
    CHECK(bex_candidate_subjects(NULL, 0, 0, -1, out, 8) == 0);
    const int64_t many[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    CHECK(bex_candidate_subjects(many, 10, 11, 12, out, BEX_CANDIDATES_MAX) == 8 && out[7] == 8);
    CHECK(bex_candidate_subjects(flagged, 3, 4, 0, out, 2) == 2 && out[0] == 3 && out[1] == 5);
    bex_operating_point op;
    memset(&op, 0, sizeof op);
    op.threshold = 0.5f;
    snprintf(op.name, sizeof op.name, "FMR 0.001");
    snprintf(op.calibration, sizeof op.calibration, "shipped LFW table (similarity)");
    bex_match m;
    bex_candidate_decide(&op, 3, 0.62f, &m);
    CHECK(m.match && m.subject == 3 && m.gallery == BEX_GALLERY_HOLDER && m.threshold == 0.5f && m.score == 0.62f &&
          !strcmp(m.operating_point, "FMR 0.001") && strstr(m.calibration, "LFW"));
    bex_candidate_decide(&op, 5, 0.49f, &m);
    CHECK(!m.match && m.subject == 5);
    bex_candidate_decide(&op, 5, 0.5f, &m);
    CHECK(m.match); /* at the threshold: a match, as bex_operating_point_accepts */
    bex_candidate_decide(&op, 6, NAN, &m);
    CHECK(!m.match && m.subject == 6 && m.gallery == BEX_GALLERY_NONE && isnan(m.score) && m.threshold == 0.5f &&
          !strcmp(m.operating_point, "FMR 0.001"));
}

TEST(entry_decides_at_the_applied_calibration) {
    /* a visitor whose face scores 0.55 against the document photo: an impostor at LFW's
     * threshold, the same person at the applied one */
    bex_mrz d;
    memset(&d, 0, sizeof d);
    snprintf(d.doc_code, sizeof d.doc_code, "P");
    snprintf(d.issuing_state, sizeof d.issuing_state, "DEU");
    snprintf(d.doc_number, sizeof d.doc_number, "C01X00T47");
    snprintf(d.surname, sizeof d.surname, "TESTA");
    snprintf(d.given_names, sizeof d.given_names, "ANNA");
    snprintf(d.birth_date, sizeof d.birth_date, "1980-01-01");
    float live[BEX_TEMPLATE_DIM] = {1}, photo[BEX_TEMPLATE_DIM] = {1};
    bex_entry_request rq = {.doc = &d, .live = live, .doc_photo_given = 1, .doc_photo = photo,
                            .admission_class = "B2", .port = "JFK", .port_kind = BEX_PORT_AIR,
                            .at = "2026-03-01T10:00:00Z"};
    char err[256];
    for (int k = 0; k < 2; k++) {
        bex_entry_facts *f = calloc(1, sizeof *f);
        f->rq = &rq;
        snprintf(f->at, sizeof f->at, "2026-03-01T10:00:00Z");
        bex_border_settings_default(&f->settings);
        f->calibration = k ? applied() : *lfw();
        CHECK(bex_operating_point_verify_in(&f->calibration, 1e-3, &f->verify_op, err, sizeof err) == BEX_OK);
        f->fpir = 0.003;
        f->doc_score = 0.55f;
        f->gallery_size = 3;
        bex_entry_verdict v;
        CHECK(bex_entry_decide(f, &v, err, sizeof err) == BEX_OK);
        if (k) {
            CHECK(v.verify.match && v.decision == BEX_DECISION_ADMITTED && v.verify.calibration_id == 7 &&
                  v.identify.calibration_id == 7 && strstr(v.identify.calibration, "applied calibration 7"));
        } else {
            CHECK(!v.verify.match && v.decision == BEX_DECISION_REFERRED && v.verify.calibration_id == 0 &&
                  strstr(v.verify.calibration, "shipped LFW"));
        }
        free(f);
    }
}

/* ---- manifests ---- */

TEST(manifest_check_names_tolerant_fields_strict) {
    bex_known_document doc;
    memset(&doc, 0, sizeof doc);
    snprintf(doc.surname, sizeof doc.surname, "MUELLER");
    snprintf(doc.given_names, sizeof doc.given_names, "JUERGEN");
    snprintf(doc.birth_date, sizeof doc.birth_date, "1980-01-31");
    snprintf(doc.nationality, sizeof doc.nationality, "DEU");
    struct {
        const char *surname, *given, *birth, *nat;
        int mismatch, variant, verified; /* verified: contributes templates to the gallery */
        const char *says;
    } t[] = {
        {"MUELLER", "JUERGEN", "1980-01-31", "DEU", 0, 0, 1, NULL},
        {"Müller", "Jürgen", "1980-01-31", "DEU", 0, 1, 1, "transliteration"},
        {"MULLER", "JURGEN", "1980-01-31", "", 0, 1, 1, "transliteration"},
        {"mueller", "juergen", "", "", 0, 0, 0, NULL},          /* no birth date: not flagged, not verified */
        {"JUERGEN", "MUELLER", "1980-01-31", "DEU", 0, 1, 1, "swapped"},
        {"MUELLER", "", "1980-01-31", "DEU", 0, 1, 0, NULL},    /* the surname alone is not enough */
        {"MUELLER", "JUERGEN", "1980-01-30", "DEU", 1, 0, 0, "birth date"},
        {"MUELLER", "JUERGEN", "1980-01-31", "AUT", 1, 0, 0, "nationality"},
        {"MEYER", "JUERGEN", "1980-01-31", "DEU", 1, 0, 0, "names"},
        {"MUELLER", "HANS", "1980-01-31", "DEU", 1, 0, 0, "names"},
        {"SMITH", "JOHN", "1980-01-31", "", 1, 0, 0, "names"},  /* someone else's passport number */
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        bex_manifest_entry x;
        memset(&x, 0, sizeof x);
        snprintf(x.surname, sizeof x.surname, "%s", t[i].surname);
        snprintf(x.given_names, sizeof x.given_names, "%s", t[i].given);
        snprintf(x.birth_date, sizeof x.birth_date, "%s", t[i].birth);
        snprintf(x.nationality, sizeof x.nationality, "%s", t[i].nat);
        bex_manifest_verdict v;
        bex_manifest_check(&x, &doc, i + 1, &v);
        int ok = v.mismatch == t[i].mismatch && v.name_variant == t[i].variant && v.verified == t[i].verified &&
                 (!t[i].says || strstr(v.detail, t[i].says)) && !strstr(v.detail, "MUELLER");
        if (!ok)
            printf("  case %zu: mismatch %d variant %d verified %d \"%s\"\n", i, v.mismatch, v.name_variant,
                   v.verified, v.detail);
        CHECK(ok);
    }
    /* nothing on record: neither a mismatch nor verified */
    bex_manifest_entry x = {.surname = "MUELLER", .given_names = "JUERGEN", .birth_date = "1980-01-31"};
    bex_manifest_verdict v;
    bex_manifest_check(&x, NULL, 1, &v);
    CHECK(!v.mismatch && !v.verified);
    /* not on record under that number, but the same names and birth date under another: the
     * document number differs, a mismatch naming the field, never verified */
    bex_known_document same[2] = {doc, doc};
    snprintf(same[0].surname, sizeof same[0].surname, "SCHMIDT");
    same[1].id = 77;
    snprintf(same[1].surname, sizeof same[1].surname, "Müller");
    int which = 9;
    bex_manifest_check_unlinked(&x, same, 2, 3, &v, &which);
    CHECK(which == 1 && v.mismatch && !v.verified && strstr(v.detail, "document number differs") &&
          strstr(v.detail, "document 77") && !strstr(v.detail, "MUELLER"));
    bex_manifest_check_unlinked(&x, same, 1, 3, &v, &which); /* only another person of that birth date */
    CHECK(which == -1 && !v.mismatch && !v.verified);
    bex_manifest_entry nogiven = x;
    nogiven.given_names[0] = 0;
    bex_manifest_check_unlinked(&nogiven, same, 2, 3, &v, &which); /* surname alone is not enough */
    CHECK(which == -1 && !v.mismatch);
    /* a document on record without a birth date cannot verify one */
    doc.birth_date[0] = 0;
    bex_manifest_check(&x, &doc, 1, &v);
    CHECK(!v.verified);
    int verdict = -1;
    CHECK(bex_biographic_agreement("Müller", "Jürgen", "1980-01-31", "MULLER", "JURGEN", "1980-01-31", &verdict) == 2);
    CHECK(bex_biographic_agreement("MUELLER", "JUERGEN", "1980-01-31", "MUELLER", "JUERGEN", "1981-01-31", NULL) == 1);
    CHECK(bex_biographic_agreement("MUELLER", "JUERGEN", "1980-01-31", "SCHMIDT", "JUERGEN", "1980-01-31", NULL) == 0);
}

/* ---- retention ---- */

TEST(retention_rules) {
    bex_retention r = {.citizen_biometrics = 43200, .unmatched_captures = 43200, .images = 0,
                       .records = 30 * 86400, .overstayer_records = 90 * 86400};
    const int64_t now = 1800000000; /* 2027-01-15 */
    struct {
        int citizen, unmatched, has_image;
        int64_t age;
        bex_fate fate;
    } s[] = {
        {1, 0, 0, 43199, BEX_KEEP},       {1, 0, 0, 43200, BEX_DELETE},  {0, 1, 0, 43200, BEX_DELETE},
        {0, 1, 0, 100, BEX_KEEP},         {0, 0, 1, 1, BEX_DROP_IMAGE},  {0, 0, 0, 99999999, BEX_KEEP},
        {1, 0, 1, 50000, BEX_DELETE},
    };
    for (size_t i = 0; i < sizeof s / sizeof *s; i++) {
        bex_sample_facts f = {.citizen = s[i].citizen, .unmatched = s[i].unmatched, .has_image = s[i].has_image,
                              .captured_at = now - s[i].age};
        CHECK(bex_sample_retention(&f, &r, now) == s[i].fate);
    }
    /* an encounter with an open flag keeps its captures, whatever their period, until the flag is
     * resolved (cleared, confirmed, referred); then the periods apply again; a citizen's sample
     * goes at the citizens' period all the same */
    struct {
        int citizen, unmatched, has_image, open_flag;
        int64_t age;
        bex_fate fate;
    } fl[] = {
        {1, 0, 1, 1, 999999, BEX_DELETE}, {0, 1, 0, 1, 999999, BEX_KEEP},   {0, 0, 1, 1, 999999, BEX_KEEP},
        {1, 0, 1, 0, 999999, BEX_DELETE}, {0, 1, 0, 0, 999999, BEX_DELETE}, {0, 0, 1, 0, 999999, BEX_DROP_IMAGE},
    };
    for (size_t i = 0; i < sizeof fl / sizeof *fl; i++) {
        bex_sample_facts f = {.citizen = fl[i].citizen, .unmatched = fl[i].unmatched, .has_image = fl[i].has_image,
                              .open_flag = fl[i].open_flag, .captured_at = now - fl[i].age};
        CHECK(bex_sample_retention(&f, &r, now) == fl[i].fate);
    }
    /* a whole record */
    bex_day today = (bex_day)(now / 86400);
    bex_stay present = {.entry = today - 400, .exit = BEX_DAY_NONE, .admit_until = today + 10};
    bex_stay over = {.entry = today - 400, .exit = today - 60, .admit_until = today - 70};
    bex_stay fine = {.entry = today - 400, .exit = today - 60, .admit_until = today - 50};
    bex_stay ds = {.entry = today - 400, .exit = BEX_DAY_NONE, .admit_until = BEX_DAY_NONE};
    int o;
    bex_subject_facts f = {.last_seen = now - 60 * 86400, .stays = &present, .n_stays = 1};
    CHECK(bex_subject_retention(&f, &r, now, &o) == BEX_KEEP); /* still here: an exit must find them */
    f.stays = &ds;
    CHECK(bex_subject_retention(&f, &r, now, &o) == BEX_KEEP);
    f.stays = &fine;
    CHECK(bex_subject_retention(&f, &r, now, &o) == BEX_DELETE && !o);
    f.stays = &over;
    CHECK(bex_subject_retention(&f, &r, now, &o) == BEX_KEEP && o); /* 60 days < 90: overstayers kept longer */
    f.last_seen = now - 91 * 86400;
    CHECK(bex_subject_retention(&f, &r, now, &o) == BEX_DELETE && o);
    bex_subject_facts c = {.citizen = 1, .last_seen = now - 31 * 86400};
    CHECK(bex_subject_retention(&c, &r, now, &o) == BEX_DELETE);
    /* periods */
    char err[256];
    CHECK(bex_retention_check("citizen_biometrics", 43200, err, sizeof err) == BEX_OK);
    CHECK(bex_retention_check("citizen_biometrics", 43201, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_retention_check("unmatched_captures", 86400, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_retention_check("records", -1, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_retention_check("forever", 1, err, sizeof err) == BEX_ERR_ARG);
    long long rec, ov;
    bex_retention_preset(BEX_POLICY_EU, &rec, &ov);
    CHECK(rec == 3 * 31557600LL && ov == 5 * 31557600LL);
    bex_retention_preset(BEX_POLICY_US, &rec, &ov);
    CHECK(rec == 75 * 31557600LL && ov == rec);
}

/* Periods are bounded: "keep forever" is a word, never a number that wraps (issue 12: records=
 * 11758000y once deleted every record). */
TEST(retention_periods_bounded) {
    static const struct {
        const char *text;
        long long seconds; /* -1: refused */
    } p[] = {
        {"12h", 43200},          {"0", 0},       {"90m", 5400},    {"3y", 3 * 31557600LL},
        {"1.5d", 129600},        {"100y", 100 * 31557600LL},       {"forever", BEX_RETENTION_FOREVER},
        {"101y", -1},            {"11758000y", -1},                {"9223372036854775807", -1},
        {"99999999999999999999y", -1}, {"-1y", -1}, {"1e9y", -1},   {"inf", -1}, {"0x10", -1},
        {"3 y", -1},             {"y", -1},      {"", -1},         {"3w", -1},  {"Forever", -1},
    };
    char err[256];
    for (size_t i = 0; i < sizeof p / sizeof *p; i++) {
        long long s = 7;
        int rc = bex_retention_parse(p[i].text, &s, err, sizeof err);
        CHECK(p[i].seconds < 0 ? rc == BEX_ERR_ARG && s == -1 && *err : rc == BEX_OK && s == p[i].seconds);
        if (p[i].seconds < 0 && rc == BEX_OK) fprintf(stderr, "  %s was taken as %lld s\n", p[i].text, s);
    }
    CHECK(bex_retention_parse("101y", &(long long){0}, err, sizeof err) == BEX_ERR_ARG && strstr(err, "forever"));
    CHECK(bex_retention_parse(NULL, &(long long){0}, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_retention_check("records", BEX_RETENTION_FOREVER, err, sizeof err) == BEX_OK);
    CHECK(bex_retention_check("records", BEX_RETENTION_MAX_SECONDS, err, sizeof err) == BEX_OK);
    CHECK(bex_retention_check("records", BEX_RETENTION_MAX_SECONDS + 1, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_retention_check("images", 11758000LL * 31557600LL, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_retention_check("citizen_biometrics", BEX_RETENTION_FOREVER, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_retention_check("unmatched_captures", BEX_RETENTION_FOREVER, err, sizeof err) == BEX_ERR_ARG);
    char b[24];
    CHECK(!strcmp(bex_retention_text(BEX_RETENTION_FOREVER, b), "forever"));
    CHECK(!strcmp(bex_retention_text(43200, b), "43200"));
    /* kept forever means kept, however old the record */
    bex_retention r = {.citizen_biometrics = 43200, .unmatched_captures = 43200, .images = BEX_RETENTION_FOREVER,
                       .records = BEX_RETENTION_FOREVER, .overstayer_records = BEX_RETENTION_FOREVER};
    int64_t now = 4102444800; /* 2100-01-01 */
    bex_subject_facts f = {.last_seen = 0};
    int o;
    CHECK(bex_subject_retention(&f, &r, now, &o) == BEX_KEEP);
    bex_sample_facts smp = {.captured_at = 0, .has_image = 1};
    CHECK(bex_sample_retention(&smp, &r, now) == BEX_KEEP);
}

/* ---- who may see what ---- */

TEST(carrier_learns_match_or_no_match) {
    CHECK(bex_carrier_answer_of(BEX_OUTCOME_MATCHED, BEX_GALLERY_MANIFEST) == BEX_CARRIER_MATCH);
    CHECK(bex_carrier_answer_of(BEX_OUTCOME_NOT_MATCHED, BEX_GALLERY_MANIFEST) == BEX_CARRIER_NO_MATCH);
    CHECK(bex_carrier_answer_of(BEX_OUTCOME_NO_PHOTO, BEX_GALLERY_NONE) == BEX_CARRIER_NO_PHOTO);
    CHECK(bex_carrier_answer_of(BEX_OUTCOME_OFFICER_OVERRIDE, BEX_GALLERY_MANIFEST) == BEX_CARRIER_NO_MATCH);
    /* a traveller found outside the carrier's manifest is no "match" for the carrier */
    CHECK(bex_carrier_answer_of(BEX_OUTCOME_MATCHED, BEX_GALLERY_PORT) == BEX_CARRIER_NO_MATCH);
    CHECK(bex_carrier_answer_of(BEX_OUTCOME_MATCHED, BEX_GALLERY_ALL) == BEX_CARRIER_NO_MATCH);
    bex_exit_result r = {.encounter = 7, .subject = 3, .outcome = BEX_OUTCOME_MATCHED};
    r.match.gallery = BEX_GALLERY_MANIFEST;
    CHECK(!strcmp(bex_carrier_answer_name(&r), "match"));
    r.match.gallery = BEX_GALLERY_IN_COUNTRY;
    CHECK(!strcmp(bex_carrier_answer_name(&r), "no_match"));
    CHECK(bex_carrier_owns("BX", "BX") && !bex_carrier_owns("BX", "ZZ") && !bex_carrier_owns(NULL, "BX") &&
          !bex_carrier_owns("", "") && !bex_carrier_owns("BX", NULL));
}

/* A departure belongs to the carrier that first declared it (issue 12, case 1). */
TEST(departure_ownership) {
    bex_departure_info none, bx;
    memset(&none, 0, sizeof none);
    memset(&bx, 0, sizeof bx);
    bx.known = 1;
    snprintf(bx.carrier, sizeof bx.carrier, "BX");
    CHECK(bex_departure_ownership(&none, "ZZ") == BEX_OWN_NEW);     /* first declared: ZZ's */
    CHECK(bex_departure_ownership(NULL, "ZZ") == BEX_OWN_NEW);
    CHECK(bex_departure_ownership(&bx, "BX") == BEX_OWN_SAME);      /* its own: replaced */
    CHECK(bex_departure_ownership(&bx, "ZZ") == BEX_OWN_OTHER);     /* a takeover: refused */
    CHECK(bex_departure_ownership(&bx, "bx") == BEX_OWN_OTHER);
    CHECK(bex_departure_ownership(&bx, "") == BEX_OWN_OTHER && bex_departure_ownership(&bx, NULL) == BEX_OWN_OTHER);
}

/* What a carrier's exit may be and conclude (issue 12, case 3): its own departure, the clock's
 * time, the departure's port; linked only from the manifest's gallery. */
TEST(carrier_exit_rules) {
    float live[BEX_TEMPLATE_DIM] = {1};
    bex_departure_info d;
    memset(&d, 0, sizeof d);
    d.known = 1;
    d.direction = BEX_DIRECTION_DEPARTURE;
    snprintf(d.carrier, sizeof d.carrier, "BX");
    snprintf(d.port, sizeof d.port, "JFK");
    snprintf(d.scheduled, sizeof d.scheduled, "2026-03-10T18:00:00Z");
    struct {
        const char *name, *carrier, *departure, *port, *at;
        int known;
        bex_direction dir;
        int rc;
        const char *says;
    } t[] = {
        {"own_departure_now", "BX", "BX1", "JFK", NULL, 1, BEX_DIRECTION_DEPARTURE, BEX_OK, NULL},
        {"port_left_to_the_departure", "BX", "BX1", NULL, NULL, 1, BEX_DIRECTION_DEPARTURE, BEX_OK, NULL},
        {"another_carriers_departure", "ZZ", "BX1", "JFK", NULL, 1, BEX_DIRECTION_DEPARTURE, BEX_ERR_ARG, "another carrier"},
        {"back_dated", "BX", "BX1", "JFK", "2026-03-01T08:00:00Z", 1, BEX_DIRECTION_DEPARTURE, BEX_ERR_ARG, "clock"},
        {"another_port", "BX", "BX1", "LAX", NULL, 1, BEX_DIRECTION_DEPARTURE, BEX_ERR_ARG, "port"},
        {"no_departure", "BX", NULL, "JFK", NULL, 1, BEX_DIRECTION_DEPARTURE, BEX_ERR_ARG, "departure"},
        {"unknown_departure", "BX", "NOPE", "JFK", NULL, 0, BEX_DIRECTION_DEPARTURE, BEX_ERR_ARG, "departure"},
        {"an_arrival", "BX", "BX2", "JFK", NULL, 1, BEX_DIRECTION_ARRIVAL, BEX_ERR_ARG, "arrival"},
        {"no_carrier_code", "", "BX1", "JFK", NULL, 1, BEX_DIRECTION_DEPARTURE, BEX_ERR_ARG, "code"},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        bex_exit_request rq = {.live = live, .carrier = t[i].carrier, .departure = t[i].departure, .port = t[i].port,
                               .at = t[i].at};
        d.known = t[i].known;
        d.direction = t[i].dir;
        char err[256] = "";
        int rc = bex_carrier_exit_check(&rq, &d, err, sizeof err);
        int ok = rc == t[i].rc && (!t[i].says || strstr(err, t[i].says));
        if (!ok) printf("  %s: rc %d \"%s\"\n", t[i].name, rc, err);
        CHECK(ok);
    }
    d.known = 1;
    d.direction = BEX_DIRECTION_DEPARTURE;
    /* the decision: what the searches found, on a carrier's word and on an officer's */
    struct {
        const char *name;
        const char *carrier;       /* NULL: an officer's exit */
        int n;
        bex_gallery g[3];
        float score[3];
        bex_outcome outcome;
        int64_t subject, admission;
        bex_flag_kind flag;
        int flag_names_candidate;
        bex_carrier_answer answer;
    } c[] = {
        {"carrier_manifest_match_links", "BX", 1, {BEX_GALLERY_MANIFEST}, {0.99f}, BEX_OUTCOME_MATCHED, 5, 33, 0, 0,
         BEX_CARRIER_MATCH},
        {"carrier_match_elsewhere_not_linked", "BX", 2, {BEX_GALLERY_MANIFEST, BEX_GALLERY_PORT}, {0.30f, 0.99f},
         BEX_OUTCOME_NOT_MATCHED, 0, 0, BEX_FLAG_NOT_ON_MANIFEST, 1, BEX_CARRIER_NO_MATCH},
        {"carrier_match_in_everyone_not_linked", "BX", 3,
         {BEX_GALLERY_MANIFEST, BEX_GALLERY_IN_COUNTRY, BEX_GALLERY_ALL}, {0.2f, 0.3f, 0.99f}, BEX_OUTCOME_NOT_MATCHED,
         0, 0, BEX_FLAG_NOT_ON_MANIFEST, 1, BEX_CARRIER_NO_MATCH},
        {"carrier_nobody", "BX", 1, {BEX_GALLERY_MANIFEST}, {0.2f}, BEX_OUTCOME_NOT_MATCHED, 0, 0, BEX_FLAG_NOT_MATCHED,
         0, BEX_CARRIER_NO_MATCH},
        {"officer_match_elsewhere_links", NULL, 2, {BEX_GALLERY_MANIFEST, BEX_GALLERY_PORT}, {0.30f, 0.99f},
         BEX_OUTCOME_MATCHED, 5, 33, BEX_FLAG_NOT_ON_MANIFEST, 1, BEX_CARRIER_NO_MATCH},
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        bex_exit_request rq = {.live = live, .carrier = c[i].carrier, .departure = "BX1", .port = "JFK"};
        bex_exit_facts f;
        memset(&f, 0, sizeof f);
        f.rq = &rq;
        snprintf(f.at, sizeof f.at, "2026-03-10T17:20:00Z");
        bex_border_settings_default(&f.settings);
        f.departure = d;
        for (int k = 0; k < c[i].n; k++) f.searched[f.n_searched++] = gallery_result(c[i].g[k], 300, 5, c[i].score[k]);
        f.open_admission = 33;
        bex_exit_verdict v;
        char err[256] = "";
        int rc = bex_exit_decide(&f, &v, err, sizeof err);
        int flag = !c[i].flag, names = !c[i].flag_names_candidate;
        for (int k = 0; rc == BEX_OK && k < v.n_flags; k++)
            if (v.flags[k].kind == c[i].flag) {
                flag = 1;
                names |= v.flags[k].n_subjects == 1 && v.flags[k].subjects[0] == 5;
            }
        int ok = rc == BEX_OK && v.outcome == c[i].outcome && v.subject == c[i].subject &&
                 v.admission == c[i].admission && flag && names && v.keep_capture &&
                 (c[i].subject || !v.capture_searchable) &&
                 (!c[i].carrier || bex_carrier_answer_of(v.outcome, v.match.gallery) == c[i].answer);
        /* the officer's side keeps the full result: the gallery that matched and its score */
        if (c[i].flag_names_candidate) ok = ok && v.match.match && v.match.subject == 5;
        if (!ok)
            printf("  %s: rc %d outcome %s subject %lld admission %lld flags %d %s\n", c[i].name, rc,
                   bex_outcome_name(v.outcome), (long long)v.subject, (long long)v.admission, v.n_flags, err);
        CHECK(ok);
    }
    /* a back-dated carrier exit is refused by the decision too, not only by its check */
    bex_exit_request rq = {.live = live, .carrier = "BX", .departure = "BX1", .port = "JFK",
                           .at = "2026-03-01T08:00:00Z"};
    bex_exit_facts f;
    memset(&f, 0, sizeof f);
    f.rq = &rq;
    f.departure = d;
    bex_exit_verdict v;
    char err[256];
    CHECK(bex_exit_decide(&f, &v, err, sizeof err) == BEX_ERR_ARG);
}

TEST(role_matrix) {
    /* per action: officer carrier analyst auditor admin */
    static const struct {
        bex_action a;
        const char *who;
    } m[] = {
        {BEX_ACT_ENTRY, "y...."},      {BEX_ACT_EXIT, "yy..."},       {BEX_ACT_MANIFEST, "yy..."},
        {BEX_ACT_GALLERY, "yy..."},    {BEX_ACT_OVERSTAYS, "y.y.."},  {BEX_ACT_FLAGS, "y.y.."},
        {BEX_ACT_FLAG_STATUS, "y...."}, {BEX_ACT_SUBJECT, "y...."},   {BEX_ACT_ENCOUNTER, "y...."},
        {BEX_ACT_LOOKUP, "y...."},     {BEX_ACT_VERIFY, "y...."},     {BEX_ACT_IDENTIFY, "y...."},
        {BEX_ACT_DECIDE, "y...."},     {BEX_ACT_OVERRIDE, "y...."},   {BEX_ACT_MERGE, "y...."},
        {BEX_ACT_RECLASSIFY, "y...."}, {BEX_ACT_ERASE, "y...."},      {BEX_ACT_PURGE, "....y"},
        {BEX_ACT_KEYS, "....y"},       {BEX_ACT_RETENTION, "....y"},  {BEX_ACT_SETTINGS, "....y"},
        {BEX_ACT_AUDIT, "...yy"},      {BEX_ACT_REASSIGN, "....y"},   {BEX_ACT_TRUST, "....y"},
        {BEX_ACT_PHOTO, "y...y"},      {BEX_ACT_REPORTS, "..y.y"},    {BEX_ACT_EVAL, "..y.y"},
        {BEX_ACT_GATES, "....y"},
    };
    CHECK(sizeof m / sizeof *m == BEX_ACTION_COUNT - 1);
    for (size_t i = 0; i < sizeof m / sizeof *m; i++)
        for (int r = 0; r < 5; r++) {
            int want = m[i].who[r] == 'y', got = bex_role_may((bex_role)(r + 1), m[i].a);
            if (want != got) printf("  %s as %s: %d\n", bex_action_name(m[i].a), bex_role_name((bex_role)(r + 1)), got);
            CHECK(want == got);
        }
    CHECK(!bex_role_may(BEX_ROLE_NONE, BEX_ACT_EXIT) && !bex_role_may((bex_role)77, BEX_ACT_EXIT));
}

/* ---- the console's reports (issue 15) ---- */

TEST(age_bands) {
    static const struct {
        const char *birth, *day, *band;
    } c[] = {
        {"2013-06-02", "2026-06-01", "0-13"},  {"2012-06-01", "2026-06-01", "14-17"}, {"2012-06-02", "2026-06-01", "0-13"},
        {"2008-06-02", "2026-06-01", "14-17"}, {"2008-06-01", "2026-06-01", "18-64"}, {"1961-06-02", "2026-06-01", "18-64"},
        {"1961-06-01", "2026-06-01", "65-79"}, {"1946-06-02", "2026-06-01", "65-79"}, {"1946-06-01", "2026-06-01", "80+"},
        {"1920-01-01", "2026-06-01", "80+"},   {"2026-06-01", "2026-06-01", "0-13"},  {"2026-06-02", "2026-06-01", "unknown"},
        {"", "2026-06-01", "unknown"},         {NULL, "2026-06-01", "unknown"},       {"1980-13-01", "2026-06-01", "unknown"},
        {"1980-01-01", "2026-6-1", "unknown"},
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        const char *got = bex_age_band(c[i].birth, c[i].day);
        if (strcmp(got, c[i].band)) printf("  %s at %s: %s, want %s\n", c[i].birth ? c[i].birth : "NULL", c[i].day, got, c[i].band);
        CHECK(!strcmp(got, c[i].band));
    }
}

TEST(rates_aggregate) {
    /* day, port, exit, outcome, birth, sex, count */
    static const bex_crossing_fact f[] = {
        {"2026-06-01", "JFK", 0, "enrolled", "2015-01-01", "F", 1},     /* a child */
        {"2026-06-01", "JFK", 0, "matched", "1940-01-01", "M", 2},      /* over 79 */
        {"2026-06-01", "JFK", 1, "matched", "1940-01-01", "M", 1},
        {"2026-06-02", "LAX", 1, "not_matched", "", "", 3},             /* nobody matched: unknown */
        {"2026-06-02", "LAX", 1, "no_photo", "1980-01-01", "X", 1},
        {"2026-06-02", "JFK", 0, "unverified", "1980-01-01", "F", 1},
        {"2026-06-02", "JFK", 1, "officer_override", "1980-01-01", "F", 1},
    };
    bex_rate_row r[8];
    size_t n;
    char err[128];
    CHECK(bex_rates_aggregate(f, 7, BEX_RATES_BY_PORT, r, 8, &n, err, sizeof err) == BEX_OK && n == 2);
    CHECK(!strcmp(r[0].key, "JFK") && r[0].entries == 4 && r[0].exits == 2 && r[0].crossings == 6);
    CHECK(r[0].captured == 6 && r[0].matched == 4 && r[0].not_matched == 1 && r[0].no_photo == 0);
    CHECK(r[0].capture_rate == 1.0 && fabs(r[0].match_rate - 0.8) < 1e-9);
    CHECK(!strcmp(r[1].key, "LAX") && r[1].crossings == 4 && r[1].captured == 3 && r[1].no_photo == 1);
    CHECK(r[1].matched == 0 && r[1].not_matched == 3 && r[1].match_rate == 0 && fabs(r[1].capture_rate - 0.75) < 1e-9);
    CHECK(bex_rates_aggregate(f, 7, BEX_RATES_BY_DAY, r, 8, &n, err, sizeof err) == BEX_OK && n == 2);
    CHECK(!strcmp(r[0].key, "2026-06-01") && r[0].crossings == 4 && !strcmp(r[1].key, "2026-06-02") && r[1].crossings == 6);
    /* every band, in order, zero rows included */
    CHECK(bex_rates_aggregate(f, 7, BEX_RATES_BY_AGE_BAND, r, 8, &n, err, sizeof err) == BEX_OK && n == 6);
    static const char *const bands[] = {"0-13", "14-17", "18-64", "65-79", "80+", "unknown"};
    static const long long want[] = {1, 0, 3, 0, 3, 3};
    for (int i = 0; i < 6; i++) CHECK(!strcmp(r[i].key, bands[i]) && r[i].crossings == want[i]);
    CHECK(r[1].capture_rate == -1 && r[1].match_rate == -1); /* nothing to divide by: null */
    CHECK(r[0].matched == 0 && r[0].not_matched == 0 && r[0].match_rate == -1 && r[0].capture_rate == 1.0);
    CHECK(bex_rates_aggregate(f, 7, BEX_RATES_BY_SEX, r, 8, &n, err, sizeof err) == BEX_OK && n == 4);
    CHECK(!strcmp(r[0].key, "F") && r[0].crossings == 3 && !strcmp(r[1].key, "M") && r[1].crossings == 3);
    CHECK(!strcmp(r[2].key, "X") && r[2].crossings == 1 && !strcmp(r[3].key, "unknown") && r[3].crossings == 3);
    /* bounded: more keys than rows */
    CHECK(bex_rates_aggregate(f, 7, BEX_RATES_BY_PORT, r, 1, &n, err, sizeof err) == BEX_ERR_LIMIT && n == 0);
    CHECK(bex_rates_aggregate(f, 7, BEX_RATES_BY_NONE, r, 8, &n, err, sizeof err) == BEX_ERR_ARG);
    bex_rates_by by;
    CHECK(bex_rates_by_parse("age_band", &by) == BEX_OK && by == BEX_RATES_BY_AGE_BAND);
    CHECK(bex_rates_by_parse("nationality", &by) == BEX_ERR_ARG && !strcmp(bex_rates_by_name(BEX_RATES_BY_SEX), "sex"));
}

TEST(eval_file_names) {
    static const struct {
        const char *name, *type;
    } c[] = {
        {"det.svg", "image/svg+xml"}, {"calibration_lfw-1.csv", "text/csv"}, {"cal.json", "application/json"},
        {"../det.svg", NULL},         {"..%2Fdet.svg", NULL},                {"a/b.svg", NULL},
        {"..", NULL},                 {".hidden.svg", NULL},                 {"det.svg.exe", NULL},
        {"det.SVG", NULL},            {"det", NULL},                         {"", NULL},
        {NULL, NULL},                 {"d et.csv", NULL},                    {"det.svg\n", NULL},
        {"x\\y.csv", NULL},
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        const char *t = bex_eval_file_type(c[i].name);
        CHECK(c[i].type ? t && !strcmp(t, c[i].type) : !t);
    }
    char longname[200];
    memset(longname, 'a', sizeof longname);
    strcpy(longname + 150, ".svg");
    CHECK(!bex_eval_file_type(longname));
}

/* ---- the document's chip ---- */

typedef struct chip_case {
    const char *name;
    int presented;
    bex_pa_outcome pa;
    int mrz_compared;
    bex_pa_outcome mrz;
    bex_chip_auth aa, ca;
    const char *check;           /* bex_chip_check_name */
    int refer, trusted, n_flags;
    bex_flag_kind flag1, flag2;
} chip_case;

static const chip_case chip_cases[] = {
    {"no_chip", 0, 0, 0, 0, 0, 0, "no_chip", 0, 0, 0, 0, 0},
    {"authentic", 1, BEX_PA_AUTHENTIC, 1, BEX_PA_AUTHENTIC, BEX_CHIP_AUTH_PASSED, 0, "authentic", 0, 1, 0, 0, 0},
    {"authentic_mrz_not_read", 1, BEX_PA_AUTHENTIC, 0, 0, 0, 0, "authentic", 0, 1, 0, 0, 0},
    {"dg2_altered", 1, BEX_PA_DATA_GROUP_ALTERED, 1, BEX_PA_AUTHENTIC, 0, 0, "data_group_altered", 1, 0, 1,
     BEX_FLAG_CHIP_DATA_GROUP_ALTERED, 0},
    {"signature_invalid", 1, BEX_PA_SIGNATURE_INVALID, 0, 0, 0, 0, "signature_invalid", 1, 0, 1,
     BEX_FLAG_CHIP_SIGNATURE_INVALID, 0},
    {"unknown_signer", 1, BEX_PA_UNKNOWN_SIGNER, 0, 0, 0, 0, "unknown_signer", 1, 0, 1, BEX_FLAG_CHIP_UNKNOWN_SIGNER, 0},
    {"expired_signer", 1, BEX_PA_EXPIRED_SIGNER, 0, 0, 0, 0, "expired_signer", 1, 0, 1, BEX_FLAG_CHIP_EXPIRED_SIGNER, 0},
    {"revoked", 1, BEX_PA_REVOKED, 0, 0, 0, 0, "revoked", 1, 0, 1, BEX_FLAG_CHIP_REVOKED, 0},
    {"malformed", 1, BEX_PA_MALFORMED, 0, 0, 0, 0, "malformed", 1, 0, 1, BEX_FLAG_CHIP_MALFORMED, 0},
    {"page_altered", 1, BEX_PA_AUTHENTIC, 1, BEX_PA_MRZ_MISMATCH, 0, 0, "mrz_mismatch", 1, 0, 1,
     BEX_FLAG_CHIP_MRZ_MISMATCH, 0},
    {"clone_active_auth_failed", 1, BEX_PA_AUTHENTIC, 0, 0, BEX_CHIP_AUTH_FAILED, BEX_CHIP_AUTH_PASSED,
     "authentication_failed", 1, 0, 1, BEX_FLAG_CHIP_AUTHENTICATION_FAILED, 0},
    {"aa_not_supported_is_no_failure", 1, BEX_PA_AUTHENTIC, 0, 0, BEX_CHIP_AUTH_NOT_SUPPORTED, 0, "authentic", 0, 1, 0,
     0, 0},
    {"every_failure_its_own_flag", 1, BEX_PA_REVOKED, 1, BEX_PA_MRZ_MISMATCH, 0, BEX_CHIP_AUTH_FAILED, "revoked", 1, 0,
     3, BEX_FLAG_CHIP_REVOKED, BEX_FLAG_CHIP_MRZ_MISMATCH},
};

static int chip_has(const bex_chip_verdict *v, bex_flag_kind k) {
    for (int i = 0; i < v->n_flags; i++)
        if (v->flags[i].kind == k) return 1;
    return 0;
}

TEST(chip_rule) {
    for (size_t i = 0; i < sizeof chip_cases / sizeof *chip_cases; i++) {
        const chip_case *c = &chip_cases[i];
        bex_chip_check k;
        memset(&k, 0, sizeof k);
        k.presented = c->presented;
        k.pa.outcome = c->pa;
        snprintf(k.pa.message, sizeof k.pa.message, "what passive authentication found");
        k.mrz_compared = c->mrz_compared;
        k.mrz = c->mrz;
        k.active_auth = c->aa;
        k.chip_auth = c->ca;
        bex_chip_verdict v;
        bex_chip_decide(&k, &v);
        int ok = !strcmp(v.check, c->check) && v.refer == c->refer && v.trusted == c->trusted &&
                 v.n_flags == c->n_flags && (!c->flag1 || chip_has(&v, c->flag1)) && (!c->flag2 || chip_has(&v, c->flag2));
        if (!ok)
            printf("  %s: check %s refer %d trusted %d flags %d (%s)\n", c->name, v.check, v.refer, v.trusted, v.n_flags,
                   v.n_flags ? bex_flag_kind_name(v.flags[0].kind) : "");
        CHECK(ok);
        for (int f = 0; f < v.n_flags; f++) CHECK(v.flags[f].detail[0] && v.flags[f].subjects[0] == BEX_NEW);
    }
    CHECK(!strcmp(bex_chip_check_name(NULL), "no_chip"));
}

/* The chip in the entry rule: a forged chip whose photo is the presenter's own matches the
 * face, and is still referred, flagged, and its photo not kept as the document's. */
TEST(entry_with_a_chip) {
    float live[BEX_TEMPLATE_DIM] = {1}, photo[BEX_TEMPLATE_DIM] = {1};
    bex_mrz d = doc_of(0, 0);
    for (int forged = 0; forged < 2; forged++) {
        bex_chip chip = {0};
        bex_entry_request rq = {.doc = &d, .live = live, .doc_photo_given = 1, .doc_photo = photo,
                                .admission_class = "B2", .admit_until = "2026-05-30", .port = "JFK",
                                .port_kind = BEX_PORT_AIR, .at = "2026-03-01T10:00:00Z", .chip = &chip};
        bex_entry_facts *f = calloc(1, sizeof *f);
        f->rq = &rq;
        snprintf(f->at, sizeof f->at, "2026-03-01T10:00:00Z");
        bex_border_settings_default(&f->settings);
        char err[256];
        CHECK(bex_operating_point_verify(BEX_ALIGN_DEFAULT, 1e-3, &f->verify_op, err, sizeof err) == BEX_OK);
        bex_calibration_shipped(BEX_ALIGN_DEFAULT, &f->calibration);
        f->fpir = 0.003;
        f->doc_score = 0.98f;
        f->gallery_size = 10;
        f->chip.presented = 1;
        f->chip.pa.outcome = forged ? BEX_PA_DATA_GROUP_ALTERED : BEX_PA_AUTHENTIC;
        f->chip.pa.altered_group = forged ? 2 : 0;
        bex_entry_verdict v;
        CHECK(bex_entry_decide(f, &v, err, sizeof err) == BEX_OK);
        CHECK(v.outcome == BEX_OUTCOME_MATCHED);
        CHECK(v.decision == (forged ? BEX_DECISION_REFERRED : BEX_DECISION_ADMITTED));
        CHECK(v.admit == !forged && v.enrol_document_photo == !forged && v.enrol_live);
        CHECK(v.n_flags == forged && (!forged || v.flags[0].kind == BEX_FLAG_CHIP_DATA_GROUP_ALTERED));
        CHECK(!forged || (v.flags[0].subjects[0] == BEX_NEW && v.flags[0].documents[0] == BEX_NEW));
        free(f);
    }
}

TEST(name_tables) {
    /* every value has a name that parses back to it */
    for (int v = 1; v < BEX_OUTCOME_COUNT; v++) {
        bex_outcome o;
        CHECK(bex_outcome_parse(bex_outcome_name((bex_outcome)v), &o) == BEX_OK && (int)o == v);
    }
    for (int v = 1; v < BEX_FLAG_KIND_COUNT; v++) {
        bex_flag_kind k;
        CHECK(bex_flag_kind_parse(bex_flag_kind_name((bex_flag_kind)v), &k) == BEX_OK && (int)k == v);
    }
    for (int v = 1; v < BEX_ROLE_COUNT; v++) {
        bex_role r;
        CHECK(bex_role_parse(bex_role_name((bex_role)v), &r) == BEX_OK && (int)r == v);
    }
    for (int v = 0; v < BEX_CHIP_AUTH_COUNT; v++) {
        bex_chip_auth a;
        CHECK(bex_chip_auth_parse(bex_chip_auth_name((bex_chip_auth)v), &a) == BEX_OK && (int)a == v);
    }
    bex_gallery g;
    bex_policy p;
    bex_decision d;
    bex_flag_status s;
    CHECK(bex_gallery_parse("in_country", &g) == BEX_OK && g == BEX_GALLERY_IN_COUNTRY);
    CHECK(bex_policy_parse("eu", &p) == BEX_OK && p == BEX_POLICY_EU && bex_policy_parse("us", &p) == BEX_OK && !p);
    CHECK(bex_decision_parse("referred", &d) == BEX_OK && d == BEX_DECISION_REFERRED);
    CHECK(bex_flag_status_parse("referred", &s) == BEX_OK && s == BEX_FLAG_REFERRED);
    CHECK(bex_outcome_parse("", (bex_outcome *)&d) == BEX_ERR_ARG && bex_role_parse("root", (bex_role *)&d) == BEX_ERR_ARG);
    CHECK(!strcmp(bex_outcome_name((bex_outcome)99), "unknown") && !strcmp(bex_gallery_name(BEX_GALLERY_NONE), ""));
}

int main(void) {
    RUN(entry_table);
    RUN(entry_check);
    RUN(pick_face);
    RUN(exit_cascade);
    RUN(exit_table);
    RUN(identify_decide_refuses_beyond_calibration);
    RUN(calibration_in_force_precedence);
    RUN(identify_decide_at_the_applied_calibration);
    RUN(entry_decides_at_the_applied_calibration);
    RUN(flag_candidates_chosen_and_decided);
    RUN(manifest_check_names_tolerant_fields_strict);
    RUN(retention_rules);
    RUN(retention_periods_bounded);
    RUN(carrier_learns_match_or_no_match);
    RUN(departure_ownership);
    RUN(carrier_exit_rules);
    RUN(role_matrix);
    RUN(age_bands);
    RUN(rates_aggregate);
    RUN(eval_file_names);
    RUN(chip_rule);
    RUN(entry_with_a_chip);
    RUN(name_tables);
    return test_summary();
}
