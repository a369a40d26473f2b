"""examples/graduate_to_pytorch.py end to end: glassgrad trains, saves; PyTorch continues in
one process and with DistributedDataParallel (2 processes, gloo); the losses keep falling and
DDP lands on the single-process weights."""

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="the example continues training in PyTorch")

ROOT = Path(__file__).resolve().parents[1]


def test_glassgrad_checkpoint_continues_in_pytorch_ddp(tmp_path):
    if not (torch.distributed.is_available() and torch.distributed.is_gloo_available()):
        pytest.skip("this PyTorch build has no gloo backend")
    report = tmp_path / "report.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get(
        "PYTHONPATH", "")]), "OMP_NUM_THREADS": "1"}  # fmt: skip
    command = [sys.executable, str(ROOT / "examples" / "graduate_to_pytorch.py"),
               "--glassgrad-steps", "25", "--torch-steps", "10", "--dir", str(tmp_path),
               "--report", str(report)]  # fmt: skip
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(report.read_text())
    gg_losses, torch_losses = result["glassgrad_losses"], result["torch_losses"]
    ddp_losses = result["ddp_losses"]
    assert len(gg_losses) == 25 and len(torch_losses) == len(ddp_losses) == 10
    assert all(b < a for a, b in itertools.pairwise(gg_losses))
    assert torch_losses[0] < gg_losses[-1]  # PyTorch picks up where glassgrad stopped
    assert all(b < a for a, b in itertools.pairwise(torch_losses))
    assert all(b < a for a, b in itertools.pairwise(ddp_losses))
    assert max(abs(a - b) for a, b in zip(ddp_losses, torch_losses)) < 1e-6
    assert result["ddp_gap"] <= 1e-6
    assert result["glassgrad_gap"] <= 1e-6  # glassgrad would have taken the same steps
    assert "PyTorch DDP (2 processes, gloo)" in run.stdout
