"""Printing battery: ember's repr must be torch's text with ``torch.`` replaced by ``ember.``.

Both tensors are built from the same NumPy array. Ours is a small stand-in that carries only what
the printer reads (``_data``, ``dtype``, ``device``, ``requires_grad``, ``grad_fn``), so this file
tests the printer on its own; ``test_real_tensor_repr`` checks the real ``ember.tensor`` once the
core provides it.
"""

import math

import ml_dtypes
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ember import _dtype
from ember._tensor_str import get_printoptions, printoptions, set_printoptions, tensor_repr

DTYPES = [
    "bool",
    "uint8",
    "int8",
    "int16",
    "int32",
    "int64",
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "complex64",
    "complex128",
]
NP_DTYPES = {name: np.dtype(ml_dtypes.bfloat16 if name == "bfloat16" else name) for name in DTYPES}
FLOATS = ["float16", "bfloat16", "float32", "float64", "complex64", "complex128"]
NAN, INF = math.nan, math.inf


class _GradFn:
    def __init__(self, name):
        self._name = name

    def name(self):
        return self._name


class _StandIn:
    """The fields of an ember Tensor that the printer reads."""

    def __init__(self, data, requires_grad=False, grad_fn=None, device="cpu"):
        self._data = data
        self.dtype = _dtype.from_numpy_dtype(data.dtype)
        self.shape = data.shape
        self.requires_grad = requires_grad
        self.grad_fn = grad_fn
        self.is_leaf = grad_fn is None
        self.device = device


def _to_torch(a):
    if a.dtype == ml_dtypes.bfloat16:  # torch.from_numpy has no bfloat16; float32 holds it exactly
        return torch.from_numpy(a.astype(np.float32)).to(torch.bfloat16)
    return torch.from_numpy(a.copy())


def _to_numpy(t):
    t = t.detach()
    if t.dtype == torch.bfloat16:
        return t.float().numpy().astype(ml_dtypes.bfloat16)
    return t.numpy().copy()


def check(tt):
    """Compare ember's text with torch's for the torch tensor ``tt``."""
    grad_fn = None if tt.grad_fn is None else _GradFn(type(tt.grad_fn).__name__)
    ours = _StandIn(_to_numpy(tt), requires_grad=tt.requires_grad, grad_fn=grad_fn)
    expected = repr(tt).replace("torch.", "ember.")
    assert tensor_repr(ours) == expected


def check_array(a, grad=None):
    """Check a NumPy array; grad is None, "leaf" (requires_grad=True) or "mul" (a MulBackward0)."""
    tt = _to_torch(np.asarray(a))
    if grad is not None:
        tt.requires_grad_()
        if grad == "mul":
            tt = tt * 1
    check(tt)


@pytest.fixture(autouse=True)
def _restore_options():
    yield
    torch.set_printoptions(profile="default")
    set_printoptions(profile="default")
    torch.set_default_dtype(torch.float32)
    _dtype.set_default_dtype(_dtype.float32)


def _both(**options):
    torch.set_printoptions(**options)
    set_printoptions(**options)


HAND_PICKED = [
    ([1, 2, 3], "int64"),
    ([-1, 100000, 7], "int32"),
    ([2**62, -(2**63)], "int64"),
    (list(range(0, 256, 15)), "uint8"),
    ([-128, 127, 0], "int8"),
    ([-32768, 5], "int16"),
    ([True, False], "bool"),
    (True, "bool"),
    (7, "int64"),
    (-3, "int16"),
    ([1.0, 2.0], "float32"),
    ([1.5, -2.25], "float32"),
    ([1e-5, 1.0], "float32"),
    ([1e10], "float32"),
    ([123456789.0], "float64"),
    ([0.1, 1000.1], "float64"),
    ([0.1, 100.0], "float64"),
    ([NAN, INF, -INF, 0.0], "float32"),
    ([NAN], "float32"),
    ([NAN, 0.0], "float64"),
    ([0.0, -0.0], "float32"),
    ([-0.0, 1.0], "float32"),
    ([-0.0, 1.5], "float64"),
    ([65504.0, 1e-7], "float16"),
    ([1 / 3], "float64"),
    ([1 / 3, 3e38], "bfloat16"),
    ([1e-45, 1.0], "float32"),
    ([5e-324], "float64"),
    ([1e308, 1e-308], "float64"),
    ([9.99996, 1.0], "float64"),
    ([99999999.0], "float32"),
    ([100000000.0, 1.0], "float64"),
    ([0.0001, 0.5], "float64"),
    ([0.00009999], "float64"),
    (3.5, "float32"),
    (-0.0, "float64"),
    (NAN, "float16"),
    (1e-20, "float32"),
    ([1.0, 2.5], "float16"),
    ([256.0, 3.0], "bfloat16"),
    (2.0, "bfloat16"),
    ([1 + 2j, 3 - 4j], "complex64"),
    ([complex(NAN, 1), complex(INF, -INF)], "complex64"),
    ([1e-10 + 1e10j], "complex128"),
    ([complex(-0.0, -0.0), complex(0.0, 0.0)], "complex128"),
    (1.5 - 2j, "complex128"),
    ([1j, 2.5j], "complex64"),
    ([complex(1, NAN)], "complex128"),
]


@pytest.mark.parametrize("values,dtype", HAND_PICKED)
def test_hand_picked(values, dtype):
    check_array(np.array(values, NP_DTYPES[dtype]))


SHAPED = [
    lambda: np.zeros((0,), np.float32),
    lambda: np.zeros((0, 3), np.float32),
    lambda: np.zeros((2, 0), np.int64),
    lambda: np.zeros((3, 0, 2), np.bool_),
    lambda: np.zeros((0,), np.int64),
    lambda: np.zeros((0,), np.complex64),
    lambda: np.zeros((0, 1), ml_dtypes.bfloat16),
    lambda: np.ones((1, 1, 1), np.float64),
    lambda: np.arange(2000.0).reshape(2, 1000),
    lambda: np.arange(2000).reshape(10, 10, 10, 2),
    lambda: np.arange(1001),
    lambda: np.arange(1000),
    lambda: np.arange(24).reshape(2, 3, 4),
    lambda: np.arange(100.0),
    lambda: np.arange(100.0) / 7,
    lambda: np.arange(5000.0) * 1e6,
    lambda: np.random.default_rng(0).normal(size=(5, 30)),
    lambda: np.random.default_rng(1).normal(size=(3, 4, 5)).astype(np.float32) * 1e5,
    lambda: np.random.default_rng(2).normal(size=(40, 40)).astype(np.complex64) * (1 + 1j),
    lambda: np.random.default_rng(3).integers(-(10**12), 10**12, size=(7, 9)),
    lambda: (np.arange(1200) % 2).astype(bool),
    lambda: np.arange(60.0).reshape(3, 20) - 30,
]


@pytest.mark.parametrize("make", SHAPED)
def test_shapes(make):
    check_array(make())


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("n", [1, 3, 9, 10, 11, 12, 13, 14, 1001])
@pytest.mark.parametrize("grad", ["leaf", "mul"])
def test_grad_suffixes_wrap(dtype, n, grad):
    # Lengths around the point where "dtype=" and "grad_fn=" no longer fit on the last line.
    check_array((np.arange(n) * 1.25 - 3).astype(NP_DTYPES[dtype]), grad=grad)


@pytest.mark.parametrize("grad", ["leaf", "mul"])
def test_grad_suffix_scalar_and_empty(grad):
    check_array(np.array(3.5, np.float32), grad=grad)
    check_array(np.zeros((0, 2), np.float64), grad=grad)


OPTIONS = [
    {"precision": 2},
    {"precision": 10},
    {"precision": 0},
    {"threshold": 5},
    {"edgeitems": 1},
    {"edgeitems": 0},
    {"edgeitems": 0, "threshold": 5},
    {"linewidth": 40},
    {"linewidth": 200},
    {"linewidth": 5},
    {"profile": "short"},
    {"profile": "full"},
    {"sci_mode": True},
    {"sci_mode": False},
    {"profile": "short", "precision": 6},
    {"threshold": 0},
]
OPTION_ARRAYS = [
    lambda: np.arange(2000.0).reshape(2, 1000),
    lambda: np.arange(10),
    lambda: np.arange(20) * 1.5,
    lambda: np.arange(20).reshape(4, 5),
    lambda: np.array([1e-5, 1.0, 123.456]),
    lambda: np.array(2.25, np.float32),
    lambda: np.array([1 + 1e-6j, -2j], np.complex128),
    lambda: np.zeros((0, 3), np.float32),
    lambda: np.arange(1500, dtype=np.int16),
]


@pytest.mark.parametrize("options", OPTIONS, ids=str)
@pytest.mark.parametrize("make", OPTION_ARRAYS)
def test_printoptions(options, make):
    _both(**options)
    check_array(make())
    check_array(np.arange(12.0).astype(np.float16), grad="mul")


def test_get_printoptions_and_context_manager():
    defaults = {
        "precision": 4,
        "threshold": 1000,
        "edgeitems": 3,
        "linewidth": 80,
        "sci_mode": None,
    }
    assert get_printoptions() == defaults == torch._tensor_str.get_printoptions()
    with printoptions(precision=1, sci_mode=True):
        assert get_printoptions()["precision"] == 1
        assert tensor_repr(_StandIn(np.array([1.25]))) == "tensor([1.2e+00], dtype=ember.float64)"
    assert get_printoptions() == defaults
    set_printoptions(profile="full", linewidth=100)
    assert get_printoptions()["threshold"] == math.inf
    assert get_printoptions()["linewidth"] == 100


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "complex128", "int64"])
def test_default_dtype_float64(dtype):
    torch.set_default_dtype(torch.float64)
    _dtype.set_default_dtype(_dtype.float64)
    check_array(np.array([1.5, 2.0]).astype(dtype))
    check_array(np.zeros((0,)).astype(dtype))
    check_array(np.zeros((2, 0)).astype(dtype))


def test_device_suffix():
    # torch on CPU cannot show this; the text is torch's for a CUDA tensor.
    ours = _StandIn(np.array([1.0, 2.0], np.float32), device="cuda:0")
    assert tensor_repr(ours) == "tensor([1., 2.], device='cuda:0')"
    ours = _StandIn(np.array([1, 2], np.int32), requires_grad=False, device="cuda:1")
    assert tensor_repr(ours) == "tensor([1, 2], device='cuda:1', dtype=ember.int32)"


def test_cupy_like_data_is_copied_to_host():
    class FakeCupy:
        def __init__(self, a):
            self.a = a

        def get(self):
            return self.a

    ours = _StandIn(np.array([1.0, 2.0]))
    ours._data = FakeCupy(np.array([1.0, 2.0]))
    assert tensor_repr(ours) == "tensor([1., 2.], dtype=ember.float64)"


# ---- hypothesis: random arrays over dtypes and shapes -------------------------------------------

_special = st.sampled_from([NAN, INF, -INF, 0.0, -0.0])
_float_elements = st.one_of(
    st.integers(-1000, 1000).map(float),
    st.floats(-1e3, 1e3),
    _special,
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)


@st.composite
def arrays(draw, max_side=6):
    dtype = draw(st.sampled_from(DTYPES))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=max_side))
    if dtype == "bool" or dtype.startswith(("int", "uint")):
        ints = st.integers(-5, 20) if dtype != "bool" else st.booleans()
        return draw(
            hnp.arrays(
                NP_DTYPES[dtype],
                shape,
                elements=st.one_of(
                    hnp.from_dtype(NP_DTYPES[dtype]), ints.map(lambda v: np.array(v).astype(dtype))
                ),
            )
        )
    scale = 10.0 ** draw(st.integers(-12, 12))
    values = np.asarray(draw(hnp.arrays(np.float64, shape, elements=_float_elements)) * scale)
    if dtype.startswith("complex"):
        imag = draw(hnp.arrays(np.float64, shape, elements=_float_elements))
        values = np.array(values, np.complex128)
        values.imag = imag  # set directly: values + 1j * inf would give nan+infj
    with np.errstate(over="ignore", invalid="ignore"):
        return values.astype(NP_DTYPES[dtype])


_settings = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@_settings
@given(arrays(), st.sampled_from([None, "leaf", "mul"]))
def test_hypothesis_arrays(a, grad):
    check_array(a, grad=grad if a.dtype.kind not in "biu" else None)


@_settings
@given(
    arrays(max_side=12),
    st.fixed_dictionaries(
        {},
        optional={
            "precision": st.integers(0, 8),
            "threshold": st.integers(0, 60),
            "edgeitems": st.integers(0, 4),
            "linewidth": st.integers(10, 120),
            "sci_mode": st.sampled_from([True, False]),
            "profile": st.sampled_from(["short", "full"]),
        },
    ),
)
def test_hypothesis_printoptions(a, options):
    _both(**options)
    try:
        check_array(a)
    finally:
        _both(profile="default")


def _real_ember():
    import ember

    if not callable(getattr(ember, "tensor", None)):
        pytest.skip("ember.tensor is not available yet")
    return ember


@pytest.mark.parametrize(
    "make", [lambda v=v, d=d: np.array(v, NP_DTYPES[d]) for v, d in HAND_PICKED] + SHAPED
)
def test_real_tensor_battery(make):
    ember = _real_ember()
    a = make()
    if a.dtype == ml_dtypes.bfloat16:
        ours = ember.from_numpy(a.astype(np.float32)).to(ember.bfloat16)
    else:
        ours = ember.from_numpy(a.copy())
    assert repr(ours) == str(ours) == repr(_to_torch(a)).replace("torch.", "ember.")


def test_real_tensor_repr():
    ember = _real_ember()
    assert repr(ember.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert str(ember.tensor([1.0, 2.0], dtype=ember.float64)) == (
        "tensor([1., 2.], dtype=ember.float64)"
    )
    assert repr(ember.tensor([[1, 2], [3, 4]])) == "tensor([[1, 2],\n        [3, 4]])"
    x = ember.tensor([1.5, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1.5000, 2.0000], requires_grad=True)"
    assert repr(x * 2) == "tensor([3., 4.], grad_fn=<MulBackward0>)"
