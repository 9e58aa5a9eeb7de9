"""The tensor-level random functions accept torch's call forms and give torch's numbers."""

import pytest

import ember

torch = pytest.importorskip("torch")

RANDINT_FORMS = [
    lambda lib: lib.randint(high=5, size=(4,)),
    lambda lib: lib.randint(5, (3,)),
    lambda lib: lib.randint(2, 9, (3,)),
    lambda lib: lib.randint(low=1, high=4, size=(2, 2)),
    lambda lib: lib.randint(-3, 3, (5,), dtype=lib.int32),
]


@pytest.mark.parametrize("form", range(len(RANDINT_FORMS)))
def test_randint_call_forms(form):
    torch.manual_seed(7)
    ember.manual_seed(7)
    theirs, ours = RANDINT_FORMS[form](torch), RANDINT_FORMS[form](ember)
    assert ours.tolist() == theirs.tolist()
    assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
