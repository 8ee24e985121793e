"""IPMP004 unique-mac (planning step 2).

What it checks:
    Every member of the group has its own MAC address (ifconfig ``ether``,
    else ``dladm show-phys -m``), and in.mpathd has not offlined a member
    for a duplicate hardware address (``ipmpstat -i`` FLAGS ``h``, which
    stands even where this zone cannot see MAC addresses).

Why it matters:
    in.mpathd tells members apart by hardware address; two members with one
    MAC confuse switches and probes, and Clearview IPMP offlines the duplicate
    ("has a hardware address which is not unique in group").  On SPARC every
    on-board port shares the system MAC unless ``local-mac-address?`` is true.

Fix:
    On SPARC run ``eeprom local-mac-address?=true`` and reboot; on Solaris 11
    and illumos give the link its own address with ``dladm set-linkprop -p
    mac-address=...``; on Solaris 10 x86 ``ifconfig IF ether ...`` in
    ``/etc/hostname.IF``.

Fix safety:
    Solaris 11 and illumos: ``dladm set-linkprop -p mac-address=<unique
    MAC>`` on the duplicate (persistent; the administrator fills in the
    address); proven. SPARC: ``eeprom local-mac-address?=true``, which takes
    effect at the next boot; proven after the simulated reboot. Solaris 10
    x86: by hand. A member in.mpathd offlined for the duplicate (FLAGS h)
    comes back by itself once its MAC is unique: never ``if_mpadm -r``.
"""

from __future__ import annotations

from collections import defaultdict

from ipmpd.checks.base import Context, Issue, Outcome, Unknown
from ipmpd.remedy.compose import unique_mac

CODE, NAME, SEVERITY, STEP, NEEDS = "IPMP004", "unique-mac", "error", 2, ()


def check(ctx: Context) -> Outcome:
    members = ctx.members()
    if isinstance(members, Unknown):
        return members
    issues = []
    # ipmpstat has already judged these: in.mpathd offlined them for a
    # duplicate hardware address, whether or not this zone can see MACs.
    offlined = [m for m in members if m.duplicate_hwaddr]
    for m in offlined:
        issues.append(
            Issue(
                (m.name,),
                f"in.mpathd offlined {m.name}: its hardware address is not unique in group "
                f"{ctx.group_name} (ipmpstat -i FLAGS h).",
                unique_mac(ctx.snapshot, [m.name]),
            )
        )
    by_mac: dict[str, list[str]] = defaultdict(list)
    for m in members:
        if m.mac is not None:
            by_mac[m.mac].append(m.name)
    for mac, names in sorted(by_mac.items()):
        if len(names) < 2:
            continue
        if any(n in {o.name for o in offlined} for n in names):
            continue  # already reported above: the offlined member is the one to change
        issues.append(
            Issue(
                tuple(names),
                f"{' and '.join(names)} share MAC address {mac}; every member of "
                f"group {ctx.group_name} needs its own.",
                unique_mac(ctx.snapshot, names[1:]),
            )
        )
    missing = [m.name for m in members if m.mac is None and not m.duplicate_hwaddr]
    if missing and not issues:
        why = "ifconfig printed no ether line (not run as root?)"
        if ctx.snapshot.source_ok("macs") is False:
            why += "; dladm show-phys -m failed: " + "; ".join(ctx.snapshot.source_errors("macs"))
        return Unknown(f"MAC address of {', '.join(missing)} unknown: {why}")
    return issues
