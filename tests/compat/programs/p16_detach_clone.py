"""detach, clone, requires_grad_, in-place updates under no_grad."""

import torch

a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
b = a * 2
c = b.detach()
print(c, c.requires_grad, b.requires_grad)
d = b.clone()
print(d, d.grad_fn.name())
e = torch.tensor([4.0, 5.0, 6.0])
print(e.requires_grad)
e.requires_grad_()
print(e.requires_grad, e)
(e * a).sum().backward()
print(a.grad, e.grad)
with torch.no_grad():
    a.add_(1.0)
    a.mul_(2)
    a[0] = 10.0
print(a, a.requires_grad, a.is_leaf)
x = torch.ones(3)
x.add_(torch.tensor([1.0, 2.0, 3.0]))
x.sub_(0.5).div_(2)
print(x)
x.clamp_(1.0, 1.5)
print(x)
y = torch.zeros(2, 2)
y[0, 1] = 3.0
y[1] = torch.tensor([7.0, 8.0])
y[:, 0] += 1
print(y)
p = torch.tensor([2.0], requires_grad=True)
q = p.detach().requires_grad_(True)
print(q, q.is_leaf)
print(a.data, a.data.requires_grad)
n = a.detach().numpy()
print(n, n.dtype)
t = torch.from_numpy(n.copy())
print(t, t.dtype)
print(torch.tensor([1.0, 2.0]).requires_grad_(False))
