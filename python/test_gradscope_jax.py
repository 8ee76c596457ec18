"""Tests of python/gradscope_jax.py. Its logic runs on numpy pytrees (tested here without
jax); the test with real JAX arrays is skipped when jax is not installed (it is not in CI)."""

from __future__ import annotations

import json
import math
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gradscope_jax  # noqa: E402


def read_run(run_dir):
    def strict(name):
        raise ValueError(name)

    with open(os.path.join(run_dir, "config.json")) as f:
        config = json.load(f, parse_constant=strict)
    with open(os.path.join(run_dir, "summary.json")) as f:
        summary = json.load(f, parse_constant=strict)
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        records = [json.loads(line, parse_constant=strict) for line in f]
    return config, records, summary


def mlp_step(params, x, y):
    """A tanh MLP in numpy with hand-written backpropagation: loss, grads, outputs, output
    gradients (the pytrees the recorder takes), keyed like Flax's Dense_i."""
    names = sorted(params, key=lambda p: int(p.split("_")[1]))
    h = x
    zs, hs = {}, [x]
    for i, name in enumerate(names):
        z = h @ params[name]["kernel"] + params[name]["bias"]
        zs[name] = z
        h = np.tanh(z) if i < len(names) - 1 else z
        hs.append(h)
    loss = float(np.mean((h - y) ** 2))
    grads, dzs = {}, {}
    d = 2 * (h - y) / h.size
    for i in reversed(range(len(names))):
        name = names[i]
        if i < len(names) - 1:
            d = d * (1 - np.tanh(zs[name]) ** 2)
        dzs[name] = d
        grads[name] = {"kernel": hs[i].T @ d, "bias": d.sum(axis=0)}
        d = d @ params[name]["kernel"].T
    return loss, grads, zs, dzs


def make_params(rng, sizes):
    return {
        f"Dense_{i}": {"kernel": rng.normal(0, 1 / math.sqrt(a), (a, b)), "bias": np.zeros(b)}
        for i, (a, b) in enumerate(zip(sizes, sizes[1:]))
    }


def test_records_parameter_and_output_statistics(tmp_path):
    rng = np.random.default_rng(0)
    sizes = [4] + [6] * 11 + [1]  # Dense_0 .. Dense_11: natural order puts Dense_10 last but one
    params = make_params(rng, sizes)
    x = rng.normal(size=(16, 4))
    y = rng.normal(size=(16, 1))
    acts = {f"Dense_{i}": "tanh" for i in range(11)}
    with gradscope_jax.Recorder(tmp_path / "run", every=2, lr=0.1, optimizer="sgd", activations=acts) as rec:
        for _ in range(5):
            loss, grads, zs, dzs = mlp_step(params, x, y)
            new = {k: {n: v - 0.1 * grads[k][n] for n, v in p.items()} for k, p in params.items()}
            rec.step(loss, grads, params, new, outputs=zs, output_grads=dzs)
            first = (loss, grads, zs, dzs, params, new) if rec.n == 1 else first
            params = new
    config, records, summary = read_run(tmp_path / "run")
    assert config["source"] == "jax" and config["dtype"] == "f64"
    assert [m["path"] for m in config["modules"]] == [f"Dense_{i}" for i in range(12)]
    assert config["modules"][0]["weight"] == "kernel" and config["modules"][0]["activation"] == "tanh"
    assert [r["step"] for r in records] == [1, 2, 4]
    assert summary["status"] == "completed" and summary["stepsDone"] == 5
    loss, grads, zs, dzs, p0, p1 = first
    layer = records[0]["layers"][3]
    name = "Dense_3"
    W, dW = p0[name]["kernel"], grads[name]["kernel"]
    assert records[0]["loss"] == pytest.approx(loss, rel=1e-12)
    assert layer["q"] == pytest.approx(float(np.mean(zs[name] ** 2)), rel=1e-12)
    assert layer["gradPreactMeanSq"] == pytest.approx(float(np.mean(dzs[name] ** 2)), rel=1e-12)
    assert layer["gradWeightNorm"] == pytest.approx(float(np.linalg.norm(dW)), rel=1e-12)
    assert layer["weightNorm"] == pytest.approx(float(np.linalg.norm(W)), rel=1e-12)
    assert layer["gradToWeight"] == pytest.approx(float(np.std(dW) / np.std(W)), rel=1e-12)
    assert layer["updateRatio"] == pytest.approx(math.log10(np.std(p1[name]["kernel"] - W) / np.std(W)), rel=1e-9)
    a = np.tanh(zs[name])
    assert layer["actMean"] == pytest.approx(float(a.mean()), rel=1e-12)
    assert layer["saturated"] == pytest.approx(float(np.mean(1 - a * a < 0.01)))
    total = math.sqrt(sum(float(np.sum(g * g)) for p in grads.values() for g in p.values()))
    assert records[0]["gradNorm"] == pytest.approx(total, rel=1e-12)
    assert sum(layer["hist"]["grad"]["counts"]) + layer["hist"]["grad"]["zeros"] == dzs[name].size


def test_explosion_between_recorded_steps(tmp_path):
    rng = np.random.default_rng(1)
    params = make_params(rng, [3, 4, 1])
    x = rng.normal(size=(8, 3))
    y = rng.normal(size=(8, 1))
    with gradscope_jax.Recorder(tmp_path / "run", every=10) as rec:
        for s in range(1, 6):
            loss, grads, _, _ = mlp_step(params, x, y)
            if s == 3:
                grads["Dense_0"]["kernel"][0, 0] = math.inf
            rec.step(loss, grads, params)
    _, records, summary = read_run(tmp_path / "run")
    assert [r["step"] for r in records] == [1, 3]
    assert summary["status"] == "exploded"
    e = summary["explosion"]
    assert (e["step"], e["layer"], e["what"]) == (3, 1, "dW")
    assert records[1]["gradNorm"] == "Infinity"


def test_with_jax_arrays(tmp_path):
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    params = {"Dense_0": {"kernel": jnp.ones((3, 2)) * 0.5, "bias": jnp.zeros(2)}}
    x = jnp.arange(6.0).reshape(2, 3)

    def loss_fn(p):
        return jnp.mean(jnp.tanh(x @ p["Dense_0"]["kernel"] + p["Dense_0"]["bias"]) ** 2)

    with gradscope_jax.Recorder(tmp_path / "run") as rec:
        for _ in range(2):
            loss, grads = jax.value_and_grad(loss_fn)(params)
            new = jax.tree_util.tree_map(lambda p, g: p - 0.1 * g, params, grads)
            rec.step(loss, grads, params, new)
            params = new
    _, records, summary = read_run(tmp_path / "run")
    assert summary["status"] == "completed" and len(records) == 2
    assert records[0]["layers"][0]["gradWeightNorm"] > 0
