"""A linear-regression lesson: y = 2x + 1 learned with nn.Linear, MSELoss and SGD."""

import numpy as np
import torch
from torch import nn

x_values = [i for i in range(11)]
x_train = np.array(x_values, dtype=np.float32).reshape(-1, 1)
y_values = [2 * i + 1 for i in x_values]
y_train = np.array(y_values, dtype=np.float32).reshape(-1, 1)
print(x_train.shape, y_train.shape)


class LinearRegressionModel(nn.Module):
    def __init__(self, input_dim, output_dim):
        super(LinearRegressionModel, self).__init__()  # noqa: UP008 - old tutorial idiom
        self.linear = nn.Linear(input_dim, output_dim)

    def forward(self, x):
        out = self.linear(x)
        return out


model = LinearRegressionModel(1, 1)
with torch.no_grad():
    model.linear.weight.fill_(0.5)
    model.linear.bias.fill_(-0.5)
criterion = nn.MSELoss()
learning_rate = 0.01
optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
epochs = 100
for epoch in range(epochs):
    epoch += 1
    inputs = torch.from_numpy(x_train).requires_grad_()
    labels = torch.from_numpy(y_train)
    optimizer.zero_grad()
    outputs = model(inputs)
    loss = criterion(outputs, labels)
    loss.backward()
    optimizer.step()
    if epoch % 20 == 0:
        print("epoch {}, loss {}".format(epoch, round(loss.item(), 5)))  # noqa: UP032
predicted = model(torch.from_numpy(x_train).requires_grad_()).data.numpy()
print(np.round(predicted[:3], 3).tolist())
print(type(predicted), predicted.dtype)
for name, param in model.named_parameters():
    print(name, param.data)
print(model.state_dict())
print(inputs.grad.shape)
