"""Gradients of common functions checked against hand formulas."""

import math

import torch

x = torch.linspace(-2.0, 2.0, 9, requires_grad=True)
funcs = {
    "x^2": (lambda t: t**2, lambda t: 2 * t),
    "sin": (torch.sin, torch.cos),
    "exp": (torch.exp, torch.exp),
    "tanh": (torch.tanh, lambda t: 1 - torch.tanh(t) ** 2),
    "sigmoid": (torch.sigmoid, lambda t: torch.sigmoid(t) * (1 - torch.sigmoid(t))),
    "relu": (torch.relu, lambda t: (t > 0).float()),
    "abs": (torch.abs, torch.sign),
}
for name, (f, df) in funcs.items():
    x.grad = None
    f(x).sum().backward()
    with torch.no_grad():
        expected = df(x)
    print(f"{name:8s}", torch.allclose(x.grad, expected, atol=1e-6), x.grad[:3])

w = torch.tensor([[1.0, -1.0], [0.5, 2.0]], requires_grad=True)
v = torch.tensor([3.0, -2.0])
loss = (w @ v).pow(2).mean()
loss.backward()
print(loss.item(), w.grad)
t = torch.tensor(math.pi / 3, requires_grad=True)
y = torch.sin(t) * torch.cos(t)
(dy,) = torch.autograd.grad(y, t, create_graph=True)
(d2y,) = torch.autograd.grad(dy, t)
print(f"{y.item():.6f} {dy.item():.6f} {d2y.item():.6f}")
m = torch.tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)
m.det().backward()
print(m.grad)
s = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
n = s.norm()
n.backward()
print(n, s.grad)
k = torch.tensor([0.2, 0.5, 0.3], requires_grad=True)
ent = -(k * k.log()).sum()
ent.backward()
print(ent, k.grad)
