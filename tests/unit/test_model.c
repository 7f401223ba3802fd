/*
 * test_model.c - model description files (include/bex/model.h): a good description parsed
 * field by field, every refusal with a message naming the field, the identity (stable, changed
 * by the ONNX bytes and by the preprocessing, not by the file's name), and the built-in
 * model's identity, which must stay what record stores already hold in samples.model.
 */
#include <unistd.h>

#include "bex/model.h"
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

int main(void) {
    RUN(parses_a_description);
    RUN(refuses_bad_descriptions);
    RUN(identity_names_the_model_and_its_bytes);
    RUN(builtin_identity_is_what_stores_hold);
    return test_summary();
}
