"""IPMP006 stateful-module (planning step 4).

What it checks:
    No member carries a STREAMS module named in ``[checks] stateful_modules``
    (default ``pfil``, the Solaris 10 IP Filter module), in its configured
    modules (autopush, read every cycle) or in its live stream (``ifconfig IF
    modlist``, when modlist is enabled or recorded).

Why it matters:
    "If a STREAMS module is stateful, then unexpected behavior can occur on
    failover, even if you push the same module onto all of the interfaces in
    a group": the state lives in the failed member's stream and does not move.

Fix:
    Remove the module from the group's interfaces (``ifconfig IF modremove
    MOD@POS``) and from its autopush configuration (``/etc/ipf/pfil.ap`` for
    pfil), or use a stateless alternative such as IP Filter's packet filter
    hooks (Solaris 10 8/07 and later).

Fix safety:
    ``modremove`` changes the running stream only.  Where the configured
    modules are known and hold no stateful module, that is the whole fix
    (a replumb or reboot gives the same stream) and it is proven by replay;
    otherwise the autopush configuration is by hand, as for IPMP005 (a
    per-driver entry covers every interface of the driver).
"""

from __future__ import annotations

from ipmpd.checks.base import Context, Issue, Outcome, Unknown
from ipmpd.checks.ipmp005_module_order import configured_unknown_reason, live_unknown_reason
from ipmpd.remedy import actions as a
from ipmpd.remedy.compose import PERSIST_MODULES, configure_autopush

CODE, NAME, SEVERITY, STEP, NEEDS = "IPMP006", "stateful-module", "warning", 4, ()


def check(ctx: Context) -> Outcome:
    members = ctx.members()
    if isinstance(members, Unknown):
        return members
    live_why = live_unknown_reason(ctx, members)
    conf_why = configured_unknown_reason(members)
    if live_why is not None and conf_why is not None:
        return Unknown(f"{conf_why}; {live_why}")
    stateful = set(ctx.config.checks.stateful_modules)
    issues = []
    for m in members:
        live = [(pos, mod) for pos, mod in enumerate(m.modules[:-1]) if mod in stateful] if m.modules else []
        conf = [mod for mod in m.configured_modules or () if mod in stateful]
        names = sorted({mod for _, mod in live} | set(conf))
        if not names:
            continue
        fix: a.Remedy = tuple(a.ModRemove(m.name, mod, pos) for pos, mod in reversed(live))
        if conf:
            keep = [x for x in m.configured_modules or () if x not in stateful]
            fix += configure_autopush(ctx.platform, m, keep)
        elif live and m.configured_modules is None:
            # Where the module is pushed at plumb time is unknown: say where to look.
            fix += (a.Manual(PERSIST_MODULES),)
        places = (("in its live stream", live), (f"at plumb time ({m.configured_from})", conf))
        where = " and ".join(w for w, on in places if on)
        issues.append(
            Issue(
                (m.name,),
                f"{m.name} carries stateful STREAMS module{'s' if len(names) > 1 else ''} "
                f"{', '.join(names)} {where}; its state is lost on failover.",
                fix,
            )
        )
    return issues
