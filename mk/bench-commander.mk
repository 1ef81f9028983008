# mk/bench-commander.mk: the commander under N simulated pilots (loadgen),
# part of `make bench`.  Tuning: BENCH_PILOTS, BENCH_SECONDS,
# BENCH_OUTSTANDING, BENCH_RATE_SECONDS, BENCH_INGEST=nng for the nng
# reference (see tests/bench/bench_commander.sh).

.PHONY: bench-commander
bench: bench-commander
bench-commander: $(B)/bench/loadgen $(B)/sextant-commander $(B)/sextant
	@B=$(B) sh tests/bench/bench_commander.sh
