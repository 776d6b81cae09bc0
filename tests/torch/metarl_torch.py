"""tests/torch/metarl_torch.py: the metarl network, task and A2C in PyTorch.

A second, independent implementation of model/net.h, model/a2c.h,
model/optim.h, model/trainer.h and tasks/bandit.c, with gradients from
autograd instead of the hand-derived backward pass of model/net.md. It serves
as (1) the reference for the C gradients (tests/torch/grad_check.py, run by
tests/cli_torch.sh) and (2) the PyTorch side of the speed benchmark
(tests/torch/bench_torch.py, run by tests/bench_torch.sh). Everything is
float64 (torch.float64), so that the C and PyTorch results agree to rounding.

The equations are those of model/net.h (Wang et al. 2018; Blanco-Pozo et al.
2024 for the separate striatal critic), per trial t:

  u_t = [ obs_t , onehot(a_{t-1}) , r_{t-1} , t/T_max (if time_input) ]
  x_t = (1-alpha) x_{t-1} + alpha (W_rec r_{t-1} + W_in u_t + b) + sigma xi_t
  r_t = f(x_t),  f = tanh | relu | softplus,  x_{-1} = r_{-1} = 0
  logits_t = W_pi r_t + b_pi,  pi_t = softmax(logits_t)
  z_t = r_t  or, with critic_input, [ r_t , onehot(a_{t-1}) , r_{t-1} ]
        (value_trains_pfc = 0: r_t enters z_t through a stop-gradient, detach())
  S > 0:  h_t = f(W_s z_t + b_s),  V_t = w_v . h_t + b_v
  S = 0:  V_t = w_v . z_t + b_v

and the loss of model/a2c.h (Mnih et al. 2016), with the GAE(lambda)
advantages Ahat and targets G computed from the detached values, i.e. held
constant:

  L = mean over the B episodes of
      sum_t [ -log pi_t(a_t) Ahat_t + beta_v 1/2 (G_t - V_t)^2 - beta_e H(pi_t) ]

The parameters live in nine tensors named and ordered as the C parameter
block (NetParams: W_in, W_rec, b, W_pi, b_pi, W_s, b_s, w_v, b_v; row-major),
so a C block loads with MetaRLNet.load_block() and a PyTorch block goes back
to C with MetaRLNet.block().

Training (Trainer) follows model/trainer.c: B episodes in lockstep with the
weights fixed, then one update: the batch loss above, backward, global-norm
clipping g <- g min(1, c/||g||) (model/optim.c; NOT torch's clip_grad_norm_,
which adds 1e-6 to the norm), then torch.optim.RMSprop (centered=False,
momentum=0: v <- rho v + (1-rho) g^2, theta -= lr g/(sqrt(v)+eps), the
formula of model/optim.c) or torch.optim.Adam (the same formula as
model/optim.c up to rounding), with lr and beta_e annealed linearly as
train_lr()/train_beta_e() do.

How an iteration runs, for speed (both ways give the same numbers):
  "replay" (default): the episodes are played under torch.inference_mode(),
      recording the inputs u_t and noise xi_t; then ONE forward pass over the
      recorded sequence with autograd on (the input projection W_in u + b for
      all trials in one matrix product; for alpha = 1, sigma = 0, tanh/relu,
      the recurrence in PyTorch's fused C++ RNN kernel, torch._VF.rnn_*;
      readouts for all trials in one product) and backward.
  "graph": the autograd graph is recorded while playing (one forward pass).

Randomness comes from a torch.Generator; the streams differ from metarl's GSL
streams, so the two sides draw different tasks and actions: compare them in
distribution (speed, time to a regret target), or replay recorded C
episodes (grad_check.py) for exact comparisons.
"""
import math
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F

DT = torch.float64   # the gradient check runs in float64; the speed bench also sets float32 (read at call time)
TENSORS = ("W_in", "W_rec", "b", "W_pi", "b_pi", "W_s", "b_s", "w_v", "b_v")


@dataclass
class NetConfig:
    """model/net.h NetConfig; I, Z, Zv as net_dims() computes them."""
    N: int
    S: int = 0
    A: int = 2
    O: int = 0
    T_max: int = 100
    critic_input: bool = False
    value_trains_pfc: bool = True
    time_input: bool = False
    activation: str = "relu"
    alpha: float = 1.0
    noise_sd: float = 0.0
    init: str = "gaussian"
    gain: float = 1.0

    @classmethod
    def from_json(cls, d):
        """From the "net" object that tests/torch_ref writes."""
        return cls(N=d["N"], S=d["S"], A=d["A"], O=d["O"], T_max=d["T_max"],
                   critic_input=bool(d["critic_input"]),
                   value_trains_pfc=bool(d["value_trains_pfc"]),
                   time_input=bool(d["time_input"]), activation=d["activation"],
                   alpha=d["alpha"], noise_sd=d["noise_sd"], init=d.get("init", "gaussian"),
                   gain=d.get("gain", 1.0))

    @property
    def I(self):
        return self.O + self.A + 1 + (1 if self.time_input else 0)

    @property
    def Z(self):
        return self.N + (self.A + 1 if self.critic_input else 0)

    @property
    def Zv(self):
        return self.S if self.S > 0 else self.Z

    def shapes(self):
        N, S, A = self.N, self.S, self.A
        return [(N, self.I), (N, N), (N,), (A, N), (A,), (S, self.Z), (S,), (self.Zv,), (1,)]

    @property
    def P(self):
        return sum(math.prod(s) for s in self.shapes())


def flops_per_step(c):
    """net_flops_per_step() of model/net.c: 2 x the multiply-adds of the matrix
    products of one trial, forward + backward (optimizer left out)."""
    N, I, A, S, Z, Zv = c.N, c.I, c.A, c.S, c.Z, c.Zv
    fwd = N * N + N * I + A * N + S * Z + Zv
    bwd = 2 * N * N + N * I + 2 * A * N + 2 * S * Z + Zv
    return 2.0 * (fwd + bwd)


def softplus(x):
    # Same operations as net_act(): x > 0: x + log1p(exp(-x)), else log1p(exp(x)).
    # (torch's F.softplus switches to the identity above x = 20.)
    return torch.relu(x) + torch.log1p(torch.exp(-x.abs()))


ACTIVATIONS = {"tanh": torch.tanh, "relu": torch.relu, "softplus": softplus}


class MetaRLNet(torch.nn.Module):
    """The prefrontal rate network and its striatal critic (model/net.h)."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.f = ACTIVATIONS[cfg.activation]
        for name, shape in zip(TENSORS, cfg.shapes()):
            setattr(self, name, torch.nn.Parameter(torch.zeros(shape, dtype=DT)))
        # Fused recurrence only where it is the same map: no leak, no noise.
        self.fused = cfg.alpha == 1.0 and cfg.noise_sd == 0.0 and cfg.activation in ("tanh", "relu")
        self._zero_bias = torch.zeros(cfg.N, dtype=DT)

    def tensors(self):
        return [getattr(self, n) for n in TENSORS]

    def trainable(self):
        """Parameters with at least one element (W_s, b_s are empty if S = 0)."""
        return [p for p in self.tensors() if p.numel() > 0]

    # --- parameter blocks, C layout ------------------------------------------
    @torch.no_grad()
    def load_block(self, block):
        block = torch.as_tensor(block, dtype=DT)
        assert block.numel() == self.cfg.P, (block.numel(), self.cfg.P)
        k = 0
        for p in self.tensors():
            n = p.numel()
            p.copy_(block[k:k + n].view(p.shape))
            k += n

    def block(self):
        return torch.cat([p.detach().reshape(-1) for p in self.tensors()])

    def grad_block(self):
        return torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1)
                          for p in self.tensors()])

    @torch.no_grad()
    def init_(self, gen):
        """net_init()'s distributions (not its numbers: a torch generator)."""
        c = self.cfg

        def gauss(p, sd):
            p.copy_(torch.randn(p.shape, generator=gen, dtype=DT) * sd)

        for p in self.tensors():
            p.zero_()
        gauss(self.W_in, 1.0 / math.sqrt(c.I))
        if c.init == "orthogonal":
            M = torch.randn((c.N, c.N), generator=gen, dtype=DT)
            Q, R = torch.linalg.qr(M)
            s = torch.where(torch.diagonal(R) < 0, -c.gain, c.gain)
            self.W_rec.copy_(Q * s)
        else:
            gauss(self.W_rec, c.gain / math.sqrt(c.N))
        gauss(self.W_pi, 0.1 / math.sqrt(c.N))
        if c.S > 0:
            gauss(self.W_s, 1.0 / math.sqrt(c.Z))
        gauss(self.w_v, 0.1 / math.sqrt(c.Zv))

    # --- forward -------------------------------------------------------------
    def step(self, u, x, r, xi=None):
        """One trial's state update for a batch: u (B, I), x and r (B, N) of
        the previous trial or None on the first; xi (B, N) or None."""
        c = self.cfg
        pre = torch.addmm(self.b, u, self.W_in.t())
        if r is not None:
            pre = torch.addmm(pre, r, self.W_rec.t())
        if c.alpha == 1.0:
            x = pre
        elif x is None:
            x = c.alpha * pre
        else:
            x = (1.0 - c.alpha) * x + c.alpha * pre
        if xi is not None:
            x = x + c.noise_sd * xi
        return x, self.f(x)

    def heads(self, r, u):
        """Policy and value from rates r (..., N) and inputs u (..., I):
        (log pi (..., A), V (...)). Works for one trial or a whole sequence."""
        c = self.cfg
        logp = torch.log_softmax(torch.matmul(r, self.W_pi.t()) + self.b_pi, dim=-1)
        z = r if c.value_trains_pfc else r.detach()
        if c.critic_input:
            z = torch.cat([z, u[..., c.O:c.O + c.A + 1]], dim=-1)
        if c.S > 0:
            h = self.f(torch.matmul(z, self.W_s.t()) + self.b_s)
            return logp, torch.matmul(h, self.w_v) + self.b_v, h
        return logp, torch.matmul(z, self.w_v) + self.b_v, None

    def replay(self, U, XI=None, fused=None):
        """Forward over recorded inputs U (T, B, I) and noise XI (T, B, N) or
        None: (rates (T, B, N), log pi (T, B, A), V (T, B), h or None)."""
        c = self.cfg
        fused = self.fused if fused is None else (fused and self.fused)
        if fused:
            h0 = torch.zeros((1, U.shape[1], c.N), dtype=DT)
            rnn = torch._VF.rnn_relu if c.activation == "relu" else torch._VF.rnn_tanh
            R, _ = rnn(U, h0, [self.W_in, self.W_rec, self.b, self._zero_bias], True, 1, 0.0,
                       False, False, False)
        else:
            inp = torch.matmul(U, self.W_in.t()) + self.b      # (T, B, N): W_in u_t + b
            rates = []
            x = r = None
            for t in range(U.shape[0]):
                pre = inp[t] if r is None else torch.addmm(inp[t], r, self.W_rec.t())
                if c.alpha == 1.0:
                    x = pre
                elif x is None:
                    x = c.alpha * pre
                else:
                    x = (1.0 - c.alpha) * x + c.alpha * pre
                if XI is not None:
                    x = x + c.noise_sd * XI[t]
                r = self.f(x)
                rates.append(r)
            R = torch.stack(rates)
        logp, V, h = self.heads(R, U)
        return R, logp, V, h

    def replay_steps(self, U, XI=None):
        """The same forward pass as replay(), trial by trial through step() and
        heads() (the path of the "graph" training mode)."""
        x = r = None
        out = []
        for t in range(U.shape[0]):
            x, r = self.step(U[t], x, r, None if XI is None else XI[t])
            logp, V, h = self.heads(r, U[t])
            out.append((r, logp, V, h))
        R, logp, V = (torch.stack([o[i] for o in out]) for i in range(3))
        h = torch.stack([o[3] for o in out]) if out[0][3] is not None else None
        return R, logp, V, h


def build_inputs(cfg, actions, rewards, obs=None):
    """u_t for every trial of recorded episodes: actions (T, B) long, rewards
    (T, B), obs (T, B, O) or None -> U (T, B, I)."""
    T, B = actions.shape
    c = cfg
    U = torch.zeros((T, B, c.I), dtype=DT)
    if c.O > 0:
        U[:, :, :c.O] = obs
    if T > 1:
        U[1:, :, c.O:c.O + c.A] = F.one_hot(actions[:-1], c.A).to(DT)
        U[1:, :, c.O + c.A] = rewards[:-1]
    if c.time_input:
        U[:, :, -1] = (torch.arange(T, dtype=DT) / c.T_max)[:, None]
    return U


# --- A2C (model/a2c.h) ---------------------------------------------------------
_gae_cache = {}


def gae_matrix(T, gl):
    """(T, T) matrix D with D[t, k] = (gamma lambda)^(k - t) for k >= t."""
    key = (T, gl, DT)
    if key not in _gae_cache:
        k = torch.arange(T, dtype=DT)
        e = k[None, :] - k[:, None]
        D = torch.where(e >= 0, torch.pow(torch.tensor(gl, dtype=DT), e.clamp(min=0)),
                        torch.zeros((), dtype=DT))
        _gae_cache[key] = D
    return _gae_cache[key]


def a2c_advantages(rewards, V, gamma, lam):
    """GAE(lambda): delta_t = r_t + gamma V_{t+1} - V_t (V_T = 0),
    Ahat = sum_k (gamma lambda)^k delta_{t+k}, G = Ahat + V; for (T, B)
    tensors, no gradient."""
    with torch.no_grad():
        Vn = torch.cat([V[1:], torch.zeros_like(V[:1])])
        delta = rewards + gamma * Vn - V
        adv = torch.matmul(gae_matrix(V.shape[0], gamma * lam), delta)
        return delta, adv, adv + V


def a2c_loss(logp, V, actions, adv, ret, beta_v, beta_e):
    """Batch loss (mean over episodes) and the per-episode terms (B,) each:
    policy, value, entropy, loss."""
    lp_a = logp.gather(2, actions.unsqueeze(2)).squeeze(2)
    H = -(logp.exp() * logp).sum(2)
    policy = -(lp_a * adv).sum(0)
    value = 0.5 * ((ret - V) ** 2).sum(0)
    entropy = H.sum(0)
    per_ep = policy + beta_v * value - beta_e * entropy
    return per_ep.mean(), {"policy": policy, "value": value, "entropy": entropy, "loss": per_ep}


def clip_grad_(params, max_norm):
    """Global-norm clipping as optim_clip(): g <- g c/||g|| if ||g|| > c > 0.
    Return the norm before clipping (a float)."""
    grads = [p.grad for p in params if p.grad is not None]
    norm = torch.sqrt(sum((g * g).sum() for g in grads)).item()
    if max_norm > 0 and norm > max_norm:
        s = max_norm / norm
        for g in grads:
            g.mul_(s)
    return norm


def make_optimizer(params, kind, lr, rho=0.99, beta1=0.9, beta2=0.999, eps=1e-5):
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(beta1, beta2), eps=eps)
    return torch.optim.RMSprop(params, lr=lr, alpha=rho, eps=eps, momentum=0.0, centered=False)


# --- the task (tasks/bandit.c) ------------------------------------------------
class Bandit:
    """B two-armed Bernoulli bandits in lockstep. dist "independent": p1, p2
    ~ U(0,1); "dependent": p2 = 1 - p1. Two reward coins per trial, drawn for
    the whole episode at reset."""

    def __init__(self, B, T, dist="independent", gen=None):
        if dist not in ("independent", "dependent"):
            raise ValueError("bandit dist %r not implemented in PyTorch" % dist)
        self.B, self.T, self.dist, self.gen = B, T, dist, gen

    def reset(self):
        u = torch.rand((self.B, 2), generator=self.gen, dtype=DT)
        if self.dist == "dependent":
            u[:, 1] = 1.0 - u[:, 0]
        self.p = u
        coins = torch.rand((self.T, self.B, 2), generator=self.gen, dtype=DT)
        self.outcome = (coins < u).to(DT)           # (T, B, 2): reward of each arm per trial

    def regret(self, actions):
        """sum_t max_a p_a - p_{a_t} per episode, actions (T, B)."""
        pa = self.p.t().gather(0, actions)           # (T, B)
        return (self.p.max(1).values[None, :] - pa).sum(0)


# --- training (model/trainer.c) -----------------------------------------------
@dataclass
class TrainSettings:
    """The [train] settings that model/train_settings.h resolves (from the
    "train" object of `torch_ref info`)."""
    batch: int = 16
    optimizer: str = "rmsprop"
    lr: float = 1e-3
    lr_final: float = -1.0
    rho: float = 0.99
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-5
    gamma: float = 0.9
    gae_lambda: float = 1.0
    beta_v: float = 0.05
    beta_e: float = 0.05
    beta_e_final: float = 0.0
    anneal_episodes: int = 0
    clip_norm: float = 40.0
    episodes: int = 20000
    trials: int = 100
    dist: str = "independent"

    @classmethod
    def from_json(cls, d):
        keys = cls.__dataclass_fields__.keys()
        return cls(**{k: d[k] for k in keys if k in d})

    def _fraction(self, episode):
        if self.anneal_episodes <= 0:
            return 1.0
        return min(1.0, episode / self.anneal_episodes)

    def beta_e_at(self, episode):
        """train_beta_e()"""
        if self.anneal_episodes <= 0:
            return self.beta_e
        f = self._fraction(episode)
        return self.beta_e_final if f >= 1.0 else self.beta_e + (self.beta_e_final - self.beta_e) * f

    def lr_at(self, episode):
        """train_lr()"""
        if self.anneal_episodes <= 0 or self.lr_final < 0.0:
            return self.lr
        f = self._fraction(episode)
        return self.lr_final if f >= 1.0 else self.lr + (self.lr_final - self.lr) * f


class Batch:
    """One batch of played episodes: inputs U (T, B, I), noise XI or None,
    actions (T, B), rewards (T, B), regret (B,); with mode "graph" also the
    forward results with their autograd graph."""
    pass


class Trainer:
    """INITIALIZE/ITERATE as model/trainer.h: Trainer(...); iterate() plays B
    episodes and takes one update."""

    def __init__(self, net_cfg, ts, seed=1, mode="replay", fused=True):
        self.cfg, self.ts, self.mode, self.fused = net_cfg, ts, mode, fused
        self.gen = torch.Generator().manual_seed(seed)
        self.net = MetaRLNet(net_cfg)
        self.net.init_(self.gen)
        self.params = self.net.trainable()
        self.opt = make_optimizer(self.params, ts.optimizer, ts.lr, ts.rho, ts.beta1, ts.beta2, ts.eps)
        self.env = Bandit(ts.batch, ts.trials, ts.dist, self.gen)
        self.episode = 0
        c = net_cfg
        self._time_col = (torch.arange(ts.trials, dtype=DT) / c.T_max)[:, None] if c.time_input else None

    def play(self):
        """Play one batch with the current weights."""
        c, B, T = self.cfg, self.ts.batch, self.ts.trials
        net, env, gen = self.net, self.env, self.gen
        env.reset()
        bt = Batch()
        bt.U = U = torch.zeros((T, B, c.I), dtype=DT)
        if self._time_col is not None:
            U[:, :, -1] = self._time_col
        bt.XI = (torch.randn((T, B, c.N), generator=gen, dtype=DT) if c.noise_sd > 0 else None)
        coin = torch.rand((T, B, 1), generator=gen, dtype=DT)   # one uniform per action draw
        bt.actions = torch.empty((T, B), dtype=torch.long)
        bt.rewards = torch.empty((T, B), dtype=DT)
        A, O = c.A, c.O
        graph = self.mode == "graph"
        out = []
        ctx = torch.enable_grad() if graph else torch.inference_mode()
        with ctx:
            x = r = None
            for t in range(T):
                if graph:
                    u = U[t].clone()   # a fresh tensor: U itself is written in place below
                else:
                    u = U[t]
                x, r = net.step(u, x, r, None if bt.XI is None else bt.XI[t])
                if graph:
                    logp, V, h = net.heads(r, u)
                    out.append((logp, V))
                    probs = logp.detach().exp()
                else:
                    probs = torch.softmax(torch.addmm(net.b_pi, r, net.W_pi.t()), dim=1)
                # net_sample(): the first a with u < p_0 + ... + p_a
                a = (coin[t] >= probs.cumsum(1)[:, :A - 1]).sum(1)
                rew = env.outcome[t].gather(1, a.unsqueeze(1)).squeeze(1)
                bt.actions[t] = a
                bt.rewards[t] = rew
                if t + 1 < T:
                    U[t + 1].scatter_(1, (a + O).unsqueeze(1), 1.0)
                    U[t + 1, :, O + A] = rew
        if graph:
            bt.logp = torch.stack([o[0] for o in out])
            bt.V = torch.stack([o[1] for o in out])
        bt.regret = env.regret(bt.actions)
        return bt

    def update(self, bt, lr, beta_e):
        """Loss, gradient, clipping and one optimizer step on a played batch.
        Return (batch loss, gradient norm before clipping, per-episode terms)."""
        ts = self.ts
        if self.mode == "graph":
            logp, V = bt.logp, bt.V
        else:
            _, logp, V, _ = self.net.replay(bt.U, bt.XI, fused=self.fused)
        _, adv, ret = a2c_advantages(bt.rewards, V.detach(), ts.gamma, ts.gae_lambda)
        loss, terms = a2c_loss(logp, V, bt.actions, adv, ret, ts.beta_v, beta_e)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        norm = clip_grad_(self.params, ts.clip_norm)
        if not (math.isfinite(norm) and math.isfinite(loss.item())):
            raise FloatingPointError("loss or gradient not finite at episode %d" % self.episode)
        for g in self.opt.param_groups:
            g["lr"] = lr
        self.opt.step()
        return loss.item(), norm, terms

    def iterate(self):
        e0 = self.episode
        bt = self.play()
        loss, norm, terms = self.update(bt, self.ts.lr_at(e0), self.ts.beta_e_at(e0))
        self.episode += self.ts.batch
        return bt, loss, norm


def setup_torch(threads=1):
    """One thread (intra- and inter-op), float64 default."""
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(threads)
    except RuntimeError:
        pass   # already set once in this process


def now():
    return time.perf_counter()
