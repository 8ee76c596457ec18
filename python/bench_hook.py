"""Overhead of gradscope_hook at every=1 on a small Transformer encoder and a small CNN (CPU).

Usage: /usr/bin/python3 python/bench_hook.py [--rounds R] [--steps K] [--threads T] [--json]

Each round trains K steps without the hook, then K steps with it (a fresh run directory), on
the same model and optimizer; the first 2 steps of each block are warm-up and not timed (the
hooked block's first step also writes config.json). The overhead is the median hooked step time
over the median plain step time, minus 1, over all rounds (interleaving the blocks evens out
the load of a shared machine). A step is zero_grad, forward, loss, backward, optimizer.step and,
hooked, handle.step(loss).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gradscope_hook  # noqa: E402


class TinyTransformer(nn.Module):
    """A small post-LN Transformer encoder language model: embedding, learned positions,
    2 x TransformerEncoderLayer(d_model 64, 4 heads, feed-forward 256, ReLU), a linear head."""

    def __init__(self, vocab=128, d=64, heads=4, ff=256, layers=2, seq=32):
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(seq, d) * 0.02)
        layer = nn.TransformerEncoderLayer(d, heads, ff, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers)
        self.head = nn.Linear(d, vocab)

    def forward(self, tokens):
        h = self.emb(tokens) + self.pos[: tokens.shape[1]]
        return self.head(self.encoder(h))


class TinyCNN(nn.Module):
    """A small CIFAR-sized CNN: 3 x (conv 3x3, batch norm, ReLU) with `channels` channels, two
    max-pools, a linear head."""

    def __init__(self, channels=(32, 64, 64), classes=10):
        super().__init__()
        c1, c2, c3 = channels
        self.features = nn.Sequential(
            nn.Conv2d(3, c1, 3, padding=1),
            nn.BatchNorm2d(c1),
            nn.ReLU(),
            nn.Conv2d(c1, c2, 3, padding=1),
            nn.BatchNorm2d(c2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(c2, c3, 3, padding=1),
            nn.BatchNorm2d(c3),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.head = nn.Linear(c3 * 8 * 8, classes)

    def forward(self, x):
        return self.head(self.features(x).flatten(1))


def transformer_case(batch=32, seq=32, vocab=128, pool=8):
    torch.manual_seed(0)
    model = TinyTransformer(vocab=vocab, seq=seq)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    # a pool of random batches, cycled (one fixed batch would be memorized: its gradients vanish)
    batches = [torch.randint(0, vocab, (batch, seq + 1)) for _ in range(pool)]
    step = [0]

    def loss_fn():
        tokens = batches[step[0] % pool]
        step[0] += 1
        logits = model(tokens[:, :-1])
        return F.cross_entropy(logits.reshape(-1, vocab), tokens[:, 1:].reshape(-1))

    return model, opt, loss_fn


def cnn_case(batch=32, pool=32, channels=(32, 64, 64)):
    torch.manual_seed(0)
    model = TinyCNN(channels)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    batches = [(torch.randn(batch, 3, 32, 32), torch.randint(0, 10, (batch,))) for _ in range(pool)]
    step = [0]

    def loss_fn():
        x, y = batches[step[0] % pool]
        step[0] += 1
        return F.cross_entropy(model(x), y)

    return model, opt, loss_fn


def timed_block(model, opt, loss_fn, steps, handle=None, warmup=2):
    times = []
    for i in range(steps):
        t = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn()
        loss.backward()
        opt.step()
        if handle is not None:
            handle.step(loss)
        elapsed = time.perf_counter() - t
        if i >= warmup:
            times.append(elapsed)
    return times


def measure(name, make, rounds, steps, tmp):
    model, opt, loss_fn = make()
    plain, hooked = [], []
    timed_block(model, opt, loss_fn, 3)  # first-call costs (allocator, kernels)
    for r in range(rounds):
        plain += timed_block(model, opt, loss_fn, steps)
        run_dir = os.path.join(tmp, f"{name}-{r}")
        with gradscope_hook.watch(model, run_dir, every=1, optimizer=opt) as handle:
            hooked += timed_block(model, opt, loss_fn, steps, handle)
        shutil.rmtree(run_dir)
    p = statistics.median(plain)
    h = statistics.median(hooked)
    return {
        "case": name,
        "params": sum(q.numel() for q in model.parameters()),
        "plainMs": p * 1e3,
        "hookedMs": h * 1e3,
        "overheadPct": (h / p - 1) * 100,
        "steps": len(plain),
    }


# Two settings of the process environment, the same for the plain and the hooked blocks (unless
# --default-env), that make timings on a shared, loaded machine repeatable:
# - glibc returns freed heap memory to the system and maps large blocks afresh, so whether a
#   training step's big temporaries page-fault depends on the allocation history: in one process
#   the plain and hooked blocks then flip between ~25 and ~100 ms per step, in either order;
# - GNU OpenMP's waiting threads spin: with 2 threads on 2 busy cores a thread waits for a
#   descheduled peer at every parallel op (a 150 ms step takes 1 s). PASSIVE makes them sleep.
BENCH_ENV = {
    "MALLOC_TRIM_THRESHOLD_": "1000000000",
    "MALLOC_MMAP_THRESHOLD_": "1000000000",
    "OMP_WAIT_POLICY": "PASSIVE",
}


def main():
    if "--default-env" not in sys.argv and any(os.environ.get(k) != v for k, v in BENCH_ENV.items()):
        os.execve(sys.executable, [sys.executable] + sys.argv, {**os.environ, **BENCH_ENV})
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--default-env", action="store_true", help="run without BENCH_ENV")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--steps", type=int, default=12)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--case", choices=["transformer", "cnn", "cnn-narrow", "all"], default="all")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cases = {
        "transformer": transformer_case,
        "cnn": cnn_case,
        "cnn-narrow": lambda: cnn_case(channels=(16, 32, 32)),
    }
    names = list(cases) if args.case == "all" else [args.case]
    tmp = tempfile.mkdtemp(prefix="gradscope-bench-")
    try:
        results = [measure(n, cases[n], args.rounds, args.steps, tmp) for n in names]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    tuning = "default environment" if args.default_env else " ".join(f"{k}={v}" for k, v in BENCH_ENV.items())
    print(f"torch {torch.__version__}, {args.threads} threads, every=1, {args.rounds} rounds x {args.steps} steps, {tuning}")
    for r in results:
        print(
            f"{r['case']:12s} {r['params']:>8d} params  plain {r['plainMs']:8.2f} ms/step  "
            f"hooked {r['hookedMs']:8.2f} ms/step  overhead {r['overheadPct']:+6.1f}%"
        )


if __name__ == "__main__":
    main()
