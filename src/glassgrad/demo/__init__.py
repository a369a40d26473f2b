"""``glassgrad demo``: gradient descent taught end to end, with a report to look at.

Section 1 runs the four seed lessons on y = 2x side by side and checks their hand gradient;
section 2 draws the seed graph and explains its gradient by the chain rule; section 3 races
seven optimizers on four problems. Everything printed is also written, with plots, to a
self-contained report directory (``index.html`` + ``results.json``).

This package module only says what the demo offers (what the command line needs to parse
its options, without importing the demo itself); ``driver.run_demo`` runs it, ``lessons``
and ``race`` hold the sections' computations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["DATASETS", "DEFAULT_STEPS", "OPTIMIZERS", "DemoOptions"]

# Short names accepted by --optimizers / --datasets (race.py defines what each one is).
OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adagrad", "adam", "adamw")
DATASETS = ("rosenbrock", "line", "diabetes", "iris")
DEFAULT_STEPS = 500


@dataclass
class DemoOptions:
    """What ``glassgrad demo`` was asked to do (``out=None`` means print only)."""

    out: str | None = "glassgrad-report"
    steps: int | None = None
    lr: float | None = None
    optimizers: list[str] = field(default_factory=lambda: list(OPTIMIZERS))
    datasets: list[str] = field(default_factory=lambda: list(DATASETS))
    seed: int = 0
    quiet: bool = False
