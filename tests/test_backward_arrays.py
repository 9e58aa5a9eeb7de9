"""The engine's two ways through a node: a plain backward runs ``backward_arrays`` on raw arrays,
create_graph runs the tensor ``backward``. Both must give the same gradients bit for bit (and
torch's values): every op with an array formula is run both ways here."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import TOLERANCES, dtype_name, to_numpy

import ember
import ember.nn.functional as F

RNG = np.random.default_rng(7)


def _data(shape, dtype):
    values = RNG.uniform(-2, 2, size=shape)
    if dtype.startswith("complex"):
        values = values + 1j * RNG.uniform(-2, 2, size=shape)
    return values.astype("float32" if dtype == "bfloat16" else dtype)


def _leaves(lib, arrays, dtype):
    return [lib.tensor(a).to(getattr(lib, dtype)).requires_grad_() for a in arrays]


def _both_ways(fn, arrays, dtype):
    """Gradients of sum(fn(*x) * weight) by the plain backward and by create_graph."""
    results = []
    for create_graph in (False, True):
        leaves = _leaves(ember, arrays, dtype)
        out = fn(ember, *leaves)
        weight = ember.tensor(_weight(out.shape, dtype, 0)).to(out.dtype)
        if create_graph:
            grads = ember.autograd.grad(out, leaves, weight, create_graph=True)
        else:
            out.backward(weight)
            grads = [leaf.grad for leaf in leaves]
        results.append(grads)
    return results


def _weight(shape, dtype, seed):
    values = np.random.default_rng(seed).uniform(-1, 1, size=shape)
    if dtype.startswith("complex"):
        values = values + 1j * np.random.default_rng(seed + 1).uniform(-1, 1, size=shape)
    return values.astype("float32" if dtype == "bfloat16" else dtype)


def _torch_grads(fn, arrays, dtype):
    leaves = _leaves(torch, arrays, dtype)
    out = fn(torch, *leaves)
    weight = torch.tensor(_weight(tuple(out.shape), dtype, 0)).to(out.dtype)
    out.backward(weight)
    return [leaf.grad for leaf in leaves]


CASES = {
    "add": (lambda lib, a, b: a + b, [(3, 4), (4,)]),
    "add_alpha": (lambda lib, a, b: lib.add(a, b, alpha=2.5), [(3, 4), (3, 4)]),
    "sub": (lambda lib, a, b: a - b, [(2, 3), (2, 3)]),
    "sub_alpha": (lambda lib, a, b: lib.sub(a, b, alpha=0.5), [(2, 3), (1, 3)]),
    "neg": (lambda lib, a: -a, [(5,)]),
    "mul": (lambda lib, a, b: a * b, [(3, 1), (1, 4)]),
    "mul_scalar": (lambda lib, a: a * 1.7, [(6,)]),
    "sum_all": (lambda lib, a: a.sum() * a.sum(), [(3, 5)]),
    "sum_dim": (lambda lib, a: a.sum(1), [(3, 5, 2)]),
    "mean": (lambda lib, a: a.mean((0, 2), keepdim=True), [(3, 5, 7)]),
    "mean_large": (lambda lib, a: a.mean(), [(70, 70)]),
    "views": (lambda lib, a: a.view(4, 3).unsqueeze(0).squeeze(0).reshape(2, 6), [(3, 4)]),
    "permute": (lambda lib, a: a.permute(2, 0, 1).transpose(0, 1) * 1.5, [(2, 3, 4)]),
    "t_expand": (lambda lib, a: a.t().expand(2, 3, 3), [(3, 1)]),
    "relu": (lambda lib, a: lib.relu(a), [(4, 5)]),
    "threshold": (lambda lib, a: (F if lib is ember else TF).threshold(a, 0.3, -1.0), [(4, 5)]),
    "softmax": (lambda lib, a: lib.softmax(a, 1), [(3, 6)]),
    "log_softmax": (lambda lib, a: lib.log_softmax(a, 0), [(3, 6)]),
    "mm": (lambda lib, a, b: a @ b, [(3, 4), (4, 5)]),
    "linear": (lambda lib, x, w, b: (F if lib is ember else TF).linear(x, w, b),
               [(5, 4), (3, 4), (3,)]),
    "linear_batched": (lambda lib, x, w, b: (F if lib is ember else TF).linear(x, w, b),
                       [(2, 5, 4), (3, 4), (3,)]),
    "linear_no_bias": (lambda lib, x, w: (F if lib is ember else TF).linear(x, w),
                       [(5, 4), (3, 4)]),
    "conv2d": (lambda lib, x, w, b: (F if lib is ember else TF).conv2d(x, w, b, padding=1),
               [(2, 3, 6, 6), (4, 3, 3, 3), (4,)]),
    "conv2d_groups": (lambda lib, x, w: (F if lib is ember else TF).conv2d(x, w, stride=2,
                                                                            groups=2),
                      [(1, 4, 7, 7), (6, 2, 3, 3)]),
    "max_pool2d": (lambda lib, x: (F if lib is ember else TF).max_pool2d(x, 2), [(2, 3, 6, 6)]),
    "max_pool2d_overlap": (lambda lib, x: (F if lib is ember else TF).max_pool2d(x, 3, 1),
                           [(1, 2, 5, 5)]),
    "avg_pool2d": (lambda lib, x: (F if lib is ember else TF).avg_pool2d(x, 2), [(2, 3, 6, 6)]),
    "adaptive_max_pool2d": (lambda lib, x: (F if lib is ember else TF).adaptive_max_pool2d(
        x, (2, 3)), [(1, 2, 5, 7)]),
}

# integer-valued losses have no float input gradient: nll_loss is checked on its own below
DTYPES = ["float32", "float64", "float16", "bfloat16", "complex64"]
REAL_ONLY = {"relu", "threshold", "softmax", "log_softmax", "conv2d", "conv2d_groups",
             "max_pool2d", "max_pool2d_overlap", "avg_pool2d", "adaptive_max_pool2d"}


def _assert_bitwise(plain, tensor_path):
    for p, t in zip(plain, tensor_path):
        np.testing.assert_array_equal(to_numpy(p), to_numpy(t))
        assert p.dtype is t.dtype and p.shape == t.shape


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(CASES))
def test_array_and_tensor_backward_agree(name, dtype):
    if dtype.startswith("complex") and name in REAL_ONLY:
        pytest.skip("real-only op")
    fn, shapes = CASES[name]
    arrays = [_data(s, dtype) for s in shapes]
    plain, tensor_path = _both_ways(fn, arrays, dtype)
    _assert_bitwise(plain, tensor_path)
    if dtype in ("float16", "bfloat16") and name in ("conv2d", "conv2d_groups", "mm",
                                                      "linear", "linear_batched",
                                                      "linear_no_bias", "mean_large"):
        return  # half-precision GEMMs and long sums round differently from torch's kernels
    expected = _torch_grads(fn, arrays, dtype)
    rtol, atol = TOLERANCES[dtype_name(dtype)]
    wide = np.complex128 if dtype.startswith("complex") else np.float64
    for got, want in zip(plain, expected):
        np.testing.assert_allclose(to_numpy(got).astype(wide), to_numpy(want).astype(wide),
                                   rtol=rtol * 4, atol=atol * 4)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss_both_ways(reduction, weighted):
    scores = _data((6, 4), "float32")
    target = np.array([0, 3, 1, 1, 2, 3])
    weight = np.array([0.5, 1.0, 2.0, 0.25], np.float32) if weighted else None

    def fn(lib, x):
        f = F if lib is ember else TF
        w = None if weight is None else lib.tensor(weight)
        return f.nll_loss(f.log_softmax(x, 1), lib.tensor(target), weight=w,
                          ignore_index=1 if weighted else -100, reduction=reduction)

    plain, tensor_path = _both_ways(fn, [scores], "float32")
    _assert_bitwise(plain, tensor_path)
    np.testing.assert_allclose(to_numpy(plain[0]), to_numpy(_torch_grads(fn, [scores],
                                                                          "float32")[0]),
                               rtol=1e-5, atol=1e-6)


def test_hooks_see_tensors_on_the_plain_path():
    """A node with hooks runs its tensor backward: hooks get (and may replace) tensors."""
    seen = []
    x = ember.ones(3, requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: seen.append(type(g)) or g * 10)
    (y * y).sum().backward()
    assert seen == [ember.Tensor]
    np.testing.assert_array_equal(x.grad.numpy(), np.full(3, 80.0, np.float32))
