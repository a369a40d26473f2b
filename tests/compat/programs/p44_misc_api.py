"""Odds and ends lessons use: no_grad training loop with manual zeroing, item formatting,
torch.numel, nn.functional helpers, tensor.norm, torch.allclose, torch.manual_seed returns."""

import torch
import torch.nn.functional as F

w = torch.tensor([0.5, -0.5], requires_grad=True)
b = torch.tensor(0.0, requires_grad=True)
X = torch.tensor([[1.0, 2.0], [2.0, 1.0], [3.0, 3.0], [0.5, 0.0]])
y = torch.tensor([1.0, 0.0, 1.0, 0.0])
for epoch in range(5):
    z = X @ w + b
    loss = F.binary_cross_entropy_with_logits(z, y)
    grads = torch.autograd.grad(loss, [w, b])
    with torch.no_grad():
        for p, g in zip([w, b], grads):
            p.sub_(0.5 * g)
    print(f"{epoch}: {loss.item():.6f} |g|={grads[0].norm().item():.6f}")
print(w, b)
print(F.relu(torch.tensor([-1.0, 1.0])), F.softmax(torch.tensor([1.0, 2.0]), dim=0))
print(F.normalize(torch.tensor([[3.0, 4.0]]), dim=1), F.pad(torch.tensor([1.0, 2.0]), (1, 1)))
print(F.linear(torch.tensor([[1.0, 2.0]]), torch.tensor([[1.0, 1.0]]), torch.tensor([0.5])))
print(F.dropout(torch.ones(3), p=0.5, training=False), F.tanh(torch.tensor([0.5])))
print(torch.allclose(torch.tensor([1.0]), torch.tensor([1.0 + 1e-9])), torch.numel(X))
print(torch.clamp(torch.tensor([-2.0, 0.5, 3.0]), -1, 1), torch.sign(torch.tensor([-2.0, 0.0])))
print(torch.cumsum(torch.tensor([1, 2, 3]), 0), torch.prod(torch.tensor([1.0, 2.0, 3.0])))
print(
    torch.flatten(torch.ones(2, 2)),
    torch.squeeze(torch.ones(1, 2)),
    torch.unsqueeze(torch.ones(2), 1).shape,
)
print(torch.transpose(torch.arange(6).view(2, 3), 0, 1))
print(
    torch.mm(torch.eye(2), torch.tensor([[1.0], [2.0]])),
    torch.mv(torch.eye(2), torch.tensor([1.0, 2.0])),
)
print(
    torch.argmax(torch.tensor([[1, 5], [7, 2]])),
    torch.argmax(torch.tensor([[1, 5], [7, 2]]), dim=1),
)
print(torch.meshgrid(torch.arange(2), torch.arange(3), indexing="ij")[0])
print(
    torch.tensor([3.0, 4.0]).norm(p=1),
    torch.dist(torch.tensor([1.0, 1.0]), torch.tensor([4.0, 5.0])),
)
print(torch.floor(torch.tensor([1.5, -1.5])), torch.round(torch.tensor([0.5, 1.5, 2.5])))
print(torch.empty(2, 3).shape, torch.ones(2, 3).new_empty(1).shape, torch.rand(3).dtype)
print(
    torch.zeros(3).scatter_(0, torch.tensor([1]), 5.0),
    torch.arange(5)[torch.tensor([True, False, True, False, True])],
)
