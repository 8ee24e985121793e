"""What a check is, what it sees, and what it returns.

A check is a pure function of a :class:`Context` (the snapshot, one group,
the configuration and the time it is judged at).  It returns a list of
:class:`Issue` (empty when the rule holds), an :class:`Unknown` when it could
not look, or a :class:`Skipped` when it does not apply.  It never logs, never
reads the clock and never formats beyond its own message, so the same check
can be re-run on a changed snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Union

from ipmpd import model
from ipmpd.config import Config, GroupConfig
from ipmpd.remedy.actions import Remedy

STATUSES = ("ok", "finding", "unknown", "skipped")


@dataclass(frozen=True)
class Issue:
    interfaces: tuple[str, ...]
    message: str
    remedy: Remedy  # typed actions (ipmpd.remedy.actions); never command strings
    severity: Optional[str] = None  # overrides the check's default


@dataclass(frozen=True)
class Unknown:
    """Could not look: a source the check needs is missing or failed."""

    reason: str


@dataclass(frozen=True)
class Skipped:
    """The check does not apply to this group (e.g. membership of an unconfigured group)."""

    reason: str


Outcome = Union[list[Issue], Unknown, Skipped]


@dataclass(frozen=True)
class Context:
    snapshot: model.Snapshot
    group_name: str
    group: Optional[model.Group]  # None: not present on the host (yet)
    config: Config
    group_config: Optional[GroupConfig]
    # For `ipmpd plan`: the interfaces to judge when the group does not exist.
    proposed: Optional[tuple[str, ...]] = None
    # The time the checks are judged at (ages are relative to it); evaluate()
    # uses the snapshot's own time unless told otherwise.
    now: float = 0.0
    # Where the group was seen: runtime, boot, config (see evaluate()).
    seen_in: tuple[str, ...] = ()

    @property
    def platform(self) -> str:
        return self.snapshot.host.platform

    @property
    def member_names(self) -> Optional[tuple[str, ...]]:
        """The planned members; else the runtime ones; else those the boot
        configuration puts in the group; else the configured ones; None if none."""
        if self.proposed is not None:
            return self.proposed
        if self.group is not None:
            return tuple(sorted(self.group.members))
        if "boot" in self.seen_in:
            return self.snapshot.persistent.members(self.group_name)
        if self.group_config is not None:
            return tuple(sorted(self.group_config.interfaces))
        return None

    def boot_unknown(self) -> Optional[Unknown]:
        """Unknown when a boot store this platform restores from could not be read."""
        errors = self.snapshot.boot_store_errors()
        return Unknown("; ".join(errors)) if errors else None

    def not_running(self) -> Union[Unknown, Skipped]:
        """For a check of runtime state on a group that is not running: unknown when
        the interface list could not be read, else it does not apply."""
        blind = self.snapshot.interface_list_error()
        if blind is not None:
            return Unknown(blind)
        return Skipped(
            f"group {self.group_name!r} is not running (seen in {', '.join(self.seen_in) or 'nothing'}); "
            "its other findings speak for it"
        )

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
            if stripped.rstrip(":") in ("What it checks", "Why it matters", "Fix", "Fix safety"):
                on = stripped.rstrip(":") == title
                continue
            if on:
                out.append(stripped)
        return " ".join(x for x in out if x).strip()
