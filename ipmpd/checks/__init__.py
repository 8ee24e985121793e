"""The registry of checks and ``evaluate()``.

Codes and names are a public interface (metrics, alerts, JSON): they are
never renamed or reused.  Adding a check is one module, one line below and
one test file.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Optional

from ipmpd import model
from ipmpd.checks import (
    ipmp001_group_name,
    ipmp002_logical_interface,
    ipmp003_redundancy,
    ipmp004_unique_mac,
    ipmp005_module_order,
    ipmp006_stateful_module,
    ipmp007_address_family,
    ipmp008_same_link,
    ipmp009_media_type,
    ipmp010_atm_lane,
    ipmp011_membership,
    ipmp012_persistence,
    ipmp013_group_health,
    ipmp014_module_drift,
)
from ipmpd.checks.base import Check, Context, Issue, Skipped, Unknown
from ipmpd.config import Config
from ipmpd.remedy.actions import Remedy, verification
from ipmpd.remedy.render import render
from ipmpd.sources import SOURCES_BY_NAME, applies


def _check(module: ModuleType) -> Check:
    return Check(
        code=module.CODE,
        name=module.NAME,
        severity=module.SEVERITY,
        step=module.STEP,
        needs=module.NEEDS,
        run=module.check,
        doc=module.__doc__ or "",
    )


REGISTRY: tuple[Check, ...] = (
    _check(ipmp001_group_name),
    _check(ipmp002_logical_interface),
    _check(ipmp003_redundancy),
    _check(ipmp004_unique_mac),
    _check(ipmp005_module_order),
    _check(ipmp006_stateful_module),
    _check(ipmp007_address_family),
    _check(ipmp008_same_link),
    _check(ipmp009_media_type),
    _check(ipmp010_atm_lane),
    _check(ipmp011_membership),
    _check(ipmp012_persistence),
    _check(ipmp013_group_health),
    _check(ipmp014_module_drift),
)
MODULE_CHECKS = ("IPMP005", "IPMP006", "IPMP014")
SEVERITY_ORDER = {"info": 0, "warning": 1, "error": 2}


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    severity: str
    group: str
    interfaces: tuple[str, ...]
    message: str
    remedy: Remedy
    remediation: tuple[str, ...]  # the remedy rendered for the host's platform

    @property
    def verification(self) -> str:
        """``simulated`` (proven by the replay tests) or ``by hand``."""
        return verification(self.remedy)


@dataclass(frozen=True)
class Result:
    group: str
    code: str
    name: str
    severity: str
    status: str  # ok | finding | unknown | skipped
    reason: Optional[str]
    findings: tuple[Finding, ...] = ()
    seen_in: tuple[str, ...] = ()  # runtime, boot, config


def by_code_or_name(key: str) -> Optional[Check]:
    for c in REGISTRY:
        if key in (c.code, c.name):
            return c
    return None


def severity_for(check: Check, config: Config) -> str:
    for key, sev in config.checks.severity:
        if key in (check.code, check.name):
            return sev
    return check.severity


SEEN_IN = ("runtime", "boot", "config")


def groups_to_check(snap: model.Snapshot, config: Config) -> list[tuple[str, tuple[str, ...]]]:
    """Every group running on the host, restored by its boot configuration or
    declared in ipmpd.toml, with where it was seen."""
    where = {
        "runtime": {g.name for g in snap.groups},
        "boot": set(snap.persistent.groups()),
        "config": {g.name for g in config.groups},
    }
    names = set().union(*where.values())
    return [(n, tuple(w for w in SEEN_IN if n in where[w])) for n in sorted(names)]


def run_check(check: Check, ctx: Context, config: Config) -> Result:
    severity = severity_for(check, config)

    def result(status: str, reason: Optional[str], found: tuple[Finding, ...] = ()) -> Result:
        return Result(ctx.group_name, check.code, check.name, severity, status, reason, found, ctx.seen_in)

    if check.code in config.checks.ignore or check.name in config.checks.ignore:
        return result("skipped", "ignored in [checks] ignore")
    absent = [n for n in check.needs if ctx.snapshot.source_ok(n) is None and not _exists(n, ctx.snapshot)]
    if absent:
        # Not a failure to look: the platform has no such command (Solaris 10 dladm has
        # no show-phys).  Kept visible, never counted as ok.
        platform = ctx.snapshot.host.platform
        return result("skipped", f"not available on {platform}: {', '.join(absent)} does not exist there")
    missing = ctx.snapshot.describe_missing(check.needs)
    if missing:
        return result("unknown", f"source not available: {missing}")
    outcome = check.run(ctx)
    if isinstance(outcome, Skipped):
        return result("skipped", outcome.reason)
    if isinstance(outcome, Unknown):
        return result("unknown", outcome.reason)
    note = module_note(ctx) if check.code in MODULE_CHECKS else None
    if not outcome:
        return result("ok", note)
    found = tuple(_finding(check, ctx.group_name, severity, i, ctx.platform) for i in outcome)
    return result("finding", f"{len(found)} finding(s)" + (f"; {note}" if note else ""), found)


def module_note(ctx: Context) -> Optional[str]:
    """Which view the module checks judged: the live stream (and its age),
    or the configured modules, and why."""
    snap = ctx.snapshot
    members = ctx.members()
    live = not isinstance(members, Unknown) and ipmp005_module_order.live_unknown_reason(ctx, members) is None
    if live and snap.modules_taken_at is not None:
        # Live lists come from the last modlist run, not this gather.
        age = max(0, int(ctx.now - snap.modules_taken_at))
        return f"live module lists {age}s old"
    if snap.runs("modlist"):
        return "judged on the configured modules (autopush): some members' live module lists are unknown"
    return LIVE_NOT_INSPECTED


LIVE_NOT_INSPECTED = "judged on the configured modules (autopush); the live STREAMS stack was not inspected"


def _exists(source: str, snap: model.Snapshot) -> bool:
    src = SOURCES_BY_NAME.get(source)
    return src is None or applies(src, snap.host.platform, snap.host.arch)


def _finding(check: Check, group: str, severity: str, issue: Issue, platform: str) -> Finding:
    sev = issue.severity if issue.severity is not None else severity
    return Finding(
        check.code,
        check.name,
        sev,
        group,
        issue.interfaces,
        issue.message,
        issue.remedy,
        render(issue.remedy, platform),
    )


def evaluate(snap: model.Snapshot, config: Config, now: Optional[float] = None) -> tuple[Result, ...]:
    """One result for every (group, check) pair, judged at ``now`` (default:
    the snapshot's own time, so a replayed capture ages as when it was taken)."""
    at = snap.taken_at if now is None else now
    results = []
    for name, seen_in in groups_to_check(snap, config):
        ctx = Context(snap, name, snap.group(name), config, config.group(name), now=at, seen_in=seen_in)
        for check in REGISTRY:
            results.append(run_check(check, ctx, config))
    return tuple(results)


def groups_seen(results: tuple[Result, ...]) -> dict[str, tuple[str, ...]]:
    """Every group checked, with where it was seen (runtime, boot, config)."""
    seen: dict[str, tuple[str, ...]] = {}
    for r in results:
        seen.setdefault(r.group, r.seen_in)
    return seen


def findings(results: tuple[Result, ...]) -> list[Finding]:
    return [f for r in results for f in r.findings]
