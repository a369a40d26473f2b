"""Generate: a captured program as Python source of straight-line NumPy calls.

The source names values as the user did where that is known (a module's parameter names,
the function's argument names, the globals it reads) and each line's comment quotes the
user's line that issued it. Dead values are dropped and values computed from constants only
are folded into constants. Each op line calls the op's own ``forward``/``backward`` on
arrays, so the bits are eager's; ``mode="fast"`` swaps the engine's PyTorch-order
``sum_to`` for NumPy's own sum and runs the step with the kernels' plain-NumPy twins
(``kernels.set_exact(False)`` while it runs: plain exp/log, softmax, sums and
multiply-adds in the ops and the optimizer).
"""

from __future__ import annotations

import builtins
import dis
import functools
import inspect
import keyword
import linecache
import math
import os
import re
import types

from glassgrad import _kernels
from glassgrad._backend import ndarray, xp
from glassgrad._compile.capture import _NEEDS, Capture
from glassgrad._compile.emit import EMITTERS
from glassgrad._compile.program import Const, Instr, Slot
from glassgrad._tensor import Tensor
from glassgrad._tensor_base import _new_tensor
from glassgrad.autograd import engine as _engine
from glassgrad.autograd.engine import _OWNED_REFS, sum_to
from glassgrad.autograd.grad_mode import STATE
from glassgrad.ops._dual import expand
from glassgrad.ops._op import NULL_CTX, REGISTRY
from glassgrad.optim import optimizer as _optimizer
from glassgrad.optim._flat import _cut
from glassgrad.optim._functional import add_scaled_
from glassgrad.optim.adam import Adam, _adam_kernel, _Constants
from glassgrad.optim.sgd import SGD

__all__ = ["Variant", "build"]

#: engine helpers that write into no array (a step of only these and ops reads its
#: arrays from outside unchanged)
_PURE = (xp.add, xp.asarray, sum_to, ndarray.astype, ndarray.copy)
#: the optimizer steps ``lower`` writes out (effects that read the parameters' gradients)
_STEPS = ("sgd", "adam")
#: names the generated code cannot give a value: builtins, and its own names
_RESERVED = frozenset(dir(builtins)) | {"step", "fits", "args", "prev", "prev_exact"}


class Variant:
    """One compiled version of a step: its guard, its function and their source.

    ``fits(args)`` is the generated guard: whether this variant's assumptions hold for a
    call. ``guard(args)`` says which does not (None when all do), evaluating the guards one
    by one: only a miss that is reported pays for it. The source runs with terse comments
    (``#@ path:line``: where each line came from); ``code`` is that source formatted for
    reading, made when first read (quoting the user's lines costs a file read per line,
    which a capture need not pay)."""

    def __init__(self, fits, failed: _FailedGuard, step, source: str) -> None:
        self.fits = fits
        self._failed = failed
        self.step = step
        self.source = source
        self._code: str | None = None
        self.kwargs_keys: tuple = ()

    def guard(self, args) -> str | None:
        """None when this variant fits the call, else the label of the first guard that fails."""
        return None if self.fits(args) else self._failed(args)

    @property
    def code(self) -> str:
        if self._code is None:
            self._code = _MARK.sub(_comment, self.source)
        return self._code


class CannotCompile(Exception):
    """The captured call cannot be replayed (the step then stays eager)."""


def build(capture: Capture, result, fn, flat: tuple, kwargs_keys: tuple, mode) -> Variant:
    gen = _Gen(capture, fn, flat, kwargs_keys, mode)
    template = gen.template(result)
    live = gen.drop_dead_grads(gen.lower(gen.prune()))
    body = gen.body(live)
    guard_src = gen.guard_source()
    params = ", ".join(gen.arg_names)
    returned = f"return {gen.result_expr(template)}"
    if gen.toggles:  # (before the ``finally:`` that restores grad mode)
        body.insert(body.index("finally:"), "    " + returned)
    else:
        body.append(returned)
    code = f"{guard_src}\n\ndef step({params}):\n" + "".join(f"    {line}\n" for line in body)
    namespace = dict(gen.ns)
    exec(_bytecode(code, f"<glassgrad.compile {getattr(fn, '__name__', 'step')}>"), namespace)
    return Variant(namespace["fits"], _FailedGuard(gen.guards, namespace), namespace["step"], code)


@functools.lru_cache(maxsize=64)
def _bytecode(source: str, filename: str):
    """The source compiled, once per text: a step set up again (a new model, a test, a
    sweep) generates the same source, and ``compile`` is the largest part of a capture.
    (The names the code reads are looked up in each variant's own namespace.)"""
    return compile(source, filename, "exec", dont_inherit=True)


def _result(array, node):
    """A returned tensor: the array, with the stand-in ``grad_fn`` eager's result had."""
    t = _new_tensor(array)
    t.grad_fn = node
    t._rg = True
    return t


def _spent_node(node):
    """A stand-in for a result's ``grad_fn``: same type and name, graph already freed (as
    after eager's ``backward``: a second backward raises PyTorch's error)."""
    return _bare_node(node, (), freed=True)


def _replay_ctx(node):
    """A fresh node of the op's type that its forward and backward use as ``ctx``."""
    edges = tuple((None if n is None else _NEEDS, i) for n, i in node.next_functions)
    return _bare_node(node, edges, freed=False)


def _bare_node(node, next_functions: tuple, *, freed: bool):
    """A node of ``node``'s type and input metadata that holds no values or inputs."""
    bare = object.__new__(type(node))
    bare.saved = ()
    bare._inputs = ()
    bare._versions = ()
    bare._in_meta = node._in_meta
    bare.next_functions = next_functions
    bare._seq = 0
    bare._special = bare._freed = freed
    return bare


def _out(ctx, out):
    """A 0-d forward result as ``Op.run``/``_record`` keep it: an array, also in ``saved``."""
    if type(out) is ndarray:
        return out
    array = xp.asarray(out)
    saved = getattr(ctx, "saved", ())
    if any(s is out for s in saved):
        ctx.saved = tuple(array if s is out else s for s in saved)
    return array


def _sum_to_fast(grad, shape: tuple):
    """``sum_to`` with NumPy's own summation order (``mode="fast"``)."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and grad.shape[i + lead] != 1
    )
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


class _Gen:
    def __init__(self, capture: Capture, fn, flat, kwargs_keys, mode) -> None:
        self.cap = capture
        self.fn = fn
        self.flat = flat
        self.kwargs_keys = kwargs_keys
        self.mode = mode
        self.ns = {
            "np": xp,
            "Tensor": Tensor,
            "NULL_CTX": NULL_CTX,
            "sum_to": _sum_to_fast if mode == "fast" else sum_to,
            "_out": _out,
            "_tensor": _new_tensor,
            "_result": _result,
            "add_scaled_": add_scaled_,
            "adam_update": _adam_kernel,
            "adam_constants": _Constants,
            "_owned": _engine._owned,
            "kernels": _kernels,  # (generated code calls them by name: set_exact applies)
            "expand": expand,
            "STATE": STATE,
        }
        self.taken = set(self.ns) | _RESERVED
        #: id(object) -> its name in ``ns`` (``np`` is the backend, not a value to share)
        self.bound = {id(v): k for k, v in reversed(self.ns.items()) if k != "np"}
        self.known = self._known_names()
        self.arg_names = [self._fresh(n + "_t") for n in self._arg_base_names()]
        self.returned: list[str] = []
        self.guards: list[tuple[str, str]] = []
        self.results: list[Slot] = []
        self.ctx_names: dict[int, str] = {}
        self.emitted: dict = {}  # id(forward instruction) -> its emitter (``emit``)
        self.deleted: set[str] = set()  # names ``del``-ed already
        #: ids of the 0-d slots the code holds as NumPy scalars (``emit``), made arrays
        #: where they leave the written-out code (``_as_arrays``)
        self.scalars: set[int] = set()
        self.scalar_names: dict[int, str] = {}  # id(0-d slot) -> its scalar's name
        self.preloads: list[str] = []  # lines loading those scalars at the start
        self.updates = True  # whether the step writes into arrays (``body``)
        self.toggles = True  # whether the step turns grad mode off (``body``)

    # ------------------------------------------------------------------ names
    def _fresh(self, base: str) -> str:
        name = base if base.isidentifier() else (re.sub(r"\W", "_", base) or "v")
        if name[0].isdigit():
            name = "m" + name
        if keyword.iskeyword(name):
            name += "_"
        candidate, n = name, 0
        while candidate in self.taken:
            n += 1
            candidate = f"{name}_{n}"
        self.taken.add(candidate)
        return candidate

    def _arg_base_names(self) -> list[str]:
        positional = len(self.flat) - len(self.kwargs_keys)
        names = _positional_names(self.fn)[:positional]
        names += [f"arg{i}" for i in range(len(names), positional)]
        return names + list(self.kwargs_keys)

    def _known_names(self) -> dict:
        """Names the user gave objects: module parameters, then the globals and closure
        variables the function reads (and the attributes of plain objects among them)."""
        known: dict[int, str] = {}
        for module in self.cap.modules:
            for name, p in module.named_parameters():
                known.setdefault(id(p), name)
            for name, b in module.named_buffers():
                known.setdefault(id(b), name)
        fn = getattr(self.fn, "forward", self.fn)
        code = getattr(fn, "__code__", None)
        if code is not None:
            read = {name for _, name in _loads(code)}
            scope = {k: v for k, v in getattr(fn, "__globals__", {}).items() if k in read}
            for var, cell in zip(code.co_freevars, getattr(fn, "__closure__", None) or ()):
                try:
                    scope[var] = cell.cell_contents
                except ValueError:
                    continue
            for var, value in scope.items():
                known.setdefault(id(value), var)
                for attr, sub in (
                    getattr(value, "__dict__", {}).items() if _is_holder(value) else ()
                ):
                    known.setdefault(id(sub), attr)
        return known

    def bind(self, value, base: str) -> str:
        """A namespace name for an object the code uses as it is (one name per object)."""
        name = self.bound.get(id(value))
        if name is None:
            name = self.bound[id(value)] = self._fresh(base)
            self.ns[name] = value
        return name

    def expr(self, ref) -> str:
        if isinstance(ref, Slot):
            return self.name_of(ref)
        value = ref.value
        if _literal(value):
            return repr(value)
        return self.bind(value, "c")

    def value_expr(self, ref) -> str:
        """``expr`` for written-out arithmetic: a 0-d array from outside the step (a constant,
        a parameter or argument the step does not update) read as its NumPy scalar, loaded
        once per call (arithmetic on scalars costs a tenth of that on 0-d arrays)."""
        if not (
            isinstance(ref, Slot)
            and ref.kind in ("const", "ext", "arg")
            and type(ref.value) is ndarray
            and ref.value.ndim == 0
        ):
            return self.expr(ref)
        name = self.scalar_names.get(id(ref))
        if name is None:
            if ref.kind == "const":
                name = self.bind(ref.value[()], self.name_of(ref) + "_v")
            elif self.updates:
                return self.expr(ref)  # (a scalar loaded at the start could be stale)
            else:
                name = self._fresh(self.name_of(ref) + "_v")
                self.preloads.append(f"{name} = {self.name_of(ref)}[()]")
            self.scalar_names[id(ref)] = name
        return name

    def name_of(self, slot: Slot) -> str:
        if slot.name:
            return slot.name
        if slot.kind == "arg":
            slot.name = self._fresh(self.arg_names[slot.pos][:-2])
        elif slot.kind == "ext":
            slot.name = self.bind(slot.value, self.known.get(id(slot.tensor), "p"))
        elif slot.kind == "grad":
            slot.name = self._fresh(self.tensor_name(slot.tensor)[:-2] + "_grad")
        elif slot.kind == "const":
            slot.name = self.bind(slot.value, slot.hint)
        else:
            slot.name = self._fresh(slot.hint)
        return slot.name

    def tensor_name(self, tensor) -> str:
        pos = self.cap.arg_tensors.get(id(tensor))
        if pos is not None:
            return self.arg_names[pos]
        return self.bind(tensor, self.known.get(id(tensor), "p") + "_t")

    # ------------------------------------------------------------------ analysis
    def template(self, result):
        if isinstance(result, Tensor):
            if id(result) in self.cap.arg_tensors:
                return ("arg", self.cap.arg_tensors[id(result)])
            slot = self.cap.by_id.get(id(result._data))
            if (
                slot is not None
                and slot.kind == "ext"
                and slot.tensor is result
                and id(result) not in self.cap.made
            ):
                return ("const", result)  # a parameter or other tensor from outside, itself
            if slot is None or slot.kind not in ("tmp", "const"):
                raise CannotCompile("it returns a tensor computed outside glassgrad's ops")
            node = result.grad_fn
            if node is not None and id(node) not in self.cap.ran:
                raise CannotCompile(
                    "it returns a tensor whose graph is still needed (call backward inside "
                    "the compiled function, or run it under no_grad)"
                )
            self.results.append(slot)
            index = len(self.results) - 1
            return ("slot", index, None if node is None else _spent_node(node))
        if type(result) in (tuple, list):
            return ("seq", type(result), [self.template(item) for item in result])
        if result is not None:
            raise CannotCompile(
                f"it returns a {type(result).__name__}, which Python computed (a replay "
                "returns only tensors it computed, or None)"
            )
        return ("const", result)

    def prune(self) -> list:
        """The instructions the results and effects need, constants folded."""
        used = {id(s) for s in self.results}
        ctx_needed = set()
        live = []
        for instr in reversed(self.cap.program):
            outs = [s for s in instr.outs if s is not None]
            keep = (
                instr.kind == "effect"
                or any(id(s) in used for s in outs)
                or id(instr) in ctx_needed
            )
            if not keep:
                continue
            live.append(instr)
            for ref in [*instr.ins, *instr.params.values()]:
                if isinstance(ref, Slot):
                    used.add(id(ref))
            if instr.kind == "bwd":
                ctx_needed.add(id(instr.fwd))
        live.reverse()
        written = {id(i.ins[0]) for i in live if i.kind == "effect" and i.fn in ("inplace", "fill")}
        folded = []
        for instr in live:
            refs = [*instr.ins, *instr.params.values()]
            if (
                instr.kind in ("fwd", "call")
                and instr.ctx is None
                and all(not isinstance(r, Slot) or r.kind == "const" for r in refs)
                and id(instr.outs[0]) not in written
                and id(instr) not in ctx_needed
            ):
                instr.outs[0].kind = "const"
                continue
            folded.append(instr)
        return folded

    # ------------------------------------------------------------------ source
    def body(self, live) -> list[str]:
        for instr in live:
            if instr.kind == "fwd":
                emitter = EMITTERS.get(instr.fn.op_name)
                # (the op itself, not a subclass that shares its name, e.g. SumDim's)
                own = emitter is not None and REGISTRY.get(instr.fn.op_name) is instr.fn
                if own and emitter.fits(instr):
                    self.emitted[id(instr)] = emitter
        self.last_use = self._last_uses(live)
        self.updates = any(_writes(i) for i in live)
        lines = []
        for pos, name in enumerate(self.arg_names):
            if any(s.kind == "arg" and s.pos == pos for s in self.cap.by_id.values()):
                slot = next(s for s in self.cap.by_id.values() if s.kind == "arg" and s.pos == pos)
                lines.append(f"{self.name_of(slot)} = {name}._data")
        # grad mode off as the engine runs backward, if the step calls code that reads it (an
        # op's own forward or backward, a live method call)
        self.toggles = any(self._reads_grad_mode(i) for i in live)
        if self.toggles:
            lines.append(
                "prev, STATE.enabled = STATE.enabled, False  # as the engine runs backward"
            )
            if self.mode == "fast":  # the ops and the optimizer call the plain-NumPy twins
                lines.append("prev_exact = kernels.is_exact()")
                lines.append("kernels.set_exact(False)")
            lines.append("try:")
        head = len(lines)
        loaded = set()
        last_line = None
        for instr in live:
            for ref in instr.ins:
                if isinstance(ref, Slot) and ref.kind == "grad" and id(ref) not in loaded:
                    loaded.add(id(ref))
                    owner = self.tensor_name(ref.tensor)
                    lines.append(f"{self.name_of(ref)} = {owner}._grad._data")
            backward = instr.kind == "bwd" or (
                instr.kind == "call" and id(instr.outs[0].value) in self.cap.grads
            )
            where = (backward, instr.line)
            if where != last_line and instr.line:
                lines.append(f"#@ {'backward of ' if backward else ''}{instr.line}")
                last_line = where
            lines += self._as_arrays(instr)
            lines += getattr(self, "_" + instr.kind)(instr)
            self._note_scalars(instr)
            lines += self._dels(instr)
        lines[head:head] = self.preloads
        if self.toggles:
            lines[head:] = ["    " + line for line in lines[head:]]
            lines += ["finally:", "    STATE.enabled = prev"]
            if self.mode == "fast":
                lines.append("    kernels.set_exact(prev_exact)")
        self._guards()
        return lines

    def _written_out(self, instr) -> bool:
        """Whether the instruction is NumPy arithmetic written out here (which takes NumPy
        scalars as it takes arrays), not a call of code that expects arrays."""
        if instr.kind in ("fwd", "bwd"):
            return id(instr if instr.kind == "fwd" else instr.fwd) in self.emitted
        return instr.kind == "call" and (instr.fn is xp.add or instr.fn is xp.asarray)

    def _reads_grad_mode(self, instr) -> bool:
        """Whether the instruction runs code that may read grad mode (an op's own forward
        or backward, a live method call, an engine helper of another kind), or calls the
        kernels (Adam's update: ``mode="fast"`` binds their twins in the same block)."""
        if instr.kind in ("fwd", "bwd"):
            return not self._written_out(instr)
        if instr.kind == "call":
            return instr.fn not in _PURE
        return instr.fn in ("method", "adam")

    def _as_arrays(self, instr) -> list[str]:
        """``x = np.asarray(x)`` for each scalar the instruction reads, if it needs arrays."""
        if not self.scalars or self._written_out(instr):
            return []
        refs = [*instr.ins, *instr.params.values()]
        if instr.fn in _STEPS:
            refs += [self.cap.by_id.get(id(g)) for g in instr.params["grads"].values()]
        lines = []
        for ref in refs:
            if isinstance(ref, Slot) and id(ref) in self.scalars:
                self.scalars.discard(id(ref))
                lines.append(f"{self.name_of(ref)} = np.asanyarray({self.name_of(ref)})")
        return lines

    def _note_scalars(self, instr) -> None:
        if self._written_out(instr):
            for slot in instr.outs:
                if slot is not None and slot.value.ndim == 0:
                    self.scalars.add(id(slot))

    def _fwd(self, instr) -> list[str]:
        out = self.name_of(instr.outs[0])
        emitter = self.emitted.get(id(instr))
        if emitter is not None:
            args = [self.value_expr(r) for r in instr.ins]
            return [f"{out} = {emitter.forward(self, instr, *args)}"]
        cls = self.bind(instr.fn, instr.fn.op_name)
        ctx = "NULL_CTX"
        if instr.ctx is not None:
            ctx = self.bind(_replay_ctx(instr.ctx), "ctx_" + out)
        args = [self.expr(r) for r in instr.ins]
        args += [f"{k}={self.expr(v)}" for k, v in instr.params.items()]
        call = f"{cls}.forward({ctx}, {', '.join(args)})"
        if instr.outs[0].value.ndim == 0:
            call = f"_out({ctx}, {call})"
        self.ctx_names[id(instr)] = ctx
        return [f"{out} = {call}"]

    def _bwd(self, instr) -> list[str]:
        for slot, source in zip(instr.outs, instr.fwd.ins):
            if slot is not None and isinstance(source, Slot):
                slot.hint = "d_" + self.name_of(source)
        emitter = self.emitted.get(id(instr.fwd))
        if emitter is not None:
            args = [self.value_expr(r) for r in instr.fwd.ins]
            exprs = emitter.backward(self, instr.fwd, self.value_expr(instr.ins[0]), *args)
            return [
                f"{self.name_of(slot)} = {expr}"
                for slot, expr in zip(instr.outs, exprs)
                if slot is not None
            ]
        cls = self.bind(instr.fn, instr.fn.op_name)
        ctx = self.ctx_names[id(instr.fwd)]
        outs = [("_" if s is None else self.name_of(s)) for s in instr.outs]
        target = ", ".join(outs) + ("," if instr.tuple_out and len(outs) == 1 else "")
        grad = self.expr(instr.ins[0])
        call = f"{target} = {cls}.backward({ctx}, {grad})"
        # free what forward saved, as the engine does (arrays kept on ctx too, if any)
        free = f"{ctx}._release()" if instr.fn.keeps_ctx_arrays else f"{ctx}.saved = ()"
        if self._owned(instr):  # as the engine: the backward may write into its gradient
            return [f"_owned[0] = {grad}", call, "_owned[0] = None", free]
        return [call, free]

    def _last_uses(self, live) -> dict:
        """id(slot) -> index of the last instruction that reads it (results, and arrays that
        become a ``.grad``: the end). A backward reads its forward's inputs and output too
        (when written out by ``emit``); an SGD step reads the gradients."""
        last = {}
        for i, instr in enumerate(live):
            refs = [*instr.ins, *instr.params.values(), *self._backward_reads(instr)]
            if instr.fn in _STEPS:
                grads = instr.params["grads"].values()
                refs += [self.cap.by_id.get(id(g)) for g in grads if g is not None]
            for ref in refs:
                if isinstance(ref, Slot):
                    last[id(ref)] = len(live) if instr.fn == "set_grad" else i
        for slot in self.results:
            last[id(slot)] = len(live)
        self.index = {id(instr): i for i, instr in enumerate(live)}
        return last

    def _backward_reads(self, instr) -> list:
        """The forward values a written-out backward reads by name (an op's own backward
        reads them from its ``ctx``)."""
        emitter = self.emitted.get(id(instr.fwd)) if instr.kind == "bwd" else None
        return emitter.reads(instr.fwd) if emitter is not None else []

    def _dels(self, instr) -> list[str]:
        """``del`` the temporaries this instruction read or wrote for the last time, so their
        memory goes as early as eager's (where the graph lets go of them)."""
        here = self.index[id(instr)]
        refs = [*instr.ins, *instr.params.values(), *instr.outs, *self._backward_reads(instr)]
        names = []
        done, last_use = self.deleted, self.last_use
        for ref in refs:
            if type(ref) is Slot and ref.kind == "tmp" and ref.name and ref.name not in done:
                if last_use.get(id(ref), here) <= here:
                    names.append(ref.name)
                    done.add(ref.name)
        return [f"del {', '.join(names)}"] if names else []

    def _owned(self, instr) -> bool:
        """Whether the gradient a backward receives is unshared, as the engine checks by
        reference count: a fresh array of the backward that nothing reads afterwards."""
        g = instr.ins[0]
        if not (_OWNED_REFS and isinstance(g, Slot) and g.kind == "tmp"):
            return False
        array = g.value
        if id(array) not in self.cap.grads or type(array) is not ndarray or array.base is not None:
            return False
        here = self.index[id(instr)]
        for slot in self.cap.slots:
            if slot.value is array or (
                type(slot.value) is ndarray and xp.may_share_memory(slot.value, array)
            ):
                if self.last_use.get(id(slot), -1) > here or slot.kind != "tmp":
                    return False
        return True

    def _call(self, instr) -> list[str]:
        a = [self.expr(r) for r in instr.ins]
        if isinstance(instr.ins[0], Slot):
            instr.outs[0].hint = a[0] if instr.fn is not xp.add else a[0].split("_")[0] + "_sum"
        out = self.name_of(instr.outs[0])
        fn = instr.fn
        if fn is xp.add:
            return [f"{out} = {self.value_expr(instr.ins[0])} + {self.value_expr(instr.ins[1])}"]
        if fn is ndarray.astype:
            return [f"{out} = {a[0]}.astype({a[1]})"]
        if fn is ndarray.copy:
            return [f"{out} = {a[0]}.copy()"]
        if fn is xp.asarray:  # (a 0-d value stays a scalar until it leaves: ``_as_arrays``)
            return [
                f"{out} = {a[0]}"
                if instr.outs[0].value.ndim == 0
                else f"{out} = np.asarray({a[0]})"
            ]
        if fn is sum_to:
            return [f"{out} = {self._sum_to(instr, a[0])}"]
        return [f"{out} = {self.bind(fn, fn.__name__)}({', '.join(a)})"]

    def _sum_to(self, instr, grad: str) -> str:
        """``sum_to`` of the engine; ``mode="fast"``: NumPy's sum over the axes it reduces
        (known from the captured shapes) where the result is no 0-d array."""
        shape = instr.ins[1].value
        if self.mode != "fast" or not shape:
            return f"sum_to({grad}, {shape!r})"
        gshape = instr.ins[0].value.shape
        if gshape == tuple(shape):
            return grad
        lead = len(gshape) - len(shape)
        kept = tuple(i + lead for i, s in enumerate(shape) if s == 1 and gshape[i + lead] != 1)
        axes = tuple(range(lead)) + kept
        if not kept:
            return f"{grad}.sum(axis={axes!r})"
        return f"{grad}.sum(axis={axes!r}, keepdims=True).reshape({shape!r})"

    def result_expr(self, template) -> str:
        """The expression that rebuilds the function's result from the step's arrays."""
        kind = template[0]
        if kind == "slot":
            slot = self.results[template[1]]
            array = self.name_of(slot)
            if id(slot) in self.scalars:
                array = f"np.asanyarray({array})"
            if template[2] is None:
                return f"_tensor({array})"
            return f"_result({array}, {self.bind(template[2], 'node_' + self.name_of(slot))})"
        if kind == "arg":
            return self.arg_names[template[1]]
        if kind == "seq":
            items = [self.result_expr(t) for t in template[2]]
            text = ", ".join(items)
            return (
                f"[{text}]" if template[1] is list else f"({text}{',' if len(items) == 1 else ''})"
            )
        return self.expr(Const(template[1]))

    # ------------------------------------------------------------------ optimizer calls
    def lower(self, live) -> list:
        """Write ``zero_grad()`` and plain SGD's ``step()`` out as what they do to arrays."""
        out = []
        for instr in live:
            lowered = None
            if instr.kind == "effect" and instr.fn == "method":
                lowered = self._lower_method(instr.params, instr.line)
            out += lowered if lowered is not None else [instr]
        return out

    def _lower_method(self, p, line) -> list | None:
        obj, name = p["obj"], p["name"]
        if not isinstance(obj, _optimizer.Optimizer) or p["args"] or p["kwargs"]:
            return None
        groups = [list(g["params"]) for g in obj.param_groups]
        self.guards.append(
            (
                f"len({self._obj(obj)}.param_groups) == {len(groups)}",
                "the optimizer's number of param groups",
            )
        )
        for gi, params in enumerate(groups):
            listed = self.bind(obj.param_groups[gi]["params"], f"group{gi}_params")
            self.guards.append(
                (
                    f"{self._obj(obj)}.param_groups[{gi}]['params'] is {listed} and "
                    f"len({listed}) == {len(params)}",
                    f"param group {gi}'s params",
                )
            )
        if name == "zero_grad" and type(obj).zero_grad is _optimizer.Optimizer.zero_grad:
            return [
                Instr("effect", "set_grad", [], {"tensor": t}, line=line)
                for params in groups
                for t in params
            ]
        if name != "step" or _optimizer._hooks_of(obj) is not None:
            return None
        if type(obj) is Adam:
            return self._lower_adam(obj, groups, p["grads"], line)
        if type(obj) is not SGD:
            return None
        for gi, group in enumerate(obj.param_groups):
            if group["momentum"] != 0 or group["weight_decay"] != 0 or group["maximize"]:
                return None
            opt = self._obj(obj)
            self.guards.append(
                (
                    f"{opt}.param_groups[{gi}]['momentum'] == 0 and "
                    f"{opt}.param_groups[{gi}]['weight_decay'] == 0 and "
                    f"not {opt}.param_groups[{gi}]['maximize']",
                    f"param group {gi} is plain SGD (no momentum, weight decay or maximize)",
                )
            )
        self.guards.append((f"_hooks_of({self._obj(obj)}) is None", "no optimizer step hooks"))
        self.ns["_hooks_of"] = _optimizer._hooks_of
        details = {"obj": obj, "groups": groups, "grads": p["grads"]}
        return [Instr("effect", "sgd", [], details, line=line)]

    def _lower_adam(self, obj, groups: list, grads: dict, line) -> list | None:
        """Adam's step as its update on the flat buffers of each group's plan
        (``optim/_flat.py``), when every group has one whose packed buffers hold all its
        parameters, each with a gradient, and no weight decay or amsgrad."""
        plans = obj._flat_plans
        for gi, params in enumerate(groups):
            plan = plans.get(gi)
            group = obj.param_groups[gi]
            if (
                plan is None
                or plan.pending
                or len(plan.params) != len(params)
                or any(a is not b for a, b in zip(plan.params, params))
                or not all(seg.packed for seg in plan.segments)
                or any(grads.get(id(t)) is None for t in params)
                or group["amsgrad"]
                or group["weight_decay"] != 0
            ):
                return None
        opt = self._obj(obj)
        for gi in range(len(groups)):
            plan = self.bind(plans[gi], f"adam_plan{gi}")
            group = f"{opt}.param_groups[{gi}]"
            listed = self.bind(obj.param_groups[gi]["params"], f"group{gi}_params")
            self.guards.append(
                (
                    f"{opt}._flat_plans.get({gi}) is {plan} and "
                    f"{plan}.intact({opt}.state, {group}, {listed})",
                    f"the optimizer's state of group {gi} is still in {plan}'s buffers",
                )
            )
            self.guards.append(
                (
                    f"{group}['weight_decay'] == 0 and not {group}['amsgrad']",
                    f"param group {gi} has no weight decay or amsgrad",
                )
            )
        self.guards.append((f"_hooks_of({opt}) is None", "no optimizer step hooks"))
        self.ns["_hooks_of"] = _optimizer._hooks_of
        details = {"obj": obj, "groups": groups, "grads": grads}
        return [Instr("effect", "adam", [], details, line=line)]

    def _adam(self, instr) -> list[str]:
        """Per group: the step count, the step's constants (read from the group each call:
        a scheduler may change ``lr``), then per buffer: the gradients gathered, Adam's
        kernel on the flat state, its update added to each parameter."""
        lines = []
        obj = instr.params["obj"]
        opt = self._obj(obj)
        for gi, params in enumerate(instr.params["groups"]):
            plan = obj._flat_plans[gi]
            t = self._fresh(f"t{gi}" if gi else "t")
            c = self._fresh(f"adam{gi}" if gi else "adam")
            dtype = self.bind(plan.dtype, f"dtype_{plan.dtype}")
            lines.append(f"{t} = {self.bind(plan, f'adam_plan{gi}')}.advance()  # steps += 1")
            lines.append(f"{c} = adam_constants({opt}.param_groups[{gi}], {t}, {dtype})")
            for seg in plan.segments:
                part = (
                    plan.scratch
                    if seg.size == len(plan.scratch.a)
                    else _cut(plan.scratch, seg.size)
                )
                scratch = self.bind(part, "adam_scratch")
                grad = self.bind(part.grad, "adam_grad")
                state = self.bind(seg.buffers, "adam_state")
                here = params[seg.start : seg.stop]
                grads = ", ".join(self.grad_at_step(instr, p) for p in here)
                lines.append(f"np.concatenate([{grads}], axis=None, out={grad})")
                lines.append(
                    f"adam_update(None, {grad}, {state}, {scratch}, {c})"
                    f"  # {state}: (exp_avg, exp_avg_sq); the step: {scratch}.update"
                )
                for p, view in zip(here, seg.update_views):
                    slot = self.cap.by_id.get(id(p._data))
                    data = (
                        self.name_of(slot) if slot is not None else f"{self.tensor_name(p)}._data"
                    )
                    update = self.bind(view, "update_" + data)
                    lines.append(f"np.add({data}, {update}, out={data})")
            for p in params:
                lines.append(f"{self.tensor_name(p)}._version_counter[0] += 1")
        return lines

    def _obj(self, obj) -> str:
        return self.bind(obj, self.known.get(id(obj), type(obj).__name__.lower()))

    def drop_dead_grads(self, live) -> list:
        """Drop an assignment of an array to ``.grad`` that a later assignment overwrites
        before anything reads it (the gradient an SGD step used, then ``zero_grad()``)."""
        dead = set()
        pending = {}  # id(tensor) -> index of its last unread set_grad
        for i, instr in enumerate(live):
            if instr.kind == "effect" and instr.fn == "method":
                pending.clear()
                continue
            if instr.kind == "effect" and instr.fn in _STEPS:
                for params in instr.params["groups"]:
                    for t in params:
                        if self._grad_source(instr, t) == "live":
                            pending.pop(id(t), None)
            for ref in instr.ins:
                if isinstance(ref, Slot) and ref.kind == "grad":
                    pending.pop(id(ref.tensor), None)
            if instr.kind == "effect" and instr.fn == "add_grad":  # reads (adds into) .grad
                pending.pop(id(instr.params["tensor"]), None)
            elif instr.kind == "effect" and instr.fn == "set_grad":
                key = id(instr.params["tensor"])
                if key in pending:
                    dead.add(pending.pop(key))
                if instr.ins:  # (``= None`` always stays: it frees the old gradient's memory)
                    pending[key] = i
        return [instr for i, instr in enumerate(live) if i not in dead]

    def _sgd(self, instr) -> list[str]:
        lines = []
        opt = self._obj(instr.params["obj"])
        for gi, params in enumerate(instr.params["groups"]):
            with_grad = [t for t in params if self.grad_at_step(instr, t) is not None]
            if not with_grad:
                continue
            lr = self._fresh(f"neg_lr{gi}" if gi else "neg_lr")
            lines.append(f"{lr} = -float({opt}.param_groups[{gi}]['lr'])")
            for t in with_grad:
                name = self.tensor_name(t)
                slot = self.cap.by_id.get(id(t._data))
                data = self.name_of(slot) if slot is not None else f"{name}._data"
                lines.append(f"add_scaled_({data}, {self.grad_at_step(instr, t)}, {lr})")
                lines.append(f"{name}._version_counter[0] += 1")
        return lines

    def grad_at_step(self, instr, tensor) -> str | None:
        """How the step reads ``tensor.grad``: the array the program last assigned, or
        ``.grad`` itself (None: it has none)."""
        source = self._grad_source(instr, tensor)
        if source is None or source == "live":
            return None if source is None else f"{self.tensor_name(tensor)}._grad._data"
        return self.name_of(source)

    def _grad_source(self, instr, tensor):
        """None (no gradient), "live" (read ``.grad``) or the slot the program assigned."""
        array = instr.params["grads"].get(id(tensor))
        if array is None:
            return None
        slot = self.cap.by_id.get(id(array))
        return slot if slot is not None and slot.kind == "tmp" else "live"

    def _effect(self, instr) -> list[str]:
        p = instr.params
        kind = instr.fn
        if kind == "sgd":
            return self._sgd(instr)
        if kind == "adam":
            return self._adam(instr)
        if kind == "set_grad":
            owner = self.tensor_name(p["tensor"])
            value = f"_tensor({self.expr(instr.ins[0])})" if instr.ins else "None"
            return [f"{owner}._grad = {value}"]
        if kind == "add_grad":
            owner = self.tensor_name(p["tensor"])
            target, g = (self.expr(r) for r in instr.ins)
            return [
                f"np.add({target}, {g}, out={target})",
                f"{owner}._grad._version_counter[0] += 1",
            ]
        if kind == "method":
            obj = self.bind(p["obj"], self.known.get(id(p["obj"]), type(p["obj"]).__name__.lower()))
            args = [self.expr(Const(a)) for a in p["args"]]
            args += [f"{k}={self.expr(Const(v))}" for k, v in p["kwargs"].items()]
            return [f"{obj}.{p['name']}({', '.join(args)})"]
        target = self.expr(instr.ins[0])
        value = self.expr(instr.ins[1])
        version = self.bind(p["tensor"]._version_counter, "version_" + target)
        if kind == "inplace":
            ufunc = p["ufunc"].__name__
            line = f'np.{ufunc}({target}, {value}, out={target}, casting="unsafe")'
        else:
            line = f"{target}[...] = {value}"
        return [line, f"{version}[0] += 1"]

    # ------------------------------------------------------------------ guards
    def _guards(self) -> None:
        """Every fact the recording assumed, as (condition, label) pairs, in the order they
        are checked: the arguments, the globals and arrays read, ``.grad``s, modules."""
        later, self.guards = self.guards, []
        self._argument_guards()
        self._read_guards()
        self._grad_guards()
        self._module_guards()
        seen: set = set()
        self.guards = [g for g in self.guards + later if not (g[0] in seen or seen.add(g[0]))]

    def _argument_guards(self) -> None:
        add = self.guards.append
        add((f"len(args) == {len(self.flat)}", f"number of arguments == {len(self.flat)}"))
        for pos, value in enumerate(self.flat):
            name = self.arg_names[pos][:-2]
            a = f"args[{pos}]"
            if isinstance(value, Tensor):
                cls = self.bind(type(value), type(value).__name__)
                data = value._data
                add((f"{a}.__class__ is {cls}", f"{name} is a {type(value).__name__}"))
                add((f"{a}._data.shape == {data.shape!r}", f"{name}.shape == {tuple(data.shape)}"))
                dtype = self.bind(data.dtype, f"dtype_{data.dtype}")
                add((f"{a}._data.dtype == {dtype}", f"{name}.dtype == {data.dtype}"))
                add((f"{a}._rg is {value._rg}", f"{name}.requires_grad == {value._rg}"))
                add(
                    (
                        f"{a}.grad_fn {'is' if value.grad_fn is None else 'is not'} None",
                        f"{name} is {'a leaf' if value.grad_fn is None else 'not a leaf'}",
                    )
                )
            elif type(value) in (int, float, bool, str, type(None)):
                add(
                    (
                        f"type({a}) is {type(value).__name__} and {a} == {value!r}",
                        f"{name} == {value!r} (a Python value baked in)",
                    )
                )
            else:
                obj = self.bind(value, name)
                add((f"{a} is {obj}", f"{name} is the same object"))

    def _read_guards(self) -> None:
        """Grad mode, the Python numbers the step read from globals or closures, and the
        arrays of the tensors from outside the step."""
        add = self.guards.append
        add((f"STATE.enabled is {self.cap.grad_enabled}", f"grad mode == {self.cap.grad_enabled}"))
        for source, name, value in _scalars_read(self.fn):
            where = self.bind(source, "globals_" if isinstance(source, dict) else "cell_")
            read = f"{where}[{name!r}]" if isinstance(source, dict) else f"{where}.cell_contents"
            add(
                (
                    f"type({read}) is {type(value).__name__} and {read} == {value!r}",
                    f"{name} == {value!r} (a Python value baked in)",
                )
            )
        for slot in list(self.cap.by_id.values()):
            if slot.kind == "ext" and slot.name:
                t = self.tensor_name(slot.tensor)
                add((f"{t}._data is {slot.name}", f"{slot.name} still holds the same array"))

    def _grad_guards(self) -> None:
        """Which tensors had a ``.grad`` (and, outside the arguments, required grad)."""
        add = self.guards.append
        for key, tensor in self.cap.tensors.items():
            pos = self.cap.arg_tensors.get(key)
            t = f"args[{pos}]" if pos is not None else self.tensor_name(tensor)
            was_none = self.cap.grad_was_none[key]
            label = self.arg_names[pos][:-2] if pos is not None else t.removesuffix("_t")
            if was_none is not None and (tensor._rg or not was_none):
                add(
                    (
                        f"{t}._grad {'is' if was_none else 'is not'} None",
                        f"{label}.grad is {'None' if was_none else 'set'}",
                    )
                )
                if pos is None:
                    add((f"{t}._rg is {tensor._rg}", f"{label}.requires_grad == {tensor._rg}"))

    def _module_guards(self) -> None:
        add = self.guards.append
        for module in self.cap.modules:
            m = self.bind(module, self.known.get(id(module), type(module).__name__.lower()))
            add((f"{m}.training is {module.training}", f"{m}.training == {module.training}"))
            for key, p in module._parameters.items():
                if p is not None and id(p) in self.cap.tensors:
                    t = self.tensor_name(p)
                    add((f"{m}._parameters[{key!r}] is {t}", f"{m}.{key} is the same Parameter"))

    def guard_source(self) -> str:
        """``fits(args)``: whether every guard holds, as one expression (the labels are
        comments here; ``Variant.guard`` evaluates the conditions one by one to name the
        guard that fails, compiling them only then)."""
        if not self.guards:
            return "def fits(args):\n    return True"
        last = len(self.guards) - 1
        conds = "".join(
            f"        {cond}{'' if i == last else ' and'}  # {label}\n"
            for i, (cond, label) in enumerate(self.guards)
        )
        return (
            "def fits(args):\n"
            '    """Whether this variant fits the call: the guards of its capture."""\n'
            f"    return (\n{conds}    )"
        )


class _FailedGuard:
    """Which guard of a variant fails for a call: its label (each condition compiled on
    the first failure)."""

    def __init__(self, guards: list, namespace: dict) -> None:
        self.guards = guards
        self.namespace = namespace
        self.checks: list | None = None

    def __call__(self, args) -> str:
        if self.checks is None:
            self.checks = [
                (compile(cond, "<glassgrad.compile guard>", "eval"), label)
                for cond, label in self.guards
            ]
        local = {"args": args}
        for check, label in self.checks:
            if not eval(check, self.namespace, local):
                return label
        return "?"


def _scalars_read(fn) -> list:
    """(globals dict or closure cell, name, value) of each Python number or string the
    function's own code reads from a global or closure variable: baked into the program."""
    fn = getattr(fn, "forward", fn)
    code = getattr(fn, "__code__", None)
    if code is None:
        return []
    cells = dict(zip(code.co_freevars, getattr(fn, "__closure__", None) or ()))
    scope = getattr(fn, "__globals__", {})
    found = []
    for opname, name in _loads(code):
        if opname == "LOAD_GLOBAL" and name in scope:
            source, value = scope, scope[name]
        elif opname == "LOAD_DEREF" and name in cells:
            try:
                source, value = cells[name], cells[name].cell_contents
            except ValueError:
                continue
        else:
            continue
        if type(value) in (int, float, bool, str) and _literal(value):
            entry = (source, name, value)
            if all(e[:2] != entry[:2] for e in found):
                found.append(entry)
    return found


@functools.lru_cache(maxsize=256)
def _loads(code) -> tuple:
    """(opname, name) of each global or closure read of ``code`` and the code nested in it
    (disassembled once per function: ``dis`` is slow beside a small step)."""
    loads = []
    codes = [code]
    while codes:
        current = codes.pop()
        codes += [c for c in current.co_consts if hasattr(c, "co_code")]
        loads += [
            (ins.opname, ins.argval)
            for ins in dis.get_instructions(current)
            if ins.opname in ("LOAD_GLOBAL", "LOAD_DEREF")
        ]
    return tuple(loads)


def _writes(instr) -> bool:
    """Whether the instruction may write into an array from outside the step."""
    if instr.kind == "effect":
        return instr.fn != "set_grad"
    return instr.kind == "call" and instr.fn not in _PURE


def _positional_names(fn) -> list[str]:
    """The names of ``fn``'s positional parameters (a plain function's read from its code
    object: ``inspect.signature`` costs as much as a small step)."""
    code = getattr(fn, "__code__", None)
    if isinstance(fn, types.FunctionType) and not hasattr(fn, "__wrapped__"):
        return list(code.co_varnames[: code.co_argcount])
    try:
        return [
            p.name
            for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        return []


def _literal(value) -> bool:
    if type(value) in (int, bool, str, type(None)):
        return True
    if type(value) is float:
        return math.isfinite(value)
    if type(value) is tuple:
        return all(_literal(v) for v in value)
    return False


def _is_holder(value) -> bool:
    """A plain object whose attributes may name tensors (``self.weight`` in a closure)."""
    return hasattr(value, "__dict__") and not inspect.ismodule(value) and not callable(value)


#: a terse comment of the generated source: ``#@ [backward of ]path:line``
_MARK = re.compile(r"^( *)#@ (backward of )?(.*)$", re.MULTILINE)


def _comment(mark: re.Match) -> str:
    """``# file.py:12  the source line`` for a terse comment on the user's line 12."""
    indent, prefix, where = mark[1], mark[2] or "", mark[3]
    path, _, line = where.rpartition(":")
    text = linecache.getline(path, int(line)).strip() if line.isdigit() else ""
    return f"{indent}# {prefix}{os.path.basename(path)}:{line}  {text}".rstrip()
