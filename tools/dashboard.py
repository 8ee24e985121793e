"""The Grafana dashboard, grafana/dashboards/ipmpd.json (written by tools/gen_monitoring.py).

Variables: data source, job (every job that has ipmpd series, so hosts
scraped directly and targets behind /probe both show), instance and group;
each used through Grafana's ``:regex`` format, which escapes the dots of
``host:port``.  Hosts and targets that stopped reporting stay listed in the
"last seen" table for the dashboard's time range instead of vanishing.
"""

from __future__ import annotations

from typing import Any

DS = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
JOB = 'job=~"${job:regex}"'
SEL = JOB + ', instance=~"${instance:regex}"'
SELG = SEL + ', group=~"${group:regex}"'


def target(expr: str, ref: str = "A", legend: str = "", instant: bool = False) -> dict[str, Any]:
    t: dict[str, Any] = {"datasource": DS, "refId": ref, "expr": expr}
    if legend:
        t["legendFormat"] = legend
    if instant:
        t["instant"] = True
        t["range"] = False
        t["format"] = "table"
    return t


def panel(
    pid: int,
    kind: str,
    title: str,
    pos: tuple[int, int, int, int],
    targets: list[dict[str, Any]],
    description: str,
    **extra: Any,
) -> dict[str, Any]:
    x, y, w, h = pos
    p: dict[str, Any] = {
        "id": pid,
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DS,
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "targets": targets,
        "fieldConfig": {"defaults": extra.pop("defaults", {}), "overrides": extra.pop("overrides", [])},
        "options": extra.pop("options", {}),
    }
    p.update(extra)
    return p


def row(pid: int, title: str, y: int) -> dict[str, Any]:
    return {
        "id": pid,
        "type": "row",
        "title": title,
        "collapsed": False,
        "gridPos": {"x": 0, "y": y, "w": 24, "h": 1},
        "panels": [],
    }


def thresholds(*steps: tuple[float | None, str]) -> dict[str, Any]:
    return {
        "mode": "absolute",
        "steps": [{"value": 0 if v is None else v, "color": c} for v, c in steps],
    }


MERGE = [{"id": "merge", "options": {}}]
HIDE_TIME = [{"id": "organize", "options": {"excludeByName": {"Time": True, "__name__": True, "job": True}}}]


def runbook_link(url: str) -> dict[str, Any]:
    return {
        "title": "ipmpd runbook",
        "type": "link",
        "url": url,
        "icon": "doc",
        "tooltip": "What each ipmpd alert means and what to do",
        "tags": [],
        "asDropdown": False,
        "targetBlank": True,
        "includeVars": False,
        "keepTime": False,
    }


def variable(name: str, label: str, query: str) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DS,
        "query": query,
        "refresh": 2,
        "multi": True,
        "sort": 1,
    }


def dashboard(runbook: str) -> dict[str, Any]:
    panels: list[dict[str, Any]] = []
    # The fleet row shows every host and group; the group and exporter rows
    # show the host and group picked in the variables.
    panels.append(row(1, "Fleet: hosts x groups", 0))
    panels.append(
        panel(
            2,
            "table",
            "Groups: findings, worst severity and state",
            (0, 1, 16, 8),
            [
                target(
                    'sum by (instance, group) (ipmpd_check_result{result="finding", check_severity="error", '
                    + JOB
                    + "})",
                    "A",
                    instant=True,
                ),
                target(
                    "sum by (instance, group) "
                    '(ipmpd_check_result{result="finding", check_severity="warning", ' + JOB + "})",
                    "B",
                    instant=True,
                ),
                target(
                    f"max by (instance, group, state) (ipmpd_group_state{{{JOB}}} == 1)", "C", instant=True
                ),
            ],
            "Errors and warnings count current findings (ipmpd_check_result); worst severity is "
            "error when Errors > 0, else warning when Warnings > 0. State is ipmpstat's group state.",
            transformations=MERGE
            + [
                {
                    "id": "organize",
                    "options": {
                        "excludeByName": {"Time": True, "Value #C": True},
                        "renameByName": {"Value #A": "Errors", "Value #B": "Warnings", "state": "State"},
                    },
                }
            ],
            defaults={"thresholds": thresholds((None, "green"), (1, "red"))},
        )
    )
    panels.append(
        panel(
            3,
            "stat",
            "Groups not ok",
            (16, 1, 8, 4),
            [target(f'count(ipmpd_group_state{{state!="ok", {JOB}}} == 1) or vector(0)')],
            "Groups whose state is degraded, failed or unknown, over every instance of the selected jobs.",
            defaults={"thresholds": thresholds((None, "green"), (1, "red")), "unit": "none"},
        )
    )
    panels.append(
        panel(
            4,
            "stat",
            "Current findings",
            (16, 5, 8, 4),
            [target(f"count(ipmpd_finding{{{JOB}}}) or vector(0)")],
            "Current planning-rule findings of every severity, over every instance of the selected jobs.",
            defaults={"thresholds": thresholds((None, "green"), (1, "orange")), "unit": "none"},
        )
    )

    panels.append(row(5, "Group $group on $instance", 9))
    panels.append(
        panel(
            6,
            "table",
            "Members: state, MAC, media, STREAMS modules",
            (0, 10, 24, 7),
            [
                target(f"ipmpd_interface_info{{{SELG}}}", "A", instant=True),
                target(
                    f"max by (instance, group, interface, state) (ipmpd_interface_state{{{SELG}}} == 1)",
                    "B",
                    instant=True,
                ),
            ],
            "One row per member: its state (ipmpstat, else interface flags), MAC, media, the live "
            "STREAMS modules (modlist) and the configured ones (autopush).",
            transformations=MERGE
            + [
                {
                    "id": "organize",
                    "options": {
                        "excludeByName": {
                            "Time": True,
                            "Value #A": True,
                            "Value #B": True,
                            "__name__": True,
                            "job": True,
                        }
                    },
                }
            ],
        )
    )
    panels.append(
        panel(
            7,
            "table",
            "Findings and remediation",
            (0, 17, 24, 7),
            [target(f"ipmpd_finding{{{SELG}}}", instant=True)],
            "One row per current finding; remediation holds the exact commands for that host. "
            "What each alert means and what to do: the runbook (link above).",
            transformations=[
                {
                    "id": "organize",
                    "options": {
                        "excludeByName": {"Time": True, "Value": True, "__name__": True, "job": True}
                    },
                }
            ],
            links=[runbook_link(runbook)],
        )
    )
    panels.append(
        panel(
            8,
            "table",
            "Checks that are unknown or skipped, and why",
            (0, 24, 24, 6),
            [target(f"ipmpd_check_reason{{{SELG}}}", instant=True)],
            "A check that could not look (a source did not answer) is unknown, never ok; skipped "
            "means the configuration turned it off.",
            transformations=HIDE_TIME + [{"id": "organize", "options": {"excludeByName": {"Value": True}}}],
        )
    )
    panels.append(
        panel(
            9,
            "timeseries",
            "Usable members",
            (0, 30, 12, 7),
            [
                target(f"ipmpd_group_usable_members{{{SELG}}}", "A", "{{instance}} {{group}} usable"),
                target(f"ipmpd_group_members{{{SELG}}}", "B", "{{instance}} {{group}} members"),
            ],
            "Members neither failed nor offline, against all members; below two (or one for a group "
            "allowed a single member) the group cannot survive another failure.",
            defaults={"unit": "none", "min": 0},
        )
    )
    panels.append(
        panel(
            10,
            "state-timeline",
            "Group state",
            (12, 30, 12, 7),
            [
                target(
                    f"max by (instance, group, state) (ipmpd_group_state{{{SELG}}} == 1)",
                    "A",
                    "{{instance}} {{group}} {{state}}",
                )
            ],
            "ipmpstat's group state over time; frequent changes fire IpmpdGroupFlapping.",
        )
    )

    panels.append(row(11, "Exporter on $instance", 37))
    panels.append(
        panel(
            12,
            "stat",
            "Data age",
            (0, 38, 6, 4),
            [target(f"time() - ipmpd_last_gather_success_timestamp_seconds{{{SEL}}}", "A", "{{instance}}")],
            "Seconds since a gather last read the interface list; over three intervals fires IpmpdDataStale.",
            defaults={"unit": "s", "thresholds": thresholds((None, "green"), (300, "red"))},
        )
    )
    panels.append(
        panel(
            13,
            "stat",
            "STREAMS module lists age",
            (6, 38, 6, 4),
            [target(f"time() - ipmpd_modlist_timestamp_seconds{{{SEL}}}", "A", "{{instance}}")],
            "Age of the live STREAMS module lists (ifconfig IF modlist); empty when modlist is off.",
            defaults={"unit": "s", "thresholds": thresholds((None, "green"), (7200, "orange"))},
        )
    )
    panels.append(
        panel(
            14,
            "stat",
            "Last configuration reload",
            (12, 38, 6, 4),
            [target(f"ipmpd_config_reload_success{{{SEL}}}", "A", "{{instance}}")],
            "Whether the last SIGHUP (svcadm refresh) loaded ipmpd.toml; rejected keeps the previous one.",
            defaults={
                "mappings": [
                    {
                        "type": "value",
                        "options": {
                            "0": {"text": "rejected", "color": "red"},
                            "1": {"text": "ok", "color": "green"},
                        },
                    }
                ],
                "thresholds": thresholds((None, "red"), (1, "green")),
            },
        )
    )
    panels.append(
        panel(
            15,
            "stat",
            "Build",
            (18, 38, 6, 4),
            [target(f"ipmpd_build_info{{{SEL}}}", "A", "{{instance}} {{version}} python {{python}}")],
            "ipmpd and Python versions (for targets behind /probe: the fleet exporter's, on its "
            "own instance).",
            options={"textMode": "name"},
        )
    )
    panels.append(
        panel(
            16,
            "state-timeline",
            "Source health (1 = answered)",
            (0, 42, 12, 8),
            [target(f"ipmpd_source_up{{{SEL}}}", "A", "{{instance}} {{source}}")],
            "1 when every run of the source answered and parsed; the checks that need a failing "
            "source report unknown.",
            defaults={"thresholds": thresholds((None, "red"), (1, "green"))},
        )
    )
    panels.append(
        panel(
            17,
            "timeseries",
            "Gather and source durations",
            (12, 42, 12, 8),
            [
                target(f"ipmpd_gather_duration_seconds{{{SEL}}}", "A", "{{instance}} gather + checks"),
                target(f"ipmpd_source_duration_seconds{{{SEL}}}", "B", "{{instance}} {{source}}"),
            ],
            "How long a gather and each source took.",
            defaults={"unit": "s"},
        )
    )
    panels.append(
        panel(
            18,
            "table",
            "Hosts and targets: last seen",
            (0, 50, 24, 7),
            [
                target(f"max by (instance, job) (last_over_time(up{{{JOB}}}[$__range]))", "A", instant=True),
                target(
                    "time() - max by (instance, job) (last_over_time("
                    f"ipmpd_last_gather_success_timestamp_seconds{{{JOB}}}[$__range]))",
                    "B",
                    instant=True,
                ),
                target(
                    f"max by (instance, job) (last_over_time(ipmpd_probe_success{{{JOB}}}[$__range]))",
                    "C",
                    instant=True,
                ),
            ],
            "Every instance seen in the time range, including those that stopped reporting: the "
            "last scrape's up, the last successful gather, and for /probe targets the last probe.",
            transformations=MERGE
            + [
                {
                    "id": "organize",
                    "options": {
                        "excludeByName": {"Time": True},
                        "renameByName": {
                            "Value #A": "Up (last scrape)",
                            "Value #B": "Seconds since last successful gather",
                            "Value #C": "Probe (last)",
                        },
                    },
                }
            ],
        )
    )
    return {
        "uid": "ipmpd-overview",
        "title": "ipmpd: IPMP planning rules and group health",
        "description": "Drift from the IPMP planning procedure and IPMP group health, from ipmpd.",
        "tags": ["ipmpd", "ipmp", "solaris"],
        "timezone": "browser",
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": 41,
        "version": 1,
        "refresh": "1m",
        "time": {"from": "now-6h", "to": "now"},
        "annotations": {"list": []},
        "links": [runbook_link(runbook)],
        "templating": {
            "list": [
                {
                    "name": "DS_PROMETHEUS",
                    "label": "Data source",
                    "type": "datasource",
                    "query": "prometheus",
                    "hide": 0,
                },
                variable("job", "Job", "label_values(ipmpd_gather_interval_seconds, job)"),
                variable(
                    "instance",
                    "Host",
                    'label_values(ipmpd_gather_interval_seconds{job=~"${job:regex}"}, instance)',
                ),
                variable("group", "IPMP group", f"label_values(ipmpd_group_members{{{SEL}}}, group)"),
            ]
        },
        "panels": panels,
    }
