"""ember.save / ember.load against torch.save / torch.load, both ways: what Ember writes torch
reads (``weights_only=True``) and vice versa, for state dicts, optimizer state, nested containers,
views sharing storage, non-contiguous views, every dtype, 0-dim and empty tensors, requires_grad
and Parameters; and Ember's files are torch's byte for byte (but for the serialization id)."""

from __future__ import annotations

import io
import math
import struct
import zipfile

import numpy as np
import pytest
from helpers import dtype_name, to_numpy

import ember

torch = pytest.importorskip("torch")

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
          "float64", "complex64", "complex128"]


def data(lib, shape, dtype="float32", seed=0):
    """The same values as a torch or an ember tensor."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(-3, 3, size=shape)
    if dtype.startswith("complex"):
        values = values + 1j * rng.uniform(-3, 3, size=shape)
    elif dtype == "bool":
        values = values > 0
    elif dtype.startswith(("int", "uint")):
        values = np.abs(values * 10).astype(np.int64)
    return lib.tensor(values).to(getattr(lib, dtype))


# -- the cases: each builds the same object with lib=torch or lib=ember ---------------------------


def state_dict(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4)).state_dict()


def optimizer_state(lib):
    group = {"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-08, "weight_decay": 0.0,
             "amsgrad": False, "maximize": False, "foreach": None, "params": [0, 1]}
    state = {i: {"step": lib.tensor(3.0), "exp_avg": data(lib, (2, 3), seed=i),
                 "exp_avg_sq": data(lib, (2, 3), seed=i + 5).abs()} for i in range(2)}
    return {"state": state, "param_groups": [group]}


def nested(lib):
    return {"list": [data(lib, (2,)), (data(lib, (3,), "int64"), {"deep": data(lib, ())})],
            "int": 3, "float": 2.5, "str": "é", "none": None, "bool": True, "big": 2**70,
            "neg": -7, "complex": 1 + 2j, "bytes": b"ab", "set": {1, 2}, "nan": float("nan"),
            "inf": -math.inf, "dtype": lib.float16, "device": lib.device("cpu"),
            "size": lib.Size([2, 3]), "empty": {}, "tuple": ()}


def views(lib, device="cpu"):
    base = lib.arange(24.0).reshape(4, 6).to(device)
    return {"base": base, "T": base.t(), "slice": base[1:, ::2], "row": base[2],
            "elem": base[3, 4], "diag": base.diagonal(),
            "strided": base.as_strided((2, 2), (1, 3), 5),
            "expanded": lib.arange(3.0).to(device)[:, None].expand(3, 4)}


def dtypes(lib):
    out = {}
    for i, name in enumerate(DTYPES):
        out[name] = data(lib, (2, 3), name, seed=i)
        out[name + "_0d"] = data(lib, (), name, seed=i + 20)
        out[name + "_empty"] = data(lib, (0, 2), name)
    return out


def grads(lib):
    param = lib.nn.Parameter(data(lib, (2, 2)))
    leaf = data(lib, (3,)).requires_grad_()
    return {"leaf": leaf, "nonleaf": leaf * 2, "param": param, "again": [param, param],
            "frozen": lib.nn.Parameter(data(lib, (2,)), requires_grad=False),
            "int_param": lib.nn.Parameter(data(lib, (2,), "int64"), requires_grad=False)}


CASES = [state_dict, optimizer_state, nested, views, dtypes, grads]


# -- comparison -----------------------------------------------------------------------------------


def is_tensor(x):
    return isinstance(x, (torch.Tensor, ember.Tensor))


def is_parameter(x):
    return isinstance(x, (torch.nn.Parameter, ember.nn.Parameter))


def assert_loaded(got, want, path="obj"):
    """``got`` (one library's) matches ``want`` (the other's): container types and keys, tensor
    dtype, shape, strides, storage offset, requires_grad, Parameter-ness and exact values."""
    if is_tensor(want):
        assert is_tensor(got), f"{path}: {type(got)}"
        assert dtype_name(got.dtype) == dtype_name(want.dtype), path
        assert tuple(got.shape) == tuple(want.shape), path
        assert tuple(got.stride()) == tuple(want.stride()), path
        assert got.storage_offset() == want.storage_offset(), path
        assert got.requires_grad == want.requires_grad, path
        assert is_parameter(got) == is_parameter(want), path
        np.testing.assert_array_equal(to_numpy(got), to_numpy(want), err_msg=path)
    elif isinstance(want, dict):
        assert type(got).__name__ == type(want).__name__, path
        assert list(got) == list(want), path
        assert getattr(got, "_metadata", None) == getattr(want, "_metadata", None), path
        for key in want:
            assert_loaded(got[key], want[key], f"{path}[{key!r}]")
    elif isinstance(want, (list, tuple)) and type(want).__name__ != "Size":
        assert type(got) is type(want) and len(got) == len(want), path
        for i, (g, w) in enumerate(zip(got, want)):
            assert_loaded(g, w, f"{path}[{i}]")
    elif isinstance(want, (torch.dtype, ember.dtype)):
        assert dtype_name(got) == dtype_name(want), path
    elif isinstance(want, (torch.device, ember.device, torch.Size, ember.Size)):
        assert type(got).__name__ == type(want).__name__ and str(tuple(got) if isinstance(
            want, tuple) else got) == str(tuple(want) if isinstance(want, tuple) else want), path
    elif isinstance(want, float) and math.isnan(want):
        assert isinstance(got, float) and math.isnan(got), path
    else:
        assert type(got) is type(want) and got == want, path


# -- both ways ------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_ember_save_torch_load(case, tmp_path):
    ember.save(case(ember), tmp_path / "ck.pt")
    assert_loaded(torch.load(tmp_path / "ck.pt", weights_only=True), case(torch))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_torch_save_ember_load(case, tmp_path):
    torch.save(case(torch), tmp_path / "ck.pt")
    assert_loaded(ember.load(tmp_path / "ck.pt"), case(torch))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_ember_round_trip(case, tmp_path):
    ember.save(case(ember), tmp_path / "ck.pt")
    assert_loaded(ember.load(tmp_path / "ck.pt"), case(torch))


def without_serialization_id(data):
    """The file with the serialization id's digits and CRCs zeroed: the only bytes where Ember's
    files differ from torch's."""
    info = [i for i in zipfile.ZipFile(io.BytesIO(data)).infolist()
            if i.filename.endswith("/.data/serialization_id")][0]
    name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26:][:4])
    start = info.header_offset + 30 + name_len + extra_len
    out = bytearray(data)
    out[start:start + info.file_size + 16] = bytes(info.file_size + 16)  # digits, descriptor
    entry = data.rfind(b"PK\x01\x02")  # its central directory entry comes last
    out[entry + 16:entry + 20] = bytes(4)
    return bytes(out)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_same_bytes_as_torch(case, tmp_path):
    (tmp_path / "e").mkdir()
    (tmp_path / "t").mkdir()
    ember.save(case(ember), tmp_path / "e" / "model.best.pt")
    torch.save(case(torch), tmp_path / "t" / "model.best.pt")
    ours, theirs = ((tmp_path / d / "model.best.pt").read_bytes() for d in "et")
    assert zipfile.ZipFile(io.BytesIO(ours)).namelist()[0] == "model.best/data.pkl"
    assert without_serialization_id(ours) == without_serialization_id(theirs)


@pytest.mark.parametrize("protocol", [3, 4, 5])
def test_pickle_protocols(protocol):
    """Other protocols: the same pickle as torch's; torch reads it (weights_only=False, as its
    weights-only reader only knows protocol 2) and Ember reads it weights-only."""
    buffers = {}
    for lib in (ember, torch):
        buffers[lib] = io.BytesIO()
        lib.save(nested(lib), buffers[lib], pickle_protocol=protocol)
    ours, theirs = (without_serialization_id(b.getvalue()) for b in buffers.values())
    assert ours == theirs
    assert_loaded(torch.load(io.BytesIO(buffers[ember].getvalue()), weights_only=False),
                  nested(torch))
    assert_loaded(ember.load(io.BytesIO(buffers[torch].getvalue())), nested(torch))


# -- storage sharing ------------------------------------------------------------------------------


def test_views_share_storage_in_torch(tmp_path):
    ember.save(views(ember), tmp_path / "v.pt")
    loaded = torch.load(tmp_path / "v.pt", weights_only=True)
    base = loaded["base"].untyped_storage().data_ptr()
    for key in ("T", "slice", "row", "elem", "diag", "strided"):
        assert loaded[key].untyped_storage().data_ptr() == base, key
    loaded["row"][0] = 123.0
    assert loaded["base"][2, 0] == 123.0
    names = zipfile.ZipFile(tmp_path / "v.pt").namelist()
    assert [n for n in names if "/data/" in n] == ["v/data/0", "v/data/1"]  # base, expanded


@pytest.mark.parametrize("writer", ["torch", "ember"])
def test_views_share_memory_in_ember(writer, tmp_path):
    (torch if writer == "torch" else ember).save(views(torch if writer == "torch" else ember),
                                                 tmp_path / "v.pt")
    loaded = ember.load(tmp_path / "v.pt")
    base = loaded["base"]
    assert loaded["row"].data_ptr() == base.data_ptr() + 12 * 4
    for key in ("T", "slice", "row", "elem", "diag", "strided"):
        assert np.shares_memory(loaded[key].numpy(), base.numpy()), key
    loaded["row"][0] = 123.0
    loaded["T"][5, 0] = -1.0
    assert base[2, 0].item() == 123.0 and base[0, 5].item() == -1.0
    assert loaded["slice"][1, 0].item() == 123.0


def test_same_tensor_twice_loads_as_one_object(tmp_path):
    for lib in (ember, torch):
        lib.save(grads(lib), tmp_path / f"{lib.__name__}.pt")
        for loader in (ember, torch):
            again = loader.load(tmp_path / f"{lib.__name__}.pt")["again"]
            assert again[0] is again[1]


def test_mixed_dtype_views_refused(tmp_path):
    for lib in (ember, torch):
        x = lib.zeros(4)
        with pytest.raises(RuntimeError, match="view the same data as different types"):
            lib.save([x, x.view(lib.int32)], tmp_path / "x.pt")


def test_single_view_keeps_its_storage(tmp_path):
    """A view saved alone still writes its whole storage, with its offset (as torch)."""
    ember.save(ember.arange(10.0)[3:5], tmp_path / "x.pt")
    loaded = torch.load(tmp_path / "x.pt", weights_only=True)
    assert loaded.storage_offset() == 3 and loaded.untyped_storage().nbytes() == 40
    np.testing.assert_array_equal(loaded.numpy(), [3.0, 4.0])


# -- whole objects (weights_only=False) -----------------------------------------------------------


class Holder:
    """A plain user object carrying tensors (module level, so pickle can find it)."""

    def __init__(self, lib):
        self.weight, self.name = data(lib, (2,)), "holder"


def test_whole_module_round_trip(tmp_path):
    ember.manual_seed(0)
    net = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.ReLU(), ember.nn.BatchNorm1d(4))
    ember.save(net, tmp_path / "net.pt")
    loaded = ember.load(tmp_path / "net.pt", weights_only=False)
    assert isinstance(loaded, ember.nn.Sequential) and isinstance(loaded[0].weight,
                                                                   ember.nn.Parameter)
    assert_loaded(loaded.state_dict(), net.state_dict())
    x = data(ember, (5, 3))
    np.testing.assert_array_equal(loaded.eval()(x).detach().numpy(), net.eval()(x).detach().numpy())


def test_torch_module_loads_as_ember_module(tmp_path):
    """torch's class names map to Ember's classes of the same path."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU())
    torch.save(net, tmp_path / "net.pt")
    loaded = ember.load(tmp_path / "net.pt", weights_only=False)
    assert isinstance(loaded, ember.nn.Sequential) and isinstance(loaded[0], ember.nn.Linear)
    assert_loaded(loaded.state_dict(), net.state_dict())


def test_user_object_needs_weights_only_false(tmp_path):
    ember.save(Holder(ember), tmp_path / "h.pt")
    with pytest.raises(Exception, match="Weights only load failed") as ours:
        ember.load(tmp_path / "h.pt")
    with pytest.raises(Exception) as theirs:
        torch.load(tmp_path / "h.pt")
    assert ours.type is theirs.type
    loaded = ember.load(tmp_path / "h.pt", weights_only=False)
    assert loaded.name == "holder" and isinstance(loaded.weight, ember.Tensor)
    with ember.serialization.safe_globals([Holder]):
        assert ember.load(tmp_path / "h.pt").name == "holder"
    assert Holder not in ember.serialization.get_safe_globals()


def test_pickle_module_argument(tmp_path):
    import pickle

    ember.save({"a": data(ember, (2,))}, tmp_path / "p.pt", pickle_module=pickle)
    assert_loaded(ember.load(tmp_path / "p.pt", pickle_module=pickle), {"a": data(torch, (2,))})
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="explicit pickle_module"):
            lib.load(tmp_path / "p.pt", pickle_module=pickle, weights_only=True)
