"""einsum: equation strings (implicit and explicit output, ellipsis, repeated subscripts on one
operand) and torch's sublist form, with torch's broadcasting of size-1 dims and its errors.

Subscripts become integer labels (A-Z = 0-25, a-z = 26-51, as torch numbers sublists; the dims an
ellipsis covers get labels from 52 on, aligned from the right). Size-1 dims that broadcast against
a larger size are squeezed out first, so one Op sees consistent sizes. Its gradient for operand k
is again an einsum: the upstream gradient with the other operands, written to operand k's
subscripts. Repeated subscripts get an identity tensor, subscripts found nowhere else a ones
vector, so every gradient is a valid einsum and double backward works the same way.
"""

from __future__ import annotations

import string

from ember._dtype import BOOL
from ember._ops._op import Op, _legacy_type_name

_LETTERS = string.ascii_uppercase + string.ascii_lowercase
_ELLIPSIS = "..."
_FIRST_ELLIPSIS_LABEL = 52


def _fail(message):
    raise RuntimeError(f"einsum(): {message}")


def _parse_equation(equation):
    """Per-operand label lists (ints, with _ELLIPSIS), and the output's (None if implicit)."""
    inputs, current, output, i = [], [], None, 0
    while i < len(equation):
        c = equation[i]
        where = "output" if output is not None else f"operand {len(inputs)}"
        if c == ".":
            if _ELLIPSIS in current:
                _fail(f"found '.' for {where} for which an ellipsis was already found")
            if equation[i:i + 3] != "...":
                _fail(f"found '.' for {where} that is not part of any ellipsis")
            current.append(_ELLIPSIS)
            i += 3
            continue
        if c == "," and output is None:
            inputs.append(current)
            current = []
        elif c == "-" and output is None and equation[i + 1:i + 2] == ">":
            inputs.append(current)
            current = output = []
            i += 1
        elif c in _LETTERS:
            current.append(_LETTERS.index(c))
        elif c != " ":
            _fail(f"invalid subscript given at index {i} in the equation string, subscripts must "
                  "be in [a-zA-Z]")
        i += 1
    if output is None:
        inputs.append(current)
    return inputs, output


def _sublist(sub):
    labels = []
    for s in sub:
        if s is Ellipsis:
            labels.append(_ELLIPSIS)
        elif not 0 <= s < 52:
            raise ValueError("einsum(): subscript in subscript list is not within the valid "
                             "range [0, 52)")
        else:
            labels.append(int(s))
    return labels


def _parse_args(args):
    from ember._tensor import Tensor

    if len(args) < 2 and not (args and isinstance(args[0], Tensor)):
        raise ValueError("einsum(): must specify the equation string and at least one operand, "
                         "or at least one operand and its subscripts list")
    if isinstance(args[0], str):
        operands = args[1:]
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = tuple(operands[0])
        for i, t in enumerate(operands):
            if not isinstance(t, Tensor):
                raise TypeError(f"expected Tensor as element {i} in argument 1, but got "
                                f"{type(t).__name__}")
        inputs, output = _parse_equation(args[0])
        if len(inputs) > len(operands):
            _fail("fewer operands were provided than specified in the equation")
        if len(inputs) < len(operands):
            _fail("more operands were provided than specified in the equation")
        return list(operands), inputs, output
    operands, inputs = list(args[0::2]), [_sublist(s) for s in args[1::2]]
    output = None
    if len(operands) > len(inputs):  # odd count: the last argument is the output sublist
        output = _sublist(operands.pop())
    return operands, inputs, output


def _expand_ellipses(operands, inputs):
    """Replace each ellipsis by labels for the dims it covers, aligned from the right."""
    covered = []
    for k, (t, labels) in enumerate(zip(operands, inputs)):
        named = len(labels) - (_ELLIPSIS in labels)
        if _ELLIPSIS not in labels and named != t.ndim:
            _fail(f"the number of subscripts in the equation ({named}) does not match the number "
                  f"of dimensions ({t.ndim}) for operand {k} and no ellipsis was given")
        if named > t.ndim:
            _fail(f"the number of subscripts in the equation ({named}) is more than the number "
                  f"of dimensions ({t.ndim}) for operand {k}")
        covered.append(t.ndim - named if _ELLIPSIS in labels else 0)
    width = max(covered, default=0)
    full = []
    for labels, n in zip(inputs, covered):
        ell = list(range(_FIRST_ELLIPSIS_LABEL + width - n, _FIRST_ELLIPSIS_LABEL + width))
        full.append(_replace_ellipsis(labels, ell))
    return full, list(range(_FIRST_ELLIPSIS_LABEL, _FIRST_ELLIPSIS_LABEL + width))


def _replace_ellipsis(labels, ell):
    if _ELLIPSIS not in labels:
        return list(labels)
    i = labels.index(_ELLIPSIS)
    return list(labels[:i]) + ell + list(labels[i + 1:])


def _output_labels(inputs, output, ell):
    """Implicit output: the ellipsis dims, then labels used exactly once, sorted."""
    if output is None:
        counts = {}
        for labels in inputs:
            for label in labels:
                counts[label] = counts.get(label, 0) + 1
        return ell + sorted(x for x, n in counts.items() if n == 1 and x < _FIRST_ELLIPSIS_LABEL)
    seen = set().union(*inputs)
    for label in output:
        if label is not _ELLIPSIS and label not in seen:
            _fail(f"output subscript {_LETTERS[label]} does not appear in the equation for any "
                  "input operand")
        if label is not _ELLIPSIS and output.count(label) > 1:
            _fail(f"output subscript {_LETTERS[label]} appears more than once in the output")
    return _replace_ellipsis(output, ell)


def _label_sizes(operands, inputs, ell):
    """Size of each label, checking repeats within an operand and broadcasting across them."""
    sizes = {}
    for k, (t, labels) in enumerate(zip(operands, inputs)):
        own = {}
        for label, size in zip(labels, t.shape):
            if label in own and own[label] != size:
                _fail(f"subscript {_LETTERS[label]} is repeated for operand {k} but the sizes "
                      f"don't match, {size} != {own[label]}")
            own[label] = size
        for label, size in own.items():
            seen = sizes.get(label, 1)
            if size != 1 and seen != 1 and size != seen:
                if label >= _FIRST_ELLIPSIS_LABEL:
                    # (sic: torch's message has no space after the operand number)
                    _fail(f"dimension {ell.index(label)} covered by ellipsis in operand {k}has "
                          f"size {size} which does not broadcast with previously seen ellipsis "
                          f"with size {seen} for the respective dimension")
                _fail(f"subscript {_LETTERS[label]} has size {size} for operand {k} which does "
                      f"not broadcast with previously seen size {seen}")
            sizes[label] = max(seen, size)
    return sizes


def _squeeze_broadcast(t, labels, sizes):
    """Drop the size-1 dims of ``t`` whose label has a larger size elsewhere: broadcasting
    means the operand is constant along that label."""
    keep = [i for i, (label, size) in enumerate(zip(labels, t.shape))
            if not (size == 1 and sizes[label] != 1)]
    if len(keep) == len(labels):
        return t, labels
    return t.reshape([t.shape[i] for i in keep]), [labels[i] for i in keep]


def einsum(*args):
    """Einstein summation over operands (torch.einsum): 'ij,jk->ik', implicit output, '...',
    repeated subscripts (diagonals), or the sublist form einsum(a, [0, 1], b, [1, 2], [0, 2])."""
    operands, inputs, output = _parse_args(args)
    inputs, ell = _expand_ellipses(operands, inputs)
    out_labels = _output_labels(inputs, output, ell)
    for t in operands[1:]:
        if t.dtype is not operands[0].dtype:
            name = _legacy_type_name(operands[0]).split(".")[1][:-6]
            _fail_dtype(name, _legacy_type_name(t).split(".")[1][:-6])
    sizes = _label_sizes(operands, inputs, ell)
    pairs = [_squeeze_broadcast(t, labels, sizes) for t, labels in zip(operands, inputs)]
    operands, inputs = [p[0] for p in pairs], [p[1] for p in pairs]
    if operands[0].dtype.category == BOOL and len(operands) > 1:
        used = set(out_labels)
        if any(label not in used for labels in inputs for label in labels):
            raise NotImplementedError("\"bmm\" not implemented for 'Bool'")
    return contract(operands, inputs, out_labels)


def _fail_dtype(expected, found):
    raise RuntimeError(f"expected scalar type {expected} but found {found}")


class ConjBackward0(Op):
    """Complex conjugate, for gradients by torch's convention (grad * conj(derivative))."""

    promote = "keep"

    def forward(self, x):
        return self.xp.conj(x)

    def backward(self, g):
        return ConjBackward0().apply(g)


def _conj(t):
    return ConjBackward0().apply(t) if t.is_complex() else t


def contract(operands, inputs, output):
    """The einsum of checked operands over integer labels (no ellipsis, consistent sizes)."""
    return EinsumBackward0(tuple(map(tuple, inputs)), tuple(output)).apply(*operands)


class EinsumBackward0(Op):
    """The contraction of operands labelled by ints into the output's labels."""

    promote = "keep"

    def __init__(self, inputs, output):
        self.inputs, self.output = inputs, output

    def forward(self, *arrays):
        self.save(*arrays)
        dtype = arrays[0].dtype
        summed = any(x not in self.output for labels in self.inputs for x in labels)
        if len(arrays) == 1 and summed and dtype.kind in "biu":
            arrays = [arrays[0].astype("int64")]  # a plain sum: integers accumulate in int64
        elif dtype.itemsize == 2 and dtype.kind not in "iu":
            arrays = [a.astype("float32") for a in arrays]  # half precision accumulates in f32
        out = _contract_arrays(self.xp, arrays, self.inputs, self.output)
        want = arrays[0].dtype if dtype.kind in "biu" else dtype
        return out.astype(want)  # astype copies: the result never aliases an input

    def backward(self, g):
        saved = self.saved
        return tuple(self._grad(g, saved, k) if need else None
                     for k, need in enumerate(self.needs_input_grad))

    def _grad(self, g, saved, k):
        """Operand k's gradient: einsum of g with the other operands, into k's subscripts."""
        from ember._ops.creation import ones

        target, shape = list(self.inputs[k]), self._input_meta[k][0]
        others = [(_conj(t), labels) for j, (t, labels) in enumerate(zip(saved, self.inputs))
                  if j != k]
        present = set(self.output).union(*(labels for _, labels in others))
        fresh = max([*self.output, *(x for labels in self.inputs for x in labels)], default=0) + 1
        extra, groups = [], {}
        for pos, label in enumerate(target):
            if label in groups:  # a repeated subscript: the gradient lives on the diagonal
                groups[label].append(fresh)
                target[pos], fresh = fresh, fresh + 1
            else:
                groups[label] = [label]
        kw = {"dtype": g.dtype, "device": g.device}
        for label, group in groups.items():
            size = shape[self.inputs[k].index(label)]
            if len(group) > 1:
                extra.append((_identity(size, len(group), g), group))
            elif label not in present:
                extra.append((ones(size, **kw), [label]))
        terms = [(g, list(self.output)), *others, *extra]
        return contract([t for t, _ in terms], [labels for _, labels in terms], target)


def _contract_arrays(xp, arrays, inputs, output):
    """The einsum of arrays, as torch computes it: each operand reduced to the labels needed
    (diagonals taken, lone labels summed), then contracted pairwise, left to right, as batched
    matrix products (NumPy's own einsum loops over batch labels without BLAS)."""
    operands = []
    for k, (array, labels) in enumerate(zip(arrays, inputs)):
        needed = set(output).union(*(x for j, x in enumerate(inputs) if j != k))
        operands.append(_reduce_operand(xp, array, list(labels), needed))
    result, labels = operands[0]
    for k in range(1, len(operands)):
        later = set(output).union(*(x for x in inputs[k + 1:]))
        result, labels = _contract_pair(xp, (result, labels), operands[k], later)
    return xp.transpose(result, [labels.index(x) for x in output])


def _reduce_operand(xp, array, labels, needed):
    """Take diagonals of repeated labels and sum labels needed nowhere else."""
    target = [x for i, x in enumerate(labels) if x in needed and x not in labels[:i]]
    if target == labels:
        return array, labels
    letters = {x: _LETTERS[i] for i, x in enumerate(dict.fromkeys(labels))}
    equation = "".join(letters[x] for x in labels) + "->" + "".join(letters[x] for x in target)
    return xp.einsum(equation, array), target


def _contract_pair(xp, left, right, later):
    (a, la), (b, lb) = left, right
    a, la = _reduce_operand(xp, a, la, set(lb) | later)
    b, lb = _reduce_operand(xp, b, lb, set(la) | later)
    batch = [x for x in la if x in lb and x in later]
    summed = [x for x in la if x in lb and x not in later]
    only_a, only_b = [x for x in la if x not in lb], [x for x in lb if x not in la]
    size = dict(zip(la, a.shape)) | dict(zip(lb, b.shape))

    def grouped(array, labels, groups):
        array = xp.transpose(array, [labels.index(x) for g in groups for x in g])
        return array.reshape([_prod(size[x] for x in g) for g in groups])

    a = grouped(a, la, (batch, only_a, summed))
    b = grouped(b, lb, (batch, summed, only_b))
    out = xp.matmul(a, b).reshape([size[x] for x in batch + only_a + only_b])
    return out, batch + only_a + only_b


def _prod(values):
    n = 1
    for v in values:
        n *= v
    return n


def _identity(size, ndim, like):
    """A constant tensor of ndim equal dims, one on its main diagonal and zero elsewhere."""
    from ember._backend import xp_of
    from ember._tensor import Tensor

    xp = xp_of(like.device)
    data = xp.zeros((size,) * ndim, dtype=like._data.dtype)
    data[(xp.arange(size),) * ndim] = 1
    return Tensor._make(data, like.device)
