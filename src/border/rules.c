/*
 * rules.c - the small border rules (rules.h): 1:1 and 1:N decisions at calibrated operating
 * points, who is a citizen by their document, manifests against the record, biographic
 * agreement, the role matrix and what a carrier learns, and retention. All pure.
 */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "bex/names.h"
#include "bex/rules.h"

void bex_border_settings_default(bex_border_settings *s) {
    memset(s, 0, sizeof *s);
    snprintf(s->home_state, sizeof s->home_state, "USA");
    s->departure_before_s = 12 * 3600;
    s->departure_after_s = 12 * 3600;
    s->gallery_window_s = 12 * 3600;
}

/* ---- decisions at an operating point ---- */

static void match_init(bex_match *m, bex_gallery g) {
    memset(m, 0, sizeof *m);
    m->gallery = g;
    m->score = NAN;
    m->threshold = NAN;
}

void bex_verify_decide(const bex_operating_point *op, bex_gallery gallery, int64_t subject, float score,
                       bex_match *m) {
    match_init(m, gallery);
    m->gallery_size = 1;
    m->subject = subject;
    m->score = score;
    m->threshold = op->threshold;
    m->calibrated = 1;
    snprintf(m->operating_point, sizeof m->operating_point, "%s", op->name);
    snprintf(m->calibration, sizeof m->calibration, "%s", op->calibration);
    m->calibration_id = op->calibration_id;
    m->match = bex_operating_point_accepts(op, score);
}

int bex_calibration_in_force(const bex_calibration *const *applied, size_t n, const char *port) {
    int model = -1;
    for (size_t i = 0; i < n; i++) {
        const bex_calibration *c = applied[i];
        if (!c) continue;
        if (port && *port && !strcmp(c->scope, "port") && !strcmp(c->key, port)) return (int)i;
        if (model < 0 && !strcmp(c->scope, "model")) model = (int)i;
    }
    return model;
}

void bex_identify_decide(const bex_calibration *cal, double fpir, bex_gallery gallery, long long n,
                         const bex_index_hit *hits, size_t nhits, bex_match *m) {
    match_init(m, gallery);
    m->gallery_size = n;
    snprintf(m->calibration, sizeof m->calibration, "%s", cal->name);
    m->calibration_id = cal->source == BEX_CALIB_APPLIED ? cal->id : 0;
    if (nhits > 0) {
        m->subject = hits[0].subject_id;
        m->score = hits[0].score;
    }
    if (n <= 0) {
        snprintf(m->operating_point, sizeof m->operating_point, "empty gallery");
        return;
    }
    bex_operating_point op;
    char e[256];
    if (bex_operating_point_identify_in(cal, fpir, n, &op, e, sizeof e) != BEX_OK) {
        /* beyond the evidence: no decision, and say why; never extrapolated */
        snprintf(m->operating_point, sizeof m->operating_point,
                 "FPIR %g at N=%lld is beyond the calibration's evidence (its smallest FMR is %.2g): no 1:N decision",
                 fpir, n, bex_calibration_min_fmr_in(cal));
        return;
    }
    m->calibrated = 1;
    m->threshold = op.threshold;
    snprintf(m->operating_point, sizeof m->operating_point, "%s", op.name);
    m->match = nhits > 0 && bex_operating_point_accepts(&op, hits[0].score);
}

/* ---- citizens ---- */

int bex_citizen_document(const bex_mrz *doc, const char *home_state) {
    return doc && home_state && *home_state && doc->doc_code[0] == 'P' && !strcmp(doc->issuing_state, home_state);
}

/* ---- names and manifests ---- */

int bex_biographic_agreement(const char *surname_a, const char *given_a, const char *birth_a, const char *surname_b,
                             const char *given_b, const char *birth_b, int *verdict) {
    bex_name_match nm;
    char e[160];
    int names = bex_name_compare(surname_a, given_a, surname_b, given_b, &nm, e, sizeof e) == BEX_OK &&
                nm.verdict != BEX_NAME_DIFFERENT && nm.verdict != BEX_NAME_GIVEN_NAMES_MISSING;
    if (verdict) *verdict = names ? (int)nm.verdict : BEX_NAME_DIFFERENT;
    if (!names) return 0;
    return !strcmp(birth_a ? birth_a : "", birth_b ? birth_b : "") ? 2 : 1;
}

void bex_manifest_check(const bex_manifest_entry *x, const bex_known_document *doc, size_t position,
                        bex_manifest_verdict *v) {
    memset(v, 0, sizeof *v);
    if (!doc) return; /* nothing on record to compare with: no flag, and no templates */
    bex_name_match nm;
    char e[160];
    int rc = bex_name_compare(x->surname, x->given_names, doc->surname, doc->given_names, &nm, e, sizeof e);
    const char *field = NULL;
    if (rc != BEX_OK) field = "names (not writable as an MRZ name)";
    else if (nm.verdict == BEX_NAME_DIFFERENT) field = "names";
    else if (nm.verdict == BEX_NAME_GIVEN_NAMES_MISSING && x->given_names[0] && doc->given_names[0])
        field = "given names";
    else if (x->birth_date[0] && strcmp(x->birth_date, doc->birth_date)) field = "birth date";
    else if (x->nationality[0] && doc->nationality[0] && strcmp(x->nationality, doc->nationality))
        field = "nationality";
    if (field) {
        v->mismatch = 1;
        snprintf(v->detail, sizeof v->detail, "manifest traveller %zu: %s differ%s from the document on record%s%s",
                 position, field, !strcmp(field, "birth date") || !strcmp(field, "nationality") ? "s" : "",
                 rc == BEX_OK && nm.verdict != BEX_NAME_DIFFERENT && nm.verdict != BEX_NAME_SAME ? " (names: " : "",
                 rc == BEX_OK && nm.verdict != BEX_NAME_DIFFERENT && nm.verdict != BEX_NAME_SAME
                     ? bex_name_verdict_name(nm.verdict) : "");
        if (rc == BEX_OK && nm.verdict != BEX_NAME_DIFFERENT && nm.verdict != BEX_NAME_SAME) {
            size_t l = strlen(v->detail);
            snprintf(v->detail + l, sizeof v->detail - l, ")");
        }
        return;
    }
    if (nm.verdict != BEX_NAME_SAME) {
        v->name_variant = 1;
        snprintf(v->detail, sizeof v->detail, "manifest traveller %zu: %s", position, nm.reason);
    }
    /* names agree (given names missing on one side is not enough) and the birth date is given
     * and the document's */
    v->verified = nm.verdict != BEX_NAME_GIVEN_NAMES_MISSING && x->birth_date[0] && doc->birth_date[0] &&
                  !strcmp(x->birth_date, doc->birth_date);
}

void bex_manifest_check_unlinked(const bex_manifest_entry *x, const bex_known_document *docs, int n,
                                 size_t position, bex_manifest_verdict *v, int *which) {
    memset(v, 0, sizeof *v);
    *which = -1;
    if (!x->birth_date[0] || !x->given_names[0]) return;
    for (int i = 0; i < n; i++) {
        const bex_known_document *d = &docs[i];
        int verdict = -1;
        if (!d->given_names[0] ||
            bex_biographic_agreement(x->surname, x->given_names, x->birth_date, d->surname, d->given_names,
                                     d->birth_date, &verdict) != 2 || verdict == BEX_NAME_GIVEN_NAMES_MISSING)
            continue;
        *which = i;
        v->mismatch = 1;
        snprintf(v->detail, sizeof v->detail, "manifest traveller %zu: document number differs from the one on record "
                 "for these names and birth date (document %lld)", position, (long long)d->id);
        return;
    }
}

/* ---- who may do what ---- */

int bex_role_may(bex_role role, bex_action a) {
    switch (role) {
    case BEX_ROLE_OFFICER:
        switch (a) {
        case BEX_ACT_ENTRY: case BEX_ACT_EXIT: case BEX_ACT_MANIFEST: case BEX_ACT_GALLERY: case BEX_ACT_OVERSTAYS:
        case BEX_ACT_FLAGS: case BEX_ACT_FLAG_STATUS: case BEX_ACT_SUBJECT: case BEX_ACT_ENCOUNTER:
        case BEX_ACT_LOOKUP: case BEX_ACT_VERIFY: case BEX_ACT_IDENTIFY: case BEX_ACT_DECIDE: case BEX_ACT_OVERRIDE:
        case BEX_ACT_MERGE: case BEX_ACT_RECLASSIFY: case BEX_ACT_ERASE: case BEX_ACT_PHOTO:
            return 1;
        default:
            return 0;
        }
    case BEX_ROLE_CARRIER:
        return a == BEX_ACT_EXIT || a == BEX_ACT_MANIFEST || a == BEX_ACT_GALLERY;
    case BEX_ROLE_ANALYST:
        return a == BEX_ACT_OVERSTAYS || a == BEX_ACT_FLAGS || a == BEX_ACT_REPORTS || a == BEX_ACT_EVAL;
    case BEX_ROLE_AUDITOR:
        return a == BEX_ACT_AUDIT;
    case BEX_ROLE_ADMIN:
        return a == BEX_ACT_PURGE || a == BEX_ACT_KEYS || a == BEX_ACT_RETENTION || a == BEX_ACT_SETTINGS ||
               a == BEX_ACT_REASSIGN || a == BEX_ACT_TRUST || a == BEX_ACT_PHOTO || a == BEX_ACT_REPORTS ||
               a == BEX_ACT_EVAL || a == BEX_ACT_AUDIT || a == BEX_ACT_GATES;
    default:
        return 0;
    }
}

int bex_carrier_owns(const char *key_carrier, const char *departure_carrier) {
    return key_carrier && departure_carrier && *key_carrier && !strcmp(key_carrier, departure_carrier);
}

bex_ownership bex_departure_ownership(const bex_departure_info *on_record, const char *carrier) {
    if (!on_record || !on_record->known) return BEX_OWN_NEW;
    return carrier && !strcmp(on_record->carrier, carrier) ? BEX_OWN_SAME : BEX_OWN_OTHER;
}

int bex_carrier_exit_check(const bex_exit_request *rq, const bex_departure_info *d, char *err, size_t errlen) {
    if (!rq || !rq->carrier || !*rq->carrier) {
        snprintf(err, errlen, "a carrier's exit needs the carrier's code");
        return BEX_ERR_ARG;
    }
    if (!rq->departure || !d || !d->known) {
        snprintf(err, errlen, "a carrier's exit is recorded against one of its departures on record (its manifest's id)");
        return BEX_ERR_ARG;
    }
    if (d->direction != BEX_DIRECTION_DEPARTURE) {
        snprintf(err, errlen, "'%.47s' is the manifest of an arrival, not of a departure", rq->departure);
        return BEX_ERR_ARG;
    }
    if (!bex_carrier_owns(rq->carrier, d->carrier)) {
        snprintf(err, errlen, "departure '%.47s' belongs to another carrier", rq->departure);
        return BEX_ERR_ARG;
    }
    if (rq->at) {
        snprintf(err, errlen, "a carrier's exit is timed by the service's clock: it takes no time of its own");
        return BEX_ERR_ARG;
    }
    if (rq->port && *rq->port && strcmp(rq->port, d->port)) {
        snprintf(err, errlen, "a carrier's exit is at its departure's port (%.7s), not %.7s", d->port, rq->port);
        return BEX_ERR_ARG;
    }
    return BEX_OK;
}

bex_carrier_answer bex_carrier_answer_of(bex_outcome o, bex_gallery decided) {
    return o == BEX_OUTCOME_MATCHED && decided == BEX_GALLERY_MANIFEST ? BEX_CARRIER_MATCH
           : o == BEX_OUTCOME_NO_PHOTO                                 ? BEX_CARRIER_NO_PHOTO
                                                                       : BEX_CARRIER_NO_MATCH;
}

const char *bex_carrier_answer_name(const bex_exit_result *r) {
    static const char *const names[3] = {"no_match", "match", "no_photo"};
    return names[bex_carrier_answer_of(r->outcome, r->match.gallery)];
}

/* ---- retention ---- */

static const char *const categories[] = {"citizen_biometrics", "unmatched_captures", "images", "records",
                                         "overstayer_records"};

int bex_retention_check(const char *category, long long seconds, char *err, size_t errlen) {
    int known = 0;
    for (size_t i = 0; i < sizeof categories / sizeof *categories; i++) known |= category && !strcmp(category, categories[i]);
    if (!known) {
        snprintf(err, errlen, "no retention category '%s' (citizen_biometrics, unmatched_captures, images, records, "
                 "overstayer_records)", category ? category : "");
        return BEX_ERR_ARG;
    }
    if (seconds < 0) {
        snprintf(err, errlen, "%s: a retention period cannot be negative", category);
        return BEX_ERR_ARG;
    }
    if (seconds > BEX_RETENTION_MAX_SECONDS && seconds != BEX_RETENTION_FOREVER) {
        snprintf(err, errlen, "%s: a retention period is at most 100 years (%lld s); to keep without end, say "
                 "\"forever\"", category, BEX_RETENTION_MAX_SECONDS);
        return BEX_ERR_ARG;
    }
    if ((!strcmp(category, "citizen_biometrics") || !strcmp(category, "unmatched_captures")) &&
        seconds > BEX_CITIZEN_MAX_SECONDS) {
        snprintf(err, errlen, "%s: %s may be kept 12 hours at most", category,
                 !strcmp(category, "citizen_biometrics") ? "citizens' photos and templates"
                                                          : "unmatched captures (they may be a citizen's)");
        return BEX_ERR_ARG;
    }
    return BEX_OK;
}

int bex_retention_parse(const char *text, long long *seconds, char *err, size_t errlen) {
    *seconds = -1;
    if (text && !strcmp(text, "forever")) {
        *seconds = BEX_RETENTION_FOREVER;
        return BEX_OK;
    }
    /* digits, an optional fraction, an optional unit: parsed by hand, so that nothing
     * (exponents, hex, "inf", signs, spaces) slips through strtod */
    const char *p = text ? text : "";
    double v = 0, scale = 1;
    int digits = 0;
    for (; *p >= '0' && *p <= '9' && digits < 18; p++, digits++) v = v * 10 + (*p - '0');
    if (*p == '.' && digits)
        for (p++; *p >= '0' && *p <= '9' && scale > 1e-9; p++) v += (*p - '0') * (scale /= 10);
    double mult = !strcmp(p, "") || !strcmp(p, "s") ? 1
                  : !strcmp(p, "m")                 ? 60
                  : !strcmp(p, "h")                 ? 3600
                  : !strcmp(p, "d")                 ? 86400
                  : !strcmp(p, "y")                 ? (double)BEX_RETENTION_YEAR
                                                    : -1;
    if (!digits || mult < 0) {
        snprintf(err, errlen, "'%.40s' is not a retention period: write a number with a unit (s, m, h, d, y), "
                 "e.g. 12h or 3y, or \"forever\"", text ? text : "");
        return BEX_ERR_ARG;
    }
    double secs = v * mult;
    if (secs > (double)BEX_RETENTION_MAX_SECONDS + 0.5) {
        snprintf(err, errlen, "'%.40s' is over 100 years, the longest retention period; to keep without end, "
                 "say \"forever\"", text);
        return BEX_ERR_ARG;
    }
    *seconds = (long long)(secs + 0.5);
    return BEX_OK;
}

const char *bex_retention_text(long long seconds, char buf[24]) {
    if (seconds == BEX_RETENTION_FOREVER) return "forever";
    snprintf(buf, 24, "%lld", seconds);
    return buf;
}

void bex_retention_preset(bex_policy policy, long long *records, long long *overstayer_records) {
    const long long year = BEX_RETENTION_YEAR;
    *records = (policy == BEX_POLICY_EU ? 3 : 75) * year;
    *overstayer_records = (policy == BEX_POLICY_EU ? 5 : 75) * year;
}

bex_fate bex_sample_retention(const bex_sample_facts *s, const bex_retention *r, int64_t now) {
    int64_t age = now - s->captured_at;
    /* a citizen's biometrics: 12 hours at most, flag or none (the law's limit) */
    if (s->citizen && age >= r->citizen_biometrics) return BEX_DELETE;
    if (s->open_flag) return BEX_KEEP;
    if (s->unmatched && age >= r->unmatched_captures) return BEX_DELETE;
    if (s->has_image && age >= r->images) return BEX_DROP_IMAGE;
    return BEX_KEEP;
}

bex_fate bex_subject_retention(const bex_subject_facts *s, const bex_retention *r, int64_t now, int *overstayer) {
    *overstayer = 0;
    bex_day today = (bex_day)(now >= 0 ? now / 86400 : -((-now + 86399) / 86400));
    if (!s->citizen) {
        for (size_t i = 0; i < s->n_stays; i++) {
            bex_stay_verdict v;
            if (bex_overstay_us(&s->stays[i], today, &v) != BEX_OK) continue;
            /* still here within their stay (or on D/S): kept, an exit must find them */
            if (v.status == BEX_STAY_PRESENT || v.status == BEX_STAY_DS) return BEX_KEEP;
            if (v.status == BEX_STAY_OVERSTAY_IN_COUNTRY || v.status == BEX_STAY_OVERSTAY_OUT_OF_COUNTRY)
                *overstayer = 1;
        }
    }
    long long keep = *overstayer ? r->overstayer_records : r->records;
    return now - s->last_seen >= keep ? BEX_DELETE : BEX_KEEP;
}

/* ---- crossing rates ---- */

static int ymd(const char *s, int *y, int *m, int *d) {
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-') return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) return 0;
    *y = atoi(s);
    *m = atoi(s + 5);
    *d = atoi(s + 8);
    return *m >= 1 && *m <= 12 && *d >= 1 && *d <= 31;
}

static const char *const age_bands[] = {"0-13", "14-17", "18-64", "65-79", "80+", "unknown"};
static const char *const sexes[] = {"F", "M", "X", "unknown"};

const char *bex_age_band(const char *birth_date, const char *day) {
    int by, bm, bd, y, m, d;
    if (!ymd(birth_date, &by, &bm, &bd) || !ymd(day, &y, &m, &d)) return "unknown";
    int age = y - by - (m < bm || (m == bm && d < bd));
    if (age < 0) return "unknown";
    return age <= 13 ? age_bands[0] : age <= 17 ? age_bands[1] : age <= 64 ? age_bands[2] : age <= 79 ? age_bands[3]
                                                                                                      : age_bands[4];
}

static void rate_add(bex_rate_row *r, const bex_crossing_fact *f) {
    long long c = f->count;
    if (f->exit) r->exits += c;
    else r->entries += c;
    r->crossings += c;
    if (!strcmp(f->outcome, "no_photo")) r->no_photo += c;
    else r->captured += c;
    if (!strcmp(f->outcome, "matched") || !strcmp(f->outcome, "officer_override")) r->matched += c;
    else if (!strcmp(f->outcome, "not_matched") || !strcmp(f->outcome, "unverified")) r->not_matched += c;
}

static int row_cmp(const void *a, const void *b) {
    return strcmp(((const bex_rate_row *)a)->key, ((const bex_rate_row *)b)->key);
}

int bex_rates_aggregate(const bex_crossing_fact *facts, size_t n, bex_rates_by by, bex_rate_row *rows, size_t max,
                        size_t *nrows, char *err, size_t errlen) {
    *nrows = 0;
    size_t cnt = 0;
    const char *const *fixed = by == BEX_RATES_BY_AGE_BAND ? age_bands : by == BEX_RATES_BY_SEX ? sexes : NULL;
    size_t nfixed = by == BEX_RATES_BY_AGE_BAND ? 6 : by == BEX_RATES_BY_SEX ? 4 : 0;
    if (by < BEX_RATES_BY_PORT || by > BEX_RATES_BY_SEX) {
        snprintf(err, errlen, "a rates report is by port, day, age_band or sex");
        return BEX_ERR_ARG;
    }
    if (nfixed > max) goto too_many;
    for (size_t i = 0; i < nfixed; i++) {
        memset(&rows[i], 0, sizeof rows[i]);
        snprintf(rows[i].key, sizeof rows[i].key, "%s", fixed[i]);
    }
    cnt = nfixed;
    for (size_t i = 0; i < n; i++) {
        const bex_crossing_fact *f = &facts[i];
        const char *key = by == BEX_RATES_BY_PORT ? f->port
                          : by == BEX_RATES_BY_DAY ? f->day
                          : by == BEX_RATES_BY_AGE_BAND ? bex_age_band(f->birth_date, f->day)
                          : (!strcmp(f->sex, "F") || !strcmp(f->sex, "M") || !strcmp(f->sex, "X")) ? f->sex : "unknown";
        size_t k = 0;
        while (k < cnt && strcmp(rows[k].key, key)) k++;
        if (k == cnt) {
            if (cnt == max) goto too_many;
            memset(&rows[cnt], 0, sizeof rows[cnt]);
            snprintf(rows[cnt].key, sizeof rows[cnt].key, "%s", key);
            cnt++;
        }
        rate_add(&rows[k], f);
    }
    if (!fixed) qsort(rows, cnt, sizeof *rows, row_cmp);
    for (size_t k = 0; k < cnt; k++) {
        bex_rate_row *r = &rows[k];
        r->capture_rate = r->crossings ? (double)r->captured / (double)r->crossings : -1;
        r->match_rate = r->matched + r->not_matched ? (double)r->matched / (double)(r->matched + r->not_matched) : -1;
    }
    *nrows = cnt;
    return BEX_OK;
too_many:
    snprintf(err, errlen, "a rates report has at most %zu rows: ask for a shorter period", max);
    return BEX_ERR_LIMIT;
}

/* ---- the evaluation's files ---- */

const char *bex_eval_file_type(const char *name) {
    if (!name) return NULL;
    size_t n = strlen(name);
    if (n == 0 || n >= BEX_EVAL_NAME_MAX || name[0] == '.') return NULL;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return NULL;
    }
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name) return NULL;
    if (!strcmp(dot, ".svg")) return "image/svg+xml";
    if (!strcmp(dot, ".csv")) return "text/csv";
    if (!strcmp(dot, ".json")) return "application/json";
    return NULL;
}

/* ---- one flag's candidates ---- */

int bex_candidate_subjects(const int64_t *flagged, size_t n, int64_t own, int64_t holder, int64_t *out, int max) {
    int k = 0;
    for (size_t i = 0; i <= n + 1 && k < max; i++) {
        int64_t s = i < n ? flagged[i] : i == n ? own : holder;
        if (s <= 0) continue;
        int seen = 0;
        for (int j = 0; j < k && !seen; j++) seen = out[j] == s;
        if (!seen) out[k++] = s;
    }
    return k;
}

void bex_candidate_decide(const bex_operating_point *op, int64_t subject, float score, bex_match *m) {
    bex_verify_decide(op, BEX_GALLERY_HOLDER, subject, score, m);
    if (isnan(score)) {
        m->gallery = BEX_GALLERY_NONE;
        m->match = 0;
    }
}
