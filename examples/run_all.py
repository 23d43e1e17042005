"""Run every example of this folder and check that each writes its figures.

Each example is a script with ``--out DIR`` (where its PNG files go) and ``--smoke`` (smaller
sizes that exercise the same code, for CI).  This runner starts each one in a fresh process,
gives it its own output folder, and fails when an example fails, exceeds its time limit, or
writes no PNG.

Run:  python examples/run_all.py [--smoke] [--out figures] [--timeout 600] [NAME ...]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def examples(names=()) -> list[Path]:
    """The example scripts of this folder (all, or those named), in alphabetical order."""
    found = sorted(p for p in HERE.glob("*.py") if p.name != Path(__file__).name)
    if names:
        found = [p for p in found if p.stem in set(names)]
        missing = set(names) - {p.stem for p in found}
        if missing:
            raise SystemExit(f"no example named {', '.join(sorted(missing))} in {HERE}")
    return found


def run(script: Path, out: Path, smoke: bool, timeout: float) -> tuple[bool, float, str]:
    """Run one example; (ok, seconds, message)."""
    out.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, str(script), "--out", str(out)] + (["--smoke"] if smoke else [])
    start = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, time.perf_counter() - start, f"exceeded {timeout:.0f} s"
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        return False, seconds, done.stderr.strip()[-3000:] or f"exit code {done.returncode}"
    pngs = sorted(out.glob("*.png"))
    if not pngs:
        return False, seconds, "wrote no PNG"
    return True, seconds, ", ".join(p.name for p in pngs)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="examples to run (default: all)")
    parser.add_argument("--out", type=Path, default=Path("figures"),
                        help="each example writes into OUT/<example name>/")
    parser.add_argument("--smoke", action="store_true", help="run each in its smoke mode")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per example")
    args = parser.parse_args(argv)
    failures = 0
    for script in examples(args.names):
        ok, seconds, message = run(script, args.out / script.stem, args.smoke, args.timeout)
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {script.stem:<28} {seconds:7.1f} s  {message}", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
