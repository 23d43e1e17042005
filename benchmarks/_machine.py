"""The machine a benchmark ran on, for the first line of its report, and the one wall-clock
timer of the scripts (imported by the ``bench_*.py`` scripts, which run with this folder on
``sys.path``)."""
from __future__ import annotations

import os
import platform
import time


def cpu_model() -> str:
    """The CPU's model name (Linux /proc/cpuinfo), else the platform's processor string."""
    try:
        with open("/proc/cpuinfo") as info:
            return next(line.split(":", 1)[1].strip() for line in info if "model name" in line)
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def machine() -> str:
    """CPU model, logical CPUs, OS and Python version."""
    return (f"{cpu_model()}, {os.cpu_count()} logical CPUs, {platform.platform()}, "
            f"Python {platform.python_version()}")


def wall_times(fn, repeat: int, warmup: bool = True) -> list[float]:
    """Wall times of ``repeat`` calls of ``fn`` (after one untimed call when ``warmup``: numba
    compilation, caches)."""
    if warmup:
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times
