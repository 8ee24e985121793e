"""IPMP007 address-family (planning step 5).

What it checks:
    All members have the same address families plumbed (IPv4, IPv6), and
    the configured ``families`` when the group sets them.

Why it matters:
    "If one interface is configured for IPv4, then all interfaces of the
    group must be configured for IPv4"; addresses of a family a surviving
    member lacks cannot fail over to it.

Fix:
    Plumb the missing family on the member (``ifconfig IF inet6 plumb up``,
    ``/etc/hostname6.IF``; on Solaris 11 ``ipadm create-addr -T addrconf
    IF/v6``), or remove it from the others.
"""

from __future__ import annotations

from ipmpd.checks.base import Context, Issue, Outcome, Unknown

CODE, NAME, SEVERITY, STEP, NEEDS = "IPMP007", "address-family", "error", 5, ("ifconfig",)


def _plumb(platform: str, name: str, family: str) -> str:
    if platform == "solaris11":
        kind = "addrconf" if family == "ipv6" else "static -a local=<address>/<prefix>"
        return f"ipadm create-addr -T {kind} {name}/{'v6' if family == 'ipv6' else 'v4'}"
    word = "inet6" if family == "ipv6" else "inet"
    suffix = "6" if family == "ipv6" else ""
    return f"ifconfig {name} {word} plumb up  # and create /etc/hostname{suffix}.{name}"


def check(ctx: Context) -> Outcome:
    members = ctx.members()
    if isinstance(members, Unknown):
        return members
    gc = ctx.group_config
    if gc is not None and gc.families is not None:
        want = set(gc.families)
        source = "configured"
    else:
        want = set()
        for m in members:
            want |= set(m.families)
        source = "plumbed on other members"
    issues = []
    for m in members:
        have = set(m.families)
        lacking = sorted(want - have)
        extra = sorted(have - want)
        if not lacking and not extra:
            continue
        parts = []
        if lacking:
            parts.append(f"lacks {', '.join(lacking)} ({source})")
        if extra:
            parts.append(f"has {', '.join(extra)} which the group is not configured for")
        fix = [_plumb(ctx.platform, m.name, f) for f in lacking]
        fix += [f"ifconfig {m.name} {'inet6' if f == 'ipv6' else 'inet'} unplumb" for f in extra]
        issues.append(Issue((m.name,), f"{m.name} {' and '.join(parts)}.", tuple(fix)))
    return issues
