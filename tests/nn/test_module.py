"""nn.Module against torch: registration and attribute routing (with torch's errors), the
named_* iterators, state_dict / load_state_dict, modes, dtype moves keeping Parameter identity,
hooks, repr; and nn.Parameter, nn.Buffer, UninitializedParameter."""

from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest
from helpers import assert_same
from nn_helpers import copy_state, same_error, same_repr, twin

import ember

torch = pytest.importorskip("torch")


def net(lib):
    """A small model with a shared parameter, a buffer, a non-persistent buffer, a None bias."""
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2, bias=False))
            self.head = nn.Linear(2, 2)
            self.tied = self.body[0]  # the same module twice
            self.scale = nn.Parameter(lib.ones(2))
            self.register_buffer("count", lib.zeros(1))
            self.register_buffer("cache", lib.ones(2), persistent=False)
            self.register_parameter("unused", None)

        def forward(self, x):
            return self.head(self.body(x)) * self.scale

    return Net()


def names(pairs):
    return [(name, tuple(value.shape)) for name, value in pairs]


def test_named_members_match_torch():
    t_net, e_net = net(torch), net(ember)
    assert names(e_net.named_parameters()) == names(t_net.named_parameters())
    assert names(e_net.named_parameters(prefix="m")) == names(t_net.named_parameters(prefix="m"))
    assert names(e_net.named_parameters(recurse=False)) == names(
        t_net.named_parameters(recurse=False))
    assert names(e_net.named_parameters(remove_duplicate=False)) == names(
        t_net.named_parameters(remove_duplicate=False))
    assert names(e_net.named_buffers()) == names(t_net.named_buffers())
    assert [n for n, _ in e_net.named_children()] == [n for n, _ in t_net.named_children()]
    assert [n for n, _ in e_net.named_modules()] == [n for n, _ in t_net.named_modules()]
    assert [n for n, _ in e_net.named_modules(remove_duplicate=False)] == [
        n for n, _ in t_net.named_modules(remove_duplicate=False)]
    assert len(list(e_net.parameters())) == len(list(t_net.parameters())) == 6
    assert len(list(e_net.modules())) == len(list(t_net.modules()))


def test_state_dict_keys_order_and_detach():
    t_net, e_net = net(torch), net(ember)
    t_sd, e_sd = t_net.state_dict(), e_net.state_dict()
    assert list(e_sd) == list(t_sd)
    assert all(not v.requires_grad for v in e_sd.values())
    assert list(e_sd._metadata) == list(t_sd._metadata)
    kept = e_net.state_dict(keep_vars=True)
    assert kept["scale"] is e_net.scale
    assert list(e_net.state_dict(prefix="p.")) == list(t_net.state_dict(prefix="p."))
    # shares memory with the parameter, as torch's does
    e_sd["scale"].add_(1)
    assert e_net.scale.detach().numpy().tolist() == [2.0, 2.0]


def test_load_state_dict_from_torch_gives_same_outputs():
    t_net, e_net = twin(net)
    x = np.random.default_rng(0).standard_normal((5, 3)).astype("float32")
    assert_same(e_net(ember.tensor(x)), t_net(torch.tensor(x)))


def test_load_state_dict_result_and_errors():
    def partial(lib):
        return net(lib).load_state_dict({"scale": lib.ones(2), "extra": lib.ones(1)},
                                        strict=False)

    e_result, t_result = partial(ember), partial(torch)
    assert e_result.missing_keys == t_result.missing_keys
    assert e_result.unexpected_keys == t_result.unexpected_keys
    assert repr(net(ember).load_state_dict(net(ember).state_dict())) == repr(
        net(torch).load_state_dict(net(torch).state_dict()))
    same_error(lambda lib: net(lib).load_state_dict({"scale": lib.ones(2), "x.y": lib.ones(1)}))
    same_error(lambda lib: lib.nn.Linear(2, 3).load_state_dict(
        {"weight": lib.ones(2, 2), "bias": lib.ones(3)}))
    same_error(lambda lib: lib.nn.Linear(2, 3).load_state_dict(
        {"weight": 1.0, "bias": lib.ones(3)}))
    same_error(lambda lib: lib.nn.Linear(2, 3).load_state_dict([("weight", 1)]))


def test_load_state_dict_assign_and_scalar_compat():
    e_lin = ember.nn.Linear(2, 1)
    new_weight = ember.ones(1, 2)
    e_lin.load_state_dict({"weight": new_weight, "bias": ember.zeros(1)}, assign=True)
    assert isinstance(e_lin.weight, ember.nn.Parameter) and e_lin.weight.requires_grad
    m = ember.nn.Module()
    m.register_buffer("step", ember.tensor(0.0))
    m.load_state_dict({"step": ember.tensor([5.0])})  # a 1-element vector into a 0-dim buffer
    assert m.step.item() == 5.0


@pytest.mark.parametrize("fn", [
    lambda lib, m: setattr(m, "weight", lib.ones(3, 2)),
    lambda lib, m: setattr(m, "weight", 3),
    lambda lib, m: setattr(m, "buf", 3),
    lambda lib, m: m.register_buffer("weight", lib.ones(1)),
    lambda lib, m: m.register_buffer("a.b", lib.ones(1)),
    lambda lib, m: m.register_buffer("x", 3),
    lambda lib, m: m.register_parameter("x.y", None),
    lambda lib, m: m.register_parameter("", None),
    lambda lib, m: m.register_parameter(1, None),
    lambda lib, m: m.register_parameter("z", lib.ones(1)),
    lambda lib, m: m.add_module("q", 3),
    lambda lib, m: m.add_module("q.r", lib.nn.ReLU()),
    lambda lib, m: m.add_module("", lib.nn.ReLU()),
    lambda lib, m: m.add_module("weight", lib.nn.ReLU()),
    lambda lib, m: m.nothing,
    lambda lib, m: m.to(lib.int64),
    lambda lib, m: m.train(1),
    lambda lib, m: m.get_submodule("a.b"),
    lambda lib, m: m.get_parameter("buf"),
    lambda lib, m: m.get_parameter("nothing"),
    lambda lib, m: m.get_buffer("weight"),
    lambda lib, m: m.set_submodule("", lib.nn.ReLU()),
    lambda lib, m: m(lib.ones(2, 5)),
])
def test_errors_match_torch(fn):
    def run(lib):
        m = lib.nn.Linear(2, 3)
        m.register_buffer("buf", lib.ones(1))
        fn(lib, m)

    same_error(run)


def test_errors_before_init_and_missing_forward():
    def early(lib, what):
        class Early(lib.nn.Module):
            def __init__(self):
                if what == "parameter":
                    self.p = lib.nn.Parameter(lib.ones(1))
                elif what == "module":
                    self.m = lib.nn.ReLU()
                else:
                    self.register_buffer("b", lib.ones(1))

        Early()

    for what in ("parameter", "module", "buffer"):
        same_error(lambda lib, what=what: early(lib, what))
    same_error(lambda lib: lib.nn.Module()(1))
    same_error(lambda lib: lib.nn.Module(3))
    same_error(lambda lib: lib.nn.Module(x=3))


def test_attribute_routing():
    m = ember.nn.Linear(2, 3)
    m.weight = ember.nn.Parameter(ember.ones(3, 2))  # a Parameter replaces the Parameter
    m.bias = None
    assert m.bias is None and "bias" in m._parameters
    m.extra = ember.nn.Linear(1, 1)
    assert "extra" in m._modules
    m.extra = None
    assert m._modules["extra"] is None
    m.note = ember.nn.Parameter(ember.zeros(1))  # plain attribute name becomes a parameter
    assert "note" in m._parameters
    m.register_buffer("buf", ember.zeros(2))
    m.buf = ember.ones(2)  # a tensor assigned to a buffer name stays a buffer
    assert m._buffers["buf"].sum().item() == 2
    m.marked = ember.nn.Buffer(ember.ones(1), persistent=False)
    assert "marked" in m._buffers and "marked" not in m.state_dict()
    del m.note, m.buf, m.extra
    assert "note" not in m._parameters and "buf" not in m._buffers
    assert "extra" not in m._modules
    assert "weight" in dir(m) and "marked" in dir(m)
    sub = ember.nn.Sequential(ember.nn.Linear(1, 1))
    assert "0" not in dir(sub)


def test_get_and_set_submodule():
    for lib in (torch, ember):
        m = net(lib)
        assert m.get_submodule("body.0") is m.body[0]
        assert m.get_parameter("body.0.weight") is m.body[0].weight
        assert m.get_buffer("count") is m.count
        m.set_submodule("body.1", lib.nn.Tanh())
        assert type(m.body[1]).__name__ == "Tanh"
        assert m.get_submodule("") is m


def test_train_eval_requires_grad_zero_grad_apply():
    m = net(ember)
    assert m.training and m.body[1].training
    m.eval()
    assert not m.training and not m.body[1].training
    m.train()
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    m.requires_grad_()
    m(ember.ones(2, 3)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all(p.grad is not None and p.grad.abs().sum().item() == 0 for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    visited = []
    assert m.apply(lambda mod: visited.append(type(mod).__name__)) is m
    t_visited = []
    net(torch).apply(lambda mod: t_visited.append(type(mod).__name__))
    assert visited == t_visited


def test_to_keeps_parameter_identity():
    m = net(ember)
    m(ember.ones(2, 3)).sum().backward()
    weight, grad = m.head.weight, m.head.weight.grad
    optimizer_view = list(m.parameters())
    assert m.double() is m
    assert m.head.weight is weight and m.head.weight.grad is grad
    assert weight.dtype is ember.float64 and grad.dtype is ember.float64
    assert m.count.dtype is ember.float64
    assert list(m.parameters()) == optimizer_view or all(
        a is b for a, b in zip(m.parameters(), optimizer_view))
    m.to(ember.float32)
    assert weight.dtype is ember.float32
    m.half().float()
    assert weight.dtype is ember.float32
    assert m.to("cpu") is m and m.cpu() is m
    assert m.to(ember.zeros(1, dtype=ember.float64)).head.weight.dtype is ember.float64
    long_buffer = ember.nn.Module()
    long_buffer.register_buffer("idx", ember.arange(3))
    long_buffer.double()
    assert long_buffer.idx.dtype is ember.int64  # integer tensors keep their dtype


def test_deepcopy_and_pickle():
    m = net(ember)
    clone = copy.deepcopy(m)
    assert clone.body[0].weight is not m.body[0].weight
    assert clone.tied is clone.body[0]  # sharing is preserved
    assert isinstance(clone.scale, ember.nn.Parameter)
    np.testing.assert_array_equal(clone.scale.detach().numpy(), m.scale.detach().numpy())
    seq = ember.nn.Sequential(ember.nn.Linear(2, 3), ember.nn.PReLU())
    restored = pickle.loads(pickle.dumps(seq))
    assert isinstance(restored[1].weight, ember.nn.Parameter) and restored[1].weight.requires_grad
    for a, b in zip(restored.state_dict().values(), seq.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_forward_hooks_match_torch():
    def run(lib):
        lib.manual_seed(0)
        lin = lib.nn.Linear(3, 2)
        calls = []
        pre = lin.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
        lin.register_forward_hook(lambda mod, args, out: out + 1)
        lin.register_forward_pre_hook(lambda mod, args: calls.append("first"), prepend=True)
        lin.register_forward_hook(lambda mod, args, kwargs, out: calls.append(kwargs),
                                  with_kwargs=True)
        out1 = lin(lib.ones(1, 3))
        pre.remove()
        out2 = lin(lib.ones(1, 3))
        return out1, out2, calls

    e_out1, e_out2, e_calls = run(ember)
    t_out1, t_out2, t_calls = run(torch)
    assert_same(e_out1, t_out1)
    assert_same(e_out2, t_out2)
    assert e_calls == t_calls


def test_forward_pre_hook_with_kwargs():
    for lib in (torch, ember):
        lin = lib.nn.Linear(2, 2)
        lin.register_forward_pre_hook(lambda mod, args, kwargs: ((args[0] * 0,), kwargs),
                                      with_kwargs=True)
        out = lin(lib.ones(1, 2))
        np.testing.assert_allclose(out.detach().numpy(), lin.bias.detach().numpy()[None])


def test_full_backward_hooks_match_torch():
    def run(lib):
        seen = []
        lib.manual_seed(0)
        lin = lib.nn.Linear(3, 2)

        def hook(mod, grad_input, grad_output):
            seen.append((grad_input, grad_output))
            return (grad_input[0] * 10,)

        lin.register_full_backward_hook(hook)
        lin.register_full_backward_pre_hook(lambda mod, grad_output: (grad_output[0] * 2,))
        x = lib.ones(4, 3, requires_grad=True)
        lin(x).sum().backward()
        return x.grad, seen[0][0][0], seen[0][1][0]

    e_grad, e_gin, e_gout = run(ember)
    t_grad, t_gin, t_gout = run(torch)
    assert_same(e_grad, t_grad)
    assert_same(e_gin, t_gin, check_grad_fn=False)
    assert_same(e_gout, t_gout, check_grad_fn=False)


def test_backward_hook_without_input_grad():
    for lib in (torch, ember):
        lin = lib.nn.Linear(3, 2)
        seen = []
        lin.register_full_backward_hook(lambda mod, gi, go, seen=seen: seen.append((gi, go)))
        with pytest.warns(UserWarning, match="Full backward hook is firing"):
            lin(lib.ones(4, 3)).sum().backward()
        grad_input, grad_output = seen[0]
        assert grad_input == (None,) and tuple(grad_output[0].shape) == (4, 2)


def test_repr_matches_torch():
    same_repr(net(ember), net(torch))
    same_repr(ember.nn.Module(), torch.nn.Module())

    def multi(lib):
        class Multi(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = lib.nn.Linear(1, 1)

            def extra_repr(self):
                return "a=1\nb=2"

        return Multi()

    same_repr(multi(ember), multi(torch))


def test_parameter():
    for data in ([1.0, 2.0], [[1.5, -2.0]]):
        t_p, e_p = torch.nn.Parameter(torch.tensor(data)), ember.nn.Parameter(ember.tensor(data))
        same_repr(e_p, t_p)
        assert e_p.requires_grad and e_p.is_leaf
        assert type(e_p * 2) is ember.Tensor and type(e_p.data) is ember.Tensor
        assert type(e_p.detach()) is ember.Tensor
    same_repr(ember.nn.Parameter(), torch.nn.Parameter())
    same_repr(ember.nn.Parameter(ember.arange(3), requires_grad=False),
              torch.nn.Parameter(torch.arange(3), requires_grad=False))
    same_error(lambda lib: lib.nn.Parameter(lib.arange(3)))
    source = ember.ones(2)
    p = ember.nn.Parameter(source)
    source.add_(1)  # shares memory with its source, as torch's does
    assert p.detach().numpy().tolist() == [2.0, 2.0]
    assert {p: 1}[p] == 1  # hashable by identity


def test_buffer():
    for lib in (torch, ember):
        b = lib.nn.Buffer(lib.ones(2), persistent=False)
        assert isinstance(b, lib.nn.Buffer) and not isinstance(lib.ones(2), lib.nn.Buffer)
        assert type(b) is lib.Tensor and b.persistent is False
        m = lib.nn.Module()
        m.stats = lib.nn.Buffer(lib.zeros(3))
        assert list(m.state_dict()) == ["stats"]


def test_uninitialized_parameter_and_lazy_linear():
    same_repr(ember.nn.UninitializedParameter(), torch.nn.UninitializedParameter())
    same_error(lambda lib: lib.nn.UninitializedParameter().shape)
    for lib in (torch, ember):
        lib.manual_seed(3)
        lazy = lib.nn.LazyLinear(4)
        assert repr(lazy) == "LazyLinear(in_features=0, out_features=4, bias=True)"
    t_lazy, e_lazy = torch.nn.LazyLinear(4), ember.nn.LazyLinear(4)
    torch.manual_seed(7)
    ember.manual_seed(7)
    t_out, e_out = t_lazy(torch.ones(2, 5)), e_lazy(ember.ones(2, 5))
    assert_same(e_out, t_out, rtol=0, atol=0)  # same initial weights, bit for bit
    same_repr(e_lazy, t_lazy)
    assert type(e_lazy) is ember.nn.Linear and type(e_lazy.weight) is ember.nn.Parameter


def test_lazy_linear_loads_a_state_dict():
    lazy = ember.nn.LazyLinear(3)
    source = torch.nn.Linear(5, 3)
    copy_state(source, lazy)
    assert tuple(lazy.weight.shape) == (3, 5)
    out = lazy(ember.ones(1, 5))
    assert_same(out, source(torch.ones(1, 5)))


def test_state_dict_hooks():
    m = ember.nn.Linear(2, 2)
    calls = []
    m.register_state_dict_pre_hook(lambda mod, prefix, keep_vars: calls.append("pre"))
    m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: calls.append(list(sd)))
    m.register_load_state_dict_post_hook(lambda mod, keys: calls.append(keys.missing_keys))
    m.load_state_dict(m.state_dict())
    assert calls == ["pre", ["weight", "bias"], []]


def test_positional_state_dict_warns():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sd = ember.nn.Linear(1, 1).state_dict(None, "x.")
    assert list(sd) == ["x.weight", "x.bias"]
    assert caught and caught[0].category is FutureWarning
