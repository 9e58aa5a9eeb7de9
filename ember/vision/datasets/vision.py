"""VisionDataset, the base of every dataset here (torchvision.datasets.vision)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ember.utils.data.dataset import Dataset

__all__ = ["StandardTransform", "VisionDataset"]


def _pil_image():
    """PIL.Image, imported on first use so that the datasets load without Pillow."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(
            "PIL images need Pillow: pip install 'ember[vision]' (or Pillow)") from None
    return Image


def _format_transform_repr(transform: Callable, head: str) -> list[str]:
    lines = repr(transform).splitlines()
    return [f"{head}{lines[0]}"] + [" " * len(head) + line for line in lines[1:]]


class VisionDataset(Dataset):
    """Base class of the vision datasets (torchvision.datasets.VisionDataset).

    ``root`` is kept (a str has ``~`` expanded); ``transforms`` takes (input, target) together
    and excludes ``transform`` / ``target_transform``, which are wrapped in a
    StandardTransform. Subclasses define __getitem__, __len__ and optionally extra_repr.
    """

    _repr_indent = 4

    def __init__(self, root: str | Path | None = None, transforms: Callable | None = None,
                 transform: Callable | None = None,
                 target_transform: Callable | None = None) -> None:
        if isinstance(root, str):
            root = os.path.expanduser(root)
        self.root = root

        has_transforms = transforms is not None
        has_separate_transform = transform is not None or target_transform is not None
        if has_transforms and has_separate_transform:
            raise ValueError(
                "Only transforms or transform/target_transform can be passed as argument")

        # kept as attributes as torchvision does: datasets read self.transform directly
        self.transform = transform
        self.target_transform = target_transform
        if has_separate_transform:
            transforms = StandardTransform(transform, target_transform)
        self.transforms = transforms

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    def __repr__(self) -> str:
        head = "Dataset " + self.__class__.__name__
        body = [f"Number of datapoints: {self.__len__()}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        if getattr(self, "transforms", None) is not None:
            body += [repr(self.transforms)]
        lines = [head] + [" " * self._repr_indent + line for line in body]
        return "\n".join(lines)

    def _format_transform_repr(self, transform: Callable, head: str) -> list[str]:
        return _format_transform_repr(transform, head)

    def extra_repr(self) -> str:
        """Lines added to the repr after the root location."""
        return ""

    def _transform(self, sample: Any, target: Any) -> tuple[Any, Any]:
        # what every dataset's __getitem__ ends with
        return _apply(self.transform, self.target_transform, sample, target)


def _apply(transform, target_transform, sample, target):
    """``transform`` on the sample and ``target_transform`` on the target, where given."""
    if transform is not None:
        sample = transform(sample)
    if target_transform is not None:
        target = target_transform(target)
    return sample, target


class StandardTransform:
    """Applies ``transform`` to the input and ``target_transform`` to the target."""

    def __init__(self, transform: Callable | None = None,
                 target_transform: Callable | None = None) -> None:
        self.transform = transform
        self.target_transform = target_transform

    def __call__(self, input: Any, target: Any) -> tuple[Any, Any]:
        return _apply(self.transform, self.target_transform, input, target)

    def _format_transform_repr(self, transform: Callable, head: str) -> list[str]:
        return _format_transform_repr(transform, head)

    def __repr__(self) -> str:
        body = [self.__class__.__name__]
        if self.transform is not None:
            body += _format_transform_repr(self.transform, "Transform: ")
        if self.target_transform is not None:
            body += _format_transform_repr(self.target_transform, "Target transform: ")
        return "\n".join(body)
