"""Recurrent layers (``RNN``, ``LSTM``, ``GRU``) and their single-step cells.

Built from differentiable primitives (one input projection for the whole sequence, then
one step per time index), with PyTorch's parameter names, gate order (LSTM: i, f, g, o;
GRU: r, z, n), initialisation and shapes, so weights copied across give the same numbers.

The graph has PyTorch's CPU node names too. PyTorch runs a float32 LSTM through oneDNN
whenever ``torch.backends.mkldnn.enabled`` (whatever the CPU capability): each layer and
direction is then one ``MkldnnRnnLayerBackward0`` node with outputs (output, h_n, c_n), which
``_OneDnnLstmLayer`` reproduces around the same primitives. Other cases (float64, GRU, RNN)
use its native cells: gates split with ``unsafe_chunk`` and, for GRU and RNN with
``batch_first``, an output transposed in place (``TransposeBackward1``).
"""

from __future__ import annotations

import math

from glassgrad import _creation, autograd, backends
from glassgrad._dtypes import float32
from glassgrad._tensor import Tensor
from glassgrad.autograd.function import Function, _FunctionNode
from glassgrad.autograd.grad_mode import enable_grad, is_grad_enabled
from glassgrad.autograd.graph import Node
from glassgrad.nn import functional as F
from glassgrad.nn import init
from glassgrad.nn.module import Module
from glassgrad.nn.parameter import Parameter
from glassgrad.ops import movement as M

__all__ = ["GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _step(mode: str, x_proj: Tensor, h, w_hh: Tensor, b_hh: Tensor | None):
    """One time step given the input projection x @ W_ih.T + b_ih; returns the new state."""
    if mode == "LSTM":
        h, c = h
        gates = x_proj + F.linear(h, w_hh, b_hh)
        i, f, g, o = M.unsafe_chunk(gates, 4, -1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        return o.sigmoid() * c.tanh(), c
    hidden = F.linear(h, w_hh, b_hh)
    if mode == "GRU":
        xr, xz, xn = M.unsafe_chunk(x_proj, 3, -1)
        hr, hz, hn = M.unsafe_chunk(hidden, 3, -1)
        r = (xr + hr).sigmoid()
        z = (xz + hz).sigmoid()
        n = (xn + r * hn).tanh()
        return (h - n) * z + n  # PyTorch's order: (h - n).mul_(z).add_(n)
    pre = x_proj + hidden
    return pre.tanh() if mode == "RNN_TANH" else pre.relu()


def _run_layer(mode: str, x: Tensor, state, w_ih, w_hh, b_ih, b_hh, reverse: bool):
    """One layer in one direction over the sequence ``x`` (time first): (output, last state)."""
    steps = x.shape[0]
    projected = F.linear(x, w_ih, b_ih)
    seq = [None] * steps
    for t in range(steps - 1, -1, -1) if reverse else range(steps):
        state = _step(mode, projected[t], state, w_hh, b_hh)
        seq[t] = state[0] if mode == "LSTM" else state
    return M.stack(seq, 0), state


class _OneDnnLstmLayer(Function):
    """One LSTM layer and direction as the one node PyTorch's oneDNN path records.

    Inputs (input, w_ih, w_hh, b_ih, b_hh, hx, cx), outputs (output, h_n, c_n), as in
    PyTorch's ``MkldnnRnnLayerBackward0``. The numbers are ``_run_layer``'s: forward builds
    that layer's graph on detached copies of the inputs and backward differentiates it.
    """

    @staticmethod
    def forward(ctx, x, w_ih, w_hh, b_ih, b_hh, hx, cx, reverse: bool, has_biases: bool):
        leaves = [
            t.detach().requires_grad_(t.requires_grad) for t in (x, w_ih, w_hh, b_ih, b_hh, hx, cx)
        ]
        x_, w_ih_, w_hh_, b_ih_, b_hh_, hx_, cx_ = leaves
        if not has_biases:
            b_ih_ = b_hh_ = None
        with enable_grad():
            output, (h, c) = _run_layer("LSTM", x_, (hx_, cx_), w_ih_, w_hh_, b_ih_, b_hh_, reverse)
        ctx.inner = (leaves, (output, h, c))
        return output.detach(), h.detach(), c.detach()

    @staticmethod
    def backward(ctx, grad_output, grad_h, grad_c):
        if is_grad_enabled():
            raise RuntimeError(
                "double backward (create_graph=True) through MkldnnRnnLayerBackward0, a float32 "
                "LSTM layer, is not supported (nor is it in PyTorch); use a float64 LSTM or "
                "set torch.backends.mkldnn.enabled = False"
            )
        leaves, outputs = ctx.inner
        wanted = [t for t in leaves if t.requires_grad]
        grads = iter(
            autograd.grad(
                outputs, wanted, (grad_output, grad_h, grad_c), retain_graph=True, allow_unused=True
            )
        )
        return tuple(next(grads) if t.requires_grad else None for t in leaves) + (None, None)


class _OneDnnLayerNode(_FunctionNode):
    """The node class of ``_OneDnnLstmLayer``: a built-in PyTorch node (named, printed as one)."""

    __repr__ = Node.__repr__

    def _release(self) -> None:
        super()._release()
        self.__dict__.pop("inner", None)
        self._freed = True


_OneDnnLstmLayer._node_class = type(
    "MkldnnRnnLayerBackward0", (_OneDnnLayerNode,), {"_function": _OneDnnLstmLayer}
)


class RNNBase(Module):
    """Shared parameters, checks and the layer/direction loop of RNN, LSTM and GRU."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
    ):
        super().__init__()
        if not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of an "
                "element being zeroed"
            )
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size != 0:
            raise NotImplementedError("LSTM proj_size is not supported by glassgrad yet")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        gate_size = _GATES[mode] * hidden_size
        directions = 2 if bidirectional else 1
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = [
                    ("weight_ih", (gate_size, layer_input)),
                    ("weight_hh", (gate_size, hidden_size)),
                ]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                for name, shape in shapes:
                    setattr(self, name + suffix, Parameter(_creation.empty(*shape, dtype=dtype)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _layer_weights(self, layer: int, direction: int):
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        get = self._parameters.get
        return (
            get("weight_ih" + suffix),
            get("weight_hh" + suffix),
            get("bias_ih" + suffix),
            get("bias_hh" + suffix),
        )

    def _check_input(self, input: Tensor) -> bool:
        """Validate the input; return whether it is batched."""
        if input.ndim not in (2, 3):
            raise ValueError(
                f"{type(self).__name__}: Expected input to be 2D or 3D, got {input.ndim}D instead"
            )
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                f"{input.shape[-1]}"
            )
        return input.ndim == 3

    def _initial(self, hx, batch: int, dtype, batched: bool, name: str = "hx") -> Tensor:
        directions = 2 if self.bidirectional else 1
        shape = (self.num_layers * directions, batch, self.hidden_size)
        if hx is None:
            return _creation.zeros(*shape, dtype=dtype)
        if not batched:
            if hx.ndim != 2:
                raise RuntimeError(
                    f"For unbatched 2-D input, {name} should also be 2-D but got {hx.ndim}-D tensor"
                )
            hx = hx.unsqueeze(1)
        if tuple(hx.shape) != shape:
            raise RuntimeError(f"Expected hidden size {shape}, got {list(hx.shape)}")
        return hx

    def forward(self, input, hx=None):
        batched = self._check_input(input)
        batch_dim = 0 if self.batch_first else 1
        x = input if batched else input.unsqueeze(batch_dim)
        if self.batch_first:
            x = x.transpose(0, 1)
        batch = x.shape[1]
        if self.mode == "LSTM":
            h0, c0 = (None, None) if hx is None else hx
            state0 = (
                self._initial(h0, batch, x.dtype, batched),
                self._initial(c0, batch, x.dtype, batched, "cx"),
            )
        else:
            state0 = (self._initial(hx, batch, x.dtype, batched),)
        onednn = (
            self.mode == "LSTM" and x.dtype == float32 and x.numel() and backends.mkldnn.enabled
        )
        output, last = self._layers(x.contiguous() if onednn else x, state0, onednn)
        if self.batch_first:  # PyTorch's native RNN and GRU transpose their output in place
            transpose = M.Transpose if self.mode == "LSTM" else M.TransposeInplace
            output = transpose.apply(output, dim0=0, dim1=1)
        finals = [M.stack(states, 0) for states in last]
        if not batched:
            output = output.squeeze(batch_dim)
            finals = [f.squeeze(1) for f in finals]
        return output, (tuple(finals) if self.mode == "LSTM" else finals[0])

    def _layers(self, x: Tensor, state0: tuple, onednn: bool):
        """Every layer and direction over ``x``: the last layer's output and, per state kind
        (h, and c for LSTM), the final states of every layer and direction."""
        directions = 2 if self.bidirectional else 1
        last = [[] for _ in state0]
        layer_input = x
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                k = layer * directions + direction
                weights = self._layer_weights(layer, direction)
                initial = tuple(s[k] for s in state0)
                if onednn:
                    output, *final = _onednn_layer(layer_input, weights, initial, bool(direction))
                else:
                    state = initial if self.mode == "LSTM" else initial[0]
                    output, state = _run_layer(self.mode, layer_input, state, *weights, direction)
                    final = state if self.mode == "LSTM" else (state,)
                outputs.append(output)
                for states, value in zip(last, final):
                    states.append(value)
            layer_input = outputs[0] if directions == 1 else M.cat(outputs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        return layer_input, last

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


def _onednn_layer(x: Tensor, weights: tuple, initial: tuple, reverse: bool):
    """One float32 LSTM layer as PyTorch's oneDNN path records it (when a graph is recorded)."""
    w_ih, w_hh, b_ih, b_hh = weights
    if not (
        is_grad_enabled()
        and any(t is not None and t.requires_grad for t in (x, *weights, *initial))
    ):
        output, state = _run_layer("LSTM", x, initial, w_ih, w_hh, b_ih, b_hh, reverse)
        return (output, *state)
    has_biases = b_ih is not None
    if not has_biases:  # PyTorch's node still has these two inputs, without gradients
        b_ih = b_hh = _creation.zeros(0, dtype=x.dtype)
    return _OneDnnLstmLayer.apply(x, w_ih, w_hh, b_ih, b_hh, *initial, reverse, has_biases)


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu).

    Example:
        >>> rnn = nn.RNN(3, 5, batch_first=True)
        >>> out, h = rnn(torch.randn(2, 7, 3))
        >>> out.shape, h.shape
        (torch.Size([2, 7, 5]), torch.Size([1, 2, 5]))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device=None,
        dtype=None,
    ):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        self.nonlinearity = nonlinearity
        super().__init__(
            "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            dtype=dtype,
        )


class LSTM(RNNBase):
    """Long short-term memory; returns ``output, (h_n, c_n)``."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
    ):
        super().__init__(
            "LSTM",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            proj_size,
            dtype=dtype,
        )


class GRU(RNNBase):
    """Gated recurrent unit; returns ``output, h_n``."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device=None,
        dtype=None,
    ):
        super().__init__(
            "GRU",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            dtype=dtype,
        )


class RNNCellBase(Module):
    """One recurrent step with parameters weight_ih, weight_hh, bias_ih, bias_hh."""

    _mode = ""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        gate_size = _GATES[self._mode] * hidden_size
        self.weight_ih = Parameter(_creation.empty(gate_size, input_size, dtype=dtype))
        self.weight_hh = Parameter(_creation.empty(gate_size, hidden_size, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(_creation.empty(gate_size, dtype=dtype))
            self.bias_hh = Parameter(_creation.empty(gate_size, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _prepare(self, input: Tensor) -> bool:
        """Validate the input; return whether it is batched."""
        if input.ndim not in (1, 2):
            raise ValueError(
                f"{type(self).__name__}: Expected input to be 1D or 2D, got {input.ndim}D instead"
            )
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input has inconsistent input_size: got {input.shape[-1]} expected "
                f"{self.input_size}"
            )
        return input.ndim == 2

    def _zeros(self, input: Tensor, batched: bool) -> Tensor:
        shape = (input.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        return _creation.zeros(*shape, dtype=input.dtype)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        if nonlinearity != "tanh":
            s += f", nonlinearity={nonlinearity}"
        return s


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device=None,
        dtype=None,
    ):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        self._mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(input_size, hidden_size, bias, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        batched = self._prepare(input)
        h = self._zeros(input, batched) if hx is None else hx
        return _step(
            self._mode,
            F.linear(input, self.weight_ih, self.bias_ih),
            h,
            self.weight_hh,
            self.bias_hh,
        )


class LSTMCell(RNNCellBase):
    """One LSTM step: returns ``(h', c')``."""

    _mode = "LSTM"

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ):
        super().__init__(input_size, hidden_size, bias, dtype)

    def forward(self, input, hx=None):
        batched = self._prepare(input)
        if hx is None:
            hx = (self._zeros(input, batched), self._zeros(input, batched))
        projected = F.linear(input, self.weight_ih, self.bias_ih)
        return _step("LSTM", projected, hx, self.weight_hh, self.bias_hh)


class GRUCell(RNNCellBase):
    """One GRU step: returns ``h'``."""

    _mode = "GRU"

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ):
        super().__init__(input_size, hidden_size, bias, dtype)

    def forward(self, input, hx=None):
        batched = self._prepare(input)
        h = self._zeros(input, batched) if hx is None else hx
        projected = F.linear(input, self.weight_ih, self.bias_ih)
        return _step("GRU", projected, h, self.weight_hh, self.bias_hh)
