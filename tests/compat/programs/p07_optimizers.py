"""Same tiny problem with several optimizers."""

import torch
from torch import nn

X = torch.tensor([[1.0, -1.0], [2.0, 0.5], [-0.5, 1.5], [0.0, 2.0]])
y = torch.tensor([[1.0], [2.5], [0.0], [1.0]])


def make_model():
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[0.1, 0.2], [-0.3, 0.4], [0.5, -0.6]]))
        model[0].bias.copy_(torch.tensor([0.01, -0.02, 0.03]))
        model[2].weight.copy_(torch.tensor([[0.7, -0.8, 0.9]]))
        model[2].bias.copy_(torch.tensor([0.1]))
    return model


makers = {
    "SGD": lambda p: torch.optim.SGD(p, lr=0.05),
    "SGD-momentum": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),
    "SGD-nesterov": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
    "SGD-wd": lambda p: torch.optim.SGD(p, lr=0.05, weight_decay=0.01),
    "Adam": lambda p: torch.optim.Adam(p, lr=0.01),
    "Adam-amsgrad": lambda p: torch.optim.Adam(p, lr=0.01, amsgrad=True),
    "AdamW": lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1),
    "RMSprop": lambda p: torch.optim.RMSprop(p, lr=0.01),
    "RMSprop-mom": lambda p: torch.optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True),
    "Adagrad": lambda p: torch.optim.Adagrad(p, lr=0.1),
}
for name, make in makers.items():
    model = make_model()
    opt = make(model.parameters())
    losses = []
    for _step in range(25):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(X), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    print(f"{name:14s} first {losses[0]:.5f} last {losses[-1]:.5f}")
    print(model[2].weight.data)
print(torch.optim.AdamW(make_model().parameters()))
print(torch.optim.RMSprop(make_model().parameters()))
print(torch.optim.Adagrad(make_model().parameters()))
