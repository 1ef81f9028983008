# mk/fuzz.mk: fuzz targets.  Each tests/fuzz/fuzz_NAME.c defines
# LLVMFuzzerTestOneInput; seeds live in tests/fuzz/seeds/NAME/ and an
# optional libFuzzer dictionary in tests/fuzz/NAME.dict.  Two builds:
#
#  - $(B)/tests/fuzz_NAME: the target + tests/fuzz/driver.c, built with the
#    normal flags and run by tests/run.sh (so by `make test` and `make
#    asan`): every seed, then FUZZ_RUNS deterministic mutations.
#  - `make fuzz`: each target under libFuzzer with clang and
#    ASan/UBSan, for FUZZ_SECONDS each; objects go to build-fuzz/.
#    `make fuzz FUZZ=codec` runs one target.  New corpus entries are kept in
#    build-fuzz/corpus/NAME; a crash leaves crash-* in build-fuzz/.

FUZZ_SRC     := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_ALL     := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRC))
FUZZ         ?= $(FUZZ_ALL)
FUZZ_SECONDS ?= 60
FUZZ_B       ?= build-fuzz
FUZZ_CC      ?= clang
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS  := -std=c11 -D_GNU_SOURCE -O1 -g -fno-omit-frame-pointer \
	-I. -MMD -MP $(FUZZ_SAN) -fsanitize=fuzzer-no-link
# Every library source: an archive lets each target pull only what it uses.
FUZZ_LIB_SRC := $(COMMON_SRC) $(PILOT_SRC) $(COMMANDER_SRC) $(CLI_SRC)

FUZZ_DRIVERS := $(patsubst tests/fuzz/%.c,$(B)/tests/%,$(FUZZ_SRC))

all: $(FUZZ_DRIVERS)

$(B)/tests/fuzz_%: $(call obj,tests/fuzz/fuzz_%.c) \
		$(call obj,tests/fuzz/driver.c) $(LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIBS) $(LDLIBS)

ifneq ($(B),$(FUZZ_B))
$(FUZZ_B)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_B)/libsxfuzz.a: $(patsubst %.c,$(FUZZ_B)/obj/%.o,$(FUZZ_LIB_SRC))
	rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_B)/fuzz_%: $(FUZZ_B)/obj/tests/fuzz/fuzz_%.o $(FUZZ_B)/libsxfuzz.a
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

.PHONY: fuzz fuzz-build
fuzz-build: $(patsubst %,$(FUZZ_B)/fuzz_%,$(FUZZ))

fuzz: fuzz-build
	@set -e; for t in $(FUZZ); do \
		mkdir -p $(FUZZ_B)/corpus/$$t; \
		dict=; [ -f tests/fuzz/$$t.dict ] && \
			dict=-dict=tests/fuzz/$$t.dict; \
		echo "== fuzz_$$t: $(FUZZ_SECONDS)s"; \
		(cd $(FUZZ_B) && ./fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
			-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
			$${dict:+-dict=../$${dict#-dict=}} \
			corpus/$$t ../tests/fuzz/seeds/$$t); \
	done

ifneq ($(filter fuzz fuzz-build,$(MAKECMDGOALS)),)
-include $(shell find $(FUZZ_B) -name '*.d' 2>/dev/null)
endif
endif

# keep the objects of pattern-built binaries: no relinking from scratch
.PRECIOUS: $(B)/obj/tests/fuzz/%.o $(FUZZ_B)/obj/%.o
