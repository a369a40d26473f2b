"""Small real data sets shipped inside the package (no download needed).

The files live in ``glassgrad/datasets/data/`` (origin and licence in ``data/README.md``) and
are read through :mod:`importlib.resources`, so they load the same from a source checkout,
an editable install or a wheel.

Example:
    >>> from glassgrad.datasets import load_iris
    >>> iris = load_iris()
    >>> iris.data.shape, iris.target.dtype
    (torch.Size([150, 4]), torch.int64)
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources

from glassgrad._backend import xp
from glassgrad._creation import tensor
from glassgrad._tensor import Tensor

__all__ = ["RealDataset", "load_diabetes", "load_iris", "read_csv_text"]


@dataclass(frozen=True)
class RealDataset:
    """A loaded data set: features, targets and what they mean."""

    name: str
    data: Tensor
    target: Tensor
    feature_names: tuple[str, ...]
    target_names: tuple[str, ...]
    task: str  # "regression" or "classification"
    source: str

    def __len__(self) -> int:
        return self.data.shape[0]


def read_csv_text(name: str) -> tuple[list[str], list[list[str]]]:
    """Return (header, rows) of a CSV file shipped in ``glassgrad/datasets/data``."""
    path = resources.files("glassgrad.datasets").joinpath("data", name)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(
            f"glassgrad's data file {name!r} is missing from the installed package "
            f"({path}); reinstall glassgrad (pip install --force-reinstall glassgrad)"
        ) from None
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], [r for r in rows[1:] if r]


def _standardized(values):
    """Z-score each column so every feature starts on the same scale."""
    mean = values.mean(axis=0)
    std = values.std(axis=0)
    return (values - mean) / xp.where(std > 0, std, 1.0)


def load_diabetes(standardize: bool = False) -> RealDataset:
    """The diabetes regression set: 442 patients, 10 baseline features, disease progression.

    Args:
        standardize: z-score the features and the target (mean 0, std 1), which makes
            plain gradient descent well behaved; otherwise return the original units.

    Source: Efron, Hastie, Johnstone & Tibshirani (2004), "Least Angle Regression",
    Annals of Statistics 32(2); the copy distributed with scikit-learn (BSD-3-Clause).
    """
    header, rows = read_csv_text("diabetes.csv")
    values = xp.asarray([[float(v) for v in row] for row in rows], dtype=xp.float64)
    features, target = values[:, :-1], values[:, -1]
    if standardize:
        features = _standardized(features)
        target = (target - target.mean()) / target.std()
    return RealDataset(
        name="diabetes",
        data=tensor(features.astype(xp.float32)),
        target=tensor(target.astype(xp.float32)),
        feature_names=tuple(header[:-1]),
        target_names=(header[-1],),
        task="regression",
        source="Efron et al. (2004) 'Least Angle Regression'; copy from scikit-learn",
    )


def load_iris(standardize: bool = False) -> RealDataset:
    """Fisher's Iris flowers: 150 samples, 4 measurements (cm), 3 species (int64 labels).

    Args:
        standardize: z-score the four features.

    Source: R. A. Fisher (1936), "The use of multiple measurements in taxonomic problems",
    Annals of Eugenics 7(2); public domain; the copy distributed with scikit-learn.
    """
    header, rows = read_csv_text("iris.csv")
    species = sorted({row[-1] for row in rows}, key=[r[-1] for r in rows].index)
    features = xp.asarray([[float(v) for v in row[:-1]] for row in rows], dtype=xp.float64)
    labels = xp.asarray([species.index(row[-1]) for row in rows], dtype=xp.int64)
    if standardize:
        features = _standardized(features)
    return RealDataset(
        name="iris",
        data=tensor(features.astype(xp.float32)),
        target=tensor(labels),
        feature_names=tuple(header[:-1]),
        target_names=tuple(species),
        task="classification",
        source="Fisher (1936); copy from scikit-learn",
    )
