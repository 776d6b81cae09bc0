#!/bin/sh
# tests/check_reliability.sh (make check-reliability): runs that are killed,
# interrupted, starved of disk, refused writing, locked out or poisoned with
# NaN must lose nothing that was committed and must say what happened.
#
#   - SIGKILL at random moments, KILLS times each, during train, test and
#     import: after every kill the database passes PRAGMA integrity_check and
#     holds whole episodes only (no gap, no duplicate, no half episode); a
#     train killed again and again and resumed ends with weights
#     byte-identical to an uninterrupted run with the same seed.
#   - SIGINT / SIGTERM: the batch finishes, a checkpoint is written, exit
#     130 / 143 with a line saying how to resume.
#   - a full disk (RLIMIT_FSIZE), a read-only file, a database locked by
#     another writer: a clear error, a non-zero exit, no corruption; disk
#     full is exit 1 (not 2, bad input) in train, merge and import, and a
#     train it stops is marked interrupted with a resume line that works.
#   - NaN in training: stops with the episode number, the last good
#     checkpoint kept.
#   - readers (analyze, plot, a long-held snapshot) on a run while it trains:
#     they work, and the writer keeps committing.
# Kill moments come from a seeded generator, so a failing schedule can be
# replayed with the same SEED.
. tests/lib_cli.sh
KILLS=${KILLS:-20}
SEED=${SEED:-12345}
cd "$WORK" || exit 1
n_rand=0
rand_delay() {   # a delay in seconds in [lo, hi), from the seeded sequence
    n_rand=$((n_rand + 1))
    awk -v s="$SEED" -v k="$n_rand" -v lo="$1" -v hi="$2" 'BEGIN { srand(s + 7919 * k); printf "%.3f", lo + rand() * (hi - lo) }'
}
integrity() { [ "$(sqlite3 "$1" 'PRAGMA integrity_check')" = ok ]; }
params_of() { sqlite3 "$1" "SELECT hex(params) FROM checkpoints WHERE run_id = ${2:-1} ORDER BY episode DESC LIMIT 1" | cksum; }
curve_of() { sqlite3 "$1" "SELECT episode, reward, regret, p_best, loss_policy, loss_value, entropy, grad_norm FROM training WHERE run_id = 1 ORDER BY episode" | cksum; }
TRAIN="--episodes 40000 --hidden 16 --batch 8 --seed 3 --set train.checkpoint_every=400 --quiet"

# ---- train: reference, then killed repeatedly and resumed ----------------
# shellcheck disable=SC2086
"$BIN" train $TRAIN --db ref.db > /dev/null || { not_ok "reference training"; finish; exit 1; }
ref_params=$(params_of ref.db)
ref_curve=$(curve_of ref.db)
bad=""
for i in $(seq 1 "$KILLS"); do
    if [ -f k.db ] && [ -n "$(sqlite3 k.db "SELECT run_id FROM runs WHERE kind = 'train'" 2>/dev/null)" ]; then
        "$BIN" train --resume --db k.db --quiet > /dev/null 2>&1 &
    else
        # shellcheck disable=SC2086
        "$BIN" train $TRAIN --db k.db > /dev/null 2>&1 &
    fi
    pid=$!
    sleep "$(rand_delay 0.02 0.6)"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if [ -f k.db ]; then
        integrity k.db || bad="$bad kill$i:integrity"
        gaps=$(sqlite3 k.db "SELECT count(*) - coalesce(max(episode) + 1, 0) FROM training WHERE run_id = 1")
        [ "${gaps:-0}" = 0 ] || bad="$bad kill$i:gap($gaps)"
        ck=$(sqlite3 k.db "SELECT coalesce(max(episode), 0) FROM checkpoints WHERE run_id = 1")
        ahead=$(sqlite3 k.db "SELECT count(*) FROM training WHERE run_id = 1 AND episode >= $ck")
        [ "${ahead:-0}" = 0 ] || bad="$bad kill$i:rows-past-checkpoint($ahead)"
    fi
done
[ -z "$bad" ] && ok "train: $KILLS SIGKILLs; integrity_check ok, curve contiguous up to the last checkpoint after each" \
    || not_ok "train kills" "$bad"
"$BIN" train --resume --db k.db --quiet > /dev/null 2>&1 || true
while [ "$(sqlite3 k.db "SELECT status FROM runs WHERE run_id = 1")" != done ]; do
    "$BIN" train --resume --db k.db --quiet > /dev/null || break
done
[ "$(params_of k.db)" = "$ref_params" ] && ok "train: killed $KILLS times and resumed: weights byte-identical to the uninterrupted run" \
    || not_ok "train: weights after kills and resumes differ from the uninterrupted run"
[ "$(curve_of k.db)" = "$ref_curve" ] && ok "train: learning curve identical to the uninterrupted run (no episode lost or duplicated)" \
    || not_ok "train: learning curve differs"

# ---- signals ---------------------------------------------------------------
for sig in INT TERM; do
    rm -f s.db
    # shellcheck disable=SC2086
    "$BIN" train $TRAIN --db s.db > /dev/null 2> err.txt &
    pid=$!
    sleep 1
    kill -"$sig" "$pid"
    wait "$pid"
    rc=$?
    want=130
    [ "$sig" = TERM ] && want=143
    status=$(sqlite3 s.db "SELECT status FROM runs WHERE run_id = 1")
    if [ "$rc" = "$want" ] && grep -q "resume with: metarl train --resume --db s.db" err.txt && [ "$status" = interrupted ] \
        && integrity s.db; then
        "$BIN" train --resume --db s.db --quiet > /dev/null
        [ "$(params_of s.db)" = "$ref_params" ] && ok "SIG$sig: exit $want, says how to resume, resumed run ends byte-identical" \
            || not_ok "SIG$sig: resumed weights differ"
    else
        not_ok "SIG$sig: exit $want, message, status interrupted" "rc=$rc status=$status" "$(cat err.txt)"
    fi
done

# ---- test: killed at random moments ----------------------------------------
bad=""
for i in $(seq 1 "$KILLS"); do
    cp ref.db t.db
    "$BIN" test --db t.db --episodes 3000 --agents thompson --quiet > /dev/null 2>&1 &
    pid=$!
    sleep "$(rand_delay 0.02 0.5)"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    integrity t.db || bad="$bad kill$i:integrity"
    half=$(sqlite3 t.db "SELECT count(*) FROM episodes e WHERE run_id > 1 AND n_trials <> (SELECT count(*) FROM trials t WHERE t.run_id = e.run_id AND t.episode = e.episode)")
    [ "$half" = 0 ] || bad="$bad kill$i:half-episodes($half)"
    gaps=$(sqlite3 t.db "SELECT count(*) FROM (SELECT run_id, count(*) - max(episode) - 1 AS g FROM episodes WHERE run_id > 1 GROUP BY run_id) WHERE g <> 0")
    [ "$gaps" = 0 ] || bad="$bad kill$i:gaps"
    noact=$(sqlite3 t.db "SELECT count(*) FROM episodes e WHERE run_id = 2 AND NOT EXISTS (SELECT 1 FROM activity a WHERE a.run_id = 2 AND a.episode = e.episode)")
    [ "$noact" = 0 ] || bad="$bad kill$i:episodes-without-activity($noact)"
    [ "$(params_of t.db)" = "$ref_params" ] || bad="$bad kill$i:weights-changed"
done
[ -z "$bad" ] && ok "test: $KILLS SIGKILLs; integrity ok, whole episodes only (trials and activity), training weights untouched" \
    || not_ok "test kills" "$bad"

# ---- import: killed at random moments --------------------------------------
awk 'BEGIN { print "subject,trial,choice,reward"; for (s = 0; s < 400; s++) for (t = 1; t <= 500; t++) printf "s%d,%d,%d,%d\n", s, t, 1 + (s * t) % 2, (s + t) % 2 }' > big.csv
bad=""
for i in $(seq 1 "$KILLS"); do
    rm -f imp.db imp.db-wal imp.db-shm
    "$BIN" baseline --episodes 2 --db imp.db --quiet > /dev/null
    "$BIN" import big.csv --db imp.db > /dev/null 2>&1 &
    pid=$!
    sleep "$(rand_delay 0.01 0.6)"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    integrity imp.db || bad="$bad kill$i:integrity"
    state=$(sqlite3 imp.db "SELECT count(*), coalesce(sum(n_trials), 0) FROM episodes WHERE run_id = 2")
    case "$state" in "0|0"|"400|200000") ;; *) bad="$bad kill$i:partial($state)" ;; esac
done
[ -z "$bad" ] && ok "import: $KILLS SIGKILLs; integrity ok, each import all or nothing" || not_ok "import kills" "$bad"

# ---- concurrency: readers on a run that is still training ------------------
rm -f c.db c.db-wal c.db-shm
"$BIN" train --episodes 2000000 --hidden 16 --batch 8 --seed 5 --set train.checkpoint_every=800 \
    --set run.record_every=100 --quiet --db c.db > /dev/null 2> cerr.txt &
pid=$!
rows() { sqlite3 c.db "SELECT count(*) FROM training WHERE run_id = 1" 2>/dev/null || echo 0; }
i=0
while [ "$(rows)" -lt 1600 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
bad=""
for k in 1 2 3; do
    "$BIN" analyze c.db --run 1 --json --out an$k > an$k.json 2> an$k.err || bad="$bad analyze$k:$(cat an$k.err)"
    [ "$(json_get "$(cat an$k.json)" '$.run')" = 1 ] || bad="$bad analyze$k:json"
    "$BIN" plot training c.db --run 1 --output tr$k.png > /dev/null 2> pl$k.err || bad="$bad plot$k:$(cat pl$k.err)"
    [ -s tr$k.png ] || bad="$bad plot$k:no-figure"
done
kill -0 "$pid" 2>/dev/null || bad="$bad training-ended-too-soon"
[ -z "$bad" ] && ok "analyze and plot (3 times each) on a run while it trains: both succeed" || not_ok "readers during training" "$bad"
# a reader holding one snapshot for 2 s: it sees no new row, the writer keeps committing
held=$( (echo "BEGIN; SELECT count(*) FROM training WHERE run_id = 1;"; sleep 2
         echo "SELECT count(*) FROM training WHERE run_id = 1; COMMIT;") | sqlite3 c.db | tr '\n' ' ')
after=$(rows)
set -- $held
kill -TERM "$pid"
wait "$pid"
rc=$?
if [ "$#" = 2 ] && [ "$1" = "$2" ] && [ "$after" -gt $(($2 + 8)) ] && [ "$rc" = 143 ] && integrity c.db; then
    ok "a reader holding a snapshot for 2 s: writer went on ($2 -> $after training rows), SIGTERM 143, integrity ok"
else
    not_ok "writer held up by a reader" "held: $held, after: $after, rc $rc" "$(cat cerr.txt)"
fi

# ---- storage faults ---------------------------------------------------------
rm -f full.db
"$BIN" baseline --episodes 2 --db full.db --quiet > /dev/null
(trap '' XFSZ; ulimit -f 4096; exec "$BIN" baseline --episodes 20000 --db full.db --quiet > /dev/null 2> err.txt)
rc=$?
if [ "$rc" = 1 ] && [ "$(wc -l < err.txt)" = 1 ] && grep -q "full.db: .*disk full" err.txt && integrity full.db; then
    ok "disk full: exit $rc, '$(cat err.txt)', database intact"
else not_ok "disk full" "rc=$rc" "$(cat err.txt)"; fi
committed=$(sqlite3 full.db "SELECT count(*) FROM episodes WHERE run_id = 2")
whole=$(sqlite3 full.db "SELECT count(*) FROM episodes e WHERE run_id = 2 AND n_trials = (SELECT count(*) FROM trials t WHERE t.run_id = 2 AND t.episode = e.episode)")
[ "$committed" -gt 0 ] && [ "$committed" = "$whole" ] && ok "disk full: the $committed episodes committed before it are whole" || not_ok "disk full: partial episodes"

# train: the disk fills mid-training; exit 1, the run marked interrupted, a resume hint that works
# (3000 blocks of 512 bytes in dash, 1.5 MB: past an empty store of 16 KiB pages, 0.2 MB, and short of the training's rows)
rm -f fullt.db
(trap '' XFSZ; ulimit -f 3000; exec "$BIN" train --episodes 100000 --hidden 8 --batch 8 --set run.record_every=1 \
    --db fullt.db --quiet > /dev/null 2> err.txt)
rc=$?
st=$(sqlite3 fullt.db "SELECT status FROM runs WHERE run_id = 1")
if [ "$rc" = 1 ] && grep -q "disk full" err.txt && grep -q "resume with: metarl train --resume --db fullt.db --run 1" err.txt \
    && [ "$st" = interrupted ] && integrity fullt.db && "$BIN" train --resume --db fullt.db --run 1 --episodes 64 --quiet > /dev/null; then
    ok "train, disk full mid-run: exit 1, status interrupted, '$(tail -1 err.txt)', and that resume works"
else not_ok "train, disk full mid-run" "rc=$rc status=$st" "$(cat err.txt)"; fi
# train, merge and import on a store that cannot even be created: disk full is exit 1, not 2 (bad input)
"$BIN" baseline --episodes 200 --db msrc.db --quiet > /dev/null
printf 'subject,trial,choice,reward\ns1,1,1,0\ns1,2,2,1\n' > small.csv
for c in "train --episodes 64 --hidden 8 --batch 8 --db new.db" "merge new.db msrc.db" "import small.csv --db new.db" \
         "baseline --episodes 50 --db new.db"; do
    rm -f new.db new.db-wal new.db-shm
    # shellcheck disable=SC2086
    (trap '' XFSZ; ulimit -f 20; exec "$BIN" $c > /dev/null 2> err.txt)
    rc=$?
    [ "$rc" = 1 ] && grep -q "disk full" err.txt && [ ! -e new.db ] && ok "disk full creating the store: '$c' exits 1, no file left" \
        || not_ok "disk full: '$c'" "rc=$rc" "$(cat err.txt)"
done
# test on a store that cannot grow: the test's episodes do not fit, exit 1 (not 2), the store intact
"$BIN" train --episodes 64 --hidden 8 --batch 8 --db tfull.db --quiet > /dev/null
limit=$(( $(stat -c %s tfull.db) / 1024 + 8 ))
(trap '' XFSZ; ulimit -f "$limit"; exec "$BIN" test --db tfull.db --episodes 2000 --quiet > /dev/null 2> err.txt)
rc=$?
[ "$rc" = 1 ] && grep -q "disk full" err.txt && integrity tfull.db && ok "test, disk full: exit 1, '$(tail -1 err.txt)', store intact" \
    || not_ok "test, disk full" "rc=$rc" "$(cat err.txt)"

if command -v setpriv > /dev/null && [ "$(id -u)" = 0 ]; then
    rm -f ro.db; "$BIN" baseline --episodes 2 --db ro.db --quiet > /dev/null; chmod 644 ro.db; chmod 777 .
    before=$(cksum < ro.db)
    setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN" baseline --episodes 2 --db ro.db --quiet > /dev/null 2> err.txt
    rc=$?
    [ "$rc" = 2 ] && grep -q "read-only" err.txt && [ "$(cksum < ro.db)" = "$before" ] \
        && ok "read-only file: exit 2, '$(cat err.txt)', file unchanged" || not_ok "read-only file" "rc=$rc" "$(cat err.txt)"
else
    rm -f ro.db; "$BIN" baseline --episodes 2 --db ro.db --quiet > /dev/null; chmod 444 ro.db
    "$BIN" baseline --episodes 2 --db ro.db --quiet > /dev/null 2> err.txt
    rc=$?
    [ "$rc" = 2 ] && grep -q "read-only" err.txt && ok "read-only file: exit 2" || not_ok "read-only file" "rc=$rc" "$(cat err.txt)"
fi

rm -f lock.db
"$BIN" baseline --episodes 2 --db lock.db --quiet > /dev/null
(echo "BEGIN IMMEDIATE; INSERT INTO runs (kind, name, task, agent, config, seed, rng, version, started, status) VALUES ('import', 'x', 'bandit', 'data', '', 0, '', '', '', 'running');"; sleep 14; echo "ROLLBACK;") | sqlite3 lock.db &
holder=$!
sleep 1
"$BIN" baseline --episodes 2 --db lock.db --quiet > /dev/null 2> err.txt
rc=$?
wait "$holder"
[ "$rc" -ne 0 ] && grep -q "locked by another writer" err.txt && integrity lock.db \
    && ok "locked by another writer: exit $rc, '$(cat err.txt)'" || not_ok "locked database" "rc=$rc" "$(cat err.txt)"
runs=$(sqlite3 lock.db "SELECT count(*) FROM runs")
[ "$runs" = 1 ] && ok "locked database: nothing written by either side" || not_ok "locked database: runs $runs"

# ---- numerics -----------------------------------------------------------------
rm -f nan.db
"$BIN" train --episodes 3000 --lr 10 --set train.clip_norm=0 --set model.activation=softplus --set train.checkpoint_every=8 \
    --batch 8 --db nan.db --quiet > /dev/null 2> err.txt
rc=$?
ck=$(sqlite3 nan.db "SELECT max(episode) FROM checkpoints WHERE run_id = 1")
finite=$(sqlite3 nan.db "SELECT count(*) FROM training WHERE run_id = 1 AND (loss_policy IS NULL OR grad_norm IS NULL)")
if [ "$rc" = 1 ] && grep -q "training stopped at episode [0-9]*: the loss or the gradient is not finite" err.txt \
    && grep -q "last good checkpoint (episode $ck)" err.txt && [ "$(sqlite3 nan.db "SELECT status FROM runs")" = failed ] \
    && [ "$finite" = 0 ] && integrity nan.db; then
    ok "NaN: exit 1, '$(cat err.txt)'"
else not_ok "NaN in training" "rc=$rc ck=$ck" "$(cat err.txt)"; fi

# ---- one trainer per run ----------------------------------------------------
rm -f lk.db
"$BIN" train --episodes 1000000 --hidden 8 --db lk.db --quiet > /dev/null 2>&1 &
trainer=$!
for _ in $(seq 50); do [ -s lk.db ] && [ "$(sqlite3 lk.db 'SELECT count(*) FROM checkpoints' 2>/dev/null)" -ge 1 ] 2>/dev/null && break; sleep 0.2; done
"$BIN" train --resume --db lk.db > /dev/null 2> err.txt
rc=$?
alive=0; kill -0 "$trainer" 2>/dev/null && alive=1
[ "$rc" = 1 ] && grep -q "run 1 is being trained by another process" err.txt && [ "$alive" = 1 ] \
    && ok "resume of a run in training: refused (exit 1), the trainer goes on" || not_ok "resume while training" "rc=$rc alive=$alive" "$(cat err.txt)"
kill -9 "$trainer"; wait "$trainer" 2>/dev/null
"$BIN" train --resume --episodes 64 --db lk.db --quiet > /dev/null 2> err.txt
rc=$?
[ "$rc" = 0 ] && ok "after the trainer was killed: no stale lock, resume works" || not_ok "stale lock" "rc=$rc" "$(cat err.txt)"

# ---- memory -------------------------------------------------------------------
# Under a small address-space limit every command ends by itself: it either
# succeeds or stops with a message and exit 1; it never hangs (OpenBLAS's
# allocator once spun for ever here) and never crashes.
"$BIN" baseline --episodes 4 --db mem.db --quiet > /dev/null
for c in "info mem.db" "analyze mem.db --json" "baseline --episodes 20 --db mem.db" \
         "train --episodes 32 --hidden 8 --batch 8 --db memt.db" "report mem.db -o memrep"; do
    # shellcheck disable=SC2086
    (ulimit -v 150000; timeout 60 "$BIN" $c > /dev/null 2> err.txt)
    rc=$?
    if [ "$rc" = 0 ] || { [ "$rc" = 1 ] && [ "$(wc -l < err.txt)" -ge 1 ]; }; then ok "memory limit: '$c' ends (exit $rc)"
    else not_ok "memory limit: '$c'" "rc=$rc (124: hung)" "$(tail -3 err.txt)"; fi
done
finish
