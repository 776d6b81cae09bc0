#!/bin/sh
# tests/cli_report_notebook.sh: notebook 1's text matches what it shows (its
# outputs are made by `make notebooks`; this checks the text itself): no unit
# count or result typed into the prose, the unit count read from the shipped
# config, the quick run named as under-trained, and the shipped result read
# from data/targets.tsv rather than claimed.
. tests/lib_cli.sh
NB=notebooks/1_bandit_meta_learning.ipynb
md() { python3 -c 'import json,sys; nb=json.load(open(sys.argv[1])); print("\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"]==sys.argv[2]))' "$NB" "$1"; }
md markdown > "$WORK/md.txt"; md code > "$WORK/code.txt"
hidden=$(sed -n 's/^hidden *= *\([0-9]*\).*/\1/p' data/configs/bandit.ini)
typed=$(grep -o '[0-9][0-9]* units' "$WORK/md.txt" | grep -v "^$hidden units" | head -1)
[ -z "$typed" ] && ok "notebook 1: no unit count in its text other than the config's ($hidden)" \
    || not_ok "notebook 1 types a unit count the config does not hold" "$typed (config: $hidden)"
grep -q 'getint("model", "hidden")' "$WORK/code.txt" && ok "notebook 1 reads the unit count from the config" \
    || not_ok "notebook 1 reads hidden from the config"
grep -qi 'like the Bayesian agents' "$WORK/md.txt" && not_ok "notebook 1 claims the network behaves like the Bayesian agents" \
    || ok "notebook 1 claims no result its run may not show"
grep -q 'FULL_EPISODES' "$WORK/code.txt" && grep -qi 'under-trained' "$WORK/md.txt" && grep -q 'targets.tsv' "$WORK/code.txt" \
    && ok "notebook 1 trains the shipped config in full (quick: says it is under-trained) and quotes the shipped result" \
    || not_ok "notebook 1: full training, quick run named, shipped result quoted"
finish
