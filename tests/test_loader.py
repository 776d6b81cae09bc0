"""tests/test_loader.py: notebooks/metarl.py against the store as SQL sees it.

Run by tests/cli_python.sh with a store it has just made (its test runs store the same rates as
float32, float16 and sparse) and a second one of a network with epochs within a trial, every
step stored in the same three formats; prints TAP lines.
"""
import math
import os
import sqlite3
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "notebooks"))
import metarl  # noqa: E402

n = fails = 0


def check(cond, what, detail=""):
    global n, fails
    n += 1
    if cond:
        print("ok %d - %s" % (n, what))
    else:
        fails += 1
        print("not ok %d - %s" % (n, what))
        if detail:
            print("#   %s" % detail)


path = sys.argv[1]
raw = sqlite3.connect(path)
db = metarl.open_store(path)
test_run = raw.execute("SELECT min(run_id) FROM runs WHERE kind = 'test'").fetchone()[0]
half_run, sparse_run = [r[0] for r in raw.execute("SELECT run_id FROM runs WHERE kind = 'test' ORDER BY run_id")][1:3]
base_run = raw.execute("SELECT min(run_id) FROM runs WHERE kind = 'baseline'").fetchone()[0]

rs = metarl.runs(db)
check([r["run_id"] for r in rs] == [r[0] for r in raw.execute("SELECT run_id FROM runs ORDER BY run_id")],
      "runs(): every run, oldest first")

tr = metarl.load_trials(db, test_run)
rows = raw.execute("SELECT episode, t, action, reward, rpe FROM trials WHERE run_id = ? ORDER BY episode, t",
                   (test_run,)).fetchall()
check(len(tr["t"]) == len(rows) > 0, "load_trials: one entry per stored trial", "%d vs %d" % (len(tr["t"]), len(rows)))
same = all(float(tr["action"][i]) == r[2] and float(tr["reward"][i]) == r[3] and float(tr["rpe"][i]) == r[4]
           for i, r in enumerate(rows))
check(same, "load_trials: actions, rewards and RPEs as stored")

name = raw.execute("SELECT name FROM runs WHERE run_id = ?", (test_run,)).fetchone()[0]
check(metarl.resolve_run(db, name) == raw.execute("SELECT max(run_id) FROM runs WHERE name = ?", (name,)).fetchone()[0]
      and metarl.resolve_run(db, str(test_run)) == test_run, "runs by name (the newest of that name) and by id")
try:
    metarl.resolve_run(db, "no-such-run")
    check(False, "an unknown name is an error")
except KeyError as e:
    check("no run named 'no-such-run'" in str(e), "an unknown name is an error naming it", str(e))

base = metarl.load_trials(db, base_run)
missing_v = all((v is None) or (isinstance(v, float) and math.isnan(v)) for v in base["value"])
check(missing_v, "an agent without V: value is missing (None or NaN), not 0")

acts = metarl.load_activity(db, test_run, "pfc")
half = metarl.load_activity(db, half_run, "pfc")
worst = max(abs(float(h[t][i]) - float(a[t][i])) / max(abs(float(a[t][i])), 1e-3)
            for a, h in zip(acts, half) for t in range(len(a)) for i in range(len(a[t])))
check(half_run != test_run and len(half) == len(acts) and worst < 1e-3,
      "load_activity: float16 rates (test --activity float16) read back within half precision of float32",
      "worst relative error %g" % worst)
sparse = metarl.load_activity(db, sparse_run, "pfc")
n_odd = raw.execute("SELECT count(*) FROM activity WHERE run_id = ? AND length(rates) % 2 = 1", (sparse_run,)).fetchone()[0]
check(n_odd > 0 and len(sparse) == len(acts) and all(
      [[float(x) for x in row] for row in s] == [[float(x) for x in row] for row in a] for s, a in zip(sparse, acts)),
      "load_activity: sparse rates (test --activity sparse) read back exactly as float32",
      "%d sparse rows" % n_odd)
if metarl._np is not None:   # the standard-library path reads the same
    np_, metarl._np = metarl._np, None
    plain = metarl.load_activity(db, sparse_run, "pfc")
    metarl._np = np_
    check([[float(x) for x in row] for e in plain for row in e] == [[float(x) for x in row] for e in sparse for row in e],
          "load_activity without NumPy: the same sparse rates")
blob = bytearray(raw.execute("SELECT rates FROM activity WHERE run_id = ? AND length(rates) % 2 = 1 LIMIT 1",
                             (sparse_run,)).fetchone()[0])
n_tr, n_un = raw.execute("SELECT n_trials, n_units FROM activity WHERE run_id = ? AND length(rates) % 2 = 1 LIMIT 1",
                         (sparse_run,)).fetchone()
for what, bad in (("its mark", b"XP32" + bytes(blob[4:])), ("cut short", bytes(blob[:-2]))):
    try:
        metarl._rates(sparse_run, bad, n_tr, n_un)
        check(False, "a damaged sparse row (%s) is an error" % what)
    except ValueError as e:
        check("damaged store" in str(e), "a damaged sparse row (%s) is an error, not wrong rates" % what, str(e))
n_eps, n_units, n_trials = raw.execute("SELECT count(*), max(n_units), max(n_trials) FROM activity "
                                       "WHERE run_id = ? AND module = 'pfc'", (test_run,)).fetchone()
first = raw.execute("SELECT rates FROM activity WHERE run_id = ? AND module = 'pfc' ORDER BY episode LIMIT 1",
                    (test_run,)).fetchone()[0]
r0 = struct.unpack("<%df" % (n_units * n_trials), first)
check(len(acts) == n_eps and len(acts[0]) == n_trials and len(acts[0][0]) == n_units,
      "load_activity: one (trials x units) block per episode")
check(float(acts[0][n_trials - 1][n_units - 1]) == r0[-1] and float(acts[0][0][1]) == r0[1],
      "load_activity: rate of unit i on trial t at [t][i]")
try:
    metarl.load_activity(db, base_run)
    check(False, "activity of a run without any is an error")
except ValueError as e:
    check("stored no pfc activity" in str(e), "activity of a run without any is an error, not an empty list", str(e))

if len(sys.argv) > 2:   # a store whose network has epochs within a trial, tested with every step stored
    sraw = sqlite3.connect(sys.argv[2])
    sdb = metarl.open_store(sys.argv[2])
    s32, s16, s_sparse = [r[0] for r in sraw.execute("SELECT DISTINCT run_id FROM activity_steps ORDER BY run_id")]
    st = metarl.load_activity_steps(sdb, s32)
    rows = sraw.execute("SELECT episode, n_steps, n_units, steps_per_trial, epochs, rates FROM activity_steps "
                        "WHERE run_id = ? ORDER BY episode", (s32,)).fetchall()
    check([e["episode"] for e in st] == [r[0] for r in rows] and len(rows) > 0,
          "load_activity_steps: one entry per stored episode, in order")
    ep, n_steps, n_units, k, epochs, blob = rows[-1]
    e = st[-1]
    flat = struct.unpack("<%df" % (n_steps * n_units), blob)
    check(len(e["rates"]) == n_steps and all(float(e["rates"][s][u]) == flat[s * n_units + u]
                                            for s in range(n_steps) for u in range(n_units)),
          "load_activity_steps: rate of unit u at step s at [s][u], as stored")
    check([int(x) for x in e["epoch"]] == list(bytearray(epochs)) and e["steps_per_trial"] == k
          and [int(x) for x in e["trial"]] == [s // k for s in range(n_steps)],
          "load_activity_steps: each step's epoch and trial (step // steps_per_trial)")
    n_trials = sraw.execute("SELECT n_trials FROM episodes WHERE run_id = ? AND episode = ?", (s32, ep)).fetchone()[0]
    check(n_steps < n_trials * k and [int(x) for x in e["epoch"][:k]] == [0, 1, 2, 2, 3],
          "load_activity_steps: epochs 1,1,2,1 give fixation, choice, outcome x2, iti; the last trial is cut short",
          "%d steps, %d trials" % (n_steps, n_trials))
    h = metarl.load_activity_steps(sdb, s16)[-1]["rates"]
    worst = max(abs(float(h[s][u]) - float(e["rates"][s][u])) / max(1.0, abs(float(e["rates"][s][u])))
                for s in range(n_steps) for u in range(n_units))
    check(worst < 1e-3, "load_activity_steps: float16 steps read back within half precision of float32", str(worst))
    sp = metarl.load_activity_steps(sdb, s_sparse)[-1]["rates"]
    n_odd = sraw.execute("SELECT count(*) FROM activity_steps WHERE run_id = ? AND length(rates) % 2 = 1",
                         (s_sparse,)).fetchone()[0]
    check(n_odd > 0 and [[float(x) for x in r] for r in sp] == [[float(x) for x in r] for r in e["rates"]],
          "load_activity_steps: sparse steps read back exactly as float32", "%d sparse rows" % n_odd)
    try:
        metarl.load_activity_steps(db, test_run)
        check(False, "per-step activity of a run without any is an error")
    except ValueError as err:
        check("test.activity_steps=all" in str(err), "per-step activity of a run without any is an error saying how "
              "to record it", str(err))

try:
    metarl.open_store(path + ".missing")
    check(False, "a missing store is an error")
except sqlite3.OperationalError:
    check(not os.path.exists(path + ".missing"), "a missing store is an error, and no file is created")
print("1..%d" % n)
sys.exit(1 if fails else 0)
