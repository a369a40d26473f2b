"""Module hooks lessons use to look inside a network: forward, pre-forward and backward hooks."""

import torch
from torch import nn

net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
with torch.no_grad():
    for i, p in enumerate(net.parameters()):
        p.copy_(torch.linspace(-0.5, 0.5 + i, p.numel()).reshape(p.shape))
activations = {}


def save_output(name):
    def hook(module, inputs, output):
        activations[name] = output.detach()

    return hook


handles = [m.register_forward_hook(save_output(n)) for n, m in net.named_children()]
pre = net[0].register_forward_pre_hook(lambda m, inp: print("pre", type(m).__name__, inp[0].shape))
x = torch.tensor([[1.0, -2.0, 0.5], [0.0, 1.0, 1.0]])
out = net(x)
print(sorted(activations), activations["1"])
grads = []
bh = net[2].register_full_backward_hook(lambda m, gi, go: grads.append((gi[0].shape, go[0])))
out.sum().backward()
print(grads)
for h in handles:
    h.remove()
pre.remove()
bh.remove()
activations.clear()
net(x)
print(activations, len(grads))
t = torch.tensor([1.0, 2.0], requires_grad=True)
y = t * 3
y.register_hook(lambda g: print("grad of y:", g))
(y**2).sum().backward()
print(t.grad)
print(torch.autograd.grad((t * t).sum(), [t, torch.ones(1, requires_grad=True)], allow_unused=True))
