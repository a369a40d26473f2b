"""Activation functions and losses, values and gradients."""

import torch
import torch.nn.functional as F
from torch import nn

x = torch.tensor([-2.0, -0.5, 0.0, 0.5, 2.0], requires_grad=True)
for name, fn in [
    ("relu", torch.relu),
    ("sigmoid", torch.sigmoid),
    ("tanh", torch.tanh),
    ("leaky", lambda t: F.leaky_relu(t, 0.1)),
    ("elu", F.elu),
    ("gelu", F.gelu),
    ("silu", F.silu),
    ("softplus", F.softplus),
]:
    out = fn(x)
    (g,) = torch.autograd.grad(out.sum(), x)
    print(name, out, g)
print(nn.ReLU(), nn.LeakyReLU(0.2), nn.Softmax(dim=1), nn.Tanh(), nn.GELU())
pred = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
target = torch.tensor([[1.5, 1.5], [2.0, 5.0]])
for loss_fn in [nn.MSELoss(), nn.L1Loss(), nn.SmoothL1Loss(), nn.HuberLoss(delta=0.5)]:
    loss = loss_fn(pred, target)
    (g,) = torch.autograd.grad(loss, pred)
    print(loss_fn, loss, g)
print(nn.MSELoss(reduction="sum")(pred, target))
print(F.mse_loss(pred, target, reduction="none"))
logits = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]], requires_grad=True)
labels = torch.tensor([0, 2])
ce = F.cross_entropy(logits, labels)
ce.backward()
print(ce, logits.grad)
print(F.cross_entropy(logits, labels, label_smoothing=0.1))
print(F.softmax(logits, dim=-1).sum(-1))
print(nn.NLLLoss()(F.log_softmax(logits, dim=1), labels))
