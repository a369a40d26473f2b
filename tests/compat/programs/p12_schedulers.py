"""Learning-rate schedulers: StepLR, ExponentialLR, MultiStepLR."""

import torch
from torch.optim.lr_scheduler import ExponentialLR, MultiStepLR, StepLR

w = torch.tensor([1.0, -2.0], requires_grad=True)
opt = torch.optim.SGD([w], lr=0.1)
sched = StepLR(opt, step_size=3, gamma=0.5)
print(sched.get_last_lr())
for epoch in range(8):
    opt.zero_grad()
    loss = (w**2).sum()
    loss.backward()
    opt.step()
    sched.step()
    print(epoch, sched.get_last_lr(), opt.param_groups[0]["lr"], f"{loss.item():.5f}")
print(w)
w2 = torch.tensor([3.0], requires_grad=True)
opt2 = torch.optim.Adam([w2], lr=0.5)
sched2 = ExponentialLR(opt2, gamma=0.9)
for _epoch in range(5):
    opt2.zero_grad()
    (w2**2).sum().backward()
    opt2.step()
    sched2.step()
    print(f"{sched2.get_last_lr()[0]:.6f}", f"{w2.item():.6f}")
print(sched2.get_last_lr())
opt3 = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
sched3 = MultiStepLR(opt3, milestones=[2, 4], gamma=0.1)
for _ in range(6):
    opt3.step()
    sched3.step()
    print(sched3.get_last_lr())
print(sched.state_dict()["last_epoch"], sched.state_dict()["step_size"])
