"""Autograd against torch: flags, grad_fn graphs, backward / grad, hooks, detach and .data, grad
modes, higher-order gradients, the engine's scheduling, torch's errors, custom Functions and
gradcheck. Each test runs the same code with ``lib=torch`` and ``lib=ember`` and compares values,
gradients, autograd metadata, and exception classes and messages ('torch' read as 'ember')."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from helpers import assert_same, to_numpy

import ember

torch = pytest.importorskip("torch")
LIBS = [torch, ember]


def norm(text):
    """Messages and reprs are compared with 'torch' read as 'ember'."""
    return str(text).replace("torch", "ember")


def check_same(fn, check_grad_fn=True):
    """``fn(lib)`` gives the same result with torch and ember."""
    t_out, e_out = fn(torch), fn(ember)
    assert_same(e_out, t_out, check_grad_fn=check_grad_fn)
    return e_out, t_out


def check_raises(fn, message=True):
    """Both raise: the same exception class and, with ``message``, the same message."""
    with pytest.raises(Exception) as t_info:
        fn(torch)
    with pytest.raises(Exception) as e_info:
        fn(ember)
    assert e_info.type.__name__ == t_info.type.__name__, (e_info.value, t_info.value)
    assert issubclass(e_info.type, t_info.type.__mro__[1]) or e_info.type is t_info.type
    if message:
        assert norm(e_info.value) == norm(t_info.value)
    return e_info.value


def check_warns(fn):
    """Both emit the same warnings (class and message), in order."""
    texts = []
    for lib in LIBS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fn(lib)
        # torch's C++ warnings end with where they were raised
        texts.append([(w.category.__name__, norm(w.message).split(" (Triggered internally")[0])
                      for w in caught])
    assert texts[1] == texts[0]
    return texts[0]


def graph(fn):
    """A grad_fn's name and the graph below it, as nested tuples (None for missing edges)."""
    if fn is None:
        return None
    return (fn.name(), tuple((graph(f), nr) for f, nr in fn.next_functions))


def node_repr(fn):
    return norm(repr(fn).split(" object at ")[0])


def inference_enabled(lib):
    # NOTE: ember/__init__.py does not export is_inference_mode_enabled yet
    return (torch.is_inference_mode_enabled() if lib is torch
            else ember.autograd.is_inference_mode_enabled())


def leaf(lib, values, dtype=None, requires_grad=True):
    dtype = dtype or lib.float32
    return lib.tensor(values, dtype=dtype, requires_grad=requires_grad)


# -- requires_grad -----------------------------------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda lib: lib.ones(2, 3, requires_grad=True),
    lambda lib: lib.zeros(2, dtype=lib.float64, requires_grad=True),
    lambda lib: lib.tensor([1.0, 2.0], requires_grad=True),
    lambda lib: lib.ones(2, dtype=lib.complex64).requires_grad_(),
    lambda lib: lib.ones(2).requires_grad_(False),
])
def test_requires_grad_flags(make):
    check_same(lambda lib: (make(lib).requires_grad, make(lib).is_leaf, make(lib).grad_fn,
                            make(lib).grad))


def test_requires_grad_property_and_method():
    def fn(lib):
        x = lib.ones(2)
        before = x.requires_grad
        x.requires_grad = True
        same = x.requires_grad_(False) is x
        return before, x.requires_grad, same

    check_same(fn)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_integer_tensors_cannot_require_grad(dtype):
    def by_property(lib):
        lib.ones(2, dtype=getattr(lib, dtype)).requires_grad = True

    check_raises(by_property)
    check_raises(lambda lib: lib.ones(2, dtype=getattr(lib, dtype)).requires_grad_())
    check_same(lambda lib: lib.ones(2, dtype=getattr(lib, dtype)).requires_grad_(False))


def test_factory_keyword_on_integer_dtype():
    # the class matches; the message is creation.py's (see the xfail below)
    check_raises(lambda lib: lib.ones(2, dtype=lib.int64, requires_grad=True), message=False)


@pytest.mark.xfail(reason="creation.py calls requires_grad_(), whose message differs from the "
                          "factories' 'Only Tensors of floating point and complex dtype ...'")
def test_factory_keyword_message():
    check_raises(lambda lib: lib.tensor([1, 2], requires_grad=True))


def test_requires_grad_must_be_bool():
    def by_property(lib):
        lib.ones(2).requires_grad = None

    check_raises(by_property)
    check_raises(lambda lib: lib.ones(2).requires_grad_(1))


def test_requires_grad_on_non_leaf():
    def set_false(lib):
        (leaf(lib, [1.0]) * 2).requires_grad = False

    check_raises(set_false)
    check_raises(lambda lib: (leaf(lib, [1.0]) * 2).requires_grad_(False))
    check_same(lambda lib: (leaf(lib, [1.0]) * 2).requires_grad_(True).is_leaf)


def test_results_require_grad_when_an_input_does():
    def fn(lib):
        x, c = leaf(lib, [1.0, 2.0]), lib.tensor([3.0, 4.0])
        y = c * 2
        z = x * c
        return (y.requires_grad, y.is_leaf, z.requires_grad, z.is_leaf, (x > 1).requires_grad,
                x.argmax().requires_grad, x.detach().requires_grad)

    check_same(fn)


# -- grad_fn names and next_functions ------------------------------------------------------------


EXPRESSIONS = {
    "mul_add_sum": lambda lib, x, w: (x * w + x).sum(),
    "mean_of_squares": lambda lib, x, w: (x + 2) * (x + 2) * 3,
    "exp_log_mean": lambda lib, x, w: (x.exp() + w.log()).mean(),
    "matmul": lambda lib, x, w: (x.reshape(2, 2) @ w.reshape(2, 2)).t(),
    "views": lambda lib, x, w: x[1:].unsqueeze(0).expand(3, 3).transpose(0, 1),
    "div_pow_neg": lambda lib, x, w: -(x / w) ** 2,
    "constant_operand": lambda lib, x, w: x * lib.ones(4),
}


@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_grad_fn_graph(name):
    def fn(lib):
        x = lib.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        w = lib.tensor([0.5, 1.5, 2.5, 3.5], requires_grad=True)
        out = EXPRESSIONS[name](lib, x, w)
        return graph(out.grad_fn), node_repr(out.grad_fn), out

    e, t = check_same(fn)
    assert e[0] == t[0]


def test_accumulate_grad_node():
    def fn(lib):
        x = leaf(lib, [1.0, 2.0])
        acc = (x * 2).grad_fn.next_functions[0][0]
        return acc.name(), node_repr(acc), acc.variable is x, acc.next_functions

    check_same(fn)


def test_output_nr_and_multi_output_nodes():
    def fn(lib):
        x = leaf(lib, [[1.0, 2.0], [3.0, 4.0]])
        a, b = x.unbind(0)
        return graph((a * b).sum().grad_fn)

    check_same(fn)


# -- backward, .grad and accumulation ------------------------------------------------------------


def test_scalar_backward_and_accumulation():
    def fn(lib):
        x = leaf(lib, [1.0, 2.0, 3.0])
        (x * x).sum().backward()
        first = x.grad.clone()
        (x * 3).sum().backward()
        return first, x.grad, x.grad.requires_grad, x.grad.is_leaf

    check_same(fn)


def test_backward_with_gradient():
    def fn(lib):
        x = leaf(lib, [[1.0, 2.0], [3.0, 4.0]])
        y = x * x + x
        y.backward(lib.tensor([[0.1, 1.0], [10.0, -1.0]]))
        return x.grad

    check_same(fn)


def test_accumulation_updates_grad_in_place():
    def fn(lib):
        x = leaf(lib, [1.0, 2.0])
        x.grad = lib.ones(2)
        held = x.grad
        (x * 2).sum().backward()
        return held is x.grad, held, held._version if lib is torch else held._version.value

    check_same(fn)


def test_first_grad_is_a_copy():
    def fn(lib):
        x, w = leaf(lib, [1.0, 2.0]), leaf(lib, [3.0, 4.0])
        (x + w).sum().backward()
        x.grad.add_(1)
        return x.grad, w.grad, x.grad is w.grad

    check_same(fn)


def test_grad_zero_and_set_to_none():
    def fn(lib):
        x = leaf(lib, [1.0, 2.0])
        (x * 2).sum().backward()
        x.grad.zero_()
        (x * 3).sum().backward()
        after_zero = x.grad.clone()
        x.grad = None
        (x * 4).sum().backward()
        return after_zero, x.grad

    check_same(fn)


def test_del_grad():
    def fn(lib):
        x = leaf(lib, [1.0])
        (x * 2).sum().backward()
        del x.grad
        return x.grad

    check_same(fn)


def test_grad_assignment_checks():
    def wrong(value):
        def fn(lib):
            x = leaf(lib, [1.0, 2.0])
            x.grad = value(lib, x)
        return fn

    check_raises(wrong(lambda lib, x: lib.ones(3)))
    check_raises(wrong(lambda lib, x: lib.ones(2, dtype=lib.float64)))
    check_raises(wrong(lambda lib, x: lib.ones(2, dtype=lib.int64)))
    check_raises(wrong(lambda lib, x: 3))
    check_raises(wrong(lambda lib, x: x))


def test_non_leaf_grad_is_none_with_a_warning():
    def fn(lib):
        x = leaf(lib, [1.0, 2.0])
        y = x * 2
        (y * y).sum().backward()
        return y.grad

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_same(fn)
    warned = check_warns(fn)
    assert warned and warned[0][0] == "UserWarning"


def test_retain_grad():
    def fn(lib):
        x = leaf(lib, [1.0, 2.0])
        y = x * 2
        flags = [y.retains_grad, x.retains_grad]
        y.retain_grad()
        y.retain_grad()  # twice is harmless
        flags.append(y.retains_grad)
        x.retain_grad()  # a no-op on leaves
        (y * y).sum().backward(retain_graph=True)
        first = y.grad.clone()
        (y * y).sum().backward()
        return flags, first, y.grad, x.grad, x.retains_grad

    check_same(fn)
    check_raises(lambda lib: lib.ones(2).retain_grad())


def test_retain_grad_with_autograd_grad():
    def fn(lib):
        x = leaf(lib, [1.0, 2.0])
        y = x * 2
        y.retain_grad()
        g = lib.autograd.grad((y * y).sum(), x)
        return g, y.grad

    check_same(fn)


@pytest.mark.parametrize("order", ["before", "after"])
def test_retain_grad_follows_in_place_ops(order):
    def fn(lib):
        x = leaf(lib, [1.0, 2.0])
        y = x * 2
        if order == "before":
            y.retain_grad()
        y.mul_(3)
        if order == "after":
            y.retain_grad()
        (y * y).sum().backward()
        return y.grad, x.grad, y.grad_fn.name()

    check_same(fn)


def test_retain_grad_on_a_base_written_through_a_view():
    def fn(lib):
        x = leaf(lib, [1.0, 2.0, 3.0])
        y = x * 1
        y.retain_grad()
        y[0] = x[1] * 5
        (y * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
        return y.grad, x.grad

    check_same(fn)


# -- backward's arguments and autograd.backward / autograd.grad ----------------------------------


def test_retain_graph_accumulates():
    def fn(lib):
        x, w, b = leaf(lib, [2.0]), leaf(lib, [3.0]), leaf(lib, [1.0])
        z = w * x + b
        z.backward(retain_graph=True)
        z.backward()
        return w.grad, b.grad, x.grad

    check_same(fn)


def test_backward_inputs_restrict_accumulation():
    def fn(lib):
        x, w = leaf(lib, [1.0, 2.0]), leaf(lib, [3.0, 4.0])
        y = x * w
        out = (y * y).sum()
        out.backward(inputs=[x], retain_graph=True)
        out.backward(inputs=w, retain_graph=True)
        out.backward(inputs=[y])
        return x.grad, w.grad, y.grad

    check_same(fn)


def test_backward_inputs_unused_leaf():
    def fn(lib):
        x, w = leaf(lib, [1.0]), leaf(lib, [2.0])
        (x * 2).sum().backward(inputs=[w])
        return x.grad, w.grad

    check_same(fn)


def test_autograd_backward_multiple_roots():
    def fn(lib):
        x = leaf(lib, [1.0, 2.0])
        y = x * x
        lib.autograd.backward([y.sum(), y * 3], [None, lib.tensor([1.0, 10.0])])
        return x.grad

    check_same(fn)


def test_autograd_backward_root_reachable_from_another_root():
    def fn(lib):
        x = leaf(lib, [1.0, 2.0])
        y = x.exp()
        z = (y * y).sum()
        lib.autograd.backward([y, z], [lib.ones(2), None])
        return x.grad

    check_same(fn)


def test_autograd_grad():
    def fn(lib):
        x, w = leaf(lib, [1.0, 2.0]), leaf(lib, [3.0, 4.0])
        y = x * w
        out = (y * y).sum()
        grads = lib.autograd.grad(out, [x, y, w], retain_graph=True)
        vector = lib.autograd.grad(y, x, grad_outputs=lib.tensor([1.0, -1.0]))
        return grads, vector, x.grad, w.grad

    check_same(fn)


def test_autograd_grad_allow_unused_and_materialize():
    def fn(lib):
        x, w = leaf(lib, [1.0, 2.0]), leaf(lib, [3.0])
        out = (x * 2).sum()
        unused = lib.autograd.grad(out, [x, w], allow_unused=True, retain_graph=True)
        zeros = lib.autograd.grad(out, [x, w], materialize_grads=True)
        return unused, zeros

    check_same(fn)


def test_autograd_grad_several_outputs():
    def fn(lib):
        x = leaf(lib, [1.0, 2.0])
        a, b = x * 2, x ** 3
        return lib.autograd.grad([a, b], x, [lib.tensor([1.0, 1.0]), lib.tensor([0.5, 2.0])])

    check_same(fn)


def test_autograd_grad_same_input_twice():
    check_same(lambda lib: lib.autograd.grad((leaf(lib, [1.0, 2.0]) ** 2).sum(),
                                             [t := leaf(lib, [3.0]), t], allow_unused=True))


# -- hooks ----------------------------------------------------------------------------------------


def test_tensor_hooks_modify_gradients():
    def fn(lib):
        log = []
        x = leaf(lib, [1.0, 2.0])
        y = x * 2
        y.register_hook(lambda g: log.append(("y1", g.tolist())) or g * 2)
        y.register_hook(lambda g: log.append(("y2", g.tolist())))
        x.register_hook(lambda g: log.append(("x", g.tolist())) or g + 1)
        (y * 3).sum().backward()
        return log, x.grad

    check_same(fn)


def test_hook_handles_remove():
    def fn(lib):
        x = leaf(lib, [1.0, 2.0])
        y = x * 2
        h1 = x.register_hook(lambda g: g * 10)
        h2 = y.register_hook(lambda g: g * 100)
        h1.remove()
        h2.remove()
        h2.remove()
        (y * 1).sum().backward()
        return x.grad

    check_same(fn)


def test_hooks_with_autograd_grad():
    def fn(lib):
        log = []
        x = leaf(lib, [1.0, 2.0])
        x.register_hook(lambda g: g * 2)
        x.register_post_accumulate_grad_hook(lambda t: log.append("post"))
        return lib.autograd.grad((x * 3).sum(), x), log, x.grad

    check_same(fn)


def test_hook_errors():
    check_raises(lambda lib: lib.ones(2).register_hook(lambda g: g))
    check_raises(lambda lib: lib.ones(2).register_post_accumulate_grad_hook(lambda t: None))
    check_raises(lambda lib: (leaf(lib, [1.0]) * 2).register_post_accumulate_grad_hook(
        lambda t: None))


def test_post_accumulate_grad_hook():
    def fn(lib):
        log = []
        x = leaf(lib, [1.0, 2.0])
        x.register_post_accumulate_grad_hook(lambda t: log.append(t.grad.tolist()))
        (x * 2).sum().backward()
        (x * 3).sum().backward()
        return log

    check_same(fn)


def test_leaf_hook_order_follows_the_graph():
    def fn(lib):
        log = []
        w1, w2, x = leaf(lib, [1.0]), leaf(lib, [2.0]), leaf(lib, [3.0])
        for name, t in (("w1", w1), ("w2", w2), ("x", x)):
            t.register_post_accumulate_grad_hook(lambda t, name=name: log.append(name))
        ((x * w1) * w2).sum().backward()
        return log

    check_same(fn)


@pytest.mark.parametrize("n", [2, 3, 5, 9])
def test_leaf_hook_order_ties(n):
    # several leaves become ready at once: torch's priority queue decides their order
    def fn(lib):
        log = []
        ws = [leaf(lib, [float(i)]) for i in range(n)]
        for i, w in enumerate(ws):
            w.register_post_accumulate_grad_hook(lambda t, i=i: log.append(i))
        lib.stack(ws).sum().backward()
        return log

    check_same(fn)


def test_node_hooks():
    def fn(lib):
        log = []
        x = leaf(lib, [1.0, 2.0])
        y = x * 2
        node = y.grad_fn
        node.register_prehook(lambda go: log.append(("pre", [g.tolist() for g in go])))
        node.register_hook(lambda gi, go: log.append(
            ("post", [g if g is None else g.tolist() for g in gi], [g.tolist() for g in go])))
        y.register_hook(lambda g: log.append(("tensor", g.tolist())))
        (y * 3).sum().backward()
        return log

    check_same(fn)


def test_node_hooks_replace_gradients():
    def fn(lib):
        x = leaf(lib, [1.0, 2.0])
        y = x * 2
        y.grad_fn.register_prehook(lambda go: (go[0] * 10,))
        y.register_hook(lambda g: g + 1)
        z = x * 5
        z.grad_fn.register_hook(lambda gi, go: (gi[0] * 0, None))
        (y * 3 + z).sum().backward()
        return x.grad

    check_same(fn)


# -- detach, .data and Variable -------------------------------------------------------------------


def version(t):
    return t._version if isinstance(t, torch.Tensor) else t._version.value


def test_detach_shares_memory_and_version():
    def fn(lib):
        x = leaf(lib, [1.0, 2.0])
        y = x * 2
        d = y.detach()
        d.add_(1)
        return (d.requires_grad, d.is_leaf, d.grad_fn, y, version(y), version(d),
                d.data_ptr() == y.data_ptr())

    check_same(fn)


def test_detach_in_place():
    def fn(lib):
        x = leaf(lib, [1.0, 2.0])
        y = x * 2
        y.detach_()
        return y.requires_grad, y.is_leaf, y.grad_fn

    check_same(fn)
    check_raises(lambda lib: (leaf(lib, [[1.0, 2.0]]) * 1)[0].detach_())


def test_detach_makes_a_constant():
    def fn(lib):
        x = leaf(lib, [0.0, 1.0, 2.0, 3.0])
        y = x * x
        u = y.detach()
        (u * x).sum().backward()
        return x.grad, bool((x.grad == u).all())

    check_same(fn)


def test_data_is_an_alias_with_its_own_version():
    def fn(lib):
        x = leaf(lib, [1.0, 2.0])
        d = x.data
        d.add_(1)
        return x, d, d.requires_grad, d.is_leaf, version(x), version(d)

    check_same(fn)


def test_data_in_place_update_of_a_leaf_is_allowed():
    def fn(lib):
        w = leaf(lib, [1.0, 2.0])
        (w * w).sum().backward()
        w.data.sub_(0.1 * w.grad)
        with lib.no_grad():
            w -= 0.1 * w.grad
        return w, w.is_leaf, w.requires_grad, version(w)

    check_same(fn)


def test_assigning_data():
    def fn(lib):
        x = leaf(lib, [1.0, 2.0])
        src = lib.zeros(3)
        x.data = src
        src.add_(5)
        return x, x.requires_grad, x.is_leaf, version(x)

    check_same(fn)

    def to_int(lib):
        leaf(lib, [1.0]).data = lib.zeros(3, dtype=lib.int64)

    def to_number(lib):
        leaf(lib, [1.0]).data = 3

    check_raises(to_int)
    check_raises(to_number)


def test_variable():
    def fn(lib):
        t = lib.ones(2)
        v = lib.autograd.Variable(t, requires_grad=True)
        alias = lib.autograd.Variable(t)
        alias.add_(1)
        (v * 3).sum().backward()
        return (v.requires_grad, v.is_leaf, v.grad, t, alias.requires_grad,
                isinstance(t, lib.autograd.Variable), type(v).__name__, version(t))

    check_same(fn)


# -- grad modes -------------------------------------------------------------------------------


def test_no_grad_and_enable_grad_blocks():
    def fn(lib):
        x = leaf(lib, [1.0])
        with lib.no_grad():
            a = x * 2
            inner = lib.is_grad_enabled()
            with lib.enable_grad():
                b = x * 2
            c = x * 2
        return (a.requires_grad, a.grad_fn, inner, b.requires_grad, c.requires_grad,
                lib.is_grad_enabled())

    check_same(fn)


def test_grad_mode_decorators():
    def fn(lib):
        x = leaf(lib, [1.0])

        @lib.no_grad
        def bare(t):
            return t * 2

        @lib.no_grad()
        def called(t):
            return t * 2

        @lib.enable_grad()
        def enabled(t):
            return t * 2

        @lib.set_grad_enabled(False)
        def disabled(t):
            return t * 2

        @lib.inference_mode
        def inference_bare(t):
            return t * 2

        @lib.inference_mode()
        def inference_called(t):
            return inference_enabled(lib), (t * 2).requires_grad

        with lib.no_grad():
            inside = enabled(x).requires_grad
        return (bare(x).requires_grad, called(x).requires_grad, inside, disabled(x).requires_grad,
                inference_bare(x).requires_grad, inference_called(x), lib.is_grad_enabled(),
                bare.__name__)

    check_same(fn)


def test_set_grad_enabled_as_function_and_context():
    def fn(lib):
        x = leaf(lib, [1.0])
        lib.set_grad_enabled(False)
        a = (x * 2).requires_grad
        lib.set_grad_enabled(True)
        with lib.set_grad_enabled(False):
            b = (x * 2).requires_grad
        with lib.no_grad(), lib.set_grad_enabled(True):
            c = (x * 2).requires_grad
        return a, b, c, lib.is_grad_enabled()

    check_same(fn)


def test_inference_mode():
    def fn(lib):
        x = leaf(lib, [1.0])
        with lib.inference_mode():
            a = (x * 2).requires_grad
            flag = inference_enabled(lib)
        with lib.inference_mode(False):
            b = (x * 2).requires_grad
        return a, flag, b, lib.is_grad_enabled()

    check_same(fn)


def test_grad_mode_restored_after_exception():
    def fn(lib):
        try:
            with lib.no_grad():
                raise KeyError("boom")
        except KeyError:
            pass
        return lib.is_grad_enabled()

    check_same(fn)


# -- higher-order gradients -----------------------------------------------------------------------


def test_second_derivative_of_cube():
    def fn(lib):
        x = leaf(lib, [2.0, -1.0])
        y = (x ** 3).sum()
        g, = lib.autograd.grad(y, x, create_graph=True)
        g2, = lib.autograd.grad(g.sum(), x, create_graph=True)
        g3, = lib.autograd.grad(g2.sum(), x)
        return g, g2, g3, g.requires_grad, g.grad_fn is not None

    check_same(fn)


def test_gradient_penalty():
    def fn(lib):
        x = leaf(lib, [1.0, 2.0, 3.0])
        w = leaf(lib, [0.5, -1.0, 2.0])
        y = (w * x.sin() * x).sum()
        g, = lib.autograd.grad(y, x, create_graph=True)
        g.norm().backward()
        return x.grad, w.grad

    check_same(fn)


def test_backward_create_graph():
    def fn(lib):
        x = leaf(lib, [1.0, 2.0])
        (x ** 3).sum().backward(create_graph=True)
        first = x.grad
        names = (first.grad_fn.name(), node_repr(first.grad_fn))
        x.grad = None
        first.sum().backward()
        y = leaf(lib, [1.0, 2.0])
        (y * 2).sum().backward(create_graph=True)  # a constant gradient keeps no graph
        return first, names, x.grad, y.grad, y.grad.grad_fn

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about the .grad reference cycle
        check_same(fn)


def test_create_graph_accumulation():
    def fn(lib):
        x = leaf(lib, [1.0, 2.0])
        (x ** 2).sum().backward(create_graph=True)
        first = x.grad
        (x ** 3).sum().backward(create_graph=True)
        return first is x.grad, x.grad, x.grad.grad_fn.name()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_same(fn)


# -- torch's errors ----------------------------------------------------------------------------


@pytest.mark.parametrize("op", ["mul", "exp", "pow", "matmul", "div"])
def test_second_backward_through_saved_values(op):
    ops = {"mul": lambda x: x * x, "exp": lambda x: x.exp(), "pow": lambda x: x ** 2,
           "matmul": lambda x: x @ x, "div": lambda x: 1 / x}

    def fn(lib):
        y = ops[op](leaf(lib, [1.0, 2.0])).sum()
        y.backward()
        y.backward()

    check_raises(fn)


@pytest.mark.parametrize("op", ["add", "sum", "neg", "view", "scalar_add"])
def test_second_backward_without_saved_values_works(op):
    ops = {"add": lambda x: x + x, "sum": lambda x: x.sum() * 1.0 if False else x.sum(),
           "neg": lambda x: -x, "view": lambda x: x.view(2, 1), "scalar_add": lambda x: x + 1}

    def fn(lib):
        x = leaf(lib, [1.0, 2.0])
        y = ops[op](x).sum()
        y.backward()
        y.backward()
        return x.grad

    check_same(fn)


def test_freed_saved_values_after_backward():
    def fn(lib):
        y = leaf(lib, [1.0, 2.0]).exp()
        (y.sum() * 1.0).backward()
        (y * 2).sum().backward()  # ExpBackward0 itself ran and freed its result

    check_raises(fn)


def test_implicit_gradient_needs_a_scalar():
    check_raises(lambda lib: (leaf(lib, [1.0, 2.0]) * 2).backward())
    check_raises(lambda lib: lib.autograd.grad(leaf(lib, [1.0, 2.0]) * 2, []))
    check_raises(lambda lib: lib.autograd.backward([(x := leaf(lib, [1.0, 2.0])).sum(), x * 3]))
    check_same(lambda lib: lib.autograd.backward([(x := leaf(lib, [1.0])) * 2, x * 3]) or x.grad)
    check_raises(lambda lib: (leaf(lib, [1.0 + 1j], dtype=lib.complex64) * 2).sum().backward())
    check_same(lambda lib: ((x := leaf(lib, [[3.0]])) * 2).backward() or x.grad)


def test_backward_on_a_tensor_without_grad():
    check_raises(lambda lib: (lib.ones(2) * 2).sum().backward())
    check_raises(lambda lib: lib.autograd.grad((leaf(lib, [1.0]) * 2).sum(), [lib.ones(1)]))

    def second_root(lib):
        x = leaf(lib, [1.0])
        lib.autograd.backward([x.sum(), lib.ones(1).sum()])

    check_raises(second_root)


def test_gradient_argument_errors():
    check_raises(lambda lib: (leaf(lib, [1.0, 2.0]) * 2).backward(lib.ones(3)))
    check_raises(lambda lib: (leaf(lib, [1.0, 2.0]) * 2).backward([1.0, 2.0]))
    check_raises(lambda lib: lib.autograd.backward([(x := leaf(lib, [1.0])) * 2, x * 3],
                                                   [lib.ones(1)]))
    check_raises(lambda lib: (leaf(lib, [1.0]) * 2).sum().backward(inputs=[]))
    check_raises(lambda lib: lib.autograd.grad((leaf(lib, [1.0]) * 2).sum(), []))


def test_unused_input_error_names_its_index():
    check_raises(lambda lib: lib.autograd.grad((leaf(lib, [1.0]) * 2).sum(),
                                               [leaf(lib, [1.0]), leaf(lib, [2.0])]))


def test_in_place_on_a_leaf():
    check_raises(lambda lib: leaf(lib, [1.0, 2.0]).add_(1))
    check_raises(lambda lib: leaf(lib, [1.0, 2.0]).mul_(leaf(lib, [3.0, 4.0])))
    check_raises(lambda lib: leaf(lib, [1.0, 2.0]).zero_())

    def setitem(lib):
        leaf(lib, [1.0, 2.0])[0] = 5.0

    check_raises(setitem)


def test_in_place_on_a_view_of_a_leaf():
    check_raises(lambda lib: leaf(lib, [[1.0, 2.0], [3.0, 4.0]])[0].add_(1))
    check_raises(lambda lib: leaf(lib, [[1.0, 2.0], [3.0, 4.0]]).view(4).mul_(2))
    check_raises(lambda lib: leaf(lib, [[1.0, 2.0], [3.0, 4.0]]).t().zero_())


def test_in_place_on_a_leaf_is_allowed_without_grad():
    def fn(lib):
        x = leaf(lib, [[1.0, 2.0], [3.0, 4.0]])
        with lib.no_grad():
            x.add_(1)
            x[0].mul_(2)
            x[1, 1] = 0.0
        return x, x.is_leaf, x.requires_grad, version(x)

    check_same(fn)


@pytest.mark.parametrize("case", ["input", "output", "leaf", "view", "function", "scalar"])
def test_saved_tensor_modified_in_place(case):
    def fn(lib):
        x = leaf(lib, [1.0, 2.0])
        if case == "input":
            y = x * 2
            z = y * y
            y.add_(1)
        elif case == "output":
            y = x.exp()
            z = y
            y.add_(1)
        elif case == "leaf":
            z = x * x
            with lib.no_grad():
                x.add_(1)
        elif case == "view":
            y = (x * 1).view(2, 1)
            z = y * y
            y[0] = 7.0
        elif case == "function":
            y = function(lib, "Square").apply(x)
            z = y * y
            y.add_(1)
        else:
            y = x.sum()
            z = y * y
            y.add_(1)
        z.sum().backward()

    check_raises(fn)


def test_stale_saved_value_only_matters_if_saved():
    def fn(lib):
        x = leaf(lib, [1.0, 2.0])
        y = x * 2
        z = y + 3  # AddBackward0 saves nothing
        w = y * lib.ones(2)  # y's gradient needs the constant, not y itself
        y.add_(1)
        (z + w).sum().backward()
        return x.grad

    check_same(fn)


# -- in-place ops on tensors with history ----------------------------------------------------------


@pytest.mark.parametrize("op", ["mul_scalar", "mul_tensor", "pow_", "exp_", "sigmoid_", "div_",
                                "sub_", "clamp_", "neg_"])
def test_in_place_on_non_leaf(op):
    ops = {"mul_scalar": lambda lib, y, w: y.mul_(3), "mul_tensor": lambda lib, y, w: y.mul_(w),
           "pow_": lambda lib, y, w: y.pow_(2), "exp_": lambda lib, y, w: y.exp_(),
           "sigmoid_": lambda lib, y, w: y.sigmoid_(), "div_": lambda lib, y, w: y.div_(w),
           "sub_": lambda lib, y, w: y.sub_(w, alpha=2), "clamp_": lambda lib, y, w: y.clamp_(
               0.5, 3.0), "neg_": lambda lib, y, w: y.neg_()}

    def fn(lib):
        x, w = leaf(lib, [0.3, 1.0, 2.0]), leaf(lib, [1.5, -2.0, 0.5])
        y = x * 2
        out = ops[op](lib, y, w)
        (y * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
        return out is y, y, y.grad_fn.name(), x.grad, w.grad, version(y)

    check_same(fn)


@pytest.mark.xfail(reason="creation.copy_ clones src (CloneBackward0); inplace.copy_into gives "
                          "torch's CopyBackwards once creation.py calls it")
def test_copy_node():
    def fn(lib):
        x, w = leaf(lib, [1.0, 2.0]), leaf(lib, [3.0, 4.0])
        y = x * 1
        y.copy_(w * w)
        z = lib.zeros(2)
        z.copy_(w)
        (y + z).sum().backward()
        return graph(y.grad_fn), graph(z.grad_fn), x.grad, w.grad

    check_same(fn)


def test_in_place_chain_first_and_second_order():
    def f(a, b):
        y = a * 1
        y.pow_(2)
        y.mul_(b)
        y[0] = a[0] * 3 + b[1] ** 2
        y.abs_()
        y[1:].mul_(a[1:])
        y.div_(b)
        y.exp_()
        return y

    def fn(lib):
        a = double(lib, [0.3, -0.5, 1.2])
        b = double(lib, [1.1, 0.4, -0.7])
        g = lib.autograd.grad(f(a, b).sum(), (a, b), create_graph=True)
        gg = lib.autograd.grad(g[0].sum() + g[1].sum(), (a, b))
        return (lib.autograd.gradcheck(f, (a, b)), lib.autograd.gradgradcheck(f, (a, b)),
                f(a, b), g, gg)

    check_same(fn)


def test_in_place_on_a_tensor_without_history():
    def fn(lib):
        w = leaf(lib, [1.0, 2.0])
        z = lib.zeros(2)
        z.add_(w * 3)
        z.mul_(w)
        z.sum().backward()
        return z, z.is_leaf, z.grad_fn.name(), w.grad

    check_same(fn)


def test_self_in_place_with_itself_fails_like_torch():
    def fn(lib):
        y = leaf(lib, [1.0, 2.0]) * 2
        y.mul_(y)
        y.sum().backward()

    check_raises(fn)


def test_in_place_through_a_view_of_a_non_leaf():
    def fn(lib):
        x = leaf(lib, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        y = x * 1
        y[0].mul_(2)
        y[:, 1] = x[1, :2] ** 2
        y.sum().backward()
        return y, y.grad_fn.name(), node_repr(y.grad_fn), x.grad

    check_same(fn)


def test_views_see_in_place_changes_of_their_base():
    def fn(lib):
        x = leaf(lib, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        y = x * 1
        row = y[0]
        other = y[1]
        y.mul_(2)
        (row * 3 + other).sum().backward()
        return row.grad_fn.name(), other.grad_fn.name(), version(row), x.grad

    check_same(fn)


def test_view_of_a_leaf_after_no_grad_update():
    def fn(lib):
        x = leaf(lib, [1.0, 2.0, 3.0])
        v = x[:2]
        with lib.no_grad():
            x.mul_(2)
        v.sum().backward()
        return graph(v.grad_fn), x.grad, v

    check_same(fn)


def test_no_grad_view_of_a_non_leaf_has_no_history():
    def fn(lib):
        h = leaf(lib, [1.0, 2.0, 3.0]) * 1
        with lib.no_grad():
            v = h[:2]
        return v.grad_fn, v.is_leaf

    check_same(fn)


@pytest.mark.xfail(reason="a view taken without history does not follow its base when the base "
                          "gains history later (Op.apply reads the view's own requires_grad)")
def test_view_of_a_plain_tensor_gains_history():
    def fn(lib):
        y = lib.zeros(3)
        v = y[1:]
        x = leaf(lib, [2.0])
        y[2] = x[0] * 3
        return v.grad_fn.name(), v.requires_grad, v.is_leaf

    check_same(fn)


def test_copy_slices_jacobian():
    def fn(lib):
        x = lib.tensor([[2.0, 3.0]], requires_grad=True)
        y = lib.zeros(1, 2)
        y[0, 0] = x[0, 0] ** 2 + 3 * x[0, 1]
        y[0, 1] = x[0, 1] ** 2 + 2 * x[0, 0]
        y.backward(lib.tensor([[1.0, 0.0]]), retain_graph=True)
        row0 = x.grad.clone()
        x.grad = lib.zeros_like(x.grad)
        y.backward(lib.tensor([[0.0, 1.0]]))
        return lib.stack([row0[0], x.grad[0]]), y.is_leaf, y.grad_fn.name(), node_repr(
            y.grad_fn), norm(y)

    e, t = check_same(fn)
    np.testing.assert_array_equal(to_numpy(e[0]), [[4.0, 3.0], [2.0, 6.0]])
    assert e[-1] == t[-1]


# -- the engine ----------------------------------------------------------------------------------


def test_deep_chain_has_no_recursion_limit():
    def fn(lib):
        x = leaf(lib, [1.0, 2.0])
        y = x
        for _ in range(10_000):
            y = y * 1.0001
        y.sum().backward()
        del y
        return x.grad

    check_same(fn)


def test_diamond_graph():
    def fn(lib):
        x = leaf(lib, [0.5, 1.0])
        a = x * 2
        b, c = a.exp(), a.sin()
        d = b * c + a
        (d * d).sum().backward()
        return x.grad

    check_same(fn)


# magnitudes from 1e-4 to 1e6: in float32 their sum depends on the order it is taken in
_ORDER_SENSITIVE = [3455.842041015625, 821.6181640625, 0.0003304370620753616,
                    -0.0013031571870669723, 905355.875, 44637.45703125, -536953.25,
                    58.11180877685547]


def _sum_chain(lib, x):
    out = x * _ORDER_SENSITIVE[0]
    for c in _ORDER_SENSITIVE[1:]:
        out = out + x * c
    return out.sum()


def _sum_tree(lib, x):
    h = x * 1.0
    terms = [h * c for c in _ORDER_SENSITIVE]
    while len(terms) > 1:
        terms = [terms[i] + terms[i + 1] for i in range(0, len(terms), 2)]
    return terms[0].sum()


def _sum_fan(lib, x):
    h = x * 1.0
    parts = [(h * c).sum() for c in _ORDER_SENSITIVE]
    total = parts[3] + parts[0]
    for i in (5, 1, 7, 2, 6, 4):
        total = total + parts[i]
    return total


@pytest.mark.parametrize("graph", [_sum_chain, _sum_tree, _sum_fan])
def test_gradients_are_summed_in_torchs_order(graph):
    """A gradient arriving from several branches is summed in the order torch's engine runs
    them (highest sequence number first): the float32 bits show any other order."""
    grads = []
    for lib in (ember, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        graph(lib, x).backward()
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(*grads)
    assert float(np.float32(sum(np.float32(c) for c in _ORDER_SENSITIVE))) != grads[1][0]


def test_shared_subgraph_runs_once():
    def fn(lib):
        log = []
        x = leaf(lib, [1.0, 2.0])
        h = x * 3
        h.register_hook(lambda g: log.append(g.tolist()))
        out = (h * h).sum() + h.sum() + (h ** 3).sum()
        out.backward()
        return log, x.grad

    check_same(fn)


def test_broadcast_gradients_are_summed_back():
    def fn(lib):
        a = leaf(lib, [[0.0], [10.0], [20.0], [30.0]])
        b = leaf(lib, [0.0, 1.0, 2.0])
        c = a + b
        (c * lib.arange(12.0).reshape(4, 3)).sum().backward()
        return c, a.grad, b.grad

    check_same(fn)


def test_gradient_dtype_follows_the_input():
    def fn(lib):
        x = leaf(lib, [1.0, 2.0], dtype=lib.float32)
        d = leaf(lib, [3.0, 4.0], dtype=lib.float64)
        (x * d).sum().backward()
        return x.grad, d.grad

    check_same(fn)


def test_anomaly_mode_reports_nan():
    def fn(lib):
        x = leaf(lib, [1.0, 2.0])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.autograd.detect_anomaly():
                (x * float("nan")).sum().backward()

    check_raises(fn)


# -- custom Functions ---------------------------------------------------------------------------


def custom(lib, name, forward, backward, setup_context=None):
    """A ``lib.autograd.Function`` subclass named ``name``, from plain functions."""
    attrs = {"forward": staticmethod(forward), "backward": staticmethod(backward)}
    if setup_context is not None:
        attrs["setup_context"] = staticmethod(setup_context)
    return type(name, (lib.autograd.Function,), attrs)


def _square_forward(ctx, a):
    ctx.save_for_backward(a)
    return a * a


def _square_backward(ctx, g):
    (a,) = ctx.saved_tensors
    return g * 2 * a


def _scale_forward(ctx, a, k):
    ctx.k = k
    return a * k


def _exp_forward(ctx, a):
    y = a.exp()
    ctx.save_for_backward(y)  # an output: saved without a reference cycle
    return y


def _exp_backward(ctx, g):
    (y,) = ctx.saved_tensors
    return g * y


def _split_forward(ctx, a):
    ctx.set_materialize_grads(False)
    ints = a.long()
    ctx.mark_non_differentiable(ints)
    return a * 2, a * 3, ints


def _split_backward(ctx, g1, g2, g3):
    # without materialized grads, outputs that got no gradient give None
    return sum((g * k for g, k in ((g1, 2), (g2, 3)) if g is not None), start=0)


def _double_forward(ctx, a):
    a.mul_(2)
    ctx.mark_dirty(a)
    return a


def _mul_setup(ctx, inputs, output):
    ctx.save_for_backward(*inputs)


def _mul_backward(ctx, g):
    a, b = ctx.saved_tensors
    return g * b, g * a


_FUNCTIONS = {
    "Square": (_square_forward, _square_backward),
    "Scale": (_scale_forward, lambda ctx, g: (g * ctx.k, None)),
    "Exp": (_exp_forward, _exp_backward),
    "Split": (_split_forward, _split_backward),
    "Mul": (lambda a, b: a * b, _mul_backward, _mul_setup),  # the setup_context style
    "Double": (_double_forward, lambda ctx, g: g * 2),
    "Identity": (lambda ctx, a: a, lambda ctx, g: g * 3),
    "WrongGrad": (lambda ctx, a: a * 2, lambda ctx, g: g * 3),
}


def function(lib, name):
    return custom(lib, name, *_FUNCTIONS[name])


def test_function_basics():
    def fn(lib):
        x = leaf(lib, [1.0, 2.0])
        y = function(lib, "Scale").apply(x, 3.0)
        z = function(lib, "Exp").apply(y)
        z.sum().backward()
        return (y, z, x.grad, type(z.grad_fn).__name__, z.grad_fn.name(), graph(z.grad_fn),
                node_repr(y.grad_fn), y.grad_fn.needs_input_grad, norm(z))

    check_same(fn)


def test_function_double_backward():
    def fn(lib):
        x = leaf(lib, [1.0, 2.0])
        y = function(lib, "Square").apply(x)
        g, = lib.autograd.grad(y.sum(), x, create_graph=True)
        g2, = lib.autograd.grad(g.sum(), x)
        e = function(lib, "Exp").apply(x)
        h, = lib.autograd.grad(e.sum(), x, create_graph=True)
        h2, = lib.autograd.grad(h.sum(), x)
        return g, g2, h, h2

    check_same(fn)


def test_function_outputs_and_ctx_flags():
    def fn(lib):
        x = leaf(lib, [1.0, 2.0])
        a, b, ints = function(lib, "Split").apply(x)
        b.sum().backward()
        first = x.grad.clone()
        m = function(lib, "Mul").apply(x, lib.tensor([3.0, 4.0]))
        needs = m.grad_fn.needs_input_grad
        m.sum().backward()
        return a, b, ints, ints.requires_grad, first, needs, x.grad

    check_same(fn)


def test_function_dirty_and_identity_outputs():
    def fn(lib):
        x = leaf(lib, [1.0, 2.0])
        y = x * 1
        z = function(lib, "Double").apply(y)
        i = function(lib, "Identity").apply(x)
        (z.sum() + i.sum()).backward()
        return z is y, z.grad_fn.name(), i is x, i._base is x, i.grad_fn.name(), x.grad

    check_same(fn)


def test_function_errors():
    def wrong_count(lib):
        class F(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a * 2

            @staticmethod
            def backward(ctx, g):
                return g, g

        F.apply(leaf(lib, [1.0])).sum().backward()

    def wrong_shape(lib):
        class F(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a * 2

            @staticmethod
            def backward(ctx, g):
                return lib.ones(4)

        F.apply(leaf(lib, [1.0, 2.0, 3.0])).sum().backward()

    def wrong_second_shape(lib):  # the message names the input: both have one shape and dtype
        class F(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a, b):
                return a * b

            @staticmethod
            def backward(ctx, g):
                return g, lib.ones(4)

        F.apply(leaf(lib, [1.0, 2.0, 3.0]), leaf(lib, [4.0, 5.0, 6.0])).sum().backward()

    def dirty_leaf(lib):
        function(lib, "Double").apply(leaf(lib, [1.0]))

    def freed(lib):
        y = function(lib, "Exp").apply(leaf(lib, [1.0]))
        y.sum().backward()
        y.sum().backward()

    for fn in (wrong_count, wrong_shape, wrong_second_shape, dirty_leaf, freed):
        check_raises(fn)


def test_function_without_grad():
    def fn(lib):
        scale = function(lib, "Scale")
        x = leaf(lib, [1.0, 2.0])
        with lib.no_grad():
            y = scale.apply(x, 2.0)
        z = scale.apply(lib.ones(2), 2.0)
        return y.requires_grad, y.grad_fn, z.requires_grad

    check_same(fn)


def test_once_differentiable():
    def fn(lib):
        from_module = (torch.autograd.function.once_differentiable if lib is torch
                       else ember.autograd.function.once_differentiable)

        class F(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                ctx.save_for_backward(a)
                return a * a

            @staticmethod
            @from_module
            def backward(ctx, g):
                (a,) = ctx.saved_tensors
                return g * 2 * a

        x = leaf(lib, [1.0, 3.0])
        F.apply(x).sum().backward()
        return x.grad

    check_same(fn)


# -- gradcheck and gradgradcheck --------------------------------------------------------------


def double(lib, values):
    return lib.tensor(values, dtype=lib.float64, requires_grad=True)


GRADCHECK_CASES = {
    "sin_mul": (lambda a, b: a.sin() * b, 2),
    "exp_sum_dim": (lambda a, b: (a.exp() * b).sum(1), 2),
    "matmul": (lambda a, b: a @ b.t(), 2),
    "div_pow": (lambda a, b: (a / (b * b + 1)) ** 2, 2),
    "two_outputs": (lambda a, b: (a * b, a - b), 2),
}


@pytest.mark.parametrize("name", sorted(GRADCHECK_CASES))
def test_gradcheck_and_gradgradcheck(name):
    fn, _ = GRADCHECK_CASES[name]

    def run(lib):
        a = double(lib, [[0.1, -0.7, 1.2], [0.4, 0.9, -1.5]])
        b = double(lib, [[1.1, 0.2, -0.3], [0.8, -1.2, 0.6]])
        return lib.autograd.gradcheck(fn, (a, b)), lib.autograd.gradgradcheck(fn, (a, b))

    check_same(run)


def nondeterministic(lib):
    """A Function whose backward gives a slightly different gradient on every call."""
    calls = []

    def backward(ctx, g):
        calls.append(1)
        return g * 2 * (1 + 1e-3 * len(calls))

    return custom(lib, "Nondeterministic", lambda ctx, a: a * 2, backward)


def test_gradcheck_finds_a_wrong_custom_gradient():
    check_same(lambda lib: lib.autograd.gradcheck(function(lib, "WrongGrad").apply,
                                                  (double(lib, [1.0, 2.0]),),
                                                  raise_exception=False))
    error = check_raises(lambda lib: lib.autograd.gradcheck(function(lib, "WrongGrad").apply,
                                                            (double(lib, [1.0, 2.0]),)))
    assert isinstance(error, RuntimeError)
    assert isinstance(error, ember.autograd.GradcheckError)


def test_gradcheck_nondeterministic_backward():
    error = check_raises(lambda lib: lib.autograd.gradcheck(nondeterministic(lib).apply,
                                                            (double(lib, [1.0]),)), message=False)
    # ember's message is the first paragraph of torch's (which goes on about torch's own tests)
    assert str(error).startswith("Backward is not reentrant")
    assert str(error).endswith("The tolerance for nondeterminism was 0.0.")


def test_gradcheck_message_names_output_and_input():
    def fn(lib):
        wrong = function(lib, "WrongGrad")
        lib.autograd.gradcheck(lambda a, b: (a * b, wrong.apply(b)),
                               (double(lib, [1.0]), double(lib, [2.0])))

    check_raises(fn)


def test_gradcheck_inputs():
    check_raises(lambda lib: lib.autograd.gradcheck(lambda a: a * 2,
                                                    (lib.ones(2, dtype=lib.float64),)))
    check_same(lambda lib: lib.autograd.gradcheck(lambda a, k: a * k, (double(lib, [1.0]), 3.0)))
    warned = check_warns(lambda lib: lib.autograd.gradcheck(
        lambda a: a * 2, (leaf(lib, [1.0, 2.0]),), raise_exception=False))
    assert warned and warned[0][0] == "UserWarning"


def test_gradcheck_float32_fails_like_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_raises(lambda lib: lib.autograd.gradcheck(lambda a: a * a,
                                                        (leaf(lib, [[1.0, 2.0, 3.0]]),)))


def test_gradcheck_non_differentiable_outputs():
    check_same(lambda lib: lib.autograd.gradcheck(lambda a: a.long(), (double(lib, [1.0]),)))
    check_same(lambda lib: lib.autograd.gradcheck(lambda a: a.sum().detach(),
                                                  (double(lib, [1.0]),), raise_exception=False))
    check_raises(lambda lib: lib.autograd.gradcheck(lambda a: a.sum().detach(),
                                                    (double(lib, [1.0]),)))


def test_gradgradcheck_with_given_grad_outputs():
    def fn(lib):
        x = double(lib, [0.5, -1.0])
        go = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        return lib.autograd.gradgradcheck(lambda a: a ** 3, (x,), (go,))

    check_same(fn)


def test_gradgradcheck_finds_a_wrong_second_derivative():
    def fn(lib):
        class F(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                ctx.save_for_backward(a)
                return a ** 3

            @staticmethod
            def backward(ctx, g):
                (a,) = ctx.saved_tensors
                return g * 3 * a.detach() ** 2  # detached: the second derivative is lost

        return lib.autograd.gradgradcheck(F.apply, (double(lib, [0.5, -1.0]),),
                                          raise_exception=False)

    check_same(fn)


@pytest.mark.parametrize("name", ["gradcheck", "gradgradcheck", "grad", "backward"])
def test_signatures_match_torch(name):
    import inspect

    def params(fn):
        return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]

    assert params(getattr(ember.autograd, name)) == params(getattr(torch.autograd, name))


def test_tensor_backward_signature():
    import inspect

    assert (list(inspect.signature(ember.Tensor.backward).parameters) ==
            list(inspect.signature(torch.Tensor.backward).parameters))
