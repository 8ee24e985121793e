"""Remedies shared by several checks and by ``ipmpd plan``, built as actions.

Every builder looks at the snapshot before choosing an action: a plumbed
interface gets ``SetGroup``, an unplumbed one is brought up the way its boot
file will bring it up, a boot file is rewritten whole with its lines and
tokens kept, Solaris 11 gets ipadm, and whatever cannot be done safely
becomes a ``Manual`` step (verify by hand) rather than a guess.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Optional

from ipmpd import model
from ipmpd.remedy import actions as a
from ipmpd.remedy import bootfile
from ipmpd.sources import LINK_NAME


def hostname_files(snap: model.Snapshot, interface: str) -> list[model.BootInterface]:
    """The interface's own /etc/hostname.IF and hostname6.IF entries (not logical ones)."""
    return [p for p in snap.persistent.get(interface) if p.origin != "ipadm"]


def ipadm_entry(snap: model.Snapshot, interface: str) -> Optional[model.BootInterface]:
    return next((p for p in snap.persistent.get(interface) if p.origin == "ipadm"), None)


def ipadm_managed(snap: model.Snapshot, interface: str) -> bool:
    """Whether ipadm, not a hostname file, restores the interface at boot: always
    on Solaris 11; on illumos when it has no hostname file but an ipadm entry."""
    platform = snap.host.platform
    if platform == "solaris11":
        return True
    return (
        platform == "illumos"
        and not hostname_files(snap, interface)
        and ipadm_entry(snap, interface) is not None
    )


def ipmp_interface_of(snap: model.Snapshot, group: str) -> str:
    """The group's IPMP interface, or a placeholder for the administrator to fill."""
    g = snap.group(group)
    return g.ipmp_interface if g is not None and g.ipmp_interface else "IPMP-INTERFACE"


def _edit_files(snap: model.Snapshot, interface: str, group: Optional[str]) -> Optional[a.Remedy]:
    """Boot-file writes putting ``interface`` in ``group`` (None: in no group);
    None when a file cannot be edited safely; () when nothing needs writing."""
    files = hostname_files(snap, interface)
    out: list[a.Action] = []
    grouped = [p for p in files if p.group]
    if group is None:
        for p in grouped:
            new = bootfile.without_group(p.origin, p.text or "")
            if new is None:
                return None
            out.append(a.WriteBootFile(p.origin, new, p.text))
        return tuple(out)
    targets = grouped or [p for p in files if "ipv4" in p.families][:1] or files[:1]
    for p in targets:
        if p.group == group:
            continue
        new = bootfile.with_group(p.origin, p.text or "", group)
        if new is None:
            return None
        out.append(a.WriteBootFile(p.origin, new, p.text))
    return tuple(out)


def boot_without_group(snap: model.Snapshot, interface: str) -> Optional[a.Remedy]:
    """Boot-file writes taking ``interface`` out of any group; None when there are
    no hostname files to edit or one cannot be edited safely."""
    if not hostname_files(snap, interface) or snap.host.platform not in ("solaris10", "illumos"):
        return None
    return _edit_files(snap, interface, None) or None


def persist_membership(
    snap: model.Snapshot, interface: str, group: str, together: tuple[str, ...] = ()
) -> a.Remedy:
    """Make boot put a running member in ``group``, keeping the rest of its
    configuration; ``together``: interfaces the same remedy writes down too."""
    live = snap.interface(interface)
    files = hostname_files(snap, interface)
    entry = ipadm_entry(snap, interface)
    if not on_link(snap, interface, group):
        return (a.Manual(f"at boot {group} also holds members not on {interface}'s IP link: fix that first"),)
    if ipadm_managed(snap, interface):
        why = "recreating it in ipadm's persistent configuration means deleting and recreating the interface"
        if entry is not None:
            why = f"ipadm restores {interface}; ipadm add-ipmp on a live member is not modelled"
        return (
            a.Manual(
                f"keep {interface} in group {group} at boot ({why}); in a maintenance window: "
                f"ipadm add-ipmp -i {interface} {ipmp_interface_of(snap, group)}"
            ),
        )
    at_boot = set(snap.persistent.members(group)) | {interface} | set(together)
    if len(at_boot) < 2:
        return (a.Manual(f"no other member of {group} is restored at boot: write them all down together"),)
    if files:
        edits = _edit_files(snap, interface, group)
        if edits is None:
            return (a.Manual(f"add 'group {group}' to {files[0].origin} without changing its other lines"),)
        return edits
    if live is None:
        return (
            a.Manual(
                f"{interface} is not plumbed and has no boot file: configure it, then add it to {group}"
            ),
        )
    content = bootfile.new_file(live, group)
    if content is None:
        return (a.Manual(f"write /etc/hostname.{interface} with its addresses and 'group {group}'"),)
    return (a.WriteBootFile(f"/etc/hostname.{interface}", content, None),)


def rejoin(snap: model.Snapshot, interface: str, group: str) -> a.Remedy:
    """Put an interface in ``group`` now, as its boot configuration already does."""
    live = snap.interface(interface)
    g = snap.group(group)
    why = conflict(
        snap, (interface,) + tuple(m for m in (g.members if g is not None else ()) if m != interface)
    )
    if g is None:
        members = ", ".join(snap.persistent.members(group))
        why = f"group {group} is not running: bring its boot members ({members}) up together, by hand"
    if why or not on_link(snap, interface, group):
        return (
            a.Manual(
                f"{why or f'{interface} is not on the IP link of group {group}'}: fix that before it rejoins"
            ),
        )
    if live is not None:
        if live.group and live.group != group:
            return (a.Manual(f"{interface} is in group {live.group} now; moving it would change that group"),)
        return (a.SetGroup(interface, group),)
    files = [p for p in hostname_files(snap, interface) if p.text is not None]
    if snap.host.platform in ("solaris10", "illumos") and files:
        return bring_up(snap, files, {})
    return (a.Manual(f"bring {interface} up as its boot configuration does (it is not plumbed)"),)


def bring_up(snap: model.Snapshot, files: list[model.BootInterface], written: dict[str, str]) -> a.Remedy:
    """Plumb an interface from its hostname files (IPv4 first) as net-physical
    would, reading ``written`` (path: new content) instead of a file the same
    remedy rewrites."""
    out = []
    for p in sorted(files, key=lambda p: p.families):
        text, family = written.get(p.origin, p.text or ""), p.families[0]
        cmds = tuple(bootfile.commands(text, family, snap.host.platform))
        out.append(a.BringUpFromBootFile(p.name, family, p.origin, cmds, bootfile.is_ipmp(text)))
    return tuple(out)


def join_group(snap: model.Snapshot, interface: str, group: str, together: tuple[str, ...] = ()) -> a.Remedy:
    """Put ``interface`` in ``group`` now and at boot; ``together``: the other
    interfaces the same remedy puts in it (a group being created)."""
    platform = snap.host.platform
    live = snap.interface(interface)
    if not LINK_NAME.match(interface) or not bootfile.SAFE_GROUP.match(group):
        return (a.Manual(f"put {interface} in group {group}"),)
    if live is None and snap.datalinks is not None and interface not in snap.datalinks:
        return (a.Manual(f"{interface} is not a datalink on this host: choose an interface that exists"),)
    other = (live.group if live is not None else None) or next(
        (p.group for p in snap.persistent.effective(interface) if p.group and p.group != group), None
    )
    if other and other != group:
        return (a.Manual(f"{interface} belongs to group {other}; moving it would change that group"),)
    g = snap.group(group)
    why = conflict(
        snap, (interface,) + tuple(m for m in (g.members if g is not None else ()) if m != interface)
    )
    if why:
        return (a.Manual(f"{why}: fix that before {interface} joins {group}"),)
    if not on_link(snap, interface, group):
        return (
            a.Manual(
                f"{interface} shares no subnet with group {group}'s members: cable it to their link first"
            ),
        )
    if platform == "solaris11":
        g = snap.group(group)
        entry = ipadm_entry(snap, interface)
        if g is None or not g.ipmp_interface:
            return (a.Manual(f"create group {group} first (ipmpd plan {group} {interface} ...)"),)
        if live is not None and entry is None:
            return persist_membership(snap, interface, group, together)
        return ((a.IpadmCreateIp(interface),) if live is None else ()) + (
            a.IpadmAddIpmp((interface,), g.ipmp_interface),
        )
    if ipadm_managed(snap, interface):
        return persist_membership(snap, interface, group, together)
    files = hostname_files(snap, interface)
    if live is None and files:
        edits = _edit_files(snap, interface, group)
        if edits is None:
            return (a.Manual(f"add 'group {group}' to {files[0].origin}, then plumb {interface}"),)
        return edits + bring_up(
            snap, files, {w.path: w.content for w in edits if isinstance(w, a.WriteBootFile)}
        )
    now: a.Remedy = (a.SetGroup(interface, group),)
    if live is None:
        now = (a.Plumb(interface, "ipv4", up=True),) + now
        return now + (a.WriteBootFile(f"/etc/hostname.{interface}", f"group {group} up\n", None),)
    return now + persist_membership(snap, interface, group, together)


def _nets(i: Optional[model.Interface]) -> set[ipaddress.IPv4Network]:
    out = set()
    for x in i.addresses if i is not None else ():
        if x.family == "ipv4" and x.prefixlen is not None and "NOLOCAL" not in x.flags:
            out.add(ipaddress.IPv4Network(f"{x.address}/{x.prefixlen}", strict=False))
    return out


def _boot_nets(snap: model.Snapshot, name: str) -> set[ipaddress.IPv4Network]:
    """An unplumbed interface's IPv4 subnets as its boot configuration writes them
    (the classful network where no prefix is written)."""
    out = set()
    for p in snap.persistent.effective(name):
        for x in p.addresses:
            try:
                ip = ipaddress.IPv4Address(x.address or "")
            except ValueError:
                continue
            plen = x.prefixlen or bootfile.classful(str(ip))
            out.add(ipaddress.IPv4Network(f"{ip}/{plen}", strict=False))
    return out


def on_link(snap: model.Snapshot, interface: str, group: str) -> bool:
    """False when the interface's IPv4 subnets and those of the group's members,
    now or at boot, are known and share none (IPMP008 would fail); True otherwise."""
    mine = _nets(snap.interface(interface)) or _boot_nets(snap, interface)
    g = snap.group(group)
    members = set(g.members if g is not None else ()) | set(snap.persistent.members(group))
    theirs = set().union(*(_nets(snap.interface(m)) or _boot_nets(snap, m) for m in members - {interface}))
    return not mine or not theirs or any(x.overlaps(y) for x in mine for y in theirs)


def shared_mac(snap: model.Snapshot, names: tuple[str, ...]) -> list[str]:
    """Interfaces among ``names`` whose MAC another of them has (IPMP004 would fail)."""
    macs: dict[str, list[str]] = {}
    for n in names:
        i = snap.interface(n)
        if i is not None and i.mac:
            macs.setdefault(i.mac, []).append(n)
    return sorted(n for group in macs.values() if len(group) > 1 for n in group)


def conflict(snap: model.Snapshot, names: tuple[str, ...]) -> Optional[str]:
    """Why ``names`` cannot be grouped as they are (a shared MAC, no common
    IPv4 subnet); None when nothing known stands in the way."""
    twins = shared_mac(snap, names)
    if twins:
        return f"{' and '.join(twins)} share a MAC address: make them unique first"
    nets = [(n, _nets(snap.interface(n)) or _boot_nets(snap, n)) for n in names]
    nets = [(n, x) for n, x in nets if x]
    for n, x in nets[1:]:
        if not any(p.overlaps(q) for p in x for q in nets[0][1]):
            return f"{nets[0][0]} and {n} share no subnet: they are not on one IP link"
    return None


def leave_group(snap: model.Snapshot, interface: str, group: str) -> a.Remedy:
    """Take a member out of ``group`` now and at boot."""
    files = hostname_files(snap, interface)
    g = snap.group(group)
    now = [m for m in (g.members if g is not None else ()) if m != interface]
    boot = [m for m in snap.persistent.members(group) if m != interface]
    if min(len(now), len(boot)) < 2:
        left = min(len(now), len(boot))
        return (
            a.Manual(
                f"taking {interface} out would leave group {group} with {left} member(s), now or at boot"
            ),
        )
    if ipadm_managed(snap, interface):
        target = ipmp_interface_of(snap, group)
        return (a.Manual(f"take {interface} out of {group}: ipadm remove-ipmp -i {interface} {target}"),)
    edits = _edit_files(snap, interface, None)
    if edits is None:
        return (a.Manual(f"remove 'group {group}' from {files[0].origin}"),)
    return (a.SetGroup(interface, ""),) + edits


def unique_mac(snap: model.Snapshot, names: list[str]) -> a.Remedy:
    """Give each of ``names`` its own MAC address."""
    out: list[a.Action] = []
    if snap.host.arch == "sparc" and snap.local_mac_address is not True:
        out.append(a.SetEeprom("local-mac-address?", "true"))
        if snap.host.platform == "solaris10":
            return tuple(out)
    for name in names:
        if snap.host.platform in ("solaris11", "illumos"):
            out.append(a.SetMacAddress(name))
        else:
            out.append(
                a.Manual(f"give {name} a unique MAC address (ifconfig {name} ether, and in its boot file)")
            )
    return tuple(out)


def modlist_edits(current: list[str], target: list[str]) -> Optional[list[tuple[str, str, int]]]:
    """The shortest modremove/modinsert sequence turning ``current`` into ``target``.

    Both lists are STREAMS modules in ``ifconfig IF modlist`` order (position
    0 directly under the stream head), without the driver.  Returns
    ``[("modremove"|"modinsert", module, position), ...]`` or None when it
    would need to remove ``arp`` or ``ip``, which ifconfig(8) cannot do.

    The kept modules are a longest common subsequence, so the number of
    operations, len(current) + len(target) - 2 * LCS, is the least possible.
    Removals run from the highest position down (earlier positions do not
    move); insertions then run in target order, each at its final position.
    """
    n, m = len(current), len(target)
    lcs = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            if current[i] == target[j]:
                lcs[i][j] = lcs[i + 1][j + 1] + 1
            else:
                lcs[i][j] = max(lcs[i + 1][j], lcs[i][j + 1])
    keep_cur: set[int] = set()
    keep_tgt: set[int] = set()
    i = j = 0
    while i < n and j < m:
        if current[i] == target[j]:
            keep_cur.add(i)
            keep_tgt.add(j)
            i += 1
            j += 1
        elif lcs[i + 1][j] >= lcs[i][j + 1]:
            i += 1
        else:
            j += 1
    ops: list[tuple[str, str, int]] = []
    for i in range(n - 1, -1, -1):
        if i not in keep_cur:
            if current[i] in ("arp", "ip"):
                return None
            ops.append(("modremove", current[i], i))
    for j in range(m):
        if j not in keep_tgt:
            ops.append(("modinsert", target[j], j))
    return ops


PERSIST_MODULES = (
    "make the same change where the module is pushed at plumb time (autopush: /etc/iu.ap, "
    "/etc/ipf/pfil.ap, dladm set-linkprop -p autopush; or the interface's boot file), or it "
    "returns at the next boot"
)


def modlist_actions(interface: str, have: list[str], want: list[str]) -> Optional[a.Remedy]:
    """``modlist_edits`` as modremove/modinsert actions on ``interface``; None
    when it would need to remove ``arp`` or ``ip``."""
    edits = modlist_edits(have, want)
    if edits is None:
        return None
    return tuple(
        a.ModRemove(interface, mod, pos) if op == "modremove" else a.ModInsert(interface, mod, pos)
        for op, mod, pos in edits
    )


def module_edits(interface: str, have: list[str], want: list[str]) -> a.Remedy:
    now = modlist_actions(interface, have, want)
    if now is None:
        return (
            a.Manual(f"{interface} lacks arp or ip in the expected place: unplumb and replumb {interface}"),
        )
    return now + (a.Manual(PERSIST_MODULES),)


def configure_autopush(platform: str, member: model.Interface, want: Sequence[str]) -> a.Remedy:
    """Make the modules autopush gives ``member`` at plumb time ``want``
    (modlist order, nearest ip first).  By hand: the change reaches the
    running stream only when the interface is next plumbed, and a per-driver
    list changes every interface of the driver."""
    interface, driver, per_link = member.name, member.driver, member.per_link_autopush
    pushed = list(reversed(list(want)))
    per_driver = f"the /etc/iu.ap entry of driver {driver or '(the driver of ' + interface + ')'}" + (
        " (or /etc/ipf/pfil.ap)" if platform == "solaris10" else ""
    )
    if platform != "solaris10" and pushed:
        how = f"dladm set-linkprop -p autopush={'.'.join(pushed)} {interface}"
    elif platform != "solaris10" and per_link:
        how = f"dladm reset-linkprop -p autopush {interface} (the per-driver list then applies: {per_driver})"
    else:
        how = (
            f"edit {per_driver} to push {' '.join(pushed) or 'nothing'} (the first pushed sits nearest "
            "the driver) and load it with autopush -f; a per-driver entry applies to every interface "
            "of the driver"
        )
    return (
        a.Manual(
            f"{how}; it takes effect when {interface} is next plumbed (replumb or reboot): "
            "then check that its live modules match (ipmpd check --modlist)"
        ),
    )


def free_ipmp_name(snap: model.Snapshot) -> str:
    """The first ipmpN no interface, datalink or boot file uses."""
    used = {i.name for i in snap.interfaces} | {p.name.split(":", 1)[0] for p in snap.persistent.entries()}
    used |= set(snap.datalinks or ())
    n = 0
    while f"ipmp{n}" in used:
        n += 1
    return f"ipmp{n}"
