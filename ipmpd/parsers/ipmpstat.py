"""``ipmpstat -P -o ...`` (OpenSolaris 2009+, Solaris 11, illumos; not Solaris 10).

Parsable mode is Committed (ipmpstat(8)); the human layout is not, so only
``-P -o`` is read.  ofmt joins fields with ``:`` and escapes ``:``/``\\``
inside values; empty values stay empty (FORMATS.md sections 3.2 and 3.4).
Sample rows (Oracle 819-6990, ``ipmpstat -P -o groupname,fdt,interfaces``):

    itops0:10.00s:subitops0 subitops1
    acctg1::[hme0 hme1]
    field2:20.00s:fops0 fops3 (fops2) [fops1]

GROUP in ``-i`` is the IPMP *interface* name; only ``-g`` shows both the
interface (GROUP) and the group name (GROUPNAME).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from ipmpd.parsers import ParseError, data_lines, split_parsable

GROUP_STATES = ("ok", "degraded", "failed")
IF_STATES = ("ok", "failed", "offline", "unknown")
LINK_STATES = ("up", "down", "unknown")
PROBE_STATES = ("ok", "failed", "unknown", "disabled")
TARGET_MODES = ("disabled", "routes", "multicast", "transitive")
_FLAG_LETTERS = "ismbMdh"  # ipmpstat.c: fixed positions, '-' when unset
_FDT = re.compile(r"^(\d+(?:\.\d+)?)s$")


@dataclass(frozen=True)
class GroupRow:
    ifname: str  # the IPMP interface (GROUP column)
    groupname: str
    state: str
    fdt: Optional[float]  # seconds; None when probe-based detection is off
    active: tuple[str, ...]
    inactive: tuple[str, ...]
    unusable: tuple[str, ...]

    @property
    def interfaces(self) -> tuple[str, ...]:
        return tuple(sorted(self.active + self.inactive + self.unusable))


@dataclass(frozen=True)
class InterfaceRow:
    interface: str
    active: bool
    group: str  # the IPMP interface name
    flags: str  # 7 positions, e.g. --mbM--
    link: str
    probe: str
    state: str

    @property
    def standby(self) -> bool:
        return self.flags[1] == "s"

    @property
    def inactive(self) -> bool:
        return self.flags[0] == "i"

    @property
    def duplicate_hwaddr(self) -> bool:
        """FLAGS ``h``: in.mpathd offlined it for a hardware address not unique in its group."""
        return self.flags[6] == "h"


@dataclass(frozen=True)
class TargetRow:
    interface: str
    mode: str
    testaddr: Optional[str]
    targets: tuple[str, ...]


def _check(value: str, allowed: tuple[str, ...], what: str, src: str, n: int, line: str) -> str:
    # ipmpstat.c prints "<%d>" for an enumeration it does not know: keep it as
    # "unknown" rather than failing the whole source.
    if value in allowed:
        return value
    if re.fullmatch(r"<-?\d+>", value):
        return "unknown"
    raise ParseError(src, n, line, f"{what} {value!r} is not one of {', '.join(allowed)}")


def _interfaces(text: str, src: str, n: int, line: str) -> tuple[list[str], list[str], list[str]]:
    active: list[str] = []
    inactive: list[str] = []
    unusable: list[str] = []
    for m in re.finditer(r"\(([^()\[\]]*)\)|\[([^()\[\]]*)\]|([^\s()\[\]]+)|(\S)", text):
        if m.group(4):
            raise ParseError(src, n, line, "unbalanced ( ) or [ ] in the interface list")
        if m.group(1) is not None:
            inactive.extend(m.group(1).split())
        elif m.group(2) is not None:
            unusable.extend(m.group(2).split())
        else:
            active.append(m.group(3))
    return active, inactive, unusable


def parse_groups(text: str) -> tuple[GroupRow, ...]:
    """``ipmpstat -g -P -o group,groupname,state,fdt,interfaces``."""
    src = "ipmp-groups"
    rows = []
    for n, line in data_lines(text):
        ifname, groupname, state, fdt, ifs = split_parsable(line, 5, src, n)
        if not ifname:
            raise ParseError(src, n, line, "empty GROUP")
        state = _check(state, GROUP_STATES, "state", src, n, line)
        fdt_value: Optional[float] = None
        if fdt:
            m = _FDT.match(fdt)
            if not m:
                raise ParseError(src, n, line, f"FDT {fdt!r} is not like 10.00s")
            fdt_value = float(m.group(1))
        a, i, u = _interfaces(ifs, src, n, line)
        rows.append(GroupRow(ifname, groupname, state, fdt_value, tuple(a), tuple(i), tuple(u)))
    return tuple(rows)


def parse_interfaces(text: str) -> tuple[InterfaceRow, ...]:
    """``ipmpstat -i -P -o interface,active,group,flags,link,probe,state``."""
    src = "ipmp-interfaces"
    rows = []
    for n, line in data_lines(text):
        name, active, group, flags, link, probe, state = split_parsable(line, 7, src, n)
        if not name:
            raise ParseError(src, n, line, "empty INTERFACE")
        if active not in ("yes", "no"):
            raise ParseError(src, n, line, f"ACTIVE {active!r} is not yes or no")
        if len(flags) != 7 or any(c not in ("-", _FLAG_LETTERS[k]) for k, c in enumerate(flags)):
            raise ParseError(src, n, line, f"FLAGS {flags!r} is not 7 positions of ismbMdh")
        rows.append(
            InterfaceRow(
                name,
                active == "yes",
                group,
                flags,
                _check(link, LINK_STATES, "link", src, n, line),
                _check(probe, PROBE_STATES, "probe", src, n, line),
                _check(state, IF_STATES, "state", src, n, line),
            )
        )
    return tuple(rows)


def parse_targets(text: str) -> tuple[TargetRow, ...]:
    """``ipmpstat -t -P -o interface,mode,testaddr,targets``."""
    src = "ipmp-targets"
    rows = []
    for n, line in data_lines(text):
        name, mode, testaddr, targets = split_parsable(line, 4, src, n)
        if not name:
            raise ParseError(src, n, line, "empty INTERFACE")
        mode = _check(mode, TARGET_MODES, "mode", src, n, line)
        rows.append(TargetRow(name, mode, testaddr or None, tuple(targets.split())))
    return tuple(rows)
