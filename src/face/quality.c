/*
 * quality.c - capture quality of one detected face (include/bex/quality.h documents the
 * measures, the score and the defaults): geometry from the 68 landmarks, then exposure,
 * contrast and sharpness over the face region's luminance.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "bex/quality.h"
#include "face/align.h"
#include "util/util.h"

#define PI_F 3.14159265358979f

/* Below this many pixels of face region inside the image, exposure, contrast and sharpness
 * are left at 0 and neither judged nor scored (the face is mostly outside the photo). */
#define MIN_REGION_PX 64
/* Sharpness is measured with the face scaled down to at most this inter-eye distance. */
#define SHARP_EYE_PX 40.0f
#define UNDER_LUMA 25
#define OVER_LUMA 245
/* The box may overhang the image by this fraction of its size before it counts as outside
 * (the detector's box often includes forehead and hair cut off by a tight crop). */
#define BOX_OVERHANG 0.10f
/* Subtracted from the fitted pitch so that the median LFW face reads 0 (the generic head's
 * proportions differ from the landmark network's placement of the points). */
#define PITCH_OFFSET_DEG (-11.0f)

/* ------------------------------------------------------------------------------------------
 * Problems
 * ---------------------------------------------------------------------------------------- */

static const char *const messages[BEX_QUALITY_PROBLEM_COUNT] = {
    "Photo is good",
    "Face partly outside the photo: step into the middle of the frame",
    "Move closer to the camera",
    "Face the camera",
    "Hold your head straight",
    "Too dark: the face needs more light",
    "Too bright: the face is overexposed",
    "Image is blurred: hold still",
    "Low contrast: the face is washed out or in flat light",
};

static const char *const names[BEX_QUALITY_PROBLEM_COUNT] = {
    "ok", "face_outside", "too_small", "pose", "roll",
    "too_dark", "too_bright", "blurred", "low_contrast",
};

const char *bex_quality_problem_message(int code) {
    if (code < 0 || code >= BEX_QUALITY_PROBLEM_COUNT) return "Unknown problem";
    return messages[code];
}

const char *bex_quality_problem_name(int code) {
    if (code < 0 || code >= BEX_QUALITY_PROBLEM_COUNT) return "unknown";
    return names[code];
}

void bex_quality_options_default(bex_quality_options *opt) {
    if (!opt) return;
    opt->min_eye_distance_px = BEX_QUALITY_DEFAULT_MIN_EYE_DISTANCE_PX;
    opt->max_yaw_deg = BEX_QUALITY_DEFAULT_MAX_YAW_DEG;
    opt->max_pitch_deg = BEX_QUALITY_DEFAULT_MAX_PITCH_DEG;
    opt->max_roll_deg = BEX_QUALITY_DEFAULT_MAX_ROLL_DEG;
    opt->min_brightness = BEX_QUALITY_DEFAULT_MIN_BRIGHTNESS;
    opt->max_brightness = BEX_QUALITY_DEFAULT_MAX_BRIGHTNESS;
    opt->max_underexposed = BEX_QUALITY_DEFAULT_MAX_UNDEREXPOSED;
    opt->max_overexposed = BEX_QUALITY_DEFAULT_MAX_OVEREXPOSED;
    opt->min_sharpness = BEX_QUALITY_DEFAULT_MIN_SHARPNESS;
    opt->min_contrast = BEX_QUALITY_DEFAULT_MIN_CONTRAST;
}

/* ------------------------------------------------------------------------------------------
 * Pose
 * ---------------------------------------------------------------------------------------- */

/* A generic head: 10 landmarks in mm-like units, x to the image's right, y up, z towards the
 * camera, from rounded anthropometric proportions (outer eye corners 90 apart and ~40 behind
 * the nose tip; mouth corners 58 apart; chin 85 below the eye line). */
enum { POSE_N = 10 };
static const int pose_idx[POSE_N] = {36, 39, 42, 45, 27, 30, 33, 48, 54, 8};
static const float pose_head[POSE_N][3] = {
    {-45, 38, -5}, {-19, 37, 0}, {19, 37, 0}, {45, 38, -5}, /* eye corners */
    {0, 42, 13},   {0, 8, 37},   {0, -6, 26},               /* bridge, tip, subnasale */
    {-29, -29, 3}, {29, -29, 3},                            /* mouth corners */
    {0, -77, 0},                                            /* chin */
};

static int inv3(const double a[3][3], double o[3][3]) {
    double c00 = a[1][1] * a[2][2] - a[1][2] * a[2][1];
    double c01 = a[1][2] * a[2][0] - a[1][0] * a[2][2];
    double c02 = a[1][0] * a[2][1] - a[1][1] * a[2][0];
    double det = a[0][0] * c00 + a[0][1] * c01 + a[0][2] * c02;
    if (!(fabs(det) > 1e-12)) return 0;
    o[0][0] = c00 / det;
    o[1][0] = c01 / det;
    o[2][0] = c02 / det;
    o[0][1] = (a[0][2] * a[2][1] - a[0][1] * a[2][2]) / det;
    o[1][1] = (a[0][0] * a[2][2] - a[0][2] * a[2][0]) / det;
    o[2][1] = (a[0][1] * a[2][0] - a[0][0] * a[2][1]) / det;
    o[0][2] = (a[0][1] * a[1][2] - a[0][2] * a[1][1]) / det;
    o[1][2] = (a[0][2] * a[1][0] - a[0][0] * a[1][2]) / det;
    o[2][2] = (a[0][0] * a[1][1] - a[0][1] * a[1][0]) / det;
    return 1;
}

/* Weak-perspective fit: image points (x, -y), centred, = M (2x3) * head points, centred, by
 * least squares; the rows of M, made orthonormal, are the head's rotation's first two rows and
 * their cross product the third. The head's forward axis (its z) in camera space gives yaw and
 * pitch. */
static void fit_pose(const float lm[BEX_LANDMARKS][2], float *yaw_deg, float *pitch_deg) {
    double pc[2] = {0, 0}, hc[3] = {0, 0, 0};
    for (int i = 0; i < POSE_N; i++) {
        pc[0] += lm[pose_idx[i]][0];
        pc[1] -= lm[pose_idx[i]][1];
        for (int k = 0; k < 3; k++) hc[k] += pose_head[i][k];
    }
    for (int k = 0; k < 2; k++) pc[k] /= POSE_N;
    for (int k = 0; k < 3; k++) hc[k] /= POSE_N;
    double A[3][3] = {{0}}, B[2][3] = {{0}}, Ai[3][3];
    for (int i = 0; i < POSE_N; i++) {
        double h[3], p[2] = {lm[pose_idx[i]][0] - pc[0], -lm[pose_idx[i]][1] - pc[1]};
        for (int k = 0; k < 3; k++) h[k] = pose_head[i][k] - hc[k];
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 3; c++) A[r][c] += h[r] * h[c];
        for (int r = 0; r < 2; r++)
            for (int c = 0; c < 3; c++) B[r][c] += p[r] * h[c];
    }
    *yaw_deg = *pitch_deg = 0;
    if (!inv3(A, Ai)) return; /* cannot happen with the constant head; kept for safety */
    double m[2][3];
    for (int r = 0; r < 2; r++)
        for (int c = 0; c < 3; c++)
            m[r][c] = B[r][0] * Ai[0][c] + B[r][1] * Ai[1][c] + B[r][2] * Ai[2][c];
    double n1 = sqrt(m[0][0] * m[0][0] + m[0][1] * m[0][1] + m[0][2] * m[0][2]);
    if (!(n1 > 1e-9)) return;
    double r1[3], r2[3];
    for (int k = 0; k < 3; k++) r1[k] = m[0][k] / n1;
    double d = r1[0] * m[1][0] + r1[1] * m[1][1] + r1[2] * m[1][2];
    for (int k = 0; k < 3; k++) r2[k] = m[1][k] - d * r1[k];
    double n2 = sqrt(r2[0] * r2[0] + r2[1] * r2[1] + r2[2] * r2[2]);
    if (!(n2 > 1e-9)) return;
    for (int k = 0; k < 3; k++) r2[k] /= n2;
    double r3z = r1[0] * r2[1] - r1[1] * r2[0];
    /* forward axis of the head in camera coordinates (x right, y up, z towards the viewer) */
    double fx = r1[2], fy = r2[2], fz = r3z;
    *yaw_deg = (float)(atan2(fx, fz) * 180.0 / PI_F);
    *pitch_deg = (float)(atan2(fy, sqrt(fx * fx + fz * fz)) * 180.0 / PI_F) - PITCH_OFFSET_DEG;
}

/* ------------------------------------------------------------------------------------------
 * Face region and image measures
 * ---------------------------------------------------------------------------------------- */

/* The face outline: jaw 0..16, then the eyebrows from 26 back to 17. */
enum { OUTLINE_N = 27 };
static void outline(const float lm[BEX_LANDMARKS][2], float poly[OUTLINE_N][2]) {
    for (int i = 0; i <= 16; i++) {
        poly[i][0] = lm[i][0];
        poly[i][1] = lm[i][1];
    }
    for (int i = 0; i < 10; i++) {
        poly[17 + i][0] = lm[26 - i][0];
        poly[17 + i][1] = lm[26 - i][1];
    }
}

static void sort_floats(float *a, int n) {
    for (int i = 1; i < n; i++) {
        float v = a[i];
        int j = i - 1;
        while (j >= 0 && a[j] > v) { a[j + 1] = a[j]; j--; }
        a[j + 1] = v;
    }
}

static float logistic(float x, float thr, float good) {
    /* 0.5 at thr, 0.95 at good; works both ways round (good above or below thr) */
    if (!(fabsf(good - thr) > 1e-6f)) return 1; /* a threshold of 0: judged, not scored */
    float t = 2.944439f * (x - thr) / (good - thr);
    if (t > 30) return 1;
    if (t < -30) return 0;
    return 1.0f / (1.0f + expf(-t));
}

static int bad_float(float v) { return !isfinite(v) || v < 0; }

int bex_face_quality(const bex_image *img, const bex_face *face, const bex_quality_options *opt,
                     bex_quality *out, char *err, size_t errlen) {
    if (!img || !face || !out)
        return bex__fail(err, errlen, BEX_ERR_ARG, "bex_face_quality: NULL argument");
    if (!img->px || img->width <= 0 || img->height <= 0)
        return bex__fail(err, errlen, BEX_ERR_ARG, "bex_face_quality: empty image");
    bex_quality_options o;
    if (opt) o = *opt;
    else bex_quality_options_default(&o);
    if (bad_float(o.min_eye_distance_px) || bad_float(o.max_yaw_deg) || bad_float(o.max_pitch_deg) ||
        bad_float(o.max_roll_deg) || bad_float(o.min_brightness) || bad_float(o.max_brightness) ||
        bad_float(o.max_underexposed) || bad_float(o.max_overexposed) ||
        bad_float(o.min_sharpness) || bad_float(o.min_contrast) || o.max_underexposed > 1 ||
        o.max_overexposed > 1 || o.min_brightness > 255 || o.max_brightness > 255)
        return bex__fail(err, errlen, BEX_ERR_ARG,
                         "bex_face_quality: thresholds must be finite and >= 0 (fractions <= 1, "
                         "luminance <= 255)");
    for (int i = 0; i < 4; i++)
        if (!isfinite(face->box[i]))
            return bex__fail(err, errlen, BEX_ERR_ARG, "bex_face_quality: face box is not finite");
    for (int i = 0; i < BEX_LANDMARKS; i++)
        if (!isfinite(face->landmarks[i][0]) || !isfinite(face->landmarks[i][1]) ||
            fabsf(face->landmarks[i][0]) > 1e7f || fabsf(face->landmarks[i][1]) > 1e7f)
            return bex__fail(err, errlen, BEX_ERR_ARG,
                             "bex_face_quality: landmark %d is not a finite pixel position", i);

    const float (*lm)[2] = face->landmarks;
    const int W = img->width, H = img->height;
    bex_quality q;
    memset(&q, 0, sizeof q);
    q.box_width_px = face->box[2];
    q.box_height_px = face->box[3];

    /* --- geometry --------------------------------------------------------------------- */
    float el[2], er[2];
    align_eye_centres(lm, el, er);
    q.eye_distance_px = hypotf(er[0] - el[0], er[1] - el[1]);
    q.roll_deg = atan2f(er[1] - el[1], er[0] - el[0]) * 180.0f / PI_F;
    fit_pose(lm, &q.yaw_deg, &q.pitch_deg);

    int n_in = 0;
    for (int i = 0; i < BEX_LANDMARKS; i++)
        if (lm[i][0] >= 0 && lm[i][0] <= W - 1 && lm[i][1] >= 0 && lm[i][1] <= H - 1) n_in++;
    q.inside = (float)n_in / BEX_LANDMARKS;
    float ox = BOX_OVERHANG * face->box[2], oy = BOX_OVERHANG * face->box[3];
    int box_out = face->box[0] < -ox || face->box[1] < -oy ||
                  face->box[0] + face->box[2] > W + ox || face->box[1] + face->box[3] > H + oy;

    /* --- the face region, clipped to the image ------------------------------------------ */
    float poly[OUTLINE_N][2];
    outline(lm, poly);
    float minx = poly[0][0], maxx = minx, miny = poly[0][1], maxy = miny;
    for (int i = 1; i < OUTLINE_N; i++) {
        minx = fminf(minx, poly[i][0]);
        maxx = fmaxf(maxx, poly[i][0]);
        miny = fminf(miny, poly[i][1]);
        maxy = fmaxf(maxy, poly[i][1]);
    }
    int x0 = (int)fmaxf(0, ceilf(minx)), x1 = (int)fminf((float)(W - 1), floorf(maxx));
    int y0 = (int)fmaxf(0, ceilf(miny)), y1 = (int)fminf((float)(H - 1), floorf(maxy));
    int rw = x1 - x0 + 1, rh = y1 - y0 + 1;

    if (rw > 0 && rh > 0) {
        size_t cells;
        if (!bex__mul_size((size_t)rw, (size_t)rh, &cells) || cells > SIZE_MAX / 8)
            return bex__fail(err, errlen, BEX_ERR_LIMIT, "bex_face_quality: face region too large");
        /* grey: luminance per region cell, -1 outside the polygon */
        float *grey = bex__malloc(cells * sizeof(float));
        if (!grey) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory measuring quality");
        double sum = 0, sum2 = 0;
        long n = 0, under = 0, over = 0;
        for (int y = y0; y <= y1; y++) {
            float xs[OUTLINE_N];
            int nx = 0;
            for (int i = 0; i < OUTLINE_N; i++) {
                const float *a = poly[i], *b = poly[(i + 1) % OUTLINE_N];
                if ((a[1] <= y && b[1] > y) || (b[1] <= y && a[1] > y))
                    xs[nx++] = a[0] + (y - a[1]) * (b[0] - a[0]) / (b[1] - a[1]);
            }
            sort_floats(xs, nx);
            float *row = grey + (size_t)(y - y0) * rw;
            for (int x = 0; x < rw; x++) row[x] = -1;
            for (int k = 0; k + 1 < nx; k += 2) {
                int xa = (int)fmaxf((float)x0, ceilf(xs[k]));
                int xb = (int)fminf((float)x1, floorf(xs[k + 1]));
                for (int x = xa; x <= xb; x++) {
                    const uint8_t *p = img->px + ((size_t)y * W + x) * 3;
                    int Y = (77 * p[0] + 150 * p[1] + 29 * p[2]) >> 8;
                    row[x - x0] = (float)Y;
                    sum += Y;
                    sum2 += (double)Y * Y;
                    n++;
                    under += Y <= UNDER_LUMA;
                    over += Y >= OVER_LUMA;
                }
            }
        }
        q.region_px = (int)(n > INT32_MAX ? INT32_MAX : n);
        if (n >= MIN_REGION_PX) {
            double mean = sum / n;
            q.brightness = (float)mean;
            q.contrast = (float)sqrt(fmax(0, sum2 / n - mean * mean));
            q.underexposed = (float)under / n;
            q.overexposed = (float)over / n;

            /* Sharpness: area-average down to SHARP_EYE_PX between the eyes (cells with more
             * than half their footprint outside the region are dropped), then the Laplacian. */
            float f = q.eye_distance_px > SHARP_EYE_PX ? q.eye_distance_px / SHARP_EYE_PX : 1;
            int sw = (int)(rw / f), sh = (int)(rh / f);
            if (sw < 1) sw = 1;
            if (sh < 1) sh = 1;
            float *small = grey;
            if (f > 1) { /* in place: cell (u, v) only reads source rows/cols >= its own */
                for (int v = 0; v < sh; v++)
                    for (int u = 0; u < sw; u++) {
                        int ya = (int)(v * f), yb = (int)((v + 1) * f);
                        int xa = (int)(u * f), xb = (int)((u + 1) * f);
                        if (yb > rh) yb = rh;
                        if (xb > rw) xb = rw;
                        double s = 0;
                        int in = 0, all = 0;
                        for (int y = ya; y < yb; y++)
                            for (int x = xa; x < xb; x++) {
                                float g = grey[(size_t)y * rw + x];
                                all++;
                                if (g >= 0) { s += g; in++; }
                            }
                        small[(size_t)v * sw + u] = (in * 2 > all) ? (float)(s / in) : -1;
                    }
            } else {
                sw = rw;
                sh = rh;
            }
            double gs = 0, gs2 = 0, ls = 0, ls2 = 0;
            long gn = 0, ln = 0;
            for (int v = 0; v < sh; v++)
                for (int u = 0; u < sw; u++) {
                    float c = small[(size_t)v * sw + u];
                    if (c < 0) continue;
                    gs += c;
                    gs2 += (double)c * c;
                    gn++;
                    if (u == 0 || v == 0 || u == sw - 1 || v == sh - 1) continue;
                    float l = small[(size_t)v * sw + u - 1], r = small[(size_t)v * sw + u + 1];
                    float t = small[(size_t)(v - 1) * sw + u], b = small[(size_t)(v + 1) * sw + u];
                    if (l < 0 || r < 0 || t < 0 || b < 0) continue;
                    double lap = 4.0 * c - l - r - t - b;
                    ls += lap;
                    ls2 += lap * lap;
                    ln++;
                }
            if (gn > 0 && ln > 0) {
                double gm = gs / gn, lm_ = ls / ln;
                double gsd = sqrt(fmax(0, gs2 / gn - gm * gm));
                double lsd = sqrt(fmax(0, ls2 / ln - lm_ * lm_));
                q.sharpness = (float)(100.0 * lsd / fmax(gsd, 1.0));
            }
        }
        bex__free(grey);
    }

    /* --- problems and score ----------------------------------------------------------- */
    int measured = q.region_px >= MIN_REGION_PX;
    float ayaw = fabsf(q.yaw_deg), apitch = fabsf(q.pitch_deg), aroll = fabsf(q.roll_deg);
    if (n_in < BEX_LANDMARKS || box_out) q.problems[q.n_problems++] = BEX_QUALITY_FACE_OUTSIDE;
    if (q.eye_distance_px < o.min_eye_distance_px) q.problems[q.n_problems++] = BEX_QUALITY_TOO_SMALL;
    if (ayaw > o.max_yaw_deg || apitch > o.max_pitch_deg) q.problems[q.n_problems++] = BEX_QUALITY_POSE;
    if (aroll > o.max_roll_deg) q.problems[q.n_problems++] = BEX_QUALITY_ROLL;
    if (measured) {
        if (q.brightness < o.min_brightness || q.underexposed > o.max_underexposed)
            q.problems[q.n_problems++] = BEX_QUALITY_TOO_DARK;
        if (q.brightness > o.max_brightness || q.overexposed > o.max_overexposed)
            q.problems[q.n_problems++] = BEX_QUALITY_TOO_BRIGHT;
        if (q.sharpness < o.min_sharpness) q.problems[q.n_problems++] = BEX_QUALITY_BLURRED;
        if (q.contrast < o.min_contrast) q.problems[q.n_problems++] = BEX_QUALITY_LOW_CONTRAST;
    }

    float s = powf(q.inside, 8);
    s *= logistic(q.eye_distance_px, o.min_eye_distance_px, 1.5f * o.min_eye_distance_px);
    s *= logistic(ayaw, o.max_yaw_deg, 0.5f * o.max_yaw_deg);
    s *= logistic(apitch, o.max_pitch_deg, 0.5f * o.max_pitch_deg);
    s *= logistic(aroll, o.max_roll_deg, 0.5f * o.max_roll_deg);
    if (measured) {
        s *= logistic(q.brightness, o.min_brightness, 1.6f * o.min_brightness);
        s *= logistic(q.brightness, o.max_brightness, 0.85f * o.max_brightness);
        s *= logistic(q.underexposed, o.max_underexposed, 0.5f * o.max_underexposed);
        s *= logistic(q.overexposed, o.max_overexposed, 0.5f * o.max_overexposed);
        s *= logistic(q.sharpness, o.min_sharpness, 1.5f * o.min_sharpness);
        s *= logistic(q.contrast, o.min_contrast, 1.6f * o.min_contrast);
    }
    q.score = 100.0f * s;
    *out = q;
    return BEX_OK;
}
