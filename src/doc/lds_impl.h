/*
 * lds_impl.h - what the LDS files share inside src/doc/ (tlv.c, lds.c, lds_dir.c): the reading
 * context that names the file in every message.
 */
#ifndef BEX_LDS_IMPL_H
#define BEX_LDS_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "bex/lds.h"

/* One file being read: its bytes and the name its messages start with ("DG2", "DG2.bin"). */
typedef struct lds__ctx {
    const uint8_t *buf;
    size_t len;
    const char *name;
    char *err;
    size_t errlen;
} lds__ctx;

/* bex_tlv_next with the file's name in the message. */
int lds__tlv_next(lds__ctx *c, size_t end, size_t *pos, bex_tlv *t);
/* bex_tlv_check, likewise; opaque_tag (0: none) is a constructed tag not descended into
 * (the ISO/IEC 39794 data block 0x7F2E, whose DER is its format's business). */
int lds__tlv_check(lds__ctx *c, size_t off, size_t end, int depth, int max_depth,
                   uint32_t opaque_tag);
/* A failure with "name: " before the message. */
int lds__fail(lds__ctx *c, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Parsers with the file's name for messages (the public ones use "EF.COM", "DG1", ...). */
int lds__parse_com(lds__ctx *c, bex_lds_com *out);
int lds__parse_dg1(lds__ctx *c, bex_lds_dg1 *out);
int lds__parse_dg2(lds__ctx *c, bex_lds_dg2 *out);
int lds__parse_dg3(lds__ctx *c, bex_lds_dg3 *out);
int lds__parse_details(lds__ctx *c, bex_lds_details *out);
int lds__parse_sod(lds__ctx *c, size_t *cms_off, size_t *cms_len);

#endif
