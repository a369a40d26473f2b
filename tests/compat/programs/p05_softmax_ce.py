"""Softmax regression with CrossEntropyLoss on a tiny fixed dataset."""

import torch
from torch import nn

X = torch.tensor([[1.0, 0.0], [0.9, 0.2], [0.0, 1.0], [0.1, 0.8], [-1.0, -1.0], [-0.8, -0.9]])
y = torch.tensor([0, 0, 1, 1, 2, 2])
print(y, y.dtype)
W = torch.zeros(2, 3, requires_grad=True)
b = torch.zeros(3, requires_grad=True)
optimizer = torch.optim.SGD([W, b], lr=0.5)
loss_fn = nn.CrossEntropyLoss()
for step in range(30):
    logits = X @ W + b
    loss = loss_fn(logits, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 5 == 0:
        print(step, round(loss.item(), 4))
print(W)
print(b)
with torch.no_grad():
    logits = X @ W + b
    probs = torch.softmax(logits, dim=1)
    pred = logits.argmax(dim=1)
    print(probs)
    print(probs.sum(dim=1))
    print(pred)
    print((pred == y).float().mean())
    print((pred == y).sum().item(), len(y))
print(nn.CrossEntropyLoss(reduction="none")(X @ W + b, y))
print(torch.log_softmax(X @ W, dim=-1))
print(nn.functional.nll_loss(torch.log_softmax(X @ W + b, dim=1), y))
