"""A custom Dataset of Python numbers, default collate, device handling, param groups."""

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset


class Points(Dataset):
    def __init__(self):
        self.xs = [0.5 * i for i in range(7)]

    def __len__(self):
        return len(self.xs)

    def __getitem__(self, idx):
        x = self.xs[idx]
        return x, 3 * x - 1, idx % 2


ds = Points()
print(len(ds), ds[2])
loader = DataLoader(ds, batch_size=3)
for xb, yb, cls in loader:
    print(xb, yb, cls)
    print(xb.dtype, yb.dtype, cls.dtype)


class TensorPoints(Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, i):
        return torch.tensor([float(i), 1.0]), torch.tensor(i % 2)


batch = next(iter(DataLoader(TensorPoints(), batch_size=4)))
print(batch)
print(
    len(DataLoader(TensorPoints(), batch_size=2)),
    len(DataLoader(TensorPoints(), batch_size=2).dataset),
)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print(device, torch.cuda.is_available())
model = nn.Sequential(nn.Linear(1, 4), nn.ReLU(), nn.Linear(4, 1)).to(device)
x = torch.tensor([[1.0]]).to(device)
print(x.device, next(model.parameters()).device)
opt = torch.optim.SGD(
    [{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": 1e-3}],
    lr=0.1,
    momentum=0.9,
)
print(opt)
print([g["lr"] for g in opt.param_groups])
model[0].requires_grad_(False)
print([p.requires_grad for p in model.parameters()])
print(sum(p.numel() for p in model.parameters() if p.requires_grad))
