#!/bin/sh
# tests/cli_golden.sh: behaviour is unchanged by refactoring. A short
# baseline, train (2 workers), test, import, analyze --json and
# plot run (its .dat data and .gp script); every stored row and every written byte that does not
# carry a clock or the build's version is hashed, item by item, and compared
# with tests/golden/outputs.sha256 (recorded at bb25f6f, before the house was
# rebuilt). METARL_GOLDEN_UPDATE=1 rewrites the file instead; do that only for
# a change of behaviour that is meant, and say so in the commit.
. tests/lib_cli.sh
GOLDEN=$PWD/tests/golden/outputs.sha256
HUMAN=$PWD/data/human
cd "$WORK" || exit 1
q() { sqlite3 -batch g.db "$1"; }
out=hashes.txt; : > "$out"
item() {   # name, then the bytes on stdin
    printf '%s %s\n' "$1" "$(sha256sum | cut -c1-64)" >> "$out"
}
SMALL="--hidden 6 --set model.time_input=false --batch 4 --trials 20 --seed 3 --set train.anneal_episodes=0 --set train.checkpoint_every=32"
"$BIN" baseline --task bandit --agent thompson --episodes 40 --seed 2 --db g.db --quiet > /dev/null
"$BIN" baseline --task reversal --agent observer --episodes 20 --seed 5 --json | sed 's/"wall_s":[^,}]*//' | item baseline_json
"$BIN" train $SMALL --episodes 128 --workers 2 --db g.db --quiet > /dev/null
"$BIN" test --db g.db --episodes 12 --quiet > /dev/null
# by a name relative to the scratch folder: the stored config names the file as given
cp "$HUMAN/hBayesDM_bandit2arm_exampleData.txt" .
"$BIN" import hBayesDM_bandit2arm_exampleData.txt --format hbayesdm --db g.db > /dev/null
q "SELECT run_id, kind, name, parent_run, task, agent, config, seed, rng FROM runs ORDER BY run_id" | item runs
q "SELECT * FROM episodes ORDER BY run_id, episode" | item episodes
for r in $(q "SELECT run_id FROM runs ORDER BY run_id"); do
    q "SELECT * FROM trials WHERE run_id = $r ORDER BY episode, t" | item "trials_run$r"
done
q "SELECT run_id, episode, module, n_trials, n_units, hex(rates) FROM activity ORDER BY run_id, episode, module" | item activity
q "SELECT run_id, episode, reward, regret, p_best, loss_policy, loss_value, entropy, grad_norm, beta_e FROM training ORDER BY run_id, episode" | item training
q "SELECT run_id, episode, hex(params), hex(optimizer), hex(state) FROM checkpoints ORDER BY run_id, episode" | item checkpoints
"$BIN" analyze g.db --json --out an > an.json 2> /dev/null
sed 's/"wall_s":[^,}]*//g' an.json | item analyze_json
# Training curves carry a wall_s column (the clock): hash them without it.
noclock() { case "$1" in *training*) awk -F'\t' -v OFS='\t' '{ $10 = ""; print }' "$1" ;; *) cat "$1" ;; esac; }
for f in $(cd an && ls | sort); do noclock "an/$f" | item "analyze_tsv/$f"; done
for kind in training regret stay rw rpe pca; do
    "$BIN" plot "$kind" g.db -o "p_$kind.png" > /dev/null 2>&1 || echo "plot $kind failed" | item "plot_failed/$kind"
    for f in $(ls | grep "^p_$kind.*\.dat$" | sort); do
        case "$f" in *training*) awk '{ $10 = ""; print }' "$f" ;; *) cat "$f" ;; esac | item "plot_dat/$f"
    done
    grep -v '^#' "p_$kind.gp" | item "plot_gp/$kind"
done
if [ -n "$METARL_GOLDEN_UPDATE" ]; then
    cp "$out" "$GOLDEN"; ok "golden outputs rewritten: $(wc -l < "$out") items"; finish; exit
fi
[ -s "$GOLDEN" ] || { not_ok "no golden file $GOLDEN"; finish; exit; }
while read -r name hash; do
    got=$(grep "^$name " "$out" | cut -d' ' -f2)
    if [ "$got" = "$hash" ]; then ok "unchanged: $name"
    elif [ -z "$got" ]; then not_ok "missing now: $name"
    else not_ok "changed: $name"; fi
done < "$GOLDEN"
extra=$(cut -d' ' -f1 "$out" | grep -vxF -f "$(cut -d' ' -f1 "$GOLDEN" > names.txt; echo names.txt)")
[ -z "$extra" ] && ok "no output beyond the recorded ones" || not_ok "new outputs not in the golden file" $extra
finish
