/*
 * test_overstay.c - the overstay rules (include/bex/overstay.h): calendar days round-trip
 * against an independent day-by-day walk of the calendar; the US admit-until rule and the EU
 * 90/180 rule on hand-worked stays (every expected number below is worked out in the comment
 * beside it); the EU rule against a naive day-by-day recount on random histories.
 */
#include "bex/overstay.h"
#include "test.h"

/* a day from a date the test knows to be valid */
static bex_day D(const char *s) {
    bex_day d = BEX_DAY_NONE;
    if (bex_day_parse(s, &d) != BEX_OK) printf("  bad test date %s\n", s);
    return d;
}

static bex_stay stay(bex_day entry, bex_day exit, bex_day admit_until) {
    bex_stay s = {entry, exit, admit_until};
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
    for (int i = 0; i < n; i++)
        for (bex_day d = s[i].entry; d <= as_of && (s[i].exit == NONE || d <= s[i].exit); d++) pres[d - base] = 1;
    for (int i = 0; i < n; i++) {
        bex_stay_verdict r = {BEX_STAY_PRESENT, 0, 0, 0, 0};
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
    return test_summary();
}
