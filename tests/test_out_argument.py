"""``out=`` for every op of the op-spec tables that takes it in torch.

Each spec line is run once with a recording stand-in for the library, which logs every
``lib.<name>(...)`` call; a call whose result is the spec's output (or one of its items) is the
op under test. If torch takes ``out=`` for that call, the same call (same arguments) is replayed
in both libraries with:
- an ``out`` of the right shape and dtype: the same values, written into ``out``, which is
  returned;
- an ``out`` of another shape with elements: resized, with torch's deprecation warning;
- an empty ``out``: resized silently;
- an ``out`` of a dtype the result cannot be cast to, and one of a wider dtype: torch's error
  class (and message), or the same values.
Known deviations of other ops are listed in KNOWN and KNOWN_WIDER (xfail), with the file to fix.
"""

from __future__ import annotations

import re
import types
import warnings

import numpy as np
import pytest

import ember
from tests import test_linalg, test_ops, test_products_scans, test_sort, test_special
from tests.helpers import assert_same, make_array, pair, torch

TABLES = {"ops": test_ops.SPECS, "special": test_special.SPECS, "linalg": test_linalg.SPECS,
          "products_scans": test_products_scans.SPECS,
          "sort": test_sort.SPECS + getattr(test_sort, "NOGRAD", [])}


class Recorder:
    """Stands in for ``torch`` or ``ember``: calls through it are logged with their results."""

    def __init__(self, module, log, prefix=""):
        self._module, self._log, self._prefix = module, log, prefix

    def __getattr__(self, name):
        attr = getattr(self._module, name)
        if isinstance(attr, types.ModuleType):
            return Recorder(attr, self._log, f"{self._prefix}{name}.")
        if not callable(attr) or isinstance(attr, type):
            return attr

        def call(*args, **kwargs):
            result = attr(*args, **kwargs)
            self._log.append((self._prefix + name, attr, args, kwargs, result))
            return result

        return call


def _arrays(spec):
    rng = np.random.default_rng(0)
    if getattr(spec, "inputs", None) is not None:
        return list(spec.inputs)
    if hasattr(spec, "dtypes"):
        dtypes = list(spec.dtypes or ["float32"] * len(spec.shapes))
    else:
        dtypes = [spec.dtype] * len(spec.shapes)
    low, high = getattr(spec, "low", -3.0), getattr(spec, "high", 3.0)
    return [make_array(s, d, rng, low, high) for s, d in zip(spec.shapes, dtypes)]


def _run(lib, spec):
    """(output, call log) of one spec line, on fresh inputs without gradients."""
    arrays = _arrays(spec)
    tensors = [pair(a)[0 if lib is torch else 1] for a in arrays]
    log = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = spec.fn(Recorder(lib, log), *tensors)
    return out, log


def _is_tensors(result, lib):
    if isinstance(result, tuple):
        return bool(result) and all(isinstance(r, lib.Tensor) for r in result)
    return isinstance(result, lib.Tensor)


def _op_calls(out, log):
    """Indices of logged calls whose result is the output or one of its items."""
    targets = [out] + (list(out) if isinstance(out, (tuple, list)) else [])
    return [i for i, entry in enumerate(log) if entry[1] is not None and "out" not in entry[3]
            and any(entry[4] is t for t in targets) and _is_tensors(entry[4], torch)]


def _empty_like(lib, result, shape=None, dtype=None):
    def one(r, i):
        kind = dtype if dtype is not None and i == 0 else r.dtype
        return lib.empty(r.shape if shape is None else shape, dtype=kind)

    if isinstance(result, tuple):
        return tuple(one(r, i) for i, r in enumerate(result))
    return one(result, 0)


def _takes_out(entry):
    _, fn, args, kwargs, result = entry
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(*args, **kwargs, out=_empty_like(torch, result))
    except TypeError:
        return False
    except Exception:  # noqa: BLE001 - it takes out=, and refuses this one: compared below
        return True
    return True


def _cases():
    cases = []
    for table, specs in TABLES.items():
        for spec in specs:
            try:
                out, log = _run(torch, spec)
            except Exception:  # noqa: BLE001 - error specs are tested in their own files
                continue
            for index in _op_calls(out, log):
                if _takes_out(log[index]):
                    cases.append((table, spec, index, log[index][0]))
    return cases


CASES = _cases()
def _unique_ids(cases):
    """table-spec-op, with #k for the k-th call of one op in a spec line."""
    names = [f"{table}-{spec.name}-{name}" for table, spec, _, name in cases]
    return [name if names.count(name) == 1 else f"{name}#{names[:i].count(name)}"
            for i, name in enumerate(names)]


IDS = _unique_ids(CASES)

# Known deviations: case id -> reason and the file to fix. strict: once fixed, a case shows up as
# XPASS, to be removed from here.
KNOWN = {}

# out of a wider dtype, by op (not strict: some inputs of these ops pass). torch computes these in
# the inputs' dtype, as Ember does, but its float32 kernels round differently, which a float64
# out shows (1 ulp of float32 against float64 tolerances).
_ULP = ("torch's float32 kernel and Ember's differ by an ulp (Ember computes in float64 and "
        "rounds once), visible in a float64 out")
_FMA = "torch's kernel rounds once with a fused multiply-add; Ember rounds the product first"
KNOWN_WIDER = {name: _ULP for name in (
    "exp", "log", "digamma", "i0", "polygamma", "xlogy", "special.entr", "special.erfcx",
    "special.gammaln", "special.i0e", "special.i1", "special.i1e", "special.multigammaln",
    "special.polygamma", "special.psi", "special.sinc")}
KNOWN_WIDER.update({name: _FMA for name in ("add", "sub", "addcmul")})
KNOWN_WIDER["ldexp"] = ("torch fails an internal assert (needs_dynamic_casting) for ldexp of an "
                        "integer exponent into a wider out")


def _wrong_dtype(dtype_name):
    """A dtype the result cannot be cast to (None for bool results: anything holds them)."""
    if dtype_name.startswith("complex"):
        return "float32"
    if dtype_name.startswith(("float", "bfloat")):
        return "int64"
    if dtype_name == "bool":
        return None
    return "bool"


def _wider_dtype(dtype_name):
    return {"float32": "float64", "float16": "float32", "bfloat16": "float32",
            "complex64": "complex128", "int32": "int64", "int8": "int16", "uint8": "int16",
            "bool": "uint8", "int64": "float64", "float64": "complex128"}.get(dtype_name)


def _first(result):
    return result[0] if isinstance(result, tuple) else result


def _call(lib, entry, out):
    _, fn, args, kwargs, _ = entry
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            returned = fn(*args, **kwargs, out=out)
        except Exception as error:  # noqa: BLE001 - compared with torch's
            return error, caught
    return returned, caught


def _resize_warnings(caught):
    return [re.sub(r" \(Triggered internally.*", "", str(w.message)) for w in caught
            if "was resized" in str(w.message)]


def _same_object(returned, out):
    if isinstance(out, tuple):
        return isinstance(returned, tuple) and all(r is o for r, o in zip(returned, out))
    return returned is out


def _compare(variant, t_entry, e_entry, t_out, e_out):
    t_ret, t_warned = _call(torch, t_entry, t_out)
    e_ret, e_warned = _call(ember, e_entry, e_out)
    if isinstance(t_ret, Exception):
        assert isinstance(e_ret, Exception), f"{variant}: torch raised {t_ret!r}; ember did not"
        assert type(e_ret) is type(t_ret), f"{variant}: ember raised {e_ret!r}, torch {t_ret!r}"
        if "can't be cast" in str(t_ret) or "Expected out tensor" in str(t_ret):
            assert str(e_ret) == str(t_ret), f"{variant}: {e_ret!r} != torch {t_ret!r}"
        return
    assert not isinstance(e_ret, Exception), f"{variant}: ember raised {e_ret!r}"
    assert _same_object(t_ret, t_out), f"{variant}: torch returned another tensor"
    assert _same_object(e_ret, e_out), f"{variant}: the result is not the out tensor"
    assert_same(e_out, t_out, check_grad_fn=False, path=variant)
    e_msgs, t_msgs = _resize_warnings(e_warned), _resize_warnings(t_warned)
    assert e_msgs == t_msgs, f"{variant}: resize warnings {e_msgs} != torch {t_msgs}"


def _variants(result, wider):
    first = _first(result)
    dtype_name = str(first.dtype).split(".")[-1]
    if wider:
        dtype = _wider_dtype(dtype_name)
        return {} if dtype is None else {"wider": {"dtype": dtype}}
    variants = {"same": {}, "other_shape": {"shape": (first.numel() + 1,)},
                "empty": {"shape": (0,)}}
    wrong = _wrong_dtype(dtype_name)
    if wrong is not None:
        variants["uncastable"] = {"dtype": wrong}
    return variants


def _check_case(case, wider, request):
    table, spec, index, name = CASES[case]
    key = IDS[case]
    if wider and name in KNOWN_WIDER:
        request.applymarker(pytest.mark.xfail(reason=KNOWN_WIDER[name], strict=False))
    elif not wider and key in KNOWN:
        request.applymarker(pytest.mark.xfail(reason=KNOWN[key], strict=True))
    t_result, t_log = _run(torch, spec)
    e_result, e_log = _run(ember, spec)
    assert [entry[0] for entry in e_log] == [entry[0] for entry in t_log]
    t_entry, e_entry = t_log[index], e_log[index]
    for variant, how in _variants(t_entry[4], wider).items():
        shape, dtype = how.get("shape"), how.get("dtype")
        t_out = _empty_like(torch, t_entry[4], shape, dtype and getattr(torch, dtype))
        e_out = _empty_like(ember, e_entry[4], shape, dtype and getattr(ember, dtype))
        _compare(f"{key} [{variant}]", t_entry, e_entry, t_out, e_out)


@pytest.mark.parametrize("case", range(len(CASES)), ids=IDS)
def test_out(case, request):
    """out of the right shape and dtype, of another shape, empty, and of an uncastable dtype."""
    _check_case(case, False, request)


@pytest.mark.parametrize("case", range(len(CASES)), ids=IDS)
def test_out_wider_dtype(case, request):
    """out of a dtype the result casts to: many torch ops want the result's exact dtype."""
    _check_case(case, True, request)


def test_tables_have_out_cases():
    """The discovery above finds the ops it should (a guard against it silently finding none)."""
    names = {name for _, _, _, name in CASES}
    assert {"add", "linalg.inv", "cumsum"} <= names, sorted(names)


def test_out_with_inputs_requiring_grad():
    """torch refuses out= when an argument requires grad (in grad mode)."""
    for lib in (torch, ember):
        a = lib.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
            lib.mul(a, 2, out=lib.empty(3))
        with lib.no_grad():
            out = lib.empty(3)
            assert lib.mul(a, 2, out=out) is out


# -- out= calls the op tables do not make ------------------------------------------------------


def _x(lib):
    return lib.tensor([[1.5, -2.25, 3.0], [0.5, 0.25, -1.0]])


def _e(lib, *shape, dtype="float32"):
    return lib.empty(shape, dtype=getattr(lib, dtype))


EXTRA = {
    # ops that keep the input's dtype want exactly that dtype: "Found dtype ... but expected ..."
    "neg_wider": lambda lib: lib.neg(_x(lib), out=_e(lib, 2, 3, dtype="float64")),
    "sign_wider": lambda lib: lib.sign(_x(lib), out=_e(lib, 2, 3, dtype="float64")),
    "floor_int": lambda lib: lib.floor(_x(lib), out=_e(lib, 2, 3, dtype="int64")),
    "ceil_same": lambda lib: lib.ceil(_x(lib), out=_e(lib, 2, 3)),
    "frac_wider": lambda lib: lib.frac(_x(lib), out=_e(lib, 2, 3, dtype="float64")),
    "frac_same": lambda lib: lib.frac(_x(lib), out=_e(lib, 2, 3)),
    "round_decimals": lambda lib: lib.round(_x(lib), decimals=1,
                                            out=_e(lib, 2, 3, dtype="float64")),
    "sgn_wider": lambda lib: lib.sgn(_x(lib), out=_e(lib, 2, 3, dtype="float64")),
    "conj_physical_wider": lambda lib: lib.conj_physical(_x(lib),
                                                         out=_e(lib, 2, 3, dtype="float64")),
    "clamp_max_wider": lambda lib: lib.clamp_max(_x(lib), 0.0, out=_e(lib, 2, 3, dtype="float64")),
    "clamp_tensor_wider": lambda lib: lib.clamp(_x(lib), _x(lib) - 1, _x(lib) + 1,
                                                out=_e(lib, 2, 3, dtype="float64")),
    "abs_complex_to_real": lambda lib: lib.abs(_x(lib) * (1 + 1j),
                                               out=_e(lib, 2, 3, dtype="float64")),
    # reductions
    "sum_without_dim": lambda lib: lib.sum(_x(lib), out=_e(lib)),
    "sum_dtype_and_out": lambda lib: lib.sum(_x(lib), 1, dtype=lib.float64, out=_e(lib, 2)),
    "sum_into_bool": lambda lib: lib.sum(_x(lib), 0, out=_e(lib, 3, dtype="bool")),
    "sum_int_wraps": lambda lib: lib.sum(lib.tensor([[100, 100]], dtype=lib.int32), 1,
                                         out=_e(lib, 1, dtype="int8")),
    "mean_dtype_and_out": lambda lib: lib.mean(_x(lib), 1, dtype=lib.float64, out=_e(lib, 2)),
    "mean_into_double": lambda lib: lib.mean(_x(lib) / 3, out=_e(lib, dtype="float64")),
    "max_all_uncastable": lambda lib: lib.max(_x(lib), out=_e(lib, dtype="bool")),
    "min_all_wider": lambda lib: lib.min(_x(lib), out=_e(lib, dtype="float64")),
    "min_dim_values": lambda lib: lib.min(_x(lib), 1, out=(_e(lib, 2, dtype="float64"),
                                                           _e(lib, 2, dtype="int64"))),
    "max_dim_indices": lambda lib: lib.max(_x(lib), 1, out=(_e(lib, 2), _e(lib, 2, dtype="int32"))),
    "min_pair_wider": lambda lib: lib.min(_x(lib), _x(lib) + 1, out=_e(lib, 2, 3, dtype="float64")),
    "amin_wider": lambda lib: lib.amin(_x(lib), 0, out=_e(lib, 3, dtype="float64")),
    "argmin_int32": lambda lib: lib.argmin(_x(lib), 1, out=_e(lib, 2, dtype="int32")),
    "argmin_same": lambda lib: lib.argmin(_x(lib), 1, out=_e(lib, 2, dtype="int64")),
    "norm_p1_dim": lambda lib: lib.norm(_x(lib), 1, dim=1, out=_e(lib, 2, dtype="float64")),
    "norm_complex": lambda lib: lib.norm(_x(lib) * 1j, out=_e(lib, dtype="complex64")),
    "norm_dtype": lambda lib: lib.norm(_x(lib), dtype=lib.float64, out=_e(lib, dtype="float64")),
    "softmax_dtype_and_out": lambda lib: lib.softmax(_x(lib), 1, dtype=lib.float64,
                                                     out=_e(lib, 2, 3)),
    "log_softmax_same": lambda lib: lib.log_softmax(_x(lib), 0, out=_e(lib, 2, 3)),
    # products: the message of the kernel torch runs
    "matmul_dot": lambda lib: lib.matmul(_x(lib)[0], _x(lib)[1], out=_e(lib, dtype="float64")),
    "matmul_mv": lambda lib: lib.matmul(_x(lib), _x(lib)[0], out=_e(lib, 2, dtype="float64")),
    "matmul_batch_vector": lambda lib: lib.matmul(_x(lib)[None], _x(lib)[0],
                                                  out=_e(lib, 1, 2, dtype="int64")),
    "matmul_vector_matrix": lambda lib: lib.matmul(_x(lib)[:, 0], _x(lib),
                                                   out=_e(lib, 3, dtype="float64")),
    "dot_uncastable": lambda lib: lib.dot(_x(lib)[0], _x(lib)[1], out=_e(lib, dtype="int64")),
    "vdot_wider": lambda lib: lib.vdot(_x(lib)[0], _x(lib)[1], out=_e(lib, dtype="float64")),
    "tensordot_int": lambda lib: lib.tensordot(_x(lib), _x(lib), ([1], [1]),
                                               out=_e(lib, 2, 2, dtype="int64")),
    "inner_0dim": lambda lib: lib.inner(_x(lib), lib.tensor(2.0),
                                        out=_e(lib, 2, 3, dtype="float64")),
    "chain_matmul_one_int": lambda lib: lib.chain_matmul(_x(lib), out=_e(lib, 2, 3, dtype="int64")),
    "chain_matmul_two": lambda lib: lib.chain_matmul(_x(lib), _x(lib).T,
                                                     out=_e(lib, 2, 2, dtype="int64")),
    "addbmm_bool": lambda lib: lib.addbmm(_e(lib, 2, 2).fill_(1), _x(lib)[None], _x(lib).T[None],
                                          out=_e(lib, 2, 2, dtype="bool")),
    # tests want bool outs; frexp, nan_to_num, heaviside and float_power want exact dtypes
    "isneginf_uint8": lambda lib: lib.isneginf(_x(lib), out=_e(lib, 2, 3, dtype="uint8")),
    "isreal_takes_no_out": lambda lib: lib.isreal(_x(lib), out=_e(lib, 2, 3, dtype="bool")),
    "frexp_exponent": lambda lib: lib.frexp(_x(lib), out=(_e(lib, 2, 3),
                                                          _e(lib, 2, 3, dtype="int64"))),
    "frexp_both": lambda lib: lib.frexp(_x(lib), out=(_e(lib, 2, 3, dtype="float64"),
                                                      _e(lib, 2, 3, dtype="int64"))),
    "nan_to_num_int": lambda lib: lib.nan_to_num(_x(lib).int(), out=_e(lib, 2, 3, dtype="int64")),
    "heaviside_int": lambda lib: lib.heaviside(_x(lib), _x(lib), out=_e(lib, 2, 3, dtype="int64")),
    "float_power_float": lambda lib: lib.float_power(_x(lib), 2, out=_e(lib, 2, 3)),
    "ldexp_bool": lambda lib: lib.ldexp(_x(lib), _x(lib), out=_e(lib, 2, 3, dtype="bool")),
    "mvlgamma_int_input": lambda lib: lib.mvlgamma(_x(lib).abs().int() + 3, 2,
                                                   out=_e(lib, 2, 3, dtype="int64")),
    # selection: each op's own message, indices checked first by median
    "kthvalue_indices": lambda lib: lib.kthvalue(_x(lib), 1, 1, out=(_e(lib, 2),
                                                                     _e(lib, 2, dtype="int32"))),
    "mode_indices": lambda lib: lib.mode(_x(lib), 1, out=(_e(lib, 2), _e(lib, 2, dtype="int32"))),
    "median_both": lambda lib: lib.median(_x(lib), 1, out=(_e(lib, 2, dtype="float64"),
                                                           _e(lib, 2, dtype="int32"))),
    "cummin_indices": lambda lib: lib.cummin(_x(lib), 1, out=(_e(lib, 2, 3),
                                                              _e(lib, 2, 3, dtype="int32"))),
    "histogram_edges": lambda lib: lib.histogram(_x(lib), 4, out=(_e(lib, 4),
                                                                  _e(lib, 5, dtype="float64"))),
    "histc_int": lambda lib: lib.histc(_x(lib), 4, out=_e(lib, 4, dtype="int64")),
    "kthvalue_keepdim_resize": lambda lib: lib.kthvalue(
        _x(lib), 2, 1, keepdim=True, out=(_e(lib, 3), _e(lib, 3, dtype="int64"))),
    "kthvalue_2d_out": lambda lib: lib.kthvalue(_x(lib), 2, 1, out=(_e(lib, 2, 2),
                                                                    _e(lib, 2, 2, dtype="int64"))),
    "mode_2d_out": lambda lib: lib.mode(_x(lib), 1, out=(_e(lib, 2, 2),
                                                         _e(lib, 2, 2, dtype="int64"))),
    "median_2d_out": lambda lib: lib.median(_x(lib), 1, out=(_e(lib, 4),
                                                             _e(lib, 4, dtype="int64"))),
    "mode_1d_resize": lambda lib: lib.mode(_x(lib)[0], out=(_e(lib, 2), _e(lib, 2, dtype="int64"))),
    "isin_number_empty_out": lambda lib: lib.isin(2.0, _x(lib), out=_e(lib, 0, dtype="bool")),
    "isin_number_long_out": lambda lib: lib.isin(3.0, _x(lib), out=_e(lib, 4, dtype="bool")),
}


@pytest.mark.parametrize("name", sorted(EXTRA))
def test_out_extra(name):
    """The same call in both libraries: the same error (class and message) or the same values,
    returned in out, with the same resize warnings."""
    results = []
    for lib in (torch, ember):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                results.append((EXTRA[name](lib), _resize_warnings(caught)))
            except Exception as error:  # noqa: BLE001 - compared with torch's
                results.append((error, None))
    (t_ret, t_warned), (e_ret, e_warned) = results
    if isinstance(t_ret, Exception):
        assert type(e_ret) is type(t_ret), f"ember gave {e_ret!r}, torch raised {t_ret!r}"
        if not isinstance(t_ret, TypeError):  # the argument parser's text is torch's own
            assert str(e_ret) == str(t_ret)
        return
    assert not isinstance(e_ret, Exception), f"ember raised {e_ret!r}"
    assert_same(e_ret, t_ret, check_grad_fn=False)
    assert e_warned == t_warned
