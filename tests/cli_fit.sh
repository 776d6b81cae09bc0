#!/bin/sh
# tests/cli_fit.sh: `metarl fit` through the real binary: the shipped Reiter
# reversal data fitted per subject (Subject08 reaches the optimum the old
# 3 x 3 grid missed, -log L <= 79.1), the fits stored and replaced on a
# second fit, the comparison printed for several models, JSON lines, an agent
# run fitted too, recovery (uniform and from a run's fits, the winner by
# BIC or held out), the empirical-Bayes fit stored as rw-hier; bad input (unknown model naming the known ones,
# unknown run, a run without enough choices, bad --cv) exits 2 with nothing
# stored.
. tests/lib_cli.sh
SRC=$PWD/data/human
cd "$WORK" || exit 1

"$BIN" import "$SRC/prl_reiter2017_predchange.csv" --task reversal --db r.db --choice-col A --reward-col R \
    --correct-col S --rewards 1,-1 --p-high 0.8 --p-low 0.2 > /dev/null || exit 1
"$BIN" baseline --task bandit --agent thompson --episodes 4 --set task.trials=50 --db r.db --quiet > /dev/null || exit 1
"$BIN" baseline --task bandit --agent thompson --episodes 2 --set task.trials=5 --db r.db --name short --quiet > /dev/null || exit 1
nfits() { sqlite3 r.db "SELECT count(*) FROM fits" 2>/dev/null || echo 0; }

"$BIN" fit r.db --run 1 --model rw --cv 0 > fit.txt 2> fit.err
check "fit rw exits 0" test $? -eq 0
s08=$(sqlite3 r.db "SELECT -loglik FROM fits WHERE subject = 'Subject08' AND model = 'rw'")
check "Subject08: -log L $s08 <= 79.1 (the 3x3 grid stopped at 92.65)" awk "BEGIN { exit !($s08 <= 79.1) }"
check "22 rw fits stored" test "$(nfits)" -eq 22
check "the table names Subject08" grep -q "^Subject08 *rw" fit.txt
check "schema version 4" test "$(sqlite3 r.db 'PRAGMA user_version')" -eq 4
check "at_bound counted" test -n "$(sqlite3 r.db 'SELECT sum(at_bound) FROM fits')"

"$BIN" fit r.db --run 1 --model rw,wsls,observer --cv 3 > cmp.txt 2>/dev/null
check "fit of three models with cv exits 0" test $? -eq 0
check "rw refitted, not duplicated: 66 fits" test "$(nfits)" -eq 66
check "comparison printed" grep -q "^model comparison" cmp.txt
check "comparison has a best model" grep -q "(best)" cmp.txt
cp r.db r0.db   # fitting again replaces r.db's fits, which the checks below read
"$BIN" fit r0.db --run 1 --model rw,wsls --cv 0 > cmp0.txt 2>/dev/null
check "without cross-validation the held-out columns are '-', not nan (per subject and in the comparison)" \
    sh -c 'grep -Eq "^rw( +[0-9.]+){4} +- +- " cmp0.txt && grep -Eq "^Subject08 +rw +[0-9]+ +[0-9.]+ +- " cmp0.txt && ! grep -qi "nan" cmp0.txt'
check "held-out NLL stored" test "$(sqlite3 r.db "SELECT count(*) FROM fits WHERE heldout_loglik < loglik AND cv_folds = 3")" -eq 66

"$BIN" fit r.db --run 2 --model rw,bayes --json --map --cv 0 > j.txt 2>/dev/null
check "an agent run fits, JSON lines" test "$(grep -c '"method":"map"' j.txt)" -eq 8
check "JSON comparison line" grep -q '"compare":\[' j.txt
check "MAP fits stored beside ML" test "$(sqlite3 r.db "SELECT count(*) FROM fits WHERE method = 'map'")" -eq 8

"$BIN" fit --recover rw --subjects 20 --trials 200 > rec.txt 2>/dev/null
check "recovery prints r per parameter" grep -q "^rw *beta" rec.txt
"$BIN" fit --recover rw,wsls --subjects 4 --trials 40 --map > recm.txt 2>/dev/null
check "recovery with --map says so, and checks log posteriors" grep -q "MAP fits" recm.txt
check "recovery with --map: no own fit below the truth's log posterior" grep -q "log posterior of the generating parameters: 0 of 8" recm.txt
"$BIN" fit --recover rw,wsls --subjects 4 --trials 60 --from r.db:1 --winner cv --cv 2 --trace rect.tsv > recp.txt 2>/dev/null
check "recovery from the fitted population (22 fits of rw, 22 of wsls)" grep -q "^rw *alpha *22 " recp.txt
check "model recovery by held-out NLL" grep -q "winner by held-out NLL, 2-fold" recp.txt
check "model recovery: diagonal with its Wilson interval" grep -q "^diagonal: .*% \[.*%, .*%\] (95% Wilson" recp.txt
check "model recovery: no own fit below the generating parameters" grep -q "generating parameters: 0 of 8 subjects" recp.txt
check "--trace: a line per simulated subject, winners matching the matrix" test "$(awk -F'\t' 'NR > 1 && $1 == $3' rect.tsv | wc -l)" -eq "$(awk '$1 == "rw" && NF == 6 { d += $2 } $1 == "wsls" && NF == 6 { d += $3 } END { print d }' recp.txt)" -a "$(wc -l < rect.tsv)" -eq 9
"$BIN" fit r.db --run 1 --model rw --hier --cv 0 > hier.txt 2>/dev/null
check "--hier prints the group prior" grep -q "^rw *beta .*iterations" hier.txt
check "--hier prints the Laplace log evidence" grep -q "^rw *log evidence (Laplace) -[0-9]" hier.txt
check "--hier fits stored as rw-hier, method map" test "$(sqlite3 r.db "SELECT count(*) FROM fits WHERE model = 'rw-hier' AND method = 'map'")" -eq 22

"$BIN" train --task reversal --episodes 64 --set model.hidden=6 --db n.db --quiet > /dev/null 2>&1 || exit 1
"$BIN" test --db n.db --episodes 4 --set test.agents=none --quiet > /dev/null 2>&1 || exit 1
"$BIN" fit n.db --run 2 --model network --network 1 --cv 0 --json > nj.txt 2>/dev/null
check "the network fitted to its own test episodes" test "$(grep -c '"loglik_ref"' nj.txt)" -eq 4
sums=$(sqlite3 n.db "SELECT episode, sum(ln(CASE action WHEN 1 THEN prob1 ELSE prob0 END)) FROM trials WHERE run_id = 2 GROUP BY episode ORDER BY episode" 2>/dev/null)
if [ -z "$sums" ]; then   # sqlite3 without ln(): the products in awk
    sums=$(sqlite3 -separator ' ' n.db "SELECT episode, CASE action WHEN 1 THEN prob1 ELSE prob0 END FROM trials WHERE run_id = 2" |
           awk '{ s[$1] += log($2) } END { for (e in s) printf "%d|%.17g\n", e, s[e] }' | sort -n)
fi
refs=$(sed -n 's/.*"episode":\([0-9]*\).*"loglik_ref":\([^,}]*\).*/\1|\2/p' nj.txt)
worst=$(printf '%s\n%s\n' "$sums" "$refs" | awk -F'|' '{ if ($1 in v) { d = v[$1] - $2; if (d < 0) d = -d; if (d > w) w = d } else v[$1] = $2 } END { printf "%.3g", w + 0 }')
check "network log L at T 1, lapse 0 = sum log stored policy (max diff $worst <= 1e-9)" awk "BEGIN { exit !($worst <= 1e-9) }"
"$BIN" fit r.db --run 1 --model rw,network,tinyrnn1,gru1 --network "$WORK/n.db:1" --cv 2 --ppc 2 --figures figs > np.txt 2>/dev/null
check "network and tiny RNN fitted to people, with --ppc" grep -q "^posterior predictive check" np.txt
check "the ppc has the people's row" grep -q "^people *22" np.txt
check "figures fitcompare and ppc drawn" test -s figs/fitcompare.png -a -s figs/ppc.png -a -s figs/ppc_stay.dat
check "the network's fits stored with its run" test "$(sqlite3 r.db "SELECT count(*) FROM fits WHERE model = 'network' AND params LIKE '%network_run%'")" -eq 22
check "the tiny RNN's fits stored" test "$(sqlite3 r.db "SELECT count(*) FROM fits WHERE model = 'tinyrnn1' AND heldout_loglik < 0")" -eq 22
check "the tiny GRU's fits stored, with its 19 weights" test "$(sqlite3 r.db "SELECT count(*) FROM fits WHERE model = 'gru1' AND heldout_loglik < 0 AND params LIKE '%\"weights\":19%'")" -eq 22
check "the tiny GRU simulated by the ppc" grep -q "^gru1 " np.txt

n_before=$(nfits)
refusals <<ROWS
unknown model    | unknown model 'rx' (known: rw, rw2, rwf, rwp, wsls, wsls2, observer, bayes | fit r.db --run 1 --model rw,rx
unknown run      | no run 99                   | fit r.db --run 99 --model rw
too few choices  | no subject with 10 or more  | fit r.db --run 3 --model rw
bad --cv         | --cv                        | fit r.db --run 1 --model rw --cv 1
no --model       | --model                     | fit r.db --run 1
unknown schedule | unknown schedule            | fit --recover rw --schedule maze
network, no run  | needs --network             | fit r.db --run 1 --model network
not a train run  | is not a training run (its kind: import) | fit r.db --run 1 --model network --network 1
recover network  | not a classical model       | fit --recover rw,network
--from no fits   | has no fit of model rwp     | fit --recover rwp --from r.db:1
--from not DB:RUN| is not DB:RUN               | fit --recover rw --from r.db
--from no run    | no run 99                   | fit --recover rw --from r.db:99
unknown winner   | unknown criterion 'hqc' (known: bic, aic, cv) | fit --recover rw,wsls --winner hqc
--hier and --map | replaces --map              | fit r.db --run 1 --model rw --hier --map
--trace one model| needs several models        | fit --recover rw --trace t.tsv
--trace bad path | cannot write '/nonexistent/t.tsv' | fit --recover rw,wsls --subjects 3 --trials 20 --trace /nonexistent/t.tsv
--network unused | name the model 'network'    | fit r.db --run 1 --model rw --network 1
recover --json   | --json: applies to fitting a run | fit --recover rw --json
recover --hier   | --hier: applies to fitting a run | fit --recover rw --hier
recover a store  | reads no store ('r.db')     | fit r.db --recover rw
recover --cv     | sets the folds of --winner cv | fit --recover rw,wsls --cv 3
winner cv, no folds | --winner cv: needs folds | fit --recover rw,wsls --winner cv --cv 0
fit --subjects   | --subjects: applies to --recover | fit r.db --run 1 --model rw --subjects 5
fit --from       | --from: applies to --recover | fit r.db --run 1 --model rw --from r.db:1
ROWS
check "nothing stored by the refusals" test "$(nfits)" -eq "$n_before"
finish
