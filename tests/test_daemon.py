"""``ipmpd run`` end to end, as a subprocess over fake executables on PATH."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from daemon_harness import Daemon, sample_value
from helpers import AUTOPUSH, edit_output, free_port, read_output, tool

MODLIST_E1 = ["ifconfig", "e1000g1", "modlist"]
DRIFT = 'ipmpd_interface_drift{check="module-order",group="10g-failover",interface="e1000g1"} 1.0'
EVERY_METRIC = (
    "ipmpd_check_result",
    "ipmpd_interface_drift",
    "ipmpd_group_members",
    "ipmpd_group_usable_members",
    "ipmpd_group_state",
    "ipmpd_interface_state",
    "ipmpd_interface_info",
    "ipmpd_source_up",
    "ipmpd_source_duration_seconds",
    "ipmpd_last_gather_timestamp_seconds",
    "ipmpd_last_gather_success_timestamp_seconds",
    "ipmpd_gather_duration_seconds",
    "ipmpd_modlist_timestamp_seconds",
    "ipmpd_config_reload_success",
    "ipmpd_config_reload_timestamp_seconds",
    "ipmpd_build_info",
)


@pytest.fixture
def daemon(tmp_path, demo_copy, fakebin):
    d = Daemon(tmp_path, demo_copy, fakebin)
    yield d
    d.stop()


def test_metrics_are_clean_complete_and_follow_drift(daemon):
    text = daemon.wait_for(lambda t: DRIFT in t and "\nipmpd_modlist_timestamp_seconds " in t)
    p = subprocess.run([tool("promtool"), "check", "metrics"], input=text, capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    samples = [line for line in text.splitlines() if not line.startswith("#")]
    for name in EVERY_METRIC:
        assert any(line.startswith(name + "{") or line.startswith(name + " ") for line in samples), name
    assert sample_value(text, 'ipmpd_group_members{group="10g-failover"}') == 2
    assert sample_value(text, 'ipmpd_group_state{group="itops0",state="ok"}') == 1
    assert sample_value(text, 'ipmpd_source_up{source="modlist"}') == 1
    assert sample_value(text, "ipmpd_config_reload_success") == 1
    assert abs(sample_value(text, "ipmpd_last_gather_success_timestamp_seconds") - time.time()) < 30

    # The member's modules are put right, live and configured: the drift goes away...
    original, configured = read_output(daemon.host, MODLIST_E1), read_output(daemon.host, AUTOPUSH)
    edit_output(daemon.host, AUTOPUSH, configured.replace("e1000g1:firewall", "e1000g1:"))
    edit_output(daemon.host, MODLIST_E1, "0 arp\n1 ip\n2 e1000g\n")
    daemon.wait_for(lambda t: DRIFT not in t and "ipmpd_interface_drift{" not in t)
    # ...and comes back when the module is pushed again.
    edit_output(daemon.host, AUTOPUSH, configured)
    edit_output(daemon.host, MODLIST_E1, original)
    daemon.wait_for(lambda t: DRIFT in t)
    # (module-drift may open and close in between: the live list is read on its own schedule)
    opened = [e for e in daemon.events("finding.opened") if e["check"] == "module-order"]
    resolved = [e for e in daemon.events("finding.resolved") if e["check"] == "module-order"]
    assert len(opened) == 2 and len(resolved) == 1
    assert resolved[0]["interfaces"] == ["e1000g1"]
    assert daemon.events("gather.completed") and daemon.events("modlist.completed")
    # the landing page shows the same
    page = daemon.get("/")
    assert "IPMP005 module-order" in page and "modremove firewall@2" in page


def test_a_hanging_command_is_a_failed_source_not_a_stuck_daemon(tmp_path, demo_copy, fakebin):
    edit_output(
        demo_copy, ["ipmpstat", "-t", "-P", "-o", "interface,mode,testaddr,targets"], None, behaviour="hang"
    )
    d = Daemon(tmp_path, demo_copy, fakebin)
    try:
        text = d.wait_for(lambda t: 'ipmpd_source_up{source="ipmp-targets"} 0.0' in t)
        first = sample_value(text, "ipmpd_last_gather_timestamp_seconds")
        start = time.monotonic()
        d.get()  # answers at once while a gather is waiting on the hung command
        assert time.monotonic() - start < 1
        later = d.wait_for(lambda t: sample_value(t, "ipmpd_last_gather_timestamp_seconds") > first)
        assert 'ipmpd_source_up{source="ifconfig"} 1.0' in later  # the others are kept
        assert d.events("source.failed")[0]["source"] == "ipmp-targets"
        assert "timed out after 2s" in str(d.events("source.failed")[0]["error"])
    finally:
        d.stop()


def test_sighup_with_broken_config_keeps_the_old_one(daemon):
    daemon.wait_for(lambda t: "ipmpd_last_gather_timestamp_seconds " in t)
    daemon.config.write_text(daemon.base_config + '\n[checks]\nignore = ["IPMP999"]\nbogus = 1\n')
    daemon.signal(signal.SIGHUP)
    text = daemon.wait_for(lambda t: "ipmpd_config_reload_success 0.0" in t)
    rejected = daemon.events("config.rejected")
    assert rejected and "checks.bogus: unknown key" in rejected[0]["problems"]
    assert "ipmpd_build_info" in text  # still serving
    page = daemon.get("/")
    assert "last configuration reload was rejected" in page
    daemon.config.write_text(daemon.base_config + '\n[checks]\nignore = ["module-order"]\n')
    daemon.signal(signal.SIGHUP)
    daemon.wait_for(lambda t: "ipmpd_config_reload_success 1.0" in t and DRIFT not in t)
    assert daemon.events("config.reloaded")


def test_sighup_storm_and_sigterm(daemon):
    daemon.wait_for(lambda t: "ipmpd_last_gather_timestamp_seconds " in t)
    # A burst of 100 takes well under the 0.2 s the daemon waits between
    # looks: they coalesce into one reload (two if the burst straddles a look).
    for _ in range(100):
        daemon.signal(signal.SIGHUP)
    daemon.get()  # still answering
    daemon.wait_events("config.reloaded")
    time.sleep(1.0)  # time for any further reload to show
    assert daemon.proc.poll() is None
    burst = len(daemon.events("config.reloaded"))
    assert 1 <= burst <= 2
    # spread out, each is its own reload
    for n in range(1, 4):
        daemon.signal(signal.SIGHUP)
        assert len(daemon.wait_events("config.reloaded", burst + n)) == burst + n
    time.sleep(1.0)
    assert len(daemon.events("config.reloaded")) == burst + 3
    # Bursts landing while the main loop is busy with the last one never
    # wedge it (they once did: a lock taken inside the signal handler).
    for _ in range(20):
        before = len(daemon.events("config.reloaded"))
        for _ in range(100):
            daemon.signal(signal.SIGHUP)
        assert len(daemon.wait_events("config.reloaded", before + 1, timeout=10)) > before
    start = time.monotonic()
    daemon.signal(signal.SIGTERM)
    assert daemon.proc.wait(5) == 0
    assert time.monotonic() - start < 5


def test_bad_config_at_start_exits_96(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[daemon]\ninterval = "often"\n')
    p = subprocess.run(
        [sys.executable, "-m", "ipmpd", "run", "--demo", "--config", str(cfg)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert p.returncode == 96
    assert f"{cfg}: daemon.interval: 'often' is not a duration" in p.stderr


def test_taken_port_exits_95(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        p = subprocess.run(
            [sys.executable, "-m", "ipmpd", "run", "--demo", "--listen", f"127.0.0.1:{port}"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert p.returncode == 95
    assert f"cannot listen on 127.0.0.1:{port}" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


def test_demo_mode_serves(tmp_path: Path):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ipmpd", "run", "--demo", "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            event = json.loads(line)  # every line is a JSON event
            if event["event"] == "daemon.started":
                break
        assert event["metrics"] == f"http://127.0.0.1:{port}/metrics"
        assert event["page"] == f"http://127.0.0.1:{port}/"
        with urllib.request.urlopen(event["metrics"], timeout=5) as r:
            assert b"ipmpd_build_info" in r.read()
    finally:
        proc.terminate()
        assert proc.wait(5) == 0


def test_listen_from_the_command_line_survives_a_reload(tmp_path, demo_copy, fakebin):
    """SMF's method gives --listen: a reload compares the file plus that
    override with what runs, so nothing needs a restart."""
    port = free_port()
    d = Daemon(tmp_path, demo_copy, fakebin, args=("--listen", f"127.0.0.1:{port}"))
    d.port = port
    try:
        d.wait_for(lambda t: "ipmpd_last_gather_timestamp_seconds " in t)
        d.signal(signal.SIGHUP)
        assert d.wait_events("config.reloaded")[0]["needs_restart"] == []
        d.config.write_text(d.base_config.replace('interval = "1s"', 'interval = "2s"'))
        d.signal(signal.SIGHUP)
        assert d.wait_events("config.reloaded", 2)[1]["needs_restart"] == []
        assert "ipmpd_gather_interval_seconds 2.0" in d.wait_for(lambda t: "interval_seconds 2.0" in t)
    finally:
        d.stop()


@pytest.mark.slow
def test_a_minute_of_stderr_is_json_on_every_line(tmp_path, demo_copy, fakebin):
    """A gather slower than its interval (APScheduler skips runs), reloads
    good and bad, scrapes: every line the daemon writes is a JSON event."""
    edit_output(
        demo_copy, ["ipmpstat", "-t", "-P", "-o", "interface,mode,testaddr,targets"], "", behaviour="slow"
    )
    d = Daemon(tmp_path, demo_copy, fakebin)
    try:
        end = time.monotonic() + 60
        n = 0
        while time.monotonic() < end:
            n += 1
            try:
                d.get("/metrics" if n % 3 else "/")
            except OSError:
                pass
            if n % 40 == 0:
                d.config.write_text(d.base_config + ("bogus = 1\n" if n % 80 else ""))
                d.signal(signal.SIGHUP)
            time.sleep(0.25)
    finally:
        d.stop()
    lines = d.log.read_text().splitlines()
    events = [json.loads(line)["event"] for line in lines]  # raises on a line that is not JSON
    assert len(lines) > 20
    assert "job.skipped" in events or "job.missed" in events
    assert "config.rejected" in events and "config.reloaded" in events
    assert events[-1] == "daemon.stopped"
