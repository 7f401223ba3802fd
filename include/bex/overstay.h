/*
 * overstay.h - the overstay rules, pure (no database, no I/O): calendar days, the US rule
 * (one stay against its admit-until date), the EU rule (90 days in any 180-day period over
 * all short stays of one person), which admissions are short stays, and the DHS-style tables
 * of an overstay report.
 *
 *   bex_day entry, as_of;
 *   bex_day_parse("2026-03-01", &entry);
 *   bex_day_parse("2026-11-27T10:00:00Z", &as_of);          // the time is ignored
 *   bex_stay s = { .entry = entry, .exit = BEX_DAY_NONE, .admit_until = entry + 89 };
 *   s.long_stay = !bex_admission_short_stay("WT", s.entry, s.admit_until);   // 0: WT is short
 *   bex_stay_verdict v;
 *   if (bex_overstay_us(&s, as_of, &v) == BEX_OK && v.days_over)
 *       report(bex_stay_status_name(v.status), v.days_over);   // "in_country", 181
 *
 * Days are whole UTC calendar days counted from 1970-01-01 (proleptic Gregorian). The rules
 * accept days of years 0000..9999 (BEX_DAY_MIN..BEX_DAY_MAX); others are BEX_ERR_ARG. Every
 * day named in a stay counts in full: the entry day and the exit day are both days present.
 * Outputs are written only on success.
 */
#ifndef BEX_OVERSTAY_H
#define BEX_OVERSTAY_H

#include <stddef.h>
#include <stdint.h>

#include "bex/bex.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef int32_t bex_day;                 /* days since 1970-01-01 in the proleptic Gregorian calendar (UTC) */
#define BEX_DAY_NONE INT32_MIN           /* no date: no exit recorded, or D/S (no admit-until date) */
#define BEX_DAY_MIN (-719528)            /* 0000-01-01: the first day the rules accept */
#define BEX_DAY_MAX 2932896              /* 9999-12-31: the last */

/* The longest span of days bex_overstay_eu works over (200 years): from 180 days before the
 * earliest entry to the last day it has to look at. Longer is BEX_ERR_LIMIT. */
#define BEX_OVERSTAY_MAX_SPAN_DAYS 73050

/* "YYYY-MM-DD", optionally followed by 'T' and anything (an ISO 8601 time is ignored):
 * a real calendar date (leap years checked), years 1800..9999. BEX_OK or BEX_ERR_FORMAT
 * (BEX_ERR_ARG for a NULL pointer). */
int bex_day_parse(const char *s, bex_day *out);
/* Writes "YYYY-MM-DD" and a NUL (11 bytes). A day outside BEX_DAY_MIN..BEX_DAY_MAX (such as
 * BEX_DAY_NONE) is written "0000-00-00", which no date is. */
void bex_day_format(bex_day d, char out[11]);

/* One admission's stay. Initialise it whole (designated initialisers, {0} or memset) so that
 * fields added later start as 0, "no": the rules read every field. */
typedef struct bex_stay {
    bex_day entry;        /* day of the entry */
    bex_day exit;         /* day of the linked exit, or BEX_DAY_NONE */
    bex_day admit_until;  /* last day of authorised stay, or BEX_DAY_NONE for D/S */
    /* 1: no exit was recorded, but a later entry of the same person closed this stay (they
     * must have left; when is not known). exit must then be BEX_DAY_NONE (else BEX_ERR_ARG).
     * Set it only when that later entry is on or before the as_of day of the report: before
     * it, the stay is still open as far as anyone could know. */
    int no_exit_recorded;
    /* 1: not a short stay (LPR, D/S, a long-stay class: see bex_admission_short_stay). The
     * EU rule leaves such stays out of the 90/180 count; the US rule ignores the flag. */
    int long_stay;
} bex_stay;

/* Appended only, never renumbered. */
typedef enum bex_stay_status {
    BEX_STAY_PRESENT = 0,          /* in the country, not (yet) over */
    BEX_STAY_LEFT_ON_TIME = 1,     /* left on or before the last authorised day */
    BEX_STAY_OVERSTAY_IN_COUNTRY = 2,   /* still present after the last authorised day */
    BEX_STAY_OVERSTAY_OUT_OF_COUNTRY = 3, /* left after the last authorised day */
    BEX_STAY_DS = 4,               /* US: duration of status, present, no date to overstay */
    BEX_STAY_NOT_YET = 5,          /* entry after as_of: ignored */
    BEX_STAY_NO_EXIT_RECORDED = 6, /* left unrecorded (a later entry closed it): never an overstay */
    BEX_STAY_LONG_STAY = 7         /* EU: not a short stay, outside the 90/180 rule */
} bex_stay_status;

typedef struct bex_stay_verdict {
    bex_stay_status status;
    int days_over;          /* overstay days (0 when none) */
    int expected_departure; /* US: 1 when admit_until <= as_of (a departure was due by as_of) */
    bex_day last_day;       /* US: admit_until; EU: the latest exit day this stay allows under 90/180 (see below) */
    int remaining_at_entry; /* EU: 90 minus the days present in the 180-day window ending on the entry day, counting the entry day itself; may be <= 0 (entry over the limit); US: -1 */
} bex_stay_verdict;

/* Name for reports: "present", "left_on_time", "in_country", "out_of_country", "ds", "not_yet",
 * "no_exit_recorded", "long_stay" ("unknown" for any other value). */
const char *bex_stay_status_name(bex_stay_status s);

/* US rule (DHS Entry/Exit Overstay Report): as of day `as_of`, an exit after as_of counts as no exit.
 * in-country overstay: admit_until < as_of and no exit by as_of; days_over = as_of - admit_until.
 * out-of-country overstay: exit > admit_until; days_over = exit - admit_until.
 * D/S (admit_until NONE): status DS when present, LEFT_ON_TIME when left; never an overstay; expected_departure 0.
 * no_exit_recorded: status NO_EXIT_RECORDED, days_over 0, never an overstay (the person left and
 * no one knows when); expected_departure as for any stay (1 when admit_until <= as_of; 0 for
 * D/S), so that such stays show as a share of the expected departures, as DHS counts them.
 * long_stay is ignored: a long-stay class with an admit-until date can overstay; D/S gives DS.
 * Entry after as_of: NOT_YET (before any of the above). An exit before entry is a data error:
 * BEX_ERR_ARG; so is no_exit_recorded with an exit day.
 * Also BEX_ERR_ARG: a NULL pointer, entry or as_of BEX_DAY_NONE, a day outside BEX_DAY_MIN..MAX.
 * last_day = admit_until (BEX_DAY_NONE for D/S); remaining_at_entry = -1. A NOT_YET stay has
 * days_over 0 and expected_departure 0. An admit_until before the entry is not refused: the
 * rule is applied as written (such a stay is an overstay from its first day). */
int bex_overstay_us(const bex_stay *s, bex_day as_of, bex_stay_verdict *v);

/* EU rule (Regulation (EU) 2016/399 Art. 6 and 2017/2226 Art. 11, the 90 days in any 180-day period):
 * all stays of ONE person, in any order (admit_until ignored: long_stay says which stays the rule
 * covers). A day is "present" if it lies in [entry, exit] of any short stay (entry and exit days both
 * count; overlapping stays count a day once; a stay with no exit is present through as_of; days after
 * as_of are not present; a no_exit_recorded stay is present on its entry day only, which is all that
 * can be proven). Long stays (long_stay set) are present on no day. For each day d the count is
 * the number of present days in [d-179, d]. A present day with count > 90 is a day over. For stay i:
 * v[i].days_over = its days over (days in [entry, min(exit, as_of)] with count > 90);
 * status = OVERSTAY_IN_COUNTRY / OVERSTAY_OUT_OF_COUNTRY if days_over > 0 (no exit by as_of / exited),
 * else PRESENT / LEFT_ON_TIME; NOT_YET if entry > as_of;
 * remaining_at_entry as documented above (counts only days of earlier-or-this stays up to the entry day);
 * last_day = the largest day L >= entry-1 such that, if this person stayed continuously from entry to L
 * (and had no later stays), no day in [entry, L] would have a count > 90 (L = entry-1 means no day was
 * allowed; the search stops at entry+89 because a continuous stay can never exceed 90 days).
 * So remaining_at_entry < 0 exactly when last_day == entry-1; 0 means the entry day itself is the 90th.
 * A no_exit_recorded stay (entered by as_of): status NO_EXIT_RECORDED, days_over 0 even when its
 * entry day is over the limit; remaining_at_entry and last_day as for any stay.
 * A long stay (entered by as_of): status LONG_STAY, days_over 0, last_day BEX_DAY_NONE and
 * remaining_at_entry -1 (no limit applies; as the US rule's -1, not "entered over the limit"),
 * and it changes no other stay's verdict. long_stay wins over no_exit_recorded.
 * expected_departure = 0. Exit before entry: BEX_ERR_ARG (also no_exit_recorded with an exit day,
 * a NULL pointer with n > 0, as_of or an entry BEX_DAY_NONE, a day outside BEX_DAY_MIN..MAX). n may be 0.
 * A NOT_YET stay has days_over 0; its remaining_at_entry and last_day are what they would be if
 * the person, as known at as_of, stayed away from as_of until that entry (a planned trip); a
 * NOT_YET long stay has last_day BEX_DAY_NONE and remaining_at_entry -1.
 * Works in O(span + 90 n) time and O(span) memory, span running from the earliest short stay's
 * entry - 180 to the last day that matters (the last present day, or the latest short entry + 89);
 * long stays do not widen it. A span over BEX_OVERSTAY_MAX_SPAN_DAYS is BEX_ERR_LIMIT.
 * Allocation failure: BEX_ERR_NOMEM. */
int bex_overstay_eu(const bex_stay *stays, size_t n, bex_day as_of, bex_stay_verdict *v);

/* Is an admission a short stay, one the EU 90/180 rule counts? 1 or 0 (the caller sets
 * bex_stay.long_stay = !this). cls is the class of admission as recorded; case and '-' are
 * ignored ("h-1b" is "H1B"). In order:
 *   - D/S (admit_until BEX_DAY_NONE): never short (0), whatever the class;
 *   - a short-stay class: 1, whatever the dates (a B2 admitted for six months is still a visitor);
 *       US   B1, B2, B1/B2   temporary visitors for business / pleasure (visa)
 *            WB, WT          Visa Waiver Program business / tourist (90 days, ESTA)
 *            GB, GT          Guam-CNMI Visa Waiver Program business / tourist (45 days)
 *       EU   C               Schengen uniform short-stay visa (90 days in any 180)
 *            VE              visa-exempt short stay (bex's code for a national of a country
 *                            in Annex II of Regulation (EU) 2018/1806, who holds no visa)
 *   - a long-stay class: 0;
 *       LPR                  lawful permanent resident
 *       F1 F2 M1 M2 J1 J2    students (academic, vocational), exchange visitors, their families
 *       H1B L1 O1 E1 E2 TN   workers: specialty occupation, intracompany transferee,
 *                            extraordinary ability, treaty trader / investor, USMCA professional
 *       CW1 CW2              CNMI-only transitional worker, family
 *       K1                   fiance(e) of a US citizen (90 days, to marry and adjust status)
 *       D                    a Schengen state's national long-stay visa (not the US crew
 *                            classes D1 / D2, which are unknown here: short by their dates)
 *   - any other class (unknown, empty or NULL): short only when its admit-until date is at most
 *     90 days after the entry (admit_until - entry <= 90: a 90-day admission whichever way its
 *     last day was counted); 0 when entry is BEX_DAY_NONE. */
int bex_admission_short_stay(const char *cls, bex_day entry, bex_day admit_until);

/* One admission's verdict in an overstay report (bex_store_overstays). */
typedef struct bex_overstay_row {
    int64_t subject, admission;
    char document[24], nationality[4], admission_class[8], port[8];
    char entry[11], exit[11], admit_until[11];   /* "" when none / D/S */
    bex_stay_verdict verdict;
} bex_overstay_row;

/* ---- the DHS tables of an overstay report ---- */

/* One line of a table: the admissions of one country of citizenship, class of admission or
 * port (or all of them). The counts are admissions (rows). */
typedef struct bex_overstay_tally {
    char key[16];               /* the row's nationality / admission_class / port; "unknown" when
                                 * it is empty; "all" for the totals */
    long admissions;            /* rows with this key, every status */
    long expected_departures;   /* rows whose departure was due by as_of (see bex_overstay_tabulate) */
    long out_of_country;        /* status OVERSTAY_OUT_OF_COUNTRY */
    long in_country;            /* status OVERSTAY_IN_COUNTRY */
    long total;                 /* out_of_country + in_country */
    long no_exit_recorded;      /* status NO_EXIT_RECORDED among the expected departures */
    long long_stay;             /* status LONG_STAY (EU rule only; never expected departures) */
    double total_rate;          /* 100 * total / expected_departures; 0 when none were expected */
    double in_country_rate;     /* 100 * in_country / expected_departures; 0 when none */
} bex_overstay_tally;

typedef enum bex_overstay_dim {
    BEX_OVERSTAY_BY_COUNTRY = 0,   /* bex_overstay_row.nationality */
    BEX_OVERSTAY_BY_CLASS = 1,     /* .admission_class */
    BEX_OVERSTAY_BY_PORT = 2       /* .port */
} bex_overstay_dim;
#define BEX_OVERSTAY_DIMS 3

/* "country", "class", "port" ("unknown" for any other value). */
const char *bex_overstay_dim_name(bex_overstay_dim d);

typedef struct bex_overstay_tables {
    bex_overstay_tally totals;              /* key "all" */
    struct {
        bex_overstay_tally *lines;          /* sorted by key (strcmp), one per distinct key */
        size_t n;
    } by[BEX_OVERSTAY_DIMS];                /* indexed by bex_overstay_dim */
} bex_overstay_tables;

/* The tables of DHS's Entry/Exit Overstay Report over rows whose verdicts were given under the
 * US rule (eu = 0) or the EU rule (eu = 1) as of as_of. A row is an expected departure when
 *   US: verdict.expected_departure is set (admit_until <= as_of; never D/S);
 *   EU: verdict.last_day <= as_of or verdict.days_over > 0 (the latest exit the stay allowed
 *       has come, or it went over), except LONG_STAY and NOT_YET rows, which are never due (the
 *       program's tally before this counted a NOT_YET row with last_day == as_of, an entry on
 *       as_of + 1 over the limit; the store reports no such rows).
 * A row's key is its nationality / admission_class / port, "unknown" when empty (a row whose key
 * is literally "unknown" joins them). The rows' strings must be NUL-terminated within their
 * arrays (else BEX_ERR_ARG). n may be 0 (rows may then be NULL): every table empty, totals 0.
 * Also BEX_ERR_ARG: rows NULL with n > 0, out NULL, as_of outside BEX_DAY_MIN..MAX;
 * BEX_ERR_NOMEM. The message goes to err (may be NULL). On success the caller owns *out and
 * frees it with bex_overstay_tables_free; on failure *out is untouched. O(n log n). */
int bex_overstay_tabulate(const bex_overstay_row *rows, size_t n, bex_day as_of, int eu,
                          bex_overstay_tables *out, char *err, size_t errlen);
/* Frees the tables' lines and zeroes *t; NULL or a zeroed struct is fine. */
void bex_overstay_tables_free(bex_overstay_tables *t);

#ifdef __cplusplus
}
#endif
#endif
