"""The Optimizer base: parameter groups, per-parameter state, step/zero_grad, state dicts."""

from __future__ import annotations

import functools
import warnings
from collections import defaultdict
from collections.abc import Iterable
from copy import deepcopy
from typing import Any

from glassgrad._tensor import Tensor
from glassgrad._tensor_base import _new_tensor
from glassgrad._warn import warn_at_user_line
from glassgrad.autograd.grad_mode import STATE, enable_grad
from glassgrad.autograd.graph import _RemovableHandle
from glassgrad.optim._functional import step_tensor

__all__ = [
    "Optimizer",
    "register_optimizer_step_post_hook",
    "register_optimizer_step_pre_hook",
    "required",
]


class _Required:
    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()


def _shape(t: Tensor) -> list[int]:
    return list(t._data.shape)


_global_pre_hooks: list = []
_global_post_hooks: list = []


def register_optimizer_step_pre_hook(hook):
    """Run ``hook(optimizer, args, kwargs)`` before every optimizer's ``step``."""
    _global_pre_hooks.append(hook)
    return _RemovableHandle(_global_pre_hooks, hook)


def register_optimizer_step_post_hook(hook):
    """Run ``hook(optimizer, args, kwargs)`` after every optimizer's ``step``."""
    _global_post_hooks.append(hook)
    return _RemovableHandle(_global_post_hooks, hook)


def _hooks_of(opt) -> tuple[list, list] | None:
    """The pre and post hooks a ``step`` of ``opt`` must run now, or None when there are none
    (or when this ``step`` is called from inside an already hooked one)."""
    own = opt.__dict__
    if own.get("_in_hooked_step") or not (
        _global_pre_hooks
        or _global_post_hooks
        or own.get("_step_pre_hooks")
        or own.get("_step_post_hooks")
    ):
        return None
    return _global_pre_hooks + own.get("_step_pre_hooks", []), own.get(
        "_step_post_hooks", []
    ) + _global_post_hooks


def _with_hooks(step):
    """Wrap a ``step`` so the registered pre/post hooks run around it exactly once.

    As in PyTorch, hooks get ``(optimizer, args, kwargs)`` with ``args`` as ``step`` got them
    (the optimizer first); a pre hook may return new ``(args, kwargs)``.
    """

    @functools.wraps(step)
    def hooked(*args, **kwargs):
        self = args[0]
        hooks = _hooks_of(self)
        if hooks is None:
            return step(*args, **kwargs)
        pre, post = hooks
        self._in_hooked_step = True
        try:
            for hook in pre:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(
                            f"optimizer step pre hook {hook} must return None or a tuple of "
                            f"(new_args, new_kwargs), but got {result}"
                        )
                    args, kwargs = result
            out = step(*args, **kwargs)
            for hook in post:
                hook(self, args, kwargs)
            return out
        finally:
            self._in_hooked_step = False

    return hooked


class Optimizer:
    """Base class: holds ``param_groups`` (dicts of params + options) and ``state``.

    Built-in subclasses implement ``_update(group, params_with_grad)`` with the math and
    ``_check_options(options)`` with PyTorch's hyper-parameter checks. A subclass may also
    override ``step`` directly, as custom PyTorch optimizers do.

    Example:
        >>> opt = torch.optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.1}], lr=0.01)
        >>> opt.param_groups[1]["lr"]
        0.1
    """

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            # deliberate: a subclass's own step is wrapped once, when the class is made
            cls.step = _with_hooks(cls.__dict__["step"])  # type: ignore[method-assign]

    def __init__(self, params: Iterable, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._step_pre_hooks: list = []
        self._step_post_hooks: list = []
        self._flat_plans: dict = {}  # group index -> FlatPlan (a cache, never saved)
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict] = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {type(params).__name__}; wrap it in a list: [w]"
            )
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def _check_options(self, options: dict) -> None:
        """Raise PyTorch's ValueError for an invalid hyper-parameter (subclasses override)."""

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own options (unset options take the defaults).

        Accepts tensors or ``(name, tensor)`` pairs, as ``model.named_parameters()`` yields.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("a parameter group needs a 'params' entry: {'params': [w, b]}")
        differentiable = bool(self.defaults.get("differentiable"))
        tensors, names = _group_tensors(param_group["params"], differentiable)
        param_group["params"] = tensors
        if names:
            param_group["param_names"] = names
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization parameter "
                    f"{name}"
                )
            param_group.setdefault(name, default)
        if len({id(p) for p in tensors}) != len(tensors):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, "
                "this will cause an error; see github.com/pytorch/pytorch/issues/40967 for more "
                "information",
                UserWarning,
                stacklevel=3,
            )
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self._check_options(param_group)
        self.param_groups.append(param_group)

    def register_step_pre_hook(self, hook):
        """Run ``hook(optimizer, args, kwargs)`` before each ``step``; it may return
        ``(new_args, new_kwargs)``. Returns a handle with ``remove()``."""
        self._step_pre_hooks.append(hook)
        return _RemovableHandle(self._step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """Run ``hook(optimizer, args, kwargs)`` after each ``step``."""
        self._step_post_hooks.append(hook)
        return _RemovableHandle(self._step_post_hooks, hook)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset gradients: to None (default) or to zeros in place."""
        for group in self.param_groups:
            if set_to_none:
                for p in group["params"]:
                    p._grad = None
                continue
            for p in group["params"]:
                g = p._grad
                if g is not None:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g._rg = False
                    g._data[...] = 0
                    g._version_counter[0] += 1  # as zero_() does: the gradient was reset

    @_with_hooks
    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()`` if given.

        All gradients and state shapes are checked before any parameter changes, so an error
        never leaves a step half-applied.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        work = []
        for gi, group in enumerate(self.param_groups):
            params = [p for p in group["params"] if p._grad is not None]
            if params:
                work.append((group, params, self._check_group(gi, group, params)))
        prev = STATE.enabled  # no_grad(), without a context-manager object per step
        STATE.enabled = False
        try:
            for group, params, fast in work:
                if fast is None:
                    self._update(group, params)
                else:
                    fast(group, params)
        finally:
            STATE.enabled = prev
        if not self.__dict__.get("_warned_stale_grad"):
            self._watch_for_stale_grads(work)
        return loss

    def _watch_for_stale_grads(self, work: list) -> None:
        """Warn (once) when a gradient this step used had already been used by an earlier
        step, with backward() adding to it since: ``zero_grad()`` was forgotten.

        Each used gradient is stamped with its version; backward() adding to a gradient whose
        version still equals the stamp marks it stale (``autograd.engine``). Zeroing it in
        any way (``zero_grad``, ``.zero_()``, ``= None``) changes the version or the tensor,
        so deliberate accumulation (several backward() calls, then step(), then zero_grad())
        never warns. One dict write per parameter per step.
        """
        stale = False
        for _, params, _ in work:
            for p in params:
                g = p._grad
                extra = g._extra
                if extra is None:
                    g._extra = {"stepped_at": g._version_counter[0]}
                    continue
                if extra.pop("stale_grad", False):
                    stale = True
                extra["stepped_at"] = g._version_counter[0]
        if stale:
            self._warned_stale_grad = True
            warn_at_user_line(
                f"{type(self).__name__}.step(): a parameter's .grad still holds the gradient an "
                "earlier step() already used, with new backward() results added to it: the "
                "gradients are summing up across steps. Call optimizer.zero_grad() before each "
                "backward() (or after each step()). (Warned once per optimizer.)"
            )

    def _check_group(self, group_index: int, group: dict, params: list[Tensor]):
        """Check a group's gradients and state; may return a callable ``fast(group, params)``
        that updates the group in place of ``_update`` (a subclass's faster path)."""
        state = self.state
        for p in params:
            data, grad = p._data, p._grad._data
            if (
                grad.shape != data.shape
                or grad.dtype != data.dtype
                or data.dtype.kind != "f"
                or state.get(p)
            ):
                self._check_param(p, group_index, group)

    def _check_param(self, p: Tensor, group_index: int, group: dict) -> None:
        g = p._grad
        data = p._data
        problem = None
        if g._data.shape != data.shape:
            problem = (
                f"has shape {_shape(p)} but its .grad has shape {_shape(g)}; assign a gradient "
                "of the parameter's shape"
            )
        elif g._data.dtype != data.dtype:
            problem = (
                f"has dtype {p.dtype} but its .grad has dtype {g.dtype}; gradients must have "
                "the parameter's dtype"
            )
        elif data.dtype.kind != "f":
            problem = f"has dtype {p.dtype}; only floating point tensors can be optimized"
        else:
            for key, value in self.state.get(p, {}).items():
                if (
                    isinstance(value, Tensor)
                    and value._data.ndim
                    and value._data.shape != data.shape
                ):
                    problem = (
                        f"has shape {_shape(p)} but its optimizer state '{key}' has shape "
                        f"{_shape(value)} (was a state dict from another model loaded?)"
                    )
                    break
        if problem is not None:
            index = next(i for i, q in enumerate(group["params"]) if q is p)
            raise RuntimeError(
                f"{type(self).__name__}.step(): parameter {index} of group {group_index} {problem}"
            )

    def _update(self, group: dict, params: list[Tensor]) -> None:
        raise NotImplementedError(
            f"{type(self).__name__} must override step() (or _update(group, params))"
        )

    def explain_step(self, param=None):
        """The update the next ``step()`` makes to ``param``: rule and numbers (a glassgrad
        extra, see ``glassgrad.viz.explain_step``)."""
        # viz sits above optim: loaded on the first call so that optim never imports viz
        from glassgrad.viz.optim_explain import explain_step

        return explain_step(self, param)

    # ------------------------------------------------------------------ state dicts
    def state_dict(self) -> dict:
        """``{'state': {index: {...}}, 'param_groups': [{..options, 'params': [index...]}]}``.

        Parameters are numbered in order across groups, as PyTorch does.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {}
        for key, values in self.state.items():
            packed_key = index[id(key)] if isinstance(key, Tensor) else key
            state[packed_key] = {
                k: (_copy_tensor(v) if isinstance(v, Tensor) else v) for k, v in values.items()
            }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore options and state saved by ``state_dict()`` (tensors are copied)."""
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            raise ValueError(
                "optimizer state dict must be a dict with 'state' and 'param_groups' entries "
                "(as returned by optimizer.state_dict())"
            )
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                "loaded state dict has a different number of parameter groups "
                f"({len(saved_groups)} vs {len(self.param_groups)} in this optimizer)"
            )
        for mine, theirs in zip(self.param_groups, saved_groups):
            if len(mine["params"]) != len(theirs["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size "
                    f"of optimizer's group ({len(theirs['params'])} vs {len(mine['params'])})"
                )
        by_index = {}
        for mine, theirs in zip(self.param_groups, saved_groups):
            for p, i in zip(mine["params"], theirs["params"]):
                by_index[i] = p
        state: defaultdict = defaultdict(dict)
        for key, values in state_dict["state"].items():
            p = by_index.get(key)
            if p is None:
                state[key] = deepcopy(values)
                continue
            restored = {}
            for k, v in values.items():
                if isinstance(v, Tensor):
                    v = _copy_tensor(v)
                    if k != "step" and v._data.dtype.kind == "f" and v.dtype != p.dtype:
                        v._data = v._data.astype(p._data.dtype)
                restored[k] = v
            state[p] = restored
        groups = []
        for mine, theirs in zip(self.param_groups, saved_groups):
            group = {k: deepcopy(v) for k, v in theirs.items() if k != "params"}
            group["params"] = mine["params"]
            if "param_names" in mine and "param_names" not in group:
                group["param_names"] = mine["param_names"]
            groups.append(group)
        self.__setstate__({"state": state, "param_groups": groups})

    def __getstate__(self) -> dict:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict) -> None:
        """Also upgrades old state: missing options take the defaults, float steps -> tensors."""
        self.__dict__.update(state)
        self.__dict__.setdefault("_step_pre_hooks", [])
        self.__dict__.setdefault("_step_post_hooks", [])
        self._flat_plans = {}
        for group in self.param_groups:
            for name, default in self.defaults.items():
                if default is not required:
                    group.setdefault(name, default)
        for values in self.state.values():
            if "step" in values and not isinstance(values["step"], Tensor):
                values["step"] = step_tensor(float(values["step"]))

    def __repr__(self) -> str:
        text = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"  # groups end in a newline: blank line between
            for key in sorted(group):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"


def _group_tensors(params, differentiable: bool) -> tuple[list, list]:
    """A group's ``params`` entry as (tensors, names): a tensor, or an ordered collection of
    tensors or of ``(name, tensor)`` pairs, with PyTorch's checks."""
    if isinstance(params, Tensor):
        params = [params]
    elif isinstance(params, set):
        raise TypeError(
            "optimizer parameters need to be organized in ordered collections, but the "
            "ordering of tensors in sets will change between runs. Please use a list instead."
        )
    else:
        params = list(params)
    tensors, names = [], []
    for p in params:
        if isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str):
            names.append(p[0])
            p = p[1]
        tensors.append(p)
    if names and len(names) != len(tensors):
        raise ValueError("all optimizer params should be either named or unnamed, not mixed")
    for i, p in enumerate(tensors):
        if not isinstance(p, Tensor):
            raise TypeError(
                f"optimizer can only optimize Tensors, but one of the params (index {i}) is "
                f"{type(p).__name__}"
            )
        if not differentiable and not (p.is_leaf or p.retains_grad):
            raise ValueError(
                "can't optimize a non-leaf Tensor (it was computed from other tensors); "
                "optimize the leaf it came from, or use x.detach().requires_grad_()"
            )
    return tensors, names


def _copy_tensor(t: Tensor) -> Tensor:
    return _new_tensor(t._data.copy())


def _check_lr_eps_wd(lr, eps, weight_decay) -> None:
    """The checks most optimizers share, with PyTorch's messages."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not float(lr) >= 0.0:
        raise ValueError(f"Invalid learning rate: {lr}")
    if eps is not None and not eps >= 0.0:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not weight_decay >= 0.0:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def _check_betas(betas) -> None:
    for i in (0, 1):
        if not 0.0 <= float(betas[i]) < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {betas[i]}")


def _check_lr_eps_betas_wd(options: dict) -> None:
    """lr, eps, betas then weight_decay: the order of PyTorch's checks in Adamax, NAdam, RAdam."""
    _check_lr_eps_wd(options["lr"], options["eps"], 0.0)
    _check_betas(options["betas"])
    _check_lr_eps_wd(options["lr"], None, options["weight_decay"])
