"""ember.autograd.functional against torch.autograd.functional: jacobian, hessian, vjp, jvp,
vhp and hvp on the same functions and float64 inputs, comparing values, nesting, shapes,
requires_grad and grad_fn presence, create_graph results' own gradients, and errors."""

import numpy as np
import pytest

import ember
import ember.autograd.functional  # noqa: F401 - the module under test
from tests.helpers import assert_same

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
X = RNG.standard_normal(3)  # a vector
M = RNG.standard_normal((2, 3))  # a matrix
S = np.array(0.7)  # a scalar


def run(call, *arrays, requires_grad=False):
    """call(lib, F, *tensors) with F = lib.autograd.functional, for torch and for ember."""
    results = []
    for lib in (torch, ember):
        tensors = [lib.tensor(a, dtype=lib.float64, requires_grad=requires_grad) for a in arrays]
        results.append((call(lib, lib.autograd.functional, *tensors), tensors))
    (theirs, t_in), (ours, e_in) = results
    assert_same(ours, theirs)
    return ours, theirs, e_in, t_in


# functions of one tensor: vector, scalar and matrix outputs
ONE_INPUT = {
    "elementwise": lambda lib, x: x.sin() * x,
    "scalar": lambda lib, x: (x ** 3).sum(),
    "matrix": lambda lib, x: lib.outer(x, x.exp()),
    "mixing": lambda lib, x: lib.softmax(x, 0) * x.sum(),
}
# functions of two tensors (x: (3,), m: (2, 3)) with one or two outputs
TWO_INPUTS = {
    "single_output": lambda lib, x, m: m @ x,
    "two_outputs": lambda lib, x, m: (x * m, (m ** 2).sum(0)),
    "unused_input": lambda lib, x, m: x.exp(),
    "scalar_output": lambda lib, x, m: (m @ x.tanh()).sum(),
}
SCALAR_FNS = {
    "cubic": lambda lib, x: (x ** 3).sum(),
    "coupled": lambda lib, x: (x.sin() * x.roll(1, 0)).sum() + x.prod(),
    "logsumexp": lambda lib, x: lib.logsumexp(x * x, 0),
}
SCALAR_FNS_2 = {
    "product": lambda lib, x, m: ((m * x).pow(2)).sum(),
    "mixed": lambda lib, x, m: (m.exp() @ x.sin()).sum(),
}


@pytest.mark.parametrize("vectorize", [False, True])
@pytest.mark.parametrize("name", list(ONE_INPUT))
def test_jacobian_one_input(name, vectorize):
    fn = ONE_INPUT[name]
    run(lambda lib, F, x: F.jacobian(lambda x: fn(lib, x), x, vectorize=vectorize), X)
    run(lambda lib, F, s: F.jacobian(lambda s: fn(lib, s.reshape(1)), s), S)


@pytest.mark.parametrize("vectorize", [False, True])
@pytest.mark.parametrize("name", list(TWO_INPUTS))
def test_jacobian_tuple_inputs(name, vectorize):
    fn = TWO_INPUTS[name]
    run(lambda lib, F, x, m: F.jacobian(lambda x, m: fn(lib, x, m), (x, m), vectorize=vectorize),
        X, M)


def test_jacobian_tuple_output_of_one_input():
    run(lambda lib, F, x: F.jacobian(lambda x: (x, x.exp().sum()), x), X)


def test_jacobian_forward_mode_strategy():
    run(lambda lib, F, x: F.jacobian(lambda x: x.sin() * x, x, vectorize=True,
                                     strategy="forward-mode"), X)


@pytest.mark.parametrize("name", ["elementwise", "matrix"])
def test_jacobian_create_graph(name):
    fn = ONE_INPUT[name]
    ours, theirs, e_in, t_in = run(
        lambda lib, F, x: F.jacobian(lambda x: fn(lib, x), x, create_graph=True), X,
        requires_grad=True)
    upstream = RNG.standard_normal(tuple(theirs.shape))
    t_grad = torch.autograd.grad(theirs, t_in, torch.tensor(upstream))
    e_grad = ember.autograd.grad(ours, e_in, ember.tensor(upstream))
    assert_same(e_grad, t_grad, check_grad_fn=False)


def test_jacobian_without_create_graph_is_detached():
    ours, theirs, _, _ = run(lambda lib, F, x: F.jacobian(lambda x: x * x, x), X,
                             requires_grad=True)
    assert not ours.requires_grad and not theirs.requires_grad


@pytest.mark.parametrize("vectorize", [False, True])
@pytest.mark.parametrize("name", list(SCALAR_FNS))
def test_hessian(name, vectorize):
    fn = SCALAR_FNS[name]
    run(lambda lib, F, x: F.hessian(lambda x: fn(lib, x), x, vectorize=vectorize), X)


@pytest.mark.parametrize("name", list(SCALAR_FNS_2))
def test_hessian_tuple_inputs(name):
    fn = SCALAR_FNS_2[name]
    run(lambda lib, F, x, m: F.hessian(lambda x, m: fn(lib, x, m), (x, m)), X, M)


def test_hessian_create_graph():
    ours, theirs, e_in, t_in = run(
        lambda lib, F, x: F.hessian(lambda x: (x ** 4).sum(), x, create_graph=True), X,
        requires_grad=True)
    upstream = RNG.standard_normal((3, 3))
    t_grad = torch.autograd.grad(theirs, t_in, torch.tensor(upstream))
    e_grad = ember.autograd.grad(ours, e_in, ember.tensor(upstream))
    assert_same(e_grad, t_grad, check_grad_fn=False)


def test_hessian_forward_mode_outer_strategy_values():
    # torch's forward-mode results keep history; Ember computes them in reverse mode, detached
    ours, theirs = (lib.autograd.functional.hessian(
        lambda x: (x ** 3).sum(), lib.tensor(X), vectorize=True,
        outer_jacobian_strategy="forward-mode") for lib in (ember, torch))
    assert_same(ours, theirs.detach())


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("name", list(ONE_INPUT))
def test_vjp_jvp_one_input(name, create_graph):
    fn = ONE_INPUT[name]
    out_shape = tuple(fn(torch, torch.tensor(X)).shape)
    v_out = RNG.standard_normal(out_shape)
    v_in = RNG.standard_normal(3)
    run(lambda lib, F, x, v: F.vjp(lambda x: fn(lib, x), x, v, create_graph=create_graph),
        X, v_out, requires_grad=create_graph)
    run(lambda lib, F, x, v: F.jvp(lambda x: fn(lib, x), x, v, create_graph=create_graph),
        X, v_in, requires_grad=create_graph)


@pytest.mark.parametrize("name", list(TWO_INPUTS))
def test_vjp_jvp_tuple_inputs(name):
    fn = TWO_INPUTS[name]
    outputs = fn(torch, torch.tensor(X), torch.tensor(M))
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    v_out = [RNG.standard_normal(tuple(o.shape)) for o in outputs]

    def vjp(lib, F, x, m, *v):
        return F.vjp(lambda x, m: fn(lib, x, m), (x, m), v if len(v) > 1 else v[0])

    run(vjp, X, M, *v_out)
    run(lambda lib, F, x, m, vx, vm: F.jvp(lambda x, m: fn(lib, x, m), (x, m), (vx, vm)),
        X, M, RNG.standard_normal(3), RNG.standard_normal((2, 3)))


def test_vjp_of_single_element_output_needs_no_v():
    run(lambda lib, F, x: F.vjp(lambda x: (x * x).sum(), x), X)
    run(lambda lib, F, s: F.jvp(lambda s: s.exp() * X.sum(), s), S)


@pytest.mark.parametrize("product", ["vhp", "hvp"])
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("name", list(SCALAR_FNS))
def test_vhp_hvp(name, create_graph, product):
    fn = SCALAR_FNS[name]
    run(lambda lib, F, x, v: getattr(F, product)(lambda x: fn(lib, x), x, v,
                                                 create_graph=create_graph),
        X, RNG.standard_normal(3), requires_grad=create_graph)


@pytest.mark.parametrize("product", ["vhp", "hvp"])
@pytest.mark.parametrize("name", list(SCALAR_FNS_2))
def test_vhp_hvp_tuple_inputs(name, product):
    fn = SCALAR_FNS_2[name]
    run(lambda lib, F, x, m, vx, vm: getattr(F, product)(lambda x, m: fn(lib, x, m), (x, m),
                                                         (vx, vm)),
        X, M, RNG.standard_normal(3), RNG.standard_normal((2, 3)))


def test_captured_input_is_not_the_argument():
    # the function also reads the tensor it was given through a closure: that use is a
    # constant, not part of the derivative (torch makes new tensor objects for the inputs)
    for create_graph in (False, True):
        results = []
        for lib in (torch, ember):
            x = lib.tensor(X, requires_grad=True)
            results.append(lib.autograd.functional.jacobian(lambda y, x=x: y * x, x,
                                                            create_graph=create_graph))
        assert_same(results[1], results[0])


def test_grad_mode_off_outside():
    run(lambda lib, F, x: _under_no_grad(lib, lambda: F.jacobian(lambda x: x.exp(), x)), X)
    run(lambda lib, F, x: _under_no_grad(lib, lambda: F.hvp(lambda x: (x ** 3).sum(), x, x)), X)
    run(lambda lib, F, x: _under_no_grad(lib, lambda: F.jvp(lambda x: x.exp(), x, x)), X)


def _under_no_grad(lib, fn):
    with lib.no_grad():
        return fn()


def _vec(lib):
    return lib.tensor(X)


ERRORS = {
    "list_inputs": lambda lib, F: F.jacobian(lambda x: x, [_vec(lib)]),
    "number_in_tuple": lambda lib, F: F.jacobian(lambda x, y: x, (_vec(lib), 2)),
    "number_output": lambda lib, F: F.jacobian(lambda x: 3, _vec(lib)),
    "vjp_needs_v": lambda lib, F: F.vjp(lambda x: x * 2, _vec(lib)),
    "jvp_needs_v": lambda lib, F: F.jvp(lambda x: x * 2, _vec(lib)),
    "v_length": lambda lib, F: F.vjp(lambda x: (x * 2, x), _vec(lib), (_vec(lib),)),
    "v_single": lambda lib, F: F.vjp(lambda x: x * 2, _vec(lib), (_vec(lib), _vec(lib))),
    "strict_unused": lambda lib, F: F.jacobian(lambda x, y: x * 2, (_vec(lib), _vec(lib)),
                                               strict=True),
    "strict_constant_output": lambda lib, F: F.jacobian(lambda x: lib.ones(3), _vec(lib),
                                                        strict=True),
    "strict_vjp_unused": lambda lib, F: F.vjp(lambda x, y: (x * 2).sum(),
                                              (_vec(lib), _vec(lib)), strict=True),
    "strict_jvp_unused": lambda lib, F: F.jvp(lambda x, y: x * 2, (_vec(lib), _vec(lib)),
                                              (_vec(lib), _vec(lib)), strict=True),
    "strict_linear_jacobian_graph": lambda lib, F: F.jacobian(lambda x: x * 2, _vec(lib),
                                                              strict=True, create_graph=True),
    "strict_linear_vjp_graph": lambda lib, F: F.vjp(lambda x: x * 2, _vec(lib), _vec(lib),
                                                    strict=True, create_graph=True),
    "hessian_vector_output": lambda lib, F: F.hessian(lambda x: x * 2, _vec(lib)),
    "hessian_tuple_output": lambda lib, F: F.hessian(lambda x: (x.sum(), x.sum()), _vec(lib)),
    "hessian_strict_linear": lambda lib, F: F.hessian(lambda x: (x * 2).sum(), _vec(lib),
                                                      strict=True),
    "hvp_tuple_output": lambda lib, F: F.hvp(lambda x: (x.sum(),), _vec(lib), _vec(lib)),
    "vhp_vector_output": lambda lib, F: F.vhp(lambda x: x * 2, _vec(lib), _vec(lib)),
    "hvp_strict_linear": lambda lib, F: F.hvp(lambda x: (x * 2).sum(), _vec(lib), _vec(lib),
                                              strict=True),
    "vhp_strict_linear": lambda lib, F: F.vhp(lambda x: (x * 2).sum(), _vec(lib), _vec(lib),
                                              strict=True),
    "unknown_strategy": lambda lib, F: F.jacobian(lambda x: x, _vec(lib), strategy="sideways"),
    "hessian_unknown_strategy": lambda lib, F: F.hessian(lambda x: x.sum(), _vec(lib),
                                                         outer_jacobian_strategy="x"),
    "forward_mode_not_vectorized": lambda lib, F: F.jacobian(lambda x: x, _vec(lib),
                                                             strategy="forward-mode"),
    "forward_mode_strict": lambda lib, F: F.jacobian(lambda x: x, _vec(lib), strict=True,
                                                     vectorize=True, strategy="forward-mode"),
    "forward_mode_create_graph": lambda lib, F: F.jacobian(lambda x: x, _vec(lib),
                                                           create_graph=True,
                                                           strategy="forward-mode"),
    "vectorize_strict": lambda lib, F: F.jacobian(lambda x: x, _vec(lib), vectorize=True,
                                                  strict=True),
    "empty_output": lambda lib, F: F.jacobian(lambda x: x[:0], _vec(lib)),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors(name):
    with pytest.raises(Exception) as theirs:
        ERRORS[name](torch, torch.autograd.functional)
    with pytest.raises(Exception) as ours:
        ERRORS[name](ember, ember.autograd.functional)
    assert ours.type is theirs.type
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("call", [
    lambda lib, F: F.vjp(lambda x: x * 2, _vec(lib), lib.ones(2, dtype=lib.float64)),
    lambda lib, F: F.vjp(lambda x: (x * 2, x), _vec(lib), (_vec(lib), _vec(lib)[:2])),
])
def test_v_size_errors(call):
    with pytest.raises(RuntimeError) as theirs:
        call(torch, torch.autograd.functional)
    with pytest.raises(RuntimeError) as ours:
        call(ember, ember.autograd.functional)
    assert str(ours.value) == str(theirs.value).replace("torch.Size", "ember.Size")
