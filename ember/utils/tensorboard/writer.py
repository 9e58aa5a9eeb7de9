"""SummaryWriter: torch.utils.tensorboard's writer, on tensorboardX's event files and protos."""

from __future__ import annotations

import os
import socket
import time
from datetime import datetime

from tensorboardX import summary as _tbx
from tensorboardX.proto.event_pb2 import Event, SessionLog

from ember.utils.tensorboard import _summary
from ember.utils.tensorboard._convert import figure_to_image, make_np
from ember.utils.tensorboard._embedding import write_embedding
from ember.utils.tensorboard._file_writer import FileWriter

__all__ = ["FileWriter", "SummaryWriter"]


def _default_bins():
    # TensorFlow's default histogram buckets: +-1e-12 * 1.1**k up to 1e20, and 0
    v, buckets = 1e-12, []
    while v < 1e20:
        buckets.append(v)
        v *= 1.1
    return [-b for b in reversed(buckets)] + [0] + buckets


class SummaryWriter:
    """Writes event files for TensorBoard; same API and files as torch's SummaryWriter.

    ``log_dir`` defaults to ``runs/<Mon><DD>_<HH>-<MM>-<SS>_<hostname><comment>``. Values may be
    Ember tensors, NumPy arrays or Python numbers. With ``purge_step``, TensorBoard hides the
    events of earlier files at that step and later (for a run restarted from a checkpoint).
    """

    def __init__(self, log_dir=None, comment: str = "", purge_step=None, max_queue: int = 10,
                 flush_secs: float = 120, filename_suffix: str = "") -> None:
        if not log_dir:
            now = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", now + "_" + socket.gethostname() + comment)
        self.log_dir = log_dir
        self.purge_step = purge_step
        self.max_queue, self.flush_secs = max_queue, flush_secs
        self.filename_suffix = filename_suffix
        self.file_writer = self.all_writers = None
        self._projector_started = False
        self._get_file_writer()
        self.default_bins = _default_bins()

    def _get_file_writer(self) -> FileWriter:
        """The main FileWriter, opened again (a new file) after ``close``."""
        if self.all_writers is None or self.file_writer is None:
            self.file_writer = FileWriter(self.log_dir, self.max_queue, self.flush_secs,
                                          self.filename_suffix)
            self.all_writers = {self.file_writer.get_logdir(): self.file_writer}
            if self.purge_step is not None:
                step = self.purge_step
                self.file_writer.add_event(Event(step=step, file_version="brain.Event:2"))
                self.file_writer.add_event(
                    Event(step=step, session_log=SessionLog(status=SessionLog.START)))
                self.purge_step = None
        return self.file_writer

    def get_logdir(self) -> str:
        """The directory the event files go to."""
        return self.log_dir

    def _add(self, summary, global_step=None, walltime=None):
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_scalar(self, tag: str, scalar_value, global_step=None, walltime=None,
                   new_style: bool = False, double_precision: bool = False) -> None:
        """One scalar; ``new_style`` stores it as a tensor (faster for TensorBoard to load)."""
        self._add(_summary.scalar(tag, scalar_value, new_style, double_precision),
                  global_step, walltime)

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict, global_step=None,
                    walltime=None) -> None:
        """Several scalars on one chart: each key goes to its own run,
        ``<log_dir>/<main_tag>_<key>``, under the tag ``main_tag``."""
        walltime = time.time() if walltime is None else walltime
        log_dir = self._get_file_writer().get_logdir()
        for tag, value in tag_scalar_dict.items():
            run = log_dir + "/" + main_tag.replace("/", "_") + "_" + tag
            if run not in self.all_writers:
                self.all_writers[run] = FileWriter(run, self.max_queue, self.flush_secs,
                                                   self.filename_suffix)
            self.all_writers[run].add_summary(_summary.scalar(main_tag, value), global_step,
                                              walltime)

    def add_tensor(self, tag: str, tensor, global_step=None, walltime=None) -> None:
        """A whole tensor, for the tensor plugin."""
        self._add(_summary.tensor_proto(tag, tensor), global_step, walltime)

    def add_histogram(self, tag: str, values, global_step=None, bins="tensorflow",
                      walltime=None, max_bins=None) -> None:
        """A histogram; ``bins`` is 'tensorflow' (TensorBoard's default buckets) or anything
        ``numpy.histogram`` takes ('auto', 'fd', a count, edges)."""
        if isinstance(bins, str) and bins == "tensorflow":
            bins = self.default_bins
        self._add(_summary.histogram(tag, values, bins, max_bins), global_step, walltime)

    def add_histogram_raw(self, tag: str, min, max, num, sum, sum_squares, bucket_limits,
                          bucket_counts, global_step=None, walltime=None) -> None:
        """A histogram given by its statistics and buckets (upper limit, count)."""
        if len(bucket_limits) != len(bucket_counts):
            raise ValueError("len(bucket_limits) != len(bucket_counts), see the document.")
        summary = _tbx.histogram_raw(tag, min, max, num, sum, sum_squares,
                                     _as_list(bucket_limits), _as_list(bucket_counts))
        self._add(summary, global_step, walltime)

    def add_image(self, tag: str, img_tensor, global_step=None, walltime=None,
                  dataformats: str = "CHW") -> None:
        """One image (CHW, HWC, HW, ...); floats in [0, 1], uint8 in [0, 255]."""
        self._add(_summary.image(tag, img_tensor, dataformats), global_step, walltime)

    def add_images(self, tag: str, img_tensor, global_step=None, walltime=None,
                   dataformats: str = "NCHW") -> None:
        """A batch of images (NCHW, NHWC, ...) shown as one grid of 8 columns."""
        self._add(_summary.image(tag, img_tensor, dataformats), global_step, walltime)

    def add_image_with_boxes(self, tag: str, img_tensor, box_tensor, global_step=None,
                             walltime=None, rescale=1, dataformats: str = "CHW",
                             labels=None) -> None:
        """An image with boxes (N x 4: x1, y1, x2, y2) and optional labels drawn on it."""
        if labels is not None:
            labels = [labels] if isinstance(labels, str) else labels
            if len(labels) != box_tensor.shape[0]:
                labels = None
        self._add(_summary.image_boxes(tag, img_tensor, box_tensor, dataformats, rescale,
                                       labels), global_step, walltime)

    def add_figure(self, tag: str, figure, global_step=None, close: bool = True,
                   walltime=None) -> None:
        """A matplotlib figure (or a list of them, as a grid) rendered to an image."""
        dataformats = "NCHW" if isinstance(figure, list) else "CHW"
        self.add_image(tag, figure_to_image(figure, close), global_step, walltime, dataformats)

    def add_audio(self, tag: str, snd_tensor, global_step=None, sample_rate: int = 44100,
                  walltime=None) -> None:
        """A mono sound clip (1 x L, values in [-1, 1]), stored as 16-bit WAV."""
        self._add(_summary.audio(tag, snd_tensor, sample_rate), global_step, walltime)

    def add_text(self, tag: str, text_string: str, global_step=None, walltime=None) -> None:
        """Text (markdown), stored under ``<tag>/text_summary``."""
        self._add(_tbx.text(tag, text_string), global_step, walltime)

    def add_graph(self, model, input_to_model=None, verbose: bool = False,
                  use_strict_trace: bool = True) -> None:
        """The model's graph, traced by running it once on ``input_to_model`` (a tensor or a
        tuple of them) in eval mode. Nodes are the autograd nodes of that run, named by module
        scope as torch names them (``Net/Linear[fc]/...``); ``use_strict_trace`` is accepted
        for torch's signature and has no effect."""
        from ember.utils.tensorboard._graph import graph

        self._get_file_writer().add_graph(graph(model, input_to_model, verbose))

    def add_embedding(self, mat, metadata=None, label_img=None, global_step=None,
                      tag: str = "default", metadata_header=None) -> None:
        """Data points (N x D) for the projector, with optional labels (a list, or rows under
        ``metadata_header``) and images (N x C x H x W) shown as a sprite."""
        write_embedding(self._get_file_writer().get_logdir(), mat, metadata, label_img,
                        0 if global_step is None else global_step, tag, metadata_header,
                        first=not self._projector_started)
        self._projector_started = True

    def add_pr_curve(self, tag: str, labels, predictions, global_step=None,
                     num_thresholds: int = 127, weights=None, walltime=None) -> None:
        """A precision-recall curve from binary ``labels`` and ``predictions`` in [0, 1]."""
        labels, predictions = make_np(labels), make_np(predictions)
        weights = None if weights is None else make_np(weights)
        self._add(_tbx.pr_curve(tag, labels, predictions, num_thresholds, weights),
                  global_step, walltime)

    def add_pr_curve_raw(self, tag: str, true_positive_counts, false_positive_counts,
                         true_negative_counts, false_negative_counts, precision, recall,
                         global_step=None, num_thresholds: int = 127, weights=None,
                         walltime=None) -> None:
        """A precision-recall curve from its counts, precision and recall per threshold."""
        parts = [make_np(v) for v in (true_positive_counts, false_positive_counts,
                                      true_negative_counts, false_negative_counts, precision,
                                      recall)]
        self._add(_tbx.pr_curve_raw(tag, *parts, num_thresholds, weights), global_step,
                  walltime)

    def add_hparams(self, hparam_dict: dict, metric_dict: dict, hparam_domain_discrete=None,
                    run_name=None, global_step=None) -> None:
        """Hyperparameters and their metrics, in a run ``<log_dir>/<run_name>`` (the current
        time by default); the metrics are logged there as scalars too."""
        if type(hparam_dict) is not dict or type(metric_dict) is not dict:
            raise TypeError("hparam_dict and metric_dict should be dictionary.")
        summaries = _summary.hparams(hparam_dict, metric_dict, hparam_domain_discrete)
        run_name = run_name or str(time.time())
        log_dir = os.path.join(self._get_file_writer().get_logdir(), run_name)
        with SummaryWriter(log_dir=log_dir) as w:
            for summary in summaries:
                w.file_writer.add_summary(summary, global_step)
            for k, v in metric_dict.items():
                w.add_scalar(k, v, global_step)

    def add_custom_scalars(self, layout: dict) -> None:
        """Charts of the Custom Scalars tab: ``{category: {title: ['Multiline' | 'Margin',
        tags]}}``."""
        self._add(_tbx.custom_scalars(layout))

    def add_custom_scalars_multilinechart(self, tags, category: str = "default",
                                          title: str = "untitled") -> None:
        """A custom chart with one line per tag."""
        self.add_custom_scalars({category: {title: ["Multiline", tags]}})

    def add_custom_scalars_marginchart(self, tags, category: str = "default",
                                       title: str = "untitled") -> None:
        """A custom chart of a value and its lower and upper bounds (three tags)."""
        if len(tags) != 3:
            raise AssertionError(f"Expected 3 tags, got {len(tags)}.")
        self.add_custom_scalars({category: {title: ["Margin", tags]}})

    def add_mesh(self, tag: str, vertices, colors=None, faces=None, config_dict=None,
                 global_step=None, walltime=None) -> None:
        """A 3-D mesh or point cloud: vertices, colors and faces, each B x N x 3."""
        self._add(_summary.mesh(tag, vertices, colors, faces, config_dict), global_step,
                  walltime)

    def flush(self) -> None:
        """Push everything written so far to disk."""
        for writer in (self.all_writers or {}).values():
            writer.flush()

    def close(self) -> None:
        """Flush and close every event file; a later ``add_*`` opens a new one."""
        if self.all_writers is None:
            return
        for writer in self.all_writers.values():
            writer.flush()
            writer.close()
        self.file_writer = self.all_writers = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.close()


def _as_list(values):
    return values if isinstance(values, list) else make_np(values).tolist()
