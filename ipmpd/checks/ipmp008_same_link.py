"""IPMP008 same-link (planning step 6).

What it checks:
    The members' data and test addresses put them on one IP link: every pair
    of members with IPv4 (or global IPv6) addresses shares a subnet, and on
    Solaris 10 their VLAN ids (from the PPA, instance + 1000 x VID) agree.

Why it matters:
    in.mpathd probes targets on the link and moves addresses between members;
    a member cabled to another VLAN or subnet cannot carry the group's data
    addresses, so failover to it breaks connectivity.

Fix:
    Connect every member to the same switch VLAN / subnet, and give each the
    test address of that subnet.

Fix safety:
    By hand: cabling and switch configuration.
"""

from __future__ import annotations

import ipaddress
from typing import Union

from ipmpd import model
from ipmpd.checks.base import Context, Issue, Outcome, Unknown
from ipmpd.remedy.actions import Manual

CODE, NAME, SEVERITY, STEP, NEEDS = "IPMP008", "same-link", "error", 6, ("ifconfig",)

Net = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


def _nets(m: model.Interface) -> set[Net]:
    nets: set[Net] = set()
    for a in m.addresses:
        if a.prefixlen is None:
            continue
        try:
            net = ipaddress.ip_network(f"{a.address}/{a.prefixlen}", strict=False)
        except ValueError:
            continue
        if net.is_link_local or net.is_loopback:
            continue
        nets.add(net)
    return nets


def check(ctx: Context) -> Outcome:
    members = ctx.members()
    if isinstance(members, Unknown):
        return members
    issues = []
    vlans = {m.name: m.vlan_id for m in members if m.vlan_id is not None}
    if len(set(vlans.values())) > 1:
        issues.append(
            Issue(
                tuple(sorted(vlans)),
                "Members are on different VLANs: "
                + ", ".join(f"{n} VLAN {v}" for n, v in sorted(vlans.items()))
                + ".",
                (Manual("move every member to the same VLAN (and PPA) on the same switch"),),
            )
        )
    with_nets = [(m, _nets(m)) for m in members]
    with_nets = [(m, n) for m, n in with_nets if n]
    if len(with_nets) < 2 and not vlans:
        return Unknown(
            "fewer than two members have test or data addresses to compare "
            "(link-based failure detection only), and no VLAN ids are known"
        )
    first, first_nets = with_nets[0] if with_nets else (None, set())
    for m, nets in with_nets[1:]:
        assert first is not None
        if not any(a.overlaps(b) for a in nets for b in first_nets):
            issues.append(
                Issue(
                    (first.name, m.name),
                    f"{first.name} ({', '.join(sorted(map(str, first_nets)))}) and {m.name} "
                    f"({', '.join(sorted(map(str, nets)))}) share no subnet: they are not "
                    "on one IP link.",
                    (
                        Manual(
                            f"check the cabling and switch VLAN of {m.name}; give it a test "
                            f"address in {sorted(map(str, first_nets))[0]}"
                        ),
                    ),
                )
            )
    return issues
