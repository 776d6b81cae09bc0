#!/bin/sh
# tests/cli_analyze.sh: `metarl analyze` through the real binary, on small
# runs: the tables, the TSV files (names, headers, one width per file), the
# --json keys later tools read, agreement between the three, determinism, and
# bad input (one line, exit 2, no file written).
. tests/lib_cli.sh
SRC=$PWD/data/human
cd "$WORK" || exit 1

"$BIN" train --task reversal --episodes 64 --hidden 8 --batch 8 --trials 30 --db a.db --quiet > /dev/null || exit 1
"$BIN" test --db a.db --episodes 20 --agents observer,wsls --quiet > /dev/null || exit 1   # runs 2, 3, 4
"$BIN" import "$SRC/prl_reiter2017_predchange.csv" --task reversal --db a.db --choice-col A --reward-col R \
    --correct-col S --rewards 1,-1 --p-high 0.8 --p-low 0.2 > /dev/null || exit 1        # run 5
N_RUNS=$(sqlite3 a.db "SELECT count(*) FROM runs")

# ---- tables
"$BIN" analyze a.db > tables.txt 2> err.txt
rc=$?
[ "$rc" = 0 ] && [ "$(grep -c '^== run ' tables.txt)" = "$N_RUNS" ] && ok "analyze: one table per run ($N_RUNS)" \
    || not_ok "analyze: one table per run" "rc $rc; $(cat err.txt)"
grep -q '^metarl: wrote [0-9]* TSV files to a.analysis/$' err.txt && ok "analyze: says where the TSV files went" \
    || not_ok "analyze: stderr" "$(cat err.txt)"
sed -n '/^== run 2:/,/^$/p' tables.txt > run2.txt
missing=""
for s in "learning curve:" "stay: p(stay|win)" "reward-history regression (Lau & Glimcher 2005)" "Rescorla-Wagner (pooled)" \
         "reversals:" "trials to criterion" "learning rate vs volatility" "RPE delta" "neural: 8 prefrontal units" \
         "PCA variance explained" "decoding (5-fold CV" "selectivity"; do
    grep -qF "$s" run2.txt || missing="$missing [$s]"
done
[ -z "$missing" ] && ok "analyze: the network's table has every analysis" || not_ok "network table" "missing:$missing"
sed -n '/^== run 3:/,/^$/p' tables.txt | grep -q 'neural:' && not_ok "observer: no neural section" || ok "analyze: no neural section without unit rates"
grep -q '^== run 2: .*(beside it: runs 3, 4)' tables.txt && ok "analyze: a test run names its reference agents" \
    || not_ok "beside it" "$(grep '^== run 2' tables.txt)"
grep -q '^== run 1: train network on reversal, 64 training rows' tables.txt && ok "analyze: a train run shows its curve" \
    || not_ok "train table" "$(grep '^== run 1' tables.txt)"

# ---- TSV files
want="criterion curve decoding pca_scores pca_variance regression reversal rpe rpe_inferred rpe_inferred_fit rpe_observer rpe_outcome rpe_reversal rw_episodes selectivity stay summary volatility"
got=$(cd a.analysis && ls run2_*.tsv | sed 's/^run2_//; s/\.tsv$//' | tr '\n' ' ' | sed 's/ $//')
[ "$got" = "$want" ] && ok "analyze: the network's TSV files" || not_ok "network TSV files" "got: $got"
[ -f a.analysis/run1_training.tsv ] && [ ! -e a.analysis/run3_pca_variance.tsv ] && [ -f a.analysis/run5_reversal.tsv ] \
    && ok "analyze: training TSV for a train run; no neural TSV without unit rates" || not_ok "TSV set" "$(ls a.analysis)"
[ "$(head -1 a.analysis/run2_curve.tsv)" = "$(printf 't\tn\treward\treward_se\tn_best\tp_best\tp_best_se\tn_regret\tregret\tregret_se')" ] \
    && ok "analyze: curve header" || not_ok "curve header" "$(head -1 a.analysis/run2_curve.tsv)"
[ "$(wc -l < a.analysis/run2_curve.tsv)" = 31 ] && ok "analyze: one curve row per trial (30)" || not_ok "curve rows"
bad=""
for f in a.analysis/*.tsv; do
    w=$(awk -F'\t' '{print NF}' "$f" | sort -u | wc -l)
    [ "$w" = 1 ] || bad="$bad $f"
done
[ -z "$bad" ] && ok "analyze: every TSV row as wide as its header" || not_ok "ragged TSV" "$bad"
ls a.analysis/.*tmp* > /dev/null 2>&1 && not_ok "no temporary files left" || ok "analyze: no temporary files left"

# ---- JSON
"$BIN" analyze a.db --json > all.json 2> /dev/null
[ "$(wc -l < all.json)" = "$N_RUNS" ] && ok "analyze --json: one object per run and line" || not_ok "json lines"
j=$(sed -n 2p all.json)
keys_ok=1
for k in '$.run' '$.kind' '$.agent' '$.task' '$.reward_per_trial' '$.p_best' '$.regret' '$.p_stay_win' '$.p_stay_loss' \
         '$.p_stay_win_ci[1]' '$.rw_alpha' '$.rw_beta' '$.rw_episodes.n' '$.regression.rewarded[0]' '$.regression.unrewarded_se[4]' \
         '$.reversal_curve.accuracy[10]' '$.trials_to_criterion.k' '$.volatility.alpha_volatile' '$.rpe.b_reward' \
         '$.neural.n_units' '$.neural.pca_explained[0]' '$.neural.decoding.belief.r2' '$.neural.decoding.belief.null_p95' \
         '$.neural.selectivity.action'; do
    v=$(json_get "$j" "$k")
    [ -n "$v" ] || { keys_ok=0; not_ok "analyze --json: key $k" "$j" ; break; }
done
[ "$keys_ok" = 1 ] && ok "analyze --json: the network's keys (summary, stay, RW, regression, reversal, volatility, RPE, neural)"
[ "$(json_get "$j" '$.reversal_curve.lag[10]')" = 0 ] && [ "$(json_get "$j" '$.regression.lags[4]')" = 5 ] \
    && ok "analyze --json: reversal lags -10..20, regression lags 1..5" || not_ok "json lags"
[ "$(json_get "$(sed -n 1p all.json)" '$.training.rows')" = 64 ] && ok "analyze --json: a train run's training rows" \
    || not_ok "json training" "$(sed -n 1p all.json)"
p_tsv=$(awk -F'\t' '$1 == "win" {printf "%.6f", $4}' a.analysis/run2_stay.tsv)
p_json=$(printf '%.6f' "$(json_get "$j" '$.p_stay_win')")
[ "$p_tsv" = "$p_json" ] && ok "analyze: JSON and TSV agree (p(stay|win) $p_json)" || not_ok "json vs tsv" "$p_tsv vs $p_json"
j3=$("$BIN" analyze a.db --run 2 --json --lags 3 --out lag3 2> /dev/null)
[ "$(json_get "$j3" '$.regression.lags[2]')" = 3 ] && [ -z "$(json_get "$j3" '$.regression.lags[3]')" ] \
    && [ "$(wc -l < lag3/run2_regression.tsv)" = 4 ] && ok "analyze --lags 3 --run 2 --out DIR" || not_ok "--lags 3" "$j3"

# ---- determinism
"$BIN" analyze a.db --out again > /dev/null 2>&1
diff -r a.analysis again > /dev/null && ok "analyze: the same TSV files on a second run" || not_ok "determinism" "$(diff -r a.analysis again | head -5)"

# ---- a failure mid-way (a damaged store: run 4's first action out of range, after runs 1-3 are written)
# leaves no partial --out folder, and an earlier folder exactly as it was
cp a.db bad.db
sqlite3 bad.db "UPDATE trials SET action = 7 WHERE run_id = 4 AND episode = 0 AND t = 0" || exit 1
"$BIN" analyze bad.db --out part > /dev/null 2> err.txt; rc=$?
if [ "$rc" = 1 ] && grep -q 'out of range' err.txt && [ ! -e part ] && ! ls -d part.tmp-* > /dev/null 2>&1; then
    ok "analyze failing at run 4 of $N_RUNS: exit 1, no partial --out folder"
else not_ok "analyze failing mid-way leaves nothing" "exit $rc: $(cat err.txt); $(ls -d part* 2>&1)"; fi
f=$(cd again && ls run1_* | head -1); echo '# the earlier analysis' >> "again/$f"   # marks the earlier folder
cp -r again kept
"$BIN" analyze bad.db --out again > /dev/null 2>&1
diff -r kept again > /dev/null && ! ls -d again.tmp-* > /dev/null 2>&1 \
    && ok "analyze failing mid-way leaves the earlier --out folder as it was" || not_ok "earlier folder intact" "$(diff -r kept again | head -3)"
rm -rf kept bad.db err.txt

# ---- bad input: one line, exit 2, nothing written
printf 'not a database\n' > notes.db
refusals <<'TABLE'
unknown run             | no run 99                | analyze a.db --run 99 --out new
run id not a number     | --run                    | analyze a.db --run two --out new
lags zero               | --lags                   | analyze a.db --lags 0 --out new
lags above 20           | --lags                   | analyze a.db --lags 21 --out new
negative ridge          | --ridge                  | analyze a.db --ridge -1 --out new
ridge not a number      | --ridge                  | analyze a.db --ridge much --out new
not a metarl database   | notes.db                 | analyze notes.db
missing database        | missing.db               | analyze missing.db
no database             | needs an argument        | analyze
TABLE
finish
