"""'What is torch.nn really?' in miniature: from raw tensors to Module, optim, DataLoader, CNN."""

import math

import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

n, side, classes = 24, 6, 3
x_train = torch.linspace(0, 1, n * side * side).reshape(n, side * side).sin().abs()
y_train = torch.arange(n) % classes
print(x_train.shape, y_train.min(), y_train.max())
weights = torch.linspace(-1, 1, side * side * classes).reshape(side * side, classes) / math.sqrt(36)
weights.requires_grad_()
bias = torch.zeros(classes, requires_grad=True)


def log_softmax(x):
    return x - x.exp().sum(-1).log().unsqueeze(-1)


def model(xb):
    return log_softmax(xb @ weights + bias)


def nll(input, target):
    return -input[range(target.shape[0]), target].mean()


def accuracy(out, yb):
    preds = torch.argmax(out, dim=1)
    return (preds == yb).float().mean()


bs = 8
xb, yb = x_train[0:bs], y_train[0:bs]
preds = model(xb)
print(preds[0], preds.shape)
print(nll(preds, yb), accuracy(preds, yb))
lr = 0.5
for _epoch in range(2):
    for i in range((n - 1) // bs + 1):
        xb = x_train[i * bs : i * bs + bs]
        yb = y_train[i * bs : i * bs + bs]
        loss = nll(model(xb), yb)
        loss.backward()
        with torch.no_grad():
            weights -= weights.grad * lr
            bias -= bias.grad * lr
            weights.grad.zero_()
            bias.grad.zero_()
print(nll(model(xb), yb), accuracy(model(xb), yb))
print(F.cross_entropy(xb @ weights + bias, yb))


class Lambda(nn.Module):
    def __init__(self, func):
        super().__init__()
        self.func = func

    def forward(self, x):
        return self.func(x)


cnn = nn.Sequential(
    Lambda(lambda x: x.view(-1, 1, side, side)),
    nn.Conv2d(1, 4, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.Conv2d(4, classes, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.AdaptiveAvgPool2d(1),
    Lambda(lambda x: x.view(x.size(0), -1)),
)
print(cnn)
with torch.no_grad():
    for i, p in enumerate(cnn.parameters()):
        p.copy_(torch.linspace(-0.3, 0.4, p.numel()).reshape(p.shape).cos() * (0.2 + 0.1 * i))
opt = optim.SGD(cnn.parameters(), lr=0.1, momentum=0.9)
train_dl = DataLoader(TensorDataset(x_train, y_train), batch_size=bs)
for epoch in range(2):
    cnn.train()
    for xb, yb in train_dl:
        loss = F.cross_entropy(cnn(xb), yb)
        loss.backward()
        opt.step()
        opt.zero_grad()
    cnn.eval()
    with torch.no_grad():
        valid_loss = sum(F.cross_entropy(cnn(xb), yb) for xb, yb in train_dl)
    print(epoch, f"{(valid_loss / len(train_dl)).item():.5f}")
print(F.avg_pool2d(torch.arange(16.0).view(1, 1, 4, 4), 2))
