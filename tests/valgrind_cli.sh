#!/bin/sh
# tests/valgrind_cli.sh: the commands themselves under valgrind's memcheck
# (make check-valgrind): every run must be free of memory errors and leaks.
. tests/lib_cli.sh
SRC=$PWD/data/human
cd "$WORK" || exit 1
vg_rc() {   # expected exit status, description, then the metarl arguments
    want=$1; d=$2; shift 2
    valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
        "$BIN" "$@" > out.txt 2> err.txt
    rc=$?
    if [ "$rc" = "$want" ]; then ok "valgrind: $d"
    else not_ok "valgrind: $d (exit $rc, expected $want)" "$(head -30 err.txt)"; fi
}
vg() { vg_rc 0 "$@"; }
vg "baseline bayes"      baseline --agent bayes --trials 20 --episodes 20 --db v.db --quiet
vg "baseline reversal"   baseline --task reversal --agent observer --episodes 20 --db v.db --quiet --json
vg "train"               train --episodes 64 --hidden 8 --batch 8 --trials 20 --db v.db --quiet
vg "train --resume"      train --resume --episodes 96 --db v.db --quiet
vg "test"                test --db v.db --episodes 10 --quiet
vg "import"              import "$SRC/prl_reiter2017_predchange.csv" --task reversal --db v.db --choice-col A --reward-col R --correct-col S --rewards 1,-1
vg "info"                info v.db
vg "export csv"          export v.db --run 1 --output x.csv
vg "export activity"     export v.db --format activity --run 4 --output a.csv
vg_rc 2 "bad input"     baseline --episodes 0 --db v.db
printf 'subject,trial,choice,reward\n1,1,2,1\n1,2,x,1\n' > bad.csv
vg_rc 2 "bad import"    import bad.csv --db v.db
small_grid grid.ini 16 10
cat >> grid.ini <<EOF
[run]
record_every = 0
[train]
batch = 8
workers = 2
[test]
episodes = 5
agents = thompson
EOF
vg "sweep (2 workers)"   sweep --grid grid.ini --db-prefix sw --quiet
vg "merge"               merge m.db sw.db v.db --quiet
finish
