"""One host ipmpd watches: the local one, or a target read over SSH.

A :class:`Target` holds one host's runner, its schedule settings, its module
lists between modlist runs and its last result; the daemon keeps one per
host, the local host being one target among others.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Sequence
from typing import Optional, Union

from ipmpd.config import Config, GroupConfig
from ipmpd.gather import gather, gather_modules, modlist_targets
from ipmpd.model import Modules, Snapshot
from ipmpd.runner import DEFAULT_TIMEOUT, CaptureRunner, CommandResult, Runner
from ipmpd.ssh import CollectError, SshRunner
from ipmpd.state import Latest

LOCAL = "local"


class UnreachableRunner:
    """Answers every command and file with why the host could not be read,
    so every source fails with that reason and every check is unknown."""

    live = False

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def run(self, argv: Sequence[str], timeout: float = DEFAULT_TIMEOUT, kill: bool = True) -> CommandResult:
        return CommandResult(tuple(argv), "", "", None, 0.0, self.reason)

    def holds(self, argv: Sequence[str]) -> bool:
        return True

    def still_running(self) -> list[tuple[str, ...]]:
        return []

    def read_file(self, path: str) -> str:
        raise OSError(self.reason)

    def glob(self, pattern: str) -> list[str]:
        raise OSError(self.reason)

    def close(self) -> None:
        pass


def members(groups: Iterable[GroupConfig]) -> set[str]:
    return {i for g in groups for i in g.interfaces}


def gather_remote(
    ssh: SshRunner,
    groups: Iterable[GroupConfig],
    modules: Optional[Modules],
    modlist: bool,
    extra: Iterable[str] = (),
) -> tuple[Snapshot, Optional[Modules], Optional[str]]:
    """One SSH round trip; the snapshot, the module lists it read (with
    modlist), and why the target could not be read (None when it was).  An
    unreadable target gives a snapshot whose every source failed with that
    reason: unknown, never clean."""
    configured = members(groups) | set(extra)
    try:
        cap = ssh.collect(modlist=modlist, extra=configured)
    except CollectError as e:
        why = f"target {ssh.target.name}: {e}"
        return gather(UnreachableRunner(why)), None, why
    runner = CaptureRunner(cap)
    # only the lists this stream holds: never older ones re-stamped as new
    read = {a[1] for a in cap.commands if len(a) == 3 and a[0] == "ifconfig" and a[2] == "modlist"}
    fresh = gather_modules(runner, read) if read else None
    return gather(runner, modules=fresh or modules, extra_modlist=configured), fresh, None


@dataclasses.dataclass
class Target:
    """One host: how to read it, its module lists and its last result."""

    name: str
    runner: Union[Runner, SshRunner]
    config: Config  # checked with: for an SSH target, its own groups
    interval: float
    modlist_interval: float
    latest: Latest
    modules: Optional[Modules] = None
    modlist_due: bool = False  # an SSH target reads modlists inside its next gather
    last_modlist: Optional[float] = None
    probe_success: Optional[bool] = None
    probe_duration: Optional[float] = None
    probe_error: Optional[str] = None

    def carry_over(self, old: Target) -> None:
        """Keep what a reload must not lose: the last result, the module lists
        and when they were read, and the probe values."""
        self.latest = dataclasses.replace(
            old.latest, interval=self.interval, modlist_interval=self.modlist_interval
        )
        self.modules, self.last_modlist = old.modules, old.last_modlist
        self.probe_success, self.probe_duration, self.probe_error = (
            old.probe_success,
            old.probe_duration,
            old.probe_error,
        )
        if isinstance(self.runner, SshRunner) and isinstance(old.runner, SshRunner):
            self.runner.adopt(old.runner)

    def probe(self) -> tuple[Optional[bool], Optional[float]]:
        return self.probe_success, self.probe_duration

    def gather(self, timeout: float) -> Snapshot:
        """Read the host once (with modlist when due, for an SSH target)."""
        if isinstance(self.runner, SshRunner):
            now = time.time()
            due = self.modlist_interval > 0 and (
                self.last_modlist is None or now - self.last_modlist >= self.modlist_interval
            )
            start = time.monotonic()
            snap, fresh, why = gather_remote(self.runner, self.config.groups, self.modules, due)
            self.probe_duration = time.monotonic() - start
            self.probe_error = why
            self.probe_success = why is None and snap.source_ok("ifconfig") is True
            if due and why is None:
                self.last_modlist = now
                if fresh is not None:
                    self.modules = fresh
            return snap
        start = time.monotonic()
        snap = gather(self.runner, modules=self.modules, timeout=timeout)
        self.probe_duration = time.monotonic() - start
        self.probe_success = snap.source_ok("ifconfig") is True
        return snap

    def refresh_modules(self, timeout: float) -> Modules:
        """The local host's modlist run; returns the lists it took."""
        assert not isinstance(self.runner, SshRunner)
        snap = self.latest.snapshot
        configured = (i for gc in self.config.groups for i in gc.interfaces if snap and snap.interface(i))
        names = modlist_targets(snap.groups if snap else (), configured)
        self.modules = mods = gather_modules(self.runner, names, timeout)
        return mods
