"""The snapshot: one host's IPMP state at one moment, as frozen dataclasses.

``None`` always means "could not look"; an empty tuple means "looked, found
nothing".  Lists are sorted by name so output is stable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass(frozen=True)
class Host:
    platform: str  # solaris10 | solaris11 | illumos | unknown
    release: Optional[str]
    arch: Optional[str]  # sparc | i386 | None
    nodename: Optional[str] = None


@dataclass(frozen=True)
class Address:
    name: str  # e1000g0:1
    family: str  # ipv4 | ipv6
    address: str
    prefixlen: Optional[int]
    flags: tuple[str, ...]

    @property
    def test(self) -> bool:
        """A test address: NOFAILOVER (``-failover``), used by in.mpathd for probes."""
        return "NOFAILOVER" in self.flags


@dataclass(frozen=True)
class Interface:
    name: str
    group: Optional[str]  # the IPMP group name from ``groupname``; None when not in one
    ipmp: bool  # an IPMP meta-interface (IPMP flag), never a member of its own group
    mac: Optional[str]
    families: tuple[str, ...]
    flags: tuple[str, ...]
    mtu: Optional[int]
    index: Optional[int]
    media: Optional[str]
    modules: Optional[tuple[str, ...]]
    state: Optional[str]  # ok | failed | offline | unknown (ipmpstat, else flags)
    addresses: tuple[Address, ...]
    active: Optional[bool] = None
    link: Optional[str] = None
    probe: Optional[str] = None
    vlan_id: Optional[int] = None

    @property
    def standby(self) -> bool:
        return "STANDBY" in self.flags

    @property
    def inactive(self) -> bool:
        return "INACTIVE" in self.flags


@dataclass(frozen=True)
class Group:
    name: str
    ipmp_interface: Optional[str]  # ipmp0 on Solaris 11 / illumos; None on Solaris 10
    members: tuple[str, ...]
    state: Optional[str]  # ok | degraded | failed; None when it could not be told
    state_source: Optional[str] = None  # ipmpstat | flags
    fdt: Optional[float] = None


@dataclass(frozen=True)
class PersistentInterface:
    name: str
    families: tuple[str, ...]
    group: Optional[str]  # None when the source does not record it (ipadm)
    standby: bool
    ipmp: bool
    origin: str  # /etc/hostname.e1000g0, or "ipadm"


@dataclass(frozen=True)
class Persistent:
    """What the host will restore at boot."""

    kinds: tuple[str, ...]  # hostname-files and/or ipadm
    interfaces: tuple[PersistentInterface, ...]
    # /etc/hostname.IF:N files that set ``group`` on a logical interface
    logical_groups: tuple[tuple[str, str], ...] = ()
    _by_name: dict[str, tuple[PersistentInterface, ...]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    _by_group: dict[str, tuple[PersistentInterface, ...]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        by_name: dict[str, list[PersistentInterface]] = {}
        by_group: dict[str, list[PersistentInterface]] = {}
        for p in self.interfaces:
            by_name.setdefault(p.name, []).append(p)
            if p.group is not None:
                by_group.setdefault(p.group, []).append(p)
        self._by_name.update({k: tuple(v) for k, v in by_name.items()})
        self._by_group.update({k: tuple(v) for k, v in by_group.items()})

    def in_group(self, group: str) -> tuple[PersistentInterface, ...]:
        """Persistent entries that name ``group``."""
        return self._by_group.get(group, ())

    def get(self, name: str) -> tuple[PersistentInterface, ...]:
        return self._by_name.get(name, ())


@dataclass(frozen=True)
class SourceStatus:
    name: str
    argv: Optional[tuple[str, ...]]
    ok: bool
    error: Optional[str]
    duration_seconds: float
    path: Optional[str] = None


@dataclass(frozen=True)
class Modules:
    """The result of one modlist run: per interface, its modules or None."""

    by_interface: tuple[tuple[str, Optional[tuple[str, ...]]], ...]
    sources: tuple[SourceStatus, ...]
    taken_at: float
    _index: dict[str, Optional[tuple[str, ...]]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        self._index.update(self.by_interface)

    def get(self, name: str) -> Optional[tuple[str, ...]]:
        return self._index.get(name)


@dataclass(frozen=True)
class Snapshot:
    host: Host
    interfaces: tuple[Interface, ...]
    groups: tuple[Group, ...]
    persistent: Optional[Persistent]
    local_mac_address: Optional[bool]  # eeprom local-mac-address? (SPARC); None if unknown
    sources: tuple[SourceStatus, ...]
    taken_at: float
    modules_taken_at: Optional[float] = None
    # Indexes built once; lookups are made per group and per check.
    _by_name: dict[str, Interface] = field(default_factory=dict, init=False, compare=False, repr=False)
    _groups: dict[str, Group] = field(default_factory=dict, init=False, compare=False, repr=False)
    _runs: dict[str, list[SourceStatus]] = field(default_factory=dict, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name.update({i.name: i for i in self.interfaces})
        self._groups.update({g.name: g for g in self.groups})
        for s in self.sources:
            self._runs.setdefault(s.name, []).append(s)

    def interface(self, name: str) -> Optional[Interface]:
        return self._by_name.get(name)

    def group(self, name: str) -> Optional[Group]:
        return self._groups.get(name)

    def runs(self, name: str) -> list[SourceStatus]:
        return self._runs.get(name, [])

    def source_names(self) -> list[str]:
        return sorted(self._runs)

    def source_ok(self, name: str) -> Optional[bool]:
        """True if every run of the source succeeded, False if one failed, None if not run."""
        runs = self.runs(name)
        if not runs:
            return None
        return all(s.ok for s in runs)

    def source_errors(self, name: str) -> list[str]:
        return [f"{s.error}" for s in self.runs(name) if not s.ok]
