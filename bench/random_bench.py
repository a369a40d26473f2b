"""Speed of glassgrad's PyTorch-exact random stream against NumPy and PyTorch.

    PYTHONPATH=src python bench/random_bench.py

Prints the best-of-N time of each workload and the ratio to its reference (the issue's
targets: ``randn(10**6)`` within 2x of NumPy's ``standard_normal``, ``nn.Linear(1024, 1024)``
construction within 2x of PyTorch's). Never part of the test run.
"""

from __future__ import annotations

import timeit

import numpy as np

import glassgrad

REPEAT, NUMBER = 7, 3


def best(fn) -> float:
    """The best per-call time in seconds over REPEAT rounds of NUMBER calls."""
    return min(timeit.repeat(fn, repeat=REPEAT, number=NUMBER)) / NUMBER


def main() -> None:
    rng = np.random.default_rng()
    rows = [
        (  # the target: NumPy's default standard_normal(10**6), float64
            "randn(10**6) float32",
            lambda: glassgrad.randn(10**6),
            "numpy standard_normal",
            lambda: rng.standard_normal(10**6),
        ),
        (
            "randn(10**6) float32",
            lambda: glassgrad.randn(10**6),
            "numpy standard_normal f32",
            lambda: rng.standard_normal(10**6, dtype=np.float32),
        ),
        (
            "randn(10**6) float64",
            lambda: glassgrad.randn(10**6, dtype=glassgrad.float64),
            "numpy standard_normal",
            lambda: rng.standard_normal(10**6),
        ),
        (
            "rand(10**6)",
            lambda: glassgrad.rand(10**6),
            "numpy random",
            lambda: rng.random(10**6, dtype=np.float32),
        ),
        (
            "randint(0, 10, 10**6)",
            lambda: glassgrad.randint(0, 10, (10**6,)),
            "numpy integers",
            lambda: rng.integers(0, 10, 10**6),
        ),
        (
            "normal_(0.3, 2.5) f32",
            lambda: glassgrad.empty(10**6).normal_(0.3, 2.5),
            "numpy normal f32",
            lambda: rng.standard_normal(10**6, dtype=np.float32) * 2.5 + 0.3,
        ),
        (
            "randperm(60000)",
            lambda: glassgrad.randperm(60000),
            "numpy permutation",
            lambda: rng.permutation(60000),
        ),
    ]
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        torch.set_num_threads(1)
        rows += [
            (
                "nn.Linear(1024, 1024)",
                lambda: glassgrad.nn.Linear(1024, 1024),
                "torch",
                lambda: torch.nn.Linear(1024, 1024),
            ),
            (
                "randn(10**6) float32",
                lambda: glassgrad.randn(10**6),
                "torch",
                lambda: torch.randn(10**6),
            ),
            (
                "randn(10**6) float64",
                lambda: glassgrad.randn(10**6, dtype=glassgrad.float64),
                "torch",
                lambda: torch.randn(10**6, dtype=torch.float64),
            ),
            (
                "randint(0, 10, 10**6)",
                lambda: glassgrad.randint(0, 10, (10**6,)),
                "torch",
                lambda: torch.randint(0, 10, (10**6,)),
            ),
            (
                "normal_(0.3, 2.5) f32",
                lambda: glassgrad.empty(10**6).normal_(0.3, 2.5),
                "torch",
                lambda: torch.empty(10**6).normal_(0.3, 2.5),
            ),
            (
                "randperm(60000)",
                lambda: glassgrad.randperm(60000),
                "torch",
                lambda: torch.randperm(60000),
            ),
        ]
    print(f"{'workload':<24}{'glassgrad':>12}  {'reference':<26}{'ref time':>10}{'ratio':>8}")
    for name, ours, ref_name, ref in rows:
        mine, theirs = best(ours), best(ref)
        print(
            f"{name:<24}{mine * 1e3:>10.2f}ms  {ref_name:<26}{theirs * 1e3:>8.2f}ms"
            f"{mine / theirs:>8.2f}"
        )


if __name__ == "__main__":
    main()
