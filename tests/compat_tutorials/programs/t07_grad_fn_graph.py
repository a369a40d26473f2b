"""Walking the autograd graph: grad_fn names and next_functions."""

import torch

a = torch.tensor([2.0, 3.0], requires_grad=True)
b = torch.tensor([6.0, 4.0], requires_grad=True)
Q = 3 * a**3 - b**2
print(Q)
print(Q.grad_fn)
print(Q.grad_fn.next_functions)
print(Q.grad_fn.next_functions[0][0].next_functions)
print(Q.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0])
print(type(Q.grad_fn).__name__, Q.grad_fn.name())
external_grad = torch.tensor([1.0, 1.0])
Q.backward(gradient=external_grad)
print(9 * a**2 == a.grad)
print(-2 * b == b.grad)
print(a.grad, b.grad)

x = torch.tensor(2.0, requires_grad=True)
y = x * x
z = y.exp() + y.sin() / x
node = z.grad_fn
seen = []
stack = [node]
while stack:
    n = stack.pop()
    if n is None:
        continue
    seen.append(type(n).__name__)
    for nxt, _ in n.next_functions:
        stack.append(nxt)
print(seen)
acc = y.grad_fn.next_functions[0][0]
print(type(acc).__name__, acc.variable is x)
m = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
for expr in (
    m.sum(),
    m.mean(),
    m.t(),
    m.view(4),
    m[0],
    m.relu(),
    m @ m,
    m.pow(2),
    m.exp(),
    m.max(),
    m.clone(),
    m.unsqueeze(0),
    m.abs(),
    m / 2,
    m - 1,
    -m,
    m.tanh(),
    m.sigmoid(),
):
    print(expr.grad_fn.name())
