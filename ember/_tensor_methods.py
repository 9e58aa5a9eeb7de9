"""The methods of Tensor that are ember._ops functions, bound under torch's names: a table, one
section per op family (Tensor inherits it; no logic here)."""

from __future__ import annotations

from ember import _dtype
from ember._device import device as _device_cls
from ember._ops import activation as A
from ember._ops import compare as Cmp
from ember._ops import complex as Cx
from ember._ops import conversion as Cv
from ember._ops import creation as C
from ember._ops import decomp as D
from ember._ops import division as Dv
from ember._ops import elementwise_misc as Ex
from ember._ops import elementwise_more as Em
from ember._ops import factory_args as Fa
from ember._ops import histogram as Hg
from ember._ops import index_ops as Ix
from ember._ops import inplace_views as Iv
from ember._ops import join as J
from ember._ops import legacy as Lg
from ember._ops import linalg as L
from ember._ops import masked as Ms
from ember._ops import minmax as Mm
from ember._ops import pointwise as P
from ember._ops import products as Pr
from ember._ops import random as Rn
from ember._ops import reduce as R
from ember._ops import reduce_extremes as Re
from ember._ops import reduce_misc as Rm
from ember._ops import repeat as Rp
from ember._ops import scan as Sc
from ember._ops import scatter as Sx
from ember._ops import shape as S
from ember._ops import sort as So
from ember._ops import special as Sp
from ember._ops import strided as St
from ember._ops import unary as U
from ember._ops import views as Vw


class TensorMethods:
    """Tensor's op methods: ``x.add(y)`` is ``ember._ops.pointwise.add(x, y)``."""

    __slots__ = ()

    # -- conversion ------------------------------------------------------------------------

    def to(self, *args, **kwargs):
        return Cv.to(self, *args, **kwargs)

    def type(self, dtype=None, non_blocking=False):
        return Lg.type_(self, dtype)

    def type_as(self, other):
        return self.to(other.dtype)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False):
        return self.to(_device_cls("cuda", device) if isinstance(device, int) else device or "cuda")

    def float(self):
        return self.to(_dtype.float32)

    def double(self):
        return self.to(_dtype.float64)

    def half(self):
        return self.to(_dtype.float16)

    def bfloat16(self):
        return self.to(_dtype.bfloat16)

    def long(self):
        return self.to(_dtype.int64)

    def int(self):
        return self.to(_dtype.int32)

    def short(self):
        return self.to(_dtype.int16)

    def char(self):
        return self.to(_dtype.int8)

    def byte(self):
        return self.to(_dtype.uint8)

    def bool(self):
        return self.to(_dtype.bool)

    def cfloat(self):
        return self.to(_dtype.complex64)

    def cdouble(self):
        return self.to(_dtype.complex128)

    def clone(self, *, memory_format=None):
        return Cv.clone(self)

    def contiguous(self, memory_format=None):
        return self if St.is_contiguous(self) else Cv.clone(self)

    def copy_(self, src, non_blocking=False):
        return Cv.copy_(self, src)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        return C.tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                        requires_grad=requires_grad)

    # the size as torch takes it: new_zeros(2, 3), new_zeros((2, 3)) or new_zeros(size=(2, 3))
    def new_empty(self, *args, size=Fa.NO_SIZE, dtype=None, device=None, requires_grad=False,
                  layout=None, pin_memory=False):
        shape = Fa.size_arg("new_empty", args, size)
        return C.empty(shape, **self._new_kwargs(dtype, device, requires_grad))

    def new_zeros(self, *args, size=Fa.NO_SIZE, dtype=None, device=None, requires_grad=False,
                  layout=None, pin_memory=False):
        shape = Fa.size_arg("new_zeros", args, size)
        return C.zeros(shape, **self._new_kwargs(dtype, device, requires_grad))

    def new_ones(self, *args, size=Fa.NO_SIZE, dtype=None, device=None, requires_grad=False,
                 layout=None, pin_memory=False):
        shape = Fa.size_arg("new_ones", args, size)
        return C.ones(shape, **self._new_kwargs(dtype, device, requires_grad))

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False,
                 layout=None, pin_memory=False):
        return C.full(size, fill_value, **self._new_kwargs(dtype, device, requires_grad))

    def _new_kwargs(self, dtype, device, requires_grad):
        return {"dtype": dtype or self.dtype, "device": device or self.device,
                "requires_grad": requires_grad}

    def zero_(self):
        return Cv.fill_(self, 0)

    def fill_(self, value):
        return Cv.fill_(self, value)

    # -- random sampling in place (ember/_ops/random.py) -------------------------------------
    uniform_, normal_, random_, bernoulli_ = Rn.uniform_, Rn.normal_, Rn.random_, Rn.bernoulli_
    exponential_, geometric_, log_normal_, cauchy_ = (Rn.exponential_, Rn.geometric_,
                                                      Rn.log_normal_, Rn.cauchy_)
    bernoulli, multinomial = Rn.bernoulli, Rn.multinomial

    # -- elementwise (ember/_ops/pointwise.py, unary.py, minmax.py, compare.py) --------------
    add, sub, mul, div, true_divide = P.add, P.sub, P.mul, Dv.div, Dv.true_divide
    add_, sub_, mul_, div_ = P.add_, P.sub_, P.mul_, Dv.div_
    subtract, multiply, divide = P.sub, P.mul, Dv.div
    floor_divide, remainder, fmod, pow, pow_ = (Dv.floor_divide, Dv.remainder, Dv.fmod, P.pow,
                                                P.pow_)
    neg, negative, neg_, abs, abs_, absolute = P.neg, P.neg, P.neg_, U.abs, U.abs_, U.abs
    exp, exp_, log, log_, sqrt, sqrt_ = U.exp, U.exp_, U.log, U.log_, U.sqrt, U.sqrt_
    rsqrt = U.rsqrt
    log2, log10, log1p, expm1, square = U.log2, U.log10, U.log1p, U.expm1, U.square
    sin, cos, tan, sign, reciprocal = U.sin, U.cos, U.tan, U.sign, U.reciprocal
    floor, ceil, round, trunc, frac = U.floor, U.ceil, U.round, U.trunc, U.frac
    sigmoid, sigmoid_, tanh, tanh_, relu, relu_ = (U.sigmoid, U.sigmoid_, U.tanh, U.tanh_, U.relu,
                                                   U.relu_)
    clamp, clamp_, clip, clip_, clamp_min, clamp_max = (Mm.clamp, Mm.clamp_, Mm.clamp, Mm.clamp_,
                                                        Mm.clamp_min, Mm.clamp_max)
    maximum, minimum = Mm.maximum, Mm.minimum
    eq, ne, lt, le, gt, ge = Cmp.eq, Cmp.ne, Cmp.lt, Cmp.le, Cmp.gt, Cmp.ge
    greater, greater_equal, less, less_equal, not_equal = Cmp.gt, Cmp.ge, Cmp.lt, Cmp.le, Cmp.ne
    logical_and, logical_or, logical_xor, logical_not = (Cmp.logical_and, Cmp.logical_or,
                                                         Cmp.logical_xor, Cmp.logical_not)
    bitwise_and, bitwise_or, bitwise_xor, bitwise_not = (Cmp.bitwise_and, Cmp.bitwise_or,
                                                         Cmp.bitwise_xor, Cmp.bitwise_not)
    isnan, isinf, isfinite, equal, allclose, isclose = (Cmp.isnan, Cmp.isinf, Cmp.isfinite,
                                                        Cmp.equal, Cmp.allclose, Cmp.isclose)
    lerp, addcmul, addcdiv = P.lerp, P.addcmul, P.addcdiv

    __add__, __radd__, __iadd__ = P.add, P.add, P.add_
    __sub__, __rsub__, __isub__ = P.sub, P.rsub, P.sub_
    __mul__, __rmul__, __imul__ = P.mul, P.mul, P.mul_
    __truediv__, __rtruediv__, __itruediv__ = Dv.div, Dv.rdiv, Dv.div_
    __floordiv__, __rfloordiv__, __ifloordiv__ = Dv.floor_divide, Dv.rfloordiv, Dv.floor_divide_
    __mod__, __rmod__, __imod__ = Dv.remainder, Dv.rremainder, Dv.remainder_
    __pow__, __rpow__, __ipow__ = P.pow, P.rpow, P.pow_
    __neg__, __pos__, __abs__ = P.neg, P.positive, U.abs
    __eq__, __ne__, __lt__, __le__, __gt__, __ge__ = Cmp.eq, Cmp.ne, Cmp.lt, Cmp.le, Cmp.gt, Cmp.ge
    __and__, __or__, __xor__, __invert__ = (Cmp.bitwise_and, Cmp.bitwise_or, Cmp.bitwise_xor,
                                            Cmp._invert)
    __rand__, __ror__, __rxor__ = Cmp.bitwise_and, Cmp.bitwise_or, Cmp.bitwise_xor
    __iand__, __ior__, __ixor__ = Cmp.bitwise_and_, Cmp.bitwise_or_, Cmp.bitwise_xor_

    # in-place forms and aliases of the pointwise ops
    sin_, cos_, tan_, log2_, log10_, log1p_, expm1_ = (U.sin_, U.cos_, U.tan_, U.log2_, U.log10_,
                                                       U.log1p_, U.expm1_)
    rsqrt_, reciprocal_, sign_, square_ = U.rsqrt_, U.reciprocal_, U.sign_, U.square_
    floor_, ceil_, trunc_, round_, frac_ = U.floor_, U.ceil_, U.trunc_, U.round_, U.frac_
    fmod_, remainder_, floor_divide_ = Dv.fmod_, Dv.remainder_, Dv.floor_divide_
    clamp_min_, clamp_max_, lerp_, addcmul_, addcdiv_ = (Mm.clamp_min_, Mm.clamp_max_, P.lerp_,
                                                         P.addcmul_, P.addcdiv_)
    eq_, ne_, lt_, le_, gt_, ge_ = Cmp.eq_, Cmp.ne_, Cmp.lt_, Cmp.le_, Cmp.gt_, Cmp.ge_
    greater_, greater_equal_, less_, less_equal_, not_equal_ = (Cmp.gt_, Cmp.ge_, Cmp.lt_, Cmp.le_,
                                                                Cmp.ne_)
    logical_and_, logical_or_, logical_xor_, logical_not_ = (Cmp.logical_and_, Cmp.logical_or_,
                                                             Cmp.logical_xor_, Cmp.logical_not_)
    bitwise_and_, bitwise_or_, bitwise_xor_, bitwise_not_ = (Cmp.bitwise_and_, Cmp.bitwise_or_,
                                                             Cmp.bitwise_xor_, Cmp.bitwise_not_)
    absolute_, subtract_, multiply_, divide_, true_divide_, negative_ = (
        U.abs_, P.sub_, P.mul_, Dv.div_, Dv.div_, P.neg_)

    # -- reductions (ember/_ops/reduce.py) ---------------------------------------------------
    sum, mean, prod, max, min, amax, amin = R.sum, R.mean, R.prod, Re.max, Re.min, Re.amax, Re.amin
    argmax, argmin, norm, var, std, all, any = (Re.argmax, Re.argmin, Rm.norm, R.var, R.std, Rm.all,
                                                Rm.any)
    logsumexp, cumsum = Rm.logsumexp, R.cumsum

    # -- linear algebra (ember/_ops/linalg.py) -----------------------------------------------
    matmul, mm, bmm, mv, dot = L.matmul, L.mm, L.bmm, L.mv, L.dot
    __matmul__, __rmatmul__ = L.matmul, L.rmatmul

    # -- shape and views (ember/_ops/shape.py, views.py, strided.py) -------------------------
    view, reshape, expand, unsqueeze, squeeze = S.view, S.reshape, S.expand, S.unsqueeze, S.squeeze
    transpose, permute, t = S.transpose, S.permute, S.t
    T, mT = property(S.T), property(S.mT)
    mH, H, adjoint = property(Cx.mH), property(Cx.H), Cx.adjoint  # complex: a conjugated copy
    swapaxes, swapdims, movedim, moveaxis = S.swapaxes, S.swapdims, Vw.movedim, Vw.moveaxis
    flatten, unflatten, ravel, as_strided = Vw.flatten, Vw.unflatten, Vw.ravel, St.as_strided
    unsqueeze_, squeeze_, t_, transpose_, as_strided_ = (Iv.unsqueeze_, Iv.squeeze_, Iv.t_,
                                                         Iv.transpose_, Iv.as_strided_)
    swapdims_ = swapaxes_ = Iv.transpose_
    view_as, reshape_as, expand_as, broadcast_to = (Vw.view_as, Vw.reshape_as, Vw.expand_as,
                                                    Vw.broadcast_to)
    narrow, select, diagonal, unbind = Vw.narrow, Vw.select, Vw.diagonal, J.unbind
    split, chunk, tensor_split = J.split, J.chunk, J.tensor_split
    hsplit, vsplit, dsplit = J.hsplit, J.vsplit, J.dsplit
    flip, fliplr, flipud, roll = Rp.flip, Rp.fliplr, Rp.flipud, Rp.roll
    repeat, repeat_interleave, tile = Rp.repeat, Rp.repeat_interleave, Rp.tile

    # -- products, triangles, scans (ember/_ops/products.py, scan.py) ---------------------------
    vdot, inner, outer, ger, kron, trace = Pr.vdot, Pr.inner, Pr.outer, Pr.ger, Pr.kron, Pr.trace
    addmm, addmm_, addmv, addmv_, addr, addr_ = (Pr.addmm, Pr.addmm_, Pr.addmv, Pr.addmv_,
                                                 Pr.addr, Pr.addr_)
    addbmm, addbmm_, baddbmm, baddbmm_ = Pr.addbmm, Pr.addbmm_, Pr.baddbmm, Pr.baddbmm_
    tril, tril_, triu, triu_ = Pr.tril, Pr.tril_, Pr.triu, Pr.triu_
    diag, diag_embed, diagflat = Pr.diag, Pr.diag_embed, Pr.diagflat
    cumprod, cumprod_, cumsum_, logcumsumexp = Sc.cumprod, Sc.cumprod_, Sc.cumsum_, Sc.logcumsumexp
    diff, renorm, renorm_, dist = Sc.diff, Sc.renorm, Sc.renorm_, Sc.dist
    nansum, nanmean, count_nonzero = Sc.nansum, Sc.nanmean, Sc.count_nonzero
    apply_, map_, __dlpack__, __dlpack_device__ = Sc.apply_, Sc.map_, Sc.dlpack, Sc.dlpack_device

    # -- decompositions (ember/_ops/decomp.py) ----------------------------------------------
    det, logdet, slogdet, inverse, pinverse = D.det, D.logdet, D.slogdet, D.inverse, D.pinverse
    cholesky, qr, svd, lu = D.cholesky, D.qr, D.svd, D.lu
    matrix_power, matrix_exp, cross = D.matrix_power, D.matrix_exp, D.cross

    # -- sorting and selection (ember/_ops/sort.py, select.py) -------------------------------
    sort, argsort, msort, topk, kthvalue = So.sort, So.argsort, So.msort, So.topk, So.kthvalue
    median, nanmedian, mode, aminmax = So.median, So.nanmedian, So.mode, So.aminmax
    cummax, cummin, unique, unique_consecutive = (So.cummax, So.cummin, So.unique,
                                                  So.unique_consecutive)
    bincount, histc, histogram = Hg.bincount, Hg.histc, Hg.histogram

    # -- special functions, more elementwise ops, complex numbers (ember/_ops/special.py,
    # elementwise_more.py, elementwise_misc.py, complex.py) ---------------------------------
    exp2, exp2_, float_power, float_power_ = Em.exp2, Em.exp2_, Em.float_power, Em.float_power_
    logaddexp, logaddexp2, fmax, fmin = Em.logaddexp, Em.logaddexp2, Em.fmax, Em.fmin
    asin, asin_, acos, acos_, atan, atan_ = Em.asin, Em.asin_, Em.acos, Em.acos_, Em.atan, Em.atan_
    arcsin, arcsin_, arccos, arccos_ = Em.asin, Em.asin_, Em.acos, Em.acos_
    arctan, arctan_, atan2, atan2_, arctan2, arctan2_ = (Em.atan, Em.atan_, Em.atan2, Em.atan2_,
                                                         Em.atan2, Em.atan2_)
    sinh, sinh_, cosh, cosh_ = Em.sinh, Em.sinh_, Em.cosh, Em.cosh_
    asinh, asinh_, acosh, acosh_, atanh, atanh_ = (Em.asinh, Em.asinh_, Em.acosh, Em.acosh_,
                                                   Em.atanh, Em.atanh_)
    arcsinh, arcsinh_, arccosh, arccosh_, arctanh, arctanh_ = (Em.asinh, Em.asinh_, Em.acosh,
                                                               Em.acosh_, Em.atanh, Em.atanh_)
    hypot, hypot_, copysign, copysign_, ldexp, ldexp_ = (Em.hypot, Em.hypot_, Em.copysign,
                                                         Em.copysign_, Em.ldexp, Em.ldexp_)
    deg2rad, deg2rad_, rad2deg, rad2deg_ = Em.deg2rad, Em.deg2rad_, Em.rad2deg, Em.rad2deg_
    erf, erf_, erfc, erfc_, erfinv, erfinv_ = (Sp.erf, Sp.erf_, Sp.erfc, Sp.erfc_, Sp.erfinv,
                                               Sp.erfinv_)
    lgamma, lgamma_, digamma, digamma_, i0, i0_ = (Sp.lgamma, Sp.lgamma_, Sp.digamma, Sp.digamma_,
                                                   Sp.i0, Sp.i0_)
    polygamma, polygamma_, mvlgamma, mvlgamma_ = (Sp._polygamma_method, Sp.polygamma_,
                                                  Sp.mvlgamma, Sp.mvlgamma_)
    sinc, sinc_, logit, logit_, xlogy, xlogy_ = (Sp.sinc, Sp.sinc_, Sp.logit, Sp.logit_, Sp.xlogy,
                                                 Sp.xlogy_)
    fix, fix_, signbit, isposinf, isneginf, isreal = (Em.fix, Ex.fix_, Ex.signbit, Ex.isposinf,
                                                      Ex.isneginf, Ex.isreal)
    heaviside, heaviside_, frexp = Ex.heaviside, Ex.heaviside_, Ex.frexp
    nan_to_num, nan_to_num_ = Ex.nan_to_num, Ex.nan_to_num_
    bitwise_left_shift, bitwise_left_shift_ = Ex.bitwise_left_shift, Ex.bitwise_left_shift_
    bitwise_right_shift, bitwise_right_shift_ = Ex.bitwise_right_shift, Ex.bitwise_right_shift_
    gcd, gcd_, lcm, lcm_ = Ex.gcd, Ex.gcd_, Ex.lcm, Ex.lcm_
    __lshift__, __rlshift__, __ilshift__ = (Ex.bitwise_left_shift, Ex._rlshift,
                                            Ex.bitwise_left_shift_)
    __rshift__, __rrshift__, __irshift__ = (Ex.bitwise_right_shift, Ex._rrshift,
                                            Ex.bitwise_right_shift_)
    real, imag = property(Cx.real, Cx._set_real), property(Cx.imag, Cx._set_imag)
    conj, conj_physical, conj_physical_ = Cx.conj, Cx.conj_physical, Cx.conj_physical_
    resolve_conj, resolve_neg, is_conj, is_neg = (Cx.resolve_conj, Cx.resolve_neg, Cx.is_conj,
                                                  Cx.is_neg)
    angle, sgn, sgn_ = Cx.angle, Cx.sgn, Cx.sgn_

    # -- softmax family (ember/_ops/activation.py) ---------------------------------------------
    softmax, log_softmax = A.softmax, A.log_softmax

    # -- indexing (ember/_ops/index.py, masked.py, index_ops.py, scatter.py) -----------------
    index_select, take, take_along_dim = Ix.index_select, Ix.take, Ix.take_along_dim
    nonzero, argwhere = Ms.nonzero, Ms.argwhere
    where = Ms._where_method
    masked_select, masked_fill, masked_fill_ = Ms.masked_select, Ms.masked_fill, Ms.masked_fill_
    masked_scatter, masked_scatter_ = Ms.masked_scatter, Ms.masked_scatter_
    gather, scatter, scatter_, scatter_add, scatter_add_ = (Sx.gather, Sx.scatter, Sx.scatter_,
                                                            Sx.scatter_add, Sx.scatter_add_)
    scatter_reduce, scatter_reduce_ = Sx.scatter_reduce, Sx.scatter_reduce_
    index_add, index_add_, index_copy, index_copy_ = (Ix.index_add, Ix.index_add_, Ix.index_copy,
                                                      Ix.index_copy_)
    index_fill, index_fill_, index_put, index_put_ = (Ix.index_fill, Ix.index_fill_, Ix.index_put,
                                                      Ix.index_put_)
