"""SVHN, the Street View House Numbers, from its .mat files (torchvision.datasets.SVHN).

On disk: ``root/{train,test,extra}_32x32.mat``, MATLAB files holding ``X`` (32 x 32 x 3 x N
uint8) and ``y`` (N x 1, labels 1..10 where 10 is the digit 0). torchvision reads them with
SciPy's ``loadmat``; Ember reads them with its own NumPy reader (``_matlab.loadmat``), so SciPy
is not needed. ``data`` is a NumPy uint8 array N x 3 x 32 x 32 and ``labels`` an int64 array
with 10 mapped to 0, as in torchvision.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ember.vision.datasets._matlab import loadmat
from ember.vision.datasets.utils import check_integrity, download_url, verify_str_arg
from ember.vision.datasets.vision import VisionDataset, _pil_image

__all__ = ["SVHN"]


class SVHN(VisionDataset):
    """SVHN digits; ``split`` is train, test or extra (the extra training set)."""

    split_list = {
        "train": ["http://ufldl.stanford.edu/housenumbers/train_32x32.mat",
                  "train_32x32.mat", "e26dedcc434d2e4c54c9b2d4a06d8373"],
        "test": ["http://ufldl.stanford.edu/housenumbers/test_32x32.mat",
                 "test_32x32.mat", "eb5a983be6a315427106f1b164d9cef3"],
        "extra": ["http://ufldl.stanford.edu/housenumbers/extra_32x32.mat",
                  "extra_32x32.mat", "a93ce644f1a588dc4d68dda5feec44a7"],
    }

    def __init__(self, root: str | Path, split: str = "train", transform=None,
                 target_transform=None, download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.split = verify_str_arg(split, "split", tuple(self.split_list.keys()))
        self.url, self.filename, self.file_md5 = self.split_list[split]
        if download:
            self.download()
        if not self._check_integrity():
            raise RuntimeError(
                "Dataset not found or corrupted. You can use download=True to download it")
        loaded_mat = loadmat(os.path.join(self.root, self.filename), variable_names=("X", "y"))
        # int64 labels give a LongTensor after collation; the squeeze makes them 1-D
        self.labels = loaded_mat["y"].astype(np.int64).squeeze()
        # SVHN labels the digit 0 as 10; loss functions expect classes in [0, C-1]
        np.place(self.labels, self.labels == 10, 0)
        self.data = np.transpose(loaded_mat["X"], (3, 2, 0, 1))

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """(image, target): an RGB PIL image and the digit."""
        img, target = self.data[index], int(self.labels[index])
        img = _pil_image().fromarray(np.transpose(img, (1, 2, 0)))
        return self._transform(img, target)

    def __len__(self) -> int:
        return len(self.data)

    def _check_integrity(self) -> bool:
        md5 = self.split_list[self.split][2]
        return check_integrity(os.path.join(self.root, self.filename), md5)

    def download(self) -> None:
        """Download the split's .mat file (checked against its MD5 sum)."""
        md5 = self.split_list[self.split][2]
        download_url(self.url, self.root, self.filename, md5)

    def extra_repr(self) -> str:
        return f"Split: {self.split}"
