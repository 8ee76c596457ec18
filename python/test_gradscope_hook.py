"""Tests of python/gradscope_hook.py (run: /usr/bin/python3 -m pytest python -q).

The statistics are checked against hand computations on a Linear with known weights, in both
device policies (the CPU one that reads scalars to skip passes, and the eager one used on GPUs).
Then: activations and dead units, the recording schedule, NaN/Inf handling and the explosion
step, interrupt safety (a killed run leaves a readable directory), and module kinds:
nn.TransformerEncoder (post-LN, batch_first both ways), Conv2d, Embedding, LSTM, custom modules.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gradscope_hook  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def _strict_constant(name):
    raise ValueError(f"bare {name} in JSON")


def read_run(run_dir):
    """config, records and summary of a run directory; every metrics line must be strict JSON
    (NaN/Inf only as strings)."""
    with open(os.path.join(run_dir, "config.json")) as f:
        config = json.load(f, parse_constant=_strict_constant)
    with open(os.path.join(run_dir, "summary.json")) as f:
        summary = json.load(f, parse_constant=_strict_constant)
    records = []
    path = os.path.join(run_dir, "metrics.jsonl")
    if os.path.exists(path):
        with open(path) as f:
            text = f.read()
        assert text == "" or text.endswith("\n"), "the last metrics line is cut short"
        records = [json.loads(line, parse_constant=_strict_constant) for line in text.splitlines()]
    return config, records, summary


def num(v):
    """A JSON number back from gradscope's encoding."""
    return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}.get(v, v)


def std(xs):
    m = sum(xs) / len(xs)
    return math.sqrt(sum((x - m) ** 2 for x in xs) / len(xs))


def sigmoid(v):
    return 1 / (1 + math.exp(-v))


# ---------------------------------------------------------------------------------------------
# Hand computations.

W0 = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]]
B0 = [0.1, -0.2]
X = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 4.0], [2.0, 2.0, 2.0]]
R = [[1.0, -2.0], [0.5, 0.25], [-1.5, 1.0], [2.0, 0.75]]
LR = 0.5


def expected_linear_sigmoid():
    """Every metric of the Linear followed by a sigmoid, by hand (plain Python floats)."""
    z = [[sum(x[k] * W0[j][k] for k in range(3)) + B0[j] for j in range(2)] for x in X]
    a = [[sigmoid(v) for v in row] for row in z]
    dz = [[R[i][j] * a[i][j] * (1 - a[i][j]) for j in range(2)] for i in range(4)]
    dW = [[sum(dz[i][j] * X[i][k] for i in range(4)) for k in range(3)] for j in range(2)]
    db = [sum(dz[i][j] for i in range(4)) for j in range(2)]
    flat = lambda m: [v for row in m for v in row]  # noqa: E731
    zf, af, dzf, dWf, Wf = flat(z), flat(a), flat(dz), flat(dW), flat(W0)
    deriv = [v * (1 - v) for v in af]
    gwn = math.sqrt(sum(v * v for v in dWf))
    gbn = math.sqrt(sum(v * v for v in db))
    return {
        "loss": sum(R[i][j] * a[i][j] for i in range(4) for j in range(2)),
        "gradNorm": math.sqrt(gwn**2 + gbn**2),
        "q": sum(v * v for v in zf) / 8,
        "gradPreactMeanSq": sum(v * v for v in dzf) / 8,
        "gradWeightNorm": gwn,
        "gradBiasNorm": gbn,
        "weightNorm": math.sqrt(sum(v * v for v in Wf)),
        "gradToWeight": std(dWf) / std(Wf),
        "updateRatio": math.log10(LR * std(dWf) / std(Wf)),
        "actMean": sum(af) / 8,
        "actStd": std(af),
        "saturated": sum(1 for d in deriv if d < 0.01 * 0.25) / 8,
        "lowDerivative": sum(1 for d in deriv if d < 0.01 * 0.25) / 8,
        "inactive": 0.0,
        "dead": 0.0,
        "nonfinite": 0,
    }


def linear_sigmoid(dtype):
    lin = nn.Linear(3, 2).to(dtype)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(W0, dtype=dtype))
        lin.bias.copy_(torch.tensor(B0, dtype=dtype))
    return nn.Sequential(lin, nn.Sigmoid())


@pytest.mark.parametrize("lazy", [True, False], ids=["cpu-policy", "eager-policy"])
@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-12), (torch.float32, 2e-6)], ids=["f64", "f32"])
def test_linear_statistics_match_hand_computation(tmp_path, lazy, dtype, tol):
    model = linear_sigmoid(dtype)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    x = torch.tensor(X, dtype=dtype)
    r = torch.tensor(R, dtype=dtype)
    h = gradscope_hook.watch(model, tmp_path / "run", optimizer=opt, name="hand")
    h.stats.lazy = lazy
    opt.zero_grad()
    loss = (model(x) * r).sum()
    loss.backward()
    opt.step()
    h.step(loss)
    h.close()
    config, records, summary = read_run(tmp_path / "run")

    assert config["source"] == "pytorch-hook"
    assert config["hookVersion"] == 1
    assert config["name"] == "hand"
    assert config["dtype"] == ("f64" if dtype == torch.float64 else "f32")
    assert config["optimizer"] == {"type": "SGD", "lr": LR}
    assert config["modules"] == [
        {
            "layer": 1,
            "path": "0",
            "type": "Linear",
            "params": 8,
            "activation": "sigmoid",
            "weight": "weight",
            "outputOf": "0",
        }
    ]
    assert summary["status"] == "completed"
    assert summary["stepsDone"] == 1 and summary["recordedSteps"] == 1
    assert summary["explosion"] is None

    exp = expected_linear_sigmoid()
    assert exp["saturated"] == 1 / 8  # z = 8.1 is the one saturated entry
    (rec,) = records
    assert rec["step"] == 1 and rec["lr"] == LR
    assert rec["loss"] == pytest.approx(exp["loss"], rel=tol)
    assert rec["gradNorm"] == pytest.approx(exp["gradNorm"], rel=tol)
    (layer,) = rec["layers"]
    assert layer["layer"] == 1 and layer["path"] == "0" and layer["weight"] == "weight"
    for key in ("q", "gradPreactMeanSq", "gradWeightNorm", "gradBiasNorm", "weightNorm", "gradToWeight", "actMean", "actStd"):
        assert layer[key] == pytest.approx(exp[key], rel=tol), key
    # the update is lr * dW, in the parameters' precision
    assert layer["updateRatio"] == pytest.approx(exp["updateRatio"], abs=1e-5 if dtype == torch.float32 else 1e-12)
    for key in ("saturated", "lowDerivative", "inactive", "dead", "nonfinite"):
        assert layer[key] == exp[key], key
    assert layer["subnormal"] == 0 and layer["underflow"] is False

    # histograms: every entry counted once (8 entries, no sampling), bins between powers of 2
    for kind in ("grad", "act"):
        hist = layer["hist"][kind]
        assert hist["total"] == hist["sampled"] == 8
        assert sum(hist["counts"]) + hist["zeros"] + hist["nonfinite"] == 8
        assert len(hist["edges"]) == len(hist["counts"]) + 1
        for lo, hi in zip(hist["edges"], hist["edges"][1:]):
            assert hi == 2 * lo
    act = layer["hist"]["act"]
    a = [sigmoid(sum(x[k] * W0[j][k] for k in range(3)) + B0[j]) for x in X for j in range(2)]
    for lo, hi, count in zip(act["edges"], act["edges"][1:], act["counts"]):
        assert count == sum(1 for v in a if lo <= v < hi)


def test_relu_dead_and_inactive_units(tmp_path):
    """Unit 3 never fires (negative weights and bias on non-negative inputs): dead = 1/3;
    inactive counts every zero of the ReLU. The in-place ReLU gives the same statistics."""
    w = [[1.0, -1.0, 0.5], [0.5, 0.5, -2.0], [-1.0, -1.0, -1.0]]
    b = [0.0, 0.1, -1.0]
    x = torch.tensor([[1.0, 2.0, 0.0], [0.5, 0.0, 1.0], [2.0, 1.0, 1.0], [0.0, 0.0, 3.0]], dtype=torch.float64)
    z = [[sum(xi[k] * w[j][k] for k in range(3)) + b[j] for j in range(3)] for xi in x.tolist()]
    a = [max(v, 0.0) for row in z for v in row]
    inactive = sum(1 for v in a if v == 0) / 12
    results = []
    for inplace in (False, True):
        torch.manual_seed(0)
        lin = nn.Linear(3, 3).double()
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(w, dtype=torch.float64))
            lin.bias.copy_(torch.tensor(b, dtype=torch.float64))
        model = nn.Sequential(lin, nn.ReLU(inplace=inplace), nn.Linear(3, 1).double())
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        run = tmp_path / f"inplace-{inplace}"
        with gradscope_hook.watch(model, run, optimizer=opt) as h:
            opt.zero_grad()
            loss = model(x).pow(2).mean()
            loss.backward()
            opt.step()
            h.step(loss)
        config, records, _ = read_run(run)
        assert [m["activation"] for m in config["modules"]] == ["relu", None]
        layer = records[0]["layers"][0]
        assert layer["dead"] == pytest.approx(1 / 3)
        assert layer["inactive"] == pytest.approx(inactive)
        assert layer["lowDerivative"] == pytest.approx(inactive)
        assert layer["saturated"] == 0
        assert layer["q"] == pytest.approx(sum(v * v for row in z for v in row) / 12, rel=1e-12)
        assert layer["actMean"] == pytest.approx(sum(a) / 12, rel=1e-12)
        results.append({k: v for k, v in layer.items() if k != "hist"})
    assert results[0] == results[1]


def test_tanh_saturation_and_large_tensor_paths(tmp_path):
    """A tensor bigger than the histogram sample and the row length: the statistics stay exact
    (compared with float64 torch on the same tensors), the histogram is a sample."""
    torch.manual_seed(0)
    lin = nn.Linear(64, 96)
    model = nn.Sequential(lin, nn.Tanh())
    x = torch.randn(300, 64) * 3
    with gradscope_hook.watch(model, tmp_path / "run") as h:
        z = lin(x)
        model.zero_grad()
        out = model(x)
        out.sum().backward()
        h.step(out.sum())
    zd = z.detach().double()
    ad = torch.tanh(z.detach()).double()
    d = 1 - ad * ad
    _, records, _ = read_run(tmp_path / "run")
    layer = records[0]["layers"][0]
    assert layer["q"] == pytest.approx(float((zd * zd).mean()), rel=1e-6)
    assert layer["actMean"] == pytest.approx(float(ad.mean()), rel=1e-5)
    assert layer["saturated"] == pytest.approx(float((1 - torch.tanh(z.detach()) ** 2 < 0.01).double().mean()))
    assert layer["saturated"] > 0.05
    assert layer["inactive"] == pytest.approx(float((d == 0).double().mean()))
    grad_hist = layer["hist"]["grad"]
    assert grad_hist["total"] == 300 * 96
    assert grad_hist["sampled"] < grad_hist["total"]
    assert sum(grad_hist["counts"]) + grad_hist["zeros"] + grad_hist["nonfinite"] == grad_hist["sampled"]


def test_float32_squares_that_underflow_are_redone_in_float64(tmp_path):
    """Gradients of ~1e-25: their float32 squares underflow, the mean square must not be 0."""
    model = nn.Sequential(nn.Linear(4, 4))
    x = torch.randn(8, 4)
    with gradscope_hook.watch(model, tmp_path / "run") as h:
        out = model(x)
        (out.sum() * 1e-25).backward()
        h.step(out.sum())
    _, records, _ = read_run(tmp_path / "run")
    layer = records[0]["layers"][0]
    assert layer["gradPreactMeanSq"] == pytest.approx(1e-50, rel=1e-5)
    assert layer["gradWeightNorm"] > 0


# ---------------------------------------------------------------------------------------------
# Schedule, files, API.


def mlp(depth=3, width=8, act=nn.Tanh):
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), act()]
    return nn.Sequential(*layers, nn.Linear(width, 1))


def train(model, h, steps, opt, x=None, y=None, between=None):
    x = torch.randn(16, 8) if x is None else x
    y = torch.randn(16, 1) if y is None else y
    losses = []
    for s in range(1, steps + 1):
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        h.step(loss)
        losses.append(loss.item())
        if between:
            between(s)
    return losses


def test_every_records_step_one_and_multiples(tmp_path):
    torch.manual_seed(0)
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    with gradscope_hook.watch(model, tmp_path / "run", every=3, optimizer=opt) as h:
        train(model, h, 10, opt)
    config, records, summary = read_run(tmp_path / "run")
    assert config["every"] == 3
    assert [r["step"] for r in records] == [1, 3, 6, 9]
    assert summary["recordedSteps"] == 4 and summary["stepsDone"] == 10
    # the weights' statistics are of W before the step's update, the update ratio is measured
    for r in records:
        for layer in r["layers"]:
            assert isinstance(layer["updateRatio"], float) and layer["updateRatio"] < 0
    # steps off the schedule write nothing (no records of nulls); every recorded step is complete
    with open(tmp_path / "run" / "metrics.jsonl") as f:
        assert f.read().count("\n") == 4
    for r in records:
        assert isinstance(r["loss"], float) and isinstance(r["gradNorm"], float)
        for layer in r["layers"]:
            for key in ("q", "gradPreactMeanSq", "gradWeightNorm", "weightNorm", "gradToWeight", "actMean", "actStd"):
                assert isinstance(layer[key], float), (r["step"], layer["path"], key)
            # histograms on the first recorded step and every hist_every-th (10) after it
            if r["step"] == 1:
                assert layer["hist"]["grad"] is not None and layer["hist"]["act"] is not None
            else:
                assert "hist" not in layer
    assert config["histEvery"] == 10 and config["activationSample"] == 65536


def test_forwards_without_grad_are_not_recorded(tmp_path):
    """An evaluation forward under no_grad between steps leaves the records unchanged."""
    runs = []
    for evaluate in (False, True):
        torch.manual_seed(0)
        model = mlp()
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        probe = torch.randn(32, 8) * 5

        def between(_s, model=model):
            with torch.no_grad():
                model(probe)

        with gradscope_hook.watch(model, tmp_path / f"run-{evaluate}", optimizer=opt) as h:
            x = torch.randn(16, 8)
            y = torch.randn(16, 1)
            train(model, h, 3, opt, x, y, between if evaluate else None)
        runs.append(read_run(tmp_path / f"run-{evaluate}")[1])
    assert runs[0] == runs[1]


def test_refuses_a_directory_holding_a_run(tmp_path):
    model = mlp()
    gradscope_hook.watch(model, tmp_path / "run").close()
    with pytest.raises(FileExistsError):
        gradscope_hook.watch(model, tmp_path / "run")


def test_exception_in_with_block_marks_the_run_interrupted(tmp_path):
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    with pytest.raises(KeyboardInterrupt):
        with gradscope_hook.watch(model, tmp_path / "run", optimizer=opt) as h:
            train(model, h, 2, opt)
            raise KeyboardInterrupt
    _, records, summary = read_run(tmp_path / "run")
    assert summary["status"] == "interrupted" and len(records) == 2
    # the hooks are gone
    assert not any(m._forward_hooks for m in model.modules())


def test_config_order_follows_the_forward_pass(tmp_path):
    class Reordered(nn.Module):
        def __init__(self):
            super().__init__()
            self.late = nn.Linear(4, 1)
            self.early = nn.Linear(4, 4)
            self.act = nn.Sigmoid()

        def forward(self, x):
            return self.late(self.act(self.early(x)))

    model = Reordered()
    with gradscope_hook.watch(model, tmp_path / "run") as h:
        out = model(torch.randn(5, 4)).sum()
        out.backward()
        h.step(out)
    config, records, _ = read_run(tmp_path / "run")
    assert [(m["layer"], m["path"], m["activation"]) for m in config["modules"]] == [
        (1, "early", "sigmoid"),
        (2, "late", None),
    ]
    assert [(layer["layer"], layer["path"]) for layer in records[0]["layers"]] == [(1, "early"), (2, "late")]


# ---------------------------------------------------------------------------------------------
# NaN / Inf.


def test_explosion_between_recorded_steps_is_recorded(tmp_path):
    """every=5, and the loss goes non-finite at a step that is not a multiple of 5: that step is
    recorded anyway (activations not sampled: null), the summary names it, NaN/Inf are strings."""
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))
    opt = torch.optim.SGD(model.parameters(), lr=10.0)
    x = torch.randn(64, 8)
    y = torch.randn(64, 1) * 10
    with gradscope_hook.watch(model, tmp_path / "run", every=5, optimizer=opt) as h:
        losses = train(model, h, 12, opt, x, y)
    first_bad = next(i + 1 for i, v in enumerate(losses) if not math.isfinite(v))
    assert first_bad % 5 != 0 and first_bad > 1
    config, records, summary = read_run(tmp_path / "run")
    steps = [r["step"] for r in records]
    assert first_bad in steps
    assert steps == sorted({1, 5, 10, first_bad})
    assert summary["status"] == "exploded"
    assert summary["explosion"]["step"] == first_bad
    assert summary["explosion"]["what"] == "loss" and summary["explosion"]["layer"] is None
    assert f"step {first_bad}" in summary["message"]
    bad = records[steps.index(first_bad)]
    assert isinstance(bad["loss"], str) and not math.isfinite(num(bad["loss"]))
    assert all(layer["q"] is None and layer["gradPreactMeanSq"] is None for layer in bad["layers"])
    with open(tmp_path / "run" / "metrics.jsonl") as f:
        assert '"NaN"' in f.read()


def test_nan_weight_is_located_in_the_forward_pass(tmp_path):
    """NaN put into the second Linear's weights after step 2: step 3 explodes in z of layer 2."""
    torch.manual_seed(0)
    model = mlp(depth=3)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)

    def poison(s):
        if s == 2:
            with torch.no_grad():
                model[2].weight[0, 0] = math.nan

    with gradscope_hook.watch(model, tmp_path / "run", optimizer=opt) as h:
        train(model, h, 4, opt, between=poison)
    _, records, summary = read_run(tmp_path / "run")
    assert summary["status"] == "exploded"
    e = summary["explosion"]
    assert (e["step"], e["layer"], e["what"]) == (3, 2, "z")
    layers = records[2]["layers"]
    assert isinstance(layers[0]["q"], float)  # the forward pass is finite up to layer 2
    assert layers[0]["nonfinite"] > 0  # its gradients are not: NaN flowed back from the loss
    assert layers[1]["nonfinite"] > 0 and layers[1]["q"] == "NaN"
    assert records[1]["layers"][1]["nonfinite"] == 0


def test_infinite_gradient_is_located_in_the_backward_pass(tmp_path):
    """Finite loss and outputs, an Inf put into one weight gradient: dW of that layer."""
    torch.manual_seed(0)
    model = mlp(depth=3)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)  # the weights stay finite
    x = torch.randn(16, 8)
    y = torch.randn(16, 1)
    with gradscope_hook.watch(model, tmp_path / "run", optimizer=opt) as h:
        for s in range(1, 4):
            opt.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()
            if s == 2:
                model[4].weight.grad[1, 1] = math.inf
            opt.step()
            h.step(loss)
    _, records, summary = read_run(tmp_path / "run")
    e = summary["explosion"]
    assert (e["step"], e["layer"], e["what"]) == (2, 3, "dW")
    assert records[1]["gradNorm"] == "Infinity"
    assert records[1]["layers"][2]["nonfinite"] == 1
    assert records[1]["layers"][2]["gradWeightNorm"] == "Infinity"
    assert records[2]["gradNorm"] != "Infinity"


# ---------------------------------------------------------------------------------------------
# Interrupt safety.

TRAIN_FOREVER = textwrap.dedent(
    """
    import sys, time, torch, torch.nn as nn
    sys.path.insert(0, {here!r})
    import gradscope_hook
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.randn(128, 16), torch.randn(128, 1)
    gradscope_hook.SUMMARY_INTERVAL = 0.05
    h = gradscope_hook.watch(model, {run!r}, optimizer=opt)
    while True:
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        h.step(loss)
    """
)


def start_training(run_dir):
    code = TRAIN_FOREVER.format(here=HERE, run=str(run_dir))
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for_lines(proc, path, n, timeout=120):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc.poll() is not None:
            raise AssertionError(f"training process ended: {proc.stderr.read().decode()}")
        if os.path.exists(path):
            with open(path) as f:
                if f.read().count("\n") >= n:
                    return
        time.sleep(0.05)
    raise AssertionError("no metrics written in time")


def test_killed_run_leaves_a_readable_directory(tmp_path):
    run = tmp_path / "run"
    proc = start_training(run)
    try:
        wait_for_lines(proc, run / "metrics.jsonl", 20)
        time.sleep(0.2)
        proc.send_signal(signal.SIGKILL)  # mid-way: no handler, no close()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    config, records, summary = read_run(run)  # every line parses
    assert len(records) >= 20
    assert [r["step"] for r in records] == list(range(1, len(records) + 1))
    assert summary["status"] == "running"
    assert 1 <= summary["stepsDone"] <= len(records) + 1
    assert len(config["modules"]) == 3
    assert all(len(r["layers"]) == 3 for r in records)


def test_interrupted_run_without_close_is_marked_interrupted(tmp_path):
    """Ctrl-C in a script that never calls close(): the atexit handler writes "interrupted"."""
    run = tmp_path / "run"
    proc = start_training(run)
    try:
        wait_for_lines(proc, run / "metrics.jsonl", 5)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    _, records, summary = read_run(run)
    assert summary["status"] == "interrupted"
    assert summary["stepsDone"] >= len(records) >= 5


# ---------------------------------------------------------------------------------------------
# Module kinds.


def modules_with_params(model):
    return sorted(n or "(root)" for n, m in model.named_modules() if any(True for _ in m.parameters(recurse=False)))


@pytest.mark.parametrize("batch_first", [False, True], ids=["seq-first", "batch-first"])
def test_post_ln_transformer_encoder(tmp_path, batch_first):
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(16, 4, 32, dropout=0.1, batch_first=batch_first, norm_first=False)
    encoder = nn.TransformerEncoder(layer, 2)
    model = nn.Sequential()
    model.add_module("encoder", encoder)
    head = nn.Linear(16, 3)
    opt = torch.optim.Adam(list(encoder.parameters()) + list(head.parameters()), lr=1e-3)
    shape = (4, 6, 16) if batch_first else (6, 4, 16)
    mask = torch.zeros(4, 6, dtype=torch.bool)
    mask[:, -1] = True  # padding
    with gradscope_hook.watch(encoder, tmp_path / "run", optimizer=opt) as h:
        for _ in range(3):
            opt.zero_grad()
            out = encoder(torch.randn(*shape), src_key_padding_mask=mask)
            loss = head(out).pow(2).mean()
            loss.backward()
            opt.step()
            h.step(loss)
    config, records, summary = read_run(tmp_path / "run")
    paths = [m["path"] for m in config["modules"]]
    assert sorted(paths) == modules_with_params(encoder)
    assert len(paths) == 12
    assert [m["layer"] for m in config["modules"]] == list(range(1, 13))
    by_path = {m["path"]: m for m in config["modules"]}
    assert by_path["layers.0.linear1"]["activation"] == "relu"  # F.relu inside the layer
    assert by_path["layers.0.self_attn.out_proj"]["outputOf"] == "layers.0.self_attn"
    assert paths.index("layers.0.self_attn.out_proj") == paths.index("layers.0.self_attn") + 1
    assert summary["status"] == "completed" and len(records) == 3
    for r in records:
        assert [layer["path"] for layer in r["layers"]] == paths
        for layer in r["layers"]:
            for key in ("q", "gradPreactMeanSq", "gradWeightNorm", "weightNorm", "actStd"):
                assert isinstance(layer[key], float) and math.isfinite(layer[key]) and layer[key] > 0, (layer["path"], key)
            assert layer["nonfinite"] == 0
            if r["step"] == 1:  # histograms every 10th recorded step
                assert layer["hist"]["grad"]["total"] > 0 and layer["hist"]["act"]["total"] > 0
        attn = next(layer for layer in r["layers"] if layer["path"] == "layers.1.self_attn")
        assert attn["weight"] == "in_proj_weight"


def test_conv_embedding_lstm_and_custom_modules(tmp_path):
    class Scale(nn.Module):  # a custom module with a raw parameter and no weight matrix
        def __init__(self, n):
            super().__init__()
            self.gain = nn.Parameter(torch.ones(n))

        def forward(self, x):
            return x * self.gain

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(20, 8)
            self.lstm = nn.LSTM(8, 8, batch_first=True)
            self.conv = nn.Conv2d(1, 4, 3, padding=1)
            self.bn = nn.BatchNorm2d(4)
            self.relu = nn.ReLU()
            self.scale = Scale(8)
            self.norm = nn.LayerNorm(8)
            self.head = nn.Linear(8 + 4, 2)

        def forward(self, tokens, image):
            seq, _ = self.lstm(self.emb(tokens))
            t = self.norm(self.scale(seq[:, -1]))
            c = self.relu(self.bn(self.conv(image))).mean(dim=(2, 3))
            return self.head(torch.cat([t, c], dim=1))

    torch.manual_seed(0)
    model = Net()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with gradscope_hook.watch(model, tmp_path / "run", optimizer=opt) as h:
        for _ in range(2):
            opt.zero_grad()
            loss = F.cross_entropy(model(torch.randint(0, 20, (5, 7)), torch.randn(5, 1, 6, 6)), torch.randint(0, 2, (5,)))
            loss.backward()
            opt.step()
            h.step(loss)
    config, records, _ = read_run(tmp_path / "run")
    by_path = {m["path"]: m for m in config["modules"]}
    assert sorted(by_path) == modules_with_params(model)
    assert [m["path"] for m in config["modules"]] == ["emb", "lstm", "scale", "norm", "conv", "bn", "head"]
    assert by_path["bn"]["activation"] == "relu" and by_path["conv"]["activation"] is None
    assert by_path["lstm"]["weight"] == "weight_ih_l0"
    assert by_path["scale"]["weight"] is None
    for r in records:
        for layer in r["layers"]:
            assert layer["q"] > 0 and layer["gradPreactMeanSq"] > 0 and layer["nonfinite"] == 0, layer["path"]
        scale = next(layer for layer in r["layers"] if layer["path"] == "scale")
        assert scale["weight"] is None and scale["gradWeightNorm"] == 0.0 and scale["updateRatio"] is None
        bn = next(layer for layer in r["layers"] if layer["path"] == "bn")
        assert 0 <= bn["dead"] <= 1 and 0 < bn["inactive"] < 1


def test_near_constant_weights_keep_their_spread(tmp_path):
    """A layer-norm gain of ones: std(W) = 0 exactly (update ratio not measurable, gradient to
    weight ratio infinite); a gain of 1 +- 1e-4: its std is 1e-4, not float32 rounding noise."""
    torch.manual_seed(0)
    results = []
    for spread in (0.0, 1e-4):
        model = nn.Sequential(nn.Linear(4, 4), nn.LayerNorm(4))
        with torch.no_grad():
            model[1].weight.copy_(1 + spread * torch.tensor([1.0, -1.0, 1.0, -1.0]))
        gamma = model[1].weight.detach().double().clone()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        x = torch.randn(8, 4)
        with gradscope_hook.watch(model, tmp_path / f"run-{spread}", optimizer=opt) as h:
            opt.zero_grad()
            loss = (model(x) * torch.randn(8, 4)).sum()
            loss.backward()
            dgamma = model[1].weight.grad.detach().double().clone()
            opt.step()
            h.step(loss)
        _, records, _ = read_run(tmp_path / f"run-{spread}")
        results.append((records[0]["layers"][1], gamma, dgamma))
    layer, gamma, dgamma = results[0]
    assert layer["gradToWeight"] == "Infinity" and layer["updateRatio"] is None
    layer, gamma, dgamma = results[1]
    w_std = float(gamma.std(unbiased=False))
    assert w_std == pytest.approx(1e-4, rel=1e-3)
    assert layer["gradToWeight"] == pytest.approx(float(dgamma.std(unbiased=False)) / w_std, rel=1e-4)
    assert layer["updateRatio"] == pytest.approx(math.log10(0.1 * float(dgamma.std(unbiased=False)) / w_std), abs=1e-3)


# ---------------------------------------------------------------------------------------------
# Against a straightforward reference computation: every metric of every module of a small
# CNN and MLP, recomputed in float64 from tensors captured by plain hooks, over several Adam
# steps (batch-norm gains of ones at step 1, 1 +- tiny after it).


class _Reference:
    """Captures, per watched module, its output z, the activation after it, dL/dz, and the
    parameters before and after each optimizer step; computes the hook's metrics from them in
    float64 with plain torch ops."""

    def __init__(self, model, acts):
        self.model = model
        self.acts = acts  # module path -> (activation module path, name)
        self.mods = {n: m for n, m in model.named_modules() if any(True for _ in m.parameters(recurse=False))}
        self.by_module = {id(m): n for n, m in model.named_modules()}
        self.z, self.a, self.g = {}, {}, {}
        for path, m in model.named_modules():
            m.register_forward_hook(self._fwd(path))

    def _fwd(self, path):
        def hook(module, inputs, out):
            if not torch.is_grad_enabled():
                return
            if path in self.mods:
                self.z[path] = out.detach().double().clone()
                out.register_hook(lambda g: self.g.__setitem__(path, g.detach().double().clone()))
            for owner, (act_path, _) in self.acts.items():
                if act_path == path:
                    self.a[owner] = out.detach().double().clone()

        return hook

    @staticmethod
    def _weight(m):
        return m.weight if getattr(m, "weight", None) is not None else None

    def before(self):
        self.w0 = {p: self._weight(m).detach().double().clone() for p, m in self.mods.items()}

    def metrics(self):
        def pstd(t):
            return float(t.std(unbiased=False))

        out = {}
        sq = 0.0
        for p in self.model.parameters():
            sq += float((p.grad.double() ** 2).sum())
        grad_norm = math.sqrt(sq)
        for path, m in self.mods.items():
            z, g = self.z[path], self.g[path]
            w0 = self.w0[path]
            w1 = self._weight(m).detach().double()
            dw = m.weight.grad.double()
            db = m.bias.grad.double()
            rec = {
                "q": float((z * z).mean()),
                "gradPreactMeanSq": float((g * g).mean()),
                "gradWeightNorm": float(dw.norm()),
                "gradBiasNorm": float(db.norm()),
                "weightNorm": float(w0.norm()),
                "gradToWeight": pstd(dw) / pstd(w0) if pstd(w0) > 0 else math.inf,
                "updateRatio": math.log10(pstd(w1 - w0) / pstd(w0)) if pstd(w0) > 0 else None,
            }
            act = self.acts.get(path)
            a = self.a[path] if act else z
            rec["actMean"] = float(a.mean())
            rec["actStd"] = pstd(a)
            units = [i for i in range(a.dim()) if i != (1 if isinstance(m, nn.Conv2d) or a.dim() == 4 else a.dim() - 1)]
            if act is None:
                rec.update(saturated=0.0, lowDerivative=0.0, inactive=0.0, dead=0.0)
            else:
                name = act[1]
                d = {"relu": (a > 0).double(), "tanh": 1 - a * a, "sigmoid": a * (1 - a)}[name]
                top = {"relu": 1.0, "tanh": 1.0, "sigmoid": 0.25}[name]
                low = float((d < 0.01 * top).double().mean())
                rec["lowDerivative"] = low
                rec["saturated"] = low if name in ("tanh", "sigmoid") else 0.0
                rec["inactive"] = float((d == 0).double().mean())
                rec["dead"] = float((d.abs().sum(dim=units) == 0).double().mean())
            rec["nonfinite"] = 0
            hists = {}
            for kind, t in (("grad", g), ("act", a)):
                v = t.abs().reshape(-1).float().double()
                hists[kind] = {"zeros": int((v == 0).sum()), "total": v.numel(), "exps": sorted(
                    torch.floor(torch.log2(v[v > 0])).long().tolist())}
            rec["hist"] = hists
            out[path] = rec
        return grad_norm, out


def _small_cnn():
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.Conv2d(4, 6, 3),
        nn.Tanh(),
        nn.Flatten(),
        nn.Linear(6 * 4 * 4, 12),
        nn.Sigmoid(),
        nn.Linear(12, 5),
    )


@pytest.mark.parametrize("flat", [True, False], ids=["flat-params", "per-tensor-params"])
@pytest.mark.parametrize("lazy", [True, False], ids=["cpu-policy", "eager-policy"])
def test_every_metric_matches_a_reference_computation(tmp_path, lazy, flat):
    torch.manual_seed(3)
    model = _small_cnn()
    acts = {"1": ("2", "relu"), "3": ("4", "tanh"), "6": ("7", "sigmoid")}
    ref = _Reference(model, acts)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    expected = []
    with gradscope_hook.watch(model, tmp_path / "run", optimizer=opt, hist_every=1) as h:
        h.stats.lazy = lazy
        assert h._flat is not None  # one dtype, one device: the parameters' flat buffer
        if not flat:  # the per-tensor path (mixed dtypes or devices, sparse gradients)
            h._flat = None
            h._w_before = None
            h._snapshot()
        for _ in range(4):
            x = torch.randn(16, 3, 6, 6)  # 16 x 4 x 6 x 6 outputs: histograms sampled
            y = torch.randint(0, 5, (16,))
            opt.zero_grad()
            ref.before()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            h.step(loss)
            expected.append((float(loss), *ref.metrics()))
    config, records, summary = read_run(tmp_path / "run")
    assert [m["path"] for m in config["modules"]] == ["0", "1", "3", "6", "8"]
    assert [m["activation"] for m in config["modules"]] == [None, "relu", "tanh", "sigmoid", None]
    assert summary["status"] == "completed" and len(records) == 4
    for rec, (loss, grad_norm, layers) in zip(records, expected):
        assert rec["loss"] == pytest.approx(loss, rel=1e-12)
        assert rec["gradNorm"] == pytest.approx(grad_norm, rel=2e-6)
        for got in rec["layers"]:
            exp = layers[got["path"]]
            where = (rec["step"], got["path"])
            for key in ("q", "gradPreactMeanSq", "gradWeightNorm", "gradBiasNorm", "weightNorm", "actMean"):
                assert got[key] == pytest.approx(exp[key], rel=2e-6, abs=1e-30), (where, key)
            # a std from float32-accurate moments: its variance is exact to ~1e-7 of the mean
            # square (relatively more when the mean dominates: sigmoid outputs near 0.5)
            mean_sq = exp["actStd"] ** 2 + exp["actMean"] ** 2
            assert abs(got["actStd"] ** 2 - exp["actStd"] ** 2) <= 1e-6 * mean_sq, where
            if math.isinf(exp["gradToWeight"]):
                assert got["gradToWeight"] == "Infinity", where
            else:
                assert got["gradToWeight"] == pytest.approx(exp["gradToWeight"], rel=1e-5), where
            if exp["updateRatio"] is None:
                assert got["updateRatio"] is None, where
            else:
                assert got["updateRatio"] == pytest.approx(exp["updateRatio"], abs=1e-5), where
            for key in ("saturated", "lowDerivative", "inactive", "dead", "nonfinite"):
                assert got[key] == pytest.approx(exp[key], abs=1e-12), (where, key)
            for kind in ("grad", "act"):
                hist, hexp = got["hist"][kind], exp["hist"][kind]
                assert hist["total"] == hexp["total"], (where, kind)
                assert hist["nonfinite"] == 0
                if hist["sampled"] == hist["total"]:  # every entry counted: the same bins
                    assert hist["zeros"] == hexp["zeros"], (where, kind)
                    exps = [round(math.log2(e)) for e in hist["edges"][:-1]]
                    got_exps = sorted(e for e, c in zip(exps, hist["counts"]) for _ in range(c))
                    assert got_exps == hexp["exps"], (where, kind)
                else:
                    assert sum(hist["counts"]) + hist["zeros"] == hist["sampled"]
        # every tensor is below the activation sample: statistics over every entry (above)
        assert all(layer["hist"]["act"]["sampled"] == layer["hist"]["act"]["total"] for layer in rec["layers"])


# ---------------------------------------------------------------------------------------------
# The activation sample: statistics of large tensors from a fixed sample of at most
# ACTIVATION_SAMPLE entries; q, gradPreactMeanSq, the parameters' norms, dead units and NaN/Inf
# counts over every entry.


class _Capture:
    """z of a module, a of its activation and dL/dz, kept in float64 by plain hooks."""

    def __init__(self, module, act):
        self.z = self.a = self.g = None
        module.register_forward_hook(self._z)
        act.register_forward_hook(lambda m, i, o: setattr(self, "a", o.detach().double().clone()))

    def _z(self, m, i, o):
        self.z = o.detach().double().clone()
        o.register_hook(lambda g: setattr(self, "g", g.detach().double().clone()))


@pytest.mark.parametrize("act_name", ["relu", "tanh"])
def test_sampled_statistics_agree_with_exact_ones(tmp_path, act_name):
    """Linear(64, 512) on 512 inputs: 262144 outputs, 4 times the sample. The sampled mean,
    std and fractions agree with the exact ones within 6 standard errors of the sample
    (sd / sqrt(sampled entries) for a mean, sqrt(p (1 - p) / sampled) for a fraction); q,
    gradPreactMeanSq, the norms and the dead units equal a float64 recomputation."""
    torch.manual_seed(5)
    lin = nn.Linear(64, 512)
    act = nn.ReLU() if act_name == "relu" else nn.Tanh()
    with torch.no_grad():
        lin.weight.mul_(4.0)  # tanh saturates for some entries
        if act_name == "relu":
            lin.bias[:7] = -100.0  # 7 dead units of 512
    model = nn.Sequential(lin, act, nn.Linear(512, 3))
    cap = _Capture(lin, act)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.randn(512, 64)
    with gradscope_hook.watch(model, tmp_path / "run", optimizer=opt) as h:
        opt.zero_grad()
        loss = (model(x) * torch.randn(512, 3)).sum()
        loss.backward()
        dW = lin.weight.grad.detach().double().clone()
        opt.step()
        h.step(loss)
    config, records, _ = read_run(tmp_path / "run")
    assert config["activationSample"] == gradscope_hook.ACTIVATION_SAMPLE == 65536
    layer = records[0]["layers"][0]
    z, a, g = cap.z, cap.a, cap.g
    ns = gradscope_hook._plan(torch.empty(512, 512), 1, 65536).count
    assert 32768 <= ns <= 65536
    sd = float(a.std(unbiased=False))
    assert abs(layer["actMean"] - float(a.mean())) <= 6 * sd / math.sqrt(ns)
    assert abs(layer["actStd"] - sd) <= 6 * sd / math.sqrt(ns)
    if act_name == "relu":
        d = (a > 0).double()
        low = float((d == 0).double().mean())
    else:
        d = 1 - a * a
        low = float((d < 0.01).double().mean())
        assert layer["saturated"] == layer["lowDerivative"]
        assert 0.01 < low < 0.99
    assert abs(layer["lowDerivative"] - low) <= 6 * math.sqrt(low * (1 - low) / ns) + 1e-12
    # exact: over every entry
    assert layer["q"] == pytest.approx(float((z * z).mean()), rel=1e-6)
    assert layer["gradPreactMeanSq"] == pytest.approx(float((g * g).mean()), rel=1e-6)
    assert layer["gradWeightNorm"] == pytest.approx(float(dW.norm()), rel=1e-6)
    assert layer["dead"] == float((d.sum(dim=0) == 0).double().mean())
    if act_name == "relu":
        assert layer["dead"] == 7 / 512
    assert layer["nonfinite"] == 0
    # the histograms come from the sample: at most HIST_SAMPLE entries of it
    assert layer["hist"]["act"]["total"] == 512 * 512
    assert layer["hist"]["act"]["sampled"] <= gradscope_hook.HIST_SAMPLE


def test_small_tensors_are_not_sampled(tmp_path):
    """A tensor of at most activation_sample entries is taken whole; a smaller
    activation_sample samples it (and says so in config.json)."""
    for limit in (65536, 256):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(8, 64), nn.Sigmoid(), nn.Linear(64, 1))
        cap = _Capture(model[0], model[1])
        x = torch.randn(100, 8)
        with gradscope_hook.watch(model, tmp_path / f"run-{limit}", activation_sample=limit) as h:
            out = model(x).sum()
            out.backward()
            h.step(out)
        config, records, _ = read_run(tmp_path / f"run-{limit}")
        assert config["activationSample"] == limit
        layer = records[0]["layers"][0]
        exact = float(cap.a.mean())
        if limit == 65536:
            assert layer["actMean"] == pytest.approx(exact, rel=1e-6)
        else:
            assert layer["actMean"] != pytest.approx(exact, rel=1e-9)
            assert abs(layer["actMean"] - exact) < 0.05
        assert layer["q"] == pytest.approx(float((cap.z * cap.z).mean()), rel=1e-6)


def test_nan_at_an_unsampled_position_is_counted(tmp_path):
    """One NaN in a row the activation sample skips: z and its ReLU (forward), then, in a run
    whose loss stays finite, dL/dz (backward): counted over every entry, the explosion
    located."""
    plan = gradscope_hook._plan(torch.empty(512, 512), 1, 65536)
    assert plan.ko > 1  # row 1 is not in the sample
    torch.manual_seed(0)

    class Poke(nn.Module):
        """A module with a parameter whose output has one NaN at [1, 3]."""

        def __init__(self):
            super().__init__()
            self.gain = nn.Parameter(torch.ones(512))

        def forward(self, x):
            y = x * self.gain
            mask = torch.zeros_like(y)
            mask[1, 3] = math.nan
            return y + mask

    model = nn.Sequential(nn.Linear(64, 512), Poke(), nn.ReLU(), nn.Linear(512, 1))
    x = torch.randn(512, 64)
    with gradscope_hook.watch(model, tmp_path / "fwd") as h:
        out = model(x)[[0, 2]].sum()  # the NaN row is not in the loss: it stays finite
        out.backward()
        h.step(out)
    _, records, summary = read_run(tmp_path / "fwd")
    assert math.isfinite(records[0]["loss"])
    poke = records[0]["layers"][1]
    assert poke["path"] == "1"
    assert poke["nonfinite"] >= 2  # z[1, 3] and, unless ReLU zeroed it, a[1, 3] (NaN stays NaN)
    assert summary["explosion"]["what"] == "z" and summary["explosion"]["layer"] == 2

    # a NaN in an output gradient only, at an unsampled row: a parameterless module between
    # the second Linear and the head puts it into the gradient its input receives
    class NanGrad(torch.autograd.Function):
        @staticmethod
        def forward(ctx, y):
            return y.clone()

        @staticmethod
        def backward(ctx, g):
            g = g.clone()
            g[1, 3] = math.nan
            return g

    class Poison(nn.Module):
        def forward(self, y):
            return NanGrad.apply(y)

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 512), nn.ReLU(), nn.Linear(512, 512), Poison(), nn.Linear(512, 1))
    with gradscope_hook.watch(model, tmp_path / "bwd") as h:
        out = model(x).sum()
        out.backward()
        h.step(out)
    _, records, summary = read_run(tmp_path / "bwd")
    assert math.isfinite(records[0]["loss"])
    layers = records[0]["layers"]
    assert layers[1]["path"] == "2"
    assert layers[1]["nonfinite"] >= 1  # dL/dz of the second Linear: one NaN of 262144 (and dW)
    assert layers[1]["gradPreactMeanSq"] == "NaN"
    assert layers[2]["nonfinite"] == 0
    assert (summary["explosion"]["what"], summary["explosion"]["layer"]) == ("dz", 2)


def test_histograms_every_hist_every_recorded_steps(tmp_path):
    torch.manual_seed(0)
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    with gradscope_hook.watch(model, tmp_path / "run", every=2, optimizer=opt, hist_every=3) as h:
        train(model, h, 12, opt)
    config, records, _ = read_run(tmp_path / "run")
    assert config["histEvery"] == 3
    # recorded: 1, 2, 4, 6, 8, 10, 12; histograms on the 1st, 4th and 7th of them
    assert [r["step"] for r in records] == [1, 2, 4, 6, 8, 10, 12]
    assert [r["step"] for r in records if "hist" in r["layers"][0]] == [1, 6, 12]
    with pytest.raises(ValueError):
        gradscope_hook.watch(model, tmp_path / "bad", hist_every=0)
