"""A seeded LSTM: default init, one forward pass, one training step (float64 for the sums)."""

import torch
from torch import nn

torch.manual_seed(1)
lstm = nn.LSTM(input_size=3, hidden_size=4, num_layers=1, batch_first=True).double()
head = nn.Linear(4, 1).double()
x = torch.randn(2, 5, 3, dtype=torch.float64)
target = torch.randn(2, 1, dtype=torch.float64)
for name, p in lstm.named_parameters():
    print(name, tuple(p.shape), p.data[0])
out, (h, c) = lstm(x)
print(out[:, -1])
print(h, c)
opt = torch.optim.SGD(list(lstm.parameters()) + list(head.parameters()), lr=0.5)
for step in range(3):
    opt.zero_grad()
    out, _ = lstm(x)
    loss = ((head(out[:, -1]) - target) ** 2).mean()
    loss.backward()
    opt.step()
    print(f"step {step} loss {loss.item():.10f}")
