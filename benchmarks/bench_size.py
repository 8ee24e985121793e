"""Benchmark 1, host size: parse, check and whole-cycle time for 8 to 2048 interfaces.

Synthetic captures from benchmarks/genhost.py, replayed with CaptureRunner
(no processes), so this measures ipmpd's own cost.  Each figure is the
median of 5 runs.  Targets (2-core machine): check stage for 2048
interfaces under 100 ms, whole cycle under 1 s, 2048 vs 512 within 5x.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import SIZES, median_time, ms, table
from genhost import write

from ipmpd.checks import evaluate
from ipmpd.config import Config
from ipmpd.gather import gather
from ipmpd.parsers import autopush, dladm, hostname, ifconfig, ipadm, ipmpstat, modlist
from ipmpd.runner import CaptureRunner


def parse_all(capture: Path) -> None:
    data = json.loads((capture / "capture.json").read_text())
    parsers = {
        "ifconfig -a": ifconfig.parse,
        "ipmpstat -g": ipmpstat.parse_groups,
        "ipmpstat -i": ipmpstat.parse_interfaces,
        "ipmpstat -t": ipmpstat.parse_targets,
        "dladm show-phys": dladm.parse_phys,
        "dladm show-phys -m": dladm.parse_macs,
        "ipadm show-if": ipadm.parse_if,
        "ipadm show-addr": ipadm.parse_addr,
        "dladm show-linkprop": autopush.parse_linkprop,
    }
    for c in data["commands"]:
        key = " ".join(c["argv"][:2])
        if c["argv"][-1] == "modlist":
            modlist.parse((capture / c["stdout"]).read_text())
        elif key == "dladm show-phys":
            (dladm.parse_macs if "-m" in c["argv"] else dladm.parse_phys)((capture / c["stdout"]).read_text())
        elif key in parsers:
            parsers[key]((capture / c["stdout"]).read_text())
    for f in data["files"]:
        if f.get("absent"):
            continue
        text = (capture / f["content"]).read_text()
        if f["path"] == "/etc/iu.ap":
            autopush.parse_apconf(f["path"], text)
        elif f["path"] == "/etc/name_to_major":
            autopush.parse_name_to_major(text)
        else:
            hostname.parse(f["path"], text)


def run() -> str:
    rows = []
    results: dict[int, tuple[float, float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in SIZES:
            capture = write(n, Path(tmp) / f"h{n}")
            runner = CaptureRunner(capture)
            snap = gather(runner, run_modlist=True)
            config = Config()
            parse = median_time(lambda c=capture: parse_all(c))
            check = median_time(lambda s=snap, c=config: evaluate(s, c))
            cycle = median_time(lambda r=runner, c=config: evaluate(gather(r, run_modlist=True), c))
            results[n] = (parse, check, cycle)
            rows.append([n, len(snap.groups), ms(parse), ms(check), ms(cycle)])
    p512, c512, w512 = results[512]
    p2k, c2k, w2k = results[2048]
    rows.append(["2048/512", "", f"{p2k / p512:.2f}x", f"{c2k / c512:.2f}x", f"{w2k / w512:.2f}x"])
    verdict = (
        f"check stage at 2048: {ms(c2k)} ms (target < 100 ms: {'met' if c2k < 0.1 else 'MISSED'}); "
        f"whole cycle at 2048: {ms(w2k)} ms (target < 1000 ms: {'met' if w2k < 1 else 'MISSED'}); "
        f"2048 vs 512 whole cycle {w2k / w512:.2f}x "
        f"(target within 5x: {'met' if w2k / w512 <= 5 else 'MISSED'})"
    )
    return (
        "1. Host size (capture replay, median of 5, milliseconds)\n"
        + table(["interfaces", "groups", "parse ms", "check ms", "cycle ms"], rows)
        + "\n"
        + verdict
    )


if __name__ == "__main__":
    print(run())
