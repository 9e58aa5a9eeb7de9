"""Shared tools for the data tests: exact comparison of nested batches, and running the same code
with torch and with ember to compare results or errors."""

from __future__ import annotations

import collections.abc
import multiprocessing

import numpy as np
import pytest
from helpers import assert_same

import ember

torch = pytest.importorskip("torch")


def same_batch(e_out, t_out, path="batch"):
    """ember's batch equals torch's: the same container types (list vs tuple, dict, namedtuple
    class), the same tensor shapes, dtypes and values, the same plain values."""
    if isinstance(t_out, torch.Tensor):
        assert_same(e_out, t_out, path=path)
    elif isinstance(t_out, collections.abc.Mapping):
        assert type(e_out).__name__ == type(t_out).__name__, path
        assert list(e_out) == list(t_out), path
        for key in t_out:
            same_batch(e_out[key], t_out[key], f"{path}[{key!r}]")
    elif isinstance(t_out, (list, tuple)):
        assert type(e_out).__name__ == type(t_out).__name__, (
            f"{path}: {type(e_out).__name__} != torch {type(t_out).__name__}")
        assert len(e_out) == len(t_out), path
        for i, (e, t) in enumerate(zip(e_out, t_out)):
            same_batch(e, t, f"{path}[{i}]")
    elif isinstance(t_out, np.ndarray):
        assert isinstance(e_out, np.ndarray) and e_out.dtype == t_out.dtype, path
        np.testing.assert_array_equal(e_out, t_out, err_msg=path)
    else:
        assert type(e_out) is type(t_out), f"{path}: {type(e_out)} != torch {type(t_out)}"
        assert e_out == t_out, f"{path}: {e_out!r} != torch {t_out!r}"


def same_result(fn):
    """fn(lib) with torch and with ember give the same nested result."""
    t_out, e_out = fn(torch), fn(ember)
    same_batch(e_out, t_out)
    return e_out


def same_error(fn, message=True):
    """fn(lib) raises the same exception class in torch and ember (and the same message)."""
    with pytest.raises(Exception) as t_info:
        fn(torch)
    with pytest.raises(Exception) as e_info:
        fn(ember)
    assert e_info.type is t_info.type, f"ember: {e_info.value!r}; torch: {t_info.value!r}"
    if message:
        assert str(e_info.value) == str(t_info.value)
    return e_info.value


def children():
    """Live child processes of this process."""
    return set(multiprocessing.active_children())
