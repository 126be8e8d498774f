# AlphaRec tools - build, test, bench, install.
#   make                 build the six ar-* tools into build/bin
#   make test            build and run the whole test suite (ends with "N passed, N failed")
#   make test SANITIZE=1 the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   make bench           speed figures (epoch seconds, GFLOP/s, peak memory)
#   make demo            the whole pipeline on the committed Beauty sample
#   make install PREFIX=/usr/local
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:

CC      ?= cc
PREFIX  ?= /usr/local
SANITIZE ?= 0
OPT     ?= -O2
DEPS_PKGS := zlib1g-dev libcjson-dev libopenblas-dev
TEST_PKGS := python3-numpy python3-scipy

ifeq ($(SANITIZE),1)
BUILD   ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
OPT     := -O1 -g
else
BUILD   ?= build
SANFLAGS :=
endif

CPPFLAGS += -Ilib -I/usr/include/cjson
CFLAGS  += -std=c11 $(OPT) -march=x86-64-v2 -Wall -Wextra -Werror -Wno-format-truncation -fopenmp $(SANFLAGS) -D_GNU_SOURCE
LDFLAGS += -fopenmp $(SANFLAGS)
LDLIBS  += -lcjson -lopenblas -lz -lm -lpthread

TOOLS    := ar-split ar-embed-import ar-graph ar-train ar-rank ar-metrics
LIB_SRC  := $(sort $(wildcard lib/*.c))
LIB_OBJ  := $(LIB_SRC:lib/%.c=$(BUILD)/obj/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(sort $(wildcard tests/bench/bench_*.c))
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/tests/%)
BINS     := $(TOOLS:%=$(BUILD)/bin/%)

.PHONY: all deps test-deps test bench demo install clean
all: $(BINS)

# Dependencies: install the -dev packages when root on Debian/Ubuntu, else say how.
$(BUILD)/.deps:
	@mkdir -p $(BUILD)
	@if ! printf '#include <zlib.h>\n#include <cJSON.h>\n#include <cblas.h>\n' | $(CC) $(CPPFLAGS) -E -x c - >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing $(DEPS_PKGS)" >&2; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEPS_PKGS) >&2; \
	  else \
	    echo "missing build dependencies; install them with: sudo apt-get install $(DEPS_PKGS)" >&2; exit 1; \
	  fi; \
	fi
	@touch $@
deps: $(BUILD)/.deps

test-deps:
	@if ! /usr/bin/python3 -c 'import numpy, scipy' >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing $(TEST_PKGS)" >&2; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(TEST_PKGS) >&2 || true; \
	fi

$(BUILD)/obj/%.o: lib/%.c $(wildcard lib/*.h) $(BUILD)/.deps
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/libar.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/bin/%: tools/%.c $(BUILD)/libar.a $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(BUILD)/libar.a $(LDFLAGS) $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/t.h $(BUILD)/libar.a $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) -o $@ $< $(BUILD)/libar.a $(LDFLAGS) $(LDLIBS)

$(BUILD)/tests/bench_%: tests/bench/bench_%.c $(BUILD)/libar.a $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(BUILD)/libar.a $(LDFLAGS) $(LDLIBS)

test: all $(UNIT_BIN) test-deps
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) tests/run.sh

bench: all $(BENCH_BIN)
	@BUILD=$(BUILD) tests/bench.sh

demo: all
	$(MAKE) -C pipelines demo BIN=$(abspath $(BUILD)/bin)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin/

clean:
	rm -rf build build-san
