# pfc-metarl build. `make` builds build/metarl; `make test` runs every test;
# `make demo` runs the main job on built-in defaults. Both install missing
# Debian packages first (cli/install-deps.sh).

CC       ?= cc
CFLAGS   ?= -O2 -g
WARN      = -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wno-unused-parameter
# ISO C already forbids contracting a*b+c into an FMA; say it anyway, because
# bit-identical results across builds depend on it. No -ffast-math, ever.
NUMERIC   = -ffp-contract=off -fno-math-errno
CPPFLAGS  = -I. -D_POSIX_C_SOURCE=200809L -MMD -MP
# GSL's BLAS calls go to OpenBLAS's CBLAS instead of the reference gslcblas.
LDLIBS    = $(shell pkg-config --libs-only-L gsl) -lgsl -lopenblas \
            $(shell pkg-config --libs sqlite3 inih) -lpthread -lm
TEST_LIBS = $(shell pkg-config --libs cmocka sqlite3)
BUILD    ?= build

LIB_SRC   = $(wildcard core/*.c tasks/*.c model/*.c analysis/*.c)
CLI_SRC   = $(wildcard cli/*.c)
LIB_OBJ   = $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRC)) $(BUILD)/gen/schema.o
CLI_OBJ   = $(patsubst %.c,$(BUILD)/%.o,$(CLI_SRC))
TESTS     = $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/test_*.c))
TEST_HELP = $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/helpers/*.c))

all: $(BUILD)/metarl

VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

$(BUILD)/cli/main.o: CPPFLAGS += -DMETARL_VERSION='"$(VERSION)"'

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(WARN) $(NUMERIC) $(CFLAGS) $(CPPFLAGS) -c $< -o $@

# data/schema.sql is the one copy of the schema; it is compiled in as a string.
$(BUILD)/gen/schema.c: data/schema.sql
	@mkdir -p $(@D)
	{ echo '/* generated from data/schema.sql by the Makefile */'; \
	  echo 'const char store_schema_sql[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; \
	  echo ';'; } > $@

$(BUILD)/gen/schema.o: $(BUILD)/gen/schema.c
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libmetarl.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/metarl: $(CLI_OBJ) $(BUILD)/libmetarl.a
	$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(TEST_HELP) $(BUILD)/libmetarl.a
	$(CC) $(CFLAGS) $^ $(TEST_LIBS) $(LDLIBS) -o $@

deps:
	@cli/install-deps.sh

# The README's test command: unit tests (cmocka, one program per module) and
# the command-line tests, summed into one closing line.
test: deps
	@$(MAKE) --no-print-directory build-tests
	@tests/run.sh $(BUILD)

build-tests: $(BUILD)/metarl $(TESTS)

check-asan:
	@$(MAKE) --no-print-directory test BUILD=build-asan \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"

check-valgrind: deps
	@$(MAKE) --no-print-directory build-tests
	@METARL_VALGRIND=1 tests/run.sh $(BUILD)

demo: deps
	@$(MAKE) --no-print-directory all
	@cli/demo.sh $(BUILD)/metarl

clean:
	rm -rf build build-asan

.PHONY: all deps test build-tests check-asan check-valgrind demo clean
.SECONDARY:
.DELETE_ON_ERROR:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
