/*
 * slap.c - cutting a slap (four fingers of one hand, or the two thumbs, pressed at once) into
 * single fingertips: bex_finger_slap_segment.
 *
 * Method (after the usual slap segmenters, e.g. NIST's NFSEG and the SlapSeg evaluations'
 * description of them: foreground, components, fingertips, order):
 *   1. foreground: blocks of 16 px (at 500 ppi) whose grey standard deviation is high (ridges)
 *      against a threshold taken from the image itself; a closing joins ridge gaps;
 *   2. 4-connected components of the foreground blocks, the small ones dropped;
 *   3. a component much wider than a finger is two touching fingers: it is split at the deepest
 *      valley of its column profile;
 *   4. the fingertip of each finger is its top-most component (a component lying under another
 *      is a lower phalanx of the same finger), cut to at most 1.3 inch long;
 *   5. the expected number (4 or 2) of fingertips, the largest if there are more, left to
 *      right, each cropped with a one-block margin.
 * Finger positions (ANSI/NIST-ITL 1-2011, Table 8 "friction ridge position codes": 1 right
 * thumb, 2-5 right index..little, 6 left thumb, 7-10 left index..little; 13 plain right four
 * fingers, 14 plain left four, 15 plain left and right thumbs): a slap is imaged palm down,
 * fingertips up, as the subject sees their hand, so left to right a right hand shows index,
 * middle, ring, little (2, 3, 4, 5), a left hand little, ring, middle, index (10, 9, 8, 7),
 * and the thumbs slap shows the left thumb then the right (6, 1). When fewer fingers than
 * expected are found, which ones they are cannot be told from the order alone: their
 * positions are 0 ("unknown finger" in the same table).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bex/finger.h"
#include "finger/finger_int.h"
#include "util/util.h"

typedef struct comp {
    int x0, y0, x1, y1; /* block bounds, inclusive */
    int area;           /* blocks */
    int label;
    int keep;
} comp;

enum { MAX_COMPS = 256 };

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

/* Labels the 4-connected components of mask (gw x gh) into lab (1..n); fills comps (at most
 * MAX_COMPS; further ones are labelled 0 and ignored). stack holds gw * gh ints. */
static int label_components(const uint8_t *mask, int gw, int gh, int *lab, int *stack,
                            comp *comps) {
    int n = 0;
    memset(lab, 0, sizeof *lab * (size_t)gw * gh);
    for (int s = 0; s < gw * gh; s++) {
        if (!mask[s] || lab[s]) continue;
        if (n == MAX_COMPS) break;
        comp *c = &comps[n++];
        *c = (comp){s % gw, s / gw, s % gw, s / gw, 0, n, 1};
        int top = 0;
        stack[top++] = s;
        lab[s] = n;
        while (top) {
            int p = stack[--top], x = p % gw, y = p / gw;
            c->area++;
            if (x < c->x0) c->x0 = x;
            if (x > c->x1) c->x1 = x;
            if (y < c->y0) c->y0 = y;
            if (y > c->y1) c->y1 = y;
            const int nb[4] = {x > 0 ? p - 1 : -1, x < gw - 1 ? p + 1 : -1, y > 0 ? p - gw : -1,
                               y < gh - 1 ? p + gw : -1};
            for (int k = 0; k < 4; k++)
                if (nb[k] >= 0 && mask[nb[k]] && !lab[nb[k]]) {
                    lab[nb[k]] = n;
                    stack[top++] = nb[k];
                }
        }
    }
    return n;
}

/* Splits component c (two touching fingers) at the deepest valley of its column profile in
 * its middle half: c keeps the left part, *right gets the other. 0 if no valley. */
static int split_wide(const int *lab, int gw, comp *c, comp *right) {
    int w = c->x1 - c->x0 + 1;
    int best = -1, best_v = 1 << 30;
    for (int x = c->x0 + w / 4; x <= c->x1 - w / 4; x++) {
        int v = 0;
        for (int y = c->y0; y <= c->y1; y++) v += lab[y * gw + x] == c->label;
        if (v < best_v) best_v = v, best = x;
    }
    if (best < 0) return 0;
    *right = *c;
    c->x1 = best - 1;
    right->x0 = best + 1;
    /* tighten the vertical bounds and areas of both halves */
    comp *parts[2] = {c, right};
    for (int k = 0; k < 2; k++) {
        comp *p = parts[k];
        int y0 = 1 << 30, y1 = -1, area = 0;
        for (int y = c->y0 < right->y0 ? c->y0 : right->y0; y <= (c->y1 > right->y1 ? c->y1 : right->y1); y++)
            for (int x = p->x0; x <= p->x1; x++)
                if (lab[y * gw + x] == p->label) {
                    area++;
                    if (y < y0) y0 = y;
                    if (y > y1) y1 = y;
                }
        if (!area) return 0;
        p->y0 = y0;
        p->y1 = y1;
        p->area = area;
    }
    return 1;
}

int bex_finger_slap_segment(const bex_finger_image *slap, int slap_position,
                            bex_finger_image fingers[4], int positions[4], int *n, char *err,
                            size_t errlen) {
    if (err && errlen) err[0] = '\0';
    if (!slap || !slap->px || slap->width <= 0 || slap->height <= 0 || !fingers || !positions || !n)
        return bex__fail(err, errlen, BEX_ERR_ARG, "bex_finger_slap_segment: empty image or NULL output");
    if (slap_position < 13 || slap_position > 15)
        return bex__fail(err, errlen, BEX_ERR_ARG,
                         "finger position %d is not a slap (13 right four fingers, 14 left four, "
                         "15 both thumbs)",
                         slap_position);
    int expect = slap_position == 15 ? 2 : 4;
    int ppi = slap->ppi >= BEX__FINGER_PPI_MIN && slap->ppi <= BEX__FINGER_PPI_MAX ? slap->ppi : 500;
    double s = ppi / 500.0; /* px at this resolution per px at 500 ppi */
    int B = (int)lround(16 * s);
    if (B < 4) B = 4;
    int W = slap->width, H = slap->height, gw = (W + B - 1) / B, gh = (H + B - 1) / B;
    size_t ng = (size_t)gw * gh;
    float *sd = bex__malloc(ng * sizeof *sd), *sorted = bex__malloc(ng * sizeof *sorted);
    uint8_t *mask = bex__malloc(ng), *tmp = bex__malloc(ng);
    int *lab = bex__malloc(ng * sizeof *lab), *stack = bex__malloc(ng * sizeof *stack);
    comp *comps = bex__malloc(sizeof *comps * (MAX_COMPS * 2));
    bex_finger_image out[4];
    memset(out, 0, sizeof out);
    int found = 0, rc = BEX_OK;
    if (!sd || !sorted || !mask || !tmp || !lab || !stack || !comps) {
        rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory segmenting a %dx%d slap", W, H);
        goto done;
    }
    /* 1. block standard deviation; foreground above a threshold from the image's own spread:
     * a third of the 95th percentile (the ridges' contrast), at least 6 grey levels */
    for (int by = 0; by < gh; by++)
        for (int bx = 0; bx < gw; bx++) {
            double sum = 0, sq = 0;
            int cnt = 0;
            for (int y = by * B; y < (by + 1) * B && y < H; y++)
                for (int x = bx * B; x < (bx + 1) * B && x < W; x++) {
                    double v = slap->px[(size_t)y * W + x];
                    sum += v, sq += v * v, cnt++;
                }
            double m = sum / cnt, var = sq / cnt - m * m;
            sd[by * gw + bx] = (float)sqrt(var > 0 ? var : 0);
        }
    memcpy(sorted, sd, ng * sizeof *sd);
    qsort(sorted, ng, sizeof *sorted, cmp_float);
    float thr = sorted[(size_t)(0.95 * (double)(ng - 1))] / 3;
    if (thr < 6) thr = 6;
    for (size_t i = 0; i < ng; i++) mask[i] = sd[i] >= thr;
    /* closing (3x3 dilation, then erosion): ridge gaps inside a print become foreground */
    for (int pass = 0; pass < 2; pass++) {
        uint8_t want = pass == 0; /* dilation: any neighbour set; erosion: all set */
        for (int y = 0; y < gh; y++)
            for (int x = 0; x < gw; x++) {
                uint8_t v = pass == 0 ? 0 : 1;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++) {
                        int yy = y + dy, xx = x + dx;
                        uint8_t m = yy >= 0 && yy < gh && xx >= 0 && xx < gw ? mask[yy * gw + xx]
                                                                          : (uint8_t)(pass == 1);
                        if (m == want) v = want;
                    }
                tmp[y * gw + x] = v;
            }
        memcpy(mask, tmp, ng);
    }
    /* 2. components; drop those under ~0.06 square inch */
    int nc = label_components(mask, gw, gh, lab, stack, comps);
    double block_in2 = (double)B * B / ((double)ppi * ppi);
    int min_area = (int)ceil(0.06 / block_in2);
    int max_w = (int)ceil(0.95 * ppi / B); /* wider than ~0.95 inch: two fingers */
    int max_len = (int)ceil(1.3 * ppi / B);
    for (int i = 0; i < nc; i++) comps[i].keep = comps[i].area >= min_area;
    /* 3. split over-wide components (touching fingers), at most a few times */
    for (int i = 0; i < nc && nc < 2 * MAX_COMPS; i++) {
        if (!comps[i].keep || comps[i].x1 - comps[i].x0 + 1 <= max_w) continue;
        comp right;
        if (split_wide(lab, gw, &comps[i], &right)) {
            comps[nc++] = right;
            i--; /* the left part may still be too wide */
        }
    }
    /* 4. a component under another (columns overlapping by more than half the narrower) is a
     * lower phalanx */
    for (int i = 0; i < nc; i++) {
        if (!comps[i].keep) continue;
        for (int j = 0; j < nc; j++) {
            if (j == i || !comps[j].keep || comps[j].y0 >= comps[i].y0) continue;
            int ov = (comps[i].x1 < comps[j].x1 ? comps[i].x1 : comps[j].x1) -
                     (comps[i].x0 > comps[j].x0 ? comps[i].x0 : comps[j].x0) + 1;
            int wi = comps[i].x1 - comps[i].x0 + 1, wj = comps[j].x1 - comps[j].x0 + 1;
            if (ov * 2 > (wi < wj ? wi : wj) && comps[j].y1 < comps[i].y0 + (comps[i].y1 - comps[i].y0) / 2) {
                comps[i].keep = 0;
                break;
            }
        }
    }
    /* 5. the `expect` largest, left to right */
    int pick[4], np = 0;
    for (int k = 0; k < expect; k++) {
        int best = -1;
        for (int i = 0; i < nc; i++) {
            if (!comps[i].keep) continue;
            int used = 0;
            for (int t = 0; t < np; t++) used |= pick[t] == i;
            if (!used && (best < 0 || comps[i].area > comps[best].area)) best = i;
        }
        if (best < 0) break;
        pick[np++] = best;
    }
    for (int a = 1; a < np; a++) /* insertion sort by centre x */
        for (int b = a; b > 0 && comps[pick[b]].x0 + comps[pick[b]].x1 <
                                     comps[pick[b - 1]].x0 + comps[pick[b - 1]].x1;
             b--) {
            int t = pick[b];
            pick[b] = pick[b - 1];
            pick[b - 1] = t;
        }
    for (int k = 0; k < np; k++) {
        const comp *c = &comps[pick[k]];
        int y1 = c->y1 - c->y0 + 1 > max_len ? c->y0 + max_len - 1 : c->y1;
        int x0 = (c->x0 - 1) * B, xe = (c->x1 + 2) * B, y0 = (c->y0 - 1) * B, ye = (y1 + 2) * B;
        if (x0 < 0) x0 = 0;
        if (y0 < 0) y0 = 0;
        if (xe > W) xe = W;
        if (ye > H) ye = H;
        if ((rc = bex__finger_alloc(&out[k], xe - x0, ye - y0, err, errlen)) != BEX_OK) goto done;
        for (int y = y0; y < ye; y++)
            memcpy(out[k].px + (size_t)(y - y0) * (xe - x0), slap->px + (size_t)y * W + x0,
                   (size_t)(xe - x0));
        out[k].ppi = slap->ppi;
        out[k].ppi_source = slap->ppi_source;
        found++;
    }
done:
    if (rc == BEX_OK) {
        static const int RIGHT[4] = {2, 3, 4, 5}, LEFT[4] = {10, 9, 8, 7}, THUMBS[2] = {6, 1};
        const int *pos = slap_position == 13 ? RIGHT : slap_position == 14 ? LEFT : THUMBS;
        for (int k = 0; k < found; k++) {
            fingers[k] = out[k];
            positions[k] = found == expect ? pos[k] : 0;
        }
        *n = found;
    } else {
        for (int k = 0; k < 4; k++) bex_finger_image_free(&out[k]);
    }
    bex__free(sd);
    bex__free(sorted);
    bex__free(mask);
    bex__free(tmp);
    bex__free(lab);
    bex__free(stack);
    bex__free(comps);
    return rc;
}
