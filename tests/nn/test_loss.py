"""Losses against torch: values, dtypes, gradients for a random upstream gradient, every
reduction, ignore_index, label smoothing, large logits, errors, and the loss modules."""

import warnings

import numpy as np
import pytest
from helpers import check_op
from nn_helpers import check_arrays, same_error, same_repr, twin

import ember

torch = pytest.importorskip("torch")

REDUCTIONS = ["mean", "sum", "none"]
RNG = np.random.default_rng(0)
TARGET = np.array([1, -100, 4, 0])  # class indices, one ignored
TARGET_ND = RNG.integers(0, 5, size=(2, 3, 4))
LABELS = np.array([3, 1, 4, 0])
MULTILABEL = np.array([[3, 0, -1, 1, 2], [1, 2, 3, -1, 0], [-1, 1, 2, 3, 0], [4, 4, -1, 0, 0]])
SIGNS = np.array([1.0, -1.0, 1.0, -1.0])


def F(lib):
    return lib.nn.functional


def _probs(lib, y, dim=1):
    return F(lib).softmax(y, dim)


# -- classification losses ---------------------------------------------------------------------

NLL_CASES = {
    "2d": lambda lib, x, r: F(lib).nll_loss(x, lib.tensor(TARGET), reduction=r),
    "1d": lambda lib, x, r: F(lib).nll_loss(x[0], lib.tensor(2), reduction=r),
    "4d": lambda lib, x, r: F(lib).nll_loss(x.reshape(2, 5, 2, 1).expand(2, 5, 2, 3).reshape(
        2, 5, 3, 2), lib.tensor(TARGET_ND[:, :, :2].clip(0, 4)), reduction=r),
    "3d": lambda lib, x, r: F(lib).nll_loss(x.reshape(2, 5, 2), lib.tensor(TARGET_ND[:, 0, :2]),
                                            reduction=r),
    "weighted": lambda lib, x, r: F(lib).nll_loss(x, lib.tensor(TARGET), reduction=r,
                                                  weight=lib.tensor([1.0, 2.0, 0.5, 3.0, 0.1])),
    "ignore_index": lambda lib, x, r: F(lib).nll_loss(x, lib.tensor(LABELS), ignore_index=1,
                                                      reduction=r),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", NLL_CASES)
def test_nll_loss(case, reduction):
    check_op(lambda lib, x: NLL_CASES[case](lib, x, reduction), (4, 5), grad=True)


CE_CASES = {
    "indices": lambda lib, x, r, s: F(lib).cross_entropy(x, lib.tensor(TARGET), reduction=r,
                                                         label_smoothing=s),
    "weighted": lambda lib, x, r, s: F(lib).cross_entropy(
        x, lib.tensor(TARGET), lib.tensor([1.0, 2.0, 0.5, 3.0, 0.1]), reduction=r,
        label_smoothing=s),
    "unbatched": lambda lib, x, r, s: F(lib).cross_entropy(x[0], lib.tensor(3), reduction=r,
                                                           label_smoothing=s),
    "k_dims": lambda lib, x, r, s: F(lib).cross_entropy(
        x.reshape(2, 5, 2), lib.tensor(TARGET_ND[:, 0, :2]), reduction=r, label_smoothing=s,
        ignore_index=3),
    "probabilities": lambda lib, x, r, s: F(lib).cross_entropy(
        x, _probs(lib, x.detach() * 2), reduction=r, label_smoothing=s),
    "weighted_probabilities": lambda lib, x, r, s: F(lib).cross_entropy(
        x.reshape(2, 5, 2), _probs(lib, x.detach().reshape(2, 5, 2) - 1),
        lib.tensor([1.0, 2.0, 0.5, 3.0, 0.1]), reduction=r, label_smoothing=s),
}


@pytest.mark.parametrize("smoothing", [0.0, 0.25])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", CE_CASES)
def test_cross_entropy(case, reduction, smoothing):
    check_op(lambda lib, x: CE_CASES[case](lib, x, reduction, smoothing), (4, 5), grad=True)


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_large_logits_stay_finite(smoothing):
    e_out, _ = check_op(lambda lib, x: F(lib).cross_entropy(x * 1e4, lib.tensor(LABELS),
                                                            label_smoothing=smoothing),
                        (4, 5), grad=True)
    assert np.isfinite(e_out.item())


def test_all_targets_ignored_gives_nan_like_torch():
    check_op(lambda lib, x: F(lib).cross_entropy(x, lib.tensor([-100] * 4)), (4, 5), grad=True)


def test_second_order():
    check_op(lambda lib, x: F(lib).cross_entropy(x, lib.tensor(TARGET), label_smoothing=0.2),
             (4, 5), grad=True, gradgrad=True)
    check_op(lambda lib, x: F(lib).nll_loss(x, lib.tensor(LABELS), reduction="sum"), (4, 5),
             grad=True, gradgrad=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(reduction):
    check_op(lambda lib, x, y: F(lib).binary_cross_entropy(x.sigmoid(), y.sigmoid(),
                                                           reduction=reduction),
             (4, 5), (4, 5), grad=True)
    check_op(lambda lib, x, y: F(lib).binary_cross_entropy(
        x.sigmoid(), y.sigmoid().detach(), lib.tensor([0.5, 1.0, 2.0, 1.0, 0.3]),
        reduction=reduction), (4, 5), (4, 5), grad=True)


def test_binary_cross_entropy_clamps_the_log():
    exact = np.array([0.0, 1.0, 0.5, 1e-30], dtype="float32")
    check_arrays(lambda lib, x, y: F(lib).binary_cross_entropy(x, y), exact, exact[::-1].copy(),
                 grad=True)
    check_op(lambda lib, x, y: F(lib).binary_cross_entropy(x.sigmoid(), y.sigmoid()),
             (3, 4), (3, 4), grad=True, gradgrad=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weights", ["none", "weight", "pos_weight", "both"])
def test_binary_cross_entropy_with_logits(reduction, weights):
    def fn(lib, x, y):
        w = lib.tensor([0.5, 1.0, 2.0, 1.0, 0.3]) if weights in ("weight", "both") else None
        pw = lib.tensor([3.0, 1.0, 0.2, 1.0, 2.0]) if weights in ("pos_weight", "both") else None
        return F(lib).binary_cross_entropy_with_logits(x * 3, y.sigmoid(), w,
                                                       reduction=reduction, pos_weight=pw)

    check_op(fn, (4, 5), (4, 5), grad=True)


def test_binary_cross_entropy_with_logits_large_and_second_order():
    check_op(lambda lib, x, y: F(lib).binary_cross_entropy_with_logits(x * 1e4, y.sigmoid()),
             (4, 5), (4, 5), grad=True)
    check_op(lambda lib, x, y: F(lib).binary_cross_entropy_with_logits(
        x, y.sigmoid(), pos_weight=lib.tensor([3.0, 1.0, 0.2, 1.0, 2.0], dtype=x.dtype)),
        (4, 5), (4, 5), grad=True, gradgrad=True)


def test_binary_cross_entropy_dtypes():
    # the logits form takes the target's dtype, as torch's in-place kernel does
    check_op(lambda lib, x, y: F(lib).binary_cross_entropy_with_logits(x, y.sigmoid()),
             (3, 4), (3, 4), dtypes=["float32", "float64"], grad=True)
    check_op(lambda lib, x, y: F(lib).binary_cross_entropy_with_logits(x, y.sigmoid()),
             (3, 4), (3, 4), dtypes=["float64", "float32"], grad=True)


# -- regression and divergence losses ----------------------------------------------------------

POINTWISE = {
    "mse_loss": lambda lib, x, y, r: F(lib).mse_loss(x, y, reduction=r),
    "l1_loss": lambda lib, x, y, r: F(lib).l1_loss(x, y, reduction=r),
    "smooth_l1_loss": lambda lib, x, y, r: F(lib).smooth_l1_loss(x, y, reduction=r, beta=0.7),
    "smooth_l1_beta0": lambda lib, x, y, r: F(lib).smooth_l1_loss(x, y, reduction=r, beta=0.0),
    "huber_loss": lambda lib, x, y, r: F(lib).huber_loss(x, y, reduction=r, delta=1.5),
    "kl_div": lambda lib, x, y, r: F(lib).kl_div(x, y.exp(), reduction=r),
    "kl_div_log_target": lambda lib, x, y, r: F(lib).kl_div(x, y, reduction=r, log_target=True),
    "poisson": lambda lib, x, y, r: F(lib).poisson_nll_loss(x, y.exp(), reduction=r),
    "poisson_full": lambda lib, x, y, r: F(lib).poisson_nll_loss(
        x.exp(), y.exp() * 2, log_input=False, full=True, reduction=r),
    "gaussian": lambda lib, x, y, r: F(lib).gaussian_nll_loss(x, y, (x * y).abs().detach(),
                                                              reduction=r),
    "gaussian_full": lambda lib, x, y, r: F(lib).gaussian_nll_loss(
        x, y, (y * 0.1).exp()[:, :1], full=True, reduction=r),
    "hinge_embedding": lambda lib, x, y, r: F(lib).hinge_embedding_loss(
        x, lib.tensor(SIGNS)[:, None].expand(4, 5), margin=0.5, reduction=r),
    "margin_ranking": lambda lib, x, y, r: F(lib).margin_ranking_loss(
        x, y, lib.tensor(SIGNS)[:, None].expand(4, 5), margin=0.3, reduction=r),
    "soft_margin": lambda lib, x, y, r: F(lib).soft_margin_loss(x, y.detach().sign(),
                                                                reduction=r),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", POINTWISE)
def test_pointwise_losses(name, reduction):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # kl_div's 'mean' warning, in both libraries
        check_op(lambda lib, x, y: POINTWISE[name](lib, x, y, reduction), (4, 5), (4, 5),
                 grad=True)


def test_kl_div_batchmean():
    check_op(lambda lib, x, y: F(lib).kl_div(x, y.exp(), reduction="batchmean"), (4, 5), (4, 5),
             grad=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_weighted_regression_losses(name, reduction):
    check_op(lambda lib, x, y, w: getattr(F(lib), name)(
        x, y, reduction=reduction, weight=w.abs().detach()), (4, 5), (4, 5), (4, 5), grad=True)


def test_broadcast_target_warns_and_mixed_dtypes():
    with pytest.warns(UserWarning, match="target size"):
        check_op(lambda lib, x, y: F(lib).mse_loss(x, y), (4, 5), (5,), grad=True)
    check_op(lambda lib, x, y: F(lib).mse_loss(x, y), (4, 5), (4, 5),
             dtypes=["float32", "float64"], grad=True)
    # huber keeps the input's dtype (torch's own backward fails on this mix: values only)
    check_op(lambda lib, x, y: F(lib).huber_loss(x, y), (4, 5), (4, 5),
             dtypes=["float32", "float64"])


@pytest.mark.parametrize("size_average, reduce",
                         [(False, None), (None, False), (True, True), (False, True)])
def test_legacy_size_average_and_reduce(size_average, reduce):
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        check_op(lambda lib, x: F(lib).nll_loss(x, lib.tensor(LABELS), None, size_average,
                                                reduce=reduce), (4, 5), grad=True)
    with pytest.warns(UserWarning):
        check_op(lambda lib, x, y: F(lib).l1_loss(x, y, size_average, reduce), (4, 5), (4, 5),
                 grad=True)


# -- margin and embedding losses ---------------------------------------------------------------

MARGIN = {
    "multi_margin_p1": lambda lib, x, y, r: F(lib).multi_margin_loss(
        x, lib.tensor(LABELS), margin=0.7, reduction=r),
    "multi_margin_p2_weight": lambda lib, x, y, r: F(lib).multi_margin_loss(
        x, lib.tensor(LABELS), p=2, weight=lib.tensor([1.0, 2.0, 0.5, 3.0, 0.1]), reduction=r),
    "multi_margin_unbatched": lambda lib, x, y, r: F(lib).multi_margin_loss(
        x[0], lib.tensor(2), reduction=r),
    "multilabel_margin": lambda lib, x, y, r: F(lib).multilabel_margin_loss(
        x, lib.tensor(MULTILABEL), reduction=r),
    "multilabel_margin_unbatched": lambda lib, x, y, r: F(lib).multilabel_margin_loss(
        x[1], lib.tensor(MULTILABEL[1]), reduction=r),
    "multilabel_soft_margin": lambda lib, x, y, r: F(lib).multilabel_soft_margin_loss(
        x, y.sigmoid(), lib.tensor([1.0, 2.0, 0.5, 3.0, 0.1]), reduction=r),
    "multilabel_soft_margin_long": lambda lib, x, y, r: F(lib).multilabel_soft_margin_loss(
        x, (y > 0).long(), reduction=r),
    "cosine_embedding": lambda lib, x, y, r: F(lib).cosine_embedding_loss(
        x, y, lib.tensor(SIGNS), margin=0.2, reduction=r),
    "cosine_embedding_unbatched": lambda lib, x, y, r: F(lib).cosine_embedding_loss(
        x[0], y[0], lib.tensor(-1.0), reduction=r),
    "triplet": lambda lib, x, y, r: F(lib).triplet_margin_loss(x, y, x.flip(0), p=1.5,
                                                               reduction=r),
    "triplet_swap": lambda lib, x, y, r: F(lib).triplet_margin_loss(x, y, y.flip(0) * 2,
                                                                    swap=True, reduction=r),
    "triplet_distance": lambda lib, x, y, r: F(lib).triplet_margin_with_distance_loss(
        x, y, x.flip(0), distance_function=lambda a, b: (a - b).abs().sum(-1), swap=True,
        reduction=r),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", MARGIN)
def test_margin_losses(name, reduction):
    check_op(lambda lib, x, y: MARGIN[name](lib, x, y, reduction), (4, 5), (4, 5), grad=True)


def test_margin_losses_second_order():
    check_op(lambda lib, x: F(lib).multi_margin_loss(x, lib.tensor(LABELS), p=2), (4, 5),
             grad=True, gradgrad=True)
    check_op(lambda lib, x: F(lib).multilabel_margin_loss(x, lib.tensor(MULTILABEL)), (4, 5),
             grad=True, gradgrad=True)


# -- errors -------------------------------------------------------------------------------------

ERRORS = [
    lambda lib: F(lib).nll_loss(lib.zeros(3, 5), lib.tensor([1, 0, 5])),
    lambda lib: F(lib).nll_loss(lib.zeros(3, 5), lib.tensor([1, 0, -1])),
    lambda lib: F(lib).nll_loss(lib.zeros(3, 5), lib.tensor([1, 0])),
    lambda lib: F(lib).nll_loss(lib.zeros(3, 5), lib.tensor([1, 0, 2]).int()),
    lambda lib: F(lib).nll_loss(lib.zeros(3, 5), lib.tensor([1, 0, 2]).float()),
    lambda lib: F(lib).nll_loss(lib.zeros(3, 5), lib.tensor([1, 0, 2]), lib.ones(4)),
    lambda lib: F(lib).nll_loss(lib.zeros(3, 5), lib.tensor([1, 0, 2]), lib.ones(5).double()),
    lambda lib: F(lib).nll_loss(lib.zeros(3, 5, 2), lib.zeros(3, 3).long()),
    lambda lib: F(lib).nll_loss(lib.zeros(5), lib.tensor([2, 1])),
    lambda lib: F(lib).nll_loss(lib.zeros(()), lib.tensor(0)),
    lambda lib: F(lib).nll_loss(lib.zeros(3, 5), lib.tensor([1, 0, 2]), reduction="avg"),
    lambda lib: F(lib).cross_entropy(lib.zeros(3, 5), lib.tensor([1, 0, 2]),
                                     label_smoothing=1.5),
    lambda lib: F(lib).cross_entropy(lib.zeros(3, 5), lib.rand(3, 5), ignore_index=1),
    lambda lib: F(lib).cross_entropy(lib.zeros(3, 5), lib.ones(3, 5).long()),
    lambda lib: F(lib).binary_cross_entropy(lib.ones(3) * 2, lib.ones(3)),
    lambda lib: F(lib).binary_cross_entropy(lib.ones(3) / 2, lib.ones(3).double() / 2),
    lambda lib: F(lib).binary_cross_entropy(lib.ones(3) / 2, lib.ones(2) / 2),
    lambda lib: F(lib).binary_cross_entropy_with_logits(lib.ones(3), lib.ones(2)),
    lambda lib: F(lib).binary_cross_entropy_with_logits(
        lib.ones(3), lib.ones(3), pos_weight=lib.ones(3, requires_grad=True)),
    lambda lib: F(lib).soft_margin_loss(lib.ones(3), lib.ones(3, requires_grad=True)),
    lambda lib: F(lib).smooth_l1_loss(lib.ones(3), lib.ones(3), beta=-1.0),
    lambda lib: F(lib).huber_loss(lib.ones(3), lib.ones(3), delta=0.0),
    lambda lib: F(lib).mse_loss(lib.ones(3), lib.ones(3), weight=lib.ones(2)),
    lambda lib: F(lib).gaussian_nll_loss(lib.ones(3, 2), lib.ones(3, 2), lib.ones(2, 2)),
    lambda lib: F(lib).gaussian_nll_loss(lib.ones(3, 2), lib.ones(3, 2), -lib.ones(3, 2)),
    lambda lib: F(lib).multi_margin_loss(lib.zeros(3, 4), lib.tensor([1, 0, 4])),
    lambda lib: F(lib).multi_margin_loss(lib.zeros(3, 4), lib.tensor([1, 0])),
    lambda lib: F(lib).multi_margin_loss(lib.zeros(3, 4), lib.tensor([1, 0, 2]), p=3),
    lambda lib: F(lib).multi_margin_loss(lib.zeros(3, 0), lib.tensor([0, 0, 0])),
    lambda lib: F(lib).multilabel_margin_loss(lib.zeros(3, 4), lib.zeros(3, 3).long()),
    lambda lib: F(lib).multilabel_margin_loss(lib.zeros(1, 4), lib.tensor([[3, 4, -1, 1]])),
    lambda lib: F(lib).cosine_embedding_loss(lib.zeros(3, 4), lib.zeros(4), lib.ones(3)),
    lambda lib: F(lib).cosine_embedding_loss(lib.zeros(3, 4), lib.zeros(3, 4), lib.ones(3, 3)),
    lambda lib: F(lib).triplet_margin_loss(lib.zeros(3, 4), lib.zeros(3, 4), lib.zeros(4)),
    lambda lib: F(lib).triplet_margin_loss(lib.zeros(3, 4), lib.zeros(3, 4), lib.zeros(3, 4),
                                           margin=0),
    lambda lib: F(lib).margin_ranking_loss(lib.zeros(3), lib.zeros(3), lib.zeros(3, 1)),
]


@pytest.mark.parametrize("fn", ERRORS)
def test_errors_match_torch(fn):
    same_error(fn)


# -- modules ------------------------------------------------------------------------------------

MODULES = [
    ("CrossEntropyLoss", lambda lib: lib.nn.CrossEntropyLoss(
        weight=lib.tensor([1.0, 2.0, 0.5, 3.0, 0.1]), label_smoothing=0.1, ignore_index=0),
     lambda lib, x, y: lib.tensor(LABELS)),
    ("NLLLoss", lambda lib: lib.nn.NLLLoss(reduction="sum"), lambda lib, x, y: lib.tensor(LABELS)),
    ("BCELoss", lambda lib: lib.nn.BCELoss(), lambda lib, x, y: y.sigmoid(), "probabilities"),
    ("BCEWithLogitsLoss", lambda lib: lib.nn.BCEWithLogitsLoss(
        pos_weight=lib.tensor([3.0, 1.0, 0.2, 1.0, 2.0])), lambda lib, x, y: y.sigmoid()),
    ("MSELoss", lambda lib: lib.nn.MSELoss(), lambda lib, x, y: y),
    ("L1Loss", lambda lib: lib.nn.L1Loss(reduction="sum"), lambda lib, x, y: y),
    ("SmoothL1Loss", lambda lib: lib.nn.SmoothL1Loss(beta=0.5), lambda lib, x, y: y),
    ("HuberLoss", lambda lib: lib.nn.HuberLoss(delta=0.5), lambda lib, x, y: y),
    ("KLDivLoss", lambda lib: lib.nn.KLDivLoss(reduction="batchmean", log_target=True),
     lambda lib, x, y: y),
    ("PoissonNLLLoss", lambda lib: lib.nn.PoissonNLLLoss(), lambda lib, x, y: y.exp()),
    ("SoftMarginLoss", lambda lib: lib.nn.SoftMarginLoss(), lambda lib, x, y: y.sign()),
    ("MultiLabelMarginLoss", lambda lib: lib.nn.MultiLabelMarginLoss(),
     lambda lib, x, y: lib.tensor(MULTILABEL)),
    ("MultiLabelSoftMarginLoss", lambda lib: lib.nn.MultiLabelSoftMarginLoss(),
     lambda lib, x, y: y.sigmoid()),
    ("MultiMarginLoss", lambda lib: lib.nn.MultiMarginLoss(p=2, margin=0.5),
     lambda lib, x, y: lib.tensor(LABELS)),
    ("HingeEmbeddingLoss", lambda lib: lib.nn.HingeEmbeddingLoss(),
     lambda lib, x, y: y.sign()),
]


@pytest.mark.parametrize("case", MODULES, ids=[m[0] for m in MODULES])
def test_loss_modules(case):
    _, build, target, *probabilities = case
    t_module, e_module = twin(build)
    same_repr(e_module, t_module)
    assert list(e_module.state_dict()) == list(t_module.state_dict())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_op(lambda lib, x, y: (t_module if lib is torch else e_module)(
            x.sigmoid() if probabilities else x, target(lib, x, y).detach()), (4, 5), (4, 5),
            grad=True)


THREE_INPUTS = [
    (lambda lib: lib.nn.MarginRankingLoss(margin=0.2), (4,), True),
    (lambda lib: lib.nn.CosineEmbeddingLoss(margin=0.1), (4, 5), True),
    (lambda lib: lib.nn.TripletMarginLoss(margin=0.5, swap=True), (4, 5), False),
    (lambda lib: lib.nn.TripletMarginWithDistanceLoss(), (4, 5), False),
]


@pytest.mark.parametrize("build, shape, signed", THREE_INPUTS)
def test_three_input_loss_modules(build, shape, signed):
    t_module, e_module = twin(build)
    same_repr(e_module, t_module)

    def fn(lib, a, b, c):
        module = t_module if lib is torch else e_module
        return module(a, b, lib.tensor(SIGNS)) if signed else module(a, b, c)

    check_op(fn, shape, shape, shape, grad=True)


def test_gaussian_nll_module():
    check_op(lambda lib, x, y, v: lib.nn.GaussianNLLLoss(full=True)(x, y, v.exp()), (4, 5),
             (4, 5), (4, 5), grad=True)


def test_module_options_and_errors():
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert ember.nn.L1Loss(size_average=False, reduce=True).reduction == "sum"
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert ember.nn.MSELoss(reduce=False).reduction == "none"
    same_error(lambda lib: lib.nn.MultiMarginLoss(p=3))
    same_error(lambda lib: lib.nn.MultiMarginLoss(weight=lib.ones(2, 2)))
    same_error(lambda lib: lib.nn.TripletMarginLoss(margin=-1))
    buffers = ember.nn.BCEWithLogitsLoss(pos_weight=ember.ones(2))
    assert list(buffers.state_dict()) == ["pos_weight"]


# -- CTC -------------------------------------------------------------------------------------------

CTC_TARGETS = np.array([[2, 2, 4], [1, 3, 1], [4, 1, 2]])  # a repeated label needs a blank


def _ctc(lib, x, targets, input_lengths, target_lengths, **kwargs):
    log_probs = F(lib).log_softmax(x, x.ndim - 1)
    return F(lib).ctc_loss(log_probs, targets, input_lengths, target_lengths, **kwargs)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("lengths", [([6, 5, 6], [3, 2, 0]), ([6, 6, 4], [3, 3, 1])])
def test_ctc_loss(reduction, lengths):
    inputs, targets = lengths
    check_op(lambda lib, x: _ctc(lib, x, lib.tensor(CTC_TARGETS), lib.tensor(inputs),
                                 lib.tensor(targets), reduction=reduction), (6, 3, 5), grad=True)
    flat = np.concatenate([row[:n] for row, n in zip(CTC_TARGETS, targets)])
    check_op(lambda lib, x: _ctc(lib, x, lib.tensor(flat), inputs, tuple(targets),
                                 reduction=reduction), (6, 3, 5), grad=True)


def test_ctc_loss_options():
    # log_probs used directly: torch's gradient is the one through log_softmax's logits
    check_op(lambda lib, x: F(lib).ctc_loss(x, lib.tensor(CTC_TARGETS), [6, 5, 6], [3, 2, 2]),
             (6, 3, 5), grad=True)
    check_op(lambda lib, x: _ctc(lib, x, lib.tensor(CTC_TARGETS[0]), lib.tensor(6),
                                 lib.tensor(3), reduction="none"), (6, 5), grad=True)
    check_op(lambda lib, x: _ctc(lib, x, lib.tensor(CTC_TARGETS) - 1, [6, 5, 6], [3, 2, 2],
                                 blank=4), (6, 3, 5), dtype="float64", grad=True)
    t_module, e_module = twin(lambda lib: lib.nn.CTCLoss(blank=0, zero_infinity=True))
    same_repr(e_module, t_module)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_impossible_alignments(reduction, zero_infinity):
    # too few time steps for the targets: an infinite loss, or 0 (and no gradient) when asked
    check_op(lambda lib, x: _ctc(lib, x, lib.tensor(CTC_TARGETS), [1, 1, 1], [3, 2, 2],
                                 reduction=reduction, zero_infinity=zero_infinity),
             (6, 3, 5), grad=True)


CTC_ERRORS = [
    lambda lib: F(lib).ctc_loss(lib.zeros(6, 3, 5), lib.ones(3, 3).long(), [7, 5, 6], [3, 2, 2]),
    lambda lib: F(lib).ctc_loss(lib.zeros(6, 3, 5), lib.ones(3, 3).long(), [6, 5, 6], [4, 2, 2]),
    lambda lib: F(lib).ctc_loss(lib.zeros(6, 3, 5), lib.ones(3, 3).long(), [6, 5, 6], [3, 2, 2],
                                blank=5),
    lambda lib: F(lib).ctc_loss(lib.zeros(6, 3, 5), lib.ones(3, 3).long(), [6, 5], [3, 2, 2]),
]


@pytest.mark.parametrize("fn", CTC_ERRORS)
def test_ctc_errors(fn):
    same_error(fn)
