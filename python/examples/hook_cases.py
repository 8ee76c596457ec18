"""Train small real PyTorch models with gradscope_hook, one run directory per case.

Usage: /usr/bin/python3 python/examples/hook_cases.py OUT_DIR [CASE ...]

Cases (all by default), each written to OUT_DIR/CASE:
  sigmoid-mlp   10 x (Linear 32 -> 32, Sigmoid), PyTorch's default Linear init, SGD: the
                gradient vanishes toward the input (sigmoid' <= 1/4 and Var(W) = 1/(3 fan_in))
  relu-he-mlp   the same with ReLU and kaiming_normal_ (He) weights, zero biases: healthy
  transformer   a post-LN nn.TransformerEncoder (norm_first=False), 2 layers, Adam
  explode       a ReLU MLP trained with a learning rate of 10 on a regression: NaN in a few steps
Each case is seeded, so runs are repeatable. Prints one JSON line per case with the run
directory, the steps taken and the final status.
"""

from __future__ import annotations

import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import gradscope_hook  # noqa: E402

WIDTH = 32
DEPTH = 10


def mlp(activation: type, he: bool) -> nn.Sequential:
    layers: list = []
    for _ in range(DEPTH):
        lin = nn.Linear(WIDTH, WIDTH)
        if he:
            nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
            nn.init.zeros_(lin.bias)
        layers += [lin, activation()]
    return nn.Sequential(*layers, nn.Linear(WIDTH, 10))


def classify(run_dir: str, model: nn.Module, steps: int = 20, lr: float = 0.1, name=None) -> dict:
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    x = torch.randn(256, WIDTH)
    y = torch.randint(0, 10, (256,))
    with gradscope_hook.watch(model, run_dir, every=1, optimizer=opt, name=name) as handle:
        for step in range(steps):
            i = (step * 64) % 256
            opt.zero_grad()
            loss = F.cross_entropy(model(x[i : i + 64]), y[i : i + 64])
            loss.backward()
            opt.step()
            handle.step(loss)
    return handle.summary()


def sigmoid_mlp(run_dir: str) -> dict:
    torch.manual_seed(1)
    return classify(run_dir, mlp(nn.Sigmoid, he=False), name="sigmoid-mlp")


def relu_he_mlp(run_dir: str) -> dict:
    torch.manual_seed(1)
    return classify(run_dir, mlp(nn.ReLU, he=True), lr=0.01, name="relu-he-mlp")


class TokenEncoder(nn.Module):
    def __init__(self, vocab=50, d=32, heads=4, layers=2, seq=12):
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(seq, d) * 0.02)
        layer = nn.TransformerEncoderLayer(d, heads, 64, dropout=0.1, batch_first=True, norm_first=False)
        self.encoder = nn.TransformerEncoder(layer, layers)
        self.head = nn.Linear(d, vocab)

    def forward(self, tokens):
        return self.head(self.encoder(self.emb(tokens) + self.pos[: tokens.shape[1]]))


def transformer(run_dir: str, steps: int = 10) -> dict:
    torch.manual_seed(1)
    model = TokenEncoder()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    with gradscope_hook.watch(model, run_dir, every=1, optimizer=opt, name="transformer") as handle:
        for _ in range(steps):
            tokens = torch.randint(0, 50, (8, 13))
            opt.zero_grad()
            logits = model(tokens[:, :-1])
            loss = F.cross_entropy(logits.reshape(-1, 50), tokens[:, 1:].reshape(-1))
            loss.backward()
            opt.step()
            handle.step(loss)
    return handle.summary()


def explode(run_dir: str, steps: int = 30) -> dict:
    torch.manual_seed(1)
    model = nn.Sequential(
        nn.Linear(8, WIDTH), nn.ReLU(), nn.Linear(WIDTH, WIDTH), nn.ReLU(), nn.Linear(WIDTH, 1)
    )
    opt = torch.optim.SGD(model.parameters(), lr=10.0)
    x = torch.randn(64, 8)
    y = torch.randn(64, 1) * 10
    with gradscope_hook.watch(model, run_dir, every=1, optimizer=opt, name="explode") as handle:
        for _ in range(steps):
            opt.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()
            opt.step()
            handle.step(loss)
    return handle.summary()


CASES = {
    "sigmoid-mlp": sigmoid_mlp,
    "relu-he-mlp": relu_he_mlp,
    "transformer": transformer,
    "explode": explode,
}


def main(argv: list) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    out = argv[0]
    names = argv[1:] or list(CASES)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        print(f"unknown case(s): {', '.join(unknown)} (known: {', '.join(CASES)})", file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    for n in names:
        run_dir = os.path.join(out, n)
        s = CASES[n](run_dir)
        print(json.dumps({"case": n, "dir": run_dir, "status": s["status"], "steps": s["stepsDone"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
