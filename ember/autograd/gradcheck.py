"""gradcheck / gradgradcheck: analytical gradients against central finite differences, with
torch's defaults (eps=1e-6, atol=1e-5, rtol=1e-3)."""

from __future__ import annotations


class GradcheckError(RuntimeError):
    """Raised by gradcheck when a Jacobian mismatches (torch.autograd.gradcheck.GradcheckError)."""


def _tensor_cls():
    from ember._tensor import Tensor

    return Tensor


def _outputs(fn, inputs):
    out = fn(*inputs)
    return (out,) if isinstance(out, _tensor_cls()) else tuple(out)


def _numerical_jacobian(fn, inputs, index, eps):
    """d outputs / d inputs[index], one column per input element, by central differences."""
    import numpy

    from ember.autograd.grad_mode import no_grad

    x = inputs[index]
    flat = x._data.reshape(-1)  # a view: the tensor itself is perturbed, as torch does
    columns = []
    with no_grad():
        for i in range(flat.size):
            original = flat[i].copy()
            flat[i] = original + eps
            plus = [o._data.astype(numpy.complex128 if o.is_complex() else numpy.float64).ravel()
                    for o in _outputs(fn, inputs)]
            flat[i] = original - eps
            minus = [o._data.astype(plus[k].dtype).ravel()
                     for k, o in enumerate(_outputs(fn, inputs))]
            flat[i] = original
            columns.append(numpy.concatenate([(p - m) / (2 * eps) for p, m in zip(plus, minus)]))
    total = sum(o.numel() for o in _outputs(fn, inputs))
    return numpy.stack(columns, axis=1) if columns else numpy.zeros((total, 0))


def _analytical_jacobian(fn, inputs, index):
    """Rows of d outputs / d inputs[index], from one backward pass per output element."""
    import numpy

    from ember.autograd import grad

    outputs = _outputs(fn, inputs)
    rows = []
    for out in outputs:
        for k in range(out.numel()):
            if not out.requires_grad:
                rows.append(numpy.zeros(inputs[index].numel()))
                continue
            seed = numpy.zeros(out.numel(), dtype=out._data.dtype)
            seed[k] = 1
            from ember._ops.creation import tensor

            (g,) = grad(out, inputs[index], tensor(seed.reshape(out.shape)), retain_graph=True,
                        allow_unused=True)
            rows.append(numpy.zeros(inputs[index].numel()) if g is None else
                        g.detach()._data.ravel().astype(numpy.float64))
    return numpy.stack(rows) if rows else numpy.zeros((0, inputs[index].numel()))


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, check_batched_forward_grad=False,
              check_forward_ad=False, check_backward_ad=True, fast_mode=False, masked=None):
    """Compare analytical and numerical Jacobians for every input that requires grad."""
    import numpy

    inputs = (inputs,) if isinstance(inputs, _tensor_cls()) else tuple(inputs)
    tensors = [i for i, x in enumerate(inputs) if isinstance(x, _tensor_cls()) and
               x.requires_grad]
    if not tensors:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of the them have requires_grad=True.")
    for i in tensors:
        numerical = _numerical_jacobian(func, inputs, i, eps)
        analytical = _analytical_jacobian(func, inputs, i)
        if numerical.shape != analytical.shape or not numpy.allclose(
                analytical, numerical, rtol=rtol, atol=atol):
            if not raise_exception:
                return False
            raise GradcheckError(
                f"Jacobian mismatch for output 0 with respect to input {i},\n"
                f"numerical:{numerical}\nanalytical:{analytical}\n")
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False):
    """gradcheck applied to the first derivative (checks second derivatives)."""
    from ember._ops import random as _random_api
    from ember.autograd import grad

    inputs = (inputs,) if isinstance(inputs, _tensor_cls()) else tuple(inputs)
    outputs = _outputs(func, inputs)
    if grad_outputs is None:
        grad_outputs = tuple(_random_api.randn_like(o, dtype=o.dtype).requires_grad_()
                             for o in outputs)
    grad_outputs = (grad_outputs,) if isinstance(grad_outputs, _tensor_cls()) else tuple(
        grad_outputs)
    n = len(inputs)
    diff_inputs = [x for x in inputs if isinstance(x, _tensor_cls()) and x.requires_grad]

    def first_derivative(*args):
        ins, gos = args[:n], args[n:]
        outs = _outputs(func, ins)
        diff = [x for x in ins if isinstance(x, _tensor_cls()) and x.requires_grad]
        grads = grad(outs, diff, gos, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    del diff_inputs
    return gradcheck(first_derivative, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
