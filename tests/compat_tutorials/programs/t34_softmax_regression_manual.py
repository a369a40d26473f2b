"""Softmax regression from scratch: parameters as tensors, manual SGD, accuracy."""

import torch

X = torch.tensor(
    [
        [0.0, 0.0],
        [0.2, 0.1],
        [1.0, 1.1],
        [0.9, 1.2],
        [2.0, 0.1],
        [2.2, -0.1],
        [0.1, 2.0],
        [-0.2, 2.1],
    ]
)
y = torch.tensor([0, 0, 1, 1, 2, 2, 3, 3])
W = torch.zeros(2, 4, requires_grad=True)
b = torch.zeros(4, requires_grad=True)


def softmax(z):
    z_exp = torch.exp(z)
    return z_exp / z_exp.sum(1, keepdim=True)


def net(X):
    return softmax(X @ W + b)


def cross_entropy(y_hat, y):
    return -torch.log(y_hat[range(len(y_hat)), y])


def accuracy(y_hat, y):
    return float((y_hat.argmax(axis=1).type(y.dtype) == y).sum())


lr = 0.5
for epoch in range(30):
    l = cross_entropy(net(X), y)
    l.mean().backward()
    with torch.no_grad():
        for param in (W, b):
            param -= lr * param.grad
            param.grad.zero_()
    if epoch % 10 == 9:
        train_l = cross_entropy(net(X), y).mean()
        print(f"epoch {epoch + 1}, loss {train_l:f}, acc {accuracy(net(X), y) / len(y):.3f}")
print(W)
print(b)
print(net(X[:2]))
