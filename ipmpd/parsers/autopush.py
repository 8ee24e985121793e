"""The autopush configuration: which STREAMS modules a link gets when it is opened.

Three texts say it, all read-only and unprivileged:

* ``dladm show-linkprop -c -o link,value -p autopush`` (Solaris 11, illumos):
  one ``LINK:VALUE`` line per active datalink.  libdladm ``get_autopush()``
  (``usr/src/lib/libdladm/common/linkprop.c``) joins the modules with ``.``
  (``AP_DELIMITER``) and writes ``[anchor]`` (``AP_ANCHOR``) as a token of its
  own after the anchored module; an unset value is empty in parsable mode
  (``print_linkprop()`` in ``usr/src/cmd/dladm/dladm.c`` writes ``--`` only
  in the human layout), ``--`` when the link does not support the property,
  ``?`` when it could not be read.  ofmt.c escapes ``:`` and ``\\`` in a
  value because two fields are asked for.  A per-link value, when set,
  replaces the per-driver list for that link (dld ``dld_autopush()``).
* ``/etc/iu.ap`` (and ``/etc/ipf/pfil.ap`` on Solaris 10 3/05 to 11/06), the
  per-driver list ``autopush -f`` loads at boot: ``driver minor lastminor
  module... [anchor]``; ``#`` starts a comment only in column 1; minor ``-1``
  means every minor, lastminor ``0`` one minor; at most 8 modules
  (``MAXAPUSH``); fields are separated by blanks or TABs and the shipped
  file indents each line with a TAB (illumos ``usr/src/cmd/initpkg/iu.ap.sh``).
* ``autopush -g -M MAJOR -m MINOR``, the per-driver list in the kernel now
  (``usr/src/cmd/autopush/autopush.c``): a header
  ``     Major      Minor  Lastminor<TAB>Modules`` and one row, the numbers
  ``%10ld``, ``ALL`` and ``-`` for an entry of every minor, ``-`` for a
  lastminor of a single minor, the modules joined by one space with
  `` [anchor]`` after the anchored one.  When nothing is configured it
  exits 1 with ``Major/minor not configured for autopush`` on stderr.

Modules are returned in the order they are pushed: the first one pushed
sits nearest the driver, so ``ifconfig IF modlist`` lists them in reverse,
below ``ip`` (the pfil README's ``0 arp / 1 ip / 2 pfil / 3 hme``).

``/etc/name_to_major`` maps a driver name to the major number ``autopush -g``
needs: ``driver-name major`` per line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from ipmpd.parsers import ParseError, split_parsable

ANCHOR = "[anchor]"
MAXAPUSH = 8
NOT_CONFIGURED = "not configured for autopush"
_MODULE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_+,-]*$")
_DRIVER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.,+-]*$")


@dataclass(frozen=True)
class LinkAutopush:
    link: str
    # Modules in push order; () when none is set; None when the link does not
    # support the property (``--``) or it could not be read (``?``).
    modules: Optional[tuple[str, ...]]
    anchor: Optional[int] = None  # the anchor sits above this many modules


@dataclass(frozen=True)
class ApEntry:
    """One per-driver autopush entry (a line of iu.ap, or ``autopush -g``'s row)."""

    driver: str  # the driver name (iu.ap), or its major number as text (autopush -g)
    minor: int  # -1: every minor
    lastminor: int  # 0: only ``minor``
    modules: tuple[str, ...]  # push order
    anchor: Optional[int] = None
    lineno: int = 0

    def covers(self, minor: int) -> bool:
        if self.minor == -1:
            return True
        if self.lastminor == 0:
            return minor == self.minor
        return self.minor <= minor <= self.lastminor


def _modules(words: list[str], source: str, lineno: int, line: str) -> tuple[tuple[str, ...], Optional[int]]:
    mods: list[str] = []
    anchor: Optional[int] = None
    for w in words:
        if w == ANCHOR:
            if not mods or anchor is not None:
                raise ParseError(source, lineno, line, "[anchor] must follow a module, once")
            anchor = len(mods)
            continue
        if not _MODULE.match(w):
            raise ParseError(source, lineno, line, f"{w!r} is not a STREAMS module name")
        mods.append(w)
    if len(mods) > MAXAPUSH:
        raise ParseError(source, lineno, line, f"more than {MAXAPUSH} modules")
    return tuple(mods), anchor


def parse_linkprop(text: str) -> tuple[LinkAutopush, ...]:
    source = "autopush-links"
    out = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        link, value = split_parsable(line, 2, source, lineno)
        if not link:
            raise ParseError(source, lineno, line, "no link name")
        if value in ("--", "?"):
            out.append(LinkAutopush(link, None))
            continue
        words = value.split(".") if value else []
        if any(not w for w in words):
            raise ParseError(source, lineno, line, "empty module name between '.'")
        mods, anchor = _modules(words, source, lineno, line)
        out.append(LinkAutopush(link, mods, anchor))
    return tuple(out)


def parse_apconf(path: str, text: str) -> tuple[ApEntry, ...]:
    """``/etc/iu.ap`` or ``/etc/ipf/pfil.ap``; errors name the file and line."""
    out = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if line.startswith("#") or not line.strip():
            continue
        words = line.split()
        if len(words) < 4:
            raise ParseError(path, lineno, line, "expected 'driver minor lastminor module...'")
        driver, minor, last = words[0], words[1], words[2]
        if not _DRIVER.match(driver):
            raise ParseError(path, lineno, line, f"{driver!r} is not a driver name")
        try:
            lo, hi = int(minor), int(last)
        except ValueError:
            raise ParseError(path, lineno, line, "minor and lastminor must be numbers") from None
        if lo < -1 or hi < 0 or (lo == -1 and hi != 0):
            raise ParseError(path, lineno, line, "minor -1 (every minor) takes lastminor 0")
        mods, anchor = _modules(words[3:], path, lineno, line)
        out.append(ApEntry(driver, lo, hi, mods, anchor, lineno))
    return tuple(out)


def parse_autopush_g(text: str) -> ApEntry:
    """``autopush -g`` standard output when it found an entry (exit 0)."""
    source = "autopush"
    rows = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not rows:
        raise ParseError(source, 1, "", "no output")
    n, header = rows[0]
    if header.split() != ["Major", "Minor", "Lastminor", "Modules"]:
        raise ParseError(source, n, header, "expected the 'Major Minor Lastminor Modules' header")
    if len(rows) != 2:
        raise ParseError(source, rows[-1][0], rows[-1][1], "expected one entry")
    n, line = rows[1]
    words = line.split()
    if len(words) < 4:
        raise ParseError(source, n, line, "expected 'major minor lastminor module...'")
    major, minor, last = words[0], words[1], words[2]
    if not major.isdigit():
        raise ParseError(source, n, line, "major must be a number")
    try:
        lo = -1 if minor == "ALL" else int(minor)
        hi = 0 if last == "-" else int(last)
    except ValueError:
        raise ParseError(source, n, line, "minor must be a number or ALL, lastminor a number or -") from None
    mods, anchor = _modules(words[3:], source, n, line)
    return ApEntry(major, lo, hi, mods, anchor, n)


def parse_name_to_major(text: str) -> dict[str, int]:
    source = "/etc/name_to_major"
    out: dict[str, int] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        words = line.split()
        if len(words) != 2 or not words[1].isdigit():
            raise ParseError(source, lineno, line, "expected 'driver-name major-number'")
        out[words[0]] = int(words[1])
    return out
