"""The older lesson with examples: a two-layer ReLU net, hand-written backprop, then MyReLU."""

import torch

dtype = torch.float
device = torch.device("cpu")
N, D_in, H, D_out = 16, 10, 20, 3
x = torch.linspace(-1, 1, N * D_in, device=device, dtype=dtype).reshape(N, D_in).sin()
y = torch.linspace(0, 2, N * D_out, device=device, dtype=dtype).reshape(N, D_out).cos()
w1 = torch.linspace(-0.3, 0.3, D_in * H, dtype=dtype).reshape(D_in, H).cos() - 0.5
w2 = torch.linspace(-0.4, 0.2, H * D_out, dtype=dtype).reshape(H, D_out).sin()
w1b, w2b = w1.clone(), w2.clone()
learning_rate = 1e-3
for t in range(200):
    h = x.mm(w1)
    h_relu = h.clamp(min=0)
    y_pred = h_relu.mm(w2)
    loss = (y_pred - y).pow(2).sum().item()
    if t % 50 == 49:
        print(t, f"{loss:.5f}")
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h_relu.t().mm(grad_y_pred)
    grad_h_relu = grad_y_pred.mm(w2.t())
    grad_h = grad_h_relu.clone()
    grad_h[h < 0] = 0
    grad_w1 = x.t().mm(grad_h)
    w1 -= learning_rate * grad_w1
    w2 -= learning_rate * grad_w2


class MyReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


w1 = w1b.requires_grad_()
w2 = w2b.requires_grad_()
for t in range(200):
    relu = MyReLU.apply
    y_pred = relu(x.mm(w1)).mm(w2)
    loss = (y_pred - y).pow(2).sum()
    if t % 50 == 49:
        print(t, f"{loss.item():.5f}")
    loss.backward()
    with torch.no_grad():
        w1 -= learning_rate * w1.grad
        w2 -= learning_rate * w2.grad
        w1.grad.zero_()
        w2.grad.zero_()
print(y_pred.grad_fn.next_functions[0][0])
print(w2[:2])
