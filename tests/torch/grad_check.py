"""tests/torch/grad_check.py: the C gradients against PyTorch autograd.

For each configuration, tests/torch_ref (C) plays B recorded episodes and
writes the parameters, every input (observations, actions, rewards, noise
samples xi), its forward quantities, advantages, loss terms, gradient, and K
optimizer steps; this script loads the same parameter block into the PyTorch
model (metarl_torch.py), replays the same episodes and compares:

  forward   rates, log pi, V (and striatal h) of every trial
  a2c       advantages and targets; the loss (and its terms per episode)
  gradient  dL/dtheta for all P parameters, through each PyTorch path:
            eager replay, the fused C++ RNN (where alpha = 1, sigma = 0,
            tanh/relu), and trial-by-trial steps (the "graph" training mode)
  optimizer K steps of clip + RMSProp/Adam on the same episodes: the loss and
            gradient norm before each step, the parameters after it
  trainer   K batches of the real trainer (model/trainer.c, bandit task):
            the lr/beta_e schedule, policy and value of every trial, the
            batch loss, gradient norm and parameters after each update

Error measure (one number per comparison, the max over all elements):

    err = max_i |c_i - t_i| / max(|c_i|, 1e-6 * max_j |c_j|)

i.e. elementwise relative error with a floor at 1e-6 of the largest
magnitude, so that elements that are (near) zero in both are compared on the
scale of the vector instead of their own. A comparison passes if err <= tol:
1e-9 for everything computed directly (forward, loss, gradient), 1e-8 for
parameters after several optimizer steps (RMSProp/Adam divide by sqrt(v) and
amplify the 1e-16 rounding differences of gradients near zero).

Usage:  /usr/bin/python3 tests/torch/grad_check.py [--ref build/tests/torch_ref]
Prints one line per configuration, "PASS<TAB>description" or
"FAIL<TAB>description", then details of failures on lines starting with '#'.
Exit status 1 if anything failed.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402

import metarl_torch as mt  # noqa: E402

TOL = 1e-9
TOL_STEPS = 1e-8

# torch_ref grad options per configuration (defaults: N=5 S=3 A=2 O=1 T=6
# B=1 K=3 tanh alpha=1 noise=0 critic_input=1 vtp=1 time_input=1, high-entropy
# weights, gamma=0.9 lambda=0.8 beta_v=0.5 beta_e=0.1, rmsprop lr=1e-2).
GRAD_CASES = [
    ("tanh S=3 ci=1 vtp=1 alpha=1", []),
    ("tanh S=3 ci=1 vtp=0 alpha=0.7 noise=0.3 B=3", ["--vtp", "0", "--alpha", "0.7", "--noise", "0.3", "--B", "3"]),
    ("tanh S=0 ci=0 vtp=1 alpha=0.7 B=2 O=0 no time", ["--S", "0", "--critic-input", "0", "--alpha", "0.7", "--B", "2",
                                                     "--O", "0", "--time-input", "0"]),
    ("relu S=0 ci=1 vtp=0 alpha=0.5 noise=0.2 B=2", ["--act", "relu", "--S", "0", "--vtp", "0", "--alpha", "0.5",
                                                     "--noise", "0.2", "--B", "2"]),
    ("relu S=4 ci=0 vtp=1 alpha=1 B=2 adam", ["--act", "relu", "--S", "4", "--critic-input", "0", "--B", "2",
                                             "--optim", "adam", "--lr", "3e-2"]),
    ("softplus S=3 ci=1 vtp=0 alpha=0.8 noise=0.1 B=2", ["--act", "softplus", "--vtp", "0", "--alpha", "0.8",
                                                        "--noise", "0.1", "--B", "2"]),
    ("softplus S=0 ci=0 vtp=1 alpha=1 lambda=1 clip=0.5", ["--act", "softplus", "--S", "0", "--critic-input", "0",
                                                          "--lambda", "1", "--clip", "0.5"]),
    ("tanh S=2 ci=1 vtp=1 alpha=0.3 noise=0.5 A=3 O=2 B=2 adam", ["--alpha", "0.3", "--noise", "0.5", "--A", "3",
                                                                "--O", "2", "--S", "2", "--B", "2", "--optim", "adam"]),
    ("default shape: relu N=48 S=0 T=100 B=4, net_init weights, bandit inputs",
     ["--act", "relu", "--N", "48", "--S", "0", "--critic-input", "0", "--O", "0", "--time-input", "0",
      "--T", "100", "--B", "4", "--init", "net", "--gamma", "0.9", "--lambda", "1", "--beta-v", "0.05",
      "--beta-e", "0.05", "--lr", "1e-3", "--clip", "40", "--K", "2"]),
]

# torch_ref trainer --set assignments: the real trainer on the bandit.
TRAINER_CASES = [
    ("trainer: defaults, N=8 B=4, lr and beta_e annealed over 12 episodes",
     ["model.hidden=8", "train.batch=4", "run.episodes=12", "task.trials=20"], 3),
    ("trainer: tanh alpha=0.5 S=3 critic_input vtp=0 adam clip=0.05",
     ["model.hidden=6", "model.activation=tanh", "model.tau=2", "model.striatum_units=3",
      "model.critic_input=true", "model.value_trains_pfc=false", "model.time_input=true",
      "train.optimizer=adam", "train.clip_norm=0.05", "train.batch=3", "train.gae_lambda=0.7",
      "task.trials=15", "run.episodes=9"], 3),
]


def err(c, t):
    c = torch.as_tensor(c, dtype=mt.DT).reshape(-1)
    t = torch.as_tensor(t, dtype=mt.DT).reshape(-1)
    assert c.shape == t.shape, (c.shape, t.shape)
    if c.numel() == 0:
        return 0.0
    scale = c.abs().max().item()
    den = torch.clamp(c.abs(), min=max(1e-6 * scale, 1e-300))
    e = ((c - t).abs() / den).max().item()
    return e if e == e else float("inf")   # NaN -> inf


class Report:
    def __init__(self):
        self.items = []   # (name, err, tol)

    def add(self, name, e, tol=TOL):
        self.items.append((name, e, tol))

    def worst(self, prefix=""):
        xs = [e for n, e, _ in self.items if n.startswith(prefix)]
        return max(xs) if xs else 0.0

    def failures(self):
        return [(n, e, t) for n, e, t in self.items if not e <= t]


def run_ref(ref, args, out):
    subprocess.run([ref] + args + ["--out", out], check=True)
    with open(out) as f:
        return json.load(f)


def check_grad_case(ref, args, tmp):
    d = run_ref(ref, ["grad"] + args, os.path.join(tmp, "grad.json"))
    cfg = mt.NetConfig.from_json(d["net"])
    B, T, N, A, O, S = d["B"], d["T"], cfg.N, cfg.A, cfg.O, cfg.S
    rep = Report()
    assert cfg.P == d["net"]["P"], "parameter count differs from C"
    assert [int(torch.Size(s).numel()) for s in cfg.shapes()] == d["net"]["sizes"], "layout differs"

    def tb(x, *rest):   # (B, T, ...) flattened -> (T, B, ...)
        return torch.tensor(x, dtype=mt.DT).reshape(B, T, *rest).transpose(0, 1).contiguous()

    actions = torch.tensor(d["action"], dtype=torch.long).reshape(B, T).t().contiguous()
    rewards = tb(d["reward"])
    obs = tb(d["obs"], O) if O > 0 else None
    XI = tb(d["xi"], N) if d["xi"] is not None else None
    U = mt.build_inputs(cfg, actions, rewards, obs)
    rep.add("flops", abs(mt.flops_per_step(cfg) - d["net"]["flops_per_step"]))

    net = mt.MetaRLNet(cfg)
    net.load_block(d["params"])
    rep.add("block round trip", err(d["params"], net.block()))
    paths = [("eager", lambda: net.replay(U, XI, fused=False)),
             ("steps", lambda: net.replay_steps(U, XI))]
    if net.fused:
        paths.append(("fused", lambda: net.replay(U, XI, fused=True)))
    for name, fwd in paths:
        net.zero_grad(set_to_none=True)
        R, logp, V, h = fwd()
        rep.add(name + " rates", err(tb(d["rates"], N), R))
        rep.add(name + " logp", err(tb(d["logp"], A), logp))
        rep.add(name + " V", err(tb(d["V"]), V))
        if S > 0:
            rep.add(name + " h", err(tb(d["h"], S), h))
        delta, adv, ret = mt.a2c_advantages(rewards, V.detach(), d["gamma"], d["lambda"])
        rep.add(name + " adv", err(tb(d["adv"]), adv))
        rep.add(name + " ret", err(tb(d["ret"]), ret))
        loss, terms = mt.a2c_loss(logp, V, actions, adv, ret, d["beta_v"], d["beta_e"])
        rep.add(name + " loss", err([d["loss"]], [loss.item()]))
        for k in ("policy", "value", "entropy", "loss"):
            rep.add(name + " terms." + k, err([tm[k] for tm in d["terms"]], terms[k].detach()))
        loss.backward()
        g = net.grad_block()
        rep.add(name + " grad", err(d["grad"], g))
        if name == "eager":
            gnorm = d["grad"]
            rep.add("grad not trivially zero", 0.0 if sum(abs(x) for x in gnorm) > 1e-3 else float("inf"))

    # K optimizer steps on the same recorded episodes
    o = d["optim"]
    net = mt.MetaRLNet(cfg)
    net.load_block(d["params"])
    params = net.trainable()
    opt = mt.make_optimizer(params, o["kind"], o["lr"], o["rho"], o["beta1"], o["beta2"], o["eps"])
    for k, st in enumerate(d["steps"]):
        opt.zero_grad(set_to_none=True)
        _, logp, V, _ = net.replay(U, XI, fused=False)
        _, adv, ret = mt.a2c_advantages(rewards, V.detach(), d["gamma"], d["lambda"])
        loss, _ = mt.a2c_loss(logp, V, actions, adv, ret, d["beta_v"], d["beta_e"])
        loss.backward()
        norm = mt.clip_grad_(params, o["clip"])
        opt.step()
        rep.add("step%d loss" % k, err([st["loss"]], [loss.item()]), TOL_STEPS)
        rep.add("step%d grad_norm" % k, err([st["grad_norm"]], [norm]), TOL_STEPS)
        rep.add("step%d params" % k, err(st["params"], net.block()), TOL_STEPS)
    return cfg, rep


def check_trainer_case(ref, sets, iters, tmp):
    args = ["trainer", "--iters", str(iters)]
    for s in sets:
        args += ["--set", s]
    d = run_ref(ref, args, os.path.join(tmp, "trainer.json"))
    cfg = mt.NetConfig.from_json(d["net"])
    ts = mt.TrainSettings.from_json(d["train"])
    rep = Report()
    net = mt.MetaRLNet(cfg)
    net.load_block(d["params0"])
    params = net.trainable()
    opt = mt.make_optimizer(params, ts.optimizer, ts.lr, ts.rho, ts.beta1, ts.beta2, ts.eps)
    for k, bt in enumerate(d["batches"]):
        e0 = bt["episode"]
        lr, beta_e = ts.lr_at(e0), ts.beta_e_at(e0)
        rep.add("b%d lr" % k, err([bt["lr"]], [lr]))
        rep.add("b%d beta_e" % k, err([bt["beta_e"]], [beta_e]))
        lanes = bt["lanes"]
        actions = torch.tensor([ln["action"] for ln in lanes], dtype=torch.long).t().contiguous()
        rewards = torch.tensor([ln["reward"] for ln in lanes], dtype=mt.DT).t().contiguous()
        U = mt.build_inputs(cfg, actions, rewards)
        opt.zero_grad(set_to_none=True)
        _, logp, V, _ = net.replay(U, None, fused=False)
        rep.add("b%d policy p0" % k, err(torch.tensor([ln["p0"] for ln in lanes], dtype=mt.DT).t(), logp[:, :, 0].exp()))
        rep.add("b%d V" % k, err(torch.tensor([ln["V"] for ln in lanes], dtype=mt.DT).t(), V))
        _, adv, ret = mt.a2c_advantages(rewards, V.detach(), ts.gamma, ts.gae_lambda)
        loss, terms = mt.a2c_loss(logp, V, actions, adv, ret, ts.beta_v, beta_e)
        rep.add("b%d loss" % k, err([bt["loss"]], [loss.item()]), TOL_STEPS)
        rep.add("b%d policy_loss" % k, err([ln["policy_loss"] for ln in lanes], terms["policy"].detach()), TOL_STEPS)
        rep.add("b%d value_loss" % k, err([ln["value_loss"] for ln in lanes], terms["value"].detach()), TOL_STEPS)
        loss.backward()
        norm = mt.clip_grad_(params, ts.clip_norm)
        rep.add("b%d grad_norm" % k, err([bt["grad_norm"]], [norm]), TOL_STEPS)
        for g in opt.param_groups:
            g["lr"] = lr
        opt.step()
        rep.add("b%d params" % k, err(bt["params"], net.block()), TOL_STEPS)
    return cfg, rep


def check_torch_loop():
    """The PyTorch training loop against itself: the inputs it builds while
    playing are build_inputs() of its actions and rewards; sampling follows
    net_sample(); and its three variants (replay+fused, replay eager, graph)
    give the same losses and weights over a few updates (same generator
    draws: noise, coins and sampling uniforms are drawn the same way)."""
    rep = Report()
    for cfg in (mt.NetConfig(N=7, S=0, T_max=12), mt.NetConfig(N=6, S=3, T_max=12, critic_input=True,
                                                                value_trains_pfc=False, time_input=True,
                                                                activation="tanh", alpha=0.6, noise_sd=0.2)):
        ts = mt.TrainSettings(batch=3, trials=12, anneal_episodes=12, lr=3e-2, lr_final=0.0, clip_norm=1.0)
        runs = {}
        variants = [("eager", "replay", False), ("graph", "graph", False)]
        if mt.MetaRLNet(cfg).fused:
            variants.append(("fused", "replay", True))
        for name, mode, fused in variants:
            tr = mt.Trainer(cfg, ts, seed=5, mode=mode, fused=fused)
            out = []
            for _ in range(3):
                bt, loss, norm = tr.iterate()
                rep.add("%s inputs" % name, err(mt.build_inputs(cfg, bt.actions, bt.rewards), bt.U))
                out.append((loss, norm, bt.actions.clone()))
            runs[name] = (out, tr.net.block())
        base_out, base_block = runs["eager"]
        for name, (out, block) in runs.items():
            for k, (loss, norm, actions) in enumerate(out):
                rep.add("%s b%d actions" % (name, k), 0.0 if torch.equal(actions, base_out[k][2]) else float("inf"))
                rep.add("%s b%d loss" % (name, k), err([base_out[k][0]], [loss]), TOL_STEPS)
                rep.add("%s b%d norm" % (name, k), err([base_out[k][1]], [norm]), TOL_STEPS)
            rep.add("%s params" % name, err(base_block, block), TOL_STEPS)
    # net_sample(): the first a with u < p_0 + ... + p_a
    probs = torch.tensor([[0.2, 0.3, 0.5]] * 5, dtype=mt.DT)
    u = torch.tensor([[0.0], [0.1999], [0.2], [0.5], [0.99999]], dtype=mt.DT)
    a = (u >= probs.cumsum(1)[:, :2]).sum(1)
    rep.add("sampling rule", 0.0 if a.tolist() == [0, 0, 1, 2, 2] else float("inf"))
    return rep


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ref", default="build/tests/torch_ref", help="the torch_ref program")
    ap.add_argument("--verbose", action="store_true", help="print every comparison")
    a = ap.parse_args()
    mt.setup_torch(1)
    t0 = time.time()
    n_fail = 0
    with tempfile.TemporaryDirectory(prefix="metarl-torch-") as tmp:
        cases = [("grad", name, args, None) for name, args in GRAD_CASES]
        cases += [("trainer", name, sets, iters) for name, sets, iters in TRAINER_CASES]
        for kind, name, args, iters in cases:
            try:
                if kind == "grad":
                    cfg, rep = check_grad_case(a.ref, args, tmp)
                else:
                    cfg, rep = check_trainer_case(a.ref, args, iters, tmp)
            except Exception as ex:  # a crash is a failure of this case, not of the run
                print("FAIL\t%s (P=?): %s: %s" % (name, type(ex).__name__, ex))
                n_fail += 1
                continue
            fails = rep.failures()
            if kind == "grad":
                detail = "grad err %.1e, loss err %.1e, forward err %.1e, %d optimizer steps err %.1e" % (
                    max(rep.worst(p + " grad") for p in ("eager", "steps", "fused")),
                    max(rep.worst(p + " loss") for p in ("eager", "steps", "fused")),
                    max(rep.worst(p + " " + q) for p in ("eager", "steps", "fused")
                        for q in ("rates", "logp", "V", "h")),
                    len([n for n, _, _ in rep.items if n.endswith(" params")]), rep.worst("step"))
            else:
                detail = "params err %.1e, loss err %.1e, grad norm err %.1e over %d batches" % (
                    max(e for n, e, _ in rep.items if n.endswith("params")),
                    max(e for n, e, _ in rep.items if n.endswith(" loss")),
                    max(e for n, e, _ in rep.items if n.endswith("grad_norm")), iters)
            print("%s\t%s (P=%d): %s" % ("FAIL" if fails else "PASS", name, cfg.P, detail))
            for n, e, t in fails:
                print("#   %s: err %.3g > tol %.1g" % (n, e, t))
            if a.verbose:
                for n, e, t in rep.items:
                    print("#     %-28s %.2e" % (n, e))
            n_fail += bool(fails)
            sys.stdout.flush()
        rep = check_torch_loop()
        fails = rep.failures()
        print("%s\ttorch training loop: inputs, sampling, replay+fused = replay eager = graph mode "
              "(max err %.1e over 3 updates)" % ("FAIL" if fails else "PASS", max(e for _, e, _ in rep.items)))
        for n, e, t in fails:
            print("#   %s: err %.3g > tol %.1g" % (n, e, t))
        n_fail += bool(fails)
    print("# %d configurations, %d failed, %.1f s; err = max_i |c_i - t_i| / max(|c_i|, 1e-6 max_j |c_j|)"
          % (len(cases) + 1, n_fail, time.time() - t0))
    return 1 if n_fail else 0


if __name__ == "__main__":
    sys.exit(main())
