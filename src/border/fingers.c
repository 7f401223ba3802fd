/*
 * fingers.c - fingerprints at the border (border.h): an entry's fingers recorded as its plan says
 * (rules.h: bex_finger_entry_plan), and the comparison an exit or an officer's look-up turns to
 * when the face settles nothing: 1:1 with one subject's enrolled fingers by position, or 1:N
 * over every non-citizen's, each score turned into its calibrated FMR (the finger table of
 * finger.h, the face's of the store) and fused (rules.h: bex_finger_identify_decide). Gather
 * and record only: the rules decide.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bex/finger.h"
#include "bex/rules.h"
#include "bex/timestamp.h"
#include "border/fingers.h"
#include "store/records.h"
#include "util/util.h"

#define FINGER_HITS 16              /* 1:N hits kept per probe finger */

/* ---- the finger table ---- */

int bex__finger_table(bex_calibration *c, bex_calibration_row rows[BEX_FINGER_TABLE_ROWS]) {
    memset(c, 0, sizeof *c);
    size_t n = 0;
    /* ten targets a decade from 0.1 down, until the table's evidence ends */
    for (int k = 10; k <= 80 && n < BEX_FINGER_TABLE_ROWS; k++) {
        bex_finger_operating_point op;
        char err[160];
        if (bex_finger_operating_point_verify(pow(10.0, -k / 10.0), &op, err, sizeof err) != BEX_OK) break;
        if (n && (op.fmr >= rows[n - 1].target || op.threshold <= rows[n - 1].threshold))
            continue; /* the same table row: its target is the one used */
        memset(&rows[n], 0, sizeof rows[n]);
        rows[n].target = op.fmr;
        rows[n].threshold = op.threshold;
        rows[n].false_matches = op.false_matches;
        rows[n].upper95 = op.fmr_upper95;
        rows[n].fnmr = op.fnmr_measured;
        rows[n].heldout_fmr = NAN;
        c->comparisons = op.comparisons;
        n++;
    }
    c->rows = rows;
    c->n_rows = n;
    c->source = BEX_CALIB_MODEL_FILE;
    snprintf(c->name, sizeof c->name, "finger table (FVC2002 DB1-DB4 B, %llu non-mated comparisons)",
             c->comparisons);
    return n ? BEX_OK : BEX_ERR_UNSUPPORTED;
}

/* ---- entries ---- */

int bex__entry_finger_states(const bex_finger_capture *fingers, int n, bex_finger_state states[11], char *err,
                             size_t errlen) {
    memset(states, 0, 11 * sizeof *states);
    if (n < 0 || n > BEX_CROSSING_MAX_FINGERS)
        return bex__fail(err, errlen, BEX_ERR_LIMIT, "%d fingers given: at most %d, one per finger position", n,
                         BEX_CROSSING_MAX_FINGERS);
    for (int i = 0; i < n; i++) {
        int pos = fingers[i].position;
        if (pos < 1 || pos > 10)
            return bex__fail(err, errlen, BEX_ERR_ARG, "finger position %d is not one of 1 (right thumb) to 10 (left "
                             "little finger)", pos);
        if (states[pos] != BEX_FINGER_NOT_GIVEN)
            return bex__fail(err, errlen, BEX_ERR_ARG, "finger position %d is given twice", pos);
        if (!fingers[i].t) {
            states[pos] = BEX_FINGER_MISSING;
            continue;
        }
        char why[160];
        states[pos] = bex_finger_enrol_check(fingers[i].t, why, sizeof why) == BEX_OK ? BEX_FINGER_USABLE
                                                                                      : BEX_FINGER_UNUSABLE;
    }
    return BEX_OK;
}

static const bex_finger_capture *given(const bex_finger_capture *fingers, int n, int pos) {
    for (int i = 0; i < n; i++)
        if (fingers[i].position == pos) return &fingers[i];
    return NULL;
}

int bex__entry_fingers_record(bex_store *st, const bex_entry_request *rq, const bex_finger_plan *plan,
                              int64_t subject, int64_t encounter, int citizen, const char *at, char *err,
                              size_t errlen) {
    int rc = bex__encounter_fingers(st, encounter, plan->prints, NAN, err, errlen);
    if (rc != BEX_OK || plan->prints != BEX_PRINTS_TAKEN) return rc;
    for (int i = 0; rc == BEX_OK && i < plan->n_enrol; i++) {
        const bex_finger_capture *c = given(rq->fingers, rq->n_fingers, plan->enrol[i]);
        if (!c || !c->t) continue;
        bex__finger_row r = {.subject = subject, .encounter = encounter, .source = "entry", .position = c->position,
                             .state = BEX_FINGER_USABLE, .t = c->t, .quality = c->t->quality,
                             .problems = c->t->problems, .citizen = citizen, .at = at, .image = c->image,
                             .image_len = c->image_len};
        rc = bex__insert_finger(st, &r, NULL, err, errlen);
    }
    for (int i = 0; rc == BEX_OK && i < plan->n_record; i++) {
        const bex_finger_capture *c = given(rq->fingers, rq->n_fingers, plan->record[i]);
        bex__finger_row r = {.subject = subject, .encounter = encounter, .source = "entry",
                             .position = plan->record[i], .state = plan->record_state[i], .citizen = citizen,
                             .at = at};
        if (c && c->t) { /* the failed capture's quality and problems, not its template */
            r.quality = c->t->quality;
            r.problems = c->t->problems;
        }
        rc = bex__insert_finger(st, &r, NULL, err, errlen);
    }
    return rc;
}

/* ---- enrolment outside a crossing ---- */

int bex_border_enrol_fingers(bex_store *st, const bex_mrz *doc, const bex_finger_capture *fingers, int n,
                             const bex_finger_policy *policy, const char *at, bex_finger_enrol_result *res,
                             char *err, size_t errlen) {
    memset(res, 0, sizeof *res);
    if (!doc || (n > 0 && !fingers))
        return bex__fail(err, errlen, BEX_ERR_ARG, "a finger enrolment needs a document and its fingers");
    bex_finger_policy pol;
    if (policy) pol = *policy;
    else bex_finger_policy_default(&pol);
    int rc = bex_finger_policy_check(&pol, err, errlen);
    bex_finger_state states[11];
    if (rc == BEX_OK) rc = bex__entry_finger_states(fingers, n, states, err, errlen);
    if (rc != BEX_OK) return rc;
    char when[24];
    if (bex_time_canonical(at, when) != BEX_OK)
        return bex__fail(err, errlen, BEX_ERR_ARG, "the enrolment's time '%.40s' is no ISO 8601 time", at);
    bex_border_settings set;
    if ((rc = bex__settings_read(st, &set, err, errlen)) != BEX_OK) return rc;
    if ((rc = bex__begin(st, err, errlen)) != BEX_OK) return rc;
    /* the document's subject as bex_border_enrol finds it; a citizen's document or holder gives
     * no prints (the plan says so) */
    int citizen = bex_citizen_document(doc, set.home_state);
    bex_known_document h[BEX_ENTRY_MAX_HOLDERS];
    int nh = 0;
    int64_t subj = 0, docid = 0;
    rc = bex__holders(st, doc->issuing_state, doc->doc_number, h, BEX_ENTRY_MAX_HOLDERS, &nh, err, errlen);
    if (rc == BEX_OK && nh > 0) {
        int exists = 0, cit = 0;
        subj = h[0].subject;
        docid = h[0].id;
        rc = bex__subject_kind(st, subj, &exists, &cit, err, errlen);
        citizen |= cit;
    }
    char day[11];
    snprintf(day, sizeof day, "%.10s", when);
    if (rc == BEX_OK) bex_finger_entry_plan(&pol, citizen, doc->birth_date, day, states, &res->plan);
    /* what the subject has on record already, position by position: 1 an enrolled finger, 2 only
     * a finger recorded as unusable or missing */
    if (rc == BEX_OK && res->plan.prints == BEX_PRINTS_TAKEN && subj) {
        bex_finger_sample *fs = NULL;
        size_t nfs = 0;
        rc = bex_store_finger_samples(st, subj, &fs, &nfs, err, errlen);
        for (size_t j = 0; rc == BEX_OK && j < nfs; j++) {
            int pos = fs[j].position;
            if (pos < 1 || pos > 10) continue;
            if (!strcmp(fs[j].status, "enrolled")) res->already[pos] = 1;
            else if (!res->already[pos]) res->already[pos] = 2;
        }
        free(fs);
    }
    int todo = 0;
    if (rc == BEX_OK && res->plan.prints == BEX_PRINTS_TAKEN) {
        for (int i = 0; i < res->plan.n_enrol; i++) todo += res->already[res->plan.enrol[i]] != 1;
        for (int i = 0; i < res->plan.n_record; i++) todo += !res->already[res->plan.record[i]];
    }
    if (rc != BEX_OK || !todo) { /* nothing to write */
        bex__end(st, BEX_ERR_ARG, NULL, err, errlen);
        if (rc == BEX_OK) {
            res->subject = subj;
            res->document = docid;
        }
        return rc;
    }
    if (!subj) rc = bex__insert_subject(st, when, 0, &subj, err, errlen);
    if (rc == BEX_OK && !docid) rc = bex__insert_document(st, subj, doc, when, &docid, err, errlen);
    for (int i = 0; rc == BEX_OK && i < res->plan.n_enrol; i++) {
        const bex_finger_capture *c = given(fingers, n, res->plan.enrol[i]);
        if (!c || !c->t || res->already[c->position] == 1) continue;
        bex__finger_row r = {.subject = subj, .source = "officer", .position = c->position,
                             .state = BEX_FINGER_USABLE, .t = c->t, .quality = c->t->quality,
                             .problems = c->t->problems, .at = when, .image = c->image, .image_len = c->image_len};
        rc = bex__insert_finger(st, &r, NULL, err, errlen);
        res->added += rc == BEX_OK;
    }
    for (int i = 0; rc == BEX_OK && i < res->plan.n_record; i++) {
        int pos = res->plan.record[i];
        if (res->already[pos]) continue;
        const bex_finger_capture *c = given(fingers, n, pos);
        bex__finger_row r = {.subject = subj, .source = "officer", .position = pos,
                             .state = res->plan.record_state[i], .at = when};
        if (c && c->t) { /* the failed capture's quality and problems, not its template */
            r.quality = c->t->quality;
            r.problems = c->t->problems;
        }
        rc = bex__insert_finger(st, &r, NULL, err, errlen);
        res->added += rc == BEX_OK;
    }
    if (rc == BEX_OK) {
        char obj[96], det[240];
        snprintf(obj, sizeof obj, "subject %lld document %lld", (long long)subj, (long long)docid);
        snprintf(det, sizeof det, "officer: %d finger samples written; %s", res->added, res->plan.detail);
        rc = bex__audit(st, "enrol_fingers", obj, det, err, errlen);
    }
    rc = bex__end(st, rc, NULL, err, errlen);
    if (rc != BEX_OK) {
        bex_finger_plan keep = res->plan;
        memset(res, 0, sizeof *res);
        res->plan = keep;
        return rc;
    }
    res->subject = subj;
    res->document = docid;
    return BEX_OK;
}

/* ---- comparisons ---- */

typedef struct probe {
    int position;
    const bex_finger_template *t;
    bex_finger_prepared *p;
} probe;

static int cand_index(bex_finger_candidate *c, int *n, int max, int64_t subject) {
    for (int i = 0; i < *n; i++)
        if (c[i].subject == subject) return i;
    if (*n == max) return -1;
    memset(&c[*n], 0, sizeof c[*n]);
    c[*n].subject = subject;
    c[*n].face_fmr = 1.0;
    return (*n)++;
}

/* a candidate's score for a probe position: its best over its templates of that position */
static void cand_score(bex_finger_candidate *c, int position, float score, const bex_calibration *table) {
    for (int k = 0; k < c->n; k++)
        if (c->positions[k] == position) {
            if (score > c->scores[k]) {
                c->scores[k] = score;
                c->fmr[k] = bex_calibration_fmr_at(table, score);
            }
            return;
        }
    if (c->n == BEX_CROSSING_MAX_FINGERS) return;
    c->positions[c->n] = position;
    c->scores[c->n] = score;
    c->fmr[c->n] = bex_calibration_fmr_at(table, score);
    c->n++;
}

int bex__finger_compare(bex_store *st, const bex_finger_capture *fingers, int n, int64_t subject,
                        int64_t face_subject, double face_fmr, double fpir, double fmr_1to1,
                        bex_finger_decision *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (n < 0 || n > BEX_CROSSING_MAX_FINGERS)
        return bex__fail(err, errlen, BEX_ERR_LIMIT, "%d fingers given: at most %d", n, BEX_CROSSING_MAX_FINGERS);
    probe pr[BEX_CROSSING_MAX_FINGERS];
    int np = 0, rc = BEX_OK;
    for (int i = 0; i < n; i++) {
        if (!fingers[i].t) continue; /* a finger declared missing compares with nothing */
        if (fingers[i].position < 1 || fingers[i].position > 10)
            return bex__fail(err, errlen, BEX_ERR_ARG, "finger position %d is not one of 1 to 10", fingers[i].position);
        for (int k = 0; k < np; k++)
            if (pr[k].position == fingers[i].position)
                return bex__fail(err, errlen, BEX_ERR_ARG, "finger position %d is given twice", fingers[i].position);
        pr[np].position = fingers[i].position;
        pr[np].t = fingers[i].t;
        pr[np].p = NULL;
        np++;
    }
    if (np == 0) return bex__fail(err, errlen, BEX_ERR_ARG, "no finger template to compare");
    bex_calibration table;
    bex_calibration_row rows[BEX_FINGER_TABLE_ROWS];
    if (bex__finger_table(&table, rows) != BEX_OK)
        return bex__fail(err, errlen, BEX_ERR_UNSUPPORTED, "the finger comparator has no calibrated table: no finger "
                         "decision can be taken");
    bex_finger_candidate *c = NULL;
    int nc = 0, maxc = 0;
    for (int i = 0; rc == BEX_OK && i < np; i++)
        rc = bex_finger_prepare(pr[i].t, &pr[i].p, err, errlen);
    long long size = 0;
    if (rc == BEX_OK && subject <= 0) rc = bex__finger_subjects(st, &size, err, errlen);
    if (rc == BEX_OK) {
        maxc = subject > 0 ? 1 : np * FINGER_HITS + 1;
        c = bex__calloc((size_t)maxc, sizeof *c);
        if (!c) rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory");
    }
    /* the one subject named (1:1), or the face's candidate (1:N): compared directly with its
     * own fingers of the probes' positions, whatever its rank in a search */
    int64_t direct = subject > 0 ? subject : face_subject;
    if (rc == BEX_OK && direct > 0) {
        int k = cand_index(c, &nc, maxc, direct);
        if (k >= 0 && direct == face_subject) c[k].face_fmr = face_fmr;
        bex__finger_enrolled *e = NULL;
        size_t ne = 0;
        rc = bex__finger_templates(st, direct, 0, BEX_FINGER_SAMPLES_MAX, &e, &ne, err, errlen);
        for (size_t j = 0; rc == BEX_OK && k >= 0 && j < ne; j++)
            for (int i = 0; rc == BEX_OK && i < np; i++) {
                if (e[j].position != pr[i].position) continue;
                bex_finger_prepared *q = NULL;
                if ((rc = bex_finger_prepare(&e[j].t, &q, err, errlen)) != BEX_OK) break;
                cand_score(&c[k], pr[i].position, bex_finger_compare_prepared(pr[i].p, q), &table);
                bex_finger_prepared_free(q);
            }
        bex__free(e);
    }
    if (rc == BEX_OK && subject > 0) {
        out->gallery = BEX_GALLERY_HOLDER;
        out->gallery_size = 1;
    } else if (rc == BEX_OK) {
        /* 1:N: each probe finger over the store's gallery of its position */
        for (int i = 0; rc == BEX_OK && i < np; i++) {
            bex_finger_hit hits[FINGER_HITS];
            int64_t subj[FINGER_HITS];
            int nh = 0;
            rc = bex__finger_search(st, pr[i].position, pr[i].p, FINGER_HITS, hits, subj, &nh, err, errlen);
            for (int h = 0; rc == BEX_OK && h < nh; h++) {
                int k = cand_index(c, &nc, maxc, subj[h]);
                if (k >= 0) cand_score(&c[k], pr[i].position, hits[h].score, &table);
            }
        }
        out->gallery = BEX_GALLERY_ALL;
        out->gallery_size = size;
    }
    if (rc == BEX_OK) {
        /* a candidate with no finger of the probe's positions on record has nothing to fuse */
        int m = 0;
        for (int i = 0; i < nc; i++)
            if (c[i].n > 0) c[m++] = c[i];
        double target = subject > 0 ? fmr_1to1 : bex_fusion_target_1n(fpir, size > 1 ? size : 1);
        bex_finger_identify_decide(c, m, target, out);
    }
    for (int i = 0; i < np; i++) bex_finger_prepared_free(pr[i].p);
    bex__free(c);
    if (rc != BEX_OK) memset(out, 0, sizeof *out);
    return rc;
}

/* The look-up's comparison in its own transaction, audited: 1:1 with `subject` (> 0) or 1:N,
 * the face's candidate (face_subject, its score face_score) fused. */
static int finger_lookup(bex_store *st, int64_t subject, const bex_finger_capture *fingers, int n,
                         int64_t face_subject, float face_score, const char *port, bex_finger_decision *out,
                         char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    int rc = bex__begin(st, err, errlen);
    if (rc != BEX_OK) return rc;
    bex_calibration cal;
    bex_operating_point vop;
    double fpir = BEX_DEFAULT_FPIR;
    rc = bex__operating_points(st, port, &cal, &vop, &fpir, err, errlen);
    if (rc == BEX_OK && subject > 0) {
        int exists = 0, citizen = 0;
        rc = bex__subject_kind(st, subject, &exists, &citizen, err, errlen);
        if (rc == BEX_OK && !exists) rc = bex__fail(err, errlen, BEX_ERR_ARG, "no subject %lld on record",
                                                    (long long)subject);
    }
    double face_fmr = face_subject > 0 ? bex_calibration_fmr_at(&cal, face_score) : 1.0;
    if (rc == BEX_OK)
        rc = bex__finger_compare(st, fingers, n, subject, face_subject, face_fmr, fpir, vop.target, out, err, errlen);
    if (rc == BEX_OK) {
        char obj[64], det[320];
        snprintf(obj, sizeof obj, "subject %lld", (long long)(subject > 0 ? subject : out->subject));
        snprintf(det, sizeof det, "finger %s over %lld subjects, %d fingers%s: %s, fused FMR %.3g (%s)%s",
                 subject > 0 ? "1:1" : "1:N", out->gallery_size, out->n, face_subject > 0 ? " and the face" : "",
                 out->fusion.match ? "match" : "no match", out->fusion.fused_fmr, out->fusion.operating_point,
                 out->ambiguous ? ", ambiguous" : "");
        rc = bex__audit(st, "finger_lookup", obj, det, err, errlen);
    }
    rc = bex__end(st, rc, NULL, err, errlen);
    if (rc != BEX_OK) memset(out, 0, sizeof *out);
    return rc;
}

int bex_border_finger_lookup(bex_store *st, int64_t subject, const bex_finger_capture *fingers, int n,
                             float face_score, const char *port, bex_finger_decision *out, char *err,
                             size_t errlen) {
    return finger_lookup(st, subject, fingers, n, subject > 0 && !isnan(face_score) ? subject : 0, face_score, port,
                         out, err, errlen);
}

int bex_border_identify_fingers(bex_store *st, const bex_store_scan *pre, const float *face,
                                const bex_finger_capture *fingers, int n_fingers, bex_index_hit hits[5], size_t *n,
                                bex_match *m, bex_finger_decision *fd, char *err, size_t errlen) {
    memset(fd, 0, sizeof *fd);
    int rc = bex_border_identify_from(st, pre, face, hits, n, m, err, errlen);
    if (rc != BEX_OK || n_fingers <= 0 || !bex_finger_needed(1, m)) return rc;
    int64_t face_subject = *n > 0 ? hits[0].subject_id : 0;
    float face_score = *n > 0 ? hits[0].score : NAN;
    return finger_lookup(st, 0, fingers, n_fingers, face_subject, face_score, NULL, fd, err, errlen);
}
