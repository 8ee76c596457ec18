"""Write a PyTorch model's state dict as safetensors with a small writer of our own (torch 1.13
has no safetensors support), and print torch's own numbers for each weight matrix as JSON:
fan_in * Var(W) (population) and the top singular values (torch.linalg.svdvals). The reference
for `gradscope inspect` (test: src/cli/commands/inspect.test.ts).

usage: write-safetensors.py OUT.safetensors
"""
import json
import struct
import sys

import torch

torch.manual_seed(0)
model = torch.nn.Sequential(
    torch.nn.Conv2d(3, 8, 3),
    torch.nn.Tanh(),
    torch.nn.Flatten(),
    torch.nn.Linear(8 * 6 * 6, 64),
    torch.nn.Tanh(),
    torch.nn.Linear(64, 64),
    torch.nn.Tanh(),
    torch.nn.Linear(64, 10),
)
with torch.no_grad():
    model[5].weight.mul_(3.0)  # a chaotic layer: sigma_w^2 ~ 3

state = model.state_dict()
header = {}
blobs = []
offset = 0
for name, t in state.items():
    data = t.detach().to(torch.float32).contiguous().numpy().tobytes()
    header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
    blobs.append(data)
    offset += len(data)
raw = json.dumps(header).encode()
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(raw)))
    f.write(raw)
    for b in blobs:
        f.write(b)

reference = {}
for name, t in state.items():
    if name.endswith("weight") and t.dim() >= 2:
        w = t.detach().double().reshape(t.shape[0], -1)
        reference[name] = {
            "weightVar": w.shape[1] * w.var(unbiased=False).item(),
            "singularValues": torch.linalg.svdvals(w)[:3].tolist(),
        }
print(json.dumps(reference))
