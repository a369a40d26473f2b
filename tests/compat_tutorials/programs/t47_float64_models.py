"""Double precision lessons: model.double(), set_default_dtype, and mixed-dtype errors."""

import torch
from torch import nn

model = nn.Linear(2, 1)
with torch.no_grad():
    model.weight.copy_(torch.tensor([[0.3, -0.7]]))
    model.bias.fill_(0.05)
model = model.double()
print(model.weight.dtype, model.weight)
x = torch.tensor([[1.0, 2.0], [3.0, -1.0]], dtype=torch.float64)
print(model(x))
try:
    model(x.float())
except RuntimeError:
    print("RuntimeError for float32 input")
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for _ in range(3):
    loss = (model(x) - 1).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(loss.item(), loss.dtype)
torch.set_default_dtype(torch.float64)
print(
    torch.tensor([1.5]).dtype,
    torch.zeros(1).dtype,
    torch.arange(3.0).dtype,
    torch.get_default_dtype(),
)
m2 = nn.Linear(1, 1)
print(m2.weight.dtype)
print(torch.tensor([0.1]) * 3, torch.linspace(0, 1, 3))
torch.set_default_dtype(torch.float32)
print(torch.tensor([1.5]).dtype, model.float().weight.dtype)
print((torch.ones(2, dtype=torch.float64) + torch.ones(2)).dtype)
print(torch.ones(2, dtype=torch.float64).to(torch.ones(1)).dtype)
