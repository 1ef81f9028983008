# mk/bench-pilot.mk: the pilot's own cost (issue 3): resident memory and
# CPU of sextant-pilot at a 1 s interval against simnodes, part of
# `make bench`.  Tuning: BENCH_PILOT_SECONDS (60), see
# tests/bench/bench_pilot.sh.

.PHONY: bench-pilot
bench: bench-pilot
bench-pilot: $(B)/sextant-pilot $(B)/simnode
	@B=$(B) sh tests/bench/bench_pilot.sh
