"""Download, checksum and extraction helpers (torchvision.datasets.utils).

Files come over HTTP(S) through ``urllib`` with torchvision's User-Agent, land under a temporary
name and are renamed once complete, then are checked against their MD5 sum. A network failure
raises DownloadError, which is both a RuntimeError (what the dataset classes promise) and a
``urllib.error.URLError`` (what torchvision lets escape), with the URL and the reason.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import lzma
import os
import pathlib
import tarfile
import urllib.error
import zipfile
from collections.abc import Callable, Iterable
from typing import IO, TypeVar

__all__ = ["DownloadError", "calculate_md5", "check_integrity", "check_md5",
           "download_and_extract_archive", "download_url", "extract_archive", "iterable_to_str",
           "list_dir", "list_files", "verify_str_arg"]

USER_AGENT = "pytorch/vision"
PathLike = str | pathlib.Path


class DownloadError(RuntimeError, urllib.error.URLError):
    """A file could not be fetched (no network, refused connection, HTTP error)."""

    def __init__(self, url: str, reason: object) -> None:
        message = (f"Could not download {url}: {reason}. Check the network connection (and any "
                   "proxy setting), or put the file in place by hand.")
        RuntimeError.__init__(self, message)
        self.url, self.reason = url, reason

    def __str__(self) -> str:
        return self.args[0]

    def __reduce__(self):
        return type(self), (self.url, self.reason)


def calculate_md5(fpath: PathLike, chunk_size: int = 1024 * 1024) -> str:
    """Hex MD5 digest of a file, read in chunks."""
    # usedforsecurity=False keeps MD5 usable on FIPS systems: it is an integrity check only
    md5 = hashlib.md5(usedforsecurity=False)
    with open(fpath, "rb") as f:
        while chunk := f.read(chunk_size):
            md5.update(chunk)
    return md5.hexdigest()


def check_md5(fpath: PathLike, md5: str, **kwargs) -> bool:
    """Whether the file's MD5 digest is ``md5``."""
    return md5 == calculate_md5(fpath, **kwargs)


def check_integrity(fpath: PathLike, md5: str | None = None) -> bool:
    """The file exists and, when ``md5`` is given, has that digest."""
    if not os.path.isfile(fpath):
        return False
    if md5 is None:
        return True
    return check_md5(fpath, md5)


def _urlretrieve(url: str, filename: PathLike, chunk_size: int = 1024 * 32) -> None:
    import urllib.request  # on first download: it loads http.client and ssl

    partial = os.fspath(filename) + ".part"
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request) as response, open(partial, "wb") as fh:
            while chunk := response.read(chunk_size):
                fh.write(chunk)
    except BaseException:
        # an interrupted transfer must not leave a file that looks downloaded
        if os.path.exists(partial):
            os.remove(partial)
        raise
    os.replace(partial, filename)


def _reason(error: OSError) -> object:
    # an HTTPError's text carries the status code (the error itself holds the open response,
    # which cannot be pickled); a URLError wraps the socket error
    if isinstance(error, urllib.error.HTTPError):
        return str(error)
    return getattr(error, "reason", error)


def download_url(url: str, root: PathLike, filename: PathLike | None = None,
                 md5: str | None = None, max_redirect_hops: int = 3) -> None:
    """Download ``url`` to ``root/filename`` (the URL's basename by default) unless a file with
    the right MD5 is already there; RuntimeError "File not found or corrupted." when the
    downloaded file fails the check. An https URL that fails is retried over http, as in
    torchvision. Redirects are followed by urllib (``max_redirect_hops`` is accepted for
    compatibility)."""
    root = os.path.expanduser(root)
    if not filename:
        filename = os.path.basename(url)
    fpath = os.fspath(os.path.join(root, filename))
    os.makedirs(root, exist_ok=True)
    if check_integrity(fpath, md5):
        return
    try:
        _urlretrieve(url, fpath)
    except (urllib.error.URLError, OSError) as error:
        if not url.startswith("https"):
            raise DownloadError(url, _reason(error)) from error
        url = url.replace("https:", "http:")
        try:
            _urlretrieve(url, fpath)
        except (urllib.error.URLError, OSError) as retry_error:
            raise DownloadError(url, _reason(retry_error)) from retry_error
    if not check_integrity(fpath, md5):
        raise RuntimeError("File not found or corrupted.")


def download_file_from_google_drive(file_id: str, root: PathLike,
                                    filename: PathLike | None = None,
                                    md5: str | None = None) -> None:
    """Google Drive downloads need the ``gdown`` package, as in torchvision."""
    try:
        import gdown
    except ModuleNotFoundError:
        raise RuntimeError("To download files from GDrive, 'gdown' is required. You can install "
                           "it with 'pip install gdown'.") from None
    root = os.path.expanduser(root)
    fpath = os.fspath(os.path.join(root, filename or file_id))
    os.makedirs(root, exist_ok=True)
    if check_integrity(fpath, md5):
        return
    gdown.download(id=file_id, output=fpath, quiet=False, user_agent=USER_AGENT)
    if not check_integrity(fpath, md5):
        raise RuntimeError("File not found or corrupted.")


def list_dir(root: PathLike, prefix: bool = False) -> list[str]:
    """The directories directly inside ``root`` (joined to it when ``prefix``)."""
    root = os.path.expanduser(root)
    directories = [p for p in os.listdir(root) if os.path.isdir(os.path.join(root, p))]
    return [os.path.join(root, d) for d in directories] if prefix else directories


def list_files(root: PathLike, suffix: str | tuple[str, ...], prefix: bool = False) -> list[str]:
    """The files directly inside ``root`` whose names end with ``suffix``."""
    root = os.path.expanduser(root)
    files = [p for p in os.listdir(root)
             if os.path.isfile(os.path.join(root, p)) and p.endswith(suffix)]
    return [os.path.join(root, f) for f in files] if prefix else files


def _extract_tar(from_path: PathLike, to_path: PathLike, compression: str | None) -> None:
    with tarfile.open(from_path, f"r:{compression[1:]}" if compression else "r") as tar:
        # the "data" filter refuses absolute paths and links leaving to_path (Python >= 3.11.4)
        if hasattr(tarfile, "data_filter"):
            tar.extractall(to_path, filter="data")
        else:
            tar.extractall(to_path)


_ZIP_COMPRESSION_MAP = {".bz2": zipfile.ZIP_BZIP2, ".xz": zipfile.ZIP_LZMA}


def _extract_zip(from_path: PathLike, to_path: PathLike, compression: str | None) -> None:
    method = _ZIP_COMPRESSION_MAP[compression] if compression else zipfile.ZIP_STORED
    with zipfile.ZipFile(from_path, "r", compression=method) as archive:
        archive.extractall(to_path)


_ARCHIVE_EXTRACTORS: dict[str, Callable] = {".tar": _extract_tar, ".zip": _extract_zip}
_COMPRESSED_FILE_OPENERS: dict[str, Callable[..., IO]] = {
    ".bz2": bz2.open, ".gz": gzip.open, ".xz": lzma.open}
_FILE_TYPE_ALIASES = {".tbz": (".tar", ".bz2"), ".tbz2": (".tar", ".bz2"),
                      ".tgz": (".tar", ".gz")}


def _detect_file_type(file: PathLike) -> tuple[str, str | None, str | None]:
    """(suffix, archive type, compression) from the file name, as torchvision detects them."""
    suffixes = pathlib.Path(file).suffixes
    if not suffixes:
        raise RuntimeError(f"File '{file}' has no suffixes that could be used to detect the "
                           "archive type and compression.")
    suffix = suffixes[-1]
    if suffix in _FILE_TYPE_ALIASES:
        return (suffix, *_FILE_TYPE_ALIASES[suffix])
    if suffix in _ARCHIVE_EXTRACTORS:
        return suffix, suffix, None
    if suffix in _COMPRESSED_FILE_OPENERS:
        if len(suffixes) > 1 and suffixes[-2] in _ARCHIVE_EXTRACTORS:
            return suffixes[-2] + suffix, suffixes[-2], suffix
        return suffix, None, suffix
    valid = sorted(set(_FILE_TYPE_ALIASES) | set(_ARCHIVE_EXTRACTORS)
                   | set(_COMPRESSED_FILE_OPENERS))
    raise RuntimeError(
        f"Unknown compression or archive type: '{suffix}'.\nKnown suffixes are: '{valid}'.")


def _decompress(from_path: PathLike, to_path: PathLike | None = None,
                remove_finished: bool = False) -> pathlib.Path:
    """Decompress one .gz/.bz2/.xz file (to ``from_path`` without the suffix by default)."""
    suffix, archive_type, compression = _detect_file_type(from_path)
    if not compression:
        raise RuntimeError(f"Couldn't detect a compression from suffix {suffix}.")
    if to_path is None:
        to_path = pathlib.Path(os.fspath(from_path).replace(suffix, archive_type or ""))
    with _COMPRESSED_FILE_OPENERS[compression](from_path, "rb") as rfh, open(to_path, "wb") as wfh:
        wfh.write(rfh.read())
    if remove_finished:
        os.remove(from_path)
    return pathlib.Path(to_path)


def extract_archive(from_path: PathLike, to_path: PathLike | None = None,
                    remove_finished: bool = False) -> PathLike:
    """Extract a .tar/.zip archive (possibly compressed: .tar.gz, .tgz, ...) into ``to_path``
    (the archive's folder by default), or decompress a single compressed file there. Returns
    the folder (or the decompressed file), a str when ``from_path`` is a str."""
    if to_path is None:
        to_path = os.path.dirname(from_path)
    suffix, archive_type, compression = _detect_file_type(from_path)
    if not archive_type:
        target = os.path.join(to_path, os.path.basename(from_path).replace(suffix, ""))
        result = _decompress(from_path, target, remove_finished=remove_finished)
    else:
        _ARCHIVE_EXTRACTORS[archive_type](from_path, to_path, compression)
        if remove_finished:
            os.remove(from_path)
        result = pathlib.Path(to_path)
    return os.fspath(result) if isinstance(from_path, str) else result


def download_and_extract_archive(url: str, download_root: PathLike,
                                 extract_root: PathLike | None = None,
                                 filename: PathLike | None = None, md5: str | None = None,
                                 remove_finished: bool = False) -> None:
    """download_url into ``download_root``, then extract_archive into ``extract_root``."""
    download_root = os.path.expanduser(download_root)
    if extract_root is None:
        extract_root = download_root
    if not filename:
        filename = os.path.basename(url)
    download_url(url, download_root, filename, md5)
    extract_archive(os.path.join(download_root, filename), extract_root, remove_finished)


def iterable_to_str(iterable: Iterable) -> str:
    """'a', 'b', 'c' -- quoted and comma separated, for error messages."""
    return "'" + "', '".join(str(item) for item in iterable) + "'"


T = TypeVar("T", str, bytes)


def verify_str_arg(value: T, arg: str | None = None, valid_values: Iterable[T] | None = None,
                   custom_msg: str | None = None) -> T:
    """Return ``value`` if it is a str among ``valid_values``; torchvision's ValueError
    messages otherwise."""
    if not isinstance(value, str):
        if arg is None:
            msg = f"Expected type str, but got type {type(value)}."
        else:
            msg = f"Expected type str for argument {arg}, but got type {type(value)}."
        raise ValueError(msg)
    if valid_values is None:
        return value
    if value not in valid_values:
        if custom_msg is not None:
            raise ValueError(custom_msg)
        raise ValueError(f"Unknown value '{value}' for argument {arg}. "
                         f"Valid values are {{{iterable_to_str(valid_values)}}}.")
    return value
