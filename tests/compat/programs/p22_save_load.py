"""Saving and loading a state_dict with torch.save / torch.load."""

import os
import tempfile

import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 3)
        self.fc2 = nn.Linear(3, 1)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


net = Net()
with torch.no_grad():
    net.fc1.weight.copy_(torch.tensor([[0.1, 0.2], [0.3, -0.4], [-0.5, 0.6]]))
    net.fc1.bias.copy_(torch.tensor([0.0, 0.1, -0.1]))
    net.fc2.weight.copy_(torch.tensor([[1.0, -1.0, 0.5]]))
    net.fc2.bias.copy_(torch.tensor([0.2]))
print(net)
sd = net.state_dict()
for k, v in sd.items():
    print(k, v.shape)
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "model.pt")
    torch.save(net.state_dict(), path)
    net2 = Net()
    result = net2.load_state_dict(torch.load(path))
    print(result)
    torch.save({"epoch": 3, "w": torch.tensor([1.0, 2.0]), "lst": [1, 2]}, path)
    ckpt = torch.load(path)
    print(ckpt)
x = torch.tensor([[1.0, 2.0], [-1.0, 0.5]])
print(net(x))
print(net2(x))
print(torch.equal(net(x), net2(x)))
print(net2.fc1.weight)
opt = torch.optim.Adam(net.parameters(), lr=0.01)
net(x).sum().backward()
opt.step()
st = opt.state_dict()
print(st["param_groups"][0]["lr"], len(st["state"]), sorted(st["state"][0].keys()))
opt2 = torch.optim.Adam(net2.parameters(), lr=0.5)
opt2.load_state_dict(st)
print(opt2.param_groups[0]["lr"])
