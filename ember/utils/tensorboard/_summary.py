"""Summary protocol buffers built as torch.utils.tensorboard.summary builds them.

The messages are tensorboardX's; where tensorboardX's own builders already behave as torch's
(text, PR curves, custom scalars, raw histograms) the writer calls them directly. The builders
here are the ones whose tensorboardX counterparts differ from torch: tags are kept as given
(tensorboardX rewrites some characters), images are clipped, scalars have torch's new style, and
hyperparameters have discrete domains.
"""

from __future__ import annotations

import io
import json
import struct
import wave

import numpy as np
from google.protobuf import struct_pb2
from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata
from tensorboardX.proto.tensor_pb2 import TensorProto
from tensorboardX.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboardX.summary import make_histogram, make_image

import ember
from ember.utils.tensorboard._convert import image_to_hwc_uint8, make_np


def scalar(tag: str, value, new_style: bool = False, double_precision: bool = False) -> Summary:
    """One scalar: ``simple_value``, or with ``new_style`` a float (or double) tensor read by
    the scalars plugin."""
    array = make_np(value).squeeze()
    if array.ndim != 0:
        raise AssertionError(
            f"Tensor should contain one element (0 dimensions). Was given size: {array.size} "
            f"and {array.ndim} dimensions.")
    number = float(array)
    if not new_style:
        return Summary(value=[Summary.Value(tag=tag, simple_value=number)])
    if double_precision:
        proto = TensorProto(double_val=[number], dtype="DT_DOUBLE")
    else:
        proto = TensorProto(float_val=[number], dtype="DT_FLOAT")
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))
    return Summary(value=[Summary.Value(tag=tag, tensor=proto, metadata=metadata)])


def histogram(tag: str, values, bins, max_bins=None) -> Summary:
    """A histogram of ``values`` with NumPy's ``bins`` (torch's bucket trimming)."""
    hist = make_histogram(make_np(values).astype(float), bins, max_bins)
    return Summary(value=[Summary.Value(tag=tag, histo=hist)])


def image(tag: str, tensor, dataformats: str, rescale=1) -> Summary:
    """A PNG image (a batch becomes a grid)."""
    encoded = make_image(image_to_hwc_uint8(tensor, dataformats), rescale=rescale)
    return Summary(value=[Summary.Value(tag=tag, image=encoded)])


def image_boxes(tag: str, tensor, boxes, dataformats: str, rescale=1, labels=None) -> Summary:
    """A PNG image with red boxes (x1, y1, x2, y2) and optional labels drawn on it."""
    encoded = make_image(image_to_hwc_uint8(tensor, dataformats), rescale=rescale,
                         rois=make_np(boxes), labels=labels)
    return Summary(value=[Summary.Value(tag=tag, image=encoded)])


def audio(tag: str, tensor, sample_rate: int = 44100) -> Summary:
    """A mono 16-bit WAV clip from samples in [-1, 1] (louder samples are clipped)."""
    array = make_np(tensor).squeeze()
    if abs(array).max() > 1:
        print("warning: audio amplitude out of range, auto clipped.")
        array = array.clip(-1, 1)
    if array.ndim != 1:
        raise AssertionError("input tensor should be 1 dimensional.")
    array = (array * np.iinfo(np.int16).max).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(array.data)
    clip = Summary.Audio(sample_rate=sample_rate, num_channels=1, length_frames=array.shape[-1],
                         encoded_audio_string=buffer.getvalue(), content_type="audio/wav")
    return Summary(value=[Summary.Value(tag=tag, audio=clip)])


def _half_bits(values) -> list[int]:
    # torch's half_to_int: the float32 bit pattern of each value, read as an int32
    return [struct.unpack("i", struct.pack("f", v))[0] for v in values]


# numpy dtype -> (TensorProto dtype, value field, conversion), torch's _TENSOR_TYPE_MAP
_TENSOR_FIELDS = {
    "float16": ("DT_HALF", "half_val", _half_bits),
    "float32": ("DT_FLOAT", "float_val", list),
    "float64": ("DT_DOUBLE", "double_val", list),
    "int8": ("DT_INT8", "int_val", list),
    "uint8": ("DT_UINT8", "uint32_val", list),
    "int16": ("DT_INT16", "int_val", list),
    "int32": ("DT_INT32", "int_val", list),
    "int64": ("DT_INT64", "int64_val", list),
    "bool": ("DT_BOOL", "bool_val", list),
}


def tensor_proto(tag: str, tensor) -> Summary:
    """The whole tensor, read by the ``tensor`` plugin (torch's ``add_tensor``)."""
    if not isinstance(tensor, ember.Tensor):
        tensor = ember.as_tensor(tensor)
    dtype_name = str(tensor.dtype).split(".")[-1]
    if tensor.dtype is ember.bfloat16:
        entry = ("DT_BFLOAT16", "half_val", _half_bits)
    elif dtype_name in _TENSOR_FIELDS:
        entry = _TENSOR_FIELDS[dtype_name]
    else:
        raise ValueError(f"{tag} has unsupported tensor dtype {tensor.dtype}")
    values = tensor.detach().cpu().float() if entry[2] is _half_bits else tensor.detach().cpu()
    proto_dtype, field, convert = entry
    shape = TensorShapeProto(dim=[TensorShapeProto.Dim(size=d) for d in tensor.shape])
    proto = TensorProto(dtype=proto_dtype, tensor_shape=shape,
                        **{field: convert(values.flatten().tolist())})
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="tensor"))
    return Summary(value=[Summary.Value(tag=tag, metadata=metadata, tensor=proto)])


def hparams(hparam_dict: dict, metric_dict: dict, domain_discrete=None):
    """The three summaries of the hparams plugin: experiment, session start, session end."""
    from tensorboardX.proto.api_pb2 import Experiment, MetricInfo, MetricName, Status
    from tensorboardX.proto.plugin_hparams_pb2 import (
        HParamsPluginData,
        SessionEndInfo,
        SessionStartInfo,
    )

    domain_discrete = _check_hparams(hparam_dict, metric_dict, domain_discrete)
    start = SessionStartInfo()
    infos = [_hparam_info(start, k, v, domain_discrete.get(k))
             for k, v in hparam_dict.items() if v is not None]
    experiment = Experiment(hparam_infos=infos,
                            metric_infos=[MetricInfo(name=MetricName(tag=k)) for k in metric_dict])
    end = SessionEndInfo(status=Status.Value("STATUS_SUCCESS"))
    tags_and_data = [
        ("_hparams_/experiment", HParamsPluginData(experiment=experiment, version=0)),
        ("_hparams_/session_start_info", HParamsPluginData(session_start_info=start, version=0)),
        ("_hparams_/session_end_info", HParamsPluginData(session_end_info=end, version=0)),
    ]
    return tuple(_plugin_summary(tag, "hparams", data.SerializeToString())
                 for tag, data in tags_and_data)


def _check_hparams(hparam_dict, metric_dict, domain_discrete):
    for name, value in (("hparam_dict", hparam_dict), ("metric_dict", metric_dict)):
        if not isinstance(value, dict):
            raise TypeError(f"parameter: {name} should be a dictionary, nothing logged.")
    domain_discrete = domain_discrete or {}
    if not isinstance(domain_discrete, dict):
        raise TypeError(
            "parameter: hparam_domain_discrete should be a dictionary, nothing logged.")
    for k, v in domain_discrete.items():
        if (k not in hparam_dict or not isinstance(v, list)
                or not all(isinstance(d, type(hparam_dict[k])) for d in v)):
            raise TypeError(f"parameter: hparam_domain_discrete[{k}] should be a list of same "
                            f"type as hparam_dict[{k}].")
    return domain_discrete


def _hparam_info(start, name, value, domain):
    from tensorboardX.proto.api_pb2 import DataType, HParamInfo

    # NOTE: torch tests int/float before bool, so a bool is logged as a number (1.0 / 0.0)
    if isinstance(value, ember.Tensor):
        value, domain = float(make_np(value).reshape(-1)[0]), None
    if isinstance(value, (int, float, np.number)):
        start.hparams[name].number_value = float(value)
        kind, field = "DATA_TYPE_FLOAT64", "number_value"
    elif isinstance(value, str):
        start.hparams[name].string_value = value
        kind, field = "DATA_TYPE_STRING", "string_value"
    else:
        raise ValueError("value should be one of int, float, str, bool, or torch.Tensor")
    listed = None
    if domain is not None:
        listed = struct_pb2.ListValue(values=[struct_pb2.Value(**{field: d}) for d in domain])
    return HParamInfo(name=name, type=DataType.Value(kind), domain_discrete=listed)


def _plugin_summary(tag, plugin_name, content, tensor=None):
    metadata = SummaryMetadata(
        plugin_data=SummaryMetadata.PluginData(plugin_name=plugin_name, content=content))
    return Summary(value=[Summary.Value(tag=tag, metadata=metadata, tensor=tensor)])


def mesh(tag: str, vertices, colors, faces, config_dict=None) -> Summary:
    """Vertices, faces and colors (each B x N x 3) for the mesh plugin. The plugin's metadata
    comes from the ``tensorboard`` package (tensorboardX's mesh message lacks its ``components``
    field, without which TensorBoard does not show the mesh)."""
    try:
        from tensorboard.plugins.mesh import metadata
        from tensorboard.plugins.mesh.plugin_data_pb2 import MeshPluginData
    except ImportError as e:
        raise ImportError("add_mesh needs the tensorboard package (pip install tensorboard)") from e
    json_config = "{}" if config_dict is None else json.dumps(config_dict, sort_keys=True)
    parts = [(make_np(t).astype(np.float32), kind) for t, kind in (
        (vertices, MeshPluginData.VERTEX), (faces, MeshPluginData.FACE),
        (colors, MeshPluginData.COLOR)) if t is not None]
    components = metadata.get_components_bitmask([kind for _, kind in parts])
    values = []
    for array, kind in parts:
        if array.ndim != 3:
            raise ValueError(f"Tensor shape should be of shape BxNx3, but got {array.shape}.")
        content = MeshPluginData(version=metadata.get_current_version(), name=tag,
                                 content_type=kind, components=components,
                                 shape=array.shape, json_config=json_config)
        shape = TensorShapeProto(dim=[TensorShapeProto.Dim(size=d) for d in array.shape])
        proto = TensorProto(dtype="DT_FLOAT", float_val=array.reshape(-1).tolist(),
                            tensor_shape=shape)
        value = _plugin_summary(metadata.get_instance_name(tag, kind), "mesh",
                                content.SerializeToString(), proto).value[0]
        values.append(value)
    return Summary(value=values)
