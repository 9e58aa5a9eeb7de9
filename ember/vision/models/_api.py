"""torchvision.models' weights API: ``Weights`` records, ``WeightsEnum`` classes with
``verify``/``get_state_dict``, the model registry (``list_models``, ``get_model``, ...) and the
legacy ``pretrained=`` interface of the builders."""

from __future__ import annotations

import fnmatch
import functools
import inspect
import sys
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from functools import partial
from types import ModuleType
from typing import Any, get_args

from ember.vision.models._hub import load_state_dict_from_url

__all__ = ["WeightsEnum", "Weights", "get_model", "get_model_builder", "get_model_weights",
           "get_weight", "list_models"]

_DOWNLOAD_ROOT = "https://download.pytorch.org/models/"


@dataclass
class Weights:
    """The checkpoint URL, the preprocessing constructor and the metadata of one set of
    pretrained weights (torchvision.models.Weights)."""

    url: str
    transforms: Callable
    meta: dict[str, Any]

    def __eq__(self, other: Any) -> bool:
        # NOTE: partial objects compare by identity; enum members are looked up by equality
        # when copied or unpickled, so compare what the partials hold
        if not isinstance(other, Weights):
            return NotImplemented
        if self.url != other.url or self.meta != other.meta:
            return False
        mine, theirs = self.transforms, other.transforms
        if isinstance(mine, partial) and isinstance(theirs, partial):
            return (mine.func, mine.args, mine.keywords) == (theirs.func, theirs.args,
                                                            theirs.keywords)
        return mine == theirs


class WeightsEnum(Enum):
    """Base of the ``<Model>_Weights`` enums; members hold ``Weights`` values
    (torchvision.models.WeightsEnum)."""

    @classmethod
    def verify(cls, obj: Any) -> Any:
        """None, a member of this enum, or its name ("DEFAULT", "ResNet18_Weights.DEFAULT")."""
        if obj is not None:
            if type(obj) is str:
                obj = cls[obj.replace(cls.__name__ + ".", "")]
            elif not isinstance(obj, cls):
                raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} but "
                                f"received {obj.__class__.__name__}.")
        return obj

    def get_state_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The checkpoint's state dict, from the hub cache or downloaded into it."""
        return load_state_dict_from_url(self.url, *args, **kwargs)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}.{self._name_}"

    @property
    def url(self):
        return self.value.url

    @property
    def transforms(self):
        return self.value.transforms

    @property
    def meta(self):
        return self.value.meta


def imagenet_weights(file: str, num_params: int, min_size=(1, 1), categories=True,
                     **transform_args) -> Weights:
    """The Weights of a torchvision ImageNet-1K classifier stored at download.pytorch.org."""
    from ember.vision.models._meta import _IMAGENET_CATEGORIES
    from ember.vision.models._presets import ImageClassification
    from ember.vision.transforms import InterpolationMode

    transform_args.setdefault("crop_size", 224)
    if isinstance(transform_args.get("interpolation"), str):
        transform_args["interpolation"] = InterpolationMode[transform_args["interpolation"].upper()]
    meta = {"min_size": min_size, "categories": _IMAGENET_CATEGORIES if categories else None,
            "num_params": num_params}
    return Weights(_DOWNLOAD_ROOT + file, partial(ImageClassification, **transform_args), meta)


def _weights_module():
    return sys.modules[__name__.rsplit(".", 1)[0]]


def get_weight(name: str) -> WeightsEnum:
    """The weights enum member named by its full name, e.g. "ResNet50_Weights.IMAGENET1K_V1"."""
    try:
        enum_name, value_name = name.split(".")
    except ValueError:
        raise ValueError(f"Invalid weight name provided: '{name}'.") from None
    weights_enum = _weights_module().__dict__.get(enum_name)
    if not (isinstance(weights_enum, type) and issubclass(weights_enum, WeightsEnum)):
        raise ValueError(f"The weight enum '{enum_name}' for the specific method couldn't be "
                         "retrieved.")
    return weights_enum[value_name]


def get_model_weights(name: Callable | str) -> type[WeightsEnum]:
    """The weights enum class of a model builder (given as a function or a registered name)."""
    fn = get_model_builder(name) if isinstance(name, str) else name
    return _get_enum_from_fn(fn)


def _get_enum_from_fn(fn: Callable) -> type[WeightsEnum]:
    sig = inspect.signature(fn, eval_str=True)  # the builders' annotations are postponed
    if "weights" not in sig.parameters:
        raise ValueError("The method is missing the 'weights' argument.")
    ann = sig.parameters["weights"].annotation
    for candidate in (ann, *get_args(ann)):
        if isinstance(candidate, type) and issubclass(candidate, WeightsEnum):
            return candidate
    raise ValueError("The WeightsEnum class for the specific method couldn't be retrieved. Make "
                     "sure the typing info is correct.")


BUILTIN_MODELS: dict[str, Callable] = {}


def register_model(name: str | None = None) -> Callable[[Callable], Callable]:
    """Decorator adding a builder to the registry under ``name`` (default: its own name)."""

    def wrapper(fn):
        key = name if name is not None else fn.__name__
        if key in BUILTIN_MODELS:
            raise ValueError(f"An entry is already registered under the name '{key}'.")
        BUILTIN_MODELS[key] = fn
        return fn

    return wrapper


def list_models(module: ModuleType | None = None, include: Iterable[str] | str | None = None,
                exclude: Iterable[str] | str | None = None) -> list[str]:
    """Sorted names of the registered models, filtered by module and fnmatch patterns."""
    all_models = {k for k, v in BUILTIN_MODELS.items()
                  if module is None or v.__module__.rsplit(".", 1)[0] == module.__name__}
    models = all_models
    if include:
        patterns = [include] if isinstance(include, str) else include
        models = set().union(*(fnmatch.filter(all_models, p) for p in patterns))
    if exclude:
        patterns = [exclude] if isinstance(exclude, str) else exclude
        for pattern in patterns:
            models = models - set(fnmatch.filter(all_models, pattern))
    return sorted(models)


def get_model_builder(name: str) -> Callable:
    """The builder registered under ``name`` (case-insensitive)."""
    try:
        return BUILTIN_MODELS[name.lower()]
    except KeyError:
        raise ValueError(f"Unknown model {name.lower()}") from None


def get_model(name: str, **config: Any):
    """Build the registered model ``name`` with ``config`` as keyword arguments."""
    return get_model_builder(name)(**config)


def _ovewrite_named_param(kwargs: dict[str, Any], param: str, new_value: Any) -> None:
    if param in kwargs:
        if kwargs[param] != new_value:
            raise ValueError(f"The parameter '{param}' expected value {new_value} but got "
                             f"{kwargs[param]} instead.")
    else:
        kwargs[param] = new_value


def _make_divisible(v: float, divisor: int, min_value: int | None = None) -> int:
    """Round a channel count to a multiple of ``divisor``, never more than 10% down."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def _sequence_to_str(seq, separate_last=""):
    if len(seq) == 1:
        return f"'{seq[0]}'"
    head = "'" + "', '".join(str(item) for item in seq[:-1]) + "'"
    return head + f"{'' if separate_last and len(seq) == 2 else ','} {separate_last}'{seq[-1]}'"


def _positional_to_keywords(args, kwargs):
    """torchvision still takes ``weights`` and ``progress`` positionally, with a warning."""
    names = ("weights", "progress")[:len(args)]
    warnings.warn(f"Using {_sequence_to_str(names, separate_last='and ')} as positional "
                  "parameter(s) is deprecated since 0.13 and may be removed in the future. Please "
                  "use keyword parameter(s) instead.", stacklevel=3)
    kwargs.update(zip(names, args))


def _is_new_style(kwargs):
    """Nothing legacy to translate: neither argument given, or ``weights`` is an enum member,
    a name or None."""
    if "weights" not in kwargs:
        return "pretrained" not in kwargs
    weights = kwargs["weights"]
    return (weights is None or isinstance(weights, WeightsEnum)
            or (isinstance(weights, str) and weights != "legacy"))


def _legacy_weights(builder, default, kwargs):
    """Turn ``pretrained`` (or a boolean ``weights``) into ``weights``, warning as torchvision
    does."""
    positional = "weights" in kwargs
    if positional:
        kwargs["pretrained"] = kwargs.pop("weights")
    pretrained = kwargs.pop("pretrained")
    weights = None
    if pretrained:
        weights = default(kwargs) if callable(default) else default
        if not isinstance(weights, WeightsEnum):
            raise ValueError(f"No weights available for model {builder.__name__}")
    if not positional:
        warnings.warn("The parameter 'pretrained' is deprecated since 0.13 and may be removed in "
                      "the future, please use 'weights' instead.", stacklevel=3)
    msg = ("Arguments other than a weight enum or `None` for 'weights' are deprecated since 0.13 "
           "and may be removed in the future. The current behavior is equivalent to passing "
           f"`weights={weights}`.")
    if pretrained:
        msg += (f" You can also use `weights={type(weights).__name__}.DEFAULT` to get the most "
                "up-to-date weights.")
    warnings.warn(msg, stacklevel=3)
    kwargs["weights"] = weights


def handle_legacy_interface(default: WeightsEnum | Callable[[dict], WeightsEnum | None]):
    """Decorator giving a builder torchvision's legacy interface: positional arguments and
    ``pretrained=True/False`` (mapped to ``weights=default``/``None``), each with its warning."""

    def outer(builder):
        @functools.wraps(builder)
        def inner(*args, **kwargs):
            if args:
                _positional_to_keywords(args, kwargs)
            if not _is_new_style(kwargs):
                _legacy_weights(builder, default, kwargs)
            return builder(**kwargs)

        return inner

    return outer
