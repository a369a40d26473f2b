"""Vector-Jacobian products: backward(gradient=...), autograd.grad and accumulation."""

import torch

inp = torch.eye(4, 5, requires_grad=True)
out = (inp + 1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\n{inp.grad}")
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nSecond call\n{inp.grad}")
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nCall after zeroing gradients\n{inp.grad}")

x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x * 2
while y.data.norm() < 100:
    y = y * 2
print(y)
v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float)
y.backward(v)
print(x.grad)

x = torch.tensor([0.5, -1.5], requires_grad=True)
f = (x**3).sum()
(g,) = torch.autograd.grad(f, x, create_graph=True)
print(g)
(h,) = torch.autograd.grad(g.sum(), x)
print(h)
u = torch.tensor(3.0, requires_grad=True)
v = torch.tensor(4.0, requires_grad=True)
r = (u**2 + v**2).sqrt()
du, dv = torch.autograd.grad(r, [u, v])
print(du, dv)
s = u * v
gs = torch.autograd.grad(s, u, grad_outputs=torch.tensor(2.0))
print(gs)
try:
    y2 = x.sum() * 2
    y2.backward()
    y2.backward()
except RuntimeError as exc:
    print("RuntimeError raised:", "second time" in str(exc))
try:
    torch.ones(2, requires_grad=True).mul(2).backward()
except RuntimeError as exc:
    print("RuntimeError raised:", "scalar outputs" in str(exc))
