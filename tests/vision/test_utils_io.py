"""ember.vision.utils (make_grid, save_image) against torchvision's, and ember.vision.io, whose
reference is Pillow's decoding laid out as torchvision lays tensors out (pil_to_tensor): the
image extension of torchvision does not load beside the CPU torch wheel."""

import io

import numpy as np
import pytest
from vision_helpers import LIBS, Image, check, check_error, chw, pil_image, rgb_array

import ember

RNG = np.random.default_rng(0)
BATCH = RNG.uniform(-0.5, 1.5, size=(5, 3, 6, 7)).astype(np.float32)
GRAY = RNG.uniform(0, 1, size=(3, 1, 4, 5)).astype(np.float32)


@pytest.mark.parametrize("data", [BATCH, GRAY, BATCH[0], GRAY[0], GRAY[0, 0], BATCH[:1]],
                         ids=["batch", "gray", "chw", "1hw", "hw", "one"])
@pytest.mark.parametrize("kwargs", [
    dict(), dict(nrow=2, padding=1, pad_value=0.7), dict(nrow=3, padding=0),
    dict(normalize=True), dict(normalize=True, value_range=(0.0, 1.0), nrow=4),
    dict(normalize=True, scale_each=True, padding=3),
    dict(normalize=True, scale_each=True, value_range=(-0.2, 0.8))])
def test_make_grid(data, kwargs):
    check(lambda lib, v, x: (v.utils.make_grid(x, **kwargs), x), data)


def test_make_grid_list_and_uint8():
    images = [chw(rgb_array(5, 6, seed=s)) for s in range(3)]
    check(lambda lib, v, *xs: v.utils.make_grid(list(xs), nrow=2, pad_value=255), *images)


def test_make_grid_errors():
    check_error(lambda lib, v, x: v.utils.make_grid(x, normalize=True, value_range=[0, 1]),
                BATCH)
    check_error(lambda lib, v: v.utils.make_grid(np.zeros((2, 3, 4, 4))))
    check_error(lambda lib, v, x: v.utils.make_grid([x, 3]), BATCH[0])


@pytest.mark.parametrize("kwargs", [dict(), dict(nrow=2, normalize=True, padding=1)])
@pytest.mark.parametrize("data", [BATCH, GRAY[0]], ids=["batch", "gray"])
def test_save_image(tmp_path, data, kwargs):
    pixels = {}
    for name, (lib, v) in LIBS.items():
        path = tmp_path / f"{name}.png"
        v.utils.save_image(lib.tensor(data), path, **kwargs)
        buffer = io.BytesIO()
        v.utils.save_image(lib.tensor(data), buffer, format="png", **kwargs)
        with Image.open(path) as a, Image.open(buffer) as b:
            assert a.mode == b.mode == "RGB"
            pixels[name] = (np.asarray(a), np.asarray(b))
    np.testing.assert_array_equal(pixels["ember"][0], pixels["torch"][0])
    np.testing.assert_array_equal(pixels["ember"][1], pixels["torch"][1])


# ------------------------------------------------------------------ io


def _reference(path, mode=None):
    """Pillow's pixels as torchvision lays them out (C, H, W), converted to ``mode``."""
    _, tv = LIBS["torch"]
    with Image.open(path) as img:
        img = img.convert(mode) if mode else img
        return tv.transforms.functional.pil_to_tensor(img).contiguous().numpy()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("images")
    paths = {}
    for mode in ["RGB", "L", "RGBA", "LA"]:
        paths[mode] = folder / f"{mode}.png"
        pil_image(mode).save(paths[mode])
    paths["jpeg"] = folder / "rgb.jpg"
    pil_image().save(paths["jpeg"], quality=90)
    paths["gray-jpeg"] = folder / "gray.jpg"
    pil_image("L").save(paths["gray-jpeg"])
    return paths


@pytest.mark.parametrize("name", ["RGB", "L", "RGBA", "LA", "jpeg", "gray-jpeg"])
@pytest.mark.parametrize("mode", ["UNCHANGED", "GRAY", "GRAY_ALPHA", "RGB", "RGB_ALPHA"])
def test_read_image(files, name, mode):
    ev = LIBS["ember"][1]
    out = ev.io.read_image(files[name], getattr(ev.io.ImageReadMode, mode))
    pil_mode = {"UNCHANGED": None, "GRAY": "L", "GRAY_ALPHA": "LA", "RGB": "RGB",
                "RGB_ALPHA": "RGBA"}[mode]
    assert out.dtype == ember.uint8
    np.testing.assert_array_equal(out.numpy(), _reference(files[name], pil_mode))


def test_decode_from_bytes(files):
    ev = LIBS["ember"][1]
    data = ev.io.read_file(files["RGB"])
    assert data.dtype == ember.uint8 and data.ndim == 1
    assert data.numpy().tobytes() == files["RGB"].read_bytes()
    np.testing.assert_array_equal(ev.io.decode_image(data).numpy(), _reference(files["RGB"]))
    np.testing.assert_array_equal(ev.io.decode_png(data, "rgb").numpy(), _reference(files["RGB"]))
    np.testing.assert_array_equal(ev.io.decode_image(str(files["L"])).numpy(),
                                  _reference(files["L"]))
    jpeg = ev.io.read_file(files["jpeg"])
    np.testing.assert_array_equal(ev.io.decode_jpeg(jpeg).numpy(), _reference(files["jpeg"]))
    both = ev.io.decode_jpeg([jpeg, jpeg], mode=ev.io.ImageReadMode.GRAY)
    np.testing.assert_array_equal(both[1].numpy(), _reference(files["jpeg"], "L"))
    with pytest.raises(RuntimeError):
        ev.io.decode_image(ember.zeros(3, 4))


@pytest.mark.parametrize("image", [chw(rgb_array()), chw(rgb_array())[:1], chw(rgb_array())[0]],
                         ids=["rgb", "gray", "hw"])
def test_write_png_round_trip(tmp_path, image):
    ev = LIBS["ember"][1]
    ev.io.write_png(ember.tensor(image), tmp_path / "a.png", compression_level=9)
    back = ev.io.read_image(tmp_path / "a.png")
    np.testing.assert_array_equal(back.numpy(), image.reshape(-1, *image.shape[-2:]))
    encoded = ev.io.encode_png(ember.tensor(image))
    assert encoded.numpy().tobytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_write_jpeg(tmp_path):
    ev = LIBS["ember"][1]
    yy, xx = np.mgrid[0:24, 0:32]  # smooth, so the lossy round trip stays close
    image = np.stack([yy * 10, xx * 8, (yy + xx) * 4]).astype(np.uint8)
    ev.io.write_jpeg(ember.tensor(image), tmp_path / "a.jpg", quality=95)
    back = ev.io.read_image(tmp_path / "a.jpg").numpy()
    np.testing.assert_array_equal(back, _reference(tmp_path / "a.jpg"))
    assert np.abs(back.astype(int) - image).mean() < 3  # lossy but close
    # the encoder is Pillow's, with the same quality
    buffer = io.BytesIO()
    Image.fromarray(image.transpose(1, 2, 0)).save(buffer, format="JPEG", quality=95)
    assert ev.io.encode_jpeg(ember.tensor(image), 95).numpy().tobytes() == buffer.getvalue()
    assert len(ev.io.encode_jpeg([ember.tensor(image)] * 2)) == 2
    with pytest.raises(ValueError):
        ev.io.encode_jpeg(ember.tensor(image), quality=0)
    with pytest.raises(RuntimeError):
        ev.io.encode_png(ember.tensor(image).float())


def test_image_read_mode_matches_torchvision():
    _, tv = LIBS["torch"]
    ev = LIBS["ember"][1]
    assert [(m.name, m.value) for m in ev.io.ImageReadMode] == [
        (m.name, m.value) for m in tv.io.ImageReadMode]
    assert ev.io.ImageReadMode.RGBA is ev.io.ImageReadMode.RGB_ALPHA


def test_image_backend():
    _, tv = LIBS["torch"]
    ev = LIBS["ember"][1]
    assert ev.get_image_backend() == tv.get_image_backend() == "PIL"
    ev.set_image_backend("PIL")
    check_error(lambda lib, v: v.set_image_backend("cv2"))
