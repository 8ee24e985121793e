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

Fix safety:
    Missing IPv6 on an interface a hostname file restores: ``ifconfig IF
    inet6 plumb up`` and an empty ``/etc/hostname6.IF``; proven. Where ipadm
    restores it (Solaris 11, illumos without a hostname file): by hand, as
    libipadm refuses a persistent address on a family that is only active on
    some releases.  Missing IPv4 (it needs an address) and an extra family:
    by hand.
"""

from __future__ import annotations

from ipmpd.checks.base import Context, Issue, Outcome, Unknown
from ipmpd.remedy import actions as a
from ipmpd.remedy import compose

CODE, NAME, SEVERITY, STEP, NEEDS = "IPMP007", "address-family", "error", 5, ("ifconfig",)


def _add_family(ctx: Context, name: str, family: str) -> a.Remedy:
    """Plumb a missing family now and at boot."""
    if family != "ipv6":
        return (a.Manual(f"plumb IPv4 on {name} with an address of the group's subnet, now and at boot"),)
    snap = ctx.snapshot
    if compose.ipadm_managed(snap, name):
        # libipadm refuses a persistent address on a family that is only active
        # ("Persistent operation on temporary object", i_ipadm_validate_create_addr
        # in older illumos; newer ones accept it): not a command to paste blind.
        return (
            a.Manual(
                f"add IPv6 to {name} in ipadm's persistent configuration (ipadm create-addr -T addrconf "
                f"{name}/v6; some releases first need IPv6 itself made persistent)"
            ),
        )
    now = (a.Plumb(name, "ipv6", up=True),)
    if any("ipv6" in p.families for p in compose.hostname_files(snap, name)):
        return now
    # An empty hostname6 file plumbs IPv6 at boot; in.ndpd configures the link-local address.
    return now + (a.WriteBootFile(f"/etc/hostname6.{name}", "", None),)


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
        fix: a.Remedy = tuple(x for f in lacking for x in _add_family(ctx, m.name, f))
        fix += tuple(
            a.Manual(
                f"unplumb {f} on {m.name} and remove it from its boot configuration, or add it to the "
                "group's families in ipmpd.toml"
            )
            for f in extra
        )
        issues.append(Issue((m.name,), f"{m.name} {' and '.join(parts)}.", fix))
    return issues
