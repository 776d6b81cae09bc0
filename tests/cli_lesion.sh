#!/bin/sh
# tests/cli_lesion.sh: the dopamine and lesion settings of `metarl test` and
# the dose figure, end to end on a tiny reversal network. test.delta_block
# stores rpe 0 and changes nothing else, bit for bit (every other column of
# every stored trial, and the unit rates); test.silence = 0 is the baseline
# bit for bit; test.silence = 1 plays at chance (P(best) within 5 SE of 0.5)
# with every prefrontal rate 0; doses out of range are refused before
# anything is written; `plot dose` draws several tests against their dose,
# and refuses runs that differ in two doses (exit 1: found while writing).
. tests/lib_cli.sh
cd "$WORK" || exit 1
"$BIN" train --task reversal --trials 40 --hidden 8 --batch 8 --episodes 200 --seed 3 --quiet --db l.db > /dev/null || exit 1
t() { "$BIN" test --db l.db --run 1 --episodes 40 --agents none --quiet --json "$@"; }
id() { json_get "$1" '$.run'; }
cols="episode, t, action, reward, value, probs"
trials() { sqlite3 l.db "SELECT * FROM trials WHERE run_id = $1 ORDER BY episode, t" | cut -d'|' -f2- ; }
rates() { sqlite3 l.db "SELECT episode, module, hex(rates) FROM activity WHERE run_id = $1 ORDER BY episode, module"; }
base=$(id "$(t)")
zero=$(id "$(t --set test.silence=0)")
blk=$(id "$(t --set test.delta_block=true)")
one_j=$(t --set test.silence=1)
one=$(id "$one_j")
[ -n "$base" ] && [ -n "$zero" ] && [ -n "$blk" ] && [ -n "$one" ] && ok "tests with lesion settings run" || not_ok "tests ran" "$base $zero $blk $one"
[ "$(trials "$base")" = "$(trials "$zero")" ] && [ "$(rates "$base")" = "$(rates "$zero")" ] \
    && ok "silence 0: every stored trial and rate identical to the baseline" || not_ok "silence 0 identical"
rpe_col=$(sqlite3 l.db "SELECT name FROM pragma_table_info('trials')" | grep -n '^rpe$' | cut -d: -f1)
norpe() { sqlite3 l.db "SELECT * FROM trials WHERE run_id = $1 ORDER BY episode, t" | cut -d'|' -f2- | awk -F'|' -v c=$((rpe_col - 1)) -v OFS='|' '{ $c = ""; print }'; }
[ "$(norpe "$base")" = "$(norpe "$blk")" ] && [ "$(rates "$base")" = "$(rates "$blk")" ] \
    && ok "delta_block: choices, rewards, values, policies and rates identical, bit for bit" || not_ok "delta_block identical"
[ "$(sqlite3 l.db "SELECT count(*) FROM trials WHERE run_id = $blk AND rpe != 0")" = 0 ] \
    && [ "$(sqlite3 l.db "SELECT count(*) FROM trials WHERE run_id = $base AND rpe != 0")" -gt 0 ] \
    && ok "delta_block: the stored delta is 0 (and is not in the baseline)" || not_ok "delta_block zeroes rpe"
pb=$(json_get "$one_j" '$.p_best'); se=$(json_get "$one_j" '$.p_best_se')
awk -v p="$pb" -v s="$se" 'BEGIN { exit !(p - 0.5 < 5 * s + 1e-9 && 0.5 - p < 5 * s + 1e-9) }' \
    && ok "silence 1: P(best) $pb within 5 SE of chance" || not_ok "silence 1 at chance" "p_best $pb se $se"
half=$(id "$(t --set test.silence=0.5)")
t --set test.silence=0.25 --set test.lesion_seed=2 > /dev/null && [ -n "$half" ] \
    && ok "silence 0.5 and 0.25 (another lesion draw)" || not_ok "silence 0.5"
refusals <<'ROWS'
silence above 1 | test.silence | test --db l.db --episodes 4 --set test.silence=1.5
negative rate noise | test.rate_noise | test --db l.db --episodes 4 --set test.rate_noise=-1
delta_scale is a training setting | train.delta_scale: unknown section [train] | test --db l.db --episodes 4 --set train.delta_scale=0
ROWS
"$BIN" plot dose l.db --run "$base" --run "$zero" --run "$one" --run "$half" -o dose.png > /dev/null 2> err.txt \
    && [ -f dose.gp ] && [ -f dose.dat ] && ok "plot dose draws the tests against their dose" || not_ok "plot dose" "$(cat err.txt)"
awk '!/^#/ { print $1, $2 }' dose.dat | tr '\n' ';' | grep -q '^0 2;0.5 1;1 1;$' \
    && ok "dose.dat: doses 0 (2 runs), 0.5, 1 in order" || not_ok "dose.dat" "$(cat dose.dat)"
noise=$(id "$(t --set test.rate_noise=0.3)")
"$BIN" plot dose l.db --run "$half" --run "$noise" -o two.png > /dev/null 2> err.txt
[ $? != 0 ] && grep -q "differ in both test.silence and test.rate_noise" err.txt && [ ! -f two.gp ] && ok "plot dose refuses runs that differ in two doses" || not_ok "two doses" "$(cat err.txt)"
finish
