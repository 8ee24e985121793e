"""IPMP004 unique-mac (planning step 2).

What it checks:
    Every member of the group has its own MAC address (ifconfig ``ether``,
    else ``dladm show-phys -m``).

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
"""

from __future__ import annotations

from collections import defaultdict

from ipmpd.checks.base import Context, Issue, Outcome, Unknown

CODE, NAME, SEVERITY, STEP, NEEDS = "IPMP004", "unique-mac", "error", 2, ()


def check(ctx: Context) -> Outcome:
    members = ctx.members()
    if isinstance(members, Unknown):
        return members
    missing = [m.name for m in members if m.mac is None]
    if missing:
        why = "ifconfig printed no ether line (not run as root?)"
        if ctx.snapshot.source_ok("macs") is False:
            why += "; dladm show-phys -m failed: " + "; ".join(ctx.snapshot.source_errors("macs"))
        return Unknown(f"MAC address of {', '.join(missing)} unknown: {why}")
    by_mac: dict[str, list[str]] = defaultdict(list)
    for m in members:
        if m.mac is not None:
            by_mac[m.mac].append(m.name)
    issues = []
    for mac, names in sorted(by_mac.items()):
        if len(names) < 2:
            continue
        fix: list[str] = []
        if ctx.snapshot.host.arch == "sparc":
            if ctx.snapshot.local_mac_address is False:
                fix.append("eeprom local-mac-address?=true  # currently false; then reboot")
            else:
                fix.append("eeprom local-mac-address?=true  # then reboot")
        for name in names[1:]:
            if ctx.platform in ("solaris11", "illumos"):
                fix.append(f"dladm set-linkprop -p mac-address=<unique MAC> {name}")
            else:
                fix.append(f"ifconfig {name} ether <unique MAC>  # and in /etc/hostname.{name}")
        issues.append(
            Issue(
                tuple(names),
                f"{' and '.join(names)} share MAC address {mac}; every member of "
                f"group {ctx.group_name} needs its own.",
                tuple(fix),
            )
        )
    return issues
