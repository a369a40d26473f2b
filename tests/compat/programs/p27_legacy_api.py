"""Older-lesson idioms: Variable, torch.Tensor / FloatTensor constructors, .data access."""

import numpy as np
import torch
from torch.autograd import Variable

x = Variable(torch.Tensor([[1.0], [2.0], [3.0]]))
y = Variable(torch.Tensor([[2.0], [4.0], [6.0]]))
print(x, x.requires_grad)
w = Variable(torch.Tensor([1.0]), requires_grad=True)
print(w)
for epoch in range(5):
    y_pred = x * w
    loss = (y_pred - y).pow(2).sum()
    loss.backward()
    w.data = w.data - 0.01 * w.grad.data
    w.grad.data.zero_()
    print(epoch, loss.data, loss.data.item(), w.data)
print(torch.FloatTensor([1, 2, 3]), torch.LongTensor([1, 2]))
print(torch.Tensor(2, 3).shape, torch.Tensor([[1, 2]]).dtype)
print(torch.tensor([1.0, 2.0]).type(torch.DoubleTensor))
print(torch.tensor([1.0, 2.0]).type())
print(torch.ones(2).type(torch.int64))
a = np.array([[1.0, 2.0], [3.0, 4.0]])
t = torch.from_numpy(a)
print(t, t.dtype)
t2 = torch.tensor(a, dtype=torch.float32)
print(t2, torch.tensor(np.float32(3.5)), torch.tensor([np.int64(2)]))
print(torch.as_tensor([1, 2, 3]), torch.as_tensor(a).dtype)
print(w.data.numpy(), loss.detach().numpy(), loss.item())
print(torch.tensor(a).float().mean().item())
