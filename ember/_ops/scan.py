"""Scans and NaN-aware statistics: cumprod, logcumsumexp, diff, renorm, nansum, nanmean,
std_mean, var_mean, dist, count_nonzero; Tensor.apply_ / map_ (Python callables, CPU only);
and DLPack exchange (Tensor.__dlpack__, __dlpack_device__, from_dlpack)."""

from __future__ import annotations

import enum
import math
import numbers

import numpy  # host side only: dtype limits, the Python values of apply_ / map_

from ember._dtype import _FROM_NP, BOOL, COMPLEX, FLOAT
from ember._ops import join as J
from ember._ops import reduce as R
from ember._ops import reduce_misc as Rm
from ember._ops import shape as S
from ember._ops._elementwise import _legacy_scalar_name
from ember._ops._op import Op, result_type
from ember._ops.inplace import EXACT_OUT, c10_name, inplace_update, out_exact, with_out
from ember._ops.pointwise import where
from ember._ops.products_einsum import _conj
from ember._ops.variance import std_mean, var_mean

__all__ = ["cumprod", "logcumsumexp", "diff", "renorm", "nansum", "nanmean", "std_mean",
           "var_mean", "dist", "count_nonzero", "from_dlpack"]


def _scan_dim(input, dim):
    return S.wrap_dim(dim, input.ndim)


# -- cumulative product ------------------------------------------------------------------------


class CumprodBackward0(Op):
    """Running product; integers and bools accumulate in int64, as torch.cumprod."""

    promote = "int64_acc"

    def __init__(self, dim):
        self.dim = dim

    def forward(self, x):
        out = self.xp.cumprod(x, axis=self.dim) if x.ndim else x.copy()
        self.save(x, out)
        return out

    def backward(self, g):
        # complex: the derivative is a rational function of x and out with real coefficients,
        # so its conjugate (torch's convention) is the same function of their conjugates
        x, out = (_conj(t) for t in self.saved)
        if not g.ndim:
            return g
        if not bool((x == 0).any()):
            # sum_{j >= k} g_j out_j / x_k: a reversed cumsum
            return _reverse_cumsum(g * out, self.dim) / x
        return _cumprod_grad_with_zeros(x, g, self.dim)


def _reverse_cumsum(t, dim):
    return t.flip(dim).cumsum(dim).flip(dim)


def _cumprod_grad_with_zeros(x, g, dim):
    """Exact where x holds zeros (dividing by x is not): grad_k = sum_{j >= k} g_j times the
    product of x_0..x_j leaving x_k out. Row k of a square table is the cumprod of x with x_k
    set to 1, so this is O(n^2) in the scanned dim, built from differentiable ops."""
    from ember._ops.creation import eye, ones

    xm, gm = x.movedim(dim, -1), g.movedim(dim, -1)
    n = xm.shape[-1]
    diagonal = eye(n, dtype=x.dtype, device=x.device).bool()
    table = where(diagonal, 1.0, xm.unsqueeze(-2))  # row k: x with x_k replaced by 1
    upper = ones(n, n, dtype=x.dtype, device=x.device).triu()  # column j >= row k
    products = CumprodBackward0(table.ndim - 1).apply(table)
    grad = (gm.unsqueeze(-2) * products * upper).sum(-1)
    return grad.movedim(-1, dim)


def cumprod(input, dim, *, dtype=None, out=None):
    """Running product along dim (torch.cumprod); its gradient is exact with zeros. With ``out``,
    in out's dtype, as torch."""
    dtype = R.cumulative_dtype("cumprod_out_cpu", dtype, out)
    if dtype is not None:
        input = input.to(dtype)
    return with_out(CumprodBackward0(_scan_dim(input, dim)).apply(input), out)


def cumprod_(input, dim, *, dtype=None):
    return inplace_update(input, cumprod(input, dim, dtype=dtype))


def cumsum_(input, dim, *, dtype=None):
    return inplace_update(input, R.cumsum(input, dim, dtype=dtype))


# -- logcumsumexp ------------------------------------------------------------------------------


class LogcumsumexpBackward0(Op):
    """log(cumsum(exp(x))) along a dim, without overflow; floats and complex only."""

    promote = "keep"

    def __init__(self, dim):
        self.dim = dim

    def forward(self, x):
        if x.dtype.kind not in "fcV":
            raise NotImplementedError("\"logcumsumexp_out_cpu\" not implemented for "
                                      f"'{_legacy_scalar_name(_FROM_NP[x.dtype])}'")
        out = _logcumsumexp(self.xp, x, self.dim) if x.ndim else x.copy()
        self.save(x, out)
        return out

    def backward(self, g):
        x, out = self.saved
        if not g.ndim:
            return g
        if x.is_complex():
            # grad_k = sum_{j >= k} g_j conj(exp(x_k - out_j)), torch's conjugate convention
            return _conj(x.exp()) * _reverse_cumsum(g * _conj((-out).exp()), self.dim)
        # NOTE: grad_k = sum_{j >= k} g_j exp(x_k - out_j) overflows if summed directly; sum the
        # positive and negative parts of g separately in log space instead
        return (_log_space_part(g, x, out, self.dim)
                - _log_space_part(-g, x, out, self.dim))


def _log_space_part(g, x, out, dim):
    """sum_{j >= k} max(g_j, 0) exp(x_k - out_j), through a reversed logcumsumexp. log(0) is
    a very negative finite number, so second derivatives stay finite (no inf - inf)."""
    info = numpy.finfo(numpy.float32 if x.dtype.name == "bfloat16" else x.dtype.np)
    positive = g > 0
    logs = where(positive, g.clamp_min(float(info.tiny)).log() - out, float(info.min) / 4)
    summed = LogcumsumexpBackward0(dim).apply(logs.flip(dim)).flip(dim)
    return (summed + x).exp()


def _logcumsumexp(xp, x, dim):
    if x.dtype.kind == "c":
        return _complex_logcumsumexp(xp, x, dim)
    if not hasattr(xp.logaddexp, "accumulate"):
        # one shift for the whole dim: exact for moderate ranges
        peak = xp.max(x, axis=dim, keepdims=True)
        peak = xp.where(xp.isfinite(peak), peak, 0)
        return xp.log(xp.cumsum(xp.exp(x - peak), axis=dim)) + peak
    if x.dtype.itemsize == 2:
        return xp.logaddexp.accumulate(x.astype("float32"), axis=dim).astype(x.dtype)
    return xp.logaddexp.accumulate(x, axis=dim)


def _complex_logcumsumexp(xp, x, dim):
    """Step by step, as torch: each step adds log1p(exp(smaller - larger)) to the operand with
    the larger real part, so imaginary parts accumulate without wrapping to (-pi, pi]."""
    steps = xp.moveaxis(x, dim, 0)
    out = xp.empty_like(steps)
    out[0] = running = steps[0]
    for k in range(1, steps.shape[0]):
        larger = xp.where(running.real >= steps[k].real, running, steps[k])
        smaller = xp.where(running.real >= steps[k].real, steps[k], running)
        out[k] = running = larger + xp.log1p(xp.exp(smaller - larger))
    return xp.moveaxis(out, 0, dim)


def logcumsumexp(input, dim, *, out=None):
    """log(cumsum(exp(input))) along dim, computed without overflow (torch.logcumsumexp)."""
    return out_exact(LogcumsumexpBackward0(_scan_dim(input, dim)).apply(input), out,
                     "expected scalar_type {want} but found {got}", legacy=True)


# -- diff, renorm ------------------------------------------------------------------------------


def diff(input, n=1, dim=-1, prepend=None, append=None, *, out=None):
    """n-th forward difference along dim, after joining prepend and append (torch.diff);
    bools differ by xor."""
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    dim = S.wrap_dim(dim, input.ndim)
    parts = []
    for extra in (prepend, input, append):
        if extra is None:
            continue
        if extra.ndim != input.ndim:
            raise RuntimeError("diff expects prepend or append to be the same dimension as input")
        parts.append(extra)
    x = J.cat(parts, dim) if len(parts) > 1 else input
    if n == 0:  # torch copies into out, which must then have the exact dtype
        return out_exact(x.clone(), out, "expected scalar_type {want} but found {got}", legacy=True)
    for _ in range(n):
        size = x.shape[dim]
        if size == 0:
            break
        later, earlier = x.narrow(dim, 1, size - 1), x.narrow(dim, 0, size - 1)
        x = later.logical_xor(earlier) if x.dtype.category == BOOL else later - earlier
    return with_out(x, out)


def renorm(input, p, dim, maxnorm, *, out=None):
    """Scale each slice along dim whose p-norm exceeds maxnorm down to maxnorm (torch.renorm);
    like torch, the scale is maxnorm / (norm + 1e-7)."""
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if input.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} "
                           "dimensions")
    dim = S.wrap_dim(dim, input.ndim)
    others = [d for d in range(input.ndim) if d != dim]
    norms = Rm.norm(input, p, others, keepdim=True)
    scale = where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)
    return out_exact(input * scale, out)


def renorm_(input, p, dim, maxnorm):
    # NOTE: the gradient needs input's old values; computing from a clone keeps them (torch
    # saves self.clone() for the same reason)
    return inplace_update(input, renorm(input.clone(), p, dim, maxnorm))


# -- NaN-aware reductions and statistics -------------------------------------------------------


def nansum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Sum treating NaN as zero (torch.nansum); integers and bools sum to int64. With ``out``,
    floating input sums in out's dtype (a floating one, as torch's kernel)."""
    if input.dtype.category == COMPLEX:
        raise RuntimeError("nansum on CPU does not support complex inputs")
    if input.dtype.category < FLOAT:  # torch: no NaN, a plain sum
        _check_out_dtype(dtype, out)
        result = R.sum(input, dim, keepdim, dtype=dtype)
        return with_out(result if out is None else result.to(out.dtype), out)
    dtype = _nansum_dtype(dtype, out)
    if dtype is not None:
        input = input.to(dtype)
    return with_out(R.sum(where(input.isnan(), 0, input), dim, keepdim), out)


def _check_out_dtype(dtype, out):
    if dtype is not None and out is not None and out.dtype is not dtype:
        raise RuntimeError(EXACT_OUT.format(want=c10_name(dtype), got=c10_name(out.dtype)))


def _nansum_dtype(dtype, out):
    _check_out_dtype(dtype, out)
    dtype = dtype or (out.dtype if out is not None else None)
    if dtype is not None and dtype.category != FLOAT:
        raise NotImplementedError(f"\"nansum_cpu\" not implemented for "
                                  f"'{_legacy_scalar_name(dtype)}'")
    return dtype


def nanmean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Mean of the non-NaN elements; all-NaN slices give NaN (torch.nanmean)."""
    if input.dtype.category < FLOAT:
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype "
                           f"but got {_legacy_scalar_name(input.dtype)}")
    dtype = _nansum_dtype(dtype, out)
    if dtype is not None:
        input = input.to(dtype)
    count = input.isnan().logical_not().sum(dim, keepdim)
    return with_out(nansum(input, dim, keepdim) / count, out)


class DistBackward0(Op):
    """The p-norm of a - b over all elements, broadcast; gradients by torch's norm_backward."""

    def __init__(self, p):
        self.p = p

    def forward(self, a, b):
        xp = self.xp
        d = a - b
        if d.dtype in R._HALF_TYPES:
            out = _norm_array(xp, d.astype("float32"), self.p).astype(d.dtype)
        else:
            out = _norm_array(xp, d, self.p)
            out = out.astype(d.real.dtype if d.dtype.kind == "c" else d.dtype)
        self.save(a, b, out)
        return out

    def backward(self, g):
        a, b, norm = self.saved
        if self.p == 0:
            # NOTE: torch's formula gives no tensor here, and negating it for ``other`` fails
            if self.needs_input_grad[1]:
                raise RuntimeError("Expected a proper Tensor but got None (or an undefined "
                                   "Tensor in C++) for argument #0 'self'")
            return None, None
        g_a = _norm_backward(g, a - b, self.p, norm)
        return g_a, -g_a


def _norm_array(xp, d, p):
    size = xp.abs(d)
    if p in (math.inf, -math.inf):
        if not size.size:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {p} norm on an empty "
                               "tensor because the operation does not have an identity")
        return size.max() if p > 0 else size.min()
    with R._quiet(xp):
        if p == 0:
            return (size != 0).sum().astype(size.dtype)
        if p == 2:
            return xp.sqrt((size * size).sum())
        return (size ** p).sum() ** (1.0 / p)


def _norm_backward(g, d, p, norm):
    """torch's norm_backward for the norm of d over all elements."""
    if p == 1:
        return d.sgn() * g
    if p == 2:
        return g * where(norm == 0, 0.0, d / norm)
    if p in (math.inf, -math.inf):
        size = d.abs()
        hits = ((size == norm) | d.isnan()).to(g.dtype)
        return d.sgn() * (g / hits.sum()) * hits
    size = d.abs()
    if p < 1:
        powered = where(d == 0, 0.0, size ** (p - 1))
        return d.sgn() * powered * g * norm ** (1 - p)
    scale = where(norm == 0, 0.0, g / norm ** (p - 1))
    if p < 2:
        return d.sgn() * size ** (p - 1) * scale
    return d * size ** (p - 2) * scale


def dist(input, other, p=2):
    """The p-norm of input - other, broadcast and dtype-promoted (torch.dist)."""
    from ember._tensor import Tensor

    if not isinstance(other, Tensor):
        raise TypeError("dist(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")
    dtype = result_type(input, other)
    if dtype.category < FLOAT:
        raise RuntimeError("norm(): input dtype should be either floating point or complex. Got "
                           f"{_legacy_scalar_name(dtype)} instead.")
    S.broadcast_shape(input.shape, other.shape)
    return DistBackward0(float(p)).apply(input, other)


def count_nonzero(input, dim=None):
    """Number of nonzero elements over dim (all by default), as int64 (torch.count_nonzero)."""
    return R.sum(input != 0, dim)


# -- Python callables over elements (CPU only) -------------------------------------------------


def _python_values(input):
    data = input._data
    if input.dtype.name == "bfloat16":
        data = data.astype("float32")
    return data.reshape(-1).tolist()


def _store(input, values):
    """Write Python results back, cast to input's dtype (C-style truncation for integers)."""
    want_real = input.dtype.category != COMPLEX
    for v in values:
        if not isinstance(v, numbers.Number) or (want_real and isinstance(v, complex)):
            raise TypeError(f"must be real number, not {type(v).__name__}")
    result = numpy.array(values).astype(input._data.dtype).reshape(input._data.shape)
    input._data[...] = result


def _check_callable_target(input, name):
    if input._requires_grad:
        raise RuntimeError(f"Can't call {name}() on Variable that requires grad. Use "
                           f"var.detach().{name}() instead.")
    if input.device.type != "cpu":
        raise TypeError(f"{name} is only implemented on CPU tensors")


def apply_(input, callable):
    """Replace each element x by callable(x), a Python number in and out (Tensor.apply_)."""
    _check_callable_target(input, "apply_")
    _store(input, [callable(v) for v in _python_values(input)])
    return input


def map_(input, other, callable):
    """Replace each element x by callable(x, y), y from other broadcast to input's shape
    (Tensor.map_); other must have input's dtype, as torch requires."""
    _check_callable_target(input, "map_")
    from ember._tensor import Tensor

    if not isinstance(other, Tensor):
        raise TypeError("map_(): argument 'other' (position 1) must be Tensor, not "
                        f"{type(other).__name__}")
    if other.dtype is not input.dtype:
        from ember._ops._op import _legacy_type_name

        raise TypeError(f"map_: expected {_legacy_type_name(input)} for 'other' (got "
                        f"{_legacy_type_name(other)})")
    other = other.expand(input.shape)
    pairs = zip(_python_values(input), _python_values(other))
    _store(input, [callable(a, b) for a, b in pairs])
    return input


# -- DLPack ------------------------------------------------------------------------------------


class DLDeviceType(enum.IntEnum):
    """DLPack's device codes, as torch reports them from __dlpack_device__."""

    kDLCPU = 1
    kDLCUDA = 2


def dlpack(input, *, stream=None, max_version=None, dl_device=None, copy=None):
    """Tensor.__dlpack__: a capsule over the tensor's memory (no copy), from its backend array.
    Refuses tensors that require grad, with torch's BufferError."""
    if input._requires_grad:
        raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
    kwargs = {"stream": stream}
    if max_version is not None:
        kwargs["max_version"] = max_version
    if dl_device is not None:
        kwargs["dl_device"] = dl_device
    if copy is not None:
        kwargs["copy"] = copy
    return input._data.__dlpack__(**kwargs)


def dlpack_device(input):
    """Tensor.__dlpack_device__: (device type, index)."""
    if input.device.type == "cpu":
        return (DLDeviceType.kDLCPU, 0)
    return (DLDeviceType.kDLCUDA, input.device.index or 0)


class _Capsule:
    """Lets the array libraries' from_dlpack take a bare capsule, as torch.from_dlpack does."""

    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        return (DLDeviceType.kDLCPU, 0)


def from_dlpack(ext_tensor, *, device=None, copy=None):
    """A tensor sharing memory with any DLPack producer (a NumPy array, a torch tensor, a
    capsule) (torch.from_dlpack). CUDA producers come in through CuPy."""
    from ember._backend import xp_of
    from ember._device import device as device_cls
    from ember._dtype import from_numpy_dtype
    from ember._tensor import Tensor

    if not hasattr(ext_tensor, "__dlpack__"):
        if type(ext_tensor).__name__ != "PyCapsule":
            raise RuntimeError("from_dlpack received an invalid capsule. Note that DLTensor "
                               "capsules can be consumed only once, so you might have already "
                               "constructed a tensor from it once.")
        ext_tensor = _Capsule(ext_tensor)
    kind, index = ext_tensor.__dlpack_device__()
    source = device_cls("cpu") if int(kind) == DLDeviceType.kDLCPU else device_cls("cuda", index)
    xp = xp_of(source)
    array = xp.from_dlpack(ext_tensor) if copy is None else xp.from_dlpack(ext_tensor, copy=copy)
    from_numpy_dtype(array.dtype)  # torch's TypeError for dtypes Ember lacks
    out = Tensor._make(array, source)
    return out if device is None else out.to(device)

