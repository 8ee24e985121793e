"""Benchmark 7, soak: ipmpd's RSS over ten minutes with a flapping source.

`ipmpd run` gathers the demo host through the fake Solaris commands of the
test suite every second (the shortest interval it accepts); `ipmpstat -g`
answers on one call and fails on the next, so every gather changes the
result, logs a source failure or recovery, and re-renders the exposition.
A scraper fetches /metrics every second and the page every ten.  The
daemon's RSS (VmRSS) is read every 30 s.  Target: growth from minute 2 to
the end under 1 %.

    python benchmarks/bench_soak.py [MINUTES]     # default 10
"""

from __future__ import annotations

import platform
import shutil
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from bench_scrape import wait_for
from common import REPO, status_kib, table
from daemon_harness import Daemon
from helpers import edit_output, make_fakebin, read_output

GROUPS = ["ipmpstat", "-g", "-P", "-o", "group,groupname,state,fdt,interfaces"]


def memory_kib(pid: int) -> tuple[int, int, int]:
    """VmRSS and its anonymous and file-backed parts."""
    fields = status_kib(pid)
    return fields["VmRSS"], fields.get("RssAnon", 0), fields.get("RssFile", 0)


def run(minutes: float = 10.0) -> str:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        host = tmp / "host"
        shutil.copytree(REPO / "ipmpd" / "demo", host)
        edit_output(host, GROUPS, read_output(host, GROUPS), behaviour="flap")
        fakebin = make_fakebin(tmp / "bin")
        daemon = Daemon(tmp, host, fakebin, modlist_interval=None, command_timeout="5s")
        proc, port = daemon.proc, daemon.port
        stop = threading.Event()
        scrapes = {"ok": 0, "failed": 0}

        def scraper() -> None:
            n = 0
            while not stop.wait(1.0):
                n += 1
                path = "/" if n % 10 == 0 else "/metrics"
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
                        r.read()
                    scrapes["ok"] += 1
                except OSError:
                    scrapes["failed"] += 1

        try:
            wait_for(f"http://127.0.0.1:{port}/metrics", b"ipmpd_source_up")
            t = threading.Thread(target=scraper, daemon=True)
            t.start()
            start = time.monotonic()
            samples: list[tuple[float, tuple[int, int, int]]] = []
            while True:
                elapsed = time.monotonic() - start
                samples.append((elapsed, memory_kib(proc.pid)))
                if elapsed >= minutes * 60:
                    break
                time.sleep(min(30.0, minutes * 60 - elapsed + 0.01))
            stop.set()
        finally:
            daemon.stop()
        events = daemon.events()
    gathers = sum(1 for e in events if e["event"] == "gather.completed")
    flips = sum(1 for e in events if e["event"] in ("source.failed", "source.recovered"))
    last = samples[-1][0]
    rows = [
        [f"{s / 60:.1f}", *(f"{kib / 1024:.2f}" for kib in m)]
        for s, m in samples
        if round(s) % 60 < 30 or s == last
    ]
    at2 = next(m[0] for s, m in samples if s >= 120)
    end = samples[-1][1][0]
    growth = (end - at2) / at2 * 100
    verdict = "met" if growth < 1.0 else "NOT met"
    return (
        "7. Soak: RSS of `ipmpd run` with a flapping source (1 s interval, scraped every second),"
        f" Python {platform.python_version()}\n"
        + table(["minute", "RSS MiB", "anonymous MiB", "file-backed MiB"], rows)
        + f"\n{gathers} gathers, {flips} source flips, {scrapes['ok']} scrapes ({scrapes['failed']} failed);"
        f" RSS {at2 / 1024:.2f} MiB at minute 2, {end / 1024:.2f} MiB at minute {samples[-1][0] / 60:.1f}:"
        f" growth {growth:+.2f}% (target < 1%: {verdict})"
    )


if __name__ == "__main__":
    print(run(float(sys.argv[1]) if len(sys.argv) > 1 else 10.0))
