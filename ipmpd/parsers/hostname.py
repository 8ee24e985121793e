"""``/etc/hostname.IF`` and ``/etc/hostname6.IF`` -> persistent IPMP settings.

Solaris 10 (and illumos without ipadm) plumbs each interface at boot by
passing every line of its file to ``ifconfig IF inet`` (``inet6`` for
hostname6).  Samples (soniah blog, Sun InfoDoc 70062, NexentaStor):

    10.0.0.1 netmask + broadcast + mtu 1380 deprecated -failover group inner-prod up
     addif 10.0.0.2 netmask + broadcast + group inner-prod up
    host10 netmask + broadcast + group ipmp0 up \\
    ipmp group 10g-failover 172.16.35.92 netmask 255.255.255.0 up

Comments start with ``#``; a trailing ``\\`` continues a line.  ``addif``
starts a new logical interface; ``-failover`` with ``deprecated`` marks a
test address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from ipmpd.parsers import ParseError

SOURCE = "persistent"
FILE_NAME = re.compile(r"^hostname(6?)\.([A-Za-z][A-Za-z0-9_.]*[0-9](?::[0-9]+)?)$")

# ifconfig(8) parameters that take one argument.
_WITH_ARG = {
    "group",
    "netmask",
    "broadcast",
    "mtu",
    "metric",
    "set",
    "destination",
    "index",
    "ether",
    "modinsert",
    "modremove",
    "tdst",
    "tsrc",
    "usesrc",
    "subnet",
    "token",
    "zone",
    "encaplimit",
    "thoplimit",
    "auth_algs",
    "encr_algs",
    "encr_auth_algs",
    "removeif",
    "dhcp",
    "wait",
}
# ... and the ones that take none.
_FLAGS = {
    "up",
    "down",
    "deprecated",
    "-deprecated",
    "failover",
    "-failover",
    "standby",
    "-standby",
    "private",
    "-private",
    "plumb",
    "unplumb",
    "ipmp",
    "trailers",
    "-trailers",
    "arp",
    "-arp",
    "nud",
    "-nud",
    "router",
    "-router",
    "xmit",
    "-xmit",
    "preferred",
    "-preferred",
    "all-zones",
    "-zone",
    "auto-revarp",
    "auto-dhcp",
    "inet",
    "inet6",
    "-encaplimit",
    "-usesrc",
    "primary",
    "start",
    "drop",
    "release",
    "extend",
    "ping",
}


@dataclass(frozen=True)
class PersistentAddress:
    address: Optional[str]
    deprecated: bool
    nofailover: bool
    up: bool

    @property
    def test(self) -> bool:
        return self.nofailover


@dataclass(frozen=True)
class HostnameFile:
    path: str
    interface: str  # e1000g0, or e1000g0:1 for a file naming a logical interface
    family: str  # ipv4 | ipv6
    group: Optional[str]
    standby: bool
    ipmp: bool
    addresses: tuple[PersistentAddress, ...]


def parse(path: str, text: str) -> HostnameFile:
    """Parse the file at ``path`` (the name gives the interface and family)."""
    base = path.rsplit("/", 1)[-1]
    m = FILE_NAME.match(base)
    if not m:
        raise ParseError(SOURCE, 0, path, "not an /etc/hostname.IF or hostname6.IF file")
    family = "ipv6" if m.group(1) else "ipv4"
    interface = m.group(2)
    src = f"{SOURCE} {path}"

    logical: list[dict[str, object]] = [
        {"address": None, "deprecated": False, "nofailover": False, "up": False}
    ]
    group: Optional[str] = None
    standby = False
    ipmp = False
    pending = ""
    pending_no = 0
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            pending_no = pending_no or lineno
            continue
        line = pending + line
        at = pending_no or lineno
        pending, pending_no = "", 0
        words = line.split()
        # Each line is its own "ifconfig IF <line>": it starts on unit 0.
        cur_index = 0
        seen_address = False
        i = 0
        while i < len(words):
            w = words[i]
            cur = logical[cur_index]
            if w == "addif":
                if i + 1 >= len(words):
                    raise ParseError(src, at, line, "addif without an address")
                logical.append(
                    {"address": words[i + 1], "deprecated": False, "nofailover": False, "up": False}
                )
                cur_index = len(logical) - 1
                i += 2
                continue
            if w in _WITH_ARG:
                if i + 1 >= len(words):
                    raise ParseError(src, at, line, f"{w} without a value")
                if w == "group":
                    group = words[i + 1] if words[i + 1] != '""' else ""
                i += 2
                continue
            if w in _FLAGS:
                if w == "deprecated":
                    cur["deprecated"] = True
                elif w == "-failover":
                    cur["nofailover"] = True
                elif w == "up":
                    cur["up"] = True
                elif w == "standby":
                    standby = True
                elif w == "-standby":
                    standby = False
                elif w == "ipmp":
                    ipmp = True
                i += 1
                continue
            if w.startswith("-") or any(c in w for c in "<>;|&$`'\"(){}"):
                raise ParseError(src, at, line, f"unknown parameter {w!r}")
            # A bare word is the address (a later line may set it again); a
            # second one on the same line is a point-to-point destination.
            if not seen_address:
                cur["address"] = w
                seen_address = True
            i += 1
    if pending:
        raise ParseError(src, pending_no, pending, "file ends inside a continued line")
    addresses = tuple(
        PersistentAddress(
            address=a["address"] if isinstance(a["address"], str) else None,
            deprecated=bool(a["deprecated"]),
            nofailover=bool(a["nofailover"]),
            up=bool(a["up"]),
        )
        for a in logical
        if a["address"] is not None or a["up"] or a["nofailover"]
    )
    return HostnameFile(path, interface, family, group, standby, ipmp, addresses)
