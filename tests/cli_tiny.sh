#!/bin/sh
# tests/cli_tiny.sh: runs too small for some statistics (one episode, a few
# trials, a cell with no trial) through every command that prints numbers
# for people: no table, caption or report cell shows "nan" or "inf" (an
# undefined number reads "-" or "n/a", an undefined SE is left out), and
# `report` draws such runs instead of failing on an empty axis range.
. tests/lib_cli.sh
cd "$WORK" || exit 1
undefined() { grep -E '(^|[^A-Za-z0-9_])[-+]?(nan|inf)([^A-Za-z0-9_]|$)' "$@"; }

: > base.txt
for spec in "bandit rw 1 1" "bandit thompson 2 3" "reversal rw 1 3" "reversal observer 2 7" "twostep wsls 2 7" \
            "twostep mb 1 2" "harlow wsls 1 2" "baited rw 1 4" "volatility rw 1 0"; do
    set -- $spec
    trials="--trials $4"; [ "$4" = 0 ] && trials=""
    "$BIN" baseline --task "$1" --agent "$2" --episodes "$3" $trials --db t.db --name "$1-$2" --quiet >> base.txt 2>&1 \
        || not_ok "baseline $1 $2 ($3 episodes, $4 trials)" "$(tail -1 base.txt)"
done
N=$(sqlite3 t.db "SELECT count(*) FROM runs")
[ "$N" = 9 ] && ok "tiny: 9 baseline runs of 1-2 episodes stored" || not_ok "tiny runs" "$N runs"
undefined base.txt > bad.txt && not_ok "baseline: no nan in its summaries" "$(head -3 bad.txt)" \
    || ok "baseline: no nan in its summaries (lags past the episode end read -)"
grep -q 'by trial after reversal *[01]\.00 - - -' base.txt && ok "baseline: accuracy at lags no episode reached reads -" \
    || not_ok "baseline lag row" "$(grep 'by trial after' base.txt | head -2)"

"$BIN" analyze t.db > an.txt 2> an.err
rc=$?
[ "$rc" = 0 ] && [ "$(grep -c '^== run ' an.txt)" = 9 ] && ok "analyze: a table for each tiny run" || not_ok "analyze" "rc $rc"
undefined an.txt > bad.txt && not_ok "analyze: no nan in the tables" "$(head -3 bad.txt)" || ok "analyze: no nan in the tables"
grep -q 'learning curve: reward/trial 1.0000, P(best)' an.txt && ok "analyze: one episode: the mean without ± SE" \
    || not_ok "no SE for one episode" "$(grep 'learning curve' an.txt | head -2)"
grep -q 'delta ~ r + V: not estimable from 1 trials' an.txt && ok "analyze: a regression of one trial says it is not estimable" \
    || not_ok "not estimable" "$(grep 'delta ~' an.txt | head -3)"
grep -q 'p(stay|loss) - (n = 0)' an.txt && ok "analyze: a stay cell with no pair reads - (n = 0)" \
    || not_ok "empty stay cell" "$(grep '^stay' an.txt | head -3)"

"$BIN" report t.db -o rep > rep.out 2> rep.err
rc=$?
[ "$rc" = 0 ] && [ -f rep/index.html ] && ok "report: draws every tiny run (an empty range is widened)" \
    || not_ok "report of tiny runs" "rc $rc; $(grep -v Warning rep.err | tail -2)"
if [ ! -f rep/index.html ]; then not_ok "report: no nan in the index" "no index written"
elif undefined rep/index.html > bad.txt; then not_ok "report: no nan in the index" "$(head -3 bad.txt)"
else ok "report: no nan in the index (captions and key numbers)"; fi

"$BIN" compare t.db --run 1 --run 3 --run 4 -o cmp > cmp.out 2> cmp.err
rc=$?
if [ "$rc" != 0 ] || [ ! -f cmp/index.html ]; then not_ok "compare: overlays tiny runs" "rc $rc; $(grep -v -i warning cmp.err | tail -2)"
elif undefined cmp/index.html > bad.txt; then not_ok "compare: no nan in its index" "$(head -3 bad.txt)"
else ok "compare: overlays tiny runs (no figure fails on all-undefined deciles), no nan in its index"; fi

"$BIN" train --episodes 16 --hidden 6 --trials 10 --db n.db --quiet > /dev/null 2>&1 || not_ok "train a tiny network"
"$BIN" test --db n.db --episodes 1 --quiet > test.txt 2>&1
rc=$?
[ "$rc" = 0 ] && ! undefined test.txt > /dev/null && grep -q '^network .* 0\.[0-9]\{4\} ' test.txt \
    && ok "test --episodes 1: the table has means and no nan" || not_ok "test of one episode" "rc $rc; $(head -8 test.txt)"
"$BIN" baseline --task reversal --agent rw --episodes 1 --trials 30 --db f.db --quiet > /dev/null 2>&1
"$BIN" fit f.db --run 1 --model rw,wsls --compare --cv 0 > fit.txt 2>&1
rc=$?
[ "$rc" = 0 ] && ! undefined fit.txt > /dev/null && grep -q '^wsls  *1  *30 .* +0\.[0-9]\{4\}$' fit.txt \
    && ok "fit --compare of one subject: the paired difference without an SE, no nan" || not_ok "fit of one subject" "rc $rc; $(tail -3 fit.txt)"

printf '%s\n' "[task]" "name = harlow" "trials = 3" "[model]" "hidden = 6" > hb.ini
printf '%s\n' "[sweep]" "config = hb.ini" "steps = train, test" "name = h" "[run]" "seed = 1, 2" "episodes = 8" \
    "[test]" "episodes = 1" > h.ini
"$BIN" sweep --grid h.ini --db-prefix h > sweep.txt 2> sweep.err
rc=$?
[ "$rc" = 0 ] && [ "$(grep -c '^ *[0-9] .* done ' sweep.txt)" = 2 ] && ! undefined sweep.txt > /dev/null \
    && ok "sweep of one-episode tests: its table has no nan" || not_ok "sweep table" "rc $rc; $(tail -4 sweep.txt)"
finish
