/*
 * match.c - fingerprint comparison: Minutia Cylinder-Code (MCC) in its bit-based form, with
 * Local Similarity Sort and Relaxation (LSS-R) to consolidate the local similarities into one
 * score (bex_finger_prepare / bex_finger_compare_prepared in include/bex/finger.h).
 *
 * The method is that of R. Cappelli, M. Ferrara, D. Maltoni, "Minutia Cylinder-Code: a new
 * representation and matching technique for fingerprint recognition", IEEE TPAMI 32(12),
 * 2010, written here from the paper:
 *   - prepare: for each minutia, a cylinder of FM_NS x FM_NS x FM_ND cells turned to its
 *     direction (match.h). A cell's bit is set when the neighbouring minutiae near the cell
 *     (a Gaussian of their distance to the cell's centre) whose direction relative to the
 *     cylinder's minutia falls in the cell's direction layer (a Gaussian integrated over the
 *     layer) add up to mu_psi. A cell is valid inside the disc of radius R and inside the
 *     print's area, taken as the minutiae's convex hull widened by omega; a cylinder with too
 *     few valid cells or neighbours is dropped.
 *   - local similarity of two cylinders whose minutiae directions differ by at most
 *     delta_theta, over the cells valid in both: 1 - |a xor b| / (|a| + |b|), i.e. twice the
 *     shared set bits over the set bits of both; zero when too few cells are valid in both.
 *   - LSS-R: the min(nA, nB) most similar pairs (each minutia in one pair at most), then
 *     n_rel rounds of relaxation in which each pair's weight moves towards the weights of the
 *     pairs geometrically compatible with it (distance, direction difference and radial angle
 *     between the two minutiae of each pair agree), averaged over at least rel_min_norm pairs
 *     (bex's one change to the method: the paper averages over nR - 1, which lets a sparse
 *     print's few chance-compatible pairs lift each other); the n_P pairs whose weight held up best
 *     (efficiency = final / initial) are averaged, n_P growing from min_np to max_np with the
 *     smaller template's size.
 * The score is in 0..1 and symmetric: the two templates are taken in a fixed order (by a hash
 * of their minutiae) whichever way round the caller passes them.
 *
 * Speed: a template's cylinders, and the distances and angles between its minutiae, are made
 * once by bex_finger_prepare; a comparison is popcounts (match_kernel.c, match_avx512.c), a
 * counting sort of the similarities, table look-ups and a small matrix-vector product, with
 * no allocation (the work space is on the stack, bounded by BEX_FINGER_MAX_MINUTIAE).
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bex/finger.h"
#include "finger/match.h"
#include "util/util.h"

#define MAXM BEX_FINGER_MAX_MINUTIAE
#define TWO_PI 6.28318530717958647692

/* ---- parameters and tables ------------------------------------------------------------- */

static fm_params params = {
    .radius = 70.0f,
    .sigma_s = 7.5f,
    .sigma_d = (float)(2.0 * 3.14159265358979 / 9.0),
    .mu_psi = 0.01f,
    .omega = 50.0f,
    .min_vc = 0.75f,
    .min_m = 2,
    .min_me = 0.60f,
    .delta_theta = 48, /* 67.5 degrees */
    .min_np = 4,
    .max_np = 12,
    .mu_p = 20.0f,
    .tau_p = 0.4f,
    .max_nr = 0,
    .n_rel = 5,
    .w_r = 0.5f,
    .rel_min_norm = 12,
    .mu1 = 5.0f,
    .tau1 = -1.6f,
    .mu2 = (float)(3.14159265358979 / 12.0),
    .tau2 = -30.0f,
    .mu3 = (float)(3.14159265358979 / 12.0),
    .tau3 = -30.0f,
};

fm_params *bex__finger_match_params(void) { return &params; }

#define Z1_STEP 16   /* distance differences in 1/16 px (the unit of the distance table) */
#define Z1_N 1024    /* up to 64 px; further is no compatibility at all */
#define ZA_SHIFT 4   /* angle differences in 65536ths of a turn, looked up in 4096ths */
#define ZA_N 2049    /* 0..half a turn */

static struct {
    float cd[FM_ND][256]; /* directional contribution of a neighbour by relative direction */
    float z1[Z1_N + 1];   /* compatibility by distance difference */
    float z2[ZA_N];       /* ... by difference of direction differences */
    float z3[ZA_N];       /* ... by difference of radial angles */
    int disc_cells;       /* cells of one layer inside the disc */
    const fm_kernel *kernel;
} tab;

static double sigmoid(double v, double mu, double tau) { return 1.0 / (1.0 + exp(-tau * (v - mu))); }

/* angle in radians to [-pi, pi) */
static double wrap_pi(double a) {
    a = fmod(a + TWO_PI / 2, TWO_PI);
    if (a < 0) a += TWO_PI;
    return a - TWO_PI / 2;
}

static void build_tables(void) {
    double dd = TWO_PI / FM_ND;
    for (int k = 0; k < FM_ND; k++) {
        double centre = -TWO_PI / 2 + (k + 0.5) * dd;
        for (int d = 0; d < 256; d++) {
            double rel = wrap_pi(d * TWO_PI / 256.0);
            double diff = wrap_pi(centre - rel), s = params.sigma_d * sqrt(2.0);
            tab.cd[k][d] = (float)(0.5 * (erf((diff + dd / 2) / s) - erf((diff - dd / 2) / s)));
        }
    }
    /* compatibilities below 1e-6 are taken as none: they change no score, and their products
     * would be denormal floats, which are many times slower to compute with */
#define ZCUT(v) ((float)((v) < 1e-6 ? 0.0 : (v)))
    for (int i = 0; i <= Z1_N; i++)
        tab.z1[i] = i == Z1_N ? 0.0f : ZCUT(sigmoid((double)i / Z1_STEP, params.mu1, params.tau1));
    for (int i = 0; i < ZA_N; i++) {
        double a = (double)(i << ZA_SHIFT) * TWO_PI / 65536.0;
        tab.z2[i] = ZCUT(sigmoid(a, params.mu2, params.tau2));
        tab.z3[i] = ZCUT(sigmoid(a, params.mu3, params.tau3));
    }
#undef ZCUT
    double ds = 2.0 * params.radius / FM_NS;
    tab.disc_cells = 0;
    for (int i = 0; i < FM_NS; i++)
        for (int j = 0; j < FM_NS; j++) {
            double u = (i - (FM_NS - 1) / 2.0) * ds, v = (j - (FM_NS - 1) / 2.0) * ds;
            if (u * u + v * v <= (double)params.radius * params.radius) tab.disc_cells++;
        }
    tab.kernel = fm_kernel_best();
}

static pthread_once_t tab_once = PTHREAD_ONCE_INIT;
static void tab_init(void) { pthread_once(&tab_once, build_tables); }

/* For tools that changed the parameters: rebuilds the tables (not thread-safe). */
void bex__finger_match_retune(void) {
    tab_init();
    build_tables();
}

/* ---- prepared templates ---------------------------------------------------------------- */

struct bex_finger_prepared {
    uint64_t key;     /* hash of the minutiae: fixes the order two templates are compared in */
    int n;            /* usable cylinders */
    int n_minutiae;   /* minutiae in the template */
    uint8_t ang[MAXM];   /* direction of each cylinder's minutia, 360/256 degree units */
    uint8_t full[MAXM];  /* 1: every cell of the cylinder's disc is valid */
    uint8_t first[257];  /* the first cylinder whose direction is at least v (sorted by it) */
    uint16_t nv[MAXM];   /* set value bits of each cylinder */
    uint16_t nm[MAXM];   /* set valid bits of each cylinder */
    uint16_t *dist;   /* n x n: distance between the minutiae, 1/16 px */
    uint16_t *rad;    /* n x n: direction from minutia t to k, relative to t's own, 1/65536 turn */
    uint64_t *cyl;    /* n cylinders of FM_CYL_WORDS words, 64-byte aligned */
};

typedef struct pt {
    double x, y;
} pt;

static double cross(pt o, pt a, pt b) { return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x); }

static int pt_cmp(const void *pa, const void *pb) {
    const pt *a = pa, *b = pb;
    if (a->x != b->x) return a->x < b->x ? -1 : 1;
    if (a->y != b->y) return a->y < b->y ? -1 : 1;
    return 0;
}

/* Andrew's monotone chain: the convex hull of p[0..n-1], counter-clockwise, into h; returns
 * its size (n <= 2 gives the points themselves). p is sorted in place. */
static int convex_hull(pt *p, int n, pt *h) {
    qsort(p, (size_t)n, sizeof *p, pt_cmp);
    if (n <= 2) {
        memcpy(h, p, (size_t)n * sizeof *p);
        return n;
    }
    int k = 0;
    for (int i = 0; i < n; i++) {
        while (k >= 2 && cross(h[k - 2], h[k - 1], p[i]) <= 0) k--;
        h[k++] = p[i];
    }
    for (int i = n - 2, lo = k + 1; i >= 0; i--) {
        while (k >= lo && cross(h[k - 2], h[k - 1], p[i]) <= 0) k--;
        h[k++] = p[i];
    }
    return k - 1;
}

static double seg_dist2(pt p, pt a, pt b) {
    double dx = b.x - a.x, dy = b.y - a.y, l = dx * dx + dy * dy, t = 0;
    if (l > 0) {
        t = ((p.x - a.x) * dx + (p.y - a.y) * dy) / l;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
    }
    double ex = a.x + t * dx - p.x, ey = a.y + t * dy - p.y;
    return ex * ex + ey * ey;
}

/* Is p inside the hull h[0..nh-1] (counter-clockwise, strictly convex: the monotone chain
 * drops collinear points) widened by omega? Inside is found in O(log nh), by the fan of
 * triangles from h[0]; only a point outside pays for the distance to every edge. */
static int in_area(pt p, const pt *h, int nh, double omega) {
    if (nh == 0) return 0;
    if (nh >= 3 && cross(h[0], h[1], p) >= 0 && cross(h[0], h[nh - 1], p) <= 0) {
        int lo = 1, hi = nh - 1; /* cross(h0, h[lo], p) >= 0 > or = cross(h0, h[hi], p) */
        while (hi - lo > 1) {
            int mid = (lo + hi) / 2;
            if (cross(h[0], h[mid], p) >= 0) lo = mid;
            else hi = mid;
        }
        if (cross(h[lo], h[lo + 1], p) >= 0) return 1;
    }
    double o2 = omega * omega;
    for (int i = 0; i < nh; i++)
        if (seg_dist2(p, h[i], h[(i + 1) % nh]) <= o2) return 1;
    return 0;
}

static uint64_t template_key(const bex_finger_template *t) {
    uint64_t h = 1469598103934665603ull;
#define MIX(v) (h = (h ^ (uint64_t)(v)) * 1099511628211ull)
    MIX(t->n);
    for (int i = 0; i < t->n; i++) {
        MIX(t->m[i].x);
        MIX(t->m[i].y);
        MIX(t->m[i].angle);
    }
#undef MIX
    return h;
}

/* Makes minutia i's cylinder into c (FM_CYL_WORDS words, zeroed); returns 0 when it is not
 * usable (too few valid cells or neighbours). x, y: px with y up; th: radians. */
static int make_cylinder(int i, int n, const double *x, const double *y, const double *th,
                         const uint8_t *ang, const pt *hull, int nh, uint64_t *c) {
    const double r = params.radius, ss = params.sigma_s, ds = 2.0 * r / FM_NS;
    const double reach = 3.0 * ss, near2 = (r + reach) * (r + reach);
    int nb[MAXM], nn = 0;
    for (int t = 0; t < n; t++) {
        if (t == i) continue;
        double dx = x[t] - x[i], dy = y[t] - y[i];
        if (dx * dx + dy * dy <= near2) nb[nn++] = t;
    }
    if (nn < params.min_m) return 0;
    const double ct = cos(th[i]), st = sin(th[i]), half = (FM_NS - 1) / 2.0;
    const double gnorm = 1.0 / (ss * sqrt(TWO_PI)), g2 = 1.0 / (2.0 * ss * ss);
    /* the cells: valid ones (in the disc and the print), their sums per layer */
    uint8_t ok[FM_NS * FM_NS];
    double sum[FM_NS * FM_NS][FM_ND];
    int valid = 0;
    for (int a = 0; a < FM_NS; a++)
        for (int b = 0; b < FM_NS; b++) {
            double u = (a - half) * ds, v = (b - half) * ds;
            pt p = {x[i] + u * ct - v * st, y[i] + u * st + v * ct};
            int cell = a * FM_NS + b;
            ok[cell] = u * u + v * v <= r * r && in_area(p, hull, nh, params.omega);
            valid += ok[cell];
            for (int k = 0; k < FM_ND; k++) sum[cell][k] = 0.0;
        }
    /* each neighbour adds to the cells within reach of it only (in the cylinder's frame,
     * turned with the minutia); a cell's sum gathers its neighbours in list order */
    for (int q = 0; q < nn; q++) {
        int t = nb[q];
        double dx = x[t] - x[i], dy = y[t] - y[i];
        double tu = dx * ct + dy * st, tv = -dx * st + dy * ct;
        int a0 = (int)ceil((tu - reach) / ds + half), a1 = (int)floor((tu + reach) / ds + half);
        int b0 = (int)ceil((tv - reach) / ds + half), b1 = (int)floor((tv + reach) / ds + half);
        a0 = a0 < 0 ? 0 : a0, b0 = b0 < 0 ? 0 : b0;
        a1 = a1 > FM_NS - 1 ? FM_NS - 1 : a1, b1 = b1 > FM_NS - 1 ? FM_NS - 1 : b1;
        uint8_t rel = (uint8_t)(ang[t] - ang[i]);
        for (int a = a0; a <= a1; a++)
            for (int b = b0; b <= b1; b++) {
                int cell = a * FM_NS + b;
                if (!ok[cell]) continue;
                double du = tu - (a - half) * ds, dv = tv - (b - half) * ds, d2 = du * du + dv * dv;
                if (d2 > reach * reach) continue;
                double g = gnorm * exp(-d2 * g2);
                for (int k = 0; k < FM_ND; k++) sum[cell][k] += g * tab.cd[k][rel];
            }
    }
    for (int cell = 0; cell < FM_NS * FM_NS; cell++) {
        if (!ok[cell]) continue;
        for (int k = 0; k < FM_ND; k++) {
            int bit = k * FM_NS * FM_NS + cell;
            c[FM_WORDS + bit / 64] |= 1ull << (bit % 64);
            if (sum[cell][k] >= params.mu_psi) c[bit / 64] |= 1ull << (bit % 64);
        }
    }
    return valid >= params.min_vc * tab.disc_cells;
}

int bex_finger_prepare(const bex_finger_template *t, bex_finger_prepared **out, char *err,
                       size_t errlen) {
    if (!out) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_finger_prepare: no output");
    *out = NULL;
    if (!t) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_finger_prepare: no template");
    if (t->n < 0 || t->n > MAXM)
        return bex__fail(err, errlen, BEX_ERR_ARG,
                         "fingerprint template has %d minutiae; 0 to %d are allowed", t->n, MAXM);
    tab_init();
    int n = t->n;
    double x[MAXM], y[MAXM], th[MAXM];
    uint8_t ang[MAXM];
    pt p[MAXM], hull[2 * MAXM + 2]; /* the monotone chain's bound: 2n */
    for (int i = 0; i < n; i++) {
        x[i] = t->m[i].x;
        y[i] = -(double)t->m[i].y; /* y up, so that angles turn counter-clockwise as in ISO */
        ang[i] = t->m[i].angle;
        th[i] = ang[i] * TWO_PI / 256.0;
        p[i] = (pt){x[i], y[i]};
    }
    int nh = convex_hull(p, n, hull);

    /* cylinders into a scratch block first: how many are usable is known only after */
    uint64_t *scratch = bex__malloc_aligned((size_t)(n ? n : 1) * FM_CYL_WORDS * 8);
    if (!scratch) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory preparing a fingerprint template");
    int keep[MAXM], nk = 0;
    for (int i = 0; i < n; i++) {
        uint64_t *c = scratch + (size_t)nk * FM_CYL_WORDS;
        memset(c, 0, FM_CYL_WORDS * 8);
        if (make_cylinder(i, n, x, y, th, ang, hull, nh, c)) keep[nk++] = i;
    }

    size_t head = (sizeof(bex_finger_prepared) + 63) & ~(size_t)63;
    size_t tabs = ((size_t)nk * nk * 2 * sizeof(uint16_t) + 63) & ~(size_t)63;
    size_t cyls = (size_t)nk * FM_CYL_WORDS * 8;
    unsigned char *blk = bex__malloc_aligned(head + tabs + cyls);
    if (!blk) {
        bex__free_aligned(scratch);
        return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory preparing a fingerprint template");
    }
    bex_finger_prepared *pr = (bex_finger_prepared *)blk;
    memset(pr, 0, sizeof *pr);
    pr->key = template_key(t);
    pr->n = nk;
    pr->n_minutiae = n;
    pr->dist = (uint16_t *)(blk + head);
    pr->rad = pr->dist + (size_t)nk * nk;
    pr->cyl = (uint64_t *)(blk + head + tabs);
    /* usable cylinders in order of their minutia's direction (then of the template), so that
     * those a comparison pairs with one of the other print's are one or two runs (first[]) */
    int slot[MAXM];
    for (int a = 0; a < nk; a++) slot[a] = a;
    for (int a = 1; a < nk; a++) /* insertion sort: stable, at most 128 */
        for (int j = a; j > 0 && ang[keep[slot[j - 1]]] > ang[keep[slot[j]]]; j--) {
            int s = slot[j];
            slot[j] = slot[j - 1];
            slot[j - 1] = s;
        }
    int sorted[MAXM];
    for (int a = 0; a < nk; a++) {
        memcpy(pr->cyl + (size_t)a * FM_CYL_WORDS, scratch + (size_t)slot[a] * FM_CYL_WORDS,
               FM_CYL_WORDS * 8);
        sorted[a] = keep[slot[a]];
    }
    memcpy(keep, sorted, (size_t)nk * sizeof *keep);
    bex__free_aligned(scratch);
    for (int v = 0, a = 0; v <= 256; v++) {
        while (a < nk && ang[keep[a]] < v) a++;
        pr->first[v] = (uint8_t)a;
    }
    for (int a = 0; a < nk; a++) {
        int i = keep[a];
        pr->ang[a] = ang[i];
        const uint64_t *c = pr->cyl + (size_t)a * FM_CYL_WORDS;
        int nv = 0, nm = 0;
        for (int w = 0; w < FM_WORDS; w++) {
            nv += __builtin_popcountll(c[w]);
            nm += __builtin_popcountll(c[FM_WORDS + w]);
        }
        pr->nv[a] = (uint16_t)nv;
        pr->nm[a] = (uint16_t)nm;
        pr->full[a] = nm == tab.disc_cells * FM_ND;
        for (int b = 0; b < nk; b++) {
            int j = keep[b];
            double dx = x[j] - x[i], dy = y[j] - y[i], d = sqrt(dx * dx + dy * dy) * Z1_STEP;
            pr->dist[a * nk + b] = (uint16_t)(d > 65535 ? 65535 : lround(d));
            double dir = a == b ? th[i] : atan2(dy, dx);
            long turn = lround((dir - th[i]) * 65536.0 / TWO_PI);
            pr->rad[a * nk + b] = (uint16_t)(turn & 0xffff);
        }
    }
    *out = pr;
    return BEX_OK;
}

void bex_finger_prepared_free(bex_finger_prepared *p) {
    if (p) bex__free_aligned(p);
}


/* ---- comparison ------------------------------------------------------------------------ */

#define QLEVELS 256 /* similarities are ranked in this many steps (ties by pair order) */

static inline float zlook_angle(const float *z, uint16_t a, uint16_t b) {
    int d = (int16_t)(uint16_t)(a - b); /* -32768..32767: the difference's magnitude below */
    return z[abs(d) >> ZA_SHIFT];
}

static float compare_ordered(const bex_finger_prepared *a, const bex_finger_prepared *b,
                             const fm_kernel *kern) {
    const int na = a->n, nb = b->n;
    if (na < 2 || nb < 2) return 0.0f;
    const int dt = params.delta_theta;
    const uint64_t min_cells =
        (uint64_t)ceil(params.min_me * (double)tab.disc_cells * FM_ND);

    /* 1. local similarities of every pair of cylinders whose directions are close enough */
    float sim[MAXM * MAXM];
    uint16_t rc[MAXM * MAXM];
    int np = 0;
    const uint64_t full_cells = (uint64_t)tab.disc_cells * FM_ND;
    uint8_t idx[MAXM], idf[MAXM], idh[MAXM];
    uint64_t cnt[MAXM];
    uint32_t cnf[MAXM], cnh[MAXM];
    for (int r = 0; r < na; r++) {
        /* the columns to compare: b's cylinders are sorted by direction, so those within dt
         * of a's are one run, or two when the window wraps past 0 or 256; they are split
         * (without branches: a coin toss each) by how many of the two discs are wholly valid,
         * none, one or both */
        const int fa = a->full[r];
        int m = 0, mh = 0, mf = 0;
        int lo = a->ang[r] - dt, hi = a->ang[r] + dt + 1, run[2][2], nrun = 0;
        if (hi - lo >= 256) run[nrun][0] = 0, run[nrun++][1] = nb;
        else if (lo < 0) {
            run[nrun][0] = 0, run[nrun++][1] = b->first[hi];
            run[nrun][0] = b->first[lo + 256], run[nrun++][1] = nb;
        } else if (hi > 256) {
            run[nrun][0] = b->first[lo], run[nrun++][1] = nb;
            run[nrun][0] = 0, run[nrun++][1] = b->first[hi - 256];
        } else run[nrun][0] = b->first[lo], run[nrun++][1] = b->first[hi];
        for (int q = 0; q < nrun; q++)
            for (int c = run[q][0]; c < run[q][1]; c++) {
                int fb = b->full[c];
                idx[m] = idh[mh] = idf[mf] = (uint8_t)c;
                m += !fa & !fb;
                mh += fa ^ fb;
                mf += fa & fb;
            }
        const uint64_t *cyl = a->cyl + (size_t)r * FM_CYL_WORDS;
        if (m) kern->row(cyl, b->cyl, idx, m, cnt);
        if (mh) kern->row_half(cyl, b->cyl, idh, mh, !fa, cnh);
        if (mf) kern->row_and(cyl, b->cyl, idf, mf, cnf);
        /* branch-free again: kept when enough cells are valid in both and a bit is shared */
        for (int i = 0; i < m; i++) {
            uint64_t ca = cnt[i] & 0xffff, cb = cnt[i] >> 16 & 0xffff, cab = cnt[i] >> 32 & 0xffff,
                     cm = cnt[i] >> 48;
            sim[np] = (float)(2.0 * (double)cab / (double)(ca + cb + (ca + cb == 0)));
            rc[np] = (uint16_t)(r << 7 | idx[i]);
            np += (cm >= min_cells) & (cab != 0);
        }
        for (int i = 0; i < mh; i++) {
            /* a's disc full: |vb & ma| = |vb|, |ma & mb| = |mb|; b's full: the other way */
            int c = idh[i];
            uint64_t x = cnh[i] & 0xffff, cab = cnh[i] >> 16;
            uint64_t ca = fa ? x : a->nv[r], cb = fa ? b->nv[c] : x, cm = fa ? b->nm[c] : a->nm[r];
            sim[np] = (float)(2.0 * (double)cab / (double)(ca + cb + (ca + cb == 0)));
            rc[np] = (uint16_t)(r << 7 | c);
            np += (cm >= min_cells) & (cab != 0);
        }
        for (int i = 0; i < mf; i++) {
            uint64_t ca = a->nv[r], cb = b->nv[idf[i]], cab = cnf[i];
            sim[np] = (float)(2.0 * (double)cab / (double)(ca + cb + (ca + cb == 0)));
            rc[np] = (uint16_t)(r << 7 | idf[i]);
            np += (full_cells >= min_cells) & (cab != 0);
        }
    }
    if (!np) return 0.0f;

    /* 2. LSS: the most similar pairs first (a counting sort), each minutia used once */
    uint16_t hist[QLEVELS + 1], order[MAXM * MAXM];
    memset(hist, 0, sizeof hist);
    for (int i = 0; i < np; i++) hist[(int)(sim[i] * (QLEVELS - 1) + 0.5f)]++;
    {
        int s = 0; /* descending: level QLEVELS-1 first */
        for (int q = QLEVELS - 1; q >= 0; q--) {
            int h = hist[q];
            hist[q] = (uint16_t)s;
            s += h;
        }
    }
    for (int i = 0; i < np; i++) order[hist[(int)(sim[i] * (QLEVELS - 1) + 0.5f)]++] = (uint16_t)i;
    int nr = na < nb ? na : nb;
    if (params.max_nr > 0 && nr > params.max_nr) nr = params.max_nr;
    uint8_t used_a[MAXM] = {0}, used_b[MAXM] = {0};
    int sr[MAXM], sc[MAXM], ns = 0;
    float lam0[MAXM];
    for (int i = 0; i < np && ns < nr; i++) { /* branch-free: a clash is hard to foresee */
        int p = order[i], r = rc[p] >> 7, c = rc[p] & 127, free = !(used_a[r] | used_b[c]);
        used_a[r] |= (uint8_t)free;
        used_b[c] |= (uint8_t)free;
        sr[ns] = r;
        sc[ns] = c;
        lam0[ns] = sim[p];
        ns += free;
    }

    /* 3. relaxation: each pair's weight moves towards those of the pairs consistent with it */
    /* rho is kept transposed (column t of row k is rho(t, k)), its rows padded to a multiple
     * of 8 with zeros, so that a relaxation round is a sum of scaled rows: vector work with no
     * reduction, in a fixed order */
    const int ld = (ns + 7) & ~7;
    float rho[MAXM * MAXM], lam[MAXM], nxt[MAXM];
    for (int t = 0; t < ns; t++) {
        const uint16_t *da = a->dist + (size_t)sr[t] * na, *db = b->dist + (size_t)sc[t] * nb;
        const uint16_t *ra = a->rad + (size_t)sr[t] * na, *rb = b->rad + (size_t)sc[t] * nb;
        uint16_t ta = (uint16_t)(a->ang[sr[t]] << 8), tb = (uint16_t)(b->ang[sc[t]] << 8);
        /* no branches: whether z is 0 is a coin toss. The distance and direction terms are
         * the same both ways round (the distance table is symmetric; the direction difference
         * only changes sign), so each unordered (t, k) is looked up once; the radial term is
         * not (each angle is measured from its own first minutia's direction). */
        for (int k = t + 1; k < ns; k++) {
            int d1 = abs((int)da[sr[k]] - (int)db[sc[k]]);
            uint16_t ea = (uint16_t)(ta - (uint16_t)(a->ang[sr[k]] << 8));
            uint16_t eb = (uint16_t)(tb - (uint16_t)(b->ang[sc[k]] << 8));
            float z12 = tab.z1[d1 < Z1_N ? d1 : Z1_N] * zlook_angle(tab.z2, ea, eb);
            const uint16_t *rak = a->rad + (size_t)sr[k] * na, *rbk = b->rad + (size_t)sc[k] * nb;
            rho[k * ld + t] = z12 * zlook_angle(tab.z3, ra[sr[k]], rb[sc[k]]);
            rho[t * ld + k] = z12 * zlook_angle(tab.z3, rak[sr[t]], rbk[sc[t]]);
        }
        rho[t * ld + t] = 0.0f; /* a pair does not support itself */
    }
    for (int k = 0; k < ns; k++)
        for (int t = ns; t < ld; t++) rho[k * ld + t] = 0.0f;
    memcpy(lam, lam0, (size_t)ns * sizeof *lam);
    if (ns > 1) {
        /* the support of the other pairs is averaged over at least rel_min_norm of them (the
         * paper: over nR - 1): else two sparse prints' few chance-compatible pairs lift each
         * other as much as many would (bex's change; see docs/fingerprints.md) */
        int dn = ns - 1 > params.rel_min_norm ? ns - 1 : params.rel_min_norm;
        const float w = params.w_r, f = (1.0f - params.w_r) / (float)dn;
        for (int it = 0; it < params.n_rel; it++) {
            for (int t = 0; t < ld; t++) nxt[t] = 0.0f;
            for (int k = 0; k < ns; k++) {
                const float *row = rho + (size_t)k * ld, l = lam[k];
                for (int t = 0; t < ld; t += 8)
                    for (int j = 0; j < 8; j++) nxt[t + j] += row[t + j] * l;
            }
            for (int t = 0; t < ns; t++) lam[t] = w * lam[t] + f * nxt[t];
        }
    }

    /* 4. the n_P pairs of best efficiency (final / initial weight), averaged */
    int nmin = a->n_minutiae < b->n_minutiae ? a->n_minutiae : b->n_minutiae;
    int npk = params.min_np +
              (int)lround(sigmoid(nmin, params.mu_p, params.tau_p) * (params.max_np - params.min_np));
    float eff[MAXM];
    if (npk < 1) npk = 1;
    if (npk > MAXM) npk = MAXM;
    /* the npk best efficiencies kept sorted in top[] (first index wins a tie) */
    int top[MAXM], nt = 0;
    for (int t = 0; t < ns; t++) {
        eff[t] = lam[t] / lam0[t];
        if (nt == npk && !(eff[t] > eff[top[nt - 1]])) continue;
        int j = nt < npk ? nt++ : nt - 1;
        while (j > 0 && eff[t] > eff[top[j - 1]]) {
            top[j] = top[j - 1];
            j--;
        }
        top[j] = t;
    }
    double sum = 0.0;
    for (int j = 0; j < nt; j++) sum += lam[top[j]];
    float score = (float)(sum / npk);
    return score < 0.0f ? 0.0f : score > 1.0f ? 1.0f : score;
}

/* The comparison with a given kernel (tests hold every kernel to the same scores). */
float bex__finger_compare_with(const bex_finger_prepared *a, const bex_finger_prepared *b,
                               const fm_kernel *kern) {
    if (!a || !b || !kern) return 0.0f;
    tab_init();
    /* a fixed order whichever way round the caller passes them: the score is symmetric
     * exactly, ties in the sort and float sums included */
    if (a->key > b->key || (a->key == b->key && a->n > b->n)) {
        const bex_finger_prepared *s = a;
        a = b;
        b = s;
    }
    return compare_ordered(a, b, kern);
}

float bex_finger_compare_prepared(const bex_finger_prepared *a, const bex_finger_prepared *b) {
    tab_init();
    return bex__finger_compare_with(a, b, tab.kernel);
}

float bex_finger_compare(const bex_finger_template *a, const bex_finger_template *b) {
    bex_finger_prepared *pa = NULL, *pb = NULL;
    float s = 0.0f;
    if (bex_finger_prepare(a, &pa, NULL, 0) == BEX_OK && bex_finger_prepare(b, &pb, NULL, 0) == BEX_OK)
        s = bex_finger_compare_prepared(pa, pb);
    bex_finger_prepared_free(pa);
    bex_finger_prepared_free(pb);
    return s;
}
