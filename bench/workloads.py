"""The benchmark workloads, each written once against the PyTorch API.

A workload is a function ``make(T, data)`` where ``T`` is the ``torch`` or ``glassgrad``
module. It does the set-up (not timed) and returns ``run(steps) -> float``: the timed loop,
which returns the final loss so the backends can be checked against each other. ``data``
holds the NumPy arrays every backend starts from, so all compute the same numbers.

Each workload also has a NumPy-by-hand twin ``numpy_make(data)`` with the gradients
written out: the floor a Python autograd library is measured against.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["WORKLOADS", "Workload"]


@dataclass
class Workload:
    """One benchmark: its torch-API body, the NumPy-by-hand twin and how to time it."""

    name: str
    title: str
    make: object
    numpy_make: object
    data: object
    steps: int  # steps per timed repeat; the reported time is per step
    quick_steps: int
    unit: str = "µs"
    rtol: float = 1e-4
    atol: float = 1e-5
    extra: dict = field(default_factory=dict)  # backend name -> make(data) for optional backends
    compilable: bool = False  # ``make(T, data, compiled=True)`` runs its step through T.compile

    def compiled_make(self, mode=None):
        """``make`` with the step compiled (``T.compile``, with ``mode``), or None."""
        if not self.compilable:
            return None
        return lambda T, data: self.make(T, data, compiled=mode or True)


def _compile(T, step, compiled):
    """``T.compile(step)``; ``compiled="fast"``: glassgrad's ``mode="fast"`` (its plain-NumPy
    arithmetic instead of PyTorch's rounding)."""
    return T.compile(step, mode="fast") if compiled == "fast" else T.compile(step)


# ----------------------------------------------------------------------------- W1
def w1_data():
    return {
        "X": np.array([1, 2, 3, 4], dtype=np.float32),
        "Y": np.array([2, 4, 6, 8], dtype=np.float32),
        "lr": 0.01,
    }


def w1(T, data, compiled=False):
    """The lesson loop: w * x, MSE, optim.SGD (seed program 000_optim_sgd)."""
    X = T.tensor(data["X"], dtype=T.float32)
    Y = T.tensor(data["Y"], dtype=T.float32)
    w = T.tensor(0.0, dtype=T.float32, requires_grad=True)
    optimizer = T.optim.SGD([w], lr=data["lr"])

    def step(X, Y):
        y_pred = w * X
        loss = ((y_pred - Y) ** 2).mean()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return loss

    if compiled:
        step = _compile(T, step, compiled)

    def run(steps):
        for _ in range(steps):
            loss = step(X, Y)
        return loss.item()

    return run


def w1_numpy(data):
    X, Y, lr = data["X"], data["Y"], np.float32(data["lr"])
    w = np.float32(0.0)
    two = np.float32(2.0)

    def run(steps):
        nonlocal w
        for _ in range(steps):
            y_pred = w * X
            diff = y_pred - Y
            loss = (diff * diff).mean()
            grad = (two * diff * X).mean()
            w = w - lr * grad
        return float(loss)

    return run


def w1_micrograd(data):
    from micrograd.engine import Value

    X = [float(x) for x in data["X"]]
    Y = [float(y) for y in data["Y"]]
    w = Value(0.0)
    lr = data["lr"]

    def run(steps):
        for _ in range(steps):
            loss = sum(((w * x - y) ** 2 for x, y in zip(X, Y)), Value(0.0)) * (1 / len(X))
            w.grad = 0.0
            loss.backward()
            w.data -= lr * w.grad
        return loss.data

    return run


def w1_mygrad(data):
    import mygrad as mg

    X, Y, lr = data["X"], data["Y"], data["lr"]
    w = mg.tensor(np.float32(0.0))

    def run(steps):
        nonlocal w
        for _ in range(steps):
            loss = mg.mean((w * X - Y) ** 2)
            loss.backward()
            w = mg.tensor(w.data - np.float32(lr) * w.grad)
        return float(loss.data)

    return run


def w1_autograd(data):
    import autograd.numpy as anp
    from autograd import value_and_grad

    X, Y, lr = data["X"], data["Y"], np.float32(data["lr"])
    step = value_and_grad(lambda w: anp.mean((w * X - Y) ** 2))
    w = np.float32(0.0)

    def run(steps):
        nonlocal w
        for _ in range(steps):
            loss, grad = step(w)
            w = w - lr * grad
        return float(loss)

    return run


# ----------------------------------------------------------------------------- W2
def w2_data():
    return {"a": 2.0, "b": -3.0, "c": 10.0}


def w2(T, data, compiled=False):
    """A scalar graph: (a * b + c).relu() ** 2 summed, forward and backward."""
    a = T.tensor(data["a"], requires_grad=True)
    b = T.tensor(data["b"], requires_grad=True)
    c = T.tensor(data["c"], requires_grad=True)

    def step():
        a.grad = None
        b.grad = None
        c.grad = None
        out = ((a * b + c).relu() ** 2).sum()
        out.backward()
        return out

    if compiled:
        step = _compile(T, step, compiled)

    def run(steps):
        for _ in range(steps):
            out = step()
        return out.item() + a.grad.item() + b.grad.item() + c.grad.item()

    return run


def w2_numpy(data):
    a, b, c = (np.float32(data[k]) for k in "abc")
    zero, two = np.float32(0.0), np.float32(2.0)

    def run(steps):
        for _ in range(steps):
            d = a * b + c
            e = np.maximum(d, zero)
            out = (e * e).sum()
            grad_d = two * e * (d > zero)
            grad_a, grad_b, grad_c = grad_d * b, grad_d * a, grad_d
        return float(out + grad_a + grad_b + grad_c)

    return run


def w2_micrograd(data):
    from micrograd.engine import Value

    a, b, c = Value(data["a"]), Value(data["b"]), Value(data["c"])

    def run(steps):
        for _ in range(steps):
            a.grad = b.grad = c.grad = 0.0
            out = (a * b + c).relu() ** 2
            out.backward()
        return out.data + a.grad + b.grad + c.grad

    return run


def w2_mygrad(data):
    import mygrad as mg

    def run(steps):
        for _ in range(steps):
            a, b, c = (mg.tensor(np.float32(data[k])) for k in "abc")
            out = mg.sum(mg.nnet.relu(a * b + c) ** 2)
            out.backward()
        return float(out.data + a.grad + b.grad + c.grad)

    return run


def w2_autograd(data):
    import autograd.numpy as anp
    from autograd import value_and_grad

    f = value_and_grad(lambda a, b, c: anp.sum(anp.maximum(a * b + c, 0.0) ** 2), (0, 1, 2))
    a, b, c = (np.float32(data[k]) for k in "abc")

    def run(steps):
        for _ in range(steps):
            out, grads = f(a, b, c)
        return float(out + sum(grads))

    return run


# ----------------------------------------------------------------------------- W3
def w3_data():
    return {
        "X": np.array([[1], [2], [3], [4]], dtype=np.float32),
        "Y": np.array([[2], [4], [6], [8]], dtype=np.float32),
        "weight": np.array([[-0.3]], dtype=np.float32),
        "bias": np.array([0.5], dtype=np.float32),
        "lr": 0.01,
    }


def _load_linear(T, layer, weight, bias):
    with T.no_grad():
        layer.weight.copy_(T.tensor(weight))
        layer.bias.copy_(T.tensor(bias))


def w3(T, data, compiled=False):
    """nn.Linear(1, 1) on a (4, 1) batch, nn.MSELoss, optim.SGD (seed 001 case 4)."""
    X = T.tensor(data["X"])
    Y = T.tensor(data["Y"])
    model = T.nn.Linear(1, 1)
    _load_linear(T, model, data["weight"], data["bias"])
    criterion = T.nn.MSELoss()
    optimizer = T.optim.SGD(model.parameters(), lr=data["lr"])

    def step(X, Y):
        loss = criterion(model(X), Y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return loss

    if compiled:
        step = _compile(T, step, compiled)

    def run(steps):
        for _ in range(steps):
            loss = step(X, Y)
        return loss.item()

    return run


def w3_numpy(data):
    X, Y = data["X"], data["Y"]
    W, b = data["weight"].copy(), data["bias"].copy()
    lr = np.float32(data["lr"])
    scale = np.float32(2.0 / X.size)

    def run(steps):
        for _ in range(steps):
            out = X @ W.T + b
            diff = out - Y
            loss = (diff * diff).mean()
            g = scale * diff
            W.__isub__(lr * (g.T @ X))
            b.__isub__(lr * g.sum(0))
        return float(loss)

    return run


def w3_micrograd(data):
    from micrograd.engine import Value

    X = [float(x) for x in data["X"][:, 0]]
    Y = [float(y) for y in data["Y"][:, 0]]
    w, b = Value(float(data["weight"][0, 0])), Value(float(data["bias"][0]))
    lr = data["lr"]

    def run(steps):
        for _ in range(steps):
            loss = sum(((w * x + b - y) ** 2 for x, y in zip(X, Y)), Value(0.0)) * (1 / len(X))
            w.grad = b.grad = 0.0
            loss.backward()
            w.data -= lr * w.grad
            b.data -= lr * b.grad
        return loss.data

    return run


def w3_autograd(data):
    import autograd.numpy as anp
    from autograd import value_and_grad

    X, Y, lr = data["X"], data["Y"], np.float32(data["lr"])
    step = value_and_grad(lambda W, b: anp.mean((anp.dot(X, W.T) + b - Y) ** 2), (0, 1))
    W, b = data["weight"].copy(), data["bias"].copy()

    def run(steps):
        nonlocal W, b
        for _ in range(steps):
            loss, (grad_W, grad_b) = step(W, b)
            W = W - lr * grad_W
            b = b - lr * grad_b
        return float(loss)

    return run


# ----------------------------------------------------------------------------- W4
def w4_data():
    rng = np.random.default_rng(0)
    n_in, n_hidden, n_out, batch = 64, 256, 10, 256
    b1, b2 = 1 / np.sqrt(n_in), 1 / np.sqrt(n_hidden)
    return {
        "X": rng.standard_normal((batch, n_in)).astype(np.float32),
        "labels": rng.integers(0, n_out, batch).astype(np.int64),
        "W1": rng.uniform(-b1, b1, (n_hidden, n_in)).astype(np.float32),
        "b1": rng.uniform(-b1, b1, n_hidden).astype(np.float32),
        "W2": rng.uniform(-b2, b2, (n_out, n_hidden)).astype(np.float32),
        "b2": rng.uniform(-b2, b2, n_out).astype(np.float32),
        "lr": 1e-3,
    }


def w4(T, data, compiled=False):
    """An MLP 64 -> 256 -> 10 with ReLU, cross-entropy, Adam, batch 256."""
    nn = T.nn
    X = T.tensor(data["X"])
    labels = T.tensor(data["labels"])
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10))
    _load_linear(T, model[0], data["W1"], data["b1"])
    _load_linear(T, model[2], data["W2"], data["b2"])
    criterion = nn.CrossEntropyLoss()
    optimizer = T.optim.Adam(model.parameters(), lr=data["lr"])

    def step(X, labels):
        optimizer.zero_grad()
        loss = criterion(model(X), labels)
        loss.backward()
        optimizer.step()
        return loss

    if compiled:
        step = _compile(T, step, compiled)

    def run(steps):
        for _ in range(steps):
            loss = step(X, labels)
        return loss.item()

    return run


class _NumpyAdam:
    """Adam written out with in-place ufuncs, as a careful NumPy programmer would."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params = params
        self.lr, self.eps = lr, eps
        self.beta1, self.beta2 = betas
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.tmp = [np.empty_like(p) for p in params]
        self.t = 0

    def step(self, grads):
        self.t += 1
        beta1, beta2 = self.beta1, self.beta2
        bias1 = 1 - beta1**self.t
        bias2_sqrt = (1 - beta2**self.t) ** 0.5
        step_size = self.lr / bias1
        for p, g, m, v, tmp in zip(self.params, grads, self.m, self.v, self.tmp):
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            np.multiply(g, g, out=tmp)
            tmp *= 1 - beta2
            v += tmp
            np.sqrt(v, out=tmp)
            tmp /= bias2_sqrt
            tmp += self.eps
            np.divide(m, tmp, out=tmp)
            tmp *= step_size
            p -= tmp


def w4_numpy(data):
    X, labels = data["X"], data["labels"]
    W1, b1, W2, b2 = (data[k].copy() for k in ("W1", "b1", "W2", "b2"))
    adam = _NumpyAdam([W1, b1, W2, b2], lr=data["lr"])
    rows = np.arange(X.shape[0])
    inv_n = np.float32(1.0 / X.shape[0])

    def run(steps):
        for _ in range(steps):
            h = X @ W1.T
            h += b1
            np.maximum(h, 0, out=h)
            logits = h @ W2.T
            logits += b2
            logits -= logits.max(axis=1, keepdims=True)
            exp = np.exp(logits)
            sums = exp.sum(axis=1, keepdims=True)
            loss = (np.log(sums[:, 0]) - logits[rows, labels]).mean()
            exp /= sums  # softmax: the gradient of the log-sum-exp
            exp[rows, labels] -= 1
            exp *= inv_n
            gW2 = exp.T @ h
            gb2 = exp.sum(0)
            gh = exp @ W2
            gh *= h > 0
            gW1 = gh.T @ X
            gb1 = gh.sum(0)
            adam.step([gW1, gb1, gW2, gb2])
        return float(loss)

    return run


def w4_autograd(data):
    import autograd.numpy as anp
    from autograd import value_and_grad

    X, labels = data["X"], data["labels"]
    params = [data[k].copy() for k in ("W1", "b1", "W2", "b2")]
    rows = np.arange(X.shape[0])

    def loss_fn(params):
        W1, b1, W2, b2 = params
        h = anp.maximum(anp.dot(X, W1.T) + b1, 0.0)
        logits = anp.dot(h, W2.T) + b2
        shifted = logits - anp.max(logits, axis=1, keepdims=True)
        log_sum = anp.log(anp.sum(anp.exp(shifted), axis=1))
        return anp.mean(log_sum - shifted[rows, labels])

    step = value_and_grad(loss_fn)
    adam = _NumpyAdam(params, lr=data["lr"])

    def run(steps):
        for _ in range(steps):
            loss, grads = step(params)
            adam.step(grads)
        return float(loss)

    return run


def w4_mygrad(data):
    import mygrad as mg
    from mygrad.nnet.losses import softmax_crossentropy

    X, labels = data["X"], data["labels"]
    arrays = [data[k].copy() for k in ("W1", "b1", "W2", "b2")]
    adam = _NumpyAdam(arrays, lr=data["lr"])

    def run(steps):
        for _ in range(steps):
            W1, b1, W2, b2 = (mg.tensor(a, copy=False) for a in arrays)
            h = mg.nnet.relu(mg.matmul(X, W1.T) + b1)
            loss = softmax_crossentropy(mg.matmul(h, W2.T) + b2, labels)
            loss.backward()
            adam.step([t.grad for t in (W1, b1, W2, b2)])
        return float(loss.data)

    return run


# ----------------------------------------------------------------------------- W5
def w5_data():
    rng = np.random.default_rng(1)
    n = 1024
    scale = np.float32(1 / np.sqrt(n))
    return {k: rng.standard_normal((n, n)).astype(np.float32) * scale for k in "ABC"}


def w5(T, data, compiled=False):
    """A 1024x1024 matmul chain (A @ B @ C).sum(), forward and backward: BLAS-bound."""
    A, B, C = (T.tensor(data[k], requires_grad=True) for k in "ABC")

    def step():
        A.grad = B.grad = C.grad = None
        loss = (A @ B @ C).sum()
        loss.backward()
        return loss

    if compiled:
        step = _compile(T, step, compiled)

    def run(steps):
        for _ in range(steps):
            loss = step()
        return loss.item() + A.grad.sum().item() + B.grad.sum().item() + C.grad.sum().item()

    return run


def w5_numpy(data):
    A, B, C = data["A"], data["B"], data["C"]

    def run(steps):
        for _ in range(steps):
            AB = A @ B
            loss = (AB @ C).sum()
            G = np.ones((A.shape[0], C.shape[1]), dtype=A.dtype)
            gC = AB.T @ G
            gAB = G @ C.T
            del G
            gB = A.T @ gAB
            gA = gAB @ B.T
        return float(loss) + float(gA.sum()) + float(gB.sum()) + float(gC.sum())

    return run


def w5_mygrad(data):
    import mygrad as mg

    def run(steps):
        for _ in range(steps):
            A, B, C = (mg.tensor(data[k]) for k in "ABC")
            loss = mg.sum(mg.matmul(mg.matmul(A, B), C))
            loss.backward()
        return float(loss.data) + float(A.grad.sum() + B.grad.sum() + C.grad.sum())

    return run


def w5_autograd(data):
    import autograd.numpy as anp
    from autograd import value_and_grad

    f = value_and_grad(lambda A, B, C: anp.sum(anp.dot(anp.dot(A, B), C)), (0, 1, 2))

    def run(steps):
        for _ in range(steps):
            loss, grads = f(data["A"], data["B"], data["C"])
        return float(loss) + sum(float(g.sum()) for g in grads)

    return run


# ----------------------------------------------------------------------------- Adam-100
def adam_data():
    rng = np.random.default_rng(2)
    shapes = [(64, 64) if i % 2 == 0 else (64,) for i in range(100)]
    return {
        "params": [rng.standard_normal(s).astype(np.float32) for s in shapes],
        "grads": [rng.standard_normal(s).astype(np.float32) for s in shapes],
    }


def adam100(T, data):
    """optim.Adam.step() over 100 parameter tensors (50 of 64x64, 50 of 64) with fixed grads."""
    params = [T.tensor(p, requires_grad=True) for p in data["params"]]
    for p, g in zip(params, data["grads"]):
        p.grad = T.tensor(g)
    optimizer = T.optim.Adam(params, lr=1e-3)

    def run(steps):
        for _ in range(steps):
            optimizer.step()
        with T.no_grad():
            return sum(p.sum().item() for p in params)

    return run


def adam100_numpy(data):
    params = [p.copy() for p in data["params"]]
    grads = data["grads"]
    adam = _NumpyAdam(params)

    def run(steps):
        for _ in range(steps):
            adam.step(grads)
        return sum(float(p.sum()) for p in params)

    return run


WORKLOADS = {
    w.name: w
    for w in [
        Workload(
            "W1",
            "lesson loop: w*x, MSE, SGD (per step)",
            w1,
            w1_numpy,
            w1_data,
            steps=1000,
            quick_steps=200,
            atol=1e-6,
            extra={"micrograd": w1_micrograd, "mygrad": w1_mygrad, "autograd": w1_autograd},
            compilable=True,
        ),
        Workload(
            "W2",
            "scalar graph (a*b+c).relu()**2 fwd+bwd (per iteration)",
            w2,
            w2_numpy,
            w2_data,
            steps=1000,
            quick_steps=200,
            extra={"micrograd": w2_micrograd, "mygrad": w2_mygrad, "autograd": w2_autograd},
            compilable=True,
        ),
        Workload(
            "W3",
            "nn.Linear(1,1) on (4,1), MSELoss, SGD (per step)",
            w3,
            w3_numpy,
            w3_data,
            steps=1000,
            quick_steps=200,
            extra={"micrograd": w3_micrograd, "autograd": w3_autograd},
            compilable=True,
        ),
        Workload(
            "W4",
            "MLP 64-256-10, ReLU, cross-entropy, batch 256, Adam (per step)",
            w4,
            w4_numpy,
            w4_data,
            steps=50,
            quick_steps=10,
            extra={"mygrad": w4_mygrad, "autograd": w4_autograd},
            compilable=True,
        ),
        Workload(
            "W5",
            "1024x1024 matmul chain fwd+bwd (per repeat, BLAS-bound)",
            w5,
            w5_numpy,
            w5_data,
            steps=1,
            quick_steps=1,
            unit="ms",
            rtol=1e-3,
            atol=1e-2,
            extra={"mygrad": w5_mygrad, "autograd": w5_autograd},
            compilable=True,
        ),
        Workload(
            "Adam100",
            "optim.Adam step over 100 parameter tensors (per step)",
            adam100,
            adam100_numpy,
            adam_data,
            steps=100,
            quick_steps=20,
            rtol=1e-4,
            atol=1e-2,
        ),
    ]
}
