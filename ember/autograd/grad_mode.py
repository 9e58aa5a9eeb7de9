"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode; as context managers and
decorators, with torch's semantics (thread-local in torch; process-wide here)."""

from __future__ import annotations

import functools


class _State:
    __slots__ = ("enabled",)

    def __init__(self):
        self.enabled = True


state = _State()


def is_grad_enabled() -> bool:
    """True when operations record a graph (torch.is_grad_enabled)."""
    return state.enabled


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
            with self._fresh():
                return func(*args, **kwargs)

        return wrapper

    def _fresh(self):
        # a new context object per call, so nested and recursive calls keep their own saved mode
        return self.__class__()


class _NoParamContext(_GradModeContext):
    def __new__(cls, orig_func=None):
        # torch allows both @no_grad and @no_grad()
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamContext):
    """Disable graph recording inside the block (torch.no_grad)."""

    _mode = False


class enable_grad(_NoParamContext):
    """Enable graph recording inside the block, even within no_grad (torch.enable_grad)."""

    _mode = True


class set_grad_enabled(_GradModeContext):
    """Set grad mode: immediately as a function call, for a block as a context manager."""

    def __init__(self, mode: bool):
        self._prev = state.enabled
        self._mode = bool(mode)
        state.enabled = self._mode

    def __enter__(self):
        pass

    def __call__(self, func):
        state.enabled = self._prev  # decorator use must not change the mode now
        mode = self._mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return func(*args, **kwargs)

        return wrapper


class inference_mode(_GradModeContext):
    """torch.inference_mode: here the same as no_grad (mode=False leaves grad mode unchanged)."""

    def __init__(self, mode: bool = True):
        self._enabled_inference = mode

    def _fresh(self):
        return inference_mode(self._enabled_inference)

    def __enter__(self):
        self._prev = state.enabled
        if self._enabled_inference:
            state.enabled = False
