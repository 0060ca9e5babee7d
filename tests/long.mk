# The long reliability runs (issue 8). Included by the top-level Makefile
# after tests/fuzz/fuzz.mk:
#     include tests/long.mk
#
#   make valgrind        the spine scenario with every intaked under valgrind
#   make reliability-long   crash test with 500 messages and 24 random kills
#                        (+ 3 kills at each fault point), the repeating-
#                        senders crash test (65 senders, 300 messages, 20
#                        kills, each sender's mailbox checked), a 1000-message
#                        flood, the whole integration suite under valgrind,
#                        and each fuzzer for FUZZ_SECONDS (default 300)
#   make check-long      make check, then reliability-long: everything
#
# Figures go to RELIABILITY.md by hand; the fuzzers' runs accumulate in
# build-fuzz/fuzz-log.tsv.

.PHONY: valgrind reliability-long check-long

valgrind: all tools
	sh tests/integration/valgrind_smoke.sh $(O)

reliability-long: all tools
	INTAKED_LONG=1 python3 tests/integration/run.py --build $(O) -k test_crash
	INTAKED_LONG=1 python3 tests/integration/run.py --build $(O) -k test_flooding
	VALGRIND_TESTS=test_ sh tests/integration/valgrind_smoke.sh $(O)
	$(MAKE) fuzz

check-long: check
	$(MAKE) reliability-long
