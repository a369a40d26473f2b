"""The shipped data sets load with the right shapes, labels and values."""

from __future__ import annotations

import csv
from importlib import resources

import numpy as np
import pytest

import glassgrad
from glassgrad.datasets import load_diabetes, load_iris, read_csv_text


def test_iris_shape_labels_and_known_rows():
    iris = load_iris()
    assert iris.data.shape == (150, 4) and iris.data.dtype == glassgrad.float32
    assert iris.target.dtype == glassgrad.int64
    assert iris.target_names == ("setosa", "versicolor", "virginica")
    assert np.bincount(iris.target.numpy()).tolist() == [50, 50, 50]
    assert iris.data[0].tolist() == pytest.approx([5.1, 3.5, 1.4, 0.2])
    assert iris.data[-1].tolist() == pytest.approx([5.9, 3.0, 5.1, 1.8])
    # Fisher's table; the means are the classic summary statistics
    assert iris.data.mean(0).tolist() == pytest.approx([5.843, 3.057, 3.758, 1.199], abs=1e-3)
    assert iris.task == "classification" and len(iris) == 150


def test_diabetes_shape_and_known_values():
    diabetes = load_diabetes()
    assert diabetes.data.shape == (442, 10) and diabetes.target.shape == (442,)
    assert diabetes.feature_names == (
        "age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"
    )  # fmt: skip
    assert diabetes.data[0].tolist() == pytest.approx(
        [59, 2, 32.1, 101, 157, 93.2, 38, 4, 4.8598, 87], rel=1e-6
    )
    assert diabetes.target[:3].tolist() == [151.0, 75.0, 141.0]
    assert diabetes.target.min().item() == 25 and diabetes.target.max().item() == 346
    assert diabetes.task == "regression"


@pytest.mark.parametrize("loader", [load_diabetes, load_iris])
def test_standardize_gives_zero_mean_unit_std(loader):
    data = loader(standardize=True).data.numpy().astype(np.float64)
    assert np.abs(data.mean(0)).max() < 1e-5
    assert np.allclose(data.std(0), 1.0, atol=1e-5)


def test_standardized_diabetes_target():
    target = load_diabetes(standardize=True).target.numpy().astype(np.float64)
    assert abs(target.mean()) < 1e-5 and abs(target.std() - 1) < 1e-5


def test_files_are_package_data_with_licence_notes():
    folder = resources.files("glassgrad.datasets").joinpath("data")
    notes = folder.joinpath("README.md").read_text(encoding="utf-8")
    assert "Least Angle Regression" in notes and "Fisher" in notes and "BSD 3-Clause" in notes
    for name, rows in (("diabetes.csv", 442), ("iris.csv", 150)):
        with folder.joinpath(name).open(encoding="utf-8") as fh:
            assert len(list(csv.reader(fh))) == rows + 1


def test_missing_file_names_the_fix():
    with pytest.raises(FileNotFoundError, match="reinstall glassgrad"):
        read_csv_text("no_such_set.csv")


def test_loaders_feed_a_dataloader():
    from glassgrad.utils.data import DataLoader, TensorDataset

    iris = load_iris(standardize=True)
    loader = DataLoader(TensorDataset(iris.data, iris.target), batch_size=32, shuffle=True)
    batches = list(loader)
    assert len(batches) == 5
    assert sum(len(y) for _, y in batches) == 150
