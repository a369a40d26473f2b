"""DataLoader(shuffle=True) over two epochs and an MLP with dropout, all from one seed."""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset, random_split

torch.manual_seed(0)
features = torch.randn(20, 4)
labels = (features.sum(dim=1) > 0).long()
train, val = random_split(TensorDataset(features, labels), [0.8, 0.2])
print("val indices:", val.indices)
loader = DataLoader(train, batch_size=6, shuffle=True)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 2))
opt = torch.optim.Adam(model.parameters(), lr=0.01)
for epoch in range(2):
    model.train()
    for xb, yb in loader:
        print(f"epoch {epoch} batch labels {yb.tolist()}")
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        print(f"  loss {loss.item():.5f}")
model.eval()
print(model(features[:3]))
print(nn.functional.dropout(torch.ones(2, 6), p=0.3))
