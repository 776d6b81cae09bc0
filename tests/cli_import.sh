#!/bin/sh
# tests/cli_import.sh: `metarl import` of the two public data sets shipped in
# data/human, and their export back out.
. tests/lib_cli.sh
SRC=$PWD/data/human
cd "$WORK" || exit 1
j=$("$BIN" import "$SRC/hBayesDM_bandit2arm_exampleData.txt" --format hbayesdm --db d.db --json)
[ "$(json_get "$j" '$.subjects')" = 20 ] && [ "$(json_get "$j" '$.trials')" = 2000 ] && ok "hBayesDM example: 20 subjects, 2000 trials" \
    || not_ok "hBayesDM import" "$j"
"$BIN" export d.db --run 1 --format hbayesdm --output back.txt 2>/dev/null
cmp -s back.txt "$SRC/hBayesDM_bandit2arm_exampleData.txt" && ok "hBayesDM layout: import then export gives the file back byte for byte" \
    || not_ok "hBayesDM round trip" "$(diff back.txt "$SRC/hBayesDM_bandit2arm_exampleData.txt" | head -5)"
j=$("$BIN" import "$SRC/prl_reiter2017_predchange.csv" --task reversal --db d.db --choice-col A --reward-col R \
    --correct-col S --rewards 1,-1 --p-high 0.8 --p-low 0.2 --json)
[ "$(json_get "$j" '$.subjects')" = 22 ] && [ "$(json_get "$j" '$.trials')" = 3520 ] && [ "$(json_get "$j" '$.missed')" = 23 ] \
    && ok "Reiter 2017: 22 subjects, 3520 trials, 23 missed kept as missing" || not_ok "Reiter import" "$j"
rev=$(sqlite3 d.db "SELECT group_concat(t) FROM (SELECT DISTINCT t FROM trials WHERE run_id = 2 AND since_reversal = 0 AND block > 0 ORDER BY t)")
[ "$rev" = "55,70,90,105,125" ] && ok "Reiter 2017: reversals at trials 55,70,90,105,125" || not_ok "reversal trials" "$rev"
n=$(sqlite3 d.db "SELECT count(*) FROM trials WHERE run_id = 2 AND action IS NULL AND reward IS NULL")
[ "$n" = 23 ] && ok "missed trials stored with NULL action and reward" || not_ok "missed trials" "$n"
phase=$(sqlite3 d.db "SELECT DISTINCT phase FROM episodes WHERE run_id = 2")
[ "$phase" = data ] && ok "imported episodes have phase 'data'" || not_ok "phase" "$phase"
finish
