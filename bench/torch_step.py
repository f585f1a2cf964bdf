# PyTorch's reference CNN trained step for step from FashionCnn.Init's parameters on the built-in subset: the fixture of the Integration tests' TorchStepTests.
"""Writes tests/Functional.Integration.Tests/TorchReference/cnn_steps.json.

Regenerate (two commands; the first writes FashionCnn.Init(1) and the standardised subset, the second trains):

    dotnet run bench/torch_step_input.cs -- /tmp/torch_step_input.bin 1
    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 bench/torch_step.py /tmp/torch_step_input.bin

The network is torch_cnn.py's (imported, not restated) with its parameters replaced by ours: conv W [F, C, K, K] as
they are, a dense W [inputs, outputs] transposed into nn.Linear's [outputs, inputs]. The batches are STEPS batches of
BATCH distinct rows, the rows drawn by a seeded numpy permutation and written into the fixture, so the C# side gathers
the same rows. Each run trains with torch.optim.SGD (momentum 0.9, weight decay 5e-4 on every tensor, as the example's
recipe) and nn.CrossEntropyLoss, on the CPU in one thread.

The reference is the run in float64 from our float32 start. Beside it the same run in float32 from that start and
from NUDGED others (a random half of the parameters moved one ulp): how far those land from the float64 run is what
float32 rounding alone does to this trajectory, and the test's tolerances are made from it. (It is far from uniform:
at a constant lr 0.02 the float32 runs stay within 3e-7 of float64 for 8 steps and then drift to percents, as a
near-tie in a max-pool window or a ReLU flips; under warm-up they stay within 1e-3 for all 50 steps.)

Recorded per run: the learning rate and the float64 loss of every step (before its update, as both libraries report
it), the plain float32 run's losses, and per step the largest relative loss difference of the float32 runs; at step 1
and step STEPS, for each tensor in our layout's order (so a dense W is read [inputs, outputs]), ‖Δ‖ and ΣΔ of
Δ = θ − θ₀ (each run from its own θ₀, in double) and Δ at up to SAMPLES evenly strided elements (index 0, s, 2s, …),
each with the largest difference of a float32 run from it ("rounding"). Also ‖θ₀‖ and Σθ₀ per tensor, so the test can
see it starts from the same parameters, and Σx, Σx² and the labels' sum over the rows used. Numbers are Python's repr
of the double, which reads back exactly.

Torch's float32 runs are not bit-reproducible from one run of this script to the next (the worst constant-lr step's
spread was 0.0197 in one run, 0.0225 in another), so a regenerated fixture differs in its float32 figures.
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_cnn  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "Functional.Integration.Tests", "TorchReference", "cnn_steps.json")
STEPS, BATCH, SAMPLES, ROW_SEED, NUDGED = 50, 64, 256, 20241202, 3
MOMENTUM, WEIGHT_DECAY = 0.9, 5e-4
# (name, peak lr, warm-up steps, schedule): the constant rate of the recipe, and the recipe's shape (linear warm-up,
# then cosine to 0) squeezed into the STEPS steps so the schedule's arithmetic is replayed too.
RUNS = [("constant", 0.02, 0, "constant"), ("warmup_cosine", 0.02, 10, "cosine")]
# Our tensors in layout order: name, shape as torch holds it, whether ours is the transpose (dense W).
TENSORS = [("Conv1.W", (16, 1, 5, 5), False), ("Conv1.b", (16,), False),
           ("Conv2.W", (32, 16, 5, 5), False), ("Conv2.b", (32,), False),
           ("Hidden.W", (128, 1568), True), ("Hidden.b", (128,), False),
           ("Scores.W", (10, 128), True), ("Scores.b", (10,), False)]


def read_input(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"FNTS":
        raise SystemExit(f"{path}: not a torch_step_input.cs file (it starts with {data[:4]!r}, not b'FNTS')")
    version, seed, count = struct.unpack_from("<iii", data, 4)
    if version != 1:
        raise SystemExit(f"{path}: version {version}; this script reads version 1")
    expected = sum(math.prod(shape) for _, shape, _ in TENSORS)
    if count != expected:
        raise SystemExit(f"{path}: {count} parameters, but the reference CNN has {expected}")
    at = 16
    parameters = np.frombuffer(data, dtype="<f4", count=count, offset=at).copy()
    at += 4 * count
    rows, features, classes = struct.unpack_from("<iii", data, at)
    at += 12
    if features != 784 or classes != 10:
        raise SystemExit(f"{path}: {features} features and {classes} classes, not 784 and 10")
    x = np.frombuffer(data, dtype="<f4", count=rows * features, offset=at).reshape(rows, features).copy()
    at += 4 * rows * features
    y = np.frombuffer(data, dtype="<i4", count=rows, offset=at).astype(np.int64)
    if at + 4 * rows != len(data):
        raise SystemExit(f"{path}: {len(data) - at - 4 * rows} bytes left over after the labels")
    return seed, parameters, x, y


def ours_order(parameters):
    """Our flat block cut into its tensors, each a float32 array in our order."""
    out, at = [], 0
    for name, shape, transposed in TENSORS:
        n = math.prod(shape)
        out.append((name, parameters[at:at + n]))
        at += n
    return out


def torch_tensors(parameters):
    """Our flat block as the eight tensors of torch_cnn.cnn's parameters, in net.parameters() order."""
    tensors = []
    for (name, shape, transposed), (_, flat) in zip(TENSORS, ours_order(parameters)):
        if transposed:
            tensors.append(torch.from_numpy(flat.reshape(shape[1], shape[0]).T.copy()))
        else:
            tensors.append(torch.from_numpy(flat.reshape(shape).copy()))
    return tensors


def flat_ours(net):
    """The network's parameters back in our layout's order, as float64 arrays (exact for float32 values)."""
    out = []
    for (name, shape, transposed), p in zip(TENSORS, net.parameters()):
        a = p.detach().double().numpy()
        out.append((a.T if transposed else a).reshape(-1).copy())
    return out


def stride(n):
    return max(1, n // SAMPLES)


def snapshot(net, start):
    """Per tensor: ‖Δ‖, ΣΔ and the strided Δ samples, Δ = θ − θ₀ in double (exact for a float32 run's θ and θ₀)."""
    result = {}
    for (name, _, _), now, then in zip(TENSORS, flat_ours(net), start):
        delta = now - then
        result[name] = {"norm": float(np.sqrt(np.sum(delta * delta))), "sum": float(np.sum(delta)),
                        "samples": [float(v) for v in delta[::stride(len(delta))]]}
    return result


def nudged(parameters, rng):
    """The parameters with a random half of them moved one float32 ulp up or down: another float32 start as good as
    the first, whose run shows how far float32 rounding alone can carry a trajectory."""
    moved = parameters.copy()
    pick = rng.random(len(moved)) < 0.5
    up = rng.random(len(moved)) < 0.5
    moved[pick & up] = np.nextafter(moved[pick & up], np.float32(np.inf))
    moved[pick & ~up] = np.nextafter(moved[pick & ~up], np.float32(-np.inf))
    return moved


def train(parameters, x, y, rows, lr, warmup, schedule, dtype):
    net = torch_cnn.cnn(0)
    with torch.no_grad():
        for p, value in zip(net.parameters(), torch_tensors(parameters)):
            if p.shape != value.shape:
                raise AssertionError(f"torch's {tuple(p.shape)} against ours {tuple(value.shape)}")
            p.copy_(value)
    net = net.to(dtype)
    net.train()
    start = flat_ours(net)
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, torch_cnn.factor(schedule, warmup, STEPS))
    loss_fn = torch.nn.CrossEntropyLoss()
    xs, ys = torch.from_numpy(x).to(dtype), torch.from_numpy(y)
    losses, rates, snapshots = [], [], {}
    for t in range(STEPS):
        index = torch.from_numpy(rows[t * BATCH:(t + 1) * BATCH])
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(xs.index_select(0, index)), ys.index_select(0, index))
        loss.backward()
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
        losses.append(loss.item())
        if t == 0 or t == STEPS - 1:
            snapshots["step1" if t == 0 else "last"] = snapshot(net, start)
    return losses, rates, snapshots


def write_json(value, out, indent=0):
    """Fixed layout: objects one key a line, number lists on one line."""
    pad = "  " * indent
    if isinstance(value, dict):
        out.append("{\n")
        items = list(value.items())
        for i, (k, v) in enumerate(items):
            out.append(f"{pad}  {json.dumps(k)}: ")
            write_json(v, out, indent + 1)
            out.append(",\n" if i < len(items) - 1 else "\n")
        out.append(pad + "}")
    elif isinstance(value, list):
        out.append("[" + ", ".join(number(v) for v in value) + "]")
    else:
        out.append(number(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else json.dumps(value))


def number(v):
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return str(int(v))
    if not math.isfinite(v):
        raise ValueError(f"non-finite value {v!r}")
    return repr(float(v))


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    torch.set_num_threads(1)
    seed, parameters, x, y = read_input(sys.argv[1])
    if STEPS * BATCH > len(y):
        raise SystemExit(f"{STEPS} batches of {BATCH} need {STEPS * BATCH} distinct rows; the input has {len(y)}")
    rows = np.random.default_rng(ROW_SEED).permutation(len(y))[:STEPS * BATCH].astype(np.int64)
    start = [t.astype(np.float64) for _, t in ours_order(parameters)]
    fixture = {
        "about": "bench/torch_step.py: torch_cnn.py's CNN from FashionCnn.Init(seed), torch.optim.SGD, `steps` batches of the built-in subset's standardised training rows; the float64 run, and how far float32 runs land from it",
        "torch": torch.__version__,
        "seed": seed,
        "steps": STEPS,
        "batch": BATCH,
        "momentum": MOMENTUM,
        "weight_decay": WEIGHT_DECAY,
        "rows": [int(r) for r in rows],
        # What the rows hold (in double over the float32 inputs), so the test can see it gathers the same numbers.
        "data": {"sum": float(np.sum(x[rows].astype(np.float64))), "sum_squares": float(np.sum(np.square(x[rows].astype(np.float64)))),
                 "label_sum": int(np.sum(y[rows]))},
        "init": {name: {"norm": float(np.sqrt(np.sum(t * t))), "sum": float(np.sum(t))} for (name, _, _), t in zip(TENSORS, start)},
        "tensors": {name: {"count": math.prod(shape), "stride": stride(math.prod(shape))} for name, shape, _ in TENSORS},
    }
    nudge = np.random.default_rng(ROW_SEED + 1)
    members = [parameters] + [nudged(parameters, nudge) for _ in range(NUDGED)]
    for name, lr, warmup, schedule in RUNS:
        losses, rates, reference = train(parameters, x, y, rows, lr, warmup, schedule, torch.float64)
        float32 = [train(p, x, y, rows, lr, warmup, schedule, torch.float32) for p in members]
        l64 = np.array(losses)
        spread = np.max([np.abs(np.array(m[0]) - l64) / l64 for m in float32], axis=0)
        run = {"lr": lr, "warmup": warmup, "schedule": schedule, "rates": rates, "losses": losses,
               "losses_float32": float32[0][0], "loss_rounding": [float(v) for v in spread]}
        for when in ("step1", "last"):
            run[when] = {}
            for tensor, exact in reference[when].items():
                got = [m[2][when][tensor] for m in float32]
                samples = np.array(exact["samples"])
                run[when][tensor] = {**exact, "rounding": {
                    "norm": max(abs(g["norm"] - exact["norm"]) for g in got),
                    "sum": max(abs(g["sum"] - exact["sum"]) for g in got),
                    "samples": max(float(np.max(np.abs(np.array(g["samples"]) - samples))) for g in got)}}
        print(f"{name}: loss {losses[0]:.6f} → {losses[-1]:.6f} (float64); float32 runs from {len(members)} starts "
              f"within {spread.max():.3g} of it (relative, worst step)", file=sys.stderr)
        fixture[name] = run
    out = []
    write_json(fixture, out)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write("".join(out) + "\n")
    print(f"{OUT}: {os.path.getsize(OUT):,} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
