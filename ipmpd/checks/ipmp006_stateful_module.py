"""IPMP006 stateful-module (planning step 4).

What it checks:
    No member carries a STREAMS module named in ``[checks] stateful_modules``
    (default ``pfil``, the Solaris 10 IP Filter module).

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
    ``modremove`` changes the running stream only; the autopush
    configuration is by hand, as for IPMP005.
"""

from __future__ import annotations

from ipmpd.checks.base import Context, Issue, Outcome, Unknown
from ipmpd.checks.ipmp005_module_order import members_with_modules
from ipmpd.remedy import actions as a
from ipmpd.remedy.compose import PERSIST_MODULES

CODE, NAME, SEVERITY, STEP, NEEDS = "IPMP006", "stateful-module", "warning", 4, ()


def check(ctx: Context) -> Outcome:
    members = members_with_modules(ctx)
    if isinstance(members, Unknown):
        return members
    stateful = set(ctx.config.checks.stateful_modules)
    issues = []
    for m in members:
        assert m.modules is not None
        hits = [(pos, mod) for pos, mod in enumerate(m.modules[:-1]) if mod in stateful]
        if hits:
            issues.append(
                Issue(
                    (m.name,),
                    f"{m.name} carries stateful STREAMS module"
                    f"{'s' if len(hits) > 1 else ''} {', '.join(mod for _, mod in hits)}; "
                    "its state is lost on failover.",
                    tuple(a.ModRemove(m.name, mod, pos) for pos, mod in reversed(hits))
                    + (a.Manual(PERSIST_MODULES),),
                )
            )
    return issues
