"""benchmarks/simulate.py still runs end to end and prints every figure it promises.

A tiny year (scale 0.001): the figures are not checked against any target here, only that each
row is there with a number.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_simulator_benchmark_prints_its_figures() -> None:
    command = [sys.executable, str(ROOT / "benchmarks" / "simulate.py"), "--scale", "0.001"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    number = r"[\d,]+(?:\.\d+)?"
    assert re.search(r"^simulated year: 290,000 queries from 18,000 agencies", out, re.M)
    for row in (
        "generate (numpy draws, Parquet)",
        "bare DuckDB group-by (baseline)",
        "replay, statute (group-by, join, Cedar)",
    ):
        assert re.search(rf"^{re.escape(row)}\s+{number}\s+{number}$", out, re.M), row
    assert re.search(rf"^replay / baseline: {number}x; {number} distinct combinations", out, re.M)
    assert re.search(rf"^simulate \+ replay: {number} s \(target 180 s: (met|missed)\)", out, re.M)
    assert re.search(rf"^peak memory \(ru_maxrss, self and children\): {number} GiB", out, re.M)
