"""What a check is, what it sees, and what it returns.

A check is a pure function of a :class:`Context` (the snapshot, one group and
the configuration).  It returns a list of :class:`Issue` (empty when the rule
holds) or an :class:`Unknown` when it could not look.  It never logs and
never formats beyond its own message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Union

from ipmpd import model
from ipmpd.config import Config, GroupConfig

STATUSES = ("ok", "finding", "unknown", "skipped")


@dataclass(frozen=True)
class Issue:
    interfaces: tuple[str, ...]
    message: str
    remediation: tuple[str, ...]
    severity: Optional[str] = None  # overrides the check's default


@dataclass(frozen=True)
class Unknown:
    reason: str


Outcome = Union[list[Issue], Unknown]


@dataclass(frozen=True)
class Context:
    snapshot: model.Snapshot
    group_name: str
    group: Optional[model.Group]  # None: not present on the host (yet)
    config: Config
    group_config: Optional[GroupConfig]
    # For `ipmpd plan`: the interfaces to judge when the group does not exist.
    proposed: Optional[tuple[str, ...]] = None

    @property
    def platform(self) -> str:
        return self.snapshot.host.platform

    @property
    def member_names(self) -> Optional[tuple[str, ...]]:
        """Runtime members; else the planned or configured ones; None if neither."""
        if self.proposed is not None:
            return self.proposed
        if self.group is not None:
            return tuple(sorted(self.group.members))
        if self.group_config is not None:
            return tuple(sorted(self.group_config.interfaces))
        return None

    def members(self) -> Union[list[model.Interface], Unknown]:
        names = self.member_names
        if names is None:
            return Unknown(f"group {self.group_name!r} is not on this host")
        out = []
        for n in names:
            i = self.snapshot.interface(n)
            if i is None:
                ok = self.snapshot.source_ok("ifconfig")
                if ok is False:
                    return Unknown(
                        "ifconfig -a failed: " + "; ".join(self.snapshot.source_errors("ifconfig"))
                    )
                return Unknown(f"interface {n} is not plumbed on this host")
            out.append(i)
        return out


CheckFn = Callable[[Context], Outcome]


@dataclass(frozen=True)
class Check:
    code: str
    name: str
    severity: str
    step: Optional[int]  # the step of "How to Plan for an IPMP Group", if any
    needs: tuple[str, ...]  # sources whose failure makes the result unknown
    run: CheckFn
    doc: str

    def section(self, title: str) -> str:
        """The text under "What it checks" / "Why it matters" / "Fix" in ``doc``."""
        lines = self.doc.strip().splitlines()
        out: list[str] = []
        on = False
        for line in lines:
            stripped = line.strip()
            if stripped.rstrip(":") in ("What it checks", "Why it matters", "Fix"):
                on = stripped.rstrip(":") == title
                continue
            if on:
                out.append(stripped)
        return " ".join(x for x in out if x).strip()
