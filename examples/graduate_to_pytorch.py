"""Train a small model in glassgrad, then keep training it in PyTorch: one process, then
DistributedDataParallel over 2 processes (the road to many machines).

The model, data and training loop are written once against the ``torch`` API and run with
``import glassgrad as torch`` for the first stage and real ``import torch`` afterwards. The
checkpoint glassgrad writes is PyTorch's own format, so ``torch.load(..., weights_only=True)``
reads it directly. See docs/graduate.md for the walkthrough.

Run:
    python examples/graduate_to_pytorch.py --glassgrad-steps 40 --torch-steps 40
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import socket
import tempfile

import numpy as np

WORLD_SIZE = 2
LR = 0.005


# ------------------------------------------------------------ written once, for either library
def make_model(torch):
    """A 2-16-1 tanh network; ``torch`` is ``glassgrad`` or the real ``torch`` module."""
    return torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))


def make_data(torch, n: int = 64):
    """The same regression problem in either library: y = sin(x0) + x1 / 2."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, size=(n, 2)).astype(np.float32)
    y = (np.sin(x[:, :1]) + 0.5 * x[:, 1:]).astype(np.float32)
    return torch.tensor(x), torch.tensor(y)


def train(torch, model, optimizer, x, y, steps: int, average=None) -> list[float]:
    """Full-batch Adam steps on (x, y); ``average`` turns a local loss into the global one."""
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(average(loss.detach()) if average else loss.item())
    return losses


# ------------------------------------------------------------ stage 1: glassgrad
def train_in_glassgrad(steps: int, checkpoint: str) -> list[float]:
    torch = importlib.import_module("glassgrad")
    torch.manual_seed(0)
    model = make_model(torch)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    x, y = make_data(torch)
    losses = train(torch, model, optimizer, x, y, steps)
    torch.save({"model": model.state_dict(), "optim": optimizer.state_dict()}, checkpoint)
    return losses


def continue_in_glassgrad(checkpoint: str, steps: int) -> list[list[float]]:
    """What glassgrad itself would have done next (to compare with PyTorch's continuation)."""
    torch = importlib.import_module("glassgrad")
    model, optimizer = _restore(torch, checkpoint)
    train(torch, model, optimizer, *make_data(torch), steps)
    return [p.detach().reshape(-1).tolist() for p in model.parameters()]


def _restore(torch, checkpoint: str):
    state = torch.load(checkpoint, weights_only=True)
    model = make_model(torch)
    model.load_state_dict(state["model"])
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    optimizer.load_state_dict(state["optim"])
    return model, optimizer


# ------------------------------------------------------------ stage 2: PyTorch, one process
def continue_in_pytorch(checkpoint: str, steps: int) -> tuple[list[float], list[list[float]]]:
    import torch

    model, optimizer = _restore(torch, checkpoint)
    losses = train(torch, model, optimizer, *make_data(torch), steps)
    return losses, [p.detach().reshape(-1).tolist() for p in model.parameters()]


# ------------------------------------------------------------ stage 3: PyTorch DDP, 2 processes
def _ddp_worker(rank: int, port: int, checkpoint: str, steps: int, report: str) -> None:
    """One of WORLD_SIZE processes: each trains on its shard; DDP averages the gradients, so
    the global batch is the same as the single process's full batch."""
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    dist.init_process_group("gloo", rank=rank, world_size=WORLD_SIZE)
    try:
        torch.set_num_threads(1)
        model, optimizer = _restore(torch, checkpoint)
        ddp_model = DistributedDataParallel(model)
        x, y = make_data(torch)
        shard = slice(rank * len(x) // WORLD_SIZE, (rank + 1) * len(x) // WORLD_SIZE)

        def average(loss):
            dist.all_reduce(loss)
            return loss.item() / WORLD_SIZE

        losses = train(torch, ddp_model, optimizer, x[shard], y[shard], steps, average)
        if rank == 0:
            weights = [p.detach().reshape(-1).tolist() for p in model.parameters()]
            with open(report, "w") as fh:
                json.dump({"losses": losses, "weights": weights}, fh)
    finally:
        dist.destroy_process_group()


def continue_with_ddp(checkpoint: str, steps: int) -> tuple[list[float], list[list[float]]]:
    import torch.multiprocessing as mp

    report = checkpoint + ".ddp.json"
    mp.spawn(_ddp_worker, args=(_free_port(), checkpoint, steps, report), nprocs=WORLD_SIZE)
    with open(report) as fh:
        result = json.load(fh)
    return result["losses"], result["weights"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _max_difference(a: list[list[float]], b: list[list[float]]) -> float:
    return max(float(np.max(np.abs(np.array(p) - np.array(q)))) for p, q in zip(a, b))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--glassgrad-steps", type=int, default=40)
    parser.add_argument("--torch-steps", type=int, default=40)
    parser.add_argument("--dir", default=None, help="where to write the checkpoint")
    parser.add_argument("--report", default=None, help="write the results as JSON here")
    args = parser.parse_args()
    directory = args.dir or tempfile.mkdtemp(prefix="graduate-")
    checkpoint = os.path.join(directory, "glassgrad_ckpt.pt")

    gg_losses = train_in_glassgrad(args.glassgrad_steps, checkpoint)
    print(f"glassgrad   steps 1-{len(gg_losses)}: loss {gg_losses[0]:.5f} -> {gg_losses[-1]:.5f}")
    single_losses, single_weights = continue_in_pytorch(checkpoint, args.torch_steps)
    print(f"PyTorch     next {len(single_losses)} steps: {single_losses[0]:.5f} -> "
          f"{single_losses[-1]:.5f}")  # fmt: skip
    ddp_losses, ddp_weights = continue_with_ddp(checkpoint, args.torch_steps)
    print(
        f"PyTorch DDP ({WORLD_SIZE} processes, gloo): {ddp_losses[0]:.5f} -> {ddp_losses[-1]:.5f}"
    )
    ddp_gap = _max_difference(ddp_weights, single_weights)
    glassgrad_gap = _max_difference(
        continue_in_glassgrad(checkpoint, args.torch_steps), single_weights
    )
    print(f"max |DDP - single-process| weight difference: {ddp_gap:.3g}")
    print(f"max |glassgrad - PyTorch| weight difference after the same steps: {glassgrad_gap:.3g}")
    if args.report:
        with open(args.report, "w") as fh:
            json.dump(
                {
                    "glassgrad_losses": gg_losses,
                    "torch_losses": single_losses,
                    "ddp_losses": ddp_losses,
                    "ddp_gap": ddp_gap,
                    "glassgrad_gap": glassgrad_gap,
                },
                fh,
            )


if __name__ == "__main__":
    main()
