#!/bin/sh
# tests/cli_readme.sh: every code block of README.md runs, in order, as a
# reader would paste it, in one scratch folder (so a later block sees what
# an earlier one made). build/metarl there is a wrapper that appends short
# settings to the long-running commands (train, test, baseline; a sweep only
# lists its points), so the
# tour takes seconds; every other flag is the README's own. sh blocks run
# with `sh -e`; python blocks with the system Python (skipped without NumPy
# when they import it); r blocks with Rscript (skipped without it). A block
# after a line `<!-- readme-test: skip WHY -->` is reported as skipped, WHY
# saying which test runs it instead.
. tests/lib_cli.sh
SRC=$PWD
cd "$WORK" || exit 1
mkdir -p build blocks
ln -s "$SRC/data" data
ln -s "$SRC/notebooks" notebooks
cat > build/metarl <<WRAP
#!/bin/sh
cmd=\$1
case "\$cmd" in
train) set -- "\$@" --episodes 96 --hidden 8 --set train.checkpoint_every=32 ;;
test) set -- "\$@" --episodes 12 ;;
baseline) set -- "\$@" --episodes 40 ;;
sweep) set -- "\$@" --list ;;   # its points, not their hours of training (cli_merge.sh runs sweeps)
esac
exec "$BIN" "\$@"
WRAP
chmod +x build/metarl
awk -v dir=blocks '
    /^<!-- readme-test: skip/ { skip = $0; sub(/^<!-- readme-test: skip */, "", skip); sub(/ *-->.*/, "", skip); next }
    /^```/ && !inblock {
        lang = substr($0, 4); n++; inblock = 1
        f = sprintf("%s/%02d.%s", dir, n, lang == "" ? "text" : lang)
        if (skip != "") { print skip > (f ".skip"); skip = "" }
        printf "" > f; next
    }
    /^```/ && inblock { inblock = 0; close(f); next }
    inblock { print >> f; next }
    { if ($0 != "") skip = "" }
' "$SRC/README.md"
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
for b in blocks/*; do
    case "$b" in *.skip) continue ;; esac
    name=$(basename "$b")
    first=$(head -1 "$b" | cut -c1-60)
    if [ -f "$b.skip" ]; then echo "ok $((N_TEST += 1)) - README block $name ($first) # SKIP $(cat "$b.skip")"; continue; fi
    case "$b" in
    *.sh) sh -e "$b" > "$b.out" 2>&1 ;;
    *.python)
        if grep -q numpy "$b" && ! "$PY" -c "import numpy" 2>/dev/null; then
            echo "ok $((N_TEST += 1)) - README block $name # SKIP no NumPy for $PY"; continue
        fi
        PYTHONPATH=notebooks "$PY" "$b" > "$b.out" 2>&1 ;;
    *.r)
        if ! command -v Rscript > /dev/null || ! Rscript -e 'library(DBI); library(RSQLite)' > /dev/null 2>&1; then
            echo "ok $((N_TEST += 1)) - README block $name # SKIP no R with DBI and RSQLite"; continue
        fi
        Rscript "$b" > "$b.out" 2>&1 ;;
    *) continue ;;   # a plain block is text (a folder tree), not code
    esac
    rc=$?
    [ "$rc" = 0 ] && ok "README block $name ($first) runs" \
        || not_ok "README block $name ($first) runs" "exit $rc" "$(tail -5 "$b.out")"
done
finish
