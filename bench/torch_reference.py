# PyTorch reference for bench/compare.sh: the same 784-256-128-10 ReLU network, init, data, optimizer and batches, timed figure by figure.
"""Times PyTorch on the figures Functional's comparison times, one JSON line per measurement.

Same work on both sides: Fashion-MNIST held in memory as float32, standardised with one mean/std fitted on
the 55,000 training images (5,000 held out), He-normal weights for the hidden layers and N(0, 1/fan_in) for
the scores, zero biases, softmax cross-entropy, SGD lr 0.01 momentum 0.9 (figures ending in "adam":
torch.optim.Adam lr 1e-3 with its defaults, as Optimizer.Adam(1e-3f) on Functional's side), a fresh permutation
every epoch and the last partial batch kept (like Dataset.Batches). Threads are set with torch.set_num_threads.
The optimizers keep torch's default implementation (foreach and fused left unset); which loop that is, the
"ready" line says (see loop_of).

With --serve it reads requests "FIGURE THREADS" from stdin and answers each with one JSON line, so the
comparison can interleave PyTorch and Functional run by run in one session (fair under a noisy machine).

Must run as /usr/bin/python3 with LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp: without the
OpenMP OpenBLAS, Debian's torch falls back to the reference BLAS and is ~20x slower (a dishonest anchor).
"""
import argparse, gzip, json, os, sys, time

import numpy as np
import torch

DATA = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")


def idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def images_and_labels(prefix):
    images = idx(os.path.join(DATA, f"{prefix}-images-idx3-ubyte.gz"), 16).reshape(-1, 784).astype(np.float32) / 255.0
    return images, idx(os.path.join(DATA, f"{prefix}-labels-idx1-ubyte.gz"), 8).astype(np.int64)


def splits():
    """(train, validation, test), each (x [n, 784], labels): 55,000/5,000 from the training file, all standardised
    with the one mean/std of the 55,000 training images."""
    images, labels = images_and_labels("train")
    order = np.random.default_rng(1).permutation(len(labels))
    x = images[order[5000:]]
    mean, std = x.mean(), x.std()
    test_images, test_labels = images_and_labels("t10k")

    def part(a, b):
        return torch.from_numpy((a - mean) / std).contiguous(), torch.from_numpy(b).contiguous()

    return part(x, labels[order[5000:]]), part(images[order[:5000]], labels[order[:5000]]), part(test_images, test_labels)


def load():
    return splits()[0]


def network(seed, batch_norm=False):
    torch.manual_seed(seed)
    if batch_norm:
        # Functional's [Dense(n), BatchNorm, Relu]: the product without bias (β replaces it), batch norm, then ReLU.
        layers = [torch.nn.Linear(784, 256, bias=False), torch.nn.BatchNorm1d(256), torch.nn.ReLU(),
                  torch.nn.Linear(256, 128, bias=False), torch.nn.BatchNorm1d(128), torch.nn.ReLU(),
                  torch.nn.Linear(128, 10)]
    else:
        layers = [torch.nn.Linear(784, 256), torch.nn.ReLU(),
                  torch.nn.Linear(256, 128), torch.nn.ReLU(),
                  torch.nn.Linear(128, 10)]
    net = torch.nn.Sequential(*layers)
    linear = [m for m in net if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        # He (std sqrt(2/fan_in)) for the ReLU layers, Xavier as Functional defines it (std sqrt(1/fan_in)) for the scores.
        for layer, gain in zip(linear, (2.0, 2.0, 1.0)):
            layer.weight.normal_(0.0, (gain / layer.in_features) ** 0.5)
            if layer.bias is not None: layer.bias.zero_()
    return net


def batch_of(figure):
    """epoch64 → 64, epoch64bn → 64, epoch64adam → 64."""
    return int(figure[5:].removesuffix("bn").removesuffix("adam"))


def optimizer_for(figure, params):
    # Defaults for foreach/fused, as a user would write it; Functional's side picks Adam from the same key.
    if figure.endswith("adam"):
        return torch.optim.Adam(params, lr=1e-3)
    return torch.optim.SGD(params, lr=0.01, momentum=0.9)


def loop_of(name, make):
    """Which of torch.optim's loops an optimizer runs with its defaults ('single_tensor', 'multi_tensor' i.e. foreach,
    or 'fused'), found by watching one step rather than read from the defaults: 1.13 turns foreach=None into the
    single-tensor loop, later versions choose by device."""
    module = sys.modules[type(make([torch.zeros(1, requires_grad=True)])).__module__]
    names = [n for n in dir(module) if n.startswith("_") and n.endswith("_" + name) and callable(getattr(module, n))]
    seen, originals = [], {n: getattr(module, n) for n in names}

    def spy(n):
        def call(*args, **kwargs):
            seen.append(n.strip("_").removesuffix("_" + name))
            return originals[n](*args, **kwargs)
        return call

    for n in names: setattr(module, n, spy(n))
    try:
        p = torch.zeros(3, requires_grad=True)
        opt = make([p])
        p.sum().backward()
        opt.step()
    finally:
        for n, f in originals.items(): setattr(module, n, f)
    d = opt.defaults
    return f"{'+'.join(seen) or 'unknown'} (foreach={d.get('foreach')}, fused={d.get('fused', 'n/a')})"


class Bench:
    def __init__(self):
        self.x, self.y = load()
        self.loss_fn = torch.nn.CrossEntropyLoss()
        self.models = {}
        self.seed = 0

    def model(self, figure):
        # One model and optimizer per figure, trained on across runs (run 2 is epoch 2), warmed up once.
        if figure not in self.models:
            net = self.network(figure)
            opt = optimizer_for(figure, net.parameters())
            self.models[figure] = (net, opt)
            if figure.startswith("epoch"):
                self.epoch(net, opt, self.x[:4096], self.y[:4096], batch_of(figure))
            elif figure == "infer1":
                with torch.no_grad():
                    for _ in range(2000): net(self.x[:1])
            elif figure.startswith("step1"):
                for _ in range(500): self.step(net, opt, self.x[:1], self.y[:1])
        return self.models[figure]

    def network(self, figure):
        """The network a figure times (bench/torch_cnn.py overrides this for the CNN)."""
        return network(7, batch_norm=figure.endswith("bn"))

    def epoch(self, net, opt, x, y, batch):
        self.seed += 1
        perm = torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(self.seed))
        for start in range(0, x.shape[0], batch):
            rows = perm[start:start + batch]
            self.step(net, opt, x.index_select(0, rows), y.index_select(0, rows))

    def step(self, net, opt, xb, yb):
        opt.zero_grad(set_to_none=True)
        self.loss_fn(net(xb), yb).backward()
        opt.step()

    def measure(self, figure, threads):
        """Seconds for one epoch, or per call for the batch-1 figures."""
        torch.set_num_threads(threads)
        net, opt = self.model(figure)
        if figure.startswith("epoch"):
            t = time.perf_counter()
            self.epoch(net, opt, self.x, self.y, batch_of(figure))
            return time.perf_counter() - t
        if figure == "infer1":
            one, n = self.x[:1].clone(), 20000
            with torch.no_grad():
                t = time.perf_counter()
                for _ in range(n): net(one)
                return (time.perf_counter() - t) / n
        if figure.startswith("step1"):
            n = 5000
            t = time.perf_counter()
            for i in range(n):
                r = i % 1000
                self.step(net, opt, self.x[r:r + 1], self.y[r:r + 1])
            return (time.perf_counter() - t) / n
        raise ValueError(f"unknown figure {figure}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--serve", action="store_true", help="answer 'FIGURE THREADS' lines from stdin")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--figures", default="epoch64,epoch64adam,epoch256,infer1,step1,step1adam")
    a = p.parse_args()
    bench = Bench()
    if a.serve:
        print(json.dumps({"ready": True, "torch": torch.__version__, "blas": os.environ.get("LD_LIBRARY_PATH", ""),
                          "sgd": loop_of("sgd", lambda p: optimizer_for("epoch64", p)),
                          "adam": loop_of("adam", lambda p: optimizer_for("epoch64adam", p))}), flush=True)
        for line in sys.stdin:
            if not line.strip(): continue
            figure, threads = line.split()
            seconds = bench.measure(figure, int(threads))
            print(json.dumps({"figure": figure, "threads": int(threads), "seconds": seconds}), flush=True)
        return
    for figure in a.figures.split(","):
        for run in range(a.runs):
            seconds = bench.measure(figure, a.threads)
            print(json.dumps({"figure": figure, "threads": a.threads, "run": run, "seconds": seconds}), flush=True)


if __name__ == "__main__":
    main()
