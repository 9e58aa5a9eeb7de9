"""The autograd workflows of the study notes (shared/seeds), run with torch and with ember.

Each workflow is a function of ``lib``; it returns what the notes print (tensors, flags and the
printed text), and both libraries must agree: values, gradients, autograd metadata, and text with
'torch' read as 'ember' and object addresses dropped. Data is fixed where the notes' data was
random, except where the notes seed the generator (Ember reproduces torch's stream).
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from helpers import assert_same, to_numpy

import ember

torch = pytest.importorskip("torch")


def text(*values):
    """What print() would show, with 'torch' read as 'ember' and addresses dropped."""
    joined = " | ".join(str(v) for v in values)
    return re.sub(r" at 0x[0-9a-f]+", "", joined.replace("torch", "ember"))


def check_same(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # reading a non-leaf's .grad warns, in both
        t_out, e_out = fn(torch), fn(ember)
    assert_same(e_out, t_out)
    return e_out, t_out


def test_tracking_add_mul_mean():
    """x + 2, y * y * 3, mean: grad_fn names, printed tensors, and x.grad = 4.5."""

    def fn(lib):
        x = lib.ones(2, 2, requires_grad=True)
        y = x + 2
        z = y * y * 3
        out = z.mean()
        shown = text(y, z, out, y.grad_fn, z.grad_fn, out.grad_fn)
        out.backward()
        return x.grad, shown, text(x.grad), repr(y.grad_fn).split(" object")[0]

    e, _ = check_same(fn)
    np.testing.assert_allclose(to_numpy(e[0]), np.full((2, 2), 4.5))
    assert e[3] == "<AddBackward0"
    assert "tensor(27., grad_fn=<MeanBackward0>)" in e[1]


def test_doubling_loop_with_vector_backward():
    """y = x * 2 doubled while y.data.norm() < 1000, then y.backward(v)."""

    def fn(lib):
        x = lib.tensor([-0.4682, 0.0331, 0.8925], requires_grad=True)
        y = x * 2
        while y.data.norm() < 1000:
            y = y * 2
        v = lib.tensor([0.1, 1.0, 0.0001], dtype=lib.float)
        y.backward(v)
        flags = [x.requires_grad, (x ** 2).requires_grad]
        with lib.no_grad():
            flags.append((x ** 2).requires_grad)
        flags += [x.requires_grad, x.detach().requires_grad]
        return y, x.grad, text(y, x.grad), flags

    e, _ = check_same(fn)
    np.testing.assert_allclose(to_numpy(e[1]), [102.4, 1024.0, 0.1024], rtol=1e-6)
    assert e[3] == [True, True, False, True, False]


def test_leaves_and_nodes_of_z_equals_wx_plus_b():
    """z = w * x + b: requires_grad, is_leaf, grad_fn of every node; grads after backward;
    retain_graph=True makes a second backward accumulate."""

    def fn(lib):
        x = lib.Tensor([2])
        w = lib.tensor([0.5], requires_grad=True)
        b = lib.tensor([-1.0], requires_grad=True)
        y = lib.mul(w, x)
        z = lib.add(y, b)
        report = [
            f"{x.requires_grad},{w.requires_grad},{b.requires_grad}",
            f"{y.requires_grad},{z.requires_grad}",
            f"{x.is_leaf},{w.is_leaf},{b.is_leaf},{y.is_leaf},{z.is_leaf}",
            f"{x.grad_fn},{w.grad_fn},{b.grad_fn}",
            text(f"{y.grad_fn},{z.grad_fn}"),
        ]
        z.backward(retain_graph=True)
        report.append(text(f"{w.grad},{b.grad},{x.grad}"))
        report.append(f"{y.grad},{z.grad}")
        z.backward()  # the graph was kept: gradients accumulate
        return w.grad, b.grad, x.grad, report

    e, _ = check_same(fn)
    np.testing.assert_array_equal(to_numpy(e[0]), [4.0])
    np.testing.assert_array_equal(to_numpy(e[1]), [2.0])
    assert e[3][2] == "True,True,True,False,False"


def test_jacobian_by_backward_with_unit_vectors():
    """y[0, 0] = x1**2 + 3 x2 and y[0, 1] = x2**2 + 2 x1 written into zeros(1, 2)."""

    def fn(lib):
        x = lib.tensor([[2, 3]], dtype=lib.float, requires_grad=True)
        J = lib.zeros(2, 2)
        y = lib.zeros(1, 2)
        y[0, 0] = x[0, 0] ** 2 + 3 * x[0, 1]
        y[0, 1] = x[0, 1] ** 2 + 2 * x[0, 0]
        y.backward(lib.Tensor([[1, 0]]), retain_graph=True)
        J[0] = x.grad
        x.grad = lib.zeros_like(x.grad)
        y.backward(lib.Tensor([[0, 1]]))
        J[1] = x.grad
        return J, text(J), text(y)

    e, _ = check_same(fn)
    np.testing.assert_array_equal(to_numpy(e[0]), [[4.0, 3.0], [2.0, 6.0]])


def test_dot_product_gradients_and_zeroing():
    """2 * dot(x, x), x.sum(), (x * x).sum() with grad.zero_() between them."""

    def fn(lib):
        x = lib.arange(4.0)
        x.requires_grad_(True)
        results = [x.grad]
        y = 2 * lib.dot(x, x)
        results.append(text(y))
        y.backward()
        results += [x.grad.clone(), x.grad == 4 * x]
        x.grad.zero_()
        x.sum().backward()
        results.append(x.grad.clone())
        x.grad.zero_()
        (x * x).sum().backward()
        results.append(x.grad.clone())
        return results

    check_same(fn)


def test_detach_makes_a_constant():
    """u = (x * x).detach() is a constant: d(u * x)/dx == u."""

    def fn(lib):
        x = lib.arange(4.0, requires_grad=True)
        y = x * x
        u = y.detach()
        z = u * x
        z.sum().backward()
        first = [text(u), x.grad == u]
        x.grad.zero_()
        y = x * x
        y.sum().backward()
        return first, x.grad == 2 * x

    check_same(fn)


@pytest.mark.parametrize("a", [0.3, -0.7, 1e-3])
def test_gradient_through_python_control_flow(a):
    """f loops while b.norm() < 1000 and branches on b.sum(); f is linear, so a.grad == d / a."""

    def f(b):
        b = b * 2
        while b.norm() < 1000:
            b = b * 2
        if b.sum() > 0:
            c = b
        else:
            c = 100 * b
        return c

    def fn(lib):
        x = lib.tensor(a, requires_grad=True)
        d = f(x)
        d.backward()
        return d, x.grad, x.grad == d / x

    e, _ = check_same(fn)
    assert bool(e[2])


@pytest.mark.parametrize("dtype", ["int64", "int32"])
def test_broadcasting_4x1_plus_3(dtype):
    """(4, 1) + (3,), automatically and by unsqueeze + expand; the printed tensors."""

    def fn(lib):
        A1 = lib.from_numpy(np.arange(0, 40, 10).reshape(4, 1).astype(dtype))
        B1 = lib.from_numpy(np.arange(0, 3).astype(dtype))
        C = A1 + B1
        B2 = B1.unsqueeze(0)
        A2 = A1.expand(4, 3)
        B3 = B2.expand(4, 3)
        C1 = A2 + B3
        return C, C1, text("A1:", A1, "B1:", B1, "C:", C, "B2:", B2, "A2:", A2, "B3:", B3,
                           "C1:", C1)

    check_same(fn)


def test_broadcasting_gradients():
    """The same broadcast with float leaves: each gradient is summed back to its shape."""

    def fn(lib):
        a = lib.tensor([[0.0], [10.0], [20.0], [30.0]], requires_grad=True)
        b = lib.tensor([0.0, 1.0, 2.0], requires_grad=True)
        c = a + b
        (c * c).sum().backward()
        return c, a.grad, b.grad

    check_same(fn)


def test_fitting_a_quadratic_with_autograd():
    """y = w x^2 + b fitted by hand-written gradient descent under no_grad (seeded data)."""

    def fn(lib):
        lib.manual_seed(100)
        x = lib.unsqueeze(lib.linspace(-1, 1, 100), dim=1)
        y = 3 * x.pow(2) + 2 + 0.2 * lib.rand(x.size())
        w = lib.randn(1, 1, dtype=lib.float, requires_grad=True)
        b = lib.zeros(1, 1, dtype=lib.float, requires_grad=True)
        lr = 0.001
        for _ in range(800):
            y_pred = x.pow(2).mm(w) + b
            loss = (0.5 * (y_pred - y) ** 2).sum()
            loss.backward()
            with lib.no_grad():
                w -= lr * w.grad
                b -= lr * b.grad
                w.grad.zero_()
                b.grad.zero_()
        return w, b, loss, w.is_leaf, y_pred.detach()[:3]

    e, _ = check_same(fn)
    assert 2.0 < float(e[0]) < 3.5 and 1.5 < float(e[1]) < 2.6
