# tests/fuzz/fuzz.mk - fuzz targets; included from the top Makefile, which
# provides CC, ALL_CFLAGS, SAN, LDLIBS, LIB_SRC and GEN.
#
#   make fuzz-replay   each tests/fuzz/fuzz_<name>.c + replay.c under gcc with
#                      ASan+UBSan (the asan flavour's libfw.a), run over its
#                      seeds in tests/fuzz/corpus/<name>/ (part of `make check`)
#   make fuzz          each target with clang -fsanitize=fuzzer,address,undefined
#                      for FUZZ_SECONDS (default 30) seconds; fails on any
#                      crash, leak or UBSan report.  New inputs go to
#                      build/fuzz/corpus/<name>/ (the seeds stay untouched),
#                      crashers to build/fuzz/crash-<name>-*: minimise one with
#                      `build/fuzz/fuzz_<name> -minimize_crash=1 FILE` and commit
#                      it to tests/fuzz/corpus/<name>/.

FUZZ_SECONDS ?= 30
FUZZ_CC      ?= clang
FUZZ_SRC     := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES   := $(notdir $(FUZZ_SRC:.c=))
FUZZ_SAN     := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_WARN    :=

.PHONY: fuzz-replay fuzz

build/asan/fuzz/%: tests/fuzz/%.c tests/fuzz/replay.c build/asan/libfw.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN) -O1 -o $@ $< tests/fuzz/replay.c build/asan/libfw.a $(LDLIBS)

fuzz-replay: $(FUZZ_NAMES:%=build/asan/fuzz/%)
	@for f in $(FUZZ_NAMES); do \
	    printf '%s: ' "$$f"; \
	    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	        build/asan/fuzz/$$f tests/fuzz/corpus/$${f#fuzz_}/ || exit 1; \
	done

# The library is compiled straight into each fuzzer so all of it carries
# the fuzzer's coverage instrumentation.
build/fuzz/%: tests/fuzz/%.c $(LIB_SRC) $(GEN) $(wildcard include/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_WARN) $(FUZZ_SAN) -O1 -o $@ $< $(LIB_SRC) $(GEN) $(LDLIBS)

fuzz: $(FUZZ_NAMES:%=build/fuzz/%)
	@for f in $(FUZZ_NAMES); do \
	    n=$${f#fuzz_}; mkdir -p build/fuzz/corpus/$$n; \
	    echo "fuzz: $$f for $(FUZZ_SECONDS) s"; \
	    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	        build/fuzz/$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	        -artifact_prefix=build/fuzz/crash-$$n- \
	        build/fuzz/corpus/$$n tests/fuzz/corpus/$$n/ || exit 1; \
	done
