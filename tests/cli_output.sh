#!/bin/sh
# tests/cli_output.sh: what the commands print is whole and harmless: a
# write error on stdout is a failure (exit 1, one message), run names are
# checked on the way in, and text from a store made elsewhere reaches JSON
# as valid UTF-8 and the terminal without escape codes.
. tests/lib_cli.sh
cd "$WORK" || exit 1
for c in "info g.db --json" "baseline --episodes 2 --json" "tasks" "agents" "--help"; do
    [ -f g.db ] || "$BIN" baseline --episodes 3 --db g.db --quiet > /dev/null
    # shellcheck disable=SC2086
    "$BIN" $c > /dev/full 2> err.txt
    rc=$?
    [ "$rc" = 1 ] && grep -q "^metarl: stdout: write failed" err.txt && ok "'$c' > /dev/full: exit 1, '$(cat err.txt)'" \
        || not_ok "'$c' > /dev/full" "rc=$rc" "$(cat err.txt)"
done

# A store written by something else: a name with an escape code and bytes that are not UTF-8.
sqlite3 g.db "UPDATE runs SET name = 'x' || char(27) || '[31mred' || CAST(x'ff' AS TEXT) WHERE run_id = 1"
"$BIN" info g.db > table.txt
if grep -q "$(printf '\033')" table.txt; then not_ok "info table: no escape code reaches the terminal" "$(od -c table.txt | head -3)"
else ok "info table: no escape code reaches the terminal"; fi
j=$("$BIN" info g.db --json)
[ "$(sqlite3 :memory: "SELECT json_valid(CAST(x'$(printf '%s' "$j" | od -An -tx1 | tr -d ' \n')' AS TEXT))")" = 1 ] \
    && printf '%s' "$j" | iconv -f UTF-8 -t UTF-8 > /dev/null 2>&1 \
    && ok "info --json: valid JSON in valid UTF-8 whatever the store holds" || not_ok "info --json validity" "$j"

# info counts the episodes a training run trained, not the curve rows it kept.
"$BIN" train --episodes 96 --hidden 6 --batch 8 --trials 10 --set run.record_every=32 --set train.checkpoint_every=32 \
    --db t.db --quiet > /dev/null
n=$("$BIN" info t.db --json | sed 's/.*"episodes":\([0-9]*\).*/\1/')
[ "$n" = 96 ] && ok "info: a training run's episodes are those trained (96)" || not_ok "info train episodes" "$n"
finish
