# The crash test (tests/crash/crashtest.py): kill -9 under load, restart on the same data
# directory, check durability, atomicity and exactly-once trail delivery. Included by the Makefile.
#   make crashtest                                        20 rounds, release binary
#   make crashtest ROUNDS=2 S3TRAIL_BIN=build/asan/s3trail   what `make check` runs
#   make crashtest CRASHTEST_ARGS='--seed 123 --keep'     replay a load / keep the data directory
#   CRASHTEST_ARGS=--stop-start-every=0                   no StopLogging+StartLogging flushes
# The test prints one line per round and `crashtest: N rounds, L lost, D duplicated` last; it
# exits non-zero on any loss, duplicate, torn object, failed restart or sanitizer report.
S3TRAIL_BIN ?= ./s3trail
ROUNDS ?= 20
CRASHTEST_ARGS ?=

crashtest: $(S3TRAIL_BIN)
	python3 tests/crash/crashtest.py --rounds $(ROUNDS) --bin $(S3TRAIL_BIN) $(CRASHTEST_ARGS)
