"""Faults and hostile input: what is kept, what is reported, and that nothing breaks."""

from __future__ import annotations

import http.client
import json
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from daemon_harness import Daemon as DaemonProcess
from helpers import edit_output, fake_path, read_output, serve, tool, write_hostname_files
from prometheus_client.parser import text_string_to_metric_families

from ipmpd import render, web
from ipmpd.checks import evaluate
from ipmpd.config import Config, DaemonConfig, load
from ipmpd.daemon import Daemon
from ipmpd.gather import gather
from ipmpd.runner import CaptureRunner, SubprocessRunner

TARGETS = ["ipmpstat", "-t", "-P", "-o", "interface,mode,testaddr,targets"]


def scrape(daemon: Daemon, path: str = "/metrics") -> tuple[str, str]:
    app = daemon.wsgi_app()
    status: list[str] = []
    body = b"".join(app({"PATH_INFO": path}, lambda s, h: status.append(s)))
    return status[0], str(body, "utf-8")


def promtool_clean(text: str) -> None:
    p = subprocess.run([tool("promtool"), "check", "metrics"], input=text, capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr


def make_daemon(tmp_path: Path, host: Path, fakebin: Path) -> Daemon:
    root = tmp_path / "root"
    write_hostname_files(host, root)
    serve(fakebin, host)
    config = Config(daemon=DaemonConfig(path=fake_path(fakebin), root=str(root), command_timeout=1.0))
    return Daemon(config, SubprocessRunner(config.daemon.path, root=str(root)), None)


def run_cycle(daemon: Daemon, timeout: float = 20) -> None:
    t = threading.Thread(target=daemon.cycle)
    t.start()
    t.join(timeout)
    assert not t.is_alive(), "the cycle did not finish"


# ------------------------------------------------------------------ command faults


@pytest.mark.parametrize(
    "fault,source,error",
    [
        ("hang", "ipmp-targets", "timed out after 1s"),
        ("signal", "ipmp-targets", "killed by SIGKILL"),
        ("partial", "ipmp-targets", "exit status 2"),
        ("flood", "ipmp-targets", "output exceeded"),
        ("binary", "ipmp-targets", "ipmp-targets: line 1"),
        ("missing", "links", "command not found"),
        ("not-executable", "ipadm-if", "permission denied"),
    ],
)
def test_a_failing_command_is_reported_and_the_rest_kept(tmp_path, demo_copy, fakebin, fault, source, error):
    if fault in ("hang", "signal", "flood", "binary"):
        edit_output(demo_copy, TARGETS, None, behaviour=fault)
    elif fault == "partial":
        edit_output(
            demo_copy, TARGETS, "e1000g1:multicast:172.16.35.94:172.16.35.1\ne1000g0:multi", exit_status=2
        )
    elif fault == "missing":
        (fakebin / "dladm").unlink()
    elif fault == "not-executable":
        (fakebin / "ipadm").unlink()
        (fakebin / "ipadm").write_text("#!/bin/sh\necho never\n")
        (fakebin / "ipadm").chmod(0o644)
    daemon = make_daemon(tmp_path, demo_copy, fakebin)
    run_cycle(daemon)
    snap = daemon.latest.snapshot
    assert snap is not None
    failed = {s.name: s.error for s in snap.sources if not s.ok}
    assert source in failed and error in (failed[source] or ""), failed
    assert snap.source_ok("ifconfig") and snap.source_ok("ipmp-groups")  # the others are kept
    assert snap.interface("e1000g0").mac == "00:0c:29:84:3b:ce"
    status, text = scrape(daemon)
    assert status == "200 OK"
    assert f'ipmpd_source_up{{source="{source}"}} 0.0' in text
    assert 'ipmpd_source_up{source="ifconfig"} 1.0' in text
    promtool_clean(text)


def _cmdline(pid: str) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def test_a_slow_modlist_is_never_killed_and_holds_back_the_rest(tmp_path, demo_copy, fakebin):
    """A modlist killed between its unlink and relink loses the interface: past
    the timeout it is reported, left to finish, and no further modlist starts."""
    edit_output(demo_copy, ["ifconfig", "e1000g1", "modlist"], "0 arp\n1 ip\n2 e1000g\n", behaviour="slow")
    daemon = make_daemon(tmp_path, demo_copy, fakebin)
    t = threading.Thread(target=daemon.modlist)
    t.start()
    t.join(30)
    assert not t.is_alive()
    snap = daemon.latest.snapshot
    assert snap is not None and snap.interface("e1000g0").modules == ("arp", "ip", "e1000g")
    assert snap.interface("e1000g1").modules is None and snap.interface("e1000g2").modules is None
    errors = {s.argv[1]: s.error for s in snap.runs("modlist") if s.argv}
    assert "still running after 1s; left to finish, not killed" == errors["e1000g1"]
    assert errors["e1000g2"] == "not run: the modlist of e1000g1 was still running"
    calls = [json.loads(line) for line in (demo_copy / "calls.log").read_text().splitlines()]
    assert ["ifconfig", "e1000g2", "modlist"] not in calls
    r = {(x.group, x.code): x for x in daemon.latest.results}[("10g-failover", "IPMP014")]
    assert r.status == "unknown" and "e1000g1" in (r.reason or "")
    # SMF's stop and refresh signal every process of the service's contract: the
    # modlist has them blocked, so neither kills it halfway.
    pids = [
        int(pid) for pid in os.listdir("/proc") if pid.isdigit() and b"e1000g1\x00modlist" in _cmdline(pid)
    ]
    assert pids
    for pid in pids:
        for sig in (signal.SIGHUP, signal.SIGTERM):
            os.kill(pid, sig)
    # The next modlist run starts none while it still runs...
    daemon.modlist()
    errors = {s.argv[1]: s.error for s in daemon.latest.snapshot.runs("modlist") if s.argv}
    assert set(errors.values()) == {"not run: the modlist of e1000g1 was still running"}
    calls = [json.loads(line) for line in (demo_copy / "calls.log").read_text().splitlines()]
    assert calls.count(["ifconfig", "e1000g1", "modlist"]) == 1
    # ...and stopping the daemon's commands leaves it running; it finishes on its own.
    assert isinstance(daemon.runner, SubprocessRunner)
    assert daemon.runner.still_running() == [("ifconfig", "e1000g1", "modlist")]
    daemon.runner.close()
    deadline = time.monotonic() + 10
    while not (demo_copy / "finished.log").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert json.loads((demo_copy / "finished.log").read_text()) == ["ifconfig", "e1000g1", "modlist"]
    while daemon.runner.still_running() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert daemon.runner.still_running() == []


# ------------------------------------------------------------------ configuration faults


def write_config(path: Path, interval: str = "60s") -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f'[daemon]\ninterval = "{interval}"\n')
    os.replace(tmp, path)


@pytest.mark.parametrize("fault", ["deleted", "unreadable", "garbage"])
def test_a_bad_reload_keeps_the_old_configuration(tmp_path, fault):
    path = tmp_path / "ipmpd.toml"
    write_config(path, "30s")
    daemon = Daemon(
        load(str(path)), CaptureRunner(Path(__file__).parent.parent / "ipmpd" / "demo"), str(path)
    )
    daemon.schedule()
    daemon.scheduler.start(paused=True)
    try:
        if fault == "deleted":
            path.unlink()
        elif fault == "unreadable":
            path.unlink()
            path.mkdir()  # reading a directory fails even for root, unlike chmod 000
        else:
            path.write_bytes(b"\xff\xfe[daemon\n")
        daemon.reload()
        assert daemon.latest.config_reload_success is False
        assert daemon.config.daemon.interval == 30
        status, text = scrape(daemon)
        assert status == "200 OK" and "ipmpd_config_reload_success 0.0" in text
    finally:
        daemon.scheduler.shutdown(wait=False)


def test_config_replaced_during_reloads_and_scrapes_in_flight(tmp_path):
    path = tmp_path / "ipmpd.toml"
    write_config(path)
    daemon = Daemon(
        load(str(path)), CaptureRunner(Path(__file__).parent.parent / "ipmpd" / "demo"), str(path)
    )
    daemon.schedule()
    daemon.scheduler.start(paused=True)
    daemon.cycle()
    stop = threading.Event()
    problems: list[Any] = []

    def writer() -> None:
        n = 0
        while not stop.is_set():
            write_config(path, ("60s", "30s", "soon")[n % 3])  # every third is invalid
            n += 1

    def scraper() -> None:
        while not stop.is_set():
            try:
                status, text = scrape(daemon)
                if status != "200 OK" or "ipmpd_build_info" not in text:
                    problems.append(status)
            except Exception as e:
                problems.append(e)

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=scraper) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        outcomes = set()
        for _ in range(60):
            daemon.reload()
            daemon.cycle()
            outcomes.add(daemon.latest.config_reload_success)
            assert daemon.config.daemon.interval in (60, 30)  # never the invalid one
    finally:
        stop.set()
        for t in threads:
            t.join(10)
        daemon.scheduler.shutdown(wait=False)
    assert problems == []
    assert outcomes <= {True, False} and True in outcomes


def test_the_clock_stepping_backwards(monkeypatch):
    daemon = Daemon(Config(), CaptureRunner(Path(__file__).parent.parent / "ipmpd" / "demo"), None)
    clock = [2_000_000_000.0]

    def backwards() -> float:
        clock[0] -= 3600.0
        return clock[0]

    import ipmpd.daemon

    monkeypatch.setattr(ipmpd.daemon.time, "time", backwards)
    for _ in range(3):
        daemon.cycle()
    latest = daemon.latest
    assert latest.last_gather is not None and latest.gather_duration is not None
    assert latest.gather_duration >= 0  # durations use the monotonic clock
    monkeypatch.undo()
    status, text = scrape(daemon)
    assert status == "200 OK"
    promtool_clean(text)
    page = web.page(latest, now=latest.last_gather - 10)  # "now" before the last gather
    assert "Last gather 0s ago" in page and "-10s" not in page  # ages never go negative


# ------------------------------------------------------------------ hostile names

EVIL_GROUPS = ["<script>alert(1)</script>", '"quoted"', "grüppe", "a'b\\c"]


def hostile_host(demo_copy: Path) -> None:
    text = read_output(demo_copy, ["ifconfig", "-a"])
    text = text.replace("groupname itops0", f"groupname {EVIL_GROUPS[0]}")
    text = text.replace("groupname 10g-failover", f"groupname {EVIL_GROUPS[1]}")
    text += (
        "e1000g9;reboot: flags=1000843<UP,BROADCAST,RUNNING,MULTICAST,IPv4> mtu 1500 index 9\n"
        f"\tinet 10.1.1.1 netmask ffffff00 broadcast 10.1.1.255\n\tgroupname {EVIL_GROUPS[2]}\n"
        "$(touch${IFS}/tmp/pwned): flags=1000843<UP,BROADCAST,RUNNING,MULTICAST,IPv4> mtu 1500 index 10\n"
        f"\tinet 10.1.2.1 netmask ffffff00 broadcast 10.1.2.255\n\tgroupname {EVIL_GROUPS[3]}\n"
    )
    edit_output(demo_copy, ["ifconfig", "-a"], text)
    groups = ["ipmpstat", "-g", "-P", "-o", "group,groupname,state,fdt,interfaces"]
    edit_output(demo_copy, groups, "ipmp9:my group $(reboot):ok:10.00s:e1000g7\n")


def test_hostile_names_are_never_run_and_always_escaped(tmp_path, demo_copy, fakebin):
    hostile_host(demo_copy)
    daemon = make_daemon(tmp_path, demo_copy, fakebin)
    run_cycle(daemon)
    daemon.modlist()
    snap = daemon.latest.snapshot
    assert snap is not None
    names = {g.name for g in snap.groups}
    assert set(EVIL_GROUPS) | {"my group $(reboot)"} <= names
    calls = [json.loads(line) for line in (demo_copy / "calls.log").read_text().splitlines()]
    assert not any("reboot" in " ".join(c) or "pwned" in " ".join(c) for c in calls)
    assert not Path("/tmp/pwned").exists()
    refused = [s for s in snap.sources if s.name == "modlist" and not s.ok]
    assert {s.error for s in refused} >= {"'e1000g9;reboot' is not a link name"}
    # /metrics: escaped, lint-clean, and the names come back intact
    status, text = scrape(daemon)
    promtool_clean(text)
    seen = set()
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if "group" in s.labels:
                seen.add(s.labels["group"])
    assert set(EVIL_GROUPS) <= seen
    # the landing page
    status, page = scrape(daemon, "/")
    assert status == "200 OK"
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;quoted&quot;" in page and "grüppe" in page
    # JSON
    data = json.loads(json.dumps(render.snapshot_dict(snap)))
    assert set(EVIL_GROUPS) <= {g["name"] for g in data["groups"]}


def test_hostile_group_name_in_configuration_is_refused(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[[group]]\nname = "a\\nb"\ninterfaces = ["e1000g0", "e1000g1"]\n')
    from ipmpd.config import ConfigError

    with pytest.raises(ConfigError) as e:
        load(str(path))
    assert "group[0].name: control characters are not allowed" in e.value.problems


def test_check_json_with_hostile_names(demo_copy):
    hostile_host(demo_copy)
    snap = gather(CaptureRunner(demo_copy), run_modlist=True)
    results = evaluate(snap, Config())
    assert {r.group for r in results} >= set(EVIL_GROUPS)
    p = subprocess.run(
        [sys.executable, "-m", "ipmpd", "check", "--capture", str(demo_copy), "--format", "json"],
        capture_output=True,
        text=True,
    )
    data = json.loads(p.stdout)
    assert set(EVIL_GROUPS) <= {r["group"] for r in data["results"]}


# ------------------------------------------------------------------ TLS


@pytest.fixture
def certificate(tmp_path):
    cert, key = tmp_path / "tls.crt", tmp_path / "tls.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_tls_serves_and_plain_http_fails_cleanly(tmp_path, demo_copy, fakebin, certificate):
    cert, key = certificate
    d = DaemonProcess(
        tmp_path, demo_copy, fakebin, extra=f'tls_cert_file = "{cert}"\ntls_key_file = "{key}"\n'
    )
    try:
        ctx = ssl.create_default_context(cafile=str(cert))
        url = f"https://127.0.0.1:{d.port}"
        deadline = time.monotonic() + 20
        body = ""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url + "/metrics", context=ctx, timeout=5) as r:
                    body = str(r.read(), "utf-8")
                if "ipmpd_last_gather_timestamp_seconds " in body:
                    break
            except OSError:
                time.sleep(0.3)
        assert "ipmpd_build_info" in body
        with urllib.request.urlopen(url + "/", context=ctx, timeout=5) as r:
            assert r.status == 200 and b"ipmpd" in r.read()
        start = time.monotonic()
        with pytest.raises((OSError, http.client.HTTPException)) as e:
            urllib.request.urlopen(f"http://127.0.0.1:{d.port}/metrics", timeout=5).read()
        assert time.monotonic() - start < 5 and not isinstance(e.value, TimeoutError)
        with urllib.request.urlopen(url + "/metrics", context=ctx, timeout=5) as r:  # still serving
            assert r.status == 200
        assert d.proc.poll() is None
    finally:
        assert d.stop() == 0
