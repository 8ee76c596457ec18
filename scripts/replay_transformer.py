"""Replay a transformer `probe --dump` (\"arch\": \"transformer\") in PyTorch with explicit ops.

Rebuilds the embedding, positions, every block (post-LN, pre-LN or DeepNorm), pre-LN's final
LayerNorm and the head from the dumped weights, runs the dumped loss, lets autograd compute every
gradient and compares each tensor the dump holds: block outputs, input gradients and all
parameter gradients. replay(dump) returns replay_common.verdict(worst, dtype, loss).
"""
import math

import torch
import torch.nn.functional as F

from replay_common import probe_loss, rel_err, tensor, verdict

BLOCK_PARAMS = [
    "attn.Wq", "attn.bq", "attn.Wk", "attn.bk", "attn.Wv", "attn.bv", "attn.Wo", "attn.bo",
    "ffn.W1", "ffn.b1", "ffn.W2", "ffn.b2",
    "ln1.gamma", "ln1.beta", "ln2.gamma", "ln2.beta",
]


def leaf(t, dtype):
    """A dumped parameter as a leaf tensor; [1, n] biases and gains become vectors."""
    x = tensor(t, dtype)
    if x.shape[0] == 1:
        x = x.reshape(-1)
    return x.requires_grad_()


def attention(u, p, heads, seq_len):
    """Multi-head self-attention over u [batch*T, d], no mask."""
    n, d = u.shape
    batch, dh = n // seq_len, d // heads

    def split(z):  # [batch*T, d] -> [batch, heads, T, dh]
        return z.reshape(batch, seq_len, heads, dh).transpose(1, 2)

    q = split(F.linear(u, p["attn.Wq"], p["attn.bq"]))
    k = split(F.linear(u, p["attn.Wk"], p["attn.bk"]))
    v = split(F.linear(u, p["attn.Wv"], p["attn.bv"]))
    w = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh), dim=-1)
    c = (w @ v).transpose(1, 2).reshape(n, d)
    return F.linear(c, p["attn.Wo"], p["attn.bo"])


def ffn(u, p, act):
    a = torch.relu if act == "relu" else F.gelu
    return F.linear(a(F.linear(u, p["ffn.W1"], p["ffn.b1"])), p["ffn.W2"], p["ffn.b2"])


def layer_norm(z, gamma, beta):
    return F.layer_norm(z, (z.shape[-1],), gamma, beta, eps=1e-5)


def block(x, p, dump):
    """One block on x [batch*T, d]."""
    heads, T, act, alpha = dump["heads"], dump["seqLen"], dump["activation"], dump["alpha"]
    ln1 = lambda z: layer_norm(z, p["ln1.gamma"], p["ln1.beta"])  # noqa: E731
    ln2 = lambda z: layer_norm(z, p["ln2.gamma"], p["ln2.beta"])  # noqa: E731
    if dump["normPosition"] == "pre":
        h = x + attention(ln1(x), p, heads, T)
        return h + ffn(ln2(h), p, act)
    h = ln1(alpha * x + attention(x, p, heads, T))
    return ln2(alpha * h + ffn(h, p, act))


def replay(dump):
    dtype = torch.float64 if dump["dtype"] == "f64" else torch.float32
    d, T = dump["width"], dump["seqLen"]
    x = tensor(dump["input"], dtype)
    target = tensor(dump["target"], dtype)
    batch = x.shape[0]
    emb = dump["embed"]
    E = leaf(emb["E"], dtype)
    learned = "dP" in emb
    P = tensor(emb["P"], dtype)
    if learned:
        P.requires_grad_()
    h = F.linear(x.reshape(batch * T, -1), E) + P.repeat(batch, 1)
    h.retain_grad()
    h0 = h
    params, outputs, inputs = [], [], []
    for b in dump["blocks"]:
        p = {name: leaf(b[name], dtype) for name in BLOCK_PARAMS}
        inputs.append(h)
        h = block(h, p, dump)
        h.retain_grad()
        outputs.append(h)
        params.append(p)
    final = dump.get("final")
    if final:
        fp = {k: leaf(final[k], dtype) for k in ("gamma", "beta")}
        h = layer_norm(h, fp["gamma"], fp["beta"])
    rep = h.reshape(batch, T * d)
    head = dump.get("head")
    out = rep
    if head:
        hp = {k: leaf(head[k], dtype) for k in ("W", "b")}
        if head["kind"] == "sequence":
            out = F.linear(h.reshape(batch, T, d).mean(dim=1), hp["W"], hp["b"])
        else:
            out = F.linear(h, hp["W"], hp["b"]).reshape(batch, -1)
    if head and head["kind"] == "token":
        classes = hp["W"].shape[0]
        loss = probe_loss("cross-entropy", out.reshape(-1, classes), target.reshape(-1, classes))
    else:
        loss = probe_loss(dump["lossName"], out, target)
    loss.backward()

    worst = {}

    def note(key, ours, theirs):
        ours = tensor(ours, dtype).reshape(theirs.shape)
        worst[key] = max(worst.get(key, 0.0), rel_err(ours, theirs))

    note("representation", dump["representation"], rep.detach())
    note("embed.dE", emb["dE"], E.grad)
    note("embed.dh", emb["dh"], h0.grad)
    if learned:
        note("embed.dP", emb["dP"], P.grad)
    for b, p, y, xin in zip(dump["blocks"], params, outputs, inputs):
        note("y", b["y"], y.detach())
        note("dx", b["dx"], xin.grad)
        for name in BLOCK_PARAMS:
            if name == "attn.bk":
                # The key bias's true gradient is zero (softmax ignores a shift of a row's scores):
                # both sides hold round-off, compared on the scale of the key weights' gradient.
                ours = tensor(b["dattn.bk"], dtype).reshape(-1)
                scale = max(p["attn.Wk"].grad.abs().max().item(), 1e-300)
                err = (ours - p[name].grad).abs().max().item() / scale
                worst["dattn.bk"] = max(worst.get("dattn.bk", 0.0), err)
                continue
            note(f"d{name}", b[f"d{name}"], p[name].grad)
    if final:
        for k in ("gamma", "beta"):
            note(f"final.d{k}", final[f"d{k}"], fp[k].grad)
    if head:
        for k in ("W", "b"):
            note(f"head.d{k}", head[f"d{k}"], hp[k].grad)
    worst["loss"] = abs(loss.item() - dump["loss"]) / max(abs(loss.item()), 1e-300)
    return verdict(worst, dtype, loss.item())
