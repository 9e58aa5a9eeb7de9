"""The projector's files: tensors.tsv, metadata.tsv, sprite.png and projector_config.pbtxt."""

from __future__ import annotations

import os

from tensorboardX.embedding import append_pbtxt, make_mat, make_tsv

from ember.utils.tensorboard._convert import make_np, write_sprite


def encode_tag(tag: str) -> str:
    """``%``, ``/`` and ``\\`` percent-encoded, so a tag is one folder name (torch's rule)."""
    for ch in "%/\\":
        tag = tag.replace(ch, f"%{ord(ch):02x}")
    return tag


def write_embedding(log_dir, mat, metadata, label_img, global_step, tag, metadata_header,
                    first: bool) -> None:
    """Write one embedding's files under ``<step:05d>/<tag>`` and list it in the projector
    config. ``first`` starts the config afresh, as each torch writer rewrites the file with
    the embeddings it added."""
    mat = make_np(mat)
    subdir = f"{str(global_step).zfill(5)}/{encode_tag(tag)}"
    save_path = os.path.join(log_dir, subdir)
    if os.path.exists(save_path):
        if not os.path.isdir(save_path):
            raise NotADirectoryError(f"Path: `{save_path}` exists, but is a file. Cannot proceed.")
        print("warning: Embedding dir exists, did you set global_step for add_embedding()?")
    else:
        os.makedirs(save_path)
    if metadata is not None:
        if mat.shape[0] != len(metadata):
            raise AssertionError("#labels should equal with #data points")
        make_tsv(metadata, save_path, metadata_header=metadata_header)
    if label_img is not None:
        if mat.shape[0] != label_img.shape[0]:
            raise AssertionError("#images should equal with #data points")
        write_sprite(label_img, save_path)
    if mat.ndim != 2:
        raise AssertionError("mat should be 2D, where mat.size(0) is the number of data points")
    make_mat(mat, save_path)
    config = os.path.join(log_dir, "projector_config.pbtxt")
    if first and os.path.exists(config):
        os.remove(config)
    append_pbtxt(metadata, label_img, log_dir, subdir, global_step, tag)
