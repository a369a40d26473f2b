"""What a new user finds without reading the source: --version, names, help(glassgrad)."""

from __future__ import annotations

import os
import subprocess
import sys

import glassgrad

SRC = os.path.dirname(os.path.dirname(os.path.abspath(glassgrad.__file__)))
ENV = {
    **os.environ,
    "OMP_NUM_THREADS": "1",
    "PYTHONIOENCODING": "utf-8",
    "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")]),
}


def glassgrad_cli(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "glassgrad", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
    )


def test_version_flag(tmp_path):
    result = glassgrad_cli("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"glassgrad {glassgrad.__version__}"


def test_explain_of_an_unknown_name_lists_the_names_that_exist(tmp_path):
    script = tmp_path / "fit.py"
    script.write_text(
        "import glassgrad as torch\n"
        "x = torch.tensor([1.0, 2.0])\n"
        "w = torch.tensor(0.5, requires_grad=True)\n"
        "model = torch.nn.Linear(1, 1)\n"
        "loss = ((w * x - 1) ** 2).mean()\n"
        "loss.backward()\n",
        encoding="utf-8",
    )
    result = glassgrad_cli("run", "--explain", "nosuch", str(script), cwd=tmp_path)
    assert result.returncode == 2
    assert "no tensor named 'nosuch'" in result.stderr
    assert "trainable: model.bias, model.weight, w; other tensors: loss, x" in result.stderr


def test_help_names_the_tools_for_looking_inside():
    doc = glassgrad.__doc__
    for name in ("explain(loss, wrt=w)", "explain_step", "viz.Trace", "viz.graph", "--version"):
        assert name in doc
