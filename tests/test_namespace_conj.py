"""ember.conj is torch.conj (the public op), not the helper backward formulas use."""

import torch
from helpers import assert_same

import ember
from ember._ops import complex as complex_ops


def test_conj_is_the_public_op():
    assert ember.conj is complex_ops.conj
    for values in ([1 + 2j, 3 - 1j], [1.0, -2.0]):
        assert_same(ember.conj(ember.tensor(values)), torch.conj(torch.tensor(values)))
    with_grad = ember.tensor([1 + 2j], requires_grad=True)
    assert type(ember.conj(with_grad).grad_fn).__name__ == \
        torch.conj(torch.tensor([1 + 2j], requires_grad=True)).grad_fn.name()
