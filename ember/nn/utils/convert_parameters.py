"""Flattening parameters to one vector and back (torch.nn.utils.parameters_to_vector,
vector_to_parameters)."""

from __future__ import annotations

from ember._ops.join import cat
from ember._tensor import Tensor


def _check_same_device(param, old_device):
    if old_device is not None and param.device != old_device:
        raise TypeError("Found two parameters on different devices, this is currently not "
                        "supported.")
    return param.device


def parameters_to_vector(parameters):
    """One 1-D tensor holding all parameters, flattened, in order (differentiable)."""
    device = None
    vectors = []
    for param in parameters:
        device = _check_same_device(param, device)
        vectors.append(param.view(-1))
    return cat(vectors)


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of ``vec`` into the parameters' data (shapes kept)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    device = None
    pointer = 0
    for param in parameters:
        device = _check_same_device(param, device)
        n = param.numel()
        param.data = vec[pointer:pointer + n].view_as(param).data
        pointer += n
