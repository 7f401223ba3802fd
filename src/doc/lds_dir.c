/*
 * lds_dir.c - a chip's files from a directory, as chip-reading tools save them (EF_COM.bin,
 * EF_SOD.bin, DG1.bin, ...): names matched without regard to case, each file's size capped
 * before it is read, the known files parsed (lds.c), the others checked to be one TLV with
 * their group's tag, EF.COM's list held against the files present. Every message starts with the file's name.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doc/lds_impl.h"
#include "util/util.h"

/* Which file a name is: 0 EF.COM, 1..16 DGn, 17 EF.SOD; -1 for any other name. Accepted:
 * [EF_|EF.]COM, [EF_|EF.]SOD, [EF_|EF.]DGn, with .bin or .der, in any case. */
static int file_index(const char *name) {
    char s[32];
    size_t n = strlen(name);
    if (n >= sizeof s || n < 5) return -1;
    for (size_t i = 0; i <= n; i++) s[i] = (char)tolower((unsigned char)name[i]);
    if (strcmp(s + n - 4, ".bin") != 0 && strcmp(s + n - 4, ".der") != 0) return -1;
    s[n - 4] = 0;
    const char *stem = s;
    if (strncmp(stem, "ef_", 3) == 0 || strncmp(stem, "ef.", 3) == 0) stem += 3;
    if (strcmp(stem, "com") == 0) return BEX_LDS_COM;
    if (strcmp(stem, "sod") == 0) return BEX_LDS_SOD;
    if (strncmp(stem, "dg", 2) != 0) return -1;
    const char *d = stem + 2;
    if (!isdigit((unsigned char)d[0]) || d[0] == '0') return -1;
    int v = d[0] - '0';
    if (d[1]) {
        if (!isdigit((unsigned char)d[1]) || d[2]) return -1;
        v = v * 10 + (d[1] - '0');
    }
    return v >= 1 && v <= 16 ? v : -1;
}

size_t bex_lds_file_cap(int idx) {
    switch (idx) {
    case BEX_LDS_COM: return BEX_LDS_MAX_COM_BYTES;
    case 1: return BEX_LDS_MAX_DG1_BYTES;
    case 2: return BEX_LDS_MAX_DG2_BYTES;
    case 3: return BEX_LDS_MAX_DG3_BYTES;
    case 11:
    case 12: return BEX_LDS_MAX_TEXT_DG_BYTES;
    case BEX_LDS_SOD: return BEX_LDS_MAX_SOD_BYTES;
    default: return BEX_LDS_MAX_OTHER_BYTES;
    }
}

/* Reads path whole, refusing anything but a regular file and anything over cap bytes. */
static int read_capped(const char *path, const char *name, size_t cap, uint8_t **out,
                       size_t *out_len, char *err, size_t errlen) {
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return bex__fail(err, errlen, BEX_ERR_IO, "%s: cannot open: %s", name, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return bex__fail(err, errlen, BEX_ERR_IO, "%s: not a regular file", name);
    }
    if ((uint64_t)st.st_size > cap) {
        close(fd);
        return bex__fail(err, errlen, BEX_ERR_LIMIT, "%s: %lld bytes, over the limit of %zu",
                         name, (long long)st.st_size, cap);
    }
    uint8_t *buf = bex__malloc(cap + 1 > (size_t)st.st_size + 1 ? (size_t)st.st_size + 1 : cap + 1);
    if (!buf) {
        close(fd);
        return bex__fail(err, errlen, BEX_ERR_NOMEM, "%s: out of memory", name);
    }
    size_t want = (size_t)st.st_size + 1; /* one more, to notice a file that grew */
    size_t len = 0;
    while (len < want) {
        ssize_t r = read(fd, buf + len, want - len);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            bex__free(buf);
            return bex__fail(err, errlen, BEX_ERR_IO, "%s: read error: %s", name, strerror(e));
        }
        if (r == 0) break;
        len += (size_t)r;
    }
    close(fd);
    if (len != (size_t)st.st_size) {
        bex__free(buf);
        return bex__fail(err, errlen, BEX_ERR_IO, "%s: changed while being read", name);
    }
    *out = buf;
    *out_len = len;
    return BEX_OK;
}

void bex_lds_free(bex_lds *lds) {
    if (!lds) return;
    for (int i = 0; i < BEX_LDS_NFILES; i++) bex__free(lds->file[i]);
    bex_lds_details_free(&lds->dg11);
    bex_lds_details_free(&lds->dg12);
    memset(lds, 0, sizeof *lds);
}

/* Reads dir's chip files into *l (zeroed first) with their names in names[]; DG1 required. */
static int read_files(const char *dir, bex_lds *lp, char names[BEX_LDS_NFILES][32], char *err, size_t errlen) {
    bex_lds l;
    memset(&l, 0, sizeof l);
    memset(names, 0, sizeof(char[BEX_LDS_NFILES][32]));
    DIR *d = opendir(dir);
    if (!d) return bex__fail(err, errlen, BEX_ERR_IO, "%s: cannot open the directory: %s", dir, strerror(errno));
    int rc = BEX_OK;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        int idx = file_index(de->d_name);
        if (idx < 0) continue;
        if (l.file[idx]) {
            rc = bex__fail(err, errlen, BEX_ERR_FORMAT, "%s and %s: two files for the same data",
                           names[idx], de->d_name);
            break;
        }
        snprintf(names[idx], sizeof names[idx], "%s", de->d_name);
        char path[4096];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= sizeof path) {
            rc = bex__fail(err, errlen, BEX_ERR_ARG, "%s: path too long", de->d_name);
            break;
        }
        rc = read_capped(path, names[idx], bex_lds_file_cap(idx), &l.file[idx], &l.file_len[idx], err, errlen);
        if (rc != BEX_OK) break;
        if (idx >= 1 && idx <= 16) l.present |= 1u << idx;
    }
    closedir(d);
    if (rc != BEX_OK) goto out;
    if (!l.file[1]) {
        rc = bex__fail(err, errlen, BEX_ERR_FORMAT, "%s: no DG1 file (DG1.bin): not a chip's files", dir);
        goto out;
    }
out:
    if (rc != BEX_OK) bex_lds_free(&l);
    *lp = l;
    return rc;
}

int bex_lds_read_files(const char *dir, bex_lds *out, char *err, size_t errlen) {
    if (!dir || !out) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_lds_read_files: NULL argument");
    char names[BEX_LDS_NFILES][32];
    return read_files(dir, out, names, err, errlen);
}

int bex_lds_read_dir(const char *dir, bex_lds *out, char *err, size_t errlen) {
    if (!dir || !out) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_lds_read_dir: NULL argument");
    bex_lds l;
    char names[BEX_LDS_NFILES][32];
    int rc = read_files(dir, &l, names, err, errlen);
    if (rc != BEX_OK) return rc;
#define CTX(i) lds__ctx c = {l.file[i], l.file_len[i], names[i], err, errlen}
    if (l.file[BEX_LDS_COM]) {
        CTX(BEX_LDS_COM);
        if ((rc = lds__parse_com(&c, &l.com)) != BEX_OK) goto fail;
        l.has_com = 1;
        l.unlisted = l.present & ~l.com.dg_mask;
        l.missing = l.com.dg_mask & ~l.present;
    }
    {
        CTX(1);
        if ((rc = lds__parse_dg1(&c, &l.dg1)) != BEX_OK) goto fail;
    }
    if (l.file[2]) {
        CTX(2);
        if ((rc = lds__parse_dg2(&c, &l.dg2)) != BEX_OK) goto fail;
        l.has_dg2 = 1;
    }
    if (l.file[3]) {
        CTX(3);
        if ((rc = lds__parse_dg3(&c, &l.dg3)) != BEX_OK) goto fail;
        l.has_dg3 = 1;
    }
    for (int i = 11; i <= 12; i++) {
        if (!l.file[i]) continue;
        CTX(i);
        if (l.file_len[i] > 0 && l.file[i][0] != bex_lds_tag_of_dg(i)) {
            rc = lds__fail(&c, BEX_ERR_CORRUPT, "byte 0: tag %02X where %02X was expected",
                           l.file[i][0], bex_lds_tag_of_dg(i));
            goto fail;
        }
        bex_lds_details *dd = i == 11 ? &l.dg11 : &l.dg12;
        if ((rc = lds__parse_details(&c, dd)) != BEX_OK) goto fail;
        if (i == 11) l.has_dg11 = 1;
        else l.has_dg12 = 1;
    }
    for (int i = 4; i <= 16; i++) { /* kept, not parsed: one TLV with the group's tag */
        if (i == 11 || i == 12 || !l.file[i]) continue;
        CTX(i);
        size_t pos = 0;
        bex_tlv t;
        if (l.file_len[i] == 0) {
            rc = lds__fail(&c, BEX_ERR_CORRUPT, "empty file");
            goto fail;
        }
        if ((rc = lds__tlv_next(&c, l.file_len[i], &pos, &t)) != BEX_OK) goto fail;
        if (t.tag != bex_lds_tag_of_dg(i)) {
            rc = lds__fail(&c, BEX_ERR_CORRUPT, "byte 0: tag %02X where %02X was expected",
                           (unsigned)t.tag, bex_lds_tag_of_dg(i));
            goto fail;
        }
        if (pos != l.file_len[i]) {
            rc = lds__fail(&c, BEX_ERR_CORRUPT, "%zu bytes after the end of tag %02X at byte %zu",
                           l.file_len[i] - pos, (unsigned)t.tag, pos);
            goto fail;
        }
    }
    if (l.file[BEX_LDS_SOD]) {
        CTX(BEX_LDS_SOD);
        if ((rc = lds__parse_sod(&c, &l.sod_cms_off, &l.sod_cms_len)) != BEX_OK) goto fail;
        l.has_sod = 1;
    }
#undef CTX
    *out = l;
    return BEX_OK;
fail:
    bex_lds_free(&l);
    return rc;
}
