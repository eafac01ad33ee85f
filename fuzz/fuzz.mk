# fuzz.mk — clang libFuzzer targets for every parser (what they cover: docs/reliability.md).
# Included by the top-level Makefile; uses none of its variables (CC is gcc there).
#
#   make fuzz-build                      builds build/fuzz/<target> for every target
#   make fuzz [FUZZ_SECONDS=60]          builds, then runs each target in turn for FUZZ_SECONDS
#                                        on one core; stops with failure at the first crash
#   make fuzz FUZZ_TARGETS="xml uri"     only those
#   make fuzz FUZZ_FLAGS=-use_value_profile=1   extra libFuzzer flags
#
# Each target is fuzz/fuzz_<t>.c + fuzz/harness.c + the library (src/ without main.c), all
# compiled by clang with -fsanitize=fuzzer-no-link,address,undefined into build/fuzz/obj/. The
# targets that reach static parsers link a shim (fuzz/shim_<file>.c, see fuzz/shims.h) in place
# of that file's object. Runs work on a scratch corpus build/fuzz/corpus/<t>/ (seeded from the
# committed fuzz/corpus/<t>/, which is never written) and leave crash inputs in
# build/fuzz/artifacts/<t>/, logs in build/fuzz/logs/ and temporary stores in build/fuzz/tmp/.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   ?=
FUZZ_TARGETS ?= sigv4 sigv2 chunked uri route s3args xml ctjson policy iampol

FUZZ_PKGS    := libmicrohttpd sqlite3 libcrypto zlib libxml-2.0 jansson
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                -fno-omit-frame-pointer
FUZZ_CFLAGS   = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-missing-field-initializers \
                -Isrc -Ifuzz $(shell pkg-config --cflags $(FUZZ_PKGS) 2>/dev/null) -pthread \
                -O1 -g -MMD -MP $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_LIBS     = $(shell pkg-config --libs $(FUZZ_PKGS) 2>/dev/null)

FUZZ_LIB_SRCS := $(filter-out src/main.c,$(sort $(shell find src -name '*.c')))
FUZZ_LIB_OBJS := $(FUZZ_LIB_SRCS:%.c=build/fuzz/obj/%.o)

# Shims: the library objects a target replaces, and what replaces them.
fuzz_replaced_xml    := src/s3/bucket.c src/s3/object.c src/s3/multipart.c
fuzz_shims_xml       := fuzz/shim_bucket.c fuzz/shim_object.c fuzz/shim_multipart.c
fuzz_replaced_ctjson := src/trail/trails.c
fuzz_shims_ctjson    := fuzz/shim_trails.c
fuzz_replaced_route  := src/http/route.c
fuzz_shims_route     := fuzz/shim_route.c
fuzz_replaced_s3args := src/s3/object.c src/s3/multipart.c
fuzz_shims_s3args    := fuzz/shim_object.c fuzz/shim_multipart.c

.PHONY: fuzz-build

fuzz-build: $(FUZZ_TARGETS:%=build/fuzz/%)

fuzz:
	@scripts/install-deps fuzz
	@$(MAKE) --no-print-directory fuzz-build
	@FUZZ_SECONDS='$(FUZZ_SECONDS)' FUZZ_FLAGS='$(FUZZ_FLAGS)' fuzz/run.sh $(FUZZ_TARGETS)

build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

define fuzz_target
build/fuzz/$(1): build/fuzz/obj/fuzz/fuzz_$(1).o build/fuzz/obj/fuzz/harness.o \
                 $(fuzz_shims_$(1):%.c=build/fuzz/obj/%.o) \
                 $(filter-out $(fuzz_replaced_$(1):%.c=build/fuzz/obj/%.o),$(FUZZ_LIB_OBJS))
	$$(FUZZ_CC) -fsanitize=fuzzer $$(FUZZ_SAN) -pthread -o $$@ $$^ $$(FUZZ_LIBS)
endef
$(foreach t,sigv4 sigv2 chunked uri route s3args xml ctjson policy iampol,$(eval $(call fuzz_target,$(t))))

-include $(shell find build/fuzz/obj -name '*.d' 2>/dev/null)
