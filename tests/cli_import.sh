#!/bin/sh
# tests/cli_import.sh: `metarl import` of the public data sets shipped in
# data/human, and their export back out; the two-step example data analysed
# against the stay probabilities in data/published/twostep_stay.tsv.
. tests/lib_cli.sh
SRC=$PWD/data/human
PUB=$PWD/data/published
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
j=$("$BIN" import "$SRC/hBayesDM_ts_exampleData.txt" --format hbayesdm-ts --task twostep --db d.db --json)
[ "$(json_get "$j" '$.subjects')" = 11 ] && [ "$(json_get "$j" '$.trials')" = 2211 ] && [ "$(json_get "$j" '$.missed')" = 21 ] \
    && ok "hBayesDM two-step: 11 subjects, trials 1..201 each, the 21 absent ones kept as missed" || not_ok "two-step import" "$j"
n=$(sqlite3 d.db "SELECT count(*) || ',' || sum(stage = 1 AND state IN (1, 2)) FROM stages WHERE run_id = 3")
[ "$n" = "4380,2190" ] && ok "two-step import: two stage rows per trial played, second-stage state 1 or 2" || not_ok "stage rows" "$n"
j=$("$BIN" analyze d.db --run 3 --json)
want=$(awk -F'\t' '$1 == "hbayesdm_ts_example" { printf "%.3f %.3f %.3f %.3f", $3, $4, $5, $6 }' "$PUB/twostep_stay.tsv")
got=""
for c in rewarded_common rewarded_rare unrewarded_common unrewarded_rare; do
    got="$got $(printf '%.3f' "$(json_get "$j" "\$.twostep.stay.$c.p")")"
done
[ -n "$want" ] && [ "${got# }" = "$want" ] && ok "two-step example data: stays $want as in data/published/twostep_stay.tsv" \
    || not_ok "two-step stays" "got${got}, want $want"
mf=$(json_get "$j" '$.twostep.regression.reward'); mb=$(json_get "$j" '$.twostep.regression.interaction')
awk -v a="$mf" -v b="$mb" 'BEGIN { exit !(a > 0 && b > a) }' && ok "two-step example data: reward weight $mf, interaction $mb" \
    || not_ok "two-step regression" "$mf $mb"
j=$("$BIN" import "$SRC/hBayesDM_ts_exampleData.txt" --db f.db --json)
[ "$(json_get "$j" '$.task')" = twostep ] && [ "$(json_get "$j" '$.trials')" = 2211 ] \
    && ok "two-step layout detected from its header without --format or --task" || not_ok "two-step detection" "$j"
"$BIN" import "$SRC/hBayesDM_ts_exampleData.txt" --format hbayesdm-ts --task bandit --db e.db > out.txt 2> err.txt
[ $? = 2 ] && [ ! -e e.db ] && grep -q "go together" err.txt && ok "hbayesdm-ts with --task bandit: refused, nothing written" \
    || not_ok "format/task mismatch" "$(cat err.txt)"
finish
