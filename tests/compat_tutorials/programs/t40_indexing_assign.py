"""Indexing lessons: boolean masks, fancy indexing, assignment and gathering rows."""

import torch

x = torch.arange(1.0, 13.0).reshape(3, 4)
print(x[x % 2 == 0])
x[x > 10] = 0
print(x)
x[:, 0] = torch.tensor([7.0, 8.0, 9.0])
print(x)
x[1] = 5
print(x)
x[[0, 2], [1, 3]] = -1
print(x)
print(x[torch.tensor([True, False, True])])
print(x[..., 1:3], x[None].shape, x[:, None, :].shape)
print(x[-1, -2:], x[::2, ::3])
rows = torch.tensor([0, 2])
print(x[rows, :2], x[rows][:, rows])
y = torch.zeros(5)
y[torch.tensor([1, 3])] += 1
print(y)
idx = torch.tensor([[0, 1], [2, 3]])
print(torch.arange(10, 14)[idx])
z = torch.tensor([3.0, 1.0, 2.0], requires_grad=True)
sel = z[torch.tensor([0, 0, 2])]
sel.sum().backward()
print(sel, z.grad)
m = torch.eye(3, dtype=torch.bool)
print(torch.zeros(3, 3).masked_fill(m, 1.5))
print(x.argmax(dim=1, keepdim=True), x.gather(1, x.argmax(dim=1, keepdim=True)))
a = torch.zeros(2, 3)
a[:, [0, 2]] = 4.0
print(a)
b = torch.zeros(3)
b.scatter_(0, torch.tensor([2, 0]), torch.tensor([1.0, 2.0]))
print(b)
print(torch.tensor([[1, 2], [3, 4]])[1][0].item(), x.shape[0], x[0].shape)
fill = torch.tensor(0.5, requires_grad=True)
filled = torch.zeros(2, 2).masked_fill(torch.tensor([[True, False], [True, True]]), fill)
filled.sum().backward()
print(filled.requires_grad, fill.grad)
onehot = torch.zeros(4, 3).scatter_(1, torch.tensor([[2], [0], [1], [2]]), 1)
print(onehot, onehot.sum(0))
print(torch.zeros(4).scatter_add_(0, torch.tensor([1, 1, 3]), torch.tensor([1.0, 2.0, 3.0])))
