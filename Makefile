# banyan: one non-recursive Makefile. `make run` and `make test` install what
# is missing (make deps), build and go; see README.md.
#
# Modes: MODE=release (default), asan (ASan+UBSan), tsan; the sanitizer
# modes define BN_DEBUG, which turns ALWAYS/NEVER into checks (invariant.h).
# Objects go to build/$(MODE)/ so modes never mix. V=1 prints full command
# lines.

MODE ?= release
BUILD := build/$(MODE)
V ?= 0
Q := $(if $(filter 1,$(V)),,@)
WERROR ?= -Werror

CC ?= cc
PKGS := libmicrohttpd jansson sqlite3 raft libuv inih libcurl libsystemd
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
	-fno-sanitize-recover=all -DBN_DEBUG
MODE_LDFLAGS := -fsanitize=address,undefined
else ifeq ($(MODE),tsan)
MODE_CFLAGS := -O1 -U_FORTIFY_SOURCE -fsanitize=thread -DBN_DEBUG
MODE_LDFLAGS := -fsanitize=thread
else
$(error unknown MODE=$(MODE): release, asan or tsan)
endif

ALL_CFLAGS := $(CFLAGS_BASE) $(MODE_CFLAGS) $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS := $(LDFLAGS_BASE) $(MODE_LDFLAGS) $(LDFLAGS)

# The engine: knows nothing of HTTP or JSON.
CORE_SRCS := \
	src/errcode.c \
	src/invariant.c \
	src/clock.c \
	src/mem.c \
	src/datadir.c \
	src/log.c \
	src/path.c \
	src/addr.c \
	src/inode.c \
	src/op.c \
	src/cmd.c \
	src/lock.c \
	src/cache.c \
	src/db.c \
	src/store.c \
	src/ns.c \
	src/config.c \
	src/fsm.c \
	src/ttl.c \
	src/httpc.c \
	src/repl.c \
	src/repl_members.c \
	src/repl_lease.c \
	src/repl_tcp.c \
	src/repl_chores.c \
	src/metrics.c \
	src/audit.c \
	src/ufs.c \
	src/ufs_local.c \
	src/mount.c \
	src/usync.c \
	src/mount_io.c

# The HTTP surface.
API_SRCS := \
	api/http_server.c \
	api/http_router.c \
	api/http_routes.c \
	api/http_req.c \
	api/http_problem.c \
	api/http_paths.c \
	api/http_mounts.c \
	api/http_health.c \
	api/http_cluster.c \
	api/http_metrics.c \
	api/http_audit.c \
	api/http_static.c \
	api/jsonw.c \
	api/codec.c \
	api/codec_inode.c \
	api/codec_cluster.c \
	api/codec_mount.c

MAIN_SRCS := src/main.c src/notify.c

# The unit tests: tests/unit/NAME.c, one cmocka binary each, linked
# against the libraries below. This is the only list of them: tests/run.sh
# asks for it (make print-unit-tests). Adding a test is one line here; a
# test that needs objects outside the libraries names them in a line of
# its own (see test_lincheck in tests/lin/lin.mk).
UNIT_TESTS := \
	test_errcode \
	test_invariant \
	test_addr \
	test_path \
	test_config \
	test_lock \
	test_inode \
	test_cmd \
	test_store \
	test_fsm \
	test_ttl \
	test_datadir \
	test_codec \
	test_lincheck \
	test_metrics \
	test_ufs \
	test_usync \
	test_lease \
	test_repl_tcp \
	test_repl \
	test_mount_io

CORE_OBJS := $(CORE_SRCS:%.c=$(BUILD)/%.o)
API_OBJS := $(API_SRCS:%.c=$(BUILD)/%.o)
MAIN_OBJS := $(MAIN_SRCS:%.c=$(BUILD)/%.o)
# The engine and the HTTP surface as static libraries: what the tests,
# the stress test, the bulk loader and check-symbols link or read.
CORE_LIB := $(BUILD)/libbanyan.a
API_LIB := $(BUILD)/libbanyan_api.a
# Helpers that tests share (tests/support/).
TEST_SUPPORT_OBJS := $(BUILD)/tests/support/ns_fixture.o \
	$(BUILD)/tests/support/test_port.o
UNIT_BINS := $(UNIT_TESTS:%=$(BUILD)/tests/unit/%)
STRESS_BIN := $(BUILD)/tests/stress/stress_ns
BANYAND := $(BUILD)/banyand
BENCH_BINS := $(BUILD)/tests/bench/loadgen $(BUILD)/tests/bench/bare_http \
	$(BUILD)/tests/bench/bulkload

.PHONY: all libs run run-cluster stop-cluster test format lint test-unit \
	test-stress test-tsan test-e2e lint-openapi lint-c check-symbols \
	check-headers check-banned check-includes print-unit-tests bench deps \
	clean check-deps install install-gen uninstall web-vendor

all: $(BANYAND) libs

libs: $(CORE_LIB) $(API_LIB)

# Objects are rebuilt when the flags change (a new MODE_CFLAGS, CFLAGS=...):
# the flags of the last build are kept in $(FLAGS_FILE).
FLAGS_FILE := $(BUILD)/cflags
FLAGS_NOW := $(CC) $(ALL_CFLAGS)
$(shell mkdir -p $(BUILD) && { [ "$$(cat $(FLAGS_FILE) 2>/dev/null)" = \
	'$(FLAGS_NOW)' ] || printf '%s\n' '$(FLAGS_NOW)' >$(FLAGS_FILE); })

$(BUILD)/%.o: %.c $(FLAGS_FILE)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BANYAND): $(CORE_OBJS) $(API_OBJS) $(MAIN_OBJS)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)
	$(Q)ln -sf $(MODE)/banyand build/banyand-$(MODE) 2>/dev/null || true

# Made anew each time, so an object whose source left the list leaves the
# library too.
$(CORE_LIB): $(CORE_OBJS)
	$(if $(Q),@echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(API_LIB): $(API_OBJS)
	$(if $(Q),@echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# Every unit test: its object, the shared helpers, then the libraries (the
# linker takes from them only the objects the test needs). Objects named
# by an extra prerequisite line come before the libraries.
$(UNIT_BINS): $(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o \
		$(TEST_SUPPORT_OBJS) $(API_LIB) $(CORE_LIB)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(API_LIB) $(CORE_LIB) \
		$(PKG_LIBS) $(CMOCKA_LIBS)

print-unit-tests:
	@echo $(UNIT_TESTS)

# The linearizability checker and history recorder of the cluster tests.
include tests/lin/lin.mk

$(STRESS_BIN): $(BUILD)/tests/stress/stress_ns.o $(TEST_SUPPORT_OBJS) \
		$(CORE_LIB)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/bench/loadgen: $(BUILD)/tests/bench/loadgen.o
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lm

$(BUILD)/tests/bench/bare_http: $(BUILD)/tests/bench/bare_http.o
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/bench/bulkload: $(BUILD)/tests/bench/bulkload.o $(CORE_LIB)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# ---- set-up -------------------------------------------------------------

# Debian packages the build, the tests and the benchmark need.
DEB_PKGS := build-essential pkg-config libmicrohttpd-dev libjansson-dev \
	libsqlite3-dev libraft-dev libuv1-dev libcmocka-dev libinih-dev \
	libcurl4-openssl-dev curl jq sqlite3 procps psmisc iproute2 libsystemd-dev \
	systemd prometheus socat strace chromium clang-format cppcheck

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

# ---- install ----------------------------------------------------------------
#
# make install [PREFIX=/usr/local] [DESTDIR=] puts (README, "Run it as a
# service"):
#   $(BINDIR)/banyand                     the daemon (release build)
#   $(UNITDIR)/banyand.service            the systemd unit, paths set
#   $(SYSCONFDIR)/banyan/banyan.conf      conf/banyan.conf with data_dir =
#                                         /var/lib/banyan; an existing one
#                                         is kept
#   $(WEBDIR)/...                         the dashboard (web/), if any
#   $(DOCDIR)/README.md                   this README
# make uninstall removes them (the config only when unchanged).

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
WEBDIR ?= $(DATADIR)/banyan/web
DOCDIR ?= $(DATADIR)/doc/banyan
SYSCONFDIR ?= /etc
# The unit's StateDirectory: systemd makes it, for the service's user.
STATEDIR := /var/lib/banyan
# systemd looks in /usr/lib/systemd/system and /usr/local/lib/systemd/system;
# for another PREFIX the unit goes where the administrator's units go.
ifneq ($(filter /usr /usr/local,$(PREFIX)),)
UNITDIR ?= $(PREFIX)/lib/systemd/system
else
UNITDIR ?= $(SYSCONFDIR)/systemd/system
endif
INSTALL_GEN := build/install
WEB_FILES = $(shell [ -d web ] && find web -type f ! -path '*/node_modules/*' \
	| sort)

# The unit and the config as installed, with this install's paths.
install-gen:
	@mkdir -p $(INSTALL_GEN)
	$(Q)sed -e 's|/usr/local/bin/banyand|$(BINDIR)/banyand|g' \
		-e 's|/etc/banyan/|$(SYSCONFDIR)/banyan/|g' \
		-e 's|/usr/local/share/doc/banyan|$(DOCDIR)|g' \
		systemd/banyand.service >$(INSTALL_GEN)/banyand.service
	$(Q)sed -e 's|^# data_dir = \./data$$|data_dir = $(STATEDIR)|' \
		-e 's|^# web_root = \./web$$|web_root = $(WEBDIR)|' \
		-e 's|/etc/banyan/banyan.conf|$(SYSCONFDIR)/banyan/banyan.conf|' \
		conf/banyan.conf >$(INSTALL_GEN)/banyan.conf

install: install-gen
	$(Q)$(MAKE) --no-print-directory MODE=release all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSCONFDIR)/banyan $(DESTDIR)$(DOCDIR)
	install -m 0755 build/release/banyand $(DESTDIR)$(BINDIR)/banyand
	install -m 0644 $(INSTALL_GEN)/banyand.service \
		$(DESTDIR)$(UNITDIR)/banyand.service
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/banyan/banyan.conf ]; then \
		echo "install: keeping $(DESTDIR)$(SYSCONFDIR)/banyan/banyan.conf"; \
	else \
		echo "install -m 0644 $(INSTALL_GEN)/banyan.conf $(DESTDIR)$(SYSCONFDIR)/banyan/banyan.conf"; \
		install -m 0644 $(INSTALL_GEN)/banyan.conf \
			$(DESTDIR)$(SYSCONFDIR)/banyan/banyan.conf; \
	fi
	install -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	$(Q)for f in $(WEB_FILES); do \
		install -D -m 0644 $$f $(DESTDIR)$(WEBDIR)/$${f#web/} || exit 1; \
	done
	@if [ -z "$(DESTDIR)" ]; then \
		echo "install: now systemctl daemon-reload && systemctl enable --now banyand"; \
	fi

uninstall: install-gen
	rm -f $(DESTDIR)$(BINDIR)/banyand $(DESTDIR)$(UNITDIR)/banyand.service \
		$(DESTDIR)$(DOCDIR)/README.md
	rm -rf $(DESTDIR)$(WEBDIR)
	@conf=$(DESTDIR)$(SYSCONFDIR)/banyan/banyan.conf; \
	if cmp -s $(INSTALL_GEN)/banyan.conf $$conf; then \
		echo "rm -f $$conf"; rm -f $$conf; \
	elif [ -e $$conf ]; then \
		echo "uninstall: keeping $$conf (changed since install)"; \
	fi
	-$(Q)rmdir $(DESTDIR)$(SYSCONFDIR)/banyan $(DESTDIR)$(DATADIR)/banyan \
		$(DESTDIR)$(DOCDIR) 2>/dev/null || true

# ---- the two commands of the README ---------------------------------------

run: deps
	$(Q)$(MAKE) --no-print-directory MODE=release all
	./build/release/banyand $(ARGS)

# A local 3-node cluster on 127.0.0.1 (scripts/cluster.sh): start it in the
# background, print the nodes' addresses; stop it with make stop-cluster.
run-cluster: deps
	$(Q)$(MAKE) --no-print-directory MODE=release all
	scripts/cluster.sh start

stop-cluster:
	scripts/cluster.sh stop

test: deps
	$(Q)$(MAKE) --no-print-directory MODE=asan all test-unit-bins stress-bin
	$(Q)$(MAKE) --no-print-directory MODE=tsan stress-bin
	$(Q)$(MAKE) --no-print-directory MODE=release all lin-bins
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
	$(Q)$(MAKE) --no-print-directory MODE=release all lin-bins
	$(Q)tests/run.sh e2e

lint-openapi: deps
	$(Q)node_modules/.bin/redocly lint --format=stylish openapi.yaml

bench: deps
	$(Q)$(MAKE) --no-print-directory MODE=release all $(BENCH_BINS)
	$(Q)tests/bench/bench.sh

# C sources the formatter and the linters read.
C_FILES := $(wildcard src/*.[ch] api/*.[ch] tests/unit/*.c tests/support/*.[ch] \
	tests/stress/*.c tests/bench/*.c tests/lin/*.[ch])

format:
	clang-format -i $(C_FILES)

# Style and static checks (STYLE.md): the formatter, cppcheck, the checks
# below, the OpenAPI linter.
lint: lint-openapi lint-c

# The C half of lint; make test runs it too (tests/run.sh lint).
lint-c: check-banned check-includes check-headers check-symbols
	clang-format --dry-run --Werror $(C_FILES)
	cppcheck --enable=warning,performance,portability --inline-suppr \
		--error-exitcode=1 -q -D_GNU_SOURCE -Isrc -Iapi src api

# No sprintf, strcpy, atoi and the like (STYLE.md 8).
check-banned:
	$(Q)scripts/check-banned.sh $(C_FILES)

# Each foreign library's header only in the module that wraps it.
check-includes:
	$(Q)scripts/check-includes.sh

# Every header compiles on its own.
HEADERS := $(wildcard src/*.h api/*.h tests/support/*.h)
check-headers:
	$(Q)CC="$(CC)" CFLAGS="$(filter-out -MMD -MP,$(ALL_CFLAGS))" \
		scripts/check-headers.sh $(HEADERS)

# Every global symbol carries its module's prefix (nm over the libraries
# and the daemon's own objects; scripts/symbols.allow for exceptions).
check-symbols: $(CORE_LIB) $(API_LIB) $(MAIN_OBJS)
	$(Q)scripts/check-symbols.sh $^

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
