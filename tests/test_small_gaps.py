"""ember.hub, ember.utils.checkpoint, the in-place view methods (unsqueeze_, squeeze_, t_,
transpose_, swapdims_, swapaxes_, as_strided_) and full's fill-value checks, each against torch."""

import fractions
import functools
import hashlib
import http.server
import pickle
import threading
import warnings

import numpy as np
import pytest
import torch
import torch.utils.checkpoint as tcheck

import ember
import ember.hub
import ember.utils.checkpoint as echeck

# -- hub ----------------------------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def served(tmp_path):
    """A folder served over HTTP on 127.0.0.1 for the duration of a test."""
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture
def homes(tmp_path, monkeypatch):
    """TORCH_HOME pointing at a fresh folder, and each library's set_dir undone afterwards."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(torch.hub, "_hub_dir", None)
    monkeypatch.setattr(ember.hub, "_hub_dir", None)
    return tmp_path / "home"


def _same_state(e_state, t_state):
    assert list(e_state) == list(t_state)
    for key, value in t_state.items():
        if isinstance(value, torch.Tensor):
            assert e_state[key].dtype.name == str(value.dtype).split(".")[1]
            np.testing.assert_array_equal(e_state[key].numpy(), value.numpy())
        else:
            assert e_state[key] == value


def test_hub_is_a_lazy_submodule():
    assert ember.hub.__name__ == "ember.hub" and "hub" in dir(ember) and "hub" in ember.__all__


def test_get_dir_and_set_dir(homes, tmp_path, monkeypatch):
    assert ember.hub.get_dir() == torch.hub.get_dir()
    assert ember.hub.get_dir().startswith(str(homes))
    monkeypatch.delenv("TORCH_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert ember.hub.get_dir() == torch.hub.get_dir()
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert ember.hub.get_dir() == torch.hub.get_dir()
    ember.hub.set_dir("~/somewhere")
    torch.hub.set_dir("~/somewhere")
    assert ember.hub.get_dir() == torch.hub.get_dir()


def test_load_state_dict_from_url_default_cache(served, homes, capsys):
    root, base = served
    torch.save({"w": torch.arange(6.0).reshape(2, 3), "n": torch.tensor([1, 2])}, root / "m.pth")
    e_state = ember.hub.load_state_dict_from_url(base + "m.pth", progress=False)
    e_out = capsys.readouterr().out
    (homes / "hub" / "checkpoints" / "m.pth").unlink()
    t_state = torch.hub.load_state_dict_from_url(base + "m.pth", progress=False)
    assert e_out == capsys.readouterr().out  # 'Downloading: "<url>" to <cached file>'
    _same_state(e_state, t_state)
    # a cached file is read without downloading: the served copy is gone
    (root / "m.pth").unlink()
    _same_state(ember.hub.load_state_dict_from_url(base + "m.pth"),
                torch.hub.load_state_dict_from_url(base + "m.pth"))
    assert capsys.readouterr().out == ""


def test_load_state_dict_from_url_options(served, tmp_path):
    root, base = served
    torch.save({"w": torch.ones(2, dtype=torch.float64)}, root / "a.pth")
    got = []
    for lib, folder in ((ember, "e"), (torch, "t")):
        state = lib.hub.load_state_dict_from_url(
            base + "a.pth", model_dir=str(tmp_path / folder), map_location="cpu", progress=True,
            file_name="renamed.pt", weights_only=True)
        got.append(state)
        assert sorted(p.name for p in (tmp_path / folder).iterdir()) == ["renamed.pt"]
    _same_state(*got)


def test_weights_only_default_matches_torch(served, tmp_path):
    """torch.hub loads with weights_only=False unless told: a pickled non-tensor object loads;
    with weights_only=True both refuse it."""
    root, base = served
    torch.save({"frac": fractions.Fraction(1, 3)}, root / "obj.pth")
    _same_state(ember.hub.load_state_dict_from_url(base + "obj.pth", str(tmp_path / "e")),
                torch.hub.load_state_dict_from_url(base + "obj.pth", str(tmp_path / "t")))
    for lib, folder in ((ember, "e"), (torch, "t")):
        with pytest.raises(pickle.UnpicklingError):
            lib.hub.load_state_dict_from_url(base + "obj.pth", str(tmp_path / folder),
                                             weights_only=True)


def test_hash_prefix_check(served, tmp_path):
    root, base = served
    torch.save({"w": torch.zeros(3)}, root / "blob.pth")
    data = (root / "blob.pth").read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    (root / f"net-{digest[:8]}.pth").write_bytes(data)
    (root / "net-deadbeef.pth").write_bytes(data)
    good = [lib.hub.load_state_dict_from_url(f"{base}net-{digest[:8]}.pth",
                                             str(tmp_path / f"{name}1"), check_hash=True,
                                             progress=False)
            for lib, name in ((ember, "e"), (torch, "t"))]
    _same_state(*good)
    errors = []
    for lib, name in ((ember, "e"), (torch, "t")):
        with pytest.raises(RuntimeError) as info:
            lib.hub.load_state_dict_from_url(f"{base}net-deadbeef.pth", str(tmp_path / name),
                                             check_hash=True, progress=False)
        errors.append(str(info.value))
        assert list((tmp_path / name).iterdir()) == []  # no partial file left behind
    assert errors[0] == errors[1]


def test_download_url_to_file(served, tmp_path):
    root, base = served
    (root / "data.bin").write_bytes(bytes(range(256)) * 1000)
    digest = hashlib.sha256((root / "data.bin").read_bytes()).hexdigest()
    for lib in (ember, torch):
        dst = tmp_path / f"{lib.__name__}.bin"
        lib.hub.download_url_to_file(base + "data.bin", str(dst), hash_prefix=digest[:12],
                                     progress=False)
        assert dst.read_bytes() == (root / "data.bin").read_bytes()
    kinds = []
    for lib in (ember, torch):
        with pytest.raises(Exception) as info:
            lib.hub.download_url_to_file(base + "missing.bin", str(tmp_path / "x.bin"),
                                         progress=False)
        kinds.append(type(info.value))
        assert not (tmp_path / "x.bin").exists()
    assert kinds[0] is kinds[1]  # urllib's HTTPError, not wrapped


@pytest.mark.parametrize("name, args", [("load", ("pytorch/vision", "resnet18")),
                                        ("list", ("pytorch/vision",)),
                                        ("help", ("pytorch/vision", "resnet18"))])
def test_github_entry_points_not_supported(name, args):
    with pytest.raises(NotImplementedError, match=f"ember.hub.{name}"):
        getattr(ember.hub, name)(*args)


# -- checkpoint ---------------------------------------------------------------------------------


def _model(lib):
    lib.manual_seed(3)
    return lib.nn.Sequential(lib.nn.Linear(5, 8), lib.nn.Tanh(), lib.nn.Dropout(0.3),
                             lib.nn.Linear(8, 8), lib.nn.ReLU(), lib.nn.Linear(8, 2))


def _grads(lib, run):
    model = _model(lib)
    lib.manual_seed(11)
    x = lib.randn(4, 5, requires_grad=True)
    out = run(lib, model, x)
    out.backward(lib.linspace(-1, 1, out.numel()).reshape(out.shape))
    return out, [x.grad] + [p.grad for p in model.parameters()]


def _compare(e, t, atol=1e-6):
    for a, b in zip(e, t, strict=True):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=atol)


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_gradients(use_reentrant):
    """Same outputs and gradients as torch, and as without checkpointing; dropout's draws repeat
    in the recomputation."""
    def run(lib, model, x):
        ck = echeck if lib is ember else tcheck
        return ck.checkpoint(model, x, use_reentrant=use_reentrant)

    e_out, e_grads = _grads(ember, run)
    t_out, t_grads = _grads(torch, run)
    _compare([e_out] + e_grads, [t_out] + t_grads)
    plain_out, plain_grads = _grads(ember, lambda lib, model, x: model(x))
    _compare([e_out] + e_grads, [plain_out] + plain_grads)
    assert e_out.grad_fn is not None and e_out.requires_grad


def test_checkpoint_sequential():
    def run(lib, model, x):
        ck = echeck if lib is ember else tcheck
        return ck.checkpoint_sequential(model, 3, x, use_reentrant=True)

    e_out, e_grads = _grads(ember, run)
    t_out, t_grads = _grads(torch, run)
    _compare([e_out] + e_grads, [t_out] + t_grads)


def test_checkpoint_tuple_outputs_and_non_tensor_args():
    got = []
    for lib, ck in ((ember, echeck), (torch, tcheck)):
        a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        out = ck.checkpoint(lambda x, y, k: (x * y * k, (x + y).exp()), a, b, 3.0,
                            use_reentrant=True)
        (out[0].sum() + out[1].sum()).backward()
        got.append([out[0], out[1], a.grad, b.grad])
    _compare(*got)


def _warned(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return [(w.category, str(w.message)) for w in caught]


def test_checkpoint_use_reentrant_default_warns():
    for fn in ("checkpoint", "checkpoint_sequential"):
        messages = []
        for lib, ck in ((ember, echeck), (torch, tcheck)):
            x = lib.ones(2, requires_grad=True)
            args = (lambda v: v * 2, x) if fn == "checkpoint" else ([lambda v: v * 2] * 2, 2, x)
            messages.append(_warned(functools.partial(getattr(ck, fn), *args)))
        assert messages[0] == messages[1] and messages[0]


def test_checkpoint_argument_errors_and_no_grad_warning():
    for lib, ck in ((ember, echeck), (torch, tcheck)):
        x = lib.ones(2, requires_grad=True)
        with pytest.raises(ValueError, match="Unexpected keyword arguments: scale"):
            ck.checkpoint(lambda v, scale: v * scale, x, scale=2.0, use_reentrant=True)
        out = ck.checkpoint(lambda v, scale: v * scale, x, scale=2.0, use_reentrant=False)
        out.sum().backward()
        assert x.grad.tolist() == [2.0, 2.0]
        with pytest.raises(ValueError, match="Unexpected keyword arguments"):
            ck.checkpoint_sequential([lambda v: v], 1, x, use_reentrant=True, other=1)
    messages = [_warned(lambda lib=lib, ck=ck: ck.checkpoint(lambda v: v * 2, lib.ones(2),
                                                             use_reentrant=True))
                for lib, ck in ((ember, echeck), (torch, tcheck))]
    assert messages[0] == messages[1] and messages[0]


def test_utils_exposes_checkpoint():
    assert ember.utils.checkpoint is echeck
    assert torch.utils.checkpoint is tcheck


# -- in-place view methods ----------------------------------------------------------------------

_INPLACE_VIEWS = [
    ("unsqueeze_", (0,), (2, 3)), ("unsqueeze_", (-1,), (2, 3)), ("unsqueeze_", (1,), (2, 3)),
    ("squeeze_", (), (2, 1, 3, 1)), ("squeeze_", (1,), (2, 1, 3)), ("squeeze_", (0,), (2, 1, 3)),
    ("squeeze_", ((1, 3),), (2, 1, 3, 1)), ("t_", (), (2, 3)), ("t_", (), (4,)),
    ("transpose_", (0, 2), (2, 3, 4)), ("swapdims_", (-1, 0), (2, 3)),
    ("swapaxes_", (1, 0), (2, 3)), ("as_strided_", ((3, 2), (1, 3)), (2, 3)),
    ("as_strided_", ((2, 2), (1, 2), 1), (2, 3)),
]


def _version(t):
    # torch's Tensor._version is an int; Ember's is the shared counter object
    return getattr(t._version, "value", t._version)


@pytest.mark.parametrize("name, args, shape", _INPLACE_VIEWS)
def test_inplace_view_metadata(name, args, shape):
    """The tensor itself changes shape and strides, keeps its memory and bumps its version."""
    results = []
    for lib in (ember, torch):
        x = lib.arange(float(np.prod(shape))).reshape(shape)
        version = _version(x)
        out = getattr(x, name)(*args)
        assert out is x and _version(x) == version + 1
        results.append((tuple(x.shape), x.stride(), x.storage_offset(), x.is_contiguous(),
                        x.tolist()))
    assert results[0] == results[1]


@pytest.mark.parametrize("name, args, shape", _INPLACE_VIEWS)
def test_inplace_view_autograd(name, args, shape):
    """On a tensor with history: torch's node name and the same gradients."""
    rng = np.random.default_rng(0)
    data = rng.standard_normal(shape)
    got, weight = [], None
    for lib in (ember, torch):
        leaf = lib.tensor(data, requires_grad=True)
        y = leaf * 2
        getattr(y, name)(*args)
        if weight is None:  # a random upstream gradient, the same for both
            weight = rng.standard_normal(tuple(y.shape))
        (y * lib.tensor(weight)).sum().backward()
        got.append((type(y.grad_fn).__name__, type(y.grad_fn.next_functions[0][0]).__name__,
                    leaf.grad.numpy().copy()))
    assert got[0][:2] == got[1][:2]
    np.testing.assert_allclose(got[0][2], got[1][2])


def test_inplace_view_on_a_view_shares_memory():
    got = []
    for lib in (ember, torch):
        base = lib.zeros(4, 3)
        view = base[1:]
        view.unsqueeze_(0)
        assert view._base is base and _version(view) == _version(base) == 1
        base.add_(1)
        view.t_() if view.dim() <= 2 else view.squeeze_(0).t_()
        view.mul_(3)
        got.append((base.tolist(), view.tolist(), view.stride(), view.storage_offset()))
    assert got[0] == got[1]


def test_inplace_view_errors():
    cases = [
        lambda lib: lib.ones(2, 3, requires_grad=True).unsqueeze_(0),
        lambda lib: lib.ones(2, 3, requires_grad=True)[0].t_(),
        lambda lib: lib.ones(2, 3, 4).t_(),
        lambda lib: lib.ones(2, 3).unsqueeze_(5),
        lambda lib: lib.ones(2, 3).transpose_(0, 2),
        lambda lib: lib.ones(2, 3).as_strided_((3, 3), (3, 1)),
    ]
    for case in cases:
        errors = []
        for lib in (ember, torch):
            with pytest.raises(Exception) as info:
                case(lib)
            errors.append((type(info.value), str(info.value)))
        assert errors[0] == errors[1]


def test_inplace_view_no_grad_on_leaf():
    shapes = []
    for lib in (ember, torch):
        leaf = lib.ones(2, 3, requires_grad=True)
        with lib.no_grad():
            leaf.t_()
        shapes.append((tuple(leaf.shape), leaf.is_leaf, leaf.requires_grad))
    assert shapes[0] == shapes[1]


# -- full's fill value, range's warning ---------------------------------------------------------

_FILLS = [
    ("uint8", 300), ("uint8", -1), ("uint8", -255), ("uint8", -256), ("uint8", 255),
    ("uint8", 2.5), ("uint8", 300.0), ("uint8", -0.5), ("uint8", 255.5), ("uint8", True),
    ("int8", 128), ("int8", -129), ("int8", 127.9), ("int8", -128.0), ("int16", 40000),
    ("int32", 2**31), ("int32", 1e10), ("int32", -0.5), ("int64", 2**63), ("int64", -2**63),
    ("int64", 2**64), ("int64", -2**63 - 1), ("int64", float("inf")), ("int64", float("nan")),
    ("int64", 3 + 0j), ("int64", 9.3e18), ("float16", 1e5), ("float16", 65504.0),
    ("float16", 65519.0), ("float16", 100000), ("float16", float("nan")), ("bfloat16", 1e39),
    ("float32", 1e39), ("float32", 2**64 - 1), ("float32", 2**200), ("float32", 1 + 2j),
    ("float32", 1 + 0j), ("float64", float("inf")), ("float64", -float("inf")), ("bool", 2),
    ("bool", 1 + 1j), ("bool", 0.5), ("complex64", 1e39), ("complex64", complex(1, 1e39)),
    ("complex64", 1 + 2j), ("complex128", 1e300),
]


@pytest.mark.parametrize("dtype, value", _FILLS)
def test_full_fill_value_checks(dtype, value):
    outcomes = []
    for lib in (ember, torch):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                out = lib.full((2,), value, dtype=getattr(lib, dtype))
            outcomes.append(("ok", str(out.dtype).split(".")[1],
                             np.asarray(out.tolist()).tolist()))
        except Exception as err:  # noqa: BLE001 - the class and message are compared
            outcomes.append((type(err).__name__, str(err)))
    if outcomes[1][0] == "ok":
        np.testing.assert_equal(outcomes[0], outcomes[1])
    else:
        assert outcomes[0] == outcomes[1]


def test_full_like_and_tensor_fill_values():
    for make in (lambda lib: lib.full((2,), lib.tensor(300), dtype=lib.uint8),
                 lambda lib: lib.full_like(lib.zeros(2, dtype=lib.uint8), 300)):
        errors = []
        for lib in (ember, torch):
            with pytest.raises(RuntimeError) as info:
                make(lib)
            errors.append(str(info.value))
        assert errors[0] == errors[1]


def test_range_warns_as_torch():
    got = []
    for lib in (ember, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            values = lib.range(0, 3).tolist()
        got.append((values, [(w.category, str(w.message), w.filename) for w in caught]))
    assert got[0] == got[1] and got[0][1]
