"""IPMP013 group-health (runtime state).

What it checks:
    The group is not degraded or failed, and no member is failed or offline
    (``ipmpstat -g`` / ``-i``; on Solaris 10, the FAILED and OFFLINE flags).

Why it matters:
    A degraded group still answers but has lost its redundancy: the next
    failure is an outage.  A failed group has no usable interface at all.

Fix:
    Look at the failed member's link (``dladm show-phys``), cabling and
    switch port, and at in.mpathd's messages in /var/adm/messages; bring an
    offlined member back with ``if_mpadm -r IF``.

Fix safety:
    An offline member: ``if_mpadm -r``, proven. Offlined for a duplicate
    MAC: a unique MAC, as IPMP004. A failed member or a degraded group:
    diagnosis only (``dladm show-phys``, ``show-dev`` on Solaris 10;
    ``ipmpstat -i``), by hand.
"""

from __future__ import annotations

from ipmpd.checks.base import Context, Issue, Outcome, Unknown
from ipmpd.remedy import actions as a
from ipmpd.remedy.compose import unique_mac

CODE, NAME, SEVERITY, STEP, NEEDS = "IPMP013", "group-health", "error", None, ()


def check(ctx: Context) -> Outcome:
    g = ctx.group
    if g is None:
        return ctx.not_running()
    if g.state is None:
        return Unknown("neither ipmpstat nor ifconfig flags told the group's state")
    issues = []
    bad = []
    dup = set()
    for name in g.members:
        i = ctx.snapshot.interface(name)
        if i is not None and i.state in ("failed", "offline"):
            bad.append((name, i.state))
            if i.duplicate_hwaddr:
                dup.add(name)

    def fix(n: str, s: str) -> a.Remedy:
        if n in dup:
            # in.mpathd onlines it by itself once its MAC is unique; if_mpadm -r fails until then.
            return unique_mac(ctx.snapshot, [n])
        return (a.Reattach(n),) if s == "offline" else (a.ShowLink(n),)

    if g.state in ("degraded", "failed"):
        issues.append(
            Issue(
                tuple(n for n, _ in bad) or tuple(g.members),
                f"Group {g.name} is {g.state}"
                + (f": {', '.join(f'{n} {s}' for n, s in bad)}" if bad else "")
                + ".",
                tuple(x for n, s in bad for x in fix(n, s)) or (a.ShowIpmp(g.name),),
            )
        )
    elif bad:
        issues.append(
            Issue(
                tuple(n for n, _ in bad),
                f"Group {g.name} reports ok but " + ", ".join(f"{n} is {s}" for n, s in bad) + ".",
                tuple(x for n, s in bad for x in fix(n, s)),
            )
        )
    return issues
