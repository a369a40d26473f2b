"""model.apply with init functions, seeded: the same weights as PyTorch."""

import torch
from torch import nn

torch.manual_seed(42)


def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)
        nn.init.zeros_(m.bias)
        print("init", m)


model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))
model.apply(init_weights)
print(model[0].bias)
nn.init.kaiming_normal_(model[2].weight, nonlinearity="relu")
nn.init.normal_(model[0].weight, mean=0.0, std=0.01)
nn.init.uniform_(model[2].bias, -0.1, 0.1)
print(model[0].weight.shape, model[2].bias.shape)
X = torch.randn(16, 3)
y = torch.randint(0, 2, (16,))
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(20):
    opt.zero_grad()
    logits = model(X)
    loss = nn.functional.cross_entropy(logits, y)
    loss.backward()
    opt.step()
    if epoch % 5 == 0:
        acc = (logits.argmax(1) == y).float().mean().item()
        print(f"epoch {epoch} loss {loss.item():.4f} acc {acc:.2f}")
print(loss)
idx = torch.randperm(16)
print(idx.shape, X[idx][:2].shape)
