"""Two-layer MLP with nn.Sequential(ReLU) trained with Adam on XOR."""

import torch
from torch import nn

X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
y = torch.tensor([[0.0], [1.0], [1.0], [0.0]])
model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
with torch.no_grad():
    model[0].weight.copy_(torch.tensor([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [0.5, 0.5]]))
    model[0].bias.copy_(torch.tensor([0.0, 0.1, 0.1, -0.5]))
    model[2].weight.copy_(torch.tensor([[0.3, 0.6, 0.6, -0.4]]))
    model[2].bias.fill_(0.05)
print(model)
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
print(optimizer)
loss_fn = nn.MSELoss()
for epoch in range(1, 101):
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
    if epoch % 20 == 0:
        print(f"epoch {epoch} loss {loss.item():.4f}")
        print(loss)
print(model(X))
print(model(X).detach().round())
print(model.state_dict().keys())
print(optimizer.state_dict()["param_groups"])
print(sum(p.numel() for p in model.parameters()))
