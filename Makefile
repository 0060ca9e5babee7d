# intaked — build, test, demo, install. See README.md.
#   make            build build/intaked and build/intakectl
#   make check      unit + integration tests, then again under ASan+UBSan
#   make demo       install deps, start loopback servers, show the product
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/intaked
LOCALEDIR  ?= $(PREFIX)/share/locale
UNITDIR    ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
SYSCONFDIR ?= /etc
DESTDIR    ?=

CC   ?= cc
O    ?= build
SAN  ?=
PKGS := libcurl jansson openssl inih gmime-3.0 libxml-2.0 libzip libsystemd libidn2 xlsxwriter libexttextcat cairo pangocairo fontconfig libqpdf

PKG_CONFIG ?= pkg-config
# What installs the Debian packages; demo and check run it first, then a
# fresh make reads the library flags (on a new machine there is no -dev
# package, nor pkg-config, until it has run).
INSTALL_DEPS ?= sh contrib/install-deps.sh

# System headers of the libraries come in as -isystem: their warnings are
# not ours to fix, ours are errors.
PKG_CFLAGS := $(patsubst -I%,-isystem %,$(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null))
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

# OPT and SAN are ours (check-asan sets them); CFLAGS/LDFLAGS stay the
# user's to add to.
OPT     ?= -O2 -g
ALL_CFLAGS  = $(OPT) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wformat=2 \
	      -Wno-format-nonliteral -Iinclude $(PKG_CFLAGS) $(SAN) $(CFLAGS)
ALL_LDFLAGS = $(SAN) $(LDFLAGS)
# libetpan's pkg-config adds a no-PIE specs file: link it plainly.
LDLIBS  := -letpan $(PKG_LIBS) -lunistring

# daemon/ is in folders by layer (daemon/LAYERS, README "Map of the code");
# a folder's private headers sit beside its sources.
MAINS     := daemon/run/main.c daemon/ctl/intakectl.c
LIB_SRCS  := $(filter-out $(MAINS),$(wildcard daemon/*/*.c))
LIB_OBJS  := $(LIB_SRCS:daemon/%.c=$(O)/obj/%.o)
LIB       := $(O)/libintaked.a
HEADERS   := $(wildcard include/intaked/*.h daemon/*/*.h)
BINS      := $(O)/intaked $(O)/intakectl
# tests/unit/ mirrors daemon/: a test sees its folder's private headers.
UNIT_SRCS := $(wildcard tests/unit/*/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(O)/tests/%)
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOL_BINS := $(TOOL_SRCS:tests/tools/%.c=$(O)/tools/%)
# The French and Spanish texts: po/LANG.po, compiled into one text domain
# per language under the locale name C (include/intaked/text.h says why).
LINGUAS   := fr es
MO_DIR    := $(O)/locale/C/LC_MESSAGES
MO_FILES  := $(LINGUAS:%=$(MO_DIR)/intaked-%.mo)
TEXT_SRCS := daemon/mail/template.c daemon/mail/template_hidden.c daemon/analyze/language.c \
	     daemon/ctl/publish_labels.c
ASAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

.PHONY: all tools layers check check-all unit integration install-check anywhere-check check-asan \
	demo demo-stop deps install clean bench pkgs pot po-check

all: $(BINS) $(MO_FILES)

$(O)/obj/%.o: daemon/%.c $(HEADERS) | pkgs
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# One clear line instead of a compiler's "No such file" on a machine that
# lacks the libraries.
pkgs:
	@$(PKG_CONFIG) --exists $(PKGS) 2>/dev/null || { \
	  echo "make: the libraries are not installed ($(PKGS)): run 'make deps' as root," \
	       "or 'make demo' / 'make check', which do it first" >&2; exit 1; }

$(LIB): $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(O)/intaked: $(O)/obj/run/main.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(O)/intakectl: $(O)/obj/ctl/intakectl.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

# The installed catalogues' directory, the last place text.c looks;
# text.o is rebuilt when it changes (make install PREFIX=/usr after make).
$(O)/obj/lib/text.o: ALL_CFLAGS += -DINTAKED_LOCALEDIR='"$(LOCALEDIR)"'
$(O)/obj/lib/text.o: $(O)/localedir
$(O)/localedir: FORCE
	@mkdir -p $(@D)
	@echo '$(LOCALEDIR)' | cmp -s - $@ || echo '$(LOCALEDIR)' >$@
FORCE:

# msgfmt is in the Debian package gettext (install-deps.sh build).
$(MO_DIR)/intaked-%.mo: po/%.po
	@mkdir -p $(@D)
	msgfmt --check -o $@ $<

# After editing an English text: the template and the catalogues follow
# (msgmerge marks changed texts fuzzy for the translators).
pot:
	xgettext --from-code=UTF-8 --keyword=N_ --keyword=NN_:1,2 --keyword=NC_:1c,2 --add-comments=TRANSLATORS: \
		--package-name=intaked --add-location=file -o po/intaked.pot $(TEXT_SRCS)
	@set -e; for l in $(LINGUAS); do msgmerge --quiet --update --backup=none po/$$l.po po/intaked.pot; done

# Every English text has its translation in each catalogue, none fuzzy.
po-check:
	@set -e; t=$$(mktemp); \
	xgettext --from-code=UTF-8 --keyword=N_ --keyword=NN_:1,2 --keyword=NC_:1c,2 --no-location -o $$t $(TEXT_SRCS); \
	for l in $(LINGUAS); do msgcmp po/$$l.po $$t; \
	  ! grep -q '^#, fuzzy' po/$$l.po || { echo "po/$$l.po: fuzzy entries" >&2; exit 1; }; done; \
	rm -f $$t; echo "po-check: $(LINGUAS) complete"

# A unit test links its own source and whatever of the library it uses;
# it finds the catalogues in $(O)/locale (text.c).
$(O)/tests/%: tests/unit/%.c $(LIB) tests/unit/*.h | $(MO_FILES)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Idaemon/$(*D) -Itests/unit $(ALL_LDFLAGS) -o $@ $< $(LIB) $(LDLIBS) -lcmocka

# Test tools (analyze, imapcheck, extractcat) link like unit tests.
$(O)/tools/%: tests/tools/%.c $(LIB) | $(O)/tools
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(O)/tools:
	mkdir -p $@

unit: $(UNIT_BINS) $(MO_FILES)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

tools: $(TOOL_BINS)

integration: all tools $(MO_FILES)
	python3 tests/integration/run.py --build $(O)

# The packages first, then a fresh make that reads their flags.
check:
	$(INSTALL_DEPS)
	$(MAKE) check-all

check-all: layers po-check unit integration install-check anywhere-check check-asan fuzz-smoke

# Includes go down daemon/LAYERS only; the check's own test breaks a copy of
# the tree on purpose and expects it to fail.
layers:
	python3 tests/layers/layers.py .
	python3 tests/layers/test_layers.py

# make install into a scratch DESTDIR, run the installed binary on the
# installed sample config, lint the man pages, score the unit's hardening.
install-check: all
	sh tests/install/check_install.sh

# A clone with nothing beside it: tests that need outside data say SKIP.
anywhere-check: all tools
	sh tests/install/check_anywhere.sh $(O)

# The same suites again under AddressSanitizer and UBSan, in build-asan/.
check-asan:
	$(MAKE) O=build-asan SAN="$(ASAN)" OPT="-O1 -g" unit integration

deps:
	$(INSTALL_DEPS)

demo:
	$(INSTALL_DEPS)
	$(MAKE) all tools
	sh contrib/demo.sh $(O)

# Stop the servers make demo left running (its directory: DEMO_DIR, else $(O)/demo).
demo-stop:
	DEMO_DIR="$(DEMO_DIR)" sh contrib/demo.sh stop $(O)

bench:
	$(INSTALL_DEPS) build test bench
	$(MAKE) all tools
	sh tests/bench/run.sh $(O)

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR)
	install -m 755 $(O)/intaked $(DESTDIR)$(SBINDIR)/intaked
	install -m 755 $(O)/intakectl $(DESTDIR)$(BINDIR)/intakectl
	install -d $(DESTDIR)$(DOCDIR)/examples
	cp -R contrib/. $(DESTDIR)$(DOCDIR)/examples/
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR)
	for unit in intaked.service intaked@.service; do \
		sed 's|/usr/sbin/intaked|$(SBINDIR)/intaked|g' systemd/$$unit \
			>$(DESTDIR)$(UNITDIR)/$$unit && chmod 644 $(DESTDIR)$(UNITDIR)/$$unit || exit 1; \
	done
	install -m 644 systemd/intaked.sysusers $(DESTDIR)$(SYSUSERSDIR)/intaked.conf
	install -d $(DESTDIR)$(LOCALEDIR)/C/LC_MESSAGES
	install -m 644 $(MO_FILES) $(DESTDIR)$(LOCALEDIR)/C/LC_MESSAGES/
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	$(if $(wildcard man/*.1),install -m 644 man/*.1 $(DESTDIR)$(MANDIR)/man1/)
	$(if $(wildcard man/*.5),install -m 644 man/*.5 $(DESTDIR)$(MANDIR)/man5/)
	$(if $(wildcard man/*.8),install -m 644 man/*.8 $(DESTDIR)$(MANDIR)/man8/)

clean:
	rm -rf build build-asan build-fuzz

include tests/fuzz/fuzz.mk
include tests/long.mk

# Flags for building one module in isolation: cc $(make -s print-cflags) ...
print-cflags:
	@echo $(ALL_CFLAGS)
print-ldlibs:
	@echo $(LDLIBS)
