"""Turn snapshots and check results into JSON-ready dicts and text tables.

The JSON is a documented, stable interface (README, "Snapshot JSON").
"""

from __future__ import annotations

from typing import Any, Optional

from ipmpd import model
from ipmpd.capture import Capture

UNKNOWN = "unknown"


def replayed(runner: object) -> Optional[Capture]:
    """The capture a replaying runner reads; None for a live host."""
    if getattr(runner, "live", True):
        return None
    cap = getattr(runner, "capture", None)
    return cap if isinstance(cap, Capture) else None


def capture_time(replay: Capture) -> str:
    """When a replayed capture was taken, as it records it."""
    return replay.taken_at or "a time the capture does not record"


def replay_line(replay: Capture) -> str:
    """The line that heads what is printed about a replayed host (after
    what could not be looked at): all of it is as of the capture, not now."""
    return f"replay of a capture taken at {capture_time(replay)} ({replay.origin}): the host as it was then"


def snapshot_dict(snap: model.Snapshot, replay: Optional[Capture] = None) -> dict[str, Any]:
    """The snapshot as JSON.  A replay is dated by its capture: ``taken_at``
    and ``modules_taken_at`` are the capture's ``taken_at`` (null when it
    does not say), and ``replay`` names the capture (null for a live host)."""
    taken_at: Optional[float] = snap.taken_at
    modules_taken_at = snap.modules_taken_at
    if replay is not None:
        taken_at = replay.taken_at_seconds
        modules_taken_at = taken_at if snap.modules_taken_at is not None else None
    return {
        "host": {
            "platform": snap.host.platform,
            "release": snap.host.release,
            "arch": snap.host.arch,
            "nodename": snap.host.nodename,
        },
        "taken_at": taken_at,
        "modules_taken_at": modules_taken_at,
        "replay": None if replay is None else {"capture": replay.origin, "taken_at": replay.taken_at},
        "interfaces": [
            {
                "name": i.name,
                "group": i.group,
                "ipmp": i.ipmp,
                "mac": i.mac,
                "families": list(i.families),
                "flags": list(i.flags),
                "mtu": i.mtu,
                "index": i.index,
                "media": i.media,
                "modules": list(i.modules) if i.modules is not None else None,
                "configured_modules": None if i.configured_modules is None else list(i.configured_modules),
                "configured_from": i.configured_from,
                "driver": i.driver,
                "state": i.state,
                "active": i.active,
                "link": i.link,
                "probe": i.probe,
                "standby": i.standby,
                "inactive": i.inactive,
                "vlan_id": i.vlan_id,
                "duplicate_hwaddr": i.duplicate_hwaddr,
                "addresses": [
                    {
                        "name": a.name,
                        "family": a.family,
                        "address": a.address,
                        "prefixlen": a.prefixlen,
                        "flags": list(a.flags),
                    }
                    for a in i.addresses
                ],
            }
            for i in sorted(snap.interfaces, key=lambda i: i.name)
        ],
        "groups": [
            {
                "name": g.name,
                "ipmp_interface": g.ipmp_interface,
                "interfaces": list(g.members),
                "state": g.state,
                "state_source": g.state_source,
                "fdt_seconds": g.fdt,
            }
            for g in snap.groups
        ],
        "persistent": {
            "expected": list(snap.persistent.expected),
            "missing": list(snap.persistent.missing()),
            "ipadm_groups": snap.persistent.ipadm_groups,
            "ipadm_ipmp": snap.persistent.ipadm_ipmp,
            "hostname_files": _boot_list(snap.persistent.hostname_files),
            "ipadm": _boot_list(snap.persistent.ipadm),
            "logical_groups": [{"path": path, "group": g} for path, g in snap.persistent.logical_groups],
        },
        "local_mac_address": snap.local_mac_address,
        "sources": [
            {
                "name": s.name,
                "argv": list(s.argv) if s.argv is not None else None,
                "path": s.path,
                "ok": s.ok,
                "error": s.error,
                "duration_seconds": round(s.duration_seconds, 6),
            }
            for s in snap.sources
        ],
    }


def _boot_list(entries: Optional[tuple[model.BootInterface, ...]]) -> Optional[list[dict[str, Any]]]:
    if entries is None:
        return None
    return [
        {
            "name": p.name,
            "origin": p.origin,
            "families": list(p.families),
            "group": p.group,
            "ipmp": p.ipmp,
            "standby": p.standby,
            "ipmp_interface": p.ipmp_interface,
            "addresses": [
                {
                    "family": a.family,
                    "address": a.address,
                    "prefixlen": a.prefixlen,
                    "flags": list(a.flags),
                    "name": a.name,
                }
                for a in p.addresses
            ],
        }
        for p in entries
    ]


def _cell(value: Any) -> str:
    if value is None:
        return "?"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value) if value else "-"
    return str(value)


def table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [[_cell(c) for c in r] for r in rows]
    widths = [len(h) for h in headers]
    for r in cells:
        for k, c in enumerate(r):
            widths[k] = max(widths[k], len(c))
    lines = ["  ".join(h.ljust(widths[k]) for k, h in enumerate(headers)).rstrip()]
    for r in cells:
        lines.append("  ".join(c.ljust(widths[k]) for k, c in enumerate(r)).rstrip())
    return "\n".join(lines)


def interface_state(i: model.Interface) -> str:
    """One word for an interface, as exported in ipmpd_interface_state."""
    if i.state in ("failed", "offline"):
        return i.state
    if i.state is None:
        return UNKNOWN
    if i.state == "unknown":
        return UNKNOWN
    if i.inactive:
        return "inactive" if not i.standby else "standby"
    if i.standby:
        return "standby"
    return "ok"


def snapshot_text(snap: model.Snapshot, replay: Optional[Capture] = None) -> str:
    h = snap.host
    out = [replay_line(replay)] if replay is not None else []
    out += [
        f"host {h.nodename or '?'}: platform {h.platform}, release {h.release or '?'}, arch {h.arch or '?'}",
        "",
        "GROUPS",
    ]
    if snap.groups:
        out.append(
            table(
                ["GROUP", "IPMP-IF", "STATE", "MEMBERS"],
                [[g.name, g.ipmp_interface or "-", g.state, list(g.members)] for g in snap.groups],
            )
        )
    else:
        out.append("(none found)")
    out += ["", "INTERFACES"]
    rows = []
    for i in snap.interfaces:
        addrs = [f"{a.address}/{a.prefixlen}" + ("(test)" if a.test else "") for a in i.addresses]
        rows.append(
            [
                i.name + (" [ipmp]" if i.ipmp else ""),
                i.group or "-",
                interface_state(i) if (i.group or i.state) and not i.ipmp else "-",
                i.mac,
                i.media,
                list(i.families),
                list(i.modules) if i.modules is not None else None,
                list(i.configured_modules) if i.configured_modules is not None else None,
                addrs,
            ]
        )
    out.append(
        table(
            ["INTERFACE", "GROUP", "STATE", "MAC", "MEDIA", "FAMILIES", "MODULES", "AUTOPUSH", "ADDRESSES"],
            rows,
        )
    )
    out += ["", "BOOT CONFIGURATION"]
    p = snap.persistent
    rows = []
    for kind in p.expected:
        entries = p.store(kind)
        if entries is None:
            rows.append([kind, None, None, None, None])
        untold = kind == model.IPADM and not p.ipadm_groups
        for e in entries or ():
            group = None if untold else (e.group or "-")
            rows.append([kind, e.name + (" [ipmp]" if e.ipmp else ""), group, e.origin, list(e.families)])
    out.append(table(["STORE", "INTERFACE", "GROUP", "ORIGIN", "FAMILIES"], rows) if rows else "(none)")
    if model.IPADM in p.expected and p.ipadm is not None and not p.ipadm_groups:
        out.append("(ipadm's IPMP membership could not be read: its entries' GROUP is ?)")
    out += ["", "SOURCES"]
    out.append(
        table(
            ["SOURCE", "OK", "SECONDS", "COMMAND", "ERROR"],
            [
                [
                    s.name,
                    s.ok,
                    f"{s.duration_seconds:.3f}",
                    " ".join(s.argv) if s.argv else (s.path or "-"),
                    s.error or "-",
                ]
                for s in snap.sources
            ],
        )
    )
    out.append("")
    out.append("? = could not look (the source that would say is missing or failed)")
    return "\n".join(out)
