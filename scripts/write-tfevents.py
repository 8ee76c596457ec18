"""Write the TensorBoard fixtures of `gradscope import tensorboard` (test/fixtures/tensorboard/).

Needs torch and the `tensorboard` package (torch.utils.tensorboard writes through it), e.g.

    /usr/bin/python3 -m venv --system-site-packages /tmp/tbvenv
    /tmp/tbvenv/bin/pip install tensorboard
    /tmp/tbvenv/bin/python scripts/write-tfevents.py test/fixtures/tensorboard

Three runs, each in its own directory, every one seeded and small (the event files are
committed, so the histograms are capped at 32 buckets and recorded on a few steps only):

- vanishing-sigmoid/: a 10-layer sigmoid MLP with PyTorch's default init on a 2-class problem,
  SGD; TF1 summaries as SummaryWriter writes them: add_scalar("train/loss"), and add_histogram of
  every parameter ("layers.3.weight") and of its gradient ("grad/layers.3.weight"), through
  add_histogram_raw (see add_hist), on steps 1, 10, 20, 30 and 40.
- exploding/: a 6-layer tanh MLP (N(0, 2/fan_in) weights) on MSE regression with a learning
  rate far too high for it (SGD lr 0.3): the loss oscillates and the global gradient norm grows
  from about 2 to about 1e8 over 20 steps (it would reach Inf at step 34). Histograms on step 1
  and every 2nd step ("<param>/grad" for gradients), loss as "loss" every step. The script
  would stop at a non-finite loss or gradient (add_histogram refuses NaN) after logging the
  loss, as a training script that checks its loss would.
- tf2-relu/: a 4-layer ReLU MLP with He init logged as TF2 writes summaries: tensor summaries
  with plugin "scalars" (a scalar tensor) and "histograms" (a [k, 3] tensor of left edge, right
  edge, count), made by tensorboard's own summary_v2 *_pb functions and written by the same
  event file writer. Tags in TF2 style: "weights/dense_0/kernel", "gradients/dense_0/kernel".
"""

from __future__ import annotations

import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
from tensorboard.plugins.histogram import summary_v2 as hist_v2
from tensorboard.plugins.scalar import summary_v2 as scalar_v2
from torch.utils.tensorboard import SummaryWriter

BINS = 16  # buckets per histogram: keeps each near 0.3 KB


def add_hist(w: SummaryWriter, tag: str, t: torch.Tensor, step: int) -> None:
    """What add_histogram(tag, t, step) writes (min, max, num, sum, sum of squares over every
    entry, then bucket right edges and counts), through add_histogram_raw: torch 1.13's
    add_histogram fails with numpy >= 1.24 (np.greater(..., dtype=np.int32) in make_histogram).
    The sums are exact float64 sums, as make_histogram's are."""
    v = t.detach().double().reshape(-1).numpy()
    counts, edges = np.histogram(v, bins=BINS)
    w.add_histogram_raw(
        tag,
        min=float(v.min()),
        max=float(v.max()),
        num=int(v.size),
        sum=float(v.sum()),
        sum_squares=float(v.dot(v)),
        bucket_limits=edges[1:].tolist(),
        bucket_counts=counts.tolist(),
        global_step=step,
    )


def two_class_data(n: int, dim: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, dim, generator=g)
    y = (x[:, 0] * x[:, 1] > 0).long()
    return x, y


def mlp(depth: int, width: int, dim: int, out: int, act: type, gain: float | None) -> nn.Sequential:
    """depth Linear layers (the last one the readout), `act` after each hidden one. `gain`
    None keeps PyTorch's default init, else N(0, gain^2 * 2 / fan_in) weights and zero biases."""
    layers: list[nn.Module] = []
    fan_in = dim
    for i in range(depth):
        lin = nn.Linear(fan_in, out if i == depth - 1 else width)
        if gain is not None:
            nn.init.normal_(lin.weight, std=gain * math.sqrt(2.0 / fan_in))
            nn.init.zeros_(lin.bias)
        layers.append(lin)
        if i < depth - 1:
            layers.append(act())
        fan_in = width
    return nn.Sequential(*layers)


def named_linear_params(model: nn.Module) -> list[tuple[str, torch.Tensor]]:
    """Parameters as "layers.K.weight", K counting Linear layers (the Sequential's own indices
    skip the activations, which reads oddly in a fixture)."""
    out = []
    k = 0
    for m in model:
        if isinstance(m, nn.Linear):
            out.append((f"layers.{k}.weight", m.weight))
            out.append((f"layers.{k}.bias", m.bias))
            k += 1
    return out


def vanishing(root: str) -> None:
    torch.manual_seed(0)
    x, y = two_class_data(256, 8, seed=1)
    model = mlp(10, 32, 8, 2, nn.Sigmoid, gain=None)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    w = SummaryWriter(os.path.join(root, "vanishing-sigmoid"))
    for step in range(1, 41):
        idx = torch.arange((step - 1) * 32, step * 32) % x.shape[0]
        opt.zero_grad()
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        w.add_scalar("train/loss", loss.item(), step)
        if step == 1 or step % 10 == 0:
            for name, p in named_linear_params(model):
                add_hist(w, name, p, step)
                add_hist(w, f"grad/{name}", p.grad, step)
        opt.step()
    w.close()


def exploding(root: str) -> None:
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(2)
    x = torch.randn(64, 16, generator=g)
    t = torch.randn(64, 1, generator=g)
    model = mlp(6, 32, 16, 1, nn.Tanh, gain=1.0)
    opt = torch.optim.SGD(model.parameters(), lr=0.3)
    w = SummaryWriter(os.path.join(root, "exploding"))
    for step in range(1, 21):
        opt.zero_grad()
        loss = ((model(x) - t) ** 2).mean()
        loss.backward()
        w.add_scalar("loss", loss.item(), step)
        params = named_linear_params(model)
        if not all(torch.isfinite(p.grad).all() for _, p in params) or not math.isfinite(loss.item()):
            break
        for name, p in params if step == 1 or step % 2 == 0 else []:
            add_hist(w, name, p, step)
            add_hist(w, f"{name}/grad", p.grad, step)
        opt.step()
    w.close()


def tf2_relu(root: str) -> None:
    torch.manual_seed(0)
    x, y = two_class_data(256, 8, seed=3)
    model = mlp(4, 32, 8, 2, nn.ReLU, gain=1.0)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()
    w = SummaryWriter(os.path.join(root, "tf2-relu"))
    fw = w._get_file_writer()  # the event file writer: add_summary takes any Summary proto
    for step in range(1, 21):
        idx = torch.arange((step - 1) * 32, step * 32) % x.shape[0]
        opt.zero_grad()
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        fw.add_summary(scalar_v2.scalar_pb("epoch_loss", loss.item()), step)
        if step == 1 or step % 5 == 0:
            for name, p in named_linear_params(model):
                k, kind = name.split(".")[1:]
                tf_name = f"dense_{k}/{'kernel' if kind == 'weight' else 'bias'}"
                fw.add_summary(hist_v2.histogram_pb(f"weights/{tf_name}", p.detach().numpy(), buckets=16), step)
                fw.add_summary(hist_v2.histogram_pb(f"gradients/{tf_name}", p.grad.detach().numpy(), buckets=16), step)
        opt.step()
    w.close()


def main() -> None:
    root = sys.argv[1] if len(sys.argv) > 1 else "test/fixtures/tensorboard"
    for name, fn in (("vanishing-sigmoid", vanishing), ("exploding", exploding), ("tf2-relu", tf2_relu)):
        d = os.path.join(root, name)
        if os.path.isdir(d) and os.listdir(d):
            sys.exit(f"{d} is not empty: remove it first (each run writes a new event file)")
        fn(root)
    total = 0
    for dirpath, _, files in os.walk(root):
        for f in files:
            size = os.path.getsize(os.path.join(dirpath, f))
            total += size
            print(f"{os.path.join(dirpath, f)}: {size} bytes")
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
