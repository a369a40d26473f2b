"""A classification lesson: softmax, log-softmax, NLL and cross-entropy on fixed logits."""

import torch
import torch.nn.functional as F
from torch import nn

logits = torch.tensor([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0], [0.0, 0.0, 3.0]], requires_grad=True)
target = torch.tensor([0, 1, 2])
probs = F.softmax(logits, dim=1)
print(probs)
print(probs.sum(dim=1))
log_probs = F.log_softmax(logits, dim=1)
print(log_probs)
nll = F.nll_loss(log_probs, target)
ce = F.cross_entropy(logits, target)
print(nll, ce)
print(torch.allclose(nll, ce))
ce.backward()
print(logits.grad)
loss_fn = nn.CrossEntropyLoss(reduction="none")
print(loss_fn(logits, target))
print(nn.CrossEntropyLoss(label_smoothing=0.1)(logits, target))
print(nn.NLLLoss()(log_probs, target))
preds = probs.argmax(dim=1)
print(preds, (preds == target).float().mean().item())
values, indices = torch.max(probs, 1)
print(values, indices)
print(torch.topk(probs, 2, dim=1))
bce = nn.BCELoss()
p = torch.tensor([0.9, 0.2, 0.6])
t = torch.tensor([1.0, 0.0, 1.0])
print(bce(p, t), nn.BCEWithLogitsLoss()(torch.log(p / (1 - p)), t))
print(nn.L1Loss()(p, t), nn.SmoothL1Loss()(p, t), nn.HuberLoss(delta=0.5)(p, t))
print(F.one_hot(target, num_classes=3))
