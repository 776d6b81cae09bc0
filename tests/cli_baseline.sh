#!/bin/sh
# tests/cli_baseline.sh: `metarl baseline`, `info` and `export` through the
# real binary: byte-identical trial rows for the same seed, several runs in
# one file, the JSON keys later commands reuse, and the export layouts.
. tests/lib_cli.sh
cd "$WORK" || exit 1
trials() { sqlite3 "$1" "SELECT run_id, episode, t, action, reward, p0, p1, best, block, since_reversal, prob0, prob1, value, rpe FROM trials WHERE run_id = $2 ORDER BY episode, t" | cksum; }

"$BIN" baseline --task reversal --agent rw --episodes 50 --seed 7 --db a.db --quiet > /dev/null
"$BIN" baseline --task reversal --agent rw --episodes 50 --seed 7 --db b.db --quiet > /dev/null
"$BIN" baseline --task reversal --agent rw --episodes 50 --seed 8 --db a.db --quiet > /dev/null
n_a=$(sqlite3 a.db "SELECT count(*) FROM trials WHERE run_id = 1")
if [ "$n_a" = 10000 ]; then ok "50 reversal episodes store 10000 trial rows"; else not_ok "trial rows" "got $n_a"; fi
if [ "$(trials a.db 1)" = "$(trials b.db 1)" ]; then ok "same seed and config: byte-identical trial rows"
else not_ok "same seed and config: byte-identical trial rows"; fi
if [ "$(trials a.db 1 | cut -d' ' -f1)" != "$(sqlite3 a.db "SELECT run_id - 1, episode, t, action, reward, p0, p1, best, block, since_reversal, prob0, prob1, value, rpe FROM trials WHERE run_id = 2 ORDER BY episode, t" | cksum | cut -d' ' -f1)" ]; then
    ok "another seed gives other trials"; else not_ok "another seed gives other trials"; fi
runs=$(sqlite3 a.db "SELECT count(*) FROM runs")
[ "$runs" = 2 ] && ok "two runs share one file" || not_ok "two runs share one file" "runs: $runs"
cfg=$(sqlite3 a.db "SELECT config FROM runs WHERE run_id = 1")
echo "$cfg" | grep -q "^hazard = 0.05$" && echo "$cfg" | grep -q "^name = rw$" && ok "the run stores its resolved config" \
    || not_ok "the run stores its resolved config" "$cfg"
[ "$(sqlite3 a.db "SELECT status FROM runs WHERE run_id = 1")" = done ] && ok "finished run is marked done" || not_ok "status done"

"$BIN" info a.db > info.txt
grep -q "rw" info.txt && [ "$(grep -c baseline info.txt)" = 2 ] && ok "info lists the runs" || not_ok "info lists the runs" "$(cat info.txt)"
j=$("$BIN" info a.db --json)
[ "$(json_get "$j" '$[1].episodes')" = 50 ] && ok "info --json" || not_ok "info --json" "$j"

j=$("$BIN" baseline --agent thompson --episodes 200 --seed 3 --json --quiet)
missing=""
for k in agent task episodes reward_per_trial regret regret_se p_best; do
    [ -n "$(json_get "$j" "\$.$k")" ] || missing="$missing $k"
done
[ -z "$missing" ] && ok "baseline --json has the standard keys" || not_ok "baseline --json keys" "missing:$missing" "$j"
[ "$(json_get "$j" '$.agent')" = thompson ] && [ "$(json_get "$j" '$.episodes')" = 200 ] && ok "baseline --json values" || not_ok "json values" "$j"

"$BIN" export a.db --run 1 --format csv --output t.csv 2>/dev/null
[ "$(wc -l < t.csv)" = 10001 ] && head -1 t.csv | grep -q "^run,episode,subject,t,trial,action" && ok "export csv: header and one row per trial" \
    || not_ok "export csv" "$(wc -l < t.csv)"
"$BIN" export a.db --run 1 --format hbayesdm --output h.txt 2>/dev/null
[ "$(head -1 h.txt)" = "$(printf 'subjID\ttrial\tchoice\toutcome')" ] && [ "$(wc -l < h.txt)" = 10001 ] \
    && awk -F'\t' 'NR > 1 && !($3 == 1 || $3 == 2) { exit 1 } NR > 1 && !($4 == 1 || $4 == -1) { exit 1 }' h.txt \
    && ok "export hbayesdm: subjID trial choice outcome, choice 1/2, outcome 1/-1" || not_ok "export hbayesdm" "$(head -3 h.txt)"
"$BIN" export a.db --run 1 > stdout.csv
cmp -s stdout.csv t.csv && ok "export to stdout equals export to a file" || not_ok "export to stdout"
ls ./*.tmp* > /dev/null 2>&1 && not_ok "export leaves no temporary file" || ok "export leaves no temporary file"

"$BIN" baseline --help > help.txt
grep -q -- "--episodes N" help.txt && grep -q "(default: 10000)" help.txt && grep -q -- "--hazard" help.txt \
    && ok "--help lists options with defaults" || not_ok "--help" "$(head -20 help.txt)"
printf '[run]\nepisodes = 20\nseed = 5\n[agent]\nname = wsls\n' > c.ini
j=$("$BIN" baseline --config c.ini --episodes 30 --set run.episodes=40 --json --quiet)
[ "$(json_get "$j" '$.episodes')" = 40 ] && [ "$(json_get "$j" '$.agent')" = wsls ] && [ "$(json_get "$j" '$.seed')" = 5 ] \
    && ok "precedence: config < flag < --set" || not_ok "precedence" "$j"
finish
