"""Evaluation under torch.no_grad: argmax accuracy, train/eval modes, Dropout."""

import torch
from torch import nn

model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Dropout(p=0.5), nn.Linear(4, 2))
with torch.no_grad():
    model[0].weight.copy_(torch.arange(12.0).reshape(4, 3) / 10 - 0.5)
    model[0].bias.copy_(torch.tensor([0.1, -0.1, 0.2, 0.0]))
    model[3].weight.copy_(torch.tensor([[0.5, -0.5, 0.25, 1.0], [-0.25, 0.75, -1.0, 0.5]]))
    model[3].bias.zero_()
print(model)
print(model.training, model[2].training)
model.eval()
print(model.training, model[2].training)
X = torch.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0], [0.0, 0.0, 1.0], [3.0, -2.0, 1.0]])
y = torch.tensor([1, 0, 1, 0])
with torch.no_grad():
    logits = model(X)
    print(logits)
    print(logits.requires_grad)
    _, predicted = torch.max(logits, 1)
    print(predicted)
    correct = (predicted == y).sum().item()
    print(f"Accuracy: {100 * correct / len(y):.2f}%")
    print((logits.argmax(dim=1) == y).float().mean())
    vals, idx = logits.max(dim=1, keepdim=True)
    print(vals, idx)
out = model(X)
print(out.requires_grad, out.grad_fn is not None)
model.train()
print(model.training)
drop0 = nn.Dropout(p=0.0)
print(drop0(X))
print(drop0)
print(nn.Dropout())
print(torch.is_grad_enabled())
with torch.no_grad():
    print(torch.is_grad_enabled())
