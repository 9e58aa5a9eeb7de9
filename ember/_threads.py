"""One small thread pool, one thread per core, for memory-bound NumPy steps that release the GIL
(im2col, the randn kernel), and a switch that runs BLAS's products on one core each while the
pool runs several at once. It imports nothing from ember, so any module may use it."""

from __future__ import annotations

import _thread
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


# -- BLAS threads ---------------------------------------------------------------------------------
# A step that runs several matrix products at once, one per pool thread, wants each product on
# one core: OpenBLAS's own threads would only contend with the pool's. NumPy exposes no control,
# so the thread count is set through OpenBLAS's C API, found in the library NumPy loaded (as
# threadpoolctl does). With another BLAS, or none found, callers keep to one product at a time.

_blas = {"functions": None, "users": 0, "saved": None}
_blas_lock = _thread.allocate_lock()


def _openblas():
    """(set_num_threads, get_num_threads) of the OpenBLAS that NumPy uses, or ()."""
    if _blas["functions"] is None:
        _blas["functions"] = ()
        try:
            with open("/proc/self/maps") as maps:
                paths = sorted({line.split()[-1] for line in maps
                                if "openblas" in line and ".so" in line})
        except OSError:
            return ()
        import ctypes

        for path in paths:
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for prefix, suffix in (("scipy_openblas_", "64_"), ("scipy_openblas_", ""),
                                   ("openblas_", "")):
                setter = getattr(lib, f"{prefix}set_num_threads{suffix}", None)
                getter = getattr(lib, f"{prefix}get_num_threads{suffix}", None)
                if setter is not None and getter is not None:
                    setter.argtypes, setter.restype = [ctypes.c_int], None
                    getter.restype = ctypes.c_int
                    _blas["functions"] = (setter, getter)
                    return _blas["functions"]
    return _blas["functions"]


def can_set_blas_threads():
    """Whether ``blas_single_threaded`` can take effect (NumPy on OpenBLAS)."""
    return bool(_openblas())


class blas_single_threaded:
    """Within this block, matrix products run on one core each (nested and concurrent blocks
    share one setting; the first in sets it, the last out restores it)."""

    def __enter__(self):
        setter, getter = _openblas()
        with _blas_lock:
            if _blas["users"] == 0:
                _blas["saved"] = getter()
                setter(1)
            _blas["users"] += 1
        return self

    def __exit__(self, *exc):
        setter, _ = _openblas()
        with _blas_lock:
            _blas["users"] -= 1
            if _blas["users"] == 0:
                setter(_blas["saved"])
