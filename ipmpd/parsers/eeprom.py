"""``eeprom local-mac-address?`` -> True / False.

Command: ``eeprom local-mac-address?``.  Sample (Oracle 819-6990, "SPARC: How
to Ensure That the MAC Address of an Interface Is Unique"):

    local-mac-address?=false
"""

from __future__ import annotations

from ipmpd.parsers import ParseError, data_lines

SOURCE = "eeprom"


def parse(text: str) -> bool:
    lines = data_lines(text)
    if not lines:
        raise ParseError(SOURCE, 1, "", "no output")
    for lineno, line in lines:
        name, sep, value = line.strip().partition("=")
        if not sep or name.strip() != "local-mac-address?":
            continue
        value = value.strip()
        if value in ("true", "false"):
            return value == "true"
        raise ParseError(SOURCE, lineno, line, f"unexpected value {value!r}")
    lineno, line = lines[0]
    raise ParseError(SOURCE, lineno, line, "no local-mac-address? line")
