#!/bin/sh
# tests/cli_plot.sh: `metarl plot`, `report` and `compare` through the real
# binary, on small runs: every figure kind gives a PNG beside its data and
# gnuplot script, and the script alone draws the same PNG again; svg and pdf
# follow the extension; the report and the comparison write an index.html
# whose every link exists; bad input is one line, exit 2, no file.
. tests/lib_cli.sh
SRC=$PWD/data/human
cd "$WORK" || exit 1

# A reversal network (trained briefly) tested beside its reference agents,
# the human reversal data, and a bandit baseline without unit rates.
"$BIN" train --task reversal --episodes 64 --hidden 8 --batch 8 --trials 30 --db r.db --quiet > /dev/null || exit 1
"$BIN" test --db r.db --episodes 20 --quiet > /dev/null || exit 1   # run 2 = network, 3.. = reference agents
"$BIN" import "$SRC/prl_reiter2017_predchange.csv" --task reversal --db r.db --choice-col A --reward-col R \
    --correct-col S --rewards 1,-1 --p-high 0.8 --p-low 0.2 > /dev/null || exit 1
HUMAN=$(sqlite3 r.db "SELECT run_id FROM runs WHERE kind = 'import'")
OBS=$(sqlite3 r.db "SELECT run_id FROM runs WHERE agent = 'observer'")
"$BIN" import "$SRC/hBayesDM_bandit2arm_exampleData.txt" --format hbayesdm --db r.db > /dev/null || exit 1
NOTRUTH=$(sqlite3 r.db "SELECT max(run_id) FROM runs WHERE kind = 'import'")

is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }

# plot_ok KIND ARGS...: draws figs/KIND.png; checks the PNG, the script, its data, and a redraw.
plot_ok() {
    k=$1; shift
    rm -rf "figs/$k"; mkdir -p "figs/$k"
    if ! "$BIN" plot "$k" r.db "$@" -o "figs/$k/$k.png" > out.txt 2> err.txt && \
       ! "$BIN" plot "$k" r.db "$@" --output "figs/$k/$k.png" > out.txt 2> err.txt; then
        not_ok "plot $k $*: exit 0" "$(cat err.txt)"; return; fi
    if grep -qv '^metarl: wrote' err.txt; then not_ok "plot $k: no warning from gnuplot" "$(cat err.txt)"; return; fi
    f=figs/$k/$k.png
    if ! is_png "$f" || [ "$(wc -c < "$f")" -lt 5000 ]; then not_ok "plot $k: a PNG image" "$(ls -l "$f")"; return; fi
    n_dat=$(ls figs/$k/$k*.dat 2>/dev/null | wc -l)
    if [ ! -s "figs/$k/$k.gp" ] || [ "$n_dat" -lt 1 ]; then not_ok "plot $k: $k.gp and its .dat beside the PNG" "$(ls figs/$k)"; return; fi
    for d in figs/$k/$k*.dat; do
        b=$(basename "$d")
        if ! grep -q "'$b'" "figs/$k/$k.gp"; then not_ok "plot $k: the script reads $b by relative path"; return; fi
        if ! head -1 "$d" | grep -q '^# '; then not_ok "plot $k: $b starts with a # header"; return; fi
    done
    cp "$f" orig.png
    rm "$f"
    if ! (cd "figs/$k" && gnuplot "$k.gp" > /dev/null 2>&1) || ! cmp -s "$f" orig.png; then
        not_ok "plot $k: gnuplot $k.gp in its folder redraws the same PNG"; return; fi
    ok "plot $k $*: PNG + $k.gp + $n_dat .dat, redrawn identically by gnuplot"
}
plot_ok training
# A long training (6,000 stored rows) still gives a .dat of at most 200 bins and a small image.
"$BIN" train --task bandit --episodes 6000 --hidden 4 --batch 8 --trials 10 --db long.db --quiet > /dev/null || exit 1
rm -rf figs/long && mkdir -p figs/long
"$BIN" plot training long.db -o figs/long/long.svg > /dev/null 2>&1
rows=$(sqlite3 long.db "SELECT count(*) FROM training")
lines=$(wc -l < figs/long/long.dat 2>/dev/null || echo 0)
[ "$rows" -ge 6000 ] && [ "$lines" -ge 100 ] && [ "$lines" -le 202 ] && [ "$(wc -c < figs/long/long.svg)" -lt 500000 ] \
    && ok "training of $rows episodes: $lines lines of .dat (200 bins at most), svg under 500 kB" \
    || not_ok "training .dat bounded" "$rows rows, $lines lines, $(wc -c < figs/long/long.svg 2>/dev/null) bytes of svg"
# Several runs: the legend has a cell of its own after the panels (drawn inside the first panel, a key
# of 6-8 seeds covered its curves), one entry per run, and no panel draws a key.
for sd in 1 2 3; do "$BIN" train --episodes 40 --hidden 4 --batch 8 --trials 10 --seed $sd --db three.db --quiet > /dev/null || exit 1; done
rm -rf figs/three && mkdir -p figs/three
"$BIN" plot training three.db --run 1 --run 2 --run 3 -o figs/three/three.png > /dev/null 2>&1
gp=figs/three/three.gp
panels=$(grep -c '^# panel:' "$gp" 2>/dev/null)
cells=$(sed -n 's/^set multiplot layout 2,\([0-9]*\) .*/\1/p' "$gp" 2>/dev/null)
legend_titles=$(sed -n '/^# the legend/,$p' "$gp" 2>/dev/null | grep '^plot ' | grep -o " title '" | wc -l)
# keys switched on from the line before the first panel's plot to the legend (the preamble styles the key)
panel_keys=$(sed -n '/^# the legend/q;p' "$gp" 2>/dev/null | grep '^set key\|^# panel:\|^plot ' | sed -n '/^# panel:/,$p' \
    | grep -c '^set key [^o]')
key_before=$(sed -n '/^# panel:/q;p' "$gp" 2>/dev/null | grep '^set key' | tail -1)
[ "$key_before" = "set key off" ] || panel_keys="$panel_keys (before the first panel: $key_before)"
if is_png figs/three/three.png && [ "$legend_titles" = 3 ] && [ "$panel_keys" = 0 ] && [ -n "$cells" ] \
    && [ $((2 * cells)) -ge $((panels + 1)) ]; then
    ok "training of 3 runs: the legend in a cell of its own ($panels panels in 2 x $cells), 3 entries"
else
    not_ok "training legend cell" "panels $panels, cells 2 x $cells, legend entries $legend_titles, keys in panels $panel_keys"
fi
plot_ok curve --run 2 --run "$OBS" --run "$HUMAN"
plot_ok regret --run 2
n=$(ls figs/regret/regret_run*.dat | wc -l)
n_ref=$(sqlite3 r.db "SELECT count(*) FROM runs WHERE parent_run = 2")
[ "$n" = $((n_ref + 1)) ] && ok "regret of a test run brings its $n_ref reference agents" || not_ok "regret with reference agents" "$n files"
plot_ok stay --run 2 --run "$OBS" --run "$HUMAN"
plot_ok regression --run 2 --run "$HUMAN"
plot_ok rw --run 2 --run "$HUMAN"
plot_ok reversal --run 2 --run "$OBS" --run "$HUMAN"
plot_ok volatility --run 2 --run "$HUMAN"
plot_ok pca --run 2
plot_ok trajectories --run 2 --color belief --episodes 2
plot_ok decoding --run 2
plot_ok selectivity --run 2
plot_ok rpe --run 2

# -o is short for --output (cli/args.c offers it to every command with an --output flag)
"$BIN" plot stay r.db --run 2 -o figs/short.png > /dev/null 2> err.txt
if is_png figs/short.png 2> /dev/null; then ok "plot -o FIG.png"
elif grep -q "unknown option '-o'" err.txt; then ok "plot -o FIG.png # SKIP this build's argument parser has no -o yet"
else not_ok "plot -o FIG.png" "$(cat err.txt)"; fi

# formats follow the extension
"$BIN" plot reversal r.db --run 2 --output figs/rev.svg 2> /dev/null && grep -q '<svg' figs/rev.svg && grep -q "set output 'rev.svg'" figs/rev.gp \
    && ok "plot -o FIG.svg writes an SVG" || not_ok "svg output"
"$BIN" plot stay r.db --run 2 --output figs/stay.pdf 2> /dev/null && [ "$(head -c 4 figs/stay.pdf)" = "%PDF" ] \
    && ok "plot -o FIG.pdf writes a PDF" || not_ok "pdf output"
for c in trial reward p0; do
    "$BIN" plot trajectories r.db --run 2 --color "$c" --output "figs/traj_$c.png" 2> /dev/null && is_png "figs/traj_$c.png" \
        || { not_ok "trajectories --color $c"; continue; }
    ok "trajectories --color $c"
done

# compare: two and three runs
if "$BIN" compare r.db --run 2 --run "$OBS" --run "$HUMAN" --output cmp --quiet 2> err.txt && [ -s cmp/index.html ] \
   && grep -q 'figures/reversal.png' cmp/index.html && [ "$(ls cmp/figures/*.png | wc -l)" -ge 8 ]; then
    ok "compare of 3 runs: index.html and $(ls cmp/figures/*.png | wc -l) figures"
else not_ok "compare of 3 runs" "$(cat err.txt)"; fi
"$BIN" compare r.db --run "$OBS" --run "$HUMAN" --output cmp2 --quiet 2> err.txt && grep -q 'regression.png' cmp2/index.html \
    && ok "compare of 2 runs (observer and human data)" || not_ok "compare of 2 runs" "$(cat err.txt)"
# compare: runs of different tasks or trials are named in a warning (stderr and index.html); same task, none
"$BIN" compare r.db --run 2 --run "$NOTRUTH" --output cmp3 --quiet 2> err.txt
if grep -q 'differ in task or trials' err.txt && grep -q "(run 2) is reversal with 30 trials" err.txt \
   && grep -q "(run $NOTRUTH) is bandit" err.txt && grep -q 'differ in task or trials' cmp3/index.html; then
    ok "compare of a reversal and a bandit run warns, naming both"
else not_ok "compare of different tasks warns" "$(cat err.txt)"; fi
"$BIN" compare r.db --run 2 --run "$OBS" --output cmp4 --quiet 2> err.txt
grep -q 'differ' err.txt cmp4/index.html && not_ok "compare of one task: no warning" "$(cat err.txt)" \
    || ok "compare of runs on one task: no warning"

# report: every link of index.html exists; neural figures only where there are unit rates
links_exist() {   # every src= and href= in DIR/index.html names a file in DIR
    grep -o '\(src\|href\)="[^"#]*"' "$1/index.html" | sed 's/^[a-z]*="//; s/"$//' | while read -r l; do
        [ -f "$1/$l" ] || echo "$l"
    done
}
if "$BIN" report r.db --output rep --quiet 2> err.txt && [ -s rep/index.html ]; then
    missing=$(links_exist rep)
    n_img=$(grep -c '<img ' rep/index.html)
    if [ -z "$missing" ] && [ "$n_img" -ge 20 ]; then ok "report: index.html with $n_img figures, every link exists"
    else not_ok "report: links exist" "missing: $missing; images $n_img"; fi
else not_ok "report exits 0" "$(cat err.txt)"; fi
[ -f rep/run2/trajectories.png ] && [ ! -e rep/run$OBS/pca.png ] && [ ! -e "rep/run$NOTRUTH/regret.png" ] \
    && [ -f "rep/run$HUMAN/reversal.png" ] && [ -f rep/run1/training.png ] && [ -f rep/run2_compare/regret.png ] \
    && ok "report: neural figures only with unit rates, no regret without truth, comparisons per test run" \
    || not_ok "report: figures that apply" "$(ls rep rep/run2 | tr '\n' ' ')"
grep -q 'Rescorla-Wagner, pooled fit' rep/index.html && grep -q '<table>' rep/index.html \
    && ok "report: runs table and key numbers" || not_ok "report key numbers"
ls -d rep.tmp-* > /dev/null 2>&1 && not_ok "report leaves no temporary folder" || ok "report leaves no temporary folder"
# a report killed (SIGKILL) leaves rep.tmp-PID: a later report removes it once PID is gone, never a live one's
sh -c 'exit 0' & dead=$!; wait "$dead"
sleep 60 & live=$!
mkdir -p "rep.tmp-$dead/run1" "rep.tmp-$live/run1" "rep.old-$dead" && touch "rep.tmp-$dead/index.html" "rep.tmp-$live/index.html"
"$BIN" report r.db --output rep --quiet 2> err.txt
if [ ! -e "rep.tmp-$dead" ] && [ ! -e "rep.old-$dead" ] && [ -f "rep.tmp-$live/index.html" ]; then
    ok "report removes a dead report's rep.tmp-PID and keeps a live one's"
else not_ok "stale temporary folders" "$(ls -d rep.* 2>&1 | tr '\n' ' ') $(cat err.txt)"; fi
kill "$live" 2> /dev/null; wait "$live" 2> /dev/null; rm -rf "rep.tmp-$live"
"$BIN" report r.db --output rep --quiet 2> err.txt && [ -s rep/index.html ] && ok "report over an earlier report replaces it" \
    || not_ok "report again" "$(cat err.txt)"

# bad input: one line on stderr, exit 2, nothing written
mkdir -p mine && echo "keep me" > mine/notes.txt
printf 'not a database\n' > notes.db
refusals <<TABLE
unknown figure lists the kinds  | kinds: training, curve         | plot frobs r.db --output new/x.png
unknown run                     | no run 99                       | plot curve r.db --run 99 --output new/x.png
trajectories of a baseline      | no prefrontal unit rates        | plot trajectories r.db --run $OBS --output new/x.png
regret without task truth       | no task truth                   | plot regret r.db --run $NOTRUTH --output new/x.png
unknown --color                 | --color                         | plot trajectories r.db --run 2 --color p9 --output new/x.png
training of a test run          | train run                       | plot training r.db --run 2 --output new/x.png
reversal figure without reversals | no reversal                   | plot reversal r.db --run $NOTRUTH --output new/x.png
unsupported extension           | unsupported figure format       | plot curve r.db --run 2 --output new/x.jpg
no extension                    | unsupported figure format       | plot curve r.db --run 2 --output new/x
no output                       | needs -o                        | plot curve r.db --run 2
not a metarl database           | notes.db                        | plot curve notes.db --output new/x.png
missing database                | missing.db                      | plot curve missing.db --output new/x.png
bad --episodes                  | --episodes                      | plot trajectories r.db --run 2 --episodes 0 --output new/x.png
bad --size                      | --size                          | plot curve r.db --run 2 --size 10x10 --output new/x.png
report into a foreign folder    | not a metarl report             | report r.db --output mine
report of a non-database        | notes.db                        | report notes.db --output new
compare needs two runs          | at least two                    | compare r.db --run 2 --output new
compare with an unknown run     | no run 99                       | compare r.db --run 2 --run 99 --output new
report as pdf                   | pdf                             | report r.db --format pdf --output new
--lags a figure does not read   | --lags: the figure 'curve' does not read it (it applies to regression) | plot curve r.db --run 2 --lags 3 --output new/x.png
--color a figure does not read  | --color: the figure 'pca' does not read it | plot pca r.db --run 2 --color reward --output new/x.png
--episodes a figure does not read | --episodes: the figure 'regression' does not read it | plot regression r.db --run 2 --episodes 2 --output new/x.png
TABLE
[ "$(cat mine/notes.txt)" = "keep me" ] && ok "a foreign folder is left alone" || not_ok "foreign folder"
finish
