"""metarl.py: read a pfc-metarl store (SQLite) from Python.

Standard library only (sqlite3, struct); NumPy is used when it is
installed (columns and rates as arrays), pandas when asked for
(``as_frame=True``). The notebooks use it; so can any script:

    import metarl
    db = metarl.open_store("results/demo.db")
    for r in metarl.runs(db):
        print(r["run_id"], r["kind"], r["name"])
    trials = metarl.load_trials(db, "network")          # a run by name or by id
    rates = metarl.load_activity(db, 3, module="pfc")   # one (trials x units) array per episode
    steps = metarl.load_activity_steps(db, 3)           # every step, with its epoch and trial (model.epochs)

Runs are named by id (an int, or a string of digits) or by name; a name
means the newest run of that name. Actions are 0-based (0 = the first arm),
as in the store (see data/schema.sql).
"""
import sqlite3
import struct

try:
    import numpy as _np
except ImportError:  # stdlib only: lists instead of arrays
    _np = None

TRIAL_COLUMNS = ("episode", "t", "action", "reward", "p0", "p1", "best", "block",
                 "since_reversal", "prob0", "prob1", "value", "rpe")


def open_store(path):
    """Open a store read-only (the file is never changed, nor created)."""
    db = sqlite3.connect("file:%s?mode=ro" % path.replace("%", "%25").replace("?", "%3F").replace("#", "%23"),
                         uri=True)
    db.row_factory = sqlite3.Row
    app = db.execute("PRAGMA application_id").fetchone()[0]
    if app != 0x4D455452:
        db.close()
        raise ValueError("%s: not a metarl store (application_id %d)" % (path, app))
    return db


def runs(db):
    """Every run as a dict (run_id, kind, name, parent_run, task, agent, seed, status, ...), oldest first."""
    return [dict(r) for r in db.execute(
        "SELECT run_id, kind, name, parent_run, task, agent, seed, status, started, finished FROM runs ORDER BY run_id")]


def resolve_run(db, run):
    """The id of run `run`: an id (int or digits) or a name (the newest run of that name)."""
    if isinstance(run, int) or (isinstance(run, str) and run.isdigit()):
        rid = int(run)
        if db.execute("SELECT 1 FROM runs WHERE run_id = ?", (rid,)).fetchone() is None:
            raise KeyError("no run %d in the store" % rid)
        return rid
    row = db.execute("SELECT max(run_id) FROM runs WHERE name = ?", (run,)).fetchone()
    if row[0] is None:
        names = sorted({r[0] for r in db.execute("SELECT name FROM runs")})
        raise KeyError("no run named %r (names: %s)" % (run, ", ".join(names) or "none"))
    return row[0]


def _columns(names, rows):
    cols = {n: [r[i] for r in rows] for i, n in enumerate(names)}
    if _np is not None:
        # NULL (a missed trial, an agent without V) becomes NaN
        cols = {n: _np.array([_np.nan if x is None else x for x in v], dtype=float) for n, v in cols.items()}
    return cols


def load_trials(db, run, as_frame=False):
    """The run's trials: a dict of columns (NumPy arrays, NaN for NULL; else lists, None for NULL),
    or a pandas DataFrame with as_frame=True."""
    rid = resolve_run(db, run)
    rows = db.execute("SELECT %s FROM trials WHERE run_id = ? ORDER BY episode, t" % ", ".join(TRIAL_COLUMNS),
                      (rid,)).fetchall()
    if as_frame:
        import pandas  # only when asked for
        return pandas.DataFrame([tuple(r) for r in rows], columns=list(TRIAL_COLUMNS))
    return _columns(TRIAL_COLUMNS, rows)


def load_episodes(db, run):
    """The run's episodes as dicts (episode, subject, n_trials, total_reward, regret, instance)."""
    rid = resolve_run(db, run)
    return [dict(r) for r in db.execute(
        "SELECT episode, subject, n_trials, total_reward, regret, instance FROM episodes WHERE run_id = ? "
        "ORDER BY episode", (rid,))]


def load_activity(db, run, module="pfc"):
    """Unit rates of module 'pfc' or 'striatum': one (n_trials x n_units) array per episode
    (nested lists without NumPy). Raises ValueError if the run stored none."""
    if module not in ("pfc", "striatum"):
        raise ValueError("module must be 'pfc' or 'striatum', not %r" % (module,))
    rid = resolve_run(db, run)
    rows = db.execute("SELECT n_trials, n_units, rates FROM activity WHERE run_id = ? AND module = ? "
                      "ORDER BY episode", (rid, module)).fetchall()
    if not rows:
        kind = db.execute("SELECT kind FROM runs WHERE run_id = ?", (rid,)).fetchone()[0]
        raise ValueError("run %d (%s) stored no %s activity: only network test runs store unit rates" %
                         (rid, kind, module))
    return [_rates(rid, blob, n_trials, n_units) for n_trials, n_units, blob in rows]


def _rates(rid, blob, n_rows, n_units):
    """A rates blob as an (n_rows x n_units) float32 array (nested lists without NumPy).

    The three layouts of data/schema.sql (store/rates.h), told apart by size: 4 bytes a rate,
    float32 (the default); 2, float16 (test --activity float16); an odd size, sparse
    (test --activity sparse): b"SP32", a bitmap of the stored rates (bit i % 8 of byte i // 8,
    row-major), those rates as float32 in order, every other rate an exact 0, a pad byte."""
    n = n_rows * n_units
    blob = bytes(blob)
    if n and len(blob) in (2 * n, 4 * n) or not n and not blob:
        width = 4 if len(blob) == 4 * n else 2
        if _np is not None:
            return _np.frombuffer(blob, "<f4" if width == 4 else "<f2").astype(_np.float32).reshape(n_rows, n_units)
        flat = struct.unpack("<%d%s" % (n, "f" if width == 4 else "e"), blob)
        return [list(flat[t * n_units:(t + 1) * n_units]) for t in range(n_rows)]
    n_map = (n + 7) // 8
    bits = bytearray(blob[4:4 + n_map])
    marked = sum(bin(b).count("1") for b in bits)
    head = 4 + n_map + 4 * marked
    if (len(blob) % 2 == 0 or blob[:4] != b"SP32" or len(bits) != n_map or (n % 8 and bits[-1] >> (n % 8))
            or len(blob) != head + (1 - head % 2) or blob[head:] not in (b"", b"\0")):
        raise ValueError("run %d: an activity row of %d bytes for %d x %d rates (damaged store?)" %
                         (rid, len(blob), n_rows, n_units))
    if _np is not None:
        keep = _np.unpackbits(_np.frombuffer(bytes(bits), _np.uint8), bitorder="little")[:n].astype(bool)
        out = _np.zeros(n, _np.float32)
        out[keep] = _np.frombuffer(blob, "<f4", count=marked, offset=4 + n_map)
        return out.reshape(n_rows, n_units)
    vals = iter(struct.unpack_from("<%df" % marked, blob, 4 + n_map))
    flat = [next(vals) if bits[i >> 3] >> (i & 7) & 1 else 0.0 for i in range(n)]
    return [flat[t * n_units:(t + 1) * n_units] for t in range(n_rows)]


EPOCH_NAMES = ("fixation", "choice", "outcome", "iti")


def load_activity_steps(db, run, module="pfc"):
    """Every step's unit rates of a network with time within a trial (model.epochs; stored by
    ``metarl test --set test.activity_steps=all``): one dict per episode, in episode order, with
    ``episode``, ``steps_per_trial`` (K), ``rates`` (n_steps x n_units), ``epoch`` (n_steps codes:
    0 fixation, 1 choice, 2 outcome, 3 iti; names in EPOCH_NAMES) and ``trial`` (step s // K).
    The last trial's outcome and inter-trial steps are never run, so n_steps < n_trials K.
    Raises ValueError if the run stored none."""
    if module not in ("pfc", "striatum"):
        raise ValueError("module must be 'pfc' or 'striatum', not %r" % (module,))
    rid = resolve_run(db, run)
    has = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'activity_steps'").fetchone()
    rows = db.execute("SELECT episode, n_steps, n_units, steps_per_trial, epochs, rates FROM activity_steps "
                      "WHERE run_id = ? AND module = ? ORDER BY episode", (rid, module)).fetchall() if has else []
    if not rows:
        raise ValueError("run %d stored no per-step %s activity: test a network with model.epochs using "
                         "--set test.activity_steps=all" % (rid, module))
    out = []
    for episode, n_steps, n_units, k, epochs, blob in rows:
        epoch = list(bytearray(epochs))
        if len(epoch) != n_steps:
            raise ValueError("run %d episode %d: %d epoch bytes for %d steps (damaged store?)" %
                             (rid, episode, len(epoch), n_steps))
        trial = [s // k for s in range(n_steps)]
        if _np is not None:
            epoch, trial = _np.array(epoch, dtype=_np.int8), _np.array(trial)
        out.append({"episode": episode, "steps_per_trial": k, "rates": _rates(rid, blob, n_steps, n_units),
                    "epoch": epoch, "trial": trial})
    return out
