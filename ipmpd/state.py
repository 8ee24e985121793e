"""The one immutable result the daemon swaps after each cycle.

Scrapes and the landing page only ever read a ``Latest``; they never run a
command.  ``None`` fields mean "not yet" (before the first gather).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ipmpd import model
from ipmpd.checks import Finding, Result, groups_seen


@dataclass(frozen=True)
class Latest:
    snapshot: Optional[model.Snapshot] = None
    results: tuple[Result, ...] = ()
    last_gather: Optional[float] = None  # wall-clock time the last cycle finished
    last_success: Optional[float] = None  # ... the last one in which ifconfig answered
    gather_duration: Optional[float] = None
    modules_taken_at: Optional[float] = None
    modlist_duration: Optional[float] = None
    config_reload_success: bool = True
    config_reload_at: Optional[float] = None
    config_path: Optional[str] = None
    interval: Optional[float] = None  # [daemon] interval in force
    modlist_interval: Optional[float] = None  # [daemon] modlist_interval in force (0: disabled)
    started_at: Optional[float] = None  # wall-clock time the daemon started
    single_groups: frozenset[str] = frozenset()  # groups ipmpd.toml allows one member (allow_single)

    @property
    def groups_seen(self) -> dict[str, tuple[str, ...]]:
        """Every group checked, with where it was seen (runtime, boot, config)."""
        return groups_seen(self.results)

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.results for f in r.findings]
