"""torch.return_types: the named tuples that sort, topk, max(dim), histogram, ... return, and
how they are written into ``out=(values, indices)``, with the dtype checks and resize warnings
of the kernel torch runs for each op."""

from __future__ import annotations

import collections

from ember._ops.index import _C_NAMES
from ember._ops.inplace import with_out

_RETURN_TYPES = {}


def return_type(name, fields=("values", "indices")):
    """The named tuple torch returns as ``torch.return_types.<name>``; prints as torch's does
    (with ``ember.`` for ``torch.``) and compares as a plain tuple."""
    cls = _RETURN_TYPES.get((name, fields))
    if cls is None:
        cls = collections.namedtuple(name, fields, module="ember.return_types")
        cls.__repr__ = _return_repr
        cls.__reduce__ = lambda self: (_rebuild, (type(self).__name__, self._fields, tuple(self)))
        _RETURN_TYPES[(name, fields)] = cls
    return cls


def _return_repr(self):
    body = ",\n".join(f"{field}={value!r}" for field, value in zip(self._fields, self))
    return f"ember.return_types.{type(self).__name__}(\n{body})"


def _rebuild(name, fields, values):
    return return_type(name, tuple(fields))(*values)


def pair_out(result, out, name, fields=("values", "indices"), dim=None, input=None):
    """Write a (values, indices)-style result into ``out=(a, b)``; torch returns ``<name>_out``.

    Each out must have its result's dtype, with the message of the kernel torch runs (see
    _OUT_CHECKS). For kthvalue and mode (``dim`` and ``input`` given) torch resizes the outs to
    the keepdim shape first, so its resize warning shows that shape."""
    if out is None:
        return result
    _check_out_dtypes(result, out, name)
    if dim is not None:
        return return_type(name + "_out", fields)(
            *(_keepdim_out(r, o, input, dim, name) for r, o in zip(result, out)))
    return return_type(name + "_out", fields)(with_out(result[0], out[0]),
                                              with_out(result[1], out[1]))


def _legacy(dtype):
    from ember._ops.inplace import _scalar_type_name

    return _scalar_type_name(dtype)


_EXACT = ("Expected out tensor to have dtype {want}, but got {got} instead",) * 2
_MEDIAN = ("Expected tensor for 'values' to have the same type as tensor for argument #2 'self'; "
           "but type torch.{got}Tensor does not equal torch.{want}Tensor (while checking "
           "arguments for median)",
           "Expected tensor for argument #1 'indices' to have scalar type Long; but got "
           "torch.{got}Tensor instead (while checking arguments for median)")
_CUMULATIVE = ("expected scalar_type {want} but found {got}",) * 2
# op -> torch's messages for an out of the wrong dtype: (values, indices), with C++ type names
# (float, long int) for _EXACT and scalar type names (Float, Long) for the others
_OUT_CHECKS = {
    "kthvalue": ("output values must be of same type as input",
                 "output indices must be of scalar type Long"),
    "mode": ("expected scalar type '{want}' but got '{got}' for values output",
             "expected scalar type '{want}' but got '{got}' for indices output"),
    "median": _MEDIAN, "nanmedian": _MEDIAN, "cummax": _CUMULATIVE, "cummin": _CUMULATIVE,
    "histogram": ("torch.histogram: input tensor and hist tensor should have the same dtype, but "
                  "got input {want} and hist {got}",
                  "torch.histogram: input tensor and bin_edges tensor should have the same dtype, "
                  "but got input {want} and bin_edges {got} for dimension 0"),
}


def _check_out_dtypes(result, out, name):
    messages = _OUT_CHECKS.get(name, _EXACT)
    c_names = messages is _EXACT or name == "histogram"
    order = (1, 0) if messages is _MEDIAN else (0, 1)  # median checks the indices first
    for i in order:
        want, got = result[i].dtype, out[i].dtype
        if want is not got:
            names = (_C_NAMES[want.name], _C_NAMES[got.name]) if c_names else (
                _legacy(want), _legacy(got))
            raise RuntimeError(messages[i].format(want=names[0], got=names[1]))


def warn_resized(out, shape, out_shape=None):
    """torch's deprecation warning for resizing an ``out`` that has elements (shown with shape
    ``out_shape``, out's own by default) to ``shape``."""
    import warnings

    out_shape = list(out.shape) if out_shape is None else out_shape
    if out.numel() and out_shape != list(shape):
        warnings.warn(
            f"An output with one or more elements was resized since it had shape {out_shape}, "
            f"which does not match the required output shape {list(shape)}. This behavior is "
            "deprecated, and in a future PyTorch release outputs will not be resized unless "
            "they have zero elements. You can explicitly reuse an out tensor t by resizing it, "
            "inplace, to zero elements with t.resize_(0).", UserWarning, stacklevel=5)


def _keepdim_out(result, out, input, dim, name):
    """torch resizes the outs of kthvalue and mode to the keepdim shape: without keepdim, an out
    first gets a dim of 1 inserted at ``dim`` (kthvalue: only an out with one dim fewer than the
    input), so the resize warning shows that shape; mode of a 0-dim tensor resizes silently."""
    import warnings

    target = list(input.shape)
    if target:
        target[dim] = 1
    shape = list(out.shape)
    keepdim = list(result.shape) == target
    if input.ndim and not keepdim and dim <= out.ndim and (
            name == "mode" or out.ndim == input.ndim - 1):
        shape.insert(dim, 1)
    if not (name == "mode" and input.ndim == 0):
        warn_resized(out, target, shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the warning above is torch's; not with_out's
        return with_out(result, out)
