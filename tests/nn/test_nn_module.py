"""nn.Module behaviour against PyTorch 2.13: registration, traversal, state, hooks, repr."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
from nn_oracle import assert_close, copy_module
from torch_oracle import torch

import glassgrad
import glassgrad.nn as gnn


def _net_class(nn, lib):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.1)
            )
            self.blocks = nn.ModuleList([nn.Linear(8, 8) for _ in range(3)] + [nn.Tanh()])
            self.heads = nn.ModuleDict({"cls": nn.Linear(8, 3), "reg": nn.Linear(8, 1, bias=False)})
            self.norm = nn.LayerNorm(8)
            self.scale = nn.Parameter(lib.ones(1))
            self.register_buffer("steps", lib.zeros(1))
            self.register_buffer("cache", lib.zeros(2), persistent=False)

        def forward(self, x):
            x = self.features(x)
            for block in self.blocks:
                x = block(x)
            x = self.norm(x) * self.scale
            return self.heads["cls"](x), self.heads["reg"](x)

    return Net


ARCHITECTURES = {
    "mlp": lambda nn, lib: nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1)),
    "ordered": lambda nn, lib: nn.Sequential(
        OrderedDict(
            [
                ("fc1", nn.Linear(3, 4)),
                ("act", nn.GELU()),
                ("drop", nn.Dropout(0.3)),
                ("fc2", nn.Linear(4, 2)),
            ]
        )
    ),
    "nested": lambda nn, lib: nn.Sequential(
        nn.Sequential(nn.Flatten(), nn.Linear(6, 4)),
        nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.Sigmoid()]),
        nn.Embedding(10, 4, padding_idx=0),
    ),
    "net": lambda nn, lib: _net_class(nn, lib)(),
    "empty": lambda nn, lib: nn.Sequential(),
    "empty_list": lambda nn, lib: nn.ModuleList(),
}


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_repr_state_dict_keys_and_names_match_torch(arch):
    g = ARCHITECTURES[arch](gnn, glassgrad)
    t = ARCHITECTURES[arch](torch.nn, torch)
    assert repr(g) == repr(t)
    assert str(g) == str(t)
    assert list(g.state_dict()) == list(t.state_dict())
    assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in g.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in g.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in g.named_children()] == [n for n, _ in t.named_children()]
    assert [type(m).__name__ for m in g.modules()] == [type(m).__name__ for m in t.modules()]
    assert [type(m).__name__ for m in g.children()] == [type(m).__name__ for m in t.children()]
    assert [tuple(p.shape) for p in g.parameters()] == [tuple(p.shape) for p in t.parameters()]
    for (name, gp), (_, tp) in zip(g.state_dict().items(), t.state_dict().items()):
        assert gp.dtype.name == str(tp.dtype).replace("torch.", ""), name


def test_net_forward_matches_torch_after_copying_weights():
    g, t = ARCHITECTURES["net"](gnn, glassgrad), ARCHITECTURES["net"](torch.nn, torch)
    copy_module(g, t)
    g.eval()
    t.eval()
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    for go, to in zip(g(glassgrad.tensor(x)), t(torch.tensor(x))):
        assert_close(go, to)


def test_parameters_is_a_generator_that_unpacks():
    model = gnn.Linear(1, 1)
    params = model.parameters()
    assert iter(params) is params
    [w, b] = model.parameters()
    assert w is model.weight and b is model.bias
    assert repr(model) == "Linear(in_features=1, out_features=1, bias=True)"


def test_shared_parameters_are_listed_once():
    lin = gnn.Linear(2, 2)
    model = gnn.Sequential(lin, gnn.ReLU(), lin)
    t_lin = torch.nn.Linear(2, 2)
    t_model = torch.nn.Sequential(t_lin, torch.nn.ReLU(), t_lin)
    assert [n for n, _ in model.named_parameters()] == [n for n, _ in t_model.named_parameters()]
    assert list(model.state_dict()) == list(t_model.state_dict())


def test_train_eval_propagates():
    g = ARCHITECTURES["net"](gnn, glassgrad)
    assert g.training and all(m.training for m in g.modules())
    assert g.eval() is g
    assert not any(m.training for m in g.modules())
    g.train()
    assert all(m.training for m in g.modules())
    g.features.train(False)
    assert not g.features[1].training and g.blocks[0].training


def test_zero_grad_and_requires_grad():
    model = gnn.Linear(3, 1)
    model(glassgrad.ones(2, 3)).sum().backward()
    assert model.weight.grad is not None
    model.zero_grad(set_to_none=False)
    assert np.all(model.weight.grad.numpy() == 0)
    model.zero_grad()
    assert model.weight.grad is None and model.bias.grad is None
    assert model.requires_grad_(False) is model
    assert not any(p.requires_grad for p in model.parameters())


def test_apply_visits_children_first_like_torch():
    def order(nn, lib):
        seen = []
        ARCHITECTURES["nested"](nn, lib).apply(lambda m: seen.append(type(m).__name__))
        return seen

    assert order(gnn, glassgrad) == order(torch.nn, torch)


def test_apply_can_reinitialise():
    model = gnn.Sequential(gnn.Linear(2, 3), gnn.ReLU(), gnn.Linear(3, 1))

    def init(m):
        if isinstance(m, gnn.Linear):
            gnn.init.constant_(m.weight, 0.5)
            gnn.init.zeros_(m.bias)

    model.apply(init)
    assert np.all(model[2].weight.detach().numpy() == 0.5)


def test_buffers_persistent_flag_and_assignment():
    g = ARCHITECTURES["net"](gnn, glassgrad)
    assert [n for n, _ in g.named_buffers()][:2] == ["steps", "cache"]
    assert "cache" not in g.state_dict() and "steps" in g.state_dict()
    g.steps = glassgrad.ones(1)
    assert g.state_dict()["steps"].item() == 1.0
    with pytest.raises(TypeError, match="cannot assign"):
        g.steps = 3


def test_assigning_a_plain_tensor_to_a_parameter_is_refused():
    lin, t_lin = gnn.Linear(2, 2), torch.nn.Linear(2, 2)
    with pytest.raises(TypeError) as t_err:
        t_lin.weight = torch.zeros(2, 2)
    with pytest.raises(TypeError) as g_err:
        lin.weight = glassgrad.zeros(2, 2)
    assert str(t_err.value) in str(g_err.value)
    lin.weight = gnn.Parameter(glassgrad.zeros(2, 2))
    lin.bias = None
    assert [n for n, _ in lin.named_parameters()] == ["weight"]


def _load_error(model, state, strict=True):
    with pytest.raises(RuntimeError) as err:
        model.load_state_dict(state, strict=strict)
    return str(err.value)


def test_load_state_dict_errors_match_torch_text():
    def build(nn):
        return nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))

    g, t = build(gnn), build(torch.nn)
    t_sd = t.state_dict()
    g_sd = g.state_dict()
    for sd, lib in ((t_sd, torch), (g_sd, glassgrad)):
        del sd["0.bias"]
        sd["extra"] = lib.zeros(1)
        sd["1.weight"] = lib.zeros(4)
    assert _load_error(g, g_sd) == _load_error(t, t_sd)
    assert _load_error(g, g_sd, strict=False) == _load_error(t, t_sd, strict=False)
    del g_sd["1.weight"], t_sd["1.weight"]
    assert repr(g.load_state_dict(g_sd, strict=False)) == repr(
        t.load_state_dict(t_sd, strict=False)
    )
    result = g.load_state_dict(g.state_dict())
    assert repr(result) == "<All keys matched successfully>"
    assert result.missing_keys == [] and result.unexpected_keys == []
    g_sd = g.state_dict()
    g_sd["0.weight"] = 3.0
    t_sd = t.state_dict()
    t_sd["0.weight"] = 3.0
    assert _load_error(g, g_sd) == _load_error(t, t_sd)
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        g.load_state_dict([1])


def test_load_state_dict_copies_values_and_round_trips():
    a, b = gnn.Linear(3, 2), gnn.Linear(3, 2)
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(a.weight.detach().numpy(), b.weight.detach().numpy())
    assert b.weight is not a.weight and b.weight.requires_grad


def test_forward_hooks():
    calls = []
    lin, t_lin = gnn.Linear(2, 2), torch.nn.Linear(2, 2)
    copy_module(lin, t_lin)
    for layer in (lin, t_lin):
        layer.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
        layer.register_forward_hook(lambda m, args, out: out + 1)
    x = np.ones((1, 2), np.float32)
    assert_close(lin(glassgrad.tensor(x)), t_lin(torch.tensor(x)))
    handle = lin.register_forward_hook(lambda m, a, o: calls.append("late"))
    lin.register_forward_hook(lambda m, a, o: calls.append("first"), prepend=True)
    lin(glassgrad.tensor(x))
    assert calls == ["first", "late"]
    handle.remove()
    lin(glassgrad.tensor(x))
    assert calls == ["first", "late", "first"]


def test_forward_hooks_with_kwargs():
    class Scale(gnn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    m = Scale()
    m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"factor": 3.0}), with_kwargs=True)
    seen = {}
    m.register_forward_hook(lambda mod, args, kwargs, out: seen.update(kwargs), with_kwargs=True)
    assert m(glassgrad.tensor(2.0)).item() == 6.0
    assert seen == {"factor": 3.0}


def test_missing_super_init_and_forward_errors():
    class NoInit(gnn.Module):
        def __init__(self):
            self.lin = gnn.Linear(1, 1)

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        NoInit()
    with pytest.raises(NotImplementedError, match="forward"):
        gnn.Module()(glassgrad.ones(1))


# ----------------------------------------------------------------------------- containers
def test_sequential_indexing_and_mutation_like_torch():
    def build(nn):
        return nn.Sequential(nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 3), nn.Tanh())

    g, t = build(gnn), build(torch.nn)
    assert len(g) == len(t) == 4
    assert repr(g[1:]) == repr(t[1:])
    assert repr(g[::2]) == repr(t[::2])
    assert repr(g[-1]) == repr(t[-1])
    assert [type(m).__name__ for m in g] == [type(m).__name__ for m in t]
    for s in (g, t):
        s.append(type(s[1])())
        del s[0]
        s.insert(1, type(s[-1])())
    assert repr(g) == repr(t)
    with pytest.raises(IndexError):
        g[10]
    g2 = build(gnn)
    g2[0] = gnn.Identity()
    assert isinstance(g2[0], gnn.Identity)


def test_sequential_runs_in_order_and_ordereddict_names():
    g = gnn.Sequential(OrderedDict(scale=gnn.Linear(1, 1, bias=False), act=gnn.ReLU()))
    gnn.init.constant_(g.scale.weight, 2.0)
    assert g(glassgrad.tensor([[-1.0], [3.0]])).tolist() == [[0.0], [6.0]]
    assert list(g.state_dict()) == ["scale.weight"]


def test_modulelist_and_moduledict_like_torch():
    def build(nn):
        layers = nn.ModuleList([nn.Linear(2, 2)])
        layers.append(nn.ReLU())
        layers.extend([nn.ReLU(), nn.ReLU(), nn.Linear(2, 2)])
        layers.insert(0, nn.Tanh())
        heads = nn.ModuleDict({"a": nn.Linear(2, 1)})
        heads["b"] = nn.Sigmoid()
        heads.update([("c", nn.Identity())])
        return nn.ModuleDict({"layers": layers, "heads": heads})

    g, t = build(gnn), build(torch.nn)
    assert repr(g) == repr(t)
    assert list(g.state_dict()) == list(t.state_dict())
    assert list(g["heads"].keys()) == list(t["heads"].keys())
    assert "b" in g["heads"] and len(g["layers"]) == 6
    assert repr(g["layers"][1:3]) == repr(t["layers"][1:3])
    assert repr(g["layers"][-1]) == repr(t["layers"][-1])
    assert repr(g["heads"].pop("b")) == repr(t["heads"].pop("b"))
    assert repr(g) == repr(t)


def test_always_call_forward_hook_runs_when_forward_fails():
    seen = []
    lin = gnn.Linear(2, 2)
    lin.register_forward_hook(lambda m, a, out: seen.append(out), always_call=True)
    lin.register_forward_hook(lambda m, a, out: seen.append("normal"))
    with pytest.raises(RuntimeError):
        lin(glassgrad.ones(1, 3))
    assert seen == [None]


def test_full_backward_hooks_see_and_replace_gradients_like_torch():
    def run(nn, lib):
        model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
        seen = []

        def record(mod, grad_input, grad_output):
            seen.append(
                (type(mod).__name__, [g is None for g in grad_input], grad_output[0].sum().item())
            )

        for layer in model:
            layer.register_full_backward_hook(record)
        model[1].register_full_backward_hook(lambda mod, gi, go: (gi[0] * 2,))
        return model, seen

    (g_model, g_seen), (t_model, t_seen) = run(gnn, glassgrad), run(torch.nn, torch)
    copy_module(g_model, t_model)
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    gx, tx = glassgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    g_model(gx).pow(2).sum().backward()
    t_model(tx).pow(2).sum().backward()
    assert [s[:2] for s in g_seen] == [s[:2] for s in t_seen]
    np.testing.assert_allclose([s[2] for s in g_seen], [s[2] for s in t_seen], rtol=1e-5)
    assert_close(gx.grad, tx.grad)
    assert_close(g_model[0].weight.grad, t_model[0].weight.grad)
    with pytest.warns(UserWarning, match="no inputs require gradients"):
        g_model(glassgrad.tensor(x)).sum().backward()


def test_extra_state_submodule_and_buffer_access():
    class WithExtra(gnn.Module):
        def __init__(self):
            super().__init__()
            self.lin = gnn.Linear(1, 1)
            self.k = 3

        def get_extra_state(self):
            return {"k": self.k}

        def set_extra_state(self, state):
            self.k = state["k"]

    m = WithExtra()
    state = m.state_dict()
    assert list(state) == ["_extra_state", "lin.weight", "lin.bias"]
    state["_extra_state"] = {"k": 5}
    m.load_state_dict(state)
    assert m.k == 5
    m.set_submodule("lin", gnn.Identity())
    assert isinstance(m.lin, gnn.Identity)
    assert gnn.BatchNorm1d(2).get_buffer("running_var").tolist() == [1.0, 1.0]
    assert gnn.Linear(2, 2).type(glassgrad.float64).weight.dtype == glassgrad.float64


def test_parameter_list_and_dict_like_torch():
    def build(nn, lib):
        class Holder(nn.Module):
            def __init__(self):
                super().__init__()
                self.plist = nn.ParameterList([nn.Parameter(lib.ones(2)), lib.zeros(3, 2)])
                self.plist.append(nn.Parameter(lib.ones(1)))
                self.pdict = nn.ParameterDict({"a": nn.Parameter(lib.ones(2))})
                self.pdict["b"] = nn.Parameter(lib.zeros(3, dtype=lib.float64))
                self.single = nn.ParameterList([nn.Parameter(lib.ones(1))])

        return Holder()

    g, t = build(gnn, glassgrad), build(torch.nn, torch)
    assert repr(g) == repr(t)
    assert list(g.state_dict()) == list(t.state_dict())
    assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert isinstance(g.plist[1], gnn.Parameter) and g.plist[1].requires_grad
    assert len(g.plist) == 3 and len(g.pdict) == 2 and "b" in g.pdict
    assert repr(g.plist[1:]) == repr(t.plist[1:])
    assert list(g.pdict.keys()) == ["a", "b"]
    g.pdict.pop("a")
    assert [n for n, _ in g.pdict.named_parameters()] == ["b"]
