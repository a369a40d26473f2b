"""Learning by examples: let an optimizer (RMSprop, then SGD with momentum) do the updates."""

import math

import torch

x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)
xx = x.unsqueeze(-1).pow(torch.tensor([1, 2, 3]))


def make_model():
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[0.3, 0.2, -0.1]]))
        model[0].bias.zero_()
    return model


for name, make_opt, lr in (
    ("RMSprop", lambda ps, lr: torch.optim.RMSprop(ps, lr=lr), 1e-3),
    ("SGD", lambda ps, lr: torch.optim.SGD(ps, lr=lr, momentum=0.9), 1e-6),
    ("Adam", lambda ps, lr: torch.optim.Adam(ps, lr=lr), 1e-3),
):
    model = make_model()
    loss_fn = torch.nn.MSELoss(reduction="sum")
    optimizer = make_opt(model.parameters(), lr)
    for t in range(600):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        if t % 150 == 149:
            print(name, t, f"{loss.item():.2f}")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    w = model[0].weight.detach().squeeze()
    print(name, "result:", [f"{v:.4f}" for v in w.tolist()], f"{model[0].bias.item():.4f}")
print(optimizer)
print(type(optimizer).__name__, len(optimizer.param_groups), optimizer.param_groups[0]["lr"])
print(sorted(optimizer.state_dict()["param_groups"][0].keys()))
