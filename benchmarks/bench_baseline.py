"""Baseline comparison: the check stage at 512 and 2048 interfaces, this tree against an older revision.

Why: the issue that made remedies typed actions requires that the check
stage, remedies included, cost at most 1.5x what it cost before that
change, measured in one run on one machine (figures from different
machines or days do not compare).  bb30fd1 is the last commit before the
change, so it is the default baseline.

What: the baseline revision is exported with ``git archive`` into a
temporary directory (no worktree registered, nothing left behind); the
current tree is the working tree as it is now, uncommitted edits included.
For each tree a child process of this script (``--measure TREE``) runs with
``PYTHONPATH=TREE`` and the tree as its working directory, so it imports
that tree's ``ipmpd``.  The child writes a synthetic host with that tree's
benchmarks/genhost.py (the current tree's when the baseline has none),
replays it with CaptureRunner (no processes, so only ipmpd's own cost),
gathers once, then times ``evaluate(snap, Config())`` (the check stage)
and gather + evaluate (the whole cycle), each the median of 11 with the
tree's own benchmarks/common.py median_time where it has one.  The check
stage is everything ``evaluate`` does: in the current tree that includes
building each finding's remedies (typed actions) and rendering them into
the remediation text a Finding carries, so nothing is timed separately.
The output also says how many findings (and findings with remediation)
each tree produced and whether both trees measured the same host.  A clean
host builds no remedy at all, so by default both trees measure the current
genhost.py's host with planted drift (``drift=True``: one finding with a
remedy in every group); ``--clean`` measures each tree's clean host instead.

Targets: check stage at 2048 interfaces at most 1.5x the baseline's;
whole cycle 2048 vs 512 within 5x (linear, as in bench_size).  It prints
figures and asserts nothing; it exits 1 only when a tree could not be
measured (after printing what it could).

    python benchmarks/bench_baseline.py                    # working tree vs bb30fd1
    python benchmarks/bench_baseline.py --baseline HEAD~3
    python benchmarks/bench_baseline.py --current HEAD     # a revision instead of the working tree
    python benchmarks/bench_baseline.py --same-host        # both trees use the current genhost.py
    python benchmarks/bench_baseline.py --clean            # no planted drift (each tree's own host)
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any, Optional

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BASELINE = "bb30fd1"
SIZES = (512, 2048)
REPEAT = 11
TARGET_RATIO = 1.5
LINEAR = 5.0


# --- child: measure one tree ------------------------------------------------


def _load(name: str, path: Path) -> Optional[ModuleType]:
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _forget_absent(capture: Path) -> None:
    """Drop the files recorded as absent, for a tree whose captures cannot say so."""
    manifest = capture / "capture.json"
    data = json.loads(manifest.read_text())
    data["files"] = [f for f in data["files"] if not f.get("absent")]
    manifest.write_text(json.dumps(data))


def _fingerprint(capture: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(capture.iterdir()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def measure(tree: Path, genhost_path: Path, drift: bool = False) -> dict[str, Any]:
    """Time the check stage and the whole cycle with ``tree``'s ipmpd; runs in a child process."""
    tree = tree.resolve()
    rest = [p for p in sys.path if Path(p or ".").resolve() not in (HERE, tree, tree / "benchmarks")]
    sys.path[:] = [str(tree), str(tree / "benchmarks"), *rest]

    import ipmpd
    from ipmpd.checks import evaluate
    from ipmpd.config import Config
    from ipmpd.gather import gather
    from ipmpd.runner import CaptureRunner

    if tree not in Path(ipmpd.__file__).resolve().parents:
        raise SystemExit(f"imported ipmpd from {ipmpd.__file__}, not from {tree}")
    genhost = _load("_bench_genhost", genhost_path)
    if genhost is None or not hasattr(genhost, "write"):
        raise SystemExit(f"no genhost.write in {genhost_path}")
    common = _load("_bench_common", tree / "benchmarks" / "common.py")
    median_time = getattr(common, "median_time", None)
    timer = "benchmarks/common.py"
    if median_time is None:
        here = _load("_bench_common_here", Path(__file__).resolve().parent / "common.py")
        assert here is not None
        median_time, timer = here.median_time, "this tree's benchmarks/common.py (that tree has none)"

    sizes: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in SIZES:
            where = Path(tmp) / f"h{n}"
            capture = Path(genhost.write(n, where, drift=True) if drift else genhost.write(n, where))
            fingerprint = _fingerprint(capture)
            if not hasattr(sys.modules[CaptureRunner.__module__], "NotRecorded"):
                _forget_absent(capture)  # that tree reads a file it does not hold as absent
            runner = CaptureRunner(capture)
            snap = gather(runner, run_modlist=True)
            config = Config()
            results = evaluate(snap, config)
            found = [f for r in results for f in getattr(r, "findings", ())]
            remedied = [f for f in found if getattr(f, "remediation", None) or getattr(f, "remedy", None)]
            check = median_time(lambda s=snap, c=config: evaluate(s, c), REPEAT)
            cycle = median_time(lambda r=runner, c=config: evaluate(gather(r, run_modlist=True), c), REPEAT)
            sizes[str(n)] = {
                "groups": len(snap.groups),
                "results": len(results),
                "findings": len(found),
                "with_remediation": len(remedied),
                "host": fingerprint,
                "check_s": check,
                "cycle_s": cycle,
            }
    return {"ipmpd": ipmpd.__file__, "genhost": str(genhost_path), "timer": timer, "sizes": sizes}


# --- parent: export, run the children, compare --------------------------------


def _git(*args: str) -> str:
    env = dict(os.environ, GIT_OPTIONAL_LOCKS="0")  # never rewrite the index others are using
    done = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


def export(rev: str, into: Path) -> str:
    """Write the tree of ``rev`` into ``into`` (git archive | tar -x); return the full commit."""
    try:
        commit = _git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    except SystemExit:
        raise SystemExit(f"{rev}: not a commit in {REPO}") from None
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.Popen(
        ["git", "-C", str(REPO), "archive", "--format=tar", commit], stdout=subprocess.PIPE
    )
    untar = subprocess.Popen(["tar", "-x", "-C", str(into)], stdin=archive.stdout)
    if archive.stdout is not None:
        archive.stdout.close()  # tar alone holds the pipe now
    if untar.wait() != 0 or archive.wait() != 0:
        raise SystemExit(f"could not export {rev} with git archive | tar -x")
    return commit


def _genhost_for(tree: Path, current: Path, same_host: bool) -> Path:
    for candidate in ([] if same_host else [tree]) + [current]:
        path = candidate / "benchmarks" / "genhost.py"
        if path.is_file():
            return path
    return HERE / "genhost.py"


def _child(tree: Path, genhost_path: Path, drift: bool) -> tuple[Optional[dict[str, Any]], str]:
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0")
    argv = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--measure",
        str(tree),
        "--genhost",
        str(genhost_path),
    ] + (["--drift"] if drift else [])
    done = subprocess.run(argv, cwd=tree, env=env, capture_output=True, text=True)
    lines = done.stdout.strip().splitlines()
    if done.returncode == 0 and lines:
        try:
            return json.loads(lines[-1]), ""
        except ValueError:
            pass
    tail = (done.stderr.strip() or done.stdout.strip()).splitlines()[-15:]
    return None, f"exit {done.returncode}:\n" + "\n".join("    " + line for line in tail)


def compare(
    baseline: str = BASELINE, current: Optional[str] = None, same_host: bool = False, drift: bool = True
) -> tuple[str, bool]:
    """The report, and whether both trees could be measured."""
    same_host = same_host or drift  # only the current genhost.py plants drift
    sys.path.insert(0, str(HERE))
    from common import ms, table

    out = [f"Baseline comparison (capture replay, median of {REPEAT}, milliseconds)"]
    measured: dict[str, Optional[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base_tree = Path(tmp) / "baseline"
        base_commit = export(baseline, base_tree)
        if current is None:
            cur_tree = REPO
            changed = len(_git("status", "--porcelain", "--untracked-files=no").splitlines())
            head = _git("rev-parse", "--short", "HEAD")
            cur_label = f"working tree {REPO} (HEAD {head}, {changed} tracked files changed)"
        else:
            cur_tree = Path(tmp) / "current"
            cur_label = f"{current} = {export(current, cur_tree)[:12]} (exported with git archive)"
        out.append(f"baseline: {baseline} = {base_commit[:12]} (exported with git archive)")
        out.append(f"current:  {cur_label}")
        for name, tree in (("baseline", base_tree), ("current", cur_tree)):
            figures, error = _child(tree, _genhost_for(tree, cur_tree, same_host), drift)
            measured[name] = figures
            if figures is None:
                out.append(f"{name} could not be measured, {error}")
            else:
                genhost = Path(figures["genhost"]).resolve()
                own = tree.resolve() in genhost.parents
                where = "its own genhost.py" if own else f"{genhost} (not its own)"
                out.append(f"{name}: ipmpd from its tree, host from {where}, timer {figures['timer']}")

    base, cur = measured["baseline"], measured["current"]

    def fig(tree: Optional[dict[str, Any]], n: int, key: str) -> Optional[float]:
        return None if tree is None else float(tree["sizes"][str(n)][key])

    def cell(value: Optional[float]) -> str:
        return "failed" if value is None else ms(value)

    def ratio(a: Optional[float], b: Optional[float]) -> str:
        return "" if a is None or b is None else f"{a / b:.2f}x"

    rows: list[list[object]] = []
    for n in SIZES:
        bc, cc = fig(base, n, "check_s"), fig(cur, n, "check_s")
        rows.append(
            [
                n,
                cell(bc),
                cell(cc),
                ratio(cc, bc),
                cell(fig(base, n, "cycle_s")),
                cell(fig(cur, n, "cycle_s")),
            ]
        )
    lo, hi = SIZES[0], SIZES[-1]
    rows.append(
        [
            f"{hi}/{lo}",
            ratio(fig(base, hi, "check_s"), fig(base, lo, "check_s")),
            ratio(fig(cur, hi, "check_s"), fig(cur, lo, "check_s")),
            "",
            ratio(fig(base, hi, "cycle_s"), fig(base, lo, "cycle_s")),
            ratio(fig(cur, hi, "cycle_s"), fig(cur, lo, "cycle_s")),
        ]
    )
    headers = [
        "interfaces",
        "baseline check ms",
        "current check ms",
        "ratio",
        "baseline cycle ms",
        "current cycle ms",
    ]
    out.append(table(headers, rows))

    bc, cc = fig(base, hi, "check_s"), fig(cur, hi, "check_s")
    if bc is not None and cc is not None:
        met = "met" if cc / bc <= TARGET_RATIO else "MISSED"
        out.append(
            f"check stage at {hi}: current {ms(cc)} ms vs baseline {ms(bc)} ms = {cc / bc:.2f}x "
            f"(target at most {TARGET_RATIO}x: {met})"
        )
    else:
        out.append(f"check stage at {hi}: no comparison, a tree could not be measured")
    for name, tree in (("current", cur), ("baseline", base)):
        lw, hw = fig(tree, lo, "cycle_s"), fig(tree, hi, "cycle_s")
        if lw is not None and hw is not None:
            met = "met" if hw / lw <= LINEAR else "MISSED"
            out.append(
                f"whole cycle {hi} vs {lo} ({name}): {hw / lw:.2f}x (target within {LINEAR:g}x: {met})"
            )

    if base is not None and cur is not None:
        b, c = base["sizes"][str(hi)], cur["sizes"][str(hi)]
        out.append(
            f"findings at {hi}: baseline {b['findings']} ({b['with_remediation']} with remediation), "
            f"current {c['findings']} ({c['with_remediation']} with remediation)"
        )
        if b["findings"] == 0 and c["findings"] == 0:
            out.append(
                "note: the synthetic host is clean, so neither figure includes building or rendering a remedy"
            )
        hosts = [(n, base["sizes"][str(n)]["host"], cur["sizes"][str(n)]["host"]) for n in SIZES]
        if all(bh == ch for _, bh, ch in hosts):
            out.append("host: both trees measured the same synthetic host")
        else:
            differ = ", ".join(f"{n}: {bh} vs {ch}" for n, bh, ch in hosts if bh != ch)
            out.append(f"host: the trees' genhost.py wrote DIFFERENT hosts ({differ}); --same-host uses one")
    return "\n".join(out), base is not None and cur is not None


def run() -> str:
    return compare()[0]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description="Check stage of the working tree against a baseline revision."
    )
    parser.add_argument(
        "--baseline", default=BASELINE, metavar="REV", help=f"revision to compare with ({BASELINE})"
    )
    parser.add_argument(
        "--same-host", action="store_true", help="write both hosts with the current genhost.py"
    )
    parser.add_argument("--clean", action="store_true", help="measure hosts without planted drift")
    parser.add_argument("--drift", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--current", metavar="REV", help=argparse.SUPPRESS)
    parser.add_argument("--measure", metavar="TREE", help=argparse.SUPPRESS)
    parser.add_argument("--genhost", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure is not None:
        genhost = Path(args.genhost) if args.genhost else Path(args.measure) / "benchmarks" / "genhost.py"
        print(json.dumps(measure(Path(args.measure), genhost, args.drift)))
        return 0
    sys.path.insert(0, str(HERE))
    from common import machine

    print(f"machine: {machine()}\n", flush=True)
    text, ok = compare(args.baseline, args.current, args.same_host, drift=not args.clean)
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
