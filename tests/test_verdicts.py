"""Verdicts you can trust: could not look is never clean, boot-time groups are
checked, ``check --nagios`` speaks the plugin convention.

Every scenario is the demo host (ipmpd/demo, built from published outputs:
PROVENANCE.md) with one planted edit, made by the helpers that fail when the
text to change is absent.  Where no published output shows a case, the edit
cites the source that defines its format.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from helpers import (
    AUTOPUSH,
    IFCONFIG,
    IFS,
    IPADM_IF,
    MACS,
    SOLARIS11,
    copy_demo,
    drop_modlists,
    edit_file,
    edit_output,
    ipadm_member,
    replace_in_output,
    ungroup_e1000g3,
    unplumb_e1000g3,
)

from ipmpd.checks import Result, evaluate
from ipmpd.config import ChecksConfig, Config
from ipmpd.gather import gather
from ipmpd.remedy.actions import SetGroup, SetMacAddress
from ipmpd.runner import CaptureRunner


def ipmpd(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ipmpd", *args], capture_output=True, text=True, timeout=60)


def results(capture: Path, config: Config = Config(), modlist: bool = True) -> dict[tuple[str, str], Result]:
    snap = gather(CaptureRunner(capture), run_modlist=modlist)
    return {(r.group, r.code): r for r in evaluate(snap, config)}


def config_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "ipmpd.toml"
    path.write_text(text)
    return str(path)


def no_module_order(capture: Path) -> str:
    """A configuration that ignores the demo's one planted violation."""
    return config_file(capture.parent, '[checks]\nignore = ["module-order"]\n')


# ------------------------------------------------------------ could not look


def test_check_exits_3_and_says_why_first_when_ifconfig_fails(demo_copy):
    edit_output(demo_copy, IFCONFIG, "", exit_status=1)
    # ipmpstat and modlist still see the planted module violation: a finding wins.
    assert ipmpd("check", "--capture", str(demo_copy)).returncode == 1
    p = ipmpd("check", "--capture", str(demo_copy), "--config", no_module_order(demo_copy))
    assert p.returncode == 3, p.stdout
    first = p.stdout.splitlines()[0]
    assert first.startswith("COULD NOT LOOK: the interface list: ifconfig -a failed: exit status 1")


def test_check_exits_3_when_ifconfig_does_not_parse(demo_copy):
    # A line no ifconfig prints, planted at the top of the real output.
    text = (demo_copy / "ifconfig_-a.out").read_text()
    edit_output(demo_copy, IFCONFIG, "this is not ifconfig output\n" + text)
    p = ipmpd("check", "--capture", str(demo_copy), "--config", no_module_order(demo_copy))
    assert p.returncode == 3
    assert p.stdout.startswith("COULD NOT LOOK: the interface list: ifconfig -a failed: ifconfig: line 1:")


def test_check_exits_3_when_no_command_answers(demo_copy):
    # What a Linux box, or a capture holding nothing, looks like: no command at all.
    data = json.loads((demo_copy / "capture.json").read_text())
    data["commands"], data["files"] = [], []
    (demo_copy / "capture.json").write_text(json.dumps(data))
    p = ipmpd("check", "--capture", str(demo_copy))
    assert p.returncode == 3
    assert "no IPMP groups found" not in p.stdout
    assert "no IPMP group found, but not every place a group is defined could be read" in p.stdout
    data = json.loads(ipmpd("check", "--capture", str(demo_copy), "--format", "json").stdout)
    assert data["could_not_look"][0]["source"] == "ifconfig"


def blind_to_modules(capture: Path) -> str:
    """A capture taken without --modlist on a host whose autopush property could not be read."""
    drop_modlists(capture)
    edit_output(capture, AUTOPUSH, None)
    return str(capture)


def test_unknown_checks_without_findings_exit_3(demo_copy):
    # Neither the live nor the configured modules: the module checks cannot be
    # evaluated, and nothing else fails.
    host = blind_to_modules(demo_copy)
    p = ipmpd("check", "--capture", host)
    assert p.returncode == 3
    assert "UNKNOWN IPMP005 module-order" in p.stdout
    # A finding at or above --fail-on still wins over could-not-look.
    cfg = config_file(demo_copy.parent, '[[group]]\nname = "itops0"\ninterfaces = ["e1000g2"]\n')
    assert ipmpd("check", "--capture", host, "--config", cfg).returncode == 1
    assert ipmpd("check", "--capture", host, "--config", cfg, "--fail-on", "error").returncode == 3


def test_a_clean_host_exits_0(tmp_path):
    cfg = config_file(tmp_path, '[checks]\nignore = ["module-order"]\n')
    assert ipmpd("check", "--demo", "--config", cfg).returncode == 0


# ------------------------------------------------------------------ nagios


def test_nagios_ok_warning_critical_unknown(demo_copy, tmp_path):
    clean = config_file(tmp_path, '[checks]\nignore = ["module-order"]\n')
    p = ipmpd("check", "--demo", "--nagios", "--config", clean)
    assert (p.returncode, p.stdout) == (
        0,
        "IPMPD OK - 2 group(s), no finding at or above warning | findings=0 unknown=0\n",
    )

    warn = tmp_path / "warn.toml"
    warn.write_text('[checks]\nseverity = { "module-order" = "warning" }\n')
    p = ipmpd("check", "--demo", "--nagios", "--config", str(warn))
    assert p.returncode == 1
    assert p.stdout.startswith(
        "IPMPD WARNING - 1 warning finding(s): 10g-failover/IPMP005 module-order (e1000g1)"
    )
    assert p.stdout.endswith(" | findings=1 unknown=0\n") and p.stdout.count("\n") == 1

    p = ipmpd("check", "--demo", "--nagios")
    assert p.returncode == 2
    assert p.stdout == (
        "IPMPD CRITICAL - 1 error finding(s): 10g-failover/IPMP005 module-order (e1000g1) | findings=1 unknown=0\n"
    )

    edit_output(demo_copy, IFCONFIG, None)  # ifconfig -a absent: the blind host
    p = ipmpd("check", "--capture", str(demo_copy), "--nagios", "--config", clean)
    assert p.returncode == 3
    assert p.stdout.startswith("IPMPD UNKNOWN - could not look: ifconfig -a failed: command not found")

    p = ipmpd("check", "--capture", blind_to_modules(copy_demo(tmp_path / "blind")), "--nagios")
    assert p.returncode == 3
    assert p.stdout.startswith("IPMPD UNKNOWN - 4 check(s) could not be evaluated, e.g. 10g-failover/IPMP005")
    assert p.stdout.endswith("| findings=0 unknown=4\n")


def test_nagios_usage_and_configuration_errors_are_unknown(tmp_path):
    p = ipmpd("check", "--demo", "--nagios", "--fail-on", "nonsense")
    assert p.returncode == 3 and p.stdout.startswith("IPMPD UNKNOWN - usage error")
    bad = config_file(tmp_path, "[daemon]\ninterval = -1\n")
    p = ipmpd("check", "--demo", "--nagios", "--config", bad)
    assert p.returncode == 3 and p.stdout.startswith("IPMPD UNKNOWN - configuration error: ")
    assert bad in p.stdout and p.stdout.count("\n") == 1


# -------------------------------------------------------------------- plan


def test_plan_refuses_interfaces_that_do_not_exist():
    p = ipmpd("plan", "foo0", "bar1", "--group", "g", "--demo")
    assert p.returncode == 2 and not p.stdout
    assert "foo0: no such interface on this host" in p.stderr and "bar1: no such interface" in p.stderr


def test_plan_on_a_blind_host_is_3_not_2(demo_copy):
    edit_output(demo_copy, IFCONFIG, "", exit_status=1)
    p = ipmpd("plan", "foo0", "bar1", "--group", "g", "--capture", str(demo_copy))
    assert p.returncode == 3 and "ifconfig -a failed" in p.stderr


def test_plan_accepts_an_unplumbed_datalink(demo_copy):
    # An unplumbed NIC is in dladm show-phys but not in ifconfig -a: it exists.
    # The checks cannot look at it, so the plan says so, never "no such interface"
    # (exit 1 here: both interfaces belong to itops0, PLAN001).
    unplumb_e1000g3(demo_copy)
    p = ipmpd("plan", "e1000g2", "e1000g3", "--group", "g", "--capture", str(demo_copy))
    assert p.returncode == 1, p.stderr
    assert "interface e1000g3 is not plumbed on this host" in p.stdout
    assert "e1000g3 belongs to group itops0 (at boot)" in p.stdout


# ----------------------------------------------------- boot-time groups


def test_a_group_set_only_on_a_logical_interface_file_is_checked(demo_copy):
    # hostname.IF:N is a real file form (ifconfig(8), "group" on hme0:1 in the
    # planning procedure); the line is e1000g3's own, with another group.
    edit_file(
        demo_copy,
        "/etc/hostname.e1000g2:1",
        "172.16.36.95 netmask 255.255.255.0 broadcast + group orapriv up\n",
    )
    rs = results(demo_copy)
    assert rs[("orapriv", "IPMP002")].seen_in == ("boot",)
    [f] = rs[("orapriv", "IPMP002")].findings
    assert f.interfaces == ("e1000g2:1",)
    assert rs[("orapriv", "IPMP013")].status == "skipped"
    p = ipmpd("check", "--capture", str(demo_copy), "--format", "json")
    groups = json.loads(p.stdout)["groups"]
    assert {"name": "orapriv", "seen_in": ["boot"]} in groups


def test_a_member_taken_out_at_runtime_but_still_in_its_hostname_file(demo_copy):
    ungroup_e1000g3(demo_copy)
    rs = results(demo_copy)
    [f] = rs[("itops0", "IPMP012")].findings
    assert f.interfaces == ("e1000g3",)
    assert f.message == (
        "/etc/hostname.e1000g3 puts e1000g3 in group itops0, but e1000g3 is not a member now; "
        "the next boot will change the group."
    )


def test_a_group_only_in_the_boot_configuration(demo_copy):
    edit_file(
        demo_copy,
        "/etc/hostname.e1000g2",
        "172.16.36.93 netmask 255.255.255.0 broadcast + group backup0 deprecated -failover up\n",
    )
    rs = results(demo_copy)
    assert rs[("backup0", "IPMP012")].seen_in == ("boot",)
    [f] = rs[("backup0", "IPMP012")].findings
    assert "group backup0 is not running" in f.message
    assert rs[("backup0", "IPMP003")].status == "finding"  # one member at boot
    assert rs[("backup0", "IPMP013")].status == "skipped"
    [f] = rs[("itops0", "IPMP012")].findings
    assert f.message.startswith("/etc/hostname.e1000g2 puts e1000g2 in group 'backup0', not 'itops0'")


def test_a_broken_hostname_file_makes_boot_checks_unknown_even_with_ipadm_answering(demo_copy):
    # The demo's own line, cut short after "group" (a truncated file).
    edit_file(demo_copy, "/etc/hostname.e1000g3", "172.16.36.94 netmask 255.255.255.0 broadcast + group\n")
    rs = results(demo_copy)
    for code in ("IPMP002", "IPMP012"):
        r = rs[("itops0", code)]
        assert r.status == "unknown", code
        assert "persistent: persistent /etc/hostname.e1000g3: line 1: group without a value" in (
            r.reason or ""
        )


def test_illumos_ipadm_store_membership_is_persistent(demo_copy):
    store = ipadm_member(demo_copy, "e1000g3", "ipmp1")
    rs = results(demo_copy)
    assert rs[("itops0", "IPMP012")].status == "ok"
    # The same store that does not parse: whether ipadm restores the group cannot be told.
    edit_file(demo_copy, "/etc/ipadm/ipadm.conf", store.replace("_gifname=ipmp1;", "_gifname=ipmp1"))
    r = results(demo_copy)[("itops0", "IPMP012")]
    assert r.status == "unknown" and "ipadm's store /etc/ipadm/ipadm.conf could not be read" in (
        r.reason or ""
    )


def test_solaris11_persistent_member_group_cannot_be_told_but_a_temporary_one_is_a_finding(demo_copy):
    edit_output(demo_copy, ["uname", "-a"], SOLARIS11)
    for name in ("e1000g2", "e1000g3"):
        replace_in_output(demo_copy, IPADM_IF, f"{name}:ok:bm------4-:---", f"{name}:ok:bm------4-:-4-")
    r = results(demo_copy)[("itops0", "IPMP012")]
    assert r.status == "unknown" and "Solaris 11 keeps IPMP membership in a store" in (r.reason or "")
    assert r.seen_in == ("runtime",)  # Solaris 11 reads no /etc/hostname.*
    replace_in_output(demo_copy, IPADM_IF, "e1000g3:ok:bm------4-:-4-", "e1000g3:ok:bm------4-:---")
    [f] = results(demo_copy)[("itops0", "IPMP012")].findings
    assert f.interfaces == ("e1000g3",) and "created with -t" in f.message


# ---------------------------------------------------------- duplicate MAC


def test_offlined_for_a_duplicate_hardware_address_is_a_finding_even_without_macs(demo_copy):
    # ipmpstat.c FLAGS position 7 "h": offlined for a duplicate hardware
    # address; in a zone neither ifconfig nor dladm show-phys -m shows MACs.
    replace_in_output(
        demo_copy, IFS, "e1000g3:yes:ipmp1:-------:up:ok:ok", "e1000g3:no:ipmp1:-----dh:up:ok:offline"
    )
    replace_in_output(demo_copy, IFCONFIG, "\tether 8:0:27:9c:77:4d \n", "")
    replace_in_output(demo_copy, IFCONFIG, "\tether 8:0:27:b0:cd:4c \n", "")
    edit_output(demo_copy, MACS, "")
    rs = results(demo_copy)
    r = rs[("itops0", "IPMP004")]
    assert r.status == "finding"
    [f] = r.findings
    assert f.interfaces == ("e1000g3",) and "hardware address is not unique" in f.message
    [health] = rs[("itops0", "IPMP013")].findings
    assert not any(line.startswith("if_mpadm") for line in health.remediation)


def test_checks_are_pure_functions_of_snapshot_config_and_now(demo_copy, monkeypatch):
    import time

    snap = gather(CaptureRunner(demo_copy), run_modlist=True)

    def no_clock() -> float:
        raise AssertionError("a check read the clock")

    monkeypatch.setattr(time, "time", no_clock)
    assert evaluate(snap, Config()) == evaluate(snap, Config())
    later = evaluate(snap, Config(), now=snap.taken_at + 3600)
    module_reason = {r.reason for r in later if r.code == "IPMP005" and r.group == "itops0"}
    assert module_reason == {"live module lists 3600s old"}
    ignored = evaluate(snap, Config(checks=ChecksConfig(ignore=("membership",))))
    assert {r.reason for r in ignored if r.code == "IPMP011"} == {"ignored in [checks] ignore"}


def test_a_group_only_in_the_ipadm_store_is_checked(demo_copy):
    # Written down with ipadm, not yet running.
    ipadm_member(demo_copy, "e1000g2", "ipmp2")
    rs = results(demo_copy)
    assert rs[("ipmp2", "IPMP012")].seen_in == ("boot",)
    [f] = rs[("ipmp2", "IPMP012")].findings
    assert f.message == (
        "ipadm puts e1000g2 in group ipmp2, but group ipmp2 is not running; the next boot will change the group."
    )
    [f] = rs[("itops0", "IPMP012")].findings
    assert f.message.startswith("ipadm puts e1000g2 in group 'ipmp2', not 'itops0'")


def test_a_failed_ipadm_makes_boot_checks_unknown_on_illumos(demo_copy):
    edit_output(demo_copy, IPADM_IF, "", exit_status=1)
    rs = results(demo_copy)
    r = rs[("itops0", "IPMP012")]
    assert r.status == "unknown" and "the boot configuration (ipadm) could not be read" in (r.reason or "")
    # Solaris 10 restores from hostname files only: ipadm is not consulted there.
    edit_output(demo_copy, ["uname", "-a"], "SunOS fulvia 5.10 Generic_127128-11 i86pc i386 i86pc\n")
    assert results(demo_copy)[("itops0", "IPMP012")].status == "ok"


def test_a_configured_group_on_a_blind_host_exits_3(demo_copy):
    data = json.loads((demo_copy / "capture.json").read_text())
    data["commands"], data["files"] = [], []
    (demo_copy / "capture.json").write_text(json.dumps(data))
    cfg = config_file(demo_copy.parent, '[[group]]\nname = "orapriv"\ninterfaces = ["e1000g2", "e1000g3"]\n')
    p = ipmpd("check", "--capture", str(demo_copy), "--config", cfg)
    assert p.returncode == 3
    assert "group orapriv (seen in config)" in p.stdout and "UNKNOWN IPMP011 membership" in p.stdout


def test_snapshot_text_shows_the_boot_configuration_per_store(demo_copy):
    p = ipmpd("snapshot", "--demo")
    assert "hostname-files  e1000g3       itops0        /etc/hostname.e1000g3  ipv4" in p.stdout
    edit_output(demo_copy, ["uname", "-a"], SOLARIS11)
    replace_in_output(demo_copy, IPADM_IF, "e1000g2:ok:bm------4-:---", "e1000g2:ok:bm------4-:-4-")
    p = ipmpd("snapshot", "--capture", str(demo_copy))
    boot = p.stdout.split("BOOT CONFIGURATION\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert boot[1].split() == ["ipadm", "e1000g2", "?", "ipadm", "ipv4"]
    assert boot[-1] == "(ipadm's IPMP membership could not be read: its entries' GROUP is ?)"


def test_a_failed_ipadm_store_is_could_not_look_even_when_no_check_reads_it(demo_copy, tmp_path):
    # Groups defined only in ipadm's store would go unseen: never exit 0.
    edit_file(demo_copy, "/etc/ipadm/ipadm.conf", "_ifname=net0;_ifclass=0\n")  # its ';' cut off
    cfg = config_file(tmp_path, '[checks]\nignore = ["module-order", "persistence"]\n')
    p = ipmpd("check", "--capture", str(demo_copy), "--config", cfg)
    assert p.returncode == 3
    assert p.stdout.startswith("COULD NOT LOOK: ipadm's persistent store could not be read: ipadm-store")
    p = ipmpd("check", "--capture", str(demo_copy), "--config", cfg, "--nagios")
    assert p.returncode == 3 and p.stdout.startswith(
        "IPMPD UNKNOWN - could not look: ipadm's persistent store"
    )


def test_an_unreadable_ipadm_store_never_gives_persistence_ok(demo_copy):
    # e1000g3 kept by ipadm in ipmp1, then taken out of the group at runtime:
    # with the store readable that is a finding; unreadable, it is unknown.
    store = ipadm_member(demo_copy, "e1000g3", "ipmp1")
    ungroup_e1000g3(demo_copy)
    [f] = results(demo_copy)[("itops0", "IPMP012")].findings
    assert f.message.startswith("ipadm puts e1000g3 in group itops0, but e1000g3 is not a member now")
    assert f.remedy[0] == SetGroup("e1000g3", "itops0")  # back in, as ipadm restores it at boot
    assert f.remediation[-1] == "# or, if leaving the group was meant: ipadm remove-ipmp -i e1000g3 ipmp1"
    edit_file(demo_copy, "/etc/ipadm/ipadm.conf", store.replace("_gifname=ipmp1;", "_gifname=ipmp1"))
    r = results(demo_copy)[("itops0", "IPMP012")]
    assert r.status == "unknown"
    assert "ipadm's store /etc/ipadm/ipadm.conf could not be read" in (r.reason or "")


def test_plan_does_not_call_an_interface_absent_when_dladm_failed(demo_copy):
    unplumb_e1000g3(demo_copy)
    edit_output(demo_copy, ["dladm", "show-phys", "-p", "-o", "link,media,state,speed,duplex,device"], "", 1)
    p = ipmpd("plan", "e1000g2", "e1000g3", "--group", "g", "--capture", str(demo_copy))
    assert p.returncode == 3
    assert "e1000g3: not plumbed, and dladm show-phys failed" in p.stderr


def test_an_offlined_duplicate_is_reported_once_with_the_offlined_member_to_change(demo_copy):
    replace_in_output(
        demo_copy, IFS, "e1000g2:yes:ipmp1:--mb---:up:ok:ok", "e1000g2:no:ipmp1:-----dh:up:ok:offline"
    )
    replace_in_output(demo_copy, IFCONFIG, "ether 8:0:27:b0:cd:4c", "ether 8:0:27:9c:77:4d")
    [f] = results(demo_copy)[("itops0", "IPMP004")].findings
    assert f.interfaces == ("e1000g2",)
    assert f.remedy == (SetMacAddress("e1000g2"),)
    assert f.remediation == ("dladm set-linkprop -p mac-address=<unique MAC> e1000g2",)


def test_a_nolocal_subnet_reaches_the_snapshot(demo_copy):
    # illumos ifconfig.c in_status(): with IFF_NOLOCAL (0x20000) it prints
    # "inet subnet A/N netmask M ..." and no local address.
    replace_in_output(
        demo_copy,
        IFCONFIG,
        "e1000g3: flags=9040843<UP,BROADCAST,RUNNING,MULTICAST,DEPRECATED,IPv4,NOFAILOVER>",
        "e1000g3: flags=9060843<UP,BROADCAST,RUNNING,MULTICAST,NOLOCAL,DEPRECATED,IPv4,NOFAILOVER>",
    )
    replace_in_output(
        demo_copy, IFCONFIG, "\tinet 172.16.36.94 netmask", "\tinet subnet 172.16.36.0/24 netmask"
    )
    snap = gather(CaptureRunner(demo_copy))
    iface = snap.interface("e1000g3")
    assert iface is not None
    [a] = iface.addresses
    assert (a.address, a.prefixlen) == ("172.16.36.0", 24) and "NOLOCAL" in a.flags


def test_the_landing_page_lists_groups_not_running(demo_copy):
    from ipmpd.state import Latest
    from ipmpd.web import page

    edit_file(
        demo_copy,
        "/etc/hostname.e1000g2",
        "172.16.36.93 netmask 255.255.255.0 broadcast + group backup0 deprecated -failover up\n",
    )
    snap = gather(CaptureRunner(demo_copy), run_modlist=True)
    html = page(Latest(snapshot=snap, results=evaluate(snap, Config())), now=snap.taken_at)
    assert "<tr><td>backup0</td><td>boot</td><td>not running</td><td>e1000g2 (at boot)</td></tr>" in html
    assert "<tr><td>itops0</td><td>runtime, boot</td><td>ok</td>" in html
