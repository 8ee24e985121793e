"""Commands and files that misbehave: nothing piles up, nothing blocks, and
the source says why it failed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from daemon_harness import Daemon as RunningDaemon
from helpers import edit_output, fake_path, read_output, serve, write_hostname_files

from ipmpd import runner as runner_mod
from ipmpd.config import Config, DaemonConfig
from ipmpd.daemon import Daemon
from ipmpd.gather import gather
from ipmpd.runner import SubprocessRunner

GROUPS = ["ipmpstat", "-g", "-P", "-o", "group,groupname,state,fdt,interfaces"]
LINKS = ["dladm", "show-phys", "-p", "-o", "link,media,state,speed,duplex,device"]


def sleepers() -> list[int]:
    """The fake commands' leftover children ("sleep 600") still alive."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if cmdline == b"sleep\x00600\x00" and state != "Z":
            found.append(int(pid))
    return found


@pytest.fixture(autouse=True)
def no_sleepers_left():
    before = set(sleepers())
    yield
    for pid in set(sleepers()) - before:
        os.kill(pid, signal.SIGKILL)


def _misbehave(host: Path, argv: list[str], behaviour: str) -> None:
    edit_output(host, argv, read_output(host, argv), behaviour=behaviour)


@pytest.mark.parametrize("behaviour", ["linger", "escape"])
def test_a_child_holding_the_output_is_killed_and_the_run_fails(demo_copy, fakebin, behaviour):
    _misbehave(demo_copy, GROUPS, behaviour)
    serve(fakebin, demo_copy)
    before = set(sleepers())
    r = SubprocessRunner(fake_path(fakebin)).run(GROUPS, timeout=5)
    assert not r.ok
    assert r.error == "exited, but a process it started held its output open; that process was killed"
    time.sleep(0.2)
    assert set(sleepers()) - before == set()


def test_a_holder_that_cannot_be_killed_is_not_run_again(demo_copy, fakebin, monkeypatch):
    """Where nothing can find the escaped child, the next run is refused
    with the reason instead of starting another one."""
    _misbehave(demo_copy, GROUPS, "escape")
    serve(fakebin, demo_copy)
    monkeypatch.setattr(runner_mod, "pipe_holders", lambda pipes: [])
    runner = SubprocessRunner(fake_path(fakebin))
    before = set(sleepers())
    first = runner.run(GROUPS, timeout=1)
    assert first.error == "exited, but a process it started holds its output open and could not be killed"
    calls = (demo_copy / "calls.log").read_text().count("ipmpstat")
    for _ in range(5):
        again = runner.run(GROUPS, timeout=1)
        assert not again.ok and "still lingers" in (again.error or "")
    assert (demo_copy / "calls.log").read_text().count("ipmpstat") == calls  # never started again
    assert len(set(sleepers()) - before) == 1
    assert runner.lingering() == [tuple(GROUPS)]
    monkeypatch.undo()  # the holder can be found again: close() reaps it
    runner.close()
    time.sleep(0.2)
    assert set(sleepers()) - before == set()


def test_a_fifo_is_refused_without_blocking(demo_copy, tmp_path):
    root = tmp_path / "root"
    write_hostname_files(demo_copy, root)
    os.mkfifo(root / "etc" / "hostname.e1000g9")
    result: list = []

    def read() -> None:
        try:
            SubprocessRunner(root=str(root)).read_file("/etc/hostname.e1000g9")
        except OSError as e:
            result.append(e.strerror)

    t = threading.Thread(target=read, daemon=True)
    t.start()
    t.join(5)
    assert not t.is_alive(), "reading a FIFO blocked"
    assert result == ["not a regular file"]


def test_a_fifo_fails_the_persistent_source_and_the_gather_goes_on(demo_copy, fakebin, tmp_path):
    root = tmp_path / "root"
    write_hostname_files(demo_copy, root)
    os.mkfifo(root / "etc" / "hostname.e1000g9")
    serve(fakebin, demo_copy)
    snap = gather(SubprocessRunner(fake_path(fakebin), root=str(root)), timeout=5)
    failed = {s.name: s.error for s in snap.sources if not s.ok}
    assert failed == {"persistent": "/etc/hostname.e1000g9: not a regular file"}
    assert snap.source_ok("ifconfig") is True and snap.groups


def test_a_file_over_the_cap_is_refused(tmp_path):
    big = tmp_path / "big"
    big.write_bytes(b"x" * 2048)
    with pytest.raises(OSError) as e:
        runner_mod.read_regular(str(big), 1024)
    assert e.value.strerror == "larger than 1024 bytes"
    assert runner_mod.read_regular(str(big), 2048) == b"x" * 2048


@pytest.mark.slow
def test_a_hundred_cycles_leave_nothing_behind(demo_copy, fakebin, tmp_path):
    """One source leaves a child in its group, another one that escaped with setsid."""
    _misbehave(demo_copy, GROUPS, "linger")
    _misbehave(demo_copy, LINKS, "escape")
    root = tmp_path / "root"
    write_hostname_files(demo_copy, root)
    serve(fakebin, demo_copy)
    config = Config(daemon=DaemonConfig(path=fake_path(fakebin), root=str(root), command_timeout=2.0))
    daemon = Daemon(config, SubprocessRunner(config.daemon.path, root=str(root)), None)
    before = set(sleepers())
    most = 0
    for _ in range(100):
        daemon.cycle()
        most = max(most, len(set(sleepers()) - before))
    snap = daemon.latest.snapshot
    assert snap is not None
    failed = {s.name: s.error for s in snap.sources if not s.ok}
    reason = "exited, but a process it started held its output open; that process was killed"
    assert failed == {"ipmp-groups": reason, "links": reason}
    assert most <= 2  # at most one per misbehaving source at a time: nothing accumulates
    daemon.close()
    time.sleep(0.2)
    assert set(sleepers()) - before == set()


@pytest.mark.slow
def test_sigterm_exits_within_five_seconds_while_a_gather_is_stuck(demo_copy, fakebin, tmp_path):
    """A command that never answers (with a long timeout) and a FIFO among
    the boot files: SIGTERM still ends the daemon at once."""
    edit_output(demo_copy, GROUPS, None, behaviour="stall")
    fifo = tmp_path / "root" / "etc" / "hostname.e1000g9"
    fifo.parent.mkdir(parents=True)
    os.mkfifo(fifo)
    daemon = RunningDaemon(tmp_path, demo_copy, fakebin, modlist_interval=None, command_timeout="600s")
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and "ipmpstat" not in _calls(demo_copy):
            time.sleep(0.1)
        assert "ipmpstat" in _calls(demo_copy), "the gather never reached the stalled command"
        time.sleep(0.5)
        start = time.monotonic()
        daemon.signal(signal.SIGTERM)
        code = daemon.proc.wait(10)
        took = time.monotonic() - start
    finally:
        daemon.stop()
    assert code == 0 and took < 5, took
    assert daemon.events()[-1]["event"] == "daemon.stopped"


def _calls(host: Path) -> str:
    try:
        return (host / "calls.log").read_text()
    except FileNotFoundError:
        return ""


@pytest.mark.parametrize("command", [["snapshot"], ["check"], ["plan", "--group", "g", "e1000g0", "e1000g1"]])
def test_the_commands_honour_command_timeout(demo_copy, fakebin, tmp_path, command):
    edit_output(demo_copy, GROUPS, None, behaviour="stall")
    root = tmp_path / "root"
    write_hostname_files(demo_copy, root)
    serve(fakebin, demo_copy)
    cfg = tmp_path / "ipmpd.toml"
    cfg.write_text(f'[daemon]\ncommand_timeout = "1s"\npath = "{fake_path(fakebin)}"\nroot = "{root}"\n')
    p = subprocess.run(
        [sys.executable, "-m", "ipmpd", *command, "--config", str(cfg)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert "timed out after 1s" in p.stdout + p.stderr
    assert "timed out after 10s" not in p.stdout + p.stderr
