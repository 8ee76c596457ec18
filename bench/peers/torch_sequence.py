"""PyTorch peer of bench/sequence-bench.ts: the same training step of a recurrent net or a
transformer, on the weights and batch of a `gradscope probe --dump`.

Usage: /usr/bin/python3 bench/peers/torch_sequence.py DUMP.json REPEATS STEPS_PER_BLOCK WARMUP
Prints one JSON line: {"torch", "threads", "module", "check": {"loss1"}, "rates": [...]}.
One step = forward + the probe's loss (random projection of the output) + backward + SGD
(lr 0.01). Recurrent nets run on torch's fused modules (nn.RNN / nn.LSTM / nn.GRU), what a
user would pick; the transformer on the replay's functional blocks (the same equations).
"""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from replay_common import tensor  # noqa: E402

torch.set_num_threads(2)
LR = 0.01


def recurrent(dump, dtype):
    from replay_recurrent import NAMES, torch_module

    T, I, H, B = dump["seqLen"], dump["inputDim"], dump["hidden"], dump["batch"]
    module = torch_module(dump["arch"], dump["activation"], I, H, dtype)
    with torch.no_grad():
        for n in NAMES:
            w = tensor(dump["params"][n], dtype)
            getattr(module, f"{n}_l0").copy_(w.reshape(getattr(module, f"{n}_l0").shape))
    x = tensor(dump["input"], dtype).reshape(B, T, I)
    target = tensor(dump["target"], dtype)
    params = list(module.parameters())

    def loss_fn():
        out, _ = module(x)
        return (target * out[:, -1]).sum()

    return loss_fn, params, type(module).__name__


def transformer(dump, dtype):
    import replay_transformer as rt

    d, T = dump["width"], dump["seqLen"]
    x = tensor(dump["input"], dtype)
    target = tensor(dump["target"], dtype)
    batch = x.shape[0]
    E = rt.leaf(dump["embed"]["E"], dtype)
    P = tensor(dump["embed"]["P"], dtype)
    blocks = [{name: rt.leaf(b[name], dtype) for name in rt.BLOCK_PARAMS} for b in dump["blocks"]]
    final = dump.get("final")
    fp = {k: rt.leaf(final[k], dtype) for k in ("gamma", "beta")} if final else None
    params = [E] + [p for b in blocks for p in b.values()] + (list(fp.values()) if fp else [])

    def loss_fn():
        h = torch.nn.functional.linear(x.reshape(batch * T, -1), E) + P.repeat(batch, 1)
        for p in blocks:
            h = rt.block(h, p, dump)
        if fp:
            h = rt.layer_norm(h, fp["gamma"], fp["beta"])
        return (target * h.reshape(batch, T * d)).sum()

    return loss_fn, params, "functional blocks"


def main(path, repeats, per_block, warmup):
    dump = json.load(open(path))
    dtype = torch.float64 if dump["dtype"] == "f64" else torch.float32
    build = transformer if dump["arch"] == "transformer" else recurrent
    loss_fn, params, module = build(dump, dtype)
    opt = torch.optim.SGD(params, lr=LR)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn()
        loss.backward()
        opt.step()
        return loss

    loss1 = step().item()
    for _ in range(warmup):
        step()
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(per_block):
            step()
        rates.append(per_block / (time.perf_counter() - t0))
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "module": module,
                      "check": {"loss1": loss1}, "rates": rates}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
