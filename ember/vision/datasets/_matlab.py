"""A small reader and writer for MATLAB level-5 MAT-files (what SVHN ships), in NumPy alone.

torchvision reads SVHN with ``scipy.io.loadmat``; this module reads the same files without
SciPy. It handles what numeric data sets hold: numeric, logical and char arrays, real or
complex, in little- or big-endian files, with or without zlib compression (MATLAB's ``-v6`` and
``-v7`` files). Cell arrays, structs, objects and sparse matrices raise NotImplementedError
(``variable_names`` skips them unread); ``-v7.3`` files are HDF5 and are refused with a clear
message. Results follow ``scipy.io.loadmat``'s defaults: arrays keep MATLAB's shape (at least
2-D, Fortran order) and, unless ``mat_dtype=True``, the type the values were *stored* as --
MATLAB stores an integer-valued double array as uint8 when it fits, and so loadmat returns it.
"""

from __future__ import annotations

import os
import time
import zlib

import numpy as np

__all__ = ["loadmat", "savemat"]

_HEADER_BYTES = 128
_MI_MATRIX, _MI_COMPRESSED = 14, 15
# data element type -> NumPy type (without byte order)
_MI_TYPES = {1: "i1", 2: "u1", 3: "i2", 4: "u2", 5: "i4", 6: "u4", 7: "f4", 9: "f8",
             12: "i8", 13: "u8", 16: "u1", 17: "u2", 18: "u4"}
_MI_CODES = {np.dtype(v): k for k, v in _MI_TYPES.items() if k < 16}
# array class -> NumPy type of the MATLAB value
_MX_CLASSES = {6: "f8", 7: "f4", 8: "i1", 9: "u1", 10: "i2", 11: "u2", 12: "i4", 13: "u4",
               14: "i8", 15: "u8"}
_MX_CODES = {np.dtype(v): k for k, v in _MX_CLASSES.items()}
_MX_NAMES = {1: "cell", 2: "struct", 3: "object", 4: "char", 5: "sparse", 6: "double",
             7: "single", 8: "int8", 9: "uint8", 10: "int16", 11: "uint16", 12: "int32",
             13: "uint32", 14: "int64", 15: "uint64"}
_MX_CHAR, _COMPLEX, _GLOBAL, _LOGICAL = 4, 1 << 11, 1 << 10, 1 << 9


def _pad8(n: int) -> int:
    return (n + 7) & ~7


def _read_tag(buf, pos: int, order: str) -> tuple[int, memoryview, int]:
    """(type, data, next position) of the data element at ``pos``."""
    first, second = np.frombuffer(buf, order + "u4", 2, pos)
    if first >> 16:  # small data element: count and type share one word, data in the next
        count = int(first >> 16)
        return int(first & 0xFFFF), buf[pos + 4:pos + 4 + count], pos + 8
    count = int(second)
    return int(first), buf[pos + 8:pos + 8 + count], pos + 8 + _pad8(count)


def _numeric(mdtype: int, data, order: str) -> np.ndarray:
    if mdtype not in _MI_TYPES:
        raise ValueError(f"unknown MAT-file data type {mdtype}")
    return np.frombuffer(data, order + _MI_TYPES[mdtype])


def _read_matrix(buf, order: str, mat_dtype: bool, name_only: bool = False):
    """(name, is_global, value) of one miMATRIX element's contents."""
    buf = memoryview(buf)
    _, flags, pos = _read_tag(buf, 0, order)
    flags_class = int(np.frombuffer(flags, order + "u4", 1)[0])
    mclass = flags_class & 0xFF
    _, dims, pos = _read_tag(buf, pos, order)
    shape = tuple(int(d) for d in np.frombuffer(dims, order + "i4"))
    _, name, pos = _read_tag(buf, pos, order)
    name = bytes(name).decode("latin1")
    if name_only:
        return name, bool(flags_class & _GLOBAL), None
    if mclass not in _MX_CLASSES and mclass != _MX_CHAR:
        raise NotImplementedError(f"variable {name!r}: MATLAB {_MX_NAMES.get(mclass, mclass)} "
                                  "arrays are not supported (numeric, logical and char only)")
    mdtype, data, pos = _read_tag(buf, pos, order)
    values = _numeric(mdtype, data, order)
    if mclass == _MX_CHAR:
        return name, bool(flags_class & _GLOBAL), _chars(values, mdtype, shape)
    if flags_class & _COMPLEX:
        imag_type, imag, pos = _read_tag(buf, pos, order)
        values = values + 1j * _numeric(imag_type, imag, order)
    if mat_dtype:
        values = values.astype(bool if flags_class & _LOGICAL else _MX_CLASSES[mclass])
    # NOTE: astype to native byte order copies: the array is writable and owns its memory
    values = values.astype(values.dtype.newbyteorder("="))
    return name, bool(flags_class & _GLOBAL), values.reshape(shape, order="F")


def _chars(values: np.ndarray, mdtype: int, shape: tuple[int, ...]) -> np.ndarray:
    """A char array as scipy's chars_as_strings gives it: the last axis joined into strings."""
    if mdtype == 16:
        text = np.array(list(bytes(values).decode("utf-8")))
    else:
        text = np.array([chr(c) for c in values.tolist()], dtype="U1")
    chars = text.reshape(shape, order="F")
    if chars.size == 0:
        return chars
    joined = ["".join(row) for row in chars.reshape(-1, shape[-1])]
    return np.array(joined, dtype=f"U{max(shape[-1], 1)}").reshape(shape[:-1])


def _check_header(buf, path) -> str:
    if len(buf) < _HEADER_BYTES:
        raise ValueError(f"{path} is not a MAT-file (too short)")
    if bytes(buf[:4]) == b"\x89HDF" or bytes(buf[512:516]) == b"\x89HDF":
        raise NotImplementedError(f"{path} is a MATLAB v7.3 (HDF5) file; save it with "
                                  "-v7 or -v6, or read it with h5py")
    indicator = bytes(buf[126:128])
    if indicator not in (b"IM", b"MI"):
        raise ValueError(f"{path} is not a MATLAB level-5 MAT-file")
    return "<" if indicator == b"IM" else ">"


def loadmat(file_name, mat_dtype: bool = False, variable_names=None) -> dict:
    """Read a level-5 MAT-file into {name: array}, plus ``__header__``, ``__version__`` and
    ``__globals__`` as ``scipy.io.loadmat`` returns them; ``variable_names`` limits the read."""
    with open(file_name, "rb") as f:
        buf = memoryview(f.read())
    order = _check_header(buf, os.fspath(file_name))
    version = int(np.frombuffer(buf, order + "u2", 1, 124)[0])
    result = {"__header__": bytes(buf[:116]).rstrip(b" \t\n\x00"),
              "__version__": f"{version >> 8}.{version & 0xFF}", "__globals__": []}
    pos = _HEADER_BYTES
    while pos + 8 <= len(buf):
        mdtype, count = (int(v) for v in np.frombuffer(buf, order + "u4", 2, pos))
        body = buf[pos + 8:pos + 8 + count]
        pos += 8 + count  # top-level elements are not padded (compressed ones are not aligned)
        if mdtype == _MI_COMPRESSED:
            mdtype, body, _ = _read_tag(memoryview(zlib.decompress(body)), 0, order)
        if mdtype != _MI_MATRIX:
            continue
        name, is_global, _ = _read_matrix(body, order, mat_dtype, name_only=True)
        if variable_names is not None and name not in variable_names:
            continue
        name, is_global, value = _read_matrix(body, order, mat_dtype)
        result[name] = value
        if is_global:
            result["__globals__"].append(name)
    return result


def _element(mdtype: int, data: bytes) -> bytes:
    if len(data) <= 4:
        word = np.array([(len(data) << 16) | mdtype], "<u4").tobytes()
        return word + data.ljust(4, b"\x00")
    header = np.array([mdtype, len(data)], "<u4").tobytes()
    return header + data.ljust(_pad8(len(data)), b"\x00")


def _matrix(name: str, value, mat_class: str | None) -> bytes:
    array = np.asarray(value)
    is_char = array.dtype.kind == "U"
    if is_char:
        if array.ndim > 1:
            raise NotImplementedError("char arrays of more than one string row are not supported")
        text = "".join(np.atleast_1d(array).tolist())
        array = np.array([ord(c) for c in text], "<u2").reshape(1, len(text))
    elif array.ndim < 2:
        array = array.reshape(1, -1)  # as scipy's oned_as="row"
    flags = 0
    if array.dtype == np.bool_:
        array, flags = array.astype(np.uint8), flags | _LOGICAL
    if array.dtype.kind == "c":
        flags |= _COMPLEX
    storage = array.real if flags & _COMPLEX else array
    storage = storage.astype(storage.dtype.newbyteorder("<"))
    if is_char:
        mclass = _MX_CHAR
    elif mat_class is not None:
        mclass = next(k for k, v in _MX_NAMES.items() if v == mat_class)
    elif storage.dtype.newbyteorder("=") in _MX_CODES:
        mclass = _MX_CODES[storage.dtype.newbyteorder("=")]
    else:
        raise TypeError(f"variable {name!r}: cannot write {array.dtype} arrays")
    code = _MI_CODES[storage.dtype.newbyteorder("=")]
    parts = [_element(6, np.array([mclass | flags, 0], "<u4").tobytes()),
             _element(5, np.array(array.shape, "<i4").tobytes()),
             _element(1, name.encode("latin1")),
             _element(code, storage.tobytes(order="F"))]
    if flags & _COMPLEX:
        imag = array.imag.astype(storage.dtype)
        parts.append(_element(code, imag.tobytes(order="F")))
    body = b"".join(parts)
    return np.array([_MI_MATRIX, len(body)], "<u4").tobytes() + body


def savemat(file_name, mdict: dict, do_compression: bool = False,
            mat_classes: dict[str, str] | None = None) -> None:
    """Write {name: array} as a little-endian level-5 MAT-file, like ``scipy.io.savemat``
    (1-D arrays become rows). ``mat_classes`` maps a name to the MATLAB class to declare
    ("double", ...) while its values stay stored in their own type, as MATLAB stores them."""
    description = f"MATLAB 5.0 MAT-file Platform: {os.name}, Created on: {time.asctime()}"
    header = description.encode("latin1")[:116].ljust(116, b" ") + b"\x00" * 8
    chunks = [header + np.array([0x0100], "<u2").tobytes() + b"IM"]
    for name, value in mdict.items():
        element = _matrix(name, value, (mat_classes or {}).get(name))
        if do_compression:
            packed = zlib.compress(element)
            element = np.array([_MI_COMPRESSED, len(packed)], "<u4").tobytes() + packed
        chunks.append(element)
    with open(file_name, "wb") as f:
        f.write(b"".join(chunks))
