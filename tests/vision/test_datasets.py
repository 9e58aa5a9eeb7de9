"""ember.vision.datasets against torchvision.datasets: both read the same small files written
in the real formats (IDX, CIFAR pickle batches, MAT-files, folders of PNGs) and must give the
same lengths, classes, data, targets, items and reprs. Downloads come from a local HTTP server
on 127.0.0.1; nothing here reaches the internet."""

import os
import pickle
import sys
import types
import urllib.error

import datasets_formats as fmt
import numpy as np
import pytest
from vision_helpers import compare, torch, tv

import ember
import ember.vision.datasets as ed
from ember.vision import transforms as etransforms
from ember.vision.datasets import _matlab
from ember.vision.datasets import utils as eutils
from ember.vision.datasets.mnist import read_sn3_pascalvincent_tensor

TD = tv.datasets
VISION = {"ember": (ed, etransforms), "torch": (TD, tv.transforms)}


def both(name):
    """(Ember's class, torchvision's class) of a dataset name."""
    return getattr(ed, name), getattr(TD, name)


def normalize(vision_transforms, mean=0.5):
    """ToTensor + Normalize of one library."""
    return vision_transforms.Compose([vision_transforms.ToTensor(),
                                      vision_transforms.Normalize((mean,), (0.25,))])


def same_array(e, t, path):
    """NumPy arrays (or lists) with equal type, dtype, shape and values."""
    assert type(e) is type(t), f"{path}: {type(e)} != {type(t)}"
    if isinstance(t, np.ndarray):
        assert (e.dtype, e.shape) == (t.dtype, t.shape), f"{path}: {e.dtype}{e.shape}"
    np.testing.assert_array_equal(np.asarray(e), np.asarray(t), err_msg=path)


def same_dataset(e, t, attrs=(), arrays=(), check_repr=True):
    """Same len, items, attributes (tensors through compare, arrays exactly) and repr."""
    assert len(e) == len(t)
    for i in range(len(t)):
        compare(e[i], t[i], path=f"item {i}")
    for attr in attrs:
        compare(getattr(e, attr), getattr(t, attr), path=attr)
    for attr in arrays:
        same_array(getattr(e, attr), getattr(t, attr), attr)
    if check_repr:
        assert repr(e) == repr(t)


def same_error(make_ember, make_torch, match=None):
    """Both raise the same exception class with the same message."""
    with pytest.raises(Exception) as t_info:
        make_torch()
    with pytest.raises(type(t_info.value)) as e_info:
        make_ember()
    assert str(e_info.value) == str(t_info.value)
    if match is not None:
        assert match in str(e_info.value)


# ----------------------------------------------------------------- MNIST family, IDX files


@pytest.mark.parametrize("name", ["MNIST", "FashionMNIST", "KMNIST"])
@pytest.mark.parametrize("train", [True, False])
def test_mnist_family(tmp_path, name, train):
    fmt.write_mnist_family(tmp_path / name / "raw")
    e_cls, t_cls = both(name)
    e, t = e_cls(str(tmp_path), train=train), t_cls(str(tmp_path), train=train)
    same_dataset(e, t, attrs=("data", "targets", "classes", "class_to_idx", "raw_folder",
                              "processed_folder"))
    assert e[0][0].mode == "L" and tuple(e.data.shape) == ((7 if train else 5), 28, 28)


def test_mnist_transforms_and_repr(tmp_path):
    fmt.write_mnist_family(tmp_path / "MNIST" / "raw")
    made = {lib: mod.MNIST(tmp_path, transform=normalize(tr), target_transform=lambda y: y * 2)
            for lib, (mod, tr) in VISION.items()}
    same_dataset(made["ember"], made["torch"], check_repr=False)
    e_repr, t_repr = repr(made["ember"]), repr(made["torch"])
    assert e_repr.splitlines()[:4] == t_repr.splitlines()[:4]
    assert "StandardTransform" in e_repr and "Target transform: <function" in e_repr


def test_mnist_missing_files(tmp_path):
    same_error(lambda: ed.MNIST(tmp_path), lambda: TD.MNIST(tmp_path),
               "Dataset not found. You can use download=True to download it")
    fmt.write_mnist_family(tmp_path / "MNIST" / "raw")
    os.remove(tmp_path / "MNIST" / "raw" / "t10k-labels-idx1-ubyte")
    same_error(lambda: ed.MNIST(tmp_path), lambda: TD.MNIST(tmp_path))


def test_mnist_legacy_processed_files(tmp_path):
    processed = tmp_path / "MNIST" / "processed"
    processed.mkdir(parents=True)
    for name, seed in (("training.pt", 1), ("test.pt", 2)):
        images, labels = fmt.mnist_arrays(4, seed)
        torch.save((torch.from_numpy(images), torch.from_numpy(labels).long()), processed / name)
    for train in (True, False):
        same_dataset(ed.MNIST(tmp_path, train=train), TD.MNIST(tmp_path, train=train),
                     attrs=("data", "targets"))


def test_mnist_deprecated_names(tmp_path):
    fmt.write_mnist_family(tmp_path / "MNIST" / "raw")
    e = ed.MNIST(tmp_path)
    for attr in ("train_labels", "test_labels", "train_data", "test_data"):
        with pytest.warns(UserWarning, match="renamed"):
            assert getattr(e, attr) is (e.targets if "labels" in attr else e.data)


@pytest.mark.parametrize("split", ["letters", "balanced", "mnist"])
def test_emnist(tmp_path, split):
    fmt.write_mnist_family(tmp_path / "EMNIST" / "raw",
                           prefix=(f"emnist-{split}-train", f"emnist-{split}-test"))
    for train in (True, False):
        e, t = ed.EMNIST(tmp_path, split, train=train), TD.EMNIST(tmp_path, split, train=train)
        same_dataset(e, t, attrs=("data", "targets", "classes", "class_to_idx", "images_file"))


def test_emnist_split_errors(tmp_path):
    same_error(lambda: ed.EMNIST(tmp_path, "nope"), lambda: TD.EMNIST(tmp_path, "nope"))
    same_error(lambda: ed.EMNIST(tmp_path, 3), lambda: TD.EMNIST(tmp_path, 3))
    assert ed.EMNIST.classes_split_dict == TD.EMNIST.classes_split_dict


@pytest.fixture(scope="module")
def qmnist_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("qmnist")
    for what in ("train", "test", "nist"):
        fmt.write_qmnist(root / "QMNIST" / "raw", what, n=10_003 if what == "test" else 6)
    return root


@pytest.mark.parametrize("what", [None, "train", "test", "test10k", "test50k", "nist"])
@pytest.mark.parametrize("compat", [True, False])
def test_qmnist(qmnist_root, what, compat):
    e = ed.QMNIST(qmnist_root, what=what, compat=compat, train=what is None)
    t = TD.QMNIST(qmnist_root, what=what, compat=compat, train=what is None)
    compare(e.data, t.data, path="data")
    compare(e.targets, t.targets, path="targets")
    assert repr(e) == repr(t) and e.classes == t.classes
    for i in (0, 1, len(t) - 1):
        compare(e[i], t[i], path=f"item {i}")


def test_qmnist_what_error(tmp_path):
    same_error(lambda: ed.QMNIST(tmp_path, what="all"), lambda: TD.QMNIST(tmp_path, what="all"))


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4), (2, 1, 3, 2)])
def test_idx_files(tmp_path, dtype, shape):
    array = (np.arange(int(np.prod(shape))) * 7 - 11).astype(dtype).reshape(shape)
    ed.mnist.write_sn3_pascalvincent_tensor(tmp_path / "x-idx", array)
    ed.mnist.write_sn3_pascalvincent_tensor(tmp_path / "x-idx.gz", ember.from_numpy(array))
    e = read_sn3_pascalvincent_tensor(tmp_path / "x-idx")
    if len(shape) <= 3:  # torchvision's reader stops at three dimensions
        compare(e, TD.mnist.read_sn3_pascalvincent_tensor(str(tmp_path / "x-idx")))
    np.testing.assert_array_equal(e.numpy(), array)
    from_gz = read_sn3_pascalvincent_tensor(tmp_path / "x-idx.gz")
    assert from_gz.dtype == e.dtype
    np.testing.assert_array_equal(from_gz.numpy(), array)


def test_idx_label_and_image_checks(tmp_path):
    ed.mnist.write_sn3_pascalvincent_tensor(tmp_path / "img", np.zeros((2, 3, 3), np.uint8))
    ed.mnist.write_sn3_pascalvincent_tensor(tmp_path / "f32", np.zeros((2, 3), np.float32))
    e_mod, t_mod = ed.mnist, TD.mnist
    for reader, path in (("read_label_file", "img"), ("read_image_file", "f32"),
                         ("read_label_file", "f32")):
        with pytest.raises(Exception) as t_info:
            getattr(t_mod, reader)(str(tmp_path / path))
        with pytest.raises(type(t_info.value)):
            getattr(e_mod, reader)(str(tmp_path / path))
    (tmp_path / "bad").write_bytes(b"\x12\x34\x08\x01\x00\x00\x00\x01\x00")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_sn3_pascalvincent_tensor(tmp_path / "bad")


# ----------------------------------------------------------------------------- CIFAR


def _patch_cifar_md5s(monkeypatch, name, sums):
    for cls in both(name):
        for attr in ("train_list", "test_list"):
            monkeypatch.setattr(cls, attr, [[f, sums[f]] for f, _ in getattr(cls, attr)])
        monkeypatch.setattr(cls, "meta", {**cls.meta, "md5": sums[cls.meta["filename"]]})


@pytest.mark.parametrize("name", ["CIFAR10", "CIFAR100"])
@pytest.mark.parametrize("train", [True, False])
def test_cifar(tmp_path, monkeypatch, name, train):
    _, sums = fmt.write_cifar(tmp_path, hundred=name == "CIFAR100")
    _patch_cifar_md5s(monkeypatch, name, sums)
    e_cls, t_cls = both(name)
    e, t = e_cls(tmp_path, train=train), t_cls(tmp_path, train=train)
    same_dataset(e, t, attrs=("classes", "class_to_idx"), arrays=("data", "targets"))
    assert e.data.dtype == np.uint8 and e.data.shape[1:] == (32, 32, 3)
    assert e[0][0].mode == "RGB"


def test_cifar_transforms(tmp_path, monkeypatch):
    _, sums = fmt.write_cifar(tmp_path)
    _patch_cifar_md5s(monkeypatch, "CIFAR10", sums)
    made = {lib: mod.CIFAR10(tmp_path, train=False, transform=normalize(tr))
            for lib, (mod, tr) in VISION.items()}
    same_dataset(made["ember"], made["torch"])


def test_cifar_missing_or_corrupted(tmp_path, monkeypatch):
    same_error(lambda: ed.CIFAR10(tmp_path), lambda: TD.CIFAR10(tmp_path),
               "Dataset not found or corrupted. You can use download=True to download it")
    folder, sums = fmt.write_cifar(tmp_path)
    _patch_cifar_md5s(monkeypatch, "CIFAR10", sums)
    with open(folder / "data_batch_3", "ab") as f:
        f.write(b"\0")
    same_error(lambda: ed.CIFAR10(tmp_path), lambda: TD.CIFAR10(tmp_path))
    _patch_cifar_md5s(monkeypatch, "CIFAR10", {**sums, "data_batch_3": fmt.md5(
        folder / "data_batch_3"), "batches.meta": "0" * 32})
    same_error(lambda: ed.CIFAR10(tmp_path), lambda: TD.CIFAR10(tmp_path),
               "Dataset metadata file not found or corrupted")


# ------------------------------------------------------------------------ SVHN, MAT-files


def _scipy_io(monkeypatch):
    """torchvision's SVHN imports scipy.io; without SciPy installed, stand Ember's reader in
    (the comparison then checks the dataset logic on the same arrays, and the reader is
    checked on its own against SciPy-written files)."""
    try:
        import scipy.io  # noqa: F401
    except ImportError:
        stub = types.ModuleType("scipy.io")
        stub.loadmat = _matlab.loadmat
        monkeypatch.setitem(sys.modules, "scipy", types.ModuleType("scipy"))
        monkeypatch.setitem(sys.modules, "scipy.io", stub)
        sys.modules["scipy"].io = stub


@pytest.mark.parametrize("split", ["train", "test", "extra"])
def test_svhn(tmp_path, monkeypatch, split):
    _scipy_io(monkeypatch)
    x, y = fmt.write_svhn(tmp_path / f"{split}_32x32.mat")
    for cls in both("SVHN"):
        entry = cls.split_list[split]
        monkeypatch.setitem(cls.split_list, split,
                            [entry[0], entry[1], fmt.md5(tmp_path / entry[1])])
    e, t = ed.SVHN(tmp_path, split=split), TD.SVHN(tmp_path, split=split)
    same_dataset(e, t, arrays=("data", "labels"))
    assert e.data.shape == (6, 3, 32, 32) and e.labels.dtype == np.int64
    expected = y[:, 0].astype(np.int64) % 10
    np.testing.assert_array_equal(e.labels, expected)
    np.testing.assert_array_equal(np.asarray(e[1][0]), x[:, :, :, 1])


def test_svhn_errors(tmp_path):
    same_error(lambda: ed.SVHN(tmp_path), lambda: TD.SVHN(tmp_path),
               "Dataset not found or corrupted")
    same_error(lambda: ed.SVHN(tmp_path, split="valid"), lambda: TD.SVHN(tmp_path, "valid"))


SCIPY_FIXTURE = os.path.join(os.path.dirname(__file__), "datasets_svhn_scipy.mat")


def test_matlab_reads_scipy_file():
    # written by scipy.io.savemat(path, {"X": X, "y": y}, do_compression=True) (SciPy 1.17)
    x = (np.arange(8 * 6 * 3 * 4) * 37 % 256).astype(np.uint8).reshape((8, 6, 3, 4), order="F")
    loaded = _matlab.loadmat(SCIPY_FIXTURE)
    assert set(loaded) == {"__header__", "__version__", "__globals__", "X", "y"}
    assert loaded["__version__"] == "1.0" and loaded["__globals__"] == []
    same_array(loaded["X"], x, "X")
    same_array(loaded["y"], np.array([[10.0], [1.0], [5.0], [10.0]]), "y")
    assert list(_matlab.loadmat(SCIPY_FIXTURE, variable_names=["y"])) == [
        "__header__", "__version__", "__globals__", "y"]


MAT_VALUES = {"u8": np.arange(24, dtype=np.uint8).reshape(2, 3, 4),
              "f32": np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2),
              "i64": np.arange(-3, 3, dtype=np.int64).reshape(2, 3),
              "c128": np.array([[1 + 2j, -3.5j]]), "b": np.array([[True, False, True]]),
              "row": np.arange(5, dtype=np.int16), "s": np.array("house numbers"),
              "empty": np.zeros((0, 3))}


@pytest.mark.parametrize("compressed", [False, True])
def test_matlab_round_trip(tmp_path, compressed):
    path = tmp_path / "v.mat"
    _matlab.savemat(path, MAT_VALUES, do_compression=compressed)
    loaded = _matlab.loadmat(path)
    for name, value in MAT_VALUES.items():
        if value.dtype.kind == "U":
            same_array(loaded[name], np.array([str(value)]), name)
        else:
            expected = value.astype(np.uint8) if value.dtype == bool else value
            same_array(loaded[name], expected.reshape(value.shape if value.ndim > 1 else (1, -1)),
                       name)
    assert _matlab.loadmat(path, mat_dtype=True)["b"].dtype == np.bool_
    try:  # the writer's files are read by SciPy too, where it is installed
        import scipy.io
    except ImportError:
        return
    for name, value in scipy.io.loadmat(path).items():
        if not name.startswith("__"):
            same_array(value, loaded[name], name)


def test_matlab_declared_class(tmp_path):
    path = tmp_path / "y.mat"
    _matlab.savemat(path, {"y": np.array([[3], [10]], np.uint8)}, mat_classes={"y": "double"})
    same_array(_matlab.loadmat(path)["y"], np.array([[3], [10]], np.uint8), "stored")
    same_array(_matlab.loadmat(path, mat_dtype=True)["y"], np.array([[3.0], [10.0]]), "class")


def test_matlab_unsupported(tmp_path):
    (tmp_path / "h5.mat").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(600))
    with pytest.raises(NotImplementedError, match="v7.3"):
        _matlab.loadmat(tmp_path / "h5.mat")
    (tmp_path / "junk.mat").write_bytes(bytes(200))
    with pytest.raises(ValueError, match="not a MATLAB"):
        _matlab.loadmat(tmp_path / "junk.mat")


# -------------------------------------------------------------- ImageFolder / DatasetFolder


@pytest.fixture(scope="module")
def image_root(tmp_path_factory):
    return fmt.write_image_folder(tmp_path_factory.mktemp("folder"))


def test_image_folder(image_root):
    with pytest.raises(FileNotFoundError) as t_info:
        TD.ImageFolder(image_root)
    with pytest.raises(FileNotFoundError) as e_info:
        ed.ImageFolder(image_root)
    assert str(e_info.value) == str(t_info.value) and "empty" in str(e_info.value)
    e, t = ed.ImageFolder(image_root, allow_empty=True), TD.ImageFolder(image_root,
                                                                        allow_empty=True)
    same_dataset(e, t, attrs=("classes", "class_to_idx", "samples", "targets", "imgs",
                              "extensions"))
    assert [os.path.basename(p) for p, _ in e.samples] == [
        "z.png", "a.png", "b.PNG", "c.png", "x.png", "y.png"]
    assert {e[i][0].mode for i in range(len(e))} == {"RGB"}


def test_image_folder_transforms(image_root):
    made = {lib: mod.ImageFolder(image_root, transform=normalize(tr, 0.4),
                                 target_transform=lambda y: -y, allow_empty=True)
            for lib, (mod, tr) in VISION.items()}
    same_dataset(made["ember"], made["torch"], check_repr=False)


def test_image_folder_is_valid_file(image_root):
    def valid(path):
        return path.endswith(".png") and "nested" not in path

    e, t = ed.ImageFolder(image_root, is_valid_file=valid, allow_empty=True), TD.ImageFolder(
        image_root, is_valid_file=valid, allow_empty=True)
    same_dataset(e, t, attrs=("samples", "extensions"))


def test_dataset_folder_custom_loader_and_classes(tmp_path):
    for cls, n in (("a", 2), ("b", 1), ("c", 1)):
        (tmp_path / cls).mkdir()
        for i in range(n):
            np.save(tmp_path / cls / f"{i}.npy", np.full((2, 2), i + ord(cls)))

    def subclass(base):
        class TwoClasses(base):
            def find_classes(self, directory):
                return ["a", "c"], {"a": 0, "c": 1}
        return TwoClasses

    made = {}
    for lib, (mod, _) in VISION.items():
        made[lib] = subclass(mod.DatasetFolder)(tmp_path, loader=np.load, extensions=(".npy",))
    e, t = made["ember"], made["torch"]
    assert (e.classes, e.class_to_idx, e.samples, e.targets) == (
        t.classes, t.class_to_idx, t.samples, t.targets)
    for i in range(len(t)):
        np.testing.assert_array_equal(e[i][0], t[i][0])
        assert e[i][1] == t[i][1]
    assert repr(e) == repr(t)


def test_folder_functions_and_errors(image_root, tmp_path):
    assert ed.folder.find_classes(image_root) == TD.folder.find_classes(image_root)
    for kwargs in (dict(extensions=(".png",), allow_empty=True),
                   dict(extensions=".png", allow_empty=True),
                   dict(is_valid_file=lambda p: "a" in os.path.basename(p), allow_empty=True),
                   dict(class_to_idx={"dog": 1, "missing": 0}, extensions=(".png",),
                        allow_empty=True)):
        assert ed.folder.make_dataset(image_root, **kwargs) == TD.folder.make_dataset(
            image_root, **kwargs)
    for kwargs in (dict(), dict(extensions=(".png",), is_valid_file=bool),
                   dict(class_to_idx={}, extensions=".png"), dict(extensions=(".png", ".jpg"))):
        same_error(lambda k=kwargs: ed.folder.make_dataset(image_root, **k),
                   lambda k=kwargs: TD.folder.make_dataset(image_root, **k))
    same_error(lambda: ed.DatasetFolder.make_dataset(image_root, None, extensions=".png"),
               lambda: TD.DatasetFolder.make_dataset(image_root, None, extensions=".png"))
    same_error(lambda: ed.ImageFolder(tmp_path), lambda: TD.ImageFolder(tmp_path))
    assert ed.folder.IMG_EXTENSIONS == TD.folder.IMG_EXTENSIONS
    for name in ("a.PNG", "b.jpeg", "c.txt", "d.tiff", "e.webp", "f"):
        assert ed.folder.is_image_file(name) == TD.folder.is_image_file(name)


# ------------------------------------------------------------------ FakeData, VisionDataset


@pytest.mark.parametrize("kwargs", [dict(size=5, image_size=(3, 6, 7)),
                                    dict(size=3, image_size=(1, 9, 4), num_classes=3),
                                    dict(size=4, image_size=(3, 5, 5), random_offset=100)])
def test_fakedata(kwargs):
    e, t = ed.FakeData(**kwargs), TD.FakeData(**kwargs)
    ember.manual_seed(7)
    torch.manual_seed(7)
    same_dataset(e, t)
    # each item restores the global generator's state
    compare(ember.rand(3), torch.rand(3))


def test_fakedata_transforms_and_errors():
    made = {lib: mod.FakeData(size=3, image_size=(3, 4, 5), transform=normalize(tr))
            for lib, (mod, tr) in VISION.items()}
    same_dataset(made["ember"], made["torch"], check_repr=False)
    same_error(lambda: ed.FakeData(size=2)[2], lambda: TD.FakeData(size=2)[2],
               "FakeData index out of range")


class _Shift:
    def __call__(self, x):
        return x

    def __repr__(self):
        return "Shift(\n    by=1\n)"


@pytest.mark.parametrize("kwargs", [dict(), dict(transform=_Shift()),
                                    dict(target_transform=_Shift()),
                                    dict(transform=_Shift(), target_transform=_Shift()),
                                    dict(transforms=_Shift())])
def test_vision_dataset_repr(kwargs):
    class Three:
        def __len__(self):
            return 3

        def extra_repr(self):
            return "Split: x\nMore: y"

    e_cls = type("Three", (Three, ed.VisionDataset), {})
    t_cls = type("Three", (Three, TD.VisionDataset), {})
    for root in ("~/data", None):
        assert repr(e_cls(root, **kwargs)) == repr(t_cls(root, **kwargs))
    e = e_cls("~/data", **kwargs)
    assert e.root == os.path.expanduser("~/data")
    if "transform" in kwargs or "target_transform" in kwargs:
        assert e.transforms(1, 2) == (1, 2)


def test_vision_dataset_errors():
    same_error(lambda: ed.VisionDataset("r", transforms=_Shift(), transform=_Shift()),
               lambda: TD.VisionDataset("r", transforms=_Shift(), transform=_Shift()))
    for method in ("__len__", "__getitem__"):
        with pytest.raises(NotImplementedError):
            getattr(ed.VisionDataset("r"), method)(*([0] if method == "__getitem__" else []))


def test_dataloader_batches(tmp_path):
    fmt.write_mnist_family(tmp_path / "MNIST" / "raw", train_n=10)
    batches = {}
    for lib, (mod, tr), base in (("ember", VISION["ember"], ember), ("torch", VISION["torch"],
                                                                      torch)):
        dataset = mod.MNIST(tmp_path, transform=tr.ToTensor())
        loader = base.utils.data.DataLoader(dataset, batch_size=4)
        batches[lib] = [tuple(batch) for batch in loader]
    compare(batches["ember"], batches["torch"])


# ------------------------------------------------------------------------------ downloads


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A local HTTP server over a folder of archives in the real formats."""
    site = tmp_path_factory.mktemp("site")
    fmt.write_mnist_family(site / "mnist", suffix=".gz")
    fmt.write_mnist_family(site / "emnist" / "gzip", suffix=".gz",
                           prefix=("emnist-digits-train", "emnist-digits-test"))
    fmt.zip_folder(site / "emnist" / "gzip", site / "gzip.zip", "gzip")
    folder, sums = fmt.write_cifar(site / "cifar")
    fmt.tar_gz(folder, site / "cifar-10-python.tar.gz")
    fmt.write_qmnist(site / "qmnist", "train", n=4, suffix=".gz")
    fmt.write_qmnist(site / "qmnist", "nist", n=3, suffix=".xz")
    fmt.write_svhn(site / "test_32x32.mat")
    with fmt.serve(site) as url:
        yield types.SimpleNamespace(url=url, site=site, cifar_sums=sums)


def _mnist_resources(server):
    return [(name, fmt.md5(server.site / "mnist" / name)) for name, _ in ed.MNIST.resources]


def test_mnist_download(tmp_path, monkeypatch, server):
    resources = _mnist_resources(server)
    dead = fmt.closed_port_url()
    for cls in both("MNIST"):
        monkeypatch.setattr(cls, "mirrors", [dead, server.url + "mnist/"])
        monkeypatch.setattr(cls, "resources", resources)
    e = ed.MNIST(tmp_path / "e", download=True)
    t = TD.MNIST(tmp_path / "t", download=True)
    same_dataset(e, t, attrs=("data", "targets"), check_repr=False)
    raw = sorted(os.listdir(tmp_path / "e" / "MNIST" / "raw"))
    assert raw == sorted(os.listdir(tmp_path / "t" / "MNIST" / "raw")) and len(raw) == 8
    # present files are not fetched again: every mirror may be down now
    monkeypatch.setattr(ed.MNIST, "mirrors", [dead])
    assert len(ed.MNIST(tmp_path / "e", train=False, download=True)) == 5


def test_mnist_download_wrong_md5(tmp_path, monkeypatch, server):
    resources = [(name, "0" * 32) for name, _ in ed.MNIST.resources]
    for cls in both("MNIST"):
        monkeypatch.setattr(cls, "mirrors", [server.url + "mnist/"])
        monkeypatch.setattr(cls, "resources", resources)
    same_error(lambda: ed.MNIST(tmp_path, download=True),
               lambda: TD.MNIST(tmp_path, download=True), "File not found or corrupted.")


def test_mnist_download_offline(tmp_path, monkeypatch):
    dead = [fmt.closed_port_url(), fmt.closed_port_url()]
    monkeypatch.setattr(ed.MNIST, "mirrors", dead)
    with pytest.raises(RuntimeError) as info:
        ed.MNIST(tmp_path, download=True)
    message = str(info.value)
    assert message.startswith("Error downloading train-images-idx3-ubyte.gz:\n")
    assert all(f"Tried {url}, got:\nCould not download {url}" in message for url in dead)
    assert "Connection refused" in message and "network connection" in message


@pytest.mark.parametrize("lib", ["ember", "torch"])
def test_cifar_download(tmp_path, monkeypatch, server, lib):
    cls = dict(zip(("ember", "torch"), both("CIFAR10")))[lib]
    _patch_cifar_md5s(monkeypatch, "CIFAR10", server.cifar_sums)
    archive = server.site / "cifar-10-python.tar.gz"
    monkeypatch.setattr(cls, "url", server.url + archive.name)
    monkeypatch.setattr(cls, "tgz_md5", fmt.md5(archive))
    made = cls(tmp_path, train=False, download=True)
    reference = TD.CIFAR10(server.site / "cifar", train=False)
    assert (tmp_path / archive.name).is_file()
    same_array(made.data, reference.data, "data")
    assert made.targets == reference.targets and made.classes == reference.classes


def test_cifar_download_errors(tmp_path, monkeypatch, server):
    archive = server.site / "cifar-10-python.tar.gz"
    for cls in both("CIFAR10"):
        monkeypatch.setattr(cls, "url", server.url + archive.name)
        monkeypatch.setattr(cls, "tgz_md5", "f" * 32)
    same_error(lambda: ed.CIFAR10(tmp_path / "e", download=True),
               lambda: TD.CIFAR10(tmp_path / "t", download=True), "File not found or corrupted.")
    url = fmt.closed_port_url() + archive.name
    for cls in both("CIFAR10"):
        monkeypatch.setattr(cls, "url", url)
    with pytest.raises(urllib.error.URLError):
        TD.CIFAR10(tmp_path / "t", download=True)
    # torchvision lets the URLError out; Ember's error is both that and a RuntimeError
    with pytest.raises(RuntimeError, match=f"Could not download {url}") as info:
        ed.CIFAR10(tmp_path / "e", download=True)
    assert isinstance(info.value, urllib.error.URLError)
    assert isinstance(info.value.reason, ConnectionRefusedError)
    assert not any(name.endswith(".part") for name in os.listdir(tmp_path / "e"))


def test_emnist_download(tmp_path, monkeypatch, server):
    archive = server.site / "gzip.zip"
    made = {}
    for lib, cls in zip(("ember", "torch"), both("EMNIST")):
        monkeypatch.setattr(cls, "url", server.url + archive.name)
        monkeypatch.setattr(cls, "md5", fmt.md5(archive))
        made[lib] = cls(tmp_path / lib, "digits", train=False, download=True)
    same_dataset(made["ember"], made["torch"], attrs=("data", "targets"), check_repr=False)
    raw = tmp_path / "ember" / "EMNIST" / "raw"
    assert sorted(os.listdir(raw)) == sorted(os.listdir(tmp_path / "torch" / "EMNIST" / "raw"))
    assert not (raw / "gzip").exists()


@pytest.mark.parametrize("what", ["train", "nist"])
def test_qmnist_download(tmp_path, monkeypatch, server, what):
    made = {}
    for lib, cls in zip(("ember", "torch"), both("QMNIST")):
        resources = {key: [(server.url + "qmnist/" + os.path.basename(url),
                            fmt.md5(server.site / "qmnist" / os.path.basename(url))
                            if key == what else md5) for url, md5 in value]
                     for key, value in cls.resources.items()}
        monkeypatch.setattr(cls, "resources", resources)
        made[lib] = cls(tmp_path / lib, what=what, download=True)
    same_dataset(made["ember"], made["torch"], attrs=("data", "targets"), check_repr=False)


def test_svhn_download(tmp_path, monkeypatch, server):
    _scipy_io(monkeypatch)
    served = server.site / "test_32x32.mat"
    made = {}
    for lib, cls in zip(("ember", "torch"), both("SVHN")):
        monkeypatch.setitem(cls.split_list, "test",
                            [server.url + served.name, served.name, fmt.md5(served)])
        made[lib] = cls(tmp_path / lib, split="test", download=True)
    same_dataset(made["ember"], made["torch"], arrays=("data", "labels"), check_repr=False)
    monkeypatch.setitem(ed.SVHN.split_list, "test",
                        [server.url + served.name, served.name, "0" * 32])
    monkeypatch.setitem(TD.SVHN.split_list, "test",
                        [server.url + served.name, served.name, "0" * 32])
    same_error(lambda: ed.SVHN(tmp_path / "e2", split="test", download=True),
               lambda: TD.SVHN(tmp_path / "t2", split="test", download=True),
               "File not found or corrupted.")


def test_download_url_and_integrity(tmp_path, server):
    name = "train-labels-idx1-ubyte.gz"
    source = server.site / "mnist" / name
    digest = fmt.md5(source)
    eutils.download_url(server.url + "mnist/" + name, tmp_path)
    assert (tmp_path / name).read_bytes() == source.read_bytes()
    assert eutils.calculate_md5(tmp_path / name) == TD.utils.calculate_md5(tmp_path / name)
    for md5 in (None, digest, "1" * 32):
        for path in (tmp_path / name, tmp_path / "absent"):
            assert eutils.check_integrity(path, md5) == TD.utils.check_integrity(path, md5)
    # an existing file with the right checksum is kept without asking the server
    eutils.download_url(fmt.closed_port_url() + name, tmp_path, md5=digest)
    with pytest.raises(RuntimeError, match="Could not download"):
        eutils.download_url(fmt.closed_port_url() + name, tmp_path, filename="other.gz")
    with pytest.raises(urllib.error.URLError, match="HTTP Error 404") as info:
        eutils.download_url(server.url + "missing.gz", tmp_path)
    assert isinstance(info.value, RuntimeError)
    assert sorted(os.listdir(tmp_path)) == [name]
    copy = pickle.loads(pickle.dumps(info.value))  # errors cross worker processes pickled
    assert (type(copy), str(copy), copy.url) == (type(info.value), str(info.value),
                                                  info.value.url)


@pytest.mark.parametrize("suffix", [".tar.gz", ".tgz", ".tar", ".tar.xz", ".zip", ".gz",
                                    ".xz", ".bz2"])
def test_extract_archive(tmp_path, suffix):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.bin").write_bytes(bytes(range(200)))
    (src / "b.txt").write_text("hello")
    archive = tmp_path / f"pack{suffix}"
    if suffix == ".zip":
        fmt.zip_folder(src, archive, "src")
    elif ".tar" in suffix or suffix == ".tgz":
        mode = {".tar.gz": "w:gz", ".tgz": "w:gz", ".tar": "w", ".tar.xz": "w:xz"}[suffix]
        import tarfile
        with tarfile.open(archive, mode) as tar:
            tar.add(src, arcname="src")
    else:
        opener = {".gz": "gzip", ".xz": "lzma", ".bz2": "bz2"}[suffix]
        with __import__(opener).open(archive, "wb") as f:
            f.write((src / "a.bin").read_bytes())
    outs = {}
    for lib, module in (("ember", eutils), ("torch", TD.utils)):
        out = tmp_path / lib
        out.mkdir()
        result = module.extract_archive(str(archive), str(out))
        outs[lib] = (result.replace(lib, "LIB"), sorted(
            str(p.relative_to(out)) for p in out.rglob("*")))
    assert outs["ember"] == outs["torch"]
    assert outs["ember"][1]


def test_detect_file_type_and_verify_str_arg():
    for name in ("a.tar.gz", "a.tbz2", "a.zip", "a.xz", "a.tar", "x.y.gz"):
        assert eutils._detect_file_type(name) == TD.utils._detect_file_type(name)
    for name in ("noext", "a.rar"):
        same_error(lambda n=name: eutils._detect_file_type(n),
                   lambda n=name: TD.utils._detect_file_type(n))
    for args in (("a", "arg", ("a", "b")), ("c", "arg", ("a", "b")), (1, "arg"), (1,),
                 ("c", "arg", ("a",), "custom")):
        try:
            expected = TD.utils.verify_str_arg(*args)
        except ValueError:
            same_error(lambda a=args: eutils.verify_str_arg(*a),
                       lambda a=args: TD.utils.verify_str_arg(*a))
        else:
            assert eutils.verify_str_arg(*args) == expected


def test_cifar_worker_processes(tmp_path, monkeypatch):
    _, sums = fmt.write_cifar(tmp_path, per_batch=4)
    _patch_cifar_md5s(monkeypatch, "CIFAR10", sums)
    dataset = ed.CIFAR10(tmp_path, transform=normalize(etransforms))
    batches = {}
    for workers in (0, 2):
        loader = ember.utils.data.DataLoader(dataset, batch_size=6, num_workers=workers)
        batches[workers] = [(x.numpy(), y.numpy()) for x, y in loader]
    assert len(batches[2]) == 4
    for (x0, y0), (x2, y2) in zip(batches[0], batches[2]):
        np.testing.assert_array_equal(x0, x2)
        np.testing.assert_array_equal(y0, y2)
