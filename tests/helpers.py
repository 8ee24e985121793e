"""Shared test helpers: fixtures, human->parsable rewriting, capture scenarios."""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
from pathlib import Path
from typing import Optional

HERE = Path(__file__).parent
SAMPLES = HERE / "fixtures" / "samples"
REPO = HERE.parent
DEMO = REPO / "ipmpd" / "demo"
FAKEBIN_SCRIPT = HERE / "fakebin" / "fake-solaris"
FAKE_COMMANDS = ("ifconfig", "ipmpstat", "dladm", "ipadm", "uname", "eeprom")


def sample(name: str) -> str:
    path = SAMPLES / name
    if not path.exists():
        raise FileNotFoundError(f"fixture {name} is missing from {SAMPLES}")
    return path.read_bytes().decode("utf-8", errors="replace")


def to_parsable(human: str, nfields: int, skip_header: bool = True) -> str:
    """Rewrite an ofmt human table as ofmt's parsable mode would print it."""
    rows = [line for line in human.splitlines() if line.strip()]
    if skip_header:
        rows = rows[1:]
    out = []
    for row in rows:
        fields = row.split(None, nfields - 1)
        fields += [""] * (nfields - len(fields))
        fields = ["" if f == "--" else f for f in fields]
        if nfields > 1:
            fields = [f.replace("\\", "\\\\").replace(":", "\\:") for f in fields]
        out.append(":".join(fields))
    return "\n".join(out) + "\n"


def copy_demo(dest: Path) -> Path:
    shutil.copytree(DEMO, dest)
    return dest


def edit_output(
    capture: Path, argv: list[str], text: Optional[str], exit_status: int = 0, behaviour: Optional[str] = None
) -> None:
    """Set (or with text=None remove) one command's output in a capture directory."""
    manifest = capture / "capture.json"
    data = json.loads(manifest.read_text())
    commands = [c for c in data["commands"] if c["argv"] != argv]
    if text is not None or behaviour is not None:
        name = "_".join(a.replace("/", "_") for a in argv)[:80] + ".edited.out"
        (capture / name).write_text(text or "")
        entry = {"argv": argv, "stdout": name, "exit": exit_status}
        if behaviour:
            entry["behaviour"] = behaviour
        commands.append(entry)
    data["commands"] = commands
    manifest.write_text(json.dumps(data, indent=2))


def edit_file(capture: Path, path: str, text: Optional[str]) -> None:
    manifest = capture / "capture.json"
    data = json.loads(manifest.read_text())
    files = [f for f in data["files"] if f["path"] != path]
    if text is not None:
        name = path.strip("/").replace("/", "_") + ".edited"
        (capture / name).write_text(text)
        files.append({"path": path, "content": name})
    data["files"] = files
    manifest.write_text(json.dumps(data, indent=2))


def read_output(capture: Path, argv: list[str]) -> str:
    data = json.loads((capture / "capture.json").read_text())
    for c in data["commands"]:
        if c["argv"] == argv:
            return (capture / c["stdout"]).read_text()
    raise KeyError(argv)


def make_fakebin(dest: Path) -> Path:
    """A directory of fake Solaris commands, run by this interpreter."""
    dest.mkdir(parents=True, exist_ok=True)
    script = dest / "fake-solaris"
    body = FAKEBIN_SCRIPT.read_text().split("\n", 1)[1]
    script.write_text(f"#!{sys.executable}\n{body}")
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    for name in FAKE_COMMANDS:
        link = dest / name
        if not link.exists():
            os.symlink("fake-solaris", link)
    return dest


def serve(fakebin: Path, host: Path) -> None:
    """Make the fake commands in ``fakebin`` answer from capture directory ``host``."""
    (fakebin / "host").write_text(str(host))


def fake_path(fakebin: Path) -> str:
    return f"{fakebin}:/usr/bin:/bin"


def write_hostname_files(capture: Path, root: Path) -> None:
    """Lay the capture's files out under ``root`` so SubprocessRunner(root=...) reads them."""
    data = json.loads((capture / "capture.json").read_text())
    for f in data["files"]:
        target = root / f["path"].lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text((capture / f["content"]).read_text())


def tool(name: str) -> str:
    """Path of a real tool the suite depends on; tools/install-test-tools provides them."""
    candidates = {
        "promtool": REPO / ".tools" / "prometheus" / "usr" / "bin" / "promtool",
        "prometheus": REPO / ".tools" / "prometheus" / "usr" / "bin" / "prometheus",
        "node_exporter": REPO / ".tools" / "node-exporter" / "usr" / "bin" / "prometheus-node-exporter",
    }
    path = candidates.get(name)
    if path is not None and path.exists():
        return str(path)
    found = shutil.which(name)
    if found:
        return found
    raise FileNotFoundError(f"{name} is not installed: run tools/install-test-tools (.ci/run does)")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def replace_in_output(capture: Path, argv: list[str], old: str, new: str) -> None:
    """Plant a change in one command's output; fails if ``old`` is not there (no vacuous scenario)."""
    text = read_output(capture, argv)
    assert old in text, f"{old!r} is not in the output of {' '.join(argv)}"
    edit_output(capture, argv, text.replace(old, new))
