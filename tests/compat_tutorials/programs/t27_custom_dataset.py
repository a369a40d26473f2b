"""Datasets and DataLoaders: a map-style Dataset subclass, batching, and a collate check."""

import torch
from torch.utils.data import DataLoader, Dataset, random_split


class SquaresDataset(Dataset):
    def __init__(self, n):
        self.x = torch.arange(n, dtype=torch.float32).unsqueeze(1)
        self.y = self.x**2

    def __len__(self):
        return len(self.x)

    def __getitem__(self, idx):
        return self.x[idx], self.y[idx]


ds = SquaresDataset(10)
print(len(ds), ds[3])
loader = DataLoader(ds, batch_size=4, shuffle=False)
for i, (xb, yb) in enumerate(loader):
    print(i, xb.shape, yb.view(-1))
loader = DataLoader(ds, batch_size=4, drop_last=True)
print(len(loader), [b[0].shape[0] for b in loader])
it = iter(loader)
first = next(it)
print(type(first).__name__, len(first), first[0].dtype)


class DictDataset(Dataset):
    def __len__(self):
        return 3

    def __getitem__(self, idx):
        return {"feature": torch.tensor([idx, idx + 1.0]), "label": idx % 2}


for batch in DataLoader(DictDataset(), batch_size=2):
    print(batch["feature"], batch["label"])
train, val = random_split(ds, [8, 2], generator=torch.Generator().manual_seed(0))
print(len(train), len(val))
