"""``nn.Module``: parameters, submodules and buffers registered by attribute assignment."""

from __future__ import annotations

import html
import warnings
from collections import OrderedDict
from collections.abc import Iterator, Mapping

from glassgrad import _dtypes
from glassgrad._tensor import Tensor
from glassgrad.autograd.function import Function
from glassgrad.autograd.grad_mode import STATE, no_grad
from glassgrad.nn.parameter import Buffer, Parameter

__all__ = ["Module"]


class _IncompatibleKeys(tuple):
    """(missing_keys, unexpected_keys), printed as PyTorch prints it."""

    __slots__ = ()

    @property
    def missing_keys(self):
        return self[0]

    @property
    def unexpected_keys(self):
        return self[1]

    def __repr__(self) -> str:
        if not self[0] and not self[1]:
            return "<All keys matched successfully>"
        return f"_IncompatibleKeys(missing_keys={self[0]}, unexpected_keys={self[1]})"


class Module:
    """Base class for all neural-network modules.

    Example:
        >>> class Net(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.lin = nn.Linear(1, 1)
        ...     def forward(self, x):
        ...         return self.lin(x)
    """

    training: bool
    _version = 1

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got unexpected arguments: Module.__init__ "
                "takes none"
            )
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()
        d["_forward_pre_hooks"] = OrderedDict()
        d["_backward_hooks"] = OrderedDict()

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args, **kwargs):
        d = self.__dict__
        if "_parameters" not in d:
            raise AttributeError(
                f"cannot call {type(self).__name__}: Module.__init__() was not called; add "
                "super().__init__() at the start of your __init__"
            )
        if not d["_forward_pre_hooks"] and not d["_forward_hooks"] and not d["_backward_hooks"]:
            return self.forward(*args, **kwargs)
        for hook, with_kwargs in list(d["_forward_pre_hooks"].values()):
            if with_kwargs:
                new = hook(self, args, kwargs)
                if new is not None:
                    if not (isinstance(new, tuple) and len(new) == 2):
                        raise RuntimeError(
                            "forward pre-hook must return None or a tuple of (new_args, "
                            f"new_kwargs), but got {new}."
                        )
                    args, kwargs = new
                continue
            new = hook(self, args)
            if new is not None:
                args = new if isinstance(new, tuple) else (new,)
        record = None
        if d["_backward_hooks"] and STATE.enabled:
            record = _BackwardHookRecord(self)
            args = record.wrap_inputs(args)
        try:
            result = self.forward(*args, **kwargs)
        except Exception:
            for hook, with_kwargs, always in list(d["_forward_hooks"].values()):
                if always:  # always_call hooks see the failed call (output None)
                    hook(self, args, kwargs, None) if with_kwargs else hook(self, args, None)
            raise
        for hook, with_kwargs, _ in list(d["_forward_hooks"].values()):
            new = hook(self, args, kwargs, result) if with_kwargs else hook(self, args, result)
            if new is not None:
                result = new
        if record is not None:
            result = record.wrap_outputs(result)
        return result

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError(
                    "cannot assign parameters before Module.__init__() call; add "
                    "super().__init__() first"
                )
            self._forget(name, keep="_parameters")
            params[name] = value
        elif params is not None and name in params:
            if value is not None:
                kind = value.type() if isinstance(value, Tensor) else type(value).__name__
                raise TypeError(
                    f"cannot assign '{kind}' as parameter '{name}' (torch.nn.Parameter or None "
                    "expected); wrap it with nn.Parameter(...) or assign to .data"
                )
            params[name] = value
        elif isinstance(value, Module):
            if d.get("_modules") is None:
                raise AttributeError(
                    "cannot assign module before Module.__init__() call; add super().__init__() "
                    "first"
                )
            self._forget(name, keep="_modules")
            d["_modules"][name] = value
        elif d.get("_modules") is not None and name in d["_modules"]:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as child module '{name}' "
                    "(torch.nn.Module or None expected)"
                )
            d["_modules"][name] = value
        elif isinstance(value, Buffer):
            self.register_buffer(name, value, persistent=value.persistent)
        elif d.get("_buffers") is not None and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                    "(torch.Tensor or None expected)"
                )
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str, keep: str) -> None:
        """Drop ``name`` from every store but ``keep`` (where it is re-assigned in place)."""
        d = self.__dict__
        d.pop(name, None)
        for key in ("_parameters", "_buffers", "_modules"):
            if key != keep and name in d[key]:
                del d[key][name]
        d["_non_persistent_buffers_set"].discard(name)

    def __getattr__(self, name: str):
        d = self.__dict__
        store = d.get("_parameters")  # (unrolled: a layer's forward reads its weights here)
        if store is not None and name in store:
            return store[name]
        store = d.get("_buffers")
        if store is not None and name in store:
            return store[name]
        store = d.get("_modules")
        if store is not None and name in store:
            return store[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            if name in d[key]:
                del d[key][name]
                d["_non_persistent_buffers_set"].discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(
            set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules)
        )

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        if "." in name or name == "":
            raise KeyError(f'parameter name can\'t contain "." or be empty, got {name!r}')
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(torch.nn.Parameter or None required)"
            )
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        if "." in name or name == "":
            raise KeyError(f'buffer name can\'t contain "." or be empty, got {name!r}')
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                "(torch Tensor or None required)"
            )
        if name in self.__dict__ and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if isinstance(tensor, Buffer):
            tensor = tensor.detach()
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if "." in name or name == "":
            raise KeyError(f'module name can\'t contain "." or be empty, got {name!r}')
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        module = self
        if target == "":
            return module
        for item in target.split("."):
            if item not in module._modules:
                raise AttributeError(f"{type(module).__name__} has no attribute `{item}`")
            module = module._modules[item]
        return module

    def get_parameter(self, target: str) -> Parameter:
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if name not in module._parameters:
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return module._parameters[name]

    def get_buffer(self, target: str) -> Tensor:
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if name not in module._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return module._buffers[name]

    def set_submodule(self, target: str, module: Module, strict: bool = False) -> None:
        """Replace (or, unless ``strict``, add) the submodule at dotted path ``target``."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        parent_path, _, name = target.rpartition(".")
        parent = self.get_submodule(parent_path)
        if strict and name not in parent._modules:
            raise AttributeError(f"{parent._get_name()} has no attribute `{name}`")
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        setattr(parent, name, module)

    # ------------------------------------------------------------------ traversal
    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        if memo is None:
            memo = set()
        if self in memo and remove_duplicate:
            return
        if remove_duplicate:
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        seen = set()
        for name, module in self._modules.items():
            if module is not None and module not in seen:
                seen.add(module)
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def _named_members(self, get_members, prefix="", recurse=True, remove_duplicate=True):
        seen = set()
        modules = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if (recurse)
            else [(prefix, self)]
        )
        for module_prefix, module in modules:
            for name, value in get_members(module):
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ):
        """``(name, parameter)`` pairs with dotted names (``lin.weight``)."""
        yield from self._named_members(
            lambda m: m._parameters.items(), prefix, recurse, remove_duplicate
        )

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """A generator over the parameters, so ``[w, b] = model.parameters()`` works."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        yield from self._named_members(
            lambda m: m._buffers.items(), prefix, recurse, remove_duplicate
        )

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    # ------------------------------------------------------------------ modes and grads
    def train(self, mode: bool = True) -> Module:
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for module in self.modules():
            module.__dict__["training"] = mode
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if p._grad is None:
                continue
            if set_to_none:
                p._grad = None
            else:
                p._grad = p._grad.detach()
                p._grad.zero_()

    def apply(self, fn) -> Module:
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def to(self, *args, **kwargs) -> Module:
        """Convert floating-point parameters and buffers to a dtype (the CPU is the only device)."""
        dtype = kwargs.get("dtype")
        for a in args:
            if isinstance(a, _dtypes.dtype):
                dtype = a
            elif isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, (str, _dtypes.device)):
                _dtypes.check_device(a)
        if kwargs.get("device") is not None:
            _dtypes.check_device(kwargs["device"])
        if dtype is not None:
            self._convert(dtype)
        return self

    def _convert(self, dtype) -> None:
        for module in self.modules():
            for store in (module._parameters, module._buffers):
                for t in store.values():
                    if t is not None and t.is_floating_point() and t._data.dtype != dtype.np:
                        t._data = t._data.astype(dtype.np)
                        if t._grad is not None:
                            t._grad = t._grad.to(dtype)

    def type(self, dst_type) -> Module:
        """Cast all parameters and buffers to ``dst_type``."""
        self._convert(_dtypes.to_dtype(dst_type))
        return self

    def share_memory(self) -> Module:
        """Shared memory only matters across processes; arrays here are already shareable."""
        return self

    def cpu(self) -> Module:
        return self

    def cuda(self, device=None) -> Module:
        _dtypes.check_device("cuda")
        return self

    def float(self) -> Module:
        self._convert(_dtypes.float32)
        return self

    def double(self) -> Module:
        self._convert(_dtypes.float64)
        return self

    def half(self) -> Module:
        self._convert(_dtypes.float16)
        return self

    # ------------------------------------------------------------------ hooks
    def register_forward_pre_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False):
        """``hook(module, args)`` runs before ``forward``; a non-None result replaces args."""
        return _add_hook(self._forward_pre_hooks, (hook, with_kwargs), prepend)

    def register_forward_hook(
        self, hook, *, prepend: bool = False, with_kwargs: bool = False, always_call: bool = False
    ):
        """``hook(module, args, output)`` runs after ``forward``; a non-None result replaces it.

        With ``always_call`` it also runs (with output None) when ``forward`` raises.
        """
        return _add_hook(self._forward_hooks, (hook, with_kwargs, always_call), prepend)

    def register_full_backward_hook(self, hook, prepend: bool = False):
        """``hook(module, grad_input, grad_output)`` runs when the gradients with respect to
        the module's inputs are computed; a non-None result replaces ``grad_input``."""
        return _add_hook(self._backward_hooks, hook, prepend)

    # ------------------------------------------------------------------ state
    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False):
        """Parameters and persistent buffers by dotted name, in registration order."""
        if destination is None:
            destination = OrderedDict()
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else buf.detach()
        extra = getattr(type(self), "get_extra_state", None)
        if extra is not None and extra is not Module.get_extra_state:
            destination[prefix + "_extra_state"] = self.get_extra_state()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(
                    destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars
                )
        return destination

    def get_extra_state(self):
        raise RuntimeError(
            "Reached a code path in Module.get_extra_state() that should never be called. "
            "Please file an issue at https://github.com/pytorch/pytorch/issues/new?template="
            "bug-report.yml to report this bug."
        )

    def set_extra_state(self, state) -> None:
        raise RuntimeError(
            "Reached a code path in Module.set_extra_state() that should never be called. "
            "Please file an issue at https://github.com/pytorch/pytorch/issues/new?template="
            "bug-report.yml to report this bug."
        )

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy values in; with ``strict``, missing or unexpected keys are an error."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            if key.rpartition(".")[2] == "_extra_state":
                continue
            if not isinstance(value, Tensor):
                errors.append(
                    f'While copying the parameter named "{key}", expected torch.Tensor or '
                    f"Tensor-like object from checkpoint but received {type(value)}"
                )
                continue
            if value.shape != target.shape:
                errors.append(
                    f"size mismatch for {key}: copying a param with shape {value.shape} from "
                    f"checkpoint, the shape in current model is {target.shape}."
                )
        if strict:
            if unexpected:
                errors.insert(
                    0,
                    "Unexpected key(s) in state_dict: "
                    + ", ".join(f'"{k}"' for k in unexpected)
                    + ". ",
                )
            if missing:
                errors.insert(
                    0,
                    "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". ",
                )
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
            )
        with no_grad():
            for key, target in own.items():
                if key in state_dict:
                    value = state_dict[key]
                    path, _, name = key.rpartition(".")
                    if name == "_extra_state":
                        self.get_submodule(path).set_extra_state(value)
                    elif assign:
                        target._data = value._data.astype(target._data.dtype, copy=True)
                    else:
                        target.copy_(value)
        return _IncompatibleKeys((missing, unexpected))

    # ------------------------------------------------------------------ printing
    def extra_repr(self) -> str:
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        for name, module in self._modules.items():
            text = _indent(repr(module), 2)
            lines.append(f"({name}): {text}")
        main = self._get_name() + "("
        if lines:
            if len(lines) == 1 and not self._modules:
                main += lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def _repr_html_(self) -> str:
        """Jupyter's view: the module tree, each module with its own parameters' shapes and
        the parameter count of its subtree (``repr`` is unchanged)."""
        total = sum(p.numel() for p in self.parameters())
        return (
            f'<div class="glassgrad-module"><b>{html.escape(self._get_name())}</b>: '
            f"{total:,} parameters{_module_tree(self)}</div>"
        )

    def __getstate__(self):
        return self.__dict__.copy()

    def __setstate__(self, state):
        self.__dict__.update(state)


class _GradOutputCatcher(Function):
    """Identity on a module's outputs; its backward hands grad_output to the record."""

    @staticmethod
    def forward(ctx, record, *tensors):
        ctx.record = record
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        ctx.record.got_grad_output(grads)
        return (None, *grads)


class _GradInputHook(Function):
    """Identity on a module's inputs; its backward runs the full backward hooks."""

    @staticmethod
    def forward(ctx, record, *tensors):
        ctx.record = record
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        return (None, *ctx.record.fire(grads))


class _BackwardHookRecord:
    """One call of a module with full backward hooks: where its input and output grads meet."""

    def __init__(self, module: Module):
        self.module = module
        self.positions: list[int] = []
        self.n_inputs = 0
        self.grad_output: tuple = ()

    def wrap_inputs(self, args: tuple) -> tuple:
        tensors = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.n_inputs = len(tensors)
        self.positions = [j for j, i in enumerate(tensors) if args[i].requires_grad]
        if not self.positions:
            return args
        picked = [tensors[j] for j in self.positions]
        wrapped = _GradInputHook.apply(self, *(args[i] for i in picked))
        new_args = list(args)
        for i, t in zip(picked, wrapped):
            new_args[i] = t
        return tuple(new_args)

    def wrap_outputs(self, result):
        outs = result if isinstance(result, tuple) else (result,)
        idx = [i for i, o in enumerate(outs) if isinstance(o, Tensor) and o.requires_grad]
        if not idx:
            return result
        wrapped = _GradOutputCatcher.apply(self, *(outs[i] for i in idx))
        outs = list(outs)
        for i, t in zip(idx, wrapped):
            outs[i] = t
        return tuple(outs) if isinstance(result, tuple) else outs[0]

    def got_grad_output(self, grads: tuple) -> None:
        self.grad_output = grads
        if not self.positions:  # no input needs a gradient: the hooks run now
            warnings.warn(
                "Full backward hook is firing when gradients are computed with respect to module "
                "outputs since no inputs require gradients. See https://docs.pytorch.org/docs/"
                "main/generated/torch.nn.Module.html#torch.nn.Module.register_full_backward_hook "
                "for more details.",
                UserWarning,
                stacklevel=2,
            )
            self.fire(())

    def fire(self, grads: tuple) -> tuple:
        slots: list = [None] * self.n_inputs
        for j, g in zip(self.positions, grads):
            slots[j] = g
        grad_input = tuple(slots)
        for hook in list(self.module._backward_hooks.values()):
            new = hook(self.module, grad_input, self.grad_output)
            if new is not None:
                grad_input = tuple(new)
        return tuple(grad_input[j] for j in self.positions)


def _indent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


class _HookHandle:
    _next_id = 0

    def __init__(self, hooks: OrderedDict):
        self.hooks = hooks
        self.id = _HookHandle._next_id
        _HookHandle._next_id += 1

    def remove(self) -> None:
        self.hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def _add_hook(hooks: OrderedDict, hook, prepend: bool = False) -> _HookHandle:
    handle = _HookHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def _module_tree(module: Module) -> str:
    """Nested ``<ul>``: own parameters (name, shape), then each child with its count."""
    items = [
        f"<li><code>{html.escape(name)}</code> {list(p.shape)}"
        f"{'' if p.requires_grad else ' (frozen)'}</li>"
        for name, p in module._parameters.items()
        if p is not None
    ]
    for name, child in module._modules.items():
        if child is None:
            continue
        count = sum(p.numel() for p in child.parameters())
        extra = html.escape(child.extra_repr())
        items.append(
            f"<li><code>{html.escape(name)}</code>: {html.escape(child._get_name())}"
            f"{f'({extra})' if extra else ''} — {count:,} parameters{_module_tree(child)}</li>"
        )
    return f"<ul>{''.join(items)}</ul>" if items else ""
