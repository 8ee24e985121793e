"""IPMP014 module-drift (planning step 4, over time).

What it checks:
    Each member's live STREAMS modules (``ifconfig IF modlist``, below
    ``ip``) are the ones its autopush configuration gives it at plumb time
    (the ``autopush`` link property, else the driver's ``autopush -g`` /
    ``/etc/iu.ap`` list).  Judged only where both are known: with modlist
    off (the default) the live stream is not inspected and the check is
    skipped, saying so.

Why it matters:
    The planning step asks for the same modules "pushed and configured" on
    every member.  A module someone pushed or removed by hand
    (``ifconfig IF modinsert``/``modremove``), or an autopush configuration
    changed since the interface was plumbed, means the running stream is
    not what the interface gets back after the next replumb or reboot:
    module-order can look right today and break at the next boot, or the
    other way round.

Fix:
    Decide which side is right.  If the configured modules are: replumb the
    interface, or run the printed ``modremove``/``modinsert`` commands.  If
    the live ones are: change the autopush configuration to match
    (``dladm set-linkprop -p autopush=...``, or the driver's ``/etc/iu.ap``
    entry).

Fix safety:
    By hand: only the administrator knows which side is intended, and
    either change can move a module on or off the traffic path.
"""

from __future__ import annotations

from ipmpd import model
from ipmpd.checks.base import Context, Issue, Outcome, Skipped, Unknown
from ipmpd.checks.ipmp005_module_order import below_ip
from ipmpd.remedy import actions as a
from ipmpd.remedy.compose import modlist_actions
from ipmpd.remedy.render import render_action

CODE, NAME, SEVERITY, STEP, NEEDS = "IPMP014", "module-drift", "warning", 4, ()


def _fix(m: model.Interface, live: list[str], configured: list[str], platform: str) -> a.Remedy:
    assert m.modules is not None
    head = list(m.modules[: len(m.modules) - 1 - len(live)])  # arp, ip: pushed by ifconfig
    edits = modlist_actions(m.name, head + live, head + configured) or ()
    commands = "; ".join(line for x in edits for line in render_action(x, platform))
    return (
        a.Manual(
            f"if the configured modules are the intended ones, replumb {m.name} or run: {commands}"
            if commands
            else f"if the configured modules are the intended ones, replumb {m.name}"
        ),
        a.Manual(
            f"if the live modules are the intended ones, change where {m.name}'s modules are configured "
            f"({m.configured_from}) to push {' '.join(reversed(live)) or 'nothing'}"
        ),
    )


def check(ctx: Context) -> Outcome:
    members = ctx.members()
    if isinstance(members, Unknown):
        return members
    both = [m for m in members if m.modules is not None and m.configured_modules is not None]
    if not both:
        if not ctx.snapshot.runs("modlist") and all(m.modules is None for m in members):
            return Skipped(
                "the live STREAMS stack was not inspected (modlist is off; enable it with --modlist "
                "or [daemon] modlist_interval)"
            )
        missing = [m for m in members if m.modules is None or m.configured_modules is None]
        return Unknown(
            "live or configured modules unknown: "
            + "; ".join(
                f"{m.name}: "
                + ("live unknown" if m.modules is None else f"configured unknown ({m.configured_from})")
                for m in missing
            )
        )
    issues: list[Issue] = []
    for m in both:
        assert m.modules is not None and m.configured_modules is not None
        live = list(below_ip(m.modules[:-1]))
        configured = list(m.configured_modules)
        if live == configured:
            continue
        issues.append(
            Issue(
                (m.name,),
                f"{m.name} runs with STREAMS modules {' '.join(live) or '(none)'} under ip, but is "
                f"configured to get {' '.join(configured) or '(none)'} at plumb time "
                f"({m.configured_from}): the next replumb or reboot changes its stream.",
                _fix(m, live, configured, ctx.platform),
            )
        )
    partial = [m.name for m in members if m not in both]
    if partial and not issues:
        return Unknown(f"live or configured modules unknown for {', '.join(partial)}")
    return issues
