"""Run every source on its own and merge what answered into a Snapshot.

A source that fails (missing, non-zero exit, timeout, parse error) is
recorded with its reason and everything that depends only on it is left
``None``; the other sources' data is kept.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterable
from typing import Any, Callable, Optional, TypeVar

from ipmpd import model
from ipmpd.parsers import ParseError, dladm, eeprom, hostname, ifconfig, ipadm, ipmpstat
from ipmpd.parsers import modlist as modlist_parser
from ipmpd.parsers import uname as uname_parser
from ipmpd.sources import (
    DEFAULT_TIMEOUT,
    HOSTNAME_FILES,
    LINK_NAME,
    SOURCES,
    CommandResult,
    Runner,
    applies,
    modlist_argv,
)

T = TypeVar("T")
_BY_NAME = {s.name: s for s in SOURCES}
# Solaris 10 VLAN PPA: instance + 1000 * VID (e.g. ce123000 is VLAN 123 on ce0).
_PPA = re.compile(r"^(.*[A-Za-z_])(\d+)$")
# SMF's ``:kill -HUP`` refresh signals every process in the contract, our
# children included; such a child is retried rather than reported (issue 4).
_RETRY_SIGNALS = (1,)


def run_source(
    runner: Runner,
    name: str,
    argv: tuple[str, ...],
    parse: Callable[[str], T],
    timeout: float = DEFAULT_TIMEOUT,
) -> tuple[Optional[T], model.SourceStatus]:
    result: CommandResult = runner.run(argv, timeout)
    if result.signal in _RETRY_SIGNALS:
        result = runner.run(argv, timeout)
    if not result.ok:
        return None, model.SourceStatus(name, argv, False, result.error, result.duration)
    try:
        value = parse(result.stdout)
    except ParseError as e:
        return None, model.SourceStatus(name, argv, False, str(e), result.duration)
    return value, model.SourceStatus(name, argv, True, None, result.duration)


def gather_modules(
    runner: Runner, interfaces: Iterable[str], timeout: float = DEFAULT_TIMEOUT
) -> model.Modules:
    """``ifconfig IF modlist`` for each named physical interface, one at a time."""
    found: list[tuple[str, Optional[tuple[str, ...]]]] = []
    statuses: list[model.SourceStatus] = []
    for name in sorted(set(interfaces)):
        if ":" in name or not LINK_NAME.match(name):
            statuses.append(model.SourceStatus("modlist", None, False, f"{name!r} is not a link name", 0.0))
            found.append((name, None))
            continue
        mods, status = run_source(runner, "modlist", modlist_argv(name), modlist_parser.parse, timeout)
        found.append((name, mods))
        statuses.append(status)
    return model.Modules(tuple(found), tuple(statuses), time.time())


def modlist_targets(groups: Iterable[model.Group], extra: Iterable[str] = ()) -> set[str]:
    """The interfaces ``ifconfig IF modlist`` runs on: every group's members
    (never an IPMP meta-interface, which is not a member) plus ``extra``."""
    return set(extra) | {m for g in groups for m in g.members}


def _persistent_files(
    runner: Runner,
) -> tuple[Optional[list[hostname.HostnameFile]], model.SourceStatus]:
    start = time.monotonic()
    try:
        names = [n for n in runner.list_dir("/etc") if hostname.FILE_NAME.match(n)]
    except OSError as e:
        return None, model.SourceStatus(
            "persistent",
            None,
            False,
            f"cannot list /etc: {e.strerror or e}",
            time.monotonic() - start,
            "/etc",
        )
    files = []
    for n in names:
        path = f"/etc/{n}"
        try:
            files.append(hostname.parse(path, runner.read_file(path)))
        except OSError as e:
            return None, model.SourceStatus(
                "persistent",
                None,
                False,
                f"{path}: {e.strerror or e}",
                time.monotonic() - start,
                path,
            )
        except ParseError as e:
            return None, model.SourceStatus("persistent", None, False, str(e), time.monotonic() - start, path)
    return files, model.SourceStatus(
        "persistent", None, True, None, time.monotonic() - start, "/etc/hostname.*"
    )


def _vlan_id(name: str, platform: str) -> Optional[int]:
    if platform != "solaris10":
        return None
    m = _PPA.match(name)
    if not m or int(m.group(2)) < 1000:
        return None
    return int(m.group(2)) // 1000


def gather(
    runner: Runner,
    modules: Optional[model.Modules] = None,
    run_modlist: bool = False,
    extra_modlist: Iterable[str] = (),
    timeout: float = DEFAULT_TIMEOUT,
) -> model.Snapshot:
    """One snapshot.  ``modules`` are the last module lists (the daemon keeps
    them between modlist runs); with ``run_modlist`` they are taken now, for
    every group member plus ``extra_modlist``."""
    statuses: list[model.SourceStatus] = []
    results: dict[str, Any] = {}

    un, st = run_source(runner, "uname", _BY_NAME["uname"].argv, uname_parser.parse, timeout)
    statuses.append(st)
    platform = un.platform if un else "unknown"
    arch = un.arch if un else None
    host = model.Host(platform, un.release if un else None, arch, un.nodename if un else None)

    parsers: dict[str, Callable[[str], Any]] = {
        "ifconfig": ifconfig.parse,
        "ipmp-groups": ipmpstat.parse_groups,
        "ipmp-interfaces": ipmpstat.parse_interfaces,
        "ipmp-targets": ipmpstat.parse_targets,
        "links": dladm.parse_phys,
        "macs": dladm.parse_macs,
        "eeprom": eeprom.parse,
        "ipadm-if": ipadm.parse_if,
        "ipadm-addr": ipadm.parse_addr,
    }
    for src in SOURCES:
        if src.name == "uname" or not applies(src, platform, arch):
            continue
        value, st = run_source(runner, src.name, src.argv, parsers[src.name], timeout)
        statuses.append(st)
        results[src.name] = value

    files: Optional[list[hostname.HostnameFile]] = None
    if applies(HOSTNAME_FILES, platform, arch):
        files, st = _persistent_files(runner)
        statuses.append(st)

    entries: Optional[tuple[ifconfig.IfconfigEntry, ...]] = results.get("ifconfig")
    groups_rows: Optional[tuple[ipmpstat.GroupRow, ...]] = results.get("ipmp-groups")
    if_rows: Optional[tuple[ipmpstat.InterfaceRow, ...]] = results.get("ipmp-interfaces")

    interfaces = _interfaces(entries, if_rows, results, modules, platform)
    groups = _groups(entries, groups_rows, interfaces)
    if run_modlist:
        modules = gather_modules(runner, modlist_targets(groups, extra_modlist), timeout)
        interfaces = tuple(dataclasses.replace(i, modules=modules.get(i.name)) for i in interfaces)
    if modules is not None:
        statuses.extend(modules.sources)
    persistent = _persistent(files, results.get("ipadm-if"))
    return model.Snapshot(
        host=host,
        interfaces=interfaces,
        groups=groups,
        persistent=persistent,
        local_mac_address=results.get("eeprom"),
        sources=tuple(statuses),
        taken_at=time.time(),
        modules_taken_at=modules.taken_at if modules is not None else None,
    )


def _interfaces(
    entries: Optional[tuple[ifconfig.IfconfigEntry, ...]],
    if_rows: Optional[tuple[ipmpstat.InterfaceRow, ...]],
    results: dict[str, Any],
    modules: Optional[model.Modules],
    platform: str,
) -> tuple[model.Interface, ...]:
    phys_rows: Optional[tuple[dladm.PhysRow, ...]] = results.get("links")
    mac_rows: Optional[tuple[dladm.MacRow, ...]] = results.get("macs")
    media = {r.link: r.media for r in phys_rows or ()}
    macs = {r.link: r.address for r in mac_rows or () if r.slot == "primary"}
    ipmp_if = {r.interface: r for r in if_rows or ()}

    names: list[str] = []
    by_phys: dict[str, list[ifconfig.IfconfigEntry]] = {}
    for e in entries or ():
        if e.physical not in by_phys:
            by_phys[e.physical] = []
            names.append(e.physical)
        by_phys[e.physical].append(e)
    for r in if_rows or ():
        if r.interface not in by_phys:
            by_phys[r.interface] = []
            names.append(r.interface)

    out = []
    for name in sorted(names):
        blocks = by_phys[name]
        unit0 = [b for b in blocks if b.unit == 0]
        flags: list[str] = []
        for b in unit0:
            flags.extend(f for f in b.flags if f not in flags)
        group = next((b.groupname for b in unit0 if b.groupname), None)
        ether = next((b.ether for b in unit0 if b.ether), None)
        addresses = tuple(
            sorted(
                (
                    model.Address(b.name, b.family, b.address, b.prefixlen, b.flags)
                    for b in blocks
                    if b.address
                    and not (b.address == "0.0.0.0")
                    and not (b.address == "::" and b.prefixlen == 0)
                ),
                key=lambda a: (a.family, a.name, a.address),
            )
        )
        row = ipmp_if.get(name)
        state: Optional[str] = None
        if row is not None:
            state = row.state
        elif unit0 and results.get("ipmp-interfaces") is None:
            # No ipmpstat (Solaris 10, or it failed): the flags tell.
            if "OFFLINE" in flags:
                state = "offline"
            elif "FAILED" in flags:
                state = "failed"
            elif group:
                state = "ok"
        mods = modules.get(name) if modules is not None else None
        out.append(
            model.Interface(
                name=name,
                group=group,
                ipmp="IPMP" in flags,
                mac=ether or macs.get(name),
                families=tuple(sorted({b.family for b in unit0 if b.family != "unknown"})),
                flags=tuple(flags),
                mtu=unit0[0].mtu if unit0 else None,
                index=unit0[0].index if unit0 else None,
                media=media.get(name),
                modules=mods,
                state=state,
                addresses=addresses,
                active=row.active if row else None,
                link=row.link if row else None,
                probe=row.probe if row else None,
                vlan_id=_vlan_id(name, platform),
            )
        )
    return tuple(out)


def _groups(
    entries: Optional[tuple[ifconfig.IfconfigEntry, ...]],
    rows: Optional[tuple[ipmpstat.GroupRow, ...]],
    interfaces: tuple[model.Interface, ...],
) -> tuple[model.Group, ...]:
    groups: dict[str, model.Group] = {}
    if rows is not None:
        for r in rows:
            groups[r.groupname] = model.Group(
                name=r.groupname,
                ipmp_interface=r.ifname,
                members=r.interfaces,
                state=r.state,
                state_source="ipmpstat",
                fdt=r.fdt,
            )
    if entries is not None:
        members: dict[str, list[str]] = {}
        ipmp_ifs: dict[str, str] = {}
        for i in interfaces:
            if i.group is None:
                continue
            if i.ipmp:
                ipmp_ifs.setdefault(i.group, i.name)
            else:
                members.setdefault(i.group, []).append(i.name)
        for name in sorted(set(members) | set(ipmp_ifs)):
            if name in groups:
                continue  # ipmpstat answered for it: it is the authority on state
            mem = tuple(sorted(members.get(name, [])))
            groups[name] = model.Group(
                name=name,
                ipmp_interface=ipmp_ifs.get(name),
                members=mem,
                state=_state_from_flags(mem, interfaces) if rows is None else None,
                state_source="flags" if rows is None else None,
            )
    return tuple(groups[k] for k in sorted(groups))


def _state_from_flags(members: tuple[str, ...], interfaces: tuple[model.Interface, ...]) -> str:
    by_name = {i.name: i for i in interfaces}
    bad = [m for m in members if by_name[m].state in ("failed", "offline")]
    if not members or len(bad) == len(members):
        return "failed"
    return "degraded" if bad else "ok"


def _persistent(
    files: Optional[list[hostname.HostnameFile]],
    if_rows: Optional[tuple[ipadm.IfRow, ...]],
) -> Optional[model.Persistent]:
    if files is None and if_rows is None:
        return None
    kinds: list[str] = []
    out: list[model.PersistentInterface] = []
    logical: list[tuple[str, str]] = []
    if files is not None:
        kinds.append("hostname-files")
        for f in files:
            if ":" in f.interface:
                if f.group:
                    logical.append((f.path, f.group))
                continue
            out.append(
                model.PersistentInterface(f.interface, (f.family,), f.group, f.standby, f.ipmp, f.path)
            )
    if if_rows is not None:
        kinds.append("ipadm")
        for r in if_rows:
            fams = r.persistent_families
            if fams:
                out.append(
                    model.PersistentInterface(
                        r.ifname, fams, None, "s" in r.persistent, "I" in r.persistent, "ipadm"
                    )
                )
    return model.Persistent(
        tuple(kinds),
        tuple(sorted(out, key=lambda p: (p.name, p.origin))),
        tuple(sorted(logical)),
    )
