"""The algebra layer imports cheaply (brief: import gaconvex < 1.5 s): importing
gaconvex.algebra loads neither torch, clifford nor numba; numba is loaded on the first numpy
wedge, and torch never by gaconvex itself."""
from __future__ import annotations

import json
import subprocess
import sys


def test_import_is_lazy():
    code = (
        "import sys, json, time\n"
        "t = time.perf_counter(); import gaconvex.algebra as ga; dt = time.perf_counter() - t\n"
        "before = [m for m in ('torch', 'clifford', 'numba') if m in sys.modules]\n"
        "ga.generalized_cross([[1.0, 2.0, 3.0], [0.0, 1.0, 0.0]])\n"
        "after = [m for m in ('torch', 'clifford') if m in sys.modules]\n"
        "numba = 'numba' in sys.modules\n"
        "print(json.dumps({'dt': dt, 'before': before, 'after': after, 'numba': numba}))"
    )
    report = json.loads(subprocess.run([sys.executable, "-c", code], check=True,
                                       capture_output=True, text=True).stdout)
    assert report["before"] == [] and report["after"] == [], report
    assert report["numba"], report
    assert report["dt"] < 1.5, report
