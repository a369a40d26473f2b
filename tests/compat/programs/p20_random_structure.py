"""torch.manual_seed + randn, rand, randint and a seeded model (same stream as PyTorch)."""

import torch
from torch import nn

torch.manual_seed(0)
x = torch.randn(4, 3)
print(x.shape, x.dtype, x.requires_grad)
print(torch.rand(2, 2).shape, torch.randint(0, 10, (5,)).dtype)
print(torch.randn(3).abs().min() >= 0)
model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2))
print(model)
for name, p in model.named_parameters():
    print(name, tuple(p.shape), p.dtype)
out = model(x)
print(out.shape)
loss = out.pow(2).mean()
loss.backward()
print([p.grad.shape for p in model.parameters()])
print(torch.randperm(6).sort().values)
layer = nn.Linear(10, 10)
print(bool((layer.weight.abs() <= 10**-0.5).all()))
g = torch.Generator().manual_seed(1)
print(torch.randn(2, generator=g).shape)
nn.init.zeros_(layer.bias)
nn.init.ones_(layer.weight)
print(layer.bias.sum(), layer.weight.sum())
nn.init.constant_(layer.bias, 0.5)
print(layer.bias[:3])
x2 = torch.randn(3, 4)
print(x2)
