"""Recurrent cells and layers and nn.utils.rnn against torch: copied weights, same inputs and
initial states, compare outputs, final states and the gradients of inputs, states and parameters
for a random upstream gradient; seeded initial weights, repr, errors."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import assert_same
from nn_helpers import same_error, same_repr, twin

import ember

torch = pytest.importorskip("torch")

TOL = {"rtol": 1e-4, "atol": 1e-5}


def _pair(rng, shape, dtype="float32"):
    array = rng.standard_normal(shape).astype(dtype)
    return (torch.tensor(array, requires_grad=True), ember.tensor(array, requires_grad=True))


def _flatten(out):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flatten(o)]
    if hasattr(out, "batch_sizes"):
        return [out.data]
    return [out]


def _compare_run(build, input_shape, state_shapes=(), seed=0, call=None):
    """Run twin modules on the same input and states; compare every output and all grads."""
    t_mod, e_mod = twin(build)
    rng = np.random.default_rng(seed)
    t_x, e_x = _pair(rng, input_shape)
    states = [_pair(rng, s) for s in state_shapes]
    call = call or (lambda m, x, s: m(x, *s))
    t_out = _flatten(call(t_mod, t_x, [p[0] for p in states]))
    e_out = _flatten(call(e_mod, e_x, [p[1] for p in states]))
    assert len(t_out) == len(e_out)
    for k, (e, t) in enumerate(zip(e_out, t_out)):
        assert_same(e, t, **TOL, check_grad_fn=False, path=f"output {k}")
    ups = [rng.standard_normal(tuple(t.shape)).astype("float32") for t in t_out]
    torch.autograd.backward(t_out, [torch.tensor(u) for u in ups])
    ember.autograd.backward(e_out, [ember.tensor(u) for u in ups])
    assert_same(e_x.grad, t_x.grad, **TOL, path="input grad")
    for k, (t, e) in enumerate(states):
        assert_same(e.grad, t.grad, **TOL, path=f"state grad {k}")
    t_params = dict(t_mod.named_parameters())
    assert [n for n, _ in e_mod.named_parameters()] == list(t_params)
    for name, p in e_mod.named_parameters():
        assert_same(p.grad, t_params[name].grad, **TOL, path=f"grad of {name}")


# -- cells ----------------------------------------------------------------------------------

def _lstm_cell_call(m, x, s):
    return m(x, tuple(s)) if s else m(x)


CELLS = [
    ("rnn_tanh", lambda lib: lib.nn.RNNCell(3, 5), (4, 3), [(4, 5)], None),
    ("rnn_relu_nobias", lambda lib: lib.nn.RNNCell(3, 5, bias=False, nonlinearity="relu"),
     (4, 3), [(4, 5)], None),
    ("rnn_nohx", lambda lib: lib.nn.RNNCell(3, 5), (4, 3), [], None),
    ("rnn_unbatched", lambda lib: lib.nn.RNNCell(3, 5), (3,), [(5,)], None),
    ("lstm", lambda lib: lib.nn.LSTMCell(3, 5), (4, 3), [(4, 5), (4, 5)], _lstm_cell_call),
    ("lstm_nohx", lambda lib: lib.nn.LSTMCell(3, 5, bias=False), (4, 3), [], _lstm_cell_call),
    ("lstm_unbatched", lambda lib: lib.nn.LSTMCell(3, 5), (3,), [(5,), (5,)], _lstm_cell_call),
    ("gru", lambda lib: lib.nn.GRUCell(3, 5), (4, 3), [(4, 5)], None),
    ("gru_nobias_unbatched", lambda lib: lib.nn.GRUCell(3, 5, bias=False), (3,), [], None),
]


@pytest.mark.parametrize("name, build, shape, states, call", CELLS, ids=[c[0] for c in CELLS])
def test_cell(name, build, shape, states, call):
    _compare_run(build, shape, states, call=call)


# -- layers ---------------------------------------------------------------------------------

def _lstm_call(m, x, s):
    return m(x, tuple(s)) if s else m(x)


def _layers():
    cases = []
    for kind in ("RNN", "GRU", "LSTM"):
        for layers, bidi, first, bias in [(1, False, False, True), (2, True, False, True),
                                          (2, False, True, False), (3, True, True, True)]:
            for with_state in (False, True):
                cases.append((kind, dict(num_layers=layers, bidirectional=bidi,
                                         batch_first=first, bias=bias), with_state))
    cases.append(("RNN", dict(nonlinearity="relu", num_layers=2), True))
    cases.append(("LSTM", dict(proj_size=3, num_layers=2, bidirectional=True), True))
    cases.append(("LSTM", dict(proj_size=2), False))
    return cases


def _state_shapes(kind, kw, batch, unbatched=False):
    d = (2 if kw.get("bidirectional") else 1) * kw.get("num_layers", 1)
    lead = (d,) if unbatched else (d, batch)
    shapes = [(*lead, kw.get("proj_size") or 5)]
    if kind == "LSTM":
        shapes.append((*lead, 5))
    return shapes


@pytest.mark.parametrize("kind, kw, with_state", _layers(), ids=str)
def test_layer(kind, kw, with_state):
    shape = (2, 6, 4) if kw.get("batch_first") else (6, 2, 4)
    states = _state_shapes(kind, kw, 2) if with_state else []
    call = _lstm_call if kind == "LSTM" else None
    _compare_run(lambda lib: getattr(lib.nn, kind)(4, 5, **kw), shape, states, call=call)


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_layer_unbatched(kind, batch_first):
    kw = dict(num_layers=2, bidirectional=True, batch_first=batch_first)
    call = _lstm_call if kind == "LSTM" else None
    states = _state_shapes(kind, kw, None, unbatched=True)
    _compare_run(lambda lib: getattr(lib.nn, kind)(4, 5, **kw), (6, 4), states, call=call)


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_dropout_between_layers(kind):
    """p=1 zeroes layer 0's output in training; eval ignores dropout: both deterministic."""
    _compare_run(lambda lib: getattr(lib.nn, kind)(4, 5, num_layers=2, dropout=1.0), (5, 2, 4))
    _compare_run(lambda lib: getattr(lib.nn, kind)(4, 5, num_layers=2, dropout=0.5).eval(),
                 (5, 2, 4))


def test_dropout_training_changes_output():
    ember.manual_seed(0)
    m = ember.nn.GRU(4, 5, num_layers=2, dropout=0.5)
    x = ember.randn(5, 2, 4)
    assert not np.allclose(m(x)[0].detach().numpy(), m.eval()(x)[0].detach().numpy())


# -- initialisation, names, repr ------------------------------------------------------------

@pytest.mark.parametrize("build", [
    lambda lib: lib.nn.LSTM(10, 20),
    lambda lib: lib.nn.GRU(3, 4, num_layers=2, bidirectional=True, bias=False),
    lambda lib: lib.nn.RNN(3, 4, 2, "relu"),
    lambda lib: lib.nn.LSTM(3, 6, proj_size=2, num_layers=2, bidirectional=True),
    lambda lib: lib.nn.RNNCell(3, 4),
    lambda lib: lib.nn.LSTMCell(3, 4),
    lambda lib: lib.nn.GRUCell(3, 4, bias=False),
])
def test_seeded_initial_weights_equal_torch(build):
    torch.manual_seed(0)
    t_mod = build(torch)
    ember.manual_seed(0)
    e_mod = build(ember)
    t_params = list(t_mod.named_parameters())
    e_params = list(e_mod.named_parameters())
    assert [n for n, _ in e_params] == [n for n, _ in t_params]
    for (name, e), (_, t) in zip(e_params, t_params):
        assert tuple(e.shape) == tuple(t.shape), name
        np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy(), err_msg=name)


@pytest.mark.parametrize("build", [
    lambda lib: lib.nn.LSTM(10, 20),
    lambda lib: lib.nn.GRU(3, 4, num_layers=2, bidirectional=True, bias=False, batch_first=True,
                           dropout=0.25),
    lambda lib: lib.nn.RNN(3, 4, nonlinearity="relu"),
    lambda lib: lib.nn.LSTM(3, 6, proj_size=2),
    lambda lib: lib.nn.RNNCell(3, 4, bias=False, nonlinearity="relu"),
    lambda lib: lib.nn.LSTMCell(3, 4),
    lambda lib: lib.nn.GRUCell(3, 4),
])
def test_repr(build):
    same_repr(build(ember), build(torch))


def test_state_dict_loads_into_torch():
    e_mod = ember.nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    t_mod = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    state = {k: torch.tensor(v.detach().numpy()) for k, v in e_mod.state_dict().items()}
    t_mod.load_state_dict(state)


# -- errors ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fn", [
    lambda lib: lib.nn.LSTM(4, 5)(lib.randn(3, 2, 6)),
    lambda lib: lib.nn.GRU(4, 5)(lib.randn(3, 2, 4, 1)),
    lambda lib: lib.nn.RNN(4, 5)(lib.randn(3)),
    lambda lib: lib.nn.RNN(4, 5)(lib.randn(3, 2, 4), lib.randn(1, 3, 5)),
    lambda lib: lib.nn.RNN(4, 5)(lib.randn(3, 2, 4), lib.randn(3, 5)),
    lambda lib: lib.nn.GRU(4, 5)(lib.randn(3, 4), lib.randn(1, 1, 5)),
    lambda lib: lib.nn.LSTM(4, 5)(lib.randn(3, 2, 4), (lib.randn(1, 2, 5), lib.randn(1, 3, 5))),
    lambda lib: lib.nn.LSTM(4, 5)(lib.randn(3, 2, 4), (lib.randn(2, 5), lib.randn(1, 2, 5))),
    lambda lib: lib.nn.LSTM(4, 5, proj_size=2)(lib.randn(3, 2, 4),
                                              (lib.randn(1, 2, 5), lib.randn(1, 2, 5))),
    lambda lib: lib.nn.LSTM(4, 5)(lib.randn(3, 2, 4, dtype=lib.float64)),
    lambda lib: lib.nn.RNNCell(4, 5)(lib.randn(2, 3)),
    lambda lib: lib.nn.RNNCell(4, 5)(lib.randn(2, 4), lib.randn(3, 5)),
    lambda lib: lib.nn.RNNCell(4, 5)(lib.randn(2, 2, 4)),
    lambda lib: lib.nn.LSTMCell(4, 5)(lib.randn(2, 4), (lib.randn(2, 5), lib.randn(2, 6))),
    lambda lib: lib.nn.GRUCell(4, 5)(lib.randn(2, 4), lib.randn(2, 2, 5)),
    lambda lib: lib.nn.LSTM(4, 5, proj_size=5),
    lambda lib: lib.nn.GRU(4, 5, proj_size=2),
    lambda lib: lib.nn.RNN(4, 5, nonlinearity="gelu"),
    lambda lib: lib.nn.LSTM(4, 5, dropout=1.5),
    lambda lib: lib.nn.LSTM(4, 0),
    lambda lib: lib.nn.LSTM(4, 5, bias=1),
])
def test_errors(fn):
    same_error(fn)


def test_dropout_single_layer_warns():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        ember.nn.GRU(3, 4, dropout=0.5)


# -- nn.utils.rnn ---------------------------------------------------------------------------

LENGTHS = [5, 3, 3, 1]
UNSORTED = [3, 5, 1, 3]


def _sequences(rng, lengths, feature=(3,)):
    return [_pair(rng, (n, *feature)) for n in lengths]


def _compare_values_and_grads(fn, lengths, seed=0, feature=(3,)):
    """fn(lib, list of tensors) -> tensor or tuple: compare outputs and grads of the inputs."""
    rng = np.random.default_rng(seed)
    pairs = _sequences(rng, lengths, feature)
    t_out = _flatten(fn(torch, [p[0] for p in pairs]))
    e_out = _flatten(fn(ember, [p[1] for p in pairs]))
    for k, (e, t) in enumerate(zip(e_out, t_out)):
        assert_same(e, t, **TOL, check_grad_fn=False, path=f"output {k}")
    diff = [(e, t) for e, t in zip(e_out, t_out) if t.requires_grad]
    ups = [rng.standard_normal(tuple(t.shape)).astype("float32") for _, t in diff]
    torch.autograd.backward([t for _, t in diff], [torch.tensor(u) for u in ups])
    ember.autograd.backward([e for e, _ in diff], [ember.tensor(u) for u in ups])
    for k, (t, e) in enumerate(pairs):
        assert_same(e.grad, t.grad, **TOL, path=f"grad of sequence {k}")


@pytest.mark.parametrize("kw", [{}, dict(batch_first=True, padding_value=-2.5),
                                dict(padding_side="left"), dict(batch_first=True,
                                                                padding_side="left")])
def test_pad_sequence(kw):
    _compare_values_and_grads(lambda lib, s: lib.nn.utils.rnn.pad_sequence(s, **kw), UNSORTED,
                              feature=(2, 3))


@pytest.mark.parametrize("enforce_sorted, lengths", [(True, LENGTHS), (False, UNSORTED),
                                                     (False, LENGTHS)])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_padded_round_trip(enforce_sorted, lengths, batch_first):
    def fn(lib, seqs):
        utils = lib.nn.utils.rnn
        padded = utils.pad_sequence(seqs, batch_first=batch_first)
        packed = utils.pack_padded_sequence(padded, lib.tensor(lengths), batch_first,
                                            enforce_sorted)
        again, out_lengths = utils.pad_packed_sequence(packed, batch_first, -1.0, 7)
        extra = [t for t in (packed.sorted_indices, packed.unsorted_indices) if t is not None]
        return packed.data * 2, packed.batch_sizes, again, out_lengths, *extra

    _compare_values_and_grads(fn, lengths)


def test_pack_sequence_and_unpack():
    def fn(lib, seqs):
        packed = lib.nn.utils.rnn.pack_sequence(seqs, enforce_sorted=False)
        return packed, lib.nn.utils.rnn.unpack_sequence(packed)

    _compare_values_and_grads(fn, UNSORTED)


@pytest.mark.parametrize("fn", [
    lambda lib: lib.nn.utils.rnn.pack_sequence([lib.ones(1), lib.ones(2)]),
    lambda lib: lib.nn.utils.rnn.pack_padded_sequence(lib.ones(3, 2), [2, 0]),
    lambda lib: lib.nn.utils.rnn.pad_packed_sequence(
        lib.nn.utils.rnn.pack_sequence([lib.ones(3), lib.ones(2)]), total_length=2),
    lambda lib: lib.nn.utils.rnn.pad_sequence([lib.ones(3)], padding_side="middle"),
])
def test_utils_errors(fn):
    same_error(fn)


@pytest.mark.parametrize("kind, kw", [("RNN", {}), ("GRU", dict(num_layers=2,
                                                                bidirectional=True)),
                                      ("LSTM", dict(num_layers=2, bidirectional=True)),
                                      ("LSTM", dict(proj_size=2, bidirectional=True))])
@pytest.mark.parametrize("with_state", [False, True])
def test_layer_on_packed_sequence(kind, kw, with_state):
    d = 2 if kw.get("bidirectional") else 1
    layers = kw.get("num_layers", 1)
    rng = np.random.default_rng(1)
    states = [_pair(rng, (d * layers, 4, kw.get("proj_size") or 5))]
    if kind == "LSTM":
        states.append(_pair(rng, (d * layers, 4, 5)))
    t_mod, e_mod = twin(lambda lib: getattr(lib.nn, kind)(3, 5, **kw))

    def fn(lib, seqs):
        module = t_mod if lib is torch else e_mod
        packed = lib.nn.utils.rnn.pack_sequence(seqs, enforce_sorted=False)
        hx = None
        if with_state:
            hx = [p[0] if lib is torch else p[1] for p in states]
            hx = tuple(hx) if kind == "LSTM" else hx[0]
        out, final = module(packed, hx)
        padded, _ = lib.nn.utils.rnn.pad_packed_sequence(out, batch_first=True)
        return padded, final

    _compare_values_and_grads(fn, UNSORTED)
    if with_state:
        for t, e in states:
            assert_same(e.grad, t.grad, **TOL, path="state grad")
