"""FakeData: random images for testing pipelines (torchvision.datasets.FakeData)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ember
from ember.vision.datasets.vision import VisionDataset

__all__ = ["FakeData"]


class FakeData(VisionDataset):
    """``size`` random PIL images of ``image_size`` (C, H, W) with random targets in
    [0, num_classes). Item ``i`` is drawn from Ember's default generator seeded with
    ``i + random_offset`` (its state is restored afterwards), with torch's calls, so
    ``FakeData()[i]`` gives torchvision's image and target."""

    def __init__(self, size: int = 1000, image_size: tuple[int, int, int] = (3, 224, 224),
                 num_classes: int = 10, transform: Callable | None = None,
                 target_transform: Callable | None = None, random_offset: int = 0) -> None:
        super().__init__(transform=transform, target_transform=target_transform)
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.random_offset = random_offset

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """(image, target): target is a class index (an int after target_transform)."""
        from ember.vision.transforms import ToPILImage

        if index >= len(self):
            raise IndexError(f"{self.__class__.__name__} index out of range")
        rng_state = ember.get_rng_state()
        ember.manual_seed(index + self.random_offset)
        img = ember.randn(*self.image_size)
        target = ember.randint(0, self.num_classes, size=(1,), dtype=ember.long)[0]
        ember.set_rng_state(rng_state)

        img = ToPILImage()(img)
        img, target = self._transform(img, target)
        return img, target.item()

    def __len__(self) -> int:
        return self.size
