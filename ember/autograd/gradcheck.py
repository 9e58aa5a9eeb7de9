"""gradcheck / gradgradcheck: analytical gradients against central finite differences, with
torch's signature, defaults (eps=1e-6, atol=1e-5, rtol=1e-3) and slow-mode checks.

Complex numbers are checked as torch checks them (Wirtinger calculus): a complex input is
perturbed along its real and its imaginary axis, and the numerical gradient ds/dx + i ds/dy of
each real output s is compared with the analytical one, the conjugate Wirtinger derivative that
backward computes; a function with complex outputs is checked twice, on the imaginary parts of
its complex outputs, then on their real parts.

Deviations: fast_mode runs the slow check, and check_undefined_grad / check_batched_grad /
forward-AD options are accepted but do nothing (Ember has no undefined gradients, vmap or
forward AD).
"""

from __future__ import annotations

import warnings

import numpy

from ember._dtype import FLOAT


class GradcheckError(RuntimeError):
    """Raised by gradcheck when a check fails (torch.autograd.gradcheck.GradcheckError)."""


def _tensor_cls():
    from ember._tensor import Tensor

    return Tensor


def _as_tuple(x):
    return (x,) if isinstance(x, _tensor_cls()) else tuple(x)


def _outputs(fn, inputs):
    return _as_tuple(fn(*inputs))


def _host(t):
    from ember._backend import to_host

    return to_host(t._data)


def _check_inputs(inputs):
    """torch's input checks: one input must require grad; non-double inputs get a warning."""
    Tensor, found = _tensor_cls(), False
    for idx, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad:
            if x.dtype.name not in ("float64", "complex128"):
                warnings.warn(f"Input #{idx} requires gradient and is not a double precision "
                              "floating point or complex. This check will likely fail if all "
                              "the inputs are not of double precision floating point or "
                              "complex. ", stacklevel=3)
            found = True
    if not found:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of them have requires_grad=True.")


# -- Jacobians: one (input numel, output numel) array per (input, output), as torch prints them --


def _numerical_jacobians(fn, inputs, eps):
    """For each input requiring grad, one Jacobian per tensor output, by central differences.
    The input is perturbed in place, element by element, as torch does; a complex input also
    along the imaginary axis, its column being ds/dx + i ds/dy (in the input's dtype)."""
    from ember._ops.creation import tensor

    Tensor = _tensor_cls()
    outputs = [o for o in _outputs(fn, inputs) if _is_float(o, Tensor)]
    result = []
    for x in inputs:
        if not (isinstance(x, Tensor) and x.requires_grad):
            continue
        is_complex = x.dtype.is_complex
        kind = numpy.complex128 if is_complex else numpy.float64
        columns = [numpy.zeros((x.numel(), o.numel()), dtype=kind) for o in outputs]
        for k, idx in enumerate(numpy.ndindex(*x.shape)):
            slopes = _central_differences(fn, inputs, x, idx, eps)
            if is_complex:
                along_imag = _central_differences(fn, inputs, x, idx, eps * 1j, eps)
                slopes = [dx + 1j * dy for dx, dy in zip(slopes, along_imag)]
            for col, slope in zip(columns, slopes):
                col[k] = slope.ravel()
        result.append([tensor(c, dtype=x.dtype if is_complex else o.dtype)
                       for c, o in zip(columns, outputs)])
    return result


def _central_differences(fn, inputs, x, idx, step, eps=None):
    """(f(x + step) - f(x - step)) / (2 eps) at one element of x, for every tensor output."""
    Tensor = _tensor_cls()
    data = x._data  # NOTE: written through index tuples, so non-contiguous inputs work too
    original = data[idx].copy()
    data[idx] = original - step
    minus = [_host(o).copy() for o in _outputs(fn, inputs) if _is_float(o, Tensor)]
    data[idx] = original + step
    plus = [_host(o).copy() for o in _outputs(fn, inputs) if _is_float(o, Tensor)]
    data[idx] = original
    return [(p - m) / (2 * (step if eps is None else eps)) for p, m in zip(plus, minus)]


def _is_float(t, Tensor):
    # integer outputs have no numerical derivative: torch leaves them out
    return isinstance(t, Tensor) and t.dtype.category >= FLOAT


def _analytical_jacobians(inputs, output):
    """Rows of d output / d input for every input requiring grad, one backward per output
    element; computed twice, as torch does, to check that backward is deterministic. A complex
    input's Jacobian is complex (in the input's dtype), as torch's."""
    from ember._ops.creation import tensor, zeros
    from ember.autograd import grad

    Tensor = _tensor_cls()
    diff = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    runs = []
    for _ in range(2):
        jac = [numpy.zeros((x.numel(), output.numel()),
                           dtype=numpy.complex128 if x.dtype.is_complex else numpy.float64)
               for x in diff]
        for k in range(output.numel()):
            seed = zeros(output.numel(), dtype=output.dtype, device=output.device)
            seed._data[k] = 1
            grads = grad(output, diff, seed.reshape(output.shape), retain_graph=True,
                         allow_unused=True)
            for j, g in zip(jac, grads):
                if g is not None:
                    j[:, k] = _host(g).ravel()
        runs.append(jac)
    dtypes = [x.dtype if x.dtype.is_complex else output.dtype for x in diff]
    return [tensor(j, dtype=d) for j, d in zip(runs[0], dtypes)], runs


def _check_jacobians(fn, inputs, eps, atol, rtol, nondet_tol, complex_outputs=(), part=None):
    """torch's slow check of one function. ``part`` ("real" / "imaginary") names the part of the
    complex outputs (indices ``complex_outputs``) that ``fn`` returns, for the message."""
    Tensor = _tensor_cls()
    numerical = _numerical_jacobians(fn, inputs, eps)
    tensors = [o for o in _outputs(fn, inputs) if _is_float(o, Tensor)]
    diff_outputs = [i for i, o in enumerate(tensors) if o.requires_grad]
    if not diff_outputs:
        if any(bool((j != 0).any()) for per_input in numerical for j in per_input):
            raise GradcheckError("Numerical gradient for function expected to be zero")
        return True
    for out_idx, i in enumerate(diff_outputs):
        analytical, (first, second) = _analytical_jacobians(inputs, tensors[i])
        if any(numpy.abs(a - b).max(initial=0) > nondet_tol for a, b in zip(first, second)):
            raise GradcheckError(
                "Backward is not reentrant, i.e., running backward with same input and "
                "grad_output multiple times gives different values, although analytical "
                f"gradient matches numerical gradient.The tolerance for nondeterminism was "
                f"{nondet_tol}.")
        for in_idx, (a, per_output) in enumerate(zip(analytical, numerical)):
            n = per_output[i]
            if not numpy.allclose(_host(a), _host(n), rtol=rtol, atol=atol):
                prefix = ""
                if out_idx in complex_outputs:
                    prefix = f"While considering the {part} part of complex outputs only, "
                raise GradcheckError(f"{prefix}Jacobian mismatch for output {out_idx:d} with "
                                     f"respect to input {in_idx:d},\nnumerical:{n}\n"
                                     f"analytical:{a}\n")
    return True


def _check_real_imag(fn, inputs, eps, atol, rtol, nondet_tol):
    """torch's _gradcheck_real_imag: with complex outputs, check the function that returns their
    imaginary parts, then the one that returns their real parts (other outputs as they are)."""
    Tensor = _tensor_cls()
    outputs = [o for o in _outputs(fn, inputs) if isinstance(o, Tensor)]
    if not any(o.dtype.is_complex for o in outputs):
        return _check_jacobians(fn, inputs, eps, atol, rtol, nondet_tol)
    differentiable = [o for o in outputs if o.requires_grad]
    complex_outputs = {i for i, o in enumerate(differentiable) if o.dtype.is_complex}
    for part, take in (("imaginary", "imag"), ("real", "real")):
        _check_jacobians(_part_of_outputs(fn, take), inputs, eps, atol, rtol, nondet_tol,
                         complex_outputs, part)
    return True


def _part_of_outputs(fn, take):
    Tensor = _tensor_cls()

    def part(*inputs):
        return tuple(getattr(o, take) if isinstance(o, Tensor) and o.dtype.is_complex else o
                     for o in _outputs(fn, inputs))

    return part


def _check_backward_mul_by_grad_output(fn, inputs):
    """torch's last check: zero grad_outputs must give zero gradients of the inputs' dtypes."""
    from ember._ops.creation import zeros_like
    from ember.autograd import grad

    Tensor = _tensor_cls()
    outputs = [o for o in _outputs(fn, inputs) if isinstance(o, Tensor) and o.requires_grad]
    diff = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    if not outputs:
        return True
    grads = grad(outputs, diff, [zeros_like(o) for o in outputs], allow_unused=True)
    for g, x in zip(grads, diff):
        if g is None:
            continue
        if not bool((g == 0).all()):
            raise GradcheckError("backward not multiplied by grad_output")
        if g.dtype is not x.dtype:
            raise GradcheckError("grad is incorrect type")
        if g.shape != x.shape:
            raise GradcheckError("grad is incorrect size")
    return True


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, check_batched_forward_grad=False,
              check_forward_ad=False, check_backward_ad=True, fast_mode=False,
              masked=None) -> bool:
    """Compare analytical and numerical Jacobians for every input that requires grad
    (torch.autograd.gradcheck); False instead of GradcheckError with raise_exception=False."""
    inputs = _as_tuple(inputs)
    _check_inputs(inputs)
    try:
        _check_real_imag(func, inputs, eps, atol, rtol, nondet_tol)
        return _check_backward_mul_by_grad_output(func, inputs)
    except GradcheckError:
        if raise_exception:
            raise
        return False


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False) -> bool:
    """gradcheck of the first derivative, i.e. of second derivatives (torch.autograd.
    gradgradcheck). Missing grad_outputs are random in [-1, 1) and require grad, as torch's."""
    from ember.autograd import grad

    Tensor = _tensor_cls()
    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        outputs = [o for o in _outputs(func, inputs) if isinstance(o, Tensor) and o.requires_grad]
        grad_outputs = tuple(_random_like(o) for o in outputs)
    grad_outputs = _as_tuple(grad_outputs)
    n = len(inputs)

    def first_derivative(*args):
        ins, gos = args[:n], args[n:]
        outs = [o for o in _outputs(func, ins) if isinstance(o, Tensor) and o.requires_grad]
        diff = [x for x in ins if isinstance(x, Tensor) and x.requires_grad]
        grads = grad(outs, diff, gos, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivative, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol)


def _random_like(t):
    """Uniform in [-1, 1), in t's dtype if it is floating or complex (both parts), else double."""
    from ember._ops.complex import view_as_complex
    from ember._ops.random import rand

    dtype = t.dtype if t.dtype.category >= FLOAT else _float64()
    if dtype.is_complex:
        pairs = rand((*t.shape, 2), dtype=dtype.to_real(), device=t.device) * 2 - 1
        return view_as_complex(pairs).requires_grad_()
    values = rand(t.shape, dtype=dtype, device=t.device) * 2 - 1
    return values.requires_grad_()


def _float64():
    from ember import _dtype

    return _dtype.float64
