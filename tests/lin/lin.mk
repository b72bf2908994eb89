# tests/lin/lin.mk: the linearizability tools of the cluster test (see
# tests/lin/README.md), as a fragment of the top Makefile, which includes
# it after its unit test rules:
#
#   include tests/lin/lin.mk
#
#   $(BUILD)/lincheck  checks a JSON-lines history (jansson)
#   $(BUILD)/histgen   records one from a running cluster (libcurl, jansson)
#   test_lincheck      the checker's unit test, listed in the Makefile's
#                      UNIT_TESTS like the others; it also links the
#                      checker (the prerequisite line below)
#
# `make lin-bins` builds the two tools in the current MODE.

LIN_CURL_CFLAGS := $(shell pkg-config --cflags libcurl 2>/dev/null)
LIN_CURL_LIBS := $(or $(shell pkg-config --libs libcurl 2>/dev/null),-lcurl)
LIN_JSON_LIBS := $(or $(shell pkg-config --libs jansson 2>/dev/null),-ljansson)

LINCHECK := $(BUILD)/lincheck
HISTGEN := $(BUILD)/histgen
LIN_BINS := $(LINCHECK) $(HISTGEN)

.PHONY: lin-bins
lin-bins: $(LIN_BINS)

$(LINCHECK): $(BUILD)/tests/lin/lincheck_main.o $(BUILD)/tests/lin/lincheck.o
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIN_JSON_LIBS)

$(BUILD)/tests/lin/histgen.o: ALL_CFLAGS += $(LIN_CURL_CFLAGS)

$(HISTGEN): $(BUILD)/tests/lin/histgen.o
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIN_CURL_LIBS) $(LIN_JSON_LIBS)

$(BUILD)/tests/unit/test_lincheck: $(BUILD)/tests/lin/lincheck.o
