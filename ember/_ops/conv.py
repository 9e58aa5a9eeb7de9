"""Convolutions: conv1d/2d/3d and conv_transpose1d/2d/3d with torch's arguments, output shapes,
errors and node names (ConvolutionBackward0, ConvolutionBackwardBackward0).

A convolution y = F(x, w) is bilinear, so its two gradients are the adjoint maps
Gx(g, w) (the input gradient, which is also conv_transpose) and Gw(x, g) (the weight gradient).
The derivatives of each of the three maps are again F, Gx or Gw, so one Op class computing any
of them by ``kind`` gives gradients of every order. Each map is one GEMM on an im2col matrix
(ember._ops.im2col), never a Python loop over pixels or channels.
"""

from __future__ import annotations

import warnings

from ember._ops._op import Op, _legacy_type_name, run_forward
from ember._ops.im2col import KERNELS, Geometry
from ember._ops.reduce import sum_array

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d"]


# -- the Op --------------------------------------------------------------------------------------


class ConvolutionBackward0(Op):
    """One of the three bilinear maps of a convolution, by ``kind``: "conv" F(x, w), "input"
    Gx(g, w) (conv_transpose, or a conv's input gradient) and "weight" Gw(x, g). An optional
    bias (third input) is added per output channel."""

    promote = "keep"

    def __init__(self, kind, geo):
        self.kind, self.geo = kind, geo

    def forward(self, a, b, bias=None):
        dtype = a.dtype
        low = dtype.name in ("float16", "bfloat16")
        # NOTE: NumPy has no fast half GEMM; accumulate in float32 and round once
        a32, b32 = (a.astype("float32"), b.astype("float32")) if low else (a, b)
        out = KERNELS[self.kind](self.xp, a32, b32, self.geo, bias)
        self.save(a, b)
        return out.astype(dtype) if low else out

    def backward(self, g):
        a, b = self.saved
        need = self.needs_input_grad
        ga, gb = self._gradients(a, b, g, need[0], need[1], lambda op, p, q: op.apply(p, q))
        gbias = None
        if len(need) > 2 and need[2]:
            gbias = g.sum((0, *range(2, g.ndim)))
        return ga, gb, gbias

    def backward_arrays(self, g):
        a, b = self.saved_arrays
        need = self._edges
        ga, gb = self._gradients(a, b, g, need[0], need[1],
                                 lambda op, p, q: run_forward(op, self.xp, p, q))
        gbias = None
        if len(need) > 2 and need[2]:
            gbias = sum_array(g, (0, *range(2, g.ndim)))
        return ga, gb, gbias

    def _gradients(self, a, b, g, need_a, need_b, apply):
        # each map's derivatives are the other two maps (see the module docstring)
        kind, geo = self.kind, self.geo

        def run(k, p, q):
            return apply(ConvolutionBackwardBackward0(k, geo), p, q)

        if kind == "conv":  # a = x, b = w
            return run("input", g, b) if need_a else None, run("weight", a, g) if need_b else None
        if kind == "input":  # a = upstream of a conv, b = w
            return run("conv", g, b) if need_a else None, run("weight", g, a) if need_b else None
        # kind == "weight": a = x, b = upstream of a conv
        return run("input", b, g) if need_a else None, run("conv", a, g) if need_b else None


class ConvolutionBackwardBackward0(ConvolutionBackward0):
    """The same maps, named as torch names the gradient nodes of a convolution."""


# -- argument checks, shared by conv and conv_transpose ------------------------------------------


def _tuple(value, nd, name):
    """An int or a sequence of 1 or nd ints as an nd-tuple; torch's error otherwise."""
    values = [value] if isinstance(value, int) else list(value)
    if len(values) == 1:
        values = values * nd
    if len(values) != nd:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {nd} "
                           f"values to match the convolution dimensions, but got "
                           f"{name}={values}")
    return tuple(int(v) for v in values)


def _c_type(dtype):
    """The C++ type name torch prints for a scalar type in some messages ('float', 'double')."""
    names = {"float32": "float", "float64": "double", "float16": "c10::Half",
             "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int"}
    return names.get(dtype.name, dtype.name)


def _check_dtypes(input, weight, bias):
    """torch's messages when input, weight and bias differ in dtype."""
    if weight.dtype is not input.dtype:
        if input.dtype.name == "float32":
            raise RuntimeError(
                f"Input type ({_legacy_type_name(input)}) and weight type "
                f"({_legacy_type_name(weight)}) should be the same or input should be a MKLDNN "
                "tensor and weight is a dense tensor")
        raise RuntimeError(f"expected scalar type {_scalar_name(input)} but found "
                           f"{_scalar_name(weight)}")
    if bias is not None and bias.dtype is not input.dtype:
        raise RuntimeError(f"Input type ({_c_type(input.dtype)}) and bias type "
                           f"({_c_type(bias.dtype)}) should be the same")
    if input.dtype.name == "bool":
        nd = input.ndim - 2
        raise NotImplementedError(f"\"slow_conv{nd}d_cpu\" not implemented for 'Bool'")


def _scalar_name(t):
    return _legacy_type_name(t).split(".")[1][:-6]


def _check_params(weight, nd, stride, padding, dilation, groups, output_padding=None):
    """Lengths and signs of the parameters, as torch checks them (against the weight's rank)."""
    k = weight.ndim - 2
    named = {"stride": stride, "padding": padding, "dilation": dilation}
    if output_padding is not None:
        named["output_padding"] = output_padding
    if k != nd:
        raise RuntimeError(f"expected stride to be a single integer value or a list of {k} "
                           f"values to match the convolution dimensions, but got "
                           f"stride={list(stride)}")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if output_padding is not None and any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("non-positive dilation is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")


def _check_shapes(input, weight, bias, groups, transposed):
    """Channel counts of input, weight and bias against groups (torch's messages)."""
    w_shape = list(weight.shape)
    if w_shape[0] < groups or w_shape[0] % groups:
        word = "at least" if w_shape[0] < groups else "divisible by"
        raise RuntimeError(f"Given groups={groups}, expected weight to be {word} {groups} at "
                           f"dimension 0, but got weight of size [{w_shape}] instead")
    channels = w_shape[0] if transposed else w_shape[1] * groups
    if input.shape[1] != channels:
        given = f"transposed=1, weight of size {w_shape}" if transposed else (
            f"groups={groups}, weight of size {w_shape}")
        raise RuntimeError(f"Given {given}, expected input{list(input.shape)} to have "
                           f"{channels} channels, but got {input.shape[1]} channels instead")
    out_channels = w_shape[1] * groups if transposed else w_shape[0]
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != out_channels):
        given = "transposed=1, weight" if transposed else "weight"
        raise RuntimeError(f"Given {given} of size {w_shape}, expected bias to be 1-dimensional "
                           f"with {out_channels} elements, but got bias of size "
                           f"{list(bias.shape)} instead")


def _check_rank(input, nd, name):
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(input.shape)}")


# -- conv -----------------------------------------------------------------------------------------


def _same_padding(input, weight, dilation, stride):
    """padding='same': torch pads d*(k-1) in all, the odd one on the right, by padding the input
    first (with a warning) when a dim's total is odd."""
    if any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    totals = [d * (k - 1) for d, k in zip(dilation, weight.shape[2:])]
    if any(t % 2 for t in totals):
        warnings.warn("Using padding='same' with even kernel lengths and odd dilation may require "
                      "a zero-padded copy of the input be created", UserWarning, stacklevel=4)
        from ember._ops.pad import pad

        extra = [v for t in reversed(totals) for v in (0, t % 2)]
        input = pad(input, extra)
    return input, tuple(t // 2 for t in totals)


def _conv(name, nd, input, weight, bias, stride, padding, dilation, groups):
    _check_rank(input, nd, name)
    unbatched = input.ndim == nd + 1
    if unbatched:
        input = input.unsqueeze(0)
    stride, dilation = _tuple(stride, nd, "stride"), _tuple(dilation, nd, "dilation")
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        _check_params(weight, nd, stride, (0,) * nd, dilation, groups)
        input, padding = (_same_padding(input, weight, dilation, stride) if padding == "same"
                          else (input, (0,) * nd))
    padding = _tuple(padding, nd, "padding")
    _check_params(weight, nd, stride, padding, dilation, groups)
    _check_dtypes(input, weight, bias)
    _check_shapes(input, weight, bias, groups, transposed=False)
    in_size, kernel = tuple(input.shape[2:]), tuple(weight.shape[2:])
    out_size = _conv_out_size(in_size, kernel, stride, padding, dilation)
    geo = Geometry(in_size, out_size, kernel, stride, padding, dilation, groups)
    out = ConvolutionBackward0("conv", geo).apply(input, weight, bias)
    return out.squeeze(0) if unbatched else out


def _conv_out_size(in_size, kernel, stride, padding, dilation):
    padded = [s + 2 * p for s, p in zip(in_size, padding)]
    extent = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    if any(e > p for e, p in zip(extent, padded)):
        raise RuntimeError(f"Calculated padded input size per channel: "
                           f"({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, extent))}). Kernel size can't be greater than "
                           "actual input size")
    return tuple((p - e) // s + 1 for p, e, s in zip(padded, extent, stride))


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution over (N, C, L) or (C, L) input (torch.nn.functional.conv1d)."""
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution over (N, C, H, W) or (C, H, W) input (torch.nn.functional.conv2d)."""
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution over (N, C, D, H, W) or (C, D, H, W) input (torch.nn.functional.conv3d)."""
    return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


# -- conv_transpose -------------------------------------------------------------------------------


def _transposed_size(in_size, kernel, stride, padding, dilation, output_padding):
    """The output size of conv_transpose: the input size of the conv it is the gradient of."""
    size = tuple((i - 1) * s - 2 * p + d * (k - 1) + op + 1 for i, k, s, p, d, op in
                 zip(in_size, kernel, stride, padding, dilation, output_padding))
    if any(s <= 0 for s in size):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, in_size))}). "
                           f"Calculated output size per channel: "
                           f"({' x '.join(map(str, size))}). Output size is too small")
    return size


def _output_padding_message(output_padding, stride, dilation):
    names = ("width",) if len(stride) == 1 else ("height", "width") if len(stride) == 2 else (
        "depth", "height", "width")
    parts = [" ".join(f"{kind}_{n}: {v}" for n, v in zip(names, values))
             for kind, values in (("output_padding", output_padding), ("stride", stride),
                                  ("dilation", dilation))]
    return ("output padding must be smaller than either stride or dilation, but got "
            + " ".join(parts))


def _conv_transpose(name, nd, input, weight, bias, stride, padding, output_padding, groups,
                    dilation):
    _check_rank(input, nd, name)
    if isinstance(padding, str):
        raise TypeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    unbatched = input.ndim == nd + 1
    if unbatched:
        input = input.unsqueeze(0)
    stride, padding = _tuple(stride, nd, "stride"), _tuple(padding, nd, "padding")
    dilation = _tuple(dilation, nd, "dilation")
    output_padding = _tuple(output_padding, nd, "output_padding")
    _check_params(weight, nd, stride, padding, dilation, groups, output_padding)
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError(_output_padding_message(output_padding, stride, dilation))
    _check_dtypes(input, weight, bias)
    _check_shapes(input, weight, bias, groups, transposed=True)
    kernel, in_size = tuple(weight.shape[2:]), tuple(input.shape[2:])
    out_size = _transposed_size(in_size, kernel, stride, padding, dilation, output_padding)
    # the conv whose input gradient this is maps out_size -> in_size
    geo = Geometry(out_size, in_size, kernel, stride, padding, dilation, groups)
    out = ConvolutionBackward0("input", geo).apply(input, weight, bias)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 1-D convolution (torch.nn.functional.conv_transpose1d)."""
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 2-D convolution (torch.nn.functional.conv_transpose2d)."""
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 3-D convolution (torch.nn.functional.conv_transpose3d)."""
    return _conv_transpose("conv_transpose3d", 3, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)
