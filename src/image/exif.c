/*
 * exif.c - finds the orientation tag (0x0112) in a JPEG's APP1 EXIF payload, so that jpeg.c
 * can turn camera photos upright.
 *
 * Layout: "Exif\0\0", then a TIFF header ("II*\0" little-endian or "MM\0*" big-endian, then
 * the 32-bit offset of IFD0, counted from the start of the TIFF header), then IFD0: a 16-bit
 * entry count and 12-byte entries (tag 16, type 16, count 32, value-or-offset 32). The payload
 * comes from outside, so every offset is checked against its length; anything odd means "no
 * orientation", never a failed decode.
 */
#include <string.h>

#include "image/decode.h"

static unsigned rd16(const uint8_t *p, int le) {
    return le ? (unsigned)p[0] | (unsigned)p[1] << 8 : (unsigned)p[0] << 8 | (unsigned)p[1];
}

static uint32_t rd32(const uint8_t *p, int le) {
    return le ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
              : (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

int bex__exif_orientation(const uint8_t *app1, size_t len) {
    if (!app1 || len < 6 || memcmp(app1, "Exif\0\0", 6) != 0) return 0;
    const uint8_t *t = app1 + 6; /* the TIFF header; offsets below count from here */
    size_t tlen = len - 6;
    if (tlen < 8) return 0;
    int le;
    if (memcmp(t, "II*\0", 4) == 0) le = 1;
    else if (memcmp(t, "MM\0*", 4) == 0) le = 0;
    else return 0;
    uint32_t ifd = rd32(t + 4, le);
    if (ifd < 8 || ifd > tlen || tlen - ifd < 2) return 0;
    unsigned n = rd16(t + ifd, le);
    if (n > (tlen - ifd - 2) / 12) return 0; /* entries run past the segment: malformed */
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *e = t + ifd + 2 + (size_t)i * 12;
        if (rd16(e, le) != 0x0112) continue;
        unsigned type = rd16(e + 2, le);
        uint32_t count = rd32(e + 4, le);
        unsigned v;
        if (type == 3 && count >= 1) v = rd16(e + 8, le);      /* SHORT, the standard type */
        else if (type == 4 && count >= 1) v = rd32(e + 8, le) > 8 ? 0 : rd32(e + 8, le); /* LONG */
        else return 0;
        return v >= 1 && v <= 8 ? (int)v : 0;
    }
    return 0;
}
