#!/bin/sh
# Run every test program and command-line test script; sum their TAP lines
# ("ok N - name" / "not ok N - name") into one closing line:
#     N passed, N failed
# Exit status 1 if anything failed or a program crashed.
# METARL_VALGRIND=1 runs the unit-test programs under valgrind's memcheck
# (METARL_JOBS at a time, default 2).
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
    printf '%-28s %4d passed %3d failed %3d skipped  (%ss)\n' "$name" "$p" "$f" "$k" "$(( $(date +%s) - start ))"
    if [ "$f" -ne 0 ]; then
        grep -E '^not ok|^# ' "$tmp/out" | head -40
        tail -n 20 "$tmp/err"
    fi
}

# Under valgrind (some 50 times slower) the programs run two at a time, one
# per core, into files of their own; their lines are then summed in order.
if [ -n "$METARL_VALGRIND" ]; then
    mkdir -p "$tmp/vg"
    for t in "$BUILD"/tests/test_*; do
        [ -x "$t" ] || continue
        case "$t" in *.o|*.d) continue ;; esac
        echo "$t"
    done | xargs -P "${METARL_JOBS:-2}" -I{} sh -c 'n=$(basename "$1"); s=$(date +%s);
        valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect "$1" \
            > "$2/$n.out" 2> "$2/$n.err"; echo $? > "$2/$n.rc"; echo $(( $(date +%s) - s )) > "$2/$n.s"' _ {} "$tmp/vg"
fi
replay() { cat "$tmp/vg/$1.out"; cat "$tmp/vg/$1.err" >&2; return "$(cat "$tmp/vg/$1.rc")"; }
for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    case "$t" in *.o|*.d) continue ;; esac
    if [ -n "$METARL_VALGRIND" ]; then
        run_one "$(basename "$t") ($(cat "$tmp/vg/$(basename "$t").s")s)" replay "$(basename "$t")"
    else
        run_one "$(basename "$t")" "$t"
    fi
done
if [ -z "$METARL_VALGRIND" ]; then
    for s in tests/cli_*.sh; do
        [ -f "$s" ] || continue
        run_one "$(basename "$s")" sh "$s"
    done
else
    run_one valgrind_cli.sh sh tests/valgrind_cli.sh
fi
[ -n "$crashed" ] && echo "crashed or exited non-zero:$crashed"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
