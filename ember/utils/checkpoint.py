"""Activation checkpointing (torch.utils.checkpoint): run part of a model without keeping its
graph, and run it again during backward to get the gradients.

Both of torch's variants run as torch's reentrant one does: a custom autograd Function whose
backward reruns the forward under ``enable_grad`` on detached inputs (with the random state of
the first run, so dropout draws repeat) and calls ``ember.autograd.backward`` on the recomputed
outputs; parameters the function uses get their gradients from that inner backward.
``use_reentrant=False`` only adds keyword arguments to the function.
"""

from __future__ import annotations

import contextlib
import warnings

import ember
from ember.autograd.function import Function

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointFunction", "check_backward_validity",
           "detach_variable", "noop_context_fn"]


def noop_context_fn():
    """The default ``context_fn``: two context managers that do nothing."""
    return contextlib.nullcontext(), contextlib.nullcontext()


def detach_variable(inputs):
    """Each tensor of the tuple detached, keeping its requires_grad (torch's detach_variable)."""
    if not isinstance(inputs, tuple):
        raise RuntimeError("Only tuple of tensors is supported. Got Unsupported input type: "
                           f"{type(inputs).__name__}")
    out = []
    for inp in inputs:
        if not isinstance(inp, ember.Tensor):
            out.append(inp)
            continue
        x = inp.detach()
        x.requires_grad = inp.requires_grad
        out.append(x)
    return tuple(out)


def check_backward_validity(inputs) -> None:
    """torch's warning when no input tensor requires grad (the checkpoint gives no gradients)."""
    if not any(isinstance(inp, ember.Tensor) and inp.requires_grad for inp in inputs):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                      stacklevel=2)


class CheckpointFunction(Function):
    """Forward under no_grad keeping only the inputs; backward recomputes and differentiates."""

    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, *args):
        check_backward_validity(args)
        ctx.run_function, ctx.preserve_rng_state = run_function, preserve_rng_state
        if preserve_rng_state:
            ctx.fwd_cpu_state = ember.random.get_rng_state()
        ctx.inputs = [None if isinstance(a, ember.Tensor) else a for a in args]
        ctx.tensor_indices = [i for i, a in enumerate(args) if isinstance(a, ember.Tensor)]
        ctx.save_for_backward(*[a for a in args if isinstance(a, ember.Tensor)])
        with ember.no_grad():
            return run_function(*args)

    @staticmethod
    def backward(ctx, *grads):
        inputs = list(ctx.inputs)
        for i, tensor in zip(ctx.tensor_indices, ctx.saved_tensors):
            inputs[i] = tensor
        with ember.random.fork_rng(enabled=ctx.preserve_rng_state):
            if ctx.preserve_rng_state:
                ember.random.set_rng_state(ctx.fwd_cpu_state)
            detached = detach_variable(tuple(inputs))
            with ember.enable_grad():
                outputs = ctx.run_function(*detached)
        if isinstance(outputs, ember.Tensor):
            outputs = (outputs,)
        pairs = [(out, g) for out, g in zip(outputs, grads)
                 if isinstance(out, ember.Tensor) and out.requires_grad]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not "
                               "necessary")
        ember.autograd.backward([o for o, _ in pairs], [g for _, g in pairs])
        return (None, None) + tuple(x.grad if isinstance(x, ember.Tensor) else None
                                    for x in detached)


def checkpoint(function, *args, use_reentrant: bool | None = None, context_fn=noop_context_fn,
               determinism_check: str = "default", debug: bool = False, early_stop: bool = True,
               **kwargs):
    """``function(*args, **kwargs)`` without keeping its intermediate values: they are computed
    again during backward, giving the same gradients (torch.utils.checkpoint.checkpoint).
    ``use_reentrant`` left as None warns and means True, as in torch; keyword arguments for the
    function need ``use_reentrant=False``; ``preserve_rng_state`` (default True) makes the rerun
    draw the same random numbers. ``context_fn``, ``determinism_check``, ``debug`` and
    ``early_stop`` are accepted and have no effect."""
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
            "Starting in PyTorch 2.9, calling checkpoint without use_reentrant will raise an "
            "exception. use_reentrant=False is recommended, but if you need to preserve the "
            "current default behavior, you can pass use_reentrant=True. Refer to docs for more "
            "details on the differences between the two variants.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    if use_reentrant and (context_fn is not noop_context_fn or debug is not False):
        raise ValueError("Passing `context_fn` or `debug` is only supported when "
                         "use_reentrant=False.")
    if kwargs:
        def run(*inner):
            return function(*inner, **kwargs)
    else:
        run = function
    return CheckpointFunction.apply(run, preserve, *args)


def _run_segment(functions, start, end):
    def forward(input):
        for j in range(start, end + 1):
            input = functions[j](input)
        return input

    return forward


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run a sequence of functions (or an ``nn.Sequential``) in ``segments`` chunks, checkpointing
    all but the last (torch.utils.checkpoint.checkpoint_sequential)."""
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be "
            "passed explicitly. In version 2.9 we will raise an exception if use_reentrant is not "
            "passed. use_reentrant=False is recommended, but if you need to preserve the current "
            "default behavior, you can pass use_reentrant=True. Refer to docs for more details on "
            "the differences between the two variants.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    if isinstance(functions, ember.nn.Sequential):
        functions = list(functions.children())
    segment_size = len(functions) // segments
    end = -1
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        input = checkpoint(_run_segment(functions, start, end), input,
                           use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return _run_segment(functions, end + 1, len(functions) - 1)(input)
