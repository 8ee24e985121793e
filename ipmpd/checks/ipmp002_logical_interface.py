"""IPMP002 logical-interface (planning step 1).

What it checks:
    No persistent configuration sets ``group`` on a logical interface, such
    as an ``/etc/hostname.hme0:1`` file carrying ``group``.

Why it matters:
    The group parameter applies to physical interfaces only ("you can use the
    group parameter with hme0, but not with hme0:1"); at boot such a line
    fails and the interface is left out of the group.

Fix:
    Move ``group NAME`` to the physical interface's file (``/etc/hostname.hme0``)
    and remove it from the logical interface's file.

Fix safety:
    Rewrites the logical interface's hostname file without ``group`` (the
    whole file, every other token kept) and puts the physical interface in
    the group now and in its own file; proven by replay, reboot included. By
    hand when words followed ``group`` on that line (ifconfig stopped there
    at boot, so removing it changes what the next boot configures), or when
    a file cannot be edited without changing how net-physical reads it.
"""

from __future__ import annotations

from ipmpd.checks.base import Context, Issue, Outcome
from ipmpd.model import HOSTNAME_FILES
from ipmpd.remedy import actions as a
from ipmpd.remedy import bootfile, compose

CODE, NAME, SEVERITY, STEP, NEEDS = "IPMP002", "logical-interface", "error", 1, ()


def check(ctx: Context) -> Outcome:
    persistent = ctx.snapshot.persistent
    if HOSTNAME_FILES not in persistent.expected:
        return []  # Solaris 11 reads no /etc/hostname.*; ipadm cannot group a logical interface
    if persistent.hostname_files is None:
        unknown = ctx.boot_unknown()
        assert unknown is not None
        return unknown
    issues = []
    for path, group in persistent.logical_groups:
        if group != ctx.group_name:
            continue
        logical = path.rsplit(".", 1)[-1]
        physical = logical.split(":", 1)[0]
        issues.append(
            Issue(
                (logical,),
                f"{path} sets group {group!r} on logical interface {logical}; only physical "
                "interfaces can join a group.",
                _move_group(ctx, path, physical, group),
            )
        )
    return issues


def _move_group(ctx: Context, path: str, physical: str, group: str) -> a.Remedy:
    """Take ``group`` out of the logical interface's file and put the physical
    interface in it, now and at boot."""
    entry = next(p for p in ctx.snapshot.persistent.hostname_files or () if p.origin == path)
    cleaned = bootfile.without_group(path, entry.text or "")
    if cleaned is None:
        return (a.Manual(f"remove 'group {group}' from {path}, then put {physical} in group {group}"),)
    fix: a.Remedy = (a.WriteBootFile(path, cleaned, entry.text),)
    live = ctx.snapshot.interface(physical)
    if live is not None and live.group == group:
        fix += compose.persist_membership(ctx.snapshot, physical, group)
    else:
        fix += compose.join_group(ctx.snapshot, physical, group)
    # At boot ifconfig stopped at 'group' (an error on a logical interface):
    # whatever followed it on the line -- net-physical's implicit
    # "netmask + broadcast + up" included -- starts to run after the fix.
    after = [
        c[c.index("group") + 2 :]
        for c in bootfile.commands(entry.text or "", "ipv4", ctx.platform)
        if "group" in c
    ]
    skipped = " ".join(w for words in after for w in words)
    if skipped:
        fix += (
            a.Manual(
                f"after this, the next boot also runs '{skipped}' on {entry.name}; make sure that is meant"
            ),
        )
    return fix
