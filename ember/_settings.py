"""Process-wide switches PyTorch scripts set and read: thread count, deterministic algorithms,
float32 matmul precision, and the layout and memory-format objects (torch.strided,
torch.contiguous_format, ...). Ember keeps torch's values, checks and errors; what each switch
changes in Ember is said in its docstring."""

from __future__ import annotations

import warnings

from ember import _threads

_state = {"threads": None, "deterministic": False, "warn_only": False, "matmul": "highest"}


def get_num_threads() -> int:
    """The number of threads for intra-op work (torch.get_num_threads): the value last set, else
    the cores this process may use (the size of Ember's thread pool)."""
    return _state["threads"] or _threads.cores()


def set_num_threads(num, /) -> None:
    """Record the intra-op thread count, with torch's checks (torch.set_num_threads).

    Deviation: Ember's one thread pool (ember/_threads.py) is sized from the cores at first use
    and offers no way to resize it, so the value is kept for get_num_threads only."""
    if not isinstance(num, int) or isinstance(num, bool):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(num).__name__}")
    if num <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    _state["threads"] = num


def _check_bool(value, name):
    if not isinstance(value, bool):
        position = " (position 1)" if name == "mode" else ""
        raise TypeError(f"_set_deterministic_algorithms(): argument '{name}'{position} must be "
                        f"bool, not {type(value).__name__}")


def use_deterministic_algorithms(mode, *, warn_only=False) -> None:
    """Ask for deterministic algorithms (torch.use_deterministic_algorithms). Ember's NumPy
    kernels are deterministic already, so the flag is recorded and reported, nothing more."""
    _check_bool(mode, "mode")
    _check_bool(warn_only, "warn_only")
    _state["deterministic"], _state["warn_only"] = mode, warn_only


def are_deterministic_algorithms_enabled() -> bool:
    """Whether use_deterministic_algorithms(True) is in force."""
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """Whether use_deterministic_algorithms(True, warn_only=True) is in force."""
    return _state["warn_only"]


_PRECISIONS = ("highest", "high", "medium")


def set_float32_matmul_precision(precision) -> None:
    """Set the float32 matmul precision (torch.set_float32_matmul_precision): 'highest', 'high'
    or 'medium'; any other string warns and changes nothing, a non-string raises RuntimeError, as
    in torch. Ember always multiplies float32 at full precision; the setting is only recorded."""
    if not isinstance(precision, str):
        raise RuntimeError(f"set_float32_matmul_precision expects a str, but got "
                           f"{type(precision).__name__}")
    if precision not in _PRECISIONS:
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _state["matmul"] = precision


def get_float32_matmul_precision() -> str:
    """The current float32 matmul precision, 'highest' by default."""
    return _state["matmul"]


class _Constant:
    """A named singleton of a closed set (torch.layout, torch.memory_format): prints as
    ``ember.<name>``, compares by identity, pickles by name, and cannot be made by the user."""

    __slots__ = ("name",)
    _members: dict = {}

    def __new__(cls, *args, **kwargs):
        raise TypeError(f"cannot create 'ember.{cls.__name__}' instances")

    @classmethod
    def _make(cls, name):
        member = object.__new__(cls)
        member.name = name
        cls._members[name] = member
        return member

    def __repr__(self):
        return f"ember.{self.name}"

    def __reduce__(self):
        return (_constant, (self.name,))


def _constant(name):
    return _Constant._members[name]


class layout(_Constant):  # noqa: N801 - torch's name
    """How a tensor's elements are stored (torch.layout); Ember has dense strided tensors only."""

    __slots__ = ()


class memory_format(_Constant):  # noqa: N801 - torch's name
    """The memory order a tensor is asked to take (torch.memory_format); Ember accepts these
    wherever torch takes ``memory_format=`` and keeps its own (row-major) order."""

    __slots__ = ()


strided = layout._make("strided")
contiguous_format = memory_format._make("contiguous_format")
channels_last = memory_format._make("channels_last")
channels_last_3d = memory_format._make("channels_last_3d")
preserve_format = memory_format._make("preserve_format")
