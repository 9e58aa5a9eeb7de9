"""Dropout (masks bit for bit equal to torch's after the same seed), embeddings and distances
against torch."""

import warnings

import numpy as np
import pytest
from helpers import assert_same, check_op, to_numpy
from nn_helpers import check_module, same_error, same_repr, twin

import ember

torch = pytest.importorskip("torch")


def F(lib):
    return lib.nn.functional


# -- dropout -------------------------------------------------------------------------------------

DROPOUTS = [
    ("dropout", (5, 7), {}),
    ("dropout", (64, 33), {"p": 0.5}),
    ("dropout", (3, 4), {"p": 1.0}),
    ("dropout", (3, 4), {"p": 0.0}),
    ("dropout", (3, 4), {"training": False}),
    ("dropout1d", (3, 4, 5), {}),
    ("dropout1d", (4, 5), {}),
    ("dropout2d", (3, 4, 5, 2), {}),
    ("dropout2d", (3, 4, 5), {}),
    ("dropout3d", (3, 4, 5, 2, 2), {}),
    ("dropout3d", (4, 5, 2, 2), {}),
    ("alpha_dropout", (40, 50), {"training": True, "p": 0.2}),
    ("feature_alpha_dropout", (4, 5, 3), {"training": True, "p": 0.2}),
    ("alpha_dropout", (4, 5), {}),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, shape, kwargs", DROPOUTS)
def test_dropout_masks_are_torchs(name, shape, kwargs, dtype):
    kwargs = {"p": 0.3, **kwargs}

    def fn(lib, x):
        lib.manual_seed(7)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # dropout2d's warning about 3-D input, in both
            return getattr(F(lib), name)(x, **kwargs)

    e_out, t_out = check_op(fn, shape, dtype=dtype, grad=True)
    assert np.array_equal(to_numpy(e_out), to_numpy(t_out))  # bit for bit


@pytest.mark.parametrize("name", ["dropout", "dropout1d", "alpha_dropout"])
def test_inplace_dropout(name):
    data = np.random.default_rng(1).standard_normal((6, 5)).astype("float32")
    results = []
    for lib in (torch, ember):
        lib.manual_seed(3)
        x = lib.tensor(data)
        out = getattr(F(lib), name)(x, 0.3, training=True, inplace=True)
        assert out is x
        results.append(x.numpy().copy())
    assert np.array_equal(*results)


def test_dropout_modules_train_and_eval():
    for cls in ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
                "FeatureAlphaDropout"):
        t_module, e_module = twin(lambda lib, c=cls: getattr(lib.nn, c)(0.25))
        same_repr(e_module, t_module)
        shape = {"Dropout1d": (2, 3, 4), "Dropout3d": (2, 3, 4, 2, 2)}.get(cls, (2, 3, 4, 2))
        for training in (True, False):
            t_module.train(training)
            e_module.train(training)
            torch.manual_seed(11)
            ember.manual_seed(11)
            check_module(lambda lib, t=t_module, e=e_module: t if lib is torch else e, shape)
    same_repr(ember.nn.Dropout(0.2, inplace=True), torch.nn.Dropout(0.2, inplace=True))


def test_dropout_errors():
    same_error(lambda lib: F(lib).dropout(lib.ones(3), 1.5))
    same_error(lambda lib: F(lib).dropout1d(lib.ones(3), 0.5))
    same_error(lambda lib: lib.nn.Dropout(-0.1))
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout2d"):
        F(ember).dropout2d(ember.ones(3, 4), 0.5)


def test_dropout_stream_continues_like_torchs():
    # two dropouts then a draw: the generator state advances exactly as torch's does
    data = np.ones((5, 6), dtype="float32")
    values = []
    for lib in (torch, ember):
        lib.manual_seed(5)
        a = F(lib).dropout(lib.tensor(data), 0.4)
        b = F(lib).dropout2d(lib.tensor(data).reshape(1, 5, 6, 1), 0.4)
        values.append((a.numpy(), b.numpy(), lib.rand(3).numpy()))
    for e, t in zip(*values):
        assert np.array_equal(e, t)


# -- embedding -----------------------------------------------------------------------------------

INDICES = np.array([[1, 2, 4, 5], [4, 3, 2, 9]])
FLAT = np.array([1, 2, 4, 5, 4, 3, 2, 9, 0, 4])


@pytest.mark.parametrize("padding_idx", [None, 4, -1])
@pytest.mark.parametrize("scale_grad_by_freq", [False, True])
def test_embedding(padding_idx, scale_grad_by_freq):
    check_op(lambda lib, w: F(lib).embedding(lib.tensor(INDICES), w, padding_idx=padding_idx,
                                             scale_grad_by_freq=scale_grad_by_freq),
             (10, 3), grad=True)


def test_embedding_int32_indices_and_second_order():
    check_op(lambda lib, w: F(lib).embedding(lib.tensor(INDICES).int(), w), (10, 3), grad=True)
    check_op(lambda lib, w: F(lib).embedding(lib.tensor(INDICES), w), (10, 3), grad=True,
             gradgrad=True)


@pytest.mark.parametrize("norm_type", [2.0, 1.5])
def test_embedding_max_norm_renormalises_in_place(norm_type):
    def fn(lib, w):
        table = w.detach().clone()
        out = F(lib).embedding(lib.tensor(INDICES), table, max_norm=1.5, norm_type=norm_type)
        return out, table

    check_op(fn, (10, 3))


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 4])
@pytest.mark.parametrize("offsets, last", [([0, 4, 4, 7], False), ([0, 3, 8, 10], True)])
def test_embedding_bag(mode, padding_idx, offsets, last):
    check_op(lambda lib, w: F(lib).embedding_bag(
        lib.tensor(FLAT), w, lib.tensor(offsets), mode=mode, padding_idx=padding_idx,
        include_last_offset=last), (10, 3), grad=True)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_2d(mode):
    check_op(lambda lib, w: F(lib).embedding_bag(lib.tensor(INDICES), w, mode=mode), (10, 3),
             grad=True)


def test_embedding_bag_per_sample_weights():
    check_op(lambda lib, w, p: F(lib).embedding_bag(lib.tensor(FLAT), w, lib.tensor([0, 4, 4, 7]),
                                                    mode="sum", per_sample_weights=p),
             (10, 3), (10,), grad=True)


ERRORS = [
    lambda lib: F(lib).embedding(lib.tensor([1.0]), lib.zeros(10, 3)),
    lambda lib: F(lib).embedding(lib.tensor([10]), lib.zeros(10, 3)),
    lambda lib: F(lib).embedding(lib.tensor([-1]), lib.zeros(10, 3)),
    lambda lib: F(lib).embedding(lib.tensor([1]), lib.zeros(10, 3), padding_idx=10),
    lambda lib: F(lib).embedding(lib.tensor([1]), lib.zeros(10)),
    lambda lib: F(lib).embedding_bag(lib.tensor(FLAT), lib.zeros(10, 3), lib.tensor([0, 11])),
    lambda lib: F(lib).embedding_bag(lib.tensor([4, 11, 1]), lib.zeros(10, 3), lib.tensor([0])),
    lambda lib: F(lib).embedding_bag(lib.tensor(FLAT), lib.zeros(10, 3), lib.tensor([0]),
                                     mode="foo"),
    lambda lib: F(lib).embedding_bag(lib.tensor(FLAT), lib.zeros(10, 3), lib.tensor([0]),
                                     mode="mean", per_sample_weights=lib.ones(10)),
    lambda lib: F(lib).embedding_bag(lib.tensor(FLAT), lib.zeros(10, 3)),
    lambda lib: F(lib).embedding_bag(lib.tensor(FLAT), lib.zeros(10, 3), lib.tensor([0]),
                                     mode="max", scale_grad_by_freq=True),
]


# torch's message adds a tensor printout to the first, and its own class path to the second
SAME_CLASS_ONLY = [
    lambda lib: F(lib).embedding_bag(lib.tensor(FLAT), lib.zeros(10, 3), lib.tensor([1, 4])),
    lambda lib: F(lib).embedding_bag(lib.tensor(INDICES), lib.zeros(10, 3), lib.tensor([0])),
]


@pytest.mark.parametrize("fn", ERRORS)
def test_embedding_errors(fn):
    same_error(fn)


@pytest.mark.parametrize("fn", SAME_CLASS_ONLY)
def test_embedding_errors_same_class(fn):
    with pytest.raises(Exception) as t_info:
        fn(torch)
    with pytest.raises(t_info.type):
        fn(ember)


def test_embedding_modules_initialise_like_torch():
    for build in (lambda lib: lib.nn.Embedding(10, 3, padding_idx=2),
                  lambda lib: lib.nn.Embedding(10, 3, max_norm=1.0, norm_type=3.0,
                                               scale_grad_by_freq=True),
                  lambda lib: lib.nn.EmbeddingBag(10, 3, mode="max", padding_idx=-1),
                  lambda lib: lib.nn.EmbeddingBag(10, 3, include_last_offset=True)):
        torch.manual_seed(4)
        ember.manual_seed(4)
        t_module, e_module = build(torch), build(ember)
        same_repr(e_module, t_module)
        assert_same(e_module.weight, t_module.weight)  # initial weights, bit for bit
    t_module, e_module = twin(lambda lib: lib.nn.Embedding(10, 3, padding_idx=4))
    check_op(lambda lib, _: (t_module if lib is torch else e_module)(lib.tensor(INDICES)), (1,))
    t_out = t_module(torch.tensor(INDICES))
    e_out = e_module(ember.tensor(INDICES))
    g = np.random.default_rng(0).standard_normal(tuple(t_out.shape)).astype("float32")
    t_out.backward(torch.tensor(g))
    e_out.backward(ember.tensor(g))
    assert_same(e_module.weight.grad, t_module.weight.grad)
    assert not e_module.weight.grad[4].any()  # the padding row learns nothing


def test_embedding_from_pretrained():
    table = np.random.default_rng(2).standard_normal((6, 2)).astype("float32")
    for lib in (torch, ember):
        emb = lib.nn.Embedding.from_pretrained(lib.tensor(table), padding_idx=1)
        assert not emb.weight.requires_grad and emb.padding_idx == 1
        bag = lib.nn.EmbeddingBag.from_pretrained(lib.tensor(table), freeze=False, mode="sum")
        assert bag.weight.requires_grad
    same_error(lambda lib: lib.nn.Embedding.from_pretrained(lib.zeros(3)))
    same_error(lambda lib: lib.nn.Embedding(5, 2, padding_idx=5))
    same_error(lambda lib: lib.nn.Embedding(5, 2, _weight=lib.zeros(4, 2)))


def test_embedding_bag_module():
    t_module, e_module = twin(lambda lib: lib.nn.EmbeddingBag(10, 3, mode="sum"))
    check_op(lambda lib, p: (t_module if lib is torch else e_module)(
        lib.tensor(FLAT), lib.tensor([0, 5]), per_sample_weights=p), (10,), grad=True)


# -- distances -----------------------------------------------------------------------------------


def test_pairwise_distance_and_pdist():
    check_op(lambda lib, a, b: F(lib).pairwise_distance(a, b), (4, 5), (5,), grad=True,
             gradgrad=True)
    check_op(lambda lib, a, b: F(lib).pairwise_distance(a, b, p=3, keepdim=True), (4, 5), (4, 5),
             grad=True)
    check_op(lambda lib, a, b: F(lib).pairwise_distance(a, b, p=1), (5,), (5,), grad=True)
    check_op(lambda lib, a: F(lib).pdist(a), (4, 5), grad=True)
    check_op(lambda lib, a: F(lib).pdist(a, p=1), (4, 5), grad=True)


def test_distance_modules():
    for build in (lambda lib: lib.nn.PairwiseDistance(p=3, eps=1e-3, keepdim=True),
                  lambda lib: lib.nn.CosineSimilarity(dim=0, eps=1e-3)):
        t_module, e_module = check_module(build, (4, 5), (4, 5))
        same_repr(e_module, t_module)
    assert ember.nn.PairwiseDistance(p=3).norm == 3
