"""The shell collector (ipmpd/collect.sh) and the ipmpd-capture/2 stream.

The collector runs under every shell Debian packages that is closest to
Solaris 10's Bourne /bin/sh (dash, posh, ksh, mksh, busybox sh), against the
fake Solaris commands that print the demo host's published outputs, and its
stream must give the same check results as the Python gatherer reading the
same outputs.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import SOLARIS11, FakeHost, check_json, edit_file, edit_output, fake_path

from ipmpd import capture, cli, collector
from ipmpd.capture import CaptureError, read_stream, stream_bytes
from ipmpd.runner import CaptureRunner

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "ipmpd" / "collect.sh"
SOLARIS10_SPARC = "SunOS t2 5.10 Generic_141414-02 sun4v sparc SUNW,T5240\n"
SHELLS = {
    "dash": ["dash"],
    "posh": ["posh"],
    "ksh": ["ksh"],
    "mksh": ["mksh"],
    "busybox": ["busybox", "sh"],
}


def shell(name: str) -> list[str]:
    argv = SHELLS[name]
    if shutil.which(argv[0]) is None:
        pytest.skip(f"{argv[0]} is not installed: tools/install-test-tools installs it (.ci/run does)")
    return argv


def python_and_collector(tmp_path, capsys, sh: list[str], edit=None, modlist: bool = False):
    host = FakeHost(tmp_path, edit)
    extra = ["--modlist"] if modlist else []
    expected = check_json(capsys, "--config", str(host.config), *extra)
    stream = tmp_path / "host.capture"
    stream.write_bytes(host.collect(sh, *extra))
    got = check_json(capsys, "--capture", str(stream))
    return expected, got


@pytest.mark.parametrize("name", sorted(SHELLS))
def test_every_shell_gives_the_python_gatherers_results(tmp_path, capsys, name):
    expected, got = python_and_collector(tmp_path, capsys, shell(name), modlist=True)
    assert expected["results"] and got == expected
    # the demo has findings (exit 1), and live modules were read on both sides
    assert got["exit"] == 1


def _solaris10(c: Path) -> None:
    edit_output(c, ["uname", "-a"], SOLARIS10_SPARC)
    edit_output(c, ["eeprom", "local-mac-address?"], "local-mac-address?=false\n")


def _solaris11(c: Path) -> None:
    edit_output(c, ["uname", "-a"], SOLARIS11)


def _drifted(c: Path) -> None:
    # pfil pushed on one member; one member's boot file lost its group
    edit_output(c, ["ifconfig", "e1000g2", "modlist"], "0 arp\n1 ip\n2 pfil\n3 e1000g\n")
    edit_file(c, "/etc/hostname.e1000g3", "172.16.36.94 netmask 255.255.255.0 up\n")


def _ipmpstat_missing(c: Path) -> None:
    for argv in (
        ["ipmpstat", "-g", "-P", "-o", "group,groupname,state,fdt,interfaces"],
        ["ipmpstat", "-i", "-P", "-o", "interface,active,group,flags,link,probe,state"],
    ):
        edit_output(c, argv, None)


@pytest.mark.parametrize(
    "edit,modlist",
    [
        (_solaris10, True),
        (_solaris10, False),
        (_solaris11, False),
        (_drifted, True),
        (_ipmpstat_missing, False),
    ],
    ids=["solaris10-sparc-modlist", "solaris10-sparc", "solaris11", "drifted-modlist", "ipmpstat-missing"],
)
def test_platforms_and_drift_give_the_same_results_as_python(tmp_path, capsys, edit, modlist):
    expected, got = python_and_collector(tmp_path, capsys, shell("dash"), edit, modlist)
    assert got == expected
    if edit is _drifted:
        codes = {f["code"] for f in got["findings"]}
        assert {"IPMP006", "IPMP012"} <= codes


def test_without_modlist_no_modlist_runs_and_the_live_stream_is_not_inspected(tmp_path):
    host = FakeHost(tmp_path)
    data = host.collect(shell("dash"))
    cap = read_stream(data)
    assert not [a for a in cap.commands if a[-1] == "modlist"]
    assert cap.meta["modlist"] == "no"
    calls = (host.capture / "calls.log").read_text()
    assert "modlist" not in calls
    with_modlist = read_stream(host.collect(shell("dash"), "--modlist", "e1000g5"))
    ran = sorted(a[1] for a in with_modlist.commands if a[-1] == "modlist")
    # every group member (never the IPMP interfaces) and the one named
    assert ran == ["e1000g0", "e1000g1", "e1000g2", "e1000g3", "e1000g5"]


def test_piped_into_ipmpd_check_on_stdin(tmp_path):
    host = FakeHost(tmp_path)
    script = tmp_path / "c.sh"
    printed = subprocess.run(
        [sys.executable, "-m", "ipmpd", "collector"], capture_output=True, check=True, timeout=60
    ).stdout
    assert printed == SCRIPT.read_bytes()
    script.write_bytes(printed)
    collected = subprocess.Popen(
        ["dash", str(script), "--path", fake_path(host.fakebin), "--root", str(host.root)],
        stdout=subprocess.PIPE,
    )
    check = subprocess.run(
        [sys.executable, "-m", "ipmpd", "check", "--format", "json", "--capture", "-"],
        stdin=collected.stdout,
        capture_output=True,
        timeout=120,
        check=False,
    )
    collected.wait(timeout=60)
    assert check.returncode == 1, check.stderr
    assert json.loads(check.stdout)["findings"]


# ----------------------------------------------------------- the script itself


def test_the_command_list_is_generated_from_the_sources_table():
    text = collector.script()
    assert text == SCRIPT.read_text()
    assert collector.with_block(text) == text, "run: python -m ipmpd.collector"
    # the per-link sources the hand-written functions run are the table's argvs
    assert 'run_cmd autopush -g -M "$auto_major" -m "$auto_minor"' in text
    assert 'run_cmd ifconfig "$mod_link" modlist' in text


BOURNE_BANNED = {
    "$(...)": re.compile(r"\$\("),
    "$((...))": re.compile(r"\$\(\("),
    "local": re.compile(r"(^|[;&|]\s*|\s)local\s"),
    "test -e": re.compile(r"(\btest|\[)\s+-e\b"),
    "[[": re.compile(r"\[\["),
    "! cmd": re.compile(r"(^|[;&|(]\s*|\b(if|while|until|then|do|else)\s+)!\s"),
    "${#v}": re.compile(r"\$\{#"),
    "${v#...} / ${v%...}": re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(#|%)"),
}


def bourne_violations(text: str) -> list[str]:
    found = []
    for n, line in enumerate(text.splitlines(), 1):
        code = line.split("#", 1)[0] if line.lstrip().startswith("#") else line
        if line.lstrip().startswith("#"):
            continue
        for name, pattern in BOURNE_BANNED.items():
            if pattern.search(code):
                found.append(f"line {n}: {name}: {line.strip()}")
    return found


def test_the_script_keeps_to_the_bourne_shell():
    assert bourne_violations(SCRIPT.read_text()) == []


@pytest.mark.parametrize(
    "line",
    [
        "x=$(uname -a)",
        "n=$((n + 1))",
        "f() { local x; }",
        "if test -e /etc/x; then :; fi",
        "if [ -e /etc/x ]; then :; fi",
        "if [[ -f x ]]; then :; fi",
        "if ! grep x y; then :; fi",
        "n=${#v}",
        "d=${v%/*}",
        "b=${v#*/}",
    ],
)
def test_the_bourne_check_catches_each_construct(line):
    assert bourne_violations(line + "\n")


def test_shellcheck_as_posix_sh():
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed: tools/install-test-tools installs it (.ci/run does)")
    # SC2006 (backquotes) and SC2003 (expr) are off: Solaris 10's /bin/sh
    # has neither $(...) nor $((...))
    done = subprocess.run(
        ["shellcheck", "-s", "sh", "-e", "SC2006,SC2003", str(SCRIPT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout


def test_bad_arguments_exit_2_and_write_no_stream(tmp_path):
    for args in (["--bogus"], ["--path"], ["e1000g0;rm"], ["x" * 40 + "0"]):
        done = subprocess.run(["dash", str(SCRIPT), *args], capture_output=True, check=False, timeout=30)
        assert done.returncode == 2 and done.stdout == b"", (args, done.stderr)


# ----------------------------------------------------------- the stream survives any output


def test_binary_output_framing_lookalikes_failures_and_missing_commands(tmp_path):
    nasty = b"end 0\nstdout 1 2\ncommand uname -a\n\\c\\n\x00\xff\xfe no newline at the end"

    def edit(c: Path) -> None:
        (c / "nasty.out").write_bytes(nasty)
        data = json.loads((c / "capture.json").read_text())
        for cmd in data["commands"]:
            if cmd["argv"] == ["ipmpstat", "-t", "-P", "-o", "interface,mode,testaddr,targets"]:
                cmd["stdout"], cmd["exit"] = "nasty.out", 0
        (c / "capture.json").write_text(json.dumps(data))
        edit_output(
            c, ["ipadm", "show-if", "-p", "-o", "ifname,state,current,persistent"], "", 1, stderr="no\\c"
        )

    host = FakeHost(tmp_path, edit)
    (host.fakebin / "dladm").unlink()  # dladm missing on this host
    cap = read_stream(host.collect(shell("dash")))
    targets = cap.commands[("ipmpstat", "-t", "-P", "-o", "interface,mode,testaddr,targets")]
    assert targets.stdout == str(nasty, "utf-8", "replace") and targets.exit == 0
    ipadm_if = cap.commands[("ipadm", "show-if", "-p", "-o", "ifname,state,current,persistent")]
    assert ipadm_if.exit == 1 and ipadm_if.stderr == "no\\c"
    phys = cap.commands[("dladm", "show-phys", "-p", "-o", "link,media,state,speed,duplex,device")]
    assert phys.missing and phys.exit == 127
    runner = CaptureRunner(cap)
    assert runner.run(["dladm", "show-phys", "-p", "-o", "link,media,state,speed,duplex,device"]).error == (
        "command not found"
    )
    # /2: what it does not hold is not recorded (unknown), never missing
    other = runner.run(["ipmpstat", "-a"])
    assert other.exit_status is None and other.error == "not recorded in the capture"


def test_a_truncated_stream_is_refused_at_every_cut(tmp_path):
    data = FakeHost(tmp_path).collect(shell("dash"))
    read_stream(data)  # whole: fine
    for cut in range(0, len(data) - 1, max(1, len(data) // 400)):
        with pytest.raises(CaptureError) as e:
            read_stream(data[:cut], "cut.capture")
        assert str(e.value).startswith("cut.capture: line ")


def test_an_altered_stream_is_refused(tmp_path):
    data = FakeHost(tmp_path).collect(shell("dash"))
    i = data.index(b"e1000g0: flags=")
    changed = data[:i] + b"e1000g9" + data[i + 7 :]
    with pytest.raises(CaptureError, match="checksum does not match"):
        read_stream(changed, "x")
    with pytest.raises(CaptureError, match="does not match the"):
        read_stream(data.replace(b"\nend ", b"\nend 9"), "x")
    with pytest.raises(CaptureError, match="data after the end line"):
        read_stream(data + b"command uname -a\n", "x")
    with pytest.raises(CaptureError, match="not an ipmpd capture stream"):
        read_stream(b"hello\n", "x")


def test_capture_stream_round_trip_and_directory_formats(tmp_path, capsys):
    host = FakeHost(tmp_path)
    stream = tmp_path / "py.capture"
    assert cli.main(["capture", "--stream", str(stream), "--config", str(host.config), "--modlist"]) == 0
    capsys.readouterr()
    from_stream = check_json(capsys, "--capture", str(stream))
    assert from_stream == check_json(capsys, "--config", str(host.config), "--modlist")
    cap = capture.load(str(stream))
    assert cap.format == "ipmpd-capture/2" and cap.globs["/etc/hostname.*"]
    # the same data written as a /2 directory and back
    capture.write_dir(cap, tmp_path / "dir")
    again = capture.read_dir(tmp_path / "dir")
    assert stream_bytes(again) == stream_bytes(cap)
    # a /1 directory (the demo) is still read
    assert capture.load(str(host.capture)).format == "ipmpd-capture/1"


def test_a_hung_command_is_killed_at_the_timeout_like_the_python_gatherer(tmp_path, capsys):
    def stall(c: Path) -> None:
        edit_output(
            c, ["ipmpstat", "-t", "-P", "-o", "interface,mode,testaddr,targets"], None, behaviour="stall"
        )

    host = FakeHost(tmp_path, stall)
    host.config.write_text(host.config.read_text() + 'command_timeout = "1s"\n')
    expected = check_json(capsys, "--config", str(host.config))
    stream = host.collect(shell("dash"), "--timeout", "1")
    assert b"\ntimeout 1\n" in stream
    (tmp_path / "s.capture").write_bytes(stream)
    assert check_json(capsys, "--capture", str(tmp_path / "s.capture")) == expected
    cap = read_stream(stream)
    result = CaptureRunner(cap).run(["ipmpstat", "-t", "-P", "-o", "interface,mode,testaddr,targets"])
    assert result.error == "timed out after 1s" and result.exit_status is None
    # a stream written back keeps the timeout
    assert read_stream(stream_bytes(cap)).commands == cap.commands
