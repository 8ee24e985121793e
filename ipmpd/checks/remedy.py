"""Exact remediation commands, per platform.  Pure: strings in, strings out."""

from __future__ import annotations

from typing import Optional


def add_member(platform: str, group: str, interface: str, ipmp_if: Optional[str] = None) -> tuple[str, ...]:
    if platform == "solaris11":
        return (f"ipadm add-ipmp -i {interface} {ipmp_if or group}",)
    lines = [f"ifconfig {interface} group {group}"]
    lines.append(f"echo 'group {group} up' >> /etc/hostname.{interface}  # keep it at boot")
    return tuple(lines)


def modlist_edits(current: list[str], target: list[str]) -> Optional[list[tuple[str, str, int]]]:
    """The shortest modremove/modinsert sequence turning ``current`` into ``target``.

    Both lists are STREAMS modules in ``ifconfig IF modlist`` order (position
    0 directly under the stream head), without the driver.  Returns
    ``[("modremove"|"modinsert", module, position), ...]`` or None when it
    would need to remove ``arp`` or ``ip``, which ifconfig(8) cannot do.

    The kept modules are a longest common subsequence, so the number of
    operations, len(current) + len(target) - 2 * LCS, is the least possible.
    Removals run from the highest position down (earlier positions do not
    move); insertions then run in target order, each at its final position.
    """
    n, m = len(current), len(target)
    lcs = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            if current[i] == target[j]:
                lcs[i][j] = lcs[i + 1][j + 1] + 1
            else:
                lcs[i][j] = max(lcs[i + 1][j], lcs[i][j + 1])
    keep_cur: set[int] = set()
    keep_tgt: set[int] = set()
    i = j = 0
    while i < n and j < m:
        if current[i] == target[j]:
            keep_cur.add(i)
            keep_tgt.add(j)
            i += 1
            j += 1
        elif lcs[i + 1][j] >= lcs[i][j + 1]:
            i += 1
        else:
            j += 1
    ops: list[tuple[str, str, int]] = []
    for i in range(n - 1, -1, -1):
        if i not in keep_cur:
            if current[i] in ("arp", "ip"):
                return None
            ops.append(("modremove", current[i], i))
    for j in range(m):
        if j not in keep_tgt:
            ops.append(("modinsert", target[j], j))
    return ops
