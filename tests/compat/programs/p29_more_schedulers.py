"""LambdaLR, CosineAnnealingLR, ReduceLROnPlateau, manual lr change via param_groups."""

from torch import nn, optim

model = nn.Linear(1, 1)
opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
lam = optim.lr_scheduler.LambdaLR(opt, lr_lambda=lambda epoch: 0.95**epoch)
for _ in range(4):
    opt.step()
    lam.step()
    print([round(v, 6) for v in lam.get_last_lr()])
opt = optim.SGD(model.parameters(), lr=1.0)
cos = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4, eta_min=0.1)
for _ in range(6):
    opt.step()
    cos.step()
    print(f"{cos.get_last_lr()[0]:.6f}")
opt = optim.Adam(model.parameters(), lr=0.01)
plateau = optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=1)
for val_loss in [1.0, 0.9, 0.95, 0.96, 0.97, 0.5, 0.6, 0.7]:
    plateau.step(val_loss)
    print(opt.param_groups[0]["lr"])
for g in opt.param_groups:
    g["lr"] = 0.123
print(opt)
print(len(opt.param_groups), sorted(opt.param_groups[0].keys()))
