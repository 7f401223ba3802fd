/*
 * lighting.h - contrast-normalised copies of a photo for the engine's lighting retry (internal
 * to the library; the methods are bex_light in include/bex/face.h). When the detector finds no
 * face in an under-exposed or one-sided-lit photo, the engine searches such a copy once more.
 */
#ifndef BEX_FACE_LIGHTING_H
#define BEX_FACE_LIGHTING_H

#include <stddef.h>

#include "bex/face.h"
#include "bex/image.h"

/* A new image: src normalised by `method` (not BEX_LIGHT_OFF). Same size as src; *out is
 * written only on success and freed by the caller with bex_image_free. BEX_ERR_ARG,
 * BEX_ERR_NOMEM. */
int bex__light_normalise(const bex_image *src, bex_light method, bex_image *out, char *err,
                         size_t errlen);

#endif
