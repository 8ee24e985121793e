"""``ipadm show-if`` / ``show-addr`` in parsable mode (Solaris 11 and illumos).

The fields asked for exist on both: illumos ipadm.c defines only IFNAME,
STATE, CURRENT, PERSISTENT for show-if and ADDROBJ, TYPE, STATE, CURRENT,
PERSISTENT, ADDR for show-addr; Oracle Solaris 11 adds CLASS, ACTIVE and
OVER to show-if (ipadm(1M)), which illumos would reject.  CURRENT and
PERSISTENT are flag strings whose length differs between versions, so they
are read by letter, never by position (FORMATS.md section 5): ``4``/``6``
are the families, ``I`` an IPMP interface, ``s`` standby.  Samples:

    bnx0:ok:bm------46:-46
    lo0/v6:static:ok:U---:U--:\\:\\:1/128

``parse_store`` reads illumos ipadm's persistent store, ``/etc/ipadm/ipadm.conf``
(ipmgmtd ``IPADM_DB_FILE``; world-readable, mode 0644): one line per object,
``name=value;`` pairs in no fixed order, ``#`` comments.  Since illumos 2554
"ipadm needs IPMP configuration support" (2021) an interface line carries
``_ifclass`` (0 IP, 1 IPMP, 2 virtual) and ``_families`` (2 inet, 26 inet6);
a member's line ``_gifname`` (its IPMP interface) and an IPMP interface's
line ``_mifnames`` (its members).  Older stores have one ``_family`` line per
family and no IPMP (libipadm ipadm_ipmgmt.h, ipadm_persist.c,
ipmgmt_door.c).  Lines derived from that code:

    _ifname=ipmp0;_ifclass=1;_families=2,26;_mifnames=net1,net0;
    _ifname=net0;_ifclass=0;_families=2,26;_gifname=ipmp0;
    _ifname=net2;_aobjname=net2/v4;_ipv4addr=192.168.1.10,;up=yes;
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from ipmpd.parsers import ParseError, data_lines, split_parsable, undef


def families(flags: str) -> tuple[str, ...]:
    out = []
    if "4" in flags:
        out.append("ipv4")
    if "6" in flags:
        out.append("ipv6")
    return tuple(out)


@dataclass(frozen=True)
class IfRow:
    ifname: str
    state: Optional[str]
    current: str
    persistent: str

    @property
    def persistent_families(self) -> tuple[str, ...]:
        return families(self.persistent)

    @property
    def ipmp(self) -> bool:
        return "I" in self.current


@dataclass(frozen=True)
class AddrRow:
    addrobj: str
    interface: str
    type: Optional[str]
    state: Optional[str]
    current: str
    persistent: str
    address: Optional[str]
    prefixlen: Optional[int]


def parse_if(text: str) -> tuple[IfRow, ...]:
    """``ipadm show-if -p -o ifname,state,current,persistent``."""
    src = "ipadm-if"
    rows = []
    for n, line in data_lines(text):
        ifname, state, current, persistent = split_parsable(line, 4, src, n)
        if not ifname:
            raise ParseError(src, n, line, "empty IFNAME")
        rows.append(IfRow(ifname, undef(state), current, persistent))
    return tuple(rows)


def parse_addr(text: str) -> tuple[AddrRow, ...]:
    """``ipadm show-addr -p -o addrobj,type,state,current,persistent,addr``."""
    src = "ipadm-addr"
    rows = []
    for n, line in data_lines(text):
        addrobj, type_, state, current, persistent, addr = split_parsable(line, 6, src, n)
        interface, slash, _ = addrobj.partition("/")
        if not interface or not slash:
            raise ParseError(src, n, line, f"ADDROBJ {addrobj!r} is not IF/name")
        address: Optional[str] = None
        prefixlen: Optional[int] = None
        if undef(addr) is not None:
            address, slash, plen = addr.partition("/")
            if slash:
                if not plen.isdigit():
                    raise ParseError(src, n, line, f"prefix length {plen!r} is not a number")
                prefixlen = int(plen)
        rows.append(
            AddrRow(
                addrobj,
                interface,
                undef(type_),
                undef(state),
                current,
                persistent,
                address,
                prefixlen,
            )
        )
    return tuple(rows)


@dataclass(frozen=True)
class StoreInterface:
    """One interface in ipadm's persistent store (its address lines aside)."""

    ifname: str
    ipmp: bool  # _ifclass=1
    families: tuple[str, ...]
    ipmp_interface: Optional[str]  # _gifname: the IPMP interface it joins at boot
    members: tuple[str, ...]  # _mifnames, sorted (ipmgmtd rewrites them in any order)
    with_class: bool  # the post-2021 format (_ifclass): this ipadm knows IPMP


_STORE_FAMILIES = {"2": "ipv4", "26": "ipv6"}


@dataclass
class _StoreAcc:
    ipmp: bool = False
    with_class: bool = False
    gif: Optional[str] = None
    families: set[str] = field(default_factory=set)
    members: set[str] = field(default_factory=set)


def parse_store(text: str) -> tuple[StoreInterface, ...]:
    """``/etc/ipadm/ipadm.conf`` -> one entry per interface (lines of one interface merged)."""
    src = "ipadm-store /etc/ipadm/ipadm.conf"
    found: dict[str, _StoreAcc] = {}
    for n, line in data_lines(text):
        body = line.strip()
        if body.startswith("#"):
            continue
        if not body.endswith(";"):
            raise ParseError(src, n, line, "expected name=value; pairs, each ending in ';'")
        pairs: dict[str, str] = {}
        for part in body[:-1].split(";"):
            name, eq, value = part.partition("=")
            if not eq or not name:
                raise ParseError(src, n, line, f"{part!r} is not name=value")
            pairs[name] = value
        ifname = pairs.get("_ifname")
        if not ifname or "_aobjname" in pairs:
            continue  # an address, or a global property
        if not any(k in pairs for k in ("_ifclass", "_families", "_family")):
            continue  # an interface property line
        acc = found.setdefault(ifname, _StoreAcc())
        for f in filter(None, pairs.get("_families", pairs.get("_family", "")).split(",")):
            if f not in _STORE_FAMILIES:
                raise ParseError(src, n, line, f"family {f!r} is neither 2 (inet) nor 26 (inet6)")
            acc.families.add(_STORE_FAMILIES[f])
        if "_ifclass" in pairs:
            if pairs["_ifclass"] not in ("0", "1", "2"):
                raise ParseError(src, n, line, f"_ifclass {pairs['_ifclass']!r} is not 0, 1 or 2")
            acc.with_class = True
            acc.ipmp = pairs["_ifclass"] == "1"
        acc.gif = pairs.get("_gifname") or acc.gif
        acc.members.update(filter(None, pairs.get("_mifnames", "").split(",")))
    return tuple(
        StoreInterface(name, a.ipmp, tuple(sorted(a.families)), a.gif, tuple(sorted(a.members)), a.with_class)
        for name, a in sorted(found.items())
    )
