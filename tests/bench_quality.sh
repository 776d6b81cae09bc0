#!/bin/sh
# tests/bench_quality.sh: time to quality, the bench row of issue 14. Not run by
# `make test` or `make bench` (about 5 seeds x 2 precisions x up to 800,000
# episodes: tens of minutes on a busy machine).
#
# For each seed and precision, trains the shipped bandit config
# (data/configs/bandit.ini: N 96, B 16, RMSProp, lr and beta_e annealed over
# run.episodes) on 2 cores (train.workers = 2) through `torch_ref ttt`
# (model/trainer.c; every EVERY episodes the frozen weights are tested on the
# same test instances `metarl test` uses, tests/torch_ref.c), and reports the
# training wall time (tests excluded) until the frozen regret@100 first falls
# below Thompson sampling's 2.77 on those instances, and below 2.5; then the
# median over the seeds. A seed that never gets there within run.episodes is
# reported as such (its time is a lower bound, and the median says so).
#
#     sh tests/bench_quality.sh                       5 seeds, double and single
#     SEEDS="1 2" PRECISIONS=single EVERY=20000 sh tests/bench_quality.sh
#     SET="--set run.episodes=300000" sh tests/bench_quality.sh   (another schedule)
#     CONFIG=data/configs/bandit_fast.ini PRECISIONS=single EVERY=5000 sh tests/bench_quality.sh
#                                     (the config tuned for time to quality: README "Speed")
#
# "train s" is wall time, "CPU s" the process's CPU time over the same training
# steps (all threads: on a busy machine the steadier of the two).
#
# BUILD names the build folder (default: build); torch_ref is built if missing.
BUILD=${BUILD:-build}
SEEDS=${SEEDS:-"1 2 3 4 5"}
PRECISIONS=${PRECISIONS:-"double single"}
EVERY=${EVERY:-20000}
CONFIG=${CONFIG:-data/configs/bandit.ini}
THOMPSON=2.77
GOOD=2.5
REF=$BUILD/tests/torch_ref
[ -x "$REF" ] || ${MAKE:-make} --no-print-directory BUILD="$BUILD" "$REF" >/dev/null || exit 1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/metarl-quality-XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT INT TERM

# first_below FILE R: "episode train_s train_cpu_s regret" of the first test line below R, else "- - - -"
first_below() {
    sed -n 's/.*"episode":\([0-9]*\),"train_s":\([0-9.]*\),"train_cpu_s":\([0-9.]*\),.*"regret":\([0-9.na-]*\),.*/\1 \2 \3 \4/p' "$1" |
        awk -v r="$2" '$4 + 0 < r + 0 { print; found = 1; exit } END { if (!found) print "- - - -" }'
}
# median of the numbers on stdin ("-" = not reached: counted as +infinity)
median() {
    sed 's/^-$/inf/' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit }
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
        print (m == "inf" || m + 0 > 1e300) ? "not reached" : m }'
}

echo "Time to quality: $CONFIG, train.workers = 2, frozen-weight regret@100 tested every $EVERY"
echo "episodes on the test instances (tests not timed); Thompson sampling $THOMPSON on them."
echo
echo "| precision | seed | episodes to < $THOMPSON | train s | CPU s | regret | episodes to < $GOOD | train s | CPU s | regret | last regret |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for p in $PRECISIONS; do
    : > "$TMP/t_$p"
    : > "$TMP/g_$p"
    : > "$TMP/e_$p"
    : > "$TMP/c_$p"
    for s in $SEEDS; do
        out=$TMP/run_${p}_$s
        # shellcheck disable=SC2086
        "$REF" ttt --config "$CONFIG" --set run.seed="$s" --set train.workers=2 --set model.precision="$p" \
            $SET --every "$EVERY" --target "$GOOD" > "$out" || echo "bench_quality: $p seed $s failed" >&2
        set -- $(first_below "$out" $THOMPSON)
        e1=$1 t1=$2 c1=$3 r1=$4
        set -- $(first_below "$out" $GOOD)
        e2=$1 t2=$2 c2=$3 r2=$4
        last=$(tail -n 1 "$out" | sed -n 's/.*"regret":\([0-9.]*\),.*/\1/p')
        echo "| $p | $s | $e1 | $t1 | $c1 | $r1 | $e2 | $t2 | $c2 | $r2 | $last |"
        echo "$t1" >> "$TMP/t_$p"
        echo "$t2" >> "$TMP/g_$p"
        echo "$e1" >> "$TMP/e_$p"
        echo "$c1" >> "$TMP/c_$p"
    done
    echo "| $p | median | $(median < "$TMP/e_$p") | $(median < "$TMP/t_$p") | $(median < "$TMP/c_$p") | | | $(median < "$TMP/g_$p") | | | |"
done
