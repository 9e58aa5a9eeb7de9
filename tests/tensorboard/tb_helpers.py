"""Write the same calls through Ember's and torch's SummaryWriter, read both logs back with
TensorBoard's EventAccumulator and compare what TensorBoard would show (not the bytes)."""

from __future__ import annotations

import collections
import io
import os
import re

import numpy as np
import pytest

pytest.importorskip("tensorboardX")
pytest.importorskip("tensorboard")
torch = pytest.importorskip("torch")
torch_tb = pytest.importorskip("torch.utils.tensorboard")

from tensorboard.backend.event_processing.event_accumulator import (  # noqa: E402
    EventAccumulator,
)
from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData  # noqa: E402
from tensorboard.util.tensor_util import make_ndarray  # noqa: E402

import ember  # noqa: E402
from ember.utils import tensorboard as ember_tb  # noqa: E402

LIBS = {"ember": (ember, ember_tb.SummaryWriter), "torch": (torch, torch_tb.SummaryWriter)}
# keep every event (the accumulator samples long series by default)
EVERYTHING = {"compressedHistograms": 0, "images": 0, "audio": 0, "scalars": 0,
              "histograms": 0, "tensors": 0}


def write_both(tmp_path, fn, **writer_kwargs):
    """Run ``fn(writer, lib)`` with Ember's writer on ``tmp/ember`` and torch's on
    ``tmp/torch``; return the two log folders."""
    folders = []
    for name, (lib, writer_cls) in LIBS.items():
        folder = tmp_path / name
        with writer_cls(str(folder), **writer_kwargs) as writer:
            fn(writer, lib)
        folders.append(folder)
    return folders


def load(folder):
    """TensorBoard's view of one run folder."""
    return EventAccumulator(str(folder), size_guidance=EVERYTHING).Reload()


def png_pixels(encoded):
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(encoded)))


def assert_same_run(ember_folder, torch_folder, expect=None, rtol=0.0):
    """The two folders hold the same tags, steps and contents. ``expect``: tag kinds that must
    not be empty (so a comparison of two empty runs cannot pass); ``rtol``: the tolerance for
    scalar and tensor values computed by a model (exact by default)."""
    mine, ref = load(ember_folder), load(torch_folder)
    # torch writes an empty run-metadata record ("step1") beside a graph; Ember writes none
    # (tensorboardX has no RunMetadata message), and TensorBoard shows the graph without it
    assert {**mine.Tags(), "run_metadata": None} == {**ref.Tags(), "run_metadata": None}
    assert mine.Tags()["run_metadata"] == []
    for kind in expect or ():
        found = ref.Tags()[kind] if kind in ref.Tags() else plugin_contents(ref, kind)
        assert found, f"no {kind} in the reference run"
    for kind, compare in _COMPARERS.items():
        for tag in ref.Tags()[kind]:
            compare(mine, ref, tag, rtol)
    for plugin in PLUGINS:
        contents = plugin_contents(ref, plugin)
        assert plugin_contents(mine, plugin).keys() == contents.keys()
        for tag in contents:
            assert_same_metadata(mine.SummaryMetadata(tag), ref.SummaryMetadata(tag))
    return mine, ref


PLUGINS = ["scalars", "text", "pr_curves", "hparams", "custom_scalars", "mesh", "tensor"]


def plugin_contents(accumulator, plugin):
    """{tag: content} of one plugin's summaries (hparams summaries carry no value, so they
    are only found here)."""
    try:
        return accumulator.PluginTagToContent(plugin)
    except KeyError:
        return {}


def _scalars(mine, ref, tag, rtol):
    a, b = mine.Scalars(tag), ref.Scalars(tag)
    assert [s.step for s in a] == [s.step for s in b]
    if rtol:
        np.testing.assert_allclose([s.value for s in a], [s.value for s in b], rtol=rtol)
    else:
        assert [s.value for s in a] == [s.value for s in b]


def _histograms(mine, ref, tag, rtol):
    assert [(h.step, h.histogram_value) for h in mine.Histograms(tag)] == [
        (h.step, h.histogram_value) for h in ref.Histograms(tag)]


def _images(mine, ref, tag, rtol):
    a, b = mine.Images(tag), ref.Images(tag)
    assert [(i.step, i.width, i.height) for i in a] == [(i.step, i.width, i.height) for i in b]
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(png_pixels(x.encoded_image_string),
                                      png_pixels(y.encoded_image_string))


def _audio(mine, ref, tag, rtol):
    fields = lambda a: (a.step, a.content_type, a.sample_rate, a.length_frames,
                        a.encoded_audio_string)
    assert [fields(a) for a in mine.Audio(tag)] == [fields(a) for a in ref.Audio(tag)]


def _tensors(mine, ref, tag, rtol):
    a, b = mine.Tensors(tag), ref.Tensors(tag)
    assert [t.step for t in a] == [t.step for t in b]
    for x, y in zip(a, b, strict=True):
        u, v = make_ndarray(x.tensor_proto), make_ndarray(y.tensor_proto)
        assert u.dtype == v.dtype and u.shape == v.shape
        if rtol and u.dtype.kind == "f":
            np.testing.assert_allclose(u, v, rtol=rtol, atol=rtol)
        else:
            np.testing.assert_array_equal(u, v)
    assert_same_metadata(mine.SummaryMetadata(tag), ref.SummaryMetadata(tag))


def assert_same_metadata(mine, ref):
    """Same plugin and plugin content (hparams content parsed: its maps have no fixed order)."""
    assert mine.plugin_data.plugin_name == ref.plugin_data.plugin_name
    if ref.plugin_data.plugin_name == "hparams":
        assert HParamsPluginData.FromString(mine.plugin_data.content) == \
            HParamsPluginData.FromString(ref.plugin_data.content)
    else:
        assert mine.plugin_data.content == ref.plugin_data.content


_COMPARERS = {"scalars": _scalars, "histograms": _histograms, "images": _images,
              "audio": _audio, "tensors": _tensors}


def as_lib(lib, array, **kwargs):
    """``array`` as a tensor of ``lib`` (ember or torch)."""
    return lib.tensor(np.asarray(array), **kwargs)


# torch's JIT op -> the autograd node Ember records for it
ALIASES = {"linear": "addmm", "_convolution": "convolution", "flatten": "view",
           "max_pool2d": "max_pool2d_with_indices"}


def shapes(node):
    return [tuple(d.size for d in s.dim) for s in node.attr["_output_shapes"].list.shape]


def scope(name):
    return name.rsplit("/", 1)[0]


def key(node):
    """What identifies a node across the two graphs: its scope and op, or its IO name
    (without torch's debug-name suffix)."""
    if node.op == "IO Node":
        return ("io", re.sub(r"\.\d+$", "", node.name) if node.name.startswith("input/")
                else node.name)
    op = node.op.split("::")[1]
    return (scope(node.name), ALIASES.get(op, op))


def graph_summary(graph_def, torch_scopes):
    """(compute nodes with shapes, edges, parameters) of a GraphDef: what Ember's and torch's
    graphs of one model share (see test_tb_graph.py)."""
    by_name = {n.name: n for n in graph_def.node}
    kept = {n.name: n for n in graph_def.node if n.op == "IO Node" or n.op.startswith("aten::")}

    def sources(name, seen=()):
        # the kept nodes feeding ``name``, through any prim:: nodes in between
        found = []
        for raw in by_name[name].input:
            src = raw.split(":")[0]
            if src in kept:
                found.append(src)
            elif src in by_name and src not in seen:
                found += sources(src, (*seen, src))
        return found

    # the first output's shape (Ember's max pooling also outputs its indices)
    nodes = collections.Counter((key(n), tuple(shapes(n)[:1])) for n in kept.values())
    edges = collections.Counter((key(kept[s]), key(n))
                                for n in kept.values() for s in sources(n.name))
    params = set()
    for n in graph_def.node:
        if n.op == "prim::GetAttr":
            attr = re.search(r"name :\s+(\w+)", n.attr["attr"].s.decode()).group(1)
            # torch names a parameter <scope>/<attr>/<debug name>
            owner = scope(scope(n.name)) if torch_scopes else scope(n.name)
            params.add((owner, attr))
    return nodes, edges, params


def files_under(folder):
    return sorted(os.path.relpath(os.path.join(root, f), folder)
                  for root, _, names in os.walk(folder) for f in names
                  if not f.startswith("events.out"))


def projector_config(folder):
    from google.protobuf import text_format
    from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig

    with open(os.path.join(folder, "projector_config.pbtxt")) as f:
        return text_format.Parse(f.read(), ProjectorConfig())


def assert_same_projector(e, t):
    assert files_under(e) == files_under(t)
    config = projector_config(t)
    assert projector_config(e) == config
    assert len(config.embeddings) > 0
    for name in files_under(t):
        if name.endswith(".png"):
            np.testing.assert_array_equal(png_pixels((e / name).read_bytes()),
                                          png_pixels((t / name).read_bytes()))
        elif name != "projector_config.pbtxt":  # compared parsed above
            assert (e / name).read_bytes() == (t / name).read_bytes(), name
