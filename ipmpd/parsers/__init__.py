"""Pure parsers: text in, frozen dataclasses out.

Every parser takes the text a command printed (or a file held) and returns
frozen dataclasses.  None of them runs a command or opens a file.  On input
they cannot make sense of they raise :class:`ParseError`, which names the
source, the 1-based line number, the line itself and why.
"""

from __future__ import annotations

from typing import Optional


class ParseError(ValueError):
    """A source's text could not be parsed."""

    def __init__(self, source: str, lineno: int, line: str, reason: str) -> None:
        self.source = source
        self.lineno = lineno
        self.line = line
        self.reason = reason
        super().__init__(f"{source}: line {lineno}: {reason}: {line[:200]!r}")


def split_parsable(line: str, nfields: int, source: str, lineno: int) -> list[str]:
    """Split one line of ofmt parsable output (``-p``/``-P -o a,b,...``).

    ofmt.c joins fields with ``:`` and, when more than one field was asked
    for, escapes a ``:`` or ``\\`` inside a value as ``\\:`` / ``\\\\``
    (FORMATS.md section 3.4).  A regular-expression split on unescaped colons
    gets a value ending in an escaped backslash wrong, so this walks the line.
    """
    if nfields == 1:
        return [line]
    if "\\" not in line:  # nothing escaped: the common case, done the fast way
        fields = line.split(":")
        if len(fields) != nfields:
            raise ParseError(source, lineno, line, f"expected {nfields} fields, found {len(fields)}")
        return fields
    fields = []
    cur: list[str] = []
    i = 0
    n = len(line)
    while i < n:
        ch = line[i]
        if ch == "\\":
            if i + 1 >= n:
                raise ParseError(source, lineno, line, "line ends inside an escape")
            cur.append(line[i + 1])
            i += 2
            continue
        if ch == ":":
            fields.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    fields.append("".join(cur))
    if len(fields) != nfields:
        raise ParseError(source, lineno, line, f"expected {nfields} fields, found {len(fields)}")
    return fields


def data_lines(text: str) -> list[tuple[int, str]]:
    """Non-blank lines with their 1-based numbers, trailing white space removed."""
    out = []
    for i, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if line.strip():
            out.append((i, line))
    return out


def normalise_mac(value: str) -> Optional[str]:
    """``0:15:17:14:9c:a`` -> ``00:15:17:14:9c:0a``; None when it is not a MAC.

    ifconfig's ``_link_ntoa()`` and dladm print octets without leading zeros
    (FORMATS.md sections 1.7 and 4.2).
    """
    parts = value.strip().lower().split(":")
    if len(parts) < 6 or len(parts) > 20:
        return None
    out = []
    for p in parts:
        if not 1 <= len(p) <= 2 or any(c not in "0123456789abcdef" for c in p):
            return None
        out.append(p.rjust(2, "0"))
    return ":".join(out)


def undef(value: str) -> Optional[str]:
    """ofmt prints ``--`` for an empty value and ``?`` for one it could not read."""
    if value in ("", "--", "?"):
        return None
    return value
