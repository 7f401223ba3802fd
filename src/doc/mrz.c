/*
 * mrz.c - ICAO Doc 9303 machine-readable zones (include/bex/mrz.h): line layout of each
 * format, check digits, names and dates.
 *
 * Positions (0-based) of the fields and their check digits:
 *   TD3 / MRV-A, line 2 (44): number 0-8 [9], nationality 10-12, birth 13-18 [19], sex 20,
 *     expiry 21-26 [27], optional 28-41 [42] and composite over 0-9,13-19,21-42 [43] (TD3
 *     only; MRV-A's optional data runs 28-43 unchecked).
 *   TD2 / MRV-B, line 2 (36): as above to 27, optional 28-34 and composite over
 *     0-9,13-19,21-34 [35] (TD2 only; MRV-B's optional data runs 28-35). A TD2 number longer
 *     than 9 continues in the optional data, its check digit last, and [9] is '<' (Doc 9303
 *     Part 6, 4.2.2 note j; Part 11 Appendix D.2 gives one).
 *   TD1: line 1 (30): code 0-1, state 2-4, number 5-13 [14], optional 15-29 (a number longer
 *     than 9 continues here, its check digit last, and [14] is '<'); line 2: birth 0-5 [6],
 *     sex 7, expiry 8-13 [14], nationality 15-17, optional 18-28, composite over line 1
 *     5-29, line 2 0-6, 8-14, 18-28 [29]; line 3: name.
 *
 * Writing (bex_mrz_make_td3) takes UTF-8 names: src/doc/names.c transliterates them and
 * truncates them to the name field as Doc 9303 Parts 3 and 4 say.
 */
#include "bex/mrz.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bex/names.h"
#include "util/util.h"

static int char_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    if (c == '<') return 0;
    return -1;
}

int bex_mrz_check_digit(const char *s, size_t n) {
    static const int w[3] = {7, 3, 1};
    int sum = 0;
    for (size_t i = 0; i < n; i++) {
        int v = char_value(s[i]);
        if (v < 0) return -1;
        sum += v * w[i % 3];
    }
    return sum % 10;
}

/* Copies s[0..n-1] to out with trailing '<' dropped and inner '<' as spaces. */
static void field(const char *s, size_t n, char *out, size_t cap) {
    while (n > 0 && s[n - 1] == '<') n--;
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++) out[k++] = s[i] == '<' ? ' ' : s[i];
    out[k] = 0;
}

/* The name field: primary identifier, "<<", secondary identifiers, '<' between words. */
static void name(const char *s, size_t n, bex_mrz *m) {
    const char *sep = NULL;
    for (size_t i = 0; i + 1 < n; i++)
        if (s[i] == '<' && s[i + 1] == '<') {
            sep = s + i;
            break;
        }
    if (!sep) {
        field(s, n, m->surname, sizeof m->surname);
        m->given_names[0] = 0;
        return;
    }
    field(s, (size_t)(sep - s), m->surname, sizeof m->surname);
    field(sep + 2, n - (size_t)(sep - s) - 2, m->given_names, sizeof m->given_names);
}

static void fail_check(bex_mrz *m, const char *what) {
    if (m->n_failed < BEX_MRZ_MAX_FAILED) m->failed[m->n_failed++] = what;
}

/* Checks the digit at s[at] against s[0..n-1]: a field may be all '<' with '<' as its digit
 * (optional data left empty). */
static void check(bex_mrz *m, const char *s, size_t n, char digit, const char *what) {
    int empty = 1;
    for (size_t i = 0; i < n; i++) empty &= s[i] == '<';
    if (empty && (digit == '<' || digit == '0')) return;
    int d = bex_mrz_check_digit(s, n);
    if (d < 0 || digit != '0' + d) fail_check(m, what);
}

/* YYMMDD -> YYYY-MM-DD; birth dates go in the latest century not after today. */
static int date(const char *s, int birth, int today_yy, char *out, const char *what, int line, int pos,
                char *err, size_t errlen) {
    for (int i = 0; i < 6; i++)
        if (s[i] < '0' || s[i] > '9')
            return bex__fail(err, errlen, BEX_ERR_FORMAT, "MRZ line %d, position %d: the %s must be 6 digits (YYMMDD)",
                             line, pos + 1, what);
    int yy = (s[0] - '0') * 10 + (s[1] - '0'), mm = (s[2] - '0') * 10 + (s[3] - '0'),
        dd = (s[4] - '0') * 10 + (s[5] - '0');
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mm < 1 || mm > 12 || dd < 1 || dd > mdays[mm - 1])
        return bex__fail(err, errlen, BEX_ERR_FORMAT, "MRZ line %d, position %d: the %s %.6s is not a date", line,
                         pos + 1, what, s);
    int year = birth ? (yy > today_yy ? 1900 + yy : 2000 + yy) : (yy >= 70 ? 1900 + yy : 2000 + yy);
    if (mm == 2 && dd == 29 && !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
        return bex__fail(err, errlen, BEX_ERR_FORMAT, "MRZ line %d, position %d: the %s %.6s is not a date", line,
                         pos + 1, what, s);
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02d", year, mm, dd);
    memcpy(out, tmp, 11); /* year 1900..2099: always 10 characters */
    return BEX_OK;
}

static int sex(char c, char *out, int line, int pos, char *err, size_t errlen) {
    if (c == 'M' || c == 'F') *out = c;
    else if (c == '<' || c == 'X') *out = 'X';
    else
        return bex__fail(err, errlen, BEX_ERR_FORMAT, "MRZ line %d, position %d: sex must be M, F or <, not '%c'", line,
                         pos + 1, c);
    return BEX_OK;
}

/* Line 2 of TD2, TD3 and the visas (they share positions 0-27). */
/* A document number longer than 9: its first 9 characters in head, '<' where their check
 * digit would be, and the rest at the start of the optional data opt (n characters), followed
 * by the check digit over the whole number and a filler (Doc 9303 Part 5, 4.2.2 note j for
 * TD1; Part 6, 4.2.2 note j for TD2). What follows is the optional data proper. */
static void long_number(bex_mrz *m, const char *head, const char *opt, size_t n, char *optout,
                        size_t optcap) {
    size_t end = 0;
    while (end < n && opt[end] != '<') end++;
    if (end < 2) { /* no continuation and check digit: the number's digit is missing */
        fail_check(m, "document_number");
        return;
    }
    char num[24];
    memcpy(num, head, 9);
    memcpy(num + 9, opt, end - 1);
    field(num, 9 + end - 1, m->doc_number, sizeof m->doc_number);
    check(m, num, 9 + end - 1, opt[end - 1], "document_number");
    if (end < n) end++; /* the filler that ends the number */
    field(opt + end, n - end, optout, optcap);
}

/* long_ok: a number that continues in the optional data is read by the caller (TD2) */
static int line2_common(const char *l, int long_ok, int today_yy, bex_mrz *m, char *err,
                        size_t errlen) {
    int rc;
    if (!(long_ok && l[9] == '<' && l[8] != '<')) {
        field(l, 9, m->doc_number, sizeof m->doc_number);
        check(m, l, 9, l[9], "document_number");
    }
    field(l + 10, 3, m->nationality, sizeof m->nationality);
    if ((rc = date(l + 13, 1, today_yy, m->birth_date, "birth date", 2, 13, err, errlen))) return rc;
    check(m, l + 13, 6, l[19], "birth_date");
    if ((rc = sex(l[20], &m->sex, 2, 20, err, errlen))) return rc;
    if ((rc = date(l + 21, 0, today_yy, m->expiry_date, "expiry date", 2, 21, err, errlen))) return rc;
    check(m, l + 21, 6, l[27], "expiry_date");
    return BEX_OK;
}

int bex_mrz_parse_at(const char *text, const char *today, bex_mrz *out, char *err, size_t errlen) {
    if (!text || !out) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_mrz_parse: NULL argument");
    /* lines: '\r' dropped, trailing newlines dropped, at most 3 of at most 44 characters */
    char lines[3][48];
    int nl = 0, len[3] = {0, 0, 0};
    size_t tl = strlen(text);
    while (tl > 0 && (text[tl - 1] == '\n' || text[tl - 1] == '\r')) tl--;
    if (tl == 0) return bex__fail(err, errlen, BEX_ERR_FORMAT, "the MRZ is empty");
    for (size_t i = 0; i < tl; i++) {
        char c = text[i];
        if (c == '\r') continue;
        if (c == '\n') {
            if (++nl >= 3) return bex__fail(err, errlen, BEX_ERR_FORMAT, "an MRZ has 2 or 3 lines, this has more");
            continue;
        }
        if (len[nl] >= 44)
            return bex__fail(err, errlen, BEX_ERR_FORMAT, "MRZ line %d is longer than 44 characters", nl + 1);
        if (char_value(c) < 0)
            return bex__fail(err, errlen, BEX_ERR_FORMAT,
                             "MRZ line %d, position %d: '%c' is not an MRZ character (A-Z, 0-9, <)", nl + 1,
                             len[nl] + 1, c);
        lines[nl][len[nl]++] = c;
    }
    nl++;
    for (int i = 0; i < nl; i++) lines[i][len[i]] = 0;
    bex_mrz m;
    memset(&m, 0, sizeof m);
    if (nl == 3 && len[0] == 30 && len[1] == 30 && len[2] == 30) m.format = BEX_MRZ_TD1;
    else if (nl == 2 && len[0] == 36 && len[1] == 36) m.format = lines[0][0] == 'V' ? BEX_MRZ_MRVB : BEX_MRZ_TD2;
    else if (nl == 2 && len[0] == 44 && len[1] == 44) m.format = lines[0][0] == 'V' ? BEX_MRZ_MRVA : BEX_MRZ_TD3;
    else if (nl < 2)
        return bex__fail(err, errlen, BEX_ERR_FORMAT, "an MRZ has 2 or 3 lines, this has %d", nl);
    else
        return bex__fail(err, errlen, BEX_ERR_FORMAT,
                         "MRZ lines of %d, %d%s characters match no format (TD1: 3 x 30, TD2 / MRV-B: 2 x 36, "
                         "TD3 / MRV-A: 2 x 44)",
                         len[0], len[1], nl == 3 ? " and more" : "");
    int today_yy;
    if (today && strlen(today) >= 4) today_yy = ((today[2] - '0') * 10 + (today[3] - '0')) % 100;
    else {
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        today_yy = tm.tm_year % 100;
    }
    const char *l1 = lines[0], *l2 = lines[1];
    field(l1, 2, m.doc_code, sizeof m.doc_code);
    field(l1 + 2, 3, m.issuing_state, sizeof m.issuing_state);
    int rc;
    if (m.format == BEX_MRZ_TD1) {
        const char *l3 = lines[2];
        /* document number: 5-13 with its digit at 14, or continued into 15-29 when [14] is '<' */
        if (l1[14] == '<' && l1[5 + 8] != '<') {
            long_number(&m, l1 + 5, l1 + 15, 15, m.optional1, sizeof m.optional1);
        } else {
            field(l1 + 5, 9, m.doc_number, sizeof m.doc_number);
            check(&m, l1 + 5, 9, l1[14], "document_number");
            field(l1 + 15, 15, m.optional1, sizeof m.optional1);
        }
        if ((rc = date(l2, 1, today_yy, m.birth_date, "birth date", 2, 0, err, errlen))) return rc;
        check(&m, l2, 6, l2[6], "birth_date");
        if ((rc = sex(l2[7], &m.sex, 2, 7, err, errlen))) return rc;
        if ((rc = date(l2 + 8, 0, today_yy, m.expiry_date, "expiry date", 2, 8, err, errlen))) return rc;
        check(&m, l2 + 8, 6, l2[14], "expiry_date");
        field(l2 + 15, 3, m.nationality, sizeof m.nationality);
        field(l2 + 18, 11, m.optional2, sizeof m.optional2);
        char comp[64];
        memcpy(comp, l1 + 5, 25);
        memcpy(comp + 25, l2, 7);
        memcpy(comp + 32, l2 + 8, 7);
        memcpy(comp + 39, l2 + 18, 11);
        int d = bex_mrz_check_digit(comp, 50);
        if (l2[29] != '0' + d) fail_check(&m, "composite");
        name(l3, 30, &m);
    } else {
        size_t n = (size_t)len[0];
        name(l1 + 5, n - 5, &m);
        int td2_long = m.format == BEX_MRZ_TD2 && l2[9] == '<' && l2[8] != '<';
        if ((rc = line2_common(l2, m.format == BEX_MRZ_TD2, today_yy, &m, err, errlen))) return rc;
        if (m.format == BEX_MRZ_TD3) {
            field(l2 + 28, 14, m.optional1, sizeof m.optional1);
            check(&m, l2 + 28, 14, l2[42], "optional_data");
            char comp[64];
            memcpy(comp, l2, 10);
            memcpy(comp + 10, l2 + 13, 7);
            memcpy(comp + 17, l2 + 21, 22);
            if (l2[43] != '0' + bex_mrz_check_digit(comp, 39)) fail_check(&m, "composite");
        } else if (m.format == BEX_MRZ_TD2) {
            if (td2_long) long_number(&m, l2, l2 + 28, 7, m.optional1, sizeof m.optional1);
            else field(l2 + 28, 7, m.optional1, sizeof m.optional1);
            char comp[64];
            memcpy(comp, l2, 10);
            memcpy(comp + 10, l2 + 13, 7);
            memcpy(comp + 17, l2 + 21, 14);
            if (l2[35] != '0' + bex_mrz_check_digit(comp, 31)) fail_check(&m, "composite");
        } else
            field(l2 + 28, n - 28, m.optional1, sizeof m.optional1); /* visas: no composite */
    }
    *out = m;
    return BEX_OK;
}

int bex_mrz_parse(const char *text, bex_mrz *out, char *err, size_t errlen) {
    return bex_mrz_parse_at(text, NULL, out, err, errlen);
}

/* ---- writing a TD3 MRZ ---- */

/* Writes n characters of MRZ text from s into out: letters upper-cased, digits kept, anything
 * else '<', padded with '<'. Returns 0 if s has letters or digits past n (truncated). */
static int put_field(char *out, size_t n, const char *s) {
    size_t k = 0;
    for (; s && *s && k < n; s++, k++) {
        char c = *s;
        if (c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
        out[k] = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ? c : '<';
    }
    int truncated = s && *s;
    for (; k < n; k++) out[k] = '<';
    return !truncated;
}

/* YYYY-MM-DD as YYMMDD; 0 if it is no date. */
static int put_date(char *out, const char *d) {
    if (!d || strlen(d) != 10 || d[4] != '-' || d[7] != '-') return 0;
    const char v[6] = {d[2], d[3], d[5], d[6], d[8], d[9]};
    for (int i = 0; i < 6; i++)
        if (v[i] < '0' || v[i] > '9') return 0;
    memcpy(out, v, 6);
    return 1;
}

int bex_mrz_make_td3(const char *doc_code, const char *issuing_state, const char *surname,
                     const char *given_names, const char *doc_number, const char *nationality,
                     const char *birth_date, char sex, const char *expiry_date, char out[90],
                     char *err, size_t errlen) {
    char l1[45], l2[45];
    const char *bad = NULL;
    if (!doc_code || !*doc_code || strlen(doc_code) > 2 || (doc_code[0] != 'P' && doc_code[0] != 'p'))
        bad = "document_code (P or P and one letter)";
    else if (!issuing_state || strlen(issuing_state) < 1 || strlen(issuing_state) > 3) bad = "issuing_state";
    else if (!nationality || strlen(nationality) < 1 || strlen(nationality) > 3) bad = "nationality";
    else if (!surname || !*surname) bad = "surname";
    else if (!doc_number || !*doc_number || strlen(doc_number) > 9) bad = "document_number (1 to 9 characters)";
    else if (sex != 'M' && sex != 'F' && sex != 'X') bad = "sex (M, F or X)";
    if (bad) {
        snprintf(err, errlen, "cannot write a TD3 MRZ: bad %s", bad);
        return BEX_ERR_ARG;
    }
    put_field(l1, 2, doc_code);
    put_field(l1 + 2, 3, issuing_state);
    /* the name: SURNAME<<GIVEN<NAMES, transliterated and truncated to 39 as Doc 9303 says */
    char nm[BEX_NAME_FIELD_TD3 + 1], nerr[200];
    if (bex_name_mrz_field(surname, given_names, BEX_NAME_FIELD_TD3, nm, NULL, nerr, sizeof nerr) != BEX_OK)
        return bex__fail(err, errlen, BEX_ERR_ARG, "cannot write a TD3 MRZ: %s", nerr);
    memcpy(l1 + 5, nm, BEX_NAME_FIELD_TD3);
    put_field(l2, 9, doc_number);
    l2[9] = (char)('0' + bex_mrz_check_digit(l2, 9));
    put_field(l2 + 10, 3, nationality);
    if (!put_date(l2 + 13, birth_date)) bad = "birth_date (YYYY-MM-DD)";
    else if (!put_date(l2 + 21, expiry_date)) bad = "expiry_date (YYYY-MM-DD)";
    if (bad) {
        snprintf(err, errlen, "cannot write a TD3 MRZ: bad %s", bad);
        return BEX_ERR_ARG;
    }
    l2[19] = (char)('0' + bex_mrz_check_digit(l2 + 13, 6));
    l2[20] = sex == 'X' ? '<' : sex;
    l2[27] = (char)('0' + bex_mrz_check_digit(l2 + 21, 6));
    put_field(l2 + 28, 14, "");
    l2[42] = '<'; /* an empty personal number's check digit may be '<' or 0 */
    l2[42] = (char)('0' + bex_mrz_check_digit(l2 + 28, 14));
    /* composite: number + check, birth + check, expiry + check, personal number + check */
    char comp[40];
    memcpy(comp, l2, 10);
    memcpy(comp + 10, l2 + 13, 7);
    memcpy(comp + 17, l2 + 21, 22);
    l2[43] = (char)('0' + bex_mrz_check_digit(comp, 39));
    memcpy(out, l1, 44);
    out[44] = '\n';
    memcpy(out + 45, l2, 44);
    out[89] = 0;
    return BEX_OK;
}
