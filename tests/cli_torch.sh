#!/bin/sh
# tests/cli_torch.sh: the C gradients against PyTorch autograd (TAP).
#
# tests/torch/grad_check.py replays episodes recorded by tests/torch_ref (the
# C network, A2C loss, optimizers and trainer) in the independent PyTorch
# implementation tests/torch/metarl_torch.py and compares forward values,
# loss, every gradient, optimizer steps and trainer updates to 1e-9 relative
# (1e-8 after several optimizer steps); one TAP line per configuration. Needs
# Debian's python3-torch under /usr/bin/python3: without it, one skipped test.
. tests/lib_cli.sh
PY=/usr/bin/python3
BUILD=$(dirname "$BIN")
REF="$BUILD/tests/torch_ref"

if ! [ -x "$PY" ] || ! "$PY" -c 'import torch' >/dev/null 2>&1; then
    N_TEST=$((N_TEST + 1))
    echo "ok $N_TEST - # SKIP python3-torch not installed"
    finish
    exit
fi
# (re)build the C helper if it is missing or out of date; with `make check-asan`
# the sanitizer flags reach this make through MAKEFLAGS
if ! ${MAKE:-make} --no-print-directory BUILD="$BUILD" "$REF" >"$WORK/make.log" 2>&1 || ! [ -x "$REF" ]; then
    not_ok "build $REF" "$(tail -n 5 "$WORK/make.log")"
    finish
    exit
fi
OMP_NUM_THREADS=1 "$PY" tests/torch/grad_check.py --ref "$REF" >"$WORK/out" 2>"$WORK/err"
rc=$?
while IFS= read -r line; do
    case "$line" in
    PASS*) ok "${line#PASS	}" ;;
    FAIL*) not_ok "${line#FAIL	}" ;;
    *) echo "$line" ;;
    esac
done <"$WORK/out"
if [ "$rc" -ne 0 ] && ! grep -q '^FAIL' "$WORK/out"; then
    not_ok "grad_check.py exited with status $rc" "$(tail -n 5 "$WORK/err")"
fi
finish
