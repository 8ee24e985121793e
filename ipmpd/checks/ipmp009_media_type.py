"""IPMP009 media-type (planning step 7).

What it checks:
    All members have the same media type (``dladm show-phys`` MEDIA, e.g.
    Ethernet, Infiniband).

Why it matters:
    "You cannot combine Ethernet and Token ring interfaces in an IPMP group":
    addresses cannot move between links whose hardware framing differs.

Fix:
    Replace the odd member with an interface of the group's media type.

Fix safety:
    By hand: hardware.
"""

from __future__ import annotations

from collections import Counter
from typing import Union

from ipmpd import model
from ipmpd.checks.base import Context, Issue, Outcome, Unknown
from ipmpd.remedy.actions import Manual

CODE, NAME, SEVERITY, STEP, NEEDS = "IPMP009", "media-type", "error", 7, ("links",)


def members_with_media(ctx: Context) -> Union[list[model.Interface], Unknown]:
    """The members, or Unknown when any member's media type is missing."""
    members = ctx.members()
    if isinstance(members, Unknown):
        return members
    missing = [m.name for m in members if m.media is None]
    if missing:
        return Unknown(f"media type of {', '.join(missing)} unknown (dladm show-phys has no row)")
    return members


def check(ctx: Context) -> Outcome:
    members = members_with_media(ctx)
    if isinstance(members, Unknown):
        return members
    counts = Counter(m.media for m in members)
    if len(counts) <= 1:
        return []
    usual = counts.most_common(1)[0][0]
    odd = [m for m in members if m.media != usual]
    return [
        Issue(
            tuple(m.name for m in members),
            f"Group {ctx.group_name} mixes media types: "
            + ", ".join(f"{m.name} {m.media}" for m in members)
            + ".",
            tuple(Manual(f"replace {m.name} ({m.media}) with a {usual} interface") for m in odd),
        )
    ]
