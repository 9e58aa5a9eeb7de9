"""Small data sets in the real on-disk formats (IDX, CIFAR pickle batches, MAT-files, image
folders) and a local HTTP server to download them from, for tests/vision/test_datasets.py."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import os
import pickle
import socket
import tarfile
import threading
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from ember.vision.datasets._idx import write_sn3_pascalvincent_tensor
from ember.vision.datasets._matlab import savemat


def md5(path) -> str:
    """Hex MD5 of a file."""
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def mnist_arrays(n, seed, size=28, classes=10):
    """(images uint8 n x size x size, labels uint8 n) drawn from a seeded generator."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, size, size), dtype=np.uint8)
    return images, rng.integers(0, classes, size=n).astype(np.uint8)


def write_mnist_family(folder, train_n=7, test_n=5, prefix=("train", "t10k"), suffix=""):
    """MNIST's four IDX files (``suffix`` ".gz" compresses them) in ``folder``; returns
    {file name: path}."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for split, n, seed in ((prefix[0], train_n, 1), (prefix[1], test_n, 2)):
        images, labels = mnist_arrays(n, seed)
        for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
            name = f"{split}-{kind}-ubyte{suffix}"
            write_sn3_pascalvincent_tensor(folder / name, array)
            paths[name] = folder / name
    return paths


def write_qmnist(folder, what="test", n=10_003, suffix=""):
    """QMNIST image (n x 2 x 2 uint8) and label (n x 8 int32) IDX files: more than 10,000 rows
    so that test10k and test50k both select something."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, size=(n, 2, 2), dtype=np.uint8)
    labels = rng.integers(0, 10, size=(n, 8)).astype(np.int32)
    stem = "xnist" if what == "nist" else f"qmnist-{what}"
    paths = []
    for kind, array in (("images-idx3-ubyte", images), ("labels-idx2-int", labels)):
        path = folder / f"{stem}-{kind}{suffix}"
        write_sn3_pascalvincent_tensor(path, array)
        paths.append(path)
    return paths


def _pickle(path, obj):
    # protocol 2 and latin-1 byte strings, as the original Python 2 batches
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=2)


def write_cifar(root, hundred=False, per_batch=3):
    """A CIFAR-10 (5 train batches + test batch + batches.meta) or CIFAR-100 (train, test, meta)
    folder under ``root``; returns (folder, {file name: md5})."""
    rng = np.random.default_rng(4)
    folder = Path(root) / ("cifar-100-python" if hundred else "cifar-10-batches-py")
    folder.mkdir(parents=True, exist_ok=True)
    names = ["train", "test"] if hundred else [f"data_batch_{i}" for i in range(1, 6)] + [
        "test_batch"]
    classes = 100 if hundred else 10
    for name in names:
        data = rng.integers(0, 256, size=(per_batch, 3072), dtype=np.uint8)
        labels = rng.integers(0, classes, size=per_batch).tolist()
        entry = {"batch_label": f"batch {name}", "data": data,
                 "filenames": [f"img_{i}.png" for i in range(per_batch)]}
        if hundred:
            entry.update(fine_labels=labels, coarse_labels=[x // 5 for x in labels])
        else:
            entry["labels"] = labels
        _pickle(folder / name, entry)
    if hundred:
        meta = {"fine_label_names": [f"fine_{i}" for i in range(100)],
                "coarse_label_names": [f"coarse_{i}" for i in range(20)]}
        _pickle(folder / "meta", meta)
    else:
        meta = {"label_names": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
                                "horse", "ship", "truck"], "num_cases_per_batch": per_batch,
                "num_vis": 3072}
        _pickle(folder / "batches.meta", meta)
    return folder, {p.name: md5(p) for p in folder.iterdir()}


def tar_gz(folder, archive):
    """``folder`` packed under its own name into a .tar.gz archive."""
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname=Path(folder).name)
    return archive


def write_svhn(path, n=6, seed=5):
    """An SVHN-like MAT-file: X (32 x 32 x 3 x n uint8) and y (n x 1, labels 1..10) declared
    double but stored as uint8, as MATLAB writes the real files; compressed."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, size=(32, 32, 3, n), dtype=np.uint8)
    y = rng.integers(1, 11, size=(n, 1)).astype(np.uint8)
    y[0] = 10
    savemat(path, {"X": x, "y": y}, do_compression=True, mat_classes={"y": "double"})
    return x, y


def write_image_folder(root):
    """Class folders of PNGs (RGB, grey, RGBA, a nested folder, an upper-case extension) plus
    files that are not images, and one class folder holding no image."""
    rng = np.random.default_rng(6)
    layout = {"cat": ["a.png", "b.PNG", "nested/c.png"], "dog": ["x.png", "y.png"],
              "bird": ["z.png"]}
    modes = ["RGB", "L", "RGBA"]
    for k, (cls, files) in enumerate(layout.items()):
        for i, name in enumerate(files):
            path = Path(root) / cls / name
            path.parent.mkdir(parents=True, exist_ok=True)
            h, w = 5 + i, 7 + k
            array = rng.integers(0, 256, size=(h, w, 4), dtype=np.uint8)
            Image.fromarray(array, "RGBA").convert(modes[(i + k) % 3]).save(path)
    (Path(root) / "cat" / "notes.txt").write_text("not an image")
    (Path(root) / "empty").mkdir()
    (Path(root) / "empty" / "readme.md").write_text("no image here")
    (Path(root) / "stray.png").write_bytes((Path(root) / "dog" / "x.png").read_bytes())
    return root


def zip_folder(folder, archive, arcname):
    """Every file under ``folder`` into a zip archive, under ``arcname/``."""
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(Path(folder).iterdir()):
            zf.write(path, f"{arcname}/{path.name}")
    return archive


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@contextlib.contextmanager
def serve(directory):
    """An HTTP server on 127.0.0.1 (a free port) serving ``directory``; yields its base URL
    ending with '/'."""
    handler = functools.partial(_QuietHandler, directory=os.fspath(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def closed_port_url():
    """A URL on 127.0.0.1 whose port was just free: connecting is refused, as when offline."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"

