#!/bin/sh
# tests/bench_record.sh: what storing every trial's unit rates costs `metarl
# test` (part of `make bench`; not a test). Trains a network briefly, then
# times `metarl test` on the same 2000 episodes with test.activity = true and
# false, REPS times each (alternating), and prints the best time of each and the overhead:
# with agents = none (no reference agents: the network's own work is the
# whole cost) and agents = auto (as `metarl test` runs by default, beside the
# reference agents on the same instances), for each rate format
# (test.activity = true, i.e. float32, the default, and float16). Also printed:
# the overhead in CPU time (user + system, all threads), which a busy
# machine disturbs less than wall time: with both cores taken by other
# work, the writer thread's CPU time shows in the wall time in full.
#
#     sh tests/bench_record.sh [hidden units ...]       (default: 48 96 256)
#
# BUILD names the build folder (default: build); BIN the program (default
# $BUILD/metarl); FORMATS and AGENTS the lists to run (default "float32
# float16" and "none auto"). Issue target: <= 25%.
#
# Per-step rates (table activity_steps, test.activity_steps = all) of a
# network with time within a trial:
#     CONFIG=data/configs/bandit_leaky.ini STEPS=all sh tests/bench_record.sh 96
# CONFIG is the training config (the network is trained TRAIN_EPISODES,
# default 1600, episodes from it), STEPS the test.activity_steps of the runs
# with rates (default choice: the choice step of each trial only); the MB
# column then counts both tables.
#
# A network trained to the end has other rates than one trained 1600
# episodes (a trained relu network's are 74% exact zeros, which is what
# test.activity = sparse leaves out): NET=FILE tests the newest training run
# of that store (copied, never changed) instead of training one, e.g. the
# demo's network:
#     NET=results/demo.db FORMATS="float32 float16 sparse" AGENTS=none sh tests/bench_record.sh
BUILD=${BUILD:-build}
BIN=${BIN:-$PWD/$BUILD/metarl}
FORMATS=${FORMATS:-float32 float16}
AGENTS=${AGENTS:-none auto}
REPS=${REPS:-3}
EPISODES=${EPISODES:-2000}
TRAIN_EPISODES=${TRAIN_EPISODES:-1600}
STEPS=${STEPS:-choice}
[ -x "$BIN" ] || ${MAKE:-make} --no-print-directory "$BUILD/metarl" > /dev/null || exit 1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/metarl-bench-record.XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT
now() { date +%s.%N; }
one_time() {   # activity(true|false) db agents format: "wall cpu" of one test into a fresh copy of db (left in $WORK/t.db)
    rm -f "$WORK"/t.db*
    cp "$2" "$WORK/t.db"
    t0=$(now)
    fmt_set=""   # float32 is the default, and the only format of a metarl built before the option
    [ "$4" = float32 ] || fmt_set="--activity $4"
    [ "$1" = false ] || [ "$STEPS" = choice ] || fmt_set="$fmt_set --activity-steps $STEPS"
    # shellcheck disable=SC2086
    /usr/bin/env time -f '%U %S' -o "$WORK/cpu.txt" "$BIN" test --db "$WORK/t.db" --episodes "$EPISODES" --agents "$3" \
        --activity "$1" $fmt_set --quiet > /dev/null || exit 1
    awk -v t0="$t0" -v t1="$(now)" '{ print t1 - t0, $1 + $2 }' "$WORK/cpu.txt"
}
keep_best() {   # file "wall cpu": keep in file the smaller wall and the smaller CPU time
    if [ -s "$1" ]; then
        awk -v w="$2" -v c="$3" '{ print (w < $1 ? w : $1), (c < $2 ? c : $2) }' "$1" > "$1.new" && mv "$1.new" "$1"
    else
        echo "$2 $3" > "$1"
    fi
}
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.1f%%", 100 * (b - a) / a }'; }
printf 'Recording cost: metarl test, %s episodes x 100 trials, independent bandit;\n' "$EPISODES"
printf 'best of %s runs each; "with rates" stores every trial'"'"'s unit rates (table activity)' "$REPS"
[ "$STEPS" = choice ] && printf '.\n\n' || printf ' and every step'"'"'s (activity_steps = %s; trained from %s).\n\n' "$STEPS" "$CONFIG"
command -v time > /dev/null 2>&1 || [ -x /usr/bin/time ] || { echo "bench_record: skipped: needs /usr/bin/time (apt-get install time)"; exit 0; }
printf '| N | agents | format | trials only (s) | with rates (s) | overhead | CPU overhead | rates stored (MB) |\n'
printf '|---:|---|---|---:|---:|---:|---:|---:|\n'
sizes=${*:-48 96 256}
[ -z "$NET" ] || sizes=net
for n in $sizes; do
    db="$WORK/n$n.db"
    cfg_set=""
    [ -z "$CONFIG" ] || cfg_set="--config $CONFIG --workers 1"
    if [ -n "$NET" ]; then
        cp "$NET" "$db" || exit 1
        n=$(sqlite3 "$db" "SELECT config FROM runs WHERE kind = 'train' ORDER BY run_id DESC LIMIT 1" |
            awk -F' *= *' '/^\[/ { sec = $0 } sec == "[model]" && $1 == "hidden" { print $2 }')
        n="${n:-?} (trained)"
    else
        # shellcheck disable=SC2086
        "$BIN" train $cfg_set --hidden "$n" --episodes "$TRAIN_EPISODES" --set run.record_every=0 --db "$db" --quiet > /dev/null || exit 1
    fi
    for agents in $AGENTS; do
        # the runs alternate (without rates, then each format, REPS times), so
        # that a change in the machine's speed hits every variant alike
        rm -f "$WORK"/best.* "$WORK"/mb.*
        i=0
        while [ $i -lt "$REPS" ]; do
            # shellcheck disable=SC2046
            keep_best "$WORK/best.none" $(one_time false "$db" "$agents" float32)
            for fmt in $FORMATS; do
                # shellcheck disable=SC2046
                keep_best "$WORK/best.$fmt" $(one_time true "$db" "$agents" "$fmt")
                sqlite3 "$WORK/t.db" "SELECT printf('%.1f', ((SELECT coalesce(sum(length(rates)), 0) FROM activity) +
                    (SELECT coalesce(sum(length(rates)), 0) FROM activity_steps)) / 1e6)" > "$WORK/mb.$fmt"
            done
            i=$((i + 1))
        done
        # shellcheck disable=SC2046
        set -- $(cat "$WORK/best.none")
        off=$1 offc=$2
        for fmt in $FORMATS; do
            # shellcheck disable=SC2046
            set -- $(cat "$WORK/best.$fmt")
            printf '| %s | %s | %s | %.3f | %.3f | %s | %s | %s |\n' "$n" "$agents" "$fmt" "$off" "$1" \
                "$(pct "$off" "$1")" "$(pct "$offc" "$2")" "$(cat "$WORK/mb.$fmt")"
        done
    done
done
