"""Ember: PyTorch's API and behaviour in readable Python on NumPy (CPU) and CuPy (GPU).

``import ember as torch`` and tutorial code runs unchanged. This module is the ``torch``
namespace: Tensor, dtypes, creation and math functions, grad modes, random seeding.
"""

import warnings as _warnings

# NOTE: torch is silent on division by zero, overflow and invalid values (inf / nan results);
# NumPy warns. Silence NumPy's floating-point warnings raised inside Ember's ops only: the user's
# own NumPy code keeps its warnings, and the hot path pays nothing (no errstate per call).
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"ember\.")

from ember import _dtype, autograd, cuda  # noqa: E402,I001
from ember._device import device
from ember._dtype import (
    bfloat16,
    bool,
    cdouble,
    cfloat,
    complex64,
    complex128,
    double,
    dtype,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    promote_types,
    set_default_dtype,
    short,
    uint8,
)
from ember._ops._op import result_type
from ember._ops.activation import log_softmax, softmax
from ember._ops.complex import *  # noqa: F403
from ember._ops.conversion import clone
from ember._ops.creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    ones,
    ones_like,
    range,
    tensor,
    zeros,
    zeros_like,
)
from ember._ops.legacy import (
    BFloat16Tensor,
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
)
from ember._ops.decomp import *  # noqa: F403
from ember._ops.elementwise_misc import *  # noqa: F403
from ember._ops.elementwise_more import *  # noqa: F403
from ember._ops.masked import *  # noqa: F403
from ember._ops.index_ops import *  # noqa: F403
from ember._ops.scatter import *  # noqa: F403
from ember._ops.linalg import bmm, dot, matmul, mm, mv
from ember._ops.pointwise import *  # noqa: F403
from ember._ops.division import *  # noqa: F403
from ember._ops.inplace import inplace_update  # noqa: F401 - part of the namespace
from ember._ops.unary import *  # noqa: F403
from ember._ops.minmax import *  # noqa: F403
from ember._ops.compare import *  # noqa: F403
from ember._ops.products import *  # noqa: F403
from ember._ops.random import (
    Generator,
    bernoulli,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    multinomial,
    normal,
    poisson,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    seed,
    set_rng_state,
)
from ember._ops.reduce import *  # noqa: F403
from ember._ops.reduce_extremes import *  # noqa: F403
from ember._ops.reduce_misc import *  # noqa: F403
from ember._ops.scan import *  # noqa: F403
from ember._ops.shape import *  # noqa: F403
from ember._ops.strided import *  # noqa: F403
from ember._ops.views import *  # noqa: F403
from ember._ops.join import *  # noqa: F403
from ember._ops.repeat import *  # noqa: F403
from ember._ops.special import *  # noqa: F403
from ember._ops.sort import *  # noqa: F403
from ember._ops.search import *  # noqa: F403
from ember._ops.histogram import *  # noqa: F403
from ember._tensor import Size, Tensor
from ember.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)

__version__ = "0.1.0"


def can_cast(from_, to):
    """Whether a cast is allowed by torch's casting rules (torch.can_cast)."""
    return _dtype.can_cast(from_, to)


def is_tensor(obj):
    """True for an ember Tensor (torch.is_tensor)."""
    return isinstance(obj, Tensor)


def numel(input):
    return input.numel()


def is_floating_point(input):
    return input.is_floating_point()


def is_complex(input):
    return input.is_complex()


from ember import random  # noqa: E402,I001 - torch.random: the generator, seeding, fork_rng
from math import e, inf, nan, pi  # noqa: E402 - torch's constants are these Python floats
from ember._settings import (  # noqa: E402 - torch's process-wide switches and layout objects
    are_deterministic_algorithms_enabled,
    channels_last,
    channels_last_3d,
    contiguous_format,
    get_float32_matmul_precision,
    get_num_threads,
    is_deterministic_algorithms_warn_only_enabled,
    layout,
    memory_format,
    preserve_format,
    set_float32_matmul_precision,
    set_num_threads,
    strided,
    use_deterministic_algorithms,
)
from ember import version  # noqa: E402 - torch.version

# NOTE: the modules below together cost about as much to import as the core above, and a script
# that only computes with tensors touches none of them. They load on first attribute access
# (PEP 562): `ember.nn`, `import ember.nn` and `from ember import save` work as if imported here.
_LAZY_SUBMODULES = frozenset(
    {"backends", "distributions", "hub", "linalg", "nn", "optim", "serialization", "special",
     "testing", "utils"})
_LAZY_NAMES = {  # name -> (module, attribute)
    "cdist": ("ember._ops.cdist", "cdist"),
    "finfo": ("ember._finfo", "finfo"),
    "iinfo": ("ember._finfo", "iinfo"),
    "set_printoptions": ("ember._tensor_str", "set_printoptions"),
    "save": ("ember.serialization", "save"),
    "load": ("ember.serialization", "load"),
    "norm_except_dim": ("ember.nn.utils.weight_norm", "norm_except_dim"),
    "_weight_norm": ("ember.nn.utils.weight_norm", "_weight_norm"),
}


def __getattr__(name):
    import importlib

    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")  # the import binds it here too
    if name in _LAZY_NAMES:
        module, attribute = _LAZY_NAMES[name]
        value = globals()[name] = getattr(importlib.import_module(module), attribute)
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _LAZY_SUBMODULES | set(_LAZY_NAMES))


# NOTE: `from ember import *` binds every public name, the lazy ones included (loading them)
__all__ = sorted({n for n in globals() if not n.startswith("_")} | _LAZY_SUBMODULES
                 | {n for n in _LAZY_NAMES if not n.startswith("_")})

# NOTE: last: star imports above also carry the helper named conj that backward formulas use
from ember._ops.complex import conj  # noqa: E402
