"""SubprocessRunner against fake executables on PATH."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from helpers import edit_output, fake_path, serve

from ipmpd.capture import NotRecorded
from ipmpd.runner import CaptureRunner, SubprocessRunner


def _host(demo_copy: Path, behaviour: str) -> Path:
    edit_output(demo_copy, ["ipmpstat", "-x"], None, behaviour=behaviour)
    return demo_copy


def test_hang_is_killed_at_timeout_with_children(demo_copy, fakebin):
    serve(fakebin, _host(demo_copy, "hang"))
    runner = SubprocessRunner(fake_path(fakebin))
    start = time.monotonic()
    r = runner.run(["ipmpstat", "-x"], timeout=1.0)
    assert time.monotonic() - start < 5
    assert not r.ok and r.exit_status is None and "timed out after 1s" in (r.error or "")
    time.sleep(0.2)
    # the fake started "sleep 600" as a child: the process group kill took it too
    cmdlines = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmdlines.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" "))
            except OSError:
                continue
    assert not any(c.startswith(b"sleep 600") for c in cmdlines)


def test_fifty_megabytes_are_capped(demo_copy, fakebin):
    serve(fakebin, _host(demo_copy, "flood"))
    runner = SubprocessRunner(fake_path(fakebin), cap=1024 * 1024)
    r = runner.run(["ipmpstat", "-x"], timeout=30)
    assert len(r.stdout) == 1024 * 1024
    assert not r.ok and "exceeded" in (r.error or "")


def test_invalid_utf8_is_decoded(demo_copy, fakebin):
    serve(fakebin, _host(demo_copy, "binary"))
    r = SubprocessRunner(fake_path(fakebin)).run(["ipmpstat", "-x"])
    assert r.ok and "\ufffd" in r.stdout


def test_killed_by_signal_is_reported(demo_copy, fakebin):
    serve(fakebin, _host(demo_copy, "signal"))
    r = SubprocessRunner(fake_path(fakebin)).run(["ipmpstat", "-x"])
    assert not r.ok and r.error == "killed by SIGKILL" and r.signal == 9


def test_missing_and_not_executable(tmp_path):
    (tmp_path / "dladm").write_text("#!/bin/sh\necho hi\n")  # no x bit
    runner = SubprocessRunner(str(tmp_path))
    r = runner.run(["ipmpstat", "-g"])
    assert r.exit_status == 127 and r.error == "command not found"
    r = runner.run(["dladm", "show-phys"])
    assert r.exit_status == 126 and r.error == "permission denied"


def test_nonzero_exit_keeps_partial_output_and_stderr(demo_copy, fakebin):
    (demo_copy / "partial.out").write_text("e1000g0:Ethernet\n")
    (demo_copy / "partial.err").write_text("dladm: insufficient privileges\n")
    import json

    data = json.loads((demo_copy / "capture.json").read_text())
    data["commands"].append(
        {"argv": ["dladm", "x"], "stdout": "partial.out", "stderr": "partial.err", "exit": 1}
    )
    (demo_copy / "capture.json").write_text(json.dumps(data))
    serve(fakebin, demo_copy)
    r = SubprocessRunner(fake_path(fakebin)).run(["dladm", "x"])
    assert r.exit_status == 1 and r.stdout == "e1000g0:Ethernet\n"
    assert r.error == "exit status 1: dladm: insufficient privileges"


def test_environment_is_lc_all_c_and_no_shell(tmp_path):
    script = tmp_path / "ipmpstat"
    script.write_text('#!/bin/sh\necho "$LC_ALL|$PATH|$1"\n')
    script.chmod(0o755)
    r = SubprocessRunner(f"{tmp_path}:/usr/bin:/bin").run(["ipmpstat", "$(echo pwned); true"])
    assert r.stdout.strip() == f"C|{tmp_path}:/usr/bin:/bin|$(echo pwned); true"


def test_capture_runner_unknown_argv_and_file(demo_copy):
    runner = CaptureRunner(demo_copy)
    assert runner.run(["ifconfig", "-a4"]).error == "command not found"
    assert runner.glob("/etc/hostname.*")[0] == "/etc/hostname.e1000g0"
    # a file the capture records as absent does not exist on the host...
    with pytest.raises(FileNotFoundError):
        runner.read_file("/etc/ipadm/ipadm.conf")
    assert runner.glob("/etc/ipadm/*") == []
    # ...and one it says nothing of is unknown, never absent
    with pytest.raises(NotRecorded) as e:
        runner.read_file("/etc/hostname.bge0")
    assert not isinstance(e.value, FileNotFoundError) and str(e.value) == "not recorded in the capture"
