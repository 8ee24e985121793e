"""The edges of the command line: a bad output path, a reader that goes
away, a host that is not Solaris, a Python without ssl.  None of them may
end in a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO, FakeHost, edit_output, read_output

from ipmpd import capture, cli

MODLIST_E1000G0 = ["ifconfig", "e1000g0", "modlist"]


def ipmpd(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ipmpd", *args], capture_output=True, text=True, timeout=60, cwd=REPO
    )


@pytest.fixture
def empty_path(tmp_path: Path) -> Path:
    """A configuration whose PATH holds no command: every one is not found."""
    bare = tmp_path / "nothing-here"
    bare.mkdir()
    config = tmp_path / "bare.toml"
    config.write_text(f'[daemon]\npath = "{bare}"\n')
    return config


@pytest.fixture
def unwritable(tmp_path: Path) -> Path:
    """A directory this process cannot create anything in."""
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        yield locked
        locked.chmod(0o755)
        return
    # root writes anywhere the modes say no; sysfs refuses even root
    if not os.path.isdir("/sys/kernel"):
        pytest.skip("running as root with no /sys to be refused by")
    try:
        os.mkdir("/sys/kernel/ipmpd-probe")
    except OSError:
        yield Path("/sys/kernel")
        return
    os.rmdir("/sys/kernel/ipmpd-probe")
    pytest.skip("running as root and /sys/kernel takes new entries")


def only_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# ------------------------------------------------------------------ 1. output paths


def test_capture_out_onto_a_regular_file_is_refused(tmp_path, empty_path, capsys):
    target = tmp_path / "notes.txt"
    target.write_text("mine\n")
    assert cli.main(["capture", "--out", str(target), "--config", str(empty_path)]) == 2
    out, err = capsys.readouterr()
    assert only_line(err) == f"ipmpd: {target}: exists and is not a directory"
    assert out == "" and target.read_text() == "mine\n"


def test_capture_out_under_a_missing_directory_is_refused(tmp_path, empty_path, capsys):
    target = tmp_path / "no-such-dir" / "cap"
    assert cli.main(["capture", "--out", str(target), "--config", str(empty_path)]) == 2
    err = only_line(capsys.readouterr().err)
    assert err == f"ipmpd: {target}: cannot write: the directory {target.parent} does not exist"
    assert not target.parent.exists()  # no parents made for a mistyped path


def test_capture_out_into_an_unwritable_directory_is_refused(unwritable, empty_path, capsys):
    target = unwritable / "cap"
    assert cli.main(["capture", "--out", str(target), "--config", str(empty_path)]) == 2
    err = only_line(capsys.readouterr().err)
    assert err.startswith(f"ipmpd: {target}: cannot write: ")
    assert not target.exists()


@pytest.mark.parametrize("where", ["missing", "unwritable", "file"])
def test_capture_stream_onto_a_path_it_cannot_write_is_refused(where, tmp_path, empty_path, capsys, request):
    if where == "unwritable":
        parent = request.getfixturevalue("unwritable")
    else:
        parent = tmp_path / ("no-such-dir" if where == "missing" else "a-file")
    if where == "file":
        parent.write_text("")
    target = parent / "host.capture"
    assert cli.main(["capture", "--stream", str(target), "--config", str(empty_path)]) == 2
    err = only_line(capsys.readouterr().err)
    assert err.startswith(f"ipmpd: {target}: cannot write: ")
    if where == "missing":
        assert err.endswith(f"the directory {parent} does not exist")
    assert not target.exists()
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".partial")]


def test_capture_stream_onto_a_directory_is_refused(tmp_path, empty_path, capsys):
    assert cli.main(["capture", "--stream", str(tmp_path), "--config", str(empty_path)]) == 2
    assert only_line(capsys.readouterr().err).startswith(f"ipmpd: {tmp_path}: is a directory")


def test_capture_out_never_mixes_two_captures(tmp_path, empty_path, capsys):
    first = tmp_path / "first"
    assert cli.main(["capture", "--out", str(first), "--config", str(empty_path)]) == 0
    before = {p.name: p.read_bytes() for p in first.iterdir()}
    capsys.readouterr()
    assert cli.main(["capture", "--out", str(first), "--config", str(empty_path)]) == 2
    err = only_line(capsys.readouterr().err)
    assert err.startswith(f"ipmpd: {first}: already holds a capture (capture.json)")
    assert {p.name: p.read_bytes() for p in first.iterdir()} == before
    # a directory holding anything else is refused too; an empty one is used
    other = tmp_path / "other"
    other.mkdir()
    (other / "README").write_text("x")
    assert cli.main(["capture", "--out", str(other), "--config", str(empty_path)]) == 2
    assert "not empty" in only_line(capsys.readouterr().err)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli.main(["capture", "--out", str(empty), "--config", str(empty_path)]) == 0
    assert capture.read_dir(empty).commands


@pytest.mark.parametrize("option", ["--out", "--stream"])
def test_capture_interrupted_leaves_nothing_behind(option, tmp_path, empty_path, monkeypatch):
    target = tmp_path / "cap"

    def interrupted(*args: Any, **kwargs: Any) -> None:
        assert len(os.listdir(tmp_path)) == 3  # the destination is claimed before the gather
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "gather", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cli.main(["capture", option, str(target), "--config", str(empty_path)])
    assert sorted(os.listdir(tmp_path)) == ["bare.toml", "nothing-here"]


def test_capture_out_that_fails_while_writing_removes_what_it_wrote(
    tmp_path, empty_path, capsys, monkeypatch
):
    target = tmp_path / "cap"

    def disk_full(cap: Any, directory: Any) -> Path:
        (Path(directory) / "uname_-a.out").write_text("half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(capture, "write_dir", disk_full)
    assert cli.main(["capture", "--out", str(target), "--config", str(empty_path)]) == 2
    err = capsys.readouterr().err
    assert f"ipmpd: {target}: cannot write: No space left on device" in err and "Traceback" not in err
    assert not target.exists()


@pytest.mark.parametrize(
    "args",
    [
        ["snapshot", "--demo"],
        ["snapshot", "--demo", "--format", "json"],
        ["check", "--demo"],
        ["check", "--demo", "--nagios"],
        ["checks"],
        ["collector"],
    ],
)
def test_a_reader_that_goes_away_ends_the_command_quietly(args):
    """``ipmpd ... | head -1`` once head has read its line and left."""
    r, w = os.pipe()
    head = subprocess.Popen(["head", "-1"], stdin=r, stdout=subprocess.PIPE)
    os.close(r)
    os.write(w, b"first\n")
    assert head.communicate(timeout=10)[0] == b"first\n"  # head has exited: the pipe has no reader
    try:
        p = subprocess.run(
            [sys.executable, "-m", "ipmpd", *args], stdout=w, stderr=subprocess.PIPE, timeout=60, cwd=REPO
        )
    finally:
        os.close(w)
    assert p.stderr == b""
    assert p.returncode == cli.EXIT_PIPE == 141


# ------------------------------------------------------------------ 2. what capture wrote


def test_capture_counts_what_it_wrote_and_names_what_it_did_not(tmp_path):
    """A modlist still running at command_timeout is left to finish and not
    recorded; neither are the ones it held back."""

    def slow_modlist(c: Path) -> None:
        edit_output(c, MODLIST_E1000G0, read_output(c, MODLIST_E1000G0), behaviour="slow")

    host = FakeHost(tmp_path, slow_modlist)
    host.config.write_text(
        host.config.read_text().replace("[daemon]\n", '[daemon]\ncommand_timeout = "1s"\n')
    )
    out = tmp_path / "out"
    p = ipmpd("capture", "--out", str(out), "--modlist", "--config", str(host.config))
    assert p.returncode == 0, p.stderr
    manifest = json.loads((out / "capture.json").read_text())
    commands, files, globs = manifest["commands"], manifest["files"], manifest["globs"]
    absent = [f for f in files if f.get("absent")]
    assert not any(c["argv"][-1] == "modlist" for c in commands)
    assert p.stdout.splitlines() == [
        f"wrote {out}/capture.json: {len(commands)} commands, {len(files)} files "
        f"({len(files) - len(absent)} read, {len(absent)} absent), {len(globs)} directory listings",
        "not recorded: ifconfig e1000g0 modlist: still running after 1s; left to finish, not killed",
        "not recorded: ifconfig e1000g1 modlist: not run: the modlist of e1000g0 was still running",
        "not recorded: ifconfig e1000g2 modlist: not run: the modlist of e1000g0 was still running",
        "not recorded: ifconfig e1000g3 modlist: not run: the modlist of e1000g0 was still running",
        "sources that did not answer: modlist",
    ]


@pytest.mark.skipif(os.uname().sysname == "SunOS", reason="a host that is not Solaris or illumos")
def test_capture_on_a_host_that_is_not_solaris_says_so_and_still_writes(tmp_path, empty_path, capsys):
    stream = tmp_path / "host.capture"
    assert cli.main(["capture", "--stream", str(stream), "--config", str(empty_path)]) == 0
    err = capsys.readouterr().err.splitlines()
    system = os.uname().sysname
    assert err[0] == (
        f"ipmpd capture: this host is {system}, not Solaris or illumos: recording what the commands on "
        f"{empty_path.parent / 'nothing-here'} answer anyway"
    )
    written = capture.load(str(stream))
    n = len(written.commands)
    assert n > 0 and all(r.missing for r in written.commands.values())  # /2 records them as missing
    assert err[1] == (
        f"wrote {stream}: {n} commands (0 run, {n} not found on this host), 0 files, "
        f"{len(written.globs)} directory listings"
    )


def test_capture_on_solaris_says_nothing_of_the_host(tmp_path, empty_path, capsys, monkeypatch):
    monkeypatch.setattr(cli.os, "uname", lambda: types.SimpleNamespace(sysname="SunOS"))
    assert cli.main(["capture", "--stream", str(tmp_path / "c"), "--config", str(empty_path)]) == 0
    err = capsys.readouterr().err
    assert "not Solaris" not in err and err.startswith(f"wrote {tmp_path / 'c'}: ")


def test_summary_counts_each_kind():
    cap = capture.Capture(
        commands={
            ("uname", "-a"): capture.Recorded("SunOS\n", "", 0),
            ("ipmpstat", "-g"): capture.Recorded("", "", 127, missing=True),
        },
        files={"/etc/iu.ap": ""},
        absent={"/etc/ipadm/ipadm.conf"},
        unreadable={"/etc/hostname.e1000g0": "Permission denied"},
        globs={"/etc/hostname.*": ("/etc/hostname.e1000g0",)},
    )
    assert capture.summary(cap) == (
        "2 commands (1 run, 1 not found on the host), 3 files (1 read, 1 absent, 1 unreadable), "
        "1 directory listing"
    )
    assert capture.summary(capture.Capture()) == "0 commands, 0 files, 0 directory listings"


# ------------------------------------------------------------------ 5. a Python without ssl

NO_SSL = (
    "import sys; sys.modules['_ssl'] = None; sys.modules['ssl'] = None; "
    "from ipmpd.cli import main; raise SystemExit(main(sys.argv[1:]))"
)


def without_ssl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", NO_SSL, *args], capture_output=True, text=True, timeout=60, cwd=REPO
    )


def test_run_without_ssl_says_so_in_one_line_and_exits_96():
    p = without_ssl("run", "--demo", "--listen", "127.0.0.1:0")
    assert p.returncode == 96 == cli.SMF_EXIT_ERR_CONFIG
    line = only_line(p.stderr)
    assert line.startswith(
        f"ipmpd: this Python ({sys.executable} {sys.version.split()[0]}) has no ssl module ("
    )
    assert line.endswith(
        "): ipmpd run needs it (prometheus_client imports ssl); use a Python built with OpenSSL"
    )


@pytest.mark.parametrize(
    "args, code",
    [
        (["check", "--demo"], 1),
        (["snapshot", "--demo"], 0),
        (["checks"], 0),
        (["collector"], 0),
    ],
)
def test_the_other_commands_need_no_ssl(args, code):
    p = without_ssl(*args)
    assert p.returncode == code, p.stderr
    assert p.stderr == "" and p.stdout


def test_the_config_exit_is_the_daemons():
    from ipmpd import daemon

    assert cli.SMF_EXIT_ERR_CONFIG == daemon.SMF_EXIT_ERR_CONFIG
