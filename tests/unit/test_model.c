/*
 * test_model.c - model description files (include/bex/model.h): a good description parsed
 * field by field, every refusal with a message naming the field, the identity (stable, changed
 * by the ONNX bytes and by the preprocessing, not by the file's name), and the built-in
 * model's identity, which must stay what record stores already hold in samples.model; the
 * mirror of a described model's chip for flip (src/face/recognizer.h).
 */
#include <unistd.h>

#include "bex/model.h"
#include "face/flip.h"
#include "face/recognizer.h"
#include "test.h"

static const char good[] =
    "{\"name\":\"vendor-x-r100\",\"version\":\"2.1\",\"onnx\":\"r100.onnx\","
    "\"input\":{\"width\":112,\"height\":112,\"channels\":\"bgr\",\"layout\":\"nchw\","
    "\"mean\":[127.5,127.5,127.5],\"std\":[128,128,128]},"
    "\"alignment\":\"arcface-112\",\"embedding\":512,\"output\":\"fc1\",\"license\":\"agency licence 7\"}";

TEST(parses_a_description) {
    bex_model m;
    char err[256] = "";
    CHECK(bex_model_parse(good, sizeof good - 1, "models/vx", "models/vx/r100.json", &m, err, sizeof err) == BEX_OK);
    CHECK(!strcmp(m.name, "vendor-x-r100") && !strcmp(m.version, "2.1"));
    CHECK(!strcmp(m.onnx, "models/vx/r100.onnx"));
    CHECK(m.width == 112 && m.height == 112 && m.bgr == 1 && m.nhwc == 0);
    CHECK(m.mean[2] == 127.5f && m.std[0] == 128.0f);
    CHECK(m.alignment == BEX_MODEL_ALIGN_ARCFACE112 && m.embedding == 512);
    CHECK(!strcmp(m.output, "fc1"));
    CHECK(!strcmp(m.calibration, "models/vx/r100.calibration.json"));
    CHECK(m.identity[0] == 0); /* parse reads no file */
    /* output by index; an absolute ONNX path is kept */
    const char *b = "{\"name\":\"a\",\"version\":\"1\",\"onnx\":\"/m/a.onnx\",\"input\":{\"width\":150,\"height\":150,"
                    "\"channels\":\"rgb\",\"layout\":\"nhwc\",\"mean\":[0,0,0],\"std\":[1,1,1]},"
                    "\"alignment\":\"dlib-150\",\"embedding\":128,\"output\":1}";
    CHECK(bex_model_parse(b, strlen(b), "x", NULL, &m, err, sizeof err) == BEX_OK);
    CHECK(!strcmp(m.onnx, "/m/a.onnx") && m.output[0] == 0 && m.output_index == 1 && m.nhwc == 1);
    CHECK(m.alignment == BEX_MODEL_ALIGN_DLIB150 && m.calibration[0] == 0);
}

/* each bad description: a replacement of one piece of the good one, and a word the message must hold */
TEST(refuses_bad_descriptions) {
    static const struct {
        const char *from, *to, *word;
        int rc;
    } cases[] = {
        {"\"name\":\"vendor-x-r100\"", "\"name\":\"a b\"", "name", BEX_ERR_ARG},
        {"\"name\":\"vendor-x-r100\"", "\"name\":\"\"", "name", BEX_ERR_ARG},
        {"\"name\":\"vendor-x-r100\"", "\"nmae\":\"x\"", "nmae", BEX_ERR_ARG},
        {"\"version\":\"2.1\"", "\"version\":2.1", "version", BEX_ERR_ARG},
        {"\"onnx\":\"r100.onnx\"", "\"onnx\":\"\"", "onnx", BEX_ERR_ARG},
        {"\"width\":112", "\"width\":8", "width", BEX_ERR_ARG},
        {"\"width\":112", "\"width\":112.5", "width", BEX_ERR_ARG},
        {"\"height\":112", "\"height\":100000", "height", BEX_ERR_ARG},
        {"\"channels\":\"bgr\"", "\"channels\":\"gray\"", "channels", BEX_ERR_ARG},
        {"\"layout\":\"nchw\"", "\"layout\":\"chw\"", "layout", BEX_ERR_ARG},
        {"\"mean\":[127.5,127.5,127.5]", "\"mean\":[127.5,127.5]", "mean", BEX_ERR_ARG},
        {"\"std\":[128,128,128]", "\"std\":[128,0,128]", "std", BEX_ERR_ARG},
        {"\"alignment\":\"arcface-112\"", "\"alignment\":\"mtcnn\"", "alignment", BEX_ERR_ARG},
        {"\"embedding\":512", "\"embedding\":4096", "embedding", BEX_ERR_ARG},
        {"\"embedding\":512", "\"embedding\":0", "embedding", BEX_ERR_ARG},
        {"\"output\":\"fc1\"", "\"output\":-1", "output", BEX_ERR_ARG},
        {"\"output\":\"fc1\"", "\"output\":[]", "output", BEX_ERR_ARG},
        {"\"license\":\"agency licence 7\"", "\"license\":7", "license", BEX_ERR_ARG},
        {"\"layout\":\"nchw\",", "\"layout\":\"nchw\",\"size\":3,", "size", BEX_ERR_ARG},
        {"{\"name\"", "[{\"name\"", "JSON", BEX_ERR_FORMAT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[1024], err[256] = "";
        const char *at = strstr(good, cases[i].from);
        CHECK(at != NULL);
        if (!at) continue;
        snprintf(text, sizeof text, "%.*s%s%s", (int)(at - good), good, cases[i].to, at + strlen(cases[i].from));
        bex_model m;
        memset(&m, 0x55, sizeof m);
        int rc = bex_model_parse(text, strlen(text), "", NULL, &m, err, sizeof err);
        if (rc != cases[i].rc || !strstr(err, cases[i].word)) printf("  case %zu: rc %d, \"%s\"\n", i, rc, err);
        CHECK(rc == cases[i].rc || (cases[i].rc == BEX_ERR_FORMAT && rc == BEX_ERR_ARG));
        CHECK(cases[i].rc == BEX_ERR_FORMAT || strstr(err, cases[i].word) != NULL);
        CHECK(((unsigned char *)&m)[0] == 0x55); /* nothing written */
    }
    char err[256];
    bex_model m;
    CHECK(bex_model_parse("{", 1, "", NULL, &m, err, sizeof err) == BEX_ERR_FORMAT);
    CHECK(bex_model_parse(good, BEX_MODEL_DESC_MAX_BYTES + 1, "", NULL, &m, err, sizeof err) == BEX_ERR_LIMIT);
}

TEST(identity_names_the_model_and_its_bytes) {
    char dir[] = "/tmp/bex-test-model.XXXXXX", path[128], onnx[128], copy[128], err[256];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/r100.json", dir);
    snprintf(onnx, sizeof onnx, "%s/r100.onnx", dir);
    snprintf(copy, sizeof copy, "%s/other-name.json", dir);
    FILE *f = fopen(path, "w");
    fputs(good, f);
    fclose(f);
    f = fopen(copy, "w");
    fputs(good, f);
    fclose(f);
    bex_model m, m2;
    CHECK(bex_model_load(path, &m, err, sizeof err) == BEX_ERR_IO && strstr(err, "r100.onnx")); /* no ONNX yet */
    f = fopen(onnx, "w");
    fputs("not really a network", f);
    fclose(f);
    CHECK(bex_model_load(path, &m, err, sizeof err) == BEX_OK);
    CHECK(!strncmp(m.identity, "vendor-x-r100@2.1 arcface-112 sha256:", 37) && strlen(m.identity) == 37 + 32);
    CHECK(bex_model_load(copy, &m2, err, sizeof err) == BEX_OK);
    CHECK(!strcmp(m.identity, m2.identity)); /* the description's own name does not count */
    CHECK(strstr(m2.calibration, "other-name.calibration.json") != NULL);
    f = fopen(onnx, "w");
    fputs("not really a network!", f);
    fclose(f);
    CHECK(bex_model_load(path, &m2, err, sizeof err) == BEX_OK);
    CHECK(strcmp(m.identity, m2.identity) != 0); /* other weights, another identity */
    /* the preprocessing counts */
    unsigned char d[32] = {0};
    char a[BEX_MODEL_ID_MAX], b[BEX_MODEL_ID_MAX];
    CHECK(bex_model_identity(&m, d, a, sizeof a) == BEX_OK);
    m.std[1] = 127.5f;
    CHECK(bex_model_identity(&m, d, b, sizeof b) == BEX_OK);
    CHECK(strcmp(a, b) != 0);
    CHECK(bex_model_load("/nonexistent/x.json", &m, err, sizeof err) == BEX_ERR_IO);
    f = fopen(path, "w");
    fputs("{\"name\":1}", f);
    fclose(f);
    CHECK(bex_model_load(path, &m, err, sizeof err) == BEX_ERR_ARG && strstr(err, path) && strstr(err, "name"));
    unlink(path);
    unlink(copy);
    unlink(onnx);
    rmdir(dir);
}

TEST(builtin_identity_is_what_stores_hold) {
    /* byte for byte what bex_store_open has written to samples.model since schema 1 */
    CHECK(!strcmp(bex_model_builtin_identity(0), "face-api.js@1.7.15 resnet34-128 similarity"));
    CHECK(!strcmp(bex_model_builtin_identity(1), "face-api.js@1.7.15 resnet34-128 faceapi"));
    CHECK(bex_model_is_builtin("face-api.js@1.7.15 resnet34-128 faceapi"));
    CHECK(!bex_model_is_builtin("vendor-x-r100@2.1 arcface-112 sha256:00"));
    CHECK(!bex_model_is_builtin(NULL));
}

/* Flip for a described model: the chip mirrored about its alignment's face axis. A dlib-150 chip
 * of 150 px is mirrored exactly as the built-in chip (column 148 - u); an arcface-112 chip about
 * column 56.026 (interpolated); mirroring twice gives the chip back where the axis is whole. */
TEST(model_chip_mirror_for_flip) {
    bex_model m;
    memset(&m, 0, sizeof m);
    m.width = m.height = 150;
    m.alignment = BEX_MODEL_ALIGN_DLIB150;
    CHECK_NEAR(face_onnx_mirror_axis2(&m), 148.0, 1e-5);
    static float chip[150 * 150 * 3], a[150 * 150 * 3], b[150 * 150 * 3];
    for (int i = 0; i < 150 * 150 * 3; i++) chip[i] = (float)((i * 7919) % 255);
    face_onnx_mirror(chip, a, 150, 150, face_onnx_mirror_axis2(&m));
    bex__chip_mirror(chip, b, 150, bex__chip_mirror_axis2(BEX_ALIGN_SIMILARITY));
    CHECK(!memcmp(a, b, sizeof a));
    face_onnx_mirror(a, b, 150, 150, 148.0f); /* twice: the chip again, but the column it clamped */
    int same = 1;
    for (int v = 0; v < 150; v++)
        for (int u = 0; u <= 148; u++)
            for (int c = 0; c < 3; c++) same &= b[(v * 150 + u) * 3 + c] == chip[(v * 150 + u) * 3 + c];
    CHECK(same);
    m.width = m.height = 112;
    m.alignment = BEX_MODEL_ALIGN_ARCFACE112;
    float ax = face_onnx_mirror_axis2(&m);
    CHECK(ax > 112.0f && ax < 112.1f);
    /* a ramp across the columns mirrors to its reflection about ax / 2 */
    for (int v = 0; v < 112; v++)
        for (int u = 0; u < 112; u++)
            for (int c = 0; c < 3; c++) chip[(v * 112 + u) * 3 + c] = (float)u;
    face_onnx_mirror(chip, a, 112, 112, ax);
    CHECK_NEAR(a[(5 * 112 + 10) * 3], ax - 10, 1e-4);
    CHECK_NEAR(a[(5 * 112 + 56) * 3 + 2], ax - 56, 1e-4);
    CHECK_NEAR(a[(5 * 112 + 0) * 3], 111, 1e-4); /* beyond the chip: its edge */
}

int main(void) {
    RUN(parses_a_description);
    RUN(refuses_bad_descriptions);
    RUN(identity_names_the_model_and_its_bytes);
    RUN(builtin_identity_is_what_stores_hold);
    RUN(model_chip_mirror_for_flip);
    return test_summary();
}
