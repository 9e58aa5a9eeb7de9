"""The hub cache for torchvision weights: ``ember.hub``'s ``$TORCH_HOME/hub/checkpoints/<file>``,
with a hint to copy the file there when a download fails offline."""

from __future__ import annotations

import os
import urllib.error
from urllib.parse import urlparse

from ember import hub
from ember.hub import HASH_REGEX, download_url_to_file, get_dir

__all__ = ["HASH_REGEX", "download_url_to_file", "get_dir", "load_state_dict_from_url"]


def load_state_dict_from_url(url: str, model_dir: str | None = None, map_location=None,
                             progress: bool = True, check_hash: bool = False,
                             file_name: str | None = None, weights_only: bool = True) -> dict:
    """``ember.hub.load_state_dict_from_url`` for weight files (``weights_only`` defaults to
    True). Without network access the download raises RuntimeError naming the file to provide."""
    try:
        return hub.load_state_dict_from_url(url, model_dir, map_location, progress, check_hash,
                                            file_name, weights_only)
    except (urllib.error.URLError, OSError) as err:
        folder = model_dir if model_dir is not None else os.path.join(get_dir(), "checkpoints")
        name = file_name if file_name is not None else os.path.basename(urlparse(url).path)
        raise RuntimeError(
            f"Could not download {url}: {getattr(err, 'reason', err)}. Downloading pretrained "
            "weights needs network access; to work offline, copy the file to "
            f"{os.path.join(folder, name)} (a torchvision checkpoint from that URL) and build "
            "the model again.") from err
