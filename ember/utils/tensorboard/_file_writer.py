"""FileWriter: one event file, written through tensorboardX's record writer."""

from __future__ import annotations

import itertools
import os
import threading
import time
import weakref

from tensorboardX.event_file_writer import EventsWriter
from tensorboardX.proto import event_pb2
from tensorboardX.record_writer import directory_check

# numbers the event files of this process, as tensorboard's writer does, so two writers that
# open the same folder within one second get different files
_file_uid = itertools.count()


class FileWriter:
    """Writes protocol buffers to an event file in ``log_dir`` (torch's FileWriter).

    The file is named as torch names it: ``events.out.tfevents.<time>.<host>.<pid>.<n><suffix>``.
    Events are written at once into a buffered file, which a background thread flushes every
    ``flush_secs``; ``max_queue`` is kept for torch's signature (there is no queue to bound).
    """

    def __init__(self, log_dir, max_queue: int = 10, flush_secs: float = 120,
                 filename_suffix: str = "") -> None:
        log_dir = str(log_dir)
        directory_check(log_dir)
        self._log_dir = log_dir
        self.max_queue, self.flush_secs = max_queue, flush_secs
        suffix = f".{os.getpid()}.{next(_file_uid)}{filename_suffix}"
        self._events = EventsWriter(os.path.join(log_dir, "events"), suffix)
        self._events.flush()
        self._stop = threading.Event()
        flusher = threading.Thread(target=_flush_every, daemon=True,
                                   args=(self._events, self._stop, flush_secs))
        flusher.start()
        # closes the file at exit or when the writer is dropped; refers to the parts, not self
        self._finalizer = weakref.finalize(self, _shut, self._events, self._stop, flusher)

    @property
    def event_writer(self):
        """The tensorboardX writer of the event file."""
        return self._events

    def get_logdir(self) -> str:
        """The directory of the event file."""
        return self._log_dir

    def add_event(self, event, step=None, walltime=None) -> None:
        """Write an ``Event`` with the wall time (now by default) and the step, if any."""
        self._check_open()
        event.wall_time = time.time() if walltime is None else walltime
        if step is not None:
            event.step = int(step)
        self._events.write_event(event)

    def add_summary(self, summary, global_step=None, walltime=None) -> None:
        """Write a ``Summary`` wrapped in an ``Event``."""
        self.add_event(event_pb2.Event(summary=summary), global_step, walltime)

    def add_graph(self, graph_profile, walltime=None) -> None:
        """Write a ``GraphDef`` (or the first item of torch's ``(graph, run_metadata)``)."""
        graph_def = graph_profile[0] if isinstance(graph_profile, tuple) else graph_profile
        self.add_event(event_pb2.Event(graph_def=graph_def.SerializeToString()), None, walltime)

    def flush(self) -> None:
        """Push everything written so far to disk."""
        self._check_open()
        self._events.flush()

    def close(self) -> None:
        """Flush and close the event file (again: nothing happens)."""
        self._finalizer()

    def _check_open(self):
        if not self._finalizer.alive:
            raise OSError("Writer is closed")  # torch's error


def _flush_every(events, stop, seconds):
    while not stop.wait(seconds):
        events.flush()


def _shut(events, stop, flusher):
    stop.set()
    if flusher is not threading.current_thread():
        flusher.join()
    events.close()
