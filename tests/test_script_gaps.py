"""Names and call forms ordinary PyTorch scripts use: factories' size= keyword, torch's constants,
finfo / iinfo, process-wide switches, layout objects, cdist, ember.backends, ember.testing and
ember.version, each run under ember and under torch and compared."""

import math
import pickle
import warnings

import numpy as np
import pytest

import ember
from tests.helpers import assert_same, check_op

torch = pytest.importorskip("torch")


def same_error(fn):
    """fn(lib) raises in both libraries, with the same exception class; returns both."""
    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(Exception) as ours:
        fn(ember)
    assert ours.type is theirs.type, f"ember: {ours.value!r}; torch: {theirs.value!r}"
    return ours.value, theirs.value


def seeded(fn):
    """fn(lib) after manual_seed(0) in each library (Ember draws torch's numbers)."""
    torch.manual_seed(0)
    ember.manual_seed(0)
    return fn(ember), fn(torch)


# -- size= -----------------------------------------------------------------------------------

SIZE_FORMS = {
    "randn_size_scalar_grad": lambda lib: lib.randn(size=(), requires_grad=True),
    "randn_size_tuple": lambda lib: lib.randn(size=(2, 3)),
    "randn_size_list": lambda lib: lib.randn(size=[2]),
    "randn_size_Size": lambda lib: lib.randn(size=lib.Size([2, 3])),
    "randn_size_tensor_item": lambda lib: lib.randn(size=(2, lib.tensor(3))),
    "randn_positional": lambda lib: lib.randn(2, 3),
    "randn_tuple": lambda lib: lib.randn((2, 3)),
    "randn_list": lambda lib: lib.randn([2, 3]),
    "randn_size_dtype": lambda lib: lib.randn(size=(4,), dtype=lib.float64),
    "randn_size_generator": lambda lib: lib.randn(size=(3,), generator=lib.Generator()),
    "rand_size": lambda lib: lib.rand(size=(2,)),
    "rand_size_empty_list": lambda lib: lib.rand(size=[]),
    "zeros_size": lambda lib: lib.zeros(size=(2,)),
    "zeros_size_empty": lambda lib: lib.zeros(size=()),
    "zeros_size_dtype": lambda lib: lib.zeros(size=(2, 2), dtype=lib.int64),
    "ones_size_list": lambda lib: lib.ones(size=[2]),
    "ones_size_grad": lambda lib: lib.ones(size=(3,), requires_grad=True),
    "empty_size": lambda lib: lib.empty(size=(2,)).shape,
    "empty_size_dtype": lambda lib: lib.empty(size=[2], dtype=lib.float64).dtype,
    "empty_memory_format": lambda lib: lib.empty(size=(2,),
                                                 memory_format=lib.contiguous_format).shape,
    "zeros_layout": lambda lib: lib.zeros(size=(2,), layout=lib.strided),
    "full_size_fill": lambda lib: lib.full(size=(2,), fill_value=3),
    "full_size_bool": lambda lib: lib.full(size=[], fill_value=True),
    "full_fill_keyword": lambda lib: lib.full((2,), fill_value=1.5),
    "randint_low_high_size": lambda lib: lib.randint(0, 5, size=(3,)),
    "randint_high_size": lambda lib: lib.randint(5, size=(3,)),
    "randint_keywords": lambda lib: lib.randint(low=1, high=5, size=(3,)),
    "randint_size_first": lambda lib: lib.randint(size=(3,), high=5),
    "randint_dtype": lambda lib: lib.randint(2, 5, size=(3,), dtype=lib.int32),
    "randint_scalar": lambda lib: lib.randint(3, size=[]),
    "normal_size": lambda lib: lib.normal(0.0, 1.0, size=(2, 1)),
}


@pytest.mark.parametrize("name", list(SIZE_FORMS))
def test_size_forms(name):
    ours, theirs = seeded(SIZE_FORMS[name])
    assert_same(ours, theirs)


SIZE_ERRORS = {
    "zeros_both": lambda lib: lib.zeros(2, size=(3,)),
    "ones_both": lambda lib: lib.ones((2,), size=(3,)),
    "empty_both": lambda lib: lib.empty(2, size=(3,)),
    "randn_both": lambda lib: lib.randn(2, size=(3,)),
    "rand_both": lambda lib: lib.rand(2, 3, size=(3,)),
    "full_both": lambda lib: lib.full((2,), 1, size=(3,)),
    "randint_both": lambda lib: lib.randint(3, 5, (2,), size=(3,)),
    "randn_size_int": lambda lib: lib.randn(size=2),
    "zeros_size_int": lambda lib: lib.zeros(size=2),
    "zeros_size_none": lambda lib: lib.zeros(size=None),
    "randn_both_none": lambda lib: lib.randn(2, size=None),
    "zeros_size_str": lambda lib: lib.zeros(size="ab"),
    "zeros_size_float_item": lambda lib: lib.zeros(size=(2, 3.0)),
    "zeros_size_bool_item": lambda lib: lib.zeros(size=(True,)),
    "zeros_bool": lambda lib: lib.zeros(True),
    "zeros_tuple_bool": lambda lib: lib.zeros((True, 2)),
    "zeros_size_tensor": lambda lib: lib.zeros(size=lib.tensor([2, 3])),
    "full_size_int": lambda lib: lib.full(size=2, fill_value=1),
    "zeros_no_size": lambda lib: lib.zeros(),
    "randn_no_size": lambda lib: lib.randn(),
    "zeros_shape_keyword": lambda lib: lib.zeros(shape=(2,)),
    "zeros_negative": lambda lib: lib.zeros(size=(-1,)),
    "empty_negative": lambda lib: lib.empty(size=(-1,)),
    "randn_negative": lambda lib: lib.randn(size=(-1,)),
    "rand_negative": lambda lib: lib.rand(2, -1),
    "randint_negative": lambda lib: lib.randint(3, (-1,)),
    "normal_negative": lambda lib: lib.normal(0.0, 1.0, size=(-1,)),
    "rand_int_dtype": lambda lib: lib.rand(size=(2,), dtype=lib.int64),
    "randn_bool_dtype": lambda lib: lib.randn(2, dtype=lib.bool),
    "randint_no_high": lambda lib: lib.randint(size=(2,)),
    "randint_no_size": lambda lib: lib.randint(5),
    "randint_keywords_no_size": lambda lib: lib.randint(low=1, high=5),
    "randint_size_int": lambda lib: lib.randint(0, 5, size=3),
    "randint_size_bool_item": lambda lib: lib.randint(0, 5, (True,)),
    "normal_size_int": lambda lib: lib.normal(0.0, 1.0, 2),
    "normal_tensor_and_size": lambda lib: lib.normal(lib.zeros(2), 1.0, size=(2,)),
}


@pytest.mark.parametrize("name", list(SIZE_ERRORS))
def test_size_errors(name):
    same_error(SIZE_ERRORS[name])


def test_both_sizes_message():
    ours, theirs = same_error(lambda lib: lib.zeros(2, size=(3,)))
    assert str(ours) == str(theirs)


# -- constants, finfo, iinfo ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["nan", "inf", "pi", "e"])
def test_constants(name):
    ours, theirs = getattr(ember, name), getattr(torch, name)
    assert type(ours) is type(theirs) is float
    assert ours == theirs or (math.isnan(ours) and math.isnan(theirs))


FLOATS = ["float16", "bfloat16", "float32", "float64", "complex64", "complex128"]
INTS = ["uint8", "int8", "int16", "int32", "int64"]
FINFO_FIELDS = ["bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"]


@pytest.mark.parametrize("dtype", FLOATS)
def test_finfo(dtype):
    ours, theirs = ember.finfo(getattr(ember, dtype)), torch.finfo(getattr(torch, dtype))
    for field in FINFO_FIELDS:
        assert getattr(ours, field) == getattr(theirs, field), field
        assert type(getattr(ours, field)) is type(getattr(theirs, field)), field
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("dtype", INTS)
def test_iinfo(dtype):
    ours, theirs = ember.iinfo(getattr(ember, dtype)), torch.iinfo(getattr(torch, dtype))
    for field in ["bits", "max", "min", "dtype"]:
        assert getattr(ours, field) == getattr(theirs, field), field
        assert type(getattr(ours, field)) is type(getattr(theirs, field)), field
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("default", ["float32", "float64"])
def test_finfo_default_and_python_types(default):
    before = ember.get_default_dtype()
    ember.set_default_dtype(getattr(ember, default))
    torch.set_default_dtype(getattr(torch, default))
    try:
        assert repr(ember.finfo()) == repr(torch.finfo())
    finally:
        ember.set_default_dtype(before)
        torch.set_default_dtype(torch.float32)
    assert repr(ember.finfo(float)) == repr(torch.finfo(float))
    assert repr(ember.iinfo(int)) == repr(torch.iinfo(int))
    assert (ember.finfo(ember.float32) == ember.finfo(ember.complex64)) == (
        torch.finfo(torch.float32) == torch.finfo(torch.complex64))


INFO_ERRORS = {
    "finfo_int": lambda lib: lib.finfo(lib.int32),
    "finfo_bool": lambda lib: lib.finfo(lib.bool),
    "finfo_str": lambda lib: lib.finfo("float32"),
    "finfo_none": lambda lib: lib.finfo(None),
    "finfo_int_type": lambda lib: lib.finfo(int),
    "iinfo_float": lambda lib: lib.iinfo(lib.float32),
    "iinfo_complex": lambda lib: lib.iinfo(lib.complex64),
    "iinfo_bool": lambda lib: lib.iinfo(lib.bool),
    "iinfo_missing": lambda lib: lib.iinfo(),
    "finfo_read_only": lambda lib: setattr(lib.finfo(), "eps", 1.0),
    "iinfo_read_only": lambda lib: setattr(lib.iinfo(lib.int8), "max", 1),
    "finfo_unhashable": lambda lib: hash(lib.finfo()),
}


@pytest.mark.parametrize("name", list(INFO_ERRORS))
def test_info_errors(name):
    same_error(INFO_ERRORS[name])


def test_info_type_messages():
    for fn in (INFO_ERRORS["finfo_int"], INFO_ERRORS["iinfo_float"], INFO_ERRORS["finfo_str"]):
        ours, theirs = same_error(fn)
        assert str(ours) == str(theirs)


# -- switches and layout objects --------------------------------------------------------------


def test_num_threads():
    assert isinstance(ember.get_num_threads(), int) and ember.get_num_threads() >= 1
    before_e, before_t = ember.get_num_threads(), torch.get_num_threads()
    try:
        ember.set_num_threads(3)
        torch.set_num_threads(3)
        assert ember.get_num_threads() == torch.get_num_threads() == 3
    finally:
        ember.set_num_threads(before_e)
        torch.set_num_threads(before_t)


@pytest.mark.parametrize("value", [0, -1, 2.0, "2", True])
def test_set_num_threads_errors(value):
    ours, theirs = same_error(lambda lib: lib.set_num_threads(value))
    assert str(ours) == str(theirs)


def test_deterministic_algorithms():
    for lib in (ember, torch):
        assert lib.are_deterministic_algorithms_enabled() is False
        try:
            lib.use_deterministic_algorithms(True, warn_only=True)
            assert lib.are_deterministic_algorithms_enabled() is True
            assert lib.is_deterministic_algorithms_warn_only_enabled() is True
        finally:
            lib.use_deterministic_algorithms(False)
        assert lib.is_deterministic_algorithms_warn_only_enabled() is False


@pytest.mark.parametrize("call", [lambda lib: lib.use_deterministic_algorithms(1),
                                  lambda lib: lib.use_deterministic_algorithms(None),
                                  lambda lib: lib.use_deterministic_algorithms(False,
                                                                               warn_only=1)])
def test_deterministic_algorithms_errors(call):
    ours, theirs = same_error(call)
    assert str(ours) == str(theirs)


def test_float32_matmul_precision():
    for lib in (ember, torch):
        assert lib.get_float32_matmul_precision() == "highest"
        try:
            for value in ("high", "medium", "highest"):
                lib.set_float32_matmul_precision(value)
                assert lib.get_float32_matmul_precision() == value
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                lib.set_float32_matmul_precision("HIGH")
            assert [w.category for w in caught] == [UserWarning]
            assert "is not one of 'highest', 'high', or 'medium'" in str(caught[0].message)
            assert lib.get_float32_matmul_precision() == "highest"
        finally:
            lib.set_float32_matmul_precision("highest")


@pytest.mark.parametrize("value", [3, None])
def test_float32_matmul_precision_errors(value):
    ours, theirs = same_error(lambda lib: lib.set_float32_matmul_precision(value))
    assert str(ours) == str(theirs)


@pytest.mark.parametrize("name", ["strided", "contiguous_format", "channels_last",
                                  "channels_last_3d", "preserve_format"])
def test_layout_objects(name):
    ours, theirs = getattr(ember, name), getattr(torch, name)
    assert repr(ours) == repr(theirs).replace("torch.", "ember.")
    assert type(ours).__name__ == type(theirs).__name__
    assert isinstance(ours, ember.layout if name == "strided" else ember.memory_format)
    assert pickle.loads(pickle.dumps(ours)) is ours
    assert ours == getattr(ember, name)
    assert (ember.contiguous_format == ours) == (torch.contiguous_format == theirs)


@pytest.mark.parametrize("cls", ["layout", "memory_format"])
def test_layout_objects_cannot_be_made(cls):
    same_error(lambda lib: getattr(lib, cls)())


# -- cdist ------------------------------------------------------------------------------------

CDIST_SHAPES = [((4, 3), (5, 3)), ((2, 4, 3), (5, 3)), ((2, 1, 4, 3), (3, 5, 3)),
                ((0, 3), (2, 3)), ((3, 0), (2, 0)), ((30, 2), (27, 2))]


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 1.5, 0.5, 0.0, math.inf])
@pytest.mark.parametrize("shapes", CDIST_SHAPES)
def test_cdist(shapes, p):
    check_op(lambda lib, a, b: lib.cdist(a, b, p=p), *shapes, dtype="float64", grad=True,
             rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("p", [2.0, 1.0, 0.5, math.inf])
def test_cdist_float32(p):
    check_op(lambda lib, a, b: lib.cdist(a, b, p=p), (4, 3), (6, 3), grad=True, rtol=1e-5,
             atol=1e-5)


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, math.inf, 0.0])
def test_cdist_zero_distances_and_ties(p):
    # identical rows (zero distances), shared coordinates and tied maxima, where the
    # gradient's corner cases live
    x = np.array([[1.0, 2.0], [3.0, 4.0], [1.0, 5.0]])
    check_op(lambda lib, a, b: lib.cdist(a, b, p=p), inputs=[x, x.copy()],
             dtypes=["float64"] * 2, grad=True)
    check_op(lambda lib, a: lib.cdist(a, a, p=p), inputs=[x], dtypes=["float64"], grad=True)


def test_cdist_gradgrad():
    check_op(lambda lib, a, b: lib.cdist(a, b), (3, 2), (4, 2), dtype="float64", grad=True,
             gradgrad=True)


CDIST_ERRORS = {
    "one_dim": lambda lib: lib.cdist(lib.ones(3), lib.ones(3)),
    "columns": lambda lib: lib.cdist(lib.ones(2, 3), lib.ones(2, 4)),
    "negative_p": lambda lib: lib.cdist(lib.ones(2, 3), lib.ones(4, 3), p=-1),
    "integer": lambda lib: lib.cdist(lib.ones(2, 3, dtype=lib.int64),
                                     lib.ones(2, 3, dtype=lib.int64)),
    "complex": lambda lib: lib.cdist(lib.ones(2, 3, dtype=lib.complex64),
                                     lib.ones(2, 3, dtype=lib.complex64)),
    "half": lambda lib: lib.cdist(lib.ones(2, 3, dtype=lib.float16),
                                  lib.ones(2, 3, dtype=lib.float16)),
    "mixed_dtypes": lambda lib: lib.cdist(lib.ones(2, 3), lib.ones(4, 3, dtype=lib.float64)),
    "compute_mode": lambda lib: lib.cdist(lib.ones(2, 3), lib.ones(4, 3), compute_mode="bad"),
}


@pytest.mark.parametrize("name", list(CDIST_ERRORS))
def test_cdist_errors(name):
    ours, theirs = same_error(CDIST_ERRORS[name])
    assert str(ours) == str(theirs)


# -- backends and version ---------------------------------------------------------------------


def test_cudnn_flags():
    for lib in (ember, torch):
        cudnn = lib.backends.cudnn
        defaults = (cudnn.enabled, cudnn.benchmark, cudnn.deterministic, cudnn.allow_tf32)
        assert defaults == (True, False, False, True)
        try:
            cudnn.benchmark, cudnn.deterministic = True, True
            assert (cudnn.benchmark, cudnn.deterministic) == (True, True)
            with cudnn.flags(enabled=False, benchmark=False):
                assert (cudnn.enabled, cudnn.benchmark) == (False, False)
            assert (cudnn.enabled, cudnn.benchmark) == (True, True)
        finally:
            cudnn.benchmark, cudnn.deterministic = False, False
        assert cudnn.is_available() is False
        assert cudnn.version() is None
        assert lib.backends.mps.is_available() is False
        assert lib.backends.mps.is_built() is False


@pytest.mark.parametrize("flag", ["enabled", "benchmark", "deterministic", "allow_tf32"])
def test_cudnn_flag_type_errors(flag):
    ours, theirs = same_error(lambda lib: setattr(lib.backends.cudnn, flag, 1))
    assert str(ours) == str(theirs)


def test_version():
    import ember.version

    assert ember.version.__version__ == ember.__version__
    assert ember.version.cuda is None and ember.version.debug is False
    assert isinstance(ember.__version__, str)
    assert torch.version.debug is False  # the reference build is a release build too


# -- testing.assert_close ---------------------------------------------------------------------


def T(lib, data, **kwargs):
    return lib.tensor(data, **kwargs)


ASSERT_CLOSE = {
    "one_mismatch": lambda lib: lib.testing.assert_close(T(lib, [1., 2., 3.]),
                                                         T(lib, [1., 2.5, 3.])),
    "matrix_zero_expected": lambda lib: lib.testing.assert_close(
        T(lib, [[1., 2.], [3., 4.]]), T(lib, [[1., 2.], [3.1, 0.]])),
    "integers": lambda lib: lib.testing.assert_close(T(lib, [1, 2, 3]), T(lib, [1, 2, 4])),
    "bools": lambda lib: lib.testing.assert_close(T(lib, [True, False]), T(lib, [True, True])),
    "uint8_wraps": lambda lib: lib.testing.assert_close(T(lib, [1, 2], dtype=lib.uint8),
                                                        T(lib, [3, 1], dtype=lib.uint8)),
    "zero_dim": lambda lib: lib.testing.assert_close(T(lib, 1.5), T(lib, 2.0)),
    "dtype": lambda lib: lib.testing.assert_close(T(lib, [1.]), T(lib, [1.], dtype=lib.float64)),
    "dtype_unchecked": lambda lib: lib.testing.assert_close(
        T(lib, [1.]), T(lib, [1.], dtype=lib.float64), check_dtype=False),
    "promoted_mismatch": lambda lib: lib.testing.assert_close(
        T(lib, [1., 2.]), T(lib, [1, 3]), check_dtype=False),
    "shape": lambda lib: lib.testing.assert_close(T(lib, [1., 2.]), T(lib, [1.])),
    "shape_scalar": lambda lib: lib.testing.assert_close(T(lib, 1.), T(lib, [1.])),
    "nan": lambda lib: lib.testing.assert_close(T(lib, [1., math.nan]), T(lib, [1., math.nan])),
    "nan_equal": lambda lib: lib.testing.assert_close(T(lib, [1., math.nan]),
                                                      T(lib, [1., math.nan]), equal_nan=True),
    "nan_one_side": lambda lib: lib.testing.assert_close(T(lib, [1., 2., 3.]),
                                                         T(lib, [1., math.nan, 3.])),
    "inf": lambda lib: lib.testing.assert_close(T(lib, [math.inf]), T(lib, [math.inf])),
    "inf_signs": lambda lib: lib.testing.assert_close(T(lib, [math.inf]), T(lib, [-math.inf])),
    "given_tolerances": lambda lib: lib.testing.assert_close(T(lib, [1., 2.]), T(lib, [1., 2.1]),
                                                             rtol=0.1, atol=0.0),
    "exact": lambda lib: lib.testing.assert_close(T(lib, [1., 2.]), T(lib, [1., 2.1]), rtol=0.0,
                                                  atol=0.0),
    "rtol_only": lambda lib: lib.testing.assert_close(T(lib, [1.]), T(lib, [1.]), rtol=0.1),
    "atol_only": lambda lib: lib.testing.assert_close(T(lib, [1.]), T(lib, [1.]), atol=0.1),
    "small_absolute": lambda lib: lib.testing.assert_close(T(lib, [0., 1.]), T(lib, [1e-3, 1.])),
    "float16": lambda lib: lib.testing.assert_close(T(lib, [0.1, 0.2], dtype=lib.float16),
                                                    T(lib, [0.1, 0.3], dtype=lib.float16)),
    "bfloat16": lambda lib: lib.testing.assert_close(T(lib, [0.1, 0.2], dtype=lib.bfloat16),
                                                     T(lib, [0.1, 0.3], dtype=lib.bfloat16)),
    "complex": lambda lib: lib.testing.assert_close(T(lib, [1 + 1j, 2j]), T(lib, [1 + 1j, 3j])),
    "stride": lambda lib: lib.testing.assert_close(T(lib, [[1., 2.], [3., 4.]]).t(),
                                                   T(lib, [[1., 3.], [2., 4.]]),
                                                   check_stride=True),
    "requires_grad_ignored": lambda lib: lib.testing.assert_close(
        T(lib, [1., 2.], requires_grad=True) * 1, T(lib, [1., 2.])),
    "empty": lambda lib: lib.testing.assert_close(T(lib, []), T(lib, [])),
    "msg_string": lambda lib: lib.testing.assert_close(T(lib, [1., 2.]), T(lib, [1., 3.]),
                                                       msg="custom"),
    "msg_callable": lambda lib: lib.testing.assert_close(T(lib, [1., 2.]), T(lib, [1., 3.]),
                                                         msg=lambda m: "Header\n" + m),
    "list_item": lambda lib: lib.testing.assert_close([T(lib, [1.]), T(lib, [2.])],
                                                      [T(lib, [1.]), T(lib, [3.])]),
    "list_item_msg": lambda lib: lib.testing.assert_close([T(lib, [1.]), T(lib, [2.])],
                                                          [T(lib, [1.]), T(lib, [3.])],
                                                          msg=lambda m: "H\n" + m),
    "tuple_vs_list": lambda lib: lib.testing.assert_close((T(lib, [1.]),), [T(lib, [1.])]),
    "lengths": lambda lib: lib.testing.assert_close([T(lib, [1.])], [T(lib, [1.]), T(lib, [3.])]),
    "dict_item": lambda lib: lib.testing.assert_close({"a": T(lib, [1.]), "b": T(lib, [2.])},
                                                      {"a": T(lib, [1.]), "b": T(lib, [2.5])}),
    "dict_keys": lambda lib: lib.testing.assert_close({"a": T(lib, [1.])}, {"b": T(lib, [1.])}),
    "numbers_types": lambda lib: lib.testing.assert_close(1, 1.0),
    "numbers_close": lambda lib: lib.testing.assert_close(1.0, 1.0 + 1e-9),
    "numbers_far": lambda lib: lib.testing.assert_close(1.0, 1.5),
    "ints": lambda lib: lib.testing.assert_close(2, 3),
    "numpy_scalar": lambda lib: lib.testing.assert_close(np.float32(1.0), 1.0),
    "numpy_arrays": lambda lib: lib.testing.assert_close(np.array([1., 2.]), np.array([1., 3.])),
    "booleans": lambda lib: lib.testing.assert_close(True, False),
    "none": lambda lib: lib.testing.assert_close(None, T(lib, 1.)),
    "tensor_and_float": lambda lib: lib.testing.assert_close(T(lib, [1.]), 1.0),
    "array_and_tensor": lambda lib: lib.testing.assert_close(np.array([1.]), T(lib, [1.])),
    "strings": lambda lib: lib.testing.assert_close("a", "a"),
    "structure_before_values": lambda lib: lib.testing.assert_close([T(lib, [1.]), "a"],
                                                                    [T(lib, [2.]), 1]),
}


def _normalise(text):
    return text.replace("torch.", "ember.").replace("ember._tensor.Tensor", "ember.Tensor")


@pytest.mark.parametrize("name", list(ASSERT_CLOSE))
def test_assert_close(name):
    outcomes = []
    for lib in (ember, torch):
        try:
            ASSERT_CLOSE[name](lib)
            outcomes.append(None)
        except Exception as error:  # noqa: BLE001 - the class and text are what is compared
            outcomes.append((type(error), _normalise(str(error))))
    assert outcomes[0] == outcomes[1]
