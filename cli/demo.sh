#!/bin/sh
# The main job on built-in defaults (`make demo`): reference agents on both
# tasks, a prefrontal network meta-trained on the two-armed bandit, its
# frozen-weight test beside the reference agents, all in one SQLite store;
# then `metarl report` draws every figure of every run into $OUT/report.
set -eu
BIN=${1:-build/metarl}
OUT=${METARL_DEMO_DIR:-results}
DB="$OUT/demo.db"
mkdir -p "$OUT"
rm -f "$DB" "$DB-wal" "$DB-shm"

echo "== reference agents (2000 episodes each)"
for agent in bayes thompson; do
    "$BIN" baseline --task bandit --agent "$agent" --episodes 2000 --db "$DB" --quiet
done
for agent in observer wsls; do
    "$BIN" baseline --task reversal --agent "$agent" --episodes 2000 --db "$DB" --quiet
done

# Two worker threads share each batch (synchronous A2C): about twice as fast
# on two cores. The weights depend on the worker count, never on the machine.
echo "== meta-training the prefrontal network on the independent bandit (data/configs/bandit.ini, 2 workers)"
"$BIN" train --config data/configs/bandit.ini --workers 2 --db "$DB"

echo "== frozen-weight test on fresh instances"
"$BIN" test --db "$DB"

echo
"$BIN" info "$DB"

echo
echo "== report: every figure of every run, and the test beside its reference agents (gnuplot)"
"$BIN" report "$DB" --output "$OUT/report"

echo
echo "outputs:"
printf '  %-28s %s\n' "$DB" "every run, episode and trial (SQLite; schema: data/schema.sql; list: $BIN info $DB)" \
    "$OUT/report/index.html" "the report: open it in a browser (figures, captions, key numbers)" \
    "$OUT/report/run*/" "each figure's .png, its data (.dat) and gnuplot script (.gp): edit the" \
    "" "script, then run \`gnuplot FIG.gp\` in that folder to redraw it"
echo "more: \`$BIN analyze $DB\` (tables, TSV files), \`$BIN plot KIND $DB --output FIG.png\` (one figure),"
echo "      notebooks/*.ipynb (\`make notebooks\` runs them)"
