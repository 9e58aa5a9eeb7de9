"""The samplers of ember._random.Generator: uniform, normal, log-normal, exponential, Cauchy,
geometric, Bernoulli, Poisson, random_ / randint, randperm and multinomial, each turning the
generator's raw draws into samples the way torch's CPU kernel does."""

import numpy as np

from ember._random._math import (
    _F32,
    _F64,
    _INT64_MIN,
    _cast,
    _check_continuous,
    _check_randperm_size,
    _dtype_limits,
    _float_digits,
    _fma32,
    _fma64,
    _forward_shuffle,
    _inside_out,
    _int_range,
    _numel,
    _opmath,
)


class Samplers:
    """Generator's sampling methods, on top of its raw draws (``_words``, ``_words64``,
    ``_uniform``, ``_normal_serial``, ``_normal_blocks``); each docstring names the torch call it
    reproduces."""

    # ------------------------------------------------------------------------ continuous

    def uniform(self, shape, dtype=np.float32, low=0.0, high=1.0):
        """torch.rand / Tensor.uniform_(low, high): fma(u, high - low, low) in float32 (float64
        for float64), cast to dtype; a value that rounds up to `high` becomes `low`."""
        dtype = np.dtype(dtype)
        lowest, top = _dtype_limits(dtype)
        for value, name in ((low, "from"), (high, "to")):
            if not lowest <= value <= top:
                raise RuntimeError(f"{name} is out of bounds for {dtype}")
        if low > high:
            raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                               f"from={low} > to={high}")
        if high - low > top:
            raise RuntimeError(f"uniform_ expects to-from <= std::numeric_limits<{dtype}>::max(),"
                               f" but found to={high} and from={low} which result in to-from to "
                               "exceed the limit")
        opmath = _opmath(dtype)
        u = self._uniform(_numel(shape), opmath)
        lo, hi = opmath.type(low), opmath.type(high)
        if (lo, hi) != (0, 1):
            u = (_fma64 if opmath == _F64 else _fma32)(u, hi - lo, lo)
        out = _cast(u, dtype)
        if dtype != opmath or (lo, hi) != (0, 1):  # else no value can reach 1: nothing to fix
            out[out == _cast(np.array([high]), dtype)] = _cast(np.array([low]), dtype)
        return out.reshape(shape)

    def normal(self, shape=None, dtype=np.float32, mean=0.0, std=1.0):
        """torch.randn / Tensor.normal_(mean, std): 16 or more elements take torch's block
        kernel, fewer its per-element sampler (which keeps a cached sample between calls).

        An array mean or std gives torch.normal's tensor overloads: normal_(0, std) then
        `+ mean` when only mean is an array, else normal_(0, 1) then `* std + mean`, each a
        separate op in dtype; shape defaults to the broadcast shape of mean and std."""
        dtype = np.dtype(dtype)
        if isinstance(mean, np.ndarray) or isinstance(std, np.ndarray):
            return self._normal_array_args(shape, dtype, mean, std)
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        shape = () if shape is None else shape
        n = _numel(shape)
        if n >= 16:
            return self._normal_blocks(n, dtype, mean, std).reshape(shape)
        return _cast(_fma64(self._normal_serial(n), std, mean), dtype).reshape(shape)

    def _normal_array_args(self, shape, dtype, mean, std):
        mean_a, std_a = np.asarray(mean), np.asarray(std)
        if std_a.size and not (std_a >= 0).all():
            raise RuntimeError("normal expects all elements of std >= 0.0")
        if shape is None:
            shape = np.broadcast_shapes(mean_a.shape, std_a.shape)
        if not isinstance(std, np.ndarray):
            return self.normal(shape, dtype, 0.0, std) + mean_a.astype(dtype)
        return self.normal(shape, dtype) * std_a.astype(dtype) + mean_a.astype(dtype)

    def log_normal(self, shape, dtype=np.float32, mean=1.0, std=2.0):
        """Tensor.log_normal_(mean, std): exp of the per-element normal sampler, in float64."""
        if not std > 0:
            raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
        z = self._normal_serial(_numel(shape))
        return _cast(np.exp(_fma64(z, std, mean)), np.dtype(dtype)).reshape(shape)

    def exponential(self, shape, dtype=np.float32, lambd=1.0):
        """Tensor.exponential_(lambd): -1/lambd * log1p(-u) on float64 uniforms."""
        dtype = np.dtype(dtype)
        _check_continuous("Exponential", dtype)
        if not lambd > 0:
            raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
        u = self._uniform(_numel(shape), _F64)
        return _cast((-1.0 / lambd) * np.log1p(-u), dtype).reshape(shape)

    def cauchy(self, shape, dtype=np.float32, median=0.0, sigma=1.0):
        """Tensor.cauchy_(median, sigma): fma(sigma, tan(pi (u - 0.5)), median) in float64."""
        dtype = np.dtype(dtype)
        if not sigma > 0:
            raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
        _check_continuous("Cauchy", dtype)
        u = self._uniform(_numel(shape), _F64)
        return _cast(_fma64(sigma, np.tan(np.pi * (u - 0.5)), median), dtype).reshape(shape)

    # ------------------------------------------------------------------------------ discrete

    def geometric(self, shape, dtype, p):
        """Tensor.geometric_(p): ceil(log(u) / log1p(-p)) on float64 uniforms."""
        if np.dtype(dtype) == np.bool_ and _numel(shape):
            raise NotImplementedError("\"geometric_cpu\" not implemented for 'Bool'")
        if not 0 < p < 1:
            raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
        u = self._uniform(_numel(shape), _F64)
        with np.errstate(divide="ignore"):  # u == 0 gives inf, as in torch
            return _cast(np.ceil(np.log(u) / np.log1p(-p)), np.dtype(dtype)).reshape(shape)

    def bernoulli(self, p, shape=None, dtype=None):
        """A scalar p is Tensor.bernoulli_(p): float64 uniforms (random64) compared with p.
        An array p is torch.bernoulli(p) / Tensor.bernoulli_(p): float64 p is compared with
        float64 uniforms, other float p with float32 uniforms (one word each). shape defaults
        to p's shape, dtype to p's dtype (float32 for a scalar p)."""
        if not isinstance(p, np.ndarray):
            if not 0 <= p <= 1:
                raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
            u = self._uniform(_numel(shape), _F64)
            return (u < p).astype(dtype or _F32).reshape(shape)
        shape = p.shape if shape is None else tuple(shape)
        opmath = _F64 if p.dtype == _F64 else _F32
        probs = np.broadcast_to(p, shape).astype(opmath).ravel()
        if not ((probs >= 0) & (probs <= 1)).all():
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
        u = self._uniform(probs.size, opmath)
        return (u < probs).astype(dtype or p.dtype).reshape(shape)

    def poisson(self, rates, dtype=None):
        """torch.poisson(rates): one count per rate, in C order, cast to dtype (default: the
        rates' dtype). Rates below 10 take Knuth's multiplication method, larger ones
        Hormann's transformed rejection; both on float64 uniforms (ember._random_poisson)."""
        from ember import _random_poisson  # here, not above: it loads ctypes and builds a table

        rates = np.asarray(rates)
        counts = _random_poisson.sample(self, rates.astype(_F64).ravel())  # static_cast<double>
        with np.errstate(over="ignore"):  # counts past float16's range become inf, silently
            out = _cast(counts, np.dtype(dtype or rates.dtype))
        return out.reshape(rates.shape)

    def random_(self, shape, dtype=np.int64):
        """Tensor.random_() without bounds: [0, 2**mantissa] for floats, [0, max] for ints
        (bool keeps a word's lowest bit); int64 and float64 draw random64(), others a word."""
        dtype = np.dtype(dtype)
        if dtype.kind == "u" and dtype.itemsize > 1:
            raise NotImplementedError(f"\"random_kernel_cpu\" not implemented for '{dtype}'")
        n = _numel(shape)
        words = self._words64(n) if dtype in (np.int64, _F64) else self._words(n).astype(np.uint64)
        digits = _float_digits(dtype)
        modulus = 2**digits + 1 if digits else _dtype_limits(dtype)[1] + 1
        return _cast(words % np.uint64(modulus), dtype).reshape(shape)

    def random_int(self, shape, dtype, low, high=None):
        """torch.randint(low, high) / Tensor.random_(low, high): word % (high - low) + low, with
        random64() per element once the range reaches 2**28. high=None is Tensor.random_(low,
        None): up to dtype's max (2**mantissa for floats), and all 64 bits when low=-2**63."""
        dtype, n = np.dtype(dtype), _numel(shape)
        if high is None and low == _INT64_MIN:
            if n and dtype in (np.float16, np.bool_):  # torch does not even compile these
                name = "Half" if dtype == np.float16 else "Bool"
                raise NotImplementedError(
                    f"\"random_full_64_bits_range_kernel_cpu\" not implemented for '{name}'")
            if n and dtype not in (np.int64, _F64, _F32) and dtype.name != "bfloat16":
                raise RuntimeError("random_full_64_bits_range_kernel_cpu handles only int64, "
                                   "double, float and bfloat16")
            return _cast(self._words64(n).view(np.int64), dtype).reshape(shape)
        low, span = _int_range(dtype, int(low), None if high is None else int(high))
        if span < 2**28:  # one word each; the sum stays in [low, high), so int64 is exact
            values = (self._words(n) % np.uint32(span)).astype(np.int64) + low
        else:  # uint64 arithmetic wraps the way torch's does
            values = (self._words64(n) % np.uint64(span) + np.uint64(low % 2**64)).view(np.int64)
        return _cast(values, dtype).reshape(shape)

    def randperm(self, n, dtype=np.int64):
        """torch.randperm(n): for n < 2**32 / 20, `swap(a[i], a[i + random() % (n - i)])` for
        i < n - 1; beyond, the inside-out shuffle with random64() % (i + 1)."""
        n, dtype = int(n), np.dtype(dtype)
        if n < 0:
            raise RuntimeError(f"n must be non-negative, got{n}")
        if dtype == np.bool_:
            raise NotImplementedError("\"randperm\" not implemented for 'Bool'")
        _check_randperm_size(n, dtype)
        if n >= (2**32 - 1) // 20:
            picks = self._words64(n) % np.arange(1, n + 1, dtype=np.uint64)
            return _cast(_inside_out(picks.astype(np.int64)), dtype)
        if n < 2:
            return np.arange(n).astype(dtype)
        targets = self._words(n - 1) % np.arange(n, 1, -1, dtype=np.uint64)  # % (n - i)
        return _cast(_forward_shuffle(targets.astype(np.int64) + np.arange(n - 1)), dtype)

    def multinomial(self, probs, num_samples, replacement=False):
        """torch.multinomial on 1-D or 2-D weights; returns int64 indices. Without replacement
        torch divides the weights by Exp(1) samples (exponential_ on an array like probs) and
        takes the top num_samples; with replacement it binary-searches float64 uniforms in each
        row's normalised running sum (but one sample is drawn as without replacement)."""
        probs = np.asarray(probs)
        if probs.ndim not in (1, 2):
            raise RuntimeError("prob_dist must be 1 or 2 dim")
        if not _float_digits(probs.dtype):
            raise RuntimeError("multinomial only supports floating-point dtypes for input, "
                               f"got: {probs.dtype}")
        if num_samples <= 0:
            raise RuntimeError("cannot sample n_sample <= 0 samples")
        if not replacement and num_samples > probs.shape[-1]:
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                               "replacement")
        if not replacement or num_samples == 1:
            # NOTE: torch takes this path for one sample with replacement too
            return self._multinomial_topk(probs, num_samples)
        rows = probs.reshape(-1, probs.shape[-1])
        out = np.stack([self._multinomial_row(row, num_samples) for row in rows])
        return out.reshape(probs.shape[:-1] + (num_samples,))

    def _multinomial_topk(self, probs, num_samples):
        if not (np.isfinite(probs).all() and (probs >= 0).all()):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if (probs.sum(axis=-1) == 0).any():
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        scores = probs / self.exponential(probs.shape, probs.dtype)
        if num_samples == 1:
            return np.argmax(scores, axis=-1, keepdims=True).astype(np.int64)
        order = np.argsort(-scores.astype(_F64), axis=-1, kind="stable")
        return order[..., :num_samples].astype(np.int64)

    def _multinomial_row(self, row, num_samples):
        acc = _opmath(row.dtype)  # float16/bfloat16 rows are summed in float32
        if not np.isfinite(row.astype(acc)).all() or (row < 0).any():
            raise RuntimeError("invalid multinomial distribution (encountering probability entry"
                               " < 0, infinity or NaN)")
        running = np.cumsum(row.astype(acc), dtype=acc)  # one element after another, like torch
        if not running[-1] > 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        running /= running[-1]
        running[-1] = 1
        return np.searchsorted(running.astype(_F64), self._uniform(num_samples, _F64))
