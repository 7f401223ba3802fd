/*
 * json.c - the record system's answers as JSON and CSV (json.h), for every program.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bex/json.h"
#include "bex/rules.h"

void bex_json_str(FILE *f, const char *s) {
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20) fprintf(f, "\\u%04x", *p);
            else fputc(*p, f);
        }
    }
    fputc('"', f);
}

static void num_or_null(FILE *f, const char *key, float v) {
    if (isnan(v)) fprintf(f, ",\"%s\":null", key);
    else fprintf(f, ",\"%s\":%.4f", key, v);
}

static void id_or_null(FILE *f, const char *key, int64_t v, int comma) {
    fprintf(f, "%s\"%s\":", comma ? "," : "", key);
    if (v) fprintf(f, "%lld", (long long)v);
    else fputs("null", f);
}

void bex_json_match(FILE *f, const char *key, const bex_match *m) {
    fprintf(f, ",\"%s\":", key);
    if (m->gallery == BEX_GALLERY_NONE) {
        fputs("null", f);
        return;
    }
    fprintf(f, "{\"gallery\":\"%s\",\"gallery_size\":%lld", bex_gallery_name(m->gallery), m->gallery_size);
    id_or_null(f, "subject", m->subject, 1);
    num_or_null(f, "score", m->score);
    num_or_null(f, "threshold", m->threshold);
    fputs(",\"operating_point\":", f);
    bex_json_str(f, m->operating_point);
    fputs(",\"calibration\":", f);
    bex_json_str(f, m->calibration);
    id_or_null(f, "calibration_id", m->calibration_id, 1);
    fprintf(f, ",\"calibrated\":%s,\"match\":%s}", m->calibrated ? "true" : "false", m->match ? "true" : "false");
}

void bex_json_flag(FILE *f, const bex_flag *x) {
    fprintf(f, "{\"id\":%lld,\"kind\":\"%s\"", (long long)x->id, bex_flag_kind_name(x->kind));
    if (x->encounter) fprintf(f, ",\"encounter\":%lld", (long long)x->encounter);
    if (x->departure[0]) {
        fputs(",\"departure\":", f);
        bex_json_str(f, x->departure);
    }
    if (x->port[0]) {
        fputs(",\"port\":", f);
        bex_json_str(f, x->port);
    }
    fputs(",\"subjects\":[", f);
    for (int i = 0; i < x->n_subjects; i++) fprintf(f, "%s%lld", i ? "," : "", (long long)x->subjects[i]);
    fputs("],\"documents\":[", f);
    for (int i = 0; i < x->n_documents; i++) fprintf(f, "%s%lld", i ? "," : "", (long long)x->documents[i]);
    fputs("],\"detail\":", f);
    bex_json_str(f, x->detail);
    fprintf(f, ",\"status\":\"%s\",\"created_at\":\"%s\"}", bex_flag_status_name(x->status), x->created_at);
}

void bex_json_flags(FILE *f, const bex_flag *flags, size_t n) {
    fputs(",\"flags\":[", f);
    for (size_t i = 0; i < n; i++) {
        if (i) fputc(',', f);
        bex_json_flag(f, &flags[i]);
    }
    fputc(']', f);
}

void bex_json_capture(FILE *f, const char *outcome, const char *message) {
    fputs(",\"capture\":{\"outcome\":", f);
    bex_json_str(f, outcome);
    fputs(",\"message\":", f);
    bex_json_str(f, message);
    fputc('}', f);
}

static void ints(FILE *f, const int *v, int n) {
    fputc('[', f);
    for (int i = 0; i < n; i++) fprintf(f, "%s%d", i ? "," : "", v[i]);
    fputc(']', f);
}

void bex_json_chip_check(FILE *f, const bex_chip_check *c) {
    fputs("{\"check\":", f);
    bex_json_str(f, bex_chip_check_name(c));
    if (!c || !c->presented) {
        fputc('}', f);
        return;
    }
    const bex_pa_result *r = &c->pa;
    fputs(",\"passive_authentication\":{\"outcome\":", f);
    bex_json_str(f, bex_pa_outcome_name(r->outcome));
    fputs(",\"message\":", f);
    bex_json_str(f, r->message);
    if (r->altered_group) fprintf(f, ",\"altered_group\":%d", r->altered_group);
    fputs(",\"hash_algorithm\":", f);
    bex_json_str(f, r->hash_algorithm);
    fputs(",\"signer\":{\"country\":", f);
    bex_json_str(f, r->signer_country);
    fputs(",\"issuer_country\":", f);
    bex_json_str(f, r->issuer_country);
    fputs(",\"serial\":", f);
    bex_json_str(f, r->signer_serial);
    fprintf(f, "},\"crl_checked\":%s,\"sod_groups\":", r->crl_checked ? "true" : "false");
    ints(f, r->sod_groups, r->n_sod_groups);
    fputs(",\"groups_checked\":", f);
    ints(f, r->checked, r->n_checked);
    fputs("},\"mrz\":", f);
    if (c->mrz_compared) {
        fputs("{\"outcome\":", f);
        bex_json_str(f, c->mrz == BEX_PA_AUTHENTIC ? "agrees" : bex_pa_outcome_name(c->mrz));
        fputs(",\"message\":", f);
        bex_json_str(f, c->mrz_message);
        fputc('}', f);
    } else {
        fputs("null", f);
    }
    fprintf(f, ",\"active_authentication\":\"%s\",\"chip_authentication\":\"%s\"}",
            bex_chip_auth_name(c->active_auth), bex_chip_auth_name(c->chip_auth));
}

/* ---- fingerprints ---- */

static void json_num(FILE *f, double v) {
    if (isnan(v) || isinf(v)) fputs("null", f);
    else fprintf(f, "%.6g", v);
}

void bex_json_finger_plan(FILE *f, const bex_finger_plan *p) {
    fprintf(f, "{\"prints\":\"%s\",\"enrolled\":[", bex_prints_name(p->prints));
    for (int i = 0; i < p->n_enrol; i++) fprintf(f, "%s%d", i ? "," : "", p->enrol[i]);
    fputs("],\"recorded\":[", f);
    for (int i = 0; i < p->n_record; i++)
        fprintf(f, "%s{\"position\":%d,\"status\":\"%s\"}", i ? "," : "", p->record[i],
                bex_finger_state_name(p->record_state[i]));
    fprintf(f, "],\"substituted\":%d,\"not_kept\":%d,\"referred\":%s,\"detail\":", p->substituted, p->ignored,
            p->refer ? "true" : "false");
    bex_json_str(f, p->detail);
    fputc('}', f);
}

void bex_json_finger_decision(FILE *f, const bex_finger_decision *d) {
    fprintf(f, "{\"gallery\":\"%s\",\"gallery_size\":%lld", d->gallery ? bex_gallery_name(d->gallery) : "none",
            d->gallery_size);
    id_or_null(f, "subject", d->subject, 1);
    fputs(",\"fingers\":[", f);
    for (int i = 0; i < d->n; i++)
        fprintf(f, "%s{\"position\":%d,\"score\":%.4f}", i ? "," : "", d->positions[i], d->scores[i]);
    fputs("],\"face_fmr\":", f);
    json_num(f, d->fusion.face_fmr);
    fputs(",\"finger_fmr\":", f);
    json_num(f, d->fusion.finger_fmr);
    fputs(",\"fused_fmr\":", f);
    json_num(f, d->fusion.fused_fmr);
    fputs(",\"target_fmr\":", f);
    json_num(f, d->fusion.target);
    fputs(",\"operating_point\":", f);
    bex_json_str(f, d->fusion.operating_point);
    fprintf(f, ",\"match\":%s,\"ambiguous\":%s}", d->fusion.match ? "true" : "false",
            d->ambiguous ? "true" : "false");
}

void bex_json_entry(FILE *f, const bex_entry_result *r, const char *capture_failure, const char *capture_message,
                    const char *doc_failure, const char *doc_message) {
    fprintf(f, "{\"encounter\":%lld,\"subject\":%lld,\"document\":%lld", (long long)r->encounter,
            (long long)r->subject, (long long)r->document);
    id_or_null(f, "admission", r->admission, 1);
    fprintf(f, ",\"outcome\":\"%s\",\"decision\":\"%s\",\"new_subject\":%s,\"citizen\":%s",
            bex_outcome_name(r->outcome), bex_decision_name(r->decision), r->new_subject ? "true" : "false",
            r->citizen ? "true" : "false");
    if (capture_failure) bex_json_capture(f, capture_failure, capture_message);
    if (doc_failure) {
        fputs(",\"document_photo\":{\"outcome\":", f);
        bex_json_str(f, doc_failure);
        fputs(",\"message\":", f);
        bex_json_str(f, doc_message);
        fputc('}', f);
    }
    fputs(",\"document_check\":", f);
    bex_json_chip_check(f, &r->chip);
    bex_json_match(f, "verify", &r->verify);
    bex_json_match(f, "identify", &r->identify);
    bex_json_flags(f, r->flags, (size_t)r->n_flags);
    fputs(",\"closed_admissions\":[", f);
    for (int i = 0; i < r->n_closed; i++) fprintf(f, "%s%lld", i ? "," : "", (long long)r->closed[i]);
    fputc(']', f);
    if (r->fingers_asked) {
        fputs(",\"fingers\":", f);
        bex_json_finger_plan(f, &r->fingers);
    }
    if (r->holder_fingers.compared && r->holder_fingers.n > 0) {
        fputs(",\"holder_fingers\":", f);
        bex_json_finger_decision(f, &r->holder_fingers);
    }
    fputs("}\n", f);
}

void bex_json_exit(FILE *f, const bex_exit_result *r, const char *capture_failure, const char *capture_message) {
    fprintf(f, "{\"encounter\":%lld", (long long)r->encounter);
    id_or_null(f, "subject", r->subject, 1);
    id_or_null(f, "admission", r->admission, 1);
    fprintf(f, ",\"outcome\":\"%s\",\"gallery\":", bex_outcome_name(r->outcome));
    if (r->match.gallery) fprintf(f, "\"%s\"", bex_gallery_name(r->match.gallery));
    else fputs("null", f);
    if (capture_failure) bex_json_capture(f, capture_failure, capture_message);
    bex_json_match(f, "match", &r->match);
    bex_json_flags(f, r->flags, (size_t)r->n_flags);
    if (r->finger.compared) {
        fputs(",\"finger\":", f);
        bex_json_finger_decision(f, &r->finger);
    }
    fputs("}\n", f);
}

void bex_json_carrier_exit(FILE *f, const bex_exit_result *r) {
    fprintf(f, "{\"transaction\":%lld,\"decision\":\"%s\"}\n", (long long)r->encounter, bex_carrier_answer_name(r));
}

void bex_json_flag_queue(FILE *f, const bex_flag *flags, size_t n, size_t total) {
    fprintf(f, "{\"count\":%zu,\"total\":%zu", n, total);
    bex_json_flags(f, flags, n);
    fputs("}\n", f);
}

void bex_json_flag_page(FILE *f, const bex_flag *flags, size_t n, size_t total, int64_t next_before) {
    fprintf(f, "{\"count\":%zu,\"total\":%zu", n, total);
    bex_json_flags(f, flags, n);
    if (next_before > 0) fprintf(f, ",\"next_before\":%lld}\n", (long long)next_before);
    else fputs(",\"next_before\":null}\n", f);
}

static void csv_field(FILE *f, const char *s) {
    fputc('"', f);
    for (const char *p = s; *p; p++) {
        if (*p == '"') fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
}

void bex_json_flags_csv(FILE *f, const bex_flag *x, size_t n) {
    fputs("id,kind,encounter,departure,subjects,documents,status,created_at,detail,port\n", f);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%lld,%s,%lld,", (long long)x[i].id, bex_flag_kind_name(x[i].kind), (long long)x[i].encounter);
        csv_field(f, x[i].departure);
        fputc(',', f);
        for (int k = 0; k < x[i].n_subjects; k++) fprintf(f, "%s%lld", k ? " " : "", (long long)x[i].subjects[k]);
        fputc(',', f);
        for (int k = 0; k < x[i].n_documents; k++) fprintf(f, "%s%lld", k ? " " : "", (long long)x[i].documents[k]);
        fprintf(f, ",%s,%s,", bex_flag_status_name(x[i].status), x[i].created_at);
        csv_field(f, x[i].detail);
        fputc(',', f);
        csv_field(f, x[i].port);
        fputc('\n', f);
    }
}

void bex_json_lookup(FILE *f, const bex_lookup_hit *h, size_t n) {
    fprintf(f, "{\"count\":%zu,\"hits\":[", n);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s{\"subject\":%lld,\"document\":%lld,\"citizen\":%s", i ? "," : "", (long long)h[i].subject,
                (long long)h[i].document, h[i].citizen ? "true" : "false");
        if (h[i].names_verdict[0]) {
            fputs(",\"names\":", f);
            bex_json_str(f, h[i].names_verdict);
        }
        fputs(",\"reason\":", f);
        bex_json_str(f, h[i].reason);
        fputc('}', f);
    }
    fputs("]}\n", f);
}

/* ---- the overstay report ---- */

static void tally_json(FILE *f, const char *name, const bex_overstay_tally *t, int with_key) {
    fputc('{', f);
    if (with_key) {
        fprintf(f, "\"%s\":", name);
        bex_json_str(f, t->key);
        fputc(',', f);
    }
    fprintf(f, "\"expected_departures\":%ld,\"out_of_country_overstays\":%ld,"
               "\"in_country_overstays\":%ld,\"total_overstays\":%ld,\"total_overstay_rate\":%.2f,"
               "\"in_country_overstay_rate\":%.2f,\"no_exit_recorded\":%ld,\"long_stays\":%ld,\"admissions\":%ld}",
            t->expected_departures, t->out_of_country, t->in_country, t->total, t->total_rate,
            t->in_country_rate, t->no_exit_recorded, t->long_stay, t->admissions);
}

static void row_json(FILE *f, const bex_overstay_row *r, int eu, int first) {
    fprintf(f, "%s{\"subject\":%lld,\"admission\":%lld,\"document\":", first ? "" : ",", (long long)r->subject,
            (long long)r->admission);
    bex_json_str(f, r->document);
    fputs(",\"nationality\":", f);
    bex_json_str(f, r->nationality);
    fputs(",\"class\":", f);
    bex_json_str(f, r->admission_class);
    fputs(",\"port\":", f);
    bex_json_str(f, r->port);
    fprintf(f, ",\"entry\":\"%s\",\"admit_until\":", r->entry);
    if (r->admit_until[0]) fprintf(f, "\"%s\"", r->admit_until);
    else fputs("null", f);
    fputs(",\"exit\":", f);
    if (r->exit[0]) fprintf(f, "\"%s\"", r->exit);
    else fputs("null", f);
    fprintf(f, ",\"status\":\"%s\",\"days_over\":%d", bex_stay_status_name(r->verdict.status), r->verdict.days_over);
    if (eu && r->verdict.status != BEX_STAY_LONG_STAY) {
        char ld[11];
        bex_day_format(r->verdict.last_day, ld);
        fprintf(f, ",\"remaining_at_entry\":%d,\"latest_exit\":\"%s\"", r->verdict.remaining_at_entry, ld);
    }
    fputc('}', f);
}

static int is_overstay(const bex_overstay_row *r) {
    return r->verdict.status == BEX_STAY_OVERSTAY_IN_COUNTRY || r->verdict.status == BEX_STAY_OVERSTAY_OUT_OF_COUNTRY;
}

long bex_json_overstays(FILE *f, const bex_overstay_row *rows, size_t n, const char *as_of, bex_policy policy,
                        int format) {
    bex_day day;
    if (!as_of || bex_day_parse(as_of, &day) != BEX_OK) return -1;
    int eu = policy == BEX_POLICY_EU;
    bex_overstay_tables t;
    char err[128];
    if (bex_overstay_tabulate(rows, n, day, eu, &t, err, sizeof err) != BEX_OK) return -1;
    long over = 0;
    for (size_t i = 0; i < n; i++) over += is_overstay(&rows[i]);
    if (format >= 2 && format <= 4) {
        bex_overstay_dim d = (bex_overstay_dim)(format - 2);
        fprintf(f, "%s,expected_departures,out_of_country_overstays,in_country_overstays,total_overstays,"
                   "total_overstay_rate,in_country_overstay_rate,no_exit_recorded\n", bex_overstay_dim_name(d));
        for (size_t i = 0; i < t.by[d].n; i++) {
            const bex_overstay_tally *x = &t.by[d].lines[i];
            fprintf(f, "%s,%ld,%ld,%ld,%ld,%.2f,%.2f,%ld\n", x->key, x->expected_departures, x->out_of_country,
                    x->in_country, x->total, x->total_rate, x->in_country_rate, x->no_exit_recorded);
        }
    } else if (format == 1) {
        fprintf(f, "subject,admission,document,nationality,class,port,entry,admit_until,exit,status,days_over%s\n",
                eu ? ",remaining_at_entry,latest_exit" : "");
        for (size_t i = 0; i < n; i++) {
            const bex_overstay_row *r = &rows[i];
            if (!is_overstay(r)) continue;
            fprintf(f, "%lld,%lld,%s,%s,%s,%s,%s,%s,%s,%s,%d", (long long)r->subject, (long long)r->admission,
                    r->document, r->nationality, r->admission_class, r->port, r->entry,
                    r->admit_until[0] ? r->admit_until : "D/S", r->exit, bex_stay_status_name(r->verdict.status),
                    r->verdict.days_over);
            if (eu) {
                char ld[11];
                bex_day_format(r->verdict.last_day, ld);
                fprintf(f, ",%d,%s", r->verdict.remaining_at_entry, ld);
            }
            fputc('\n', f);
        }
    } else {
        fprintf(f, "{\"as_of\":\"%s\",\"policy\":\"%s\",\"admissions\":%zu,\"overstays\":[", as_of,
                bex_policy_name(policy), n);
        int first = 1;
        for (size_t i = 0; i < n; i++)
            if (is_overstay(&rows[i])) {
                row_json(f, &rows[i], eu, first);
                first = 0;
            }
        fputs("],\"no_exit_recorded\":[", f);
        first = 1;
        for (size_t i = 0; i < n; i++)
            if (rows[i].verdict.status == BEX_STAY_NO_EXIT_RECORDED) {
                row_json(f, &rows[i], eu, first);
                first = 0;
            }
        fputs("],\"totals\":", f);
        tally_json(f, "all", &t.totals, 0);
        for (int d = 0; d < BEX_OVERSTAY_DIMS; d++) {
            fprintf(f, ",\"by_%s\":[", bex_overstay_dim_name((bex_overstay_dim)d));
            for (size_t i = 0; i < t.by[d].n; i++) {
                if (i) fputc(',', f);
                tally_json(f, bex_overstay_dim_name((bex_overstay_dim)d), &t.by[d].lines[i], 1);
            }
            fputc(']', f);
        }
        fputs("}\n", f);
    }
    bex_overstay_tables_free(&t);
    return over;
}

static void rate(FILE *f, double x) {
    if (x < 0) fputs("null", f);
    else fprintf(f, "%.4f", x);
}

void bex_json_rates(FILE *f, bex_rates_by by, const char *from, const char *to, const bex_rate_row *rows, size_t n) {
    fprintf(f, "{\"by\":\"%s\",\"from\":", bex_rates_by_name(by));
    bex_json_str(f, from);
    fputs(",\"to\":", f);
    bex_json_str(f, to);
    fputs(",\"rows\":[", f);
    for (size_t i = 0; i < n; i++) {
        const bex_rate_row *r = &rows[i];
        fprintf(f, "%s{\"key\":", i ? "," : "");
        bex_json_str(f, r->key);
        fprintf(f, ",\"entries\":%lld,\"exits\":%lld,\"crossings\":%lld,\"captured\":%lld,\"matched\":%lld,"
                   "\"not_matched\":%lld,\"no_photo\":%lld,\"capture_rate\":", r->entries, r->exits, r->crossings,
                r->captured, r->matched, r->not_matched, r->no_photo);
        rate(f, r->capture_rate);
        fputs(",\"match_rate\":", f);
        rate(f, r->match_rate);
        fputc('}', f);
    }
    fputs("]}\n", f);
}

void bex_json_candidates(FILE *f, const bex_candidates *c) {
    fprintf(f, "{\"encounter\":%lld,\"candidates\":[", (long long)c->encounter);
    for (int i = 0; i < c->n; i++) {
        const bex_match *m = &c->candidates[i];
        fprintf(f, "%s{\"subject\":%lld", i ? "," : "", (long long)m->subject);
        num_or_null(f, "score", m->score);
        num_or_null(f, "threshold", m->threshold);
        fputs(",\"operating_point\":", f);
        bex_json_str(f, m->operating_point);
        fputs(",\"calibration\":", f);
        bex_json_str(f, m->calibration);
        fprintf(f, ",\"match\":%s,\"own_capture\":%s}", m->match ? "true" : "false",
                c->own_capture[i] ? "true" : "false");
    }
    fprintf(f, "],\"template\":\"%s\"", c->template_kept ? "kept" : "gone");
    if (!c->template_kept) {
        fputs(",\"reason\":", f);
        bex_json_str(f, c->reason);
    }
    fputs("}\n", f);
}
