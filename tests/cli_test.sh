#!/bin/sh
# tests/cli_test.sh: `metarl test` at its edges, and --run by name. Task
# flags are checked against the task of the run being tested (a reversal
# network tested on the humans' block schedule), an agent that cannot serve
# the task or one listed twice is refused before anything is written, and
# every command that takes --run takes a run's name as well as its id (one
# run of that name selects it; several are an error that lists their ids).
. tests/lib_cli.sh
cd "$WORK" || exit 1
SMALL="--hidden 8 --batch 8 --episodes 64 --seed 4 --set train.anneal_episodes=0 --quiet"
"$BIN" train --task reversal --trials 40 $SMALL --name rev-net --db rev.db > /dev/null || exit 1
"$BIN" train --trials 20 $SMALL --name bandit-net --db ban.db > /dev/null || exit 1
state() { sqlite3 "$1" "SELECT count(*) FROM runs; SELECT count(*) FROM trials" | tr '\n' ' '; }
# refused DB WHAT EXPECT ARGS...: exit 2, one line naming EXPECT, the store unchanged
refused() {
    db=$1 what=$2 expect=$3; shift 3
    before=$(state "$db")
    "$BIN" "$@" > out.txt 2> err.txt
    rc=$?
    if [ "$rc" = 2 ] && [ "$(wc -l < err.txt)" = 1 ] && grep -qF -- "$expect" err.txt && [ ! -s out.txt ] \
        && [ "$(state "$db")" = "$before" ]; then ok "$what: exit 2, '$(cat err.txt)'"
    else not_ok "$what" "exit $rc" "$(cat err.txt)" "store: $before -> $(state "$db")"
    fi
}

# ---- task flags are the tested run's task's ---------------------------------
j=$("$BIN" test --db rev.db --schedule blocks --blocks 15,10,15 --trials 40 --episodes 6 --agents rw --json --quiet 2> err.txt)
[ $? = 0 ] && [ "$(json_get "$j" '$.task_settings.schedule')" = blocks ] \
    && ok "test a reversal network on a block schedule (--schedule blocks --blocks ...)" || not_ok "test --schedule blocks" "$(cat err.txt)"
j=$("$BIN" test --db rev.db --hazard 0.1 --episodes 4 --agents none --json --quiet 2> err.txt)
[ $? = 0 ] && [ "$(json_get "$j" '$.task_settings.hazard')" = 0.1 ] && ok "test a reversal network with --hazard" \
    || not_ok "test --hazard" "$(cat err.txt)"
refused rev.db "a bandit flag on a reversal run" "task.dist does not apply to task reversal" test --db rev.db --dist fixed --episodes 4
refused ban.db "a reversal flag on a bandit run" "task.schedule does not apply to task bandit" test --db ban.db --schedule blocks --episodes 4
refused ban.db "a network setting in a test" "model.hidden comes from the training run" test --db ban.db --hidden 4 --episodes 4

# ---- the time input keeps the training task's clock ---------------------------
# A network with time input (t / T, the default) trained on 20 trials, tested on 10 and on 20: the same
# instances and the same first 10 trials, so the same policy on them (the clock was t / 10 in the
# shorter test before, which changed every policy after the first trial).
cp ban.db clock.db
"$BIN" test --db clock.db --trials 20 --episodes 8 --agents none --quiet > /dev/null 2> err.txt &&
"$BIN" test --db clock.db --trials 10 --episodes 8 --agents none --quiet > /dev/null 2>> err.txt || not_ok "tests of 20 and 10 trials" "$(cat err.txt)"
cmp=$(sqlite3 clock.db "SELECT count(*), coalesce(sum(a.prob0 != b.prob0 OR a.action != b.action), -1), sum(a.t > 0)
    FROM trials a JOIN trials b ON b.episode = a.episode AND b.t = a.t
    WHERE a.run_id = (SELECT max(run_id) - 1 FROM runs) AND b.run_id = (SELECT max(run_id) FROM runs)")
time_in=$(sqlite3 clock.db "SELECT config LIKE '%time_input = true%' FROM runs WHERE run_id = 1")
[ "$cmp" = "80|0|72" ] && [ "$time_in" = 1 ] && ok "a test of 10 trials plays a 20-trial network's first 10 trials as a test of 20 does" \
    || not_ok "the time input's clock is the training task's" "compared, differing, after trial 0: $cmp; time input on: $time_in"

# ---- reference agents: each serves the task, each once -----------------------
refused ban.db "observer cannot serve a bandit" "agent observer cannot serve task bandit" test --db ban.db --agents observer --episodes 4
refused ban.db "observer cannot serve a bandit (--quiet)" "observer cannot serve task bandit" test --db ban.db --agents rw,observer --episodes 4 --quiet
refused rev.db "bayes cannot serve a reversal" "agent bayes cannot serve task reversal" test --db rev.db --agents bayes --episodes 4
refused ban.db "an agent listed twice" "agent 'rw' is listed twice" test --db ban.db --agents rw,rw --episodes 4
refused ban.db "an agent listed twice (not side by side)" "agent 'thompson' is listed twice" test --db ban.db --agents thompson,rw,thompson --episodes 4
j=$("$BIN" test --db ban.db --agents thompson,rw --episodes 4 --json --quiet)
[ "$(json_get "$j" '$.reference[0].agent')|$(json_get "$j" '$.reference[1].agent')|$(json_get "$j" '$.reference[2].agent')" = "thompson|rw|" ] \
    && ok "test --agents thompson,rw: each agent once, in order" || not_ok "test --agents list" "$j"

# ---- the agents' own settings go to the agents of --agents that take them ----
j=$("$BIN" test --db ban.db --agents rw,thompson --alpha 0.2 --episodes 3 --json --quiet 2> err.txt)
rw=$(json_get "$j" '$.reference[0].run')
[ -n "$rw" ] && sqlite3 ban.db "SELECT config FROM runs WHERE run_id = $rw" | grep -q "^alpha = 0.2" \
    && ok "test --agents rw,thompson --alpha 0.2: rw runs with alpha 0.2" || not_ok "test --alpha" "$(cat err.txt)"
refused ban.db "an agent setting no listed agent takes" "agent.alpha is a setting of none of this test's reference agents (thompson" \
    test --db ban.db --agents thompson --alpha 0.2 --episodes 3
refused ban.db "an agent setting with no agents" "agent.beta is a setting of none" test --db ban.db --agents none --beta 3 --episodes 3

# ---- --run by name, in every command that takes --run ------------------------
j=$("$BIN" test --db rev.db --run rev-net --episodes 4 --agents none --json --quiet 2> err.txt)
[ "$(json_get "$j" '$.train_run')" = 1 ] && ok "test --run rev-net: the run of that name" || not_ok "test --run NAME" "$(cat err.txt)"
"$BIN" train --resume --run bandit-net --episodes 72 --db ban.db --quiet > /dev/null 2> err.txt \
    && [ "$(sqlite3 ban.db "SELECT max(episode) FROM training WHERE run_id = 1")" = 71 ] \
    && ok "train --resume --run bandit-net" || not_ok "train --resume --run NAME" "$(cat err.txt)"
"$BIN" baseline --episodes 3 --trials 20 --agent rw --name twin --db ban.db --quiet > /dev/null
"$BIN" baseline --episodes 3 --trials 20 --agent wsls --name twin --db ban.db --quiet > /dev/null
"$BIN" baseline --episodes 5 --trials 20 --agent rw --name solo --db ban.db --quiet > /dev/null
solo=$(sqlite3 ban.db "SELECT run_id FROM runs WHERE name = 'solo'")
twins=$(sqlite3 ban.db "SELECT group_concat(run_id, ', ') FROM (SELECT run_id FROM runs WHERE name = 'twin' ORDER BY run_id)")
"$BIN" export ban.db --run solo > solo.csv 2> err.txt && [ "$(wc -l < solo.csv)" = 101 ] \
    && [ "$(cut -d, -f1 solo.csv | sort -u | head -1)" = "$solo" ] && ok "export --run solo" || not_ok "export --run NAME" "$(cat err.txt)"
a=$("$BIN" analyze ban.db --run solo --json 2> err.txt)
[ "$(json_get "$a" '$.run')" = "$solo" ] && ok "analyze --run solo" || not_ok "analyze --run NAME" "$(cat err.txt)" "$a"
"$BIN" plot curve ban.db --run solo -o solo.svg > /dev/null 2> err.txt && [ -s solo.svg ] \
    && ok "plot --run solo" || not_ok "plot --run NAME" "$(cat err.txt)"
"$BIN" compare ban.db --run solo --run bandit-net -o cmp > /dev/null 2> err.txt && [ -s cmp/index.html ] \
    && ok "compare --run solo --run bandit-net" || not_ok "compare --run NAME" "$(cat err.txt)"
"$BIN" export ban.db --run "$solo" > byid.csv && cmp -s solo.csv byid.csv && ok "--run ID still selects by id" || not_ok "--run ID"
refused ban.db "export: a name of several runs" "runs $twins" export ban.db --run twin --output new.csv
refused ban.db "analyze: a name of several runs" "2 runs in ban.db are named 'twin'" analyze ban.db --run twin
refused ban.db "export: no run of that name" "nor the name of a run" export ban.db --run nobody --output new.csv
refused ban.db "test: no run of that name" "'nobody'" test --db ban.db --run nobody
[ ! -e new.csv ] && ok "refused --run wrote nothing" || not_ok "new.csv written"
finish
