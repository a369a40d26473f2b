"""Quickstart-style model with PyTorch's default random init, seeded: every number matches."""

import torch
from torch import nn

torch.manual_seed(0)
x = torch.rand(4, 1, 6, 6)
print(x.shape, x.dtype, x.min() >= 0, x.max() < 1)
model = nn.Sequential(nn.Flatten(), nn.Linear(36, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 3))
print(model)
logits = model(x)
print(logits.shape, logits.grad_fn)
print(logits)
print(nn.Softmax(dim=1)(logits).sum(1))
print(torch.randn(2, 3).shape, torch.randint(0, 10, (5,)).dtype, torch.randperm(4).sort().values)
w = model[1].weight
print(w.shape, w.std() < 1, w.abs().max() <= 1 / 6)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
target = torch.tensor([0, 1, 2, 0])
for step in range(3):
    loss = nn.functional.cross_entropy(model(x), target)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"step {step}: loss {loss.item():.4f}")
model.eval()
with torch.no_grad():
    print(model(x).argmax(dim=1).shape)
print(torch.initial_seed())
g = torch.Generator().manual_seed(42)
print(torch.rand(2, generator=g))
