"""``torch.backends``: only the CPU backend exists."""

from types import SimpleNamespace

mps = SimpleNamespace(is_available=lambda: False, is_built=lambda: False)
cudnn = SimpleNamespace(
    deterministic=False, benchmark=False, enabled=False, is_available=lambda: False
)
