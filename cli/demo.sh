#!/bin/sh
# The main job on built-in defaults (`make demo`): reference agents on both
# tasks, a prefrontal network meta-trained on the two-armed bandit, its
# frozen-weight test beside the reference agents, all in one SQLite store.
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

echo "== meta-training the prefrontal network on the independent bandit (data/configs/bandit.ini)"
"$BIN" train --config data/configs/bandit.ini --db "$DB"

echo "== frozen-weight test on fresh instances"
"$BIN" test --db "$DB"

echo
"$BIN" info "$DB"
echo
echo "outputs: $DB (SQLite; schema in data/schema.sql)"
