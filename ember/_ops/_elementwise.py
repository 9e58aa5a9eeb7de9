"""What the elementwise families share: torch's dtype names and "not implemented" errors,
argument checks, ``out=`` for ops that keep the input's dtype, the conjugate that complex
gradients take, and ``_inplace``, which makes the in-place form of an out-of-place op."""

from __future__ import annotations

from ember._dtype import _FROM_NP, COMPLEX, FLOAT
from ember._ops._op import _legacy_type_name, result_type
from ember._ops.inplace import _check_writable, inplace_update, with_out
from ember.autograd.grad_mode import state as _grad_state


def _is_tensor(value):
    from ember._tensor import Tensor

    return isinstance(value, Tensor)


def _legacy_scalar_name(dtype):
    """'Float' for float32, as torch names scalar types in its errors."""
    return _legacy_type_name(type("T", (), {"dtype": dtype})).split(".")[1][:-6]


def _reject(array, kinds, kernel):
    """torch has no CPU kernel for these NumPy dtype kinds ('b' bool, 'c' complex, 'f' / 'V'
    float / bfloat16, 'iu' integers): raise its NotImplementedError."""
    if array.dtype.kind in kinds:
        name = _legacy_scalar_name(_FROM_NP[array.dtype])
        raise NotImplementedError(f'"{kernel}" not implemented for \'{name}\'')


def out_same_dtype(result, out):
    """``out=`` for torch's ops whose result keeps the input's dtype (neg, abs, floor, clamp,
    ...): out must have exactly the result's dtype, else torch's "Found dtype" error. (With an
    input that requires grad, with_out's autograd error comes first, as in torch.)"""
    if out is not None and out.dtype is not result.dtype and not (
            _grad_state.enabled and (result._requires_grad or out._requires_grad)):
        raise RuntimeError(f"Found dtype {_legacy_scalar_name(out.dtype)} but expected "
                           f"{_legacy_scalar_name(result.dtype)}")
    return with_out(result, out)


def _expect_tensor(fn_name, value, arg, position):
    """torch's argument parser rejects a Python number where only a Tensor is accepted."""
    if not _is_tensor(value):
        raise TypeError(f"{fn_name}(): argument '{arg}' (position {position}) must be Tensor, "
                        f"not {type(value).__name__}")


def _expect_tensors(fn_name, input, other, other_name="other"):
    """Both operands of a tensor-only binary function must be tensors."""
    _expect_tensor(fn_name, input, "input", 1)
    _expect_tensor(fn_name, other, other_name, 2)


def _requires(op, i):
    """Whether input i of a recording op requires grad."""
    return op._recording and getattr(op._inputs[i], "_requires_grad", False)


def conj(x):
    """The complex conjugate of a saved operand (tensor or Python number); reals pass through.
    NOTE: torch's complex gradients are conjugate Wirtinger derivatives: d(a*b)/da is conj(b)."""
    dtype = getattr(x, "dtype", None)
    if dtype is None:
        return x.conjugate() if isinstance(x, complex) else x
    return x.conj() if getattr(dtype, "is_complex", False) else x


def _inplace(fn, float_result=False):
    """The in-place form of an out-of-place op: compute, then write into ``input``.

    ``float_result``: integers promote to the default float (true division)."""

    def op_(input, *args, **kwargs):
        operands = [a for a in (*args, kwargs.get("min"), kwargs.get("max"))
                    if _is_tensor(a) or isinstance(a, (int, float, complex))]
        if operands and _may_not_fit(input, operands):
            _check_inplace(input, operands, float_result and not kwargs.get("rounding_mode"))
        return inplace_update(input, fn(input, *args, **kwargs))

    op_.__name__ = fn.__name__ + "_"
    op_.__doc__ = f"In-place {fn.__name__} (torch.Tensor.{fn.__name__}_)."
    return op_


def _may_not_fit(input, operands):
    """Cheap test: could the result have a higher category or another shape than ``input``?"""
    category, shape = input.dtype.category, input.shape
    for a in operands:
        if _is_tensor(a):
            if a.dtype.category > category or a.shape != shape:
                return True
        elif category < COMPLEX:
            return True
    return False


class _ResultMeta:
    """The dtype and shape an op's result will have, for checks made before computing it."""

    def __init__(self, dtype, shape):
        self.dtype, self.shape = dtype, shape


def _check_inplace(input, operands, float_result):
    """torch checks that the result can be written into ``input`` (dtype, then shape) before it
    checks that a kernel exists for the dtype: int_tensor //= 1j is a cast error."""
    from ember import _dtype
    from ember._ops.shape import broadcast_shape

    dtype = result_type(input, *operands)
    if float_result and dtype.category < FLOAT:
        dtype = _dtype.get_default_dtype()
    shape = broadcast_shape(input.shape, *(a.shape for a in operands if _is_tensor(a)))
    _check_writable(input, _ResultMeta(dtype, tuple(shape)))
