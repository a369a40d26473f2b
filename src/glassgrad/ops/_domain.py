"""Where an op is differentiable: the inputs its gradient is checked on.

tests/ops/test_gradients_fd.py checks every registered op's gradient against finite
differences. Which inputs make sense is a property of the op (``log`` wants positive
numbers, ``relu`` numbers away from its kink at 0, ``max`` numbers without ties), so the op
declares it in its class body, ``gradcheck_domain = Domain("pos")``, and the test draws
values of that kind.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KINDS", "Domain"]

#: the kinds of input values, each avoiding some points where ops are not differentiable
KINDS = {
    "any": "uniform in (-2, 2)",
    "pos": "uniform in (0.5, 2): positive, away from 0",
    "unit": "uniform in (-0.9, 0.9): inside (-1, 1), away from its ends",
    "away": "|x| in (0.2, 2): away from a kink at 0",
    "distinct": "values and |values| pairwise >= 0.2 apart, |x| >= 0.1: no ties",
    "grid": ">= 0.05 away from multiples of 0.5 (clamp bounds, shrink thresholds)",
    "frac": "away from integers (floor, ceil, trunc)",
    "half": "away from half-integers (round)",
}


@dataclass(frozen=True)
class Domain:
    """The inputs an op's gradient is checked on.

    Attributes:
        values: the kind of values (a key of ``KINDS``) of every input, or a tuple with one
            kind per input.
        min_dims, max_dims: how many dimensions a drawn input shape has.
        min_side: the smallest size of a dimension.
    """

    values: str | tuple[str, ...] = "any"
    min_dims: int = 0
    max_dims: int = 3
    min_side: int = 1

    def kind(self, i: int) -> str:
        """The kind of values of input ``i``."""
        return self.values if isinstance(self.values, str) else self.values[i]

    def __post_init__(self):
        kinds = (self.values,) if isinstance(self.values, str) else self.values
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise ValueError(f"Domain: unknown kinds {unknown}; use one of {sorted(KINDS)}")
