"""Benchmark 2, real subprocess cost: the same hosts through SubprocessRunner.

Fake `ifconfig`/`ipmpstat`/`dladm`/`ipadm`/`uname` are /bin/sh scripts
(benchmarks/genhost.py fakebin) that `cat` the synthetic outputs, so a spawn
costs what a small shell script costs on this machine.  Each cycle is run
once without and once with `ifconfig IF modlist` (one per physical member),
to show what modlist costs; the floor is spawning the same number of
`/bin/true` through the same runner in the same run.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import SIZES, ms, table
from genhost import fakebin, write

from ipmpd.checks import evaluate
from ipmpd.config import Config
from ipmpd.gather import gather
from ipmpd.runner import RecordingRunner, SubprocessRunner


def lay_out_files(capture: Path, root: Path) -> None:
    import json

    data = json.loads((capture / "capture.json").read_text())
    (root / "etc").mkdir(parents=True, exist_ok=True)
    for f in data["files"]:
        if not f.get("absent"):
            (root / f["path"].lstrip("/")).write_text((capture / f["content"]).read_text())


def run() -> str:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in SIZES:
            capture = write(n, Path(tmp) / f"h{n}")
            bin_dir = fakebin(capture, Path(tmp) / f"bin{n}")
            root = Path(tmp) / f"root{n}"
            lay_out_files(capture, root)
            runner = SubprocessRunner(f"{bin_dir}:/usr/bin:/bin", root=str(root))
            figures = []
            for with_modlist in (False, True):
                rec = RecordingRunner(runner)
                start = time.perf_counter()
                snap = gather(rec, run_modlist=with_modlist)
                evaluate(snap, Config())
                elapsed = time.perf_counter() - start
                failed = [s.name for s in snap.sources if not s.ok]
                if failed:
                    raise SystemExit(f"{n}: sources failed: {sorted(set(failed))}")
                figures.append((len(rec.results), elapsed))
            count = figures[1][0]
            start = time.perf_counter()
            for _ in range(count):
                runner.run(["/bin/true"])
            floor = time.perf_counter() - start
            (c0, t0), (c1, t1) = figures
            rows.append([n, c0, ms(t0), c1, ms(t1), ms(t1 - t0), ms(floor), f"{t1 / floor:.2f}x"])
    return "2. Real subprocess cost (fake commands on PATH, one cycle, milliseconds)\n" + table(
        [
            "interfaces",
            "cmds",
            "cycle ms",
            "cmds+modlist",
            "cycle+modlist ms",
            "modlist ms",
            "floor ms (/bin/true x cmds+modlist)",
            "vs floor",
        ],
        rows,
    )


if __name__ == "__main__":
    print(run())
