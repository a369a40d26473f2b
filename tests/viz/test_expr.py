"""Safe expression parsing for `glassgrad explain "<expr>"`."""

import pytest

from glassgrad import viz


def test_seed_expression():
    e = viz.explain_expression("(w*x - y)**2", {"w": 1, "x": 1, "y": 2}, "w")
    assert e.lines == [
        "∂f/∂w = ∂f/∂u · ∂u/∂s · ∂s/∂w = 2u · 1 · x = 2·(−1) · 1 · 1 = −2",
        "  where s = w·x, u = s − y",
    ]
    assert e.value == -2.0


def test_functions_and_vectors():
    e = viz.explain_expression("sigmoid(w*x) + log(w)", {"w": 0.5, "x": 2}, "w")
    assert "sum over 2 paths" in str(e)
    assert e.value == pytest.approx(0.7310585786 * (1 - 0.7310585786) * 2 + 2)
    v = viz.explain_expression("w * x", {"w": 2.0, "x": [1.0, 2.0, 3.0]}, "w")
    assert v.value == pytest.approx(6.0)


@pytest.mark.parametrize(
    "text", ["__import__('os').system('true')", "w.real", "[w]", "open(w)", "w if w else w"]
)
def test_anything_but_arithmetic_is_refused(text):
    with pytest.raises(ValueError, match="not allowed"):
        viz.explain_expression(text, {"w": 1.0}, "w")


def test_missing_values_are_named():
    with pytest.raises(ValueError, match="--at y=1.0"):
        viz.explain_expression("w * y", {"w": 1.0}, "w")
    with pytest.raises(ValueError, match="--at w=1.0"):
        viz.explain_expression("w * y", {"y": 1.0}, "w")
