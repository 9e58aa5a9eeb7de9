"""torch.hub's checkpoint cache: ``$TORCH_HOME/hub/checkpoints/<file>``, filled by downloading
the URL when the file is missing, read with ``ember.load``."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import tempfile
import urllib.error
import zipfile
from urllib.parse import urlparse

import ember

# the hash prefix in "name-<sha256 prefix>.ext" checkpoint names
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")
_CHUNK = 1 << 16


def _get_torch_home() -> str:
    cache = os.getenv("XDG_CACHE_HOME", "~/.cache")
    return os.path.expanduser(os.getenv("TORCH_HOME", os.path.join(cache, "torch")))


def get_dir() -> str:
    """The hub directory: ``$TORCH_HOME/hub`` (TORCH_HOME defaults to ``$XDG_CACHE_HOME/torch``,
    that is ``~/.cache/torch``), as torch.hub.get_dir."""
    return os.path.join(_get_torch_home(), "hub")


def download_url_to_file(url: str, dst: str, hash_prefix: str | None = None,
                         progress: bool = True) -> None:
    """Download ``url`` to ``dst`` through a temporary file in the same folder, checking the
    SHA-256 digest against ``hash_prefix`` when one is given (torch.hub.download_url_to_file)."""
    import urllib.request  # only needed for a download; slow to import

    dst = os.path.expanduser(dst)
    request = urllib.request.Request(url, headers={"User-Agent": "ember.vision"})
    fd, tmp_name = tempfile.mkstemp(dir=os.path.dirname(dst) or ".", suffix=".partial")
    try:
        sha256 = hashlib.sha256()
        with os.fdopen(fd, "wb") as tmp, urllib.request.urlopen(request) as response:
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            while chunk := response.read(_CHUNK):
                tmp.write(chunk)
                sha256.update(chunk)
                done += len(chunk)
                if progress and total:
                    sys.stderr.write(f"\r{100 * done // total:3d}% of {total / 2**20:.1f} MB")
        if progress and total:
            sys.stderr.write("\n")
        digest = sha256.hexdigest()
        if hash_prefix is not None and digest[:len(hash_prefix)] != hash_prefix:
            raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got "{digest}")')
        shutil.move(tmp_name, dst)
    finally:
        if os.path.exists(tmp_name):
            os.remove(tmp_name)


def _is_legacy_zip_format(filename: str) -> bool:
    if zipfile.is_zipfile(filename):
        infolist = zipfile.ZipFile(filename).infolist()
        return len(infolist) == 1 and not infolist[0].is_dir()
    return False


def _legacy_zip_load(filename, model_dir, map_location, weights_only):
    # very old checkpoints are a zip holding one legacy-format file
    with zipfile.ZipFile(filename) as f:
        members = f.infolist()
        f.extractall(model_dir)
        extracted = os.path.join(model_dir, members[0].filename)
    return ember.load(extracted, map_location=map_location, weights_only=weights_only)


def load_state_dict_from_url(url: str, model_dir: str | None = None, map_location=None,
                             progress: bool = True, check_hash: bool = False,
                             file_name: str | None = None, weights_only: bool = True) -> dict:
    """The object saved at ``url``, cached in ``model_dir`` (default ``get_dir()/checkpoints``):
    read from the cache when the file is there, else downloaded first; ``check_hash`` verifies
    the download against the hash prefix in its name (torch.hub.load_state_dict_from_url).
    Without network access the download raises RuntimeError naming the file to provide."""
    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    os.makedirs(model_dir, exist_ok=True)
    filename = file_name if file_name is not None else os.path.basename(urlparse(url).path)
    cached_file = os.path.join(model_dir, filename)
    if not os.path.exists(cached_file):
        sys.stdout.write(f'Downloading: "{url}" to {cached_file}\n')
        match = HASH_REGEX.search(filename) if check_hash else None
        try:
            download_url_to_file(url, cached_file, match.group(1) if match else None, progress)
        except (urllib.error.URLError, OSError) as err:
            raise RuntimeError(
                f"Could not download {url}: {getattr(err, 'reason', err)}. Downloading pretrained "
                f"weights needs network access; to work offline, copy the file to {cached_file} "
                "(a torchvision checkpoint from that URL) and build the model again.") from err
    if _is_legacy_zip_format(cached_file):
        return _legacy_zip_load(cached_file, model_dir, map_location, weights_only)
    return ember.load(cached_file, map_location=map_location, weights_only=weights_only)
