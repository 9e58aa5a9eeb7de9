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
_NO_OUT = "takes no out= in ember"
KNOWN = {
    "ops-addcdiv-addcdiv": f"addcdiv {_NO_OUT} (pointwise.py)",
    "ops-addcmul-addcmul": f"addcmul {_NO_OUT} (pointwise.py)",
    "ops-lerp-lerp": f"lerp {_NO_OUT} (pointwise.py)",
    "ops-clamp_min_fn-clamp_min": f"clamp_min {_NO_OUT} (minmax.py)",
    "ops-amax-amax": f"amax {_NO_OUT} (reduce.py)",
    "ops-argmax_dim-argmax": f"argmax {_NO_OUT} (reduce.py)",
    "ops-norm_fro-norm": f"torch.norm {_NO_OUT} (reduce.py)",
    "ops-softmax_fn_dtype-softmax": f"softmax {_NO_OUT} (activation.py)",
    "ops-log_softmax_fn-log_softmax": f"log_softmax {_NO_OUT} (activation.py)",
    "ops-max_dim-max": "max(dim) ignores out= (reduce.py)",
    "ops-max_pair-max": "max(input, other) ignores out= (reduce.py)",
    "ops-min-min": "min() ignores out= (reduce.py)",
    "ops-sum_dim-sum": "torch sums in out's dtype; ember refuses the cast (reduce.py)",
    "products_scans-chain_matmul_one-chain_matmul": "torch copies one matrix into out with any "
                                                    "cast (products.py)",
    "products_scans-addbmm-addbmm": "torch resizes addbmm's out without a warning (products.py)",
    "products_scans-diag_1d-diag": "torch's message: 'diag: result type Float can't be cast to "
                                   "the desired out= type Long' (products_matrix.py)",
    "products_scans-diag_int-diag": "torch's message names diag (products_matrix.py)",
    "special-ldexp-ldexp": "torch's message: 'ldexp can't be cast to ...' (special.py)",
    "special-mvlgamma-mvlgamma": "torch's message names mvlgamma (special.py)",
    "special-special_aliases-special.multigammaln": "torch's message names mvlgamma (special.py)",
    "sort-isin_scalars-isin#1": "torch's isin of a scalar resizes [] to [0] with a warning "
                                "(sort.py)",
}
_EXACT = ("wants out of the result's exact dtype, with torch's message 'Expected out tensor to "
          "have dtype ...' (inplace.out_exact does it)")
KNOWN.update({case: f"{_EXACT} ({where})" for where, cases in {
    "linalg.py, products*.py": (
        "ops-matmul-matmul", "ops-mm-mm", "ops-bmm-bmm", "linalg-linalg_matmul-linalg.matmul",
        "products_scans-addmm-addmm", "products_scans-addmm_beta0_nan-addmm",
        "products_scans-addmm_complex-addmm", "products_scans-addmm_half-addmm",
        "products_scans-addmm_int-addmm", "products_scans-addmm_scaled-addmm",
        "products_scans-addmv-addmv", "products_scans-baddbmm-baddbmm",
        "products_scans-diag_2d-diag", "products_scans-diag_2d_far-diag",
        "products_scans-tril-tril", "products_scans-triu-triu"),
    "sort.py": (
        "sort-aminmax-aminmax", "sort-aminmax_int-aminmax", "sort-aminmax_tied-aminmax",
        "sort-msort-msort", "sort-sort-sort", "sort-sort_0dim-sort", "sort-sort_3d-sort",
        "sort-sort_bfloat16-sort", "sort-sort_empty-sort", "sort-sort_half-sort",
        "sort-sort_int_desc-sort", "sort-sort_nan-sort#0", "sort-sort_nan-sort#1",
        "sort-sort_tied_stable-sort", "sort-topk-topk", "sort-topk_0dim-topk#0",
        "sort-topk_0dim-topk#1", "sort-topk_half-topk", "sort-topk_int-topk",
        "sort-topk_k0-topk", "sort-topk_nan-topk#0", "sort-topk_nan-topk#1",
        "sort-topk_partial_sort-topk", "sort-topk_tied-topk", "sort-topk_unsorted-topk"),
}.items() for case in cases})
KNOWN.update({f"sort-{name}": "torch resizes the keepdim-shaped outputs: its warning shows "
              "[n, 1] (select.py)" for name in (
                  "kthvalue-kthvalue", "kthvalue_int-kthvalue", "kthvalue_nan-kthvalue",
                  "kthvalue_tied-kthvalue", "mode-mode", "mode_0dim-mode", "mode_bool-mode",
                  "mode_nan-mode", "mode_tied-mode", "mode_tied_long-mode")})


# out of a wider dtype, by op (not strict: some inputs of these ops pass)
KNOWN_WIDER = {name: "torch wants out of the result's exact dtype (or says another dtype is "
               "wrong) where ember casts" for name in (
                   "abs", "addbmm", "addmm", "addmv", "aminmax", "baddbmm", "bmm", "chain_matmul",
                   "clamp", "cummax", "cummin", "diag", "dot", "fix", "float_power", "frexp",
                   "heaviside", "histc", "histogram", "inner", "isin", "isposinf", "kthvalue",
                   "ldexp", "linalg.matmul", "matmul", "max", "median", "mm", "mode", "msort",
                   "mv", "nan_to_num", "nanmedian", "signbit", "sort", "special.round",
                   "tensordot", "topk", "tril", "triu", "vdot")}
KNOWN_WIDER.update({name: "torch computes in out's wider dtype; ember computes in the result's "
                    "and casts" for name in (
                        "add", "digamma", "exp", "i0", "log", "mean", "polygamma", "pow",
                        "special.entr", "special.erfcx", "special.gammaln", "special.i0e",
                        "special.i1", "special.i1e", "special.multigammaln", "special.polygamma",
                        "special.psi", "special.sinc", "sub", "xlogy")})
KNOWN_WIDER.update({name: f"{name} {_NO_OUT}" for name in (
    "addcdiv", "addcmul", "amax", "argmax", "clamp_min", "lerp", "log_softmax", "norm",
    "softmax")})
KNOWN_WIDER["min"] = "min() ignores out= (reduce.py)"


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
