# Reference trajectories from torch.optim (PyTorch 1.13) for the C# optimizer and learning-rate-schedule tests.
"""Writes the JSON fixtures in tests/Functional.Runtime.Tests/Optimizers/TorchReference/ (one file per case).

Regenerate (Debian 12: apt-get install -y python3-torch python3-numpy libopenblas0-openmp):

    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 bench/optim_reference.py

(`/usr/bin/python3` because that is the interpreter Debian's torch is installed for; the OpenMP OpenBLAS only
matters for speed.) The run is deterministic: the inputs come from seeded numpy generators, torch runs on the CPU
in one thread, and the JSON is written by hand in a fixed layout, so re-running rewrites every file byte for byte
on the same machine. See TorchReference/README.md for the file format and for the exact formulas torch applies.

Update rules: for each case a float32 parameter vector, its initial values and 12 float32 gradients. Each step sets
`p.grad` to the given gradient, optionally applies torch.nn.utils.clip_grad_norm_(p, clip_norm), calls opt.step()
and records the parameter. Every optimizer is built with foreach=False (never fused), and the script makes sure the
`_single_tensor_*` code is the one that ran.

Schedules: a dummy SGD optimizer; the learning rate is read from param_groups[0]["lr"] before each opt.step(),
scheduler.step() is called after it. ReduceLROnPlateau is fed a fixed list of losses and read after each step.

Float encoding: float32 values (initial, gradients, parameters, clip norms and coefficients) are written as the
shortest decimal that numpy's float32 repr gives (e.g. 0.1, -1.2345679e-05). Each is checked here to read back as
exactly the same float32 both ways a reader might parse it: correctly rounded straight to float32
(float.Parse, Utf8JsonReader.GetSingle) and parsed to double then cast to float ((float)GetDouble()). float64
values (hyperparameters, learning rates, momenta, losses) are Python's repr: the shortest decimal that reads back
as the same double (double.Parse). No hex strings.

As a check on README.md, the script also replays every update-rule case with a numpy float32 model of the formulas
written there (fused multiply-adds where ATen uses them, scalar coefficients computed in double and rounded to
float32 once) and requires it to agree with torch bit for bit. It also prints how far the same model lands without
fused multiply-adds, and with coefficients computed in float32 (in ulps, and relative to the step's largest |θ|),
and how far torch's recursive schedules drift from their closed forms.
"""
import json
import math
import os
import sys
import warnings
from fractions import Fraction

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "Functional.Runtime.Tests", "Optimizers", "TorchReference")
STEPS = 12
F = np.float32


# ---------------------------------------------------------------------------------------------------------------
# JSON written by hand: fixed key order and layout, float32 as shortest float32 decimal, float64 as repr.

class F32:
    """A float32 vector (or a list of them) to be written with float32 text."""
    def __init__(self, values):
        self.values = np.asarray(values, dtype=np.float32)


def nearest_float32(q):
    """The float32 that correctly rounding the rational q gives (ties to even)."""
    x = F(float(q))  # within one float32 step of the answer
    best = None
    for c in (np.nextafter(x, F(-np.inf)), x, np.nextafter(x, F(np.inf))):
        d = abs(Fraction(float(c)) - q)
        even = (int(np.array(c).view(np.uint32)) & 1) == 0
        if best is None or d < best[0] or (d == best[0] and even):
            best = (d, c)
    return best[1]


def f32_text(x):
    x = F(x)
    if not np.isfinite(x):
        raise ValueError(f"non-finite value {x!r}")
    s = str(x)
    if F(float(s)) != x or nearest_float32(Fraction(s)) != x:
        raise AssertionError(f"{s} does not read back as float32 {x!r}")
    return s


def f64_text(x):
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"non-finite value {x!r}")
    s = repr(x)
    assert float(s) == x
    return s


def scalar_text(v):
    if v is None:
        return "null"
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return f64_text(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    raise TypeError(type(v))


def inline(v):
    if isinstance(v, F32):
        a = v.values
        if a.ndim == 0:
            return f32_text(a)
        return "[" + ", ".join(f32_text(x) for x in a.ravel()) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f'"{k}": {inline(x)}' for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(inline(x) for x in v) + "]"
    return scalar_text(v)


def document(fields):
    """Top-level keys one per line; a list of vectors one vector per line."""
    lines = []
    items = list(fields.items())
    for i, (k, v) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        if isinstance(v, F32) and v.values.ndim == 2:
            rows = [inline(F32(r)) for r in v.values]
            lines.append(f'  "{k}": [')
            lines += ["    " + r + ("," if j < len(rows) - 1 else "") for j, r in enumerate(rows)]
            lines.append("  ]" + comma)
        else:
            lines.append(f'  "{k}": {inline(v)}{comma}')
    return "{\n" + "\n".join(lines) + "\n}\n"


def write(name, fields):
    text = document(fields)
    path = os.path.join(OUT, name + ".json")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    return path


# ---------------------------------------------------------------------------------------------------------------
# Inputs.

SCALES = [1e-6, 1e-3, 0.1, 1.0, 10.0]
# Element 0 of every case walks through all scales and exact zeros (the very first gradient is 0, so a
# missing or misplaced ε turns the first update into 0/0).
ELEMENT0 = [0.0, 1e-6, 10.0, 1.0, 0.0, 1e-3, 10.0, 1e-6, 0.1, 0.0, 1.0, 1e-6]


def inputs(seed, n):
    """Initial values and STEPS gradients, float32. Element 1 stays tiny (~1e-6) and element 2 large (~10) on every
    step, so ε matters all along for one and never for the other; the rest keep a usual scale most of the time and
    jump to another 30% of the time; about 6% of the entries are exact zeros."""
    rng = np.random.default_rng(seed)
    initial = rng.standard_normal(n) * rng.choice([0.1, 1.0, 3.0], n)
    if n >= 7:
        initial[n - 1] = 0.0
    home = rng.integers(0, len(SCALES), n)
    scales = np.array(SCALES)
    grads = []
    for t in range(STEPS):
        cls = np.where(rng.random(n) < 0.7, home, rng.integers(0, len(SCALES), n))
        g = rng.standard_normal(n) * scales[cls]
        g[rng.random(n) < 0.06] = 0.0
        mag = 0.5 + rng.random(3)
        sign = np.where(rng.random(3) < 0.5, -1.0, 1.0)
        g[0] = sign[0] * mag[0] * ELEMENT0[t]
        if n > 1:
            g[1] = sign[1] * mag[1] * 1e-6
        if n > 2:
            g[2] = sign[2] * mag[2] * 10.0
        g[g == 0] = 0.0  # +0, not -0
        grads.append(g)
    return initial.astype(np.float32), np.array(grads).astype(np.float32)


def scale_to_norm(g, norm):
    """g rescaled (in double) to about the given Euclidean norm, back in float32."""
    g64 = g.astype(np.float64)
    return (g64 * (norm / np.linalg.norm(g64))).astype(np.float32)


# Update-rule cases: (file name, rule, size, seed, torch constructor kwargs, clip max_norm or None).
RULES = [
    ("sgd", "sgd", 7, 101, dict(lr=0.1, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False), None),
    ("sgd_momentum", "sgd", 17, 102, dict(lr=0.05, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False), None),
    ("sgd_nesterov", "sgd", 257, 103, dict(lr=0.05, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=True), None),
    ("sgd_weight_decay", "sgd", 1, 104, dict(lr=0.1, momentum=0.0, dampening=0.0, weight_decay=0.01, nesterov=False), None),
    # Dampening ≠ 0 shows torch's first-step buffer: d itself, not (1 − dampening)·d.
    ("sgd_momentum_dampening", "sgd", 7, 105, dict(lr=0.05, momentum=0.9, dampening=0.5, weight_decay=0.01, nesterov=False), None),
    ("sgd_momentum_clip", "sgd", 17, 106, dict(lr=0.05, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False), 5.0),
    ("adagrad", "adagrad", 17, 201, dict(lr=0.1, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10), None),
    ("adagrad_lr_decay", "adagrad", 1, 202, dict(lr=0.1, lr_decay=0.01, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10), None),
    ("adagrad_initial_accumulator", "adagrad", 7, 203, dict(lr=0.1, lr_decay=0.01, weight_decay=0.0, initial_accumulator_value=0.1, eps=1e-10), None),
    ("rmsprop", "rmsprop", 17, 301, dict(lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False), None),
    ("rmsprop_momentum", "rmsprop", 7, 302, dict(lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.9, centered=False), None),
    ("rmsprop_centered", "rmsprop", 1, 303, dict(lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=True), None),
    ("rmsprop_centered_momentum", "rmsprop", 257, 304, dict(lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.9, centered=True), None),
    ("adam", "adam", 257, 401, dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False), None),
    ("adam_weight_decay", "adam", 17, 402, dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01, amsgrad=False), None),
    ("adam_clip", "adam", 7, 403, dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False), 2.0),
    ("adamw", "adamw", 7, 501, dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01, amsgrad=False), None),
    ("adamw_weight_decay_0.1", "adamw", 17, 502, dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1, amsgrad=False), None),
]

OPTIMIZERS = {"sgd": torch.optim.SGD, "adagrad": torch.optim.Adagrad, "rmsprop": torch.optim.RMSprop,
              "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}


def forbid_multi_tensor():
    """Make the foreach implementations raise, so a silent switch away from _single_tensor_* cannot happen."""
    import importlib
    for rule in OPTIMIZERS:
        module = importlib.import_module("torch.optim." + rule)  # torch.optim deletes these names from itself
        name = "_multi_tensor_" + module.__name__.rsplit(".", 1)[1]
        assert hasattr(module, name) and hasattr(module, name.replace("_multi_", "_single_"))

        def refuse(*args, _name=name, **kwargs):
            raise AssertionError(f"{_name} ran; the fixtures are for the single-tensor path")
        setattr(module, name, refuse)


def clip_coefficient(total_norm, max_norm):
    """The factor clip_grad_norm_ multiplies the gradient by, computed with its own tensor ops (clip_grad.py:50-54)."""
    return torch.clamp(float(max_norm) / (total_norm + 1e-6), max=1.0)


def run_torch(rule, hp, initial, grads, clip):
    p = torch.nn.Parameter(torch.from_numpy(initial.copy()))
    opt = OPTIMIZERS[rule]([p], foreach=False, **hp)
    assert opt.param_groups[0]["foreach"] is False and not opt.param_groups[0].get("fused", False)
    params, norms, coefs = [], [], []
    for g in grads:
        p.grad = torch.from_numpy(g.copy())
        if clip is not None:
            total = torch.nn.utils.clip_grad_norm_(p, clip)
            norms.append(total.item())
            coefs.append(clip_coefficient(total, clip).item())
        opt.step()
        params.append(p.detach().numpy().copy())
    return np.array(params, dtype=np.float32), np.array(norms, dtype=np.float32), np.array(coefs, dtype=np.float32)


# ---------------------------------------------------------------------------------------------------------------
# A numpy float32 model of README.md's formulas, to check them against torch bit for bit.

def fma(a, b, c):
    """float32 fused multiply-add: a·b is exact in double, so one rounding of a·b + c (to double, then float32 —
    the double rounding that could differ from a true fma is vanishingly rare and would show up as a mismatch)."""
    return (np.asarray(a, np.float64) * np.asarray(b, np.float64) + np.asarray(c, np.float64)).astype(np.float32)


class Model:
    """fused: ATen's fused multiply-adds (False: every product rounded). double: scalar coefficients such as
    1 − β₁, lr/(1 − β₁ᵗ) computed in double and rounded once, as torch does (False: hyperparameters rounded to
    float32 first and the coefficients computed in float32)."""
    def __init__(self, fused, double=True):
        self.fused = fused
        self.double = double

    def c(self, x):
        """A hyperparameter as it enters coefficient arithmetic."""
        return float(x) if self.double else F(x)

    def sqrt(self, x):
        return math.sqrt(x) if self.double else F(np.sqrt(F(x)))

    def madd(self, a, b, c):
        """a·b + c as ATen's add(alpha=a) / addcmul compute it: fused under AVX2, or rounded twice when not."""
        return fma(a, b, c) if self.fused else (F(a) * F(b) + F(c)).astype(np.float32)

    def norm(self, x):
        """torch.norm(x, 2) on a float32 CPU vector (1.13, AVX2): 8 fused lanes over the multiples of 8, then one
        4-lane block of rounded squares if 4 or more remain, the lanes summed in order, the last 0-3 fused."""
        n, d = len(x), 0
        acc8 = np.zeros(8, np.float32)
        while d + 8 <= n:
            acc8 = self.madd(x[d:d + 8], x[d:d + 8], acc8)
            d += 8
        lanes = list(acc8)
        if d + 4 <= n:
            lanes += list((x[d:d + 4] * x[d:d + 4]).astype(np.float32))
            d += 4
        s = lanes[0]
        for v in lanes[1:]:
            s = F(s + v)
        while d < n:
            s = self.madd(x[d], x[d], s)
            d += 1
        return F(np.sqrt(s))

    def clip(self, g, max_norm):
        total = self.norm(g)
        coef = min(F(F(max_norm) * (F(1) / F(total + F(1e-6)))), F(1))
        return (g * coef).astype(np.float32), total, coef

    def run(self, rule, hp, initial, grads, clip):
        p = initial.copy()
        state = {}
        out = []
        for t, g in enumerate(grads, start=1):
            if clip is not None:
                g = self.clip(g, clip)[0]
            p = getattr(self, rule)(hp, p, g, t, state)
            out.append(p)
        return np.array(out, dtype=np.float32)

    def sgd(self, hp, p, g, t, s):
        c = self.c
        lr, mu, tau, wd, nesterov = c(hp["lr"]), c(hp["momentum"]), c(hp["dampening"]), c(hp["weight_decay"]), hp["nesterov"]
        d = g
        if wd != 0:
            d = self.madd(F(wd), p, d)
        if mu != 0:
            if "buf" not in s:
                s["buf"] = d.copy()
            else:
                s["buf"] = self.madd(F(c(1) - tau), d, s["buf"] * F(mu))
            d = self.madd(F(mu), s["buf"], d) if nesterov else s["buf"]
        return self.madd(F(-lr), d, p)

    def adagrad(self, hp, p, g, t, s):
        if "sum" not in s:
            s["sum"] = np.full_like(p, F(hp["initial_accumulator_value"]))
        if hp["weight_decay"] != 0:
            g = self.madd(F(hp["weight_decay"]), p, g)
        c = self.c
        clr = c(hp["lr"]) / (c(1) + c(t - 1) * c(hp["lr_decay"]))
        s["sum"] = self.madd(g, g, s["sum"])
        std = np.sqrt(s["sum"]) + F(hp["eps"])
        return p + (F(-clr) * g) / std

    def rmsprop(self, hp, p, g, t, s):
        c = self.c
        alpha, eps, mu = c(hp["alpha"]), hp["eps"], hp["momentum"]
        if "sq" not in s:
            s["sq"], s["ga"], s["buf"] = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
        if hp["weight_decay"] != 0:
            g = self.madd(F(hp["weight_decay"]), p, g)
        s["sq"] = self.madd(F(c(1) - alpha) * g, g, s["sq"] * F(alpha))
        if hp["centered"]:
            s["ga"] = self.madd(F(c(1) - alpha), g, s["ga"] * F(alpha))
            avg = np.sqrt(self.madd(-s["ga"], s["ga"], s["sq"]))
        else:
            avg = np.sqrt(s["sq"])
        avg = avg + F(eps)
        if mu > 0:
            s["buf"] = s["buf"] * F(mu) + g / avg
            return self.madd(F(-hp["lr"]), s["buf"], p)
        return p + (F(-hp["lr"]) * g) / avg

    def adam(self, hp, p, g, t, s, decoupled=False):
        c = self.c
        lr, b1, b2, eps, wd = c(hp["lr"]), c(hp["betas"][0]), c(hp["betas"][1]), hp["eps"], c(hp["weight_decay"])
        if "m" not in s:
            s["m"], s["v"] = np.zeros_like(p), np.zeros_like(p)
        if decoupled:
            p = p * F(c(1) - lr * wd)
        elif wd != 0:
            g = self.madd(F(wd), p, g)
        s["m"] = self.madd(F(c(1) - b1), g, s["m"] * F(b1))
        s["v"] = self.madd(F(c(1) - b2) * g, g, s["v"] * F(b2))
        step = c(t)
        bias_correction1 = c(1) - b1 ** step
        bias_correction2 = c(1) - b2 ** step
        step_size = lr / bias_correction1
        denom = np.sqrt(s["v"]) / F(self.sqrt(bias_correction2)) + F(eps)
        return p + (F(-step_size) * s["m"]) / denom

    def adamw(self, hp, p, g, t, s):
        return self.adam(hp, p, g, t, s, decoupled=True)


def deviation(model, torch_params):
    """(largest difference in float32 ulps, largest |difference| / largest |θ| of that step) over all steps."""
    scale = np.max(np.abs(torch_params.astype(np.float64)), axis=1, keepdims=True)
    rel = np.abs(model.astype(np.float64) - torch_params) / scale
    return ulps(model, torch_params), float(np.max(rel))


def ulps(a, b):
    """Largest distance in float32 steps between two equally shaped float32 arrays."""
    def ordered(x):
        i = x.astype(np.float32).view(np.int32).astype(np.int64)
        return np.where(i < 0, -(i & 0x7FFFFFFF), i)
    return int(np.max(np.abs(ordered(a) - ordered(b))))


# ---------------------------------------------------------------------------------------------------------------
# Cases.

def update_rules(report):
    names = []
    for name, rule, n, seed, hp, clip in RULES:
        initial, grads = inputs(seed, n)
        if clip is not None:
            # One step well under max_norm (not clipped); adam_clip also gets an all-zero gradient (norm 0:
            # the 1e-6 in max_norm / (norm + 1e-6) keeps the coefficient finite, and it is clamped to 1).
            grads[4] = scale_to_norm(grads[4], 0.5 * clip)
            if rule == "adam":
                grads[8] = 0.0
        params, norms, coefs = run_torch(rule, hp, initial, grads, clip)
        if clip is not None:
            clipped = int(np.sum(coefs < 1))
            assert coefs[4] == 1 and clipped >= STEPS - 2, (name, norms, coefs)
        fields = {"rule": rule, "hyperparameters": dict(hp), "clip_norm": clip, "size": n,
                  "initial": F32(initial), "gradients": F32(grads), "parameters": F32(params)}
        if clip is not None:
            fields["clip_total_norm"] = F32(norms)
            fields["clip_coefficient"] = F32(coefs)
        write(name, fields)
        names.append(name)

        report.append((name,) + tuple(deviation(Model(fused, double).run(rule, hp, initial, grads, clip), params)
                                      for fused, double in ((True, True), (False, True), (True, False))))
        if clip is not None:
            m = Model(fused=True)
            for g, tn, c in zip(grads, norms, coefs):
                _, mt, mc = m.clip(g, clip)
                assert mt == tn and mc == c, (name, mt, tn, mc, c)
    return names


def dummy_optimizer(lr, **kwargs):
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr, **kwargs)


def trace(opt, scheduler, steps, momentum=False):
    lrs, moms = [], []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        if momentum:
            moms.append(opt.param_groups[0]["momentum"])
        opt.step()
        scheduler.step()
    return lrs, moms


def schedules(closed_form_report):
    S = torch.optim.lr_scheduler
    names = []
    steps = 60

    def save(name, schedule, arguments, base_lr, lrs, closed, **extra):
        fields = {"schedule": schedule, "arguments": arguments, "base_lr": base_lr, "steps": len(lrs), "lr": lrs}
        fields.update(extra)
        write(name, fields)
        names.append(name)
        if closed is not None:
            dev = max(abs(a - b) / abs(b) for a, b in zip(lrs, closed))
            closed_form_report.append((name, dev))

    base = 0.1
    args = dict(step_size=10, gamma=0.5)
    opt = dummy_optimizer(base)
    lrs, _ = trace(opt, S.StepLR(opt, **args), steps)
    save("schedule_steplr", "steplr", args, base, lrs, [base * 0.5 ** (t // 10) for t in range(steps)])

    args = dict(gamma=0.95)
    opt = dummy_optimizer(base)
    lrs, _ = trace(opt, S.ExponentialLR(opt, **args), steps)
    save("schedule_exponentiallr", "exponentiallr", args, base, lrs, [base * 0.95 ** t for t in range(steps)])

    args = dict(T_max=60, eta_min=0.001)
    opt = dummy_optimizer(base)
    lrs, _ = trace(opt, S.CosineAnnealingLR(opt, **args), steps)
    save("schedule_cosine", "cosine", args, base, lrs,
         [0.001 + (base - 0.001) * (1 + math.cos(math.pi * t / 60)) / 2 for t in range(steps)])

    args = dict(max_lr=0.1, total_steps=60, pct_start=0.3, anneal_strategy="cos", cycle_momentum=True,
                base_momentum=0.85, max_momentum=0.95, div_factor=25.0, final_div_factor=1e4, three_phase=False)
    opt = dummy_optimizer(base, momentum=0.9)
    scheduler = S.OneCycleLR(opt, **args)
    lrs, moms = trace(opt, scheduler, steps, momentum=True)
    initial_lr = 0.1 / 25.0
    end1 = float(0.3 * 60) - 1

    def cos_anneal(a, b, pct):
        return b + (a - b) / 2.0 * (math.cos(math.pi * pct) + 1)
    closed = [cos_anneal(initial_lr, 0.1, t / end1) if t <= end1
              else cos_anneal(0.1, initial_lr / 1e4, (t - end1) / (59 - end1)) for t in range(steps)]
    # OneCycleLR ignores the optimizer's lr (0.1 here); base_lr is the initial_lr it sets: max_lr / div_factor.
    save("schedule_onecycle", "onecycle", args, initial_lr, lrs, closed, momentum=moms,
         momentum_of="SGD param_groups[0][\"momentum\"] (with Adam: betas[0])")

    # Warm-up then cosine: LinearLR for 5 steps, then CosineAnnealingLR over the remaining 55, through SequentialLR.
    linear = dict(start_factor=0.1, end_factor=1.0, total_iters=5)
    cosine = dict(T_max=55, eta_min=0.001)
    opt = dummy_optimizer(base)
    first, second = S.LinearLR(opt, **linear), S.CosineAnnealingLR(opt, **cosine)
    sequential = S.SequentialLR(opt, schedulers=[first, second], milestones=[5])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lrs, _ = trace(opt, sequential, steps)
    # The hand-over at the milestone calls CosineAnnealingLR.step(0), torch's deprecated epoch argument: one
    # warning, and that step uses the closed form (so the cosine restarts exactly at base_lr).
    deprecated = [w for w in caught if "epoch parameter" in str(w.message)]
    assert len(deprecated) == 1 and len(caught) == 1, [str(w.message) for w in caught]
    closed = [base * (0.1 + 0.9 * t / 5) if t < 5 else
              0.001 + (base - 0.001) * (1 + math.cos(math.pi * (t - 5) / 55)) / 2 for t in range(steps)]
    save("schedule_warmup_cosine", "warmup_cosine",
         {"schedulers": [{"LinearLR": linear}, {"CosineAnnealingLR": cosine}], "milestones": [5]},
         base, lrs, closed)

    # ReduceLROnPlateau over 30 losses (threshold rel 1e-4: a new best must be below best·(1 − 1e-4)).
    args = dict(mode="min", factor=0.5, patience=2, threshold=1e-4, threshold_mode="rel", cooldown=1,
                min_lr=1e-4, eps=1e-8)
    base_plateau = 0.001
    edge = 0.6 * (1.0 - 1e-4)  # exactly best·(1 − threshold) as torch computes it: not an improvement (strict <)
    metrics = [1.0, 0.8, 0.7,
               0.69995,             # 7.1e-5 relative: inside the threshold, a bad epoch
               0.7, 0.71,           # third bad epoch → lr 5e-4, cooldown 1
               0.72,                # bad, but in cooldown: counted then reset
               0.6, edge,           # new best, then a tie with the threshold: bad
               0.59, 0.5899,        # improvements (the second by 1.7e-4 relative, just outside the threshold)
               0.59, 0.59, 0.59,    # → 2.5e-4
               0.5,                 # improvement during cooldown
               0.5, 0.5, 0.5,       # equal is not better → 1.25e-4
               0.51, 0.51, 0.52, 0.53,  # cooldown, then 3 bad → max(6.25e-5, min_lr) = 1e-4
               0.5, 0.5, 0.5, 0.5,  # cooldown, 3 bad → at min_lr: old − new = 0 ≤ eps, ignored (cooldown still set)
               0.4, 0.45, 0.45, 0.45]
    assert len(metrics) == 30
    opt = dummy_optimizer(base_plateau)
    plateau = S.ReduceLROnPlateau(opt, **args)
    lrs, bad, cool, best = [], [], [], []
    for m in metrics:
        opt.step()
        plateau.step(m)
        lrs.append(opt.param_groups[0]["lr"])
        bad.append(plateau.num_bad_epochs)
        cool.append(plateau.cooldown_counter)
        best.append(plateau.best)
    assert lrs[-1] == 1e-4 and 1.25e-4 in lrs
    save("schedule_plateau", "plateau", args, base_plateau, lrs, None, metrics=metrics,
         num_bad_epochs=bad, cooldown_counter=cool, best=best)
    return names


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    forbid_multi_tensor()
    os.makedirs(OUT, exist_ok=True)
    report, closed = [], []
    names = update_rules(report) + schedules(closed)
    for f in sorted(os.listdir(OUT)):
        if f.endswith(".json") and f[:-5] not in names:
            os.remove(os.path.join(OUT, f))
            print(f"removed stale {f}")
    print(f"torch {torch.__version__}, numpy {np.__version__}, {len(names)} files in {os.path.relpath(OUT, ROOT)}")
    print("update rules: float32 models vs torch over all steps, largest difference in float32 ulps and relative to")
    print("the step's largest |θ|; models: README's (fused, double coefficients), without FMA, float32 coefficients")
    print(f"  {'case':28} {'README':>15} {'no FMA':>15} {'float32 coef.':>15}")
    for name, *devs in report:
        print(f"  {name:28} " + " ".join(f"{u:5d} {r:9.2g}" for u, r in devs))
    print("schedules: largest relative difference between torch's values and the closed form")
    for name, dev in closed:
        print(f"  {name:32} {dev:.3g}")
    failed = [name for name, exact, *_ in report if exact != (0, 0.0)]
    if failed:
        sys.exit(f"the float32 model of README.md disagrees with torch on {failed}: the formulas there are off")


if __name__ == "__main__":
    main()
