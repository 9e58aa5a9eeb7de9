"""nn.DataParallel against torch: without a GPU it runs the wrapped module (state_dict keys
under ``module.``, torch's attributes and repr); on one GPU the module and inputs move there;
several GPUs raise NotImplementedError."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import assert_same
from nn_helpers import same_error, same_repr

import ember

torch = pytest.importorskip("torch")

no_cuda = pytest.mark.skipif(ember.cuda.is_available() or torch.cuda.is_available(),
                             reason="checks behaviour without CUDA")
needs_cuda = pytest.mark.skipif(not ember.cuda.is_available(), reason="needs a GPU")


def model(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(4, 3), lib.nn.ReLU(), lib.nn.Linear(3, 2))


class TwoInputs:
    """A module taking a tensor, a list of tensors and a keyword tensor."""

    @staticmethod
    def build(lib):
        class Net(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.linear = lib.nn.Linear(4, 2)

            def forward(self, x, pair, scale=None):
                return self.linear(x + pair[0] * pair[1]) * scale

        lib.manual_seed(1)
        return Net()


@no_cuda
def test_runs_the_module_without_gpus():
    t_dp, e_dp = torch.nn.DataParallel(model(torch)), ember.nn.DataParallel(model(ember))
    same_repr(e_dp, t_dp)
    assert list(e_dp.state_dict()) == list(t_dp.state_dict()) == [
        "module.0.weight", "module.0.bias", "module.2.weight", "module.2.bias"]
    assert e_dp.device_ids == t_dp.device_ids == []
    for attr in ("dim", "output_device", "src_device_obj"):
        assert hasattr(e_dp, attr) == hasattr(t_dp, attr)
    x = np.random.default_rng(0).standard_normal((5, 4)).astype("float32")
    t_out, e_out = t_dp(torch.tensor(x)), e_dp(ember.tensor(x))
    assert_same(e_out, t_out)
    t_out.sum().backward()
    e_out.sum().backward()
    for (name, e_p), t_p in zip(e_dp.named_parameters(), t_dp.parameters()):
        assert_same(e_p.grad, t_p.grad, path=name)


@no_cuda
def test_arguments_and_keywords_pass_through():
    t_dp = torch.nn.DataParallel(TwoInputs.build(torch), device_ids=[0], dim=1)
    e_dp = ember.nn.parallel.DataParallel(TwoInputs.build(ember), device_ids=[0], dim=1)
    rng = np.random.default_rng(2)
    a, b, c, s = (rng.standard_normal((3, 4)).astype("float32") for _ in range(4))
    out = [dp(lib.tensor(a), [lib.tensor(b), lib.tensor(c)], scale=lib.tensor(s[:, :2]))
           for lib, dp in ((torch, t_dp), (ember, e_dp))]
    assert_same(out[1], out[0])


def test_state_dicts_move_between_libraries():
    t_dp, e_dp = torch.nn.DataParallel(model(torch)), ember.nn.DataParallel(model(ember))
    for p in t_dp.parameters():
        p.data.mul_(-2)
    e_dp.load_state_dict({k: ember.tensor(v.cpu().numpy()) for k, v in
                          t_dp.state_dict().items()})
    for (key, e_v), t_v in zip(e_dp.state_dict().items(), t_dp.state_dict().values()):
        np.testing.assert_array_equal(ember._backend.to_host(e_v._data), t_v.cpu().numpy(),
                                      err_msg=key)
    assert e_dp.module[0].weight is e_dp.state_dict(keep_vars=True)["module.0.weight"]


@no_cuda
def test_data_parallel_function_needs_a_device():
    same_error(lambda lib: lib.nn.parallel.data_parallel(model(lib), lib.zeros(2, 4)))


def test_several_gpus_are_not_supported(monkeypatch):
    monkeypatch.setattr(ember.cuda, "is_available", lambda: True)
    monkeypatch.setattr(ember.cuda, "device_count", lambda: 2)
    with pytest.raises(NotImplementedError, match="more than one GPU"):
        ember.nn.DataParallel(ember.nn.Linear(2, 2))
    with pytest.raises(NotImplementedError, match="more than one GPU"):
        ember.nn.DataParallel(ember.nn.Linear(2, 2), device_ids=["cuda:0", 1])
    with pytest.raises(NotImplementedError, match="more than one GPU"):
        ember.nn.parallel.data_parallel(ember.nn.Linear(2, 2), ember.zeros(1, 2))


@needs_cuda
def test_one_gpu():
    dp = ember.nn.DataParallel(model(ember), device_ids=[0])
    assert dp.device_ids == [0] and dp.output_device == 0 and dp.dim == 0
    assert all(p.device == ember.device("cuda", 0) for p in dp.parameters())
    x = np.random.default_rng(0).standard_normal((5, 4)).astype("float32")
    e_x = ember.tensor(x, requires_grad=True)
    out = dp(e_x)  # a CPU input is copied to the GPU, differentiably
    assert out.device == ember.device("cuda", 0)
    out.sum().backward()
    t_m = model(torch)
    t_x = torch.tensor(x, requires_grad=True)
    t_m(t_x).sum().backward()
    assert_same(out.cpu(), t_m(torch.tensor(x)), check_grad_fn=False)
    assert_same(e_x.grad, t_x.grad)
    out = ember.nn.parallel.data_parallel(dp.module, e_x.detach(), device_ids=[0])
    assert out.device == ember.device("cuda", 0)
    with pytest.raises(RuntimeError, match="module must have its parameters"):
        ember.nn.parallel.data_parallel(model(ember), ember.zeros(1, 4), device_ids=[0])
