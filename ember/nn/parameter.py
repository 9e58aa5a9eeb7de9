"""Parameter, Buffer and the uninitialised (lazy) parameters of torch.nn.parameter."""

from __future__ import annotations

from ember._ops.creation import empty
from ember._tensor import Tensor
from ember.autograd import _meta


class Parameter(Tensor):
    """A Tensor that a Module registers as a parameter (torch.nn.Parameter).

    As in torch, ``Parameter(t)`` shares ``t``'s memory and version counter, is a leaf, requires
    grad by default (floating point and complex data only), prints as "Parameter containing:",
    and ops on it return plain Tensors. ``Module.to()`` changes its data in place, so optimizers
    holding the object keep seeing the module's parameter.
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = empty(0)
        param = object.__new__(cls)
        param._data, param.dtype, param.device = data._data, data.dtype, data.device
        param._version = data._version  # NOTE: an alias of ``data``, as detach() is
        param._requires_grad = False
        if requires_grad:
            _meta.set_requires_grad(param, True, "Only Tensors of floating point and complex "
                                    "dtype can require gradients")
        return param

    def __init__(self, data=None, requires_grad=True):
        pass  # everything happens in __new__

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.detach(), self._requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.data.clone(), self._requires_grad)
        memo[id(self)] = result
        return result


def _rebuild_parameter(data, requires_grad, backward_hooks=None):
    """Unpickle a Parameter (the name torch's pickles use is torch._utils._rebuild_parameter)."""
    return Parameter(data, requires_grad)


_UNINITIALIZED_SHAPE = (
    "Can't access the shape of an uninitialized parameter or buffer. This error usually happens "
    "in `load_state_dict` when trying to load an uninitialized parameter into an initialized one. "
    "Call `forward` to initialize the parameters before accessing their attributes.")


class UninitializedTensorMixin:
    """What lazy parameters and buffers share: no shape until ``materialize`` gives them data,
    after which they become a ``cls_to_become`` (torch.nn.parameter.UninitializedTensorMixin)."""

    cls_to_become = Tensor

    def materialize(self, shape, device=None, dtype=None):
        """Allocate the data (uninitialised, as torch.empty) and turn into ``cls_to_become``."""
        device = self.device if device is None else device
        dtype = self.dtype if dtype is None else dtype
        self.data = empty(shape, device=device, dtype=dtype)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(_UNINITIALIZED_SHAPE)

    def share_memory_(self):
        raise RuntimeError(
            "Can't share memory on an uninitialized parameter or buffer. Call `forward` to "
            "initialize the parameters before calling `module.share_memory()`.")

    def __repr__(self):
        return f"<{self.__class__.__name__}>"

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        return (self.__class__, (self._requires_grad,))

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self._requires_grad, self.device, self.dtype)
        return memo[id(self)]


def is_lazy(param):
    """True for an uninitialised parameter or buffer (torch.nn.parameter.is_lazy)."""
    return isinstance(param, UninitializedTensorMixin)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A parameter whose shape is not known yet; LazyLinear's weight before its first call."""

    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        return Parameter.__new__(cls, empty(0, device=device, dtype=dtype), requires_grad)

    def __init__(self, requires_grad=True, device=None, dtype=None):
        pass


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape is not known yet (torch.nn.parameter.UninitializedBuffer)."""

    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        buf = object.__new__(cls)
        data = empty(0, device=device, dtype=dtype)
        buf._data, buf.dtype, buf.device = data._data, data.dtype, data.device
        buf._version, buf._requires_grad = data._version, requires_grad
        buf.persistent = persistent
        return buf

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        pass


class _BufferMeta(type):
    # a Buffer is a plain Tensor marked as one, so isinstance asks the mark (as torch does)
    def __instancecheck__(cls, instance):
        if cls is Buffer:
            return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)
        return super().__instancecheck__(instance)


class Buffer(metaclass=_BufferMeta):
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute
    (torch.nn.Buffer): ``self.running_mean = nn.Buffer(torch.zeros(3), persistent=False)``.
    Returns a plain Tensor (detached, keeping ``requires_grad``) carrying the mark."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = empty(0)
        buf = data.detach()
        buf._requires_grad = data._requires_grad
        buf.persistent = persistent
        buf._is_buffer = True
        return buf
