"""Indexing, slicing, masking, gather and friends."""

import torch

x = torch.arange(1.0, 13.0).reshape(3, 4)
print(x[1], x[-1], x[:, -1], x[1:, ::2])
print(x[[0, 2]])
print(x[torch.tensor([2, 0])])
print(x[x > 6])
print(x[:, [1, 3]])
print(x[0, 1:3], x[..., 0], x[None].shape, x[:, None, :].shape)
mask = x % 2 == 0
print(mask)
print(x.masked_fill(mask, 0.0))
print(x[torch.tensor([0, 1, 2]), torch.tensor([3, 2, 1])])
idx = torch.tensor([[0], [2], [1]])
print(x.gather(1, idx))
print(torch.nonzero(x > 10))
y = x.clone()
y[y < 5] = -1.0
print(y)
print(x.unsqueeze(0).shape, x.unsqueeze(-1).shape, x.reshape(1, 3, 4).squeeze().shape)
print(x.permute(1, 0).shape, x.transpose(0, 1).contiguous().view(-1))
print(x.chunk(2, dim=1))
print(x.split(1, dim=0))
print(x.flip(0))
print(torch.tensor([3, 1, 2]).sort())
v, i = torch.topk(torch.tensor([0.1, 0.9, 0.4, 0.7]), 2)
print(v, i)
one_hot = torch.zeros(3, 4)
one_hot[torch.arange(3), torch.tensor([1, 0, 3])] = 1.0
print(one_hot)
print(torch.nn.functional.one_hot(torch.tensor([1, 0, 3]), num_classes=4))
