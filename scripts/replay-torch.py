#!/usr/bin/env python3
"""Replay a `gradscope probe --dump FILE` in PyTorch and compare every gradient.

Usage: /usr/bin/python3 scripts/replay-torch.py DUMP.json
Prints one JSON object: the worst relative errors of z, a and of every gradient, and the loss.
Exit code 0 when all agree within the tolerance (1e-10 for float64 dumps, 1e-4 for float32).
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from replay_common import activation, probe_loss, rel_err, tensor, verdict  # noqa: E402


def main(path):
    dump = json.load(open(path))
    arch = dump.get("arch", "mlp")
    if arch in ("rnn", "lstm", "gru"):
        from replay_recurrent import replay
    elif arch == "transformer":
        from replay_transformer import replay
    else:
        replay = replay_mlp
    report = replay(dump)
    print(json.dumps(report))
    return 0 if report["ok"] else 1


def replay_mlp(dump):
    """Replay a fully connected network's dump; returns the report (see replay_common.verdict)."""
    dtype = torch.float64 if dump["dtype"] == "f64" else torch.float32
    x = tensor(dump["input"], dtype)
    target = tensor(dump["target"], dtype)
    params, acts = [], []
    a = x
    for layer in dump["layers"]:
        W = tensor(layer["W"], dtype).requires_grad_()
        b = tensor(layer["b"], dtype).reshape(-1).requires_grad_()
        z = a @ W.T + b
        z.retain_grad()
        u = z
        entry = {"layer": layer, "W": W, "b": b, "z": z}
        if layer.get("batchNorm") or layer.get("layerNorm"):
            gamma = tensor(layer["gamma"], dtype).reshape(-1).requires_grad_()
            beta = tensor(layer["beta"], dtype).reshape(-1).requires_grad_()
            if layer.get("batchNorm"):
                u = F.batch_norm(z, None, None, gamma, beta, training=True, eps=1e-5)
            else:
                u = F.layer_norm(z, (z.shape[1],), gamma, beta, eps=1e-5)
            entry.update(gamma=gamma, beta=beta)
        phi = activation(layer["activation"], layer.get("slope", 0.01))(u)
        a = a + layer.get("branchScale", 1) * phi if layer.get("residual") else phi
        entry["a"] = a
        acts.append(entry)
    out = a
    readout = dump.get("readout")
    if readout:
        Wr = tensor(readout["W"], dtype).requires_grad_()
        br = tensor(readout["b"], dtype).reshape(-1).requires_grad_()
        out = a @ Wr.T + br
    loss = probe_loss(dump.get("lossName", dump["config"]["loss"]), out, target)
    loss.backward()
    worst = {}

    def note(key, ours, theirs):
        worst[key] = max(worst.get(key, 0.0), rel_err(ours, theirs))

    for e in acts:
        L = e["layer"]
        note("z", tensor(L["z"], dtype), e["z"].detach())
        note("a", tensor(L["a"], dtype), e["a"].detach())
        note("dz", tensor(L["dz"], dtype), e["z"].grad)
        note("dW", tensor(L["dW"], dtype), e["W"].grad)
        if not L.get("batchNorm"):  # the bias before batch norm has zero gradient
            note("db", tensor(L["db"], dtype).reshape(-1), e["b"].grad)
        if "gamma" in e:
            note("dgamma", tensor(L["dgamma"], dtype).reshape(-1), e["gamma"].grad)
            note("dbeta", tensor(L["dbeta"], dtype).reshape(-1), e["beta"].grad)
    if readout:
        note("readout.dW", tensor(readout["dW"], dtype), Wr.grad)
    loss_err = abs(loss.item() - dump["loss"]) / max(abs(loss.item()), 1e-300)
    worst["loss"] = loss_err
    return verdict(worst, dtype, loss.item())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
