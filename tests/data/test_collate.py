"""default_collate and default_convert against torch's: the same nesting, container types and
dtypes for numbers, NumPy data, tensors, strings, mappings, namedtuples and sequences."""

from __future__ import annotations

import collections

import numpy as np
import pytest
from data_helpers import same_error, same_result

torch = pytest.importorskip("torch")

Point = collections.namedtuple("Point", ["x", "y"])


class Record(collections.UserDict):
    """A mutable mapping that is not a dict: collation keeps its type."""


NUMPY_DTYPES = ["float32", "float64", "float16", "int8", "int16", "int32", "int64", "uint8",
                "bool"]

BATCHES = {
    "ints": lambda lib: [0, 1, -7],
    "floats": lambda lib: [0.5, 1.0, -2.25],
    "bools": lambda lib: [True, False],
    "strings": lambda lib: ["a", "bc"],
    "bytes": lambda lib: [b"a", b"bc"],
    "tuples": lambda lib: [(1, 2.0, "a"), (3, 4.0, "b")],
    "lists": lambda lib: [[1, 2], [3, 4]],
    "dicts": lambda lib: [{"a": 1, "b": [1.5, "s"]}, {"a": 2, "b": [2.5, "t"]}],
    "user dict": lambda lib: [Record(a=1), Record(a=2)],
    "defaultdict": lambda lib: [collections.defaultdict(int, a=1.0)] * 2,
    "namedtuples": lambda lib: [Point(1, "p"), Point(2, "q")],
    "tensors": lambda lib: [lib.arange(3), lib.arange(3) * 2],
    "float tensors": lambda lib: [lib.ones(2, 2), lib.zeros(2, 2)],
    "0-d tensors": lambda lib: [lib.tensor(1.5), lib.tensor(2.5)],
    "tensor tuples": lambda lib: [(lib.ones(2), 1), (lib.zeros(2), 2)],
    "nested": lambda lib: [{"x": (lib.ones(1), [np.int16(i)])} for i in (3, 4)],
    "numpy 0-d arrays": lambda lib: [np.array(1.5), np.array(2.5)],
    "numpy mixed": lambda lib: [np.float32(1.5), np.float32(2)],
    "strings in tuples": lambda lib: [("a", 1), ("b", 2)],
    "range": lambda lib: [range(2), range(2)],
}


@pytest.mark.parametrize("name", list(BATCHES))
def test_default_collate(name):
    same_result(lambda lib: lib.utils.data.default_collate(BATCHES[name](lib)))


@pytest.mark.parametrize("dtype", NUMPY_DTYPES)
def test_default_collate_numpy(dtype):
    rng = np.random.default_rng(0)
    arrays = [(rng.standard_normal((2, 3)) * 4).astype(dtype) for _ in range(3)]
    scalars = [a[0, 0] for a in arrays]
    same_result(lambda lib: lib.utils.data.default_collate(arrays))
    same_result(lambda lib: lib.utils.data.default_collate(scalars))


@pytest.mark.parametrize("name", list(BATCHES))
def test_default_convert(name):
    same_result(lambda lib: lib.utils.data.default_convert(BATCHES[name](lib)))


@pytest.mark.parametrize("value", [
    np.arange(4, dtype=np.int32), np.float64(1.5), np.array(["a", "b"]), np.str_("x"),
    (np.arange(2), [np.float32(1)]), {"a": np.ones(2, np.uint8)}, Point(np.int64(1), "s"),
    3, "text", 2.5,
])
def test_default_convert_values(value):
    same_result(lambda lib: lib.utils.data.default_convert(value))


@pytest.mark.parametrize("batch", [
    [[1, 2], [3]],
    [object(), object()],
    [np.array(["a"]), np.array(["b"])],
    [np.array([object()]), np.array([object()])],
    [None, None],
])
def test_default_collate_errors(batch):
    # the messages name the offending type, which is the library's own for tensors only
    same_error(lambda lib: lib.utils.data.default_collate(batch))


def _collate_module(lib):
    return torch.utils.data._utils.collate if lib is torch else lib.utils.data.collate


def test_collate_fn_map_extension():
    """A custom map entry replaces the defaults, as torch documents; without a map, numbers
    are unknown."""

    def fn(lib):
        module = _collate_module(lib)
        by_sum = {int: lambda batch, *, collate_fn_map: sum(batch)}
        return [module.collate([(1, 2), (3, 4)], collate_fn_map=by_sum),
                module.collate([1.5, 2.5], collate_fn_map=module.default_collate_fn_map)]

    same_result(fn)
    same_error(lambda lib: _collate_module(lib).collate([1, 2]))
