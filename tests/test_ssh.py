"""Targets over SSH, against a real OpenSSH server on 127.0.0.1.

The server is Debian's sshd, run as the current user with keys made by
ssh-keygen; the "remote" commands are the fake Solaris commands printing the
demo host's published outputs, put first on the target's remote PATH.
"""

from __future__ import annotations

import json
import re
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from daemon_harness import Daemon as DaemonProcess
from helpers import (
    FakeHost,
    check_json,
    copy_demo,
    edit_file,
    edit_output,
    fake_path,
    make_fakebin,
    make_static_fakebin,
    serve,
    write_hostname_files,
)
from sshd_harness import Sshd, have_sshd, keygen

from ipmpd import cli

REPO_DEMO = Path(__file__).resolve().parent.parent / "ipmpd" / "demo"

pytestmark = pytest.mark.skipif(
    not have_sshd(), reason="sshd is not installed: tools/install-test-tools installs it (.ci/run does)"
)


@pytest.fixture
def sshd(tmp_path):
    server = Sshd(tmp_path / "sshd").start()
    yield server
    server.stop()


def _drifted(c: Path) -> None:
    edit_output(c, ["ifconfig", "e1000g2", "modlist"], "0 arp\n1 ip\n2 pfil\n3 e1000g\n")
    edit_file(c, "/etc/hostname.e1000g3", "172.16.36.94 netmask 255.255.255.0 up\n")


@pytest.mark.parametrize("edit", [None, _drifted], ids=["clean", "drifted"])
def test_a_target_over_ssh_gives_the_same_verdicts_as_a_local_capture(tmp_path, capsys, sshd, edit):
    host = FakeHost(tmp_path / "h", edit)
    groups = '[[target.group]]\nname = "itops0"\ninterfaces = ["e1000g2", "e1000g3"]\n'
    config = tmp_path / "fleet.toml"
    config.write_text(sshd.target_toml("h1", fake_path(host.fakebin), str(host.root), groups))
    local = host.config
    local.write_text(local.read_text() + groups.replace("target.group", "group"))
    expected = check_json(capsys, "--config", str(local), "--modlist")
    got = check_json(capsys, "--target", "h1", "--config", str(config), "--modlist")
    assert got == expected and got["results"]
    assert got["exit"] == 1
    if edit is _drifted:
        assert {"IPMP006", "IPMP012"} <= {f["code"] for f in got["findings"]}
    # snapshot and capture work on the target too
    assert cli.main(["snapshot", "--target", "h1", "--config", str(config), "--format", "json"]) == 0
    capsys.readouterr()
    stream = tmp_path / "h1.capture"
    assert (
        cli.main(["capture", "--target", "h1", "--config", str(config), "--stream", str(stream), "--modlist"])
        == 0
    )
    assert stream.read_bytes().startswith(b"ipmpd-capture/2\n")
    capsys.readouterr()
    assert (
        check_json(capsys, "--capture", str(stream), "--config", str(local))["results"] == expected["results"]
    )


def test_a_changed_host_key_is_refused(tmp_path, capsys, sshd):
    host = FakeHost(tmp_path / "h")
    other = tmp_path / "other_key"
    keygen(other)
    pub = (tmp_path / "other_key.pub").read_text().split()
    sshd.known_hosts.write_text(f"[127.0.0.1]:{sshd.port} {pub[0]} {pub[1]}\n")
    config = tmp_path / "fleet.toml"
    config.write_text(sshd.target_toml("h1", fake_path(host.fakebin), str(host.root)))
    got = check_json(capsys, "--target", "h1", "--config", str(config))
    assert got["exit"] == 3  # could not look: never clean
    reasons = " ".join(c.get("error") or "" for c in got["could_not_look"])
    assert "host key verification failed" in reasons, got["could_not_look"]
    assert all(r["status"] != "ok" for r in got["results"])
    assert cli.main(["snapshot", "--target", "h1", "--config", str(config)]) == 3
    capsys.readouterr()
    assert sshd.connections() == 0


def test_an_unknown_target_is_a_usage_error(tmp_path, capsys, sshd):
    config = tmp_path / "fleet.toml"
    config.write_text(sshd.target_toml("h1", "/usr/bin"))
    assert cli.main(["check", "--target", "nope", "--config", str(config)]) == 2
    assert "no [[target]] named 'nope'" in capsys.readouterr().err


def _hang_listener() -> tuple[socket.socket, int]:
    """A TCP port that accepts and never speaks: a host that hangs."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    return s, s.getsockname()[1]


def probe(d: DaemonProcess, name: str) -> str:
    return d.get(f"/probe?target={name}")


def test_the_daemon_probes_each_target_and_one_dead_or_hung_target_delays_no_other(tmp_path, sshd):
    good = FakeHost(tmp_path / "good")
    slow_host = copy_demo(tmp_path / "slow" / "host")
    # five commands that never answer: the collector kills each after the
    # command timeout (2 s), so the round trip outlives target_timeout (4 s)
    for argv in (
        ["ifconfig", "-a"],
        ["ipmpstat", "-g", "-P", "-o", "group,groupname,state,fdt,interfaces"],
        ["ipmpstat", "-i", "-P", "-o", "interface,active,group,flags,link,probe,state"],
        ["ipmpstat", "-t", "-P", "-o", "interface,mode,testaddr,targets"],
        ["dladm", "show-phys", "-p", "-o", "link,media,state,speed,duplex,device"],
    ):
        edit_output(slow_host, argv, None, behaviour="stall")
    slow = FakeHost.__new__(FakeHost)
    slow.capture, slow.root = slow_host, tmp_path / "slow" / "root"
    write_hostname_files(slow_host, slow.root)
    slow.fakebin = make_fakebin(tmp_path / "slow" / "bin")
    serve(slow.fakebin, slow_host)
    listener, hang_port = _hang_listener()
    # a host whose key is not the one recorded: refused, never read
    keygen(tmp_path / "other_key")
    pub = (tmp_path / "other_key.pub").read_text().split()
    other_known_hosts = tmp_path / "other_known_hosts"
    other_known_hosts.write_text(f"[127.0.0.1]:{sshd.port} {pub[0]} {pub[1]}\n")
    dead_port = _hang_listener()
    dead_port[0].close()  # nothing listens there any more
    targets = (
        sshd.target_toml("h1", fake_path(good.fakebin), str(good.root))
        + sshd.target_toml("slow", fake_path(slow.fakebin), str(slow.root))
        + sshd.target_toml("dead", "/usr/bin").replace(f"port = {sshd.port}", f"port = {dead_port[1]}")
        + sshd.target_toml("hung", "/usr/bin").replace(f"port = {sshd.port}", f"port = {hang_port}")
        + sshd.target_toml("rekeyed", fake_path(good.fakebin), str(good.root)).replace(
            str(sshd.known_hosts), str(other_known_hosts)
        )
    )
    d = DaemonProcess(
        tmp_path,
        good.capture,
        good.fakebin,
        extra='local = false\ntarget_timeout = "4s"\n' + targets,
        modlist_interval=None,
    )
    try:
        d.wait_for(lambda _: True, timeout=20)
        # the good target is read at once, while the others wait out their timeout
        started = time.monotonic()
        d.wait_for(lambda t: "ipmpd_probe_success 1.0" in t, path="/probe?target=h1", timeout=20)
        assert time.monotonic() - started < 4, "h1 waited for a dead or hung target"
        deadline = time.monotonic() + 40
        failed: dict[str, str] = {}
        while time.monotonic() < deadline and len(failed) < 5:
            time.sleep(0.3)
            failed = {str(e["target"]): str(e.get("error", "")) for e in d.events("gather.completed")}
        for name in ("slow", "dead", "hung", "rekeyed"):
            assert "ipmpd_probe_success 0.0" in probe(d, name), name
        assert "host key verification failed" in failed["rekeyed"]
        assert 'ipmpd_source_up{source="ifconfig"} 0.0' in probe(d, "rekeyed")  # could not look
        h1 = probe(d, "h1")
        assert "ipmpd_check_result{" in h1 and "ipmpd_build_info" not in h1
        metrics = d.get("/metrics")
        assert "ipmpd_probe_success" not in metrics
        # no local host: no "never read its host" start time for IpmpdDataStale
        assert "\nipmpd_start_time_seconds " not in metrics and "ipmpd_build_info{" in metrics
        events = d.events()
        assert "timed out after 4s" in failed["slow"]
        assert "Connection refused" in failed["dead"] or "refused" in failed["dead"]
        assert failed["hung"], failed
        assert any(e.get("event") == "finding.opened" and e.get("target") == "h1" for e in events)
        page = d.get("/")
        assert all(name in page for name in ("h1", "slow", "dead", "hung", "rekeyed"))
        assert "could not read" in page
        # one target's own page: what an alert about it links to
        one = d.get("/?target=dead")
        assert "Target dead" in one and "could not read" in one and "rekeyed" not in one
        with pytest.raises(urllib.error.HTTPError) as e:
            d.get("/?target=nosuch")
        assert e.value.code == 404
        # an unknown target is 404 and never an attempt to reach anything
        with pytest.raises(urllib.error.HTTPError) as e:
            d.get("/probe?target=10.0.0.1")
        assert e.value.code == 404
        with pytest.raises(urllib.error.HTTPError) as e:
            d.get("/probe")
        assert e.value.code == 400
    finally:
        d.stop()
        listener.close()


def test_connections_are_reused_across_gathers(tmp_path, sshd):
    good = FakeHost(tmp_path / "good")
    d = DaemonProcess(
        tmp_path,
        good.capture,
        good.fakebin,
        extra="local = false\n" + sshd.target_toml("h1", fake_path(good.fakebin), str(good.root)),
        modlist_interval=None,
    )
    try:
        deadline = time.monotonic() + 40
        gathers = 0
        while time.monotonic() < deadline and gathers < 4:
            time.sleep(0.5)
            gathers = d.log.read_text().count('"event": "gather.completed"')
        assert gathers >= 4
        assert sshd.connections() == 1, sshd.log.read_text()[-2000:]
    finally:
        d.stop()


def test_fifty_targets_are_gathered_within_one_interval(tmp_path, sshd):
    capture = copy_demo(tmp_path / "host")
    fakebin = make_static_fakebin(capture, tmp_path / "static")
    root = tmp_path / "root"
    write_hostname_files(capture, root)
    targets = "".join(sshd.target_toml(f"h{n:02d}", f"{fakebin}:/usr/bin:/bin", str(root)) for n in range(50))
    d = DaemonProcess(
        tmp_path,
        capture,
        FakeHost(tmp_path / "unused").fakebin,
        extra="local = false\ntarget_concurrency = 8\n" + targets,
        modlist_interval=None,
        interval="60s",
    )
    try:
        start = time.monotonic()
        deadline = start + 60
        done: set[str] = set()
        while time.monotonic() < deadline and len(done) < 50:
            time.sleep(0.5)
            for line in d.log.read_text().splitlines():
                if '"gather.completed"' in line:
                    e = json.loads(line)
                    if not e.get("error") and not e.get("sources_failed"):
                        done.add(e["target"])
        assert len(done) == 50, sorted(set(f"h{n:02d}" for n in range(50)) - done)
        for n in (0, 49):
            assert "ipmpd_probe_success 1.0" in probe(d, f"h{n:02d}")
        # one master connection per target, no more
        assert sshd.connections() <= 50 * 2
    finally:
        d.stop()


def test_target_configuration_is_validated_strictly(tmp_path):
    from ipmpd.config import ConfigError, load

    key = tmp_path / "k"
    key.write_text("x")
    text = f"""
[[target]]
name = "bad name"
host = "-oProxyCommand=x"
user = "root;"
identity_file = "relative"
known_hosts = "{tmp_path}/missing"
port = 0
path = "/usr/bin;rm"
modlist_interval = "soon"
privilege = "sudo"
ssh_options = ["ProxyCommand=nc x", "StrictHostKeyChecking=no", "Compression yes", "PKCS11Provider=/x.so", "LocalForward=1 x:2", "HostKeyAlgorithms=+ssh-rsa"]
extra = 1
[[target.group]]
name = "g"
interfaces = ["e1000g0:1"]
"""
    with pytest.raises(ConfigError) as e:
        load(str(tmp_path / "ipmpd.toml"), text)
    problems = "\n".join(e.value.problems)
    for key_path in (
        "target[0].name",
        "target[0].host",
        "target[0].user",
        "target[0].identity_file",
        "target[0].known_hosts",
        "target[0].port",
        "target[0].path",
        "target[0].modlist_interval",
        "target[0].privilege",
        "target[0].ssh_options[0]",
        "target[0].ssh_options[1]",
        "target[0].ssh_options[2]",
        "target[0].ssh_options[3]",
        "target[0].ssh_options[4]",
        "target[0].extra",
        "target[0].group[0].interfaces[0]",
    ):
        assert re.search(rf"^{re.escape(key_path)}: ", problems, re.M), (key_path, problems)
    assert "ssh_options[5]" not in problems  # an algorithm setting is fine


def test_nothing_from_the_config_reaches_a_shell_unquoted(tmp_path):
    from ipmpd.config import TargetConfig
    from ipmpd.ssh import SshRunner

    t = TargetConfig("h1", "127.0.0.1", "ipmpd", "/k", "/kh", path="/opt/x:/usr/bin")
    ssh = SshRunner(t)
    try:
        argv = ssh.collect_argv()
        # the remote command is a constant; the arguments travel inside the stream
        assert argv[-1] == "/bin/sh -s" and argv[-2] == "127.0.0.1" and argv[-3] == "--"
        head = ssh.script(True, ["e1000g0", "e1000g1; reboot", "$(x)0"]).split(b"\n", 1)[0]
        assert head == b"set -- --path /opt/x:/usr/bin --timeout 10 --modlist e1000g0"
    finally:
        ssh.close()


def test_a_modlist_collection_is_never_killed(tmp_path, sshd):
    """A collection with --modlist that outlives target_timeout is left to
    finish; the next one waits for it."""
    host_dir = copy_demo(tmp_path / "host")
    edit_output(host_dir, ["ifconfig", "e1000g0", "modlist"], "0 arp\n1 ip\n2 e1000g\n", behaviour="slow")
    fakebin = make_fakebin(tmp_path / "bin")
    serve(fakebin, host_dir)
    root = tmp_path / "root"
    write_hostname_files(host_dir, root)
    from ipmpd.ssh import CollectError, SshRunner

    t = sshd.target_config("h1", fake_path(fakebin), str(root))
    ssh = SshRunner(t, timeout=2.0)
    try:
        with pytest.raises(CollectError, match="left to finish, not killed"):
            ssh.collect(modlist=True)
        assert ssh.busy()
        with pytest.raises(CollectError, match="still running"):
            ssh.collect(modlist=False)
        deadline = time.monotonic() + 30
        while ssh.busy() and time.monotonic() < deadline:
            time.sleep(0.2)
        finished = (host_dir / "finished.log").read_text()
        assert '"e1000g0", "modlist"' in finished
        ssh.timeout = 30.0
        assert ssh.collect().commands  # and the next one runs
    finally:
        ssh.close()


def test_a_stale_control_socket_is_replaced_and_the_master_reused(tmp_path, sshd):
    from ipmpd.ssh import SshRunner

    host = FakeHost(tmp_path / "h")
    t = sshd.target_config("h1", fake_path(host.fakebin), str(host.root))
    ssh = SshRunner(t, timeout=20)
    try:
        Path(ssh.control_path).write_text("left by a master that died")
        for _ in range(3):
            assert ssh.collect().commands
        assert sshd.connections() == 1
    finally:
        ssh.close()
    assert not Path(ssh.control_dir).exists()


def test_a_reload_keeps_each_targets_state_and_a_modlist_still_running(tmp_path):
    from ipmpd.config import load
    from ipmpd.daemon import Daemon
    from ipmpd.model import Modules
    from ipmpd.runner import CaptureRunner

    for name in ("k", "kh"):
        (tmp_path / name).write_text("")
    block = f"""[[target]]
name = "h1"
host = "192.0.2.1"
user = "ipmpd"
identity_file = "{tmp_path}/k"
known_hosts = "{tmp_path}/kh"
modlist_interval = "1h"
"""
    path = tmp_path / "ipmpd.toml"
    path.write_text("[daemon]\nlocal = false\n" + block)
    daemon = Daemon(load(str(path)), CaptureRunner(REPO_DEMO), str(path))
    try:
        old = daemon.targets["h1"]
        old.modules = Modules((("ce0", ("arp", "ip", "ce")),), (), 1.0)
        old.last_modlist, old.probe_success = 123.0, True

        class Running:
            def poll(self):
                return None

        old.runner._running = Running()
        # the groups change: same host, same way: the runner (and its master) stay
        path.write_text(path.read_text() + '[[target.group]]\nname = "g"\ninterfaces = ["ce0", "ce1"]\n')
        daemon.reload()
        assert daemon.targets["h1"] is old and old.config.groups[0].name == "g"
        # the port changes: a new runner, with what the old one knew
        path.write_text(path.read_text().replace('user = "ipmpd"', 'user = "ipmpd"\nport = 2222'))
        daemon.reload()
        new = daemon.targets["h1"]
        assert new is not old and new.runner is not old.runner and new.runner.target.port == 2222
        assert new.modules is old.modules and new.last_modlist == 123.0 and new.probe_success is True
        assert new.runner.busy()  # no second modlist while the first still runs
        assert daemon.latest.config_reload_success
    finally:
        daemon.close()
