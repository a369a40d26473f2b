"""no_grad as decorator, set_grad_enabled, inference_mode, requires_grad propagation."""

import torch


@torch.no_grad()
def evaluate(w, x):
    return (w * x).sum()


w = torch.tensor([1.0, 2.0], requires_grad=True)
x = torch.tensor([3.0, 4.0])
r = evaluate(w, x)
print(r, r.requires_grad)
with torch.set_grad_enabled(False):
    print((w * 2).requires_grad)
torch.set_grad_enabled(False)
print((w * 2).requires_grad, torch.is_grad_enabled())
torch.set_grad_enabled(True)
print((w * 2).requires_grad)
with torch.inference_mode():
    z = w * 3
print(z, z.requires_grad)
with torch.enable_grad():
    print((w + 1).requires_grad)
with torch.no_grad(), torch.enable_grad():
    q = w * 2
print(q.requires_grad, q.grad_fn.name())
v = torch.tensor([1.0, 2.0])
print((v * w).requires_grad, (v * 2).requires_grad, (v * w.detach()).requires_grad)
y = w.sum() * 2
print(y, y.grad_fn.name(), [f[0].name() if f[0] else None for f in y.grad_fn.next_functions])
h = w.pow(2)
h.retain_grad()
h.sum().backward()
print(h.grad, w.grad)
