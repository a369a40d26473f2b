"""What lessons print: parameters, state dicts, optimizer state and formatted tensors."""

import torch
from torch import nn

model = nn.Linear(2, 1)
with torch.no_grad():
    model.weight.copy_(torch.tensor([[0.25, -0.5]]))
    model.bias.fill_(0.125)
print(list(model.parameters()))
print(model.state_dict())
print(model.weight)
print(repr(model.bias), str(model.bias))
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.5, weight_decay=1e-4)
print(opt.state_dict())
loss = model(torch.tensor([[1.0, 2.0]])).pow(2).sum()
print(loss, f"{loss:.4f}", "%.3f" % loss, "{}".format(loss), str(loss.item()))  # noqa: UP031, UP032
loss.backward()
opt.step()
print(opt.state_dict()["state"])
print(model.weight.grad, model.weight)
opt.zero_grad(set_to_none=False)
print(model.weight.grad)
opt.zero_grad()
print(model.weight.grad)
s = torch.Size([2, 3])
print(s, s.numel(), s[1:], s == (2, 3), torch.ones(2, 3).shape == s, len(s))
print(torch.ones(4, 5, 6).size()[1:], torch.ones(4, 5).shape[-1])
x = torch.tensor([1.0, 2.0], requires_grad=True)
print(x, x * 2, x.sum(), x.detach(), x.data)
print(x[0], x[0].item(), float(x[0]), int(x[1]))
print([round(v, 2) for v in (x / 3).tolist()])
print(torch.tensor([0.1, 0.25]) * 3)
print(torch.tensor(0.1) + torch.tensor(0.2))
print(torch.tensor([[1e-8, 1.0]]), torch.tensor([1e8, 1.0]))
print(torch.tensor([1, -2, 300]), torch.tensor([[True]]))
print(torch.tensor(5) * 1.5, (torch.tensor(7) / 2).item())
