"""Compare autograd's Jacobians with finite differences: ``gradcheck`` and ``gradgradcheck``.

Example:
    >>> x = torch.randn(3, dtype=torch.float64, requires_grad=True)
    >>> torch.autograd.gradcheck(lambda t: (t * t).sum(), (x,))
    True
"""

from __future__ import annotations

from glassgrad._backend import xp
from glassgrad._creation import randn_like
from glassgrad._tensor_base import TensorBase, _new_tensor
from glassgrad._warn import warn_at_user_line
from glassgrad.autograd.gradients import grad

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` when an analytical Jacobian differs from the numerical one."""


def _as_tuple(x) -> tuple:
    return tuple(x) if isinstance(x, (list, tuple)) else (x,)


def _tensors(values) -> list:

    return [v for v in values if isinstance(v, TensorBase)]


def _differentiable(inputs) -> list:
    return [i for i, t in enumerate(inputs) if _is_tensor(t) and t.requires_grad]


def _is_tensor(t) -> bool:

    return isinstance(t, TensorBase)


def _outputs(fn, inputs) -> list:
    return _tensors(_as_tuple(fn(*inputs)))


def _numerical(fn, inputs, wrt: list, eps: float) -> list:
    """Central differences: ``J[j][k]`` has one row per element of input k, one column per
    element of output j (PyTorch's layout). Grad mode stays on: ``func`` may itself
    differentiate (``gradgradcheck``)."""
    outs = _outputs(fn, inputs)
    jac = [[None] * len(wrt) for _ in outs]
    for k, i in enumerate(wrt):
        data = inputs[i]._data
        for j, out in enumerate(outs):
            jac[j][k] = xp.zeros((data.size, out._data.size), dtype=xp.float64)
        for flat in range(data.size):
            idx = xp.unravel_index(flat, data.shape) if data.ndim else ()
            orig = data[idx].item()
            data[idx] = orig + eps
            plus = [o._data.astype(xp.float64).ravel() for o in _outputs(fn, inputs)]
            data[idx] = orig - eps
            minus = [o._data.astype(xp.float64).ravel() for o in _outputs(fn, inputs)]
            data[idx] = orig
            for j in range(len(outs)):
                jac[j][k][flat] = (plus[j] - minus[j]) / (2 * eps)
    return jac


def _analytical(outs, inputs, wrt: list) -> list:
    """Rows of the Jacobian from one ``autograd.grad`` call per output element."""
    targets = [inputs[i] for i in wrt]
    jac = []
    for out in outs:
        blocks = [xp.zeros((t._data.size, out._data.size), dtype=xp.float64) for t in targets]
        if out.requires_grad:
            for col in range(out._data.size):
                onehot = xp.zeros(out._data.size, dtype=out._data.dtype)
                onehot[col] = 1
                grads = grad(
                    out,
                    targets,
                    grad_outputs=_new_tensor(onehot.reshape(out._data.shape)),
                    retain_graph=True,
                    allow_unused=True,
                )
                for block, g in zip(blocks, grads):
                    if g is not None:
                        block[:, col] = g._data.astype(xp.float64).ravel()
        jac.append(blocks)
    return jac


def _matrix_text(matrix) -> str:

    return repr(_new_tensor(matrix))


def gradcheck(
    func,
    inputs,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_batched_forward_grad: bool = False,
    check_forward_ad: bool = False,
    check_backward_ad: bool = True,
    fast_mode: bool = False,
    masked=None,
) -> bool:
    """Check ``func``'s gradients against central finite differences.

    Every floating input with ``requires_grad=True`` is perturbed by ``±eps`` element by
    element; analytical entry ``a`` passes against numerical ``n`` when
    ``|a - n| <= atol + rtol·|n|``. Use float64 inputs: float32 differences are too noisy.

    Returns:
        True when every Jacobian matches; otherwise raises ``GradcheckError`` showing both
        Jacobians and the worst entry (or returns False with ``raise_exception=False``).
    """
    inputs = _as_tuple(inputs)
    wrt = _checked_inputs(inputs)
    outs = _outputs(func, inputs)
    analytical = _analytical(outs, inputs, wrt)
    numerical = _numerical(func, inputs, wrt, eps)
    for j in range(len(outs)):
        for k, i in enumerate(wrt):
            a, n = analytical[j][k], numerical[j][k]
            bad = xp.abs(a - n) > atol + rtol * xp.abs(n)
            if not bad.any():
                continue
            if not raise_exception:
                return False
            raise _mismatch(a, n, bad, j, i, atol, rtol)
    return True


def _checked_inputs(inputs: tuple) -> list:
    """The positions of the inputs to check; PyTorch's warning for each that is not float64."""
    wrt = _differentiable(inputs)
    if not wrt:
        raise ValueError(
            "gradcheck expects at least one input tensor to require gradient, but none of "
            "them have requires_grad=True."
        )
    for i in wrt:
        if inputs[i].dtype.name != "float64":
            warn_at_user_line(
                f"Input #{i} requires gradient and is not a double precision floating point. "
                "This check will likely fail if all the inputs are not of double precision "
                "floating point."
            )
    return wrt


def _mismatch(a, n, bad, j: int, i: int, atol: float, rtol: float) -> GradcheckError:
    """Both Jacobians of output ``j`` by input ``i``, and their worst entry."""
    excess = xp.where(bad, xp.abs(a - n), -1.0)
    row, col = xp.unravel_index(int(excess.argmax()), a.shape)
    return GradcheckError(
        f"Jacobian mismatch for output {j} with respect to input {i},\n"
        f"numerical:{_matrix_text(n)}\nanalytical:{_matrix_text(a)}\n\n"
        f"Worst entry: d(output {j}[{col}]) / d(input {i}[{row}]) is "
        f"{a[row, col]:.6g} analytically but {n[row, col]:.6g} by finite differences "
        f"(difference {abs(a[row, col] - n[row, col]):.3g} > atol + rtol·|numerical| = "
        f"{atol + rtol * abs(n[row, col]):.3g}). Rows are input elements, columns output "
        "elements; check the backward formula of the op that produces this output."
    )


def gradgradcheck(
    func,
    inputs,
    grad_outputs=None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    gen_non_contig_grad_outputs: bool = False,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_fwd_over_rev: bool = False,
    check_rev_over_rev: bool = True,
    fast_mode: bool = False,
    masked: bool = False,
) -> bool:
    """Check second derivatives: ``gradcheck`` applied to the vector-Jacobian product of
    ``func`` built with ``create_graph=True``. Random ``grad_outputs`` are drawn when not given.
    """
    inputs = _as_tuple(inputs)
    wrt = _differentiable(inputs)
    outs = _outputs(func, inputs)
    if grad_outputs is None:
        grad_outputs = tuple(randn_like(o).requires_grad_() for o in outs if o.requires_grad)
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)

    def first_derivative(*args):
        values, vs = args[:n_in], args[n_in:]
        outputs = [o for o in _outputs(func, values) if o.requires_grad]
        targets = [values[i] for i in wrt]
        grads = grad(outputs, targets, vs, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(
        first_derivative,
        inputs + grad_outputs,
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
    )
