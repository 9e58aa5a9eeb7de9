"""scaled_dot_product_attention, MultiheadAttention and the Transformer modules against torch:
same weights (copied through NumPy), same inputs; outputs, attention weights, gradients for one
random upstream gradient, seeded initial weights and dropout draws, errors."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import assert_same, check_op
from nn_helpers import same_error, twin

import ember

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)
BOOL_MASK = RNG.random((4, 5)) < 0.7
BOOL_MASK[:, 0] = True  # every row keeps a key, so no row is fully masked
FLOAT_MASK = RNG.standard_normal((4, 5)).astype("float32")


def _mask(lib, kind):
    return {"none": None, "bool": lib.tensor(BOOL_MASK), "float": lib.tensor(FLOAT_MASK),
            "bool_batched": lib.tensor(np.broadcast_to(BOOL_MASK, (2, 1, 4, 5)).copy())}[kind]


# --- scaled_dot_product_attention -----------------------------------------------------------

@pytest.mark.parametrize("kind", ["none", "bool", "float", "bool_batched"])
def test_sdpa_masks(kind):
    check_op(lambda lib, q, k, v: lib.nn.functional.scaled_dot_product_attention(
        q, k, v, attn_mask=_mask(lib, kind)), (2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6), grad=True)


@pytest.mark.parametrize("scale", [None, 0.3])
def test_sdpa_causal_and_scale(scale):
    check_op(lambda lib, q, k, v: lib.nn.functional.scaled_dot_product_attention(
        q, k, v, is_causal=True, scale=scale), (2, 4, 8), (2, 5, 8), (2, 5, 8), grad=True)


def test_sdpa_fully_masked_row_is_zero():
    mask = BOOL_MASK.copy()
    mask[1] = False
    check_op(lambda lib, q, k, v: lib.nn.functional.scaled_dot_product_attention(
        q, k, v, attn_mask=lib.tensor(mask)), (3, 4, 8), (3, 5, 8), (3, 5, 8))


def test_sdpa_gqa_and_broadcast_heads():
    check_op(lambda lib, q, k, v: lib.nn.functional.scaled_dot_product_attention(
        q, k, v, enable_gqa=True), (2, 4, 3, 8), (2, 2, 5, 8), (2, 2, 5, 8), grad=True)
    check_op(lambda lib, q, k, v: lib.nn.functional.scaled_dot_product_attention(q, k, v),
             (2, 4, 3, 8), (2, 1, 5, 8), (2, 1, 5, 8), grad=True)


def test_sdpa_dropout_matches_torch_seeded():
    def run(lib):
        lib.manual_seed(11)
        q, k, v = (lib.tensor(RNG_FIXED[i]) for i in range(3))
        return lib.nn.functional.scaled_dot_product_attention(q, k, v, dropout_p=0.4)
    assert_same(run(ember), run(torch))


RNG_FIXED = np.random.default_rng(1).standard_normal((3, 2, 3, 6, 8)).astype("float32")


@pytest.mark.parametrize("case", ["int_mask", "dtype_mix"])
def test_sdpa_errors(case):
    def fn(lib):
        q = lib.ones(2, 4, 8)
        if case == "int_mask":
            return lib.nn.functional.scaled_dot_product_attention(
                q, q, q, attn_mask=lib.ones(4, 4, dtype=lib.int32))
        return lib.nn.functional.scaled_dot_product_attention(q, q, q.double())
    same_error(fn)


def test_sdpa_gqa_error_class():
    with pytest.raises(RuntimeError):
        q, k = ember.ones(1, 4, 3, 8), ember.ones(1, 3, 5, 8)
        ember.nn.functional.scaled_dot_product_attention(q, k, k, enable_gqa=True)


# --- MultiheadAttention ---------------------------------------------------------------------

CONFIGS = [{}, {"add_bias_kv": True, "add_zero_attn": True}, {"kdim": 6, "vdim": 5},
           {"bias": False}, {"batch_first": True}]


def _mha_inputs(config, batched=True):
    rng = np.random.default_rng(3)
    lead = (4, 3) if batched else (4,)
    src = (5, 3) if batched else (5,)
    if config.get("batch_first") and batched:
        lead, src = lead[::-1], src[::-1]
    shapes = [lead + (8,), src + (config.get("kdim", 8),), src + (config.get("vdim", 8),)]
    return [rng.standard_normal(s).astype("float32") for s in shapes]


def _compare_mha(config, arrays, **call):
    """Copy weights torch -> ember, compare outputs, weights and all gradients."""
    t_mod, e_mod = twin(lambda lib: lib.nn.MultiheadAttention(8, 2, **config))
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    e_in = [ember.tensor(a, requires_grad=True) for a in arrays]
    masks = call.pop("masks", {})
    t_out = t_mod(*t_in, **call, **{k: f(torch) for k, f in masks.items()})
    e_out = e_mod(*e_in, **call, **{k: f(ember) for k, f in masks.items()})
    assert_same(e_out, t_out, rtol=1e-4, atol=1e-5)
    g = np.random.default_rng(5).standard_normal(tuple(t_out[0].shape)).astype("float32")
    t_out[0].backward(torch.tensor(g))
    e_out[0].backward(ember.tensor(g))
    for i, (e, t) in enumerate(zip(e_in, t_in)):
        assert_same(e.grad, t.grad, rtol=1e-4, atol=1e-5, path=f"input grad {i}")
    t_params = dict(t_mod.named_parameters())
    for name, p in e_mod.named_parameters():
        assert_same(p.grad, t_params[name].grad, rtol=1e-4, atol=1e-5, path=name)


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_forward_backward(config, need_weights):
    _compare_mha(config, _mha_inputs(config), need_weights=need_weights)


def test_mha_per_head_weights_and_unbatched():
    _compare_mha({}, _mha_inputs({}), average_attn_weights=False)
    _compare_mha({}, _mha_inputs({}, batched=False))


def _key_padding(lib, dtype):
    pad = np.zeros((3, 5), dtype=bool)
    pad[0, 3:] = True
    pad[2, 1] = True
    return lib.tensor(pad if dtype == "bool" else np.where(pad, -1e4, 0.0).astype("float32"))


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("config", [{}, {"add_bias_kv": True, "add_zero_attn": True}])
@pytest.mark.parametrize("masks", [
    {"attn_mask": lambda lib: lib.tensor(~BOOL_MASK)},
    {"attn_mask": lambda lib: lib.tensor(FLOAT_MASK)},
    {"attn_mask": lambda lib: lib.tensor(np.tile(FLOAT_MASK, (6, 1, 1)))},
    {"key_padding_mask": lambda lib: _key_padding(lib, "bool")},
    {"key_padding_mask": lambda lib: _key_padding(lib, "float"),
     "attn_mask": lambda lib: lib.tensor(FLOAT_MASK)},
], ids=["bool2d", "float2d", "float3d", "kpm_bool", "kpm_float+attn"])
def test_mha_masks(masks, config, need_weights):
    _compare_mha(config, _mha_inputs(config), masks=masks, need_weights=need_weights)


@pytest.mark.parametrize("config", CONFIGS + [{"add_bias_kv": True, "kdim": 3, "vdim": 7}])
def test_mha_initial_weights_match_torch_after_seed(config):
    torch.manual_seed(0)
    ember.manual_seed(0)
    t_mod = torch.nn.MultiheadAttention(8, 2, **config)
    e_mod = ember.nn.MultiheadAttention(8, 2, **config)
    t_state, e_state = t_mod.state_dict(), e_mod.state_dict()
    assert list(e_state) == list(t_state)
    for name, value in t_state.items():
        assert_same(e_state[name], value, rtol=0, atol=0, path=name)
    assert type(e_mod.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    assert isinstance(e_mod.out_proj, ember.nn.Linear)


def test_mha_dropout_matches_torch_seeded():
    arrays = _mha_inputs({})

    def run(lib, mod, need_weights):
        lib.manual_seed(4)
        return mod(*(lib.tensor(a) for a in arrays), need_weights=need_weights)

    t_mod, e_mod = twin(lambda lib: lib.nn.MultiheadAttention(8, 2, dropout=0.3))
    for need_weights in (True, False):
        assert_same(run(ember, e_mod, need_weights), run(torch, t_mod, need_weights),
                    rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("case", ["int_mask", "mask_2d_shape", "mask_3d_shape", "mask_4d",
                                  "embed_dim", "ctor_heads", "ctor_divisible", "kpm_shape"])
def test_mha_errors(case):
    def fn(lib):
        if case == "ctor_heads":
            return lib.nn.MultiheadAttention(8, 0)
        if case == "ctor_divisible":
            return lib.nn.MultiheadAttention(8, 3)
        mod = lib.nn.MultiheadAttention(8, 2)
        x = lib.ones(4, 3, 8)
        kwargs = {"int_mask": {"attn_mask": lib.ones(4, 4, dtype=lib.int64)},
                  "mask_2d_shape": {"attn_mask": lib.zeros(4, 5)},
                  "mask_3d_shape": {"attn_mask": lib.zeros(5, 4, 4)},
                  "mask_4d": {"attn_mask": lib.zeros(1, 6, 4, 4)},
                  "kpm_shape": {"key_padding_mask": lib.zeros(3, 5, dtype=lib.bool)}}.get(case, {})
        if case == "embed_dim":
            x = lib.ones(4, 3, 6)
        return mod(x, x, x, **kwargs)
    same_error(fn)


# --- Transformer modules ----------------------------------------------------------------------

def _compare_module(build, arrays, call=lambda lib, mod, xs: mod(*xs)):
    """Training mode with dropout=0 (torch's fused eval path is then not taken)."""
    t_mod, e_mod = twin(build)
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    e_in = [ember.tensor(a, requires_grad=True) for a in arrays]
    t_out, e_out = call(torch, t_mod, t_in), call(ember, e_mod, e_in)
    assert_same(e_out, t_out, rtol=1e-4, atol=1e-4)
    g = np.random.default_rng(5).standard_normal(tuple(t_out.shape)).astype("float32")
    t_out.backward(torch.tensor(g))
    e_out.backward(ember.tensor(g))
    for i, (e, t) in enumerate(zip(e_in, t_in)):
        assert_same(e.grad, t.grad, rtol=1e-4, atol=1e-4, path=f"input grad {i}")
    t_params = dict(t_mod.named_parameters())
    for name, p in e_mod.named_parameters():
        assert_same(p.grad, t_params[name].grad, rtol=1e-4, atol=1e-4, path=name)


def _seq(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def _causal(lib, n):
    return lib.nn.Transformer.generate_square_subsequent_mask(n)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu", "callable"])
def test_encoder_layer(norm_first, activation):
    def build(lib):
        act = (lambda x: lib.tanh(x)) if activation == "callable" else activation
        return lib.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation=act,
                                              norm_first=norm_first)

    _compare_module(build, [_seq(5, 3, 8)],
                    lambda lib, mod, xs: mod(xs[0], src_mask=_causal(lib, 5)))


def test_encoder_stack_batch_first_with_padding():
    pad = np.zeros((3, 5), dtype=bool)
    pad[1, 3:] = True

    def build(lib):
        layer = lib.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
        return lib.nn.TransformerEncoder(layer, 2, norm=lib.nn.LayerNorm(8),
                                         enable_nested_tensor=False)

    _compare_module(build, [_seq(3, 5, 8)], lambda lib, mod, xs: mod(
        xs[0], mask=_causal(lib, 5), src_key_padding_mask=lib.tensor(pad), is_causal=True))


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_stack(norm_first):
    def build(lib):
        layer = lib.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, norm_first=norm_first)
        return lib.nn.TransformerDecoder(layer, 2, norm=lib.nn.LayerNorm(8))

    mem_mask = FLOAT_MASK
    _compare_module(build, [_seq(4, 3, 8), _seq(5, 3, 8, seed=1)], lambda lib, mod, xs: mod(
        xs[0], xs[1], tgt_mask=_causal(lib, 4), memory_mask=lib.tensor(mem_mask)))


def test_transformer_full_model():
    def build(lib):
        return lib.nn.Transformer(8, 2, 2, 2, 16, dropout=0.0, batch_first=True)

    _compare_module(build, [_seq(3, 5, 8), _seq(3, 4, 8, seed=1)], lambda lib, mod, xs: mod(
        xs[0], xs[1], tgt_mask=_causal(lib, 4)))


def test_transformer_initial_weights_match_torch_after_seed():
    torch.manual_seed(0)
    ember.manual_seed(0)
    t_mod = torch.nn.Transformer(8, 2, 2, 1, 16)
    e_mod = ember.nn.Transformer(8, 2, 2, 1, 16)
    t_state, e_state = t_mod.state_dict(), e_mod.state_dict()
    assert list(e_state) == list(t_state)
    for name, value in t_state.items():
        assert_same(e_state[name], value, rtol=0, atol=0, path=name)


def test_generate_square_subsequent_mask():
    assert_same(ember.nn.Transformer.generate_square_subsequent_mask(4),
                torch.nn.Transformer.generate_square_subsequent_mask(4))


@pytest.mark.parametrize("case", ["activation", "batch", "features"])
def test_transformer_errors(case):
    def fn(lib):
        if case == "activation":
            return lib.nn.TransformerEncoderLayer(8, 2, activation="tanh")
        mod = lib.nn.Transformer(8, 2, 1, 1, 16)
        tgt = lib.ones(4, 2, 8) if case == "batch" else lib.ones(4, 3, 6)
        return mod(lib.ones(5, 3, 8), tgt)
    same_error(fn)
