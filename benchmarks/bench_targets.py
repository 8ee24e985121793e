"""Benchmark 5, fleet over SSH: 1, 10 and 100 [[target]]s against one sshd on loopback.

Every target is the demo host (tests/helpers.py: the static sh fakes of the
Solaris commands, its files under a root directory) behind the same
OpenSSH server (tests/sshd_harness.py: Debian's sshd as the current user on
a random 127.0.0.1 port), so the "remote" commands run on the same 2 cores
as ipmpd and its ssh clients.  `ipmpd run` with `local = false`,
`interval = "60s"` and the default `target_concurrency = 8`.

Measured per scale, with a fresh sshd and daemon each time:
  * round 1: wall time from starting `ipmpd run` until every target's first
    `gather.completed` (the masters are started in this round); round 2:
    from the earliest start to the last completion of every target's second
    gather, one interval later, over the masters already up (the schedule's
    jitter spreads those starts over up to 5 s);
  * ipmpd's RSS (VmRSS) after each round, and its growth per target against
    a 0-target daemon (idle 3 s after start: the row for 0) and against the
    1-target one; its open file descriptors and threads after round 1;
  * the ssh masters (one persistent `ssh -o ControlMaster=yes -N -f` per
    target): their number and summed RSS and PSS (PSS shares the pages they
    have in common, such as libcrypto, among them);
  * connections sshd accepted ("Accepted publickey" in its log) after each
    round, and processes left once the daemon and sshd are stopped.
Targets: 100 targets gathered within one 60 s interval; ipmpd's RSS grows by
under 0.5 MB per target (the larger of the two rounds' readings, from the
1-target daemon; from the 0-target one at 1 target).

    python benchmarks/bench_targets.py [N ...]     # default: 1 10 100
"""

from __future__ import annotations

import datetime
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))

from common import REPO, machine, rss_kib, table  # noqa: E402
from helpers import copy_demo, free_port, make_static_fakebin, write_hostname_files  # noqa: E402
from sshd_harness import Sshd, have_sshd  # noqa: E402

SCALES = (1, 10, 100)
INTERVAL = 60.0
WAIT = 120.0  # the longest any one wait lasts beyond when its event is due
MB = 1e6


# ------------------------------------------------------------------ processes


def cmdline(pid: int) -> list[str]:
    try:
        return str(Path(f"/proc/{pid}/cmdline").read_bytes(), "utf-8", "replace").split("\0")
    except OSError:
        return []


def pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def masters(marker: str) -> list[int]:
    """The ssh masters of this run: ControlMaster=yes, and this run's identity file."""
    out = []
    for pid in pids():
        argv = cmdline(pid)
        if "ControlMaster=yes" in argv and any(marker in a for a in argv):
            out.append(pid)
    return out


def mem_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of a process in KiB; (0, 0) once it is gone."""
    try:
        rss = rss_kib(pid)
        pss = 0
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
                break
        return rss, pss
    except (OSError, RuntimeError):
        return 0, 0


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid in pids():
        try:
            ppid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(pid)
    out, todo = [], [root]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def reap(candidates: list[int], grace: float = 10.0) -> int:
    """Wait for these processes to end; kill (by pid) those still there.  How many were left."""
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(alive(p) for p in candidates):
        time.sleep(0.1)
    left = [p for p in candidates if alive(p)]
    for p in left:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return len(left)


def fds(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def threads(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


# ------------------------------------------------------------------ the daemon's log


def events(log: Path, name: str) -> list[dict[str, object]]:
    out = []
    for line in log.read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        try:
            e = json.loads(line)
        except ValueError:
            continue  # a line still being written
        if e.get("event") == name:
            out.append(e)
    return out


def stamp(e: dict[str, object]) -> float:
    return datetime.datetime.fromisoformat(str(e["timestamp"]).replace("Z", "+00:00")).timestamp()


def rounds(log: Path) -> dict[str, list[dict[str, object]]]:
    """Each target's gather.completed events, in order."""
    by: dict[str, list[dict[str, object]]] = {}
    for e in events(log, "gather.completed"):
        by.setdefault(str(e["target"]), []).append(e)
    return by


def ok(e: dict[str, object]) -> bool:
    return not e.get("error") and not e.get("sources_failed")


def wait_round(proc: subprocess.Popen[bytes], log: Path, names: list[str], k: int, until: float) -> bool:
    """Until every target has completed k gathers, the daemon exits, or ``until`` (time.time())."""
    while time.time() < until and proc.poll() is None:
        by = rounds(log)
        if all(len(by.get(n, [])) >= k for n in names):
            return True
        time.sleep(0.2)
    return False


def wait_started(proc: subprocess.Popen[bytes], log: Path, until: float) -> None:
    while time.time() < until and proc.poll() is None and not events(log, "daemon.started"):
        time.sleep(0.2)


def span(log: Path, names: list[str], k: int, since: Optional[float] = None) -> dict[str, float]:
    """Round k over all targets: wall time, gathers completed and without error, median gather."""
    by = rounds(log)
    done = [by[n][k - 1] for n in names if len(by.get(n, [])) >= k]
    if not done:
        return {"seconds": float("nan"), "done": 0, "ok": 0, "median": float("nan")}
    ends = [stamp(e) for e in done]
    durations = [float(str(e["duration_seconds"])) for e in done]
    start = since if since is not None else min(t - d for t, d in zip(ends, durations))
    return {
        "seconds": max(ends) - start,
        "done": len(done),
        "ok": sum(1 for e in done if ok(e)),
        "median": statistics.median(durations),
    }


# ------------------------------------------------------------------ one scale


def fleet(n: int, tmp: Path, capture: Path, fakebin: Path, root: Path) -> dict[str, Any]:
    base = tmp / f"n{n:03d}"
    sshd = Sshd(base / "sshd").start()
    names = [f"t{i:03d}" for i in range(n)]
    path = f"{fakebin}:/usr/bin:/bin"
    cfg = base / "ipmpd.toml"
    cfg.write_text(
        "[daemon]\n"
        f'interval = "{INTERVAL:.0f}s"\n'
        f'listen = "127.0.0.1:{free_port()}"\n'
        "local = false\n" + "".join(sshd.target_toml(name, path, str(root)) for name in names)
    )
    marker = str(sshd.user_key)
    log = base / "ipmpd.log"
    r: dict[str, Any] = {"n": n}
    server_side: list[int] = []
    try:
        with log.open("wb") as err:
            start = time.time()
            proc = subprocess.Popen(
                [sys.executable, "-m", "ipmpd", "run", "--config", str(cfg)],
                stdout=subprocess.DEVNULL,
                stderr=err,
                cwd=REPO,
            )
            try:
                if n == 0:
                    wait_started(proc, log, time.time() + WAIT)
                    time.sleep(3)  # idle, as it stays with nothing to gather
                    r["rss1"] = rss_kib(proc.pid)
                    return r
                r["complete1"] = wait_round(proc, log, names, 1, start + WAIT)
                r["rss1"] = rss_kib(proc.pid)
                r["round1"] = span(log, names, 1, since=start)
                ms = masters(marker)
                mem = [mem_kib(p) for p in ms]
                r["masters"] = len(ms)
                r["masters_rss"] = sum(m[0] for m in mem)
                r["masters_pss"] = sum(m[1] for m in mem)
                r["accepted1"] = sshd.connections()
                r["fds"] = fds(proc.pid)
                r["threads"] = threads(proc.pid)
                # Round 2 is due one interval (plus up to 5 s of jitter) after round 1 was.
                r["complete2"] = wait_round(proc, log, names, 2, start + INTERVAL + 5 + WAIT)
                r["rss2"] = rss_kib(proc.pid)
                r["round2"] = span(log, names, 2)
                r["accepted2"] = sshd.connections()
                r["masters2"] = len(masters(marker))
            finally:
                if sshd.proc is not None:
                    server_side = descendants(sshd.proc.pid)
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)  # ends its masters
                    try:
                        proc.wait(60)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()
                r["left"] = reap(masters(marker))
    finally:
        sshd.stop()
        r["left"] = r.get("left", 0) + reap(server_side)
    return r


# ------------------------------------------------------------------ report


def mib(kib: int) -> str:
    return f"{int(kib) / 1024:.1f}"


def per_target_mb(rss: int, base: int, n: int) -> float:
    return (rss - base) * 1024 / MB / n if n > 0 else float("nan")


def run(scales: tuple[int, ...] = SCALES) -> str:
    if not have_sshd():
        raise SystemExit("sshd is not installed: run tools/install-test-tools")
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="ipmpd-bench-targets-") as t:
        tmp = Path(t)
        capture = copy_demo(tmp / "host")
        fakebin = make_static_fakebin(capture, tmp / "bin")
        root = tmp / "root"
        write_hostname_files(capture, root)
        for n in sorted({0, 1, *scales}):
            results.append(fleet(n, tmp, capture, fakebin, root))
    by = {r["n"]: r for r in results}
    zero = by[0]["rss1"]
    one_rss = max(by[1]["rss1"], by[1]["rss2"])

    timing, memory, ssh = [], [], []
    verdicts = []
    for n in sorted(by):
        r = by[n]
        if n == 0:
            memory.append([0, mib(zero), "-", "-", "-", "-", "-"])  # idle after start
            continue
        r1, r2 = r["round1"], r["round2"]
        timing.append(
            [
                n,
                f"{r1['seconds']:.1f}",
                f"{r1['done']}/{n}",
                f"{r1['ok']}",
                f"{r1['median']:.2f}",
                f"{r2['seconds']:.1f}",
                f"{r2['done']}/{n}",
                f"{r2['ok']}",
                f"{r2['median']:.2f}",
            ]
        )
        rss = max(r["rss1"], r["rss2"])
        from_zero = per_target_mb(rss, zero, n)
        from_one = per_target_mb(rss, one_rss, n - 1)
        memory.append(
            [
                n,
                mib(r["rss1"]),
                mib(r["rss2"]),
                f"{from_zero:.3f}",
                f"{from_one:.3f}" if n > 1 else "-",
                r["fds"],
                r["threads"],
            ]
        )
        count = r["masters"]
        ssh.append(
            [
                n,
                f"{count}/{r['masters2']}",
                mib(r["masters_rss"]),
                f"{r['masters_rss'] / 1024 / max(count, 1):.2f}",
                mib(r["masters_pss"]),
                f"{r['masters_pss'] / 1024 / max(count, 1):.2f}",
                r["accepted1"],
                r["accepted2"],
                r["left"],
            ]
        )
        growth = from_one if n > 1 else from_zero
        basis = "from 1 target" if n > 1 else "from 0 targets"
        in_time = r["complete1"] and r1["seconds"] < INTERVAL and r1["ok"] == n
        verdicts.append(
            f"{n} target{'s' if n != 1 else ''}: all gathered in {r1['seconds']:.1f} s, "
            f"{r1['ok']}/{n} without error "
            f"(target: within one {INTERVAL:.0f} s interval: {'met' if in_time else 'MISSED'}); "
            f"ipmpd RSS {growth:+.3f} MB per target {basis} "
            f"(target < 0.5 MB: {'met' if growth < 0.5 else 'MISSED'})"
        )

    return (
        f"5. Fleet over SSH (one sshd on loopback, target_concurrency 8, interval {INTERVAL:.0f} s)\n"
        + table(
            [
                "targets",
                "round 1 s",
                "done",
                "ok",
                "median gather s",
                "round 2 s",
                "done",
                "ok",
                "median gather s",
            ],
            timing,
        )
        + "\n\n"
        + table(
            [
                "targets",
                "ipmpd RSS MiB r1",
                "r2",
                "MB/target from 0",
                "MB/target from 1",
                "fds",
                "threads",
            ],
            memory,
        )
        + "\n\n"
        + table(
            [
                "targets",
                "ssh masters r1/r2",
                "RSS MiB",
                "RSS MiB/target",
                "PSS MiB",
                "PSS MiB/target",
                "sshd accepted r1",
                "after r2",
                "left after stop",
            ],
            ssh,
        )
        + "\n"
        + "\n".join(verdicts)
    )


if __name__ == "__main__":
    print(f"machine: {machine()}\n")
    print(run(tuple(int(a) for a in sys.argv[1:]) or SCALES))
