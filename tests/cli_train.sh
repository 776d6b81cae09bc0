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
