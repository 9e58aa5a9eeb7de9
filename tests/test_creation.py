"""Tensor creation and conversion against torch: tensor / as_tensor / from_numpy, the legacy
constructors, factories (exact values for arange, range, linspace, logspace), *_like and new_*,
dtype conversions, and the way out to Python and NumPy; devices without CUDA."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
from tests.helpers import assert_same, check_error, check_op, torch


def same(fn):
    """fn(lib) gives the same result (type, shape, dtype, exact values) in ember as in torch."""
    t_out, e_out = fn(torch), fn(ember)
    assert_same(e_out, t_out, rtol=1e-7, atol=0)
    if isinstance(t_out, torch.Tensor):  # exact, not merely close
        expected = t_out.detach().to(torch.float64 if not t_out.is_complex() else t_out.dtype)
        actual = np.asarray(e_out.detach().to(ember.float64 if not e_out.is_complex()
                                              else e_out.dtype))
        np.testing.assert_array_equal(actual, expected.numpy())
    return e_out, t_out


def raises_same(fn):
    """Both raise, with the same exception class."""
    with pytest.raises(Exception) as t_info:
        fn(torch)
    with pytest.raises(Exception) as e_info:
        fn(ember)
    assert e_info.type is t_info.type, f"ember {e_info.value!r}, torch {t_info.value!r}"


# -- tensor(): dtype inference from Python and NumPy data ------------------------------------

DATA = {
    "bools": [True, False],
    "ints": [1, 2, 3],
    "floats": [1.5, -2.0],
    "int_and_float": [1, 2.5],
    "bool_and_int": [True, 2],
    "complex": [1 + 2j, 3],
    "bool_and_complex": [True, 1.5j],
    "nested": [[1, 2], [3, 4]],
    "nested_float": [[1.0, 2], [3, 4]],
    "tuple": (1, 2.5),
    "int_scalar": 3,
    "float_scalar": 3.5,
    "bool_scalar": True,
    "complex_scalar": 1j,
    "empty": [],
    "empty_nested": [[], []],
    "range": range(3),
    "np_int32_array": np.array([1, 2], dtype=np.int32),
    "np_float16_array": np.array([1.5, 2], dtype=np.float16),
    "np_bool_array": np.array([True, False]),
    "np_float32_scalar": np.float32(1.5),
    "np_int16_scalar": np.int16(3),
    "list_np_float32": [np.float32(1.5), 2],
    "list_np_float64": [np.float64(1.5), 2],
    "list_np_int32": [np.int32(1), 2],
    "list_np_int16": [np.int16(1)],
    "list_int_np_float16": [1, np.float16(2.5)],
    "list_np_float32_float64": [np.float32(1.5), np.float64(2.5)],
    "list_of_arrays": [np.array([1, 2], dtype=np.int16)],
    "big_int": [2**63 - 1],
}


@pytest.mark.parametrize("name", list(DATA))
def test_tensor_infers_dtype(name):
    same(lambda lib: lib.tensor(DATA[name]))


def test_tensor_from_tensors():
    same(lambda lib: lib.tensor([lib.tensor(1), lib.tensor(2)]))
    same(lambda lib: lib.tensor([lib.tensor(1, dtype=lib.int16), 2]))
    same(lambda lib: lib.tensor([lib.tensor(1.5, dtype=lib.float64), 2.5]))


@pytest.mark.parametrize("dtype", ["float64", "int32", "bool", "float16", "complex64", "uint8"])
def test_tensor_with_dtype(dtype):
    same(lambda lib: lib.tensor([[0, 1.5], [2, 3]], dtype=getattr(lib, dtype)))


@pytest.mark.parametrize("data", [[[1, 2], [3]], [1, [2]], [[1], 2], "abc", [1, None],
                                  [[1, 2], [3, 4, 5]], 2**63])
def test_tensor_bad_data(data):
    raises_same(lambda lib: lib.tensor(data))


def test_tensor_copies():
    array = np.arange(3.0)
    t = ember.tensor(array)
    array[0] = 10
    assert t.tolist() == [0.0, 1.0, 2.0]
    source = ember.ones(2)
    copy = ember.tensor(source)
    source.add_(1)
    assert copy.tolist() == [1.0, 1.0]


def test_tensor_requires_grad():
    same(lambda lib: lib.tensor([1.0, 2.0], requires_grad=True))
    raises_same(lambda lib: lib.tensor([1, 2], requires_grad=True))


# -- as_tensor, from_numpy: shared memory --------------------------------------------------------


def test_as_tensor():
    array = np.arange(4.0)
    shared = ember.as_tensor(array)
    array[0] = 7
    assert shared[0].item() == 7.0
    copied = ember.as_tensor(array, dtype=ember.float32)
    array[1] = 9
    assert copied.dtype is ember.float32 and copied[1].item() == 1.0
    t = ember.ones(2)
    assert ember.as_tensor(t) is t
    same(lambda lib: lib.as_tensor([1, 2], dtype=lib.float16))
    same(lambda lib: lib.as_tensor(np.array([1, 2], dtype=np.int8)))


def test_from_numpy_shares_memory_both_ways():
    array = np.zeros((2, 3), dtype=np.float32)
    t = ember.from_numpy(array)
    array[0, 0] = 1
    assert t[0, 0].item() == 1.0
    t[1, 2] = 5
    assert array[1, 2] == 5
    t.add_(1)
    assert array[0, 0] == 2
    assert t.dtype is ember.float32


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int8", "int16", "int32", "int64", "float16",
                                   "float32", "float64", "complex64", "complex128"])
def test_from_numpy_dtypes(dtype):
    same(lambda lib: lib.from_numpy(np.arange(4).astype(dtype)))


def test_from_numpy_errors():
    raises_same(lambda lib: lib.from_numpy(np.arange(4)[::-1]))
    raises_same(lambda lib: lib.from_numpy(np.array(["a"])))
    raises_same(lambda lib: lib.from_numpy([1, 2]))


# -- legacy constructors ---------------------------------------------------------------------

LEGACY = {
    "sizes": lambda lib: lib.Tensor(2, 3).zero_(),
    "one_size": lambda lib: lib.Tensor(1).zero_(),
    "size_object": lambda lib: lib.Tensor(lib.Size([2])).zero_(),
    "empty": lambda lib: lib.Tensor(),
    "data": lambda lib: lib.Tensor([1, 2]),
    "nested_data": lambda lib: lib.Tensor([[1, 2.5], [3, 4]]),
    "ndarray": lambda lib: lib.Tensor(np.array([1, 2])),
    "FloatTensor": lambda lib: lib.FloatTensor([1, 2]),
    "DoubleTensor": lambda lib: lib.DoubleTensor([1.5, 2]),
    "LongTensor": lambda lib: lib.LongTensor([1.7, -2.2]),
    "IntTensor": lambda lib: lib.IntTensor([1, 2]),
    "BoolTensor": lambda lib: lib.BoolTensor([1, 0]),
    "ByteTensor": lambda lib: lib.ByteTensor(3).zero_(),
    "HalfTensor": lambda lib: lib.HalfTensor([0.5]),
    "ShortTensor": lambda lib: lib.ShortTensor([[1], [2]]),
    "CharTensor": lambda lib: lib.CharTensor([-1]),
}


@pytest.mark.parametrize("name", list(LEGACY))
def test_legacy_constructor(name):
    same(LEGACY[name])


def test_legacy_tensor_of_tensor_is_an_alias():
    long = ember.tensor([1, 2])
    assert ember.Tensor(long) is long  # torch.Tensor(t) returns t itself, any dtype


@pytest.mark.parametrize("args", [(2.5,), (2, 3.0), ([[1, 2], [3]],)])
def test_legacy_constructor_errors(args):
    raises_same(lambda lib: lib.Tensor(*args))


def test_legacy_one_is_a_size_tensor_one_is_a_value():
    assert ember.Tensor(1).shape == (1,) and ember.Tensor(1).dtype is ember.float32
    assert ember.tensor(1).shape == () and ember.tensor(1).dtype is ember.int64


def test_legacy_isinstance():
    f, d, i64 = ember.ones(2), ember.ones(2, dtype=ember.float64), ember.tensor([1])
    assert isinstance(f, ember.FloatTensor) and not isinstance(f, ember.DoubleTensor)
    assert isinstance(d, ember.DoubleTensor) and isinstance(i64, ember.LongTensor)
    assert isinstance(ember.tensor([True]), ember.BoolTensor)
    assert isinstance(ember.tensor([1], dtype=ember.uint8), ember.ByteTensor)
    assert isinstance(ember.tensor([1], dtype=ember.int32), ember.IntTensor)
    assert not isinstance(np.ones(2), ember.FloatTensor)
    assert isinstance(ember.FloatTensor(2), ember.Tensor)
    assert isinstance(f, ember.Tensor)


def test_legacy_default_dtype():
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.Tensor([1, 2]).dtype is ember.float64
        assert ember.FloatTensor([1]).dtype is ember.float32
    finally:
        ember.set_default_dtype(ember.float32)


# -- factories -------------------------------------------------------------------------------

FACTORIES = {
    "zeros": lambda lib: lib.zeros(2, 3),
    "zeros_tuple": lambda lib: lib.zeros((2, 3), dtype=lib.int32),
    "zeros_list": lambda lib: lib.zeros([2, 1]),
    "zeros_size": lambda lib: lib.zeros(lib.Size([3])),
    "zeros_scalar": lambda lib: lib.zeros(()),
    "zeros_empty_dim": lambda lib: lib.zeros(0, 3),
    "ones": lambda lib: lib.ones(3, dtype=lib.bool),
    "ones_0dim": lambda lib: lib.ones([]),
    "ones_requires_grad": lambda lib: lib.ones(2, requires_grad=True),
    "empty_shape": lambda lib: lib.empty(2, 3).zero_(),
    "full_int": lambda lib: lib.full((2,), 1),
    "full_float": lambda lib: lib.full((2, 2), 1.5),
    "full_bool": lambda lib: lib.full([], True),
    "full_complex": lambda lib: lib.full((2,), 1j),
    "full_dtype": lambda lib: lib.full((2,), 7, dtype=lib.float64),
    "full_np_scalar": lambda lib: lib.full((2,), np.float32(1)),
    "eye": lambda lib: lib.eye(3),
    "eye_rect": lambda lib: lib.eye(2, 4),
    "eye_bool": lambda lib: lib.eye(2, dtype=lib.bool),
    "eye_int": lambda lib: lib.eye(3, 2, dtype=lib.int64),
}


@pytest.mark.parametrize("name", list(FACTORIES))
def test_factory(name):
    same(FACTORIES[name])


@pytest.mark.parametrize("fn", [lambda lib: lib.zeros(-1), lambda lib: lib.ones(2, -3),
                                lambda lib: lib.full(2, 1), lambda lib: lib.eye(-1),
                                lambda lib: lib.zeros(2.5)])
def test_factory_errors(fn):
    raises_same(fn)


RANGES = {
    "arange_int": lambda lib: lib.arange(5),
    "arange_start_end": lambda lib: lib.arange(2, 7),
    "arange_step": lambda lib: lib.arange(0, 10, 3),
    "arange_negative_step": lambda lib: lib.arange(10, 0, -3),
    "arange_float_step": lambda lib: lib.arange(0, 1, 0.1),
    "arange_float_start": lambda lib: lib.arange(0.5, 3),
    "arange_float_long": lambda lib: lib.arange(-1, 1, 0.01),
    "arange_float_end_exclusive": lambda lib: lib.arange(1, 2.5, 0.5),
    "arange_dtype": lambda lib: lib.arange(1, 4, dtype=lib.float64),
    "arange_float64_step": lambda lib: lib.arange(0, 1, 0.1, dtype=lib.float64),
    "arange_int_dtype_float_bounds": lambda lib: lib.arange(0.5, 5.5, 2, dtype=lib.int64),
    "arange_tensor_bound": lambda lib: lib.arange(lib.tensor(3)),
    "arange_empty": lambda lib: lib.arange(0),
    "range": lambda lib: lib.range(0, 3),
    "range_float": lambda lib: lib.range(0, 1, 0.25),
    "range_step": lambda lib: lib.range(1, 2, 0.1),
    "range_int": lambda lib: lib.range(0, 3, dtype=lib.int64),
    "linspace": lambda lib: lib.linspace(0, 1, 5),
    "linspace_odd": lambda lib: lib.linspace(-1, 1, 7),
    "linspace_long": lambda lib: lib.linspace(-3.3, 7.1, 101),
    "linspace_float64": lambda lib: lib.linspace(0, 1, 11, dtype=lib.float64),
    "linspace_one": lambda lib: lib.linspace(3, 3, 1),
    "linspace_zero": lambda lib: lib.linspace(-1, 1, 0),
    "linspace_int": lambda lib: lib.linspace(0, 10, 4, dtype=lib.int64),
    "linspace_decreasing": lambda lib: lib.linspace(5, -5, 6),
    "logspace": lambda lib: lib.logspace(0, 2, 3),
    "logspace_base2": lambda lib: lib.logspace(0, 3, 4, base=2),
    "logspace_fractional": lambda lib: lib.logspace(-1, 1, 9),
    "logspace_int": lambda lib: lib.logspace(0, 3, 4, dtype=lib.int64),
    "logspace_float64": lambda lib: lib.logspace(-2, 2, 7, dtype=lib.float64),
}


@pytest.mark.parametrize("name", list(RANGES))
def test_range_values_exact(name):
    same(RANGES[name])


@pytest.mark.parametrize("fn", [lambda lib: lib.arange(0, 1, 0), lambda lib: lib.arange(0, -1, 1),
                                lambda lib: lib.arange(5, dtype=lib.bool),
                                lambda lib: lib.linspace(0, 1, -1),
                                lambda lib: lib.arange(0, 2.5, 0.5, dtype=lib.int64)])
def test_range_errors(fn):
    raises_same(fn)


# -- *_like and new_* --------------------------------------------------------------------------

LIKE = {
    "zeros_like": lambda lib, a: lib.zeros_like(a),
    "ones_like": lambda lib, a: lib.ones_like(a, dtype=lib.int32),
    "empty_like": lambda lib, a: lib.empty_like(a).zero_(),
    "full_like": lambda lib, a: lib.full_like(a, 7),
    "full_like_float_into_int": lambda lib, a: lib.full_like(a.long(), 2.7),
    "zeros_like_grad": lambda lib, a: lib.zeros_like(a, requires_grad=True),
    "new_tensor": lambda lib, a: a.new_tensor([1, 2]),
    "new_tensor_dtype": lambda lib, a: a.new_tensor([1.5], dtype=lib.float64),
    "new_zeros": lambda lib, a: a.new_zeros(2, 3),
    "new_zeros_tuple": lambda lib, a: a.new_zeros((2,)),
    "new_ones": lambda lib, a: a.double().new_ones(3),
    "new_full": lambda lib, a: a.new_full((2, 2), 3),
    "new_empty": lambda lib, a: a.long().new_empty(4).zero_(),
}


@pytest.mark.parametrize("name", list(LIKE))
def test_like_and_new(name):
    check_op(LIKE[name], (2, 3))


# -- conversions -------------------------------------------------------------------------------

CONVERSIONS = ["float", "double", "half", "bfloat16", "long", "int", "short", "bool", "byte",
               "char", "cfloat"]


@pytest.mark.parametrize("method", CONVERSIONS)
@pytest.mark.parametrize("source", ["float32", "int64", "bool"])
def test_conversion_methods(method, source):
    data = np.array([-2.7, 0.0, 1.5, 3.0]) if source == "float32" else np.array([-2, 0, 1, 3])
    check_op(lambda lib, a: getattr(a, method)(), inputs=[data.astype(source)], dtypes=[source])


TO_FORMS = {
    "dtype": lambda lib, a: a.to(lib.float64),
    "dtype_kw": lambda lib, a: a.to(dtype=lib.int32),
    "device_str": lambda lib, a: a.to("cpu"),
    "device_obj": lambda lib, a: a.to(lib.device("cpu")),
    "device_and_dtype": lambda lib, a: a.to("cpu", lib.float16),
    "device_and_dtype_kw": lambda lib, a: a.to(device="cpu", dtype=lib.int8),
    "other_tensor": lambda lib, a: a.to(lib.zeros(1, dtype=lib.int16)),
    "copy": lambda lib, a: a.to(lib.float32, copy=True),
    "type_as": lambda lib, a: a.type_as(lib.zeros(1, dtype=lib.float64)),
    "type_dtype": lambda lib, a: a.type(lib.int64),
    "type_string": lambda lib, a: a.type("torch.DoubleTensor"),
    "type_legacy_class": lambda lib, a: a.type(lib.LongTensor),
    "cpu": lambda lib, a: a.cpu(),
}


@pytest.mark.parametrize("name", list(TO_FORMS))
def test_to_forms(name):
    check_op(TO_FORMS[name], (2, 3), grad=True)


def test_to_returns_self_when_nothing_changes():
    t = ember.ones(2)
    assert t.to(ember.float32) is t and t.to("cpu") is t and t.cpu() is t
    assert t.to(ember.float32, copy=True) is not t
    assert t.float() is t and t.double() is not t


def test_type_names():
    for dtype in ["float32", "float64", "int64", "int32", "bool", "uint8", "int8", "float16"]:
        e, t = ember.zeros(1, dtype=getattr(ember, dtype)), torch.zeros(1, dtype=getattr(torch,
                                                                                     dtype))
        assert e.type() == t.type()


def test_to_keeps_grad_and_values():
    check_op(lambda lib, a: (a.double() * 2).float().half(), (3,), grad=True)


# -- Python and NumPy interop ------------------------------------------------------------------


def test_numpy_shares_memory():
    t = ember.zeros(3)
    array = t.numpy()
    array[0] = 4
    assert t[0].item() == 4.0
    t.add_(1)
    assert array[1] == 1.0
    assert np.asarray(t).ctypes.data == array.ctypes.data


def test_numpy_refuses_requires_grad():
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad. "
                                           r"Use tensor.detach\(\).numpy\(\) instead."):
        ember.ones(2, requires_grad=True).numpy()
    raises_same(lambda lib: lib.ones(2, requires_grad=True).numpy())
    assert ember.ones(2, requires_grad=True).detach().numpy().tolist() == [1.0, 1.0]
    assert ember.ones(2, requires_grad=True).numpy(force=True).tolist() == [1.0, 1.0]


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool", "complex64", "uint8"])
def test_item_and_tolist(dtype):
    data = np.array([[1, 0], [2, 3]]).astype(dtype)
    e, t = ember.tensor(data), torch.tensor(data)
    assert e.tolist() == t.tolist()
    assert type(e[1, 0].item()) is type(t[1, 0].item()) and e[1, 0].item() == t[1, 0].item()
    assert e[0, 0].tolist() == t[0, 0].tolist()


def test_python_number_conversions():
    e, t = ember.tensor([2.7]), torch.tensor([2.7])
    assert float(e) == float(t) and int(e) == int(t) == 2 and bool(e) is bool(t) is True
    assert complex(e) == complex(t)
    assert [10, 20, 30][ember.tensor(1)] == 20
    assert math.floor(float(ember.tensor(-1.5))) == -2
    raises_same(lambda lib: bool(lib.ones(2)))
    raises_same(lambda lib: float(lib.ones(2)))
    raises_same(lambda lib: [1, 2][lib.tensor(1.0)])
    raises_same(lambda lib: lib.ones(3).item())
    assert bool(ember.tensor([0])) is False


def test_len_iteration_contains():
    e, t = ember.arange(6).reshape(3, 2), torch.arange(6).reshape(3, 2)
    assert len(e) == len(t) == 3
    rows = list(e)
    assert len(rows) == 3 and rows[1].tolist() == [2, 3]
    assert [x.item() for x in ember.arange(3)] == [0, 1, 2]
    assert (4 in e) and (7 not in e) and (ember.tensor(5) in e)
    raises_same(lambda lib: len(lib.tensor(1)))
    raises_same(lambda lib: iter(lib.tensor(1)))


def test_tensor_meets_ndarray():
    """tensor + ndarray: the array takes part as a tensor.

    Deviation: torch hands tensor + ndarray to NumPy (ndarray.__radd__ and Tensor.__array_wrap__),
    so mixed kinds promote by NumPy's rules there (float32 tensor + int64 array is float64);
    Ember promotes by torch's rules (float32). Same-kind operands agree."""
    assert (ember.ones(2) + np.array([1, 2])).dtype is ember.float32
    for array in (np.array([1.0, 2.0]), np.ones((), np.float32), np.array([0.5], np.float16)):
        e, t = ember.ones(2) + array, torch.ones(2) + array
        assert isinstance(e, ember.Tensor) and str(e.dtype)[6:] == str(t.dtype)[6:]
        assert e.tolist() == t.tolist()
    for scalar in (np.float64(2.0), np.int64(3), np.float32(2)):  # NumPy scalars are numbers
        for e, t in ((ember.ones(2) * scalar, torch.ones(2) * scalar),
                     (scalar * ember.ones(2), scalar * torch.ones(2))):
            assert isinstance(e, ember.Tensor) and e.dtype is ember.float32 and str(t.dtype) == (
                "torch.float32") and e.tolist() == t.tolist()


def test_ndarray_meets_tensor():
    """ndarray + tensor gives a tensor: __array_priority__ sends it to Tensor.__radd__.

    Deviation: torch 2.13 with NumPy 2 raises TypeError for ndarray + tensor and ndarray * tensor
    (only tensor + ndarray works there); Ember returns the tensor tensor + ndarray would give."""
    array = np.array([1.0, 2.0], dtype=np.float32)
    for op in (lambda x, y: x + y, lambda x, y: x * y, lambda x, y: x - y,
               lambda x, y: x / y, lambda x, y: x > y):
        e = op(array, ember.ones(2))
        assert isinstance(e, ember.Tensor)
        assert e.tolist() == op(array, np.ones(2, np.float32)).tolist()
    assert (np.ones(2) + ember.ones(2)).dtype is ember.float64


def test_array_conversion_dtype():
    assert np.asarray(ember.tensor([1, 2]), dtype=np.float64).tolist() == [1.0, 2.0]
    assert np.array(ember.tensor([True])).dtype == np.bool_


# -- devices -----------------------------------------------------------------------------------


def test_cpu_device():
    d = ember.device("cpu")
    assert d.type == "cpu" and d.index is None and str(d) == "cpu"
    assert repr(d) == repr(torch.device("cpu")) == "device(type='cpu')"
    t = ember.ones(2)
    assert t.device == ember.device("cpu") and t.device == "cpu"
    assert t.is_cpu and not t.is_cuda and t.get_device() == -1
    assert ember.device("cuda:1").index == 1 and str(ember.device("cuda", 0)) == "cuda:0"
    assert ember.device(ember.device("cpu")) == d
    assert hash(ember.device("cpu")) == hash(d)


def test_bad_device_strings():
    raises_same(lambda lib: lib.device("gpu"))
    raises_same(lambda lib: lib.device("cuda:x"))


@pytest.mark.skipif(ember.cuda.is_available(), reason="checks behaviour without CUDA")
def test_no_cuda():
    assert ember.cuda.is_available() is False and ember.cuda.device_count() == 0
    ember.device("cuda")  # naming a CUDA device is fine; using one is not
    for use in (lambda: ember.zeros(2, device="cuda"), lambda: ember.ones(2).cuda(),
                lambda: ember.ones(2).to("cuda"), lambda: ember.tensor([1], device="cuda:0"),
                lambda: ember.ones(2).to(ember.device("cuda", 0))):
        with pytest.raises(RuntimeError, match="CUDA"):
            use()


def test_unsupported_numpy_dtype_is_a_type_error():
    with pytest.raises(TypeError, match="can't convert np.ndarray of type"):
        ember.from_numpy(np.array(["a"]))


def test_check_error_helper_on_creation():
    check_error(lambda lib: lib.zeros(2, 3) + lib.zeros(4))
