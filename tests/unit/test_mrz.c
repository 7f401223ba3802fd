/*
 * test_mrz.c - ICAO Doc 9303 MRZs (include/bex/mrz.h): the specimens of Doc 9303 for each
 * format parse with every check digit agreeing; a changed character is reported against
 * exactly the field it breaks; text that is no MRZ is refused with the line and position.
 */
#include "bex/mrz.h"
#include "test.h"

/* Specimens of the fictional state of Utopia. Where each comes from (ICAO Doc 9303, 8th
 * edition, 2021):
 *   TD2: Part 6, Appendix A, Figure A-1: printed as text in the PDF; the characters here are
 *        the document's.
 *   TD3, TD1: the same identity in Part 4 Appendix B (Figure B-1) and Part 5 Appendices A/B,
 *        but those figures are images in the PDF, not text, so the characters could not be
 *        checked against the document: they are as the readers that quote them have them, and
 *        agree with Part 6's text on every value the formats share.
 *   MRVA, MRVB: not in the 8th edition (an earlier edition's visa, as other readers quote
 *        it); Part 7's own specimens are in doc9303_part7_visas below. */
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

/* ------------------------------------------------------------------ Doc 9303 worked examples */

/* Doc 9303 Part 3, Appendix A ("Examples of check digit calculation"): Example 1, the date
 * 27 July 1952 (520727) -> 3; Example 2, the number AB2134 in a 9-character field -> 5 */
TEST(doc9303_part3_check_digits) {
    CHECK(bex_mrz_check_digit("520727", 6) == 3);
    CHECK(bex_mrz_check_digit("AB2134<<<", 9) == 5);
}

/* Part 3 Appendix A, Examples 3-5: composite check digits. The appendix gives only the lines
 * that carry the composite; the name lines here are made up (names are not in the composite)
 * and YTO is the appendix's code. */
TEST(doc9303_part3_composites) {
    bex_mrz m;
    char err[256];
    /* Example 3, TD3 lower line, positions 1-43: sum 448, digit 8 */
    CHECK(bex_mrz_check_digit("HA672242<658022549601086<<<<<<<<<<<<<<0", 39) == 8);
    CHECK(bex_mrz_parse_at("P<YTOSPECIMEN<<TEST<<<<<<<<<<<<<<<<<<<<<<<<<\n"
                           "HA672242<6YTO5802254M9601086<<<<<<<<<<<<<<08",
                           "2026-12-06", &m, err, sizeof err) == BEX_OK);
    CHECK(m.format == BEX_MRZ_TD3 && m.n_failed == 0 && !strcmp(m.doc_number, "HA672242"));
    /* the personal number's digit is 0 over an empty field (Part 4 4.2.2: 0 or '<') */
    CHECK(!strcmp(m.optional1, "") && !strcmp(m.birth_date, "1958-02-25") && m.sex == 'M');
    /* Example 4, TD1 upper line positions 6-30 and middle line 1-7, 9-15, 19-29: sum 392, digit 2 */
    CHECK(bex_mrz_check_digit("D231458907<<<<<<<<<<<<<<<34071279507122<<<<<<<<<<<", 50) == 2);
    CHECK(bex_mrz_parse_at("I<YTOD231458907<<<<<<<<<<<<<<<\n3407127M9507122YTO<<<<<<<<<<<2\n"
                           "SPECIMEN<<TEST<<<<<<<<<<<<<<<<",
                           "2026-12-06", &m, err, sizeof err) == BEX_OK);
    CHECK(m.format == BEX_MRZ_TD1 && m.n_failed == 0 && !strcmp(m.doc_number, "D23145890"));
    CHECK(!strcmp(m.birth_date, "1934-07-12") && !strcmp(m.expiry_date, "1995-07-12"));
    /* Example 5, TD2 lower line positions 1-35: sum 448, digit 8 */
    CHECK(bex_mrz_check_digit("HA672242<658022549601086<<<<<<<", 31) == 8);
    CHECK(bex_mrz_parse_at("I<YTOSPECIMEN<<TEST<<<<<<<<<<<<<<<<<\nHA672242<6YTO5802254M9601086<<<<<<<8",
                           "2026-12-06", &m, err, sizeof err) == BEX_OK);
    CHECK(m.format == BEX_MRZ_TD2 && m.n_failed == 0);
}

/* Part 6, Appendix A, Figure A-1: the TD2 specimen, printed as text */
TEST(doc9303_part6_td2) {
    bex_mrz m;
    char err[256];
    CHECK(bex_mrz_parse_at(TD2, "2026-12-06", &m, err, sizeof err) == BEX_OK);
    CHECK(m.format == BEX_MRZ_TD2 && m.n_failed == 0 && !strcmp(m.doc_code, "I"));
    CHECK(!strcmp(m.surname, "ERIKSSON") && !strcmp(m.given_names, "ANNA MARIA"));
    CHECK(!strcmp(m.doc_number, "D23145890") && !strcmp(m.nationality, "UTO") && m.sex == 'F');
    CHECK(!strcmp(m.birth_date, "1974-08-12") && !strcmp(m.expiry_date, "2012-04-15"));
    /* the digits it prints: number 7, birth 2, expiry 9, composite 6 */
    CHECK(bex_mrz_check_digit("D23145890", 9) == 7 && bex_mrz_check_digit("740812", 6) == 2 &&
          bex_mrz_check_digit("120415", 6) == 9);
}

/* Part 7, Appendix B, B.1 and B.2: the MRV-A and MRV-B specimens as the 8th edition prints
 * them (number L898902C<, digit 3; birth 690806, 1; expiry 940623, 6; no composite) */
TEST(doc9303_part7_visas) {
    bex_mrz m;
    char err[256];
    CHECK(bex_mrz_parse_at("V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n"
                           "L898902C<3UTO6908061F9406236ZE184226B<<<<<<<",
                           "2026-12-06", &m, err, sizeof err) == BEX_OK);
    CHECK(m.format == BEX_MRZ_MRVA && m.n_failed == 0 && !strcmp(m.doc_number, "L898902C"));
    CHECK(!strcmp(m.birth_date, "1969-08-06") && !strcmp(m.expiry_date, "1994-06-23"));
    CHECK(!strcmp(m.optional1, "ZE184226B") && !strcmp(m.surname, "ERIKSSON"));
    CHECK(bex_mrz_parse_at("V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nL898902C<3UTO6908061F9406236ZE184226",
                           "2026-12-06", &m, err, sizeof err) == BEX_OK);
    CHECK(m.format == BEX_MRZ_MRVB && m.n_failed == 0 && !strcmp(m.optional1, "ZE184226"));
}

/* Part 11, Appendix D.2 (the MRZs Basic Access Control's worked example starts from). Two
 * hold a document number longer than 9 characters, continued in the optional data: read as
 * Part 5 and Part 6 4.2.2 note j say, D23145890734 with digit 9. */
TEST(doc9303_part11_long_numbers) {
    bex_mrz m;
    char err[256];
    CHECK(bex_mrz_parse_at("I<UTOD23145890<7349<<<<<<<<<<<\n3407127M9507122UTO<<<<<<<<<<<2\n"
                           "STEVENSON<<PETER<JOHN<<<<<<<<<",
                           "2026-12-06", &m, err, sizeof err) == BEX_OK);
    CHECK(m.format == BEX_MRZ_TD1 && m.n_failed == 0 && !strcmp(m.doc_number, "D23145890734"));
    CHECK(!strcmp(m.optional1, "") && !strcmp(m.birth_date, "1934-07-12") && m.sex == 'M');
    /* TD2: bex read this one's number as D23145890 with a failed check before (fixed) */
    CHECK(bex_mrz_parse_at("I<UTOSTEVENSON<<PETER<JOHN<<<<<<<<<<\nD23145890<UTO3407127M95071227349<<<8",
                           "2026-12-06", &m, err, sizeof err) == BEX_OK);
    CHECK(m.format == BEX_MRZ_TD2 && m.n_failed == 0 && !strcmp(m.doc_number, "D23145890734"));
    CHECK(!strcmp(m.optional1, "") && !strcmp(m.expiry_date, "1995-07-12"));
    /* the continued number's own digit is checked */
    CHECK(bex_mrz_parse_at("I<UTOSTEVENSON<<PETER<JOHN<<<<<<<<<<\nD23145890<UTO3407127M95071227348<<<8",
                           "2026-12-06", &m, err, sizeof err) == BEX_OK);
    CHECK(m.n_failed == 2 && !strcmp(m.failed[0], "document_number") && !strcmp(m.failed[1], "composite"));
    /* optional data after the number and its filler */
    CHECK(bex_mrz_parse_at("I<UTOSTEVENSON<<PETER<JOHN<<<<<<<<<<\nD23145890<UTO3407127M95071227349<AB2",
                           "2026-12-06", &m, err, sizeof err) == BEX_OK);
    CHECK(!strcmp(m.doc_number, "D23145890734") && !strcmp(m.optional1, "AB"));
    CHECK(bex_mrz_parse_at("I<UTOD23145890<7349<XY<<<<<<<<\n3407127M9507122UTO<<<<<<<<<<<2\n"
                           "STEVENSON<<PETER<JOHN<<<<<<<<<",
                           "2026-12-06", &m, err, sizeof err) == BEX_OK);
    CHECK(!strcmp(m.doc_number, "D23145890734") && !strcmp(m.optional1, "XY"));
    /* the appendix's two 9-character MRZs print composite digits their fields do not give
     * (TD1 1, TD2 8; the fields give 2 for both): read, every other digit agreeing, the
     * composite reported as failed */
    CHECK(bex_mrz_parse_at("I<UTOL898902C<3<<<<<<<<<<<<<<<\n6908061F9406236UTO<<<<<<<<<<<1\n"
                           "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
                           "2026-12-06", &m, err, sizeof err) == BEX_OK);
    CHECK(m.format == BEX_MRZ_TD1 && !strcmp(m.doc_number, "L898902C"));
    CHECK(m.n_failed == 1 && !strcmp(m.failed[0], "composite"));
    CHECK(bex_mrz_parse_at("I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nL898902C<3UTO6908061F9406236<<<<<<<8",
                           "2026-12-06", &m, err, sizeof err) == BEX_OK);
    CHECK(m.format == BEX_MRZ_TD2 && m.n_failed == 1 && !strcmp(m.failed[0], "composite"));
    CHECK(bex_mrz_check_digit("L898902C<369080619406236<<<<<<<", 31) == 2);
    CHECK(bex_mrz_check_digit("L898902C<3<<<<<<<<<<<<<<<69080619406236<<<<<<<<<<<", 50) == 2);
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
    RUN(doc9303_part3_check_digits);
    RUN(doc9303_part3_composites);
    RUN(doc9303_part6_td2);
    RUN(doc9303_part7_visas);
    RUN(doc9303_part11_long_numbers);
    return test_summary();
}
