"""Tensors lesson: the NumPy bridge shares memory both ways."""

import numpy as np
import torch

t = torch.ones(5)
print(f"t: {t}")
n = t.numpy()
print(f"n: {n}")
t.add_(1)
print(f"t: {t}")
print(f"n: {n}")

n = np.ones(5)
t = torch.from_numpy(n)
np.add(n, 1, out=n)
print(f"t: {t}")
print(f"n: {n}")
n[0] = 10
print(t)
print(t.dtype)

a = torch.tensor([[1, 2], [3, 4]], dtype=torch.int64)
b = a.numpy()
print(b.dtype, b.shape)
a[0, 0] = 100
print(b)

c = torch.tensor(np.array([1.5, 2.5], dtype=np.float32))
print(c, c.dtype)
print(torch.tensor(np.float64(2.0)))
print(torch.from_numpy(np.arange(6).reshape(2, 3)))
print(np.asarray(torch.arange(3.0)))
print(torch.arange(4.0).tolist(), torch.tensor([[1, 2]]).tolist())
w = torch.tensor([1.0, 2.0], requires_grad=True)
print(w.detach().numpy())
try:
    w.numpy()
except RuntimeError as exc:
    print("RuntimeError:", exc)
