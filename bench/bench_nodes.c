/*
 * bench_nodes.c - one service node's crossings against a store (SQLite file or PostgreSQL URI),
 * for bench/bench_nodes.sh: the record system's work with synthetic templates, as `bex
 * simulate` (no face model: it costs ~70 ms a photo on its own and would hide the store).
 *
 *   bench_nodes cross --db DB --travellers N [--node K --nodes M] [--slice R --slices S]
 *                     [--seconds T] [--barrier DIR] [--lat FILE] [--seed S]
 *       Arrivals and departures of travellers enrolled by `bex simulate --enrol-only N --seed S`
 *       (their faces are made again from the same seed): entries (the 1:N scan done ahead,
 *       bex_store_prescan, as bex serve does) and, 20 behind, the same travellers' exits, for T
 *       seconds after a warm-up (the index built). Node K of M takes travellers i with
 *       i % M == K (and (i / M) % S == R: each run its own travellers). With --barrier, waits
 *       for DIR/go after writing DIR/ready.K, so that the nodes start together. Each crossing's
 *       time (ms, one a line) into FILE; one JSON line out.
 *   bench_nodes admissions --db FILE
 *       Every enrolled subject (an SQLite store from --enrol-only) given an entry encounter and
 *       an admission as bex_border_entry writes them, 85 % of them an exit that closes it (some
 *       late), written by SQL in one transaction: a store of N admissions for the overstay
 *       report in seconds, where N entries through the rules (a 1:N scan each) take hours.
 *   bench_nodes overstays --db DB --as-of D [--repeat R]
 *       bex_border_overstays timed R times (default 3); one JSON line.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bex/border.h"
#include "bex/mrz.h"
#include "bex/overstay.h"
#include "bex/store.h"
#include "store/store_impl.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- the faces of `bex simulate --enrol-only` (cli/simulate.c), made again ---- */

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
static void capture_of(rng *r, const float *base, float *out) {
    for (int i = 0; i < BEX_TEMPLATE_DIM; i++) out[i] = base[i] + (float)(0.010 * next_gauss(r));
    normalise(out);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(const double *sorted, size_t n, double p) {
    if (!n) return 0;
    size_t i = (size_t)ceil(p * (double)n) - 1;
    if (i >= n) i = n - 1;
    return sorted[i];
}

/* an ISO 8601 time t seconds after 2026-07-01T00:00:00Z, and that day + days as YYYY-MM-DD */
static void iso_at(long t, char out[24]) {
    time_t base = 1782864000; /* 2026-07-01T00:00:00Z */
    time_t x = base + t;
    struct tm tm;
    gmtime_r(&x, &tm);
    strftime(out, 24, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
static void day_after(long t, int days, char out[11]) {
    time_t x = 1782864000 + t + (time_t)days * 86400;
    struct tm tm;
    gmtime_r(&x, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

static const char *opt(int argc, char **argv, const char *name, const char *dflt) {
    for (int i = 0; i + 1 < argc; i++)
        if (!strcmp(argv[i], name)) return argv[i + 1];
    return dflt;
}

static int open_store(const char *db, const char *actor, bex_store **st) {
    bex_store_options o;
    bex_store_options_default(&o);
    o.actor = actor;
    o.must_exist = 1;
    char err[512];
    if (bex_store_open(db, &o, st, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "bench_nodes: the store: %s\n", err);
        return 0;
    }
    return 1;
}

/* ---- cross ---- */

typedef struct traveller {
    long i;
    float base[BEX_TEMPLATE_DIM];
} traveller;

static int cross(int argc, char **argv) {
    const char *db = opt(argc, argv, "--db", NULL), *barrier = opt(argc, argv, "--barrier", NULL);
    const char *latf = opt(argc, argv, "--lat", NULL);
    long n = atol(opt(argc, argv, "--travellers", "0"));
    int node = atoi(opt(argc, argv, "--node", "0")), nodes = atoi(opt(argc, argv, "--nodes", "1"));
    int slice = atoi(opt(argc, argv, "--slice", "0")), slices = atoi(opt(argc, argv, "--slices", "1"));
    double seconds = atof(opt(argc, argv, "--seconds", "10"));
    unsigned long long seed = strtoull(opt(argc, argv, "--seed", "1"), NULL, 10);
    if (!db || n < 1 || nodes < 1 || node < 0 || node >= nodes || slices < 1 || slice < 0 || slice >= slices ||
        seconds <= 0) {
        fprintf(stderr, "bench_nodes cross --db DB --travellers N [--node K --nodes M] [--slice R --slices S] "
                        "[--seconds T] [--barrier DIR] [--lat FILE]\n");
        return 2;
    }
    /* this node's travellers: at most CAP, spread over the whole population */
    const long CAP = 20000;
    long mine = n / ((long)nodes * slices);
    long stride = mine > CAP ? mine / CAP : 1;
    long room = (mine < CAP ? mine : CAP) + 1;
    traveller *T = calloc((size_t)room, sizeof *T);
    long nt = 0;
    rng r = {seed * 0x9E3779B97F4A7C15ull + 7};
    float base[BEX_TEMPLATE_DIM];
    for (long i = 0; i < n && T; i++) {
        for (int k = 0; k < BEX_TEMPLATE_DIM; k++) base[k] = (float)next_gauss(&r);
        normalise(base);
        long q = i / nodes;
        if (i % nodes != node || q % slices != slice || (q / slices) % stride || nt >= room) continue;
        T[nt].i = i;
        memcpy(T[nt].base, base, sizeof base);
        nt++;
    }
    if (nt < 25) {
        fprintf(stderr, "bench_nodes: too few travellers for this node (%ld)\n", nt);
        free(T);
        return 2;
    }
    char actor[32];
    snprintf(actor, sizeof actor, "bench:node%d", node);
    bex_store *st;
    if (!open_store(db, actor, &st)) {
        free(T);
        return 2;
    }
    size_t cap = 1 << 16, nl = 0;
    double *lat = malloc(cap * sizeof *lat);
    rng noise = {(seed + 1000003ull * (uint64_t)(node + 1) + 7919ull * (uint64_t)slice) * 0x9E3779B97F4A7C15ull + 3};
    long e = 0, x = 0, t = 0, entries = 0, exits = 0, matched = 0, admitted = 0, errors = 0;
    const long LAG = 20;
    char err[512];
    double t0 = 0, t_warm = now_s(), deadline = 0;
    int timed = 0;
    /* clock: node K's crossing c is at second c * nodes + K after 2026-07-01 (slices apart by a year) */
    long clock0 = (long)slice * 366 * 86400;
    for (long c = 0;; c++) {
        if (!timed && c == 5) { /* warmed up (the index built): wait for the others, then go */
            if (barrier) {
                char path[4096];
                snprintf(path, sizeof path, "%s/ready.%d", barrier, node);
                FILE *f = fopen(path, "w");
                if (f) fclose(f);
                snprintf(path, sizeof path, "%s/go", barrier);
                struct stat sb;
                while (stat(path, &sb) != 0) usleep(2000);
            }
            t_warm = now_s() - t_warm;
            timed = 1;
            t0 = now_s();
            deadline = t0 + seconds;
        }
        if (timed && now_s() >= deadline) break;
        int do_exit = e - x > LAG;
        char at[24];
        iso_at(clock0 + (c * nodes + node) * 3, at);
        float live[BEX_TEMPLATE_DIM], chip[BEX_TEMPLATE_DIM];
        int rc;
        double c0;
        if (do_exit) {
            const traveller *p = &T[x % nt];
            capture_of(&noise, p->base, live);
            bex_exit_request rq = {.live = live, .live_quality = 60, .port = "JFK", .port_kind = BEX_PORT_AIR, .at = at};
            bex_exit_result res;
            c0 = now_s();
            rc = bex_border_exit(st, &rq, &res, err, sizeof err);
            double el = now_s() - c0;
            if (timed) {
                exits++;
                matched += rc == BEX_OK && res.subject != 0;
                if (nl == cap && (lat = realloc(lat, (cap *= 2) * sizeof *lat)) == NULL) return 2;
                lat[nl++] = el * 1e3;
            }
            x++;
        } else {
            const traveller *p = &T[e % nt];
            char number[24], mrz[90], day[11], until[11];
            snprintf(number, sizeof number, "V%08ld", p->i % 100000000);
            memcpy(day, at, 10);
            day[10] = 0;
            day_after(clock0 + (c * nodes + node) * 3, 30, until);
            bex_mrz m;
            rc = bex_mrz_make_td3("P", "UTO", "HOLDER", "VISA", number, "UTO", "1980-01-01", 'X', "2035-01-01", mrz,
                                  err, sizeof err);
            if (rc == BEX_OK) rc = bex_mrz_parse_at(mrz, day, &m, err, sizeof err);
            capture_of(&noise, p->base, live);
            capture_of(&noise, p->base, chip);
            bex_entry_request rq = {.doc = &m, .live = live, .live_quality = 60, .doc_photo_given = 1, .doc_photo = chip,
                                    .doc_quality = 70, .admission_class = "B2", .admit_until = until, .port = "JFK",
                                    .port_kind = BEX_PORT_AIR, .at = at};
            bex_entry_result res;
            c0 = now_s();
            bex_store_scan *pre = NULL;
            if (rc == BEX_OK && bex_store_prescan(st, live, BEX_TEMPLATE_DIM, &pre, err, sizeof err) == BEX_OK)
                rq.live_scan = pre;
            if (rc == BEX_OK) rc = bex_border_entry(st, &rq, &res, err, sizeof err);
            double el = now_s() - c0;
            bex_store_scan_free(pre);
            if (timed) {
                entries++;
                admitted += rc == BEX_OK && res.decision == BEX_DECISION_ADMITTED;
                if (nl == cap && (lat = realloc(lat, (cap *= 2) * sizeof *lat)) == NULL) return 2;
                lat[nl++] = el * 1e3;
            }
            e++;
        }
        if (rc != BEX_OK) {
            errors++;
            if (errors <= 3) fprintf(stderr, "bench_nodes: node %d: %s\n", node, err);
            if (errors > 100) break;
        }
        t++;
    }
    double el = now_s() - t0;
    bex_store_close(st);
    if (latf) {
        FILE *f = fopen(latf, "w");
        for (size_t i = 0; f && i < nl; i++) fprintf(f, "%.4f\n", lat[i]);
        if (f) fclose(f);
    }
    qsort(lat, nl, sizeof *lat, cmp_double);
    printf("{\"node\":%d,\"nodes\":%d,\"backend\":\"%s\",\"travellers\":%ld,\"crossings\":%zu,\"entries\":%ld,"
           "\"exits\":%ld,\"admitted\":%ld,\"exits_matched\":%ld,\"errors\":%ld,\"seconds\":%.3f,\"per_s\":%.1f,"
           "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"warmup_s\":%.2f}\n",
           node, nodes, strncmp(db, "postgres", 8) ? "sqlite" : "postgresql", n, nl, entries, exits, admitted, matched,
           errors, el, nl / (el > 0 ? el : 1e-9), pct(lat, nl, 0.50), pct(lat, nl, 0.99), t_warm);
    free(lat);
    free(T);
    return errors ? 1 : 0;
}

/* ---- admissions ---- */

static int admissions(int argc, char **argv) {
    const char *db = opt(argc, argv, "--db", NULL);
    if (!db || !strncmp(db, "postgres", 8)) {
        fprintf(stderr, "bench_nodes admissions --db FILE (an SQLite store from bex simulate --enrol-only)\n");
        return 2;
    }
    bex_store *st;
    if (!open_store(db, "bench:admissions", &st)) return 2;
    char err[512];
    double t0 = now_s();
    int rc = st_begin(st, err, sizeof err);
    int64_t before = 0, n = 0;
    if (rc == BEX_OK)
        rc = st_query_int(st, "SELECT coalesce(max(id), 0) FROM encounters", NULL, 0, 0, &before, err, sizeof err);
    /* entries over 300 days from 2025-09-01, admitted 30 to 180 days; exits for 85 %, some of them
     * late (up to 200 days after the entry) */
    static const char *const sql[] = {
        "INSERT INTO encounters(subject_id, document_id, direction, port, port_kind, at, outcome, gallery, "
        "gallery_size, score, threshold, decision, class, admit_until, citizen, operating_point, chip_check) "
        "SELECT s.id, d.id, 'entry', CASE s.id % 3 WHEN 0 THEN 'JFK' WHEN 1 THEN 'MIA' ELSE 'SYS' END, "
        "CASE s.id % 3 WHEN 2 THEN 'land' ELSE 'air' END, "
        "strftime('%Y-%m-%dT%H:%M:%SZ', '2025-09-01', '+' || (s.id % 300) || ' days', '+' || (s.id % 86400) || "
        "' seconds'), 'matched', 'document', 1, 0.98, 0.93, 'admitted', CASE s.id % 4 WHEN 0 THEN 'WT' ELSE 'B2' "
        "END, date('2025-09-01', '+' || (s.id % 300 + 30 + s.id % 151) || ' days'), 0, 'FMR 0.001', 'no_chip' "
        "FROM subjects s JOIN documents d ON d.subject_id = s.id WHERE s.citizen = 0 ORDER BY s.id",
        "INSERT INTO admissions(subject_id, entry_encounter_id, class, admit_until) "
        "SELECT subject_id, id, class, admit_until FROM encounters WHERE id > ?1 AND direction = 'entry' ORDER BY id",
        "INSERT INTO encounters(subject_id, document_id, direction, port, port_kind, at, outcome, gallery, "
        "gallery_size, score, threshold, citizen) "
        "SELECT subject_id, document_id, 'exit', port, port_kind, strftime('%Y-%m-%dT%H:%M:%SZ', at, '+' || "
        "(1 + subject_id % 200) || ' days'), 'matched', 'all', 1000000, 0.97, 0.93, 0 FROM encounters "
        "WHERE id > ?1 AND direction = 'entry' AND subject_id % 100 < 85 ORDER BY id",
        "UPDATE admissions SET exit_encounter_id = (SELECT x.id FROM encounters x WHERE x.subject_id = "
        "admissions.subject_id AND x.direction = 'exit' AND x.id > ?1) WHERE entry_encounter_id > ?1 AND "
        "subject_id % 100 < 85",
    };
    for (size_t i = 0; i < sizeof sql / sizeof *sql && rc == BEX_OK; i++) {
        db_stmt *s = st_prep(st, sql[i], err, sizeof err);
        if (!s) {
            rc = BEX_ERR_IO;
            break;
        }
        if (db_bind_parameter_count(s) >= 1) db_bind_int64(s, 1, before);
        rc = st_step_done(st, s, "writing the admissions", err, sizeof err);
        if (i == 1) n = db_changes(st->db);
    }
    char detail[96];
    snprintf(detail, sizeof detail, "bench_nodes: %lld admissions written in bulk", (long long)n);
    if (rc == BEX_OK) rc = st_audit(st, "bench_admissions", "store", detail, err, sizeof err);
    rc = bex__end(st, rc, NULL, err, sizeof err);
    bex_store_close(st);
    if (rc != BEX_OK) {
        fprintf(stderr, "bench_nodes: admissions: %s\n", err);
        return 2;
    }
    printf("{\"admissions\":%lld,\"seconds\":%.1f}\n", (long long)n, now_s() - t0);
    return 0;
}

/* ---- overstays ---- */

static int overstays(int argc, char **argv) {
    const char *db = opt(argc, argv, "--db", NULL), *asof = opt(argc, argv, "--as-of", "2026-06-30");
    int repeat = atoi(opt(argc, argv, "--repeat", "3"));
    if (!db || repeat < 1) {
        fprintf(stderr, "bench_nodes overstays --db DB [--as-of D] [--repeat R]\n");
        return 2;
    }
    bex_store *st;
    if (!open_store(db, "bench:overstays", &st)) return 2;
    double best = 1e30, first = 0, sum = 0;
    size_t rows = 0;
    long in = 0, out = 0;
    char err[512];
    for (int k = 0; k < repeat; k++) {
        bex_overstay_row *r;
        size_t n;
        double t0 = now_s();
        int rc = bex_border_overstays(st, asof, BEX_POLICY_US, &r, &n, err, sizeof err);
        double el = now_s() - t0;
        if (rc != BEX_OK) {
            fprintf(stderr, "bench_nodes: overstays: %s\n", err);
            bex_store_close(st);
            return 2;
        }
        if (!k) first = el;
        sum += el;
        if (el < best) best = el;
        rows = n;
        in = out = 0;
        for (size_t i = 0; i < n; i++) {
            in += r[i].verdict.status == BEX_STAY_OVERSTAY_IN_COUNTRY;
            out += r[i].verdict.status == BEX_STAY_OVERSTAY_OUT_OF_COUNTRY;
        }
        free(r);
    }
    bex_store_close(st);
    printf("{\"backend\":\"%s\",\"as_of\":\"%s\",\"admissions\":%zu,\"in_country\":%ld,\"out_of_country\":%ld,"
           "\"first_s\":%.3f,\"best_s\":%.3f,\"mean_s\":%.3f,\"repeat\":%d}\n",
           strncmp(db, "postgres", 8) ? "sqlite" : "postgresql", asof, rows, in, out, first, best, sum / repeat,
           repeat);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "cross")) return cross(argc - 2, argv + 2);
    if (argc >= 2 && !strcmp(argv[1], "admissions")) return admissions(argc - 2, argv + 2);
    if (argc >= 2 && !strcmp(argv[1], "overstays")) return overstays(argc - 2, argv + 2);
    fprintf(stderr, "usage: bench_nodes cross|admissions|overstays ... (bench/bench_nodes.c says what each does)\n");
    return 2;
}
