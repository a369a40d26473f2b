"""Common shape slips: (N,1) vs (N,) targets, squeeze/unsqueeze, view vs reshape."""

import warnings

import torch
from torch import nn

warnings.simplefilter("ignore")
pred = torch.tensor([[1.0], [2.0], [3.0]], requires_grad=True)
target = torch.tensor([1.5, 2.0, 2.0])
loss_bad = nn.MSELoss()(pred, target)
loss_good = nn.MSELoss()(pred.squeeze(1), target)
print(loss_bad, loss_good)
loss_bad.backward()
print(pred.grad)
print((pred - target).shape, (pred.squeeze() - target).shape)
x = torch.arange(6.0)
print(x.view(2, 3), x.view(-1, 2).shape, x.reshape(3, -1).shape)
print(x.view(2, 3).t().reshape(-1))
print(x.unsqueeze(1).shape, x[:, None].shape, x.unsqueeze(0).squeeze(0).shape)
m = torch.ones(2, 1, 3, 1)
print(m.squeeze().shape, m.squeeze(1).shape, m.squeeze(-1).shape)
print(torch.Size([2, 3]) == (2, 3), torch.Size([2, 3])[1], len(torch.Size([4, 5, 6])))
print(x.shape[0], x.size()[0], tuple(x.view(3, 2).shape))
print(x.numel(), torch.numel(x), x.view(3, 2).stride())
print(torch.Size([2, 3]).numel(), torch.Size([1]) + torch.Size([2]))
a = torch.zeros(3, 1)
b = torch.zeros(1, 4)
print((a + b).shape, torch.broadcast_shapes((3, 1), (1, 4)))
print(torch.ones(2, 3).sum(dim=-1).shape, torch.ones(2, 3).mean(dim=(0, 1)).shape)
