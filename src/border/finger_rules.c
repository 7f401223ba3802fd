/*
 * finger_rules.c - the fingerprint rules of the border (rules.h, "fingerprints"): the age and
 * citizen policy, which fingers an entry enrols and what happens to those it cannot, when an
 * exit or a look-up turns to a finger, and the score-level fusion of face and finger at a
 * stated FMR. All pure: no store, no clock, no images.
 *
 * Fusion follows the likelihood-free "product of false-match probabilities" rule: each score
 * is mapped to the FMR its calibration gives it (a conservative bound, read from the table,
 * never extrapolated), and under independence of the comparisons an impostor reaches every
 * one of them with probability at most the product. This is the simplest of the calibrated
 * fusion rules Ross, Nandakumar and Jain describe (Handbook of Multibiometrics, Springer 2006,
 * ch. 4); docs/fingerprints.md states its assumptions.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bex/rules.h"

void bex_finger_policy_default(bex_finger_policy *p) {
    memset(p, 0, sizeof *p);
    p->min_age = 12;
    static const int right[] = {2, 3, 4, 5};
    for (int i = 0; i < 4; i++) p->required[i] = right[i];
    p->n_required = 4;
    p->citizens = 0;
}

int bex_finger_policy_check(const bex_finger_policy *p, char *err, size_t errlen) {
    if (p->min_age < 0 || p->min_age > 120) {
        snprintf(err, errlen, "the fingerprint policy's minimum age %d is outside 0 to 120 years", p->min_age);
        return BEX_ERR_ARG;
    }
    if (p->n_required < 0 || p->n_required > BEX_FINGER_POLICY_MAX) {
        snprintf(err, errlen, "the fingerprint policy asks for %d fingers: 0 to 10", p->n_required);
        return BEX_ERR_ARG;
    }
    for (int i = 0; i < p->n_required; i++) {
        if (p->required[i] < 1 || p->required[i] > 10) {
            snprintf(err, errlen, "finger position %d is not one of 1 (right thumb) to 10 (left little finger)",
                     p->required[i]);
            return BEX_ERR_ARG;
        }
        for (int j = 0; j < i; j++)
            if (p->required[j] == p->required[i]) {
                snprintf(err, errlen, "finger position %d is listed twice in the fingerprint policy", p->required[i]);
                return BEX_ERR_ARG;
            }
    }
    return BEX_OK;
}

static int ymd(const char *s, int *y, int *m, int *d) {
    if (!s || strlen(s) < 10) return 0;
    for (int i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? s[i] != '-' : (s[i] < '0' || s[i] > '9')) return 0;
    *y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    *m = (s[5] - '0') * 10 + (s[6] - '0');
    *d = (s[8] - '0') * 10 + (s[9] - '0');
    return *m >= 1 && *m <= 12 && *d >= 1 && *d <= 31;
}

int bex_age_years(const char *birth_date, const char *day) {
    int by, bm, bd, y, m, d;
    if (!ymd(birth_date, &by, &bm, &bd) || !ymd(day, &y, &m, &d)) return -1;
    int age = y - by - (m < bm || (m == bm && d < bd));
    return age < 0 ? -1 : age;
}

const char *bex_prints_name(bex_prints p) {
    switch (p) {
    case BEX_PRINTS_TAKEN: return "taken";
    case BEX_PRINTS_UNDER_AGE: return "under_age";
    case BEX_PRINTS_CITIZEN: return "citizen";
    case BEX_PRINTS_NOT_REQUIRED: return "not_required";
    }
    return "unknown";
}

const char *bex_finger_state_name(bex_finger_state s) {
    switch (s) {
    case BEX_FINGER_NOT_GIVEN: return "not_given";
    case BEX_FINGER_USABLE: return "enrolled";
    case BEX_FINGER_UNUSABLE: return "unusable";
    case BEX_FINGER_MISSING: return "missing";
    }
    return "unknown";
}

bex_prints bex_finger_age_rule(const bex_finger_policy *p, int citizen, const char *birth_date, const char *day) {
    if (p->n_required <= 0) return BEX_PRINTS_NOT_REQUIRED;
    if (citizen && !p->citizens) return BEX_PRINTS_CITIZEN;
    int age = bex_age_years(birth_date, day);
    if (age >= 0 && age < p->min_age) return BEX_PRINTS_UNDER_AGE;
    return BEX_PRINTS_TAKEN;
}

static int required(const bex_finger_policy *p, int pos) {
    for (int i = 0; i < p->n_required; i++)
        if (p->required[i] == pos) return 1;
    return 0;
}

void bex_finger_entry_plan(const bex_finger_policy *p, int citizen, const char *birth_date, const char *day,
                           const bex_finger_state states[11], bex_finger_plan *out) {
    memset(out, 0, sizeof *out);
    out->prints = bex_finger_age_rule(p, citizen, birth_date, day);
    int given = 0;
    for (int pos = 1; pos <= 10; pos++) given += states[pos] == BEX_FINGER_USABLE;
    if (out->prints != BEX_PRINTS_TAKEN) {
        out->ignored = given;
        snprintf(out->detail, sizeof out->detail, "prints not taken (%s)%s", bex_prints_name(out->prints),
                 given ? ": the fingers given are not kept" : "");
        return;
    }
    int used[11] = {0};
    int missing = 0, unusable = 0, absent = 0;
    for (int i = 0; i < p->n_required && i < BEX_FINGER_POLICY_MAX; i++) {
        int pos = p->required[i];
        if (pos < 1 || pos > 10) continue;
        if (states[pos] == BEX_FINGER_USABLE) {
            out->enrol[out->n_enrol++] = pos;
            used[pos] = 1;
            continue;
        }
        int other = pos <= 5 ? pos + 5 : pos - 5;
        if (states[other] == BEX_FINGER_USABLE && !required(p, other) && !used[other]) {
            out->enrol[out->n_enrol++] = other;
            used[other] = 1;
            out->substituted++;
            continue;
        }
        if (states[pos] == BEX_FINGER_MISSING || states[pos] == BEX_FINGER_UNUSABLE) {
            out->record[out->n_record] = pos;
            out->record_state[out->n_record++] = states[pos];
            if (states[pos] == BEX_FINGER_MISSING) missing++;
            else unusable++;
        } else {
            absent++;
        }
    }
    /* a failed capture is recorded as such, but only the officer's word that a finger cannot be
     * taken closes the case: an unusable or absent finger is taken again or declared */
    out->refer = unusable + absent > 0;
    for (int pos = 1; pos <= 10; pos++) out->ignored += states[pos] == BEX_FINGER_USABLE && !used[pos];
    snprintf(out->detail, sizeof out->detail,
             "%d of %d fingers enrolled (%d from the other hand), %d declared missing, %d unusable, %d not given%s",
             out->n_enrol, p->n_required, out->substituted, missing, unusable, absent,
             out->refer ? ": referred to an officer" : "");
}

int bex_finger_needed(int face_usable, const bex_match *m) {
    if (!face_usable || !m) return 1;
    return !(m->calibrated && m->match);
}

double bex_calibration_fmr_at(const bex_calibration *c, float score) {
    if (!c || !c->rows || c->n_rows == 0 || isnan(score)) return 1.0;
    double fmr = 1.0;
    /* rows: highest target first, thresholds rising */
    for (size_t i = 0; i < c->n_rows; i++) {
        if (score >= c->rows[i].threshold) fmr = c->rows[i].target;
        else break;
    }
    return fmr;
}

double bex_fusion_target_1n(double fpir, long long n) {
    if (n <= 1) return fpir;
    return -expm1(log1p(-fpir) / (double)n);
}

static double clamp_fmr(double f) { return (isnan(f) || f <= 0.0 || f > 1.0) ? 1.0 : f; }

void bex_fusion_decide(double face_fmr, const double *finger_fmr, int n, double target, bex_fusion *out) {
    memset(out, 0, sizeof *out);
    out->face_fmr = clamp_fmr(face_fmr);
    out->finger_fmr = 1.0;
    if (n > BEX_FUSION_MAX_FINGERS) n = BEX_FUSION_MAX_FINGERS;
    for (int i = 0; finger_fmr && i < n; i++) {
        out->finger_fmr *= clamp_fmr(finger_fmr[i]);
        out->fingers++;
    }
    out->fused_fmr = out->face_fmr * out->finger_fmr;
    out->target = target;
    out->match = out->fingers >= 1 && target > 0 && out->fused_fmr <= target;
    snprintf(out->operating_point, sizeof out->operating_point, "fused FMR %g (%s%d finger%s)", target,
             out->face_fmr < 1.0 ? "face x " : "", out->fingers, out->fingers == 1 ? "" : "s");
}

void bex_finger_identify_decide(const bex_finger_candidate *c, int n, double target, bex_finger_decision *out) {
    bex_gallery g = out->gallery;
    long long size = out->gallery_size;
    memset(out, 0, sizeof *out);
    out->gallery = g;
    out->gallery_size = size;
    out->compared = 1;
    int best = -1, reached = 0;
    bex_fusion f, fb;
    memset(&fb, 0, sizeof fb);
    for (int i = 0; i < n; i++) {
        bex_fusion_decide(c[i].face_fmr, c[i].fmr, c[i].n, target, &f);
        reached += f.match;
        if (best < 0 || f.fused_fmr < fb.fused_fmr ||
            (f.fused_fmr == fb.fused_fmr && c[i].subject < c[best].subject)) {
            best = i;
            fb = f;
        }
    }
    if (best < 0) {
        bex_fusion_decide(1.0, NULL, 0, target, &out->fusion);
        return;
    }
    out->subject = c[best].subject;
    out->n = c[best].n > BEX_CROSSING_MAX_FINGERS ? BEX_CROSSING_MAX_FINGERS : c[best].n;
    for (int k = 0; k < out->n; k++) {
        out->positions[k] = c[best].positions[k];
        out->scores[k] = c[best].scores[k];
    }
    out->fusion = fb;
    if (fb.match && reached > 1) {
        out->ambiguous = 1;
        out->fusion.match = 0;
    }
}

int bex_role_fingerprints(bex_role role) { return role == BEX_ROLE_OFFICER; }

void bex_finger_plan_apply(const bex_finger_plan *p, bex_entry_verdict *v) {
    if (!p->refer) return;
    if (v->decision == BEX_DECISION_ADMITTED) v->decision = BEX_DECISION_REFERRED;
    v->admit = 0;
    if (v->n_flags >= BEX_MAX_FLAGS) return;
    bex_flag_plan *f = &v->flags[v->n_flags++];
    memset(f, 0, sizeof *f);
    f->kind = BEX_FLAG_FINGERPRINTS_INCOMPLETE;
    f->subjects[f->n_subjects++] = v->subject;
    f->documents[f->n_documents++] = v->document;
    snprintf(f->detail, sizeof f->detail, "%s", p->detail);
}
