"""STREAMS modules without disturbing the host: configured modules every cycle,
``ifconfig IF modlist`` only when asked, and the drift between the two.

Configured-module texts come from ``tests/fixtures/samples`` (pfil.ap, the
autopush(8) example, ifconfig modlist from the pfil README; provenance in
``samples/SOURCES.md``) and from the demo host (``ipmpd/demo/PROVENANCE.md``:
illumos iu.ap and name_to_major, and the ``dladm show-linkprop`` and
``autopush -g`` layouts derived from libdladm, ofmt.c and autopush.c).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from daemon_harness import Daemon as DaemonProcess
from helpers import (
    AUTOPUSH,
    DEMO,
    SOLARIS11,
    copy_demo,
    drop_modlists,
    edit_output,
    fake_path,
    replace_in_output,
    sample,
    serve,
    write_hostname_files,
)

from ipmpd.checks import LIVE_NOT_INSPECTED, evaluate
from ipmpd.config import Config
from ipmpd.gather import configured_modules, gather
from ipmpd.parsers import ParseError
from ipmpd.parsers.autopush import (
    ApEntry,
    LinkAutopush,
    parse_apconf,
    parse_autopush_g,
    parse_linkprop,
    parse_name_to_major,
)
from ipmpd.parsers.modlist import parse as parse_modlist
from ipmpd.remedy import actions as a
from ipmpd.remedy import simulate
from ipmpd.runner import CaptureRunner

REPO = Path(__file__).parent.parent
SOLARIS10_X86 = "SunOS fulvia 5.10 Generic_127128-11 i86pc i386 i86pc\n"
NOT_CONFIGURED = (
    "autopush: ERROR: Could not get autopush information\n"
    "autopush: ERROR: Major/minor not configured for autopush\n"
)


def ipmpd(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ipmpd", *args], capture_output=True, text=True, timeout=60)


def results(capture: Path, modlist: bool = False, config: Config = Config()):
    snap = gather(CaptureRunner(capture), run_modlist=modlist)
    return snap, {(r.group, r.code): r for r in evaluate(snap, config)}


# ------------------------------------------------------------------ parsers


def test_linkprop_values_as_libdladm_writes_them():
    # get_autopush(): modules joined with '.', "[anchor]" a token of its own;
    # parsable mode: an unset value is empty, "--" unsupported, "?" unreadable.
    text = "net0:\nnet1:vpnmod.bufmod\nnet2:vpnmod.[anchor].bufmod\nipmpstub0:--\nnet3:?\n"
    assert parse_linkprop(text) == (
        LinkAutopush("net0", ()),
        LinkAutopush("net1", ("vpnmod", "bufmod")),
        LinkAutopush("net2", ("vpnmod", "bufmod"), anchor=1),
        LinkAutopush("ipmpstub0", None),
        LinkAutopush("net3", None),
    )
    # the set-linkprop example's value (Oracle 819-6990 Example 2-3) reads back as pushed
    value = sample("dladm-set-linkprop__oracle-opensolaris-819-6990__1.txt").split("autopush=")[1].split()[0]
    assert parse_linkprop(f"net0:{value}\n")[0].modules == ("vpnmod", "bufmod")


@pytest.mark.parametrize(
    "line,why",
    [
        ("net0:vpnmod..bufmod", "empty module name"),
        ("net0:[anchor].bufmod", "[anchor] must follow a module"),
        ("net0:a.b.c.d.e.f.g.h.i", "more than 8 modules"),
        ("net0", "expected 2 fields"),
    ],
)
def test_linkprop_errors_name_the_line(line, why):
    with pytest.raises(ParseError) as e:
        parse_linkprop("net9:\n" + line + "\n")
    assert e.value.lineno == 2 and why in str(e.value)


def test_pfil_ap_samples():
    # ipfilter(5): hme and qfe uncommented
    assert parse_apconf("/etc/ipf/pfil.ap", sample("pfil.ap__sunos510-ipfilter-5-man__1.txt")) == (
        ApEntry("hme", -1, 0, ("pfil",), None, 8),
        ApEntry("qfe", -1, 0, ("pfil",), None, 9),
    )
    # as illumos ships it: every driver commented out (TAB separated)
    assert parse_apconf("/etc/ipf/pfil.ap", sample("pfil.ap__illumos-gate-pfil.ap.sh-i386__1.txt")) == ()
    assert parse_apconf("/etc/ipf/pfil.ap", sample("pfil.ap__oracle-816-4554-deactivate-nic__1.txt")) == ()


def test_a_doc_annotation_in_pfil_ap_is_a_parse_error_naming_file_and_line():
    # Oracle 819-7058 prints "(Device has been uncommented for filtering)" after the
    # entry; autopush -f would reject that line, and so does the parser, by name.
    with pytest.raises(ParseError) as e:
        parse_apconf("/etc/ipf/pfil.ap", sample("pfil.ap__oracle-819-7058-enable-ipf__1.txt"))
    assert str(e.value).startswith("/etc/ipf/pfil.ap: line 11: '(Device' is not a STREAMS module name")


def test_iu_ap_as_illumos_writes_it():
    entries = parse_apconf("/etc/iu.ap", (DEMO / "etc_iu.ap").read_text())
    assert entries[0] == ApEntry("wc", -1, 0, ("ldterm", "ttcompat"), None, 5)
    ptsl = next(e for e in entries if e.driver == "ptsl")
    assert (ptsl.minor, ptsl.lastminor) == (0, 47) and ptsl.covers(47) and not ptsl.covers(48)
    assert next(e for e in entries if e.driver == "xencons").covers(0)  # lastminor 0: one minor
    assert not any(e.driver == "e1000g" for e in entries)


def test_autopush_g_in_the_code_layout_and_the_man_page_example():
    code = "     Major      Minor  Lastminor\tModules\n       106       ALL       -    \tldterm ttcompat\n"
    assert parse_autopush_g(code) == ApEntry("106", -1, 0, ("ldterm", "ttcompat"), None, 2)
    one = "     Major      Minor  Lastminor\tModules\n       180          2      -    \tpfil [anchor]\n"
    assert parse_autopush_g(one) == ApEntry("180", 2, 0, ("pfil",), 1, 2)
    man = parse_autopush_g(sample("autopush-g__illumos-autopush-8-man__1.txt"))
    assert (man.driver, man.minor, man.lastminor, man.modules) == ("29", 0, 1, ("ldterm", "ttcompat"))
    with pytest.raises(ParseError):
        parse_autopush_g("Major Minor\n1 2\n")


def test_name_to_major():
    majors = parse_name_to_major((DEMO / "etc_name_to_major").read_text())
    assert majors["e1000g"] == 186 and majors["hme"] == 180
    with pytest.raises(ParseError):
        parse_name_to_major("e1000g one\n")


def test_autopushed_modules_sit_under_ip_in_modlist():
    # pfil README: before and after pushing pfil on hme0 (autopush at plumb time)
    before = parse_modlist(sample("ifconfig-modlist__pfil-2.1.7-readme__1.txt"))
    after = parse_modlist(sample("ifconfig-modlist__pfil-2.1.7-readme__2.txt"))
    assert before == ("arp", "ip", "hme") and after == ("arp", "ip", "pfil", "hme")


# ------------------------------------------------------------------ which list applies


class Answers:
    """A replay with commands and files given inline."""

    live = False

    def __init__(self, commands: dict[tuple[str, ...], tuple[str, str, int]], files: dict[str, str]):
        self.commands, self.files, self.calls = commands, files, []

    def holds(self, argv):
        return tuple(argv) in self.commands

    def still_running(self):
        return []

    def run(self, argv, timeout=10.0, kill=True):
        from ipmpd.runner import CommandResult

        self.calls.append(tuple(argv))
        out, err, rc = self.commands.get(tuple(argv), ("", "", 127))
        error = None if rc == 0 else ("command not found" if rc == 127 else f"exit status {rc}: {err}")
        return CommandResult(tuple(argv), out, err, rc, 0.0, error)

    def read_file(self, path):
        if path not in self.files:
            raise FileNotFoundError(2, "No such file or directory", path)
        return self.files[path]

    def glob(self, pattern):
        return []

    def close(self):
        pass


def test_per_link_value_replaces_the_driver_list_and_the_kernel_comes_before_the_files():
    majors = "e1000g 186\nbge 116\n"
    iu = "\te1000g\t-1\t0\tfirewall\n"
    kernel = "     Major      Minor  Lastminor\tModules\n       186       ALL       -    \tipqos firewall\n"
    runner = Answers(
        {
            ("autopush", "-g", "-M", "186", "-m", "1"): (kernel, "", 0),
            ("autopush", "-g", "-M", "116", "-m", "1"): ("", NOT_CONFIGURED, 1),
        },
        {"/etc/iu.ap": iu, "/etc/name_to_major": majors},
    )
    links = parse_linkprop("net0:\nnet1:vpnmod.bufmod\nnet2:\n")
    devices = {"net0": "e1000g0", "net1": "e1000g1", "net2": "bge0"}
    out, statuses = configured_modules(runner, "solaris11", ["net0", "net1", "net2"], links, devices)
    # push order ipqos then firewall: modlist shows firewall nearest ip
    assert out["net0"] == (("firewall", "ipqos"), "autopush -g (driver e1000g, minor 1)")
    assert out["net1"] == (("bufmod", "vpnmod"), "dladm autopush property of net1")
    assert out["net2"][0] == ()  # "not configured for autopush" is an answer: nothing
    assert all(s.ok for s in statuses)
    assert ("autopush", "-g", "-M", "186", "-m", "2") not in runner.calls  # net1's own value wins


def test_the_kernel_is_asked_per_member_unless_one_entry_covers_every_minor():
    names = ["e1000g0", "e1000g1", "e1000g2"]
    devices = {n: n for n in names}
    links = parse_linkprop("".join(f"{n}:\n" for n in names))
    files = {"/etc/iu.ap": (DEMO / "etc_iu.ap").read_text(), "/etc/name_to_major": "e1000g 186\n"}
    kernel = "     Major      Minor  Lastminor\tModules\n       186       ALL       -    \tipqos\n"
    every = Answers({("autopush", "-g", "-M", "186", "-m", "1"): (kernel, "", 0)}, files)
    out, _ = configured_modules(every, "illumos", names, links, devices)
    assert [c for c in every.calls if c[0] == "autopush"] == [("autopush", "-g", "-M", "186", "-m", "1")]
    assert out["e1000g2"] == (("ipqos",), "autopush -g (driver e1000g, minor 3)")
    # "not configured" at minor 1 says nothing of minor 2, where autopush -f put pfil
    one = "     Major      Minor  Lastminor\tModules\n       186          2      -    \tpfil\n"
    per_minor = Answers(
        {
            ("autopush", "-g", "-M", "186", "-m", "1"): ("", NOT_CONFIGURED, 1),
            ("autopush", "-g", "-M", "186", "-m", "2"): (one, "", 0),
            ("autopush", "-g", "-M", "186", "-m", "3"): ("", NOT_CONFIGURED, 1),
        },
        files,
    )
    out, _ = configured_modules(per_minor, "illumos", names, links, devices)
    assert len([c for c in per_minor.calls if c[0] == "autopush"]) == 3
    assert out["e1000g0"] == ((), "autopush -g (driver e1000g, minor 1)")
    assert out["e1000g1"] == (("pfil",), "autopush -g (driver e1000g, minor 2)")
    assert out["e1000g2"] == ((), "autopush -g (driver e1000g, minor 3)")


def test_outside_the_global_zone_the_files_are_read():
    refused = ("", "autopush can only be run from the global zone.\n", 1)
    runner = Answers(
        {("autopush", "-g", "-M", "180", "-m", "1"): refused},
        {
            "/etc/ipf/pfil.ap": sample("pfil.ap__sunos510-ipfilter-5-man__1.txt"),
            "/etc/name_to_major": "hme 180\n",
        },
    )
    out, statuses = configured_modules(runner, "solaris10", ["hme0", "e1000g1"], None, None)
    assert out["hme0"][0] == ("pfil",) and out["hme0"][1].startswith(
        "/etc/ipf/pfil.ap line 8 (autopush -g failed"
    )
    assert out["e1000g1"][0] == ()  # no entry for e1000g anywhere
    failed = [s for s in statuses if not s.ok]
    assert [s.name for s in failed] == ["autopush"]  # visible, never hidden


def test_unreadable_configuration_is_unknown_never_empty():
    runner = Answers({}, {"/etc/iu.ap": "e1000g -1 0 (bad)\n"})
    out, statuses = configured_modules(runner, "illumos", ["e1000g0"], parse_linkprop("e1000g0:\n"), {})
    assert out["e1000g0"] == (None, "the driver and instance of e1000g0 are unknown")
    out, statuses = configured_modules(
        runner, "illumos", ["e1000g0"], parse_linkprop("e1000g0:\n"), {"e1000g0": "e1000g0"}
    )
    assert out["e1000g0"][0] is None and "autopush files could not be read" in out["e1000g0"][1]
    assert any(s.name == "autopush-files" and "/etc/iu.ap: line 1" in (s.error or "") for s in statuses)
    out, _ = configured_modules(runner, "illumos", ["e1000g0"], None, {"e1000g0": "e1000g0"})
    assert out["e1000g0"][0] is None


# ------------------------------------------------------------------ done when: no modlist at all


def test_illumos_and_solaris11_capture_differing_only_in_autopush(tmp_path):
    for platform, uname in (("illumos", None), ("solaris11", SOLARIS11)):
        host = copy_demo(tmp_path / platform)
        drop_modlists(host)  # ipmpd capture without --modlist
        if uname:
            edit_output(host, ["uname", "-a"], uname)
        p = ipmpd("check", "--capture", str(host), "--format", "json")
        assert p.returncode == 1, p.stdout
        data = json.loads(p.stdout)
        [f] = [f for f in data["findings"] if f["code"].startswith("IPMP00")]
        assert (f["code"], f["interfaces"]) == ("IPMP005", ["e1000g1"])
        assert "firewall under ip at plumb time (dladm autopush property of e1000g1)" in f["message"]
        assert f["remediation"][0].startswith("# by hand: dladm reset-linkprop -p autopush e1000g1")
        assert not any(s["name"] == "modlist" for s in data["snapshot"]["sources"])
        reasons = {r["reason"] for r in data["results"] if r["code"] == "IPMP005"}
        assert all(LIVE_NOT_INSPECTED in r for r in reasons)
        text = ipmpd("check", "--capture", str(host)).stdout
        assert "the live STREAMS stack was not inspected" in text


def solaris10_host(tmp_path: Path) -> Path:
    """A Solaris 10 host (the published ifconfig -a of a two-member group, from
    shared samples) whose standby was replaced by an hme NIC (planted change), with
    IP Filter's pfil.ap as ipfilter(5) prints it (hme and qfe enabled)."""
    host = tmp_path / "s10"
    host.mkdir()
    ifc = sample("ifconfig-a__solaris10-blog-fr-ipmp__1.txt").replace("e1000g1:", "hme0:")
    files = {
        "/etc/ipf/pfil.ap": sample("pfil.ap__sunos510-ipfilter-5-man__1.txt"),
        "/etc/iu.ap": (DEMO / "etc_iu.ap").read_text(),
        "/etc/hostname.e1000g0": "192.168.0.72 netmask + broadcast + group ipmp0 up\n",
        "/etc/hostname.hme0": "group ipmp0 standby up\n",
    }
    commands = [
        {"argv": ["uname", "-a"], "stdout": "uname.out"},
        {"argv": ["ifconfig", "-a"], "stdout": "ifconfig.out"},
    ]
    (host / "uname.out").write_text(SOLARIS10_X86)
    (host / "ifconfig.out").write_text(ifc)
    manifest_files = []
    for i, (path, text) in enumerate(sorted(files.items())):
        (host / f"file{i}").write_text(text)
        manifest_files.append({"path": path, "content": f"file{i}"})
    (host / "capture.json").write_text(
        json.dumps({"format": "ipmpd-capture/1", "commands": commands, "files": manifest_files})
    )
    return host


def test_solaris10_capture_differing_only_in_autopush(tmp_path):
    host = solaris10_host(tmp_path)
    snap, rs = results(host)
    assert snap.host.platform == "solaris10" and not snap.runs("modlist")
    hme, e1000g = snap.interface("hme0"), snap.interface("e1000g0")
    assert hme.configured_modules == ("pfil",) and e1000g.configured_modules == ()
    assert hme.configured_from == "/etc/ipf/pfil.ap line 8 (/etc/name_to_major could not be read)"
    # pfil is stateful: IPMP006 reports it; module-order leaves stateful modules to it
    r = rs[("ipmp0", "IPMP006")]
    assert r.status == "finding" and LIVE_NOT_INSPECTED in r.reason
    [f] = r.findings
    assert f.interfaces == ("hme0",) and "stateful STREAMS module pfil at plumb time" in f.message
    assert f.verification == "by hand" and "/etc/ipf/pfil.ap" in f.remediation[0]
    assert rs[("ipmp0", "IPMP005")].status == "ok"
    p = ipmpd("check", "--capture", str(host))
    assert p.returncode == 1 and "WARNING IPMP006 stateful-module: hme0 carries" in p.stdout
    # a module that is not stateful is a module-order finding
    data = json.loads((host / "capture.json").read_text())
    content = {f["path"]: host / f["content"] for f in data["files"] if not f.get("absent")}
    content["/etc/iu.ap"].write_text(content["/etc/iu.ap"].read_text() + "\tbge\t-1\t0\tipqos\n")
    data["files"] = [f for f in data["files"] if f["path"] != "/etc/ipf/pfil.ap"]
    data["files"].append({"path": "/etc/ipf/pfil.ap", "absent": True})  # IP Filter 8/07 and later
    (host / "capture.json").write_text(json.dumps(data))
    (host / "ifconfig.out").write_text((host / "ifconfig.out").read_text().replace("hme0:", "bge0:"))
    _, rs = results(host)
    [f] = rs[("ipmp0", "IPMP005")].findings
    # two members, two lists: the tie goes to the first member in name order (bge0)
    assert f.interfaces == ("e1000g0",)
    assert f.message.startswith("e1000g0 is configured to get STREAMS modules (none) under ip at plumb time")
    assert f.message.endswith("but group ipmp0 expects ipqos.")


# ------------------------------------------------------------------ done when: never by default


def test_check_and_run_never_run_modlist_by_default(tmp_path, demo_copy, fakebin):
    serve(fakebin, demo_copy)
    root = tmp_path / "root"
    write_hostname_files(demo_copy, root)
    cfg = tmp_path / "ipmpd.toml"
    cfg.write_text(f'[daemon]\npath = "{fake_path(fakebin)}"\nroot = "{root}"\n')
    for command in (("check",), ("snapshot",), ("plan", "e1000g2", "e1000g3", "--group", "itops0")):
        assert ipmpd(*command, "--config", str(cfg)).returncode in (0, 1)
    calls = [json.loads(line) for line in (demo_copy / "calls.log").read_text().splitlines()]
    assert ["ifconfig", "-a"] in calls and ["dladm", *AUTOPUSH[1:]] in calls
    assert ["autopush", "-g", "-M", "186", "-m", "1"] in calls
    assert not any(c[-1] == "modlist" for c in calls)
    # the same host with --modlist does run it
    assert ipmpd("check", "--config", str(cfg), "--modlist").returncode == 1
    calls = [json.loads(line) for line in (demo_copy / "calls.log").read_text().splitlines()]
    assert ["ifconfig", "e1000g1", "modlist"] in calls

    (demo_copy / "calls.log").unlink()
    d = DaemonProcess(tmp_path / "daemon", demo_copy, fakebin, modlist_interval=None)
    try:
        text = d.wait_for(lambda t: 'ipmpd_source_up{source="autopush-links"} 1.0' in t)
        d.wait_events("gather.completed", 3)
        text = d.get()
        page = d.get("/")
        started = d.events("modules.sources")
    finally:
        d.stop()
    calls = [json.loads(line) for line in (demo_copy / "calls.log").read_text().splitlines()]
    assert len(d.events("gather.completed")) >= 3 and not any(c[-1] == "modlist" for c in calls)
    assert "\nipmpd_modlist_timestamp_seconds " not in text and "ipmpd_modlist_interval_seconds 0.0" in text
    assert (
        'ipmpd_interface_info{configured_modules="firewall",families="ipv4",group="10g-failover",'
        'interface="e1000g1",mac="00:0c:29:84:3b:d8",media="Ethernet",modules=""} 1.0'
    ) in text
    assert "the live stream was not inspected" in page
    [event] = started
    modlist = [s for s in event["sources"] if s["source"] == "modlist"]
    assert modlist == [
        {
            "argv": "ifconfig IF modlist",
            "privileges": "net_rawaccess and sys_ip_config; unlinks and relinks the interface's IP stream",
            "source": "modlist",
            "used": False,
        }
    ]
    assert {s["privileges"] for s in event["sources"] if s["source"] == "autopush-links"} == {"basic"}


def test_a_replay_uses_its_recorded_modlists_whatever_the_setting(tmp_path):
    for flags in ((), ("--no-modlist",), ("--modlist",)):
        data = json.loads(ipmpd("snapshot", "--demo", "--format", "json", *flags).stdout)
        e1 = next(i for i in data["interfaces"] if i["name"] == "e1000g1")
        assert e1["modules"] == ["arp", "ip", "firewall", "e1000g"], flags


# ------------------------------------------------------------------ done when: drift with modlist on


def test_live_modules_that_differ_from_the_configured_ones_are_module_drift(tmp_path, demo_copy, fakebin):
    # someone ran "ifconfig e1000g1 modinsert firewall@2" by hand: its autopush says nothing
    replace_in_output(demo_copy, AUTOPUSH, "e1000g1:firewall", "e1000g1:")
    # so the kernel's per-driver list is asked for e1000g1 too (minor = instance + 1)
    kernel = ["autopush", "-g", "-M", "186", "-m", "2"]
    edit_output(demo_copy, kernel, "", exit_status=1, stderr=NOT_CONFIGURED)
    serve(fakebin, demo_copy)
    root = tmp_path / "root"
    write_hostname_files(demo_copy, root)
    cfg = tmp_path / "ipmpd.toml"
    cfg.write_text(f'[daemon]\npath = "{fake_path(fakebin)}"\nroot = "{root}"\n')
    p = ipmpd("check", "--config", str(cfg), "--modlist", "--format", "json")
    data = json.loads(p.stdout)
    by_code = {f["code"]: f for f in data["findings"]}
    drift = by_code["IPMP014"]
    assert drift["severity"] == "warning" and drift["interfaces"] == ["e1000g1"]
    assert drift["message"] == (
        "e1000g1 runs with STREAMS modules firewall under ip, but is configured to get (none) at plumb "
        "time (autopush -g (driver e1000g, minor 2)): the next replumb or reboot changes its stream."
    )
    assert drift["remedy"]["verification"] == "by hand"
    assert "ifconfig e1000g1 modremove firewall@2" in drift["remediation"][0]
    # module-order on the live stream: removing it is the whole fix, since a replumb gives none
    order = by_code["IPMP005"]
    assert order["remediation"] == ["ifconfig e1000g1 modremove firewall@2"]
    assert order["remedy"]["verification"] == "simulated"
    # without --modlist the live stream is not read: no drift to see, and it says so
    p = ipmpd("check", "--config", str(cfg), "--format", "json")
    r = next(
        r for r in json.loads(p.stdout)["results"] if r["code"] == "IPMP014" and r["group"] == "10g-failover"
    )
    assert r["status"] == "skipped" and "not inspected" in r["reason"]


def test_a_modremove_alone_is_refused_when_autopush_brings_the_module_back(demo_copy):
    snap, rs = results(demo_copy)
    [f] = rs[("10g-failover", "IPMP005")].findings
    only_now = (a.ModRemove("e1000g1", "firewall", 2),)
    problems = simulate.prove(snap, Config(), f, only_now)
    assert "the finding is back after a reboot" in problems
    assert "the fix creates new findings: [('10g-failover', 'IPMP014', ('e1000g1',))]" in problems


def test_the_rbac_scripts_run_modlist_and_nothing_else(tmp_path):
    calls = tmp_path / "calls"
    fake = tmp_path / "ifconfig.real"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    pfexec = tmp_path / "pfexec"
    pfexec.write_text(f'#!/bin/sh\necho pfexec >> {calls}\nexec sh "$@"\n')
    for f in (fake, pfexec):
        f.chmod(0o755)
    modlist = tmp_path / "ipmpd-modlist"
    modlist.write_text(
        (REPO / "smf" / "rbac" / "ipmpd-modlist").read_text().replace("/usr/sbin/ifconfig", str(fake))
    )
    shim = tmp_path / "ifconfig"
    shim.write_text(
        (REPO / "smf" / "rbac" / "ifconfig")
        .read_text()
        .replace("/usr/bin/pfexec", str(pfexec))
        .replace("/opt/ipmpd/libexec/ipmpd-modlist", str(modlist))
        .replace("/usr/sbin/ifconfig", str(fake))
    )

    def run(script: Path, *args: str) -> int:
        return subprocess.run(["sh", str(script), *args], capture_output=True, text=True).returncode

    assert run(shim, "-a") == 0
    assert run(shim, "e1000g0", "modlist") == 0
    assert calls.read_text().splitlines() == ["-a", "pfexec", "e1000g0 modlist"]
    calls.unlink()
    bad_names = (("e1000g0 plumb",), ("-a",), ("e1000g0;reboot",), ("net0", "unplumb"), ("ipmp",), ("",))
    for bad in bad_names + (("e" * 31 + "0",),):
        assert run(modlist, *bad) == 2, bad
    assert not calls.exists()


def test_manifest_keeps_modlist_privileges_out_and_says_how_to_add_them():
    text = (REPO / "smf" / "ipmpd.xml").read_text()
    assert 'privileges="basic,!proc_info,!proc_session,!file_link_any"/>' in text
    assert "method_context/privileges" in text and "ipmpd Modlist" in text
    assert "cannot\n                         restrict arguments" in text
    readme = (REPO / "README.md").read_text()
    assert "method_context/privileges" in readme and "ipmpd Modlist" in readme


def test_modlist_is_off_by_default():
    assert Config().daemon.modlist_interval == 0


def test_the_reason_names_the_view_that_was_judged(demo_copy):
    edit_output(demo_copy, ["ifconfig", "e1000g0", "modlist"], None)  # one member's live list not recorded
    _, rs = results(demo_copy)
    r = rs[("10g-failover", "IPMP005")]
    assert r.status == "finding" and r.reason == (
        "1 finding(s); judged on the configured modules (autopush): some members' live module lists are unknown"
    )
    assert rs[("itops0", "IPMP005")].reason == "live module lists 0s old"


def test_a_reference_ending_with_a_driver_is_never_pushed_as_a_module(demo_copy):
    from ipmpd.config import GroupConfig

    drop_modlists(demo_copy)
    replace_in_output(demo_copy, AUTOPUSH, "e1000g0:", "e1000g0:ipqos")  # both members set per link
    cfg = Config(
        groups=(GroupConfig("10g-failover", ("e1000g0", "e1000g1"), modules=("arp", "ip", "e1000g")),)
    )
    _, rs = results(demo_copy, config=cfg)
    # the driver is known (dladm show-phys): e1000g is stripped, and both members push a module
    r = rs[("10g-failover", "IPMP005")]
    assert {f.interfaces for f in r.findings} == {("e1000g0",), ("e1000g1",)}
    assert not any("autopush=e1000g" in line for f in r.findings for line in f.remediation)
    # without show-phys the drivers are unknown: "e1000g" may be one, so no verdict
    edit_output(demo_copy, ["dladm", "show-phys", "-p", "-o", "link,media,state,speed,duplex,device"], None)
    _, rs = results(demo_copy, config=cfg)
    r = rs[("10g-failover", "IPMP005")]
    assert r.status == "unknown" and "may be the driver of e1000g0, e1000g1" in r.reason
