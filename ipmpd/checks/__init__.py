"""The registry of checks and ``evaluate()``.

Codes and names are a public interface (metrics, alerts, JSON): they are
never renamed or reused.  Adding a check is one module, one line below and
one test file.
"""

from __future__ import annotations

import time
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
)
from ipmpd.checks.base import Check, Context, Issue, Unknown
from ipmpd.config import Config
from ipmpd.render import describe_missing


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
)
MODULE_CHECKS = ("IPMP005", "IPMP006")
SEVERITY_ORDER = {"info": 0, "warning": 1, "error": 2}


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    severity: str
    group: str
    interfaces: tuple[str, ...]
    message: str
    remediation: tuple[str, ...]


@dataclass(frozen=True)
class Result:
    group: str
    code: str
    name: str
    severity: str
    status: str  # ok | finding | unknown | skipped
    reason: Optional[str]
    findings: tuple[Finding, ...] = ()


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


def groups_to_check(snap: model.Snapshot, config: Config) -> list[str]:
    """Configured groups, plus every group found on the host."""
    names = {g.name for g in config.groups} | {g.name for g in snap.groups}
    return sorted(names)


def run_check(check: Check, ctx: Context, config: Config) -> Result:
    severity = severity_for(check, config)
    base = (ctx.group_name, check.code, check.name, severity)
    if check.code in config.checks.ignore or check.name in config.checks.ignore:
        return Result(*base, "skipped", "ignored in [checks] ignore")
    missing = describe_missing(ctx.snapshot, list(check.needs))
    if missing:
        return Result(*base, "unknown", f"source not available: {missing}")
    try:
        outcome = check.run(ctx)
    except ipmp011_membership.NotConfigured as e:
        return Result(*base, "skipped", str(e))
    if isinstance(outcome, Unknown):
        return Result(*base, "unknown", outcome.reason)
    note = None
    if check.code in MODULE_CHECKS and ctx.snapshot.modules_taken_at is not None:
        # Module lists come from the last modlist run, not this gather.
        age = max(0, int(time.time() - ctx.snapshot.modules_taken_at))
        note = f"module lists {age}s old"
    if not outcome:
        return Result(*base, "ok", note)
    found = tuple(_finding(check, ctx.group_name, severity, i) for i in outcome)
    reason = f"{len(found)} finding(s)" + (f"; {note}" if note else "")
    return Result(*base, "finding", reason, found)


def _finding(check: Check, group: str, severity: str, issue: Issue) -> Finding:
    sev = issue.severity if issue.severity is not None else severity
    return Finding(check.code, check.name, sev, group, issue.interfaces, issue.message, issue.remediation)


def evaluate(snap: model.Snapshot, config: Config) -> tuple[Result, ...]:
    """One result for every (group, check) pair."""
    results = []
    for name in groups_to_check(snap, config):
        ctx = Context(snap, name, snap.group(name), config, config.group(name))
        for check in REGISTRY:
            results.append(run_check(check, ctx, config))
    return tuple(results)


def findings(results: tuple[Result, ...]) -> list[Finding]:
    return [f for r in results for f in r.findings]
