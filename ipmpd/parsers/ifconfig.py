"""``ifconfig -a`` -> one :class:`IfconfigEntry` per interface block.

Command: ``ifconfig -a`` (Solaris 10, Solaris 11, illumos).  A block starts
with a line that does not begin with white space (ifconfig.c ``ifstatus()``,
FORMATS.md section 1):

    e1000g0:1: flags=9040843<UP,BROADCAST,RUNNING,MULTICAST,DEPRECATED,IPv4,NOFAILOVER> mtu 1500 index 2
    \\tinet 192.168.0.73 netmask ffffff00 broadcast 192.168.0.255
    \\tgroupname ipmp0
    \\tether 0:1e:68:49:ae:98

Quirks handled, each with its source in FORMATS.md:

* the hex after ``flags=`` is the truth; ``<...>`` may omit bits that have no
  name (NOLINKLOCAL, section 1.3) or be stripped entirely by a web page, and
  may carry names this table does not know (kept as printed);
* ``mtu 0`` on Solaris 10 standbys; ``metric N`` only when non-zero;
* ``zone``, ``all-zones``, ``srcof``, ``usesrc`` and tunnel lines (1.1, 1.6);
* ``inet`` with a hex netmask (``netmask 0`` allowed), ``inet6 ADDR/LEN``,
  point-to-point ``--> DEST``, trailing spaces (1.4, 1.5);
* one address line per block: ``ifstatus()`` prints the header, then
  ``in_status()`` or ``in6_status()`` (whichever matches the IPv4/IPv6 flag)
  prints one ``inet``/``inet6`` line, so a second one is malformed input and
  raises ParseError instead of overwriting the first (tunnel lines excepted);
* NOLOCAL (no local address): ``in_status()`` prints
  ``\tinet subnet A/N [--> D] netmask M [broadcast B]`` and ``in6_status()``
  ``\tinet6 subnet P/N [--> D]``; the entry has ``address`` None and keeps
  ``subnet``.  Both functions may also print ``subnet A/N`` after a local
  address (``inet ADDR subnet ...``, ``inet6 ADDR/LEN subnet ...``), kept too;
* ``ether`` printed without leading zeros, and not printed at all for a
  caller without privilege -- that is "unknown", never "no MAC" (1.7);
* indentation by a TAB (real hosts) or by any run of spaces (published copies).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from ipmpd.parsers import ParseError, normalise_mac

SOURCE = "ifconfig"

# if.h bit values (FORMATS.md section 1.3), in ifconfig.c's if_flags_tbl order.
# NOLINKLOCAL has no name in ifconfig's table but is decoded here so the hex
# never leaves an unexplained bit; PHYSRUNNING exists on Oracle Solaris 11 only.
FLAG_BITS: tuple[tuple[str, int], ...] = (
    ("UP", 0x1),
    ("BROADCAST", 0x2),
    ("DEBUG", 0x4),
    ("LOOPBACK", 0x8),
    ("POINTOPOINT", 0x10),
    ("NOTRAILERS", 0x20),
    ("RUNNING", 0x40),
    ("NOARP", 0x80),
    ("PROMISC", 0x100),
    ("ALLMULTI", 0x200),
    ("INTELLIGENT", 0x400),
    ("MULTICAST", 0x800),
    ("MULTI_BCAST", 0x1000),
    ("UNNUMBERED", 0x2000),
    ("DHCP", 0x4000),
    ("PRIVATE", 0x8000),
    ("NOXMIT", 0x10000),
    ("NOLOCAL", 0x20000),
    ("DEPRECATED", 0x40000),
    ("ADDRCONF", 0x80000),
    ("ROUTER", 0x100000),
    ("NONUD", 0x200000),
    ("ANYCAST", 0x400000),
    ("NORTEXCH", 0x800000),
    ("IPv4", 0x1000000),
    ("IPv6", 0x2000000),
    ("NOFAILOVER", 0x8000000),
    ("FAILED", 0x10000000),
    ("STANDBY", 0x20000000),
    ("INACTIVE", 0x40000000),
    ("OFFLINE", 0x80000000),
    ("XRESOLV", 0x100000000),
    ("CoS", 0x200000000),
    ("PREFERRED", 0x400000000),
    ("TEMPORARY", 0x800000000),
    ("FIXEDMTU", 0x1000000000),
    ("VIRTUAL", 0x2000000000),
    ("DUPLICATE", 0x4000000000),
    ("IPMP", 0x8000000000),
    ("VRRP", 0x10000000000),
    ("NOACCEPT", 0x4000000),
    ("NOLINKLOCAL", 0x20000000000),
    ("L3PROTECT", 0x40000000000),
    ("PHYSRUNNING", 0x100000000000),
)
_KNOWN_NAMES = {name for name, _ in FLAG_BITS}

_HEADER = re.compile(
    r"^(?P<name>[^\s:]+(?::\d+)?):\s+flags=(?P<hex>[0-9a-fA-F]{1,16})"
    r"(?:<(?P<names>[^>]*)>)?(?P<rest>.*)$"
)
_INDENTED = re.compile(r"^[ \t]+\S")


@dataclass(frozen=True)
class IfconfigEntry:
    """One block of ``ifconfig -a``: one logical interface in one family."""

    name: str  # e1000g0 or e1000g0:1
    physical: str  # e1000g0
    unit: int  # 0 for the physical interface itself
    family: str  # ipv4 | ipv6
    flags_value: int
    flags: tuple[str, ...]
    mtu: Optional[int]
    index: Optional[int]
    metric: int
    address: Optional[str]  # None for a NOLOCAL interface (no local address)
    prefixlen: Optional[int]
    subnet: Optional[str]  # "10.0.0.0/24" when ifconfig prints ``subnet A/N``
    destination: Optional[str]
    broadcast: Optional[str]
    groupname: Optional[str]
    ether: Optional[str]
    zone: Optional[str]
    srcof: tuple[str, ...]
    usesrc: Optional[str]
    lineno: int


def decode_flags(value: int, printed: tuple[str, ...]) -> tuple[str, ...]:
    """Names for every set bit; printed names this table does not know are kept."""
    names = [name for name, bit in FLAG_BITS if value & bit]
    rest = value
    for _, bit in FLAG_BITS:
        rest &= ~bit
    if rest:
        names.append(f"0x{rest:x}")
    names.extend(n for n in printed if n not in _KNOWN_NAMES and n not in names)
    return tuple(names)


def _netmask_prefix(mask: str, lineno: int, line: str) -> int:
    try:
        value = int(mask, 16)
    except ValueError:
        raise ParseError(SOURCE, lineno, line, f"netmask {mask!r} is not hex") from None
    if value > 0xFFFFFFFF:
        raise ParseError(SOURCE, lineno, line, f"netmask {mask!r} is wider than 32 bits")
    return bin(value).count("1")


class _Block:
    def __init__(self, lineno: int, line: str, m: re.Match[str]) -> None:
        self.lineno = lineno
        self.name = m.group("name")
        self.flags_value = int(m.group("hex"), 16)
        printed = tuple(n for n in (m.group("names") or "").split(",") if n)
        self.flags = decode_flags(self.flags_value, printed)
        self.mtu: Optional[int] = None
        self.index: Optional[int] = None
        self.metric = 0
        words = m.group("rest").split()
        i = 0
        while i < len(words):
            key = words[i]
            if key in ("mtu", "index", "metric") and i + 1 < len(words):
                try:
                    number = int(words[i + 1])
                except ValueError:
                    raise ParseError(SOURCE, lineno, line, f"{key} is not a number") from None
                setattr(self, key, number)
                i += 2
                continue
            raise ParseError(SOURCE, lineno, line, f"unexpected word {key!r} in header")
        self.address: Optional[str] = None
        self.prefixlen: Optional[int] = None
        self.subnet: Optional[str] = None
        self.address_line: Optional[tuple[str, int]] = None  # (inet | inet6, lineno)
        self.destination: Optional[str] = None
        self.broadcast: Optional[str] = None
        self.groupname: Optional[str] = None
        self.ether: Optional[str] = None
        self.zone: Optional[str] = None
        self.srcof: tuple[str, ...] = ()
        self.usesrc: Optional[str] = None
        self.family: Optional[str] = None
        if self.flags_value & 0x1000000:
            self.family = "ipv4"
        elif self.flags_value & 0x2000000:
            self.family = "ipv6"

    def body(self, lineno: int, line: str) -> None:
        words = line.split()
        key = words[0]
        if key in ("inet", "inet6") and len(words) > 1 and words[1] == "tunnel":
            return  # tunnel endpoints, not an address of this interface (1.6)
        if key == "tunnel":
            return
        if key in ("inet", "inet6"):
            if self.address_line is not None:
                first, first_lineno = self.address_line
                what = f"second {key} line" if key == first else f"{key} line after an {first} line"
                raise ParseError(
                    SOURCE,
                    lineno,
                    line,
                    f"{what} in one interface block (first on line {first_lineno}; "
                    "ifconfig prints one address per block)",
                )
            self.address_line = (key, lineno)
        if key == "inet":
            self._inet(words, lineno, line)
        elif key == "inet6":
            self._inet6(words, lineno, line)
        elif key == "groupname":
            if len(words) != 2:
                raise ParseError(SOURCE, lineno, line, "groupname takes one name")
            self.groupname = words[1]
        elif key in ("ether", "ipib"):
            if len(words) != 2:
                raise ParseError(SOURCE, lineno, line, f"{key} takes one address")
            mac = normalise_mac(words[1])
            if key == "ether" and mac is None:
                raise ParseError(SOURCE, lineno, line, f"{words[1]!r} is not a MAC address")
            self.ether = mac
        elif key == "zone":
            if len(words) != 2:
                raise ParseError(SOURCE, lineno, line, "zone takes one name")
            self.zone = words[1]
        elif key == "all-zones":
            self.zone = "all-zones"
        elif key == "srcof":
            self.srcof = tuple(words[1:])
        elif key == "usesrc":
            if len(words) != 2:
                raise ParseError(SOURCE, lineno, line, "usesrc takes one interface")
            self.usesrc = words[1]
        else:
            raise ParseError(SOURCE, lineno, line, f"unknown line {key!r}")

    def _subnet(self, value: str, bits: int, lineno: int, line: str) -> int:
        # in_status()/in6_status(): "subnet %s/%d "
        _, slash, plen = value.partition("/")
        if not slash or not plen.isdigit() or int(plen) > bits:
            raise ParseError(SOURCE, lineno, line, f"subnet {value!r} is not ADDRESS/PREFIX")
        self.subnet = value
        return int(plen)

    def _inet(self, words: list[str], lineno: int, line: str) -> None:
        # in_status(): "\tinet %s " or, NOLOCAL, "\tinet "; then "subnet %s/%d ",
        # "--> %s ", "netmask %x ", "broadcast %s".
        if len(words) < 2:
            raise ParseError(SOURCE, lineno, line, "inet without an address")
        i = 1
        if words[1] != "subnet":
            self.address = words[1]
            i = 2
        self.family = self.family or "ipv4"
        while i < len(words):
            key = words[i]
            if i + 1 >= len(words):
                raise ParseError(SOURCE, lineno, line, f"{key} without a value")
            value = words[i + 1]
            if key == "netmask":
                self.prefixlen = _netmask_prefix(value, lineno, line)
            elif key == "broadcast":
                self.broadcast = value
            elif key == "-->":
                self.destination = value
            elif key == "subnet":
                self._subnet(value, 32, lineno, line)
            else:
                raise ParseError(SOURCE, lineno, line, f"unexpected word {key!r}")
            i += 2

    def _inet6(self, words: list[str], lineno: int, line: str) -> None:
        # in6_status(): "\tinet6 %s/%d " or, NOLOCAL, "\tinet6 "; then
        # "subnet %s/%d ", "--> %s ".
        if len(words) < 2:
            raise ParseError(SOURCE, lineno, line, "inet6 without an address")
        i = 1
        if words[1] != "subnet":
            addr, slash, plen = words[1].partition("/")
            if not slash or not plen.isdigit() or int(plen) > 128:
                raise ParseError(SOURCE, lineno, line, "inet6 address without /prefix")
            self.address, self.prefixlen = addr, int(plen)
            i = 2
        self.family = self.family or "ipv6"
        while i < len(words):
            key = words[i]
            if key not in ("subnet", "-->"):
                raise ParseError(SOURCE, lineno, line, f"unexpected word {key!r}")
            if i + 1 >= len(words):
                raise ParseError(SOURCE, lineno, line, f"{key} without a value")
            if key == "subnet":
                subnet_len = self._subnet(words[i + 1], 128, lineno, line)
                if self.address is None:
                    self.prefixlen = subnet_len  # NOLOCAL: the only prefix printed
            else:
                self.destination = words[i + 1]
            i += 2

    def entry(self) -> IfconfigEntry:
        physical, _, unit = self.name.partition(":")
        return IfconfigEntry(
            name=self.name,
            physical=physical,
            unit=int(unit) if unit else 0,
            family=self.family or "unknown",
            flags_value=self.flags_value,
            flags=self.flags,
            mtu=self.mtu,
            index=self.index,
            metric=self.metric,
            address=self.address,
            prefixlen=self.prefixlen,
            subnet=self.subnet,
            destination=self.destination,
            broadcast=self.broadcast,
            groupname=self.groupname,
            ether=self.ether,
            zone=self.zone,
            srcof=self.srcof,
            usesrc=self.usesrc,
            lineno=self.lineno,
        )


def parse(text: str) -> tuple[IfconfigEntry, ...]:
    blocks: list[_Block] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not line.strip():
            continue
        if _INDENTED.match(line):
            if not blocks:
                raise ParseError(SOURCE, lineno, line, "indented line before any interface")
            blocks[-1].body(lineno, line.strip())
            continue
        m = _HEADER.match(line)
        if not m:
            raise ParseError(SOURCE, lineno, line, "expected 'NAME: flags=HEX<...> mtu N'")
        blocks.append(_Block(lineno, line, m))
    return tuple(b.entry() for b in blocks)
