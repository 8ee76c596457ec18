"""Replay a recurrent `gradscope probe --dump` (arch rnn, lstm or gru) in PyTorch.

Called by replay-torch.py as `replay(dump)`. The sequence is unrolled with PyTorch's own
equations, step by step, so every h_t (and the LSTM's c_t) is a graph node whose .grad is
the total dL/dh_t that gradscope reports; autograd gives every parameter gradient. Where
torch has a fused module for the same net (nn.LSTM, nn.GRU, nn.RNN with tanh or relu), the
module is run with the same weights as well, and its h_1..h_T and parameter gradients must
agree with the unrolled ones: that pins the gate order and equations to torch's, not only to
our reading of its documentation.
"""
import torch

from replay_common import activation, probe_loss, rel_err, tensor, verdict

GATES = {"rnn": 1, "lstm": 4, "gru": 3}
NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def unroll(arch, phi, params, xs, batch, hidden, dtype):
    """Run the cell over xs[t] ([batch, I]); returns the lists of h_t and c_t (graph nodes)."""
    w_ih, w_hh, b_ih, b_hh = (params[n] for n in NAMES)
    h = torch.zeros(batch, hidden, dtype=dtype)
    c = torch.zeros(batch, hidden, dtype=dtype)
    hs, cs = [], []
    H = hidden
    for x in xs:
        gi = x @ w_ih.T + b_ih
        gh = h @ w_hh.T + b_hh
        if arch == "rnn":
            h = phi(gi + gh)
        elif arch == "lstm":
            g = gi + gh
            i, f = torch.sigmoid(g[:, :H]), torch.sigmoid(g[:, H : 2 * H])
            gg, o = torch.tanh(g[:, 2 * H : 3 * H]), torch.sigmoid(g[:, 3 * H :])
            c = f * c + i * gg
            c.retain_grad()
            cs.append(c)
            h = o * torch.tanh(c)
        else:
            r = torch.sigmoid(gi[:, :H] + gh[:, :H])
            z = torch.sigmoid(gi[:, H : 2 * H] + gh[:, H : 2 * H])
            n = torch.tanh(gi[:, 2 * H :] + r * gh[:, 2 * H :])
            h = (1 - z) * n + z * h
        h.retain_grad()
        hs.append(h)
    return hs, cs


def torch_module(arch, act, I, H, dtype):
    if arch == "lstm":
        return torch.nn.LSTM(I, H, batch_first=True, dtype=dtype)
    if arch == "gru":
        return torch.nn.GRU(I, H, batch_first=True, dtype=dtype)
    if act in ("tanh", "relu"):
        return torch.nn.RNN(I, H, nonlinearity=act, batch_first=True, dtype=dtype)
    return None


def head_loss(dump, hT, dtype):
    """The probe's loss of h_T, through the readout when there is one; returns (loss, readout W)."""
    target = tensor(dump["target"], dtype)
    readout = dump.get("readout")
    if not readout:
        return probe_loss(dump["lossName"], hT, target), None
    Wr = tensor(readout["W"], dtype).requires_grad_()
    br = tensor(readout["b"], dtype).reshape(-1).requires_grad_()
    return probe_loss(dump["lossName"], hT @ Wr.T + br, target), Wr


def replay(dump):
    dtype = torch.float64 if dump["dtype"] == "f64" else torch.float32
    arch = dump["arch"]
    T, I, H, B = dump["seqLen"], dump["inputDim"], dump["hidden"], dump["batch"]
    x = tensor(dump["input"], dtype).reshape(B, T, I)
    params = {n: tensor(dump["params"][n], dtype) for n in NAMES}
    for n in ("bias_ih", "bias_hh"):
        params[n] = params[n].reshape(-1)
    for p in params.values():
        p.requires_grad_()
    phi = activation(dump["activation"], dump.get("slope", 0.01))
    hs, cs = unroll(arch, phi, params, [x[:, t] for t in range(T)], B, H, dtype)
    loss, Wr = head_loss(dump, hs[-1], dtype)
    loss.backward()

    worst = {}

    def note(key, ours, theirs):
        worst[key] = max(worst.get(key, 0.0), rel_err(ours, theirs))

    steps = lambda key: tensor(dump[key], dtype).reshape(T, B, H)  # noqa: E731
    note("h", steps("h"), torch.stack([h.detach() for h in hs]))
    note("dh", steps("dh"), torch.stack([h.grad for h in hs]))
    # per step too: a vanishing dL/dh_1 must match to its own scale, not to dL/dh_T's
    for t in range(T):
        worst["dh per step"] = max(worst.get("dh per step", 0.0), rel_err(steps("dh")[t], hs[t].grad))
    if arch == "lstm":
        note("c", steps("c"), torch.stack([c.detach() for c in cs]))
        note("dc", steps("dc"), torch.stack([c.grad for c in cs]))
    for n in NAMES:
        note(f"d{n}", tensor(dump["grads"][n], dtype).reshape(params[n].shape), params[n].grad)
    if Wr is not None:
        note("readout.dW", tensor(dump["readout"]["dW"], dtype), Wr.grad)
    worst["loss"] = abs(loss.item() - dump["loss"]) / max(abs(loss.item()), 1e-300)

    module = torch_module(arch, dump["activation"], I, H, dtype)
    if module is not None:
        with torch.no_grad():
            for n in NAMES:
                getattr(module, f"{n}_l0").copy_(params[n].detach())
        out, _ = module(x)
        mloss, _ = head_loss(dump, out[:, -1], dtype)
        mloss.backward()
        note("module h", torch.stack([h.detach() for h in hs]), out.detach().transpose(0, 1))
        for n in NAMES:
            note(f"module d{n}", params[n].grad, getattr(module, f"{n}_l0").grad)
    return verdict(worst, dtype, loss.item())
