"""Structured matrices and grids: tril / triu (and in-place forms), tril_indices / triu_indices,
diag, diag_embed, diagflat, block_diag, trace, meshgrid and cartesian_prod, with torch's result
dtypes, errors and gradients."""

from __future__ import annotations

import warnings

from ember import _dtype
from ember._device import device as _device
from ember._dtype import BOOL
from ember._ops import join as J
from ember._ops import shape as S
from ember._ops import views as Vw
from ember._ops._op import Op
from ember._ops.inplace import _scalar_type_name, inplace_update, out_exact

__all__ = ["tril", "triu", "tril_indices", "triu_indices", "diag", "diag_embed", "diagflat",
           "block_diag", "trace", "meshgrid", "cartesian_prod"]


class TrilBackward0(Op):
    """Zero the part above diagonal ``k`` of the last two dims (NaN there too, as in torch)."""

    promote = "keep"
    upper = False

    def __init__(self, k):
        self.k = k

    def forward(self, x):
        return (self.xp.triu if self.upper else self.xp.tril)(x, self.k)

    def backward(self, g):
        return type(self)(self.k).apply(g)


class TriuBackward0(TrilBackward0):
    upper = True


def _triangle(op_cls, input, diagonal, name):
    if input.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    return op_cls(int(diagonal)).apply(input)


def tril(input, diagonal=0, *, out=None):
    """The lower triangle of the last two dims, the rest zero (torch.tril); out of the input's
    dtype."""
    return out_exact(_triangle(TrilBackward0, input, diagonal, "tril"), out)


def triu(input, diagonal=0, *, out=None):
    """The upper triangle of the last two dims, the rest zero (torch.triu); out of the input's
    dtype."""
    return out_exact(_triangle(TriuBackward0, input, diagonal, "triu"), out)


def tril_(input, diagonal=0):
    return inplace_update(input, tril(input, diagonal))


def triu_(input, diagonal=0):
    return inplace_update(input, triu(input, diagonal))


def _indices(row, col, offset, dtype, device, upper):
    from ember._backend import xp_of
    from ember._tensor import Tensor

    name = "triu_indices" if upper else "tril_indices"
    dtype = _dtype.int64 if dtype is None else dtype
    if dtype.category != _dtype.INT:
        from ember._ops._elementwise import _legacy_scalar_name

        raise NotImplementedError(f"\"{name}\" not implemented for '{_legacy_scalar_name(dtype)}'")
    for what, value in (("row", row), ("col", col)):
        if value < 0:
            raise RuntimeError(f"{what} must be non-negative, got{value}")
    device = _device(device) if device is not None else _device("cpu")
    xp = xp_of(device)
    rows, cols = (xp.triu_indices if upper else xp.tril_indices)(row, offset, col)
    return Tensor._make(xp.stack([rows, cols]).astype(dtype.np), device)


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """Row-major coordinates of the lower triangle of a row x col matrix, as a 2 x N tensor
    (torch.tril_indices)."""
    return _indices(row, col, offset, dtype, device, upper=False)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """Row-major coordinates of the upper triangle (torch.triu_indices)."""
    return _indices(row, col, offset, dtype, device, upper=True)


# -- diagonals ---------------------------------------------------------------------------------


class DiagEmbedBackward0(Op):
    """The last dim laid on diagonal ``offset`` of new dims dim1, dim2 (zeros elsewhere)."""

    promote = "keep"

    def __init__(self, offset, dim1, dim2):
        self.offset, self.dim1, self.dim2 = offset, dim1, dim2

    def forward(self, x):
        n = x.shape[-1] + abs(self.offset) if x.ndim else 1 + abs(self.offset)
        shape = list(x.shape[:-1])
        for d in sorted((self.dim1, self.dim2)):
            shape.insert(d, n)
        out = self.xp.zeros(shape, dtype=x.dtype)
        Vw.DiagonalBackward0(self.offset, self.dim1, self.dim2).take(out)[...] = x
        return out

    def backward(self, g):
        return Vw.diagonal(g, self.offset, self.dim1, self.dim2)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """A tensor whose diagonals (over dim1, dim2) hold the last dim of input (torch.diag_embed)."""
    ndim = input.ndim + 1
    d1, d2 = S.wrap_dim(dim1, ndim), S.wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return DiagEmbedBackward0(int(offset), d1, d2).apply(input)


def diag(input, diagonal=0, *, out=None):
    """1-D: a matrix with input on diagonal ``diagonal``; 2-D: a copy of that diagonal
    (torch.diag). out must have the input's dtype (torch first names an uncastable one)."""
    if input.ndim not in (1, 2):
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")
    if input.ndim == 1:
        if out is not None and not _dtype.can_cast(input.dtype, out.dtype):
            raise RuntimeError(f"diag: result type {_scalar_type_name(input.dtype)} can't be cast "
                               f"to the desired out= type {_scalar_type_name(out.dtype)}")
        return out_exact(diag_embed(input, diagonal), out)
    return out_exact(Vw.diagonal(input, diagonal).clone(), out)


def diagflat(input, offset=0):
    """The flattened input on diagonal ``offset`` of a square matrix (torch.diagflat)."""
    return diag_embed(input.reshape(-1), offset)


class BlockDiagBackward0(Op):
    """Blocks on the diagonal of a zero matrix; dtypes promoted across the blocks."""

    promote = "binary"

    def forward(self, *blocks):
        mats = [b.reshape(self.as_matrix(b.shape)) for b in blocks]
        rows, cols = sum(m.shape[0] for m in mats), sum(m.shape[1] for m in mats)
        out = self.xp.zeros((rows, cols), dtype=mats[0].dtype)
        r = c = 0
        for m in mats:
            out[r:r + m.shape[0], c:c + m.shape[1]] = m
            r, c = r + m.shape[0], c + m.shape[1]
        return out

    @staticmethod
    def as_matrix(shape):
        return tuple(shape) if len(shape) == 2 else (1, shape[0]) if shape else (1, 1)

    def backward(self, g):
        grads, r, c = [], 0, 0
        for shape, _ in self._input_meta:
            rows, cols = self.as_matrix(shape)
            grads.append(g[r:r + rows, c:c + cols].reshape(shape))
            r, c = r + rows, c + cols
        return tuple(grads)


def block_diag(*tensors):
    """A block diagonal matrix from tensors of at most 2 dims (torch.block_diag); 0-dim and 1-D
    inputs are 1 x 1 and 1 x n blocks."""
    from ember._ops.creation import empty

    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError("torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {t.ndim} dimensions")
    if not tensors:
        return empty(1, 0)
    return BlockDiagBackward0().apply(*tensors)


class TraceBackward0(Op):
    """Sum of the main diagonal; integers and bools sum to int64, as torch.sum does."""

    promote = "int64_acc"

    def forward(self, x):
        return self.xp.trace(x)

    def backward(self, g):
        from ember._tensor import Tensor

        shape = self._input_meta[0][0]
        return g * Tensor._make(self.xp.eye(*shape, dtype=g._data.dtype), g.device)


def trace(input):
    """Sum of the diagonal of a matrix (torch.trace)."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    if input.dtype.category == BOOL:
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    return TraceBackward0().apply(input)


# -- grids -------------------------------------------------------------------------------------


def _grid_inputs(tensors, fn):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    tensors = S._tensor_list(list(tensors), fn)
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    if any(t.dtype is not tensors[0].dtype for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    return tensors


def meshgrid(*tensors, indexing=None):
    """Coordinate grids as expanded views; 'ij' by default with torch's warning, 'xy' swaps the
    first two dims (torch.meshgrid)."""
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError('torch.meshgrid: indexing must be one of "xy" or "ij", but received: '
                           f"{indexing}")
    tensors = _grid_inputs(tensors, "meshgrid")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError("torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got: {t}")
    sizes = [t.numel() for t in tensors]
    order = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) > 1:
        order[0], order[1] = 1, 0  # dim d of the grid follows input order[d]
    shape = [sizes[i] for i in order]
    grids = []
    for i, t in enumerate(tensors):
        view = [1] * len(tensors)
        view[order.index(i)] = sizes[i]
        grids.append(t.reshape(view).expand(shape))
    return tuple(grids)


def cartesian_prod(*tensors):
    """All combinations of elements of 1-D tensors, one per row (torch.cartesian_prod)."""
    tensors = _grid_inputs(tensors, "cartesian_prod")
    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return J.stack([g.reshape(-1) for g in grids], 1)
