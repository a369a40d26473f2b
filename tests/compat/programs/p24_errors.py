"""Misuse cases: only the exception type is printed."""

import torch
from torch import nn


def attempt(label, fn):
    try:
        fn()
        print(label, "ok")
    except Exception as exc:
        print(label, type(exc).__name__)


attempt("matmul shapes", lambda: torch.ones(2, 3) @ torch.ones(2, 3))
attempt("add shapes", lambda: torch.ones(2, 3) + torch.ones(4))
attempt("view", lambda: torch.ones(2, 3).view(4))
attempt("item", lambda: torch.ones(3).item())
attempt("backward non-scalar", lambda: (torch.ones(2, requires_grad=True) * 2).backward())
attempt("backward no grad", lambda: torch.ones(2).sum().backward())
attempt("linear in", lambda: nn.Linear(3, 2)(torch.ones(1, 4)))


def twice():
    x = torch.tensor([1.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    y.backward()


attempt("backward twice", twice)


def leaf_inplace():
    w = torch.tensor([1.0], requires_grad=True)
    w.add_(1.0)


attempt("leaf inplace", leaf_inplace)
attempt("numpy grad", lambda: torch.tensor([1.0], requires_grad=True).numpy())
attempt("index", lambda: torch.ones(3)[5])
attempt("cat dims", lambda: torch.cat([torch.ones(2, 2), torch.ones(2, 3)]))
attempt("ce target", lambda: nn.CrossEntropyLoss()(torch.ones(2, 3), torch.tensor([0, 5])))
attempt("int grad", lambda: torch.tensor([1, 2], requires_grad=True))
attempt("load missing", lambda: nn.Linear(2, 2).load_state_dict({"weight": torch.ones(2, 2)}))
