"""The multi-layer recurrent modules RNN, LSTM and GRU (torch.nn.RNN / LSTM / GRU), re-exported
from ember.nn.modules.rnn.

Padded and packed input share one path: a sequence is flat time-major data plus the batch size
at each step (all equal to the batch for padded input). Each step works on the first
``batch_sizes[t]`` rows, so sequences that ended keep their last state, as torch's do.
"""

from __future__ import annotations

import numbers
import warnings

import ember
from ember.nn import functional as F
from ember.nn.modules.module import Module
from ember.nn.modules.rnn import _GATES, _STEPS, _uniform_all
from ember.nn.parameter import Parameter
from ember.nn.utils.rnn import PackedSequence


def _run_direction(step, data, batch_sizes, state, weights, reverse):
    """One layer, one direction over the packed ``data``; returns (output data, final state)."""
    w_ih, w_hh, b_ih, b_hh, *proj = weights
    gis = F.linear(data, w_ih, b_ih).split(batch_sizes, 0)
    outputs = [None] * len(batch_sizes)
    for t in (reversed(range(len(batch_sizes))) if reverse else range(len(batch_sizes))):
        size = batch_sizes[t]
        active = tuple(s[:size] for s in state) if size < state[0].size(0) else state
        out, new = step(gis[t], active, w_hh, b_hh, *proj)
        if size < state[0].size(0):
            new = tuple(ember.cat([n, s[size:]]) for n, s in zip(new, state))
        state, outputs[t] = new, out
    return ember.cat(outputs), state


def _check_flag(value, name):
    if not isinstance(value, bool):
        raise TypeError(f"{name} should be of type bool, got: {type(value).__name__}")


def _check_size(value, name):
    if not isinstance(value, int):
        raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be greater than zero")


class RNNBase(Module):
    """Parameters, checks and the layer/direction loop shared by RNN, LSTM and GRU."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        self._check_args(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         proj_size)
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        self._make_parameters({"device": device, "dtype": dtype})
        self.reset_parameters()

    @staticmethod
    def _check_args(input_size, hidden_size, num_layers, bias, batch_first, dropout, proj_size):
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=3)
        _check_flag(bias, "bias")
        _check_flag(batch_first, "batch_first")
        _check_size(input_size, "input_size")
        _check_size(hidden_size, "hidden_size")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")

    def _make_parameters(self, kw):
        """torch's names and registration order: per layer, per direction, ih, hh, biases, hr."""
        gates = _GATES[self.mode] * self.hidden_size
        real_hidden = self.proj_size or self.hidden_size
        self._flat_weights_names = []
        for layer in range(self.num_layers):
            for suffix in ("", "_reverse")[:self._num_directions]:
                width = self.input_size if layer == 0 else real_hidden * self._num_directions
                shapes = {"weight_ih": (gates, width), "weight_hh": (gates, real_hidden)}
                if self.bias:
                    shapes.update(bias_ih=(gates,), bias_hh=(gates,))
                if self.proj_size:
                    shapes["weight_hr"] = (self.proj_size, self.hidden_size)
                for name, shape in shapes.items():
                    full = f"{name}_l{layer}{suffix}"
                    setattr(self, full, Parameter(ember.empty(*shape, **kw)))
                    self._flat_weights_names.append(full)

    @property
    def _num_directions(self):
        return 2 if self.bidirectional else 1

    @property
    def _flat_weights(self):
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self):
        """Per layer and direction, that layer's parameters (torch's ``all_weights``)."""
        per = len(self._flat_weights_names) // (self.num_layers * self._num_directions)
        flat = self._flat_weights
        return [flat[k:k + per] for k in range(0, len(flat), per)]

    def flatten_parameters(self):
        """No-op: there is no cuDNN weight buffer to compact (torch's is a no-op on CPU)."""

    def reset_parameters(self):
        _uniform_all(self)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    def _layer_weights(self, index):
        """(w_ih, w_hh, b_ih, b_hh[, w_hr]) of layer/direction ``index``, None for no bias."""
        weights = self.all_weights[index]
        if not self.bias:
            weights = weights[:2] + [None, None] + weights[2:]
        return weights

    # -- forward ----------------------------------------------------------------------------

    def _check_input(self, input, packed):
        weight = self._flat_weights[0]
        if input.dtype != weight.dtype:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight.dtype}). "
                f"Convert input: input.to({weight.dtype}), or convert model: "
                f"model.to({input.dtype})")
        expected = 2 if packed else 3
        if input.dim() != expected:
            raise RuntimeError(f"input must have {expected} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError("input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.size(-1)}")

    def _check_hidden(self, hx, batch, width, label):
        expected = (self.num_layers * self._num_directions, batch, width)
        if tuple(hx.shape) != expected:
            raise RuntimeError(f"Expected {label} size {expected}, got {list(hx.shape)}")

    def _zeros(self, batch, width, like):
        return ember.zeros(self.num_layers * self._num_directions, batch, width,
                           dtype=like.dtype, device=like.device)

    def _run(self, data, batch_sizes, states):
        """All layers and directions over packed ``data``; states: tuple of (L*D, B, H)."""
        step, finals = _STEPS[self.mode], [[] for _ in states]
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(self._num_directions):
                index = layer * self._num_directions + direction
                out, final = _run_direction(step, data, batch_sizes,
                                            tuple(s[index] for s in states),
                                            self._layer_weights(index), direction == 1)
                outputs.append(out)
                for store, value in zip(finals, final):
                    store.append(value)
            data = outputs[0] if len(outputs) == 1 else ember.cat(outputs, 1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                data = F.dropout(data, self.dropout, training=True)
        return data, tuple(ember.stack(store) for store in finals)

    def _forward(self, input, hx):
        """Returns (output, tuple of final states) for a tensor or PackedSequence input;
        ``hx`` is None or a tuple of states."""
        widths = (self.proj_size or self.hidden_size, self.hidden_size)[:len(_init_states(self))]
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx, widths)
        if input.dim() not in (2, 3):
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got "
                             f"{input.dim()}D {self._dim_word}")
        batched = input.dim() == 3
        if not batched:
            input = input.unsqueeze(0 if self.batch_first else 1)
        if hx is not None:
            hx = self._check_state_dims(hx, batched)
        if self.batch_first:
            input = input.transpose(0, 1)
        self._check_input(input, False)
        steps, batch = input.size(0), input.size(1)
        hx = self._initial(hx, batch, widths, input)
        data = input.reshape(steps * batch, input.size(2))
        out, finals = self._run(data, [batch] * steps, hx)
        out = out.reshape(steps, batch, out.size(-1))
        if self.batch_first:
            out = out.transpose(0, 1)
        if not batched:
            out = out.squeeze(0 if self.batch_first else 1)
            finals = tuple(f.squeeze(1) for f in finals)
        return out, finals

    def _initial(self, hx, batch, widths, like):
        if hx is None:
            return tuple(self._zeros(batch, w, like) for w in widths)
        labels = ["hidden"] if len(widths) == 1 else ["hidden[0]", "hidden[1]"]
        for h, w, label in zip(hx, widths, labels):
            self._check_hidden(h, batch, w, label)
        return hx

    def _forward_packed(self, input, hx, widths):
        data, batch_sizes, sorted_indices, unsorted_indices = input
        self._check_input(data, True)
        sizes = [int(v) for v in batch_sizes.tolist()]
        if hx is not None and sorted_indices is not None:
            hx = tuple(h.index_select(1, sorted_indices) for h in hx)
        hx = self._initial(hx, sizes[0], widths, data)
        out, finals = self._run(data, sizes, hx)
        if unsorted_indices is not None:
            finals = tuple(f.index_select(1, unsorted_indices) for f in finals)
        return PackedSequence(out, batch_sizes, sorted_indices, unsorted_indices), finals


def _init_states(module):
    return ("h", "c") if module.mode == "LSTM" else ("h",)


class _SingleStateMixin:
    """RNN and GRU: one hidden state tensor."""

    _dim_word = "instead"

    def _check_state_dims(self, hx, batched):
        (h,) = hx
        if batched and h.dim() != 3:
            raise RuntimeError(
                f"For batched 3-D input, hx should also be 3-D but got {h.dim()}-D tensor")
        if not batched:
            if h.dim() != 2:
                raise RuntimeError(
                    f"For unbatched 2-D input, hx should also be 2-D but got {h.dim()}-D tensor")
            h = h.unsqueeze(1)
        return (h,)

    def forward(self, input, hx=None):
        output, (h,) = self._forward(input, None if hx is None else (hx,))
        return output, h


class RNN(_SingleStateMixin, RNNBase):
    """Elman RNN with tanh or relu (torch.nn.RNN), any number of layers and directions."""

    _dim_word = "tensor instead"

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        modes = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}
        if self.nonlinearity not in modes:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' "
                             "or 'relu'.")
        super().__init__(modes[self.nonlinearity], *args, **kwargs)


class GRU(_SingleStateMixin, RNNBase):
    """Multi-layer GRU (torch.nn.GRU); gates r, z, n."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


class LSTM(RNNBase):
    """Multi-layer LSTM (torch.nn.LSTM) with optional projection (proj_size); returns
    (output, (h_n, c_n))."""

    _dim_word = "instead"

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def _check_state_dims(self, hx, batched):
        h, c = hx
        want = 3 if batched else 2
        if h.dim() != want or c.dim() != want:
            kind = "batched 3-D" if batched else "unbatched 2-D"
            raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but got "
                               f"({h.dim()}-D, {c.dim()}-D) tensors")
        return hx if batched else (h.unsqueeze(1), c.unsqueeze(1))

    def forward(self, input, hx=None):
        output, (h, c) = self._forward(input, hx)
        return output, (h, c)
