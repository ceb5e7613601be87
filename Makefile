# litmine — GNU make build.  No configure step: the Debian packages listed in
# scripts/install-deps.sh provide every library, found through pkg-config.
#
#   make            build ./litmine (optimised)
#   make check      install missing packages, build with ASan+UBSan (gcc and clang),
#                   run all tests under both, and each fuzzer for CHECK_FUZZ_SECONDS
#   make fuzz       run each libFuzzer harness for FUZZ_SECONDS (default 300)
#   make demo       install missing packages, build, run the main job on sample data
#   make bench      benchmarks (figures printed, nothing asserted)
#   make bench-scale  ingest, index and query BENCH_ARTICLES abstracts (default 1M)
#   make train      retrain the committed models from ../shared/data
#   make asan       build ./litmine-asan with -fsanitize=address,undefined
#   make install    PREFIX=/usr/local DESTDIR= : binary, models, man page, bash
#                   completion, example config, systemd units and sysusers file

VERSION   := 0.1.0
PREFIX    ?= /usr/local
DESTDIR   ?=
CC        ?= cc
PKGS      := libcurl libxml-2.0 sqlite3 openblas zlib libxxhash libmicrohttpd

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 -Wvla
CSTD      := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
OPT       ?= -O2 -g
CFLAGS    ?=
LDFLAGS   ?=
# The int8 vector scan (store/search/lm_vectors.c) needs the vectorizer's
# full cost model to use SIMD multiply-adds (-O2 keeps the cheap one):
# 4x faster dense search.  Integer sums only, so results do not change.
build/rel/store/search/lm_vectors.o: OPT += -fvect-cost-model=dynamic
# The encoder's element-wise kernels (GELU, softmax, LayerNorm) are chains
# of multiply-adds that -std=c11 keeps unfused; FMA halves GELU's time.
build/rel/nlp/encoder/lm_encoder_run.o: OPT += -ffp-contract=fast

ALL_CFLAGS = $(CSTD) $(WARN) $(OPT) $(PKG_CFLAGS) -DLM_VERSION='"$(VERSION)"' \
             -DLM_MODELS_DIR='"$(PREFIX)/share/litmine/models"' $(CFLAGS)
ALL_LIBS   = $(PKG_LIBS) -lpthread -lm

# LM_CRASH_POINTS: the test builds may be told to kill themselves at chosen
# points (store/search/lm_vec_cache.c), for the crash tests; release builds
# cannot.
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
             -DLM_CRASH_POINTS
TSAN_FLAGS := -fsanitize=thread -fno-omit-frame-pointer
# clang is the second compiler: its UBSan sees what gcc's misses (pointer
# arithmetic on NULL, for one), and it brings libFuzzer.
CLANG     ?= clang
FUZZ_FLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=undefined
FUZZ_SECONDS ?= 300
CHECK_FUZZ_SECONDS ?= 20

MODULE_DIRS := util fetch nlp nlp/encoder nlp/train nlp/eval store store/search pipeline serve
LIB_SRC   := $(sort $(foreach d,$(MODULE_DIRS),$(wildcard $(d)/*.c)))
CLI_SRC   := $(sort $(wildcard cli/*.c))
TEST_SRC  := $(sort $(wildcard tests/test-*.c))
FUZZ_SRC  := $(sort $(wildcard tests/fuzz/fuzz-*.c))
BENCH_SRC := $(sort $(wildcard bench/*.c))

# The build trees share the sources: build/rel (optimised), build/asan
# (gcc, ASan+UBSan), build/tsan, build/clang (clang, ASan+UBSan) and
# build/fuzz (clang, coverage for libFuzzer).
define objs
$(patsubst %.c,build/$(1)/%.o,$(2))
endef

REL_LIB  := build/rel/liblitmine.a
ASAN_LIB := build/asan/liblitmine.a
TEST_BINS := $(patsubst tests/%.c,build/asan/tests/%,$(TEST_SRC))
TEST_HEADERS := tests/lm_test.h tests/lm_test_store.h tests/lm_test_server.h tests/lm_test_alloc.h
# The tests/test-alloc*.c binaries (test-alloc, test-alloc-pipeline,
# test-alloc-vectors) make chosen allocations of litmine's own code fail:
# the linker sends the calls from their objects and liblitmine.a's to
# tests/lm_test_alloc.h (calls inside libxml2, SQLite, zlib and libcurl are
# not redirected).  No other binary gets these flags, so the library itself
# has no hook.  The names come from the sources, not a pattern such as
# test-alloc%: a pattern's % never matches nothing, so it would miss
# test-alloc itself.
ALLOC_WRAP := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,--wrap=strndup,--wrap=aligned_alloc
ALLOC_TESTS := $(patsubst tests/%.c,%,$(wildcard tests/test-alloc*.c))
$(foreach t,$(ALLOC_TESTS),build/asan/tests/$(t) build/clang/tests/$(t)): private TEST_LINK := $(ALLOC_WRAP)
# The threaded modules' tests also run under ThreadSanitizer.
TSAN_LIB := build/tsan/liblitmine.a
TSAN_TESTS := build/tsan/tests/test-engine build/tsan/tests/test-pubmed build/tsan/tests/test-embed-encoder \
              build/tsan/tests/test-vectors
BENCH_BINS := $(patsubst bench/%.c,build/rel/bench/%,$(BENCH_SRC))
CLANG_LIB := build/clang/liblitmine.a
CLANG_TESTS := $(patsubst tests/%.c,build/clang/tests/%,$(TEST_SRC))
FUZZ_LIB  := build/fuzz/liblitmine.a
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))

.PHONY: all check demo bench bench-scale train asan install uninstall clean deps test-bins fuzz
all: litmine

deps:
	@scripts/install-deps.sh

# Each tree's library: build/TREE/liblitmine.a from that tree's objects.
# Objects reached only through the pattern rule count as intermediate to
# make, which would delete them after each build and recompile whole trees
# on the next change; .SECONDARY keeps them.
.SECONDARY:
.SECONDEXPANSION:
build/%/liblitmine.a: $$(call objs,$$*,$$(LIB_SRC))
	@rm -f $@
	ar rcs $@ $^

build/rel/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

build/asan/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -O1 -MMD -MP -c $< -o $@

build/tsan/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(TSAN_FLAGS) -O1 -MMD -MP -c $< -o $@

build/clang/%.o: %.c
	@mkdir -p $(@D)
	$(CLANG) $(ALL_CFLAGS) $(SAN_FLAGS) -O1 -MMD -MP -c $< -o $@

build/fuzz/%.o: %.c
	@mkdir -p $(@D)
	$(CLANG) $(ALL_CFLAGS) $(FUZZ_FLAGS) -O1 -MMD -MP -c $< -o $@

build/tsan/tests/%: tests/%.c $(TSAN_LIB) $(TEST_HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(TSAN_FLAGS) -O1 $< $(TSAN_LIB) $(LDFLAGS) $(ALL_LIBS) -o $@

litmine: $(call objs,rel,$(CLI_SRC)) $(REL_LIB)
	$(CC) $(ALL_CFLAGS) $^ $(LDFLAGS) $(ALL_LIBS) -o $@

litmine-asan: $(call objs,asan,$(CLI_SRC)) $(ASAN_LIB)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $^ $(LDFLAGS) $(ALL_LIBS) -o $@

asan: litmine-asan

litmine-clang: $(call objs,clang,$(CLI_SRC)) $(CLANG_LIB)
	$(CLANG) $(ALL_CFLAGS) $(SAN_FLAGS) $^ $(LDFLAGS) $(ALL_LIBS) -o $@

build/clang/tests/%: tests/%.c $(CLANG_LIB) $(TEST_HEADERS)
	@mkdir -p $(@D)
	$(CLANG) $(ALL_CFLAGS) $(SAN_FLAGS) -O1 $< $(CLANG_LIB) $(LDFLAGS) $(TEST_LINK) $(ALL_LIBS) -o $@

# The harnesses find the committed models through LM_FUZZ_MODELS.
build/fuzz/fuzz-%: tests/fuzz/fuzz-%.c $(FUZZ_LIB)
	@mkdir -p $(@D)
	$(CLANG) $(ALL_CFLAGS) -DLM_FUZZ_MODELS='"$(CURDIR)/models"' \
	    -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer \
	    -fno-sanitize-recover=undefined -O1 $< $(FUZZ_LIB) $(LDFLAGS) $(ALL_LIBS) -o $@

build/asan/tests/%: tests/%.c $(ASAN_LIB) $(TEST_HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -O1 $< $(ASAN_LIB) $(LDFLAGS) $(TEST_LINK) $(ALL_LIBS) -o $@

build/rel/bench/%: bench/%.c $(REL_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $< $(REL_LIB) $(LDFLAGS) $(ALL_LIBS) -o $@

test-bins: $(TEST_BINS) $(TSAN_TESTS) $(CLANG_TESTS) $(FUZZ_BINS) litmine-asan litmine-clang litmine

# The suite runs against the sanitizer builds of both compilers: unit tests
# linked with ASan/UBSan by gcc and by clang (the pipeline engine's also
# with TSan), the CLI tests driving ./litmine-asan and ./litmine-clang, then
# every fuzzer for CHECK_FUZZ_SECONDS on its committed corpus.
JOBS := $(shell nproc 2>/dev/null || echo 2)

check: deps
	$(MAKE) -j$(JOBS) test-bins
	TSAN_OPTIONS=halt_on_error=1 LITMINE_BINS="./litmine-asan ./litmine-clang" \
	    FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS) FUZZ_BINS="$(FUZZ_BINS)" \
	    tests/run.sh $(TEST_BINS) $(TSAN_TESTS) $(CLANG_TESTS)

fuzz: deps
	$(MAKE) -j$(JOBS) $(FUZZ_BINS)
	for f in $(FUZZ_BINS); do tests/fuzz/run-one.sh $$f $(FUZZ_SECONDS) || exit 1; done

demo: deps
	$(MAKE) -j$(JOBS) litmine
	scripts/demo.sh ./litmine

bench: litmine $(BENCH_BINS)
	bench/run.sh

# Corpus scale (BENCH_ARTICLES, default 1,000,000): prints, asserts nothing.
bench-scale: litmine build/rel/bench/bench-search
	python3 bench/scale.py

train: litmine
	scripts/train.sh ./litmine

install: litmine
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/litmine/models \
	    $(DESTDIR)/etc/litmine $(DESTDIR)$(PREFIX)/lib/systemd/system \
	    $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/lib/sysusers.d \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0755 litmine $(DESTDIR)$(PREFIX)/bin/litmine
	install -m 0644 docs/litmine.1 $(DESTDIR)$(PREFIX)/share/man/man1/litmine.1
	install -m 0644 scripts/litmine.bash-completion \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions/litmine
	install -m 0644 etc/litmine.conf $(DESTDIR)/etc/litmine/litmine.conf.example
	test -e $(DESTDIR)/etc/litmine/api_key || install -m 0600 /dev/null $(DESTDIR)/etc/litmine/api_key
	install -m 0644 systemd/litmine.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/litmine.conf
	for f in systemd/*.service systemd/*.timer; do \
	    sed 's|@BINDIR@|$(PREFIX)/bin|g' $$f > $(DESTDIR)$(PREFIX)/lib/systemd/system/$$(basename $$f); \
	    chmod 0644 $(DESTDIR)$(PREFIX)/lib/systemd/system/$$(basename $$f); done
	if [ -z "$(DESTDIR)" ] && command -v systemd-sysusers >/dev/null 2>&1; then \
	    systemd-sysusers $(PREFIX)/lib/sysusers.d/litmine.conf; fi
	if ls models/*.bin >/dev/null 2>&1; then \
	    install -m 0644 models/*.bin models/MANIFEST $(DESTDIR)$(PREFIX)/share/litmine/models/; fi

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/litmine $(DESTDIR)/etc/litmine/litmine.conf.example
	rm -f $(DESTDIR)$(PREFIX)/share/man/man1/litmine.1 \
	      $(DESTDIR)$(PREFIX)/share/bash-completion/completions/litmine \
	      $(DESTDIR)$(PREFIX)/lib/sysusers.d/litmine.conf
	rm -f $(DESTDIR)$(PREFIX)/lib/systemd/system/litmine.service \
	      $(DESTDIR)$(PREFIX)/lib/systemd/system/litmine.timer \
	      $(DESTDIR)$(PREFIX)/lib/systemd/system/litmine-serve.service
	rm -rf $(DESTDIR)$(PREFIX)/share/litmine

clean:
	rm -rf build litmine litmine-asan litmine-clang

-include $(shell find build -name '*.d' 2>/dev/null)
