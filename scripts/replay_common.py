"""Helpers shared by the PyTorch replays of `gradscope probe --dump` (MLP, recurrent, transformer)."""
import math

import torch
import torch.nn.functional as F


def tensor(t, dtype):
    data = [float(v) if not isinstance(v, str) else float(v.replace("Infinity", "inf")) for v in t["data"]]
    return torch.tensor(data, dtype=dtype).reshape(t["shape"])


def activation(name, slope):
    return {
        "identity": lambda u: u,
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "leaky-relu": lambda u: F.leaky_relu(u, slope),
        "elu": F.elu,
        "selu": F.selu,
        "gelu": F.gelu,
        # PyTorch's softplus switches to the identity above 20; use the exact formula.
        "softplus": lambda u: torch.where(u > 0, u + torch.log1p(torch.exp(-u)), torch.log1p(torch.exp(u))),
        "swish": F.silu,
    }[name]


def rel_err(ours, theirs):
    scale = max(theirs.abs().max().item(), 1e-300)
    return (ours - theirs).abs().max().item() / scale


def tolerance(dtype):
    return 1e-10 if dtype == torch.float64 else 1e-4


def verdict(worst, dtype, torch_loss):
    """The replay's report: ok when every worst relative error is within the dtype's tolerance."""
    tol = tolerance(dtype)
    ok = all(v <= tol for v in worst.values() if not math.isnan(v))
    return {"ok": ok, "tolerance": tol, "worst": worst, "torchLoss": torch_loss}


def probe_loss(loss_name, out, target):
    """The probe's loss in torch: random projection, mean squared error or cross-entropy."""
    if loss_name == "random-projection":
        return (target * out).sum()
    if loss_name == "mse":
        return F.mse_loss(out, target)
    return -(target * F.log_softmax(out, dim=1)).sum(dim=1).mean()
