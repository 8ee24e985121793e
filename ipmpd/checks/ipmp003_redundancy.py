"""IPMP003 redundancy (planning step 1).

What it checks:
    The group has at least two member interfaces.

Why it matters:
    With one member there is nothing to fail over to: the group detects a
    failure but cannot survive it.  A single-interface group is legitimate
    only when chosen on purpose (``allow_single = true`` makes this info).

Fix:
    Add a second interface on the same IP link to the group, or mark the
    group ``allow_single = true`` in ipmpd.toml if one interface is intended.

Fix safety:
    By hand: which interface to add is a planning decision.
"""

from __future__ import annotations

from ipmpd.checks.base import Context, Issue, Outcome, Unknown
from ipmpd.remedy.actions import Manual, Note

CODE, NAME, SEVERITY, STEP, NEEDS = "IPMP003", "redundancy", "warning", 1, ("ifconfig",)


def check(ctx: Context) -> Outcome:
    names = ctx.member_names
    if names is None:
        return Unknown(f"group {ctx.group_name!r} is not on this host")
    if len(names) >= 2:
        return []
    single = ctx.group_config is not None and ctx.group_config.allow_single
    return [
        Issue(
            tuple(names),
            f"Group {ctx.group_name} has {len(names)} member"
            f"{'' if len(names) == 1 else 's'}; IPMP needs two or more to fail over.",
            (
                Manual(f"add a second interface on the same IP link to group {ctx.group_name}"),
                Note("or set allow_single = true for this group in ipmpd.toml if one member is meant"),
            ),
            severity="info" if single else None,
        )
    ]
