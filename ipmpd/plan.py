"""``ipmpd plan``: the planning procedure, run before the group exists.

Walks steps 1-8 of "How to Plan for an IPMP Group" for the named interfaces
and says, per step, pass / fail / cannot tell and why, with PLAN001 in step 1
for an interface that already belongs to another group; then gives the
actions that create the group on this platform (``create_actions``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ipmpd import model
from ipmpd.checks import SEVERITY_ORDER, Finding, Result, by_code_or_name, run_check
from ipmpd.checks.base import Context
from ipmpd.config import Config, GroupConfig
from ipmpd.remedy import actions as a
from ipmpd.remedy import compose
from ipmpd.remedy.render import render
from ipmpd.sources import LINK_NAME

# Plan-only: an interface the plan would take from another group.
PLAN_CODE, PLAN_NAME = "PLAN001", "other-group"

STEPS: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (1, "Choose two or more interfaces on one IP link; no logical interfaces", ("IPMP003",)),
    (2, "Each interface has a unique MAC address", ("IPMP004",)),
    (3, "Choose a non-null group name", ("IPMP001",)),
    (4, "Same STREAMS modules in the same order; no stateful modules", ("IPMP005", "IPMP006")),
    (5, "Same IP address families on every interface", ("IPMP007",)),
    (6, "All interfaces on the same IP link", ("IPMP008",)),
    (7, "Same media type", ("IPMP009",)),
    (8, "ATM interfaces in LAN emulation mode", ("IPMP010",)),
)


@dataclass(frozen=True)
class Step:
    number: int
    title: str
    verdict: str  # pass | fail | cannot tell
    why: str
    results: tuple[Result, ...]


def absent(snap: model.Snapshot, interfaces: tuple[str, ...]) -> list[str]:
    """The named interfaces this host does not have: neither plumbed (``ifconfig -a``)
    nor a datalink ``dladm show-phys`` knows (an unplumbed NIC on Solaris 11 and illumos)."""
    links = set(snap.datalinks or ())
    return [i for i in interfaces if snap.interface(i) is None and i not in links]


def where_looked(snap: model.Snapshot) -> str:
    if snap.datalinks is None:
        return "not plumbed, and no datalink list on this platform: plumb it first"
    return "neither plumbed nor a datalink in dladm show-phys"


def walk(
    snap: model.Snapshot, group: str, interfaces: tuple[str, ...], config: Config
) -> tuple[list[Step], list[Result]]:
    gc = config.group(group) or GroupConfig(group, interfaces)
    ctx = Context(snap, group, None, config, gc, proposed=tuple(sorted(interfaces)), now=snap.taken_at)
    steps: list[Step] = []
    all_results: list[Result] = []
    for number, title, codes in STEPS:
        results = [other_groups(snap, group, interfaces, config)] if number == 1 else []
        for code in codes:
            check = by_code_or_name(code)
            assert check is not None
            results.append(run_check(check, ctx, config))
        all_results.extend(results)
        statuses = {r.status for r in results}
        if "finding" in statuses:
            verdict = "fail"
        elif "unknown" in statuses:
            verdict = "cannot tell"
        else:
            verdict = "pass"
        why = "; ".join(
            [f"{r.name}: {r.reason}" for r in results if r.status in ("unknown", "skipped")]
            + [f.message for r in results for f in r.findings]
        )
        steps.append(Step(number, title, verdict, why, tuple(results)))
    return steps, all_results


def other_groups(snap: model.Snapshot, group: str, interfaces: tuple[str, ...], config: Config) -> Result:
    """PLAN001 other-group: an interface that already belongs to another group
    (running, or at boot) would leave it; say which and whether it would be emptied."""
    found = []
    for name in sorted(interfaces):
        live = snap.interface(name)
        running = live.group if live is not None and live.group else None
        boot = next((p.group for p in snap.persistent.effective(name) if p.group and not p.logical), None)
        other = running or boot
        if not other or other == group:
            continue
        g = snap.group(other)
        members = set(g.members) if g is not None else set(snap.persistent.members(other))
        left = sorted(members - set(interfaces))
        where = "now" if running else "at boot"
        if not left:
            effect, severity = f"it would empty group {other}", "error"
        else:
            effect, severity = f"group {other} would keep {', '.join(left)}", "warning"
        remedy: a.Remedy = (a.Manual(f"choose another interface, or take {name} out of group {other} first"),)
        found.append(
            Finding(
                PLAN_CODE,
                PLAN_NAME,
                severity,
                group,
                (name,),
                f"{name} belongs to group {other} ({where}); moving it to {group}: {effect}.",
                remedy,
                render(remedy, snap.host.platform),
            )
        )
    worst = max((f.severity for f in found), key=lambda s: SEVERITY_ORDER[s], default="warning")
    status = "finding" if found else "ok"
    reason = f"{len(found)} finding(s)" if found else None
    return Result(group, PLAN_CODE, PLAN_NAME, worst, status, reason, tuple(found))


def create_actions(snap: model.Snapshot, group: str, interfaces: tuple[str, ...]) -> a.Remedy:
    """The actions that build ``group`` from ``interfaces`` on this host: a free
    IPMP interface name, no existing boot file overwritten, no interface taken
    from another group (those become by-hand steps)."""
    platform = snap.host.platform
    ifs = sorted(interfaces)
    existing = snap.group(group)
    out: list[a.Action] = []
    why = compose.conflict(snap, tuple(ifs))
    if why:
        return (a.Manual(f"{why} (see the steps above)"),)
    if platform == "solaris11":
        if existing is not None and existing.ipmp_interface:
            ipmp_if = existing.ipmp_interface
        else:
            used = {i.name for i in snap.interfaces} | set(snap.datalinks or ())
            ipmp_if = group if LINK_NAME.match(group) and group not in used else compose.free_ipmp_name(snap)
            out.append(a.IpadmCreateIpmp(ipmp_if))
            if ipmp_if != group:
                out.append(a.Note(f"{group!r} cannot name the IPMP interface; the group is named {ipmp_if}"))
        joining = []
        for i in ifs:
            live = snap.interface(i)
            if live is not None and live.group == group:
                continue
            if live is not None and live.group:
                out.append(
                    a.Manual(f"{i} belongs to group {live.group}; take it out first or choose another")
                )
            elif live is not None and compose.ipadm_entry(snap, i) is None:
                out.append(
                    a.Manual(f"{i} was created with -t: recreate it persistently (ipadm create-ip {i})")
                )
            else:
                if live is None:
                    out.append(a.IpadmCreateIp(i))
                joining.append(i)
        if not joining:
            return tuple(x for x in out if isinstance(x, a.Manual))  # no empty IPMP interface
        out.append(a.IpadmAddIpmp(tuple(joining), ipmp_if))
        return tuple(out)
    if platform == "illumos" and (existing is None or not existing.ipmp_interface):
        ipmp_if = compose.free_ipmp_name(snap)
        out.append(a.CreateIpmpInterface(ipmp_if, group))
        out.append(a.WriteBootFile(f"/etc/hostname.{ipmp_if}", f"ipmp group {group} up\n", None))
        out.append(
            a.Note(f"put the group's data addresses on {ipmp_if} (ifconfig {ipmp_if} addif ADDRESS up)")
        )
    for i in ifs:
        live = snap.interface(i)
        if live is not None and live.group == group:
            continue
        out.extend(compose.join_group(snap, i, group, tuple(ifs)))
    return tuple(out)
