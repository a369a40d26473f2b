"""Object reprs lessons print: generators, optimizers, schedulers, modules, grad nodes."""

import torch
from torch import nn

m = nn.Linear(3, 2)
print(m.parameters())
print(list(m.named_parameters())[0][0], [k for k, _ in m.named_buffers()])
print(torch.optim.Adam(m.parameters(), lr=0.01))
print(torch.optim.RMSprop(m.parameters(), lr=0.01, alpha=0.9))
print(torch.optim.SGD([{"params": [m.weight]}, {"params": [m.bias], "lr": 0.5}], lr=0.1))
opt = torch.optim.SGD(m.parameters(), lr=0.1)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
for _ in range(5):
    opt.step()
    sched.step()
    print(sched.get_last_lr(), opt.param_groups[0]["lr"])
print(type(sched).__name__)
x = torch.tensor([1.0], requires_grad=True)
print((x * 2).grad_fn, (x + 1).grad_fn.next_functions)
print(nn.MSELoss(), nn.CrossEntropyLoss(), nn.BCELoss(reduction="sum"))
print(nn.Sequential())
print(nn.Linear(2, 2, bias=False), nn.Dropout(), nn.Dropout(0.3), nn.ReLU(inplace=True))
print(nn.Conv2d(1, 4, kernel_size=3, stride=1, padding=1), nn.MaxPool2d(2), nn.BatchNorm1d(4))
print(nn.Embedding(10, 3), nn.LayerNorm(4), nn.Softmax(dim=1), nn.LogSoftmax(dim=-1))
print(nn.ModuleDict({"a": nn.Linear(1, 1), "b": nn.Sigmoid()}))
print(nn.Flatten(), nn.Flatten(0, 1), nn.Unflatten(1, (2, 2)), nn.Tanh(), nn.GELU())
