"""Helpers lessons reach for: meshgrid (loss surfaces), tile, movedim, diff, logit, in-place ops."""

import torch

x = torch.tensor([1.0, 2.0], requires_grad=True)
y = torch.tensor([3.0, 4.0, 5.0])
a, b = torch.meshgrid(x, y, indexing="ij")
print(a, b, a.grad_fn)
c, d = torch.meshgrid(x, y, indexing="xy")
print(c, d)
(a * b + c.T).sum().backward()
print(x.grad)
print(torch.tile(x, (2,)), torch.tile(torch.ones(2, 2), (2,)).shape, x.tile((2, 1)).grad_fn)
m = torch.arange(24.0).reshape(2, 3, 4)
print(
    torch.movedim(m, 0, -1).shape, torch.moveaxis(m, (0, 1), (2, 0)).shape, m.movedim(1, 0).grad_fn
)
print(
    torch.diff(torch.tensor([[1, 4, 9], [2, 3, 7]]), dim=0),
    torch.diff(torch.tensor([1.0, 4, 9, 16]), n=2),
)
print(
    torch.diff(torch.tensor([1.0, 2]), prepend=torch.tensor([0.0])),
    torch.diff(torch.tensor([True, False, False])),
)
print(
    torch.logit(torch.tensor([0.0, 0.25, 1.0]), eps=0.1),
    torch.logit(torch.tensor([0.0, 0.25, 1.0])),
)
p = torch.tensor([0.2, 0.7], requires_grad=True)
p.logit().sum().backward()
print(p.grad)
print(torch.nan_to_num(torch.tensor([float("nan"), float("inf"), -float("inf"), 1.0])))
print(torch.nan_to_num(torch.tensor([float("nan"), float("inf")]), nan=-1.0, posinf=9.0))
t = torch.tensor([1.0, 2.0], requires_grad=True)
r = torch.addcmul(t, t, torch.tensor([3.0, 4.0]), value=0.5) + torch.addcdiv(t, torch.ones(2), t)
r.sum().backward()
print(r, t.grad)
z = torch.tensor([0.25, 4.0, -2.5])
print(z.clone().log_(), z.clone().reciprocal_(), z.clone().square_(), z.clone().floor_())
print(z.clone().round_(), z.clone().sign_(), z.clone().clamp_min_(0.0), z.clone().clamp_max_(1.0))
print(torch.ones(3, 3).tril_(), torch.ones(3, 3).triu_(1))
