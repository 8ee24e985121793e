"""IPMP011 membership (drift against ipmpd.toml).

What it checks:
    A group configured in ipmpd.toml exists on the host with exactly the
    configured interfaces: none missing, none extra.  Groups without a
    ``[[group]]`` entry are reported as skipped.

Why it matters:
    Membership drifts: an interface is removed with ``ifconfig IF group ""``
    during maintenance and never put back, or one is added by hand.  The
    group still reports ok while carrying less redundancy than planned.

Fix:
    Put the interface back (``ifconfig IF group NAME``, or ``ipadm add-ipmp``
    on Solaris 11), remove the extra one, or update ipmpd.toml if the change
    was intended.

Fix safety:
    A missing member joins now and at boot (``ifconfig IF group``, or
    brought up as its boot file says when unplumbed, the boot file rewritten
    whole; ``ipadm add-ipmp -i IF IPMPIF`` on Solaris 11); an extra one
    leaves now and at boot; proven. By hand when the interface belongs to
    another group, shares a MAC or no subnet with the members, would leave a
    group below two members now or at boot, is not a datalink, or the group
    must first be created on Solaris 11.
"""

from __future__ import annotations

from ipmpd.checks.base import Context, Issue, Outcome, Skipped
from ipmpd.remedy import actions as a
from ipmpd.remedy import compose

CODE, NAME, SEVERITY, STEP, NEEDS = "IPMP011", "membership", "warning", None, ("ifconfig",)


def check(ctx: Context) -> Outcome:
    gc = ctx.group_config
    if gc is None:
        return Skipped(f"group {ctx.group_name!r} has no [[group]] entry in the configuration")
    snap = ctx.snapshot
    if ctx.group is None:
        why = compose.conflict(snap, tuple(sorted(gc.interfaces)))
        if why:
            fix: a.Remedy = (a.Manual(why),)
        elif ctx.platform == "solaris11":
            fix = (a.Manual(f"create the group: ipmpd plan {gc.name} {' '.join(sorted(gc.interfaces))}"),)
        else:
            ifs = tuple(sorted(gc.interfaces))
            fix = tuple(x for i in ifs for x in compose.join_group(snap, i, gc.name, ifs))
        return [
            Issue(
                tuple(sorted(gc.interfaces)), f"Configured group {gc.name} does not exist on this host.", fix
            )
        ]
    have, want = set(ctx.group.members), set(gc.interfaces)
    issues = []
    for i in sorted(want - have):
        issues.append(
            Issue(
                (i,),
                f"{i} is configured for group {gc.name} but is not a member.",
                compose.join_group(snap, i, gc.name),
            )
        )
    for i in sorted(have - want):
        issues.append(
            Issue(
                (i,),
                f"{i} is a member of group {gc.name} but the configuration does not name it.",
                compose.leave_group(snap, i, gc.name)
                + (a.Note(f"or add {i} to group {gc.name!r} in ipmpd.toml"),),
            )
        )
    return issues
