#!/bin/sh
# tests/bench_torch.sh: metarl against the same network, task and A2C in PyTorch.
#
# Part of `make bench` (not a test). Prints, for B in {1, 16} and N in {48, 256}
# on the independent bandit (T = 100), the training steps per second of
# `metarl train` and of tests/torch/metarl_torch.py, one thread each, their
# ratio, flops per step and GFLOP/s against one core's peak; see
# tests/torch/bench_torch.py for what is measured and how. About 2.5 minutes.
#
#     sh tests/bench_torch.sh [bench_torch.py options]     e.g. --seconds 5
#     sh tests/bench_torch.sh --ttt                       time to the regret target
#
# Needs Debian's python3-torch under /usr/bin/python3 (the python3 first on
# PATH may be another one); without it the benchmark says so and is skipped.
# BUILD names the build folder (default: build); missing programs are built.
BUILD=${BUILD:-build}
PY=/usr/bin/python3
if ! [ -x "$PY" ] || ! "$PY" -c 'import torch' >/dev/null 2>&1; then
    echo "bench_torch: skipped: python3-torch not installed (apt-get install python3-torch)"
    exit 0
fi
for p in "$BUILD/metarl" "$BUILD/tests/torch_ref"; do
    [ -x "$p" ] || ${MAKE:-make} --no-print-directory BUILD="$BUILD" "$p" >/dev/null || exit 1
done
# One thread everywhere: torch (OpenMP/MKL); metarl is single-threaded per worker (GSL's own CBLAS).
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
exec "$PY" tests/torch/bench_torch.py --metarl "$BUILD/metarl" --ref "$BUILD/tests/torch_ref" "$@"
