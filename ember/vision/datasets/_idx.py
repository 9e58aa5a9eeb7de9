"""IDX files ("SN3 Pascal Vincent" format), the format of MNIST and its relatives.

A file is a big-endian header -- two zero bytes, a type code, the number of dimensions, then one
uint32 per dimension -- followed by the values, big-endian, in C order. Files may be compressed
(.gz, .xz, .bz2): the reader recognises them by their magic bytes, the writer by the suffix.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os

import numpy as np

import ember

__all__ = ["read_image_file", "read_label_file", "read_sn3_pascalvincent_tensor",
           "write_sn3_pascalvincent_tensor"]

# type code -> big-endian NumPy dtype (torchvision's SN3_PASCALVINCENT_TYPEMAP)
_TYPEMAP = {8: ">u1", 9: ">i1", 11: ">i2", 12: ">i4", 13: ">f4", 14: ">f8"}
_CODES = {np.dtype(dt).newbyteorder("="): code for code, dt in _TYPEMAP.items()}
_MAGICS = ((b"\x1f\x8b", gzip.decompress), (b"\xfd7zXZ", lzma.decompress),
           (b"BZh", bz2.decompress))
_OPENERS = {".gz": gzip.open, ".xz": lzma.open, ".bz2": bz2.open}


def _read_bytes(path) -> bytes:
    with open(path, "rb") as f:
        data = f.read()
    for magic, decompress in _MAGICS:
        if data.startswith(magic):
            return decompress(data)
    return data


def read_sn3_pascalvincent_tensor(path: str, strict: bool = True) -> ember.Tensor:
    """Read an IDX file (plain or compressed) into a tensor of its type and shape.

    Same result as torchvision's reader; with ``strict=False`` a file holding more values than
    its header announces is still accepted when they fill the shape."""
    data = _read_bytes(path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _TYPEMAP:
        raise ValueError(f"{os.fspath(path)} is not an IDX file (bad magic number)")
    dtype, nd = np.dtype(_TYPEMAP[data[2]]), data[3]
    if nd < 1:
        raise ValueError(f"{os.fspath(path)}: an IDX file needs at least one dimension")
    shape = tuple(int(s) for s in np.frombuffer(data, ">u4", count=nd, offset=4))
    values = np.frombuffer(data, dtype, offset=4 * (nd + 1))
    count = int(np.prod(shape))
    if values.size != count and (strict or values.size < count):
        raise ValueError(f"{os.fspath(path)}: the header announces {count} values, the file "
                         f"holds {values.size}")
    # NOTE: astype to native order copies, so the tensor owns writable memory as torch's does
    return ember.from_numpy(values[:count].astype(dtype.newbyteorder("=")).reshape(shape))


def read_label_file(path: str) -> ember.Tensor:
    """A 1-D uint8 IDX file as int64 labels."""
    x = read_sn3_pascalvincent_tensor(path, strict=False)
    if x.dtype != ember.uint8:
        raise TypeError(f"x should be of dtype {ember.uint8} instead of {x.dtype}")
    if x.ndimension() != 1:
        raise ValueError(f"x should have 1 dimension instead of {x.ndimension()}")
    return x.long()


def read_image_file(path: str) -> ember.Tensor:
    """A 3-D uint8 IDX file (N x H x W) as a uint8 tensor."""
    x = read_sn3_pascalvincent_tensor(path, strict=False)
    if x.dtype != ember.uint8:
        raise TypeError(f"x should be of dtype {ember.uint8} instead of {x.dtype}")
    if x.ndimension() != 3:
        raise ValueError(f"x should have 3 dimension instead of {x.ndimension()}")
    return x


def write_sn3_pascalvincent_tensor(path: str, data) -> None:
    """Write a tensor or array (uint8, int8, int16, int32, float32 or float64) as an IDX file,
    compressed when ``path`` ends with .gz, .xz or .bz2."""
    array = np.asarray(data.numpy() if isinstance(data, ember.Tensor) else data)
    code = _CODES.get(array.dtype.newbyteorder("="))
    if code is None or array.ndim < 1 or array.ndim > 255:
        raise TypeError(f"IDX files hold 1-255 dimensional uint8, int8, int16, int32, float32 "
                        f"or float64 data, not {array.dtype} with {array.ndim} dimensions")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    payload = header + np.ascontiguousarray(array, _TYPEMAP[code]).tobytes()
    opener = _OPENERS.get(os.path.splitext(os.fspath(path))[1], open)
    with opener(path, "wb") as f:
        f.write(payload)
