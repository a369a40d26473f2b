"""Mini-batch training with DataLoader over TensorDataset (shuffle=False)."""

import torch
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

X = torch.arange(20, dtype=torch.float32).reshape(10, 2) / 10
y = X.sum(dim=1, keepdim=True) * 2 - 1
ds = TensorDataset(X, y)
print(len(ds))
print(ds[3])
loader = DataLoader(ds, batch_size=4, shuffle=False)
print(len(loader))
for i, (xb, yb) in enumerate(loader):
    print(i, xb.shape, yb.shape)
print(next(iter(loader)))
model = nn.Linear(2, 1)
with torch.no_grad():
    model.weight.fill_(0.0)
    model.bias.fill_(0.0)
opt = optim.SGD(model.parameters(), lr=0.1)
loss_fn = nn.MSELoss()
for epoch in range(5):
    total = 0.0
    for xb, yb in loader:
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        total += loss.item() * xb.size(0)
    print(f"epoch {epoch}: avg loss {total / len(ds):.6f}")
print(model.weight, model.bias)
drop = DataLoader(ds, batch_size=3, drop_last=True)
print([b[0].shape[0] for b in drop])
single = DataLoader(TensorDataset(torch.tensor([1, 2, 3])), batch_size=2)
for batch in single:
    print(batch)
