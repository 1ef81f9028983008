# sextant — build, test, install.  `make help` lists the targets.
#
# Sources are found by wildcard: a new .c file in a module directory is built
# and linked without touching this file.  Extra targets of one area live in
# mk/*.mk so that areas do not edit each other's rules.

CC      ?= cc
B       ?= build
PREFIX  ?= /usr/local
DESTDIR ?=
OPT     ?= -O2 -g
SAN     ?=

CFLAGS  += -std=c11 -D_GNU_SOURCE $(OPT) $(SAN) -Wall -Wextra \
	-Wno-unused-parameter -Wshadow -Wstrict-prototypes -Wformat=2 \
	-fno-strict-aliasing -MMD -MP -I.
LDFLAGS += $(SAN)
LDLIBS  += -lnng -lsodium -lcjson -linih -lsqlite3 -lcurl -lpthread -lm

COMMON_SRC    := $(wildcard common/*.c) $(wildcard proto/*.c)
PILOT_SRC     := $(filter-out pilot/main.c,$(wildcard pilot/*.c))
COMMANDER_SRC := $(filter-out commander/main.c,$(wildcard commander/*.c))
CLI_SRC       := $(filter-out cli/main.c,$(wildcard cli/*.c))
SIMNODE_SRC   := $(wildcard tests/simnode/*.c)
UNIT_SRC      := $(wildcard tests/unit/*_test.c)
BENCH_SRC     := $(wildcard tests/bench/*.c)

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

LIBCOMMON    := $(B)/libsxcommon.a
LIBPILOT     := $(B)/libsxpilot.a
LIBCOMMANDER := $(B)/libsxcommander.a
LIBCLI       := $(B)/libsxcli.a
LIBS         := $(LIBPILOT) $(LIBCOMMANDER) $(LIBCLI) $(LIBCOMMON)

PROGS := $(B)/sextant-pilot $(B)/sextant-commander $(B)/sextant $(B)/simnode
UNITS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
BENCHES := $(patsubst tests/bench/%.c,$(B)/bench/%,$(BENCH_SRC))

.PHONY: all test asan install clean demo help fmt fmt-check fuzz bench deps \
	units static
all: $(PROGS) $(B)/simnode-static $(UNITS) $(BENCHES)

help:
	@echo "make            build everything into $(B)/"
	@echo "make test       install missing packages, build, run every test"
	@echo "make demo       install missing packages, build, run a local fleet"
	@echo "make asan       run the tests under -fsanitize=address,undefined"
	@echo "make fuzz       run each libFuzzer target (FUZZ_SECONDS=60)"
	@echo "make bench      run the benchmarks and print their figures"
	@echo "make install    PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)"
	@echo "make fmt        clang-format every source file"

$(LIBCOMMON): $(call obj,$(COMMON_SRC))
$(LIBPILOT): $(call obj,$(PILOT_SRC))
$(LIBCOMMANDER): $(call obj,$(COMMANDER_SRC))
$(LIBCLI): $(call obj,$(CLI_SRC))
$(LIBS):
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(B)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

# The pilot links neither libcurl (loaded by dlopen for https only, see
# common/http_curl.h) nor sqlite3: its resident memory is the footprint
# goal of issue 3.  dlopen is in libc since glibc 2.34.
PILOT_LDLIBS := -lnng -lsodium -lcjson -linih -lpthread -lm
$(B)/sextant-pilot: $(call obj,pilot/main.c) $(LIBPILOT) $(LIBCOMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(PILOT_LDLIBS)
$(B)/sextant-commander: $(call obj,commander/main.c) $(LIBCOMMANDER) $(LIBCOMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/sextant: $(call obj,cli/main.c) $(LIBCLI) $(LIBCOMMON)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# simnode needs nothing but libc, so it also builds static for containers.
$(B)/simnode: $(call obj,$(SIMNODE_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ -lm
$(B)/simnode-static: $(SIMNODE_SRC)
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Wno-unused-parameter \
		-I. -static -o $@ $^ -lm

$(B)/tests/%: $(call obj,tests/unit/%.c) $(LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(LIBS) $(LDLIBS)
$(B)/bench/%: $(call obj,tests/bench/%.c) $(LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(LIBS) $(LDLIBS)

units: $(UNITS)

deps:
	@scripts/deps.sh

test: deps
	$(MAKE) all
	@B=$(B) tests/run.sh $(T)

asan:
	$(MAKE) B=build-asan OPT="-O1 -g" \
		SAN="-fsanitize=address,undefined -fno-omit-frame-pointer" test

demo: deps
	$(MAKE) all
	@B=$(B) scripts/demo.sh

install: $(PROGS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/sextant/examples
	install -m 0755 $(B)/sextant-pilot $(B)/sextant-commander $(B)/sextant \
		$(DESTDIR)$(PREFIX)/bin/
	install -m 0644 examples/*.ini $(DESTDIR)$(PREFIX)/share/sextant/examples/

fmt:
	clang-format -i $$(git ls-files '*.c' '*.h')
fmt-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(B) build-asan build-fuzz

-include mk/*.mk
-include $(shell find $(B) -name '*.d' 2>/dev/null)
