"""Save and load the model: state_dict round trips through torch.save / torch.load."""

import os
import tempfile

import torch
from torch import nn

model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
with torch.no_grad():
    for i, p in enumerate(model.parameters()):
        p.copy_(torch.arange(p.numel(), dtype=torch.float32).reshape(p.shape) * 0.05 - 0.1 * i)
sd = model.state_dict()
print(type(sd).__name__, list(sd.keys()))
for k, v in sd.items():
    print(k, v.shape, v.dtype, v.requires_grad)
print(sd["0.weight"])
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "model_weights.pth")
    torch.save(model.state_dict(), path)
    model2 = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    result = model2.load_state_dict(torch.load(path, weights_only=True))
    print(result)
    model2.eval()
    x = torch.tensor([[1.0, 2.0, 3.0]])
    print(torch.equal(model(x), model2(x)), model2(x))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(x).sum().backward()
    opt.step()
    torch.save(
        {
            "epoch": 5,
            "model_state_dict": model.state_dict(),
            "optimizer_state_dict": opt.state_dict(),
            "loss": 0.25,
        },
        path,
    )
    checkpoint = torch.load(path, weights_only=True)
    print(sorted(checkpoint.keys()), checkpoint["epoch"], checkpoint["loss"])
    print(checkpoint["optimizer_state_dict"]["param_groups"])
    print(checkpoint["optimizer_state_dict"]["state"][0]["momentum_buffer"])
    opt2 = torch.optim.SGD(model2.parameters(), lr=0.5)
    opt2.load_state_dict(checkpoint["optimizer_state_dict"])
    print(opt2.param_groups[0]["lr"], opt2.param_groups[0]["momentum"])
    t = torch.tensor([1, 2, 3])
    torch.save(t, path)
    print(torch.load(path))
try:
    model2.load_state_dict({"0.weight": torch.zeros(4, 3)})
except RuntimeError as exc:
    print("RuntimeError", str(exc).splitlines()[0])
print(model2.load_state_dict({"0.weight": torch.zeros(4, 3)}, strict=False))
