"""Jacobians and Hessians: autograd.functional and the loop-over-rows way."""

import torch


def f(x):
    return torch.stack([x[0] ** 2 * x[1], 5 * x[0] + torch.sin(x[1])])


x = torch.tensor([1.0, 2.0], requires_grad=True)
y = f(x)
rows = []
for i in range(2):
    (g,) = torch.autograd.grad(y[i], x, retain_graph=True)
    rows.append(g)
print(torch.stack(rows))
print(torch.autograd.functional.jacobian(f, torch.tensor([1.0, 2.0])))


def energy(v):
    return (v**3).sum() + v[0] * v[1]


print(torch.autograd.functional.hessian(energy, torch.tensor([1.0, -1.0])))
x = torch.tensor([0.5, 1.5], requires_grad=True)
y = x.pow(2)
y.backward(torch.tensor([1.0, 0.5]))
print(x.grad)
a = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
b = a.mean(dim=1)
b.backward(gradient=torch.tensor([1.0, -1.0]))
print(a.grad)
c = torch.tensor(2.0, requires_grad=True)
d = c**3
d.backward(create_graph=True)
print(c.grad.detach(), c.grad.requires_grad)
g1 = c.grad.clone()
c.grad = None
g1.backward()
print(c.grad)
