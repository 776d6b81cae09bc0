#!/bin/sh
# tests/cli_help.sh: the command line's help and its house rules. Every
# option a command's --help lists is one the command accepts (each is tried
# and must not be refused as unknown), every setting it lists shows its
# default, and no cli/ source file is over 250 lines or lacks its header
# paragraph.
. tests/lib_cli.sh
ROOT=$PWD

# ---- house: cli/ files are small and say what they are ----------------------
for f in "$ROOT"/cli/*.c "$ROOT"/cli/*.h; do
    n=$(wc -l < "$f")
    b=$(basename "$f")
    [ "$n" -le 250 ] && ok "house: cli/$b has $n lines (at most 250)" || not_ok "house: cli/$b has $n lines (over 250)"
    head -1 "$f" | grep -q "^/\* cli/$b" && ok "house: cli/$b opens with its header paragraph" \
        || not_ok "house: cli/$b header" "$(head -1 "$f")"
done

# ---- every option a --help lists is one the command takes ------------------
# `CMD --OPT VALUE --help` prints the help (exit 0) only when CMD knows --OPT;
# an unknown option stops the parse first (exit 2).
cd "$WORK" || exit 1
opts() { "$BIN" "$1" --help | sed -n 's/^  --\([a-z0-9_-]*\)\( \([^ ]*\)\)\{0,1\} .*/\1 \3/p'; }
for c in baseline train test sweep import analyze plot report compare merge info export tasks agents; do
    bad="" n=0
    opts "$c" > opts.txt
    while read -r o m; do
        n=$((n + 1))
        if [ -n "$m" ]; then "$BIN" "$c" "--$o" 1 --help > /dev/null 2> err.txt
        else "$BIN" "$c" "--$o" --help > /dev/null 2> err.txt
        fi
        [ $? = 0 ] || bad="$bad --$o($(cat err.txt))"
    done < opts.txt
    [ -z "$bad" ] && [ "$n" -gt 0 ] && ok "$c --help: its $n options are all accepted" || not_ok "$c --help lists options it refuses" "$bad"
done

# `metarl test` takes [test], [task] and [agent] settings only: each option
# its help lists, given its default, is taken (not refused as a training
# setting) by a real test of a bandit run; the other task's flags are
# refused as not applying to this run's task, an agent's as belonging to no
# agent of --agents (none here), nothing else; a choice another task declares
# with other words (baited's --dist train) is refused as no value of bandit's.
"$BIN" train --hidden 6 --batch 8 --episodes 16 --trials 10 --set train.anneal_episodes=0 --quiet --db t.db > /dev/null || exit 1
"$BIN" test --help | sed -n 's/^  --\([a-z0-9_-]*\) [^ ]* .*(default: \([^)]*\)).*/\1 \2/p' > tdefs.txt
bad="" n=0
while read -r o d; do
    case "$o" in db|run|config|set|episodes|agents) continue ;; esac
    n=$((n + 1))
    "$BIN" test --db t.db --episodes 2 --agents none --quiet "--$o" "$d" > /dev/null 2> err.txt
    rc=$?
    if [ $rc != 0 ] && ! grep -qE "does not apply to task bandit|a setting of none of this test's reference agents|unknown value '$d' \(expected one of" err.txt; then bad="$bad --$o $d: $(cat err.txt);"; fi
done < tdefs.txt
[ -z "$bad" ] && [ "$n" -gt 10 ] && ok "test --help: each of its $n settings, at its default, is taken by test" \
    || not_ok "test --help lists settings test refuses" "$bad"
"$BIN" test --help | grep -qE '^  --(hidden|lr|train-batch|run-seed) ' && not_ok "test --help lists training settings" \
    || ok "test --help lists no training setting"

# ---- every option that takes a value shows its default (or is required) -----
for c in baseline test import info export tasks agents; do
    missing=$("$BIN" "$c" --help | grep -E '^  --[a-z0-9_-]+ [^ ]' | grep -vE 'default|required|^  --(config|set) ' | sed 's/^  \(--[^ ]*\).*/\1/' | tr '\n' ' ')
    [ -z "$missing" ] && ok "$c --help: every option with a value shows its default" || not_ok "$c --help: no default shown for" "$missing"
done
# ---- one convention for arms: 0 and 1 (actions, p0/p1); flags with hyphens ---
all_help() { for c in baseline train test sweep import analyze plot report compare merge info export; do "$BIN" "$c" --help; done
             "$BIN" tasks; "$BIN" agents; }
arms=$(all_help | grep -nE "arm 2|arms 1 and 2|arm 1's|first arm|second arm")
[ -z "$arms" ] && ok "help texts name arms 0 and 1 only" || not_ok "help texts name arms from 1" "$arms"
under=$(all_help | grep -oE -- "--[a-z0-9]+_[a-z0-9_]+" | sort -u | tr '\n' ' ')
[ -z "$under" ] && ok "help texts spell every flag with hyphens" || not_ok "flags spelled with _ in help" "$under"
cd "$ROOT" || exit 1
finish
