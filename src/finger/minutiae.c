/*
 * minutiae.c - the third stage of the extractor: the binarised ridges are thinned to a
 * one-pixel skeleton, minutiae are found on it by the crossing number, each is given a
 * direction, and false minutiae are removed.
 *
 * Thinning: Z. Guo & R. W. Hall, "Parallel thinning with two-subiteration algorithms", CACM
 * 32(3), 1989 (their first algorithm, A1), as two 256-entry tables of the 8-neighbourhood.
 * Crossing number: the number of ridge runs around a skeleton pixel (1 = ridge ending,
 * 3 = bifurcation), as in D. Maltoni, D. Maio, A. K. Jain & S. Prabhakar, Handbook of
 * Fingerprint Recognition, 2nd ed., 2009, section 3.7.
 *
 * Direction (ANSI/NIST-ITL 1-2011 section 8.9.7.3, which ISO/IEC 19794-2:2005 clause 6.5
 * shares): three rays along the ridges (bifurcation) or valleys (ending) leave the minutia,
 * and the direction bisects the smallest angle between them. For a ridge ending the two valley
 * rays straddle the ridge, so the direction points from the ending back along its ridge; for a
 * bifurcation it points between the two branches, away from the stem. We take the axis from
 * the smoothed orientation field at the minutia and the sense from the skeleton traced 12 px
 * along the ridge(s).
 *
 * False minutiae, after NIST's MINDTCT design (M. D. Garris et al., "User's guide to NIST
 * Biometric Image Software", NISTIR 7392, 2007, the "remove false minutiae" steps) and the
 * structural rules of Maltoni et al. section 3.8: minutiae near the border of the print or the
 * image; in incoherent blocks; an ending whose ridge reaches another ending within a period
 * and a half (a short ridge fragment) or a bifurcation (a spur); two bifurcations joined within
 * a period (bridges, holes, ladders); two endings facing each other across a small gap (a
 * broken ridge); and clusters of several minutiae within a small radius (noise).
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "finger/extract.h"
#include "util/util.h"

#ifndef BORDER_PX
#define BORDER_PX 11.0f   /* minutiae closer than this to the background or the edge go */
#endif
#ifndef COH_MIN
#define COH_MIN 0.05f     /* ... and those in blocks less coherent than this */
#endif
#ifndef TRACE_DIR
#define TRACE_DIR 12      /* px traced to decide a direction's sense */
#endif
#ifndef SPUR_K
#define SPUR_K 1.6f       /* short fragments / spurs: within this many periods */
#endif
#ifndef BRIDGE_K
#define BRIDGE_K 1.2f     /* bifurcations joined within this many periods */
#endif
#ifndef BREAK_K
#define BREAK_K 1.3f      /* facing endings within this many periods */
#endif
#ifndef CLUSTER_R
#define CLUSTER_R 9.0f    /* px */
#endif
#ifndef CLUSTER_N
#define CLUSTER_N 3       /* this many others within CLUSTER_R: noise */
#endif
#define MAX_CANDIDATES 3000 /* more is noise, and the pair rules below are quadratic */
#ifndef DUP_R
#define DUP_R 4.0f        /* px: closer candidates are one minutia */
#endif

/* Ring order of the 8 neighbours: N, NE, E, SE, S, SW, W, NW (bit i of a code). */
static const int DX[8] = {0, 1, 1, 1, 0, -1, -1, -1};
static const int DY[8] = {-1, -1, 0, 1, 1, 1, 0, -1};

static uint8_t gh_del[2][256]; /* Guo-Hall deletable, per subiteration */
static uint8_t runs_of[256];   /* crossing number: runs of ones around the ring */
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void make_tables(void) {
    for (int code = 0; code < 256; code++) {
        int p[8];
        for (int i = 0; i < 8; i++) p[i] = (code >> i) & 1;
        /* p2..p9 of Guo & Hall = p[0..7] (N, NE, E, SE, S, SW, W, NW). */
        int p2 = p[0], p3 = p[1], p4 = p[2], p5 = p[3], p6 = p[4], p7 = p[5], p8 = p[6],
            p9 = p[7];
        int C = (!p2 && (p3 || p4)) + (!p4 && (p5 || p6)) + (!p6 && (p7 || p8)) +
                (!p8 && (p9 || p2));
        int N1 = (p9 || p2) + (p3 || p4) + (p5 || p6) + (p7 || p8);
        int N2 = (p2 || p3) + (p4 || p5) + (p6 || p7) + (p8 || p9);
        int N = N1 < N2 ? N1 : N2;
        int m0 = (p6 || p7 || !p9) && p8;
        int m1 = (p2 || p3 || !p5) && p4;
        gh_del[0][code] = C == 1 && N >= 2 && N <= 3 && !m0;
        gh_del[1][code] = C == 1 && N >= 2 && N <= 3 && !m1;
        int r = 0;
        for (int i = 0; i < 8; i++) r += !p[i] && p[(i + 1) & 7];
        if (code == 255) r = 0;
        runs_of[code] = (uint8_t)r;
    }
}

/* Neighbourhood code of a pixel of a padded (1 px of zeros) image with stride pw. */
static inline int code_at(const uint8_t *s, int pw, int i) {
    return s[i - pw] | s[i - pw + 1] << 1 | s[i + 1] << 2 | s[i + pw + 1] << 3 |
           s[i + pw] << 4 | s[i + pw - 1] << 5 | s[i - 1] << 6 | s[i - pw - 1] << 7;
}

/* Thins the padded image s in place. */
static void thin(uint8_t *s, uint8_t *mark, int pw, int ph) {
    for (int iter = 0; iter < 64; iter++) {
        int changed = 0;
        for (int sub = 0; sub < 2; sub++) {
            int nd = 0;
            for (int y = 1; y < ph - 1; y++)
                for (int x = 1; x < pw - 1; x++) {
                    int i = y * pw + x;
                    mark[i] = s[i] && gh_del[sub][code_at(s, pw, i)];
                    nd += mark[i];
                }
            if (nd) {
                changed = 1;
                for (int i = 0; i < pw * ph; i++)
                    if (mark[i]) s[i] = 0;
            }
        }
        if (!changed) break;
    }
}

typedef struct trace_out {
    int x, y;     /* where the trace stopped (padded coordinates) */
    int steps;
    int stop;     /* 0 length reached, 1 an ending, 3 a junction */
    int dx, dy;   /* from the start to the point TRACE_DIR steps along (or the stop) */
} trace_out;

/* Follows the skeleton from pixel `cur` entered from `prev` for at most maxlen steps. */
static trace_out trace(const uint8_t *s, int pw, int prev, int cur, int start, int maxlen) {
    trace_out t = {0};
    int steps = 1;
    int dirx = 0, diry = 0, got = 0;
    for (;;) {
        int code = code_at(s, pw, cur);
        int cn = runs_of[code];
        int cx = cur % pw, cy = cur / pw;
        if (!got && steps >= TRACE_DIR) {
            dirx = cx - start % pw, diry = cy - start / pw, got = 1;
        }
        if (cn != 2 || steps >= maxlen) {
            t.stop = cn == 1 ? 1 : cn >= 3 ? 3 : 0;
            if (cn == 2) t.stop = 0;
            t.x = cx, t.y = cy, t.steps = steps;
            break;
        }
        /* Two runs: step into the one that does not hold prev, preferring a 4-neighbour. */
        int pdx = prev % pw - cx, pdy = prev / pw - cy, pi = -1;
        for (int k = 0; k < 8; k++)
            if (DX[k] == pdx && DY[k] == pdy) pi = k;
        if (pi < 0) { /* lost (prev not adjacent): stop */
            t.x = cx, t.y = cy, t.steps = steps, t.stop = 0;
            break;
        }
        /* Walk the ring from prev both ways to skip its run. */
        int lo = pi, hi = pi;
        while ((code >> ((lo + 7) & 7) & 1) && ((lo + 7) & 7) != pi) lo = (lo + 7) & 7;
        while ((code >> ((hi + 1) & 7) & 1) && ((hi + 1) & 7) != pi) hi = (hi + 1) & 7;
        int best = -1;
        for (int k = (hi + 1) & 7; k != lo; k = (k + 1) & 7) {
            if (!(code >> k & 1)) continue;
            if (best < 0 || ((k & 1) == 0 && (best & 1))) best = k;
        }
        if (best < 0) {
            t.x = cx, t.y = cy, t.steps = steps, t.stop = 1;
            break;
        }
        prev = cur;
        cur = cur + DY[best] * pw + DX[best];
        steps++;
    }
    if (!got) dirx = t.x - start % pw, diry = t.y - start / pw;
    t.dx = dirx, t.dy = diry;
    return t;
}

/* The first pixels of each run around pixel i (a 4-neighbour preferred); returns the count. */
static int branches(const uint8_t *s, int pw, int i, int out[8]) {
    int code = code_at(s, pw, i), n = 0;
    for (int k = 0; k < 8; k++) {
        if (!(code >> k & 1) || (code >> ((k + 7) & 7) & 1)) continue; /* not a run start */
        int best = k;
        for (int j = k; code >> j & 1; j = (j + 1) & 7) {
            if ((j & 1) == 0 && (best & 1)) best = j;
            if (((j + 1) & 7) == k) break;
        }
        out[n++] = i + DY[best] * pw + DX[best];
    }
    return n;
}

/* Ridge orientation at pixel (x, y), interpolated in doubled angles. */
static float ori_at(const fx_ctx *c, int x, int y) {
    int bx = x / FX_B, by = y / FX_B;
    double sx = 0, sy = 0;
    for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++) {
            int xx = bx + dx, yy = by + dy;
            if (xx < 0 || yy < 0 || xx >= c->bw || yy >= c->bh) continue;
            float cxp = xx * FX_B + 3.5f - x, cyp = yy * FX_B + 3.5f - y;
            float wgt = expf(-(cxp * cxp + cyp * cyp) / (2 * 64.0f));
            float t = c->ori[yy * c->bw + xx];
            sx += wgt * cos(2 * t), sy += wgt * sin(2 * t);
        }
    return 0.5f * (float)atan2(sy, sx);
}

static int add_min(fx_ctx *c, int x, int y, float dir, int type) {
    if (c->nmin == c->capmin) {
        int cap = c->capmin ? 2 * c->capmin : 256;
        fx_min *m = bex__realloc(c->min, (size_t)cap * sizeof *m);
        if (!m) return 0;
        c->min = m, c->capmin = cap;
    }
    c->min[c->nmin++] = (fx_min){x, y, dir, type, 0, 0};
    return 1;
}

static float angdiff(float a, float b) {
    float d = fmodf(fabsf(a - b), 2 * (float)M_PI);
    return d > (float)M_PI ? 2 * (float)M_PI - d : d;
}

/* The candidate nearest (x, y) within r px, or -1. */
static int find_near(const fx_ctx *c, int x, int y, float r) {
    int best = -1;
    float bd = r * r;
    for (int i = 0; i < c->nmin; i++) {
        float dx = (float)(c->min[i].x - x), dy = (float)(c->min[i].y - y);
        float d = dx * dx + dy * dy;
        if (d <= bd) bd = d, best = i;
    }
    return best;
}

int fx_minutiae(fx_ctx *c) {
    pthread_once(&tables_once, make_tables);
    int w = c->w, h = c->h, pw = w + 2, ph = h + 2;
    uint8_t *s = bex__calloc((size_t)pw * ph, 1), *mark = bex__calloc((size_t)pw * ph, 1);
    if (!s || !mark) {
        bex__free(s), bex__free(mark);
        return BEX_ERR_NOMEM;
    }
    for (int y = 0; y < h; y++)
        memcpy(s + (size_t)(y + 1) * pw + 1, c->ridge + (size_t)y * w, w);
    thin(s, mark, pw, ph);
    for (int y = 0; y < h; y++) memcpy(c->skel + (size_t)y * w, s + (size_t)(y + 1) * pw + 1, w);

    /* Candidates: crossing number 1 or 3 inside the print, away from its border. */
    c->nmin = 0;
    int rc = BEX_ERR_NOMEM;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int i = (y + 1) * pw + x + 1;
            if (!s[i]) continue;
            int cn = runs_of[code_at(s, pw, i)];
            if (cn != 1 && cn != 3) continue;
            if (c->nmin >= MAX_CANDIDATES) continue;
            if (c->bdist[(size_t)y * w + x] < BORDER_PX) continue;
            if (c->coh[(y / FX_B) * c->bw + x / FX_B] < COH_MIN) continue;
            int type = cn == 1 ? BEX_MINUTIA_ENDING : BEX_MINUTIA_BIFURCATION;
            /* Sense from the traced ridge(s). */
            int br[8], nbr = branches(s, pw, i, br);
            float vx = 0, vy = 0;
            for (int k = 0; k < nbr; k++) {
                trace_out t = trace(s, pw, i, br[k], i, TRACE_DIR);
                float len = sqrtf((float)(t.dx * t.dx + t.dy * t.dy));
                if (len > 0) vx += t.dx / len, vy += t.dy / len;
            }
            float axis = ori_at(c, x, y);
            float ax = cosf(axis), ay = sinf(axis);
            float dir = (vx * ax + vy * ay) >= 0 ? axis : axis + (float)M_PI;
            if (!add_min(c, x, y, dir, type)) goto out;
        }

    /* Candidates closer than DUP_R are one minutia (a junction of several skeleton pixels). */
    for (int i = 0; i < c->nmin; i++) {
        if (c->min[i].dead) continue;
        for (int j = i + 1; j < c->nmin; j++) {
            float dx = (float)(c->min[i].x - c->min[j].x), dy = (float)(c->min[i].y - c->min[j].y);
            if (!c->min[j].dead && c->min[j].type == c->min[i].type && dx * dx + dy * dy < DUP_R * DUP_R)
                c->min[j].dead = 1;
        }
    }

    /* Structural rules on the skeleton. */
    int nm = c->nmin;
    uint8_t *kill = bex__calloc((size_t)nm + 1, 1);
    if (!kill) goto out;
    for (int m = 0; m < nm; m++) {
        fx_min *a = &c->min[m];
        if (a->dead) continue;
        int bx = a->x / FX_B, by = a->y / FX_B;
        float per = c->period[by * c->bw + bx];
        int i = (a->y + 1) * pw + a->x + 1;
        int br[8], nbr = branches(s, pw, i, br);
        if (a->type == BEX_MINUTIA_ENDING && nbr >= 1) {
            int len = (int)(SPUR_K * per);
            trace_out t = trace(s, pw, i, br[0], i, len);
            if (t.stop == 1) { /* a short fragment: both its ends are false */
                kill[m] = 1;
                int o = find_near(c, t.x - 1, t.y - 1, 2.5f);
                if (o >= 0) kill[o] = 1;
            } else if (t.stop == 3) { /* a spur off another ridge */
                kill[m] = 1;
                int o = find_near(c, t.x - 1, t.y - 1, DUP_R + 1);
                if (o >= 0 && c->min[o].type == BEX_MINUTIA_BIFURCATION) kill[o] = 1;
            }
        } else if (a->type == BEX_MINUTIA_BIFURCATION) {
            int len = (int)(BRIDGE_K * per);
            for (int k = 0; k < nbr; k++) {
                trace_out t = trace(s, pw, i, br[k], i, len);
                if (t.stop != 3) continue;
                float dx = (float)(t.x - 1 - a->x), dy = (float)(t.y - 1 - a->y);
                if (dx * dx + dy * dy <= DUP_R * DUP_R) continue; /* its own junction */
                kill[m] = 1;
                int o = find_near(c, t.x - 1, t.y - 1, DUP_R + 1);
                if (o >= 0 && c->min[o].type == BEX_MINUTIA_BIFURCATION) kill[o] = 1;
            }
        }
    }
    /* Broken ridges: two endings close together, each pointing away from the other. */
    for (int m = 0; m < nm; m++) {
        fx_min *a = &c->min[m];
        if (a->dead || a->type != BEX_MINUTIA_ENDING) continue;
        float per = c->period[(a->y / FX_B) * c->bw + a->x / FX_B];
        float lim = BREAK_K * per;
        for (int n = m + 1; n < nm; n++) {
            fx_min *b = &c->min[n];
            if (b->dead || b->type != BEX_MINUTIA_ENDING) continue;
            float dx = (float)(b->x - a->x), dy = (float)(b->y - a->y);
            float d = sqrtf(dx * dx + dy * dy);
            if (d > lim || d < 1) continue;
            float ab = atan2f(dy, dx);
            if (angdiff(a->dir, b->dir) > 2.4f && angdiff(ab, a->dir + (float)M_PI) < 0.8f &&
                angdiff(ab, b->dir) < 0.8f)
                kill[m] = kill[n] = 1;
        }
    }
    for (int m = 0; m < nm; m++)
        if (kill[m]) c->min[m].dead = 1;
    /* Clusters. */
    if (nm > 0) memset(kill, 0, (size_t)nm);
    for (int m = 0; m < nm; m++) {
        if (c->min[m].dead) continue;
        int cnt = 0;
        for (int n = 0; n < nm; n++) {
            if (n == m || c->min[n].dead) continue;
            float dx = (float)(c->min[n].x - c->min[m].x), dy = (float)(c->min[n].y - c->min[m].y);
            if (dx * dx + dy * dy < CLUSTER_R * CLUSTER_R) cnt++;
        }
        if (cnt >= CLUSTER_N) kill[m] = 1;
    }
    for (int m = 0; m < nm; m++)
        if (kill[m]) c->min[m].dead = 1;
    bex__free(kill);
    rc = BEX_OK;
out:
    bex__free(s), bex__free(mark);
    return rc;
}
