"""Intermediate gradients: retain_grad, hooks, and the .grad of non-leaves."""

import warnings

import torch

x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
h = x * 3
h.retain_grad()
o = (h**2).sum()
o.backward()
print(h.grad)
print(x.grad)
print(h.retains_grad, x.retains_grad, o.retains_grad)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    print(o.grad)
print(len(caught) > 0)

seen = []
w = torch.tensor([0.5, 0.25], requires_grad=True)
handle = w.register_hook(lambda g: seen.append(g.clone()))
(w * torch.tensor([4.0, 8.0])).sum().backward()
print(seen)
handle.remove()
(w * 2).sum().backward()
print(len(seen), w.grad)

w.grad = None
hook = w.register_hook(lambda g: g * 10)
(w**2).sum().backward()
print(w.grad)
hook.remove()

a = torch.tensor(1.5, requires_grad=True)
b = a.detach().requires_grad_()
print(b.requires_grad, b.is_leaf, a is b)
c = a.clone()
print(c.is_leaf, c.grad_fn)
d = a.detach()
d.add_(1)
print(a)
print(torch.is_grad_enabled())
with torch.no_grad():
    print(torch.is_grad_enabled(), (a * 2).requires_grad)
torch.set_grad_enabled(False)
print((a * 2).requires_grad)
torch.set_grad_enabled(True)
print((a * 2).requires_grad)


@torch.no_grad()
def doubled(t):
    return t * 2


print(doubled(a).requires_grad)
with torch.enable_grad():
    print((a + 1).requires_grad)
