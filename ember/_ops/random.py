"""Random sampling: rand, randn, randint, randperm, normal, bernoulli, poisson and their *_like
and in-place forms, all drawing from ember._random's torch-compatible generator."""

from __future__ import annotations

import contextlib
import math

import numpy

from ember import _dtype, _random
from ember._backend import to_host
from ember._device import to_device
from ember._dtype import COMPLEX, FLOAT, to_dtype
from ember._ops._elementwise import _reject
from ember._ops._op import Op
from ember._ops.creation import _finish, zeros_like
from ember._ops.factory_args import (
    NO_SIZE,
    _scalar_name,
    check_size_sequence,
    out_options,
    shape_of,
    size_arg,
    write_out,
)
from ember._ops.inplace import inplace_update, with_out


class Generator(_random.Generator):
    """torch.Generator: an independent random stream; state as a uint8 tensor."""

    def __init__(self, device="cpu"):
        super().__init__()
        self.device = to_device(device)

    def manual_seed(self, seed):
        super().manual_seed(int(seed))
        return self

    def get_state(self):
        from ember._ops.creation import from_numpy

        return from_numpy(super().get_state().copy())

    def set_state(self, new_state):
        super().set_state(new_state.numpy() if hasattr(new_state, "numpy") else new_state)
        return self


default_generator = Generator()
default_generator.seed()  # as torch's: a fresh non-deterministic seed in every process


def _gen(generator):
    return default_generator if generator is None else generator


def manual_seed(seed):
    """Seed the default generator (torch.manual_seed); returns it."""
    return default_generator.manual_seed(seed)


def seed():
    """Seed the default generator non-deterministically and return the seed (torch.seed)."""
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state, a uint8 tensor in torch's layout (torch.get_rng_state)."""
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


def _float_dtype(dtype, what):
    dtype = to_dtype(dtype) or _dtype.get_default_dtype()
    if dtype.category < FLOAT:
        raise NotImplementedError(f"\"{what}\" not implemented for '{_scalar_name(dtype)}'")
    return dtype


def _uniform_values(gen, shape, dtype, low=0.0, high=1.0):
    """gen.uniform for a floating or complex dtype: torch fills a complex tensor through
    view_as_real, so both parts are drawn together, pair by pair."""
    if dtype.category != COMPLEX:
        return gen.uniform(shape, dtype.np, low, high)
    pairs = gen.uniform(tuple(shape) + (2,), dtype.to_real().np, low, high)
    return pairs.view(dtype.np).reshape(shape)


def _normal_values(gen, shape, dtype, mean=0.0, std=1.0):
    """gen.normal for a floating or complex dtype. torch fills a complex tensor through
    view_as_real: both parts drawn together with std / sqrt(2) (and a Python mean added to
    each); a tensor mean or std then applies as in gen.normal."""
    if dtype.category != COMPLEX:
        return gen.normal(shape, dtype.np, mean, std)
    if isinstance(std, numpy.ndarray):
        noise = _normal_values(gen, shape, dtype) * std.astype(dtype.np)
        return noise + numpy.asarray(mean).astype(dtype.np)
    if isinstance(mean, numpy.ndarray):
        return _normal_values(gen, shape, dtype, 0.0, std) + mean.astype(dtype.np)
    pairs = gen.normal(tuple(shape) + (2,), dtype.to_real().np, mean, std / math.sqrt(2))
    return pairs.view(dtype.np).reshape(shape)


def rand(*args, size=NO_SIZE, generator=None, dtype=None, device=None, requires_grad=False,
         out=None, layout=None, pin_memory=False):
    """Uniform samples on [0, 1) (torch.rand), torch's numbers for the same seed; the size as
    rand(2, 3), rand((2, 3)) or rand(size=(2, 3))."""
    shape = size_arg("rand", args, size)
    dtype, device = out_options("rand", out, dtype, device)
    dtype = _float_dtype(dtype, "check_uniform_bounds")
    array = _uniform_values(_gen(generator), shape, dtype)
    return write_out(_finish(array, device, False), out, requires_grad)


def randn(*args, size=NO_SIZE, generator=None, dtype=None, device=None, requires_grad=False,
          out=None, layout=None, pin_memory=False):
    """Standard normal samples (torch.randn), torch's numbers for the same seed; the size as
    randn(2, 3), randn((2, 3)) or randn(size=(2, 3))."""
    shape = size_arg("randn", args, size)
    dtype, device = out_options("randn", out, dtype, device, resizes=True)
    dtype = _float_dtype(dtype, "normal_kernel_cpu")
    array = _normal_values(_gen(generator), shape, dtype)
    return write_out(_finish(array, device, False), out, requires_grad)


def randint(low=None, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False, out=None, layout=None):
    """Integers in [low, high) (torch.randint); int64 unless dtype says otherwise. Both of
    torch's forms: randint(high, size) and randint(low, high, size), positional or by keyword."""
    if size is None:
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if high is None:
        raise TypeError("randint() missing 1 required positional arguments: \"high\"")
    if size is None:
        raise TypeError("randint() missing 1 required positional arguments: \"size\"")
    shape = shape_of((check_size_sequence("randint", size, "'size'"),))
    low = 0 if low is None else low
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    dtype, device = out_options("randint", out, dtype, device)
    dtype = dtype or _dtype.int64
    if dtype.category == COMPLEX:
        raise RuntimeError("check_random_bounds handles only integral, floating-point and "
                           "boolean types")
    array = _gen(generator).random_int(shape, dtype.np, int(low), int(high))
    return write_out(_finish(array, device, False), out, requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False, out=None,
             layout=None):
    """A random permutation of 0..n-1 (torch.randperm)."""
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    dtype, device = out_options("randperm", out, dtype, device)
    dtype = dtype or _dtype.int64
    if dtype.category == COMPLEX:
        raise NotImplementedError(f"\"randperm\" not implemented for '{_scalar_name(dtype)}'")
    result = _finish(_gen(generator).randperm(int(n), dtype.np), device, False)
    return write_out(result, out, requires_grad)


class _NormalTensorArgs(Op):
    """torch.normal with a tensor mean and/or std, drawn by the sampler, which follows torch's
    kernels (normal_(0, std) + mean for a float std, else normal_(0, 1) * std + mean). The
    samples do not move with mean or std, so the gradients are zero (torch's derivatives.yaml),
    yet the output requires grad."""

    promote = "keep"

    def __init__(self, generator, mean, std, shape, dtype):
        self.generator, self.mean, self.std = generator, mean, std
        self.shape, self.dtype = tuple(shape), dtype

    def forward(self, *arrays):
        given = iter(arrays)
        mean = to_host(next(given)) if self.mean is None else self.mean
        std = to_host(next(given)) if self.std is None else self.std
        return self.xp.asarray(_normal_values(self.generator, self.shape, self.dtype, mean, std))

    def backward(self, g):
        zero = zeros_like(g)
        return zero if self.mean is not None or self.std is not None else (zero, zero)


class NormalBackward1(_NormalTensorArgs):
    """normal(Tensor mean, float std)."""


class NormalBackward2(_NormalTensorArgs):
    """normal(float mean, Tensor std)."""


class NormalBackward3(_NormalTensorArgs):
    """normal(Tensor mean, Tensor std)."""


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad=False, out=None):
    """normal(mean, std) for tensor or float mean/std, or normal(mean, std, size) (torch.normal);
    with ``out=``, drawn in out's dtype as torch does."""
    from ember._tensor import Tensor

    gen = _gen(generator)
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        if size is not None:  # torch has no (Tensor, ..., size) overload
            raise TypeError("normal() received an invalid combination of arguments: size is "
                            "given only with float mean and std")
        return _normal_tensor_args(gen, mean, std, out)
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    if size is None:
        raise TypeError("normal() missing required argument 'size' when mean and std are floats")
    dtype, device = out_options("normal", out, dtype, device)
    dtype = _float_dtype(dtype, "normal_kernel_cpu")
    shape = shape_of((check_size_sequence("normal", size, "'size'"),))
    array = _normal_values(gen, shape, dtype, mean, std)
    return write_out(_finish(array, device, False), out, requires_grad)


def _normal_tensor_args(gen, mean, std, out):
    """The tensor overloads. The result takes mean's dtype (std's when mean is a float) and the
    broadcast shape of the tensors; an ``out`` gives its dtype, and is resized to that shape
    (with torch's warning), except that with a float std torch broadcasts mean against out's
    own shape."""
    from ember._ops.shape import broadcast_shape
    from ember._tensor import Tensor

    tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
    if not isinstance(std, Tensor) and std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    if isinstance(std, Tensor) and bool((std < 0).any()):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    shapes = [t.shape for t in tensors]
    dtype = tensors[0].dtype
    if out is not None:
        dtype = out_options("normal", out, None, None, grad_name="normal", inputs=tensors)[0]
        shapes += [out.shape] if isinstance(mean, Tensor) and not isinstance(std, Tensor) else []
    shape = broadcast_shape(*shapes)
    dtype = _float_dtype(dtype, "normal_kernel_cpu")
    node = (NormalBackward3 if len(tensors) == 2 else
            NormalBackward1 if isinstance(mean, Tensor) else NormalBackward2)
    result = node(gen, None if isinstance(mean, Tensor) else mean,
                  None if isinstance(std, Tensor) else std, shape, dtype).apply(*tensors)
    return with_out(result, out)


def bernoulli(input, p=None, *, generator=None, out=None):
    """0/1 samples with probabilities ``input`` (or a scalar ``p``) (torch.bernoulli). With
    ``out=``, the same draws (they follow input's dtype) in out's dtype, out resized to input's
    shape without a warning."""
    if out is not None and p is not None:
        raise TypeError("bernoulli() received an invalid combination of arguments - got "
                        "(Tensor, float, out=Tensor)")
    dtype = out_options("bernoulli", out, None, None, grad_name="bernoulli", inputs=(input,))[0]
    dtype = dtype or input.dtype
    if p is None and dtype.category == COMPLEX:
        raise NotImplementedError(f"\"bernoulli_tensor_cpu_self_\" not implemented for "
                                  f"'{_scalar_name(dtype)}'")
    if p is None and input.dtype.category < FLOAT and input.numel():
        raise NotImplementedError(f"\"bernoulli_tensor_cpu_p_\" not implemented for "
                                  f"'{_scalar_name(input.dtype)}'")
    gen = _gen(generator)
    probs = input._data if p is None else p
    array = gen.bernoulli(probs, tuple(input.shape), dtype.np)
    return write_out(_finish(array, input.device, False), out)


class PoissonBackward0(Op):
    """torch.poisson's node: the samples do not move with the rates, so the gradient is zero
    (torch's derivatives.yaml: ``self: zeros_like(self)``), yet the output requires grad."""

    promote = "keep"

    def __init__(self, generator):
        self.generator = generator

    def forward(self, rates):
        _reject(rates, "biuc", "poisson_cpu")
        return self.xp.asarray(self.generator.poisson(to_host(rates)))

    def backward(self, g):
        return zeros_like(g)


def poisson(input, generator=None):
    """Counts drawn at the rates in input, in input's dtype (torch.poisson); torch's numbers
    for the same seed."""
    return PoissonBackward0(_gen(generator)).apply(input)


def rand_like(input, *, dtype=None, device=None, requires_grad=False, generator=None,
              memory_format=None):
    return rand(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad, generator=generator)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, generator=None,
               memory_format=None):
    return randn(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                 requires_grad=requires_grad, generator=generator)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False,
                 generator=None, memory_format=None):
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, dtype=dtype or input.dtype,
                   device=device or input.device, requires_grad=requires_grad,
                   generator=generator)


def uniform_(input, a=0.0, b=1.0, *, generator=None):
    """Fill with uniform samples on [a, b) in place (Tensor.uniform_)."""
    array = _uniform_values(_gen(generator), tuple(input.shape), input.dtype, a, b)
    return _fill_from(input, array)


def normal_(input, mean=0.0, std=1.0, *, generator=None):
    """Fill with normal samples in place (Tensor.normal_)."""
    array = _normal_values(_gen(generator), tuple(input.shape), input.dtype, mean, std)
    return _fill_from(input, array)


def random_(input, from_=0, to=None, *, generator=None):
    """Fill with integers in [from, to) in place (Tensor.random_)."""
    gen = _gen(generator)
    if to is None:
        array = gen.random_(tuple(input.shape), input.dtype.np) if from_ == 0 else \
            gen.random_int(tuple(input.shape), input.dtype.np, 0, int(from_))
    else:
        array = gen.random_int(tuple(input.shape), input.dtype.np, int(from_), int(to))
    return _fill_from(input, array)


def bernoulli_(input, p=0.5, *, generator=None):
    """Fill with 0/1 samples of probability p in place (Tensor.bernoulli_)."""
    from ember._tensor import Tensor

    probs = p._data if isinstance(p, Tensor) else p
    array = _gen(generator).bernoulli(probs, tuple(input.shape), input.dtype.np)
    return _fill_from(input, array)


def _fill_from(input, array):
    from ember.autograd.grad_mode import no_grad

    value = _finish(array, input.device, False)
    with no_grad():
        return inplace_update(input, value)


def exponential_(input, lambd=1.0, *, generator=None):
    """Fill with exponential samples of rate lambd in place (Tensor.exponential_)."""
    return _fill_from(input, _gen(generator).exponential(tuple(input.shape), input.dtype.np,
                                                         lambd))


def geometric_(input, p, *, generator=None):
    """Fill with geometric samples (trials to first success) in place (Tensor.geometric_)."""
    return _fill_from(input, _gen(generator).geometric(tuple(input.shape), input.dtype.np, p))


def log_normal_(input, mean=1.0, std=2.0, *, generator=None):
    """Fill with exp(normal(mean, std)) samples in place (Tensor.log_normal_)."""
    return _fill_from(input, _gen(generator).log_normal(tuple(input.shape), input.dtype.np,
                                                        mean, std))


def cauchy_(input, median=0.0, sigma=1.0, *, generator=None):
    """Fill with Cauchy samples in place (Tensor.cauchy_)."""
    return _fill_from(input, _gen(generator).cauchy(tuple(input.shape), input.dtype.np, median,
                                                    sigma))


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """Indices drawn by the row weights of input, int64 (torch.multinomial); an ``out`` must be
    int64, and is resized without a warning."""
    if out is not None and out.dtype is not _dtype.int64:
        raise RuntimeError(f"multinomial expects Long tensor out, got: {_scalar_name(out.dtype)}")
    array = _gen(generator).multinomial(input._data, num_samples, replacement)
    return write_out(_finish(array, input.device, False), out)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices",
             device_type="cuda"):
    """Run a block with the generator's state saved and restored after it, so draws inside
    leave the stream outside unchanged; also a decorator (torch.random.fork_rng). Ember has no
    device generators to fork."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)
