"""Polynomial regression with manually built features and Adam, printing raw item() values."""

import torch

x = torch.linspace(-2, 2, 21)
y = x**3 - x
features = torch.stack([x**i for i in range(4)], dim=1)
coef = torch.zeros(4, requires_grad=True)
opt = torch.optim.Adam([coef], lr=0.1)
for step in range(1, 201):
    opt.zero_grad()
    pred = features @ coef
    loss = torch.nn.functional.mse_loss(pred, y)
    loss.backward()
    opt.step()
    if step in (1, 2, 3, 50, 100, 200):
        print(step, round(loss.item(), 3))
print([round(c, 2) for c in coef.tolist()])
print(features.shape, features[:2])
