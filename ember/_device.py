"""ember.device: where a tensor's memory lives ('cpu' or 'cuda:N'), as torch.device."""

from __future__ import annotations


class device:
    """torch.device's forms: device('cpu'), device('cuda:1'), device('cuda', 0)."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):  # noqa: A002 - torch's parameter name
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, int):
            type, index = "cuda", type
        elif ":" in type:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was "
                                   f"passed explicitly: {type}")
            type, _, idx = type.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in ("cpu", "cuda", "meta"):
            raise RuntimeError(
                "Expected one of cpu, cuda, meta device type at start of device string: " + type)
        self.type, self.index = type, index

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __reduce__(self):
        return (device, (self.type, self.index))


CPU = device("cpu")


def to_device(d) -> device:
    """Normalise a device argument (None, str, int, device) to a device; None means CPU."""
    if d is None:
        return CPU
    if d.__class__ is device:
        return d if d.type == "cpu" else _check_cuda(d)
    return to_device(device(d))


def _check_cuda(d):
    from ember import _backend

    _backend.cuda_module(d)  # raises a clear RuntimeError where CUDA isn't usable
    return d if d.index is not None else device("cuda", 0)
