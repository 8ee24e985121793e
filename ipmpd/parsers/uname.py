"""``uname -a`` -> the host's platform.

Command: ``uname -a``.  Sample lines (published; sources in tests/fixtures/README.md):

    SunOS fulvia 5.10 Generic_127128-11 i86pc i386 i86pc
    SunOS t2 5.10 Generic_141414-02 sun4v sparc SUNW,T5240
    SunOS solaris-vagrant 5.11 11.4.0.15.0 i86pc i386 i86pc
    SunOS omnios64 5.11 omnios-r151044-d3b715b9d1 i86pc i386 i86pc

SunOS 5.10 is Solaris 10.  On 5.11 Oracle Solaris prints a version that
starts ``11.`` (``11.4.0.15.0``); illumos distributions print their own
(``omnios-r151044-...``, ``illumos-63878f749f``, ``joyent_...``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ipmpd.parsers import ParseError, data_lines

SOURCE = "uname"


@dataclass(frozen=True)
class Uname:
    platform: str  # solaris10 | solaris11 | illumos | unknown
    release: str
    version: str
    arch: Optional[str]  # sparc | i386 | None
    nodename: str


def parse(text: str) -> Uname:
    lines = data_lines(text)
    if not lines:
        raise ParseError(SOURCE, 1, "", "no output")
    lineno, line = lines[0]
    words = line.split()
    if len(words) < 4:
        raise ParseError(SOURCE, lineno, line, "expected at least sysname, node, release, version")
    sysname, nodename, release, version = words[:4]
    if sysname != "SunOS":
        raise ParseError(SOURCE, lineno, line, f"not a SunOS host ({sysname})")
    if release == "5.10":
        platform = "solaris10"
    elif release == "5.11":
        platform = "solaris11" if version.startswith("11.") or version == "11" else "illumos"
    else:
        platform = "unknown"
    rest = words[4:]
    arch: Optional[str] = None
    if "sparc" in rest or any(w.startswith("sun4") for w in rest):
        arch = "sparc"
    elif "i386" in rest or "i86pc" in rest:
        arch = "i386"
    return Uname(platform, release, version, arch, nodename)
