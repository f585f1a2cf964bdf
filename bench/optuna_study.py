# Optuna's side of bench/search_compare.sh: the `search` verb's two-stage random search (coarse → fine, 3× early kill) run with Optuna 3.1 and PyTorch.
"""The FashionMnist example's `search` verb, redone with Optuna and PyTorch, so the two can be timed side by side.

What is the same as `search --stage coarse:24x1 --stage fine:12x3 --lr 1e-4..1:log --l2 1e-6..1e-1:log`:
- the network, init and data as bench/torch_reference.py has them (784-256-128-10 ReLU, He-normal hidden layers,
  N(0, 1/fan_in) scores, zero biases; Fashion-MNIST as float32 / 255);
- the rows: the 60,000 training images split 55,000 / 5,000 by the very permutation Functional draws
  (SeededRandom below is src/Runtime/Network/SeededRandom.cs redone in Python), standardised with one mean and
  standard deviation fitted on the 55,000; each epoch's batch order is Functional's too (seed·1,000,003 + epoch);
- the trial: a fresh network with the same seed for every trial, SGD lr with momentum 0.9, batch 64 (the last
  batch partial), loss = softmax cross-entropy + ½λ‖W‖² on the weights only (λW added to the weights' gradient
  by SGD's weight_decay in a parameter group without the biases; the penalty's value computed for the kill);
  score = validation accuracy after the last epoch;
- the early kill: the first step's loss (data + penalty) is the initial loss; a step whose loss is non-finite or
  above 3× it ends the trial (raised as optuna.TrialPruned, where the search verb records "failed");
- the stages and narrowing: each stage after the first samples within the ranges Functional's Narrowing gives
  (src/Search/Stage.cs): the best --narrow-top (5, as the search verb's default and the issue's "top 5") of the
  last stage's complete trials span a range in log space, widened by a quarter of its width each side, at least a
  tenth of the old width, clamped to the old range.
What differs: the sampler (Optuna's RandomSampler, seeded, so other points than the search verb's own stream),
the initial weights (torch's generator), and PyTorch's arithmetic.

Parallelism: --jobs trials at once (Optuna's n_jobs, threads of this process) with --threads torch threads each.
The last line is `optuna_study key=value …` for scripts. Run as /usr/bin/python3 with
LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp (see bench/torch_reference.py).
"""
import argparse, math, os, sys, threading, time

START = time.perf_counter()


def arguments():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--stage", action="append", help="NAME:TRIALSxEPOCHS, in order (default coarse:24x1 fine:12x3)")
    p.add_argument("--lr", default="1e-4..1:log", help="learning-rate range LO..HI:log")
    p.add_argument("--l2", default="1e-6..1e-1:log", help="L2-strength range LO..HI:log")
    p.add_argument("--jobs", type=int, default=2, help="trials at once (Optuna's n_jobs)")
    p.add_argument("--threads", type=int, default=1, help="torch threads per trial")
    p.add_argument("--seed", type=int, default=1, help="the split, batch order, init and sampler seed")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--narrow-top", type=int, default=5, help="each later stage narrows around the best N complete trials of the one before")
    a = p.parse_args()
    a.stage = [parse_stage(s) for s in (a.stage or ["coarse:24x1", "fine:12x3"])]
    a.space = {"lr": parse_range(a.lr), "l2": parse_range(a.l2)}
    return a


def parse_stage(text):
    name, budget = text.split(":")
    trials, epochs = budget.lower().split("x")
    return name, int(trials), int(epochs)


def parse_range(text):
    if not text.endswith(":log"): sys.exit(f"range {text}: only log ranges (LO..HI:log), as the comparison uses")
    low, high = text[:-4].split("..")
    return float(low), float(high)


ARGS = arguments()
# OpenMP reads this at start-up, per thread: Optuna's worker threads would otherwise start with every core each.
os.environ["OMP_NUM_THREADS"] = str(ARGS.threads)

import numpy as np
import optuna
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_reference import DATA, idx, network

M64 = (1 << 64) - 1


class SeededRandom:
    """xoshiro256** seeded by SplitMix64, Lemire's bounded integers and Fisher–Yates: Functional's SeededRandom, so a seed draws the same permutation."""

    def __init__(self, seed):
        x, self.s = seed & M64, []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & M64
            z = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
            self.s.append(z ^ (z >> 31))

    def next_uint64(self):
        s0, s1, s2, s3 = self.s
        result = rotl((s1 * 5) & M64, 7) * 9 & M64
        t = (s1 << 17) & M64
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        self.s = [s0, s1, s2, rotl(s3, 45)]
        return result

    def next_int(self, bound):
        product = (self.next_uint64() >> 32) * bound
        if product & 0xFFFFFFFF < bound:
            threshold = (-bound & 0xFFFFFFFF) % bound
            while product & 0xFFFFFFFF < threshold:
                product = (self.next_uint64() >> 32) * bound
        return product >> 32

    def permutation(self, count):
        p = list(range(count))
        for i in range(count - 1, 0, -1):
            j = self.next_int(i + 1)
            p[i], p[j] = p[j], p[i]
        return p


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M64


def int32(v):
    """C#'s unchecked int arithmetic."""
    return (v + 2**31) % 2**32 - 2**31


def load(seed):
    """The search verb's hold-out split (Dataset.Split: min(5000, n/12) rows, each part in file order), standardised on its training part."""
    images = idx(os.path.join(DATA, "train-images-idx3-ubyte.gz"), 16).reshape(-1, 784).astype(np.float32) / np.float32(255)
    labels = idx(os.path.join(DATA, "train-labels-idx1-ubyte.gz"), 8).astype(np.int64)
    order = SeededRandom(seed).permutation(len(labels))
    held = min(5000, len(labels) // 12)
    validation, train = np.sort(order[:held]), np.sort(order[held:])
    x = images[train]
    mean = x.mean(dtype=np.float64)
    # Population std around the mean in a second pass, in double, a block of rows at a time (as Functional's Statistics).
    std = math.sqrt(sum(((b - mean) ** 2).sum() for b in np.array_split(x, 11)) / x.size)
    scale = lambda v: torch.from_numpy(((v - mean) / std).astype(np.float32)).contiguous()
    return scale(x), torch.from_numpy(labels[train]), scale(images[validation]), torch.from_numpy(labels[validation])


def narrow(space, scored, top=5, widen=0.25, minimum_width=0.1):
    """Functional's Narrowing.Apply for log dimensions: the ranges around the best `top` of scored [(params, score)]."""
    if not scored: sys.exit("no trial of the last stage has a score, so there is nothing to narrow around")
    k = min(len(scored), top)
    best = [p for p, _ in sorted(scored, key=lambda s: -s[1])[:k]]
    narrowed = {}
    for name, (old_low, old_high) in space.items():
        lo_old, hi_old = math.log(old_low), math.log(old_high)
        ts = [math.log(b[name]) for b in best]
        low, high = min(ts), max(ts)
        width = high - low
        low, high = low - widen * width, high + widen * width
        least = minimum_width * (hi_old - lo_old)
        if high - low < least:
            middle = (low + high) / 2
            low, high = middle - least / 2, middle + least / 2
            if low < lo_old: low, high = lo_old, lo_old + least
            if high > hi_old: low, high = hi_old - least, hi_old
        lo, hi = max(old_low, math.exp(max(low, lo_old))), min(old_high, math.exp(min(high, hi_old)))
        narrowed[name] = (lo, hi) if lo < hi else (old_low, old_high)
    return narrowed


class EarlyKill(Exception):
    pass


class Trainer:
    def __init__(self, seed, batch, max_epochs):
        self.seed, self.batch = seed, batch
        self.x, self.y, self.xv, self.yv = load(seed)
        # Every trial sees the same batch order for a given epoch, so draw each epoch's permutation once.
        self.orders = [None] + [torch.tensor(SeededRandom(int32(seed * 1_000_003 + e)).permutation(len(self.y)))
                                for e in range(1, max_epochs + 1)]
        self.loss_fn = torch.nn.CrossEntropyLoss()
        self.init_lock = threading.Lock()  # network() seeds torch's global generator: one trial at a time draws from it

    def run(self, lr, l2, epochs):
        """Validation accuracy after `epochs` epochs, or EarlyKill."""
        torch.set_num_threads(ARGS.threads)
        with self.init_lock:
            net = network(self.seed)
        weights = [m.weight for m in net if isinstance(m, torch.nn.Linear)]
        biases = [m.bias for m in net if isinstance(m, torch.nn.Linear)]
        opt = torch.optim.SGD([{"params": weights, "weight_decay": l2}, {"params": biases, "weight_decay": 0.0}],
                              lr=lr, momentum=0.9)
        flat = [w.view(-1) for w in weights]  # views: ‖W‖² as one dot product each, no temporary
        initial, step, accuracy = None, 0, 0.0
        for epoch in range(1, epochs + 1):
            order = self.orders[epoch]
            for start in range(0, len(order), self.batch):
                rows = order[start:start + self.batch]
                opt.zero_grad(set_to_none=True)
                data_loss = self.loss_fn(net(self.x.index_select(0, rows)), self.y.index_select(0, rows))
                data_loss.backward()
                with torch.no_grad():
                    penalty = 0.5 * l2 * sum(float(torch.dot(v, v)) for v in flat)
                opt.step()
                step += 1
                loss = float(data_loss) + penalty
                if not math.isfinite(loss):
                    raise EarlyKill(f"early kill in epoch {epoch}: loss {loss} at step {step}")
                if initial is None: initial = loss
                elif loss > 3 * initial:
                    raise EarlyKill(f"early kill in epoch {epoch}: loss {loss:.4g} at step {step} is above 3× the initial {initial:.4g}")
            with torch.no_grad():
                accuracy = (net(self.xv).argmax(1) == self.yv).double().mean().item()
        return accuracy


def main():
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    trainer = Trainer(ARGS.seed, ARGS.batch, max(e for _, _, e in ARGS.stage))
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=ARGS.seed))
    space, previous, clock = ARGS.space, None, time.perf_counter()
    print(f"optuna {optuna.__version__}, torch {torch.__version__}; {ARGS.jobs} job(s) × {ARGS.threads} torch thread(s); "
          f"{len(trainer.y)} training and {len(trainer.yv)} validation images; loaded in {clock - START:.1f} s", flush=True)
    for name, trials, epochs in ARGS.stage:
        if previous is not None:
            scored = [(t.params, t.value) for t in study.trials
                      if t.user_attrs.get("stage") == previous and t.state == optuna.trial.TrialState.COMPLETE]
            space = narrow(space, scored, top=ARGS.narrow_top)
        print(f"stage {name}: {trials} trials × {epochs} epoch(s), " + ", ".join(f"{k} {lo:.4g}..{hi:.4g}:log" for k, (lo, hi) in space.items()), flush=True)

        def objective(trial, name=name, epochs=epochs, space=space):
            trial.set_user_attr("stage", name)
            lr = trial.suggest_float("lr", *space["lr"], log=True)
            l2 = trial.suggest_float("l2", *space["l2"], log=True)
            try:
                return trainer.run(lr, l2, epochs)
            except EarlyKill as e:
                trial.set_user_attr("why", str(e))
                raise optuna.TrialPruned(str(e))

        def finished(study, trial):
            what = f"{trial.value:.4f}" if trial.value is not None else trial.user_attrs.get("why", trial.state.name)
            print(f"{time.perf_counter() - clock:7.1f}s   [{name}] trial {trial.number}: {trial.state.name.lower()} {what} "
                  f"{trial.duration.total_seconds():.1f}s  lr={trial.params['lr']:.4g} l2={trial.params['l2']:.4g}", flush=True)

        study.optimize(objective, n_trials=trials, n_jobs=ARGS.jobs, callbacks=[finished])
        previous = name
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    best = max(complete, key=lambda t: t.value)
    pruned = sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)
    print(f"best: trial {best.number} ({best.user_attrs['stage']}), score {best.value:.4f}, lr {best.params['lr']:.6g}, l2 {best.params['l2']:.6g}")
    print(f"optuna_study wall_s={time.perf_counter() - START:.2f} study_s={time.perf_counter() - clock:.2f} best_val_acc={best.value:.4f} "
          f"best_lr={best.params['lr']:.6g} best_l2={best.params['l2']:.6g} best_trial={best.number} best_stage={best.user_attrs['stage']} "
          f"trials={len(study.trials)} complete={len(complete)} killed={pruned} jobs={ARGS.jobs} threads={ARGS.threads}")


if __name__ == "__main__":
    main()
