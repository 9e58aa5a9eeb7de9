"""add_embedding against torch: the projector's files (config, tensors, metadata, sprite)."""

import keyword

import numpy as np
import pytest
from tb_helpers import LIBS, as_lib, assert_same_projector, projector_config, write_both

from ember.utils.tensorboard import SummaryWriter


def test_add_embedding_files(tmp_path):
    rs = np.random.RandomState(0)
    mat = rs.randn(30, 5).astype(np.float32)
    meta = [(keyword.kwlist * 2)[i] + str(i) for i in range(30)]
    images = rs.rand(30, 3, 8, 8).astype(np.float32)
    wide = rs.rand(30, 3, 10, 32).astype(np.float32)  # not square: torch allows it

    def fn(w, lib):
        w.add_embedding(as_lib(lib, mat), metadata=meta, label_img=as_lib(lib, images))
        w.add_embedding(as_lib(lib, mat * 2), label_img=as_lib(lib, wide), global_step=1,
                        tag="with/slash%")
        w.add_embedding(as_lib(lib, mat[:4]), metadata=[[1, "a"], [2, "b"], [3, "c"], [4, "d"]],
                        metadata_header=["id", "letter"], global_step=2, tag="table")
        w.add_embedding(as_lib(lib, mat[:3].astype(np.float64)), metadata=[0, 1, 2],
                        global_step=3)

    assert_same_projector(*write_both(tmp_path, fn))


def test_add_embedding_numpy_and_grad_inputs(tmp_path):
    mat = np.random.RandomState(1).randn(9, 3)

    def fn(w, lib):
        w.add_embedding(mat if lib.__name__ == "ember" else lib.tensor(mat),
                        metadata=list("abcdefghi"))
        w.add_embedding(lib.tensor(mat, requires_grad=True) * 1, global_step=5, tag="grad")

    assert_same_projector(*write_both(tmp_path, fn))


def test_a_new_writer_starts_the_config_afresh(tmp_path):
    mat = np.eye(4, dtype=np.float32)
    for name, (lib, writer_cls) in LIBS.items():
        for step in range(2):
            with writer_cls(str(tmp_path / name)) as w:
                w.add_embedding(as_lib(lib, mat), global_step=step)
    assert projector_config(tmp_path / "ember") == projector_config(tmp_path / "torch")
    assert len(projector_config(tmp_path / "ember").embeddings) == 1


def test_add_embedding_errors(tmp_path):
    with SummaryWriter(str(tmp_path)) as w:
        with pytest.raises(AssertionError, match="#labels"):
            w.add_embedding(np.zeros((3, 2)), metadata=["a"])
        with pytest.raises(AssertionError, match="mat should be 2D"):
            w.add_embedding(np.zeros(3), global_step=1)
