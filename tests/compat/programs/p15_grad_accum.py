"""Gradient accumulation across backward calls and zero_grad variants."""

import torch
from torch import nn

w = torch.tensor([1.0, 2.0], requires_grad=True)
print(w.grad)
for i in range(3):
    loss = (w * torch.tensor([float(i), 1.0])).sum()
    loss.backward()
    print(i, w.grad)
w.grad.zero_()
print(w.grad)
model = nn.Linear(2, 1)
with torch.no_grad():
    model.weight.copy_(torch.tensor([[0.5, -0.5]]))
    model.bias.copy_(torch.tensor([0.1]))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
X = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]])
y = torch.tensor([[1.0], [2.0], [3.0], [4.0]])
accum = 2
for step, i in enumerate(range(0, 4, 1)):
    loss = nn.functional.mse_loss(model(X[i : i + 1]), y[i : i + 1]) / accum
    loss.backward()
    print(step, model.weight.grad)
    if (step + 1) % accum == 0:
        opt.step()
        opt.zero_grad()
        print("after step", model.weight.grad, model.weight.data)
opt.zero_grad(set_to_none=False)
print(model.weight.grad)
model.zero_grad()
print(model.bias.grad)
