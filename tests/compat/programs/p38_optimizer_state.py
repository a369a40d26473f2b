"""Optimizer state_dict contents, step counts, defaults, add_param_group."""

import torch

w = torch.tensor([1.0, -1.0], requires_grad=True)
b = torch.tensor([0.5], requires_grad=True)
opt = torch.optim.Adam([w], lr=0.1, betas=(0.8, 0.99))
for _ in range(3):
    opt.zero_grad()
    ((w - 2) ** 2).sum().backward()
    opt.step()
print(opt.state_dict())
print(opt.defaults)
opt.add_param_group({"params": [b], "lr": 0.01})
print(opt)
print(len(opt.state), opt.state[w]["step"], opt.state[w]["exp_avg"])
sgd = torch.optim.SGD([w], lr=0.1, momentum=0.9, dampening=0.1)
for _ in range(2):
    sgd.zero_grad()
    (w**2).sum().backward()
    sgd.step()
print(sgd.state_dict()["state"])
print(w)
ada = torch.optim.Adagrad([b], lr=0.5, lr_decay=0.01, initial_accumulator_value=0.1)
for _ in range(3):
    ada.zero_grad()
    (b**2).sum().backward()
    ada.step()
print(ada.state_dict())
