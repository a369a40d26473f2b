"""Printing models built from many layer types; layer forward on fixed inputs."""

from collections import OrderedDict

import torch
from torch import nn

model = nn.Sequential(
    OrderedDict(
        [
            ("flatten", nn.Flatten()),
            ("fc1", nn.Linear(4, 3)),
            ("act", nn.LeakyReLU(0.01)),
            ("bn", nn.BatchNorm1d(3)),
            ("drop", nn.Dropout(0.2)),
            ("fc2", nn.Linear(3, 2, bias=False)),
            ("out", nn.LogSoftmax(dim=1)),
        ]
    )
)
print(model)
print(model.fc1)
print(model.fc2.bias)
print([name for name, _ in model.named_children()])
print([type(m).__name__ for m in model.modules()])
emb = nn.Embedding(5, 2)
with torch.no_grad():
    emb.weight.copy_(torch.arange(10.0).reshape(5, 2))
print(emb)
print(emb(torch.tensor([[0, 4], [2, 2]])))
ln = nn.LayerNorm(3)
print(ln)
print(ln(torch.tensor([[1.0, 2.0, 4.0], [0.0, 0.0, 3.0]])))
print(nn.Identity()(torch.tensor([1.0])), nn.Softplus(), nn.ELU(), nn.Sigmoid(), nn.Softmax(dim=-1))
print(nn.Flatten()(torch.ones(2, 3, 4)).shape)
print(nn.MSELoss(), nn.CrossEntropyLoss(), nn.BCELoss(), nn.L1Loss())
lin = nn.Linear(3, 2)
print(lin.in_features, lin.out_features, lin.weight.shape, lin.bias.shape)
print(lin.extra_repr())
md = nn.ModuleDict({"a": nn.Linear(1, 1), "b": nn.ReLU()})
print(md)
