"""Logistic regression with sigmoid + BCELoss."""

import torch
from torch import nn

X = torch.tensor([[0.5, 1.0], [1.0, 1.5], [1.5, 0.5], [3.0, 3.5], [3.5, 2.5], [4.0, 4.0]])
y = torch.tensor([[0.0], [0.0], [0.0], [1.0], [1.0], [1.0]])


class LogisticRegression(nn.Module):
    def __init__(self, n_in):
        super().__init__()
        self.linear = nn.Linear(n_in, 1)

    def forward(self, x):
        return torch.sigmoid(self.linear(x))


model = LogisticRegression(2)
with torch.no_grad():
    model.linear.weight[:] = torch.tensor([[0.2, -0.1]])
    model.linear.bias.zero_()
print(model)
criterion = nn.BCELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(200):
    y_pred = model(X)
    loss = criterion(y_pred, y)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    if epoch % 40 == 0:
        print(f"epoch: {epoch}, loss = {loss.item():.4f}")
with torch.no_grad():
    probs = model(X)
    classes = probs.round()
    acc = classes.eq(y).sum() / float(y.shape[0])
    print(probs)
    print(classes)
    print(f"accuracy = {acc:.4f}")
    print(acc)
    print((probs > 0.5).float().mean())
print(model.linear.weight.grad)
