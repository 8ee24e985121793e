"""Each check fires, stays quiet, and reports unknown when its input is missing.

Scenarios are the demo host (ipmpd/demo, provenance in PROVENANCE.md) with
one planted change each, made by the helpers below.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import AUTOPUSH, drop_modlists, edit_file, edit_output, read_output, replace_in_output

from ipmpd.checks import LIVE_NOT_INSPECTED, REGISTRY, Result, evaluate
from ipmpd.config import ChecksConfig, Config, GroupConfig
from ipmpd.gather import gather
from ipmpd.remedy.actions import Manual, ModInsert, ModRemove, Plumb, SetEeprom, SetMacAddress, WriteBootFile
from ipmpd.remedy.compose import PERSIST_MODULES, modlist_edits
from ipmpd.runner import CaptureRunner

IFCONFIG = ["ifconfig", "-a"]
MACS = ["dladm", "show-phys", "-m", "-p", "-o", "link,slot,address,inuse,client"]
LINKS = ["dladm", "show-phys", "-p", "-o", "link,media,state,speed,duplex,device"]
GROUPS = ["ipmpstat", "-g", "-P", "-o", "group,groupname,state,fdt,interfaces"]
IFS = ["ipmpstat", "-i", "-P", "-o", "interface,active,group,flags,link,probe,state"]
IPADM_IF = ["ipadm", "show-if", "-p", "-o", "ifname,state,current,persistent"]


def results(capture: Path, config: Config = Config(), modlist: bool = True) -> dict[tuple[str, str], Result]:
    snap = gather(CaptureRunner(capture), run_modlist=modlist)
    return {(r.group, r.code): r for r in evaluate(snap, config)}


def status(rs, group, code):
    return rs[(group, code)].status


def test_every_check_is_registered_once_with_docs():
    codes = [c.code for c in REGISTRY]
    assert codes == [f"IPMP{n:03d}" for n in range(1, 15)]
    assert len({c.name for c in REGISTRY}) == 14
    for c in REGISTRY:
        for part in ("What it checks", "Why it matters", "Fix", "Fix safety"):
            assert c.section(part), f"{c.code} lacks {part}"


def test_demo_clean_group_is_ok_everywhere_but_membership(demo_copy):
    rs = results(demo_copy)
    for c in REGISTRY:
        expected = "skipped" if c.code == "IPMP011" else "ok"
        assert status(rs, "itops0", c.code) == expected, (c.code, rs[("itops0", c.code)].reason)


# ------------------------------------------------------------------ IPMP001


def test_group_name(demo_copy):
    long = "g" * 32
    replace_in_output(demo_copy, IFCONFIG, "groupname itops0", f"groupname {long}")
    edit_output(demo_copy, GROUPS, read_output(demo_copy, GROUPS).replace("itops0", long))
    rs = results(demo_copy)
    assert status(rs, long, "IPMP001") == "finding"
    assert "at most 31" in rs[(long, "IPMP001")].findings[0].message
    assert status(rs, "10g-failover", "IPMP001") == "ok"


# ------------------------------------------------------------------ IPMP002


def test_logical_interface_in_hostname_file(demo_copy):
    edit_file(demo_copy, "/etc/hostname.e1000g2:1", "172.16.36.99 group itops0 up\n")
    rs = results(demo_copy)
    f = rs[("itops0", "IPMP002")].findings[0]
    assert f.interfaces == ("e1000g2:1",)
    assert f.remedy[0] == WriteBootFile(
        "/etc/hostname.e1000g2:1", "172.16.36.99 up\n", "172.16.36.99 group itops0 up\n"
    )
    assert f.verification == "by hand"  # the boot then runs what followed 'group' (see test_remedies)
    assert status(rs, "10g-failover", "IPMP002") == "ok"


def test_logical_interface_unknown_without_persistent_config(demo_copy):
    for argv in (IPADM_IF,):
        edit_output(demo_copy, argv, None)
    for n in ("e1000g0", "e1000g1", "e1000g2", "e1000g3", "ipmp0", "ipmp1"):
        edit_file(demo_copy, f"/etc/hostname.{n}", "not valid $(stuff)\n" if n == "e1000g0" else None)
    rs = results(demo_copy)
    assert status(rs, "itops0", "IPMP002") == "unknown"
    assert status(rs, "itops0", "IPMP012") == "unknown"
    assert "/etc/hostname.e1000g0" in rs[("itops0", "IPMP012")].reason


# ------------------------------------------------------------------ IPMP003


def test_redundancy_single_member(demo_copy):
    replace_in_output(demo_copy, GROUPS, "e1000g2 e1000g3", "e1000g2")
    rs = results(demo_copy)
    assert rs[("itops0", "IPMP003")].findings[0].severity == "warning"
    cfg = Config(groups=(GroupConfig("itops0", ("e1000g2",), allow_single=True),))
    rs = results(demo_copy, cfg)
    assert rs[("itops0", "IPMP003")].findings[0].severity == "info"
    assert status(rs, "10g-failover", "IPMP003") == "ok"


def test_redundancy_unknown_without_ifconfig(demo_copy):
    edit_output(demo_copy, IFCONFIG, None)
    rs = results(demo_copy)
    assert status(rs, "itops0", "IPMP003") == "unknown"
    assert "ifconfig (command not found)" in rs[("itops0", "IPMP003")].reason


# ------------------------------------------------------------------ IPMP004


def test_unique_mac_duplicate(demo_copy):
    replace_in_output(demo_copy, IFCONFIG, "ether 8:0:27:9c:77:4d", "ether 8:0:27:b0:cd:4c")
    rs = results(demo_copy)
    f = rs[("itops0", "IPMP004")].findings[0]
    assert f.interfaces == ("e1000g2", "e1000g3") and "08:00:27:b0:cd:4c" in f.message
    assert f.remedy == (SetMacAddress("e1000g3"),)
    assert status(rs, "10g-failover", "IPMP004") == "ok"


def test_unique_mac_sparc_solaris10_names_eeprom(demo_copy):
    edit_output(demo_copy, ["uname", "-a"], "SunOS t2 5.10 Generic_141414-02 sun4v sparc SUNW,T5240\n")
    edit_output(demo_copy, ["eeprom", "local-mac-address?"], "local-mac-address?=false\n")
    replace_in_output(demo_copy, IFCONFIG, "ether 8:0:27:9c:77:4d", "ether 8:0:27:b0:cd:4c")
    rs = results(demo_copy)
    f = rs[("itops0", "IPMP004")].findings[0]
    assert f.remedy == (SetEeprom("local-mac-address?", "true"),)
    assert f.remediation == ("eeprom 'local-mac-address?=true'  # takes effect at the next boot",)


def test_unique_mac_unknown_without_ether_and_dladm(demo_copy):
    text = "\n".join(line for line in read_output(demo_copy, IFCONFIG).splitlines() if "ether" not in line)
    edit_output(demo_copy, IFCONFIG, text + "\n")
    rs = results(demo_copy)
    assert status(rs, "itops0", "IPMP004") == "ok"  # dladm show-phys -m still answers
    edit_output(demo_copy, MACS, None)
    rs = results(demo_copy)
    assert status(rs, "itops0", "IPMP004") == "unknown"
    assert "not run as root" in rs[("itops0", "IPMP004")].reason


# ------------------------------------------------------------------ IPMP005 / IPMP006


def test_module_order_demo_violation(demo_copy):
    rs = results(demo_copy)
    f = rs[("10g-failover", "IPMP005")].findings[0]
    # firewall is pushed by e1000g1's autopush link property: the fix says to reset it there
    assert f.interfaces == ("e1000g1",) and f.remedy[0] == ModRemove("e1000g1", "firewall", 2)
    [persist] = f.remedy[1:]
    assert isinstance(persist, Manual)
    assert persist.text.startswith("dladm reset-linkprop -p autopush e1000g1 ")
    assert status(rs, "itops0", "IPMP005") == "ok"
    assert status(rs, "10g-failover", "IPMP014") == "ok"  # live and configured agree


def test_module_order_persists_where_unknown_configuration_left_generic(demo_copy):
    # Without the per-link property the configured modules are unknown: the fix
    # can only say where modules may be pushed.
    edit_output(demo_copy, AUTOPUSH, None)
    rs = results(demo_copy)
    f = rs[("10g-failover", "IPMP005")].findings[0]
    assert f.remedy == (ModRemove("e1000g1", "firewall", 2), Manual(PERSIST_MODULES))


def test_module_order_configured_reference_and_order(demo_copy):
    edit_output(demo_copy, ["ifconfig", "e1000g3", "modlist"], "0 arp\n1 ip\n2 ipqos\n3 firewall\n4 e1000g\n")
    edit_output(demo_copy, ["ifconfig", "e1000g2", "modlist"], "0 arp\n1 ip\n2 firewall\n3 ipqos\n4 e1000g\n")
    cfg = Config(
        groups=(
            GroupConfig(
                "itops0", ("e1000g2", "e1000g3"), modules=("arp", "ip", "firewall", "ipqos", "e1000g")
            ),
        )
    )
    rs = results(demo_copy, cfg)
    [f] = rs[("itops0", "IPMP005")].findings
    assert f.interfaces == ("e1000g3",)
    # two operations is the least; this one moves ipqos below firewall
    assert f.remedy[:2] == (ModRemove("e1000g3", "ipqos", 2), ModInsert("e1000g3", "ipqos", 3))


def test_module_order_on_configured_modules_without_modlist(demo_copy):
    drop_modlists(demo_copy)
    rs = results(demo_copy, modlist=False)
    r = rs[("10g-failover", "IPMP005")]
    # e1000g1's autopush property pushes firewall at plumb time; no modlist ran at all
    assert r.status == "finding" and LIVE_NOT_INSPECTED in (r.reason or "")
    assert r.findings[0].message == (
        "e1000g1 is configured to get STREAMS modules firewall under ip at plumb time "
        "(dladm autopush property of e1000g1) but group 10g-failover expects (none)."
    )
    assert r.findings[0].remedy == (
        Manual(
            "dladm reset-linkprop -p autopush e1000g1 (the per-driver list then applies: the /etc/iu.ap "
            "entry of driver e1000g); it takes effect when e1000g1 is next plumbed (replumb or reboot): "
            "then check that its live modules match (ipmpd check --modlist)"
        ),
    )
    assert status(rs, "10g-failover", "IPMP006") == "ok"
    assert status(rs, "10g-failover", "IPMP014") == "skipped"
    assert "not inspected" in (rs[("10g-failover", "IPMP014")].reason or "")


def test_module_checks_unknown_when_neither_view_is_known(demo_copy):
    drop_modlists(demo_copy)
    edit_output(demo_copy, AUTOPUSH, None)
    rs = results(demo_copy, modlist=False)
    r = rs[("10g-failover", "IPMP005")]
    assert r.status == "unknown"
    assert "configured modules unknown" in r.reason and "live STREAMS stack was not inspected" in r.reason
    assert status(rs, "10g-failover", "IPMP006") == "unknown"


def test_a_failed_modlist_is_unknown_never_ok(demo_copy):
    edit_output(demo_copy, AUTOPUSH, None)
    edit_output(demo_copy, ["ifconfig", "e1000g0", "modlist"], "", exit_status=1)
    rs = results(demo_copy)
    assert status(rs, "10g-failover", "IPMP005") == "unknown"
    assert "ifconfig modlist failed: exit status 1" in rs[("10g-failover", "IPMP005")].reason


def test_stateful_module(demo_copy):
    edit_output(demo_copy, ["ifconfig", "e1000g2", "modlist"], "0 arp\n1 ip\n2 pfil\n3 e1000g\n")
    edit_output(demo_copy, ["ifconfig", "e1000g3", "modlist"], "0 arp\n1 ip\n2 pfil\n3 e1000g\n")
    rs = results(demo_copy)
    assert status(rs, "itops0", "IPMP005") == "ok"  # same everywhere...
    fs = rs[("itops0", "IPMP006")].findings  # ...but stateful
    assert [f.remedy[0] for f in fs] == [ModRemove("e1000g2", "pfil", 2), ModRemove("e1000g3", "pfil", 2)]
    cfg = Config(checks=ChecksConfig(stateful_modules=("ipqos",)))
    assert status(results(demo_copy, cfg), "itops0", "IPMP006") == "ok"


@pytest.mark.parametrize(
    "current,target,ops",
    [
        (["arp", "ip"], ["arp", "ip"], []),
        (["arp", "ip", "firewall"], ["arp", "ip"], [("modremove", "firewall", 2)]),
        (["arp", "ip"], ["arp", "ip", "pfil"], [("modinsert", "pfil", 2)]),
        (["arp", "ip", "b", "a"], ["arp", "ip", "a", "b"], [("modremove", "b", 2), ("modinsert", "b", 3)]),
        (["arp", "ip", "x", "y"], ["arp", "ip", "y", "z"], [("modremove", "x", 2), ("modinsert", "z", 3)]),
        (["ip"], ["arp", "ip"], [("modinsert", "arp", 0)]),
        (["arp", "ip"], ["ip"], None),  # arp cannot be removed
    ],
)
def test_modlist_edits_are_shortest(current, target, ops):
    result = modlist_edits(current, target)
    assert result == ops
    if result is not None:
        applied = list(current)
        for op, mod, pos in result:
            if op == "modremove":
                assert applied[pos] == mod
                del applied[pos]
            else:
                applied.insert(pos, mod)
        assert applied == target


# ------------------------------------------------------------------ IPMP007


def test_address_family(demo_copy):
    text = read_output(demo_copy, IFCONFIG) + (
        "e1000g3: flags=2000841<UP,RUNNING,MULTICAST,IPv6> mtu 1500 index 7\n"
        "\tinet6 fe80::a00:27ff:fe9c:774d/10 \n\tgroupname itops0\n"
    )
    edit_output(demo_copy, IFCONFIG, text)
    rs = results(demo_copy)
    [f] = rs[("itops0", "IPMP007")].findings
    assert f.interfaces == ("e1000g2",) and "lacks ipv6" in f.message
    assert f.remedy == (Plumb("e1000g2", "ipv6", up=True), WriteBootFile("/etc/hostname6.e1000g2", "", None))
    assert f.remediation[:2] == ("ifconfig e1000g2 inet6 plumb up", ": > /etc/hostname6.e1000g2")
    cfg = Config(groups=(GroupConfig("itops0", ("e1000g2", "e1000g3"), families=("ipv4",)),))
    [f] = results(demo_copy, cfg)[("itops0", "IPMP007")].findings
    assert f.interfaces == ("e1000g3",) and "has ipv6" in f.message


# ------------------------------------------------------------------ IPMP008


def test_same_link(demo_copy):
    replace_in_output(
        demo_copy,
        IFCONFIG,
        "inet 172.16.36.94 netmask ffffff00 broadcast 172.16.36.255",
        "inet 10.9.9.94 netmask ffffff00 broadcast 10.9.9.255",
    )
    rs = results(demo_copy)
    [f] = rs[("itops0", "IPMP008")].findings
    assert f.interfaces == ("e1000g2", "e1000g3") and "share no subnet" in f.message
    assert status(rs, "10g-failover", "IPMP008") == "ok"


def test_same_link_unknown_without_addresses(demo_copy):
    lines = read_output(demo_copy, IFCONFIG).splitlines()
    out, skip = [], False
    for line in lines:
        if line.startswith(("e1000g2:", "e1000g3:")):
            skip = True
            out.append(line)
            continue
        if not line.startswith("\t"):
            skip = False
        if skip and "inet " in line:
            continue
        out.append(line)
    edit_output(demo_copy, IFCONFIG, "\n".join(out) + "\n")
    rs = results(demo_copy)
    assert status(rs, "itops0", "IPMP008") == "unknown"


# ------------------------------------------------------------------ IPMP009 / IPMP010


def test_media_type_and_atm(demo_copy):
    replace_in_output(demo_copy, LINKS, "e1000g3:Ethernet", "e1000g3:ATM(ClassicIP)")
    rs = results(demo_copy)
    assert "e1000g3 ATM(ClassicIP)" in rs[("itops0", "IPMP009")].findings[0].message
    assert rs[("itops0", "IPMP010")].findings[0].interfaces == ("e1000g3",)
    assert status(rs, "10g-failover", "IPMP009") == "ok"
    assert status(rs, "10g-failover", "IPMP010") == "ok"


def test_media_skipped_on_solaris10_which_has_no_dladm_show_phys(demo_copy):
    # Solaris 10 has no source of media types: a platform limit, not a failure
    # to look -- skipped with the reason, never ok.
    edit_output(demo_copy, ["uname", "-a"], "SunOS fulvia 5.10 Generic_127128-11 i86pc i386 i86pc\n")
    rs = results(demo_copy)
    assert status(rs, "itops0", "IPMP009") == "skipped"
    assert rs[("itops0", "IPMP009")].reason == "not available on solaris10: links does not exist there"
    assert status(rs, "itops0", "IPMP010") == "skipped"
    # Where dladm show-phys exists but fails, it is unknown.
    edit_output(
        demo_copy, ["uname", "-a"], "SunOS omnios64 5.11 omnios-r151044-d3b715b9d1 i86pc i386 i86pc\n"
    )
    edit_output(demo_copy, LINKS, "", exit_status=1)
    assert status(results(demo_copy), "itops0", "IPMP009") == "unknown"


# ------------------------------------------------------------------ IPMP011


def test_membership(demo_copy):
    cfg = Config(
        groups=(
            GroupConfig("itops0", ("e1000g2", "e1000g4")),
            GroupConfig("orapriv", ("e1000g5", "e1000g6")),
        )
    )
    rs = results(demo_copy, cfg)
    msgs = sorted(f.message for f in rs[("itops0", "IPMP011")].findings)
    assert msgs == [
        "e1000g3 is a member of group itops0 but the configuration does not name it.",
        "e1000g4 is configured for group itops0 but is not a member.",
    ]
    assert (
        rs[("orapriv", "IPMP011")].findings[0].message
        == "Configured group orapriv does not exist on this host."
    )
    assert status(rs, "orapriv", "IPMP013") == "skipped"  # not running: the membership finding speaks
    assert status(rs, "10g-failover", "IPMP011") == "skipped"
    ok = Config(groups=(GroupConfig("itops0", ("e1000g2", "e1000g3")),))
    assert status(results(demo_copy, ok), "itops0", "IPMP011") == "ok"


# ------------------------------------------------------------------ IPMP012


def test_persistence_missing_group_in_hostname_file(demo_copy):
    edit_file(demo_copy, "/etc/hostname.e1000g3", "172.16.36.94 netmask 255.255.255.0 up\n")
    rs = results(demo_copy)
    [f] = rs[("itops0", "IPMP012")].findings
    assert f.interfaces == ("e1000g3",) and "without 'group itops0'" in f.message
    assert status(rs, "10g-failover", "IPMP012") == "ok"


def test_persistence_illumos_ipadm_without_hostname_file(demo_copy):
    edit_file(demo_copy, "/etc/hostname.e1000g3", None)
    replace_in_output(demo_copy, IPADM_IF, "e1000g3:ok:bm------4-:---", "e1000g3:ok:bm------4-:-4-")
    [f] = results(demo_copy)[("itops0", "IPMP012")].findings
    assert f.message.startswith("ipadm restores e1000g3 at boot but not in group itops0")
    replace_in_output(demo_copy, IPADM_IF, "e1000g3:ok:bm------4-:-4-", "")
    [f] = results(demo_copy)[("itops0", "IPMP012")].findings
    assert f.message == (
        "nothing in the boot configuration plumbs e1000g3; after a reboot it is not in the group."
    )


def test_persistence_solaris11_ipadm_temporary_member(demo_copy):
    edit_output(demo_copy, ["uname", "-a"], "SunOS solaris-vagrant 5.11 11.4.0.15.0 i86pc i386 i86pc\n")
    replace_in_output(demo_copy, IPADM_IF, "e1000g2:ok:bm------4-:---", "e1000g2:ok:bm------4-:-4-")
    rs = results(demo_copy)
    [f] = rs[("itops0", "IPMP012")].findings
    # Created with -t: making it persistent means recreating it, which is by hand.
    assert f.interfaces == ("e1000g3",) and f.verification == "by hand"
    assert "ipadm add-ipmp -i e1000g3 ipmp1" in f.remediation[0]


# ------------------------------------------------------------------ IPMP013


def test_group_health(demo_copy):
    replace_in_output(
        demo_copy,
        GROUPS,
        "ipmp1:itops0:ok:10.00s:e1000g2 e1000g3",
        "ipmp1:itops0:degraded:10.00s:e1000g2 [e1000g3]",
    )
    replace_in_output(
        demo_copy, IFS, "e1000g3:yes:ipmp1:-------:up:ok:ok", "e1000g3:no:ipmp1:-----d-:down:failed:failed"
    )
    rs = results(demo_copy)
    [f] = rs[("itops0", "IPMP013")].findings
    assert f.message == "Group itops0 is degraded: e1000g3 failed."
    assert status(rs, "10g-failover", "IPMP013") == "ok"


def test_group_health_solaris10_flags(demo_copy):
    edit_output(demo_copy, ["uname", "-a"], "SunOS fulvia 5.10 Generic_127128-11 i86pc i386 i86pc\n")
    replace_in_output(
        demo_copy,
        IFCONFIG,
        "e1000g3: flags=9040843<UP,BROADCAST,RUNNING,MULTICAST,DEPRECATED,IPv4,NOFAILOVER>",
        "e1000g3: flags=19040843<UP,BROADCAST,RUNNING,MULTICAST,DEPRECATED,IPv4,NOFAILOVER,FAILED>",
    )
    rs = results(demo_copy)
    [f] = rs[("itops0", "IPMP013")].findings
    assert "degraded" in f.message and f.interfaces == ("e1000g3",)


def test_group_health_unknown(demo_copy):
    edit_output(demo_copy, IFCONFIG, None)
    edit_output(demo_copy, GROUPS, None)
    rs = results(demo_copy, Config(groups=(GroupConfig("itops0", ("e1000g2", "e1000g3")),)))
    assert status(rs, "itops0", "IPMP013") == "unknown"


# ------------------------------------------------------------------ configuration effects


def test_ignore_and_severity_override(demo_copy):
    cfg = Config(checks=ChecksConfig(ignore=("module-order",), severity=(("IPMP013", "warning"),)))
    rs = results(demo_copy, cfg)
    assert rs[("10g-failover", "IPMP005")].status == "skipped"
    assert rs[("10g-failover", "IPMP005")].reason == "ignored in [checks] ignore"
    assert rs[("10g-failover", "IPMP013")].severity == "warning"


@pytest.mark.parametrize("code", ["IPMP003", "IPMP007", "IPMP008", "IPMP011"])
def test_unknown_when_ifconfig_does_not_answer(demo_copy, code):
    edit_output(demo_copy, IFCONFIG, "", exit_status=1)
    cfg = Config(groups=(GroupConfig("itops0", ("e1000g2", "e1000g3")),))
    r = results(demo_copy, cfg)[("itops0", code)]
    assert r.status == "unknown" and "ifconfig" in (r.reason or "")


def test_unique_mac_survives_ifconfig_failing(demo_copy):
    # One broken source hides nothing else: ipmpstat names the members, dladm their MACs.
    edit_output(demo_copy, IFCONFIG, "", exit_status=1)
    assert status(results(demo_copy), "itops0", "IPMP004") == "ok"


def test_group_name_needs_no_source(demo_copy):
    # The name is known from the configuration even when nothing on the host answers.
    edit_output(demo_copy, IFCONFIG, None)
    edit_output(demo_copy, GROUPS, None)
    rs = results(demo_copy, Config(groups=(GroupConfig("itops0", ("e1000g2", "e1000g3")),)))
    assert status(rs, "itops0", "IPMP001") == "ok"
