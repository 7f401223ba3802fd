/*
 * overstay.h - the overstay rules, pure (no database, no I/O): calendar days, the US rule
 * (one stay against its admit-until date) and the EU rule (90 days in any 180-day period over
 * all stays of one person).
 *
 *   bex_day entry, as_of;
 *   bex_day_parse("2026-03-01", &entry);
 *   bex_day_parse("2026-11-27T10:00:00Z", &as_of);          // the time is ignored
 *   bex_stay s = { entry, BEX_DAY_NONE, entry + 89 };
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

typedef struct bex_stay {
    bex_day entry;        /* day of the entry */
    bex_day exit;         /* day of the linked exit, or BEX_DAY_NONE */
    bex_day admit_until;  /* last day of authorised stay, or BEX_DAY_NONE for D/S */
} bex_stay;

typedef enum bex_stay_status {
    BEX_STAY_PRESENT = 0,          /* in the country, not (yet) over */
    BEX_STAY_LEFT_ON_TIME = 1,     /* left on or before the last authorised day */
    BEX_STAY_OVERSTAY_IN_COUNTRY = 2,   /* still present after the last authorised day */
    BEX_STAY_OVERSTAY_OUT_OF_COUNTRY = 3, /* left after the last authorised day */
    BEX_STAY_DS = 4,               /* US: duration of status, present, no date to overstay */
    BEX_STAY_NOT_YET = 5           /* entry after as_of: ignored */
} bex_stay_status;

typedef struct bex_stay_verdict {
    bex_stay_status status;
    int days_over;          /* overstay days (0 when none) */
    int expected_departure; /* US: 1 when admit_until <= as_of (a departure was due by as_of) */
    bex_day last_day;       /* US: admit_until; EU: the latest exit day this stay allows under 90/180 (see below) */
    int remaining_at_entry; /* EU: 90 minus the days present in the 180-day window ending on the entry day, counting the entry day itself; may be <= 0 (entry over the limit); US: -1 */
} bex_stay_verdict;

/* Name for reports: "present", "left_on_time", "in_country", "out_of_country", "ds", "not_yet"
 * ("unknown" for any other value). */
const char *bex_stay_status_name(bex_stay_status s);

/* US rule (DHS Entry/Exit Overstay Report): as of day `as_of`, an exit after as_of counts as no exit.
 * in-country overstay: admit_until < as_of and no exit by as_of; days_over = as_of - admit_until.
 * out-of-country overstay: exit > admit_until; days_over = exit - admit_until.
 * D/S (admit_until NONE): status DS when present, LEFT_ON_TIME when left; never an overstay; expected_departure 0.
 * Entry after as_of: NOT_YET. An exit before entry is a data error: BEX_ERR_ARG.
 * Also BEX_ERR_ARG: a NULL pointer, entry or as_of BEX_DAY_NONE, a day outside BEX_DAY_MIN..MAX.
 * last_day = admit_until (BEX_DAY_NONE for D/S); remaining_at_entry = -1. A NOT_YET stay has
 * days_over 0 and expected_departure 0. An admit_until before the entry is not refused: the
 * rule is applied as written (such a stay is an overstay from its first day). */
int bex_overstay_us(const bex_stay *s, bex_day as_of, bex_stay_verdict *v);

/* EU rule (Regulation (EU) 2016/399 Art. 6 and 2017/2226 Art. 11, the 90 days in any 180-day period):
 * all stays of ONE person, in any order (admit_until ignored). A day is "present" if it lies in
 * [entry, exit] of any stay (entry and exit days both count; overlapping stays count a day once; a stay
 * with no exit is present through as_of; days after as_of are not present). For each day d the count is
 * the number of present days in [d-179, d]. A present day with count > 90 is a day over. For stay i:
 * v[i].days_over = its days over (days in [entry, min(exit, as_of)] with count > 90);
 * status = OVERSTAY_IN_COUNTRY / OVERSTAY_OUT_OF_COUNTRY if days_over > 0 (no exit by as_of / exited),
 * else PRESENT / LEFT_ON_TIME; NOT_YET if entry > as_of;
 * remaining_at_entry as documented above (counts only days of earlier-or-this stays up to the entry day);
 * last_day = the largest day L >= entry-1 such that, if this person stayed continuously from entry to L
 * (and had no later stays), no day in [entry, L] would have a count > 90 (L = entry-1 means no day was
 * allowed; the search stops at entry+89 because a continuous stay can never exceed 90 days).
 * So remaining_at_entry < 0 exactly when last_day == entry-1; 0 means the entry day itself is the 90th.
 * expected_departure = 0. Exit before entry: BEX_ERR_ARG (also a NULL pointer with n > 0, as_of
 * or an entry BEX_DAY_NONE, a day outside BEX_DAY_MIN..MAX). n may be 0.
 * A NOT_YET stay has days_over 0; its remaining_at_entry and last_day are what they would be if
 * the person, as known at as_of, stayed away from as_of until that entry (a planned trip).
 * Works in O(span + 90 n) time and O(span) memory, span running from the earliest entry - 180 to
 * the last day that matters (the last present day, or the latest entry + 89); a span over
 * BEX_OVERSTAY_MAX_SPAN_DAYS is BEX_ERR_LIMIT. Allocation failure: BEX_ERR_NOMEM. */
int bex_overstay_eu(const bex_stay *stays, size_t n, bex_day as_of, bex_stay_verdict *v);

#ifdef __cplusplus
}
#endif
#endif
