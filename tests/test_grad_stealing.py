"""A leaf may take over a gradient nobody else holds (as torch steals it), but never one that
something else still references: writing into that other reference leaves .grad alone, in Ember
as in torch."""

import torch
from helpers import assert_same

import ember


def _kept_by_function(lib):
    kept = []

    class Keep(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            result = g * 2
            kept.append(result)
            return result

    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    Keep.apply(x).sum().backward()
    kept[0].add_(100)
    return x.grad


def _kept_by_node_hook(lib):
    kept = []
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 3
    y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: kept.append(grad_inputs))
    y.sum().backward()
    kept[0][0].add_(100)
    return x.grad


def _shared_between_leaves(lib):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = lib.tensor([3.0, 4.0], requires_grad=True)
    (a * 1 + b * 1).sum().backward()
    a.grad.add_(100)
    return b.grad


def test_held_gradients_are_copied():
    for case in (_kept_by_function, _kept_by_node_hook, _shared_between_leaves):
        assert_same(case(ember), case(torch))


def test_unheld_gradients_are_taken_without_a_copy(monkeypatch):
    """A linear layer's weight and bias gradients are fresh arrays: the leaves take them."""
    from ember.autograd import _accumulate

    copies = []
    copy_for = _accumulate._copy_for
    monkeypatch.setattr(_accumulate, "_copy_for",
                        lambda *args: copies.append(args) or copy_for(*args))
    layer = ember.nn.Linear(3, 2)
    layer(ember.ones(4, 3)).sum().backward()
    assert copies == []
    expected = torch.ones(4, 3).sum(0).expand(2, 3)
    assert_same(layer.weight.grad, expected)
