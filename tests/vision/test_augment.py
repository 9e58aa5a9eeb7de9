"""The automatic augmentations (AutoAugment, RandAugment, TrivialAugmentWide, AugMix), the
functional operations they use and their Random* transforms, against torchvision's, on PIL
images and uint8/float tensors; random ones after the same manual_seed draw the same
augmentations."""

import numpy as np
import pytest
from vision_helpers import check, check_error, chw, pil_image, rgb_array

H, W = 18, 22
RGB = rgb_array(H, W, seed=7)
LOW_CONTRAST = (RGB // 4 + 60).astype(np.uint8)


def _inputs(kind):
    if kind == "pil":
        return pil_image("RGB", H, W, seed=7)
    if kind == "pil-L":
        return pil_image("L", H, W, seed=7)
    if kind == "uint8":
        return chw(RGB)
    if kind == "float32":
        return chw(RGB, "float32")
    if kind == "gray":
        return chw(RGB)[:1]
    if kind == "batch":
        return np.stack([chw(RGB), chw(LOW_CONTRAST)])
    raise ValueError(kind)


ALL = ["pil", "pil-L", "uint8", "float32", "gray", "batch"]
UINT8 = ["pil", "pil-L", "uint8", "gray", "batch"]


# ------------------------------------------------------------------ functional


@pytest.mark.parametrize("kind", ALL)
def test_invert_autocontrast_sharpness(kind):
    img = _inputs(kind)
    check(lambda lib, v, x: v.transforms.functional.invert(x), img)
    check(lambda lib, v, x: v.transforms.functional.autocontrast(x), img)
    for factor in (0.0, 0.4, 1.0, 2.5):
        check(lambda lib, v, x, f=factor: v.transforms.functional.adjust_sharpness(x, f), img)


@pytest.mark.parametrize("kind", ALL)
def test_solarize(kind):
    img = _inputs(kind)
    thresholds = (0.0, 0.3, 0.5, 1.0) if kind == "float32" else (0, 64, 128.0, 200, 255)
    for threshold in thresholds:
        check(lambda lib, v, x, t=threshold: v.transforms.functional.solarize(x, t), img)


@pytest.mark.parametrize("kind", UINT8)
def test_posterize_and_equalize(kind):
    img = _inputs(kind)
    for bits in range(9):
        if bits == 0 and kind.startswith("pil"):  # Pillow's posterize refuses 0 bits
            check_error(lambda lib, v, x: v.transforms.functional.posterize(x, 0), img)
            continue
        check(lambda lib, v, x, b=bits: v.transforms.functional.posterize(x, b), img)
    check(lambda lib, v, x: v.transforms.functional.equalize(x), img)


def test_autocontrast_and_equalize_flat_channels():
    flat = np.zeros((3, 5, 6), np.uint8)
    flat[0] = 7
    flat[1, 2, 3] = 200
    check(lambda lib, v, x: v.transforms.functional.autocontrast(x), flat)
    check(lambda lib, v, x: v.transforms.functional.equalize(x), flat)
    check(lambda lib, v, x: v.transforms.functional.autocontrast(x), flat.astype(np.float32))
    check(lambda lib, v, x: v.transforms.functional.equalize(x), chw(LOW_CONTRAST))
    tiny = chw(RGB)[:, :2, :5]
    check(lambda lib, v, x: v.transforms.functional.adjust_sharpness(x, 3.0), tiny)


def test_augment_op_errors():
    def fn(name, *args):
        return lambda lib, v, x: getattr(v.transforms.functional, name)(x, *args)

    check_error(fn("posterize", 9), chw(RGB))
    check_error(fn("posterize", -1), chw(RGB))
    check_error(fn("posterize", 4), chw(RGB, "float32"))
    check_error(fn("posterize", 4), chw(RGB)[0])
    check_error(fn("equalize"), chw(RGB, "float32"))
    check_error(fn("equalize"), chw(RGB)[None, None])
    check_error(fn("solarize", 256), chw(RGB))
    check_error(fn("solarize", 1.5), chw(RGB, "float32"))
    check_error(fn("adjust_sharpness", -1.0), chw(RGB))
    check_error(fn("invert"), chw(RGB)[0])
    check_error(fn("invert"), np.zeros((2, 4, 4), np.uint8))
    check_error(fn("autocontrast"), np.zeros((4, 4, 4), np.uint8))
    check_error(fn("invert"), [1, 2])


# ------------------------------------------------------------------ Random* transforms


@pytest.mark.parametrize("p", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("kind", ["pil", "uint8"])
def test_random_color_transforms(kind, p):
    img = _inputs(kind)
    makers = [lambda T: T.RandomInvert(p), lambda T: T.RandomPosterize(3, p),
              lambda T: T.RandomSolarize(100, p), lambda T: T.RandomAdjustSharpness(2.0, p),
              lambda T: T.RandomAutocontrast(p), lambda T: T.RandomEqualize(p)]
    for seed in range(3):
        for make in makers:
            check(lambda lib, v, x, m=make: m(v.transforms)(x), img, seed=seed)
    check(lambda lib, v: [repr(m(v.transforms)) for m in makers])


# ------------------------------------------------------------------ policies


def test_policies_and_magnitudes():
    def tables(lib, v):
        T = v.transforms
        out = [T.AutoAugment(policy).policies for policy in T.AutoAugmentPolicy]
        spaces = [T.AutoAugment()._augmentation_space(10, (H, W)),
                  T.RandAugment()._augmentation_space(31, (H, W)),
                  T.TrivialAugmentWide()._augmentation_space(31),
                  T.AugMix()._augmentation_space(10, (H, W)),
                  T.AugMix(all_ops=False)._augmentation_space(10, (H, W))]
        for space in spaces:
            out.append(list(space))
            out.extend([magnitudes, signed] for magnitudes, signed in space.values())
        return out
    check(tables)
    check_error(lambda lib, v: v.transforms.AutoAugment("imagenet"))
    check_error(lambda lib, v: v.transforms.AugMix(severity=11))


@pytest.mark.parametrize("policy", ["IMAGENET", "CIFAR10", "SVHN"])
@pytest.mark.parametrize("kind", ["pil", "uint8", "batch"])
def test_autoaugment(policy, kind):
    img = _inputs(kind)
    for seed in range(6):
        check(lambda lib, v, x: v.transforms.AutoAugment(
            v.transforms.AutoAugmentPolicy[policy], fill=[10, 20, 30])(x), img, seed=seed)


@pytest.mark.parametrize("kwargs", [dict(), dict(num_ops=3, magnitude=20, fill=128),
                                    dict(num_ops=1, magnitude=0, num_magnitude_bins=5)])
@pytest.mark.parametrize("kind", ["pil", "uint8", "gray"])
def test_randaugment(kind, kwargs):
    img = _inputs(kind)
    for seed in range(6):
        check(lambda lib, v, x: v.transforms.RandAugment(**kwargs)(x), img, seed=seed)


@pytest.mark.parametrize("kwargs", [dict(), dict(num_magnitude_bins=7, fill=[5, 6, 7])])
@pytest.mark.parametrize("kind", ["pil", "uint8", "batch"])
def test_trivial_augment_wide(kind, kwargs):
    img = _inputs(kind)
    for seed in range(12):
        check(lambda lib, v, x: v.transforms.TrivialAugmentWide(**kwargs)(x), img, seed=seed)


@pytest.mark.parametrize("kwargs", [dict(), dict(severity=7, mixture_width=2, chain_depth=2,
                                                 alpha=0.5, all_ops=False)])
@pytest.mark.parametrize("kind", ["pil", "uint8", "batch"])
def test_augmix(kind, kwargs):
    img = _inputs(kind)
    for seed in range(4):
        check(lambda lib, v, x: v.transforms.AugMix(**kwargs)(x), img, seed=seed)


def test_reprs():
    check(lambda lib, v: [repr(v.transforms.AutoAugment(v.transforms.AutoAugmentPolicy.SVHN,
                                                        fill=3)),
                          repr(v.transforms.RandAugment(num_ops=1)),
                          repr(v.transforms.TrivialAugmentWide()),
                          repr(v.transforms.AugMix())])
