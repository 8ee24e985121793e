"""Every parser against real published outputs (tests/fixtures/samples), malformed input first."""

from __future__ import annotations

import pytest
from helpers import sample, to_parsable

from ipmpd.parsers import (
    ParseError,
    dladm,
    eeprom,
    hostname,
    ifconfig,
    ipadm,
    ipmpstat,
    modlist,
    normalise_mac,
    split_parsable,
)
from ipmpd.parsers import uname as uname_p

# ---------------------------------------------------------------- ofmt split


@pytest.mark.parametrize(
    "line,n,expected",
    [
        ("a\\", 2, ParseError),  # ends inside an escape
        ("a:b:c", 2, ParseError),  # too many fields
        ("a", 2, ParseError),  # too few
        ("x\\\\:y", 2, ["x\\", "y"]),  # value ending in an escaped backslash
        ("lo0/v6:\\:\\:1/128", 2, ["lo0/v6", "::1/128"]),  # conch sample
        ("acctg1::[hme0 hme1]", 3, ["acctg1", "", "[hme0 hme1]"]),  # doc 819-6990
        ("fe80::1", 1, ["fe80::1"]),  # one field: printed raw
    ],
)
def test_split_parsable(line, n, expected):
    if expected is ParseError:
        with pytest.raises(ParseError):
            split_parsable(line, n, "t", 1)
    else:
        assert split_parsable(line, n, "t", 1) == expected


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("0:xx:xx:xx:xx:xx", None),
        ("1:2:3", None),
        ("0:15:17:14:9c:a", "00:15:17:14:9c:0a"),
        ("0:C:29:84:3B:CE", "00:0c:29:84:3b:ce"),
    ],
)
def test_normalise_mac(raw, expected):
    assert normalise_mac(raw) == expected


# ---------------------------------------------------------------- ifconfig -a


@pytest.mark.parametrize(
    "name,reason",
    [
        ("", None),
        ("ifconfig-a__nexentastor-eisscholle-collapsed__1.txt", "unexpected word"),
        ("ifconfig-a__solaris9-sun-infodoc70062__1.txt", "indented line before"),
        ("ifconfig-if__solaris9-oracle-doc-806-4075-mangled__1.txt", "indented line before"),
        ("ifconfig-if__solaris10-soniah-blog__1.txt", "not a MAC address"),
        ("ifconfig-a__illumos-man-ifconfig8-usesrc__1.txt", "unknown line"),
    ],
)
def test_ifconfig_malformed(name, reason):
    if not name:
        assert ifconfig.parse("") == ()
        with pytest.raises(ParseError) as e:
            ifconfig.parse("\tinet 1.2.3.4 netmask ff000000\n")
        assert e.value.lineno == 1 and e.value.source == "ifconfig"
        with pytest.raises(ParseError):
            ifconfig.parse("e1000g0: flags=zz<UP> mtu 1500\n")
        with pytest.raises(ParseError):
            ifconfig.parse("e1000g0: flags=1000843<UP> mtu 1500 index 2\n\tinet 1.2.3.4 netmask zz\n")
        return
    with pytest.raises(ParseError) as e:
        ifconfig.parse(sample(name))
    assert reason in e.value.reason
    assert e.value.lineno >= 1


SPACES = "ifconfig-a__solaris10-blog-fr-ipmp__1.txt"  # 8-space indentation
TABS = "ifconfig-a__openindiana-2021.10-glpi-agent__1.txt"  # real TABs


def _plant(name: str, *edits: tuple[str, str]) -> str:
    """A real sample with edits planted; each edited text must be there (no vacuous case)."""
    text = sample(name)
    for old, new in edits:
        assert text.count(old) == 1, f"{old!r} is not once in {name}"
        text = text.replace(old, new)
    return text


# One address line per block: ifconfig.c ifstatus() prints the header, then
# in_status() or in6_status() -- only the one matching the IPv4/IPv6 flag --
# prints a single inet/inet6 line.  A second one must not overwrite the first.
@pytest.mark.parametrize(
    "name,old,new,lineno,reason",
    [
        (
            SPACES,
            "inet 192.168.0.72 netmask ffffff00 broadcast 192.168.0.255\n",
            "inet 192.168.0.72 netmask ffffff00 broadcast 192.168.0.255\n"
            "        inet 192.168.0.74 netmask ffffff00 broadcast 192.168.0.255\n",
            5,
            "second inet line in one interface block",
        ),
        (
            TABS,
            "\tinet6 fe80::a00:27ff:fefc:fb04/10 \n",
            "\tinet6 fe80::a00:27ff:fefc:fb04/10 \n\tinet6 2a01:e0a:35c:740:a00:27ff:fefc:fb04/64 \n",
            9,
            "second inet6 line in one interface block",
        ),
        (
            TABS,
            "\tinet 192.168.1.97 netmask ffffff00 broadcast 192.168.1.255\n",
            "\tinet 192.168.1.97 netmask ffffff00 broadcast 192.168.1.255\n\tinet6 fe80::a00:27ff:fefc:fb04/10 \n",
            5,
            "inet6 line after an inet line",
        ),
        # NOLOCAL forms (in_status()/in6_status() print "subnet %s/%d "), broken
        (TABS, "\tinet6 ::1/128 \n", "\tinet6 subnet ::1 \n", 6, "is not ADDRESS/PREFIX"),
        (TABS, "\tinet6 ::1/128 \n", "\tinet6 subnet \n", 6, "subnet without a value"),
        (SPACES, "inet 127.0.0.1 netmask", "inet subnet 127.0.0.0/33 netmask", 2, "is not ADDRESS/PREFIX"),
    ],
)
def test_ifconfig_planted_malformed(name, old, new, lineno, reason):
    with pytest.raises(ParseError) as e:
        ifconfig.parse(_plant(name, (old, new)))
    assert reason in e.value.reason
    assert e.value.lineno == lineno and e.value.source == "ifconfig"


def test_ifconfig_tunnel_lines_are_not_a_second_address():
    entries = ifconfig.parse(sample("ifconfig-a__solaris11-saltstack-test-network__1.txt"))
    assert [e.address for e in entries if e.name == "vpn0" and e.family == "ipv4"] == ["10.6.0.14"]


# NOLOCAL: in_status() prints "\tinet " then "subnet %s/%d " "netmask %x "
# ["broadcast %s"]; in6_status() prints "\tinet6 " then "subnet %s/%d ".  Both
# may print "subnet %s/%d " after a local address too (illumos-gate
# usr/src/cmd/cmd-inet/usr.sbin/ifconfig/ifconfig.c).  The flags get the
# NOLOCAL bit 0x20000 (if_flags_tbl order: after NOXMIT, before DEPRECATED).
@pytest.mark.parametrize(
    "name,edits,block,address,subnet,prefixlen",
    [
        (
            SPACES,
            (
                (
                    "e1000g0:2: flags=1000843<UP,BROADCAST,RUNNING,MULTICAST,IPv4>",
                    "e1000g0:2: flags=1020843<UP,BROADCAST,RUNNING,MULTICAST,NOLOCAL,IPv4>",
                ),
                ("inet 192.168.0.74 netmask", "inet subnet 192.168.0.0/24 netmask"),
            ),
            ("e1000g0:2", "ipv4"),
            None,
            "192.168.0.0/24",
            24,
        ),
        (
            TABS,
            (
                (
                    "e1000g0: flags=1004843<UP,BROADCAST,RUNNING,MULTICAST,DHCP,IPv4>",
                    "e1000g0: flags=1024843<UP,BROADCAST,RUNNING,MULTICAST,DHCP,NOLOCAL,IPv4>",
                ),
                ("\tinet 192.168.1.97 netmask", "\tinet subnet 192.168.1.0/24 netmask"),
            ),
            ("e1000g0", "ipv4"),
            None,
            "192.168.1.0/24",
            24,
        ),
        (
            TABS,
            (
                (
                    "e1000g0:1: flags=20002080841<UP,RUNNING,MULTICAST,ADDRCONF,IPv6>",
                    "e1000g0:1: flags=200020a0841<UP,RUNNING,MULTICAST,NOLOCAL,ADDRCONF,IPv6>",
                ),
                ("\tinet6 2a01:e0a:35c:740:a00:27ff:fefc:fb04/64 ", "\tinet6 subnet 2a01:e0a:35c:740::/64 "),
            ),
            ("e1000g0:1", "ipv6"),
            None,
            "2a01:e0a:35c:740::/64",
            64,
        ),
        (  # not NOLOCAL: a local address and a subnet, both kept
            SPACES,
            (("inet 192.168.0.74 netmask", "inet 192.168.0.74 subnet 192.168.0.0/24 netmask"),),
            ("e1000g0:2", "ipv4"),
            "192.168.0.74",
            "192.168.0.0/24",
            24,
        ),
        (
            TABS,
            (
                (
                    "\tinet6 fe80::a00:27ff:fefc:fb04/10 ",
                    "\tinet6 fe80::a00:27ff:fefc:fb04/10 subnet fe80::/10 ",
                ),
            ),
            ("e1000g0", "ipv6"),
            "fe80::a00:27ff:fefc:fb04",
            "fe80::/10",
            10,
        ),
    ],
)
def test_ifconfig_nolocal_and_subnet(name, edits, block, address, subnet, prefixlen):
    text = _plant(name, *edits)
    # Tabs and spaces both accepted, with the same result.
    other = text.replace("        ", "\t") if name == SPACES else text.replace("\t", "        ")
    entries = ifconfig.parse(text)
    assert ifconfig.parse(other) == entries
    assert len(entries) == len(ifconfig.parse(sample(name)))  # no block lost or added
    e = [e for e in entries if (e.name, e.family) == block][0]
    assert (e.address, e.subnet, e.prefixlen) == (address, subnet, prefixlen)
    assert ("NOLOCAL" in e.flags) == (address is None)
    others = [x for x in entries if (x.name, x.family) != block]
    assert all(x.subnet is None for x in others)


def test_ifconfig_solaris10_ipmp_standby():
    entries = ifconfig.parse(sample("ifconfig-a__solaris10-blog-fr-ipmp__1.txt"))
    by = {e.name: e for e in entries}
    assert [e.name for e in entries] == ["lo0", "e1000g0", "e1000g0:1", "e1000g0:2", "e1000g1"]
    e0 = by["e1000g0"]
    assert e0.groupname == "ipmp0" and e0.ether == "00:1e:68:49:ae:98"
    assert e0.prefixlen == 24 and e0.family == "ipv4" and e0.index == 2
    test = by["e1000g0:1"]
    assert test.physical == "e1000g0" and test.unit == 1 and "NOFAILOVER" in test.flags
    assert test.groupname is None  # never printed on a logical interface
    e1 = by["e1000g1"]
    assert e1.mtu == 0 and e1.address == "0.0.0.0" and e1.prefixlen == 0
    assert {"STANDBY", "INACTIVE", "NOFAILOVER"} <= set(e1.flags)
    assert e1.flags_value == 0x69040842


def test_ifconfig_tabs_and_unnamed_bits():
    # OpenIndiana, real TABs, non-root (no ether), IPv6 with the unnamed NOLINKLOCAL bit.
    entries = ifconfig.parse(sample("ifconfig-a__openindiana-2021.10-glpi-agent__1.txt"))
    v6 = [e for e in entries if e.name == "e1000g0" and e.family == "ipv6"][0]
    assert "NOLINKLOCAL" in v6.flags and v6.prefixlen == 10
    assert all(e.ether is None for e in entries)  # unknown, not "no MAC"
    assert [e.family for e in entries].count("ipv6") == 3


def test_ifconfig_solaris11_ipmp_and_physrunning():
    entries = ifconfig.parse(sample("ifconfig-a__solaris11-zone-groovy-ecp_ci__1.txt"))
    ipmp0 = [e for e in entries if e.name == "ipmp0" and e.family == "ipv4"][0]
    assert "IPMP" in ipmp0.flags and "PHYSRUNNING" in ipmp0.flags and ipmp0.groupname == "ipmp0"
    stdby = [e for e in entries if e.name == "data_ecp_ci_00_lh_stdby1"][0]
    assert "STANDBY" in stdby.flags


def test_ifconfig_tunnel_pointtopoint_vrrp():
    entries = ifconfig.parse(sample("ifconfig-a__solaris11-saltstack-test-network__1.txt"))
    vpn = [e for e in entries if e.name == "vpn0" and e.family == "ipv4"][0]
    assert vpn.destination == "10.6.0.15"
    vrrp = ifconfig.parse(sample("ifconfig-if__smartos-docs-managing-nics-vrrp__1.txt"))[0]
    assert {"VRRP", "L3PROTECT", "CoS"} <= set(vrrp.flags) and "UP" not in vrrp.flags
    assert vrrp.ether == "00:00:5e:00:01:64"


def test_ifconfig_zone_and_srcof_lines():
    text = (
        "vni0:1: flags=2001000841<UP,RUNNING,MULTICAST,IPv4,VIRTUAL> mtu 0 index 5\n"
        "\tzone test1\n\tsrcof hme0 eri0\n\tinet 10.0.0.1 netmask ffffffff \n"
    )
    e = ifconfig.parse(text)[0]
    assert e.zone == "test1" and e.srcof == ("hme0", "eri0") and e.prefixlen == 32


def test_ifconfig_spaces_instead_of_tabs():
    text = sample("ifconfig-a__solaris10-blog-fr-ipmp__1.txt")
    assert ifconfig.parse(text) == ifconfig.parse(text.replace("        ", "\t"))


@pytest.mark.parametrize(
    "name,count",
    [
        ("ifconfig-a__opensolaris-facter-fixture__1.txt", 5),
        ("ifconfig-a__opensolaris-fusioninventory__1.txt", 5),
        ("ifconfig-a__opensolaris-oracle-solaris-fr__1.txt", 4),
        ("ifconfig-a__solaris10-fusioninventory__1.txt", 7),
        ("ifconfig-a__solaris11-react-notes__1.txt", 4),
        ("ifconfig-a__sunos-facter-fixture__1.txt", 5),
        ("ifconfig-if__smartos-virtualbox-blog__1.txt", 1),
    ],
)
def test_ifconfig_other_real_hosts(name, count):
    assert len(ifconfig.parse(sample(name))) == count


# ---------------------------------------------------------------- modlist


def test_modlist():
    with pytest.raises(ParseError):
        modlist.parse("")
    with pytest.raises(ParseError):
        modlist.parse("arp\nip\n")
    with pytest.raises(ParseError):
        modlist.parse("1 ip\n0 arp\n")  # not ascending
    assert modlist.parse(sample("ifconfig-modlist__illumos-man-ifconfig8__1.txt")) == (
        "arp",
        "ip",
        "firewall",
        "eri",
    )
    assert modlist.parse(sample("ifconfig-modlist__illumos-man-ifconfig8__3.txt"))[2] == "ipqos"
    assert modlist.parse("\t0 arp\n\t1 ip\n\t2 hme\n") == ("arp", "ip", "hme")


# ---------------------------------------------------------------- ipmpstat


def test_ipmpstat_groups():
    with pytest.raises(ParseError):
        ipmpstat.parse_groups("ipmp0:g:ok\n")  # truncated
    with pytest.raises(ParseError):
        ipmpstat.parse_groups("ipmp0:g:sleepy:10.00s:a b\n")
    with pytest.raises(ParseError):
        ipmpstat.parse_groups("ipmp0:g:ok:10.00s:a (b\n")
    with pytest.raises(ParseError):
        ipmpstat.parse_groups("ipmp0:g:ok:ten:a\n")
    # Borges (Solaris 11.1), human -> parsable, the long names overflow their columns.
    rows = ipmpstat.parse_groups(to_parsable(sample("ipmpstat-g__solaris11-borges-cookbook__2.txt"), 5))
    assert rows[0].groupname == "hacker_ipmp0" and rows[0].fdt == 10.0 and len(rows[0].active) == 4
    rows = ipmpstat.parse_groups(to_parsable(sample("ipmpstat-g__solaris11-borges-cookbook__1.txt"), 5))
    assert rows[0].fdt is None  # FDT "--": probe-based detection off
    # Oracle 819-6990 ok / failed / degraded, with (inactive) and [unusable] markup.
    rows = ipmpstat.parse_groups(to_parsable(sample("ipmpstat-g__opensolaris-oracle-doc-819-6990__1.txt"), 5))
    degraded = [r for r in rows if r.state == "degraded"][0]
    assert degraded.active == ("fops0", "fops3") and degraded.inactive == ("fops2",)
    assert degraded.unusable == ("fops1",)
    failed = [r for r in rows if r.state == "failed"][0]
    assert failed.unusable == ("hme0", "hme1") and failed.active == ()


def test_ipmpstat_doc_parsable_sample_has_three_fields():
    # The doc asked for groupname,fdt,interfaces only; ipmpd always asks for five.
    with pytest.raises(ParseError):
        ipmpstat.parse_groups(sample("ipmpstat-gP-o__opensolaris-oracle-doc-819-6990__1.txt"))


def test_ipmpstat_interfaces():
    with pytest.raises(ParseError):
        ipmpstat.parse_interfaces("net0:maybe:ipmp0:-------:up:ok:ok\n")
    with pytest.raises(ParseError):
        ipmpstat.parse_interfaces("net0:yes:ipmp0:-i-----:up:ok:ok\n")  # impossible per ipmpstat.c
    with pytest.raises(ParseError):
        ipmpstat.parse_interfaces("net0:yes:ipmp0:--mb--:up:ok:ok\n")  # 6 positions
    rows = ipmpstat.parse_interfaces(
        to_parsable(sample("ipmpstat-i__solaris11-korean-check-ct-ttms-18__1.txt"), 7)
    )
    standby = [r for r in rows if r.flags.startswith("is")][0]
    assert standby.standby and standby.inactive and not standby.active
    rows = ipmpstat.parse_interfaces(to_parsable(sample("ipmpstat-i__solaris11-react-notes__2.txt"), 7))
    assert [r.state for r in rows if r.interface == "vnic0"] == ["offline"]
    rows = ipmpstat.parse_interfaces(
        to_parsable(
            sample("ipmpstat-i__nexentastor-eisscholle-collapsed__1.txt").replace(" e1000g", "\ne1000g"), 7
        )
    )
    assert [r.interface for r in rows] == ["e1000g1", "e1000g0"]
    assert ipmpstat.parse_interfaces("net0:yes:ipmp0:-------:<7>:ok:ok\n")[0].link == "unknown"


def test_ipmpstat_targets():
    with pytest.raises(ParseError):
        ipmpstat.parse_targets("net0:sometimes:1.2.3.4:5.6.7.8\n")
    rows = ipmpstat.parse_targets(to_parsable(sample("ipmpstat-t__solaris11-borges-cookbook__1.txt"), 4))
    assert rows[3].targets == ("192.168.1.112", "192.168.1.188", "192.168.1.113")
    rows = ipmpstat.parse_targets(
        to_parsable(sample("ipmpstat-nt__opensolaris-oracle-doc-819-6990__1.txt"), 4)
    )
    assert any(r.mode == "disabled" and r.testaddr is None and r.targets == () for r in rows)


# ---------------------------------------------------------------- dladm


def test_dladm_phys():
    with pytest.raises(ParseError):
        dladm.parse_phys("e1000g0:Ethernet:up:fast:full:e1000g0\n")
    with pytest.raises(ParseError):
        dladm.parse_phys("e1000g0:Ethernet:up\n")
    rows = dladm.parse_phys(to_parsable(sample("dladm-show-phys__omnios-guide__1.txt"), 6))
    assert rows[1].state is None and rows[1].speed == 1000  # STATE "?"
    rows = dladm.parse_phys(to_parsable(sample("dladm-show-phys__solaris11-emc-notes__1.txt"), 6))
    assert {r.media for r in rows} == {"Ethernet"}
    rows = dladm.parse_phys(to_parsable(sample("dladm-show-phys__openindiana-lacp-blog__1.txt"), 6))
    assert any(r.state == "down" and r.speed == 10000 for r in rows)


def test_dladm_macs():
    with pytest.raises(ParseError):
        dladm.parse_macs("e1000g0:primary:not-a-mac:yes:e1000g0\n")
    with pytest.raises(ParseError):
        dladm.parse_macs("e1000g0:primary:0\\:c\\:29\\:70\\:65\\:29:perhaps:--\n")
    rows = dladm.parse_macs(to_parsable(sample("dladm-show-phys-m__solaris11-react-notes__1.txt"), 5))
    assert rows[0].address == "00:0c:29:70:65:29" and rows[0].inuse
    rows = dladm.parse_macs(to_parsable(sample("dladm-show-phys-m__helios-illumos-doc__1.txt"), 5))
    assert rows[1].client is None and not rows[1].inuse


# ---------------------------------------------------------------- ipadm


def test_ipadm_if():
    with pytest.raises(ParseError):
        ipadm.parse_if(":ok:bm------46:-46\n")
    with pytest.raises(ParseError):
        ipadm.parse_if("bnx0:ok\n")
    rows = ipadm.parse_if(to_parsable(sample("ipadm-show-if__openindiana-lacp-blog__1.txt"), 4))
    bnx0 = [r for r in rows if r.ifname == "bnx0"][0]
    assert bnx0.persistent_families == ("ipv4", "ipv6")
    lo0 = [r for r in rows if r.ifname == "lo0"][0]
    assert lo0.persistent_families == ()


def test_ipadm_addr():
    with pytest.raises(ParseError):
        ipadm.parse_addr("noslash:static:ok:U----:U--:1.2.3.4/8\n")
    with pytest.raises(ParseError):
        ipadm.parse_addr("lo0/v4:static:ok:U----:U--:1.2.3.4/x\n")
    with pytest.raises(ParseError, match="expected 6 fields"):
        # default columns (4 fields) are not what ipmpd asks for
        ipadm.parse_addr(to_parsable(sample("ipadm-show-addr__solaris11-borges-cookbook__1.txt"), 4))
    text = "\n".join(
        f"{a}:{t}:{s}:U----:U--:{addr.replace(':', chr(92) + ':')}"
        for a, t, s, addr in (
            line.split() for line in sample("ipadm-show-addr__omnios-guide__2.txt").splitlines()[1:]
        )
    )
    rows = ipadm.parse_addr(text)
    assert rows[1].interface == "e1000g0" and rows[1].prefixlen == 24
    assert rows[2].address == "::1" and rows[2].prefixlen == 128


# ---------------------------------------------------------------- hostname files


def _files(name: str) -> dict[str, str]:
    """Split a 'cat /etc/hostname.X' transcript into {path: text}."""
    out: dict[str, list[str]] = {}
    cur = None
    for line in sample(name).splitlines():
        stripped = line.strip()
        if "/etc/hostname" in stripped and (stripped.startswith("#") or stripped.startswith("/")):
            cur = stripped.split()[-1]
            out[cur] = []
        elif cur and not set(stripped) <= {"-"}:
            out[cur].append(line)
    return {k: "\n".join(v) + "\n" for k, v in out.items()}


def test_hostname_files():
    with pytest.raises(ParseError):
        hostname.parse("/etc/passwd", "root:x:0:0\n")
    with pytest.raises(ParseError):
        hostname.parse("/etc/hostname.e1000g0", "10.0.0.1 group\n")
    with pytest.raises(ParseError):
        hostname.parse("/etc/hostname.e1000g0", "10.0.0.1 netmask + up \\\n")
    with pytest.raises(ParseError):
        hostname.parse("/etc/hostname.e1000g0", "10.0.0.1 $(reboot) up\n")
    soniah = _files("hostname-files__solaris10-soniah-blog__1.txt")
    bge2 = hostname.parse("/etc/hostname.bge2", soniah["/etc/hostname.bge2"])
    assert bge2.group == "inner-prod" and len(bge2.addresses) == 2 and bge2.addresses[0].test
    bge3 = hostname.parse("/etc/hostname.bge3", soniah["/etc/hostname.bge3"])
    assert bge3.standby
    info = _files("hostname-files__solaris9-sun-infodoc70062__1.txt")
    qfe0 = hostname.parse("/etc/hostname.qfe0", info["/etc/hostname.qfe0"])
    assert qfe0.group == "ipmp0" and qfe0.addresses[1].test  # "\" continuation + addif
    full = _files("hostname-files__solaris10-fullautomatic-ru-linkbased__1.txt")
    e1 = hostname.parse("/etc/hostname.e1000g1", full["/etc/hostname.e1000g1"])
    assert e1.group == "test_ipmp" and not any(a.test for a in e1.addresses)
    acc = _files("hostname-files__solaris10-unixcom-forum-accgrp__1.txt")
    ce6 = hostname.parse("/etc/hostname.ce6", acc["/etc/hostname.ce6"])
    assert ce6.group == "accgrp"
    nex = sample("hostname-files__nexentastor-eisscholle__1.txt").splitlines()
    ipmp = hostname.parse("/etc/hostname.ipmp0", nex[3] + "\n")
    assert ipmp.ipmp and ipmp.group == "10g-failover"
    v6 = hostname.parse("/etc/hostname6.e1000g0", "addif fe80::1/10 -failover up\n")
    assert v6.family == "ipv6"
    logical = hostname.parse("/etc/hostname.hme0:1", "10.0.0.9 group g up\n")
    assert logical.interface == "hme0:1" and logical.group == "g"


# ---------------------------------------------------------------- eeprom, uname


def test_eeprom():
    with pytest.raises(ParseError):
        eeprom.parse("")
    with pytest.raises(ParseError):
        eeprom.parse("local-mac-address?=maybe\n")
    with pytest.raises(ParseError):
        eeprom.parse("boot-device=disk\n")
    assert eeprom.parse(sample("eeprom-local-mac-address__opensolaris-oracle-doc-819-6990__1.txt")) is False
    assert eeprom.parse("local-mac-address?=true\n") is True


@pytest.mark.parametrize(
    "text,platform,arch",
    [
        ("", ParseError, None),
        ("Linux box 6.1.0 #1 SMP x86_64 GNU/Linux", ParseError, None),
        ("SunOS", ParseError, None),
        # Published uname -a lines (sources in ipmpd/parsers/uname.py and tests/fixtures/README.md)
        ("SunOS fulvia 5.10 Generic_127128-11 i86pc i386 i86pc", "solaris10", "i386"),
        ("SunOS t2 5.10 Generic_141414-02 sun4v sparc SUNW,T5240", "solaris10", "sparc"),
        ("SunOS solaris-vagrant 5.11 11.4.0.15.0 i86pc i386 i86pc", "solaris11", "i386"),
        ("SunOS omnios64 5.11 omnios-r151044-d3b715b9d1 i86pc i386 i86pc", "illumos", "i386"),
        ("SunOS old 5.9 Generic_122300-61 sun4u sparc SUNW,Sun-Fire-V240", "unknown", "sparc"),
    ],
)
def test_uname(text, platform, arch):
    if platform is ParseError:
        with pytest.raises(ParseError):
            uname_p.parse(text)
        return
    u = uname_p.parse(text)
    assert (u.platform, u.arch) == (platform, arch)
