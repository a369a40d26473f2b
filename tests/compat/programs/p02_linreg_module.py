"""Linear regression with nn.Linear, MSELoss and SGD."""

import torch
from torch import nn

X = torch.tensor([[1.0, 2.0], [2.0, 1.0], [3.0, 4.0], [4.0, 3.0], [5.0, 5.0], [0.0, 1.0]])
y = (X[:, 0] * 1.5 - X[:, 1] * 0.5 + 0.25).unsqueeze(1)
model = nn.Linear(2, 1)
with torch.no_grad():
    model.weight.copy_(torch.tensor([[0.1, -0.2]]))
    model.bias.fill_(0.0)
print(model)
print(model.weight)
print(model.bias)
criterion = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
print(optimizer)
for epoch in range(100):
    optimizer.zero_grad()
    out = model(X)
    loss = criterion(out, y)
    loss.backward()
    optimizer.step()
    if (epoch + 1) % 20 == 0:
        print(f"Epoch [{epoch + 1}/100], Loss: {loss.item():.4f}")
print(loss)
print(model.state_dict())
for name, p in model.named_parameters():
    print(name, p.shape, p.requires_grad, p.grad)
print(list(model.parameters()))
with torch.no_grad():
    pred = model(torch.tensor([[6.0, 2.0]]))
print(pred, pred.item())
