"""Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict against torch: indexing,
slicing, mutation and renumbering, arithmetic, errors and repr."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
from helpers import assert_same
from nn_helpers import check_module, same_error, same_repr

import ember

torch = pytest.importorskip("torch")


def seq(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2), nn.Tanh())


def layer_names(container):
    return [type(m).__name__ for m in container]


def test_sequential_forward_and_grads():
    check_module(seq, (5, 4))


def test_sequential_ordered_dict_form():
    def build(lib):
        return lib.nn.Sequential(OrderedDict([("fc", lib.nn.Linear(2, 2)),
                                              ("act", lib.nn.Sigmoid())]))

    same_repr(build(ember), build(torch))
    assert [n for n, _ in build(ember).named_children()] == ["fc", "act"]
    check_module(build, (3, 2))


@pytest.mark.parametrize("mutate", [
    lambda s: s[1],
    lambda s: s[-1],
    lambda s: s[1:3],
    lambda s: s[::-2],
    lambda s: len(s),
    lambda s: s.pop(1),
    lambda s: s.append(s[0]),
    lambda s: s.insert(1, s[3]),
    lambda s: s.insert(-1, s[0]),
    lambda s: s.extend(s[:2]),
    lambda s: s + s[:1],
    lambda s: s * 2,
    lambda s: 2 * s[:1],
])
def test_sequential_operations(mutate):
    t_seq, e_seq = seq(torch), seq(ember)
    t_out, e_out = mutate(t_seq), mutate(e_seq)
    if isinstance(t_out, torch.nn.Module):
        same_repr(e_out, t_out)
    else:
        assert e_out == t_out
    same_repr(e_seq, t_seq)


def test_sequential_delete_renumbers():
    for lib in (torch, ember):
        s = seq(lib)
        del s[0]
        del s[1:]
        assert list(s._modules) == ["0"] and layer_names(s) == ["ReLU"]
        s[0] = lib.nn.Identity()
        assert layer_names(s) == ["Identity"]
    s = seq(ember)
    s += seq(ember)
    s *= 2
    assert len(s) == 16


@pytest.mark.parametrize("fn", [
    lambda lib, s: s[4],
    lambda lib, s: s[-5],
    lambda lib, s: s["a"],
    lambda lib, s: s + [1],
    lambda lib, s: s * 0,
    lambda lib, s: s * 1.5,
    lambda lib, s: s.insert(9, lib.nn.ReLU()),
    lambda lib, s: s.append(3),
])
def test_sequential_errors(fn):
    same_error(lambda lib: fn(lib, seq(lib)), normalise=True)


def test_module_list():
    for lib in (torch, ember):
        layers = lib.nn.ModuleList([lib.nn.ReLU(), lib.nn.ReLU()])
        layers.append(lib.nn.Linear(2, 2)).extend([lib.nn.Tanh()])
        layers.insert(0, lib.nn.Sigmoid())
        layers += [lib.nn.ReLU()]
        assert layer_names(layers) == ["Sigmoid", "ReLU", "ReLU", "Linear", "Tanh", "ReLU"]
        assert layer_names(layers[1:3]) == ["ReLU", "ReLU"]
        assert type(layers.pop(0)).__name__ == "Sigmoid"
        del layers[-1]
        layers[0] = lib.nn.GELU()
        assert list(layers._modules) == ["0", "1", "2", "3"]
        assert layer_names(layers + layers[:1]) == ["GELU", "ReLU", "Linear", "Tanh", "GELU"]
    same_repr(ember.nn.ModuleList([ember.nn.ReLU()] * 3 + [ember.nn.Linear(1, 1)] * 2),
              torch.nn.ModuleList([torch.nn.ReLU()] * 3 + [torch.nn.Linear(1, 1)] * 2))
    same_repr(ember.nn.ModuleList(), torch.nn.ModuleList())
    same_error(lambda lib: lib.nn.ModuleList([lib.nn.ReLU()])[1])
    same_error(lambda lib: lib.nn.ModuleList().extend(3))
    same_error(lambda lib: lib.nn.ModuleList([3]))


def test_module_dict():
    for lib in (torch, ember):
        d = lib.nn.ModuleDict({"b": lib.nn.ReLU(), "a": lib.nn.Tanh()})
        d.update([("c", lib.nn.Sigmoid())])
        d["e"] = lib.nn.Identity()
        assert list(d) == ["b", "a", "c", "e"] and "a" in d and len(d) == 4
        assert type(d.pop("a")).__name__ == "Tanh"
        del d["b"]
        assert list(d.keys()) == ["c", "e"]
        assert [type(m).__name__ for m in d.values()] == ["Sigmoid", "Identity"]
        d.clear()
        assert len(d) == 0
    same_repr(ember.nn.ModuleDict({"x": ember.nn.Linear(1, 2)}),
              torch.nn.ModuleDict({"x": torch.nn.Linear(1, 2)}))
    same_error(lambda lib: lib.nn.ModuleDict(3))
    same_error(lambda lib: lib.nn.ModuleDict([("a", lib.nn.ReLU(), 1)]))
    same_error(lambda lib: lib.nn.ModuleDict([3]))


def params(lib):
    return [lib.nn.Parameter(lib.ones(2, 3)), lib.zeros(3), lib.nn.Parameter(lib.ones(1))]


def test_parameter_list():
    t_list, e_list = torch.nn.ParameterList(params(torch)), ember.nn.ParameterList(params(ember))
    same_repr(e_list, t_list)
    assert [n for n, _ in e_list.named_parameters()] == [n for n, _ in t_list.named_parameters()]
    assert isinstance(e_list[1], ember.nn.Parameter)  # a plain tensor became a Parameter
    assert len(e_list[1:]) == 2 and len(e_list) == 3
    e_list.append(ember.ones(4))
    t_list.append(torch.ones(4))
    e_list[0] = ember.zeros(1)
    t_list[0] = torch.zeros(1)
    e_list.extend([5])
    t_list.extend([5])
    same_repr(e_list, t_list)
    assert [tuple(p.shape) for p in e_list.parameters()] == [
        tuple(p.shape) for p in t_list.parameters()]
    same_error(lambda lib: lib.nn.ParameterList(params(lib))[5])
    same_error(lambda lib: lib.nn.ParameterList().extend(lib.ones(2)))
    same_error(lambda lib: lib.nn.ParameterList()(1))


def test_parameter_dict():
    def build(lib):
        d = lib.nn.ParameterDict({"w": lib.nn.Parameter(lib.ones(2, 2)), "b": lib.zeros(2)})
        d.update([("z", lib.ones(1))])
        d["note"] = "text"
        return d

    t_dict, e_dict = build(torch), build(ember)
    same_repr(e_dict, t_dict)
    assert list(e_dict) == list(t_dict) == ["b", "w", "z", "note"]  # a plain dict is sorted
    assert isinstance(e_dict["b"], ember.nn.Parameter)
    assert e_dict.get("missing", 1) == 1 and "w" in e_dict
    assert list(e_dict.copy()) == list(e_dict)
    for d in (t_dict, e_dict):
        assert d.popitem()[0] == "note"
        assert d.pop("z").shape == (1,)
        assert d.setdefault("b") is d["b"]
        merged = d | d.fromkeys(["q"], None)
        assert list(merged) == ["b", "w", "q"]
        del d["b"]
        assert list(reversed(d)) == ["w"]
        d.clear()
        assert len(d) == 0
    same_error(lambda lib: lib.nn.ParameterDict()[1])
    same_error(lambda lib: lib.nn.ParameterDict(3))
    same_error(lambda lib: lib.nn.ParameterDict()(1))


def test_containers_in_a_model_state_dict():
    def model(lib):
        nn = lib.nn
        m = nn.Module()
        m.blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(2)])
        m.heads = nn.ModuleDict({"a": nn.Linear(2, 1)})
        m.scales = nn.ParameterList([nn.Parameter(lib.ones(2))])
        m.extras = nn.ParameterDict({"bias": nn.Parameter(lib.zeros(1))})
        return m

    t_model, e_model = model(torch), model(ember)
    assert list(e_model.state_dict()) == list(t_model.state_dict())
    e_model.load_state_dict({k: ember.tensor(v.numpy()) for k, v in
                             t_model.state_dict().items()})
    x = np.ones((1, 2), dtype="float32")
    out = e_model.heads["a"](e_model.blocks[1](e_model.blocks[0](ember.tensor(x))))
    ref = t_model.heads["a"](t_model.blocks[1](t_model.blocks[0](torch.tensor(x))))
    assert_same(out, ref)
