/*
 * light_probe.c - which lighting normalisation recovers the faces the detector misses
 * (docs/evaluation.md, "Hard light"). Reads image paths from standard input, turns each into
 * a variant (bex_variant_apply), searches it with the lighting retry off, and for every image
 * with no face searches a copy made by each bex_light method in turn. Detection only (no
 * templates), so it runs in a fraction of an eval pass.
 *
 *   find ../shared/data/lfw/lfw-deepfunneled -name '*.jpg' | sort | awk 'NR % 4 == 0' |
 *       build/tools/light_probe models dark
 *   {"variant":"dark","images":3305,"no_face":71,"found_by":{"stretch":..,"gamma":..,"clahe":..}}
 */
#include <stdio.h>
#include <string.h>

#include "bex/eval.h"
#include "bex/face.h"
#include "bex/image.h"
#include "face/lighting.h"

int main(int argc, char **argv) {
    bex_variant v;
    if (argc != 3 || bex_variant_parse(argv[2], &v) != BEX_OK) {
        fprintf(stderr, "usage: light_probe MODELS full|tight|dark|sidelight < image-list\n");
        return 2;
    }
    char err[512], line[2048];
    bex_engine_options o;
    bex_engine_options_default(&o);
    o.light_retry = BEX_LIGHT_OFF;
    bex_engine *e;
    if (bex_engine_open(argv[1], &o, &e, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "light_probe: %s\n", err);
        return 2;
    }
    int images = 0, no_face = 0, found[4] = {0}, any = 0;
    static bex_face f[8];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\r\n")] = 0;
        bex_image img = {0, 0, NULL};
        int n = 0;
        if (bex_image_load(line, NULL, &img, err, sizeof err) != BEX_OK ||
            bex_variant_apply(&img, v, err, sizeof err) != BEX_OK) {
            fprintf(stderr, "light_probe: %s: %s\n", line, err);
            bex_image_free(&img);
            continue;
        }
        images++;
        if (bex_detect(e, &img, f, 8, &n, err, sizeof err) == BEX_OK && n == 0) {
            no_face++;
            int got = 0;
            printf("miss %s", line);
            for (int m = BEX_LIGHT_STRETCH; m <= BEX_LIGHT_CLAHE; m++) {
                bex_image lit;
                if (bex__light_normalise(&img, (bex_light)m, &lit, err, sizeof err) != BEX_OK) continue;
                if (bex_detect(e, &lit, f, 8, &n, err, sizeof err) == BEX_OK && n > 0) {
                    found[m]++;
                    got = 1;
                    printf(" %s", bex_light_name((bex_light)m));
                }
                bex_image_free(&lit);
            }
            any += got;
            printf("\n");
            fflush(stdout);
        }
        bex_image_free(&img);
    }
    printf("{\"variant\":\"%s\",\"images\":%d,\"no_face\":%d,\"found_by\":{\"stretch\":%d,\"gamma\":%d,\"clahe\":%d,"
           "\"any\":%d}}\n", argv[2], images, no_face, found[1], found[2], found[3], any);
    bex_engine_close(e);
    return 0;
}
