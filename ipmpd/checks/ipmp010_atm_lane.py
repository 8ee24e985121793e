"""IPMP010 atm-lane (planning step 8).

What it checks:
    No member is an ATM interface using Classical IP over ATM (MEDIA
    ``ATM(ClassicIP)``) or raw ATM (``ATM``).  A LAN Emulation interface
    presents itself as Ethernet and passes.

Why it matters:
    "IPMP is not supported for interfaces using Classical IP over ATM";
    only LAN emulation gives the broadcast link IPMP's probing needs.

Fix:
    Configure the ATM interface in LAN emulation mode (LANE) and use the
    LANE interface in the group.

Fix safety:
    By hand: ATM configuration.
"""

from __future__ import annotations

from ipmpd.checks.base import Context, Issue, Outcome, Unknown
from ipmpd.checks.ipmp009_media_type import members_with_media
from ipmpd.remedy.actions import Manual

CODE, NAME, SEVERITY, STEP, NEEDS = "IPMP010", "atm-lane", "error", 8, ("links",)
ATM_MEDIA = ("ATM", "ATM(ClassicIP)")


def check(ctx: Context) -> Outcome:
    members = members_with_media(ctx)
    if isinstance(members, Unknown):
        return members
    return [
        Issue(
            (m.name,),
            f"{m.name} is {m.media}, not ATM LAN emulation; IPMP does not support it.",
            (Manual(f"reconfigure {m.name} as an ATM LANE interface and group that instead"),),
        )
        for m in members
        if m.media in ATM_MEDIA
    ]
