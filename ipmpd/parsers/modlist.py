"""``ifconfig IF modlist`` -> the interface's STREAMS modules, in order.

Command: ``ifconfig e1000g0 modlist``.  ifconfig.c prints ``"%d %s\\n"`` for
each module, numbered from 0 at the stream head down to the driver
(FORMATS.md section 2).  Sample (ifconfig(8) EXAMPLES):

    0 arp
    1 ip
    2 firewall
    3 eri

The man page example skips a number (a typo); the numbers are checked to be
ascending but not to be consecutive, and the order of the lines is the order
of the stream.
"""

from __future__ import annotations

import re

from ipmpd.parsers import ParseError, data_lines

SOURCE = "modlist"
_LINE = re.compile(r"^\s*(\d+)\s+([A-Za-z0-9_.,+-]+)\s*$")


def parse(text: str) -> tuple[str, ...]:
    modules: list[str] = []
    last = -1
    lines = data_lines(text)
    if not lines:
        raise ParseError(SOURCE, 1, "", "no modules listed")
    for lineno, line in lines:
        m = _LINE.match(line)
        if not m:
            raise ParseError(SOURCE, lineno, line, "expected 'N module'")
        pos = int(m.group(1))
        if pos <= last:
            raise ParseError(SOURCE, lineno, line, "positions are not ascending")
        last = pos
        modules.append(m.group(2))
    return tuple(modules)
