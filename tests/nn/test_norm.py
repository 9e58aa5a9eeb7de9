"""Normalisation against torch: batch / layer / group / instance / RMS / local response norm,
functional and modules: values, gradients, second order, running statistics, errors, reprs."""

import warnings

import numpy as np
import pytest
from helpers import assert_same, check_op
from nn_helpers import check_module, same_error, same_repr, twin

import ember

torch = pytest.importorskip("torch")


def F(lib):
    return lib.nn.functional


# -- batch norm ----------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(4, 3), (4, 3, 5), (2, 3, 4, 5), (2, 3, 2, 2, 2)])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm(shape, training, affine):
    def fn(lib, x, w, b):
        mean, var = lib.linspace(-1, 1, 3), lib.linspace(0.5, 2, 3)
        out = F(lib).batch_norm(x, mean, var, w if affine else None, b if affine else None,
                                training=training, momentum=0.3, eps=1e-3)
        return out, mean, var  # the running statistics are updated in place when training

    check_op(fn, shape, (3,), (3,), grad=True)


def test_batch_norm_without_running_stats_and_dtypes():
    check_op(lambda lib, x: F(lib).batch_norm(x, None, None, training=True), (4, 3, 5), grad=True)
    for dtype in ("float64", "float16"):
        check_op(lambda lib, x: F(lib).batch_norm(x, None, None, training=True), (4, 3, 5),
                 dtype=dtype, grad=True)


def test_batch_norm_second_order():
    check_op(lambda lib, x, w, b: F(lib).batch_norm(x, None, None, w, b, training=True),
             (4, 3, 2), (3,), (3,), grad=True, gradgrad=True)
    check_op(lambda lib, x, w, b: F(lib).batch_norm(
        x, x.new_zeros(3) + 0.5, x.new_ones(3) * 2, w, b, training=False),
        (4, 3, 2), (3,), (3,), grad=True, gradgrad=True)


# -- layer, group, RMS, instance, local response -------------------------------------------------


@pytest.mark.parametrize("normalized_shape", [(5,), (3, 5), (4, 3, 5)])
def test_layer_norm(normalized_shape):
    check_op(lambda lib, x, w, b: F(lib).layer_norm(x, normalized_shape, w, b, eps=1e-3),
             (4, 3, 5), normalized_shape, normalized_shape, grad=True)
    check_op(lambda lib, x: F(lib).layer_norm(x, normalized_shape), (4, 3, 5), grad=True)


def test_layer_norm_second_order_and_half():
    check_op(lambda lib, x, w, b: F(lib).layer_norm(x, (5,), w, b), (3, 5), (5,), (5,),
             grad=True, gradgrad=True)
    check_op(lambda lib, x: F(lib).layer_norm(x, (5,)), (4, 3, 5), dtype="float16", grad=True)


@pytest.mark.parametrize("groups", [1, 2, 4])
def test_group_norm(groups):
    check_op(lambda lib, x, w, b: F(lib).group_norm(x, groups, w, b), (2, 4, 3, 2), (4,), (4,),
             grad=True)
    check_op(lambda lib, x: F(lib).group_norm(x, groups, eps=1e-2), (2, 4, 3), grad=True)


def test_group_norm_second_order():
    check_op(lambda lib, x, w, b: F(lib).group_norm(x, 2, w, b), (2, 4, 3), (4,), (4,),
             grad=True, gradgrad=True)


@pytest.mark.parametrize("normalized_shape", [(5,), (3, 5)])
def test_rms_norm(normalized_shape):
    check_op(lambda lib, x, w: F(lib).rms_norm(x, normalized_shape, w), (4, 3, 5),
             normalized_shape, grad=True)
    check_op(lambda lib, x: F(lib).rms_norm(x, normalized_shape, eps=1e-3), (4, 3, 5),
             grad=True, gradgrad=True)
    check_op(lambda lib, x: F(lib).rms_norm(x, normalized_shape), (4, 3, 5), dtype="float64",
             grad=True)


def test_instance_norm():
    def tracked(lib, x, w, b):
        mean, var = lib.zeros(3), lib.ones(3)
        return F(lib).instance_norm(x, mean, var, w, b, momentum=0.2), mean, var

    check_op(tracked, (2, 3, 5), (3,), (3,), grad=True)
    check_op(lambda lib, x: F(lib).instance_norm(x), (2, 3, 4, 5), grad=True)
    check_op(lambda lib, x: F(lib).instance_norm(x, lib.zeros(3) + 0.1, lib.ones(3) * 2,
                                                 use_input_stats=False), (2, 3, 4), grad=True)


@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_local_response_norm(size):
    check_op(lambda lib, x: F(lib).local_response_norm(x, size, alpha=0.1, k=2.0), (2, 5, 3),
             grad=True)
    check_op(lambda lib, x: F(lib).local_response_norm(x, size, alpha=0.1, beta=0.5),
             (2, 5, 3, 2), grad=True)


ERRORS = [
    lambda lib: F(lib).batch_norm(lib.zeros(4, 3), lib.zeros(4), lib.ones(3), training=True),
    lambda lib: F(lib).batch_norm(lib.zeros(4, 3), lib.zeros(3), lib.ones(4), training=True),
    lambda lib: F(lib).batch_norm(lib.zeros(4, 3), None, None),
    lambda lib: F(lib).batch_norm(lib.zeros(4, 3), None, None, lib.ones(4), training=True),
    lambda lib: F(lib).batch_norm(lib.zeros(1, 3), None, None, training=True),
    lambda lib: F(lib).batch_norm(lib.zeros(4, 3), None, None, training=True, eps=0),
    lambda lib: F(lib).batch_norm(lib.zeros(4, 3), lib.zeros(3).double(), lib.ones(3).double()),
    lambda lib: F(lib).batch_norm(lib.zeros(4, 3).double(), lib.zeros(3), lib.ones(3)),
    lambda lib: F(lib).layer_norm(lib.zeros(4, 3), (4,)),
    lambda lib: F(lib).layer_norm(lib.zeros(4, 3), (3,), lib.ones(4)),
    lambda lib: F(lib).layer_norm(lib.zeros(4, 3), 3),
    lambda lib: F(lib).rms_norm(lib.zeros(4, 3), (4,)),
    lambda lib: F(lib).group_norm(lib.zeros(4, 3, 2), 2),
    lambda lib: F(lib).group_norm(lib.zeros(4, 4, 2), 2, lib.ones(3)),
    lambda lib: F(lib).group_norm(lib.zeros(4), 2),
    lambda lib: F(lib).instance_norm(lib.zeros(2, 3, 1)),
    lambda lib: F(lib).local_response_norm(lib.zeros(2, 3), 2),
]


@pytest.mark.parametrize("fn", ERRORS)
def test_errors_match_torch(fn):
    same_error(fn)


# -- modules -------------------------------------------------------------------------------------


def _train_steps(t_module, e_module, shape, steps=3):
    rng = np.random.default_rng(1)
    for _ in range(steps):
        data = rng.standard_normal(shape).astype("float32") * 3 + 1
        assert_same(e_module(ember.tensor(data)), t_module(torch.tensor(data)), check_grad_fn=False)
    for (name, e), (_, t) in zip(e_module.state_dict().items(), t_module.state_dict().items()):
        assert_same(e, t, path=name)


@pytest.mark.parametrize("cls, shape", [("BatchNorm1d", (8, 3)), ("BatchNorm1d", (4, 3, 5)),
                                        ("BatchNorm2d", (4, 3, 2, 2)),
                                        ("BatchNorm3d", (2, 3, 2, 2, 2))])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm_running_stats_follow_torch(cls, shape, momentum):
    t_module, e_module = twin(lambda lib: getattr(lib.nn, cls)(3, momentum=momentum))
    _train_steps(t_module, e_module, shape)
    assert int(e_module.num_batches_tracked) == 3
    t_module.eval()
    e_module.eval()
    check_module(lambda lib: t_module if lib is torch else e_module, shape)


def test_batchnorm_options():
    for kwargs in ({"affine": False}, {"track_running_stats": False}, {"bias": False},
                   {"eps": 1e-3, "momentum": 0.5}):
        t_module, e_module = twin(lambda lib, kw=kwargs: lib.nn.BatchNorm1d(3, **kw))
        same_repr(e_module, t_module)
        assert list(e_module.state_dict()) == list(t_module.state_dict())
        assert [n for n, _ in e_module.named_parameters()] == \
            [n for n, _ in t_module.named_parameters()]
        _train_steps(t_module, e_module, (6, 3), steps=2)
        t_module.eval()
        e_module.eval()
        check_module(lambda lib, t=t_module, e=e_module: t if lib is torch else e, (6, 3))


def test_batchnorm_state_dict_round_trip_and_old_versions():
    _, e_module = twin(lambda lib: lib.nn.BatchNorm2d(3))
    state = e_module.state_dict()
    del state["num_batches_tracked"]
    state._metadata = {"": {"version": 1}}  # a checkpoint from before num_batches_tracked
    fresh = ember.nn.BatchNorm2d(3)
    fresh.num_batches_tracked.fill_(5)
    result = fresh.load_state_dict(state)
    assert not result.missing_keys and int(fresh.num_batches_tracked) == 5
    same_error(lambda lib: lib.nn.BatchNorm2d(3)(lib.zeros(2, 3)))
    same_error(lambda lib: lib.nn.BatchNorm1d(3)(lib.zeros(2, 3, 2, 2)))


@pytest.mark.parametrize("cls, shape", [("InstanceNorm1d", (2, 3, 5)),
                                        ("InstanceNorm1d", (3, 5)),
                                        ("InstanceNorm2d", (2, 3, 2, 3)),
                                        ("InstanceNorm3d", (2, 3, 2, 2, 2))])
@pytest.mark.parametrize("tracked", [False, True])
def test_instancenorm_modules(cls, shape, tracked):
    build = (lambda lib: getattr(lib.nn, cls)(3, affine=True, track_running_stats=tracked))
    t_module, e_module = check_module(build, shape)
    same_repr(e_module, t_module)
    assert list(e_module.state_dict()) == list(t_module.state_dict())
    _train_steps(t_module, e_module, shape, steps=2)
    t_module.eval()
    e_module.eval()
    check_module(lambda lib: t_module if lib is torch else e_module, shape)


def test_instancenorm_feature_mismatch():
    same_error(lambda lib: lib.nn.InstanceNorm1d(4, affine=True)(lib.zeros(2, 3, 5)))
    with pytest.warns(UserWarning, match="does not match num_features"):
        ember.nn.InstanceNorm1d(4)(ember.zeros(2, 3, 5))


MODULES = [
    (lambda lib: lib.nn.LayerNorm(5), (4, 3, 5)),
    (lambda lib: lib.nn.LayerNorm([3, 5], eps=1e-3, bias=False), (4, 3, 5)),
    (lambda lib: lib.nn.LayerNorm(5, elementwise_affine=False), (4, 5)),
    (lambda lib: lib.nn.GroupNorm(2, 4), (2, 4, 3)),
    (lambda lib: lib.nn.GroupNorm(4, 4, affine=False), (2, 4, 3, 2)),
    (lambda lib: lib.nn.RMSNorm(5), (4, 3, 5)),
    (lambda lib: lib.nn.RMSNorm([3, 5], eps=1e-4, elementwise_affine=False), (4, 3, 5)),
    (lambda lib: lib.nn.LocalResponseNorm(3, alpha=0.01, k=2.0), (2, 5, 3)),
]


@pytest.mark.parametrize("build, shape", MODULES)
def test_normalization_modules(build, shape):
    t_module, e_module = check_module(build, shape)
    same_repr(e_module, t_module)
    assert list(e_module.state_dict()) == list(t_module.state_dict())
    for name, t in t_module.state_dict().items():
        assert_same(ember.nn.Module.state_dict(build(ember))[name], t, path=name)


def test_groupnorm_divisibility():
    same_error(lambda lib: lib.nn.GroupNorm(3, 4))


def test_training_loop_with_batchnorm_dropout_and_cross_entropy():
    # seeded initialisation, dropout masks, batch statistics and the loss all follow torch
    def build(lib):
        return lib.nn.Sequential(lib.nn.Linear(4, 6), lib.nn.BatchNorm1d(6), lib.nn.ReLU(),
                                 lib.nn.Dropout(0.3), lib.nn.Linear(6, 3))

    torch.manual_seed(0)
    ember.manual_seed(0)
    t_model, e_model = build(torch), build(ember)
    rng = np.random.default_rng(3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(3):
            data = rng.standard_normal((8, 4)).astype("float32")
            for model, lib in ((t_model, torch), (e_model, ember)):
                model.zero_grad()
                loss = lib.nn.CrossEntropyLoss(label_smoothing=0.1)
                loss(model(lib.tensor(data)), lib.tensor([0, 1, 2, 1, 0, 2, 2, 1])).backward()
                with lib.no_grad():
                    for p in model.parameters():
                        p -= 0.1 * p.grad
    for (name, e), (_, t) in zip(e_model.state_dict().items(), t_model.state_dict().items()):
        assert_same(e, t, rtol=1e-4, atol=1e-5, path=name)


GRAD_FN_NAMES = [
    lambda lib, x: F(lib).batch_norm(x, None, None, training=True),
    lambda lib, x: F(lib).layer_norm(x, (5,)),
    lambda lib, x: F(lib).group_norm(x, 1),
    lambda lib, x: F(lib).nll_loss(x, lib.tensor([1, 0, 2, 4])),
    lambda lib, x: F(lib).nll_loss(x.reshape(2, 5, 2, 1), lib.zeros(2, 2, 1).long()),
    lambda lib, x: F(lib).binary_cross_entropy(x.sigmoid(), x.detach().sigmoid()),
    lambda lib, x: F(lib).binary_cross_entropy_with_logits(x, x.detach().sigmoid()),
    lambda lib, x: F(lib).embedding(lib.tensor([1, 2]), x),
]


@pytest.mark.parametrize("fn", GRAD_FN_NAMES)
def test_backward_node_names_are_torchs(fn):
    data = np.random.default_rng(0).standard_normal((4, 5)).astype("float32")
    names = [type(fn(lib, lib.tensor(data, requires_grad=True)).grad_fn).__name__
             for lib in (torch, ember)]
    assert names[0] == names[1]
