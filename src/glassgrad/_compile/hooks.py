"""The recording wrappers a capture installs over glassgrad's entry points, and takes off.

Each wrapper records when a capture is active and the call comes from outside any other
recorded primitive (``capture.depth == 0``), then calls the original; otherwise it only
calls the original. A wrapper that meets something it cannot record ends the capture
(``capture.fail``) and the call goes on eagerly.
"""

from __future__ import annotations

import builtins
import functools
import sys

from glassgrad import _tensor_base
from glassgrad._compile import capture as C
from glassgrad._compile import effects
from glassgrad._compile.program import Const, Instr
from glassgrad._tensor import Tensor
from glassgrad.autograd import graph as G
from glassgrad.autograd.grad_mode import STATE
from glassgrad.nn.module import Module
from glassgrad.ops import _op
from glassgrad.ops.inplace import _UFUNCS
from glassgrad.optim import optimizer

__all__ = ["install"]

_BREAKS = (
    "item",
    "tolist",
    "numpy",
    "__bool__",
    "__float__",
    "__int__",
    "__index__",
    "__repr__",
    "__str__",
    "__format__",
)
_LOCATIONS: dict = {}  # id(function) -> [(module dict, name)]: ``_places``
_MADE: dict = {}  # (factory, original, *details) -> the wrapper it made, made once


def _once(factory, original, *details):
    """``factory(original, *details)``, made on the first capture and reused by the next:
    the wrappers read the capture from ``ACTIVE``, so one serves every capture (and making
    them anew, ``functools.wraps`` and all, was a third of a small step's capture cost)."""
    key = (factory, original, *details)
    wrapper = _MADE.get(key)
    if wrapper is None:
        wrapper = _MADE[key] = factory(original, *details)
    return wrapper


#: (the LR scheduler module when made, [(owner, name, original, wrapper)]): what ``install``
#: swaps, worked out once and reused while every original is still in place
_PLAN: list = [None, []]


def install(capture: C.Capture) -> None:
    """Swap the recording wrappers in; ``capture.undo`` remembers how to swap them out."""
    schedulers = sys.modules.get("glassgrad.optim.lr_scheduler")
    if (
        _PLAN[0] is not schedulers
        or not _PLAN[1]
        or any(_get(owner, name) is not old for owner, name, old, _ in _PLAN[1])
    ):
        _PLAN[:] = [schedulers, _plan()]
    undo = capture.undo
    for owner, name, old, new in _PLAN[1]:
        undo.append((owner, name, old))
        if isinstance(owner, dict):
            owner[name] = new
        else:
            setattr(owner, name, new)


def _get(owner, name: str):
    """What ``owner`` holds as ``name`` (a class's own, undecorated entry)."""
    if isinstance(owner, dict):
        return owner[name]
    return owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)


def _plan() -> list:
    """Every (owner, name, original, wrapper) the capture swaps in."""
    plan: list = []
    run = _op.Op.__dict__["run"].__func__
    _set(plan, _op.Op, "run", _once(_recorded_classmethod, run))
    record = _op._record
    _everywhere(plan, record, _once(_recorded_op, record))
    _install_tensor(plan)
    _set(plan, builtins, "print", C.print_break)
    _install_inplace(plan)
    _install_training(plan)
    _track_new_tensors(plan, _tensor_base._new_tensor)
    return plan


def _install_tensor(plan: list) -> None:
    """``backward`` recorded, the data-dependent conversions breaking the graph, ``.grad``
    assignments recorded, and what cannot be recorded refused."""
    _set(plan, Tensor, "backward", _once(_backward, Tensor.backward))
    for name in _BREAKS:
        if name in Tensor.__dict__:  # (``__str__`` is ``__repr__``, inherited)
            _set(plan, Tensor, name, _once(_breaking, Tensor.__dict__[name], f"Tensor.{name}()"))
    _set(plan, Tensor, "grad", _once(_recorded_setter, Tensor.__dict__["grad"]))
    _set(plan, Tensor, "data", _once(_refused_setter, Tensor.__dict__["data"]))
    _set(plan, Tensor, "requires_grad_", _once(_refused, Tensor.requires_grad_, "requires_grad_()"))


def _install_inplace(plan: list) -> None:
    """The in-place updates the capture can express recorded; the others refused."""
    inplace = sys.modules["glassgrad.ops.inplace"]  # (``glassgrad.ops.inplace`` is the function)
    for fn, before in (
        (inplace.inplace, _before_inplace),
        (inplace.fill_, _before_fill),
        (inplace.copy_, _before_copy),
    ):
        _everywhere(plan, fn, _once(_recorded, fn, before, _after_effect))
    for fn in (
        inplace.inplace_fused_add,
        inplace.inplace_unary,
        inplace.fill_random,
        inplace.assign,
        inplace.setitem,
    ):
        _everywhere(plan, fn, _once(_refused, fn, f"in-place {fn.__name__}"))


def _install_training(plan: list) -> None:
    """The optimizers' ``step`` and ``zero_grad`` recorded as effects; module calls noted;
    what changes the training setup (``train()``, loading state, schedulers) refused."""
    for cls, name in ((optimizer.Optimizer, "zero_grad"), (Module, "zero_grad")):
        fn = cls.__dict__[name]
        _set(plan, cls, name, _once(_recorded, fn, _before_method(name), _after_effect))
    # The built-in step inside its hook wrapper, however it is reached (an LR scheduler
    # wraps ``optimizer.step`` of the instance). A custom ``step`` is recorded op by op.
    hooked = optimizer.Optimizer.__dict__["step"]
    cell = hooked.__closure__[hooked.__code__.co_freevars.index("step")]
    step = _once(_recorded, cell.cell_contents, _before_step, _after_effect)
    _set(plan, cell, "cell_contents", step)
    for fn in (
        Module.train,
        Module.load_state_dict,
        optimizer.Optimizer.add_param_group,
        optimizer.Optimizer.load_state_dict,
    ):
        cls = Module if fn.__qualname__.startswith("Module") else optimizer.Optimizer
        _set(plan, cls, fn.__name__, _once(_refused, fn, f"{fn.__qualname__}()"))
    schedulers = sys.modules.get("glassgrad.optim.lr_scheduler")
    for cls in vars(schedulers).values() if schedulers else ():
        if (
            isinstance(cls, type)
            and issubclass(cls, schedulers.LRScheduler)
            and "step" in vars(cls)
        ):
            step = _once(_refused, cls.__dict__["step"], "an LR scheduler's step()")
            _set(plan, cls, "step", step)
    _set(plan, Module, "__call__", _once(_module_call, Module.__call__))


def _before_step(capture, opt, *args, **kwargs):
    if optimizer._hooks_of(opt) is not None:
        raise C._Unsupported("optimizer step hooks")
    return _before_method("step")(capture, opt, *args, **kwargs)


def _set(plan: list, owner, name: str, value) -> None:
    plan.append((owner, name, _get(owner, name), value))


def _everywhere(plan: list, original, replacement) -> None:
    """Replace a function in every glassgrad module that imported it by name."""
    for namespace, key in _places(original):
        plan.append((namespace, key, original, replacement))


def _places(original) -> list:
    """Where glassgrad's modules hold ``original`` by name: (module dict, name) pairs."""
    if id(original) not in _LOCATIONS:
        _index_functions()
    return _LOCATIONS.setdefault(id(original), [])


def _index_functions() -> None:
    """Note where each function of glassgrad's modules is held, in one pass over them all
    (a pass per function swapped was most of the first capture of a process)."""
    _LOCATIONS.clear()
    for name, module in list(sys.modules.items()):
        if name.startswith("glassgrad") and module is not None:
            namespace = module.__dict__
            for key, value in list(namespace.items()):
                if callable(value) and not isinstance(value, type):
                    _LOCATIONS.setdefault(id(value), []).append((namespace, key))


def _track_new_tensors(plan: list, original) -> None:
    """Note each tensor made outside the ops: by a creation function (a constant of the
    step) or by other code from arrays (``one_hot``, a cast: derived from data, which a
    replay would not recompute)."""
    creation = sys.modules["glassgrad._creation"].__dict__
    for namespace, key in _places(original):
        kind = "fresh" if namespace is creation else "derived"
        plan.append((namespace, key, original, _once(_noting_new_tensor, original, kind)))


def _noting_new_tensor(original, kind: str):
    @functools.wraps(original)
    def wrapper(array, grad_fn=None):
        t = original(array, grad_fn)
        capture = C.ACTIVE[0]
        if capture is not None and not capture.depth:
            capture.made[id(t)] = kind
            capture.keep.append(t)
        return t

    return wrapper


def _recorded(original, before, after):
    """Call ``original``; record around it with ``before(capture, *args)`` (returns what
    ``after(capture, pre, result, *args)`` needs) when the call is a step's primitive."""

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        capture = C.ACTIVE[0]
        if capture is None or capture.depth:
            return original(*args, **kwargs)
        try:
            pre = before(capture, *args, **kwargs)
        except C._Unsupported as exc:
            capture.fail(str(exc))
            return original(*args, **kwargs)
        capture.depth += 1
        try:
            result = original(*args, **kwargs)
        finally:
            capture.depth -= 1
        if after is not None and C.ACTIVE[0] is capture:
            try:
                after(capture, pre, result)
            except C._Unsupported as exc:
                capture.fail(str(exc))
        return result

    return wrapper


def _recorded_classmethod(run):
    return classmethod(_recorded_op(run))


def _recorded_op(original):
    """An op's entry point recorded, untraced by ``SideEffects`` when the op is glassgrad's."""
    recorded = _recorded(original, _before_op, _after_op)

    @functools.wraps(original)
    def wrapper(cls, *args):
        if effects.is_own(cls):
            return effects.untraced(recorded, cls, *args)
        return recorded(cls, *args)

    return wrapper


def _recorded_setter(prop):
    return property(prop.fget, _recorded(prop.fset, _before_set_grad, _after_effect))


def _refused_setter(prop):
    return property(prop.fget, _refused(prop.fset, "assigning .data"))


def _refused(original, what: str):
    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        capture = C.ACTIVE[0]
        if capture is not None and not capture.depth:
            capture.fail(f"{what} is not supported in a compiled step")
        return original(*args, **kwargs)

    return wrapper


def _breaking(original, what: str):
    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        capture = C.ACTIVE[0]
        if capture is not None and not capture.depth and C._in_user_code():
            capture.graph_break(what)
        return original(*args, **kwargs)

    return wrapper


# ---------------------------------------------------------------------------- ops
def _before_op(capture, cls, inputs, arrays, params):
    ins = [capture.ref(a, inputs[i] if i < len(inputs) else None) for i, a in enumerate(arrays)]
    return Instr("fwd", cls, ins, {k: capture.ref(v) for k, v in params.items()})


def _after_op(capture, instr, result):
    node = result.grad_fn
    instr.outs = [capture.temp(result._data, instr.fn.op_name.lower())]
    if node is not None and type(node) is instr.fn:
        instr.ctx = node
        capture.nodes[id(node)] = instr
    capture.emit(instr)


# ---------------------------------------------------------------------------- effects
def _before_set_grad(capture, tensor, value):
    if id(tensor) not in capture.tensors:  # overwritten before anything read it: no guard
        capture.tensors[id(tensor)] = tensor
        capture.grad_was_none[id(tensor)] = None
    ins = [] if value is None else [capture.ref(value._data, value)]
    return Instr("effect", "set_grad", ins, {"tensor": tensor})


def _before_inplace(capture, t, op, other):
    if STATE.enabled and (t._rg or getattr(other, "_rg", False)):
        raise C._Unsupported("an in-place update recorded in the graph")
    if C._is_tensor(other):
        value = capture.ref(other._data, other)
    elif isinstance(other, (int, float, bool)):
        value = Const(other)
    else:
        raise C._Unsupported(f"an in-place update with a {type(other).__name__}")
    return Instr(
        "effect", "inplace", [_target(capture, t), value], {"ufunc": _UFUNCS[op], "tensor": t}
    )


def _before_fill(capture, t, value, kind="fill"):
    if C._is_tensor(value) or t._rg:
        raise C._Unsupported("fill_ with a tensor value or on a tensor that requires grad")
    return Instr("effect", "fill", [_target(capture, t), Const(value)], {"tensor": t})


def _before_copy(capture, t, src):
    if not C._is_tensor(src) or t._rg or src._rg:
        raise C._Unsupported("copy_ of a number or inside the graph")
    value = capture.ref(src._data, src)
    return Instr("effect", "fill", [_target(capture, t), value], {"tensor": t})


def _target(capture, t):
    """The slot an in-place update writes: a ``.grad`` is read from its owner at each call."""
    slot = capture.by_id.get(id(t._data))
    if slot is None:
        for owner in list(capture.tensors.values()):
            if owner._grad is t:
                return capture.grad_slot(owner)
        slot = capture.ref(t._data, t)
    if slot.kind == "ext" and capture.made.get(id(slot.tensor)) == "fresh":
        raise C._Unsupported("an in-place update of a tensor created inside the step")
    return slot


def _after_effect(capture, instr, result):
    if instr.fn in ("inplace", "fill"):
        counter = instr.params["tensor"]._version_counter
        capture.bumps[id(counter)] = capture.bumps.get(id(counter), 0) + 1
    capture.emit(instr)


@functools.cache  # (one function per name: ``_once`` keys on it)
def _before_method(name: str):
    def before(capture, obj, *args, **kwargs):
        closure = args[0] if args else kwargs.get("closure")
        if name == "step" and closure is not None:
            raise C._Unsupported("optimizer.step(closure)")
        if hasattr(obj, "param_groups"):
            params = [p for group in obj.param_groups for p in group["params"]]
        else:
            params = list(obj.parameters())
        resets = name == "zero_grad" and _sets_to_none(obj, args, kwargs)
        for p in params:
            fresh = id(p) not in capture.tensors
            capture.watch(p)
            if resets and fresh:  # reset before anything read it: no guard on its ``.grad``
                capture.grad_was_none[id(p)] = None
            capture.opaque.add(id(p._version_counter))
        if hasattr(obj, "param_groups") and obj not in capture.optimizers:
            capture.optimizers.append(obj)
        grads = {id(p): None if p._grad is None else p._grad._data for p in params}
        details = {"obj": obj, "name": name, "args": args, "kwargs": kwargs, "grads": grads}
        return Instr("effect", "method", [], details)

    return before


def _sets_to_none(obj, args: tuple, kwargs: dict) -> bool:
    """Whether ``obj.zero_grad(*args, **kwargs)`` is the optimizer's or module's own and sets
    every ``.grad`` to None, whatever it was (the step then does not depend on it)."""
    own = (
        type(obj).zero_grad is optimizer.Optimizer.zero_grad
        if isinstance(obj, optimizer.Optimizer)
        else isinstance(obj, Module) and type(obj).zero_grad is Module.zero_grad
    )
    set_to_none = kwargs.get("set_to_none", args[0] if args else True)
    return own and set_to_none is True


# ---------------------------------------------------------------------------- modules, backward
def _module_call(original):
    @functools.wraps(original)
    def wrapper(self, *args, **kwargs):
        capture = C.ACTIVE[0]
        if capture is not None and all(m is not self for m in capture.modules):
            capture.modules.append(self)
            for t in (*self.parameters(), *self.buffers()):
                capture.see_version(t)
        return original(self, *args, **kwargs)

    return wrapper


def _backward(original):
    @functools.wraps(original)
    def wrapper(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        capture = C.ACTIVE[0]
        if capture is None or capture.depth:
            return original(self, gradient, retain_graph, create_graph, inputs)
        problem = None
        if gradient is not None or inputs is not None or create_graph or retain_graph:
            problem = "backward(gradient=..., inputs=..., retain_graph or create_graph)"
        elif self.grad_fn is None or self._data.size != 1 or G.BACKWARD_CALL_HOOKS:
            problem = "backward of a tensor that is not a scalar result of the graph"
        else:
            problem = C.check_graph(capture, self.grad_fn)
        if problem is not None:
            capture.fail(f"{problem} is not supported in a compiled step")
            return original(self, gradient, retain_graph, create_graph, inputs)
        capture.depth += 1
        try:
            if all(effects.is_own(instr.fn) for instr in capture.nodes.values()):
                effects.untraced(C.backward, capture, self)
            else:
                C.backward(capture, self)
        finally:
            capture.depth -= 1
        return None

    return wrapper
