/*
 * replay.c - runs a libFuzzer target without libFuzzer: calls LLVMFuzzerTestOneInput on the
 * bytes of each file named on the command line, so that `make test` replays every seed
 * corpus (tests/fuzz/corpus/<target>/) under the normal or sanitizer build. A crash or
 * sanitizer report is the failure; otherwise it prints "replayed N inputs" and exits 0.
 * A file that cannot be read is a failure too (exit 1), so a missing corpus is noticed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The same cap libFuzzer's -max_len would never exceed for a seed; keeps replay bounded. */
#define MAX_INPUT_BYTES (64u << 20)

int main(int argc, char **argv) {
    int n = 0;
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            perror(argv[i]);
            return 1;
        }
        size_t cap = 4096, len = 0;
        uint8_t *buf = malloc(cap);
        for (;;) {
            if (!buf) {
                fprintf(stderr, "%s: out of memory\n", argv[i]);
                fclose(f);
                return 1;
            }
            len += fread(buf + len, 1, cap - len, f);
            if (len < cap || cap >= MAX_INPUT_BYTES) break;
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) free(buf);
            buf = nb;
            cap *= 2;
        }
        int big = len == cap && fgetc(f) != EOF;
        int bad = ferror(f);
        fclose(f);
        if (bad || big) {
            fprintf(stderr, "%s: %s\n", argv[i], bad ? "read error" : "input too large to replay");
            free(buf);
            return 1;
        }
        /* an exact-size copy, so ASan sees any read past the end of the input */
        uint8_t *exact = malloc(len ? len : 1);
        if (!exact) {
            free(buf);
            return 1;
        }
        for (size_t k = 0; k < len; k++) exact[k] = buf[k];
        free(buf);
        LLVMFuzzerTestOneInput(exact, len);
        free(exact);
        n++;
    }
    printf("replayed %d inputs\n", n);
    return 0;
}
