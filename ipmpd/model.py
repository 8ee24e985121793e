"""The snapshot: one host's IPMP state at one moment, as frozen dataclasses.

``None`` always means "could not look"; an empty tuple means "looked, found
nothing".  Lists are sorted by name so output is stable.
"""

from __future__ import annotations

from collections.abc import Iterable
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


# How gather names the origin of configured modules set on the link itself.
PER_LINK_AUTOPUSH = "dladm autopush property of "


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
    modules: Optional[tuple[str, ...]]  # live (ifconfig IF modlist), head first, driver last
    state: Optional[str]  # ok | failed | offline | unknown (ipmpstat, else flags)
    addresses: tuple[Address, ...]
    active: Optional[bool] = None
    link: Optional[str] = None
    probe: Optional[str] = None
    vlan_id: Optional[int] = None
    # ipmpstat -i FLAGS "h": in.mpathd offlined it because its hardware address
    # is not unique in the group (ipmpstat.c; Solaris 11 and illumos).
    duplicate_hwaddr: bool = False
    # What autopush pushes between ip and the driver when the interface is
    # plumbed, in modlist order (nearest ip first); None when it could not be
    # told.  ``configured_from`` says where it was read, or why it is unknown.
    configured_modules: Optional[tuple[str, ...]] = None
    configured_from: Optional[str] = None
    driver: Optional[str] = None  # the driver under the link (e1000g), when known

    @property
    def standby(self) -> bool:
        return "STANDBY" in self.flags

    @property
    def per_link_autopush(self) -> bool:
        """Its configured modules come from its own ``autopush`` link property."""
        return (self.configured_from or "").startswith(PER_LINK_AUTOPUSH)

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
class BootAddress:
    """One address the boot configuration sets up."""

    family: str  # ipv4 | ipv6
    address: Optional[str]  # as written: an address, a host name, or None
    prefixlen: Optional[int]
    flags: tuple[str, ...]  # hostname files: the words written (up, deprecated, -failover ...)
    name: Optional[str] = None  # ipadm: the address object (net0/v4)


@dataclass(frozen=True)
class BootInterface:
    """One interface as one boot store restores it."""

    name: str  # e1000g0, or e1000g0:1 for a hostname file naming a logical interface
    origin: str  # /etc/hostname.e1000g0, /etc/hostname6.e1000g0, or "ipadm"
    families: tuple[str, ...]
    group: Optional[str]  # the IPMP group boot puts it in; None: none
    ipmp: bool  # an IPMP interface
    standby: bool
    addresses: tuple[BootAddress, ...] = ()
    ipmp_interface: Optional[str] = None  # ipadm: the IPMP interface it is added to
    text: Optional[str] = None  # a hostname file's whole text

    @property
    def logical(self) -> bool:
        return ":" in self.name


HOSTNAME_FILES, IPADM = "hostname-files", "ipadm"
# The sources each boot store is read from.
BOOT_SOURCES = {HOSTNAME_FILES: ("persistent",), IPADM: ("ipadm-if", "ipadm-addr")}


@dataclass(frozen=True)
class Persistent:
    """What the host restores at boot, one field per store.

    ``expected`` names the stores this platform restores from (Solaris 10:
    hostname files; Solaris 11: ipadm; illumos: both).  A store that is
    expected but ``None`` could not be read: whatever depends on it is
    unknown.  ``ipadm_groups`` says whether the ipadm entries carry the IPMP
    group they join at boot (False where ipadm's membership is not readable).
    """

    expected: tuple[str, ...]
    hostname_files: Optional[tuple[BootInterface, ...]]
    ipadm: Optional[tuple[BootInterface, ...]]
    ipadm_groups: bool = False
    # Whether this host's ipadm manages IPMP (illumos 2021+: its store has
    # ``_ifclass``); None when that cannot be told.
    ipadm_ipmp: Optional[bool] = None
    _effective: dict[str, tuple[BootInterface, ...]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    _members: dict[str, tuple[str, ...]] = field(default_factory=dict, init=False, compare=False, repr=False)
    _logical: list[tuple[str, str]] = field(default_factory=list, init=False, compare=False, repr=False)
    _by_name: dict[str, tuple[BootInterface, ...]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        by_name: dict[str, list[BootInterface]] = {}
        for p in self.entries():
            by_name.setdefault(p.name, []).append(p)
        self._by_name.update({k: tuple(v) for k, v in by_name.items()})
        # Where an /etc/hostname.IF (or hostname6.IF) exists, illumos net-physical
        # plumbs from it and ignores ipadm's configuration of IF.
        files = {p.name.split(":", 1)[0] for p in self.hostname_files or ()}
        effective: dict[str, list[BootInterface]] = {}
        members: dict[str, set[str]] = {}
        for p in tuple(self.hostname_files or ()) + tuple(p for p in self.ipadm or () if p.name not in files):
            effective.setdefault(p.name, []).append(p)
            if p.group:
                group = members.setdefault(p.group, set())
                if not p.ipmp and not p.logical:
                    group.add(p.name)
        self._effective.update({k: tuple(v) for k, v in effective.items()})
        self._members.update({k: tuple(sorted(v)) for k, v in members.items()})
        self._logical.extend(
            sorted((p.origin, p.group) for p in self.hostname_files or () if p.logical and p.group)
        )

    def store(self, kind: str) -> Optional[tuple[BootInterface, ...]]:
        return self.hostname_files if kind == HOSTNAME_FILES else self.ipadm

    def missing(self) -> tuple[str, ...]:
        """Expected stores that could not be read."""
        return tuple(k for k in self.expected if self.store(k) is None)

    def membership_unknown(self) -> bool:
        """True when some store's group membership cannot be read (ipadm without its store)."""
        return bool(self.missing()) or (IPADM in self.expected and not self.ipadm_groups)

    def entries(self) -> tuple[BootInterface, ...]:
        return (self.hostname_files or ()) + (self.ipadm or ())

    def get(self, name: str) -> tuple[BootInterface, ...]:
        return self._by_name.get(name, ())

    def effective(self, name: str) -> tuple[BootInterface, ...]:
        """The entries boot acts on for ``name`` (a hostname file hides ipadm's)."""
        return self._effective.get(name, ())

    def members(self, group: str) -> tuple[str, ...]:
        """Physical interfaces boot puts in ``group``."""
        return self._members.get(group, ())

    def groups(self) -> tuple[str, ...]:
        """Every group the boot configuration names (members, IPMP interfaces, logical files)."""
        return tuple(sorted(self._members))

    @property
    def logical_groups(self) -> tuple[tuple[str, str], ...]:
        """(file, group) for every hostname file that sets ``group`` on a logical interface."""
        return tuple(self._logical)


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
    persistent: Persistent  # what boot restores, per store (each None when it could not be read)
    local_mac_address: Optional[bool]  # eeprom local-mac-address? (SPARC); None if unknown
    sources: tuple[SourceStatus, ...]
    taken_at: float
    modules_taken_at: Optional[float] = None
    # Datalinks ``dladm show-phys`` lists, plumbed or not; None where it was not read.
    datalinks: Optional[tuple[str, ...]] = None
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

    def describe_missing(self, names: Iterable[str]) -> Optional[str]:
        """Which of the named sources did not answer, and why; None when all did."""
        bad = []
        for n in names:
            ok = self.source_ok(n)
            if ok is None:
                bad.append(f"{n} (not run)")
            elif not ok:
                errs = self.source_errors(n)
                bad.append(f"{n} ({errs[0]})" if errs else n)
        return ", ".join(bad) if bad else None

    def interface_list_error(self) -> Optional[str]:
        """Why the host's interface list (``ifconfig -a``) could not be read; None when it was."""
        ok = self.source_ok("ifconfig")
        if ok:
            return None
        if ok is None:
            return "ifconfig -a was not run"
        return "ifconfig -a failed: " + "; ".join(self.source_errors("ifconfig"))

    def boot_store_errors(self) -> list[str]:
        """One line per boot store this platform restores from that could not be read."""
        out = []
        for kind in self.persistent.missing():
            runs = [s for s in self.sources if s.name in BOOT_SOURCES[kind] and not s.ok]
            why = "; ".join(f"{s.name}: {s.error}" for s in runs) or "not read"
            out.append(f"the boot configuration ({kind}) could not be read: {why}")
        return out

    def discovery_errors(self) -> list[str]:
        """Why some groups may not have been seen at all: the interface list, or
        a boot store this platform restores from, could not be read."""
        blind = self.interface_list_error()
        out = ([blind] if blind is not None else []) + self.boot_store_errors()
        if self.source_ok("ipadm-store") is False:
            why = "; ".join(self.source_errors("ipadm-store"))
            out.append(f"ipadm's persistent store could not be read: {why}")
        return out

    def failed_sources(self) -> list[SourceStatus]:
        """Every run that did not answer, the interface list first."""
        bad = [s for s in self.sources if not s.ok]
        return sorted(bad, key=lambda s: s.name != "ifconfig")
