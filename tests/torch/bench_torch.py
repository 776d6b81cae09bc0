"""tests/torch/bench_torch.py: metarl (C) against PyTorch, same network, task and A2C.

Two measurements (tests/bench_torch.sh runs the first as part of `make bench`):

  speed (default)
      Training throughput, one thread each, on the independent two-armed
      bandit (T = 100) with the settings of --config (data/configs/bandit.ini)
      and model.hidden = N, train.batch = B, for (B, N) in --grid. metarl:
      `metarl train --json` (the real program, store writes included) for
      about --c-seconds, its own steps_per_s. PyTorch: metarl_torch.Trainer
      for --seconds of wall time after one warm-up batch (it is far too slow
      at B = 1 to train to completion in a benchmark), in the fastest of
      three variants (metarl_torch.py: replay+fused, replay eager, graph),
      picked by a --probe-seconds run of each, in float64 (as metarl
      computes) and in float32 (as PyTorch users train), the fastest of
      each precision then timed. Printed: environment
      steps (trials) per second, the ratio of metarl to the fastest
      PyTorch variant of the cell in either precision, the flops per step
      of model/net.c's net_flops_per_step() (the matrix work of forward +
      backward of one trial, dense; both sides are credited with the same
      count, although PyTorch's "replay" mode runs the forward pass twice and
      metarl skips the zero rates of silent relu units), and the GFLOP/s this
      implies against the peak of one core: clock (lscpu max MHz, else
      /proc/cpuinfo "cpu MHz") x 16 double flops per cycle, i.e. two AVX2
      FMA units x 4 doubles x 2 flops (ASSUMPTIONS: two 256-bit FMA ports,
      and the nominal clock; turbo would raise the peak. metarl is built
      with -ffp-contract=off, so it issues separate multiplies and adds, not
      FMAs, and cannot reach this peak. PyTorch's matrix products go to
      Debian's OpenBLAS, whose SkylakeX kernels may use AVX-512, with twice
      this peak: the percentages are of the AVX2 peak, as the issue asks).

  --ttt  (time to target)
      Wall time of training until the frozen-weight regret@T (test episodes
      of `metarl test`, evaluated by `torch_ref eval`, so both sides are
      scored on the very same instances and coins) drops below --target
      (Thompson sampling's ~2.80), with the settings of --config, tested
      every --every episodes; tests are not counted in the wall time. metarl
      through `torch_ref ttt` (model/trainer.c), PyTorch through
      metarl_torch.Trainer, stopped at run.episodes or --budget seconds of
      training, whichever comes first. If a side never gets there, the
      report says so and gives the bound on the ratio that the data support.

Run through tests/bench_torch.sh (which builds what is missing and sets one
thread); directly: /usr/bin/python3 tests/torch/bench_torch.py --help.
"""
import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
for _v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_v, "1")   # one thread, before torch loads its BLAS
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402

import metarl_torch as mt  # noqa: E402

FLOPS_PER_CYCLE = 16   # AVX2: 2 FMA units x 4 doubles x 2 flops


def cpu_peak():
    """(MHz, GFLOP/s peak of one core, model name)."""
    mhz, model = None, platform.processor()
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        m = re.search(r"CPU max MHz:\s*([\d.]+)", out)
        if m:
            mhz = float(m.group(1))
        m = re.search(r"Model name:\s*(.+)", out)
        if m:
            model = m.group(1).strip()
    except OSError:
        pass
    if mhz is None:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"cpu MHz\s*:\s*([\d.]+)", f.read())
            mhz = float(m.group(1)) if m else float("nan")
    return mhz, mhz * 1e6 * FLOPS_PER_CYCLE / 1e9, model


def sets_args(sets):
    out = []
    for s in sets:
        out += ["--set", s]
    return out


def c_info(ref, config, sets):
    out = subprocess.run([ref, "info", "--config", config] + sets_args(sets), check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def c_train_speed(metarl, config, sets, episodes, tmp):
    db = os.path.join(tmp, "bench.db")
    if os.path.exists(db):
        os.remove(db)
    out = subprocess.run([metarl, "train", "--quiet", "--json", "--db", db, "--config", config,
                          "--episodes", str(episodes)] + sets_args(sets),
                         check=True, capture_output=True, text=True).stdout
    os.remove(db)
    d = json.loads(out)
    return d["steps_per_s"], d["wall_s"]


def c_speed(metarl, config, B, N, seconds, tmp, precision="double"):
    sets = ["model.hidden=%d" % N, "train.batch=%d" % B, "run.record_every=0", "model.precision=" + precision]
    # calibrate on a short run, then run for about `seconds`
    rate, _ = c_train_speed(metarl, config, sets, max(8 * B, 64), tmp)
    T = c_info_cache[(B, N)]["train"]["trials"]
    episodes = max(B, int(rate * seconds / T) // B * B)
    return c_train_speed(metarl, config, sets, episodes, tmp)[0]


c_info_cache = {}


def torch_speed(info, seconds, mode, fused, dtype, seed=1):
    """Steps per second of training for about `seconds`. In float32 a relu
    network of this size can overflow in its first updates (metarl replays
    such a batch in double); PyTorch raises, and training restarts from the
    next seed, the lost batch not counted: the speed is that of the batches
    that finished. torch_restarts counts the restarts."""
    global torch_restarts
    mt.DT = dtype   # metarl_torch reads its dtype at call time; the gradient check keeps float64
    cfg = mt.NetConfig.from_json(info["net"])
    ts = mt.TrainSettings.from_json(info["train"])
    steps, el = 0, 0.0
    try:
        while el < seconds:
            tr = mt.Trainer(cfg, ts, seed=seed, mode=mode, fused=fused)
            try:
                tr.iterate()   # warm-up
                while el < seconds:
                    t0 = mt.now()
                    bt, _, _ = tr.iterate()
                    el += mt.now() - t0
                    steps += bt.actions.numel()
            except FloatingPointError:
                torch_restarts += 1
                seed += 1000
    finally:
        mt.DT = torch.float64
    return steps / el


torch_restarts = 0


DTYPES = (("float64", torch.float64), ("float32", torch.float32))
VARIANTS = (("replay+fused", "replay", True), ("replay eager", "replay", False), ("graph", "graph", False))


def speed(a):
    mt.setup_torch(1)
    mhz, peak, model = cpu_peak()
    grid = [tuple(int(x) for x in g.split("x")) for g in a.grid.split(",")]
    print("# training throughput, metarl (C) vs PyTorch: rate RNN + A2C on the independent bandit,"
          " one thread each")
    print("# settings: %s with model.hidden=N, train.batch=B; T = trials per episode" % a.config)
    print("# metarl: %s train --json (store writes included), ~%.3g s per cell" % (a.metarl, a.c_seconds))
    print("# PyTorch %s, eager, %d thread, in float64 (metarl's precision) and float32 (what users run):"
          " each variant probed %.3g s, the fastest of each precision then run %.3g s"
          % (torch.__version__, torch.get_num_threads(), a.probe_seconds, a.seconds))
    print("#   replay+fused: play without autograd, then one forward over the recorded episode with"
          " torch's fused RNN kernel (alpha = 1, no noise)")
    print("#   replay eager: the same with the recurrence as a Python loop; graph: autograd while playing")
    print("# CPU %s; peak of one core = %.0f MHz x %d double flops/cycle (AVX2, 2 FMA units) = %.1f GFLOP/s"
          % (model, mhz, FLOPS_PER_CYCLE, peak))
    print("#   (metarl double: AVX2 kernels without FMA; metarl single: AVX2 FMA in float32, twice the lanes,"
          " so its %peak is of twice this; PyTorch's OpenBLAS may use AVX-512, peak x2)")
    print("# flops/step = net_flops_per_step(): dense matrix work of one trial, forward + backward")
    try:
        print("# load average before: %s (2 cores; other work on the machine slows both sides)"
              % " ".join(open("/proc/loadavg").read().split()[:3]))
    except OSError:
        pass
    print("# metarl in double (its reference) and in single (model.precision = single, float32 FMA kernels);"
          " GFLOP/s and %peak of the faster of the two")
    print("# ratio = metarl's faster precision / the fastest PyTorch variant of the cell (either precision)")
    print("# %4s %5s %11s %13s %13s %7s %6s %13s %13s %7s %6s %8s  %s" % (
        "B", "N", "flops/step", "metarl64 st/s", "metarl32 st/s", "GFLOP/s", "%peak", "torch64 st/s", "torch32 st/s",
        "GFLOP/s", "%peak", "ratio", "PyTorch variants (probe st/s)"))
    sys.stdout.flush()
    rows = []
    with tempfile.TemporaryDirectory(prefix="metarl-bench-") as tmp:
        for B, N in grid:
            info = c_info(a.ref, a.config, ["model.hidden=%d" % N, "train.batch=%d" % B])
            c_info_cache[(B, N)] = info
            fl = info["net"]["flops_per_step"]
            assert abs(fl - mt.flops_per_step(mt.NetConfig.from_json(info["net"]))) < 1e-6
            cd = c_speed(a.metarl, a.config, B, N, a.c_seconds, tmp)
            cf = c_speed(a.metarl, a.config, B, N, a.c_seconds, tmp, "single")
            cs = max(cd, cf)
            probes, best_of = [], {}
            for dname, dt in DTYPES:
                for name, mode, fused in VARIANTS:
                    if a.probe_seconds > 0:
                        p = (torch_speed(info, a.probe_seconds, mode, fused, dt), "%s %s" % (dname, name), mode, fused)
                        probes.append(p)
                        if dname not in best_of or p[0] > best_of[dname][0]:
                            best_of[dname] = p
                if dname not in best_of:
                    best_of[dname] = (0, "%s replay+fused" % dname, "replay", True)
            ts = {d: torch_speed(info, a.seconds, best_of[d][2], best_of[d][3], dt) for d, dt in DTYPES}
            fast = max(ts.values())
            rows.append((B, N, cs, ts))
            print("  %4d %5d %11.0f %13.0f %13.0f %7.2f %5.1f%% %13.0f %13.0f %7.2f %5.1f%% %7.1fx  %s" % (
                B, N, fl, cd, cf, cs * fl / 1e9, 100 * cs * fl / 1e9 / (2 * peak if cf > cd else peak), ts["float64"], ts["float32"],
                fast * fl / 1e9, 100 * fast * fl / 1e9 / peak, cs / fast,
                ", ".join("%s%s %.0f" % ("*" if any(p is b for b in best_of.values()) else "", p[1], p[0])
                          for p in probes)))
            sys.stdout.flush()
    if torch_restarts:
        print("# PyTorch float32 training overflowed (loss or gradient not finite) and was restarted from"
              " another seed %d times; the speeds count the batches that finished" % torch_restarts)
    # issue 14's targets name two cells only: >= 100x at B 1, N 48 and >= 10x at B 16, N 48
    goals = {(1, 48): 100, (16, 48): 10}
    for B, N, cs, ts in rows:
        goal = goals.get((B, N))
        verdict = ("issue target vs float32 >= %dx: %s" % (goal, "met" if cs / ts["float32"] >= goal else "NOT met")
                   if goal else "no target for this cell")
        print("# B=%d N=%d: metarl (faster precision)/PyTorch float32 = %.1fx, float64 = %.1fx, fastest = %.1fx (%s)"
              % (B, N, cs / ts["float32"], cs / ts["float64"], cs / max(ts.values()), verdict))
    return 0


# ------------------------------------------------------------- time to target
def c_eval(ref, config, sets, block, tmp):
    path = os.path.join(tmp, "params.bin")
    block.numpy().astype("<f8").tofile(path)
    out = subprocess.run([ref, "eval", "--config", config, "--params", path] + sets_args(sets),
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def ttt(a):
    mt.setup_torch(1)
    sets = a.set or []
    info = c_info(a.ref, a.config, sets)
    tr_json = info["train"]
    print("# time to target: frozen-weight regret@%d < %.3g on %d test episodes (test seed %d),"
          " settings %s %s" % (tr_json["trials"], a.target, tr_json["test_episodes"], tr_json["test_seed"],
                               a.config, " ".join(sets)))
    print("# N=%d B=%d %s lr=%g->%g beta_e=%g->%g over %d episodes, gamma=%g; tests every %d episodes, not timed"
          % (info["net"]["N"], tr_json["batch"], tr_json["optimizer"], tr_json["lr"], tr_json["lr_final"],
             tr_json["beta_e"], tr_json["beta_e_final"], tr_json["anneal_episodes"], tr_json["gamma"], a.every))
    sys.stdout.flush()
    # metarl
    cmd = [a.ref, "ttt", "--config", a.config, "--every", str(a.every), "--target", str(a.target)]
    c_rows = []
    with subprocess.Popen(cmd + sets_args(sets), stdout=subprocess.PIPE, text=True) as p:
        for line in p.stdout:
            d = json.loads(line)
            c_rows.append(d)
            print("  metarl  episode %7d  train %8.2f s  regret %.3f ± %.3f"
                  % (d["episode"], d["train_s"], d["regret"], d["regret_se"]))
            sys.stdout.flush()
    if p.returncode != 0 or not c_rows:
        raise RuntimeError("%s failed (status %s)" % (" ".join(cmd), p.returncode))
    # PyTorch
    cfg = mt.NetConfig.from_json(info["net"])
    ts = mt.TrainSettings.from_json(tr_json)
    tr = mt.Trainer(cfg, ts, seed=int(tr_json["seed"]), mode="replay", fused=True)
    t_rows = []
    train_s = 0.0
    nxt = a.every
    with tempfile.TemporaryDirectory(prefix="metarl-ttt-") as tmp:
        while tr.episode < ts.episodes:
            t0 = mt.now()
            tr.iterate()
            train_s += mt.now() - t0
            e = tr.episode
            last = e >= ts.episodes or train_s >= a.budget
            if e >= nxt or last:
                while nxt <= e:
                    nxt += a.every
                d = c_eval(a.ref, a.config, sets, tr.net.block(), tmp)
                d.update(episode=e, train_s=train_s)
                t_rows.append(d)
                print("  torch   episode %7d  train %8.2f s  regret %.3f ± %.3f"
                      % (e, train_s, d["regret"], d["regret_se"]))
                sys.stdout.flush()
                if d["regret"] < a.target or last:
                    break

    def first(rows):
        for r in rows:
            if r["regret"] < a.target:
                return r
        return None

    c_hit, t_hit = first(c_rows), first(t_rows)
    c_last, t_last = c_rows[-1], t_rows[-1]
    print("# metarl : %s" % ("regret %.3f at episode %d after %.2f s of training" % (
        c_hit["regret"], c_hit["episode"], c_hit["train_s"]) if c_hit else
        "did not reach %.3g in %d episodes (%.2f s); best regret %.3f" % (
            a.target, c_last["episode"], c_last["train_s"], min(r["regret"] for r in c_rows))))
    print("# PyTorch: %s" % ("regret %.3f at episode %d after %.2f s of training" % (
        t_hit["regret"], t_hit["episode"], t_hit["train_s"]) if t_hit else
        "did not reach %.3g in %d episodes (%.2f s); best regret %.3f" % (
            a.target, t_last["episode"], t_last["train_s"], min(r["regret"] for r in t_rows))))
    if c_hit and t_hit:
        print("# time to target: PyTorch / metarl = %.1fx (issue target >= 10x: %s)" % (
            t_hit["train_s"] / c_hit["train_s"], "met" if t_hit["train_s"] >= 10 * c_hit["train_s"] else "NOT met"))
    elif c_hit:
        print("# time to target: PyTorch / metarl > %.1fx (PyTorch stopped without reaching it)"
              % (t_last["train_s"] / c_hit["train_s"]))
    elif t_hit:
        print("# time to target: PyTorch / metarl < %.1fx (metarl stopped without reaching it)"
              % (t_hit["train_s"] / c_last["train_s"]))
    else:
        print("# time to target: not defined (neither side reached the target with these settings)")
    # Same episodes, different random streams: compare the cost of equal training too.
    ce = {r["episode"]: r for r in c_rows}
    common = [r for r in t_rows if r["episode"] in ce]
    if common:
        r = common[-1]
        print("# at episode %d: metarl %.2f s (regret %.3f), PyTorch %.2f s (regret %.3f): %.1fx"
              % (r["episode"], ce[r["episode"]]["train_s"], ce[r["episode"]]["regret"], r["train_s"],
                 r["regret"], r["train_s"] / ce[r["episode"]]["train_s"]))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--metarl", default="build/metarl", help="the metarl program")
    ap.add_argument("--ref", default="build/tests/torch_ref", help="the torch_ref program")
    ap.add_argument("--config", default="data/configs/bandit.ini", help="settings (INI) for both sides")
    ap.add_argument("--grid", default="1x48,16x48,1x256,16x256", help="BxN cells of the speed table")
    ap.add_argument("--seconds", type=float, default=10.0, help="PyTorch wall time per cell and precision")
    ap.add_argument("--c-seconds", type=float, default=4.0, help="metarl wall time per cell (about)")
    ap.add_argument("--probe-seconds", type=float, default=3.0,
                    help="PyTorch wall time per variant to pick the fastest (0 = replay+fused)")
    ap.add_argument("--ttt", action="store_true", help="measure the time to target instead of speed")
    ap.add_argument("--target", type=float, default=2.80, help="regret@T target (Thompson sampling ~2.80)")
    ap.add_argument("--every", type=int, default=1000, help="episodes between frozen-weight tests")
    ap.add_argument("--budget", type=float, default=1800.0, help="PyTorch training seconds at most")
    ap.add_argument("--set", action="append", help="extra section.key=value for both sides (--ttt)")
    a = ap.parse_args()
    return ttt(a) if a.ttt else speed(a)


if __name__ == "__main__":
    sys.exit(main())
