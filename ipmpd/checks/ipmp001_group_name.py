"""IPMP001 group-name (planning step 3).

What it checks:
    The group has a non-null name no longer than the kernel allows
    (LIFGRNAMSIZ is 32 bytes with the terminating NUL, so 31 characters).

Why it matters:
    ifconfig and ipadm refuse an empty or over-long group name; a name that
    was truncated or lost means the interfaces are not grouped at all.

Fix:
    Choose a non-null name of at most 31 characters, ideally one that names
    the IP link, and set it on every member.

Fix safety:
    By hand: the name is the administrator's choice; nothing is run.
"""

from __future__ import annotations

from ipmpd.checks.base import Context, Issue, Outcome
from ipmpd.config import LIFGRNAMSIZ
from ipmpd.remedy.actions import Manual

CODE, NAME, SEVERITY, STEP, NEEDS = "IPMP001", "group-name", "error", 3, ()


def check(ctx: Context) -> Outcome:
    name = ctx.group_name
    if not name.strip():
        return [
            Issue(
                (),
                "The IPMP group name is empty.",
                (Manual("choose a non-null group name and set it on every member"),),
            )
        ]
    if len(name.encode("utf-8")) >= LIFGRNAMSIZ:
        return [
            Issue(
                (),
                f"Group name {name!r} is {len(name)} characters; the kernel allows at most "
                f"{LIFGRNAMSIZ - 1} (LIFGRNAMSIZ).",
                (
                    Manual(
                        f"choose a name of at most {LIFGRNAMSIZ - 1} characters and set it on every member"
                    ),
                ),
            )
        ]
    return []
