"""assert_close with torch.testing.assert_close's semantics and messages.

Inputs are compared pairwise, recursing through sequences and mappings: None with None, bools,
Python or NumPy numbers, and tensor-likes (Ember tensors, or two NumPy arrays). Tensors must
agree in shape, and, unless told otherwise, device and dtype; values must satisfy
``|actual - expected| <= atol + rtol * |expected|`` with per-dtype default tolerances. All pairs
are built before any is compared, so a structural problem is reported first, as in torch.
"""

from __future__ import annotations

import cmath
import collections.abc
import math

import numpy

# (rtol, atol) by dtype name, torch's table; other dtypes compare exactly
_TOLERANCES = {
    "float16": (0.001, 1e-5),
    "bfloat16": (0.016, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
    "complex64": (1.3e-6, 1e-5),
    "complex128": (1e-7, 1e-7),
}
_NUMBER_DTYPES = {int: "int64", float: "float64", complex: "complex128"}


class _Failure(Exception):
    """A mismatch found while pairing or comparing: the exception to raise and the item's path."""

    def __init__(self, kind, msg, id=()):  # noqa: A002 - torch's name
        super().__init__(msg)
        self.kind, self.msg, self.id = kind, msg, id

    def to_error(self, msg=None):
        if isinstance(msg, str):
            return self.kind(msg)
        text = self.msg
        if self.id:
            text += f"\n\nThe failure occurred for item {''.join(str([i]) for i in self.id)}"
        return self.kind(msg(text) if callable(msg) else text)


def _tolerances(names, rtol, atol, id):
    if (rtol is None) != (atol is None):
        missing = "rtol" if rtol is None else "atol"
        raise _Failure(ValueError, "Both 'rtol' and 'atol' must be either specified or omitted, "
                                   f"but got no {missing}.", id)
    if rtol is not None:
        return rtol, atol
    pairs = [_TOLERANCES.get(name, (0.0, 0.0)) for name in names]
    return max(r for r, _ in pairs), max(a for _, a in pairs)


def _diff_message(identifier, equal, extra, abs_diff, abs_idx, atol, rel_diff, rel_idx, rtol):
    def line(kind, diff, idx, tol):
        text = (f"{kind.title()} difference: {diff}" if idx is None else
                f"Greatest {kind} difference: {diff} at index {idx}")
        return text + ("" if equal else f" (up to {tol} allowed)") + "\n"

    msg = f"{identifier} are not {'equal' if equal else 'close'}!\n\n{extra}\n"
    msg += line("absolute", abs_diff, abs_idx, atol) + line("relative", rel_diff, rel_idx, rtol)
    return msg.strip()


def _scalar_message(actual, expected, rtol, atol):
    abs_diff = abs(actual - expected)
    rel_diff = math.inf if expected == 0 else abs_diff / abs(expected)
    return _diff_message("Scalars", rtol == 0 and atol == 0, f"Expected {expected} but got "
                         f"{actual}.", abs_diff, None, atol, rel_diff, None, rtol)


# -- pairs: each returns None when it does not handle the inputs, else a compare function ------


def _none_pair(actual, expected, id, options):
    if actual is not None and expected is not None:
        return None

    def compare():
        if not (actual is None and expected is None):
            raise _Failure(AssertionError, f"None mismatch: {actual} is not {expected}", id)
    return compare


def _bool_pair(actual, expected, id, options):
    kinds = (bool, numpy.bool_)
    if not (isinstance(actual, kinds) and isinstance(expected, kinds)):
        return None
    actual, expected = bool(actual), bool(expected)

    def compare():
        if actual is not expected:
            raise _Failure(AssertionError, f"Booleans mismatch: {actual} is not {expected}", id)
    return compare


def _number_pair(actual, expected, id, options):
    kinds = (int, float, complex, numpy.number)
    if not (isinstance(actual, kinds) and isinstance(expected, kinds)):
        return None
    actual, expected = (x.item() if isinstance(x, numpy.number) else x for x in (actual, expected))
    rtol, atol = _tolerances([_NUMBER_DTYPES[type(x)] for x in (actual, expected)],
                             options["rtol"], options["atol"], id)

    def compare():
        if options["check_dtype"] and type(actual) is not type(expected):
            raise _Failure(AssertionError, f"The (d)types do not match: {type(actual)} != "
                                           f"{type(expected)}.", id)
        if actual == expected or (options["equal_nan"] and cmath.isnan(actual) and
                                   cmath.isnan(expected)):
            return
        diff = abs(actual - expected)
        if cmath.isfinite(diff) and diff <= atol + rtol * abs(expected):
            return
        raise _Failure(AssertionError, _scalar_message(actual, expected, rtol, atol), id)
    return compare


def _tensor_pair(actual, expected, id, options):
    from ember._ops.creation import as_tensor
    from ember._tensor import Tensor

    if not (isinstance(actual, type(expected)) or isinstance(expected, type(actual))):
        return None
    if not options["allow_subclasses"] and type(actual) is not type(expected):
        return None
    try:
        actual, expected = (x if isinstance(x, Tensor) else as_tensor(x)
                            for x in (actual, expected))
    except Exception:  # not tensor-like: the next pair, or torch's TypeError, takes over
        return None
    actual, expected = actual.detach(), expected.detach()
    rtol, atol = _tolerances([actual.dtype.name, expected.dtype.name], options["rtol"],
                             options["atol"], id)
    return lambda: _compare_tensors(actual, expected, rtol, atol, options, id)


def _compare_tensors(actual, expected, rtol, atol, options, id):
    from ember import _dtype

    checks = [("shape", True, lambda t: t.shape),
              ("stride()", options["check_stride"], lambda t: t.stride()),
              ("device", options["check_device"], lambda t: t.device),
              ("dtype", options["check_dtype"], lambda t: t.dtype)]
    for name, wanted, get in checks:
        if wanted and get(actual) != get(expected):
            raise _Failure(AssertionError, f"The values for attribute '{name}' do not match: "
                                           f"{get(actual)} != {get(expected)}.", id)
    if actual.device != expected.device:
        actual, expected = actual.cpu(), expected.cpu()
    if actual.dtype is not expected.dtype:
        common = _dtype.promote_types(actual.dtype, expected.dtype)
        actual, expected = actual.to(common), expected.to(common)
    matches = actual.isclose(expected, rtol=rtol, atol=atol, equal_nan=options["equal_nan"])
    if bool(matches.all()):
        return
    if actual.ndim == 0:
        msg = _scalar_message(actual.item(), expected.item(), rtol, atol)
    else:
        msg = _tensor_message(actual, expected, matches, rtol, atol)
    raise _Failure(AssertionError, msg, id)


def _greatest(diff, shape):
    """The largest value (the first nan, if any, as torch.max gives) and its index."""
    values = numpy.asarray(diff.cpu().numpy(), dtype=numpy.float64)
    nans = numpy.flatnonzero(numpy.isnan(values))
    flat = int(nans[0]) if nans.size else int(numpy.argmax(values))
    return diff[flat].item(), tuple(int(i) for i in numpy.unravel_index(flat, shape))


def _tensor_message(actual, expected, matches, rtol, atol):
    from ember import _dtype

    total = matches.numel()
    mismatched = total - int(matches.sum())
    extra = f"Mismatched elements: {mismatched} / {total} ({mismatched / total:.1%})"
    actual, expected, hits = actual.flatten(), expected.flatten(), matches.flatten()
    if not (actual.dtype.is_floating_point or actual.dtype.is_complex):
        # NOTE: as torch, integers and bools are widened to int64 so the difference cannot wrap
        actual, expected = actual.to(_dtype.int64), expected.to(_dtype.int64)
    abs_diff = (actual - expected).abs().masked_fill(hits, 0)
    rel_diff = (abs_diff / expected.abs()).masked_fill(hits, 0)
    abs_max, abs_idx = _greatest(abs_diff, matches.shape)
    rel_max, rel_idx = _greatest(rel_diff, matches.shape)
    return _diff_message("Tensor-likes", rtol == 0 and atol == 0, extra, abs_max, abs_idx, atol,
                         rel_max, rel_idx, rtol)


# -- pairing and the public function -----------------------------------------------------------


def _is_sequence(x):
    return isinstance(x, collections.abc.Sequence) and not isinstance(x, str)


def _pairs(actual, expected, id, options):
    """One compare function per leaf pair, recursing through sequences and mappings."""
    if _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            raise _Failure(AssertionError, f"The length of the sequences mismatch: {len(actual)} "
                                           f"!= {len(expected)}", id)
        return [c for i, (a, e) in enumerate(zip(actual, expected))
                for c in _pairs(a, e, (*id, i), options)]
    if isinstance(actual, collections.abc.Mapping) and isinstance(expected,
                                                                  collections.abc.Mapping):
        keys, other = set(actual), set(expected)
        if keys != other:
            raise _Failure(AssertionError, f"The keys of the mappings do not match:\nMissing keys "
                                           f"in the actual mapping: {sorted(other - keys)}\n"
                                           "Additional keys in the actual mapping: "
                                           f"{sorted(keys - other)}", id)
        try:
            keys = sorted(keys)
        except TypeError:  # unorderable keys keep the mapping's order
            keys = list(actual)
        return [c for k in keys for c in _pairs(actual[k], expected[k], (*id, k), options)]
    for make in (_none_pair, _bool_pair, _number_pair, _tensor_pair):
        compare = make(actual, expected, id, options)
        if compare is not None:
            return [compare]
    raise _Failure(TypeError, f"No comparison pair was able to handle inputs of type "
                              f"{type(actual)} and {type(expected)}.", id)


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None):
    """Raise AssertionError unless actual and expected are close (torch.testing.assert_close):
    the same checks, default tolerances (by dtype: float32 rtol 1.3e-6, atol 1e-5; float64
    1e-7 and 1e-7; exact for integers and bools) and message text, listing the number of
    mismatched elements and the greatest absolute and relative differences with their indices.
    ``msg`` replaces the message (a string) or rewrites it (a callable). check_layout is
    accepted; Ember has strided tensors only."""
    __tracebackhide__ = True
    options = {"allow_subclasses": allow_subclasses, "rtol": rtol, "atol": atol,
               "equal_nan": equal_nan, "check_device": check_device,
               "check_dtype": check_dtype, "check_stride": check_stride}
    try:
        pairs = _pairs(actual, expected, (), options)
    except _Failure as failure:
        raise failure.to_error() from None
    for compare in pairs:
        try:
            compare()
        except _Failure as failure:
            raise failure.to_error(msg) from None
