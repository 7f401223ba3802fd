/*
 * lds.h - the ePassport chip's Logical Data Structure (ICAO Doc 9303 Part 10): the files a chip
 * reader saves (EF.COM, EF.SOD, DG1, DG2, DG3, DG11, DG12), read with a bounded BER-TLV reader,
 * and written back by a TLV writer (tests and simulations build chips with it).
 *
 *   bex_lds chip;
 *   char err[256];
 *   if (bex_lds_read_dir("chip/", &chip, err, sizeof err) != BEX_OK) {
 *       reject(err);                          // "DG2.bin: truncated at byte 812: ..."
 *   } else {
 *       chip.dg1.mrz                          // the chip's MRZ, parsed (mrz.h)
 *       const bex_lds_face *f = &chip.dg2.faces[0];
 *       bex_image_decode(chip.file[2] + f->image_off, f->image_len, NULL, &img, err, n);
 *       chip.file[BEX_LDS_SOD] + chip.sod_cms_off  // the CMS SignedData for passive authentication
 *       bex_lds_free(&chip);
 *   }
 *
 * Every parser takes a file's bytes exactly as read from the chip (one outer TLV, nothing after
 * it) and checks every read against the end of the enclosing value: a truncated, oversized or
 * mistagged file is an error whose message names the file, the byte offset and what is wrong,
 * never a crash. Messages never quote the file's content (it is personal data). Image and
 * SOD bytes are given as offsets into the caller's buffer, not copied. docs/documents.md
 * describes the structures, the limits and what is not parsed.
 */
#ifndef BEX_LDS_H
#define BEX_LDS_H

#include <stddef.h>
#include <stdint.h>

#include "bex/bex.h"
#include "bex/mrz.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ BER-TLV reading */

/* Limits of the TLV reader: tags of 1-3 bytes, definite lengths of at most 3 length bytes
 * (16 MiB), constructed values nested at most BEX_TLV_MAX_DEPTH deep (the LDS needs 5). */
#define BEX_TLV_MAX_DEPTH 16
#define BEX_TLV_MAX_LEN ((size_t)0xFFFFFF)

/* One TLV: its tag as the bytes read big-endian (0x61, 0x5F1F, 0x7F61), where it starts and
 * where its value lies, all offsets into the buffer that was read. */
typedef struct bex_tlv {
    uint32_t tag;
    int constructed; /* bit 6 of the tag's first byte */
    size_t off;      /* the tag's first byte */
    size_t val_off;  /* the value's first byte */
    size_t len;      /* the value's length, bytes; val_off + len <= the enclosing end */
} bex_tlv;

/* Reads the TLV at *pos in buf[0..end) and moves *pos past it. BEX_ERR_CORRUPT when the tag,
 * the length or the value runs past end (truncated), or uses an indefinite length;
 * BEX_ERR_LIMIT for a tag over 3 bytes or a length over BEX_TLV_MAX_LEN. */
int bex_tlv_next(const uint8_t *buf, size_t end, size_t *pos, bex_tlv *out, char *err,
                 size_t errlen);

/* Walks every TLV in buf[off..end), descending into constructed values, and fails as
 * bex_tlv_next does, or with BEX_ERR_LIMIT when nesting passes max_depth (<= 0: the default
 * BEX_TLV_MAX_DEPTH). */
int bex_tlv_check(const uint8_t *buf, size_t off, size_t end, int max_depth, char *err,
                  size_t errlen);

/* ------------------------------------------------------------------ the files */

/* Indexes of bex_lds.file[]: 1..16 are DG1..DG16. */
#define BEX_LDS_COM 0
#define BEX_LDS_SOD 17
#define BEX_LDS_NFILES 18

/* The size caps of the directory reader, per file (the parsers take any buffer the caller
 * gives them; these bound what is read from disk). Why these: docs/documents.md. */
#define BEX_LDS_MAX_COM_BYTES ((size_t)1 << 10)      /* versions and <= 16 tags: ~40 bytes */
#define BEX_LDS_MAX_DG1_BYTES ((size_t)1 << 10)      /* 93 bytes for a TD1 */
#define BEX_LDS_MAX_DG2_BYTES ((size_t)1 << 20)      /* 1 MiB: photos are 15-30 KB */
#define BEX_LDS_MAX_DG3_BYTES ((size_t)2 << 20)      /* 2 MiB: fingers, possibly uncompressed */
#define BEX_LDS_MAX_TEXT_DG_BYTES ((size_t)512 << 10) /* DG11, DG12: text and document images */
#define BEX_LDS_MAX_SOD_BYTES ((size_t)64 << 10)     /* a SOD with its signer: 2-8 KB */
#define BEX_LDS_MAX_OTHER_BYTES ((size_t)1 << 20)    /* DG4..DG16: kept, not parsed */

/* EF.COM (tag 0x60). */
typedef struct bex_lds_com {
    char lds_version[5];     /* "0107": LDS 1.7 (tag 0x5F01) */
    char unicode_version[7]; /* "040000": Unicode 4.0.0 (tag 0x5F36) */
    int n_tags;
    uint8_t tags[16];        /* the data groups' tags as listed (tag 0x5C): 0x61 DG1, 0x75 DG2 */
    uint32_t dg_mask;        /* bit n set: DGn listed */
} bex_lds_com;

/* DG1 (tag 0x61, MRZ in 0x5F1F). */
typedef struct bex_lds_dg1 {
    char text[91];  /* the MRZ as stored: lines run together, no newline (88, 72 or 90 chars) */
    size_t text_len;
    bex_mrz mrz;    /* parsed; check digits that disagree are in mrz.n_failed, not an error */
} bex_lds_dg1;

/* The CBEFF Biometric Header Template (tag 0xA1) of one Biometric Information Template. */
typedef struct bex_lds_cbeff {
    unsigned present;          /* bit (tag - 0x80) set for each element found, 0x80..0x88 */
    uint16_t version;          /* 0x80: patron header version */
    uint32_t bdb_type;         /* 0x81: biometric type (2 face, 8 finger) */
    uint8_t subtype;           /* 0x82 */
    uint8_t creation_date[7];  /* 0x83: as stored */
    uint8_t validity[8];       /* 0x85: as stored */
    uint32_t creator;          /* 0x86: the creator's PID, 4 bytes (Doc 9303 Part 10 Table 44) */
    uint16_t format_owner;     /* 0x87: 0x0101 ISO/IEC JTC 1/SC 37 (mandatory) */
    uint16_t format_type;      /* 0x88: 0x0008 face, 0x0007 finger image (mandatory) */
} bex_lds_cbeff;

/* One face of an ISO/IEC 19794-5:2005 face image record in DG2. */
typedef struct bex_lds_face {
    int bit;                   /* which Biometric Information Template (0-based) */
    bex_lds_cbeff cbeff;
    int n_feature_points;
    int gender, eye_colour, hair_colour; /* codes as stored */
    uint32_t feature_mask;     /* 24 bits */
    uint16_t expression;
    uint8_t pose[3];           /* yaw, pitch, roll as stored */
    uint8_t pose_uncertainty[3];
    int face_image_type;       /* 0 basic, 1 full frontal, 2 token frontal */
    int image_data_type;       /* 0 JPEG, 1 JPEG 2000 */
    int width, height;         /* px, as declared */
    int colour_space, source_type, device_type, quality;
    size_t image_off, image_len; /* the JPEG / JPEG 2000 bytes in the DG2 buffer */
} bex_lds_face;

#define BEX_LDS_MAX_FACES 4
typedef struct bex_lds_dg2 {
    int n_faces;
    bex_lds_face faces[BEX_LDS_MAX_FACES];
} bex_lds_dg2;

/* Compression algorithms of ISO/IEC 19794-4:2005. */
enum {
    BEX_FINGER_UNCOMPRESSED = 0,
    BEX_FINGER_UNCOMPRESSED_PACKED = 1,
    BEX_FINGER_WSQ = 2,
    BEX_FINGER_JPEG = 3,
    BEX_FINGER_JPEG2000 = 4,
    BEX_FINGER_PNG = 5,
};

/* One finger view of an ISO/IEC 19794-4:2005 finger image record in DG3. */
typedef struct bex_lds_finger {
    int bit;                 /* which Biometric Information Template (0-based) */
    bex_lds_cbeff cbeff;
    /* the record's general header */
    int capture_device_id, acquisition_level, scale_units; /* scale 1 ppi, 2 ppcm */
    int scan_res_h, scan_res_v, image_res_h, image_res_v;
    int bit_depth, compression; /* BEX_FINGER_* */
    /* the finger's view header */
    int position;            /* 0 unknown, 1 right thumb .. 10 left little */
    int view_count, view_number, quality, impression_type;
    int width, height;       /* horizontal and vertical line lengths, px */
    size_t image_off, image_len; /* in the DG3 buffer */
} bex_lds_finger;

#define BEX_LDS_MAX_FINGERS 10
typedef struct bex_lds_dg3 {
    int n_fingers;
    bex_lds_finger fingers[BEX_LDS_MAX_FINGERS];
} bex_lds_dg3;

/* A DG11 or DG12 element: text (UTF-8, checked: no invalid sequence, no control character;
 * dates as YYYYMMDD whether stored as ASCII or BCD) or, for the images (DG11 0x5F16 proof of
 * citizenship, DG12 0x5F1D / 0x5F1E front and rear of the document), bytes in the buffer. */
typedef struct bex_lds_field {
    uint32_t tag;       /* 0x5F0E, ... */
    const char *name;   /* static: "full_name", "other_name", "issuing_authority", ... */
    char *text;         /* owned, NUL-terminated; NULL for an image */
    size_t image_off, image_len; /* an image's bytes in the buffer */
} bex_lds_field;

#define BEX_LDS_MAX_FIELDS 40
#define BEX_LDS_MAX_TEXT_BYTES 2048 /* one text element */
/* DG11 (tag 0x6B, additional personal details) or DG12 (0x6C, additional document details). */
typedef struct bex_lds_details {
    int dg;             /* 11 or 12 */
    int n;
    bex_lds_field f[BEX_LDS_MAX_FIELDS];
} bex_lds_details;

/* The first field with this tag, or NULL. */
const bex_lds_field *bex_lds_field_get(const bex_lds_details *d, uint32_t tag);
/* Releases the texts and zeroes *d; safe on a zeroed struct. */
void bex_lds_details_free(bex_lds_details *d);

/* Each parses one file's bytes; *out is written only on BEX_OK. Offsets in *out point into
 * buf, which the caller keeps. BEX_ERR_CORRUPT (truncated, wrong tag, bad count),
 * BEX_ERR_LIMIT (a cap), BEX_ERR_UNSUPPORTED (a valid structure bex does not read: an
 * ISO/IEC 39794 record, a 19794 version other than 2005). */
int bex_lds_parse_com(const uint8_t *buf, size_t len, bex_lds_com *out, char *err, size_t errlen);
int bex_lds_parse_dg1(const uint8_t *buf, size_t len, bex_lds_dg1 *out, char *err, size_t errlen);
int bex_lds_parse_dg2(const uint8_t *buf, size_t len, bex_lds_dg2 *out, char *err, size_t errlen);
int bex_lds_parse_dg3(const uint8_t *buf, size_t len, bex_lds_dg3 *out, char *err, size_t errlen);
/* DG11 or DG12, told by the outer tag; release *out with bex_lds_details_free. */
int bex_lds_parse_details(const uint8_t *buf, size_t len, bex_lds_details *out, char *err,
                          size_t errlen);
/* EF.SOD (tag 0x77): the CMS SignedData (a DER SEQUENCE) it wraps, as buf[*cms_off..+*cms_len).
 * Only the wrapping is checked here; the CMS is for passive authentication. */
int bex_lds_parse_sod(const uint8_t *buf, size_t len, size_t *cms_off, size_t *cms_len,
                      char *err, size_t errlen);

/* ------------------------------------------------------------------ a chip's directory */

/* What bex_lds_read_dir found. file[i] holds the bytes of each file read (NULL if absent),
 * exactly as on disk: passive authentication hashes these. */
typedef struct bex_lds {
    uint8_t *file[BEX_LDS_NFILES]; /* owned */
    size_t file_len[BEX_LDS_NFILES];
    uint32_t present;      /* bit n: DGn's file is present (1..16) */
    int has_com;
    bex_lds_com com;
    uint32_t unlisted;     /* bit n: DGn present but not listed in EF.COM (with EF.COM only) */
    uint32_t missing;      /* bit n: DGn listed in EF.COM but its file is absent */
    bex_lds_dg1 dg1;       /* DG1 is required */
    int has_dg2, has_dg3;
    bex_lds_dg2 dg2;
    bex_lds_dg3 dg3;
    int has_dg11, has_dg12;
    bex_lds_details dg11, dg12;
    int has_sod;
    size_t sod_cms_off, sod_cms_len; /* in file[BEX_LDS_SOD] */
} bex_lds;

/* Loads a chip reader's files from dir: EF_COM.bin, EF_SOD.bin, DG1.bin .. DG16.bin (also
 * EF.COM, EF_DG1, COM, SOD as the stem; .bin or .der; any case). Other files are ignored.
 * Each file is capped (BEX_LDS_MAX_*_BYTES); COM, DG1, DG2, DG3, DG11, DG12 and SOD are parsed,
 * DG4-DG16 kept, checked only to be one TLV with their tag. The message of a failure names
 * the file. DG1 must be present. Release *out with bex_lds_free. */
int bex_lds_read_dir(const char *dir, bex_lds *out, char *err, size_t errlen);
void bex_lds_free(bex_lds *lds);
/* As bex_lds_read_dir, reading the files (capped, DG1 required) without parsing any: a chip
 * whose files are damaged is read as it is, for passive authentication to judge. */
int bex_lds_read_files(const char *dir, bex_lds *out, char *err, size_t errlen);

/* The most bytes read of file idx (BEX_LDS_COM, 1..16, BEX_LDS_SOD): BEX_LDS_MAX_*. */
size_t bex_lds_file_cap(int idx);

/* The data group number of an LDS tag (0x61 -> 1, 0x75 -> 2, 0x63 -> 3 ...), 0 if none. */
int bex_lds_dg_of_tag(uint8_t tag);
/* The tag of data group n (1..16), 0 otherwise. */
uint8_t bex_lds_tag_of_dg(int n);

/* ------------------------------------------------------------------ writing */

/* A growing byte buffer. A failed allocation sets failed; every later write is ignored and
 * bex_bytes_done reports it, so a sequence of writes is checked once. */
typedef struct bex_bytes {
    uint8_t *data; /* owned; release with bex_bytes_free */
    size_t len, cap;
    int failed;
    int depth;
    size_t open[BEX_TLV_MAX_DEPTH]; /* starts of the values of the open constructed TLVs */
} bex_bytes;

void bex_bytes_free(bex_bytes *b);
/* BEX_OK, or BEX_ERR_NOMEM / BEX_ERR_ARG (a TLV left open, a length over the cap). */
int bex_bytes_done(const bex_bytes *b);
void bex_bytes_put(bex_bytes *b, const void *p, size_t n);
/* A primitive TLV: tag (1-3 bytes, as in bex_tlv.tag), minimal definite length, value. */
void bex_tlv_put(bex_bytes *b, uint32_t tag, const void *val, size_t len);
/* A constructed TLV: open, write its content, close (the length is written on close). */
void bex_tlv_open(bex_bytes *b, uint32_t tag);
void bex_tlv_close(bex_bytes *b);

/* The files, as a chip holds them. Each appends to *out (start from a zeroed bex_bytes) and
 * returns bex_bytes_done(out) or BEX_ERR_ARG with a message. */
int bex_lds_build_com(const char *lds_version, const char *unicode_version, const uint8_t *tags,
                      int n_tags, bex_bytes *out, char *err, size_t errlen);
/* The MRZ's lines, with or without '\n' between them. */
int bex_lds_build_dg1(const char *mrz, bex_bytes *out, char *err, size_t errlen);

/* A face for DG2: one BIT holding a 19794-5:2005 record of one face, no feature points. */
typedef struct bex_lds_face_in {
    const uint8_t *image;
    size_t image_len;
    int image_data_type;  /* 0 JPEG, 1 JPEG 2000 */
    int width, height;    /* px */
    int face_image_type;  /* 1 full frontal, as passports use */
} bex_lds_face_in;
int bex_lds_build_dg2(const bex_lds_face_in *faces, int n, bex_bytes *out, char *err,
                      size_t errlen);

/* A finger for DG3: one BIT holding a 19794-4:2005 record of one view. */
typedef struct bex_lds_finger_in {
    const uint8_t *image;
    size_t image_len;
    int compression;      /* BEX_FINGER_* */
    int position;         /* 1..10 */
    int width, height;    /* px */
    int resolution_ppi;   /* 500 usually */
    int bit_depth;        /* 8 */
    int quality;          /* 0..100 */
} bex_lds_finger_in;
int bex_lds_build_dg3(const bex_lds_finger_in *fingers, int n, bex_bytes *out, char *err,
                      size_t errlen);

/* DG11 (dg = 11) or DG12 (dg = 12) from (tag, text) pairs; an image field (0x5F16, 0x5F1D,
 * 0x5F1E) takes bytes and len. Repeated other names (0x5F0F) or other persons (0x5F1A) are
 * gathered into their 0xA0 template with its count. The tag list (0x5C) is written first. */
typedef struct bex_lds_field_in {
    uint32_t tag;
    const char *text;     /* UTF-8, or NULL with bytes */
    const uint8_t *bytes;
    size_t len;
} bex_lds_field_in;
int bex_lds_build_details(int dg, const bex_lds_field_in *fields, int n, bex_bytes *out,
                          char *err, size_t errlen);
/* EF.SOD: the CMS SignedData's DER wrapped in tag 0x77. */
int bex_lds_build_sod(const uint8_t *cms, size_t len, bex_bytes *out, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
