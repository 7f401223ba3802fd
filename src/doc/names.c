/*
 * names.c - travellers' names in ICAO Doc 9303's form (include/bex/names.h): UTF-8 decoding,
 * the transliteration table, the MRZ name field with its truncation, and the tolerant
 * comparison of two names.
 *
 * Followed: ICAO Doc 9303 "Machine Readable Travel Documents", 8th edition (2021),
 *   Part 3 section 6 "Transliterations recommended for use by States": table A (multinational
 *     Latin-based characters) and table B (Cyrillic characters), below as `table`;
 *   Part 3 section 4.6: no digits in an MRZ name; an apostrophe is omitted and the parts on
 *     either side joined (D'ARTAGNAN -> DARTAGNAN); a hyphen or a comma between parts is one
 *     filler (MARIE-ELISE -> MARIE<ELISE); all other punctuation is omitted;
 *   Part 4 section 4.2.3: truncation of a name longer than the 39 positions of a TD3.
 * (https://www.icao.int/publications/Documents/9303_p3_cons_en.pdf and 9303_p4_cons_en.pdf)
 * Table C and Appendix B (Arabic script) are not implemented: Arabic names are refused.
 */
#include "bex/names.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util/util.h"

/* ---- the transliteration table ---- */

typedef struct translit {
    uint16_t upper, lower; /* the character's code points (0: none in that case) */
    const char *mrz;       /* Doc 9303's recommended transliteration (its first choice) */
    uint16_t base, mark;   /* the canonical decomposition (base upper-case letter + combining
                            * mark), so that NFD input (U + U+0308) reads as NFC (Ü); 0 if none */
} translit;

/* Doc 9303 Part 3 section 6 tables A and B, in their order. Where Doc 9303 offers a choice the
 * first is written (Ä "AE or A", Å "AA or A", Ñ "N or NXX", Ö "OE or O", Ü "UE or UXX or U");
 * bex_name_compare accepts the others. Table B's language-specific exceptions (Ukrainian
 * Г = H, И = Y; Serbian Ж = Z; Bulgarian Щ = SHT; ...) are not applied: the language of a name
 * is not known here. The tables list upper case; each lower-case form is the same letter.
 * Additions, each marked "added":
 *   - ß (U+00DF), the lower case of table A's ẞ (U+1E9E): SS;
 *   - Ș, Ț (U+0218, U+021A), the Romanian comma-below letters Unicode keeps apart from table
 *     A's cedilla forms Ş, Ţ: S, T;
 *   - Ь (U+042C, soft sign), absent from table B: omitted, as Russian passports omit it
 *     (ИГОРЬ -> IGOR);
 *   - Ћ (U+040B) = C and Ѓ (U+0403) = G: table B's rows "04BA Һ C" and "0492 Ғ G (Macedonian
 *     GJ)" stand for these Serbian and Macedonian letters (the earlier editions' tables give
 *     Serbian Ћ = C and Macedonian Ѓ = G / GJ); the rows are kept as printed as well. */
static const translit table[] = {
    /* table A: Latin-1 Supplement */
    {0x00C0, 0x00E0, "A", 'A', 0x0300},  {0x00C1, 0x00E1, "A", 'A', 0x0301},
    {0x00C2, 0x00E2, "A", 'A', 0x0302},  {0x00C3, 0x00E3, "A", 'A', 0x0303},
    {0x00C4, 0x00E4, "AE", 'A', 0x0308}, {0x00C5, 0x00E5, "AA", 'A', 0x030A},
    {0x00C6, 0x00E6, "AE", 0, 0},        {0x00C7, 0x00E7, "C", 'C', 0x0327},
    {0x00C8, 0x00E8, "E", 'E', 0x0300},  {0x00C9, 0x00E9, "E", 'E', 0x0301},
    {0x00CA, 0x00EA, "E", 'E', 0x0302},  {0x00CB, 0x00EB, "E", 'E', 0x0308},
    {0x00CC, 0x00EC, "I", 'I', 0x0300},  {0x00CD, 0x00ED, "I", 'I', 0x0301},
    {0x00CE, 0x00EE, "I", 'I', 0x0302},  {0x00CF, 0x00EF, "I", 'I', 0x0308},
    {0x00D0, 0x00F0, "D", 0, 0},         {0x00D1, 0x00F1, "N", 'N', 0x0303},
    {0x00D2, 0x00F2, "O", 'O', 0x0300},  {0x00D3, 0x00F3, "O", 'O', 0x0301},
    {0x00D4, 0x00F4, "O", 'O', 0x0302},  {0x00D5, 0x00F5, "O", 'O', 0x0303},
    {0x00D6, 0x00F6, "OE", 'O', 0x0308}, {0x00D8, 0x00F8, "OE", 0, 0},
    {0x00D9, 0x00F9, "U", 'U', 0x0300},  {0x00DA, 0x00FA, "U", 'U', 0x0301},
    {0x00DB, 0x00FB, "U", 'U', 0x0302},  {0x00DC, 0x00FC, "UE", 'U', 0x0308},
    {0x00DD, 0x00FD, "Y", 'Y', 0x0301},  {0x00DE, 0x00FE, "TH", 0, 0},
    /* table A: Latin Extended-A */
    {0x0100, 0x0101, "A", 'A', 0x0304},  {0x0102, 0x0103, "A", 'A', 0x0306},
    {0x0104, 0x0105, "A", 'A', 0x0328},  {0x0106, 0x0107, "C", 'C', 0x0301},
    {0x0108, 0x0109, "C", 'C', 0x0302},  {0x010A, 0x010B, "C", 'C', 0x0307},
    {0x010C, 0x010D, "C", 'C', 0x030C},  {0x010E, 0x010F, "D", 'D', 0x030C},
    {0x0110, 0x0111, "D", 0, 0},         {0x0112, 0x0113, "E", 'E', 0x0304},
    {0x0114, 0x0115, "E", 'E', 0x0306},  {0x0116, 0x0117, "E", 'E', 0x0307},
    {0x0118, 0x0119, "E", 'E', 0x0328},  {0x011A, 0x011B, "E", 'E', 0x030C},
    {0x011C, 0x011D, "G", 'G', 0x0302},  {0x011E, 0x011F, "G", 'G', 0x0306},
    {0x0120, 0x0121, "G", 'G', 0x0307},  {0x0122, 0x0123, "G", 'G', 0x0327},
    {0x0124, 0x0125, "H", 'H', 0x0302},  {0x0126, 0x0127, "H", 0, 0},
    {0x0128, 0x0129, "I", 'I', 0x0303},  {0x012A, 0x012B, "I", 'I', 0x0304},
    {0x012C, 0x012D, "I", 'I', 0x0306},  {0x012E, 0x012F, "I", 'I', 0x0328},
    {0x0130, 0, "I", 'I', 0x0307},       {0x0131, 0, "I", 0, 0}, /* İ; dotless ı (Turkey) */
    {0x0132, 0x0133, "IJ", 0, 0},        {0x0134, 0x0135, "J", 'J', 0x0302},
    {0x0136, 0x0137, "K", 'K', 0x0327},  {0x0139, 0x013A, "L", 'L', 0x0301},
    {0x013B, 0x013C, "L", 'L', 0x0327},  {0x013D, 0x013E, "L", 'L', 0x030C},
    {0x013F, 0x0140, "L", 0, 0},         {0x0141, 0x0142, "L", 0, 0},
    {0x0143, 0x0144, "N", 'N', 0x0301},  {0x0145, 0x0146, "N", 'N', 0x0327},
    {0x0147, 0x0148, "N", 'N', 0x030C},  {0x014A, 0x014B, "N", 0, 0},
    {0x014C, 0x014D, "O", 'O', 0x0304},  {0x014E, 0x014F, "O", 'O', 0x0306},
    {0x0150, 0x0151, "O", 'O', 0x030B},  {0x0152, 0x0153, "OE", 0, 0},
    {0x0154, 0x0155, "R", 'R', 0x0301},  {0x0156, 0x0157, "R", 'R', 0x0327},
    {0x0158, 0x0159, "R", 'R', 0x030C},  {0x015A, 0x015B, "S", 'S', 0x0301},
    {0x015C, 0x015D, "S", 'S', 0x0302},  {0x015E, 0x015F, "S", 'S', 0x0327},
    {0x0160, 0x0161, "S", 'S', 0x030C},  {0x0162, 0x0163, "T", 'T', 0x0327},
    {0x0164, 0x0165, "T", 'T', 0x030C},  {0x0166, 0x0167, "T", 0, 0},
    {0x0168, 0x0169, "U", 'U', 0x0303},  {0x016A, 0x016B, "U", 'U', 0x0304},
    {0x016C, 0x016D, "U", 'U', 0x0306},  {0x016E, 0x016F, "U", 'U', 0x030A},
    {0x0170, 0x0171, "U", 'U', 0x030B},  {0x0172, 0x0173, "U", 'U', 0x0328},
    {0x0174, 0x0175, "W", 'W', 0x0302},  {0x0176, 0x0177, "Y", 'Y', 0x0302},
    {0x0178, 0x00FF, "Y", 'Y', 0x0308},  {0x0179, 0x017A, "Z", 'Z', 0x0301},
    {0x017B, 0x017C, "Z", 'Z', 0x0307},  {0x017D, 0x017E, "Z", 'Z', 0x030C},
    {0x1E9E, 0x00DF, "SS", 0, 0}, /* ẞ (Germany); ß added as its lower case */
    {0x0218, 0x0219, "S", 'S', 0x0326},  {0x021A, 0x021B, "T", 'T', 0x0326}, /* added */
    /* table B: Cyrillic */
    {0x0401, 0x0451, "E", 0x0415, 0x0308}, {0x0402, 0x0452, "D", 0, 0},
    {0x0404, 0x0454, "IE", 0, 0},          {0x0405, 0x0455, "DZ", 0, 0},
    {0x0406, 0x0456, "I", 0, 0},           {0x0407, 0x0457, "I", 0x0406, 0x0308},
    {0x0408, 0x0458, "J", 0, 0},           {0x0409, 0x0459, "LJ", 0, 0},
    {0x040A, 0x045A, "NJ", 0, 0},          {0x040C, 0x045C, "K", 0x041A, 0x0301},
    {0x040E, 0x045E, "U", 0x0423, 0x0306}, {0x040F, 0x045F, "DZ", 0, 0},
    {0x0410, 0x0430, "A", 0, 0},           {0x0411, 0x0431, "B", 0, 0},
    {0x0412, 0x0432, "V", 0, 0},           {0x0413, 0x0433, "G", 0, 0},
    {0x0414, 0x0434, "D", 0, 0},           {0x0415, 0x0435, "E", 0, 0},
    {0x0416, 0x0436, "ZH", 0, 0},          {0x0417, 0x0437, "Z", 0, 0},
    {0x0418, 0x0438, "I", 0, 0},           {0x0419, 0x0439, "I", 0x0418, 0x0306},
    {0x041A, 0x043A, "K", 0, 0},           {0x041B, 0x043B, "L", 0, 0},
    {0x041C, 0x043C, "M", 0, 0},           {0x041D, 0x043D, "N", 0, 0},
    {0x041E, 0x043E, "O", 0, 0},           {0x041F, 0x043F, "P", 0, 0},
    {0x0420, 0x0440, "R", 0, 0},           {0x0421, 0x0441, "S", 0, 0},
    {0x0422, 0x0442, "T", 0, 0},           {0x0423, 0x0443, "U", 0, 0},
    {0x0424, 0x0444, "F", 0, 0},           {0x0425, 0x0445, "KH", 0, 0},
    {0x0426, 0x0446, "TS", 0, 0},          {0x0427, 0x0447, "CH", 0, 0},
    {0x0428, 0x0448, "SH", 0, 0},          {0x0429, 0x0449, "SHCH", 0, 0},
    {0x042A, 0x044A, "IE", 0, 0},          {0x042B, 0x044B, "Y", 0, 0},
    {0x042D, 0x044D, "E", 0, 0},           {0x042E, 0x044E, "IU", 0, 0},
    {0x042F, 0x044F, "IA", 0, 0},          {0x046A, 0x046B, "U", 0, 0},
    {0x0474, 0x0475, "Y", 0, 0},           {0x0490, 0x0491, "G", 0, 0},
    {0x0492, 0x0493, "G", 0, 0},           {0x04BA, 0x04BB, "C", 0, 0},
    {0x042C, 0x044C, "", 0, 0},                                        /* added: Ь omitted */
    {0x040B, 0x045B, "C", 0, 0},           {0x0403, 0x0453, "G", 0x0413, 0x0301}, /* added */
};
#define N_TABLE (sizeof table / sizeof table[0])

static int lookup(uint32_t c) {
    for (size_t i = 0; i < N_TABLE; i++)
        if (c == table[i].upper || (table[i].lower && c == table[i].lower)) return (int)i;
    return -1;
}

/* The table character that base (upper case) + combining mark compose to, or -1. */
static int compose(uint32_t base, uint32_t mark) {
    for (size_t i = 0; i < N_TABLE; i++)
        if (table[i].mark == mark && table[i].base == base) return (int)i;
    return -1;
}

/* Between name parts: one filler (Doc 9303 4.6: hyphens and commas; '<' for MRZ-style input). */
static int is_separator(uint32_t c) {
    return c == ' ' || c == '\t' || c == '-' || c == ',' || c == '<' || c == 0x00A0 /* no-break space */ ||
           (c >= 0x2010 && c <= 0x2015) /* hyphens and dashes */;
}

/* Omitted without a filler (Doc 9303 4.6): apostrophes, typographic ones included, and the rest
 * of ASCII's punctuation. */
static int is_omitted(uint32_t c) {
    if (c < 0x80)
        return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
               (c >= 0x7B && c <= 0x7E);
    return c == 0x00B4 || c == 0x00B7 || c == 0x02B9 || c == 0x02BB || c == 0x02BC || c == 0x2018 ||
           c == 0x2019 || c == 0x201B || c == 0x2032;
}

/* ---- UTF-8 and the transliterated form ---- */

/* Decodes the code point at s[*i] (n bytes in all), advancing *i; 0 if the bytes there are not
 * valid UTF-8 (overlong forms, surrogates and values past U+10FFFF included). */
static int utf8_next(const unsigned char *s, size_t n, size_t *i, uint32_t *cp) {
    size_t k = *i;
    unsigned c = s[k], lo = 0x80, hi = 0xBF;
    int extra;
    uint32_t v;
    if (c < 0x80) {
        *cp = c;
        *i = k + 1;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) extra = 1, v = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF) {
        extra = 2, v = c & 0x0F;
        if (c == 0xE0) lo = 0xA0;      /* overlong */
        else if (c == 0xED) hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        extra = 3, v = c & 0x07;
        if (c == 0xF0) lo = 0x90;      /* overlong */
        else if (c == 0xF4) hi = 0x8F; /* past U+10FFFF */
    } else
        return 0;
    if (n - k - 1 < (size_t)extra) return 0;
    for (int j = 1; j <= extra; j++) {
        unsigned b = s[k + (size_t)j];
        if (b < (j == 1 ? lo : 0x80) || b > (j == 1 ? hi : 0xBF)) return 0;
        v = v << 6 | (b & 0x3F);
    }
    *cp = v;
    *i = k + 1 + (size_t)extra;
    return 1;
}

/* A name transliterated: its MRZ letters with single spaces between parts, and its key, every
 * letter as written (case aside) without separators: A-Z as themselves, a table character as
 * 256 + its index, so that Müller and MÜLLER have one key and MUELLER another. */
typedef struct form {
    char mrz[BEX_NAME_MRZ_MAX];
    size_t len;
    uint16_t key[BEX_NAME_MAX_BYTES];
    size_t nkey;
} form;

static int put(form *f, const char *s) {
    size_t n = strlen(s);
    if (f->len + n >= sizeof f->mrz) return 0; /* cannot happen within BEX_NAME_MAX_BYTES */
    memcpy(f->mrz + f->len, s, n);
    f->len += n;
    return 1;
}

static int to_form(const char *name, form *f, char *err, size_t errlen) {
    size_t n = strnlen(name, BEX_NAME_MAX_BYTES + 1);
    if (n > BEX_NAME_MAX_BYTES)
        return bex__fail(err, errlen, BEX_ERR_LIMIT, "the name is longer than %d bytes", BEX_NAME_MAX_BYTES);
    const unsigned char *s = (const unsigned char *)name;
    f->len = 0;
    f->nkey = 0;
    int sep = 0;           /* a separator waits for the next letter */
    long last_at = -1;     /* where the last letter's MRZ letters start; -1: no letter to combine with */
    size_t last_key = 0;   /* and its key unit */
    uint32_t last_base = 0; /* and its upper-case code point */
    unsigned charno = 0;
    for (size_t i = 0; i < n;) {
        size_t at = i;
        uint32_t c;
        if (!utf8_next(s, n, &i, &c))
            return bex__fail(err, errlen, BEX_ERR_FORMAT, "byte %zu is not valid UTF-8", at + 1);
        charno++;
        char letter[2] = {0, 0};
        const char *mrz;
        uint16_t unit;
        uint32_t base;
        if (c >= 'a' && c <= 'z') c -= 'a' - 'A';
        if (c >= 'A' && c <= 'Z') {
            letter[0] = (char)c;
            mrz = letter;
            unit = (uint16_t)c;
            base = c;
        } else if (c >= '0' && c <= '9') {
            return bex__fail(err, errlen, BEX_ERR_FORMAT, "character %u (U+%04X) is a digit: an MRZ name has none",
                             charno, (unsigned)c);
        } else if (is_separator(c)) {
            sep = 1;
            last_at = -1;
            continue;
        } else if (is_omitted(c)) {
            last_at = -1;
            continue;
        } else if (c >= 0x0300 && c <= 0x036F) { /* a combining mark: the letter before it changes */
            int k = last_at >= 0 ? compose(last_base, c) : -1;
            if (k < 0)
                return bex__fail(err, errlen, BEX_ERR_FORMAT, "character %u (U+%04X) has no ICAO 9303 transliteration",
                                 charno, (unsigned)c);
            f->len = (size_t)last_at;
            if (!put(f, table[k].mrz)) return bex__fail(err, errlen, BEX_ERR_LIMIT, "the name is too long");
            f->key[last_key] = (uint16_t)(256 + k);
            last_base = table[k].upper;
            continue;
        } else {
            int k = lookup(c);
            if (k < 0)
                return bex__fail(err, errlen, BEX_ERR_FORMAT, "character %u (U+%04X) has no ICAO 9303 transliteration",
                                 charno, (unsigned)c);
            mrz = table[k].mrz;
            unit = (uint16_t)(256 + k);
            base = table[k].upper;
        }
        if (sep && f->len > 0 && mrz[0]) {
            if (!put(f, " ")) return bex__fail(err, errlen, BEX_ERR_LIMIT, "the name is too long");
        }
        if (mrz[0]) sep = 0;
        last_at = (long)f->len;
        last_key = f->nkey;
        last_base = base;
        f->key[f->nkey++] = unit; /* at most one per character: n <= BEX_NAME_MAX_BYTES */
        if (!put(f, mrz)) return bex__fail(err, errlen, BEX_ERR_LIMIT, "the name is too long");
    }
    f->mrz[f->len] = 0;
    return BEX_OK;
}

int bex_name_to_mrz(const char *name, char *out, size_t outlen, char *err, size_t errlen) {
    if (!name || !out) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_name_to_mrz: NULL argument");
    form f;
    int rc = to_form(name, &f, err, errlen);
    if (rc != BEX_OK) return rc;
    if (f.len + 1 > outlen)
        return bex__fail(err, errlen, BEX_ERR_LIMIT, "the transliterated name needs %zu bytes, the buffer holds %zu",
                         f.len + 1, outlen);
    memcpy(out, f.mrz, f.len + 1);
    return BEX_OK;
}

int bex_name_check(const char *name, char *err, size_t errlen) {
    if (!name) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_name_check: NULL argument");
    form f;
    int rc = to_form(name, &f, err, errlen);
    if (rc != BEX_OK) return rc;
    if (f.len == 0) return bex__fail(err, errlen, BEX_ERR_FORMAT, "the name has no letters");
    return BEX_OK;
}

/* ---- name parts ---- */

typedef struct part {
    const char *p;
    size_t n;
} part;

/* at most this many parts in one form: each takes a letter-giving character and (but the last)
 * a separator, a byte each at least */
#define MAX_PARTS (BEX_NAME_MAX_BYTES / 2 + 1)

/* Splits s (parts separated by single spaces) into t; returns the count. */
static int split(const char *s, part *t) {
    int n = 0;
    while (*s && n < MAX_PARTS) {
        const char *e = strchr(s, ' ');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        t[n].p = s;
        t[n++].n = len;
        s += len;
        if (*s) s++;
    }
    return n;
}

/* ---- the MRZ name field ---- */

/* Writes parts t[0, np) as the primary identifier, t[np, np + ns) as the secondary, joined as
 * an MRZ writes them; start[i] gets where part i starts. Returns the length. */
static size_t join(const part *t, int np, int ns, char *buf, size_t *start) {
    size_t k = 0;
    for (int i = 0; i < np + ns; i++) {
        if (i > 0) buf[k++] = '<';
        if (i > 0 && i == np) buf[k++] = '<';
        start[i] = k;
        memcpy(buf + k, t[i].p, t[i].n);
        k += t[i].n;
    }
    return k;
}

int bex_name_mrz_field(const char *surname, const char *given_names, int width, char *out, int *truncated,
                       char *err, size_t errlen) {
    if (!surname || !out) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_name_mrz_field: NULL argument");
    if (width < 4 || width > BEX_NAME_FIELD_TD3)
        return bex__fail(err, errlen, BEX_ERR_ARG, "an MRZ name field is 4 to %d characters wide, not %d",
                         BEX_NAME_FIELD_TD3, width);
    form s, g;
    char e[200];
    int rc = to_form(surname, &s, e, sizeof e);
    if (rc != BEX_OK) return bex__fail(err, errlen, rc, "surname: %s", e);
    g.len = 0;
    g.mrz[0] = 0;
    if (given_names && (rc = to_form(given_names, &g, e, sizeof e)) != BEX_OK)
        return bex__fail(err, errlen, rc, "given_names: %s", e);
    if (s.len == 0) return bex__fail(err, errlen, BEX_ERR_ARG, "surname: no letters to write");
    part t[2 * MAX_PARTS];
    size_t start[2 * MAX_PARTS];
    char buf[2 * BEX_NAME_MRZ_MAX + 4];
    int np = split(s.mrz, t), ns = split(g.mrz, t + np);
    size_t w = (size_t)width, len = join(t, np, ns, buf, start);
    int cut = len > w;
    if (cut && ns > 0) {
        /* Part 4 4.2.3: the primary identifier leaves room for "<<" and the first letter of the
         * secondary: its last parts lose letters first, down to initials, then (only for a
         * surname of more one-letter parts than fit) its last initials go. */
        size_t plen = start[np - 1] + t[np - 1].n;
        while (plen + 3 > w) {
            int k = np - 1;
            while (k >= 0 && t[k].n <= 1) k--;
            if (k >= 0) {
                t[k].n--;
                plen--;
            } else {
                memmove(&t[np - 1], &t[np], (size_t)ns * sizeof t[0]);
                np--;
                plen -= 2;
            }
        }
    }
    if (cut) {
        /* Cut at the width; the field must end with a letter (the sign of truncation), so a cut
         * that ends on a filler takes one letter off the part before it (or an earlier part
         * with letters to spare), which brings the next part's first letter into the last
         * position. */
        for (;;) {
            len = join(t, np, ns, buf, start);
            if (len <= w || buf[w - 1] != '<') break;
            int j = np + ns - 1;
            while (j > 0 && start[j] >= w - 1) j--;
            while (j >= 0 && t[j].n <= 1) j--;
            if (j < 0) break; /* all initials: the field ends with a filler */
            t[j].n--;
        }
        if (len > w) len = w;
    }
    memcpy(out, buf, len);
    memset(out + len, '<', w - len);
    out[w] = 0;
    if (truncated) *truncated = cut;
    return BEX_OK;
}

/* ---- comparison ---- */

/* Doc 9303's alternatives folded away: AE, OE, UE -> A, O, U; AA -> A; UXX, NXX -> U, N. An E
 * after A/O/U and an A after A are dropped against the last letter kept, so Ä + E (AEE) folds
 * as A + E (AE) does. Spaces are kept and end a part. */
static void fold(const char *in, char *out) {
    size_t k = 0;
    char last = 0;
    for (size_t i = 0; in[i]; i++) {
        char c = in[i];
        if (c == ' ') {
            out[k++] = ' ';
            last = 0;
            continue;
        }
        if (c == 'E' && (last == 'A' || last == 'O' || last == 'U')) continue;
        if (c == 'A' && last == 'A') continue;
        if (c == 'X' && (last == 'U' || last == 'N') && in[i + 1] == 'X') {
            i++;
            continue;
        }
        out[k++] = c;
        last = c;
    }
    out[k] = 0;
}

static void squeeze(const char *in, char *out) {
    size_t k = 0;
    for (; *in; in++)
        if (*in != ' ') out[k++] = *in;
    out[k] = 0;
}

/* One side of a comparison: surname and given names transliterated, and what is compared. */
typedef struct side {
    form sur, giv;
    char cs[BEX_NAME_MRZ_MAX], cg[BEX_NAME_MRZ_MAX]; /* MRZ letters without spaces */
    char fs[BEX_NAME_MRZ_MAX], fg[BEX_NAME_MRZ_MAX]; /* the same, folded */
    char ts[BEX_NAME_MRZ_MAX], tg[BEX_NAME_MRZ_MAX]; /* folded with the spaces kept (parts) */
} side;

static int load_side(const char *surname, const char *given, side *x, char tag, char *err, size_t errlen) {
    char sbuf[BEX_NAME_MAX_BYTES + 1], e[200];
    const char *g = given ? given : "";
    /* a whole MRZ name field (SURNAME<<GIVEN<NAMES) in the surname */
    if (!g[0] && strnlen(surname, BEX_NAME_MAX_BYTES + 1) <= BEX_NAME_MAX_BYTES) {
        const char *dd = strstr(surname, "<<");
        if (dd) {
            memcpy(sbuf, surname, (size_t)(dd - surname));
            sbuf[dd - surname] = 0;
            g = dd + 2;
            surname = sbuf;
        }
    }
    int rc = to_form(surname, &x->sur, e, sizeof e);
    if (rc != BEX_OK) return bex__fail(err, errlen, rc, "surname_%c: %s", tag, e);
    if ((rc = to_form(g, &x->giv, e, sizeof e)) != BEX_OK) return bex__fail(err, errlen, rc, "given_names_%c: %s", tag, e);
    if (x->sur.len == 0 && x->giv.len == 0) return bex__fail(err, errlen, BEX_ERR_ARG, "name %c has no letters", tag);
    squeeze(x->sur.mrz, x->cs);
    squeeze(x->giv.mrz, x->cg);
    fold(x->cs, x->fs);
    fold(x->cg, x->fg);
    fold(x->sur.mrz, x->ts);
    fold(x->giv.mrz, x->tg);
    return BEX_OK;
}

static int same_key(const form *a, const form *b) {
    return a->nkey == b->nkey && !memcmp(a->key, b->key, a->nkey * sizeof a->key[0]);
}

static int eq(const part *a, const part *b) {
    return a->n == b->n && !memcmp(a->p, b->p, a->n);
}

/* The same parts, folded, as multisets over both fields. */
static int same_parts(const side *a, const side *b) {
    part pa[2 * MAX_PARTS], pb[2 * MAX_PARTS];
    unsigned char used[2 * MAX_PARTS];
    int na = split(a->ts, pa);
    na += split(a->tg, pa + na);
    int nb = split(b->ts, pb);
    nb += split(b->tg, pb + nb);
    if (na != nb) return 0;
    memset(used, 0, (size_t)nb);
    for (int i = 0; i < na; i++) {
        int j = 0;
        while (j < nb && (used[j] || !eq(&pa[i], &pb[j]))) j++;
        if (j == nb) return 0;
        used[j] = 1;
    }
    return 1;
}

/* The folded parts of a's given names are all among b's (a multiset within another). */
static int given_within(const side *a, const side *b) {
    part pa[MAX_PARTS], pb[MAX_PARTS];
    unsigned char used[MAX_PARTS];
    int na = split(a->tg, pa), nb = split(b->tg, pb);
    if (na > nb) return 0;
    memset(used, 0, (size_t)nb);
    for (int i = 0; i < na; i++) {
        int j = 0;
        while (j < nb && (used[j] || !eq(&pa[i], &pb[j]))) j++;
        if (j == nb) return 0;
        used[j] = 1;
    }
    return 1;
}

/* Part t starts part f: letter for letter, or once both are folded. */
static int starts(const part *t, const part *f, const part *ft, const part *ff) {
    if (t->n == 0 || t->n > f->n) return 0;
    if (!memcmp(t->p, f->p, t->n)) return 1;
    return ft->n > 0 && ft->n <= ff->n && !memcmp(ft->p, ff->p, ft->n);
}

static size_t mrz_len(const side *x) {
    return x->sur.len + (x->giv.len ? 2 + x->giv.len : 0);
}

/* t is f cut to fit an MRZ name field: t fills one exactly (so it ends with a letter: Doc 9303
 * reads that as possible truncation), f is longer, and each of t's parts starts f's part in the
 * same place; t may lack f's last given names, or (when its surname filled the field) its last
 * surname parts and all given names. */
static int truncation_of(const side *t, const side *f) {
    size_t lt = mrz_len(t);
    if (lt != BEX_NAME_FIELD_TD1 && lt != BEX_NAME_FIELD_TD2 && lt != BEX_NAME_FIELD_TD3) return 0;
    if (mrz_len(f) <= lt || t->sur.len == 0) return 0;
    part ts[MAX_PARTS], tg[MAX_PARTS], fs[MAX_PARTS], fg[MAX_PARTS];
    part tsf[MAX_PARTS], tgf[MAX_PARTS], fsf[MAX_PARTS], fgf[MAX_PARTS]; /* folded */
    int nts = split(t->sur.mrz, ts), ntg = split(t->giv.mrz, tg);
    int nfs = split(f->sur.mrz, fs), nfg = split(f->giv.mrz, fg);
    split(t->ts, tsf);
    split(t->tg, tgf);
    split(f->ts, fsf);
    split(f->tg, fgf);
    if (nts > nfs || ntg > nfg || (nts < nfs && ntg > 0)) return 0;
    for (int i = 0; i < nts; i++)
        if (!starts(&ts[i], &fs[i], &tsf[i], &fsf[i])) return 0;
    for (int i = 0; i < ntg; i++)
        if (!starts(&tg[i], &fg[i], &tgf[i], &fgf[i])) return 0;
    return 1;
}

static const char *const verdict_names[] = {"different", "same", "transliteration", "order", "truncated",
                                            "given_names_missing"};

const char *bex_name_verdict_name(int verdict) {
    if (verdict < 0 || verdict >= (int)(sizeof verdict_names / sizeof verdict_names[0])) return "unknown";
    return verdict_names[verdict];
}

int bex_name_verdict_agrees(int verdict) {
    return verdict >= BEX_NAME_SAME && verdict <= BEX_NAME_GIVEN_NAMES_MISSING;
}

static void verdict(bex_name_match *out, bex_name_verdict v, const char *reason) {
    out->verdict = v;
    out->reason = reason;
}

int bex_name_compare(const char *surname_a, const char *given_a, const char *surname_b, const char *given_b,
                     bex_name_match *out, char *err, size_t errlen) {
    if (!surname_a || !surname_b || !out) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_name_compare: NULL argument");
    side a, b;
    int rc = load_side(surname_a, given_a, &a, 'a', err, errlen);
    if (rc == BEX_OK) rc = load_side(surname_b, given_b, &b, 'b', err, errlen);
    if (rc != BEX_OK) return rc;
    int surnames_agree = !strcmp(a.fs, b.fs);
    if (same_key(&a.sur, &b.sur) && same_key(&a.giv, &b.giv))
        verdict(out, BEX_NAME_SAME, "names agree apart from case, spacing or punctuation");
    else if (!strcmp(a.cs, b.cs) && !strcmp(a.cg, b.cg))
        verdict(out, BEX_NAME_TRANSLITERATION, "names agree after ICAO 9303 transliteration");
    else if (surnames_agree && !strcmp(a.fg, b.fg))
        verdict(out, BEX_NAME_TRANSLITERATION,
                "names agree when ICAO 9303's alternative transliterations (AE/A, OE/O, UE/U, AA/A) are "
                "allowed, which also joins some distinct names");
    else if (!strcmp(a.fs, b.fg) && !strcmp(a.fg, b.fs))
        verdict(out, BEX_NAME_ORDER, "surname and given names are swapped");
    else if (same_parts(&a, &b))
        verdict(out, BEX_NAME_ORDER,
                surnames_agree ? "given names in another order" : "the same name parts in another order");
    else if (truncation_of(&a, &b) || truncation_of(&b, &a))
        verdict(out, BEX_NAME_TRUNCATED, "one name is the other cut to fit an MRZ name field");
    else if (surnames_agree && a.cs[0] && (!a.cg[0] || !b.cg[0]))
        verdict(out, BEX_NAME_GIVEN_NAMES_MISSING, "surnames agree; one side has no given names");
    else if (surnames_agree && a.cs[0] && (given_within(&a, &b) || given_within(&b, &a)))
        verdict(out, BEX_NAME_GIVEN_NAMES_MISSING, "surnames agree; one side lacks some of the given names");
    else
        verdict(out, BEX_NAME_DIFFERENT, surnames_agree ? "surnames agree, given names differ" : "surnames differ");
    return BEX_OK;
}
