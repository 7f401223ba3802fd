/*
 * entry.c - the entry rule (rules.h: bex_entry_check, bex_entry_decide): from the facts the
 * store gathered (documents on record, 1:1 and 1:N scores, the subjects they name and their
 * open admissions) to a verdict (who this is, the outcome, the decision, the flags, what to
 * enrol, which admissions a new entry closes). Pure: no store, no clock.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bex/names.h"
#include "bex/rules.h"
#include "bex/timestamp.h"

int bex_entry_check(const bex_entry_request *rq, const bex_border_settings *s, int *citizen, char *err,
                    size_t errlen) {
    if (!rq || !rq->doc) {
        snprintf(err, errlen, "an entry needs the document presented (its MRZ)");
        return BEX_ERR_ARG;
    }
    if (!rq->port || !*rq->port || strlen(rq->port) > 7) {
        snprintf(err, errlen, "an entry needs the port code (at most 7 characters)");
        return BEX_ERR_ARG;
    }
    if (rq->port_kind <= BEX_PORT_NONE || rq->port_kind >= BEX_PORT_KIND_COUNT) {
        snprintf(err, errlen, "an entry needs the port's kind (air, sea, land, land-pedestrian, land-vehicle)");
        return BEX_ERR_ARG;
    }
    int64_t t;
    if (rq->at && bex_time_parse(rq->at, &t) != BEX_OK) {
        snprintf(err, errlen, "the crossing's time '%.40s' is no ISO 8601 time (YYYY-MM-DDTHH:MM:SSZ)", rq->at);
        return BEX_ERR_ARG;
    }
    int home = bex_citizen_document(rq->doc, s->home_state);
    int has_class = rq->admission_class && *rq->admission_class;
    if (home && has_class) {
        snprintf(err, errlen, "the document is a passport of %s, this deployment's own state: its holder is a "
                 "citizen, who is admitted with no class of admission and is not enrolled; record the entry as a "
                 "citizen's, or take the traveller's foreign document", s->home_state);
        return BEX_ERR_ARG;
    }
    *citizen = rq->citizen || home;
    if (!*citizen) {
        if (!has_class || strlen(rq->admission_class) > 7) {
            snprintf(err, errlen, "an entry needs the class of admission (B1, B2, WT, F1, H1B, LPR, ...: at most 7 "
                     "characters)");
            return BEX_ERR_ARG;
        }
        bex_day d;
        if (rq->admit_until && bex_day_parse(rq->admit_until, &d) != BEX_OK) {
            snprintf(err, errlen, "the admit-until date '%.20s' is no date (YYYY-MM-DD)", rq->admit_until);
            return BEX_ERR_ARG;
        }
    }
    return BEX_OK;
}

int bex_entry_pick_face(const float *doc_scores, const float *holder_scores, int n, int *pick, char *err,
                        size_t errlen) {
    for (int pass = 0; pass < 2; pass++) {
        const float *s = pass ? holder_scores : doc_scores;
        int best = -1;
        for (int i = 0; s && i < n; i++)
            if (!isnan(s[i]) && (best < 0 || s[i] > s[best])) best = i;
        if (best >= 0) {
            *pick = best;
            return BEX_OK;
        }
    }
    snprintf(err, errlen, "%d faces in the capture and nothing to tell whose is the document's: a document photo, "
             "or the holder's face on record, is needed", n);
    return BEX_ERR_ARG;
}

static const bex_known_subject *subject_of(const bex_entry_facts *f, int64_t id) {
    for (int i = 0; i < f->n_subjects; i++)
        if (f->subjects[i].id == id) return &f->subjects[i];
    return NULL;
}

static bex_flag_plan *add_flag(bex_entry_verdict *v, bex_flag_kind kind) {
    if (v->n_flags >= BEX_MAX_FLAGS) return NULL;
    bex_flag_plan *p = &v->flags[v->n_flags++];
    memset(p, 0, sizeof *p);
    p->kind = kind;
    return p;
}

static void plan_ids(bex_flag_plan *p, int64_t s1, int64_t s2, int64_t d1, int64_t d2) {
    if (s1) p->subjects[p->n_subjects++] = s1;
    if (s2 && s2 != s1) p->subjects[p->n_subjects++] = s2;
    if (d1) p->documents[p->n_documents++] = d1;
    if (d2 && d2 != d1) p->documents[p->n_documents++] = d2;
}

/* The best agreement of a subject's documents with the one presented: 2 same names and birth
 * date, 1 same names, 0 other names (names.h: spelling variants agree). */
static int agreement(const bex_known_subject *s, const bex_mrz *d) {
    int best = 0;
    for (int i = 0; s && i < s->n_documents; i++) {
        const bex_known_document *k = &s->documents[i];
        int a = bex_biographic_agreement(k->surname, k->given_names, k->birth_date, d->surname, d->given_names,
                                         d->birth_date, NULL);
        if (a > best) best = a;
    }
    return best;
}

const char *bex_chip_check_name(const bex_chip_check *c) {
    if (!c || !c->presented) return "no_chip";
    if (c->pa.outcome != BEX_PA_AUTHENTIC) return bex_pa_outcome_name(c->pa.outcome);
    if (c->mrz_compared && c->mrz != BEX_PA_AUTHENTIC) return "mrz_mismatch";
    if (c->active_auth == BEX_CHIP_AUTH_FAILED || c->chip_auth == BEX_CHIP_AUTH_FAILED) return "authentication_failed";
    return "authentic";
}

static bex_flag_kind chip_flag_of(bex_pa_outcome o) {
    switch (o) {
    case BEX_PA_DATA_GROUP_ALTERED: return BEX_FLAG_CHIP_DATA_GROUP_ALTERED;
    case BEX_PA_SIGNATURE_INVALID: return BEX_FLAG_CHIP_SIGNATURE_INVALID;
    case BEX_PA_UNKNOWN_SIGNER: return BEX_FLAG_CHIP_UNKNOWN_SIGNER;
    case BEX_PA_EXPIRED_SIGNER: return BEX_FLAG_CHIP_EXPIRED_SIGNER;
    case BEX_PA_REVOKED: return BEX_FLAG_CHIP_REVOKED;
    case BEX_PA_MRZ_MISMATCH: return BEX_FLAG_CHIP_MRZ_MISMATCH;
    case BEX_PA_AUTHENTIC: return BEX_FLAG_NONE;
    default: return BEX_FLAG_CHIP_MALFORMED;
    }
}

static bex_flag_plan *chip_flag(bex_chip_verdict *v, bex_flag_kind k) {
    if (v->n_flags >= BEX_CHIP_MAX_FLAGS) return NULL;
    bex_flag_plan *p = &v->flags[v->n_flags++];
    memset(p, 0, sizeof *p);
    p->kind = k;
    p->subjects[p->n_subjects++] = BEX_NEW;
    p->documents[p->n_documents++] = BEX_NEW;
    return p;
}

void bex_chip_decide(const bex_chip_check *c, bex_chip_verdict *v) {
    memset(v, 0, sizeof *v);
    v->check = bex_chip_check_name(c);
    if (!c || !c->presented) return;
    bex_flag_plan *p;
    /* passive authentication: the message names the group, the algorithm, the signer's country */
    if (c->pa.outcome != BEX_PA_AUTHENTIC && (p = chip_flag(v, chip_flag_of(c->pa.outcome))))
        snprintf(p->detail, sizeof p->detail, "passive authentication: %.160s", c->pa.message);
    if (c->mrz_compared && c->mrz != BEX_PA_AUTHENTIC &&
        (p = chip_flag(v, c->mrz == BEX_PA_MRZ_MISMATCH ? BEX_FLAG_CHIP_MRZ_MISMATCH : BEX_FLAG_CHIP_MALFORMED)))
        snprintf(p->detail, sizeof p->detail, "chip MRZ (DG1) against the printed MRZ: %.140s", c->mrz_message);
    int aa = c->active_auth == BEX_CHIP_AUTH_FAILED, ca = c->chip_auth == BEX_CHIP_AUTH_FAILED;
    if ((aa || ca) && (p = chip_flag(v, BEX_FLAG_CHIP_AUTHENTICATION_FAILED)))
        snprintf(p->detail, sizeof p->detail, "the chip reader reports %s failed: the chip may be a clone",
                 aa && ca ? "Active and Chip Authentication" : aa ? "Active Authentication" : "Chip Authentication");
    v->refer = v->n_flags > 0;
    v->trusted = !v->refer;
}

int bex_entry_decide(const bex_entry_facts *f, bex_entry_verdict *out, char *err, size_t errlen) {
    if (!f || !f->rq || !f->rq->doc || !out) {
        snprintf(err, errlen, "an entry's decision needs its facts");
        return BEX_ERR_ARG;
    }
    const bex_entry_request *rq = f->rq;
    const bex_mrz *d = rq->doc;
    bex_entry_verdict v;
    memset(&v, 0, sizeof v);
    v.citizen = f->citizen;
    v.verify.score = v.verify.threshold = NAN;
    v.identify.score = v.identify.threshold = NAN;
    int live = rq->live != NULL;
    int doc_given = rq->doc_photo_given || rq->doc_photo;
    int doc_ok = rq->doc_photo != NULL;

    /* 1:1, the live face against the document's photo */
    int impostor = 0;
    if (live && doc_ok) {
        bex_verify_decide(&f->verify_op, BEX_GALLERY_DOCUMENT, 0, f->doc_score, &v.verify);
        impostor = !v.verify.match;
    }
    /* the document's holder verified by the fingers given, where the face does not verify them */
    const bex_finger_decision *hf = &f->holder_fingers;
    int64_t finger_holder = !f->citizen && hf->compared && hf->gallery == BEX_GALLERY_HOLDER && hf->fusion.match &&
                            !hf->ambiguous ? hf->subject : 0;
    int by_finger = 0;
    if (finger_holder) {
        int holds = 0;
        for (int i = 0; i < f->n_holders; i++) holds |= f->holders[i].subject == finger_holder;
        if (!holds) finger_holder = 0;
    }
    if (impostor && finger_holder) {
        impostor = 0;
        by_finger = 1;
    }
    /* 1:N, against every enrolled traveller (never for a citizen) */
    if (live && !f->citizen)
        bex_identify_decide(&f->calibration, f->fpir, BEX_GALLERY_ALL, f->gallery_size, f->hits, f->n_hits, &v.identify);
    const bex_match *id = &v.identify;

    int64_t subject = 0, document = 0, shared_with = 0, shared_doc = 0, other_identity = 0;
    int doc_shared = 0, agree = 2;
    if (f->citizen) {
        /* citizens are matched with the document alone: their own record is the document's */
        for (int i = 0; i < f->n_holders && !subject; i++) {
            const bex_known_subject *s = subject_of(f, f->holders[i].subject);
            if (s && s->citizen) {
                subject = s->id;
                document = f->holders[i].id;
            }
        }
    } else {
        if (f->n_holders > 0 && !impostor) {
            /* the holder whose samples the face matches, 1:1 at the verification threshold */
            for (int i = 0; i < f->n_holders && !subject && live; i++) {
                const bex_known_subject *s = subject_of(f, f->holders[i].subject);
                if (!s || s->citizen || !s->has_face || isnan(s->score) || s->score < f->verify_op.threshold)
                    continue;
                subject = s->id;
                document = f->holders[i].id;
                if (v.verify.gallery == BEX_GALLERY_NONE) /* the holder's samples stand for the document photo */
                    bex_verify_decide(&f->verify_op, BEX_GALLERY_HOLDER, s->id, s->score, &v.verify);
            }
            /* else the holder the fingers verify */
            for (int i = 0; i < f->n_holders && !subject && live && finger_holder; i++)
                if (f->holders[i].subject == finger_holder) {
                    subject = finger_holder;
                    document = f->holders[i].id;
                    by_finger = 1;
                }
            /* else a holder with no face on record (the first crossing on this document) */
            for (int i = 0; i < f->n_holders && !subject; i++) {
                const bex_known_subject *s = subject_of(f, f->holders[i].subject);
                if (s && s->citizen) continue;
                if (!s || !s->has_face || !live) {
                    subject = f->holders[i].subject;
                    document = f->holders[i].id;
                } else if (!shared_with) {
                    shared_with = f->holders[i].subject;
                    shared_doc = f->holders[i].id;
                }
            }
            doc_shared = !subject && shared_with;
        } else if (f->n_holders > 0 && impostor) {
            for (int i = 0; i < f->n_holders && !shared_with; i++) {
                const bex_known_subject *s = subject_of(f, f->holders[i].subject);
                if (s && s->citizen) continue;
                shared_with = f->holders[i].subject;
                shared_doc = f->holders[i].id;
            }
        }
        /* a known face: the same person (a renewed document) or the same face under another identity */
        if (impostor || doc_shared) {
            if (id->match) subject = id->subject; /* the presenter is known: their own record */
        } else if (!subject && id->match) {
            agree = agreement(subject_of(f, id->subject), d);
            if (agree == 2) subject = id->subject;
            else other_identity = id->subject;
        } else if (subject && id->match && id->subject != subject) {
            other_identity = id->subject;
            agree = agreement(subject_of(f, other_identity), d);
        }
    }
    v.subject = subject ? subject : BEX_NEW;
    if (!document && subject) /* the same document already on this subject (e.g. the impostor case) */
        for (int i = 0; i < f->n_holders; i++)
            if (f->holders[i].subject == subject) document = f->holders[i].id;
    v.document = document ? document : BEX_NEW;

    /* outcome */
    int verified = (v.verify.gallery != BEX_GALLERY_NONE && v.verify.match) || by_finger;
    if (!live) v.outcome = BEX_OUTCOME_NO_PHOTO;
    else if (impostor || doc_shared) v.outcome = BEX_OUTCOME_NOT_MATCHED;
    else if (verified) v.outcome = BEX_OUTCOME_MATCHED;
    else if (doc_given && !doc_ok) v.outcome = BEX_OUTCOME_DOCUMENT_PHOTO_UNUSABLE;
    else if (subject && id->match && id->subject == subject) v.outcome = BEX_OUTCOME_MATCHED;
    else if (f->citizen) v.outcome = BEX_OUTCOME_UNVERIFIED;
    else v.outcome = BEX_OUTCOME_ENROLLED;

    /* flags: the subject and document BEX_NEW stand for the ones this entry makes */
    int64_t me = v.subject, doc = v.document;
    bex_flag_plan *p;
    if (d->n_failed > 0 && (p = add_flag(&v, BEX_FLAG_DOCUMENT_PROBLEM))) {
        char list[128] = "";
        for (int i = 0; i < d->n_failed; i++) {
            size_t l = strlen(list);
            snprintf(list + l, sizeof list - l, "%s%s", i ? "," : "", d->failed[i]);
        }
        snprintf(p->detail, sizeof p->detail, "MRZ check digits failed: %s", list);
        plan_ids(p, me, 0, doc, 0);
    }
    if (d->expiry_date[0] && strncmp(d->expiry_date, f->at, 10) < 0 && (p = add_flag(&v, BEX_FLAG_DOCUMENT_PROBLEM))) {
        snprintf(p->detail, sizeof p->detail, "document expired before the crossing");
        plan_ids(p, me, 0, doc, 0);
    }
    if (doc_given && !doc_ok && (p = add_flag(&v, BEX_FLAG_DOCUMENT_PHOTO_UNUSABLE))) {
        snprintf(p->detail, sizeof p->detail, "the document's photo could not be used (%.60s)%s",
                 rq->doc_photo_failure ? rq->doc_photo_failure : "unusable",
                 verified ? "; the face matched the holder's samples on record" : "; the face is not verified");
        plan_ids(p, me, 0, doc, 0);
    }
    if (!live && (p = add_flag(&v, BEX_FLAG_NO_PHOTO))) {
        snprintf(p->detail, sizeof p->detail, "entry without a usable photo (%.60s): the face is not verified",
                 rq->live_failure ? rq->live_failure : "no capture");
        plan_ids(p, me, 0, doc, 0);
    }
    if (impostor && (p = add_flag(&v, BEX_FLAG_IMPOSTOR_SUSPECTED))) {
        snprintf(p->detail, sizeof p->detail, "live face vs document photo: %.3f below %.3f", v.verify.score,
                 v.verify.threshold);
        plan_ids(p, me, shared_with, doc, 0);
    }
    if (doc_shared && (p = add_flag(&v, BEX_FLAG_DOCUMENT_SHARED))) {
        const bex_known_subject *s = subject_of(f, shared_with);
        snprintf(p->detail, sizeof p->detail, "document on record with another face: the live face does not match "
                 "subject %lld's samples (%.3f, threshold %.3f)", (long long)shared_with, s ? s->score : NAN,
                 f->verify_op.threshold);
        plan_ids(p, me, shared_with, doc, shared_doc);
    }
    if (other_identity && other_identity != subject &&
        (p = add_flag(&v, agree == 1 ? BEX_FLAG_BIOGRAPHIC_MISMATCH : BEX_FLAG_TWO_IDENTITIES))) {
        snprintf(p->detail, sizeof p->detail, "live face matches subject %lld (%.3f, threshold %.3f) recorded with %s",
                 (long long)other_identity, id->score, id->threshold,
                 agree == 1 ? "the same names and another birth date" : "other names");
        plan_ids(p, me, other_identity, doc, 0);
    }

    /* the document's chip: each failure a flag; plans name the entry's subject and document */
    bex_chip_verdict chip;
    bex_chip_decide(&f->chip, &chip);
    for (int i = 0; i < chip.n_flags; i++)
        if ((p = add_flag(&v, chip.flags[i].kind))) {
            *p = chip.flags[i];
            p->subjects[0] = me;
            p->documents[0] = doc;
        }

    /* the decision: the face contradicts the document, or nothing verifies it, or its chip is
     * not the issuer's */
    int refer = chip.refer || impostor || doc_shared || (other_identity && other_identity != subject && agree != 1) ||
                v.outcome == BEX_OUTCOME_DOCUMENT_PHOTO_UNUSABLE || (!live && !f->citizen);
    v.decision = refer ? BEX_DECISION_REFERRED : BEX_DECISION_ADMITTED;
    v.admit = !f->citizen && v.decision == BEX_DECISION_ADMITTED;

    /* a new entry closes what is still open: they left, no exit was recorded */
    const bex_known_subject *me_s = subject ? subject_of(f, subject) : NULL;
    for (int i = 0; me_s && i < me_s->n_open && v.n_close < BEX_SUBJECT_MAX_OPEN; i++)
        v.close[v.n_close++] = me_s->open_admissions[i];

    /* samples: an impostor's or a sharer's face is kept as their own, and found again next time */
    v.enrol_live = live;
    v.live_searchable = live && !f->citizen;
    /* the document photo shows its holder: enrolled the first time, unless it failed the 1:1 */
    int has_photo = 0;
    for (int i = 0; i < f->n_holders; i++)
        if (f->holders[i].id == document) has_photo = f->holders[i].has_photo;
    v.enrol_document_photo = doc_ok && !impostor && !has_photo && (!f->chip.presented || chip.trusted);
    *out = v;
    return BEX_OK;
}
