"""Snapshots: the demo host, a capture with only ifconfig, and the capture round trip."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from helpers import DEMO, fake_path, serve, write_hostname_files

from ipmpd import render
from ipmpd.capture import write_dir
from ipmpd.gather import gather
from ipmpd.runner import CaptureRunner, RecordingRunner, SubprocessRunner


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ipmpd", *args], capture_output=True, text=True, timeout=60)


def test_demo_snapshot_json_is_the_documented_shape():
    p = _run("snapshot", "--demo", "--format", "json")
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    assert data["host"] == {"platform": "illumos", "release": "5.11", "arch": "i386", "nodename": "nexenta1"}
    by = {i["name"]: i for i in data["interfaces"]}
    assert [i["name"] for i in data["interfaces"]] == sorted(by)
    e0 = by["e1000g0"]
    assert e0["group"] == "10g-failover" and e0["mac"] == "00:0c:29:84:3b:ce" and e0["ipmp"] is False
    assert (
        e0["families"] == ["ipv4"] and e0["media"] == "Ethernet" and e0["modules"] == ["arp", "ip", "e1000g"]
    )
    assert e0["addresses"] == [
        {
            "name": "e1000g0",
            "family": "ipv4",
            "address": "172.16.35.93",
            "prefixlen": 24,
            "flags": [
                "UP",
                "BROADCAST",
                "RUNNING",
                "MULTICAST",
                "DEPRECATED",
                "IPv4",
                "NOFAILOVER",
                "FIXEDMTU",
            ],
        }
    ]
    assert by["e1000g1"]["standby"] is True and by["ipmp0"]["ipmp"] is True
    groups = {g["name"]: g for g in data["groups"]}
    assert groups["10g-failover"]["interfaces"] == ["e1000g0", "e1000g1"]
    assert "ipmp0" not in groups["10g-failover"]["interfaces"]  # never a member of its own group
    assert groups["itops0"]["state"] == "ok"
    assert all(s["ok"] for s in data["sources"])
    assert {s["name"] for s in data["sources"]} >= {"uname", "ifconfig", "ipmp-groups", "macs", "modlist"}


def test_demo_snapshot_text_is_a_table():
    p = _run("snapshot", "--demo")
    assert p.returncode == 0
    assert "GROUP" in p.stdout and "10g-failover" in p.stdout and "arp,ip,firewall,e1000g" in p.stdout


def test_capture_with_only_ifconfig(tmp_path: Path):
    (tmp_path / "ifconfig.out").write_text((DEMO / "ifconfig_-a.out").read_text())
    (tmp_path / "capture.json").write_text(
        json.dumps(
            {
                "format": "ipmpd-capture/1",
                "commands": [{"argv": ["ifconfig", "-a"], "stdout": "ifconfig.out"}],
            }
        )
    )
    snap = gather(CaptureRunner(tmp_path), run_modlist=True)
    assert snap.host.platform == "unknown"
    e0 = snap.interface("e1000g0")
    assert e0 is not None and e0.mac == "00:0c:29:84:3b:ce" and e0.addresses[0].address == "172.16.35.93"
    assert {g.name: g.members for g in snap.groups} == {
        "10g-failover": ("e1000g0", "e1000g1"),
        "itops0": ("e1000g2", "e1000g3"),
    }
    assert snap.groups[0].state == "ok" and snap.groups[0].state_source == "flags"
    assert e0.media is None and e0.modules is None  # could not look: None, not empty
    failed = {s.name: s.error for s in snap.sources if not s.ok}
    assert set(failed) == {
        "uname",
        "ipmp-groups",
        "ipmp-interfaces",
        "ipmp-targets",
        "links",
        "macs",
        "eeprom",
        "ipadm-if",
        "ipadm-addr",
        "autopush-links",
    }  # no modlist: the capture recorded none, and a replay only uses what it recorded
    assert e0.configured_modules is None and "could not be read" in (e0.configured_from or "")
    assert all(reason == "command not found" for reason in failed.values())
    persistent = [s for s in snap.sources if s.name == "persistent"][0]
    assert persistent.ok  # /etc listed: no hostname files, which is an answer
    text = render.snapshot_text(snap)
    assert "command not found" in text


def test_one_broken_source_hides_nothing_else(demo_copy: Path):
    from helpers import edit_output

    edit_output(
        demo_copy,
        ["dladm", "show-phys", "-m", "-p", "-o", "link,slot,address,inuse,client"],
        "this is not dladm output\n",
    )
    snap = gather(CaptureRunner(demo_copy))
    macs = [s for s in snap.sources if s.name == "macs"][0]
    assert not macs.ok and "macs: line 1" in (macs.error or "")
    assert snap.interface("e1000g0").media == "Ethernet"  # other sources kept
    assert snap.interface("e1000g0").mac == "00:0c:29:84:3b:ce"  # ifconfig still gives it


def test_capture_round_trip(tmp_path: Path, fakebin: Path, demo_copy: Path):
    serve(fakebin, demo_copy)
    root = tmp_path / "root"
    write_hostname_files(demo_copy, root)
    live = SubprocessRunner(fake_path(fakebin), root=str(root))
    rec = RecordingRunner(live)
    first = gather(rec, run_modlist=True)
    rec.capture.taken_at = "2026-11-24T10:00:00Z"
    write_dir(rec.capture, tmp_path / "cap")
    second = gather(CaptureRunner(tmp_path / "cap"), run_modlist=True)

    def stable(snap):
        d = render.snapshot_dict(snap)
        d.pop("taken_at"), d.pop("modules_taken_at")
        for s in d["sources"]:
            s.pop("duration_seconds")
        return d

    assert stable(first) == stable(second)
    assert stable(second)["interfaces"][1]["modules"] == ["arp", "ip", "firewall", "e1000g"]


def test_capture_command_writes_a_replayable_directory(tmp_path: Path, fakebin: Path, demo_copy: Path):
    serve(fakebin, demo_copy)
    root = tmp_path / "root"
    write_hostname_files(demo_copy, root)
    cfg = tmp_path / "ipmpd.toml"
    cfg.write_text(f'[daemon]\npath = "{fake_path(fakebin)}"\nroot = "{root}"\n')
    p = _run("capture", "--out", str(tmp_path / "out"), "--config", str(cfg), "--modlist")
    assert p.returncode == 0, p.stderr
    calls = [json.loads(line) for line in (demo_copy / "calls.log").read_text().splitlines()]
    assert ["ifconfig", "e1000g1", "modlist"] in calls and ["uname", "-a"] in calls
    replay = _run("snapshot", "--capture", str(tmp_path / "out"), "--format", "json")
    demo = _run("snapshot", "--demo", "--format", "json")
    a, b = json.loads(replay.stdout), json.loads(demo.stdout)
    assert a["interfaces"] == b["interfaces"] and a["groups"] == b["groups"]
    assert a["persistent"] == b["persistent"]
    for flags in ((), ("--no-modlist",)):  # without --modlist a capture records none
        (demo_copy / "calls.log").unlink()
        out = tmp_path / f"out{len(flags)}-plain"
        assert _run("capture", "--out", str(out), "--config", str(cfg), *flags).returncode == 0
        manifest = json.loads((out / "capture.json").read_text())
        assert not any(c["argv"][-1] == "modlist" for c in manifest["commands"])
        calls = [json.loads(line) for line in (demo_copy / "calls.log").read_text().splitlines()]
        assert not any(c[-1] == "modlist" for c in calls)
        assert ["autopush", "-g", "-M", "186", "-m", "1"] in calls  # configured modules, read-only


class _HupOnce:
    """A runner whose first run is killed by SIGHUP, as SMF's `:kill -HUP` does to the contract."""

    def __init__(self, signal_number: int) -> None:
        self.calls = 0
        self.signal_number = signal_number

    live = True

    def still_running(self):
        return []

    def run(self, argv, timeout=10.0, kill=True):
        from ipmpd.runner import CommandResult

        self.calls += 1
        if self.calls == 1:
            return CommandResult(
                tuple(argv), "", "", -self.signal_number, 0.0, "killed by signal", self.signal_number
            )
        return CommandResult(tuple(argv), "0 arp\n1 ip\n2 e1000g\n", "", 0, 0.0)


def test_a_child_killed_by_sighup_is_retried_not_reported():
    from ipmpd.gather import run_source
    from ipmpd.parsers import modlist

    runner = _HupOnce(1)
    value, status = run_source(runner, "modlist", ("ifconfig", "e1000g0", "modlist"), modlist.parse)
    assert runner.calls == 2 and status.ok and value == ("arp", "ip", "e1000g")
    runner = _HupOnce(9)  # any other signal is a failure, reported
    value, status = run_source(runner, "modlist", ("ifconfig", "e1000g0", "modlist"), modlist.parse)
    assert runner.calls == 1 and not status.ok and value is None


def test_a_replaced_snapshot_has_its_own_indexes():
    import dataclasses

    snap = gather(CaptureRunner(DEMO), run_modlist=True)
    before = len(snap.runs("modlist"))
    copy = dataclasses.replace(snap, sources=snap.sources[:1])
    assert len(snap.runs("modlist")) == before == 4  # the original is untouched
    assert copy.runs("modlist") == [] and copy.source_names() == ["uname"]
    persistent = snap.persistent
    trimmed = dataclasses.replace(persistent, hostname_files=())
    assert trimmed.get("e1000g0") == () and persistent.get("e1000g0") != ()
    assert trimmed.members("itops0") == () and persistent.members("itops0") == ("e1000g2", "e1000g3")
