"""repr and str of tensors, by PyTorch's printing rules (torch/_tensor_str.py).

The text equals torch's with ``ember`` in place of ``torch``: the same column widths, fixed or
scientific notation, ``1.``-style integer floats, summarisation with ``...``, line wrapping and
suffixes (``device=``, ``size=``, ``dtype=``, ``grad_fn=`` / ``requires_grad=True``).

Printing is host-side, so this module works on NumPy arrays (a CuPy array is copied to the host).
Elements are turned into Python numbers with ``tolist()`` before formatting, exactly as torch does,
so rounding is Python's own ``format`` in both libraries.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from typing import Any

import numpy as np


@dataclasses.dataclass
class _PrinterOptions:
    """The module-level print settings; same fields and defaults as torch's PRINT_OPTS."""

    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrinterOptions()

_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set print options; same semantics as torch.set_printoptions.

    A profile (``default``, ``short``, ``full``) is applied first and explicit arguments override
    it. As in torch, ``sci_mode`` is always assigned, so any call without it restores automatic
    choice of scientific notation. An unknown profile name is silently ignored, as in torch.
    """
    if profile in _PROFILES:
        for name, value in _PROFILES[profile].items():
            setattr(PRINT_OPTS, name, value)
    explicit = {
        "precision": precision,
        "threshold": threshold,
        "edgeitems": edgeitems,
        "linewidth": linewidth,
    }
    for name, value in explicit.items():
        if value is not None:
            setattr(PRINT_OPTS, name, value)
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The current options as a dict that set_printoptions(**d) accepts (torch._tensor_str's)."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs):
    """Temporarily change print options; same as torch._tensor_str.printoptions."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """Formats the elements of one real tensor to a common width (torch's _Formatter).

    ``values`` are the elements that will be shown (after summarisation). For floating types the
    mode is chosen from the non-zero finite values only: ``int_mode`` when all are whole numbers
    (printed ``3.``), scientific when the largest/smallest magnitude ratio exceeds 1000, the largest
    exceeds 1e8 or the smallest is below 1e-4 (unless ``sci_mode`` is forced). Zeros, nan and inf
    do not count towards the width, as in torch.
    """

    def __init__(self, values: np.ndarray):
        self.floating = values.dtype.kind not in "biu"  # bfloat16 is kind "V"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        if not self.floating:
            self.max_width = max((len(str(v)) for v in values.ravel().tolist()), default=1)
            return
        values = values.astype(np.float64).ravel()
        shown = values[np.isfinite(values) & (values != 0)]
        if shown.size == 0:
            return
        magnitude = np.abs(shown)
        smallest, largest = magnitude.min(), magnitude.max()
        self.int_mode = bool(np.all(shown == np.ceil(shown)))
        if PRINT_OPTS.sci_mode is None:
            with np.errstate(over="ignore"):  # 1e308 / 1e-308 is inf in torch too
                self.sci_mode = bool(
                    largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4
                )
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        self.max_width = max(self._width_of(v) for v in shown.tolist())

    def _width_of(self, value: float) -> int:
        if self.sci_mode:
            return len(f"{value:.{PRINT_OPTS.precision}e}")
        if self.int_mode:
            return len(f"{value:.0f}") + 1  # room for the trailing "." that marks a float
        return len(f"{value:.{PRINT_OPTS.precision}f}")

    def format(self, value) -> str:
        """One element, right-aligned to the common width (never truncated)."""
        if not self.floating:
            text = f"{value}"
        elif self.sci_mode:
            text = f"{value:{self.max_width}.{PRINT_OPTS.precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}"
            if math.isfinite(value):
                text += "."
        else:
            text = f"{value:.{PRINT_OPTS.precision}f}"
        return text.rjust(self.max_width)


def _element_str(value, real_fmt: _Formatter, imag_fmt: _Formatter | None) -> str:
    """One element; a complex one is ``re+imj`` with torch's sign handling."""
    if imag_fmt is None:
        return real_fmt.format(value)
    real = real_fmt.format(value.real)
    imag = (imag_fmt.format(value.imag) + "j").lstrip()
    # A negative imaginary part brings its own sign (including -0.); otherwise add "+".
    return real + imag if imag[0] in "+-" else real + "+" + imag


def _vector_str(row: np.ndarray, indent: int, summarize: bool, fmts) -> str:
    """A 1-D row, wrapped so that each line fits ``linewidth`` (torch's _vector_str)."""
    edge = PRINT_OPTS.edgeitems
    element_length = fmts[0].max_width + 2  # ", " between elements
    if fmts[1] is not None:
        element_length += fmts[1].max_width + 1  # the imaginary part and its "j"
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))

    def strs(part):
        return [_element_str(v, *fmts) for v in part.tolist()]

    if summarize and not edge:
        items = ["..."]
    elif summarize and row.shape[0] > 2 * edge:
        items = strs(row[:edge]) + [" ..."] + strs(row[-edge:])
    else:
        items = strs(row)
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(a: np.ndarray, indent: int, summarize: bool, fmts) -> str:
    """An n-d array as nested brackets; dim d is separated by d-1 blank lines, as in torch."""
    if a.ndim == 0:
        return _element_str(a.tolist(), *fmts)
    if a.ndim == 1:
        return _vector_str(a, indent, summarize, fmts)
    n, edge = a.shape[0], PRINT_OPTS.edgeitems
    if summarize and n > 2 * edge:
        # With edgeitems=0 this is just ["..."].
        slices = [_nested_str(a[i], indent + 1, summarize, fmts) for i in range(edge)]
        slices.append("...")
        slices += [_nested_str(a[i], indent + 1, summarize, fmts) for i in range(n - edge, n)]
    else:
        slices = [_nested_str(a[i], indent + 1, summarize, fmts) for i in range(n)]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _summarized(a: np.ndarray) -> np.ndarray:
    """The elements that summarised printing shows, flattened (torch's get_summarized_data).

    Only these elements decide the formatter's mode and width.
    """
    edge = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a.ravel()
    if a.ndim == 1:
        # NOTE: with edgeitems=0, torch's a[-0:] is the whole row, so every element is measured.
        return np.concatenate([a[:edge], a[-edge:]]) if a.shape[0] > 2 * edge else a
    if not edge:
        return a[:0].ravel()
    n = a.shape[0]
    rows = [*range(edge), *range(n - edge, n)] if n > 2 * edge else range(n)
    return np.concatenate([_summarized(a[i]) for i in rows])


def _contents_str(a: np.ndarray, indent: int) -> str:
    """The bracketed values of a tensor (torch's _tensor_str)."""
    if a.size == 0:
        return "[]"
    summarize = a.size > PRINT_OPTS.threshold
    shown = _summarized(a) if summarize else a
    if a.dtype.kind == "c":
        fmts = (_Formatter(shown.real), _Formatter(shown.imag))
    else:
        fmts = (_Formatter(shown), None)
    return _nested_str(a, indent, summarize, fmts)


def _host_array(t) -> np.ndarray:
    """The tensor's data as a NumPy array; a CuPy array is copied to the host first."""
    data = t._data
    if not isinstance(data, np.ndarray) and hasattr(data, "get"):
        data = data.get()
    return np.asarray(data)


def _default_dtype_names() -> tuple[str, str]:
    """torch names of the default float dtype and its complex partner (cdouble iff double)."""
    from ember._dtype import get_default_dtype  # lazy: ember imports this module

    name = str(get_default_dtype()).removeprefix("ember.")
    return name, "complex128" if name == "float64" else "complex64"


def _grad_fn_name(grad_fn) -> str:
    name = getattr(grad_fn, "name", None)
    # torch prints C++ nodes without their namespace: <CopySlices>, not torch::autograd::...
    return name().rsplit("::", 1)[-1] if callable(name) else type(grad_fn).__name__


def _suffixes(t, a: np.ndarray) -> list[str]:
    """The ``key=value`` parts after the values, in torch's order."""
    suffixes = []
    device = str(t.device)
    if device != "cpu":
        suffixes.append(f"device='{device}'")
    dtype = str(t.dtype).removeprefix("ember.")
    default_float, default_complex = _default_dtype_names()
    if a.size == 0:
        # Shape (0,) is implied by "[]"; any other empty shape is spelled out. With no elements
        # to infer from, every dtype but the default float is shown (int64 and bool too).
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        if dtype != default_float:
            suffixes.append(f"dtype={t.dtype}")
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(a.shape)}")
        # The dtypes that tensor(...) infers from Python values are left implicit.
        if dtype not in (default_float, default_complex, "int64", "bool"):
            suffixes.append(f"dtype={t.dtype}")
    grad_fn = getattr(t, "grad_fn", None)
    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{_grad_fn_name(grad_fn)}>")
    elif getattr(t, "requires_grad", False):
        suffixes.append("requires_grad=True")
    return suffixes


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """Append suffixes and the closing paren, wrapping like torch's _add_suffixes.

    NOTE: torch counts the last line as two characters longer than it is until the first wrap,
    and not after; the arithmetic is kept so that wrap points match.
    """
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(t) -> str:
    """``repr(t)`` and ``str(t)``: torch's text for a dense tensor, with ``ember.`` dtypes."""
    prefix = "tensor("
    a = _host_array(t)
    text = prefix + _contents_str(a, len(prefix))
    return _add_suffixes(text, _suffixes(t, a), len(prefix))
