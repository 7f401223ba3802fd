/*
 * crossing.c - the crossings on a store (border.h): bex_border_entry and bex_border_exit as
 * gather (the store's reads and 1:N searches) -> decide (entry.c, exit.c: pure) -> record (the
 * store's writes), each in one transaction with its audit entry; enrolment outside a crossing
 * and a 1:N search that records none.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bex/json.h"
#include "bex/rules.h"
#include "bex/timestamp.h"
#include "bex/trust.h"
#include "border/fingers.h"
#include "store/records.h"
#include "util/util.h"

/* ---- entry ---- */

/* Adds a subject's facts to f unless they are there. */
static int gather_subject(bex_store *st, bex_entry_facts *f, int64_t id, const float *probe, char *err,
                          size_t errlen) {
    for (int i = 0; i < f->n_subjects; i++)
        if (f->subjects[i].id == id) return BEX_OK;
    if (f->n_subjects >= (int)(sizeof f->subjects / sizeof *f->subjects)) return BEX_OK;
    int rc = bex__subject_facts(st, id, f->at, probe, &f->subjects[f->n_subjects], err, errlen);
    if (rc == BEX_OK) f->n_subjects++;
    return rc;
}

static int entry_gather(bex_store *st, const bex_entry_request *rq, bex_entry_facts *f, char *err, size_t errlen) {
    const bex_mrz *d = rq->doc;
    int rc = bex__holders(st, d->issuing_state, d->doc_number, f->holders, BEX_ENTRY_MAX_HOLDERS, &f->n_holders, err,
                          errlen);
    f->doc_score = rq->live && rq->doc_photo ? bex_template_similarity_dim(rq->live, rq->doc_photo, bex_store_dim(st)) : NAN;
    if (rc == BEX_OK && rq->live && !f->citizen)
        rc = bex__search_all(st, rq->live_scan, rq->live, f->hits, &f->n_hits, &f->gallery_size, err, errlen);
    for (int i = 0; rc == BEX_OK && i < f->n_holders; i++)
        rc = gather_subject(st, f, f->holders[i].subject, rq->live, err, errlen);
    if (rc == BEX_OK && f->n_hits > 0) rc = gather_subject(st, f, f->hits[0].subject_id, NULL, err, errlen);
    return rc;
}

/* The chip's check at the crossing's time: passive authentication against the store's trust
 * store, DG1 against the printed MRZ, and what the reader reports of Active and Chip
 * Authentication. A damaged chip is an outcome (malformed), not an error. */
static int chip_check(bex_store *st, const bex_chip *c, const char *issuing_state, const char *at,
                      bex_chip_check *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    out->presented = 1;
    out->active_auth = c->active_auth;
    out->chip_auth = c->chip_auth;
    int64_t t = 0;
    if (bex_time_parse(at, &t) != BEX_OK) {
        snprintf(err, errlen, "the crossing's time is no ISO 8601 time");
        return BEX_ERR_ARG;
    }
    const bex_trust_store *ts = NULL;
    int rc = bex_store_trust_get(st, &ts, err, errlen);
    if (rc != BEX_OK) return rc;
    bex_dg dgs[BEX_PA_MAX_DG];
    size_t n = 0;
    for (int g = 1; g <= BEX_PA_MAX_DG; g++)
        if (c->file[g]) dgs[n++] = (bex_dg){g, c->file[g], c->file_len[g]};
    if (!c->file[BEX_LDS_SOD]) {
        out->pa.outcome = BEX_PA_MALFORMED;
        snprintf(out->pa.message, sizeof out->pa.message,
                 "the chip's files hold no EF.SOD: nothing shows the issuer signed its data groups");
    } else if ((rc = bex_pa_verify(ts, c->file[BEX_LDS_SOD], c->file_len[BEX_LDS_SOD], dgs, n, t, &out->pa, err,
                                   errlen)) != BEX_OK) {
        return rc;
    }
    /* DG1 and DG2 are on every ePassport (Doc 9303 Part 10): a chip read without its face is
     * not checked as a whole (a withheld DG2 would leave the face unverified and the chip
     * "authentic") */
    if (out->pa.outcome == BEX_PA_AUTHENTIC && !c->file[2]) {
        out->pa.outcome = BEX_PA_MALFORMED;
        snprintf(out->pa.message, sizeof out->pa.message,
                 "the chip's face (DG2), which every ePassport holds, was not read: the chip is not checked whole");
    }
    /* the document's state's own CSCA must have issued its signer */
    if (out->pa.outcome == BEX_PA_AUTHENTIC && issuing_state) {
        char m[160];
        if (bex_pa_check_issuer(&out->pa, issuing_state, m, sizeof m) != BEX_PA_AUTHENTIC) {
            out->pa.outcome = BEX_PA_UNKNOWN_SIGNER;
            snprintf(out->pa.message, sizeof out->pa.message, "%s", m);
        }
    }
    if (c->printed_mrz) {
        out->mrz_compared = 1;
        out->mrz = c->file[1] ? bex_pa_check_mrz(c->file[1], c->file_len[1], c->printed_mrz, out->mrz_message,
                                                  sizeof out->mrz_message)
                              : BEX_PA_MALFORMED;
        if (!c->file[1]) snprintf(out->mrz_message, sizeof out->mrz_message, "the chip's files hold no DG1");
    }
    return BEX_OK;
}

/* bex_json_chip_check's text for encounters.chip_detail (malloc'd; NULL: out of memory). */
static char *chip_detail(const bex_chip_check *c) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    bex_json_chip_check(f, c);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static int64_t resolve(int64_t id, int64_t made) { return id == BEX_NEW ? made : id; }

static int entry_record(bex_store *st, const bex_entry_request *rq, const bex_entry_facts *f,
                        const bex_entry_verdict *v, const bex_finger_plan *fp, bex_entry_result *res, char *err,
                        size_t errlen) {
    int rc = BEX_OK;
    int64_t subject = v->subject, document = v->document;
    res->new_subject = subject == BEX_NEW;
    if (subject == BEX_NEW) rc = bex__insert_subject(st, f->at, v->citizen, &subject, err, errlen);
    if (rc == BEX_OK && document == BEX_NEW) rc = bex__insert_document(st, subject, rq->doc, f->at, &document, err, errlen);
    if (rc != BEX_OK) return rc;
    res->subject = subject;
    res->document = document;
    res->citizen = v->citizen;
    res->outcome = v->outcome;
    res->decision = v->decision;
    res->verify = v->verify;
    res->identify = v->identify;
    bex__encounter_row e = {.subject = subject, .document = document, .port = rq->port, .port_kind = rq->port_kind,
                            .carrier = rq->carrier, .voyage = rq->voyage, .at = f->at, .outcome = v->outcome,
                            .match = v->verify.gallery != BEX_GALLERY_NONE ? &v->verify : &v->identify,
                            .decision = v->decision, .citizen = v->citizen,
                            .chip_check = bex_chip_check_name(&f->chip)};
    res->chip = f->chip;
    char *detail = f->chip.presented ? chip_detail(&f->chip) : NULL;
    if (f->chip.presented && !detail) {
        snprintf(err, errlen, "out of memory");
        return BEX_ERR_NOMEM;
    }
    e.chip_detail = detail;
    if (!v->enrol_document_photo) { /* else the document's sample keeps it */
        e.document_image = rq->doc_image;
        e.document_image_len = rq->doc_image_len;
    }
    if (!v->citizen) {
        e.class_ = rq->admission_class;
        e.admit_until = rq->admit_until;
    }
    rc = bex__insert_encounter(st, &e, &res->encounter, err, errlen);
    free(detail);
    if (rc != BEX_OK) return rc;
    int64_t enc = res->encounter;
    for (int i = 0; rc == BEX_OK && i < v->n_close; i++) {
        rc = bex__supersede_admission(st, v->close[i], enc, err, errlen);
        if (res->n_closed < 4) res->closed[res->n_closed++] = v->close[i];
    }
    if (rc == BEX_OK && v->admit)
        rc = bex__insert_admission(st, subject, enc, rq->admission_class, rq->admit_until, &res->admission, err,
                                   errlen);
    for (int i = 0; rc == BEX_OK && i < v->n_flags; i++) {
        bex_flag_plan p = v->flags[i];
        for (int k = 0; k < p.n_subjects; k++) p.subjects[k] = resolve(p.subjects[k], subject);
        for (int k = 0; k < p.n_documents; k++) p.documents[k] = resolve(p.documents[k], document);
        bex_flag *out = res->n_flags < BEX_MAX_FLAGS ? &res->flags[res->n_flags] : NULL;
        rc = bex__insert_flag(st, &p, enc, NULL, f->at, out, err, errlen);
        if (rc == BEX_OK && out) {
            snprintf(out->port, sizeof out->port, "%s", rq->port);
            res->n_flags++;
        }
    }
    if (rc == BEX_OK && v->enrol_live)
        rc = bex__insert_sample(st, subject, enc, "entry", rq->live, rq->live_quality, f->at, rq->live_image,
                                rq->live_image_len, v->citizen, v->live_searchable, NULL, err, errlen);
    if (rc == BEX_OK && v->enrol_document_photo)
        rc = bex__insert_sample(st, subject, enc, "document", rq->doc_photo, rq->doc_quality, f->at, rq->doc_image,
                                rq->doc_image_len,
                                v->citizen, !v->citizen, NULL, err, errlen);
    if (rc == BEX_OK && fp) {
        rc = bex__entry_fingers_record(st, rq, fp, subject, enc, v->citizen, f->at, err, errlen);
        res->fingers_asked = 1;
        res->fingers = *fp;
        res->holder_fingers = f->holder_fingers;
    }
    if (rc == BEX_OK) {
        char obj[128], det[256];
        snprintf(obj, sizeof obj, "encounter %lld subject %lld document %lld admission %lld", (long long)enc,
                 (long long)subject, (long long)document, (long long)res->admission);
        char cal[40] = "";
        if (f->calibration.source == BEX_CALIB_APPLIED)
            snprintf(cal, sizeof cal, ", calibration %lld", f->calibration.id);
        char prints[64] = "";
        if (fp)
            snprintf(prints, sizeof prints, ", prints %s (%d enrolled, %d recorded)", bex_prints_name(fp->prints),
                     fp->n_enrol, fp->n_record);
        snprintf(det, sizeof det, "outcome %s, decision %s, %d flags, 1:N over %lld subjects, chip %s%s%s%s%s",
                 bex_outcome_name(v->outcome), bex_decision_name(v->decision), v->n_flags, f->gallery_size,
                 bex_chip_check_name(&f->chip), v->citizen ? ", citizen" : "",
                 v->n_close ? ", earlier admissions closed" : "", cal, prints);
        rc = bex__audit(st, "entry", obj, det, err, errlen);
    }
    return rc;
}

/* The fingers given, 1:1 with the document's holder's enrolled ones and fused with the face
 * (the entry rule uses them only where the face does not verify the holder): when the
 * document is on record with one non-citizen subject, and the entry is no citizen's. */
static int holder_fingers(bex_store *st, const bex_entry_request *rq, bex_entry_facts *f, char *err, size_t errlen) {
    int any = 0;
    for (int i = 0; i < rq->n_fingers; i++) any |= rq->fingers[i].t != NULL;
    if (!any || f->citizen) return BEX_OK;
    int64_t holder = 0;
    for (int i = 0; i < f->n_holders; i++) {
        const bex_known_subject *s = NULL;
        for (int k = 0; k < f->n_subjects; k++)
            if (f->subjects[k].id == f->holders[i].subject) s = &f->subjects[k];
        if (!s || s->citizen || s->id == holder) continue;
        if (holder) return BEX_OK; /* two holders: a document shared; the fingers say nothing of which */
        holder = s->id;
    }
    if (!holder) return BEX_OK;
    float face = f->doc_score;
    for (int k = 0; isnan(face) && k < f->n_subjects; k++)
        if (f->subjects[k].id == holder) face = f->subjects[k].score;
    double face_fmr = bex_calibration_fmr_at(&f->calibration, face);
    return bex__finger_compare(st, rq->fingers, rq->n_fingers, holder, holder, face_fmr, f->fpir, f->verify_op.target,
                               &f->holder_fingers, err, errlen);
}

/* Several faces: the one the rule takes as the document holder's, into *one (a copy of rq
 * with that face as the live capture). Runs inside the transaction (the holders' samples). */
static int pick_face(bex_store *st, const bex_entry_request *rq, bex_entry_request *one, int *face, char *err,
                     size_t errlen) {
    *one = *rq;
    *face = 0;
    int n = rq->n_faces;
    if (n > 64) {
        snprintf(err, errlen, "%d faces in one capture: at most 64 are compared", n);
        return BEX_ERR_LIMIT;
    }
    float doc[64], holder[64];
    size_t dim = (size_t)bex_store_dim(st);
    for (int i = 0; i < n; i++) doc[i] = holder[i] = NAN;
    int rc = BEX_OK;
    if (n > 1 && rq->doc_photo) {
        for (int i = 0; i < n; i++) doc[i] = bex_template_similarity_dim(rq->faces + (size_t)i * dim, rq->doc_photo, (int)dim);
    } else if (n > 1) {
        bex_known_document h[BEX_ENTRY_MAX_HOLDERS];
        int nh = 0;
        rc = bex__holders(st, rq->doc->issuing_state, rq->doc->doc_number, h, BEX_ENTRY_MAX_HOLDERS, &nh, err, errlen);
        int64_t subj[BEX_ENTRY_MAX_HOLDERS];
        for (int i = 0; i < nh; i++) subj[i] = h[i].subject;
        for (int i = 0; rc == BEX_OK && nh > 0 && i < n; i++) {
            bex_index_hit hits[5];
            size_t nhits = 0;
            long long size = 0;
            rc = bex__search(st, rq->faces + (size_t)i * dim, subj, (size_t)nh, hits, &nhits, &size, err,
                             errlen);
            if (rc == BEX_OK && nhits) holder[i] = hits[0].score;
        }
    }
    if (rc == BEX_OK && n > 1) rc = bex_entry_pick_face(doc, holder, n, face, err, errlen);
    if (rc != BEX_OK) return rc;
    one->live = rq->faces + (size_t)*face * dim;
    one->live_quality = rq->face_quality ? rq->face_quality[*face] : rq->live_quality;
    one->faces = NULL;
    one->n_faces = 0;
    return BEX_OK;
}

int bex_border_entry(bex_store *st, const bex_entry_request *rq0, bex_entry_result *res, char *err, size_t errlen) {
    memset(res, 0, sizeof *res);
    bex_entry_request picked;
    const bex_entry_request *rq = rq0;
    res->verify.score = res->verify.threshold = res->identify.score = res->identify.threshold = NAN;
    bex_entry_facts *f = bex__calloc(1, sizeof *f);
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return BEX_ERR_NOMEM;
    }
    f->rq = rq;
    int rc = bex__settings_read(st, &f->settings, err, errlen);
    /* the templates must be the store's model's (border.h: model, dim) */
    if (rc == BEX_OK && (rq->live || rq->doc_photo || (rq->faces && rq->n_faces > 0)))
        rc = bex_store_template_check(st, rq->model, rq->dim ? rq->dim : BEX_TEMPLATE_DIM, err, errlen);
    if (rc == BEX_OK) rc = bex_entry_check(rq, &f->settings, &f->citizen, err, errlen);
    /* the fingers given, position by position (each checked for enrolment) */
    int fingers_asked = rq->finger_capture || rq->n_fingers > 0;
    bex_finger_state fstates[11];
    bex_finger_policy fpolicy;
    if (rq->finger_policy) fpolicy = *rq->finger_policy;
    else bex_finger_policy_default(&fpolicy);
    if (rc == BEX_OK && fingers_asked) rc = bex_finger_policy_check(&fpolicy, err, errlen);
    if (rc == BEX_OK && fingers_asked) rc = bex__entry_finger_states(rq->fingers, rq->n_fingers, fstates, err, errlen);
    if (rc == BEX_OK) rc = bex_time_canonical(rq->at, f->at) == BEX_OK ? BEX_OK : BEX_ERR_ARG;
    if (rc != BEX_OK) {
        bex__free(f);
        return rc;
    }
    if ((rc = bex__begin(st, err, errlen)) != BEX_OK) {
        bex__free(f);
        return rc;
    }
    if (rq->faces && rq->n_faces > 0) {
        rc = pick_face(st, rq, &picked, &res->face, err, errlen);
        rq = f->rq = &picked;
    }
    if (rc == BEX_OK) rc = bex__operating_points(st, rq->port, &f->calibration, &f->verify_op, &f->fpir, err, errlen);
    if (rc == BEX_OK) rc = entry_gather(st, rq, f, err, errlen);
    if (rc == BEX_OK && fingers_asked) rc = holder_fingers(st, rq, f, err, errlen);
    if (rc == BEX_OK && rq->chip) rc = chip_check(st, rq->chip, rq->doc->issuing_state, f->at, &f->chip, err, errlen);
    bex_entry_verdict v;
    if (rc == BEX_OK) rc = bex_entry_decide(f, &v, err, errlen);
    bex_finger_plan fplan;
    if (rc == BEX_OK && fingers_asked) {
        char day[11];
        snprintf(day, sizeof day, "%.10s", f->at);
        bex_finger_entry_plan(&fpolicy, v.citizen, rq->doc->birth_date, day, fstates, &fplan);
        /* prints the policy asks for and did not get: the officer takes them again or declares
         * the finger missing before the traveller is admitted */
        bex_finger_plan_apply(&fplan, &v);
    }
    if (rc == BEX_OK) rc = entry_record(st, rq, f, &v, fingers_asked ? &fplan : NULL, res, err, errlen);
    rc = bex__end(st, rc, "entry_before_commit", err, errlen);
    bex__free(f);
    if (rc != BEX_OK) {
        memset(res, 0, sizeof *res);
        res->verify.score = res->identify.score = NAN;
    }
    (void)rq0;
    return rc;
}

/* ---- exit ---- */

/* The galleries in cascade order, each searched and decided, until one matches. A gallery
 * holding the same subjects as the one searched before it is not searched again. */
static int exit_search(bex_store *st, const bex_exit_request *rq, bex_exit_facts *f, char *err, size_t errlen) {
    /* the port's calibration (else the model's, else the shipped table) sets every gallery's threshold */
    bex_calibration cal;
    bex_operating_point vop;
    double fpir;
    int rc0 = bex__operating_points(st, rq->port, &cal, &vop, &fpir, err, errlen);
    if (rc0 != BEX_OK) return rc0;
    bex_gallery order[BEX_EXIT_MAX_GALLERIES];
    int n = bex_exit_cascade(rq->departure != NULL, order);
    char day[11];
    snprintf(day, sizeof day, "%.10s", f->at);
    int64_t *prev = NULL;
    size_t nprev = 0;
    int prev_all = 0, rc = BEX_OK;
    for (int i = 0; i < n && rc == BEX_OK; i++) {
        bex_gallery g = order[i];
        int64_t *subj = NULL;
        size_t ns = 0;
        int all = g == BEX_GALLERY_ALL;
        if (!all && (rc = bex__gallery_subjects(st, g, rq->departure, rq->port, day, &subj, &ns, err, errlen)) != BEX_OK)
            break;
        int same = all ? prev_all : prev && ns == nprev && !memcmp(subj, prev, ns * sizeof *subj);
        if (same || (!all && ns == 0)) {
            bex__free(subj);
            continue;
        }
        bex_index_hit hits[5];
        size_t nh = 0;
        long long size = 0;
        rc = bex__search(st, rq->live, all ? NULL : subj, ns, hits, &nh, &size, err, errlen);
        bex__free(prev);
        prev = subj;
        nprev = ns;
        if (rc != BEX_OK || size == 0) continue;
        long long indexed = 0;
        if ((rc = bex__indexed_subjects(st, &indexed, err, errlen)) != BEX_OK) break;
        prev_all = size == indexed;
        bex_match *m = &f->searched[f->n_searched++];
        bex_identify_decide(&cal, fpir, g, size, hits, nh, m);
        if (m->match) break;
    }
    bex__free(prev);
    return rc;
}

static int exit_record(bex_store *st, const bex_exit_request *rq, const bex_exit_facts *f, bex_port_kind kind,
                       const bex_exit_verdict *v, bex_exit_result *res, char *err, size_t errlen) {
    res->subject = v->subject;
    res->outcome = v->outcome;
    res->match = v->match;
    const bex_departure_info *d = &f->departure;
    bex__encounter_row e = {.subject = v->subject, .exit = 1, .port = rq->port, .port_kind = kind,
                            .carrier = d->known && d->carrier[0] ? d->carrier : NULL,
                            .voyage = d->known && d->voyage[0] ? d->voyage : NULL, .departure = rq->departure,
                            .at = f->at, .outcome = v->outcome, .match = &v->match};
    int rc = bex__insert_encounter(st, &e, &res->encounter, err, errlen);
    int64_t enc = res->encounter;
    if (rc == BEX_OK && v->admission) {
        rc = bex__close_admission(st, v->admission, enc, err, errlen);
        res->admission = v->admission;
    }
    if (rc == BEX_OK && v->subject && v->match.gallery == BEX_GALLERY_MANIFEST && rq->departure)
        rc = bex__manifest_position(st, rq->departure, v->subject, &res->traveller, err, errlen);
    for (int i = 0; rc == BEX_OK && i < v->n_flags; i++) {
        bex_flag *out = res->n_flags < BEX_MAX_FLAGS ? &res->flags[res->n_flags] : NULL;
        rc = bex__insert_flag(st, &v->flags[i], enc, rq->departure, f->at, out, err, errlen);
        if (rc == BEX_OK && out) {
            snprintf(out->port, sizeof out->port, "%s", rq->port);
            res->n_flags++;
        }
    }
    if (rc == BEX_OK && v->keep_capture && rq->live)
        rc = bex__insert_sample(st, v->subject, enc, "exit", rq->live, rq->live_quality, f->at, rq->live_image,
                                rq->live_image_len, 0, v->capture_searchable, NULL, err, errlen);
    res->finger = f->finger;
    if (rc == BEX_OK && f->finger.compared)
        rc = bex__encounter_fingers(st, enc, 0, f->finger.fusion.fused_fmr, err, errlen);
    /* the exit's fingers, once compared, are kept as a face capture is: with the subject they
     * matched, or unlinked for review (the unmatched captures' period, kept while the exit's
     * flag is open) */
    for (int i = 0; rc == BEX_OK && f->finger.compared && i < rq->n_fingers; i++) {
        const bex_finger_capture *c = &rq->fingers[i];
        if (!c->t) continue;
        bex__finger_row r = {.subject = v->subject, .encounter = enc, .source = "exit", .position = c->position,
                             .state = BEX_FINGER_USABLE, .t = c->t, .quality = c->t->quality,
                             .problems = c->t->problems, .citizen = f->matched_citizen, .at = f->at,
                             .image = c->image, .image_len = c->image_len};
        rc = bex__insert_finger(st, &r, NULL, err, errlen);
    }
    if (rc == BEX_OK) {
        char obj[128], det[256];
        snprintf(obj, sizeof obj, "encounter %lld subject %lld admission %lld", (long long)enc, (long long)v->subject,
                 (long long)res->admission);
        char cal[40] = "";
        if (v->match.calibration_id) snprintf(cal, sizeof cal, ", calibration %lld", v->match.calibration_id);
        char fing[96] = "";
        if (f->finger.compared)
            snprintf(fing, sizeof fing, ", fingers %s over %lld (fused FMR %.3g%s)",
                     f->finger.fusion.match ? "matched" : "not matched", f->finger.gallery_size,
                     f->finger.fusion.fused_fmr, f->finger.ambiguous ? ", ambiguous" : "");
        snprintf(det, sizeof det, "outcome %s, gallery %s of %lld, %d flags%s%s", bex_outcome_name(v->outcome),
                 v->match.gallery ? bex_gallery_name(v->match.gallery) : "none", v->match.gallery_size, v->n_flags,
                 cal, fing);
        rc = bex__audit(st, "exit", obj, det, err, errlen);
    }
    return rc;
}

int bex_border_exit(bex_store *st, const bex_exit_request *rq0, bex_exit_result *res, char *err, size_t errlen) {
    memset(res, 0, sizeof *res);
    res->match.score = res->match.threshold = NAN;
    if (rq0->carrier && rq0->n_fingers) {
        snprintf(err, errlen, "a carrier's exit takes no fingerprints: carriers never send or receive them");
        return BEX_ERR_ARG;
    }
    if (rq0->n_fingers < 0 || rq0->n_fingers > BEX_CROSSING_MAX_FINGERS || (rq0->n_fingers && !rq0->fingers)) {
        snprintf(err, errlen, "an exit takes 0 to %d fingers, one per position", BEX_CROSSING_MAX_FINGERS);
        return BEX_ERR_ARG;
    }
    /* a carrier's exit: at its own departure's port, now (rules.h: bex_carrier_exit_check) */
    bex_exit_request carrier_rq;
    const bex_exit_request *rq = rq0;
    bex_departure_info cd;
    if (rq0->carrier) {
        int rc = rq0->departure ? bex__departure(st, rq0->departure, &cd, err, errlen) : BEX_OK;
        if (rc == BEX_OK) rc = bex_carrier_exit_check(rq0, rq0->departure ? &cd : NULL, err, errlen);
        if (rc != BEX_OK) return rc;
        carrier_rq = *rq0;
        carrier_rq.port = cd.port;
        carrier_rq.port_kind = cd.port_kind;
        carrier_rq.once = 0;
        rq = &carrier_rq;
    }
    if (!rq->port || !*rq->port || strlen(rq->port) > 7) {
        snprintf(err, errlen, "an exit needs the port code (at most 7 characters)");
        return BEX_ERR_ARG;
    }
    if (rq->port_kind < BEX_PORT_NONE || rq->port_kind >= BEX_PORT_KIND_COUNT) {
        snprintf(err, errlen, "the port's kind is none of air, sea, land, land-pedestrian, land-vehicle");
        return BEX_ERR_ARG;
    }
    if (rq->live) { /* the store's model's template (border.h: model, dim) */
        int rc = bex_store_template_check(st, rq->model, rq->dim ? rq->dim : BEX_TEMPLATE_DIM, err, errlen);
        if (rc != BEX_OK) return rc;
    }
    bex_exit_facts f;
    memset(&f, 0, sizeof f);
    f.rq = rq;
    if (bex_time_canonical(rq->at, f.at) != BEX_OK) {
        snprintf(err, errlen, "the crossing's time '%.40s' is no ISO 8601 time (YYYY-MM-DDTHH:MM:SSZ)", rq->at);
        return BEX_ERR_ARG;
    }
    int rc = bex__begin(st, err, errlen);
    if (rc != BEX_OK) return rc;
    if (rq->once && rq->live) {
        int found = 0;
        rc = bex__exit_recorded(st, rq->port, f.at, rq->live, &found, res, err, errlen);
        if (rc == BEX_OK && found) {
            res->already = 1;
            bex__end(st, BEX_ERR_ARG, NULL, err, errlen); /* nothing to write: roll back */
            return BEX_OK;
        }
    }
    if (rc == BEX_OK) rc = bex__settings_read(st, &f.settings, err, errlen);
    if (rc == BEX_OK && rq->departure) rc = bex__departure(st, rq->departure, &f.departure, err, errlen);
    bex_port_kind kind = rq->port_kind;
    if (rc == BEX_OK && !kind && f.departure.known) kind = f.departure.port_kind;
    if (rc == BEX_OK && !kind) rc = bex__port_kind(st, rq->port, &kind, err, errlen);
    if (rc == BEX_OK && !kind) {
        snprintf(err, errlen, "port %.7s is new to this store: its kind (air, sea, land, land-pedestrian, "
                 "land-vehicle) is needed", rq->port);
        rc = BEX_ERR_ARG;
    }
    /* a departure that cannot be one is refused before anything is searched */
    if (rc == BEX_OK && rq->departure && (!f.departure.known || f.departure.direction != BEX_DIRECTION_DEPARTURE)) {
        bex_exit_verdict dummy;
        rc = bex_exit_decide(&f, &dummy, err, errlen);
    }
    if (rc == BEX_OK && rq->live) rc = exit_search(st, rq, &f, err, errlen);
    if (rc == BEX_OK && f.n_searched && f.searched[f.n_searched - 1].match)
        rc = bex__open_admission(st, f.searched[f.n_searched - 1].subject, f.at, &f.open_admission, err, errlen);
    /* the face settled nothing: the fingers, fused with what the face said of its best candidate */
    const bex_match *last = f.n_searched ? &f.searched[f.n_searched - 1] : NULL;
    if (rc == BEX_OK && rq->n_fingers > 0 && bex_finger_needed(rq->live != NULL, last)) {
        bex_calibration cal;
        bex_operating_point vop;
        double fpir = BEX_DEFAULT_FPIR;
        rc = bex__operating_points(st, rq->port, &cal, &vop, &fpir, err, errlen);
        int64_t face_subject = last && last->subject > 0 && !isnan(last->score) ? last->subject : 0;
        double face_fmr = face_subject ? bex_calibration_fmr_at(&cal, last->score) : 1.0;
        if (rc == BEX_OK)
            rc = bex__finger_compare(st, rq->fingers, rq->n_fingers, 0, face_subject, face_fmr, fpir, vop.target,
                                     &f.finger, err, errlen);
        if (rc == BEX_OK && f.finger.fusion.match && !f.finger.ambiguous)
            rc = bex__open_admission(st, f.finger.subject, f.at, &f.open_admission, err, errlen);
    }
    bex_exit_verdict v;
    if (rc == BEX_OK) rc = bex_exit_decide(&f, &v, err, errlen);
    if (rc == BEX_OK) rc = exit_record(st, rq, &f, kind, &v, res, err, errlen);
    rc = bex__end(st, rc, "exit_before_commit", err, errlen);
    if (rc != BEX_OK) {
        memset(res, 0, sizeof *res);
        res->match.score = NAN;
    }
    return rc;
}

/* ---- enrolment outside a crossing ---- */

int bex_border_enrol(bex_store *st, const bex_mrz *doc, const float *tmpl, float quality, const char *source,
                     const char *at, int64_t *subject, int64_t *document, int *added, char *err, size_t errlen) {
    *subject = *document = 0;
    *added = 0;
    if (!doc || !tmpl || !source || (strcmp(source, "document") && strcmp(source, "visa") && strcmp(source, "officer"))) {
        snprintf(err, errlen, "enrolment needs a document, a template and a source (document, visa, officer)");
        return BEX_ERR_ARG;
    }
    char when[24];
    if (bex_time_canonical(at, when) != BEX_OK) {
        snprintf(err, errlen, "the enrolment's time '%.40s' is no ISO 8601 time", at);
        return BEX_ERR_ARG;
    }
    bex_border_settings set;
    int rc = bex__settings_read(st, &set, err, errlen);
    if (rc != BEX_OK) return rc;
    if (bex_citizen_document(doc, set.home_state)) {
        snprintf(err, errlen, "the document is a passport of %s, this deployment's own state: citizens are not "
                 "enrolled", set.home_state);
        return BEX_ERR_ARG;
    }
    if ((rc = bex__begin(st, err, errlen)) != BEX_OK) return rc;
    bex_known_document h[BEX_ENTRY_MAX_HOLDERS];
    int nh = 0;
    rc = bex__holders(st, doc->issuing_state, doc->doc_number, h, BEX_ENTRY_MAX_HOLDERS, &nh, err, errlen);
    int64_t subj = 0, docid = 0;
    if (rc == BEX_OK && nh > 0) {
        subj = h[0].subject;
        docid = h[0].id;
        int exists = 0, citizen = 0;
        rc = bex__subject_kind(st, subj, &exists, &citizen, err, errlen);
        if (rc == BEX_OK && citizen) {
            snprintf(err, errlen, "the document's holder is recorded as a citizen: citizens are not enrolled");
            rc = BEX_ERR_ARG;
        }
    }
    if (rc == BEX_OK && nh > 0) {
        int has = 0;
        rc = bex__document_has_sample(st, docid, source, &has, err, errlen);
        if (rc == BEX_OK && has) { /* already enrolled from this source */
            bex__end(st, BEX_ERR_ARG, NULL, err, errlen);
            *subject = subj;
            *document = docid;
            return BEX_OK;
        }
    }
    if (rc == BEX_OK && !subj) rc = bex__insert_subject(st, when, 0, &subj, err, errlen);
    if (rc == BEX_OK && !docid) rc = bex__insert_document(st, subj, doc, when, &docid, err, errlen);
    if (rc == BEX_OK) rc = bex__insert_sample(st, subj, 0, source, tmpl, quality, when, NULL, 0, 0, 1, NULL, err, errlen);
    if (rc == BEX_OK) {
        char obj[96];
        snprintf(obj, sizeof obj, "subject %lld document %lld", (long long)subj, (long long)docid);
        rc = bex__audit(st, "enrol", obj, source, err, errlen);
    }
    rc = bex__end(st, rc, NULL, err, errlen);
    if (rc != BEX_OK) return rc;
    *subject = subj;
    *document = docid;
    *added = 1;
    return BEX_OK;
}

/* ---- a search without a crossing ---- */

int bex_border_identify(bex_store *st, const float *probe, bex_index_hit hits[5], size_t *n, bex_match *m, char *err,
                        size_t errlen) {
    return bex_border_identify_from(st, NULL, probe, hits, n, m, err, errlen);
}

int bex_border_identify_from(bex_store *st, const bex_store_scan *pre, const float *probe, bex_index_hit hits[5],
                             size_t *n, bex_match *m, char *err, size_t errlen) {
    *n = 0;
    int rc = bex__begin(st, err, errlen);
    if (rc != BEX_OK) return rc;
    long long size = 0;
    rc = bex__search_all(st, pre, probe, hits, n, &size, err, errlen);
    bex_calibration cal;
    bex_operating_point vop;
    double fpir;
    if (rc == BEX_OK) rc = bex__operating_points(st, NULL, &cal, &vop, &fpir, err, errlen);
    if (rc == BEX_OK) {
        bex_identify_decide(&cal, fpir, BEX_GALLERY_ALL, size, hits, *n, m);
        char obj[64], detail[96];
        snprintf(obj, sizeof obj, "subject %lld", (long long)(m->match ? m->subject : 0));
        snprintf(detail, sizeof detail, "1:N over %lld subjects, %zu candidates", size, *n);
        rc = bex__audit(st, "identify", obj, detail, err, errlen);
    }
    rc = bex__end(st, rc, NULL, err, errlen);
    if (rc != BEX_OK) *n = 0;
    return rc;
}
