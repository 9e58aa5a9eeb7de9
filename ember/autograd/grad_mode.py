"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode; as context managers and
decorators, with torch's semantics (thread-local in torch; process-wide here)."""

from __future__ import annotations

import functools


class _State:
    __slots__ = ("enabled", "inference")

    def __init__(self):
        self.enabled = True
        self.inference = False


state = _State()


def is_grad_enabled() -> bool:
    """True when operations record a graph (torch.is_grad_enabled)."""
    return state.enabled


def is_inference_mode_enabled() -> bool:
    """True inside inference_mode() (torch.is_inference_mode_enabled)."""
    return state.inference


class _GradModeContext:
    """Base: a context manager that is also a decorator, as torch's grad-mode classes are."""

    _mode = True

    def __enter__(self):
        self._prev = state.enabled
        state.enabled = self._mode

    def __exit__(self, *exc):
        state.enabled = self._prev
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)

        return wrapper

    def clone(self):
        # a new context object per call, so nested and recursive calls keep their own saved mode
        return self.__class__()


class _NoParamContext(_GradModeContext):
    def __new__(cls, orig_func=None):
        # torch allows both @no_grad and @no_grad()
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamContext):  # noqa: N801 - torch's name
    """Disable graph recording inside the block (torch.no_grad)."""

    _mode = False


class enable_grad(_NoParamContext):  # noqa: N801 - torch's name
    """Enable graph recording inside the block, even within no_grad (torch.enable_grad)."""

    _mode = True


class set_grad_enabled(_GradModeContext):  # noqa: N801 - torch's name
    """Set grad mode: immediately as a function call, for a block as a context manager."""

    def __init__(self, mode: bool):
        self._prev = state.enabled
        self._mode = bool(mode)
        state.enabled = self._mode

    def __enter__(self):
        pass

    def __call__(self, func):
        state.enabled = self._prev  # decorator use must not change the mode now
        return super().__call__(func)

    def clone(self):
        return set_grad_enabled(self._mode)


class inference_mode(_GradModeContext):  # noqa: N801 - torch's name
    """torch.inference_mode: no graph is recorded inside (mode=False leaves grad mode as it is).

    Deviation: tensors made inside are ordinary tensors (torch marks them as inference tensors).
    """

    def __new__(cls, mode=True):
        if callable(mode):  # bare @inference_mode
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True):
        self._inference = mode

    def __enter__(self):
        self._prev, self._prev_inference = state.enabled, state.inference
        if self._inference:
            state.enabled, state.inference = False, True

    def __exit__(self, *exc):
        state.enabled, state.inference = self._prev, self._prev_inference
        return False

    def clone(self):
        return inference_mode(self._inference)
