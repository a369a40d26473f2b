"""Tensors lesson: creating tensors from lists, NumPy arrays and other tensors."""

import numpy as np
import torch

data = [[1, 2], [3, 4]]
x_data = torch.tensor(data)
print(x_data)
print(x_data.dtype, x_data.shape, x_data.device)

np_array = np.array(data)
x_np = torch.from_numpy(np_array)
print(x_np)
print(x_np.dtype)

x_ones = torch.ones_like(x_data)
print(f"Ones Tensor: \n {x_ones} \n")
x_zeros = torch.zeros_like(x_data, dtype=torch.float)
print(f"Zeros Tensor: \n {x_zeros} \n")
x_full = torch.full_like(x_data, 7)
print(x_full)

shape = (2, 3)
ones_tensor = torch.ones(shape)
zeros_tensor = torch.zeros(shape)
print(f"Ones Tensor: \n {ones_tensor} \n")
print(f"Zeros Tensor: \n {zeros_tensor}")

print(torch.arange(5))
print(torch.arange(1, 4, 0.5))
print(torch.linspace(0, 1, steps=5))
print(torch.eye(3))
print(torch.empty(2, 2).shape)
print(torch.tensor(3.5), torch.tensor(True), torch.tensor([1.5, 2]))
print(torch.tensor([], dtype=torch.float32))
print(torch.tensor([[1.0, -2.25], [1e-3, 100.0]]))
print(torch.tensor([1, 2, 3], dtype=torch.float64))
print(torch.tensor([0.1, 0.2], dtype=torch.float16))
print(torch.zeros(2, 3, dtype=torch.int32))
print(torch.full((2, 2), 3.14))
print(torch.as_tensor([1, 2, 3]).dtype)
f = torch.tensor(data, dtype=torch.float32)
print(f.dtype, f.is_floating_point(), x_data.is_floating_point())
print(f.ndim, f.dim(), f.numel(), f.size(), f.size(1), len(f))
print(f.shape[0], list(f.shape), tuple(f.shape))
