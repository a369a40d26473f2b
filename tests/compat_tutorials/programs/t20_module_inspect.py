"""Inspecting modules: children, named_modules, parameter counts, train/eval, apply."""

import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 6)
        self.act = nn.Sigmoid()
        self.drop = nn.Dropout(p=0.25)
        self.fc2 = nn.Linear(6, 2, bias=False)
        self.out = nn.LogSoftmax(dim=1)

    def forward(self, x):
        return self.out(self.fc2(self.drop(self.act(self.fc1(x)))))


net = Net()
print(net)
print([name for name, _ in net.named_children()])
print([name for name, _ in net.named_modules()])
print([(n, tuple(p.shape)) for n, p in net.named_parameters()])
total = sum(p.numel() for p in net.parameters())
trainable = sum(p.numel() for p in net.parameters() if p.requires_grad)
print(f"Total params: {total:,} trainable: {trainable}")
print(net.training, net.fc1.training)
net.eval()
print(net.training, net.drop.training)
net.train()
print(net.training)


def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.constant_(m.weight, 0.2)
        if m.bias is not None:
            nn.init.zeros_(m.bias)


net.apply(init_weights)
net.eval()
x = torch.tensor([[1.0, 0.0, -1.0, 2.0], [0.5, 0.5, 0.5, 0.5]])
print(net(x))
print(net.fc1.weight.requires_grad, net.fc2.bias)
net.fc1.weight.requires_grad_(False)
print(sum(p.numel() for p in net.parameters() if p.requires_grad))
print(isinstance(net.fc1.weight, nn.Parameter), isinstance(net.fc1.weight, torch.Tensor))
print(nn.Parameter(torch.tensor([1.0, 2.0])))
print(net.fc1)
print(net.fc1.in_features, net.fc1.out_features, net.drop.p)
print(nn.ModuleList([nn.ReLU(), nn.Tanh()]))
print(
    nn.Sequential(nn.Linear(1, 1), nn.Softmax(dim=-1), nn.LeakyReLU(0.1), nn.ELU(), nn.Identity())
)
