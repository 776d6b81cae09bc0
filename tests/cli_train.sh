#!/bin/sh
# tests/cli_train.sh: `metarl train` and `metarl test` through the real
# binary: bit-identical weights for the same seed and across --resume,
# frozen weights in test, the stored trial columns (policy, V, RPE) and
# unit rates, and the JSON keys.
. tests/lib_cli.sh
cd "$WORK" || exit 1
SMALL="--hidden 8 --batch 8 --trials 30 --seed 4 --set train.anneal_episodes=0 --set train.checkpoint_every=64 --quiet"
params() { sqlite3 "$1" "SELECT hex(params) FROM checkpoints WHERE run_id = ${2:-1} ORDER BY episode DESC LIMIT 1" | cksum; }

j=$("$BIN" train $SMALL --episodes 400 --db a.db --json)
"$BIN" train $SMALL --episodes 400 --db b.db > /dev/null
[ "$(params a.db)" = "$(params b.db)" ] && ok "same seed and settings: byte-identical weights" || not_ok "same seed: weights differ"
missing=""
for k in episodes env_steps wall_s steps_per_s final_reward_per_trial; do
    [ -n "$(json_get "$j" "\$.$k")" ] || missing="$missing $k"
done
[ -z "$missing" ] && [ "$(json_get "$j" '$.episodes')" = 400 ] && [ "$(json_get "$j" '$.env_steps')" = 12000 ] \
    && ok "train --json: episodes, env_steps, wall_s, steps_per_s, final_reward_per_trial" || not_ok "train --json" "missing:$missing" "$j"

"$BIN" train $SMALL --episodes 200 --db c.db > /dev/null
"$BIN" train --resume --episodes 400 --db c.db --quiet > /dev/null
[ "$(params c.db)" = "$(params a.db)" ] && ok "200 episodes, then --resume to 400: byte-identical to 400 at once" \
    || not_ok "resume: weights differ"
rows=$(sqlite3 c.db "SELECT count(*), max(episode) FROM training WHERE run_id = 1")
[ "$rows" = "400|399" ] && ok "resumed training curve: 400 rows, none lost or duplicated" || not_ok "curve rows" "$rows"
"$BIN" train --resume --hidden 16 --db c.db > /dev/null 2> err.txt
[ $? = 2 ] && grep -q "model.hidden cannot change" err.txt && ok "resume refuses to change the network" || not_ok "resume change" "$(cat err.txt)"

# a resume with a new target stores it: the next resume continues towards it
"$BIN" train $SMALL --episodes 64 --db r.db > /dev/null
"$BIN" train --resume --episodes 128 --db r.db --quiet > /dev/null
"$BIN" train --resume --db r.db > /dev/null 2> err.txt
grep -q "^episodes = 128$" "$(sqlite3 r.db "SELECT config FROM runs WHERE run_id = 1" > cfg.txt; echo cfg.txt)" \
    && grep -q "resuming run 1 at episode 128 of 128" err.txt && ok "resume --episodes 128: stored in the run's settings, the next resume's target" \
    || not_ok "resume target" "$(grep '^episodes' cfg.txt)" "$(cat err.txt)"
"$BIN" train --resume --episodes 192 --seed 4 --hidden 8 --db r.db > /dev/null 2> err.txt
rc=$?
[ $rc = 0 ] && grep -q "resuming run 1 at episode 128 of 192" err.txt && ok "resume with flags equal to the stored values (--seed 4 --hidden 8): accepted" \
    || not_ok "resume same values" "rc=$rc" "$(cat err.txt)"
"$BIN" train --resume --seed 5 --db r.db > /dev/null 2> err.txt
rc=$?
[ $rc = 2 ] && grep -q "run.seed cannot change .*has 4, given 5" err.txt && ok "resume --seed 5 on a seed-4 run: refused, naming the key and both values" \
    || not_ok "resume changed seed" "rc=$rc" "$(cat err.txt)"

# non-finite weights after an update (train.eps = 0: 0/0 in the optimizer) never end "done"
"$BIN" train --episodes 32 --hidden 4 --trials 10 --batch 8 --eps 0 --db nan.db > /dev/null 2> err.txt
rc=$?
st=$(sqlite3 nan.db "SELECT status FROM runs WHERE run_id = 1")
[ $rc = 1 ] && [ "$st" = failed ] && grep -q "not finite" err.txt \
    && "$BIN" test --db nan.db --episodes 2 --agents none --quiet > /dev/null 2>&1 \
    && ok "train --eps 0 (NaN weights): exit 1, status failed, the kept checkpoint is finite" || not_ok "NaN weights" "rc=$rc status=$st" "$(cat err.txt)"
# the first weight NaN, in the parameter block and in the trainer's image (after its 32-byte header)
sqlite3 nan.db "UPDATE checkpoints SET params = CAST(x'000000000000F87F' || substr(params, 9) AS BLOB),
                state = CAST(substr(state, 1, 32) || x'000000000000F87F' || substr(state, 41) AS BLOB)"
"$BIN" test --db nan.db --episodes 2 --agents none --quiet > /dev/null 2> err.txt
rc=$?
[ $rc = 2 ] && grep -q "non-finite weights" err.txt && ok "test refuses a checkpoint holding NaN" || not_ok "test of a NaN checkpoint" "rc=$rc" "$(cat err.txt)"
"$BIN" train --resume --db nan.db --quiet > /dev/null 2> err.txt
rc=$?
[ $rc = 2 ] && grep -q "non-finite weights" err.txt && ok "resume refuses a checkpoint holding NaN" || not_ok "resume of a NaN checkpoint" "rc=$rc" "$(cat err.txt)"

# an activity row over SQLite's limit per value is refused before any episode runs
"$BIN" train --hidden 4 --set model.striatum_units=4096 --trials 1 --episodes 8 --batch 8 --db big.db --quiet > /dev/null
timeout 20 "$BIN" test --db big.db --trials 100000 --episodes 1 --agents none --quiet > /dev/null 2> err.txt
rc=$?
[ $rc = 2 ] && grep -q "over the store's limit .*--trials.*test.activity=false" err.txt \
    && [ "$(sqlite3 big.db "SELECT count(*) FROM runs")" = 1 ] && ok "test whose rates would pass 1 GB per row: exit 2 at once, nothing written" \
    || not_ok "activity over the limit" "rc=$rc" "$(cat err.txt)"

before=$(params a.db)
j=$("$BIN" test --db a.db --episodes 30 --json --quiet)
[ "$(params a.db)" = "$before" ] && ok "test leaves the weights unchanged" || not_ok "test changed the weights"
missing=""
for k in agent task episodes reward_per_trial regret regret_se p_best; do
    [ -n "$(json_get "$j" "\$.$k")" ] || missing="$missing $k"
done
[ -z "$missing" ] && [ "$(json_get "$j" '$.agent')" = network ] && [ -n "$(json_get "$j" '$.reference[0].regret')" ] \
    && ok "test --json: the baseline keys, and the reference agents beside" || not_ok "test --json" "missing:$missing" "$j"
test_run=$(json_get "$j" '$.run')
q() { sqlite3 a.db "$1"; }
[ "$(q "SELECT count(*) FROM trials WHERE run_id = $test_run AND (value IS NULL OR rpe IS NULL OR prob0 IS NULL)")" = 0 ] \
    && ok "network trials store policy, V and RPE" || not_ok "network trial columns"
bad=$(q "SELECT count(*) FROM trials a LEFT JOIN trials b ON b.run_id = a.run_id AND b.episode = a.episode AND b.t = a.t + 1
         WHERE a.run_id = $test_run AND abs(a.rpe - (a.reward + 0.95 * coalesce(b.value, 0) - a.value)) > 1e-12")
[ "$bad" = 0 ] && ok "stored RPE = r + gamma V' - V on every trial" || not_ok "RPE" "$bad trials off"
[ "$(q "SELECT count(*), min(n_units), max(n_trials) FROM activity WHERE run_id = $test_run AND module = 'pfc'")" = "30|8|30" ] \
    && ok "activity: one 8-unit pfc row per test episode" || not_ok "activity" "$(q "SELECT count(*), min(n_units) FROM activity")"
[ "$(q "SELECT count(*) FROM runs WHERE parent_run = $test_run AND kind = 'baseline'")" -ge 3 ] \
    && ok "reference agents stored as runs beside the test" || not_ok "reference runs"
same=$(q "SELECT count(*) FROM episodes a JOIN episodes b ON a.episode = b.episode WHERE a.run_id = $test_run
          AND b.run_id = (SELECT min(run_id) FROM runs WHERE parent_run = $test_run) AND a.instance = b.instance")
[ "$same" = 30 ] && ok "reference agents met the same 30 task instances" || not_ok "same instances" "$same"

j=$("$BIN" test --db a.db --episodes 10 --dist dependent --agents none --json --quiet)
[ "$(json_get "$j" '$.task_settings.dist')" = dependent ] && ok "test on another arm distribution than training" || not_ok "test --dist" "$j"
"$BIN" test --db a.db --hidden 16 > /dev/null 2> err.txt
[ $? = 2 ] && grep -q "comes from the training run" err.txt && ok "test refuses network settings" || not_ok "test --hidden" "$(cat err.txt)"
finish
