"""Products beyond matmul: vdot, inner, outer/ger, the fused ``beta * input + alpha * product``
family (addmm, addmv, addr, addbmm, baddbmm), tensordot, kron, chain_matmul. einsum lives in
products_einsum.py; triangles, diagonals, trace and grids in products_matrix.py."""

from __future__ import annotations

import warnings

from ember._dtype import BOOL, FLOAT
from ember._ops import shape as S
from ember._ops._op import Op, _legacy_type_name, result_type
from ember._ops.inplace import inplace_update, out_exact, with_out
from ember._ops.linalg import matmul
from ember._ops.products_einsum import _conj, einsum
from ember._ops.products_matrix import (  # noqa: F401 - re-exported, as Tensor methods too
    block_diag,
    cartesian_prod,
    diag,
    diag_embed,
    diagflat,
    meshgrid,
    trace,
    tril,
    tril_,
    tril_indices,
    triu,
    triu_,
    triu_indices,
)

__all__ = ["vdot", "inner", "outer", "ger", "addmm", "addmv", "addmv_", "addr", "addbmm", "baddbmm",
           "tensordot", "kron", "chain_matmul", "cartesian_prod", "meshgrid", "einsum", "tril",
           "triu", "tril_indices", "triu_indices", "diag", "diag_embed", "diagflat",
           "block_diag", "trace"]


def _name(t):
    """'Float' for a float32 tensor, as torch names scalar types in its errors."""
    return _legacy_type_name(t).split(".")[1][:-6]


def _matrix_product(a, b):
    # NOTE: NumPy has no half-precision matmul kernel worth using; accumulate in float32, round
    # once (torch accumulates half products in float32 too)
    if a.dtype.itemsize == 2 and a.dtype.kind not in "iu":
        return (a.astype("float32") @ b.astype("float32")).astype(a.dtype)
    return a @ b


# -- vdot, inner, outer ------------------------------------------------------------------------


class VdotBackward0(Op):
    """sum(conj(a) * b) over two vectors."""

    promote = "keep"

    def forward(self, a, b):
        self.save(a, b)
        return self.xp.vdot(a, b) if a.dtype.kind == "c" else _matrix_product(a, b)

    def backward(self, g):
        a, b = self.saved
        return b * _conj(g), a * g


def vdot(input, other, *, out=None):
    """Dot product of two 1-D tensors, conjugating the first (torch.vdot)."""
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D "
                           "tensors")
    if input.dtype is not other.dtype:
        raise RuntimeError("dot : expected both vectors to have same dtype, but found "
                           f"{_name(input)} and {_name(other)}")
    if input.shape[0] != other.shape[0]:
        n, m = input.shape[0], other.shape[0]
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to "
                           f"have the same number of elements, but got {n} and {m} elements "
                           "respectively")
    if out is not None and out.dtype is not input.dtype:
        raise RuntimeError(f"result dtype {_name(out)} does not match input dtype "
                           f"{_name(input)}")
    return with_out(VdotBackward0().apply(input, other), out)


def inner(input, other, *, out=None):
    """Sum over the last dims of both; a 0-dim operand scales the other (torch.inner)."""
    if input.ndim == 0 or other.ndim == 0:
        return with_out(input * other, out)
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError("inner() the last dimension must match on both input tensors but got "
                           f"shapes {list(input.shape)} and {list(other.shape)}")
    return tensordot(input, other, ([-1], [-1]), out=out)


def outer(input, vec2, *, out=None):
    """Outer product of two vectors, dtypes promoted (torch.outer)."""
    for name, t in (("self", input), ("vec2", vec2)):
        if t.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.ndim}-D")
    return with_out(input.unsqueeze(1) * vec2, out)


def ger(input, vec2, *, out=None):
    """Alias of outer (torch.ger)."""
    return outer(input, vec2, out=out)


# -- beta * input + alpha * product ------------------------------------------------------------


class _AddProduct(Op):
    """beta * input + alpha * product(a, b). With beta == 0 the input is ignored, NaN included,
    as torch documents. Subclasses give the product and its unscaled gradients."""

    promote = "keep"

    def __init__(self, beta, alpha):
        self.beta, self.alpha = beta, alpha

    def forward(self, input, a, b):
        self.save(a, b)
        prod = self.product(a, b)
        if prod.dtype.kind == "b":  # addr on bools: logical, with truthy beta / alpha
            prod = prod if self.alpha else self.xp.zeros_like(prod)
            return prod | input if self.beta else prod.copy()
        scalar = prod.dtype.type
        out = prod if self.alpha == 1 else prod * scalar(self.alpha)
        if self.beta != 0:
            out = out + (input if self.beta == 1 else input * scalar(self.beta))
        return self.xp.ascontiguousarray(out, dtype=prod.dtype)

    def backward(self, g):
        a, b = (_conj(t) for t in self.saved)  # complex: torch's conjugate convention
        need = self.needs_input_grad
        alpha, beta = self.alpha.conjugate(), self.beta.conjugate()
        ga, gb = self.grads(g, a, b, need[1], need[2])
        if alpha != 1:
            ga = ga * alpha if ga is not None else None
            gb = gb * alpha if gb is not None else None
        return (g * beta if need[0] else None), ga, gb


class AddmmBackward0(_AddProduct):
    def product(self, a, b):
        return _matrix_product(a, b)

    def grads(self, g, a, b, need_a, need_b):
        return (g @ b.mT if need_a else None), (a.mT @ g if need_b else None)


class BaddbmmBackward0(AddmmBackward0):
    pass


class AddbmmBackward0(_AddProduct):
    def product(self, a, b):
        return _matrix_product(a, b).sum(0, dtype=a.dtype)

    def grads(self, g, a, b, need_a, need_b):
        g = g.unsqueeze(0)
        return (g @ b.mT if need_a else None), (a.mT @ g if need_b else None)


class AddmvBackward0(_AddProduct):
    def product(self, a, b):
        return _matrix_product(a, b)

    def grads(self, g, a, b, need_a, need_b):
        return (g.unsqueeze(1) * b if need_a else None), (g @ a if need_b else None)


class AddrBackward0(_AddProduct):
    promote = "binary"

    def product(self, a, b):
        return a[:, None] & b if a.dtype.kind == "b" else a[:, None] * b

    def grads(self, g, a, b, need_a, need_b):
        return (g @ b if need_a else None), (a @ g if need_b else None)


def _scalars(dtype, beta, alpha):
    """beta and alpha as the computation takes them: integral results truncate them."""
    if dtype.category <= BOOL:
        return beta, alpha
    if dtype.category < FLOAT:
        return int(beta), int(alpha)
    return beta, alpha


def _add_product(op_cls, input, a, b, beta, alpha, out_shape):
    dtype = a.dtype if op_cls is not AddrBackward0 else None
    if dtype is not None and dtype.category == BOOL:
        raise NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool'")
    input = input.expand(out_shape) if tuple(input.shape) != tuple(out_shape) else input
    beta, alpha = _scalars(dtype or result_type(input, a, b), beta, alpha)
    return op_cls(beta, alpha).apply(input, a, b)


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * (mat1 @ mat2), input broadcast (torch.addmm)."""
    for name, t in (("mat1", mat1), ("mat2", mat2)):
        if t.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got {t.ndim}-D tensor")
    if mat1.dtype is not mat2.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_name(mat1)} and "
                           f"{_name(mat2)}")
    if input.dtype is not mat2.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_name(input)} and "
                           f"{_name(mat2)}")
    if mat1.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({mat1.shape[0]}x"
                           f"{mat1.shape[1]} and {mat2.shape[0]}x{mat2.shape[1]})")
    shape = (mat1.shape[0], mat2.shape[1])
    return out_exact(_add_product(AddmmBackward0, input, mat1, mat2, beta, alpha, shape), out)


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * (mat @ vec) (torch.addmv)."""
    if mat.ndim != 2 or vec.ndim != 1 or input.ndim > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.ndim}, {mat.ndim}, "
                           f"{vec.ndim}")
    if not input.dtype is mat.dtype is vec.dtype:
        raise RuntimeError("addmv input tensors must have the same dtype, but got "
                           f"{_name(input)}, {_name(mat)}, and {_name(vec)}")
    rows = input.shape[0] if input.ndim else 1
    if mat.shape[1] != vec.shape[0] or rows not in (1, mat.shape[0]):
        raise RuntimeError(f"size mismatch, got input ({rows}), mat ({mat.shape[0]}x"
                           f"{mat.shape[1]}), vec ({vec.shape[0]})")
    return out_exact(_add_product(AddmvBackward0, input, mat, vec, beta, alpha, (mat.shape[0],)),
                     out)


def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * outer(vec1, vec2), dtypes promoted; logical on bools
    (torch.addr)."""
    for name, t in (("vec1", vec1), ("vec2", vec2)):
        if t.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {t.ndim}-D")
    dtype = result_type(input, vec1, vec2)
    if dtype.category < FLOAT and dtype.category > BOOL:
        for name, value in (("beta", beta), ("alpha", alpha)):
            if isinstance(value, float):
                raise RuntimeError(f"For integral input tensors, argument {name} must not be a "
                                   "floating point number.")
    shape = (vec1.shape[0], vec2.shape[0])
    return with_out(_add_product(AddrBackward0, input, vec1, vec2, beta, alpha, shape), out)


def _check_batches(batch1, batch2, fused):
    # torch reads batch1.size(1) and batch2.size(2) first: IndexError for too few dims
    S.wrap_dim(1, batch1.ndim)
    S.wrap_dim(2, batch2.ndim)
    for name, t in (("batch1", batch1), ("batch2", batch2)):
        if t.ndim != 3:
            raise RuntimeError(f"{name} must be a 3D tensor")
    if fused and batch1.shape[0] != batch2.shape[0]:
        raise RuntimeError("batch1 and batch2 must have same number of batches, got "
                           f"{batch1.shape[0]} and {batch2.shape[0]}")
    if fused and batch1.shape[2] != batch2.shape[1]:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({batch1.shape[1]}x"
                           f"{batch1.shape[2]} and {batch2.shape[1]}x{batch2.shape[2]})")
    if batch1.shape[0] != batch2.shape[0] or batch1.shape[2] != batch2.shape[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{batch1.shape[0]}, {batch1.shape[2]}] but got: "
                           f"[{batch2.shape[0]}, {batch2.shape[1]}].")


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * sum over the batch of batch1 @ batch2 (torch.addbmm). out must have
    the inputs' dtype (torch's check names it "self"); one of another shape is resized without
    the deprecation warning, as torch's addbmm does."""
    _check_batches(batch1, batch2, fused=True)
    if input.dtype is not batch1.dtype or batch1.dtype is not batch2.dtype:
        first, second = (input, batch1) if input.dtype is not batch1.dtype else (batch1, batch2)
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_name(first)} and "
                           f"{_name(second)}")
    if out is not None and out.dtype is not batch1.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_name(out)} and "
                           f"{_name(batch1)}")
    shape = (batch1.shape[1], batch2.shape[2])
    result = _add_product(AddbmmBackward0, input, batch1, batch2, beta, alpha, shape)
    if out is None or tuple(out.shape) == shape:
        return with_out(result, out)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return with_out(result, out)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * (batch1 @ batch2), per batch (torch.baddbmm)."""
    _check_batches(batch1, batch2, fused=False)
    if not input.dtype is batch1.dtype is batch2.dtype:
        raise RuntimeError(f"Input dtypes must be the same, got: input {input.dtype.name}, "
                           f"batch1: {batch1.dtype.name}, batch2: {batch2.dtype.name}")
    shape = (batch1.shape[0], batch1.shape[1], batch2.shape[2])
    return out_exact(_add_product(BaddbmmBackward0, input, batch1, batch2, beta, alpha, shape),
                     out)


def _inplace_form(fn):
    def op_(input, a, b, *, beta=1, alpha=1):
        return inplace_update(input, fn(input, a, b, beta=beta, alpha=alpha))

    op_.__name__ = fn.__name__ + "_"
    op_.__doc__ = f"In-place {fn.__name__} (torch.Tensor.{fn.__name__}_)."
    return op_


addmm_, addmv_, addr_ = _inplace_form(addmm), _inplace_form(addmv), _inplace_form(addr)
addbmm_, baddbmm_ = _inplace_form(addbmm), _inplace_form(baddbmm)


# -- tensordot, kron, chain_matmul -------------------------------------------------------------


def _tensordot_dims(a, b, dims):
    if isinstance(dims, int) or (S._tensor_cls() is type(dims) and dims.ndim == 0):
        n = int(dims)
        if n < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={n}")
        if n > a.ndim or n > b.ndim:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={n}")
        return list(range(a.ndim - n, a.ndim)), list(range(n))
    dims_a, dims_b = (d.tolist() if hasattr(d, "tolist") else d for d in dims)
    dims_a = [dims_a] if isinstance(dims_a, int) else list(dims_a)
    dims_b = [dims_b] if isinstance(dims_b, int) else list(dims_b)
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    return ([S.wrap_dim(d, a.ndim) for d in dims_a], [S.wrap_dim(d, b.ndim) for d in dims_b])


def tensordot(a, b, dims=2, out=None):
    """Contract dims of a with dims of b: an int (last of a with first of b) or two lists
    (torch.tensordot). Computed as one matrix product of permuted, reshaped operands."""
    dims_a, dims_b = _tensordot_dims(a, b, dims)
    if a.dtype is not b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a.shape[da]} in dim {da} and second has size {b.shape[db]} "
                               f"in dim {db}")
    free_a = [d for d in range(a.ndim) if d not in dims_a]
    free_b = [d for d in range(b.ndim) if d not in dims_b]
    k = 1
    for d in dims_a:
        k *= a.shape[d]
    left = a.permute(free_a + dims_a).reshape(-1, k)
    right = b.permute(dims_b + free_b).reshape(k, -1)
    shape = [a.shape[d] for d in free_a] + [b.shape[d] for d in free_b]
    result = matmul(left, right).reshape(shape)
    if out is not None and out.dtype is not result.dtype:
        raise RuntimeError(f"tensordot: Expected the output tensor to have dtype {_name(result)}, "
                           f"but got an output tensor with dtype {_name(out)}")
    return with_out(result, out)


def kron(input, other, *, out=None):
    """Kronecker product; the operand with fewer dims gets leading ones (torch.kron)."""
    n = max(input.ndim, other.ndim)
    a_shape = (1,) * (n - input.ndim) + tuple(input.shape)
    b_shape = (1,) * (n - other.ndim) + tuple(other.shape)
    a = input.reshape([s for size in a_shape for s in (size, 1)])
    b = other.reshape([s for size in b_shape for s in (1, size)])
    return with_out((a * b).reshape([p * q for p, q in zip(a_shape, b_shape)]), out)


def chain_matmul(*matrices, out=None):
    """Product of 2-D tensors, left to right (torch.chain_matmul, deprecated as in torch)."""
    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch "
                  "release. Use torch.linalg.multi_dot instead, which accepts a list of two or "
                  "more tensors rather than multiple parameters.", UserWarning, stacklevel=2)
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for m in matrices:
        if m.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {m.ndim}, expected 2 instead.")
    if len(matrices) == 1:
        # NOTE: torch copies the one matrix into out, casting to any dtype
        result = matrices[0].clone()
        return with_out(result if out is None else result.to(out.dtype), out)
    result = matrices[0]
    for m in matrices[1:]:
        result = matmul(result, m)
    return out_exact(result, out, "multi_dot(): expected out tensor to have dtype {want} but got "
                     "{got}")
