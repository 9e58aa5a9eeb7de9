"""Anomaly detection (torch.autograd.detect_anomaly / set_detect_anomaly).

With anomaly mode on and ``check_nan``, a backward formula that returns NaN raises torch's
RuntimeError naming the node. Deviation: torch also records each node's forward traceback and
prints it when backward fails; Ember does not.
"""

from __future__ import annotations

import functools
import warnings

from ember._dtype import FLOAT


class _State:
    __slots__ = ("enabled", "check_nan")

    def __init__(self):
        self.enabled, self.check_nan = False, True


state = _State()


def is_anomaly_enabled() -> bool:
    return state.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return state.check_nan


class detect_anomaly:  # noqa: N801 - torch's name
    """Context manager (and decorator) that turns anomaly detection on inside its block."""

    def __init__(self, check_nan=True):
        self.prev, self.prev_check_nan = state.enabled, state.check_nan
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", stacklevel=2)

    def __enter__(self):
        state.enabled, state.check_nan = True, self.check_nan

    def __exit__(self, *exc):
        state.enabled, state.check_nan = self.prev, self.prev_check_nan
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self:
                return func(*args, **kwargs)

        return wrapper


class set_detect_anomaly:  # noqa: N801 - torch's name
    """Sets anomaly detection on or off now; as a context manager, restores it on exit."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self.prev, self.prev_check_nan = state.enabled, state.check_nan
        state.enabled, state.check_nan = mode, check_nan

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        state.enabled, state.check_nan = self.prev, self.prev_check_nan
        return False


def check_nan(node, grads):
    """In anomaly mode, raise if a backward formula returned NaN (torch's message)."""
    if not (state.enabled and state.check_nan):
        return
    for i, g in enumerate(grads):
        if g is not None and g.dtype.category >= FLOAT and bool(g.isnan().any()):
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th "
                               "output.")
