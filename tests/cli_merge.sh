#!/bin/sh
# tests/cli_merge.sh: `metarl merge` and `metarl sweep` (one process) through
# the real binary: the merged store holds the union of the inputs with run
# ids and parent links renumbered, trial rows byte-identical to the sources,
# provenance in the summary JSON, no duplicates when a file is merged again,
# in-place update of a run merged while unfinished, analyses on the merged
# file, refusal of bad inputs (exit 2, one line, nothing written); a sweep's
# points, its skipping of finished points, and refusal of bad grids.
. tests/lib_cli.sh
cd "$WORK" || exit 1
SMALL="--hidden 8 --batch 8 --trials 20 --seed 3 --set train.anneal_episodes=0 --set train.checkpoint_every=64 --set run.record_every=50 --quiet"
# trial rows of a run, without the run id
trials() { sqlite3 "$1" "SELECT episode, t, action, reward, p0, p1, best, block, since_reversal, prob0, prob1, value, rpe
                          FROM trials WHERE run_id = $2 ORDER BY episode, t" | cksum; }
rows() { sqlite3 "$1" "SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM episodes), (SELECT count(*) FROM trials),
                       (SELECT count(*) FROM activity), (SELECT count(*) FROM training), (SELECT count(*) FROM checkpoints)"; }
# merged id of run $3 of file $2 in store $1
merged_id() { sqlite3 "$1" "SELECT run_id FROM runs WHERE json_extract(summary, '\$.merged_from.file') = '$2'
                             AND json_extract(summary, '\$.merged_from.run') = $3"; }

# a.db: a baseline, a training run and its test (with reference runs); b.db: two baselines
"$BIN" baseline --agent thompson --episodes 30 --trials 20 --seed 1 --db a.db --quiet > /dev/null
"$BIN" train $SMALL --episodes 200 --db a.db > /dev/null
"$BIN" test --db a.db --episodes 20 --quiet > /dev/null
"$BIN" baseline --task reversal --agent rw --episodes 25 --seed 2 --db b.db --quiet > /dev/null
"$BIN" baseline --task reversal --agent observer --episodes 25 --seed 2 --db b.db --quiet > /dev/null

out=$("$BIN" merge m.db a.db b.db 2> err.txt)
rc=$?
[ $rc = 0 ] && echo "$out" | grep -q "2 files into m.db" && ok "merge two stores into a new one" || not_ok "merge" "rc $rc" "$out" "$(cat err.txt)"
rows a.db > ra; rows b.db > rb
sum=$(awk -F'|' 'NR == FNR { for (i = 1; i <= NF; i++) a[i] = $i; next }
    { for (i = 1; i <= NF; i++) printf "%s%d", (i > 1 ? "|" : ""), a[i] + $i }' ra rb)
[ "$(rows m.db)" = "$sum" ] && ok "merged store holds the union: runs, episodes, trials, activity, training, checkpoints ($sum)" \
    || not_ok "union" "merged $(rows m.db), expected $sum"

bad=""
for f in a.db b.db; do
    for r in $(sqlite3 $f "SELECT run_id FROM runs"); do
        m=$(merged_id m.db $f $r)
        [ -n "$m" ] && [ "$(trials $f $r)" = "$(trials m.db $m)" ] || bad="$bad $f:$r->$m"
    done
done
[ -z "$bad" ] && ok "every run's trial rows byte-identical to its source (provenance names file and run)" || not_ok "trial rows" "$bad"
blob() { sqlite3 "$1" "SELECT hex(params) || hex(optimizer) || hex(state) FROM checkpoints WHERE run_id = $2 ORDER BY episode" | cksum; }
act() { sqlite3 "$1" "SELECT episode, module, n_trials, n_units, hex(rates) FROM activity WHERE run_id = $2 ORDER BY episode, module" | cksum; }
curve() { sqlite3 "$1" "SELECT episode, reward, regret, p_best, loss_policy, loss_value, entropy, grad_norm, beta_e, wall_s FROM training WHERE run_id = $2" | cksum; }
train_m=$(merged_id m.db a.db 2); test_m=$(merged_id m.db a.db 3)
[ "$(blob a.db 2)" = "$(blob m.db $train_m)" ] && [ "$(curve a.db 2)" = "$(curve m.db $train_m)" ] && [ "$(act a.db 3)" = "$(act m.db $test_m)" ] \
    && ok "checkpoints, training curve and unit rates copied byte for byte" || not_ok "checkpoints/curve/activity differ"
[ "$(sqlite3 m.db "SELECT parent_run FROM runs WHERE run_id = $test_m")" = "$train_m" ] \
    && [ "$(sqlite3 m.db "SELECT count(*) FROM runs WHERE parent_run = $test_m AND kind = 'baseline'")" = \
         "$(sqlite3 a.db "SELECT count(*) FROM runs WHERE parent_run = 3 AND kind = 'baseline'")" ] \
    && ok "parent links renumbered: test -> its training run, reference runs -> their test" \
    || not_ok "parent links" "$(sqlite3 m.db "SELECT run_id, parent_run FROM runs")"
[ "$(sqlite3 m.db "SELECT count(*) FROM runs WHERE json_extract(summary, '\$.merged_from.run') IS NULL")" = 0 ] \
    && [ "$(sqlite3 m.db "SELECT json_extract(summary, '\$.regret') FROM runs WHERE run_id = $test_m")" = \
         "$(sqlite3 a.db "SELECT json_extract(summary, '\$.regret') FROM runs WHERE run_id = 3")" ] \
    && ok "summary JSON kept, with merged_from added to every run" || not_ok "summary provenance"

before=$(rows m.db)
j=$("$BIN" merge m.db a.db b.db a.db --json)
[ "$(rows m.db)" = "$before" ] && [ "$(json_get "$j" '$.added')" = 0 ] && [ "$(json_get "$j" '$.skipped')" = 18 ] \
    && ok "merging the same files again adds nothing (--json: added 0, skipped 18)" || not_ok "merge twice" "$(rows m.db) vs $before" "$j"
"$BIN" merge m2.db m.db a.db --quiet > /dev/null
[ "$(rows m2.db)" = "$before" ] && ok "a merged file merged with one of its sources: still no duplicates" || not_ok "transitive" "$(rows m2.db)"

"$BIN" analyze m.db --run "$test_m" --json --out an > an.json 2> err.txt
[ $? = 0 ] && [ -n "$(json_get "$(cat an.json)" '$.p_stay_win')" ] && ok "metarl analyze works on the merged file" \
    || not_ok "analyze merged" "$(head -3 err.txt)"
"$BIN" analyze a.db --run 3 --json --out an0 > an0.json 2>/dev/null
[ -n "$(json_get "$(cat an.json)" '$.rw_alpha')" ] && [ "$(json_get "$(cat an.json)" '$.rw_alpha')" = "$(json_get "$(cat an0.json)" '$.rw_alpha')" ] \
    && ok "analysis of a merged run equals that of its source" || not_ok "analysis differs"
j1=$("$BIN" test --db a.db --run 2 --episodes 10 --agents none --json --quiet)
j2=$("$BIN" test --db m.db --run "$train_m" --episodes 10 --agents none --json --quiet)
[ -n "$(json_get "$j1" '$.regret')" ] && [ "$(json_get "$j1" '$.regret')" = "$(json_get "$j2" '$.regret')" ] \
    && ok "a merged training run tests like the original (same checkpoint)" || not_ok "test merged" "$j1" "$j2"

# a run merged while unfinished is replaced in place when merged again later
"$BIN" train $SMALL --episodes 128 --db c.db > /dev/null
"$BIN" merge u.db c.db --quiet > /dev/null
"$BIN" train --resume --episodes 256 --db c.db --quiet > /dev/null
j=$("$BIN" merge u.db c.db --json)
[ "$(json_get "$j" '$.updated')" = 1 ] && [ "$(sqlite3 u.db "SELECT count(*) FROM runs")" = 1 ] \
    && [ "$(sqlite3 u.db "SELECT count(*), max(episode) FROM training")" = "256|255" ] && [ "$(blob c.db 1)" = "$(blob u.db 1)" ] \
    && ok "a run that went further since the last merge is updated in place (same id, all rows)" || not_ok "update" "$j"

# bad inputs: exit 2, one line, nothing written
echo "not a database" > junk.db
sqlite3 foreign.db "CREATE TABLE t (x); INSERT INTO t VALUES (1)"
cp b.db newer.db && sqlite3 newer.db "PRAGMA user_version = 99"
for case in "junk.db:not a metarl database" "foreign.db:another application" "newer.db:newer" "missing.db:no such file"; do
    f=${case%%:*}; want=${case#*:}
    "$BIN" merge new.db a.db "$f" > out.txt 2> err.txt
    rc=$?
    if [ $rc = 2 ] && [ "$(wc -l < err.txt)" = 1 ] && grep -q "$want" err.txt && [ ! -e new.db ] && [ ! -s out.txt ]; then
        ok "merge refuses $f: exit 2, one line, no output file"
    else not_ok "merge refuses $f" "rc $rc" "$(cat err.txt)" "$(ls new.db 2>&1)"; fi
done
sum_m=$(cksum < m.db)
"$BIN" merge m.db b.db m.db > /dev/null 2> err.txt
[ $? = 2 ] && grep -q "output file itself" err.txt && [ "$(cksum < m.db)" = "$sum_m" ] && ok "merge refuses OUT among the inputs" \
    || not_ok "OUT as input" "$(cat err.txt)"
cp foreign.db f2.db; sum_f=$(cksum < f2.db)
"$BIN" merge f2.db a.db > /dev/null 2> err.txt
[ $? = 2 ] && [ "$(cksum < f2.db)" = "$sum_f" ] && ok "merge refuses a foreign OUT and leaves it untouched" || not_ok "foreign OUT" "$(cat err.txt)"
"$BIN" merge only.db > /dev/null 2> err.txt
[ $? = 2 ] && [ "$(wc -l < err.txt)" = 1 ] && ok "merge without inputs: exit 2" || not_ok "merge no inputs" "$(cat err.txt)"

# sweep, one process: 2 x 2 points, train and test each
small_grid grid.ini 64 15
cat >> grid.ini <<EOF
[run]
record_every = 0
[train]
lr = 1e-3 | 5e-4
batch = 8
[test]
episodes = 10
agents = thompson,random
EOF
out=$("$BIN" sweep --grid grid.ini --db-prefix sw 2> err.txt)
rc=$?
[ $rc = 0 ] && [ "$(echo "$out" | grep -c ' done ')" = 4 ] && [ -f sw.db ] \
    && ok "sweep: 4 points, each trained and tested, table on stdout" || not_ok "sweep" "rc $rc" "$out" "$(cat err.txt)"
[ "$(sqlite3 sw.db "SELECT count(*) FROM runs WHERE kind = 'train'")" = 4 ] \
    && [ "$(sqlite3 sw.db "SELECT name FROM runs WHERE kind = 'train' ORDER BY run_id LIMIT 1 OFFSET 1")" = "g p1 run.seed=1 train.lr=5e-4" ] \
    && [ "$(sqlite3 sw.db "SELECT count(*) FROM runs WHERE kind = 'baseline'")" = 8 ] \
    && ok "sweep: runs named by point and settings (last key fastest); reference runs beside each test" \
    || not_ok "sweep runs" "$(sqlite3 sw.db "SELECT run_id, kind, name FROM runs")"
"$BIN" train --config "$CONFIGS/bandit.ini" --seed 2 --episodes 64 --set run.record_every=0 --hidden 6 --trials 15 --lr 5e-4 \
    --batch 8 --set test.episodes=10 --set test.agents=thompson,random --db one.db --quiet > /dev/null
p3=$(sqlite3 sw.db "SELECT run_id FROM runs WHERE name LIKE 'g p3 %'")
[ "$(blob one.db 1)" = "$(blob sw.db "$p3")" ] && ok "a sweep point's weights equal the same settings trained alone" \
    || not_ok "sweep point vs train" "$(sqlite3 sw.db "SELECT config FROM runs WHERE run_id = $p3" | head -30)"
j=$("$BIN" sweep --grid grid.ini --db-prefix sw --json --quiet)
[ "$(sqlite3 sw.db "SELECT count(*) FROM runs")" = 16 ] && [ "$(json_get "$j" '$.results[3].state')" = skipped ] \
    && [ -n "$(json_get "$j" '$.results[3].regret')" ] && [ "$(json_get "$j" '$.results[2].settings."run.seed"')" = 2 ] \
    && ok "sweep again: finished points skipped, results read back (--json)" || not_ok "sweep rerun" "$j"
# an interrupted point (checkpoint at episode 0 only, test unfinished) is resumed, bit-identically
p0=$(sqlite3 sw.db "SELECT run_id FROM runs WHERE name LIKE 'g p0 %'")
w0=$(blob sw.db "$p0")
sqlite3 sw.db "DELETE FROM checkpoints WHERE run_id = $p0 AND episode > 0; UPDATE runs SET status = 'interrupted', finished = NULL
               WHERE run_id = $p0 OR parent_run = $p0"
j=$("$BIN" sweep --grid grid.ini --db-prefix sw --json --quiet)
[ "$(json_get "$j" '$.results[0].state')" = resumed ] && [ "$(blob sw.db "$p0")" = "$w0" ] \
    && [ "$(sqlite3 sw.db "SELECT count(*), max(episode) FROM training WHERE run_id = $p0")" = "64|63" ] \
    && [ "$(json_get "$j" '$.results[0].test_run')" -gt 16 ] && [ "$(json_get "$j" '$.results[1].state')" = skipped ] \
    && ok "sweep again after an interruption: the point's training resumes (same weights) and is tested" \
    || not_ok "sweep resume" "$j"
# a point stored before a setting existed is skipped; a stored value that differs is named, exit 2
cp sw.db old.db
sqlite3 old.db "UPDATE runs SET config = replace(config, 'rule = bptt' || char(10), '')"
j=$("$BIN" sweep --grid grid.ini --db-prefix old --json --quiet 2> err.txt)
[ "$(json_get "$j" '$.results[3].state')" = skipped ] && ok "sweep: a store from before a setting existed is reused" \
    || not_ok "sweep: a store from before a setting existed" "$j" "$(cat err.txt)"
sqlite3 old.db "UPDATE runs SET config = replace(config, 'batch = 8', 'batch = 9') WHERE name LIKE 'g p0 %'"
"$BIN" sweep --grid grid.ini --db-prefix old --quiet > /dev/null 2> err.txt
rc=$?
[ $rc = 2 ] && grep -q "train.batch is 9 in the stored run, 8 now" err.txt \
    && ok "sweep: a stored point with another setting names it (exit 2)" || not_ok "sweep: changed point" "rc $rc" "$(cat err.txt)"
"$BIN" merge all.db sw.db a.db --quiet > /dev/null && [ "$(sqlite3 all.db "SELECT count(*) FROM runs")" = \
    $(($(sqlite3 sw.db "SELECT count(*) FROM runs") + $(sqlite3 a.db "SELECT count(*) FROM runs"))) ] \
    && ok "a sweep's store merges like any other" || not_ok "merge sweep" "$(sqlite3 all.db "SELECT count(*) FROM runs" 2>&1)"

out=$("$BIN" sweep --grid "$CONFIGS/sweep_example.ini" --list)
[ $? = 0 ] && [ "$(echo "$out" | grep -c ' -> sweep_example.db')" = 4 ] && echo "$out" | grep -q "^    3  run.seed=2 train.lr=5e-4 " \
    && ok "the shipped example grid checks out: 4 points (--list runs nothing)" || not_ok "sweep --list example" "$out"
out=$("$BIN" sweep --grid "$CONFIGS/sweep_example.ini" --list --json 2>&1)
[ $? = 2 ] && [ "$out" = "metarl: --json: applies to running the sweep, not to --list (which prints its points)" ] \
    && ok "sweep --list refuses --json, which it would not honour (exit 2, one line)" || not_ok "sweep --list --json" "$out"
printf '[sweep]\nsteps = baseline\n[run]\nepisodes = 20\n[task]\nname = reversal\n[agent]\nname = wsls, observer\n' > base.ini
j=$("$BIN" sweep --grid base.ini --db-prefix bs --json --quiet)
[ "$(sqlite3 bs.db "SELECT group_concat(name || ':' || agent, ';') FROM runs")" = "base p0 agent.name=wsls:wsls;base p1 agent.name=observer:observer" ] \
    && [ -n "$(json_get "$j" '$.results[1].p_best')" ] && ok "a sweep of baselines (steps = baseline, agent.name listed)" \
    || not_ok "baseline sweep" "$(sqlite3 bs.db "SELECT run_id, name FROM runs")" "$j"

bad_grid() {   # description, expected text, grid lines
    d=$1; want=$2; shift 2
    printf '%s\n' "$@" > bad.ini
    "$BIN" sweep --grid bad.ini --db-prefix bad > /dev/null 2> err.txt
    rc=$?
    if [ $rc = 2 ] && [ "$(wc -l < err.txt)" = 1 ] && grep -q "$want" err.txt && [ ! -e bad.db ]; then ok "sweep refuses $d"
    else not_ok "sweep refuses $d" "rc $rc" "$(cat err.txt)"; fi
}
bad_grid "an unknown setting" "unknown" "[run]" "seed = 1,2" "[train]" "lrr = 1e-3"
bad_grid "a bad value in a list (with file and key)" "bad.ini: \[train\] lr" "[train]" "lr = 1e-3, fast"
bad_grid "an unknown step" "unknown step" "[sweep]" "steps = train, fly"
bad_grid "a missing base config" "cannot find" "[sweep]" "config = nowhere.ini"
bad_grid "a key outside a section" "outside any" "seed = 1"
"$BIN" sweep --db-prefix x > /dev/null 2> err.txt
[ $? = 2 ] && grep -q "needs --grid" err.txt && ok "sweep without --grid: exit 2" || not_ok "sweep no grid" "$(cat err.txt)"
finish
