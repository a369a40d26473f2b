"""A custom nn.Module with nn.Parameter, registered buffer and a training loop."""

import torch
from torch import nn


class Poly(nn.Module):
    def __init__(self):
        super().__init__()
        self.coef = nn.Parameter(torch.tensor([0.0, 0.0, 0.0]))
        self.register_buffer("powers", torch.tensor([0.0, 1.0, 2.0]))

    def forward(self, x):
        return (x.unsqueeze(-1) ** self.powers * self.coef).sum(-1)


model = Poly()
print(model)
print(list(model.named_parameters()))
print(list(model.named_buffers()))
print(model.state_dict())
x = torch.linspace(-1, 1, 9)
y = 0.5 - x + 2 * x**2
opt = torch.optim.SGD(model.parameters(), lr=0.3, momentum=0.5)
for epoch in range(50):
    opt.zero_grad()
    loss = torch.mean((model(x) - y) ** 2)
    loss.backward()
    opt.step()
    if epoch % 10 == 9:
        print(f"{epoch + 1:02d} loss={loss.item():.6f} coef={model.coef.data.tolist()}")
print(model.coef)
print(isinstance(model.coef, torch.Tensor), isinstance(model.coef, nn.Parameter))
print(nn.Parameter(torch.tensor([1.0, 2.0])))
print(model.coef.grad)


class Stack(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(2)])
        self.act = nn.Sigmoid()

    def forward(self, x):
        for layer in self.layers:
            x = self.act(layer(x))
        return x


s = Stack()
with torch.no_grad():
    for layer in s.layers:
        layer.weight.copy_(torch.tensor([[1.0, -1.0], [0.5, 0.5]]))
        layer.bias.fill_(0.1)
print(s)
print(s(torch.tensor([[1.0, 2.0]])))
print(len(list(s.parameters())), [n for n, _ in s.named_parameters()])
print(s.layers[0].weight.shape)
