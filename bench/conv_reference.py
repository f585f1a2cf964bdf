# Reference outputs and gradients from torch.nn (PyTorch 1.13) for the C# convolution, pooling and per-channel batch-norm kernel tests.
"""Writes the JSON fixtures in tests/Functional.Runtime.Tests/Kernels/TorchReference/ (one file per case).

Regenerate (Debian 12: apt-get install -y python3-torch python3-numpy libopenblas0-openmp):

    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 bench/conv_reference.py

Each case draws float32 inputs from a seeded numpy generator, runs conv2d, max_pool2d or avg_pool2d on the CPU in one
thread, and backpropagates L = sum(upstream * y) with autograd, so the gradients are torch's own backward kernels. The
JSON is written by hand with a fixed key order; float32 values as numpy's shortest repr, each checked to read back as
the same float32. Pooling inputs are rounded to multiples of 1/4 (and some set to 0, as after a ReLU) so that windows
hold ties, which is where max pooling's choice of winner, and so where its gradient goes, is a convention.

conv2d cases: x [N, C, H, W], weight [F, C, KH, KW], bias [F], upstream and y [N, F, OH, OW], dx, dweight, dbias.
max_pool2d: x, upstream, y, indices (torch's return_indices: the winner's index within its H x W plane), dx.
avg_pool2d: x, upstream, y, dx.
batch_norm2d (in BatchNorm2d/, read by their own test): torch.nn.BatchNorm2d one training step from given running
statistics — x, weight (γ), bias (β), running_mean_before, running_var_before, upstream, y, dx, dweight, dbias and the
running_mean, running_var after it — then the eval-mode output y_eval of the same x with those updated statistics.
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "Functional.Runtime.Tests", "Kernels", "TorchReference")
BATCH_NORM_OUT = os.path.join(OUT, "BatchNorm2d")


def f32_text(x):
    x = np.float32(x)
    if not np.isfinite(x):
        raise ValueError(f"non-finite value {x!r}")
    s = str(x)
    if np.float32(float(s)) != x or np.float32(s) != x:
        raise AssertionError(f"{s} does not read back as float32 {x!r}")
    return s


def floats(a):
    return "[" + ", ".join(f32_text(v) for v in np.asarray(a, dtype=np.float32).ravel()) + "]"


def ints(a):
    return "[" + ", ".join(str(int(v)) for v in np.asarray(a).ravel()) + "]"


def write(name, fields, folder=OUT):
    """Sizes on the first lines, then one array per line."""
    lines = []
    for k, v in fields.items():
        if isinstance(v, str):
            text = json.dumps(v)
        elif isinstance(v, float):
            text = f32_text(v)
        elif isinstance(v, (int, np.integer)):
            text = str(int(v))
        elif isinstance(v, np.ndarray) and v.dtype.kind in "iu":
            text = ints(v)
        else:
            text = floats(v)
        lines.append(f'  "{k}": {text}')
    with open(os.path.join(folder, name + ".json"), "w", encoding="utf-8", newline="\n") as f:
        f.write("{\n" + ",\n".join(lines) + "\n}\n")


def tensor(a, grad=False):
    return torch.tensor(a, dtype=torch.float32, requires_grad=grad)


# (name, N, C, H, W, F, KH, KW, stride, padding, seed)
CONVOLUTIONS = [
    ("conv_stride2_pad1", 2, 3, 7, 5, 4, 3, 3, 2, 1, 1),
    ("conv_one_channel_5x5_pad2", 1, 1, 6, 6, 2, 5, 5, 1, 2, 2),
    ("conv_kernel_is_the_input", 2, 2, 5, 7, 3, 5, 7, 1, 0, 3),
    ("conv_pointwise", 1, 4, 8, 8, 3, 1, 1, 1, 0, 4),
    ("conv_stride3_pad2_ragged", 2, 2, 9, 8, 5, 4, 3, 3, 2, 5),
    ("conv_six_channels_5x5_pad2", 1, 6, 10, 10, 8, 5, 5, 1, 2, 6),
]

# (name, op, N, C, H, W, KH, KW, SH, SW, seed)
POOLS = [
    ("max_pool_2x2", "max_pool2d", 2, 3, 7, 5, 2, 2, 2, 2, 11),
    ("max_pool_3x3_stride2_overlapping", "max_pool2d", 2, 2, 9, 8, 3, 3, 2, 2, 12),
    ("max_pool_3x2_stride_2x1", "max_pool2d", 1, 2, 7, 6, 3, 2, 2, 1, 13),
    ("max_pool_global", "max_pool2d", 2, 1, 5, 7, 5, 7, 1, 1, 14),
    ("avg_pool_2x2", "avg_pool2d", 2, 3, 7, 5, 2, 2, 2, 2, 15),
    ("avg_pool_3x3_stride2_overlapping", "avg_pool2d", 2, 2, 9, 8, 3, 3, 2, 2, 16),
]


# (name, N, C, H, W, momentum, eps, seed): one channel, batch 1, one pixel, odd planes, a 28 x 28 plane.
BATCH_NORMS = [
    ("bn2d_three_channels_5x7", 4, 3, 5, 7, 0.1, 1e-5, 21),
    ("bn2d_one_channel_batch1_28x28", 1, 1, 28, 28, 0.1, 1e-5, 22),
    ("bn2d_one_pixel", 6, 5, 1, 1, 0.3, 1e-3, 23),
    ("bn2d_odd_3x3_batch2", 2, 4, 3, 3, 0.1, 1e-5, 24),
]


def batch_norm(name, n, c, h, w, momentum, eps, seed):
    rng = np.random.default_rng(seed)
    # Offsets and spreads differ per channel, so a statistic taken over the wrong axes is visibly wrong.
    x = (rng.uniform(-1, 1, (n, c, h, w)) * (1 + np.arange(c))[None, :, None, None]
         + 2 * np.arange(c)[None, :, None, None] - 1).astype(np.float32)
    weight = rng.uniform(0.5, 1.5, c).astype(np.float32)
    bias = rng.uniform(-1, 1, c).astype(np.float32)
    mean0 = rng.uniform(-1, 1, c).astype(np.float32)
    var0 = rng.uniform(0.5, 2, c).astype(np.float32)
    bn = torch.nn.BatchNorm2d(c, eps=eps, momentum=momentum)
    with torch.no_grad():
        bn.weight.copy_(tensor(weight)); bn.bias.copy_(tensor(bias))
        bn.running_mean.copy_(tensor(mean0)); bn.running_var.copy_(tensor(var0))
    bn.train()
    tx = tensor(x, True)
    y = bn(tx)
    upstream = rng.uniform(-1, 1, tuple(y.shape)).astype(np.float32)
    (y * tensor(upstream)).sum().backward()
    bn.eval()
    with torch.no_grad():
        y_eval = bn(tensor(x))
    write(name, {
        "op": "batch_norm2d", "batch": n, "channels": c, "height": h, "width": w,
        "momentum": float(momentum), "epsilon": float(eps),
        "x": x, "weight": weight, "bias": bias, "running_mean_before": mean0, "running_var_before": var0,
        "upstream": upstream, "y": y.detach().numpy(), "dx": tx.grad.numpy(),
        "dweight": bn.weight.grad.numpy(), "dbias": bn.bias.grad.numpy(),
        "running_mean": bn.running_mean.numpy(), "running_var": bn.running_var.numpy(),
        "y_eval": y_eval.numpy(),
    }, BATCH_NORM_OUT)


def convolution(name, n, c, h, w, f, kh, kw, stride, padding, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, c, h, w)).astype(np.float32)
    weight = (rng.uniform(-1, 1, (f, c, kh, kw)) / np.sqrt(c * kh * kw)).astype(np.float32)
    bias = rng.uniform(-1, 1, f).astype(np.float32)
    tx, tw, tb = tensor(x, True), tensor(weight, True), tensor(bias, True)
    y = F.conv2d(tx, tw, tb, stride=stride, padding=padding)
    upstream = rng.uniform(-1, 1, tuple(y.shape)).astype(np.float32)
    (y * tensor(upstream)).sum().backward()
    write(name, {
        "op": "conv2d", "batch": n, "channels": c, "height": h, "width": w, "filters": f,
        "kernel_height": kh, "kernel_width": kw, "stride": stride, "padding": padding,
        "x": x, "weight": weight, "bias": bias, "upstream": upstream,
        "y": y.detach().numpy(), "dx": tx.grad.numpy(), "dweight": tw.grad.numpy(), "dbias": tb.grad.numpy(),
    })


def pool(name, op, n, c, h, w, kh, kw, sh, sw, seed):
    rng = np.random.default_rng(seed)
    # Quarters in [-2, 2], a third of them 0: ties in most windows.
    x = np.round(rng.uniform(-2, 2, (n, c, h, w)) * 4) / 4
    x[rng.random(x.shape) < 0.33] = 0.0
    x = x.astype(np.float32)
    tx = tensor(x, True)
    fields = {"op": op, "batch": n, "channels": c, "height": h, "width": w,
              "kernel_height": kh, "kernel_width": kw, "stride_height": sh, "stride_width": sw, "x": x}
    if op == "max_pool2d":
        y, indices = F.max_pool2d(tx, (kh, kw), stride=(sh, sw), return_indices=True)
    else:
        y, indices = F.avg_pool2d(tx, (kh, kw), stride=(sh, sw)), None
    upstream = rng.uniform(-1, 1, tuple(y.shape)).astype(np.float32)
    (y * tensor(upstream)).sum().backward()
    fields["upstream"] = upstream
    fields["y"] = y.detach().numpy()
    if indices is not None:
        fields["indices"] = indices.numpy().astype(np.int64)
    fields["dx"] = tx.grad.numpy()
    write(name, fields)


def main():
    torch.set_num_threads(1)
    os.makedirs(BATCH_NORM_OUT, exist_ok=True)
    for case in CONVOLUTIONS:
        convolution(*case)
    for case in POOLS:
        pool(*case)
    for case in BATCH_NORMS:
        batch_norm(*case)
    print(f"torch {torch.__version__}: wrote {len(CONVOLUTIONS) + len(POOLS) + len(BATCH_NORMS)} fixtures to {OUT}")


if __name__ == "__main__":
    main()
