"""IPMP012 persistence (drift against what boot restores).

What it checks:
    The group the boot configuration builds is the group running now: every
    runtime member is put back in this group at boot (its
    ``/etc/hostname.IF`` names the group on Solaris 10 and illumos; ipadm
    holds the membership on illumos with ``ipadm add-ipmp`` and on Solaris
    11), and nothing in the boot configuration puts another interface in the
    group.  A group defined only in the boot configuration is checked too:
    each of its members is a finding until the group runs.

Why it matters:
    Changes made with ``ifconfig`` alone, or ``ipadm -t``, vanish at the next
    boot; a member taken out at runtime but still written down comes back.
    Either way the next reboot silently changes the group -- usually
    discovered during an outage.

Fix:
    Write the running configuration down: add ``group NAME`` to
    ``/etc/hostname.IF`` (Solaris 10, illumos), or recreate the membership
    without ``-t`` (``ipadm add-ipmp -i IF IPMPIF``) on Solaris 11 and on
    illumos hosts that keep IPMP in ipadm; or take the interface out of the
    boot configuration when the runtime change was meant.  Solaris 11 keeps
    its persistent IPMP membership in a store ipmpd does not read, so there
    this check can only tell whether a member is persistent at all, and says
    unknown for the group it rejoins.

Fix safety:
    Writes the running membership down (the hostname file rewritten whole
    with its tokens kept; a new file carries the interface's running address
    configuration), or puts the runtime back as boot restores it (``ifconfig
    IF group``, or the boot file's own commands for an unplumbed member);
    when ipmpd.toml leaves the member out too, takes it out of the boot file
    instead. Proven, reboot included. By hand where ipadm holds the
    membership (Solaris 11; illumos interfaces without a hostname file), for
    a group that is not running, and under the guards of IPMP011.
"""

from __future__ import annotations

from ipmpd.checks.base import Context, Issue, Outcome, Skipped, Unknown
from ipmpd.model import IPADM
from ipmpd.remedy import actions as a
from ipmpd.remedy import compose

CODE, NAME, SEVERITY, STEP, NEEDS = "IPMP012", "persistence", "warning", None, ()


def check(ctx: Context) -> Outcome:
    unknown = ctx.boot_unknown()
    if unknown is not None:
        return unknown
    persistent = ctx.snapshot.persistent
    g = ctx.group
    blind = ctx.snapshot.interface_list_error()
    if g is None and blind is not None:
        return Unknown(blind)
    group = ctx.group_name
    running = set(g.members) if g is not None else set()
    boot = set(persistent.members(group))
    if g is None and not boot and not persistent.membership_unknown():
        return Skipped(f"group {group!r} is neither running nor in the boot configuration")
    issues = []
    untold = []
    for name in sorted(running - boot):
        entries = persistent.effective(name)
        other = [p for p in entries if p.group and p.group != group and not p.logical]
        in_ipadm = [p for p in entries if p.origin == "ipadm"]
        if other:
            msg = (
                f"{other[0].origin} puts {name} in group {other[0].group!r}, not {group!r}; "
                "after a reboot it leaves this group."
            )
        elif in_ipadm and not persistent.ipadm_groups:
            untold.append(name)
            continue
        elif in_ipadm:
            msg = (
                f"ipadm restores {name} at boot but not in group {group} (not added with "
                "ipadm add-ipmp, or added with -t); after a reboot it is not in the group."
            )
        elif entries:
            msg = (
                f"{name} has an {entries[0].origin} without 'group {group}'; after a reboot it "
                "is not in the group."
            )
        elif IPADM in persistent.expected and ctx.platform == "solaris11":
            msg = (
                f"{name} is not in ipadm's persistent configuration (created with -t?); "
                "after a reboot it is gone from the group."
            )
        else:
            msg = f"nothing in the boot configuration plumbs {name}; after a reboot it is not in the group."
        issues.append(Issue((name,), msg, compose.persist_membership(ctx.snapshot, name, group)))
    for name in sorted(boot - running):
        kept = [p for p in persistent.effective(name) if p.group == group]
        origin = ", ".join(sorted({p.origin for p in kept}))
        now = f"group {group} is not running" if g is None else f"{name} is not a member now"
        gc = ctx.group_config
        unwanted = gc is not None and name not in gc.interfaces and g is not None
        if unwanted:
            # ipmpd.toml leaves it out as well: the boot configuration is what drifted.
            left = [m for m in persistent.members(group) if m != name]
            edits = compose.boot_without_group(ctx.snapshot, name) if len(left) >= 2 else None
            issues.append(
                Issue(
                    (name,),
                    f"{origin} puts {name} in group {group}, but {now} and ipmpd.toml does not name it; "
                    "the next boot will change the group.",
                    edits or (a.Manual(f"take {name} out of group {group} in {origin}"),),
                )
            )
            continue
        fix = compose.rejoin(ctx.snapshot, name, group)
        if any(p.origin == "ipadm" for p in kept):
            ipmp_if = next(p.ipmp_interface for p in kept if p.origin == "ipadm")
            fix += (a.Note(f"or, if leaving the group was meant: ipadm remove-ipmp -i {name} {ipmp_if}"),)
        else:
            fix += (a.Note(f"or, if leaving the group was meant, take 'group {group}' out of {origin}"),)
        issues.append(
            Issue(
                (name,),
                f"{origin} puts {name} in group {group}, but {now}; the next boot will change the group.",
                fix,
            )
        )
    if not issues and (untold or persistent.membership_unknown()):
        return Unknown(
            "which interfaces ipadm puts in group "
            + f"{group} at boot cannot be told"
            + (f" (ipadm restores {', '.join(untold)})" if untold else "")
            + ": "
            + _why_untold(ctx)
        )
    return issues


def _why_untold(ctx: Context) -> str:
    if ctx.platform == "solaris11":
        return "Solaris 11 keeps IPMP membership in a store ipmpd does not read"
    if ctx.snapshot.source_ok("ipadm-store") is None:
        return f"ipadm's store was not read (platform {ctx.platform})"
    return "ipadm's store /etc/ipadm/ipadm.conf could not be read: " + "; ".join(
        ctx.snapshot.source_errors("ipadm-store")
    )
