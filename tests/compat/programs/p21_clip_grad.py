"""clip_grad_norm_ and clip_grad_value_ in a training loop."""

import torch
from torch import nn

model = nn.Linear(3, 2)
with torch.no_grad():
    model.weight.copy_(torch.tensor([[1.0, -2.0, 3.0], [0.5, 0.5, -0.5]]))
    model.bias.copy_(torch.tensor([0.0, 1.0]))
X = torch.tensor([[10.0, 20.0, -5.0], [3.0, 4.0, 5.0]])
y = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
opt = torch.optim.SGD(model.parameters(), lr=0.01)
for step in range(4):
    opt.zero_grad()
    loss = nn.MSELoss()(model(X), y)
    loss.backward()
    total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    print(step, f"{loss.item():.4f}", total)
    print(model.weight.grad)
    opt.step()
loss = nn.MSELoss()(model(X), y)
opt.zero_grad()
loss.backward()
torch.nn.utils.clip_grad_value_(model.parameters(), clip_value=0.1)
print(model.weight.grad, model.bias.grad)
print(model.weight)
