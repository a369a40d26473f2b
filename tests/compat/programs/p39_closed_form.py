import math

import torch

x = torch.linspace(0, 2, 6)
X = torch.stack([torch.ones_like(x), x, x**2], dim=1)
y = 1.0 - 2.0 * x + 0.5 * x**2
print(X)
XtX = X.T @ X
print(XtX)
w_solve = torch.linalg.solve(XtX, X.T @ y)
w_inv = torch.inverse(XtX) @ X.T @ y
print([round(v, 4) for v in w_solve.tolist()])
print([round(v, 4) for v in w_inv.tolist()])
print(f"{torch.linalg.det(XtX).item():.3f}", torch.linalg.norm(torch.tensor([3.0, 4.0])))
print(
    torch.linalg.matrix_norm(torch.eye(2)),
    torch.linalg.vector_norm(torch.tensor([1.0, -2.0]), ord=1),
)
w = torch.zeros(3, requires_grad=True)
opt = torch.optim.SGD([w], lr=0.05)
for _step in range(500):
    opt.zero_grad()
    loss = ((X @ w - y) ** 2).mean()
    loss.backward()
    opt.step()
print(f"gd loss {loss.item():.6f}", [round(v, 2) for v in w.tolist()])
print(math.pi, torch.pi if hasattr(torch, "pi") else math.pi)
print(torch.sqrt(torch.tensor(2.0)))
