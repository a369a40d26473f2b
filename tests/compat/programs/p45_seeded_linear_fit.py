"""A tutorial's first model: seeded data from randn, nn.Linear's default init, SGD."""

import torch
from torch import nn

torch.manual_seed(42)
X = torch.randn(64, 3)
true_w = torch.tensor([[2.0, -3.4, 1.5]])
y = X @ true_w.T + 4.2 + 0.01 * torch.randn(64, 1)

model = nn.Linear(3, 1)
print("initial weight:", model.weight.data)
print("initial bias:", model.bias.data)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
loss_fn = nn.MSELoss()
for epoch in range(5):
    opt.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    opt.step()
    print(f"epoch {epoch}: loss {loss.item():.6f}")
print("learned weight:", model.weight.data)
print("learned bias:", model.bias.data)
print(torch.rand(3), torch.randint(0, 100, (4,)))
