"""A two-layer network written with raw tensors, trained with manual updates."""

import torch

X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = torch.tensor([[0.0], [1.0], [1.0], [0.0]])
W1 = torch.tensor([[0.5, -0.4, 0.3], [-0.2, 0.6, 0.1]], requires_grad=True)
b1 = torch.tensor([0.0, 0.1, -0.1], requires_grad=True)
W2 = torch.tensor([[0.7], [-0.5], [0.2]], requires_grad=True)
b2 = torch.tensor([0.05], requires_grad=True)
params = [W1, b1, W2, b2]
lr = 0.5
for epoch in range(301):
    h = torch.sigmoid(X.mm(W1) + b1)
    out = torch.sigmoid(h.mm(W2) + b2)
    loss = -(Y * torch.log(out) + (1 - Y) * torch.log(1 - out)).mean()
    loss.backward()
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad.zero_()
    if epoch % 50 == 0:
        print(f"Epoch {epoch:4d} | loss {loss.item():.6f}")
print(out.detach().squeeze())
print((out > 0.5).int().flatten().tolist())
print(W1.grad)
print([p.shape for p in params])
