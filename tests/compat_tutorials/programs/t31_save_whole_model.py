"""Save and load through in-memory buffers: state dicts and nested containers."""

import io

import torch
from torch import nn

model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
with torch.no_grad():
    model[0].weight.copy_(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    model[0].bias.copy_(torch.tensor([0.5, -0.5]))
buf = io.BytesIO()
torch.save(model.state_dict(), buf)
buf.seek(0)
sd = torch.load(buf)
print(sd)
fresh = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
print(fresh.load_state_dict(sd))
print(fresh(torch.tensor([[1.0, 1.0]])))
buf = io.BytesIO()
torch.save({"w": torch.arange(3), "meta": {"lr": 0.1, "names": ["a", "b"]}}, buf)
buf.seek(0)
print(torch.load(buf))
