"""The landing page: groups, findings with remediation, and how old the data is.

Every value is HTML-escaped: group and interface names are free text as far
as this page is concerned.  A replayed host's data is as old as its capture:
the page dates it by the capture's ``taken_at``, and the seconds since the
last gather are those since the capture was last replayed.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass
from typing import Optional

from ipmpd import __version__
from ipmpd.capture import Capture
from ipmpd.render import capture_time, interface_state
from ipmpd.state import Latest


def _e(value: object) -> str:
    return html.escape("unknown" if value is None else str(value), quote=True)


def _age(ts: float | None, now: float) -> str:
    if ts is None:
        return "never"
    return f"{max(0, int(now - ts))}s ago"


def modules_line(latest: Latest, now: float, replay: Optional[Capture] = None) -> str:
    """What the module checks see: configured modules always, the live stream when inspected."""
    if replay is not None:
        # A replay holds the module lists its capture recorded, of that moment.
        when = capture_time(replay)
        if latest.modules_taken_at is not None:
            return (
                "STREAMS modules: configured (autopush) and live stream (ifconfig modlist) "
                f"read at capture time, {when}."
            )
        return (
            f"STREAMS modules: configured (autopush) read at capture time, {when}; the live stream was "
            "not inspected (the capture holds no ifconfig modlist: it was taken without --modlist)."
        )
    if latest.modules_taken_at is not None:
        return (
            "STREAMS modules: configured (autopush) every gather; live stream (ifconfig modlist) "
            f"read {_age(latest.modules_taken_at, now)}."
        )
    return (
        "STREAMS modules: configured (autopush) every gather; the live stream was not inspected "
        "(modlist is off: set [daemon] modlist_interval to enable it)."
    )


@dataclass(frozen=True)
class TargetView:
    name: str
    address: str
    latest: Latest
    success: Optional[bool]
    error: Optional[str]


def probe_state(t: TargetView) -> str:
    """Whether the target's last gather read it, as HTML."""
    if t.success is None:
        return "not read yet"
    if t.success:
        return "read"
    return f'<span class="error">could not read: {_e(t.error or "interface list unknown")}</span>'


def targets_table(targets: list[TargetView], now: float) -> list[str]:
    if not targets:
        return []
    out = [
        f"<h2>Targets ({len(targets)})</h2><table><tr><th>target</th><th>address</th><th>state</th>"
        "<th>last gather</th><th>findings</th><th>not checked</th><th>probe</th></tr>"
    ]
    for t in targets:
        state = probe_state(t)
        unknown = sum(1 for r in t.latest.results if r.status == "unknown")
        out.append(
            f"<tr><td>{_e(t.name)}</td><td>{_e(t.address)}</td><td>{state}</td>"
            f"<td>{_e(_age(t.latest.last_gather, now))}</td><td>{len(t.latest.findings)}</td>"
            f'<td>{unknown}</td><td><a href="/probe?target={_e(t.name)}">/probe</a></td></tr>'
        )
    out.append("</table>")
    return out


def target_page(view: TargetView, now: float | None = None) -> str:
    """``/?target=NAME``: one [[target]]'s groups, findings and probe state."""
    now = time.time() if now is None else now
    heading = (
        f'<p>Target {_e(view.name)} ({_e(view.address)}): {probe_state(view)}. <a href="/">All targets</a>, '
        f'<a href="/probe?target={_e(view.name)}">/probe</a>.</p>'
    )
    return page(view.latest, now=now, heading=heading)


def page(
    latest: Latest,
    targets: Optional[list[TargetView]] = None,
    now: float | None = None,
    local: bool = True,
    heading: str = "",
    replay: Optional[Capture] = None,
) -> str:
    """The page; ``replay`` is the capture the host is replayed from (None: a live host)."""
    now = time.time() if now is None else now
    snap = latest.snapshot
    host = f"Host {_e(snap.host.nodename if snap else None)} ({_e(snap.host.platform if snap else None)})"
    if replay is None:
        when = (
            f"{host}. Last gather {_e(_age(latest.last_gather, now))}; last successful gather "
            f"{_e(_age(latest.last_success, now))}."
        )
    else:
        when = (
            f"{host}: a replay of a capture taken at {_e(capture_time(replay))} ({_e(replay.origin)}); "
            "what follows is the host as it was then. Capture last replayed "
            f"{_e(_age(latest.last_gather, now))}; last successful replay "
            f"{_e(_age(latest.last_success, now))}."
        )
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>ipmpd</title>',
        "<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}"
        ".error{color:#b00}.warning{color:#a60}.info{color:#06c}code{background:#f4f4f4}</style>",
        "</head><body>",
        f"<h1>ipmpd {_e(__version__)}</h1>",
        heading,
        f'<p>{when} {_e(modules_line(latest, now, replay))} <a href="/metrics">/metrics</a></p>',
    ]
    if not latest.config_reload_success:
        out.append(
            '<p class="error">The last configuration reload was rejected; the previous '
            "configuration is still in use.</p>"
        )
    out += targets_table(targets or [], now)
    if snap is None:
        if local:
            out.append("<p>No gather has completed yet.</p>")
        else:
            out.append("<p>This host is not gathered ([daemon] local = false).</p>")
        out.append("</body></html>")
        return "\n".join(out)
    blind = snap.discovery_errors()
    if blind:
        out.append("".join(f'<p class="error">Could not look: {_e(why)}</p>' for why in blind))
    out.append("<h2>Groups</h2><table><tr><th>group</th><th>seen in</th><th>state</th><th>members</th></tr>")
    for name, seen_in in sorted(latest.groups_seen.items()):
        g = snap.group(name)
        if g is None:
            members = [f"{_e(m)} (at boot)" for m in snap.persistent.members(name)]
            state = "not running"
        else:
            members = []
            for member in g.members:
                i = snap.interface(member)
                members.append(f"{_e(member)} ({_e(interface_state(i) if i else None)})")
            state = _e(g.state)
        out.append(
            f"<tr><td>{_e(name)}</td><td>{_e(', '.join(seen_in))}</td><td>{state}</td>"
            f"<td>{', '.join(members)}</td></tr>"
        )
    out.append("</table>")
    findings = latest.findings
    out.append(f"<h2>Findings ({len(findings)})</h2>")
    if not findings:
        out.append("<p>None.</p>")
    for f in findings:
        out.append(
            f'<div class="{_e(f.severity)}"><h3>{_e(f.severity.upper())} {_e(f.code)} {_e(f.name)} '
            f"&mdash; group {_e(f.group)}</h3><p>{_e(f.message)}</p>"
        )
        if f.remediation:
            out.append("<pre>" + "\n".join(_e(line) for line in f.remediation) + "</pre>")
            out.append(f"<p>Fix: {_e(f.verification)}.</p>")
        out.append("</div>")
    unknown = [r for r in latest.results if r.status in ("unknown", "skipped")]
    if unknown:
        out.append(
            "<h2>Not checked</h2><table><tr><th>group</th><th>check</th><th>result</th><th>why</th></tr>"
        )
        for r in unknown:
            out.append(
                f"<tr><td>{_e(r.group)}</td><td>{_e(r.code)} {_e(r.name)}</td><td>{_e(r.status)}</td>"
                f"<td>{_e(r.reason)}</td></tr>"
            )
        out.append("</table>")
    failed = [s for s in snap.sources if not s.ok]
    if failed:
        out.append("<h2>Sources that did not answer</h2><ul>")
        for s in failed:
            out.append(f"<li>{_e(s.name)}: {_e(s.error)}</li>")
        out.append("</ul>")
    out.append("</body></html>")
    return "\n".join(out)
