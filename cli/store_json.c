/*
 * store_json.c - the record system's results as JSON (cli.h): one writer for the command line
 * (stdout) and the service (a memory stream), so that both answer alike.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_print_match(FILE *f, const char *key, const bex_match *m) {
    fprintf(f, ",\"%s\":", key);
    if (!m->gallery[0]) {
        fprintf(f, "null");
        return;
    }
    fprintf(f, "{\"gallery\":\"%s\",\"gallery_size\":%lld,\"subject\":", m->gallery, m->gallery_size);
    if (m->subject) fprintf(f, "%lld", (long long)m->subject);
    else fprintf(f, "null");
    if (isnan(m->score)) fprintf(f, ",\"score\":null");
    else fprintf(f, ",\"score\":%.4f", m->score);
    fprintf(f, ",\"threshold\":%.4f,\"operating_point\":", m->threshold);
    cli_json_str(f, m->operating_point);
    fprintf(f, ",\"match\":%s}", m->match ? "true" : "false");
}

static void print_flag(FILE *f, const bex_flag *x) {
    fprintf(f, "{\"id\":%lld,\"kind\":\"%s\"", (long long)x->id, x->kind);
    if (x->encounter) fprintf(f, ",\"encounter\":%lld", (long long)x->encounter);
    if (x->departure[0]) {
        fprintf(f, ",\"departure\":");
        cli_json_str(f, x->departure);
    }
    fprintf(f, ",\"subjects\":[");
    for (int i = 0; i < x->n_subjects; i++) fprintf(f, "%s%lld", i ? "," : "", (long long)x->subjects[i]);
    fprintf(f, "],\"documents\":[");
    for (int i = 0; i < x->n_documents; i++) fprintf(f, "%s%lld", i ? "," : "", (long long)x->documents[i]);
    fprintf(f, "],\"detail\":");
    cli_json_str(f, x->detail);
    fprintf(f, ",\"status\":\"%s\",\"created_at\":\"%s\"}", x->status, x->created_at);
}

void cli_print_flags(FILE *f, const bex_flag *flags, int n) {
    fprintf(f, ",\"flags\":[");
    for (int i = 0; i < n; i++) {
        if (i) fputc(',', f);
        print_flag(f, &flags[i]);
    }
    fprintf(f, "]");
}

void cli_print_capture(FILE *f, const char *outcome, const char *message) {
    fprintf(f, ",\"capture\":{\"outcome\":\"%s\",\"message\":", outcome);
    cli_json_str(f, message);
    fprintf(f, "}");
}

void cli_print_entry(FILE *f, const bex_entry_result *r, const char *capture_failure, const char *capture_message,
                     const char *doc_failure, const char *doc_message) {
    fprintf(f, "{\"encounter\":%lld,\"subject\":%lld,\"document\":%lld,\"admission\":", (long long)r->encounter,
            (long long)r->subject, (long long)r->document);
    if (r->admission) fprintf(f, "%lld", (long long)r->admission);
    else fprintf(f, "null");
    fprintf(f, ",\"outcome\":\"%s\",\"new_subject\":%s", r->outcome, r->new_subject ? "true" : "false");
    if (capture_failure) cli_print_capture(f, capture_failure, capture_message);
    if (doc_failure) {
        fprintf(f, ",\"document_photo\":{\"outcome\":\"%s\",\"message\":", doc_failure);
        cli_json_str(f, doc_message);
        fprintf(f, "}");
    }
    cli_print_match(f, "verify", &r->verify);
    cli_print_match(f, "identify", &r->identify);
    cli_print_flags(f, r->flags, r->n_flags);
    fprintf(f, "}\n");
}

void cli_print_exit(FILE *f, const bex_exit_result *r, const char *capture_failure, const char *capture_message) {
    fprintf(f, "{\"encounter\":%lld,\"subject\":", (long long)r->encounter);
    if (r->subject) fprintf(f, "%lld", (long long)r->subject);
    else fprintf(f, "null");
    fprintf(f, ",\"admission\":");
    if (r->admission) fprintf(f, "%lld", (long long)r->admission);
    else fprintf(f, "null");
    fprintf(f, ",\"outcome\":\"%s\",\"gallery\":", r->outcome);
    if (r->match.gallery[0]) fprintf(f, "\"%s\"", r->match.gallery);
    else fprintf(f, "null");
    if (capture_failure) cli_print_capture(f, capture_failure, capture_message);
    cli_print_match(f, "match", &r->match);
    cli_print_flags(f, r->flags, r->n_flags);
    fprintf(f, "}\n");
}


typedef struct tally {
    char key[16];
    long expected, in_country, out_of_country;
} tally;

static void tally_add(tally **t, size_t *n, const char *key, const bex_overstay_row *r, bex_day asof, int eu) {
    size_t i = 0;
    while (i < *n && strcmp((*t)[i].key, key)) i++;
    if (i == *n) {
        tally *nt = realloc(*t, (*n + 1) * sizeof *nt);
        if (!nt) return;
        *t = nt;
        memset(&nt[i], 0, sizeof nt[i]);
        snprintf(nt[i].key, sizeof nt[i].key, "%s", key[0] ? key : "unknown");
        (*n)++;
    }
    tally *x = &(*t)[i];
    int due = eu ? r->verdict.last_day <= asof || r->verdict.days_over > 0 : r->verdict.expected_departure;
    x->expected += due;
    x->in_country += r->verdict.status == BEX_STAY_OVERSTAY_IN_COUNTRY;
    x->out_of_country += r->verdict.status == BEX_STAY_OVERSTAY_OUT_OF_COUNTRY;
}

static int tally_cmp(const void *a, const void *b) {
    return strcmp(((const tally *)a)->key, ((const tally *)b)->key);
}

static void print_tallies(FILE *f, const char *name, tally *t, size_t n, int csv) {
    qsort(t, n, sizeof *t, tally_cmp);
    if (csv) {
        fprintf(f, "%s,expected_departures,out_of_country_overstays,in_country_overstays,total_overstays,"
               "total_overstay_rate,in_country_overstay_rate\n", name);
    } else {
        fprintf(f, ",\"by_%s\":[", name);
    }
    for (size_t i = 0; i < n; i++) {
        long tot = t[i].in_country + t[i].out_of_country;
        double rate = t[i].expected ? 100.0 * tot / t[i].expected : 0, irate =
            t[i].expected ? 100.0 * t[i].in_country / t[i].expected : 0;
        if (csv) {
            fprintf(f, "%s,%ld,%ld,%ld,%ld,%.2f,%.2f\n", t[i].key, t[i].expected, t[i].out_of_country,
                   t[i].in_country, tot, rate, irate);
        } else {
            fprintf(f, "%s{\"%s\":", i ? "," : "", name);
            cli_json_str(f, t[i].key);
            fprintf(f, ",\"expected_departures\":%ld,\"out_of_country_overstays\":%ld,\"in_country_overstays\":%ld,"
                   "\"total_overstays\":%ld,\"total_overstay_rate\":%.2f,\"in_country_overstay_rate\":%.2f}",
                   t[i].expected, t[i].out_of_country, t[i].in_country, tot, rate, irate);
        }
    }
    if (!csv) fprintf(f, "]");
}


/* The overstay report (cli.h). */
long cli_print_overstays(FILE *f, const bex_overstay_row *rows, size_t n, const char *asof, int eu, int format,
                         double t0) {
    bex_day day;
    if (bex_day_parse(asof, &day) != BEX_OK) return -1;
    tally *t[3] = {NULL, NULL, NULL};
    size_t nt[3] = {0, 0, 0};
    tally all = {.key = "all"};
    long over = 0;
    for (size_t i = 0; i < n; i++) {
        const bex_overstay_row *r = &rows[i];
        tally_add(&t[0], &nt[0], r->nationality, r, day, eu);
        tally_add(&t[1], &nt[1], r->admission_class, r, day, eu);
        tally_add(&t[2], &nt[2], r->port, r, day, eu);
        over += r->verdict.status == BEX_STAY_OVERSTAY_IN_COUNTRY ||
                r->verdict.status == BEX_STAY_OVERSTAY_OUT_OF_COUNTRY;
        if (t0 >= 0 && (i % 4096 == 4095 || i + 1 == n)) cli_progress("report", i + 1, n, t0);
    }
    for (size_t i = 0; i < nt[0]; i++) {
        all.expected += t[0][i].expected;
        all.in_country += t[0][i].in_country;
        all.out_of_country += t[0][i].out_of_country;
    }
    static const char *const names[3] = {"country", "class", "port"};
    if (format >= 2) {
        int k = format - 2;
        print_tallies(f, names[k], t[k], nt[k], 1);
    } else if (format == 1) {
        fprintf(f, "subject,admission,document,nationality,class,port,entry,admit_until,exit,status,days_over%s\n",
               eu ? ",remaining_at_entry,latest_exit" : "");
        for (size_t i = 0; i < n; i++) {
            const bex_overstay_row *r = &rows[i];
            if (r->verdict.status != BEX_STAY_OVERSTAY_IN_COUNTRY &&
                r->verdict.status != BEX_STAY_OVERSTAY_OUT_OF_COUNTRY)
                continue;
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
        fprintf(f, "{\"as_of\":\"%s\",\"policy\":\"%s\",\"admissions\":%zu,\"overstays\":[", asof, eu ? "eu" : "us", n);
        int first = 1;
        for (size_t i = 0; i < n; i++) {
            const bex_overstay_row *r = &rows[i];
            if (r->verdict.status != BEX_STAY_OVERSTAY_IN_COUNTRY &&
                r->verdict.status != BEX_STAY_OVERSTAY_OUT_OF_COUNTRY)
                continue;
            fprintf(f, "%s{\"subject\":%lld,\"admission\":%lld,\"document\":", first ? "" : ",", (long long)r->subject,
                   (long long)r->admission);
            first = 0;
            cli_json_str(f, r->document);
            fprintf(f, ",\"nationality\":");
            cli_json_str(f, r->nationality);
            fprintf(f, ",\"class\":");
            cli_json_str(f, r->admission_class);
            fprintf(f, ",\"port\":");
            cli_json_str(f, r->port);
            fprintf(f, ",\"entry\":\"%s\",\"admit_until\":", r->entry);
            if (r->admit_until[0]) fprintf(f, "\"%s\"", r->admit_until);
            else fprintf(f, "null");
            fprintf(f, ",\"exit\":");
            if (r->exit[0]) fprintf(f, "\"%s\"", r->exit);
            else fprintf(f, "null");
            fprintf(f, ",\"status\":\"%s\",\"days_over\":%d", r->verdict.status == BEX_STAY_OVERSTAY_IN_COUNTRY
                   ? "in_country" : "out_of_country", r->verdict.days_over);
            if (eu) {
                char ld[11];
                bex_day_format(r->verdict.last_day, ld);
                fprintf(f, ",\"remaining_at_entry\":%d,\"latest_exit\":\"%s\"", r->verdict.remaining_at_entry, ld);
            }
            fprintf(f, "}");
        }
        fprintf(f, "]");
        long tot = all.in_country + all.out_of_country;
        fprintf(f, ",\"totals\":{\"expected_departures\":%ld,\"out_of_country_overstays\":%ld,"
               "\"in_country_overstays\":%ld,\"total_overstays\":%ld,\"total_overstay_rate\":%.2f,"
               "\"in_country_overstay_rate\":%.2f}", all.expected, all.out_of_country, all.in_country, tot,
               all.expected ? 100.0 * tot / all.expected : 0, all.expected ? 100.0 * all.in_country / all.expected : 0);
        for (int k = 0; k < 3; k++) print_tallies(f, names[k], t[k], nt[k], 0);
        fprintf(f, "}\n");
    }
    for (int k = 0; k < 3; k++) free(t[k]);
    return over;
}
