#!/bin/sh
# tests/cli_python.sh: the Python loader (notebooks/metarl.py) on a store
# made here: a baseline, a small network trained and tested with its unit
# rates. Runs with the system's Python 3 (standard library; NumPy if there).
. tests/lib_cli.sh
SRC=$PWD
PY=$(command -v python3 || true)
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
if [ -z "$PY" ]; then echo "ok 1 - Python loader # SKIP no python3"; exit 0; fi
cd "$WORK" || exit 1
"$BIN" baseline --episodes 5 --db s.db --quiet > /dev/null
"$BIN" train --episodes 64 --hidden 6 --batch 8 --trials 20 --db s.db --quiet > /dev/null
"$BIN" test --db s.db --episodes 6 --agents none --quiet > /dev/null
"$BIN" test --db s.db --episodes 6 --agents none --activity float16 --quiet > /dev/null   # the same rates, 2 bytes each
"$BIN" test --db s.db --episodes 6 --agents none --activity sparse --quiet > /dev/null    # the same rates, zeros left out
# a network with time within a trial, every step stored (float32, float16, sparse)
"$BIN" train --episodes 16 --hidden 6 --batch 8 --trials 10 --set model.epochs=1,1,2,1 --db steps.db --quiet > /dev/null
"$BIN" test --db steps.db --episodes 3 --agents none --set test.activity_steps=all --quiet > /dev/null
"$BIN" test --db steps.db --episodes 3 --agents none --activity float16 --set test.activity_steps=all --quiet > /dev/null
"$BIN" test --db steps.db --episodes 3 --agents none --activity sparse --set test.activity_steps=all --quiet > /dev/null
exec "$PY" "$SRC/tests/test_loader.py" s.db steps.db
