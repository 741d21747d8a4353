"""Benchmark (prints numbers; not a test): how fast the calculator answers (issue 19, item 5).

Each command runs in a fresh interpreter (``subprocess``, wall time, interleaved, median of ``repeats``), beside
the imports it cannot avoid:

- ``collapse predict ridge --n 1000 --d 100 --p2 0.1 --c2 1 --lam 0 --sigma 1`` against
  ``python -c "import numpy, scipy.special"``; target ratio ≤ 1.5;
- ``collapse --help`` against ``python -c "import numpy"``; target ratio ≤ 1.2;
- ``collapse --version`` (printed, no target).

``collapse predict WORD`` imports the registry (no theory code), then only that entry's theory module and what
it imports; ``collapse --help`` imports no numerics at all.

Run: python benchmarks/bench_cli_latency.py [repeats]   (default 15). The machine may be shared: the load
average is printed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import numpy as np

COLLAPSE = [shutil.which("collapse")] if shutil.which("collapse") else [sys.executable, "-m", "model_collapse"]
CASES = {
    "predict ridge": [*COLLAPSE, "predict", "ridge", "--n", "1000", "--d", "100", "--p2", "0.1", "--c2", "1", "--lam",
                      "0", "--sigma", "1"],
    "import numpy, scipy.special": [sys.executable, "-c", "import numpy, scipy.special"],
    "--help": [*COLLAPSE, "--help"],
    "import numpy": [sys.executable, "-c", "import numpy"],
    "--version": [*COLLAPSE, "--version"],
}
TARGETS = (("predict ridge", "import numpy, scipy.special", 1.5), ("--help", "import numpy", 1.2))


def _wall(argv: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main(repeats: int = 15) -> None:
    print(f"load average {os.getloadavg()[0]:.2f}; {repeats} interleaved runs each; median wall time")
    for argv in CASES.values():  # warm the file cache once
        _wall(argv)
    times: dict[str, list[float]] = {k: [] for k in CASES}
    for _ in range(repeats):
        for name, argv in CASES.items():
            times[name].append(_wall(argv))
    med = {k: float(np.median(v)) for k, v in times.items()}
    for name, t in med.items():
        print(f"  {name:<30} {1000 * t:7.1f} ms")
    for cmd, base, target in TARGETS:
        ratio = med[cmd] / med[base]
        verdict = "meets" if ratio <= target else "MISSES"
        print(f"collapse {cmd} / python -c '{base}': {ratio:.2f} (target <= {target}: {verdict})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
