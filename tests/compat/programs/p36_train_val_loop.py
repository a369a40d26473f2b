"""A full train/validation loop with a model class, history lists and best-state copy."""

import copy

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

X = torch.tensor([[i / 10, (i % 3) / 3] for i in range(12)])
y = (X[:, 0] > 0.5).long()
train = TensorDataset(X[:8], y[:8])
val = TensorDataset(X[8:], y[8:])
train_loader = DataLoader(train, batch_size=4)
val_loader = DataLoader(val, batch_size=4)


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(2, 3)
        self.out = nn.Linear(3, 2)

    def forward(self, x):
        return self.out(torch.tanh(self.hidden(x)))


model = Classifier()
with torch.no_grad():
    model.hidden.weight.copy_(torch.tensor([[1.0, -0.5], [0.3, 0.8], [-1.2, 0.4]]))
    model.hidden.bias.copy_(torch.tensor([0.0, -0.2, 0.1]))
    model.out.weight.copy_(torch.tensor([[0.5, -0.3, 0.9], [-0.4, 0.6, -0.7]]))
    model.out.bias.zero_()
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.RMSprop(model.parameters(), lr=0.05)
history = {"train": [], "val": []}
best = float("inf")
best_state = None
for epoch in range(6):
    model.train()
    running = 0.0
    for xb, yb in train_loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        running += loss.item()
    model.eval()
    with torch.no_grad():
        val_loss = sum(criterion(model(xb), yb).item() for xb, yb in val_loader)
        correct = sum((model(xb).argmax(1) == yb).sum().item() for xb, yb in val_loader)
    history["train"].append(round(running / len(train_loader), 4))
    history["val"].append(round(val_loss, 4))
    if val_loss < best:
        best = val_loss
        best_state = copy.deepcopy(model.state_dict())
    train_loss = running / len(train_loader)
    print(f"Epoch {epoch + 1}: train {train_loss:.4f} val {val_loss:.4f} acc {correct}/{len(val)}")
print(history)
model.load_state_dict(best_state)
print(model.out.bias)
print(optimizer.state_dict()["state"][0]["square_avg"])
