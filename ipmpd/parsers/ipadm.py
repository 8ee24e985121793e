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
"""

from __future__ import annotations

from dataclasses import dataclass
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
