# banyan: one non-recursive Makefile. `make run` and `make test` install what
# is missing (make deps), build and go; see README.md.
#
# Modes: MODE=release (default), asan (ASan+UBSan), tsan. Objects go to
# build/$(MODE)/ so modes never mix. V=1 prints full command lines.

MODE ?= release
BUILD := build/$(MODE)
V ?= 0
Q := $(if $(filter 1,$(V)),,@)
WERROR ?= -Werror

CC ?= cc
PKGS := libmicrohttpd jansson sqlite3 raft libuv inih
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

CFLAGS_BASE := -std=c11 -D_GNU_SOURCE -g -fno-omit-frame-pointer $(WERROR) \
	-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wold-style-definition -Wformat=2 -Wimplicit-fallthrough -Wvla \
	-Wcast-align -Wpointer-arith -Wundef -Wnull-dereference \
	-fstack-protector-strong -MMD -MP -pthread -Isrc -Iapi -Itests/support
LDFLAGS_BASE := -Wl,-z,relro,-z,now -pthread

ifeq ($(MODE),release)
MODE_CFLAGS := -O2 -D_FORTIFY_SOURCE=2
MODE_LDFLAGS :=
else ifeq ($(MODE),asan)
MODE_CFLAGS := -O1 -U_FORTIFY_SOURCE -fsanitize=address,undefined \
	-fno-sanitize-recover=all
MODE_LDFLAGS := -fsanitize=address,undefined
else ifeq ($(MODE),tsan)
MODE_CFLAGS := -O1 -U_FORTIFY_SOURCE -fsanitize=thread
MODE_LDFLAGS := -fsanitize=thread
else
$(error unknown MODE=$(MODE): release, asan or tsan)
endif

ALL_CFLAGS := $(CFLAGS_BASE) $(MODE_CFLAGS) $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS := $(LDFLAGS_BASE) $(MODE_LDFLAGS) $(LDFLAGS)

# The engine: knows nothing of HTTP or JSON.
CORE_SRCS := \
	src/errcode.c \
	src/mem.c \
	src/datadir.c \
	src/log.c \
	src/path.c \
	src/inode.c \
	src/cmd.c \
	src/lock.c \
	src/cache.c \
	src/db.c \
	src/store.c \
	src/ns.c \
	src/config.c \
	src/fsm.c \
	src/ttl.c \
	src/repl.c

# The HTTP surface.
API_SRCS := \
	api/http_server.c \
	api/http_router.c \
	api/http_req.c \
	api/http_problem.c \
	api/http_paths.c \
	api/http_health.c \
	api/http_static.c \
	api/jsonw.c \
	api/codec.c

MAIN_SRCS := src/main.c

UNIT_TESTS := \
	test_errcode \
	test_path \
	test_config \
	test_lock \
	test_inode \
	test_cmd \
	test_store \
	test_fsm \
	test_ttl \
	test_datadir \
	test_codec

CORE_OBJS := $(CORE_SRCS:%.c=$(BUILD)/%.o)
API_OBJS := $(API_SRCS:%.c=$(BUILD)/%.o)
MAIN_OBJS := $(MAIN_SRCS:%.c=$(BUILD)/%.o)
UNIT_BINS := $(UNIT_TESTS:%=$(BUILD)/tests/unit/%)
STRESS_BIN := $(BUILD)/tests/stress/stress_ns
BANYAND := $(BUILD)/banyand
BENCH_BINS := $(BUILD)/tests/bench/loadgen $(BUILD)/tests/bench/bare_http \
	$(BUILD)/tests/bench/bulkload

.PHONY: all run test format lint test-unit test-stress test-tsan test-e2e lint-openapi \
	bench deps clean check-deps web-vendor

all: $(BANYAND)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BANYAND): $(CORE_OBJS) $(API_OBJS) $(MAIN_OBJS)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)
	$(Q)ln -sf $(MODE)/banyand build/banyand-$(MODE) 2>/dev/null || true

# Each unit test links only the objects it needs, so modules can be built
# and tested on their own.
O := $(BUILD)/src
BASE_OBJS := $(O)/errcode.o $(O)/mem.o $(O)/log.o
STORE_OBJS := $(BASE_OBJS) $(O)/inode.o $(O)/cache.o $(O)/db.o $(O)/store.o
define unit_test
$(BUILD)/tests/unit/$(1): $(BUILD)/tests/unit/$(1).o $(2)
	$$(if $$(Q),@echo "  LD      $$@")
	$$(Q)$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $$(PKG_LIBS) $$(CMOCKA_LIBS)
endef
$(eval $(call unit_test,test_errcode,$(BASE_OBJS)))
$(eval $(call unit_test,test_path,$(BASE_OBJS) $(O)/path.o))
$(eval $(call unit_test,test_config,$(BASE_OBJS) $(O)/config.o))
$(eval $(call unit_test,test_lock,$(BASE_OBJS) $(O)/lock.o))
$(eval $(call unit_test,test_inode,$(BASE_OBJS) $(O)/inode.o))
$(eval $(call unit_test,test_cmd,$(BASE_OBJS) $(O)/inode.o $(O)/cmd.o))
$(eval $(call unit_test,test_store,$(STORE_OBJS)))
FIXTURE_OBJS := $(BUILD)/tests/support/ns_fixture.o
$(eval $(call unit_test,test_fsm,$(CORE_OBJS) $(FIXTURE_OBJS)))
$(eval $(call unit_test,test_ttl,$(CORE_OBJS) $(FIXTURE_OBJS)))
$(eval $(call unit_test,test_datadir,$(BASE_OBJS) $(O)/datadir.o))
$(eval $(call unit_test,test_codec,$(BASE_OBJS) $(O)/inode.o $(O)/cmd.o $(O)/path.o \
	$(BUILD)/api/codec.o $(BUILD)/api/jsonw.o $(BUILD)/api/http_problem.o))

$(STRESS_BIN): $(BUILD)/tests/stress/stress_ns.o $(CORE_OBJS) \
		$(FIXTURE_OBJS)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/bench/loadgen: $(BUILD)/tests/bench/loadgen.o
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lm

$(BUILD)/tests/bench/bare_http: $(BUILD)/tests/bench/bare_http.o
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/bench/bulkload: $(BUILD)/tests/bench/bulkload.o $(CORE_OBJS)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# ---- set-up -------------------------------------------------------------

# Debian packages the build, the tests and the benchmark need.
DEB_PKGS := build-essential pkg-config libmicrohttpd-dev libjansson-dev \
	libsqlite3-dev libraft-dev libuv1-dev libcmocka-dev libinih-dev curl jq \
	sqlite3 procps psmisc iproute2 chromium

deps:
	@missing=""; for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | \
			grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
			$$missing >/dev/null || exit 1; \
	fi
	@if [ ! -f node_modules/.package-lock.json ] || \
		[ package-lock.json -nt node_modules/.package-lock.json ]; then \
		echo "deps: npm ci (OpenAPI linter, chart library, browser driver)"; \
		npm ci --no-audit --no-fund --loglevel=error >/dev/null || exit 1; \
	fi
	$(Q)$(MAKE) --no-print-directory web-vendor

# The dashboard's chart library (uPlot, pinned in package.json), copied
# from node_modules into web/vendor/ (not in git), where banyand serves it.
# Compared, not dated: npm gives every file it unpacks the same old mtime.
web-vendor:
	@mkdir -p web/vendor
	$(Q)for f in dist/uPlot.esm.js dist/uPlot.min.css LICENSE; do \
		src=node_modules/uplot/$$f; dst=web/vendor/uPlot.$${f##*.}; \
		cmp -s $$src $$dst || cp $$src $$dst || exit 1; \
	done

# ---- the two commands of the README ---------------------------------------

run: deps
	$(Q)$(MAKE) --no-print-directory MODE=release all
	./build/release/banyand $(ARGS)

test: deps
	$(Q)$(MAKE) --no-print-directory MODE=asan all test-unit-bins stress-bin
	$(Q)$(MAKE) --no-print-directory MODE=tsan stress-bin
	$(Q)$(MAKE) --no-print-directory MODE=release all
	$(Q)tests/run.sh

test-unit-bins: $(UNIT_BINS)
stress-bin: $(STRESS_BIN)

test-unit: deps
	$(Q)$(MAKE) --no-print-directory MODE=asan test-unit-bins
	$(Q)tests/run.sh unit

test-stress: deps
	$(Q)$(MAKE) --no-print-directory MODE=asan stress-bin
	$(Q)$(MAKE) --no-print-directory MODE=tsan stress-bin
	$(Q)tests/run.sh stress

test-e2e: deps
	$(Q)$(MAKE) --no-print-directory MODE=release all
	$(Q)tests/run.sh e2e

lint-openapi: deps
	$(Q)node_modules/.bin/redocly lint --format=stylish openapi.yaml

bench: deps
	$(Q)$(MAKE) --no-print-directory MODE=release all $(BENCH_BINS)
	$(Q)tests/bench/bench.sh

# C sources the formatter and the linters read.
C_FILES := $(wildcard src/*.[ch] api/*.[ch] tests/unit/*.c tests/support/*.[ch] \
	tests/stress/*.c tests/bench/*.c)

format:
	clang-format -i $(C_FILES)

# Style and static checks (STYLE.md): the formatter, cppcheck, the OpenAPI
# linter.
lint: lint-openapi
	clang-format --dry-run --Werror $(C_FILES)
	cppcheck --enable=warning,performance,portability --inline-suppr \
		--error-exitcode=1 -q -D_GNU_SOURCE -Isrc -Iapi src api

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
