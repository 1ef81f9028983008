# mk/bench-proto.mk: the wire path's benchmark (envelope + codec), part of
# `make bench`.  BENCH_SECONDS is the time spent on each figure.
BENCH_SECONDS ?= 0.5

.PHONY: bench-proto
bench: bench-proto
bench-proto: $(B)/bench/bench_envelope
	$(B)/bench/bench_envelope $(BENCH_SECONDS)
