"""Benchmark 3, scrape load, side by side: ipmpd vs Debian's node_exporter.

`ipmpd run` on the 512-interface synthetic host (capture replay) and
`prometheus-node-exporter` (Debian package, extracted by
tools/install-test-tools) run on this machine on loopback; the same load
generator (wrk, 2 threads, 20 connections, 10 s, on the same 2 cores) hits
each /metrics in turn.  Target: ipmpd's p50 and p99 no worse than
node_exporter's, and no error responses.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from common import table, tool
from genhost import write
from helpers import free_port

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def wait_for(url: str, needle: bytes, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                body = r.read()
                if needle in body:
                    return len(body)
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} never served {needle!r}")


def latency_ms(text: str, pct: str) -> float:
    m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    if not m:
        raise SystemExit(f"no {pct}% line in wrk output:\n{text}")
    return float(m.group(1)) * UNITS[m.group(2)]


def load(url: str, seconds: int = 10) -> dict[str, float]:
    out = subprocess.run(
        [tool("wrk"), "-t2", "-c20", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    socket_errors = sum(int(x) for x in sock.groups()) if sock else 0
    return {
        "rps": rps,
        "requests": total,
        "p50": latency_ms(out, "50"),
        "p99": latency_ms(out, "99"),
        "errors": errors,
        "socket_errors": socket_errors,
    }


def run() -> str:
    rows = []
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        capture = write(512, Path(tmp) / "h512")
        ipmpd_port, node_port = free_port(), free_port()
        cfg = Path(tmp) / "ipmpd.toml"
        cfg.write_text(f'[daemon]\nlisten = "127.0.0.1:{ipmpd_port}"\n')
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "ipmpd", "run", "--capture", str(capture), "--config", str(cfg)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ),
            subprocess.Popen(
                [tool("node_exporter"), f"--web.listen-address=127.0.0.1:{node_port}"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ),
        ]
        try:
            targets = {
                "ipmpd (512 interfaces)": (
                    f"http://127.0.0.1:{ipmpd_port}/metrics",
                    b"ipmpd_modlist_timestamp_seconds ",
                ),
                "node_exporter": (f"http://127.0.0.1:{node_port}/metrics", b"node_exporter_build_info"),
            }
            for name, (url, needle) in targets.items():
                size = wait_for(url, needle)
                r = load(url)
                results[name] = r
                rows.append(
                    [
                        name,
                        f"{r['rps']:.0f}",
                        int(r["requests"]),
                        f"{r['p50']:.2f}",
                        f"{r['p99']:.2f}",
                        f"{size / 1024:.0f}",
                        int(r["errors"] + r["socket_errors"]),
                    ]
                )
        finally:
            for p in procs:
                p.terminate()
                p.wait(10)
    ip, ne = results["ipmpd (512 interfaces)"], results["node_exporter"]
    verdict = (
        f"p50 {ip['p50']:.2f} vs {ne['p50']:.2f} ms, p99 {ip['p99']:.2f} vs {ne['p99']:.2f} ms: target "
        f"{'met' if ip['p50'] <= ne['p50'] and ip['p99'] <= ne['p99'] else 'MISSED'}; "
        f"ipmpd error responses: {int(ip['errors'] + ip['socket_errors'])}"
    )
    return (
        "3. Scrape load (wrk -t2 -c20 -d10s --latency, loopback, same machine)\n"
        + table(["exporter", "req/s", "requests", "p50 ms", "p99 ms", "response KiB", "errors"], rows)
        + "\n"
        + verdict
    )


if __name__ == "__main__":
    print(run())
