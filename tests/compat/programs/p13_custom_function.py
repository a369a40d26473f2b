"""A custom autograd.Function with ctx.save_for_backward."""

import torch


class MyReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        grad = grad_output.clone()
        grad[x < 0] = 0
        return grad


class Cube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return scale * x**3

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 3 * ctx.scale * x**2, None


x = torch.tensor([-2.0, -0.5, 0.0, 1.0, 3.0], requires_grad=True)
y = MyReLU.apply(x)
print(y)
print(y.grad_fn is not None)
y.sum().backward()
print(x.grad)
x.grad = None
z = Cube.apply(x, 2.0)
print(z)
z.backward(torch.ones_like(z))
print(x.grad)
relu = MyReLU.apply
w = torch.tensor([[0.5, -1.0], [1.5, 2.0]], requires_grad=True)
inp = torch.tensor([[1.0, 2.0]])
out = relu(inp @ w).sum()
out.backward()
print(out, w.grad)
