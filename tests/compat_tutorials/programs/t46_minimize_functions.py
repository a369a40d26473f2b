"""Gradient descent on plain functions: a parabola, Rosenbrock with Adam, and a 2-D bowl."""

import torch

x = torch.tensor(5.0, requires_grad=True)
opt = torch.optim.SGD([x], lr=0.1)
for step in range(6):
    opt.zero_grad()
    f = (x - 2) ** 2 + 1
    f.backward()
    print(step, f"x={x.item():.4f} f={f.item():.4f} grad={x.grad.item():.4f}")
    opt.step()
print(x.data, x)

p = torch.tensor([-1.5, 2.0], requires_grad=True)
adam = torch.optim.Adam([p], lr=0.05)
for step in range(300):
    adam.zero_grad()
    loss = (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2
    loss.backward()
    adam.step()
    if step % 60 == 59:
        print(step, [round(v, 3) for v in p.tolist()], f"{loss.item():.4f}")

w = torch.tensor([3.0, -4.0], requires_grad=True)
A = torch.tensor([[2.0, 0.5], [0.5, 1.0]])
for step in range(40):
    loss = 0.5 * w @ A @ w
    (g,) = torch.autograd.grad(loss, w)
    with torch.no_grad():
        w -= 0.3 * g
    if step % 10 == 9:
        print(step, w.detach().numpy().round(5).tolist(), round(loss.item(), 6))
print(torch.linalg.norm(w).item() < 0.1)
