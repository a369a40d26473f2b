"""Learning by examples: a custom autograd.Function (a Legendre polynomial of degree 3)."""

import math

import torch


class LegendrePolynomial3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input**3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input**2 - 1)


dtype = torch.float
x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
y = torch.sin(x)
a = torch.full((), 0.0, dtype=dtype, requires_grad=True)
b = torch.full((), -1.0, dtype=dtype, requires_grad=True)
c = torch.full((), 0.0, dtype=dtype, requires_grad=True)
d = torch.full((), 0.3, dtype=dtype, requires_grad=True)
learning_rate = 5e-6
for t in range(2000):
    P3 = LegendrePolynomial3.apply
    y_pred = a + b * P3(c + d * x)
    loss = (y_pred - y).pow(2).sum()
    if t % 250 == 249:
        print(t, f"{loss.item():.3f}")
    loss.backward()
    with torch.no_grad():
        for p in (a, b, c, d):
            p -= learning_rate * p.grad
            p.grad = None
# a and c end near 0 (sin is odd); their sign there is float rounding noise, so not printed.
print(
    f"Result: y = {b.item():.4f} * P3({d.item():.4f} x)", abs(a.item()) < 1e-4, abs(c.item()) < 1e-4
)
out = LegendrePolynomial3.apply(torch.tensor([0.5, 1.0], requires_grad=True))
print(out)
print(type(out.grad_fn).__name__)
print(
    torch.autograd.gradcheck(
        LegendrePolynomial3.apply,
        (torch.tensor([0.3, -0.7], dtype=torch.float64, requires_grad=True),),
    )
)
