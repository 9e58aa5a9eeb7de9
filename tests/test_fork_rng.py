"""ember.random mirrors torch.random: fork_rng saves and restores the generator's state (as a
context manager and as a decorator), and the module exposes torch's names."""

import torch
from helpers import assert_same

import ember


def test_module_names():
    public = {n for n in dir(torch.random) if not n.startswith("_")}
    wanted = public - {"TYPE_CHECKING", "contextlib", "torch", "warnings",
                       "thread_safe_generator"}
    assert wanted <= set(dir(ember.random))


def _draws(lib):
    lib.manual_seed(7)
    before = lib.rand(3)
    with lib.random.fork_rng():
        inside = lib.randn(5)
        with lib.random.fork_rng():
            lib.rand(100)
        inside_after_nested = lib.rand(2)
    after = lib.rand(3)
    return before, inside, inside_after_nested, after


def test_context_manager_restores_state():
    for e, t in zip(_draws(ember), _draws(torch)):
        assert_same(e, t)
    first = _draws(ember)[3].tolist()
    ember.manual_seed(7)
    ember.rand(3)
    assert ember.rand(3).tolist() == first  # the forked draws left the stream untouched


def test_decorator_and_disabled():
    results = []
    for lib in (ember, torch):
        @lib.random.fork_rng()
        def draw(lib=lib):
            return lib.rand(4)

        lib.manual_seed(3)
        inside = draw()
        outside = lib.rand(4)
        with lib.random.fork_rng(enabled=False):
            lib.rand(1)
        results.append((inside, outside, lib.rand(2)))
    for e, t in zip(*results):
        assert_same(e, t)


def test_state_restored_after_an_exception():
    ember.manual_seed(11)
    state = ember.get_rng_state()
    try:
        with ember.random.fork_rng():
            ember.rand(10)
            raise ValueError("inside")
    except ValueError:
        pass
    assert ember.get_rng_state().tolist() == state.tolist()


def test_seeding_functions_are_the_default_generators():
    ember.random.manual_seed(5)
    assert ember.random.initial_seed() == 5 == ember.initial_seed()
    assert ember.random.default_generator is ember.default_generator
