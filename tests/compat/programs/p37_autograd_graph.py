"""Inspecting the graph: grad_fn names, next_functions, is_leaf, retain_grad, hooks."""

import torch

a = torch.tensor(2.0, requires_grad=True)
b = torch.tensor(3.0, requires_grad=True)
c = a * b
d = c + a
e = d.exp() / 100
f = torch.log(e) - b**2
print(c.grad_fn.name(), d.grad_fn.name(), e.grad_fn.name(), f.grad_fn.name())
print([type(n[0]).__name__ for n in f.grad_fn.next_functions])
print(a.grad_fn, a.is_leaf, c.is_leaf)
c.retain_grad()
seen = []
b.register_hook(lambda g: seen.append(g.item()))
f.backward()
print(a.grad, b.grad, c.grad, seen)
x = torch.tensor([1.0, -1.0, 2.0], requires_grad=True)
h = x.register_hook(lambda g: g * 10)
(x**2).sum().backward()
print(x.grad)
h.remove()
x.grad = None
(x**2).sum().backward()
print(x.grad)
ops = [
    x.sum(),
    x.mean(),
    x * 2,
    x + 1,
    x - 1,
    x / 2,
    x**2,
    x.exp(),
    x.abs(),
    x.relu(),
    x.sigmoid(),
    x.tanh(),
    x.view(3, 1),
    x.reshape(1, 3),
    x[0],
    x.unsqueeze(0),
    x.max(),
    x.pow(3),
    torch.cat([x, x]),
    torch.stack([x, x]),
    x.t() if x.dim() == 2 else x.clone(),
    x.expand(2, 3),
    x.sum(0),
    x @ x,
    x.norm(),
    x.softmax(0),
    x.clamp(0, 1),
    -x,
    2 - x,
    1 / x,
]
print([o.grad_fn.name() for o in ops])
