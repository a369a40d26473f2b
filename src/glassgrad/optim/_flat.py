"""One parameter group's optimizer state kept in a few flat buffers.

A NumPy call costs about a microsecond before it touches any data, so updating many small
parameters one by one is mostly call overhead. ``FlatPlan`` stores the state tensors of small
parameters side by side in shared 1-D buffers (the tensors in ``optimizer.state`` are views of
them, so ``state_dict`` and in-place edits see the same numbers), gathers their gradients with
one call, and runs the optimizer's elementwise kernel once per buffer. Large parameters keep
their own state arrays and are processed in chunks, which bounds the scratch memory. The
arithmetic is elementwise, so every element gets exactly the operations of the one-parameter
path.

Each step first checks, by identity, that nothing the plan relies on was replaced (the state
dict, the state tensors and their arrays, the parameters' arrays, the gradients' shapes and
dtypes, the step counters); otherwise the optimizer rebuilds the plan or uses its
one-parameter path.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter, is_
from typing import TypeVar

from glassgrad._backend import ndarray, xp
from glassgrad._tensor import Tensor
from glassgrad._tensor_base import _new_tensor
from glassgrad.optim import _functional as F

__all__ = ["FlatPlan", "Kernel", "Scratch"]

PACK_LIMIT = 1 << 15  # parameters with fewer elements share packed buffers
CHUNK = 1 << 16  # elements per kernel call at most: bounds the scratch buffers

_get_data = attrgetter("_data")
_get_shape = attrgetter("shape")
_get_dtype = attrgetter("dtype")

# kernel(param, grad, buffers, scratch, constants): ``param`` is updated in place, or is None
# and the update to add is left in ``scratch.update``; all arrays are 1-D and equally long.
# ``constants`` is the optimizer's own object of step scalars (Adam's ``_Constants``).
C = TypeVar("C")
Kernel = Callable[[ndarray | None, ndarray, tuple, "Scratch", C], None]


class Scratch:
    """Work arrays of one chunk's length: ``grad`` (the effective gradient), ``a`` and
    ``update`` (parameter dtype) and ``wide`` (float64: where float32 fused multiply-adds are
    computed; float64 ones need none, see ``_kernels/fma.py``)."""

    __slots__ = ("a", "grad", "update", "wide")

    def __init__(self, grad: ndarray, a: ndarray, update: ndarray, wide: ndarray) -> None:
        self.grad, self.a, self.update, self.wide = grad, a, update, wide

    @classmethod
    def like(cls, param: ndarray) -> Scratch:
        """Work arrays of ``param``'s shape and dtype (a kernel run on one parameter)."""
        dtype, shape = param.dtype, param.shape
        wide = xp.empty(shape if dtype.itemsize < 8 else 0, xp.float64)
        return cls(xp.empty(shape, dtype), xp.empty(shape, dtype), xp.empty(shape, dtype), wide)


class _Segment:
    """Consecutive parameters sharing buffers (``packed``), or one large parameter."""

    __slots__ = ("buffers", "packed", "param_views", "size", "start", "stop", "update_views")

    def __init__(self, start: int, stop: int, packed: bool, size: int) -> None:
        self.start, self.stop, self.packed, self.size = start, stop, packed, size
        self.buffers: tuple = ()
        self.update_views: list = []  # packed: each parameter's part of the update scratch
        self.param_views: list = []  # packed: each parameter's part of the param scratch


class FlatPlan:
    """The flat layout of one group's state for the parameters that have gradients now.

    Built only when every parameter has the same float dtype and either all of them have no
    state yet, or all have complete state with one common step count.
    """

    def __init__(self, state, group: dict, params: list[Tensor], keys: tuple[str, ...]):
        self.state = state
        self.group = group
        self.params = params
        self.keys = keys
        self.datas = [p._data for p in params]
        self.shapes = [d.shape for d in self.datas]
        self.dtype = self.datas[0].dtype
        self.pending = True  # state not installed in ``optimizer.state`` yet (fresh params)
        self.dicts: list = []
        # every state tensor as (dict, key) -> tensor -> array, re-checked by identity
        self.entry_dicts: list = []
        self.entry_keys: list = []
        self.entries: list = []
        self.entry_arrays: list = []
        self.steps: ndarray | None = None
        self.step_bytes = b""
        self.grads: list = []
        self.segments: list[_Segment] = []
        self.scratch: Scratch | None = None
        self.param_scratch: ndarray | None = None
        self.update: Callable[[FlatPlan, dict], None] | None = None  # set by the optimizer

    def __call__(self, group: dict, params: list[Tensor]) -> None:
        """The optimizer's fast update of the whole group (``Optimizer._check_group``)."""
        self.update(self, group)

    # ------------------------------------------------------------------ building
    @classmethod
    def build(cls, state, group: dict, params: list[Tensor], keys: tuple[str, ...]):
        """A plan for these parameters, or None when their state does not fit one."""
        dtype = params[0]._data.dtype
        if len({id(_root(p._data)) for p in params}) != len(params):
            return None  # duplicate or overlapping parameters: updated one after the other
        fresh = True
        step_values = set()
        step_dtypes = set()
        seen = set()
        for i, p in enumerate(params):
            data = p._data
            if data.dtype != dtype or dtype.kind != "f":
                return None
            if data.size >= PACK_LIMIT and not data.flags.c_contiguous:
                return None  # a large parameter is updated through a flat view of its array
            values = state.get(p)
            if not values:
                if i and not fresh:
                    return None
                continue
            if i and fresh:
                return None  # some parameters have state and some not: counts differ
            fresh = False
            step = values.get("step")
            if not isinstance(step, Tensor) or step._data.ndim != 0:
                return None
            step_values.add(float(step._data))
            step_dtypes.add(step._data.dtype)
            seen.add(id(step))
            for key in keys:
                t = values.get(key)
                if not isinstance(t, Tensor) or t._data.shape != data.shape:
                    return None
                if t._data.dtype != dtype or id(t) in seen:
                    return None
                seen.add(id(t))
        if len(step_values) > 1 or len(step_dtypes) > 1:
            return None
        plan = cls(state, group, params, keys)
        plan._layout()
        if not fresh:
            plan._install(step_dtypes.pop())
        return plan

    def _layout(self) -> None:
        """Split the parameters into packed runs of small ones and single large ones."""
        segments = []
        start = 0
        n = len(self.params)
        while start < n:
            size = self.datas[start].size
            if size >= PACK_LIMIT:
                segments.append(_Segment(start, start + 1, False, size))
                start += 1
                continue
            stop, total = start, 0
            while stop < n and self.datas[stop].size < PACK_LIMIT:
                if total + self.datas[stop].size > CHUNK:
                    break
                total += self.datas[stop].size
                stop += 1
            segments.append(_Segment(start, stop, True, total))
            start = stop
        self.segments = segments
        length = max(min(s.size, CHUNK) for s in segments)
        self.scratch = Scratch.like(xp.empty(length, self.dtype))  # one chunk's work arrays
        for seg in segments:
            if seg.packed:
                seg.update_views = _packed_views(
                    self.scratch.update, self.datas[seg.start : seg.stop]
                )

    def _install(self, step_dtype) -> None:
        """Move the state into the flat buffers (fresh: zeros), the state tensors becoming
        views of them; the values stay the same."""
        state = self.state
        self.steps = xp.zeros(len(self.params), step_dtype)
        tensors = self._move_to_buffers()
        dicts = []
        for i, p in enumerate(self.params):
            values = state[p]
            old = values.get("step")
            view = self.steps[i : i + 1].reshape(())
            if old is None:
                values["step"] = _new_tensor(view)
            else:
                view[...] = old._data
                old._data = view
            for key in self.keys:
                values[key] = tensors[key][i]
            dicts.append(values)
        self.dicts = dicts
        keys = ("step", *self.keys)
        self.entry_dicts = [values for values in dicts for _ in keys]
        self.entry_keys = list(keys) * len(dicts)
        self.entries = list(map(dict.get, self.entry_dicts, self.entry_keys))
        self.entry_arrays = [t._data for t in self.entries]
        self.step_bytes = self.steps.tobytes()
        self.pending = False

    def _move_to_buffers(self) -> dict:
        """Each segment's state arrays become (views of) its buffers, keeping their values;
        returns each key's state tensors in parameter order (new ones for fresh state)."""
        tensors = {key: [] for key in self.keys}
        for seg in self.segments:
            buffers = []
            for key in self.keys:
                if seg.packed:
                    flat = xp.zeros(seg.size, self.dtype)
                    views = _packed_views(flat, self.datas[seg.start : seg.stop])
                else:
                    views = [self._own_array(key, seg.start)]
                    flat = views[0].reshape(-1)
                for i, view in zip(range(seg.start, seg.stop), views):
                    tensors[key].append(self._adopt(key, i, view))
                buffers.append(flat)
            seg.buffers = tuple(buffers)
        return tensors

    def _own_array(self, key: str, i: int) -> ndarray:
        """Where large parameter ``i``'s ``key`` state lives from now on: its own contiguous
        array (kept if it already is one)."""
        old = self._old(key, i)
        if old is not None and old._data.flags.c_contiguous:
            return old._data
        return xp.zeros(self.datas[i].shape, self.dtype)

    def _old(self, key: str, i: int):
        values = self.state.get(self.params[i])
        return values.get(key) if values else None

    def _adopt(self, key: str, i: int, view: ndarray) -> Tensor:
        """The state tensor of parameter ``i`` for ``key``, now a view of ``view``."""
        old = self._old(key, i)
        if old is None:
            return _new_tensor(view)
        if view is not old._data:
            view[...] = old._data
            old._data = view
        return old

    # ------------------------------------------------------------------ each step
    def matches(self, state, group: dict, params: list[Tensor]) -> bool:
        """Whether this plan still describes these parameters and their state (and the
        gradients have the parameters' shapes and dtype); keeps the gradients for ``run``."""
        if not self.intact(state, group, params):
            return False
        grads = [p._grad._data for p in params]
        if list(map(_get_shape, grads)) != self.shapes:
            return False
        if not all(map(self.dtype.__eq__, map(_get_dtype, grads))):
            return False
        self.grads = grads
        return True

    def intact(self, state, group: dict, params: list[Tensor]) -> bool:
        """Whether this plan still describes these parameters and their state, checked by
        identity (a compiled step that updates the buffers itself guards on it)."""
        if (
            self.pending
            or self.state is not state
            or self.group is not group
            or len(params) != len(self.params)
            or not all(map(is_, map(state.get, params), self.dicts))  # (so: the same params)
            or not all(map(is_, map(_get_data, params), self.datas))
            or self.steps.tobytes() != self.step_bytes
        ):
            return False
        entries = list(map(dict.get, self.entry_dicts, self.entry_keys))
        if not all(map(is_, entries, self.entries)):
            return False
        return all(map(is_, map(_get_data, entries), self.entry_arrays))

    def collect_grads(self) -> None:
        self.grads = [p._grad._data for p in self.params]

    def advance(self) -> float:
        """Add one to every parameter's step count; returns the new (common) count."""
        if self.pending:
            self._install(F.step_tensor()._data.dtype)
        steps = self.steps
        steps += 1
        self.step_bytes = steps.tobytes()
        return float(steps[0])

    def run(self, kernel: Kernel[C], constants: C, uses_param: bool) -> None:
        """Apply ``kernel`` to every parameter; ``uses_param``: it reads the parameter's values
        (weight decay), so packed parameters are gathered first."""
        scratch = self.scratch
        datas, grads = self.datas, self.grads
        for seg in self.segments:
            n = seg.size
            if seg.packed:
                part = scratch if n == len(scratch.a) else _cut(scratch, n)
                xp.concatenate(grads[seg.start : seg.stop], axis=None, out=part.grad)
                if uses_param:
                    values = self._param_scratch(seg)
                    xp.concatenate(datas[seg.start : seg.stop], axis=None, out=values)
                    kernel(values, part.grad, seg.buffers, part, constants)
                    for data, view in zip(datas[seg.start : seg.stop], seg.param_views):
                        xp.copyto(data, view)
                else:
                    kernel(None, part.grad, seg.buffers, part, constants)
                    for data, view in zip(datas[seg.start : seg.stop], seg.update_views):
                        data += view
                continue
            param = datas[seg.start].reshape(-1)
            grad = grads[seg.start].reshape(-1)
            for a in range(0, n, CHUNK):
                b = min(a + CHUNK, n)
                part = scratch if b - a == len(scratch.a) else _cut(scratch, b - a)
                buffers = tuple(buf[a:b] for buf in seg.buffers)
                kernel(param[a:b], grad[a:b], buffers, part, constants)
        for p in self.params:
            p._version_counter[0] += 1
        self.grads = []

    def _param_scratch(self, seg: _Segment) -> ndarray:
        if self.param_scratch is None:
            self.param_scratch = xp.empty(len(self.scratch.a), self.dtype)
            for s in self.segments:
                if s.packed:
                    s.param_views = _packed_views(self.param_scratch, self.datas[s.start : s.stop])
        return self.param_scratch[: seg.size]


def _packed_views(flat: ndarray, datas: list) -> list:
    """Consecutive parts of ``flat``, shaped as the arrays ``datas`` in order."""
    views, offset = [], 0
    for data in datas:
        views.append(flat[offset : offset + data.size].reshape(data.shape))
        offset += data.size
    return views


def _root(array: ndarray) -> ndarray:
    """The array that owns the memory ``array`` views."""
    while array.base is not None and isinstance(array.base, ndarray):
        array = array.base
    return array


def _cut(scratch: Scratch, n: int) -> Scratch:
    return Scratch(scratch.grad[:n], scratch.a[:n], scratch.update[:n], scratch.wide[:n])
