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
# GSL's BLAS calls go to GSL's own CBLAS. The network's kernels are the
# project's own (model/); BLAS serves only the analyses' small eigen- and
# least-squares problems. OpenBLAS was tried: its threaded build made the
# results depend on the number of cores, and both its builds spin for ever
# when memory is short (ulimit -v) instead of failing.
LDLIBS    = $(shell pkg-config --libs gsl) \
            $(shell pkg-config --libs sqlite3 inih) -lpthread -lm
TEST_LIBS = $(shell pkg-config --libs cmocka sqlite3)
BUILD    ?= build

# The library: every .c of these folders (a new module is one file, no Makefile edit).
LIB_DIRS  = core store tasks model model/agents analysis jobs
LIB_SRC   = $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c))
CLI_SRC   = $(wildcard cli/*.c)
LIB_OBJ   = $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRC)) $(BUILD)/gen/schema.o
CLI_OBJ   = $(patsubst %.c,$(BUILD)/%.o,$(CLI_SRC))
TESTS     = $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/test_*.c))
BENCHES   = $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/bench_*.c))
TEST_HELP = $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/helpers/*.c) tests/fuzz/targets.c)

all: $(BUILD)/metarl

VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

$(BUILD)/cli/main.o: CPPFLAGS += -DMETARL_VERSION='"$(VERSION)"'
# main.o is rebuilt when the version changes (a commit, or edits making it
# -dirty): the file is rewritten only then, so its time stamp says so.
$(BUILD)/cli/main.o: $(BUILD)/version.txt
$(BUILD)/version.txt: FORCE
	@mkdir -p $(@D); echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' > $@
FORCE:

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

# test_noalloc counts every allocation made by the project's own code.
$(BUILD)/tests/test_noalloc: LDLIBS += -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc

deps:
	@cli/install-deps.sh

# Builds inside the targets below compile on every core (one job per core,
# unless the caller already runs make in parallel: then its jobserver rules).
NPROC    := $(shell nproc 2>/dev/null || echo 2)
PARALLEL  = $(if $(findstring jobserver,$(MAKEFLAGS)),,-j$(NPROC))

# The README's test command: unit tests (cmocka, one program per module) and
# the command-line tests, summed into one closing line.
test: deps
	@$(MAKE) --no-print-directory $(PARALLEL) build-tests
	@tests/run.sh $(BUILD)

build-tests: $(BUILD)/metarl $(TESTS) $(BUILD)/tests/torch_ref

check-asan:
	@$(MAKE) --no-print-directory test BUILD=build-asan \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"

check-valgrind: deps
	@$(MAKE) --no-print-directory $(PARALLEL) build-tests
	@METARL_VALGRIND=1 tests/run.sh $(BUILD)

# Crash, signal, storage-fault and NaN tests through the real binary (slower
# than `make test`; CI runs them).
check-reliability: deps
	@$(MAKE) --no-print-directory $(PARALLEL) all
	@METARL_BIN=$(BUILD)/metarl sh tests/check_reliability.sh

# The network's science targets, measured over 5 seeds per task (about 20
# minutes on 2 cores); a Markdown table goes to results/targets/targets.md.
targets: deps
	@$(MAKE) --no-print-directory $(PARALLEL) all
	@METARL_BIN=$(BUILD)/metarl bash tests/experiment_targets.sh

# Benchmarks (not tests): speed and the measured tables of the README.
bench: deps
	@$(MAKE) --no-print-directory $(PARALLEL) $(BUILD)/metarl $(BENCHES) $(BUILD)/tests/torch_ref
	@for b in $(BENCHES); do echo "== $$b"; ./$$b || exit 1; done
	@echo "== tests/bench_record.sh"; BUILD=$(BUILD) sh tests/bench_record.sh
	@echo "== tests/bench_torch.sh"; BUILD=$(BUILD) sh tests/bench_torch.sh

demo: deps
	@$(MAKE) --no-print-directory $(PARALLEL) all
	@cli/demo.sh $(BUILD)/metarl

# The notebooks (notebooks/*.ipynb), each executed headless from a fresh run
# on short settings (METARL_NOTEBOOK_QUICK=1); the executed copies, with their
# outputs, go to $(BUILD)/notebooks/ (the notebooks themselves stay clean).
NOTEBOOK_TIMEOUT ?= 900
notebooks:
	@cli/install-deps.sh jupyter-nbconvert python3-ipykernel python3-numpy
	@$(MAKE) --no-print-directory $(PARALLEL) all
	@mkdir -p $(BUILD)/notebooks
	@for nb in notebooks/*.ipynb; do \
	  echo "== $$nb"; \
	  METARL_NOTEBOOK_QUICK=1 METARL_NOTEBOOK_DIR=$(abspath $(BUILD))/notebooks/work PYDEVD_DISABLE_FILE_VALIDATION=1 \
	  timeout $(NOTEBOOK_TIMEOUT) /usr/bin/python3 -m nbconvert --to notebook --execute \
	    --ExecutePreprocessor.timeout=$(NOTEBOOK_TIMEOUT) --output-dir $(BUILD)/notebooks $$nb || exit 1; \
	done
	@echo "executed notebooks: $(BUILD)/notebooks/"

# Fuzzing (libFuzzer, clang): each parser for FUZZ_SECONDS. New inputs go to
# build-fuzz/corpus; crashes to tests/fuzz/crashes (fix, then move them into
# tests/fuzz/corpus, which `make test` replays).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS  = config import store rates
FUZZ_FLAGS    = -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
fuzz: deps
	@command -v clang >/dev/null || cli/install-deps.sh clang libclang-rt-14-dev
	@$(MAKE) --no-print-directory $(PARALLEL) BUILD=build-fuzz CC=clang CFLAGS="$(FUZZ_FLAGS)" \
	  build-fuzz/libmetarl.a build-fuzz/tests/fuzz/targets.o
	@mkdir -p tests/fuzz/crashes
	@for t in $(FUZZ_TARGETS); do \
	  clang $(FUZZ_FLAGS) -fsanitize=fuzzer -I. -DFUZZ_TARGET=fuzz_$$t tests/fuzz/fuzz_main.c \
	    build-fuzz/tests/fuzz/targets.o build-fuzz/libmetarl.a $(LDLIBS) -o build-fuzz/fuzz_$$t || exit 1; \
	  mkdir -p build-fuzz/corpus/$$t; \
	  echo "== fuzz_$$t for $(FUZZ_SECONDS) s"; \
	  build-fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix=tests/fuzz/crashes/$$t- build-fuzz/corpus/$$t tests/fuzz/corpus/$$t \
	    2>build-fuzz/fuzz_$$t.log || { tail -40 build-fuzz/fuzz_$$t.log; exit 1; }; \
	  grep -E "stat::number_of_executed_units|stat::new_units_added" build-fuzz/fuzz_$$t.log; \
	done

# MPI build (Open MPI, installed here by its Debian packages): build-mpi/metarl,
# compiled with mpicc and -DMETARL_MPI, for `mpirun -n K build-mpi/metarl
# sweep|train ...` (cli/mpi_util.h). The default build never needs MPI.
MPI_BUILD  = build-mpi
MPI_DEPS   = openmpi-bin libopenmpi-dev
$(MPI_BUILD)/%.o: CPPFLAGS += -DMETARL_MPI

mpi:
	@cli/install-deps.sh $(MPI_DEPS)
	@$(MAKE) --no-print-directory $(PARALLEL) BUILD=$(MPI_BUILD) CC=mpicc $(MPI_BUILD)/metarl

# MPI tests (mpirun -n 2 on this machine): data-parallel training against
# `metarl train --workers 2`, a 2-rank sweep merged into one store.
check-mpi: deps
	@cli/install-deps.sh $(MPI_DEPS)
	@$(MAKE) --no-print-directory $(PARALLEL) all
	@$(MAKE) --no-print-directory $(PARALLEL) BUILD=$(MPI_BUILD) CC=mpicc $(MPI_BUILD)/metarl
	@METARL_BIN=$(BUILD)/metarl METARL_MPI_BIN=$(MPI_BUILD)/metarl sh tests/check_mpi.sh

clean:
	rm -rf build build-asan build-fuzz build-mpi

.PHONY: FORCE all deps test build-tests check-asan check-valgrind check-reliability demo clean fuzz bench notebooks targets \
        mpi check-mpi
.SECONDARY:
.DELETE_ON_ERROR:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
