"""Build the neural network: a Flatten + Linear/ReLU stack, printed and inspected."""

import torch
from torch import nn

device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
print(f"Using {device} device")


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10),
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


model = NeuralNetwork().to(device)
print(model)
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.linspace(-0.5, 2.0, p.numel()).reshape(p.shape).sin() * 0.01)
X = torch.linspace(0, 1, 3 * 28 * 28).reshape(3, 28, 28)
logits = model(X)
pred_probab = nn.Softmax(dim=1)(logits)
y_pred = pred_probab.argmax(1)
print(f"Predicted class: {y_pred}")
print(logits.shape, pred_probab.shape, pred_probab.sum(dim=1).round(decimals=3))

input_image = torch.ones(3, 28, 28)
print(input_image.size())
flat_image = nn.Flatten()(input_image)
print(flat_image.size())
layer1 = nn.Linear(in_features=28 * 28, out_features=20)
print(layer1)
nn.init.zeros_(layer1.weight)
nn.init.ones_(layer1.bias)
hidden1 = layer1(flat_image)
print(hidden1.size())
print(f"Before ReLU: {hidden1[0, :4]}\n\n")
hidden1 = nn.ReLU()(hidden1 - 1.5)
print(f"After ReLU: {hidden1[0, :4]}")
seq_modules = nn.Sequential(nn.Flatten(), layer1, nn.ReLU(), nn.Linear(20, 10))
print(seq_modules)
print(f"Model structure: {model}\n\n")
for name, param in model.named_parameters():
    print(f"Layer: {name} | Size: {param.size()} | Values : {param[:2]} \n")
