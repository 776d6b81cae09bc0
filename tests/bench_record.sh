#!/bin/sh
# tests/bench_record.sh: what storing every trial's unit rates costs `metarl
# test` (part of `make bench`; not a test). Trains a network briefly, then
# times `metarl test` on the same 2000 episodes with test.activity = true and
# false, REPS times each, and prints the best time of each and the overhead:
# with agents = none (no reference agents: the network's own work is the
# whole cost) and agents = auto (as `metarl test` runs by default, beside the
# reference agents on the same instances).
#
#     sh tests/bench_record.sh [hidden units ...]       (default: 48 96 256)
#
# BUILD names the build folder (default: build). Issue target: <= 25%.
BUILD=${BUILD:-build}
BIN=$PWD/$BUILD/metarl
REPS=${REPS:-3}
EPISODES=${EPISODES:-2000}
[ -x "$BIN" ] || ${MAKE:-make} --no-print-directory "$BUILD/metarl" > /dev/null || exit 1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/metarl-bench-record.XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT
now() { date +%s.%N; }
best_time() {   # activity(true|false) db agents: the best wall time of REPS tests, each into a fresh copy of db
    best=""
    i=0
    while [ $i -lt "$REPS" ]; do
        rm -f "$WORK"/t.db*
        cp "$2" "$WORK/t.db"
        t0=$(now)
        "$BIN" test --db "$WORK/t.db" --episodes "$EPISODES" --agents "$3" --activity "$1" --quiet > /dev/null || exit 1
        best=$(awk -v t0="$t0" -v t1="$(now)" -v b="$best" 'BEGIN { t = t1 - t0; print (b == "" || t < b) ? t : b }')
        i=$((i + 1))
    done
    echo "$best"
}
printf 'Recording cost: metarl test, %s episodes x 100 trials, independent bandit;\n' "$EPISODES"
printf 'best of %s runs each; "with rates" stores every trial'"'"'s unit rates (table activity).\n\n' "$REPS"
printf '| N | agents | trials only (s) | with rates (s) | overhead | rates stored (MB) |\n|---:|---|---:|---:|---:|---:|\n'
for n in ${*:-48 96 256}; do
    db="$WORK/n$n.db"
    "$BIN" train --hidden "$n" --episodes 1600 --set run.record_every=0 --db "$db" --quiet > /dev/null || exit 1
    for agents in none auto; do
        off=$(best_time false "$db" $agents)
        on=$(best_time true "$db" $agents)
        mb=$(sqlite3 "$WORK/t.db" "SELECT printf('%.1f', sum(length(rates)) / 1e6) FROM activity")
        printf '| %s | %s | %.3f | %.3f | %+.1f%% | %s |\n' "$n" "$agents" "$off" "$on" \
            "$(awk -v a="$off" -v b="$on" 'BEGIN { print 100 * (b - a) / a }')" "$mb"
    done
done
