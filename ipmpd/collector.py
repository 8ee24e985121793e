"""The shell collector, ``ipmpd/collect.sh``: gathers a host with no Python.

Its list of commands and files is generated from :data:`ipmpd.sources.SOURCES`
(the block between the ``BEGIN SOURCES`` and ``END SOURCES`` lines), so the
collector and the Python gatherer never drift: ``python -m ipmpd.collector``
rewrites the block, and a test fails when the committed script differs.
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

from ipmpd import sources
from ipmpd.sources import COMMAND, FILES, GLOB, PER_LINK, Source

BEGIN = "# BEGIN SOURCES: generated from ipmpd/sources.py by `python -m ipmpd.collector`; do not edit"
END = "# END SOURCES"
# The hand-written function that runs each per-link source, in collect.sh.
PER_LINK_FUNCTIONS = {"autopush": "each_link_autopush", "modlist": "each_link_modlist"}


def script() -> str:
    return (resources.files("ipmpd") / "collect.sh").read_text(encoding="utf-8")


def _quote(word: str) -> str:
    if "'" in word or "\n" in word:
        raise ValueError(f"{word!r} cannot be single-quoted")
    return f"'{word}'"


def _guard(src: Source) -> str:
    return f"applies {_quote(' '.join(src.platforms))} {'yes' if src.sparc_only else 'no'}"


def block() -> str:
    """The generated part of collect.sh: every source, in the table's order."""
    lines = [BEGIN]
    for src in sources.SOURCES:
        lines.append(f"# {src.name}: {src.doc}")
        if src.kind == COMMAND:
            call = f"run_src {src.name} " + " ".join(_quote(w) for w in src.argv)
            if src.name == "uname":
                lines += [call, "set_platform"]  # says which of the others apply
                continue
        elif src.kind == FILES:
            call = "; ".join(f"read_file {_quote(p)}" for p in src.paths)
        elif src.kind == GLOB:
            parts = []
            for pattern in src.paths:
                directory, _, name = pattern.rpartition("/")
                if not name.endswith("*") or "*" in name[:-1] or not directory:
                    raise ValueError(f"{pattern!r} is not DIR/PREFIX*")
                parts.append(f"read_glob {_quote(directory)} {_quote(name[:-1])}")
            call = "; ".join(parts)
        elif src.kind == PER_LINK:
            call = PER_LINK_FUNCTIONS[src.name]
        else:
            raise ValueError(f"{src.name}: unknown kind {src.kind!r}")
        lines.append(f"if {_guard(src)}; then {call}; fi")
    lines.append(END)
    return "\n".join(lines) + "\n"


def with_block(text: str) -> str:
    head, sep, rest = text.partition(BEGIN + "\n")
    _, sep2, tail = rest.partition(END + "\n")
    if not sep or not sep2:
        raise ValueError("collect.sh has no BEGIN SOURCES / END SOURCES block")
    return head + block() + tail


def main() -> int:
    path = Path(__file__).with_name("collect.sh")
    path.write_text(with_block(path.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
