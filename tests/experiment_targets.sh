#!/bin/bash
# tests/experiment_targets.sh (make targets): the network's science targets,
# measured. For each shipped config (independent bandit, dependent bandit,
# reversal) and each of SEEDS training seeds: `metarl train` (wall time from
# its JSON), then `metarl test` with frozen weights on TEST_EPISODES fresh
# instances beside the reference agents (same instances). Prints a Markdown
# table per task (each seed, then the median) and writes it to OUT.
#
#   SEEDS="1 2 3 4 5" JOBS=2 TEST_EPISODES=2000 bash tests/experiment_targets.sh
#
# JOBS trainings run at once (this machine has 2 cores; each training uses
# one). An experiment, not a test: it takes about 20 minutes with JOBS=2.
set -eu
BIN=${METARL_BIN:-build/metarl}
SEEDS=${SEEDS:-1 2 3 4 5}
JOBS=${JOBS:-2}
TEST_EPISODES=${TEST_EPISODES:-2000}
CONFIGS=${CONFIGS:-bandit dependent reversal}
EXTRA_TRAIN=${EXTRA_TRAIN:-}   # e.g. "--episodes 3000" for a quick try
DIR=${DIR:-results/targets}
OUT=${OUT:-$DIR/targets.md}
mkdir -p "$DIR"
json_get() { sqlite3 :memory: "SELECT json_extract(CAST(x'$(printf '%s' "$1" | od -An -tx1 | tr -d ' \n')' AS TEXT), '$2')"; }

one() {   # config seed
    db="$DIR/$1-seed$2.db"
    rm -f "$db" "$db-wal" "$db-shm"
    "$BIN" train --config "data/configs/$1.ini" --seed "$2" --db "$db" --quiet --json $EXTRA_TRAIN > "$DIR/$1-seed$2.train.json"
    "$BIN" test --db "$db" --episodes "$TEST_EPISODES" --quiet --json > "$DIR/$1-seed$2.test.json"
}

# run JOBS at a time
running=0
for cfg in $CONFIGS; do
    for seed in $SEEDS; do
        echo "training $cfg seed $seed" >&2
        one "$cfg" "$seed" &
        running=$((running + 1))
        if [ "$running" -ge "$JOBS" ]; then wait -n 2>/dev/null || wait; running=$((running - 1)); fi
    done
done
wait

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
{
echo "### Frozen-weight network vs reference agents ($TEST_EPISODES test episodes per seed; $(date -u +%Y-%m-%d))"
for cfg in $CONFIGS; do
    echo
    first=$(echo "$SEEDS" | awk '{ print $1 }')
    refs=$(sqlite3 :memory: "SELECT group_concat(json_extract(value, '\$.agent'), ' ') FROM json_each(json_extract(readfile('$DIR/$cfg-seed$first.test.json'), '\$.reference'))")
    key=regret
    [ "$cfg" = reversal ] && key=p_best
    printf '%s (data/configs/%s.ini), %s\n\n' "$cfg" "$cfg" "$key"
    printf '| seed | train episodes | train wall s | steps/s | network |'
    for r in $refs; do printf ' %s |' "$r"; done
    printf '\n|---|---|---|---|---|'
    for r in $refs; do printf -- '---|'; done
    printf '\n'
    : > "$DIR/$cfg.net"; : > "$DIR/$cfg.wall"
    for r in $refs; do : > "$DIR/$cfg.$r"; done
    for seed in $SEEDS; do
        tj=$(cat "$DIR/$cfg-seed$seed.train.json"); sj=$(cat "$DIR/$cfg-seed$seed.test.json")
        net=$(json_get "$sj" "\$.$key"); se=$(json_get "$sj" "\$.${key}_se")
        wall=$(json_get "$tj" '$.wall_s')
        echo "$net" >> "$DIR/$cfg.net"; echo "$wall" >> "$DIR/$cfg.wall"
        printf '| %s | %s | %.0f | %.0f | %.3f ± %.3f |' "$seed" "$(json_get "$tj" '$.episodes')" "$wall" \
            "$(json_get "$tj" '$.steps_per_s')" "$net" "$se"
        i=0
        for r in $refs; do
            v=$(json_get "$sj" "\$.reference[$i].$key"); i=$((i + 1))
            echo "$v" >> "$DIR/$cfg.$r"
            printf ' %.3f |' "$v"
        done
        printf '\n'
    done
    printf '| **median** | | %.0f | | **%.3f** |' "$(median < "$DIR/$cfg.wall")" "$(median < "$DIR/$cfg.net")"
    for r in $refs; do printf ' %.3f |' "$(median < "$DIR/$cfg.$r")"; done
    printf '\n'
done
} | tee "$OUT"
echo "written to $OUT" >&2
