"""Overhead of gradscope_hook at every=1 on a small Transformer encoder and a small CNN (CPU).

Usage: /usr/bin/python3 python/bench_hook.py [--rounds R] [--steps K] [--threads T] [--json]

Each round trains K steps without the hook and K steps with it (a fresh run directory; the
order alternates between rounds), on the same model and optimizer; the first 2 steps of each
block are warm-up and not timed (the hooked block's first step also writes config.json). A
round's overhead is its hooked block's median step time over its plain block's, minus 1; the
report gives the median over rounds and the quartiles (interleaving short blocks evens out the
drifting load of a shared machine). A step is zero_grad, forward, loss, backward,
optimizer.step and, hooked, handle.step(loss).
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


class BasicBlock(nn.Module):
    """ResNet's basic block: two 3x3 convs with batch norm, ReLU, and the (projected) input added."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu2 = nn.ReLU()
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = self.relu1(self.bn1(self.conv1(x)))
        return self.relu2(self.bn2(self.conv2(out)) + self.shortcut(x))


class SmallResNet(nn.Module):
    """A small CIFAR ResNet: a 3x3 stem and one basic block per stage at `channels` channels
    (strides 1, 2, 2), global average pooling, a linear head."""

    def __init__(self, channels=(32, 64, 128), classes=10):
        super().__init__()
        c1, c2, c3 = channels
        self.stem = nn.Sequential(nn.Conv2d(3, c1, 3, padding=1, bias=False), nn.BatchNorm2d(c1), nn.ReLU())
        self.stages = nn.Sequential(BasicBlock(c1, c1, 1), BasicBlock(c1, c2, 2), BasicBlock(c2, c3, 2))
        self.head = nn.Linear(c3, classes)

    def forward(self, x):
        return self.head(self.stages(self.stem(x)).mean(dim=(2, 3)))


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


def cnn_case(batch=32, pool=32, channels=(32, 64, 64), net=None):
    torch.manual_seed(0)
    model = net() if net is not None else TinyCNN(channels)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    batches = [(torch.randn(batch, 3, 32, 32), torch.randint(0, 10, (batch,))) for _ in range(pool)]
    step = [0]

    def loss_fn():
        x, y = batches[step[0] % pool]
        step[0] += 1
        return F.cross_entropy(model(x), y)

    return model, opt, loss_fn


def timed_block(model, opt, loss_fn, steps, handle=None, warmup=2):
    """(wall, cpu) seconds of each step after the warm-up: wall-clock time, and the CPU time of
    the process (all its threads; time spent descheduled by other load is not counted)."""
    wall, cpu = [], []
    for i in range(steps):
        t, c = time.perf_counter(), time.process_time()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn()
        loss.backward()
        opt.step()
        if handle is not None:
            handle.step(loss)
        if i >= warmup:
            wall.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
    return wall, cpu


def measure(name, make, rounds, steps, tmp):
    """Per round, a plain block and a hooked block of `steps` steps (alternating which goes
    first); the round's overhead is the ratio of the blocks' median step times. Reported: the
    median over rounds, with the quartiles (the load of a shared machine drifts between rounds),
    in wall-clock time and in CPU time."""
    model, opt, loss_fn = make()
    timed_block(model, opt, loss_fn, 3)  # first-call costs (allocator, kernels)
    wall = {"plain": [], "hooked": []}
    cpu = {"plain": [], "hooked": []}
    ratios = {"wall": [], "cpu": []}
    for r in range(rounds):
        run_dir = os.path.join(tmp, f"{name}-{r}")

        def plain():
            return timed_block(model, opt, loss_fn, steps)

        def hooked():
            with gradscope_hook.watch(model, run_dir, every=1, optimizer=opt) as handle:
                return timed_block(model, opt, loss_fn, steps, handle)

        if r % 2 == 0:
            p, h = plain(), hooked()
        else:
            h, p = hooked(), plain()
        shutil.rmtree(run_dir)
        wall["plain"] += p[0]
        wall["hooked"] += h[0]
        cpu["plain"] += p[1]
        cpu["hooked"] += h[1]
        ratios["wall"].append(statistics.median(h[0]) / statistics.median(p[0]) - 1)
        ratios["cpu"].append(statistics.median(h[1]) / statistics.median(p[1]) - 1)

    def summary(xs):
        q = statistics.quantiles(xs, n=4) if len(xs) >= 2 else [xs[0]] * 3
        return {"median": q[1] * 100, "q1": q[0] * 100, "q3": q[2] * 100}

    return {
        "case": name,
        "params": sum(x.numel() for x in model.parameters()),
        "plainMs": statistics.median(wall["plain"]) * 1e3,
        "hookedMs": statistics.median(wall["hooked"]) * 1e3,
        "plainCpuMs": statistics.median(cpu["plain"]) * 1e3,
        "hookedCpuMs": statistics.median(cpu["hooked"]) * 1e3,
        "overheadPct": summary(ratios["wall"]),
        "cpuOverheadPct": summary(ratios["cpu"]),
        "rounds": rounds,
        "stepsPerBlock": steps,
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
    ap.add_argument("--rounds", type=int, default=16)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--case", choices=["transformer", "cnn", "cnn-narrow", "resnet", "all"], default="all")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cases = {
        "transformer": transformer_case,
        "cnn": cnn_case,
        "cnn-narrow": lambda: cnn_case(channels=(16, 32, 32)),
        "resnet": lambda: cnn_case(batch=16, net=SmallResNet),
    }
    names = list(cases) if args.case == "all" else [args.case]
    tmp = tempfile.mkdtemp(prefix="gradscope-bench-")
    load_before = os.getloadavg()[0]
    try:
        results = [measure(n, cases[n], args.rounds, args.steps, tmp) for n in names]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load = (load_before, os.getloadavg()[0])
    for r in results:
        r["threads"] = args.threads
        r["loadAverage"] = load
    if args.json:
        print(json.dumps(results, indent=2))
        return
    tuning = "default environment" if args.default_env else " ".join(f"{k}={v}" for k, v in BENCH_ENV.items())
    print(
        f"torch {torch.__version__}, {args.threads} threads, every=1, {args.rounds} rounds x {args.steps} steps, {tuning}, "
        f"load average {load[0]:.1f} at start, {load[1]:.1f} at end"
    )
    for r in results:
        w, c = r["overheadPct"], r["cpuOverheadPct"]
        print(
            f"{r['case']:12s} {r['params']:>7d} params  wall: plain {r['plainMs']:6.1f} ms/step, "
            f"hooked {r['hookedMs']:6.1f}, overhead {w['median']:+5.1f}% ({w['q1']:+.1f}% .. {w['q3']:+.1f}%)  "
            f"cpu: plain {r['plainCpuMs']:6.1f} ms/step, hooked {r['hookedCpuMs']:6.1f}, "
            f"overhead {c['median']:+5.1f}% ({c['q1']:+.1f}% .. {c['q3']:+.1f}%)"
        )


if __name__ == "__main__":
    main()
