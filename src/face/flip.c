/*
 * flip.c - the mirror image of an aligned face chip for flip test-time augmentation
 * (src/face/flip.h). Mirroring the 150 px chip, not the photo, needs no landmark remapping:
 * the chip of a mirrored face is the mirrored chip, up to where the alignment puts the face's
 * axis of symmetry (bex__chip_mirror_axis2).
 */
#include <string.h>

#include "face/flip.h"

int bex__chip_mirror_axis2(bex_align align) { return align == BEX_ALIGN_FACEAPI ? 149 : 148; }

void bex__chip_mirror(const float *src, float *dst, int side, int axis2) {
    for (int v = 0; v < side; v++)
        for (int u = 0; u < side; u++) {
            int s = axis2 - u;
            if (s < 0) s = 0;
            if (s > side - 1) s = side - 1;
            memcpy(dst + ((size_t)v * side + u) * 3, src + ((size_t)v * side + s) * 3, 3 * sizeof *dst);
        }
}
