"""Run the five benchmarks and print their tables (see docs/benchmarks.md).

    python benchmarks/run.py            # all five; about 20 minutes on 2 cores
    python benchmarks/run.py 1 3        # only some

Installs what it needs first (tools/install-test-tools: node_exporter, wrk, sshd).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from common import machine  # noqa: E402


def main(argv: list[str]) -> int:
    subprocess.run([str(HERE.parent / "tools" / "install-test-tools")], check=True, stdout=subprocess.DEVNULL)
    which = set(argv) or {"1", "2", "3", "4", "5"}
    print(f"machine: {machine()}\n")
    if "1" in which:
        import bench_size

        print(bench_size.run() + "\n", flush=True)
    if "2" in which:
        import bench_subprocess

        print(bench_subprocess.run() + "\n", flush=True)
    if "3" in which:
        import bench_scrape

        print(bench_scrape.run() + "\n", flush=True)
    if "4" in which:
        import bench_footprint

        print(bench_footprint.run() + "\n", flush=True)
    if "5" in which:
        import bench_targets

        print(bench_targets.run() + "\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
