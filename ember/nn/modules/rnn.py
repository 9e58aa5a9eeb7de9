"""Recurrent layers (torch.nn.modules.rnn): RNNCell, LSTMCell, GRUCell and the multi-layer RNN,
LSTM and GRU, with torch's parameter names, shapes, gate order and initialisation: after the same
``manual_seed`` their initial weights equal torch's bit for bit.

The steps are composed from tensor ops (linear, sigmoid, tanh, cat), so autograd needs no
special Op; a Python loop runs over the time steps.
"""

from __future__ import annotations

import math

import ember
from ember.nn import functional as F
from ember.nn import init
from ember.nn.modules.module import Module
from ember.nn.parameter import Parameter


def rnn_tanh_step(gi, state, w_hh, b_hh):
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh), with ``gi`` = W_ih x + b_ih precomputed."""
    h = (gi + F.linear(state[0], w_hh, b_hh)).tanh()
    return h, (h,)


def rnn_relu_step(gi, state, w_hh, b_hh):
    h = F.relu(gi + F.linear(state[0], w_hh, b_hh))
    return h, (h,)


def lstm_step(gi, state, w_hh, b_hh, w_hr=None):
    """torch's LSTM gates in the order i, f, g, o; h is projected by w_hr when given."""
    h, c = state
    i, f, g, o = (gi + F.linear(h, w_hh, b_hh)).chunk(4, 1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h = o.sigmoid() * c.tanh()
    if w_hr is not None:
        h = F.linear(h, w_hr)
    return h, (h, c)


def gru_step(gi, state, w_hh, b_hh):
    """torch's GRU gates r, z, n with n = tanh(W_in x + b_in + r * (W_hn h + b_hn))."""
    h = state[0]
    i_r, i_z, i_n = gi.chunk(3, 1)
    h_r, h_z, h_n = F.linear(h, w_hh, b_hh).chunk(3, 1)
    r, z = (i_r + h_r).sigmoid(), (i_z + h_z).sigmoid()
    n = (i_n + r * h_n).tanh()
    h = n + z * (h - n)
    return h, (h,)


_STEPS = {"RNN_TANH": rnn_tanh_step, "RNN_RELU": rnn_relu_step, "LSTM": lstm_step,
          "GRU": gru_step}
_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _uniform_all(module):
    # NOTE: torch draws U(-1/sqrt(hidden), 1/sqrt(hidden)) for every parameter in registration
    # order; the same order here gives the same numbers after manual_seed
    stdv = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0
    for weight in module.parameters():
        init.uniform_(weight, -stdv, stdv)


# -- cells ----------------------------------------------------------------------------------

class RNNCellBase(Module):
    """Shared parameters (weight_ih, weight_hh, bias_ih, bias_hh) of the cells (torch's)."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gates = num_chunks * hidden_size
        self.weight_ih = Parameter(ember.empty(gates, input_size, **kw))
        self.weight_hh = Parameter(ember.empty(gates, hidden_size, **kw))
        if bias:
            self.bias_ih = Parameter(ember.empty(gates, **kw))
            self.bias_hh = Parameter(ember.empty(gates, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        _uniform_all(self)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prepare(self, name, input, hx, n_states):
        """Validate like torch's cells; returns (2-D input, tuple of 2-D states, batched)."""
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            zeros = ember.zeros(input.size(0), self.hidden_size, dtype=input.dtype,
                                device=input.device)
            hx = (zeros,) * n_states
        elif not batched:
            hx = tuple(h.unsqueeze(0) for h in hx)
        if input.size(1) != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.size(1)} "
                               f"expected {self.input_size}")
        for k, h in enumerate(hx):
            if h.size(0) != input.size(0):
                raise RuntimeError(f"Input batch size {input.size(0)} doesn't match hidden{k} "
                                   f"batch size {h.size(0)}")
            if h.size(-1) != self.hidden_size:
                raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got {h.size(-1)}, "
                                   f"expected {self.hidden_size}")
        return input, tuple(hx), batched

    def _step(self, step, input, state):
        gi = F.linear(input, self.weight_ih, self.bias_ih)
        return step(gi, state, self.weight_hh, self.bias_hh)


def _check_hidden_dim(name, h):
    if h is not None and h.dim() not in (1, 2):
        raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {h.dim()}D instead")


class RNNCell(RNNCellBase):
    """h' = tanh/relu(W_ih x + b_ih + W_hh h + b_hh) (torch.nn.RNNCell)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        _check_hidden_dim("RNNCell", hx)
        input, state, batched = self._prepare("RNNCell", input, None if hx is None else (hx,), 1)
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        step = rnn_tanh_step if self.nonlinearity == "tanh" else rnn_relu_step
        h, _ = self._step(step, input, state)
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step returning (h', c'); gates i, f, g, o (torch.nn.LSTMCell)."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        if hx is not None:
            for k, h in enumerate(hx):
                if h.dim() not in (1, 2):
                    raise ValueError(
                        f"LSTMCell: Expected hx[{k}] to be 1D or 2D, got {h.dim()}D instead")
        input, state, batched = self._prepare("LSTMCell", input, hx, 2)
        _, (h, c) = self._step(lstm_step, input, state)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step; gates r, z, n as torch.nn.GRUCell."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        _check_hidden_dim("GRUCell", hx)
        input, state, batched = self._prepare("GRUCell", input, None if hx is None else (hx,), 1)
        h, _ = self._step(gru_step, input, state)
        return h if batched else h.squeeze(0)


from ember.nn.modules._rnn_layers import GRU, LSTM, RNN, RNNBase  # noqa: E402, F401
