# The chaos harness: a loopback relay for partitions, and `make chaos`.
all: $(B)/relay
$(B)/relay: tests/chaos/relay.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -o $@ $<

RUNS ?= 20
.PHONY: chaos
chaos: all
	@B=$(B) RUNS=$(RUNS) SEED=$(SEED) sh tests/chaos/chaos.sh
