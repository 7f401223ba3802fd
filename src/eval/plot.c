/*
 * plot.c - the evaluation's files: DET plots and score histograms as hand-written SVG, and
 * CSV tables of DET points and per-threshold rates. No plotting library.
 *
 * Every file is written whole or not at all: into a temporary file beside the destination
 * (mkstemp in the same folder, so rename(2) cannot cross file systems), flushed, fsync'ed,
 * closed and renamed over the path. A failure anywhere unlinks the temporary file.
 */
#include "bex/eval.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

/* ---- all-or-nothing files ------------------------------------------------------------------ */

typedef struct outfile {
    FILE *f;
    char *tmp;        /* the temporary file's path (owned) */
    const char *path; /* the destination */
} outfile;

static int out_open(outfile *o, const char *path, char *err, size_t errlen) {
    memset(o, 0, sizeof *o);
    if (!path || !*path) return bex__fail(err, errlen, BEX_ERR_ARG, "no output path");
    size_t len = strlen(path);
    static const char suffix[] = ".tmp-XXXXXX";
    if (len > 4096) return bex__fail(err, errlen, BEX_ERR_ARG, "output path too long");
    o->tmp = bex__malloc(len + sizeof suffix);
    if (!o->tmp) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory writing %s", path);
    memcpy(o->tmp, path, len);
    memcpy(o->tmp + len, suffix, sizeof suffix);
    int fd = mkstemp(o->tmp);
    if (fd < 0) {
        int e = errno;
        bex__free(o->tmp);
        o->tmp = NULL;
        return bex__fail(err, errlen, BEX_ERR_IO, "cannot write %s: %s", path, strerror(e));
    }
    (void)fchmod(fd, 0644); /* mkstemp makes 0600; a plot is not secret */
    o->f = fdopen(fd, "w");
    if (!o->f) {
        int e = errno;
        close(fd);
        unlink(o->tmp);
        bex__free(o->tmp);
        o->tmp = NULL;
        return bex__fail(err, errlen, BEX_ERR_IO, "cannot write %s: %s", path, strerror(e));
    }
    o->path = path;
    return BEX_OK;
}

/* Finishes the file: with rc == BEX_OK renames it into place, otherwise (or when any write
 * failed) removes it. Returns the final status. */
static int out_close(outfile *o, int rc, char *err, size_t errlen) {
    int e = 0;
    if (rc == BEX_OK) {
        if (fflush(o->f) != 0 || ferror(o->f)) e = errno ? errno : EIO;
        else if (fsync(fileno(o->f)) != 0) e = errno;
    }
    if (fclose(o->f) != 0 && rc == BEX_OK && !e) e = errno ? errno : EIO;
    if (rc == BEX_OK && !e && rename(o->tmp, o->path) != 0) e = errno;
    if (rc != BEX_OK || e) unlink(o->tmp);
    if (rc == BEX_OK && e)
        rc = bex__fail(err, errlen, BEX_ERR_IO, "cannot write %s: %s", o->path, strerror(e));
    bex__free(o->tmp);
    o->tmp = NULL;
    o->f = NULL;
    return rc;
}

/* Writes s as XML character data: markup characters escaped, control characters and bytes
 * that are not well-formed UTF-8 (or are U+FFFE / U+FFFF) replaced by '?'. */
static void put_text(FILE *f, const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        if (c < 0x80) {
            switch (c) {
            case '&': fputs("&amp;", f); break;
            case '<': fputs("&lt;", f); break;
            case '>': fputs("&gt;", f); break;
            case '"': fputs("&quot;", f); break;
            case '\'': fputs("&apos;", f); break;
            default: fputc(c < 0x20 && c != '\t' && c != '\n' && c != '\r' ? '?' : (int)c, f);
            }
            p++;
            continue;
        }
        size_t len = 0;
        unsigned lo = 0x80, hi = 0xBF; /* the allowed range of the second byte */
        if (c >= 0xC2 && c <= 0xDF) len = 2;
        else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F; /* no surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        }
        int ok = len > 0 && p[1] >= lo && p[1] <= hi;
        for (size_t i = 2; ok && i < len; i++) ok = p[i] >= 0x80 && p[i] <= 0xBF;
        if (ok && len == 3 && c == 0xEF && p[1] == 0xBF && (p[2] == 0xBE || p[2] == 0xBF)) ok = 0;
        if (!ok) { fputc('?', f); p++; continue; }
        fwrite(p, 1, len, f);
        p += len;
    }
}

static const char *const palette[8] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                       "#9467bd", "#8c564b", "#e377c2", "#17becf"};

/* Rough width of text in px at font-size 12 (for laying out the legend box). */
static double text_px(const char *s) {
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) n += (*p & 0xC0) != 0x80;
    return 6.8 * (double)n;
}

/* No XML declaration: UTF-8 is XML's default, and the file then starts with "<svg". */
static void svg_open(FILE *f, int w, int h) {
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" font-family=\"Helvetica, Arial, sans-serif\" "
            "font-size=\"12\">\n"
            "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n",
            w, h, w, h, w, h);
}

/* Title and axis labels around the plot area [x0, x1] x [y0, y1] (px). */
static void svg_labels(FILE *f, int w, double x0, double x1, double y0, double y1,
                       const char *title, const char *xl, const char *yl) {
    if (title) {
        fprintf(f, "<text x=\"%.1f\" y=\"24\" text-anchor=\"middle\" font-size=\"16\">", w / 2.0);
        put_text(f, title);
        fputs("</text>\n", f);
    }
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"13\">",
            (x0 + x1) / 2, y1 + 46);
    put_text(f, xl);
    fputs("</text>\n", f);
    fprintf(f,
            "<text x=\"0\" y=\"0\" transform=\"translate(%.1f %.1f) rotate(-90)\" "
            "text-anchor=\"middle\" font-size=\"13\">",
            x0 - 58, (y0 + y1) / 2);
    put_text(f, yl);
    fputs("</text>\n", f);
}

/* "1" for 10^0, else 10 with the exponent raised. */
static void decade_label(FILE *f, double x, double y, const char *anchor, int d) {
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">", x, y, anchor);
    if (d == 0) fputs("1", f);
    else fprintf(f, "10<tspan dy=\"-6\" font-size=\"9\">%s%d</tspan>", d < 0 ? "\xe2\x88\x92" : "",
                 d < 0 ? -d : d);
    fputs("</text>\n", f);
}

/* ---- DET plot ------------------------------------------------------------------------------ */

static int cmp_det(const void *a, const void *b) {
    const bex_det_point *p = a, *q = b;
    if (p->fpr != q->fpr) return p->fpr < q->fpr ? -1 : 1;
    return (p->fnr < q->fnr) - (p->fnr > q->fnr); /* equal fpr: higher fnr first */
}

static int check_points(const bex_det_point *p, size_t n, const char *what, char *err,
                        size_t errlen) {
    if (n && !p) return bex__fail(err, errlen, BEX_ERR_ARG, "%s: NULL points", what);
    for (size_t i = 0; i < n; i++)
        if (!(p[i].fpr >= 0 && p[i].fpr <= 1 && p[i].fnr >= 0 && p[i].fnr <= 1))
            return bex__fail(err, errlen, BEX_ERR_ARG,
                             "%s: point %zu has rates (%g, %g) outside [0, 1]", what, i,
                             p[i].fpr, p[i].fnr);
    return BEX_OK;
}

typedef struct log_axis {
    double l0, l1;   /* log10 of the ends */
    double p0, p1;   /* their px */
} log_axis;

static double log_px(const log_axis *a, double v) {
    double l = v > 0 ? log10(v) : a->l0;
    if (l < a->l0) l = a->l0;
    if (l > a->l1) l = a->l1;
    return a->p0 + (l - a->l0) / (a->l1 - a->l0) * (a->p1 - a->p0);
}

int bex_det_svg_write(const char *path, const bex_det_plot *opt, const bex_det_series *series,
                      size_t n_series, char *err, size_t errlen) {
    bex_det_plot o;
    if (opt) o = *opt;
    else memset(&o, 0, sizeof o);
    int ident = o.kind == BEX_RATES_IDENTIFICATION;
    if (o.kind != BEX_RATES_VERIFICATION && !ident)
        return bex__fail(err, errlen, BEX_ERR_ARG, "unknown rate kind %d", (int)o.kind);
    if (!o.x_label) o.x_label = ident ? "False positive identification rate (FPIR)"
                                      : "False match rate (FMR)";
    if (!o.y_label) o.y_label = ident ? "False negative identification rate (FNIR)"
                                      : "False non-match rate (FNMR)";
    if (o.x_min == 0 && o.x_max == 0) { o.x_min = 1e-5; o.x_max = 1; }
    if (o.y_min == 0 && o.y_max == 0) { o.y_min = 1e-4; o.y_max = 1; }
    if (!(o.x_min > 0 && o.x_max > o.x_min && isfinite(o.x_max) && o.y_min > 0 &&
          o.y_max > o.y_min && isfinite(o.y_max)))
        return bex__fail(err, errlen, BEX_ERR_ARG, "axis ranges must be 0 < min < max");
    if (log10(o.x_max) - log10(o.x_min) > 30 || log10(o.y_max) - log10(o.y_min) > 30)
        return bex__fail(err, errlen, BEX_ERR_ARG, "axis ranges span more than 30 decades");
    if (n_series < 1 || n_series > 16 || !series)
        return bex__fail(err, errlen, BEX_ERR_ARG, "%zu series: 1 to 16 are drawn", n_series);
    if (o.n_marks > 8 || (o.n_marks && !o.marks))
        return bex__fail(err, errlen, BEX_ERR_ARG, "marks: at most 8, non-NULL");
    for (size_t m = 0; m < o.n_marks; m++)
        if (!(o.marks[m] > 0 && o.marks[m] <= 1))
            return bex__fail(err, errlen, BEX_ERR_ARG, "mark %g is not in (0, 1]", o.marks[m]);
    size_t maxn = 0;
    for (size_t s = 0; s < n_series; s++) {
        if (!series[s].name) return bex__fail(err, errlen, BEX_ERR_ARG, "series %zu has no name", s);
        int rc = check_points(series[s].points, series[s].n_points, series[s].name, err, errlen);
        if (rc) return rc;
        if (series[s].n_points > maxn) maxn = series[s].n_points;
    }
    size_t bytes;
    if (!bex__mul_size(maxn ? maxn : 1, sizeof(bex_det_point), &bytes))
        return bex__fail(err, errlen, BEX_ERR_NOMEM, "too many points");
    bex_det_point *pts = bex__malloc(bytes);
    if (!pts) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for the DET plot");

    outfile out;
    int rc = out_open(&out, path, err, errlen);
    if (rc) { bex__free(pts); return rc; }
    FILE *f = out.f;
    const int W = 720, H = 560;
    double x0 = 84, x1 = W - 24, y0 = o.title ? 44 : 20, y1 = H - 70;
    log_axis ax = {log10(o.x_min), log10(o.x_max), x0, x1};
    log_axis ay = {log10(o.y_min), log10(o.y_max), y1, y0}; /* up the page */

    svg_open(f, W, H);
    fprintf(f, "<defs><clipPath id=\"plot\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
               "height=\"%.1f\"/></clipPath></defs>\n", x0, y0, x1 - x0, y1 - y0);
    svg_labels(f, W, x0, x1, y0, y1, o.title, o.x_label, o.y_label);

    /* grid: decades solid, 2..9 within them faint */
    fputs("<g stroke-width=\"1\">\n", f);
    for (int pass = 0; pass < 2; pass++) {
        const log_axis *a = pass ? &ay : &ax;
        for (int d = (int)floor(a->l0); d <= (int)ceil(a->l1); d++) {
            for (int k = 1; k <= 9; k++) {
                double l = d + log10((double)k);
                if (l < a->l0 - 1e-9 || l > a->l1 + 1e-9) continue;
                double px = log_px(a, pow(10, l));
                const char *col = k == 1 ? "#b0b0b0" : "#e6e6e6";
                if (pass) fprintf(f, "<line x1=\"%.1f\" y1=\"%.2f\" x2=\"%.1f\" y2=\"%.2f\" stroke=\"%s\"/>\n", x0, px, x1, px, col);
                else fprintf(f, "<line x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" stroke=\"%s\"/>\n", px, y0, px, y1, col);
            }
        }
    }
    fputs("</g>\n", f);
    for (int d = (int)ceil(ax.l0 - 1e-9); d <= (int)floor(ax.l1 + 1e-9); d++)
        decade_label(f, log_px(&ax, pow(10, d)), y1 + 20, "middle", d);
    for (int d = (int)ceil(ay.l0 - 1e-9); d <= (int)floor(ay.l1 + 1e-9); d++)
        decade_label(f, x0 - 8, log_px(&ay, pow(10, d)) + 4, "end", d);
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
               "stroke=\"black\"/>\n", x0, y0, x1 - x0, y1 - y0);

    /* operating-point lines */
    for (size_t m = 0; m < o.n_marks; m++) {
        double px = log_px(&ax, o.marks[m]);
        fprintf(f, "<line x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" stroke=\"#555\" "
                   "stroke-dasharray=\"5 4\"/>\n", px, y0, px, y1);
        fprintf(f, "<text x=\"%.2f\" y=\"%.1f\" font-size=\"10\" fill=\"#555\" "
                   "transform=\"rotate(-90 %.2f %.1f)\">%s = %g</text>\n",
                px - 4, y1 - 6, px - 4, y1 - 6, ident ? "FPIR" : "FMR", o.marks[m]);
    }

    /* curves, each with its dots at the marks; the legend's lines are built alongside */
    double legend_w = 0;
    char (*leg)[256] = bex__calloc(n_series, sizeof *leg);
    if (!leg) {
        bex__free(pts);
        rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for the DET plot");
        return out_close(&out, rc, err, errlen);
    }
    fputs("<g clip-path=\"url(#plot)\" fill=\"none\" stroke-width=\"2\" "
          "stroke-linejoin=\"round\">\n", f);
    for (size_t s = 0; s < n_series; s++) {
        size_t n = series[s].n_points;
        const char *col = palette[s % 8];
        const char *dash = s >= 8 ? " stroke-dasharray=\"7 4\"" : "";
        if (n) memcpy(pts, series[s].points, n * sizeof *pts);
        qsort(pts, n, sizeof *pts, cmp_det);
        if (n) {
            fprintf(f, "<polyline stroke=\"%s\"%s points=\"", col, dash);
            for (size_t i = 0; i < n; i++)
                fprintf(f, "%s%.2f,%.2f", i ? " " : "", log_px(&ax, pts[i].fpr),
                        log_px(&ay, pts[i].fnr));
            fputs("\"/>\n", f);
        }
        size_t used = 0;
        for (size_t m = 0; m < o.n_marks; m++) {
            const bex_det_point *best = NULL;
            for (size_t i = 0; i < n; i++)
                if (pts[i].fpr <= o.marks[m] && (!best || pts[i].fnr < best->fnr)) best = &pts[i];
            if (!best) continue;
            fprintf(f, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"4\" fill=\"%s\" stroke=\"white\" "
                       "stroke-width=\"1\"/>\n",
                    log_px(&ax, best->fpr), log_px(&ay, best->fnr), col);
            int k = snprintf(leg[s] + used, sizeof leg[s] - used, "%s%s %.3g at %s %g",
                             used ? ", " : "", ident ? "FNIR" : "FNMR", best->fnr,
                             ident ? "FPIR" : "FMR", o.marks[m]);
            if (k > 0 && (size_t)k < sizeof leg[s] - used) used += (size_t)k;
        }
        double w = text_px(series[s].name) + (used ? text_px(leg[s]) + 14 : 0);
        if (w > legend_w) legend_w = w;
    }
    fputs("</g>\n", f);

    /* legend, upper right inside the plot (a DET curve leaves that corner empty) */
    double lw = legend_w + 44, lh = 20.0 * (double)n_series + 10;
    if (lw > x1 - x0 - 20) lw = x1 - x0 - 20;
    double lx = x1 - lw - 10, ly = y0 + 10;
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"white\" "
               "fill-opacity=\"0.9\" stroke=\"#999\"/>\n", lx, ly, lw, lh);
    for (size_t s = 0; s < n_series; s++) {
        double yy = ly + 18 + 20.0 * (double)s;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                   "stroke-width=\"2\"%s/>\n", lx + 8, yy - 4, lx + 32, yy - 4, palette[s % 8],
                s >= 8 ? " stroke-dasharray=\"7 4\"" : "");
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", lx + 38, yy);
        put_text(f, series[s].name);
        if (leg[s][0]) {
            fputs("&#160;<tspan fill=\"#555\">(", f); /* a plain space would collapse */
            put_text(f, leg[s]);
            fputs(")</tspan>", f);
        }
        fputs("</text>\n", f);
    }
    fputs("</svg>\n", f);
    bex__free(leg);
    bex__free(pts);
    return out_close(&out, BEX_OK, err, errlen);
}

/* ---- score histogram ----------------------------------------------------------------------- */

/* A "nice" tick step (1, 2 or 5 times a power of ten) giving about `want` ticks over span. */
static double nice_step(double span, int want) {
    double raw = span / want, p = pow(10, floor(log10(raw))), r = raw / p;
    return (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10) * p;
}

static int check_finite(const double *s, size_t n, const char *what, char *err, size_t errlen) {
    if (n == 0) return bex__fail(err, errlen, BEX_ERR_ARG, "no %s scores", what);
    if (!s) return bex__fail(err, errlen, BEX_ERR_ARG, "%s scores: NULL array", what);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(s[i]))
            return bex__fail(err, errlen, BEX_ERR_ARG, "%s score %zu is not a finite number",
                             what, i);
    return BEX_OK;
}

static void histogram(const double *s, size_t n, double lo, double hi, size_t bins,
                      double *dens) {
    double w = (hi - lo) / (double)bins;
    for (size_t b = 0; b < bins; b++) dens[b] = 0;
    for (size_t i = 0; i < n; i++) {
        double x = (s[i] - lo) / w;
        size_t b = x <= 0 ? 0 : x >= (double)bins ? bins - 1 : (size_t)x;
        dens[b] += 1;
    }
    for (size_t b = 0; b < bins; b++) dens[b] /= (double)n * w;
}

int bex_hist_svg_write(const char *path, const bex_hist_plot *opt, const double *mated,
                       size_t n_mated, const double *nonmated, size_t n_nonmated, char *err,
                       size_t errlen) {
    bex_hist_plot o;
    if (opt) o = *opt;
    else memset(&o, 0, sizeof o);
    int rc;
    if ((rc = check_finite(mated, n_mated, "mated", err, errlen))) return rc;
    if ((rc = check_finite(nonmated, n_nonmated, "non-mated", err, errlen))) return rc;
    if (!o.x_label) o.x_label = "Similarity score";
    if (!o.bins) o.bins = 50;
    if (o.bins > 1000) return bex__fail(err, errlen, BEX_ERR_ARG, "%zu bins: at most 1000", o.bins);
    if (o.show_threshold && !isfinite(o.threshold))
        return bex__fail(err, errlen, BEX_ERR_ARG, "threshold is not a finite number");
    if (o.x_min == 0 && o.x_max == 0) {
        o.x_min = o.x_max = mated[0];
        for (size_t i = 0; i < n_mated; i++) {
            if (mated[i] < o.x_min) o.x_min = mated[i];
            if (mated[i] > o.x_max) o.x_max = mated[i];
        }
        for (size_t i = 0; i < n_nonmated; i++) {
            if (nonmated[i] < o.x_min) o.x_min = nonmated[i];
            if (nonmated[i] > o.x_max) o.x_max = nonmated[i];
        }
        if (o.x_max - o.x_min < 1e-12 * (fabs(o.x_min) + 1)) { o.x_min -= 0.5; o.x_max += 0.5; }
    }
    if (!(isfinite(o.x_min) && isfinite(o.x_max) && o.x_max > o.x_min) ||
        !isfinite(o.x_max - o.x_min))
        return bex__fail(err, errlen, BEX_ERR_ARG, "score range [%g, %g] is empty", o.x_min,
                         o.x_max);

    double *dm = bex__calloc(o.bins * 2, sizeof *dm);
    if (!dm) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for the histogram");
    double *dn = dm + o.bins;
    histogram(mated, n_mated, o.x_min, o.x_max, o.bins, dm);
    histogram(nonmated, n_nonmated, o.x_min, o.x_max, o.bins, dn);
    double ymax = 0;
    for (size_t b = 0; b < 2 * o.bins; b++) if (dm[b] > ymax) ymax = dm[b];
    ymax *= 1.08;

    outfile out;
    if ((rc = out_open(&out, path, err, errlen))) { bex__free(dm); return rc; }
    FILE *f = out.f;
    const int W = 720, H = 480;
    double x0 = 84, x1 = W - 24, y0 = o.title ? 44 : 20, y1 = H - 70;
    double sx = (x1 - x0) / (o.x_max - o.x_min), sy = (y1 - y0) / ymax;
#define PX(v) (x0 + ((v) - o.x_min) * sx)
#define PY(v) (y1 - (v) * sy)
    svg_open(f, W, H);
    svg_labels(f, W, x0, x1, y0, y1, o.title, o.x_label, "Density");

    /* ticks and grid */
    double st = nice_step(o.x_max - o.x_min, 8);
    double i0 = ceil(o.x_min / st - 1e-9);
    for (int i = 0; i <= 40; i++) { /* counted, not v += st: that can stall on a huge v */
        double v = (i0 + i) * st;
        if (v > o.x_max + st * 1e-9) break;
        double px = PX(v), shown = fabs(v) < st * 1e-9 ? 0 : v;
        fprintf(f, "<line x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" stroke=\"#e6e6e6\"/>\n"
                   "<text x=\"%.2f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n",
                px, y0, px, y1, px, y1 + 18, shown);
    }
    st = nice_step(ymax, 6);
    for (int i = 0; i <= 40 && i * st <= ymax; i++) {
        double v = i * st, py = PY(v);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.2f\" x2=\"%.1f\" y2=\"%.2f\" stroke=\"#e6e6e6\"/>\n"
                   "<text x=\"%.1f\" y=\"%.2f\" text-anchor=\"end\">%g</text>\n",
                x0, py, x1, py, x0 - 8, py + 4, v);
    }

    /* the two distributions as filled step outlines */
    const double *d[2] = {dn, dm};
    const char *col[2] = {"#d62728", "#1f77b4"};
    double bw = (o.x_max - o.x_min) / (double)o.bins;
    for (int k = 0; k < 2; k++) {
        fprintf(f, "<path fill=\"%s\" fill-opacity=\"0.3\" stroke=\"%s\" stroke-width=\"1.5\" "
                   "d=\"M%.2f,%.2f", col[k], col[k], PX(o.x_min), PY(0));
        for (size_t b = 0; b < o.bins; b++)
            fprintf(f, " L%.2f,%.2f L%.2f,%.2f", PX(o.x_min + bw * (double)b), PY(d[k][b]),
                    PX(o.x_min + bw * (double)(b + 1)), PY(d[k][b]));
        fprintf(f, " L%.2f,%.2f Z\"/>\n", PX(o.x_max), PY(0));
    }
    if (o.show_threshold && o.threshold >= o.x_min && o.threshold <= o.x_max) {
        double px = PX(o.threshold);
        fprintf(f, "<line x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" stroke=\"black\" "
                   "stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\n"
                   "<text x=\"%.2f\" y=\"%.1f\" font-size=\"11\">threshold %.4g</text>\n",
                px, y0, px, y1, px + 4, y0 + 14, o.threshold);
    }
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
               "stroke=\"black\"/>\n", x0, y0, x1 - x0, y1 - y0);
#undef PX
#undef PY

    /* legend, upper left (non-mated scores sit low, mated high; both peaks may be tall) */
    double lx = x0 + 10, ly = y0 + 10;
    char line[2][96];
    snprintf(line[0], sizeof line[0], "non-mated (n = %zu)", n_nonmated);
    snprintf(line[1], sizeof line[1], "mated (n = %zu)", n_mated);
    double lw = 40 + (text_px(line[0]) > text_px(line[1]) ? text_px(line[0]) : text_px(line[1]));
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"50\" fill=\"white\" "
               "fill-opacity=\"0.9\" stroke=\"#999\"/>\n", lx, ly, lw);
    for (int k = 0; k < 2; k++) {
        double yy = ly + 20 + 20.0 * k;
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"18\" height=\"10\" fill=\"%s\" "
                   "fill-opacity=\"0.3\" stroke=\"%s\"/>\n<text x=\"%.1f\" y=\"%.1f\">",
                lx + 8, yy - 9, col[k], col[k], lx + 32, yy);
        put_text(f, line[k]);
        fputs("</text>\n", f);
    }
    fputs("</svg>\n", f);
    bex__free(dm);
    return out_close(&out, BEX_OK, err, errlen);
}

/* ---- CSV ----------------------------------------------------------------------------------- */

int bex_det_csv_write(const char *path, bex_rate_kind kind, const bex_det_point *points,
                      size_t n, char *err, size_t errlen) {
    if (kind != BEX_RATES_VERIFICATION && kind != BEX_RATES_IDENTIFICATION)
        return bex__fail(err, errlen, BEX_ERR_ARG, "unknown rate kind %d", (int)kind);
    int rc = check_points(points, n, "DET", err, errlen);
    if (rc) return rc;
    outfile out;
    if ((rc = out_open(&out, path, err, errlen))) return rc;
    fputs(kind == BEX_RATES_IDENTIFICATION ? "threshold,fpir,fnir\n" : "threshold,fmr,fnmr\n",
          out.f);
    for (size_t i = 0; i < n; i++)
        fprintf(out.f, "%.17g,%.17g,%.17g\n", points[i].threshold, points[i].fpr, points[i].fnr);
    return out_close(&out, BEX_OK, err, errlen);
}

int bex_threshold_csv_write(const char *path, const double *mated, size_t n_mated,
                            const double *nonmated, size_t n_nonmated,
                            const double *thresholds, size_t n_thresholds, char *err,
                            size_t errlen) {
    double fmr, fnmr;
    int rc;
    if (n_thresholds && !thresholds)
        return bex__fail(err, errlen, BEX_ERR_ARG, "NULL thresholds");
    for (size_t t = 0; t < n_thresholds; t++)
        if (!isfinite(thresholds[t]))
            return bex__fail(err, errlen, BEX_ERR_ARG, "threshold %zu is not finite", t);
    /* checks the score sets (non-empty, finite) once */
    if ((rc = bex_fmr_fnmr(mated, n_mated, nonmated, n_nonmated, 0, &fmr, &fnmr, err, errlen)))
        return rc;
    outfile out;
    if ((rc = out_open(&out, path, err, errlen))) return rc;
    fputs("threshold,fmr,fnmr,tar,false_matches,nonmated,false_non_matches,mated,fmr_upper95\n",
          out.f);
    for (size_t t = 0; t < n_thresholds && rc == BEX_OK; t++) {
        size_t fm = 0, fnm = 0;
        double up = 0;
        for (size_t i = 0; i < n_nonmated; i++) fm += nonmated[i] >= thresholds[t];
        for (size_t i = 0; i < n_mated; i++) fnm += mated[i] < thresholds[t];
        rc = bex_error_rate_upper_bound(fm, n_nonmated, 0.95, &up, err, errlen);
        fmr = (double)fm / (double)n_nonmated;
        fnmr = (double)fnm / (double)n_mated;
        fprintf(out.f, "%.17g,%.17g,%.17g,%.17g,%zu,%zu,%zu,%zu,%.17g\n", thresholds[t], fmr,
                fnmr, 1 - fnmr, fm, n_nonmated, fnm, n_mated, up);
    }
    return out_close(&out, rc, err, errlen);
}
