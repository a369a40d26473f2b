"""Reductions with dim / keepdim."""

import torch

x = torch.tensor([[1.0, 5.0, 2.0], [4.0, 3.0, 6.0]])
print(x.sum(), x.sum(0), x.sum(1), x.sum(dim=1, keepdim=True))
print(x.mean(), x.mean(dim=0), x.mean(-1, keepdim=True))
print(x.max(), x.max(dim=0), x.min(dim=1))
print(x.max(dim=1).values, x.max(dim=1).indices)
print(x.argmax(), x.argmax(dim=0), x.argmin(dim=1, keepdim=True))
print(x.prod(), x.prod(dim=1))
print(x.std(), x.var(), x.std(dim=0), x.var(dim=1, unbiased=False))
print(x.norm(), x.norm(dim=1), torch.norm(x, p=1))
print(torch.logsumexp(x, dim=1), x.cumsum(dim=1), x.cumprod(dim=0))
print(x.abs().sum(dim=(0, 1)), x.amax(dim=0), x.amin(dim=1))
print(torch.sum(x, dim=0), torch.mean(x), torch.max(x, dim=1))
print(x.median(), torch.tensor([1, 2, 3]).sum(dim=0, keepdim=True))
print(x.any(), (x > 5).any(), (x > 0).all(), (x > 5).all(dim=1))
print(torch.tensor([[1, 2], [3, 4]]).float().mean(dim=1))
w = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
w.max().backward()
print(w.grad)
w.grad = None
w.mean(dim=1).sum().backward()
print(w.grad)
w.grad = None
w.std().backward()
print(w.grad)
w.grad = None
w.norm().backward()
print(w.grad)
