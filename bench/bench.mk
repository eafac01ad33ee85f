# Benchmarks — included by the top-level Makefile (`-include bench/bench.mk`); uses its CC, CSTD,
# WARN and OPT.
#
#   make bench            full run (about 16 minutes on 2 cores): bench/results.json and the
#                         generated part of docs/benchmarks.md
#   make bench QUICK=1    short run (under 5 minutes), fewer seconds and keys per workload
#
# bench/run.py starts every server itself (s3trail, s3rver from npm into build/bench/npm, moto,
# the bare MHD ceiling) on 127.0.0.1 and drives them all with build/bench/loadgen.

BENCH_DIR := build/bench

# Extra binaries `make bench` builds before bench/run.py starts; run.py runs each one it knows
# that exists and skips the others.
BENCH_EXTRA :=

# ---- audit pipeline micro-benchmark (bench/pipeline.c) --------------------------------------
# Its rule (build/rel/bench/pipeline, linking the server's objects) is in the top-level Makefile;
# run.py runs it and reads one JSON object per line from its stdout.
BENCH_EXTRA += build/rel/bench/pipeline
# ---------------------------------------------------------------------------------------------

$(BENCH_DIR)/loadgen: bench/loadgen.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT) -pthread $(shell pkg-config --cflags libcrypto) -o $@ $< \
		$(shell pkg-config --libs libcrypto)

$(BENCH_DIR)/bare: bench/bare.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT) -pthread $(shell pkg-config --cflags libmicrohttpd) -o $@ $< \
		$(shell pkg-config --libs libmicrohttpd)

bench:
	@scripts/install-deps bench
	@$(MAKE) --no-print-directory s3trail $(BENCH_DIR)/loadgen $(BENCH_DIR)/bare $(BENCH_EXTRA)
	QUICK=$(QUICK) python3 bench/run.py
