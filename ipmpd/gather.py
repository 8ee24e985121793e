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
from ipmpd.parsers import ParseError, autopush, dladm, hostname, ifconfig, ipadm, ipmpstat
from ipmpd.runner import DEFAULT_TIMEOUT, CommandResult, Runner
from ipmpd.sources import (
    AUTOPUSH_FILES,
    AUTOPUSH_KERNEL,
    COMMANDS,
    HOSTNAME_FILES,
    IPADM_STORE,
    IPADM_STORE_PATH,
    LINK_NAME,
    MODLIST,
    NAME_TO_MAJOR,
    SOURCES_BY_NAME,
    applies,
    autopush_argv,
    modlist_argv,
)

T = TypeVar("T")
# Solaris 10 VLAN PPA: instance + 1000 * VID (e.g. ce123000 is VLAN 123 on ce0).
_PPA = re.compile(r"^(.*[A-Za-z_])(\d+)$")
# SMF's ``:kill -HUP`` refresh signals every process in the contract, our
# children included; such a child is retried rather than reported (issue 4).
_RETRY_SIGNALS = (1,)


def _run(runner: Runner, argv: tuple[str, ...], timeout: float, kill: bool = True) -> CommandResult:
    """Run once more a command SMF's refresh killed with SIGHUP."""
    result = runner.run(argv, timeout, kill)
    if result.signal in _RETRY_SIGNALS:
        result = runner.run(argv, timeout, kill)
    return result


def read_source(
    runner: Runner, name: str, path: str, parse: Callable[[str], T], absent: Optional[str] = None
) -> tuple[Optional[T], model.SourceStatus]:
    """Read and parse one file; ``absent`` is the text of a file that does not
    exist (None: a missing file is a failure)."""
    start = time.monotonic()

    def status(why: Optional[str] = None) -> model.SourceStatus:
        return model.SourceStatus(name, None, why is None, why, time.monotonic() - start, path)

    try:
        text = runner.read_file(path)
    except FileNotFoundError as e:
        if absent is None:
            return None, status(f"{path}: {e.strerror or e}")
        text = absent
    except OSError as e:
        return None, status(f"{path}: {e.strerror or e}")
    try:
        return parse(text), status()
    except ParseError as e:
        return None, status(str(e))


def run_source(
    runner: Runner,
    name: str,
    argv: tuple[str, ...],
    parse: Callable[[str], T],
    timeout: float = DEFAULT_TIMEOUT,
    kill: bool = True,
) -> tuple[Optional[T], model.SourceStatus]:
    result = _run(runner, argv, timeout, kill)
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
    """``ifconfig IF modlist`` for each named physical interface, one at a time.

    A modlist is never killed: one killed between its unlink and relink loses
    the interface.  One still running at the timeout is left to finish and
    the rest are not started (they would queue behind the same stuck stream).
    On a replay only the interfaces the capture holds a modlist for are read.
    """
    found: list[tuple[str, Optional[tuple[str, ...]]]] = []
    statuses: list[model.SourceStatus] = []
    # One left running by an earlier run holds the rest back as well.
    running = runner.still_running()
    stuck: Optional[str] = running[0][1] if running else None
    for name in sorted(set(interfaces)):
        if ":" in name or not LINK_NAME.match(name):
            statuses.append(model.SourceStatus("modlist", None, False, f"{name!r} is not a link name", 0.0))
            found.append((name, None))
            continue
        argv = modlist_argv(name)
        if not runner.live and not runner.holds(argv):
            continue  # not recorded: the capture says nothing of its live modules
        if stuck is not None:
            why = f"not run: the modlist of {stuck} was still running"
            statuses.append(model.SourceStatus("modlist", argv, False, why, 0.0))
            found.append((name, None))
            continue
        mods, status = run_source(runner, "modlist", argv, MODLIST.parse, timeout, kill=False)
        if argv in runner.still_running():
            stuck = name
        found.append((name, mods))
        statuses.append(status)
    return model.Modules(tuple(found), tuple(statuses), time.time())


def _driver_instance(
    name: str, platform: str, devices: Optional[dict[str, Optional[str]]]
) -> Optional[tuple[str, int]]:
    """The driver and instance under a link: Solaris 10 names the interface
    after them (a VLAN's PPA is 1000 * VID + instance); Solaris 11 and illumos
    say it in ``dladm show-phys`` DEVICE (None when not listed there)."""
    if platform != "solaris10":
        device = (devices or {}).get(name)
        m = _PPA.match(device) if device else None
        return (m.group(1), int(m.group(2))) if m else None
    m = _PPA.match(name)
    if not m:
        return None
    ppa = int(m.group(2))
    return m.group(1), ppa % 1000 if ppa >= 1000 else ppa


ApFiles = tuple[tuple[str, autopush.ApEntry], ...]


def _read_apconf(runner: Runner, platform: str) -> tuple[Optional[ApFiles], model.SourceStatus]:
    """Every per-driver entry boot loads, with its file; None when one could not be read."""
    start = time.monotonic()
    paths = AUTOPUSH_FILES.paths if platform == "solaris10" else AUTOPUSH_FILES.paths[:1]

    def failed(why: str, path: str) -> tuple[None, model.SourceStatus]:
        return None, model.SourceStatus("autopush-files", None, False, why, time.monotonic() - start, path)

    entries: list[tuple[str, autopush.ApEntry]] = []
    for path in paths:
        try:
            text = runner.read_file(path)
        except FileNotFoundError:
            continue  # no such file: it configures nothing
        except OSError as e:
            return failed(f"{path}: {e.strerror or e}", path)
        try:
            entries.extend((path, e) for e in AUTOPUSH_FILES.parse(path, text))
        except ParseError as e:
            return failed(str(e), path)
    status = model.SourceStatus("autopush-files", None, True, None, time.monotonic() - start, " ".join(paths))
    return tuple(entries), status


def _unaskable(error: Optional[str]) -> bool:
    """autopush -g cannot answer on this host at all: not installed, or refused
    outside the global zone (autopush.c)."""
    return bool(error) and ("command not found" in str(error) or "global zone" in str(error))


def _kernel_autopush(
    runner: Runner, major: int, minor: int, timeout: float
) -> tuple[Optional[autopush.ApEntry], model.SourceStatus]:
    """``autopush -g``: the kernel's entry covering ``minor``, an empty entry
    for that one minor when none is configured, None when it did not answer."""
    argv = autopush_argv(major, minor)
    result = _run(runner, argv, timeout)
    if result.exit_status == 1 and autopush.NOT_CONFIGURED in result.stderr:
        return autopush.ApEntry(str(major), minor, 0, ()), model.SourceStatus(
            "autopush", argv, True, None, result.duration
        )
    if not result.ok:
        return None, model.SourceStatus("autopush", argv, False, result.error, result.duration)
    try:
        entry = AUTOPUSH_KERNEL.parse(result.stdout)
    except ParseError as e:
        return None, model.SourceStatus("autopush", argv, False, str(e), result.duration)
    return entry, model.SourceStatus("autopush", argv, True, None, result.duration)


Configured = tuple[Optional[tuple[str, ...]], str]  # (modules in modlist order, where from / why unknown)


def configured_modules(
    runner: Runner,
    platform: str,
    names: Iterable[str],
    links: Optional[tuple[autopush.LinkAutopush, ...]],
    devices: Optional[dict[str, Optional[str]]],
    timeout: float = DEFAULT_TIMEOUT,
) -> tuple[dict[str, Configured], list[model.SourceStatus]]:
    """What autopush pushes on each named link when it is plumbed, read-only.

    A per-link value (``dladm show-linkprop``) replaces the per-driver list;
    else the kernel's per-driver list (``autopush -g`` at the driver's major
    and minor instance + 1, as dld looks it up); where the kernel cannot be
    asked (outside the global zone), the files boot loads it from.
    """
    wanted = sorted(set(names))
    statuses: list[model.SourceStatus] = []
    out: dict[str, Configured] = {}
    by_link = {r.link: r for r in links or ()}
    per_driver: dict[str, tuple[str, int]] = {}
    for name in wanted:
        if platform != "solaris10":
            if links is None:
                out[name] = (None, "the per-link autopush property could not be read (dladm show-linkprop)")
                continue
            row = by_link.get(name)
            if row is None or row.modules is None:
                why = "not listed" if row is None else "not readable"
                out[name] = (None, f"dladm show-linkprop: the autopush property of {name} is {why}")
                continue
            if row.modules:
                out[name] = (tuple(reversed(row.modules)), f"{model.PER_LINK_AUTOPUSH}{name}")
                continue
        di = _driver_instance(name, platform, devices)
        if di is None:
            out[name] = (None, f"the driver and instance of {name} are unknown")
            continue
        per_driver[name] = di
    if not per_driver:
        return out, statuses
    files, files_status = _read_apconf(runner, platform)
    statuses.append(files_status)
    majors, st = read_source(runner, NAME_TO_MAJOR.name, NAME_TO_MAJOR.paths[0], NAME_TO_MAJOR.parse)
    statuses.append(st)

    def from_files(driver: str, minor: int, why: str) -> Configured:
        if files is None:
            return None, f"{why}; the autopush files could not be read ({files_status.error})"
        hit = next(((p, e) for p, e in files if e.driver == driver and e.covers(minor)), None)
        if hit is None:
            return (), f"no entry for {driver} in the autopush files ({why})"
        return tuple(reversed(hit[1].modules)), f"{hit[0]} line {hit[1].lineno} ({why})"

    by_driver: dict[str, list[tuple[int, str]]] = {}
    for name, (driver, instance) in per_driver.items():
        by_driver.setdefault(driver, []).append((instance + 1, name))
    for driver, members in sorted(by_driver.items()):
        members.sort()
        if majors is None or driver not in majors:
            why = (
                "/etc/name_to_major could not be read"
                if majors is None
                else f"{driver} is not in /etc/name_to_major"
            )
            out.update((name, from_files(driver, minor, why)) for minor, name in members)
            continue
        # The kernel is asked at each member's minor, except where an entry it
        # already gave covers that minor too (an entry for every minor: one
        # process for the driver).  "Not configured" at one minor says nothing
        # of another.  Where it cannot be asked (outside the global zone, or no
        # autopush command), the files boot loads it from are read instead.
        seen: list[autopush.ApEntry] = []
        for minor, name in members:
            entry = next((e for e in seen if e.modules and e.covers(minor)), None)
            if entry is None:
                entry, st = _kernel_autopush(runner, majors[driver], minor, timeout)
                statuses.append(st)
                if entry is None:
                    why = f"autopush -g failed: {st.error}"
                    if _unaskable(st.error):
                        out.update((n, from_files(driver, m, why)) for m, n in members if n not in out)
                        break
                    out[name] = from_files(driver, minor, why)
                    continue
                seen.append(entry)
            out[name] = (tuple(reversed(entry.modules)), f"autopush -g (driver {driver}, minor {minor})")
    return out, statuses


def modlist_targets(groups: Iterable[model.Group], extra: Iterable[str] = ()) -> set[str]:
    """The interfaces ``ifconfig IF modlist`` runs on: every group's members
    (never an IPMP meta-interface, which is not a member) plus ``extra``."""
    return set(extra) | {m for g in groups for m in g.members}


def _persistent_files(
    runner: Runner,
) -> tuple[Optional[tuple[model.BootInterface, ...]], model.SourceStatus]:
    start = time.monotonic()

    def failed(why: str, path: str) -> tuple[None, model.SourceStatus]:
        return None, model.SourceStatus("persistent", None, False, why, time.monotonic() - start, path)

    paths: list[str] = []
    for pattern in HOSTNAME_FILES.paths:
        try:
            paths += [p for p in runner.glob(pattern) if hostname.FILE_NAME.match(p.rpartition("/")[2])]
        except OSError as e:
            return failed(f"cannot list {pattern}: {e.strerror or e}", pattern)
    files = []
    texts = {}
    for path in paths:
        try:
            texts[path] = runner.read_file(path)
            files.append(HOSTNAME_FILES.parse(path, texts[path]))
        except OSError as e:
            return failed(f"{path}: {e.strerror or e}", path)
        except ParseError as e:
            return failed(str(e), path)
    return boot_from_files(files, texts), model.SourceStatus(
        "persistent", None, True, None, time.monotonic() - start, " ".join(HOSTNAME_FILES.paths)
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

    uname = SOURCES_BY_NAME["uname"]
    un, st = run_source(runner, uname.name, uname.argv, uname.parse, timeout)
    statuses.append(st)
    platform = un.platform if un else "unknown"
    arch = un.arch if un else None
    host = model.Host(platform, un.release if un else None, arch, un.nodename if un else None)

    for src in COMMANDS:
        if src is uname or not applies(src, platform, arch):
            continue
        value, st = run_source(runner, src.name, src.argv, src.parse, timeout)
        statuses.append(st)
        results[src.name] = value

    files: Optional[tuple[model.BootInterface, ...]] = None
    if applies(HOSTNAME_FILES, platform, arch):
        files, st = _persistent_files(runner)
        statuses.append(st)
    store: Optional[tuple[ipadm.StoreInterface, ...]] = None
    if applies(IPADM_STORE, platform, arch):
        # ipmgmtd writes it on the first persistent change: absent, nothing stored
        store, st = read_source(runner, IPADM_STORE.name, IPADM_STORE_PATH, IPADM_STORE.parse, absent="")
        statuses.append(st)

    entries: Optional[tuple[ifconfig.IfconfigEntry, ...]] = results.get("ifconfig")
    groups_rows: Optional[tuple[ipmpstat.GroupRow, ...]] = results.get("ipmp-groups")
    if_rows: Optional[tuple[ipmpstat.InterfaceRow, ...]] = results.get("ipmp-interfaces")

    interfaces = _interfaces(entries, if_rows, results, modules, platform)
    groups = _groups(entries, groups_rows, interfaces)
    targets = modlist_targets(groups, extra_modlist)
    if run_modlist or not runner.live:
        # A replay uses the modlists it recorded, whatever the setting: only a
        # live host is held back.
        fresh = gather_modules(runner, targets, timeout)
        if fresh.by_interface:
            modules = fresh
    if modules is not None:
        interfaces = tuple(dataclasses.replace(i, modules=modules.get(i.name)) for i in interfaces)
        statuses.extend(modules.sources)
    plumbed = {i.name for i in interfaces if not i.ipmp}
    devices = None if results.get("links") is None else {r.link: r.device for r in results["links"]}
    conf, conf_statuses = configured_modules(
        runner, platform, targets & plumbed, results.get("autopush-links"), devices, timeout
    )
    statuses.extend(conf_statuses)
    interfaces = tuple(_with_configured(i, conf.get(i.name), platform, devices) for i in interfaces)
    persistent = _persistent(platform, files, results.get("ipadm-if"), results.get("ipadm-addr"), store)
    return model.Snapshot(
        host=host,
        interfaces=interfaces,
        groups=groups,
        persistent=persistent,
        local_mac_address=results.get("eeprom"),
        sources=tuple(statuses),
        taken_at=time.time(),
        modules_taken_at=modules.taken_at if modules is not None else None,
        datalinks=None if results.get("links") is None else tuple(sorted(r.link for r in results["links"])),
    )


def _with_configured(
    i: model.Interface,
    conf: Optional[Configured],
    platform: str,
    devices: Optional[dict[str, Optional[str]]],
) -> model.Interface:
    di = None if i.ipmp else _driver_instance(i.name, platform, devices)
    if conf is None and di is None:
        return i
    return dataclasses.replace(
        i,
        configured_modules=conf[0] if conf else None,
        configured_from=conf[1] if conf else None,
        driver=di[0] if di else None,
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
        found = [a for a in map(_address, blocks) if a is not None]
        addresses = tuple(sorted(found, key=lambda a: (a.family, a.name, a.address)))
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
                duplicate_hwaddr=row.duplicate_hwaddr if row else False,
            )
        )
    return tuple(out)


def _address(b: ifconfig.IfconfigEntry) -> Optional[model.Address]:
    """The block's address; a NOLOCAL block's is its subnet (flags say NOLOCAL);
    None for the ``0.0.0.0`` and ``::/0`` placeholders of an unconfigured one."""
    if b.address is None and b.subnet is not None:
        network, _, plen = b.subnet.partition("/")
        return model.Address(b.name, b.family, network, int(plen), b.flags)
    if not b.address or b.address == "0.0.0.0" or (b.address == "::" and b.prefixlen == 0):
        return None
    return model.Address(b.name, b.family, b.address, b.prefixlen, b.flags)


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


def boot_from_files(
    files: list[hostname.HostnameFile], texts: dict[str, str]
) -> tuple[model.BootInterface, ...]:
    out = []
    for f in files:
        addresses = tuple(
            model.BootAddress(
                family=f.family,
                address=a.address,
                prefixlen=None,
                flags=tuple(
                    w
                    for w, on in (("up", a.up), ("deprecated", a.deprecated), ("-failover", a.nofailover))
                    if on
                ),
            )
            for a in f.addresses
        )
        out.append(
            model.BootInterface(
                name=f.interface,
                origin=f.path,
                families=(f.family,),
                group=f.group or None,
                ipmp=f.ipmp,
                standby=f.standby,
                addresses=addresses,
                text=texts.get(f.path),
            )
        )
    return tuple(sorted(out, key=lambda p: (p.name, p.origin)))


def _boot_from_ipadm(
    if_rows: tuple[ipadm.IfRow, ...],
    addr_rows: tuple[ipadm.AddrRow, ...],
    store: Optional[tuple[ipadm.StoreInterface, ...]],
    files: Optional[tuple[model.BootInterface, ...]],
) -> tuple[model.BootInterface, ...]:
    addrs: dict[str, list[model.BootAddress]] = {}
    for a in addr_rows:
        if not a.persistent.strip("-"):
            continue  # a temporary address (ipadm -t): nothing restores it
        family = "ipv6" if a.address and ":" in a.address else "ipv4"
        addrs.setdefault(a.interface, []).append(
            model.BootAddress(
                family, a.address, a.prefixlen, tuple(c for c in a.persistent if c != "-"), a.addrobj
            )
        )
    stored = {e.ifname: e for e in store or ()}
    # An IPMP interface's group is its name unless its hostname file names
    # another; at boot ipadm adds members to the IPMP interface's group.
    file_group = {p.name: p.group for p in files or () if p.ipmp and p.group}

    def group_of(ipmp_if: str) -> str:
        return file_group.get(ipmp_if) or ipmp_if

    out = []
    for r in if_rows:
        fams = r.persistent_families
        if not fams:
            continue  # not in the persistent configuration (created with -t)
        e = stored.get(r.ifname)
        ipmp = e.ipmp if e is not None else r.ipmp
        ipmp_if = e.ipmp_interface if e is not None else None
        group = group_of(r.ifname) if ipmp else (group_of(ipmp_if) if ipmp_if else None)
        out.append(
            model.BootInterface(
                name=r.ifname,
                origin="ipadm",
                families=fams,
                group=group if store is not None else None,
                ipmp=ipmp,
                standby="s" in r.persistent,
                addresses=tuple(addrs.get(r.ifname, ())),
                ipmp_interface=ipmp_if,
            )
        )
    return tuple(sorted(out, key=lambda p: p.name))


def _persistent(
    platform: str,
    files: Optional[tuple[model.BootInterface, ...]],
    if_rows: Optional[tuple[ipadm.IfRow, ...]],
    addr_rows: Optional[tuple[ipadm.AddrRow, ...]],
    store: Optional[tuple[ipadm.StoreInterface, ...]],
) -> model.Persistent:
    expected = {
        "solaris10": (model.HOSTNAME_FILES,),
        "solaris11": (model.IPADM,),
    }.get(platform, (model.HOSTNAME_FILES, model.IPADM))
    boot_ipadm = None
    if model.IPADM in expected and if_rows is not None and addr_rows is not None:
        boot_ipadm = _boot_from_ipadm(if_rows, addr_rows, store, files)
    ipadm_ipmp = None
    if store:
        ipadm_ipmp = any(e.with_class for e in store)
    return model.Persistent(
        expected=expected,
        hostname_files=files if model.HOSTNAME_FILES in expected else None,
        ipadm=boot_ipadm,
        ipadm_groups=store is not None,
        ipadm_ipmp=ipadm_ipmp,
    )
