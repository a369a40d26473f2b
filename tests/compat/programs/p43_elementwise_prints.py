"""Printing results of elementwise math on hand-picked values."""

import math

import torch

x = torch.tensor([0.1, 0.5, 1.0, 2.0, 3.0])
print(torch.exp(x), torch.log(x), torch.sqrt(x))
print(torch.sigmoid(x), torch.tanh(x), torch.sin(x), torch.cos(x))
print(torch.exp(x).tolist())
print(torch.tanh(x).tolist())
print(torch.tensor(math.e).log(), torch.log(torch.tensor(10.0)) / torch.log(torch.tensor(2.0)))
print(torch.exp(torch.tensor(1.0)).item(), math.exp(1.0))
