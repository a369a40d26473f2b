"""Linear regression y = 2x + 1 fitted by hand with autograd."""

import torch

X = torch.tensor([[1.0], [2.0], [3.0], [4.0], [5.0]])
y = 2 * X + 1
w = torch.tensor([[0.5]], requires_grad=True)
b = torch.zeros(1, requires_grad=True)
print(X.shape, y.shape, X.dtype)
print(w, b)
lr = 0.02
for epoch in range(60):
    y_hat = X @ w + b
    loss = ((y_hat - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w -= lr * w.grad
        b -= lr * b.grad
    if epoch % 10 == 0:
        print(f"epoch {epoch:3d} loss {loss.item():.4f} w {w.item():.4f} b {b.item():.4f}")
        print("grads:", w.grad, b.grad)
    w.grad.zero_()
    b.grad.zero_()
print(loss)
print(w)
print(b)
print(y_hat)
print(type(y_hat.grad_fn).__name__, y_hat.grad_fn.next_functions[0][0].name())
print(loss.grad_fn.name())
print(w.is_leaf, y_hat.is_leaf, loss.requires_grad)
print(w.detach().numpy(), b.tolist())
