# bex - build, test and sanitizer switches.
#
#   make                 library (build/libbex.a) and the command (build/bex)
#   make test            every test: unit, CLI, fuzz-corpus replay (needs models/ for the model tests)
#   make SANITIZE=1 test the same under AddressSanitizer + UndefinedBehaviorSanitizer (build-san/)
#   make WERROR=1        warnings are errors (CI)
#   make bench           benchmark programs (bench/)
#   make tools           measurement tools (tools/*.c), e.g. build/tools/lfw_pairs
#   make fuzz            libFuzzer targets (needs clang)

CC      ?= cc
OPT     ?= -O2
CFLAGS  += -std=c11 -D_GNU_SOURCE $(OPT) -g -Wall -Wextra -Wshadow -Wno-unused-parameter \
           -fno-strict-aliasing -pthread
# The library (and its tests, benchmarks and tools) see its internal headers; the programs
# (cli/, server/) see only the public API in include/bex/.
# libpq (PostgreSQL's client, for a --db postgresql:// URI) is the library's alone: its headers
# are in the library's include path, not the programs'.
PG_CFLAGS := $(shell pkg-config --cflags libpq 2>/dev/null || echo -I/usr/include/postgresql)
INC     := -Iinclude -Isrc $(PG_CFLAGS)
PROG_INC = -Iinclude
LDLIBS  += -ljpeg -lpng -lopenjp2 -ltiff -lcjson -lsqlite3 -lpq -lnettle -lsodium -lcrypto -lm -lpthread
# the command alone serves HTTP (bex serve)
CLI_LIBS = -lmicrohttpd
ifeq ($(WERROR),1)
CFLAGS  += -Werror
endif
# set by `make fuzz` for the library it links into the libFuzzer targets
ifeq ($(FUZZ),1)
CFLAGS  += -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
ifeq ($(SANITIZE),1)
BUILD   ?= build-san
CFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
else
BUILD   ?= build
endif

# Kernels for one instruction set live in files named *_avx2.c / *_avx512.c / *_avx512vnni.c /
# *_avx512bf16.c and are compiled for that set only; the library picks among them at run time
# (src/nn/kernel.c, src/index/scan.c).
AVX2_FLAGS   = -mavx2 -mfma -mf16c
AVX512_FLAGS = -mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma -mf16c
AVX512VNNI_FLAGS = $(AVX512_FLAGS) -mavx512vnni
AVX512BF16_FLAGS = -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx512bf16 -mfma

LIB_SRC  := $(sort $(wildcard src/*/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_SRC  := $(sort $(wildcard cli/*.c server/*.c))
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(sort $(wildcard bench/bench_*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: all test bench tools fuzz clean setup models
all: $(BUILD)/libbex.a $(BUILD)/bex

$(BUILD)/%_avx2.o: %_avx2.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC) $(AVX2_FLAGS) -MMD -MP -c $< -o $@
$(BUILD)/%_avx512.o: %_avx512.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC) $(AVX512_FLAGS) -MMD -MP -c $< -o $@
$(BUILD)/%_avx512vnni.o: %_avx512vnni.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC) $(AVX512VNNI_FLAGS) -MMD -MP -c $< -o $@
$(BUILD)/%_avx512bf16.o: %_avx512bf16.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC) $(AVX512BF16_FLAGS) -MMD -MP -c $< -o $@
$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC) -MMD -MP -c $< -o $@
$(BUILD)/cli/%.o $(BUILD)/server/%.o: INC = $(PROG_INC)

# The store's migrations (src/store/sql/NNN_*.sql) are compiled in as a table.
MIGRATIONS := $(sort $(wildcard src/store/sql/*.sql))
$(BUILD)/gen/migrations.inc: $(MIGRATIONS) tools/embed-sql.sh
	@mkdir -p $(dir $@)
	tools/embed-sql.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@
$(BUILD)/src/store/store.o: $(BUILD)/gen/migrations.inc
# ... and their PostgreSQL forms (src/store/sql/pg/NNN_*.sql: same numbers, same names)
MIGRATIONS_PG := $(sort $(wildcard src/store/sql/pg/*.sql))
$(BUILD)/gen/migrations_pg.inc: $(MIGRATIONS_PG) tools/embed-sql.sh
	@mkdir -p $(dir $@)
	tools/embed-sql.sh $(MIGRATIONS_PG) > $@.tmp && mv $@.tmp $@
$(BUILD)/src/store/store.o: $(BUILD)/gen/migrations_pg.inc
$(BUILD)/src/store/store.o: INC += -I$(BUILD)/gen

# bex serve serves its OpenAPI document as it is in docs/.
$(BUILD)/gen/openapi.c: docs/openapi.json tools/embed-text.sh
	@mkdir -p $(dir $@)
	tools/embed-text.sh docs/openapi.json bex_openapi_json > $@.tmp && mv $@.tmp $@
$(BUILD)/gen/openapi.o: $(BUILD)/gen/openapi.c
	$(CC) $(CFLAGS) -c $< -o $@
CLI_OBJ += $(BUILD)/gen/openapi.o

# ... and the officer console's files (console/) as they are, each with its content type.
CONSOLE_FILES := $(sort $(shell find console -type f 2>/dev/null))
$(BUILD)/gen/console.c: $(CONSOLE_FILES) tools/embed-dir.sh
	@mkdir -p $(dir $@)
	tools/embed-dir.sh console console_files > $@.tmp && mv $@.tmp $@
$(BUILD)/gen/console.o: $(BUILD)/gen/console.c
	$(CC) $(CFLAGS) -c $< -o $@
CLI_OBJ += $(BUILD)/gen/console.o

$(BUILD)/libbex.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/bex: $(CLI_OBJ) $(BUILD)/libbex.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libbex.a $(LDLIBS) $(CLI_LIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/test.h $(BUILD)/libbex.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC) $(LDFLAGS) -o $@ $< $(BUILD)/libbex.a $(LDLIBS)

$(BUILD)/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(BUILD)/libbex.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC) $(LDFLAGS) -o $@ tests/fuzz/replay.c $< $(BUILD)/libbex.a $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libbex.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC) $(LDFLAGS) -o $@ $< $(BUILD)/libbex.a $(LDLIBS) $(BENCH_LIBS_$*)

FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_REPLAY := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=$(BUILD)/fuzz/replay_%)

test: all $(TEST_BIN) $(FUZZ_REPLAY)
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) tests/run.sh

bench: all $(BENCH_BIN)
BENCH_LIBS_bench_gemm := -lopenblas
# bench_index's peer, FAISS (C++ only in Debian), is linked when libfaiss-dev and a C++ compiler
# are installed; without them bench_index runs bex alone. Nothing else needs either.
ifneq ($(wildcard /usr/include/faiss/IndexScalarQuantizer.h),)
ifneq ($(shell command -v $(CXX) 2>/dev/null),)
BENCH_LIBS_bench_index := $(BUILD)/bench/faiss_peer.o -lfaiss -lopenblas -fopenmp -lstdc++ -lm
$(BUILD)/bench/bench_index: $(BUILD)/bench/faiss_peer.o
$(BUILD)/bench/faiss_peer.o: bench/faiss_peer.cc
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 $(OPT) -g -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror) -fopenmp -c $< -o $@
endif
endif

# bench_json's peer, Jansson, is linked when libjansson-dev is installed.
ifneq ($(wildcard /usr/include/jansson.h),)
BENCH_LIBS_bench_json := -ljansson
$(BUILD)/bench/bench_json: CFLAGS += -DBEX_HAVE_JANSSON
endif

TOOL_SRC := $(sort $(wildcard tools/*.c))
TOOL_BIN := $(TOOL_SRC:tools/%.c=$(BUILD)/tools/%)
tools: all $(TOOL_BIN)
$(BUILD)/tools/%: tools/%.c $(BUILD)/libbex.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC) $(LDFLAGS) -o $@ $< $(BUILD)/libbex.a $(LDLIBS)

# libFuzzer builds (clang): build-fuzz/fuzz_image; run it with a scratch folder first, so new
# inputs do not land in the seed corpus: build-fuzz/fuzz_image /tmp/corpus tests/fuzz/corpus/image
fuzz:
	$(MAKE) BUILD=build-fuzz CC=clang FUZZ=1 build-fuzz/libbex.a
	@mkdir -p build-fuzz
	for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  clang -std=c11 -D_GNU_SOURCE -g -O1 -Iinclude -Isrc -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=all -o build-fuzz/$$n $$f build-fuzz/libbex.a $(LDLIBS) || exit 1; done

setup:
	tools/setup.sh
models:
	tools/fetch-models.sh

clean:
	rm -rf build build-san build-fuzz

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
