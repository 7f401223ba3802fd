/*
 * test_overstay.c - the overstay rules (include/bex/overstay.h): calendar days round-trip
 * against an independent day-by-day walk of the calendar; the US admit-until rule and the EU
 * 90/180 rule on hand-worked stays (every expected number below is worked out in the comment
 * beside it); the EU rule against a naive day-by-day recount on random histories; stays with no
 * exit recorded and long stays under both rules; the short-stay class table; the DHS tables on
 * hand-made rows, and against the program's former tally on random rows.
 */
#include "bex/overstay.h"
#include "test.h"
#include "util/util.h"

/* a day from a date the test knows to be valid */
static bex_day D(const char *s) {
    bex_day d = BEX_DAY_NONE;
    if (bex_day_parse(s, &d) != BEX_OK) printf("  bad test date %s\n", s);
    return d;
}

static bex_stay stay(bex_day entry, bex_day exit, bex_day admit_until) {
    bex_stay s = {.entry = entry, .exit = exit, .admit_until = admit_until}; /* the flags 0 */
    return s;
}

#define NONE BEX_DAY_NONE

/* ---- days ---- */

TEST(day_anchors) {
    CHECK(D("1970-01-01") == 0);
    CHECK(D("1969-12-31") == -1);
    CHECK(D("2000-02-29") == 11016);
    CHECK(D("2000-03-01") == 11017);
    CHECK(D("2026-11-27") == 20784);
    CHECK(D("1900-01-01") == -25567);
    CHECK(D("1800-01-01") == -62091);
    CHECK(D("9999-12-31") == BEX_DAY_MAX);
    char buf[11];
    bex_day_format(BEX_DAY_MIN, buf);
    CHECK(!strcmp(buf, "0000-01-01"));
    bex_day_format(BEX_DAY_MAX, buf);
    CHECK(!strcmp(buf, "9999-12-31"));
    bex_day_format(BEX_DAY_NONE, buf);
    CHECK(!strcmp(buf, "0000-00-00"));
    bex_day_format(BEX_DAY_MAX + 1, buf);
    CHECK(!strcmp(buf, "0000-00-00"));
}

/* every day of 1900..2100: the day number steps by one while a plain y/m/d counter (its own
 * month lengths) steps through the calendar; format gives that date, parse gives back the day */
TEST(day_round_trip_1900_2100) {
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bex_day day = -25567; /* 1900-01-01 */
    int bad = 0;
    for (int y = 1900; y <= 2100; y++) {
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        for (int m = 1; m <= 12; m++) {
            int nd = dim[m - 1] + (m == 2 && leap);
            for (int d = 1; d <= nd; d++, day++) {
                char want[40], got[11];
                snprintf(want, sizeof want, "%04d-%02d-%02d", y, m, d);
                bex_day_format(day, got);
                bex_day back = NONE;
                if (strcmp(want, got) || bex_day_parse(want, &back) != BEX_OK || back != day) {
                    if (bad++ < 5) printf("  day %d: want %s, formatted %s, parsed %d\n", (int)day, want, got, (int)back);
                }
            }
        }
    }
    CHECK(bad == 0);
    CHECK(day == D("2101-01-01"));
}

TEST(day_leap_days) {
    bex_day d;
    CHECK(bex_day_parse("2000-02-29", &d) == BEX_OK);  /* divisible by 400 */
    CHECK(bex_day_parse("2024-02-29", &d) == BEX_OK);
    CHECK(bex_day_parse("1900-02-29", &d) == BEX_ERR_FORMAT); /* by 100, not 400 */
    CHECK(bex_day_parse("2100-02-29", &d) == BEX_ERR_FORMAT);
    CHECK(bex_day_parse("2023-02-29", &d) == BEX_ERR_FORMAT);
    CHECK(bex_day_parse("2023-04-31", &d) == BEX_ERR_FORMAT);
    CHECK(bex_day_parse("2023-12-31", &d) == BEX_OK);
    CHECK(bex_day_parse("2023-12-32", &d) == BEX_ERR_FORMAT);
}

TEST(day_garbage_refused) {
    static const char *bad[] = {
        "2026-13-01", "2026-00-10", "2026-01-00", "2026-1-01", "2026-01-1", "", "20261127",
        "2026/11/27", "26-11-27", "2026-11-27 10:00", "2026-11-27Z", " 2026-11-27", "2026-11-2x",
        "+2026-11-27", "1799-12-31", "0000-01-01", "2026-11",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bex_day d = 12345;
        int rc = bex_day_parse(bad[i], &d);
        if (rc != BEX_ERR_FORMAT) printf("  accepted \"%s\"\n", bad[i]);
        CHECK(rc == BEX_ERR_FORMAT && d == 12345); /* output untouched */
    }
    bex_day d;
    CHECK(bex_day_parse(NULL, &d) == BEX_ERR_ARG);
    CHECK(bex_day_parse("2026-11-27", NULL) == BEX_ERR_ARG);
}

TEST(day_time_suffix) {
    bex_day d = NONE;
    CHECK(bex_day_parse("2026-11-27T23:59:59Z", &d) == BEX_OK && d == 20784);
    CHECK(bex_day_parse("2026-11-27T", &d) == BEX_OK && d == 20784);
    CHECK(bex_day_parse("1800-01-01T00:00", &d) == BEX_OK && d == -62091);
    CHECK(bex_day_parse("2023-02-29T00:00", &d) == BEX_ERR_FORMAT);
}

TEST(status_names) {
    CHECK(!strcmp(bex_stay_status_name(BEX_STAY_PRESENT), "present"));
    CHECK(!strcmp(bex_stay_status_name(BEX_STAY_LEFT_ON_TIME), "left_on_time"));
    CHECK(!strcmp(bex_stay_status_name(BEX_STAY_OVERSTAY_IN_COUNTRY), "in_country"));
    CHECK(!strcmp(bex_stay_status_name(BEX_STAY_OVERSTAY_OUT_OF_COUNTRY), "out_of_country"));
    CHECK(!strcmp(bex_stay_status_name(BEX_STAY_DS), "ds"));
    CHECK(!strcmp(bex_stay_status_name(BEX_STAY_NOT_YET), "not_yet"));
    CHECK(!strcmp(bex_stay_status_name((bex_stay_status)99), "unknown"));
}

/* ---- US ---- */

TEST(us_left_on_time) {
    bex_stay_verdict v;
    /* admitted 2026-03-01 until 2026-05-29, left on 2026-05-29 itself: on time */
    bex_stay s = stay(D("2026-03-01"), D("2026-05-29"), D("2026-05-29"));
    CHECK(bex_overstay_us(&s, D("2026-11-27"), &v) == BEX_OK);
    CHECK(v.status == BEX_STAY_LEFT_ON_TIME && v.days_over == 0);
    CHECK(v.last_day == D("2026-05-29") && v.remaining_at_entry == -1 && v.expected_departure == 1);
    /* left early */
    s.exit = D("2026-04-01");
    CHECK(bex_overstay_us(&s, D("2026-11-27"), &v) == BEX_OK && v.status == BEX_STAY_LEFT_ON_TIME && v.days_over == 0);
}

TEST(us_out_of_country) {
    bex_stay_verdict v;
    /* until 2026-05-29, left 2026-06-05: 7 days over (May 30, 31, June 1..5) */
    bex_stay s = stay(D("2026-03-01"), D("2026-06-05"), D("2026-05-29"));
    CHECK(bex_overstay_us(&s, D("2026-11-27"), &v) == BEX_OK);
    CHECK(v.status == BEX_STAY_OVERSTAY_OUT_OF_COUNTRY && v.days_over == 7);
    /* also when the exit is as_of itself */
    CHECK(bex_overstay_us(&s, D("2026-06-05"), &v) == BEX_OK);
    CHECK(v.status == BEX_STAY_OVERSTAY_OUT_OF_COUNTRY && v.days_over == 7);
    /* across a year end: until 2025-12-30, left 2026-01-02: Dec 31, Jan 1, Jan 2 = 3 */
    s = stay(D("2025-10-01"), D("2026-01-02"), D("2025-12-30"));
    CHECK(bex_overstay_us(&s, D("2026-11-27"), &v) == BEX_OK && v.days_over == 3);
}

TEST(us_in_country) {
    bex_stay_verdict v;
    /* until 2026-05-29, no exit, as of 2026-11-27: 2 (May 30, 31) + 30 + 31 + 31 + 30 + 31 + 27 = 182 */
    bex_stay s = stay(D("2026-03-01"), NONE, D("2026-05-29"));
    CHECK(bex_overstay_us(&s, D("2026-11-27"), &v) == BEX_OK);
    CHECK(v.status == BEX_STAY_OVERSTAY_IN_COUNTRY && v.days_over == 182 && v.expected_departure == 1);
    /* as of the last authorised day: present, departure due (admit_until <= as_of) */
    CHECK(bex_overstay_us(&s, D("2026-05-29"), &v) == BEX_OK);
    CHECK(v.status == BEX_STAY_PRESENT && v.days_over == 0 && v.expected_departure == 1);
    /* the day after: 1 day over */
    CHECK(bex_overstay_us(&s, D("2026-05-30"), &v) == BEX_OK);
    CHECK(v.status == BEX_STAY_OVERSTAY_IN_COUNTRY && v.days_over == 1);
    /* the day before: present, no departure due yet */
    CHECK(bex_overstay_us(&s, D("2026-05-28"), &v) == BEX_OK);
    CHECK(v.status == BEX_STAY_PRESENT && v.days_over == 0 && v.expected_departure == 0);
}

TEST(us_exit_after_as_of_counts_as_none) {
    bex_stay_verdict v;
    /* left 2026-06-10 (11 days over) but as of 2026-06-03 that exit has not happened: in
     * country, 5 days over (May 30 .. June 3) */
    bex_stay s = stay(D("2026-03-01"), D("2026-06-10"), D("2026-05-29"));
    CHECK(bex_overstay_us(&s, D("2026-06-03"), &v) == BEX_OK);
    CHECK(v.status == BEX_STAY_OVERSTAY_IN_COUNTRY && v.days_over == 5);
    /* a future on-time exit: still present */
    s.exit = D("2026-05-20");
    CHECK(bex_overstay_us(&s, D("2026-05-10"), &v) == BEX_OK && v.status == BEX_STAY_PRESENT);
    CHECK(bex_overstay_us(&s, D("2026-11-27"), &v) == BEX_OK && v.status == BEX_STAY_LEFT_ON_TIME);
}

TEST(us_duration_of_status) {
    bex_stay_verdict v;
    bex_stay s = stay(D("2020-08-15"), NONE, NONE);
    CHECK(bex_overstay_us(&s, D("2026-11-27"), &v) == BEX_OK);
    CHECK(v.status == BEX_STAY_DS && v.days_over == 0 && v.expected_departure == 0 && v.last_day == NONE);
    s.exit = D("2024-05-20");
    CHECK(bex_overstay_us(&s, D("2026-11-27"), &v) == BEX_OK);
    CHECK(v.status == BEX_STAY_LEFT_ON_TIME && v.days_over == 0 && v.expected_departure == 0);
    /* exit not yet known as of 2023: still D/S */
    CHECK(bex_overstay_us(&s, D("2023-01-01"), &v) == BEX_OK && v.status == BEX_STAY_DS);
}

TEST(us_not_yet_and_errors) {
    bex_stay_verdict v;
    bex_stay s = stay(D("2026-12-01"), NONE, D("2026-12-31"));
    CHECK(bex_overstay_us(&s, D("2026-11-27"), &v) == BEX_OK);
    CHECK(v.status == BEX_STAY_NOT_YET && v.days_over == 0 && v.expected_departure == 0);
    /* exit before entry: data error, verdict untouched */
    bex_stay_verdict keep = {BEX_STAY_DS, 77, 1, 5, 9};
    v = keep;
    s = stay(D("2026-03-01"), D("2026-02-28"), D("2026-05-29"));
    CHECK(bex_overstay_us(&s, D("2026-11-27"), &v) == BEX_ERR_ARG);
    CHECK(v.status == BEX_STAY_DS && v.days_over == 77);
    /* also when that stay is not yet due */
    CHECK(bex_overstay_us(&s, D("2025-01-01"), &v) == BEX_ERR_ARG);
    /* a same-day in and out is fine */
    s.exit = s.entry;
    CHECK(bex_overstay_us(&s, D("2026-11-27"), &v) == BEX_OK && v.status == BEX_STAY_LEFT_ON_TIME);
    s.entry = NONE;
    CHECK(bex_overstay_us(&s, D("2026-11-27"), &v) == BEX_ERR_ARG);
    s = stay(D("2026-03-01"), NONE, D("2026-05-29"));
    CHECK(bex_overstay_us(&s, NONE, &v) == BEX_ERR_ARG);
    CHECK(bex_overstay_us(NULL, D("2026-11-27"), &v) == BEX_ERR_ARG);
    CHECK(bex_overstay_us(&s, D("2026-11-27"), NULL) == BEX_ERR_ARG);
    s.admit_until = BEX_DAY_MAX + 1;
    CHECK(bex_overstay_us(&s, D("2026-11-27"), &v) == BEX_ERR_ARG);
}

TEST(us_expected_departure) {
    bex_stay_verdict v;
    bex_stay s = stay(D("2026-01-10"), D("2026-01-20"), D("2026-04-09"));
    /* left early, as of before admit_until: no departure was due */
    CHECK(bex_overstay_us(&s, D("2026-02-01"), &v) == BEX_OK && v.expected_departure == 0);
    CHECK(v.status == BEX_STAY_LEFT_ON_TIME);
    /* as of admit_until and after: due */
    CHECK(bex_overstay_us(&s, D("2026-04-09"), &v) == BEX_OK && v.expected_departure == 1);
    CHECK(bex_overstay_us(&s, D("2026-04-10"), &v) == BEX_OK && v.expected_departure == 1);
}

/* ---- EU ---- */

#define E0 20000 /* an arbitrary entry day (2024-10-04) */

TEST(eu_single_90_day_stay) {
    bex_stay_verdict v;
    /* days E0 .. E0+89: 90 days, the count reaches exactly 90 on the exit day */
    bex_stay s = stay(E0, E0 + 89, NONE);
    CHECK(bex_overstay_eu(&s, 1, E0 + 400, &v) == BEX_OK);
    CHECK(v.status == BEX_STAY_LEFT_ON_TIME && v.days_over == 0);
    CHECK(v.remaining_at_entry == 89 && v.last_day == E0 + 89 && v.expected_departure == 0);
    /* one more day: the 91st (E0+90) is over */
    s.exit = E0 + 90;
    CHECK(bex_overstay_eu(&s, 1, E0 + 400, &v) == BEX_OK);
    CHECK(v.status == BEX_STAY_OVERSTAY_OUT_OF_COUNTRY && v.days_over == 1);
    CHECK(v.last_day == E0 + 89);
    /* a same-day visit is one day */
    s.exit = E0;
    CHECK(bex_overstay_eu(&s, 1, E0 + 400, &v) == BEX_OK && v.status == BEX_STAY_LEFT_ON_TIME && v.days_over == 0);
}

TEST(eu_still_present) {
    bex_stay_verdict v;
    /* no exit, as of day 100 of the stay (E0+99): days 91..100 (E0+90 .. E0+99) over */
    bex_stay s = stay(E0, NONE, NONE);
    CHECK(bex_overstay_eu(&s, 1, E0 + 99, &v) == BEX_OK);
    CHECK(v.status == BEX_STAY_OVERSTAY_IN_COUNTRY && v.days_over == 10 && v.last_day == E0 + 89);
    /* as of day 90: present, not over */
    CHECK(bex_overstay_eu(&s, 1, E0 + 89, &v) == BEX_OK);
    CHECK(v.status == BEX_STAY_PRESENT && v.days_over == 0);
    /* an exit after as_of is no exit yet: in country, 6 days over (E0+90 .. E0+95) */
    s.exit = E0 + 120;
    CHECK(bex_overstay_eu(&s, 1, E0 + 95, &v) == BEX_OK);
    CHECK(v.status == BEX_STAY_OVERSTAY_IN_COUNTRY && v.days_over == 6);
    /* and once it has happened: out of country, 31 days over (E0+90 .. E0+120) */
    CHECK(bex_overstay_eu(&s, 1, E0 + 121, &v) == BEX_OK);
    CHECK(v.status == BEX_STAY_OVERSTAY_OUT_OF_COUNTRY && v.days_over == 31);
    /* a very long stay: from day 181 on, every window is all present, still over */
    CHECK(bex_overstay_eu(&s, 1, E0 + 400, &v) == BEX_OK && v.days_over == 31);
    s.exit = NONE;
    CHECK(bex_overstay_eu(&s, 1, E0 + 399, &v) == BEX_OK && v.days_over == 400 - 90);
}

/* stay A: E0 .. E0+59 (60 days); a 20-day gap (E0+60 .. E0+79); stay B from E0+80.
 * On B's entry the window [E0-99, E0+80] holds A's 60 days and the entry day: 61, so
 * remaining_at_entry = 90 - 61 = 29. On day E0+80+k (k >= 0, up to E0+179 where A's first day
 * is still in the window) the count is 60 + k + 1; it passes 90 at k = 30: last_day = E0+109. */
TEST(eu_two_stays_with_gap) {
    bex_stay_verdict v[2];
    /* B of 40 days (E0+80 .. E0+119): its days k = 30..39 are over: 10 */
    bex_stay s[2] = {stay(E0, E0 + 59, NONE), stay(E0 + 80, E0 + 119, NONE)};
    CHECK(bex_overstay_eu(s, 2, E0 + 400, v) == BEX_OK);
    CHECK(v[0].status == BEX_STAY_LEFT_ON_TIME && v[0].days_over == 0);
    CHECK(v[0].remaining_at_entry == 89 && v[0].last_day == E0 + 89);
    CHECK(v[1].status == BEX_STAY_OVERSTAY_OUT_OF_COUNTRY && v[1].days_over == 10);
    CHECK(v[1].remaining_at_entry == 29 && v[1].last_day == E0 + 109);
    /* B of 30 days (to E0+109): exactly 90, fine */
    s[1].exit = E0 + 109;
    CHECK(bex_overstay_eu(s, 2, E0 + 400, v) == BEX_OK);
    CHECK(v[1].status == BEX_STAY_LEFT_ON_TIME && v[1].days_over == 0);
    /* B still present as of E0+112: 3 days over (E0+110 .. E0+112) */
    s[1].exit = NONE;
    CHECK(bex_overstay_eu(s, 2, E0 + 112, v) == BEX_OK);
    CHECK(v[1].status == BEX_STAY_OVERSTAY_IN_COUNTRY && v[1].days_over == 3);
    CHECK(v[0].status == BEX_STAY_LEFT_ON_TIME && v[0].days_over == 0);
}

/* A: E0 .. E0+59; B enters E0+260, 200 days after A left: B's window [E0+81, E0+260] holds
 * none of A, so B is a fresh 90 */
TEST(eu_second_stay_after_window) {
    bex_stay_verdict v[2];
    bex_stay s[2] = {stay(E0, E0 + 59, NONE), stay(E0 + 260, E0 + 299, NONE)};
    CHECK(bex_overstay_eu(s, 2, E0 + 400, v) == BEX_OK);
    CHECK(v[1].status == BEX_STAY_LEFT_ON_TIME && v[1].days_over == 0);
    CHECK(v[1].remaining_at_entry == 89 && v[1].last_day == E0 + 260 + 89);
    /* B of 90 days is fine, 91 is one over */
    s[1].exit = E0 + 260 + 89;
    CHECK(bex_overstay_eu(s, 2, E0 + 400, v) == BEX_OK && v[1].days_over == 0);
    s[1].exit = E0 + 260 + 90;
    CHECK(bex_overstay_eu(s, 2, E0 + 400, v) == BEX_OK && v[1].days_over == 1);
}

/* The window sliding: A = E0 .. E0+29 (30 days), B = E0+100 .. E0+129 (30 days), C enters
 * E0+150. On C's day E0+d the window is [E0+d-179, E0+d]:
 *   d = 150..179: A 30 + B 30 + (d - 149) -> 61 .. 90 (remaining_at_entry = 90 - 61 = 29)
 *   d = 180..209: A's days d-179 .. 29 (209 - d) + 30 + (d - 149) = 90 each day: A's days
 *                 leave the window as fast as C's come in
 *   d = 210: window [E0+31, E0+210]: A gone, nothing leaves (E0+31 .. E0+99 absent): 30 + 61 = 91
 * so last_day = E0+209 (entry + 59, though only 29 remained at entry), and a C of 70 days
 * (to E0+219) is over on E0+210 .. E0+219: 10 days. */
TEST(eu_rolling_window) {
    bex_stay_verdict v[3];
    bex_stay s[3] = {stay(E0, E0 + 29, NONE), stay(E0 + 100, E0 + 129, NONE), stay(E0 + 150, E0 + 219, NONE)};
    CHECK(bex_overstay_eu(s, 3, E0 + 400, v) == BEX_OK);
    CHECK(v[2].remaining_at_entry == 29 && v[2].last_day == E0 + 209);
    CHECK(v[2].status == BEX_STAY_OVERSTAY_OUT_OF_COUNTRY && v[2].days_over == 10);
    /* B's entry: window [E0-79, E0+100] holds A's 30 and the entry day: 59 remain */
    CHECK(v[1].remaining_at_entry == 59 && v[1].last_day == E0 + 100 + 59 && v[1].days_over == 0);
    /* leaving on E0+209 is exactly on the limit */
    s[2].exit = E0 + 209;
    CHECK(bex_overstay_eu(s, 3, E0 + 400, v) == BEX_OK && v[2].days_over == 0 && v[2].status == BEX_STAY_LEFT_ON_TIME);
    s[2].exit = E0 + 210;
    CHECK(bex_overstay_eu(s, 3, E0 + 400, v) == BEX_OK && v[2].days_over == 1);
}

/* an entry already over the limit: 90 days E0 .. E0+89, back on E0+100: the window
 * [E0-79, E0+100] holds 90 + 1, remaining -1 and no day allowed */
TEST(eu_entry_over_limit) {
    bex_stay_verdict v[2];
    bex_stay s[2] = {stay(E0, E0 + 89, NONE), stay(E0 + 100, E0 + 100, NONE)};
    CHECK(bex_overstay_eu(s, 2, E0 + 400, v) == BEX_OK);
    CHECK(v[1].remaining_at_entry == -1 && v[1].last_day == E0 + 99);
    CHECK(v[1].status == BEX_STAY_OVERSTAY_OUT_OF_COUNTRY && v[1].days_over == 1);
    /* back on E0+180: day E0 has left the window [E0+1, E0+180]: 89 before + the entry day =
     * 90, remaining 0. Yet staying on costs nothing: day E0+180+j drops E0+j and adds itself,
     * 89 - j + j + 1 = 90 through j = 89, so last_day is the full E0+180+89 */
    s[1] = stay(E0 + 180, E0 + 180, NONE);
    CHECK(bex_overstay_eu(s, 2, E0 + 400, v) == BEX_OK);
    CHECK(v[1].remaining_at_entry == 0 && v[1].last_day == E0 + 269 && v[1].days_over == 0);
    s[1].exit = E0 + 269;
    CHECK(bex_overstay_eu(s, 2, E0 + 400, v) == BEX_OK && v[1].days_over == 0);
    s[1].exit = E0 + 270;
    CHECK(bex_overstay_eu(s, 2, E0 + 400, v) == BEX_OK && v[1].days_over == 1);
    /* back on E0+179 instead: E0 .. E0+89 all in the window, 91, refused at entry */
    s[1] = stay(E0 + 179, E0 + 179, NONE);
    CHECK(bex_overstay_eu(s, 2, E0 + 400, v) == BEX_OK);
    CHECK(v[1].remaining_at_entry == -1 && v[1].last_day == E0 + 178 && v[1].days_over == 1);
}

/* overlapping stays (a missed exit, a double record) count each day once */
TEST(eu_overlap_counts_once) {
    bex_stay_verdict v[2];
    /* E0 .. E0+59 and E0+30 .. E0+89: 90 distinct days, not 120 */
    bex_stay s[2] = {stay(E0, E0 + 59, NONE), stay(E0 + 30, E0 + 89, NONE)};
    CHECK(bex_overstay_eu(s, 2, E0 + 400, v) == BEX_OK);
    CHECK(v[0].days_over == 0 && v[1].days_over == 0);
    CHECK(v[0].status == BEX_STAY_LEFT_ON_TIME && v[1].status == BEX_STAY_LEFT_ON_TIME);
    /* B's entry: A's E0 .. E0+29 before it, 30 + 1 -> 59 remain */
    CHECK(v[1].remaining_at_entry == 59);
    /* one more day on B: E0+90 is the 91st */
    s[1].exit = E0 + 90;
    CHECK(bex_overstay_eu(s, 2, E0 + 400, v) == BEX_OK && v[0].days_over == 0 && v[1].days_over == 1);
    /* a stay nested in another: A E0 .. E0+99 holds the 10 days over, B E0+10 .. E0+20 none */
    s[0] = stay(E0, E0 + 99, NONE);
    s[1] = stay(E0 + 10, E0 + 20, NONE);
    CHECK(bex_overstay_eu(s, 2, E0 + 400, v) == BEX_OK);
    CHECK(v[0].days_over == 10 && v[1].days_over == 0 && v[1].status == BEX_STAY_LEFT_ON_TIME);
    /* the same stay twice: both see the same days over */
    s[1] = s[0];
    CHECK(bex_overstay_eu(s, 2, E0 + 400, v) == BEX_OK && v[0].days_over == 10 && v[1].days_over == 10);
}

static int verdict_eq(const bex_stay_verdict *a, const bex_stay_verdict *b) {
    return a->status == b->status && a->days_over == b->days_over && a->last_day == b->last_day &&
           a->remaining_at_entry == b->remaining_at_entry && a->expected_departure == b->expected_departure;
}

TEST(eu_order_independent) {
    bex_stay s[5] = {stay(E0, E0 + 29, NONE), stay(E0 + 100, E0 + 129, NONE), stay(E0 + 150, E0 + 219, NONE),
                     stay(E0 + 300, NONE, NONE), stay(E0 + 500, NONE, NONE)};
    bex_stay_verdict ref[5];
    CHECK(bex_overstay_eu(s, 5, E0 + 420, ref) == BEX_OK);
    /* D = E0+300 ..(as_of) E0+420, on D's day E0+300+k: B's last days leave by k = 9 (count 80),
     * then C's 70 + k + 1 passes 90 at k = 20; from k = 30 C leaves as D comes (100), and from
     * k = 99 D alone has k + 1 > 90: over from k = 20 to 120, 101 days */
    CHECK(ref[2].days_over == 10 && ref[3].status == BEX_STAY_OVERSTAY_IN_COUNTRY && ref[3].days_over == 101);
    CHECK(ref[3].remaining_at_entry == 90 - 80 && ref[3].last_day == E0 + 319);
    CHECK(ref[4].status == BEX_STAY_NOT_YET && ref[4].days_over == 0);
    static const int perms[4][5] = {{4, 3, 2, 1, 0}, {2, 0, 4, 1, 3}, {1, 4, 0, 3, 2}, {3, 2, 1, 0, 4}};
    for (int p = 0; p < 4; p++) {
        bex_stay t[5];
        bex_stay_verdict w[5];
        for (int i = 0; i < 5; i++) t[i] = s[perms[p][i]];
        CHECK(bex_overstay_eu(t, 5, E0 + 420, w) == BEX_OK);
        for (int i = 0; i < 5; i++) CHECK(verdict_eq(&w[i], &ref[perms[p][i]]));
    }
}

/* a trip after as_of is NOT_YET, adds no days, and gets a planning answer */
TEST(eu_not_yet) {
    bex_stay_verdict v[2];
    /* A: E0 .. E0+59 present; as of E0+70; B planned for E0+80: as if away E0+60 .. E0+79,
     * like eu_two_stays_with_gap: 29 remain, last day E0+109 */
    bex_stay s[2] = {stay(E0, E0 + 59, NONE), stay(E0 + 80, E0 + 119, NONE)};
    CHECK(bex_overstay_eu(s, 2, E0 + 70, v) == BEX_OK);
    CHECK(v[1].status == BEX_STAY_NOT_YET && v[1].days_over == 0);
    CHECK(v[1].remaining_at_entry == 29 && v[1].last_day == E0 + 109);
    CHECK(v[0].status == BEX_STAY_LEFT_ON_TIME);
    /* A still present as of E0+70 (its exit later): 71 days, present; B's window then holds
     * A's E0 .. E0+70 only (days after as_of are not present): 90 - 71 - 1 = 18 */
    s[0].exit = E0 + 75;
    CHECK(bex_overstay_eu(s, 2, E0 + 70, v) == BEX_OK);
    CHECK(v[0].status == BEX_STAY_PRESENT && v[0].days_over == 0);
    CHECK(v[1].remaining_at_entry == 18 && v[1].last_day == E0 + 98);
}

TEST(eu_errors_and_limits) {
    bex_stay_verdict v[2], keep = {BEX_STAY_DS, 77, 1, 5, 9};
    v[0] = v[1] = keep;
    /* exit before entry in any stay: refused, nothing written */
    bex_stay s[2] = {stay(E0, E0 + 10, NONE), stay(E0 + 100, E0 + 99, NONE)};
    CHECK(bex_overstay_eu(s, 2, E0 + 400, v) == BEX_ERR_ARG);
    CHECK(v[0].days_over == 77 && v[1].days_over == 77);
    /* n = 0 is fine, even with NULL arrays */
    CHECK(bex_overstay_eu(NULL, 0, E0, NULL) == BEX_OK);
    CHECK(bex_overstay_eu(NULL, 1, E0, v) == BEX_ERR_ARG);
    s[1] = stay(E0 + 100, NONE, NONE);
    CHECK(bex_overstay_eu(s, 2, NONE, v) == BEX_ERR_ARG);
    CHECK(bex_overstay_eu(s, 2, E0 + 400, NULL) == BEX_ERR_ARG);
    s[1].entry = NONE;
    CHECK(bex_overstay_eu(s, 2, E0 + 400, v) == BEX_ERR_ARG);
    /* admit_until is ignored, even garbage; A's 11 days in the window: 90 - 11 - 1 = 78 */
    s[1] = stay(E0 + 100, E0 + 110, 12345678);
    CHECK(bex_overstay_eu(s, 2, E0 + 400, v) == BEX_OK && v[1].remaining_at_entry == 78);
    CHECK(v[1].last_day == E0 + 100 + 78 && v[1].status == BEX_STAY_LEFT_ON_TIME);
    /* spans: entered 1850 (and left), back 2026: 176 years, fine; present since 1800: 226 */
    s[0] = stay(D("1850-06-01"), D("1850-06-30"), NONE);
    s[1] = stay(D("2026-01-01"), NONE, NONE);
    CHECK(bex_overstay_eu(s, 2, D("2026-11-27"), v) == BEX_OK);
    CHECK(v[0].status == BEX_STAY_LEFT_ON_TIME && v[1].status == BEX_STAY_OVERSTAY_IN_COUNTRY);
    s[0] = stay(D("1800-06-01"), D("1800-06-30"), NONE);
    CHECK(bex_overstay_eu(s, 2, D("2026-11-27"), v) == BEX_ERR_LIMIT);
    s[0] = stay(D("1850-06-01"), NONE, NONE); /* never left */
    CHECK(bex_overstay_eu(s, 2, D("2026-11-27"), v) == BEX_OK);
    CHECK(bex_overstay_eu(s, 2, D("2226-11-27"), v) == BEX_ERR_LIMIT);
    /* an exit far after as_of is no exit yet, and does not widen the span */
    s[0] = stay(D("2026-01-01"), D("9999-12-31"), NONE);
    CHECK(bex_overstay_eu(s, 1, D("2026-11-27"), v) == BEX_OK && v[0].status == BEX_STAY_OVERSTAY_IN_COUNTRY);
    /* an as_of long before any entry does not widen it either */
    CHECK(bex_overstay_eu(s, 1, D("1900-01-01"), v) == BEX_OK && v[0].status == BEX_STAY_NOT_YET);
}

/* ---- EU against a naive recount ---- */

static unsigned rng_state = 12345u;
static int rnd(int n) {
    rng_state = rng_state * 1103515245u + 12345u;
    return (int)((rng_state >> 16) % (unsigned)n);
}

#define NV_DAYS 900

/* the rule read literally, days 0 .. NV_DAYS-1 of a history starting at base */
static void naive_eu(const bex_stay *s, int n, bex_day as_of, bex_day base, bex_stay_verdict *v) {
    static unsigned char pres[NV_DAYS + 100];
    memset(pres, 0, sizeof pres);
    for (int i = 0; i < n; i++) {
        if (s[i].long_stay) continue;                                      /* never present */
        if (s[i].no_exit_recorded) {
            if (s[i].entry <= as_of) pres[s[i].entry - base] = 1; /* its entry day only */
            continue;
        }
        for (bex_day d = s[i].entry; d <= as_of && (s[i].exit == NONE || d <= s[i].exit); d++) pres[d - base] = 1;
    }
    for (int i = 0; i < n; i++) {
        bex_stay_verdict r = {BEX_STAY_PRESENT, 0, 0, 0, 0};
        if (s[i].long_stay) {
            r.status = s[i].entry > as_of ? BEX_STAY_NOT_YET : BEX_STAY_LONG_STAY;
            r.last_day = NONE;
            r.remaining_at_entry = -1;
            v[i] = r;
            continue;
        }
        int left = s[i].exit != NONE && s[i].exit <= as_of;
        for (bex_day d = s[i].entry; d <= as_of && (!left || d <= s[i].exit); d++) {
            int c = 0;
            for (bex_day k = d - 179; k <= d; k++) c += k >= base && pres[k - base];
            r.days_over += c > 90;
        }
        /* the hypothetical: days of earlier-or-this stays before the entry, then continuous */
        int before = 0;
        for (bex_day k = s[i].entry - 179; k < s[i].entry; k++) before += k >= base && pres[k - base];
        r.remaining_at_entry = 90 - before - 1;
        bex_day L = s[i].entry - 1;
        for (bex_day d = s[i].entry; d <= s[i].entry + 89; d++) {
            int c = 0;
            for (bex_day k = d - 179; k <= d; k++)
                c += k >= s[i].entry ? 1 : (k >= base && pres[k - base]);
            if (c > 90) break;
            L = d;
        }
        r.last_day = L;
        if (s[i].entry > as_of) r.status = BEX_STAY_NOT_YET, r.days_over = 0;
        else if (s[i].no_exit_recorded) r.status = BEX_STAY_NO_EXIT_RECORDED, r.days_over = 0;
        else if (r.days_over) r.status = left ? BEX_STAY_OVERSTAY_OUT_OF_COUNTRY : BEX_STAY_OVERSTAY_IN_COUNTRY;
        else r.status = left ? BEX_STAY_LEFT_ON_TIME : BEX_STAY_PRESENT;
        v[i] = r;
    }
}

TEST(eu_matches_naive_recount) {
    int bad = 0;
    for (int trial = 0; trial < 400; trial++) {
        bex_day base = E0;
        bex_stay s[8];
        int n = 1 + rnd(8);
        for (int i = 0; i < n; i++) {
            bex_day e = base + rnd(700);
            bex_day x = rnd(5) == 0 ? NONE : e + rnd(rnd(2) ? 40 : 130);
            s[i] = stay(e, x, NONE);
        }
        bex_day as_of = base + 100 + rnd(700);
        bex_stay_verdict got[8], want[8];
        CHECK(bex_overstay_eu(s, (size_t)n, as_of, got) == BEX_OK);
        naive_eu(s, n, as_of, base, want);
        for (int i = 0; i < n; i++) {
            if (!verdict_eq(&got[i], &want[i]) && bad++ < 5)
                printf("  trial %d stay %d: got %s %d/%d/%d, want %s %d/%d/%d\n", trial, i,
                       bex_stay_status_name(got[i].status), got[i].days_over, got[i].remaining_at_entry,
                       (int)(got[i].last_day - s[i].entry), bex_stay_status_name(want[i].status),
                       want[i].days_over, want[i].remaining_at_entry, (int)(want[i].last_day - s[i].entry));
        }
    }
    CHECK(bad == 0);
}

/* the same recount with stays that left unrecorded and long stays among them */
TEST(eu_matches_naive_recount_with_flags) {
    int bad = 0, ner = 0, lng = 0;
    for (int trial = 0; trial < 400; trial++) {
        bex_day base = E0;
        bex_stay s[8];
        int n = 1 + rnd(8);
        for (int i = 0; i < n; i++) {
            bex_day e = base + rnd(700);
            bex_day x = rnd(5) == 0 ? NONE : e + rnd(rnd(2) ? 40 : 130);
            s[i] = stay(e, x, NONE);
            s[i].long_stay = rnd(5) == 0;
            if (x == NONE && rnd(2)) s[i].no_exit_recorded = 1;
            if (rnd(12) == 0) s[i].exit = NONE, s[i].no_exit_recorded = 1;
        }
        bex_day as_of = base + 100 + rnd(700);
        bex_stay_verdict got[8], want[8];
        CHECK(bex_overstay_eu(s, (size_t)n, as_of, got) == BEX_OK);
        naive_eu(s, n, as_of, base, want);
        for (int i = 0; i < n; i++) {
            ner += got[i].status == BEX_STAY_NO_EXIT_RECORDED;
            lng += got[i].status == BEX_STAY_LONG_STAY;
            if (!verdict_eq(&got[i], &want[i]) && bad++ < 5)
                printf("  trial %d stay %d: got %s %d/%d/%d, want %s %d/%d/%d\n", trial, i,
                       bex_stay_status_name(got[i].status), got[i].days_over, got[i].remaining_at_entry,
                       (int)(got[i].last_day - s[i].entry), bex_stay_status_name(want[i].status),
                       want[i].days_over, want[i].remaining_at_entry, (int)(want[i].last_day - s[i].entry));
        }
    }
    CHECK(bad == 0);
    CHECK(ner > 50 && lng > 50); /* both kinds were exercised */
}

/* ---- no exit recorded, long stays ---- */

TEST(status_names_appended) {
    CHECK(BEX_STAY_NO_EXIT_RECORDED == 6 && BEX_STAY_LONG_STAY == 7);
    CHECK(!strcmp(bex_stay_status_name(BEX_STAY_NO_EXIT_RECORDED), "no_exit_recorded"));
    CHECK(!strcmp(bex_stay_status_name(BEX_STAY_LONG_STAY), "long_stay"));
}

/* US: a stay a later entry closed, with no exit on record. Admitted 2026-03-01 until 2026-05-29
 * (entry + 89); whatever as_of, never an overstay; a departure is expected once admit_until has
 * come (as for any stay), never for D/S; NOT_YET still comes first. */
TEST(us_no_exit_recorded) {
    static const struct {
        const char *as_of, *until; /* until NULL: D/S */
        int long_stay;
        bex_stay_status status;
        int expected;
    } cases[] = {
        {"2026-04-15", "2026-05-29", 0, BEX_STAY_NO_EXIT_RECORDED, 0}, /* before admit_until */
        {"2026-05-29", "2026-05-29", 0, BEX_STAY_NO_EXIT_RECORDED, 1}, /* on it */
        {"2026-11-27", "2026-05-29", 0, BEX_STAY_NO_EXIT_RECORDED, 1}, /* after: not in_country 182 */
        {"2026-11-27", NULL, 0, BEX_STAY_NO_EXIT_RECORDED, 0},         /* D/S: not DS */
        {"2026-11-27", "2026-05-29", 1, BEX_STAY_NO_EXIT_RECORDED, 1}, /* long_stay ignored */
        {"2026-02-27", "2026-05-29", 0, BEX_STAY_NOT_YET, 0},          /* entry after as_of */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bex_stay s = stay(D("2026-03-01"), NONE, cases[i].until ? D(cases[i].until) : NONE);
        s.no_exit_recorded = 1;
        s.long_stay = cases[i].long_stay;
        bex_stay_verdict v;
        int rc = bex_overstay_us(&s, D(cases[i].as_of), &v);
        if (rc != BEX_OK || v.status != cases[i].status || v.days_over != 0 || v.expected_departure != cases[i].expected ||
            v.last_day != s.admit_until || v.remaining_at_entry != -1) {
            printf("  case %zu: rc %d, %s, %d over, expected %d\n", i, rc, bex_stay_status_name(v.status), v.days_over,
                   v.expected_departure);
            CHECK(0);
        }
    }
    /* with an exit day: refused, verdict untouched, also an exit after as_of */
    bex_stay_verdict keep = {BEX_STAY_DS, 77, 1, 5, 9}, v = keep;
    bex_stay s = stay(D("2026-03-01"), D("2026-04-01"), D("2026-05-29"));
    s.no_exit_recorded = 1;
    CHECK(bex_overstay_us(&s, D("2026-11-27"), &v) == BEX_ERR_ARG && v.days_over == 77);
    CHECK(bex_overstay_us(&s, D("2026-03-15"), &v) == BEX_ERR_ARG && v.days_over == 77);
}

/* US: long_stay changes nothing. An H1B admitted until 2026-05-29 and still here on 2026-11-27
 * is 182 days over (as in us_in_country); an F1 on D/S is DS. */
TEST(us_ignores_long_stay) {
    bex_stay_verdict v, w;
    bex_stay s = stay(D("2026-03-01"), NONE, D("2026-05-29"));
    CHECK(bex_overstay_us(&s, D("2026-11-27"), &w) == BEX_OK);
    s.long_stay = !bex_admission_short_stay("H1B", s.entry, s.admit_until);
    CHECK(s.long_stay == 1);
    CHECK(bex_overstay_us(&s, D("2026-11-27"), &v) == BEX_OK && verdict_eq(&v, &w));
    CHECK(v.status == BEX_STAY_OVERSTAY_IN_COUNTRY && v.days_over == 182);
    s = stay(D("2020-08-15"), NONE, NONE);
    s.long_stay = !bex_admission_short_stay("F1", s.entry, s.admit_until);
    CHECK(s.long_stay == 1);
    CHECK(bex_overstay_us(&s, D("2026-11-27"), &v) == BEX_OK && v.status == BEX_STAY_DS && v.expected_departure == 0);
}

/* EU: a stay that left unrecorded is present on its entry day only, and never an overstay. */
TEST(eu_no_exit_recorded) {
    bex_stay_verdict v[3];
    /* alone, as of a year later: not 311 days in country, one day; the planning numbers as for
     * any entry */
    bex_stay s[3] = {stay(E0, NONE, NONE)};
    s[0].no_exit_recorded = 1;
    CHECK(bex_overstay_eu(s, 1, E0 + 400, v) == BEX_OK);
    CHECK(v[0].status == BEX_STAY_NO_EXIT_RECORDED && v[0].days_over == 0);
    CHECK(v[0].remaining_at_entry == 89 && v[0].last_day == E0 + 89 && v[0].expected_departure == 0);
    /* its one day counts for the others. A: E0 .. E0+88 (89 days); B entered E0+100, no exit
     * recorded: 90 with its day; C: E0+120 for one day: the window [E0-59, E0+120] holds
     * 89 + 1 + 1 = 91, one day over, entered over the limit (90 - 90 - 1 = -1). B itself:
     * 90 - 89 - 1 = 0 remained, and staying on from E0+100 would be 91 the next day */
    s[0] = stay(E0, E0 + 88, NONE);
    s[1] = stay(E0 + 100, NONE, NONE);
    s[1].no_exit_recorded = 1;
    s[2] = stay(E0 + 120, E0 + 120, NONE);
    CHECK(bex_overstay_eu(s, 3, E0 + 400, v) == BEX_OK);
    CHECK(v[0].status == BEX_STAY_LEFT_ON_TIME && v[0].days_over == 0);
    CHECK(v[1].status == BEX_STAY_NO_EXIT_RECORDED && v[1].days_over == 0);
    CHECK(v[1].remaining_at_entry == 0 && v[1].last_day == E0 + 100);
    CHECK(v[2].status == BEX_STAY_OVERSTAY_OUT_OF_COUNTRY && v[2].days_over == 1);
    CHECK(v[2].remaining_at_entry == -1 && v[2].last_day == E0 + 119);
    /* without the flag B would be open through as_of: in country, and C inside it no better */
    s[1].no_exit_recorded = 0;
    CHECK(bex_overstay_eu(s, 3, E0 + 400, v) == BEX_OK && v[1].status == BEX_STAY_OVERSTAY_IN_COUNTRY);
    /* its entry day itself over the limit (A: 90 days, B back on E0+100: 91): still no overstay */
    s[0] = stay(E0, E0 + 89, NONE);
    s[1].no_exit_recorded = 1;
    CHECK(bex_overstay_eu(s, 2, E0 + 400, v) == BEX_OK);
    CHECK(v[1].status == BEX_STAY_NO_EXIT_RECORDED && v[1].days_over == 0);
    CHECK(v[1].remaining_at_entry == -1 && v[1].last_day == E0 + 99 && v[0].days_over == 0);
    /* as_of before the entry: NOT_YET */
    CHECK(bex_overstay_eu(s, 2, E0 + 95, v) == BEX_OK && v[1].status == BEX_STAY_NOT_YET && v[1].days_over == 0);
    /* with an exit day: refused, nothing written */
    bex_stay_verdict keep = {BEX_STAY_DS, 77, 1, 5, 9};
    v[0] = v[1] = keep;
    s[1].exit = E0 + 110;
    CHECK(bex_overstay_eu(s, 2, E0 + 400, v) == BEX_ERR_ARG && v[0].days_over == 77 && v[1].days_over == 77);
}

/* EU: long stays are outside the rule and take none of the 90 days. In one 180-day run of
 * presence: A short E0 .. E0+59 (60 days), L long E0+60 .. E0+149 (a D visa, 90 days), B short
 * E0+150 .. E0+179 (30 days). Counting only A and B, on B's day E0+150+k (k <= 29) the window
 * [E0-29+k, E0+150+k] holds all of A and k + 1 of B: 61 + k <= 90: B is on time; at its entry
 * 90 - 60 - 1 = 29 remained, and from k = 30 A's days leave as B's come (60 - (k - 29) + k + 1
 * = 90) until k = 89: last_day E0+239. Were L short, the 180 days would be continuous: days
 * E0+90 .. E0+179 over, 60 of them in L and 30 in B. */
TEST(eu_long_stay_takes_no_days) {
    bex_stay s[3] = {stay(E0, E0 + 59, NONE), stay(E0 + 60, E0 + 149, NONE), stay(E0 + 150, E0 + 179, NONE)};
    bex_stay_verdict v[3], w[2];
    s[1].long_stay = 1;
    CHECK(bex_overstay_eu(s, 3, E0 + 400, v) == BEX_OK);
    CHECK(v[0].status == BEX_STAY_LEFT_ON_TIME && v[0].days_over == 0);
    CHECK(v[1].status == BEX_STAY_LONG_STAY && v[1].days_over == 0);
    CHECK(v[1].last_day == NONE && v[1].remaining_at_entry == -1 && v[1].expected_departure == 0);
    CHECK(v[2].status == BEX_STAY_LEFT_ON_TIME && v[2].days_over == 0);
    CHECK(v[2].remaining_at_entry == 29 && v[2].last_day == E0 + 239);
    /* the same verdicts as with no L at all */
    bex_stay ab[2] = {s[0], s[2]};
    CHECK(bex_overstay_eu(ab, 2, E0 + 400, w) == BEX_OK && verdict_eq(&w[0], &v[0]) && verdict_eq(&w[1], &v[2]));
    /* L short: 60 + 30 days over */
    s[1].long_stay = 0;
    CHECK(bex_overstay_eu(s, 3, E0 + 400, v) == BEX_OK);
    CHECK(v[1].status == BEX_STAY_OVERSTAY_OUT_OF_COUNTRY && v[1].days_over == 60);
    CHECK(v[2].status == BEX_STAY_OVERSTAY_OUT_OF_COUNTRY && v[2].days_over == 30);
    /* L still open as of E0+170, long: B is present on time, L is long_stay (not in_country) */
    s[1] = stay(E0 + 60, NONE, NONE);
    s[1].long_stay = 1;
    CHECK(bex_overstay_eu(s, 3, E0 + 170, v) == BEX_OK);
    CHECK(v[1].status == BEX_STAY_LONG_STAY && v[2].status == BEX_STAY_PRESENT && v[2].days_over == 0);
    /* long wins over no_exit_recorded under the EU rule */
    s[1].no_exit_recorded = 1;
    CHECK(bex_overstay_eu(s, 3, E0 + 170, v) == BEX_OK && v[1].status == BEX_STAY_LONG_STAY);
    /* a long stay not yet entered is NOT_YET, with no planning numbers */
    CHECK(bex_overstay_eu(s, 3, E0 + 30, v) == BEX_OK);
    CHECK(v[1].status == BEX_STAY_NOT_YET && v[1].last_day == NONE && v[1].remaining_at_entry == -1);
    /* a long stay's dates are still checked */
    s[1] = stay(E0 + 60, E0 + 59, NONE);
    s[1].long_stay = 1;
    CHECK(bex_overstay_eu(s, 3, E0 + 400, v) == BEX_ERR_ARG);
}

/* EU: D/S (no admit-until date) is never a short stay: present for years, never over */
TEST(eu_duration_of_status) {
    bex_stay s[2] = {stay(D("2020-08-15"), NONE, NONE), stay(D("2026-06-01"), D("2026-06-10"), D("2026-08-29"))};
    s[0].long_stay = !bex_admission_short_stay("F1", s[0].entry, s[0].admit_until);
    s[1].long_stay = !bex_admission_short_stay("C", s[1].entry, s[1].admit_until);
    CHECK(s[0].long_stay == 1 && s[1].long_stay == 0);
    bex_stay_verdict v[2];
    CHECK(bex_overstay_eu(s, 2, D("2026-11-27"), v) == BEX_OK);
    CHECK(v[0].status == BEX_STAY_LONG_STAY && v[0].days_over == 0);
    /* the student's six years take none of the visitor's 90 days: 10 present, 80 remain on
     * the way out, 89 at entry */
    CHECK(v[1].status == BEX_STAY_LEFT_ON_TIME && v[1].remaining_at_entry == 89);
    /* a visitor's class on D/S is long too */
    CHECK(bex_admission_short_stay("B2", s[0].entry, NONE) == 0);
    /* long stays only: nothing to count, and an entry in 1800 does not make the span too long */
    s[0].entry = D("1800-06-01");
    s[1].long_stay = 1;
    CHECK(bex_overstay_eu(s, 2, D("2026-11-27"), v) == BEX_OK);
    CHECK(v[0].status == BEX_STAY_LONG_STAY && v[1].status == BEX_STAY_LONG_STAY);
    s[1].long_stay = 0; /* nor with a short stay beside it */
    CHECK(bex_overstay_eu(s, 2, D("2026-11-27"), v) == BEX_OK && v[1].status == BEX_STAY_LEFT_ON_TIME);
}

TEST(eu_out_of_memory) {
    bex_stay s[2] = {stay(E0, E0 + 59, NONE), stay(E0 + 80, E0 + 119, NONE)};
    bex_stay_verdict keep = {BEX_STAY_DS, 77, 1, 5, 9}, v[2] = {keep, keep};
    for (long k = 1; k <= 3; k++) {
        bex__alloc_fail_after(k);
        int rc = bex_overstay_eu(s, 2, E0 + 400, v);
        bex__alloc_fail_after(0);
        CHECK(rc == BEX_ERR_NOMEM && v[0].days_over == 77 && v[1].days_over == 77);
    }
    CHECK(bex_overstay_eu(s, 2, E0 + 400, v) == BEX_OK && v[1].days_over == 10);
}

/* ---- short stays ---- */

TEST(admission_short_stay_table) {
    static const struct {
        const char *cls;
        int until; /* days after entry; INT32_MIN: D/S */
        int want;
    } cases[] = {
        /* short classes, whatever the length */
        {"B1", 30, 1}, {"B2", 180, 1}, {"B1/B2", 180, 1}, {"WT", 89, 1}, {"WB", 89, 1}, {"GB", 44, 1},
        {"GT", 44, 1}, {"C", 89, 1}, {"VE", 89, 1}, {"wt", 89, 1}, {"b-2", 180, 1}, {"B2", 400, 1},
        /* long classes, whatever the length */
        {"LPR", 3650, 0}, {"F1", 1460, 0}, {"F2", 1460, 0}, {"M1", 365, 0}, {"M2", 365, 0}, {"J1", 365, 0},
        {"J2", 365, 0}, {"H1B", 1095, 0}, {"H-1B", 1095, 0}, {"h1b", 1095, 0}, {"L1", 30, 0}, {"O1", 30, 0},
        {"E1", 30, 0}, {"E2", 30, 0}, {"TN", 30, 0}, {"CW1", 365, 0}, {"CW2", 365, 0}, {"K1", 89, 0},
        {"D", 365, 0}, {"D", 30, 0},
        /* D/S: never short */
        {"B2", INT32_MIN, 0}, {"WT", INT32_MIN, 0}, {"F1", INT32_MIN, 0}, {"XX", INT32_MIN, 0}, {NULL, INT32_MIN, 0},
        /* unknown: by the dates, 90 days after entry at most */
        {"XX", 89, 1}, {"XX", 90, 1}, {"XX", 91, 0}, {"", 90, 1}, {"", 91, 0}, {NULL, 90, 1}, {NULL, 91, 0},
        {"D1", 29, 1}, {"C1", 29, 1}, {"CW", 90, 1}, {"CW", 91, 0}, {"B1B2", 91, 0}, {"TOOLONGCLASS", 90, 1},
        {"TOOLONGCLASS", 91, 0}, {"B2X", 91, 0}, {"XX", -5, 1}, {"XX", 0, 1},
    };
    bex_day e = D("2026-03-01");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bex_day until = cases[i].until == INT32_MIN ? NONE : e + cases[i].until;
        int got = bex_admission_short_stay(cases[i].cls, e, until);
        if (got != cases[i].want) {
            printf("  %s, until entry + %d: %d, want %d\n", cases[i].cls ? cases[i].cls : "(null)", cases[i].until, got,
                   cases[i].want);
            CHECK(0);
        }
    }
    /* an unknown class with no entry day cannot be shown short; a known one needs none */
    CHECK(bex_admission_short_stay("XX", NONE, e) == 0);
    CHECK(bex_admission_short_stay("WT", NONE, e) == 1);
    /* far dates do not overflow */
    CHECK(bex_admission_short_stay("XX", BEX_DAY_MIN, BEX_DAY_MAX) == 0);
    CHECK(bex_admission_short_stay("XX", BEX_DAY_MAX, BEX_DAY_MIN) == 1);
}

/* ---- the DHS tables ---- */

static bex_overstay_row row(const char *nat, const char *cls, const char *port, bex_stay_status st, int over,
                            int expected, bex_day last_day) {
    bex_overstay_row r;
    memset(&r, 0, sizeof r);
    snprintf(r.nationality, sizeof r.nationality, "%s", nat);
    snprintf(r.admission_class, sizeof r.admission_class, "%s", cls);
    snprintf(r.port, sizeof r.port, "%s", port);
    r.verdict.status = st;
    r.verdict.days_over = over;
    r.verdict.expected_departure = expected;
    r.verdict.last_day = last_day;
    r.verdict.remaining_at_entry = -1;
    return r;
}

typedef struct want_line {
    const char *key;
    long adm, exp, out, in, ner, lng;
    double rate, in_rate;
} want_line;

static int line_is(const bex_overstay_tally *t, const want_line *w) {
    int ok = !strcmp(t->key, w->key) && t->admissions == w->adm && t->expected_departures == w->exp &&
             t->out_of_country == w->out && t->in_country == w->in && t->total == w->out + w->in &&
             t->no_exit_recorded == w->ner && t->long_stay == w->lng && fabs(t->total_rate - w->rate) < 1e-9 &&
             fabs(t->in_country_rate - w->in_rate) < 1e-9;
    if (!ok)
        printf("  %s: %ld %ld %ld %ld %ld %ld %ld %.4f %.4f, want %s: %ld %ld %ld %ld %ld %ld %ld %.4f %.4f\n", t->key,
               t->admissions, t->expected_departures, t->out_of_country, t->in_country, t->total,
               t->no_exit_recorded, t->long_stay, t->total_rate, t->in_country_rate, w->key, w->adm, w->exp, w->out,
               w->in, w->out + w->in, w->ner, w->lng, w->rate, w->in_rate);
    return ok;
}

static int table_is(const bex_overstay_tables *t, int dim, const want_line *w, size_t n) {
    if (t->by[dim].n != n) {
        printf("  by %s: %zu lines, want %zu\n", bex_overstay_dim_name((bex_overstay_dim)dim), t->by[dim].n, n);
        return 0;
    }
    int ok = 1;
    for (size_t i = 0; i < n; i++) ok &= line_is(&t->by[dim].lines[i], &w[i]);
    return ok;
}

/* US, as of 2026-11-27, eight admissions (the verdicts by hand):
 *   1 GBR B2 JFK  left on time, due      5 FRA B2 ""   no exit recorded, due
 *   2 GBR WT JFK  in country, due        6 ""  B2 JFK  no exit recorded, not yet due
 *   3 GBR B2 MIA  out of country, due    7 FRA WT MIA  present, not due
 *   4 FRA F1 JFK  D/S                    8 BRA "" SYS  in country, due */
TEST(tables_us) {
    bex_day as_of = D("2026-11-27");
    bex_overstay_row r[8] = {
        row("GBR", "B2", "JFK", BEX_STAY_LEFT_ON_TIME, 0, 1, as_of - 100),
        row("GBR", "WT", "JFK", BEX_STAY_OVERSTAY_IN_COUNTRY, 10, 1, as_of - 10),
        row("GBR", "B2", "MIA", BEX_STAY_OVERSTAY_OUT_OF_COUNTRY, 7, 1, as_of - 50),
        row("FRA", "F1", "JFK", BEX_STAY_DS, 0, 0, NONE),
        row("FRA", "B2", "", BEX_STAY_NO_EXIT_RECORDED, 0, 1, as_of - 20),
        row("", "B2", "JFK", BEX_STAY_NO_EXIT_RECORDED, 0, 0, as_of + 20),
        row("FRA", "WT", "MIA", BEX_STAY_PRESENT, 0, 0, as_of + 5),
        row("BRA", "", "SYS", BEX_STAY_OVERSTAY_IN_COUNTRY, 3, 1, as_of - 3),
    };
    bex_overstay_tables t;
    char err[128];
    CHECK(bex_overstay_tabulate(r, 8, as_of, 0, &t, err, sizeof err) == BEX_OK);
    /* totals: due 1, 2, 3, 5, 8; 1 out, 2 in: 3 / 5 = 60 %, 2 / 5 = 40 % */
    want_line all = {"all", 8, 5, 1, 2, 1, 0, 60, 40};
    CHECK(line_is(&t.totals, &all));
    want_line country[] = {
        {"BRA", 1, 1, 0, 1, 0, 0, 100, 100},
        {"FRA", 3, 1, 0, 0, 1, 0, 0, 0},
        {"GBR", 3, 3, 1, 1, 0, 0, 200.0 / 3, 100.0 / 3},
        {"unknown", 1, 0, 0, 0, 0, 0, 0, 0}, /* its no-exit-recorded stay was not yet due */
    };
    want_line cls[] = {
        {"B2", 4, 3, 1, 0, 1, 0, 100.0 / 3, 0},
        {"F1", 1, 0, 0, 0, 0, 0, 0, 0},
        {"WT", 2, 1, 0, 1, 0, 0, 100, 100},
        {"unknown", 1, 1, 0, 1, 0, 0, 100, 100},
    };
    want_line port[] = {
        {"JFK", 4, 2, 0, 1, 0, 0, 50, 50},
        {"MIA", 2, 1, 1, 0, 0, 0, 100, 0},
        {"SYS", 1, 1, 0, 1, 0, 0, 100, 100},
        {"unknown", 1, 1, 0, 0, 1, 0, 0, 0},
    };
    CHECK(table_is(&t, BEX_OVERSTAY_BY_COUNTRY, country, 4));
    CHECK(table_is(&t, BEX_OVERSTAY_BY_CLASS, cls, 4));
    CHECK(table_is(&t, BEX_OVERSTAY_BY_PORT, port, 4));
    bex_overstay_tables_free(&t);
    CHECK(t.by[0].lines == NULL && t.by[2].n == 0);
    bex_overstay_tables_free(&t); /* twice is fine */
    bex_overstay_tables_free(NULL);
}

/* EU, as of E0: due when last_day <= as_of or days over, never long stays or NOT_YET:
 *   1 USA VE CDG  left on time, last day E0-10: due      5 CHN D  CDG      long stay
 *   2 USA VE CDG  present, last day E0+5: not due        6 CHN C  "unknown" no exit recorded, last day E0: due
 *   3 USA C  FRA  in country, 3 over: due                7 IND C  ""       no exit recorded, last day E0+1
 *   4 CHN C  FRA  out of country, 2 over: due            8 IND VE CDG      NOT_YET, last day E0 (entry
 *                                                          E0+1 over the limit): not due
 * Row 6's port is literally "unknown" and joins row 7's empty one. */
TEST(tables_eu) {
    bex_day as_of = E0;
    bex_overstay_row r[8] = {
        row("USA", "VE", "CDG", BEX_STAY_LEFT_ON_TIME, 0, 0, E0 - 10),
        row("USA", "VE", "CDG", BEX_STAY_PRESENT, 0, 0, E0 + 5),
        row("USA", "C", "FRA", BEX_STAY_OVERSTAY_IN_COUNTRY, 3, 0, E0 - 3),
        row("CHN", "C", "FRA", BEX_STAY_OVERSTAY_OUT_OF_COUNTRY, 2, 0, E0 - 50),
        row("CHN", "D", "CDG", BEX_STAY_LONG_STAY, 0, 0, NONE),
        row("CHN", "C", "unknown", BEX_STAY_NO_EXIT_RECORDED, 0, 0, E0),
        row("IND", "C", "", BEX_STAY_NO_EXIT_RECORDED, 0, 0, E0 + 1),
        row("IND", "VE", "CDG", BEX_STAY_NOT_YET, 0, 0, E0),
    };
    bex_overstay_tables t;
    CHECK(bex_overstay_tabulate(r, 8, as_of, 1, &t, NULL, 0) == BEX_OK);
    want_line all = {"all", 8, 4, 1, 1, 1, 1, 50, 25};
    CHECK(line_is(&t.totals, &all));
    want_line country[] = {
        {"CHN", 3, 2, 1, 0, 1, 1, 50, 0},
        {"IND", 2, 0, 0, 0, 0, 0, 0, 0},
        {"USA", 3, 2, 0, 1, 0, 0, 50, 50},
    };
    want_line cls[] = {
        {"C", 4, 3, 1, 1, 1, 0, 200.0 / 3, 100.0 / 3},
        {"D", 1, 0, 0, 0, 0, 1, 0, 0},
        {"VE", 3, 1, 0, 0, 0, 0, 0, 0},
    };
    want_line port[] = {
        {"CDG", 4, 1, 0, 0, 0, 1, 0, 0},
        {"FRA", 2, 2, 1, 1, 0, 0, 100, 50},
        {"unknown", 2, 1, 0, 0, 1, 0, 0, 0},
    };
    CHECK(table_is(&t, BEX_OVERSTAY_BY_COUNTRY, country, 3));
    CHECK(table_is(&t, BEX_OVERSTAY_BY_CLASS, cls, 3));
    CHECK(table_is(&t, BEX_OVERSTAY_BY_PORT, port, 3));
    bex_overstay_tables_free(&t);
    /* the same rows under the US rule: expected_departure (all 0 here) decides, nothing is due */
    CHECK(bex_overstay_tabulate(r, 8, as_of, 0, &t, NULL, 0) == BEX_OK);
    want_line all_us = {"all", 8, 0, 1, 1, 0, 1, 0, 0};
    CHECK(line_is(&t.totals, &all_us));
    bex_overstay_tables_free(&t);
}

TEST(tables_edges_and_errors) {
    bex_overstay_tables t, keep;
    char err[128] = "";
    /* no rows */
    CHECK(bex_overstay_tabulate(NULL, 0, E0, 0, &t, err, sizeof err) == BEX_OK);
    want_line none = {"all", 0, 0, 0, 0, 0, 0, 0, 0};
    CHECK(line_is(&t.totals, &none));
    for (int d = 0; d < BEX_OVERSTAY_DIMS; d++) CHECK(t.by[d].n == 0 && t.by[d].lines == NULL);
    bex_overstay_tables_free(&t);
    /* errors leave *out alone */
    memset(&keep, 0x5a, sizeof keep);
    bex_overstay_row r[2] = {row("GBR", "B2", "JFK", BEX_STAY_PRESENT, 0, 0, E0),
                             row("FRA", "B2", "JFK", BEX_STAY_PRESENT, 0, 0, E0)};
    t = keep;
    CHECK(bex_overstay_tabulate(NULL, 1, E0, 0, &t, err, sizeof err) == BEX_ERR_ARG && err[0]);
    CHECK(bex_overstay_tabulate(r, 2, E0, 0, NULL, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_overstay_tabulate(r, 2, NONE, 0, &t, err, sizeof err) == BEX_ERR_ARG);
    memcpy(r[1].port, "ABCDEFGH", sizeof r[1].port); /* no NUL */
    CHECK(bex_overstay_tabulate(r, 2, E0, 0, &t, err, sizeof err) == BEX_ERR_ARG && strstr(err, "row 1"));
    CHECK(!memcmp(&t, &keep, sizeof t));
    r[1].port[7] = '\0';
    /* every allocation failing in turn: NOMEM, *out untouched, nothing leaked (ASan) */
    for (long k = 1; k <= 4; k++) {
        bex__alloc_fail_after(k);
        int rc = bex_overstay_tabulate(r, 2, E0, 0, &t, err, sizeof err);
        bex__alloc_fail_after(0);
        CHECK(rc == BEX_ERR_NOMEM && !memcmp(&t, &keep, sizeof t));
    }
    CHECK(bex_overstay_tabulate(r, 2, E0, 0, &t, err, sizeof err) == BEX_OK);
    CHECK(t.by[BEX_OVERSTAY_BY_PORT].n == 2 && !strcmp(t.by[BEX_OVERSTAY_BY_PORT].lines[0].key, "ABCDEFG"));
    CHECK(t.by[BEX_OVERSTAY_BY_COUNTRY].n == 2 && !strcmp(t.by[BEX_OVERSTAY_BY_COUNTRY].lines[0].key, "FRA"));
    bex_overstay_tables_free(&t);
    CHECK(!strcmp(bex_overstay_dim_name(BEX_OVERSTAY_BY_COUNTRY), "country"));
    CHECK(!strcmp(bex_overstay_dim_name(BEX_OVERSTAY_BY_CLASS), "class"));
    CHECK(!strcmp(bex_overstay_dim_name(BEX_OVERSTAY_BY_PORT), "port"));
    CHECK(!strcmp(bex_overstay_dim_name((bex_overstay_dim)9), "unknown"));
}

/* The program's tally before the tables moved here (cli/store_json.c at fe9c3f8: tally_add,
 * print_tallies' rates, the totals in cli_print_overstays), kept as the reference: on rows
 * with the statuses it knew, the tables must give the same numbers. One change: the original
 * searched for the raw key, so that an empty key never found the "unknown" line it had made
 * and every row with no country, class or port got a line of its own; here the key is mapped
 * to "unknown" before the search, as the tables do. */
typedef struct old_tally {
    char key[16];
    long expected, in_country, out_of_country;
} old_tally;

static void old_tally_add(old_tally *t, size_t *n, const char *key, const bex_overstay_row *r, bex_day asof, int eu) {
    size_t i = 0;
    key = key[0] ? key : "unknown"; /* the one change (see above) */
    while (i < *n && strcmp(t[i].key, key)) i++;
    if (i == *n) {
        memset(&t[i], 0, sizeof t[i]);
        snprintf(t[i].key, sizeof t[i].key, "%s", key);
        (*n)++;
    }
    old_tally *x = &t[i];
    int due = eu ? r->verdict.last_day <= asof || r->verdict.days_over > 0 : r->verdict.expected_departure;
    x->expected += due;
    x->in_country += r->verdict.status == BEX_STAY_OVERSTAY_IN_COUNTRY;
    x->out_of_country += r->verdict.status == BEX_STAY_OVERSTAY_OUT_OF_COUNTRY;
}

static int old_cmp(const void *a, const void *b) { return strcmp(((const old_tally *)a)->key, ((const old_tally *)b)->key); }

static int old_matches(const old_tally *o, const bex_overstay_tally *t) {
    long tot = o->in_country + o->out_of_country;
    double rate = o->expected ? 100.0 * tot / o->expected : 0, irate = o->expected ? 100.0 * o->in_country / o->expected : 0;
    return !strcmp(o->key, t->key) && o->expected == t->expected_departures && o->in_country == t->in_country &&
           o->out_of_country == t->out_of_country && tot == t->total && rate == t->total_rate &&
           irate == t->in_country_rate;
}

TEST(tables_match_former_tally) {
    static const char *nats[] = {"GBR", "FRA", "", "BRA", "unknown"}, *clss[] = {"B2", "WT", "F1", "", "H1B"},
                      *ports[] = {"JFK", "MIA", "SYS", ""};
    static const bex_stay_status st[] = {BEX_STAY_PRESENT, BEX_STAY_LEFT_ON_TIME, BEX_STAY_OVERSTAY_IN_COUNTRY,
                                         BEX_STAY_OVERSTAY_OUT_OF_COUNTRY, BEX_STAY_DS};
    enum { N = 300 };
    static bex_overstay_row r[N];
    int bad = 0;
    for (int trial = 0; trial < 40; trial++) {
        int eu = trial & 1;
        size_t n = (size_t)(1 + rnd(N));
        for (size_t i = 0; i < n; i++) {
            bex_stay_status s = st[rnd(5)];
            int over = s == BEX_STAY_OVERSTAY_IN_COUNTRY || s == BEX_STAY_OVERSTAY_OUT_OF_COUNTRY ? rnd(40) : 0;
            r[i] = row(nats[rnd(5)], clss[rnd(5)], ports[rnd(4)], s, over, rnd(2), E0 - 50 + rnd(100));
        }
        old_tally o[3][8], all = {.key = "all"};
        size_t no[3] = {0, 0, 0};
        for (size_t i = 0; i < n; i++) {
            old_tally_add(o[0], &no[0], r[i].nationality, &r[i], E0, eu);
            old_tally_add(o[1], &no[1], r[i].admission_class, &r[i], E0, eu);
            old_tally_add(o[2], &no[2], r[i].port, &r[i], E0, eu);
        }
        for (size_t i = 0; i < no[0]; i++) {
            all.expected += o[0][i].expected;
            all.in_country += o[0][i].in_country;
            all.out_of_country += o[0][i].out_of_country;
        }
        bex_overstay_tables t;
        CHECK(bex_overstay_tabulate(r, n, E0, eu, &t, NULL, 0) == BEX_OK);
        bad += !old_matches(&all, &t.totals) || t.totals.admissions != (long)n;
        for (int d = 0; d < 3; d++) {
            qsort(o[d], no[d], sizeof o[d][0], old_cmp);
            if (t.by[d].n != no[d]) {
                bad++;
                continue;
            }
            for (size_t i = 0; i < no[d]; i++) bad += !old_matches(&o[d][i], &t.by[d].lines[i]);
        }
        bex_overstay_tables_free(&t);
    }
    CHECK(bad == 0);
}

int main(void) {
    RUN(day_anchors);
    RUN(day_round_trip_1900_2100);
    RUN(day_leap_days);
    RUN(day_garbage_refused);
    RUN(day_time_suffix);
    RUN(status_names);
    RUN(us_left_on_time);
    RUN(us_out_of_country);
    RUN(us_in_country);
    RUN(us_exit_after_as_of_counts_as_none);
    RUN(us_duration_of_status);
    RUN(us_not_yet_and_errors);
    RUN(us_expected_departure);
    RUN(eu_single_90_day_stay);
    RUN(eu_still_present);
    RUN(eu_two_stays_with_gap);
    RUN(eu_second_stay_after_window);
    RUN(eu_rolling_window);
    RUN(eu_entry_over_limit);
    RUN(eu_overlap_counts_once);
    RUN(eu_order_independent);
    RUN(eu_not_yet);
    RUN(eu_errors_and_limits);
    RUN(eu_matches_naive_recount);
    RUN(eu_matches_naive_recount_with_flags);
    RUN(status_names_appended);
    RUN(us_no_exit_recorded);
    RUN(us_ignores_long_stay);
    RUN(eu_no_exit_recorded);
    RUN(eu_long_stay_takes_no_days);
    RUN(eu_duration_of_status);
    RUN(eu_out_of_memory);
    RUN(admission_short_stay_table);
    RUN(tables_us);
    RUN(tables_eu);
    RUN(tables_edges_and_errors);
    RUN(tables_match_former_tally);
    return test_summary();
}
