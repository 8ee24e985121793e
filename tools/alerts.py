"""ipmpd's alerts, defined once and rendered two ways.

Each alert is a per-series *quantity* (query ``A``, PromQL) and a condition on
it (``A > 0``, ``A < B and A > 0``).  The Prometheus rule is the query
followed by the condition as chained comparison filters; the Grafana-managed
rule runs the same query as an instant query and puts the condition in a
server-side expression: a threshold for one comparison with a number, a math
expression otherwise.  So both fire on exactly the same series, with the same
value, which tests/test_alert_equivalence.py checks on the promtool test
series with a real Prometheus.

Tiers (the ``severity`` routing label): ``critical`` pages, and only when
service or visibility is lost; ``warning`` and ``info`` are tickets.  A
finding's own severity (``check_severity``, set per check in ipmpd.toml)
picks its tier: error -> warning, warning -> info, info -> no alert.

Alert labels hold only stable identifiers: the free text of ``ipmpd_finding``
(message, remediation, interfaces) is aggregated away and brought back in the
annotations, through a template ``query`` in Prometheus and through the
matching series of an extra instant query (``$values.D``) in Grafana, whose
templates have no ``query``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional

# The generator's parameters and their defaults (README, "Alerts").
DEFAULT_JOB = 'job=~"ipmpd.*"'
DEFAULT_RUNBOOK = "https://github.com/ipmpd/ipmpd/blob/main/docs/runbook.md"
DEFAULT_PAGE = "http://{{ $labels.instance }}/"
DEFAULT_DATASOURCE_UID = "${DS_PROMETHEUS_UID}"

FREE_TEXT = "message, remediation, interfaces"
# The group-health check (IPMP013) restates ipmpstat's group state, which the
# group alerts already cover: as a finding alert it would only duplicate them.
NOT_HEALTH = 'check!="group-health"'
# Annotation text, written once: VALUE is the alert's value, DETAILS the free
# text of the findings behind it; each rendering substitutes its own.
FINDING_DETAILS = "DETAILS"


@dataclass(frozen=True)
class Params:
    job: str = DEFAULT_JOB  # label matchers every selector gets; "" for none
    runbook: str = DEFAULT_RUNBOOK  # runbook base URL; the anchor is the alert name
    page: str = DEFAULT_PAGE  # the ipmpd page an alert links to (a template)
    datasource_uid: str = DEFAULT_DATASOURCE_UID  # Grafana's Prometheus data source


@dataclass(frozen=True)
class Alert:
    name: str
    group: str  # rule group
    severity: str  # critical | warning | info
    query: str  # A: the per-series quantity; SEL marks where the job matchers go
    when: tuple[tuple[str, str], ...]  # conditions on A, all must hold: (op, number or refId)
    for_: str
    summary: str
    description: str
    inputs: dict[str, str] = field(default_factory=dict)  # other queries the conditions use
    details: Optional[str] = None  # D: the raw series whose free text the annotations show


OPS = {">": "gt", "<": "lt", ">=": "gte", "<=": "lte", "==": "eq", "!=": "ne"}

FINDING_TEXT = "{{ .Labels.message }} Interfaces: {{ .Labels.interfaces }}. Fix: {{ .Labels.remediation }}"


def finding_alert(name: str, severity: str, check_severity: str, for_: str, what: str) -> Alert:
    return Alert(
        name,
        "ipmpd-findings",
        severity,
        f'max without ({FREE_TEXT}) (ipmpd_finding{{check_severity="{check_severity}", {NOT_HEALTH}, SEL}})',
        ((">", "0"),),
        for_,
        "IPMP group {{ $labels.group }} on {{ $labels.instance }}: " + what + " {{ $labels.check }} "
        "({{ $labels.code }})",
        FINDING_DETAILS,
        details=f'ipmpd_finding{{check_severity="{check_severity}", {NOT_HEALTH}, SEL}}',
    )


ALERTS: tuple[Alert, ...] = (
    # ---- critical: service or visibility lost
    Alert(
        "IpmpdGroupFailed",
        "ipmpd-health",
        "critical",
        'max without (state) (ipmpd_group_state{state="failed", SEL})',
        ((">", "0"),),
        "2m",
        "IPMP group {{ $labels.group }} on {{ $labels.instance }} has failed",
        "No interface of IPMP group {{ $labels.group }} can carry traffic; its data addresses are "
        "unreachable.",
    ),
    Alert(
        "IpmpdDown",
        "ipmpd-visibility",
        "critical",
        "up{SEL}",
        (("<", "1"),),
        "2m",
        "ipmpd on {{ $labels.instance }} is not answering scrapes",
        "Prometheus cannot scrape {{ $labels.instance }} (job {{ $labels.job }}); IPMP failures and "
        "drift there go unseen.",
    ),
    Alert(
        "IpmpdProbeFailed",
        "ipmpd-visibility",
        "critical",
        "ipmpd_probe_success{SEL}",
        (("<", "1"),),
        "2m",
        "ipmpd cannot read target {{ $labels.instance }}",
        "The fleet exporter's last gather of {{ $labels.instance }} over SSH could not read its "
        "interface list: its checks are unknown and its groups unwatched.",
    ),
    Alert(
        "IpmpdDataStale",
        "ipmpd-visibility",
        "critical",
        # a /probe target that cannot be read pages as IpmpdProbeFailed, not twice
        "((time() - ipmpd_last_gather_success_timestamp_seconds{SEL}) / ipmpd_gather_interval_seconds{SEL}"
        " or (time() - ipmpd_start_time_seconds{SEL}) / ipmpd_gather_interval_seconds{SEL}"
        " unless ipmpd_last_gather_success_timestamp_seconds{SEL})"
        " unless on (instance, job) ipmpd_probe_success{SEL} == 0",
        ((">", "3"),),
        "2m",
        'ipmpd on {{ $labels.instance }} has not read its host for {{ VALUE | printf "%.0f" }} '
        "gather intervals",
        "ipmpd answers, but its last successful gather is more than three intervals old, or it has "
        "never read its host since it started: ifconfig -a is failing or the gather is stuck.",
    ),
    # ---- warning: tickets
    finding_alert("IpmpdPlanningRuleBroken", "warning", "error", "5m", "planning rule broken:"),
    Alert(
        "IpmpdGroupDegraded",
        "ipmpd-health",
        "warning",
        'max without (state) (ipmpd_group_state{state="degraded", SEL})',
        ((">", "0"),),
        "5m",
        "IPMP group {{ $labels.group }} on {{ $labels.instance }} is degraded",
        "At least one member of IPMP group {{ $labels.group }} is failed or offline.",
    ),
    Alert(
        "IpmpdGroupRedundancyLost",
        "ipmpd-health",
        "warning",
        # a member whose state is unknown is not counted usable: judge only what was seen
        "max without () (ipmpd_group_usable_members{SEL}) unless on (instance, job, group)"
        ' (max by (instance, job, group) (ipmpd_interface_state{state="unknown", SEL}) > 0)',
        (("<", "B"), (">", "0")),
        "5m",
        "IPMP group {{ $labels.group }} on {{ $labels.instance }} has {{ VALUE }} usable member(s)",
        "IPMP group {{ $labels.group }} cannot survive another interface failure (a group allowed "
        "a single member in ipmpd.toml needs one).",
        inputs={"B": "ipmpd_group_min_members{SEL}"},
    ),
    Alert(
        "IpmpdGroupFlapping",
        "ipmpd-health",
        "warning",
        # moves into and out of degraded or failed; not in and out of unknown (could not look)
        'sum without (state) (changes(ipmpd_group_state{state=~"degraded|failed", SEL}[30m]))',
        ((">", "3"),),
        "0m",
        "IPMP group {{ $labels.group }} on {{ $labels.instance }} went into or out of degraded or "
        "failed {{ VALUE }} times in 30 minutes",
        "The group keeps failing over and back: a flapping link, a probe target that answers "
        "intermittently, or a failback loop.",
    ),
    Alert(
        "IpmpdSourceFailing",
        "ipmpd-visibility",
        "warning",
        "ipmpd_source_up{SEL}",
        (("<", "1"),),
        "15m",
        "ipmpd source {{ $labels.source }} on {{ $labels.instance }} has been failing for 15 minutes",
        "The checks that need {{ $labels.source }} report unknown on {{ $labels.instance }} until it "
        "answers again.",
    ),
    Alert(
        "IpmpdConfigReloadFailed",
        "ipmpd-visibility",
        "warning",
        "ipmpd_config_reload_success{SEL}",
        (("<", "1"),),
        "0m",
        "ipmpd on {{ $labels.instance }} rejected its new configuration",
        "The last svcadm refresh (SIGHUP) loaded an invalid ipmpd.toml; the previous configuration "
        "is still running.",
    ),
    Alert(
        "IpmpdModuleListsStale",
        "ipmpd-visibility",
        "warning",
        # modlist is opt-in: interval 0 (off) never fires; never taken counts from the start
        "((time() - ipmpd_modlist_timestamp_seconds{SEL}) / ipmpd_modlist_interval_seconds{SEL}"
        " or (time() - ipmpd_start_time_seconds{SEL}) / ipmpd_modlist_interval_seconds{SEL}"
        " unless ipmpd_modlist_timestamp_seconds{SEL})"
        " and ipmpd_modlist_interval_seconds{SEL} > 0",
        ((">", "2"),),
        "10m",
        'STREAMS module lists on {{ $labels.instance }} are {{ VALUE | printf "%.1f" }} intervals old',
        "The live module checks (module-order, stateful-module, module-drift) on "
        "{{ $labels.instance }} are judging old or no live module lists.",
    ),
    # ---- info
    finding_alert("IpmpdPlanningRuleWarning", "info", "warning", "15m", "check warns:"),
)


# --------------------------------------------------------------- rendering


def selector(query: str, job: str) -> str:
    """Put the job matchers where SEL stands (or drop SEL when there are none)."""
    if job:
        return query.replace("{SEL}", "{" + job + "}").replace(", SEL}", ", " + job + "}")
    return query.replace("{SEL}", "").replace(", SEL}", "}")


def _operand(value: str, queries: dict[str, str]) -> str:
    return f"({queries[value]})" if value in queries else value


def prometheus_expr(alert: Alert, job: str) -> str:
    queries = {k: selector(v, job) for k, v in alert.inputs.items()}
    a = selector(alert.query, job)
    if re.search(r"\b(or|and|unless)\b", a):
        a = f"({a})"
    return a + "".join(f" {op} {_operand(v, queries)}" for op, v in alert.when)


def _details_query(alert: Alert) -> str:
    # the raw series behind this alert instance: same identifiers, all the free text
    assert alert.details is not None
    return (
        '{{ range $i, $f := query (printf "'
        + alert.details.split("{")[0]
        + '{instance=%q, job=%q, group=%q, check=%q, code=%q}" '
        "$labels.instance $labels.job $labels.group $labels.check $labels.code) }}"
        "{{ if $i }} {{ end }}" + FINDING_TEXT.replace(".Labels.", "$f.Labels.") + "{{ end }}"
    )


def annotations(alert: Alert, p: Params, grafana: bool) -> dict[str, str]:
    value = "$values.A.Value" if grafana else "$value"

    def text(s: str) -> str:
        s = s.replace("VALUE", value)
        if s == FINDING_DETAILS:
            if grafana:
                return FINDING_TEXT.replace(".Labels.", "$values.D.Labels.")
            return _details_query(alert)
        return s

    return {
        "summary": text(alert.summary),
        "description": text(alert.description),
        "runbook_url": f"{p.runbook}#{alert.name.lower()}",
        "ipmpd_page": p.page,
    }


def prometheus_rules(p: Params) -> dict[str, Any]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for a in ALERTS:
        groups.setdefault(a.group, []).append(
            {
                "alert": a.name,
                "expr": prometheus_expr(a, p.job),
                "for": a.for_,
                "labels": {"severity": a.severity},
                "annotations": annotations(a, p, grafana=False),
            }
        )
    return {"groups": [{"name": name, "rules": rules} for name, rules in groups.items()]}


def _query(ref: str, expr: str, uid: str) -> dict[str, Any]:
    return {
        "refId": ref,
        "relativeTimeRange": {"from": 600, "to": 0},
        "datasourceUid": uid,
        "model": {"refId": ref, "expr": expr, "instant": True, "range": False},
    }


def grafana_query(query: str) -> str:
    """Grafana keeps ``__name__`` in an alert's labels (Prometheus drops it):
    a bare selector is wrapped in an aggregation that drops it and nothing else."""
    if re.fullmatch(r"[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})?", query):
        return f"max without () ({query})"
    return query


def grafana_rule(a: Alert, p: Params) -> dict[str, Any]:
    data = [_query("A", grafana_query(selector(a.query, p.job)), p.datasource_uid)]
    for ref, q in a.inputs.items():
        data.append(_query(ref, grafana_query(selector(q, p.job)), p.datasource_uid))
    if a.details:
        data.append(_query("D", selector(a.details, p.job), p.datasource_uid))
    if len(a.when) == 1 and a.when[0][1] not in a.inputs:
        op, value = a.when[0]
        condition: dict[str, Any] = {
            "refId": "C",
            "type": "threshold",
            "expression": "A",
            "conditions": [{"evaluator": {"type": OPS[op], "params": [float(value)]}}],
        }
    else:
        math = " && ".join(f"$A {op} {'$' + v if v in a.inputs else v}" for op, v in a.when)
        condition = {"refId": "C", "type": "math", "expression": math}
    data.append({"refId": "C", "datasourceUid": "__expr__", "model": condition})
    return {
        "uid": "ipmpd-" + re.sub(r"(?<!^)(?=[A-Z])", "-", a.name[len("Ipmpd") :]).lower(),
        "title": a.name,
        "condition": "C",
        "data": data,
        # no series: nothing to alert on, as in Prometheus; a failing query is an error
        "noDataState": "OK",
        "execErrState": "Error",
        "for": a.for_,
        "labels": {"severity": a.severity},
        "annotations": annotations(a, p, grafana=True),
    }


def grafana_alerting(p: Params) -> dict[str, Any]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for a in ALERTS:
        groups.setdefault(a.group, []).append(grafana_rule(a, p))
    return {
        "apiVersion": 1,
        "groups": [
            {"orgId": 1, "name": name, "folder": "ipmpd", "interval": "1m", "rules": rules}
            for name, rules in groups.items()
        ],
    }
