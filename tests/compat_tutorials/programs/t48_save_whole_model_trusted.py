"""Whole-model save: torch.save(model) pickles the module itself; torch.load refuses it by
default (weights_only=True) and loads it with weights_only=False, for trusted files only."""

import io
import pickle

import torch
from torch import nn

model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
with torch.no_grad():
    for i, p in enumerate(model.parameters()):
        p.copy_(torch.arange(p.numel(), dtype=torch.float32).reshape(p.shape) / (i + 2))
buf = io.BytesIO()
torch.save(model, buf)
buf.seek(0)
try:
    torch.load(buf)
except pickle.UnpicklingError as err:
    message = str(err)
    print("refused:", "Weights only load failed" in message)
    print("advice:", "weights_only` set to `False`" in message)
    print("names the class:", "Sequential was not an allowed global" in message)
    print("allowlist hint:", "add_safe_globals" in message)
buf.seek(0)
loaded = torch.load(buf, weights_only=False)
print(loaded)
print(type(loaded).__name__, loaded[0].weight)
print(loaded(torch.tensor([[1.0, -1.0]])))
print(torch.equal(loaded[2].bias, model[2].bias), loaded[2].bias is model[2].bias)
