# tests/lib_cli.sh: TAP helpers for the command-line test scripts (sourced).
# METARL_BIN names the binary (tests/run.sh sets it).
BIN=${METARL_BIN:-build/metarl}
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac
CONFIGS=$PWD/data/configs
N_TEST=0
N_FAIL=0
WORK=$(mktemp -d /tmp/metarl-cli-XXXXXX)
trap 'rm -rf "$WORK"' EXIT

ok() { N_TEST=$((N_TEST + 1)); echo "ok $N_TEST - $1"; }
not_ok() { N_TEST=$((N_TEST + 1)); N_FAIL=$((N_FAIL + 1)); echo "not ok $N_TEST - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
check() {   # description, then a command that must succeed
    d=$1; shift
    if "$@" >/dev/null 2>&1; then ok "$d"; else not_ok "$d" "failed: $*"; fi
}
finish() { echo "1..$N_TEST"; [ "$N_FAIL" -eq 0 ]; }
# json_get JSON PATH: a value from a JSON text, through SQLite's JSON functions
json_get() { sqlite3 :memory: "SELECT json_extract(CAST(x'$(printf '%s' "$1" | od -An -tx1 | tr -d ' \n')' AS TEXT), '$2')"; }
# small_grid FILE EPISODES TRIALS: a sweep grid of 2 seeds over a tiny bandit
# network, trained then tested; the caller appends what it varies.
small_grid() {
    printf '%s\n' "[sweep]" "config = $CONFIGS/bandit.ini" "steps = train, test" "name = g" \
        "[run]" "seed = 1, 2" "episodes = $2" "[model]" "hidden = 6" "[task]" "trials = $3" > "$1"
}
# refusals: run each row of a table on stdin, "what | expected text | args"
# (rows starting with # are comments), as `$BIN args` in the current folder.
# Each must exit 2 with one line on stderr that starts with "metarl: " and
# contains the expected text, print nothing on stdout, and leave the folder
# as it was: `snapshot` (the caller's, or the default below) must not change.
snapshot() { find . -path ./io -prune -o -print | sort | cksum; }
refusals() {
    io=$(mktemp -d /tmp/metarl-io-XXXXXX)
    before=$(snapshot)
    while IFS='|' read -r what expect args; do
        [ -z "$what" ] && continue
        case "$what" in \#*) continue ;; esac
        eval "set -- $args"
        timeout 60 "$BIN" "$@" > "$io/out.txt" 2> "$io/err.txt"   # a hang (reading /dev/zero) fails, not blocks
        rc=$?
        after=$(snapshot)
        what=$(echo "$what" | sed 's/ *$//')
        expect=$(echo "$expect" | sed 's/^ *//; s/ *$//')
        err=$(cat "$io/err.txt")
        if [ "$rc" -ne 2 ]; then not_ok "$what: exit status 2" "got $rc; stderr: $err"
        elif [ "$(wc -l < "$io/err.txt")" -ne 1 ]; then not_ok "$what: one line on stderr" "$err"
        elif ! grep -q '^metarl: ' "$io/err.txt"; then not_ok "$what: message starts with metarl:" "$err"
        elif ! grep -qF -- "$expect" "$io/err.txt"; then not_ok "$what: names '$expect'" "$err"
        elif [ -s "$io/out.txt" ]; then not_ok "$what: nothing on stdout" "$(cat "$io/out.txt")"
        elif [ "$before" != "$after" ]; then not_ok "$what: no file created or changed" "$(ls -la)"
        else ok "$what: exit 2, '$err'"
        fi
        before=$(snapshot)
    done
    rm -rf "$io"
}
