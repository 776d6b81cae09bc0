"""tests/test_loader.py: notebooks/metarl.py against the store as SQL sees it.

Run by tests/cli_python.sh with a store it has just made; prints TAP lines.
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
half_run = raw.execute("SELECT max(run_id) FROM runs WHERE kind = 'test'").fetchone()[0]
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

try:
    metarl.open_store(path + ".missing")
    check(False, "a missing store is an error")
except sqlite3.OperationalError:
    check(not os.path.exists(path + ".missing"), "a missing store is an error, and no file is created")
print("1..%d" % n)
sys.exit(1 if fails else 0)
