"""Shared test helpers: fixtures, human->parsable rewriting, capture scenarios."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Optional

HERE = Path(__file__).parent
SAMPLES = HERE / "fixtures" / "samples"
REPO = HERE.parent
DEMO = REPO / "ipmpd" / "demo"
FAKEBIN_SCRIPT = HERE / "fakebin" / "fake-solaris"
FAKE_COMMANDS = ("ifconfig", "ipmpstat", "dladm", "ipadm", "autopush", "uname", "eeprom")


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


AUTOPUSH = ["dladm", "show-linkprop", "-c", "-o", "link,value", "-p", "autopush"]


def drop_modlists(capture: Path) -> None:
    """Remove every recorded ``ifconfig IF modlist``: a capture taken without --modlist."""
    manifest = capture / "capture.json"
    data = json.loads(manifest.read_text())
    data["commands"] = [c for c in data["commands"] if c["argv"][-1:] != ["modlist"]]
    manifest.write_text(json.dumps(data, indent=2))


def copy_demo(dest: Path) -> Path:
    shutil.copytree(DEMO, dest)
    return dest


def edit_output(
    capture: Path,
    argv: list[str],
    text: Optional[str],
    exit_status: int = 0,
    behaviour: Optional[str] = None,
    stderr: Optional[str] = None,
) -> None:
    """Set (or with text=None remove) one command's output in a capture directory."""
    manifest = capture / "capture.json"
    data = json.loads(manifest.read_text())
    commands = [c for c in data["commands"] if c["argv"] != argv]
    if text is not None or behaviour is not None:
        name = "_".join(a.replace("/", "_") for a in argv)[:80] + ".edited.out"
        (capture / name).write_text(text or "")
        entry = {"argv": argv, "stdout": name, "exit": exit_status}
        if stderr is not None:
            (capture / (name[: -len(".out")] + ".err")).write_text(stderr)
            entry["stderr"] = name[: -len(".out")] + ".err"
        if behaviour:
            entry["behaviour"] = behaviour
        commands.append(entry)
    data["commands"] = commands
    manifest.write_text(json.dumps(data, indent=2))


def edit_file(capture: Path, path: str, text: Optional[str]) -> None:
    """Set a file's text in a capture directory; text=None records it as absent on the host."""
    manifest = capture / "capture.json"
    data = json.loads(manifest.read_text())
    files = [f for f in data["files"] if f["path"] != path]
    if text is None:
        files.append({"path": path, "absent": True})
    else:
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
        if f.get("absent"):
            continue  # not on the host
        target = root / f["path"].lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text((capture / f["content"]).read_text())


def tool(name: str) -> str:
    """Path of a real tool the suite depends on; tools/install-test-tools provides them."""
    candidates = {
        "promtool": REPO / ".tools" / "prometheus" / "usr" / "bin" / "promtool",
        "prometheus": REPO / ".tools" / "prometheus" / "usr" / "bin" / "prometheus",
        "node_exporter": REPO / ".tools" / "node-exporter" / "usr" / "bin" / "prometheus-node-exporter",
        "alertmanager": REPO / ".tools" / "alertmanager" / "usr" / "bin" / "prometheus-alertmanager",
        "amtool": REPO / ".tools" / "alertmanager" / "usr" / "bin" / "amtool",
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


# ------------------------------------------------ planted scenarios on the demo host

IFCONFIG = ["ifconfig", "-a"]
MACS = ["dladm", "show-phys", "-m", "-p", "-o", "link,slot,address,inuse,client"]
GROUPS = ["ipmpstat", "-g", "-P", "-o", "group,groupname,state,fdt,interfaces"]
IFS = ["ipmpstat", "-i", "-P", "-o", "interface,active,group,flags,link,probe,state"]
IPADM_IF = ["ipadm", "show-if", "-p", "-o", "ifname,state,current,persistent"]
# Published uname lines: tests/fixtures/README.md.
SOLARIS11 = "SunOS solaris-vagrant 5.11 11.4.0.15.0 i86pc i386 i86pc\n"
# e1000g3's block in the demo's ifconfig -a (from the NexentaStor sample).
E1000G3_GROUPNAME = "\tinet 172.16.36.94 netmask ffffff00 broadcast 172.16.36.255\n\tgroupname itops0\n"


def leave_ipmpstat(capture: Path) -> None:
    """e1000g3 is no member of itops0 in ipmpstat -g and -i."""
    replace_in_output(capture, GROUPS, "e1000g2 e1000g3", "e1000g2")
    replace_in_output(capture, IFS, "e1000g3:yes:ipmp1:-------:up:ok:ok\n", "")


def ungroup_e1000g3(capture: Path) -> None:
    """``ifconfig e1000g3 group ""``: no groupname line, gone from ipmpstat."""
    plain = "\tinet 172.16.36.94 netmask ffffff00 broadcast 172.16.36.255\n"
    replace_in_output(capture, IFCONFIG, E1000G3_GROUPNAME, plain)
    leave_ipmpstat(capture)


def unplumb_e1000g3(capture: Path) -> None:
    """``ifconfig e1000g3 unplumb``: its block gone from ifconfig -a, and from ipmpstat."""
    text = (capture / "ifconfig_-a.out").read_text()
    start = text.index("e1000g3: flags=")
    end = text.index("\n", text.index("ether 8:0:27:9c:77:4d", start)) + 1
    edit_output(capture, IFCONFIG, text[:start] + text[end:])
    leave_ipmpstat(capture)


def ipadm_member(capture: Path, member: str, ipmp_if: str) -> str:
    """``ipadm create-ipmp IPMPIF; ipadm add-ipmp -i MEMBER IPMPIF`` without -t,
    on a member with no hostname file: ipadm show-if marks it persistent, and
    the store holds the lines as ipmgmtd writes them (illumos 2554, 2021:
    libipadm ipadm_ipmgmt.h _ifclass, _families, _gifname, _mifnames;
    ipmgmt_door.c, ipmgmt_persist.c).  Returns the store's text."""
    edit_file(capture, f"/etc/hostname.{member}", None)
    replace_in_output(capture, IPADM_IF, f"{member}:ok:bm------4-:---", f"{member}:ok:bm------4-:-4-")
    store = (
        f"_ifname={ipmp_if};_ifclass=1;_families=2;_mifnames={member};\n"
        f"_ifname={member};_ifclass=0;_families=2;_gifname={ipmp_if};\n"
    )
    edit_file(capture, "/etc/ipadm/ipadm.conf", store)
    return store


class FakeHost:
    """A fake host: commands on a PATH directory, files under a root."""

    def __init__(self, tmp: Path, edit: Optional[Callable[[Path], None]] = None) -> None:
        self.capture = copy_demo(tmp / "host")
        if edit:
            edit(self.capture)
        self.fakebin = make_fakebin(tmp / "bin")
        serve(self.fakebin, self.capture)
        self.root = tmp / "root"
        write_hostname_files(self.capture, self.root)
        self.config = tmp / "ipmpd.toml"
        self.config.write_text(f'[daemon]\npath = "{fake_path(self.fakebin)}"\nroot = "{self.root}"\n')

    def collect(self, sh: list[str], *args: str) -> bytes:
        """Run the shell collector against this host with ``sh``."""
        argv = [
            *sh,
            str(REPO / "ipmpd" / "collect.sh"),
            "--path",
            fake_path(self.fakebin),
            "--root",
            str(self.root),
            *args,
        ]
        done = subprocess.run(argv, capture_output=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout


def make_static_fakebin(capture: Path, dest: Path) -> Path:
    """Fake Solaris commands as small sh scripts that print a capture's
    outputs: far cheaper than fake-solaris, for many hosts at once."""
    dest.mkdir(parents=True, exist_ok=True)
    data = json.loads((capture / "capture.json").read_text())
    by_name: dict[str, list[str]] = {}
    for c in data["commands"]:
        argv = c["argv"]
        lines = [f"'{' '.join(argv[1:])}')"]
        if c.get("stdout"):
            lines.append(f"    cat '{capture / c['stdout']}'")
        if c.get("stderr"):
            lines.append(f"    cat '{capture / c['stderr']}' >&2")
        lines.append(f"    exit {c.get('exit', 0)} ;;")
        by_name.setdefault(argv[0], []).extend(lines)
    for name in FAKE_COMMANDS:
        body = "\n".join(by_name.get(name, []))
        script = dest / name
        script.write_text(
            f'#!/bin/sh\ncase "$*" in\n{body}\n*) echo "{name}: not found" >&2; exit 127 ;;\nesac\n'
        )
        script.chmod(0o755)
    return dest


def check_json(capsys: Any, *args: str) -> dict[str, Any]:
    """``ipmpd check --format json ARGS`` in-process: its JSON without the
    snapshot (whose timings differ), and its exit code as "exit"."""
    from ipmpd import cli

    rc = cli.main(["check", "--format", "json", *args])
    out: dict[str, Any] = json.loads(capsys.readouterr().out)
    out.pop("snapshot")
    out["exit"] = rc
    return out


def stop_process(proc: subprocess.Popen[Any], seconds: float = 10) -> Optional[int]:
    """SIGTERM, then SIGKILL after ``seconds``; the exit status."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(seconds)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode
