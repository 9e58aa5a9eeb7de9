"""How the factories take their arguments as torch does: the size in every accepted form
(f(2, 3), f((2, 3)), f([2, 3]), f(Size), f(size=...)) with torch's TypeErrors, and out= with its
dtype rules and silent resize. Shared by creation.py and random.py."""

from __future__ import annotations

import builtins

from ember._dtype import to_dtype
from ember._ops._op import _legacy_type_name
from ember._ops.inplace import with_out
from ember._ops.shape import parse_shape
from ember.autograd.grad_mode import state as _grad_state


def _tensor_cls():
    from ember._tensor import Tensor

    return Tensor


class _NoSize:
    """The default of a factory's ``size=`` keyword: no size given by keyword."""

    def __repr__(self):
        return "<no size>"


NO_SIZE = _NoSize()


def size_arg(name, args, size=NO_SIZE):
    """A factory's shape from torch's forms f(2, 3), f((2, 3)), f([2, 3]), f(Size) and
    f(size=(2, 3)), with torch's TypeErrors for no size, for both forms at once, and for a size
    that is not a sequence of ints (torch.zeros / ones / empty / rand / randn)."""
    if size is not NO_SIZE:
        if args:
            raise TypeError(f"{name}() got multiple values for argument 'size'")
        return shape_of((check_size_sequence(name, size, "'size'"),))
    if not args:
        raise TypeError(f'{name}() missing 1 required positional arguments: "size"')
    if len(args) == 1:
        first = args[0]
        if isinstance(first, (tuple, list)):
            check_size_sequence(name, first, "'size' (position 1)")
        elif isinstance(first, builtins.bool) or not _is_index(first):
            raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, "
                            f"not {type(first).__name__}")
    else:
        for pos, item in enumerate(args[1:], 1):
            _check_later_item(name, item, pos)
    return shape_of(args)


def shape_of(args):
    """parse_shape's tuple of ints, with torch's RuntimeError for a negative size."""
    shape = parse_shape(args)
    for s in shape:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{list(shape)}")
    return shape


def check_size_sequence(name, size, where):
    """torch's TypeError for a size argument that is not a tuple or list of ints."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"{name}(): argument {where} must be tuple of ints, not "
                        f"{type(size).__name__}")
    for pos, item in enumerate(size):
        if pos and not isinstance(item, builtins.bool):
            _check_later_item(name, item, pos)
        elif isinstance(item, builtins.bool) or not _is_index(item):
            if where == "'size'":  # torch's words for a keyword size=(1.5,)
                raise TypeError(f"{name}(): argument 'size' must be tuple of ints, not "
                                f"{type(size).__name__}")
            raise TypeError(f"{name}(): argument {where} must be tuple of ints, but found "
                            f"element of type {type(item).__name__} at pos {pos}")
    return size


def _check_later_item(name, item, pos):
    # torch's argument parser words a bad item after the first one differently
    if not _is_index(item):
        raise TypeError(f"{name}(): argument 'size' failed to unpack the object at pos "
                        f"{pos + 1} with error \"type must be tuple of ints,but got "
                        f"{type(item).__name__}\"")


def _is_index(item):
    try:
        item.__index__()
    except (AttributeError, TypeError):
        return False
    return True


def _scalar_name(dtype):
    return _legacy_type_name(type("T", (), {"dtype": dtype})).split(".")[1][:-6]


# -- out= of the factories ------------------------------------------------------------------------


def out_options(name, out, dtype, device, grad_name=None, resizes=False, inputs=()):
    """(dtype, device) for a factory called with ``out=``: out's own dtype, which a ``dtype``
    given too must equal, and out's device. torch's errors: TypeError for an ``out`` that is not
    a tensor, RuntimeError for an ``out`` (or one of ``inputs``) that requires grad in grad
    mode (an ``out`` that requires grad in any mode for the factories that resize it
    themselves, ``resizes``: empty, randn) and for a clashing dtype. Without ``out``, ``dtype``
    (as a dtype) and ``device`` unchanged."""
    dtype = to_dtype(dtype)
    if out is None:
        return dtype, device
    if not isinstance(out, _tensor_cls()):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if out._requires_grad and resizes:
        raise RuntimeError("cannot resize variables that require grad")
    wants_grad = out._requires_grad or builtins.any(t._requires_grad for t in inputs)
    if wants_grad and _grad_state.enabled:
        raise RuntimeError(f"{grad_name or 'aten::' + name}(): functions with out=... arguments "
                           "don't support automatic differentiation, but one of the arguments "
                           "requires grad.")
    if dtype is not None and dtype is not out.dtype:
        raise RuntimeError(f"dtype {_scalar_name(dtype)} does not match dtype of out parameter "
                           f"({_scalar_name(out.dtype)})")
    return out.dtype, device or out.device


def write_out(result, out, requires_grad=False, keep_numel=False):
    """A factory's result, written into ``out`` when given (then ``out`` is returned). torch's
    factories resize ``out`` to the result's shape silently, with no deprecation warning; the
    range factories (``keep_numel``) keep out's shape when its element count already matches,
    filling it in row-major order. ``requires_grad=True`` turns it on for ``out`` too."""
    if out is not None:
        if keep_numel and out.shape != result.shape and out.numel() == result.numel():
            result = result.reshape(out.shape)
        if out.shape == result.shape:
            result = with_out(result, out)
        else:  # NOTE: result is fresh, so out may take its array over
            out._data = result._data
            out._version.value += 1
            result = out
    if requires_grad:
        result.requires_grad_(True)
    return result
