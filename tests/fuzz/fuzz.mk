# Fuzzing (issue 8). Included by the top-level Makefile:
#     include tests/fuzz/fuzz.mk
# It uses that Makefile's PKG_CFLAGS, LDLIBS and LIB_SRCS.
#
#   make fuzz                    each harness for FUZZ_SECONDS (default 300)
#   make fuzz FUZZ_SECONDS=1800  the issue's 30 minutes each
#   make fuzz-smoke              each harness for 20 s (CI; make check)
#   make fuzz-build              only build build-fuzz/fuzz_*
#
# libFuzzer with ASan+UBSan (clang). Seeds are generated at run time by
# make_seeds.py (the tests' own messages, the peer corpus in
# ../shared/corpus/peer when present); the growing corpus and any crash
# artifacts stay in build-fuzz/, with one line per run in
# build-fuzz/fuzz-log.tsv.

FUZZ_O        ?= build-fuzz
FUZZ_CC       ?= clang
FUZZ_SECONDS  ?= 300
FUZZ_SMOKE_SECONDS ?= 20
FUZZERS       := mime extract config roster wordcount sanitize
FUZZ_SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer \
		 -fno-sanitize-recover=all
FUZZ_CFLAGS   := -O1 -g -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
		 -Wno-format-nonliteral -Iinclude $(PKG_CFLAGS) $(FUZZ_SAN)
FUZZ_OBJS     := $(LIB_SRCS:daemon/%.c=$(FUZZ_O)/obj/%.o)
FUZZ_BINS     := $(FUZZERS:%=$(FUZZ_O)/fuzz_%)

.PHONY: fuzz fuzz-smoke fuzz-build fuzz-seeds

$(FUZZ_O)/obj/%.o: daemon/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_O)/libintaked-fuzz.a: $(FUZZ_OBJS)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_O)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_O)/libintaked-fuzz.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
		$(FUZZ_O)/libintaked-fuzz.a $(LDLIBS)

$(FUZZ_O)/obj:
	mkdir -p $@

fuzz-build: $(FUZZ_BINS)

fuzz-seeds:
	python3 tests/fuzz/make_seeds.py $(FUZZ_O)/seeds

fuzz: fuzz-build fuzz-seeds
	sh tests/fuzz/run.sh $(FUZZ_O) $(FUZZ_SECONDS) $(FUZZERS)

fuzz-smoke: fuzz-build fuzz-seeds
	sh tests/fuzz/run.sh $(FUZZ_O) $(FUZZ_SMOKE_SECONDS) $(FUZZERS)
