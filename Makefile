# litmine — GNU make build.  No configure step: the Debian packages listed in
# scripts/install-deps.sh provide every library, found through pkg-config.
#
#   make            build ./litmine (optimised)
#   make check      install missing packages, build with ASan+UBSan, run all tests
#   make demo       install missing packages, build, run the main job on sample data
#   make bench      benchmarks (figures printed, nothing asserted)
#   make train      retrain the committed models from ../shared/data
#   make asan       build ./litmine-asan with -fsanitize=address,undefined
#   make install    PREFIX=/usr/local DESTDIR= : binary, example config, units

VERSION   := 0.1.0
PREFIX    ?= /usr/local
DESTDIR   ?=
CC        ?= cc
PKGS      := libcurl libxml-2.0 sqlite3 openblas zlib libxxhash

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 -Wvla
CSTD      := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
OPT       ?= -O2 -g
CFLAGS    ?=
LDFLAGS   ?=
ALL_CFLAGS = $(CSTD) $(WARN) $(OPT) $(PKG_CFLAGS) -DLM_VERSION='"$(VERSION)"' \
             -DLM_MODELS_DIR='"$(PREFIX)/share/litmine/models"' $(CFLAGS)
ALL_LIBS   = $(PKG_LIBS) -lpthread -lm

SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
TSAN_FLAGS := -fsanitize=thread -fno-omit-frame-pointer

MODULE_DIRS := util fetch nlp nlp/encoder store pipeline
LIB_SRC   := $(sort $(foreach d,$(MODULE_DIRS),$(wildcard $(d)/*.c)))
CLI_SRC   := $(sort $(wildcard cli/*.c))
TEST_SRC  := $(sort $(wildcard tests/test-*.c))
BENCH_SRC := $(sort $(wildcard bench/*.c))

# Two build trees share the sources: build/rel (optimised) and build/asan.
define objs
$(patsubst %.c,build/$(1)/%.o,$(2))
endef

REL_LIB  := build/rel/liblitmine.a
ASAN_LIB := build/asan/liblitmine.a
TEST_BINS := $(patsubst tests/%.c,build/asan/tests/%,$(TEST_SRC))
# The threaded modules' tests also run under ThreadSanitizer.
TSAN_LIB := build/tsan/liblitmine.a
TSAN_TESTS := build/tsan/tests/test-engine build/tsan/tests/test-pubmed
BENCH_BINS := $(patsubst bench/%.c,build/rel/bench/%,$(BENCH_SRC))

.PHONY: all check demo bench train asan install uninstall clean deps test-bins
all: litmine

deps:
	@scripts/install-deps.sh

build/rel/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

build/asan/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -O1 -MMD -MP -c $< -o $@

build/tsan/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(TSAN_FLAGS) -O1 -MMD -MP -c $< -o $@

$(TSAN_LIB): $(call objs,tsan,$(LIB_SRC))
	@rm -f $@
	ar rcs $@ $^

build/tsan/tests/%: tests/%.c $(TSAN_LIB) tests/lm_test.h tests/lm_test_store.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(TSAN_FLAGS) -O1 $< $(TSAN_LIB) $(LDFLAGS) $(ALL_LIBS) -o $@

$(REL_LIB): $(call objs,rel,$(LIB_SRC))
	@rm -f $@
	ar rcs $@ $^

$(ASAN_LIB): $(call objs,asan,$(LIB_SRC))
	@rm -f $@
	ar rcs $@ $^

litmine: $(call objs,rel,$(CLI_SRC)) $(REL_LIB)
	$(CC) $(ALL_CFLAGS) $^ $(LDFLAGS) $(ALL_LIBS) -o $@

litmine-asan: $(call objs,asan,$(CLI_SRC)) $(ASAN_LIB)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $^ $(LDFLAGS) $(ALL_LIBS) -o $@

asan: litmine-asan

build/asan/tests/%: tests/%.c $(ASAN_LIB) tests/lm_test.h tests/lm_test_store.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -O1 $< $(ASAN_LIB) $(LDFLAGS) $(ALL_LIBS) -o $@

build/rel/bench/%: bench/%.c $(REL_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $< $(REL_LIB) $(LDFLAGS) $(ALL_LIBS) -o $@

test-bins: $(TEST_BINS) $(TSAN_TESTS) litmine-asan litmine

# The suite runs against the sanitizer builds: unit tests are linked with
# ASan/UBSan (the pipeline engine's also with TSan), and the CLI tests drive
# ./litmine-asan.
JOBS := $(shell nproc 2>/dev/null || echo 2)

check: deps
	$(MAKE) -j$(JOBS) test-bins
	TSAN_OPTIONS=halt_on_error=1 LITMINE_BIN=./litmine-asan tests/run.sh $(TEST_BINS) $(TSAN_TESTS)

demo: deps
	$(MAKE) -j$(JOBS) litmine
	scripts/demo.sh ./litmine

bench: litmine $(BENCH_BINS)
	bench/run.sh

train: litmine
	scripts/train.sh ./litmine

install: litmine
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/litmine/models \
	    $(DESTDIR)/etc/litmine $(DESTDIR)$(PREFIX)/lib/systemd/system
	install -m 0755 litmine $(DESTDIR)$(PREFIX)/bin/litmine
	install -m 0644 etc/litmine.conf $(DESTDIR)/etc/litmine/litmine.conf.example
	for f in systemd/*; do \
	    sed 's|@BINDIR@|$(PREFIX)/bin|g' $$f > $(DESTDIR)$(PREFIX)/lib/systemd/system/$$(basename $$f); \
	    chmod 0644 $(DESTDIR)$(PREFIX)/lib/systemd/system/$$(basename $$f); done
	if ls models/*.bin >/dev/null 2>&1; then \
	    install -m 0644 models/*.bin $(DESTDIR)$(PREFIX)/share/litmine/models/; fi

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/litmine $(DESTDIR)/etc/litmine/litmine.conf.example
	rm -f $(DESTDIR)$(PREFIX)/lib/systemd/system/litmine.service \
	      $(DESTDIR)$(PREFIX)/lib/systemd/system/litmine.timer
	rm -rf $(DESTDIR)$(PREFIX)/share/litmine

clean:
	rm -rf build litmine litmine-asan

-include $(shell find build -name '*.d' 2>/dev/null)
