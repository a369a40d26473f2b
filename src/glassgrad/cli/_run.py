"""``glassgrad run script.py``: an unchanged PyTorch script, run on glassgrad.

``import torch`` (and every ``torch.X``) is served by ``TorchAliasFinder``; the script runs as
``__main__`` with its own ``sys.argv`` and directory on the path, as ``python script.py``
would run it. With ``--graph`` / ``--explain`` the command keeps the root of the script's
last ``backward()`` call (through ``autograd.graph.register_backward_call_hook``) and the
forward values (``viz.watch``), then draws or explains that graph.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tokenize
import traceback
import types

from glassgrad import viz
from glassgrad._compile import summary
from glassgrad._tensor import Tensor
from glassgrad.autograd.graph import AccumulateGrad, register_backward_call_hook
from glassgrad.cli import TorchAliasFinder, UsageError
from glassgrad.nn import Module


def _check_writable(directory: str, option: str) -> None:
    probe = directory
    while not os.path.exists(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    if not os.path.isdir(probe) or not os.access(probe, os.W_OK | os.X_OK):
        raise UsageError(f"{option}: cannot write to {directory} ({probe} is not writable)")


def _unsupported_api(exc: AttributeError) -> str | None:
    """'torch.nn.Conv3d' for an attribute glassgrad lacks on one of its modules or Tensor."""
    owner = getattr(exc, "obj", None)
    name = getattr(exc, "name", None)
    if name is None or name.startswith("__"):
        return None
    if isinstance(owner, types.ModuleType) and owner.__name__.split(".")[0] == "glassgrad":
        return "torch" + owner.__name__[len("glassgrad") :] + "." + name
    if isinstance(owner, Tensor):
        return f"torch.Tensor.{name}"
    return None


def _user_traceback(exc: BaseException, script: str) -> str:
    """The traceback from the script's own frames on, as Python would show it."""
    tb = exc.__traceback__
    while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) != script:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb or exc.__traceback__))


def _find_leaf(namespace: dict, name: str):
    """A tensor named ``name`` in the script: a variable, a dotted path, or a parameter name."""
    head, *rest = name.split(".")
    obj = namespace.get(head)
    for attr in rest:
        obj = getattr(obj, attr, None)
    if isinstance(obj, Tensor):
        return obj
    for value in namespace.values():
        if isinstance(value, Module):
            params = dict(value.named_parameters())
            if name in params:
                return params[name]
    return None


def _leaf_names(namespace: dict) -> dict:
    """Script variables (and module parameters) naming tensors, for graph labels."""
    names = {}
    for key, value in namespace.items():
        if isinstance(value, Tensor) and not key.startswith("_"):
            names[key] = value
        elif isinstance(value, Module):
            for pname, param in value.named_parameters():
                names[f"{key}.{pname}"] = param
    return names


def _no_such_tensor(name: str, names: dict) -> str:
    """The --explain error: which names the script does have, trainable ones first."""
    trainable = sorted(n for n, t in names.items() if t.requires_grad and t.grad_fn is None)
    others = sorted(n for n in names if n not in trainable)
    listed = "; ".join(
        f"{label}: {', '.join(found)}"
        for label, found in (("trainable", trainable), ("other tensors", others))
        if found
    )
    return f"--explain: the script has no tensor named {name!r}" + (
        f" (it has {listed})" if listed else " (it defines no tensors at module level)"
    )


@contextlib.contextmanager
def _last_backward(enabled: bool):
    """Yield ``[root, leaves]``: the first root tensor of the script's latest ``backward()``
    call (``None`` until it calls one) and its graph's leaves as they were at that call (see
    ``_leaves_as_at_backward``), with the forward values kept (``viz.watch``) so that graph
    can still be drawn after backward freed it."""
    last: list = [None, []]
    if not enabled:
        yield last
        return

    def remember(tensors) -> None:
        root = tensors[0]  # a strong reference: the last loss outlives the script's loop
        leaves = _leaves_of(root)
        last[:] = [root, [(t, t._data.copy(), t._version_counter[0]) for t in leaves]]

    handle = register_backward_call_hook(remember)
    try:
        with viz.watch():
            yield last
    finally:
        handle.remove()


def _leaves_of(root) -> list[Tensor]:
    """The leaf tensors of ``root``'s graph (the variables of its AccumulateGrad nodes)."""
    leaves, seen, stack = [], set(), [root.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, AccumulateGrad):
            leaves.append(node.variable)
        else:
            stack.extend(child for child, _ in node.next_functions)
    return leaves


@contextlib.contextmanager
def _leaves_as_at_backward(saved: list):
    """Give each leaf, for a while, the value and version it had at the last ``backward()``.

    A training loop updates its parameters after that call (``optimizer.step()``), so at the
    script's end the graph's leaves no longer hold the values its loss was computed from,
    and ``explain`` would refuse; the graph is drawn and explained as it was at that call."""
    now = [(t, t._data, t._version_counter[0]) for t, _, _ in saved]
    for tensor, data, version in saved:
        tensor._data, tensor._version_counter[0] = data, version
    try:
        yield
    finally:
        for tensor, data, version in now:
            tensor._data, tensor._version_counter[0] = data, version


@contextlib.contextmanager
def _as_main(script: str, argv: list[str]):
    """Run code as ``python script.py ARGS`` would: ``torch`` served by glassgrad, a fresh
    ``__main__`` module (yielded), the script's ``sys.argv`` and directory on the path."""
    finder = TorchAliasFinder()
    sys.meta_path.insert(0, finder)
    saved_argv, saved_path0 = sys.argv[:], sys.path[0]
    sys.argv = argv
    sys.path[0] = os.path.dirname(script)
    main_module = types.ModuleType("__main__")
    main_module.__file__ = script
    saved_main = sys.modules.get("__main__")
    sys.modules["__main__"] = main_module
    try:
        yield main_module
    finally:
        sys.modules["__main__"] = saved_main
        sys.argv, sys.path[0] = saved_argv, saved_path0
        sys.meta_path.remove(finder)


def main(args: argparse.Namespace) -> int:
    script = os.path.abspath(args.script)
    if not os.path.isfile(script):
        raise UsageError(f"no such script: {args.script}")
    if args.graph:
        _check_writable(os.path.dirname(os.path.abspath(args.graph)) or ".", "--graph")
    remember = bool(args.graph or args.explain)
    if args.compile:
        os.environ["GLASSGRAD_COMPILE"] = "1"
    try:
        with _as_main(script, [args.script, *args.args]) as main_module:
            with tokenize.open(script) as fh:  # honours a PEP 263 encoding line, like python
                code = compile(fh.read(), script, "exec")
            with _last_backward(remember) as last:
                exec(code, main_module.__dict__)
    except SystemExit as exc:
        if exc.code not in (None, 0) or not remember:
            raise
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # the script's own error: show it like python would
        sys.stderr.write(_user_traceback(exc, script))
        api = _unsupported_api(exc) if isinstance(exc, AttributeError) else None
        if api is not None:
            sys.stderr.write(f"glassgrad run: {api} is not supported by glassgrad yet\n")
        return 1
    finally:
        if args.compile:
            sys.stderr.write(summary())
    if remember:
        with _leaves_as_at_backward(last[1]):
            return _after_run(args, main_module.__dict__, last[0])
    return 0


def _after_run(args: argparse.Namespace, namespace: dict, root) -> int:
    """Draw / explain the graph of the script's last backward() call."""
    if root is None:
        raise UsageError("the script never called backward(); nothing to draw or explain")
    if args.graph:
        picture = viz.graph(root, params=_leaf_names(namespace), use_locals=False)
        path = os.path.abspath(args.graph)
        try:
            picture.render(path)
        except (RuntimeError, ValueError) as exc:  # e.g. .png with neither dot nor matplotlib
            print(f"glassgrad run: cannot draw {path}: {exc}", file=sys.stderr)
            return 1
        print(f"glassgrad run: graph of the last backward() written to {path}", file=sys.stderr)
    if args.explain:
        leaf = _find_leaf(namespace, args.explain)
        if leaf is None:
            raise UsageError(_no_such_tensor(args.explain, _leaf_names(namespace)))
        print(viz.explain(root, wrt=leaf, params=_leaf_names(namespace), use_locals=False))
    return 0
