"""TensorBoard itself, started as a server on the loopback address, serves what Ember wrote:
scalars, an image and the graph, the same as what torch wrote for the same calls."""

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import numpy as np
import pytest
from tb_helpers import LIBS, png_pixels

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

STARTUP_TIMEOUT = 60  # seconds for TensorBoard to start and load the runs


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def tensorboard_server(logdir, log_file):
    port = free_port()
    # the console script's module, so the test needs no PATH lookup
    cmd = [sys.executable, "-m", "tensorboard.main", "--logdir", str(logdir),
           "--host", "127.0.0.1", "--port", str(port), "--reload_interval", "1"]
    with open(log_file, "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONWARNINGS": "ignore"})
    proc.log_file = log_file
    try:
        yield f"http://127.0.0.1:{port}", proc
    finally:
        proc.kill()
        proc.wait(timeout=10)


def fetch(base, path, **params):
    url = f"{base}{path}?{urllib.parse.urlencode(params)}" if params else base + path
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def wait_for(base, proc, path, ready, **params):
    """The response to ``path`` once ``ready(response)`` holds (the server loads runs in the
    background)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            with open(proc.log_file) as log:
                pytest.fail(f"tensorboard exited: {log.read()[-2000:]}")
        with contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError):
            body = fetch(base, path, **params)
            if ready(body):
                return body
        time.sleep(0.25)
    pytest.fail(f"tensorboard did not serve {path} {params} within {STARTUP_TIMEOUT} s")


def write_run(folder, lib, writer_cls):
    image = np.random.RandomState(0).rand(3, 6, 8).astype(np.float32)
    with writer_cls(str(folder)) as w:
        for step in range(5):
            w.add_scalar("loss", lib.tensor(1.0 / (step + 1)), step)
        w.add_image("sample", lib.tensor(image), 3)
        model = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.ReLU())
        w.add_graph(model, lib.randn(4, 3))
    return image


def test_tensorboard_serves_what_ember_wrote(tmp_path):
    logdir = tmp_path / "logs"
    for name, (lib, writer_cls) in LIBS.items():
        image = write_run(logdir / name, lib, writer_cls)
    with tensorboard_server(logdir, tmp_path / "tensorboard.log") as (base, proc):
        scalars = {}
        for run in LIBS:
            body = wait_for(base, proc, "/data/plugin/scalars/scalars",
                            lambda b: len(json.loads(b)) == 5, run=run, tag="loss")
            scalars[run] = [(step, value) for _, step, value in json.loads(body)]
        expected = [(step, float(np.float32(1.0 / (step + 1)))) for step in range(5)]
        assert scalars["ember"] == scalars["torch"] == expected

        pixels = {}
        for run in LIBS:
            body = wait_for(base, proc, "/data/plugin/images/images", lambda b: json.loads(b),
                            run=run, tag="sample", sample=0)
            (entry,) = json.loads(body)
            assert entry["step"] == 3
            png = fetch(base, "/data/plugin/images/individualImage?" + entry["query"])
            pixels[run] = png_pixels(png)
        np.testing.assert_array_equal(pixels["ember"], pixels["torch"])
        np.testing.assert_array_equal(
            pixels["ember"], (image * 255).clip(0, 255).astype(np.uint8).transpose(1, 2, 0))

        graph = wait_for(base, proc, "/data/plugin/graphs/graph", lambda b: b"node" in b,
                         run="ember").decode()
        for name in ("input/input", "output/output.1", "Sequential/Linear[0]/addmm",
                     "Sequential/ReLU[1]/relu"):
            assert f'name: "{name}"' in graph
