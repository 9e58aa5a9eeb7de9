"""Matrix products: matmul (the @ operator) with torch's 1-D and batch-broadcast rules, mm, bmm,
mv, dot. Gradients are products with the other operand transposed; the engine sums broadcast
batch dims back to each input's shape."""

from __future__ import annotations

from ember._dtype import bfloat16 as _bfloat16
from ember._ops._elementwise import conj
from ember._ops._op import Op, _legacy_type_name, run_forward
from ember._ops.inplace import out_exact

_BFLOAT16 = _bfloat16.np  # NOTE: dtype.name is a slow property; compare dtypes instead


def _scalar_name(t):
    return _legacy_type_name(t).split(".")[1][:-6]


class MmBackward0(Op):
    """matmul of any ranks; subclasses only rename the node after torch's."""

    promote = "keep"

    def forward(self, a, b):
        self.save(a, b)
        if a.dtype == _BFLOAT16:
            # NOTE: NumPy has no bfloat16 matmul kernel; accumulate in float32 and round once
            return (a.astype("float32") @ b.astype("float32")).astype(a.dtype)
        return a @ b

    def backward(self, g):
        a, b = (conj(t) for t in self.saved)  # conjugate Wirtinger derivatives, as torch
        ga = gb = None
        if a.ndim == 1 and b.ndim == 1:
            return g * b, g * a
        if self.needs_input_grad[0]:
            if b.ndim == 1:
                ga = g.unsqueeze(-1) * b
            elif a.ndim == 1:
                ga = (b @ g.unsqueeze(-1)).squeeze(-1)
            else:
                ga = g @ b.mT
        if self.needs_input_grad[1]:
            if a.ndim == 1:
                gb = a.unsqueeze(-1) * g.unsqueeze(-2)
            elif b.ndim == 1:
                gb = (g.unsqueeze(-2) @ a).squeeze(-2)
            else:
                gb = a.mT @ g
        return ga, gb

    def backward_arrays(self, g):
        a, b = self.saved_arrays
        if a.ndim != 2 or b.ndim != 2:
            return NotImplemented  # matrix-vector and batched products: the tensor formulas
        if g.dtype.kind == "c":
            a, b = self.xp.conj(a), self.xp.conj(b)
        edges = self._edges
        return (run_forward(MmBackward0(), self.xp, g, b.T) if edges[0] else None,
                run_forward(MmBackward0(), self.xp, a.T, g) if edges[1] else None)


class DotBackward0(MmBackward0):
    pass


class MvBackward0(MmBackward0):
    pass


class BmmBackward0(MmBackward0):
    pass


class UnsafeViewBackward0(MmBackward0):
    pass


def _node_for(a, b):
    if a.ndim == 1 and b.ndim == 1:
        return DotBackward0
    if a.ndim == 2 and b.ndim == 2:
        return MmBackward0
    if a.ndim == 2 and b.ndim == 1:
        return MvBackward0
    return UnsafeViewBackward0


def _check(a, b, name):
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to {name} need to be at least 1D, but they are "
                           f"{a.ndim}D and {b.ndim}D")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_scalar_name(a)} != {_scalar_name(b)}")
    if a.dtype.name == "bool":
        raise RuntimeError("\"addmm_impl_cpu_\" not implemented for 'Bool'")
    k_a = a.shape[-1]
    k_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if k_a != k_b:
        if a.ndim == 1 and b.ndim == 1:
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{k_a}] and src [{k_b}] to have the "
                f"same number of elements, but got {k_a} and {k_b} elements respectively")
        rows = "x".join(str(s) for s in (a.shape if a.ndim > 1 else (1,) + tuple(a.shape))[-2:])
        cols = "x".join(str(s) for s in (b.shape if b.ndim > 1 else tuple(b.shape) + (1,))[-2:])
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows} and {cols})")


def matmul(input, other, *, out=None):
    """Matrix product with torch's rules for 1-D operands and broadcast batches (torch.matmul).
    out must have the result's dtype, with the message of the kernel torch runs (dot, mv, mm)."""
    _check(input, other, "matmul")
    if input.ndim > 2 and other.ndim > 2:
        from ember._ops.shape import broadcast_shape

        broadcast_shape(input.shape[:-2], other.shape[:-2])
    return _product_out(_node_for(input, other)().apply(input, other), out, input, other)


def _product_out(result, out, a, b):
    if out is None:
        return result
    if out.dtype is not result.dtype and b.ndim == 1:
        if a.ndim == 1:  # torch's dot
            raise RuntimeError(f"result dtype {_scalar_name(out)} does not match input dtype "
                               f"{_scalar_name(a)}")
        # torch's mv (a batch of matrices times a vector is folded into one mv)
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got "
                           f"{_scalar_name(out)}, {_scalar_name(a)}, and {_scalar_name(b)}")
    return out_exact(result, out)


def rmatmul(input, other):
    return matmul(other, input)


def mm(input, mat2, *, out=None):
    """Product of two matrices (torch.mm)."""
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"{'self' if input.ndim != 2 else 'mat2'} must be a matrix")
    return matmul(input, mat2, out=out)


def bmm(input, mat2, *, out=None):
    """Batched product of 3-D tensors with equal batch sizes (torch.bmm)."""
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor" if input.ndim != 3 else
                           "batch2 must be a 3D tensor")
    if input.shape[0] != mat2.shape[0] or input.shape[2] != mat2.shape[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{input.shape[0]}, {input.shape[2]}] but got: "
                           f"[{mat2.shape[0]}, {mat2.shape[1]}].")
    _check(input, mat2, "bmm")
    return out_exact(BmmBackward0().apply(input, mat2), out)


def mv(input, vec, *, out=None):
    """Matrix-vector product (torch.mv)."""
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.ndim}, {vec.ndim}")
    if input.shape[1] != vec.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({input.shape[0]}), mat "
                           f"({input.shape[0]}x{input.shape[1]}), vec ({vec.shape[0]})")
    return matmul(input, vec, out=out)


def dot(input, other, *, out=None):
    """Inner product of two 1-D tensors (torch.dot)."""
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D "
                           "tensors")
    if input.dtype is not other.dtype:
        raise RuntimeError("dot : expected both vectors to have same dtype, but found "
                           f"{_scalar_name(input)} and {_scalar_name(other)}")
    return matmul(input, other, out=out)
