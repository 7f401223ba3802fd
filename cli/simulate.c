/*
 * simulate.c - `bex simulate`: days of arrivals and departures at an airport, a seaport and a
 * land crossing, run through the record store (include/bex/store.h) at a chosen scale, for
 * demos and benchmarks. It plants what the system must find (travellers who leave late or
 * never, impostors on genuine passports, people with two identities, children and elderly
 * travellers), then reports how many were found, and the store's speed and size.
 *
 *   bex simulate --db FILE [--travellers N] [--days D] [--seed S] [--start YYYY-MM-DD] [--no-fsync]
 *
 * Its peer, measured in the same run: bare SQLite commits of one small row on the same disk
 * with the same journal and fsync settings, the bound for a store that commits each crossing.
 *
 * Faces are synthetic templates: one random unit vector in 128 dimensions per person, and
 * each capture (passport photo, entry, exit) that vector plus noise, renormalised, so that a
 * person's captures agree at cosine ~0.987 and two people's at ~0 +- 0.09: a better face model
 * than the bundled one, whose mated LFW scores often fall below the thresholds of galleries of
 * thousands (README, identification). The simulation measures the record system, not the model. The face model
 * is not run: the times are the record system's (1:1 and 1:N decisions, SQLite commits with
 * fsync, audit), which come on top of the photo's ~70 ms through the networks (README).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "bex/store.h"
#include "cli.h"

typedef enum plan { ON_TIME, LATE, NEVER, DS_STUDENT } plan;

typedef struct person {
    float base[BEX_TEMPLATE_DIM];
    char surname[16], given[16], number[10], number2[10], nat[4], birth[11], sex;
    char cls[4];
    plan plan;
    int entry_day, exit_day, stay_days; /* exit_day < 0: never */
    int port;                           /* 0 air, 1 sea, 2 land */
    int impostor_of;                    /* >= 0: presents this person's passport and photo */
    int second_identity;                /* 1: enters a second time under another passport */
    int64_t subject;
    int64_t subject2;                   /* the second identity's subject */
} person;

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t next_u64(rng *r) {
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return r->s;
}
static double next_unit(rng *r) { return (next_u64(r) >> 11) * (1.0 / 9007199254740992.0); }
static double next_gauss(rng *r) {
    double u = next_unit(r), v = next_unit(r);
    return sqrt(-2 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

static void normalise(float *v) {
    double n = 0;
    for (int i = 0; i < BEX_TEMPLATE_DIM; i++) n += (double)v[i] * v[i];
    n = sqrt(n);
    for (int i = 0; i < BEX_TEMPLATE_DIM; i++) v[i] = (float)(v[i] / n);
}

/* a capture of p: its vector plus noise of norm ~0.11: two captures agree at cosine ~0.987 */
static void capture_of(rng *r, const person *p, float *out) {
    for (int i = 0; i < BEX_TEMPLATE_DIM; i++) out[i] = p->base[i] + (float)(0.010 * next_gauss(r));
    normalise(out);
}

static void random_name(rng *r, char *out, size_t n) {
    static const char *const syl[] = {"KA", "LO", "MI", "NE", "RA", "SU", "TO", "VE", "BA", "DO", "FI", "GU",
                                      "HA", "JO", "PE", "RI", "SA", "TE", "NA", "LI", "MO", "DE", "AN", "EL"};
    int k = 2 + (int)(next_u64(r) % 3);
    out[0] = 0;
    for (int i = 0; i < k && strlen(out) + 3 < n; i++) strcat(out, syl[next_u64(r) % 24]);
}

static void random_number(rng *r, char *out) {
    static const char cs[] = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789";
    for (int i = 0; i < 9; i++) out[i] = cs[next_u64(r) % (sizeof cs - 1)];
    out[9] = 0;
}

static void day_str(bex_day d, char *out) { bex_day_format(d, out); }

typedef struct event {
    int day, second, person, kind; /* kind 0 entry, 1 exit, 2 second-identity entry */
} event;

static int event_cmp(const void *a, const void *b) {
    const event *x = a, *y = b;
    if (x->day != y->day) return x->day - y->day;
    return x->second - y->second;
}

/* The peer: bare SQLite transactions (one small row each, WAL, synchronous as the store uses)
 * in a scratch file beside the store: what one durable commit costs on this disk, the bound a
 * store that commits each crossing cannot beat. Commits per second, or -1. */
static double bare_commit_rate(const char *db, int sync, int n) {
    if (!strncmp(db, "postgresql://", 13) || !strncmp(db, "postgres://", 11))
        return -1; /* a PostgreSQL store: no file beside it (bench/bench_nodes.sh measures that peer) */
    char path[4096];
    snprintf(path, sizeof path, "%s.commit-bound", db);
    sqlite3 *h;
    double rate = -1;
    if (sqlite3_open(path, &h) == SQLITE_OK &&
        sqlite3_exec(h, "PRAGMA journal_mode = WAL; CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)", 0, 0, 0) ==
            SQLITE_OK &&
        sqlite3_exec(h, sync ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = OFF", 0, 0, 0) == SQLITE_OK) {
        double t0 = cli_now();
        int i = 0;
        for (; i < n; i++)
            if (sqlite3_exec(h, "BEGIN IMMEDIATE; INSERT INTO t(v) VALUES (zeroblob(1024)); COMMIT", 0, 0, 0) !=
                SQLITE_OK)
                break;
        double el = cli_now() - t0;
        if (i == n && el > 0) rate = n / el;
    }
    sqlite3_close(h);
    char side[4200];
    remove(path);
    snprintf(side, sizeof side, "%s-wal", path);
    remove(side);
    snprintf(side, sizeof side, "%s-shm", path);
    remove(side);
    return rate;
}

static const char *const port_code[3] = {"JFK", "MIA", "SYS"};
static const bex_port_kind port_kind[3] = {BEX_PORT_AIR, BEX_PORT_SEA, BEX_PORT_LAND_VEHICLE};

/* --enrol-only N: a gallery of N synthetic visa holders and nothing else (no crossings), for
 * benchmarks of search at scale: N transactions of one subject, document and template. */
static int enrol_gallery(const char *db, long n, unsigned long long seed, int no_fsync) {
    if (n < 1 || n > 100000000) return cli_usage_error("--enrol-only takes 1..100000000");
    struct stat sb;
    if (stat(db, &sb) == 0) {
        fprintf(stderr, "bex: simulate: %s exists; give a new file\n", db);
        return 2;
    }
    bex_store_options o;
    bex_store_options_default(&o);
    o.actor = "simulate";
    o.synchronous_off = no_fsync;
    bex_store *st;
    char err[512];
    if (bex_store_open(db, &o, &st, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "bex: simulate: %s\n", err);
        return 2;
    }
    rng r = {seed * 0x9E3779B97F4A7C15ull + 7};
    double t0 = cli_now();
    int rc = BEX_OK;
    for (long i = 0; i < n && rc == BEX_OK; i++) {
        person p;
        for (int k = 0; k < BEX_TEMPLATE_DIM; k++) p.base[k] = (float)next_gauss(&r);
        normalise(p.base);
        char number[24], mrz[90];
        snprintf(number, sizeof number, "V%08ld", i % 100000000);
        rc = bex_mrz_make_td3("P", "UTO", "HOLDER", "VISA", number, "UTO", "1980-01-01", 'X', "2035-01-01", mrz, err,
                              sizeof err);
        bex_mrz m;
        if (rc == BEX_OK) rc = bex_mrz_parse_at(mrz, "2026-01-01", &m, err, sizeof err);
        int64_t subj, doc;
        int added;
        if (rc == BEX_OK)
            rc = bex_border_enrol(st, &m, p.base, 60, "visa", "2026-01-01T00:00:00Z", &subj, &doc, &added, err,
                                 sizeof err);
        if (i % 10000 == 9999 || i + 1 == n) cli_progress("enrol", (size_t)i + 1, (size_t)n, t0);
    }
    double el = cli_now() - t0;
    bex_store_close(st);
    if (rc != BEX_OK) {
        fprintf(stderr, "bex: simulate: %s\n", err);
        return 2;
    }
    printf("{\"enrolled\":%ld,\"seconds\":%.1f,\"per_s\":%.0f,\"fsync\":%s}\n", n, el, n / (el > 0 ? el : 1e-9),
           no_fsync ? "false" : "true");
    return 0;
}

int cmd_simulate(int argc, char **argv) {
    const char *db = NULL, *start = "2026-06-01";
    long travellers = 2000, days = 30;
    unsigned long long seed = 1;
    int no_fsync = 0;
    long enrol_only = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--no-fsync")) {
            no_fsync = 1;
            continue;
        }
        if (!v) return cli_usage_error("simulate options take a value");
        if (!strcmp(a, "--db")) db = v;
        else if (!strcmp(a, "--travellers")) travellers = atol(v);
        else if (!strcmp(a, "--days")) days = atol(v);
        else if (!strcmp(a, "--seed")) seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--start")) start = v;
        else if (!strcmp(a, "--enrol-only")) enrol_only = atol(v);
        else return cli_usage_error("simulate takes --db FILE [--travellers N] [--days D] [--seed S] [--start D] "
                                    "[--no-fsync] [--enrol-only N]");
        i++;
    }
    if (!db) return cli_usage_error("simulate needs --db FILE (a new file: it is filled with synthetic travellers)");
    if (enrol_only) return enrol_gallery(db, enrol_only, seed, no_fsync);
    if (travellers < 10 || travellers > 10000000 || days < 2 || days > 3650)
        return cli_usage_error("simulate: --travellers 10..10000000, --days 2..3650");
    bex_day day0;
    if (bex_day_parse(start, &day0) != BEX_OK) return cli_usage_error("--start takes YYYY-MM-DD");
    struct stat sb;
    if (stat(db, &sb) == 0) {
        fprintf(stderr, "bex: simulate: %s exists; give a new file (it is filled with synthetic travellers)\n", db);
        return 2;
    }
    rng r = {seed * 0x9E3779B97F4A7C15ull + 1};
    person *P = calloc((size_t)travellers, sizeof *P);
    event *E = calloc((size_t)travellers * 2 + 16, sizeof *E);
    if (!P || !E) {
        fprintf(stderr, "bex: simulate: out of memory\n");
        free(P);
        free(E);
        return 2;
    }
    static const char *const nats[] = {"GBR", "DEU", "FRA", "IND", "CHN", "BRA", "MEX", "NGA", "JPN", "KOR",
                                       "COL", "PHL", "ITA", "ESP", "CAN", "AUS", "VNM", "TUR", "EGY", "PAK"};
    long planted_imp = 0, planted_dual = 0, children = 0, elderly = 0;
    size_t ne = 0;
    for (long i = 0; i < travellers; i++) {
        person *p = &P[i];
        for (int k = 0; k < BEX_TEMPLATE_DIM; k++) p->base[k] = (float)next_gauss(&r);
        normalise(p->base);
        random_name(&r, p->surname, sizeof p->surname);
        random_name(&r, p->given, sizeof p->given);
        random_number(&r, p->number);
        random_number(&r, p->number2);
        snprintf(p->nat, sizeof p->nat, "%s", nats[next_u64(&r) % 20]);
        p->sex = next_u64(&r) & 1 ? 'F' : 'M';
        int age = (int)(next_unit(&r) * 96); /* 0..95: children and the elderly included */
        children += age < 14;
        elderly += age > 79;
        day_str(day0 - age * 365 - (int)(next_u64(&r) % 365), p->birth);
        double u = next_unit(&r);
        snprintf(p->cls, sizeof p->cls, "%s", u < 0.55 ? "B2" : u < 0.80 ? "WT" : u < 0.90 ? "B1" : u < 0.95 ? "H1B" : "F1");
        /* WT: 90 days; B1/B2: admitted for the trip, 30 days to 6 months; H1B: 3 years */
        p->stay_days = !strcmp(p->cls, "WT") ? 90 : !strcmp(p->cls, "H1B") ? 1095 : 30 + (int)(next_u64(&r) % 151);
        p->entry_day = (int)(next_u64(&r) % (uint64_t)(days - 1));
        u = next_unit(&r);
        p->port = u < 0.7 ? 0 : u < 0.8 ? 1 : 2;
        p->impostor_of = -1;
        double v = next_unit(&r);
        int trip = 1 + (int)(next_u64(&r) % 21); /* most visits are short */
        if (!strcmp(p->cls, "F1")) p->plan = DS_STUDENT;
        else if (v < 0.03) p->plan = LATE;
        else if (v < 0.05) p->plan = NEVER;
        else p->plan = ON_TIME;
        if (p->plan == LATE) trip = p->stay_days + 1 + (int)(next_u64(&r) % 30);
        p->exit_day = p->plan == NEVER || p->plan == DS_STUDENT ? -1 : p->entry_day + trip;
        if (p->exit_day >= days) p->exit_day = -1; /* leaves after the simulated days */
        /* an impostor travels on an earlier traveller's genuine passport and photo */
        if (i > 10 && next_unit(&r) < 0.002) {
            p->impostor_of = (int)(next_u64(&r) % (uint64_t)i);
            planted_imp++;
        } else if (next_unit(&r) < 0.002 && p->exit_day >= 0 && p->exit_day + 2 < days) {
            p->second_identity = 1; /* comes back under another passport with other names */
            planted_dual++;
        }
        E[ne++] = (event){p->entry_day, (int)(next_u64(&r) % 86400), (int)i, 0};
        if (p->exit_day >= 0) E[ne++] = (event){p->exit_day, (int)(next_u64(&r) % 86400), (int)i, 1};
        if (p->second_identity) E[ne++] = (event){p->exit_day + 1, (int)(next_u64(&r) % 86400), (int)i, 2};
    }
    qsort(E, ne, sizeof *E, event_cmp);

    bex_store_options o;
    bex_store_options_default(&o);
    o.actor = "simulate";
    o.synchronous_off = no_fsync;
    double bound = bare_commit_rate(db, !no_fsync, 300);
    bex_store *st;
    char err[512];
    if (bex_store_open(db, &o, &st, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "bex: simulate: %s\n", err);
        free(P);
        free(E);
        return 2;
    }
    /* manifests: each day's air and sea departures, in flights of up to 300 */
    double t_manifest = 0, t_entry = 0, t_exit = 0;
    long n_entry = 0, n_exit = 0, exit_matched = 0, exit_manifest = 0, entry_flags = 0, manifests = 0;
    long found_imp = 0, found_dual = 0, referred = 0;
    int rc = BEX_OK;
    size_t k = 0;
    double t_start = cli_now();
    char (*dep_of)[32] = calloc((size_t)travellers, sizeof *dep_of);
    if (!dep_of) rc = BEX_ERR_NOMEM;
    for (int d = 0; d < days && rc == BEX_OK; d++) {
        bex_day today = day0 + d;
        char ds[11];
        day_str(today, ds);
        for (int pk = 0; pk < 2 && rc == BEX_OK; pk++) {
            bex_manifest m;
            memset(&m, 0, sizeof m);
            m.entries = calloc(300, sizeof *m.entries);
            if (!m.entries) {
                rc = BEX_ERR_NOMEM;
                break;
            }
            int flight = 0;
            for (size_t j = k; j <= ne && rc == BEX_OK; j++) {
                int flush = j == ne || E[j].day != d;
                if (!flush && E[j].kind == 1 && P[E[j].person].port == pk) {
                    person *p = &P[E[j].person];
                    const person *doc = p->impostor_of >= 0 ? &P[p->impostor_of] : p;
                    bex_manifest_entry *x = &m.entries[m.n++];
                    snprintf(x->issuing_state, sizeof x->issuing_state, "%s", doc->nat);
                    snprintf(x->number, sizeof x->number, "%s", doc->number);
                    snprintf(x->nationality, sizeof x->nationality, "%s", doc->nat);
                    snprintf(x->surname, sizeof x->surname, "%s", doc->surname);
                    snprintf(x->given_names, sizeof x->given_names, "%s", doc->given);
                    snprintf(x->birth_date, sizeof x->birth_date, "%s", doc->birth);
                    x->sex[0] = doc->sex;
                    snprintf(dep_of[E[j].person], sizeof dep_of[0], "%s%d-%s", pk ? "SAIL" : "BX", flight, ds);
                }
                if ((flush || m.n == 300) && m.n > 0) {
                    snprintf(m.id, sizeof m.id, "%s%d-%s", pk ? "SAIL" : "BX", flight, ds);
                    m.direction = BEX_DIRECTION_DEPARTURE;
                    snprintf(m.carrier, sizeof m.carrier, "%s", pk ? "SAIL" : "BX");
                    snprintf(m.voyage, sizeof m.voyage, "%s%d", pk ? "SAIL" : "BX", flight);
                    snprintf(m.port, sizeof m.port, "%s", port_code[pk]);
                    m.port_kind = port_kind[pk];
                    snprintf(m.scheduled, sizeof m.scheduled, "%sT23:00:00Z", ds);
                    bex_manifest_result mr;
                    double t0 = cli_now();
                    rc = bex_border_load_manifest(st, &m, NULL, NULL, &mr, err, sizeof err);
                    t_manifest += cli_now() - t0;
                    manifests++;
                    m.n = 0;
                    flight++;
                }
                if (flush) break;
            }
            free(m.entries);
        }
        /* the day's crossings in time order */
        for (; k < ne && E[k].day == d && rc == BEX_OK; k++) {
            const event *e = &E[k];
            person *p = &P[e->person];
            char at[32];
            snprintf(at, sizeof at, "%sT%02d:%02d:%02dZ", ds, e->second / 3600, e->second / 60 % 60, e->second % 60);
            float live[BEX_TEMPLATE_DIM], chip[BEX_TEMPLATE_DIM];
            capture_of(&r, p, live);
            if (e->kind == 1) {
                bex_exit_request rq = {.live = live, .live_quality = 60, .port = port_code[p->port],
                                       .port_kind = port_kind[p->port],
                                       .departure = p->port < 2 && dep_of[e->person][0] ? dep_of[e->person] : NULL,
                                       .at = at};
                bex_exit_result res;
                double t0 = cli_now();
                rc = bex_border_exit(st, &rq, &res, err, sizeof err);
                t_exit += cli_now() - t0;
                n_exit++;
                exit_matched += res.subject != 0 && res.subject == p->subject;
                exit_manifest += res.match.gallery == BEX_GALLERY_MANIFEST;
                continue;
            }
            const person *doc = p->impostor_of >= 0 ? &P[p->impostor_of] : p;
            char mrz[90], until[11];
            int second = e->kind == 2;
            char surname[16];
            snprintf(surname, sizeof surname, "%s", second ? "OTHERNAME" : doc->surname);
            if (bex_mrz_make_td3("P", doc->nat, surname, doc->given, second ? doc->number2 : doc->number, doc->nat,
                                 doc->birth, doc->sex, "2035-01-01", mrz, err, sizeof err) != BEX_OK) {
                rc = BEX_ERR_ARG;
                break;
            }
            bex_mrz m;
            if (bex_mrz_parse_at(mrz, ds, &m, err, sizeof err) != BEX_OK) {
                rc = BEX_ERR_ARG;
                break;
            }
            capture_of(&r, doc, chip); /* the passport's photo shows its holder */
            day_str(today + p->stay_days, until);
            bex_entry_request rq = {.doc = &m, .live = live, .live_quality = 60, .doc_photo = chip, .doc_quality = 70,
                                    .admission_class = p->cls, .admit_until = p->plan == DS_STUDENT ? NULL : until,
                                    .port = port_code[p->port], .port_kind = port_kind[p->port], .at = at};
            bex_entry_result res;
            double t0 = cli_now();
            rc = bex_border_entry(st, &rq, &res, err, sizeof err);
            t_entry += cli_now() - t0;
            n_entry++;
            if (!second) p->subject = res.subject;
            else p->subject2 = res.subject;
            entry_flags += res.n_flags > 0;
            for (int f = 0; f < res.n_flags; f++) {
                found_imp += p->impostor_of >= 0 && res.flags[f].kind == BEX_FLAG_IMPOSTOR_SUSPECTED;
                found_dual += second && res.flags[f].kind == BEX_FLAG_TWO_IDENTITIES;
            }
            /* the officer at secondary inspection: an impostor is refused, anyone else admitted */
            if (rc == BEX_OK && res.decision == BEX_DECISION_REFERRED) {
                int64_t adm;
                t0 = cli_now();
                rc = bex_border_decide_entry(st, res.encounter,
                                             p->impostor_of >= 0 ? BEX_DECISION_REFUSED : BEX_DECISION_ADMITTED, &adm,
                                             err, sizeof err);
                t_entry += cli_now() - t0;
                referred++;
            }
            if ((n_entry + n_exit) % 500 == 0) cli_progress("simulate", k, ne, t_start);
        }
    }
    free(dep_of);
    if (rc != BEX_OK) {
        fprintf(stderr, "bex: simulate: %s\n", err);
        bex_store_close(st);
        free(P);
        free(E);
        return 2;
    }
    cli_progress("simulate", ne, ne, t_start);
    /* the overstay report as of the last day */
    char asof[11];
    day_str(day0 + (int)days - 1, asof);
    bex_overstay_row *rows;
    size_t nrows;
    double t0 = cli_now();
    rc = bex_border_overstays(st, asof, BEX_POLICY_US, &rows, &nrows, err, sizeof err);
    double t_report = cli_now() - t0;
    /* the report against what was planted, by subject: an overstay the report names that was
     * not planted is a missed exit (an exit photo that matched nobody) */
    long in_country = 0, out_country = 0, found_late = 0, found_never = 0, false_over = 0;
    long expect_late = 0, expect_never = 0;
    long max_subject = 0;
    for (long i = 0; i < travellers; i++) {
        if (P[i].subject > max_subject) max_subject = (long)P[i].subject;
        if (P[i].subject2 > max_subject) max_subject = (long)P[i].subject2;
    }
    long *who = calloc((size_t)max_subject + 1, sizeof *who);
    for (long i = 0; who && i < travellers; i++) {
        const person *p = &P[i];
        if (p->subject > 0) who[p->subject] = i + 1;
        if (p->subject2 > 0) who[p->subject2] = -(i + 1); /* the second identity never leaves */
        bex_day until = day0 + p->entry_day + p->stay_days, last = day0 + (int)days - 1;
        expect_late += p->plan == LATE && p->exit_day >= 0;
        expect_never += (p->plan == NEVER || (p->plan == LATE && p->exit_day < 0)) && until < last;
        expect_never += p->subject2 > 0 && day0 + p->exit_day + 1 + p->stay_days < last;
    }
    if (rc == BEX_OK) {
        for (size_t i = 0; i < nrows; i++) {
            int in = rows[i].verdict.status == BEX_STAY_OVERSTAY_IN_COUNTRY;
            int out = rows[i].verdict.status == BEX_STAY_OVERSTAY_OUT_OF_COUNTRY;
            in_country += in;
            out_country += out;
            if (!in && !out) continue;
            long w = who && rows[i].subject <= max_subject ? who[rows[i].subject] : 0;
            const person *p = w ? &P[labs(w) - 1] : NULL;
            if (w < 0 && in) found_never++;
            else if (w < 0) false_over++;
            else if (p && out && p->plan == LATE) found_late++;
            else if (p && in && (p->plan == NEVER || (p->plan == LATE && p->exit_day < 0))) found_never++;
            else false_over++;
        }
        free(rows);
    }
    free(who);
    bex_store_close(st);
    struct stat fs;
    long long bytes = stat(db, &fs) == 0 ? (long long)fs.st_size : -1;
    char wal[1024];
    snprintf(wal, sizeof wal, "%s-wal", db);
    if (stat(wal, &fs) == 0) bytes += fs.st_size;
    long enc = n_entry + n_exit;
    printf("{\"travellers\":%ld,\"days\":%ld,\"seed\":%llu,\"faces\":\"synthetic\",\"children_under_14\":%ld,"
           "\"elderly_over_79\":%ld,\"encounters\":%ld,\"entries\":%ld,\"exits\":%ld,\"manifests\":%ld,"
           "\"fsync\":%s,\"entries_per_s\":%.1f,\"exits_per_s\":%.1f,\"bare_commits_per_s\":%.1f,"
           "\"crossings_per_s\":%.1f,\"crossing_cost_in_bare_commits\":%.2f,\"manifest_load_s\":%.2f,"
           "\"exits_matched_right\":%ld,\"exits_matched_in_manifest_gallery\":%ld,\"entries_with_flags\":%ld,"
           "\"entries_referred\":%ld,"
           "\"planted\":{\"left_late\":%ld,\"never_left\":%ld,\"impostors\":%ld,\"two_identities\":%ld},"
           "\"found\":{\"left_late\":%ld,\"never_left\":%ld,\"impostors\":%ld,\"two_identities\":%ld,"
           "\"overstays_not_planted\":%ld},"
           "\"overstay_report\":{\"as_of\":\"%s\",\"admissions\":%zu,\"in_country\":%ld,\"out_of_country\":%ld,"
           "\"seconds\":%.3f},\"db_bytes\":%lld,\"db_bytes_per_million_encounters\":%.0f}\n",
           travellers, days, seed, children, elderly, enc, n_entry, n_exit, manifests, no_fsync ? "false" : "true",
           n_entry / (t_entry > 0 ? t_entry : 1e-9), n_exit / (t_exit > 0 ? t_exit : 1e-9), bound,
           enc / (t_entry + t_exit > 0 ? t_entry + t_exit : 1e-9),
           bound > 0 ? bound * (t_entry + t_exit) / (enc ? enc : 1) : 0.0, t_manifest,
           exit_matched, exit_manifest, entry_flags, referred, expect_late, expect_never, planted_imp, planted_dual, found_late,
           found_never, found_imp, found_dual, false_over, asof, nrows, in_country, out_country, t_report, bytes,
           enc ? bytes * 1e6 / enc : 0.0);
    free(P);
    free(E);
    return rc == BEX_OK ? 0 : 2;
}
