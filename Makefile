# Floodwatch build.  `make` builds ./floodwatch; `make check` installs missing
# Debian packages, builds, and runs every test twice (plain -O2 and under
# ASan+UBSan); `make bench` prints throughput figures; `make run` / `make demo`
# are the README's first steps.  Sources are found by folder, so a new module
# is a new .c file plus its header in include/.

# The flavour rules below define explicit targets first; plain `make` must
# still build ./floodwatch (DESIGN.md contract 1).
.DEFAULT_GOAL := all

CC      ?= cc
PKGS    := inih libpcap sqlite3 jansson rdkafka libnetfilter_log libprotobuf-c libfstrm libpsl libcap libsystemd libmicrohttpd libcrypt
TESTPKG := check
WARN    := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wvla
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CPPFLAGS) $(CFLAGS) -Iinclude -Ibuild/gen \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm
TEST_LDLIBS = $(shell pkg-config --libs $(TESTPKG) 2>/dev/null)
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

LIB_SRC  := $(wildcard common/*.c collector/*.c detector/*.c sinks/*.c web/*.c)
CLI_SRC  := $(wildcard cli/*.c)
UNIT_SRC := $(wildcard tests/unit/check_*.c)
BENCH_SRC := $(wildcard tests/bench/bench_*.c)
SCHEMA   := $(sort $(wildcard schema/*.sql))
CONSOLE  := $(sort $(wildcard web/console/*))
GEN      := build/gen/fw_embedded.c

# Two flavours share the rules: build/o (release) and build/asan.
define flavour
$(1)_OBJ  := $$(LIB_SRC:%.c=build/$(1)/%.o) build/$(1)/gen/fw_embedded.o
$(1)_CLI  := $$(CLI_SRC:%.c=build/$(1)/%.o)
build/$(1)/%.o: %.c $$(wildcard include/*.h) $$(wildcard */*_int.h) $$(wildcard */*.pb-c.h)
	@mkdir -p $$(@D)
	@echo "CC $(1)/$$<"; $$(CC) $$(ALL_CFLAGS) $(2) -c $$< -o $$@
build/$(1)/gen/fw_embedded.o: $$(GEN)
	@mkdir -p $$(@D)
	@echo "CC $(1)/$$<"; $$(CC) $$(ALL_CFLAGS) $(2) -c $$< -o $$@
build/$(1)/libfw.a: $$($(1)_OBJ)
	@rm -f $$@
	ar rcs $$@ $$^
build/$(1)/floodwatch: $$($(1)_CLI) build/$(1)/libfw.a
	$$(CC) $(2) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
build/$(1)/tests/%: tests/unit/%.c $$(wildcard tests/unit/*.h) build/$(1)/libfw.a
	@mkdir -p $$(@D)
	@echo "LD $$@"; $$(CC) $$(ALL_CFLAGS) $(2) $$(shell pkg-config --cflags check) -o $$@ $$< build/$(1)/libfw.a $$(TEST_LDLIBS) $$(LDLIBS)
build/$(1)/tools/%: tests/tools/%.c build/$(1)/libfw.a
	@mkdir -p $$(@D)
	@echo "LD $$@"; $$(CC) $$(ALL_CFLAGS) $(2) -o $$@ $$< build/$(1)/libfw.a $$(LDLIBS)
endef

$(eval $(call flavour,o,))
$(eval $(call flavour,asan,$(SAN) -O1))

UNITS := $(notdir $(UNIT_SRC:.c=))

.PHONY: all deps check layering proto proto-check unit unit-asan integration bench run demo clean headers lint asan fuzz \
	man install uninstall
all: floodwatch

floodwatch: build/o/floodwatch
	cp $< $@.tmp && mv -f $@.tmp $@

# Schema SQL and the web console's files are compiled in, so the binary
# applies and serves them without files beside it.
$(GEN): $(SCHEMA) build-aux/embed.sh $(CONSOLE) build-aux/embed-web.sh web/console_int.h
	@mkdir -p $(@D)
	{ sh build-aux/embed.sh $(SCHEMA) && sh build-aux/embed-web.sh $(CONSOLE); } > $@.tmp && mv -f $@.tmp $@

# collector/dnstap.pb-c.[ch] are generated from collector/dnstap.proto by
# protoc-c (Debian protobuf-c-compiler) and committed, so a build needs only
# the libprotobuf-c runtime.  `make proto` regenerates them after the .proto
# changes; `make proto-check` (part of `make check`) fails when the
# committed copy is not what this protoc-c makes of the .proto.
PROTO_GEN := collector/dnstap.pb-c.c collector/dnstap.pb-c.h
proto:
	cd collector && protoc-c --c_out=. dnstap.proto
	@echo "regenerated $(PROTO_GEN) ($$(protoc-c --version | head -n 1))"

proto-check:
	@rm -rf build/proto-check && mkdir -p build/proto-check
	@cp collector/dnstap.proto build/proto-check/
	@cd build/proto-check && protoc-c --c_out=. dnstap.proto
	@for f in $(PROTO_GEN); do \
		cmp -s build/proto-check/$$(basename $$f) $$f || { \
		echo "proto-check: $$f is not what protoc-c makes of collector/dnstap.proto: run make proto"; \
		exit 1; }; done
	@echo "proto-check: $(PROTO_GEN) current"

deps:
	@sh deploy/install-deps.sh

# Man pages.  floodwatch.conf(5) is generated from the binary's key table
# (`floodwatch config-keys`) and the comments of deploy/floodwatch.conf, and
# fails to build if either has a key the other lacks.
MAN := build/man/floodwatch.8 build/man/floodwatch.conf.5
man: $(MAN)

build/man/floodwatch.8: deploy/man/floodwatch.8.in cli/cli_int.h
	@mkdir -p $(@D)
	sed "s/@VERSION@/$$(sed -n 's/^#define FW_VERSION "\(.*\)"/\1/p' cli/cli_int.h)/" $< > $@.tmp && mv -f $@.tmp $@

build/man/floodwatch.conf.5: deploy/man/floodwatch.conf.5.in deploy/man/gen-conf5.sh deploy/floodwatch.conf build/o/floodwatch
	@mkdir -p $(@D)
	sh deploy/man/gen-conf5.sh build/o/floodwatch deploy/floodwatch.conf $< > $@.tmp && mv -f $@.tmp $@

# `make install`: PREFIX (default /usr/local) and DESTDIR as usual; the
# config goes to SYSCONFDIR/floodwatch whatever the PREFIX.  The installed
# config is deploy/floodwatch.conf with the service's user and paths under
# STATEDIR (deploy/packaged-conf.sh); an existing one is never overwritten
# (the new one is put beside it as floodwatch.conf.new).
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/floodwatch
UNITDIR    ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
STATEDIR   ?= /var/lib/floodwatch
RUNDIR     ?= /run/floodwatch

build/floodwatch.conf: deploy/floodwatch.conf deploy/packaged-conf.sh build/o/floodwatch
	sh deploy/packaged-conf.sh $(STATEDIR) $(RUNDIR) < $< > $@.tmp
	build/o/floodwatch check-config -c $@.tmp > /dev/null
	mv -f $@.tmp $@

install: floodwatch $(MAN) build/floodwatch.conf
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/floodwatch \
	    $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR)/schema
	install -m 0755 floodwatch $(DESTDIR)$(BINDIR)/floodwatch
	install -m 0644 build/man/floodwatch.8 $(DESTDIR)$(MANDIR)/man8/floodwatch.8
	install -m 0644 build/man/floodwatch.conf.5 $(DESTDIR)$(MANDIR)/man5/floodwatch.conf.5
	sed 's|/usr/bin/floodwatch|$(BINDIR)/floodwatch|g; s|/etc/floodwatch/|$(SYSCONFDIR)/floodwatch/|g' \
	    deploy/floodwatch.service > $(DESTDIR)$(UNITDIR)/floodwatch.service.tmp
	chmod 0644 $(DESTDIR)$(UNITDIR)/floodwatch.service.tmp
	mv -f $(DESTDIR)$(UNITDIR)/floodwatch.service.tmp $(DESTDIR)$(UNITDIR)/floodwatch.service
	@conf=$(DESTDIR)$(SYSCONFDIR)/floodwatch/floodwatch.conf; \
	if [ -z "$(DESTDIR)" ] && [ -e "$$conf" ]; then \
		echo "install: keeping $$conf; the new one is $$conf.new"; conf=$$conf.new; fi; \
	echo "install -m 0644 build/floodwatch.conf $$conf"; install -m 0644 build/floodwatch.conf "$$conf"
	install -m 0644 deploy/floodwatch.conf $(DESTDIR)$(DOCDIR)/examples/floodwatch.conf
	install -m 0644 deploy/examples/nflog.conf deploy/examples/logrotate $(DESTDIR)$(DOCDIR)/examples/
	install -m 0644 schema/README.md $(SCHEMA) $(wildcard schema/*.json) $(DESTDIR)$(DOCDIR)/schema/
	install -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	@set -e; for f in $(wildcard deploy/notify/*); do \
		install -d $(DESTDIR)$(DOCDIR)/examples/notify; \
		echo "install -m 0644 $$f $(DESTDIR)$(DOCDIR)/examples/notify/"; \
		install -m 0644 $$f $(DESTDIR)$(DOCDIR)/examples/notify/; done

# Leaves the config (and the data under STATEDIR) in place.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/floodwatch $(DESTDIR)$(MANDIR)/man8/floodwatch.8 \
	    $(DESTDIR)$(MANDIR)/man5/floodwatch.conf.5 $(DESTDIR)$(UNITDIR)/floodwatch.service
	rm -rf $(DESTDIR)$(DOCDIR)

check: deps
	$(MAKE) layering proto-check lint unit unit-asan fuzz-replay fuzz integration

# One-way layers (DESIGN.md): cli/, web/ -> collector/, detector/, sinks/ -> common/.
layering:
	@sh tests/layering.sh

unit: $(UNITS:%=build/o/tests/%) floodwatch
	@sh tests/run-units.sh build/o/tests $(UNITS)

asan unit-asan: $(UNITS:%=build/asan/tests/%) build/asan/floodwatch
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    sh tests/run-units.sh build/asan/tests $(UNITS)

TOOLS := $(notdir $(basename $(wildcard tests/tools/*.c)))
integration: floodwatch build/asan/floodwatch $(TOOLS:%=build/o/tools/%)
	@sh tests/run-integration.sh

BENCH_BINS := $(notdir $(BENCH_SRC:.c=))
build/bench/%: tests/bench/%.c build/o/libfw.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -DNDEBUG -o $@ $< build/o/libfw.a $(LDLIBS)

bench: deps $(BENCH_BINS:%=build/bench/%) floodwatch
	@for b in $(BENCH_BINS); do build/bench/$$b || exit 1; done
	@for s in tests/bench/bench_*.sh; do sh $$s || exit 1; done

# The log's first lines include "http: API and /metrics at http://127.0.0.1:8080/";
# the URL is printed here too, before the daemon's own lines.
run: deps floodwatch
	@l=$$(./floodwatch check-config 2>/dev/null | sed -n '/^\[http\]/,/^\[/s/^listen *= *//p' | head -1); \
	    [ -z "$$l" ] || echo "floodwatch: HTTP API and /metrics at http://$$l/ (Ctrl-C stops)"
	./floodwatch run

demo: deps floodwatch
	@sh deploy/demo.sh

headers:
	@for h in include/*.h; do echo "#include \"$$(basename $$h)\"" | \
	    $(CC) $(ALL_CFLAGS) -x c -fsyntax-only - || exit 1; done

lint: $(GEN)
	cppcheck --quiet --error-exitcode=1 --std=c11 -Iinclude --enable=warning,performance,portability \
	    --suppress=missingIncludeSystem common collector detector sinks web cli
	clang-tidy --quiet $(LIB_SRC) $(CLI_SRC) -- -std=c11 -D_GNU_SOURCE -Iinclude -Ibuild/gen \
	    $(shell pkg-config --cflags $(PKGS))

clean:
	rm -rf build floodwatch
include tests/fuzz/fuzz.mk
