"""Factory functions against torch: ``out=`` (values, dtype, resizing, warnings, errors),
complex samples, Tensor.layout, new_*(size=...), torch.backends.cuda, and the TypeError for a
size that holds a non-integer tensor."""

import sys
import types
import warnings

import numpy as np
import pytest

import ember
from tests.helpers import assert_same, dtype_name, to_numpy

torch = pytest.importorskip("torch")

# name -> call(lib, out); random calls are seeded before each run
FACTORIES = {
    "zeros": lambda lib, out: lib.zeros(2, 3, out=out),
    "zeros_size_kw": lambda lib, out: lib.zeros(size=(2, 3), out=out),
    "ones": lambda lib, out: lib.ones((3,), out=out),
    "empty": lambda lib, out: lib.empty(2, 3, out=out),
    "full": lambda lib, out: lib.full((2, 2), 7, out=out),
    "full_float": lambda lib, out: lib.full((2,), 1.5, out=out),
    "rand": lambda lib, out: lib.rand(2, 3, out=out),
    "rand_blocks": lambda lib, out: lib.rand(20, out=out),
    "randn": lambda lib, out: lib.randn(2, 3, out=out),
    "randn_blocks": lambda lib, out: lib.randn(20, out=out),
    "randint": lambda lib, out: lib.randint(0, 10, (5,), out=out),
    "randperm": lambda lib, out: lib.randperm(7, out=out),
    "arange": lambda lib, out: lib.arange(0, 5, out=out),
    "arange_float": lambda lib, out: lib.arange(0.5, 3.0, 0.5, out=out),
    "range": lambda lib, out: lib.range(0, 4, out=out),
    "linspace": lambda lib, out: lib.linspace(0, 1, 5, out=out),
    "logspace": lambda lib, out: lib.logspace(0, 2, 3, out=out),
    "eye": lambda lib, out: lib.eye(3, out=out),
    "eye_nm": lambda lib, out: lib.eye(2, 3, out=out),
    "normal_floats": lambda lib, out: lib.normal(0.5, 2.0, (6,), out=out),
    "normal_tensor_float": lambda lib, out: lib.normal(lib.linspace(-1, 1, 20), 0.5, out=out),
    "normal_tensor_float_few": lambda lib, out: lib.normal(lib.linspace(-1, 1, 5), 0.5,
                                                           out=out),
    "normal_float_tensor": lambda lib, out: lib.normal(1.0, lib.linspace(0.1, 1, 5), out=out),
    "normal_tensors": lambda lib, out: lib.normal(lib.zeros(3, 1), lib.ones(4), out=out),
    "bernoulli": lambda lib, out: lib.bernoulli(lib.full((20,), 0.3), out=out),
    "multinomial": lambda lib, out: lib.multinomial(lib.ones(5), 3, out=out),
}
OUT_DTYPES = ["float32", "float64", "float16", "int64", "bool", "complex64"]


def _strip(message):
    return str(message).split(" (Triggered internally")[0]


def _run(lib, call, out):
    """(result or exception, warnings) of one seeded call."""
    lib.manual_seed(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = call(lib, out)
        except Exception as error:  # noqa: BLE001 - compared with torch's below
            result = error
    # NOTE: torch.range's deprecation warning is not part of out= (Ember omits it), nor is the
    # NumPy ComplexWarning Ember's complex logspace leaks (ember/_ops/_ranges.py)
    messages = [_strip(w.message) for w in caught if "torch.range is" not in str(w.message)
                and not issubclass(w.category, np.exceptions.ComplexWarning)]
    return result, messages


def _compare(name, dtype, shape):
    """The same call with an out of ``shape`` and ``dtype`` in both libraries: the same result
    or the same exception, the same warnings, and ``out`` itself returned."""
    t_out = torch.zeros(shape, dtype=getattr(torch, dtype))
    e_out = ember.zeros(shape, dtype=getattr(ember, dtype))
    theirs, t_warned = _run(torch, FACTORIES[name], t_out)
    ours, e_warned = _run(ember, FACTORIES[name], e_out)
    if isinstance(theirs, Exception):
        assert type(ours) is type(theirs), f"ember: {ours!r}; torch: {theirs!r}"
        assert str(ours).split("\n")[0] == _strip(theirs).split("\n")[0]
        return
    assert not isinstance(ours, Exception), f"ember raised {ours!r}; torch gave {theirs}"
    assert ours is e_out and theirs is t_out
    assert e_warned == t_warned
    if name == "empty":  # torch's values are uninitialised memory
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert dtype_name(ours.dtype) == dtype_name(theirs.dtype)
    else:
        assert_same(ours, theirs)


def _result_shape(name, dtype):
    result, _ = _run(torch, FACTORIES[name], torch.zeros(0, dtype=getattr(torch, dtype)))
    return None if isinstance(result, Exception) else tuple(result.shape)


@pytest.mark.parametrize("dtype", OUT_DTYPES)
@pytest.mark.parametrize("name", FACTORIES)
def test_out_empty_and_resized(name, dtype):
    _compare(name, dtype, (0,))  # resized silently
    _compare(name, dtype, (4,))  # resized: a warning only where torch gives one


@pytest.mark.parametrize("dtype", OUT_DTYPES)
@pytest.mark.parametrize("name", FACTORIES)
def test_out_of_the_result_shape(name, dtype):
    shape = _result_shape(name, dtype)
    if shape is None:
        pytest.skip("torch refuses this out dtype (compared in the test above)")
    _compare(name, dtype, shape)


@pytest.mark.parametrize("name", ["arange", "range", "linspace", "logspace", "zeros",
                                  "randperm"])
def test_out_with_the_same_element_count_keeps_its_shape(name):
    # torch's range factories fill an out of 6 elements in its own shape, row-major, even a
    # transposed one; the others resize it to theirs
    calls = {"arange": lambda lib, out: lib.arange(6, out=out),
             "range": lambda lib, out: lib.range(0, 5, out=out),
             "linspace": lambda lib, out: lib.linspace(0, 5, 6, out=out),
             "logspace": lambda lib, out: lib.logspace(0, 5, 6, out=out),
             "zeros": lambda lib, out: lib.zeros(6, out=out),
             "randperm": lambda lib, out: lib.randperm(6, out=out)}
    for make in (lambda lib: lib.zeros(2, 3), lambda lib: lib.zeros(2, 3).t()):
        t_out, e_out = make(torch), make(ember)
        theirs, _ = _run(torch, calls[name], t_out)
        ours, _ = _run(ember, calls[name], e_out)
        assert ours is e_out
        assert_same(ours, theirs)


def test_out_view_writes_into_its_base():
    bases = []
    for lib in (torch, ember):
        base = lib.zeros(2, 4)
        lib.arange(3, out=base[0, 1:])
        lib.ones(2, out=base[1, ::2])
        lib.full((2, 1), 9.0, out=base[:, :1])
        bases.append(base)
    assert_same(bases[1], bases[0])


RANDOM_WITHOUT_OUT = {
    "rand": lambda lib, **kw: lib.rand(3, 4, **kw),
    "randn": lambda lib, **kw: lib.randn(3, 4, **kw),
    "randint": lambda lib, **kw: lib.randint(-5, 5, (7,), **kw),
    "randperm": lambda lib, **kw: lib.randperm(9, **kw),
    "normal": lambda lib, **kw: lib.normal(1.0, 3.0, (17,), **kw),
}


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("name", RANDOM_WITHOUT_OUT)
def test_random_out_draws_the_numbers_of_the_same_call_without_out(name, dtype):
    call = RANDOM_WITHOUT_OUT[name]
    results = {}
    for lib in (torch, ember):
        lib.manual_seed(5)
        plain = call(lib, dtype=getattr(lib, dtype))
        lib.manual_seed(5)
        into = call(lib, out=lib.empty(0, dtype=getattr(lib, dtype)))
        assert np.array_equal(to_numpy(plain), to_numpy(into))
        results[lib] = into
    assert_same(results[ember], results[torch])


WITH_DTYPE = {
    "zeros": lambda lib, out, dt: lib.zeros(2, out=out, dtype=dt),
    "ones": lambda lib, out, dt: lib.ones(2, out=out, dtype=dt),
    "empty": lambda lib, out, dt: lib.empty(2, out=out, dtype=dt),
    "full": lambda lib, out, dt: lib.full((2,), 3, out=out, dtype=dt),
    "rand": lambda lib, out, dt: lib.rand(2, out=out, dtype=dt),
    "randn": lambda lib, out, dt: lib.randn(2, out=out, dtype=dt),
    "randint": lambda lib, out, dt: lib.randint(3, (2,), out=out, dtype=dt),
    "randperm": lambda lib, out, dt: lib.randperm(3, out=out, dtype=dt),
    "arange": lambda lib, out, dt: lib.arange(3, out=out, dtype=dt),
    "range": lambda lib, out, dt: lib.range(0, 3, out=out, dtype=dt),
    "linspace": lambda lib, out, dt: lib.linspace(0, 1, 3, out=out, dtype=dt),
    "logspace": lambda lib, out, dt: lib.logspace(0, 1, 3, out=out, dtype=dt),
    "eye": lambda lib, out, dt: lib.eye(2, out=out, dtype=dt),
    "normal": lambda lib, out, dt: lib.normal(0.0, 1.0, (2,), out=out, dtype=dt),
}


@pytest.mark.parametrize("given", ["float32", "int64"])
@pytest.mark.parametrize("name", WITH_DTYPE)
def test_out_dtype_must_match_a_given_dtype(name, given):
    errors = []
    for lib in (torch, ember):
        out = lib.empty(0, dtype=lib.float64 if given == "float32" else lib.int32)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.range's deprecation
            with pytest.raises(RuntimeError) as info:
                WITH_DTYPE[name](lib, out, getattr(lib, given))
        errors.append(str(info.value))
    assert errors[1] == errors[0]


@pytest.mark.parametrize("name", WITH_DTYPE)
def test_out_with_its_own_dtype_given(name):
    results = []
    for lib in (torch, ember):
        out = lib.empty(0, dtype=lib.float64)
        results.append(_run(lib, lambda lib, out: WITH_DTYPE[name](lib, out, lib.float64), out))
    (theirs, _), (ours, _) = results
    if name == "empty":
        assert tuple(ours.shape) == tuple(theirs.shape)
    else:
        assert_same(ours, theirs)


GRAD_CALLS = {
    "zeros": lambda lib, out: lib.zeros(2, out=out, requires_grad=True),
    "empty": lambda lib, out: lib.empty(2, out=out, requires_grad=True),
    "full": lambda lib, out: lib.full((2,), 1.0, out=out, requires_grad=True),
    "rand": lambda lib, out: lib.rand(2, out=out, requires_grad=True),
    "randn": lambda lib, out: lib.randn(2, out=out, requires_grad=True),
    "arange": lambda lib, out: lib.arange(2.0, out=out, requires_grad=True),
    "range": lambda lib, out: lib.range(0, 1, out=out, requires_grad=True),
    "logspace": lambda lib, out: lib.logspace(0, 1, 2, out=out, requires_grad=True),
    "eye": lambda lib, out: lib.eye(2, out=out, requires_grad=True),
    "randperm": lambda lib, out: lib.randperm(2, out=out, requires_grad=True),
    "normal_floats": lambda lib, out: lib.normal(0.0, 1.0, (2,), out=out, requires_grad=True),
    "normal_tensors": lambda lib, out: lib.normal(lib.zeros(2), lib.ones(2), out=out),
    "bernoulli": lambda lib, out: lib.bernoulli(lib.full((2,), 0.5), out=out),
}


@pytest.mark.parametrize("name", GRAD_CALLS)
def test_out_and_autograd(name):
    """requires_grad=True turns it on for out; an out that requires grad is refused in grad
    mode (always, by the factories that resize it themselves); under no_grad it is written."""
    for make in (lambda lib: lib.empty(0), lambda lib: lib.zeros(2, requires_grad=True)):
        for grad_mode in (True, False):
            results = []
            for lib in (torch, ember):
                with lib.set_grad_enabled(grad_mode):
                    results.append(_run(lib, GRAD_CALLS[name], make(lib))[0])
            theirs, ours = results
            if isinstance(theirs, Exception):
                assert type(ours) is type(theirs) and str(ours) == str(theirs), repr(ours)
            else:
                assert ours.requires_grad == theirs.requires_grad
                assert tuple(ours.shape) == tuple(theirs.shape)


@pytest.mark.parametrize("make_input", [lambda lib: lib.zeros(3, requires_grad=True),
                                        lambda lib: lib.ones(3).requires_grad_()])
def test_out_with_inputs_that_require_grad(make_input):
    for call in (lambda lib, x: lib.normal(x, 1.0, out=lib.empty(0)),
                 lambda lib, x: lib.normal(0.0, x + 1, out=lib.empty(0)),
                 lambda lib, x: lib.bernoulli(x.sigmoid(), out=lib.empty(0))):
        errors = []
        for lib in (torch, ember):
            with pytest.raises(RuntimeError) as info:
                call(lib, make_input(lib))
            errors.append(str(info.value))
        assert errors[1] == errors[0]


@pytest.mark.parametrize("call, same_message", [
    (lambda lib: lib.zeros(3, out=[1.0]), True),
    (lambda lib: lib.rand(3, out=ember.zeros(3) if lib is torch else torch.zeros(3)), False),
    (lambda lib: lib.arange(3, out=(1,)), False),  # torch: "invalid combination of arguments"
    (lambda lib: lib.bernoulli(lib.ones(2) / 2, 0.5, out=lib.empty(0)), False),
    (lambda lib: lib.multinomial(lib.ones(3), 2, out=lib.empty(0)), True),
])
def test_out_refused(call, same_message):
    errors = []
    for lib in (torch, ember):
        with pytest.raises((TypeError, RuntimeError)) as info:
            call(lib)
        errors.append(info)
    assert errors[1].type is errors[0].type
    if same_message:
        assert str(errors[1].value) == str(errors[0].value)


# -- complex samples: torch draws both parts together, through view_as_real ----------------------

COMPLEX_CALLS = [
    lambda lib, dt: lib.rand(5, dtype=dt),
    lambda lib, dt: lib.rand(3, 7, dtype=dt),
    lambda lib, dt: lib.randn(5, dtype=dt),
    lambda lib, dt: lib.randn(4, 6, dtype=dt),
    lambda lib, dt: lib.normal(2.0, 1.5, (3,), dtype=dt),
    lambda lib, dt: lib.normal(2.0, 1.5, (30,), dtype=dt),
    lambda lib, dt: lib.randn(20, out=lib.empty(0, dtype=dt)),
    lambda lib, dt: lib.rand_like(lib.zeros(9, dtype=dt)),
    lambda lib, dt: lib.zeros(17, dtype=dt).normal_(1.0, 2.0),
    lambda lib, dt: lib.zeros(5, dtype=dt).uniform_(-1.0, 2.0),
    lambda lib, dt: lib.normal(lib.linspace(-1, 1, 18).to(dt), 0.5),
    lambda lib, dt: lib.normal(lib.ones(4, dtype=dt), lib.linspace(0.1, 1, 4)),
]


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("index", range(len(COMPLEX_CALLS)))
def test_complex_samples(index, dtype):
    results = []
    for lib in (torch, ember):
        lib.manual_seed(11)
        results.append(COMPLEX_CALLS[index](lib, getattr(lib, dtype)))
    assert_same(results[1], results[0])


@pytest.mark.parametrize("call", [
    lambda lib: lib.randint(0, 5, (3,), dtype=lib.complex64),
    lambda lib: lib.randperm(3, dtype=lib.complex64),
    lambda lib: lib.range(0, 2, dtype=lib.complex64),
    lambda lib: lib.range(0, 2, dtype=lib.bool),
    lambda lib: lib.linspace(0, 1, 3, dtype=lib.bool),
    lambda lib: lib.logspace(0, 1, 3, dtype=lib.bool),
    lambda lib: lib.bernoulli(lib.zeros(2, dtype=lib.complex64)),
    lambda lib: lib.bernoulli(lib.zeros(2, dtype=lib.int64)),
    lambda lib: lib.normal(lib.zeros(2, dtype=lib.int64), 1.0),
])
def test_dtypes_the_kernels_refuse(call):
    errors = []
    for lib in (torch, ember):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(Exception) as info:
                call(lib)
        errors.append(info)
    assert errors[1].type is errors[0].type
    assert str(errors[1].value) == str(errors[0].value)


def test_empty_bool_linspace_is_allowed():
    for lib in (torch, ember):
        assert lib.linspace(0, 1, 0, dtype=lib.bool).shape == (0,)
        assert lib.logspace(0, 1, 0, dtype=lib.bool).shape == (0,)


# -- normal's tensor overloads: torch's values, and zero gradients -------------------------------

NORMAL_GRAD = [
    (lambda lib, m, s: lib.normal(m, 0.7), "NormalBackward1"),
    (lambda lib, m, s: lib.normal(0.3, s), "NormalBackward2"),
    (lambda lib, m, s: lib.normal(m, s), "NormalBackward3"),
    (lambda lib, m, s: lib.normal(m[:, None], s), "NormalBackward3"),
]


@pytest.mark.parametrize("n", [5, 40])
@pytest.mark.parametrize("index", range(len(NORMAL_GRAD)))
def test_normal_tensor_overloads(index, n):
    call, node = NORMAL_GRAD[index]
    grads = []
    for lib in (torch, ember):
        lib.manual_seed(2)
        mean = lib.linspace(-2, 2, n).requires_grad_()
        std = lib.linspace(0.5, 1.5, n).requires_grad_()
        result = call(lib, mean, std)
        assert type(result.grad_fn).__name__ == node
        result.backward(lib.ones_like(result))
        grads.append((result, mean.grad, std.grad))
    (t_res, *t_grads), (e_res, *e_grads) = grads
    assert np.array_equal(to_numpy(e_res), to_numpy(t_res))
    for e, t in zip(e_grads, t_grads):
        assert (e is None) == (t is None)
        if t is not None:
            assert_same(e, t)


def test_normal_out_with_float_std_broadcasts_mean_against_out():
    # torch broadcasts mean with out's own shape when std is a float
    for shape in [(1,), (2,), (0,), (3, 1)]:
        _compare_normal_out(shape)


def _compare_normal_out(shape):
    results = []
    for lib in (torch, ember):
        out = lib.zeros(shape)
        results.append(_run(lib, lambda lib, out: lib.normal(lib.zeros(3), 1.0, out=out), out))
    (theirs, t_warned), (ours, e_warned) = results
    if isinstance(theirs, Exception):
        assert type(ours) is type(theirs) and str(ours) == str(theirs)
    else:
        assert_same(ours, theirs)
        assert e_warned == t_warned


# -- Tensor.layout and new_*(size=...) -----------------------------------------------------------


@pytest.mark.parametrize("make", [lambda lib: lib.zeros(2, 3), lambda lib: lib.zeros(2, 3).t(),
                                  lambda lib: lib.tensor(1.5), lambda lib: lib.nn.Parameter(
                                      lib.ones(2))])
def test_layout(make):
    ours, theirs = make(ember).layout, make(torch).layout
    assert ours is ember.strided and theirs is torch.strided
    assert str(ours).split(".")[-1] == str(theirs).split(".")[-1]
    for lib in (torch, ember):
        with pytest.raises(AttributeError):
            make(lib).layout = lib.strided


NEW_FORMS = [
    lambda x: x.new_zeros(size=(2, 3)),
    lambda x: x.new_ones(size=[2, 3], dtype=x.new_tensor(1).dtype),
    lambda x: x.new_zeros(size=()),
    lambda x: x.new_ones(2, 3),
    lambda x: x.new_zeros((2, 3)),
    lambda x: x.new_ones([4]),
    lambda x: x.new_full(size=(2,), fill_value=3),
    lambda x: x.new_full((2, 2), 1.5),
    lambda x: x.new_zeros(size=(2,), requires_grad=x.is_floating_point()),
]


@pytest.mark.parametrize("index", range(len(NEW_FORMS)))
@pytest.mark.parametrize("dtype", ["float64", "int32"])
def test_new_factories_take_size_by_keyword(index, dtype):
    results = [NEW_FORMS[index](lib.zeros(3, dtype=getattr(lib, dtype))) for lib in (torch,
                                                                                      ember)]
    assert_same(results[1], results[0])


def test_new_empty_size_keyword():
    for lib in (torch, ember):
        x = lib.zeros(3, dtype=lib.int16)
        y = x.new_empty(size=(2, 3), dtype=lib.int8)
        assert tuple(y.shape) == (2, 3) and dtype_name(y.dtype) == "int8"


@pytest.mark.parametrize("call", [lambda x: x.new_zeros(),
                                  lambda x: x.new_zeros(2, size=(3,)),
                                  lambda x: x.new_ones((2,), size=(2,)),
                                  lambda x: x.new_empty(size=3),
                                  lambda x: x.new_zeros(2.5)])
def test_new_factories_size_errors(call):
    messages = []
    for lib in (torch, ember):
        with pytest.raises(TypeError) as info:
            call(lib.zeros(3))
        messages.append(str(info.value))
    assert messages[1] == messages[0]


# -- ember.backends.cuda ---------------------------------------------------------------------------


@pytest.fixture
def restore_precision():
    yield
    for lib in (torch, ember):
        lib.set_float32_matmul_precision("highest")


def test_allow_tf32_follows_matmul_precision(restore_precision):
    for lib in (torch, ember):
        matmul = lib.backends.cuda.matmul
        seen = [matmul.allow_tf32]
        matmul.allow_tf32 = True
        seen.append(lib.get_float32_matmul_precision())
        matmul.allow_tf32 = False
        seen.append(lib.get_float32_matmul_precision())
        for precision in ("medium", "high", "highest"):
            lib.set_float32_matmul_precision(precision)
            seen.append(matmul.allow_tf32)
        if lib is torch:
            expected = seen
        else:
            assert seen == expected


@pytest.mark.parametrize("action", [lambda m: setattr(m, "allow_tf32", 1),
                                    lambda m: setattr(m, "allow_tf32", None),
                                    lambda m: setattr(m, "allow_tf32", "yes"),
                                    lambda m: setattr(m, "no_such_flag", True),
                                    lambda m: m.no_such_flag])
def test_matmul_flag_errors(action, restore_precision):
    errors = []
    for lib in (torch, ember):
        with pytest.raises(Exception) as info:
            action(lib.backends.cuda.matmul)
        errors.append(info)
    assert errors[1].type is errors[0].type
    assert str(errors[1].value) == str(errors[0].value)
    assert ember.backends.cuda.matmul.allow_tf32 is False


def test_is_built_follows_cupy(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # an import of cupy now fails
    assert ember.backends.cuda.is_built() is False
    monkeypatch.setitem(sys.modules, "cupy", types.ModuleType("cupy"))
    assert ember.backends.cuda.is_built() is True


def test_is_built_is_a_bool_like_torchs():
    assert isinstance(torch.backends.cuda.is_built(), bool)
    assert isinstance(ember.backends.cuda.is_built(), bool)


# -- sizes holding tensors -----------------------------------------------------------------------


@pytest.mark.parametrize("call", [
    lambda lib: lib.zeros((lib.tensor(2.0),)),
    lambda lib: lib.zeros(lib.tensor(2.0)),
    lambda lib: lib.zeros((2, lib.tensor(2.0))),
    lambda lib: lib.ones(2, lib.tensor(2.0)),
    lambda lib: lib.ones(size=(lib.tensor(2.0),)),
    lambda lib: lib.zeros((lib.tensor([2, 3]),)),
    lambda lib: lib.full((lib.tensor(2.0),), 1.0),
    lambda lib: lib.rand((lib.tensor(2.0),)),
    lambda lib: lib.randn(lib.tensor(1.5), 2),
    lambda lib: lib.zeros((2.0,)),
    lambda lib: lib.zeros(6).view(lib.tensor(2.0), 3),
    lambda lib: lib.zeros(6).reshape((lib.tensor(6.0),)),
])
def test_size_with_a_non_integer_is_a_type_error(call):
    for lib in (torch, ember):
        with pytest.raises(TypeError):
            call(lib)


@pytest.mark.parametrize("call", [lambda lib: lib.zeros((lib.tensor(2.0),)),
                                  lambda lib: lib.zeros(lib.tensor(2.0)),
                                  lambda lib: lib.full((lib.tensor(2.0),), 1.0),
                                  lambda lib: lib.rand((2, 1.5)),
                                  lambda lib: lib.ones(2, 3, lib.tensor(1.5)),
                                  lambda lib: lib.zeros(size=(2, None)),
                                  lambda lib: lib.zeros(size=[1.5]),
                                  lambda lib: lib.zeros(3).new_zeros(size=2.5),
                                  lambda lib: lib.zeros(3).new_zeros((2.5,))])
def test_size_type_error_messages(call):
    messages = []
    for lib in (torch, ember):
        with pytest.raises(TypeError) as info:
            call(lib)
        messages.append(str(info.value))
    assert messages[1] == messages[0]


@pytest.mark.parametrize("call", [lambda lib: lib.zeros((lib.tensor(2), 3)),
                                  lambda lib: lib.zeros(lib.tensor(2)),
                                  lambda lib: lib.ones((lib.tensor([2]),)),
                                  lambda lib: lib.zeros(6).view(lib.tensor(2), 3)])
def test_size_with_integer_tensors(call):
    assert_same(call(ember), call(torch))
