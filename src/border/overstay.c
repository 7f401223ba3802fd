/*
 * overstay.c - the border layer's overstay rules (include/bex/overstay.h), pure: calendar day
 * arithmetic, the US admit-until rule, the EU 90/180 rule, which classes of admission are short
 * stays, and the DHS tables of an overstay report. No database and no I/O: the store
 * (src/store/report.c) reads the admissions and calls these; the program prints the tables.
 *
 * Days <-> civil dates use the era arithmetic of H. Hinnant's "chrono-compatible low-level
 * date algorithms" (400-year eras of 146097 days, years starting on 1 March).
 *
 * The EU rule works over a window of days [lo, hi], lo = earliest short entry - 180: a
 * difference array marks the present days (overlaps once), a prefix sum P of them gives the
 * count of any 180-day window in O(1), and a prefix sum O of the days over gives each stay's
 * days over in O(1). last_day tries at most 90 days per stay. Long stays take no part.
 *
 * The tables sort (key, row) pairs once per dimension and count each run of equal keys.
 */
#include "bex/overstay.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#define EU_LIMIT 90   /* days allowed ... */
#define EU_WINDOW 180 /* ... in any window of this many days */

static int64_t days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                     /* [0, 399] */
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;    /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;             /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int y, int m) {
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* n decimal digits at s, or -1 */
static int digits(const char *s, int n) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int bex_day_parse(const char *s, bex_day *out) {
    if (!s || !out) return BEX_ERR_ARG;
    /* digits() stops at the first non-digit, so it never reads past a short string's NUL */
    int y = digits(s, 4);
    if (y < 0 || s[4] != '-') return BEX_ERR_FORMAT;
    int m = digits(s + 5, 2);
    if (m < 0 || s[7] != '-') return BEX_ERR_FORMAT;
    int d = digits(s + 8, 2);
    if (d < 0 || (s[10] != '\0' && s[10] != 'T')) return BEX_ERR_FORMAT;
    if (y < 1800 || y > 9999 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return BEX_ERR_FORMAT;
    *out = (bex_day)days_from_civil(y, m, d);
    return BEX_OK;
}

static void put_digits(char *p, int v, int n) {
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

void bex_day_format(bex_day d, char out[11]) {
    int y = 0, m = 0, dd = 0;
    if (d >= BEX_DAY_MIN && d <= BEX_DAY_MAX) civil_from_days(d, &y, &m, &dd);
    put_digits(out, y, 4);
    out[4] = '-';
    put_digits(out + 5, m, 2);
    out[7] = '-';
    put_digits(out + 8, dd, 2);
    out[10] = '\0';
}

const char *bex_stay_status_name(bex_stay_status s) {
    switch (s) {
    case BEX_STAY_PRESENT: return "present";
    case BEX_STAY_LEFT_ON_TIME: return "left_on_time";
    case BEX_STAY_OVERSTAY_IN_COUNTRY: return "in_country";
    case BEX_STAY_OVERSTAY_OUT_OF_COUNTRY: return "out_of_country";
    case BEX_STAY_DS: return "ds";
    case BEX_STAY_NOT_YET: return "not_yet";
    case BEX_STAY_NO_EXIT_RECORDED: return "no_exit_recorded";
    case BEX_STAY_LONG_STAY: return "long_stay";
    }
    return "unknown";
}

static int day_ok(bex_day d) { return d >= BEX_DAY_MIN && d <= BEX_DAY_MAX; }

/* entry a real day, exit none or a real day not before it, and no exit when none was recorded */
static int stay_days_ok(const bex_stay *s) {
    if (!day_ok(s->entry)) return 0;
    if (s->no_exit_recorded) return s->exit == BEX_DAY_NONE;
    return s->exit == BEX_DAY_NONE || (day_ok(s->exit) && s->exit >= s->entry);
}

int bex_overstay_us(const bex_stay *s, bex_day as_of, bex_stay_verdict *v) {
    if (!s || !v || !day_ok(as_of) || !stay_days_ok(s)) return BEX_ERR_ARG;
    if (s->admit_until != BEX_DAY_NONE && !day_ok(s->admit_until)) return BEX_ERR_ARG;

    bex_stay_verdict r = {BEX_STAY_PRESENT, 0, 0, s->admit_until, -1};
    int left = s->exit != BEX_DAY_NONE && s->exit <= as_of; /* a later exit is not known yet */
    if (s->entry > as_of) {
        r.status = BEX_STAY_NOT_YET;
    } else if (s->no_exit_recorded) {
        /* gone, date unknown: no overstay can be shown, but a departure was due as for any stay */
        r.status = BEX_STAY_NO_EXIT_RECORDED;
        r.expected_departure = s->admit_until != BEX_DAY_NONE && s->admit_until <= as_of;
    } else if (s->admit_until == BEX_DAY_NONE) {
        r.status = left ? BEX_STAY_LEFT_ON_TIME : BEX_STAY_DS;
    } else {
        r.expected_departure = s->admit_until <= as_of;
        if (left && s->exit > s->admit_until) {
            r.status = BEX_STAY_OVERSTAY_OUT_OF_COUNTRY;
            r.days_over = s->exit - s->admit_until;
        } else if (left) {
            r.status = BEX_STAY_LEFT_ON_TIME;
        } else if (s->admit_until < as_of) {
            r.status = BEX_STAY_OVERSTAY_IN_COUNTRY;
            r.days_over = as_of - s->admit_until;
        }
    }
    *v = r;
    return BEX_OK;
}

/* the last day a (short, entered) stay is present: its exit, or as_of when it has none by then;
 * the entry day alone when it left unrecorded */
static bex_day present_end(const bex_stay *s, bex_day as_of) {
    if (s->no_exit_recorded) return s->entry;
    return s->exit != BEX_DAY_NONE && s->exit <= as_of ? s->exit : as_of;
}

int bex_overstay_eu(const bex_stay *stays, size_t n, bex_day as_of, bex_stay_verdict *v) {
    if (!day_ok(as_of)) return BEX_ERR_ARG;
    if (n == 0) return BEX_OK;
    if (!stays || !v) return BEX_ERR_ARG;

    /* the days that matter: from 180 days before the earliest short entry (the windows of its
     * days) to the last present day or the last day a last_day search looks at */
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    size_t n_short = 0;
    for (size_t i = 0; i < n; i++) {
        const bex_stay *s = &stays[i];
        if (!stay_days_ok(s)) return BEX_ERR_ARG;
        if (s->long_stay) continue;
        n_short++;
        if (s->entry - EU_WINDOW < lo) lo = s->entry - EU_WINDOW;
        if (s->entry + EU_LIMIT - 1 > hi) hi = s->entry + EU_LIMIT - 1;
        if (s->entry <= as_of && present_end(s, as_of) > hi) hi = present_end(s, as_of);
    }
    if (n_short == 0) { /* long stays only: nothing to count */
        for (size_t i = 0; i < n; i++) {
            bex_stay_verdict r = {stays[i].entry > as_of ? BEX_STAY_NOT_YET : BEX_STAY_LONG_STAY, 0, 0,
                                  BEX_DAY_NONE, -1};
            v[i] = r;
        }
        return BEX_OK;
    }
    int64_t span64 = hi - lo + 1;
    if (span64 > BEX_OVERSTAY_MAX_SPAN_DAYS) return BEX_ERR_LIMIT;
    size_t span = (size_t)span64;

    /* P[k] = present days in [lo, lo + k - 1]; O[k] = days over in the same; k = 0..span.
     * mark[] first holds the difference array of the stays, then the present flags. */
    int32_t *mark = bex__calloc(span + 1, sizeof *mark);
    int32_t *P = bex__malloc((span + 1) * sizeof *P);
    int32_t *O = bex__malloc((span + 1) * sizeof *O);
    if (!mark || !P || !O) {
        bex__free(mark);
        bex__free(P);
        bex__free(O);
        return BEX_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const bex_stay *s = &stays[i];
        if (s->long_stay || s->entry > as_of) continue;
        mark[s->entry - lo]++;
        mark[present_end(s, as_of) - lo + 1]--; /* present_end <= hi, so index <= span */
    }
    int32_t run = 0;
    P[0] = 0;
    O[0] = 0;
    for (size_t k = 0; k < span; k++) {
        run += mark[k];
        int present = run > 0;
        P[k + 1] = P[k] + present;
        /* day lo + k: the window [day - 179, day] is P[k + 1] - P[k + 1 - 180] (days before lo
         * are never present) */
        int32_t count = P[k + 1] - (k + 1 >= EU_WINDOW ? P[k + 1 - EU_WINDOW] : 0);
        O[k + 1] = O[k] + (present && count > EU_LIMIT);
    }

    for (size_t i = 0; i < n; i++) {
        const bex_stay *s = &stays[i];
        bex_stay_verdict r = {BEX_STAY_PRESENT, 0, 0, 0, 0};
        if (s->long_stay) {
            r.status = s->entry > as_of ? BEX_STAY_NOT_YET : BEX_STAY_LONG_STAY;
            r.last_day = BEX_DAY_NONE;
            r.remaining_at_entry = -1;
            v[i] = r;
            continue;
        }
        size_t e = (size_t)(s->entry - lo); /* >= 180 */
        /* present days before the entry in the window ending on day entry + j (j = 0..89):
         * P[e] - P[e + j + 1 - 180]; the days of the stay itself (continuous) add j + 1 */
        int32_t before = P[e] - P[e + 1 - EU_WINDOW];
        r.remaining_at_entry = EU_LIMIT - before - 1;
        int j = 0;
        for (; j < EU_LIMIT; j++) {
            int32_t count = P[e] - P[e + (size_t)j + 1 - EU_WINDOW] + j + 1;
            if (count > EU_LIMIT) break;
        }
        r.last_day = s->entry + j - 1;
        if (s->entry > as_of) {
            r.status = BEX_STAY_NOT_YET;
        } else if (s->no_exit_recorded) {
            r.status = BEX_STAY_NO_EXIT_RECORDED; /* its one present day never makes it an overstay */
        } else {
            bex_day end = present_end(s, as_of);
            int left = s->exit != BEX_DAY_NONE && s->exit <= as_of;
            r.days_over = O[end - lo + 1] - O[e];
            if (r.days_over > 0)
                r.status = left ? BEX_STAY_OVERSTAY_OUT_OF_COUNTRY : BEX_STAY_OVERSTAY_IN_COUNTRY;
            else
                r.status = left ? BEX_STAY_LEFT_ON_TIME : BEX_STAY_PRESENT;
        }
        v[i] = r;
    }
    bex__free(mark);
    bex__free(P);
    bex__free(O);
    return BEX_OK;
}

/* ---- short stays ---- */

/* The classes bex_admission_short_stay knows (overstay.h says what each is), upper case,
 * without '-'. */
static const char *const short_classes[] = {"B1", "B2", "B1/B2", "WB", "WT", "GB", "GT", "C", "VE"};
static const char *const long_classes[] = {"LPR", "F1", "F2", "M1", "M2", "J1", "J2", "H1B", "L1", "O1",
                                           "E1", "E2", "TN", "CW1", "CW2", "K1", "D"};

static int class_in(const char *norm, const char *const *table, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(norm, table[i])) return 1;
    return 0;
}

int bex_admission_short_stay(const char *cls, bex_day entry, bex_day admit_until) {
    if (admit_until == BEX_DAY_NONE) return 0; /* D/S */
    /* upper case, '-' dropped; a class longer than any in the tables is simply unknown */
    char norm[8];
    size_t k = 0;
    int fits = 1;
    for (const char *p = cls ? cls : ""; *p && fits; p++) {
        if (*p == '-') continue;
        if (k + 1 >= sizeof norm) fits = 0;
        else norm[k++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
    }
    norm[k] = '\0';
    if (fits && k > 0) {
        if (class_in(norm, short_classes, sizeof short_classes / sizeof short_classes[0])) return 1;
        if (class_in(norm, long_classes, sizeof long_classes / sizeof long_classes[0])) return 0;
    }
    if (entry == BEX_DAY_NONE) return 0;
    return (int64_t)admit_until - entry <= 90;
}

/* ---- the DHS tables ---- */

const char *bex_overstay_dim_name(bex_overstay_dim d) {
    switch (d) {
    case BEX_OVERSTAY_BY_COUNTRY: return "country";
    case BEX_OVERSTAY_BY_CLASS: return "class";
    case BEX_OVERSTAY_BY_PORT: return "port";
    }
    return "unknown";
}

typedef struct keyed {
    const char *key;
    const bex_overstay_row *row;
} keyed;

static int keyed_cmp(const void *a, const void *b) {
    const keyed *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    /* ties in row order, so that equal keys stay in the caller's order (not that it shows) */
    return c ? c : (x->row > y->row) - (x->row < y->row);
}

static const char *row_key(const bex_overstay_row *r, int dim) {
    const char *k = dim == BEX_OVERSTAY_BY_COUNTRY ? r->nationality
                    : dim == BEX_OVERSTAY_BY_CLASS ? r->admission_class : r->port;
    return k[0] ? k : "unknown";
}

static void tally_row(bex_overstay_tally *t, const bex_stay_verdict *v, bex_day as_of, int eu) {
    int due;
    if (eu)
        due = v->status != BEX_STAY_LONG_STAY && v->status != BEX_STAY_NOT_YET &&
              (v->last_day <= as_of || v->days_over > 0);
    else
        due = v->expected_departure != 0;
    t->admissions++;
    t->expected_departures += due;
    t->out_of_country += v->status == BEX_STAY_OVERSTAY_OUT_OF_COUNTRY;
    t->in_country += v->status == BEX_STAY_OVERSTAY_IN_COUNTRY;
    t->no_exit_recorded += due && v->status == BEX_STAY_NO_EXIT_RECORDED;
    t->long_stay += v->status == BEX_STAY_LONG_STAY;
}

static void tally_finish(bex_overstay_tally *t) {
    t->total = t->out_of_country + t->in_country;
    t->total_rate = t->expected_departures ? 100.0 * (double)t->total / (double)t->expected_departures : 0;
    t->in_country_rate =
        t->expected_departures ? 100.0 * (double)t->in_country / (double)t->expected_departures : 0;
}

static void tally_init(bex_overstay_tally *t, const char *key) {
    memset(t, 0, sizeof *t);
    size_t len = strlen(key);
    if (len >= sizeof t->key) len = sizeof t->key - 1; /* keys are at most 7 bytes: never cut */
    memcpy(t->key, key, len);
}

void bex_overstay_tables_free(bex_overstay_tables *t) {
    if (!t) return;
    for (int d = 0; d < BEX_OVERSTAY_DIMS; d++) bex__free(t->by[d].lines);
    memset(t, 0, sizeof *t);
}

int bex_overstay_tabulate(const bex_overstay_row *rows, size_t n, bex_day as_of, int eu,
                          bex_overstay_tables *out, char *err, size_t errlen) {
    if (!out || (n > 0 && !rows)) return bex__fail(err, errlen, BEX_ERR_ARG, "no rows or no tables to fill");
    if (!day_ok(as_of)) return bex__fail(err, errlen, BEX_ERR_ARG, "the as-of day is no date");
    for (size_t i = 0; i < n; i++) {
        const bex_overstay_row *r = &rows[i];
        if (!memchr(r->nationality, 0, sizeof r->nationality) ||
            !memchr(r->admission_class, 0, sizeof r->admission_class) || !memchr(r->port, 0, sizeof r->port))
            return bex__fail(err, errlen, BEX_ERR_ARG, "row %zu: a country, class or port with no end", i);
    }

    bex_overstay_tables t;
    memset(&t, 0, sizeof t);
    tally_init(&t.totals, "all");
    for (size_t i = 0; i < n; i++) tally_row(&t.totals, &rows[i].verdict, as_of, eu);
    tally_finish(&t.totals);
    if (n == 0) {
        *out = t;
        return BEX_OK;
    }

    size_t bytes;
    keyed *k = bex__mul_size(n, sizeof *k, &bytes) ? bex__malloc(bytes) : NULL;
    if (!k) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory tabulating %zu admissions", n);
    for (int d = 0; d < BEX_OVERSTAY_DIMS; d++) {
        for (size_t i = 0; i < n; i++) {
            k[i].key = row_key(&rows[i], d);
            k[i].row = &rows[i];
        }
        qsort(k, n, sizeof *k, keyed_cmp);
        size_t groups = 1;
        for (size_t i = 1; i < n; i++) groups += strcmp(k[i - 1].key, k[i].key) != 0;
        bex_overstay_tally *lines = bex__mul_size(groups, sizeof *lines, &bytes) ? bex__malloc(bytes) : NULL;
        if (!lines) {
            bex__free(k);
            bex_overstay_tables_free(&t);
            return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory tabulating %zu admissions", n);
        }
        size_t g = 0;
        for (size_t i = 0; i < n; i++) {
            if (i == 0 || strcmp(k[i - 1].key, k[i].key)) tally_init(&lines[g++], k[i].key);
            tally_row(&lines[g - 1], &k[i].row->verdict, as_of, eu);
        }
        for (size_t j = 0; j < groups; j++) tally_finish(&lines[j]);
        t.by[d].lines = lines;
        t.by[d].n = groups;
    }
    bex__free(k);
    *out = t;
    return BEX_OK;
}
