"""Complex numbers: real / imag and view_as_real / view_as_complex (views sharing memory, as in
torch), conj, angle, polar, complex and sgn, with gradients in torch's convention (the gradient of
a real loss L with respect to z = x + iy is dL/dx + i dL/dy).

Deviation: torch's conj() is lazy (a view with a conjugate bit); Ember's conj() of a complex tensor
is a conjugated copy, so is_conj() is always False and resolve_conj() returns its input. The same
holds for the conjugate transposes (adjoint, Tensor.mH, Tensor.H): views for real tensors, as in
torch, but for complex tensors a conjugated copy of the transposed view.
"""

from __future__ import annotations

import warnings

from ember._dtype import COMPLEX
from ember._ops._elementwise import _expect_tensor, _inplace, _legacy_scalar_name, out_same_dtype
from ember._ops._op import Op
from ember._ops.inplace import with_out
from ember._ops.pointwise import where

__all__ = ["real", "imag", "view_as_real", "view_as_complex", "conj", "conj_physical",
           "resolve_conj", "resolve_neg", "is_conj", "is_neg", "angle", "polar", "complex", "sgn",
           "adjoint"]

_REAL_OF = {"complex64": "float32", "complex128": "float64"}
_COMPLEX_OF = {"float32": "complex64", "float64": "complex128"}


class ViewAsRealBackward0(Op):
    """A complex tensor's memory seen as real pairs: a trailing dim of 2 (real, imaginary)."""

    promote = "keep"
    is_view = True

    def forward(self, z):
        # NOTE: a trailing axis of length 1 may change its item size, whatever z's strides
        return z[..., None].view(_REAL_OF[z.dtype.name])

    def backward(self, g):
        return view_as_complex(g.contiguous())


class ViewAsComplexBackward0(Op):
    """Real pairs (a trailing dim of 2, stride 1) seen as complex numbers."""

    promote = "keep"
    is_view = True

    def forward(self, x):
        return x.view(_COMPLEX_OF[x.dtype.name])[..., 0]

    def backward(self, g):
        return view_as_real(g)


def view_as_real(input):
    """A real view of a complex tensor with a trailing dim of 2 (torch.view_as_real)."""
    if input.dtype.category != COMPLEX:
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return ViewAsRealBackward0().apply(input)


def view_as_complex(input):
    """A complex view of real pairs along the last dim (torch.view_as_complex)."""
    name = input.dtype.name
    if name not in _COMPLEX_OF:
        if name == "float16":  # NOTE: torch gives complex32, which NumPy does not have
            raise RuntimeError("view_as_complex: ComplexHalf (complex32) is not supported by "
                               "Ember")
        raise RuntimeError("view_as_complex is only supported for half, float and double "
                           "tensors, but got a tensor of scalar type: "
                           f"{_legacy_scalar_name(input.dtype)}")
    if input.ndim == 0 or input.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    if input.stride(-1) != 1:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(s % 2 for s, n in zip(input.stride()[:-1], input.shape) if n > 1):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    if input.storage_offset() % 2:
        raise RuntimeError("Tensor must have a storage_offset divisible by 2")
    return ViewAsComplexBackward0().apply(input)


def real(input):
    """The real part: a view for complex input (as torch, view_as_real(z)[..., 0]); real input
    itself otherwise (torch.real)."""
    if input.dtype.category != COMPLEX:
        return input
    return view_as_real(input).select(-1, 0)


def imag(input):
    """The imaginary part, a view of a complex tensor (torch.imag)."""
    if input.dtype.category != COMPLEX:
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return view_as_real(input).select(-1, 1)


def _set_real(input, value):
    """``t.real = value`` copies into the real part (torch's setter)."""
    real(input).copy_(value if hasattr(value, "shape") else _full_like(input, value, real))


def _set_imag(input, value):
    imag(input).copy_(value if hasattr(value, "shape") else _full_like(input, value, imag))


def _full_like(input, value, part):
    from ember._ops.creation import full

    view = part(input)
    return full(view.shape, value, dtype=view.dtype, device=view.device)


class ConjBackward0(Op):
    promote = "keep"

    def forward(self, z):
        return self.xp.conj(z)

    def backward(self, g):
        return conj_physical(g)


class ConjPhysicalBackward0(ConjBackward0):
    pass


def conj(input):
    """The complex conjugate (torch.conj); real input is returned as is. See the module note:
    a copy, not torch's lazy view."""
    return ConjBackward0().apply(input) if input.dtype.category == COMPLEX else input


def conj_physical(input, *, out=None):
    """The complex conjugate, computed now (torch.conj_physical); real input as is."""
    if input.dtype.category != COMPLEX:
        return input if out is None else out_same_dtype(input.clone(), out)
    return out_same_dtype(ConjPhysicalBackward0().apply(input), out)


_WARNED = set()


def _conj_transpose(input, name, subject, matrices_only=False):
    """conj(input.mT) with torch's checks and messages; a 0-dim tensor is conjugated, with
    torch's deprecation warning."""
    ndim = input.ndim
    if ndim == 0:
        if name not in _WARNED:  # NOTE: torch warns once per process (TORCH_WARN_ONCE)
            _WARNED.add(name)
            warnings.warn(f"{name} is deprecated on 0-D tensors. Consider using x.conj().",
                          UserWarning, stacklevel=3)
        return conj(input)
    if ndim < 2 or (matrices_only and ndim > 2):
        if matrices_only:
            hint = " For batches of matrices, consider using tensor.mH" if ndim > 2 else ""
            raise RuntimeError(f"{subject} is only supported on matrices (2-D tensors). Got "
                               f"{ndim}-D tensor.{hint}")
        raise RuntimeError(f"{subject} is only supported on matrices or batches of matrices. "
                           f"Got {ndim}-D tensor.")
    return conj(input.transpose(-2, -1))


def adjoint(input):
    """The conjugate transpose of the last two dims (torch.adjoint, Tensor.adjoint): a view for
    real tensors; for complex ones a conjugated copy (see the module note)."""
    return _conj_transpose(input, "adjoint()", "tensor.adjoint()")


def mH(input):
    """Tensor.mH: the conjugate transpose of a matrix or a batch of matrices (as adjoint)."""
    return _conj_transpose(input, "Tensor.mH", "tensor.mH")


def H(input):
    """Tensor.H: the conjugate transpose of a matrix; 2-D only, as in torch."""
    return _conj_transpose(input, "Tensor.H", "tensor.H", matrices_only=True)


def resolve_conj(input):
    """Ember has no lazy conjugation, so there is nothing to resolve (torch.resolve_conj)."""
    return input


def resolve_neg(input):
    return input


def is_conj(input):
    return False


def is_neg(input):
    return False


class AngleBackward0(Op):
    """The argument of a complex number; for real input 0, or pi below 0 (NaN stays NaN)."""

    promote = "float"

    def forward(self, x):
        self.save(x)
        xp = self.xp
        if x.dtype.kind == "c":
            return xp.angle(x)
        return xp.where(xp.isnan(x), x, xp.where(x < 0, xp.pi, 0)).astype(x.dtype, copy=False)

    def backward(self, g):
        (z,) = self.saved
        if z.dtype.category != COMPLEX:
            return g * 0
        # NOTE: d angle = (x dy - y dx) / |z|^2, i.e. i z / |z|^2 in torch's convention
        return where(z == 0, 0, g * z / (z.abs() ** 2) * 1j)


def angle(input, *, out=None):
    """The elementwise argument in radians (torch.angle); real result for complex input."""
    return with_out(AngleBackward0().apply(input), out)


def _check_parts(a, b):
    """torch's checks on the two real operands of complex() and polar()."""
    allowed = ("float16", "float32", "float64")
    if a.dtype.name not in allowed or b.dtype.name not in allowed:
        raise RuntimeError("Expected both inputs to be Half, Float or Double tensors but got "
                           f"{_legacy_scalar_name(a.dtype)} and {_legacy_scalar_name(b.dtype)}")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"Expected object of scalar type {_legacy_scalar_name(a.dtype)} but "
                           f"got scalar type {_legacy_scalar_name(b.dtype)} for second argument")


class ComplexBackward0(Op):
    """real + i imag, broadcast."""

    promote = "keep"

    def forward(self, a, b):
        if a.dtype.name == "float16":
            raise RuntimeError("complex: ComplexHalf (complex32) is not supported by Ember")
        a, b = self.xp.broadcast_arrays(a, b)
        out = self.xp.empty(a.shape, dtype=_COMPLEX_OF[a.dtype.name])
        out.real, out.imag = a, b  # NOTE: not a + 1j * b, where inf * 1j would give NaN
        return out

    def backward(self, g):
        return real(g), imag(g)


class PolarBackward0(Op):
    """abs (cos angle + i sin angle)."""

    promote = "keep"

    def forward(self, r, theta):
        if r.dtype.name == "float16":  # NOTE: torch has no half kernel for polar
            raise NotImplementedError("\"polar_cpu\" not implemented for 'Half'")
        self.save(r, theta)
        xp = self.xp
        r, theta = xp.broadcast_arrays(r, theta)
        out = self.xp.empty(r.shape, dtype=_COMPLEX_OF[r.dtype.name])
        out.real, out.imag = r * xp.cos(theta), r * xp.sin(theta)
        return out

    def backward(self, g):
        r, theta = self.saved
        gr, gi, cos, sin = real(g), imag(g), theta.cos(), theta.sin()
        return gr * cos + gi * sin, r * (gi * cos - gr * sin)


def _two_parts(op_cls, name, doc, args):
    def fn(a, b, *, out=None):
        _expect_tensor(name, a, args[0], 1)
        _expect_tensor(name, b, args[1], 2)
        _check_parts(a, b)
        return with_out(op_cls().apply(a, b), out)

    fn.__name__, fn.__doc__ = name, doc
    return fn


complex = _two_parts(ComplexBackward0, "complex", "real + i imag (torch.complex).",
                     ("real", "imag"))
polar = _two_parts(PolarBackward0, "polar", "abs * exp(i angle) (torch.polar).",
                   ("abs", "angle"))


class SgnBackward0(Op):
    """z / |z| (0 at 0) for complex input, sign(x) otherwise (torch.sgn)."""

    promote = "keep"

    def forward(self, x):
        xp = self.xp
        if x.dtype.kind == "c":
            magnitude = xp.abs(x)
            out = x / xp.where(magnitude == 0, 1, magnitude)
            self.save(x, out)
            return out.astype(x.dtype, copy=False)
        return x.copy() if x.dtype == bool else xp.sign(x)

    def backward(self, g):
        if g.dtype.category != COMPLEX:
            return g * 0
        z, s = self.saved
        magnitude = z.abs()
        # NOTE: only the part of g orthogonal to sgn(z) turns it: (g - s Re(conj(s) g)) / |z|
        turn = (g - s * real(s.conj() * g)) / where(magnitude == 0, 1, magnitude)
        return where(magnitude == 0, 0, turn)


def sgn(input, *, out=None):
    """z / |z| for complex input (0 at 0), sign(input) otherwise (torch.sgn)."""
    return out_same_dtype(SgnBackward0().apply(input), out)


conj_physical_, sgn_ = _inplace(conj_physical), _inplace(sgn)
