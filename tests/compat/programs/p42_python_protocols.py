"""Tensors with Python builtins: len, iteration, float/int/bool, sum/max, numpy(), zip."""

import numpy as np
import torch

x = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
print(len(x), len(x[0]))
for row in x:
    print(row, row.sum())
print(sum(x), sum(torch.tensor([1, 2, 3])))
print(max(torch.tensor([3.0, 1.0, 2.0])), min([torch.tensor(2.0), torch.tensor(1.0)]))
print(sorted(torch.tensor([3, 1, 2]).tolist()))
print(
    float(torch.tensor(2.5)),
    int(torch.tensor(7.9)),
    bool(torch.tensor(0.0)),
    bool(torch.tensor([1])),
)
print(round(torch.tensor(2.345678).item(), 2), torch.tensor(3).item() + 1)
for a, b in zip(torch.tensor([1.0, 2.0]), torch.tensor([10, 20])):
    print(a, b, a * b)
print(np.array(x), np.asarray(torch.tensor([1, 2])).dtype)
print(torch.tensor([torch.tensor(1.0), torch.tensor(2.0)]))
print(torch.stack([torch.tensor(1.0), torch.tensor(2.0)]))
print(x.numpy().tolist(), x.numpy().shape)
print(list(torch.arange(3)), [t.item() for t in torch.arange(3)])
print(2.0 in torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0]).tolist() == [1.0, 2.0])
print(x[0][1], x[0][1].item(), x[2, 1] > 5)
if x.sum() > 20:
    print("big", x.sum())
print(torch.tensor(5) // 2, torch.tensor(5.0) % 3, 7 % torch.tensor(4), 2 ** torch.tensor(3))
print(abs(torch.tensor(-2.0)), -torch.tensor(True).int(), +torch.tensor(1.5))
print(hash(x) == hash(x), x is x, x.equal(x.clone()))
print(repr(x.shape), str(x.dtype), f"{x.dtype}", x.dtype == torch.float)
print(torch.tensor(1.0) == 1, torch.tensor([1, 2]) == torch.tensor([1, 3]))
counts = {}
for label in torch.tensor([0, 1, 1, 2, 1]):
    counts[label.item()] = counts.get(label.item(), 0) + 1
print(counts)
print(torch.tensor([0, 1, 1, 2, 1]).bincount(), torch.tensor([0, 1, 1, 2, 1]).unique())
print(torch.unique(torch.tensor([3, 1, 3, 2]), return_counts=True))
