"""A pickle reader that builds data and never runs code (PyTorch's ``weights_only=True``).

It interprets the opcodes ``torch.save`` writes (protocol 2) one by one, as PyTorch's
``_weights_only_unpickler`` does: a ``GLOBAL`` must be on the allow-list (``allowlist``) and
becomes a glassgrad object; ``REDUCE``/``NEWOBJ``/``BUILD`` apply only to those; every other
opcode (``INST``, ``OBJ``, ``STACK_GLOBAL``, ...) is refused. Beyond PyTorch it refuses
malformed streams (stack underflow, missing memo entries, truncated strings) and duplicate
dict keys with an error naming the file, the byte and the problem.
"""

from __future__ import annotations

import _compat_pickle
import pickle
import pickletools
import struct
from collections import Counter, OrderedDict
from collections.abc import Callable
from typing import Any

from glassgrad._checkpoint import allowlist, rebuild, refuse
from glassgrad.nn.parameter import Parameter

__all__ = ["UNSAFE_MESSAGE", "WeightsUnpickler", "load_pickle", "unsafe_globals"]

UNSAFE_MESSAGE = (
    "Re-running `torch.load` with `weights_only` set to `False` will likely succeed, but it "
    "can result in arbitrary code execution. Do it only if you got the file from a trusted "
    "source."
)

_CONTAINERS = (dict, OrderedDict, Counter)


class _Refused(Exception):
    """Raised inside the reader; ``load`` adds the file name and byte position."""


class _UnsafeGlobal(_Refused):
    """A global outside the allow-list: the file may load once the user trusts it."""


# What REDUCE/NEWOBJ run for each global that names a class (never the class itself).
_CONSTRUCTORS: dict[Any, Callable] = {
    OrderedDict: rebuild.ordered_dict,
    Counter: rebuild.counter,
    Parameter: rebuild.parameter,
}


class WeightsUnpickler:
    """Reads one pickle; ``load_storage(dtype, key, location, numel)`` supplies storages."""

    def __init__(self, data: bytes | memoryview, load_storage: Callable) -> None:
        self.data = memoryview(data)
        self.pos = 0
        self.load_storage = load_storage
        self.memo: dict[int, Any] = {}
        self.stack: list[Any] = []
        self.marks: list[list[Any]] = []
        self.user = allowlist.user_globals()
        self.callables = {id(v): v for v in allowlist.GLOBALS.values()}
        self.callables.update({id(v): v for v in self.user.values()})

    # ---------------------------------------------------------------- reading bytes
    def read(self, count: int) -> memoryview:
        end = self.pos + count
        if end > len(self.data):
            raise _Refused(f"the pickle ends early (needs {count} bytes at byte {self.pos})")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def readline(self) -> str:
        end = bytes(self.data[self.pos : self.pos + 1024]).find(b"\n")
        if end < 0:
            raise _Refused("a GLOBAL name is unterminated or longer than 1024 bytes")
        line = bytes(self.read(end + 1)[:-1])
        try:
            return line.decode("utf-8")
        except UnicodeDecodeError:
            raise _Refused(f"a GLOBAL name {line[:40]!r} is not UTF-8") from None

    def pop(self) -> Any:
        if not self.stack:
            raise _Refused("the pickle pops an empty stack (malformed)")
        return self.stack.pop()

    def pop_mark(self) -> list:
        if not self.marks:
            raise _Refused("the pickle closes a MARK it never opened (malformed)")
        items, self.stack = self.stack, self.marks.pop()
        return items

    # ---------------------------------------------------------------- the loop
    def load(self) -> Any:
        while True:
            start = self.pos
            code = self.read(1)[0]
            handler = _HANDLERS.get(code)
            if handler is None:
                raise _Refused(_unsupported_opcode(code, start))
            try:
                if handler(self):
                    return self.result()
            except _Refused as err:
                raise type(err)(f"{err} (opcode {_opname(code)} at byte {start})") from None
            except rebuild.RebuildError as err:
                raise _Refused(f"{err} (opcode {_opname(code)} at byte {start})") from None

    def result(self) -> Any:
        if len(self.stack) != 1 or self.marks:
            raise _Refused("the pickle leaves its stack unbalanced at STOP (malformed)")
        return self.stack.pop()

    # ---------------------------------------------------------------- code-naming opcodes
    def op_global(self) -> None:
        module, name = python3_name(self.readline(), self.readline())
        full = f"{module}.{name}"
        if module in allowlist.BLOCKED_MODULES:
            raise _Refused(
                f"Trying to load unsupported GLOBAL {full} whose module {module} is blocked."
            )
        if full in allowlist.GLOBALS:
            self.stack.append(allowlist.GLOBALS[full])
        elif full in self.user:
            self.stack.append(self.user[full])
        elif full in allowlist.TORCH_ALLOWED:
            raise _Refused(f"the file uses {full}: {allowlist.unsupported_reason(full)}")
        else:
            raise _UnsafeGlobal(
                f"Unsupported global: GLOBAL {full} was not an allowed global by default. "
                f"Please use `torch.serialization.add_safe_globals([{name}])` or the "
                f"`torch.serialization.safe_globals([{name}])` context manager to allowlist "
                "this global if you trust this class/function."
            )

    def op_reduce(self) -> None:
        args, func = self.pop(), self.pop()
        self.stack.append(self.call(func, args, "call"))

    def op_newobj(self) -> None:
        args, cls = self.pop(), self.pop()
        if _hashable(cls) and cls in _CONSTRUCTORS:
            self.stack.append(self.call(cls, args, "create"))
        elif isinstance(cls, type) and cls in self.user.values():
            if not isinstance(args, tuple):
                raise _Refused(f"the arguments to {cls!r} are not a tuple")
            self.stack.append(cls.__new__(cls, *args))
        else:
            raise _Refused(
                "Can only create new object for nn.Parameter or classes allowlisted via "
                f"`add_safe_globals` but got {cls!r}"
            )

    def call(self, func, args, verb: str) -> Any:
        if not isinstance(args, tuple):
            raise _Refused(f"the arguments to {func!r} are not a tuple")
        builder = _CONSTRUCTORS.get(func) if _hashable(func) else None
        if builder is None:
            if id(func) not in self.callables or not callable(func):
                raise _Refused(f"Trying to {verb} unrecognized function {func!r}")
            if func is rebuild.Tensor:
                raise _Refused("torch.Tensor(...) can't be called from a checkpoint")
            builder = func
        try:
            return builder(*args)
        except (rebuild.RebuildError, _Refused):
            raise
        except (TypeError, ValueError, OverflowError, RuntimeError) as err:
            problem = f"{type(err).__name__}: {err}"
            raise _Refused(f"{func!r} refused its arguments ({problem})") from None

    def op_build(self) -> None:
        state = self.pop()
        if not self.stack:
            raise _Refused("BUILD has no object to build (malformed)")
        inst = self.stack[-1]
        if type(inst) is OrderedDict:  # a module's state_dict carries _metadata
            if not isinstance(state, dict) or not all(
                isinstance(k, str) and not k.startswith("__") for k in state
            ):
                raise _Refused("an OrderedDict's state is not a dict of plain attribute names")
            inst.__dict__.update(state)
        elif type(inst) in self.user.values():
            _set_state(inst, state)
        else:
            raise _Refused(
                "Can only build OrderedDict or types allowlisted via `add_safe_globals`, but "
                f"got {type(inst)!r}"
            )

    def op_persid(self) -> None:
        pid = self.pop()
        if type(pid) is not tuple or len(pid) != 5 or pid[0] not in ("storage", b"storage"):
            raise _Refused(f"Only persistent_load of storage is allowed, but got {pid!r:.80}")
        _, storage_type, key, location, numel = pid
        if not isinstance(storage_type, rebuild.StorageType):
            raise _Refused(f"a storage's type is {storage_type!r}, not a storage class")
        if not isinstance(key, str) or not isinstance(location, str):
            raise _Refused(f"a storage's key {key!r} or location {location!r} is not a string")
        numel = rebuild._int(numel, "a storage's element count")
        if numel < 0:
            raise _Refused(f"a storage claims {numel} elements")
        self.stack.append(self.load_storage(storage_type.dtype, key, location, numel))

    # ---------------------------------------------------------------- containers
    def op_setitem(self) -> None:
        value, key = self.pop(), self.pop()
        self.set_items([key, value])

    def op_setitems(self) -> None:
        self.set_items(self.pop_mark())

    def set_items(self, items: list) -> None:
        if not self.stack or type(self.stack[-1]) not in _CONTAINERS:
            raise _Refused("Can only SETITEM(S) for dict, collections.OrderedDict, Counter")
        target = self.stack[-1]
        if len(items) % 2:
            raise _Refused("SETITEMS has a key without a value (malformed)")
        for key, value in zip(items[::2], items[1::2]):
            try:
                if key in target:
                    raise _Refused(f"duplicate key {key!r:.60} in a dict (hostile file)")
                target[key] = value
            except TypeError:
                raise _Refused(f"unhashable dict key of type {type(key).__name__}") from None

    def op_append(self) -> None:
        item = self.pop()
        self.list_target().append(item)

    def op_appends(self) -> None:
        items = self.pop_mark()
        self.list_target().extend(items)

    def list_target(self) -> list:
        if not self.stack or type(self.stack[-1]) is not list:
            raise _Refused("Can only append to lists")
        return self.stack[-1]

    def op_mark(self) -> None:
        self.marks.append(self.stack)
        self.stack = []

    def op_tuple(self) -> None:
        items = tuple(self.pop_mark())  # pop_mark replaces self.stack: read it first
        self.stack.append(items)

    def op_tuple_n(self, count: int) -> None:
        if len(self.stack) < count:
            raise _Refused("a TUPLE opcode pops an empty stack (malformed)")
        items = tuple(self.stack[len(self.stack) - count :])
        del self.stack[len(self.stack) - count :]
        self.stack.append(items)

    # ---------------------------------------------------------------- memo
    def op_get(self, index: int) -> None:
        if index not in self.memo:
            raise _Refused(f"memo entry {index} is read before it is written (malformed)")
        self.stack.append(self.memo[index])

    def op_put(self, index: int) -> None:
        if not self.stack:
            raise _Refused("the pickle memoizes an empty stack (malformed)")
        self.memo[index] = self.stack[-1]

    # ---------------------------------------------------------------- scalars
    def op_unicode(self) -> None:
        (length,) = struct.unpack("<I", self.read(4))
        try:
            self.stack.append(str(self.read(length), "utf-8", "surrogatepass"))
        except UnicodeDecodeError as err:
            raise _Refused(f"a string is not UTF-8 ({err})") from None

    def op_short_binstring(self) -> None:
        raw = bytes(self.read(self.read(1)[0]))
        try:
            self.stack.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise _Refused(f"a Python 2 string {raw[:40]!r} is not UTF-8") from None

    def op_long1(self) -> None:
        self.stack.append(pickle.decode_long(bytes(self.read(self.read(1)[0]))))

    def op_proto(self) -> None:
        version = self.read(1)[0]
        if version > pickle.HIGHEST_PROTOCOL:
            raise _Refused(f"pickle protocol {version} is newer than this Python reads")


def python3_name(module: str, name: str) -> tuple[str, str]:
    """Protocol 2 writes Python 2 names (``__builtin__.set``): map them back, as PyTorch does."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


def unsafe_globals(data: bytes, name: str) -> list[str]:
    """The GLOBALs in a pickle that neither the allow-list nor the user allows, found by
    disassembling it (nothing is built)."""
    allowed = set(allowlist.TORCH_ALLOWED) | set(allowlist.user_globals())
    found = set()
    try:
        for opcode, arg, _ in pickletools.genops(data):
            if opcode.name == "GLOBAL":
                module, _, attribute = arg.partition(" ")
                found.add(".".join(python3_name(module, attribute)))
    except (ValueError, UnicodeDecodeError) as err:
        raise refuse(name, f"data.pkl is malformed ({err})") from None
    return sorted(found - allowed)


def _set_state(inst, state) -> None:
    """BUILD on a user-allow-listed instance, as PyTorch's loader does it."""
    if hasattr(inst, "__setstate__"):
        inst.__setstate__(state)
        return
    slots = None
    if isinstance(state, tuple) and len(state) == 2:
        state, slots = state
    if state:
        inst.__dict__.update(state)
    for key, value in (slots or {}).items():
        setattr(inst, key, value)


def _hashable(obj) -> bool:
    try:
        hash(obj)
    except TypeError:
        return False
    return True


def _opname(code: int) -> str:
    for op in pickletools.opcodes:
        if op.code.encode("latin1")[0] == code:
            return op.name
    return f"0x{code:02x}"


def _unsupported_opcode(code: int, where: int) -> str:
    return (
        f"Unsupported operand {_opname(code)} (0x{code:02x}) at byte {where}: PyTorch's "
        "weights-only loader reads only the opcodes torch.save writes (protocol 2), and this "
        "one could run code or is not part of that set"
    )


def _fixed(fmt: str, size: int) -> Callable:
    def push(self: WeightsUnpickler) -> None:
        self.stack.append(struct.unpack(fmt, self.read(size))[0])

    return push


def _constant(value) -> Callable:
    def push(self: WeightsUnpickler) -> None:
        self.stack.append(value() if callable(value) else value)

    return push


def _indexed(method: str, fmt: str, size: int) -> Callable:
    def run(self: WeightsUnpickler) -> None:
        getattr(self, method)(struct.unpack(fmt, self.read(size))[0])

    return run


def _stop(self: WeightsUnpickler) -> bool:
    return True


_HANDLERS: dict[int, Callable] = {
    op[0]: fn
    for op, fn in [
        (pickle.PROTO, WeightsUnpickler.op_proto),
        (pickle.STOP, _stop),
        (pickle.GLOBAL, WeightsUnpickler.op_global),
        (pickle.REDUCE, WeightsUnpickler.op_reduce),
        (pickle.NEWOBJ, WeightsUnpickler.op_newobj),
        (pickle.BUILD, WeightsUnpickler.op_build),
        (pickle.BINPERSID, WeightsUnpickler.op_persid),
        (pickle.SETITEM, WeightsUnpickler.op_setitem),
        (pickle.SETITEMS, WeightsUnpickler.op_setitems),
        (pickle.APPEND, WeightsUnpickler.op_append),
        (pickle.APPENDS, WeightsUnpickler.op_appends),
        (pickle.MARK, WeightsUnpickler.op_mark),
        (pickle.TUPLE, WeightsUnpickler.op_tuple),
        (pickle.TUPLE1, lambda self: self.op_tuple_n(1)),
        (pickle.TUPLE2, lambda self: self.op_tuple_n(2)),
        (pickle.TUPLE3, lambda self: self.op_tuple_n(3)),
        (pickle.NONE, _constant(None)),
        (pickle.NEWFALSE, _constant(False)),
        (pickle.NEWTRUE, _constant(True)),
        (pickle.EMPTY_TUPLE, _constant(())),
        (pickle.EMPTY_LIST, _constant(list)),
        (pickle.EMPTY_DICT, _constant(dict)),
        (pickle.EMPTY_SET, _constant(set)),
        (pickle.BININT, _fixed("<i", 4)),
        (pickle.BININT1, _fixed("<B", 1)),
        (pickle.BININT2, _fixed("<H", 2)),
        (pickle.BINFLOAT, _fixed(">d", 8)),
        (pickle.BINUNICODE, WeightsUnpickler.op_unicode),
        (pickle.SHORT_BINSTRING, WeightsUnpickler.op_short_binstring),
        (pickle.LONG1, WeightsUnpickler.op_long1),
        (pickle.BINGET, _indexed("op_get", "<B", 1)),
        (pickle.LONG_BINGET, _indexed("op_get", "<I", 4)),
        (pickle.BINPUT, _indexed("op_put", "<B", 1)),
        (pickle.LONG_BINPUT, _indexed("op_put", "<I", 4)),
    ]
}


def load_pickle(data: bytes | memoryview, name: str, load_storage: Callable) -> Any:
    """Run the reader on ``data`` (the file's ``data.pkl``), naming ``name`` in errors."""
    try:
        return WeightsUnpickler(data, load_storage).load()
    except _UnsafeGlobal as err:
        raise refuse(
            name,
            "Weights only load failed. This file can still be loaded, to do so you have two "
            "options, do those steps only if you trust the source of the checkpoint."
            f"\n\t(1) {UNSAFE_MESSAGE}\n\t(2) Alternatively, to load with `weights_only=True` "
            "please check the recommended steps in the following error message."
            f"\n\tWeightsUnpickler error: {err}",
        ) from None
    except _Refused as err:
        raise refuse(name, f"Weights only load failed. {err}") from None
    except RecursionError:
        raise refuse(name, "Weights only load failed: the structure is nested too deeply") from None
