"""The zip container of torch.save's files, written byte for byte as PyTorch's writer does.

PyTorch writes its archives with miniz (caffe2/serialize/inline_container.cc). The layout, which
``torch.load(..., mmap=True)`` relies on to find records without reading the directory:

- every entry lives under a folder named after the file's stem (``model.pt`` -> ``model/``;
  ``archive/`` for file-like objects), and is stored uncompressed;
- each local header carries an extra field ``FB<len>ZZZ...`` padding its data to a multiple of 64;
- local headers hold zero CRC and sizes (general-purpose flag bit 3); a data descriptor
  ``PK\\7\\8 crc size size`` follows each non-empty record; empty records have neither;
- times, dates, "version made by" and attributes are all zero;
- the directory always ends with a zip64 end record and locator before the classic end record.
"""

from __future__ import annotations

import struct
import zipfile
import zlib

ALIGNMENT = 64
_U32 = 0xFFFFFFFF
_U64 = 0xFFFFFFFFFFFFFFFF
_UTF8 = 0x0800  # general-purpose flag: names are UTF-8
_DESCRIPTOR = 0x0008  # general-purpose flag: sizes and CRC follow the data

CORRUPT_HINT = (
    ". This is an internal miniz error. If you are seeing this error, there is a high likelihood "
    "that your checkpoint file is corrupted. This can happen if the checkpoint was not saved "
    "properly, was transferred incorrectly, or the file was modified after saving.")


class ZipWriter:
    """Writes records sequentially to a binary file object, in torch's order and layout."""

    def __init__(self, file, archive_name):
        self.file, self.prefix = file, archive_name + "/"
        self.offset = 0
        self.entries = []  # (name bytes, crc, size, header offset)
        self.names = []  # record names without the prefix, for the serialization id
        self.crc_combined = 0

    def write_record(self, name, data):
        """Add one stored record; ``data`` is bytes or a C-contiguous uint8 array."""
        view = memoryview(data).cast("B")
        full = (self.prefix + name).encode()
        size, header_at = view.nbytes, self.offset
        crc = zlib.crc32(view) if size else 0
        self._write(_local_header(full, size, header_at))
        if size:
            self._write(view)
            self._write(_descriptor(crc, size, size >= _U32 or header_at >= _U32))
            # NOTE: torch folds in the CRC of each record that has a data descriptor
            self.crc_combined = _hash_combine(self.crc_combined, crc)
        self.entries.append((full, crc, size, header_at))
        self.names.append(name)

    def finish(self):
        """The version record, the serialization id, then the central directory."""
        self.write_record("version", b"3\n")
        self.write_record(".data/serialization_id", self._serialization_id().encode())
        directory_at = self.offset
        for full, crc, size, header_at in self.entries:
            self._write(_directory_entry(full, crc, size, header_at))
        self._write(_end_records(len(self.entries), self.offset - directory_at, directory_at))

    def _serialization_id(self):
        # NOTE: torch hashes the record names (libstdc++'s std::hash, combined in the iteration
        # order of an unordered_set) and combines the records' CRCs. The CRC half matches torch;
        # the names are combined in sorted order, so the first 20 digits differ from torch's.
        # No reader checks this id.
        names_hash = 0
        for name in sorted(self.names):
            names_hash = _hash_combine(names_hash, _std_hash(name.encode()))
        return f"{names_hash:020d}{self.crc_combined:020d}"

    def _write(self, data):
        self.file.write(data)
        self.offset += memoryview(data).nbytes


def _local_header(full_name, size, header_at):
    zip64 = size >= _U32 or header_at >= _U32
    flags = _UTF8 | (_DESCRIPTOR if size else 0)
    extra = b""
    if zip64:  # sizes when they overflow 32 bits, then the header's own offset when it does
        fields = (size, size) if size >= _U32 else ()
        fields += (header_at,) if header_at >= _U32 else ()
        extra = struct.pack(f"<HH{len(fields)}Q", 1, 8 * len(fields), *fields)
    start = header_at + 30 + len(full_name) + len(extra) + 4
    padding = -start % ALIGNMENT
    extra += b"FB" + struct.pack("<H", padding) + b"Z" * padding
    sizes = _U32 if size >= _U32 else 0
    return struct.pack("<IHHHHHIIIHH", 0x04034B50, 0, flags, 0, 0, 0, 0, sizes, sizes,
                       len(full_name), len(extra)) + full_name + extra


def _descriptor(crc, size, zip64):
    if zip64:
        return struct.pack("<IIQQ", 0x08074B50, crc, size, size)
    return struct.pack("<IIII", 0x08074B50, crc, size, size)


def _directory_entry(full_name, crc, size, header_at):
    flags = _UTF8 | (_DESCRIPTOR if size else 0)
    fields = (size, size) if size >= _U32 else ()
    fields += (header_at,) if header_at >= _U32 else ()
    extra = struct.pack(f"<HH{len(fields)}Q", 1, 8 * len(fields), *fields) if fields else b""
    size32, at32 = min(size, _U32), min(header_at, _U32)
    needed = 45 if fields else 0
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0, needed, flags, 0, 0, 0, crc, size32,
                       size32, len(full_name), len(extra), 0, 0, 0, 0, at32) + full_name + extra


def _end_records(count, directory_size, directory_at):
    end64_at = directory_at + directory_size
    zip64_end = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 0x031E, 45, 0, 0, count, count,
                            directory_size, directory_at)
    locator = struct.pack("<IIQI", 0x07064B50, 0, end64_at, 1)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(count, 0xFFFF), min(count, 0xFFFF),
                      min(directory_size, _U32), min(directory_at, _U32), 0)
    return zip64_end + locator + end


def _hash_combine(seed, value):
    """c10::hash_combine on 64-bit size_t."""
    return (seed ^ ((value + 0x9E3779B9 + (seed << 6) + (seed >> 2)) & _U64)) & _U64


def _shift_mix(v):
    return v ^ (v >> 47)


def _std_hash(data, seed=0xC70F6907):
    """libstdc++'s std::hash<std::string> on 64-bit platforms (its _Hash_bytes, Murmur 64A)."""
    mul = 0xC6A4A7935BD1E995
    n, aligned = len(data), len(data) & ~7
    h = (seed ^ (n * mul)) & _U64
    for i in range(0, aligned, 8):
        word = int.from_bytes(data[i:i + 8], "little")
        h = ((h ^ ((_shift_mix((word * mul) & _U64) * mul) & _U64)) * mul) & _U64
    if n & 7:
        h = ((h ^ int.from_bytes(data[aligned:], "little")) * mul) & _U64
    return _shift_mix((_shift_mix(h) * mul) & _U64)


# -- reading ----------------------------------------------------------------------------------


class ZipReader:
    """Records of a torch zip archive by name (without the archive folder), torch's errors."""

    def __init__(self, file):
        self.file = file
        try:
            self.zip = zipfile.ZipFile(file)
            names = self.zip.namelist()
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
            raise RuntimeError("PytorchStreamReader failed reading zip archive: failed finding "
                               f"central directory{CORRUPT_HINT}") from e
        if not names:
            raise RuntimeError(f"PytorchStreamReader failed reading zip archive: archive does "
                               f"not contain any records{CORRUPT_HINT}")
        self.prefix = names[0].split("/")[0] + "/"
        for name in names:
            if not name.startswith(self.prefix):
                raise RuntimeError(f"file in archive is not in a subdirectory {self.prefix}: "
                                   f"{name}")

    def has_record(self, name):
        try:
            self.zip.getinfo(self.prefix + name)
        except KeyError:
            return False
        return True

    def info(self, name):
        try:
            return self.zip.getinfo(self.prefix + name)
        except KeyError:
            raise RuntimeError(f"PytorchStreamReader failed locating file {name}: file not "
                               f"found{CORRUPT_HINT}") from None

    def read(self, name, into=None):
        """A record's bytes, or read into a writable buffer of exactly its size."""
        info = self.info(name)
        try:
            with self.zip.open(info) as member:
                if into is None:
                    return member.read()
                member.readinto(into)
                return into
        except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as e:
            raise RuntimeError(f"PytorchStreamReader failed reading file {name}: {e}") from None

    def data_offset(self, name):
        """Where a stored (uncompressed) record's bytes start in the file, or None."""
        info = self.info(name)
        if info.compress_type != zipfile.ZIP_STORED:
            return None
        self.file.seek(info.header_offset)
        header = self.file.read(30)
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        return info.header_offset + 30 + name_len + extra_len
