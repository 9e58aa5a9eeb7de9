"""One small thread pool, one thread per core, for memory-bound NumPy steps that release the GIL
(im2col, the randn kernel). It imports nothing from ember, so any module may use it."""

from __future__ import annotations

import os

_workers = {"pool": None, "pid": None}


def cores():
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))  # honours taskset and container CPU limits
    except AttributeError:
        return os.cpu_count() or 1


def pool():
    """The process's pool, made on first use."""
    # a forked child (a DataLoader worker) inherits the pool object but not its threads
    if _workers["pid"] != os.getpid():
        # NOTE: imported here, not above: concurrent.futures (with threading, queue, logging)
        # costs `import ember` several ms, and most processes never start the pool
        from concurrent.futures import ThreadPoolExecutor

        _workers["pool"], _workers["pid"] = ThreadPoolExecutor(cores()), os.getpid()
    return _workers["pool"]
