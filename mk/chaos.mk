# The chaos harness (FAILOVER.md "What the tests must show"): a loopback
# relay for partitions, the journal judge, and `make chaos RUNS=N [SEED=S]`.
CHAOS_CFLAGS = -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Wshadow \
	-Wstrict-prototypes -Wformat=2

all: $(B)/relay $(B)/journal_check
$(B)/relay: tests/chaos/relay.c
	@mkdir -p $(@D)
	$(CC) $(CHAOS_CFLAGS) -o $@ $<
$(B)/journal_check: tests/chaos/journal_check.c
	@mkdir -p $(@D)
	$(CC) $(CHAOS_CFLAGS) -o $@ $<

RUNS ?= 20
.PHONY: chaos
chaos: all
	@B=$(B) RUNS=$(RUNS) SEED=$(SEED) sh tests/chaos/chaos.sh
