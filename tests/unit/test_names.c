/*
 * test_names.c - travellers' names (include/bex/names.h): ICAO Doc 9303 transliteration of
 * UTF-8 names, table by table; the MRZ name field with Doc 9303 Part 4's truncation examples;
 * the comparison's verdicts, each with names that must reach it and names that must not; and
 * errors that name positions, never the name.
 */
#include "bex/names.h"
#include "test.h"

/* ---- transliteration ---- */

static const struct {
    const char *in, *out;
} translit_cases[] = {
    /* table A, the German and Nordic letters: Doc 9303's first choice */
    {"Müller", "MUELLER"},
    {"Jürgen", "JUERGEN"},
    {"Björk Guðmundsdóttir", "BJOERK GUDMUNDSDOTTIR"},
    {"Åse Ærø", "AASE AEROE"},
    {"Øyvind", "OEYVIND"},
    {"Þórunn", "THORUNN"},
    {"Straße", "STRASSE"},
    {"STRAẞE", "STRASSE"},
    /* table A, the rest of Latin-1 and Latin Extended-A */
    {"Peña Núñez", "PENA NUNEZ"},
    {"Éloïse Françoise", "ELOISE FRANCOISE"},
    {"Łukasz Żółć", "LUKASZ ZOLC"},
    {"Dvořák", "DVORAK"},
    {"Ĳsselmeer", "IJSSELMEER"},
    {"Œuvray", "OEUVRAY"},
    {"Şahin Işık", "SAHIN ISIK"},
    {"İnönü", "INOENUE"},
    {"Đorđe Ŋ", "DORDE N"},
    {"ŸVES", "YVES"},
    /* added: Romanian comma-below letters */
    {"Ștefănescu Țepeș", "STEFANESCU TEPES"},
    /* table B, Cyrillic */
    {"Жуков", "ZHUKOV"},
    {"Щербаков", "SHCHERBAKOV"},
    {"Юлия", "IULIIA"},
    {"Ярослав", "IAROSLAV"},
    {"Хрущёв", "KHRUSHCHEV"},
    {"Цой", "TSOI"},
    {"Подъячев", "PODIEIACHEV"},
    {"Игорь", "IGOR"},           /* Ь omitted (added) */
    {"Ђоковић", "DOKOVIC"},      /* Ђ = D (table B), ћ = C (added) */
    {"Љиљана Њего Џаја", "LJILJANA NJEGO DZAJA"},
    {"Євгенія Ґонта Ї", "IEVGENIIA GONTA I"},
    /* combining marks (NFD): the composed letter */
    {"Mu\xCC\x88ller", "MUELLER"},
    {"A\xCC\x8A" "sa", "AASA"},
    {"Jose\xCC\x81", "JOSE"},
    {"\xD0\x98\xCC\x86", "I"}, /* И + breve = Й */
    /* Doc 9303 4.6: punctuation */
    {"O'Neil", "ONEIL"},
    {"D\xE2\x80\x99" "Artagnan", "DARTAGNAN"}, /* typographic apostrophe */
    {"Anna-Maria", "ANNA MARIA"},
    {"Smith, Jr.", "SMITH JR"},
    {"St. John", "ST JOHN"},
    {"  anna \t  maria  ", "ANNA MARIA"},
    {"ERIKSSON<<ANNA<MARIA<<<", "ERIKSSON ANNA MARIA"},
    {"Anna\xE2\x80\x90Maria", "ANNA MARIA"}, /* U+2010 hyphen */
    {"", ""},
    {"-- ' --", ""},
};

TEST(transliterates_the_tables) {
    for (size_t i = 0; i < sizeof translit_cases / sizeof translit_cases[0]; i++) {
        char out[BEX_NAME_MRZ_MAX], err[256] = "";
        int rc = bex_name_to_mrz(translit_cases[i].in, out, sizeof out, err, sizeof err);
        if (rc != BEX_OK || strcmp(out, translit_cases[i].out)) {
            printf("  case %zu: want \"%s\", got rc %d \"%s\" (%s)\n", i, translit_cases[i].out, rc,
                   rc == BEX_OK ? out : "", err);
            CHECK(0);
        }
    }
}

static const struct {
    const char *in;
    int rc;
    const char *msg; /* the message must hold this */
} refused_cases[] = {
    {"Smith2", BEX_ERR_FORMAT, "character 6 (U+0032) is a digit"},
    {"中村", BEX_ERR_FORMAT, "character 1 (U+4E2D) has no ICAO 9303 transliteration"},
    {"Li中", BEX_ERR_FORMAT, "character 3 (U+4E2D) has no ICAO 9303 transliteration"},
    {"Ωmega", BEX_ERR_FORMAT, "character 1 (U+03A9)"},                  /* Greek: no table */
    {"\xD9\x85\xD8\xAD\xD9\x85\xD8\xAF", BEX_ERR_FORMAT, "(U+0645)"},   /* Arabic: not done */
    {"M\xFCller", BEX_ERR_FORMAT, "byte 2 is not valid UTF-8"},         /* Latin-1, not UTF-8 */
    {"Ab\xC3", BEX_ERR_FORMAT, "byte 3 is not valid UTF-8"},            /* cut short */
    {"\xC0\xAF", BEX_ERR_FORMAT, "byte 1 is not valid UTF-8"},          /* overlong '/' */
    {"A\xED\xA0\x80", BEX_ERR_FORMAT, "byte 2 is not valid UTF-8"},     /* a surrogate */
    {"A\xF4\x90\x80\x80", BEX_ERR_FORMAT, "byte 2 is not valid UTF-8"}, /* past U+10FFFF */
    {"Qx\xCC\x88", BEX_ERR_FORMAT, "character 3 (U+0308)"},             /* x + diaeresis: none */
    {"\xCC\x81" "A", BEX_ERR_FORMAT, "character 1 (U+0301)"},           /* a mark on nothing */
    {"A \xCC\x81", BEX_ERR_FORMAT, "character 3 (U+0301)"},             /* ... or on a space */
    {"Bad\x01", BEX_ERR_FORMAT, "character 4 (U+0001)"},
};

TEST(refuses_with_the_position_not_the_name) {
    for (size_t i = 0; i < sizeof refused_cases / sizeof refused_cases[0]; i++) {
        char out[BEX_NAME_MRZ_MAX] = "untouched", err[256] = "";
        int rc = bex_name_to_mrz(refused_cases[i].in, out, sizeof out, err, sizeof err);
        if (rc != refused_cases[i].rc || !strstr(err, refused_cases[i].msg)) {
            printf("  case %zu: want %d \"%s\", got %d \"%s\"\n", i, refused_cases[i].rc, refused_cases[i].msg, rc, err);
            CHECK(0);
        }
        CHECK(!strcmp(out, "untouched")); /* outputs only on success */
        CHECK(!strstr(err, "Smith") && !strstr(err, "ller") && !strstr(err, "mega"));
        CHECK(bex_name_check(refused_cases[i].in, err, sizeof err) == refused_cases[i].rc);
    }
}

TEST(limits) {
    char name[BEX_NAME_MAX_BYTES + 2], out[BEX_NAME_MRZ_MAX], err[256];
    memset(name, 'A', BEX_NAME_MAX_BYTES);
    name[BEX_NAME_MAX_BYTES] = 0;
    CHECK(bex_name_to_mrz(name, out, sizeof out, err, sizeof err) == BEX_OK && strlen(out) == BEX_NAME_MAX_BYTES);
    strcat(name, "A");
    CHECK(bex_name_to_mrz(name, out, sizeof out, err, sizeof err) == BEX_ERR_LIMIT && strstr(err, "256 bytes"));
    /* the worst growth, Щ (2 bytes) -> SHCH, fits BEX_NAME_MRZ_MAX */
    char shch[BEX_NAME_MAX_BYTES + 1] = "";
    for (int i = 0; i < BEX_NAME_MAX_BYTES / 2; i++) strcat(shch, "Щ");
    CHECK(bex_name_to_mrz(shch, out, sizeof out, err, sizeof err) == BEX_OK && strlen(out) == 2 * BEX_NAME_MAX_BYTES);
    /* a small buffer: BEX_ERR_LIMIT, nothing written */
    char small[7] = "xxxxxx";
    CHECK(bex_name_to_mrz("Müller", small, sizeof small, err, sizeof err) == BEX_ERR_LIMIT);
    CHECK(!strcmp(small, "xxxxxx"));
    CHECK(bex_name_to_mrz(NULL, out, sizeof out, err, sizeof err) == BEX_ERR_ARG);
}

TEST(check_for_early_validation) {
    char err[256];
    CHECK(bex_name_check("Müller", err, sizeof err) == BEX_OK);
    CHECK(bex_name_check("Щербаков", err, sizeof err) == BEX_OK);
    CHECK(bex_name_check("'-'", err, sizeof err) == BEX_ERR_FORMAT && strstr(err, "no letters"));
    CHECK(bex_name_check("", err, sizeof err) == BEX_ERR_FORMAT);
    CHECK(bex_name_check("中", err, sizeof err) == BEX_ERR_FORMAT && strstr(err, "U+4E2D"));
}

/* ---- the MRZ name field ---- */

static const struct {
    const char *surname, *given;
    int width;
    const char *field;
    int truncated;
} field_cases[] = {
    {"Eriksson", "Anna Maria", 39, "ERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", 0},
    {"Müller", "Jürgen", 39, "MUELLER<<JUERGEN<<<<<<<<<<<<<<<<<<<<<<<", 0},
    {"Smith-Jones", "Susie Margaret", 39, "SMITH<JONES<<SUSIE<MARGARET<<<<<<<<<<<<", 0}, /* Part 4 c */
    {"O'Connor", "Enya Siobhan", 39, "OCONNOR<<ENYA<SIOBHAN<<<<<<<<<<<<<<<<<<", 0},   /* Part 4 d */
    {"Arkfreith", NULL, 39, "ARKFREITH<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<", 0},         /* Part 4 f */
    /* Part 4 4.2.3.4: fits exactly, not truncated */
    {"Papandropoulous", "Jonathon Warren Trevor", 39, "PAPANDROPOULOUS<<JONATHON<WARREN<TREVOR", 0},
    /* Part 4 4.2.3.2 a and b: the secondary identifier cut */
    {"Nilavadhanananda", "Chayapa Dejthamrong Krasuang", 39, "NILAVADHANANANDA<<CHAYAPA<DEJTHAMRONG<K", 1},
    {"Nilavadhanananda", "Arnpol Petch Charonguang", 39, "NILAVADHANANANDA<<ARNPOL<PETCH<CHARONGU", 1},
    /* Part 4 4.2.3.3: a primary identifier too long keeps room for << and an initial */
    {"Bennelong Wooloomooloo Warrandyte Warnambool", "Dingo Potoroo", 39,
     "BENNELONG<WOOLOOMOOLOO<WARRANDYTE<WA<<D", 1},
    /* a cut that would end on a filler ends with the next part's initial instead */
    {"Abcdefghijklmnopqrstuvwxyz", "Abcdefghij Klm", 39, "ABCDEFGHIJKLMNOPQRSTUVWXYZ<<ABCDEFGHI<K", 1},
    {"Abcdefghijklmnopqrstuvwxyzabcdefghijkl", "Mary", 39, "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJ<<M", 1},
    {"Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa Bbbbb", NULL, 39, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA<B", 1},
    /* TD1 (30) and TD2 (31) */
    {"Eriksson", "Anna Maria", 30, "ERIKSSON<<ANNA<MARIA<<<<<<<<<<", 0},
    {"Nilavadhanananda", "Chayapa Dejthamrong", 30, "NILAVADHANANANDA<<CHAYAPA<DEJT", 1},
    {"Nilavadhanananda", "Chayapa Dejthamrong", 31, "NILAVADHANANANDA<<CHAYAPA<DEJTH", 1},
};

TEST(mrz_field_and_truncation) {
    for (size_t i = 0; i < sizeof field_cases / sizeof field_cases[0]; i++) {
        char out[40], err[256] = "";
        int trunc = -1;
        int rc = bex_name_mrz_field(field_cases[i].surname, field_cases[i].given, field_cases[i].width, out, &trunc,
                                    err, sizeof err);
        if (rc != BEX_OK || strcmp(out, field_cases[i].field) || trunc != field_cases[i].truncated) {
            printf("  case %zu: want %s (%d), got rc %d %s (%d) %s\n", i, field_cases[i].field, field_cases[i].truncated,
                   rc, rc == BEX_OK ? out : "", trunc, err);
            CHECK(0);
        }
        /* a truncated field ends with a letter: the sign Doc 9303 reads as possible truncation */
        if (rc == BEX_OK && trunc) CHECK(out[field_cases[i].width - 1] >= 'A' && out[field_cases[i].width - 1] <= 'Z');
    }
    char out[40] = "untouched", err[256];
    CHECK(bex_name_mrz_field("中", "", 39, out, NULL, err, sizeof err) == BEX_ERR_FORMAT &&
          !strcmp(err, "surname: character 1 (U+4E2D) has no ICAO 9303 transliteration"));
    CHECK(bex_name_mrz_field("Li", "Bo2", 39, out, NULL, err, sizeof err) == BEX_ERR_FORMAT &&
          strstr(err, "given_names: character 3 (U+0032) is a digit"));
    CHECK(bex_name_mrz_field("'-'", "Anna", 39, out, NULL, err, sizeof err) == BEX_ERR_ARG && strstr(err, "surname"));
    CHECK(bex_name_mrz_field("A", "B", 3, out, NULL, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_name_mrz_field("A", "B", 40, out, NULL, err, sizeof err) == BEX_ERR_ARG);
    CHECK(!strcmp(out, "untouched"));
}

/* ---- comparison ---- */

static const struct {
    const char *sa, *ga, *sb, *gb;
    bex_name_verdict v;
} compare_cases[] = {
    /* same: case, hyphens, spaces, apostrophes */
    {"ERIKSSON", "ANNA MARIA", "Eriksson", "Anna-Maria", BEX_NAME_SAME},
    {"Eriksson", "Anna Maria", "ERIKSSON", "ANNAMARIA", BEX_NAME_SAME},
    {"O'Neil", "Sean", "ONEIL", "SEAN", BEX_NAME_SAME},
    {"O'Neil", "Sean", "O NEIL", "SEAN", BEX_NAME_SAME},
    {"Müller", "Jürgen", "MÜLLER", "JÜRGEN", BEX_NAME_SAME},
    {"Mu\xCC\x88ller", "", "MÜLLER", "", BEX_NAME_SAME}, /* NFD and NFC */
    {"Straße", "", "STRAẞE", "", BEX_NAME_SAME},
    {"ERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", NULL, "Eriksson", "Anna Maria", BEX_NAME_SAME},
    /* transliteration: diacritics against their ICAO form, and ICAO's alternatives */
    {"Müller", "Jürgen", "MUELLER", "JUERGEN", BEX_NAME_TRANSLITERATION},
    {"MUELLER", "JUERGEN", "MULLER", "JURGEN", BEX_NAME_TRANSLITERATION},
    {"Müller", "Jürgen", "MULLER", "JURGEN", BEX_NAME_TRANSLITERATION},
    {"Åberg", "", "AABERG", "", BEX_NAME_TRANSLITERATION},
    {"Åberg", "", "ABERG", "", BEX_NAME_TRANSLITERATION},
    {"Peña", "", "PENXXA", "", BEX_NAME_TRANSLITERATION},
    {"Straße", "", "STRASSE", "", BEX_NAME_TRANSLITERATION},
    {"Щербаков", "Юлия", "SHCHERBAKOV", "IULIIA", BEX_NAME_TRANSLITERATION},
    {"Łukasz", "Żółć", "LUKASZ", "ZOLC", BEX_NAME_TRANSLITERATION},
    /* order */
    {"ANNA MARIA", "ERIKSSON", "ERIKSSON", "ANNA MARIA", BEX_NAME_ORDER},
    {"Jürgen", "Müller", "MULLER", "JURGEN", BEX_NAME_ORDER},
    {"ERIKSSON", "MARIA ANNA", "ERIKSSON", "ANNA MARIA", BEX_NAME_ORDER},
    {"ERIKSSON ANNA", "MARIA", "ERIKSSON", "ANNA MARIA", BEX_NAME_ORDER},
    {"", "ANNA ERIKSSON", "ERIKSSON", "ANNA", BEX_NAME_ORDER},
    /* truncated: Doc 9303 Part 4's examples against the full names */
    {"NILAVADHANANANDA", "CHAYAPA DEJTHAMRONG K", "Nilavadhanananda", "Chayapa Dejthamrong Krasuang",
     BEX_NAME_TRUNCATED},
    {"NILAVADHANANANDA<<ARNPOL<PETCH<CHARONGU", NULL, "Nilavadhanananda", "Arnpol Petch Charonguang",
     BEX_NAME_TRUNCATED},
    {"BENNELONG WOOLOOMOOLOO WARRANDYTE W", "DI", "Bennelong Wooloomooloo Warrandyte Warnambool",
     "Dingo Potoroo", BEX_NAME_TRUNCATED},
    {"BENNELONG WOOLOOM WARRAND WARNAM", "DINGO", "Bennelong Wooloomooloo Warrandyte Warnambool", "Dingo Potoroo",
     BEX_NAME_TRUNCATED},
    {"BENNEL WOOLOO WARRAN WARNAM", "DINGO POTO", "Bennelong Wooloomooloo Warrandyte Warnambool", "Dingo Potoroo",
     BEX_NAME_TRUNCATED},
    /* a TD1's 30 characters against a passport's full name, with an umlaut on one side */
    {"NILAVADHANANANDA<<CHAYAPA<DEJT", NULL, "Nilavadhanananda", "Chayapa Dejthamröng", BEX_NAME_TRUNCATED},
    /* given names missing, or some of them */
    {"ERIKSSON", "", "ERIKSSON", "ANNA MARIA", BEX_NAME_GIVEN_NAMES_MISSING},
    {"Müller", NULL, "MUELLER", "JUERGEN", BEX_NAME_GIVEN_NAMES_MISSING},
    {"ERIKSSON", "ANNA", "ERIKSSON", "ANNA MARIA", BEX_NAME_GIVEN_NAMES_MISSING},
    /* different */
    {"ERIKSSON", "ANNA", "ERIKSON", "ANNA", BEX_NAME_DIFFERENT},   /* a letter dropped */
    {"ERIKSSON", "ANNA", "ERIKSSEN", "ANNA", BEX_NAME_DIFFERENT},  /* a letter changed */
    {"ERIKSSON", "ANNA", "ERIKSSON", "HANNA", BEX_NAME_DIFFERENT}, /* given names differ */
    {"ERIKSSON", "ANNA", "ERIKSSON", "ANNE MARIA", BEX_NAME_DIFFERENT},
    {"SMITH", "JOHN", "JONES", "JOHN", BEX_NAME_DIFFERENT},
    {"Müller", "", "MILLER", "", BEX_NAME_DIFFERENT},
    {"Müller", "Jürgen", "MULLER", "", BEX_NAME_GIVEN_NAMES_MISSING},
    {"ERIKSSON", "", "ANNA", "", BEX_NAME_DIFFERENT},
    {"ANNA", "", "ANNABELLE", "", BEX_NAME_DIFFERENT}, /* a prefix, but no MRZ field's width */
    {"NILAVADHANANANDA", "CHAYAPA DEJTHAMRONG X", "Nilavadhanananda", "Chayapa Dejthamrong Krasuang",
     BEX_NAME_DIFFERENT}, /* 39 characters, but not the start of the other */
    {"ERIKSSON", "ANNA", "SMITH", "ERIKSSON ANNA", BEX_NAME_DIFFERENT},
};

TEST(compare_verdicts) {
    for (size_t i = 0; i < sizeof compare_cases / sizeof compare_cases[0]; i++) {
        bex_name_match m, r;
        char err[256] = "";
        int rc = bex_name_compare(compare_cases[i].sa, compare_cases[i].ga, compare_cases[i].sb, compare_cases[i].gb,
                                  &m, err, sizeof err);
        if (rc != BEX_OK || m.verdict != compare_cases[i].v) {
            printf("  case %zu: want %s, got rc %d %s (%s) %s\n", i, bex_name_verdict_name(compare_cases[i].v), rc,
                   rc == BEX_OK ? bex_name_verdict_name(m.verdict) : "-", rc == BEX_OK ? m.reason : "", err);
            CHECK(0);
            continue;
        }
        CHECK(m.reason && m.reason[0]);
        /* symmetric in a and b */
        CHECK(bex_name_compare(compare_cases[i].sb, compare_cases[i].gb, compare_cases[i].sa, compare_cases[i].ga, &r,
                               err, sizeof err) == BEX_OK &&
              r.verdict == m.verdict);
        /* a name agrees with itself */
        CHECK(bex_name_compare(compare_cases[i].sa, compare_cases[i].ga, compare_cases[i].sa, compare_cases[i].ga, &r,
                               err, sizeof err) == BEX_OK &&
              r.verdict == BEX_NAME_SAME);
    }
}

TEST(reasons_for_an_officer) {
    bex_name_match m;
    char err[256];
    CHECK(bex_name_compare("Müller", "Jürgen", "MUELLER", "JUERGEN", &m, err, sizeof err) == BEX_OK);
    CHECK(!strcmp(m.reason, "names agree after ICAO 9303 transliteration"));
    CHECK(bex_name_compare("MUELLER", "JUERGEN", "MULLER", "JURGEN", &m, err, sizeof err) == BEX_OK);
    CHECK(strstr(m.reason, "alternative transliterations") != NULL);
    CHECK(bex_name_compare("ANNA", "ERIKSSON", "ERIKSSON", "ANNA", &m, err, sizeof err) == BEX_OK);
    CHECK(!strcmp(m.reason, "surname and given names are swapped"));
    CHECK(bex_name_compare("ERIKSSON", "MARIA ANNA", "ERIKSSON", "ANNA MARIA", &m, err, sizeof err) == BEX_OK);
    CHECK(!strcmp(m.reason, "given names in another order"));
    CHECK(bex_name_compare("ERIKSSON", "ANNA", "ERIKSSON", "HANNA", &m, err, sizeof err) == BEX_OK);
    CHECK(!strcmp(m.reason, "surnames agree, given names differ"));
    CHECK(bex_name_compare("ERIKSSON", "ANNA", "SMITH", "ANNA", &m, err, sizeof err) == BEX_OK);
    CHECK(!strcmp(m.reason, "surnames differ"));
    CHECK(!strstr(m.reason, "ERIKSSON") && !strstr(m.reason, "SMITH"));
}

TEST(compare_errors) {
    bex_name_match m = {BEX_NAME_SAME, "untouched"};
    char err[256];
    CHECK(bex_name_compare("中村", "", "NAKAMURA", "", &m, err, sizeof err) == BEX_ERR_FORMAT);
    CHECK(!strcmp(err, "surname_a: character 1 (U+4E2D) has no ICAO 9303 transliteration"));
    CHECK(bex_name_compare("Li", "", "LI", "B\xFF", &m, err, sizeof err) == BEX_ERR_FORMAT);
    CHECK(!strcmp(err, "given_names_b: byte 2 is not valid UTF-8"));
    CHECK(bex_name_compare("---", "", "A", "", &m, err, sizeof err) == BEX_ERR_ARG && strstr(err, "name a has no letters"));
    CHECK(bex_name_compare(NULL, "", "A", "", &m, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_name_compare("A", "", "A", "", NULL, err, sizeof err) == BEX_ERR_ARG);
    CHECK(m.verdict == BEX_NAME_SAME && !strcmp(m.reason, "untouched")); /* outputs only on success */
    /* a zeroed match reads as different */
    bex_name_match zero;
    memset(&zero, 0, sizeof zero);
    CHECK(zero.verdict == BEX_NAME_DIFFERENT);
}

TEST(verdict_names) {
    CHECK(!strcmp(bex_name_verdict_name(BEX_NAME_DIFFERENT), "different"));
    CHECK(!strcmp(bex_name_verdict_name(BEX_NAME_SAME), "same"));
    CHECK(!strcmp(bex_name_verdict_name(BEX_NAME_TRANSLITERATION), "transliteration"));
    CHECK(!strcmp(bex_name_verdict_name(BEX_NAME_ORDER), "order"));
    CHECK(!strcmp(bex_name_verdict_name(BEX_NAME_TRUNCATED), "truncated"));
    CHECK(!strcmp(bex_name_verdict_name(BEX_NAME_GIVEN_NAMES_MISSING), "given_names_missing"));
    CHECK(!strcmp(bex_name_verdict_name(-1), "unknown") && !strcmp(bex_name_verdict_name(6), "unknown"));
    CHECK(!bex_name_verdict_agrees(BEX_NAME_DIFFERENT) && !bex_name_verdict_agrees(99));
    for (int v = BEX_NAME_SAME; v <= BEX_NAME_GIVEN_NAMES_MISSING; v++) CHECK(bex_name_verdict_agrees(v));
}

/* the field bex_name_mrz_field writes agrees, as TRUNCATED, with the name it was cut from */
TEST(field_round_trip) {
    for (size_t i = 0; i < sizeof field_cases / sizeof field_cases[0]; i++) {
        char out[40], err[256];
        int trunc = 0;
        bex_name_match m;
        CHECK(bex_name_mrz_field(field_cases[i].surname, field_cases[i].given, field_cases[i].width, out, &trunc, err,
                                 sizeof err) == BEX_OK);
        CHECK(bex_name_compare(out, NULL, field_cases[i].surname, field_cases[i].given, &m, err, sizeof err) == BEX_OK);
        if (trunc) CHECK(m.verdict == BEX_NAME_TRUNCATED);
        else CHECK(m.verdict == BEX_NAME_SAME || m.verdict == BEX_NAME_TRANSLITERATION);
    }
}

int main(void) {
    RUN(transliterates_the_tables);
    RUN(refuses_with_the_position_not_the_name);
    RUN(limits);
    RUN(check_for_early_validation);
    RUN(mrz_field_and_truncation);
    RUN(compare_verdicts);
    RUN(reasons_for_an_officer);
    RUN(compare_errors);
    RUN(verdict_names);
    RUN(field_round_trip);
    return test_summary();
}
