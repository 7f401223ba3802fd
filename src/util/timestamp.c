/*
 * timestamp.c - ISO 8601 UTC times to seconds since the epoch and back (include/bex/timestamp.h).
 * Days are counted in the proleptic Gregorian calendar (Howard Hinnant's days-from-civil).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bex/timestamp.h"

static int64_t days_from_civil(int y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
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

static int digits(const char *s, int n, int *v) {
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        *v = *v * 10 + (s[i] - '0');
    }
    return 1;
}

int bex_time_parse(const char *s, int64_t *out) {
    if (!s || !out) return BEX_ERR_ARG;
    int y, mo, d, h = 0, mi = 0, se = 0;
    if (strlen(s) < 10 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
        !digits(s + 8, 2, &d))
        return BEX_ERR_FORMAT;
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1800 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap)) return BEX_ERR_FORMAT;
    const char *p = s + 10;
    int64_t off = 0;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (!digits(p, 2, &h) || p[2] != ':' || !digits(p + 3, 2, &mi)) return BEX_ERR_FORMAT;
        p += 5;
        if (*p == ':') {
            if (!digits(p + 1, 2, &se)) return BEX_ERR_FORMAT;
            p += 3;
            if (*p == '.') { /* fractions of a second are dropped */
                p++;
                while (*p >= '0' && *p <= '9') p++;
            }
        }
        if (h > 23 || mi > 59 || se > 60) return BEX_ERR_FORMAT;
        if (*p == 'Z') p++;
        else if (*p == '+' || *p == '-') {
            int oh, om;
            if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 || om > 59)
                return BEX_ERR_FORMAT;
            off = (int64_t)(oh * 3600 + om * 60) * (*p == '+' ? 1 : -1);
            p += 6;
        }
    }
    if (*p) return BEX_ERR_FORMAT;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
    return BEX_OK;
}

void bex_time_format(int64_t t, char out[24]) {
    int64_t day = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t sec = t - day * 86400;
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    if (y < 0 || y > 9999) {
        snprintf(out, 24, "0000-00-00T00:00:00Z");
        return;
    }
    snprintf(out, 24, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(sec / 3600), (int)(sec / 60 % 60),
             (int)(sec % 60));
}

void bex_time_now(char out[24]) { bex_time_format((int64_t)time(NULL), out); }

int bex_time_canonical(const char *s, char out[24]) {
    if (!s) {
        bex_time_now(out);
        return BEX_OK;
    }
    int64_t t;
    int rc = bex_time_parse(s, &t);
    if (rc == BEX_OK) bex_time_format(t, out);
    return rc;
}
