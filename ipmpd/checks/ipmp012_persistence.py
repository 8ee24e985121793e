"""IPMP012 persistence (drift against what boot restores).

What it checks:
    Every runtime member will come back in this group after a reboot: its
    ``/etc/hostname.IF`` names the group (Solaris 10, illumos), or ipadm
    holds it persistently (Solaris 11); and no persistent file puts another
    interface in the group that is not a member now.

Why it matters:
    Changes made with ``ifconfig`` alone vanish at the next boot.  A member
    that was never written to the persistent configuration leaves the group
    without redundancy after the next reboot -- usually discovered during an
    outage.

Fix:
    Write the running configuration down: add ``group NAME`` to
    ``/etc/hostname.IF`` (Solaris 10, illumos), or recreate the membership
    without ``-t`` (``ipadm add-ipmp -i IF IPMPIF``) on Solaris 11.
"""

from __future__ import annotations

from ipmpd.checks.base import Context, Issue, Outcome, Unknown

CODE, NAME, SEVERITY, STEP, NEEDS = "IPMP012", "persistence", "warning", None, ()


def check(ctx: Context) -> Outcome:
    persistent = ctx.snapshot.persistent
    if persistent is None:
        reasons = [
            f"{s.name}: {s.error}"
            for s in ctx.snapshot.sources
            if s.name in ("persistent", "ipadm-if") and not s.ok
        ]
        return Unknown(
            "the persistent configuration could not be read" + (f" ({'; '.join(reasons)})" if reasons else "")
        )
    if ctx.group is None:
        return Unknown(f"group {ctx.group_name!r} is not on this host")
    issues = []
    files = "hostname-files" in persistent.kinds
    for name in sorted(ctx.group.members):
        entries = persistent.get(name)
        grouped = [p for p in entries if p.group == ctx.group_name]
        if grouped:
            continue
        if files:
            other = [p for p in entries if p.origin.startswith("/etc/") and p.group]
            if other:
                msg = (
                    f"{other[0].origin} puts {name} in group {other[0].group!r}, not "
                    f"{ctx.group_name!r}; after a reboot it leaves this group."
                )
            elif any(p.origin.startswith("/etc/") for p in entries):
                msg = (
                    f"{name} has an /etc/hostname.{name} without 'group {ctx.group_name}'; "
                    "after a reboot it is not in the group."
                )
            elif entries:
                # ipadm restores the interface, but on illumos group membership
                # lives only in /etc/hostname.IF (ipadm has no IPMP there).
                msg = (
                    f"ipadm restores {name} at boot but no /etc/hostname.{name} puts it in group "
                    f"{ctx.group_name}; after a reboot it is not in the group."
                )
            else:
                msg = f"{name} has no /etc/hostname.{name}; after a reboot it is not plumbed."
            issues.append(
                Issue(
                    (name,),
                    msg,
                    (f"echo 'group {ctx.group_name} up' >> /etc/hostname.{name}",),
                )
            )
        elif not entries:
            issues.append(
                Issue(
                    (name,),
                    f"{name} is not in ipadm's persistent configuration (created with -t?); "
                    "after a reboot it is gone from the group.",
                    (
                        f"ipadm create-ip {name}",
                        f"ipadm add-ipmp -i {name} {ctx.group.ipmp_interface or ctx.group_name}",
                    ),
                )
            )
    if files:
        for p in persistent.in_group(ctx.group_name):
            if not p.ipmp and p.name not in ctx.group.members:
                issues.append(
                    Issue(
                        (p.name,),
                        f"{p.origin} puts {p.name} in group {ctx.group_name}, but it is not a "
                        "member now; the next boot will change the group.",
                        (f"ifconfig {p.name} group {ctx.group_name}  # or edit {p.origin}",),
                    )
                )
    return issues
