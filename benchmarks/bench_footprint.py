"""Benchmark 4, footprint: RSS and CPU of ipmpd idle, and RSS over 10,000 gather cycles.

Idle: `ipmpd run` on the 512-interface synthetic host with the default
schedule (60 s gather, 1 h modlist); after its first cycles, its RSS and the
CPU it uses over 30 s of idling.

Cycles: the daemon's own cycle (ipmpd.daemon.Daemon.cycle: gather, check,
swap `latest`, log changes), driven back to back in this process on the
same host with a module refresh every 100 cycles, as a short interval would
drive it -- the scheduler only adds the wait.  RSS at cycle 1,000 and at the
end.  Targets: RSS under 60 MB, growth under 5% from cycle 1,000 to 10,000,
idle CPU near zero.

    python benchmarks/bench_footprint.py [CYCLES]
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from bench_scrape import wait_for
from common import cpu_seconds, rss_kib, table
from genhost import write
from helpers import free_port


def idle(capture: Path, tmp: Path, seconds: int = 30) -> tuple[int, float]:
    import subprocess

    port = free_port()
    cfg = tmp / "idle.toml"
    cfg.write_text(f'[daemon]\nlisten = "127.0.0.1:{port}"\n')
    proc = subprocess.Popen(
        [sys.executable, "-m", "ipmpd", "run", "--capture", str(capture), "--config", str(cfg)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/metrics", b"ipmpd_modlist_timestamp_seconds ")
        time.sleep(2)
        before = cpu_seconds(proc.pid)
        time.sleep(seconds)
        used = cpu_seconds(proc.pid) - before
        return rss_kib(proc.pid), used / seconds
    finally:
        proc.terminate()
        proc.wait(10)


def cycles(capture: Path, count: int) -> list[tuple[int, int]]:
    import structlog

    from ipmpd.config import Config
    from ipmpd.daemon import Daemon, freeze_start_up
    from ipmpd.runner import CaptureRunner

    structlog.configure(logger_factory=structlog.ReturnLoggerFactory())  # events built, not printed
    freeze_start_up()  # as `ipmpd run` does before it builds its daemon
    daemon = Daemon(Config(), CaptureRunner(capture), None)
    marks = []
    for n in range(1, count + 1):
        if n % 100 == 1:
            daemon.modlist()  # also runs a cycle
        else:
            daemon.cycle()
        if n in (1, 1000, count) or n % 2500 == 0:
            gc.collect()
            marks.append((n, rss_kib()))
    return marks


def run(count: int = 10_000) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        capture = write(512, Path(tmp) / "h512")
        idle_rss, idle_cpu = idle(capture, Path(tmp))
        start = time.perf_counter()
        marks = cycles(capture, count)
        elapsed = time.perf_counter() - start
    rows = [["ipmpd run, idle (after start-up cycles)", f"{idle_rss / 1024:.1f}", f"{idle_cpu * 100:.2f}%"]]
    rows += [[f"after cycle {n:,}", f"{kib / 1024:.1f}", ""] for n, kib in marks]
    at_1000 = dict(marks).get(1000)
    end = marks[-1][1]
    growth = (end - at_1000) / at_1000 * 100 if at_1000 else float("nan")
    verdict = (
        f"{count:,} cycles in {elapsed:.0f} s ({elapsed / count * 1000:.1f} ms each, pid {os.getpid()}); "
        f"peak RSS {max(k for _, k in marks) / 1024:.1f} MiB (target < 60 MB: "
        f"{'met' if max(k for _, k in marks) * 1024 < 60e6 else 'MISSED'}); "
        f"growth from cycle 1,000 to {count:,}: {growth:+.2f}% "
        f"(target < 5%: {'met' if growth < 5 else 'MISSED'}); "
        f"idle CPU {idle_cpu * 100:.2f}% of one core"
    )
    return (
        "4. Footprint (512-interface host)\n"
        + table(["when", "RSS MiB", "CPU (idle, 30 s)"], rows)
        + "\n"
        + verdict
    )


if __name__ == "__main__":
    print(run(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
