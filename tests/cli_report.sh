#!/bin/sh
# tests/cli_report.sh: `metarl report` leads with the result: index.html opens
# on a summary of the network's frozen-weight test (its run, its headline
# number as `metarl analyze --json` gives it, the reference agents on the same
# instances, the targets of data/targets.tsv with their source), then one
# section per question; the reference agents' own figures are folded.
. tests/lib_cli.sh
TARGETS=$PWD/data/targets.tsv
cd "$WORK" || exit 1

# run 1 is a baseline (the old report opened on it); runs 2-3 a short bandit network and its test
"$BIN" baseline --task bandit --agent wsls --episodes 20 --db b.db --quiet > /dev/null || exit 1
"$BIN" train --task bandit --episodes 64 --hidden 8 --batch 8 --trials 20 --db b.db --quiet > /dev/null || exit 1
"$BIN" test --db b.db --episodes 30 --quiet > /dev/null || exit 1
TEST=$(sqlite3 b.db "SELECT max(run_id) FROM runs WHERE kind = 'test'")
N_REF=$(sqlite3 b.db "SELECT count(*) FROM runs WHERE parent_run = $TEST AND kind = 'baseline'")
if ! "$BIN" report b.db --output rep --quiet 2> err.txt; then not_ok "report exits 0" "$(cat err.txt)"; finish; exit; fi
H=rep/index.html

# the first section is the summary and names the test run
first=$(grep -o '<h2[^>]*>[^<]*' "$H" | head -1)
case "$first" in
    *'id="summary"'*"run $TEST"*) ok "index.html opens on the summary of test run $TEST" ;;
    *) not_ok "index.html opens on the summary" "first h2: $first" ;;
esac
# its headline number is analyze's
j=$("$BIN" analyze b.db --run "$TEST" --json --out an 2> /dev/null)
want=$(printf '%.3f' "$(json_get "$j" '$.regret')")
headline=$(grep 'class="headline"' "$H")
echo "$headline" | grep -q "regret per episode $want ± " && ok "the headline regret is analyze --json's ($want)" \
    || not_ok "headline number" "want $want; $headline"
n_named=0
for a in $(sqlite3 b.db "SELECT agent FROM runs WHERE parent_run = $TEST AND kind = 'baseline'"); do
    echo "$headline" | grep -q " $a [0-9]" && n_named=$((n_named + 1))
done
[ "$n_named" = "$N_REF" ] && [ "$N_REF" -ge 2 ] && ok "the headline names the $N_REF reference agents with their numbers" \
    || not_ok "reference agents in the headline" "$n_named of $N_REF: $headline"
# the targets come from the data file, with their source
summary=$(sed -n '/id="summary"/,/id="q-learn"/p' "$H")
echo "$summary" | grep -q 'goal: regret@100 at most 2.5' && echo "$summary" | grep -q 'README.md' \
    && echo "$summary" | grep -q 'data/targets.tsv' && ok "the summary quotes data/targets.tsv with sources" \
    || not_ok "targets in the summary"
printf 'task\tdist\tmetric\trelation\tvalue\twhat\tsource\nbandit\t-\tregret\t<=\t99\tan invented bound\tthis test\n' > t.tsv
METARL_TARGETS=$PWD/t.tsv "$BIN" report b.db --output rep2 --quiet 2> /dev/null
grep -q 'an invented bound' rep2/index.html && ! grep -q 'goal: regret@100' rep2/index.html \
    && ok "the targets are read from the file (METARL_TARGETS), not typed into the code" || not_ok "targets from the file"
# one section per question, in order, after the summary
order=$(grep -o 'h2 id="[a-z-]*"' "$H" | sed 's/h2 id=//; s/"//g' | tr '\n' ' ')
case "$order" in
    "summary q-learn q-beat q-reversal q-activity others "*) ok "sections: $order" ;;
    *) not_ok "one section per question" "$order" ;;
esac
# the reference agents' own figures are folded; the comparisons are open
n_open=$(sed '/<details>/,/<\/details>/d' "$H" | grep -c '<img ')
n_all=$(grep -c '<img ' "$H")
[ "$n_open" -ge 3 ] && [ "$n_open" -le 16 ] && [ "$n_all" -gt "$n_open" ] \
    && ok "$n_open figures open, $((n_all - n_open)) folded in <details>" || not_ok "figures folded" "$n_open open of $n_all"
[ -f "rep/run${TEST}_compare/regret.png" ] && [ -f rep/run2/training.png ] && [ -f "rep/run$TEST/pca.png" ] \
    && ok "the questions' figures: regret beside the agents, training, activity" || not_ok "figures" "$(ls rep)"
# a store without a test run says so on its first section
"$BIN" baseline --task bandit --agent thompson --episodes 10 --db c.db --quiet > /dev/null || exit 1
"$BIN" report c.db --output rep3 --quiet 2> /dev/null && grep -q 'holds no test run' rep3/index.html \
    && ok "a store without a test run: the summary says so" || not_ok "no test run"
finish
