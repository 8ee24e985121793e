"""``dladm show-phys -p -o ...`` (Solaris 11, illumos; Solaris 10's dladm has no show-phys).

Parsable rows, ofmt-escaped (FORMATS.md sections 3.4 and 4.2).  Samples,
illumos ``dladm show-phys`` and ``show-phys -m`` in parsable form:

    e1000g0:Ethernet:up:1000:full:e1000g0
    e1000g0:primary:8\\:0\\:27\\:b0\\:cd\\:4c:yes:e1000g0

MEDIA comes from libdladm's table (``Ethernet``, ``Infiniband``, ``ATM``,
``ATM(ClassicIP)``, ...); ``?`` means the value could not be read and an
empty field means ofmt had nothing to print.  MACs are printed without
leading zeros and are normalised here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ipmpd.parsers import ParseError, data_lines, normalise_mac, split_parsable, undef


@dataclass(frozen=True)
class PhysRow:
    link: str
    media: Optional[str]
    state: Optional[str]
    speed: Optional[int]  # Mb/s
    duplex: Optional[str]
    device: Optional[str]


@dataclass(frozen=True)
class MacRow:
    link: str
    slot: str
    address: str
    inuse: bool
    client: Optional[str]


def parse_phys(text: str) -> tuple[PhysRow, ...]:
    """``dladm show-phys -p -o link,media,state,speed,duplex,device``."""
    src = "links"
    rows = []
    for n, line in data_lines(text):
        link, media, state, speed, duplex, device = split_parsable(line, 6, src, n)
        if not link:
            raise ParseError(src, n, line, "empty LINK")
        speed_value: Optional[int] = None
        if undef(speed) is not None:
            if not speed.isdigit():
                raise ParseError(src, n, line, f"SPEED {speed!r} is not a number")
            speed_value = int(speed)
        rows.append(PhysRow(link, undef(media), undef(state), speed_value, undef(duplex), undef(device)))
    return tuple(rows)


def parse_macs(text: str) -> tuple[MacRow, ...]:
    """``dladm show-phys -m -p -o link,slot,address,inuse,client``."""
    src = "macs"
    rows = []
    for n, line in data_lines(text):
        link, slot, address, inuse, client = split_parsable(line, 5, src, n)
        if not link:
            raise ParseError(src, n, line, "empty LINK")
        mac = normalise_mac(address)
        if mac is None:
            raise ParseError(src, n, line, f"ADDRESS {address!r} is not a MAC address")
        if inuse not in ("yes", "no"):
            raise ParseError(src, n, line, f"INUSE {inuse!r} is not yes or no")
        rows.append(MacRow(link, slot, mac, inuse == "yes", undef(client)))
    return tuple(rows)
