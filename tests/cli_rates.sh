#!/bin/sh
# tests/cli_rates.sh: test.activity = float16 (--activity float16) through the real binary: a float16
# test stores 2 bytes a rate and its format in the run's configuration, its
# rates export within half-precision error of a float32 test of the same
# network (the default, 4 bytes a rate), and a bad format is refused (exit 2,
# one line naming the option, nothing written).
. tests/lib_cli.sh
cd "$WORK" || exit 1
"$BIN" train --hidden 8 --batch 8 --trials 20 --episodes 64 --seed 3 --db r.db --quiet > /dev/null || not_ok "train"
cp r.db h.db
"$BIN" test --db r.db --episodes 5 --agents none --quiet > /dev/null
"$BIN" test --db h.db --episodes 5 --agents none --activity float16 --quiet > /dev/null
per_rate() { sqlite3 "$1" "SELECT sum(length(rates)) / sum(n_trials * n_units) FROM activity"; }
[ "$(per_rate r.db)" = 4 ] && [ "$(per_rate h.db)" = 2 ] && ok "float32 by default, float16 on request: 4 and 2 bytes a rate" \
    || not_ok "bytes per rate" "$(per_rate r.db) $(per_rate h.db)"
sqlite3 h.db "SELECT config FROM runs WHERE kind = 'test'" | grep -q '^activity *= *float16' \
    && ok "the format is stored with the run (runs.config)" || not_ok "format in runs.config"
"$BIN" export r.db --format activity --output a32.csv > /dev/null 2>&1 && "$BIN" export h.db --format activity --output a16.csv > /dev/null 2>&1
awk -F, 'NR == FNR { a[FNR] = $6; next } FNR > 1 { x = a[FNR]; d = x - $6; if (d < 0) d = -d; t = (x < 0 ? -x : x) / 2048; if (t < 3e-8) t = 3e-8; if (d > t) bad++ } END { exit bad > 0 || FNR < 2 }' a32.csv a16.csv \
    && ok "float16 rates export within half-precision error of float32" || not_ok "float16 export" "$(head -3 a16.csv)"
cp r.db bad.db
before=$(sqlite3 bad.db "SELECT count(*) FROM runs")
out=$("$BIN" test --db bad.db --episodes 5 --activity half 2>&1)
rc=$?
[ $rc = 2 ] && [ "$(echo "$out" | wc -l)" = 1 ] && echo "$out" | grep -q activity \
    && [ "$(sqlite3 bad.db "SELECT count(*) FROM runs")" = "$before" ] && ok "a bad format: exit 2, one line, nothing written" \
    || not_ok "bad format" "rc $rc" "$out"
finish
