"""Attention functionals: scaled_dot_product_attention (torch's math path) and
multi_head_attention_forward (torch.nn.functional's reference implementation).

Built from public ember ops only, so autograd comes for free."""

from __future__ import annotations

import math

import ember


def _F():
    # NOTE: looked up at call time; ember.nn.functional imports this module at its end
    return ember.nn.functional


def _canonical_mask(mask, mask_name, target_dtype):
    """Bool masks become additive float masks (-inf where True); float masks pass through."""
    if mask is None:
        return None
    if mask.dtype != ember.bool and not mask.is_floating_point():
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if mask.dtype == ember.bool:
        return ember.zeros(mask.shape, dtype=target_dtype).masked_fill(mask, float("-inf"))
    return mask


def _sdpa_checks(query, key, value, attn_mask):
    """torch's input checks, with its messages."""
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError(
            "Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{_cname(query.dtype)} key.dtype: {_cname(key.dtype)} and value.dtype: "
            f"{_cname(value.dtype)} instead.")
    if attn_mask is not None and attn_mask.dtype != ember.bool \
            and attn_mask.dtype != query.dtype and not attn_mask.is_floating_point():
        raise RuntimeError(
            "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
            f"attn_mask.dtype: {_cname(attn_mask.dtype)} and  query.dtype: "
            f"{_cname(query.dtype)} instead.")


def _cname(dtype):
    """The C++ scalar type name torch prints in its messages (float, double, int, ...)."""
    names = {"float32": "float", "float64": "double", "float16": "c10::Half",
             "bfloat16": "c10::BFloat16", "int32": "int", "int64": "long", "bool": "bool",
             "int16": "short", "int8": "signed char", "uint8": "unsigned char"}
    name = str(dtype).split(".")[-1]
    return names.get(name, name)


def _repeat_kv_heads(query, key, value):
    """enable_gqa: repeat each key/value head so their head count matches the query's."""
    hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
    if hq % hk != 0 or hq % hv != 0:
        raise RuntimeError("Number of heads in key and value must divide the number of heads in "
                           "query")
    return key.repeat_interleave(hq // hk, dim=-3), value.repeat_interleave(hq // hv, dim=-3)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(q k^T * scale + mask) v, as torch's math path computes it.

    Bool masks keep True positions; rows with no kept position give zeros (torch's safe
    softmax). Dropout is drawn with F.dropout on the attention weights, as the math path does,
    so the same seed gives torch's mask."""
    _sdpa_checks(query, key, value, attn_mask)
    length, source = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    if enable_gqa:
        key, value = _repeat_kv_heads(query, key, value)
    keep = None
    if is_causal:
        keep = ember.ones(length, source, dtype=ember.bool).tril()
    if attn_mask is not None and attn_mask.dtype == ember.bool:
        keep = attn_mask if keep is None else keep.logical_and(attn_mask)
    # NOTE: like torch, scale q and k by sqrt(scale) each, which keeps products in range
    root = math.sqrt(scale)
    scores = (query * root).matmul((key * root).transpose(-2, -1))
    if attn_mask is not None and attn_mask.dtype != ember.bool:
        scores = scores + attn_mask
    if keep is not None:
        scores = scores.masked_fill(keep.logical_not(), float("-inf"))
    weights = _safe_softmax(scores)
    if dropout_p > 0.0:
        weights = _F().dropout(weights, dropout_p, True)
    return weights.matmul(value)


def _safe_softmax(scores):
    """Softmax over the last dim; fully masked rows give zeros instead of NaN (torch >= 2.5)."""
    dead = (scores == float("-inf")).all(dim=-1, keepdim=True)
    return scores.softmax(-1).masked_fill(dead, 0.0)


def _in_projection(query, key, value, in_proj_weight, in_proj_bias, separate):
    """q, k, v = x W_i^T + b_i with W split in three (packed) or given apart (kdim/vdim)."""
    linear = _F().linear
    w_q, w_k, w_v = separate if separate is not None else in_proj_weight.chunk(3)
    b_q = b_k = b_v = None
    if in_proj_bias is not None:
        b_q, b_k, b_v = in_proj_bias.chunk(3)
    return linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)


def _check_attn_mask(attn_mask, tgt_len, src_len, bsz, num_heads):
    """2D (L, S) masks gain a leading dim; 3D masks must be (N * heads, L, S)."""
    if attn_mask is None:
        return None
    if attn_mask.dim() == 2:
        if tuple(attn_mask.shape) != (tgt_len, src_len):
            raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should "
                               f"be {(tgt_len, src_len)}.")
        return attn_mask.unsqueeze(0)
    if attn_mask.dim() == 3:
        if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
            raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should "
                               f"be {(bsz * num_heads, tgt_len, src_len)}.")
        return attn_mask
    raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")


def _pad_last(mask):
    return None if mask is None else _F().pad(mask, (0, 1))


def _extend_keys(k, v, attn_mask, key_padding_mask, bias_k, bias_v, add_zero_attn, heads):
    """add_bias_kv appends one learned key/value; add_zero_attn one zero key/value (both as
    torch, which pads the masks with a kept column for each)."""
    if bias_k is not None and bias_v is not None:
        bsz = k.shape[1]
        k = ember.cat([k, bias_k.repeat(1, bsz, 1)])
        v = ember.cat([v, bias_v.repeat(1, bsz, 1)])
        attn_mask, key_padding_mask = _pad_last(attn_mask), _pad_last(key_padding_mask)
    k = k.reshape(k.shape[0], k.shape[1] * heads, -1).transpose(0, 1)
    v = v.reshape(v.shape[0], v.shape[1] * heads, -1).transpose(0, 1)
    if add_zero_attn:
        zeros = ember.zeros((k.shape[0], 1, k.shape[2]), dtype=k.dtype)
        k, v = ember.cat([k, zeros], dim=1), ember.cat([v, zeros], dim=1)
        attn_mask, key_padding_mask = _pad_last(attn_mask), _pad_last(key_padding_mask)
    return k, v, attn_mask, key_padding_mask


def _merge_padding(attn_mask, key_padding_mask, bsz, heads, src_len):
    """Broadcast the (N, S) padding mask over heads and add it to attn_mask."""
    if key_padding_mask is None:
        return attn_mask
    for dim, size in enumerate((bsz, src_len)):
        if key_padding_mask.shape[dim] != size:
            raise AssertionError(f"Expected key_padded_mask.shape[{dim}] to be {size}, but got "
                                 f"{key_padding_mask.shape[dim]}")
    padding = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(-1, heads, -1, -1)
    padding = padding.reshape(bsz * heads, 1, src_len)
    return padding if attn_mask is None else attn_mask + padding


def _explicit_attention(q, k, v, attn_mask, dropout_p):
    """The need_weights path: returns the (N * heads, L, S) weights too."""
    q = q * math.sqrt(1.0 / q.shape[-1])
    scores = q.bmm(k.transpose(-2, -1))
    if attn_mask is not None:
        scores = scores + attn_mask
    weights = scores.softmax(-1)
    # NOTE: torch returns the weights after dropout
    if dropout_p > 0.0:
        weights = _F().dropout(weights, dropout_p)
    return weights.bmm(v), weights


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """torch's rank checks (AssertionError, its messages); True for batched (3-D) input."""
    if query.dim() not in (2, 3):
        raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received "
                             f"{query.dim()}-D query tensor")
    batched = query.dim() == 3
    kind = "batched (3-D)" if batched else "unbatched (2-D)"
    rank = query.dim()
    if key.dim() != rank or value.dim() != rank:
        raise AssertionError(f"For {kind} `query`, expected `key` and `value` to be {rank}-D but "
                             f"found {key.dim()}-D and {value.dim()}-D tensors respectively")
    if key_padding_mask is not None and key_padding_mask.dim() != rank - 1:
        raise AssertionError(f"For {kind} `query`, expected `key_padding_mask` to be `None` or "
                             f"{rank - 1}-D but found {key_padding_mask.dim()}-D tensor instead")
    if attn_mask is not None and attn_mask.dim() not in (2, 3):
        raise AssertionError(f"For {kind} `query`, expected `attn_mask` to be `None`, 2-D or 3-D "
                             f"but found {attn_mask.dim()}-D tensor instead")
    if not batched and attn_mask is not None and attn_mask.dim() == 3:
        expected = (num_heads, query.shape[0], key.shape[0])
        if tuple(attn_mask.shape) != expected:
            raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                 f"{attn_mask.shape}")
    return batched


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """Same semantics as torch.nn.functional.multi_head_attention_forward on (L, N, E) or
    unbatched (L, E) inputs. static_k / static_v are not supported."""
    if static_k is not None or static_v is not None:
        raise NotImplementedError("ember: static_k / static_v are not supported")
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", query.dtype)
    attn_mask = _canonical_mask(attn_mask, "attn_mask", query.dtype)
    separate = (q_proj_weight, k_proj_weight, v_proj_weight) if use_separate_proj_weight \
        else None
    q, k, v = _in_projection(query, key, value, in_proj_weight, in_proj_bias, separate)
    attn_mask = _check_attn_mask(attn_mask, tgt_len, key.shape[0], bsz, num_heads)
    k, v, attn_mask, key_padding_mask = _extend_keys(
        k, v, attn_mask, key_padding_mask, bias_k, bias_v, add_zero_attn, num_heads)
    q = q.reshape(tgt_len, bsz * num_heads, -1).transpose(0, 1)
    attn_mask = _merge_padding(attn_mask, key_padding_mask, bsz, num_heads, k.shape[1])
    dropout_p = dropout_p if training else 0.0
    if need_weights:
        out, weights = _explicit_attention(q, k, v, attn_mask, dropout_p)
    else:
        # NOTE: torch takes the SDPA path here, whose safe softmax zeroes fully masked rows
        out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p)
    out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = _F().linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
    weights = weights.reshape(bsz, num_heads, tgt_len, -1) if need_weights else None
    if need_weights and average_attn_weights:
        weights = weights.mean(dim=1)
    if not batched:
        out = out.squeeze(1)
        weights = None if weights is None else weights.squeeze(0)
    return out, weights
