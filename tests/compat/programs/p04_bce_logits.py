"""BCEWithLogitsLoss with pos_weight and reductions; functional forms."""

import torch
import torch.nn.functional as F
from torch import nn

logits = torch.tensor([[0.3, -1.2], [2.0, 0.1], [-0.7, 0.9]], requires_grad=True)
targets = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
loss_fn = nn.BCEWithLogitsLoss()
loss = loss_fn(logits, targets)
print(loss)
loss.backward()
print(logits.grad)
print(nn.BCEWithLogitsLoss(reduction="sum")(logits, targets))
print(nn.BCEWithLogitsLoss(reduction="none")(logits, targets))
print(nn.BCEWithLogitsLoss(pos_weight=torch.tensor([2.0, 0.5]))(logits, targets))
print(F.binary_cross_entropy_with_logits(logits, targets))
p = torch.sigmoid(logits)
print(F.binary_cross_entropy(p, targets))
print(torch.allclose(F.binary_cross_entropy(p, targets), loss))
print(nn.BCELoss(reduction="sum")(p, targets).item())
