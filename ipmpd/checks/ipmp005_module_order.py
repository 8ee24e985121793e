"""IPMP005 module-order (planning step 4).

What it checks:
    Every member has the same STREAMS modules, in the same order, between
    the stream head and its driver.  Two views, read differently:
    the configured modules, read every cycle without touching the stream
    (the ``autopush`` link property, else the per-driver autopush list:
    ``autopush -g``, ``/etc/iu.ap``, ``/etc/ipf/pfil.ap``), and the live
    modules, ``ifconfig IF modlist``, read only when modlist is enabled
    (``--modlist``, ``[daemon] modlist_interval``) or recorded in a capture.
    The live view is judged when every member's is known; otherwise the
    configured view is, and the result says that the live stream was not
    inspected.  The driver itself (modlist's last line) is left out so that
    members on different NICs compare fairly.  The reference is the group's
    configured ``modules``, else the list most members share (ties go to the
    first member in name order).  Stateful modules (``[checks]
    stateful_modules``) are left out of the comparison and of the reference:
    IPMP006 reports them, and the only state both checks accept has none, so
    this check never asks to insert one.

Why it matters:
    On failover IP moves traffic between members' streams; a module present
    on one member and not the other (IP Filter's pfil, NCA, a QoS module)
    silently changes what happens to that traffic.  A configured difference
    becomes a live one the next time the interfaces are plumbed.

Fix:
    Live view: run the printed ``ifconfig IF modremove MOD@POS`` /
    ``modinsert MOD@POS`` commands (positions as ifconfig(8): 0 is directly
    under the stream head), then make the change permanent where the module
    is pushed.  Configured view: set the autopush configuration
    (``dladm set-linkprop -p autopush=...`` on Solaris 11 and illumos, the
    driver's ``/etc/iu.ap`` entry on Solaris 10); it reaches the stream at the
    next plumb.  ``arp`` and ``ip`` cannot be removed.

Fix safety:
    The ``modremove``/``modinsert`` commands change the running stream only.
    Where the member's configured modules are known and already give the
    wanted stream at the next plumb, they are the whole fix and are proven
    by replay (the finding clears, and stays cleared after a simulated
    reboot that replumbs from the configured modules).  Otherwise the
    autopush side is by hand: a per-driver entry changes every interface of
    the driver.  Never inserts a stateful module.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Optional, Union

from ipmpd import model
from ipmpd.checks.base import Context, Issue, Outcome, Unknown
from ipmpd.remedy.actions import Manual
from ipmpd.remedy.compose import configure_autopush, module_edits

CODE, NAME, SEVERITY, STEP, NEEDS = "IPMP005", "module-order", "error", 4, ()


LIVE, CONFIGURED = "live", "configured"


def below_ip(modules: Sequence[str]) -> tuple[str, ...]:
    """The modules under ``ip``: in a live stream, those autopush pushed."""
    mods = tuple(modules)
    return mods[mods.index("ip") + 1 :] if "ip" in mods else mods


def live_unknown_reason(ctx: Context, members: list[model.Interface]) -> Optional[str]:
    """Why some member's live modules are unknown; None when all are known."""
    missing = [m.name for m in members if m.modules is None]
    if not missing:
        return None
    runs = ctx.snapshot.runs("modlist")
    if not runs:
        return "the live STREAMS stack was not inspected (modlist is off; --modlist or modlist_interval)"
    errs = sorted({s.error for s in runs if s.error})
    why = "ifconfig modlist failed: " + "; ".join(errs) if errs else "not in the last modlist run"
    return f"live modules of {', '.join(missing)} unknown: {why}"


def configured_unknown_reason(members: list[model.Interface]) -> Optional[str]:
    missing = [m for m in members if m.configured_modules is None]
    if not missing:
        return None
    return "configured modules unknown: " + "; ".join(
        f"{m.name}: {m.configured_from or 'not read'}" for m in missing
    )


def module_view(ctx: Context) -> Union[tuple[str, list[model.Interface]], Unknown]:
    """The members and which view to judge: live when every member's live
    modules are known, else configured; Unknown when neither is."""
    members = ctx.members()
    if isinstance(members, Unknown):
        return members
    live_why = live_unknown_reason(ctx, members)
    if live_why is None:
        return LIVE, members
    conf_why = configured_unknown_reason(members)
    if conf_why is None:
        return CONFIGURED, members
    return Unknown(f"{conf_why}; {live_why}")


def _stateless(ctx: Context, modules: Sequence[str]) -> tuple[str, ...]:
    stateful = ctx.config.checks.stateful_modules
    return tuple(m for m in modules if m not in stateful)


def _view(ctx: Context, m: model.Interface, view: str) -> tuple[str, ...]:
    if view == LIVE:
        assert m.modules is not None
        return _stateless(ctx, m.modules[:-1])
    assert m.configured_modules is not None
    return _stateless(ctx, m.configured_modules)


def reference(ctx: Context, members: list[model.Interface], view: str = LIVE) -> tuple[str, ...]:
    gc = ctx.group_config
    if gc is not None and gc.modules is not None:
        ref = _stateless(ctx, gc.modules)
        return ref if view == LIVE else below_ip(ref)
    lists = [_view(ctx, m, view) for m in members]
    counts = Counter(lists)
    if not counts:
        return ()
    best = max(counts.values())
    for mods in lists:  # members are in name order
        if counts[mods] == best:
            return mods
    return ()


def _strip_driver(ref: tuple[str, ...], drivers: set[str]) -> list[str]:
    # A configured reference may end with a driver (modules = ["arp", "ip", "e1000g"]).
    return list(ref[:-1]) if ref and ref[-1] in drivers else list(ref)


def _drivers(members: list[model.Interface]) -> set[str]:
    """Every member's driver that is known: modlist's last line, or the link's device."""
    out = {m.modules[-1] for m in members if m.modules}
    return out | {m.driver for m in members if m.driver}


def check(ctx: Context) -> Outcome:
    view = module_view(ctx)
    if isinstance(view, Unknown):
        return view
    kind, members = view
    ref = reference(ctx, members, kind)
    drivers = _drivers(members)
    gc = ctx.group_config
    if kind == CONFIGURED and gc is not None and gc.modules and ref and ref[-1] not in drivers:
        unsure = [m.name for m in members if m.driver is None]
        if unsure:
            # The reference may end with the driver of a member whose driver is unknown:
            # comparing could ask autopush to push a driver.
            return Unknown(
                f"the group's modules end with {ref[-1]!r}, which may be the driver of "
                f"{', '.join(unsure)} (its driver is unknown)"
            )
    issues = []
    for m in members:
        if kind == LIVE:
            assert m.modules is not None
            driver: Optional[str] = m.modules[-1]
            have = list(m.modules[:-1])
        else:
            assert m.configured_modules is not None
            driver = m.driver
            have = list(m.configured_modules)
        want = _strip_driver(ref, drivers)
        if list(_stateless(ctx, have)) == want:
            continue
        if kind == LIVE:
            fix = module_edits(m.name, have, want)  # the target holds no stateful module
            if m.configured_modules is not None and isinstance(fix[-1], Manual) and len(fix) > 1:
                # Where the modules are configured is known: say what to set there.
                persist = list(below_ip(want))
                if persist == list(m.configured_modules):
                    fix = fix[:-1]  # a replumb already gives the wanted modules
                else:
                    fix = fix[:-1] + configure_autopush(ctx.platform, m, persist)
        else:
            fix = configure_autopush(ctx.platform, m, want)
        if kind == LIVE:
            message = (
                f"{m.name} has STREAMS modules {' '.join(have) or '(none)'} but group "
                f"{ctx.group_name} expects {' '.join(want) or '(none)'} (above driver {driver})."
            )
        else:
            message = (
                f"{m.name} is configured to get STREAMS modules {' '.join(have) or '(none)'} under ip "
                f"at plumb time ({m.configured_from}) but group {ctx.group_name} expects "
                f"{' '.join(want) or '(none)'}."
            )
        issues.append(Issue((m.name,), message, fix))
    return issues
