"""Turning gradients off: inference_mode, requires_grad_(False), frozen layers, no_grad methods."""

import torch
from torch import nn

net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
with torch.no_grad():
    for p in net.parameters():
        p.fill_(0.5)
for p in net[0].parameters():
    p.requires_grad_(False)
x = torch.tensor([[1.0, 2.0]])
out = net(x)
print(out, out.requires_grad)
out.sum().backward()
print(net[0].weight.grad, net[1].weight.grad)
with torch.inference_mode():
    y = net(x)
print(y.requires_grad, torch.is_inference_mode_enabled())
with torch.set_grad_enabled(False):
    print(net(x).requires_grad)
print(torch.is_grad_enabled())


class Scorer(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 1)

    @torch.no_grad()
    def predict(self, x):
        return self.lin(x)


s = Scorer()
print(s.predict(x).requires_grad, s.lin(x).requires_grad)
frozen = [n for n, p in net.named_parameters() if not p.requires_grad]
print(frozen)
opt = torch.optim.SGD(filter(lambda p: p.requires_grad, net.parameters()), lr=0.1)
opt.step()
print(net[1].weight, net[0].weight)
z = torch.ones(2, requires_grad=True)
with torch.no_grad():
    z2 = z * 2
print(z2.requires_grad, z2.grad_fn, z2.is_leaf)
