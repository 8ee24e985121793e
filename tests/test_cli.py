"""The administrator's commands: check, plan, checks, and the generated docs."""

from __future__ import annotations

import datetime
import json
import shutil
import socket
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any

import pytest
from helpers import FakeHost, drop_modlists, edit_output

from ipmpd import cli
from ipmpd.cli import checks_markdown
from ipmpd.settings import demo_dir

# The demo's e1000g1 gets firewall from its autopush link property.
RESET_AUTOPUSH = (
    "dladm reset-linkprop -p autopush e1000g1 (the per-driver list then applies: the /etc/iu.ap entry of "
    "driver e1000g); it takes effect when e1000g1 is next plumbed (replumb or reboot): then check that "
    "its live modules match (ipmpd check --modlist)"
)

REPO = Path(__file__).parent.parent


def ipmpd(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ipmpd", *args], capture_output=True, text=True, timeout=60)


def test_check_demo_finds_the_planted_violation():
    p = ipmpd("check", "--demo")
    assert p.returncode == 1
    assert "ERROR   IPMP005 module-order: e1000g1 has STREAMS modules arp ip firewall" in p.stdout
    assert "fix: ifconfig e1000g1 modremove firewall@2" in p.stdout


def test_check_fail_on_follows_severities(tmp_path):
    assert ipmpd("check", "--demo", "--fail-on", "error").returncode == 1
    cfg = tmp_path / "c.toml"
    cfg.write_text('[checks]\nseverity = { "module-order" = "warning" }\n')
    assert ipmpd("check", "--demo", "--config", str(cfg), "--fail-on", "error").returncode == 0
    assert ipmpd("check", "--demo", "--config", str(cfg), "--fail-on", "warning").returncode == 1
    cfg.write_text('[checks]\nignore = ["IPMP005"]\n')
    assert ipmpd("check", "--demo", "--config", str(cfg), "--fail-on", "info").returncode == 0


def test_check_json_shape():
    p = ipmpd("check", "--demo", "--format", "json")
    data = json.loads(p.stdout)
    assert set(data) == {"could_not_look", "groups", "results", "findings", "snapshot"}
    assert data["could_not_look"] == []
    assert data["groups"] == [
        {"name": "10g-failover", "seen_in": ["runtime", "boot"]},
        {"name": "itops0", "seen_in": ["runtime", "boot"]},
    ]
    assert set(data["results"][0]) == {"group", "seen_in", "code", "name", "severity", "status", "reason"}
    assert data["findings"] == [
        {
            "group": "10g-failover",
            "code": "IPMP005",
            "name": "module-order",
            "severity": "error",
            "interfaces": ["e1000g1"],
            "message": "e1000g1 has STREAMS modules arp ip firewall but group 10g-failover expects arp ip "
            "(above driver e1000g).",
            "remediation": [
                "ifconfig e1000g1 modremove firewall@2",
                "# by hand: " + RESET_AUTOPUSH,
            ],
            "remedy": {
                "actions": [
                    {"action": "modremove", "interface": "e1000g1", "module": "firewall", "position": 2},
                    {"action": "by-hand", "text": RESET_AUTOPUSH},
                ],
                "verification": "by hand",
                "at_next_boot": False,
            },
        }
    ]
    assert len(data["results"]) == 28
    e1 = next(i for i in data["snapshot"]["interfaces"] if i["name"] == "e1000g1")
    assert e1["modules"] == ["arp", "ip", "firewall", "e1000g"]
    assert (e1["configured_modules"], e1["configured_from"]) == (
        ["firewall"],
        "dladm autopush property of e1000g1",
    )


def test_unknown_is_shown_in_text(demo_copy):
    edit_output(demo_copy, ["dladm", "show-phys", "-p", "-o", "link,media,state,speed,duplex,device"], None)
    p = ipmpd("check", "--capture", str(demo_copy))
    assert "UNKNOWN IPMP009 media-type: source not available: links (command not found)" in p.stdout


def test_plan_different_module_lists_fails_step_4():
    p = ipmpd("plan", "e1000g0", "e1000g1", "--group", "orapriv", "--demo")
    assert p.returncode == 1
    assert "Step 4: Same STREAMS modules in the same order; no stateful modules: FAIL" in p.stdout
    assert "fix: ifconfig e1000g1 modremove firewall@2" in p.stdout
    # Both belong to 10g-failover: the plan never moves them (PLAN001), it says so.
    assert "e1000g0 belongs to group 10g-failover (now); moving it to orapriv: it would empty" in p.stdout
    assert "# by hand: e1000g0 belongs to group 10g-failover" in p.stdout
    assert "ifconfig e1000g0 group orapriv" not in p.stdout


def test_plan_clean_interfaces_pass_what_they_can(demo_copy):
    p = ipmpd("plan", "e1000g2", "e1000g3", "--group", "orapriv", "--demo", "--format", "json")
    data = json.loads(p.stdout)
    assert p.returncode == 1  # PLAN001: they would empty itops0
    assert {s["step"]: s["verdict"] for s in data["steps"]} == {1: "fail", **{n: "pass" for n in range(2, 9)}}
    assert data["create"]["verification"] == "by hand"
    edit_output(demo_copy, ["uname", "-a"], "SunOS s11 5.11 11.4.0.15.0 i86pc i386 i86pc\n")
    edit_output(demo_copy, ["dladm", "show-phys", "-p", "-o", "link,media,state,speed,duplex,device"], None)
    p = ipmpd("plan", "e1000g2", "e1000g3", "--group", "orapriv", "--capture", str(demo_copy))
    assert p.returncode == 1
    assert "Step 7: Same media type: CANNOT TELL" in p.stdout
    assert "Step 2: Each interface has a unique MAC address: PASS" in p.stdout
    assert "# by hand: e1000g2 belongs to group itops0" in p.stdout
    assert "ipadm create-ipmp" not in p.stdout  # nothing could join: no empty IPMP interface


def test_plan_refuses_bad_names_logical_interfaces_and_duplicates():
    assert ipmpd("plan", "e1000g0;reboot", "e1000g1", "--group", "g", "--demo").returncode == 2
    p = ipmpd("plan", "e1000g2:1", "e1000g3", "--group", "g", "--demo")
    assert p.returncode == 2 and "e1000g2:1: a logical interface" in p.stderr and not p.stdout
    p = ipmpd("plan", "e1000g2", "e1000g3", "e1000g2", "--group", "g", "--demo")
    assert p.returncode == 2 and "e1000g2: named more than once" in p.stderr


def test_checks_lists_every_check():
    p = ipmpd("checks", "--format", "json")
    data = json.loads(p.stdout)
    assert [c["code"] for c in data][:2] == ["IPMP001", "IPMP002"] and len(data) == 14
    assert all(c["what"] and c["why"] and c["fix"] for c in data)


def test_docs_checks_md_is_current():
    current = (REPO / "docs" / "checks.md").read_text()
    assert current == checks_markdown(), "docs/checks.md is stale: run `ipmpd checks > docs/checks.md`"


def test_bad_capture_directory_is_a_clear_error(tmp_path):
    p = ipmpd("snapshot", "--capture", str(tmp_path))
    assert p.returncode == 2 and "capture.json: cannot read" in p.stderr


# ------------------------------------------------------------------ a replay is dated by its capture

DEMO_TAKEN_AT = "2026-11-24T10:00:00Z"  # ipmpd/demo/capture.json
DEMO_SECONDS = datetime.datetime(2026, 11, 24, 10, tzinfo=datetime.timezone.utc).timestamp()


def run_json(capsys: Any, *args: str) -> Any:
    cli.main([*args, "--format", "json"])
    return json.loads(capsys.readouterr().out)


def test_a_replay_says_so_and_is_dated_by_its_capture(capsys):
    first = f"replay of a capture taken at {DEMO_TAKEN_AT} ({demo_dir()}): the host as it was then"
    assert cli.main(["snapshot", "--demo"]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == [
        first,
        "host nexenta1: platform illumos, release 5.11, arch i386",
    ]
    assert cli.main(["check", "--demo"]) == 1
    assert capsys.readouterr().out.splitlines()[:3] == [
        first,
        "",
        "group 10g-failover (seen in runtime, boot): 1 finding(s), 0 unknown, 1 skipped",
    ]
    cli.main(["plan", "e1000g2", "e1000g3", "--group", "g", "--demo"])
    assert capsys.readouterr().out.splitlines()[0] == first
    snap = run_json(capsys, "snapshot", "--demo")
    assert (snap["taken_at"], snap["modules_taken_at"]) == (DEMO_SECONDS, DEMO_SECONDS)
    assert snap["replay"] == {"capture": demo_dir(), "taken_at": DEMO_TAKEN_AT}
    assert run_json(capsys, "check", "--demo")["snapshot"]["taken_at"] == DEMO_SECONDS


def test_a_replay_without_modlists_or_a_time(demo_copy, capsys):
    drop_modlists(demo_copy)
    manifest = demo_copy / "capture.json"
    data = json.loads(manifest.read_text())
    del data["taken_at"]
    manifest.write_text(json.dumps(data))
    snap = run_json(capsys, "snapshot", "--capture", str(demo_copy))
    assert (snap["taken_at"], snap["modules_taken_at"]) == (None, None)  # could not tell
    assert snap["replay"] == {"capture": str(demo_copy), "taken_at": None}
    cli.main(["snapshot", "--capture", str(demo_copy)])
    assert capsys.readouterr().out.startswith(
        f"replay of a capture taken at a time the capture does not record ({demo_copy})"
    )


def test_a_live_host_is_dated_now(tmp_path, capsys):
    host = FakeHost(tmp_path)
    before = time.time()
    snap = run_json(capsys, "snapshot", "--config", str(host.config))
    assert snap["replay"] is None and before <= snap["taken_at"] <= time.time()
    cli.main(["snapshot", "--config", str(host.config)])
    assert capsys.readouterr().out.startswith("host ")


# ------------------------------------------------------------------ TLS files, as run judges them


@pytest.fixture
def missing_cert(tmp_path: Path) -> tuple[Path, str]:
    cert, key = tmp_path / "nope.crt", tmp_path / "nope.key"
    config = tmp_path / "tls.toml"
    config.write_text(f'[daemon]\ntls_cert_file = "{cert}"\ntls_key_file = "{key}"\n')
    why = f"{config}: daemon.tls_cert_file: cannot load {cert} with the key {key}: No such file or directory"
    return config, why


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--demo"],
        ["snapshot", "--demo"],
        ["plan", "e1000g2", "e1000g3", "--group", "g", "--demo"],
        ["capture", "--stream", "STREAM"],
    ],
)
def test_a_certificate_run_would_refuse_is_refused_by_every_command(args, missing_cert, tmp_path, capsys):
    config, why = missing_cert
    stream = tmp_path / "host.capture"
    argv = [str(stream) if a == "STREAM" else a for a in args]
    assert cli.main([*argv, "--config", str(config)]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", why + "\n")
    assert not stream.exists()


def test_a_certificate_run_would_refuse_is_unknown_to_nagios(missing_cert, capsys):
    config, why = missing_cert
    assert cli.main(["check", "--demo", "--nagios", "--config", str(config)]) == cli.NAGIOS_UNKNOWN
    assert capsys.readouterr().out == f"IPMPD UNKNOWN - configuration error: {why} | findings=0 unknown=0\n"


def test_a_file_that_is_no_certificate_is_refused(tmp_path, capsys):
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    config = tmp_path / "tls.toml"
    config.write_text(f'[daemon]\ntls_cert_file = "{junk}"\ntls_key_file = "{junk}"\n')
    assert cli.main(["check", "--demo", "--config", str(config)]) == 2
    assert f"cannot load {junk} with the key {junk}: " in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_a_good_certificate_passes(tmp_path, capsys):
    cert, key = tmp_path / "tls.crt", tmp_path / "tls.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    config = tmp_path / "tls.toml"
    config.write_text(f'[daemon]\ntls_cert_file = "{cert}"\ntls_key_file = "{key}"\n')
    assert cli.main(["check", "--demo", "--config", str(config)]) == 1  # the demo's finding, no config error
    assert capsys.readouterr().err == ""


def test_a_key_this_user_may_not_read_is_not_judged(missing_cert, monkeypatch, capsys):
    """check often runs as another user than the daemon (NRPE runs
    unprivileged): a key only the daemon's user may read is right."""

    class Context:
        def __init__(self, protocol: object) -> None:
            self.minimum_version = None

        def load_cert_chain(self, cert: str, key: str) -> None:
            raise PermissionError(13, "Permission denied", key)

    fake = types.SimpleNamespace(
        SSLContext=Context,
        PROTOCOL_TLS_SERVER=object(),
        TLSVersion=types.SimpleNamespace(TLSv1_2=object()),
        SSLError=type("SSLError", (OSError,), {}),
    )
    monkeypatch.setitem(sys.modules, "ssl", fake)
    config, _ = missing_cert
    assert cli.main(["check", "--demo", "--config", str(config)]) == 1
    assert capsys.readouterr().err == ""


def test_run_refuses_a_missing_certificate_as_bad_configuration(missing_cert):
    """Exit 96 (configuration), not 95 (cannot listen), even with the port taken."""
    config, why = missing_cert
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        config.write_text(config.read_text() + f'listen = "127.0.0.1:{port}"\n')
        p = subprocess.run(
            [sys.executable, "-m", "ipmpd", "run", "--demo", "--config", str(config)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO,
        )
    assert p.returncode == 96, p.stderr
    events = [json.loads(line) for line in p.stderr.splitlines()]  # not a tty: JSON lines only
    assert [e["event"] for e in events] == ["config.rejected"]
    assert events[0]["problems"] == [why.split(": ", 1)[1]] and why in events[0]["message"]


def test_a_replay_that_could_not_look_says_that_first(demo_copy, capsys):
    edit_output(demo_copy, ["ifconfig", "-a"], "", exit_status=1)
    cli.main(["check", "--capture", str(demo_copy)])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("COULD NOT LOOK: the interface list: ifconfig -a failed")
    assert f"replay of a capture taken at {DEMO_TAKEN_AT} ({demo_copy}): the host as it was then" in lines
