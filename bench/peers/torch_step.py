"""PyTorch peer of bench/run.ts: the same training step on the same weights and batch.

Usage: /usr/bin/python3 bench/peers/torch_step.py <export path without extension> <repeats> <steps per block> <warmup>
Reads <path>.json and <path>.bin (written by bench/workloads.ts exportWorkload), prints one JSON
line: {"blas": ..., "threads": ..., "check": {"loss1", "norms1", "loss2"}, "rates": [...]}.
One step = forward + softmax cross-entropy + backward + L2 norm of every weight gradient + SGD.
"""
import json
import sys
import time

import numpy as np
import torch

torch.set_num_threads(2)
torch.manual_seed(0)

path, repeats, per_block, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
meta = json.load(open(path + ".json"))
raw = np.fromfile(path + ".bin", dtype=np.float32)
tensors = {}
o = 0
for t in meta["tensors"]:
    n = t["shape"][0] * t["shape"][1]
    tensors[t["name"]] = torch.from_numpy(raw[o : o + n].reshape(t["shape"]).copy())
    o += n

x = tensors["x"]
labels = torch.tensor(meta["labels"], dtype=torch.long)
layers = []
dims = [meta["inputDim"]] + [meta["width"]] * meta["depth"]
for l in range(meta["depth"]):
    lin = torch.nn.Linear(dims[l], dims[l + 1])
    with torch.no_grad():
        lin.weight.copy_(tensors[f"layer{l + 1}.W"])
        lin.bias.copy_(tensors[f"layer{l + 1}.b"].reshape(-1))
    layers += [lin, torch.nn.Tanh()]
readout = torch.nn.Linear(meta["width"], meta["outputs"])
with torch.no_grad():
    readout.weight.copy_(tensors["readout.W"])
    readout.bias.copy_(tensors["readout.b"].reshape(-1))
layers.append(readout)
model = torch.nn.Sequential(*layers)
weights = [m.weight for m in model if isinstance(m, torch.nn.Linear)]
opt = torch.optim.SGD(model.parameters(), lr=meta["lr"])
loss_fn = torch.nn.CrossEntropyLoss()


def step():
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(model(x), labels)
    loss.backward()
    norms = torch.stack([torch.linalg.vector_norm(w.grad) for w in weights])
    opt.step()
    return loss, norms


loss1, norms1 = step()
loss2, _ = step()
check = {"loss1": loss1.item(), "norms1": norms1.tolist(), "loss2": loss2.item()}

for _ in range(warmup):
    step()
rates = []
for _ in range(repeats):
    t0 = time.perf_counter()
    for _ in range(per_block):
        step()
    rates.append(per_block / (time.perf_counter() - t0))

blas = "reference BLAS"
with open("/proc/self/maps") as f:
    maps = f.read()
if "openblas-openmp" in maps:
    blas = "OpenBLAS openmp"
elif "openblas-pthread" in maps:
    blas = "OpenBLAS pthread"
elif "openblas" in maps:
    blas = "OpenBLAS"
print(json.dumps({"blas": blas, "threads": torch.get_num_threads(), "torch": torch.__version__,
                  "check": check, "rates": rates}))
