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
