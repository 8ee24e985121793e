#!/usr/bin/env python3
"""Generate the Grafana artifacts from one place.

    grafana/dashboards/ipmpd.json                 the dashboard
    grafana/provisioning/alerting/ipmpd.yaml      Grafana-managed alerts, from
                                                  grafana/alerts/ipmpd-rules.yml

A test-only tool (needs PyYAML, a test dependency): run it after editing the
rule file or the panels below, and commit the output.  tests/test_grafana.py
fails when the committed files are not what this prints.

    .venv/bin/python tools/gen_grafana.py          # write
    .venv/bin/python tools/gen_grafana.py --check  # exit 1 if stale
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
RULES = REPO / "grafana" / "alerts" / "ipmpd-rules.yml"
DASHBOARD = REPO / "grafana" / "dashboards" / "ipmpd.json"
ALERTING = REPO / "grafana" / "provisioning" / "alerting" / "ipmpd.yaml"
DATASOURCE_UID = "prometheus"  # matches grafana/provisioning/datasources/prometheus.yaml
DS = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
SEL = 'instance="$instance"'
SELG = 'instance="$instance", group="$group"'


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
    **extra: Any,
) -> dict[str, Any]:
    x, y, w, h = pos
    p: dict[str, Any] = {
        "id": pid,
        "type": kind,
        "title": title,
        "datasource": DS,
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "targets": targets,
        "fieldConfig": {"defaults": extra.pop("defaults", {}), "overrides": []},
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


def dashboard() -> dict[str, Any]:
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
                    'sum by (instance, group) (ipmpd_check_result{result="finding", check_severity="error"})',
                    "A",
                    instant=True,
                ),
                target(
                    'sum by (instance, group) (ipmpd_check_result{result="finding", check_severity="warning"})',
                    "B",
                    instant=True,
                ),
                target("max by (instance, group, state) (ipmpd_group_state == 1)", "C", instant=True),
            ],
            description="Errors and warnings count current findings (ipmpd_check_result); worst severity is "
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
            [target('count(ipmpd_group_state{state!="ok"} == 1) or vector(0)')],
            defaults={"thresholds": thresholds((None, "green"), (1, "red")), "unit": "none"},
        )
    )
    panels.append(
        panel(
            4,
            "stat",
            "Current findings",
            (16, 5, 8, 4),
            [target("count(ipmpd_finding) or vector(0)")],
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
            transformations=[
                {
                    "id": "organize",
                    "options": {
                        "excludeByName": {"Time": True, "Value": True, "__name__": True, "job": True}
                    },
                }
            ],
            description="One row per current finding; remediation holds the exact commands for that host.",
        )
    )
    panels.append(
        panel(
            8,
            "table",
            "Checks that are unknown or skipped, and why",
            (0, 24, 24, 6),
            [target(f"ipmpd_check_reason{{{SELG}}}", instant=True)],
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
            defaults={"unit": "s"},
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
        "links": [],
        "templating": {
            "list": [
                {
                    "name": "DS_PROMETHEUS",
                    "label": "Data source",
                    "type": "datasource",
                    "query": "prometheus",
                    "hide": 0,
                },
                {
                    "name": "instance",
                    "label": "Host",
                    "type": "query",
                    "datasource": DS,
                    "query": "label_values(ipmpd_build_info, instance)",
                    "refresh": 2,
                    "multi": False,
                    "sort": 1,
                },
                {
                    "name": "group",
                    "label": "IPMP group",
                    "type": "query",
                    "datasource": DS,
                    "query": 'label_values(ipmpd_group_members{instance=~"$instance"}, group)',
                    "refresh": 2,
                    "multi": False,
                    "sort": 1,
                },
            ]
        },
        "panels": panels,
    }


def grafana_alerting(rules_yaml: str) -> dict[str, Any]:
    """The same alerts as Grafana-managed rules (file provisioning shape)."""
    data = yaml.safe_load(rules_yaml)
    groups = []
    for group in data["groups"]:
        rules = []
        for rule in group["rules"]:
            name = rule["alert"]
            rules.append(
                {
                    "uid": "ipmpd-" + name[len("Ipmpd") :].lower(),
                    "title": name,
                    "condition": "C",
                    "data": [
                        {
                            "refId": "A",
                            "relativeTimeRange": {"from": 600, "to": 0},
                            "datasourceUid": DATASOURCE_UID,
                            "model": {"refId": "A", "expr": " ".join(rule["expr"].split()), "instant": True},
                        },
                        {
                            "refId": "C",
                            "datasourceUid": "__expr__",
                            "model": {
                                "refId": "C",
                                "type": "threshold",
                                "expression": "A",
                                "conditions": [{"evaluator": {"type": "gt", "params": [0]}}],
                            },
                        },
                    ],
                    "noDataState": "OK",
                    "execErrState": "Error",
                    "for": rule.get("for", "0m"),
                    "labels": rule.get("labels", {}),
                    "annotations": rule.get("annotations", {}),
                }
            )
        groups.append(
            {"orgId": 1, "name": group["name"], "folder": "ipmpd", "interval": "1m", "rules": rules}
        )
    return {"apiVersion": 1, "groups": groups}


def render() -> dict[Path, str]:
    header = "# Generated by tools/gen_grafana.py from grafana/alerts/ipmpd-rules.yml; do not edit.\n"
    return {
        DASHBOARD: json.dumps(dashboard(), indent=2) + "\n",
        ALERTING: header + yaml.safe_dump(grafana_alerting(RULES.read_text()), sort_keys=False, width=1000),
    }


def main(argv: list[str]) -> int:
    outputs = render()
    if "--check" in argv:
        stale = [
            str(p.relative_to(REPO)) for p, text in outputs.items() if not p.exists() or p.read_text() != text
        ]
        if stale:
            print("stale, run tools/gen_grafana.py: " + ", ".join(stale))
            return 1
        return 0
    for path, text in outputs.items():
        path.write_text(text)
        print(f"wrote {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
