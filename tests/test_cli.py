"""The ``glassgrad`` command run as a user runs it: a subprocess in a temporary directory."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

import glassgrad

ACCEPTANCE = Path(__file__).resolve().parents[2] / "shared" / "acceptance"
SEEDS = sorted((ACCEPTANCE / "seeds").glob("*.py")) if ACCEPTANCE.is_dir() else []
SRC = os.path.dirname(os.path.dirname(os.path.abspath(glassgrad.__file__)))
# the subprocess imports the glassgrad under test (this tree's), not an installed copy
ENV = {
    **os.environ,
    "OMP_NUM_THREADS": "1",
    "PYTHONIOENCODING": "utf-8",
    "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")]),
}


def glassgrad(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "glassgrad", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=ENV,
    )


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _compare_module():
    """The acceptance checker (../shared/acceptance/compare.py), read in place."""
    spec = importlib.util.spec_from_file_location("acceptance_compare", ACCEPTANCE / "compare.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(ACCEPTANCE))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ACCEPTANCE))
    return module


@pytest.mark.skipif(not SEEDS, reason=f"acceptance programs not found at {ACCEPTANCE}")
@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_run_prints_what_pytorch_printed(seed: Path, tmp_path: Path):
    compare = _compare_module()
    proc = glassgrad("run", str(seed), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    expected = (seed.parent / "expected" / f"{seed.stem}.txt").read_text(encoding="utf-8")
    status, detail = compare.compare_lines(
        compare.to_lines(expected),
        compare.to_lines(proc.stdout),
        1e-4,
        compare.is_random_init(str(seed)),
    )
    assert status in ("exact", "close", "structure-only"), detail


def test_run_passes_argv_and_main_name(tmp_path: Path):
    script = write(
        tmp_path / "script.py",
        "import sys, torch\n"
        "print(__name__, sys.argv)\n"
        "print(torch.__name__, torch.nn.functional.__name__)\n"
        "if __name__ == '__main__':\n"
        "    print('main block ran')\n",
    )
    proc = glassgrad("run", script.name, "--epochs", "3", "-v", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "__main__ ['script.py', '--epochs', '3', '-v']",
        "glassgrad glassgrad.nn.functional",
        "main block ran",
    ]


def test_run_maps_every_torch_submodule_import_form(tmp_path: Path):
    script = write(
        tmp_path / "imports.py",
        "import torch, torch.nn as nn\n"
        "import torch.nn.functional as F\n"
        "import torch.optim\n"
        "from torch import autograd\n"
        "from torch.utils.data import DataLoader, TensorDataset\n"
        "from torch.optim import lr_scheduler\n"
        "print(nn.Linear.__module__.split('.')[0], F.relu(torch.tensor([-1.0, 2.0])))\n"
        "print(autograd.grad is torch.autograd.grad)\n",
    )
    proc = glassgrad("run", script.name, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["glassgrad tensor([0., 2.])", "True"]


def test_run_names_a_missing_submodule(tmp_path: Path):
    script = write(tmp_path / "dist.py", "import torch.distributions_of_nothing\n")
    proc = glassgrad("run", script.name, cwd=tmp_path)
    assert proc.returncode == 1
    assert "torch.distributions_of_nothing is not supported by glassgrad yet" in proc.stderr


def test_run_names_a_missing_attribute(tmp_path: Path):
    script = write(tmp_path / "attr.py", "import torch.nn as nn\nnn.NoSuchLayer3d(1)\n")
    proc = glassgrad("run", script.name, cwd=tmp_path)
    assert proc.returncode == 1
    assert "torch.nn.NoSuchLayer3d is not supported by glassgrad yet" in proc.stderr
    assert 'attr.py", line 2' in proc.stderr


def test_run_shows_the_scripts_own_error_and_exit_code(tmp_path: Path):
    write(tmp_path / "boom.py", "def f():\n    return 1 / 0\nf()\n")
    proc = glassgrad("run", "boom.py", cwd=tmp_path)
    assert proc.returncode == 1
    assert "ZeroDivisionError" in proc.stderr and 'boom.py", line 2' in proc.stderr
    write(tmp_path / "quit.py", "import sys\nsys.exit(3)\n")
    assert glassgrad("run", "quit.py", cwd=tmp_path).returncode == 3


SEED_GRAPH = """\
import torch
x = torch.tensor(1.0)
y = torch.tensor(2.0)
w = torch.tensor(1.0, requires_grad=True)
y_hat = w * x
loss = (y_hat - y) ** 2
loss.backward()
print(w.grad)
"""


def test_run_explain_names_the_leaf_and_gives_its_gradient(tmp_path: Path):
    write(tmp_path / "seed.py", SEED_GRAPH)
    proc = glassgrad("run", "--explain", "w", "seed.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("tensor(-2.)\n")
    explanation = proc.stdout.split("\n", 1)[1]
    assert "∂" in explanation and "−2" in explanation


TRAINING_LOOP = """
import torch
w = torch.tensor(1.0, requires_grad=True)
x, y = torch.tensor(3.0), torch.tensor(6.0)
optimizer = torch.optim.SGD([w], lr=0.01)
for step in range(3):
    loss = (w * x - y) ** 2
    optimizer.zero_grad()
    loss.backward()
    last_grad = w.grad.item()
    optimizer.step()
print(repr(last_grad), w.item())
"""


def test_run_explain_shows_the_last_backward_before_the_step_changed_the_leaf(tmp_path: Path):
    write(tmp_path / "train.py", TRAINING_LOOP)
    proc = glassgrad("run", "--explain", "w", "train.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    printed, explanation = proc.stdout.split("\n", 1)
    last_grad, w_after = (float(v) for v in printed.split())
    assert last_grad == pytest.approx(-12.1032, rel=1e-5)  # 2·3·(3w − 6) at w = 1.3276
    assert w_after == pytest.approx(1.448632, rel=1e-5)  # the step after it
    assert "∂" in explanation and "−12.1" in explanation  # w as at that backward()
    assert "Traceback" not in proc.stderr


def test_run_explain_unknown_leaf_is_a_usage_error(tmp_path: Path):
    write(tmp_path / "seed.py", SEED_GRAPH)
    proc = glassgrad("run", "--explain", "nothing_here", "seed.py", cwd=tmp_path)
    assert proc.returncode == 2
    assert "no tensor named 'nothing_here'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_run_graph_writes_the_last_backward_graph(tmp_path: Path):
    pytest.importorskip("graphviz", reason="graph pictures need the graphviz package")
    if subprocess.run(["which", "dot"], capture_output=True).returncode != 0:
        pytest.skip("Graphviz's dot program is not installed")
    write(tmp_path / "seed.py", SEED_GRAPH)
    proc = glassgrad("run", "--graph", "g.svg", "seed.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    svg = (tmp_path / "g.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and "PowBackward0" in svg and "MulBackward0" in svg


def test_explain_subcommand(tmp_path: Path):
    proc = glassgrad(
        "explain", "(w*x - y)**2", "--at", "w=1", "x=1", "y=2", "--wrt", "w", cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert "−2" in proc.stdout or "-2" in proc.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["demo", "--optimizers", "sgd,lbfgs2"], "unknown optimizer 'lbfgs2'"),
        (["demo", "--datasets", "mnist"], "unknown dataset 'mnist'"),
        (["demo", "--steps", "-5"], "--steps"),
        (["demo", "--steps", "many"], "--steps"),
        (["demo", "--lr", "0"], "--lr"),
        (["demo", "--out", "afile.txt/report"], "cannot write there"),
        (["demo", "--out", "notes"], "not a glassgrad report"),
        (["demo", "--frobnicate"], "unrecognized arguments"),
        (["run", "missing_script.py"], "no such script"),
        (["explain", "w*x", "--at", "w", "--wrt", "w"], "NAME=VALUE"),
        (["explain", "w*x", "--at", "w=one", "--wrt", "w"], "not a number"),
        ([], "required"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message, tmp_path: Path):
    write(tmp_path / "afile.txt", "not a directory\n")
    (tmp_path / "notes").mkdir()
    write(tmp_path / "notes" / "todo.txt", "precious\n")
    proc = glassgrad(*args, cwd=tmp_path)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert (tmp_path / "notes" / "todo.txt").read_text() == "precious\n"


def test_help_lists_examples(tmp_path: Path):
    proc = glassgrad("demo", "--help", cwd=tmp_path)
    assert proc.returncode == 0
    for option in ("--out", "--steps", "--lr", "--optimizers", "--datasets", "--seed"):
        assert option in proc.stdout
    assert "examples:" in proc.stdout
    assert "examples:" in glassgrad("run", "--help", cwd=tmp_path).stdout


def test_run_imports_the_scripts_own_modules_and_still_explains_after_sys_exit(
    tmp_path: Path,
):
    write(
        tmp_path / "helper.py",
        "import torch\n\ndef square(t):\n    return t * t\n",
    )
    write(
        tmp_path / "main.py",
        "import sys, torch\nfrom helper import square\n"
        "w = torch.tensor(3.0, requires_grad=True)\nsquare(w).backward()\nsys.exit(0)\n",
    )
    proc = glassgrad("run", "--explain", "w", "--graph", "g.dot", "main.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.rstrip().endswith("= 3 + 3 = 6\n  where s = w·w")
    assert (tmp_path / "g.dot").read_text(encoding="utf-8").startswith("digraph")
