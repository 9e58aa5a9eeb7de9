"""Every op the op-library issue names exists in Ember in each form torch has: the function
(`ember.op`), the method (`t.op`), the in-place method (`t.op_`). Coverage is checked, not
claimed."""

import pytest

import ember

torch = pytest.importorskip("torch")

ELEMENTWISE = """
abs absolute neg negative add sub subtract mul multiply div divide true_divide
floor_divide remainder fmod pow float_power reciprocal square sqrt rsqrt exp exp2 expm1
log log2 log10 log1p logaddexp logaddexp2 sin cos tan asin acos atan atan2 arctan2 sinh
cosh tanh asinh acosh atanh sigmoid logit erf erfc erfinv lgamma digamma ceil floor round
trunc fix frac sign sgn signbit clamp clip clamp_min clamp_max addcdiv addcmul lerp hypot
maximum minimum fmax fmin copysign nan_to_num deg2rad rad2deg logical_and logical_or
logical_xor logical_not bitwise_and bitwise_or bitwise_xor bitwise_not bitwise_left_shift
bitwise_right_shift isnan isinf isposinf isneginf isfinite isreal real imag conj angle
polar complex view_as_real view_as_complex
"""
SELECTION = """
eq ne lt le gt ge greater greater_equal less less_equal not_equal equal allclose isclose
isin max min amax amin aminmax argmax argmin sort argsort msort topk kthvalue median
nanmedian mode unique unique_consecutive searchsorted bucketize bincount histc histogram
count_nonzero any all
"""
REDUCTIONS = """
sum nansum mean nanmean prod std var std_mean var_mean norm dist logsumexp cumsum cumprod
cummax cummin logcumsumexp diff trace renorm
"""
LINALG_TOP = """
matmul mm bmm mv dot vdot inner outer ger addmm addmv addbmm baddbmm addr einsum tensordot
kron cross tril triu tril_indices triu_indices diag diag_embed diagflat block_diag
cartesian_prod meshgrid chain_matmul svd det inverse logdet slogdet cholesky qr pinverse
lu
"""
LINALG = """
norm vector_norm matrix_norm det slogdet inv pinv solve lstsq cholesky qr eigh eigvalsh
eig eigvals svd svdvals matrix_rank matrix_power matrix_exp cond multi_dot
"""
RANDOM = """
rand randn randint randperm normal bernoulli multinomial poisson rand_like randn_like
randint_like manual_seed seed initial_seed get_rng_state set_rng_state Generator
"""
IN_PLACE_SAMPLERS = """
uniform_ normal_ bernoulli_ random_ exponential_ geometric_ log_normal_ cauchy_
"""
TENSOR_EXTRAS = """
apply_ map_ clone copy_ fill_ zero_ type_as new_tensor new_zeros new_ones new_full new_empty
masked_scatter index_put index_put_ __dlpack__ __dlpack_device__
"""

FUNCTIONS = sorted(set((ELEMENTWISE + SELECTION + REDUCTIONS + LINALG_TOP + RANDOM).split()))


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_exists(name):
    assert hasattr(torch, name), f"torch.{name} is not a torch function (fix the list)"
    assert hasattr(ember, name), f"ember.{name} is missing"


@pytest.mark.parametrize("name", sorted(set(LINALG.split())))
def test_linalg_function_exists(name):
    assert hasattr(torch.linalg, name)
    assert hasattr(ember.linalg, name), f"ember.linalg.{name} is missing"


METHODS = sorted(n for n in FUNCTIONS if hasattr(torch.Tensor, n)) + sorted(
    (IN_PLACE_SAMPLERS + " " + TENSOR_EXTRAS).split())


@pytest.mark.parametrize("name", METHODS)
def test_method_exists(name):
    assert hasattr(ember.Tensor, name), f"Tensor.{name} is missing"


IN_PLACE = sorted(n + "_" for n in FUNCTIONS if hasattr(torch.Tensor, n + "_"))


@pytest.mark.parametrize("name", IN_PLACE)
def test_in_place_method_exists(name):
    assert hasattr(ember.Tensor, name), f"Tensor.{name} is missing"


def test_dlpack_entry_point():
    assert hasattr(ember, "from_dlpack")
