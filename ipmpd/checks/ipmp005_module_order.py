"""IPMP005 module-order (planning step 4).

What it checks:
    Every member has the same STREAMS modules, in the same order, between
    the stream head and its driver (``ifconfig IF modlist``; the last line,
    the driver itself, is left out so that members on different NICs compare
    fairly).  The reference is the group's configured ``modules``, else the
    list most members share (ties go to the first member in name order).
    Stateful modules (``[checks] stateful_modules``) are left out of the
    comparison and of the reference: IPMP006 reports them, and the only state
    both checks accept has none, so this check never asks to insert one.

Why it matters:
    On failover IP moves traffic between members' streams; a module present
    on one member and not the other (IP Filter's pfil, NCA, a QoS module)
    silently changes what happens to that traffic.

Fix:
    Run the printed ``ifconfig IF modremove MOD@POS`` / ``modinsert MOD@POS``
    commands (positions as ifconfig(8): 0 is directly under the stream head),
    then make the change permanent where the module is pushed (autopush, or
    the interface's configuration).  ``arp`` and ``ip`` cannot be removed.

Fix safety:
    The ``modremove``/``modinsert`` commands change the running stream only;
    where modules are pushed at plumb time (autopush) is not read yet, so
    the change would not survive a reboot by itself: by hand. Never inserts
    a stateful module.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Optional, Union

from ipmpd import model
from ipmpd.checks.base import Context, Issue, Outcome, Unknown
from ipmpd.remedy.compose import module_edits

CODE, NAME, SEVERITY, STEP, NEEDS = "IPMP005", "module-order", "error", 4, ()


def modules_unknown(ctx: Context, members: list[model.Interface]) -> Optional[Unknown]:
    missing = [m.name for m in members if m.modules is None]
    if not missing:
        return None
    runs = ctx.snapshot.runs("modlist")
    if not runs:
        why = "ifconfig modlist has not run (disabled, or not yet due)"
    else:
        errs = sorted({s.error for s in runs if s.error})
        why = "ifconfig modlist failed: " + "; ".join(errs) if errs else "no module list"
    return Unknown(f"STREAMS modules of {', '.join(missing)} unknown: {why}")


def members_with_modules(ctx: Context) -> Union[list[model.Interface], Unknown]:
    """The members, or Unknown when any member's module list is missing."""
    members = ctx.members()
    if isinstance(members, Unknown):
        return members
    unknown = modules_unknown(ctx, members)
    return unknown if unknown is not None else members


def _stateless(ctx: Context, modules: Sequence[str]) -> tuple[str, ...]:
    stateful = ctx.config.checks.stateful_modules
    return tuple(m for m in modules if m not in stateful)


def reference(ctx: Context, members: list[model.Interface]) -> tuple[str, ...]:
    gc = ctx.group_config
    if gc is not None and gc.modules is not None:
        return _stateless(ctx, gc.modules)
    lists = [_stateless(ctx, m.modules[:-1]) for m in members if m.modules]
    counts = Counter(lists)
    if not counts:
        return ()
    best = max(counts.values())
    for m in members:  # members are in name order
        if m.modules and counts[_stateless(ctx, m.modules[:-1])] == best:
            return _stateless(ctx, m.modules[:-1])
    return ()


def _strip_driver(ref: tuple[str, ...], driver: str) -> list[str]:
    # A configured reference may end with the driver (modules = ["arp", "ip", "e1000g"]).
    return list(ref[:-1]) if ref and ref[-1] == driver else list(ref)


def check(ctx: Context) -> Outcome:
    members = members_with_modules(ctx)
    if isinstance(members, Unknown):
        return members
    ref = reference(ctx, members)
    issues = []
    for m in members:
        assert m.modules is not None
        driver = m.modules[-1]
        have = list(m.modules[:-1])
        want = _strip_driver(ref, driver)
        if list(_stateless(ctx, have)) == want:
            continue
        fix = module_edits(m.name, have, want)  # the target holds no stateful module
        issues.append(
            Issue(
                (m.name,),
                f"{m.name} has STREAMS modules {' '.join(have) or '(none)'} but group "
                f"{ctx.group_name} expects {' '.join(want) or '(none)'} (above driver "
                f"{driver}).",
                fix,
            )
        )
    return issues
