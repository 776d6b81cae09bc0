#!/bin/sh
# Run every test program and command-line test script; sum their TAP lines
# ("ok N - name" / "not ok N - name") into one closing line:
#     N passed, N failed
# Exit status 1 if anything failed or a program crashed.
# METARL_VALGRIND=1 runs the unit-test programs under valgrind's memcheck.
# METARL_JOBS entries run at a time (default 2).
BUILD=${1:-build}
export METARL_BIN="$BUILD/metarl"
export CMOCKA_MESSAGE_OUTPUT=TAP
pass=0; fail=0; skip=0; crashed=""
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

run_one() {   # name, command...
    name=$1; shift
    start=$(date +%s)
    "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
    k=$(grep -c '^ok .*# SKIP' "$tmp/out")
    p=$(( $(grep -c '^ok ' "$tmp/out") - k )); f=$(grep -c '^not ok ' "$tmp/out")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; crashed="$crashed $name"; fi
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + k))
    secs=$(cat "$tmp/run/$name.s" 2>/dev/null || echo "?")
    printf '%-28s %4d passed %3d failed %3d skipped  (%ss)\n' "$name" "$p" "$f" "$k" "$secs"
    if [ "$f" -ne 0 ]; then
        grep -E '^not ok|^# ' "$tmp/out" | head -40
        tail -n 20 "$tmp/err"
    fi
}

# The entries: every unit-test program, then the command-line scripts (under
# valgrind: the programs, then tests/valgrind_cli.sh). The statistical
# programs that take seconds natively (test_fit, test_behavior,
# test_volatility_fit, test_bayes: simulated regret over thousands of
# episodes) would take minutes under valgrind: there they run natively, and
# check-asan covers their memory errors.
VG_NATIVE=" test_fit test_behavior test_volatility_fit test_bayes "
entries() {
    for t in "$BUILD"/tests/test_*; do
        [ -x "$t" ] || continue
        case "$t" in *.o|*.d) continue ;; esac
        echo "$t"
    done
    if [ -z "$METARL_VALGRIND" ]; then
        for s in tests/cli_*.sh; do [ -f "$s" ] && echo "$s"; done
    else
        echo tests/valgrind_cli.sh
    fi
}
# Each entry runs in the background, METARL_JOBS at a time (default 2, one per
# core), into files of its own (every script works in its own temporary
# folder); their lines are then summed in order.
mkdir -p "$tmp/run"
export METARL_VALGRIND VG_NATIVE
entries | xargs -P "${METARL_JOBS:-2}" -I{} sh -c 'n=$(basename "$1"); s=$(date +%s);
    case "$1" in
    *.sh) sh "$1" ;;
    *) if [ -n "$METARL_VALGRIND" ] && [ "${VG_NATIVE#* $n }" = "$VG_NATIVE" ]; then
           valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect "$1"
       else "$1"; fi ;;
    esac > "$2/$n.out" 2> "$2/$n.err"; echo $? > "$2/$n.rc"; echo $(( $(date +%s) - s )) > "$2/$n.s"' _ {} "$tmp/run"
replay() { cat "$tmp/run/$1.out"; cat "$tmp/run/$1.err" >&2; return "$(cat "$tmp/run/$1.rc" 2>/dev/null || echo 1)"; }
for e in $(entries); do
    n=$(basename "$e")
    run_one "$n" replay "$n"
done
[ -n "$crashed" ] && echo "crashed or exited non-zero:$crashed"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
