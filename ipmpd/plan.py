"""``ipmpd plan``: the planning procedure, run before the group exists.

Walks steps 1-8 of "How to Plan for an IPMP Group" for the named interfaces
and says, per step, pass / fail / cannot tell and why; then prints the
commands that create the group on this platform.
"""

from __future__ import annotations

from dataclasses import dataclass

from ipmpd import model
from ipmpd.checks import Result, by_code_or_name, run_check
from ipmpd.checks.base import Context
from ipmpd.config import Config, GroupConfig
from ipmpd.sources import LINK_NAME

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
        results = []
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


def create_commands(platform: str, group: str, interfaces: tuple[str, ...]) -> list[str]:
    ifs = sorted(interfaces)
    if platform == "solaris11":
        ipmp_if = group if LINK_NAME.match(group) else "ipmp0"
        out = [f"ipadm create-ipmp {ipmp_if}"]
        if ipmp_if != group:
            out.append(f"# {group!r} is not a valid IP interface name, so the IPMP interface")
            out.append(f"# is {ipmp_if}; its group name defaults to {ipmp_if}")
        out.append(f"ipadm add-ipmp {' '.join(f'-i {i}' for i in ifs)} {ipmp_if}")
        return out
    out = []
    if platform == "illumos":
        out.append(f"ifconfig ipmp0 ipmp group {group} up  # the IPMP interface for data addresses")
    out += [f"ifconfig {i} group {group}" for i in ifs]
    out.append("# and so that it survives a reboot:")
    out += [f"echo 'group {group} up' >> /etc/hostname.{i}" for i in ifs]
    if platform == "illumos":
        out.append(f"echo 'ipmp group {group} up' > /etc/hostname.ipmp0")
    return out
