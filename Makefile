# wasl: `make run` to try it, `make test` to check everything.
#
#   make            build build/wasl
#   make run        install what running needs (scripts/deps.sh run), build, create a demo
#                   database (first time), serve
#   make test       install what testing needs (scripts/deps.sh test), then format check, unit
#                   tests under ASan+UBSan, API tests on SQLite and PostgreSQL, SIP tests, fuzz
#                   corpus replay, browser tests; ends with "N passed, N failed"
#   make demo       `make run` without installing packages
#   make install    install under PREFIX (default /usr/local) and DESTDIR; see docs/operations.md
#   make fresh-check  `make run` and `make test` in bare Debian 12 roots (scripts/fresh-check.sh)
#   make asan       build build/asan/wasl with AddressSanitizer + UndefinedBehaviorSanitizer
#   make tsan       build build/tsan/wasl with ThreadSanitizer (races between the telephony's threads)
#   make fuzz       build the fuzz targets and fuzz each for FUZZ_SECONDS (default 60)
#   make format     reformat the C sources with clang-format
#   make bench      run the benchmarks in bench/ (see BENCHMARKS.md)
#
# Nothing here may need an installed package before scripts/deps.sh has run: `run`,
# `test` and `bench` install packages first and only then start a second make (or the
# test runner, which starts its own), whose pkg-config and compiler probes below then
# see the packages. Plain `make` on a machine without them stops with a clear message.

CC ?= cc
PKGS := libmicrohttpd gnutls jansson sqlite3 libpq libsodium inih libutf8proc libcmark libcurl xlsxwriter libssl
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)

# libre needs the same defines as its own build (/usr/share/re/re.mk): without
# them re_types.h lacks uint32_t, struct sa loses IPv6 and mbuf checks trap.
RE_CFLAGS := -DHAVE_INTTYPES_H -DHAVE_STDBOOL_H -DHAVE_INET6 -DRELEASE -I/usr/include/re -I/usr/include/rem
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(RE_CFLAGS)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lrem -lre

# gcc's -Wformat-truncation flags every snprintf whose output could be cut; we
# use snprintf exactly so that cutting is safe, so it is off where it exists.
NO_TRUNC := $(shell $(CC) -Werror -Wno-format-truncation -x c -c /dev/null -o /dev/null 2>/dev/null && echo -Wno-format-truncation)

# Hardening of the program that is deployed: stack canaries, checked libc calls (which
# need optimisation, so not in the -O1 sanitizer build where ASan does the checking),
# a position-independent executable and a relocation table made read-only at start.
HARDEN_CFLAGS := -fstack-protector-strong -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2 -fPIE
HARDEN_LDFLAGS := -pie -Wl,-z,relro,-z,now
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter $(NO_TRUNC)
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -DWASL_VERSION=\"$(VERSION)\" $(WARN) -Isrc -Ibuild/gen $(PKG_CFLAGS)
CFLAGS ?= -O2 -g
# zxcvbn (libzxcvbn-dev) has no pkg-config file; its dictionaries are compiled in.
LIBS := $(PKG_LIBS) -lzxcvbn -lstemmer -lpthread -lm

SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -fstack-protector-strong
TSAN_FLAGS := -O1 -g -fsanitize=thread -fno-omit-frame-pointer

SRCS := $(filter-out src/cli/%,$(wildcard src/*/*.c))
CLI_SRCS := $(wildcard src/cli/*.c)
MIGRATIONS := $(sort $(wildcard src/store/migrations/*.sql))
GEN := build/gen/migrations.c

OBJS := $(patsubst %.c,build/obj/%.o,$(SRCS) $(GEN:build/gen/%=gen/%))
ASAN_OBJS := $(patsubst %.c,build/asan/obj/%.o,$(SRCS) $(GEN:build/gen/%=gen/%))
TSAN_OBJS := $(patsubst %.c,build/tsan/obj/%.o,$(SRCS) $(CLI_SRCS) $(GEN:build/gen/%=gen/%))

UNIT_SRCS := $(wildcard tests/unit/*/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,build/asan/tests/%,$(UNIT_SRCS))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRCS))

.PHONY: all asan tsan prompts run demo test unit unit-build unit-list fuzz fuzz-build format check-format bench clean \
	deps deps-run deps-test deps-bench check-pkgs install fresh-check man web-vendor
all: build/wasl web-vendor

deps:
	./scripts/deps.sh
deps-run deps-test deps-bench:
	./scripts/deps.sh $(@:deps-%=%)

# Before the first compile: say what is missing instead of "libpq-fe.h: No such file".
check-pkgs:
	@command -v $(firstword $(CC)) >/dev/null 2>&1 && command -v pkg-config >/dev/null 2>&1 && \
	  pkg-config --exists $(PKGS) && test -f /usr/include/re/re.h && test -f /usr/include/zxcvbn.h || \
	  { echo "wasl: the compiler or a -dev package is missing; run ./scripts/deps.sh run (make run does it)" >&2; exit 1; }

$(GEN): $(MIGRATIONS) src/store/migrations scripts/embed-migrations.sh
	@mkdir -p $(dir $@)
	./scripts/embed-migrations.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

build/obj/gen/%.o: build/gen/%.c | check-pkgs
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(HARDEN_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@
build/obj/%.o: %.c $(GEN) | check-pkgs
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(HARDEN_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@
build/asan/obj/gen/%.o: build/gen/%.c | check-pkgs
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(SAN_FLAGS) -MMD -MP -c $< -o $@
build/asan/obj/%.o: %.c $(GEN) | check-pkgs
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(SAN_FLAGS) -MMD -MP -c $< -o $@

build/libwasl.a: $(OBJS)
	ar rcs $@ $^
build/asan/libwasl.a: $(ASAN_OBJS)
	ar rcs $@ $^

build/wasl: $(patsubst %.c,build/obj/%.o,$(CLI_SRCS)) build/libwasl.a
	$(CC) $(CFLAGS) $(HARDEN_LDFLAGS) -o $@ $^ $(LIBS)
build/asan/wasl: $(patsubst %.c,build/asan/obj/%.o,$(CLI_SRCS)) build/asan/libwasl.a
	$(CC) $(SAN_FLAGS) -o $@ $^ $(LIBS)

asan: build/asan/wasl

build/tsan/obj/gen/%.o: build/gen/%.c | check-pkgs
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(TSAN_FLAGS) -MMD -MP -c $< -o $@
build/tsan/obj/%.o: %.c $(GEN) | check-pkgs
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(TSAN_FLAGS) -MMD -MP -c $< -o $@
build/tsan/wasl: $(TSAN_OBJS)
	$(CC) $(TSAN_FLAGS) -o $@ $^ $(LIBS)
tsan: build/tsan/wasl

# Unit tests: cmocka, one binary per file, linked with the sanitized library.
build/asan/tests/%: tests/unit/%.c build/asan/libwasl.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(SAN_FLAGS) -Itests/unit -o $@ $< build/asan/libwasl.a $(LIBS) -lcmocka

# Test zone files compiled from our own sources, fat and slim, so the time-zone
# tests never depend on the host's tzdata.
build/tz-fat/.done build/tz-slim/.done: $(wildcard tests/unit/core/tzsrc/*)
	@rm -rf build/tz-fat build/tz-slim && mkdir -p build/tz-fat build/tz-slim
	zic -b fat -d build/tz-fat $^
	zic -b slim -d build/tz-slim $^
	@touch build/tz-fat/.done build/tz-slim/.done

unit-build: $(UNIT_BINS) build/tz-fat/.done
unit-list:
	@echo $(UNIT_BINS)
unit: $(UNIT_BINS) build/tz-fat/.done
	@for t in $(UNIT_BINS); do echo "== $$t"; WASL_TEST_TZDIR_FAT=build/tz-fat WASL_TEST_TZDIR_SLIM=build/tz-slim $$t || exit 1; done

# Fuzz targets (libFuzzer, clang). The sources are compiled once, with coverage
# instrumentation but without libFuzzer's main, into build/fuzz/libwasl.a; each
# target is then only its own file linked with the fuzzer. `make test` replays
# their saved corpora.
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS = -g -O1 -std=c11 -D_GNU_SOURCE -DWASL_VERSION=\"fuzz\" -Isrc -Ibuild/gen -Itests/fuzz $(PKG_CFLAGS)
FUZZ_OBJS := $(patsubst %.c,build/fuzz/obj/%.o,$(SRCS) $(GEN:build/gen/%=gen/%) tests/fuzz/common.c)
build/fuzz/obj/gen/%.o: build/gen/%.c | check-pkgs
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SAN) -MMD -MP -c $< -o $@
build/fuzz/obj/%.o: %.c $(GEN) | check-pkgs
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SAN) -MMD -MP -c $< -o $@
build/fuzz/libwasl.a: $(FUZZ_OBJS)
	rm -f $@ && ar rcs $@ $^
build/fuzz/%: tests/fuzz/%.c build/fuzz/libwasl.a
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $< build/fuzz/libwasl.a $(LIBS)
fuzz-build: $(FUZZ_BINS)
FUZZ_SECONDS ?= 60
fuzz: fuzz-build
	@for f in $(FUZZ_BINS); do n=$$(basename $$f); mkdir -p tests/fuzz/corpus/$$n; \
	  echo "== $$n for $(FUZZ_SECONDS)s"; $$f -max_total_time=$(FUZZ_SECONDS) tests/fuzz/corpus/$$n || exit 1; done

C_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null; find src tests bench -name '*.[ch]' 2>/dev/null)
format:
	clang-format -i $(sort $(C_FILES))
check-format:
	@clang-format --dry-run --Werror $(sort $(C_FILES))

# The IVR's voice: every prompt of data/prompts/<lang>.txt spoken by espeak-ng
# and made 8 kHz by sox; only changed texts are spoken again.
# The npm packages the web UI serves (vendor/package.json, pinned by its lock file, installed
# by scripts/deps.sh run into vendor/node_modules), copied to web/vendor/ as the browser loads
# them: Chart.js's ES module imports its colour helper by a bare name, which browsers resolve
# only through an import map (and the CSP forbids an inline one), so the copy imports it by path.
CHARTJS := vendor/node_modules/chart.js
WEB_VENDOR := web/vendor/chart.js/chart.js web/vendor/chart.js/chunks/helpers.dataset.js \
	web/vendor/chart.js/LICENSE.md web/vendor/kurkle-color/color.esm.js web/vendor/kurkle-color/LICENSE.md
web-vendor: $(WEB_VENDOR)
web/vendor/chart.js/chart.js: $(CHARTJS)/dist/chart.js
	@mkdir -p $(dir $@)
	sed "s#'@kurkle/color'#'../kurkle-color/color.esm.js'#" $< > $@
web/vendor/chart.js/chunks/helpers.dataset.js: $(CHARTJS)/dist/chunks/helpers.dataset.js
	@mkdir -p $(dir $@)
	sed "s#'@kurkle/color'#'../../kurkle-color/color.esm.js'#" $< > $@
web/vendor/chart.js/LICENSE.md: $(CHARTJS)/LICENSE.md
	@mkdir -p $(dir $@)
	cp $< $@
web/vendor/kurkle-color/%: vendor/node_modules/@kurkle/color/dist/%
	@mkdir -p $(dir $@)
	cp $< $@
web/vendor/kurkle-color/LICENSE.md: vendor/node_modules/@kurkle/color/LICENSE.md
	@mkdir -p $(dir $@)
	cp $< $@
vendor/node_modules/%:
	@echo "wasl: $@ is missing; run ./scripts/deps.sh run (make run does it)" >&2; exit 1

PROMPT_TEXTS := $(wildcard data/prompts/*.txt) $(wildcard data/practice/scripts/*.json)
build/prompts/.done: $(PROMPT_TEXTS) build/wasl
	./build/wasl prompts generate build/prompts
	@touch $@
prompts: build/prompts/.done

# Demo: everything a newcomer needs, then the server in the foreground. `run` installs
# the packages first and only then starts the make that builds (see the top of this file).
run:
	./scripts/deps.sh run
	@$(MAKE) --no-print-directory demo
demo: build/wasl web-vendor build/prompts/.done
	@if [ ! -e wasl.db ] && [ -z "$$WASL_STORE_URL" ]; then ./build/wasl init --demo; \
	else echo "Using the existing wasl.db. Demo logins (see README.md): admin/admin-demo-2026," \
	  "supervisor/supervisor-demo-2026, agent/agent-demo-2026, editor/editor-demo-2026," \
	  "backoffice/backoffice-demo-2026; agent's phone (SIP): agent/agent-phone-2026"; fi
	./build/wasl serve

# tests/run.py starts its own makes, after the packages are in.
test:
	./scripts/deps.sh test
	python3 tests/run.py

build/bench/%: bench/*/%.c build/libwasl.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(HARDEN_CFLAGS) $(CFLAGS) $(HARDEN_LDFLAGS) -o $@ $< build/libwasl.a $(LIBS)

bench:
	./scripts/deps.sh bench
	@$(MAKE) --no-print-directory build/wasl build/bench/guide_search
	./bench/run.sh

# Both halves take a while: `make run` (about 10 minutes) and `make test` (15 to 25),
# each in its own bare Debian 12 root; FRESH_STEPS=run or FRESH_STEPS=test for one.
fresh-check:
	./scripts/fresh-check.sh

# Manual pages: wasl(8) by hand, wasl.conf(5) generated from the settings tables.
build/man/wasl.8: docs/man/wasl.8
	@mkdir -p $(dir $@)
	sed -e 's|@VERSION@|$(VERSION)|' -e 's|@DATADIR@|$(DATADIR)|' $< > $@
build/man/wasl.conf.5: build/wasl scripts/gen-man.sh
	@mkdir -p $(dir $@)
	./scripts/gen-man.sh build/wasl $(VERSION) > $@.tmp && mv $@.tmp $@
man: build/man/wasl.8 build/man/wasl.conf.5

# make install [PREFIX=/usr/local] [DESTDIR=]: the program in sbin (it is a daemon, wasl(8)),
# web/, data/ and the spoken prompts in share/wasl/ (where the program also looks by
# itself), the manual pages, a systemd unit and sysusers.d entry, a settings file in
# /etc/wasl that is never overwritten, and /var/lib/wasl for the database. Installing
# into the live system as root (no DESTDIR) also creates the `wasl` account.
PREFIX ?= /usr/local
SBINDIR = $(PREFIX)/sbin
DATADIR = $(PREFIX)/share/wasl
MANDIR = $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
SUBST = sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@DATADIR@|$(DATADIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'
install: build/wasl web-vendor build/prompts/.done build/man/wasl.8 build/man/wasl.conf.5
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(DATADIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(SYSCONFDIR)/wasl
	install -d -m 750 $(DESTDIR)/var/lib/wasl
	install -m 755 build/wasl $(DESTDIR)$(SBINDIR)/wasl
	rm -rf $(DESTDIR)$(DATADIR)/web $(DESTDIR)$(DATADIR)/data $(DESTDIR)$(DATADIR)/prompts
	cp -R web data $(DESTDIR)$(DATADIR)/
	cp -R build/prompts $(DESTDIR)$(DATADIR)/prompts && rm -f $(DESTDIR)$(DATADIR)/prompts/.done
	install -m 644 build/man/wasl.8 $(DESTDIR)$(MANDIR)/man8/wasl.8
	install -m 644 build/man/wasl.conf.5 $(DESTDIR)$(MANDIR)/man5/wasl.conf.5
	$(SUBST) deploy/systemd/wasl.service > $(DESTDIR)$(UNITDIR)/wasl.service && chmod 644 $(DESTDIR)$(UNITDIR)/wasl.service
	install -m 644 deploy/systemd/wasl.sysusers $(DESTDIR)$(SYSUSERSDIR)/wasl.conf
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/wasl/wasl.conf ]; then \
	  echo "kept the existing $(DESTDIR)$(SYSCONFDIR)/wasl/wasl.conf (the new example: $(DESTDIR)$(SYSCONFDIR)/wasl/wasl.conf.example)"; \
	  $(SUBST) deploy/wasl.conf.in > $(DESTDIR)$(SYSCONFDIR)/wasl/wasl.conf.example; \
	else $(SUBST) deploy/wasl.conf.in > $(DESTDIR)$(SYSCONFDIR)/wasl/wasl.conf && chmod 640 $(DESTDIR)$(SYSCONFDIR)/wasl/wasl.conf; fi
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then \
	  id wasl >/dev/null 2>&1 || useradd --system --user-group --home-dir /var/lib/wasl --shell /usr/sbin/nologin \
	    --comment "wasl contact center" wasl; \
	  chown wasl:wasl /var/lib/wasl && chgrp wasl $(SYSCONFDIR)/wasl/wasl.conf; \
	  if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi; \
	  echo "installed; first start: sudo -u wasl $(SBINDIR)/wasl --config $(SYSCONFDIR)/wasl/wasl.conf init" \
	    "&& sudo systemctl enable --now wasl"; fi

clean:
	rm -rf build web/vendor

-include $(shell find build -name '*.d' 2>/dev/null)
