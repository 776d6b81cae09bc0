#!/bin/sh
# tests/cli_experiment.sh: `metarl experiment` through the real binary:
# `list` names every experiment with its settings and says that quick
# numbers are not the result; `experiment bandit --quick` trains, tests and
# writes results.tsv, summary.md and figures; a second run with the same
# store trains nothing (the run count stays); bad input (an unknown name,
# --seeds 0, an -o folder that is not an experiment's) exits 2 with one line
# and writes nothing. Every other experiment's --quick (one seed) runs end to
# end too: exit 0, a network row for each of its metrics with a number, the
# verdict line, a PNG per figure; twostep_daw (Daw 2011 variant) its
# model-based margin per agent and the human weights beside; harlow, baited, volatility and inferred
# also check the numbers their metrics read (accuracy in [0, 1], baited tested
# on task.dist = test with unit rates, volatility trained on its task family
# and tested on the standard task, a bootstrap interval around the ratio, the
# inferred-value weights of the network and the RW learner).
. tests/lib_cli.sh
cd "$WORK" || exit 1

# list
if "$BIN" experiment list > list.txt 2> err.txt; then
    miss=""
    for e in bandit dependent reversal twostep twostep_daw harlow baited volatility inferred; do grep -q "^$e: " list.txt || miss="$miss $e"; done
    if [ -n "$miss" ]; then not_ok "experiment list: every experiment" "missing:$miss"
    elif ! grep -q "not the result" list.txt; then not_ok "experiment list: says quick numbers are not the result"
    elif ! grep -q "seeds x" list.txt || ! grep -q "task bandit" list.txt; then not_ok "experiment list: seeds and task" "$(cat list.txt)"
    else ok "experiment list: 9 experiments with task, settings, seeds and time"
    fi
else
    not_ok "experiment list: exit 0" "$(cat err.txt)"
fi

# bandit --quick, end to end
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }
if "$BIN" experiment bandit --quick --db q.db -o out --quiet > out.txt 2> err.txt; then
    ok "experiment bandit --quick: exit 0"
else
    not_ok "experiment bandit --quick: exit 0" "$(cat err.txt)"
fi
head -1 out/results.tsv 2>/dev/null | grep -q "^agent	metric	median	min	max	seeds	seed1	seed2$" \
    && [ "$(grep -c '^network	' out/results.tsv)" -eq 3 ] && grep -q '^thompson	regret	' out/results.tsv \
    && ok "results.tsv: header, network rows for 3 metrics, the reference agents" \
    || not_ok "results.tsv" "$(cat out/results.tsv 2>/dev/null)"
grep -q '^\*\*Signature reproduced: \(yes\|no\)' out/summary.md 2>/dev/null && grep -q "not the result" out/summary.md \
    && grep -q '| thompson | regret | .* | 2.765 | ' out/summary.md \
    && ok "summary.md: the verdict line, quick warning, measured vs published with source" \
    || not_ok "summary.md" "$(cat out/summary.md 2>/dev/null)"
figs=0
for k in training regret curve; do
    is_png "out/figures/$k.png" && [ -s "out/figures/$k.gp" ] && figs=$((figs + 1))
done
[ "$figs" -eq 3 ] && ok "figures: training, regret and curve PNGs with their scripts" || not_ok "figures" "$(ls out/figures)"
ls -d out.tmp-* out.old-* > /dev/null 2>&1 && not_ok "no temporary folder left" "$(ls)" || ok "no temporary folder left"
n1=$(sqlite3 q.db "SELECT count(*) FROM runs")
t1=$(sqlite3 q.db "SELECT count(*) FROM runs WHERE kind = 'train' AND name LIKE 'bandit-quick-seed%' AND status = 'done'")
[ "$t1" -eq 2 ] && ok "two training runs named bandit-quick-seed1, -seed2" || not_ok "two named training runs" "$t1"

# a second run resumes: nothing trained or tested again
cp out/results.tsv first.tsv
if "$BIN" experiment bandit --quick --db q.db -o out --quiet > out2.txt 2> err.txt; then
    n2=$(sqlite3 q.db "SELECT count(*) FROM runs")
    [ "$n1" -eq "$n2" ] && grep -q "(0 trained, 0 resumed, 2 done earlier)" out2.txt && cmp -s first.tsv out/results.tsv \
        && ok "second run: no new run ($n2 runs), same results.tsv" \
        || not_ok "second run retrains nothing" "runs $n1 -> $n2; $(cat out2.txt)"
else
    not_ok "second run: exit 0" "$(cat err.txt)"
fi

# a store written before a setting existed (its stored config lacks model.precision) is the same
# run when that setting is at its default; a stored value that differs is named
cp q.db old.db
sqlite3 old.db "UPDATE runs SET config = replace(config, 'precision = double' || char(10), '')"
if "$BIN" experiment bandit --quick --db old.db -o oldout --quiet > out4.txt 2> err.txt \
    && grep -q "(0 trained, 0 resumed, 2 done earlier)" out4.txt; then
    ok "a store from before a setting existed: its runs are reused"
else
    not_ok "a store from before a setting existed: its runs are reused" "$(cat out4.txt err.txt)"
fi
sqlite3 old.db "UPDATE runs SET config = replace(config, 'hidden = 16', 'hidden = 17') WHERE kind = 'train'"
"$BIN" experiment bandit --quick --db old.db -o oldout2 --quiet > /dev/null 2> err.txt
rc=$?
[ "$rc" -eq 2 ] && grep -q "model.hidden is 17 in the stored run, 16 now" err.txt && [ "$(wc -l < err.txt)" -eq 1 ] \
    && [ ! -e oldout2 ] && ok "a stored run with another setting: exit 2, the setting named" \
    || not_ok "a stored run with another setting: exit 2, the setting named" "rc $rc; $(cat err.txt)"

# interrupted during the first seed (SIGINT once seed 1's training run is in the store, running):
# exit 130, no folder; the rerun resumes that seed
"$BIN" experiment bandit --quick --db i.db -o iout --quiet > /dev/null 2> err.txt &
pid=$!
i=0
while [ $i -lt 2000 ] && kill -0 "$pid" 2> /dev/null \
    && ! { [ -s i.db ] && [ "$(sqlite3 -readonly i.db "SELECT count(*) FROM runs WHERE name = 'bandit-quick-seed1' AND status = 'running'" 2> /dev/null)" = 1 ]; }; do
    sleep 0.01; i=$((i + 1))
done
kill -INT "$pid" 2> /dev/null
wait "$pid"
rc=$?
if [ "$rc" -ne 130 ] || [ -e iout ] || ls -d iout.tmp-* > /dev/null 2>&1; then
    not_ok "interrupted: exit 130, nothing written" "rc $rc; $(cat err.txt); $(ls)"
elif "$BIN" experiment bandit --quick --db i.db -o iout --quiet > out3.txt 2> err.txt \
    && grep -q "(1 trained, 1 resumed, 0 done earlier)" out3.txt \
    && [ "$(sqlite3 i.db "SELECT count(*) FROM runs WHERE kind = 'train'")" -eq 2 ]; then
    ok "interrupted: exit 130, nothing written; the rerun resumes seed 1 and trains seed 2"
else
    not_ok "rerun after an interrupt resumes" "$(cat out3.txt err.txt)"
fi

# every other experiment's --quick, one seed: metric rows with numbers, the verdict, the figures
metric_rows() { awk -F'\t' -v m="$2" '$1 == "network" && $2 == m && $3 != "NaN"' "$1/results.tsv" 2>/dev/null | wc -l; }
for spec in "dependent:regret reward_per_trial p_best:training regret curve" \
            "reversal:p_best post_reversal reward_per_trial:training reversal curve" \
            "twostep:reward_per_trial stay_rewarded_common mb_weight mf_weight:training twostep curve" \
            "twostep_daw:mb_margin mb_weight mf_weight stay_rewarded_common stay_unrewarded_rare reward_per_trial:training twostep curve" \
            "harlow:harlow_trial1 harlow_trial2 reward_per_trial:training" \
            "baited:lg_reward_1 lg_rewarded_1 lg_unrewarded_1 matching_slope sel_action sel_reward reward_per_trial:training regression selectivity" \
            "volatility:vol_ratio vol_ratio_lo vol_ratio_hi alpha_stable alpha_volatile:training volatility" \
            "inferred:inf_expect_weight inf_last_weight inf_switch_ratio inf_switch_rewarded p_best:training inferred rpe"; do
    e=${spec%%:*}; rest=${spec#*:}; metrics=${rest%%:*}; kinds=${rest#*:}
    if ! "$BIN" experiment "$e" --quick --seeds 1 --db "q-$e.db" -o "out-$e" --quiet > "o-$e.txt" 2> "e-$e.txt"; then
        not_ok "experiment $e --quick: exit 0" "$(cat "e-$e.txt")"
        continue
    fi
    bad=""
    for m in $metrics; do [ "$(metric_rows "out-$e" "$m")" -eq 1 ] || bad="$bad $m"; done
    for k in $kinds; do is_png "out-$e/figures/$k.png" || bad="$bad $k.png"; done
    grep -q '^\*\*Signature reproduced: \(yes\|no\)' "out-$e/summary.md" || bad="$bad verdict"
    [ -z "$bad" ] && ok "experiment $e --quick: metrics, verdict and figures" \
        || not_ok "experiment $e --quick" "missing:$bad; $(cat "out-$e/results.tsv")"
done
val() { awk -F'\t' -v a="$2" -v m="$3" '$1 == a && $2 == m { print $3 }' "$1/results.tsv"; }
in01() { awk -v v="$1" 'BEGIN { exit !(v >= 0 && v <= 1) }'; }
in01 "$(val out-harlow network harlow_trial1)" && in01 "$(val out-harlow network harlow_trial2)" \
    && grep -q "| wang2018 | harlow_trial2 | .* | 0.97 | Wang et al. 2018" out-harlow/summary.md \
    && ok "harlow: accuracies in [0, 1]; Wang 2018's 0.97 with its source" || not_ok "harlow numbers" "$(cat out-harlow/results.tsv)"
t=$(sqlite3 q-baited.db "SELECT count(*) FROM runs WHERE kind = 'test' AND config LIKE '%dist = test%'")
tr=$(sqlite3 q-baited.db "SELECT count(*) FROM runs WHERE kind = 'train' AND config LIKE '%dist = train%'")
[ "$t" -eq 1 ] && [ "$tr" -eq 1 ] && [ "$(val out-baited rw sel_action)" = NaN ] && in01 "$(val out-baited network sel_action)" \
    && ok "baited: trained on dist train, tested on dist test with unit rates (selectivity of the network only)" \
    || not_ok "baited: train/test dist and rates" "test $t train $tr; $(cat out-baited/results.tsv)"
t=$(sqlite3 q-volatility.db "SELECT count(*) FROM runs WHERE kind IN ('test', 'baseline') AND config LIKE '%stretches = 2%'
    AND config LIKE '%stable_trials = 120%' AND config LIKE '%rev_min = 20%' AND config LIKE '%rev_max = 40%'")
tr=$(sqlite3 q-volatility.db "SELECT count(*) FROM runs WHERE kind = 'train' AND config LIKE '%stretches = 4%'
    AND config LIKE '%rev_min = 10%'")
[ "$t" -eq 5 ] && [ "$tr" -eq 1 ] \
    && ok "volatility: trained on the task family (4 stretches, reversals every 10-30), tested with the agents on the standard task" \
    || not_ok "volatility: train/test tasks" "test and baselines on the standard task $t (want 5), train $tr"
awk -F'\t' '$1 == "rw" && $2 ~ /^vol_ratio/ { v[$2] = $3 } END { exit !(v["vol_ratio_lo"] <= v["vol_ratio"] && v["vol_ratio"] <= v["vol_ratio_hi"]) }' \
    out-volatility/results.tsv && awk -F'\t' '$2 == "vol_ratio" || $2 == "reward_per_trial" { v[$1 "," $2] = $3 }
    END { exit !(v["volobs,vol_ratio"] > v["rw,vol_ratio"] && v["volobs,reward_per_trial"] > v["rw,reward_per_trial"]) }' \
    out-volatility/results.tsv && ok "volatility: RW's ratio inside its interval; the ideal observer (volobs) above RW in ratio and reward" \
    || not_ok "volatility interval" "$(cat out-volatility/results.tsv)"
t=$(sqlite3 q-twostep_daw.db "SELECT count(*) FROM runs WHERE kind IN ('test', 'baseline') AND config LIKE '%p_min = 0.25%'
    AND config LIKE '%p_max = 0.75%' AND config LIKE '%drift = 0.025%'")
tr=$(sqlite3 q-twostep_daw.db "SELECT count(*) FROM runs WHERE kind = 'train' AND config LIKE '%p_min = 0.1%'
    AND config LIKE '%drift = 0.05%'")
[ "$t" -eq 5 ] && [ "$tr" -eq 1 ] \
    && ok "twostep_daw: trained on the wider family (0.1-0.9, drift 0.05), tested with the agents on the standard task" \
    || not_ok "twostep_daw: train/test tasks" "test and baselines on the standard task $t (want 5), train $tr"
awk -F'\t' '$2 ~ /^m[bf]_(weight|margin)$/ { v[$1 "," $2] = $3 }
    END { for (a in v) { split(a, k, ","); if (k[2] != "mb_margin") continue;
              mb = v[k[1] ",mb_weight"]; mf = v[k[1] ",mf_weight"]; want = mb - mf < mb ? mb - mf : mb;
              d = v[a] - want; if (d < -1e-5 || d > 1e-5) exit 1; n++ }
          exit !(n == 5) }' out-twostep_daw/results.tsv \
    && grep -q "| human | mb_weight | .* | 0.4403 | measured by this project" out-twostep_daw/summary.md \
    && sqlite3 q-twostep_daw.db "SELECT config FROM runs WHERE kind = 'test'" | grep -q "variant = daw" \
    && ok "twostep_daw: tested on the daw variant; mb_margin = min(mb, mb - mf) for the network and 4 agents; human weights beside" \
    || not_ok "twostep_daw numbers" "$(cat out-twostep_daw/results.tsv)"
[ -n "$(val out-inferred rw inf_expect_weight)" ] && [ "$(val out-inferred rw inf_expect_weight)" != NaN ] \
    && [ "$(val out-inferred observer inf_expect_weight)" != NaN ] \
    && ok "inferred: the inferred-value weights of the network, RW and the observer" \
    || not_ok "inferred numbers" "$(cat out-inferred/results.tsv)"

# bad input: exit 2, one line, nothing written
mkdir bad && cd bad || exit 1
mkdir notours && echo x > notours/file.txt
refusals <<'EOF'
unknown experiment     | unknown experiment 'nope' (experiments: bandit, dependent, reversal, twostep, twostep_daw, harlow, baited, volatility, inferred) | experiment nope --quick
--seeds 0              | --seeds 0                 | experiment bandit --quick --seeds 0
--seeds abc            | --seeds abc               | experiment bandit --quick --seeds abc
--workers 0            | --workers 0               | experiment bandit --quick --workers 0
-o a foreign folder    | is not an experiment's output | experiment bandit --quick -o notours
--db not a store       | notours/file.txt          | experiment bandit --quick --db notours/file.txt
no experiment named    | usage                     | experiment
list --seeds           | --seeds: applies to running an experiment | experiment list --seeds 3
list --quick           | --quick: applies to running an experiment | experiment list --quick
EOF
finish
