"""utils.tensorboard.SummaryWriter: event files TensorBoard reads, as PyTorch writes them."""

from __future__ import annotations

import glob
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

import glassgrad

pytest.importorskip("tensorboard", reason="the tensorboard package writes and reads the files")

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.backend.event_processing.event_file_loader import (
    RawEventFileLoader,
)
from tensorboard.compat.proto.event_pb2 import Event

from glassgrad.utils.tensorboard import SummaryWriter


def _events(directory: str) -> list:
    """Every event in the directory's event files, in file then write order, as written."""
    files = sorted(glob.glob(os.path.join(directory, "events.out.tfevents.*")))
    return [Event.FromString(raw) for path in files for raw in RawEventFileLoader(path).Load()]


def _summaries(directory: str) -> list:
    """(step, wall_time, Summary.Value) of every summary event."""
    return [(e.step, e.wall_time, v) for e in _events(directory) for v in e.summary.value]


def test_import_glassgrad_does_not_import_tensorboard():
    code = "import sys, glassgrad; print('tensorboard' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.stdout.strip() == "False", run.stderr


def test_missing_tensorboard_names_the_extra():
    code = "import sys; sys.modules['tensorboard'] = None\nimport glassgrad.utils.tensorboard\n"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "ImportError" in run.stderr
    assert 'pip install "glassgrad[tensorboard]"' in run.stderr


def test_scalars_from_tensors_arrays_and_numbers(tmp_path):
    with SummaryWriter(str(tmp_path)) as writer:
        writer.add_scalar("loss", glassgrad.tensor(0.5, requires_grad=True) * 2, 0, walltime=10.0)
        writer.add_scalar("loss", np.float32(0.25), 1, walltime=11.0)
        writer.add_scalar("loss", glassgrad.tensor([[0.125]]), 2, walltime=12.0)
        writer.add_scalar("acc", 3, global_step=np.int64(7))
        writer.add_scalar("new", 1.5, 3, new_style=True, double_precision=True)
    accumulator = EventAccumulator(str(tmp_path))
    accumulator.Reload()
    loss = accumulator.Scalars("loss")
    assert [(s.step, s.wall_time, s.value) for s in loss] == [
        (0, 10.0, 1.0),
        (1, 11.0, 0.25),
        (2, 12.0, 0.125),
    ]
    assert [(s.step, s.value) for s in accumulator.Scalars("acc")] == [(7, 3.0)]
    (value,) = [v for _, _, v in _summaries(str(tmp_path)) if v.tag == "new"]
    assert list(value.tensor.double_val) == [1.5] and value.metadata.plugin_data.plugin_name == (
        "scalars"
    )


def test_scalar_errors_as_torch(tmp_path):
    with SummaryWriter(str(tmp_path)) as writer:
        with pytest.raises(AssertionError, match="should contain one element.*size: 3"):
            writer.add_scalar("x", glassgrad.ones(3))
        with pytest.raises(NotImplementedError, match="numpy array or torch tensor"):
            writer.add_scalar("x", [1.0])


def test_add_scalars_writes_one_run_per_curve(tmp_path):
    with SummaryWriter(str(tmp_path)) as writer:
        for step in range(3):
            curves = {"train": glassgrad.tensor(float(step)), "val/x": np.array(step * 2.0)}
            writer.add_scalars("loss/all", curves, step)
    for run, factor in (("loss_all_train", 1.0), ("loss_all_val/x", 2.0)):
        values = _summaries(str(tmp_path / run))
        assert [(step, v.tag, v.simple_value) for step, _, v in values] == [
            (s, "loss/all", factor * s) for s in range(3)
        ]


def test_histogram_text_and_scalars_match_torch_event_for_event(tmp_path):
    torch = pytest.importorskip("torch")
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    values = np.random.default_rng(0).standard_normal(1000)

    def log(writer, lib):
        data = lib.tensor(values)
        writer.add_scalar("s", lib.tensor(0.1), 3, walltime=1.0)
        writer.add_histogram("h", data, 1, walltime=2.0)
        writer.add_histogram("h_auto", data * 3, 2, bins="auto", walltime=3.0)
        writer.add_histogram("h_max", data, 3, max_bins=7, walltime=4.0)
        writer.add_histogram("h_int", lib.tensor([1, 1, 2, 5]), 4, bins=4, walltime=5.0)
        writer.add_histogram("h_np", values[:10], 5, walltime=6.0)
        writer.add_text("notes", "lr = **0.1** é", 6, walltime=7.0)
        writer.close()

    log(SummaryWriter(str(tmp_path / "gg")), glassgrad)
    log(TorchWriter(str(tmp_path / "torch")), torch)
    mine, theirs = _summaries(str(tmp_path / "gg")), _summaries(str(tmp_path / "torch"))
    assert len(mine) == len(theirs) == 7
    for a, b in zip(mine, theirs):
        assert a == b


def test_purge_step_and_default_log_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    writer = SummaryWriter(comment="_lr0.1", purge_step=5)
    writer.add_scalar("x", 1.0, 5)
    writer.close()
    (run,) = os.listdir(tmp_path / "runs")
    assert run.endswith("_" + socket.gethostname() + "_lr0.1")
    assert writer.get_logdir() == os.path.join("runs", run)
    events = _events(writer.get_logdir())
    assert events[0].file_version == "brain.Event:2"  # written by EventFileWriter itself
    assert (events[1].step, events[1].file_version) == (5, "brain.Event:2")
    assert (events[2].step, events[2].session_log.status) == (5, 1)  # SessionLog.START
    assert events[3].summary.value[0].simple_value == 1.0


def test_close_then_log_starts_a_new_file_and_flush_writes(tmp_path):
    writer = SummaryWriter(str(tmp_path), filename_suffix=".gg")
    writer.add_scalar("x", 1.0, 0)
    writer.flush()
    assert [v.simple_value for _, _, v in _summaries(str(tmp_path))] == [1.0]
    writer.close()
    writer.add_scalar("x", 2.0, 1)
    writer.close()
    files = glob.glob(str(tmp_path / "events.out.tfevents.*.gg"))
    assert len(files) == 2
    assert [v.simple_value for _, _, v in _summaries(str(tmp_path))] == [1.0, 2.0]


def test_add_graph_draws_the_recorded_graph(tmp_path):
    nn = glassgrad.nn
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    with SummaryWriter(str(tmp_path)) as writer:
        writer.add_graph(model, glassgrad.ones(5, 3))
    accumulator = EventAccumulator(str(tmp_path))
    accumulator.Reload()
    nodes = {node.name: node for node in accumulator.Graph().node}
    ops = sorted(node.op for node in nodes.values())
    assert ops.count("AddmmBackward0") == 2 and "ReluBackward0" in ops
    params = {n for n in nodes if n.startswith("params/")}
    assert params == {"params/0.weight", "params/0.bias", "params/2.weight", "params/2.bias"}
    (output,) = [n for n in nodes.values() if n.op == "Output"]
    last = nodes[output.input[0]]
    assert last.op == "AddmmBackward0" and "params/2.bias" in last.input
    for node in nodes.values():  # every edge points at a node of the graph
        assert all(source in nodes for source in node.input)
