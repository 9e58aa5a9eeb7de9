"""torch.hub's download cache: ``get_dir`` / ``set_dir``, ``download_url_to_file`` and
``load_state_dict_from_url`` (``<hub dir>/checkpoints/<file>``, read with ``ember.load``).

Loading code from GitHub repositories (``load``, ``list``, ``help``) is not supported: it runs a
repository's ``hubconf.py``, written against torch."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import uuid
import warnings
import zipfile
from typing import Any
from urllib.parse import urlparse

import ember

__all__ = ["download_url_to_file", "get_dir", "help", "list", "load", "load_state_dict_from_url",
           "set_dir"]

# the hash prefix in "name-<sha256 prefix>.ext" checkpoint names
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")
ENV_TORCH_HOME = "TORCH_HOME"
ENV_XDG_CACHE_HOME = "XDG_CACHE_HOME"
DEFAULT_CACHE_DIR = "~/.cache"
READ_DATA_CHUNK = 128 * 1024

_hub_dir: str | None = None


def _get_torch_home() -> str:
    cache = os.getenv(ENV_XDG_CACHE_HOME, DEFAULT_CACHE_DIR)
    return os.path.expanduser(os.getenv(ENV_TORCH_HOME, os.path.join(cache, "torch")))


def get_dir() -> str:
    """The hub directory: the one given to ``set_dir``, else ``$TORCH_HOME/hub`` (TORCH_HOME
    defaults to ``$XDG_CACHE_HOME/torch``, that is ``~/.cache/torch``), as torch.hub.get_dir."""
    if os.getenv("TORCH_HUB"):
        warnings.warn("TORCH_HUB is deprecated, please use env TORCH_HOME instead", stacklevel=2)
    if _hub_dir is not None:
        return _hub_dir
    return os.path.join(_get_torch_home(), "hub")


def set_dir(d: str | os.PathLike) -> None:
    """Use ``d`` (user-expanded) as the hub directory from now on, as torch.hub.set_dir."""
    global _hub_dir
    _hub_dir = os.path.expanduser(d)


def _not_supported(name: str):
    raise NotImplementedError(
        f"ember.hub.{name} is not supported: it loads code from a GitHub repository's hubconf.py "
        "(torch.hub.load/list/help); build the model in Ember and use "
        "ember.hub.load_state_dict_from_url for its weights")


def load(repo_or_dir, model, *args, source="github", trust_repo=None, force_reload=False,
         verbose=True, skip_validation=False, **kwargs):
    """torch.hub.load's signature; raises NotImplementedError (no hubconf.py loading)."""
    _not_supported("load")


def list(github, force_reload=False, skip_validation=False, trust_repo="check",  # noqa: A001
         verbose=True):
    """torch.hub.list's signature; raises NotImplementedError (no hubconf.py loading)."""
    _not_supported("list")


def help(github, model, force_reload=False, skip_validation=False,  # noqa: A001
         trust_repo="check"):
    """torch.hub.help's signature; raises NotImplementedError (no hubconf.py loading)."""
    _not_supported("help")


def _progress(done: int, total: int | None) -> None:
    if total:
        sys.stderr.write(f"\r{100 * done // total:3d}% of {total / 2**20:.1f} MB")
    else:
        sys.stderr.write(f"\r{done / 2**20:.1f} MB")


def download_url_to_file(url: str, dst: str, hash_prefix: str | None = None,
                         progress: bool = True) -> None:
    """Download ``url`` to ``dst`` through a ``.partial`` file beside it, checking the SHA-256
    digest against ``hash_prefix`` when one is given (torch.hub.download_url_to_file): a broken
    or mismatched download never replaces ``dst``. Errors from urllib propagate as in torch."""
    import urllib.request  # only needed for a download; slow to import

    dst = os.path.expanduser(dst)
    tmp_name = f"{dst}.{uuid.uuid4().hex}.partial"
    request = urllib.request.Request(url, headers={"User-Agent": "torch.hub"})
    try:
        with open(tmp_name, "w+b") as tmp, urllib.request.urlopen(request) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length else None
            sha256 = hashlib.sha256() if hash_prefix is not None else None
            done = 0
            while chunk := response.read(READ_DATA_CHUNK):
                tmp.write(chunk)
                if sha256 is not None:
                    sha256.update(chunk)
                done += len(chunk)
                if progress:
                    _progress(done, total)
            if progress:
                sys.stderr.write("\n")
        if sha256 is not None:
            digest = sha256.hexdigest()
            if digest[:len(hash_prefix)] != hash_prefix:
                raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got "{digest}")')
        shutil.move(tmp_name, dst)
    finally:
        if os.path.exists(tmp_name):
            os.remove(tmp_name)


def _is_legacy_zip_format(filename: str) -> bool:
    if zipfile.is_zipfile(filename):
        with zipfile.ZipFile(filename) as f:
            infolist = f.infolist()
        return len(infolist) == 1 and not infolist[0].is_dir()
    return False


def _legacy_zip_load(filename: str, model_dir: str, map_location, weights_only: bool):
    # checkpoints from before torch 1.6 were sometimes shipped as a zip holding one legacy file
    warnings.warn("Falling back to the old format < 1.6. This support will be deprecated in favor "
                  "of default zipfile format introduced in 1.6. Please redo torch.save() to save "
                  "it in the new zipfile format.", FutureWarning, stacklevel=3)
    with zipfile.ZipFile(filename) as f:
        members = f.infolist()
        root = os.path.realpath(model_dir)
        target = os.path.realpath(os.path.join(root, members[0].filename))
        # NOTE: refuse names escaping model_dir ("zip slip"), as torch's _safe_extract_zip does
        if os.path.commonpath([root, target]) != root:
            raise ValueError(f"Unsafe path in zip archive: {members[0].filename}")
        f.extractall(model_dir)
    return ember.load(target, map_location=map_location, weights_only=weights_only)


def load_state_dict_from_url(url: str, model_dir: str | None = None, map_location=None,
                             progress: bool = True, check_hash: bool = False,
                             file_name: str | None = None,
                             weights_only: bool = False) -> dict[str, Any]:
    """The object saved at ``url``, cached in ``model_dir`` (default ``get_dir()/checkpoints``)
    under ``file_name`` (default: the URL's last path part): read from the cache when the file is
    there, else downloaded first; ``check_hash`` verifies the download against the hash prefix in
    its name ("name-<sha256 prefix>.ext"). Same defaults as torch.hub.load_state_dict_from_url
    (``weights_only=False``)."""
    if os.getenv("TORCH_MODEL_ZOO"):
        warnings.warn("TORCH_MODEL_ZOO is deprecated, please use env TORCH_HOME instead",
                      stacklevel=2)
    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    os.makedirs(model_dir, exist_ok=True)
    filename = file_name if file_name is not None else os.path.basename(urlparse(url).path)
    cached_file = os.path.join(model_dir, filename)
    if not os.path.exists(cached_file):
        sys.stdout.write(f'Downloading: "{url}" to {cached_file}\n')
        match = HASH_REGEX.search(filename) if check_hash else None
        download_url_to_file(url, cached_file, match.group(1) if match else None,
                             progress=progress)
    if _is_legacy_zip_format(cached_file):
        return _legacy_zip_load(cached_file, model_dir, map_location, weights_only)
    return ember.load(cached_file, map_location=map_location, weights_only=weights_only)
