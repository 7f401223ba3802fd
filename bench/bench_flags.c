/*
 * bench_flags.c - the flag queue (bex_border_flags, GET /v1/flags) at N flags: the first page
 * and a deep page, keyset (?before=) against OFFSET, with and without filters (status, kind,
 * port, a month), with migration 011's indexes and without them.
 *
 *   build/bench/bench_flags                   N = 100,000, 7 repetitions
 *   build/bench/bench_flags --n 20000 --reps 3
 *
 * Data: N exits nobody matched, one flag each, written straight into a new store: ports JFK,
 * LAX, MIA, ORD in turn, kinds not_matched, impostor_suspected, no_photo, two_identities in
 * turn, one in ten open (the others cleared), created every 5 minutes from 2025-01-01. A page
 * is 100 flags; the deep page starts 90% of the way down the filter's flags. Each figure is
 * the whole call (the count of matching flags, the page, the audit row and its commit, with the
 * store's fsync) in ms: min / median over the repetitions. Nothing is asserted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bex/border.h"
#include "bex/store.h"
#include "bex/timestamp.h"
#include "store/store_impl.h"

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int fill(bex_store *st, long n) {
    static const char *const ports[] = {"JFK", "LAX", "MIA", "ORD"};
    static const char *const kinds[] = {"not_matched", "impostor_suspected", "no_photo", "two_identities"};
    sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL);
    sqlite3_stmt *se, *sf;
    sqlite3_prepare_v2(st->db, "INSERT INTO encounters(id, direction, port, port_kind, at, outcome) "
                               "VALUES (?1, 'exit', ?2, 'air', ?3, 'not_matched')", -1, &se, NULL);
    sqlite3_prepare_v2(st->db, "INSERT INTO flags(id, kind, encounter_id, detail, created_at, status) "
                               "VALUES (?1, ?2, ?1, 'bench', ?3, ?4)", -1, &sf, NULL);
    int64_t t0 = 0;
    bex_time_parse("2025-01-01T00:00:00Z", &t0);
    for (long i = 0; i < n; i++) {
        char at[24];
        bex_time_format(t0 + i * 300, at);
        sqlite3_bind_int64(se, 1, i + 1);
        sqlite3_bind_text(se, 2, ports[i % 4], -1, SQLITE_STATIC);
        sqlite3_bind_text(se, 3, at, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(sf, 1, i + 1);
        sqlite3_bind_text(sf, 2, kinds[(i / 4) % 4], -1, SQLITE_STATIC);
        sqlite3_bind_text(sf, 3, at, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(sf, 4, i % 10 == 0 ? "open" : "cleared", -1, SQLITE_STATIC);
        if (sqlite3_step(se) != SQLITE_DONE || sqlite3_step(sf) != SQLITE_DONE) {
            fprintf(stderr, "insert: %s\n", sqlite3_errmsg(st->db));
            return -1;
        }
        sqlite3_reset(se);
        sqlite3_reset(sf);
    }
    sqlite3_finalize(se);
    sqlite3_finalize(sf);
    sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
    sqlite3_exec(st->db, "ANALYZE", NULL, NULL, NULL);
    return 0;
}

/* One call, reps times: min and median ms; *got the page's size, *first its first id. */
static void run(bex_store *st, const bex_flag_query *q, int reps, double *mn, double *med, size_t *got,
                size_t *total) {
    double t[64];
    for (int r = 0; r < reps; r++) {
        bex_flag *f;
        size_t n, tot;
        char err[256];
        double a = now_ms();
        if (bex_border_flags(st, q, &f, &n, &tot, err, sizeof err) != BEX_OK) {
            fprintf(stderr, "flags: %s\n", err);
            exit(2);
        }
        t[r] = now_ms() - a;
        free(f);
        *got = n;
        *total = tot;
    }
    qsort(t, (size_t)reps, sizeof *t, cmpd);
    *mn = t[0];
    *med = t[reps / 2];
}

/* The id 90% of the way down the flags a query matches, newest first (for ?before=). */
static int64_t deep_id(bex_store *st, const bex_flag_query *q) {
    bex_flag_query all = *q;
    all.limit = 0;
    bex_flag *f;
    size_t n, tot;
    char err[256];
    if (bex_border_flags(st, &all, &f, &n, &tot, err, sizeof err) != BEX_OK || n == 0) return 0;
    int64_t id = f[(n * 9) / 10].id;
    free(f);
    return id;
}

int main(int argc, char **argv) {
    long n = 100000;
    int reps = 7;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--n")) n = (long)atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--reps")) reps = atoi(argv[i + 1]);
    }
    if (n < 100 || reps < 1 || reps > 64) {
        fprintf(stderr, "bench_flags [--n N (>= 100)] [--reps R (1..64)]\n");
        return 2;
    }
    char path[] = "/tmp/bench_flags_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return 2;
    close(fd);
    unlink(path);
    bex_store_options o;
    bex_store_options_default(&o);
    o.actor = "bench";
    bex_store *st;
    char err[512];
    if (bex_store_open(path, &o, &st, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "open: %s\n", err);
        return 2;
    }
    double a = now_ms();
    if (fill(st, n) != 0) return 2;
    printf("bench_flags: %ld flags written in %.0f ms; pages of 100; ms min / median of %d\n", n, now_ms() - a, reps);
    struct {
        const char *name;
        bex_flag_query q;
    } qs[] = {
        {"no filter", {0}},
        {"status=open", {.status = BEX_FLAG_OPEN}},
        {"kind=not_matched", {.kind = BEX_FLAG_NOT_MATCHED}},
        {"port=JFK", {.port = "JFK"}},
        {"a month (since, until)", {.since = "2025-06-01T00:00:00Z", .until = "2025-07-01T00:00:00Z"}},
        {"status=open&kind=not_matched", {.status = BEX_FLAG_OPEN, .kind = BEX_FLAG_NOT_MATCHED}},
    };
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) { /* without migration 011's indexes */
            sqlite3_exec(st->db, "DROP INDEX flags_by_kind; DROP INDEX flags_by_status_kind; DROP INDEX flags_by_created; ANALYZE", NULL, NULL, NULL);
            printf("\nwithout migration 011's indexes (flags_by_kind, flags_by_status_kind, flags_by_created):\n");
        } else {
            printf("\nwith migration 011's indexes:\n");
        }
        printf("%-30s %8s  %16s  %16s  %16s\n", "filter", "matching", "first page", "deep, before=", "deep, OFFSET");
        for (size_t k = 0; k < sizeof qs / sizeof *qs; k++) {
            bex_flag_query q = qs[k].q;
            q.limit = 100;
            double mn1, md1, mn2, md2, mn3, md3;
            size_t got, total;
            run(st, &q, reps, &mn1, &md1, &got, &total);
            bex_flag_query d = q;
            d.before = deep_id(st, &q);
            run(st, &d, reps, &mn2, &md2, &got, &total);
            bex_flag_query off = q;
            off.offset = (total * 9) / 10;
            run(st, &off, reps, &mn3, &md3, &got, &total);
            printf("%-30s %8zu  %7.2f / %6.2f  %7.2f / %6.2f  %7.2f / %6.2f\n", qs[k].name, total, mn1, md1, mn2, md2,
                   mn3, md3);
        }
    }
    bex_store_close(st);
    static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
    for (int i = 0; i < 4; i++) {
        char p[64];
        snprintf(p, sizeof p, "%s%s", path, sfx[i]);
        unlink(p);
    }
    return 0;
}
