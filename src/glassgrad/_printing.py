"""Tensor printing identical to PyTorch's: precision, widths, wrapping, summaries, suffixes."""

from __future__ import annotations

import math
from dataclasses import dataclass

from glassgrad import _dtypes
from glassgrad._backend import xp

__all__ = ["get_printoptions", "set_printoptions", "tensor_repr"]


@dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


OPTIONS = _PrintOptions()


def set_printoptions(
    precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None
) -> None:
    """Same options and profiles ('default', 'short', 'full') as ``torch.set_printoptions``."""
    if profile == "default":
        OPTIONS.precision, OPTIONS.threshold, OPTIONS.edgeitems, OPTIONS.linewidth = 4, 1000, 3, 80
    elif profile == "short":
        OPTIONS.precision, OPTIONS.threshold, OPTIONS.edgeitems, OPTIONS.linewidth = 2, 1000, 2, 80
    elif profile == "full":
        OPTIONS.precision, OPTIONS.threshold, OPTIONS.edgeitems, OPTIONS.linewidth = (
            4,
            math.inf,
            3,
            80,
        )
    if precision is not None:
        OPTIONS.precision = precision
    if threshold is not None:
        OPTIONS.threshold = threshold
    if edgeitems is not None:
        OPTIONS.edgeitems = edgeitems
    if linewidth is not None:
        OPTIONS.linewidth = linewidth
    OPTIONS.sci_mode = sci_mode


def get_printoptions() -> dict:
    return dict(vars(OPTIONS))


class _Formatter:
    """Chooses one format for every element: integer-valued, fixed or scientific."""

    def __init__(self, values):
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        p = OPTIONS.precision
        flat = values.reshape(-1)
        if not self.floating:
            for v in flat.tolist():
                self.max_width = max(self.max_width, len(str(v)))
            return
        finite = flat[xp.isfinite(flat) & (flat != 0)].astype(xp.float64)
        if finite.size == 0:
            return
        absolute = xp.abs(finite)
        lo, hi = float(absolute.min()), float(absolute.max())
        items = finite.tolist()
        self.int_mode = bool((finite == xp.ceil(finite)).all())
        if OPTIONS.sci_mode is None:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        else:
            self.sci_mode = bool(OPTIONS.sci_mode)
        if self.sci_mode:
            self.max_width = max(len(f"{v:.{p}e}") for v in items)
        elif self.int_mode:
            self.max_width = max(len(f"{v:.0f}") + 1 for v in items)
        else:
            self.max_width = max(len(f"{v:.{p}f}") for v in items)

    def format(self, value) -> str:
        p = OPTIONS.precision
        if self.floating:
            if self.sci_mode:
                text = f"{value:{self.max_width}.{p}e}"
            elif self.int_mode:
                text = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    text += "."
            else:
                text = f"{value:.{p}f}"
        else:
            text = str(value)
        return (self.max_width - len(text)) * " " + text


def _summarized(data):
    """The elements that remain visible once the middle of long dimensions is elided."""
    e = OPTIONS.edgeitems
    if data.ndim == 0:
        return data
    if data.ndim == 1:
        if data.shape[0] > 2 * e:
            return xp.concatenate((data[:e], data[-e:]))
        return data
    if not e:
        return data[(slice(0, 0),) * data.ndim]
    if data.shape[0] > 2 * e:
        rows = [_summarized(data[i]) for i in range(e)] + [
            _summarized(data[i]) for i in range(len(data) - e, len(data))
        ]
    else:
        rows = [_summarized(row) for row in data]
    return xp.stack(rows)


def _vector(data, indent: int, summarize: bool, fmt: _Formatter) -> str:
    element_length = fmt.max_width + 2
    per_line = max(1, math.floor((OPTIONS.linewidth - indent) / element_length))
    e = OPTIONS.edgeitems
    if summarize and not e:
        items = ["..."]
    elif summarize and data.shape[0] > 2 * e:
        items = (
            [fmt.format(v) for v in data[:e].tolist()]
            + [" ..."]
            + [fmt.format(v) for v in data[-e:].tolist()]
        )
    else:
        items = [fmt.format(v) for v in data.tolist()]
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _body(data, indent: int, summarize: bool, fmt: _Formatter) -> str:
    dim = data.ndim
    if dim == 0:
        return fmt.format(data.item())
    if dim == 1:
        return _vector(data, indent, summarize, fmt)
    e = OPTIONS.edgeitems
    if summarize and data.shape[0] > 2 * e:
        rows = (
            [_body(data[i], indent + 1, summarize, fmt) for i in range(e)]
            + ["..."]
            + [_body(data[i], indent + 1, summarize, fmt) for i in range(len(data) - e, len(data))]
        )
    else:
        rows = [_body(data[i], indent + 1, summarize, fmt) for i in range(data.shape[0])]
    return "[" + ("," + "\n" * (dim - 1) + " " * (indent + 1)).join(rows) + "]"


def _contents(data, indent: int) -> str:
    summarize = data.size > OPTIONS.threshold
    if data.dtype == xp.float16:
        data = data.astype(xp.float32)
    fmt = _Formatter(_summarized(data) if summarize else data)
    return _body(data, indent, summarize, fmt)


def _add_suffixes(text: str, suffixes: list, indent: int) -> str:
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > OPTIONS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(t) -> str:
    """``repr(t)``: subclasses other than Parameter print their class name, as in PyTorch."""
    name = type(t).__name__
    prefix = "tensor(" if name in ("Tensor", "Parameter", "Buffer") else name + "("
    data = t._data
    dtype = _dtypes.from_numpy_dtype(data.dtype)
    indent = len(prefix)
    suffixes = []
    default = dtype in (_dtypes.DEFAULTS.float_dtype, _dtypes.int64, _dtypes.bool_)
    if data.size == 0:
        if data.ndim != 1:
            suffixes.append("size=" + str(tuple(data.shape)))
        if dtype is not _dtypes.DEFAULTS.float_dtype:
            suffixes.append("dtype=" + repr(dtype))
        body = "[]"
    else:
        if not OPTIONS.edgeitems:
            suffixes.append("size=" + str(tuple(data.shape)))
        if not default:
            suffixes.append("dtype=" + repr(dtype))
        body = _contents(data, indent)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._rg:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)


def tensor_html(t) -> str:
    """A notebook's rich view of a tensor: shape, dtype, values, grad and grad_fn in a table
    (``repr`` stays PyTorch's text; this is what Jupyter shows instead of it)."""
    import html

    def pre(text: str) -> str:
        return f'<pre style="margin:0">{html.escape(text)}</pre>'

    grad_fn = t.grad_fn
    grad = t._grad
    rows = [
        ("shape", html.escape(str(list(t._data.shape)))),
        ("dtype", html.escape(str(t.dtype))),
        ("values", pre(tensor_repr(t.detach()))),
        ("requires_grad", str(t.requires_grad)),
        ("grad_fn", "—" if grad_fn is None else html.escape(grad_fn.name())),
        ("grad", "None" if grad is None else pre(tensor_repr(grad))),
    ]
    body = "".join(
        f'<tr><th style="text-align:left;padding-right:1em">{k}</th><td>{v}</td></tr>'
        for k, v in rows
    )
    return f'<table class="glassgrad-tensor">{body}</table>'
