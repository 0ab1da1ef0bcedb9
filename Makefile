# wasl: `make run` to try it, `make test` to check everything.
#
#   make            build build/wasl
#   make run        install dependencies, build, create a demo database (first time), serve
#   make test       format check, unit tests under ASan+UBSan, API tests on SQLite and
#                   PostgreSQL, fuzz corpus replay, browser tests; ends with "N passed, N failed"
#   make asan       build build/asan/wasl with AddressSanitizer + UndefinedBehaviorSanitizer
#   make fuzz       build the fuzz targets and fuzz each for FUZZ_SECONDS (default 60)
#   make format     reformat the C sources with clang-format
#   make bench      run the benchmarks in bench/ (see BENCHMARKS.md)

CC ?= cc
PKGS := libmicrohttpd jansson sqlite3 libpq libsodium inih libutf8proc libcmark libcurl
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)

# libre needs the same defines as its own build (/usr/share/re/re.mk): without
# them re_types.h lacks uint32_t, struct sa loses IPv6 and mbuf checks trap.
RE_CFLAGS := -DHAVE_INTTYPES_H -DHAVE_STDBOOL_H -DHAVE_INET6 -DRELEASE -I/usr/include/re -I/usr/include/rem
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(RE_CFLAGS)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lrem -lre

# gcc's -Wformat-truncation flags every snprintf whose output could be cut; we
# use snprintf exactly so that cutting is safe, so it is off where it exists.
NO_TRUNC := $(shell $(CC) -Werror -Wno-format-truncation -x c -c /dev/null -o /dev/null 2>/dev/null && echo -Wno-format-truncation)
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter $(NO_TRUNC)
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -DWASL_VERSION=\"$(VERSION)\" $(WARN) -Isrc -Ibuild/gen $(PKG_CFLAGS)
CFLAGS ?= -O2 -g
LIBS := $(PKG_LIBS) -lstemmer -lpthread -lm

SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

SRCS := $(filter-out src/cli/%,$(wildcard src/*/*.c))
CLI_SRCS := $(wildcard src/cli/*.c)
MIGRATIONS := $(sort $(wildcard src/store/migrations/*.sql))
GEN := build/gen/migrations.c

OBJS := $(patsubst %.c,build/obj/%.o,$(SRCS) $(GEN:build/gen/%=gen/%))
ASAN_OBJS := $(patsubst %.c,build/asan/obj/%.o,$(SRCS) $(GEN:build/gen/%=gen/%))

UNIT_SRCS := $(wildcard tests/unit/*/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,build/asan/tests/%,$(UNIT_SRCS))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRCS))

.PHONY: all asan prompts run test unit unit-build unit-list fuzz fuzz-build format check-format bench clean deps
all: build/wasl

deps:
	./scripts/deps.sh

$(GEN): $(MIGRATIONS) src/store/migrations scripts/embed-migrations.sh
	@mkdir -p $(dir $@)
	./scripts/embed-migrations.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

build/obj/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@
build/obj/%.o: %.c $(GEN)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@
build/asan/obj/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(SAN_FLAGS) -MMD -MP -c $< -o $@
build/asan/obj/%.o: %.c $(GEN)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(SAN_FLAGS) -MMD -MP -c $< -o $@

build/libwasl.a: $(OBJS)
	ar rcs $@ $^
build/asan/libwasl.a: $(ASAN_OBJS)
	ar rcs $@ $^

build/wasl: $(patsubst %.c,build/obj/%.o,$(CLI_SRCS)) build/libwasl.a
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)
build/asan/wasl: $(patsubst %.c,build/asan/obj/%.o,$(CLI_SRCS)) build/asan/libwasl.a
	$(CC) $(SAN_FLAGS) -o $@ $^ $(LIBS)

asan: build/asan/wasl

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

# Fuzz targets (libFuzzer, clang). `make test` replays their saved corpora.
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE -DWASL_VERSION=\"fuzz\" -Isrc -Ibuild/gen $(PKG_CFLAGS)
build/fuzz/%: tests/fuzz/%.c $(SRCS) $(GEN)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< $(SRCS) $(GEN) $(LIBS)
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
PROMPT_TEXTS := $(wildcard data/prompts/*.txt)
build/prompts/.done: $(PROMPT_TEXTS) build/wasl
	./build/wasl prompts generate build/prompts
	@touch $@
prompts: build/prompts/.done

# Demo: everything a newcomer needs, then the server in the foreground.
run: deps build/wasl build/prompts/.done
	@if [ ! -e wasl.db ] && [ -z "$$WASL_STORE_URL" ]; then ./build/wasl init --demo; \
	else echo "Using the existing wasl.db. Demo logins (see README.md): admin/admin-demo-2026," \
	  "supervisor/supervisor-demo-2026, agent/agent-demo-2026, editor/editor-demo-2026," \
	  "backoffice/backoffice-demo-2026; agent's phone (SIP): agent/agent-phone-2026"; fi
	./build/wasl serve

test: deps
	python3 tests/run.py

build/bench/%: bench/*/%.c build/libwasl.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $< build/libwasl.a $(LIBS)

bench: deps build/wasl build/bench/guide_search
	./bench/run.sh

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
