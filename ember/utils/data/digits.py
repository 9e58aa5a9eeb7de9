"""The UCI handwritten digits: 1,797 grey images of 8x8 pixels (values 0..16) in 10 classes.

A dataset small enough to ship inside the package and to train a CNN on in seconds, used by
``examples/train_digits.py``. The class follows torchvision's MNIST: ``Digits(train=True,
transform=None, target_transform=None)``, with ``data``, ``targets`` and ``classes``.

Credit: "Optical Recognition of Handwritten Digits", UCI Machine Learning Repository,
E. Alpaydin and C. Kaynak (1998), https://doi.org/10.24432/C50P49, licensed under CC BY 4.0
(https://creativecommons.org/licenses/by/4.0/). This copy holds the 1,797 images of the
repository's ``optdigits.tes`` file (the set scikit-learn ships as ``load_digits``), pixel values
and labels unchanged, stored as uint8; the train/test split is Ember's. See DIGITS_LICENSE.txt.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

import ember
from ember.utils.data.dataset import Dataset

__all__ = ["Digits"]

_FILE = Path(__file__).with_name("digits.npz")


class Digits(Dataset):
    """The train (1,438 images) or test (359 images) part of the UCI handwritten digits.

    The split is fixed and stratified (20% of each class in the test part, chosen once with a
    seeded generator and stored with the data), so every run and every machine sees the same
    parts. An item is ``(image, label)``: by default ``image`` is a float32 tensor of shape
    (1, 8, 8) scaled to [0, 1] and ``label`` a Python int. ``transform`` receives that image
    tensor and ``target_transform`` the label.

    ``data`` holds the split's raw images (uint8, shape (N, 8, 8), values 0..16) and ``targets``
    its labels (int64, shape (N,)), as torchvision's MNIST does.
    """

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
               "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None) -> None:
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        with np.load(_FILE) as bundle:
            index = bundle["train_index" if train else "test_index"].astype(np.int64)
            images = bundle["images"][index]
            labels = bundle["labels"][index].astype(np.int64)
        self.data = ember.from_numpy(images)
        self.targets = ember.from_numpy(labels)
        # NOTE: scaled once here rather than per item: __getitem__ runs once per sample per epoch
        self._images = (images.astype(np.float32) / np.float32(16.0))[:, None]
        self._labels = labels.tolist()

    @property
    def class_to_idx(self) -> dict[str, int]:
        """Class name to label, as in torchvision's datasets."""
        return {name: i for i, name in enumerate(self.classes)}

    def __getitem__(self, index: int):
        image = ember.from_numpy(self._images[index].copy())
        target = self._labels[index]
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __len__(self) -> int:
        return len(self._labels)

    def __repr__(self) -> str:
        split = "Train" if self.train else "Test"
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}",
                 f"    Split: {split}"]
        if self.transform is not None:
            lines.append(f"    Transform: {self.transform!r}")
        if self.target_transform is not None:
            lines.append(f"    Target transform: {self.target_transform!r}")
        return "\n".join(lines)
