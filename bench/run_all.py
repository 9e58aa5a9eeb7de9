"""Every benchmark in bench/, Ember vs torch side by side, in one table and one JSON file.

Run:  make bench                                  (builds .venv with torch, then runs this)
      make bench BENCH_ARGS="--quick -k matmul"
      .venv/bin/python bench/run_all.py [--quick] [-k SUBSTRING ...] [--json PATH] [--list]

-k keeps the workloads whose name contains one of the substrings (case-insensitive); --quick
takes fewer and shorter rounds (a smoke test, not a measurement); --list prints the names.

Reading the table: "ember" and "torch" are the median time per call (best wall time of an
epoch for the DataLoader rows; median of fresh interpreters for the import and memory rows),
"ratio" is Ember/torch, so below 1 means Ember is faster or smaller, and "ok" says whether the
ratio meets the target from the issues ("-" where none is set). Matmul rows add GFLOP/s for both
libraries as a share of the machine's float32 peak, which is printed above the table with how it
was estimated. The JSON file holds the same rows with values in seconds (bytes for memory).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import bench_conv
import bench_core
import bench_dataloader
import bench_nn
import bench_random
import bench_vision
import bench_vision_models
import numpy as np
import torch

HERE = Path(__file__).resolve().parent
MODULES = [bench_core, bench_conv, bench_nn, bench_dataloader, bench_random, bench_vision,
           bench_vision_models]
IMPORT_NAME = "import ember / import torch (fresh process)"
MEMORY_NAME = "RSS after import (fresh process)"
# NOTE: the import is timed inside the child, so interpreter start-up and exit are left out
PROBE = (
    "import time; t = time.perf_counter(); import {lib}; t = time.perf_counter() - t\n"
    "try:\n"
    "    rss = next(int(line.split()[1]) * 1024 for line in open('/proc/self/status')\n"
    "               if line.startswith('VmRSS:'))\n"
    "except OSError:\n"
    "    import resource; rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024\n"
    "print(t, rss)\n"
)


@functools.cache
def startup(lib, runs):
    """Median import seconds and median resident bytes after import, over fresh interpreters."""
    samples = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", PROBE.format(lib=lib)], cwd=HERE.parent,
                             capture_output=True, text=True, check=True).stdout
        samples.append([float(v) for v in out.split()])
    return tuple(statistics.median(column) for column in zip(*samples))


def startup_workloads(runs):
    """The import-time and memory rows, both measured from the same child processes."""

    def row(index, target, unit, name):
        return lambda: bench_core.record(name, startup("ember", runs)[index],
                                         startup("torch", runs)[index], target, unit)

    yield IMPORT_NAME, row(0, 0.2, "ms", IMPORT_NAME)
    yield MEMORY_NAME, row(1, 0.3, "MB", MEMORY_NAME)


def all_workloads(quick):
    """(name, run) for every workload; run() records one row in bench_core.ROWS."""
    for module in MODULES:
        for workload in module.workloads():
            yield workload[0], functools.partial(bench_core.compare, *workload)
    yield from startup_workloads(1 if quick else 7)


def theoretical_peak():
    """float32 GFLOP/s from /proc/cpuinfo: physical cores x clock x FLOP/cycle of the widest
    FMA the flags show, or None where that file cannot be read."""
    try:
        blocks = Path("/proc/cpuinfo").read_text().strip().split("\n\n")
    except OSError:
        return None
    cpus = [dict(line.split(":", 1) for line in b.splitlines() if ":" in line) for b in blocks]
    cpus = [{k.strip(): v.strip() for k, v in cpu.items()} for cpu in cpus]
    allowed = os.sched_getaffinity(0)
    cpus = [cpu for cpu in cpus if int(cpu.get("processor", -1)) in allowed] or cpus
    cores = len({(cpu.get("physical id"), cpu.get("core id", cpu.get("processor")))
                 for cpu in cpus})
    mhz = max(float(cpu.get("cpu MHz", 0)) for cpu in cpus)
    flags = set(cpus[0].get("flags", "").split())
    # per core and cycle, assuming the two FMA pipes of recent x86 server cores (some
    # AVX-512 parts have one); "" is the fallback when no wide vector flag is shown
    kinds = [("avx512f", 64, "two 512-bit FMA pipes"), ("avx2", 32, "two 256-bit FMA pipes"),
             ("avx", 16, "a 256-bit add and a multiply pipe"), ("", 8, "128-bit SSE pipes")]
    flag, per_cycle, pipes = next(k for k in kinds if not k[0] or k[0] in flags
                                  and ("fma" in flags or k[0] == "avx"))
    if not mhz:
        return None
    gflops = cores * mhz * 1e-3 * per_cycle
    basis = (f"{cores} cores x {mhz:.0f} MHz x {per_cycle} FLOP/cycle, derived from /proc/cpuinfo "
             f"(flags: {flag or 'no AVX'}, so {pipes} per core assumed; clock as reported)")
    return gflops, basis


def measured_peak(quick):
    """Best float32 GFLOP/s of NumPy's BLAS on one large square GEMM."""
    n = 1024 if quick else 4096
    a, b = (np.random.default_rng(0).standard_normal((2, n, n), np.float32))
    a @ b
    best = min(_wall(lambda: a @ b) for _ in range(1 if quick else 3))
    return 2 * n**3 / best / 1e9, f"best of NumPy sgemm {n}x{n} ({np.__version__})"


def _wall(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def estimate_peak(quick):
    """Both estimates; the higher is the reference for the percentages, since the clock that
    /proc/cpuinfo shows (under a hypervisor, often the nominal one) can be below the boost clock
    at which the BLAS really runs."""
    theory, (measured, measured_basis) = theoretical_peak(), measured_peak(quick)
    use_theory = theory is not None and theory[0] >= measured
    return {"reference_gflops": theory[0] if use_theory else measured,
            "reference": "theoretical" if use_theory else "measured",
            "theoretical_gflops": theory[0] if theory else None,
            "theoretical_basis": theory[1] if theory else None,
            "measured_gflops": measured, "measured_basis": measured_basis}


def annotate(row, peak):
    """Add the GFLOP/s of matmul rows and the samples/s of DataLoader rows, as a short note."""
    sizes = {bench_core.matmul_name(n): n for n in bench_core.MATMUL_SIZES}
    if row["workload"] in sizes and peak:
        flop = 2 * sizes[row["workload"]] ** 3
        for lib in ("ember", "torch"):
            row[f"{lib}_gflops"] = flop / row[lib] / 1e9
            row[f"{lib}_share_of_peak"] = row[f"{lib}_gflops"] / peak["reference_gflops"]
        row["note"] = (f"GFLOP/s {row['ember_gflops']:.1f} / {row['torch_gflops']:.1f}, "
                       f"{row['ember_share_of_peak']:.0%} / {row['torch_share_of_peak']:.0%} "
                       f"of peak")
    elif row["workload"].startswith("DataLoader"):
        rates = [bench_dataloader.SAMPLES / row[lib] for lib in ("ember", "torch")]
        row["note"] = f"samples/s {rates[0]:.0f} / {rates[1]:.0f}"
    row["within_target"] = None if row["target"] is None else row["ratio"] <= row["target"]
    return row


def format_row(row):
    """One line of the table."""
    scale, unit = bench_core.SCALES[row["unit"]], row["unit"]
    target = "-" if row["target"] is None else f"{row['target']:.2f}"
    ok = {None: "-", True: "yes", False: "NO"}[row["within_target"]]
    return (f"{row['workload']:46s} {row['ember'] * scale:10.2f}{unit:2s} "
            f"{row['torch'] * scale:10.2f}{unit:2s} {row['ratio']:7.2f} {target:>7s} {ok:>4s}  "
            f"{row.get('note', '')}").rstrip()


def machine():
    """What the numbers were measured on, including how busy it was."""
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    return {"cpu": cpu, "logical_cpus": os.cpu_count(), "loadavg_start": os.getloadavg(),
            "python": platform.python_version(), "numpy": np.__version__,
            "torch": torch.__version__, "torch_threads": torch.get_num_threads()}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds")
    parser.add_argument("-k", dest="select", action="append", default=[], metavar="SUBSTRING",
                        help="only workloads whose name contains SUBSTRING (repeatable)")
    parser.add_argument("--json", type=Path, default=HERE / "results.json",
                        help="where to write the rows (default: bench/results.json)")
    parser.add_argument("--list", action="store_true", help="print the workload names and exit")
    return parser.parse_args(argv)


def main(argv=None):
    """Run the selected workloads, print the table as rows finish, then write the JSON file."""
    args = parse_args(argv)
    bench_core.QUICK = args.quick
    chosen = [(name, run) for name, run in all_workloads(args.quick)
              if not args.select or any(s.lower() in name.lower() for s in args.select)]
    if args.list or not chosen:
        print("\n".join(name for name, _ in chosen) or f"no workload matches {args.select}")
        return 0 if chosen else 2
    info = machine()
    print(f"{info['cpu']}, {info['logical_cpus']} logical CPUs, load average "
          f"{info['loadavg_start'][0]:.2f}; torch {info['torch']} with "
          f"{info['torch_threads']} threads, NumPy {info['numpy']}"
          + ("; QUICK: not a measurement" if args.quick else ""))
    peak = None
    if any(name in map(bench_core.matmul_name, bench_core.MATMUL_SIZES) for name, _ in chosen):
        peak = estimate_peak(args.quick)
        print(f"float32 peak, the higher of two estimates, here the {peak['reference']} one:")
        if peak["theoretical_gflops"]:
            print(f"  theoretical {peak['theoretical_gflops']:.1f} GFLOP/s = "
                  f"{peak['theoretical_basis']}")
        print(f"  measured    {peak['measured_gflops']:.1f} GFLOP/s = {peak['measured_basis']}")
    print(f"\n{'workload':46s} {'ember':>12s} {'torch':>12s} {'ratio':>7s} {'target':>7s} "
          f"{'ok':>4s}  note", flush=True)
    rows = []
    for _, run in chosen:
        with contextlib.redirect_stdout(io.StringIO()):
            run()
        rows.append(annotate(bench_core.ROWS[-1], peak))
        print(format_row(rows[-1]), flush=True)
    met = [row["within_target"] for row in rows if row["within_target"] is not None]
    info["loadavg_end"] = os.getloadavg()
    print(f"\n{sum(met)} of {len(met)} targets met; rows written to {args.json}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"quick": args.quick, "select": args.select, "machine": info,
                                     "peak": peak, "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
