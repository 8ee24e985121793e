"""Hostname files as net-physical reads them, and edits that keep their meaning.

At boot, Solaris 10 and illumos plumb each ``/etc/hostname.IF`` and pass its
lines to ``ifconfig IF inet`` through ``inet_process_hostname()``
(``/lib/svc/share/net_include.sh``, illumos-gate
``usr/src/cmd/svc/shell/net_include.sh``):

* lines are read with the shell's ``read``: leading and trailing blanks go,
  a backslash-newline joins two lines, and a last line with no newline is
  never read;
* when exactly one line was read, ``netmask + broadcast + up`` is appended
  to it; with more than one, each line runs as written, with no implicit
  ``up``.  Which blank lines count differs: Solaris 10's version (``while
  read line``, the 2007 file at illumos-gate 032ae3d) counts a blank line
  only after a non-blank one; illumos's (``while read one rest``, as in the
  OmniOS tree) counts every line read, a blank one running ``ifconfig IF
  inet`` with no argument, and strips a leading ``ipmp`` word from each line
  (it chose how the interface was created: net-physical plumbs a file whose
  first word is ``ipmp`` with ``ifconfig IF ipmp``);
* ``hostname6.IF`` lines run as written (``inet6_process_hostname()``).

So appending a line to a one-line file silently drops the implicit netmask,
broadcast and ``up``.  The edits below change tokens inside existing lines
and refuse (return None) whenever the file's structure -- how many commands
run and whether the implicit suffix applies -- would change.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Optional

from ipmpd import model

IMPLICIT = ("netmask", "+", "broadcast", "+", "up")
# Group names ipmpd writes into a file or onto a command line unquoted.
SAFE_GROUP = re.compile(r"^[A-Za-z0-9_.-]{1,31}$")


def read_lines(text: str) -> list[str]:
    """The lines ``while read line`` sees: joined continuations, stripped, the
    unterminated last line dropped."""
    out: list[str] = []
    pending = ""
    for raw in text.split("\n")[:-1]:
        if raw.endswith("\\"):
            pending += raw[:-1]
            continue
        line = (pending + raw).replace("\\", "")
        pending = ""
        out.append(line.strip(" \t"))
    return out


def is_ipmp(text: str) -> bool:
    """Whether net-physical creates the interface as an IPMP interface: the
    first word of the file is ``ipmp`` (``read one rest < /etc/hostname.IF``)."""
    lines = read_lines(text)
    return bool(lines) and lines[0].split()[:1] == ["ipmp"]


def commands(text: str, family: str = "ipv4", platform: str = "illumos") -> list[tuple[str, ...]]:
    """The ifconfig argument lists net-physical runs for a file of ``family``
    (an empty list is ``ifconfig IF inet`` alone, which changes nothing)."""
    lines = read_lines(text)
    if family == "ipv6":
        return [tuple(line.split()) for line in lines if line]
    if platform != "solaris10":
        cmds = [tuple(w for k, w in enumerate(line.split()) if k or w != "ipmp") for line in lines]
        return cmds[:-1] + [cmds[-1] + IMPLICIT] if len(cmds) == 1 else cmds
    out: list[tuple[str, ...]] = []
    pending = ""
    multiple = False
    for line in lines:
        if pending:
            out.append(tuple(pending.split()))
            multiple = True
        pending = line
    if not pending:
        return out
    words = tuple(pending.split())
    return out + [words if multiple else words + IMPLICIT]


def structure(text: str, family: str) -> tuple[tuple[int, bool], ...]:
    """How many commands run, and whether the implicit suffix is added, as
    Solaris 10 and as illumos read the file."""
    out = []
    for platform in ("solaris10", "illumos"):
        cmds = commands(text, family, platform)
        out.append((len(cmds), bool(cmds) and family == "ipv4" and cmds[-1][-len(IMPLICIT) :] == IMPLICIT))
    return tuple(out)


def _family(path: str) -> str:
    return "ipv6" if path.rsplit("/", 1)[-1].startswith("hostname6.") else "ipv4"


_GROUP = re.compile(r"(^|[ \t])group[ \t]+(\S+)")


def with_group(path: str, text: str, group: str) -> Optional[str]:
    """``text`` with the interface put in ``group``: an existing ``group`` value
    is replaced, else ``group NAME`` goes at the end of the first line (before
    its ``addif``, which would move it to a logical interface).  None when
    that cannot be done without changing how the file is read."""
    if not SAFE_GROUP.match(group) or "\\\n" in text:
        return None
    family = _family(path)
    if _GROUP.search(text):
        new = _GROUP.sub(lambda m: f"{m.group(1)}group {group}", text)
    else:
        lines = text.split("\n")
        first = next((n for n, line in enumerate(lines[:-1]) if line.strip()), None)
        if first is None:
            return None
        line = lines[first]
        words = line.split()
        if "addif" in words:
            at = re.search(r"(^|[ \t])addif([ \t]|$)", line)
            assert at is not None
            cut = at.start() + len(at.group(1))
            lines[first] = f"{line[:cut]}group {group} {line[cut:]}"
        else:
            lines[first] = f"{line.rstrip()} group {group}"
        new = "\n".join(lines)
    return new if structure(new, family) == structure(text, family) else None


def without_group(path: str, text: str) -> Optional[str]:
    """``text`` with every ``group NAME`` removed; None when that would change
    how the file is read (a line holding only the group would vanish)."""
    if "\\\n" in text:
        return None
    new = "\n".join(
        re.sub(r"[ \t]+", " ", _GROUP.sub(lambda m: m.group(1), line)).rstrip()
        if _GROUP.search(line)
        else line
        for line in text.split("\n")
    )
    family = _family(path)
    return new if structure(new, family) == structure(text, family) else None


def classful(address: str) -> int:
    """The prefix length an IPv4 address gets when no netmask is given (its class)."""
    first = int(address.split(".", 1)[0])
    return 8 if first < 128 else 16 if first < 192 else 24


def dotted(prefixlen: int) -> str:
    return str(ipaddress.IPv4Network(f"0.0.0.0/{prefixlen}").netmask)


def new_file(interface: model.Interface, group: Optional[str]) -> Optional[str]:
    """A new ``/etc/hostname.IF`` that restores the interface's IPv4 configuration
    as it runs now, in ``group``: explicit netmasks and flags, on two or more
    lines so that no implicit ``netmask + broadcast + up`` rewrites them.  None
    when an address cannot be written down (no prefix length known)."""
    if group is not None and group and not SAFE_GROUP.match(group):
        return None
    v4 = [a for a in interface.addresses if a.family == "ipv4"]
    unit0 = next((a for a in v4 if a.name == interface.name), None)
    flags_of = _flag_words
    first: list[str] = []
    second: list[str] = []
    if unit0 is not None:
        if unit0.prefixlen is None:
            return None
        first = [unit0.address, "netmask", dotted(unit0.prefixlen), "broadcast", "+"]
        second += flags_of(unit0)
    if group:
        second[:0] = ["group", group]
    if interface.standby:
        second.append("standby")
    up = "UP" in interface.flags if unit0 is None else "UP" in unit0.flags
    if up:
        second.append("up")
    lines = [" ".join(first)] if first else []
    lines.append(" ".join(second))
    for a in v4:
        if a is unit0 or "NOLOCAL" in a.flags:
            continue
        if a.prefixlen is None:
            return None
        words = ["addif", a.address, "netmask", dotted(a.prefixlen), "broadcast", "+"] + flags_of(a)
        lines.append(" ".join(words + (["up"] if "UP" in a.flags else [])))
    if first and not second:
        lines[1] = "down"  # a second line, so that no implicit "up" is added
    if not first and not up:
        return None  # one line would get the implicit "up"
    # With no address, "group G [standby] up" alone gets the implicit suffix,
    # which brings up 0.0.0.0: the same as the interface running with none.
    return "\n".join(lines) + "\n"


def _flag_words(a: model.Address) -> list[str]:
    return (["deprecated"] if "DEPRECATED" in a.flags else []) + (
        ["-failover"] if "NOFAILOVER" in a.flags else []
    )
