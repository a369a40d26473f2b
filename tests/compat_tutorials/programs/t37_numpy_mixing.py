"""Mixing NumPy values into tensor code, as lessons ported from NumPy do."""

import numpy as np
import torch

t = torch.tensor([1.0, 2.0, 3.0])
print(t + np.float64(1.5), (t + np.float64(1.5)).dtype)
print(np.float32(2.0) * t, t * np.int64(3))
print(t / np.float32(4.0))
arr = np.array([0.5, 0.25, 0.125], dtype=np.float32)
print(torch.from_numpy(arr) * t)
print(
    torch.tensor(arr).dtype, torch.tensor(np.arange(3)).dtype, torch.tensor(np.array([1.0])).dtype
)
print(torch.as_tensor(arr) is not None, torch.as_tensor(arr).dtype)
d = torch.tensor(np.linspace(0, 1, 5))
print(d, d.dtype)
print(d.float(), d.to(torch.float32).numpy().dtype)
print(t.numpy() * 2, type(t.numpy()), t.numpy().dtype)
print(np.mean(t.numpy()), float(t.mean()), t.mean().item())
print(t[np.int64(1)], t[1 : np.int64(3)])
idx = np.array([0, 2])
print(t[idx], t[torch.from_numpy(idx)])
x = torch.tensor([[1, 2], [3, 4]])
print(x.numpy().sum(axis=0), x.sum(0).numpy())
print(np.array(t), np.asarray(x).shape)
print(torch.tensor([np.float32(1.5), np.float32(2.5)]))
print(torch.tensor(np.float32(3.25)), torch.tensor(np.int32(7)).dtype)
print(torch.zeros(np.int64(2), 3).shape, torch.ones((np.int64(2),)).shape)
w = torch.tensor(0.0, requires_grad=True)
xs = np.array([1.0, 2.0, 3.0], dtype=np.float32)
ys = 2 * xs
loss = ((w * torch.from_numpy(xs) - torch.from_numpy(ys)) ** 2).mean()
loss.backward()
print(loss, w.grad)
print(torch.tensor([1.0, 2.0]).numpy().tolist(), t.tolist())
