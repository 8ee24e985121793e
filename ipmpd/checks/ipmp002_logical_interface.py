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
"""

from __future__ import annotations

from ipmpd.checks.base import Context, Issue, Outcome
from ipmpd.model import HOSTNAME_FILES

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
                (
                    f"Remove 'group {group}' from {path}",
                    f"Add 'group {group}' to /etc/hostname.{physical}",
                ),
            )
        )
    return issues
