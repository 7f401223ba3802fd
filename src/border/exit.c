/*
 * exit.c - the exit rule (rules.h: bex_exit_cascade, bex_exit_decide): which galleries an exit
 * searches and in what order, and from what the searches found to a verdict (who left, the
 * admission closed, the flags). Pure: no store, no clock.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bex/rules.h"
#include "bex/timestamp.h"

int bex_exit_cascade(int has_departure, bex_gallery out[BEX_EXIT_MAX_GALLERIES]) {
    int n = 0;
    if (has_departure) out[n++] = BEX_GALLERY_MANIFEST;
    out[n++] = BEX_GALLERY_PORT;
    out[n++] = BEX_GALLERY_IN_COUNTRY;
    out[n++] = BEX_GALLERY_ALL;
    return n;
}

static bex_flag_plan *add_flag(bex_exit_verdict *v, bex_flag_kind kind, int64_t subject) {
    if (v->n_flags >= BEX_MAX_FLAGS) return NULL;
    bex_flag_plan *p = &v->flags[v->n_flags++];
    memset(p, 0, sizeof *p);
    p->kind = kind;
    if (subject > 0) p->subjects[p->n_subjects++] = subject;
    return p;
}

static void hours(long long s, char *out, size_t n) {
    if (s % 3600 == 0) snprintf(out, n, "%lld h", s / 3600);
    else snprintf(out, n, "%lld min", s / 60);
}

int bex_exit_decide(const bex_exit_facts *f, bex_exit_verdict *out, char *err, size_t errlen) {
    if (!f || !f->rq || !out) {
        snprintf(err, errlen, "an exit's decision needs its facts");
        return BEX_ERR_ARG;
    }
    const bex_exit_request *rq = f->rq;
    if (rq->carrier) {
        int rc = bex_carrier_exit_check(rq, &f->departure, err, errlen);
        if (rc != BEX_OK) return rc;
    }
    if (rq->departure) {
        if (!f->departure.known) {
            snprintf(err, errlen, "departure '%.47s' has no manifest on record (load its manifest first)",
                     rq->departure);
            return BEX_ERR_ARG;
        }
        if (f->departure.direction != BEX_DIRECTION_DEPARTURE) {
            snprintf(err, errlen, "'%.47s' is the manifest of an %s, not of a departure: an exit is recorded against "
                     "a departure", rq->departure, bex_direction_name(f->departure.direction));
            return BEX_ERR_ARG;
        }
    }
    bex_exit_verdict v;
    memset(&v, 0, sizeof v);
    v.match.score = v.match.threshold = NAN;
    /* the first gallery that matches decides; else the last searched is reported */
    for (int i = 0; i < f->n_searched; i++) {
        v.match = f->searched[i];
        if (f->searched[i].match) break;
    }
    bex_flag_plan *p;
    /* the fingers settle what the face could not (rules.h: bex_finger_needed, fusion) */
    int by_finger = f->finger.compared && f->finger.fusion.match && f->finger.subject > 0 && !rq->carrier &&
                    !v.match.match;
    if (by_finger) {
        v.outcome = BEX_OUTCOME_MATCHED;
        v.subject = f->finger.subject;
        v.admission = f->open_admission;
        /* a face that did not match them is not theirs to keep: it would join their samples and
         * make the next exit match whoever that was; the fingers are the capture kept */
        v.keep_capture = 0;
    } else if (!rq->live) {
        v.outcome = BEX_OUTCOME_NO_PHOTO;
        if ((p = add_flag(&v, BEX_FLAG_NO_PHOTO, 0)))
            snprintf(p->detail, sizeof p->detail, "exit without a usable photo (%.60s): nobody was searched for",
                     rq->live_failure ? rq->live_failure : "no capture");
    } else if (v.match.match && rq->carrier && v.match.gallery != BEX_GALLERY_MANIFEST) {
        /* on a carrier's word only its manifest's travellers are linked: the match further out
         * is kept for an officer, and nobody's stay is closed */
        v.outcome = BEX_OUTCOME_NOT_MATCHED;
        v.keep_capture = 1; /* without a subject, for the officer's review */
        if ((p = add_flag(&v, BEX_FLAG_NOT_ON_MANIFEST, v.match.subject)))
            snprintf(p->detail, sizeof p->detail, "a carrier's exit matched in the %s gallery (%.3f, threshold %.3f), "
                     "not on the departure's manifest: not linked on the carrier's word; an officer may link it",
                     bex_gallery_name(v.match.gallery), v.match.score, v.match.threshold);
    } else if (v.match.match) {
        v.outcome = BEX_OUTCOME_MATCHED;
        v.subject = v.match.subject;
        v.admission = f->open_admission;
        v.keep_capture = 1;
        v.capture_searchable = !f->matched_citizen;
        if (rq->departure && v.match.gallery != BEX_GALLERY_MANIFEST &&
            (p = add_flag(&v, BEX_FLAG_NOT_ON_MANIFEST, v.subject)))
            snprintf(p->detail, sizeof p->detail, "matched in the %s gallery (%.3f, threshold %.3f), not on the "
                     "departure's manifest", bex_gallery_name(v.match.gallery), v.match.score, v.match.threshold);
    } else {
        v.outcome = BEX_OUTCOME_NOT_MATCHED;
        v.keep_capture = 1; /* without a subject, for an officer to review */
        if ((p = add_flag(&v, BEX_FLAG_NOT_MATCHED, 0))) {
            if (v.match.gallery == BEX_GALLERY_NONE)
                snprintf(p->detail, sizeof p->detail, "no match: no gallery held anyone to compare with");
            else if (!v.match.calibrated)
                snprintf(p->detail, sizeof p->detail, "no match: best %.3f in the %s gallery of %lld, which is beyond "
                         "the calibration's evidence", isnan(v.match.score) ? 0.0 : v.match.score,
                         bex_gallery_name(v.match.gallery), v.match.gallery_size);
            else
                snprintf(p->detail, sizeof p->detail, "no match: best %.3f in the %s gallery of %lld (threshold %.3f)",
                         isnan(v.match.score) ? 0.0 : v.match.score, bex_gallery_name(v.match.gallery),
                         v.match.gallery_size, v.match.threshold);
        }
    }
    /* the exit's time against its departure's schedule */
    int64_t at, sched;
    if (rq->departure && bex_time_parse(f->at, &at) == BEX_OK && bex_time_parse(f->departure.scheduled, &sched) == BEX_OK &&
        (at < sched - f->settings.departure_before_s || at > sched + f->settings.departure_after_s) &&
        (p = add_flag(&v, BEX_FLAG_OUTSIDE_DEPARTURE_WINDOW, v.subject))) {
        char b[32], a[32];
        hours(f->settings.departure_before_s, b, sizeof b);
        hours(f->settings.departure_after_s, a, sizeof a);
        long long diff = (long long)(at - sched);
        snprintf(p->detail, sizeof p->detail, "exit %lld h %02lld min %s the departure's scheduled time, outside its "
                 "window (%s before to %s after)", (diff < 0 ? -diff : diff) / 3600, (diff < 0 ? -diff : diff) / 60 % 60,
                 diff < 0 ? "before" : "after", b, a);
    }
    *out = v;
    return BEX_OK;
}
