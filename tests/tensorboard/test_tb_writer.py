"""SummaryWriter's add_* calls against torch.utils.tensorboard: same calls, same inputs, read back
with TensorBoard's EventAccumulator."""

import os
import re
import time
from datetime import datetime

import numpy as np
import pytest
from tb_helpers import LIBS, as_lib, assert_same_run, load, png_pixels, torch, write_both

import ember
from ember.utils.tensorboard import SummaryWriter


def subfolders(folder):
    return sorted(p.name for p in folder.iterdir() if p.is_dir())


def rand(*shape, seed=0):
    return np.random.RandomState(seed).rand(*shape).astype(np.float32)


# -- folders, files, lifecycle ----------------------------------------------------------------


def test_default_log_dir_is_torchs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    dirs = {}
    for name, (_, writer_cls) in LIBS.items():
        with writer_cls(comment="_lr0.1") as w:
            dirs[name] = w.get_logdir()
    pattern = r"runs/(\w{3}\d{2}_\d{2}-\d{2}-\d{2})_(.+)_lr0\.1"
    (stamp_e, host_e), (stamp_t, host_t) = (re.fullmatch(pattern, d).groups()
                                            for d in (dirs["ember"], dirs["torch"]))
    assert host_e == host_t
    parse = lambda s: datetime.strptime(s, "%b%d_%H-%M-%S")
    assert abs((parse(stamp_e) - parse(stamp_t)).total_seconds()) <= 2
    assert os.path.isdir(dirs["ember"])


def test_event_file_name_and_suffix(tmp_path):
    names = {}
    for name, (_, writer_cls) in LIBS.items():
        with writer_cls(str(tmp_path / name), filename_suffix=".v1") as w:
            w.add_scalar("x", 1.0)
        names[name] = os.listdir(tmp_path / name)
    shape = lambda n: re.sub(r"\d+", "N", n.replace(os.uname().nodename, "HOST"))
    assert [shape(n) for n in names["ember"]] == [shape(n) for n in names["torch"]]
    assert names["ember"][0].endswith(".v1")


def next_second():
    # TensorBoard reads a folder's event files in name order, and names start with the time in
    # whole seconds: a file meant to be read after another must be made in a later second
    time.sleep(1.02 - time.time() % 1)


def test_file_writer_after_close_raises_as_torchs(tmp_path):
    for name, (_, writer_cls) in LIBS.items():
        writer = writer_cls(str(tmp_path / name))
        file_writer = writer.file_writer
        writer.close()
        with pytest.raises(OSError, match="Writer is closed"):
            file_writer.flush()


def test_context_manager_flush_close_and_reopen(tmp_path):
    writers = {}
    for name, (_, writer_cls) in LIBS.items():
        with writer_cls(str(tmp_path / name)) as w:
            w.add_scalar("a", 1.0, 0)
            w.flush()
            assert [s.value for s in load(w.get_logdir()).Scalars("a")] == [1.0]  # visible now
        w.close()  # a second close does nothing
        writers[name] = w
    next_second()
    for w in writers.values():
        w.add_scalar("a", 2.0, 1)  # reopens: a second file in the same folder
        w.close()
    e, t = tmp_path / "ember", tmp_path / "torch"
    assert len(os.listdir(e)) == len(os.listdir(t)) == 2
    mine, _ = assert_same_run(e, t, expect=["scalars"])
    assert [(s.step, s.value) for s in mine.Scalars("a")] == [(0, 1.0), (1, 2.0)]


def test_flush_secs_flushes_in_the_background(tmp_path):
    writers = [writer_cls(str(tmp_path / name), flush_secs=0.2)
               for name, (_, writer_cls) in LIBS.items()]
    for w in writers:
        w.add_scalar("a", 1.0, 0)
        w.add_scalar("a", 2.0, 1)
    time.sleep(0.7)
    try:
        mine, _ = assert_same_run(tmp_path / "ember", tmp_path / "torch", expect=["scalars"])
        assert [s.value for s in mine.Scalars("a")] == [1.0, 2.0]
    finally:
        for w in writers:
            w.close()


def test_purge_step_hides_later_steps_of_earlier_files(tmp_path):
    for name, (_, writer_cls) in LIBS.items():
        with writer_cls(str(tmp_path / name)) as w:
            for step in range(10):
                w.add_scalar("loss", float(step), step)
    next_second()
    for name, (_, writer_cls) in LIBS.items():
        with writer_cls(str(tmp_path / name), purge_step=5) as w:
            for step in range(5, 8):
                w.add_scalar("loss", 100.0 + step, step)
    mine, _ = assert_same_run(tmp_path / "ember", tmp_path / "torch", expect=["scalars"])
    assert [(s.step, s.value) for s in mine.Scalars("loss")] == [
        (0, 0.0), (1, 1.0), (2, 2.0), (3, 3.0), (4, 4.0), (5, 105.0), (6, 106.0), (7, 107.0)]


# -- scalars ----------------------------------------------------------------------------------


@pytest.mark.parametrize("new_style, double_precision", [(False, False), (True, False),
                                                         (True, True)])
def test_add_scalar_value_kinds(tmp_path, new_style, double_precision):
    def fn(w, lib):
        kw = dict(new_style=new_style, double_precision=double_precision)
        w.add_scalar("tensor0d", lib.tensor(0.1234567), 0, **kw)
        w.add_scalar("tensor0d", lib.tensor([2.5], requires_grad=True) * 2, 1, **kw)
        w.add_scalar("python", 3, 0, **kw)
        w.add_scalar("python", 1 / 3, 5, **kw)
        w.add_scalar("numpy", np.float64(np.pi), 0, **kw)
        w.add_scalar("numpy", np.array([[7.0]]), 1, **kw)
        w.add_scalar("int_tensor", lib.tensor(42), 2, walltime=123.0, **kw)
        w.add_scalar("a/b c", 1.0, **kw)  # a tag kept as given

    e, t = write_both(tmp_path, fn)
    assert_same_run(e, t, expect=["tensors" if new_style else "scalars"])


def test_add_scalar_rejects_more_than_one_value(tmp_path):
    for name, (lib, writer_cls) in LIBS.items():
        with writer_cls(str(tmp_path / name)) as w, pytest.raises(AssertionError):
            w.add_scalar("x", lib.tensor([1.0, 2.0]))


def test_add_scalars_writes_one_run_per_key(tmp_path):
    def fn(w, lib):
        for step in range(4):
            w.add_scalars("run/14h", {"xsinx": step * np.sin(step),
                                      "xcosx": lib.tensor(step * np.cos(step)),
                                      "tanx": np.float32(np.tan(step))}, step)
        w.add_scalar("main", 1.0, 0)

    e, t = write_both(tmp_path, fn)
    assert subfolders(e) == subfolders(t) == ["run_14h_tanx", "run_14h_xcosx", "run_14h_xsinx"]
    for sub in subfolders(t):
        assert_same_run(e / sub, t / sub, expect=["scalars"])
    assert_same_run(e, t, expect=["scalars"])


# -- histograms -------------------------------------------------------------------------------


@pytest.mark.parametrize("bins", ["tensorflow", "auto", "fd", 10, [-1.0, 0.0, 0.5, 3.0]])
def test_add_histogram_bins(tmp_path, bins):
    values = np.random.RandomState(1).randn(2, 500).astype(np.float32)

    def fn(w, lib):
        for step in range(3):
            w.add_histogram("w", as_lib(lib, values + step), step, bins=bins)
        w.add_histogram("numpy", values * 3, 0, bins=bins)

    assert_same_run(*write_both(tmp_path, fn), expect=["histograms"])


def test_add_histogram_max_bins_ints_and_raw(tmp_path):
    ints = np.random.RandomState(2).randint(0, 50, size=300)
    counts, limits = np.histogram(ints, bins=np.arange(52))

    def fn(w, lib):
        w.add_histogram("ints", as_lib(lib, ints), 0, bins="auto", max_bins=7)
        w.add_histogram("param", lib.tensor(rand(30), requires_grad=True), 1)
        w.add_histogram_raw("raw", min=float(ints.min()), max=float(ints.max()),
                            num=len(ints), sum=float(ints.sum()),
                            sum_squares=float(ints.dot(ints)), bucket_limits=limits[1:].tolist(),
                            bucket_counts=counts.tolist(), global_step=3)

    assert_same_run(*write_both(tmp_path, fn), expect=["histograms"])


# -- images -----------------------------------------------------------------------------------


def test_add_image_dataformats_and_dtypes(tmp_path):
    chw = rand(3, 10, 12)

    def fn(w, lib):
        w.add_image("chw", as_lib(lib, chw), 0)
        w.add_image("chw", chw * 0.5, 1)  # a NumPy array
        w.add_image("hwc", as_lib(lib, chw.transpose(1, 2, 0)), 0, dataformats="HWC")
        w.add_image("hw", as_lib(lib, chw[0]), 0, dataformats="HW")
        w.add_image("gray", as_lib(lib, chw[:1]), 0)
        w.add_image("rgba", as_lib(lib, rand(4, 5, 6)), 0)
        w.add_image("uint8", as_lib(lib, (chw * 255).astype(np.uint8)), 0)
        w.add_image("clipped", as_lib(lib, chw * 3 - 1), 0)  # outside [0, 1]
        w.add_image("float64", as_lib(lib, chw.astype(np.float64)), 0)
        w.add_image("grad", lib.tensor(chw, requires_grad=True) * 1, 0)

    assert_same_run(*write_both(tmp_path, fn), expect=["images"])


def test_add_image_pixels_are_the_input(tmp_path):
    hwc = (rand(6, 7, 3) * 255).astype(np.uint8)
    with SummaryWriter(str(tmp_path)) as w:
        w.add_image("x", ember.tensor(hwc), 0, dataformats="HWC")
    np.testing.assert_array_equal(png_pixels(load(tmp_path).Images("x")[0].encoded_image_string),
                                  hwc)


def test_add_images_batches(tmp_path):
    batch = rand(11, 3, 5, 4)  # more than 8: two rows of the grid

    def fn(w, lib):
        w.add_images("nchw", as_lib(lib, batch), 0)
        w.add_images("nhwc", as_lib(lib, batch.transpose(0, 2, 3, 1)), 0, dataformats="NHWC")
        w.add_images("gray", as_lib(lib, batch[:3, :1]), 2)
        w.add_images("chw", as_lib(lib, batch[0]), 0, dataformats="CHW")

    assert_same_run(*write_both(tmp_path, fn), expect=["images"])


def test_add_image_with_boxes(tmp_path):
    image = rand(3, 32, 40)
    boxes = np.array([[2, 3, 20, 25], [10, 5, 38, 30]], dtype=np.float32)

    def fn(w, lib):
        w.add_image_with_boxes("boxes", as_lib(lib, image), as_lib(lib, boxes), 0)
        w.add_image_with_boxes("labelled", as_lib(lib, image), as_lib(lib, boxes), 1,
                               labels=["cat", "dog"])

    assert_same_run(*write_both(tmp_path, fn), expect=["images"])


def test_add_figure(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def figure(k):
        fig = plt.figure(figsize=(2, 1.5), dpi=40)
        plt.plot(np.arange(5), np.arange(5) ** k)
        return fig

    def fn(w, lib):
        w.add_figure("one", figure(1), 0)
        w.add_figure("many", [figure(1), figure(2)], 1)

    assert_same_run(*write_both(tmp_path, fn), expect=["images"])


def test_add_audio(tmp_path):
    t = np.linspace(0, 1, 800, dtype=np.float32)

    def fn(w, lib):
        w.add_audio("sine", as_lib(lib, np.sin(2 * np.pi * 440 * t)[None]), 0, sample_rate=800)
        w.add_audio("loud", as_lib(lib, 3 * np.sin(2 * np.pi * 5 * t)), 1)  # clipped

    assert_same_run(*write_both(tmp_path, fn), expect=["audio"])


# -- text, PR curves, hparams, custom scalars, tensors, meshes --------------------------------


def test_add_text(tmp_path):
    def fn(w, lib):
        w.add_text("lstm", "This is an **lstm**", 0)
        w.add_text("lstm", "ünïcode ✓", 10)
        w.add_text("rnn/notes", "", 3)

    assert_same_run(*write_both(tmp_path, fn), expect=["tensors"])


def test_add_pr_curve(tmp_path):
    rs = np.random.RandomState(3)
    labels, predictions = rs.randint(2, size=100), rs.rand(100).astype(np.float32)
    weights = rs.rand(100)

    def fn(w, lib):
        w.add_pr_curve("pr", as_lib(lib, labels), as_lib(lib, predictions), 0)
        w.add_pr_curve("pr", labels, predictions, 1, num_thresholds=20)
        w.add_pr_curve("bool", as_lib(lib, labels.astype(bool)), as_lib(lib, predictions), 0,
                       num_thresholds=300)
        w.add_pr_curve("weighted", labels, predictions, 0, weights=weights)

    assert_same_run(*write_both(tmp_path, fn), expect=["tensors"])


def test_add_pr_curve_raw(tmp_path):
    rs = np.random.RandomState(4)
    counts = [rs.randint(0, 50, size=9).astype(np.float32) for _ in range(4)]
    precision, recall = rs.rand(9).astype(np.float32), rs.rand(9).astype(np.float32)

    def fn(w, lib):
        parts = [as_lib(lib, c) for c in counts] + [as_lib(lib, precision), recall]
        w.add_pr_curve_raw("raw", *parts, global_step=2, num_thresholds=9)

    assert_same_run(*write_both(tmp_path, fn), expect=["tensors"])


def test_add_hparams(tmp_path):
    def fn(w, lib):
        w.add_hparams({"lr": 0.1, "bsize": 16, "optim": "adam", "nesterov": True,
                       "dropout": lib.tensor([0.25]), "skipped": None},
                      {"hparam/accuracy": 0.9, "hparam/loss": lib.tensor(0.3)},
                      hparam_domain_discrete={"optim": ["adam", "sgd"], "bsize": [16, 32]},
                      run_name="trial")
        w.add_hparams({"lr": 0.01}, {"hparam/accuracy": 0.5}, run_name="trial2",
                      global_step=4)

    e, t = write_both(tmp_path, fn)
    assert subfolders(e) == subfolders(t) == ["trial", "trial2"]
    for run in ("trial", "trial2"):
        assert_same_run(e / run, t / run, expect=["scalars", "hparams"])


def test_add_hparams_errors(tmp_path):
    bad_calls = [
        lambda w: w.add_hparams([("lr", 0.1)], {}),
        lambda w: w.add_hparams({"lr": 0.1}, {}, hparam_domain_discrete={"lr": [1]}),
        lambda w: w.add_hparams({"lr": 0.1}, {}, hparam_domain_discrete={"bs": [1.0]}),
    ]
    for call in bad_calls:
        for name, (_, writer_cls) in LIBS.items():
            with writer_cls(str(tmp_path / name)) as w, pytest.raises(TypeError):
                call(w)
    for name, (_, writer_cls) in LIBS.items():
        with writer_cls(str(tmp_path / name)) as w, pytest.raises(ValueError):
            w.add_hparams({"shape": [1, 2]}, {}, run_name="x")


def test_add_custom_scalars(tmp_path):
    layout = {"Taiwan": {"twse": ["Multiline", ["twse/0050", "twse/2330"]]},
              "USA": {"dow": ["Margin", ["dow/aaa", "dow/bbb", "dow/ccc"]]}}

    def fn(w, lib):
        w.add_custom_scalars(layout)
        w.add_custom_scalars_multilinechart(["a", "b"], category="cat", title="multi")
        w.add_custom_scalars_marginchart(["v", "lo", "hi"])

    assert_same_run(*write_both(tmp_path, fn), expect=["tensors"])


def test_add_tensor(tmp_path):
    def fn(w, lib):
        w.add_tensor("f32", as_lib(lib, rand(2, 3)), 0)
        w.add_tensor("f64", as_lib(lib, rand(4).astype(np.float64)), 1)
        w.add_tensor("i64", lib.arange(6).reshape(2, 3), 0)
        w.add_tensor("i32", lib.arange(3, dtype=lib.int32), 0)
        w.add_tensor("bool", lib.tensor([True, False]), 0)

    assert_same_run(*write_both(tmp_path, fn), expect=["tensors"])


def test_add_mesh(tmp_path):
    vertices = np.array([[[1, 1, 1], [-1, -1, 1], [1, -1, -1], [-1, 1, -1]]], dtype=np.float32)
    colors = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 0, 255]]])
    faces = np.array([[[0, 2, 3], [0, 3, 1], [0, 1, 2], [1, 3, 2]]])

    def fn(w, lib):
        w.add_mesh("mesh", as_lib(lib, vertices), as_lib(lib, colors, dtype=lib.int32),
                   as_lib(lib, faces, dtype=lib.int32), global_step=0)
        w.add_mesh("cloud", as_lib(lib, vertices * 2), config_dict={"camera": {"fov": 75}},
                   global_step=1)

    assert_same_run(*write_both(tmp_path, fn), expect=["tensors"])


def test_signatures_match_torchs():
    # torch's methods that this writer has (not: add_video, add_onnx_graph)
    wanted = {"add_scalar", "add_scalars", "add_histogram", "add_histogram_raw", "add_image",
              "add_images", "add_image_with_boxes", "add_figure", "add_audio", "add_text",
              "add_graph",
              "add_embedding", "add_pr_curve", "add_pr_curve_raw", "add_hparams",
              "add_custom_scalars", "add_custom_scalars_multilinechart",
              "add_custom_scalars_marginchart", "add_mesh", "add_tensor", "flush", "close",
              "get_logdir"}
    import inspect

    for name in wanted:
        ours = inspect.signature(getattr(SummaryWriter, name))
        theirs = inspect.signature(getattr(torch.utils.tensorboard.SummaryWriter, name))
        assert list(ours.parameters) == list(theirs.parameters), name
        assert [p.default for p in ours.parameters.values()] == [
            p.default for p in theirs.parameters.values()], name
