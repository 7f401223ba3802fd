/*
 * make-lane-fixture.c - writes tests/data/lfw/lane_three_faces.jpg: a vehicle lane's capture,
 * three travellers side by side as through a car window, made of three committed LFW fixtures
 * (Gloria_Macapagal_Arroyo_0002, Emmanuelle_Beart_0003, Akhmed_Zakayev_0003; their other photos,
 * _0001, stand for their passports' chip photos). test_scenario.sh uses it for --all-faces.
 * Not built into the library; its output is committed. Run from the repository root:
 *
 *   make tools && build/tools/make-lane-fixture
 *
 * Output is deterministic (libjpeg at quality 92, 4:2:0).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "bex/image.h"

#define OUT "tests/data/lfw/lane_three_faces.jpg"

int main(void) {
    static const char *const in[3] = {"tests/data/lfw/Akhmed_Zakayev_0003.jpg", "tests/data/lfw/Emmanuelle_Beart_0003.jpg", "tests/data/lfw/Gloria_Macapagal_Arroyo_0002.jpg"};
    bex_image img[3];
    char err[256];
    int w = 0, h = 0;
    for (int i = 0; i < 3; i++) {
        if (bex_image_load(in[i], NULL, &img[i], err, sizeof err) != BEX_OK) {
            fprintf(stderr, "make-lane-fixture: %s: %s\n", in[i], err);
            return 1;
        }
        w += img[i].width;
        if (img[i].height > h) h = img[i].height;
    }
    unsigned char *px = calloc((size_t)w * h * 3, 1);
    if (!px) return 1;
    int x0 = 0;
    for (int i = 0; i < 3; i++) {
        for (int y = 0; y < img[i].height; y++)
            memcpy(px + ((size_t)y * w + x0) * 3, img[i].px + (size_t)y * img[i].width * 3, (size_t)img[i].width * 3);
        x0 += img[i].width;
        bex_image_free(&img[i]);
    }
    FILE *f = fopen(OUT, "wb");
    if (!f) {
        perror(OUT);
        return 1;
    }
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, f);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 92, TRUE);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = px + (size_t)c.next_scanline * w * 3;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    fclose(f);
    free(px);
    printf("wrote %s (%dx%d)\n", OUT, w, h);
    return 0;
}
