"""What ipmpd reads on a host: the one table of sources.

Each :class:`Source` names what it runs or reads (its ``kind``: a command,
a command run once per link, a set of files, or the files a pattern
matches), the parse function for it, and the platforms it applies to.  The
Python gatherer (:mod:`ipmpd.gather`) and the shell collector
(``ipmpd/collect.sh``, whose command list is generated from this table) both
follow it, so a capture from either replays the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Optional

from ipmpd.parsers import autopush, dladm, eeprom, hostname, ifconfig, ipadm, ipmpstat, modlist, uname

# Solaris link names: letters, digits, underscores and dots, starting with a
# letter and ending with a digit (dladm(8) "link names"), at most 31 chars
# (MAXLINKNAMELEN 32).  Nothing that fails this is ever put on a command line.
LINK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.]{0,29}[0-9]$")

# --------------------------------------------------------------------------
# These argvs are fixed so that captures taken by different versions of
# ipmpd (and by the shell collector) stay interchangeable.

ALL = ("solaris10", "solaris11", "illumos", "unknown")
CLEARVIEW = ("solaris11", "illumos", "unknown")  # ipmpstat, dladm show-phys, ipadm

COMMAND = "command"  # ``argv`` run once
PER_LINK = "per-link"  # ``argv`` run once per link, its placeholders filled in
FILES = "files"  # each of ``paths`` read; an absent one is recorded as such
GLOB = "glob"  # the files each of ``paths`` (patterns) matches, each read


@dataclass(frozen=True)
class Source:
    name: str
    kind: str
    platforms: tuple[str, ...]
    parse: Callable[..., Any]
    argv: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    sparc_only: bool = False
    doc: str = ""


# Run once per gather, each where it applies.
COMMANDS: tuple[Source, ...] = (
    Source("uname", COMMAND, ALL, uname.parse, ("uname", "-a"), doc="platform and arch"),
    Source(
        "ifconfig",
        COMMAND,
        ALL,
        ifconfig.parse,
        ("ifconfig", "-a"),
        doc="interfaces, flags, addresses, groupname, ether",
    ),
    Source(
        "ipmp-groups",
        COMMAND,
        CLEARVIEW,
        ipmpstat.parse_groups,
        ("ipmpstat", "-g", "-P", "-o", "group,groupname,state,fdt,interfaces"),
        doc="group state and members",
    ),
    Source(
        "ipmp-interfaces",
        COMMAND,
        CLEARVIEW,
        ipmpstat.parse_interfaces,
        ("ipmpstat", "-i", "-P", "-o", "interface,active,group,flags,link,probe,state"),
        doc="member state",
    ),
    Source(
        "ipmp-targets",
        COMMAND,
        CLEARVIEW,
        ipmpstat.parse_targets,
        ("ipmpstat", "-t", "-P", "-o", "interface,mode,testaddr,targets"),
        doc="probe mode and test addresses",
    ),
    Source(
        "links",
        COMMAND,
        CLEARVIEW,
        dladm.parse_phys,
        ("dladm", "show-phys", "-p", "-o", "link,media,state,speed,duplex,device"),
        doc="media type and link state",
    ),
    Source(
        "macs",
        COMMAND,
        CLEARVIEW,
        dladm.parse_macs,
        ("dladm", "show-phys", "-m", "-p", "-o", "link,slot,address,inuse,client"),
        doc="MAC addresses (no privilege needed)",
    ),
    Source(
        "eeprom",
        COMMAND,
        ALL,
        eeprom.parse,
        ("eeprom", "local-mac-address?"),
        sparc_only=True,
        doc="SPARC local-mac-address?",
    ),
    Source(
        "autopush-links",
        COMMAND,
        CLEARVIEW,
        autopush.parse_linkprop,
        ("dladm", "show-linkprop", "-c", "-o", "link,value", "-p", "autopush"),
        doc="per-link autopush modules (no privilege needed)",
    ),
    Source(
        "ipadm-if",
        COMMAND,
        CLEARVIEW,
        ipadm.parse_if,
        ("ipadm", "show-if", "-p", "-o", "ifname,state,current,persistent"),
        doc="persistent interfaces (ipadm)",
    ),
    Source(
        "ipadm-addr",
        COMMAND,
        CLEARVIEW,
        ipadm.parse_addr,
        ("ipadm", "show-addr", "-p", "-o", "addrobj,type,state,current,persistent,addr"),
        doc="persistent addresses (ipadm)",
    ),
)
# Per physical interface, and only when asked (``--modlist``, ``modlist_interval``):
# it unlinks and relinks the IP stream and needs net_rawaccess and
# sys_ip_config (FORMATS.md section 2; toolchain notes A2).  Never killed.
MODLIST = Source(
    "modlist",
    PER_LINK,
    ALL,
    modlist.parse,
    ("ifconfig", "IF", "modlist"),
    doc="STREAMS modules, per physical member; privileged, not read-only",
)
# The per-driver autopush lists boot loads (``autopush -f``, from inittab for
# iu.ap, from svc:/network/pfil for pfil.ap); absent files configure nothing.
AUTOPUSH_FILES = Source(
    "autopush-files",
    FILES,
    ALL,
    autopush.parse_apconf,
    paths=("/etc/iu.ap", "/etc/ipf/pfil.ap"),
    doc="per-driver autopush modules loaded at boot (pfil.ap: Solaris 10 3/05 to 11/06)",
)
NAME_TO_MAJOR = Source(
    "name-to-major",
    FILES,
    ALL,
    autopush.parse_name_to_major,
    paths=("/etc/name_to_major",),
    doc="driver major numbers, for autopush -g",
)
# Per driver instance of a member whose link has no per-link value: the
# per-driver list the kernel holds now.  Reads /dev/sad/user (mode 0666):
# no privilege; refused outside the global zone (the files are used then).
AUTOPUSH_KERNEL = Source(
    "autopush",
    PER_LINK,
    ALL,
    autopush.parse_autopush_g,
    ("autopush", "-g", "-M", "MAJOR", "-m", "MINOR"),
    doc="per-driver autopush modules in the kernel now",
)

# Solaris 10 and illumos without ipadm: /etc/hostname.IF and hostname6.IF.
HOSTNAME_FILES = Source(
    "persistent",
    GLOB,
    ("solaris10", "illumos", "unknown"),
    hostname.parse,
    paths=("/etc/hostname.*", "/etc/hostname6.*"),
    doc="persistent configuration files",
)

# illumos ipadm's persistent store: the only place that says which IPMP
# interface a member rejoins at boot (ipadm create-ipmp/add-ipmp, 2021+).
# World-readable; absent when ipadm never persisted anything.  Solaris 11
# keeps its store elsewhere (SMF on 11.4) in a format not published.
IPADM_STORE = Source(
    "ipadm-store",
    FILES,
    ("illumos",),
    ipadm.parse_store,
    paths=("/etc/ipadm/ipadm.conf",),
    doc="ipadm's persistent IPMP membership (illumos)",
)
IPADM_STORE_PATH = IPADM_STORE.paths[0]

# Every source, in the order both gatherers take them (uname first: it says
# which of the others apply).
SOURCES: tuple[Source, ...] = COMMANDS + (
    HOSTNAME_FILES,
    IPADM_STORE,
    AUTOPUSH_FILES,
    NAME_TO_MAJOR,
    AUTOPUSH_KERNEL,
    MODLIST,
)
SOURCES_BY_NAME = {s.name: s for s in SOURCES}


def modlist_argv(interface: str) -> tuple[str, ...]:
    if not LINK_NAME.match(interface):
        raise ValueError(f"{interface!r} is not a valid link name")
    return ("ifconfig", interface, "modlist")


# What each source needs beyond the basic privilege set, from the illumos
# sources (README "Privileges" cites them).  modlist is the only one that
# needs more on Solaris 11 and illumos; it is off unless asked for.
PRIVILEGES: dict[str, str] = {
    "uname": "basic",
    "ifconfig": "basic (Solaris 10: net_rawaccess to print ether lines)",
    "ipmp-groups": "basic",
    "ipmp-interfaces": "basic",
    "ipmp-targets": "basic",
    "links": "basic",
    "macs": "basic",
    "autopush-links": "basic",
    "eeprom": "read access to /dev/openprom (0640 root:sys): group sys, or file_dac_read",
    "ipadm-if": "basic",
    "ipadm-addr": "basic",
    "persistent": "basic (read /etc/hostname.*)",
    "ipadm-store": "basic (read /etc/ipadm/ipadm.conf, 0644)",
    "autopush-files": "basic (read /etc/iu.ap, 0644)",
    "name-to-major": "basic (read /etc/name_to_major, 0644)",
    "autopush": "basic (/dev/sad/user is 0666; refused outside the global zone)",
    "modlist": "net_rawaccess and sys_ip_config; unlinks and relinks the interface's IP stream",
}


def module_sources(modlist_enabled: bool, live: bool) -> list[dict[str, Any]]:
    """The module sources a run uses, with what each needs: logged at start."""
    out: list[dict[str, Any]] = []
    for src in (SOURCES_BY_NAME["autopush-links"], AUTOPUSH_KERNEL, AUTOPUSH_FILES, NAME_TO_MAJOR):
        out.append(
            {
                "source": src.name,
                "argv": " ".join(src.argv or src.paths),
                "used": True,
                "privileges": PRIVILEGES[src.name],
            }
        )
    out.append(
        {
            "source": MODLIST.name,
            "argv": " ".join(MODLIST.argv),
            "used": modlist_enabled if live else "as recorded",
            "privileges": PRIVILEGES[MODLIST.name],
        }
    )
    return out


def autopush_argv(major: int, minor: int) -> tuple[str, ...]:
    return ("autopush", "-g", "-M", str(int(major)), "-m", str(int(minor)))


def applies(source: Source, platform: str, arch: Optional[str]) -> bool:
    if platform not in source.platforms:
        return False
    if source.sparc_only and arch not in ("sparc", None):
        return False
    return True
