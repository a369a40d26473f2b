"""BatchNorm1d in eval mode with set running stats, and train mode forward."""

import torch
from torch import nn

bn = nn.BatchNorm1d(3)
print(bn)
print(bn.running_mean, bn.running_var, bn.num_batches_tracked)
with torch.no_grad():
    bn.running_mean.copy_(torch.tensor([1.0, 2.0, 3.0]))
    bn.running_var.copy_(torch.tensor([4.0, 1.0, 0.25]))
    bn.weight.copy_(torch.tensor([1.0, 2.0, 0.5]))
    bn.bias.copy_(torch.tensor([0.0, -1.0, 1.0]))
bn.eval()
x = torch.tensor([[1.0, 2.0, 3.0], [3.0, 4.0, 2.0], [-1.0, 0.0, 3.5]])
print(bn(x))
bn.train()
out = bn(x)
print(out)
print(bn.running_mean, bn.running_var, bn.num_batches_tracked)
print(bn.state_dict().keys())
model = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3), nn.ReLU())
with torch.no_grad():
    model[0].weight.copy_(torch.eye(3))
    model[0].bias.zero_()
print(model)
model.eval()
print(model(x))
