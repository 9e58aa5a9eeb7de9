"""Differential test tools: run the same code with ``lib=torch`` (the reference) and ``lib=ember``,
then compare structure, shapes, dtypes, values, autograd metadata and gradients."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

# (rtol, atol) per dtype name; exact for integers and bools
TOLERANCES = {
    "float16": (1e-3, 1e-3),
    "bfloat16": (1.6e-2, 1e-2),
    "float32": (1.3e-5, 1e-5),
    "float64": (1e-7, 1e-9),
    "complex64": (1.3e-5, 1e-5),
    "complex128": (1e-7, 1e-9),
}


def dtype_name(dtype):
    """'float32' for ember.float32 and torch.float32 alike."""
    return str(dtype).split(".")[-1]


def to_numpy(t):
    """Host values of a torch or ember tensor as a NumPy array (bfloat16 widened to float32)."""
    if isinstance(t, torch.Tensor):
        # NOTE: torch's lazy conjugate views (.mH, .conj()) cannot go through .numpy()
        t = t.detach().resolve_conj()
        if t.dtype == torch.bfloat16:
            t = t.float()
        return t.numpy()
    data = ember._backend.to_host(t._data)
    return data.astype(np.float32) if data.dtype.name == "bfloat16" else data


def make_array(shape, dtype, rng, low=-3.0, high=3.0):
    """Random NumPy data of a dtype name; floats in [low, high), ints in a small range."""
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype.startswith(("int", "uint")):
        lo = 0 if dtype == "uint8" else int(low)
        return rng.integers(lo, max(int(high), lo + 1) + 1, size=shape).astype(dtype)
    values = rng.uniform(low, high, size=shape)
    if dtype.startswith("complex"):
        values = values + 1j * rng.uniform(low, high, size=shape)
    return values.astype("float32" if dtype == "bfloat16" else dtype)


def pair(array, dtype=None, requires_grad=False):
    """The same data as a torch tensor and an ember tensor."""
    dtype = dtype or array.dtype.name
    t = torch.tensor(array).to(getattr(torch, dtype))
    e = ember.tensor(array).to(getattr(ember, dtype))
    if requires_grad:
        t.requires_grad_(True)
        e.requires_grad_(True)
    return t, e


def assert_same(e_out, t_out, rtol=None, atol=None, check_grad_fn=True, path="output"):
    """Recursively compare an ember result with torch's: type, shape, dtype, values."""
    if isinstance(t_out, torch.Tensor):
        assert isinstance(e_out, ember.Tensor), f"{path}: expected a Tensor, got {type(e_out)}"
        assert tuple(e_out.shape) == tuple(t_out.shape), (
            f"{path}: shape {tuple(e_out.shape)} != torch {tuple(t_out.shape)}")
        assert dtype_name(e_out.dtype) == dtype_name(t_out.dtype), (
            f"{path}: dtype {e_out.dtype} != torch {t_out.dtype}")
        assert e_out.requires_grad == t_out.requires_grad, f"{path}: requires_grad differs"
        if check_grad_fn:
            assert (e_out.grad_fn is None) == (t_out.grad_fn is None), f"{path}: grad_fn differs"
        r, a = TOLERANCES.get(dtype_name(t_out.dtype), (0, 0))
        np.testing.assert_allclose(to_numpy(e_out), to_numpy(t_out), rtol=rtol or r,
                                   atol=atol if atol is not None else a, equal_nan=True,
                                   err_msg=path)
    elif isinstance(t_out, (tuple, list)):
        assert isinstance(e_out, (tuple, list)), f"{path}: expected a sequence, got {type(e_out)}"
        assert len(e_out) == len(t_out), f"{path}: length {len(e_out)} != {len(t_out)}"
        for i, (e, t) in enumerate(zip(e_out, t_out)):
            assert_same(e, t, rtol, atol, check_grad_fn, f"{path}[{i}]")
    elif isinstance(t_out, torch.Size):
        assert tuple(e_out) == tuple(t_out), f"{path}: {e_out} != {t_out}"
    elif isinstance(t_out, torch.dtype):
        assert dtype_name(e_out) == dtype_name(t_out), f"{path}: {e_out} != {t_out}"
    elif isinstance(t_out, float):
        assert isinstance(e_out, float), f"{path}: expected float, got {type(e_out)}"
        np.testing.assert_allclose(e_out, t_out, rtol=rtol or 1e-6, equal_nan=True)
    else:
        assert type(e_out) is type(t_out), f"{path}: type {type(e_out)} != {type(t_out)}"
        assert e_out == t_out, f"{path}: {e_out!r} != torch {t_out!r}"


def _flat_tensors(out):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat_tensors(o)]
    return [out] if hasattr(out, "requires_grad") else []


def check_op(fn, *shapes, dtype="float32", dtypes=None, grad=False, gradgrad=False, low=-3.0,
             high=3.0, seed=0, rtol=None, atol=None, inputs=None):
    """Run ``fn(lib, *tensors)`` with torch and ember on the same random inputs and compare the
    results; with ``grad``, also compare input gradients for the same random upstream gradient
    (not .sum(), which would hide transposition bugs); with ``gradgrad``, check second derivatives
    in float64 with ember's gradgradcheck."""
    rng = np.random.default_rng(seed)
    dtypes = dtypes or [dtype] * len(shapes)
    arrays = inputs if inputs is not None else [
        make_array(s, d, rng, low, high) for s, d in zip(shapes, dtypes)]
    names = [d if inputs is None else a.dtype.name for d, a in zip(dtypes, arrays)]
    differentiable = [grad and (n.startswith(("float", "complex")) or n == "bfloat16")
                      for n in names]
    pairs = [pair(a, n, g) for a, n, g in zip(arrays, names, differentiable)]
    t_out = fn(torch, *(p[0] for p in pairs))
    e_out = fn(ember, *(p[1] for p in pairs))
    assert_same(e_out, t_out, rtol, atol)
    if grad and any(differentiable):
        _check_grads(e_out, t_out, pairs, differentiable, rng, rtol, atol)
    if gradgrad:
        _check_gradgrad(fn, arrays, differentiable)
    return e_out, t_out


def _check_grads(e_out, t_out, pairs, differentiable, rng, rtol, atol):
    t_outs = [t for t in _flat_tensors(t_out) if t.requires_grad]
    e_outs = [t for t in _flat_tensors(e_out) if t.requires_grad]
    assert len(t_outs) == len(e_outs)
    if not t_outs:
        return
    seeds = [rng.standard_normal(t.shape).astype(to_numpy(t).dtype) for t in t_outs]
    t_in = [p[0] for p, d in zip(pairs, differentiable) if d]
    e_in = [p[1] for p, d in zip(pairs, differentiable) if d]
    t_grads = torch.autograd.grad(t_outs, t_in, [torch.tensor(s).to(t.dtype) for s, t in
                                                 zip(seeds, t_outs)], allow_unused=True)
    e_grads = ember.autograd.grad(e_outs, e_in, [ember.tensor(s).to(t.dtype) for s, t in
                                                 zip(seeds, e_outs)], allow_unused=True)
    for i, (e, t) in enumerate(zip(e_grads, t_grads)):
        if t is None:
            assert e is None or not to_numpy(e).any(), f"grad[{i}]: torch has none"
            continue
        assert e is not None, f"grad[{i}]: ember has none, torch has one"
        assert_same(e, t, rtol, atol, check_grad_fn=False, path=f"grad[{i}]")


def _check_gradgrad(fn, arrays, differentiable):
    inputs = []
    for a, d in zip(arrays, differentiable):
        t = ember.tensor(a.astype("float64") if d else a)
        inputs.append(t.requires_grad_(True) if d else t)
    assert ember.autograd.gradcheck(lambda *xs: fn(ember, *xs), inputs)
    assert ember.autograd.gradgradcheck(lambda *xs: fn(ember, *xs), inputs)


def check_error(fn, *shapes, dtype="float32", dtypes=None, inputs=None, match=None):
    """Both libraries raise, with the same exception class (and ember's message matching)."""
    rng = np.random.default_rng(0)
    dtypes = dtypes or [dtype] * len(shapes)
    arrays = inputs if inputs is not None else [make_array(s, d, rng) for s, d in
                                                zip(shapes, dtypes)]
    pairs = [pair(a) for a in arrays]
    with pytest.raises(Exception) as t_info:
        fn(torch, *(p[0] for p in pairs))
    with pytest.raises(Exception) as e_info:
        fn(ember, *(p[1] for p in pairs))
    assert e_info.type is t_info.type, (
        f"ember raised {e_info.type.__name__}: {e_info.value}; torch raised "
        f"{t_info.type.__name__}: {t_info.value}")
    if match is not None:
        assert match in str(e_info.value), str(e_info.value)
    return e_info.value, t_info.value


# -- op-spec tables -------------------------------------------------------------------------------


class Spec(NamedTuple):
    """One line of an op-spec table: an op as ``fn(lib, *tensors)`` and its random inputs."""

    name: str
    fn: Callable
    shapes: tuple
    dtypes: tuple | None = None  # one dtype name per input; float32 for all by default
    low: float = -3.0
    high: float = 3.0
    grad: bool = True
    gradgrad: bool = True


def spec_dtypes(spec):
    """The dtype name of each input of a spec line."""
    return list(spec.dtypes or ["float32"] * len(spec.shapes))


def check_spec(spec):
    """Values, dtypes and (when ``spec.grad``) gradients of one spec line against torch."""
    check_op(spec.fn, *spec.shapes, dtypes=spec_dtypes(spec), grad=spec.grad, low=spec.low,
             high=spec.high)
