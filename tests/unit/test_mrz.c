/*
 * test_mrz.c - ICAO Doc 9303 MRZs (include/bex/mrz.h): the specimens of Doc 9303 for each
 * format parse with every check digit agreeing; a changed character is reported against
 * exactly the field it breaks; text that is no MRZ is refused with the line and position.
 */
#include "bex/mrz.h"
#include "test.h"

/* Doc 9303's specimen documents (the fictional state of Utopia) */
#define TD3 "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
#define TD1 "I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<"
#define TD2 "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nD231458907UTO7408122F1204159<<<<<<<6"
#define MRVA "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL8988901C4XXX4009078F96121096ZE184226B<<<<<<"
#define MRVB "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nL8988901C4XXX4009078F9612109<<<<<<<<"

TEST(check_digit) {
    CHECK(bex_mrz_check_digit("L898902C3", 9) == 6);
    CHECK(bex_mrz_check_digit("740812", 6) == 2);
    CHECK(bex_mrz_check_digit("120415", 6) == 9);
    CHECK(bex_mrz_check_digit("<<<", 3) == 0);
    CHECK(bex_mrz_check_digit("ab", 2) == -1);
}

TEST(passport_td3) {
    bex_mrz m;
    char err[256];
    CHECK(bex_mrz_parse_at(TD3, "2026-11-26", &m, err, sizeof err) == BEX_OK);
    CHECK(m.format == BEX_MRZ_TD3 && m.n_failed == 0);
    CHECK(!strcmp(m.doc_code, "P") && !strcmp(m.issuing_state, "UTO"));
    CHECK(!strcmp(m.surname, "ERIKSSON") && !strcmp(m.given_names, "ANNA MARIA"));
    CHECK(!strcmp(m.doc_number, "L898902C3") && !strcmp(m.nationality, "UTO"));
    CHECK(!strcmp(m.birth_date, "1974-08-12") && !strcmp(m.expiry_date, "2012-04-15") && m.sex == 'F');
    CHECK(!strcmp(m.optional1, "ZE184226B"));
    /* with a reader's CRLF and a trailing newline */
    CHECK(bex_mrz_parse_at("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\r\nL898902C36UTO7408122F1204159ZE184226B<<<<<10\r\n",
                           "2026-11-26", &m, err, sizeof err) == BEX_OK && m.n_failed == 0);
}

TEST(id_cards_and_visas) {
    bex_mrz m;
    char err[256];
    CHECK(bex_mrz_parse_at(TD1, "2026-11-26", &m, err, sizeof err) == BEX_OK);
    CHECK(m.format == BEX_MRZ_TD1 && m.n_failed == 0 && !strcmp(m.doc_number, "D23145890"));
    CHECK(!strcmp(m.surname, "ERIKSSON") && !strcmp(m.birth_date, "1974-08-12") && !strcmp(m.nationality, "UTO"));
    CHECK(bex_mrz_parse_at(TD2, "2026-11-26", &m, err, sizeof err) == BEX_OK);
    CHECK(m.format == BEX_MRZ_TD2 && m.n_failed == 0 && !strcmp(m.doc_number, "D23145890"));
    CHECK(bex_mrz_parse_at(MRVA, "2026-11-26", &m, err, sizeof err) == BEX_OK);
    CHECK(m.format == BEX_MRZ_MRVA && m.n_failed == 0 && !strcmp(m.doc_number, "L8988901C"));
    CHECK(!strcmp(m.nationality, "XXX") && !strcmp(m.birth_date, "1940-09-07") && !strcmp(m.expiry_date, "1996-12-10"));
    CHECK(bex_mrz_parse_at(MRVB, "2026-11-26", &m, err, sizeof err) == BEX_OK);
    CHECK(m.format == BEX_MRZ_MRVB && m.n_failed == 0 && !strcmp(m.doc_code, "V"));
}

/* each single-character change lands on the field it breaks */
TEST(failed_check_names_the_field) {
    static const struct { int pos; char c; const char *field; } cases[] = {
        {45 + 1, '7', "document_number"}, /* line 2, position 2 */
        {45 + 17, '2', "birth_date"},
        {45 + 24, '3', "expiry_date"},
        {45 + 30, 'X', "optional_data"},
        {45 + 43, '1', "composite"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char t[100];
        snprintf(t, sizeof t, "%s", TD3);
        t[cases[i].pos] = cases[i].c;
        bex_mrz m;
        char err[256];
        CHECK(bex_mrz_parse_at(t, "2026-11-26", &m, err, sizeof err) == BEX_OK);
        CHECK(m.n_failed >= 1 && !strcmp(m.failed[0], cases[i].field));
        /* the composite covers every other field, so it fails with them */
        if (strcmp(cases[i].field, "composite")) CHECK(m.n_failed == 2 && !strcmp(m.failed[1], "composite"));
        else CHECK(m.n_failed == 1);
    }
}

TEST(not_an_mrz) {
    bex_mrz m;
    char err[256];
    CHECK(bex_mrz_parse("", &m, err, sizeof err) == BEX_ERR_FORMAT);
    CHECK(bex_mrz_parse("P<UTOERIKSSON", &m, err, sizeof err) == BEX_ERR_FORMAT && strstr(err, "2 or 3 lines"));
    CHECK(bex_mrz_parse("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<1", &m,
                        err, sizeof err) == BEX_ERR_FORMAT && strstr(err, "44, 43"));
    CHECK(bex_mrz_parse("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226b<<<<<10", &m,
                        err, sizeof err) == BEX_ERR_FORMAT && strstr(err, "line 2, position 37"));
    CHECK(bex_mrz_parse("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7413122F1204159ZE184226B<<<<<10", &m,
                        err, sizeof err) == BEX_ERR_FORMAT && strstr(err, "birth date 741312 is not a date"));
    CHECK(bex_mrz_parse("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122Q1204159ZE184226B<<<<<10", &m,
                        err, sizeof err) == BEX_ERR_FORMAT && strstr(err, "sex must be"));
    CHECK(bex_mrz_parse(TD3 "\n" TD3, &m, err, sizeof err) == BEX_ERR_FORMAT && strstr(err, "more"));
    CHECK(bex_mrz_parse(NULL, &m, err, sizeof err) == BEX_ERR_ARG);
}

TEST(birth_century) {
    bex_mrz m;
    /* born '74: 1974 in 2026; a child born in '20 is 2020, not 1920 */
    const char *child = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO2008122F3004159ZE184226B<<<<<18";
    CHECK(bex_mrz_parse_at(child, "2026-11-26", &m, NULL, 0) == BEX_OK);
    CHECK(!strcmp(m.birth_date, "2020-08-12") && !strcmp(m.expiry_date, "2030-04-15"));
}

/* bex_mrz_make_td3 writes what the parser reads back, check digits and all */
TEST(make_td3) {
    char out[90], err[256];
    bex_mrz m;
    CHECK(bex_mrz_make_td3("P", "UTO", "Eriksson", "Anna Maria", "L898902C3", "UTO", "1974-08-12", 'F',
                           "2012-04-15", out, err, sizeof err) == BEX_OK);
    CHECK(strlen(out) == 89 && out[44] == '\n');
    CHECK(!strncmp(out, "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", 44));
    CHECK(!strncmp(out + 45, "L898902C36UTO7408122F1204159", 28));
    CHECK(bex_mrz_parse_at(out, "2010-01-01", &m, err, sizeof err) == BEX_OK);
    CHECK(m.n_failed == 0 && !strcmp(m.doc_number, "L898902C3") && !strcmp(m.given_names, "ANNA MARIA"));
    CHECK(!strcmp(m.birth_date, "1974-08-12") && m.sex == 'F' && !strcmp(m.expiry_date, "2012-04-15"));
    /* short numbers are padded, 'X' is '<'; a hyphen is a filler, an apostrophe is dropped
     * (Doc 9303 Part 3 4.6: O'CONNOR -> OCONNOR) */
    CHECK(bex_mrz_make_td3("P", "D", "O'Neil-Smith", "", "12", "D", "2019-02-28", 'X', "2031-12-31", out, err,
                           sizeof err) == BEX_OK);
    CHECK(bex_mrz_parse_at(out, "2026-11-27", &m, err, sizeof err) == BEX_OK && m.n_failed == 0);
    CHECK(!strcmp(m.surname, "ONEIL SMITH") && m.sex == 'X' && !strcmp(m.birth_date, "2019-02-28"));
    /* what cannot be written is named */
    CHECK(bex_mrz_make_td3("P", "UTO", "A", "B", "1234567890", "UTO", "1974-08-12", 'F', "2012-04-15", out, err,
                           sizeof err) == BEX_ERR_ARG && strstr(err, "document_number"));
    CHECK(bex_mrz_make_td3("P", "UTO", "A", "B", "123", "UTO", "12-08-1974", 'F', "2012-04-15", out, err,
                           sizeof err) == BEX_ERR_ARG && strstr(err, "birth_date"));
    CHECK(bex_mrz_make_td3("V", "UTO", "A", "B", "123", "UTO", "1974-08-12", 'F', "2012-04-15", out, err,
                           sizeof err) == BEX_ERR_ARG);
}

/* UTF-8 names are transliterated as ICAO 9303 recommends, not written a '<' per byte */
TEST(make_td3_transliterates) {
    char out[90], err[256];
    bex_mrz m;
    CHECK(bex_mrz_make_td3("P", "UTO", "Müller", "Jürgen", "L898902C3", "UTO", "1974-08-12", 'M', "2012-04-15", out,
                           err, sizeof err) == BEX_OK);
    CHECK(!strncmp(out, "P<UTOMUELLER<<JUERGEN<<<<<<<<<<<<<<<<<<<<<<<", 44));
    CHECK(bex_mrz_parse_at(out, "2010-01-01", &m, err, sizeof err) == BEX_OK && m.n_failed == 0);
    CHECK(!strcmp(m.surname, "MUELLER") && !strcmp(m.given_names, "JUERGEN"));
    CHECK(bex_mrz_make_td3("P", "UTO", "Щербаков", "Юлия", "L898902C3", "UTO", "1974-08-12", 'F', "2012-04-15", out,
                           err, sizeof err) == BEX_OK);
    CHECK(!strncmp(out, "P<UTOSHCHERBAKOV<<IULIIA<", 25));
    /* a long name is truncated as Doc 9303 Part 4 4.2.3 shows, ending with a letter */
    CHECK(bex_mrz_make_td3("P", "UTO", "Nilavadhanananda", "Chayapa Dejthamrong Krasuang", "L898902C3", "UTO",
                           "1974-08-12", 'F', "2012-04-15", out, err, sizeof err) == BEX_OK);
    CHECK(!strncmp(out, "P<UTONILAVADHANANANDA<<CHAYAPA<DEJTHAMRONG<K\n", 45));
    /* what has no transliteration is refused, naming the field, the position and the code
     * point, not the name */
    CHECK(bex_mrz_make_td3("P", "UTO", "A中村", "", "L898902C3", "UTO", "1974-08-12", 'F', "2012-04-15", out, err,
                           sizeof err) == BEX_ERR_ARG);
    CHECK(strstr(err, "surname: character 2 (U+4E2D) has no ICAO 9303 transliteration") != NULL);
    CHECK(bex_mrz_make_td3("P", "UTO", "Li", "Bo\xFF", "L898902C3", "UTO", "1974-08-12", 'F', "2012-04-15", out, err,
                           sizeof err) == BEX_ERR_ARG);
    CHECK(strstr(err, "given_names: byte 3 is not valid UTF-8") != NULL);
    CHECK(bex_mrz_make_td3("P", "UTO", "Smith", "John2", "L898902C3", "UTO", "1974-08-12", 'F', "2012-04-15", out, err,
                           sizeof err) == BEX_ERR_ARG && strstr(err, "given_names: character 5"));
    CHECK(bex_mrz_make_td3("P", "UTO", "'-'", "John", "L898902C3", "UTO", "1974-08-12", 'F', "2012-04-15", out, err,
                           sizeof err) == BEX_ERR_ARG && strstr(err, "surname"));
}

int main(void) {
    RUN(check_digit);
    RUN(passport_td3);
    RUN(id_cards_and_visas);
    RUN(failed_check_names_the_field);
    RUN(not_an_mrz);
    RUN(birth_century);
    RUN(make_td3);
    RUN(make_td3_transliterates);
    return test_summary();
}
