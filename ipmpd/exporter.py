"""Prometheus metrics, built fresh from ``latest`` on every scrape.

A custom collector: ``describe()`` returns nothing, so registering it runs
no gather, and ``collect()`` reads one immutable ``Latest`` -- a finding that
resolved is simply absent from the next scrape.  No hostname label anywhere
(Prometheus adds ``instance``).  The metric names are the interface the
dashboards and alert rules use.
"""

from __future__ import annotations

import platform
from collections.abc import Iterator
from typing import Callable, Optional

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ipmpd import __version__
from ipmpd.checks.base import STATUSES
from ipmpd.render import interface_state
from ipmpd.state import Latest

GROUP_STATES = ("ok", "degraded", "failed", "unknown")
INTERFACE_STATES = ("ok", "failed", "offline", "standby", "inactive", "unknown")
LAST = " (from the last gather)"
UNKNOWN = "unknown"


Probe = tuple[Optional[bool], Optional[float]]  # (read the interface list?, seconds)


class IpmpdCollector(Collector):
    """``/metrics``: the local host's families and the daemon's own.  With
    ``probe``, ``/probe?target=``: one target's families (checks, groups,
    interfaces, sources) and the probe pair, never the daemon's own, so fleet
    alerts do not multiply."""

    def __init__(self, latest: Callable[[], Latest], probe: Optional[Callable[[], Probe]] = None) -> None:
        self._latest = latest
        self._probe = probe

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        latest = self._latest()
        yield from self._checks(latest)
        yield from self._groups(latest)
        yield from self._sources(latest)
        yield from self._daemon(latest, own=self._probe is None)
        if self._probe is None:
            return
        success, duration = self._probe()
        ok = GaugeMetricFamily(
            "ipmpd_probe_success",
            "1 when the target's last gather read its interface list, 0 when it could not; "
            "no sample before its first gather has finished",
        )
        if success is not None:
            ok.add_metric([], 1.0 if success else 0.0)
        yield ok
        dur = GaugeMetricFamily(
            "ipmpd_probe_duration_seconds", "Duration of the target's last SSH round trip and gather"
        )
        if duration is not None:
            dur.add_metric([], duration)
        yield dur

    def _checks(self, latest: Latest) -> Iterator[Metric]:
        result = GaugeMetricFamily(
            "ipmpd_check_result",
            "Result of each check for each group: 1 for the current result, 0 for the others; "
            "check_severity is the check's severity (ipmpd.toml [checks] severity)" + LAST,
            labels=["group", "check", "code", "check_severity", "result"],
        )
        for r in latest.results:
            for status in STATUSES:
                result.add_metric(
                    [r.group, r.name, r.code, r.severity, status], 1.0 if r.status == status else 0.0
                )
        yield result
        reason = GaugeMetricFamily(
            "ipmpd_check_reason",
            "1 for each check that is unknown or skipped, with why (a source that did not answer, "
            "or the configuration)" + LAST,
            labels=["group", "check", "code", "result", "reason"],
        )
        for r in latest.results:
            if r.status in ("unknown", "skipped"):
                reason.add_metric([r.group, r.name, r.code, r.status, r.reason or ""], 1.0)
        yield reason
        drift = GaugeMetricFamily(
            "ipmpd_interface_drift",
            "1 for each interface a current finding implicates; absent when clean" + LAST,
            labels=["group", "interface", "check"],
        )
        seen: set[tuple[str, str, str]] = set()
        for f in latest.findings:
            for i in f.interfaces:
                key = (f.group, i, f.name)
                if key not in seen:
                    seen.add(key)
                    drift.add_metric(list(key), 1.0)
        yield drift
        finding = GaugeMetricFamily(
            "ipmpd_finding",
            "1 for each current finding, with what an alert needs to say: the implicated "
            "interfaces, the message and the remediation commands" + LAST,
            labels=["group", "check", "code", "check_severity", "interfaces", "message", "remediation"],
        )
        for f in latest.findings:
            finding.add_metric(
                [
                    f.group,
                    f.name,
                    f.code,
                    f.severity,
                    ",".join(f.interfaces),
                    f.message,
                    "; ".join(f.remediation),
                ],
                1.0,
            )
        yield finding

    def _groups(self, latest: Latest) -> Iterator[Metric]:
        ginfo = GaugeMetricFamily(
            "ipmpd_group_info",
            "1 for every group checked, with where it was seen: runtime (configured on the running "
            "host), boot (the boot configuration restores it), config (ipmpd.toml declares it); "
            "a group not seen at runtime has no ipmpd_group_state" + LAST,
            labels=["group", "seen_in"],
        )
        for name, seen in sorted(latest.groups_seen.items()):
            ginfo.add_metric([name, ",".join(seen)], 1.0)
        yield ginfo
        members = GaugeMetricFamily(
            "ipmpd_group_members", "Interfaces in the IPMP group" + LAST, labels=["group"]
        )
        minimum = GaugeMetricFamily(
            "ipmpd_group_min_members",
            "Usable members the group needs to be redundant: 2, or 1 for a group "
            "ipmpd.toml allows a single member (allow_single = true)" + LAST,
            labels=["group"],
        )
        usable = GaugeMetricFamily(
            "ipmpd_group_usable_members",
            "Members that are neither failed nor offline" + LAST,
            labels=["group"],
        )
        gstate = GaugeMetricFamily(
            "ipmpd_group_state",
            "IPMP group state: 1 for the current state, 0 for the others" + LAST,
            labels=["group", "state"],
        )
        istate = GaugeMetricFamily(
            "ipmpd_interface_state",
            "Member interface state: 1 for the current state, 0 for the others" + LAST,
            labels=["group", "interface", "state"],
        )
        info = GaugeMetricFamily(
            "ipmpd_interface_info",
            "Member interface facts as labels; 'unknown' where ipmpd could not look" + LAST,
            labels=["group", "interface", "mac", "media", "modules", "configured_modules", "families"],
        )
        # modules: the live stream ("" when modlist did not inspect it); configured_modules:
        # what autopush pushes at plumb time ("" for none).
        inspected = bool(latest.snapshot and latest.snapshot.runs("modlist"))
        snap = latest.snapshot
        for g in snap.groups if snap else ():
            members.add_metric([g.name], float(len(g.members)))
            minimum.add_metric([g.name], 1.0 if g.name in latest.single_groups else 2.0)
            current = g.state if g.state in GROUP_STATES else UNKNOWN
            for s in GROUP_STATES:
                gstate.add_metric([g.name, s], 1.0 if s == current else 0.0)
            ok = 0
            for name in g.members:
                i = snap.interface(name) if snap else None
                state = interface_state(i) if i is not None else UNKNOWN
                if state not in ("failed", "offline", UNKNOWN):
                    ok += 1
                for s in INTERFACE_STATES:
                    istate.add_metric([g.name, name, s], 1.0 if s == state else 0.0)
                if i is not None:
                    info.add_metric(
                        [
                            g.name,
                            name,
                            i.mac or UNKNOWN,
                            i.media or UNKNOWN,
                            ",".join(i.modules) if i.modules is not None else UNKNOWN if inspected else "",
                            ",".join(i.configured_modules) if i.configured_modules is not None else UNKNOWN,
                            ",".join(i.families) if i.families else UNKNOWN,
                        ],
                        1.0,
                    )
            usable.add_metric([g.name], float(ok))
        yield members
        yield minimum
        yield usable
        yield gstate
        yield istate
        yield info

    def _sources(self, latest: Latest) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "ipmpd_source_up",
            "1 if every run of the source answered and parsed, else 0" + LAST,
            labels=["source"],
        )
        dur = GaugeMetricFamily(
            "ipmpd_source_duration_seconds",
            "Time the source's commands took, summed over its runs" + LAST,
            labels=["source"],
        )
        snap = latest.snapshot
        if snap is not None:
            for name in snap.source_names():
                up.add_metric([name], 1.0 if snap.source_ok(name) else 0.0)
                dur.add_metric([name], sum(s.duration_seconds for s in snap.runs(name)))
        yield up
        yield dur

    def _daemon(self, latest: Latest, own: bool = True) -> Iterator[Metric]:
        """How fresh the host's data is; with ``own``, the daemon's own state
        too (start, reloads, build), which /probe leaves to /metrics."""

        def gauge(name: str, doc: str, value: float | None) -> Iterator[Metric]:
            g = GaugeMetricFamily(name, doc)
            if value is not None:
                g.add_metric([], value)
            yield g

        if own:
            yield from gauge(
                "ipmpd_start_time_seconds",
                "Unix time the daemon started; with no ipmpd_last_gather_success_timestamp_seconds "
                "it has never read its host",
                latest.started_at,
            )
        yield from gauge(
            "ipmpd_last_gather_timestamp_seconds",
            "Unix time the last gather finished, whatever its outcome",
            latest.last_gather,
        )
        yield from gauge(
            "ipmpd_last_gather_success_timestamp_seconds",
            "Unix time of the last gather in which ifconfig -a answered",
            latest.last_success,
        )
        yield from gauge(
            "ipmpd_gather_duration_seconds",
            "Duration of the last gather and check cycle",
            latest.gather_duration,
        )
        yield from gauge(
            "ipmpd_gather_interval_seconds",
            "The configured gather interval ([daemon] interval)",
            latest.interval,
        )
        yield from gauge(
            "ipmpd_modlist_interval_seconds",
            "The configured STREAMS module list interval ([daemon] modlist_interval); 0 when disabled",
            latest.modlist_interval,
        )
        yield from gauge(
            "ipmpd_modlist_timestamp_seconds",
            "Unix time the STREAMS module lists in use were taken",
            latest.modules_taken_at,
        )
        if not own:
            return
        yield from gauge(
            "ipmpd_config_reload_success",
            "1 if the last configuration load succeeded, 0 if it was rejected",
            1.0 if latest.config_reload_success else 0.0,
        )
        yield from gauge(
            "ipmpd_config_reload_timestamp_seconds",
            "Unix time of the last configuration load attempt",
            latest.config_reload_at,
        )
        build = GaugeMetricFamily(
            "ipmpd_build_info", "ipmpd version and Python version", labels=["version", "python"]
        )
        build.add_metric([__version__, platform.python_version()], 1.0)
        yield build
