"""ember.vision.models against torchvision.models: the same modules (repr, state-dict keys, shapes,
parameter counts), the same initial weights after manual_seed, the same outputs in eval and train
mode (and the same batch-norm statistics) once torchvision's weights are copied in, the weights
API (enums, the hub cache, downloads, the legacy ``pretrained=``) and the fine-tuning flow."""

import functools
import hashlib
import http.server
import threading
import urllib.error
import urllib.request
import warnings

import numpy as np
import pytest
from helpers import dtype_name
from vision_helpers import pil_image, torch, tv

import ember
import ember.vision.models as em
from ember import nn
from ember.vision.models import _hub

tvm = tv.models
tvops = tv.ops


def normal(*shape, seed=0):
    """Fixed float32 test data, whichever tests run before."""
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    # torch's thread pool spins on busy cores; one thread keeps the reference fast
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def no_ember_init(monkeypatch):
    """Ember builds skip the random initialisation (its weights are loaded from torch anyway)."""
    for name in ("uniform_", "normal_", "kaiming_uniform_", "kaiming_normal_", "trunc_normal_"):
        monkeypatch.setattr(ember.nn.init, name, lambda tensor, *args, **kwargs: tensor)


def to_ember_state(module):
    return {k: ember.tensor(v.detach().numpy()) for k, v in module.state_dict().items()}


def assert_same_state(e_model, t_model, rtol=0.0, atol=0.0, buffers_only=False):
    """Same keys in the same order, shapes, dtypes and values (of the buffers only, with
    ``buffers_only``)."""
    e_sd, t_sd = e_model.state_dict(), t_model.state_dict()
    assert list(e_sd) == list(t_sd)
    buffers = {name for name, _ in t_model.named_buffers()}
    for key, t in t_sd.items():
        if buffers_only and key not in buffers:
            continue
        e = e_sd[key]
        assert (tuple(e.shape), dtype_name(e.dtype)) == (tuple(t.shape), dtype_name(t.dtype)), key
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=rtol, atol=atol, err_msg=key)


def assert_close_outputs(e_out, t_out, rtol=1e-4):
    """Tensors (or torchvision's namedtuples of them) equal up to rtol of their largest value."""
    if isinstance(t_out, tuple):
        assert type(e_out).__name__ == type(t_out).__name__ and e_out._fields == t_out._fields
        for e, t in zip(e_out, t_out):
            assert_close_outputs(e, t, rtol)
        return
    e, t = e_out.detach().numpy(), t_out.detach().numpy()
    assert e.shape == t.shape and e.dtype == t.dtype
    np.testing.assert_allclose(e, t, rtol=rtol, atol=rtol * max(1.0, np.abs(t).max()))


def check_forward(e_model, t_model, shape, grad=False):
    """Load torch's state into Ember; compare eval outputs, then train outputs (dropout and
    stochastic depth draw the same numbers after the same seed), the running statistics that
    step leaves and, with ``grad``, every parameter's gradient."""
    e_model.load_state_dict(to_ember_state(t_model))
    x = normal(*shape)
    for training in (False, True):
        e_model.train(training)
        t_model.train(training)
        torch.manual_seed(1)
        ember.manual_seed(1)
        with torch.set_grad_enabled(grad and training):
            t_out = t_model(torch.tensor(x))
        with ember.set_grad_enabled(grad and training):
            e_out = e_model(ember.tensor(x))
        # NOTE: batch statistics of a few values amplify float32 rounding in train mode
        assert_close_outputs(e_out, t_out, rtol=1e-3 if training else 1e-4)
    assert_same_state(e_model, t_model, rtol=1e-3, atol=1e-4, buffers_only=True)
    if grad:
        g = normal(*t_out.shape, seed=1)
        (t_out * torch.tensor(g)).sum().backward()
        (e_out * ember.tensor(g)).sum().backward()
        t_grads = dict(t_model.named_parameters())
        for name, p in e_model.named_parameters():
            assert_close_outputs(p.grad, t_grads[name].grad, rtol=1e-3)


def build_pair(name, seed=0, **kwargs):
    if name in ("googlenet", "inception_v3"):
        kwargs.setdefault("init_weights", True)  # else both warn that the default will change
    torch.manual_seed(seed)
    t_model = tvm.get_model(name, **kwargs)
    ember.manual_seed(seed)
    return em.get_model(name, **kwargs), t_model


# (builder, input shape): small inputs, yet big enough that train-mode batch norm never
# normalizes over two values only (an ill-conditioned comparison)
SMALL = [("resnet18", (2, 3, 64, 64)), ("mobilenet_v2", (2, 3, 64, 64)),
         ("mobilenet_v3_small", (2, 3, 64, 64)), ("squeezenet1_1", (2, 3, 33, 33)),
         ("densenet121", (2, 3, 64, 64)), ("shufflenet_v2_x1_0", (2, 3, 64, 64)),
         ("efficientnet_b0", (2, 3, 64, 64)), ("googlenet", (2, 3, 64, 64))]


@pytest.mark.parametrize("name,shape", SMALL, ids=[n for n, _ in SMALL])
def test_same_initial_weights_and_outputs(name, shape):
    e_model, t_model = build_pair(name, num_classes=10)
    assert_same_state(e_model, t_model)
    check_forward(e_model, t_model, shape, grad=name in ("resnet18", "mobilenet_v3_small"))


# larger models: structure and numbers with torch's weights loaded, Ember's own init skipped
LARGE = [("resnet50", (2, 3, 64, 64), {}), ("resnext50_32x4d", (2, 3, 64, 64), {}),
         ("wide_resnet50_2", (2, 3, 64, 64), {}),
         ("vgg11_bn", (2, 3, 64, 64), {"init_weights": False}), ("alexnet", (2, 3, 63, 63), {}),
         ("squeezenet1_0", (2, 3, 33, 33), {}),
         ("mobilenet_v3_large", (2, 3, 64, 64), {}), ("efficientnet_v2_s", (2, 3, 64, 64), {}),
         ("inception_v3", (2, 3, 107, 107), {"aux_logits": False, "init_weights": False})]


@pytest.mark.parametrize("name,shape,kwargs", LARGE, ids=[n for n, _, _ in LARGE])
def test_outputs_with_torch_weights(name, shape, kwargs, no_ember_init):
    e_model, t_model = build_pair(name, num_classes=10, **kwargs)
    check_forward(e_model, t_model, shape)


def test_inception_v3_aux_logits(no_ember_init):
    """The auxiliary head alone, on the 17x17 maps it sees in a 299x299 forward pass."""
    e_model, t_model = build_pair("inception_v3", num_classes=10, init_weights=False)
    e_model.load_state_dict(to_ember_state(t_model))
    check_forward(e_model.AuxLogits, t_model.AuxLogits, (4, 768, 17, 17))


@pytest.mark.parametrize("name", em.list_models())
def test_structure(name, no_ember_init):
    """Every builder: the same repr, state-dict keys, shapes and dtypes, and the parameter
    count the weights' metadata states (GoogLeNet's weights come without the auxiliary heads)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GoogLeNet's and Inception's init_weights notice
        with torch.device("meta"):
            t_model = tvm.get_model(name)
        e_model = em.get_model(name)
    assert repr(e_model) == repr(t_model)
    e_sd, t_sd = e_model.state_dict(), t_model.state_dict()
    assert [(k, tuple(v.shape), dtype_name(v.dtype)) for k, v in e_sd.items()] == [
        (k, tuple(v.shape), dtype_name(v.dtype)) for k, v in t_sd.items()]
    count = sum(p.numel() for p in e_model.parameters())
    assert count == sum(p.numel() for p in t_model.parameters())
    main = sum(p.numel() for n, p in e_model.named_parameters() if not n.startswith("aux"))
    assert main == em.get_model_weights(name).DEFAULT.meta["num_params"]


@pytest.mark.parametrize("name", em.list_models())
def test_weights_enums(name):
    """Members, URLs, metadata and preprocessing arguments match torchvision's enum."""
    e_enum, t_enum = em.get_model_weights(name), tvm.get_model_weights(name)
    assert e_enum.__name__ == t_enum.__name__
    assert list(e_enum.__members__) == list(t_enum.__members__)
    for member, t_w in t_enum.__members__.items():
        e_w = e_enum[member]
        assert repr(e_w) == repr(t_w) and e_w.url == t_w.url
        for key in ("categories", "num_params", "min_size"):
            assert e_w.meta[key] == t_w.meta[key], key
        e_preset, t_preset = e_w.transforms(), t_w.transforms()
        assert repr(e_preset) == repr(t_preset)
        assert e_preset.describe() == t_preset.describe()


def test_preset_transforms_pixels():
    """weights.transforms() preprocesses PIL images and tensors as torchvision's does."""
    image = pil_image(h=40, w=53)
    e_preset = em.ResNet50_Weights.DEFAULT.transforms()
    t_preset = tvm.ResNet50_Weights.DEFAULT.transforms()
    e_preset.resize_size = t_preset.resize_size = [36]
    e_preset.crop_size = t_preset.crop_size = [32]
    assert_close_outputs(e_preset(image), t_preset(image), rtol=1e-5)
    batch = np.random.default_rng(0).uniform(size=(2, 3, 37, 45)).astype(np.float32)
    assert_close_outputs(e_preset(ember.tensor(batch)), t_preset(torch.tensor(batch)), rtol=1e-5)


def test_fine_tuning_flow():
    """Replace the head, freeze the rest, train the head: same losses, head and statistics."""
    x = normal(8, 3, 32, 32)
    y = np.array([1, 3, 0, 9, 2, 2, 7, 5])

    def run(lib, vision):
        lib.manual_seed(0)
        model = vision.models.resnet18()
        in_features = model.fc.in_features
        model.requires_grad_(False)
        model.fc = lib.nn.Linear(in_features, 10)
        opt = lib.optim.SGD(model.fc.parameters(), lr=0.01, momentum=0.9)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            loss = lib.nn.functional.cross_entropy(model(lib.tensor(x)), lib.tensor(y))
            loss.backward()
            opt.step()
            losses.append(loss.item())
        frozen = [p.grad is None and not p.requires_grad for n, p in model.named_parameters()
                  if not n.startswith("fc.")]
        return model, in_features, losses, all(frozen)

    e_model, e_in, e_losses, e_frozen = run(ember, ember.vision)
    t_model, t_in, t_losses, t_frozen = run(torch, tv)
    assert (e_in, e_frozen) == (t_in, t_frozen) == (512, True)
    np.testing.assert_allclose(e_losses, t_losses, rtol=1e-4)
    assert e_losses[-1] < e_losses[0]
    assert_same_state(e_model, t_model, rtol=1e-3, atol=1e-4)


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    (tmp_path / "hub" / "checkpoints").mkdir(parents=True)
    return tmp_path / "hub" / "checkpoints"


def _densenet_old_keys(state):
    """The published DenseNet checkpoints predate num_batches_tracked and say "norm.1" where
    the modules now say "norm1"."""
    state = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
    return {k.replace("norm1.", "norm.1.").replace("conv2.", "conv.2.") if "denselayer" in k
            else k: v for k, v in state.items()}


ALL_SPELLINGS = ("DEFAULT", "IMAGENET1K_V1", "ResNet18_Weights.IMAGENET1K_V1", "member",
                 "pretrained")
CHECKPOINTS = [("resnet18", "resnet18-f37072fd.pth", (2, 3, 64, 64), {}, ALL_SPELLINGS),
               ("googlenet", "googlenet-1378be20.pth", (2, 3, 64, 64), {"init_weights": False},
                ("DEFAULT",)),
               ("densenet121", "densenet121-a639ec97.pth", (2, 3, 64, 64), {}, ("member",))]


@pytest.mark.parametrize("name,file,shape,kwargs,spellings", CHECKPOINTS,
                         ids=[c[0] for c in CHECKPOINTS])
def test_weights_from_hub_cache(name, file, shape, kwargs, spellings, torch_home,
                                no_ember_init):
    """A torchvision checkpoint in $TORCH_HOME/hub/checkpoints loads through every spelling of
    ``weights`` (and ``pretrained=True``), with torchvision's warnings and adjustments."""
    torch.manual_seed(0)
    state = tvm.get_model(name, **kwargs).state_dict()
    if name == "densenet121":
        state = _densenet_old_keys(state)
    # the older checkpoints on download.pytorch.org predate torch's zip format
    torch.save(state, torch_home / file, _use_new_zipfile_serialization=name != "densenet121")
    for spec in spellings:
        models, caught = [], []
        for vision in (em, tvm):
            with warnings.catch_warnings(record=True) as log:
                warnings.simplefilter("always")
                builder = getattr(vision, name)
                if spec == "pretrained":
                    models.append(builder(pretrained=True))
                elif spec == "member":
                    models.append(builder(weights=vision.get_model_weights(name).IMAGENET1K_V1))
                else:
                    models.append(builder(weights=spec))
            caught.append([str(w.message) for w in log])
        assert caught[0] == caught[1]
        e_model, t_model = models
        assert_same_state(e_model, t_model)
        for attr in ("transform_input", "aux_logits", "aux1"):
            assert getattr(e_model, attr, "-") == getattr(t_model, attr, "-")
    check_forward(e_model, t_model, shape)


def check_same_error(call):
    """``call(vision)`` raises the same exception class and message in both libraries."""
    errors = []
    for vision in (em, tvm):
        with pytest.raises(Exception) as info:
            call(vision)
        errors.append(info.value)
    assert type(errors[0]) is type(errors[1]) and str(errors[0]) == str(errors[1]), errors


def test_weights_errors():
    check_same_error(lambda v: v.resnet18(weights="DEFAULT", num_classes=10))
    check_same_error(lambda v: v.resnet18(weights=v.VGG11_Weights.DEFAULT))
    check_same_error(lambda v: v.resnet18(weights="IMAGENET1K_V9"))
    check_same_error(lambda v: v.get_weight("ResNet18_Weights"))
    check_same_error(lambda v: v.get_weight("Nope_Weights.DEFAULT"))
    check_same_error(lambda v: v.get_model("resnet19"))
    check_same_error(lambda v: v.wide_resnet50_2(width_per_group=64))


def test_legacy_interface_warnings():
    for call in (lambda v: v.squeezenet1_1(pretrained=False),
                 lambda v: v.squeezenet1_1(False, num_classes=3)):
        caught = []
        for vision in (em, tvm):
            with warnings.catch_warnings(record=True) as log:
                warnings.simplefilter("always")
                model = call(vision)
            caught.append([str(w.message) for w in log])
        assert caught[0] == caught[1] and len(caught[0]) >= 1
    assert model.num_classes == 3


def test_registry():
    t_names = tvm.list_models(module=tvm)
    for pattern in ("resnet*", "resnext*", "wide_*", "vgg*", "densenet*", "efficientnet*",
                    "mobilenet*", "squeezenet*", "shufflenet*", "alexnet", "googlenet",
                    "inception*"):
        assert em.list_models(include=pattern) == tvm.list_models(module=tvm, include=pattern)
    assert set(em.list_models()) <= set(t_names)
    assert em.list_models(include="resnet*", exclude="*50") == tvm.list_models(
        module=tvm, include="resnet*", exclude="*50")
    assert em.get_model_weights(em.resnet50) is em.ResNet50_Weights
    assert em.get_model_weights("resnet50") is em.ResNet50_Weights
    assert repr(em.get_weight("ResNet50_Weights.IMAGENET1K_V2")) == "ResNet50_Weights.IMAGENET1K_V2"
    assert em.ResNet50_Weights.DEFAULT is em.ResNet50_Weights.IMAGENET1K_V2


def test_download_offline(torch_home, monkeypatch):
    """No network: a RuntimeError that names the file to provide, and nothing left behind."""

    def offline(*args, **kwargs):
        raise urllib.error.URLError("network unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(RuntimeError, match="network access.*resnet18-f37072fd.pth"):
        em.resnet18(weights="DEFAULT")
    assert list(torch_home.iterdir()) == []


@pytest.fixture
def http_root(tmp_path):
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


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_download_and_hash_check(http_root, tmp_path):
    """Downloads land in the cache after the SHA-256 prefix in the name is checked, as with
    torch.hub.load_state_dict_from_url; a wrong prefix raises torch's error."""
    root, base = http_root
    state = {"weight": torch.arange(6.0).reshape(2, 3), "step": torch.tensor(3)}
    torch.save(state, root / "blob.pth")
    digest = hashlib.sha256((root / "blob.pth").read_bytes()).hexdigest()
    (root / f"tiny-{digest[:10]}.pth").write_bytes((root / "blob.pth").read_bytes())
    (root / "tiny-0123abcd.pth").write_bytes((root / "blob.pth").read_bytes())
    url = f"{base}tiny-{digest[:10]}.pth"
    e_state = _hub.load_state_dict_from_url(url, model_dir=str(tmp_path / "e"), check_hash=True,
                                            progress=False)
    t_state = torch.hub.load_state_dict_from_url(url, model_dir=str(tmp_path / "t"),
                                                 check_hash=True, progress=False)
    assert list(e_state) == list(t_state)
    for key in t_state:
        np.testing.assert_array_equal(e_state[key].numpy(), t_state[key].numpy())
    assert (tmp_path / "e" / f"tiny-{digest[:10]}.pth").exists()
    errors = []
    for load, folder in ((_hub.load_state_dict_from_url, "e2"),
                         (torch.hub.load_state_dict_from_url, "t2")):
        with pytest.raises(RuntimeError) as info:
            load(f"{base}tiny-0123abcd.pth", model_dir=str(tmp_path / folder), check_hash=True,
                 progress=False)
        errors.append(str(info.value))
        assert list((tmp_path / folder).iterdir()) == []
    assert errors[0] == errors[1]


def test_stochastic_depth():
    x = normal(6, 3, 2, 2)
    for mode, p in (("row", 0.5), ("batch", 0.3), ("row", 0.0), ("batch", 1.0)):
        torch.manual_seed(5)
        ember.manual_seed(5)
        t_out = tvops.stochastic_depth(torch.tensor(x), p, mode)
        e_out = em._layers.stochastic_depth(ember.tensor(x), p, mode)
        assert_close_outputs(e_out, t_out, rtol=1e-6)
    assert repr(em._layers.StochasticDepth(0.2, "row")) == repr(tvops.StochasticDepth(0.2, "row"))
    for p, mode in ((1.5, "row"), (0.5, "column")):
        errors = []
        for fn, lib in ((em._layers.stochastic_depth, ember), (tvops.stochastic_depth, torch)):
            with pytest.raises(ValueError) as info:
                fn(lib.tensor(x), p, mode)
            errors.append(str(info.value))
        assert errors[0] == errors[1]


def test_ops_layers():
    """Conv2dNormActivation (tuple kernels, dilation), SqueezeExcitation, FrozenBatchNorm2d."""
    cases = [
        (lambda ops, nn_: ops.Conv2dNormActivation(4, 6, kernel_size=(3, 5), dilation=2, groups=2,
                                                   activation_layer=nn_.Hardswish), 4),
        (lambda ops, nn_: ops.Conv2dNormActivation(4, 6, norm_layer=None, inplace=None), 4),
        (lambda ops, nn_: ops.SqueezeExcitation(6, 2, scale_activation=nn_.Hardsigmoid), 6),
    ]
    for make, channels in cases:
        torch.manual_seed(0)
        ember.manual_seed(0)
        t_layer, e_layer = make(tvops, torch.nn), make(em._layers, nn)
        assert repr(e_layer) == repr(t_layer)
        assert_same_state(e_layer, t_layer)
        check_forward(e_layer, t_layer, (2, channels, 7, 9), grad=True)
    t_bn = torch.nn.BatchNorm2d(5)
    t_bn.train()(torch.randn(4, 5, 3, 3) * 3 + 1)
    t_frozen, e_frozen = tvops.FrozenBatchNorm2d(5), em._layers.FrozenBatchNorm2d(5)
    t_frozen.load_state_dict(t_bn.state_dict())
    e_frozen.load_state_dict(to_ember_state(t_bn))
    assert repr(e_frozen) == repr(t_frozen)
    x = normal(2, 5, 3, 4)
    assert_close_outputs(e_frozen(ember.tensor(x)), t_frozen(torch.tensor(x)), rtol=1e-6)


def test_intermediate_layer_getter(no_ember_init):
    e_model, t_model = build_pair("resnet18")
    e_model.load_state_dict(to_ember_state(t_model))
    return_layers = {"layer1": "feat1", "layer3": "feat2"}
    e_get = em._utils.IntermediateLayerGetter(e_model, return_layers).eval()
    t_get = tvm._utils.IntermediateLayerGetter(t_model, return_layers).eval()
    assert list(e_get.keys()) == list(t_get.keys())
    x = normal(1, 3, 32, 32)
    e_out, t_out = e_get(ember.tensor(x)), t_get(torch.tensor(x))
    assert list(e_out) == list(t_out) == ["feat1", "feat2"]
    for key in t_out:
        assert_close_outputs(e_out[key], t_out[key])
    check_same_error(lambda v: v._utils.IntermediateLayerGetter(
        e_model if v is em else t_model, {"head": "out"}))
