# PyTorch reference for issue 16's CNN (conv 16 5x5 → pool → conv 32 5x5 → pool → dense 128 → 10): epoch and batch-1 timings, and training recipes.
"""The reference CNN in PyTorch 1.13, on torch_reference.py's data path (imported, not copied).

    conv 16 5x5 pad 2, ReLU, max-pool 2 -> conv 32 5x5 pad 2, ReLU, max-pool 2 -> dense 128, ReLU -> dense 10,
    softmax cross-entropy, SGD momentum 0.9, lr 0.01, batch 64.

Data, split and batches are torch_reference.py's: Fashion-MNIST as float32, standardised with one mean/std over all
pixels of the 55,000 training images (5,000 held out for validation), a fresh seeded permutation every epoch, the
last partial batch kept. Init as torch_reference.py does for the MLP: He-normal (std sqrt(2/fan_in), fan_in =
channels x kernel area for a convolution) for the ReLU layers, N(0, 1/fan_in) for the scores, zero biases. With --bn
every hidden layer is product without bias -> batch norm (BatchNorm2d after a convolution, BatchNorm1d after the
dense 128) -> ReLU, as Functional's [Conv2d(..), BatchNorm, Relu] would be; --dropout P drops the dense 128's output.

Modes (the first argument):
  epoch   time one training epoch, --runs times, at --threads (default 1), median last
  infer1  batch-1 inference latency per sample (20,000 calls per run), --runs times, median last
  train   --epochs N [--bn] [--dropout P] [--schedule constant|cosine] [--warmup STEPS] [--lr ..] [--wd ..]:
          one JSON line per epoch (validation accuracy, mean training loss, wall and CPU seconds), then the test accuracy
  serve   torch_reference.py's --serve protocol ("FIGURE THREADS" in, one JSON line out; figures epoch64,
          epoch64bn, infer1), so tests/Functional.Benchmarks' compare can drive it as it drives the MLP's script

epoch and infer1 print torch_reference.py's lines ({"figure", "threads", "run", "seconds"}, plus "cpu_seconds": the
process's CPU time, which a loaded machine inflates less than the wall clock; for infer1 it covers the whole run's
20,000 calls and its warm-up on the first run) and then one
{"figure", "threads", "runs", "median_seconds"}. Run as /usr/bin/python3 with
LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp (torch_reference.py says why).
"""
import argparse, json, math, os, statistics, sys, time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_reference as reference  # noqa: E402


def cnn(seed, batch_norm=False, dropout=0.0):
    torch.manual_seed(seed)
    nn = torch.nn

    def conv(c_in, c_out):
        if batch_norm:
            return [nn.Conv2d(c_in, c_out, 5, padding=2, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(), nn.MaxPool2d(2)]
        return [nn.Conv2d(c_in, c_out, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2)]

    hidden = [nn.Linear(32 * 7 * 7, 128, bias=False), nn.BatchNorm1d(128)] if batch_norm else [nn.Linear(32 * 7 * 7, 128)]
    layers = [nn.Unflatten(1, (1, 28, 28)), *conv(1, 16), *conv(16, 32), nn.Flatten(), *hidden, nn.ReLU()]
    if dropout > 0:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(128, 10))
    net = nn.Sequential(*layers)
    products = [m for m in net if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        for i, layer in enumerate(products):
            fan_in = layer.weight[0].numel()
            gain = 1.0 if i == len(products) - 1 else 2.0
            layer.weight.normal_(0.0, (gain / fan_in) ** 0.5)
            if layer.bias is not None:
                layer.bias.zero_()
    return net


class CnnBench(reference.Bench):
    """torch_reference.Bench's timings (warm-up, epochs, batch-1 calls) on the CNN."""

    def network(self, figure):
        return cnn(7, batch_norm=figure.endswith("bn"))


def factor(schedule, warmup, total):
    """The learning rate's multiplier at step t, as Functional's Schedule does: WithWarmup(W) starts at 1/(W + 1) and
    rises linearly for W steps; Cosine(η, T) runs (1 + cos πt/T)/2 over the T = total − W steps after it, then 0."""
    start = 1.0 / (warmup + 1)

    def at(t):
        if t < warmup:
            return start + (1 - start) * t / warmup
        if schedule == "constant":
            return 1.0
        t, span = t - warmup, max(1, total - warmup)
        return 0.5 * (1 + math.cos(math.pi * t / span)) if t < span else 0.0

    return at


def accuracy(net, x, y):
    net.eval()
    with torch.no_grad():
        right = sum((net(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item() for i in range(0, len(y), 1000))
    net.train()
    return right / len(y)


def train(a):
    torch.set_num_threads(a.threads)
    (x, y), (vx, vy), (tx, ty) = reference.splits()
    net = cnn(a.seed, batch_norm=a.bn, dropout=a.dropout)
    opt = torch.optim.SGD(net.parameters(), lr=a.lr, momentum=0.9, weight_decay=a.wd)
    steps_per_epoch = -(-len(y) // a.batch)
    schedule = torch.optim.lr_scheduler.LambdaLR(opt, factor(a.schedule, a.warmup, a.epochs * steps_per_epoch))
    loss_fn = torch.nn.CrossEntropyLoss()
    recipe = {"bn": a.bn, "dropout": a.dropout, "schedule": a.schedule, "warmup": a.warmup, "lr": a.lr, "wd": a.wd,
              "batch": a.batch, "epochs": a.epochs, "seed": a.seed, "threads": a.threads, "torch": torch.__version__}
    print(json.dumps({"recipe": recipe}), flush=True)
    for epoch in range(1, a.epochs + 1):
        started, cpu, total, count = time.perf_counter(), time.process_time(), 0.0, 0
        # The batches of torch_reference.Bench.epoch: a permutation seeded by the epoch's number.
        order = torch.randperm(len(y), generator=torch.Generator().manual_seed(epoch))
        for begin in range(0, len(y), a.batch):
            rows = order[begin:begin + a.batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(x.index_select(0, rows)), y.index_select(0, rows))
            loss.backward()
            opt.step()
            schedule.step()
            total += loss.item() * len(rows)
            count += len(rows)
        print(json.dumps({"epoch": epoch, "train_loss": round(total / count, 5), "validation": accuracy(net, vx, vy),
                          "lr_next": opt.param_groups[0]["lr"], "seconds": round(time.perf_counter() - started, 2),
                          "cpu_seconds": round(time.process_time() - cpu, 2)}), flush=True)
    print(json.dumps({"test": accuracy(net, tx, ty), "recipe": recipe}), flush=True)


def time_figure(a, figure):
    bench = CnnBench()
    seconds = []
    for run in range(a.runs):
        cpu = time.process_time()
        seconds.append(bench.measure(figure, a.threads))
        # CPU time beside the wall clock: on a loaded machine the first says what the work costs, the second what it took.
        print(json.dumps({"figure": figure, "threads": a.threads, "run": run, "seconds": seconds[-1],
                          "cpu_seconds": time.process_time() - cpu}), flush=True)
    print(json.dumps({"figure": figure, "threads": a.threads, "runs": a.runs, "median_seconds": statistics.median(seconds)}), flush=True)


def serve():
    bench = CnnBench()
    print(json.dumps({"ready": True, "torch": torch.__version__, "blas": os.environ.get("LD_LIBRARY_PATH", ""),
                      "sgd": reference.loop_of("sgd", lambda p: reference.optimizer_for("epoch64", p)),
                      "adam": reference.loop_of("adam", lambda p: reference.optimizer_for("epoch64adam", p))}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        figure, threads = line.split()
        print(json.dumps({"figure": figure, "threads": int(threads), "seconds": bench.measure(figure, int(threads))}), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("mode", choices=["epoch", "infer1", "train", "serve"])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--bn", action="store_true", help="batch norm after every hidden layer's product")
    p.add_argument("--dropout", type=float, default=0.0, help="dropout on the dense 128's output")
    p.add_argument("--schedule", choices=["constant", "cosine"], default="constant")
    p.add_argument("--warmup", type=int, default=0, help="linear warm-up steps before the schedule")
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--wd", type=float, default=0.0, help="weight decay, torch.optim.SGD's (g + wd·θ, every tensor)")
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args()
    if a.mode == "train":
        train(a)
    elif a.mode == "serve":
        serve()
    else:
        # epoch: batch 64 (with --bn, the batch-norm variant); infer1: the plain network, batch 1.
        time_figure(a, "infer1" if a.mode == "infer1" else "epoch64bn" if a.bn else "epoch64")


if __name__ == "__main__":
    main()
