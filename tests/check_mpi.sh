#!/bin/sh
# tests/check_mpi.sh: the MPI build under `mpirun -n 2` on this machine (make
# check-mpi): data-parallel training gives weights byte-identical to one
# process with `--workers 2`, writes one store (rank 0), resumes either way;
# bad input stops every rank (exit 2, no hang); a 2-rank sweep writes one
# store per rank, whose merge holds every point, equal to a 1-process sweep.
# METARL_BIN: the default build; METARL_MPI_BIN: build-mpi/metarl.
. tests/lib_cli.sh
MPI_BIN=${METARL_MPI_BIN:-build-mpi/metarl}
case "$MPI_BIN" in /*) ;; *) MPI_BIN="$PWD/$MPI_BIN" ;; esac
cd "$WORK" || exit 1
# two ranks on this machine only: shared memory between them, loopback for the launcher
ROOT=""
[ "$(id -u)" = 0 ] && ROOT="--allow-run-as-root"
MPIRUN="timeout 300 mpirun $ROOT --oversubscribe --mca btl self,vader --mca oob_tcp_if_include lo -n 2"
SMALL="--hidden 8 --batch 8 --trials 30 --seed 4 --set train.anneal_episodes=0 --set train.checkpoint_every=64 --set run.record_every=20 --quiet"
params() { sqlite3 "$1" "SELECT hex(params) || hex(optimizer) FROM checkpoints WHERE run_id = ${2:-1} ORDER BY episode DESC LIMIT 1" | cksum; }
curve() { sqlite3 "$1" "SELECT episode, reward, regret, p_best, loss_policy, loss_value, entropy, grad_norm, beta_e FROM training WHERE run_id = ${2:-1} ORDER BY episode" | cksum; }
trials() { sqlite3 "$1" "SELECT episode, t, action, reward, p0, p1, best, block, since_reversal, prob0, prob1, value, rpe
                          FROM trials WHERE run_id = ${2:-1} ORDER BY episode, t" | cksum; }
skip() { N_TEST=$((N_TEST + 1)); echo "ok $N_TEST - $1 # SKIP $2"; }

if "$BIN" train --help | grep -q -- "--workers"; then WORKERS=1; else WORKERS=""; fi

# data-parallel training: 2 ranks against 1 process with 2 workers
mkdir dp && cd dp || exit 1
$MPIRUN "$MPI_BIN" train $SMALL --episodes 400 --db m.db > out.txt 2> err.txt
rc=$?
[ $rc = 0 ] && [ "$(sqlite3 m.db "SELECT count(*), max(episode) FROM training")" = "400|399" ] \
    && ok "mpirun -n 2 train: 400 episodes, one training row each" || not_ok "mpirun train" "rc $rc" "$(tail -5 err.txt)"
[ "$(ls)" = "$(printf 'err.txt\nm.db\nout.txt')" ] && [ "$(grep -c "trained run" out.txt)" = 1 ] \
    && ok "only rank 0 writes: one store, one result line" || not_ok "one writer" "$(ls)" "$(cat out.txt)"
cd .. || exit 1
if [ -n "$WORKERS" ]; then
    "$BIN" train $SMALL --episodes 400 --workers 2 --db w2.db > /dev/null
    [ "$(params dp/m.db)" = "$(params w2.db)" ] && ok "2 ranks: weights and optimizer state byte-identical to --workers 2" \
        || not_ok "2 ranks vs --workers 2: weights differ"
    [ "$(curve dp/m.db)" = "$(curve w2.db)" ] && ok "2 ranks: training curve identical to --workers 2 (every part's episodes)" \
        || not_ok "training curve differs"
    [ "$(trials dp/m.db)" = "$(trials w2.db)" ] && [ "$(sqlite3 dp/m.db "SELECT count(*) FROM episodes")" = 20 ] \
        && ok "2 ranks: recorded training episodes (from both ranks) identical" || not_ok "recorded episodes differ"
    sqlite3 dp/m.db "SELECT config FROM runs WHERE run_id = 1" | grep -q "^workers = 2$" \
        && ok "the stored config says train.workers = 2" || not_ok "stored workers"
    "$BIN" train $SMALL --episodes 200 --db r1.db > /dev/null
    "$BIN" train --resume --episodes 400 --db r1.db --quiet > /dev/null 2>&1
else
    for d in "weights vs --workers 2" "training curve vs --workers 2" "recorded episodes vs --workers 2" "stored train.workers"; do
        skip "$d" "this trainer has no --workers"
    done
fi
$MPIRUN "$MPI_BIN" train $SMALL --episodes 200 --db r2.db > /dev/null 2>&1
$MPIRUN "$MPI_BIN" train --resume --episodes 400 --db r2.db --quiet > /dev/null 2>&1
[ "$(params r2.db)" = "$(params dp/m.db)" ] && [ "$(curve r2.db)" = "$(curve dp/m.db)" ] \
    && ok "2 ranks, 200 episodes, then --resume on 2 ranks to 400: byte-identical to 400 at once" || not_ok "mpi resume"
$MPIRUN "$MPI_BIN" train $SMALL --episodes 200 --db r3.db > /dev/null 2>&1
if [ -n "$WORKERS" ]; then
    "$BIN" train --resume --episodes 400 --db r3.db --quiet > /dev/null 2>&1
    [ "$(params r3.db)" = "$(params dp/m.db)" ] && ok "begun on 2 ranks, resumed by one process (2 workers): byte-identical" \
        || not_ok "resume without MPI differs"
else
    skip "begun on 2 ranks, resumed by one process" "this trainer has no --workers"
fi
timeout 300 mpirun $ROOT --oversubscribe --mca btl self,vader --mca oob_tcp_if_include lo -n 3 "$MPI_BIN" train --resume \
    --episodes 600 --db r2.db --quiet > /dev/null 2> err.txt
rc=$?
if [ -n "$WORKERS" ]; then
    [ $rc = 2 ] && grep -q "train.workers = 2" err.txt && [ "$(sqlite3 r2.db "SELECT max(episode) FROM training")" = 399 ] \
        && ok "resume on 3 ranks of a 2-rank run: refused (exit 2), nothing written" || not_ok "resume on 3 ranks" "$(head -3 err.txt)"
else
    skip "resume on 3 ranks refused" "this trainer has no --workers"
fi
echo "not a database" > junk.db
$MPIRUN "$MPI_BIN" train $SMALL --episodes 64 --db junk.db > /dev/null 2> err.txt
rc=$?
[ $rc = 2 ] && [ "$(grep -c "^metarl: " err.txt)" = 1 ] && grep -q "not a metarl database" err.txt \
    && ok "bad store under mpirun: exit 2, one message (rank 0), no rank left waiting" || not_ok "bad store" "rc $rc" "$(cat err.txt)"

# a sweep on 2 ranks: 4 points, one store per rank, merged
small_grid grid.ini 64 15
cat >> grid.ini <<EOF
[train]
lr = 1e-3, 5e-4
batch = 8
[test]
episodes = 10
agents = thompson
EOF
$MPIRUN "$MPI_BIN" sweep --grid grid.ini --db-prefix sw > table.txt 2> err.txt
rc=$?
[ $rc = 0 ] && [ -f sw.rank0.db ] && [ -f sw.rank1.db ] && [ ! -e sw.db ] \
    && [ "$(sqlite3 sw.rank0.db "SELECT group_concat(name, ';') FROM runs WHERE kind = 'train'")" = "g p0 run.seed=1 train.lr=1e-3;g p2 run.seed=2 train.lr=1e-3" ] \
    && [ "$(sqlite3 sw.rank1.db "SELECT count(*) FROM runs WHERE kind = 'train'")" = 2 ] \
    && ok "2-rank sweep: rank r ran points r, r+2 into sw.rank<r>.db" || not_ok "2-rank sweep" "rc $rc" "$(tail -5 err.txt)" "$(ls)"
[ "$(grep -c ' done ' table.txt)" = 4 ] && grep -q "metarl merge sw.db sw.rank0.db sw.rank1.db" table.txt \
    && ok "rank 0 prints every point and the merge command" || not_ok "sweep table" "$(cat table.txt)"
"$BIN" merge sw.db sw.rank0.db sw.rank1.db --quiet > /dev/null
[ "$(sqlite3 sw.db "SELECT count(*) FROM runs WHERE kind = 'train'")" = 4 ] && [ "$(sqlite3 sw.db "SELECT count(*) FROM runs")" = 12 ] \
    && ok "merged: all 4 points (train, test, reference run each)" || not_ok "merged sweep" "$(sqlite3 sw.db "SELECT run_id, name FROM runs")"
"$BIN" sweep --grid grid.ini --db-prefix one --quiet > /dev/null 2>&1
bad=""
for p in 0 1 2 3; do
    a=$(sqlite3 one.db "SELECT run_id FROM runs WHERE name LIKE 'g p$p %'")
    b=$(sqlite3 sw.db "SELECT run_id FROM runs WHERE name LIKE 'g p$p %'")
    [ "$(params one.db "$a")" = "$(params sw.db "$b")" ] && [ "$(trials one.db $((a + 1)))" = "$(trials sw.db $((b + 1)))" ] || bad="$bad p$p"
done
[ -z "$bad" ] && ok "each point's weights and test trials equal those of a 1-process sweep" || not_ok "sweep points differ:$bad"
$MPIRUN "$MPI_BIN" sweep --grid grid.ini --db-prefix sw --json > again.json 2> /dev/null
[ "$(sqlite3 sw.rank0.db "SELECT count(*) FROM runs")" = 6 ] && [ "$(json_get "$(cat again.json)" '$.results[3].state')" = skipped ] \
    && ok "2-rank sweep again: every point skipped, one JSON object from rank 0" || not_ok "sweep again" "$(head -c 300 again.json)"
printf '[train]\nlr = 1e-3, fast\n' > bad.ini
$MPIRUN "$MPI_BIN" sweep --grid bad.ini --db-prefix bad > /dev/null 2> err.txt
rc=$?
[ $rc = 2 ] && [ "$(grep -c "^metarl: " err.txt)" = 1 ] && [ ! -e bad.rank0.db ] && ok "bad grid under mpirun: exit 2, one message" \
    || not_ok "bad grid under mpirun" "rc $rc" "$(cat err.txt)"
$MPIRUN "$MPI_BIN" baseline --agent random --episodes 10 --db two.db > /dev/null 2> err.txt
rc=$?
[ $rc = 2 ] && [ "$(grep -c "^metarl: " err.txt)" = 1 ] && grep -q "only sweep and train" err.txt && [ ! -e two.db ] \
    && ok "other commands refuse to run on several ranks (one message, nothing written)" || not_ok "baseline under mpirun" "rc $rc" "$(cat err.txt)"
finish
