"""Padding: torch.nn.functional.pad in its four modes, with torch's checks and node names.

constant pads (or, with negative amounts, crops) any number of trailing dims
(ConstantPadNdBackward0). reflect, replicate and circular gather each padded dim through an index
array (ReflectionPad{n}DBackward0, ReplicationPad{n}DBackward0; torch builds circular padding from
slice copies, so its node is CopySlices); their gradient scatters back through the same indices.
"""

from __future__ import annotations

from ember._ops._op import Op

__all__ = ["pad"]

_COMBINATIONS = (
    "Supported combinations for non-constant padding:\n"
    "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
    "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
    "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


def _pairs(pad):
    """torch's flat pad list (last dim first) as (before, after) pairs, first padded dim first."""
    pairs = [(pad[i], pad[i + 1]) for i in range(0, len(pad), 2)]
    return tuple(reversed(pairs))


class ConstantPadNdBackward0(Op):
    """Pad with a constant; negative amounts crop. Its gradient is the opposite crop/pad."""

    promote = "keep"

    def __init__(self, pairs, value):
        self.pairs, self.value = pairs, value

    def forward(self, x):
        lead = x.ndim - len(self.pairs)
        shape = x.shape[:lead] + tuple(s + a + b for s, (a, b) in zip(x.shape[lead:],
                                                                       self.pairs))
        if any(s < 0 for s in shape):
            raise RuntimeError("narrow(): length must be non-negative.")  # torch crops first
        out = self.xp.full(shape, self.value, dtype=x.dtype)
        src = tuple(slice(max(-a, 0), s - max(-b, 0)) for s, (a, b) in
                    zip(x.shape[lead:], self.pairs))
        dst = tuple(slice(max(a, 0), n - max(b, 0)) for n, (a, b) in
                    zip(shape[lead:], self.pairs))
        out[(Ellipsis,) + dst] = x[(Ellipsis,) + src]
        return out

    def backward(self, g):
        undo = tuple((-a, -b) for a, b in self.pairs)
        return ConstantPadNdBackward0(undo, 0).apply(g)


def _pad_index(xp, size, before, after, mode):
    """Indices into a dim of ``size`` that produce the padded dim."""
    index = xp.arange(-before, size + after)
    if mode == "reflect":
        index = xp.abs(index)
        return xp.where(index >= size, 2 * (size - 1) - index, index)
    if mode == "replicate":
        return xp.clip(index, 0, size - 1)
    # circular: torch crops for negative amounts first, then wraps around what is left
    start, kept = max(-before, 0), size - max(-before, 0) - max(-after, 0)
    return start + xp.arange(-max(before, 0), kept + max(after, 0)) % kept


class _IndexPad(Op):
    """Gather every padded dim through its index array; the gradient is the scatter-add."""

    promote = "keep"

    def __init__(self, pairs, mode):
        self.pairs, self.mode = pairs, mode

    def forward(self, x):
        lead = x.ndim - len(self.pairs)
        self.sizes = x.shape[lead:]
        for dim, (size, (a, b)) in enumerate(zip(self.sizes, self.pairs), lead):
            x = self.xp.take(x, _pad_index(self.xp, size, a, b, self.mode), axis=dim)
        return x

    def backward(self, g):
        return _IndexPadBackward(self).apply(g)


class _IndexPadBackward(Op):
    """Scatter-add through the pad indices (the adjoint of _IndexPad); its gradient gathers."""

    promote = "keep"

    def __init__(self, pad_op):
        self.pad_op = pad_op

    def name(self):
        return self.pad_op.name().replace("Backward0", "BackwardBackward0")

    def forward(self, g):
        xp, op = self.xp, self.pad_op
        lead = g.ndim - len(op.pairs)
        for dim, (size, (a, b)) in enumerate(zip(op.sizes, op.pairs), lead):
            moved = xp.moveaxis(g, dim, 0)
            out = xp.zeros((size,) + moved.shape[1:], dtype=g.dtype)
            xp.add.at(out, _pad_index(xp, size, a, b, op.mode), moved)
            g = xp.moveaxis(out, 0, dim)
        return xp.ascontiguousarray(g)

    def backward(self, g):
        return type(self.pad_op)(self.pad_op.pairs, self.pad_op.mode).apply(g)


class ReflectionPad1DBackward0(_IndexPad):
    pass


class ReflectionPad2DBackward0(_IndexPad):
    pass


class ReflectionPad3DBackward0(_IndexPad):
    pass


class ReplicationPad1DBackward0(_IndexPad):
    pass


class ReplicationPad2DBackward0(_IndexPad):
    pass


class ReplicationPad3DBackward0(_IndexPad):
    pass


class CopySlices(_IndexPad):
    pass


_NODES = {("reflect", 1): ReflectionPad1DBackward0, ("reflect", 2): ReflectionPad2DBackward0,
          ("reflect", 3): ReflectionPad3DBackward0, ("replicate", 1): ReplicationPad1DBackward0,
          ("replicate", 2): ReplicationPad2DBackward0, ("replicate", 3): ReplicationPad3DBackward0}


def _check_pad_list(input, pad):
    if not all(isinstance(p, int) for p in pad):
        bad = next(p for p in pad if not isinstance(p, int))
        raise TypeError(f"pad(): argument 'pad' failed to unpack the object at pos "
                        f"{pad.index(bad) + 1} with error \"type must be tuple of ints,but got "
                        f"{type(bad).__name__}\"")
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) > 2 * input.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{input.ndim}")


def _check_index_pad(input, pad, mode, pairs):
    """torch's checks for reflect, replicate and circular padding."""
    nd = len(pad) // 2
    if input.ndim not in (nd + 1, nd + 2):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {input.ndim}D "
                                  f"input tensor.\n{_COMBINATIONS}")
    if mode == "circular":
        _check_circular(input, pairs)
        return
    lead = input.ndim - nd
    if any(s == 0 for s in input.shape[1:]) or (input.ndim == nd + 1 and input.shape[0] == 0):
        raise RuntimeError(f"Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with possibly 0 "
                           "batch size and other non-zero dimensions for input, but got: "
                           f"{list(input.shape)}")
    if mode == "reflect":
        for dim, (a, b) in enumerate(pairs, lead):
            if a >= input.shape[dim] or b >= input.shape[dim]:
                raise RuntimeError(
                    f"Argument #4: Padding size should be less than the corresponding input "
                    f"dimension, but got: padding ({a}, {b}) at dimension {dim} of input "
                    f"{list(input.shape)}")
    if input.dtype.name == "bool":
        kind = "reflection" if mode == "reflect" else "replication"
        raise NotImplementedError(f"\"{kind}_pad{nd}d\" not implemented for 'Bool'")


def _check_circular(input, pairs):
    lead = input.ndim - len(pairs)
    for size, (a, b) in zip(input.shape[lead:], pairs):
        if a > size or b > size:
            raise RuntimeError("Padding value causes wrapping around more than once.")


def pad(input, pad, mode="constant", value=None):
    """Pad the trailing dims of ``input``; ``pad`` lists (before, after) from the last dim
    backwards (torch.nn.functional.pad)."""
    pad = list(pad)
    _check_pad_list(input, pad)
    pairs = _pairs(pad)
    if mode == "constant":
        return ConstantPadNdBackward0(pairs, 0 if value is None else value).apply(input)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    _check_index_pad(input, pad, mode, pairs)
    node = CopySlices if mode == "circular" else _NODES[mode, len(pairs)]
    return node(pairs, mode).apply(input)
