"""In-place operations and autograd: version counters, leaf errors and detach semantics."""

import torch

a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
try:
    a.add_(1)
except RuntimeError as exc:
    print("RuntimeError:", "leaf Variable" in str(exc))
with torch.no_grad():
    a.add_(1)
print(a)
b = a * 2
b.add_(1)
print(b, b.grad_fn)
b.sum().backward()
print(a.grad)
c = a.sigmoid()
d = c * 1
c.mul_(2)
try:
    c.sum().backward()
    print("ok", a.grad)
except RuntimeError as exc:
    print("RuntimeError:", "modified by an inplace operation" in str(exc))
e = a.exp()
e.mul_(2)
try:
    e.sum().backward()
except RuntimeError as exc:
    print("RuntimeError:", "modified by an inplace operation" in str(exc))
x = torch.ones(3)
print(x.is_leaf)
x.add_(1)
x[0] = 5
print(x)
y = x.detach()
y.zero_()
print(x)
z = x.clone()
z.fill_(7)
print(x, z)
w = torch.zeros(2, 2)
w[0] += 1
w[:, 1] *= 3
w.masked_fill_(w == 0, -1)
print(w)
v = torch.arange(6.0).view(2, 3)
v.T[0].fill_(9)
print(v)
p = torch.nn.Parameter(torch.ones(2))
q = p.data
q.mul_(3)
print(p)
