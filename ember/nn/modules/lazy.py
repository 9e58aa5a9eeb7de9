"""LazyModuleMixin: modules whose parameter shapes come from their first input
(torch.nn.modules.lazy)."""

from __future__ import annotations

import itertools

from ember.autograd.grad_mode import no_grad
from ember.nn.parameter import is_lazy


class LazyModuleMixin:
    """Before the first call, parameters are UninitializedParameters. A forward pre-hook calls
    ``initialize_parameters(*args)`` on the first input, then the module becomes
    ``cls_to_become`` (LazyLinear becomes Linear), as in torch. Loading a state dict
    materialises the parameters with the checkpoint's shapes."""

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._load_hook = self.register_load_state_dict_pre_hook(self._lazy_load_hook)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters,
                                                               with_kwargs=True)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        # an uninitialised parameter is saved as itself: it has no data to detach
        members = itertools.chain(
            self._parameters.items(),
            ((k, v) for k, v in self._buffers.items()
             if k not in self._non_persistent_buffers_set))
        for name, value in members:
            if value is not None:
                keep = is_lazy(value) or keep_vars
                destination[prefix + name] = value if keep else value.detach()

    def _lazy_load_hook(self, module, state_dict, prefix, *args):
        for name, param in itertools.chain(self._parameters.items(), self._buffers.items()):
            key = prefix + name
            if key in state_dict and param is not None and is_lazy(param):
                value = state_dict[key]
                if not is_lazy(value):
                    with no_grad():
                        param.materialize(value.shape)

    def initialize_parameters(self, *args, **kwargs):
        raise NotImplementedError(
            f"initialize_parameters is not implemented for {self.__class__.__name__}")

    def has_uninitialized_params(self):
        members = itertools.chain(self._parameters.values(), self._buffers.values())
        return any(is_lazy(value) for value in members)

    def _infer_parameters(self, module, args, kwargs=None):
        module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        module._load_hook.remove()
        del module._initialize_hook, module._load_hook
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become
